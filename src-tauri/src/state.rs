//! The shell's state: the engine it runs (started, restarted after an account
//! is saved, stopped at exit), the settings files, the call history and the
//! instant messages. The
//! phone's own state is the engine's (`Engine::state`); nothing here copies
//! it, and no call logic lives here.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hookswitch_phone::config::{self, Config};
use hookswitch_phone::directory::Directory;
use hookswitch_phone::records::Records;
use hookswitch_phone::store::Store;
use hookswitch_phone::{Engine, Passwords};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;

use crate::locale::{self, Texts};
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
    /// The call history and the messages.
    pub records: Arc<Records>,
    /// The store (contacts, history, messages) and the address book over it.
    pub directory: Arc<Directory>,
    pub view: Mutex<AppView>,
    pub engine: tokio::sync::Mutex<Option<Running>>,
    /// Settings changed during a call: restart the engine once it is idle.
    pub restart_when_idle: Mutex<bool>,
    /// The tray's and notifications' words in the language in use.
    texts: Mutex<Arc<Texts>>,
}

/// A started engine and the tasks that pass its events on.
pub struct Running {
    pub engine: Engine,
    pub tasks: Vec<JoinHandle<()>>,
    /// The local HTTP API, when `[api] listen` asks for it.
    pub api: Option<hookswitch_api::ApiServer>,
}

impl Running {
    pub async fn stop(self) {
        drop(self.api);
        for t in &self.tasks {
            t.abort();
        }
        self.engine.shutdown().await;
    }
}

/// What the app knows beside the phone's own state: why the phone is not
/// running, and accounts left unregistered for want of a password.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppView {
    /// Why the engine is not running (bad settings, port in use).
    pub engine_error: Option<String>,
    /// Accounts not registered because no password was found.
    pub missing_passwords: Vec<String>,
    /// The locale the window speaks and formats for (BCP 47, "de-DE"): the
    /// language setting, else the system's.
    pub locale: String,
    /// The system's locale, for the setting's "as the system" choice.
    pub system_locale: String,
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
        let plan = config.directory.plan().unwrap_or_default();
        let store = Arc::new(
            Store::open(&Store::default_path(), plan.clone()).unwrap_or_else(|e| {
                tracing::warn!("{e}; contacts, history and messages kept in memory only");
                Store::in_memory(plan)
            }),
        );
        let records = Records::open(&store);
        let system_locale = locale::system_locale();
        let in_use = locale::resolve(&desktop.language, &system_locale);
        let texts = Mutex::new(Arc::new(Texts::new(&in_use)));
        let view = AppView {
            engine_error: config_error,
            locale: in_use,
            system_locale,
            ..AppView::default()
        };
        AppState {
            config_path,
            config: Mutex::new(config),
            desktop_path,
            desktop: Mutex::new(desktop),
            records,
            directory: Directory::new(store),
            view: Mutex::new(view),
            engine: tokio::sync::Mutex::new(None),
            restart_when_idle: Mutex::new(false),
            texts,
        }
    }

    pub fn texts(&self) -> Arc<Texts> {
        lock(&self.texts).clone()
    }

    /// Takes the language setting; returns the locale now in use.
    pub fn set_language(&self, setting: &str) -> String {
        let mut view = lock(&self.view);
        let in_use = locale::resolve(setting, &view.system_locale);
        if in_use != view.locale {
            *lock(&self.texts) = Arc::new(Texts::new(&in_use));
            view.locale.clone_from(&in_use);
        }
        in_use
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
            Ok(engine) => engine.state().calls.is_empty(),
            Err(_) => true,
        }
    }

    /// The configuration to start with: accounts whose password is in
    /// neither the environment nor the keyring do not register (the window
    /// asks for it) instead of keeping the whole phone from starting.
    pub fn startable_config(&self) -> (Config, Passwords, Vec<String>) {
        let mut config = lock(&self.config).clone();
        if config.devices.profiles_dir.is_none() {
            // The user's own profiles (hid-learn writes them there), as
            // `hookswitch run` reads them.
            config.devices.profiles_dir =
                self.config_path.parent().map(|p| p.join("device-profiles"));
        }
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

    /// Changes the configuration file (re-read first: the engine saves DND,
    /// forwarding and sound devices to it too) and keeps the copy here current.
    pub fn edit_config(&self, change: impl FnOnce(&mut Config)) -> Result<(), String> {
        let mut config = lock(&self.config);
        let mut changed = None;
        Config::edit(&self.config_path, |c| {
            change(c);
            changed = Some(c.clone());
        })
        .map_err(|e| e.to_string())?;
        if let Some(c) = changed {
            *config = c;
        }
        Ok(())
    }

    /// The configuration as the file has it now.
    pub fn reload_config(&self) {
        match Config::load(&self.config_path) {
            Ok(c) => *lock(&self.config) = c,
            Err(e) => tracing::warn!("{e}"),
        }
    }
}
