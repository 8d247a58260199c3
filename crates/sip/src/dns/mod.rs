//! DNS for SIP, sans-IO: the messages (`message`) and RFC 3263's way from a
//! URI to the servers to try (`locate`). The edge sends the queries to a
//! name server and feeds the answers back.

pub mod locate;
pub mod message;

pub use locate::{Answer, Candidate, Locator, Request};
pub use message::{DnsError, Record, RecordData, RecordType, Response};
