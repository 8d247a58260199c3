//! Calls in the core: placing and answering them (each one step that
//! succeeds whole or says why not), offer/answer, hold, mute, volume, and
//! their media's life.

use std::net::SocketAddr;
use std::time::Instant;

use hookswitch_media::codec::CodecKind;
use hookswitch_media::sdp::{
    Direction, LocalMedia, Negotiated, NegotiationError, SessionDescription, apply_answer,
    create_answer, create_offer,
};
use hookswitch_media::srtp::SrtpMode;
use hookswitch_sip::message::{HeaderName, Uri};
use hookswitch_sip::ua::{self, AccountId, Transport};
use rand::RngExt;

use super::{MediaCommand, MediaStart, Origin, Output, PhoneCore, Purpose};
use crate::action::Reply;
use crate::audio::{AudioSpec, Gain};
use crate::error::EngineError;
use crate::event::{CallId, EndReason, PhoneEvent};

/// Where a call's media is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MediaPhase {
    /// Nothing asked of the edge yet (a ringing call).
    None,
    /// The edge prepares sockets and sound.
    Preparing,
    /// Prepared, waiting for offer/answer to finish.
    Prepared,
    Running,
}

/// What the core keeps per call beside the user agent's own state.
#[derive(Debug)]
pub(super) struct CoreCall {
    pub account: Option<AccountId>,
    pub audio: AudioSpec,
    pub srtp: SrtpMode,
    /// Our side of the session, once its media is prepared.
    pub local: Option<LocalMedia>,
    /// Our offer awaiting an answer.
    pub offer: Option<SessionDescription>,
    /// The peer's offer awaiting our answer (an incoming INVITE's).
    pub remote_offer: Option<Vec<u8>>,
    pub negotiated: Option<Negotiated>,
    pub media: MediaPhase,
    pub established: bool,
    /// An Ended event waiting for the media's final figures.
    pub ended: Option<PhoneEvent>,
    /// Why the call could not go on here, when that is why it ends.
    pub failure: Option<String>,
    /// Our hold or resume re-INVITE is out: the direction to go back to if
    /// the peer refuses it.
    pub hold_before: Option<Direction>,
    /// A hold (true) or resume asked for while another offer was out: sent
    /// when that one is done (two quick presses of Hold both count).
    pub hold_wanted: Option<bool>,
    /// An offer of ours in a re-INVITE or in our 2xx to an offerless one
    /// waits for its answer: an answer we cannot use, or none, ends the
    /// call (a session refresh's answer does not).
    pub offer_outstanding: bool,
    pub muted: bool,
    pub speaker: Gain,
    pub microphone: Gain,
}

impl CoreCall {
    fn new(account: Option<AccountId>, audio: AudioSpec, srtp: SrtpMode) -> Self {
        CoreCall {
            account,
            audio,
            srtp,
            local: None,
            offer: None,
            remote_offer: None,
            negotiated: None,
            media: MediaPhase::None,
            established: false,
            ended: None,
            failure: None,
            hold_before: None,
            hold_wanted: None,
            offer_outstanding: false,
            muted: false,
            speaker: Gain::UNITY,
            microphone: Gain::UNITY,
        }
    }

    pub fn incoming(
        account: Option<AccountId>,
        offer: Option<Vec<u8>>,
        audio: AudioSpec,
        srtp: SrtpMode,
    ) -> Self {
        CoreCall {
            remote_offer: offer,
            ..CoreCall::new(account, audio, srtp)
        }
    }

    /// On hold by us (or about to be: the hold waits for an offer to end).
    pub fn held(&self) -> bool {
        self.hold_wanted.unwrap_or_else(|| {
            self.local
                .as_ref()
                .is_some_and(|l| l.direction == Direction::SendOnly)
        })
    }
}

/// A call to be placed once its media is prepared.
#[derive(Debug)]
pub(super) struct Placing {
    pub uri: Uri,
    pub account: Option<AccountId>,
    pub headers: Vec<(HeaderName, String)>,
    pub origin: Origin,
    pub audio: AudioSpec,
    pub srtp: SrtpMode,
    /// Calls we talk on are held once this one can go.
    pub hold_others: bool,
}

