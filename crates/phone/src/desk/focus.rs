//! Which call device input acts on, and what every device shows.

use hookswitch_hid::DeviceState;

use super::{Desk, DeskCall, Keypad, RingBack, Stage};
use crate::event::CallId;

impl Desk {
    /// The call in progress that is not held (being placed or connected);
    /// the most recently touched if there are several.
    pub(super) fn active(&self) -> Option<&DeskCall> {
        self.calls
            .iter()
            .filter(|c| c.stage != Stage::Ringing && !c.held)
            .max_by_key(|c| c.touched)
    }

    /// The call that rings longest.
    pub(super) fn ringing(&self) -> Option<&DeskCall> {
        self.calls.iter().find(|c| c.stage == Stage::Ringing)
    }

    pub(super) fn latest_held(&self) -> Option<&DeskCall> {
        self.calls
            .iter()
            .filter(|c| c.held)
            .max_by_key(|c| c.touched)
    }

    /// The focused call (PHONE-BEHAVIOUR.md, "Words"): the ringing one if a
    /// call rings and none is active, else the active one, else the most
    /// recently held one.
    pub fn focused(&self) -> Option<CallId> {
        match (self.ringing(), self.active()) {
            (Some(r), None) => Some(r.id),
            (_, Some(a)) => Some(a.id),
            (None, None) => self.latest_held().map(|c| c.id),
        }
    }

    /// What every call-control device shows now.
    pub fn device_state(&self) -> DeviceState {
        let focused = self
            .focused()
            .and_then(|id| self.calls.iter().find(|c| c.id == id));
        let ring = self.ringing().is_some() || matches!(self.ring_back, RingBack::Ringing(_));
        DeviceState {
            off_hook: self.active().is_some() || self.keypad != Keypad::Calls || self.busy_tone,
            ring,
            mute: focused.is_some_and(|c| c.muted && c.stage != Stage::Ringing),
            hold: focused.is_some_and(|c| c.held),
            message_waiting: self.message_waiting,
            dnd: self.dnd,
            ringer: ring,
            // The core knows our presence; the desk does not.
            presence: Default::default(),
        }
    }
}
