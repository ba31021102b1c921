//! The session state machine.
//!
//! Sans-IO in the style of quinn-proto and str0m: the shell feeds one input at a
//! time (`handle_*` for things that happened, commands for what the app asks),
//! always with the current wall-clock time in epoch milliseconds, then drains
//! [`Machine::poll_effect`] and [`Machine::poll_event`] and re-arms its one timer
//! for [`Machine::poll_timeout`]. The machine never reads a clock and never makes
//! randomness: it is seeded once and derives jitter from a small PRNG.
//!
//! The machine holds the endpoint configuration. It decides every request
//! ([`Effect::Fetch`], [`Effect::CallRefreshHook`]) and what every answer means
//! ([`Machine::handle_fetch_answer`], [`Machine::handle_hook_result`]); what a
//! 401 from the app's own API means ([`Machine::handle_api_answer`]); when to
//! ask the session endpoint ([`Machine::check_session`]); when the stored
//! session is written ([`Effect::Persist`]). The shell performs effects and
//! reports results.
//!
//! Every input first brings the machine up to `now` ([`Machine::handle_timeout`]
//! is exactly that), so a deadline that passed while the tab slept or was
//! throttled is honoured before the input is applied: activity after the idle
//! deadline cannot revive a session, and a two-hour sleep yields one transition.
//!
//! Files: `types.rs` (what goes out: events, effects), `live.rs` (the state of a
//! live session), `refreshing.rs` (the refresh and its lock), `requests.rs`
//! (requests out and what their answers mean), `server.rs` (session checks,
//! logout requests), `keepalive.rs` (one keepalive for every tab, and the
//! server's word on the session the tabs share), `app_fetch.rs` (the rules of `session.fetch`),
//! `tabs.rs` (other tabs' messages and sessions, the stored session),
//! `joining.rs` (a resuming tab joins the tabs' session, not the server's word),
//! `ended.rs` (tombstones and the owed logout: logout is final), `identity.rs`
//! (the session's user, and what a change of user does), `records.rs` (what
//! outlives a session: the kept record, the monitoring pseudonym).

mod app_fetch;
mod ended;
mod identity;
mod joining;
mod keepalive;
mod live;
mod records;
mod refreshing;
mod requests;
mod server;
mod tabs;
mod types;

pub use joining::JOIN_WINDOW_MS;
pub use refreshing::{LOCK_SETTLE_MS, NOTE_RETRY_MS, NOTE_WAIT_MS};
pub use server::SESSION_CHECK_EVERY_MS;
pub use types::{
    CheckTrigger, Deadline, Effect, ErrorCode, Event, FetchStage, KeepaliveOutcome, Origin, Purpose, SentWith,
    SessionCheck, SessionState, StoredSession, TimerKind, Verdict, WarningCause,
};

use super::config::{Config, StorageChoice};
use super::contract::encodings::ParseJson;
use super::endpoints::Transport;
use super::protocol::{encode, ChannelKind, EndReason, Envelope, Epoch, Message, TabId};
use super::tokens::{Secret, TokenSet};
use super::tombstone::Tombstones;
use super::value::Value;
use super::{EpochMs, Millis};
use ended::Resend;
use live::{next_tick, take_first, Jitter, Live, Phase, Refresh, State};
use requests::Requests;

/// What a machine is made with, besides its tab id and seed.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Timeouts, warnings and refresh timing.
    pub config: Config,
    /// The backend's endpoints and how to talk to them.
    pub transport: Transport,
    /// The app gave a `refresh` function: it renews tokens, not the refresh endpoint.
    pub refresh_hook: bool,
    /// Where the live session is kept for a reload; `Memory`: nowhere.
    pub storage: StorageChoice,
    /// Reads JSON text, for the JWT payloads of access tokens (their `exp` and
    /// `iat`): the shell's `JSON.parse`, so the core holds no text parser.
    pub parse_json: ParseJson,
}

impl Setup {
    /// `config` with no endpoints, no `refresh` function, memory storage, and
    /// no JSON reader (access tokens' JWT times are not read).
    pub fn new(config: Config) -> Setup {
        Setup {
            config,
            transport: Transport::default(),
            refresh_hook: false,
            storage: StorageChoice::Memory,
            parse_json: |_| None,
        }
    }
}

/// What the stored copy of a session depends on: its epoch, token generation
/// and last activity.
pub type StorageVersion = (Epoch, u64, EpochMs);

