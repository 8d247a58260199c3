//! HID telephony devices: the part every HID backend shares (descriptor to
//! capabilities, profile, decoder and encoder), and the backends themselves.

pub mod hidraw;
pub mod simulated;
pub mod simulated_socket;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use hookswitch_hid::profile::DeviceIdentity;
use hookswitch_hid::usage::{PAGE_LED, PAGE_TELEPHONY};
use hookswitch_hid::{
    Capabilities, Decoder, DeviceState, Encoder, PhoneInput, Profile, Usage, capabilities_with,
    input::known_vendor_gestures, parse, select,
};

/// A HID device understood: what it can do and how to talk to it.
pub struct HidCore {
    pub capabilities: Capabilities,
    pub profile: Option<Profile>,
    pub uses_report_ids: bool,
    /// Shared with the reader thread: writing Off-Hook opens the echo window.
    decoder: Arc<Mutex<Decoder>>,
    encoder: Encoder,
    shown: Option<DeviceState>,
}

/// The reader's half of a [`HidCore`].
#[derive(Clone)]
pub struct HidReader {
    decoder: Arc<Mutex<Decoder>>,
}

impl HidReader {
    pub fn decode(&self, report: &[u8], now: Instant) -> Vec<PhoneInput> {
        self.decoder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .decode(report, now)
    }
}

impl HidCore {
    /// Understands a device from its report descriptor. `identity.usage_page` is
    /// the page the device was found by.
    pub fn new(
        descriptor: &[u8],
        identity: &DeviceIdentity,
        profiles: &[Profile],
    ) -> Result<HidCore, String> {
        let desc = parse(descriptor).map_err(|e| e.to_string())?;
        let profile = select(profiles, identity).cloned();
        let profile_gestures = profile
            .as_ref()
            .map(Profile::vendor_gestures)
            .unwrap_or_default();
        // The profile's vendor buttons, and those every device means the same
        // by (the Teams button).
        let mut gestures = profile_gestures.clone();
        gestures.extend(known_vendor_gestures());
        let vendor_usages: Vec<_> = gestures.iter().map(|(u, _)| *u).collect();
        let capabilities = capabilities_with(&desc, &vendor_usages);
        if !capabilities.telephony && profile_gestures.is_empty() {
            return Err("no Telephony collection and no profile mapping for it".into());
        }
        let mut settings = profile
            .as_ref()
            .map(Profile::decoder_settings)
            .unwrap_or_default();
        settings.vendor_gestures = gestures;
        let decoder = Decoder::new(&desc, capabilities.clone(), settings);
        let encoder = Encoder::new(&desc, &capabilities);
        Ok(HidCore {
            capabilities,
            profile,
            uses_report_ids: desc.uses_report_ids,
            decoder: Arc::new(Mutex::new(decoder)),
            encoder,
            shown: None,
        })
    }

    pub fn reader(&self) -> HidReader {
        HidReader {
            decoder: self.decoder.clone(),
        }
    }

    /// The output reports that show `state` (only those that change), each
    /// starting with its report ID when the device uses IDs.
    pub fn reports_for(&mut self, state: &DeviceState, now: Instant) -> Vec<Vec<u8>> {
        let mut state = *state;
        if self.profile.as_ref().is_some_and(|p| !p.quirks.use_ringer) {
            state.ringer = false;
        }
        // A device plugged in on-hook has nothing to echo; one plugged in mid-call
        // may echo the Off-Hook it is given.
        let hook_changes = match self.shown {
            Some(s) => s.off_hook != state.off_hook,
            None => state.off_hook,
        };
        if hook_changes && self.capabilities.output(OFF_HOOK).is_some() {
            self.decoder
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .expect_hook_echo(state.off_hook, now);
        }
        self.shown = Some(state);
        self.encoder.encode(&state)
    }

    /// After a failed write: the next `reports_for` writes everything.
    pub fn forget_shown(&mut self) {
        self.encoder.forget();
        self.shown = None;
    }

    /// "Hook Switch, Phone Mute, keypad; LEDs: Off-Hook, Mute, Ring".
    pub fn summary(&self) -> String {
        let caps = &self.capabilities;
        let mut parts: Vec<String> = caps.inputs.iter().map(|i| i.name.clone()).collect();
        if caps.keypads.iter().any(|k| k.dials()) {
            parts.push("keypad".into());
        }
        if caps.keypads.iter().any(|k| !k.dials()) {
            parts.push("programmable buttons".into());
        }
        let mut text = parts.join(", ");
        if !caps.outputs.is_empty() {
            let outputs: Vec<&str> = caps.outputs.iter().map(|o| o.name.as_str()).collect();
            text.push_str("; outputs: ");
            text.push_str(&outputs.join(", "));
        }
        text
    }

    /// The profile says the hook echoes the host's Off-Hook LED.
    pub fn hook_follows_host(&self) -> bool {
        self.profile
            .as_ref()
            .is_some_and(|p| p.quirks.hook_echo_window_ms > 0)
    }

    /// What the profile says the device's buttons do.
    pub fn buttons(&self) -> Vec<hookswitch_hid::ButtonMapping> {
        self.profile
            .as_ref()
            .map(|p| p.buttons.clone())
            .unwrap_or_default()
    }

    pub fn profile_name(&self) -> Option<String> {
        self.profile.as_ref().map(|p| p.name.clone())
    }
}

/// The LED whose writes some headsets echo back as a hook report.
const OFF_HOOK: Usage = Usage::new(PAGE_LED, 0x17);

/// Whether an enumerated HID collection is worth opening: the Telephony page, or
/// a page a matching profile names explicitly (vendor pages of quirky devices).
pub fn wanted(identity: &DeviceIdentity, profiles: &[Profile]) -> bool {
    identity.usage_page == PAGE_TELEPHONY
        || profiles.iter().any(|p| {
            p.matching.usage_page.is_some()
                && p.matching.vendor_id.is_some()
                && p.fit(identity).is_some()
        })
}
