//! The invariants of a multi-tab run, checked against the books of the server
//! and of the test itself (who logged in when, who was active when), never
//! against a machine's own view of its deadlines.
//!
//! The simulator notes what it sees as it happens ([`Sim::note_send`] and
//! friends); [`check_live`] and [`check_converged`] look at a moment. What
//! the browser's primitives cannot prevent at all (a rotation whose answer was
//! lost with a closed tab or a timeout) is a [`Window`], not a violation: the
//! tests check that it fails closed.

use std::collections::BTreeMap;

use super::backend::TokenVerdict;
use super::{Answer, Call, Fate, Sim};
use wasm_session::core::*;

/// Which rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// At most one refresh request of a live session in flight at the server.
    /// One whose answer the shell will never hand back does not count (see
    /// [`Window`]); one the machine abandoned counts while its tab is still
    /// live with the epoch it sent it for. A session the server ended, or that
    /// a logout already sent is ending, has nothing to protect.
    OneRefreshInFlight,
    /// No refresh token is presented after a tab accepted its replacement.
    NoRotatedOutToken,
    /// No refresh token is presented that the server never issued.
    NoUnknownToken,
    /// A tab is never live again with an epoch it ended.
    EndedEpochStaysEnded,
    /// A tab never joins a session another tab told it had ended.
    NoJoinAfterLogout,
    /// A session check does not start a session the user already ended: not
    /// with an answer to a check sent before the tab's session ended, nor
    /// with one the server gave before a logout already sent reached it.
    NoRevivalByLateAnswer,
    /// No refresh request leaves a tab that shows the idle warning.
    NoRefreshDuringIdleWarning,
    /// Nothing is live at or past login + `absoluteTimeoutMs`.
    AbsoluteDeadline,
    /// Nothing is live at or past the latest real activity + `idleTimeoutMs`.
    IdleDeadline,
    /// Nothing is live at or past a deadline the server gave.
    ServerDeadline,
    /// When nothing is in transit, the live tabs of a session hold one token
    /// generation: the server's current one, unless a rotation was lost.
    Converged,
    /// After a quiet spell long enough for every live tab to contact the
    /// server, no tab is live on a session the server ended and that the
    /// server told it so (an answer to a request sent after the end arrived).
    FailedClosed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// A broken rule, with where and when.
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// When it broke.
    pub at: u64,
    /// The tab it broke in.
    pub tab: usize,
    /// What happened.
    pub detail: String,
}

/// What the browser cannot prevent, seen in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A refresh request overlapped one whose answer was lost (timeout, closed tab).
    OrphanOverlap {
        /// The request whose answer was lost.
        earlier: usize,
        /// The request that overlapped it.
        later: usize,
    },
    /// A token was presented whose rotation no tab ever received.
    LostRotationPresented {
        /// The request that presented the token.
        request: usize,
        /// The request that rotated it.
        rotated_by: usize,
    },
    /// A token was presented after the tab that received its rotation closed
    /// during its hold: the browser frees a closing tab's lock at once, so the
    /// next tab can be granted before the new tokens reach it.
    HolderClosedBeforeHandOver {
        /// The request that presented the token.
        request: usize,
        /// The request that rotated it.
        rotated_by: usize,
    },
}

/// How a session began, in the test's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Login {
    /// When it began.
    pub at: u64,
    /// The server's session (token family).
    pub family: usize,
    /// Started by the answer to a session check: (tab, when it was sent).
    pub check: Option<(usize, u64)>,
}

/// What a tab showed and held, observed from outside.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The idle warning shows (from the events the tab emitted).
    pub idle_warning: bool,
    /// The epoch it is live with.
    pub live: Option<Epoch>,
    /// Epochs it was live with and left, and when.
    pub ended: Vec<(Epoch, u64)>,
    /// Epochs another tab told it had ended.
    pub heard_ended: Vec<Epoch>,
    /// When the tab was closed.
    pub closed_at: Option<u64>,
}

