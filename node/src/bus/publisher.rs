//! Publishing: the outbox relay (publisher confirms, then rows marked sent), control messages
//! (`node.hello`, `sync.requested`) and re-sends of retained messages.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use lapin::Confirmation;
use lapin::PublisherConfirm;
use lapin::options::BasicPublishOptions;
use lapin::protocol::basic::AMQPProperties;
use lapin::{BasicProperties, Channel};
use tokio::sync::watch;
use tongxin_schema::OrgId;
use tongxin_schema::envelope::{Audience, Message, Stream};
use tongxin_schema::v1::bodies::{
    NodeHello, RecoveryRequested, RecoveryReturned, StreamHead, SyncCompacted, SyncRequested,
};
use tongxin_schema::v1::text::Text;

use super::EXCHANGE;
use crate::inbound::CONTENT_TYPE;
use crate::state::SharedNode;
use crate::store::outbox;

const RELAY_BATCH: i64 = 500;
/// Relay batches published and waiting for their confirms at most (each up to
/// [`RELAY_BATCH`] messages; at a trickle, a message or two).
const RELAY_IN_FLIGHT: usize = 8;
const RESEND_BATCH: i64 = 2000;
/// Most bytes of returned JWS in one `recovery.returned`: with the envelope's base64 it stays
/// under the 1 MiB limit of PROTOCOL.md §4.1.
const RECOVERY_PART_BYTES: usize = 700 * 1024;
/// Rows read at a time for a recovery answer.
const RECOVERY_READ: i64 = 500;

pub struct Publisher {
    node: SharedNode,
    channel: Channel,
    /// When each (requester, stream) was last answered: a peer (or a hostile member) asking
    /// again and again gets at most one re-send per interval.
    last_resend: std::sync::Mutex<std::collections::HashMap<(OrgId, String), std::time::Instant>>,
    /// When (node clock, ms) the participation reports due were last looked at.
    reports_checked_ms: std::sync::atomic::AtomicI64,
    /// Told each time messages of ours are confirmed and marked sent: the heads moved.
    heads_moved: tokio::sync::Notify,
}

/// How often the node looks whether participation reports are due or changed (PROTOCOL.md
/// §10.5): each look recomputes the figures of the last week and the last two months.
const REPORTS_EVERY_MS: i64 = 15 * 60 * 1000;

/// A relay batch published, waiting for its confirms.
struct RelayBatch {
    ids: Vec<i64>,
    kinds: Vec<String>,
    pending: Vec<(String, PublisherConfirm)>,
}

impl Publisher {
    pub fn new(node: SharedNode, channel: Channel) -> Publisher {
        Publisher {
            node,
            channel,
            last_resend: Default::default(),
            reports_checked_ms: std::sync::atomic::AtomicI64::new(i64::MIN),
            heads_moved: tokio::sync::Notify::new(),
        }
    }

    fn properties(&self, jti: &str, kind: &str) -> AMQPProperties {
        BasicProperties::default()
            .with_message_id(jti.into())
            .with_type(kind.into())
            .with_app_id(self.node.cfg.org_id.as_str().into())
            .with_user_id(self.node.cfg.org_id.as_str().into())
            .with_content_type(CONTENT_TYPE.into())
            .with_delivery_mode(2)
    }

    /// Publishes one message; its confirm comes later.
    async fn publish(
        &self,
        routing_key: &str,
        jti: &str,
        kind: &str,
        jws: &str,
    ) -> anyhow::Result<PublisherConfirm> {
        Ok(self
            .channel
            .basic_publish(
                EXCHANGE.into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                jws.as_bytes(),
                self.properties(jti, kind),
            )
            .await?)
    }

    /// Waits for the confirms of published messages. Fails if any is nacked.
    async fn confirmed(pending: Vec<(String, PublisherConfirm)>) -> anyhow::Result<()> {
        for (routing_key, confirm) in pending {
            match confirm.await? {
                Confirmation::Ack(None) | Confirmation::NotRequested => {}
                Confirmation::Ack(Some(_)) => {
                    // No queue is bound for it: the recipient's queue was not set up. The
                    // recipient will find the gap and ask again once it is.
                    tracing::warn!(routing_key = %routing_key, "message was unroutable (no queue bound)");
                }
                Confirmation::Nack(_) => bail!("broker nacked a message to {routing_key}"),
            }
        }
        Ok(())
    }

