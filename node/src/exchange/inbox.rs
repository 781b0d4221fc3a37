//! Applying a batch of verified messages in one transaction.

use std::collections::{HashMap, HashSet};

use tongxin_schema::envelope::{Message, Stream, Verified};
use tongxin_schema::pki::RevocationList;
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::Body;
use tongxin_schema::v1::bodies::SyncRequested;

use super::{FollowUp, Verdict};
use crate::domain::{Refusal, needs, offers};
use crate::metrics::label;
use crate::state::Node;
use crate::store::inbox::{self as q, InStream, NewReceived, NewRejection};
use crate::store::{AnyConnection, StoreResult, now_ms};

/// An authentic message, with where it came from on the broker.
pub struct Incoming {
    pub msg: Verified<Message>,
    pub routing_key: String,
    pub user_id: Option<String>,
}

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
    new: Vec<NewReceived>,
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

    fn record(&mut self, iss: &str, jti: String, stream: &str, seq: i64, m: &Verified<Message>) {
        self.seen.insert((iss.to_owned(), jti.clone()));
        self.new.push(NewReceived {
            iss: iss.to_owned(),
            jti,
            stream: stream.to_owned(),
            seq,
            kind: m.kind().as_str().to_owned(),
            jws: m.raw().to_owned(),
            applied_ms: now_ms(),
        });
    }

    fn flush(self, conn: &mut AnyConnection) -> StoreResult<()> {
        q::record_received(conn, &self.new)
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
    }
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
                let announced = head.last_seq as i64;
                if announced > st.known_head {
                    st.known_head = announced;
                }
                // A head ahead of a stream that is still moving is, nearly always, messages
                // on their way in our queue: asking for them would only bring them twice.
                // Should the stream stall, the periodic gap retry asks.
                let retry_ms = node.cfg.exchange.gap_retry_secs as i64 * 1000;
                if !st.moved_within(now_ms(), retry_ms) {
                    note_gap(node, &mut st, follow);
                } else if st.known_head > st.last_seq {
                    st.gap_since_ms.get_or_insert(now_ms());
                }
                streams.store(st);
            }
            return Ok(Verdict::Ack);
        }
        Body::SyncRequested(req) => {
            follow.resends.push((m.iss.clone(), req.clone()));
            return Ok(Verdict::Ack);
        }
        _ => {}
    }

    let jti = m.jti.hyphenated().to_string();
    if received.contains(conn, iss, &jti)? {
        node.metrics
            .add("tongxin_messages_duplicate_total", String::new(), 1);
        return Ok(Verdict::Ack);
    }
    let stream = m.stream.to_string();
    let seq = m.seq as i64;
    let mut st = streams.load(conn, iss, &stream)?;
    if seq <= st.last_seq {
        let reason = format!("{iss} already used seq {seq} on stream {stream} for another message");
        reject(conn, inc, "seq_conflict", &reason)?;
        node.metrics.add(
            "tongxin_messages_rejected_total",
            "reason=\"seq_conflict\"".into(),
            1,
        );
        return Ok(Verdict::Reject {
            code: "seq_conflict",
        });
    }
    if seq > st.last_seq + MAX_SEQ_JUMP {
        // No sender skips a million messages: holding it would ask the sender for all of them.
        let reason = format!(
            "{iss} jumped from seq {} to {seq} on stream {stream}",
            st.last_seq
        );
        reject(conn, inc, "seq_jump", &reason)?;
        node.metrics.add(
            "tongxin_messages_rejected_total",
            "reason=\"seq_jump\"".into(),
            1,
        );
        return Ok(Verdict::Reject { code: "seq_jump" });
    }
    if seq > st.last_seq + 1 {
        q::hold(conn, iss, &stream, seq, inc.msg.raw())?;
        streams.set_may_hold(iss, &stream, true);
        st.known_head = st.known_head.max(seq);
        note_gap(node, &mut st, follow);
        streams.store(st);
        node.metrics
            .add("tongxin_messages_held_total", String::new(), 1);
        return Ok(Verdict::Ack);
    }

    let verdict = match effect(node, conn, m, follow)? {
        Ok(()) => {
            node.metrics.add(
                "tongxin_messages_in_total",
                format!("kind=\"{}\"", m.kind()),
                1,
            );
            Verdict::Ack
        }
        Err(r) => {
            reject(conn, inc, r.code, &r.reason)?;
            node.metrics.add(
                "tongxin_messages_rejected_total",
                format!("reason=\"{}\"", r.code),
                1,
            );
            Verdict::Reject { code: r.code }
        }
    };
    received.record(iss, jti, &stream, seq, m);
    node.metrics.observe(
        "tongxin_apply_latency_seconds",
        (now_ms() as f64 / 1000.0 - m.iat as f64).max(0.0),
        1,
    );
    st.last_seq = seq;
    st.last_applied_ms = Some(now_ms());
    if st.known_head > st.last_seq && streams.may_hold(conn, iss, &stream)? {
        drain_held(node, conn, &mut st, follow, received)?;
        let left = q::has_held(conn, iss, &stream)?;
        streams.set_may_hold(iss, &stream, left);
    }
    st.known_head = st.known_head.max(st.last_seq);
    if st.known_head == st.last_seq {
        st.gap_since_ms = None;
        st.sync_requested_ms = None;
    }
    streams.store(st);
    Ok(verdict)
}

