//! The endpoint contract, seen from the core: the requests to send and what
//! their answers mean (see docs/CONTRACT.md).
//!
//! - [`requests`]: the refresh, keepalive, session and logout requests, and the
//!   credential `session.fetch` adds; the anti-CSRF header rule.
//! - [`answers`]: reading refresh, keepalive and session answers, the app's
//!   `refresh` function's result, and whether an API answer means "revoked".
//!
//! The endpoints themselves are configured in [`super::endpoints`]; the server
//! clock and the encodings (JWT, form and JSON bodies) are in [`encodings`].

pub mod answers;
pub mod encodings;
pub mod requests;

pub use answers::{
    is_revoked, needs_body, read_hook_result, read_refresh_response, read_session_response, read_tokens, Body,
    FetchAnswer, HookResult, Response, RetryAfter, SessionAnswer,
};
pub use requests::{
    csrf_header, csrf_token_unusable, fetch_credential, is_state_changing, keepalive_request, logout_requests,
    refresh_request, session_refresh_request, session_request, Credential, Request,
};
