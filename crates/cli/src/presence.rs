//! `hookswitch presence`: the running instance's presence: what it shows
//! of us, and whose it watches.

use hookswitch_phone::{Action, Availability, Reply};

use crate::cli::{Cli, PresenceCommand};
use crate::exit;

pub async fn run(cli: &Cli, command: &PresenceCommand) -> anyhow::Result<u8> {
    let actions: Vec<Action> = match command {
        PresenceCommand::Set { availability, note } => {
            let availability: Availability = match availability.parse() {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("hookswitch: {e}");
                    return Ok(exit::ERROR);
                }
            };
            vec![Action::Presence {
                availability,
                note: note.clone(),
            }]
        }
        PresenceCommand::Watch { targets, account } => targets
            .iter()
            .map(|t| Action::Watch {
                target: t.clone(),
                account: account.clone(),
            })
            .collect(),
        PresenceCommand::Unwatch { targets } => targets
            .iter()
            .map(|t| Action::Unwatch { target: t.clone() })
            .collect(),
        PresenceCommand::Show => vec![Action::State],
    };
    let mut code = exit::OK;
    for action in actions {
        let reply = match cli.request(&action).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("hookswitch: {e}");
                return Ok(exit::NOT_RUNNING);
            }
        };
        match (reply.ok, reply.result) {
            (true, Some(Reply::State(state))) => {
                say!("{}", serde_json::to_string_pretty(&state.presence)?)
            }
            (true, _) => {}
            (false, _) => {
                eprintln!("hookswitch: {}", reply.error.unwrap_or_default());
                code = exit::ERROR;
            }
        }
    }
    Ok(code)
}