impl Observed {
    /// Updates the observation with an event the tab emitted.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Warning { cause, .. } => self.idle_warning = *cause == WarningCause::Idle,
            Event::StateChange { to, .. } if *to != SessionState::Warning => self.idle_warning = false,
            Event::Started { .. } => self.idle_warning = false,
            _ => {}
        }
    }
}

/// The test's own books, and what the checks found.
#[derive(Debug, Default)]
pub struct Records {
    /// Every login, by epoch.
    pub logins: BTreeMap<Epoch, Login>,
    /// The latest real activity in a tab live with the epoch.
    pub activity: BTreeMap<Epoch, u64>,
    /// Refresh requests whose new tokens a tab accepted, and when.
    pub accepted: BTreeMap<usize, u64>,
    /// Deadlines the server gave that reached a tab: family → earliest.
    pub server_deadlines: BTreeMap<usize, u64>,
    /// Rules found broken.
    pub violations: Vec<Violation>,
    /// Windows the browser cannot close, seen so far.
    pub windows: Vec<Window>,
    /// Epochs live again after they ended (see [`Rule::EndedEpochStaysEnded`]
    /// and [`Rule::NoRevivalByLateAnswer`]): not reported again as `FailedClosed`.
    pub revived: Vec<Epoch>,
}

impl Sim {
    fn violation(&mut self, rule: Rule, tab: usize, detail: String) {
        let at = self.now;
        self.records.violations.push(Violation { rule, at, tab, detail });
    }

    /// A request leaves `tab`.
    pub(super) fn note_send(&mut self, request: usize) {
        let tab = self.requests[request].tab;
        if matches!(self.requests[request].call, Call::Refresh { .. }) && self.tabs[tab].seen.idle_warning {
            self.violation(Rule::NoRefreshDuringIdleWarning, tab, format!("request {request}"));
        }
    }

    /// Refresh `later` reached the server while `earlier` were unanswered.
    pub(super) fn note_overlaps(&mut self, later: usize, earlier: &[usize]) {
        let family = self.requests[later].family;
        let logging_out = self.requests.iter().any(|r| matches!(r.call, Call::Logout { .. }) && r.family == family);
        if logging_out || family.is_some_and(|f| !self.server.is_live(f)) {
            return;
        }
        for &earlier in earlier {
            let other = &self.requests[earlier];
            let counts = match other.fate {
                Fate::Out => true,
                Fate::Released => other.epoch.is_some() && self.tabs[other.tab].seen.live == other.epoch,
                Fate::Answered | Fate::Lost => false,
            };
            if counts {
                let tab = self.requests[later].tab;
                self.violation(Rule::OneRefreshInFlight, tab, format!("requests {earlier} and {later}"));
            } else if other.fate == Fate::Lost {
                self.records.windows.push(Window::OrphanOverlap { earlier, later });
            }
        }
    }

    /// An answer reaches its tab, which still waits for it.
    pub(super) fn note_answer(&mut self, request: usize, answer: &Answer) {
        let Some(family) = self.requests[request].family else { return };
        if let Answer::Session(Some(deadline))
        | Answer::Keepalive(KeepaliveOutcome::Alive { absolute_deadline: deadline, .. }) = answer
        {
            if let Some(deadline) = *deadline {
                let earliest = self.records.server_deadlines.entry(family).or_insert(deadline);
                *earliest = (*earliest).min(deadline);
            }
        }
        if let (Answer::Session(Some(_)), Some(epoch)) = (answer, self.requests[request].starts) {
            let check = Some((self.requests[request].tab, self.requests[request].sent_at));
            self.records.logins.entry(epoch).or_insert(Login { at: self.now, family, check });
        }
    }

