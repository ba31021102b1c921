//! What the machine target sees of a machine, and the invariants it checks
//! after every input.

use super::*;

/// What can be seen of a machine from outside.
#[derive(Debug, PartialEq)]
pub(super) struct Observed {
    pub(super) state: SessionState,
    pub(super) epoch: Option<Epoch>,
    pub(super) idle: Option<u64>,
    pub(super) absolute: Option<u64>,
    pub(super) generation: Option<u64>,
    pub(super) tokens: Option<TokenSet>,
    pub(super) in_flight: bool,
    pub(super) due: Option<u64>,
    pub(super) warning: Option<(WarningCause, u64)>,
    pub(super) timeout: Option<u64>,
    pub(super) end_reason: Option<EndReason>,
    pub(super) now: u64,
    pub(super) online: bool,
    pub(super) stored: Option<Value>,
}

impl Observed {
    pub(super) fn of(machine: &Machine) -> Observed {
        Observed {
            state: machine.state(),
            epoch: machine.epoch(),
            idle: machine.idle_deadline(),
            absolute: machine.absolute_deadline(),
            generation: machine.token_generation(),
            tokens: machine.tokens().cloned(),
            in_flight: machine.refresh_in_flight(),
            due: machine.refresh_due_at(),
            warning: machine.warning(),
            timeout: machine.poll_timeout(),
            end_reason: machine.end_reason(),
            now: machine.now(),
            online: machine.is_online(),
            stored: machine.stored_session(),
        }
    }
}

/// Follows one machine through its inputs: call `before` ahead of each input
/// and `after` once it is handled; `after` drains every effect and event and
/// checks the invariants of tests/core/props.rs and more.
#[derive(Debug, Default)]
pub(super) struct Checker {
    /// The refresh attempt whose request is out (sent, not yet released).
    pub(super) outstanding: Option<u64>,
    /// Lock requests not yet granted or released, oldest first.
    pub(super) pending_locks: Vec<u64>,
    /// The latest keepalive sent.
    pub(super) keepalive: Option<u64>,
    /// The latest session check sent.
    pub(super) session_check: Option<u64>,
    pub(super) before_now: u64,
    pub(super) before_idle: Option<u64>,
    pub(super) idle_warning_seen: bool,
}

impl Checker {
    /// One input, checked.
    pub(super) fn step<T>(&mut self, machine: &mut Machine, input: impl FnOnce(&mut Machine) -> T) -> T {
        self.before(machine);
        let result = input(machine);
        self.after(machine);
        result
    }

    pub(super) fn before(&mut self, machine: &Machine) {
        self.before_now = machine.now();
        self.before_idle = machine.idle_deadline();
    }

