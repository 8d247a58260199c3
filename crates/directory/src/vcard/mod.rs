//! vCard in and out: 4.0 (RFC 6350), 3.0 (RFC 2426) and, read only, the
//! 2.1 that old phones and Outlook still export. A file of many cards is
//! read card by card: a bad one is reported with its reason and line, the
//! good ones are kept.

mod charset;
mod line;
mod parse;
mod write;

pub use parse::{CardError, Parsed, parse};
pub use write::{Version, write, write_card};