/// The session state machine of one tab. See the module docs.
#[derive(Debug)]
pub struct Machine {
    config: Config,
    transport: Transport,
    refresh_hook: bool,
    storage: StorageChoice,
    parse_json: ParseJson,
    /// Whether the cross-tab channel may carry tokens (not the storage fallback).
    channel_carries_tokens: bool,
    tab_id: TabId,
    jitter: Jitter,
    now: EpochMs,
    online: bool,
    state: State,
    /// The next request id (refresh attempts draw from it too).
    next_id: u64,
    ended_epochs: Vec<Epoch>,
    /// When a session last ended in this tab (any origin): a session answer to a
    /// check sent before then speaks of a session that is over.
    last_end_at: Option<EpochMs>,
    /// When the app asked for a logout with no session live here (a tab still
    /// joining): a session that had started by then, heard of afterwards from
    /// another tab or the server, is the one the user asked to leave. It is
    /// ended everywhere, and the server told, instead of joined.
    logout_asked_at: Option<EpochMs>,
    /// A refresh succeeded without a new refresh token (none, or the same one).
    refresh_token_reused: bool,
    /// An unusable CSRF token was reported ([`Machine::handle_csrf_token`]).
    csrf_token_reported: bool,
    /// When the session endpoint was last asked.
    last_session_check: Option<EpochMs>,
    /// What was last persisted ([`Effect::Persist`]).
    persisted: Option<StorageVersion>,
    /// Ended sessions, this tab's and the other tabs' (`ended.rs`).
    tombstones: Tombstones,
    /// The re-sending of an owed logout.
    resend: Resend,
    /// What the tabs know of the server's word on the session of that epoch
    /// (this tab shared it, or heard it from them): `keepalive.rs`.
    word_shared: Option<(Epoch, keepalive::Word)>,
    /// A lock grant found this tab's tokens behind the generation note: the
    /// session and generation it had, and since when it waits for newer tokens.
    behind_note: Option<(Epoch, u64, EpochMs)>,
    requests: Requests,
    /// The other tabs asked for their session; a "signed in" held meanwhile.
    joining: joining::Joining,
    /// The kept record and restore state (`records.rs`).
    records: records::Records,
    effects: Vec<Effect>,
    events: Vec<Event>,
}

