//! The session state machine.
//!
//! Sans-IO in the style of quinn-proto and str0m: the shell feeds one input at a
//! time (`handle_*` for things that happened, commands for what the app asks),
//! always with the current wall-clock time in epoch milliseconds, then drains
//! [`Machine::poll_effect`] and [`Machine::poll_event`] and re-arms its one timer
//! for [`Machine::poll_timeout`]. The machine never reads a clock and never makes
//! randomness: it is seeded once and derives jitter from a small PRNG.
//!
//! Every input first brings the machine up to `now` ([`Machine::handle_timeout`]
//! is exactly that), so a deadline that passed while the tab slept or was
//! throttled is honoured before the input is applied: activity after the idle
//! deadline cannot revive a session, and a two-hour sleep yields one transition.

use super::config::Config;
use super::protocol::{decode, encode, EndReason, Envelope, Epoch, Message, ProtocolError, Snapshot, TabId};
use super::refresh::{backoff_delay, refresh_due_at, RefreshFailure, RefreshOutcome};
use super::tokens::{Secret, TokenSet};

/// How many ended epochs are remembered, to refuse replayed logins.
const ENDED_EPOCHS_KEPT: usize = 16;

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
        remaining_ms: u64,
        /// When the session will end (epoch ms).
        deadline: u64,
    },
    /// One tick of the countdown during a warning.
    Countdown {
        /// Which timeout.
        cause: WarningCause,
        /// Time left.
        remaining_ms: u64,
        /// When the session will end (epoch ms).
        deadline: u64,
    },
    /// Activity moved the idle deadline.
    Activity {
        /// Where the activity happened.
        origin: Origin,
        /// The new idle deadline.
        idle_deadline: u64,
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
        expires_at: Option<u64>,
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
        retry_at: Option<u64>,
        /// Failed attempts in a row.
        failures: u32,
    },
}

/// Something the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send this message to the other tabs.
    Broadcast(Envelope),
    /// Ask for the cross-tab refresh lock; report the grant with
    /// [`Machine::handle_lock_acquired`].
    AcquireRefreshLock {
        /// The attempt the lock is for.
        attempt: u64,
    },
    /// Call the refresh endpoint; report with [`Machine::handle_refresh_result`].
    SendRefresh {
        /// The attempt.
        attempt: u64,
        /// The refresh token, or `None` when it rides in an HttpOnly cookie.
        refresh_token: Option<Secret>,
    },
    /// Give up the lock (or the pending request for it) for this attempt and
    /// abandon anything still under way for it. Idempotent.
    ReleaseRefreshLock {
        /// The attempt.
        attempt: u64,
    },
    /// Cookie mode: tell the server the user is active; report with
    /// [`Machine::handle_keepalive_result`].
    SendKeepalive {
        /// The attempt.
        attempt: u64,
    },
    /// Tell the server the session ended (logout, revocation); best effort.
    CallLogout {
        /// Why the session ended.
        reason: EndReason,
        /// The tokens to revoke, taken out of the machine's memory.
        tokens: TokenSet,
    },
    /// Remove everything the session stored.
    WipeStorage,
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
}

/// What the server said to a keepalive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveOutcome {
    /// The session lives; the server may say when it ends at the latest.
    Alive {
        /// The server's absolute deadline (local epoch ms), if it gave one.
        absolute_deadline: Option<u64>,
    },
    /// The server no longer knows the session (401/403, signed out).
    Revoked,
    /// No usable answer (network, 5xx, unreadable): try again next interval.
    Failed,
}

/// What the server's `session` endpoint said (cookie mode, on start or wake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// Signed in; the server may say when the session ends at the latest.
    SignedIn {
        /// The server's absolute deadline (local epoch ms), if it gave one.
        absolute_deadline: Option<u64>,
    },
    /// Not signed in (anymore).
    SignedOut,
    /// No usable answer: nothing is concluded.
    Unknown,
}

/// Cookie-mode keepalive bookkeeping: sent at most once per interval, and only
/// when the user was active since the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Keepalive {
    last_sent_at: u64,
    activity_since: bool,
    in_flight: Option<u64>,
}

/// The next deadline and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// When (epoch ms).
    pub at: u64,
    /// Why.
    pub kind: TimerKind,
}

/// Where the refresh of the current tokens stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refresh {
    /// Nothing to refresh: no expiry known, or the token outlives the session.
    Unneeded,
    /// Refresh (or retry after `failures` failures) at `at`.
    Due { at: u64, failures: u32 },
    /// Waiting for the cross-tab lock; `generation` is what we had when asking.
    AwaitingLock { attempt: u64, generation: u64, failures: u32 },
    /// The request is out.
    InFlight { attempt: u64, failures: u32 },
}

/// What the user has been shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Active,
    Warning { cause: WarningCause, deadline: u64, next_tick: u64 },
}

