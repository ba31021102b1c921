//! The adapter between the machine's I/O surface and the simulated browser:
//! the only code that reads an [`Effect`] or feeds an answer back. Requests
//! leave as [`Effect::Fetch`] (read here by purpose, the refresh token from
//! the request body, as a server would) and answers come back as the HTTP
//! answers a server gives ([`FetchAnswer`] with a status and a JSON body), so
//! the simulator exercises the core's endpoint contract end to end.

use crate::json::{self, Value};
use wasm_session::core::*;

/// A request to the backend, as the sim sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// A refresh request.
    Refresh {
        /// The refresh token it presented (`None`: the cookie's).
        token: Option<String>,
    },
    /// A keepalive request.
    Keepalive,
    /// A logout request.
    Logout {
        /// Why the session ended.
        reason: EndReason,
        /// The refresh token it presented, if any.
        token: Option<String>,
    },
    /// The session endpoint ([`Machine::check_session`]).
    SessionCheck,
}

/// What the server (or the network) answered, before the adapter turns it
/// into an HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An answer to a refresh request.
    Refresh(RefreshOutcome),
    /// An answer to a keepalive.
    Keepalive(KeepaliveOutcome),
    /// Signed in until the deadline, if any; `None`: signed out.
    Session(Option<Option<u64>>),
    /// No answer: network down (`Network`) or the shell's timeout (`Timeout`).
    Failed(RefreshFailure),
    /// Nothing to report (logout).
    Done,
}

/// What the simulated shell does for one effect.
// Short-lived, one at a time: boxing the envelope would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Action {
    Post(Envelope),
    AskLock(u64),
    Release { attempt: u64, hold_until: u64, note: Option<GenerationNote> },
    Send { id: u64, call: Call },
    Wipe,
    Nothing,
}

/// Maps an effect to the shell's action.
pub(super) fn interpret(effect: Effect) -> Action {
    match effect {
        Effect::Broadcast(envelope) => Action::Post(envelope),
        Effect::AcquireRefreshLock { attempt } => Action::AskLock(attempt),
        Effect::ReleaseRefreshLock { attempt, hold_until, note } => Action::Release { attempt, hold_until, note },
        Effect::Fetch { id, purpose, request } => {
            let call = match purpose {
                Purpose::Refresh => Call::Refresh { token: body_token(&request) },
                Purpose::Keepalive => Call::Keepalive,
                Purpose::SessionCheck => Call::SessionCheck,
                Purpose::Logout(reason) => Call::Logout { reason, token: body_token(&request) },
                // An owed logout sent again: the logout endpoint, cookies only.
                Purpose::ResendLogout => Call::Logout { reason: EndReason::User, token: None },
            };
            Action::Send { id, call }
        }
        // The sim's tabs use the refresh endpoint; an app's `refresh`
        // function would present the same token to the same server.
        Effect::CallRefreshHook { id, refresh_token } => {
            Action::Send { id, call: Call::Refresh { token: refresh_token.map(|t| t.expose().to_owned()) } }
        }
        Effect::Persist(_) | Effect::SaveTombstones(_) | Effect::Keep(_) => Action::Nothing,
        Effect::WipeStorage => Action::Wipe,
    }
}

/// The refresh token a request body carries (`refresh_token`, JSON).
fn body_token(request: &Request) -> Option<String> {
    let body = json::parse(request.body.as_deref()?).ok()?;
    body.get("refresh_token").and_then(Value::as_str).map(str::to_owned)
}

/// Reports the answer to request `id` as the shell does: an HTTP answer (or
/// none) to [`Machine::handle_fetch_answer`], which reads it by purpose.
pub(super) fn hand_back(machine: &mut Machine, now: u64, id: u64, answer: Answer) {
    machine.handle_fetch_answer(now, id, http_answer(answer));
}

fn object(members: Vec<(&str, Option<Value>)>) -> Body {
    let members = members.into_iter().filter_map(|(name, value)| Some((name.to_owned(), value?))).collect();
    Body::Json(Value::Object(members))
}

fn ms(at: u64) -> Value {
    Value::Number(at as f64)
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// What a server says on the wire for `answer`.
fn http_answer(answer: Answer) -> FetchAnswer {
    let response = |status, body| FetchAnswer::Response(Response::new(status, body));
    match answer {
        Answer::Refresh(RefreshOutcome::Success(tokens)) => {
            let token = |t: &Option<Secret>| t.as_ref().map(|t| text(t.expose()));
            response(
                200,
                object(vec![
                    ("access_token", token(&tokens.access_token)),
                    ("refresh_token", token(&tokens.refresh_token)),
                    ("expires_at", tokens.expires_at.map(ms)),
                ]),
            )
        }
        Answer::Refresh(RefreshOutcome::Failed { failure, retry_after_ms }) => {
            let mut answer = match failure {
                RefreshFailure::Network => return FetchAnswer::Network,
                RefreshFailure::Timeout => return FetchAnswer::Timeout,
                RefreshFailure::Redirected => return FetchAnswer::Redirected,
                RefreshFailure::InvalidGrant => {
                    Response::new(400, object(vec![("error", Some(text("invalid_grant")))]))
                }
                RefreshFailure::Status(status) => Response::new(status, Body::Empty),
                RefreshFailure::BadResponse => Response::new(200, Body::NotJson),
                other => panic!("the adapter has no answer for {other:?}"),
            };
            answer.retry_after =
                retry_after_ms.map(|ms| RetryAfter { text: ms.div_ceil(1000).to_string(), date: None });
            FetchAnswer::Response(answer)
        }
        Answer::Keepalive(KeepaliveOutcome::Alive { absolute_deadline, idle_deadline }) => response(
            200,
            object(vec![
                ("absolute_expires_at", absolute_deadline.map(ms)),
                ("idle_expires_at", idle_deadline.map(ms)),
            ]),
        ),
        Answer::Keepalive(KeepaliveOutcome::Revoked) => response(401, Body::Empty),
        Answer::Keepalive(KeepaliveOutcome::Failed) => response(503, Body::Empty),
        Answer::Session(Some(absolute_deadline)) => response(
            200,
            object(vec![("signedIn", Some(Value::Bool(true))), ("absolute_expires_at", absolute_deadline.map(ms))]),
        ),
        Answer::Session(None) => response(200, object(vec![("signedIn", Some(Value::Bool(false)))])),
        Answer::Failed(RefreshFailure::Timeout) => FetchAnswer::Timeout,
        Answer::Failed(_) => FetchAnswer::Network,
        Answer::Done => response(204, Body::Empty),
    }
}