impl Machine {
    /// A machine for the tab `tab_id`, jitter seeded with `seed` (from a CSPRNG).
    pub fn new(setup: Setup, tab_id: TabId, seed: u64) -> Self {
        let Setup { config, transport, refresh_hook, storage, parse_json } = setup;
        Machine {
            config,
            transport,
            refresh_hook,
            storage,
            parse_json,
            channel_carries_tokens: true,
            tab_id,
            jitter: Jitter(seed),
            now: 0,
            online: true,
            state: State::Anonymous,
            next_id: 1,
            ended_epochs: Vec::new(),
            last_end_at: None,
            logout_asked_at: None,
            refresh_token_reused: false,
            csrf_token_reported: false,
            last_session_check: None,
            persisted: None,
            tombstones: Tombstones::default(),
            resend: Resend::Idle,
            behind_note: None,
            word_shared: None,
            requests: Requests::default(),
            joining: joining::Joining::default(),
            records: records::Records::default(),
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

    /// What changes the stored copy of the session. `None` when no session is
    /// live (nothing to store). `persist_if_changed` compares these same three
    /// fields in place: change both together.
    pub fn storage_version(&self) -> Option<StorageVersion> {
        self.live().map(|live| (live.epoch, live.generation, live.last_activity_at))
    }

    /// The live session as stored (a cross-tab state answer, as a value), for
    /// a reload to resume with [`Machine::restore`]. `None` when no session is live.
    pub fn stored_session(&self) -> Option<Value> {
        let live = self.live()?;
        let message = Message::StateResponse(live.snapshot());
        Some(encode(&Envelope { from: self.tab_id, epoch: Some(live.epoch), message }))
    }

    /// Whether messages to other tabs may carry tokens (see
    /// [`Machine::handle_channel_opened`]).
    pub fn channel_carries_tokens(&self) -> bool {
        self.channel_carries_tokens
    }

    /// Whether the live session is a remembered one (`rememberMe`): it
    /// outlives the browser, on its own lifetimes.
    pub fn remember_me(&self) -> bool {
        self.live().is_some_and(|live| live.remember_me)
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The backend's endpoints and how to talk to them.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Where the live session is kept for a reload.
    pub fn storage(&self) -> StorageChoice {
        self.storage
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
    pub fn idle_deadline(&self) -> Option<EpochMs> {
        self.live().map(|live| live.idle_deadline(&self.config))
    }

    /// When the session ends whatever happens (epoch ms).
    pub fn absolute_deadline(&self) -> Option<EpochMs> {
        self.live().map(|live| live.absolute_deadline(&self.config))
    }

    /// Time until the session ends, from the latest `now` seen.
    pub fn remaining_ms(&self) -> Option<Millis> {
        Some(self.ends_at()?.saturating_sub(self.now))
    }

    /// When the live session's own clock ends it (idle or absolute), as
    /// `advance` decides an expiry.
    pub(super) fn ends_at(&self) -> Option<EpochMs> {
        let live = self.live()?;
        Some(live.idle_deadline(&self.config).min(live.absolute_deadline(&self.config)))
    }

    /// The active warning's cause and deadline.
    pub fn warning(&self) -> Option<(WarningCause, EpochMs)> {
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
        self.live().is_some_and(|live| matches!(live.refresh, Refresh::AwaitingLock { .. } | Refresh::InFlight { .. }))
    }

    /// When the next refresh (or retry) is due, if one is scheduled.
    pub fn refresh_due_at(&self) -> Option<EpochMs> {
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
    pub fn now(&self) -> EpochMs {
        self.now
    }
    // ----- outputs --------------------------------------------------------

    /// The next effect for the shell to carry out. Once the others are out,
    /// the live session is persisted if it changed since it last was.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        if self.effects.is_empty() {
            self.share_word_if_new();
            self.persist_if_changed();
        }
        take_first(&mut self.effects)
    }

    /// The next event for the app.
    pub fn poll_event(&mut self) -> Option<Event> {
        take_first(&mut self.events)
    }

    /// When [`Machine::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<EpochMs> {
        self.next_deadline().map(|deadline| deadline.at)
    }

    /// The next deadline and why it is set.
    pub fn next_deadline(&self) -> Option<Deadline> {
        let Some(live) = self.live() else {
            let at = self.joining.held_until()?;
            return Some(Deadline { at, kind: TimerKind::JoinWindow });
        };
        let config = &self.config;
        let idle = live.idle_deadline(config);
        let absolute = live.absolute_deadline(config);
        // 0: none (never after now).
        let countdown = match live.phase {
            Phase::Warning { next_tick, .. } => next_tick,
            Phase::Active => 0,
        };
        let refresh = match live.refresh {
            Refresh::Due { at, .. } if self.refresh_allowed(live) => at,
            _ => 0,
        };
        let keepalive = if self.online { live.keepalive_due(config).unwrap_or(0) } else { 0 };
        // The earliest one after now (the first listed on a tie), by a plain
        // loop: iterator adapters were a function of their own in the wasm.
        let mut next: Option<Deadline> = None;
        for (at, kind) in [
            (idle.saturating_sub(config.warn_before_ms), TimerKind::IdleWarning),
            (idle, TimerKind::IdleExpiry),
            (absolute.saturating_sub(config.absolute_warn_before_ms), TimerKind::AbsoluteWarning),
            (absolute, TimerKind::AbsoluteExpiry),
            (countdown, TimerKind::Countdown),
            (refresh, TimerKind::Refresh),
            (keepalive, TimerKind::Keepalive),
        ] {
            if at > self.now && next.is_none_or(|next| at < next.at) {
                next = Some(Deadline { at, kind });
            }
        }
        next
    }

    // ----- inputs: things that happened ------------------------------------

    /// Time passed: fire whatever is due. Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: EpochMs) {
        self.catch_up(now);
    }

    /// The user was active in this tab.
    pub fn handle_activity(&mut self, now: EpochMs) {
        self.local_activity(now, false);
    }

    /// The browser went online or offline. No refresh is attempted while
    /// offline; coming back online retries at once, and sends an owed logout
    /// again (from one tab, see `ended.rs`).
    pub fn handle_online(&mut self, now: EpochMs, online: bool) {
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
        // Sends only when online.
        self.resend_logout_if_owed();
    }

    /// The shell opened the cross-tab channel. The storage fallback is written
    /// to disk, so it never carries tokens, whatever `storage` says: messages
    /// that would are sent as token-free notices ([`Message::without_tokens`]).
    /// A `BroadcastChannel` carries them.
    pub fn handle_channel_opened(&mut self, kind: ChannelKind) {
        self.channel_carries_tokens = kind == ChannelKind::BroadcastChannel;
    }

    // ----- commands from the app -----------------------------------------

    /// Start a session with `epoch` (128 random bits) and the tokens from login
    /// (with the user they are for, if the answer said). A live session is
    /// replaced. Logouts still owed to the server are settled: the user signed
    /// in again, so the server's session is a new one.
    pub fn login(&mut self, now: EpochMs, epoch: Epoch, mut tokens: TokenSet) {
        // Before catching up: a window that ended unseen starts no session of its own.
        self.joining.drop_held();
        // The user signed in again: a logout asked before is behind them.
        self.logout_asked_at = None;
        let now = self.catch_up(now);
        self.sign_in_records(now, &tokens.identity);
        // These belong to the session, not to its tokens.
        let (remember_me, idle, absolute) = tokens.take_session_word();
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
            idle_cap: None,
            remember_me,
        };
        live.take_word(now, absolute, idle);
        self.begin_replacing(now, live, Origin::Local, true);
    }

