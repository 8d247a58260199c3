//! LDAP (RFC 4511), the part a phone's directory search needs, sans-IO:
//! BER, filters with RFC 4515 escaping, bind, paged search, StartTLS. The
//! socket and TLS are the phone crate's edge (`directory/ldap.rs`).

pub mod ber;
pub mod filter;
pub mod message;
