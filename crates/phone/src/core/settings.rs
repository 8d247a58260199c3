//! What the core needs to know of the user's configuration, read once from
//! [`Config`]; what changes at run time (DND, forwarding, sound devices)
//! changes here and is announced as events.

use std::net::SocketAddr;
use std::path::PathBuf;

use hookswitch_media::codec::CodecKind;
use hookswitch_media::progress::Country;
use hookswitch_media::srtp::SrtpMode;

use crate::audio::{AudioSpec, RingSound};
use crate::call_handling::CallHandling;
use crate::config::{Config, ConfigError, EchoMode};
use crate::desk::DeskConfig;

/// An account as the call rules see it (its SIP side is the user agent's).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRules {
    pub name: String,
    /// Its codecs, best first.
    pub codecs: Vec<CodecKind>,
    pub srtp: SrtpMode,
    /// It has a call-handling table of its own (else it shares `[calls]`).
    pub own_handling: bool,
    /// It publishes our presence and watches contacts'.
    pub presence: bool,
    /// Its busy lamps, and how a ringing one is picked up without a dialog.
    pub blf: Vec<String>,
    pub pickup_prefix: String,
    /// When its balance is checked and when it is low (none: no balance URL).
    pub balance: Option<super::balance::BalanceRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MediaOptions {
    pub telephone_event: bool,
    pub comfort_noise: bool,
    pub rtcp_xr: bool,
    pub rtcp_mux: bool,
    pub echo_cancellation: EchoMode,
    /// A call whose peer sends nothing this long (while it should) ends.
    pub media_timeout: Option<std::time::Duration>,
}

/// The sound of calls placed or answered without their own: from a device,
/// a face, or by themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct SoundSettings {
    /// "auto" (the acting device's own card, else the system's),
    /// "default", a device's name, or "none".
    pub microphone: String,
    pub speaker: String,
    /// Where incoming calls ring, if anywhere.
    pub ring_device: Option<String>,
    pub ring_file: Option<PathBuf>,
    /// Whose dial and busy tones a lifted handset hears.
    pub tones: Country,
}

impl SoundSettings {
    /// The sound of a call or tone: "auto" is `paired` (the acting
    /// device's own card), else the system's; "none" is no sound.
    pub fn audio(&self, paired: Option<&str>) -> AudioSpec {
        let pick = |setting: &str| match setting {
            "none" => None,
            "auto" => Some(paired.unwrap_or("default").to_string()),
            name => Some(name.to_string()),
        };
        AudioSpec {
            microphone: pick(&self.microphone),
            speaker: pick(&self.speaker),
            ..AudioSpec::default()
        }
    }

