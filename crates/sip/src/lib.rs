//! Hookswitch's SIP user agent, sans-IO: bytes and `now` in; bytes to send, timer
//! deadlines and events out. No sockets, threads or clocks live here.

pub mod auth;
pub mod bodies;
pub mod dns;
pub mod message;
pub mod stun;
pub mod transaction;
pub mod ua;
