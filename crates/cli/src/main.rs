//! `hookswitch`: the softphone without a window. See README.md for every command.

#[macro_use]
mod output;
mod api;
mod balance;
mod calls;
mod cli;
mod contacts;
mod conversations;
mod daemon;
mod devices;
mod diagnose;
mod hid_learn;
mod hid_monitor;
mod manual;
mod messages;
mod presence;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, ConfigCommand, PasswordCommand};

/// Exit codes a script can rely on (also in README.md).
pub mod exit {
    /// The command did what was asked (a call was established and ended normally).
    pub const OK: u8 = 0;
    /// Bad usage, configuration or local error.
    pub const ERROR: u8 = 1;
    /// The call was not established (rejected, cancelled, no answer,
    /// network), or the message not delivered.
    pub const CALL_FAILED: u8 = 2;
    /// Registration failed.
    pub const REGISTRATION_FAILED: u8 = 3;
    /// No running instance to talk to.
    pub const NOT_RUNNING: u8 = 4;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    // Colours only on a terminal: a log piped to a file or a test harness
    // reads `device=pulse`, not escape codes.
    let stderr = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        );
    // The daemon also keeps a log file, at info, for `hookswitch diagnose`.
    let file = matches!(cli.command, Command::Run)
        .then(|| hookswitch_phone::log_file::LogFile::start("daemon").ok())
        .flatten()
        .map(|f| {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .with_filter(tracing_subscriber::EnvFilter::new("info"))
        });
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hookswitch: cannot start: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let code = runtime.block_on(async {
        let result = match &cli.command {
            Command::Run => daemon::run(&cli).await,
            Command::Register { account } => daemon::register(&cli, account.as_deref()).await,
            Command::Call(args) => calls::call(&cli, args).await,
            Command::Listen(args) => calls::listen(&cli, args).await,
            Command::Message(args) => messages::send(&cli, args).await,
            Command::Presence { command } => presence::run(&cli, command).await,
            Command::Contacts { command } => contacts::run(&cli, command).await,
            Command::Api { command } => api::run(command),
            Command::Hooks { command } => api::hooks(&cli, command),
            Command::Balance { check } => balance::run(&cli, *check).await,
            Command::Hangup { .. }
            | Command::Answer { .. }
            | Command::Stats { .. }
            | Command::Mute { .. }
            | Command::Dnd { .. }
            | Command::Forward { .. }
            | Command::Transfer { .. }
            | Command::Hold { .. }
            | Command::Resume { .. }
            | Command::Merge { .. }
            | Command::Leave
            | Command::Record { .. }
            | Command::Volume { .. }
            | Command::Dtmf { .. }
            | Command::Pickup { .. }
            | Command::Calls => match cli.command.action() {
                Some(action) => daemon::control(&cli, action).await,
                None => Ok(exit::ERROR),
            },
            Command::Devices {
                simulate: Some(file),
                ..
            } => devices::simulate(&cli, file),
            Command::Devices {
                simulate: None,
                devices: options,
            } => devices::list(&cli, options),
            // Blocking: they read standard input and device threads.
            Command::HidMonitor(args) => {
                tokio::task::block_in_place(|| hid_monitor::run(&cli, args))
            }
            Command::HidLearn(args) => tokio::task::block_in_place(|| hid_learn::run(&cli, args)),
            Command::AudioDevices => devices::audio(&cli),
            Command::Config {
                command: ConfigCommand::Path,
            } => {
                say!("{}", cli.config_path().display());
                Ok(exit::OK)
            }
            Command::Config {
                command: ConfigCommand::Check,
            } => daemon::check_config(&cli),
            Command::Password {
                command: PasswordCommand::Set { account },
            } => daemon::set_password(&cli, account),
            Command::Diagnose { output } => diagnose::run(&cli, output.as_deref()).await,
            Command::Completions { shell } => manual::completions(*shell),
            Command::Man => manual::page(),
        };
        match result {
            Ok(code) => code,
            Err(e) => {
                eprintln!("hookswitch: {e:#}");
                exit::ERROR
            }
        }
    });
    ExitCode::from(code)
}
