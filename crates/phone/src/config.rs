//! The user's configuration: one TOML file in the XDG config directory.
//! Passwords are never in it: they live in the OS keyring (or, where no keyring
//! service runs, an environment variable).

/// What busylights show (`[devices.busylight]`), for faces that edit it.
pub use hookswitch_hid::busylight::LightSettings;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hookswitch_media::codec::CodecKind;
use hookswitch_media::srtp::SrtpMode;

use crate::call_handling::CallHandling;
use hookswitch_sip::auth::Credentials;
use hookswitch_sip::message::{SipUri, Uri};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{AccountConfig, Keepalive, Transport};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("account {account}: {message}")]
    Account { account: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "no password for account {account}: store one with `hookswitch password set {account}` \
         (OS keyring), or set {env_var} where no keyring service runs ({keyring_error})"
    )]
    NoPassword {
        account: String,
        env_var: String,
        keyring_error: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SipSettings {
    /// Local address for SIP over UDP and TCP (the same port for both).
    pub listen: SocketAddr,
    /// Address to advertise in Via/Contact/SDP when `listen` is 0.0.0.0.
    pub advertise: Option<std::net::IpAddr>,
    /// Listening on `[::]` (IPv4 and IPv6): the IPv6 address for Via,
    /// Contact and SDP toward IPv6 peers (default: the route's, else ::1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advertise_v6: Option<std::net::Ipv6Addr>,
    /// User part of our Contact, and of From for calls without an account.
    pub user: String,
    /// RFC 3261 T1 in milliseconds (retransmission base).
    pub t1_ms: u64,
    pub t2_ms: u64,
    pub t4_ms: u64,
    /// Accept calls that come straight to our address (no registrar involved).
    /// Off unless enabled (`hookswitch listen` turns it on for its run).
    pub accept_p2p: bool,
    /// Accept calls only from where a registrar accepted our registration
    /// (stops the "ghost calls" of SIP scanners that try every address).
    pub only_from_registrar: bool,
    /// NAT keep-alive of registrations over UDP: "crlf" (a CRLFCRLF datagram),
    /// "options" (an OPTIONS request; unanswered, we register again) or "off".
    pub keepalive: KeepaliveKind,
    /// Seconds between keep-alives (NATs forget UDP mappings after 30 s or more).
    pub keepalive_secs: u64,
    /// Take SIP over TLS on the listen port + 1 with this certificate chain
    /// and private key (PEM): peers and PBXs that open their own connections
    /// can then reach us. Without them we only open TLS connections.
    pub tls_certificate: Option<PathBuf>,
    pub tls_private_key: Option<PathBuf>,
    /// A STUN server ("host" or "host:port", port 3478 by default) to learn
    /// the public address a NAT gives us: Contact, Via and SDP then name it.
    pub stun_server: Option<String>,
    /// Seconds between looks at which local address the route to the
    /// registrar leaves from (a network switch changes it; we then register
    /// again), when the kernel's route events are not to be had; with them
    /// the route is looked at on each event and every 300 s at most. 0:
    /// never look. Only when listening on every interface without
    /// `advertise`.
    pub network_check_secs: u64,
    /// DNS servers ("ip" or "ip:port") to locate SIP servers with (NAPTR,
    /// SRV, RFC 3263); empty: the system's (/etc/resolv.conf).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<String>,
    /// Calls ringing here at once; one more is refused with 486 Busy Here
    /// (a flood of INVITEs nobody cancels cannot hold the phone's memory and
    /// descriptors).
    pub max_ringing: u32,
    /// Seconds a call rings unanswered before it is refused with 480
    /// Temporarily Unavailable (a missed call); RFC 3261's Timer C is 3 min.
    pub ring_timeout_secs: u32,
}

impl Default for SipSettings {
    fn default() -> Self {
        SipSettings {
            listen: "0.0.0.0:5060".parse().expect("valid literal"),
            advertise: None,
            user: "hookswitch".into(),
            t1_ms: 500,
            t2_ms: 4000,
            t4_ms: 5000,
            accept_p2p: false,
            only_from_registrar: false,
            keepalive: KeepaliveKind::Crlf,
            keepalive_secs: 25,
            tls_certificate: None,
            tls_private_key: None,
            advertise_v6: None,
            stun_server: None,
            network_check_secs: 3,
            dns_servers: Vec::new(),
            max_ringing: 16,
            ring_timeout_secs: 180,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AudioSettings {
    /// Codec preference, best first: "opus", "G722", "PCMU", "PCMA".
    pub codecs: Vec<String>,
    /// Offer RFC 4733 telephone-event for DTMF.
    pub telephone_event: bool,
    /// Accept comfort noise (RFC 3389) from peers that stop sending in silence.
    pub comfort_noise: bool,
    /// Offer RTCP-XR VoIP metrics (RFC 3611): both ends learn how the other
    /// hears them (loss, delay, MOS).
    pub rtcp_xr: bool,
    /// Offer RTCP on the RTP port (RFC 5761): one port through NATs and firewalls.
    pub rtcp_mux: bool,
    /// Mean time between our RTCP reports (RFC 3550: 5000; at least 500).
    pub rtcp_interval_ms: u64,
    /// Where incoming calls ring ("default": the system's output; a name from
    /// `hookswitch audio-devices`); unset: no ring sound.
    pub ring_device: Option<String>,
    /// A WAV file to ring with (looped, 2 s apart) instead of the double ring.
    pub ring_file: Option<std::path::PathBuf>,
    /// Echo cancellation: "auto" (on unless the microphone or the speaker is
    /// a headset), "on" or "off".
    pub echo_cancellation: EchoMode,
    /// Whose dial and busy tones a lifted handset hears: "us", "uk", "de",
    /// "fr" or "itu" (ITU-T E.180's 425 Hz).
    pub tones: hookswitch_media::progress::Country,
    /// Pause the media players that play (MPRIS) while a call rings or
    /// talks, and play them again when the last call ends.
    pub pause_media: bool,
    /// End a call when nothing (no RTP, no RTCP) came from the other side
    /// for this many seconds while it should send: a peer that vanished
    /// without a BYE. 0: never.
    pub media_timeout_secs: u32,
}

/// How registrations over UDP keep their NAT mapping open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepaliveKind {
    #[default]
    Crlf,
    Options,
    Off,
}

/// When to cancel the speaker's echo in the microphone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EchoMode {
    /// On for speakers and laptop microphones, off for headsets.
    #[default]
    Auto,
    On,
    Off,
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            // Opus (full band, FEC), then G.722 (wideband), as users expect of
            // a softphone; G.711 for everything else.
            codecs: vec!["opus".into(), "G722".into(), "PCMU".into(), "PCMA".into()],
            telephone_event: true,
            comfort_noise: true,
            rtcp_xr: true,
            rtcp_mux: true,
            rtcp_interval_ms: 5000,
            ring_device: None,
            ring_file: None,
            echo_cancellation: EchoMode::Auto,
            tones: hookswitch_media::progress::Country::Itu,
            pause_media: true,
            media_timeout_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// A short name to refer to the account (`--account work`).
    pub name: String,
    /// Address of record, e.g. `sip:alice@example.com`.
    pub aor: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Authentication user name, when it differs from the AOR's user.
    #[serde(default)]
    pub auth_user: Option<String>,
    #[serde(default)]
    pub registrar: Option<String>,
    #[serde(default)]
    pub outbound_proxy: Option<String>,
    /// "udp", "tcp", "tls", or "auto" (the provider's DNS NAPTR records
    /// choose, RFC 3263; UDP when it has none).
    #[serde(default = "default_transport")]
    pub transport: String,
    /// A PEM file of CA certificates trusted for this account's TLS servers, on
    /// top of the system's (for a private PBX with its own CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// Encrypted media (SRTP with SDES keys) on calls whose signaling runs over
    /// TLS: "optional" (offer it, take plain RTP if the peer does not),
    /// "required" (RTP/SAVP; refuse calls without), or "off".
    #[serde(default)]
    pub srtp: SrtpMode,
    /// This account's own DND, forwarding and auto-answer (replaces `[calls]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<CallHandling>,
    /// Subscribe to the account's voicemail box (RFC 3842) once registered,
    /// for PBXs that tell only subscribers (many send it unsolicited anyway).
    #[serde(default)]
    pub subscribe_voicemail: bool,
    /// Publish our presence through this account (PUBLISH, RFC 3903) and
    /// watch contacts' presence through it (SUBSCRIBE, RFC 3856).
    #[serde(default, skip_serializing_if = "is_false")]
    pub presence: bool,
    /// Busy lamps: extensions (or addresses) whose calls to watch through
    /// this account (the dialog event package, RFC 4235).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blf: Vec<String>,
    /// Dialled before an extension to pick its ringing call up when the
    /// PBX does not say which dialog rings (Asterisk and FreeSWITCH: "*8").
    #[serde(default = "default_pickup_prefix")]
    pub pickup_prefix: String,
    /// Calls to a bare number or name (and `tel:` links) go from this
    /// account when none is named (else from the first account).
    #[serde(default, skip_serializing_if = "is_false")]
    pub default: bool,
    #[serde(default = "default_expires")]
    pub expires: u32,
    #[serde(default = "default_true")]
    pub register: bool,
    /// This account's codec preference (default: `[audio] codecs`), e.g. a
    /// provider that only carries G.711.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codecs: Option<Vec<String>>,
    /// Where the account's credit is read (prepaid trunks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub balance: Option<crate::balance::BalanceSettings>,
}

impl AccountSettings {
    /// An account `name` for the address of record `aor`, registering over
    /// UDP, everything else as a fresh configuration file has it.
    pub fn new(name: &str, aor: &str) -> AccountSettings {
        AccountSettings {
            name: name.into(),
            aor: aor.into(),
            display_name: None,
            auth_user: None,
            registrar: None,
            outbound_proxy: None,
            transport: default_transport(),
            tls_ca_file: None,
            srtp: SrtpMode::default(),
            calls: None,
            subscribe_voicemail: false,
            presence: false,
            blf: Vec::new(),
            pickup_prefix: default_pickup_prefix(),
            default: false,
            expires: default_expires(),
            register: true,
            balance: None,
            codecs: None,
        }
    }
}

fn default_transport() -> String {
    // RFC 3263: the provider's DNS chooses (an IP address means UDP).
    "auto".into()
}
fn default_expires() -> u32 {
    600
}
fn default_true() -> bool {
    true
}
fn default_pickup_prefix() -> String {
    "*8".into()
}
fn is_default_light(s: &hookswitch_hid::busylight::LightSettings) -> bool {
    *s == hookswitch_hid::busylight::LightSettings::default()
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub sip: SipSettings,
    pub audio: AudioSettings,
    /// DND, forwarding and auto-answer for calls to no account, and for
    /// accounts without their own `calls` table.
    pub calls: CallHandling,
    /// Call-control devices on the desk: headsets, handsets, speakerphones.
    pub devices: DeviceSettings,
    /// How digits typed on a device's keypad become a call.
    pub dialing: crate::desk::DialPlan,
    /// Whose presence to watch (through the accounts with `presence = true`).
    pub presence: PresenceSettings,
    /// The local three-way conference.
    pub conference: ConferenceSettings,
    /// Recording calls from the window.
    pub recording: RecordingSettings,
    /// The address book: how numbers are read, the books and servers.
    pub directory: crate::directory::DirectorySettings,
    /// What other programs are told of calls and messages (`[[hooks]]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<crate::hooks::HookSettings>,
    /// The local HTTP API (off unless `listen` is set).
    #[serde(skip_serializing_if = "crate::api_settings::ApiSettings::is_off")]
    pub api: crate::api_settings::ApiSettings,
    pub accounts: Vec<AccountSettings>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingSettings {
    /// Where recordings go; none: the XDG music folder's `Hookswitch`
    /// (else the documents folder's, else `~/Music/Hookswitch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<PathBuf>,
}

impl RecordingSettings {
    pub fn folder(&self) -> PathBuf {
        self.folder.clone().unwrap_or_else(default_recording_folder)
    }
}

/// `$XDG_MUSIC_DIR/Hookswitch` as `user-dirs.dirs` names it, else the
/// documents folder's, else `~/Music/Hookswitch`.
fn default_recording_folder() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"));
    let dirs = std::fs::read_to_string(config.join("user-dirs.dirs")).unwrap_or_default();
    let named = |key: &str| {
        dirs.lines()
            .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"'))
            .map(|v| match v.strip_prefix("$HOME") {
                Some(rest) => home.join(rest.trim_start_matches('/')),
                None => PathBuf::from(v),
            })
            .find(|p| p.is_absolute() && *p != home)
    };
    named("XDG_MUSIC_DIR")
        .or_else(|| named("XDG_DOCUMENTS_DIR"))
        .unwrap_or_else(|| home.join("Music"))
        .join("Hookswitch")
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConferenceSettings {
    /// What leaving the conference does: "end" every call (the default),
    /// or "connect" the two others to each other (attended transfer).
    pub leave: ConferenceLeave,
}

/// What leaving our conference does to the others.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ConferenceLeave {
    /// Every leg ends: the mix is on this machine, and the others may not
    /// expect to stay with each other.
    #[default]
    End,
    /// The two others are connected (REFER with Replaces); with more than
    /// two, every leg ends.
    Connect,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PresenceSettings {
    /// Contacts whose presence the window shows: numbers, names or SIP
    /// addresses, as a call takes them.
    pub watch: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceSettings {
    /// Use HID telephony devices (and, with `usb_phones`, USB handsets): their
    /// buttons drive calls, their LEDs show them.
    pub enabled: bool,
    /// Also drive USB phones without a Telephony page (CM109 handsets, the
    /// Yealink USB-P1K) through libusb.
    pub usb_phones: bool,
    /// Take those phones from their kernel driver (given back on exit).
    pub detach_kernel_driver: bool,
    /// Where your own device profiles are (default: `device-profiles` next to
    /// the configuration file).
    pub profiles_dir: Option<PathBuf>,
    /// Devices never to use (neither read nor written): "VID:PID" in hex
    /// ("0b0e:0307") or a path ("/dev/hidraw3").
    pub disabled: Vec<String>,
    /// The microphone and speaker of calls answered or placed from a device:
    /// "auto" (that device's own sound card, found by USB topology, else the
    /// system's), "default" (the system's), a name from `hookswitch
    /// audio-devices`, or "none" (no sound, for servers and tests).
    pub microphone: String,
    pub speaker: String,
    /// The answer when a ringing call is declined from a device (486 or 603).
    pub reject_status: u16,
    /// A held call left alone rings back after this many seconds.
    pub ring_back_secs: u64,
    /// Volume buttons move the call's earpiece level by this many percent.
    pub volume_step: u16,
    /// Devices that exist only as a descriptor file, driven through a Unix
    /// socket (`report HEX...` in, `shown HEX...` out): for trying the phone
    /// without the hardware, and for end-to-end tests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub simulated: Vec<SimulatedDevice>,
    /// What busylights show: `available = "green"`, `ringing = "red flash"`,
    /// ... (COLOUR [steady|flash|pulse|wink]), and their own ring sound.
    /// Written to the file only when changed from the defaults.
    #[serde(skip_serializing_if = "is_default_light")]
    pub busylight: hookswitch_hid::busylight::LightSettings,
    /// What programmable and vendor buttons (the Teams button, Telephony
    /// Programmable Buttons) do on every device: `button = "teams"` or
    /// `"button N"`, `action = "window"`, `"answer-or-hang-up"`, `"away"`,
    /// `"pickup"`, `"speed-dial N"` or `"call TARGET"`. Before a device
    /// profile's own `[[buttons]]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<hookswitch_hid::ButtonMapping>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SimulatedDevice {
    /// A report descriptor as hex bytes (`# VID:PID: 0b0e:0307` names it).
    pub descriptor: PathBuf,
    pub socket: PathBuf,
    /// The product name shown (default: the file's name).
    #[serde(default)]
    pub name: Option<String>,
    /// The sound device it stands for, as a headset's own card.
    #[serde(default)]
    pub sound_device: Option<String>,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            enabled: true,
            usb_phones: false,
            detach_kernel_driver: false,
            profiles_dir: None,
            disabled: Vec::new(),
            microphone: "auto".into(),
            speaker: "auto".into(),
            reject_status: 486,
            ring_back_secs: 2,
            volume_step: 10,
            simulated: Vec::new(),
            busylight: Default::default(),
            buttons: Vec::new(),
        }
    }
}

/// `$XDG_CONFIG_HOME/hookswitch/config.toml` (or `~/.config/...`).
pub fn default_path() -> PathBuf {
    xdg_dir("XDG_CONFIG_HOME", ".config").join("config.toml")
}

/// An XDG base directory: `$var` when it is an absolute path, else
/// `~/<home_relative>`; none without a HOME.
pub fn xdg_base(var: &str, home_relative: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(home_relative)))
}

