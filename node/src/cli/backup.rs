//! `tongxin db backup` and `tongxin db restore`: a copy of a node's database taken while it
//! runs, and putting one back. A restored node has lost the messages it numbered after the
//! backup; its peers have them. So a restored database starts in recovery (PROTOCOL.md §7.9):
//! the node numbers nothing new on a stream until its peers have returned what it sent after
//! the backup and told it how far each stream had gone, and a seq is never used twice.
//!
//! SQLite: `VACUUM INTO` reads one consistent snapshot beside the running node (WAL lets it go
//! on writing) and writes a self-contained file, into which the recovery marker is written, so
//! that however the file is put back, the node recovers. PostgreSQL: `pg_dump` (one snapshot,
//! custom format) and `pg_restore`; the dump cannot carry the marker, so `db restore` writes it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::db::{claim_source, sqlite_path};
use crate::config::{Config, ExposeSecret};
use crate::store::{
    AnyConnection, DbTarget, RESTORE_PENDING, recovery, redact_url, run_migrations,
};

/// Writes a backup of the configured node's database to `to` (which must not exist).
pub fn backup(config: &Path, to: &Path) -> anyhow::Result<()> {
    let cfg = Config::load(config)?;
    let url = cfg.database_url().expose_secret().to_owned();
    if to.exists() {
        bail!("{} already exists; refusing to overwrite it", to.display());
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let target = DbTarget {
        url: url.clone(),
        sqlite_synchronous_full: true,
    };
    if target.is_postgres() {
        pg_dump(&url, &partial)?;
    } else {
        sqlite_backup(sqlite_path(&url), &partial)?;
    }
    sync_file(&partial)?;
    std::fs::rename(&partial, to)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), to.display()))?;
    sync_dir(to)?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!("{}", to.display());
    eprintln!(
        "backup of {} written: {} ({:.1} MiB); restore it with `tongxin db restore --config {} --from {}`",
        redact_url(&url),
        to.display(),
        size as f64 / (1024.0 * 1024.0),
        config.display(),
        to.display()
    );
    Ok(())
}

fn sqlite_backup(db: &str, partial: &Path) -> anyhow::Result<()> {
    if !Path::new(db).is_file() {
        bail!("the node's database {db} does not exist (check data_dir and database.url)");
    }
    let mut src = diesel::SqliteConnection::establish(db)
        .with_context(|| format!("cannot open the node's database {db}"))?;
    src.batch_execute("PRAGMA busy_timeout = 10000;")?;
    let out = partial
        .to_str()
        .context("the backup's path is not UTF-8")?
        .to_owned();
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(&out)
        .execute(&mut src)
        .with_context(|| format!("cannot copy {db} into {out}"))?;
    drop(src);
    let mut copy = AnyConnection::Sqlite(
        diesel::SqliteConnection::establish(&out)
            .with_context(|| format!("cannot open the copy {out}"))?,
    );
    check_integrity(&mut copy, &out)?;
    recovery::begin(&mut copy, super::now() * 1000).map_err(|e| {
        anyhow::anyhow!(
            "cannot mark the copy for recovery ({e}): is the node's database migrated to this \
             version of tongxin? Start the node once with it, then back up"
        )
    })?;
    Ok(())
}

fn check_integrity(conn: &mut AnyConnection, what: &str) -> anyhow::Result<()> {
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let AnyConnection::Sqlite(c) = conn else {
        return Ok(());
    };
    let rows = diesel::sql_query("PRAGMA integrity_check").load::<Check>(c)?;
    if rows.len() != 1 || rows[0].integrity_check != "ok" {
        let found: Vec<String> = rows.into_iter().map(|r| r.integrity_check).collect();
        bail!(
            "{what} fails SQLite's integrity check: {}",
            found.join("; ")
        );
    }
    Ok(())
}

