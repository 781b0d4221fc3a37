//! The transactional outbox: a message is numbered, signed and stored in the same transaction
//! as the domain change it announces; the relay publishes it later. Rows are kept after
//! sending, to answer `sync.requested`.

use diesel::prelude::*;
use tongxin_schema::envelope::{Audience, Message, Signer, Stream};
use tongxin_schema::v1::Body;

use super::schema::{out_streams, outbox};
use super::{AnyConnection, StoreError, StoreResult};

#[derive(Debug, Clone, Queryable)]
pub struct OutRow {
    pub id: i64,
    pub seq: i64,
    pub routing_key: String,
    pub jti: String,
    pub kind: String,
    pub jws: String,
}

/// A row of `outbox`, whole.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct OutboxRow {
    pub id: i64,
    pub stream: String,
    pub seq: i64,
    pub jti: String,
    pub kind: String,
    pub routing_key: String,
    pub jws: String,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
}

/// The last sequence number used on one of our streams.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = out_streams, treat_none_as_default_value = false)]
pub struct OutStreamRow {
    pub stream: String,
    pub last_seq: i64,
    /// Compacted up to here (PROTOCOL.md §7.10): a re-send below it says which runs are gone
    /// (`sync.compacted`).
    pub compacted_through: i64,
}

/// Numbers, signs and stores one message; returns it and its JWS.
pub fn enqueue(
    conn: &mut AnyConnection,
    signer: &Signer,
    now_ms: i64,
    aud: Audience,
    body: impl Into<Body>,
) -> StoreResult<(Message, String)> {
    let body = body.into();
    let rule = body.kind().rule();
    // A message every receiver would refuse would block this stream at all of them (the
    // gap could never close): refuse it here instead.
    if !rule.senders.contains(&signer.kind()) {
        return Err(StoreError::NotPermitted(format!(
            "a {} may not send {}",
            signer.kind(),
            body.kind()
        )));
    }
    let stream = Stream::for_message(body.kind(), &aud);
    if stream == Stream::Control {
        return Err(StoreError::Corrupt(format!(
            "{} is a control kind and is not sent through the outbox",
            body.kind()
        )));
    }
    let name = stream.to_string();
    if super::recovery::holds(conn, &name)? {
        return Err(StoreError::Recovering(name));
    }
    let last: Option<i64> = out_streams::table
        .find(&name)
        .select(out_streams::last_seq)
        .first(conn)
        .optional()?;
    let seq = last.unwrap_or(0) + 1;
    if last.is_some() {
        diesel::update(out_streams::table.find(&name))
            .set(out_streams::last_seq.eq(seq))
            .execute(conn)?;
    } else {
        diesel::insert_into(out_streams::table)
            .values((out_streams::stream.eq(&name), out_streams::last_seq.eq(seq)))
            .execute(conn)?;
    }
    let msg = Message::new(
        signer.org_id().clone(),
        aud,
        seq as u64,
        now_ms.div_euclid(1000),
        body,
    );
    let jws = signer
        .sign(&msg)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::stream.eq(&name),
            outbox::seq.eq(seq),
            outbox::jti.eq(msg.jti.hyphenated().to_string()),
            outbox::kind.eq(msg.kind().as_str()),
            outbox::routing_key.eq(msg.routing_key()),
            outbox::jws.eq(&jws),
            outbox::created_ms.eq(now_ms),
        ))
        .execute(conn)?;
    Ok((msg, jws))
}

type OutCols = (
    outbox::id,
    outbox::seq,
    outbox::routing_key,
    outbox::jti,
    outbox::kind,
    outbox::jws,
);
const OUT_COLS: OutCols = (
    outbox::id,
    outbox::seq,
    outbox::routing_key,
    outbox::jti,
    outbox::kind,
    outbox::jws,
);

/// The messages not yet confirmed by the broker after `after_id`, oldest first.
pub fn unsent(conn: &mut AnyConnection, after_id: i64, limit: i64) -> StoreResult<Vec<OutRow>> {
    Ok(outbox::table
        .filter(outbox::sent_ms.is_null().and(outbox::id.gt(after_id)))
        .order(outbox::id)
        .limit(limit)
        .select(OUT_COLS)
        .load(conn)?)
}

pub fn mark_sent(conn: &mut AnyConnection, ids: &[i64], now_ms: i64) -> StoreResult<()> {
    for chunk in ids.chunks(500) {
        diesel::update(outbox::table.filter(outbox::id.eq_any(chunk)))
            .set(outbox::sent_ms.eq(now_ms))
            .execute(conn)?;
    }
    Ok(())
}

/// Messages `from..=to` of one stream, for a re-send.
pub fn range(
    conn: &mut AnyConnection,
    stream: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> StoreResult<Vec<OutRow>> {
    Ok(outbox::table
        .filter(outbox::stream.eq(stream).and(outbox::seq.between(from, to)))
        .order(outbox::seq)
        .limit(limit)
        .select(OUT_COLS)
        .load(conn)?)
}

/// The last sequence number used on each stream.
pub fn heads(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    Ok(out_streams::table
        .select((out_streams::stream, out_streams::last_seq))
        .load(conn)?)
}

/// The last sequence number the broker has confirmed on each stream: what `node.hello`
/// announces (announcing unsent ones would make every peer ask for them at once).
pub fn sent_heads(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    use diesel::dsl::max;
    let rows: Vec<(String, Option<i64>)> = outbox::table
        .filter(outbox::sent_ms.is_not_null())
        .group_by(outbox::stream)
        .select((outbox::stream, max(outbox::seq)))
        .load(conn)?;
    let mut heads: Vec<(String, i64)> = rows
        .into_iter()
        .filter_map(|(s, m)| m.map(|m| (s, m)))
        .collect();
    // Compaction may have taken the last messages of a stream: its head is still theirs.
    let floors: Vec<(String, i64)> = out_streams::table
        .filter(out_streams::compacted_through.gt(0))
        .select((out_streams::stream, out_streams::compacted_through))
        .load(conn)?;
    for (stream, floor) in floors {
        match heads.iter_mut().find(|(s, _)| *s == stream) {
            Some((_, h)) => *h = (*h).max(floor),
            None => heads.push((stream, floor)),
        }
    }
    Ok(heads)
}

pub fn depth(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(outbox::table
        .filter(outbox::sent_ms.is_null())
        .count()
        .get_result(conn)?)
}