    pub fn ring_sound(&self) -> RingSound {
        self.ring_file
            .clone()
            .map_or(RingSound::DoubleRing, RingSound::File)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoreSettings {
    /// In the user agent's account order.
    pub accounts: Vec<AccountRules>,
    /// Where a target without an account goes: the account with
    /// `default = true`, else the first.
    pub default_account: Option<usize>,
    /// The codecs of calls that go from no account.
    pub codecs: Vec<CodecKind>,
    /// Per account its call handling (used when it has its own table), then
    /// the shared table (calls to no account, accounts without their own).
    pub handling: Vec<CallHandling>,
    pub media: MediaOptions,
    pub accept_p2p: bool,
    pub only_from_registrar: bool,
    /// Calls ringing at once; past it a new one is refused with 486.
    pub max_ringing: usize,
    /// How long a call rings unanswered before it is refused with 480.
    pub ring_timeout: std::time::Duration,
    pub desk: DeskConfig,
    pub sound: SoundSettings,
    /// The built-in echo test, when it runs: `echo` calls it.
    pub echo: Option<SocketAddr>,
    /// The sound of calls answered by themselves, when not the phone's own
    /// (`hookswitch listen --play FILE`).
    pub answer_audio: Option<AudioSpec>,
    /// Contacts to watch from the start.
    pub watch: Vec<String>,
    /// What leaving our conference does to the others.
    pub conference_leave: crate::config::ConferenceLeave,
    /// Where recordings from the window go.
    pub recording_folder: PathBuf,
}

impl CoreSettings {
    pub fn from_config(config: &Config, echo: Option<SocketAddr>) -> Result<Self, ConfigError> {
        let codecs = config.codecs()?;
        let account_codecs = config.account_codecs()?;
        let accounts = config
            .accounts
            .iter()
            .zip(account_codecs)
            .map(|(a, codecs)| {
                Ok(AccountRules {
                    name: a.name.clone(),
                    codecs,
                    srtp: a.srtp,
                    own_handling: a.calls.is_some(),
                    presence: a.presence,
                    blf: a.blf.clone(),
                    pickup_prefix: a.pickup_prefix.clone(),
                    balance: a.balance.as_ref().map(|b| super::balance::BalanceRule {
                        every: std::time::Duration::from_secs(u64::from(b.every_minutes) * 60),
                        low: b.low,
                        currency: b.currency.clone(),
                    }),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let default_account = config
            .accounts
            .iter()
            .position(|a| a.default)
            .or_else(|| (!config.accounts.is_empty()).then_some(0));
        Ok(CoreSettings {
            accounts,
            default_account,
            codecs,
            handling: config.call_handling(),
            media: MediaOptions {
                telephone_event: config.audio.telephone_event,
                comfort_noise: config.audio.comfort_noise,
                rtcp_xr: config.audio.rtcp_xr,
                rtcp_mux: config.audio.rtcp_mux,
                echo_cancellation: config.audio.echo_cancellation,
                media_timeout: (config.audio.media_timeout_secs > 0).then(|| {
                    std::time::Duration::from_secs(u64::from(config.audio.media_timeout_secs))
                }),
            },
            accept_p2p: config.sip.accept_p2p,
            only_from_registrar: config.sip.only_from_registrar,
            max_ringing: config.sip.max_ringing as usize,
            ring_timeout: std::time::Duration::from_secs(u64::from(config.sip.ring_timeout_secs)),
            desk: DeskConfig {
                dial_plan: config.dialing.clone(),
                reject_status: config.devices.reject_status,
                ring_back_after: std::time::Duration::from_secs(config.devices.ring_back_secs),
                volume_step: config.devices.volume_step.max(1),
                buttons: crate::desk::buttons::parse_mappings(&config.devices.buttons),
            },
            sound: SoundSettings {
                microphone: config.devices.microphone.clone(),
                speaker: config.devices.speaker.clone(),
                ring_device: config.audio.ring_device.clone(),
                ring_file: config.audio.ring_file.clone(),
                tones: config.audio.tones,
            },
            echo,
            answer_audio: None,
            watch: config.presence.watch.clone(),
            conference_leave: config.conference.leave,
            recording_folder: config.recording.folder(),
        })
    }

    /// The index of the shared handling table in `handling`.
    pub fn shared_table(&self) -> usize {
        self.handling.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_sound_is_the_devices_own_card_then_the_systems() {
        let mut d = SoundSettings {
            microphone: "auto".into(),
            speaker: "auto".into(),
            ring_device: None,
            ring_file: None,
            tones: Country::Itu,
        };
        let spec = d.audio(Some("sysdefault:CARD=Link"));
        assert_eq!(spec.speaker.as_deref(), Some("sysdefault:CARD=Link"));
        assert_eq!(spec.microphone.as_deref(), Some("sysdefault:CARD=Link"));
        assert_eq!(d.audio(None).speaker.as_deref(), Some("default"));
        d.microphone = "none".into();
        d.speaker = "pulse".into();
        let spec = d.audio(Some("sysdefault:CARD=Link"));
        assert_eq!(
            (spec.microphone, spec.speaker.as_deref()),
            (None, Some("pulse"))
        );
    }
}
