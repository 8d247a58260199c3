//! The engine handle: start it, send it commands, subscribe to its events.
//! One engine serves every face (CLI, app, local API).

use std::net::SocketAddr;

use hookswitch_sip::ua::{AcceptMessages, Config as UaConfig};
use rand::SeedableRng;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::action::{Action, Reply};
use crate::config::{Config, account_config};
use crate::core::{CoreSettings, Output, PhoneCore};
use crate::driver::media::MediaEdge;
use crate::driver::{Command, Driver, Outlets, Receivers};
use crate::edge::address::Address;
use crate::edge::local_address::LocalAddress;
use crate::edge::nat::Nat;
use crate::edge::persist::Persist;
use crate::edge::transport::Transports;
use crate::error::EngineError;
use crate::event::{DeviceActivity, PhoneEvent};
use crate::state::PhoneState;
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
    let (profiles, errors) =
        hookswitch_devices::profiles::load(config.devices.profiles_dir.as_deref());
    for e in errors {
        tracing::warn!("device profile left out: {e}");
    }
    let devices = DeviceManager::new(profiles, sink);
    devices.set_disabled(config.devices.disabled.clone());
    devices.set_light_settings(config.devices.busylight.clone());
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
        simulated_socket::serve(handle, &s.socket, devices.replug(spec.clone())).map_err(|e| {
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

/// How an engine starts, beyond its configuration.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Save settings changed at run time (DND, forwarding, sound devices)
    /// to this configuration file, whichever face changed them.
    pub persist_to: Option<std::path::PathBuf>,
    /// Seed the phone's randomness (tags, Call-IDs, keys): the same seed and
    /// the same inputs give the same bytes. `None`: the system's randomness.
    pub seed: Option<u64>,
    /// The sound of calls the phone answers by itself (auto-answer,
    /// intercom): files or devices of a script's own; `None`: the phone's
    /// sound devices.
    pub answer_audio: Option<crate::audio::AudioSpec>,
    /// The address book that names callers (none: SIP's names only).
    pub directory: Option<std::sync::Arc<crate::directory::Directory>>,
    /// The history and messages this phone keeps, fed before each event is
    /// published (none: the phone keeps nothing).
    pub records: Option<std::sync::Arc<crate::records::Records>>,
}

#[derive(Clone)]
pub struct Engine {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<PhoneEvent>,
    state: watch::Receiver<PhoneState>,
    local: SocketAddr,
    devices: DeviceManager,
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
        Self::start_with(config, passwords, StartOptions::default()).await
    }

    /// As `start`, with `options`.
    pub async fn start_with(
        config: &Config,
        passwords: &Passwords,
        options: StartOptions,
    ) -> Result<(Engine, broadcast::Receiver<PhoneEvent>), EngineError> {
        config
            .validate()
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let dns_servers = config
            .dns_servers()
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let (inbound_tx, inbound_rx) = mpsc::channel(256);
        let ca_files: Vec<_> = config
            .accounts
            .iter()
            .filter_map(|a| a.tls_ca_file.clone())
            .collect();
        let tls = crate::edge::tls::client_config(&ca_files)
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let tls_server = match (&config.sip.tls_certificate, &config.sip.tls_private_key) {
            (Some(cert), Some(key)) => Some(
                crate::edge::tls::server_config(cert, key)
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
        let now = std::time::Instant::now();
        let nat = Nat::new(
            LocalAddress::from_config(config, bound.ip()),
            Some(std::time::Duration::from_secs(
                config.sip.network_check_secs,
            )),
            bound.port(),
            stun_server,
            now,
        );
        let local = nat.advertised();
        let accounts = config
            .accounts
            .iter()
            .map(|a| account_config(a, passwords.get(&a.name).cloned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let local_v6 = crate::edge::local_address::dual_stack_v6(config, bound);
        let ua = UaConfig {
            local,
            timers: config.timers(),
            accounts,
            contact_user: config.sip.user.clone(),
            keepalive: config.keepalive(),
            tls_port: tls_port.then(|| bound.port().wrapping_add(1)),
            local_v6,
            // Messages come as calls do: peer to peer only when those are
            // taken, only via a registrar when calls must be.
            accept_messages: match (config.sip.accept_p2p, config.sip.only_from_registrar) {
                (true, _) => AcceptMessages::Any,
                (false, true) => AcceptMessages::ViaRegistrar,
                (false, false) => AcceptMessages::ForAccounts,
            },
        };
        let echo = match crate::echo::EchoService::start().await {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::warn!("the echo test is not available: {e}");
                None
            }
        };
        let mut settings = CoreSettings::from_config(config, echo.as_ref().map(|e| e.address))
            .map_err(|e| EngineError::Config(e.to_string()))?;
        settings.answer_audio = options.answer_audio;
        let rng = match options.seed {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
            None => rand::make_rng(),
        };
        let mut core = PhoneCore::new(ua, settings, rng, now);
        // The first events (Ready, the settings as they are) go to the
        // first subscriber; they are not saved back to the file they came from.
        let (events, first_subscriber) = broadcast::channel(1024);
        while let Some(o) = core.poll_output() {
            if let Output::Event(e) = o {
                let _ = events.send(e);
            }
        }
        let (state_tx, state) = watch::channel(core.state().clone());
        let (devices, device_rx, hotplug) = start_devices(config);
        plug_simulated_devices(&devices, &config.devices.simulated)?;
        let (activity, _) = broadcast::channel(256);
        let (media, media_rx) = MediaEdge::new(std::time::Duration::from_millis(
            config.audio.rtcp_interval_ms.max(500),
        ));
        let (identified_tx, identified_rx) = mpsc::unbounded_channel();
        let (balances_tx, balances_rx) = mpsc::unbounded_channel();
        let balance = if config.accounts.iter().any(|a| a.balance.is_some()) {
            let fetcher = crate::balance::BalanceFetcher::new(&config.accounts, passwords)
                .map_err(EngineError::Config)?;
            Some(std::sync::Arc::new(fetcher))
        } else {
            None
        };
        let driver = Driver {
            core,
            transports,
            address: Address::new(nat, stun_server).with_dual_stack(local_v6.is_some()),
            media,
            devices: devices.clone(),
            _hotplug: hotplug,
            outlets: Outlets {
                events: events.clone(),
                state: state_tx,
                activity: activity.clone(),
            },
            persist: options.persist_to.map(Persist::new),
            records: options.records,
            media_pause: config
                .audio
                .pause_media
                .then(crate::edge::media_players::MediaPause::start),
            _echo: echo,
            resolver: crate::edge::dns::Resolver::new(&dns_servers, bound.is_ipv6()),
            directory: options.directory,
            identified: identified_tx,
            balance,
            balances: balances_tx,
        };
        let (commands, commands_rx) = mpsc::channel(64);
        let receivers = Receivers {
            commands: commands_rx,
            inbound: inbound_rx,
            media: media_rx,
            devices: device_rx,
            identified: identified_rx,
            balances: balances_rx,
        };
        tokio::spawn(async move {
            if let Some(reply) = driver.run(receivers).await {
                let _ = reply.send(());
            }
        });
        let engine = Engine {
            commands,
            events,
            state,
            local,
            devices,
            activity,
        };
        Ok((engine, first_subscriber))
    }

    /// Asks the phone to do something: the one vocabulary every face uses.
    pub async fn act(&self, action: Action) -> Result<Reply, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Act(action, tx))
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// The phone's state now.
    pub fn state(&self) -> PhoneState {
        self.state.borrow().clone()
    }

    /// The phone's state, as it changes.
    pub fn watch_state(&self) -> watch::Receiver<PhoneState> {
        self.state.clone()
    }

    /// The address peers reach us at.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// How fast device input reached the wire and state changes the LEDs
    /// (the last 10,000 of each).
    pub async fn desk_latency(&self) -> Result<crate::latency::DeskLatency, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::DeskLatency(tx))
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)
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

    /// Hangs up, unregisters (waiting up to 3 s for the registrar), and stops.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
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
