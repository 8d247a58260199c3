//! Matching messages to transactions (RFC 3261 sections 17.1.3 and 17.2.3).

use rand::{Rng, RngExt};

use crate::message::{Method, Request, Response};

/// The RFC 3261 branch prefix that says "this branch is unique".
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// A fresh branch parameter: the magic cookie plus 64 random bits.
pub fn new_branch(rng: &mut impl Rng) -> String {
    format!("{MAGIC_COOKIE}{:016x}", rng.random::<u64>())
}

/// Identifies a transaction. ACK is folded into INVITE (it belongs to the INVITE
/// server transaction for non-2xx answers); CANCEL has transactions of its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxKey {
    /// RFC 3261: top Via branch (with magic cookie), sent-by (servers), method.
    Rfc3261 {
        branch: String,
        sent_by: String,
        method: String,
        server: bool,
    },
    /// RFC 2543 fallback for requests whose branch lacks the magic cookie.
    Rfc2543 {
        request_uri: String,
        from_tag: String,
        call_id: String,
        cseq: u32,
        top_via: String,
        method: String,
    },
}

fn tx_method(method: &str) -> String {
    if method == "ACK" {
        "INVITE".to_string()
    } else {
        method.to_string()
    }
}

impl TxKey {
    /// The server transaction a request belongs to.
    pub fn for_request(req: &Request) -> Option<TxKey> {
        let via = req.headers.top_via()?;
        let method = tx_method(req.method.as_str());
        match via.branch() {
            // A bare magic cookie (RFC 4475 `badbranch`) is no identifier at all.
            Some(b) if b.starts_with(MAGIC_COOKIE) && b.len() > MAGIC_COOKIE.len() => {
                Some(TxKey::Rfc3261 {
                    branch: b.to_string(),
                    sent_by: via.sent_by().to_ascii_lowercase(),
                    method,
                    server: true,
                })
            }
            _ => {
                let cseq = req.headers.cseq()?;
                Some(TxKey::Rfc2543 {
                    request_uri: req.uri.to_string(),
                    from_tag: req
                        .headers
                        .from_addr()?
                        .tag()
                        .unwrap_or_default()
                        .to_string(),
                    call_id: req.headers.call_id()?.to_string(),
                    cseq: cseq.seq,
                    top_via: via.to_string(),
                    method,
                })
            }
        }
    }

    /// The client transaction a response belongs to: its branch and CSeq method.
    pub fn for_response(resp: &Response) -> Option<TxKey> {
        let via = resp.headers.top_via()?;
        let cseq = resp.headers.cseq()?;
        Some(TxKey::Rfc3261 {
            branch: via.branch()?.to_string(),
            sent_by: String::new(),
            method: tx_method(&cseq.method),
            server: false,
        })
    }

    /// The key of a client transaction we start with this branch.
    pub fn client(branch: &str, method: &Method) -> TxKey {
        TxKey::Rfc3261 {
            branch: branch.to_string(),
            sent_by: String::new(),
            method: tx_method(method.as_str()),
            server: false,
        }
    }

    /// For a CANCEL: the key of the INVITE server transaction it cancels.
    pub fn invite_of_cancel(&self) -> TxKey {
        let mut key = self.clone();
        match &mut key {
            TxKey::Rfc3261 { method, .. } | TxKey::Rfc2543 { method, .. } => {
                *method = "INVITE".to_string();
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Message, parse_datagram};

    fn req(text: &str) -> Request {
        match parse_datagram(text.replace('\n', "\r\n").as_bytes()).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => panic!(),
        }
    }

    const INVITE: &str = "INVITE sip:b@h SIP/2.0\nVia: SIP/2.0/UDP a.example:5060;branch=z9hG4bKabc\nFrom: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: c1\nCSeq: 1 INVITE\n\n";

    #[test]
    fn ack_and_cancel_matching() {
        let invite = TxKey::for_request(&req(INVITE)).unwrap();
        let ack = TxKey::for_request(&req(&INVITE.replace("INVITE", "ACK"))).unwrap();
        assert_eq!(invite, ack);
        let cancel = TxKey::for_request(&req(&INVITE.replace("INVITE", "CANCEL"))).unwrap();
        assert_ne!(invite, cancel);
        assert_eq!(cancel.invite_of_cancel(), invite);
    }

    #[test]
    fn same_branch_other_sent_by_is_another_transaction() {
        let a = TxKey::for_request(&req(INVITE)).unwrap();
        let b = TxKey::for_request(&req(&INVITE.replace("a.example", "b.example"))).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn rfc2543_fallback_without_cookie() {
        let k = TxKey::for_request(&req(&INVITE.replace("z9hG4bKabc", "390skdjuw"))).unwrap();
        assert!(matches!(k, TxKey::Rfc2543 { .. }));
        let bare = TxKey::for_request(&req(&INVITE.replace("z9hG4bKabc", "z9hG4bK"))).unwrap();
        assert!(matches!(bare, TxKey::Rfc2543 { .. }));
    }

    #[test]
    fn branches_are_unique() {
        let rng = &mut rand::rng();
        assert_ne!(new_branch(rng), new_branch(rng));
        assert!(new_branch(rng).starts_with(MAGIC_COOKIE));
    }
}
