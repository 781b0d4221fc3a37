//! The broker side (lapin on RabbitMQ, PROTOCOL.md §4.4): a connection for publishing (a
//! confirming channel) and one for consuming, as RabbitMQ advises, so that a flow-control alarm
//! on publishing never holds up the consumer's acks. A supervisor reconnects with capped backoff and never
//! gives up; while the broker is away, HTTP keeps serving and writes queue in the outbox.

mod consumer;
mod publisher;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_lite::StreamExt;
use lapin::options::{
    BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::watch;

use crate::state::SharedNode;

pub const EXCHANGE: &str = "tongxin";

pub fn queue_name(org: &str) -> String {
    format!("node.{org}")
}

/// Runs until `stop` turns true: connect, serve, and on any failure reconnect, to the next
/// broker of `broker.url` when it lists several (the nodes of a cluster).
pub async fn supervise(node: SharedNode, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(200);
    let brokers = node.cfg.broker.urls().len().max(1);
    let mut broker = 0;
    loop {
        if *stop.borrow() {
            return;
        }
        match session(&node, broker, &mut stop).await {
            Ok(()) => return,
            Err(e) => {
                node.set_broker_ready(false);
                broker = (broker + 1) % brokers;
                tracing::warn!(error = %format!("{e:#}"), retry_in_ms = backoff.as_millis() as u64, next_broker = broker + 1, brokers, "broker session ended");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => {}
        }
        backoff = next_backoff(backoff);
    }
}

/// The wait before the next reconnect: doubling from 200 ms, capped at 3 s, so a node is back
/// within about 3 s of its broker.
fn next_backoff(after: Duration) -> Duration {
    (after * 2).min(Duration::from_secs(3))
}

/// Opens one connection to the `broker`th address; `role` (publish, consume) names it on the
/// broker.
async fn connect(node: &SharedNode, broker: usize, role: &str) -> anyhow::Result<Connection> {
    let urls = node.cfg.broker.urls();
    let Some(url) = urls.get(broker).copied() else {
        anyhow::bail!("broker.url names no broker");
    };
    let props = ConnectionProperties::default()
        .with_connection_name(format!("tongxin-{} {role}", node.cfg.org_id).into());
    // lapin's own error for a bad URL quotes the whole URL, password included; this one
    // says what is wrong without it.
    if let Err(e) = url.parse::<lapin::uri::AMQPUri>() {
        let why = e.replace(url, "…");
        anyhow::bail!(
            "broker.url (broker {} of {}) is not a valid amqp:// or amqps:// URL: {why}",
            broker + 1,
            urls.len()
        );
    }
    if url.starts_with("amqps://") {
        let read = |p: &std::path::Path| {
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        };
        let ca = node
            .cfg
            .broker
            .tls_ca
            .clone()
            .unwrap_or_else(|| node.cfg.pki.ca_cert.clone());
        let tls = lapin::tcp::OwnedTLSConfig {
            identity: Some(lapin::tcp::OwnedIdentity::PKCS8 {
                pem: read(&node.cfg.pki.node_cert)?,
                key: read(&node.cfg.pki.node_key)?,
            }),
            cert_chain: Some(String::from_utf8(read(&ca)?).context("broker CA is not PEM")?),
        };
        Ok(
            Connection::connect_with_config(url, props, tls, lapin::runtime::default_runtime()?)
                .await?,
        )
    } else {
        Ok(Connection::connect(url, props).await?)
    }
}

/// One connection's life. Returns Ok only when asked to stop.
async fn session(
    node: &SharedNode,
    broker: usize,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let (conn, consume_conn) = tokio::time::timeout(Duration::from_secs(10), async {
        anyhow::Ok((
            connect(node, broker, "publish").await?,
            connect(node, broker, "consume").await?,
        ))
    })
    .await
    .context("connecting timed out")??;
    let mut events = conn.events_listener();
    let mut consume_events = consume_conn.events_listener();
    let publish = conn.create_channel().await?;
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    // Nodes only check the topology broker-config/apply made; they may not declare it.
    publish
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .context("exchange `tongxin` is missing: run broker-config/apply")?;
    let queue = queue_name(node.cfg.org_id.as_str());
    let consume = consume_conn.create_channel().await?;
    consume
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .with_context(|| {
            format!("queue {queue} is missing: run broker-config/apply for this node")
        })?;
    consume
        .basic_qos(node.cfg.broker.prefetch, BasicQosOptions::default())
        .await?;
    let publisher = Arc::new(publisher::Publisher::new(node.clone(), publish));

    node.set_broker_ready(true);
    node.metrics.broker_reconnect();
    tracing::info!(queue = %queue, broker = broker + 1, "connected to the broker");
    publisher.hello().await.ok();

    let (inner_stop_tx, inner_stop) = watch::channel(false);
    let mut consumer = tokio::spawn(consumer::run(
        node.clone(),
        consume,
        queue,
        publisher.clone(),
        inner_stop.clone(),
    ));
    let mut relay = tokio::spawn(publisher.clone().relay(inner_stop.clone()));
    let mut timers = tokio::spawn(publisher.clone().timers(inner_stop));

    let result = tokio::select! {
        r = &mut consumer => r.context("consumer task").and_then(|r| r),
        r = &mut relay => r.context("relay task").and_then(|r| r),
        r = &mut timers => r.context("timer task").and_then(|r| r),
        e = failure(&mut events) => Err(anyhow::Error::from(e).context("broker connection (publishing) failed")),
        e = failure(&mut consume_events) => Err(anyhow::Error::from(e).context("broker connection (consuming) failed")),
        _ = stop.changed() => {
            // Graceful: stop taking deliveries, finish the batch, flush the outbox, close.
            let _ = inner_stop_tx.send(true);
            let _ = (&mut consumer).await;
            let _ = (&mut relay).await;
            let _ = (&mut timers).await;
            close(&[&consume_conn, &conn], 200, "shutdown").await;
            node.set_broker_ready(false);
            return Ok(());
        }
    };
    // The session is over: say so at once, before closing, which a broker on its way down
    // may never answer.
    node.set_broker_ready(false);
    let _ = inner_stop_tx.send(true);
    consumer.abort();
    relay.abort();
    timers.abort();
    close(&[&consume_conn, &conn], 320, "reconnecting").await;
    result
}

/// Closes connections (and their channels), each waiting at most 2 s for the broker's answer:
/// a broker that stopped answering holds up neither a shutdown nor a reconnect.
async fn close(connections: &[&Connection], code: u16, reason: &str) {
    for c in connections {
        let _ = tokio::time::timeout(Duration::from_secs(2), c.close(code, reason.into())).await;
    }
}

/// The first error a connection reports; pending for ever if it reports none.
async fn failure(
    events: &mut (impl futures_lite::Stream<Item = lapin::Event> + Unpin),
) -> lapin::Error {
    loop {
        match events.next().await {
            Some(lapin::Event::Error(e)) => return e,
            Some(_) => {}
            None => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnects_back_off_to_at_most_three_seconds() {
        let mut waits = vec![Duration::from_millis(200)];
        for _ in 0..10 {
            waits.push(next_backoff(*waits.last().unwrap_or(&Duration::ZERO)));
        }
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms[..6], [200, 400, 800, 1600, 3000, 3000]);
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(3)));
    }
}
