//! Each sender's streams applied in order, exactly once (PROTOCOL.md §7.3): duplicates
//! acknowledged without effect, a used sequence number refused, messages behind a gap held
//! until `sync.requested` brings the missing ones.

use std::collections::{HashMap, HashSet};

use tongxin_schema::envelope::{Message, Stream, Verified};
use tongxin_schema::v1::Body;
use tongxin_schema::v1::bodies::{SyncCompacted, SyncRequested};

use super::dispatch::{Dispatched, dispatch};
use super::rejections::{self, Rejection};
use super::{FollowUp, Incoming, Verdict};
use crate::domain::Outcome;
use crate::state::Node;
use crate::store::inbound::{self as q, InStream, ReceivedRow};
use crate::store::{AnyConnection, StoreResult};

/// Applies `batch` in order; returns one verdict per message. Runs inside the caller's
/// transaction: if it fails, nothing was applied and nothing will be acked.
pub fn apply_batch(
    node: &Node,
    conn: &mut AnyConnection,
    batch: &[Incoming],
    follow: &mut FollowUp,
) -> StoreResult<Vec<Verdict>> {
    let mut verdicts = Vec::with_capacity(batch.len());
    let mut streams = Streams::default();
    let mut received = Received::look_up(conn, batch)?;
    for inc in batch {
        verdicts.push(apply_one(
            node,
            conn,
            inc,
            follow,
            &mut streams,
            &mut received,
        )?);
    }
    received.flush(conn)?;
    streams.flush(conn)?;
    Ok(verdicts)
}

/// The batch's view of the `received` record: looked up with one query per sender at the
/// start, written with multi-row inserts at the end.
struct Received {
    /// (iss, jti) already recorded, or applied earlier in this batch.
    seen: HashSet<(String, String)>,
    /// (iss, jti) looked up and not recorded.
    absent: HashSet<(String, String)>,
    new: Vec<ReceivedRow>,
    /// Messages that took effect in this batch, per kind.
    effects: std::collections::BTreeMap<&'static str, i64>,
}

impl Received {
    fn look_up(conn: &mut AnyConnection, batch: &[Incoming]) -> StoreResult<Received> {
        let mut by_iss: HashMap<&str, Vec<String>> = HashMap::new();
        for inc in batch {
            by_iss
                .entry(inc.msg.iss.as_str())
                .or_default()
                .push(inc.msg.jti.hyphenated().to_string());
        }
        let mut r = Received {
            seen: HashSet::new(),
            absent: HashSet::new(),
            new: Vec::with_capacity(batch.len()),
            effects: Default::default(),
        };
        for (iss, jtis) in by_iss {
            let refs: Vec<&str> = jtis.iter().map(String::as_str).collect();
            let found: HashSet<String> = q::received_among(conn, iss, &refs)?.into_iter().collect();
            for jti in jtis {
                let set = if found.contains(&jti) {
                    &mut r.seen
                } else {
                    &mut r.absent
                };
                set.insert((iss.to_owned(), jti));
            }
        }
        Ok(r)
    }

    fn contains(&self, conn: &mut AnyConnection, iss: &str, jti: &str) -> StoreResult<bool> {
        let key = (iss.to_owned(), jti.to_owned());
        if self.seen.contains(&key) {
            return Ok(true);
        }
        if self.absent.contains(&key) {
            return Ok(false);
        }
        // A held message taken out of line: not in the batch's lookup.
        q::is_received(conn, iss, jti)
    }

    fn record(
        &mut self,
        iss: &str,
        jti: String,
        stream: &str,
        seq: i64,
        m: &Verified<Message>,
        now_ms: i64,
    ) {
        self.seen.insert((iss.to_owned(), jti.clone()));
        self.new.push(ReceivedRow {
            iss: iss.to_owned(),
            jti,
            stream: stream.to_owned(),
            seq,
            kind: m.kind().as_str().to_owned(),
            jws: m.raw().to_owned(),
            applied_ms: now_ms,
        });
    }

    fn flush(self, conn: &mut AnyConnection) -> StoreResult<()> {
        q::record_received(conn, &self.new)?;
        for (kind, n) in self.effects {
            q::add_effects(conn, kind, n)?;
        }
        Ok(())
    }
}

/// The largest forward jump in a stream that is held as a gap rather than refused.
pub const MAX_SEQ_JUMP: i64 = 1_000_000;

