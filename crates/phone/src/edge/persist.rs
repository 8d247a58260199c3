//! Saving run-time settings: DND, forwarding, the sound devices and the
//! contacts whose presence is watched, changed from any face (a headset's
//! DND button, the window, `hookswitch dnd`) are
//! written to the configuration file the engine was started from, so they
//! survive a restart the same way whoever changed them.

use std::path::{Path, PathBuf};

use crate::call_handling::ForwardReason;
use crate::config::{Config, ConfigError};
use crate::event::PhoneEvent;

/// The file run-time settings go to.
pub struct Persist {
    path: PathBuf,
}

impl Persist {
    pub fn new(path: PathBuf) -> Persist {
        Persist { path }
    }

    /// Saves what `e` changed, if it is a setting. A failure is logged: the
    /// phone goes on with the setting, only the file misses it.
    pub fn follow(&self, e: &PhoneEvent) {
        let result = match e {
            PhoneEvent::Dnd { account, on } => edit_table(&self.path, account.as_deref(), |h| {
                h.dnd = *on;
            }),
            PhoneEvent::Forwarding {
                account,
                when,
                target,
            } => edit_table(&self.path, account.as_deref(), |h| {
                let slot = match when {
                    ForwardReason::Always => &mut h.forward_always,
                    ForwardReason::Busy => &mut h.forward_busy,
                    ForwardReason::NoAnswer => &mut h.forward_no_answer,
                };
                slot.clone_from(target);
            }),
            PhoneEvent::SoundDevices {
                microphone,
                speaker,
                ring_device,
            } => Config::edit(&self.path, |c| {
                c.devices.microphone.clone_from(microphone);
                c.devices.speaker.clone_from(speaker);
                c.audio.ring_device.clone_from(ring_device);
            }),
            PhoneEvent::Presence {
                target,
                detail: Some(detail),
                ..
            } if detail == crate::event::WATCH_STARTED => Config::edit(&self.path, |c| {
                if !c.presence.watch.contains(target) {
                    c.presence.watch.push(target.clone());
                }
            }),
            PhoneEvent::Unwatched { target } => Config::edit(&self.path, |c| {
                c.presence.watch.retain(|w| w != target);
            }),
            _ => return,
        };
        if let Err(e) = result {
            tracing::warn!("the setting was not saved: {e}");
        }
    }
}

/// Changes the saved call handling of an account (its own table, made from
/// the shared one if it had none) or the shared table.
fn edit_table(
    path: &Path,
    account: Option<&str>,
    change: impl FnOnce(&mut crate::call_handling::CallHandling),
) -> Result<(), ConfigError> {
    Config::edit(path, |c| {
        let shared = c.calls.clone();
        match account.and_then(|name| c.accounts.iter_mut().find(|a| a.name == name)) {
            Some(a) => change(a.calls.get_or_insert(shared)),
            None => change(&mut c.calls),
        }
    })
}
