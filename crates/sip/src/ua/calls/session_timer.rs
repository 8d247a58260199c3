//! Session timers (RFC 4028): a call whose INVITE or 2xx carries
//! Session-Expires is refreshed by one side before half the interval; the
//! other side ends it if no refresh comes. We ask for 1800 s with our INVITEs
//! (`Supported: timer`), answer an offer's interval (refusing one under Min-SE
//! with 422), and refresh with a re-INVITE carrying our current session.

use std::time::{Duration, Instant};

use crate::message::{HeaderName, Method, Request, Response};
use crate::ua::{CallId, EndReason, UserAgent};

/// The smallest interval we accept (RFC 4028 4: at least 90 s).
pub(in crate::ua) const MIN_SE: u32 = 90;
/// What we ask for: RFC 4028's recommended 30 minutes.
pub(in crate::ua) const OUR_SE: u32 = 1800;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::ua) struct SessionTimer {
    interval: Duration,
    /// We send the refreshes; otherwise we expect them.
    we_refresh: bool,
    /// When to refresh (we refresh) or give up on the call (they do).
    due: Instant,
}

impl SessionTimer {
    fn arm(interval: u32, we_refresh: bool, now: Instant) -> SessionTimer {
        let interval = Duration::from_secs(u64::from(interval));
        let due = if we_refresh {
            now + interval / 2
        } else {
            // RFC 4028 10: BYE at the expiry less min(32 s, a third).
            now + interval - (interval / 3).min(Duration::from_secs(32))
        };
        SessionTimer {
            interval,
            we_refresh,
            due,
        }
    }

    pub(in crate::ua) fn due(&self) -> Instant {
        self.due
    }
}

/// `Session-Expires: 1800;refresher=uac` -> (1800, Some("uac")).
fn session_expires(headers: &crate::message::Headers) -> Option<(u32, Option<String>)> {
    let v = headers.get(&HeaderName::SessionExpires)?;
    let mut parts = v.split(';');
    let secs = parts.next()?.trim().parse().ok()?;
    let refresher = parts.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("refresher")
            .then(|| v.trim().to_ascii_lowercase())
    });
    Some((secs, refresher))
}

fn supports_timer(req: &Request) -> bool {
    req.headers
        .values(&HeaderName::Supported)
        .chain(req.headers.values(&HeaderName::Require))
        .flat_map(|v| v.split(','))
        .any(|o| o.trim().eq_ignore_ascii_case("timer"))
}

impl UserAgent {
    /// An incoming INVITE (or refresh) asks for an interval below Min-SE: the
    /// 422 to send instead of going on (RFC 4028 8.1).
    pub(in crate::ua) fn session_interval_too_small(&mut self, req: &Request) -> Option<Response> {
        let (secs, _) = session_expires(&req.headers)?;
        (secs < MIN_SE).then(|| {
            let mut resp =
                crate::ua::build::response_to(req, 422, Some(&crate::ua::new_tag(&mut self.rng)));
            resp.headers.push(HeaderName::MinSe, MIN_SE.to_string());
            resp
        })
    }

    /// Our 2xx to `req` (an INVITE or a refresh) of call `id`: when the request
    /// asked for session timers, echo the interval with who refreshes (the UAC
    /// if it can, RFC 4028 9), and arm the timer.
    pub(in crate::ua) fn answer_session_timer(
        &mut self,
        id: CallId,
        req: &Request,
        resp: &mut Response,
        now: Instant,
    ) {
        let Some((secs, asked)) = session_expires(&req.headers) else {
            return;
        };
        let secs = secs.max(MIN_SE);
        let uac_can = supports_timer(req);
        let refresher = match asked.as_deref() {
            Some("uas") => "uas",
            Some("uac") if uac_can => "uac",
            _ if uac_can => "uac",
            _ => "uas",
        };
        resp.headers.push(
            HeaderName::SessionExpires,
            format!("{secs};refresher={refresher}"),
        );
        if uac_can {
            resp.headers.push(HeaderName::Require, "timer");
        }
        // We answered: we are the UAS of this transaction.
        if let Some(call) = self.calls.get_mut(&id) {
            call.session_timer = Some(SessionTimer::arm(secs, refresher == "uas", now));
        }
    }

    /// A 2xx to our INVITE or refresh: its Session-Expires says who refreshes.
    pub(in crate::ua) fn learn_session_timer(&mut self, id: CallId, resp: &Response, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.session_timer = session_expires(&resp.headers).map(|(secs, refresher)| {
            // We sent the request: we are the UAC of this transaction.
            SessionTimer::arm(secs.max(MIN_SE), refresher.as_deref() != Some("uas"), now)
        });
    }

    /// Headers that ask for session timers in our INVITEs.
    pub(in crate::ua) fn session_timer_request_headers(req: &mut Request) {
        req.headers.push(HeaderName::Supported, "timer");
        req.headers
            .push(HeaderName::SessionExpires, OUR_SE.to_string());
    }

    /// A due session timer: we refresh with a re-INVITE carrying our session,
    /// or, when the peer should have and has not, the call ends.
    pub(in crate::ua) fn on_session_timer(&mut self, id: CallId, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(timer) = call.session_timer.take() else {
            return;
        };
        if !timer.we_refresh {
            tracing::info!(%id, "the session was not refreshed in time; ending it");
            self.send_bye(id, now);
            self.end_call(id, EndReason::Timeout, now);
            return;
        }
        if call.reinvite_in_progress || call.pending_offer.is_some() {
            // An offer/answer is under way; its 2xx re-arms the timer.
            call.session_timer = Some(SessionTimer {
                due: now + Duration::from_secs(2),
                ..timer
            });
            return;
        }
        let sdp = call.session_sdp.clone();
        call.reinvite_in_progress = true;
        call.last_offer = sdp.clone();
        // Until the refresh's 2xx arrives, give up at the interval's end.
        call.session_timer = Some(SessionTimer {
            we_refresh: false,
            due: now + timer.interval / 2,
            ..timer
        });
        self.send_in_dialog(id, Method::Invite, Some(("application/sdp", sdp)), now);
    }
}
