//! What the user agent and the media tasks report, turned into phone events
//! and the actions they call for.

use std::time::Instant;

use hookswitch_sip::ua::{self, EndReason, Event, RegistrationState};

use super::Driver;
use super::calls::CallMedia;
use super::media::{MediaControl, MediaReport};
use crate::api::PhoneEvent;
use crate::audio::AudioSpec;

impl Driver {
    pub(super) fn on_ua_event(&mut self, e: Event) {
        let now = Instant::now();
        match e {
            Event::Registration { account, state } => {
                let (state, detail, status) = match state {
                    RegistrationState::Registering => ("registering", None, None),
                    RegistrationState::Registered { expires } => {
                        ("registered", Some(format!("expires in {expires} s")), None)
                    }
                    RegistrationState::Unregistered => ("unregistered", None, None),
                    RegistrationState::Failed {
                        reason,
                        retry_in,
                        status,
                    } => (
                        "failed",
                        Some(match retry_in {
                            Some(s) => format!("{reason}; retrying in {s} s"),
                            None => reason,
                        }),
                        status,
                    ),
                };
                self.emit(PhoneEvent::Registration {
                    account: self.account_name(Some(account)).unwrap_or_default(),
                    state: state.into(),
                    detail,
                    status,
                });
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
            } => {
                // A call that replaces one of ours proves it knows that dialog:
                // it is neither a stranger's nor one to let ring.
                let replacing = replaces.is_some();
                if !replacing && account.is_none() && !self.settings.accept_p2p {
                    tracing::info!(%call, %from, "refused: peer-to-peer calls are off (sip.accept_p2p)");
                    let _ = self.ua.reject(now, call, 403);
                    return;
                }
                if self.settings.only_from_registrar && !via_registrar {
                    tracing::info!(%call, %from, "refused: not from a registrar (sip.only_from_registrar)");
                    let _ = self.ua.reject(now, call, 403);
                    return;
                }
                // DND and forwarding answer before anything rings.
                let ring_timers = if replacing {
                    Vec::new()
                } else {
                    match self.dispose(now, call, account, &from, answer_after) {
                        Some(timers) => timers,
                        None => return,
                    }
                };
                let sockets = match self.bind_media() {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!("no media port: {e}");
                        let _ = self.ua.reject(now, call, 500);
                        return;
                    }
                };
                let transport = self.ua.call_transport(call).unwrap_or(ua::Transport::Udp);
                let srtp = match self.srtp_for(account, transport) {
                    Ok(mode) => mode,
                    Err(e) => {
                        tracing::info!(%call, "refused: {e}");
                        let _ = self.ua.reject(now, call, 488);
                        return;
                    }
                };
                let local = self.local_media(&sockets, account, srtp);
                self.calls.insert(
                    call.0,
                    CallMedia::new(sockets, local, None, offer, AudioSpec::default()),
                );
                self.emit(PhoneEvent::IncomingCall {
                    call: call.0,
                    from: from.to_string(),
                    to: to.to_string(),
                    account: self.account_name(account),
                    answer_after,
                    replaces: replaces.map(|old| old.0),
                });
                if let Some(old) = replaces {
                    // The new call takes the old one's place, sound and all.
                    let audio = self
                        .calls
                        .get(&old.0)
                        .map(|c| c.audio.clone())
                        .unwrap_or_default();
                    if let Err(e) = self.answer(now, call.0, audio) {
                        tracing::warn!(%call, "cannot answer the replacing call: {e}");
                        return;
                    }
                    if let Err(e) = self.ua.hangup(now, old) {
                        tracing::debug!(%old, "the replaced call: {e}");
                    }
                    return;
                }
                let _ = self.ua.ring(now, call);
                for (after, timer) in ring_timers {
                    self.ring_timers.push((now + after, call.0, timer));
                }
            }
            Event::Progress {
                call,
                status,
                reason,
                sdp,
            } => {
                if let Some(sdp) = sdp {
                    self.apply_remote_answer(call.0, &sdp);
                }
                self.emit(PhoneEvent::Progress {
                    call: call.0,
                    status,
                    reason,
                });
            }
            Event::Established { call, sdp } => {
                self.ring_timers.retain(|(_, c, _)| *c != call.0);
                self.report_transfer(now, call.0, 200);
                if let Some(sdp) = sdp {
                    self.apply_remote_answer(call.0, &sdp);
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
                self.emit(PhoneEvent::Established {
                    call: call.0,
                    codec,
                    remote_media: remote,
                    encryption,
                });
            }
            Event::RemoteOffer { call, sdp } => {
                self.answer_remote_offer(call, sdp);
                self.send_wanted_hold(call.0);
            }
            Event::MessageWaiting { account, summary } => {
                let account = self.account_name(account);
                self.emit(PhoneEvent::MessageWaiting {
                    account,
                    waiting: summary.waiting,
                    new: summary.new,
                    old: summary.old,
                });
            }
            Event::OfferAnswered { call, sdp } => {
                if let Some(sdp) = sdp {
                    self.apply_remote_answer(call.0, &sdp);
                }
                self.send_wanted_hold(call.0);
            }
            Event::OfferRejected { call, status } => {
                tracing::info!(%call, status, "our re-INVITE was refused");
                self.offer_rejected(call.0, status);
                self.send_wanted_hold(call.0);
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
                    self.emit(PhoneEvent::DtmfReceived { call: call.0, key });
                }
            }
            Event::TransferRequested {
                call,
                target,
                replaces,
                referred_by,
            } => self.on_transfer_requested(now, call, target, replaces, referred_by),
            Event::TransferProgress { call, status, done } => {
                self.on_transfer_progress(now, call.0, status, done)
            }
            Event::Ended { call, reason } => {
                self.ring_timers.retain(|(_, c, _)| *c != call.0);
                let failed_with = match &reason {
                    EndReason::Rejected { status, .. } => *status,
                    EndReason::Timeout => 408,
                    _ => 487,
                };
                self.report_transfer(now, call.0, failed_with);
                let (reason, status, detail) = match reason {
                    EndReason::Local => ("local", None, None),
                    EndReason::Remote => ("remote", None, None),
                    EndReason::Cancelled => ("cancelled", None, None),
                    EndReason::Rejected { status, reason } => {
                        ("rejected", Some(status), Some(reason))
                    }
                    EndReason::Timeout => (
                        "timeout",
                        None,
                        Some("no answer from the network".to_string()),
                    ),
                };
                let ended = PhoneEvent::Ended {
                    call: call.0,
                    reason: reason.into(),
                    status,
                    detail,
                    stats: None,
                };
                match self.calls.get_mut(&call.0) {
                    // Wait for the media task's figures before telling the user.
                    Some(c) if c.task.is_some() => {
                        c.ended = Some(ended);
                        if let Some(t) = c.task.take() {
                            t.send(MediaControl::Stop);
                        }
                    }
                    _ => {
                        self.calls.remove(&call.0);
                        self.emit(ended);
                    }
                }
            }
        }
    }

    pub(super) fn on_media_report(&mut self, r: MediaReport) {
        match r {
            MediaReport::Dtmf(call, key) => self.emit(PhoneEvent::DtmfReceived { call, key }),
            MediaReport::DtmfNeedsInfo(call, keys) => {
                for key in keys.chars() {
                    let body = format!("Signal={key}\r\nDuration=160\r\n").into_bytes();
                    let _ = self.ua.send_info(
                        Instant::now(),
                        ua::CallId(call),
                        "application/dtmf-relay",
                        body,
                    );
                }
            }
            MediaReport::SourceEnded(call) => self.emit(PhoneEvent::PlaybackFinished { call }),
            MediaReport::Stopped(call, stats) => {
                let ended = self.calls.remove(&call).and_then(|c| c.ended);
                if let Some(PhoneEvent::Ended {
                    call,
                    reason,
                    status,
                    detail,
                    ..
                }) = ended
                {
                    self.emit(PhoneEvent::Ended {
                        call,
                        reason,
                        status,
                        detail,
                        stats: Some(stats),
                    });
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