/// Stream rows read once per batch and written back once at its end.
#[derive(Default)]
struct Streams {
    rows: HashMap<(String, String), InStream>,
    /// Whether a stream may have held messages: asked once per batch, and only for a stream
    /// whose known head is ahead (a sender's hello announces heads the stream has not reached
    /// yet all the time; asking the `held` table after every message would cost two queries).
    may_hold: HashMap<(String, String), bool>,
}

impl Streams {
    fn load(&mut self, conn: &mut AnyConnection, iss: &str, stream: &str) -> StoreResult<InStream> {
        let key = (iss.to_owned(), stream.to_owned());
        if let Some(st) = self.rows.get(&key) {
            return Ok(st.clone());
        }
        let st = q::stream(conn, iss, stream)?.unwrap_or_else(|| new_stream(iss, stream));
        self.rows.insert(key, st.clone());
        Ok(st)
    }

    fn may_hold(&mut self, conn: &mut AnyConnection, iss: &str, stream: &str) -> StoreResult<bool> {
        let key = (iss.to_owned(), stream.to_owned());
        if let Some(h) = self.may_hold.get(&key) {
            return Ok(*h);
        }
        let h = q::has_held(conn, iss, stream)?;
        self.may_hold.insert(key, h);
        Ok(h)
    }

    fn set_may_hold(&mut self, iss: &str, stream: &str, held: bool) {
        self.may_hold
            .insert((iss.to_owned(), stream.to_owned()), held);
    }

    fn store(&mut self, st: InStream) {
        self.rows.insert((st.iss.clone(), st.stream.clone()), st);
    }

    fn flush(self, conn: &mut AnyConnection) -> StoreResult<()> {
        for st in self.rows.values() {
            q::save_stream(conn, st)?;
        }
        Ok(())
    }
}

fn new_stream(iss: &str, stream: &str) -> InStream {
    InStream {
        iss: iss.to_owned(),
        stream: stream.to_owned(),
        last_seq: 0,
        known_head: 0,
        gap_since_ms: None,
        sync_requested_ms: None,
        last_applied_ms: None,
        pruned_through: 0,
        compacted_through: 0,
    }
}

/// A sequence number as the store keeps it. Numbers past `i64::MAX` never fit: the jump rule
/// refuses them before they get here (`seq_jump`), so the store only ever sees this type.
fn stored_seq(seq: u64) -> Option<i64> {
    i64::try_from(seq).ok()
}

