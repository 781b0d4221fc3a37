//! Compaction of our broadcast stream (PROTOCOL.md §7.10): once retention has passed, the
//! outbox keeps of the `all` stream only the messages that still make up our current state,
//! so that it levels off like the rest of the database, and a node that joins next year (or
//! comes back after longer than the retention) is sent the current state, not years of history.
//!
//! Per object (an offer, a need, an activity, an emergency), whose messages all came before the
//! cut: an activity goes whole once its end (`ends_at`) is before the cut, and stays whole until
//! then (lists show an activity until it ends, cancelled or not); any other object goes once its
//! closing message (`offer.withdrawn`, `need.fulfilled`, `emergency.closed`) is before the
//! cut, all but that message: a node that applied the object
//! and then was away learns from it that the object closed (a node that never had the object
//! takes it for nothing, §7.10). Of an offer updated over and over, the versions between its
//! first publication and its last one before the cut go. Of the trust documents (`roster.published`,
//! `revocation.published`), each replaces the last: only the newest stays. Everything else
//! stays, in order: the messages of open objects, and of anything closed after the cut.
//!
//! A re-send request reaching below `out_streams.compacted_through` is answered with the
//! surviving messages as they are and, for each run of sequence numbers that is gone, a signed
//! `sync.compacted` (bus/publisher.rs).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use tongxin_schema::envelope::Stream;

use crate::store::schema::{out_streams, outbox};
use crate::store::{AnyConnection, StoreResult};

/// Rows deleted per transaction (the objects of a batch are deleted whole: a receiver must
/// never be sent an object's publication without its closing message).
const BATCH: usize = 5_000;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Compacted {
    /// The stream is compacted up to this sequence number.
    pub through: i64,
    /// Outbox rows deleted.
    pub deleted: u64,
}

/// What the outbox will lose: the new floor, and the sequence numbers to delete, an object's
/// together.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub through: i64,
    pub objects: Vec<Vec<i64>>,
}

/// An outbox row of the broadcast stream, as compaction reads it.
struct Row {
    seq: i64,
    kind: String,
    jws: String,
    created_ms: i64,
}

/// What a broadcast is about: the object it publishes, changes or closes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Object(&'static str, String),
    /// A trust document: each replaces the one before.
    Document(String),
}

fn key_of(kind: &str, body: &serde_json::Value) -> Option<Key> {
    let id = |field: &str| body.get(field)?.as_str().map(str::to_owned);
    Some(match kind {
        "offer.published" | "offer.withdrawn" => Key::Object("offer", id("offer_id")?),
        "need.published" | "need.escalated" | "need.fulfilled" => {
            Key::Object("need", id("need_id")?)
        }
        "activity.published" | "activity.cancelled" => Key::Object("activity", id("activity_id")?),
        "emergency.declared" | "emergency.closed" => Key::Object("emergency", id("emergency_id")?),
        "roster.published" | "revocation.published" => Key::Document(kind.to_owned()),
        _ => return None,
    })
}

/// Whether `kind` closes the object it is about.
pub fn closes(kind: &str) -> bool {
    matches!(
        kind,
        "offer.withdrawn" | "need.fulfilled" | "activity.cancelled" | "emergency.closed"
    )
}

/// When a publication says its object ends (Unix seconds), if it does. Only an activity's end
/// counts: lists show activities until they end, but an offer past its `available_until`
/// until it is withdrawn.
fn end_of(kind: &str, body: &serde_json::Value) -> Option<i64> {
    match kind {
        "activity.published" => body.get("ends_at")?.as_i64(),
        _ => None,
    }
}

/// The body of one of our own messages, read without verifying (we signed it).
fn body_of(jws: &str) -> Option<serde_json::Value> {
    let payload = jws.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let mut claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(claims.get_mut("body")?.take())
}