/// Our folder under an XDG base directory (`xdg_base`): `.../hookswitch`.
pub(crate) fn xdg_dir(var: &str, home_relative: &str) -> PathBuf {
    xdg_base(var, home_relative)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("hookswitch")
}

impl Config {
    /// Loads a file; a missing file is the default configuration.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.into(),
                    source,
                });
            }
        };
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.into(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Loads `path`, changes it and saves it (a missing file starts from the
    /// defaults): each writer changes only its part.
    pub fn edit(path: &Path, change: impl FnOnce(&mut Config)) -> Result<(), ConfigError> {
        let mut config = Config::load(path)?;
        change(&mut config);
        config.save(path)
    }

    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
                path: dir.into(),
                source,
            })?;
        }
        std::fs::write(path, text).map_err(|source| ConfigError::Write {
            path: path.into(),
            source,
        })
    }

    /// Checks everything that can be checked without the network.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.codecs()?;
        // RFC 3261's T1 is 500 ms; below 10 ms retransmissions flood, above
        // 10 s a transaction outlives any caller (64*T1).
        if !(10..=10_000).contains(&self.sip.t1_ms) {
            return Err(ConfigError::Invalid(format!(
                "[sip] t1_ms = {}: 10 to 10000 (RFC 3261's default is 500)",
                self.sip.t1_ms
            )));
        }
        if !(1..=1000).contains(&self.sip.max_ringing) {
            return Err(ConfigError::Invalid(format!(
                "[sip] max_ringing = {}: 1 to 1000",
                self.sip.max_ringing
            )));
        }
        if !(5..=3600).contains(&self.sip.ring_timeout_secs) {
            return Err(ConfigError::Invalid(format!(
                "[sip] ring_timeout_secs = {}: 5 to 3600",
                self.sip.ring_timeout_secs
            )));
        }
        for a in &self.accounts {
            account_config(a, None)?;
            if let Some(c) = &a.codecs {
                parse_codecs(c)?;
            }
        }
        self.calls
            .validate()
            .map_err(|e| ConfigError::Invalid(format!("[calls]: {e}")))?;
        for a in &self.accounts {
            if let Some(b) = &a.balance {
                b.validate().map_err(|message| ConfigError::Account {
                    account: a.name.clone(),
                    message,
                })?;
            }
            if let Some(c) = &a.calls {
                c.validate().map_err(|message| ConfigError::Account {
                    account: a.name.clone(),
                    message,
                })?;
            }
        }
        self.dialing.validate().map_err(ConfigError::Invalid)?;
        for b in &self.devices.buttons {
            b.action
                .parse::<crate::desk::buttons::ButtonAction>()
                .map_err(|e| {
                    ConfigError::Invalid(format!("[[devices.buttons]] {}: {e}", b.button))
                })?;
        }
        self.api.validate().map_err(ConfigError::Invalid)?;
        crate::hooks::settings::validate_all(&self.hooks).map_err(ConfigError::Invalid)?;
        self.directory
            .plan()
            .map_err(|e| ConfigError::Invalid(format!("[directory]: {e}")))?;
        if !matches!(self.devices.reject_status, 486 | 480 | 603) {
            return Err(ConfigError::Invalid(
                "devices.reject_status: 486, 480 or 603".into(),
            ));
        }
        if self.accounts.iter().filter(|a| a.default).count() > 1 {
            return Err(ConfigError::Invalid(
                "only one account can be the default".into(),
            ));
        }
        let mut names: Vec<&str> = self.accounts.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(ConfigError::Invalid("two accounts share a name".into()));
        }
        Ok(())
    }

    pub fn codecs(&self) -> Result<Vec<CodecKind>, ConfigError> {
        parse_codecs(&self.audio.codecs)
    }

    /// Each account's codecs, in account order: its own list, else the global one.
    pub fn account_codecs(&self) -> Result<Vec<Vec<CodecKind>>, ConfigError> {
        let global = self.codecs()?;
        self.accounts
            .iter()
            .map(|a| match &a.codecs {
                Some(c) => parse_codecs(c),
                None => Ok(global.clone()),
            })
            .collect()
    }

    /// Per account (in account order) its call handling, then the one for
    /// calls to no account.
    pub fn call_handling(&self) -> Vec<CallHandling> {
        self.accounts
            .iter()
            .map(|a| a.calls.clone().unwrap_or_else(|| self.calls.clone()))
            .chain(std::iter::once(self.calls.clone()))
            .collect()
    }

    /// The UA's keep-alive setting.
    pub fn keepalive(&self) -> Keepalive {
        let every = Duration::from_secs(self.sip.keepalive_secs.max(1));
        match self.sip.keepalive {
            KeepaliveKind::Crlf => Keepalive::Crlf(every),
            KeepaliveKind::Options => Keepalive::Options(every),
            KeepaliveKind::Off => Keepalive::Off,
        }
    }

    /// Per account (in account order): its SRTP mode.
    pub fn account_srtp(&self) -> Vec<SrtpMode> {
        self.accounts.iter().map(|a| a.srtp).collect()
    }

    pub fn timers(&self) -> TimerConfig {
        TimerConfig {
            t1: Duration::from_millis(self.sip.t1_ms.max(1)),
            t2: Duration::from_millis(self.sip.t2_ms.max(1)),
            t4: Duration::from_millis(self.sip.t4_ms.max(1)),
        }
    }

    /// `sip.dns_servers` as addresses (port 53 unless given); bad entries
    /// are an error naming them.
    pub fn dns_servers(&self) -> Result<Vec<std::net::SocketAddr>, ConfigError> {
        self.sip
            .dns_servers
            .iter()
            .map(|s| {
                s.parse::<std::net::SocketAddr>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(|ip| (ip, 53).into()))
                    .map_err(|_| {
                        ConfigError::Invalid(format!("sip.dns_servers: {s:?} is not an address"))
                    })
            })
            .collect()
    }

    /// Every password entry the settings use: the accounts', `ldap`,
    /// `carddav:BOOK` and `hook:NAME` (webhook secrets).
    pub fn password_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = self.accounts.iter().map(|a| a.name.clone()).collect();
        if self.directory.ldap.is_some() {
            names.push(crate::directory::LDAP_PASSWORD.to_string());
        }
        names.extend(self.directory.carddav.iter().map(|c| c.password_entry()));
        names.extend(
            self.hooks
                .iter()
                .filter(|h| h.webhook.is_some())
                .map(|h| h.secret_name()),
        );
        names
    }

    pub fn account_index(&self, name: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.name == name)
    }
}

