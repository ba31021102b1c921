//! The pure session core: no browser, no clock, no randomness.
//!
//! Time arrives as epoch milliseconds with every input; random bytes arrive from
//! the shell (a seed and per-login epochs). Effects and events go out through
//! `poll_*` methods. Everything here runs and is tested natively.
//!
//! - [`options`]: the options object, read once into the three parts below.
//! - [`config`]: the timing configuration, validated into whole milliseconds.
//! - [`endpoints`]: the endpoint configuration and what a valid URL or header is.
//! - [`http`]: the endpoint contract: which requests to send and how to read the answers.
//! - [`machine`]: the state machine: lifecycle, timeouts, countdown, refresh.
//! - [`refresh`]: refresh timing, backoff and failure classification.
//! - [`tokens`]: the token set, with secrets that never print.
//! - [`protocol`]: the versioned cross-tab message format.
//! - [`json`]: a small JSON reader/writer for hostile input.
//! - [`keys`]: every web-storage key and cross-tab name the SDK uses.
//! - [`lease`]: the refresh lease, for pages without Web Locks.
//! - [`security`]: the security report's checks.

pub mod config;
pub mod endpoints;
/// Fuzz targets: built for `cargo fuzz` (`--cfg fuzzing`) and the native tests,
/// never into the shipped wasm.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzz;
pub mod http;
pub mod json;
pub mod keys;
pub mod lease;
pub mod machine;
pub mod options;
pub mod protocol;
pub mod refresh;
pub mod security;
pub mod tokens;

pub use config::{Config, ConfigError, ConfigErrorKind, ConfigInput, ShellOptions, StorageChoice};
pub use endpoints::{BodyEncoding, Credentials, Csrf, CsrfSource, Endpoint, FieldNames, TokenMode, Transport};
pub use http::{Request, Response, SessionAnswer};
pub use machine::{
    Deadline, Effect, Event, KeepaliveOutcome, Machine, Origin, SessionCheck, SessionState, TimerKind, WarningCause,
};
pub use options::Options;
pub use protocol::{EndReason, Envelope, Epoch, Id128, Message, ProtocolError, Snapshot, TabId};
pub use refresh::{RefreshFailure, RefreshOutcome};
pub use tokens::{Secret, TokenError, TokenSet};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
