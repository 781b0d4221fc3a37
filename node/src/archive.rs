//! Daily archives (PROTOCOL.md §4.10): once a Beijing day is over, the node writes the messages
//! it numbered and the messages it applied that day to `DATA_DIR/archive/DAY.jws.gz`: a gzip
//! file whose first line is a manifest the node signs (counts, the day, a SHA-256 over the
//! other lines) and whose other lines are the original JWS, one a line. `tongxin verify
//! --archive` checks one offline against the alliance root.
//!
//! The file is written beside its final name and renamed into place after an fsync, so an
//! archive that exists is whole. The manifest comes first but is signed last: the lines go to
//! a gzip member of their own while they are hashed, and the file is the manifest's member
//! followed by that one (a gzip file may hold several members; `zcat` reads them as one).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tongxin_schema::archive::ArchiveManifest;
use tongxin_schema::period;
use tongxin_schema::v1::bodies::ReportPeriod;
use tongxin_schema::{Signer, Verifier};

use crate::state::SharedNode;
use crate::store::AnyConnection;

/// How long after a day ends its archive is written: what was committed in its last moments
/// is in by then.
const GRACE_SECS: i64 = 600;
/// Rows read at a time while writing.
const PAGE: i64 = 5_000;

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("archive")
}

pub fn path_of(dir: &Path, day: &str) -> PathBuf {
    dir.join(format!("{day}.jws.gz"))
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = BigInt)]
    at: i64,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    jws: String,
}

/// The messages of one kind of line in `[from_ms, to_ms)`, a page at a time after `(at, key)`.
fn page(
    conn: &mut AnyConnection,
    sent: bool,
    from_ms: i64,
    to_ms: i64,
    after: &(i64, String),
) -> anyhow::Result<Vec<Line>> {
    // Sent: in the order numbered (outbox ids); received: in the order applied.
    let placeholder = match conn {
        AnyConnection::Sqlite(_) => "?",
        AnyConnection::Postgresql(_) => "$1",
    };
    let sql = if sent {
        format!(
            "SELECT id AS at, '' AS key, jws FROM outbox \
             WHERE created_ms >= {from_ms} AND created_ms < {to_ms} AND id > {} \
             ORDER BY id LIMIT {PAGE}",
            after.0
        )
    } else {
        format!(
            "SELECT applied_ms AS at, iss || ' ' || jti AS key, jws FROM received \
             WHERE applied_ms >= {from_ms} AND applied_ms < {to_ms} \
             AND (applied_ms, iss || ' ' || jti) > ({}, {placeholder}) \
             ORDER BY applied_ms, iss || ' ' || jti LIMIT {PAGE}",
            after.0
        )
    };
    let rows = if sent {
        diesel::sql_query(sql).load::<Line>(conn)?
    } else {
        diesel::sql_query(sql)
            .bind::<Text, _>(&after.1)
            .load::<Line>(conn)?
    };
    Ok(rows)
}

