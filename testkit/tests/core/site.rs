//! A simulated site for the logout and identity rules: tabs sharing a message
//! bus (the real wire format), `localStorage` (the tombstones, merged as the
//! shell merges them, and read back where the shell reads them: at start, on
//! `resume()`, on waking and before a lock grant) and the refresh lock; and the site's backend, a session in a cookie whose logout can
//! fail, and whose user can change behind the tabs' back. Requests are answered
//! as soon as they are sent.

use std::collections::VecDeque;
use wasm_session_testkit::json;

use wasm_session::core::contract::read_tokens;
use wasm_session::core::protocol::{decode, encode};
use wasm_session::core::*;
use wasm_session_testkit::sim::{id, test_config, MIN, T0};

/// The backend: one session cookie for the whole browser.
#[derive(Debug)]
pub struct Backend {
    /// The user the session cookie belongs to; `None`: no session.
    pub user: Option<String>,
    /// The network is up.
    pub reachable: bool,
    /// What the logout endpoint answers (a 2xx ends the session).
    pub logout_status: u16,
    /// Logout requests that reached the server, first ones and re-sends.
    pub logouts: u32,
    /// Of which re-sends of an owed logout.
    pub resent: u32,
}

#[derive(Debug)]
pub struct Tab {
    pub machine: Machine,
    pub events: Vec<Event>,
    pub rejected: Vec<ProtocolError>,
    /// What the tab last persisted (`storage: "session"`), `None` once wiped.
    pub stored: Option<Value>,
    pub alive: bool,
}

#[derive(Debug)]
pub struct Site {
    pub now: u64,
    pub mode: TokenMode,
    pub tabs: Vec<Tab>,
    pub backend: Backend,
    /// The tombstones as `localStorage` holds them.
    pub local_storage: Tombstones,
    /// The kept record of a timed-out session as `localStorage` holds it.
    pub kept: Option<wasm_session::core::reconstitute::Kept>,
    /// Every request sent, by tab and purpose.
    pub sent: Vec<(usize, Purpose)>,
    bus: VecDeque<(usize, Value)>,
    lock: Option<(usize, u64)>,
    queue: VecDeque<(usize, u64)>,
    next_epoch: u8,
}

/// A session, keepalive and logout endpoint, and a refresh endpoint in bearer
/// mode (the refresh token in a cookie).
pub fn site_setup(mode: TokenMode, storage: StorageChoice) -> Setup {
    let transport = Transport {
        refresh: (mode == TokenMode::Bearer).then(|| Endpoint::post("/auth/refresh")),
        keepalive: (mode == TokenMode::Cookie).then(|| Endpoint::post("/auth/keepalive")),
        session: Some(Endpoint::get("/auth/session")),
        logout: Some(Endpoint::post("/auth/logout")),
        mode,
        ..Transport::default()
    };
    let mut config = test_config();
    config.keepalive_every_ms = (mode == TokenMode::Cookie).then_some(MIN);
    Setup { config, transport, refresh_hook: false, storage, parse_json: json::parse_ok }
}

