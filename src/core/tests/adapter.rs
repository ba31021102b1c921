//! The adapter between the machine's I/O surface and the simulated browser:
//! the only code that reads an [`Effect`] or feeds an answer back. When the
//! machine's network surface changes (one `Fetch` effect, answers through one
//! input), only this file changes.

use crate::core::*;

/// A request to the backend, as the sim sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Refresh {
        token: Option<String>,
    },
    Keepalive,
    Logout {
        reason: EndReason,
        token: Option<String>,
    },
    /// The shell's session check (`check_session` in src/api.rs).
    SessionCheck,
}

/// What the server (or the network) answered, before the adapter hands it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Refresh(RefreshOutcome),
    Keepalive(KeepaliveOutcome),
    /// Signed in until the deadline, if any; `None`: signed out.
    Session(Option<Option<u64>>),
    /// No answer: network down or timeout.
    Failed(RefreshFailure),
    /// Nothing to report (logout).
    Done,
}

/// What the simulated shell does for one effect.
pub(super) enum Action {
    Post(Envelope),
    AskLock(u64),
    Release { attempt: u64, hold_until: u64 },
    Send { attempt: u64, call: Call },
    Wipe,
}

/// Maps an effect to the shell's action. Today the shell decides the lock
/// hold (`LOCK_SETTLE_MS`, passed in as `hold`).
pub(super) fn interpret(effect: Effect, now: u64, hold: u64) -> Action {
    let expose = |token: Option<Secret>| token.as_ref().map(|t| t.expose().to_owned());
    match effect {
        Effect::Broadcast(envelope) => Action::Post(envelope),
        Effect::AcquireRefreshLock { attempt } => Action::AskLock(attempt),
        Effect::ReleaseRefreshLock { attempt } => Action::Release { attempt, hold_until: now + hold },
        Effect::SendRefresh { attempt, refresh_token } => {
            Action::Send { attempt, call: Call::Refresh { token: expose(refresh_token) } }
        }
        Effect::SendKeepalive { attempt } => Action::Send { attempt, call: Call::Keepalive },
        Effect::CallLogout { reason, tokens } => {
            Action::Send { attempt: 0, call: Call::Logout { reason, token: expose(tokens.refresh_token) } }
        }
        Effect::WipeStorage => Action::Wipe,
    }
}

/// Reports the answer to a request (its attempt and call) as the shell does, including
/// the shell's session-check rules (`check_session` in src/api.rs). `fresh` is
/// the epoch the shell draws for a session the check starts.
pub(super) fn hand_back(
    machine: &mut Machine,
    now: u64,
    (attempt, call): (u64, &Call),
    answer: Answer,
    fresh: Epoch,
    can_refresh: bool,
) {
    match (call, answer) {
        (_, Answer::Refresh(outcome)) => machine.handle_refresh_result(now, attempt, outcome),
        (_, Answer::Keepalive(outcome)) => machine.handle_keepalive_result(now, attempt, outcome),
        (Call::Refresh { .. }, Answer::Failed(failure)) => {
            machine.handle_refresh_result(now, attempt, RefreshOutcome::Failed { failure, retry_after_ms: None })
        }
        (Call::Keepalive, Answer::Failed(_)) => machine.handle_keepalive_result(now, attempt, KeepaliveOutcome::Failed),
        (Call::SessionCheck, Answer::Failed(_)) => machine.handle_session_check(now, fresh, SessionCheck::Unknown),
        (_, Answer::Session(signed_in)) => {
            // Bearer mode: "signed out" is not proof (the refresh cookie it
            // carried may have been rotated a moment later); refresh decides.
            let (check, verify) = match signed_in {
                Some(absolute_deadline) => (SessionCheck::SignedIn { absolute_deadline }, false),
                None if can_refresh => (SessionCheck::Unknown, true),
                None => (SessionCheck::SignedOut, false),
            };
            machine.handle_session_check(now, fresh, check);
            if can_refresh && machine.state().is_live() && (machine.access_token().is_none() || verify) {
                machine.refresh_now(now);
            }
        }
        (Call::Logout { .. }, Answer::Failed(_)) | (_, Answer::Done) => {}
    }
}
