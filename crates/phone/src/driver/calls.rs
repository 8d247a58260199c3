//! Calls at the edge: placing and answering them, offer/answer, and each call's
//! media task and RTP socket.

use std::time::Instant;

use hookswitch_media::codec::CodecKind;
use hookswitch_media::sdp::{
    Direction, LocalMedia, Negotiated, NegotiationError, SessionDescription, apply_answer,
    create_answer, create_offer,
};
use hookswitch_media::srtp::SrtpMode;
use hookswitch_sip::message::Uri;
use hookswitch_sip::ua::{self, AccountId, Transport};

use super::media::{CallAudio, MediaControl, MediaSockets, MediaTask};
use super::{Command, Driver};
use crate::api::{CallId, CallSummary, EngineError, PhoneEvent};
use crate::audio::{AudioSource, AudioSpec, Gain};

/// What the driver keeps per call beside the UA's own state.
pub(super) struct CallMedia {
    pub(super) sockets: MediaSockets,
    pub(super) local: LocalMedia,
    /// Our offer awaiting an answer (outgoing calls, offerless incoming INVITEs).
    pub(super) offer: Option<SessionDescription>,
    /// The peer's offer awaiting our answer (incoming calls).
    pub(super) remote_offer: Option<Vec<u8>>,
    pub(super) audio: AudioSpec,
    /// The source opened when the call was placed, at this sample rate.
    pub(super) prepared_source: Option<(u32, Box<dyn AudioSource>)>,
    pub(super) task: Option<MediaTask>,
    pub(super) negotiated: Option<Negotiated>,
    /// An Ended event waiting for the media task's final figures.
    pub(super) ended: Option<PhoneEvent>,
    /// Our hold or resume re-INVITE is out: the direction to go back to if
    /// the peer refuses it.
    pub(super) hold_before: Option<Direction>,
    /// A hold (true) or resume asked for while another offer was out: sent
    /// when that one is done (two quick presses of Hold both count).
    pub(super) hold_wanted: Option<bool>,
}

impl Driver {
    /// Mutes or unmutes a call's microphone, and says so.
    pub(super) fn mute(&mut self, call: CallId, muted: bool) -> Result<(), EngineError> {
        self.tell_media(call, MediaControl::Mute(muted))?;
        self.emit(PhoneEvent::Muted { call, muted });
        Ok(())
    }

    /// New gains for a call's earpiece and microphone (`None`: unchanged).
    pub(super) fn set_volume(
        &mut self,
        call: CallId,
        speaker: Option<Gain>,
        microphone: Option<Gain>,
    ) -> Result<(), EngineError> {
        self.tell_media(
            call,
            MediaControl::Volume {
                speaker,
                microphone,
            },
        )?;
        self.emit(PhoneEvent::Volume {
            call,
            speaker_percent: speaker.map(Gain::percent),
            microphone_percent: microphone.map(Gain::percent),
        });
        Ok(())
    }

    /// Hands `control` to a call's media task; no task is no such call.
    pub(super) fn tell_media(
        &self,
        call: CallId,
        control: MediaControl,
    ) -> Result<(), EngineError> {
        let task = self
            .calls
            .get(&call)
            .and_then(|c| c.task.as_ref())
            .ok_or(EngineError::NoSuchCall(call))?;
        task.send(control);
        Ok(())
    }

