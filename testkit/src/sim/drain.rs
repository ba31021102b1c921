//! Driving one machine by hand, for tests of a single tab: a setup with every
//! endpoint, and draining its effects and events.

use wasm_session::core::endpoints::{Endpoint, TokenMode, Transport};
use wasm_session::core::machine::{Effect, Event, Machine, Purpose, Setup};

use super::{test_config, MIN};

/// Every endpoint in `mode` (the refresh endpoint in bearer mode only), a
/// keepalive every minute; `refresh_hook`: the app renews tokens itself.
pub fn every_endpoint(mode: TokenMode, refresh_hook: bool) -> Setup {
    let transport = Transport {
        refresh: (mode == TokenMode::Bearer).then(|| Endpoint::post("/auth/refresh")),
        keepalive: Some(Endpoint::post("/auth/keepalive")),
        session: Some(Endpoint::get("/auth/session")),
        logout: Some(Endpoint::post("/auth/logout")),
        mode,
        ..Transport::default()
    };
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    Setup { config, transport, refresh_hook, ..Setup::new(test_config()) }
}

/// Every effect the machine has queued, in order.
pub fn effects(machine: &mut Machine) -> Vec<Effect> {
    std::iter::from_fn(|| machine.poll_effect()).collect()
}

/// Every event the machine has queued, in order.
pub fn events(machine: &mut Machine) -> Vec<Event> {
    std::iter::from_fn(|| machine.poll_event()).collect()
}

/// The ids of the requests sent for `purpose`, in order.
pub fn sent(effects: &[Effect], purpose: Purpose) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Fetch { id, purpose: p, .. } if *p == purpose => Some(*id),
            _ => None,
        })
        .collect()
}

/// The keepalive a lone machine sends at `now`: it asks for the refresh lock
/// first (single flight across tabs), which is granted at once here. Drains
/// every effect; `None` when no keepalive went out.
pub fn keepalive_sent(machine: &mut Machine, now: u64) -> Option<u64> {
    let mut sent = None;
    while let Some(effect) = machine.poll_effect() {
        match effect {
            Effect::AcquireRefreshLock { attempt } => machine.handle_lock_acquired(now, attempt, None),
            Effect::Fetch { id, purpose: Purpose::Keepalive, .. } => sent = Some(id),
            _ => {}
        }
    }
    sent
}
