//! `[directory]` in the configuration: how numbers are read, and (later in
//! this file) the CardDAV books and the LDAP server searched.

use serde::{Deserialize, Serialize};

use hookswitch_directory::NumberPlan;
use hookswitch_directory::number::NumberPlanError;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DirectorySettings {
    /// Where numbers written without a country code are (ISO 3166, `DE`):
    /// `030 5550777` is then `+49305550777` and finds the contact saved
    /// as `+49 30 5550 777`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The national trunk prefix, when not the country's usual one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trunk_prefix: Option<String>,
    /// A corporate directory searched live (`[directory.ldap]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ldap: Option<LdapSettings>,
    /// CardDAV servers whose address books are copied here and kept in
    /// sync (`[[directory.carddav]]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub carddav: Vec<CardDavSettings>,
}

/// A CardDAV server (RFC 6352). The password is the keyring's (or
/// `HOOKSWITCH_PASSWORD_CARDDAV_<NAME>`): `hookswitch password set
/// carddav:NAME`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CardDavSettings {
    /// What the window calls it (and the keyring entry's name).
    pub name: String,
    /// The server (discovery finds the books: `.well-known/carddav`, the
    /// principal, its address book home) or one address book's URL.
    pub url: String,
    pub username: String,
    /// The SIP account whose contacts these are (none: on their own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Minutes between syncs (also at start).
    pub interval_minutes: u32,
    /// Write contacts edited here back to the server, where the book
    /// allows it (else its contacts are read-only here).
    pub write_back: bool,
    /// A CA to trust for this server besides the system's (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for CardDavSettings {
    fn default() -> Self {
        CardDavSettings {
            name: String::new(),
            url: String::new(),
            username: String::new(),
            account: None,
            interval_minutes: 15,
            write_back: true,
            ca_file: None,
        }
    }
}

impl CardDavSettings {
    /// The keyring entry of its password.
    pub fn password_entry(&self) -> String {
        format!("carddav:{}", self.name)
    }
}

/// An LDAP server (RFC 4511). The bind password is the keyring's (or
/// `HOOKSWITCH_PASSWORD_LDAP`): `hookswitch password set ldap`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LdapSettings {
    /// `ldap://host[:389]` or `ldaps://host[:636]`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before binding.
    pub starttls: bool,
    /// Where the entries are (`ou=people,dc=example,dc=com`).
    pub base: String,
    /// Bind as this DN (none: anonymously).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_dn: Option<String>,
    /// The search for what a user typed; `{text}` is replaced by it, escaped
    /// (RFC 4515).
    pub filter: String,
    /// The search for a caller; `{number}` is its national significant
    /// number (`305550777`), `{e164}` its E.164 digits.
    pub identify_filter: String,
    pub name_attribute: String,
    pub number_attributes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_attribute: Option<String>,
    /// An attribute holding SIP addresses, when the directory has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_attribute: Option<String>,
    /// Characters typed before the directory is asked.
    pub min_length: usize,
    /// How long a search may take, connecting included.
    pub timeout_ms: u64,
    /// Entries asked for per page (RFC 2696), and at most in all.
    pub page_size: u32,
    pub max_results: u32,
    /// A CA to trust for this server besides the system's (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for LdapSettings {
    fn default() -> Self {
        LdapSettings {
            url: String::new(),
            starttls: false,
            base: String::new(),
            bind_dn: None,
            filter: "(|(cn=*{text}*)(sn={text}*)(givenName={text}*)(mail={text}*)(telephoneNumber=*{text}*)(mobile=*{text}*))".into(),
            identify_filter: "(|(telephoneNumber=*{number})(mobile=*{number}))".into(),
            name_attribute: "cn".into(),
            number_attributes: vec!["telephoneNumber".into(), "mobile".into()],
            department_attribute: Some("ou".into()),
            organization_attribute: Some("o".into()),
            sip_attribute: None,
            min_length: 3,
            timeout_ms: 3000,
            page_size: 100,
            max_results: 50,
            ca_file: None,
        }
    }
}

impl DirectorySettings {
    pub fn plan(&self) -> Result<NumberPlan, NumberPlanError> {
        NumberPlan::new(self.country.as_deref(), self.trunk_prefix.as_deref())
    }
}
