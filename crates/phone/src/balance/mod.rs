//! An account's credit at its provider, for prepaid SIP trunks: fetched
//! over HTTP(S) (`settings.rs`), read from JSON or XML (`extract.rs`) by
//! the edge (`fetch.rs`). When to fetch, and what the phone shows, is the
//! core's (`core/balance.rs`): every `every_minutes`, after each call, and
//! when asked (`check_balance`).

pub mod extract;
pub mod fetch;
pub mod settings;

pub use fetch::BalanceFetcher;
pub use settings::BalanceSettings;

/// Under the account's `low` (nothing known is not low).
pub fn is_low(amount: Option<f64>, low: Option<f64>) -> bool {
    matches!((amount, low), (Some(a), Some(limit)) if a < limit)
}