fn sip_uri(account: &str, what: &str, s: &str) -> Result<SipUri, ConfigError> {
    match s.parse::<Uri>() {
        Ok(Uri::Sip(u)) => Ok(u),
        _ => Err(ConfigError::Account {
            account: account.into(),
            message: format!("{what} {s:?} is not a sip: or sips: URI"),
        }),
    }
}

/// The UA's view of an account, with its password when one was found.
pub fn account_config(
    a: &AccountSettings,
    password: Option<String>,
) -> Result<AccountConfig, ConfigError> {
    let aor = sip_uri(&a.name, "aor", &a.aor)?;
    // "auto": as DNS says (NAPTR, RFC 3263), else UDP.
    let transport: Option<Transport> = match a.transport.to_ascii_lowercase().as_str() {
        "auto" => None,
        t => Some(t.parse().map_err(|message: String| ConfigError::Account {
            account: a.name.clone(),
            message: format!("{message}, or auto"),
        })?),
    };
    let username = a
        .auth_user
        .clone()
        .or_else(|| aor.user_unescaped())
        .unwrap_or_default();
    Ok(AccountConfig {
        credentials: password.map(|password| Credentials { username, password }),
        registrar: a
            .registrar
            .as_deref()
            .map(|r| sip_uri(&a.name, "registrar", r))
            .transpose()?,
        outbound_proxy: a
            .outbound_proxy
            .as_deref()
            .map(|r| sip_uri(&a.name, "outbound_proxy", r))
            .transpose()?,
        aor,
        display_name: a.display_name.clone(),
        transport,
        expires: a.expires,
        register: a.register,
        subscribe_voicemail: a.subscribe_voicemail,
    })
}

