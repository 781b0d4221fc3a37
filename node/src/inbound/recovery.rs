//! Recovery after a restore from a backup (PROTOCOL.md §7.9). The restored node asks every
//! peer for the messages *it* sent that the peer holds; it puts them back into its outbox and
//! numbers nothing new on a stream until the peers have told it how far that stream had gone.
//! A peer answers from what it received (`received`, `held`, `in_streams`).

use std::collections::HashSet;

use tongxin_schema::OrgId;
use tongxin_schema::envelope::Stream;
use tongxin_schema::v1::bodies::{RecoveryRequested, RecoveryReturned, RecoveryStream};

use crate::state::Node;
use crate::store::recovery::{self as q, Restored, Returned};
use crate::store::{AnyConnection, StoreResult};

/// The streams a peer may be asked about and may answer for: our broadcasts, and what we sent
/// to that peer (named, as every direct stream, by its receiver).
fn streams_with(peer: &OrgId) -> [String; 2] {
    [
        Stream::All.to_string(),
        Stream::Direct(peer.clone()).to_string(),
    ]
}

/// The (peer, stream) pairs whose answer is complete (`done`).
fn answered(conn: &mut AnyConnection) -> StoreResult<HashSet<(String, String)>> {
    Ok(q::answers(conn)?
        .into_iter()
        .filter(|a| a.done_ms.is_some())
        .map(|a| (a.peer, a.stream))
        .collect())
}

/// Takes a peer's answer about one of our streams, in the inbound transaction. `Err` is the
/// reason to refuse the whole answer (`recovery_foreign`): nothing of it is kept.
pub fn take_answer(
    node: &Node,
    conn: &mut AnyConnection,
    from: &OrgId,
    ret: &RecoveryReturned,
    follow: &mut super::FollowUp,
) -> StoreResult<Result<(), String>> {
    let me = &node.cfg.org_id;
    if q::started(conn)?.is_none() {
        tracing::debug!(peer.org_id = %from, stream = %ret.stream, "a recovery answer after recovery ended; nothing to do");
        return Ok(Ok(()));
    }
    if !streams_with(from).contains(&ret.stream) {
        return Ok(Err(format!(
            "{from} answered for stream {}, which is not ours to it",
            ret.stream
        )));
    }
    let Ok(last_seq) = i64::try_from(ret.last_seq) else {
        return Ok(Err(format!("last_seq {} is out of range", ret.last_seq)));
    };
    if answered(conn)?.contains(&(from.to_string(), ret.stream.clone())) {
        tracing::debug!(peer.org_id = %from, stream = %ret.stream, "a second recovery answer from a peer that already answered; ignored");
        return Ok(Ok(()));
    }
    // Only our own key signed these: verified as any receiver would (signature, chain,
    // revocation, roster), except that a direct one names the peer, not us, as `aud`.
    let verifier = node.verifier().for_any_receiver();
    let now_s = node.clock.now_s();
    let mut back = Vec::with_capacity(ret.messages.len());
    for (i, jws) in ret.messages.iter().enumerate() {
        let msg = match verifier.verify(jws, now_s) {
            Ok(m) => m,
            Err(e) => return Ok(Err(format!("message {}: {e}", i + 1))),
        };
        if &msg.iss != me || msg.stream.to_string() != ret.stream || msg.seq < ret.from_seq {
            return Ok(Err(format!(
                "message {}: {} seq {} on {} is not one of ours on {} from {}",
                i + 1,
                msg.iss,
                msg.seq,
                msg.stream,
                ret.stream,
                ret.from_seq
            )));
        }
        back.push(msg);
    }
    let now = node.clock.now_ms();
    let mut added = 0u64;
    // The head rises only to what we signed ourselves: a peer's `last_seq` is its word, and a
    // head raised on a word alone would leave seqs nobody can send, blocking the stream at
    // every peer. It is recorded, and a shortfall logged.
    let mut head = q::own_head(conn, &ret.stream)?;
    for msg in &back {
        let r = Returned {
            stream: &ret.stream,
            seq: msg.seq as i64,
            jti: msg.jti.hyphenated().to_string(),
            kind: msg.kind().as_str(),
            routing_key: msg.routing_key(),
            jws: msg.raw(),
            created_ms: msg.iat.saturating_mul(1000),
        };
        head = head.max(msg.seq as i64);
        match q::restore_own(conn, &r, now)? {
            Restored::Added => added += 1,
            Restored::Known => {}
            Restored::Conflict => tracing::error!(
                peer.org_id = %from, stream = %ret.stream, seq = msg.seq,
                "a peer returned a message of ours whose seq another message holds here"
            ),
        }
    }
    if ret.done && last_seq > head {
        tracing::warn!(peer.org_id = %from, stream = %ret.stream, peer_saw = last_seq, head,
            "a peer saw a higher seq of ours than has been returned: unless another peer returns those messages, their seqs are numbered again");
    }
    q::record_answer(
        conn,
        from.as_str(),
        &ret.stream,
        last_seq,
        ret.done.then_some(now),
    )?;
    node.metrics.recovered(added);
    tracing::info!(peer.org_id = %from, stream = %ret.stream, returned = back.len(), added, last_seq, done = ret.done, "a peer returned our own messages");
    if ret.done && settle(node, conn)? {
        follow.recovery_finished = true;
    }
    Ok(Ok(()))
}

