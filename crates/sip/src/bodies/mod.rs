//! The XML bodies SIP carries for events and messages, read from the
//! network: a small safe tree ([`xml`]) and one file a body kind:
//! is-composing (RFC 3994).

pub mod is_composing;
pub mod xml;