    pub(super) fn on_command(&mut self, c: Command) {
        let now = Instant::now();
        match c {
            Command::Call {
                target,
                account,
                audio,
                reply,
            } => {
                let _ = reply.send(self.place_call(now, &target, account.as_deref(), audio));
            }
            Command::Answer { call, audio, reply } => {
                let _ = reply.send(self.answer(now, call, audio));
            }
            Command::Reject {
                call,
                status,
                reply,
            } => {
                let _ = reply.send(self.refuse(now, call, status));
            }
            Command::Handling {
                account,
                change,
                reply,
            } => {
                let _ = reply.send(self.change_handling(account.as_deref(), change));
            }
            Command::Hangup { call, reply } => {
                let targets = match call {
                    Some(c) => vec![ua::CallId(c)],
                    None => self.ua.active_calls(),
                };
                let mut result = Ok(());
                for c in targets {
                    if let Err(e) = self.ua.hangup(now, c) {
                        result = Err(map_ua_error(e, c.0));
                    }
                }
                let _ = reply.send(result);
            }
            Command::Dtmf { call, keys, reply } => {
                let r = match self.calls.get(&call).and_then(|c| c.task.as_ref()) {
                    Some(t) => {
                        t.send(MediaControl::Dtmf(keys));
                        Ok(())
                    }
                    None => Err(EngineError::WrongState),
                };
                let _ = reply.send(r);
            }
            Command::Mute { call, muted, reply } => {
                let _ = reply.send(self.mute(call, muted));
            }
            Command::Transfer {
                call,
                target,
                reply,
            } => {
                let _ = reply.send(self.transfer(now, call, &target));
            }
            Command::TransferAttended {
                call,
                consult,
                reply,
            } => {
                let _ = reply.send(self.transfer_attended(now, call, consult));
            }
            Command::Hold { call, held, reply } => {
                let _ = reply.send(self.hold(now, call, held));
            }
            Command::Stats { call, reply } => {
                match self.calls.get(&call).and_then(|c| c.task.as_ref()) {
                    // The media task answers.
                    Some(t) => t.send(MediaControl::Stats(reply)),
                    None => {
                        let _ = reply.send(Err(if self.calls.contains_key(&call) {
                            EngineError::WrongState
                        } else {
                            EngineError::NoSuchCall(call)
                        }));
                    }
                }
            }
            Command::Volume {
                call,
                speaker,
                microphone,
                reply,
            } => {
                let _ = reply.send(self.set_volume(call, speaker, microphone));
            }
            Command::Calls { reply } => {
                let list = self
                    .ua
                    .active_calls()
                    .into_iter()
                    .filter_map(|c| {
                        let info = self.ua.call_info(c)?;
                        let held = self.calls.get(&c.0).is_some_and(|m| {
                            m.hold_wanted
                                .unwrap_or(m.local.direction == Direction::SendOnly)
                        });
                        Some(CallSummary {
                            call: c.0,
                            outgoing: info.outgoing,
                            remote: info.remote.to_string(),
                            established: info.established,
                            held,
                        })
                    })
                    .collect();
                let _ = reply.send(list);
            }
            Command::DeskLatency { reply } => {
                let _ = reply.send(self.stopwatch.report());
            }
            Command::Shutdown { .. } => {}
        }
    }

    pub(super) fn place_call(
        &mut self,
        now: Instant,
        target: &str,
        account: Option<&str>,
        audio: AudioSpec,
    ) -> Result<CallId, EngineError> {
        if target.eq_ignore_ascii_case("echo")
            && let Some(echo) = &self.settings.echo
        {
            // The built-in echo test, straight to it (no account involved).
            let uri = target_uri(&format!("sip:echo@{}", echo.address), None)?;
            return self.call_uri(now, &uri, None, audio, Vec::new());
        }
        let account_id = account.map(|name| self.account_id(name)).transpose()?;
        let uri = target_uri(target, self.account_aor(account_id))?;
        self.call_uri(now, &uri, account_id, audio, Vec::new())
    }

    /// Places a call to `uri`, with `headers` in its INVITE.
    pub(super) fn call_uri(
        &mut self,
        now: Instant,
        uri: &Uri,
        account_id: Option<AccountId>,
        audio: AudioSpec,
        headers: Vec<(hookswitch_sip::message::HeaderName, String)>,
    ) -> Result<CallId, EngineError> {
        let target = uri.to_string();
        // Open the audio before anything goes on the wire (a bad file fails the
        // call here), and keep it for when media starts.
        let rate = self
            .codecs_for(account_id)
            .first()
            .map_or(8000, |c| c.sample_rate());
        let source = audio.source(rate).map_err(EngineError::Audio)?;
        let socket = self.bind_media().map_err(|e| EngineError::Bind {
            addr: "media port".into(),
            reason: e.to_string(),
        })?;
        let hop = self
            .ua
            .call_first_hop(account_id, uri)
            .map_err(|_| EngineError::BadTarget(target.clone()))?;
        let srtp = self.srtp_for(account_id, hop.transport)?;
        let local = self.local_media(&socket, account_id, srtp);
        let offer = create_offer(&local);
        let call = self
            .ua
            .call_with_headers(now, account_id, uri, offer.to_bytes(), headers)
            .map_err(|_| EngineError::BadTarget(target.clone()))?;
        self.calls.insert(
            call.0,
            CallMedia {
                prepared_source: Some((rate, source)),
                ..CallMedia::new(socket, local, Some(offer), None, audio)
            },
        );
        self.emit(PhoneEvent::Calling {
            call: call.0,
            to: target,
            account: self.account_name(account_id),
        });
        Ok(call.0)
    }