    /// The user asked to stay signed in: dismisses an idle warning in every tab.
    pub fn stay_signed_in(&mut self, now: EpochMs) {
        self.local_activity(now, true);
    }

    /// End the session everywhere: other tabs are told and storage wiped first,
    /// then the server is called.
    pub fn logout(&mut self, now: EpochMs) {
        let now = self.catch_up(now);
        self.close_join_window(now);
        if matches!(self.state, State::Live(_)) {
            self.end(EndReason::User, Origin::Local);
        } else {
            // A "signed in" to a check still in flight speaks of what the user left.
            self.last_end_at = Some(now);
            if matches!(self.state, State::Anonymous) {
                // Still joining: the session the answers speak of is the one to leave.
                // (After an end here, that session is over and the server was told.)
                self.logout_asked_at = Some(now);
            }
            self.forget_kept();
        }
    }

    // ----- internals ------------------------------------------------------

    /// Never let time run backwards.
    fn clock(&mut self, now: EpochMs) -> EpochMs {
        self.now = self.now.max(now);
        self.now
    }

    /// The clock moved to `now` (never backwards): bring the machine up to
    /// it, and say what time it is. Every input starts so.
    fn catch_up(&mut self, now: EpochMs) -> EpochMs {
        let now = self.clock(now);
        self.advance(now);
        now
    }

    /// Tells the other tabs; where the channel may not carry tokens, the
    /// message goes without them ([`Message::without_tokens`]).
    fn broadcast(&mut self, epoch: &Epoch, message: Message) {
        let message = if self.channel_carries_tokens { message } else { message.without_tokens() };
        let envelope = Envelope { from: self.tab_id, epoch: Some(*epoch), message };
        self.effects.push(Effect::Broadcast(envelope));
    }

    /// Tells the other tabs the live session as it stands: a login (`login`)
    /// or a state answer.
    fn broadcast_live(&mut self, login: bool) {
        let Some(live) = self.live() else { return };
        let (epoch, snapshot) = (live.epoch, live.snapshot());
        self.note_word_heard(&epoch, &snapshot);
        self.broadcast(&epoch, if login { Message::Login(snapshot) } else { Message::StateResponse(snapshot) });
    }

    /// Makes `live` the session, replacing the one live here if any: what
    /// was owed from before it started is settled, its refresh scheduled, the
    /// app told (and, with `announce`, the other tabs, of a login here).
    fn begin(&mut self, now: EpochMs, mut live: Live, origin: Origin, announce: bool) {
        let before = self.state();
        self.retire_live();
        self.settle_owed(live.started_at);
        live.refresh = Self::schedule(&self.config, &mut self.jitter, &live);
        self.state = State::Live(live);
        if announce {
            self.broadcast_live(true);
        }
        self.events.push(Event::StateChange { from: before, to: SessionState::Active });
        self.events.push(Event::Started { origin, replaced: before.is_live() });
        self.advance(now);
        self.held_meets_session(now, !announce);
    }

