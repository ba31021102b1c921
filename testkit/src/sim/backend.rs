//! The simulated backend: an oracle independent of the machines it serves.
//!
//! Every login starts a token *family* (one server-side session). Refresh
//! rotates the family's refresh token; presenting a rotated-out one is reuse:
//! the whole family is revoked (RFC 9700 §4.14.2), unless it falls inside an
//! optional reuse grace. The server keeps its own books: every refresh token
//! presented and what it was at that moment, every request in flight (sent and
//! not yet answered), and the deadlines it handed out. The invariant checks
//! read these books, never the machines' view of themselves.

use std::collections::{BTreeMap, VecDeque};

use wasm_session::core::*;

/// How the server answers refresh requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMode {
    /// By its rules, after the drawn server latency.
    Auto,
    /// The test plays the server: requests wait in `pending` for
    /// [`super::Sim::answer_refresh`] (the books are kept all the same).
    Manual,
}

/// One server-side session: a refresh-token family.
#[derive(Debug, Clone)]
pub struct Family {
    /// When the login that started it happened.
    pub login_at: u64,
    /// The refresh token that is valid now.
    pub current: String,
    /// Every rotated-out token: when, and by which request.
    pub rotated_out: BTreeMap<String, (u64, usize)>,
    /// When the family stopped being honoured (reuse, logout), and why.
    pub ended: Option<(u64, FamilyEnd)>,
}

/// Why a family stopped being honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyEnd {
    /// A rotated-out token was presented.
    ReuseDetected,
    /// The client called the logout endpoint.
    LoggedOut,
}

/// What a presented refresh token was when the server saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenVerdict {
    /// The family's current token: rotated now.
    Current,
    /// Rotated out by request `by` (at `at`); inside the reuse grace or not.
    RotatedOut {
        /// The request that rotated it.
        by: usize,
        /// When.
        at: u64,
        /// Whether it came back within the server's reuse grace.
        within_grace: bool,
    },
    /// Its family had already ended.
    FamilyEnded,
    /// Never issued.
    Unknown,
}

/// One refresh token presented to the refresh endpoint.
#[derive(Debug, Clone)]
pub struct Presented {
    /// The simulator's request number.
    pub request: usize,
    /// When the server processed it.
    pub at: u64,
    /// What it was at that moment.
    pub verdict: TokenVerdict,
}

/// Two refresh requests of one family in flight at the server at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    /// The request that was still unanswered.
    pub earlier: usize,
    /// The request that arrived meanwhile.
    pub later: usize,
}

/// A token server with rotation and reuse detection, and the session,
/// keepalive and logout endpoints of a cookie session.
#[derive(Debug)]
pub struct Server {
    /// Answers refresh requests at once ([`ServerMode::Auto`]) or when the test says.
    pub mode: ServerMode,
    /// Lifetime of the access tokens it issues.
    pub token_lifetime: u64,
    /// Tokens are named `at-N` / `rt-N`; this is the next N.
    pub next_token: u64,
    /// Refresh tokens presented again within this long of their rotation get
    /// the family's current tokens instead of a revocation (a grace some
    /// servers offer for lost answers); 0: none.
    pub reuse_grace_ms: u64,
    /// The server's own cap on a session's age, sent with keepalive and
    /// session answers; `None`: it sends no deadline.
    pub session_lifetime: Option<u64>,
    /// The server's own idle timeout, sent as a deadline with keepalive
    /// answers; a keepalive moves it on, and past it the session is gone.
    /// `None`: no idle timeout.
    pub idle_timeout: Option<u64>,
    /// When the server last heard of each family (login, keepalive).
    pub last_contact: BTreeMap<usize, u64>,
    /// Refresh requests processed.
    pub refresh_calls: u32,
    /// Refresh requests that rotated a token.
    pub rotations: u32,
    /// Whether any refresh token was refused (reused, unknown, or of an ended family).
    pub reuse_detected: bool,
    /// The logout calls received, by reason.
    pub logout_calls: Vec<EndReason>,
    /// When keepalives arrived.
    pub keepalives: Vec<u64>,
    /// Manual mode: refresh requests waiting for the test, as (tab, attempt).
    pub pending: VecDeque<(usize, u64)>,
    /// Token families (server sessions), by index.
    pub families: Vec<Family>,
    /// The family of the latest login: the browser's session cookie.
    pub cookie: Option<usize>,
    /// Every refresh token presented, in order.
    pub presented: Vec<Presented>,
    /// Refresh requests sent and not yet answered, with their family.
    in_flight: Vec<(usize, Option<usize>)>,
    /// Most refresh requests in flight at once, all families together.
    pub most_in_flight: usize,
    /// Refresh requests that overlapped another of the same family.
    pub overlaps: Vec<Overlap>,
    /// Absolute deadlines handed out: (family, deadline).
    pub deadlines_sent: Vec<(usize, u64)>,
}

