//! Native tests of the core: a fake clock, a multi-tab simulator, property tests.

mod answers;
mod config;
mod fuzz;
mod identity;
mod keepalive;
mod keys;
mod lease;
mod lifecycle;
mod logout;
mod multitab;
mod options;
mod props;
mod protocol;
mod refresh;
mod requests;
mod security;
mod server;
mod sim;
mod site;
mod storage;
mod tokens;
mod verdicts;
