//! Starting the engine from the configuration, the `run` daemon, `register`, and
//! commands sent to a running instance.

use std::io::Read;
use std::sync::Arc;

use anyhow::{Context, bail};
use hookswitch_api::token::TokenFile;
use hookswitch_api::{ApiContext, ApiServer};
use hookswitch_phone::config::{self, Config};
use hookswitch_phone::control;
use hookswitch_phone::directory::Directory;
use hookswitch_phone::hooks::Hooks;
use hookswitch_phone::records::Records;
use hookswitch_phone::state::BalanceView;
use hookswitch_phone::store::Store;
use hookswitch_phone::{
    Action, Engine, Passwords, PhoneEvent, RegistrationPhase, Reply, StartOptions,
};
use tokio::sync::broadcast;

use crate::cli::Cli;
use crate::exit;

/// Loads the configuration with the command-line overrides applied.
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let path = cli.config_path();
    // The default file missing is a first run (the defaults); a file named
    // on purpose and missing is a typo, not a wish for the defaults.
    if cli.config.is_some() && !path.exists() {
        anyhow::bail!("--config {}: no such file", path.display());
    }
    let mut config = Config::load(&path)?;
    if config.devices.profiles_dir.is_none() {
        // The user's own profiles (hid-learn writes them there).
        config.devices.profiles_dir = path.parent().map(|p| p.join("device-profiles"));
    }
    if let Some(bind) = cli.bind {
        config.sip.listen = bind;
    }
    config.sip.accept_p2p |= cli.accept_p2p;
    Ok(config)
}

/// Passwords of the accounts that need one: those that register, and `extra`.
pub fn passwords(config: &Config, extra: Option<&str>) -> anyhow::Result<Passwords> {
    let mut out = Passwords::new();
    for a in &config.accounts {
        let for_balance = a.balance.as_ref().is_some_and(|b| b.needs_password());
        if a.register || for_balance || Some(a.name.as_str()) == extra {
            out.insert(a.name.clone(), config::password(&a.name)?);
        }
    }
    Ok(out)
}

/// Starts the engine; the receiver sees every event from its start.
pub async fn start_engine(
    cli: &Cli,
    config: &Config,
    passwords: &Passwords,
) -> anyhow::Result<(Engine, broadcast::Receiver<PhoneEvent>)> {
    start_engine_with(cli, config, passwords, StartOptions::default()).await
}

/// The store (contacts, history, messages); none (with a warning) when it
/// cannot be opened: the phone works without it.
pub fn open_store(config: &Config) -> Option<Arc<Store>> {
    let plan = config.directory.plan().ok()?;
    match Store::open(&Store::default_path(), plan) {
        Ok(store) => Some(Arc::new(store)),
        Err(e) => {
            tracing::warn!("{e}; no address book, history and messages kept in memory only");
            None
        }
    }
}

/// The address book over `store`, that names callers.
pub fn directory_over(config: &Config, store: &Arc<Store>) -> Arc<Directory> {
    let directory = Directory::new(store.clone());
    if let Err(e) = directory.apply(&config.directory) {
        tracing::warn!("{e}");
    }
    directory
}

/// The address book that names callers, when the store opens.
pub fn open_directory(config: &Config) -> Option<Arc<Directory>> {
    open_store(config).map(|store| directory_over(config, &store))
}

/// As `start_engine`, with `options`.
pub async fn start_engine_with(
    cli: &Cli,
    config: &Config,
    passwords: &Passwords,
    options: StartOptions,
) -> anyhow::Result<(Engine, broadcast::Receiver<PhoneEvent>)> {
    let (engine, events) = Engine::start_with(config, passwords, options).await?;
    if !cli.json {
        say!("listening on {} (udp, tcp)", engine.local_addr());
    }
    Ok((engine, events))
}

