//! What a busylight shows: a colour and an effect, chosen from the phone's
//! state by settings people can change (`[devices.busylight]`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::encode::{DeviceState, Presence};

/// A colour, 0–255 per channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Rgb {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Rgb {
    pub const OFF: Rgb = Rgb::new(0, 0, 0);

    pub const fn new(r: u8, g: u8, b: u8) -> Rgb {
        Rgb { r, g, b }
    }

    /// The colour at `percent` of its brightness.
    pub fn scaled(self, percent: u8) -> Rgb {
        let p = u16::from(percent.min(100));
        // At most 255 * 100 / 100: the division cannot leave a u8.
        let f = |c: u8| u8::try_from(u16::from(c) * p / 100).unwrap_or(u8::MAX);
        Rgb::new(f(self.r), f(self.g), f(self.b))
    }

    pub fn is_off(self) -> bool {
        self == Rgb::OFF
    }
}

/// Names people write in the settings, and what they mean.
const NAMED: [(&str, Rgb); 10] = [
    ("off", Rgb::new(0, 0, 0)),
    ("red", Rgb::new(255, 0, 0)),
    ("green", Rgb::new(0, 255, 0)),
    ("blue", Rgb::new(0, 0, 255)),
    ("yellow", Rgb::new(255, 160, 0)),
    ("orange", Rgb::new(255, 80, 0)),
    ("purple", Rgb::new(160, 0, 255)),
    ("magenta", Rgb::new(255, 0, 255)),
    ("cyan", Rgb::new(0, 255, 255)),
    ("white", Rgb::new(255, 255, 255)),
];

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMED.iter().find(|(_, c)| c == self) {
            Some((name, _)) => f.write_str(name),
            None => write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b),
        }
    }
}

impl FromStr for Rgb {
    type Err = String;

    /// `#rrggbb` or a name (`green`, `off`, ...).
    fn from_str(s: &str) -> Result<Rgb, String> {
        let s = s.trim();
        if let Some(hex) = s.strip_prefix('#') {
            let channel = |i: usize| {
                hex.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            };
            return match (hex.len(), channel(0), channel(2), channel(4)) {
                (6, Some(r), Some(g), Some(b)) => Ok(Rgb::new(r, g, b)),
                _ => Err(format!("{s:?} is not a colour like #00ff00")),
            };
        }
        NAMED
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                let names: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
                format!("{s:?} is not a colour: #rrggbb or {}", names.join(", "))
            })
    }
}

/// How the colour is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Effect {
    #[default]
    Steady,
    /// On and off, fast: something wants attention now (a call rings).
    Flash,
    /// Brightness rising and falling slowly (a call on hold).
    Pulse,
    /// Steady with a short double blink every few seconds (a voicemail
    /// waits): the colour underneath still reads as presence.
    Wink,
}

impl Effect {
    const NAMES: [(&'static str, Effect); 4] = [
        ("steady", Effect::Steady),
        ("flash", Effect::Flash),
        ("pulse", Effect::Pulse),
        ("wink", Effect::Wink),
    ];

    pub fn name(self) -> &'static str {
        Effect::NAMES
            .iter()
            .find(|(_, e)| *e == self)
            .map_or("steady", |(n, _)| n)
    }

    /// One cycle of the effect as (brightness percent, milliseconds) frames,
    /// for lights the host animates.
    pub fn frames(self) -> Vec<(u8, u32)> {
        match self {
            Effect::Steady => vec![(100, u32::MAX)],
            Effect::Flash => vec![(100, FLASH_MS), (0, FLASH_MS)],
            Effect::Pulse => {
                // A triangle from 15 % to 100 % and back, one step per 100 ms.
                let up: Vec<u8> = (0..=PULSE_STEPS)
                    .map(|i| {
                        u8::try_from(15 + u32::from(i) * 85 / u32::from(PULSE_STEPS)).unwrap_or(100)
                    })
                    .collect();
                let down = up.iter().rev().skip(1).take(up.len() - 2).copied();
                up.iter()
                    .copied()
                    .chain(down)
                    .map(|p| (p, PULSE_STEP_MS))
                    .collect()
            }
            Effect::Wink => vec![
                (100, WINK_STEADY_MS),
                (0, WINK_BLINK_MS),
                (100, WINK_BLINK_MS),
                (0, WINK_BLINK_MS),
            ],
        }
    }
}

/// Half a flash cycle: 2.5 flashes a second.
pub const FLASH_MS: u32 = 200;
/// A pulse takes 2 s up and down.
const PULSE_STEPS: u8 = 10;
const PULSE_STEP_MS: u32 = 100;
const WINK_STEADY_MS: u32 = 2400;
const WINK_BLINK_MS: u32 = 200;

