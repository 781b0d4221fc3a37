//! Retention (deploy/README.md, "Retention"): the record of received and refused messages
//! older than `retention.days` leaves the database once its days are in the daily archives
//! (PROTOCOL.md §4.10), so that a node's disk levels off under a steady load.
//!
//! What goes: `received` rows (the applied messages, most of the disk: every broadcast of the
//! alliance is one at every node) and `rejected` rows. The highest seq deleted per stream is
//! kept (`in_streams.pruned_through`), so an old message delivered again is still recognised
//! as a duplicate. Of the outbox, the broadcasts of objects closed before the cut
//! (crate::compaction, PROTOCOL.md §7.10). What stays: the rest of the outbox (our direct
//! messages, which a peer back from an absence asks for: §7.4), held and kept (deferred)
//! messages, and every domain table (offers, needs, check-ins… are state, not a log).
//!
//! Days are cut whole, at the alliance's midnight, and only days whose archive exists are cut:
//! a day the archiver could not write stays in the database until it has.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tongxin_schema::period;
use tongxin_schema::v1::bodies::ReportPeriod;

use crate::store::schema::{in_streams, received, rejected};
use crate::store::{AnyConnection, StoreResult};

/// Rows deleted per statement: short transactions, so the node's writer is not held up.
const BATCH: i64 = 5_000;
/// The `trust` row that records up to where the record was cut (Unix ms, the serial).
pub const PRUNED_BEFORE: &str = "pruned_before";

/// What one pass deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Everything applied or refused before this (Unix ms, an alliance midnight) is gone.
    pub before_ms: i64,
    pub received: u64,
    pub rejected: u64,
    /// Rows of our outbox that compaction deleted (crate::compaction).
    pub outbox: u64,
}

/// Up to where the record may be cut at `now_s` with `days` of retention: the midnight that
/// starts the day `days` ago, or earlier, the start of the first day without an archive.
/// None when nothing may be cut.
pub fn cutoff(
    conn: &mut AnyConnection,
    archive_dir: &Path,
    days: u32,
    now_s: i64,
) -> anyhow::Result<Option<i64>> {
    if days == 0 {
        return Ok(None);
    }
    let (mut cut, _) = period::bounds(ReportPeriod::Day, now_s - i64::from(days) * 86_400);
    let Some(first) = crate::archive::first_day(conn)? else {
        return Ok(None);
    };
    // Days already cut need no archive check (and are never archived again).
    let first = first.max(pruned_before_s(conn)?.unwrap_or(i64::MIN));
    let mut day = period::bounds(ReportPeriod::Day, first).0;
    while day < cut {
        let name = period::label(ReportPeriod::Day, day);
        if !crate::archive::path_of(archive_dir, &name).exists() {
            cut = day;
            break;
        }
        day += 86_400;
    }
    Ok((cut > period::bounds(ReportPeriod::Day, first).0).then_some(cut * 1000))
}

/// Deletes what is past retention and archived, on `conn`; returns what it did. (In the node,
/// [`prune_in`] does the same through its one writer.)
pub fn prune(
    conn: &mut AnyConnection,
    archive_dir: &Path,
    days: u32,
    now_s: i64,
) -> anyhow::Result<Pruned> {
    let Some(before_ms) = cutoff(conn, archive_dir, days, now_s)? else {
        return Ok(Pruned::default());
    };
    set_floors(conn, before_ms)?;
    let mut done = Pruned {
        before_ms,
        ..Pruned::default()
    };
    loop {
        let (r, j) = delete_batch(conn, before_ms)?;
        if r + j == 0 {
            break;
        }
        done.received += r;
        done.rejected += j;
    }
    done.outbox = crate::compaction::compact(conn, before_ms)?.deleted;
    record(conn, before_ms, now_s)?;
    Ok(done)
}

/// [`prune`] in a running node: the cut is found on `conn`, a connection of its own, and every
/// write goes through the node's writer, a batch at a time (a second SQLite writer would make
/// the node's own transactions fail, and one long delete would hold them up).
pub fn prune_in(
    node: &crate::state::Node,
    conn: &mut AnyConnection,
    archive_dir: &Path,
) -> anyhow::Result<Pruned> {
    let now_s = node.clock.now_s();
    let Some(before_ms) = cutoff(conn, archive_dir, node.cfg.retention.days, now_s)? else {
        return Ok(Pruned::default());
    };
    node.store.write_blocking(|c| set_floors(c, before_ms))?;
    let mut done = Pruned {
        before_ms,
        ..Pruned::default()
    };
    loop {
        let (r, j) = node.store.write_blocking(|c| delete_batch(c, before_ms))?;
        if r + j == 0 {
            break;
        }
        done.received += r;
        done.rejected += j;
    }
    if let Some(plan) = crate::compaction::plan(conn, before_ms)? {
        for batch in plan.batches() {
            done.outbox += node
                .store
                .write_blocking(|c| crate::compaction::delete_batch(c, plan.through, &batch))?;
        }
    }
    node.store.write_blocking(|c| record(c, before_ms, now_s))?;
    Ok(done)
}

/// The highest seq to be deleted per stream, kept in `in_streams` before the rows go: should
/// the deletes be cut short, a floor above rows still there changes nothing (the `jti` check
/// finds those first).
fn set_floors(conn: &mut AnyConnection, before_ms: i64) -> StoreResult<()> {
    #[derive(QueryableByName)]
    struct Floor {
        #[diesel(sql_type = Text)]
        iss: String,
        #[diesel(sql_type = Text)]
        stream: String,
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let floors: Vec<Floor> = diesel::sql_query(format!(
        "SELECT iss, stream, MAX(seq) AS seq FROM received WHERE applied_ms < {before_ms} \
         GROUP BY iss, stream"
    ))
    .load(conn)?;
    for f in &floors {
        diesel::update(
            in_streams::table
                .find((&f.iss, &f.stream))
                .filter(in_streams::pruned_through.lt(f.seq)),
        )
        .set(in_streams::pruned_through.eq(f.seq))
        .execute(conn)?;
    }
    Ok(())
}

/// Deletes up to [`BATCH`] rows of each table from before `before_ms`; returns how many.
fn delete_batch(conn: &mut AnyConnection, before_ms: i64) -> StoreResult<(u64, u64)> {
    let keys: Vec<(String, String)> = received::table
        .filter(received::applied_ms.lt(before_ms))
        .select((received::iss, received::jti))
        .limit(BATCH)
        .load(conn)?;
    for (iss, jti) in &keys {
        diesel::delete(received::table.find((iss, jti))).execute(conn)?;
    }
    let ids: Vec<i64> = rejected::table
        .filter(rejected::received_ms.lt(before_ms))
        .select(rejected::id)
        .limit(BATCH)
        .load(conn)?;
    if !ids.is_empty() {
        diesel::delete(rejected::table.filter(rejected::id.eq_any(&ids))).execute(conn)?;
    }
    Ok((keys.len() as u64, ids.len() as u64))
}

fn record(conn: &mut AnyConnection, before_ms: i64, now_s: i64) -> StoreResult<()> {
    crate::store::trust::put(conn, PRUNED_BEFORE, before_ms, "", now_s * 1000)
}

/// Where archiving may start: no archive is written again for a day the record was cut from
/// (it would lack what was cut).
pub fn pruned_before_s(conn: &mut AnyConnection) -> anyhow::Result<Option<i64>> {
    Ok(crate::store::trust::get(conn, PRUNED_BEFORE)?.map(|(ms, _)| ms / 1000))
}