    /// After the machine took `answer`: did it keep the new tokens?
    pub(super) fn note_accepted(&mut self, request: usize, answer: &Answer) -> bool {
        let Answer::Refresh(RefreshOutcome::Success(tokens)) = answer else { return false };
        let tab = self.requests[request].tab;
        let held = self.tabs[tab].machine.tokens().and_then(|t| t.refresh_token.clone());
        let accepted = held.is_some() && held == tokens.refresh_token;
        if accepted {
            self.records.accepted.entry(request).or_insert(self.now);
        }
        accepted
    }

    /// Notes whether `tab` started or left a session with its last input.
    pub(super) fn observe(&mut self, tab: usize) {
        let machine = &self.tabs[tab].machine;
        let live = machine.epoch().filter(|_| machine.state().is_live());
        let before = self.tabs[tab].seen.live;
        if before == live {
            return;
        }
        let now = self.now;
        if let Some(old) = before {
            self.tabs[tab].seen.ended.push((old, now));
        }
        self.tabs[tab].seen.live = live;
        let Some(epoch) = live else { return };
        if self.tabs[tab].seen.ended.iter().any(|(e, _)| *e == epoch) {
            self.records.revived.push(epoch);
            self.violation(Rule::EndedEpochStaysEnded, tab, format!("{epoch:?}"));
        } else if self.tabs[tab].seen.heard_ended.contains(&epoch) {
            self.records.revived.push(epoch);
            self.violation(Rule::NoJoinAfterLogout, tab, format!("{epoch:?}"));
        }
        if let Some(Login { check: Some((by, sent_at)), family, .. }) = self.records.logins.get(&epoch).copied() {
            let ended_since = self.tabs[tab].seen.ended.iter().any(|(_, at)| *at >= sent_at);
            let logout_sent =
                self.requests.iter().any(|r| matches!(r.call, Call::Logout { .. }) && r.family == Some(family));
            if by == tab && (ended_since || logout_sent) {
                self.records.revived.push(epoch);
                self.violation(Rule::NoRevivalByLateAnswer, tab, format!("a check sent at {sent_at}"));
            }
        }
    }

    /// Every presented token, judged: a violation if a tab had accepted its
    /// replacement before the request left, a window if no tab ever did.
    fn judge_presentations(&self) -> (Vec<Violation>, Vec<Window>) {
        let (mut violations, mut windows) = (Vec::new(), Vec::new());
        for presented in &self.server.presented {
            let request = &self.requests[presented.request];
            let detail = format!("request {} at {}", presented.request, presented.at);
            let violation = |rule| Violation { rule, at: presented.at, tab: request.tab, detail: detail.clone() };
            let (request_id, sent_at) = (presented.request, request.sent_at);
            match presented.verdict {
                TokenVerdict::RotatedOut { by, within_grace: false, .. } => match self.records.accepted.get(&by) {
                    Some(&accepted) if accepted <= sent_at => {
                        let holder = self.requests[by].tab;
                        let closed = self.tabs[holder].seen.closed_at.is_some_and(|at| at >= accepted && at <= sent_at);
                        if closed {
                            windows.push(Window::HolderClosedBeforeHandOver { request: request_id, rotated_by: by });
                        } else {
                            violations.push(violation(Rule::NoRotatedOutToken));
                        }
                    }
                    Some(_) => {}
                    None => windows.push(Window::LostRotationPresented { request: request_id, rotated_by: by }),
                },
                TokenVerdict::Unknown => violations.push(violation(Rule::NoUnknownToken)),
                TokenVerdict::Current | TokenVerdict::RotatedOut { .. } | TokenVerdict::FamilyEnded => {}
            }
        }
        (violations, windows)
    }

    /// Everything found so far, the presented tokens included.
    pub fn violations(&self) -> Vec<Violation> {
        let mut all = self.records.violations.clone();
        all.extend(self.judge_presentations().0);
        all
    }

    /// The windows seen, with those judged from the presented tokens.
    pub fn windows(&self) -> Vec<Window> {
        let mut all = self.records.windows.clone();
        all.extend(self.judge_presentations().1);
        all
    }