/// Prints an event as text or JSON.
pub fn print_event(cli: &Cli, e: &PhoneEvent) {
    if cli.json {
        if let Ok(line) = serde_json::to_string(e) {
            say!("{line}");
        }
        return;
    }
    let line = match e {
        PhoneEvent::Ready { sip } => format!("ready on {sip}"),
        PhoneEvent::AddressChanged { sip, media, cause } => {
            format!("address now {sip} (media {media}; {cause})")
        }
        PhoneEvent::Registration {
            account,
            state,
            detail,
            ..
        } => match detail {
            Some(d) => format!("account {account}: {state} ({d})"),
            None => format!("account {account}: {state}"),
        },
        PhoneEvent::IncomingCall { call, from, .. } => format!("call {call}: incoming from {from}"),
        PhoneEvent::Calling { call, to, .. } => format!("call {call}: calling {to}"),
        PhoneEvent::Held { call, held } => {
            format!("call {call}: {}", if *held { "on hold" } else { "resumed" })
        }
        PhoneEvent::Muted { call, muted } => {
            format!("call {call}: {}", if *muted { "muted" } else { "unmuted" })
        }
        PhoneEvent::Volume {
            call,
            speaker_percent,
            microphone_percent,
        } => {
            let level = |p: &Option<u16>| p.map_or("unchanged".to_string(), |p| format!("{p}%"));
            format!(
                "call {call}: earpiece {}, microphone {}",
                level(speaker_percent),
                level(microphone_percent)
            )
        }
        PhoneEvent::Dnd { account, on } => format!(
            "do not disturb {} for {}",
            if *on { "on" } else { "off" },
            account.as_deref().unwrap_or("the phone")
        ),
        PhoneEvent::Forwarding {
            account,
            when,
            target,
        } => format!(
            "forwarding ({when}) for {}: {}",
            account.as_deref().unwrap_or("the phone"),
            target.as_deref().unwrap_or("off")
        ),
        PhoneEvent::SoundDevices {
            microphone,
            speaker,
            ring_device,
        } => format!(
            "sound: microphone {microphone}, speaker {speaker}, ring {}",
            ring_device.as_deref().unwrap_or("none")
        ),
        // What the LEDs show and which call they follow: in --json only.
        PhoneEvent::Leds { .. } | PhoneEvent::Focus { .. } => return,
        PhoneEvent::WindowWanted => "a device's button asks for the window".into(),
        PhoneEvent::MessageWaiting {
            account,
            waiting,
            new,
            old,
        } => {
            let whose = account.as_deref().unwrap_or("voicemail");
            match (waiting, new, old) {
                (true, Some(n), Some(o)) => format!("{whose}: {n} new voicemail ({o} old)"),
                (true, ..) => format!("{whose}: new voicemail"),
                (false, ..) => format!("{whose}: no new voicemail"),
            }
        }
        PhoneEvent::Message {
            from, name, text, ..
        } => match name {
            Some(name) => format!("message from {name} <{from}>: {text}"),
            None => format!("message from {from}: {text}"),
        },
        PhoneEvent::Composing { from, active, .. } => match active {
            true => format!("{from} is typing"),
            false => format!("{from} stopped typing"),
        },
        PhoneEvent::MessageSent {
            message, to, text, ..
        } => format!("message {message} to {to}: {text}"),
        PhoneEvent::MessageDelivered { message } => format!("message {message}: delivered"),
        PhoneEvent::MessageFailed {
            message,
            status,
            reason,
        } => format!("message {message}: not delivered ({status} {reason})"),
        PhoneEvent::OwnPresence {
            availability,
            chosen,
            note,
        } => {
            let note = note.as_deref().map_or(String::new(), |n| format!(" ({n})"));
            if availability == chosen {
                format!("presence: {}{note}", availability.as_str())
            } else {
                format!(
                    "presence: {}{note}, chosen {}",
                    availability.as_str(),
                    chosen.as_str()
                )
            }
        }
        PhoneEvent::Presence {
            target,
            availability,
            note,
            detail,
        } => {
            let note = note.as_deref().map_or(String::new(), |n| format!(" ({n})"));
            let detail = detail
                .as_deref()
                .map_or(String::new(), |d| format!(" [{d}]"));
            format!("{target}: {}{note}{detail}", availability.as_str())
        }
        PhoneEvent::Unwatched { target } => format!("{target}: no longer watched"),
        PhoneEvent::Balance { .. } => match BalanceView::of_event(e) {
            Some(view) => balance_line(&view),
            None => return,
        },
        PhoneEvent::Conference { calls } if calls.is_empty() => "conference over".to_string(),
        PhoneEvent::Conference { calls } => {
            let calls: Vec<String> = calls.iter().map(u64::to_string).collect();
            format!("conference of calls {}", calls.join(", "))
        }
        PhoneEvent::Lamp {
            account,
            extension,
            lamp,
            caller,
            detail,
        } => {
            let caller = caller
                .as_deref()
                .map_or(String::new(), |c| format!(" from {c}"));
            let detail = detail
                .as_deref()
                .map_or(String::new(), |d| format!(" [{d}]"));
            format!("lamp {extension} ({account}): {lamp:?}{caller}{detail}").to_lowercase()
        }
        PhoneEvent::Dialing { digits, done } => match (done, digits.is_empty()) {
            (false, true) => "dial tone".to_string(),
            (false, false) => format!("dialing {digits}"),
            (true, true) => "dialing given up".to_string(),
            (true, false) => format!("dialed {digits}"),
        },
        PhoneEvent::Device {
            device,
            name,
            change,
            detail,
            ..
        } => {
            let who = match device {
                Some(id) => format!("device {id} {name}").trim_end().to_string(),
                None => name.clone(),
            };
            match detail {
                Some(d) => format!("{who}: {change} ({d})"),
                None => format!("{who}: {change}"),
            }
        }
        PhoneEvent::Progress {
            call,
            status,
            reason,
        } => format!("call {call}: {status} {reason}"),
        PhoneEvent::Established {
            call,
            codec,
            remote_media,
            encryption,
        } => {
            format!(
                "call {call}: established ({codec}, {}, media to {})",
                match encryption {
                    Some(suite) => format!("encrypted: SRTP {suite}"),
                    None => "not encrypted".to_string(),
                },
                remote_media.as_deref().unwrap_or("nobody (held)")
            )
        }
        PhoneEvent::MediaUpdated { call, direction } => {
            format!("call {call}: media now {direction}")
        }
        PhoneEvent::Deflected {
            call,
            from,
            reason,
            forwarded_to,
            status,
            ..
        } => match forwarded_to {
            Some(to) => format!("call {call} from {from}: forwarded to {to} ({reason})"),
            None => format!("call {call} from {from}: refused with {status} ({reason})"),
        },
        PhoneEvent::TransferProgress { call, status, done } => format!(
            "call {call}: transfer {}{status}",
            if *done { "ended " } else { "" }
        ),
        PhoneEvent::Transferring {
            call,
            new_call,
            target,
        } => format!("call {call}: transferred to {target} (call {new_call})"),
        PhoneEvent::HoldFailed { call, held, status } => format!(
            "call {call}: the other side refused to {} ({status})",
            if *held { "be held" } else { "resume" }
        ),
        PhoneEvent::DtmfReceived { call, key } => format!("call {call}: dtmf {key}"),
        PhoneEvent::PlaybackFinished { call } => format!("call {call}: playback finished"),
        PhoneEvent::Recording {
            call,
            path: Some(path),
            ..
        } => format!("call {call}: recording to {path}"),
        PhoneEvent::Recording {
            call,
            error: Some(why),
            ..
        } => format!("call {call}: cannot record: {why}"),
        PhoneEvent::Recording { call, .. } => format!("call {call}: recording stopped"),
        PhoneEvent::CallerIdentified { call, name, source } => {
            format!("call {call}: {name} ({source})")
        }
        PhoneEvent::Ended {
            call,
            reason,
            status,
            detail,
            stats,
        } => {
            let mut s = format!("call {call}: ended ({reason}");
            if let Some(st) = status {
                s.push_str(&format!(" {st}"));
            }
            if let Some(d) = detail {
                s.push_str(&format!(" {d}"));
            }
            s.push(')');
            if let Some(st) = stats {
                s.push_str(&format!(
                    "; rtp sent {} received {} lost {} concealed {}; jitter {:.1} ms",
                    st.packets_sent,
                    st.packets_received,
                    st.packets_lost,
                    st.concealed_frames,
                    st.jitter_ms
                ));
                if let Some(rtt) = st.rtt_ms {
                    s.push_str(&format!(", round trip {rtt:.1} ms"));
                }
                s.push_str(&format!(", MOS {:.1}", st.mos));
            }
            s
        }
    };
    say!("{line}");
}

