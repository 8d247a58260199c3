//! Incoming requests: server transactions, symmetric response routing (RFC 3581),
//! and the checks RFC 3261 section 8.2 asks of a UAS before any method logic.

use std::net::SocketAddr;
use std::time::Instant;

use super::AcceptMessages;
use super::build::response_to;
use super::{Destination, Owner, Target, Transport, Tx, TxEntry, UserAgent};
use crate::message::{HeaderName, Method, Request, Uri};
use crate::transaction::{ServerInvite, ServerNonInvite, TxKey};

/// Extensions we support, for Require checks (RFC 4028, 3891, 3262).
const SUPPORTED: &[&str] = &["timer", "replaces", "100rel"];

impl UserAgent {
    pub(super) fn on_request(
        &mut self,
        now: Instant,
        transport: Transport,
        source: SocketAddr,
        mut req: Request,
    ) {
        mark_received(&mut req, source);
        let Some(key) = TxKey::for_request(&req) else {
            return;
        };
        // A retransmission, or an ACK/CANCEL for an existing transaction?
        if req.method != Method::Cancel && self.txs.contains_key(&key) {
            self.on_request_for_tx(&key, &req, now);
            return;
        }
        if req.method == Method::Ack {
            // ACK for a 2xx: it has its own branch and belongs to the dialog.
            self.on_ack(&req, now);
            return;
        }
        let target = Target {
            transport,
            destination: response_destination(&req, transport, source),
        };
        // Past the budget of what server transactions may keep, a new
        // request (not a CANCEL of one we have) is answered at once with
        // 503 and kept nowhere: a flood costs what it sends, not memory.
        if self.txs.server_bytes() >= super::SERVER_BYTES_BUDGET && req.method != Method::Cancel {
            self.stats.refused_over_budget += 1;
            if self.stats.refused_over_budget.is_power_of_two() {
                tracing::warn!(
                    %source,
                    "refused with 503: server transactions hold {} bytes ({} refused so far)",
                    self.txs.server_bytes(),
                    self.stats.refused_over_budget
                );
            }
            let mut resp = response_to(&req, 503, Some(&super::new_tag(&mut self.rng)));
            resp.headers.push(HeaderName::RetryAfter, "5");
            self.transmits.push_back(super::Transmit {
                transport,
                destination: target.destination,
                payload: resp.to_bytes(),
            });
            return;
        }
        let reliability = transport.reliability();
        let tx = if req.method == Method::Invite {
            Tx::UasInvite(ServerInvite::new(reliability, self.cfg.timers))
        } else {
            Tx::UasOther(ServerNonInvite::new(reliability, self.cfg.timers))
        };
        self.tx_count += 1;
        self.txs.insert(
            key.clone(),
            TxEntry {
                tx,
                seq: self.tx_count,
                target,
                owner: Owner::Nobody,
                alternatives: Vec::new(),
                held: 0,
            },
        );
        if let Some(status) = precheck(&req) {
            let mut resp = response_to(&req, status, Some(&super::new_tag(&mut self.rng)));
            match status {
                420 => {
                    let unsupported = unsupported_options(&req).join(", ");
                    resp.headers.push(HeaderName::Unsupported, unsupported);
                }
                405 | 501 => resp.headers.push(HeaderName::Allow, self.allow()),
                406 | 415 => resp.headers.push(HeaderName::Accept, "application/sdp"),
                _ => {}
            }
            self.respond(&key, &resp, now);
            return;
        }
        let in_dialog = req.headers.to_addr().is_some_and(|to| to.tag().is_some());
        match (&req.method, in_dialog) {
            (Method::Cancel, _) => self.on_cancel(&key, &req, now),
            (Method::Message, _) if self.cfg.accept_messages != AcceptMessages::No => {
                let via_registrar = self.registrar_sources.contains(&source);
                self.on_message_request(&key, &req, via_registrar, now)
            }
            // A NOTIFY of one of our subscriptions (presence, dialog), which
            // may come before the SUBSCRIBE's 2xx.
            (Method::Notify, _) if self.subscription_of_notify(&req).is_some() => {
                if let Some(id) = self.subscription_of_notify(&req) {
                    self.on_subscription_notify(&key, id, &req, now);
                }
            }
            // Voicemail news, in a subscription's dialog or unsolicited.
            (Method::Notify, _) if super::mwi::is_message_summary(&req) => {
                self.on_message_summary(&key, &req, now)
            }
            (_, true) => self.on_in_dialog_request(&key, req, now),
            (Method::Invite, false) => {
                let via_registrar = self.registrar_sources.contains(&source);
                self.on_invite(&key, req, via_registrar, now)
            }
            (Method::Options, false) => {
                let mut resp = response_to(&req, 200, Some(&super::new_tag(&mut self.rng)));
                resp.headers.push(HeaderName::Allow, self.allow());
                resp.headers.push(HeaderName::Accept, "application/sdp");
                self.respond(&key, &resp, now);
            }
            (Method::Bye | Method::Update | Method::Info | Method::Prack, false) => {
                self.respond(&key, &response_to(&req, 481, None), now);
            }
            (_, false) => {
                let mut resp = response_to(&req, 405, Some(&super::new_tag(&mut self.rng)));
                resp.headers.push(HeaderName::Allow, self.allow());
                self.respond(&key, &resp, now);
            }
        }
    }

