//! The pure session core: no browser, no clock, no randomness.
//!
//! Time arrives as epoch milliseconds with every input; random bytes arrive from
//! the shell (a seed and per-login epochs). Effects and events go out through
//! `poll_*` methods. Everything here runs and is tested natively.
//!
//! - [`options`]: the options object, read once into the three parts below.
//! - [`config`]: the timing configuration, validated into whole milliseconds.
//! - [`endpoints`]: the endpoint configuration and what a valid URL or header is.
//! - [`http`]: the server clock and encodings (HTTP dates, JWT, forms).
//! - [`contract`]: the requests to send and what their answers mean.
//! - [`machine`]: the state machine: lifecycle, timeouts, countdown, refresh,
//!   keepalives, session checks, the rules of `session.fetch`.
//! - [`refresh`]: refresh timing, backoff and failure classification.
//! - [`tokens`]: the token set, with secrets that never print.
//! - [`identity`]: the user a session is for, and what counts as a change of user.
//! - [`tombstone`]: ended sessions, remembered by every tab (logout is final).
//! - [`protocol`]: the versioned cross-tab message format.
//! - [`json`]: a small JSON reader/writer for hostile input.
//! - [`keys`]: every web-storage key and cross-tab name the SDK uses.
//! - [`scope`]: which tabs share a session (the default channel name).
//! - [`lease`]: the refresh lease, for pages without Web Locks.
//! - [`security`]: the security report's checks.

pub mod config;
pub mod contract;
pub mod endpoints;
/// Fuzz targets: built for `cargo fuzz` (`--cfg fuzzing`) and the native tests,
/// never into the shipped wasm.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzz;
pub mod http;
pub mod identity;
pub mod json;
pub mod keys;
pub mod lease;
pub mod machine;
pub mod options;
pub mod protocol;
pub mod refresh;
pub mod scope;
pub mod security;
pub mod tokens;
pub mod tombstone;

pub use config::{Config, ConfigError, ConfigErrorKind, ConfigInput, ShellOptions, StorageChoice};
pub use contract::{Body, Credential, FetchAnswer, HookResult, Request, Response, RetryAfter, SessionAnswer};
pub use endpoints::{BodyEncoding, Credentials, Csrf, CsrfSource, Endpoint, FieldNames, TokenMode, Transport};
pub use identity::Identity;
pub use machine::{
    CheckTrigger, Deadline, Effect, ErrorCode, Event, FetchStage, KeepaliveOutcome, Machine, Origin, Purpose, SentWith,
    SessionCheck, SessionState, Setup, TimerKind, Verdict, WarningCause, LOCK_SETTLE_MS, SESSION_CHECK_EVERY_MS,
};
pub use options::Options;
pub use protocol::{EndReason, Envelope, Epoch, Id128, Message, ProtocolError, Snapshot, TabId};
pub use refresh::{RefreshFailure, RefreshOutcome};
pub use tokens::{Secret, TokenError, TokenSet};
pub use tombstone::{Tombstone, Tombstones};

/// A point in time: milliseconds since 1970-01-01 UTC on this device's clock,
/// the clock every tab of the page shares (`Date.now()`).
pub type EpochMs = u64;

/// A length of time in milliseconds.
pub type Millis = u64;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