/// A JWT (unsigned: the client never checks signatures) for `sub`.
pub fn jwt(sub: &str, exp_s: u64) -> String {
    wasm_session_testkit::encoding::jwt(&format!(r#"{{"sub":"{sub}","exp":{exp_s}}}"#))
}

fn json(status: u16, body: &str) -> FetchAnswer {
    FetchAnswer::Response(Response::new(status, Body::Json(json::parse(body).expect("test JSON"))))
}

impl Site {
    /// `tabs` tabs of a site in `mode`, nobody signed in, online.
    pub fn new(tabs: usize, mode: TokenMode) -> Site {
        let mut site = Site {
            now: T0,
            mode,
            tabs: Vec::new(),
            backend: Backend { user: None, reachable: true, logout_status: 204, logouts: 0, resent: 0 },
            local_storage: Tombstones::default(),
            kept: None,
            sent: Vec::new(),
            bus: VecDeque::new(),
            lock: None,
            queue: VecDeque::new(),
            next_epoch: 0,
        };
        for _ in 0..tabs {
            site.open_tab(StorageChoice::Memory);
        }
        site
    }

    /// Opens a tab as the shell does: it reads the tombstones, learns whether
    /// it is online, and (when asked to) resumes. Returns its index.
    pub fn open_tab(&mut self, storage: StorageChoice) -> usize {
        self.open_tab_with(site_setup(self.mode, storage))
    }

    /// [`Site::open_tab`] with a setup of the test's own.
    pub fn open_tab_with(&mut self, setup: Setup) -> usize {
        let index = self.tabs.len();
        let n = u8::try_from(index + 1).expect("fewer than 255 tabs");
        let mut machine = Machine::new(setup, id(n), 0xfeed + index as u64);
        machine.handle_timeout(self.now);
        machine.handle_tombstones(self.now, &self.local_storage);
        machine.handle_online(self.now, self.backend.reachable);
        self.tabs.push(Tab { machine, events: Vec::new(), rejected: Vec::new(), stored: None, alive: true });
        self.pump();
        index
    }

    pub fn tab(&mut self, index: usize) -> &mut Machine {
        &mut self.tabs[index].machine
    }

    pub fn states(&self) -> Vec<SessionState> {
        self.tabs.iter().filter(|t| t.alive).map(|t| t.machine.state()).collect()
    }

    pub fn take_events(&mut self, tab: usize) -> Vec<Event> {
        std::mem::take(&mut self.tabs[tab].events)
    }

    /// A fresh epoch, as the shell draws one for every login and session check.
    pub fn fresh_epoch(&mut self) -> Epoch {
        self.next_epoch += 1;
        id(200 + self.next_epoch)
    }

    /// `user` signs in on the backend and the app calls `start()` in `tab`
    /// with the login answer.
    pub fn sign_in(&mut self, tab: usize, user: &str) {
        self.backend.user = Some(user.to_owned());
        let body = match self.mode {
            TokenMode::Bearer => format!(r#"{{"access_token":"{}","expires_in":300,"user":"{user}"}}"#, self.jwt(user)),
            TokenMode::Cookie => format!(r#"{{"user":"{user}"}}"#),
        };
        let transport = self.tabs[tab].machine.transport().clone();
        let body = json::parse(&body).expect("JSON");
        let tokens = read_tokens(&transport.fields, &body, None, self.now, json::parse_ok).expect("tokens");
        let (now, epoch) = (self.now, self.fresh_epoch());
        // As the shell does before `start()`: the kept record, read from storage.
        self.tabs[tab].machine.handle_kept(now, self.kept.clone());
        self.tabs[tab].machine.login(now, epoch, tokens);
        self.pump();
    }

    fn jwt(&self, user: &str) -> String {
        jwt(user, self.now / 1000 + 300)
    }

    /// The app calls `resume()`: join an open tab, ask the session endpoint.
    pub fn resume(&mut self, tab: usize) {
        let (now, epoch) = (self.now, self.fresh_epoch());
        let machine = &mut self.tabs[tab].machine;
        machine.handle_tombstones(now, &self.local_storage);
        machine.request_state(now);
        machine.check_session(now, CheckTrigger::Resume, epoch);
        self.pump();
    }

    /// The page wakes up (visible, `pageshow`, focus …) as the shell reports it.
    pub fn wake(&mut self, tab: usize) {
        let (now, epoch) = (self.now, self.fresh_epoch());
        self.tabs[tab].machine.handle_tombstones(now, &self.local_storage);
        self.tabs[tab].machine.check_session(now, CheckTrigger::Wake, epoch);
        self.pump();
    }

    /// The network goes down or comes back; every tab hears `offline` /
    /// `online` and, coming back, wakes.
    pub fn set_online(&mut self, online: bool) {
        self.backend.reachable = online;
        for tab in 0..self.tabs.len() {
            if !self.tabs[tab].alive {
                continue;
            }
            let (now, epoch) = (self.now, self.fresh_epoch());
            let machine = &mut self.tabs[tab].machine;
            if online {
                machine.handle_tombstones(now, &self.local_storage);
            }
            machine.handle_online(now, online);
            if online {
                machine.check_session(now, CheckTrigger::Wake, epoch);
            }
        }
        self.pump();
    }

    /// Time passes; every tab fires what is due.
    pub fn advance(&mut self, ms: u64) {
        let until = self.now + ms;
        loop {
            let next = self
                .tabs
                .iter()
                .filter(|t| t.alive)
                .filter_map(|t| t.machine.poll_timeout())
                .filter(|at| *at <= until)
                .min();
            self.now = next.unwrap_or(until).max(self.now);
            for tab in self.tabs.iter_mut().filter(|t| t.alive) {
                // As the shell does before any input (`drive`): a session its
                // own clock ends reads the tombstones first.
                if tab.machine.ends_by_clock(self.now) {
                    tab.machine.handle_tombstones(self.now, &self.local_storage);
                }
                tab.machine.handle_timeout(self.now);
            }
            self.pump();
            if next.is_none() {
                return;
            }
        }
    }

    /// The tab is gone (closed, discarded); its stored session stays where it was.
    pub fn close(&mut self, tab: usize) {
        self.tabs[tab].alive = false;
        if matches!(self.lock, Some((holder, _)) if holder == tab) {
            self.lock = None;
        }
        self.queue.retain(|(holder, _)| *holder != tab);
        self.pump();
    }

    /// Carries out every effect, delivers every message, grants the lock,
    /// until all is quiet.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            for index in 0..self.tabs.len() {
                if !self.tabs[index].alive {
                    continue;
                }
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
                        let now = self.now;
                        let machine = &mut self.tabs[index].machine;
                        // As the shell does before any input (see `advance`).
                        if machine.ends_by_clock(now) {
                            machine.handle_tombstones(now, &self.local_storage);
                        }
                        if let Err(error) = self.tabs[index].machine.handle_message(now, envelope) {
                            self.tabs[index].rejected.push(error);
                        }
                    }
                }
            }
            if self.lock.is_none() {
                if let Some((tab, attempt)) = self.queue.pop_front() {
                    progressed = true;
                    self.lock = Some((tab, attempt));
                    let now = self.now;
                    let machine = &mut self.tabs[tab].machine;
                    machine.handle_tombstones(now, &self.local_storage);
                    machine.handle_lock_acquired(now, attempt, None);
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn apply(&mut self, tab: usize, effect: Effect) {
        let now = self.now;
        match effect {
            Effect::Broadcast(envelope) => self.bus.push_back((tab, encode(&envelope))),
            Effect::AcquireRefreshLock { attempt } => self.queue.push_back((tab, attempt)),
            Effect::ReleaseRefreshLock { attempt, .. } => {
                if self.lock == Some((tab, attempt)) {
                    self.lock = None;
                }
                self.queue.retain(|entry| *entry != (tab, attempt));
            }
            Effect::CallRefreshHook { .. } => panic!("the site has a refresh endpoint, not a function"),
            Effect::Fetch { id, purpose, .. } => {
                self.sent.push((tab, purpose));
                let answer = self.answer(purpose);
                self.tabs[tab].machine.handle_fetch_answer(now, id, answer);
            }
            Effect::Persist(StoredSession(stored)) => self.tabs[tab].stored = Some(stored),
            Effect::WipeStorage => self.tabs[tab].stored = None,
            Effect::Keep(kept) => {
                // As the shell does: the later restore state wins; `None` wipes.
                let stored = self.kept.take();
                self.kept = kept.map(|kept| kept.newer(stored));
            }
            Effect::SaveTombstones(tombstones) => {
                // As the shell does: read, merge, write.
                let max_life = self.tabs[tab].machine.config().longest_lifetime_ms();
                self.local_storage.merge(&tombstones, now, max_life);
            }
        }
    }

    fn answer(&mut self, purpose: Purpose) -> FetchAnswer {
        if !self.backend.reachable {
            return FetchAnswer::Network;
        }
        let user = self.backend.user.clone();
        match purpose {
            Purpose::SessionCheck => match &user {
                Some(user) => json(200, &format!(r#"{{"signedIn":true,"user":"{user}"}}"#)),
                None => json(200, r#"{"signedIn":false,"user":null}"#),
            },
            Purpose::Keepalive => match &user {
                Some(user) => json(200, &format!(r#"{{"signedIn":true,"user":"{user}"}}"#)),
                None => json(401, r#"{"error":"unauthorized"}"#),
            },
            Purpose::Refresh => match &user {
                Some(user) => {
                    let token = self.jwt(user);
                    json(200, &format!(r#"{{"access_token":"{token}","expires_in":300,"user":"{user}"}}"#))
                }
                None => json(401, r#"{"error":"invalid_grant"}"#),
            },
            Purpose::Logout(_) | Purpose::ResendLogout => {
                self.backend.logouts += 1;
                if purpose == Purpose::ResendLogout {
                    self.backend.resent += 1;
                }
                let status = self.backend.logout_status;
                if (200..300).contains(&status) {
                    self.backend.user = None;
                }
                FetchAnswer::Response(Response::new(status, Body::Empty))
            }
        }
    }
}
