//! What the machine tells the outside: its public state, the events for the
//! app, the effects for the shell, and the small enums its inputs take.

use super::super::contract::Request;
use super::super::note::GenerationNote;
use super::super::protocol::{EndReason, Envelope};
use super::super::reconstitute::Kept;
use super::super::tokens::Secret;
use super::super::tombstone::Tombstones;
use super::super::value::Value;
use super::super::{EpochMs, Millis};

/// The public state of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// No session yet.
    Anonymous,
    /// Signed in, user present.
    Active,
    /// Signed in, and a timeout is near: a countdown runs.
    Warning,
    /// Ended by a timeout (reason `idle` or `absolute`).
    Expired,
    /// Ended by a logout, in this tab, another tab, or by the server.
    LoggedOut,
}

impl SessionState {
    /// The JS name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Anonymous => "anonymous",
            SessionState::Active => "active",
            SessionState::Warning => "warning",
            SessionState::Expired => "expired",
            SessionState::LoggedOut => "loggedOut",
        }
    }

    /// Active or warning.
    pub fn is_live(self) -> bool {
        matches!(self, SessionState::Active | SessionState::Warning)
    }
}

/// Where the cause of an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// This tab.
    Local,
    /// Another tab of the same origin.
    OtherTab,
    /// The server's answer.
    Server,
}

impl Origin {
    /// The JS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::OtherTab => "otherTab",
            Origin::Server => "server",
        }
    }
}

/// Which timeout a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningCause {
    /// The idle timeout: activity or "stay signed in" dismisses it.
    Idle,
    /// The absolute timeout: nothing dismisses it.
    Absolute,
}

impl WarningCause {
    /// The JS name.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCause::Idle => "idle",
            WarningCause::Absolute => "absolute",
        }
    }
}

/// A problem the core reports to the app as an `error` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A logout or revocation request failed: the session ended here all the
    /// same, but the server may not know. The logout is sent again when the
    /// browser is back online (without the tokens, which are gone).
    LogoutFailed,
    /// The server answered for another user than the session's: the session
    /// ended everywhere (reason `userChanged`). Reported once, by the tab that saw it.
    UserChanged,
    /// The page's CSRF token is not a valid header value (CR, LF, NUL, beyond
    /// Latin-1, over 8 KiB): requests go without it. Reported once per page.
    CsrfTokenUnusable,
    /// `start()` signed in another user than the one whose session was live
    /// (a second user on a shared browser, or a login in another window).
    OtherUserSignedIn,
}

impl ErrorCode {
    /// The stable code the app sees.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::LogoutFailed => "logout_failed",
            ErrorCode::UserChanged => "user_changed",
            ErrorCode::CsrfTokenUnusable => "csrf_token_unusable",
            ErrorCode::OtherUserSignedIn => "other_user_signed_in",
        }
    }
}

/// Something the app is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The public state changed.
    StateChange {
        /// Before.
        from: SessionState,
        /// After.
        to: SessionState,
    },
    /// A session began here or was joined from another tab.
    Started {
        /// Where the login happened.
        origin: Origin,
        /// Whether it replaced a different live session (a later login wins).
        replaced: bool,
    },
    /// A timeout is near. Followed by `Countdown` events.
    Warning {
        /// Which timeout.
        cause: WarningCause,
        /// Time left.
        remaining_ms: Millis,
        /// When the session will end.
        deadline: EpochMs,
    },
    /// One tick of the countdown during a warning.
    Countdown {
        /// Which timeout.
        cause: WarningCause,
        /// Time left.
        remaining_ms: Millis,
        /// When the session will end.
        deadline: EpochMs,
    },
    /// Activity moved the idle deadline.
    Activity {
        /// Where the activity happened.
        origin: Origin,
        /// The new idle deadline.
        idle_deadline: EpochMs,
    },
    /// The session ended by a timeout.
    Expired {
        /// `Idle` or `Absolute`.
        reason: EndReason,
        /// Where the timeout was noticed.
        origin: Origin,
    },
    /// The session ended by a logout.
    LoggedOut {
        /// Why.
        reason: EndReason,
        /// Where the logout came from.
        origin: Origin,
    },
    /// New tokens are in place.
    Refreshed {
        /// When the new access token expires.
        expires_at: Option<EpochMs>,
        /// Whether this tab refreshed or adopted another tab's result.
        origin: Origin,
    },
    /// A refresh attempt failed.
    RefreshFailed {
        /// Stable failure code (`network`, `http_5xx`, `invalid_grant` …).
        code: &'static str,
        /// True when the session ends because of it.
        definitive: bool,
        /// When the next attempt is due, for a retryable failure.
        retry_at: Option<EpochMs>,
        /// Failed attempts in a row.
        failures: u32,
    },
    /// Something went wrong that the app should know of (an `error` event).
    Error {
        /// What.
        code: ErrorCode,
    },
}

/// Why the core asks for a request (for the simulator, tests and debugging;
/// the shell sends every request the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// New tokens from the refresh endpoint.
    Refresh,
    /// Tell the server the user is active.
    Keepalive,
    /// Ask the server whether the user is signed in.
    SessionCheck,
    /// Tell the server the session ended (revocation or logout), for this reason.
    Logout(EndReason),
    /// Send again a logout the server has not acknowledged: the logout
    /// endpoint only, with the cookies and no token (the tokens are gone).
    ResendLogout,
}