impl PhoneCore {
    /// The sound of a call with none of its own, by who asked for it: the
    /// acting device's card for a device's gesture.
    pub(super) fn phone_audio(&self, origin: Origin) -> AudioSpec {
        if let (Origin::AutoAnswer, Some(audio)) = (origin, &self.settings.answer_audio) {
            return audio.clone();
        }
        let paired = match origin {
            Origin::Desk => self
                .desk
                .acting_device()
                .and_then(|d| self.sound_cards.get(&d)),
            _ => None,
        };
        self.settings.sound.audio(paired.map(String::as_str))
    }

    /// Asks the edge to prepare a call to `target`: the call goes out once
    /// its sockets and sound are ready ([`Self::on_prepared`]).
    pub(super) fn place(
        &mut self,
        target: &str,
        account: Option<&str>,
        audio: Option<AudioSpec>,
        origin: Origin,
    ) {
        let placing = self
            .resolve_target(target, account)
            .and_then(|(uri, account)| self.placing(uri, account, audio, origin, Vec::new()));
        match placing {
            Ok(p) => self.prepare_place(p),
            Err(e) => self.place_failed(origin, e),
        }
    }

    /// Checks a call to `uri` can go (its transport allows its SRTP).
    pub(super) fn placing(
        &self,
        uri: Uri,
        account: Option<AccountId>,
        audio: Option<AudioSpec>,
        origin: Origin,
        headers: Vec<(HeaderName, String)>,
    ) -> Result<Placing, EngineError> {
        let hop = self
            .ua
            .call_first_hop(account, &uri)
            .map_err(|_| EngineError::BadTarget(uri.to_string()))?;
        let srtp = self.srtp_for(account, hop.transport)?;
        Ok(Placing {
            audio: audio.unwrap_or_else(|| self.phone_audio(origin)),
            hold_others: matches!(origin, Origin::Face(_) | Origin::Desk),
            uri,
            account,
            headers,
            origin,
            srtp,
        })
    }

    pub(super) fn prepare_place(&mut self, p: Placing) {
        let sample_rate = self
            .codecs_for(p.account)
            .first()
            .map_or(8000, |c| c.sample_rate());
        let call = self.ua.reserve_call_id().0;
        let audio = p.audio.clone();
        self.preparing.insert(call, Purpose::Place(Box::new(p)));
        self.outputs.push_back(Output::Prepare {
            call,
            audio,
            sample_rate,
        });
    }

    /// A call could not be placed: whoever asked hears why.
    pub(super) fn place_failed(&mut self, origin: Origin, e: EngineError) {
        match origin {
            // A handset still lifted hears the busy tone.
            Origin::Desk => self.desk.place_failed(),
            Origin::Transfer { asked_in } => {
                tracing::info!(asked_in, "cannot call the transfer target: {e}");
                // The peer that asked hears it failed.
                self.report_failed_transfer(asked_in);
            }
            _ => {}
        }
        self.finish(origin, Err(e));
    }

    /// The edge prepared (or could not prepare) a call's media.
    pub(super) fn on_prepared(
        &mut self,
        now: Instant,
        call: CallId,
        result: Result<SocketAddr, String>,
    ) {
        match self.preparing.remove(&call) {
            Some(Purpose::Place(p)) => self.placed(now, call, *p, result),
            Some(Purpose::Answer { origin, success }) => {
                self.answered(now, call, origin, success, result)
            }
            None => {
                // Nobody waits for it any more (the call ended meanwhile).
                if result.is_ok() {
                    self.outputs.push_back(Output::Release { call });
                }
            }
        }
    }

    fn placed(
        &mut self,
        now: Instant,
        call: CallId,
        p: Placing,
        result: Result<SocketAddr, String>,
    ) {
        let public = match result {
            Ok(a) => a,
            Err(e) => return self.place_failed(p.origin, EngineError::Audio(e)),
        };
        if p.hold_others {
            self.hold_talking(now, None);
        }
        let v6 = self
            .ua
            .call_first_hop(p.account, &p.uri)
            .is_ok_and(|hop| ua::UserAgent::is_v6(&hop));
        let local = self.local_media(public, p.account, p.srtp, v6);
        let offer = create_offer(&local);
        if let Err(e) = self.ua.call_as(
            ua::CallId(call),
            now,
            p.account,
            &p.uri,
            offer.to_bytes(),
            p.headers,
        ) {
            tracing::info!(call, "cannot place the call: {e}");
            self.outputs.push_back(Output::Release { call });
            return self.place_failed(p.origin, EngineError::BadTarget(p.uri.to_string()));
        }
        let mut c = CoreCall::new(p.account, p.audio, p.srtp);
        c.local = Some(local);
        c.offer = Some(offer);
        c.media = MediaPhase::Prepared;
        self.calls.insert(call, c);
        let account = self.account_name(p.account);
        self.emit(
            now,
            PhoneEvent::Calling {
                call,
                to: p.uri.to_string(),
                account,
            },
        );
        if let Origin::Transfer { asked_in } = p.origin {
            self.transfers_in.insert(call, asked_in);
            self.emit(
                now,
                PhoneEvent::Transferring {
                    call: asked_in,
                    new_call: call,
                    target: p.uri.to_string(),
                },
            );
        }
        self.finish(p.origin, Ok(Reply::Call(call)));
    }

