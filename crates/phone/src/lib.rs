//! The Hookswitch engine: one API over the SIP user agent, media and audio, which
//! the CLI, the desktop app and the local API all drive.

pub mod api;
pub mod audio;
pub mod call_handling;
pub mod config;
pub mod control;
pub mod desk;
mod driver;
pub mod echo;
mod engine;
pub mod history;
pub mod links;
mod local_address;
pub mod probe;

pub use api::{CallId, CallStats, CallSummary, DeviceActivity, EngineError, PhoneEvent};
pub use audio::AudioSpec;
pub use config::Config;
pub use driver::latency::{DeskLatency, Percentiles};
pub use driver::{HandlingChange, target_uri};
pub use engine::{Engine, Passwords};
