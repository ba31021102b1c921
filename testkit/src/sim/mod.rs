//! A multi-tab simulator: N machines in one simulated browser, one clock.
//!
//! What the browser and the network do happens at scheduled times on an agenda,
//! never inside the call that caused it, and every delay is a knob ([`Knobs`]):
//!
//! - cross-tab messages carry the real wire format, each with its own latency
//!   per receiver; they can be reordered and dropped;
//! - the refresh lock is a FIFO lock manager (Web Locks) plus the shell's
//!   bookkeeping of `src/api/effects.rs`: a released lock is held a while longer
//!   ([`SHELL_LOCK_HOLD_MS`]), a newer release of a held lock in the same tab
//!   lets the previous held one go at once, and a request released before its
//!   grant is cancelled (the hold stays); grants reach the tab after a latency;
//! - the [`Server`] is an independent oracle that answers after a latency, and
//!   the shell gives up on a request after its timeout while the server may
//!   still process it;
//! - tabs open and close (a closed tab's lock is freed, its answers lost), the
//!   browser goes offline, and the machine sleeps (the clock jumps).
//!
//! The lock lives in `lock.rs` (with the generation note as the shell keeps
//! it, and an adaptive hold modelled behind a knob), the server in
//! `backend.rs`, the invariants in `invariants.rs`. All interpretation of
//! the machine's I/O sits in `adapter.rs` ([`interpret`] and [`hand_back`]).
//! `SIM_TRACE=1` prints what happens when.

mod adapter;
mod backend;
mod drain;
mod invariants;
mod knobs;
mod lock;

use std::collections::{BTreeMap, VecDeque};

use self::adapter::{hand_back, interpret, Action};
pub use self::adapter::{Answer, Call};
pub use self::backend::*;
pub use self::drain::*;
pub use self::invariants::*;
pub use self::knobs::*;
use self::lock::ShellLocks;
use crate::json::{decode_text, encode_text};
use wasm_session::core::*;

/// 2023-11-14T22:13:20Z: the clock's start in every test.
pub const T0: u64 = 1_700_000_000_000;
/// A second, in ms.
pub const SEC: u64 = 1_000;
/// A minute, in ms.
pub const MIN: u64 = 60 * SEC;

/// How long the shell keeps a released refresh lock (the machine asks for it).
pub const SHELL_LOCK_HOLD_MS: u64 = LOCK_SETTLE_MS;

/// The shell's default request timeout (`requestTimeoutMs`).
pub const REQUEST_TIMEOUT_MS: u64 = 10 * SEC;

/// A distinct id for tests (tab ids, epochs): every byte `n`.
pub fn id(n: u8) -> Id128 {
    Id128([n; 16])
}

/// Short lifetimes so tests read easily: idle 10 min, warn 60 s, absolute 2 h.
pub fn test_config() -> Config {
    Config::from_input(&ConfigInput {
        idle_timeout_ms: Some((10 * MIN) as f64),
        warn_before_ms: Some((60 * SEC) as f64),
        absolute_timeout_ms: Some((120 * MIN) as f64),
        absolute_warn_before_ms: Some((2 * MIN) as f64),
        activity_broadcast_interval_ms: Some((5 * SEC) as f64),
        refresh_before_ms: Some((30 * SEC) as f64),
        refresh_jitter_ms: Some((5 * SEC) as f64),
        ..ConfigInput::default()
    })
    .expect("test config is valid")
}

/// What every tab made by hand in a test is made with: the app's `refresh`
/// function, and keepalive and logout endpoints.
pub fn test_setup(config: Config) -> Setup {
    let transport = Transport {
        keepalive: Some(Endpoint::post("/keepalive")),
        logout: Some(Endpoint::post("/logout")),
        ..Transport::default()
    };
    Setup { transport, refresh_hook: true, ..Setup::new(config) }
}

/// What the simulator's tabs are made with: every endpoint of the simulated
/// backend; bearer tokens from the refresh endpoint, or (`cookie`) a cookie
/// session that nothing refreshes.
pub fn sim_setup(config: Config, cookie: bool) -> Setup {
    let transport = Transport {
        refresh: (!cookie).then(|| Endpoint::post("/refresh")),
        keepalive: Some(Endpoint::post("/keepalive")),
        session: Some(Endpoint::get("/session")),
        logout: Some(Endpoint::post("/logout")),
        mode: if cookie { TokenMode::Cookie } else { TokenMode::Bearer },
        ..Transport::default()
    };
    Setup { transport, ..Setup::new(config) }
}

