//! Bookkeeping of the inbound side (`crate::inbound`): per-(sender, stream) heads, held
//! messages, deferred messages, the record of applied and rejected messages.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{deferred, effects, held, in_streams, received, rejected};
use super::{AnyConnection, StoreResult};

#[derive(Debug, Clone, Queryable, Insertable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = in_streams, treat_none_as_default_value = false)]
pub struct InStream {
    pub iss: String,
    pub stream: String,
    /// Highest sequence applied, in order.
    pub last_seq: i64,
    /// Highest sequence known to exist (seen held, or announced by `node.hello`).
    pub known_head: i64,
    /// Since when (Unix ms) messages are missing, if they are.
    pub gap_since_ms: Option<i64>,
    pub sync_requested_ms: Option<i64>,
    pub last_applied_ms: Option<i64>,
    /// Highest sequence whose record retention deleted (0: none): a message at or below it
    /// that arrives again is a duplicate, not a conflict.
    pub pruned_through: i64,
    /// Highest sequence the sender said is gone for good (`sync.compacted`, 0: none).
    pub compacted_through: i64,
}

impl InStream {
    /// Whether a message was applied on this stream within the last `ms`: the stream is still
    /// moving, and what it lacks is most likely still on its way.
    pub fn moved_within(&self, now_ms: i64, ms: i64) -> bool {
        self.last_applied_ms.is_some_and(|t| now_ms - t < ms)
    }
}

pub fn stream(conn: &mut AnyConnection, iss: &str, stream: &str) -> StoreResult<Option<InStream>> {
    Ok(in_streams::table
        .find((iss, stream))
        .first(conn)
        .optional()?)
}