/// Writes the archive of the day that starts at `start_s` unless it exists. Returns the file
/// written, or None when there already was one.
pub fn write_day(
    conn: &mut AnyConnection,
    signer: &Signer,
    dir: &Path,
    start_s: i64,
    now_s: i64,
) -> anyhow::Result<Option<PathBuf>> {
    let (start_s, end_s) = period::bounds(ReportPeriod::Day, start_s);
    let day = period::label(ReportPeriod::Day, start_s);
    anyhow::ensure!(
        now_s >= end_s,
        "{day} is not over yet: its archive can be written from {end_s} (Unix time)"
    );
    let path = path_of(dir, &day);
    if path.exists() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let body_path = dir.join(format!(".{day}.lines.tmp"));
    let mut body = GzEncoder::new(
        BufWriter::new(
            File::create(&body_path)
                .with_context(|| format!("cannot create {}", body_path.display()))?,
        ),
        Compression::default(),
    );
    let mut hash = Sha256::new();
    let mut counts = [0u64; 2];
    for (i, sent) in [true, false].into_iter().enumerate() {
        let mut after = (i64::MIN, String::new());
        loop {
            let rows = page(conn, sent, start_s * 1000, end_s * 1000, &after)?;
            for r in &rows {
                hash.update(r.jws.as_bytes());
                hash.update(b"\n");
                body.write_all(r.jws.as_bytes())?;
                body.write_all(b"\n")?;
            }
            counts[i] += rows.len() as u64;
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => after = (last.at, last.key.clone()),
                _ => break,
            }
        }
    }
    body.finish()?.into_inner()?.sync_all()?;

    let manifest = ArchiveManifest {
        iss: signer.org_id().clone(),
        jti: uuid::Uuid::now_v7(),
        iat: now_s,
        day: day.clone(),
        from_ms: start_s * 1000,
        to_ms: end_s * 1000,
        sent: counts[0],
        received: counts[1],
        sha256: hex(&hash.finalize()),
    };
    let signed = signer.sign_archive_manifest(&manifest)?;
    let tmp = dir.join(format!(".{day}.jws.gz.tmp"));
    {
        let mut out = BufWriter::new(File::create(&tmp)?);
        let mut first = GzEncoder::new(&mut out, Compression::default());
        first.write_all(signed.as_bytes())?;
        first.write_all(b"\n")?;
        first.finish()?;
        std::io::copy(&mut File::open(&body_path)?, &mut out)?;
        out.into_inner()?.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    File::open(dir)?.sync_all()?;
    std::fs::remove_file(&body_path)?;
    Ok(Some(path))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first day with a message, as a Unix time within it.
pub fn first_day(conn: &mut AnyConnection) -> anyhow::Result<Option<i64>> {
    #[derive(QueryableByName)]
    struct First {
        #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
        ms: Option<i64>,
    }
    let f: First = diesel::sql_query(
        "SELECT MIN(ms) AS ms FROM (SELECT MIN(created_ms) AS ms FROM outbox \
         UNION ALL SELECT MIN(applied_ms) AS ms FROM received) t",
    )
    .get_result(conn)?;
    Ok(f.ms.map(|ms| ms / 1000))
}

/// Writes every missing archive of a day that ended at least [`GRACE_SECS`] before `now_s`,
/// from the first day with a message. Returns the files written.
pub fn write_missing(
    conn: &mut AnyConnection,
    signer: &Signer,
    dir: &Path,
    now_s: i64,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let Some(first) = first_day(conn)? else {
        return Ok(written);
    };
    let first = first.max(crate::retention::pruned_before_s(conn)?.unwrap_or(i64::MIN));
    let mut day = period::bounds(ReportPeriod::Day, first);
    while day.1 + GRACE_SECS <= now_s {
        if let Some(p) = write_day(conn, signer, dir, day.0, now_s)? {
            written.push(p);
        }
        day = (day.1, day.1 + 86_400);
    }
    Ok(written)
}

/// Runs in the node: a minute after it starts and every hour, writes the archives due.
pub async fn keep_archiving(node: SharedNode, mut stop: watch::Receiver<bool>) {
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        wait = Duration::from_secs(3600);
        let n = node.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut conn = n.store.target.connect()?;
            let dir = dir(&n.cfg.data_dir);
            let files = write_missing(&mut conn, &n.signer, &dir, n.clock.now_s())?;
            let pruned = crate::retention::prune_in(&n, &mut conn, &dir)?;
            anyhow::Ok((files, pruned))
        })
        .await;
        match done {
            Ok(Ok((files, pruned))) => {
                for f in files {
                    tracing::info!(file = %f.display(), "daily archive written");
                }
                if pruned.received + pruned.rejected + pruned.outbox > 0 {
                    tracing::info!(
                        received = pruned.received,
                        rejected = pruned.rejected,
                        outbox = pruned.outbox,
                        before_ms = pruned.before_ms,
                        "retention: archived messages removed from the database"
                    );
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "writing the daily archive failed; trying again in an hour")
            }
            Err(e) => tracing::warn!(error = %e, "the archive task failed"),
        }
    }
}

/// What `tongxin verify --archive` found.
pub struct Checked {
    pub manifest: ArchiveManifest,
    /// (line number, what is wrong), lines counted from 1 as `zcat FILE | sed -n Np` does.
    pub failures: Vec<(u64, String)>,
}

/// Checks an archive: the manifest verifies; the lines are as many as it says and hash to its
/// SHA-256; every line verifies as a message at `now`, a sent one issued by the archive's node,
/// a received one by another.
pub fn verify_file(verifier: &Verifier, path: &Path, now: i64) -> anyhow::Result<Checked> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut lines = BufReader::new(MultiGzDecoder::new(file)).lines();
    let first = lines
        .next()
        .context("the archive is empty")?
        .context("not a gzip file of text lines")?;
    let manifest = verifier
        .verify_archive_manifest(&first, now)
        .map_err(|e| anyhow::anyhow!("line 1, the manifest: rejected ({}): {e}", e.code()))?
        .value()
        .clone();
    let mut failures = Vec::new();
    let mut hash = Sha256::new();
    let mut n = 0u64;
    for line in lines {
        let line = line.with_context(|| format!("line {}: unreadable", n + 2))?;
        n += 1;
        let number = n + 1;
        hash.update(line.as_bytes());
        hash.update(b"\n");
        let sent = n <= manifest.sent;
        match verifier.verify(&line, now) {
            Err(e) => failures.push((number, format!("rejected ({}): {e}", e.code()))),
            Ok(m) if sent && m.iss != manifest.iss => failures.push((
                number,
                format!(
                    "listed as sent by {}, but issued by {}",
                    manifest.iss, m.iss
                ),
            )),
            Ok(m) if !sent && m.iss == manifest.iss => failures.push((
                number,
                format!("listed as received, but issued by {} itself", m.iss),
            )),
            Ok(_) => {}
        }
    }
    if n != manifest.sent + manifest.received {
        failures.push((
            n + 1,
            format!(
                "the manifest lists {} messages ({} sent, {} received), the file holds {n}",
                manifest.sent + manifest.received,
                manifest.sent,
                manifest.received
            ),
        ));
    }
    if hex(&hash.finalize()) != manifest.sha256 {
        failures.push((
            1,
            "the lines do not hash to the manifest's sha256: the file was changed".into(),
        ));
    }
    Ok(Checked { manifest, failures })
}