    /// The rules broken so far, each once, in order.
    pub fn broken_rules(&self) -> Vec<Rule> {
        let mut rules: Vec<Rule> = self.violations().iter().map(|v| v.rule).collect();
        rules.sort();
        rules.dedup();
        rules
    }
}

/// Deadlines at this moment: no open tab is live past what the test and the
/// server set. Call when every open tab has seen `sim.now`.
pub fn check_live(sim: &mut Sim) {
    let config = *sim.tabs.first().map_or(&super::test_config(), |t| t.machine.config());
    for tab in sim.open_tabs() {
        let Some(epoch) = sim.tabs[tab].seen.live else { continue };
        let Some(login) = sim.records.logins.get(&epoch).copied() else { continue };
        let absolute = login.at + config.absolute_timeout_ms;
        let active = sim.records.activity.get(&epoch).copied().unwrap_or(login.at).max(login.at);
        let idle = active + config.idle_timeout_ms;
        let server = sim.records.server_deadlines.get(&login.family).copied();
        let now = sim.now;
        if now >= absolute {
            sim.violation(Rule::AbsoluteDeadline, tab, format!("deadline {absolute}"));
        }
        if now >= idle {
            sim.violation(Rule::IdleDeadline, tab, format!("deadline {idle}"));
        }
        if let Some(deadline) = server.filter(|&d| now >= d) {
            sim.violation(Rule::ServerDeadline, tab, format!("deadline {deadline}"));
        }
    }
}

/// When nothing is in transit: the live tabs of each session the server
/// still honours hold the same refresh token, the server's current one unless
/// a rotation of it was lost.
pub fn check_converged(sim: &mut Sim) {
    if !sim.is_quiet() {
        return;
    }
    let mut held: BTreeMap<Epoch, Vec<(usize, Option<String>)>> = BTreeMap::new();
    for tab in sim.open_tabs() {
        let Some(epoch) = sim.tabs[tab].seen.live else { continue };
        let token =
            sim.tabs[tab].machine.tokens().and_then(|t| t.refresh_token.as_ref()).map(|t| t.expose().to_owned());
        held.entry(epoch).or_default().push((tab, token));
    }
    for (epoch, tabs) in held {
        let Some(login) = sim.records.logins.get(&epoch).copied() else { continue };
        let Some(family) = sim.server.families.get(login.family).cloned() else { continue };
        let (first, token) = tabs[0].clone();
        if family.ended.is_some() {
            continue;
        }
        let rotation_lost = family.rotated_out.values().any(|(_, by)| !sim.records.accepted.contains_key(by));
        if tabs.iter().any(|(_, t)| *t != token) {
            sim.violation(Rule::Converged, first, format!("{epoch:?}: {tabs:?}"));
        } else if token.is_some() && token.as_deref() != Some(family.current.as_str()) && !rotation_lost {
            sim.violation(Rule::Converged, first, format!("{epoch:?}: {token:?}, server {}", family.current));
        }
    }
}

/// After a quiet spell (see [`Rule::FailedClosed`]): no open tab is live on a
/// session the server ended and said so to it, unless a violation already
/// accounts for it.
pub fn check_failed_closed(sim: &mut Sim) {
    for tab in sim.open_tabs() {
        let Some(epoch) = sim.tabs[tab].seen.live else { continue };
        let Some(login) = sim.records.logins.get(&epoch).copied() else { continue };
        let ended = sim.server.families.get(login.family).and_then(|f| f.ended);
        let Some((ended_at, _)) = ended else { continue };
        let told = sim.requests.iter().any(|r| {
            r.tab == tab && r.family == Some(login.family) && r.sent_at >= ended_at && r.fate == Fate::Answered
        });
        if told && !sim.records.revived.contains(&epoch) {
            sim.violation(Rule::FailedClosed, tab, format!("{epoch:?} live, session ended: {ended:?}"));
        }
    }
}