    /// Answers a ringing call: its sound is opened first, and only if that
    /// works does the 200 OK go out (else it keeps ringing and the reply says
    /// why).
    pub(super) fn answer(
        &mut self,
        now: Instant,
        call: CallId,
        audio: Option<AudioSpec>,
        origin: Origin,
        success: Reply,
    ) {
        let ringing = self
            .ua
            .call_info(ua::CallId(call))
            .is_some_and(|i| !i.outgoing && !i.established);
        let audio = audio.unwrap_or_else(|| self.phone_audio(origin));
        let Some(c) = self.calls.get_mut(&call) else {
            return self.finish(origin, Err(EngineError::NoSuchCall(call)));
        };
        if !ringing || c.media != MediaPhase::None {
            return self.finish(origin, Err(EngineError::WrongState));
        }
        let codecs = match c.account {
            Some(a) => self.settings.accounts[a.0].codecs.clone(),
            None => self.settings.codecs.clone(),
        };
        // The codec the answer will choose sets the rate the sound opens at.
        let sample_rate = match &c.remote_offer {
            Some(bytes) => match negotiate_codec(bytes, &codecs, &self.settings.media, c.srtp) {
                Ok(codec) => codec.sample_rate(),
                Err(e) => {
                    tracing::info!(call, "cannot answer the offer: {e}");
                    let _ = self.ua.reject(now, ua::CallId(call), 488);
                    return self.finish(origin, Err(EngineError::Audio(e.to_string())));
                }
            },
            None => codecs.first().map_or(8000, |c| c.sample_rate()),
        };
        c.audio = audio.clone();
        c.media = MediaPhase::Preparing;
        self.preparing
            .insert(call, Purpose::Answer { origin, success });
        self.outputs.push_back(Output::Prepare {
            call,
            audio,
            sample_rate,
        });
    }

    fn answered(
        &mut self,
        now: Instant,
        call: CallId,
        origin: Origin,
        success: Reply,
        result: Result<SocketAddr, String>,
    ) {
        let still_ringing = self
            .ua
            .call_info(ua::CallId(call))
            .is_some_and(|i| !i.established);
        let Some(c) = self.calls.get_mut(&call).filter(|_| still_ringing) else {
            if result.is_ok() {
                self.outputs.push_back(Output::Release { call });
            }
            return self.finish(origin, Err(EngineError::NoSuchCall(call)));
        };
        let public = match result {
            Ok(a) => a,
            Err(e) => {
                // Nothing went on the wire: the call rings on.
                c.media = MediaPhase::None;
                tracing::warn!(call, "cannot answer: {e}");
                if let Origin::Replaces { .. } = origin {
                    let _ = self.ua.reject(now, ua::CallId(call), 480);
                }
                return self.finish(origin, Err(EngineError::Audio(e)));
            }
        };
        // Two calls never share the microphone: the one we talk on is held.
        // Not for a call that replaces it, nor for calls `listen
        // --auto-answer` takes, each with its own sound (a test line or an
        // answering service takes every call side by side).
        let own_sound =
            matches!(origin, Origin::AutoAnswer) && self.settings.answer_audio.is_some();
        if !matches!(origin, Origin::Replaces { .. }) && !own_sound {
            self.hold_talking(now, Some(call));
        }
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        let (account, srtp) = (c.account, c.srtp);
        let v6 = self.ua.call_is_v6(ua::CallId(call));
        let mut local = self.local_media(public, account, srtp, v6);
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let sdp = match c.remote_offer.take() {
            Some(offer_bytes) => {
                match SessionDescription::parse(&offer_bytes)
                    .map_err(|_| NegotiationError::NoAudio)
                    .and_then(|offer| create_answer(&offer, &local))
                {
                    Ok((answer, negotiated)) => {
                        c.negotiated = Some(negotiated);
                        answer.to_bytes()
                    }
                    Err(e) => {
                        tracing::info!(call, "cannot answer the offer: {e}");
                        let _ = self.ua.reject(now, ua::CallId(call), 488);
                        self.outputs.push_back(Output::Release { call });
                        return self.finish(origin, Err(EngineError::Audio(e.to_string())));
                    }
                }
            }
            None => {
                // An INVITE without SDP: we offer in the 200, the ACK answers.
                local.session_version += 1;
                let offer = create_offer(&local);
                let bytes = offer.to_bytes();
                c.offer = Some(offer);
                bytes
            }
        };
        c.local = Some(local);
        c.media = MediaPhase::Prepared;
        if let Err(e) = self.ua.answer(now, ua::CallId(call), sdp) {
            self.outputs.push_back(Output::Release { call });
            if let Some(c) = self.calls.get_mut(&call) {
                c.media = MediaPhase::None;
            }
            return self.finish(origin, Err(map_ua_error(e, call)));
        }
        self.timers.cancel(call);
        self.start_media(call);
        self.finish(origin, Ok(success));
        if let Origin::Replaces { old } = origin
            && let Err(e) = self.ua.hangup(now, ua::CallId(old))
        {
            tracing::debug!(old, "the replaced call: {e}");
        }
    }