fn apply_one(
    node: &Node,
    conn: &mut AnyConnection,
    inc: &Incoming,
    follow: &mut FollowUp,
    streams: &mut Streams,
    received: &mut Received,
) -> StoreResult<Verdict> {
    let m = &inc.msg;
    let iss = m.iss.as_str();
    let now = node.clock.now_ms();
    // Our queue is bound to all.#, so our own broadcasts come back: their effect is already
    // here (applying a late copy could undo a later local change), and our own hello must
    // not make us ask ourselves for a re-send.
    if m.iss == node.cfg.org_id {
        return Ok(Verdict::Ack);
    }
    match &m.body {
        Body::NodeHello(hello) => {
            let mine = [
                Stream::All.to_string(),
                Stream::Direct(node.cfg.org_id.clone()).to_string(),
            ];
            for head in hello.heads.iter().filter(|h| mine.contains(&h.stream)) {
                let mut st = streams.load(conn, iss, &head.stream)?;
                // A head a million ahead is not believed (it would ask for all of them).
                match stored_seq(head.last_seq) {
                    Some(announced) if announced <= st.last_seq.saturating_add(MAX_SEQ_JUMP) => {
                        st.known_head = st.known_head.max(announced);
                    }
                    _ => continue,
                }
                // A head ahead of a stream that is still moving is, nearly always, messages
                // on their way in our queue: asking for them would only bring them twice.
                // Should the stream stall, the periodic gap retry asks.
                if !st.moved_within(now, retry_ms(node)) {
                    note_gap(node, conn, &mut st, follow)?;
                } else if st.known_head > st.last_seq {
                    st.gap_since_ms.get_or_insert(now);
                }
                streams.store(st);
            }
            return Ok(Verdict::Ack);
        }
        Body::SyncRequested(req) => {
            follow.resends.push((m.iss.clone(), req.clone()));
            return Ok(Verdict::Ack);
        }
        Body::SyncCompacted(gone) => {
            pass_over(node, conn, iss, gone, follow, streams, received)?;
            return Ok(Verdict::Ack);
        }
        Body::RecoveryRequested(req) => {
            follow.recovery_requests.push((m.iss.clone(), req.clone()));
            return Ok(Verdict::Ack);
        }
        Body::RecoveryReturned(ret) => {
            return match super::recovery::take_answer(node, conn, &m.iss, ret, follow)? {
                Ok(()) => Ok(Verdict::Ack),
                Err(reason) => {
                    let r = Rejection::of(
                        m,
                        "recovery_foreign",
                        reason,
                        &inc.routing_key,
                        inc.user_id.as_deref(),
                    );
                    rejections::record(node, conn, &r)?;
                    Ok(Verdict::Reject {
                        code: "recovery_foreign",
                    })
                }
            };
        }
        _ => {}
    }

    let jti = m.jti.hyphenated().to_string();
    if received.contains(conn, iss, &jti)? {
        node.metrics.duplicate();
        return Ok(Verdict::Ack);
    }
    let stream = m.stream.to_string();
    let mut st = streams.load(conn, iss, &stream)?;
    let refuse = |code: &'static str, reason: String| {
        Rejection::of(m, code, reason, &inc.routing_key, inc.user_id.as_deref())
    };
    // Compared as the wire's u64: a seq past i64::MAX is a jump, not a conflict.
    let last = st.last_seq as u64;
    if m.seq <= st.pruned_through as u64 {
        // Its record went with retention: an old message delivered again (a re-send that
        // overlaps, a broker's replay). No sender reuses a seq (§7.2, §7.9).
        node.metrics.duplicate();
        return Ok(Verdict::Ack);
    }
    if m.seq <= last {
        let reason = format!(
            "{iss} already used seq {} on stream {stream} for another message",
            m.seq
        );
        rejections::record(node, conn, &refuse("seq_conflict", reason))?;
        return Ok(Verdict::Reject {
            code: "seq_conflict",
        });
    }
    let Some(seq) = stored_seq(m.seq).filter(|s| *s <= st.last_seq + MAX_SEQ_JUMP) else {
        // No sender skips a million messages: holding it would ask the sender for all of them.
        let reason = format!(
            "{iss} jumped from seq {} to {} on stream {stream}",
            st.last_seq, m.seq
        );
        rejections::record(node, conn, &refuse("seq_jump", reason))?;
        return Ok(Verdict::Reject { code: "seq_jump" });
    };
    if seq > st.last_seq + 1 {
        if !q::hold(conn, iss, &stream, seq, inc.msg.raw(), now)? {
            let reason = format!(
                "{iss} already used seq {seq} on stream {stream} for another message, held here behind a gap"
            );
            rejections::record(node, conn, &refuse("seq_conflict", reason))?;
            return Ok(Verdict::Reject {
                code: "seq_conflict",
            });
        }
        streams.set_may_hold(iss, &stream, true);
        st.known_head = st.known_head.max(seq);
        note_gap(node, conn, &mut st, follow)?;
        streams.store(st);
        node.metrics.held();
        return Ok(Verdict::Ack);
    }

    let verdict = match settle(node, conn, m, follow, received)?
        .filter(|(code, _)| !closes_what_was_compacted(m, code, &st))
    {
        None => Verdict::Ack,
        Some((code, reason)) => {
            rejections::record(node, conn, &refuse(code, reason))?;
            Verdict::Reject { code }
        }
    };
    received.record(iss, jti, &stream, seq, m, now);
    node.metrics
        .apply_latency((now as f64 / 1000.0 - m.iat as f64).max(0.0));
    st.last_seq = seq;
    st.last_applied_ms = Some(now);
    moved_on(node, conn, st, follow, streams, received)?;
    Ok(verdict)
}

/// After a stream's `last_seq` moved: applies what it holds that is now next in order, closes
/// the gap if none is left, and keeps the row for the batch's end.
fn moved_on(
    node: &Node,
    conn: &mut AnyConnection,
    mut st: InStream,
    follow: &mut FollowUp,
    streams: &mut Streams,
    received: &mut Received,
) -> StoreResult<()> {
    if st.known_head > st.last_seq && streams.may_hold(conn, &st.iss, &st.stream)? {
        drain_held(node, conn, &mut st, follow, received)?;
        let left = q::has_held(conn, &st.iss, &st.stream)?;
        streams.set_may_hold(&st.iss, &st.stream, left);
    }
    st.known_head = st.known_head.max(st.last_seq);
    if st.known_head == st.last_seq {
        st.gap_since_ms = None;
        st.sync_requested_ms = None;
    }
    streams.store(st);
    Ok(())
}

