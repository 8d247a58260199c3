//! Presence through the phone: ours, published from every account with
//! `presence = true` (PUBLISH of PIDF with RPID), and the contacts we watch
//! (SUBSCRIBE to their presence). What shows of us follows one rule, in
//! this order: appearing offline; DND (ours, or the phone's); on the phone
//! while a call is up; busy or away as chosen; away while the desktop is
//! idle; available.

use std::collections::BTreeMap;
use std::time::Instant;

use hookswitch_sip::bodies::pidf::{self, Availability as Pidf, Presence};
use hookswitch_sip::ua::{self, AccountId, SubscriptionId, SubscriptionState};

use super::PhoneCore;
use crate::error::EngineError;
use crate::event::{Availability, PhoneEvent};

/// How long a subscription or a publication lasts before it is refreshed.
const EXPIRES: u32 = 600;

#[derive(Debug, Default)]
pub(super) struct PresenceCore {
    chosen: Availability,
    note: Option<String>,
    idle: bool,
    /// What was last published (and told).
    shown: Option<(Availability, Option<String>)>,
    publications: BTreeMap<AccountId, ua::PublicationId>,
    /// Watched contacts by target as given, and their subscriptions.
    watches: BTreeMap<String, SubscriptionId>,
    targets: BTreeMap<SubscriptionId, String>,
}

fn to_pidf(a: Availability) -> Pidf {
    match a {
        Availability::Available => Pidf::Available,
        Availability::Away => Pidf::Away,
        Availability::Busy => Pidf::Busy,
        Availability::Dnd => Pidf::DoNotDisturb,
        Availability::OnThePhone => Pidf::OnThePhone,
        Availability::Offline => Pidf::Offline,
        Availability::Unknown => Pidf::Unknown,
    }
}

fn from_pidf(a: Pidf) -> Availability {
    match a {
        Pidf::Available => Availability::Available,
        Pidf::Away => Availability::Away,
        Pidf::Busy => Availability::Busy,
        Pidf::DoNotDisturb => Availability::Dnd,
        Pidf::OnThePhone => Availability::OnThePhone,
        Pidf::Offline => Availability::Offline,
        Pidf::Unknown => Availability::Unknown,
    }
}

impl PhoneCore {
    /// What shows of us now (the rule above).
    fn own_availability(&self) -> Availability {
        let p = &self.presence;
        match p.chosen {
            Availability::Offline => Availability::Offline,
            Availability::Dnd => Availability::Dnd,
            _ if self.state.dnd => Availability::Dnd,
            _ if !self.state.calls.is_empty() => Availability::OnThePhone,
            chosen @ (Availability::Busy | Availability::Away) => chosen,
            _ if p.idle => Availability::Away,
            _ => Availability::Available,
        }
    }

    /// A button's "away": away, or available again when away already.
    pub(super) fn toggle_away(&mut self, now: Instant) {
        let to = if self.presence.chosen == Availability::Away {
            Availability::Available
        } else {
            Availability::Away
        };
        let note = self.presence.note.clone();
        if let Err(e) = self.set_presence(now, to, note) {
            tracing::warn!("presence from a button: {e}");
        }
    }

    /// Our presence as busylights show it when idle: what we chose (or
    /// idleness made away), DND over it; a call is shown by its own look.
    pub(super) fn light_presence(&self) -> hookswitch_hid::Presence {
        use hookswitch_hid::Presence;
        match self.own_availability() {
            Availability::Available | Availability::Unknown => Presence::Available,
            Availability::Away => Presence::Away,
            Availability::Busy | Availability::OnThePhone => Presence::Busy,
            Availability::Dnd => Presence::Dnd,
            Availability::Offline => Presence::Offline,
        }
    }

    /// Starts publishing and watching (once the address is settled).
    pub(super) fn start_presence(&mut self, now: Instant) {
        self.update_presence(now);
        for target in self.settings.watch.clone() {
            if let Err(e) = self.watch(now, &target, None) {
                tracing::warn!("cannot watch {target}: {e}");
            }
        }
    }

    /// Publishes (and tells) our presence when what shows changed.
    pub(super) fn update_presence(&mut self, now: Instant) {
        if !self.registering {
            return;
        }
        let shown = (self.own_availability(), self.presence.note.clone());
        if self.presence.shown.as_ref() == Some(&shown) {
            return;
        }
        self.presence.shown = Some(shown.clone());
        let (availability, note) = shown;
        let document = Presence {
            availability: to_pidf(availability),
            note: note.clone(),
        };
        for (i, rules) in self.settings.accounts.iter().enumerate() {
            if !rules.presence {
                continue;
            }
            let account = AccountId(i);
            let Some(aor) = self.aor(Some(account)).map(|a| a.to_string()) else {
                continue;
            };
            let body = pidf::document(&aor, &document, &format!("{}{i}", self.session_ids));
            match self.presence.publications.get(&account) {
                Some(id) => self.ua.republish(now, *id, body),
                None => match self.ua.publish(
                    now,
                    account,
                    "presence",
                    pidf::CONTENT_TYPE,
                    body,
                    EXPIRES,
                ) {
                    Ok(id) => {
                        self.presence.publications.insert(account, id);
                    }
                    Err(e) => tracing::warn!(account = i, "cannot publish presence: {e}"),
                },
            }
        }
        let chosen = self.presence.chosen;
        self.emit(
            now,
            PhoneEvent::OwnPresence {
                availability,
                chosen,
                note,
            },
        );
    }