/// Where a request stands on the client side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Sent; its tab waits for the answer.
    Out,
    /// The machine released the attempt (abandoning it); its answer is still
    /// handed back, as the shell does, and must be ignored.
    Released,
    /// The server's answer was handed to the machine.
    Answered,
    /// The server's answer will never reach the machine: the shell timed out
    /// (and said so), or the tab closed.
    Lost,
}

impl Fate {
    /// Whether the shell still hands the answer to the machine when it comes.
    pub fn awaited(self) -> bool {
        matches!(self, Fate::Out | Fate::Released)
    }
}

/// A request a tab sent, and what became of it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Index of the tab that sent it.
    pub tab: usize,
    /// The machine's id for the request (its attempt).
    pub attempt: u64,
    /// What was asked.
    pub call: Call,
    /// When it was sent.
    pub sent_at: u64,
    /// What became of it.
    pub fate: Fate,
    /// The server session it is about: its token's, or the cookie's when sent.
    pub family: Option<usize>,
    /// The session its tab was live with when it sent it.
    pub epoch: Option<Epoch>,
    /// A session check: the epoch a "signed in" answer starts.
    pub starts: Option<Epoch>,
}

#[derive(Debug)]
/// One simulated tab: its machine and what it showed.
pub struct Tab {
    /// The tab's state machine.
    pub machine: Machine,
    /// Events the machine emitted and the test has not taken yet.
    pub events: Vec<Event>,
    /// Cross-tab messages the machine rejected.
    pub rejected: Vec<ProtocolError>,
    /// How often the shell wiped the stored session.
    pub wiped: u32,
    /// False once the tab is closed.
    pub alive: bool,
    /// What the tab showed and held, as observed from outside.
    pub seen: Observed,
    locks: ShellLocks,
}

#[derive(Debug)]
pub(super) enum Due {
    Message { from: usize, to: usize, text: String },
    Grant { tab: usize, attempt: u64 },
    SettleEnd { tab: usize, timer: u64 },
    Commit { request: usize },
    Answer { request: usize, answer: Answer },
    GiveUp { request: usize },
}

#[derive(Debug)]
/// The simulated browser: tabs, lock, network and server on one clock.
pub struct Sim {
    /// The clock (epoch ms).
    pub now: u64,
    /// Every tab ever opened, by index (closed ones stay, not alive).
    pub tabs: Vec<Tab>,
    /// The oracle server.
    pub server: Server,
    /// How the browser and network behave.
    pub knobs: Knobs,
    /// Every request any tab sent, by index.
    pub requests: Vec<Sent>,
    /// The test's own books (logins, activity) and what the checks found.
    pub records: Records,
    /// Messages handed to a tab, and lost.
    pub delivered: u64,
    /// Messages lost (see [`Knobs::drop_per_mille`]).
    pub dropped: u64,
    /// The browser's network state.
    pub online: bool,
    /// Cookie sessions (no refresh endpoint) rather than bearer tokens.
    pub cookie: bool,
    /// The epoch of the session check being asked for, until its request leaves.
    pub(super) check_epoch: Option<Epoch>,
    /// Extra latency of the messages from one tab to another: (from, to) → ms.
    pub link_delay: BTreeMap<(usize, usize), u64>,
    pub(super) agenda: BTreeMap<(u64, u8, u64), Due>,
    pub(super) sequence: u64,
    pub(super) lock_holder: Option<(usize, u64)>,
    pub(super) lock_queue: VecDeque<(usize, u64)>,
    pub(super) last_delivery: BTreeMap<(usize, usize), u64>,
    /// Per tab: a message it posted since its last release was lost.
    pub(super) lost_since_release: Vec<bool>,
    /// The generation note in IndexedDB: the last one written.
    pub note: Option<GenerationNote>,
    pub(super) random: u64,
}

impl Sim {
    /// `tabs` tabs with [`test_config`], instant browser and network.
    pub fn new(tabs: usize) -> Sim {
        Sim::with_config(tabs, test_config())
    }

    /// `tabs` tabs with `config`, instant browser and network.
    pub fn with_config(tabs: usize, config: Config) -> Sim {
        Sim::with_knobs(tabs, config, Knobs::default())
    }

    /// `tabs` tabs with `config` and `knobs`.
    pub fn with_knobs(tabs: usize, config: Config, knobs: Knobs) -> Sim {
        Sim::with_mode(tabs, config, knobs, false)
    }