/// Marks a gap and asks for the missing messages, unless asked recently.
fn note_gap(node: &Node, st: &mut InStream, follow: &mut FollowUp) {
    if st.known_head <= st.last_seq {
        return;
    }
    let now = now_ms();
    st.gap_since_ms.get_or_insert(now);
    let retry_ms = node.cfg.exchange.gap_retry_secs as i64 * 1000;
    if st.sync_requested_ms.is_none_or(|t| now - t >= retry_ms) {
        if let Ok(iss) = st.iss.parse() {
            follow.sync_requests.push((
                iss,
                SyncRequested {
                    stream: st.stream.clone(),
                    from_seq: st.last_seq as u64 + 1,
                    to_seq: Some(st.known_head as u64),
                },
            ));
        }
        st.sync_requested_ms = Some(now);
    }
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
        st.last_seq = seq;
        st.last_applied_ms = Some(now_ms());
        // Verified when it was held; verify again for the typed value (and a fresh CRL).
        let msg = match node.verifier().verify(&jws, now_ms() / 1000) {
            Ok(m) => m,
            Err(e) => {
                record(
                    conn,
                    e.code(),
                    &e.to_string(),
                    Some(&st.iss),
                    None,
                    None,
                    "held",
                    None,
                    &jws,
                )?;
                continue;
            }
        };
        let jti = msg.jti.hyphenated().to_string();
        if received.contains(conn, &st.iss, &jti)? {
            continue;
        }
        match effect(node, conn, &msg, follow)? {
            Ok(()) => node.metrics.add(
                "tongxin_messages_in_total",
                format!("kind=\"{}\"", msg.kind()),
                1,
            ),
            Err(r) => {
                record(
                    conn,
                    r.code,
                    &r.reason,
                    Some(&st.iss),
                    Some(msg.kind().as_str()),
                    Some(&jti),
                    "held",
                    None,
                    &jws,
                )?;
                node.metrics.add(
                    "tongxin_messages_rejected_total",
                    format!("reason=\"{}\"", label(r.code)),
                    1,
                );
            }
        }
        received.record(&st.iss, jti, &st.stream, seq, &msg);
    }
    q::drop_held_upto(conn, &st.iss, &st.stream, st.last_seq)?;
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "one row of the rejected table")]
fn record(
    conn: &mut AnyConnection,
    code: &str,
    reason: &str,
    iss: Option<&str>,
    kind: Option<&str>,
    jti: Option<&str>,
    routing_key: &str,
    user_id: Option<&str>,
    raw: &str,
) -> StoreResult<()> {
    q::record_rejected(
        conn,
        &NewRejection {
            code,
            reason,
            iss,
            kind,
            jti,
            routing_key,
            user_id,
            raw,
        },
    )
}

fn reject(conn: &mut AnyConnection, inc: &Incoming, code: &str, reason: &str) -> StoreResult<()> {
    let m = &inc.msg;
    let jti = m.jti.hyphenated().to_string();
    record(
        conn,
        code,
        reason,
        Some(m.iss.as_str()),
        Some(m.kind().as_str()),
        Some(&jti),
        &inc.routing_key,
        inc.user_id.as_deref(),
        m.raw(),
    )
}

/// The effect of one in-order message on this node's state.
fn effect(
    node: &Node,
    conn: &mut AnyConnection,
    m: &Message,
    follow: &mut FollowUp,
) -> StoreResult<Result<(), Refusal>> {
    let me = &node.cfg.org_id;
    // The sender's kind as the roster states it (the verifier checked it matches the
    // certificate). Borrowed from the shared verifier: cloning the roster per message is costly.
    let verifier = node.verifier();
    let kind = verifier
        .roster()
        .and_then(|r| r.org(&m.iss))
        .map(|o| o.kind)
        .unwrap_or(node.cfg.kind);
    match &m.body {
        Body::RosterPublished(b) => match Roster::verify(&node.root, &b.roster) {
            Ok(r) => {
                if node.store_roster(conn, &r)? {
                    follow.roster = Some(r);
                }
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(Refusal::new("bad_roster", e.to_string()))),
        },
        Body::RevocationPublished(b) => {
            match RevocationList::from_pem(&node.root, b.crl_pem.as_bytes()) {
                Ok(crl) => {
                    if node.store_crl(conn, &b.crl_pem, &crl)? {
                        follow.crl = Some(crl);
                    }
                    Ok(Ok(()))
                }
                Err(e) => Ok(Err(Refusal::new("bad_crl", e.to_string()))),
            }
        }
        Body::OfferPublished(b) => offers::apply_published(conn, &m.iss, kind, b, m.iat),
        Body::OfferWithdrawn(b) => offers::apply_withdrawn(conn, &m.iss, b, m.iat),
        Body::NeedPublished(b) => needs::apply_published(conn, &m.iss, kind, b, m.iat),
        Body::NeedClaimed(b) => needs::apply_claimed(conn, me, &m.iss, b, m.iat),
        Body::NeedClaimDecided(b) => needs::apply_claim_decided(conn, me, &m.iss, b, m.iat),
        Body::NeedFulfilled(b) => needs::apply_fulfilled(conn, &m.iss, b, m.iat),
        Body::NeedEscalated(b) => needs::apply_escalated(conn, &node.roster(), &m.iss, b, m.iat),
        // The member journey and oversight kinds are kept in `received` until their handling
        // lands; they are authentic and in order, so they count as applied.
        _ => Ok(Ok(())),
    }
}
