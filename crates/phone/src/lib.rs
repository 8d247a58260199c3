//! The Hookswitch engine: one API over the SIP user agent, media, audio and
//! the devices on the desk, which the CLI, the desktop app and the local API
//! all drive: [`Action`]s in, [`PhoneEvent`]s and one [`PhoneState`] out.
//!
//! - `core/`: the phone as a sans-IO state machine (every call rule);
//! - `driver/`: the thin tokio loop that runs it against real time;
//! - `edge/`: sockets, the advertised address, the configuration file;
//! - `engine.rs`: the handle every face holds.

pub mod action;
pub mod api_settings;
pub mod audio;
pub mod balance;
pub mod call_handling;
pub mod config;
pub mod control;
pub mod core;
pub mod desk;
pub mod diagnose;
pub mod directory;
mod driver;
pub mod echo;
mod edge;
mod engine;
pub mod error;
pub mod event;
pub mod history;
pub mod hooks;
mod jsonl;
pub mod latency;
pub mod links;
pub mod log_file;
pub mod message_store;
pub mod probe;
pub mod records;
pub mod state;
pub mod store;

pub use action::{Action, Reply};
pub use audio::AudioSpec;
pub use config::Config;
pub use core::target_uri;
pub use edge::tls::{TlsSetupError, server_config as tls_server_config};
pub use engine::{Engine, Passwords, StartOptions};
pub use error::EngineError;
pub use event::{
    AddressCause, Availability, CallId, CallStats, DeflectReason, DeviceActivity, DeviceChange,
    EndReason, MediaDirection, PhoneEvent, RegistrationPhase,
};
pub use latency::{DeskLatency, Percentiles};
pub use state::PhoneState;
