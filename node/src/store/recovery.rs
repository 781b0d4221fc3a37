//! The state of a node restored from a backup (PROTOCOL.md §7.9): while the `recovery` row
//! exists, a stream of ours that is not yet released takes no new sequence number, because
//! the messages we numbered after the backup are at our peers, not here.

use diesel::prelude::*;

use super::schema::{
    held, in_streams, out_streams, outbox, received, recovery, recovery_answers, recovery_released,
};
use super::{AnyConnection, StoreResult};

/// When the restored node started recovering; `None` for a node that is not recovering.
pub fn started(conn: &mut AnyConnection) -> StoreResult<Option<i64>> {
    Ok(recovery::table
        .select(recovery::started_ms)
        .first(conn)
        .optional()?)
}

/// Puts the database into recovery (again: a restored copy of a copy starts over).
pub fn begin(conn: &mut AnyConnection, now_ms: i64) -> StoreResult<()> {
    diesel::delete(recovery_answers::table).execute(conn)?;
    diesel::delete(recovery_released::table).execute(conn)?;
    diesel::delete(recovery::table).execute(conn)?;
    diesel::insert_into(recovery::table)
        .values((recovery::id.eq(1), recovery::started_ms.eq(now_ms)))
        .execute(conn)?;
    Ok(())
}

/// Whether `stream` (one of ours) may not take a new sequence number yet.
pub fn holds(conn: &mut AnyConnection, stream: &str) -> StoreResult<bool> {
    if started(conn)?.is_none() {
        return Ok(false);
    }
    let released: i64 = recovery_released::table
        .find(stream)
        .count()
        .get_result(conn)?;
    Ok(released == 0)
}

