//! `hookswitch api token [--rotate]`, `hookswitch api openapi` and
//! `hookswitch hooks log`.

use hookswitch_api::token::{self, TokenFile};

use crate::cli::{ApiCommand, Cli, HooksCommand};
use crate::exit;

pub fn run(command: &ApiCommand) -> anyhow::Result<u8> {
    match command {
        ApiCommand::Token { rotate } => {
            let file = TokenFile::new(token::default_path());
            let token = if *rotate {
                file.rotate()?
            } else {
                file.read_or_create()?
            };
            say!("{token}");
        }
        ApiCommand::Openapi => say!("{}", hookswitch_api::openapi_document()),
    }
    Ok(exit::OK)
}

pub fn hooks(cli: &Cli, command: &HooksCommand) -> anyhow::Result<u8> {
    let HooksCommand::Log { limit } = command;
    let config = crate::daemon::load_config(cli)?;
    let Some(store) = crate::daemon::open_store(&config) else {
        anyhow::bail!("the store cannot be opened (see the warning above)");
    };
    let log = store.delivery_log(*limit)?;
    if cli.json {
        say!("{}", serde_json::to_string(&log)?);
        return Ok(exit::OK);
    }
    for e in log {
        let status = e.status.map_or(String::new(), |s| format!(" ({s})"));
        let detail = e.detail.map_or(String::new(), |d| format!(": {d}"));
        say!(
            "{} {} {} {} attempt {}: {}{status}{detail}",
            e.at / 1000,
            e.hook,
            e.event,
            e.delivery,
            e.attempt,
            e.outcome
        );
    }
    Ok(exit::OK)
}