    pub(super) fn answer(
        &mut self,
        now: Instant,
        call: CallId,
        audio: AudioSpec,
    ) -> Result<(), EngineError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EngineError::NoSuchCall(call))?;
        c.audio = audio;
        let sdp = match c.remote_offer.take() {
            Some(offer_bytes) => {
                let answer = SessionDescription::parse(&offer_bytes)
                    .map_err(|_| NegotiationError::NoAudio)
                    .and_then(|offer| create_answer(&offer, &c.local));
                match answer {
                    Ok((answer, negotiated)) => {
                        c.negotiated = Some(negotiated);
                        answer.to_bytes()
                    }
                    Err(e) => {
                        tracing::info!(call, "cannot answer the offer: {e}");
                        self.ua
                            .reject(now, ua::CallId(call), 488)
                            .map_err(|e| map_ua_error(e, call))?;
                        return Err(EngineError::Audio(e.to_string()));
                    }
                }
            }
            None => {
                // An INVITE without SDP: we offer in the 200, the ACK answers.
                let offer = create_offer(&c.local);
                let bytes = offer.to_bytes();
                c.offer = Some(offer);
                bytes
            }
        };
        self.ua
            .answer(now, ua::CallId(call), sdp)
            .map_err(|e| map_ua_error(e, call))?;
        self.start_media(call)
    }

    pub(super) fn answer_remote_offer(&mut self, call: ua::CallId, sdp: Option<Vec<u8>>) {
        let now = Instant::now();
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        c.local.session_version += 1;
        let answer = match sdp {
            Some(bytes) => match SessionDescription::parse(&bytes)
                .map_err(|_| NegotiationError::NoAudio)
                .and_then(|o| create_answer(&o, &c.local))
            {
                Ok((answer, negotiated)) => {
                    let direction = negotiated.direction;
                    if let Some(t) = &c.task {
                        t.send(MediaControl::Update(negotiated.clone()));
                    }
                    c.negotiated = Some(negotiated);
                    self.emit(PhoneEvent::MediaUpdated {
                        call: call.0,
                        direction: direction.attribute().into(),
                    });
                    answer
                }
                Err(e) => {
                    tracing::info!(%call, "re-INVITE offer unusable: {e}");
                    create_offer(&c.local)
                }
            },
            None => {
                let offer = create_offer(&c.local);
                c.offer = Some(offer.clone());
                offer
            }
        };
        let _ = self.ua.answer_offer(now, call, answer.to_bytes());
    }

    /// Offers hold (`sendonly`, RFC 6337 5.1: we may still send, e.g. music) or
    /// resume (`sendrecv`) in a re-INVITE. Our microphone stops at once; the
    /// stream follows the peer's answer.
    pub(super) fn hold(
        &mut self,
        now: Instant,
        call: CallId,
        held: bool,
    ) -> Result<(), EngineError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EngineError::NoSuchCall(call))?;
        if c.task.is_none() {
            return Err(EngineError::WrongState);
        }
        if self.ua.offer_pending(ua::CallId(call)) {
            c.hold_wanted = Some(held);
            return Ok(());
        }
        let direction = if held {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        };
        let previous = c.local.direction;
        c.local.direction = direction;
        c.local.session_version += 1;
        let offer = create_offer(&c.local);
        if let Err(e) = self.ua.reinvite(now, ua::CallId(call), offer.to_bytes()) {
            c.local.direction = previous;
            return Err(map_ua_error(e, call));
        }
        c.offer = Some(offer);
        c.hold_before = Some(previous);
        if let Some(t) = &c.task {
            t.send(MediaControl::Hold(held));
        }
        self.emit(PhoneEvent::Held { call, held });
        Ok(())
    }

    /// A hold or resume that waited for an offer to complete goes out now.
    pub(super) fn send_wanted_hold(&mut self, call: CallId) {
        let Some(held) = self.calls.get_mut(&call).and_then(|c| c.hold_wanted.take()) else {
            return;
        };
        if let Err(e) = self.hold(Instant::now(), call, held) {
            tracing::warn!(call, "the hold that waited failed: {e}");
        }
    }

    /// The peer refused our re-INVITE: a hold or resume did not happen, so the
    /// call goes back to how it was.
    pub(super) fn offer_rejected(&mut self, call: CallId, status: u16) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(previous) = c.hold_before.take() else {
            return;
        };
        let wanted = c.local.direction;
        c.local.direction = previous;
        if let Some(t) = &c.task {
            t.send(MediaControl::Hold(previous == Direction::SendOnly));
        }
        self.emit(PhoneEvent::HoldFailed {
            call,
            held: wanted == Direction::SendOnly,
            status,
        });
    }

    /// Reads the peer's answer to our offer and starts (or updates) media.
    pub(super) fn apply_remote_answer(&mut self, call: CallId, sdp: &[u8]) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(offer) = &c.offer else { return };
        match SessionDescription::parse(sdp)
            .map_err(|_| NegotiationError::NoAudio)
            .and_then(|a| apply_answer(offer, &a))
        {
            Ok(n) => {
                let direction = n.direction;
                let update = c.task.is_some();
                if let Some(t) = &c.task {
                    t.send(MediaControl::Update(n.clone()));
                }
                c.negotiated = Some(n);
                c.hold_before = None;
                if update {
                    self.emit(PhoneEvent::MediaUpdated {
                        call,
                        direction: direction.attribute().into(),
                    });
                }
                let Some(c) = self.calls.get_mut(&call) else {
                    return;
                };
                if c.task.is_none()
                    && let Err(e) = self.start_media(call)
                {
                    tracing::warn!(call, "media did not start: {e}");
                }
            }
            Err(e) => tracing::warn!(call, "unusable SDP answer: {e}"),
        }
    }

    pub(super) fn start_media(&mut self, call: CallId) -> Result<(), EngineError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EngineError::NoSuchCall(call))?;
        let Some(negotiated) = c.negotiated.clone() else {
            return Ok(());
        };
        let rate = negotiated.codec.sample_rate();
        let source = match c.prepared_source.take() {
            Some((prepared_rate, source)) if prepared_rate == rate => source,
            _ => c.audio.source(rate).map_err(EngineError::Audio)?,
        };
        let sink = c.audio.sink(rate).map_err(EngineError::Audio)?;
        let recorder = c.audio.recorder(rate).map_err(EngineError::Audio)?;
        let echo = c
            .audio
            .echo_canceller(self.settings.echo_cancellation, rate);
        c.task = Some(MediaTask::spawn(
            call,
            c.sockets.clone(),
            negotiated,
            CallAudio {
                source,
                sink,
                recorder,
                echo,
            },
            self.settings.rtcp_interval,
            self.media_tx.clone(),
        ));
        Ok(())
    }

    /// A call's media sockets: a pair whose public address STUN has learnt,
    /// if one is ready, else a new pair (behind a NAT, assumed to keep its
    /// port at our public address, as most NATs do).
    pub(super) fn bind_media(&self) -> std::io::Result<MediaSockets> {
        let ip = self.nat.local_ip();
        if let Some(sockets) = self.media_pool.as_ref().and_then(|p| p.take(ip)) {
            tracing::debug!(public = %sockets.public, "media sockets mapped by STUN");
            return Ok(sockets);
        }
        let mut sockets = MediaSockets::bind(ip)?;
        sockets.public.set_ip(self.nat.advertised().ip());
        tracing::debug!(public = %sockets.public, "media sockets bound now");
        Ok(sockets)
    }

    /// The codecs a call of `account` offers or accepts.
    fn codecs_for(&self, account: Option<AccountId>) -> &[CodecKind] {
        account
            .and_then(|a| self.settings.account_codecs.get(a.0))
            .unwrap_or(&self.settings.codecs)
    }

    /// The SRTP mode of a call of `account` whose signaling goes over
    /// `transport`: the account's over TLS, off otherwise (SDES keys would
    /// travel in the clear); an error when the account requires SRTP and the
    /// signaling is not over TLS.
    pub(super) fn srtp_for(
        &self,
        account: Option<AccountId>,
        transport: Transport,
    ) -> Result<SrtpMode, EngineError> {
        let wanted = account
            .and_then(|a| self.settings.account_srtp.get(a.0).copied())
            .unwrap_or_default();
        match (wanted, transport) {
            (mode, Transport::Tls) => Ok(mode),
            (SrtpMode::Required, _) => Err(EngineError::Config(
                "this account requires SRTP, which needs SIP over TLS (transport = \"tls\")".into(),
            )),
            _ => Ok(SrtpMode::Off),
        }
    }

    pub(super) fn local_media(
        &mut self,
        sockets: &MediaSockets,
        account: Option<AccountId>,
        srtp: SrtpMode,
    ) -> LocalMedia {
        let codecs = self.codecs_for(account).to_vec();
        self.session_ids += 1;
        LocalMedia {
            address: sockets.public.ip(),
            port: sockets.public.port(),
            codecs,
            telephone_event: self.settings.telephone_event,
            comfort_noise: self.settings.comfort_noise,
            rtcp_xr: self.settings.rtcp_xr,
            rtcp_mux: self.settings.rtcp_mux,
            ptime: 20,
            direction: Direction::SendRecv,
            session_id: self.session_ids,
            session_version: 1,
            srtp,
            srtp_key: hookswitch_media::srtp::new_key(),
        }
    }
}

