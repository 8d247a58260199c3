//! Dialog state and in-dialog request construction (RFC 3261 section 12).

use crate::message::{HeaderName, Method, NameAddr, Request, Uri};

use super::transport::Target;

#[derive(Debug, Clone)]
pub struct Dialog {
    pub call_id: String,
    pub local_tag: String,
    /// `None` until the UAC sees a tagged response.
    pub remote_tag: Option<String>,
    /// Our From (UAC) / To (UAS) address, without tag.
    pub local: NameAddr,
    pub remote: NameAddr,
    pub local_seq: u32,
    pub remote_seq: Option<u32>,
    pub remote_target: Uri,
    pub route_set: Vec<NameAddr>,
}

impl Dialog {
    /// Where an in-dialog request goes, and the Request-URI and Route headers to
    /// put in it (loose routing, or strict routing when the first hop lacks `lr`).
    pub fn routing(&self) -> (Uri, Vec<NameAddr>, Option<Target>) {
        match self.route_set.first() {
            None => (self.remote_target.clone(), Vec::new(), None),
            Some(first) if first.uri.as_sip().is_some_and(|u| u.params.contains("lr")) => {
                let target = first.uri.as_sip().map(Target::from_uri);
                (self.remote_target.clone(), self.route_set.clone(), target)
            }
            Some(first) => {
                // Strict router: it becomes the Request-URI; the remote target goes last.
                let mut routes: Vec<NameAddr> = self.route_set[1..].to_vec();
                routes.push(NameAddr::new(self.remote_target.clone()));
                let target = first.uri.as_sip().map(Target::from_uri);
                (first.uri.clone(), routes, target)
            }
        }
    }

    /// Builds an in-dialog request without Via and Contact (the UA adds those),
    /// and where it goes: the first route, else the remote target (`None`
    /// when that is not a SIP URI).
    /// CSeq: ACK and CANCEL reuse `seq`; other methods take the next number.
    pub fn request(
        &mut self,
        method: Method,
        ack_or_cancel_seq: Option<u32>,
    ) -> (Request, Option<Target>) {
        let seq = match ack_or_cancel_seq {
            Some(s) => s,
            None => {
                self.local_seq = self.local_seq.wrapping_add(1);
                self.local_seq
            }
        };
        let (uri, routes, target) = self.routing();
        let target = target.or_else(|| uri.as_sip().map(Target::from_uri));
        let mut req = Request::new(method.clone(), uri);
        req.headers.push(HeaderName::MaxForwards, "70");
        let from = self.local.clone().with_tag(&self.local_tag);
        req.headers.push(HeaderName::From, from.to_string());
        let mut to = self.remote.clone();
        if let Some(tag) = &self.remote_tag {
            to = to.with_tag(tag);
        }
        req.headers.push(HeaderName::To, to.to_string());
        req.headers.push(HeaderName::CallId, self.call_id.clone());
        req.headers
            .push(HeaderName::CSeq, format!("{seq} {method}"));
        for r in routes {
            req.headers.push(HeaderName::Route, r.to_string());
        }
        (req, target)
    }

    /// A target refresh (RFC 3261 12.2.2): the peer's re-INVITE or UPDATE
    /// names where it is now in its Contact.
    pub fn refresh_target(&mut self, req: &crate::message::Request) {
        if let Some(uri) = req.headers.contacts().into_iter().find_map(|c| match c {
            crate::message::Contact::Addr(a) => Some(a.uri),
            crate::message::Contact::Star => None,
        }) {
            self.remote_target = uri;
        }
    }

    /// Checks and records the CSeq of an in-dialog request from the peer. A lower
    /// number than seen before is out of order (answered 500, RFC 12.2.2).
    pub fn accept_remote_seq(&mut self, seq: u32, method: &Method) -> bool {
        if matches!(method, Method::Ack | Method::Cancel) {
            return true;
        }
        match self.remote_seq {
            Some(prev) if seq <= prev => false,
            _ => {
                self.remote_seq = Some(seq);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(routes: &[&str]) -> Dialog {
        Dialog {
            call_id: "c".into(),
            local_tag: "lt".into(),
            remote_tag: Some("rt".into()),
            local: "<sip:alice@a.example>".parse().unwrap(),
            remote: "<sip:bob@b.example>".parse().unwrap(),
            local_seq: 1,
            remote_seq: Some(5),
            remote_target: "sip:bob@192.0.2.2:5062".parse().unwrap(),
            route_set: routes.iter().map(|r| r.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn loose_routing_keeps_remote_target() {
        let mut d = dialog(&["<sip:p1.example;lr>", "<sip:p2.example;lr>"]);
        let (req, target) = d.request(Method::Bye, None);
        assert_eq!(req.uri.to_string(), "sip:bob@192.0.2.2:5062");
        assert_eq!(req.headers.get_all(&HeaderName::Route).count(), 2);
        assert_eq!(target.unwrap().destination.to_string(), "p1.example:5060");
        assert_eq!(req.headers.cseq().unwrap().seq, 2);
        assert_eq!(req.headers.to_addr().unwrap().tag(), Some("rt"));
    }

    #[test]
    fn strict_routing_rewrites_request_uri() {
        let mut d = dialog(&["<sip:strict.example>", "<sip:p2.example;lr>"]);
        let (req, _) = d.request(Method::Bye, None);
        assert_eq!(req.uri.to_string(), "sip:strict.example");
        let routes: Vec<_> = req.headers.get_all(&HeaderName::Route).collect();
        assert_eq!(routes, ["<sip:p2.example;lr>", "<sip:bob@192.0.2.2:5062>"]);
    }

    #[test]
    fn remote_cseq_must_grow() {
        let mut d = dialog(&[]);
        assert!(!d.accept_remote_seq(5, &Method::Bye));
        assert!(d.accept_remote_seq(6, &Method::Bye));
        assert!(d.accept_remote_seq(6, &Method::Ack));
    }
}
