//! `tongxin-node`: one organisation's node. The binary `tongxin` (src/main.rs) is its CLI.
//!
//! - `app`: `Application::build(config)`, used by `tongxin run` and by the tests.
//! - `state`: identity, trust (root, CRL, roster), store and metrics of a running node.
//! - `store/`: diesel, SQLite or PostgreSQL; outbox, inbox, domain rows.
//! - `domain/`: what local actions and inbound messages may change.
//! - `exchange/`: exactly-once, in-order application of each sender's streams.
//! - `bus/`: lapin on RabbitMQ: consumer, outbox relay, control messages, reconnects.
//! - `http/`: actix-web API, health, metrics, web UI.
//! - `cli/`: the alliance authority's and operators' commands.

pub mod app;
pub mod bus;
pub mod cli;
pub mod config;
pub mod domain;
pub mod exchange;
pub mod http;
pub mod metrics;
pub mod state;
pub mod store;