pub fn release(conn: &mut AnyConnection, stream: &str, now_ms: i64) -> StoreResult<bool> {
    let done: i64 = recovery_released::table
        .find(stream)
        .count()
        .get_result(conn)?;
    if done > 0 {
        return Ok(false);
    }
    diesel::insert_into(recovery_released::table)
        .values((
            recovery_released::stream.eq(stream),
            recovery_released::released_ms.eq(now_ms),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn released(conn: &mut AnyConnection) -> StoreResult<Vec<String>> {
    Ok(recovery_released::table
        .select(recovery_released::stream)
        .load(conn)?)
}

/// Ends recovery: every stream numbers freely again.
pub fn finish(conn: &mut AnyConnection) -> StoreResult<()> {
    diesel::delete(recovery_answers::table).execute(conn)?;
    diesel::delete(recovery_released::table).execute(conn)?;
    diesel::delete(recovery::table).execute(conn)?;
    Ok(())
}

/// The marker row, whole.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = recovery)]
pub struct RecoveryRow {
    pub id: i32,
    pub started_ms: i64,
}

/// A released stream, whole.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = recovery_released)]
pub struct ReleasedRow {
    pub stream: String,
    pub released_ms: i64,
}

/// A peer's answer (or part of one) about one of our streams.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = recovery_answers, treat_none_as_default_value = false)]
pub struct Answer {
    pub peer: String,
    pub stream: String,
    pub last_seq: i64,
    pub done_ms: Option<i64>,
}

pub fn answers(conn: &mut AnyConnection) -> StoreResult<Vec<Answer>> {
    Ok(recovery_answers::table
        .select((
            recovery_answers::peer,
            recovery_answers::stream,
            recovery_answers::last_seq,
            recovery_answers::done_ms,
        ))
        .load(conn)?)
}

pub fn record_answer(
    conn: &mut AnyConnection,
    peer: &str,
    stream: &str,
    last_seq: i64,
    done_ms: Option<i64>,
) -> StoreResult<()> {
    let before: Option<(i64, Option<i64>)> = recovery_answers::table
        .find((peer, stream))
        .select((recovery_answers::last_seq, recovery_answers::done_ms))
        .first(conn)
        .optional()?;
    match before {
        None => {
            diesel::insert_into(recovery_answers::table)
                .values((
                    recovery_answers::peer.eq(peer),
                    recovery_answers::stream.eq(stream),
                    recovery_answers::last_seq.eq(last_seq),
                    recovery_answers::done_ms.eq(done_ms),
                ))
                .execute(conn)?;
        }
        Some((seq, done)) => {
            diesel::update(recovery_answers::table.find((peer, stream)))
                .set((
                    recovery_answers::last_seq.eq(seq.max(last_seq)),
                    recovery_answers::done_ms.eq(done.or(done_ms)),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The last sequence number we used on each stream, as this database knows it.
pub fn own_head(conn: &mut AnyConnection, stream: &str) -> StoreResult<i64> {
    Ok(out_streams::table
        .find(stream)
        .select(out_streams::last_seq)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// One of our own messages a peer returned.
pub struct Returned<'a> {
    pub stream: &'a str,
    pub seq: i64,
    pub jti: String,
    pub kind: &'a str,
    pub routing_key: String,
    pub jws: &'a str,
    pub created_ms: i64,
}

/// What became of a returned message.
#[derive(Debug, PartialEq, Eq)]
pub enum Restored {
    /// Put back into the outbox, as sent.
    Added,
    /// Already there.
    Known,
    /// Another message of ours holds this sequence number here.
    Conflict,
}

/// Puts one of our own messages back into the outbox (as sent: the peers have it), so that we
/// can re-send it to a peer that asks, and never number another message with its seq.
pub fn restore_own(
    conn: &mut AnyConnection,
    r: &Returned<'_>,
    now_ms: i64,
) -> StoreResult<Restored> {
    let at_seq: Option<String> = outbox::table
        .filter(outbox::stream.eq(r.stream).and(outbox::seq.eq(r.seq)))
        .select(outbox::jti)
        .first(conn)
        .optional()?;
    match at_seq {
        Some(jti) if jti == r.jti => return Ok(Restored::Known),
        Some(_) => return Ok(Restored::Conflict),
        None => {}
    }
    diesel::insert_into(outbox::table)
        .values((
            outbox::stream.eq(r.stream),
            outbox::seq.eq(r.seq),
            outbox::jti.eq(&r.jti),
            outbox::kind.eq(r.kind),
            outbox::routing_key.eq(&r.routing_key),
            outbox::jws.eq(r.jws),
            outbox::created_ms.eq(r.created_ms),
            outbox::sent_ms.eq(Some(now_ms)),
        ))
        .execute(conn)?;
    raise_head(conn, r.stream, r.seq)?;
    Ok(Restored::Added)
}

/// Our next number on `stream` comes after `seq`.
fn raise_head(conn: &mut AnyConnection, stream: &str, seq: i64) -> StoreResult<()> {
    let last: Option<i64> = out_streams::table
        .find(stream)
        .select(out_streams::last_seq)
        .first(conn)
        .optional()?;
    match last {
        Some(l) if l >= seq => {}
        Some(_) => {
            diesel::update(out_streams::table.find(stream))
                .set(out_streams::last_seq.eq(seq))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(out_streams::table)
                .values((
                    out_streams::stream.eq(stream),
                    out_streams::last_seq.eq(seq),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// At a peer: what we hold of `iss`'s stream from `from` on, applied or held behind a gap, in
/// sequence order (at most `limit`), and the highest seq of it we know of.
pub fn messages_of(
    conn: &mut AnyConnection,
    iss: &str,
    stream: &str,
    from: i64,
    limit: i64,
) -> StoreResult<(Vec<(i64, String)>, i64)> {
    let mut rows: Vec<(i64, String)> = received::table
        .filter(
            received::iss
                .eq(iss)
                .and(received::stream.eq(stream))
                .and(received::seq.ge(from)),
        )
        .order(received::seq)
        .limit(limit)
        .select((received::seq, received::jws))
        .load(conn)?;
    let held_rows: Vec<(i64, String)> = held::table
        .filter(
            held::iss
                .eq(iss)
                .and(held::stream.eq(stream))
                .and(held::seq.ge(from)),
        )
        .order(held::seq)
        .limit(limit)
        .select((held::seq, held::jws))
        .load(conn)?;
    rows.extend(held_rows);
    rows.sort_by_key(|(seq, _)| *seq);
    rows.truncate(limit as usize);
    let known: Option<(i64, i64)> = in_streams::table
        .find((iss, stream))
        .select((in_streams::last_seq, in_streams::known_head))
        .first(conn)
        .optional()?;
    let head = known
        .map_or(0, |(last, known)| last.max(known))
        .max(rows.last().map_or(0, |(seq, _)| *seq));
    Ok((rows, head))
}
