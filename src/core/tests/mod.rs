//! Native tests of the core: a fake clock, a multi-tab simulator, property tests.

mod answers;
mod config;
mod fallback;
mod fuzz;
mod json;
mod keepalive;
mod keys;
mod lease;
mod lifecycle;
mod multitab;
mod options;
mod props;
mod protocol;
mod redirects;
mod refresh;
mod requests;
mod security;
mod server;
mod sim;
mod storage;
mod tokens;
mod verdicts;
