//! `cargo run --release -p tongxin-tests --bin bench -- [--messages N]`
//!
//! End-to-end exchange throughput: signed `checkin.attested` messages (~2 KB with the sender's
//! certificate) written to one node's outbox and committed by another node, next to raw lapin
//! publish (with confirms) + consume of the same bytes through the same kind of queue (quorum,
//! same prefetch), acking each message and acking in batches of 50, in the same run.
//! Prints a table and one JSON line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use lapin::options::*;
use lapin::types::{AMQPValue, FieldTable};
use tongxin_schema::envelope::{Audience, Message};
use tongxin_schema::v1::bodies::CheckinAttested;
use tongxin_schema::v1::taxonomy::Mode;
use tongxin_schema::{MemberRef, OrgKind};
use tongxin_tests::*;

fn checkin(member_home: &tongxin_schema::OrgId, i: u64) -> CheckinAttested {
    let t = now();
    CheckinAttested {
        checkin_id: uuid::Uuid::now_v7(),
        member: MemberRef::new(
            member_home.clone(),
            uuid::Uuid::from_u128(u128::from(i) + 1),
        ),
        activity_id: Some(uuid::Uuid::now_v7()),
        checked_in_at: t - 7200,
        checked_out_at: t - 3600,
        minutes: 60,
        mode: Mode::Routine,
    }
}

