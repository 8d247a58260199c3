//! Busy lamps (the dialog event package, RFC 4235): each account's `blf`
//! extensions are watched through it; their dialog-info, full and partial,
//! becomes one lamp each (idle, ringing with the caller, busy). A ringing
//! lamp can be picked up: directed, by an INVITE to the caller with
//! Replaces naming the ringing dialog (RFC 3891: the caller's UA accepts
//! it for the early dialog it started, cancels that call and talks to us),
//! when the PBX gave the dialog's identifiers; else by dialling the
//! account's pickup prefix and the extension.

use std::collections::BTreeMap;
use std::time::Instant;

use hookswitch_sip::bodies::dialog_info::{self, Lamp, LampState};
use hookswitch_sip::message::HeaderName;
use hookswitch_sip::ua::{AccountId, SubscriptionId, SubscriptionState};

use super::{Origin, PhoneCore};
use crate::error::EngineError;
use crate::event::{LampPhase, PhoneEvent};

const EXPIRES: u32 = 600;

#[derive(Debug)]
pub(super) struct Watched {
    account: AccountId,
    extension: String,
    lamp: LampState,
}

#[derive(Debug, Default)]
pub(super) struct LampsCore {
    by_subscription: BTreeMap<SubscriptionId, Watched>,
}

impl PhoneCore {
    /// Subscribes to every account's busy lamps (once the address settled).
    pub(super) fn start_lamps(&mut self, now: Instant) {
        for (i, rules) in self.settings.accounts.clone().iter().enumerate() {
            for extension in &rules.blf {
                let account = AccountId(i);
                let subscribed =
                    self.resolve_target(extension, Some(&rules.name))
                        .and_then(|(uri, _)| {
                            self.ua
                                .subscribe(
                                    now,
                                    account,
                                    &uri,
                                    "dialog",
                                    dialog_info::CONTENT_TYPE,
                                    EXPIRES,
                                )
                                .map_err(|e| EngineError::BadTarget(format!("{extension}: {e}")))
                        });
                match subscribed {
                    Ok(id) => {
                        self.lamps.by_subscription.insert(
                            id,
                            Watched {
                                account,
                                extension: extension.clone(),
                                lamp: LampState::default(),
                            },
                        );
                        self.tell_lamp(now, id, LampPhase::Unknown, None, Some("asking".into()));
                    }
                    Err(e) => tracing::warn!("busy lamp {extension}: {e}"),
                }
            }
        }
    }

    pub(super) fn lamp_subscriptions(&self) -> Vec<SubscriptionId> {
        self.lamps.by_subscription.keys().copied().collect()
    }

    pub(super) fn is_lamp(&self, id: SubscriptionId) -> bool {
        self.lamps.by_subscription.contains_key(&id)
    }

    fn tell_lamp(
        &mut self,
        now: Instant,
        id: SubscriptionId,
        lamp: LampPhase,
        caller: Option<String>,
        detail: Option<String>,
    ) {
        let Some(w) = self.lamps.by_subscription.get(&id) else {
            return;
        };
        let account = self.settings.accounts[w.account.0].name.clone();
        let extension = w.extension.clone();
        self.emit(
            now,
            PhoneEvent::Lamp {
                account,
                extension,
                lamp,
                caller,
                detail,
            },
        );
    }