impl Default for Server {
    fn default() -> Server {
        Server::new()
    }
}

impl Server {
    /// A server in automatic mode with five-minute tokens.
    pub fn new() -> Server {
        Server {
            mode: ServerMode::Auto,
            token_lifetime: 5 * super::MIN,
            next_token: 0,
            reuse_grace_ms: 0,
            session_lifetime: None,
            idle_timeout: None,
            last_contact: BTreeMap::new(),
            refresh_calls: 0,
            rotations: 0,
            reuse_detected: false,
            logout_calls: Vec::new(),
            keepalives: Vec::new(),
            pending: VecDeque::new(),
            families: Vec::new(),
            cookie: None,
            presented: Vec::new(),
            in_flight: Vec::new(),
            most_in_flight: 0,
            overlaps: Vec::new(),
            deadlines_sent: Vec::new(),
        }
    }

    /// A login: a new family, its first tokens, and the session cookie.
    pub fn login(&mut self, now: u64) -> (usize, TokenSet) {
        let (current, tokens) = self.issue(now);
        self.families.push(Family { login_at: now, current, rotated_out: BTreeMap::new(), ended: None });
        let family = self.families.len() - 1;
        self.last_contact.insert(family, now);
        self.cookie = Some(family);
        (family, tokens)
    }

    fn issue(&mut self, now: u64) -> (String, TokenSet) {
        let n = self.next_token;
        self.next_token += 1;
        let refresh = format!("rt-{n}");
        let tokens = TokenSet::bearer(&format!("at-{n}"), Some(&refresh), Some(now + self.token_lifetime));
        (refresh, tokens)
    }

    /// The access token issued last.
    pub fn latest_access_token(&self) -> String {
        format!("at-{}", self.next_token.saturating_sub(1))
    }

    /// The family a refresh token belongs to (or the cookie's, for none).
    pub fn family_of(&self, token: Option<&str>) -> Option<usize> {
        match token {
            Some(token) => self.families.iter().position(|f| f.current == token || f.rotated_out.contains_key(token)),
            None => self.cookie,
        }
    }

    /// Whether family `family` is still live (not revoked, not logged out).
    pub fn is_live(&self, family: usize) -> bool {
        self.families.get(family).is_some_and(|f| f.ended.is_none())
    }

    /// A refresh request of `family` reaches the server: it is in flight
    /// until answered. Returns the requests of the same family still in flight.
    pub fn refresh_sent(&mut self, request: usize, family: Option<usize>) -> Vec<usize> {
        let earlier: Vec<usize> =
            self.in_flight.iter().filter(|(_, f)| family.is_some() && *f == family).map(|(r, _)| *r).collect();
        self.overlaps.extend(earlier.iter().map(|&earlier| Overlap { earlier, later: request }));
        self.in_flight.push((request, family));
        self.most_in_flight = self.most_in_flight.max(self.in_flight.len());
        earlier
    }

    /// Marks `request` answered without processing it (manual mode).
    pub fn answered(&mut self, request: usize) {
        self.in_flight.retain(|(r, _)| *r != request);
    }

