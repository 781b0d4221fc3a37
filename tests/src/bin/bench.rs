//! `cargo run --release -p tongxin-tests --bin bench -- [--messages N] [--runs R] [--catch-up M]`
//!
//! How fast a node exchanges messages next to its ceilings, all measured in the same run:
//! - throughput: N signed `checkin.attested` messages (~1.7 KB with the sender's certificate),
//!   already in one node's outbox, published by its relay and committed by another node; next
//!   to raw lapin publish (with confirms) + consume of the same bytes through the same kind of
//!   queue (quorum, same prefetch), acking each message and acking in batches of 50. The
//!   receiver runs on SQLite with `synchronous=FULL`, SQLite `NORMAL` and PostgreSQL. Each is
//!   measured R times (default 3), interleaved, and the median is reported.
//! - latency: publish-to-committed p50/p99/max at fixed offered rates;
//! - crypto: the verify rate inside the receiving pipeline next to raw Ed25519 verify (OpenSSL)
//!   in this process;
//! - catch-up: a receiver offline for M messages (default 100,000), then started.
//!
//! Prints a table and one JSON line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use lapin::options::*;
use lapin::types::{AMQPValue, FieldTable};
use tongxin_node::app::Application;
use tongxin_node::config::Config;
use tongxin_schema::OrgKind;
use tongxin_schema::envelope::{Audience, Message};
use tongxin_schema::v1::bodies::CheckinAttested;
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
use tongxin_tests::*;