/// A colour, or "the colour our presence shows" (for voicemail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Colour(Rgb),
    Presence,
}

/// One setting: `"red"`, `"#ff0000 flash"`, `"presence wink"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appearance {
    pub paint: Paint,
    pub effect: Effect,
}

impl Appearance {
    pub const fn steady(colour: Rgb) -> Appearance {
        Appearance {
            paint: Paint::Colour(colour),
            effect: Effect::Steady,
        }
    }

    pub const fn with(colour: Rgb, effect: Effect) -> Appearance {
        Appearance {
            paint: Paint::Colour(colour),
            effect,
        }
    }
}

impl fmt::Display for Appearance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.paint {
            Paint::Colour(c) => write!(f, "{c}")?,
            Paint::Presence => f.write_str("presence")?,
        }
        if self.effect != Effect::Steady {
            write!(f, " {}", self.effect.name())?;
        }
        Ok(())
    }
}

impl FromStr for Appearance {
    type Err = String;

    fn from_str(s: &str) -> Result<Appearance, String> {
        let mut words = s.split_whitespace();
        let paint = match words.next() {
            Some(w) if w.eq_ignore_ascii_case("presence") => Paint::Presence,
            Some(w) => Paint::Colour(w.parse()?),
            None => return Err("empty: write a colour, e.g. \"red flash\"".into()),
        };
        let effect = match words.next() {
            None => Effect::Steady,
            Some(w) => Effect::NAMES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(w))
                .map(|(_, e)| *e)
                .ok_or_else(|| format!("{w:?} is not an effect: steady, flash, pulse or wink"))?,
        };
        if let Some(extra) = words.next() {
            return Err(format!(
                "{extra:?} is one word too many: \"COLOUR [EFFECT]\""
            ));
        }
        Ok(Appearance { paint, effect })
    }
}

impl Serialize for Appearance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Appearance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Appearance, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "ts")]
ts_as_string!(Appearance);

/// A light's built-in sound (kuando's ringtones, the Blynclight Plus's tunes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sound {
    /// The vendor's tune number (kuando 1–9, Embrava 1–10).
    pub tune: u8,
    /// 0–100 %.
    pub volume: u8,
}

/// What a light is asked to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub colour: Rgb,
    pub effect: Effect,
    /// Its own sound plays while this look lasts (lights without one ignore it).
    pub sound: Option<Sound>,
}

impl Look {
    pub const OFF: Look = Look {
        colour: Rgb::OFF,
        effect: Effect::Steady,
        sound: None,
    };

    pub const fn steady(colour: Rgb) -> Look {
        Look {
            colour,
            effect: Effect::Steady,
            sound: None,
        }
    }
}

/// `[devices.busylight]`: what lights show for each state of the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields, default)]
pub struct LightSettings {
    /// Idle, by our presence.
    pub available: Appearance,
    pub away: Appearance,
    pub busy: Appearance,
    pub dnd: Appearance,
    pub offline: Appearance,
    /// A call rings (and we are not in one).
    pub ringing: Appearance,
    /// In a call, or dialling.
    pub call: Appearance,
    /// The call is on hold.
    pub hold: Appearance,
    /// Idle with a voicemail waiting.
    pub voicemail: Appearance,
    /// Lights with a speaker (kuando, Blynclight Plus) ring too.
    pub ring_sound: bool,
    /// The light's own tune (kuando: 1 OpenOffice ... 7 TelephoneOriginal ...
    /// 9 Buzz; Embrava: 1–10).
    pub ringtone: u8,
    /// 0–100 %.
    pub ring_volume: u8,
}

impl Default for LightSettings {
    fn default() -> Self {
        let colour = |name: &str| name.parse::<Rgb>().unwrap_or(Rgb::OFF);
        LightSettings {
            available: Appearance::steady(colour("green")),
            away: Appearance::steady(colour("yellow")),
            busy: Appearance::steady(colour("red")),
            dnd: Appearance::steady(colour("purple")),
            offline: Appearance::steady(Rgb::OFF),
            ringing: Appearance::with(colour("red"), Effect::Flash),
            call: Appearance::steady(colour("red")),
            hold: Appearance::with(colour("red"), Effect::Pulse),
            voicemail: Appearance {
                paint: Paint::Presence,
                effect: Effect::Wink,
            },
            ring_sound: false,
            ringtone: 7,
            ring_volume: 50,
        }
    }
}