/// The environment variable that carries an account's password where no keyring
/// service runs: `HOOKSWITCH_PASSWORD_<NAME>` (upper case, non-alphanumerics as `_`).
pub fn password_env_var(account: &str) -> String {
    let name: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("HOOKSWITCH_PASSWORD_{name}")
}

const KEYRING_SERVICE: &str = "hookswitch";

/// Finds an account's password: the environment variable first (scripts, CI,
/// headless hosts), then the OS keyring.
pub fn password(account: &str) -> Result<String, ConfigError> {
    let env_var = password_env_var(account);
    if let Ok(p) = std::env::var(&env_var) {
        return Ok(p);
    }
    let keyring_error =
        match keyring::Entry::new(KEYRING_SERVICE, account).and_then(|e| e.get_password()) {
            Ok(p) => return Ok(p),
            Err(e) => e.to_string(),
        };
    Err(ConfigError::NoPassword {
        account: account.into(),
        env_var,
        keyring_error,
    })
}

/// Removes an account's password from the OS keyring (none stored is fine).
pub fn forget_password(account: &str) -> Result<(), String> {
    match keyring::Entry::new(KEYRING_SERVICE, account).and_then(|e| e.delete_credential()) {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Stores an account's password in the OS keyring.
pub fn store_password(account: &str, password: &str) -> Result<(), String> {
    keyring::Entry::new(KEYRING_SERVICE, account)
        .and_then(|e| e.set_password(password))
        .map_err(|e| e.to_string())
}

fn parse_codecs(names: &[String]) -> Result<Vec<CodecKind>, ConfigError> {
    if names.is_empty() {
        return Err(ConfigError::Invalid(
            "codecs = []: a call needs at least one codec".into(),
        ));
    }
    names
        .iter()
        .map(|c| {
            CodecKind::ALL
                .iter()
                .copied()
                .find(|k| k.name().eq_ignore_ascii_case(c))
                .ok_or_else(|| {
                    let known: Vec<&str> = CodecKind::ALL.iter().map(|k| k.name()).collect();
                    ConfigError::Invalid(format!(
                        "unknown codec {c:?} (this build has {}; G729 needs the g729 feature)",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in README.md is what users copy: it must load and validate.
    #[test]
    fn the_readme_example_is_a_valid_configuration() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("```toml\n[sip]")
            .expect("README has the example")
            + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("closed");
        let config: Config = toml::from_str(&readme[start..end]).expect("parses");
        config.validate().expect("valid");
        assert_eq!(config.accounts.len(), 1);
        assert_eq!(config.accounts[0].srtp, SrtpMode::Optional);
        assert_eq!(config.calls.dnd_status, 486);
        assert_eq!(config.call_handling().len(), 2);
    }

    /// The README's `[devices]` example (busylights and buttons) loads, and
    /// defaults are not written back.
    #[test]
    fn the_readme_devices_example_loads_and_buttons_are_checked() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("```toml\n[devices]")
            .expect("README has the devices example")
            + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("closed");
        let config: Config = toml::from_str(&readme[start..end]).expect("parses");
        config.validate().expect("valid");
        assert_eq!(
            config.devices.busylight,
            hookswitch_hid::busylight::LightSettings::default(),
            "the README shows the defaults"
        );
        let text = toml::to_string(&Config::default()).unwrap();
        assert!(!text.contains("busylight"), "{text}");

        let mut custom: Config = toml::from_str(
            "[devices.busylight]\nringing = \"blue flash\"\n\n\
             [[devices.buttons]]\nbutton = \"teams\"\naction = \"window\"\n",
        )
        .unwrap();
        custom.validate().unwrap();
        let again: Config = toml::from_str(&toml::to_string(&custom).unwrap()).unwrap();
        assert_eq!(again.devices, custom.devices);
        custom.devices.buttons[0].action = "dance".into();
        let e = custom.validate().unwrap_err().to_string();
        assert!(
            e.contains("[[devices.buttons]] teams") && e.contains("not a button action"),
            "{e}"
        );
        assert!(
            toml::from_str::<Config>("[[devices.buttons]]\nbutton = \"knob\"\naction = \"away\"\n")
                .is_err()
        );
    }

    #[test]
    fn every_password_the_settings_use_can_be_set() {
        let config: Config = toml::from_str(
            r#"
[directory.ldap]
url = "ldap://127.0.0.1"
base = "dc=example,dc=com"
bind_dn = "cn=phone"

[[directory.carddav]]
name = "Office"
url = "https://dav.example/books/office/"
username = "alice"

[[hooks]]
name = "crm"
on = ["missed"]
webhook = "https://crm.example/hook"

[[hooks]]
name = "pop"
on = ["ringing"]
open = "https://crm.example/?n={number}"

[[accounts]]
name = "work"
aor = "sip:alice@pbx.example"
"#,
        )
        .expect("parses");
        config.validate().expect("valid");
        assert_eq!(
            config.password_entries(),
            ["work", "ldap", "carddav:Office", "hook:crm"]
        );
    }

    #[test]
    fn parses_a_full_file_and_rejects_mistakes() {
        let text = r#"
[sip]
listen = "127.0.0.1:5070"
t1_ms = 100

[audio]
codecs = ["PCMA"]

[[accounts]]
name = "work"
aor = "sip:alice@example.com"
display_name = "Alice"
outbound_proxy = "sip:proxy.example.com;transport=tcp"
transport = "tcp"
"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.sip.listen.port(), 5070);
        assert_eq!(c.timers().t1, Duration::from_millis(100));
        assert_eq!(c.codecs().unwrap(), [CodecKind::PCMA]);
        let a = account_config(&c.accounts[0], Some("pw".into())).unwrap();
        assert_eq!(a.transport, Some(Transport::Tcp));
        assert_eq!(a.credentials.unwrap().username, "alice");
        assert_eq!(a.expires, 600);

        std::fs::write(&path, "[sip]\nlisten = 5\n").unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::Syntax { .. })
        ));
        std::fs::write(&path, "password = \"x\"\n").unwrap();
        assert!(
            Config::load(&path).is_err(),
            "unknown keys (such as a password) are refused"
        );
        std::fs::write(&path, "[[accounts]]\nname = \"a\"\naor = \"tel:123\"\n").unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::Account { .. })
        ));
        // Values no phone can work with.
        for (text, said) in [
            ("[audio]\ncodecs = []\n", "at least one codec"),
            ("[sip]\nt1_ms = 0\n", "t1_ms = 0"),
            ("[sip]\nt1_ms = 18446744073709551615\n", "t1_ms"),
            ("[sip]\nmax_ringing = 0\n", "max_ringing = 0"),
            ("[sip]\nring_timeout_secs = 1\n", "ring_timeout_secs = 1"),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = Config::load(&path).expect_err(text);
            assert!(e.to_string().contains(said), "{text}: {e}");
        }
    }

    #[test]
    fn missing_file_is_default_and_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let c = Config::load(&path).unwrap();
        assert_eq!(c, Config::default());
        c.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), c);
    }

    #[test]
    fn env_var_names() {
        assert_eq!(password_env_var("work-2"), "HOOKSWITCH_PASSWORD_WORK_2");
    }
}