fn checkin(
    member_home: &tongxin_schema::OrgId,
    host: &tongxin_schema::OrgId,
    i: u64,
) -> CheckinAttested {
    let t = now();
    CheckinAttested {
        checkin_id: uuid::Uuid::now_v7(),
        member: member_at(member_home, host, uuid::Uuid::from_u128(u128::from(i) + 1)),
        activity_id: Some(uuid::Uuid::now_v7()),
        category: ActivityCategory::VolunteerService,
        checked_in_at: t - 7200,
        checked_out_at: t - 3600,
        minutes: 60,
        mode: Mode::Routine,
        corrects: None,
        closed_by_host: false,
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
    let conn = connect_as(vhost, user, pw).await.unwrap();
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

/// The host's configuration, for building it again between runs.
fn host_config(a: &Alliance) -> Config {
    Config::load(&a.config(a.org("host"), None)).unwrap()
}

/// Writes `n` check-ins for `home` into the (stopped) host's outbox: signing is not part of
/// what the exchange measurement times.
async fn prefill(app: &Application, home: &tongxin_schema::OrgId, n: usize) {
    let node = app.node();
    let chunk = 2000;
    let mut written = 0;
    while written < n {
        let (s, h) = (node.clone(), home.clone());
        let from = written as u64;
        let count = chunk.min(n - written);
        node.store
            .write(move |c| {
                for i in 0..count as u64 {
                    tongxin_node::store::outbox::enqueue(
                        c,
                        &s.signer,
                        s.clock.now_ms(),
                        Audience::Org(h.clone()),
                        checkin(&h, &s.cfg.org_id, from + i),
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        written += count;
    }
}

async fn applied(home: &RunningNode, host: &tongxin_schema::OrgId) -> i64 {
    let stream = format!("org.{}", home.org_id);
    stream_state(home, host, &stream)
        .await
        .map_or(0, |(last, _)| last)
}

async fn wait_applied(home: &RunningNode, host: &tongxin_schema::OrgId, target: i64) {
    let deadline = Instant::now() + Duration::from_secs(900);
    while applied(home, host).await < target {
        assert!(Instant::now() < deadline, "the receiver did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Messages/s from the moment the host starts with `n` messages in its outbox until `home`
/// has committed the last one (the host's broker connection is inside the timing).
async fn end_to_end(a: &Alliance, home: &RunningNode, n: usize) -> f64 {
    let app = Application::build(host_config(a)).unwrap();
    prefill(&app, &home.org_id, n).await;
    let host_id = a.org("host").id.clone();
    let target = applied(home, &host_id).await + n as i64;
    let start = Instant::now();
    let host = start_app(host_id.clone(), app).await;
    wait_applied(home, &host_id, target).await;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    host.stop().await;
    rate
}

/// Publish-to-committed latency at a fixed offered rate: every millisecond, the messages due
/// by then are written to the outbox in one transaction (as concurrent API calls would be);
/// each message's latency runs from its scheduled time to the receiver's commit.
async fn latency(
    host: &RunningNode,
    home: &RunningNode,
    rate: u32,
    n: usize,
) -> (f64, f64, f64, f64) {
    let stream = format!("org.{}", home.org_id);
    let first = applied(home, &host.org_id).await + 1;
    let start_ms = tongxin_node::clock::Clock::system().now_ms();
    let scheduled = |i: usize| start_ms + (i as f64 * 1000.0 / f64::from(rate)) as i64;
    let written: Vec<i64> = (0..n).map(scheduled).collect();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut done = 0;
    while done < n {
        tick.tick().await;
        let now = tongxin_node::clock::Clock::system().now_ms();
        let due = written.partition_point(|&t| t <= now);
        if due == done {
            continue;
        }
        let (s, h) = (host.node.clone(), home.org_id.clone());
        let from = done;
        host.node
            .store
            .write(move |c| {
                for i in from..due {
                    tongxin_node::store::outbox::enqueue(
                        c,
                        &s.signer,
                        s.clock.now_ms(),
                        Audience::Org(h.clone()),
                        checkin(&h, &s.cfg.org_id, i as u64),
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        host.node.outbox_ready.notify_one();
        done = due;
    }
    let finished = tongxin_node::clock::Clock::system().now_ms();
    // What was really offered: the writer can fall behind `rate`.
    let offered = n as f64 / ((finished - start_ms).max(1) as f64 / 1000.0);
    let last = first + n as i64 - 1;
    wait_applied(home, &host.org_id, last).await;
    let (iss, st) = (host.org_id.to_string(), stream.clone());
    let times = home
        .node
        .store
        .read(move |c| tongxin_node::store::inbound::applied_times(c, &iss, &st))
        .await
        .unwrap();
    let mut lat: Vec<f64> = times
        .into_iter()
        .filter(|(seq, _)| (first..=last).contains(seq))
        .map(|(seq, applied)| (applied - written[(seq - first) as usize]) as f64)
        .collect();
    lat.sort_by(f64::total_cmp);
    let pick = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    (offered, pick(0.5), pick(0.99), lat[lat.len() - 1])
}

/// A receiver offline while `m` messages wait in its queue, then started: messages/s until
/// it has committed the last one. Also the rate of the sender's relay alone, filling the queue.
async fn catch_up(a: &Alliance, m: usize) -> (f64, f64) {
    let home = a.start("home", None).await;
    let host_id = a.org("host").id.clone();
    let target = applied(&home, &host_id).await + m as i64;
    home.stop().await;
    let app = Application::build(host_config(a)).unwrap();
    prefill(&app, &a.org("home").id, m).await;
    // The relay alone (nobody consuming): from the start until the outbox is confirmed.
    let relay_started = Instant::now();
    let host = start_app(host_id.clone(), app).await;
    let deadline = Instant::now() + Duration::from_secs(900);
    while host
        .node
        .store
        .read(tongxin_node::store::outbox::depth)
        .await
        .unwrap()
        > 0
    {
        assert!(Instant::now() < deadline, "the relay did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let relay = m as f64 / relay_started.elapsed().as_secs_f64();
    let queue = format!("node.{}", a.org("home").id);
    while queue_messages(&a.vhost, &queue) < m as i64 {
        assert!(
            Instant::now() < deadline,
            "the messages did not reach the queue"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    host.stop().await;
    let start = Instant::now();
    let home = a.start("home", None).await;
    wait_applied(&home, &host_id, target).await;
    let rate = m as f64 / start.elapsed().as_secs_f64();
    home.stop().await;
    (rate, relay)
}

/// Raw Ed25519 verify through OpenSSL of the same signing input, per second.
fn raw_verify_rate(key: &openssl::pkey::PKey<openssl::pkey::Private>, jws: &str) -> f64 {
    use openssl::sign::{Signer, Verifier};
    let (signed, _) = jws.rsplit_once('.').unwrap();
    let sig = Signer::new_without_digest(key)
        .unwrap()
        .sign_oneshot_to_vec(signed.as_bytes())
        .unwrap();
    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        let mut v = Verifier::new_without_digest(key).unwrap();
        assert!(v.verify_oneshot(&sig, signed.as_bytes()).unwrap());
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One receiving setup: a label, and its node.
struct Receiver {
    label: &'static str,
    node: RunningNode,
    rates: Vec<f64>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--messages", 20_000);
    let runs = arg(&args, "--runs", 3).max(1);
    let catch_up_n = arg(&args, "--catch-up", 100_000);
    let mut a = Alliance::new(&[
        ("host", OrgKind::Community, "友谊南里社区大党委", None),
        ("home", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("relaxed", OrgKind::CoBuildingUnit, "区税务局机关党委", None),
        ("pg", OrgKind::CoBuildingUnit, "区卫健委机关党委", None),
    ]);
    // The check-ins name members nobody signed up: received and kept, as before the node acted
    // on them, so the figures stay comparable across versions.
    a.defer_kinds = vec!["checkin.attested"];
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
            checkin(&home_id, &host.id, 0),
        ))
        .unwrap();
    let prefetch = 256;

    let pg_url = a.postgres_db();
    let relaxed = {
        let org = a.org("relaxed");
        let mut cfg = Config::load(&a.config(org, None)).unwrap();
        cfg.database.sqlite_synchronous = "normal".into();
        start_node(org.id.clone(), cfg).await
    };
    let mut receivers = vec![
        Receiver {
            label: "SQLite synchronous=FULL",
            node: a.start("home", None).await,
            rates: vec![],
        },
        Receiver {
            label: "SQLite synchronous=NORMAL",
            node: relaxed,
            rates: vec![],
        },
        Receiver {
            label: "PostgreSQL (synchronous_commit=on)",
            node: a.start("pg", Some(&pg_url)).await,
            rates: vec![],
        },
    ];
    for r in &receivers {
        eventually(20, "ready", || async { r.node.ready().await.then_some(()) }).await;
    }

    let (mut raw_each, mut raw_batch) = (vec![], vec![]);
    for run in 1..=runs {
        raw_each.push(raw(&a.vhost, &user, &pw, sample.as_bytes(), n, prefetch, 1).await);
        raw_batch.push(raw(&a.vhost, &user, &pw, sample.as_bytes(), n, prefetch, 50).await);
        for r in &mut receivers {
            r.rates.push(end_to_end(&a, &r.node, n).await);
        }
        eprintln!(
            "run {run}/{runs}: raw each {:.0}, raw batch {:.0}, {}",
            raw_each[run - 1],
            raw_batch[run - 1],
            receivers
                .iter()
                .map(|r| format!("{} {:.0}", r.label, r.rates[run - 1]))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let ceiling = median(&raw_batch);

    // Latency, with the host running and the FULL receiver.
    let full_rate = median(&receivers[0].rates);
    let host_node = a.start("host", None).await;
    let home = &receivers[0].node;
    let mut lat = Vec::new();
    let mut rates: Vec<(String, u32)> = [0.2, 0.8]
        .iter()
        .map(|share| {
            (
                format!("{:.0}% of max", share * 100.0),
                ((full_rate * share) as u32).max(1),
            )
        })
        .collect();
    rates.extend([("target".to_owned(), 2_000), ("target".to_owned(), 10_000)]);
    for (what, rate) in rates {
        let count = (rate as usize * 5).clamp(100, n);
        lat.push((what, rate, latency(&host_node, home, rate, count).await));
    }
    host_node.stop().await;

    // Crypto inside the pipeline: the FULL receiver's verify time over everything it took in.
    let (verify_secs, verified) = home.node.metrics.summary("tongxin_verify_seconds");
    let (commit_secs, committed) = home.node.metrics.summary("tongxin_inbox_commit_seconds");
    let pipeline_verify = verified as f64 / verify_secs;
    let duplicates = home
        .node
        .metrics
        .get("tongxin_messages_duplicate_total", "");
    let raw_verify = raw_verify_rate(&a.org("host").key, &sample);

    let results: Vec<(&'static str, Vec<f64>)> = receivers
        .iter()
        .map(|r| (r.label, r.rates.clone()))
        .collect();
    // Done with them: the catch-up gets the machine to itself.
    for r in receivers {
        r.node.stop().await;
    }
    let (catch, relay_alone) = catch_up(&a, catch_up_n).await;

    println!(
        "messages: {n} × {} bytes (checkin.attested, compact JWS), quorum queue, prefetch {prefetch}; median of {runs} runs",
        sample.len()
    );
    println!("{:<72} {:>10} {:>8}", "path", "msg/s", "ratio");
    let row = |label: &str, v: f64| println!("{label:<72} {v:>10.0} {:>8.2}", v / ceiling);
    row(
        "raw lapin publish+confirm, consume, ack each",
        median(&raw_each),
    );
    row(
        "raw lapin publish+confirm, consume, ack per 50 (ceiling)",
        ceiling,
    );
    let mut json_rates = vec![];
    for (label, rates) in &results {
        let m = median(rates);
        // The ratio of each run to its own run's ceiling, then the median of those.
        let ratio = median(
            &rates
                .iter()
                .zip(&raw_batch)
                .map(|(r, c)| r / c)
                .collect::<Vec<_>>(),
        );
        println!(
            "{:<72} {m:>10.0} {ratio:>8.2}",
            format!("tongxin relay → verify → {label} commit → ack")
        );
        json_rates.push(format!(
            "\"{}\":{{\"median\":{m:.0},\"ratio\":{ratio:.3},\"runs\":{:?}}}",
            label.split_whitespace().collect::<Vec<_>>().join("_"),
            rates.iter().map(|r| r.round() as i64).collect::<Vec<_>>()
        ));
    }
    let relaxed_rate = median(&results[1].1);
    println!(
        "durability: synchronous=FULL costs {:.1}% of the NORMAL throughput",
        100.0 * (1.0 - full_rate / relaxed_rate)
    );
    for (what, rate, (offered, p50, p99, max)) in &lat {
        println!(
            "latency at {rate} msg/s asked ({what}; {offered:.0} msg/s offered): p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms"
        );
    }
    println!(
        "crypto: verify inside the pipeline {pipeline_verify:.0}/s per core ({:.0} µs each, {:.0}% of the receiver's verify+commit time); raw Ed25519 verify (OpenSSL, same bytes) {raw_verify:.0}/s; ratio {:.2}",
        1e6 / pipeline_verify,
        100.0 * verify_secs / (verify_secs + commit_secs),
        pipeline_verify / raw_verify
    );
    println!(
        "commit: {:.0} µs per message inside the receiver's write transaction (apply + commit); \
         {duplicates} deliveries were duplicates (re-sent without need)",
        1e6 * commit_secs / committed as f64
    );
    println!(
        "catch-up: {catch_up_n} messages waiting, receiver started: {catch:.0} msg/s = {:.2}× steady state ({full_rate:.0} msg/s)",
        catch / full_rate
    );
    println!(
        "each side alone: the sender's relay filled the queue at {relay_alone:.0} msg/s ({:.2}× ceiling); the receiver took it in at {catch:.0} msg/s ({:.2}×)",
        relay_alone / ceiling,
        catch / ceiling
    );
    println!(
        "{{\"messages\":{n},\"runs\":{runs},\"bytes\":{},\"raw_ack_each\":{:.0},\"raw_ack_batch\":{ceiling:.0},{},\"pipeline_verify_per_s\":{pipeline_verify:.0},\"raw_verify_per_s\":{raw_verify:.0},\"catch_up\":{catch:.0},\"relay_alone\":{relay_alone:.0},\"catch_up_ratio\":{:.3},\"latency\":[{}]}}",
        sample.len(),
        median(&raw_each),
        json_rates.join(","),
        catch / full_rate,
        lat.iter()
            .map(|(_, r, (offered, p50, p99, max))| format!(
                "{{\"rate\":{r},\"offered\":{offered:.0},\"p50_ms\":{p50:.0},\"p99_ms\":{p99:.0},\"max_ms\":{max:.0}}}"
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
}