impl LightSettings {
    /// What a light shows for `state`: a call first, then a ringing one, then
    /// a held one, then presence (with voicemail over it).
    pub fn look_for(&self, state: &DeviceState) -> Look {
        let presence = self.presence_appearance(state);
        let presence_colour = match presence.paint {
            Paint::Colour(c) => c,
            Paint::Presence => Rgb::OFF,
        };
        let (appearance, sound) = if state.off_hook {
            (self.call, None)
        } else if state.ring {
            let sound = self.ring_sound.then_some(Sound {
                tune: self.ringtone,
                volume: self.ring_volume.min(100),
            });
            (self.ringing, sound)
        } else if state.hold {
            (self.hold, None)
        } else if state.message_waiting && state.presence != Presence::Offline {
            (self.voicemail, None)
        } else {
            (presence, None)
        };
        let colour = match appearance.paint {
            Paint::Colour(c) => c,
            Paint::Presence => presence_colour,
        };
        Look {
            colour,
            effect: appearance.effect,
            sound,
        }
    }

    fn presence_appearance(&self, state: &DeviceState) -> Appearance {
        if state.dnd {
            return self.dnd;
        }
        match state.presence {
            Presence::Available => self.available,
            Presence::Away => self.away,
            Presence::Busy => self.busy,
            Presence::Dnd => self.dnd,
            Presence::Offline => self.offline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appearances_read_and_write_as_people_type_them() {
        for text in [
            "red",
            "#123456 flash",
            "presence wink",
            "purple pulse",
            "off",
        ] {
            let a: Appearance = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
        assert_eq!(
            "RED Flash".parse::<Appearance>().unwrap(),
            Appearance::with(Rgb::new(255, 0, 0), Effect::Flash)
        );
        for bad in [
            "",
            "#12345",
            "#gg0000",
            "pink",
            "red sparkle",
            "red flash now",
        ] {
            assert!(bad.parse::<Appearance>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_looks_follow_the_issue() {
        let s = LightSettings::default();
        let idle = DeviceState::default();
        assert_eq!(s.look_for(&idle), Look::steady(Rgb::new(0, 255, 0)));
        let away = DeviceState {
            presence: Presence::Away,
            ..idle
        };
        assert_eq!(s.look_for(&away).colour, Rgb::new(255, 160, 0));
        let dnd = DeviceState { dnd: true, ..idle };
        assert_eq!(s.look_for(&dnd).colour, Rgb::new(160, 0, 255));
        let ringing = DeviceState { ring: true, ..idle };
        let look = s.look_for(&ringing);
        assert_eq!(
            (look.colour, look.effect, look.sound),
            (Rgb::new(255, 0, 0), Effect::Flash, None)
        );
        let call = DeviceState {
            off_hook: true,
            ring: true,
            ..idle
        };
        assert_eq!(s.look_for(&call), Look::steady(Rgb::new(255, 0, 0)));
        let held = DeviceState { hold: true, ..idle };
        assert_eq!(s.look_for(&held).effect, Effect::Pulse);
        let voicemail = DeviceState {
            message_waiting: true,
            presence: Presence::Busy,
            ..idle
        };
        let look = s.look_for(&voicemail);
        assert_eq!(
            (look.colour, look.effect),
            (Rgb::new(255, 0, 0), Effect::Wink)
        );
        let offline = DeviceState {
            presence: Presence::Offline,
            message_waiting: true,
            ..idle
        };
        assert_eq!(s.look_for(&offline), Look::OFF);
    }

    #[test]
    fn the_ring_sound_is_a_setting() {
        let s = LightSettings {
            ring_sound: true,
            ringtone: 3,
            ring_volume: 250,
            ..LightSettings::default()
        };
        let ringing = DeviceState {
            ring: true,
            ..DeviceState::default()
        };
        assert_eq!(
            s.look_for(&ringing).sound,
            Some(Sound {
                tune: 3,
                volume: 100
            })
        );
    }

    #[test]
    fn settings_round_trip_through_toml() {
        let s = LightSettings {
            ringing: "blue flash".parse().unwrap(),
            ..LightSettings::default()
        };
        let text = toml::to_string(&s).unwrap();
        assert!(text.contains("ringing = \"blue flash\""), "{text}");
        assert_eq!(toml::from_str::<LightSettings>(&text).unwrap(), s);
        assert!(toml::from_str::<LightSettings>("ringing = \"blue sparkle\"").is_err());
    }

    #[test]
    fn every_effect_cycle_is_finite_and_lit_somewhere() {
        for (_, e) in Effect::NAMES {
            let frames = e.frames();
            assert!(!frames.is_empty());
            assert!(frames.iter().any(|(p, _)| *p == 100), "{e:?}");
            assert!(frames.iter().all(|(_, ms)| *ms > 0));
        }
        let pulse = Effect::Pulse.frames();
        assert_eq!(pulse.len(), 20, "{pulse:?}");
        assert_eq!(pulse.first().map(|f| f.0), Some(15));
    }
}
