//! The refresh of the current tokens: when it is due, the cross-tab lock, the
//! request (or the app's `refresh` function), and what its outcome does.

use super::super::config::Config;
use super::super::contract::session_refresh_request;
use super::super::note::GenerationNote;
use super::super::protocol::{EndReason, Message};
use super::super::refresh::{backoff_delay, refresh_due_at, RefreshFailure, RefreshOutcome};
use super::super::tokens::Secret;
use super::super::{EpochMs, Millis};
use super::live::{Jitter, Live, Phase, Refresh, State};
use super::requests::Pending;
use super::types::{Effect, Event, Origin, Purpose, WarningCause};
use super::Machine;

/// How long a released refresh lock is still held. The new tokens are
/// broadcast just before the release; the lock and the message travel
/// different paths between tabs, so this keeps the next holder from looking
/// before the tokens arrived. Where IndexedDB works, the generation note
/// guards rotation in every ordering and this hold only spares the next holder
/// a wasted grant; without it, the rotation-safety claim rests on this hold
/// (SECURITY.md, "Refresh-token rotation races").
pub const LOCK_SETTLE_MS: Millis = 50;

/// How soon a tab whose grant found it behind the generation note asks for
/// the lock again, if the newer tokens have not reached it by then. The new
/// tokens end the wait as soon as they arrive (a `refreshed` message, or an
/// answer to the state request it sent); this only paces the re-checks.
pub const NOTE_RETRY_MS: Millis = 100;

/// How long a tab behind the generation note waits for the newer tokens
/// before it ends the session (reason `refreshFailed`) rather than present its
/// rotated-out refresh token: the tab that has them closed, or every message
/// was lost. A message takes milliseconds; 5 s covers a busy or throttled
/// tab's answer and still ends well before most access tokens expire.
pub const NOTE_WAIT_MS: Millis = 5_000;

/// What renews the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Renewal {
    /// The app's `refresh` function.
    Hook,
    /// The refresh endpoint.
    Endpoint,
    /// Nothing: tokens that expire end the session when they are due.
    Nothing,
}

impl Machine {
    /// Whether anything can renew the credential: a `refresh` function or endpoint.
    pub fn can_refresh(&self) -> bool {
        self.renewal() != Renewal::Nothing
    }

    pub(super) fn renewal(&self) -> Renewal {
        if self.refresh_hook {
            Renewal::Hook
        } else if self.transport.refresh.is_some() {
            Renewal::Endpoint
        } else {
            Renewal::Nothing
        }
    }

    /// The cross-tab lock for `attempt` was granted (for a refresh, or for
    /// sending an owed logout again), and the shell read the generation note
    /// (`None`: none stored, unreadable, or no IndexedDB).
    /// A tab whose tokens are behind the note does not refresh: its refresh
    /// token was rotated out by another tab, whose new tokens are on their way
    /// (or a later session refreshed, which replaces this one).
    pub fn handle_lock_acquired(&mut self, now: EpochMs, attempt: u64, note: Option<GenerationNote>) {
        let now = self.catch_up(now);
        if self.resend_lock_granted(attempt) || self.keepalive_lock_granted(now, attempt) {
            return;
        }
        let allowed = self.live().is_some_and(|live| self.refresh_allowed(live));
        let (mut send, mut behind) = (false, None);
        if let State::Live(live) = &mut self.state {
            if let Refresh::AwaitingLock { attempt: current, generation, failures } = live.refresh {
                if current == attempt {
                    live.refresh = if live.generation != generation {
                        // Another tab refreshed while we waited: adopt, don't repeat.
                        Self::schedule(&self.config, &mut self.jitter, live)
                    } else if !allowed {
                        // Offline, or an idle user: refresh when that ends.
                        Refresh::Due { at: now, failures }
                    } else if note.is_some_and(|note| note.is_ahead_of(live.epoch, live.started_at, live.generation)) {
                        behind = Some(failures);
                        Refresh::Due { at: now.saturating_add(NOTE_RETRY_MS), failures }
                    } else {
                        send = true;
                        Refresh::InFlight { attempt, failures }
                    };
                }
            }
        }
        if send {
            self.send_refresh(now, attempt);
        } else if let Some(failures) = behind {
            self.wait_for_newer_tokens(now, attempt, failures);
        } else {
            self.release_lock(attempt);
        }
        // The adopted tokens may already be due (found by fuzzing: without this
        // the refresh waited, with no timer, for the next unrelated input).
        self.advance(now);
    }