pub fn save_stream(conn: &mut AnyConnection, s: &InStream) -> StoreResult<()> {
    let n = diesel::update(in_streams::table.find((&s.iss, &s.stream)))
        .set((
            in_streams::last_seq.eq(s.last_seq),
            in_streams::known_head.eq(s.known_head),
            in_streams::gap_since_ms.eq(s.gap_since_ms),
            in_streams::sync_requested_ms.eq(s.sync_requested_ms),
            in_streams::last_applied_ms.eq(s.last_applied_ms),
            in_streams::compacted_through.eq(s.compacted_through),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(in_streams::table)
            .values((
                in_streams::iss.eq(&s.iss),
                in_streams::stream.eq(&s.stream),
                in_streams::last_seq.eq(s.last_seq),
                in_streams::known_head.eq(s.known_head),
                in_streams::gap_since_ms.eq(s.gap_since_ms),
                in_streams::sync_requested_ms.eq(s.sync_requested_ms),
                in_streams::last_applied_ms.eq(s.last_applied_ms),
                in_streams::compacted_through.eq(s.compacted_through),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn all_streams(conn: &mut AnyConnection) -> StoreResult<Vec<InStream>> {
    Ok(in_streams::table
        .order((in_streams::iss, in_streams::stream))
        .load(conn)?)
}

/// Streams with messages missing.
pub fn gaps(conn: &mut AnyConnection) -> StoreResult<Vec<InStream>> {
    Ok(in_streams::table
        .filter(in_streams::known_head.gt(in_streams::last_seq))
        .load(conn)?)
}

pub fn is_received(conn: &mut AnyConnection, iss: &str, jti: &str) -> StoreResult<bool> {
    Ok(received::table
        .find((iss, jti))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Which of `jtis` from `iss` are already recorded: one query for a whole batch.
pub fn received_among(
    conn: &mut AnyConnection,
    iss: &str,
    jtis: &[&str],
) -> StoreResult<Vec<String>> {
    Ok(received::table
        .filter(received::iss.eq(iss).and(received::jti.eq_any(jtis)))
        .select(received::jti)
        .load(conn)?)
}

/// One applied message, as recorded (a row of `received`, whole).
#[derive(Queryable, Insertable)]
#[diesel(table_name = received, treat_none_as_default_value = false)]
pub struct ReceivedRow {
    pub iss: String,
    pub jti: String,
    pub stream: String,
    pub seq: i64,
    pub kind: String,
    pub jws: String,
    pub applied_ms: i64,
}

/// Records applied messages, many rows to a statement.
pub fn record_received(conn: &mut AnyConnection, rows: &[ReceivedRow]) -> StoreResult<()> {
    // Well under SQLite's and PostgreSQL's limits on bound parameters (7 per row).
    for chunk in rows.chunks(500) {
        crate::on_inner!(&mut *conn, |c| diesel::insert_into(received::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// A message held behind a gap, as stored.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = held, treat_none_as_default_value = false)]
pub struct HeldRow {
    pub iss: String,
    pub stream: String,
    pub seq: i64,
    pub jws: String,
    pub received_ms: i64,
}

/// Holds a message behind a gap; `false` when another message already holds its seq (the same
/// message twice is held once).
pub fn hold(
    conn: &mut AnyConnection,
    iss: &str,
    stream: &str,
    seq: i64,
    jws: &str,
    now_ms: i64,
) -> StoreResult<bool> {
    let before: Option<String> = held::table
        .find((iss, stream, seq))
        .select(held::jws)
        .first(conn)
        .optional()?;
    if let Some(other) = before {
        return Ok(other == jws);
    }
    {
        diesel::insert_into(held::table)
            .values((
                held::iss.eq(iss),
                held::stream.eq(stream),
                held::seq.eq(seq),
                held::jws.eq(jws),
                held::received_ms.eq(now_ms),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Removes and returns the held message `seq` of a stream, if any.
pub fn take_held(
    conn: &mut AnyConnection,
    iss: &str,
    stream: &str,
    seq: i64,
) -> StoreResult<Option<String>> {
    let jws: Option<String> = held::table
        .find((iss, stream, seq))
        .select(held::jws)
        .first(conn)
        .optional()?;
    if jws.is_some() {
        diesel::delete(held::table.find((iss, stream, seq))).execute(conn)?;
    }
    Ok(jws)
}

/// Drops held messages at or below `seq` (they arrived again in order).
pub fn drop_held_upto(
    conn: &mut AnyConnection,
    iss: &str,
    stream: &str,
    seq: i64,
) -> StoreResult<()> {
    diesel::delete(
        held::table.filter(
            held::iss
                .eq(iss)
                .and(held::stream.eq(stream))
                .and(held::seq.le(seq)),
        ),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether any message of a stream is held.
pub fn has_held(conn: &mut AnyConnection, iss: &str, stream: &str) -> StoreResult<bool> {
    let n: i64 = held::table
        .filter(held::iss.eq(iss).and(held::stream.eq(stream)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn held_count(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(held::table.count().get_result(conn)?)
}

#[derive(Debug, Clone)]
pub struct NewRejection<'a> {
    pub code: &'a str,
    pub reason: &'a str,
    pub iss: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub jti: Option<&'a str>,
    pub routing_key: &'a str,
    pub user_id: Option<&'a str>,
    pub raw: &'a str,
}

/// Keeps at most this much of a rejected message (it may be huge or hostile).
const RAW_KEEP: usize = 8 * 1024;

/// Text from outside may hold NUL, which PostgreSQL refuses in TEXT columns: one such message
/// would fail every batch it is in. Stored as U+FFFD instead.
fn storable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}").into()
    } else {
        s.into()
    }
}

pub fn record_rejected(
    conn: &mut AnyConnection,
    r: &NewRejection<'_>,
    now_ms: i64,
) -> StoreResult<()> {
    let mut end = r.raw.len().min(RAW_KEEP);
    while !r.raw.is_char_boundary(end) {
        end -= 1;
    }
    let (reason, raw, routing_key) = (
        storable(r.reason),
        storable(&r.raw[..end]),
        storable(r.routing_key),
    );
    let user_id = r.user_id.map(storable);
    diesel::insert_into(rejected::table)
        .values((
            rejected::received_ms.eq(now_ms),
            rejected::code.eq(r.code),
            rejected::reason.eq(reason.as_ref()),
            rejected::iss.eq(r.iss),
            rejected::kind.eq(r.kind),
            rejected::jti.eq(r.jti),
            rejected::routing_key.eq(routing_key.as_ref()),
            rejected::user_id.eq(user_id.as_deref()),
            rejected::raw.eq(raw.as_ref()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Insertable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = rejected, treat_none_as_default_value = false)]
pub struct Rejected {
    pub id: i64,
    pub received_ms: i64,
    pub code: String,
    pub reason: String,
    pub iss: Option<String>,
    pub kind: Option<String>,
    pub jti: Option<String>,
    pub routing_key: String,
    pub user_id: Option<String>,
    /// The first 8 KiB of the message as received.
    pub raw: String,
}

pub fn list_rejected(
    conn: &mut AnyConnection,
    limit: i64,
    code: Option<&str>,
) -> StoreResult<Vec<Rejected>> {
    let mut q = rejected::table
        .order(rejected::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = code {
        q = q.filter(rejected::code.eq(c.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// How many deliveries and effects were refused here, ever.
pub fn rejected_count(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(rejected::table.count().get_result(conn)?)
}

pub fn received_count(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(received::table.count().get_result(conn)?)
}

/// (seq, applied at, Unix ms) of every message applied from one sender's stream, for
/// measuring delivery latency.
pub fn applied_times(
    conn: &mut AnyConnection,
    iss: &str,
    stream: &str,
) -> StoreResult<Vec<(i64, i64)>> {
    Ok(received::table
        .filter(received::iss.eq(iss).and(received::stream.eq(stream)))
        .select((received::seq, received::applied_ms))
        .load(conn)?)
}

/// A message kept until this node acts on its kind.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = deferred, treat_none_as_default_value = false)]
pub struct Deferred {
    pub id: i64,
    pub iss: String,
    pub jti: String,
    pub kind: String,
    pub jws: String,
    pub received_ms: i64,
}

pub fn defer(
    conn: &mut AnyConnection,
    iss: &str,
    jti: &str,
    kind: &str,
    jws: &str,
    now_ms: i64,
) -> StoreResult<()> {
    diesel::insert_into(deferred::table)
        .values((
            deferred::iss.eq(iss),
            deferred::jti.eq(jti),
            deferred::kind.eq(kind),
            deferred::jws.eq(jws),
            deferred::received_ms.eq(now_ms),
        ))
        .execute(conn)?;
    Ok(())
}

/// Up to `limit` deferred messages after `after_id` whose kind is not one of `still_kept`, in
/// the order they arrived. (A node keeping a million messages of a kind it does not act on
/// reads none of them at its start.)
pub fn deferred_page(
    conn: &mut AnyConnection,
    still_kept: &[String],
    after_id: i64,
    limit: i64,
) -> StoreResult<Vec<Deferred>> {
    Ok(deferred::table
        .filter(deferred::id.gt(after_id))
        .filter(deferred::kind.ne_all(still_kept))
        .order(deferred::id)
        .limit(limit)
        .load(conn)?)
}

pub fn drop_deferred(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    diesel::delete(deferred::table.find(id)).execute(conn)?;
    Ok(())
}

/// (kind, count) of the deferred messages.
pub fn deferred_counts(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    Ok(deferred::table
        .group_by(deferred::kind)
        .select((deferred::kind, diesel::dsl::count_star()))
        .order(deferred::kind)
        .load(conn)?)
}

/// The lowest held sequence number of a stream: a gap ends just below it.
pub fn lowest_held(conn: &mut AnyConnection, iss: &str, stream: &str) -> StoreResult<Option<i64>> {
    Ok(held::table
        .filter(held::iss.eq(iss).and(held::stream.eq(stream)))
        .select(diesel::dsl::min(held::seq))
        .first(conn)?)
}

/// Adds `n` applied effects of `kind` (the record a second application would show).
pub fn add_effects(conn: &mut AnyConnection, kind: &str, n: i64) -> StoreResult<()> {
    let updated = diesel::update(effects::table.find(kind))
        .set(effects::applied.eq(effects::applied + n))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(effects::table)
            .values((effects::kind.eq(kind), effects::applied.eq(n)))
            .execute(conn)?;
    }
    Ok(())
}

/// (kind, applied) for every kind that took effect here.
pub fn effects(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    Ok(effects::table
        .select((effects::kind, effects::applied))
        .order(effects::kind)
        .load(conn)?)
}

/// A row of `effects`, whole.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = effects, treat_none_as_default_value = false)]
pub struct EffectsRow {
    pub kind: String,
    pub applied: i64,
}
