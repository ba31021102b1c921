//! Native tests of the core: a fake clock, a multi-tab simulator, property tests.

mod config;
mod fuzz;
mod keepalive;
mod keys;
mod lease;
mod lifecycle;
mod multitab;
mod options;
mod props;
mod protocol;
mod refresh;
mod security;
mod sim;
mod storage;
mod tokens;
