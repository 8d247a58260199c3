//! Command-line syntax.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use hookswitch_phone::Action;

#[derive(Debug, Parser)]
#[command(
    name = "hookswitch",
    version,
    about = "A softphone whose USB handsets and headsets are first-class"
)]
pub struct Cli {
    /// Configuration file (default: the XDG config dir; see `hookswitch config path`).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Local SIP address (UDP and TCP), overriding the configuration.
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub bind: Option<SocketAddr>,
    /// Take calls that come straight to our address, to no account
    /// (`sip.accept_p2p`; `listen` always does).
    #[arg(long, global = true)]
    pub accept_p2p: bool,
    /// Control socket of a running instance (default: $XDG_RUNTIME_DIR/hookswitch.sock;
    /// its directory must be private, mode 0700).
    #[arg(long, global = true, value_name = "PATH")]
    pub control: Option<PathBuf>,
    /// Print events as JSON lines instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v, -vv, -vvv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn config_path(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(hookswitch_phone::config::default_path)
    }

    /// `--control`, else `$XDG_RUNTIME_DIR/hookswitch.sock`; refused when
    /// its directory is not private (anyone could take or reach it).
    pub fn control_path(&self) -> Result<PathBuf, hookswitch_phone::control::ControlError> {
        match &self.control {
            Some(path) => {
                hookswitch_phone::control::private_parent(path)?;
                Ok(path.clone())
            }
            None => hookswitch_phone::control::default_socket_path(),
        }
    }

    /// Sends `action` to the running phone (`run` or the window).
    pub async fn request(
        &self,
        action: &hookswitch_phone::Action,
    ) -> std::io::Result<hookswitch_phone::control::ControlReply> {
        let path = self
            .control_path()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string()))?;
        hookswitch_phone::control::request(&path, action).await
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the phone: register accounts, take calls, obey `hookswitch hangup` etc.
    Run,
    /// Register (all accounts, or one), report the result, unregister and exit.
    Register {
        #[arg(long)]
        account: Option<String>,
    },
    /// Place a call and stay in it until it ends.
    Call(CallArgs),
    /// Wait for incoming calls.
    Listen(ListenArgs),
    /// Presence of the running instance: `set available|away|busy|dnd|offline
    /// [--note TEXT]`, `watch TARGET...`, `unwatch TARGET...`, `show`.
    Presence {
        #[command(subcommand)]
        command: PresenceCommand,
    },
    /// The address book: `list`, `search TEXT`, `add NAME --number ...`,
    /// `edit ID ...`, `delete ID`, `import FILE.vcf`, `export [FILE]`,
    /// `identify NUMBER` (who the phone would say is calling), `sync`, `books`.
    Contacts {
        #[command(subcommand)]
        command: ContactsCommand,
    },
    /// The local HTTP API (`[api] listen`): `token` shows its Bearer token
    /// (made when there is none; `--rotate` makes a new one), `openapi`
    /// prints its OpenAPI document.
    Api {
        #[command(subcommand)]
        command: ApiCommand,
    },
    /// Accounts' credit at their providers (`[accounts.balance]`): from the
    /// running instance, else read now. `--check`: read it now either way.
    Balance {
        #[arg(long)]
        check: bool,
    },
    /// Hooks (`[[hooks]]`): `log` shows the webhook delivery log, newest
    /// first (with --json, as JSON).
    Hooks {
        #[command(subcommand)]
        command: HooksCommand,
    },
    /// Send an instant message (SIP MESSAGE) and wait for its delivery:
    /// exit 0 when the other side (or its server) took it, 2 when not.
    /// Through the running instance when there is one, else on its own.
    Message(MessageArgs),
    /// Hang up a call (or all calls) of the running instance.
    Hangup { call: Option<u64> },
    /// Answer a ringing call of the running instance.
    Answer { call: u64 },
    /// Send DTMF keys in a call of the running instance.
    Dtmf { call: u64, keys: String },
    /// A call's media figures so far (packets, loss, jitter, round trip, MOS), as JSON.
    Stats { call: u64 },
    /// Mute or unmute the microphone in a call of the running instance.
    Mute {
        call: u64,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Do not disturb on or off in the running instance: calls are refused
    /// (486, or `dnd_status`) or forwarded to `forward_busy`.
    Dnd {
        #[arg(value_parser = ["on", "off"])]
        state: String,
        /// Only this account's calls (default: the whole phone).
        #[arg(long)]
        account: Option<String>,
    },
    /// Forward calls of the running instance (302): `always`, when `busy`, or
    /// when not answered (`no-answer`), to TARGET (a SIP URI or a number), or
    /// `off`.
    Forward {
        #[arg(value_parser = ["always", "busy", "no-answer"])]
        when: String,
        target: String,
        /// This account's own forwarding (default: the shared one).
        #[arg(long)]
        account: Option<String>,
    },
    /// Transfer a call of the running instance: blind to TARGET (the other side
    /// calls TARGET; once answered, this call ends), or attended with
    /// `--to-call N` (the other side takes our place in our call N).
    Transfer {
        call: u64,
        #[arg(required_unless_present = "to_call", conflicts_with = "to_call")]
        target: Option<String>,
        #[arg(long, value_name = "CALL")]
        to_call: Option<u64>,
    },
    /// Put a call of the running instance on hold (the other side hears
    /// nothing of you, or its own music on hold).
    Hold { call: u64 },
    /// Take a held call of the running instance off hold.
    Resume { call: u64 },
    /// Record a call of the running instance (both ways, a stereo WAV in
    /// `[recording] folder`), or stop.
    Record {
        call: u64,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Mix calls of the running instance into one conference (each party
    /// hears the others); no CALL: every connected call. Held calls are
    /// resumed.
    Merge { calls: Vec<u64> },
    /// Leave the conference of the running instance: every call in it ends,
    /// or the two others are connected (`[conference] leave = "connect"`).
    Leave,
    /// Set a call's volume in percent of its own level (100 = unchanged, up to 400).
    Volume {
        call: u64,
        /// What you hear.
        #[arg(long, value_name = "PERCENT")]
        speaker: Option<u16>,
        /// What the other side hears.
        #[arg(long, value_name = "PERCENT")]
        mic: Option<u16>,
    },
    /// List the calls of the running instance.
    Calls,
    /// Pick up the call ringing at a busy lamp's extension (the running
    /// instance's `blf`): directed when the PBX named the call, else by the
    /// account's pickup prefix.
    /// No EXTENSION: the lamp that rings.
    Pickup {
        extension: Option<String>,
        #[arg(long)]
        account: Option<String>,
    },
    /// The telephony devices plugged in and what each can do (buttons and how
    /// they behave, keypad, LEDs, ringer, the profile used), or why one cannot
    /// be used.
    Devices {
        /// Describe the device in FILE instead (a report descriptor: hex bytes on
        /// the first line; a `# VID:PID: 0b0e:0307` line picks the profile).
        #[arg(long, value_name = "FILE")]
        simulate: Option<PathBuf>,
        #[command(flatten)]
        devices: DeviceOptions,
    },
    /// The sound devices (microphones, speakers, headsets) by name.
    AudioDevices,
    /// Print device events live (buttons, plug, unplug, reports written) and set
    /// LEDs from standard input (`mute on`, `ring off`, ...; `help` lists them).
    HidMonitor(MonitorArgs),
    /// Walk through pressing each button of a device and write a profile for it.
    HidLearn(LearnArgs),
    /// Configuration file helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Store an account's password in the OS keyring (read from standard input).
    Password {
        #[command(subcommand)]
        command: PasswordCommand,
    },
    /// Write a support bundle (.tar.gz) to attach to a bug report: versions,
    /// the configuration without secrets, devices, sound devices, the running
    /// phone's state, the last logs, udev and keyring status.
    Diagnose {
        /// Where (default: hookswitch-diagnose-DATE-TIME.tar.gz here).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a completion script for a shell (the package installs them).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, roff, generated from these definitions (the
    /// package installs it as hookswitch(1)).
    #[command(hide = true)]
    Man,
}

/// Which devices besides HID telephony ones.
#[derive(Debug, Args, Default)]
pub struct DeviceOptions {
    /// Also look for USB phones without a HID Telephony page (CM109 handsets,
    /// Yealink USB-P1K).
    #[arg(long)]
    pub usb: bool,
    /// Take those phones from their kernel driver (given back on exit).
    #[arg(long, requires = "usb")]
    pub detach_kernel_driver: bool,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Only this device: its path (/dev/hidraw3), id (dev2) or VID:PID (0b0e:0307).
    pub device: Option<String>,
    /// A simulated device from a descriptor file; `report HEX...` feeds it.
    #[arg(long, value_name = "FILE")]
    pub simulate: Option<PathBuf>,
    #[command(flatten)]
    pub devices: DeviceOptions,
}

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// The device: its path (/dev/hidraw3) or VID:PID (needed when several are plugged in).
    pub device: Option<String>,
    /// Learn from a descriptor file; reports are typed in hex, a blank line ends each step.
    #[arg(long, value_name = "FILE")]
    pub simulate: Option<PathBuf>,
    /// Where to write the profile (default: device-profiles/VID-PID.toml next to
    /// the configuration file, where Hookswitch looks for the user's profiles).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing profile file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print where the configuration file is.
    Path,
    /// Check the configuration file and the accounts' passwords.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    Set { account: String },
}

#[derive(Debug, Args)]
pub struct AudioArgs {
    /// Play this WAV file into the call (any rate, mixed to mono).
    #[arg(long, value_name = "FILE.wav")]
    pub play: Option<PathBuf>,
    /// Play a sine tone of this frequency (Hz) instead.
    #[arg(long, value_name = "HZ", conflicts_with = "play")]
    pub tone: Option<f64>,
    /// Record what the other side sends to this WAV file.
    #[arg(long, value_name = "FILE.wav")]
    pub record: Option<PathBuf>,
    /// Record the whole call to this stereo WAV file: what we sent on the left,
    /// what we heard on the right.
    #[arg(long, value_name = "FILE.wav")]
    pub record_call: Option<PathBuf>,
    /// Talk through this microphone (a name from `hookswitch audio-devices`;
    /// without a name, the system default).
    #[arg(long, value_name = "DEVICE", num_args = 0..=1, default_missing_value = "default", conflicts_with_all = ["play", "tone"])]
    pub mic: Option<String>,
    /// Hear the other side on this output (without a name, the system default).
    #[arg(long, value_name = "DEVICE", num_args = 0..=1, default_missing_value = "default")]
    pub speaker: Option<String>,
    /// Cancel the speaker's echo in the microphone: auto (unless a headset),
    /// on, off (default: the configuration's `audio.echo_cancellation`).
    #[arg(long, value_name = "MODE", value_parser = ["auto", "on", "off"])]
    pub echo_cancellation: Option<String>,
    /// Hang up this many seconds after the call is established
    /// (default: when --play ends, else when the other side hangs up).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
}

#[derive(Debug, Args)]
pub struct CallArgs {
    /// Whom to call: sip:user@host[:port], user@host, a number at the account's domain,
    /// or `echo` (the built-in echo test: hear yourself a second later, no account needed).
    pub target: String,
    /// Account to call from (default: the account whose domain TARGET is in,
    /// the default account for a bare number, else peer to peer).
    #[arg(long)]
    pub account: Option<String>,
    /// Send these DTMF keys once the call is established (0-9 * # A-D).
    #[arg(long, value_name = "KEYS")]
    pub dtmf: Option<String>,
    /// Give up if nobody answers within this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub audio: AudioArgs,
}

#[derive(Debug, Subcommand)]
pub enum PresenceCommand {
    /// What others see of you (in a call, "on-the-phone" shows over
    /// available, busy and away; DND over everything but offline).
    Set {
        /// available, away, busy, dnd, on-the-phone or offline (appear offline).
        availability: String,
        /// A line others see with it.
        #[arg(long)]
        note: Option<String>,
    },
    /// Watch contacts' presence (numbers, names or SIP addresses).
    Watch {
        #[arg(required = true)]
        targets: Vec<String>,
        /// Through this account (default: the first with presence = true).
        #[arg(long)]
        account: Option<String>,
    },
    Unwatch {
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Your presence and the watched contacts', as JSON.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Each webhook attempt: when, which hook and event, and how it went.
    Log {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Print the API's Bearer token (kept 0600 in the XDG state folder).
    Token {
        /// Replace it: clients holding the old one get 401 from now on.
        #[arg(long)]
        rotate: bool,
    },
    /// Print the OpenAPI 3.1 document the API serves at /openapi.json.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Every contact, by name (with --json, as the store keeps them).
    List,
    /// Contacts matching TEXT as the window's search does: any part of a
    /// name (case and accents do not matter), organisation or department,
    /// or three or more digits of a number; favourites and frequent first.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Add a contact to the local address book; prints its id.
    Add(ContactFields),
    /// Change contact ID: the fields given replace what it had.
    Edit {
        id: i64,
        #[command(flatten)]
        fields: ContactFields,
    },
    Delete {
        id: i64,
    },
    /// Import a vCard file (3.0, 4.0 or 2.1; `-`: standard input). Cards
    /// with a UID already here replace that contact; a bad card is reported
    /// with its reason and the rest are kept (exit 2 when any was bad).
    Import {
        file: PathBuf,
    },
    /// Write every contact as vCard (to FILE, or standard output).
    Export {
        file: Option<PathBuf>,
        /// vCard 4.0 (RFC 6350) or 3.0 (RFC 2426).
        #[arg(long, default_value = "4.0", value_parser = ["3.0", "4.0"])]
        version: String,
    },
    /// The contact a number or SIP address belongs to, as an incoming call
    /// from it would be named.
    Identify {
        address: String,
    },
    /// Sync the CardDAV address books of `[[directory.carddav]]` now (exit
    /// 2 when one failed, with why).
    Sync,
    /// The address books: local and synced, with contacts, last sync and
    /// last error.
    Books,
}

#[derive(Debug, Args)]
pub struct ContactFields {
    /// The name (for `add`, required).
    #[arg(long)]
    pub name: Option<String>,
    /// A number, optionally labelled: `work=+49 30 5550 777` (repeat).
    #[arg(long = "number", value_name = "[LABEL=]NUMBER")]
    pub numbers: Vec<String>,
    /// A SIP address, optionally labelled: `work=sip:ayse@example.com`.
    #[arg(long = "sip", value_name = "[LABEL=]URI")]
    pub sips: Vec<String>,
    #[arg(long)]
    pub organization: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub email: Vec<String>,
    /// Shown first on the Phone page.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "true|false")]
    pub favourite: Option<bool>,
    /// A key from 1 to 9 that calls the contact (0: none).
    #[arg(long, value_name = "1-9")]
    pub speed_dial: Option<u8>,
}

#[derive(Debug, Args)]
pub struct MessageArgs {
    /// To whom, as for `call`: sip:user@host[:port], user@host, or a number
    /// or name at the default account's domain.
    pub target: String,
    /// The text (several words are joined with spaces; `-` reads standard input).
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
    /// Account to send from (default: the one a call to TARGET would use).
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// The phone answers every incoming call by itself, however many come
    /// (holding the one in progress), and honours Call-Info answer-after.
    #[arg(long)]
    pub auto_answer: bool,
    /// With --auto-answer: let each call ring this long first (a caller's
    /// Call-Info answer-after can make it sooner).
    #[arg(long, value_name = "SECONDS", requires = "auto_answer")]
    pub answer_after: Option<u32>,
    /// Refuse incoming calls with this status (486, 603, ...).
    #[arg(long, value_name = "STATUS", conflicts_with = "auto_answer")]
    pub reject: Option<u16>,
    /// Exit after this many calls have ended.
    #[arg(long, value_name = "N")]
    pub count: Option<u32>,
    #[command(flatten)]
    pub audio: AudioArgs,
}

impl Command {
    /// The action a command asks of a running instance (the one vocabulary
    /// the control socket takes); `None` for commands that run here.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            Command::Hangup { call } => Action::Hangup { call: *call },
            Command::Answer { call } => Action::Answer {
                call: *call,
                audio: None,
            },
            Command::Stats { call } => Action::Stats { call: *call },
            Command::Mute { call, state } => Action::Mute {
                call: *call,
                muted: state == "on",
            },
            Command::Dnd { state, account } => Action::Dnd {
                on: state == "on",
                account: account.clone(),
            },
            Command::Forward {
                when,
                target,
                account,
            } => Action::Forward {
                when: when.parse().ok()?,
                target: (target != "off").then(|| target.clone()),
                account: account.clone(),
            },
            Command::Transfer {
                call,
                target: Some(target),
                ..
            } => Action::Transfer {
                call: *call,
                target: target.clone(),
            },
            Command::Transfer {
                call,
                to_call: Some(to_call),
                ..
            } => Action::TransferAttended {
                call: *call,
                to_call: *to_call,
            },
            Command::Hold { call } => Action::Hold {
                call: *call,
                held: true,
            },
            Command::Merge { calls } => Action::Merge {
                calls: (!calls.is_empty()).then(|| calls.clone()),
            },
            Command::Leave => Action::LeaveConference,
            Command::Record { call, state } => Action::Record {
                call: *call,
                on: state == "on",
            },
            Command::Resume { call } => Action::Hold {
                call: *call,
                held: false,
            },
            Command::Volume { call, speaker, mic } => Action::Volume {
                call: *call,
                speaker: *speaker,
                microphone: *mic,
            },
            Command::Dtmf { call, keys } => Action::Dtmf {
                call: *call,
                keys: keys.clone(),
            },
            Command::Calls => Action::State,
            Command::Pickup { extension, account } => Action::Pickup {
                extension: extension.clone(),
                account: account.clone(),
            },
            _ => return None,
        })
    }
}
