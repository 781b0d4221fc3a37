//! `tongxin user add`: accounts of a node (password from stdin, stored as argon2id).

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};
use tongxin_schema::token::Role;

use crate::clock::Clock;
use crate::config::{Config, ExposeSecret};
use crate::http::auth::hash_password;
use crate::store::{DbTarget, Store, users};

pub fn add(config: &Path, username: &str, role: &str) -> anyhow::Result<()> {
    let role: Role = role.parse().map_err(anyhow::Error::msg)?;
    if !(1..=64).contains(&username.chars().count())
        || username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        bail!("--username must be 1 to 64 characters without spaces");
    }
    let cfg = Config::load(config)?;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from stdin")?;
    let password = password.trim_end_matches(['\n', '\r']);
    if password.chars().count() < 8 {
        bail!("the password (read from stdin) must have at least 8 characters");
    }
    let hash = hash_password(password).map_err(anyhow::Error::msg)?;
    let store = Store::open(
        DbTarget {
            url: cfg.database_url().expose_secret().to_owned(),
            sqlite_synchronous_full: cfg.database.sqlite_synchronous == "full",
        },
        1,
    )?;
    let created = store.write_blocking(|c| {
        users::put(
            c,
            username,
            &hash,
            &role.to_string(),
            Clock::system().now_ms(),
        )
    })?;
    println!(
        "{} user {username} ({role}) on {}",
        if created { "created" } else { "updated" },
        cfg.org_id
    );
    Ok(())
}
