//! When an account's balance is checked, and what the phone shows of it:
//! at start, every `every_minutes`, after each of the account's calls, and
//! when a face asks (`check_balance`). The edge fetches
//! ([`Output::FetchBalance`]) and answers ([`Input::BalanceFetched`]); the
//! core tells `Balance` with the amount (the last one known when a check
//! fails, with why), whether it is under `low`, and keeps it in the state.

use std::time::{Duration, Instant};

use super::{Output, PhoneCore};
use crate::error::EngineError;
use crate::event::PhoneEvent;

/// What the settings say of one account's balance.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceRule {
    pub every: Duration,
    pub low: Option<f64>,
    pub currency: String,
}

/// One account's schedule.
#[derive(Debug, Clone, Default)]
pub(super) struct BalanceClock {
    /// When the next check is due (None: at the first chance).
    next: Option<Instant>,
    /// A fetch is on its way: another waits for it.
    fetching: bool,
    /// A check was asked for while one was on its way.
    again: bool,
}

impl PhoneCore {
    /// When a balance check is next due.
    pub(super) fn balance_timeout(&self) -> Option<Instant> {
        self.balance
            .iter()
            .filter(|(_, c)| !c.fetching)
            .map(|(_, c)| c.next.unwrap_or(self.now))
            .min()
    }

    /// Asks for the checks that are due.
    pub(super) fn on_balance_timers(&mut self, now: Instant) {
        for i in 0..self.balance.len() {
            let (account, clock) = &self.balance[i];
            if clock.fetching || clock.next.is_some_and(|t| t > now) {
                continue;
            }
            let account = account.clone();
            self.fetch_balance(now, i, &account);
        }
    }

    fn fetch_balance(&mut self, now: Instant, i: usize, account: &str) {
        let every = self
            .rule(account)
            .map_or(Duration::from_secs(900), |r| r.every);
        let clock = &mut self.balance[i].1;
        clock.fetching = true;
        clock.next = Some(now + every);
        self.outputs.push_back(Output::FetchBalance {
            account: account.to_string(),
        });
    }

    /// Checks `account`'s balance now (or every account's), unless a
    /// check is on its way: then once more after it.
    pub(super) fn check_balance(
        &mut self,
        now: Instant,
        account: Option<&str>,
    ) -> Result<(), EngineError> {
        if let Some(a) = account
            && !self.balance.iter().any(|(name, _)| name == a)
        {
            return Err(EngineError::NoSuchAccount(format!(
                "{a} (with a balance URL)"
            )));
        }
        for i in 0..self.balance.len() {
            let name = self.balance[i].0.clone();
            if account.is_some_and(|a| a != name) {
                continue;
            }
            if self.balance[i].1.fetching {
                self.balance[i].1.again = true;
            } else {
                self.fetch_balance(now, i, &name);
            }
        }
        Ok(())
    }

    /// The edge's answer.
    pub(super) fn on_balance_fetched(
        &mut self,
        now: Instant,
        account: String,
        result: Result<f64, String>,
    ) {
        let Some(i) = self.balance.iter().position(|(a, _)| *a == account) else {
            return;
        };
        let clock = &mut self.balance[i].1;
        clock.fetching = false;
        if std::mem::take(&mut clock.again) {
            clock.next = Some(now);
        }
        // A failed check keeps the amount the state has.
        let (amount, error) = match result {
            Ok(a) => (Some(a), None),
            Err(e) => (
                self.state
                    .balances
                    .iter()
                    .find(|b| b.account == account)
                    .and_then(|b| b.amount),
                Some(e),
            ),
        };
        let rule = self.rule(&account).cloned();
        let low = crate::balance::is_low(amount, rule.as_ref().and_then(|r| r.low));
        self.emit(
            now,
            PhoneEvent::Balance {
                account,
                amount,
                currency: rule.map(|r| r.currency).unwrap_or_default(),
                low,
                error,
            },
        );
    }

    /// A call of `account` ended: its credit changed.
    pub(super) fn balance_after_call(&mut self, now: Instant, account: &str) {
        if self.balance.iter().any(|(a, _)| a == account) {
            let _ = self.check_balance(now, Some(account));
        }
    }

    fn rule(&self, account: &str) -> Option<&BalanceRule> {
        self.settings
            .accounts
            .iter()
            .find(|a| a.name == account)
            .and_then(|a| a.balance.as_ref())
    }
}
