//! Consuming: deliveries are handed to `inbound` (verified outside the database, the
//! signatures of a batch at once, then received in batches in one transaction) and
//! acknowledged only after the commit; what `inbound` refused is nacked without requeue
//! (dead-lettered). Batch k+1 is verified while batch k commits.

use std::sync::Arc;
use std::time::Duration;

use futures_lite::StreamExt;
use lapin::Channel;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions};
use lapin::types::FieldTable;
use tokio::sync::watch;

use super::publisher::Publisher;
use crate::inbound::{self, Checked, FollowUp, Verdict};
use crate::state::SharedNode;

/// The bytes and properties the inbound side needs, out of lapin's delivery.
fn delivery(d: &Delivery) -> inbound::Delivery {
    inbound::Delivery {
        data: d.data.clone(),
        routing_key: d.routing_key.to_string(),
        user_id: d.properties.user_id().as_ref().map(|u| u.to_string()),
        content_type: d.properties.content_type().as_ref().map(|c| c.to_string()),
    }
}

/// A verified batch on its way to the write transaction.
struct Batch {
    deliveries: Vec<Delivery>,
    checked: Vec<Checked>,
    /// Set for a batch ending in a trust document: told once it has committed and is in force.
    committed: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Two halves: one takes deliveries and verifies them (CPU), the other commits, acks and
/// installs; batch k+1 is verified while batch k commits. A batch ends after a trust document
/// (roster, CRL), and nothing after it is verified until it has committed and is in force.
pub async fn run(
    node: SharedNode,
    channel: Channel,
    queue: String,
    publisher: Arc<Publisher>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let consumer = channel
        .basic_consume(
            queue.as_str().into(),
            format!("tongxin-{}", node.cfg.org_id).as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    // One verified batch waits while the next is verified: no more, so that what is acked
    // stays close to what was taken.
    let (to_commit, mut verified) = tokio::sync::mpsc::channel::<Batch>(1);
    let verifying = verify_deliveries(&node, consumer, to_commit, stop);
    let committing = async {
        while let Some(batch) = verified.recv().await {
            process_batch(&node, &publisher, batch.deliveries, batch.checked).await?;
            if let Some(done) = batch.committed {
                let _ = done.send(());
            }
        }
        anyhow::Ok(())
    };
    // Either half failing ends both (the session reconnects); what was not acked is
    // delivered again.
    tokio::try_join!(verifying, committing)?;
    Ok(())
}

/// Takes what has arrived (up to the batch size; the wait for more after the first is
/// `batch_wait_ms`) and verifies it, until asked to stop.
async fn verify_deliveries(
    node: &SharedNode,
    mut consumer: lapin::Consumer,
    to_commit: tokio::sync::mpsc::Sender<Batch>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let batch_size = node.cfg.exchange.batch_size.max(1);
    let wait = Duration::from_millis(node.cfg.exchange.batch_wait_ms);
    loop {
        let first = tokio::select! {
            d = consumer.next() => d,
            _ = stop.changed() => return Ok(()),
        };
        let Some(first) = first else {
            anyhow::bail!("the broker ended the consumer")
        };
        let mut deliveries = vec![first?];
        let deadline = tokio::time::Instant::now() + wait;
        while deliveries.len() < batch_size {
            tokio::select! {
                // Deliveries already here first: the deadline only ends the wait for more.
                biased;
                d = consumer.next() => match d {
                    Some(d) => deliveries.push(d?),
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        let mut rest = deliveries;
        while !rest.is_empty() {
            let checked = verify(node, &rest);
            let tail = rest.split_off(checked.len());
            let trust = checked.last().is_some_and(Checked::is_trust_document);
            let (committed, in_force) = if trust {
                let (tx, rx) = tokio::sync::oneshot::channel();
                (Some(tx), Some(rx))
            } else {
                (None, None)
            };
            let batch = Batch {
                deliveries: rest,
                checked,
                committed,
            };
            if to_commit.send(batch).await.is_err() {
                // The committing half ended: its error is the one to report.
                return Ok(());
            }
            if let Some(in_force) = in_force
                && in_force.await.is_err()
            {
                return Ok(());
            }
            rest = tail;
        }
    }
}

/// Verifies deliveries up to and including the first trust document (outside the database:
/// CPU work, the signatures as one batch); returns one verdict per delivery verified. What
/// follows a trust document is verified again once it is in force.
fn verify(node: &SharedNode, deliveries: &[Delivery]) -> Vec<Checked> {
    let started = std::time::Instant::now();
    let taken: Vec<inbound::Delivery> = deliveries.iter().map(delivery).collect();
    let mut checked = inbound::check_many(node, &taken, node.clock.now_s());
    node.metrics
        .verified(started.elapsed().as_secs_f64(), checked.len() as u64);
    if let Some(trust) = checked.iter().position(Checked::is_trust_document) {
        checked.truncate(trust + 1);
    }
    checked
}

async fn process_batch(
    node: &SharedNode,
    publisher: &Publisher,
    deliveries: Vec<Delivery>,
    checked: Vec<Checked>,
) -> anyhow::Result<()> {
    let (verdicts, follow) = if checked.iter().all(|c| matches!(c, Checked::Own)) {
        // Only our own broadcasts: nothing to write.
        (vec![Verdict::Ack; checked.len()], FollowUp::default())
    } else {
        let n = node.clone();
        let started = std::time::Instant::now();
        let count = deliveries.len() as u64;
        let written = node
            .store
            .write(move |conn| {
                let mut follow = FollowUp::default();
                let verdicts = inbound::receive(&n, conn, checked, &mut follow)?;
                Ok((verdicts, follow))
            })
            .await?;
        node.metrics
            .inbox_committed(started.elapsed().as_secs_f64(), count);
        written
    };

    // Committed: now tell the broker. Runs of acks go as one multiple-ack.
    let mut pending_ack: Option<&Delivery> = None;
    for (d, v) in deliveries.iter().zip(&verdicts) {
        match v {
            Verdict::Ack => pending_ack = Some(d),
            Verdict::Reject { .. } => {
                if let Some(last) = pending_ack.take() {
                    last.ack(BasicAckOptions { multiple: true }).await?;
                }
                d.nack(BasicNackOptions {
                    multiple: false,
                    requeue: false,
                })
                .await?;
            }
        }
    }
    if let Some(last) = pending_ack {
        last.ack(BasicAckOptions { multiple: true }).await?;
    }

    // Committed: trust documents take effect now.
    if let Some(r) = follow.roster {
        node.install_roster(r);
    }
    if let Some(c) = follow.crl {
        node.install_crl(c);
    }
    if follow.sent {
        node.outbox_ready.notify_one();
    }
    for (to, req) in follow.sync_requests {
        publisher.request_sync(to, req).await?;
    }
    for (requester, req) in follow.resends {
        publisher.resend(requester, req).await?;
    }
    for (requester, req) in follow.recovery_requests {
        publisher.return_own(requester, req).await?;
    }
    if follow.recovery_finished {
        publisher.recovery_finished().await?;
    }
    Ok(())
}
