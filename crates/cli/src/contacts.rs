//! `hookswitch contacts`: the address book in the store, from a shell. The
//! same store the window uses (the desktop app may be running: each change
//! is one transaction, and the window's search sees it at once).

use std::io::{Read, Write};
use std::sync::Arc;

use anyhow::{Context, bail};
use hookswitch_directory::contact::{Address, Contact};
use hookswitch_directory::vcard::{self, Version};
use hookswitch_phone::directory::Directory;
use hookswitch_phone::store::{LOCAL_BOOK, Store, StoredContact};

use crate::cli::{Cli, ContactFields, ContactsCommand};
use crate::daemon::load_config;
use crate::exit;

pub async fn run(cli: &Cli, command: &ContactsCommand) -> anyhow::Result<u8> {
    let config = load_config(cli)?;
    let plan = config
        .directory
        .plan()
        .context("[directory] in the configuration")?;
    let path = Store::default_path();
    let store = Store::open(&path, plan).with_context(|| format!("{}", path.display()))?;
    match command {
        ContactsCommand::List => {
            let all = store.contacts(None)?;
            print_contacts(cli, &all);
        }
        ContactsCommand::Search { text, limit } => {
            let directory = Directory::new(Arc::new(store));
            if let Err(e) = directory.apply(&config.directory) {
                eprintln!("hookswitch: {e}");
            }
            let mut hits = directory.search_local(text, *limit);
            let remote = directory.search_remote(text).await;
            hits.extend(remote.hits.iter().cloned());
            hits.truncate(*limit);
            if cli.json {
                say!("{}", serde_json::to_string(&hits)?);
            } else {
                for h in &hits {
                    let source = if h.id.is_none() {
                        format!("  [{}]", h.source)
                    } else {
                        String::new()
                    };
                    say!("{}{source}", line(h.id, &h.contact));
                }
            }
            if let Some(why) = remote.error {
                eprintln!("hookswitch: the directory is unreachable: {why}");
            }
        }
        ContactsCommand::Add(fields) => {
            let name = fields
                .name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .context("a contact needs --name")?;
            let mut contact = Contact::new(name, rand::random());
            apply(&mut contact, fields)?;
            let id = store.add_contact(LOCAL_BOOK, &contact)?;
            say!("{id}");
        }
        ContactsCommand::Edit { id, fields } => {
            let stored = store
                .contact(*id)?
                .with_context(|| format!("no contact {id}"))?;
            let mut contact = stored.contact;
            if let Some(name) = &fields.name {
                contact.name = name.trim().to_string();
            }
            apply(&mut contact, fields)?;
            store.update_contact(*id, &contact)?;
        }
        ContactsCommand::Delete { id } => store.delete_contact(*id)?,
        ContactsCommand::Import { file } => {
            let mut bytes = Vec::new();
            if file.as_os_str() == "-" {
                std::io::stdin().read_to_end(&mut bytes)?;
            } else {
                bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
            }
            let parsed = vcard::parse(&bytes);
            let report = store.import(LOCAL_BOOK, &parsed.contacts, rand::random)?;
            if cli.json {
                let errors: Vec<_> = parsed
                    .errors
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "card": e.card, "line": e.line, "name": e.name, "reason": e.reason,
                        })
                    })
                    .collect();
                say!(
                    "{}",
                    serde_json::json!({
                        "added": report.added, "updated": report.updated, "errors": errors,
                    })
                );
            } else {
                say!(
                    "{} added, {} updated, {} not imported",
                    report.added,
                    report.updated,
                    parsed.errors.len()
                );
                for e in &parsed.errors {
                    eprintln!("hookswitch: {e}");
                }
            }
            if !parsed.errors.is_empty() {
                return Ok(exit::CALL_FAILED);
            }
        }
        ContactsCommand::Export { file, version } => {
            let version = if version == "3.0" {
                Version::V3
            } else {
                Version::V4
            };
            let contacts: Vec<Contact> = store
                .contacts(None)?
                .into_iter()
                .map(|s| s.contact)
                .collect();
            let text = vcard::write(&contacts, version);
            match file {
                Some(f) => std::fs::write(f, text).with_context(|| format!("{}", f.display()))?,
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
        }
        ContactsCommand::Sync => {
            let directory = Directory::new(Arc::new(store));
            if let Err(e) = directory.apply(&config.directory) {
                eprintln!("hookswitch: {e}");
            }
            let mut failed = false;
            for r in directory.sync_carddav().await {
                match r.result {
                    Ok(report) => say!(
                        "{} / {}: {} changed, {} deleted{}",
                        r.server,
                        report.book,
                        report.changed,
                        report.deleted,
                        if report.unchanged { " (unchanged)" } else { "" }
                    ),
                    Err(why) => {
                        failed = true;
                        eprintln!("hookswitch: {}: {why}", r.server);
                    }
                }
            }
            if failed {
                return Ok(exit::CALL_FAILED);
            }
        }
        ContactsCommand::Books => {
            let books = store.books()?;
            if cli.json {
                say!("{}", serde_json::to_string(&books)?);
            } else {
                for b in books {
                    let state = match (&b.last_error, b.last_sync) {
                        (Some(e), _) => format!("unreachable: {e}"),
                        (None, Some(_)) => "synced".to_string(),
                        (None, None) if b.url.is_some() => "not synced yet".to_string(),
                        (None, None) => "local".to_string(),
                    };
                    say!(
                        "{:>5}  {} ({} contacts{}) {state}",
                        b.id,
                        b.name,
                        b.contacts,
                        if b.read_only { ", read-only" } else { "" }
                    );
                }
            }
        }
        ContactsCommand::Identify { address } => match store.identify(address)? {
            Some(found) if cli.json => say!("{}", serde_json::to_string(&found)?),
            Some(found) => say!("{}", line(Some(found.id), &found.contact)),
            None => {
                if !cli.json {
                    eprintln!("hookswitch: nobody in the address book has {address}");
                }
                return Ok(exit::CALL_FAILED);
            }
        },
    }
    Ok(exit::OK)
}