/// Releases the streams whose answers are in, and ends recovery once every peer answered;
/// returns whether it ended. A direct stream is released by its receiver's answer; the
/// broadcast stream by every peer's, or by one after `exchange.recovery_wait_secs` (every
/// queue received the same broadcasts, in order, before our request).
pub fn settle(node: &Node, conn: &mut AnyConnection) -> StoreResult<bool> {
    let Some(started) = q::started(conn)? else {
        return Ok(false);
    };
    let me = &node.cfg.org_id;
    let peers: Vec<OrgId> = node
        .roster()
        .orgs()
        .iter()
        .map(|o| o.id.clone())
        .filter(|id| id != me)
        .collect();
    let done = answered(conn)?;
    let answered = |p: &OrgId, s: &str| done.contains(&(p.to_string(), s.to_owned()));
    let now = node.clock.now_ms();
    let all = Stream::All.to_string();
    for p in &peers {
        let direct = Stream::Direct(p.clone()).to_string();
        if answered(p, &direct) && q::release(conn, &direct, now)? {
            tracing::info!(stream = %direct, "numbering again on a stream after the restore");
        }
    }
    let everyone = peers.iter().all(|p| answered(p, &all));
    let waited = now - started >= node.cfg.exchange.recovery_wait_secs as i64 * 1000;
    if (everyone || (waited && peers.iter().any(|p| answered(p, &all))))
        && q::release(conn, &all, now)?
    {
        tracing::info!(stream = %all, everyone, "numbering again on a stream after the restore");
    }
    let finished = everyone
        && peers
            .iter()
            .all(|p| answered(p, &Stream::Direct(p.clone()).to_string()));
    if finished {
        q::finish(conn)?;
        tracing::info!("recovery after the restore finished: every peer answered");
    }
    Ok(finished)
}

/// What to ask each peer that has not answered yet, from the first seq we do not hold.
pub fn requests_due(
    node: &Node,
    conn: &mut AnyConnection,
) -> StoreResult<Vec<(OrgId, RecoveryRequested)>> {
    if q::started(conn)?.is_none() {
        return Ok(Vec::new());
    }
    let me = &node.cfg.org_id;
    let done = answered(conn)?;
    let mut due = Vec::new();
    for org in node.roster().orgs().iter().filter(|o| &o.id != me) {
        let mut streams = Vec::new();
        for stream in streams_with(&org.id) {
            if done.contains(&(org.id.to_string(), stream.clone())) {
                continue;
            }
            let from_seq = q::own_head(conn, &stream)? as u64 + 1;
            streams.push(RecoveryStream { stream, from_seq });
        }
        if !streams.is_empty() {
            due.push((org.id.clone(), RecoveryRequested { streams }));
        }
    }
    Ok(due)
}