    fn on_request_for_tx(&mut self, key: &TxKey, req: &Request, now: Instant) {
        let mut out = Vec::new();
        let owner = self.txs.get(key).map(|e| e.owner);
        match self.txs.get_mut(key).map(|e| &mut e.tx) {
            Some(Tx::UasInvite(t)) => {
                t.on_request(req, now, &mut out);
            }
            Some(Tx::UasOther(t)) => t.on_request(&mut out),
            _ => return,
        }
        self.stats.retransmissions_absorbed += 1;
        // An ACK matching an INVITE server transaction answered with a 2xx is the
        // dialog's ACK when the peer (wrongly) reused the INVITE branch.
        if req.method == Method::Ack
            && let Some(Owner::ServerInvite(call)) = owner
        {
            self.on_ack_for_call(call, req, now);
        }
        self.route_tx_outputs(key, out, now);
        self.txs.touched(key);
    }
}

/// RFC 3581 and RFC 3261 18.2.1: note where the request really came from, so
/// responses go back there.
fn mark_received(req: &mut Request, source: SocketAddr) {
    let Some(mut via) = req.headers.top_via() else {
        return;
    };
    let ip = source.ip().to_string();
    if via.host.trim_start_matches('[').trim_end_matches(']') != ip {
        via.params.set("received", Some(&ip));
    }
    if via.params.contains("rport") {
        via.params.set("rport", Some(&source.port().to_string()));
        via.params.set("received", Some(&ip));
    }
    req.headers
        .replace_first_value(&HeaderName::Via, &via.to_string());
}

/// Where responses to `req` go (RFC 3261 18.2.2, RFC 3581): over a stream, back
/// on the connection; over UDP, to the source port only when the client asked
/// with `rport`, else to the sent-by port at the address the request came from.
fn response_destination(req: &Request, transport: Transport, source: SocketAddr) -> Destination {
    if transport != Transport::Udp {
        return Destination::Addr(source);
    }
    let Some(via) = req.headers.top_via() else {
        return Destination::Addr(source);
    };
    if via.params.value("rport").is_some() {
        return Destination::Addr(source);
    }
    // `received` is set whenever the sent-by host differs from the source address.
    let port = via.port.unwrap_or(5060);
    Destination::Addr(SocketAddr::new(source.ip(), port))
}

fn unsupported_options(req: &Request) -> Vec<String> {
    req.headers
        .values(&HeaderName::Require)
        .filter(|opt| !opt.is_empty() && !SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(opt)))
        .map(str::to_string)
        .collect()
}

/// The status to refuse a request with before any method logic, or `None`.
fn precheck(req: &Request) -> Option<u16> {
    if matches!(req.method, Method::Ack | Method::Cancel) {
        return None;
    }
    if !matches!(req.uri, Uri::Sip(_)) && !req.uri.scheme().eq_ignore_ascii_case("tel") {
        return Some(416);
    }
    if !unsupported_options(req).is_empty() {
        return Some(420);
    }
    if let Method::Other(_) = req.method {
        return Some(501);
    }
    if matches!(req.method, Method::Invite | Method::Update) {
        if let Some(accept) = req.headers.get(&HeaderName::Accept)
            && !crate::message::lex::split_list(accept).any(|t| {
                t.eq_ignore_ascii_case("application/sdp")
                    || t == "*/*"
                    || t.eq_ignore_ascii_case("application/*")
            })
        {
            return Some(406);
        }
        if !req.body.is_empty()
            && !req.headers.content_type().is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"))
            })
        {
            return Some(415);
        }
    }
    None
}
