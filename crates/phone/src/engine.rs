//! The engine handle: start it, send it commands, subscribe to its events.
//! One engine serves every face (CLI, app, local API).

use std::net::SocketAddr;

use hookswitch_sip::ua::{Config as UaConfig, UserAgent};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::api::{CallId, CallStats, CallSummary, DeviceActivity, EngineError, PhoneEvent};
use crate::audio::{AudioSpec, Gain, MAX_PERCENT, RingSound};
use crate::call_handling::ForwardReason;
use crate::config::{Config, account_config};
use crate::desk::{Desk, DeskConfig};
use crate::driver::desk::DeskEdge;
use crate::driver::nat::Nat;
use crate::driver::transport::Transports;
use crate::driver::{Command, Driver, DriverSettings, HandlingChange};
use crate::local_address::LocalAddress;
use hookswitch_devices::hotplug::{Hotplug, HotplugOptions};
use hookswitch_devices::{DeviceEvent, DeviceManager, EventSink};

/// The device manager, whose events reach the driver; with `devices.enabled`
/// the hotplug watcher that opens real devices as they come.
fn start_devices(
    config: &Config,
) -> (
    DeviceManager,
    mpsc::UnboundedReceiver<DeviceEvent>,
    Option<Hotplug>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let sink: EventSink = std::sync::Arc::new(move |e| {
        let _ = tx.send(e);
    });
    let profiles = match &config.devices.profiles_dir {
        Some(dir) => {
            let (profiles, errors) = hookswitch_devices::profiles::load(dir);
            for e in errors {
                tracing::warn!("device profile left out: {e}");
            }
            profiles
        }
        None => hookswitch_hid::profile::builtin(),
    };
    let devices = DeviceManager::new(profiles, sink);
    devices.set_disabled(config.devices.disabled.clone());
    let hotplug = config.devices.enabled.then(|| {
        Hotplug::start(
            devices.clone(),
            HotplugOptions {
                usb_phones: config.devices.usb_phones,
                detach_kernel_driver: config.devices.detach_kernel_driver,
            },
        )
    });
    (devices, rx, hotplug)
}

/// `devices.simulated`: descriptor files plugged in as devices, each driven
/// through its own Unix socket (for people without the hardware, and for the
/// desktop app's end-to-end test).
fn plug_simulated_devices(
    devices: &DeviceManager,
    simulated: &[crate::config::SimulatedDevice],
) -> Result<(), EngineError> {
    use hookswitch_devices::hid::{simulated::SimulatedSpec, simulated_socket};
    for s in simulated {
        let mut spec = SimulatedSpec::from_file(&s.descriptor).map_err(EngineError::Config)?;
        if let Some(name) = &s.name {
            spec.product = name.clone();
        }
        spec.sound_device = s.sound_device.clone();
        let handle = devices
            .simulate(&spec)
            .map_err(|e| EngineError::Config(e.to_string()))?;
        simulated_socket::serve(handle, &s.socket).map_err(|e| {
            EngineError::Config(format!(
                "simulated device socket {}: {e}",
                s.socket.display()
            ))
        })?;
        tracing::info!(socket = %s.socket.display(), "simulated device {} plugged in", spec.product);
    }
    Ok(())
}

/// The STUN server's address: "host" or "host:port" (3478). A name that
/// does not resolve leaves STUN off until the next start (with a warning):
/// the phone still works on a network without a NAT.
async fn resolve_stun_server(name: &str) -> Option<SocketAddr> {
    let lookup = tokio::net::lookup_host(with_default_port(name, 3478));
    match tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await {
        Ok(Ok(mut addrs)) => {
            let first = addrs.next();
            if first.is_none() {
                tracing::warn!("STUN server {name} has no address; STUN is off");
            }
            first
        }
        Ok(Err(e)) => {
            tracing::warn!("STUN server {name} unknown ({e}); STUN is off");
            None
        }
        Err(_) => {
            tracing::warn!("STUN server {name}: no DNS answer in 5 s; STUN is off");
            None
        }
    }
}

