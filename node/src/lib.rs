//! `tongxin-node`: one organisation's node. The binary `tongxin` (src/main.rs) is its CLI.
//!
//! - `cli/`: the alliance authority's and operators' commands.
//! - `config`: the node's TOML configuration with `TONGXIN_*` overrides.

pub mod cli;
pub mod config;
