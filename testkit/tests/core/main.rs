//! Native tests of the core: a fake clock, a multi-tab simulator, property
//! tests, the fuzz targets on the corpus and on proptest bytes.
//!
//! The simulator is the test kit's `sim` module (`testkit/src/sim/`: the
//! browser and network model in `mod.rs`, its knobs in `knobs.rs`, the lock
//! manager and the shell's lock bookkeeping in `lock.rs`, the oracle server in
//! `backend.rs`, the only code that reads the machine's effects and feeds its
//! answers in `adapter.rs`, and what must hold, checked against the server's
//! and the test's books, in `invariants.rs`), with the shared helpers
//! (`test_config`, `id`, `T0`, `SEC`, `MIN`).

mod answers;
mod config;
mod encodings;
mod fallback;
mod fuzz;
mod identity;
mod interleavings;
mod joining;
mod json;
mod keepalive;
mod keepalive_tabs;
mod keys;
mod lease;
mod lifecycle;
mod logout;
mod multitab;
mod options;
mod orderings;
mod origins;
mod props;
mod protocol;
mod records;
mod redaction;
mod redirects;
mod refresh;
mod remember;
mod requests;
mod scope;
mod security;
mod server;
mod site;
mod storage;
mod tokens;
mod verdicts;

use proptest::test_runner::{Config, FileFailurePersistence};

/// The settings of every property test here: `cases` random cases
/// (`PROPTEST_CASES` overrides, for a longer hunt), after replaying the
/// failures persisted under `testkit/tests/proptest-regressions/` (next to this
/// directory, one file per test file, committed: a failure found once is tried
/// on every run).
fn proptest_config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    }
}
