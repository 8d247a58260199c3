//! Programmable and vendor buttons (Telephony Programmable Buttons, the
//! Teams button): unmapped they do nothing; mapped, in the settings
//! (`[[devices.buttons]]`) or in the device's profile, each runs one action.

use std::str::FromStr;

use hookswitch_devices::DeviceId;
use hookswitch_hid::{ButtonMapping, ButtonName};

use super::{Desk, DeskOutput};
use crate::action::Action;

/// What a mapped button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Bring the window forward (the app; other faces are told).
    Window,
    /// Answer the ringing call, else hang up the active one (never dials).
    AnswerOrHangUp,
    /// Away, or back to available if away already.
    ToggleAway,
    /// Pick up the call ringing at a busy lamp.
    Pickup,
    /// Call what speed dial key `digit` holds.
    SpeedDial(u8),
    /// Call a number, name or SIP address.
    Call(String),
}

impl FromStr for ButtonAction {
    type Err = String;

    fn from_str(s: &str) -> Result<ButtonAction, String> {
        let s = s.trim();
        let (verb, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
        let rest = rest.trim();
        Ok(match (verb.to_ascii_lowercase().as_str(), rest) {
            ("window", "") => ButtonAction::Window,
            ("answer-or-hang-up", "") => ButtonAction::AnswerOrHangUp,
            ("away", "") => ButtonAction::ToggleAway,
            ("pickup", "") => ButtonAction::Pickup,
            ("speed-dial", d) => match d.parse::<u8>() {
                Ok(digit @ 1..=9) => ButtonAction::SpeedDial(digit),
                _ => return Err(format!("speed-dial takes a key 1-9, not {d:?}")),
            },
            ("call", target) if !target.is_empty() => ButtonAction::Call(target.to_string()),
            _ => {
                return Err(format!(
                    "{s:?} is not a button action: window, answer-or-hang-up, away, pickup, \
                     speed-dial N or call TARGET"
                ));
            }
        })
    }
}

/// Mappings as the desk uses them; a mapping that does not read is left
/// out with a warning (the settings are checked when loaded; profiles are
/// files people write).
pub fn parse_mappings(mappings: &[ButtonMapping]) -> Vec<(ButtonName, ButtonAction)> {
    mappings
        .iter()
        .filter_map(|m| match m.action.parse() {
            Ok(a) => Some((m.button, a)),
            Err(e) => {
                tracing::warn!(button = %m.button, "button left unmapped: {e}");
                None
            }
        })
        .collect()
}

impl Desk {
    /// A programmable or vendor button on `device`: the settings' mapping,
    /// else the device profile's, else nothing.
    pub(super) fn button(&mut self, device: DeviceId, name: ButtonName) {
        let action = self
            .cfg
            .buttons
            .iter()
            .chain(self.device_buttons.get(&device).into_iter().flatten())
            .find(|(b, _)| *b == name)
            .map(|(_, a)| a.clone());
        let Some(action) = action else {
            tracing::debug!(%name, "no action for this button");
            return;
        };
        tracing::debug!(%name, ?action, "button");
        match action {
            ButtonAction::Window => self.actions.push_back(DeskOutput::Window),
            ButtonAction::ToggleAway => self.actions.push_back(DeskOutput::ToggleAway),
            ButtonAction::AnswerOrHangUp => {
                if let Some(call) = self.ringing().map(|c| c.id) {
                    self.actions
                        .push_back(DeskOutput::Act(Action::Answer { call, audio: None }));
                } else if let Some(call) = self.active().map(|c| c.id) {
                    self.actions
                        .push_back(DeskOutput::Act(Action::Hangup { call: Some(call) }));
                }
            }
            ButtonAction::Pickup => self.actions.push_back(DeskOutput::Act(Action::Pickup {
                extension: None,
                account: None,
            })),
            ButtonAction::SpeedDial(digit) => self.actions.push_back(DeskOutput::SpeedDial(digit)),
            ButtonAction::Call(target) => self.actions.push_back(DeskOutput::Act(Action::Call {
                target,
                account: None,
                audio: None,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_as_people_write_them() {
        assert_eq!("window".parse(), Ok(ButtonAction::Window));
        assert_eq!(
            " Answer-or-hang-up ".parse(),
            Ok(ButtonAction::AnswerOrHangUp)
        );
        assert_eq!("away".parse(), Ok(ButtonAction::ToggleAway));
        assert_eq!("pickup".parse(), Ok(ButtonAction::Pickup));
        assert_eq!("speed-dial 3".parse(), Ok(ButtonAction::SpeedDial(3)));
        assert_eq!(
            "call  +49 30 1234".parse(),
            Ok(ButtonAction::Call("+49 30 1234".into()))
        );
        for bad in [
            "",
            "speed-dial 0",
            "speed-dial x",
            "call",
            "window now",
            "dance",
        ] {
            assert!(bad.parse::<ButtonAction>().is_err(), "{bad}");
        }
    }
}
