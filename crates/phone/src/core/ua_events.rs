//! What the user agent and the media report, turned into phone events and
//! the rules they call for.

use std::time::Instant;

use hookswitch_sip::ua::{self, Event, RegistrationState};

use hookswitch_media::sdp::NegotiationError;

use super::calls::MediaPhase;
use super::incoming::Incoming;
use super::{MediaReport, PhoneCore};
use crate::event::{CallId, PhoneEvent, RegistrationPhase};

impl PhoneCore {
    pub(super) fn on_ua_event(&mut self, now: Instant, e: Event) {
        match e {
            Event::Registration { account, state } => {
                let (state, detail, status) = match state {
                    RegistrationState::Registering => (RegistrationPhase::Registering, None, None),
                    RegistrationState::Registered { expires } => (
                        RegistrationPhase::Registered,
                        Some(format!("expires in {expires} s")),
                        None,
                    ),
                    RegistrationState::Unregistered => {
                        (RegistrationPhase::Unregistered, None, None)
                    }
                    RegistrationState::Failed {
                        reason,
                        retry_in,
                        status,
                    } => (
                        RegistrationPhase::Failed,
                        Some(match retry_in {
                            Some(s) => format!("{reason}; retrying in {s} s"),
                            None => reason,
                        }),
                        status,
                    ),
                };
                let account = self.account_name(Some(account)).unwrap_or_default();
                self.emit(
                    now,
                    PhoneEvent::Registration {
                        account,
                        state,
                        detail,
                        status,
                    },
                );
            }
            Event::IncomingCall {
                call,
                account,
                from,
                to,
                offer,
                answer_after,
                via_registrar,
                replaces,
            } => self.on_incoming(
                now,
                Incoming {
                    call,
                    account,
                    from: *from,
                    to: *to,
                    offer,
                    answer_after,
                    via_registrar,
                    replaces,
                },
            ),
            Event::Progress {
                call,
                status,
                reason,
                sdp,
            } => {
                // Early media we cannot use is not played; the 2xx decides.
                if let Some(sdp) = sdp
                    && let Err(e) = self.apply_remote_answer(now, call.0, &sdp)
                {
                    tracing::info!(%call, "early media answer unusable: {e}");
                }
                self.emit(
                    now,
                    PhoneEvent::Progress {
                        call: call.0,
                        status,
                        reason,
                    },
                );
            }
            Event::Established { call, sdp } => {
                self.timers.cancel(call.0);
                // RFC 3264 and RFC 3261 13.2.1: the offer/answer of the
                // INVITE ends here; a session without an answer we can use
                // (a 2xx or ACK with an unusable one, or none) is no call.
                let applied = match &sdp {
                    Some(sdp) => self.apply_remote_answer(now, call.0, sdp),
                    None => Ok(()),
                };
                let negotiated = self.calls.get(&call.0).map(|c| c.negotiated.is_some());
                let failure = match (applied, negotiated) {
                    (Err(e), _) => Some(format!("the answer to our offer cannot be used: {e}")),
                    (Ok(()), Some(false)) => Some("no answer to our offer came".to_string()),
                    _ => None,
                };
                if let Some(why) = failure {
                    self.session_failed(now, call.0, why);
                    return;
                }
                self.report_transfer(now, call.0, 200);
                if let Some(c) = self.calls.get_mut(&call.0) {
                    c.established = true;
                }
                let (codec, remote, encryption) =
                    match self.calls.get(&call.0).and_then(|c| c.negotiated.as_ref()) {
                        Some(n) => (
                            n.codec.name().to_string(),
                            n.remote.map(|r| r.to_string()),
                            n.srtp.as_ref().map(|k| k.suite.name().to_string()),
                        ),
                        None => ("none".into(), None, None),
                    };
                self.emit(
                    now,
                    PhoneEvent::Established {
                        call: call.0,
                        codec,
                        remote_media: remote,
                        encryption,
                    },
                );
            }
            Event::RemoteOffer { call, sdp } => {
                self.answer_remote_offer(now, call, sdp);
                self.send_wanted_hold(now, call.0);
            }
            Event::OfferAnswered { call, sdp } => {
                let ours = self
                    .calls
                    .get_mut(&call.0)
                    .is_some_and(|c| std::mem::take(&mut c.offer_outstanding));
                let applied = match &sdp {
                    Some(sdp) => self.apply_remote_answer(now, call.0, sdp),
                    None => Err(NegotiationError::NoAudio),
                };
                match applied {
                    Ok(()) => {}
                    // Our hold, resume or the offer in our 2xx got no answer
                    // we can use: the two sides disagree on the session.
                    Err(e) if ours => {
                        let why = match sdp {
                            Some(_) => format!("the answer to our offer cannot be used: {e}"),
                            None => "no answer to our offer came".to_string(),
                        };
                        self.session_failed(now, call.0, why);
                        return;
                    }
                    // A session refresh (RFC 4028) answered oddly changes nothing.
                    Err(e) => tracing::debug!(%call, "refresh answer not applied: {e}"),
                }
                self.send_wanted_hold(now, call.0);
            }
            Event::OfferRejected { call, status } => {
                tracing::info!(%call, status, "our re-INVITE was refused");
                self.offer_rejected(now, call.0, status);
                self.send_wanted_hold(now, call.0);
            }
            Event::MessageWaiting { account, summary } => {
                let account = self.account_name(account);
                self.emit(
                    now,
                    PhoneEvent::MessageWaiting {
                        account,
                        waiting: summary.waiting,
                        new: summary.new,
                        old: summary.old,
                    },
                );
            }
            Event::Info {
                call,
                content_type,
                body,
            } => {
                if content_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("application/dtmf-relay"))
                    && let Some(key) = dtmf_relay_key(&body)
                {
                    self.emit(now, PhoneEvent::DtmfReceived { call: call.0, key });
                }
            }
            Event::TransferRequested {
                call,
                target,
                replaces,
                referred_by,
            } => self.on_transfer_requested(call, target, replaces, referred_by),
            Event::TransferProgress { call, status, done } => {
                self.on_transfer_progress(now, call.0, status, done)
            }
            Event::Ended { call, reason } => self.call_ended(now, call.0, reason),
            Event::MessageReceived {
                account,
                from,
                content_type,
                body,
            } => self.message_received(now, account, &from, &content_type, &body),
            Event::MessageDelivered { id } => self.message_delivered(now, id),
            Event::Notified {
                id, state, body, ..
            } if self.is_lamp(id) => self.on_lamp_notified(now, id, state, &body),
            Event::Notified {
                id,
                state,
                content_type,
                body,
            } => self.on_notified(now, id, state, content_type, &body),
            Event::SubscriptionEnded {
                id,
                reason,
                retrying,
            } if self.is_lamp(id) => self.on_lamp_ended(now, id, reason, retrying),
            Event::SubscriptionEnded {
                id,
                reason,
                retrying,
            } => self.on_subscription_ended(now, id, reason, retrying),
            Event::PublicationState {
                id,
                published,
                detail,
            } => self.on_publication_state(id, published, &detail),
            Event::MessageFailed { id, status, reason } => {
                self.message_failed(now, id, status, reason)
            }
        }
    }

    pub(super) fn on_media_report(&mut self, now: Instant, call: CallId, r: MediaReport) {
        match r {
            MediaReport::Dtmf(key) => self.emit(now, PhoneEvent::DtmfReceived { call, key }),
            MediaReport::DtmfNeedsInfo(keys) => {
                for key in keys.chars() {
                    let body = format!("Signal={key}\r\nDuration=160\r\n").into_bytes();
                    let _ =
                        self.ua
                            .send_info(now, ua::CallId(call), "application/dtmf-relay", body);
                }
            }
            MediaReport::SourceEnded => self.emit(now, PhoneEvent::PlaybackFinished { call }),
            MediaReport::Recording(path) => {
                self.emit(
                    now,
                    PhoneEvent::Recording {
                        call,
                        path,
                        error: None,
                    },
                );
            }
            MediaReport::RecordingFailed(why) => {
                let error = Some(why);
                self.emit(
                    now,
                    PhoneEvent::Recording {
                        call,
                        path: None,
                        error,
                    },
                );
            }
            MediaReport::Failed(why) => {
                tracing::warn!(call, "media failed: {why}");
                if let Some(c) = self.calls.get_mut(&call) {
                    c.failure = Some(why);
                }
                let _ = self.ua.hangup(now, ua::CallId(call));
            }
            MediaReport::Stopped(stats) => {
                // Only a call that ended waits for its figures.
                let ended = self
                    .calls
                    .get(&call)
                    .is_some_and(|c| c.media == MediaPhase::Running && c.ended.is_some());
                if !ended {
                    return;
                }
                let ended = self.calls.remove(&call).and_then(|c| c.ended);
                if let Some(PhoneEvent::Ended {
                    call,
                    reason,
                    status,
                    detail,
                    ..
                }) = ended
                {
                    self.emit(
                        now,
                        PhoneEvent::Ended {
                            call,
                            reason,
                            status,
                            detail,
                            stats: Some(stats),
                        },
                    );
                }
            }
        }
    }
}

/// `Signal=5` in an application/dtmf-relay INFO body.
fn dtmf_relay_key(body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("signal") {
            v.trim()
                .chars()
                .next()
                .filter(|c| hookswitch_media::dtmf::event_code(*c).is_some())
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_relay_bodies() {
        assert_eq!(dtmf_relay_key(b"Signal=5\r\nDuration=160\r\n"), Some('5'));
        assert_eq!(dtmf_relay_key(b"Signal= #\r\n"), Some('#'));
        assert_eq!(dtmf_relay_key(b"Duration=160"), None);
        assert_eq!(dtmf_relay_key(&[0xff]), None);
    }
}
