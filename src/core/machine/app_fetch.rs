//! The rules of `session.fetch`: which requests get the session's credential,
//! what that credential is, and what a "revoked" answer (by default a 401)
//! means. The shell only sends, waits and returns what it is told.
//!
//! One call, as the shell runs it:
//!
//! 1. [`Machine::credential_allowed`]: no? Send untouched; its 401 is not ours.
//! 2. Wait while a refresh is in flight; send with [`Machine::fetch_credential`].
//! 3. Ask [`Machine::handle_api_answer`] with [`FetchStage::First`]:
//!    - `HandBack` / `EndRevoked`: return the answer;
//!    - `RetryWithNewerToken`: send again, judge with [`FetchStage::Retry`];
//!    - `RefreshThenRetry`: wait for the refresh, ask again with
//!      [`FetchStage::AfterRefresh`] (retry, or hand back if it failed).
//!
//! At most two requests per call: the core never answers `Retry` twice.

use super::super::contract::{csrf_token_unusable, fetch_credential, is_revoked, needs_body, Body, Credential};
use super::super::endpoints::may_send_credential;
use super::super::EpochMs;
use super::types::{ErrorCode, Event, FetchStage, SentWith, Verdict};
use super::Machine;

impl Machine {
    /// Whether `session.fetch` may send the session's credential to the
    /// absolute `url` from a page of `page_origin`: only to the page's own
    /// origin and the configured `apiOrigins`, never to a third party.
    pub fn credential_allowed(&self, url: &str, page_origin: &str) -> bool {
        may_send_credential(&self.transport, url, page_origin)
    }

    /// The credential for an app request with `method`, whose own headers are
    /// named `app_headers` (and whose `credentials` the app set when
    /// `app_credentials`); `csrf_token` is the page's CSRF token, read now.
    /// Also what it was sent with, for [`Machine::handle_api_answer`].
    pub fn fetch_credential(
        &self,
        method: &str,
        app_headers: &[String],
        app_credentials: bool,
        csrf_token: Option<&str>,
    ) -> (Credential, SentWith) {
        let access_token = self.tokens().and_then(|tokens| tokens.access_token.as_ref());
        let credential =
            fetch_credential(&self.transport, method, app_headers, app_credentials, access_token, csrf_token);
        let sent = SentWith { generation: self.token_generation(), app_authorization: credential.app_authorization };
        (credential, sent)
    }

    /// The shell read the page's CSRF token (`None`: the page has none) for a
    /// request with `method`, one of the app's or one the core asked for. A
    /// token that cannot be sent (present, but CR, LF, NUL, beyond Latin-1 or
    /// over 8 KiB: a tossed cookie may be anything) is left out of the request
    /// by [`Machine::fetch_credential`] and `Request::set_csrf_token`, which
    /// never fail for it; it is reported here, once per page, as an
    /// [`Event::Error`] `csrf_token_unusable`. The server then decides.
    pub fn handle_csrf_token(&mut self, now: EpochMs, method: &str, token: Option<&str>) {
        self.catch_up(now);
        if self.transport.csrf.is_some() && !self.csrf_token_reported && csrf_token_unusable(method, token) {
            self.csrf_token_reported = true;
            self.events.push(Event::Error { code: ErrorCode::CsrfTokenUnusable });
        }
    }

    /// Whether [`Machine::handle_api_answer`] needs the body of an answer with
    /// `status` (so the shell reads bodies only when that matters).
    pub fn api_answer_needs_body(&self, status: u16) -> bool {
        needs_body(&self.transport, status)
    }

    /// A `session.fetch` answer with `status` (and `body`, when
    /// [`Machine::api_answer_needs_body`] said so) came back for a request sent
    /// with `sent`, at `stage`. What it means, as a [`Verdict`]:
    ///
    /// - not "revoked" (`revokedStatuses`, `revokedErrorCodes`), no session, or
    ///   the app's own `Authorization`: hand it back untouched;
    /// - first answer, sent with an older token than the current one: retry with the newer;
    /// - first answer, sent with the newest token: with nothing to renew it
    ///   (cookie mode) the session ends as revoked; if a refresh cannot start
    ///   now (offline, the user idle in the warning) hand it back and let the
    ///   session's own timers decide; otherwise refresh (one refresh for all
    ///   tabs and calls), then retry;
    /// - after that refresh: retry if it brought a newer token, else hand back
    ///   (it failed: the session has ended or will retry on its own);
    /// - the retry's answer still "revoked": the session ends everywhere as revoked.
    pub fn handle_api_answer(
        &mut self,
        now: EpochMs,
        stage: FetchStage,
        sent: SentWith,
        status: u16,
        body: Option<&Body>,
    ) -> Verdict {
        let now = self.catch_up(now);
        if sent.app_authorization || !is_revoked(&self.transport, status, body) {
            return Verdict::HandBack;
        }
        let Some(current) = self.token_generation() else { return Verdict::HandBack };
        let newer = Some(current) != sent.generation;
        match stage {
            FetchStage::First if newer => Verdict::RetryWithNewerToken,
            FetchStage::First if !self.can_refresh() => {
                self.handle_revoked(now);
                Verdict::EndRevoked
            }
            FetchStage::First if self.refresh_now(now) => Verdict::RefreshThenRetry,
            FetchStage::First => Verdict::HandBack,
            FetchStage::AfterRefresh if newer => Verdict::RetryWithNewerToken,
            FetchStage::AfterRefresh => Verdict::HandBack,
            FetchStage::Retry => {
                self.handle_revoked(now);
                Verdict::EndRevoked
            }
        }
    }
}
