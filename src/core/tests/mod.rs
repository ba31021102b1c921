//! Native tests of the core: a fake clock, a multi-tab simulator, property tests.
//!
//! The simulator is `sim.rs` (the browser and network model, its knobs in
//! `knobs.rs`), `lock.rs` (the lock manager and the shell's lock bookkeeping),
//! `backend.rs` (the oracle server), `adapter.rs` (the only code that reads the
//! machine's effects and feeds its answers) and `invariants.rs` (what must
//! hold, checked against the server's and the test's books).

mod adapter;
mod answers;
mod backend;
mod config;
mod fallback;
mod fuzz;
mod identity;
mod interleavings;
mod invariants;
mod json;
mod keepalive;
mod keys;
mod knobs;
mod lease;
mod lifecycle;
mod lock;
mod logout;
mod multitab;
mod options;
mod orderings;
mod origins;
mod props;
mod protocol;
mod redaction;
mod redirects;
mod refresh;
mod requests;
mod scope;
mod security;
mod server;
mod sim;
mod site;
mod storage;
mod tokens;
mod verdicts;

use proptest::test_runner::{Config, FileFailurePersistence};

/// The settings of every property test here: `cases` random cases
/// (`PROPTEST_CASES` overrides, for a longer hunt), after replaying the
/// failures persisted under `proptest-regressions/` (a tree parallel to
/// `src/`, committed: a failure found once is tried on every run).
fn proptest_config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    }
}