    /// A grant found this tab behind the generation note: let the lock go at
    /// once, ask the other tabs for the session (their answer carries the
    /// newer tokens), and ask for the lock again in [`NOTE_RETRY_MS`]; after
    /// [`NOTE_WAIT_MS`] without the tokens, end the session rather than
    /// present the rotated-out refresh token.
    /// `failures`: its refresh's failures so far. The session and generation
    /// it waits beyond are the live ones, read in place.
    fn wait_for_newer_tokens(&mut self, now: EpochMs, attempt: u64, failures: u32) {
        self.release_lock_until(attempt, now, None);
        let State::Live(live) = &self.state else { return };
        let since = match &self.behind_note {
            Some((e, g, since)) if *e == live.epoch && *g == live.generation => *since,
            _ => now,
        };
        self.behind_note = Some((live.epoch, live.generation, since));
        if now.saturating_sub(since) >= NOTE_WAIT_MS {
            let failures = failures.saturating_add(1);
            let code = "rotated_elsewhere";
            self.events.push(Event::RefreshFailed { code, definitive: true, retry_at: None, failures });
            self.end(EndReason::RefreshFailed, Origin::Local);
            return;
        }
        self.ask_state();
    }

    /// Sends refresh `attempt` the way the app chose: its `refresh` function or
    /// the refresh endpoint.
    fn send_refresh(&mut self, now: EpochMs, attempt: u64) {
        let Some(live) = self.live() else { return };
        let refresh_token = &live.tokens.refresh_token;
        if self.refresh_hook {
            let refresh_token = refresh_token.clone();
            self.requests.insert(attempt, Pending::Refresh);
            self.effects.push(Effect::CallRefreshHook { id: attempt, refresh_token });
            return;
        }
        let token = refresh_token.as_ref().map(Secret::expose);
        match session_refresh_request(&self.transport, token, live.remember_me) {
            Some(request) => self.send(attempt, Pending::Refresh, Purpose::Refresh, request),
            // Tokens that expire but no way to refresh them: the session
            // ends now (reason refreshFailed), rather than run on expired ones.
            None => {
                let failure = RefreshFailure::Status(0);
                self.refresh_result(now, attempt, RefreshOutcome::Failed { failure, retry_after_ms: None });
            }
        }
    }

    /// A live session joined or started without an access token (or one the
    /// server's answer asks to `verify` by refreshing) refreshes for one now,
    /// if it can.
    pub(super) fn refresh_for_token(&mut self, now: EpochMs, verify: bool) {
        if self.can_refresh() && self.state().is_live() && (verify || self.access_token().is_none()) {
            self.refresh_now(now);
        }
    }

