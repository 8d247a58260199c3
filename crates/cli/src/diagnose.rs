//! `hookswitch diagnose`: the support bundle (see hookswitch_phone::diagnose).

use std::path::{Path, PathBuf};

use hookswitch_phone::diagnose::{Sources, collect, default_name, write_archive};
use hookswitch_phone::{Action, Reply};

use crate::cli::{Cli, DeviceOptions};
use crate::devices::Survey;
use crate::exit;

pub async fn run(cli: &Cli, output: Option<&Path>) -> anyhow::Result<u8> {
    // The running phone (`run` or the window), when there is one.
    let state_json = match cli.request(&Action::State).await {
        Ok(reply) => match reply.result {
            Some(Reply::State(state)) => Some(serde_json::to_string_pretty(&state)?),
            _ => None,
        },
        Err(_) => None,
    };
    let devices_json = tokio::task::block_in_place(|| {
        serde_json::to_string_pretty(&Survey::take(cli, &DeviceOptions::default()).json())
    })?;
    let sources = Sources {
        config_path: cli.config_path(),
        devices_json: Some(devices_json),
        state_json,
        made_by: format!("hookswitch diagnose {}", env!("CARGO_PKG_VERSION")),
    };
    // The keyring's D-Bus calls and the files block.
    let parts = tokio::task::block_in_place(|| collect(&sources));
    let out = match output {
        Some(path) => path.to_path_buf(),
        None => default_name(&std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))),
    };
    write_archive(&parts, &out)?;
    say!("{}", out.display());
    eprintln!(
        "hookswitch: passwords, tokens and keys were left out; read it before you attach it (it names your accounts and devices)"
    );
    Ok(exit::OK)
}