    /// Cookie sessions: the server's cookie is the credential, nothing refreshes.
    pub fn cookie(tabs: usize, config: Config, knobs: Knobs) -> Sim {
        Sim::with_mode(tabs, config, knobs, true)
    }

    fn with_mode(tabs: usize, config: Config, knobs: Knobs, cookie: bool) -> Sim {
        let mut sim = Sim {
            now: T0,
            tabs: Vec::new(),
            server: Server::new(),
            knobs,
            requests: Vec::new(),
            records: Records::default(),
            delivered: 0,
            dropped: 0,
            online: true,
            cookie,
            check_epoch: None,
            link_delay: BTreeMap::new(),
            agenda: BTreeMap::new(),
            sequence: 0,
            lock_holder: None,
            lock_queue: VecDeque::new(),
            last_delivery: BTreeMap::new(),
            lost_since_release: Vec::new(),
            note: None,
            random: knobs.seed,
        };
        for _ in 0..tabs {
            sim.add_tab_with(config);
        }
        sim
    }

    /// Opens a tab; it asks the others for their session, as the shell does.
    pub fn add_tab(&mut self) -> usize {
        let config = *self.tabs.first().map(|t| t.machine.config()).unwrap_or(&test_config());
        let index = self.add_tab_with(config);
        let now = self.now;
        self.tabs[index].machine.request_state(now);
        self.pump();
        index
    }

    fn add_tab_with(&mut self, config: Config) -> usize {
        let index = self.tabs.len();
        let n = u8::try_from(index + 1).expect("fewer than 255 tabs");
        let mut machine = Machine::new(sim_setup(config, self.cookie), id(n), 0x5eed_0000 + index as u64);
        machine.handle_timeout(self.now);
        if !self.online {
            machine.handle_online(self.now, false);
        }
        let locks = ShellLocks::default();
        let seen = Observed::default();
        self.tabs.push(Tab { machine, events: Vec::new(), rejected: Vec::new(), wiped: 0, alive: true, seen, locks });
        self.lost_since_release.push(false);
        index
    }

    /// The machine of tab `index`.
    pub fn tab(&mut self, index: usize) -> &mut Machine {
        &mut self.tabs[index].machine
    }

    /// Logs in on `tab` with a new server session and the epoch `id(100 + epoch)`.
    pub fn login(&mut self, tab: usize, epoch: u8) {
        let (family, tokens) = self.server.login(self.now);
        let epoch = id(100u8.wrapping_add(epoch));
        self.records.logins.insert(epoch, Login { at: self.now, family, check: None });
        self.feed(tab, |machine, now| machine.login(now, epoch, tokens));
    }

    /// Cookie mode: logs in on `tab` without tokens (the server session rides
    /// in a cookie), with the epoch `id(100 + epoch)`.
    pub fn login_cookie(&mut self, tab: usize, epoch: u8) {
        let (family, _) = self.server.login(self.now);
        let epoch = id(100u8.wrapping_add(epoch));
        self.records.logins.insert(epoch, Login { at: self.now, family, check: None });
        self.feed(tab, |machine, now| machine.login(now, epoch, TokenSet::default()));
    }

    /// Runs one input on a tab's machine, then everything it caused.
    pub fn feed(&mut self, tab: usize, input: impl FnOnce(&mut Machine, u64)) {
        let now = self.now;
        input(&mut self.tabs[tab].machine, now);
        self.pump();
    }

    /// Local activity in one tab.
    pub fn activity(&mut self, tab: usize) {
        self.note_activity(tab);
        self.feed(tab, |machine, now| machine.handle_activity(now));
    }

    /// "Stay signed in" in one tab.
    pub fn stay_signed_in(&mut self, tab: usize) {
        self.note_activity(tab);
        self.feed(tab, |machine, now| machine.stay_signed_in(now));
    }

    fn note_activity(&mut self, tab: usize) {
        let now = self.now;
        let machine = &mut self.tabs[tab].machine;
        machine.handle_timeout(now);
        if let Some(epoch) = machine.epoch().filter(|_| machine.state().is_live()) {
            self.records.activity.insert(epoch, now);
        }
    }

    /// The browser goes offline or online: every open tab hears it.
    pub fn set_online(&mut self, online: bool) {
        self.online = online;
        let now = self.now;
        for tab in self.open_tabs() {
            self.tabs[tab].machine.handle_online(now, online);
        }
        self.pump();
    }

