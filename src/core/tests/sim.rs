//! A multi-tab simulator: N machines, a message bus that carries the real wire
//! format, a FIFO cross-tab lock, a token server with refresh-token rotation and
//! reuse detection, and one clock that jumps to the next deadline.

use std::collections::VecDeque;

use crate::core::protocol::{decode, encode};
use crate::core::*;

pub const T0: u64 = 1_700_000_000_000;
pub const SEC: u64 = 1_000;
pub const MIN: u64 = 60 * SEC;

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

/// What every simulated tab is made with: the app's `refresh` function (the
/// simulated server answers it), and keepalive and logout endpoints.
pub fn test_setup(config: Config) -> Setup {
    let transport = Transport {
        keepalive: Some(Endpoint::post("/keepalive")),
        logout: Some(Endpoint::post("/logout")),
        ..Transport::default()
    };
    Setup { transport, refresh_hook: true, ..Setup::new(config) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMode {
    /// Answer every refresh at once with rotated tokens.
    Auto,
    /// Keep requests pending until the test answers them.
    Manual,
}

/// A token server with refresh-token rotation and reuse detection.
#[derive(Debug)]
pub struct Server {
    pub mode: ServerMode,
    pub token_lifetime: u64,
    pub current_refresh: u64,
    pub refresh_calls: u32,
    pub reuse_detected: bool,
    pub logout_calls: Vec<EndReason>,
    pub keepalives: Vec<u64>,
    pub pending: VecDeque<(usize, u64)>,
}

impl Server {
    pub fn tokens(&self, now: u64) -> TokenSet {
        let n = self.current_refresh;
        TokenSet::bearer(&format!("at-{n}"), Some(&format!("rt-{n}")), Some(now + self.token_lifetime))
    }

    fn refresh(&mut self, now: u64, presented: Option<&str>) -> RefreshOutcome {
        self.refresh_calls += 1;
        let expected = format!("rt-{}", self.current_refresh);
        if self.reuse_detected || presented != Some(expected.as_str()) {
            self.reuse_detected = true;
            return RefreshOutcome::Failed { failure: RefreshFailure::InvalidGrant, retry_after_ms: None };
        }
        self.current_refresh += 1;
        RefreshOutcome::Success(self.tokens(now))
    }
}

#[derive(Debug)]
pub struct Tab {
    pub machine: Machine,
    pub events: Vec<Event>,
    pub rejected: Vec<ProtocolError>,
    pub wiped: u32,
    pub alive: bool,
}

#[derive(Debug)]
pub struct Sim {
    pub now: u64,
    pub tabs: Vec<Tab>,
    pub server: Server,
    /// Encoded messages in flight: (sender index, text).
    bus: VecDeque<(usize, String)>,
    lock_holder: Option<(usize, u64)>,
    lock_queue: VecDeque<(usize, u64)>,
    /// Most refreshes in flight at once across all tabs.
    pub max_in_flight: usize,
    pub delivered: u64,
}

impl Sim {
    pub fn new(tabs: usize) -> Sim {
        Sim::with_config(tabs, test_config())
    }

    pub fn with_config(tabs: usize, config: Config) -> Sim {
        let mut sim = Sim {
            now: T0,
            tabs: Vec::new(),
            server: Server {
                mode: ServerMode::Auto,
                token_lifetime: 5 * MIN,
                current_refresh: 0,
                refresh_calls: 0,
                reuse_detected: false,
                logout_calls: Vec::new(),
                keepalives: Vec::new(),
                pending: VecDeque::new(),
            },
            bus: VecDeque::new(),
            lock_holder: None,
            lock_queue: VecDeque::new(),
            max_in_flight: 0,
            delivered: 0,
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
        self.tabs[index].machine.request_state(self.now);
        self.pump();
        index
    }

    fn add_tab_with(&mut self, config: Config) -> usize {
        let index = self.tabs.len();
        let n = u8::try_from(index + 1).expect("fewer than 255 tabs");
        let mut machine = Machine::new(test_setup(config), id(n), 0x5eed_0000 + index as u64);
        machine.handle_timeout(self.now);
        self.tabs.push(Tab { machine, events: Vec::new(), rejected: Vec::new(), wiped: 0, alive: true });
        index
    }

    pub fn tab(&mut self, index: usize) -> &mut Machine {
        &mut self.tabs[index].machine
    }

    /// Logs in on `tab` with server-issued tokens and a fresh epoch.
    pub fn login(&mut self, tab: usize, epoch: u8) {
        let tokens = self.server.tokens(self.now);
        let now = self.now;
        self.tabs[tab].machine.login(now, id(100 + epoch), tokens);
        self.pump();
    }

    /// Carries out every effect and delivers every message until all is quiet.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            for index in 0..self.tabs.len() {
                while let Some(effect) = self.tabs[index].machine.poll_effect() {
                    progressed = true;
                    self.apply(index, effect);
                }
                while let Some(event) = self.tabs[index].machine.poll_event() {
                    self.tabs[index].events.push(event);
                }
            }
            if let Some((from, text)) = self.bus.pop_front() {
                progressed = true;
                for index in 0..self.tabs.len() {
                    if index != from && self.tabs[index].alive {
                        let envelope = decode(&text).expect("what a machine encodes decodes");
                        self.delivered += 1;
                        let now = self.now;
                        if let Err(error) = self.tabs[index].machine.handle_message(now, envelope) {
                            self.tabs[index].rejected.push(error);
                        }
                    }
                }
            }
            if self.lock_holder.is_none() {
                if let Some((tab, attempt)) = self.lock_queue.pop_front() {
                    progressed = true;
                    self.lock_holder = Some((tab, attempt));
                    let now = self.now;
                    self.tabs[tab].machine.handle_lock_acquired(now, attempt);
                }
            }
            let in_flight = self.tabs.iter().filter(|t| t.machine.refresh_in_flight()).count();
            let sending = self.lock_holder.iter().count();
            self.max_in_flight = self.max_in_flight.max(sending.min(in_flight));
            if !progressed {
                return;
            }
        }
    }

    fn apply(&mut self, tab: usize, effect: Effect) {
        let now = self.now;
        match effect {
            Effect::Broadcast(envelope) => {
                if self.tabs[tab].alive {
                    self.bus.push_back((tab, encode(&envelope)));
                }
            }
            Effect::AcquireRefreshLock { attempt } => self.lock_queue.push_back((tab, attempt)),
            Effect::ReleaseRefreshLock { attempt, .. } => {
                if self.lock_holder == Some((tab, attempt)) {
                    self.lock_holder = None;
                }
                self.lock_queue.retain(|entry| *entry != (tab, attempt));
            }
            Effect::CallRefreshHook { id: attempt, refresh_token } => match self.server.mode {
                ServerMode::Auto => {
                    let outcome = self.server.refresh(now, refresh_token.as_ref().map(Secret::expose));
                    self.tabs[tab].machine.handle_refresh_result(now, attempt, outcome);
                }
                ServerMode::Manual => self.server.pending.push_back((tab, attempt)),
            },
            Effect::Fetch { purpose: Purpose::Logout(reason), .. } => self.server.logout_calls.push(reason),
            Effect::Fetch { id, purpose: Purpose::Keepalive, .. } => {
                self.server.keepalives.push(now);
                let outcome = KeepaliveOutcome::Alive { absolute_deadline: None };
                self.tabs[tab].machine.handle_keepalive_result(now, id, outcome);
            }
            Effect::Fetch { .. } | Effect::Persist(_) | Effect::SaveTombstones(_) => {}
            Effect::WipeStorage => self.tabs[tab].wiped += 1,
        }
    }

    /// Answers the oldest pending refresh (manual server mode).
    pub fn answer_refresh(&mut self, outcome: RefreshOutcome) -> (usize, u64) {
        let (tab, attempt) = self.server.pending.pop_front().expect("a refresh is pending");
        let now = self.now;
        self.tabs[tab].machine.handle_refresh_result(now, attempt, outcome);
        self.pump();
        (tab, attempt)
    }

    /// A tab is closed: its lock is released and it hears nothing more.
    pub fn close_tab(&mut self, tab: usize) {
        self.tabs[tab].alive = false;
        if matches!(self.lock_holder, Some((holder, _)) if holder == tab) {
            self.lock_holder = None;
        }
        self.lock_queue.retain(|(holder, _)| *holder != tab);
        self.pump();
    }

    /// Runs simulated time to `until`, stopping at every tab's deadlines.
    pub fn run_until(&mut self, until: u64) {
        loop {
            let next = self
                .tabs
                .iter()
                .filter(|t| t.alive)
                .filter_map(|t| t.machine.poll_timeout())
                .filter(|&at| at <= until)
                .min();
            let Some(at) = next else { break };
            self.now = self.now.max(at);
            self.fire_due();
        }
        self.now = self.now.max(until);
        self.fire_due();
    }

    fn fire_due(&mut self) {
        let now = self.now;
        for index in 0..self.tabs.len() {
            if self.tabs[index].alive {
                self.tabs[index].machine.handle_timeout(now);
            }
        }
        self.pump();
    }

    pub fn advance(&mut self, ms: u64) {
        self.run_until(self.now + ms);
    }

    /// Local activity in one tab at the current time.
    pub fn activity(&mut self, tab: usize) {
        let now = self.now;
        self.tabs[tab].machine.handle_activity(now);
        self.pump();
    }

    pub fn take_events(&mut self, tab: usize) -> Vec<Event> {
        std::mem::take(&mut self.tabs[tab].events)
    }

    pub fn states(&self) -> Vec<SessionState> {
        self.tabs.iter().map(|t| t.machine.state()).collect()
    }
}

/// The `Warning`, `Countdown` … events of a list, for compact assertions.
pub fn countdowns(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Countdown { remaining_ms, .. } => Some(*remaining_ms),
            _ => None,
        })
        .collect()
}

pub fn has_warning(events: &[Event], cause: WarningCause) -> bool {
    events.iter().any(|e| matches!(e, Event::Warning { cause: c, .. } if *c == cause))
}