    /// Processes refresh `request`, which presents `token` (or, for none, the
    /// cookie of `family`).
    pub fn refresh(&mut self, now: u64, request: usize, family: Option<usize>, token: Option<&str>) -> RefreshOutcome {
        self.answered(request);
        self.refresh_calls += 1;
        let verdict = self.judge(now, family, token);
        self.presented.push(Presented { request, at: now, verdict });
        let refused = RefreshOutcome::Failed { failure: RefreshFailure::InvalidGrant, retry_after_ms: None };
        let Some(index) = family else {
            self.reuse_detected = true;
            return refused;
        };
        match verdict {
            TokenVerdict::Current => {
                let (current, tokens) = self.issue(now);
                if let Some(family) = self.families.get_mut(index) {
                    let old = std::mem::replace(&mut family.current, current);
                    family.rotated_out.insert(old, (now, request));
                }
                self.rotations += 1;
                RefreshOutcome::Success(tokens)
            }
            TokenVerdict::RotatedOut { within_grace: true, .. } => {
                // Same family, current token again: no new rotation.
                let current = self.families.get(index).map(|f| f.current.clone()).unwrap_or_default();
                let n = current.trim_start_matches("rt-");
                RefreshOutcome::Success(TokenSet::bearer(
                    &format!("at-{n}"),
                    Some(&current),
                    Some(now + self.token_lifetime),
                ))
            }
            TokenVerdict::RotatedOut { .. } => {
                self.reuse_detected = true;
                self.end_family(now, index, FamilyEnd::ReuseDetected);
                refused
            }
            TokenVerdict::FamilyEnded | TokenVerdict::Unknown => {
                self.reuse_detected = true;
                refused
            }
        }
    }

    fn judge(&self, now: u64, family: Option<usize>, token: Option<&str>) -> TokenVerdict {
        let Some(family) = family.and_then(|f| self.families.get(f)) else { return TokenVerdict::Unknown };
        if family.ended.is_some() {
            return TokenVerdict::FamilyEnded;
        }
        let token = token.unwrap_or(&family.current);
        match family.rotated_out.get(token) {
            None => TokenVerdict::Current,
            Some(&(at, by)) => TokenVerdict::RotatedOut { by, at, within_grace: now < at + self.reuse_grace_ms },
        }
    }

    fn end_family(&mut self, now: u64, family: usize, why: FamilyEnd) {
        if let Some(family) = self.families.get_mut(family) {
            family.ended.get_or_insert((now, why));
        }
    }

    /// The logout endpoint: revokes `family` (of the token, or the cookie's).
    pub fn logout(&mut self, now: u64, reason: EndReason, family: Option<usize>) {
        self.logout_calls.push(reason);
        if let Some(family) = family {
            self.end_family(now, family, FamilyEnd::LoggedOut);
        }
    }

    /// The deadline the server gives the cookie's session, and records it.
    fn deadline(&mut self, family: usize) -> Option<u64> {
        let lifetime = self.session_lifetime?;
        let deadline = self.families.get(family)?.login_at + lifetime;
        self.deadlines_sent.push((family, deadline));
        Some(deadline)
    }

    /// The keepalive endpoint, for the session of the cookie sent.
    pub fn keepalive(&mut self, now: u64, family: Option<usize>) -> KeepaliveOutcome {
        self.keepalives.push(now);
        let idled = |server: &Server, f: usize| {
            let last = server.last_contact.get(&f).copied().unwrap_or(0);
            server.idle_timeout.is_some_and(|timeout| now >= last + timeout)
        };
        match family.filter(|&f| self.is_live(f) && !idled(self, f)) {
            Some(family) => {
                self.last_contact.insert(family, now);
                let idle_deadline = self.idle_timeout.map(|timeout| now + timeout);
                KeepaliveOutcome::Alive { absolute_deadline: self.deadline(family), idle_deadline }
            }
            None => KeepaliveOutcome::Revoked,
        }
    }

    /// The session endpoint, for the session of the cookie sent: signed in,
    /// and until when.
    pub fn session(&mut self, family: Option<usize>) -> Option<(usize, Option<u64>)> {
        let family = family.filter(|&f| self.is_live(f))?;
        Some((family, self.deadline(family)))
    }
}
