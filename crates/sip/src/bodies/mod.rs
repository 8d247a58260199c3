//! The XML bodies SIP carries for events and messages, read from the
//! network: a small safe tree ([`xml`]) and one file a body kind:
//! is-composing (RFC 3994), presence (PIDF, RFC 3863, with RPID, RFC 4480)
//! and dialog-info (RFC 4235, busy lamps).

pub mod dialog_info;
pub mod is_composing;
pub mod pidf;
pub mod xml;
