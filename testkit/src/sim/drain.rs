//! Draining one machine by hand, for tests that drive a single tab.

use wasm_session::core::machine::{Effect, Event, Machine, Purpose};

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