/// What compacting at `before_ms` (an alliance midnight; everything sent before it is in a
/// daily archive) would delete. None when the floor would not move.
pub fn plan(conn: &mut AnyConnection, before_ms: i64) -> StoreResult<Option<Plan>> {
    let all = Stream::All.to_string();
    let floor = floor(conn)?;
    // Up to the last message sent before the cut, and never past one the broker has not
    // confirmed yet (the relay still has to send it).
    let last_before: Option<i64> = outbox::table
        .filter(
            outbox::stream
                .eq(&all)
                .and(outbox::created_ms.lt(before_ms)),
        )
        .select(diesel::dsl::max(outbox::seq))
        .first(conn)?;
    let first_unsent: Option<i64> = outbox::table
        .filter(outbox::stream.eq(&all).and(outbox::sent_ms.is_null()))
        .select(diesel::dsl::min(outbox::seq))
        .first(conn)?;
    let Some(mut through) = last_before else {
        return Ok(None);
    };
    if let Some(u) = first_unsent {
        through = through.min(u - 1);
    }
    // Activities end while a sender is idle: look again even when the floor stays.
    let through = through.max(floor);
    if through == 0 {
        return Ok(None);
    }
    let rows: Vec<Row> = outbox::table
        .filter(outbox::stream.eq(&all))
        .order(outbox::seq)
        .select((outbox::seq, outbox::kind, outbox::jws, outbox::created_ms))
        .load::<(i64, String, String, i64)>(conn)?
        .into_iter()
        .map(|(seq, kind, jws, created_ms)| Row {
            seq,
            kind,
            jws,
            created_ms,
        })
        .collect();
    Ok(Some(Plan {
        through,
        objects: gone(&rows, through, before_ms),
    }))
}

/// The sequence numbers that go, per object, of `rows` (the whole stream, in order).
fn gone(rows: &[Row], through: i64, before_ms: i64) -> Vec<Vec<i64>> {
    struct History {
        /// (seq, whether it is below the cut, kind).
        seqs: Vec<(i64, bool, String)>,
        last_kind: String,
        end_s: Option<i64>,
    }
    let mut order: Vec<Key> = Vec::new();
    let mut by_key: HashMap<Key, History> = HashMap::new();
    for r in rows {
        let Some(body) = body_of(&r.jws) else {
            continue;
        };
        let Some(key) = key_of(&r.kind, &body) else {
            continue;
        };
        let h = by_key.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            History {
                seqs: Vec::new(),
                last_kind: String::new(),
                end_s: None,
            }
        });
        h.seqs.push((
            r.seq,
            r.seq <= through && r.created_ms < before_ms,
            r.kind.clone(),
        ));
        h.last_kind.clone_from(&r.kind);
        if r.kind.ends_with(".published") {
            h.end_s = end_of(&r.kind, &body);
        }
    }
    let mut out = Vec::new();
    for key in order {
        let Some(h) = by_key.remove(&key) else {
            continue;
        };
        let all_before = h.seqs.iter().all(|(_, before, _)| *before);
        let ended = h.end_s.is_some_and(|e| e.saturating_mul(1000) < before_ms);
        let seqs = h.seqs.iter().map(|(s, _, _)| *s);
        let drop: Vec<i64> = match key {
            // The newest document stays whatever its age; older ones before the cut go.
            Key::Document(_) => {
                let older = &h.seqs[..h.seqs.len().saturating_sub(1)];
                older
                    .iter()
                    .filter(|(_, b, _)| *b)
                    .map(|(s, _, _)| *s)
                    .collect()
            }
            // An ended activity goes, but its cancellation (a node that had the activity and
            // its sign-ups must still learn of it).
            Key::Object(..) if all_before && ended && closes(&h.last_kind) => {
                seqs.take(h.seqs.len() - 1).collect()
            }
            Key::Object(..) if all_before && ended => seqs.collect(),
            // Lists show an object until its end, cancelled or not (an activity
            // cancelled next week is listed as cancelled): it stays whole until then.
            Key::Object(..) if all_before && h.end_s.is_some() => Vec::new(),
            Key::Object(..) if all_before && closes(&h.last_kind) => {
                seqs.take(h.seqs.len() - 1).collect()
            }
            Key::Object("offer", _) => superseded_offer_versions(&h.seqs),
            Key::Object(..) => Vec::new(),
        };
        if !drop.is_empty() {
            out.push(drop);
        }
    }
    out
}

/// Of an offer's messages (seq, before the cut, kind), those between its first publication and
/// its last publication before the cut: a publication replaces the whole offer and reopens it,
/// keeping only when it was first published (domain/offers.rs `upsert`), so applying the first
/// and the last gives what applying them all gives.
fn superseded_offer_versions(seqs: &[(i64, bool, String)]) -> Vec<i64> {
    const PUBLISHED: &str = "offer.published";
    if seqs.first().is_none_or(|(_, _, k)| k != PUBLISHED) {
        return Vec::new();
    }
    let Some(last) = seqs
        .iter()
        .rposition(|(_, before, k)| *before && k == PUBLISHED)
    else {
        return Vec::new();
    };
    let between = seqs.get(1..last).unwrap_or_default();
    if !between.iter().all(|(_, before, _)| *before) {
        return Vec::new();
    }
    between.iter().map(|(s, _, _)| *s).collect()
}