/// `account office: balance 12.50 EUR (low)`.
pub fn balance_line(b: &BalanceView) -> String {
    format!("account {}: balance {}", b.account, b.summary())
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// The control socket `call` and `listen` serve when given `--control
/// PATH`, so a script can hang up, hold or send DTMF to the call they run
/// (`hookswitch --control PATH hangup`). Removed when dropped.
pub struct ControlServer {
    path: std::path::PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl ControlServer {
    /// Takes the socket `--control` names, if it names one; refused (an
    /// error, before anything else happens) when a running instance holds it.
    pub async fn bind_if_asked(
        cli: &Cli,
    ) -> anyhow::Result<Option<(std::path::PathBuf, tokio::net::UnixListener)>> {
        let Some(path) = cli.control.clone() else {
            return Ok(None);
        };
        let listener = control::bind(&path)
            .await
            .with_context(|| format!("--control {}", path.display()))?;
        Ok(Some((path, listener)))
    }

    pub fn serve(
        cli: &Cli,
        engine: &Engine,
        bound: Option<(std::path::PathBuf, tokio::net::UnixListener)>,
    ) -> Option<ControlServer> {
        let (path, listener) = bound?;
        if !cli.json {
            say!("control socket {}", path.display());
        }
        let engine = engine.clone();
        let task = tokio::spawn(control::serve_on(engine, listener));
        Some(ControlServer { path, task })
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Stops the phone the way a phone hangs up: calls ended, the CANCEL's 487
/// and our refusals ACKed, BYEs answered, bindings removed, for at most
/// 64*T1 (the engine's limit). A second Ctrl-C (or SIGTERM) stops waiting.
pub async fn finish(engine: &Engine) {
    tokio::select! {
        _ = engine.shutdown() => {}
        _ = stop_signal() => eprintln!("hookswitch: quitting without waiting for the network"),
    }
}

pub async fn run(cli: &Cli) -> anyhow::Result<u8> {
    let config = load_config(cli)?;
    // The control socket first: no private directory for it (or another
    // phone running there), no phone.
    let socket = cli.control_path()?;
    let listener = control::bind(&socket).await?;
    let passwords = passwords(&config, None)?;
    // DND, forwarding and sound devices changed while it runs (from a
    // headset, `hookswitch dnd`, ...) are saved to the file it runs from.
    let store = open_store(&config);
    let directory = store.as_ref().map(|s| directory_over(&config, s));
    let records = store
        .as_ref()
        .map_or_else(Records::in_memory, Records::open);
    if let Some(d) = &directory {
        // CardDAV books copied and kept current while the phone runs.
        tokio::spawn(hookswitch_phone::directory::keep_in_sync(d.clone()));
    }
    let options = StartOptions {
        persist_to: Some(cli.config_path()),
        directory: directory.clone(),
        records: Some(records.clone()),
        ..StartOptions::default()
    };
    let (engine, mut events) = start_engine_with(cli, &config, &passwords, options).await?;
    let hooks_store = store.clone().unwrap_or_else(|| {
        Arc::new(Store::in_memory(
            config.directory.plan().unwrap_or_default(),
        ))
    });
    let hooks = tokio::spawn(Hooks::new(&config.hooks, hooks_store).run(events.resubscribe()));
    let _api = match config.api.listen {
        Some(_) => {
            let ctx = ApiContext {
                engine: engine.clone(),
                records: records.clone(),
                directory,
                accounts: Arc::new(config.accounts.clone()),
            };
            let token = Arc::new(TokenFile::new(hookswitch_api::token::default_path()));
            let api = match ApiServer::start(&config.api, token, ctx).await {
                Ok(api) => api,
                Err(e) => {
                    finish(&engine).await;
                    return Err(e.into());
                }
            };
            if !cli.json {
                say!("api {} (token: `hookswitch api token`)", api.url());
            }
            Some(api)
        }
        None => None,
    };
    let mut server = tokio::spawn(control::serve_on(engine.clone(), listener));
    if !cli.json {
        say!("control socket {}", socket.display());
        if config.accounts.is_empty() {
            say!("no accounts configured: peer-to-peer calls only (see README: Configuration)");
        }
    }
    let mut code = exit::OK;
    loop {
        tokio::select! {
            e = events.recv() => match e {
                Ok(e) => print_event(cli, &e),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
            r = &mut server => {
                // The server never ends by itself; a panic in it would.
                if let Err(e) = r {
                    eprintln!("hookswitch: control socket: {e}");
                }
                code = exit::ERROR;
                break;
            }
            _ = stop_signal() => break,
        }
    }
    server.abort();
    finish(&engine).await;
    hooks.abort();
    if code == exit::OK {
        let _ = std::fs::remove_file(&socket);
    }
    Ok(code)
}

pub async fn register(cli: &Cli, only: Option<&str>) -> anyhow::Result<u8> {
    let mut config = load_config(cli)?;
    if let Some(name) = only {
        config.accounts.retain(|a| a.name == name);
        if config.accounts.is_empty() {
            bail!(
                "no account named {name:?} in {}",
                cli.config_path().display()
            );
        }
    }
    for a in &mut config.accounts {
        a.register = true;
    }
    if config.accounts.is_empty() {
        bail!("no accounts in {}", cli.config_path().display());
    }
    let passwords = passwords(&config, None)?;
    let (engine, mut events) = start_engine(cli, &config, &passwords).await?;
    let mut pending: Vec<String> = config.accounts.iter().map(|a| a.name.clone()).collect();
    let mut failed = false;
    let deadline = tokio::time::sleep(std::time::Duration::from_secs(40));
    tokio::pin!(deadline);
    while !pending.is_empty() {
        tokio::select! {
            e = events.recv() => {
                let Ok(e) = e else { break };
                print_event(cli, &e);
                if let PhoneEvent::Registration { account, state, .. } = &e
                    && matches!(state, RegistrationPhase::Registered | RegistrationPhase::Failed)
                {
                    failed |= *state == RegistrationPhase::Failed;
                    pending.retain(|p| p != account);
                }
            }
            _ = &mut deadline => {
                failed = true;
                break;
            }
        }
    }
    finish(&engine).await;
    Ok(if failed {
        exit::REGISTRATION_FAILED
    } else {
        exit::OK
    })
}

/// Sends `action` to the running instance and prints its answer: the calls
/// of its state for `calls`, figures as JSON, a placed call's number.
pub async fn control(cli: &Cli, action: Action) -> anyhow::Result<u8> {
    let reply = match cli.request(&action).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hookswitch: {e}");
            return Ok(exit::NOT_RUNNING);
        }
    };
    if cli.json {
        say!("{}", serde_json::to_string(&reply)?);
    } else {
        match &reply.result {
            None | Some(Reply::Done) => {}
            Some(Reply::Call(call)) => say!("call {call}"),
            Some(Reply::Message(id)) => say!("message {id} delivered"),
            Some(Reply::Answered(call)) => say!("answered call {call}"),
            Some(Reply::HungUp) => say!("hung up"),
            Some(Reply::Stats(stats)) => say!("{}", serde_json::to_string_pretty(stats)?),
            Some(Reply::State(state)) => {
                say!("{}", serde_json::to_string_pretty(&state.calls)?)
            }
        }
    }
    if reply.ok {
        Ok(exit::OK)
    } else {
        eprintln!("hookswitch: {}", reply.error.unwrap_or_default());
        Ok(exit::ERROR)
    }
}

pub fn check_config(cli: &Cli) -> anyhow::Result<u8> {
    let path = cli.config_path();
    let config = load_config(cli)?;
    say!(
        "{}: ok ({} account(s))",
        path.display(),
        config.accounts.len()
    );
    let mut code = exit::OK;
    for a in &config.accounts {
        match config::password(&a.name) {
            Ok(_) => say!("account {}: password found", a.name),
            Err(e) => {
                say!("account {}: {e}", a.name);
                code = exit::ERROR;
            }
        }
    }
    Ok(code)
}

pub fn set_password(cli: &Cli, account: &str) -> anyhow::Result<u8> {
    let config = load_config(cli)?;
    if !config.password_entries().iter().any(|e| e == account) {
        bail!(
            "{account:?} is not an account, `ldap`, `carddav:BOOK` or `hook:NAME` of {}",
            cli.config_path().display()
        );
    }
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("empty password on standard input");
    }
    config::store_password(account, password).map_err(|e| {
        anyhow::anyhow!(
            "the OS keyring refused ({e}); where no keyring service runs, set {} instead",
            config::password_env_var(account)
        )
    })?;
    say!("password for {account} stored in the OS keyring");
    Ok(exit::OK)
}
