//! The address book's sans-IO half: what a contact is, vCard 3.0/4.0 in and
//! out, the folding that makes search insensitive to case and diacritics,
//! numbers normalised to E.164, and the ranked search over it all. No file,
//! socket or clock: the store (SQLite) and the sources (CardDAV, LDAP) are
//! the phone crate's edges.

pub mod carddav;
pub mod contact;
pub mod fold;
pub mod ldap;
pub mod number;
pub mod search;
pub mod vcard;

pub use contact::{Address, AddressKind, Contact};
pub use number::NumberPlan;
pub use search::{Hit, Index, MatchQuality};
