//! `hookswitch balance [--check]`: the running phone's balances (after a
//! fresh check with `--check`), or, with no phone running, read now.

use std::time::Duration;

use anyhow::bail;
use hookswitch_phone::balance::BalanceFetcher;
use hookswitch_phone::state::BalanceView;
use hookswitch_phone::{Action, Reply, control};

use crate::cli::Cli;
use crate::daemon::{balance_line, load_config, passwords};
use crate::exit;

/// How long `--check` waits for the running phone's answer (the fetch
/// deadline and some).
const CHECK_WAIT: Duration = Duration::from_secs(15);

pub async fn run(cli: &Cli, check: bool) -> anyhow::Result<u8> {
    // No private socket directory: no running phone to ask either.
    let path = cli.control_path().unwrap_or_default();
    let views = match balances(&path).await {
        Some(before) => {
            if check {
                checked(&path, &before).await?
            } else {
                before
            }
        }
        None => read_now(cli).await?,
    };
    if views.is_empty() {
        bail!("no account has a balance URL ([accounts.balance] in the configuration)");
    }
    if cli.json {
        say!("{}", serde_json::to_string(&views)?);
    } else {
        for b in &views {
            say!("{}", balance_line(b));
        }
    }
    Ok(if views.iter().any(|b| b.error.is_some()) {
        exit::ERROR
    } else {
        exit::OK
    })
}

/// The running phone's balances; None when none runs.
async fn balances(path: &std::path::Path) -> Option<Vec<BalanceView>> {
    match control::request(path, &Action::State).await.ok()?.result {
        Some(Reply::State(state)) => Some(state.balances),
        _ => None,
    }
}

/// Asks the running phone to check, and waits until every balance has
/// been checked once more.
async fn checked(
    path: &std::path::Path,
    before: &[BalanceView],
) -> anyhow::Result<Vec<BalanceView>> {
    let reply = control::request(path, &Action::CheckBalance { account: None }).await?;
    if !reply.ok {
        bail!("{}", reply.error.unwrap_or_default());
    }
    let deadline = tokio::time::Instant::now() + CHECK_WAIT;
    loop {
        let now = balances(path).await.unwrap_or_default();
        let done = |a: &str| {
            let old = before
                .iter()
                .find(|b| b.account == a)
                .map_or(0, |b| b.checks);
            now.iter().any(|b| b.account == a && b.checks > old)
        };
        let accounts: Vec<&str> = now.iter().map(|b| b.account.as_str()).collect();
        if !accounts.is_empty() && accounts.iter().all(|a| done(a)) {
            return Ok(now);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "the phone did not finish checking in {} s",
                CHECK_WAIT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// No phone runs: each account's balance read here and now.
async fn read_now(cli: &Cli) -> anyhow::Result<Vec<BalanceView>> {
    let config = load_config(cli)?;
    let passwords = passwords(&config, None)?;
    let fetcher = BalanceFetcher::new(&config.accounts, &passwords).map_err(anyhow::Error::msg)?;
    let mut out = Vec::new();
    for a in &config.accounts {
        let Some(b) = &a.balance else { continue };
        let (amount, error) = match fetcher.fetch(&a.name).await {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e)),
        };
        out.push(BalanceView {
            account: a.name.clone(),
            amount,
            currency: b.currency.clone(),
            low: hookswitch_phone::balance::is_low(amount, b.low),
            error,
            checks: 1,
        });
    }
    Ok(out)
}
