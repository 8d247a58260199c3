//! Header names (with RFC 3261 compact forms normalised) and the ordered header list.

use std::fmt;

macro_rules! header_names {
    ($( $variant:ident => $canonical:literal $(, $compact:literal)? ;)*) => {
        /// A header field name. Known names are case-insensitive and compact forms
        /// (`v`, `i`, `m`, ...) map to the same variant as the long form.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum HeaderName {
            $( $variant, )*
            /// Any other header, with the name as it appeared on the wire.
            Other(String),
        }

        impl HeaderName {
            /// Parses a header name as found on the wire (any case, compact or long).
            pub fn from_wire(name: &str) -> HeaderName {
                $(
                    if name.eq_ignore_ascii_case($canonical) $(|| name.eq_ignore_ascii_case($compact))? {
                        return HeaderName::$variant;
                    }
                )*
                HeaderName::Other(name.to_string())
            }

            /// The canonical long form used when serialising.
            pub fn as_str(&self) -> &str {
                match self {
                    $( HeaderName::$variant => $canonical, )*
                    HeaderName::Other(name) => name,
                }
            }
        }
    };
}

header_names! {
    Accept => "Accept";
    AcceptContact => "Accept-Contact", "a";
    AllowEvents => "Allow-Events", "u";
    Allow => "Allow";
    Authorization => "Authorization";
    CallId => "Call-ID", "i";
    CallInfo => "Call-Info";
    Contact => "Contact", "m";
    ContentEncoding => "Content-Encoding", "e";
    ContentLength => "Content-Length", "l";
    ContentType => "Content-Type", "c";
    CSeq => "CSeq";
    Date => "Date";
    Event => "Event", "o";
    Expires => "Expires";
    From => "From", "f";
    MaxForwards => "Max-Forwards";
    MinExpires => "Min-Expires";
    ProxyAuthenticate => "Proxy-Authenticate";
    ProxyAuthorization => "Proxy-Authorization";
    ProxyRequire => "Proxy-Require";
    RAck => "RAck";
    Reason => "Reason";
    RecordRoute => "Record-Route";
    ReferTo => "Refer-To", "r";
    ReferredBy => "Referred-By", "b";
    Replaces => "Replaces";
    MinSe => "Min-SE";
    Require => "Require";
    RetryAfter => "Retry-After";
    RSeq => "RSeq";
    Route => "Route";
    Server => "Server";
    SipEtag => "SIP-ETag";
    SipIfMatch => "SIP-If-Match";
    SessionExpires => "Session-Expires", "x";
    Subject => "Subject", "s";
    SubscriptionState => "Subscription-State";
    Supported => "Supported", "k";
    To => "To", "t";
    Unsupported => "Unsupported";
    UserAgent => "User-Agent";
    Via => "Via", "v";
    Warning => "Warning";
    WwwAuthenticate => "WWW-Authenticate";
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header line: its name and its value with folding removed and outer
/// whitespace trimmed. List headers keep all their comma-separated values in one
/// entry per line, as received; typed accessors split them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: HeaderName,
    pub value: String,
}

/// The headers of a message, in wire order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    pub fn push(&mut self, name: HeaderName, value: impl Into<String>) {
        self.0.push(Header {
            name,
            value: value.into(),
        });
    }

    /// Inserts before all existing headers (used for the topmost Via).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<String>) {
        self.0.insert(
            0,
            Header {
                name,
                value: value.into(),
            },
        );
    }

    /// Replaces the first comma-separated value of the first line of `name`
    /// (the topmost Via), keeping the line's other values.
    pub fn replace_first_value(&mut self, name: &HeaderName, value: &str) {
        if let Some(h) = self.0.iter_mut().find(|h| &h.name == name) {
            let mut new = value.to_string();
            for rest in super::lex::split_list(&h.value).skip(1) {
                new.push_str(", ");
                new.push_str(rest);
            }
            h.value = new;
        }
    }

    pub fn remove(&mut self, name: &HeaderName) {
        self.0.retain(|h| &h.name != name);
    }

    /// The first value of a header.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.0
            .iter()
            .find(|h| &h.name == name)
            .map(|h| h.value.as_str())
    }

    /// Every line of a header, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| &h.name == name)
            .map(|h| h.value.as_str())
    }

    /// Every comma-separated value of a list header, across all its lines.
    pub fn values<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.get_all(name).flat_map(super::lex::split_list)
    }

    pub fn count(&self, name: &HeaderName) -> usize {
        self.0.iter().filter(|h| &h.name == name).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_forms_map_to_long_names() {
        for (compact, long) in [
            ("v", HeaderName::Via),
            ("i", HeaderName::CallId),
            ("m", HeaderName::Contact),
            ("f", HeaderName::From),
            ("t", HeaderName::To),
            ("l", HeaderName::ContentLength),
            ("k", HeaderName::Supported),
            ("c", HeaderName::ContentType),
            ("s", HeaderName::Subject),
            ("e", HeaderName::ContentEncoding),
            ("o", HeaderName::Event),
            ("u", HeaderName::AllowEvents),
            ("r", HeaderName::ReferTo),
            ("b", HeaderName::ReferredBy),
            ("V", HeaderName::Via),
        ] {
            assert_eq!(HeaderName::from_wire(compact), long, "{compact}");
        }
        assert_eq!(
            HeaderName::from_wire("MaX-fOrWaRdS"),
            HeaderName::MaxForwards
        );
        assert_eq!(
            HeaderName::from_wire("C%6Fntact"),
            HeaderName::Other("C%6Fntact".into())
        );
    }
}
