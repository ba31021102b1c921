//! Native tests of the core: a fake clock, a multi-tab simulator, property tests.

mod answers;
mod config;
mod fuzz;
mod keepalive;
mod keys;
mod lease;
mod lifecycle;
mod multitab;
mod options;
mod origins;
mod props;
mod protocol;
mod redaction;
mod refresh;
mod requests;
mod scope;
mod security;
mod server;
mod sim;
mod storage;
mod tokens;
mod verdicts;