impl Plan {
    /// The deletes in transactions of about [`BATCH`] rows, an object never split.
    pub fn batches(&self) -> Vec<Vec<i64>> {
        let mut batches: Vec<Vec<i64>> = vec![Vec::new()];
        for object in &self.objects {
            if batches.last().is_some_and(|b| b.len() >= BATCH) {
                batches.push(Vec::new());
            }
            if let Some(b) = batches.last_mut() {
                b.extend(object);
            }
        }
        batches
    }
}

/// One transaction of a pass: raises the floor to `through` and deletes `seqs`. A pass cut
/// short leaves whole objects and a floor that is true.
pub fn delete_batch(conn: &mut AnyConnection, through: i64, seqs: &[i64]) -> StoreResult<u64> {
    let all = Stream::All.to_string();
    diesel::update(
        out_streams::table
            .find(&all)
            .filter(out_streams::compacted_through.lt(through)),
    )
    .set(out_streams::compacted_through.eq(through))
    .execute(conn)?;
    let mut deleted = 0;
    for chunk in seqs.chunks(500) {
        deleted += diesel::delete(
            outbox::table.filter(outbox::stream.eq(&all).and(outbox::seq.eq_any(chunk))),
        )
        .execute(conn)? as u64;
    }
    Ok(deleted)
}

/// Compacts on `conn` directly (in the node, retention::prune_in does it through the writer).
pub fn compact(conn: &mut AnyConnection, before_ms: i64) -> StoreResult<Compacted> {
    let Some(plan) = plan(conn, before_ms)? else {
        return Ok(Compacted::default());
    };
    let mut done = Compacted {
        through: plan.through,
        deleted: 0,
    };
    for batch in plan.batches() {
        done.deleted += conn.transaction(|c| delete_batch(c, plan.through, &batch))?;
    }
    Ok(done)
}

/// Up to where our broadcast stream is compacted.
pub fn floor(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(out_streams::table
        .find(Stream::All.to_string())
        .select(out_streams::compacted_through)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row(seq: i64, kind: &str, body: serde_json::Value, created_ms: i64) -> Row {
        let claims = serde_json::json!({ "kind": kind, "body": body });
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        Row {
            seq,
            kind: kind.into(),
            jws: format!("h.{payload}.s"),
            created_ms,
        }
    }

    #[test]
    fn closed_objects_go_and_open_ones_stay() {
        let offer = |id: &str| serde_json::json!({ "offer_id": id });
        let until = |id: &str, s: i64| serde_json::json!({ "offer_id": id, "available_until": s });
        let activity = |id: &str| serde_json::json!({ "activity_id": id });
        let ends = |id: &str, s: i64| serde_json::json!({ "activity_id": id, "ends_at": s });
        let rows = [
            row(1, "offer.published", offer("a"), 1_000),
            row(2, "offer.published", offer("b"), 1_000),
            row(3, "offer.withdrawn", offer("a"), 2_000),
            // Past its date but not withdrawn: still listed, so it stays.
            row(4, "offer.published", until("c", 5), 2_000),
            row(5, "offer.published", offer("d"), 2_000),
            row(6, "roster.published", serde_json::json!({}), 2_000),
            row(7, "roster.published", serde_json::json!({}), 3_000),
            // After the cut: d closes, but too late to go.
            row(8, "offer.withdrawn", offer("d"), 20_000),
            // e ends after the cut: cancelled or not, it stays whole until then.
            row(9, "activity.published", ends("e", 50), 3_000),
            row(10, "activity.cancelled", activity("e"), 3_000),
            row(11, "activity.published", ends("f", 8), 3_000),
            row(12, "activity.cancelled", activity("f"), 3_000),
            row(13, "activity.published", ends("g", 9), 3_000),
            // h: published, updated, withdrawn, published again, updated after the cut.
            row(14, "offer.published", offer("h"), 3_000),
            row(15, "offer.published", offer("h"), 3_000),
            row(16, "offer.withdrawn", offer("h"), 3_000),
            row(17, "offer.published", offer("h"), 4_000),
            row(18, "offer.published", offer("h"), 30_000),
        ];
        let gone = gone(&rows, 17, 10_000);
        // a: its publication goes, its withdrawal stays (a node that had a learns it closed);
        // the older roster; f, ended before the cut, all but its cancellation; g, ended; of h,
        // the versions between its first publication and its last before the cut.
        assert_eq!(
            gone,
            vec![vec![1], vec![6], vec![11], vec![13], vec![15, 16]]
        );
    }
}