/// How another session's snapshot reached this tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adoption {
    /// Another tab signed in.
    Login,
    /// Another tab answered a state request.
    Answer,
    /// Read back from storage.
    Restore,
}

/// Everything that exists only while a session is live.
#[derive(Debug)]
struct Live {
    epoch: Epoch,
    started_at: u64,
    last_activity_at: u64,
    last_broadcast_at: Option<u64>,
    tokens: TokenSet,
    generation: u64,
    tokens_received_at: u64,
    refresh: Refresh,
    phase: Phase,
    /// `None` unless keepalives are configured.
    keepalive: Option<Keepalive>,
    /// The server's word on when the session ends at the latest.
    absolute_cap: Option<u64>,
}

impl Live {
    fn idle_deadline(&self, config: &Config) -> u64 {
        self.last_activity_at.saturating_add(config.idle_timeout_ms)
    }

    fn absolute_deadline(&self, config: &Config) -> u64 {
        let own = self.started_at.saturating_add(config.absolute_timeout_ms);
        self.absolute_cap.map_or(own, |cap| own.min(cap))
    }

    /// When the next keepalive may go out, if one is wanted.
    fn keepalive_due(&self, config: &Config) -> Option<u64> {
        let keepalive = self.keepalive?;
        let interval = config.keepalive_every_ms?;
        (keepalive.activity_since && keepalive.in_flight.is_none())
            .then(|| keepalive.last_sent_at.saturating_add(interval))
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            started_at: self.started_at,
            last_activity_at: self.last_activity_at,
            tokens: self.tokens.clone(),
            generation: self.generation,
            tokens_received_at: self.tokens_received_at,
        }
    }

    /// The warning that should be showing at `now`, if any: the one whose
    /// deadline comes first among those whose warning period has begun.
    fn due_warning(&self, config: &Config, now: u64) -> Option<(WarningCause, u64)> {
        let idle = self.idle_deadline(config);
        let absolute = self.absolute_deadline(config);
        let idle_warns = now >= idle.saturating_sub(config.warn_before_ms);
        let absolute_warns = now >= absolute.saturating_sub(config.absolute_warn_before_ms);
        match (idle_warns, absolute_warns) {
            (true, true) if idle < absolute => Some((WarningCause::Idle, idle)),
            (_, true) => Some((WarningCause::Absolute, absolute)),
            (true, false) => Some((WarningCause::Idle, idle)),
            (false, false) => None,
        }
    }
}

// One `State` per session, replaced rarely: boxing `Live` would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum State {
    Anonymous,
    Live(Live),
    Ended { reason: EndReason },
}

/// SplitMix64: a tiny, well-mixed PRNG for jitter. Not for secrets; the shell
/// seeds it from the platform CSPRNG.
#[derive(Debug, Clone)]
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The session state machine of one tab. See the module docs.
#[derive(Debug)]
pub struct Machine {
    config: Config,
    tab_id: TabId,
    jitter: Jitter,
    now: u64,
    online: bool,
    state: State,
    next_attempt: u64,
    ended_epochs: Vec<Epoch>,
    /// A refresh succeeded without a new refresh token (none, or the same one).
    refresh_token_reused: bool,
    effects: Vec<Effect>,
    events: Vec<Event>,
}

impl Machine {
    /// A machine for the tab `tab_id`, jitter seeded with `seed` (from a CSPRNG).
    pub fn new(config: Config, tab_id: TabId, seed: u64) -> Self {
        Machine {
            config,
            tab_id,
            jitter: Jitter(seed),
            now: 0,
            online: true,
            state: State::Anonymous,
            next_attempt: 1,
            ended_epochs: Vec::new(),
            refresh_token_reused: false,
            effects: Vec::new(),
            events: Vec::new(),
        }
    }

    // ----- getters -------------------------------------------------------

    /// Whether a refresh in this tab succeeded without rotating the refresh
    /// token: the server returned the same one, or none (so the old one stays
    /// valid). A finding for the security report.
    pub fn refresh_token_reused(&self) -> bool {
        self.refresh_token_reused
    }

    /// What changes the stored copy of the session: its epoch, token generation
    /// and last activity. `None` when no session is live (nothing to store).
    pub fn storage_version(&self) -> Option<(Epoch, u64, u64)> {
        self.live().map(|live| (live.epoch, live.generation, live.last_activity_at))
    }