    pub(super) fn after(&mut self, machine: &mut Machine) {
        let now = machine.now();
        assert!(now >= self.before_now, "the clock never runs backwards");
        let config = *machine.config();
        let mut wiped = false;
        while let Some(effect) = machine.poll_effect() {
            match effect {
                Effect::AcquireRefreshLock { attempt } => {
                    assert!(machine.is_online(), "a refresh started while offline");
                    assert!(!self.pending_locks.contains(&attempt), "attempt {attempt} asked for the lock twice");
                    self.pending_locks.push(attempt);
                }
                Effect::CallRefreshHook { id: attempt, refresh_token } => {
                    assert!(machine.is_online(), "a refresh sent while offline");
                    assert_eq!(self.outstanding, None, "a second refresh in flight ({attempt})");
                    check_secret(&refresh_token);
                    self.pending_locks.retain(|pending| *pending != attempt);
                    self.outstanding = Some(attempt);
                }
                Effect::Fetch { id, purpose: Purpose::Refresh, request } => {
                    assert!(machine.is_online(), "a refresh request sent while offline");
                    assert_eq!(self.outstanding, None, "a second refresh in flight ({id})");
                    check_request(&request);
                    self.pending_locks.retain(|pending| *pending != id);
                    self.outstanding = Some(id);
                }
                Effect::ReleaseRefreshLock { attempt, hold_until, note } => {
                    // Held to let a broadcast arrive; let go at once by a tab
                    // that found itself behind the generation note.
                    let behind = hold_until == now && note.is_none();
                    assert!(hold_until == now + LOCK_SETTLE_MS || behind, "a released lock settles");
                    if let (Some(note), Some(live)) = (note, machine.epoch().zip(machine.token_generation())) {
                        assert_eq!((note.epoch, note.generation), live, "the note names the new tokens");
                    }
                    if self.outstanding == Some(attempt) {
                        self.outstanding = None;
                    }
                    self.pending_locks.retain(|pending| *pending != attempt);
                }
                Effect::Fetch { id, purpose: Purpose::Keepalive, request } => {
                    assert!(machine.is_online(), "a keepalive sent while offline");
                    assert!(config.keepalive_every_ms.is_some(), "a keepalive without keepalives configured");
                    check_request(&request);
                    self.keepalive = Some(id);
                }
                Effect::Fetch { id, purpose: Purpose::SessionCheck, request } => {
                    assert_eq!(request.method, "GET");
                    check_request(&request);
                    self.session_check = Some(id);
                }
                Effect::Broadcast(envelope) => {
                    assert_eq!(envelope.from, machine.tab_id(), "broadcasts come from this tab");
                    check_envelope(&envelope);
                    assert_eq!(decode(&encode(&envelope)).as_ref(), Ok(&envelope), "broadcasts round-trip");
                    if !machine.channel_carries_tokens() {
                        let value = encode(&envelope);
                        assert!(value.get("access").is_none() && value.get("refresh").is_none(), "a token on disk");
                    }
                    assert_eq!(decode_text(&encode_text(&envelope)).as_ref(), Ok(&envelope), "also as text");
                }
                Effect::WipeStorage => wiped = true,
                Effect::Fetch { purpose: Purpose::Logout(reason), request, .. } => {
                    assert!(wiped, "storage is wiped before the server is called");
                    assert!(!reason.is_servers_word(), "the server ended it: it is not told again");
                    assert!(request.keepalive, "logout requests outlive the page");
                    check_request(&request);
                }
                Effect::Fetch { purpose: Purpose::ResendLogout, request, .. } => {
                    assert!(machine.is_online(), "an owed logout sent again while offline");
                    assert!(!machine.state().is_live(), "a cookie logout sent while a session is live");
                    assert!(machine.tombstones().iter().any(|t| !t.server_told), "a logout sent again, owed by none");
                    assert!(request.keepalive, "logout requests outlive the page");
                    assert!(request.body.is_none(), "an owed logout carries no token");
                    assert!(!request.headers.iter().any(|(name, _)| name == "Authorization"), "nor a bearer token");
                    check_request(&request);
                }
                Effect::SaveTombstones(tombstones) => {
                    assert_eq!(&tombstones, machine.tombstones(), "what is saved is what the tab knows");
                    assert!(tombstones.iter().count() <= wasm_session::core::tombstone::MAX_TOMBSTONES);
                }
                Effect::Keep(kept) => {
                    assert!(kept.is_none() || !machine.state().is_live(), "a record is kept only once a session ended");
                }
                Effect::Persist(stored) => {
                    assert!(machine.storage() != StorageChoice::Memory, "persisted with memory storage");
                    assert_eq!(Some(stored.0), machine.stored_session(), "what is persisted is the live session");
                }
            }
        }
        let mut events = Vec::new();
        while let Some(event) = machine.poll_event() {
            events.push(event);
        }
        for (index, event) in events.iter().enumerate() {
            match event {
                Event::StateChange { from, to } if from == to => {
                    // Only a login replacing a live session "changes" to the same state.
                    let replaced = matches!(events.get(index + 1), Some(Event::Started { replaced: true, .. }));
                    assert!(*to == SessionState::Active && replaced, "state change {from:?} -> {to:?}");
                }
                Event::Warning { cause, remaining_ms, deadline }
                | Event::Countdown { cause, remaining_ms, deadline } => {
                    assert!(*remaining_ms > 0, "a warning with nothing left ({event:?})");
                    let shown_at = deadline.checked_sub(*remaining_ms).expect("remaining time within the deadline");
                    assert!((self.before_now..=now).contains(&shown_at), "{event:?} shown outside the input's time");
                    if matches!(event, Event::Warning { .. }) && *cause == WarningCause::Idle {
                        self.idle_warning_seen = true;
                    }
                }
                Event::Expired { reason: EndReason::Idle, origin: Origin::Local } => {
                    let jumped = self
                        .before_idle
                        .is_some_and(|idle| self.before_now < idle.saturating_sub(config.warn_before_ms));
                    assert!(self.idle_warning_seen || jumped, "idle expiry without a warning and without a jump");
                }
                Event::Expired { reason, .. } => assert!(reason.is_expiry()),
                Event::LoggedOut { reason, .. } => assert!(!reason.is_expiry()),
                Event::RefreshFailed { definitive, retry_at, failures, .. } => {
                    assert!(*failures >= 1);
                    assert_eq!(*definitive, retry_at.is_none(), "{event:?}");
                    assert!(retry_at.is_none_or(|at| at >= now), "a retry in the past ({event:?})");
                }
                _ => {}
            }
            if matches!(event, Event::StateChange { to: SessionState::Active, .. } | Event::Started { .. }) {
                self.idle_warning_seen = false;
            }
        }
        let state = machine.state();
        assert_eq!(machine.end_reason().is_some(), matches!(state, SessionState::Expired | SessionState::LoggedOut));
        if let Some(reason) = machine.end_reason() {
            assert_eq!(reason.is_expiry(), state == SessionState::Expired);
        }
        if state.is_live() {
            let idle = machine.idle_deadline().expect("a live session has an idle deadline");
            let absolute = machine.absolute_deadline().expect("a live session has an absolute deadline");
            assert!(now < idle && now < absolute, "live at {now}, past a deadline (idle {idle}, absolute {absolute})");
            assert!(machine.epoch().is_some() && machine.tokens().is_some());
            assert_eq!(machine.warning().is_some(), state == SessionState::Warning);
            if let Some((cause, deadline)) = machine.warning() {
                assert!(deadline > now, "a warning for a deadline in the past");
                let expected = if cause == WarningCause::Idle { idle } else { absolute };
                assert_eq!(deadline, expected, "the warning shows the wrong deadline");
            }
            let timeout = machine.poll_timeout().expect("a live session has a next deadline");
            assert!(timeout > now, "the next deadline {timeout} is not after {now}");
            assert!(timeout <= idle.min(absolute));
            assert!(machine.remaining_ms() == Some(idle.min(absolute) - now));
            // A refresh that may run and is due has started; otherwise the timer
            // (which only looks forward) would never fire for it.
            let idle_warning = matches!(machine.warning(), Some((WarningCause::Idle, _)));
            if let Some(at) = machine.refresh_due_at().filter(|_| machine.is_online() && !idle_warning) {
                assert!(at > now, "a refresh due at {at} neither started nor has a timer at {now}");
            }
            stored_round_trip(machine);
        } else {
            assert!(machine.access_token().is_none() && machine.tokens().is_none(), "tokens outside a session");
            assert!(machine.epoch().is_none() && !machine.refresh_in_flight());
            // Outside a session, only a "signed in" held for the other tabs'
            // answer has a deadline: the end of its window, never further.
            if let Some(deadline) = machine.next_deadline() {
                assert_eq!(deadline.kind, TimerKind::JoinWindow, "a deadline outside a session");
                assert!(deadline.at > now && deadline.at <= now + JOIN_WINDOW_MS, "a join window of {deadline:?}");
            }
            assert_eq!(machine.stored_session(), None, "a stored session outside a session");
            self.outstanding = None;
            self.pending_locks.clear();
        }
    }
}

/// A live machine's stored session restores in another tab to the same session.
fn stored_round_trip(machine: &Machine) {
    let stored = machine.stored_session().expect("a live session is stored");
    let envelope = decode(&stored).expect("the stored session decodes");
    assert_eq!(envelope.epoch, machine.epoch());
    assert!(matches!(envelope.message, Message::StateResponse(_)));
    let mut other = Machine::new(Setup::new(*machine.config()), id(0xEE), 3);
    let now = machine.now();
    other.restore(now, &stored).unwrap_or_else(|error| panic!("the stored session does not restore: {error:?}"));
    assert_eq!(other.epoch(), machine.epoch(), "restored into another session");
    assert_eq!(other.idle_deadline(), machine.idle_deadline(), "restored with another idle deadline");
    assert!(other.absolute_deadline() >= machine.absolute_deadline(), "a reload shortened the session");
    assert_eq!(other.tokens(), machine.tokens(), "restored with other tokens");
    assert_eq!(other.token_generation(), machine.token_generation());
}