    pub(super) fn set_presence(
        &mut self,
        now: Instant,
        availability: Availability,
        note: Option<String>,
    ) -> Result<(), EngineError> {
        if availability == Availability::Unknown {
            return Err(EngineError::Config(
                "one cannot choose to be unknown".into(),
            ));
        }
        self.presence.chosen = availability;
        self.presence.note = note.as_deref().and_then(pidf::clean_note);
        self.update_presence(now);
        Ok(())
    }

    pub(super) fn set_idle(&mut self, now: Instant, idle: bool) {
        self.presence.idle = idle;
        self.update_presence(now);
    }

    /// The account presence goes through: the one named, else the first
    /// with `presence = true`.
    fn presence_account(&self, named: Option<AccountId>) -> Result<AccountId, EngineError> {
        if let Some(a) = named {
            return Ok(a);
        }
        self.settings
            .accounts
            .iter()
            .position(|a| a.presence)
            .map(AccountId)
            .ok_or_else(|| {
                EngineError::Config(
                    "watching presence needs an account with presence = true".into(),
                )
            })
    }

    pub(super) fn watch(
        &mut self,
        now: Instant,
        target: &str,
        account: Option<&str>,
    ) -> Result<(), EngineError> {
        let target = target.trim().to_string();
        if self.presence.watches.contains_key(&target) {
            return Ok(());
        }
        let named = account.map(|a| self.account_id(a)).transpose()?;
        let account = self.presence_account(named)?;
        let name = self.settings.accounts[account.0].name.clone();
        let (uri, _) = self.resolve_target(&target, Some(&name))?;
        let id = self
            .ua
            .subscribe(now, account, &uri, "presence", pidf::CONTENT_TYPE, EXPIRES)
            .map_err(|e| EngineError::BadTarget(format!("{target}: {e}")))?;
        self.presence.watches.insert(target.clone(), id);
        self.presence.targets.insert(id, target.clone());
        self.emit(
            now,
            PhoneEvent::Presence {
                target,
                availability: Availability::Unknown,
                note: None,
                detail: Some(crate::event::WATCH_STARTED.into()),
            },
        );
        Ok(())
    }

    pub(super) fn unwatch(&mut self, now: Instant, target: &str) -> Result<(), EngineError> {
        let target = target.trim();
        let Some(id) = self.presence.watches.remove(target) else {
            return Err(EngineError::BadTarget(format!("{target} is not watched")));
        };
        self.presence.targets.remove(&id);
        self.ua.unsubscribe(now, id);
        self.emit(
            now,
            PhoneEvent::Unwatched {
                target: target.to_string(),
            },
        );
        Ok(())
    }

    /// A NOTIFY of a subscription of ours.
    pub(super) fn on_notified(
        &mut self,
        now: Instant,
        id: SubscriptionId,
        state: SubscriptionState,
        content_type: Option<String>,
        body: &[u8],
    ) {
        let Some(target) = self.presence.targets.get(&id).cloned() else {
            return;
        };
        let pending = state == SubscriptionState::Pending;
        let readable = content_type
            .as_deref()
            .is_none_or(|t| t == pidf::CONTENT_TYPE);
        let (availability, note, detail) = match (readable, pidf::parse(body)) {
            (true, Ok(p)) if !(pending && p.availability == Pidf::Unknown) => {
                (from_pidf(p.availability), p.note, None)
            }
            (true, Ok(_)) => (
                Availability::Unknown,
                None,
                Some("waiting for their consent".into()),
            ),
            (false, _) => {
                self.malformed_bodies += 1;
                tracing::info!(%target, ?content_type, "presence body of another type ignored");
                return;
            }
            (true, Err(e)) => {
                // One bad NOTIFY changes nothing; the subscription goes on.
                self.malformed_bodies += 1;
                tracing::info!(%target, "presence body ignored: {e}");
                return;
            }
        };
        self.emit(
            now,
            PhoneEvent::Presence {
                target,
                availability,
                note,
                detail,
            },
        );
    }

    pub(super) fn on_subscription_ended(
        &mut self,
        now: Instant,
        id: SubscriptionId,
        reason: String,
        retrying: bool,
    ) {
        let Some(target) = self.presence.targets.get(&id).cloned() else {
            return;
        };
        if !retrying {
            // Given up: no subscription, but still listed, and why.
            self.presence.targets.remove(&id);
            self.presence.watches.remove(&target);
        }
        let detail = if retrying {
            format!("{reason}; asking again")
        } else {
            reason
        };
        self.emit(
            now,
            PhoneEvent::Presence {
                target,
                availability: Availability::Unknown,
                note: None,
                detail: Some(detail),
            },
        );
    }

    pub(super) fn on_publication_state(
        &mut self,
        id: ua::PublicationId,
        published: bool,
        detail: &str,
    ) {
        let account = self
            .presence
            .publications
            .iter()
            .find(|(_, p)| **p == id)
            .map(|(a, _)| *a);
        match (account, published) {
            (Some(a), true) => tracing::info!(account = a.0, "presence published ({detail})"),
            (Some(a), false) => tracing::warn!(account = a.0, "presence not published: {detail}"),
            (None, _) => {}
        }
    }

    /// Shutting down: our state removed from the servers, subscriptions ended.
    pub(super) fn stop_presence(&mut self, now: Instant) {
        for (_, id) in std::mem::take(&mut self.presence.publications) {
            self.ua.unpublish(now, id);
        }
        for (_, id) in std::mem::take(&mut self.presence.watches) {
            self.ua.unsubscribe(now, id);
        }
        for id in self.lamp_subscriptions() {
            self.ua.unsubscribe(now, id);
        }
        self.presence.targets.clear();
    }
}