async fn raw(
    vhost: &str,
    user: &str,
    pw: &str,
    payload: &[u8],
    n: usize,
    prefetch: u16,
    ack_every: usize,
) -> f64 {
    let conn = lapin::Connection::connect(
        &format!("amqp://{user}:{pw}@127.0.0.1:5672/{vhost}"),
        lapin::ConnectionProperties::default(),
    )
    .await
    .unwrap();
    let ch = conn.create_channel().await.unwrap();
    let q = format!("bench.{}", unique("q"));
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    ch.queue_declare(q.as_str().into(), QueueDeclareOptions::durable(), args)
        .await
        .unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let cons_ch = conn.create_channel().await.unwrap();
    cons_ch
        .basic_qos(prefetch, BasicQosOptions::default())
        .await
        .unwrap();
    let mut consumer = cons_ch
        .basic_consume(
            q.as_str().into(),
            "bench".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let start = Instant::now();
    let props = node_props("x", "checkin.attested", Some(user));
    let publisher = {
        let ch = ch.clone();
        let payload = payload.to_vec();
        let q = q.clone();
        tokio::spawn(async move {
            let mut pending = Vec::with_capacity(1000);
            for _ in 0..n {
                pending.push(
                    ch.basic_publish(
                        "".into(),
                        q.as_str().into(),
                        BasicPublishOptions::default(),
                        &payload,
                        props.clone(),
                    )
                    .await
                    .unwrap(),
                );
                if pending.len() == 1000 {
                    for p in pending.drain(..) {
                        p.await.unwrap();
                    }
                }
            }
            for p in pending {
                p.await.unwrap();
            }
        })
    };
    let mut got = 0;
    while got < n {
        let d = consumer.next().await.unwrap().unwrap();
        got += 1;
        if got % ack_every == 0 || got == n {
            d.ack(BasicAckOptions {
                multiple: ack_every > 1,
            })
            .await
            .unwrap();
        }
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    publisher.await.unwrap();
    ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    let _ = cons_ch.close(200, "done".into()).await;
    let _ = ch.close(200, "done".into()).await;
    let _ = conn.close(200, "done".into()).await;
    rate
}

async fn end_to_end(host: &RunningNode, home: &RunningNode, n: usize) -> f64 {
    // Prepare the messages in the host's outbox with the relay held back by a large batch
    // written at once; the clock starts when the relay is woken.
    let home_id = home.org_id.clone();
    let signer_node = host.node.clone();
    let chunk = 2000;
    let mut written = 0;
    let start = Instant::now();
    while written < n {
        let (s, h) = (signer_node.clone(), home_id.clone());
        let from = written as u64;
        let count = chunk.min(n - written);
        host.node
            .store
            .write(move |c| {
                for i in 0..count as u64 {
                    tongxin_node::store::outbox::enqueue(
                        c,
                        &s.signer,
                        Audience::Org(h.clone()),
                        checkin(&h, from + i),
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        host.node.outbox_ready.notify_one();
        written += count;
    }
    let stream = format!("org.{}", home.org_id);
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if stream_state(home, &host.org_id, &stream)
            .await
            .is_some_and(|(last, _)| last as usize >= n)
        {
            break;
        }
        assert!(Instant::now() < deadline, "end-to-end run did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Publish-to-committed latency at a fixed offered rate: one message per transaction, each
/// written at its scheduled time; the receiver records when it committed each one.
async fn latency(host: &RunningNode, home: &RunningNode, rate: u32, n: usize) -> (f64, f64, f64) {
    let stream = format!("org.{}", home.org_id);
    let first = stream_state(home, &host.org_id, &stream)
        .await
        .map_or(0, |(l, _)| l)
        + 1;
    let mut written = Vec::with_capacity(n);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..n {
        tick.tick().await;
        let (s, h) = (host.node.clone(), home.org_id.clone());
        let at = tongxin_node::store::now_ms();
        host.node
            .store
            .write(move |c| {
                tongxin_node::store::outbox::enqueue(
                    c,
                    &s.signer,
                    Audience::Org(h.clone()),
                    checkin(&h, i as u64),
                )
                .map(|_| ())
            })
            .await
            .unwrap();
        host.node.outbox_ready.notify_one();
        written.push(at);
    }
    let last = first + n as i64 - 1;
    let deadline = Instant::now() + Duration::from_secs(300);
    while stream_state(home, &host.org_id, &stream)
        .await
        .is_none_or(|(l, _)| l < last)
    {
        assert!(Instant::now() < deadline, "latency run did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (iss, st) = (host.org_id.to_string(), stream.clone());
    let times = home
        .node
        .store
        .read(move |c| tongxin_node::store::inbox::applied_times(c, &iss, &st))
        .await
        .unwrap();
    let mut lat: Vec<f64> = times
        .into_iter()
        .filter(|(seq, _)| (first..=last).contains(seq))
        .map(|(seq, applied)| (applied - written[(seq - first) as usize]) as f64)
        .collect();
    lat.sort_by(f64::total_cmp);
    let pick = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    (pick(0.5), pick(0.99), lat[lat.len() - 1])
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--messages")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut a = Alliance::new(&[
        ("host", OrgKind::Community, "友谊南里社区大党委", None),
        ("home", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
    ]);
    let (user, pw) = a.outsider();
    tongxin_tests::rabbitmqctl(&[
        "set_permissions",
        "-p",
        &a.vhost,
        &user,
        "^bench\\..*",
        "^(amq\\.default|bench\\..*)$",
        "^bench\\..*",
    ]);
    let host = a.org("host");
    let signer = tongxin_schema::Signer::new(&host.key, &host.cert).unwrap();
    let home_id = a.org("home").id.clone();
    let sample = signer
        .sign(&Message::new(
            host.id.clone(),
            Audience::Org(home_id.clone()),
            1,
            now(),
            checkin(&home_id, 0),
        ))
        .unwrap();
    let prefetch = 256;
    let raw_each = raw(&a.vhost, &user, &pw, sample.as_bytes(), n, prefetch, 1).await;
    let raw_batch = raw(&a.vhost, &user, &pw, sample.as_bytes(), n, prefetch, 50).await;
    let host_node = a.start("host", None).await;
    let home_node = a.start("home", None).await;
    for nd in [&host_node, &home_node] {
        eventually(20, "ready", || async { nd.ready().await.then_some(()) }).await;
    }
    let e2e = end_to_end(&host_node, &home_node, n).await;
    // Offered rates: 20% and 80% of the measured end-to-end maximum.
    let mut lat = Vec::new();
    for share in [0.2, 0.8] {
        let rate = ((e2e * share) as u32).max(1);
        let count = (rate as usize * 5).clamp(100, n);
        lat.push((
            share,
            rate,
            latency(&host_node, &home_node, rate, count).await,
        ));
    }
    host_node.stop().await;
    home_node.stop().await;
    println!(
        "messages: {n} × {} bytes (checkin.attested, compact JWS), quorum queue, prefetch {prefetch}",
        sample.len()
    );
    println!("{:<58} {:>10} {:>8}", "path", "msg/s", "ratio");
    println!(
        "{:<58} {:>10.0} {:>8.2}",
        "raw lapin publish+confirm, consume, ack each",
        raw_each,
        raw_each / raw_batch
    );
    println!(
        "{:<58} {:>10.0} {:>8.2}",
        "raw lapin publish+confirm, consume, ack per 50 (ceiling)", raw_batch, 1.0
    );
    println!(
        "{:<58} {:>10.0} {:>8.2}",
        "tongxin outbox → relay → verify → SQLite commit → ack",
        e2e,
        e2e / raw_batch
    );
    for (share, rate, (p50, p99, max)) in &lat {
        println!(
            "latency at {:>3.0}% of that ({rate} msg/s offered): p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms",
            share * 100.0
        );
    }
    println!(
        "{{\"messages\":{n},\"bytes\":{},\"raw_ack_each\":{raw_each:.0},\"raw_ack_batch\":{raw_batch:.0},\"end_to_end\":{e2e:.0},\"ratio\":{:.3}}}",
        sample.len(),
        e2e / raw_batch
    );
}