    fn local_activity(&mut self, now: EpochMs, stay_signed_in: bool) {
        let now = self.catch_up(now);
        let interval = self.config.activity_broadcast_interval_ms;
        let State::Live(live) = &mut self.state else { return };
        let leaving_warning = matches!(live.phase, Phase::Warning { cause: WarningCause::Idle, .. });
        let due = live.last_broadcast_at.is_none_or(|at| now.saturating_sub(at) >= interval);
        if stay_signed_in || due || leaving_warning {
            if let (true, Some(keepalive)) = (stay_signed_in && leaving_warning, &mut live.keepalive) {
                // The server's idle timer may be what warns: tell it now.
                keepalive.asap = true;
            }
            live.last_broadcast_at = Some(now);
            let epoch = live.epoch;
            let at = now;
            self.broadcast(
                &epoch,
                if stay_signed_in { Message::StaySignedIn { at } } else { Message::Activity { at } },
            );
        }
        self.take_activity(now, Origin::Local);
        self.advance(now);
    }

    /// The user was active at `at` (in this tab or, by `origin`, another):
    /// the idle deadline moves, and the app is told, if it is later than
    /// what was known.
    fn take_activity(&mut self, at: EpochMs, origin: Origin) {
        let State::Live(live) = &mut self.state else { return };
        if at > live.last_activity_at {
            live.last_activity_at = at;
            let idle_deadline = live.idle_deadline(&self.config);
            self.events.push(Event::Activity { origin, idle_deadline });
        }
    }

    /// Bring the machine up to `now`: expire, warn, tick, start a due refresh.
    /// Idempotent for a given `now`.
    fn advance(&mut self, now: EpochMs) {
        self.end_join_window(now);
        let config = &self.config;
        let State::Live(live) = &mut self.state else { return };
        let idle = live.idle_deadline(config);
        let absolute = live.absolute_deadline(config);
        if now >= idle.min(absolute) {
            let reason = if absolute <= idle { EndReason::Absolute } else { EndReason::Idle };
            self.end(reason, Origin::Local);
            return;
        }
        match live.due_warning(config, now) {
            None => {
                if let Phase::Warning { .. } = live.phase {
                    live.phase = Phase::Active;
                    self.events.push(Event::StateChange { from: SessionState::Warning, to: SessionState::Active });
                }
            }
            Some((cause, deadline)) => {
                let mut next_tick = next_tick(deadline, now, config.countdown_interval_ms);
                let remaining_ms = deadline - now;
                // A new warning (or another cause) is shown; a running one
                // ticks once however late we are: a throttled tab shows the
                // true remaining time, not a burst of stale ticks.
                let (fresh, tick) = match live.phase {
                    Phase::Active => {
                        self.events.push(Event::StateChange { from: SessionState::Active, to: SessionState::Warning });
                        (true, 0)
                    }
                    Phase::Warning { cause: shown, next_tick: tick, .. } => (shown != cause, tick),
                };
                if fresh || now >= tick {
                    self.events.push(if fresh {
                        Event::Warning { cause, remaining_ms, deadline }
                    } else {
                        Event::Countdown { cause, remaining_ms, deadline }
                    });
                } else {
                    next_tick = next_tick.min(tick);
                }
                live.phase = Phase::Warning { cause, deadline, next_tick };
            }
        }
        self.start_refresh_if_due(now);
        self.send_keepalive_if_due(now);
    }

    /// Forget a live session without ending it (a new login replaces it).
    fn retire_live(&mut self) {
        if let State::Live(live) = core::mem::replace(&mut self.state, State::Anonymous) {
            self.abandon_refresh(&live);
            self.remember_ended(&live.epoch);
        }
    }

    /// Writes the live session where a reload finds it when it changed since it
    /// last was (login, new tokens, activity), if the app chose to store it.
    fn persist_if_changed(&mut self) {
        if self.storage == StorageChoice::Memory {
            return;
        }
        // `storage_version`'s fields, compared in place: no copy of the version.
        let State::Live(live) = &self.state else { return };
        if let Some((epoch, generation, at)) = &self.persisted {
            if *epoch == live.epoch && *generation == live.generation && *at == live.last_activity_at {
                return;
            }
        }
        self.persisted = Some((live.epoch, live.generation, live.last_activity_at));
        // `stored_session`, from the live session in hand.
        let message = Message::StateResponse(live.snapshot());
        let text = encode(&Envelope { from: self.tab_id, epoch: Some(live.epoch), message });
        self.effects.push(Effect::Persist(StoredSession(text)));
    }
}