    /// The peer sent a new offer (re-INVITE or UPDATE): our answer, and the
    /// stream follows it.
    pub(super) fn answer_remote_offer(
        &mut self,
        now: Instant,
        call: ua::CallId,
        sdp: Option<Vec<u8>>,
    ) {
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        let Some(local) = c.local.as_mut() else {
            // No media of ours yet: nothing to answer with.
            let _ = self.ua.reject_offer(now, call, 488);
            return;
        };
        local.session_version += 1;
        let mut updated = None;
        let answer = match sdp {
            Some(bytes) => match SessionDescription::parse(&bytes)
                .map_err(|_| NegotiationError::NoAudio)
                .and_then(|o| create_answer(&o, local))
            {
                Ok((answer, negotiated)) => {
                    updated = Some(negotiated.direction);
                    if c.media == MediaPhase::Running {
                        self.outputs.push_back(Output::Media {
                            call: call.0,
                            command: MediaCommand::Update(Box::new(negotiated.clone())),
                        });
                    }
                    c.negotiated = Some(negotiated);
                    answer
                }
                Err(e) => {
                    // RFC 3261 14.2: an offer we cannot take is refused, and
                    // the session stays as it was.
                    tracing::info!(%call, "re-INVITE offer unusable: {e}");
                    let _ = self.ua.reject_offer(now, call, 488);
                    return;
                }
            },
            None => {
                let offer = create_offer(local);
                c.offer = Some(offer.clone());
                c.offer_outstanding = true;
                offer
            }
        };
        let _ = self.ua.answer_offer(now, call, answer.to_bytes());
        if let Some(direction) = updated {
            self.emit(
                now,
                PhoneEvent::MediaUpdated {
                    call: call.0,
                    direction: direction.into(),
                },
            );
        }
    }

    /// Reads the peer's answer to our offer and starts (or updates) media.
    /// An answer that does not fit our offer is an error (the caller decides
    /// whether the call can go on); with no offer of ours there is nothing
    /// to apply.
    pub(super) fn apply_remote_answer(
        &mut self,
        now: Instant,
        call: CallId,
        sdp: &[u8],
    ) -> Result<(), NegotiationError> {
        let Some(c) = self.calls.get_mut(&call) else {
            return Ok(());
        };
        let Some(offer) = &c.offer else {
            return Ok(());
        };
        let n = SessionDescription::parse(sdp)
            .map_err(|_| NegotiationError::NoAudio)
            .and_then(|a| apply_answer(offer, &a))?;
        let direction = n.direction;
        let running = c.media == MediaPhase::Running;
        if running {
            self.outputs.push_back(Output::Media {
                call,
                command: MediaCommand::Update(Box::new(n.clone())),
            });
        }
        c.negotiated = Some(n);
        c.hold_before = None;
        c.offer_outstanding = false;
        if running {
            self.emit(
                now,
                PhoneEvent::MediaUpdated {
                    call,
                    direction: direction.into(),
                },
            );
        } else {
            self.start_media(call);
        }
        Ok(())
    }

