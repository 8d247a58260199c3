//! The address book's commands: search (the store's index at once, the
//! LDAP directory when it answers), the contacts kept here (save, delete,
//! star, speed dial), vCard import and export, and the synced books with
//! their state. Rules live in the phone crate's `directory`; this is the
//! window's door to it.

use hookswitch_directory::Contact;
use hookswitch_directory::vcard::{self, Version};
use hookswitch_phone::directory::{DirectoryHit, RemoteSearch};
use hookswitch_phone::store::{Book, LOCAL_BOOK, StoredContact};
use serde::Serialize;
use tauri::State;

use crate::state::AppState;

/// What an import did, for the window to say.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportOutcome {
    pub added: usize,
    pub updated: usize,
    /// One line per card not imported: which, where, why.
    pub errors: Vec<String>,
}

/// Contacts kept here matching `text`, best first (at once).
#[tauri::command]
pub fn contacts_search(
    state: State<'_, AppState>,
    text: String,
    limit: Option<usize>,
) -> Vec<DirectoryHit> {
    state.directory.search_local(&text, limit.unwrap_or(20))
}

/// The LDAP directory's entries for `text` (not already kept here), or why
/// it could not be asked.
#[tauri::command]
pub async fn contacts_search_remote(
    state: State<'_, AppState>,
    text: String,
) -> Result<RemoteSearch, String> {
    Ok(state.directory.search_remote(&text).await)
}

/// Every contact, by name.
#[tauri::command]
pub fn contacts_list(state: State<'_, AppState>) -> Result<Vec<StoredContact>, String> {
    state
        .directory
        .store()
        .contacts(None)
        .map_err(|e| e.to_string())
}

/// Saves a contact (new: `id` none, into `book` or the local one); a
/// CardDAV contact goes to its server first.
#[tauri::command]
pub async fn contact_save(
    state: State<'_, AppState>,
    id: Option<i64>,
    book: Option<i64>,
    mut contact: Contact,
) -> Result<i64, String> {
    if id.is_none() && contact.uid.is_empty() {
        contact.uid = hookswitch_directory::contact::uid_from(rand::random());
    }
    state
        .directory
        .save_contact(id, book.unwrap_or(LOCAL_BOOK), contact)
        .await
}

#[tauri::command]
pub async fn contact_delete(state: State<'_, AppState>, id: i64) -> Result<(), String> {
    state.directory.delete_contact(id).await
}

/// Stars a contact or not (any book's: favourites are this phone's own).
#[tauri::command]
pub fn contact_favourite(
    state: State<'_, AppState>,
    id: i64,
    favourite: bool,
) -> Result<(), String> {
    state
        .directory
        .store()
        .set_favourite(id, favourite)
        .map_err(|e| e.to_string())
}

/// Puts a contact on key `digit` (1-9; none: off), taking it from another.
#[tauri::command]
pub fn contact_speed_dial(
    state: State<'_, AppState>,
    id: i64,
    digit: Option<u8>,
) -> Result<(), String> {
    if digit.is_some_and(|d| !(1..=9).contains(&d)) {
        return Err("a speed dial is a key from 1 to 9".into());
    }
    state
        .directory
        .store()
        .set_speed_dial(id, digit)
        .map_err(|e| e.to_string())
}

/// Where speed dial `digit` calls: the contact's first address.
#[tauri::command]
pub fn speed_dial_target(state: State<'_, AppState>, digit: u8) -> Result<Option<String>, String> {
    let found = state
        .directory
        .store()
        .speed_dial(digit)
        .map_err(|e| e.to_string())?;
    Ok(found.and_then(|c| c.contact.first_address().map(|a| a.value.clone())))
}

/// Imports vCard text (a file the window read) into the local book.
#[tauri::command]
pub fn contacts_import(state: State<'_, AppState>, text: String) -> Result<ImportOutcome, String> {
    let parsed = vcard::parse(text.as_bytes());
    let report = state
        .directory
        .store()
        .import(LOCAL_BOOK, &parsed.contacts, rand::random)
        .map_err(|e| e.to_string())?;
    Ok(ImportOutcome {
        added: report.added,
        updated: report.updated,
        errors: parsed.errors.iter().map(ToString::to_string).collect(),
    })
}

/// Every contact as vCard 4.0 text (the window saves it where asked).
#[tauri::command]
pub fn contacts_export(state: State<'_, AppState>) -> Result<String, String> {
    let contacts: Vec<Contact> = state
        .directory
        .store()
        .contacts(None)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|c| c.contact)
        .collect();
    Ok(vcard::write(&contacts, Version::V4))
}

/// The address books, with their state (a synced one's last error).
#[tauri::command]
pub fn address_books(state: State<'_, AppState>) -> Result<Vec<Book>, String> {
    state.directory.store().books().map_err(|e| e.to_string())
}

/// Syncs every CardDAV book now; one line per book that failed.
#[tauri::command]
pub async fn address_books_sync(state: State<'_, AppState>) -> Result<Vec<String>, String> {
    Ok(state
        .directory
        .sync_carddav()
        .await
        .into_iter()
        .filter_map(|r| r.result.err().map(|why| format!("{}: {why}", r.server)))
        .collect())
}