/// Puts a backup in place of the configured node's database (the node must be stopped) and
/// starts recovery.
pub fn restore(config: &Path, from: &Path) -> anyhow::Result<()> {
    let cfg = Config::load(config)?;
    let url = cfg.database_url().expose_secret().to_owned();
    if !from.is_file() {
        bail!("{} does not exist", from.display());
    }
    let target = DbTarget {
        url: url.clone(),
        sqlite_synchronous_full: true,
    };
    let mut conn = if target.is_postgres() {
        let mut conn = target.connect()?;
        claim_source(&mut conn, &url)?;
        let tables = super::db::table_count(&mut conn)?;
        if tables > 0 {
            bail!(
                "the database {} is not empty ({tables} tables): create a new, empty database \
                 (createdb -O OWNER NAME), point database.url at it, then restore",
                redact_url(&url)
            );
        }
        // Until the marker is written, a node must not start on what pg_restore left.
        conn.batch_execute(&format!(
            "CREATE TABLE {RESTORE_PENDING} (started_ms BIGINT)"
        ))?;
        drop(conn);
        pg_restore(&url, from)?;
        let mut conn = target.connect()?;
        conn.transaction(|c| {
            run_migrations(c)?;
            recovery::begin(c, super::now() * 1000)?;
            c.batch_execute(&format!("DROP TABLE {RESTORE_PENDING}"))?;
            crate::store::StoreResult::Ok(())
        })?;
        conn
    } else {
        let db = PathBuf::from(sqlite_path(&url));
        if db.exists() {
            let mut current = target.connect()?;
            claim_source(&mut current, &url)?;
            drop(current);
        }
        // The copy is made whole (migrated, marked) under its own name, which the node refuses
        // to start beside; then the current database steps aside and the copy takes its place.
        let restoring = target
            .restoring_file()
            .context("a SQLite database has a restoring file")?;
        std::fs::copy(from, &restoring).with_context(|| {
            format!("cannot copy {} to {}", from.display(), restoring.display())
        })?;
        {
            let mut copy = AnyConnection::Sqlite(
                diesel::SqliteConnection::establish(restoring.to_str().context("path not UTF-8")?)
                    .with_context(|| format!("cannot open {}", restoring.display()))?,
            );
            check_integrity(&mut copy, &restoring.display().to_string())?;
            run_migrations(&mut copy)?;
            recovery::begin(&mut copy, super::now() * 1000)?;
        }
        sync_file(&restoring)?;
        // The current database keeps its name's inode under a new name; its WAL goes with it
        // (a WAL left beside the restored file would be replayed into it).
        let stamp = super::now();
        if db.exists() {
            let aside = with_suffix(&db, &format!(".before-restore-{stamp}"));
            std::fs::hard_link(&db, &aside)
                .with_context(|| format!("cannot keep {} as {}", db.display(), aside.display()))?;
            eprintln!("kept the database it replaces as {}", aside.display());
        }
        for suffix in ["-wal", "-shm"] {
            let f = with_suffix(&db, suffix);
            if f.exists() {
                let aside = with_suffix(&db, &format!("{suffix}.before-restore-{stamp}"));
                std::fs::rename(&f, &aside).with_context(|| {
                    format!("cannot move {} aside to {}", f.display(), aside.display())
                })?;
            }
        }
        std::fs::rename(&restoring, &db)
            .with_context(|| format!("cannot put {} in place", db.display()))?;
        sync_dir(&db)?;
        target.connect()?
    };
    let heads = crate::store::outbox::heads(&mut conn)?;
    eprintln!(
        "restored {} from {}. When the node starts, it asks its peers for the messages it sent \
         after this backup and numbers nothing new until they have answered (new messages are \
         refused with 'recovering' meanwhile). Own stream heads in the backup: {}",
        redact_url(&url),
        from.display(),
        heads
            .iter()
            .map(|(s, n)| format!("{s}={n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// `tongxin db recovery`: where a restored node's recovery stands; `release` ends it.
pub fn recovery(config: &Path, release: bool) -> anyhow::Result<()> {
    let cfg = Config::load(config)?;
    let url = cfg.database_url().expose_secret().to_owned();
    let mut conn = DbTarget {
        url: url.clone(),
        sqlite_synchronous_full: true,
    }
    .connect()?;
    let Some(started) = recovery::started(&mut conn)? else {
        println!("not recovering: every stream numbers freely");
        return Ok(());
    };
    let answers = recovery::answers(&mut conn)?;
    let released = recovery::released(&mut conn)?;
    println!(
        "recovering for {} s; released streams: {}",
        (crate::cli::now() * 1000 - started).max(0) / 1000,
        if released.is_empty() {
            "none".to_owned()
        } else {
            released.join(", ")
        }
    );
    for a in &answers {
        println!(
            "  {} answered for {}: last seq {}{}",
            a.peer,
            a.stream,
            a.last_seq,
            if a.done_ms.is_some() {
                ""
            } else {
                " (parts still coming)"
            }
        );
    }
    if release {
        recovery::finish(&mut conn)?;
        println!(
            "recovery ended by hand: the node numbers again after its highest known seq on each              stream; a peer that has later messages of this node will refuse the new ones as              seq_conflict"
        );
    } else {
        println!(
            "peers that have not answered are asked again every exchange.gap_retry_secs;              `--release` ends recovery by hand"
        );
    }
    Ok(())
}

/// The URL without its password, which goes to libpq through PGPASSWORD, not the command line.
fn pg_args(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}{tail}"),
            Some(
                percent_encoding::percent_decode_str(password)
                    .decode_utf8_lossy()
                    .into_owned(),
            ),
        ),
        None => (url.to_owned(), None),
    }
}

fn pg_command(program: &str, url: &str) -> Command {
    let (url, password) = pg_args(url);
    let mut c = Command::new(program);
    c.arg("--dbname").arg(url);
    if let Some(p) = password {
        c.env("PGPASSWORD", p);
    }
    c
}

fn run(mut c: Command, what: &str) -> anyhow::Result<()> {
    let out = c.output().with_context(|| {
        format!("cannot run {what}: is the PostgreSQL client installed (apt-get install postgresql-client)?")
    })?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn pg_dump(url: &str, partial: &Path) -> anyhow::Result<()> {
    let mut c = pg_command("pg_dump", url);
    c.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
        .arg(partial);
    run(c, "pg_dump")?;
    // A dump that pg_restore cannot list is no backup.
    let mut list = Command::new("pg_restore");
    list.arg("--list").arg(partial);
    run(list, "pg_restore --list")
}

fn pg_restore(url: &str, from: &Path) -> anyhow::Result<()> {
    let mut c = pg_command("pg_restore", url);
    c.args([
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ])
    .arg(from);
    run(c, "pg_restore")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", path.display()))
}

fn sync_dir(path: &Path) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_command_line() {
        assert_eq!(
            pg_args("postgres://tx:s%40cret@db:5432/tx"),
            (
                "postgres://tx@db:5432/tx".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            pg_args("postgres://postgres@127.0.0.1/t"),
            ("postgres://postgres@127.0.0.1/t".to_owned(), None)
        );
    }
}