impl CallMedia {
    pub(super) fn new(
        sockets: MediaSockets,
        local: LocalMedia,
        offer: Option<SessionDescription>,
        remote_offer: Option<Vec<u8>>,
        audio: AudioSpec,
    ) -> Self {
        CallMedia {
            sockets,
            local,
            offer,
            remote_offer,
            audio,
            prepared_source: None,
            task: None,
            negotiated: None,
            ended: None,
            hold_before: None,
            hold_wanted: None,
        }
    }
}

pub(super) fn map_ua_error(e: ua::UaError, call: CallId) -> EngineError {
    match e {
        ua::UaError::NoSuchCall => EngineError::NoSuchCall(call),
        _ => EngineError::WrongState,
    }
}

/// Turns what a user typed into a SIP URI: full URIs as they are, `user@host` as
/// `sip:user@host`, and a bare number or name as a user at the account's domain.
pub fn target_uri(
    target: &str,
    account_aor: Option<&hookswitch_sip::message::SipUri>,
) -> Result<Uri, EngineError> {
    let target = target.trim();
    let text =
        if target.contains(':') && (target.starts_with("sip:") || target.starts_with("sips:")) {
            target.to_string()
        } else if target.contains('@') {
            format!("sip:{target}")
        } else {
            let aor = account_aor.ok_or_else(|| {
                EngineError::BadTarget(format!(
                    "{target} (a number needs an account, or write sip:user@host)"
                ))
            })?;
            let mut host = aor.host.clone();
            if let Some(p) = aor.port {
                host = format!("{host}:{p}");
            }
            format!("sip:{target}@{host}")
        };
    match text.parse::<Uri>() {
        Ok(u @ Uri::Sip(_)) => Ok(u),
        _ => Err(EngineError::BadTarget(target.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            target_uri("sip:bob@h:5070", None).unwrap().to_string(),
            "sip:bob@h:5070"
        );
        assert_eq!(
            target_uri("bob@127.0.0.1", None).unwrap().to_string(),
            "sip:bob@127.0.0.1"
        );
        let aor = match "sip:alice@example.com".parse::<Uri>().unwrap() {
            Uri::Sip(u) => u,
            _ => unreachable!(),
        };
        assert_eq!(
            target_uri("1234", Some(&aor)).unwrap().to_string(),
            "sip:1234@example.com"
        );
        assert!(target_uri("1234", None).is_err());
        assert!(target_uri("tel:1234", None).is_err());
    }
}
