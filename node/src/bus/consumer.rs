//! Consuming: deliveries are checked and verified outside the database, applied in batches in
//! one transaction, and acknowledged only after the commit. Rejected messages are recorded,
//! then nacked without requeue (dead-lettered).

use std::sync::Arc;
use std::time::Duration;

use futures_lite::StreamExt;
use lapin::Channel;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions};
use lapin::types::FieldTable;
use tokio::sync::watch;

use super::CONTENT_TYPE;
use super::publisher::Publisher;
use crate::exchange::inbox::{Incoming, apply_batch};
use crate::exchange::{FollowUp, Verdict};
use crate::metrics::label;
use crate::state::SharedNode;
use crate::store::inbox::{NewRejection, record_rejected};
use crate::store::now_ms;
use tongxin_schema::v1::Kind;

enum Checked {
    Ok(Box<Incoming>),
    Rejected {
        code: &'static str,
        reason: String,
        raw: String,
        routing_key: String,
        user_id: Option<String>,
    },
}

fn check(node: &SharedNode, d: &Delivery) -> Checked {
    let routing_key = d.routing_key.to_string();
    let user_id = d.properties.user_id().as_ref().map(|u| u.to_string());
    let rejected = |code, reason: String, raw: String| Checked::Rejected {
        code,
        reason,
        raw,
        routing_key: routing_key.clone(),
        user_id: user_id.clone(),
    };
    let raw = match std::str::from_utf8(&d.data) {
        Ok(s) => s,
        Err(e) => {
            return rejected(
                "malformed",
                format!("payload is not UTF-8: {e}"),
                String::from_utf8_lossy(&d.data).into_owned(),
            );
        }
    };
    let content_type = d.properties.content_type().as_ref().map(|c| c.to_string());
    if content_type.as_deref() != Some(CONTENT_TYPE) {
        return rejected(
            "content_type",
            format!("content type {content_type:?}, expected {CONTENT_TYPE}"),
            raw.to_owned(),
        );
    }
    let msg = match node.verifier().verify(raw.trim(), now_ms() / 1000) {
        Ok(m) => m,
        Err(e) => return rejected(e.code(), e.to_string(), raw.to_owned()),
    };
    match &user_id {
        None => {
            return rejected(
                "user_id_missing",
                "the AMQP user_id property is missing".into(),
                raw.to_owned(),
            );
        }
        Some(u) if u != msg.iss.as_str() => {
            return rejected(
                "user_id_mismatch",
                format!("published by broker user {u}, but signed by {}", msg.iss),
                raw.to_owned(),
            );
        }
        Some(_) => {}
    }
    Checked::Ok(Box::new(Incoming {
        msg,
        routing_key,
        user_id,
    }))
}

pub async fn run(
    node: SharedNode,
    channel: Channel,
    queue: String,
    publisher: Arc<Publisher>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            format!("tongxin-{}", node.cfg.org_id).as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
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
        process(&node, &publisher, deliveries).await?;
    }
}

/// Applies deliveries in sub-batches that end after a trust document (roster, CRL), so the
/// messages after it are verified against it once it has committed.
async fn process(
    node: &SharedNode,
    publisher: &Publisher,
    mut rest: Vec<Delivery>,
) -> anyhow::Result<()> {
    while !rest.is_empty() {
        // Verification is CPU work: keep it out of the write transaction.
        let started = std::time::Instant::now();
        let mut checked = Vec::with_capacity(rest.len());
        for d in &rest {
            let c = check(node, d);
            let trust = matches!(&c, Checked::Ok(inc) if matches!(inc.msg.kind(), Kind::RosterPublished | Kind::RevocationPublished));
            checked.push(c);
            if trust {
                break;
            }
        }
        node.metrics.observe(
            "tongxin_verify_seconds",
            started.elapsed().as_secs_f64(),
            checked.len() as u64,
        );
        let tail = rest.split_off(checked.len());
        process_batch(node, publisher, rest, checked).await?;
        rest = tail;
    }
    Ok(())
}

async fn process_batch(
    node: &SharedNode,
    publisher: &Publisher,
    deliveries: Vec<Delivery>,
    checked: Vec<Checked>,
) -> anyhow::Result<()> {
    let n = node.clone();
    let started = std::time::Instant::now();
    let count = deliveries.len() as u64;
    let (verdicts, follow, checked) = node
        .store
        .write(move |conn| {
            let mut verdicts = Vec::with_capacity(checked.len());
            let mut follow = FollowUp::default();
            // Keep delivery order: apply runs of verified messages between rejections.
            let mut run: Vec<Incoming> = Vec::new();
            let mut checked_back = Vec::with_capacity(checked.len());
            for c in checked {
                match c {
                    Checked::Ok(inc) => run.push(*inc),
                    Checked::Rejected {
                        code,
                        reason,
                        raw,
                        routing_key,
                        user_id,
                    } => {
                        verdicts.extend(apply_batch(&n, conn, &run, &mut follow)?);
                        run.clear();
                        record_rejected(
                            conn,
                            &NewRejection {
                                code,
                                reason: &reason,
                                iss: None,
                                kind: None,
                                jti: None,
                                routing_key: &routing_key,
                                user_id: user_id.as_deref(),
                                raw: &raw,
                            },
                        )?;
                        verdicts.push(Verdict::Reject { code });
                        checked_back.push((code, reason));
                    }
                }
            }
            verdicts.extend(apply_batch(&n, conn, &run, &mut follow)?);
            Ok((verdicts, follow, checked_back))
        })
        .await?;
    node.metrics.observe(
        "tongxin_inbox_commit_seconds",
        started.elapsed().as_secs_f64(),
        count,
    );
    for (code, reason) in checked {
        node.metrics.add(
            "tongxin_messages_rejected_total",
            format!("reason=\"{}\"", label(code)),
            1,
        );
        tracing::warn!(reason.code = code, reason = %reason, "rejected a message");
    }

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
    for (to, req) in follow.sync_requests {
        publisher.request_sync(to, req).await?;
    }
    for (requester, req) in follow.resends {
        publisher.resend(requester, req).await?;
    }
    Ok(())
}