/// Whether refusing `m` with `code` is only a closing message whose object was compacted away
/// before we could have it (PROTOCOL.md §7.10): the sender keeps closing messages for the nodes
/// that had the object; a node that never had it takes the message for nothing, if it is at or
/// below the floor the sender gave when we passed over a compacted run.
fn closes_what_was_compacted(m: &Verified<Message>, code: &str, st: &InStream) -> bool {
    let kind = m.kind().as_str();
    // `offer.withdrawn` of an offer we lack is refused `unknown_offer`, and so on.
    let unknown = kind
        .split_once('.')
        .is_some_and(|(object, _)| code.strip_prefix("unknown_") == Some(object));
    crate::compaction::closes(kind) && unknown && m.seq <= st.compacted_through as u64
}

/// A sender said part of its stream is gone for good (PROTOCOL.md §7.10): when the range
/// starts at or before the next seq we wait for, the stream moves on past it and what was held
/// behind it is applied. Any other range changes nothing (the gap retry asks again).
fn pass_over(
    node: &Node,
    conn: &mut AnyConnection,
    iss: &str,
    gone: &SyncCompacted,
    follow: &mut FollowUp,
    streams: &mut Streams,
    received: &mut Received,
) -> StoreResult<()> {
    let ours = [
        Stream::All.to_string(),
        Stream::Direct(node.cfg.org_id.clone()).to_string(),
    ];
    if !ours.contains(&gone.stream) {
        tracing::warn!(peer.org_id = iss, stream = %gone.stream, "a compacted range of a stream not sent to us; ignored");
        return Ok(());
    }
    let mut st = streams.load(conn, iss, &gone.stream)?;
    let (Some(from), Some(to)) = (stored_seq(gone.from_seq), stored_seq(gone.to_seq)) else {
        return Ok(());
    };
    // Only while we wait for an answer: a sender cannot make one node pass over a seq it then
    // broadcasts to the others.
    if st.sync_requested_ms.is_none()
        || from > st.last_seq + 1
        || to <= st.last_seq
        || to > st.last_seq + MAX_SEQ_JUMP
    {
        tracing::debug!(peer.org_id = iss, stream = %gone.stream, from, to, last_seq = st.last_seq, "a compacted range that does not continue the stream; ignored");
        return Ok(());
    }
    let now = node.clock.now_ms();
    node.metrics.compacted_skipped((to - st.last_seq) as u64);
    st.last_seq = to;
    st.compacted_through = st
        .compacted_through
        .max(stored_seq(gone.floor).unwrap_or(to));
    st.last_applied_ms = Some(now);
    q::drop_held_upto(conn, iss, &gone.stream, to)?;
    moved_on(node, conn, st, follow, streams, received)
}

/// Applies or defers one in-order message; `Some((code, reason))` when it was refused.
fn settle(
    node: &Node,
    conn: &mut AnyConnection,
    m: &Verified<Message>,
    follow: &mut FollowUp,
    received: &mut Received,
) -> StoreResult<Option<(&'static str, String)>> {
    Ok(match dispatch(node, conn, m, follow)? {
        Dispatched::Done(Outcome::Applied) => {
            *received.effects.entry(m.kind().as_str()).or_default() += 1;
            node.metrics.message_in(m.kind());
            None
        }
        Dispatched::Done(Outcome::Refused(r)) => Some((r.code, r.reason)),
        Dispatched::NotYet => {
            q::defer(
                conn,
                m.iss.as_str(),
                &m.jti.hyphenated().to_string(),
                m.kind().as_str(),
                m.raw(),
                node.clock.now_ms(),
            )?;
            node.metrics.message_deferred(m.kind());
            None
        }
    })
}

fn retry_ms(node: &Node) -> i64 {
    node.cfg.exchange.gap_retry_secs as i64 * 1000
}

/// The re-send request for a stream's gap: from the first missing message to the last one
/// missing, i.e. just below the first held message (§7.3), or up to the announced head.
pub fn gap_request(conn: &mut AnyConnection, st: &InStream) -> StoreResult<SyncRequested> {
    let below_held = q::lowest_held(conn, &st.iss, &st.stream)?.map(|h| h - 1);
    let to = below_held.map_or(st.known_head, |h| h.min(st.known_head));
    Ok(SyncRequested {
        stream: st.stream.clone(),
        from_seq: st.last_seq as u64 + 1,
        to_seq: Some(to as u64),
    })
}

/// Marks a gap and asks for the missing messages, unless asked recently.
fn note_gap(
    node: &Node,
    conn: &mut AnyConnection,
    st: &mut InStream,
    follow: &mut FollowUp,
) -> StoreResult<()> {
    if st.known_head <= st.last_seq {
        return Ok(());
    }
    let now = node.clock.now_ms();
    st.gap_since_ms.get_or_insert(now);
    if st
        .sync_requested_ms
        .is_none_or(|t| now - t >= retry_ms(node))
    {
        if let Ok(iss) = st.iss.parse() {
            follow.sync_requests.push((iss, gap_request(conn, st)?));
        }
        st.sync_requested_ms = Some(now);
    }
    Ok(())
}