    /// Publishes many messages, then waits for every confirm. Fails if any is nacked.
    async fn publish_all(&self, items: &[(String, String, String, String)]) -> anyhow::Result<()> {
        let mut pending = Vec::with_capacity(items.len());
        for (routing_key, jti, kind, jws) in items {
            let confirm = self.publish(routing_key, jti, kind, jws).await?;
            pending.push((routing_key.clone(), confirm));
        }
        Publisher::confirmed(pending).await
    }

    /// Publishes the outbox until asked to stop; a final pass flushes what is left.
    ///
    /// Batch k+1 is published while batch k's confirms arrive: rows are read after an id
    /// cursor (the rows of a batch waiting for its confirms are not read again), and a second
    /// task marks batches sent in order once their confirms are in.
    pub async fn relay(self: Arc<Self>, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let (to_confirm, confirming) = tokio::sync::mpsc::channel(RELAY_IN_FLIGHT);
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let confirmer = tokio::spawn(self.clone().mark_confirmed(confirming, in_flight.clone()));
        let mut cursor = 0;
        let relayed: anyhow::Result<()> = async {
            loop {
                let stopping = *stop.borrow();
                let after = cursor;
                let rows = self
                    .node
                    .store
                    .read(move |c| outbox::unsent(c, after, RELAY_BATCH))
                    .await?;
                let Some(last) = rows.last() else {
                    if in_flight.load(std::sync::atomic::Ordering::Acquire) == 0 {
                        if stopping {
                            return Ok(());
                        }
                        // Everything published is confirmed: read from the start again, so
                        // no unsent row is ever left behind the cursor.
                        cursor = 0;
                    }
                    tokio::select! {
                        _ = self.node.outbox_ready.notified() => {}
                        _ = tokio::time::sleep(Duration::from_millis(if stopping { 5 } else { 500 })) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                };
                cursor = last.id;
                let mut pending = Vec::with_capacity(rows.len());
                for r in &rows {
                    let confirm = self.publish(&r.routing_key, &r.jti, &r.kind, &r.jws).await?;
                    pending.push((r.routing_key.clone(), confirm));
                }
                in_flight.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                let batch = RelayBatch {
                    ids: rows.iter().map(|r| r.id).collect(),
                    kinds: rows.into_iter().map(|r| r.kind).collect(),
                    pending,
                };
                if to_confirm.send(batch).await.is_err() {
                    // The confirmer ended: its result says why.
                    return Ok(());
                }
            }
        }
        .await;
        drop(to_confirm);
        let confirmed = confirmer.await.context("relay confirmer task")?;
        relayed.context("relaying the outbox")?;
        confirmed.context("relaying the outbox")
    }

    /// The relay's second half: waits for each batch's confirms, then marks its rows sent.
    async fn mark_confirmed(
        self: Arc<Self>,
        mut batches: tokio::sync::mpsc::Receiver<RelayBatch>,
        in_flight: Arc<std::sync::atomic::AtomicUsize>,
    ) -> anyhow::Result<()> {
        while let Some(first) = batches.recv().await {
            // The batches published meanwhile are marked in the same transaction: at a trickle
            // (a message or two per batch) a transaction per batch would keep the writer busy
            // and hold up the relay behind it.
            let mut confirmed = vec![first];
            while let Ok(next) = batches.try_recv() {
                confirmed.push(next);
            }
            let (mut ids, mut kinds) = (Vec::new(), Vec::new());
            for batch in &mut confirmed {
                Publisher::confirmed(std::mem::take(&mut batch.pending)).await?;
                ids.append(&mut batch.ids);
                kinds.append(&mut batch.kinds);
            }
            let now = self.node.clock.now_ms();
            self.node
                .store
                .write(move |c| outbox::mark_sent(c, &ids, now))
                .await?;
            for kind in &kinds {
                self.node.metrics.message_out(kind);
            }
            self.heads_moved.notify_one();
            in_flight.fetch_sub(confirmed.len(), std::sync::atomic::Ordering::AcqRel);
        }
        Ok(())
    }

    /// Signs and publishes a control message (not sequenced, not in the outbox).
    async fn control(
        &self,
        aud: Audience,
        body: impl Into<tongxin_schema::v1::Body>,
    ) -> anyhow::Result<()> {
        let msg = Message::new(
            self.node.cfg.org_id.clone(),
            aud,
            0,
            self.node.clock.now_s(),
            body,
        );
        let jws = self.node.signer.sign(&msg)?;
        self.publish_all(&[(
            msg.routing_key(),
            msg.jti.hyphenated().to_string(),
            msg.kind().to_string(),
            jws,
        )])
        .await
    }

    /// Announces our stream heads so receivers notice messages lost at a stream's end.
    pub async fn hello(&self) -> anyhow::Result<()> {
        let heads = self.node.store.read(outbox::sent_heads).await?;
        let heads = heads
            .into_iter()
            .map(|(stream, last)| StreamHead {
                stream,
                last_seq: last as u64,
            })
            .take(1000)
            .collect();
        let software = Text::new(format!("tongxin {}", env!("CARGO_PKG_VERSION")))?;
        self.control(Audience::All, NodeHello { software, heads })
            .await
    }

    pub async fn request_sync(&self, from: OrgId, req: SyncRequested) -> anyhow::Result<()> {
        // Our own streams are never gaps here (our own messages are not applied, §7.4), and
        // every receiver refuses a request to oneself: never send one.
        if from == self.node.cfg.org_id {
            tracing::warn!(stream = %req.stream, "not asking ourselves for a re-send");
            return Ok(());
        }
        tracing::info!(peer.org_id = %from, stream = %req.stream, from_seq = req.from_seq, to_seq = ?req.to_seq, "asking for missing messages");
        self.node.metrics.sync_request_sent(&from);
        self.control(Audience::Org(from), req).await
    }

    /// Re-sends retained messages, unchanged, to the organisation that asked. Only our
    /// broadcast stream and our direct stream to the requester may be asked for.
    pub async fn resend(&self, requester: OrgId, req: SyncRequested) -> anyhow::Result<()> {
        let allowed = [
            Stream::All.to_string(),
            Stream::Direct(requester.clone()).to_string(),
        ];
        if !allowed.contains(&req.stream) {
            tracing::warn!(peer.org_id = %requester, stream = %req.stream, "refusing to re-send another organisation's stream");
            return Ok(());
        }
        let interval = Duration::from_secs(self.node.cfg.exchange.gap_retry_secs.max(1)) / 2;
        if let Ok(mut last) = self.last_resend.lock() {
            let key = (requester.clone(), req.stream.clone());
            if last.get(&key).is_some_and(|t| t.elapsed() < interval) {
                tracing::debug!(peer.org_id = %requester, stream = %req.stream, "re-send asked for again too soon; ignored");
                return Ok(());
            }
            last.insert(key, std::time::Instant::now());
        }
        // Stored sequence numbers are i64: a range past that holds nothing more.
        let from = i64::try_from(req.from_seq.max(1)).unwrap_or(i64::MAX);
        let to = req
            .to_seq
            .map_or(i64::MAX, |t| i64::try_from(t).unwrap_or(i64::MAX));
        let stream = req.stream.clone();
        let (rows, floor) = self
            .node
            .store
            .read(move |c| {
                // Rows first: a compaction committing between the two reads then leaves rows
                // that are gone since (sent whole, as they were) and a floor whose runs
                // include every seq missing among them.
                let rows = outbox::range(c, &stream, from, to, RESEND_BATCH)?;
                let floor = if stream == Stream::All.to_string() {
                    crate::compaction::floor(c)?
                } else {
                    0
                };
                Ok((rows, floor))
            })
            .await?;
        // Below the floor, the runs of seqs compaction took are each said to be gone
        // (`sync.compacted`, PROTOCOL.md §7.10), in line with the messages that survive.
        let complete = (rows.len() as i64) < RESEND_BATCH;
        let mut items = Vec::with_capacity(rows.len());
        let (mut next, mut gone) = (from, 0usize);
        for r in &rows {
            if r.seq > next && next <= floor {
                let run = (next, (r.seq - 1).min(floor));
                gone += self.compacted(&mut items, &requester, &req.stream, run, floor)?;
            }
            items.push((
                format!("org.{requester}.{}", r.kind),
                r.jti.clone(),
                r.kind.clone(),
                r.jws.clone(),
            ));
            next = r.seq + 1;
        }
        if complete && next <= floor.min(to) {
            let run = (next, floor.min(to));
            gone += self.compacted(&mut items, &requester, &req.stream, run, floor)?;
        }
        self.publish_all(&items).await?;
        self.node.metrics.resent(&requester, rows.len() as u64);
        tracing::info!(peer.org_id = %requester, stream = %req.stream, count = rows.len(), compacted_runs = gone, "re-sent messages");
        Ok(())
    }

    /// Signed `sync.compacted` for the run `from..=to` of our `stream`, added to `items` in
    /// pieces a receiver takes (none longer than its largest jump, §7.10); returns how many.
    fn compacted(
        &self,
        items: &mut Vec<(String, String, String, String)>,
        to_org: &OrgId,
        stream: &str,
        (from, to): (i64, i64),
        floor: i64,
    ) -> anyhow::Result<usize> {
        let mut n = 0;
        let mut start = from;
        while start <= to {
            let end = to.min(start + crate::inbound::sequence::MAX_SEQ_JUMP - 1);
            let body = SyncCompacted {
                stream: stream.to_owned(),
                from_seq: start as u64,
                to_seq: end as u64,
                floor: floor as u64,
            };
            let msg = Message::new(
                self.node.cfg.org_id.clone(),
                Audience::Org(to_org.clone()),
                0,
                self.node.clock.now_s(),
                body,
            );
            let jws = self.node.signer.sign(&msg)?;
            items.push((
                msg.routing_key(),
                msg.jti.hyphenated().to_string(),
                msg.kind().to_string(),
                jws,
            ));
            n += 1;
            start = end + 1;
        }
        Ok(n)
    }

    /// A peer restored from a backup asked for its own messages (PROTOCOL.md §7.9): what we
    /// hold of its broadcasts and of its direct stream to us, byte for byte, in parts of at
    /// most [`RECOVERY_PART_BYTES`], the last part `done` with the highest seq we know of.
    pub async fn return_own(&self, requester: OrgId, req: RecoveryRequested) -> anyhow::Result<()> {
        let me = &self.node.cfg.org_id;
        let allowed = [
            Stream::All.to_string(),
            Stream::Direct(me.clone()).to_string(),
        ];
        let interval = Duration::from_secs(self.node.cfg.exchange.gap_retry_secs.max(1)) / 2;
        if let Ok(mut last) = self.last_resend.lock() {
            let key = (requester.clone(), "recovery".to_owned());
            if last.get(&key).is_some_and(|t| t.elapsed() < interval) {
                tracing::debug!(peer.org_id = %requester, "recovery asked for again too soon; ignored");
                return Ok(());
            }
            last.insert(key, std::time::Instant::now());
        }
        for wanted in req.streams {
            if !allowed.contains(&wanted.stream) {
                tracing::warn!(peer.org_id = %requester, stream = %wanted.stream, "refusing to return another organisation's stream");
                continue;
            }
            let start = i64::try_from(wanted.from_seq.max(1)).unwrap_or(i64::MAX);
            let (mut part, mut bytes, mut sent) = (Vec::new(), 0usize, 0usize);
            let mut from = start;
            let head = loop {
                let (iss, stream) = (requester.to_string(), wanted.stream.clone());
                let (rows, head) = self
                    .node
                    .store
                    .read(move |c| {
                        crate::store::recovery::messages_of(c, &iss, &stream, from, RECOVERY_READ)
                    })
                    .await?;
                let last_read = rows.len() < RECOVERY_READ as usize;
                for (seq, jws) in rows {
                    from = seq + 1;
                    if jws.len() > RECOVERY_PART_BYTES {
                        // Only a very large roster is; it cannot travel in a part (PROTOCOL.md
                        // Appendix A.15).
                        tracing::warn!(peer.org_id = %requester, stream = %wanted.stream, seq, bytes = jws.len(), "a message too large for a recovery answer is left out");
                        continue;
                    }
                    if bytes + jws.len() > RECOVERY_PART_BYTES
                        || part.len() == tongxin_schema::v1::bodies::MAX_RECOVERED_MESSAGES
                    {
                        sent += part.len();
                        let body = RecoveryReturned {
                            stream: wanted.stream.clone(),
                            from_seq: start as u64,
                            last_seq: 0,
                            messages: std::mem::take(&mut part),
                            done: false,
                        };
                        self.control(Audience::Org(requester.clone()), body).await?;
                        bytes = 0;
                    }
                    bytes += jws.len();
                    part.push(jws);
                }
                if last_read {
                    break head;
                }
            };
            sent += part.len();
            let body = RecoveryReturned {
                stream: wanted.stream.clone(),
                from_seq: start as u64,
                last_seq: head.max(0) as u64,
                messages: part,
                done: true,
            };
            self.control(Audience::Org(requester.clone()), body).await?;
            tracing::info!(peer.org_id = %requester, stream = %wanted.stream, from_seq = start, count = sent, last_seq = head, "returned a restored peer's own messages");
        }
        Ok(())
    }

    /// Recovery ended (by the last answer, or by the wait): what was held back goes out now.
    pub async fn recovery_finished(&self) -> anyhow::Result<()> {
        self.node.outbox_ready.notify_one();
        let n = self.node.clone();
        tokio::task::spawn_blocking(move || crate::app::announce_trust(&n)).await??;
        Ok(())
    }

    /// While this node recovers from a restore: releases what the answers allow and asks the
    /// peers that have not answered (again, every gap-retry interval).
    async fn recover(&self) -> anyhow::Result<()> {
        let n = self.node.clone();
        let (finished, due) = self
            .node
            .store
            .write(move |c| {
                let finished = crate::inbound::recovery::settle(&n, c)?;
                Ok((finished, crate::inbound::recovery::requests_due(&n, c)?))
            })
            .await?;
        if finished {
            self.recovery_finished().await?;
        }
        for (peer, req) in due {
            tracing::info!(peer.org_id = %peer, streams = req.streams.len(), "asking for our own messages back after the restore");
            self.control(Audience::Org(peer), req).await?;
        }
        Ok(())
    }

    /// Periodic work: `node.hello`, asking again for gaps that stay open, closing the
    /// check-ins of activities that are over and escalating needs past their deadline (at the
    /// hello interval).
    ///
    /// Once our heads moved and nothing more was published for `heads_after_quiet_ms`, the
    /// heads are announced again (unless a hello already did since): a message lost at the end
    /// of a stream, for instance while a federation link between brokers is re-set, is then
    /// noticed within seconds rather than at the next hello interval.
    pub async fn timers(self: Arc<Self>, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let cfg = &self.node.cfg.exchange;
        let mut hello = tokio::time::interval(Duration::from_secs(cfg.hello_interval_secs.max(1)));
        let mut gaps = tokio::time::interval(Duration::from_secs(cfg.gap_retry_secs.max(1)));
        let quiet = Duration::from_millis(cfg.heads_after_quiet_ms);
        // When the heads are to be announced, if they moved since the last hello.
        let mut heads_due: Option<tokio::time::Instant> = None;
        loop {
            let due = heads_due;
            let announce = async move {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = hello.tick() => {
                    self.hello().await?;
                    heads_due = None;
                    self.close_forgotten_checkins().await;
                    self.escalate_overdue_needs().await;
                    self.call_emergency_backups().await;
                    self.send_participation_reports().await;
                }
                _ = self.heads_moved.notified(), if !quiet.is_zero() => {
                    heads_due = Some(tokio::time::Instant::now() + quiet);
                }
                _ = announce => {
                    heads_due = None;
                    self.hello().await?;
                }
                _ = gaps.tick() => {
                    self.retry_gaps().await?;
                    self.recover().await?;
                }
                _ = stop.changed() => return Ok(()),
            }
        }
    }

    /// A member who forgot to check out is checked out at the activity's end, flagged, and the
    /// host attests it; a failure here is logged and tried again at the next tick.
    async fn close_forgotten_checkins(&self) {
        // A read first: the writer is taken only when someone is still checked in.
        let me = self.node.cfg.org_id.to_string();
        let open = self
            .node
            .store
            .read(move |c| crate::store::activities::open_checkins(c, &me))
            .await;
        if open.is_ok_and(|o| o.is_empty()) {
            return;
        }
        match self
            .node
            .act(crate::domain::checkins::close_forgotten)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "closed check-ins left open after their activity"),
            Err(e) => tracing::warn!(error = %e, "closing forgotten check-ins failed"),
        }
    }

    /// Needs whose deadline passed go up the organisation tree by themselves; a failure is
    /// logged and tried again at the next tick.
    async fn escalate_overdue_needs(&self) {
        let me = self.node.cfg.org_id.to_string();
        let now_s = self.node.clock.now_ms() / 1000;
        let overdue = self
            .node
            .store
            .read(move |c| crate::store::needs::overdue(c, &me, now_s))
            .await;
        if overdue.is_ok_and(|o| o.is_empty()) {
            return;
        }
        match self.node.act(crate::domain::needs::escalate_overdue).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "needs past their deadline went up a level"),
            Err(e) => tracing::warn!(error = %e, "escalating needs past their deadline failed"),
        }
    }

    /// The participation reports due (yesterday's, last month's) and those whose figures
    /// changed go to the organisation department, at most every [`REPORTS_EVERY_MS`]; a
    /// failure is logged and tried again at the next tick.
    async fn send_participation_reports(&self) {
        use std::sync::atomic::Ordering;
        let now_ms = self.node.clock.now_ms();
        let last = self.reports_checked_ms.load(Ordering::Relaxed);
        if last != i64::MIN && now_ms.saturating_sub(last) < REPORTS_EVERY_MS {
            return;
        }
        let k = self.node.cfg.participation.k;
        match self
            .node
            .act(move |c, a| crate::domain::participation::send_due(c, a, k))
            .await
        {
            Ok(n) => {
                self.reports_checked_ms.store(now_ms, Ordering::Relaxed);
                if n > 0 {
                    tracing::info!(
                        count = n,
                        "sent participation reports to the organisation department"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "sending participation reports failed"),
        }
    }

    /// B holders are called for the posts of an emergency whose A holders did not answer in
    /// time; a failure is logged and tried again at the next tick.
    async fn call_emergency_backups(&self) {
        let now_ms = self.node.clock.now_ms();
        let due = self
            .node
            .store
            .read(move |c| crate::store::emergencies::due_for_backups(c, now_ms))
            .await;
        if due.is_ok_and(|d| d.is_empty()) {
            return;
        }
        match self
            .node
            .act(crate::domain::emergencies::call_backups)
            .await
        {
            Ok(n) => tracing::info!(
                count = n,
                "called B holders for emergency posts without an A holder's yes"
            ),
            Err(e) => tracing::warn!(error = %e, "calling B holders failed"),
        }
    }

    async fn retry_gaps(&self) -> anyhow::Result<()> {
        let n = self.node.clone();
        let due = self
            .node
            .store
            .write(move |c| crate::inbound::sequence::due_gap_requests(&n, c))
            .await?;
        for (iss, req) in due {
            self.request_sync(iss, req).await?;
        }
        Ok(())
    }
}