    pub(super) fn on_lamp_notified(
        &mut self,
        now: Instant,
        id: SubscriptionId,
        state: SubscriptionState,
        body: &[u8],
    ) {
        if body.iter().all(u8::is_ascii_whitespace) {
            // No document: pending is not yet allowed; an active
            // subscription with nothing to say (kamailio, for an extension
            // that never had a call) has no calls.
            let (phase, detail) = match state {
                SubscriptionState::Pending => (LampPhase::Unknown, Some("pending".into())),
                _ => (LampPhase::Idle, None),
            };
            return self.tell_lamp(now, id, phase, None, detail);
        }
        let Some(w) = self.lamps.by_subscription.get_mut(&id) else {
            return;
        };
        // One bad NOTIFY changes nothing; the subscription goes on.
        let applied = dialog_info::parse(body).and_then(|info| w.lamp.apply(info));
        if let Err(e) = applied {
            self.malformed_bodies += 1;
            tracing::info!(extension = %w.extension, "dialog-info ignored: {e}");
            return;
        }
        let (phase, caller) = match w.lamp.lamp() {
            Lamp::Idle => (LampPhase::Idle, None),
            Lamp::Busy => (LampPhase::Busy, None),
            Lamp::Ringing {
                caller,
                caller_name,
                ..
            } => (
                LampPhase::Ringing,
                match (caller_name, caller) {
                    (Some(name), Some(uri)) => Some(format!("\"{name}\" <{uri}>")),
                    (None, uri) => uri,
                    (name, None) => name,
                },
            ),
        };
        self.tell_lamp(now, id, phase, caller, None);
    }

    pub(super) fn on_lamp_ended(
        &mut self,
        now: Instant,
        id: SubscriptionId,
        reason: String,
        retrying: bool,
    ) {
        let detail = if retrying {
            format!("{reason}; asking again")
        } else {
            reason
        };
        self.tell_lamp(now, id, LampPhase::Unknown, None, Some(detail));
        if !retrying {
            self.lamps.by_subscription.remove(&id);
        }
    }

    /// Picks up the call ringing at `extension`'s lamp (see the top).
    pub(super) fn pickup(
        &mut self,
        extension: Option<&str>,
        account: Option<&str>,
        origin: Origin,
    ) {
        let wanted = account.map(|a| self.account_id(a)).transpose();
        let found = wanted.map(|wanted| {
            self.lamps
                .by_subscription
                .values()
                .filter(|w| wanted.is_none_or(|a| a == w.account))
                .find(|w| match extension {
                    Some(e) => w.extension == e,
                    None => matches!(w.lamp.lamp(), Lamp::Ringing { .. }),
                })
                .map(|w| (w.extension.clone(), w.account, w.lamp.lamp()))
        });
        let (extension, account, lamp) = match found {
            Ok(Some(found)) => found,
            Ok(None) => {
                let why = match extension {
                    Some(e) => EngineError::BadTarget(format!("{e} is not a busy lamp here")),
                    None => EngineError::WrongState,
                };
                return self.place_failed(origin, why);
            }
            Err(e) => return self.place_failed(origin, e),
        };
        let name = self.settings.accounts[account.0].name.clone();
        let Lamp::Ringing { caller, dialog, .. } = lamp else {
            return self.place_failed(origin, EngineError::WrongState);
        };
        let directed = match (
            &caller,
            &dialog.call_id,
            &dialog.local_tag,
            &dialog.remote_tag,
        ) {
            (Some(caller), Some(call_id), Some(local), Some(remote)) => {
                // The caller's early dialog, as the caller sees it: its own
                // tag is the extension's remote tag.
                Some((
                    caller.clone(),
                    format!("{call_id};to-tag={remote};from-tag={local};early-only"),
                ))
            }
            _ => None,
        };
        let placing = match directed {
            Some((caller, replaces)) => {
                self.resolve_target(&caller, Some(&name))
                    .and_then(|(uri, acct)| {
                        self.placing(
                            uri,
                            acct,
                            None,
                            origin,
                            vec![(HeaderName::Replaces, replaces)],
                        )
                    })
            }
            None => {
                let prefix = self.settings.accounts[account.0].pickup_prefix.clone();
                let digits = format!("{prefix}{}", extension.trim());
                self.resolve_target(&digits, Some(&name))
                    .and_then(|(uri, acct)| self.placing(uri, acct, None, origin, Vec::new()))
            }
        };
        match placing {
            Ok(p) => self.prepare_place(p),
            Err(e) => self.place_failed(origin, e),
        }
    }
}