/// Gaps that stayed open with nothing arriving: marks them asked and returns the requests.
/// Called periodically (`bus` sends them).
pub fn due_gap_requests(
    node: &Node,
    conn: &mut AnyConnection,
) -> StoreResult<Vec<(tongxin_schema::OrgId, SyncRequested)>> {
    let now = node.clock.now_ms();
    let retry = retry_ms(node);
    let mut due = Vec::new();
    for mut st in q::gaps(conn)? {
        // Ask again only when nothing arrived since: while re-sent messages are still coming
        // in, asking again would only send them twice.
        if !st.moved_within(now, retry) && st.sync_requested_ms.is_none_or(|t| now - t >= retry) {
            st.sync_requested_ms = Some(now);
            st.gap_since_ms.get_or_insert(now);
            q::save_stream(conn, &st)?;
            if let Ok(iss) = st.iss.parse() {
                due.push((iss, gap_request(conn, &st)?));
            }
        }
    }
    Ok(due)
}

/// Applies held messages that are now next in line.
fn drain_held(
    node: &Node,
    conn: &mut AnyConnection,
    st: &mut InStream,
    follow: &mut FollowUp,
    received: &mut Received,
) -> StoreResult<()> {
    while let Some(jws) = q::take_held(conn, &st.iss, &st.stream, st.last_seq + 1)? {
        let seq = st.last_seq + 1;
        let now = node.clock.now_ms();
        st.last_seq = seq;
        st.last_applied_ms = Some(now);
        // Verified when it was held; verify again for the typed value (and a fresh CRL).
        let msg = match node.verifier().verify(&jws, now.div_euclid(1000)) {
            Ok(m) => m,
            Err(e) => {
                let r = Rejection {
                    code: e.code(),
                    reason: e.to_string(),
                    iss: Some(st.iss.clone()),
                    kind: None,
                    jti: None,
                    routing_key: "held".into(),
                    user_id: None,
                    raw: jws,
                };
                rejections::record(node, conn, &r)?;
                continue;
            }
        };
        let jti = msg.jti.hyphenated().to_string();
        if received.contains(conn, &st.iss, &jti)? {
            continue;
        }
        if let Some((code, reason)) = settle(node, conn, &msg, follow, received)?
            .filter(|(code, _)| !closes_what_was_compacted(&msg, code, st))
        {
            let r = Rejection::of(&msg, code, reason, "held", None);
            rejections::record(node, conn, &r)?;
        }
        received.record(&st.iss, jti, &st.stream, seq, &msg, now);
    }
    q::drop_held_upto(conn, &st.iss, &st.stream, st.last_seq)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::{DbTarget, Store};

    fn stream(last_seq: i64, known_head: i64) -> InStream {
        InStream {
            iss: "street-x".into(),
            stream: "all".into(),
            last_seq,
            known_head,
            gap_since_ms: None,
            sync_requested_ms: None,
            last_applied_ms: None,
            pruned_through: 0,
            compacted_through: 0,
        }
    }

    #[test]
    fn a_gap_is_asked_for_up_to_just_below_the_first_held_message() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(
            DbTarget {
                url,
                sqlite_synchronous_full: false,
            },
            1,
        )
        .unwrap();
        store
            .write_blocking(|c| {
                // Nothing held: a head announced by node.hello is asked for whole.
                let req = gap_request(c, &stream(3, 9))?;
                assert_eq!((req.from_seq, req.to_seq), (4, Some(9)));
                // 5 and 7 held after 3: what is missing is 4 alone (§7.3: to_seq = seq − 1).
                q::hold(c, "street-x", "all", 7, "jws7", 0)?;
                q::hold(c, "street-x", "all", 5, "jws5", 0)?;
                let req = gap_request(c, &stream(3, 7))?;
                assert_eq!((req.from_seq, req.to_seq), (4, Some(4)));
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn wire_sequence_numbers_past_i64_are_not_stored() {
        assert_eq!(stored_seq(1 << 40), Some(1 << 40));
        assert_eq!(stored_seq(i64::MAX as u64), Some(i64::MAX));
        assert_eq!(stored_seq(1 << 63), None);
        assert_eq!(stored_seq(u64::MAX), None);
    }
}
