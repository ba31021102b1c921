//! Native tests of the core: a fake clock, a multi-tab simulator, property tests.
//!
//! The simulator is `sim.rs` (the browser and network model), `lock.rs` (the
//! lock manager and the shell's lock bookkeeping), `server.rs` (the oracle
//! backend), `adapter.rs` (the only code that reads the machine's effects and
//! feeds its answers) and `invariants.rs` (what must hold, checked against the
//! server's and the test's books).

mod adapter;
mod config;
mod fuzz;
mod invariants;
mod keepalive;
mod lifecycle;
mod lock;
mod multitab;
mod orderings;
mod props;
mod protocol;
mod refresh;
mod security;
mod server;
mod sim;
mod storage;
mod tokens;