/// The fields given on the command line, over `contact`.
fn apply(contact: &mut Contact, fields: &ContactFields) -> anyhow::Result<()> {
    if !fields.numbers.is_empty() || !fields.sips.is_empty() {
        contact.addresses.clear();
    }
    for n in &fields.numbers {
        let (label, value) = labelled(n);
        contact.addresses.push(Address::tel(label, value));
    }
    for s in &fields.sips {
        let (label, value) = labelled(s);
        let value = if value.starts_with("sip:") || value.starts_with("sips:") {
            value.to_string()
        } else {
            format!("sip:{value}")
        };
        contact.addresses.push(Address::sip(label, &value));
    }
    if let Some(o) = &fields.organization {
        contact.organization = Some(o.clone()).filter(|o| !o.is_empty());
    }
    if let Some(d) = &fields.department {
        contact.department = Some(d.clone()).filter(|d| !d.is_empty());
    }
    if !fields.email.is_empty() {
        contact.emails = fields.email.clone();
    }
    if let Some(f) = fields.favourite {
        contact.favourite = f;
    }
    match fields.speed_dial {
        Some(0) => contact.speed_dial = None,
        Some(d @ 1..=9) => contact.speed_dial = Some(d),
        Some(d) => bail!("--speed-dial {d}: a key from 1 to 9 (0: none)"),
        None => {}
    }
    contact.validate()?;
    Ok(())
}

/// `work=+49 30 5550 777` -> ("work", "+49 30 5550 777"); no `=`: no label.
/// A SIP URI's own `=` (parameters) comes after a `:`, so only an `=`
/// before any `:` is a label's.
fn labelled(text: &str) -> (&str, &str) {
    match text.split_once('=') {
        Some((label, value)) if !label.contains(':') && !label.contains(';') => {
            (label.trim(), value.trim())
        }
        _ => ("", text.trim()),
    }
}

fn print_contacts(cli: &Cli, all: &[StoredContact]) {
    if cli.json {
        if let Ok(text) = serde_json::to_string(all) {
            say!("{text}");
        }
        return;
    }
    for s in all {
        say!("{}", line(Some(s.id), &s.contact));
    }
}

/// `12  Ayşe Öztürk (ACME, Sales) ★ [2]  work +49 30 5550 777; sip:ayse@acme`
fn line(id: Option<i64>, c: &Contact) -> String {
    let mut out = match id {
        Some(id) => format!("{id:>5}  {}", c.name),
        None => format!("    -  {}", c.name),
    };
    let org: Vec<&str> = [&c.organization, &c.department]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !org.is_empty() {
        out.push_str(&format!(" ({})", org.join(", ")));
    }
    if c.favourite {
        out.push_str(" *");
    }
    if let Some(d) = c.speed_dial {
        out.push_str(&format!(" [{d}]"));
    }
    let addresses: Vec<String> = c
        .addresses
        .iter()
        .map(|a| {
            if a.label.is_empty() {
                a.value.clone()
            } else {
                format!("{} {}", a.label, a.value)
            }
        })
        .collect();
    if !addresses.is_empty() {
        out.push_str("  ");
        out.push_str(&addresses.join("; "));
    }
    out
}