/// "host", "host:port", "1.2.3.4", "[::1]:5" or "::1" as a `lookup_host` argument.
fn with_default_port(name: &str, port: u16) -> String {
    if name.parse::<SocketAddr>().is_ok() {
        return name.to_string();
    }
    if let Ok(ip) = name.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        return SocketAddr::new(ip, port).to_string();
    }
    match name.rsplit_once(':') {
        Some((_, p)) if p.parse::<u16>().is_ok() => name.to_string(),
        _ => format!("{name}:{port}"),
    }
}

/// Passwords by account name, found by the caller (keyring, environment, prompt).
pub type Passwords = std::collections::HashMap<String, String>;

#[derive(Clone)]
pub struct Engine {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<PhoneEvent>,
    local: SocketAddr,
    devices: DeviceManager,
    phone_audio: AudioSpec,
    activity: broadcast::Sender<DeviceActivity>,
}

impl Engine {
    /// Binds the SIP sockets, starts registering the accounts, and runs the engine
    /// on the current tokio runtime. The receiver sees every event from the
    /// start (`Ready` first): one subscribed after this returns could miss a
    /// registration that completed meanwhile.
    pub async fn start(
        config: &Config,
        passwords: &Passwords,
    ) -> Result<(Engine, broadcast::Receiver<PhoneEvent>), EngineError> {
        config
            .validate()
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let (inbound_tx, inbound_rx) = mpsc::channel(256);
        let ca_files: Vec<_> = config
            .accounts
            .iter()
            .filter_map(|a| a.tls_ca_file.clone())
            .collect();
        let tls = crate::driver::tls::client_config(&ca_files)
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let tls_server = match (&config.sip.tls_certificate, &config.sip.tls_private_key) {
            (Some(cert), Some(key)) => Some(
                crate::driver::tls::server_config(cert, key)
                    .map_err(|e| EngineError::Config(e.to_string()))?,
            ),
            (None, None) => None,
            _ => {
                return Err(EngineError::Config(
                    "sip.tls_certificate and sip.tls_private_key go together".into(),
                ));
            }
        };
        let tls_port = tls_server.is_some();
        let transports = Transports::bind(config.sip.listen, inbound_tx, tls, tls_server)
            .await
            .map_err(|e| EngineError::Bind {
                addr: config.sip.listen.to_string(),
                reason: e.to_string(),
            })?;
        let bound = transports.local_addr();
        let stun_server = match &config.sip.stun_server {
            Some(name) => resolve_stun_server(name).await,
            None => None,
        };
        let nat = Nat::new(
            LocalAddress::from_config(config, bound.ip()),
            Some(std::time::Duration::from_secs(
                config.sip.network_check_secs,
            )),
            bound.port(),
            stun_server,
            std::time::Instant::now(),
        );
        let local = nat.advertised();
        let accounts = config
            .accounts
            .iter()
            .map(|a| account_config(a, passwords.get(&a.name).cloned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let ua = UserAgent::new(UaConfig {
            local,
            timers: config.timers(),
            accounts,
            contact_user: config.sip.user.clone(),
            keepalive: config.keepalive(),
            tls_port: tls_port.then(|| bound.port().wrapping_add(1)),
        });
        let (events, first_subscriber) = broadcast::channel(1024);
        let settings = DriverSettings {
            codecs: config
                .codecs()
                .map_err(|e| EngineError::Config(e.to_string()))?,
            account_codecs: config
                .account_codecs()
                .map_err(|e| EngineError::Config(e.to_string()))?,
            account_srtp: config.account_srtp(),
            handling: config.call_handling(),
            telephone_event: config.audio.telephone_event,
            comfort_noise: config.audio.comfort_noise,
            rtcp_xr: config.audio.rtcp_xr,
            rtcp_mux: config.audio.rtcp_mux,
            echo_cancellation: config.audio.echo_cancellation,
            ring: config.audio.ring_device.clone().map(|device| {
                let sound = config
                    .audio
                    .ring_file
                    .clone()
                    .map_or(RingSound::DoubleRing, RingSound::File);
                (device, sound)
            }),
            rtcp_interval: std::time::Duration::from_millis(config.audio.rtcp_interval_ms.max(500)),
            accept_p2p: config.sip.accept_p2p,
            only_from_registrar: config.sip.only_from_registrar,
            account_names: config.accounts.iter().map(|a| a.name.clone()).collect(),
            echo: match crate::echo::EchoService::start().await {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::warn!("the echo test is not available: {e}");
                    None
                }
            },
        };
        let (devices, device_rx, hotplug) = start_devices(config);
        plug_simulated_devices(&devices, &config.devices.simulated)?;
        let (activity, _) = broadcast::channel(256);
        let desk = DeskEdge::new(
            Desk::new(DeskConfig {
                dial_plan: config.dialing.clone(),
                reject_status: config.devices.reject_status,
                ring_back_after: std::time::Duration::from_secs(config.devices.ring_back_secs),
                volume_step: config.devices.volume_step.max(1),
            }),
            devices.clone(),
            hotplug,
            config.devices.clone(),
            config.audio.tones,
            config.accounts.first().map(|a| a.name.clone()),
            activity.clone(),
        );
        let (driver, media_rx) = Driver::new(
            ua,
            transports,
            nat,
            stun_server,
            desk,
            settings,
            events.clone(),
        );
        let (commands, commands_rx) = mpsc::channel(64);
        let _ = events.send(PhoneEvent::Ready {
            sip: local.to_string(),
        });
        tokio::spawn(async move {
            let reply = driver
                .run(commands_rx, inbound_rx, media_rx, device_rx)
                .await;
            if let Some(reply) = reply {
                let _ = reply.send(());
            }
        });
        let engine = Engine {
            commands,
            events,
            local,
            devices,
            phone_audio: config.devices.audio(None),
            activity,
        };
        Ok((engine, first_subscriber))
    }

    /// The address peers reach us at.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// How fast device input reached the wire and state changes the LEDs
    /// (the last 10,000 of each).
    pub async fn desk_latency(&self) -> Result<crate::driver::latency::DeskLatency, EngineError> {
        self.ask(|reply| Command::DeskLatency { reply }).await
    }

    /// The phone's own sound (the configured microphone and speaker, the
    /// system's by default): for calls answered or placed from the local API
    /// (`hookswitch answer` against `hookswitch run`) rather than a script's
    /// files and tones.
    pub fn phone_audio(&self) -> AudioSpec {
        self.phone_audio.clone()
    }

    /// The call-control devices the engine drives (also to plug in simulated
    /// ones: `devices().simulate(spec)`).
    pub fn devices(&self) -> &DeviceManager {
        &self.devices
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<PhoneEvent> {
        self.events.subscribe()
    }

    /// Device gestures and LED reports from now on (for live views; not
    /// kept when nobody listens).
    pub fn device_activity(&self) -> broadcast::Receiver<DeviceActivity> {
        self.activity.subscribe()
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)
    }

    /// Places a call. `target`: a SIP URI, `user@host`, or a number at the account's domain.
    pub async fn call(
        &self,
        target: &str,
        account: Option<&str>,
        audio: AudioSpec,
    ) -> Result<CallId, EngineError> {
        let (target, account) = (target.to_string(), account.map(str::to_string));
        self.ask(|reply| Command::Call {
            target,
            account,
            audio,
            reply,
        })
        .await?
    }

    pub async fn answer(&self, call: CallId, audio: AudioSpec) -> Result<(), EngineError> {
        self.ask(|reply| Command::Answer { call, audio, reply })
            .await?
    }

    pub async fn reject(&self, call: CallId, status: u16) -> Result<(), EngineError> {
        self.ask(|reply| Command::Reject {
            call,
            status,
            reply,
        })
        .await?
    }

    /// Hangs up one call, or all of them.
    pub async fn hangup(&self, call: Option<CallId>) -> Result<(), EngineError> {
        self.ask(|reply| Command::Hangup { call, reply }).await?
    }

    pub async fn send_dtmf(&self, call: CallId, keys: &str) -> Result<(), EngineError> {
        let keys = keys.to_string();
        self.ask(|reply| Command::Dtmf { call, keys, reply })
            .await?
    }

    pub async fn set_mute(&self, call: CallId, muted: bool) -> Result<(), EngineError> {
        self.ask(|reply| Command::Mute { call, muted, reply })
            .await?
    }

    /// Turns do-not-disturb on or off for an account (`None`: calls to no
    /// account). Not saved: the configuration file keeps the start-up value.
    pub async fn set_dnd(&self, account: Option<&str>, on: bool) -> Result<(), EngineError> {
        let account = account.map(str::to_string);
        self.ask(|reply| Command::Handling {
            account,
            change: HandlingChange::Dnd(on),
            reply,
        })
        .await?
    }

    /// Sets (`Some(target)`: a SIP URI or a number at the account's domain) or
    /// clears one kind of call forwarding of an account.
    pub async fn set_forward(
        &self,
        account: Option<&str>,
        reason: ForwardReason,
        target: Option<String>,
    ) -> Result<(), EngineError> {
        let account = account.map(str::to_string);
        self.ask(|reply| Command::Handling {
            account,
            change: HandlingChange::Forward(reason, target),
            reply,
        })
        .await?
    }

    /// Blind transfer: asks the other side of `call` to call `target` (a SIP
    /// URI or a number at the account's domain). `TransferProgress` events
    /// follow; once the target answers, this call ends.
    pub async fn transfer(&self, call: CallId, target: &str) -> Result<(), EngineError> {
        let target = target.to_string();
        self.ask(|reply| Command::Transfer {
            call,
            target,
            reply,
        })
        .await?
    }

    /// Attended transfer: the other side of `call` is asked to call the other
    /// side of `consult` (our second call) in our place (REFER with Replaces).
    /// Both our calls end once it has.
    pub async fn transfer_attended(
        &self,
        call: CallId,
        consult: CallId,
    ) -> Result<(), EngineError> {
        self.ask(|reply| Command::TransferAttended {
            call,
            consult,
            reply,
        })
        .await?
    }

    /// Puts an established call on hold (a re-INVITE offering `sendonly`; our
    /// microphone stops at once) or resumes it (`sendrecv`). The outcome comes
    /// as `MediaUpdated` (or `HoldFailed` if the peer refuses).
    pub async fn set_hold(&self, call: CallId, held: bool) -> Result<(), EngineError> {
        self.ask(|reply| Command::Hold { call, held, reply })
            .await?
    }

    /// A call's media figures so far: packets, loss, jitter, round trip (once
    /// the peer's RTCP has named one of our reports), MOS.
    pub async fn call_stats(&self, call: CallId) -> Result<CallStats, EngineError> {
        self.ask(|reply| Command::Stats { call, reply }).await?
    }

    /// Sets a call's volume in percent of its own level (100 = unchanged,
    /// 0 = silent, at most `audio::MAX_PERCENT`): `speaker` is what the user
    /// hears, `microphone` what the other side hears. `None` leaves one as is.
    pub async fn set_volume(
        &self,
        call: CallId,
        speaker: Option<u16>,
        microphone: Option<u16>,
    ) -> Result<(), EngineError> {
        let gain = |p: Option<u16>| -> Result<Option<Gain>, EngineError> {
            p.map(|p| {
                Gain::from_percent(p).ok_or_else(|| {
                    EngineError::Audio(format!("volume {p}% is above {MAX_PERCENT}%"))
                })
            })
            .transpose()
        };
        let (speaker, microphone) = (gain(speaker)?, gain(microphone)?);
        self.ask(|reply| Command::Volume {
            call,
            speaker,
            microphone,
            reply,
        })
        .await?
    }

    pub async fn calls(&self) -> Result<Vec<CallSummary>, EngineError> {
        self.ask(|reply| Command::Calls { reply }).await
    }

    /// Hangs up, unregisters (waiting up to 3 s for the registrar), and stops.
    pub async fn shutdown(&self) {
        let _ = self.ask(|reply| Command::Shutdown { reply }).await;
    }
}

#[cfg(test)]
mod tests {
    use super::with_default_port;

    #[test]
    fn stun_server_names_get_port_3478_unless_they_say() {
        assert_eq!(
            with_default_port("stun.example.org", 3478),
            "stun.example.org:3478"
        );
        assert_eq!(
            with_default_port("stun.example.org:19302", 3478),
            "stun.example.org:19302"
        );
        assert_eq!(with_default_port("192.0.2.1", 3478), "192.0.2.1:3478");
        assert_eq!(with_default_port("192.0.2.1:3479", 3478), "192.0.2.1:3479");
        assert_eq!(with_default_port("2001:db8::1", 3478), "[2001:db8::1]:3478");
        assert_eq!(
            with_default_port("[2001:db8::1]:5", 3478),
            "[2001:db8::1]:5"
        );
    }
}