    /// The session could not be negotiated (an answer we cannot use, or
    /// none where one was due): the call ends with a BYE saying why
    /// (`Reason: SIP;cause=488`), and the user is told the same.
    pub(super) fn session_failed(&mut self, now: Instant, call: CallId, why: String) {
        tracing::info!(call, "ending the call: {why}");
        if let Some(c) = self.calls.get_mut(&call) {
            c.failure = Some(why.clone());
        }
        if let Err(e) = self.ua.hangup_because(now, ua::CallId(call), 488, &why) {
            tracing::debug!(call, "hanging up the failed session: {e}");
        }
    }

    /// Starts the stream once the call has prepared media and a session.
    pub(super) fn start_media(&mut self, call: CallId) {
        let seed = self.rng.random();
        let echo_cancellation = self.settings.media.echo_cancellation;
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(negotiated) = c.negotiated.clone() else {
            return;
        };
        if c.media != MediaPhase::Prepared {
            return;
        }
        c.media = MediaPhase::Running;
        let start = MediaStart {
            negotiated,
            seed,
            echo_cancellation,
            muted: c.muted,
            held: c.held(),
            speaker: c.speaker,
            microphone: c.microphone,
            media_timeout: self.settings.media.media_timeout,
        };
        self.outputs.push_back(Output::Media {
            call,
            command: MediaCommand::Start(Box::new(start)),
        });
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
        let pending = self.ua.offer_pending(ua::CallId(call));
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EngineError::NoSuchCall(call))?;
        if !c.established || c.local.is_none() {
            return Err(EngineError::WrongState);
        }
        if held && self.conference.contains(&call) {
            self.leave_conference(now, call);
        }
        let Some(c) = self.calls.get_mut(&call) else {
            return Err(EngineError::NoSuchCall(call));
        };
        let Some(local) = c.local.as_mut() else {
            return Err(EngineError::WrongState);
        };
        if pending {
            c.hold_wanted = Some(held);
            return Ok(());
        }
        let direction = if held {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        };
        let previous = local.direction;
        local.direction = direction;
        local.session_version += 1;
        let offer = create_offer(local);
        if let Err(e) = self.ua.reinvite(now, ua::CallId(call), offer.to_bytes()) {
            if let Some(l) = c.local.as_mut() {
                l.direction = previous;
            }
            return Err(map_ua_error(e, call));
        }
        c.offer = Some(offer);
        c.offer_outstanding = true;
        c.hold_before = Some(previous);
        if c.media == MediaPhase::Running {
            self.outputs.push_back(Output::Media {
                call,
                command: MediaCommand::Hold(held),
            });
        }
        self.emit(now, PhoneEvent::Held { call, held });
        Ok(())
    }

    /// Holds the calls we talk on (but `except`): a phone taking or placing
    /// another call does, or two live calls would share one microphone.
    pub(super) fn hold_talking(&mut self, now: Instant, except: Option<CallId>) {
        let talking: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(id, c)| Some(**id) != except && c.established && !c.held())
            .map(|(id, _)| *id)
            .collect();
        for call in talking {
            if let Err(e) = self.hold(now, call, true) {
                tracing::warn!(call, "cannot hold the call we talk on: {e}");
            }
        }
    }

    /// A hold or resume that waited for an offer to complete goes out now.
    pub(super) fn send_wanted_hold(&mut self, now: Instant, call: CallId) {
        let Some(held) = self.calls.get_mut(&call).and_then(|c| c.hold_wanted.take()) else {
            return;
        };
        if let Err(e) = self.hold(now, call, held) {
            tracing::warn!(call, "the hold that waited failed: {e}");
        }
    }

    /// The peer refused our re-INVITE: a hold or resume did not happen, so the
    /// call goes back to how it was.
    pub(super) fn offer_rejected(&mut self, now: Instant, call: CallId, status: u16) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        c.offer_outstanding = false;
        let Some(previous) = c.hold_before.take() else {
            return;
        };
        let Some(local) = c.local.as_mut() else {
            return;
        };
        let wanted = local.direction;
        local.direction = previous;
        if c.media == MediaPhase::Running {
            self.outputs.push_back(Output::Media {
                call,
                command: MediaCommand::Hold(previous == Direction::SendOnly),
            });
        }
        self.emit(
            now,
            PhoneEvent::HoldFailed {
                call,
                held: wanted == Direction::SendOnly,
                status,
            },
        );
    }

    /// Mutes or unmutes a call's microphone (also before its media runs).
    pub(super) fn mute(
        &mut self,
        now: Instant,
        call: CallId,
        muted: bool,
    ) -> Result<(), EngineError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EngineError::NoSuchCall(call))?;
        c.muted = muted;
        if c.media == MediaPhase::Running {
            self.outputs.push_back(Output::Media {
                call,
                command: MediaCommand::Mute(muted),
            });
        }
        self.emit(now, PhoneEvent::Muted { call, muted });
        Ok(())
    }

    /// New levels for a call's earpiece and microphone (percent; `None`: unchanged).
    pub(super) fn set_volume(
        &mut self,
        now: Instant,
        call: CallId,
        speaker: Option<u16>,
        microphone: Option<u16>,
    ) -> Result<(), EngineError> {
        let gain = |p: Option<u16>| -> Result<Option<Gain>, EngineError> {
            p.map(|p| {
                Gain::from_percent(p).ok_or_else(|| {
                    EngineError::Audio(format!(
                        "volume {p}% is above {}%",
                        crate::audio::MAX_PERCENT
                    ))
                })
            })
            .transpose()
        };
        let (speaker, microphone) = (gain(speaker)?, gain(microphone)?);
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EngineError::NoSuchCall(call))?;
        c.speaker = speaker.unwrap_or(c.speaker);
        c.microphone = microphone.unwrap_or(c.microphone);
        if c.media == MediaPhase::Running {
            self.outputs.push_back(Output::Media {
                call,
                command: MediaCommand::Volume {
                    speaker,
                    microphone,
                },
            });
        }
        self.emit(
            now,
            PhoneEvent::Volume {
                call,
                speaker_percent: speaker.map(Gain::percent),
                microphone_percent: microphone.map(Gain::percent),
            },
        );
        Ok(())
    }

    /// Keys into a call with running media (RFC 4733, else SIP INFO).
    pub(super) fn dtmf(&mut self, call: CallId, keys: String) -> Result<(), EngineError> {
        if keys.is_empty()
            || keys.len() > 64
            || !keys.chars().all(|k| "0123456789*#ABCDabcd".contains(k))
        {
            return Err(EngineError::Invalid(format!(
                "DTMF keys are 1 to 64 of 0-9, *, # and A-D, not {keys:?}"
            )));
        }
        self.running(call)?;
        self.outputs.push_back(Output::Media {
            call,
            command: MediaCommand::Dtmf(keys),
        });
        Ok(())
    }

    /// The call exists and its media runs.
    pub(super) fn running(&self, call: CallId) -> Result<(), EngineError> {
        match self.calls.get(&call) {
            Some(c) if c.media == MediaPhase::Running && c.ended.is_none() => Ok(()),
            Some(_) => Err(EngineError::WrongState),
            None => Err(EngineError::NoSuchCall(call)),
        }
    }

    /// Hangs up one call: CANCEL, BYE or a rejection; a call still being
    /// prepared is given up.
    pub(super) fn hang_up(&mut self, now: Instant, call: CallId) -> Result<(), EngineError> {
        if let Some(Purpose::Place(p)) = self.preparing.remove(&call) {
            self.finish(p.origin, Err(EngineError::WrongState));
            return Ok(());
        }
        self.ua
            .hangup(now, ua::CallId(call))
            .map_err(|e| map_ua_error(e, call))
    }

    /// The user agent says a call ended: its media stops (the event waits for
    /// the final figures), its timers and transfers are done with.
    pub(super) fn call_ended(&mut self, now: Instant, call: CallId, reason: ua::EndReason) {
        self.timers.cancel(call);
        let failed_with = match &reason {
            ua::EndReason::Rejected { status, .. } => *status,
            ua::EndReason::Timeout => 408,
            _ => 487,
        };
        self.report_transfer(now, call, failed_with);
        self.transfers_out.remove(&call);
        self.leave_conference(now, call);
        // The edge answers for a call being prepared still; what it
        // prepares is released then.
        if let Some(Purpose::Answer { origin, .. }) = self.preparing.remove(&call) {
            self.finish(origin, Err(EngineError::NoSuchCall(call)));
        }
        let failure = self.calls.get_mut(&call).and_then(|c| c.failure.take());
        let (reason, status, detail) = match (failure, reason) {
            (Some(why), _) => (EndReason::Failed, None, Some(why)),
            (None, ua::EndReason::Local) => (EndReason::Local, None, None),
            (None, ua::EndReason::Remote) => (EndReason::Remote, None, None),
            (None, ua::EndReason::Cancelled) => (EndReason::Cancelled, None, None),
            (None, ua::EndReason::Rejected { status, reason }) => {
                (EndReason::Rejected, Some(status), Some(reason))
            }
            (None, ua::EndReason::Timeout) => (
                EndReason::Timeout,
                None,
                Some("no answer from the network".to_string()),
            ),
        };
        let ended = PhoneEvent::Ended {
            call,
            reason,
            status,
            detail,
            stats: None,
        };
        match self.calls.get_mut(&call) {
            // Wait for the media's figures before telling the user.
            Some(c) if c.media == MediaPhase::Running => {
                c.ended = Some(ended);
                self.outputs.push_back(Output::Media {
                    call,
                    command: MediaCommand::Stop,
                });
            }
            Some(c) => {
                if c.media == MediaPhase::Prepared {
                    self.outputs.push_back(Output::Release { call });
                }
                self.calls.remove(&call);
                self.emit(now, ended);
            }
            None => self.emit(now, ended),
        }
    }

    /// Our side of a call's session: its codecs, SRTP, a fresh session id.
    /// `v6`: the call's peer is an IPv6 one; when we listen on both
    /// families, the SDP names our IPv6 address then.
    pub(super) fn local_media(
        &mut self,
        public: SocketAddr,
        account: Option<AccountId>,
        srtp: SrtpMode,
        v6: bool,
    ) -> LocalMedia {
        let address = match (v6, self.ua.config().local_v6) {
            (true, Some(ours)) => ours.ip(),
            _ => public.ip(),
        };
        let codecs = self.codecs_for(account).to_vec();
        self.session_ids += 1;
        let mut srtp_key = [0u8; hookswitch_media::srtp::KEY_AND_SALT_LEN];
        self.rng.fill(&mut srtp_key[..]);
        let m = &self.settings.media;
        LocalMedia {
            address,
            port: public.port(),
            codecs,
            telephone_event: m.telephone_event,
            comfort_noise: m.comfort_noise,
            rtcp_xr: m.rtcp_xr,
            rtcp_mux: m.rtcp_mux,
            ptime: 20,
            direction: Direction::SendRecv,
            session_id: self.session_ids,
            session_version: 1,
            srtp,
            srtp_key,
        }
    }

    /// The codecs a call of `account` offers or accepts.
    pub(super) fn codecs_for(&self, account: Option<AccountId>) -> &[CodecKind] {
        account
            .and_then(|a| self.settings.accounts.get(a.0))
            .map_or(&self.settings.codecs, |a| &a.codecs)
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
            .and_then(|a| self.settings.accounts.get(a.0))
            .map(|a| a.srtp)
            .unwrap_or_default();
        match (wanted, transport) {
            (mode, Transport::Tls) => Ok(mode),
            (SrtpMode::Required, _) => Err(EngineError::Config(
                "this account requires SRTP, which needs SIP over TLS (transport = \"tls\")".into(),
            )),
            _ => Ok(SrtpMode::Off),
        }
    }
}

/// The codec our answer to `offer` would choose.
fn negotiate_codec(
    offer: &[u8],
    codecs: &[CodecKind],
    media: &super::settings::MediaOptions,
    srtp: SrtpMode,
) -> Result<CodecKind, NegotiationError> {
    let offer = SessionDescription::parse(offer).map_err(|_| NegotiationError::NoAudio)?;
    let probe = LocalMedia {
        address: std::net::Ipv4Addr::UNSPECIFIED.into(),
        port: 9,
        codecs: codecs.to_vec(),
        telephone_event: media.telephone_event,
        comfort_noise: media.comfort_noise,
        rtcp_xr: media.rtcp_xr,
        rtcp_mux: media.rtcp_mux,
        ptime: 20,
        direction: Direction::SendRecv,
        session_id: 0,
        session_version: 1,
        srtp,
        srtp_key: [0; hookswitch_media::srtp::KEY_AND_SALT_LEN],
    };
    create_answer(&offer, &probe).map(|(_, n)| n.codec)
}

pub(super) fn map_ua_error(e: ua::UaError, call: CallId) -> EngineError {
    match e {
        ua::UaError::NoSuchCall => EngineError::NoSuchCall(call),
        _ => EngineError::WrongState,
    }
}
