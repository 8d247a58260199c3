//! `hookswitch message`: one instant message, sent through the running
//! instance (so it lands in its conversations and goes from its address)
//! or, with none running, from an engine of its own for the length of it.

use std::io::Read;

use hookswitch_phone::{Action, Reply};

use crate::cli::{Cli, MessageArgs};
use crate::daemon::{finish, load_config, passwords, start_engine};
use crate::exit;

pub async fn send(cli: &Cli, args: &MessageArgs) -> anyhow::Result<u8> {
    let text = if args.text == ["-"] {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text.trim_end_matches('\n').to_string()
    } else {
        args.text.join(" ")
    };
    let action = Action::Message {
        target: args.target.clone(),
        text,
        account: args.account.clone(),
    };
    // A running instance sends it, when there is one.
    if let Ok(reply) = cli.request(&action).await {
        let outcome = match (reply.ok, reply.result) {
            (true, Some(Reply::Message(id))) => Ok(id),
            (_, _) => Err(reply.error.unwrap_or_default()),
        };
        return Ok(report(cli, outcome));
    }
    let mut config = load_config(cli)?;
    // This process only sends: the headsets stay with whoever has them.
    config.devices.enabled = false;
    let passwords = passwords(&config, args.account.as_deref())?;
    let (engine, _events) = start_engine(cli, &config, &passwords).await?;
    let outcome = match engine.act(action).await {
        Ok(Reply::Message(id)) => Ok(id),
        Ok(other) => Err(format!("the phone answered {other:?}")),
        Err(e) => Err(e.to_string()),
    };
    finish(&engine).await;
    Ok(report(cli, outcome))
}

fn report(cli: &Cli, outcome: Result<u64, String>) -> u8 {
    match outcome {
        Ok(id) => {
            if cli.json {
                say!("{}", serde_json::json!({"message": id, "delivered": true}));
            } else {
                say!("message delivered");
            }
            exit::OK
        }
        Err(why) => {
            if cli.json {
                say!("{}", serde_json::json!({"delivered": false, "error": why}));
            }
            eprintln!("hookswitch: {why}");
            exit::CALL_FAILED
        }
    }
}
