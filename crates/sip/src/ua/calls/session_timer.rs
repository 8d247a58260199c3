//! Session timers (RFC 4028): a call whose INVITE or 2xx carries
//! Session-Expires is refreshed by one side before half the interval; the
//! other side ends it if no refresh comes.
//!
//! - We ask for 1800 s with our INVITEs (`Supported: timer`, `Min-SE`).
//! - A 422 (interval too small) is retried with the Min-SE it names, for the
//!   INVITE and for refreshes; a second 422 that asks for nothing new ends it.
//! - We answer a request's interval, refusing one under our Min-SE with 422.
//! - We refresh with a body-less UPDATE when the peer allows UPDATE (its
//!   Allow header), else with a re-INVITE carrying our current session. An
//!   UPDATE touches no media and cannot cross a hold's offer; a peer that
//!   then refuses UPDATE (405, 501) gets re-INVITEs from then on.

use std::time::{Duration, Instant};

use crate::message::{HeaderName, Method, Request, Response};
use crate::ua::{CallId, EndReason, UserAgent};

/// The smallest interval we accept (RFC 4028 4: at least 90 s).
pub(in crate::ua) const MIN_SE: u32 = 90;
/// What we ask for: RFC 4028's recommended 30 minutes.
pub(in crate::ua) const OUR_SE: u32 = 1800;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::ua) struct SessionTimer {
    pub(in crate::ua) interval: Duration,
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

/// `Min-SE: 300;param` -> 300.
fn min_se(headers: &crate::message::Headers) -> Option<u32> {
    headers
        .get(&HeaderName::MinSe)?
        .split(';')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The peer lists UPDATE in its Allow header (RFC 3311).
pub(in crate::ua) fn allows_update(headers: &crate::message::Headers) -> bool {
    headers
        .values(&HeaderName::Allow)
        .flat_map(|v| v.split(','))
        .any(|m| m.trim().eq_ignore_ascii_case("UPDATE"))
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
        let floor = call.min_se;
        call.session_timer = session_expires(&resp.headers).map(|(secs, refresher)| {
            // We sent the request: we are the UAC of this transaction.
            SessionTimer::arm(secs.max(floor), refresher.as_deref() != Some("uas"), now)
        });
    }

    /// The session-timer headers of our INVITE, re-INVITE or UPDATE in
    /// call `id`: the interval we ask for (the one in force, once there is
    /// one, never under our Min-SE), `refresher=uac` when the request is our
    /// refresh, and the Min-SE we keep to (raised by a 422, RFC 4028 7.4).
    pub(in crate::ua) fn session_timer_headers(&self, id: CallId) -> Vec<(HeaderName, String)> {
        let Some(call) = self.calls.get(&id) else {
            return Vec::new();
        };
        let secs = call
            .session_timer
            .map(|t| u32::try_from(t.interval.as_secs()).unwrap_or(OUR_SE))
            .unwrap_or(OUR_SE)
            .max(call.min_se);
        let expires = if call.refreshing {
            format!("{secs};refresher=uac")
        } else {
            secs.to_string()
        };
        vec![
            (HeaderName::Supported, "timer".to_string()),
            (HeaderName::SessionExpires, expires),
            (HeaderName::MinSe, call.min_se.to_string()),
        ]
    }

    /// A 422 to our request of call `id`: raise our Min-SE to the one it
    /// names. True when that is new, so the request may go again; false
    /// (nothing to retry with) when the 422 names none or no more than we
    /// already asked for, or after two retries.
    pub(in crate::ua) fn raise_min_se(&mut self, id: CallId, resp: &Response) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        match min_se(&resp.headers) {
            Some(wanted) if wanted > call.min_se && call.se_retries < 2 => {
                tracing::info!(%id, wanted, "422: asking again with a longer session interval");
                call.min_se = wanted;
                call.se_retries += 1;
                true
            }
            _ => false,
        }
    }

    /// Sends our session refresh: an UPDATE without a body when the peer
    /// allows it, else a re-INVITE with our current session.
    pub(in crate::ua) fn send_refresh(&mut self, id: CallId, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.refreshing = true;
        if call.peer_allows_update {
            let headers = self.session_timer_headers(id);
            self.send_in_dialog_with(id, Method::Update, &headers, None, now);
            return;
        }
        let sdp = call.session_sdp.clone();
        call.reinvite_in_progress = true;
        call.last_offer = sdp.clone();
        self.send_in_dialog(id, Method::Invite, Some(("application/sdp", sdp)), now);
    }

    /// The answer to our refresh UPDATE.
    pub(in crate::ua) fn on_refresh_response(&mut self, id: CallId, resp: Response, now: Instant) {
        if resp.status < 200 {
            return;
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.refreshing = false;
        }
        match resp.status {
            200..=299 => self.learn_session_timer(id, &resp, now),
            422 if self.raise_min_se(id, &resp) => self.send_refresh(id, now),
            // The dialog is gone at the far end (RFC 4028 10, RFC 3261 12.2.1.2).
            408 | 481 => {
                self.send_bye(id, now);
                self.end_call(id, EndReason::Remote, now);
            }
            405 | 501 => {
                tracing::info!(%id, status = resp.status, "the peer refuses UPDATE; refreshing with re-INVITE");
                if let Some(call) = self.calls.get_mut(&id) {
                    call.peer_allows_update = false;
                }
                self.send_refresh(id, now);
            }
            // Anything else: the session ends at its expiry unless a later
            // refresh gets through.
            status => tracing::info!(%id, status, "our session refresh was refused"),
        }
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
        // Until the refresh's 2xx arrives, give up at the interval's end.
        call.session_timer = Some(SessionTimer {
            we_refresh: false,
            due: now + timer.interval / 2,
            ..timer
        });
        self.send_refresh(id, now);
    }
}
