//! `tongxin-node`: one organisation's node. The binary `tongxin` (src/main.rs) is its CLI.
//!
//! - `app`: `Application::build(config)`, used by `tongxin run` and by the tests.
//! - `state`: identity, trust (root, CRL, roster), store and metrics of a running node.
//! - `clock`: the one source of time.
//! - `store/`: diesel, SQLite or PostgreSQL; one module per table family (outbox, inbound
//!   bookkeeping, offers, needs, claims, users, trust).
//! - `domain/`: the rules: local commands (validated once, returning what they wrote) and each
//!   kind's receive function.
//! - `inbound/`: the one way in: verify, record rejections, apply each sender's streams in
//!   order and exactly once, dispatch to the domain, keep kinds not acted on yet.
//! - `bus/`: lapin on RabbitMQ: moves bytes (consumer, outbox relay, control messages,
//!   reconnects); records nothing itself.
//! - `http/`: actix-web API, health, metrics, web UI; handlers extract, call the domain,
//!   map the error.
//! - `archive`: the signed daily archives of what the node sent and received.
//! - `cli/`: the alliance authority's and operators' commands.

pub mod app;
pub mod archive;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod compaction;
pub mod config;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod inbound;
pub mod metrics;
pub mod retention;
pub mod state;
pub mod store;