    /// The live session as stored text (a cross-tab state answer), for a reload
    /// to resume with [`Machine::restore`]. `None` when no session is live.
    pub fn stored_session(&self) -> Option<String> {
        let live = self.live()?;
        let message = Message::StateResponse(live.snapshot());
        Some(encode(&Envelope { from: self.tab_id, epoch: Some(live.epoch), message }))
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This tab's id.
    pub fn tab_id(&self) -> TabId {
        self.tab_id
    }

    /// The public state.
    pub fn state(&self) -> SessionState {
        match &self.state {
            State::Anonymous => SessionState::Anonymous,
            State::Live(live) => match live.phase {
                Phase::Active => SessionState::Active,
                Phase::Warning { .. } => SessionState::Warning,
            },
            State::Ended { reason } if reason.is_expiry() => SessionState::Expired,
            State::Ended { .. } => SessionState::LoggedOut,
        }
    }

    /// Why the session ended, once it has.
    pub fn end_reason(&self) -> Option<EndReason> {
        match self.state {
            State::Ended { reason } => Some(reason),
            _ => None,
        }
    }

    fn live(&self) -> Option<&Live> {
        match &self.state {
            State::Live(live) => Some(live),
            _ => None,
        }
    }

    /// The current session's epoch.
    pub fn epoch(&self) -> Option<Epoch> {
        self.live().map(|live| live.epoch)
    }

    /// When the session ends if nobody is active (epoch ms).
    pub fn idle_deadline(&self) -> Option<u64> {
        self.live().map(|live| live.idle_deadline(&self.config))
    }

    /// When the session ends whatever happens (epoch ms).
    pub fn absolute_deadline(&self) -> Option<u64> {
        self.live().map(|live| live.absolute_deadline(&self.config))
    }

    /// Time until the session ends, from the latest `now` seen.
    pub fn remaining_ms(&self) -> Option<u64> {
        let end = self.idle_deadline()?.min(self.absolute_deadline()?);
        Some(end.saturating_sub(self.now))
    }

    /// The active warning's cause and deadline.
    pub fn warning(&self) -> Option<(WarningCause, u64)> {
        match self.live()?.phase {
            Phase::Warning { cause, deadline, .. } => Some((cause, deadline)),
            Phase::Active => None,
        }
    }

    /// The current tokens.
    pub fn tokens(&self) -> Option<&TokenSet> {
        self.live().map(|live| &live.tokens)
    }

    /// The current access token.
    pub fn access_token(&self) -> Option<&str> {
        self.tokens()?.access_token.as_ref().map(Secret::expose)
    }

    /// How many refreshes produced the current tokens.
    pub fn token_generation(&self) -> Option<u64> {
        self.live().map(|live| live.generation)
    }

    /// Whether a refresh is waiting for the lock or for the server.
    pub fn refresh_in_flight(&self) -> bool {
        matches!(self.live().map(|live| live.refresh), Some(Refresh::AwaitingLock { .. } | Refresh::InFlight { .. }))
    }

    /// When the next refresh (or retry) is due, if one is scheduled.
    pub fn refresh_due_at(&self) -> Option<u64> {
        match self.live()?.refresh {
            Refresh::Due { at, .. } => Some(at),
            _ => None,
        }
    }

    /// Whether the machine believes the browser is online.
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// The latest time seen (inputs never move it backwards).
    pub fn now(&self) -> u64 {
        self.now
    }

    // ----- outputs --------------------------------------------------------

    /// The next effect for the shell to carry out.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        take_first(&mut self.effects)
    }

    /// The next event for the app.
    pub fn poll_event(&mut self) -> Option<Event> {
        take_first(&mut self.events)
    }

