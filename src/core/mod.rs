//! The pure session core: no browser, no clock, no randomness.
//!
//! Time arrives as epoch milliseconds with every input; random bytes arrive from
//! the shell (a seed and per-login epochs). Effects and events go out through
//! `poll_*` methods. Everything here runs and is tested natively.
//!
//! - [`options`]: the options object, read once into the three parts below.
//! - [`config`]: the timing configuration, validated into whole milliseconds.
//! - [`endpoints`]: the endpoint configuration and what a valid URL or header is.
//! - [`contract`]: the requests to send and what their answers mean.
//! - [`machine`]: the state machine: lifecycle, timeouts, countdown, refresh,
//!   keepalives, session checks, the rules of `session.fetch`.
//! - [`refresh`]: refresh timing, backoff and failure classification.
//! - [`tokens`]: the token set, with secrets that never print.
//! - [`identity`]: the user a session is for, and what counts as a change of user.
//! - [`tombstone`]: ended sessions, remembered by every tab (logout is final).
//! - [`protocol`]: the versioned cross-tab message format.
//! - [`value`]: the plain data values everything above reads (no JSON text).
//! - [`keys`]: every web-storage key and cross-tab name the SDK uses.
//! - [`scope`]: which tabs share a session (the default channel name).
//! - [`lease`]: the refresh lease, for pages without Web Locks.
//! - [`note`]: the generation note, the rotation guard's record in IndexedDB.
//! - [`security`]: the security report's checks.
//! - [`text`]: byte-level helpers for the ASCII syntax the core reads.
//! - [`reconstitute`]: what a timeout keeps for the same user's next sign-in.
//! - [`monitor`]: lifecycle records for the app's monitoring endpoint.

pub mod config;
pub mod contract;
pub mod endpoints;
pub mod identity;
pub mod keys;
pub mod lease;
pub mod machine;
pub mod monitor;
pub mod note;
pub mod options;
pub mod protocol;
pub mod reconstitute;
pub mod refresh;
pub mod scope;
pub mod security;
pub mod text;
pub mod tokens;
pub mod tombstone;
pub mod value;

pub use config::{Config, ConfigError, ConfigErrorKind, ConfigInput, ShellOptions, StorageChoice};
pub use contract::{Body, Credential, FetchAnswer, HookResult, Request, Response, RetryAfter, SessionAnswer};
pub use endpoints::{BodyEncoding, Credentials, Csrf, CsrfSource, Endpoint, FieldNames, TokenMode, Transport};
pub use identity::Identity;
pub use machine::{
    CheckTrigger, Deadline, Effect, ErrorCode, Event, FetchStage, KeepaliveOutcome, Machine, Origin, Purpose, SentWith,
    SessionCheck, SessionState, Setup, StoredSession, TimerKind, Verdict, WarningCause, JOIN_WINDOW_MS, LOCK_SETTLE_MS,
    NOTE_RETRY_MS, NOTE_WAIT_MS, SESSION_CHECK_EVERY_MS,
};
pub use note::GenerationNote;
pub use options::Options;
pub use protocol::{ChannelKind, EndReason, Envelope, Epoch, Id128, Message, ProtocolError, Snapshot, TabId};
pub use refresh::{RefreshFailure, RefreshOutcome};
pub use tokens::{Secret, TokenError, TokenSet};
pub use tombstone::{Tombstone, Tombstones};
pub use value::Value;

/// A point in time: milliseconds since 1970-01-01 UTC on this device's clock,
/// the clock every tab of the page shares (`Date.now()`).
pub type EpochMs = u64;

/// A length of time in milliseconds.
pub type Millis = u64;