    /// Refresh now if nothing is in flight (e.g. an API call got a 401). Returns
    /// whether a refresh is now under way.
    pub fn refresh_now(&mut self, now: EpochMs) -> bool {
        let now = self.catch_up(now);
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

    /// Refresh `attempt` ended with `outcome`. A result for any attempt but the
    /// one in flight is stale and ignored (the lock is released all the same).
    pub(super) fn refresh_result(&mut self, now: EpochMs, attempt: u64, mut outcome: RefreshOutcome) {
        let now = self.catch_up(now);
        let State::Live(live) = &mut self.state else {
            self.release_lock(attempt);
            return;
        };
        let failures = match live.refresh {
            Refresh::InFlight { attempt: current, failures } if current == attempt => failures,
            _ => {
                self.release_lock(attempt);
                return;
            }
        };
        match &mut outcome {
            RefreshOutcome::Success(tokens) if live.tokens.identity.conflicts(&tokens.identity) => {
                // New tokens for somebody else: not taken, not shared.
                self.release_lock(attempt);
                self.user_changed();
            }
            RefreshOutcome::Success(tokens) => {
                let (_, idle, absolute) = tokens.take_session_word();
                live.take_word(now, absolute, idle);
                let mut old = live.take_tokens(tokens, live.generation.saturating_add(1), now);
                let new = &mut live.tokens.refresh_token;
                if old.is_some() && (new.is_none() || *new == old) {
                    // Not rotated: the server gave the same one, or none.
                    self.refresh_token_reused = true;
                }
                if new.is_none() {
                    // RFC 6749 §6: no new refresh token means keep using the old one.
                    core::mem::swap(new, &mut old);
                }
                live.refresh = Self::schedule(&self.config, &mut self.jitter, live);
                let message =
                    Message::Refreshed { tokens: live.tokens.clone(), generation: live.generation, received_at: now };
                let expires_at = live.tokens.expires_at;
                let note =
                    GenerationNote { epoch: live.epoch, started_at: live.started_at, generation: live.generation };
                let epoch = live.epoch;
                // Share before releasing the lock, so the next holder sees it;
                // the note is committed before the lock goes, so the next
                // holder knows of the rotation even if the message is late.
                self.broadcast(&epoch, message);
                self.release_lock_until(attempt, self.now.saturating_add(LOCK_SETTLE_MS), Some(note));
                self.events.push(Event::Refreshed { expires_at, origin: Origin::Local });
            }
            RefreshOutcome::Failed { failure, retry_after_ms } => {
                let (failure, retry_after_ms) = (*failure, *retry_after_ms);
                let failures = failures.saturating_add(1);
                let retry_at = failure.is_retryable().then(|| {
                    let delay = backoff_delay(&self.config, failures, self.jitter.next(), retry_after_ms);
                    now.saturating_add(delay)
                });
                if let Some(at) = retry_at {
                    live.refresh = Refresh::Due { at, failures };
                }
                self.release_lock(attempt);
                let definitive = retry_at.is_none();
                self.events.push(Event::RefreshFailed { code: failure.code(), definitive, retry_at, failures });
                if definitive {
                    // 401/403: the server no longer honours the session (revoked,
                    // force logout); anything else: the refresh token was refused.
                    let reason = if matches!(failure, RefreshFailure::Status(401 | 403)) {
                        EndReason::Revoked
                    } else {
                        EndReason::RefreshFailed
                    };
                    self.end(reason, Origin::Server);
                }
            }
        }
        self.advance(now);
    }

    /// Gives up the lock for `attempt`, holding a held one for [`LOCK_SETTLE_MS`].
    pub(super) fn release_lock(&mut self, attempt: u64) {
        self.release_lock_until(attempt, self.now.saturating_add(LOCK_SETTLE_MS), None);
    }

    /// Gives up the lock for `attempt`, holding a held one until `hold_until`
    /// (and until `note` is written).
    fn release_lock_until(&mut self, attempt: u64, hold_until: EpochMs, note: Option<GenerationNote>) {
        self.effects.push(Effect::ReleaseRefreshLock { attempt, hold_until, note });
    }

    pub(super) fn refresh_allowed(&self, live: &Live) -> bool {
        // An idle user must not be kept signed in by token refresh.
        let idle_warning = matches!(live.phase, Phase::Warning { cause: WarningCause::Idle, .. });
        self.online && !idle_warning
    }

    pub(super) fn schedule(config: &Config, jitter: &mut Jitter, live: &Live) -> Refresh {
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

    pub(super) fn start_refresh_if_due(&mut self, now: EpochMs) {
        let allowed = match self.live() {
            Some(live) => self.refresh_allowed(live),
            None => return,
        };
        let State::Live(live) = &mut self.state else { return };
        if let Refresh::Due { at, failures } = live.refresh {
            if allowed && now >= at {
                let attempt = super::server::next_id(&mut self.next_id);
                live.refresh = Refresh::AwaitingLock { attempt, generation: live.generation, failures };
                self.effects.push(Effect::AcquireRefreshLock { attempt });
            }
        }
    }

    /// Lets go of the refresh of a session that is ending or being replaced:
    /// the lock is released and a late answer will be ignored.
    pub(super) fn abandon_refresh(&mut self, live: &Live) {
        if let Refresh::AwaitingLock { attempt, .. } | Refresh::InFlight { attempt, .. } = live.refresh {
            self.requests.take_if(attempt, Pending::Refresh);
            self.release_lock(attempt);
        }
    }
}