    /// The app calls `resume()`: the tab asks the session endpoint, with a
    /// fresh epoch for a session the answer may start.
    pub fn check_session(&mut self, tab: usize) {
        let checks = self.requests.iter().filter(|r| r.call == Call::SessionCheck).count() as u64;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&checks.to_be_bytes());
        bytes[8] = 0xc4;
        let epoch = Id128(bytes);
        self.check_epoch = Some(epoch);
        self.feed(tab, |machine, now| machine.check_session(now, CheckTrigger::Resume, epoch));
        self.check_epoch = None;
    }

    /// The indexes of the tabs still open.
    pub fn open_tabs(&self) -> Vec<usize> {
        (0..self.tabs.len()).filter(|&t| self.tabs[t].alive).collect()
    }

    /// Carries out every effect and everything due until all is quiet.
    pub fn pump(&mut self) {
        for _ in 0..100_000 {
            let mut progressed = false;
            for index in 0..self.tabs.len() {
                progressed |= self.drain(index);
            }
            if let Some(key) = self.agenda.keys().next().copied().filter(|key| key.0 <= self.now) {
                if let Some(due) = self.agenda.remove(&key) {
                    self.happen(due);
                }
                progressed = true;
            }
            if !progressed {
                return;
            }
        }
        panic!("the simulation did not settle: a livelock");
    }

    /// Hands a tab's events to the test and carries out its effects.
    fn drain(&mut self, tab: usize) -> bool {
        let mut progressed = false;
        while let Some(event) = self.tabs[tab].machine.poll_event() {
            progressed = true;
            self.tabs[tab].seen.on_event(&event);
            self.tabs[tab].events.push(event);
        }
        self.observe(tab);
        while let Some(effect) = self.tabs[tab].machine.poll_effect() {
            progressed = true;
            match interpret(effect) {
                Action::Post(envelope) => self.post(tab, &envelope),
                Action::AskLock(attempt) => self.ask_lock(tab, attempt),
                Action::Release { attempt, hold_until, note } => self.release(tab, attempt, hold_until, note),
                Action::Send { id, call } => self.send(tab, id, call),
                Action::Wipe => self.tabs[tab].wiped += 1,
                Action::Nothing => {}
            }
        }
        progressed
    }

    pub(super) fn schedule(&mut self, at: u64, due: Due) {
        // At one instant, the lock's path (hold ends, grant) and the channel's
        // go in the order the knob says; everything else after both.
        let lock = matches!(due, Due::Grant { .. } | Due::SettleEnd { .. });
        let rank = match (lock, matches!(due, Due::Message { .. }), self.knobs.grants_first) {
            (true, _, true) | (_, true, false) => 0,
            (true, _, false) | (_, true, true) => 1,
            _ => 2,
        };
        self.sequence += 1;
        self.agenda.insert((at, rank, self.sequence), due);
    }

    pub(super) fn draw(&mut self, delay: Delay) -> u64 {
        // SplitMix64, as in the machine: deterministic per seed.
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        delay.min + (z ^ (z >> 31)) % (delay.max - delay.min + 1)
    }

    // ----- the channel ------------------------------------------------------

    fn post(&mut self, from: usize, envelope: &Envelope) {
        if !self.tabs[from].alive {
            return;
        }
        let text = encode_text(envelope);
        for to in self.open_tabs().into_iter().filter(|&to| to != from) {
            if self.draw(Delay { min: 0, max: 999 }) < self.knobs.drop_per_mille {
                self.dropped += 1;
                self.lost_since_release[from] = true;
                continue;
            }
            let extra = self.link_delay.get(&(from, to)).copied().unwrap_or(0);
            let mut at = self.now + self.draw(self.knobs.message_latency) + extra;
            if !self.knobs.reorder {
                at = at.max(self.last_delivery.get(&(from, to)).copied().unwrap_or(0));
            }
            self.last_delivery.insert((from, to), at);
            self.schedule(at, Due::Message { from, to, text: text.clone() });
        }
    }

    /// A tab is closed: its locks are freed, its requests lost, it hears nothing more.
    pub fn close_tab(&mut self, tab: usize) {
        self.trace(|| format!("tab {tab} closes"));
        self.tabs[tab].alive = false;
        self.tabs[tab].seen.closed_at = Some(self.now);
        let locks = std::mem::take(&mut self.tabs[tab].locks);
        self.lock_queue.retain(|(holder, _)| *holder != tab);
        for (attempt, slot) in locks.slots.into_iter().chain(locks.settling) {
            self.drop_slot(tab, attempt, slot);
        }
        if matches!(self.lock_holder, Some((holder, _)) if holder == tab) {
            self.lock_holder = None;
            self.grant_next();
        }
        for request in self.requests.iter_mut().filter(|r| r.tab == tab && r.fate.awaited()) {
            request.fate = Fate::Lost;
        }
        self.pump();
    }

    // ----- requests and the server ------------------------------------------

    fn send(&mut self, tab: usize, attempt: u64, call: Call) {
        self.trace(|| format!("tab {tab} sends {call:?} (attempt {attempt}, request {})", self.requests.len()));
        let request = self.requests.len();
        let now = self.now;
        // A token names its session; without one, the cookie sent does.
        let family = match &call {
            Call::Refresh { token } | Call::Logout { token, .. } => self.server.family_of(token.as_deref()),
            Call::Keepalive | Call::SessionCheck => self.server.cookie,
        };
        let epoch = self.tabs[tab].seen.live;
        let starts = if call == Call::SessionCheck { self.check_epoch.take() } else { None };
        let fate = Fate::Out;
        self.requests.push(Sent { tab, attempt, call: call.clone(), sent_at: now, fate, family, epoch, starts });
        self.note_send(request);
        if !self.online {
            self.schedule(now, Due::Answer { request, answer: Answer::Failed(RefreshFailure::Network) });
            return;
        }
        if !matches!(call, Call::Logout { .. }) {
            self.schedule(now + self.knobs.request_timeout, Due::GiveUp { request });
        }
        if let Call::Refresh { .. } = &call {
            let earlier = self.server.refresh_sent(request, family);
            self.note_overlaps(request, &earlier);
            if self.server.mode == ServerMode::Manual {
                self.server.pending.push_back((tab, attempt));
                return;
            }
        }
        let at = now + self.draw(self.knobs.server_latency);
        self.schedule(at, Due::Commit { request });
    }

    /// The server processes `request` by its rules.
    fn commit(&mut self, request: usize) {
        let now = self.now;
        let family = self.requests[request].family;
        let answer = match self.requests[request].call.clone() {
            Call::Refresh { token } => Answer::Refresh(self.server.refresh(now, request, family, token.as_deref())),
            Call::Keepalive => Answer::Keepalive(self.server.keepalive(now, family)),
            Call::Logout { reason, .. } => {
                self.server.logout(now, reason, family);
                Answer::Done
            }
            Call::SessionCheck => Answer::Session(self.server.session(family).map(|(_, deadline)| deadline)),
        };
        let at = now + self.draw(self.knobs.answer_latency);
        self.schedule(at, Due::Answer { request, answer });
    }

    /// The answer (or the shell's timeout) reaches the tab, if the shell
    /// still awaits it.
    fn answered(&mut self, request: usize, answer: Answer, fate: Fate) {
        let Sent { tab, attempt, fate: before, .. } = self.requests[request];
        if !before.awaited() || !self.tabs[tab].alive {
            return;
        }
        self.requests[request].fate = fate;
        let now = self.now;
        self.note_answer(request, &answer);
        hand_back(&mut self.tabs[tab].machine, now, attempt, answer.clone());
        self.note_accepted(request, &answer);
        self.drain(tab);
    }

    /// Manual mode: the test's answer to the oldest pending refresh.
    pub fn answer_refresh(&mut self, outcome: RefreshOutcome) -> (usize, u64) {
        let (tab, attempt) = self.server.pending.pop_front().expect("a refresh is pending");
        let request = self.pending_request(tab, attempt);
        self.server.answered(request);
        self.answered(request, Answer::Refresh(outcome), Fate::Answered);
        self.pump();
        (tab, attempt)
    }

    /// Manual mode: the server answers the oldest pending refresh by its rules, now.
    pub fn answer_refresh_by_rules(&mut self) -> (usize, u64) {
        let (tab, attempt) = self.server.pending.pop_front().expect("a refresh is pending");
        let request = self.pending_request(tab, attempt);
        self.commit(request);
        self.pump();
        (tab, attempt)
    }

    fn pending_request(&self, tab: usize, attempt: u64) -> usize {
        let found = self
            .requests
            .iter()
            .rposition(|r| r.tab == tab && r.attempt == attempt && matches!(r.call, Call::Refresh { .. }));
        found.expect("the pending refresh was sent")
    }

    // ----- time -------------------------------------------------------------

    /// With `SIM_TRACE` set, prints what happens when (ms since `T0`).
    pub(super) fn trace(&self, what: impl FnOnce() -> String) {
        if std::env::var_os("SIM_TRACE").is_some() {
            eprintln!("{:>9} {}", self.now.saturating_sub(T0), what());
        }
    }

    fn happen(&mut self, due: Due) {
        self.trace(|| format!("{due:?}"));
        match due {
            Due::Message { to, text, .. } => {
                if self.tabs[to].alive {
                    let envelope = decode_text(&text).expect("what a machine encodes decodes");
                    if let (Message::Logout { .. }, Some(epoch)) = (&envelope.message, envelope.epoch) {
                        self.tabs[to].seen.heard_ended.push(epoch);
                    }
                    self.delivered += 1;
                    let now = self.now;
                    if let Err(error) = self.tabs[to].machine.handle_message(now, envelope) {
                        self.tabs[to].rejected.push(error);
                    }
                }
            }
            Due::Grant { tab, attempt } => self.granted(tab, attempt),
            Due::SettleEnd { tab, timer } => self.settled(tab, timer),
            Due::Commit { request } => self.commit(request),
            Due::Answer { request, answer } => self.answered(request, answer, Fate::Answered),
            // The tab gets a timeout, not the server's answer, which may still come.
            Due::GiveUp { request } => self.answered(request, Answer::Failed(RefreshFailure::Timeout), Fate::Lost),
        }
    }

    /// Runs one input on a tab's machine without pumping (inside the pump).
    pub(super) fn feed_now(&mut self, tab: usize, input: impl FnOnce(&mut Machine, u64)) {
        let now = self.now;
        input(&mut self.tabs[tab].machine, now);
        self.drain(tab);
    }

    /// When the next thing happens: a tab's deadline or something on the agenda.
    fn next_moment(&self) -> Option<u64> {
        let timers = self.tabs.iter().filter(|t| t.alive).filter_map(|t| t.machine.poll_timeout());
        timers.chain(self.agenda.keys().next().map(|key| key.0)).min()
    }

    /// Runs simulated time to `until`, stopping at every deadline and delivery.
    pub fn run_until(&mut self, until: u64) {
        while let Some(at) = self.next_moment().filter(|&at| at <= until) {
            self.now = self.now.max(at);
            self.fire_due();
        }
        self.now = self.now.max(until);
        self.fire_due();
    }

    /// Every open tab's timer fires (early calls do nothing), then what is due.
    fn fire_due(&mut self) {
        let now = self.now;
        for tab in self.open_tabs() {
            self.tabs[tab].machine.handle_timeout(now);
        }
        self.pump();
    }

    /// Moves the clock `ms` on, running everything due on the way.
    pub fn advance(&mut self, ms: u64) {
        self.run_until(self.now + ms);
    }

    /// The computer sleeps for `ms`: nothing runs, then everything overdue
    /// happens at the wake-up time.
    pub fn sleep(&mut self, ms: u64) {
        self.now += ms;
        self.fire_due();
    }

    /// Runs until nothing is in transit: every message delivered, every
    /// request answered, the lock free and nobody waiting for it.
    pub fn settle(&mut self) {
        loop {
            let requests = &self.requests;
            self.agenda.retain(|_, due| !is_moot(due, requests));
            let Some(at) = self.agenda.keys().next().map(|key| key.0) else { return };
            self.run_until(at.max(self.now));
        }
    }

    /// Whether nothing is in transit (see [`Sim::settle`]).
    pub fn is_quiet(&self) -> bool {
        self.agenda.values().all(|due| is_moot(due, &self.requests))
            && self.lock_holder.is_none()
            && self.lock_queue.is_empty()
    }

    /// Takes the events tab `tab` emitted since the last call.
    pub fn take_events(&mut self, tab: usize) -> Vec<Event> {
        std::mem::take(&mut self.tabs[tab].events)
    }

    /// Every tab's session state, by index.
    pub fn states(&self) -> Vec<SessionState> {
        self.tabs.iter().map(|t| t.machine.state()).collect()
    }
}

/// A timeout for a request its tab no longer waits for changes nothing.
fn is_moot(due: &Due, requests: &[Sent]) -> bool {
    matches!(due, Due::GiveUp { request } if requests.get(*request).is_none_or(|r| !r.fate.awaited()))
}

/// The `Countdown` remaining times of a list, for compact assertions.
pub fn countdowns(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Countdown { remaining_ms, .. } => Some(*remaining_ms),
            _ => None,
        })
        .collect()
}

/// Whether `events` hold a warning with `cause`.
pub fn has_warning(events: &[Event], cause: WarningCause) -> bool {
    events.iter().any(|e| matches!(e, Event::Warning { cause: c, .. } if *c == cause))
}
