//! The shell's state: the engine it runs (started, restarted after an account
//! is saved, stopped at exit), the settings files, the call history, and the
//! last of each kind of event so that a window opened late can draw itself.
//! No call logic lives here: every decision is the engine's.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hookswitch_phone::config::{self, Config};
use hookswitch_phone::history::History;
use hookswitch_phone::{Engine, Passwords, PhoneEvent};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;

use crate::settings::DesktopSettings;

/// Locks a mutex whose holder may have panicked (its data is still usable).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct AppState {
    pub config_path: PathBuf,
    pub config: Mutex<Config>,
    pub desktop_path: PathBuf,
    pub desktop: Mutex<DesktopSettings>,
    pub history: Mutex<History>,
    pub view: Mutex<View>,
    pub engine: tokio::sync::Mutex<Option<Running>>,
    /// Settings changed during a call: restart the engine once it is idle.
    pub restart_when_idle: Mutex<bool>,
}

/// A started engine and the tasks that pass its events on.
pub struct Running {
    pub engine: Engine,
    pub tasks: Vec<JoinHandle<()>>,
}

impl Running {
    pub async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        self.engine.shutdown().await;
    }
}

/// The latest of each kind of event, for a window that opens after them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct View {
    /// The address we listen on, once started.
    pub sip: Option<String>,
    /// Why the engine is not running (bad settings, port in use).
    pub engine_error: Option<String>,
    /// Latest `Registration` event per account.
    pub registrations: BTreeMap<String, PhoneEvent>,
    /// Accounts not registered because no password was found.
    pub missing_passwords: Vec<String>,
    /// DND per account ("" for calls to no account).
    pub dnd: BTreeMap<String, bool>,
    /// Latest `MessageWaiting` per account ("" for none).
    pub message_waiting: BTreeMap<String, PhoneEvent>,
    /// Devices found but not usable, by path: their `Device` event (what to
    /// do, and why); gone when unplugged.
    pub unusable_devices: BTreeMap<String, PhoneEvent>,
}

impl View {
    pub fn follow(&mut self, e: &PhoneEvent) {
        match e {
            PhoneEvent::Ready { sip } | PhoneEvent::AddressChanged { sip, .. } => {
                self.sip = Some(sip.clone());
            }
            PhoneEvent::Registration { account, .. } => {
                self.registrations.insert(account.clone(), e.clone());
            }
            PhoneEvent::Dnd { account, on } => {
                self.dnd.insert(account.clone().unwrap_or_default(), *on);
            }
            PhoneEvent::MessageWaiting { account, .. } => {
                self.message_waiting
                    .insert(account.clone().unwrap_or_default(), e.clone());
            }
            PhoneEvent::Device { change, name, .. } if change == "unusable" => {
                self.unusable_devices.insert(name.clone(), e.clone());
            }
            PhoneEvent::Device {
                change,
                name,
                device: None,
                ..
            } if change == "removed" => {
                self.unusable_devices.remove(name);
            }
            _ => {}
        }
    }
}

impl AppState {
    pub fn new(config_path: PathBuf) -> AppState {
        let (config, config_error) = match Config::load(&config_path) {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e.to_string())),
        };
        let desktop_path = DesktopSettings::path_next_to(&config_path);
        let desktop = DesktopSettings::load(&desktop_path).unwrap_or_else(|e| {
            tracing::warn!("{e}; using the defaults");
            DesktopSettings::default()
        });
        let history = History::open(&History::default_path()).unwrap_or_else(|e| {
            tracing::warn!("{e}; history kept in memory only");
            History::in_memory()
        });
        let view = View {
            engine_error: config_error,
            ..View::default()
        };
        AppState {
            config_path,
            config: Mutex::new(config),
            desktop_path,
            desktop: Mutex::new(desktop),
            history: Mutex::new(history),
            view: Mutex::new(view),
            engine: tokio::sync::Mutex::new(None),
            restart_when_idle: Mutex::new(false),
        }
    }

    /// The running engine (a clone: commands do not hold the lock).
    pub async fn engine(&self) -> Result<Engine, String> {
        match &*self.engine.lock().await {
            Some(r) => Ok(r.engine.clone()),
            None => Err(lock(&self.view)
                .engine_error
                .clone()
                .unwrap_or_else(|| "the phone is starting".into())),
        }
    }

    /// No call is up (or no engine runs): a restart would cut nothing.
    pub async fn idle(&self) -> bool {
        match self.engine().await {
            Ok(engine) => engine.calls().await.map(|c| c.is_empty()).unwrap_or(true),
            Err(_) => true,
        }
    }

    /// The configuration to start with: accounts whose password is in
    /// neither the environment nor the keyring do not register (the window
    /// asks for it) instead of keeping the whole phone from starting.
    pub fn startable_config(&self) -> (Config, Passwords, Vec<String>) {
        let mut config = lock(&self.config).clone();
        let mut passwords = Passwords::new();
        let mut missing = Vec::new();
        for a in &mut config.accounts {
            if !a.register {
                continue;
            }
            match config::password(&a.name) {
                Ok(p) => {
                    passwords.insert(a.name.clone(), p);
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    missing.push(a.name.clone());
                    a.register = false;
                }
            }
        }
        (config, passwords, missing)
    }

    pub fn save_config(&self) -> Result<(), String> {
        lock(&self.config)
            .save(&self.config_path)
            .map_err(|e| e.to_string())
    }
}

/// Seconds since the Unix epoch, for history entries.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookswitch_devices::DeviceProblem;

    #[test]
    fn the_view_keeps_the_latest_of_each() {
        let mut v = View::default();
        let reg = |state: &str| PhoneEvent::Registration {
            account: "work".into(),
            state: state.into(),
            detail: None,
            status: None,
        };
        v.follow(&PhoneEvent::Ready {
            sip: "192.0.2.1:5060".into(),
        });
        v.follow(&reg("registering"));
        v.follow(&reg("registered"));
        v.follow(&PhoneEvent::Dnd {
            account: None,
            on: true,
        });
        let device = |name: &str, change: &str| PhoneEvent::Device {
            device: None,
            name: name.into(),
            change: change.into(),
            detail: (change == "unusable").then(|| "permission denied".into()),
            problem: (change == "unusable").then_some(DeviceProblem::NoAccess),
        };
        v.follow(&device("/dev/hidraw3", "unusable"));
        v.follow(&device("/dev/hidraw4", "unusable"));
        v.follow(&device("/dev/hidraw4", "removed"));
        assert_eq!(v.sip.as_deref(), Some("192.0.2.1:5060"));
        assert_eq!(v.registrations["work"], reg("registered"));
        assert!(v.dnd[""]);
        assert_eq!(
            v.unusable_devices.keys().collect::<Vec<_>>(),
            ["/dev/hidraw3"],
            "the unplugged one is forgotten"
        );
        assert_eq!(
            v.unusable_devices["/dev/hidraw3"],
            device("/dev/hidraw3", "unusable")
        );
    }
}
