//! Settings that change at run time, whichever face changes them (a DND
//! button on a headset, the window, the CLI): call handling tables and the
//! sound devices. Each change is an event; the engine saves it to the
//! configuration file, so it survives a restart the same way from anywhere.

use std::time::Instant;

use super::PhoneCore;
use crate::call_handling::{CallHandling, ForwardReason};
use crate::error::EngineError;
use crate::event::PhoneEvent;

impl PhoneCore {
    /// Tells what the tables and sound devices are at start: the state then
    /// holds every table, the shared one first.
    pub(super) fn announce_settings(&mut self, now: Instant) {
        let shared = self.settings.shared_table();
        let mut tables = vec![(None, shared)];
        for (i, a) in self.settings.accounts.iter().enumerate() {
            if a.own_handling {
                tables.push((Some(a.name.clone()), i));
            }
        }
        for (account, i) in tables {
            self.announce_table(now, account, i);
        }
        let sound = &self.settings.sound;
        let e = PhoneEvent::SoundDevices {
            microphone: sound.microphone.clone(),
            speaker: sound.speaker.clone(),
            ring_device: sound.ring_device.clone(),
        };
        self.emit(now, e);
    }

    /// A whole table, as events (its DND, and each forwarding that is set).
    fn announce_table(&mut self, now: Instant, account: Option<String>, index: usize) {
        let h = self.settings.handling[index].clone();
        self.emit(
            now,
            PhoneEvent::Dnd {
                account: account.clone(),
                on: h.dnd,
            },
        );
        for (when, target) in forwardings(&h) {
            if target.is_some() {
                self.emit(
                    now,
                    PhoneEvent::Forwarding {
                        account: account.clone(),
                        when,
                        target,
                    },
                );
            }
        }
    }

    /// The table of `account` (its own, made from the shared one when it had
    /// none), or the shared one.
    fn table_index(&mut self, now: Instant, account: Option<&str>) -> Result<usize, EngineError> {
        let Some(name) = account else {
            return Ok(self.settings.shared_table());
        };
        let id = self.account_id(name)?.0;
        if !self.settings.accounts[id].own_handling {
            self.settings.accounts[id].own_handling = true;
            self.settings.handling[id] =
                self.settings.handling[self.settings.shared_table()].clone();
            self.announce_table(now, Some(name.to_string()), id);
        }
        Ok(id)
    }

    /// DND on or off: of one account's table, or (no account) of the whole phone.
    pub(super) fn set_dnd(
        &mut self,
        now: Instant,
        account: Option<&str>,
        on: bool,
    ) -> Result<(), EngineError> {
        let tables: Vec<(Option<String>, usize)> = match account {
            Some(_) => vec![(account.map(str::to_string), self.table_index(now, account)?)],
            None => std::iter::once((None, self.settings.shared_table()))
                .chain(
                    self.settings
                        .accounts
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.own_handling)
                        .map(|(i, a)| (Some(a.name.clone()), i)),
                )
                .collect(),
        };
        for (account, i) in tables {
            self.settings.handling[i].dnd = on;
            self.emit(now, PhoneEvent::Dnd { account, on });
        }
        Ok(())
    }

    /// Sets (`Some`: a number or SIP address) or clears one kind of
    /// forwarding, of an account's table or of the shared one.
    pub(super) fn set_forward(
        &mut self,
        now: Instant,
        account: Option<&str>,
        when: ForwardReason,
        target: Option<String>,
    ) -> Result<(), EngineError> {
        let target = target
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if let Some(t) = &target {
            // Refuse now what could not be dialled when a call comes.
            let id = account.map(|a| self.account_id(a)).transpose()?;
            let aor = self.aor(
                id.or(self
                    .settings
                    .default_account
                    .map(hookswitch_sip::ua::AccountId)),
            );
            super::target_uri(t, aor)?;
        }
        let i = self.table_index(now, account)?;
        let h = &mut self.settings.handling[i];
        let slot = match when {
            ForwardReason::Always => &mut h.forward_always,
            ForwardReason::Busy => &mut h.forward_busy,
            ForwardReason::NoAnswer => &mut h.forward_no_answer,
        };
        slot.clone_from(&target);
        self.emit(
            now,
            PhoneEvent::Forwarding {
                account: account.map(str::to_string),
                when,
                target,
            },
        );
        Ok(())
    }

    /// The sound devices of calls placed or answered without their own.
    pub(super) fn set_sound_devices(
        &mut self,
        now: Instant,
        microphone: String,
        speaker: String,
        ring_device: Option<String>,
    ) -> Result<(), EngineError> {
        if microphone.trim().is_empty() || speaker.trim().is_empty() {
            return Err(EngineError::Audio(
                "a microphone and a speaker: \"auto\", \"default\", a device's name or \"none\""
                    .into(),
            ));
        }
        let ring_device = ring_device.filter(|d| !d.trim().is_empty());
        let sound = &mut self.settings.sound;
        sound.microphone.clone_from(&microphone);
        sound.speaker.clone_from(&speaker);
        sound.ring_device.clone_from(&ring_device);
        // A ring already sounding moves to the new device (told again below).
        if std::mem::replace(&mut self.ringing, false) {
            self.outputs.push_back(super::Output::Ring(None));
        }
        self.emit(
            now,
            PhoneEvent::SoundDevices {
                microphone,
                speaker,
                ring_device,
            },
        );
        Ok(())
    }
}

fn forwardings(h: &CallHandling) -> [(ForwardReason, Option<String>); 3] {
    [
        (ForwardReason::Always, h.forward_always.clone()),
        (ForwardReason::Busy, h.forward_busy.clone()),
        (ForwardReason::NoAnswer, h.forward_no_answer.clone()),
    ]
}
