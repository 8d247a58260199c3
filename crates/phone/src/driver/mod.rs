//! The tokio driver: owns the sans-IO user agent, the SIP sockets and the calls'
//! media tasks, and runs them against real time.

mod media;
pub mod transport;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use hookswitch_media::codec::CodecKind;
use hookswitch_media::sdp::{
    Direction, LocalMedia, Negotiated, NegotiationError, SessionDescription, apply_answer,
    create_answer, create_offer,
};
use hookswitch_sip::auth::redacted_trace;
use hookswitch_sip::message::Uri;
use hookswitch_sip::ua::{self, AccountId, EndReason, Event, RegistrationState, UserAgent};
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::api::{CallId, CallSummary, EngineError, PhoneEvent};
use crate::audio::AudioSpec;
use media::{MediaControl, MediaReport, MediaTask};
use transport::{Inbound, Transports};

/// Commands from the engine handle.
pub enum Command {
    Call {
        target: String,
        account: Option<String>,
        audio: AudioSpec,
        reply: oneshot::Sender<Result<CallId, EngineError>>,
    },
    Answer {
        call: CallId,
        audio: AudioSpec,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Reject {
        call: CallId,
        status: u16,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Hangup {
        call: Option<CallId>,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Dtmf {
        call: CallId,
        keys: String,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Mute {
        call: CallId,
        muted: bool,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Calls {
        reply: oneshot::Sender<Vec<CallSummary>>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// What the driver keeps per call beside the UA's own state.
struct CallMedia {
    socket: Arc<UdpSocket>,
    local: LocalMedia,
    /// Our offer awaiting an answer (outgoing calls, offerless incoming INVITEs).
    offer: Option<SessionDescription>,
    /// The peer's offer awaiting our answer (incoming calls).
    remote_offer: Option<Vec<u8>>,
    audio: AudioSpec,
    task: Option<MediaTask>,
    negotiated: Option<Negotiated>,
    /// An Ended event waiting for the media task's final figures.
    ended: Option<PhoneEvent>,
}

pub struct DriverSettings {
    pub advertise_ip: IpAddr,
    pub codecs: Vec<CodecKind>,
    pub telephone_event: bool,
    pub accept_p2p: bool,
    pub account_names: Vec<String>,
}

pub struct Driver {
    ua: UserAgent,
    transports: Transports,
    settings: DriverSettings,
    calls: HashMap<CallId, CallMedia>,
    events: broadcast::Sender<PhoneEvent>,
    media_tx: mpsc::UnboundedSender<MediaReport>,
    session_ids: u64,
}

impl Driver {
    pub fn new(
        ua: UserAgent,
        transports: Transports,
        settings: DriverSettings,
        events: broadcast::Sender<PhoneEvent>,
    ) -> (Driver, mpsc::UnboundedReceiver<MediaReport>) {
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        (
            Driver {
                ua,
                transports,
                settings,
                calls: HashMap::new(),
                events,
                media_tx,
                session_ids: rand::random::<u32>() as u64,
            },
            media_rx,
        )
    }

    fn emit(&self, e: PhoneEvent) {
        tracing::info!(?e, "event");
        let _ = self.events.send(e);
    }

    /// Runs until a Shutdown command (or the handle is dropped).
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut inbound: mpsc::Receiver<Inbound>,
        mut media_rx: mpsc::UnboundedReceiver<MediaReport>,
    ) {
        let now = Instant::now();
        for i in 0..self.ua.config().accounts.len() {
            if self.ua.config().accounts[i].register {
                let _ = self.ua.register(now, AccountId(i));
            }
        }
        let udp = self.transports.udp.clone();
        let mut buf = vec![0u8; 65536];
        let mut shutdown: Option<(oneshot::Sender<()>, tokio::time::Instant)> = None;
        loop {
            self.flush();
            if let Some((_, deadline)) = &shutdown
                && (!self.ua.registrations_pending() || tokio::time::Instant::now() >= *deadline)
            {
                break;
            }
            let wake = self.ua.poll_timeout().map(tokio::time::Instant::from_std);
            let sleep = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            let shutdown_deadline = async {
                match &shutdown {
                    Some((_, d)) => tokio::time::sleep_until(*d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = udp.recv_from(&mut buf) => match r {
                    Ok((n, src)) => {
                        if tracing::enabled!(tracing::Level::DEBUG) {
                            tracing::debug!(from = %src, "received\n{}", redacted_trace(&buf[..n]));
                        }
                        self.ua.handle_datagram(Instant::now(), src, &buf[..n]);
                    }
                    Err(e) => tracing::debug!("UDP receive error: {e}"),
                },
                Some(i) = inbound.recv() => match i {
                    Inbound::Message { transport, source, message } => {
                        if tracing::enabled!(tracing::Level::DEBUG) {
                            tracing::debug!(from = %source, %transport, "received\n{}", redacted_trace(&message.to_bytes()));
                        }
                        self.ua.handle_message(Instant::now(), transport, source, message);
                    }
                    Inbound::Malformed { transport, source, bytes, error } => self.ua.malformed(transport, source, &bytes, &error),
                },
                Some(r) = media_rx.recv() => self.on_media_report(r),
                c = commands.recv() => match c {
                    Some(Command::Shutdown { reply }) => {
                        self.begin_shutdown();
                        shutdown = Some((reply, tokio::time::Instant::now() + std::time::Duration::from_secs(3)));
                    }
                    Some(c) => self.on_command(c),
                    None => {
                        self.begin_shutdown();
                        break;
                    }
                },
                _ = sleep => self.ua.handle_timeout(Instant::now()),
                _ = shutdown_deadline => {}
            }
        }
        self.flush();
        for call in self.calls.values() {
            if let Some(t) = &call.task {
                t.send(MediaControl::Stop);
            }
        }
        if let Some((reply, _)) = shutdown {
            let _ = reply.send(());
        }
    }

    /// Hangs up every call and removes every registration.
    fn begin_shutdown(&mut self) {
        let now = Instant::now();
        for call in self.ua.active_calls() {
            let _ = self.ua.hangup(now, call);
        }
        for i in 0..self.ua.config().accounts.len() {
            if self
                .ua
                .registration_state(AccountId(i))
                .is_some_and(|s| matches!(s, RegistrationState::Registered { .. }))
            {
                let _ = self.ua.unregister(now, AccountId(i));
            }
        }
    }

    /// Sends what the UA queued and handles its events, until both are empty.
    fn flush(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.ua.poll_transmit() {
                progressed = true;
                if tracing::enabled!(tracing::Level::DEBUG) {
                    tracing::debug!(to = %t.destination, transport = %t.transport, "sent\n{}", redacted_trace(&t.payload));
                }
                self.transports.send(t);
            }
            while let Some(e) = self.ua.poll_event() {
                progressed = true;
                self.on_ua_event(e);
            }
            if !progressed {
                return;
            }
        }
    }

    fn account_name(&self, a: Option<AccountId>) -> Option<String> {
        a.and_then(|a| self.settings.account_names.get(a.0).cloned())
    }

    fn on_ua_event(&mut self, e: Event) {
        let now = Instant::now();
        match e {
            Event::Registration { account, state } => {
                let (state, detail) = match state {
                    RegistrationState::Registering => ("registering", None),
                    RegistrationState::Registered { expires } => {
                        ("registered", Some(format!("expires in {expires} s")))
                    }
                    RegistrationState::Unregistered => ("unregistered", None),
                    RegistrationState::Failed {
                        reason, retry_in, ..
                    } => (
                        "failed",
                        Some(match retry_in {
                            Some(s) => format!("{reason}; retrying in {s} s"),
                            None => reason,
                        }),
                    ),
                };
                self.emit(PhoneEvent::Registration {
                    account: self.account_name(Some(account)).unwrap_or_default(),
                    state: state.into(),
                    detail,
                });
            }
            Event::IncomingCall {
                call,
                account,
                from,
                to,
                offer,
                answer_after,
            } => {
                if account.is_none() && !self.settings.accept_p2p {
                    let _ = self.ua.reject(now, call, 403);
                    return;
                }
                let socket = match self.bind_media() {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!("no media port: {e}");
                        let _ = self.ua.reject(now, call, 500);
                        return;
                    }
                };
                let local = self.local_media(&socket);
                self.calls.insert(
                    call.0,
                    CallMedia::new(socket, local, None, offer, AudioSpec::default()),
                );
                let _ = self.ua.ring(now, call);
                self.emit(PhoneEvent::IncomingCall {
                    call: call.0,
                    from: from.to_string(),
                    to: to.to_string(),
                    account: self.account_name(account),
                    answer_after,
                });
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
                if let Some(sdp) = sdp {
                    self.apply_remote_answer(call.0, &sdp);
                }
                let (codec, remote) =
                    match self.calls.get(&call.0).and_then(|c| c.negotiated.as_ref()) {
                        Some(n) => (n.codec.name().to_string(), n.remote.map(|r| r.to_string())),
                        None => ("none".into(), None),
                    };
                self.emit(PhoneEvent::Established {
                    call: call.0,
                    codec,
                    remote_media: remote,
                });
            }
            Event::RemoteOffer { call, sdp } => self.answer_remote_offer(call, sdp),
            Event::OfferAnswered { call, sdp } => {
                if let Some(sdp) = sdp {
                    self.apply_remote_answer(call.0, &sdp);
                }
            }
            Event::OfferRejected { call, status } => {
                tracing::info!(%call, status, "our re-INVITE was refused")
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
            Event::Ended { call, reason } => {
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

    fn on_media_report(&mut self, r: MediaReport) {
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

    fn on_command(&mut self, c: Command) {
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
                let r = self
                    .ua
                    .reject(now, ua::CallId(call), status)
                    .map_err(|e| map_ua_error(e, call));
                let _ = reply.send(r);
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
                let r = match self.calls.get(&call).and_then(|c| c.task.as_ref()) {
                    Some(t) => {
                        t.send(MediaControl::Mute(muted));
                        Ok(())
                    }
                    None => Err(EngineError::NoSuchCall(call)),
                };
                let _ = reply.send(r);
            }
            Command::Calls { reply } => {
                let list = self
                    .ua
                    .active_calls()
                    .into_iter()
                    .filter_map(|c| {
                        let info = self.ua.call_info(c)?;
                        Some(CallSummary {
                            call: c.0,
                            outgoing: info.outgoing,
                            remote: info.remote.to_string(),
                            established: info.established,
                        })
                    })
                    .collect();
                let _ = reply.send(list);
            }
            Command::Shutdown { .. } => {}
        }
    }

    fn place_call(
        &mut self,
        now: Instant,
        target: &str,
        account: Option<&str>,
        audio: AudioSpec,
    ) -> Result<CallId, EngineError> {
        let account_id = match account {
            Some(name) => Some(AccountId(
                self.settings
                    .account_names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| EngineError::NoSuchAccount(name.into()))?,
            )),
            None => None,
        };
        let uri = target_uri(
            target,
            account_id.map(|a| &self.ua.config().accounts[a.0].aor),
        )?;
        // Check the audio files before anything goes on the wire.
        audio.source(8000).map_err(EngineError::Audio)?;
        let socket = self.bind_media().map_err(|e| EngineError::Bind {
            addr: "media port".into(),
            reason: e.to_string(),
        })?;
        let local = self.local_media(&socket);
        let offer = create_offer(&local);
        let call = self
            .ua
            .call(now, account_id, &uri, offer.to_bytes())
            .map_err(|_| EngineError::BadTarget(target.into()))?;
        self.calls.insert(
            call.0,
            CallMedia::new(socket, local, Some(offer), None, audio),
        );
        Ok(call.0)
    }

    fn answer(&mut self, now: Instant, call: CallId, audio: AudioSpec) -> Result<(), EngineError> {
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

    fn answer_remote_offer(&mut self, call: ua::CallId, sdp: Option<Vec<u8>>) {
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

    /// Reads the peer's answer to our offer and starts (or updates) media.
    fn apply_remote_answer(&mut self, call: CallId, sdp: &[u8]) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(offer) = &c.offer else { return };
        match SessionDescription::parse(sdp)
            .map_err(|_| NegotiationError::NoAudio)
            .and_then(|a| apply_answer(offer, &a))
        {
            Ok(n) => {
                if let Some(t) = &c.task {
                    t.send(MediaControl::Update(n.clone()));
                }
                c.negotiated = Some(n);
                if c.task.is_none()
                    && let Err(e) = self.start_media(call)
                {
                    tracing::warn!(call, "media did not start: {e}");
                }
            }
            Err(e) => tracing::warn!(call, "unusable SDP answer: {e}"),
        }
    }

    fn start_media(&mut self, call: CallId) -> Result<(), EngineError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EngineError::NoSuchCall(call))?;
        let Some(negotiated) = c.negotiated.clone() else {
            return Ok(());
        };
        let rate = negotiated.codec.sample_rate();
        let source = c.audio.source(rate).map_err(EngineError::Audio)?;
        let sink = c.audio.sink(rate).map_err(EngineError::Audio)?;
        c.task = Some(MediaTask::spawn(
            call,
            c.socket.clone(),
            negotiated,
            source,
            sink,
            self.media_tx.clone(),
        ));
        Ok(())
    }

    fn bind_media(&self) -> std::io::Result<Arc<UdpSocket>> {
        let std_socket = std::net::UdpSocket::bind(SocketAddr::new(self.settings.advertise_ip, 0))?;
        std_socket.set_nonblocking(true)?;
        Ok(Arc::new(UdpSocket::from_std(std_socket)?))
    }

    fn local_media(&mut self, socket: &UdpSocket) -> LocalMedia {
        self.session_ids += 1;
        LocalMedia {
            address: self.settings.advertise_ip,
            port: socket.local_addr().map(|a| a.port()).unwrap_or(0),
            codecs: self.settings.codecs.clone(),
            telephone_event: self.settings.telephone_event,
            ptime: 20,
            direction: Direction::SendRecv,
            session_id: self.session_ids,
            session_version: 1,
        }
    }
}

impl CallMedia {
    fn new(
        socket: Arc<UdpSocket>,
        local: LocalMedia,
        offer: Option<SessionDescription>,
        remote_offer: Option<Vec<u8>>,
        audio: AudioSpec,
    ) -> Self {
        CallMedia {
            socket,
            local,
            offer,
            remote_offer,
            audio,
            task: None,
            negotiated: None,
            ended: None,
        }
    }
}

fn map_ua_error(e: ua::UaError, call: CallId) -> EngineError {
    match e {
        ua::UaError::NoSuchCall => EngineError::NoSuchCall(call),
        _ => EngineError::WrongState,
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

    #[test]
    fn dtmf_relay_bodies() {
        assert_eq!(dtmf_relay_key(b"Signal=5\r\nDuration=160\r\n"), Some('5'));
        assert_eq!(dtmf_relay_key(b"Signal= #\r\n"), Some('#'));
        assert_eq!(dtmf_relay_key(b"Duration=160"), None);
        assert_eq!(dtmf_relay_key(&[0xff]), None);
    }
}
