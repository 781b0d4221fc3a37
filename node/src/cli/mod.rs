//! The `tongxin` command line: alliance authority commands, node set-up, verification.

pub mod alliance;
pub mod backup;
pub mod db;
pub mod node_init;
pub mod run;
pub mod user;
pub mod verify;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a file that must not exist yet, so that a key or certificate is never overwritten
/// by accident; `private` files get mode 0600.
pub(crate) fn write_new(path: &Path, content: &[u8], private: bool) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 });
    let mut f = opts.open(path).with_context(|| {
        if path.exists() {
            format!(
                "{} already exists; refusing to overwrite it",
                path.display()
            )
        } else {
            format!("cannot create {}", path.display())
        }
    })?;
    f.write_all(content)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Replaces a file atomically (write to a temporary name, then rename).
pub(crate) fn replace(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Checks that none of `paths` exists, before anything is written.
pub(crate) fn refuse_existing(paths: &[&PathBuf]) -> anyhow::Result<()> {
    for p in paths {
        if p.exists() {
            bail!(
                "{} already exists; refusing to overwrite it (choose another --out)",
                p.display()
            );
        }
    }
    Ok(())
}