    /// When [`Machine::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.next_deadline().map(|deadline| deadline.at)
    }

    /// The next deadline and why it is set.
    pub fn next_deadline(&self) -> Option<Deadline> {
        let live = self.live()?;
        let config = &self.config;
        let idle = live.idle_deadline(config);
        let absolute = live.absolute_deadline(config);
        let countdown = match live.phase {
            Phase::Warning { next_tick, .. } => Some(next_tick),
            Phase::Active => None,
        };
        let refresh = match live.refresh {
            Refresh::Due { at, .. } if self.refresh_allowed(live) => Some(at),
            _ => None,
        };
        let keepalive = live.keepalive_due(config).filter(|_| self.online);
        [
            (Some(idle.saturating_sub(config.warn_before_ms)), TimerKind::IdleWarning),
            (Some(idle), TimerKind::IdleExpiry),
            (Some(absolute.saturating_sub(config.absolute_warn_before_ms)), TimerKind::AbsoluteWarning),
            (Some(absolute), TimerKind::AbsoluteExpiry),
            (countdown, TimerKind::Countdown),
            (refresh, TimerKind::Refresh),
            (keepalive, TimerKind::Keepalive),
        ]
        .into_iter()
        .filter_map(|(at, kind)| Some(Deadline { at: at?, kind }))
        .filter(|deadline| deadline.at > self.now)
        .min_by_key(|deadline| deadline.at)
    }

    // ----- inputs: things that happened ------------------------------------

    /// Time passed: fire whatever is due. Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: u64) {
        let now = self.clock(now);
        self.advance(now);
    }

    /// The user was active in this tab.
    pub fn handle_activity(&mut self, now: u64) {
        self.local_activity(now, false);
    }

    /// The browser went online or offline. No refresh is attempted while
    /// offline; coming back online retries at once.
    pub fn handle_online(&mut self, now: u64, online: bool) {
        let now = self.clock(now);
        self.online = online;
        if online {
            if let State::Live(live) = &mut self.state {
                if let Refresh::Due { at, failures } = live.refresh {
                    if failures > 0 {
                        live.refresh = Refresh::Due { at: at.min(now), failures };
                    }
                }
            }
        }
        self.advance(now);
    }

    /// The cross-tab lock for `attempt` was granted.
    pub fn handle_lock_acquired(&mut self, now: u64, attempt: u64) {
        let now = self.clock(now);
        self.advance(now);
        let online = self.online;
        let State::Live(live) = &mut self.state else {
            self.effects.push(Effect::ReleaseRefreshLock { attempt });
            return;
        };
        match live.refresh {
            Refresh::AwaitingLock { attempt: current, generation, failures } if current == attempt => {
                if live.generation != generation {
                    // Another tab refreshed while we waited: adopt, don't repeat.
                    live.refresh = Self::schedule(&self.config, &mut self.jitter, live);
                    self.effects.push(Effect::ReleaseRefreshLock { attempt });
                } else if !online {
                    live.refresh = Refresh::Due { at: now, failures };
                    self.effects.push(Effect::ReleaseRefreshLock { attempt });
                } else {
                    live.refresh = Refresh::InFlight { attempt, failures };
                    let refresh_token = live.tokens.refresh_token.clone();
                    self.effects.push(Effect::SendRefresh { attempt, refresh_token });
                }
            }
            _ => self.effects.push(Effect::ReleaseRefreshLock { attempt }),
        }
        // The adopted tokens may already be due (found by fuzzing: without this
        // the refresh waited, with no timer, for the next unrelated input).
        self.advance(now);
    }

    /// The refresh request of `attempt` finished. A result for any attempt but
    /// the one in flight is stale and ignored (the lock is released all the same).
    pub fn handle_refresh_result(&mut self, now: u64, attempt: u64, outcome: RefreshOutcome) {
        let now = self.clock(now);
        self.advance(now);
        let State::Live(live) = &mut self.state else {
            self.effects.push(Effect::ReleaseRefreshLock { attempt });
            return;
        };
        let failures = match live.refresh {
            Refresh::InFlight { attempt: current, failures } if current == attempt => failures,
            _ => {
                self.effects.push(Effect::ReleaseRefreshLock { attempt });
                return;
            }
        };
        match outcome {
            RefreshOutcome::Success(mut tokens) => {
                let rotated = tokens.refresh_token.is_some() && tokens.refresh_token != live.tokens.refresh_token;
                if live.tokens.refresh_token.is_some() && !rotated {
                    self.refresh_token_reused = true;
                }
                if tokens.refresh_token.is_none() {
                    // RFC 6749 §6: no new refresh token means keep using the old one.
                    tokens.refresh_token = live.tokens.refresh_token.take();
                }
                live.tokens = tokens;
                live.generation = live.generation.saturating_add(1);
                live.tokens_received_at = now;
                live.refresh = Self::schedule(&self.config, &mut self.jitter, live);
                let message =
                    Message::Refreshed { tokens: live.tokens.clone(), generation: live.generation, received_at: now };
                let expires_at = live.tokens.expires_at;
                let epoch = live.epoch;
                // Share before releasing the lock, so the next holder sees it.
                self.broadcast(epoch, message);
                self.effects.push(Effect::ReleaseRefreshLock { attempt });
                self.events.push(Event::Refreshed { expires_at, origin: Origin::Local });
            }
            RefreshOutcome::Failed { failure, retry_after_ms } => {
                self.effects.push(Effect::ReleaseRefreshLock { attempt });
                let failures = failures.saturating_add(1);
                if failure.is_retryable() {
                    let delay = backoff_delay(&self.config, failures, self.jitter.next(), retry_after_ms);
                    let at = now.saturating_add(delay);
                    live.refresh = Refresh::Due { at, failures };
                    self.events.push(Event::RefreshFailed {
                        code: failure.code(),
                        definitive: false,
                        retry_at: Some(at),
                        failures,
                    });
                } else {
                    self.events.push(Event::RefreshFailed {
                        code: failure.code(),
                        definitive: true,
                        retry_at: None,
                        failures,
                    });
                    // 401/403: the server no longer honours the session (revoked,
                    // force logout); anything else: the refresh token was refused.
                    let reason = if matches!(failure, RefreshFailure::Status(401 | 403)) {
                        EndReason::Revoked
                    } else {
                        EndReason::RefreshFailed
                    };
                    self.end(reason, Origin::Server, true);
                }
            }
        }
        self.advance(now);
    }

    /// The server answered keepalive `attempt`. A stale answer is ignored.
    pub fn handle_keepalive_result(&mut self, now: u64, attempt: u64, outcome: KeepaliveOutcome) {
        let now = self.clock(now);
        self.advance(now);
        let State::Live(live) = &mut self.state else { return };
        let Some(keepalive) = live.keepalive.as_mut().filter(|k| k.in_flight == Some(attempt)) else { return };
        keepalive.in_flight = None;
        match outcome {
            KeepaliveOutcome::Alive { absolute_deadline } => {
                if let Some(cap) = absolute_deadline {
                    live.absolute_cap = Some(live.absolute_cap.map_or(cap, |old| old.min(cap)));
                }
            }
            // Try again at the next interval, if the user is still active.
            KeepaliveOutcome::Failed => keepalive.activity_since = true,
            KeepaliveOutcome::Revoked => self.end(EndReason::Revoked, Origin::Server, true),
        }
        self.advance(now);
    }

    /// The server's `session` endpoint answered. Signed in: join (or start, with
    /// `epoch`) the session and take the server's absolute deadline as a cap.
    /// Signed out: a live session ends everywhere as `revoked`.
    pub fn handle_session_check(&mut self, now: u64, epoch: Epoch, check: SessionCheck) {
        let now = self.clock(now);
        self.advance(now);
        match check {
            SessionCheck::SignedIn { absolute_deadline } => {
                if !matches!(self.state, State::Live(_)) {
                    self.login(now, epoch, TokenSet::default());
                }
                if let (State::Live(live), Some(cap)) = (&mut self.state, absolute_deadline) {
                    live.absolute_cap = Some(live.absolute_cap.map_or(cap, |old| old.min(cap)));
                }
            }
            SessionCheck::SignedOut => {
                if matches!(self.state, State::Live(_)) {
                    self.end(EndReason::Revoked, Origin::Server, true);
                }
            }
            SessionCheck::Unknown => {}
        }
        self.advance(now);
    }

    /// The server said the session is no longer valid (e.g. a 401 on an API call
    /// after a refresh, or a revoked keepalive): end it everywhere.
    pub fn handle_revoked(&mut self, now: u64) {
        let now = self.clock(now);
        self.advance(now);
        if matches!(self.state, State::Live(_)) {
            self.end(EndReason::Revoked, Origin::Server, true);
        }
    }

    /// A message from another tab. Rejections are typed; the state is unchanged
    /// by a rejected message.
    pub fn handle_message(&mut self, now: u64, envelope: Envelope) -> Result<(), ProtocolError> {
        let now = self.clock(now);
        self.advance(now);
        if envelope.from == self.tab_id {
            return Err(ProtocolError::FromSelf);
        }
        let epoch = envelope.epoch;
        match envelope.message {
            Message::StateRequest => {
                if let Some(live) = self.live() {
                    let (epoch, snapshot) = (live.epoch, live.snapshot());
                    self.broadcast(epoch, Message::StateResponse(snapshot));
                }
                Ok(())
            }
            Message::Login(snapshot) => self.adopt(now, epoch, snapshot, Adoption::Login),
            Message::StateResponse(snapshot) => self.adopt(now, epoch, snapshot, Adoption::Answer),
            message => {
                let live = match &mut self.state {
                    State::Live(live) if Some(live.epoch) == epoch => live,
                    _ => return Err(ProtocolError::WrongEpoch),
                };
                match message {
                    Message::Activity { at } | Message::StaySignedIn { at } => {
                        let at = at.min(now);
                        if at > live.last_activity_at {
                            live.last_activity_at = at;
                            let idle_deadline = live.idle_deadline(&self.config);
                            self.events.push(Event::Activity { origin: Origin::OtherTab, idle_deadline });
                        }
                    }
                    Message::Refreshed { tokens, generation, received_at } => {
                        if generation > live.generation {
                            live.tokens = tokens;
                            live.generation = generation;
                            live.tokens_received_at = received_at.min(now);
                            if let Refresh::Due { .. } | Refresh::Unneeded = live.refresh {
                                live.refresh = Self::schedule(&self.config, &mut self.jitter, live);
                            }
                            let expires_at = live.tokens.expires_at;
                            self.events.push(Event::Refreshed { expires_at, origin: Origin::OtherTab });
                        }
                    }
                    Message::Logout { reason } => {
                        let reason = if reason == EndReason::User { EndReason::OtherTab } else { reason };
                        self.end(reason, Origin::OtherTab, false);
                    }
                    Message::StateRequest | Message::Login(_) | Message::StateResponse(_) => {}
                }
                self.advance(now);
                Ok(())
            }
        }
    }

    // ----- commands from the app -----------------------------------------

    /// Start a session with `epoch` (128 random bits) and the tokens from login.
    /// A live session is replaced.
    pub fn login(&mut self, now: u64, epoch: Epoch, tokens: TokenSet) {
        let now = self.clock(now);
        self.advance(now);
        let before = self.state();
        self.retire_live();
        let mut live = Live {
            epoch,
            started_at: now,
            last_activity_at: now,
            last_broadcast_at: Some(now),
            tokens,
            generation: 0,
            tokens_received_at: now,
            refresh: Refresh::Unneeded,
            phase: Phase::Active,
            keepalive: self.fresh_keepalive(now),
            absolute_cap: None,
        };
        live.refresh = Self::schedule(&self.config, &mut self.jitter, &live);
        let snapshot = live.snapshot();
        self.state = State::Live(live);
        self.broadcast(epoch, Message::Login(snapshot));
        self.events.push(Event::StateChange { from: before, to: SessionState::Active });
        self.events.push(Event::Started { origin: Origin::Local, replaced: before.is_live() });
        self.advance(now);
    }

    /// Resume the session stored by [`Machine::stored_session`] (this page
    /// before a reload, or another tab through shared storage). Stored data is
    /// as untrusted as a cross-tab message and checked the same way: a
    /// malformed, ended, expired or older session is rejected and changes
    /// nothing; a live session of the same epoch takes what is newer.
    pub fn restore(&mut self, now: u64, stored: &str) -> Result<(), ProtocolError> {
        let now = self.clock(now);
        self.advance(now);
        let envelope = decode(stored)?;
        match envelope.message {
            Message::StateResponse(snapshot) | Message::Login(snapshot) => {
                self.adopt(now, envelope.epoch, snapshot, Adoption::Restore)
            }
            _ => Err(ProtocolError::BadField("kind")),
        }
    }

    /// Ask the other tabs for their session (a new tab does this at start-up).
    pub fn request_state(&mut self, now: u64) {
        let now = self.clock(now);
        self.advance(now);
        let envelope = Envelope { from: self.tab_id, epoch: None, message: Message::StateRequest };
        self.effects.push(Effect::Broadcast(envelope));
    }

    /// The user asked to stay signed in: dismisses an idle warning in every tab.
    pub fn stay_signed_in(&mut self, now: u64) {
        self.local_activity(now, true);
    }

    /// End the session everywhere: other tabs are told and storage wiped first,
    /// then the server is called.
    pub fn logout(&mut self, now: u64) {
        let now = self.clock(now);
        self.advance(now);
        if matches!(self.state, State::Live(_)) {
            self.end(EndReason::User, Origin::Local, true);
        }
    }

    /// Refresh now if nothing is in flight (e.g. an API call got a 401). Returns
    /// whether a refresh is now under way.
    pub fn refresh_now(&mut self, now: u64) -> bool {
        let now = self.clock(now);
        self.advance(now);
        if let State::Live(live) = &mut self.state {
            match live.refresh {
                Refresh::AwaitingLock { .. } | Refresh::InFlight { .. } => {}
                Refresh::Due { failures, .. } => live.refresh = Refresh::Due { at: now, failures },
                Refresh::Unneeded => live.refresh = Refresh::Due { at: now, failures: 0 },
            }
        }
        self.advance(now);
        self.refresh_in_flight()
    }

    // ----- internals ------------------------------------------------------

    /// Keepalive bookkeeping for a session starting now (login or join counts
    /// as contact with the server).
    fn fresh_keepalive(&self, now: u64) -> Option<Keepalive> {
        self.config.keepalive_every_ms.map(|_| Keepalive { last_sent_at: now, activity_since: false, in_flight: None })
    }

    /// Never let time run backwards.
    fn clock(&mut self, now: u64) -> u64 {
        self.now = self.now.max(now);
        self.now
    }

    fn broadcast(&mut self, epoch: Epoch, message: Message) {
        let envelope = Envelope { from: self.tab_id, epoch: Some(epoch), message };
        self.effects.push(Effect::Broadcast(envelope));
    }

    fn refresh_allowed(&self, live: &Live) -> bool {
        // An idle user must not be kept signed in by token refresh.
        let idle_warning = matches!(live.phase, Phase::Warning { cause: WarningCause::Idle, .. });
        self.online && !idle_warning
    }

    fn schedule(config: &Config, jitter: &mut Jitter, live: &Live) -> Refresh {
        match live.tokens.expires_at {
            // A token that outlives the session never needs refreshing.
            Some(expires_at) if expires_at < live.absolute_deadline(config) => {
                let random = jitter.next();
                let mut at = refresh_due_at(config, expires_at, live.tokens_received_at, random);
                if live.generation > 0 {
                    // A server handing out already-expired (or very short) tokens
                    // must not get a refresh storm: refreshed tokens wait at least
                    // one retry delay, plus jitter so that tabs stay spread out.
                    let spread = config.refresh_jitter_ms.min(config.retry_initial_ms / 2);
                    let floor = config.retry_initial_ms.saturating_add(random % spread.saturating_add(1));
                    at = at.max(live.tokens_received_at.saturating_add(floor));
                }
                Refresh::Due { at, failures: 0 }
            }
            _ => Refresh::Unneeded,
        }
    }

    fn local_activity(&mut self, now: u64, stay_signed_in: bool) {
        let now = self.clock(now);
        self.advance(now);
        let interval = self.config.activity_broadcast_interval_ms;
        let State::Live(live) = &mut self.state else { return };
        let leaving_warning = matches!(live.phase, Phase::Warning { cause: WarningCause::Idle, .. });
        let moved = now > live.last_activity_at;
        live.last_activity_at = live.last_activity_at.max(now);
        let due = live.last_broadcast_at.is_none_or(|at| now.saturating_sub(at) >= interval);
        if let Some(keepalive) = live.keepalive.as_mut() {
            keepalive.activity_since = true;
        }
        let (epoch, idle_deadline) = (live.epoch, live.idle_deadline(&self.config));
        if stay_signed_in {
            live.last_broadcast_at = Some(now);
            self.broadcast(epoch, Message::StaySignedIn { at: now });
        } else if due || leaving_warning {
            live.last_broadcast_at = Some(now);
            self.broadcast(epoch, Message::Activity { at: now });
        }
        if moved {
            self.events.push(Event::Activity { origin: Origin::Local, idle_deadline });
        }
        self.advance(now);
    }

    /// Bring the machine up to `now`: expire, warn, tick, start a due refresh.
    /// Idempotent for a given `now`.
    fn advance(&mut self, now: u64) {
        let config = self.config;
        let State::Live(live) = &mut self.state else { return };
        let idle = live.idle_deadline(&config);
        let absolute = live.absolute_deadline(&config);
        if now >= idle.min(absolute) {
            let reason = if absolute <= idle { EndReason::Absolute } else { EndReason::Idle };
            self.end(reason, Origin::Local, true);
            return;
        }
        let wanted = live.due_warning(&config, now);
        match (live.phase, wanted) {
            (Phase::Active, None) => {}
            (Phase::Warning { .. }, None) => {
                live.phase = Phase::Active;
                self.events.push(Event::StateChange { from: SessionState::Warning, to: SessionState::Active });
            }
            (phase, Some((cause, deadline))) => {
                let next_tick = next_tick(deadline, now, config.countdown_interval_ms);
                match phase {
                    Phase::Active => {
                        self.events.push(Event::StateChange { from: SessionState::Active, to: SessionState::Warning });
                        self.events.push(Event::Warning { cause, remaining_ms: deadline - now, deadline });
                        live.phase = Phase::Warning { cause, deadline, next_tick };
                    }
                    Phase::Warning { cause: shown, .. } if shown != cause => {
                        self.events.push(Event::Warning { cause, remaining_ms: deadline - now, deadline });
                        live.phase = Phase::Warning { cause, deadline, next_tick };
                    }
                    Phase::Warning { next_tick: tick, .. } => {
                        if now >= tick {
                            // One tick however late we are: a throttled tab shows
                            // the true remaining time, not a burst of stale ticks.
                            self.events.push(Event::Countdown { cause, remaining_ms: deadline - now, deadline });
                            live.phase = Phase::Warning { cause, deadline, next_tick };
                        } else {
                            live.phase = Phase::Warning { cause, deadline, next_tick: tick.min(next_tick) };
                        }
                    }
                }
            }
        }
        self.start_refresh_if_due(now);
        self.send_keepalive_if_due(now);
    }

    fn send_keepalive_if_due(&mut self, now: u64) {
        let attempt = self.next_attempt;
        let online = self.online;
        let config = self.config;
        let State::Live(live) = &mut self.state else { return };
        let due = live.keepalive_due(&config).is_some_and(|at| now >= at);
        if let (true, true, Some(keepalive)) = (due, online, live.keepalive.as_mut()) {
            self.next_attempt = self.next_attempt.wrapping_add(1);
            *keepalive = Keepalive { last_sent_at: now, activity_since: false, in_flight: Some(attempt) };
            self.effects.push(Effect::SendKeepalive { attempt });
        }
    }

    fn start_refresh_if_due(&mut self, now: u64) {
        let allowed = match self.live() {
            Some(live) => self.refresh_allowed(live),
            None => return,
        };
        let attempt = self.next_attempt;
        let State::Live(live) = &mut self.state else { return };
        if let Refresh::Due { at, failures } = live.refresh {
            if allowed && now >= at {
                self.next_attempt = self.next_attempt.wrapping_add(1);
                live.refresh = Refresh::AwaitingLock { attempt, generation: live.generation, failures };
                self.effects.push(Effect::AcquireRefreshLock { attempt });
            }
        }
    }

    /// Forget a live session without ending it (a new login replaces it).
    fn retire_live(&mut self) {
        if let State::Live(live) = core::mem::replace(&mut self.state, State::Anonymous) {
            self.abandon_refresh(&live);
            self.remember_ended(live.epoch);
        }
    }

    fn abandon_refresh(&mut self, live: &Live) {
        if let Refresh::AwaitingLock { attempt, .. } | Refresh::InFlight { attempt, .. } = live.refresh {
            self.effects.push(Effect::ReleaseRefreshLock { attempt });
        }
    }

    fn remember_ended(&mut self, epoch: Epoch) {
        if self.ended_epochs.len() >= ENDED_EPOCHS_KEPT {
            self.ended_epochs.remove(0);
        }
        self.ended_epochs.push(epoch);
    }

    /// End the live session. `tell` broadcasts the end and, unless the server
    /// itself revoked the session, calls the server's logout.
    fn end(&mut self, reason: EndReason, origin: Origin, tell: bool) {
        if !matches!(self.state, State::Live(_)) {
            return;
        }
        let before = self.state();
        let State::Live(mut live) = core::mem::replace(&mut self.state, State::Ended { reason }) else {
            return;
        };
        self.abandon_refresh(&live);
        if tell {
            self.broadcast(live.epoch, Message::Logout { reason });
        }
        self.effects.push(Effect::WipeStorage);
        if tell && reason != EndReason::Revoked {
            let tokens = core::mem::take(&mut live.tokens);
            self.effects.push(Effect::CallLogout { reason, tokens });
        }
        self.remember_ended(live.epoch);
        self.events.push(Event::StateChange { from: before, to: self.state() });
        self.events.push(if reason.is_expiry() {
            Event::Expired { reason, origin }
        } else {
            Event::LoggedOut { reason, origin }
        });
    }

    /// Join, merge or replace with another tab's session.
    fn adopt(
        &mut self,
        now: u64,
        epoch: Option<Epoch>,
        snapshot: Snapshot,
        how: Adoption,
    ) -> Result<(), ProtocolError> {
        let epoch = epoch.ok_or(ProtocolError::BadField("epoch"))?;
        if self.ended_epochs.contains(&epoch) {
            return Err(ProtocolError::EndedEpoch);
        }
        // Times from another tab are never in our future.
        let started_at = snapshot.started_at.min(now);
        let last_activity_at = snapshot.last_activity_at.min(now).max(started_at);
        let config = self.config;
        let candidate = Live {
            epoch,
            started_at,
            last_activity_at,
            last_broadcast_at: None,
            tokens: snapshot.tokens,
            generation: snapshot.generation,
            tokens_received_at: snapshot.tokens_received_at.min(now),
            refresh: Refresh::Unneeded,
            phase: Phase::Active,
            keepalive: self.fresh_keepalive(now),
            absolute_cap: None,
        };
        if now >= candidate.idle_deadline(&config).min(candidate.absolute_deadline(&config)) {
            return Err(ProtocolError::StaleSnapshot);
        }
        let before = self.state();
        let replaced = match &mut self.state {
            State::Live(live) if live.epoch == epoch => {
                // The same session: merge what is newer.
                if candidate.last_activity_at > live.last_activity_at {
                    live.last_activity_at = candidate.last_activity_at;
                }
                if candidate.generation > live.generation {
                    live.tokens = candidate.tokens;
                    live.generation = candidate.generation;
                    live.tokens_received_at = candidate.tokens_received_at;
                    if let Refresh::Due { .. } | Refresh::Unneeded = live.refresh {
                        live.refresh = Self::schedule(&config, &mut self.jitter, live);
                    }
                }
                self.advance(now);
                return Ok(());
            }
            State::Live(live) => {
                // Two logins: the later one wins everywhere.
                if (candidate.started_at, candidate.epoch) < (live.started_at, live.epoch) {
                    if how == Adoption::Login {
                        let (epoch, snapshot) = (live.epoch, live.snapshot());
                        self.broadcast(epoch, Message::StateResponse(snapshot));
                    }
                    return Ok(());
                }
                true
            }
            State::Anonymous | State::Ended { .. } => false,
        };
        self.retire_live();
        let mut live = candidate;
        live.refresh = Self::schedule(&config, &mut self.jitter, &live);
        self.state = State::Live(live);
        self.events.push(Event::StateChange { from: before, to: SessionState::Active });
        let origin = if how == Adoption::Restore { Origin::Local } else { Origin::OtherTab };
        self.events.push(Event::Started { origin, replaced });
        self.advance(now);
        Ok(())
    }
}

impl SessionState {
    /// Active or warning.
    pub fn is_live(self) -> bool {
        matches!(self, SessionState::Active | SessionState::Warning)
    }
}

/// The oldest entry of a queue. Queues here hold a handful of entries, so a
/// `Vec` is smaller in the wasm than a `VecDeque` and as fast.
fn take_first<T>(queue: &mut Vec<T>) -> Option<T> {
    if queue.is_empty() {
        None
    } else {
        Some(queue.remove(0))
    }
}

/// The next countdown tick after `now`: ticks fall on whole intervals before the
/// deadline, so `remainingMs` reads 60000, 59000 … when the timer is on time.
fn next_tick(deadline: u64, now: u64, interval: u64) -> u64 {
    let remaining = deadline.saturating_sub(now);
    let interval = interval.max(1);
    let whole = remaining.saturating_sub(1) / interval * interval;
    deadline - whole
}