/// Something the shell must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this message to the other tabs.
    Broadcast(Envelope),
    /// Ask for the cross-tab refresh lock; report the grant with
    /// [`super::Machine::handle_lock_acquired`].
    AcquireRefreshLock {
        /// The attempt the lock is for.
        attempt: u64,
    },
    /// Give up the lock (or the pending request for it) for this attempt and
    /// abandon anything still under way for it. Idempotent. A held lock is
    /// kept until `hold_until`, so that what was just broadcast reaches the
    /// other tabs before the next holder looks. With a `note` (after a
    /// successful refresh), a held lock is kept until the note's write to
    /// IndexedDB has settled too (committed, or failed): the next holder reads
    /// it when granted ([`super::Machine::handle_lock_acquired`]).
    ReleaseRefreshLock {
        /// The attempt.
        attempt: u64,
        /// Keep a held lock until then.
        hold_until: EpochMs,
        /// Write this generation note before letting a held lock go.
        note: Option<GenerationNote>,
    },
    /// Send this request and report how it ended with
    /// [`super::Machine::handle_fetch_answer`]. Before sending, read the CSRF
    /// token the request names ([`Request::csrf`]) and hand it to
    /// [`Request::set_csrf_token`].
    Fetch {
        /// Names the request in the answer.
        id: u64,
        /// Why it is sent.
        purpose: Purpose,
        /// What to send.
        request: Request,
    },
    /// Call the app's `refresh` function with this refresh token (`None` when it
    /// rides in a cookie) and report with [`super::Machine::handle_hook_result`].
    CallRefreshHook {
        /// Names the call in the result.
        id: u64,
        /// The refresh token, taken from memory for this one call.
        refresh_token: Option<Secret>,
    },
    /// Write the live session (a stored-session value for
    /// [`super::Machine::restore`]; the shell stores it as JSON text) where a
    /// reload finds it. Only with `storage: "session" | "local"`.
    Persist(StoredSession),
    /// Remove everything the session stored.
    WipeStorage,
    /// Write the ended sessions where every tab of the browser reads them
    /// (`localStorage`, [`super::super::keys::tombstones_key`]), merged with
    /// what is there ([`Tombstones::merge`]); hand what is stored to
    /// [`super::Machine::handle_tombstones`] at start, on `resume()`, on waking
    /// and before a lock grant. No secrets.
    SaveTombstones(Tombstones),
    /// Write the kept record of a timed-out session where every tab reads it
    /// (`localStorage`, [`super::super::keys::kept_key`]), keeping the stored
    /// one if the app set it later ([`Kept::newer`]); `None`: wipe it. Hand
    /// what is stored to [`super::Machine::handle_kept`] at start and before
    /// `start()`. No secrets.
    Keep(Option<Kept>),
}

/// Why the next deadline is set (for debugging and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// The idle warning starts.
    IdleWarning,
    /// The idle timeout ends the session.
    IdleExpiry,
    /// The absolute warning starts.
    AbsoluteWarning,
    /// The absolute timeout ends the session.
    AbsoluteExpiry,
    /// The next countdown tick.
    Countdown,
    /// The next refresh (or retry) is due.
    Refresh,
    /// The next keepalive may be sent (the user was active since the last).
    Keepalive,
    /// A "signed in" held for the other tabs' answer is taken (`joining.rs`).
    JoinWindow,
}

/// The next deadline and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// When.
    pub at: EpochMs,
    /// Why.
    pub kind: TimerKind,
}

/// What the server said to a keepalive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveOutcome {
    /// The session lives; the server may say when it ends.
    Alive {
        /// The server's absolute deadline (local epoch ms), if it gave one.
        absolute_deadline: Option<EpochMs>,
        /// The server's idle deadline (local epoch ms), if it gave one.
        idle_deadline: Option<EpochMs>,
    },
    /// The server no longer knows the session (401/403, signed out).
    Revoked,
    /// No usable answer (network, 5xx, unreadable): try again next interval.
    Failed,
}

/// What the server's `session` endpoint said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// Signed in; the server may say when the session ends.
    SignedIn {
        /// The server's absolute deadline (local epoch ms), if it gave one.
        absolute_deadline: Option<EpochMs>,
        /// The server's idle deadline (local epoch ms), if it gave one.
        idle_deadline: Option<EpochMs>,
        /// A remembered session (a session started by this answer is one).
        remember_me: bool,
    },
    /// Not signed in (anymore).
    SignedOut,
    /// No usable answer: nothing is concluded.
    Unknown,
}

/// Why the session endpoint is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckTrigger {
    /// The app called `resume()`: always asked.
    Resume,
    /// The page woke up (visible, `pageshow`, resumed, back online): asked at
    /// most once per [`super::SESSION_CHECK_EVERY_MS`]. Its answer never starts
    /// a session: after a logout only the app may do that.
    Wake,
}

/// Where one `session.fetch` call stands when its answer is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchStage {
    /// The answer to the first request.
    First,
    /// The answer to the first request again, now that the refresh it asked for settled.
    AfterRefresh,
    /// The answer to the one retry.
    Retry,
}

/// What a `session.fetch` request was sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentWith {
    /// The token generation of the credential sent (`None`: no session).
    pub generation: Option<u64>,
    /// The app set its own `Authorization`: the request and its 401 are the app's.
    pub app_authorization: bool,
}

/// What a `session.fetch` answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Return the answer to the app.
    HandBack,
    /// A newer token than the one sent is in place: send the request again with it.
    RetryWithNewerToken,
    /// A refresh started: wait until it settles, then ask again ([`FetchStage::AfterRefresh`]).
    RefreshThenRetry,
    /// The server ended the session: it has ended everywhere; return the answer.
    EndRevoked,
}

/// The stored-session value of [`Effect::Persist`]. In bearer mode it holds the
/// tokens, so `Debug` does not print it.
#[derive(Clone, PartialEq)]
pub struct StoredSession(pub Value);

impl core::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StoredSession(..)")
    }
}
