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
use tongxin_schema::v1::Body;
use tongxin_schema::v1::bodies::{CheckinAttested, OfferPublished};
use tongxin_schema::v1::taxonomy::OfferCategory;
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
use tongxin_schema::v1::text::Text;
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

fn offer(i: u64) -> OfferPublished {
    OfferPublished {
        offer_id: uuid::Uuid::now_v7(),
        title: Text::new(format!("法律咨询 第 {i} 号")).unwrap(),
        description: Text::new(format!(
            "工作日 9:00–17:00 可预约，律师事务所党支部提供第 {i} 号法律咨询，每次一小时。"
        ))
        .unwrap(),
        category: OfferCategory::Service,
        capacity: 1 + (i % 50) as u32,
        unit: None,
        skills: vec![],
        station: None,
        grids: vec![],
        available_until: None,
    }
}

/// What the measured messages are, and what they do at the receiver.
#[derive(Clone, Copy, PartialEq)]
enum Load {
    /// `checkin.attested` to one organisation, naming members it does not know: kept for later
    /// (deferred), as a node keeps what it cannot act on yet. Verification and bookkeeping,
    /// no domain write; comparable with the figures of earlier rounds.
    Checkin,
    /// `offer.published` to the whole alliance: verified, and the offer written to the
    /// receiver's listings (a domain write, what a user's message costs).
    Offer,
}

impl Load {
    fn kind(self) -> &'static str {
        match self {
            Load::Checkin => "checkin.attested",
            Load::Offer => "offer.published",
        }
    }

    fn message(
        self,
        host: &tongxin_schema::OrgId,
        home: &tongxin_schema::OrgId,
        i: u64,
    ) -> (Audience, Body) {
        match self {
            Load::Checkin => (Audience::Org(home.clone()), checkin(home, host, i).into()),
            Load::Offer => (Audience::All, offer(i).into()),
        }
    }

    /// The sender's stream the messages go on, as the receiver names it.
    fn stream(self, home: &tongxin_schema::OrgId) -> String {
        match self {
            Load::Checkin => format!("org.{home}"),
            Load::Offer => "all".to_owned(),
        }
    }
}

/// What a receiving node has done with everything it took in so far.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    received: i64,
    effects: i64,
    deferred: i64,
    rejected: i64,
    duplicates: u64,
}

async fn tally(node: &RunningNode, load: Load) -> Tally {
    use tongxin_node::store::inbound as q;
    let kind = load.kind();
    let (received, effects, deferred, rejected) = node
        .node
        .store
        .read(move |c| {
            let pick = |v: Vec<(String, i64)>| {
                v.into_iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| n)
            };
            Ok((
                q::received_count(c)?,
                pick(q::effects(c)?),
                pick(q::deferred_counts(c)?),
                q::rejected_count(c)?,
            ))
        })
        .await
        .unwrap();
    Tally {
        received,
        effects,
        deferred,
        rejected,
        duplicates: node
            .node
            .metrics
            .get("tongxin_messages_duplicate_total", ""),
    }
}

/// Exactly `n` more messages taken in, each with its one effect (or kept, for a deferred
/// kind), nothing refused, nothing delivered twice: or the run fails.
fn complete(what: &str, load: Load, before: Tally, after: Tally, n: usize) {
    let n = n as i64;
    let (effects, deferred) = match load {
        Load::Checkin => (0, n),
        Load::Offer => (n, 0),
    };
    let got = (
        after.received - before.received,
        after.effects - before.effects,
        after.deferred - before.deferred,
        after.rejected - before.rejected,
        after.duplicates - before.duplicates,
    );
    assert_eq!(
        got,
        (n, effects, deferred, 0, 0),
        "{what}: (received, applied, kept, refused, duplicates) differ from what was sent"
    );
}

/// The raw broker path, as fast as a client can make it (RabbitMQ's and lapin's guidance):
/// publishing and consuming on separate connections, a sliding window of unconfirmed publishes
/// rather than stop-and-wait, the consumer acking each message or once per `ack_every`.
struct Raw {
    vhost: String,
    user: String,
    password: String,
    payload: Vec<u8>,
    /// Unconfirmed publishes allowed in flight.
    window: usize,
    prefetch: u16,
}

/// Whether the raw path's messages are consumed while they are published, or only once all
/// are in the queue (the receiver alone).
#[derive(Clone, Copy, PartialEq)]
enum RawMode {
    Exchange,
    ConsumeOnly,
}

impl Raw {
    async fn connect(&self) -> lapin::Connection {
        connect_as(&self.vhost, &self.user, &self.password)
            .await
            .unwrap()
    }

    async fn queue(&self, conn: &lapin::Connection) -> String {
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
        let _ = ch.close(200, "declared".into()).await;
        q
    }

    /// Publishes message `i` of `n` when `due(i)` has passed (`None`: at once), keeping at
    /// most `window` unconfirmed; returns when every confirm has arrived.
    async fn publish(
        ch: lapin::Channel,
        q: String,
        payload: Vec<u8>,
        n: usize,
        window: usize,
        due: Option<(Instant, f64)>,
    ) {
        let mut pending = std::collections::VecDeque::with_capacity(window);
        for i in 0..n {
            if let Some((start, rate)) = due {
                let at = start + Duration::from_secs_f64(i as f64 / rate);
                if at > Instant::now() {
                    tokio::time::sleep_until(at.into()).await;
                }
            }
            if pending.len() >= window {
                let p: lapin::PublisherConfirm = pending.pop_front().unwrap();
                p.await.unwrap();
            }
            let props = lapin::BasicProperties::default()
                .with_message_id(i.to_string().into())
                .with_delivery_mode(2);
            pending.push_back(
                ch.basic_publish(
                    "".into(),
                    q.as_str().into(),
                    BasicPublishOptions::default(),
                    &payload,
                    props,
                )
                .await
                .unwrap(),
            );
        }
        for p in pending {
            p.await.unwrap();
        }
        let _ = ch.close(200, "done".into()).await;
    }

    /// Consumes `n` messages, acking each or per `ack_every`; returns the instant each message
    /// arrived, by its index.
    async fn consume(
        &self,
        conn: &lapin::Connection,
        q: &str,
        n: usize,
        ack_every: usize,
    ) -> Vec<Instant> {
        let ch = conn.create_channel().await.unwrap();
        ch.basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .unwrap();
        let mut consumer = ch
            .basic_consume(
                q.into(),
                "bench".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let mut arrived = vec![Instant::now(); n];
        let mut got = 0;
        while got < n {
            let d = consumer.next().await.unwrap().unwrap();
            let i: usize = d
                .properties
                .message_id()
                .as_ref()
                .and_then(|m| m.as_str().parse().ok())
                .unwrap();
            arrived[i] = Instant::now();
            got += 1;
            if got % ack_every == 0 || got == n {
                d.ack(BasicAckOptions {
                    multiple: ack_every > 1,
                })
                .await
                .unwrap();
            }
        }
        let _ = ch.close(200, "done".into()).await;
        arrived
    }

    /// A channel of `conn` in confirm mode.
    async fn confirming(conn: &lapin::Connection) -> lapin::Channel {
        let ch = conn.create_channel().await.unwrap();
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        ch
    }

    /// Messages/s for `n` messages.
    async fn rate(&self, n: usize, ack_every: usize, mode: RawMode) -> f64 {
        let (pub_conn, cons_conn) = (self.connect().await, self.connect().await);
        let q = self.queue(&pub_conn).await;
        let ch = Raw::confirming(&pub_conn).await;
        let publish = |ch| Raw::publish(ch, q.clone(), self.payload.clone(), n, self.window, None);
        let rate = match mode {
            RawMode::Exchange => {
                let start = Instant::now();
                let publisher = tokio::spawn(publish(ch.clone()));
                self.consume(&cons_conn, &q, n, ack_every).await;
                let rate = n as f64 / start.elapsed().as_secs_f64();
                publisher.await.unwrap();
                rate
            }
            RawMode::ConsumeOnly => {
                publish(ch.clone()).await;
                let start = Instant::now();
                self.consume(&cons_conn, &q, n, ack_every).await;
                n as f64 / start.elapsed().as_secs_f64()
            }
        };
        self.done(pub_conn, cons_conn, &q).await;
        rate
    }

    /// Publish-to-consumed latency at `rate` messages/s offered: (p50, p99, max) in ms.
    async fn latency(&self, rate: f64, n: usize) -> (f64, f64, f64) {
        let (pub_conn, cons_conn) = (self.connect().await, self.connect().await);
        let q = self.queue(&pub_conn).await;
        let start = Instant::now() + Duration::from_millis(20);
        let publisher = tokio::spawn(Raw::publish(
            Raw::confirming(&pub_conn).await,
            q.clone(),
            self.payload.clone(),
            n,
            self.window,
            Some((start, rate)),
        ));
        let arrived = self.consume(&cons_conn, &q, n, 1).await;
        publisher.await.unwrap();
        self.done(pub_conn, cons_conn, &q).await;
        let lat: Vec<f64> = arrived
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                t.saturating_duration_since(due).as_secs_f64() * 1000.0
            })
            .collect();
        percentiles(lat)
    }

    async fn done(&self, pub_conn: lapin::Connection, cons_conn: lapin::Connection, q: &str) {
        let ch = pub_conn.create_channel().await.unwrap();
        ch.queue_delete(q.into(), QueueDeleteOptions::default())
            .await
            .unwrap();
        let _ = pub_conn.close(200, "done".into()).await;
        let _ = cons_conn.close(200, "done".into()).await;
    }
}

/// (p50, p99, max) of latencies in ms.
fn percentiles(mut lat: Vec<f64>) -> (f64, f64, f64) {
    lat.sort_by(f64::total_cmp);
    let pick = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    (pick(0.5), pick(0.99), lat[lat.len() - 1])
}

/// The host's configuration, for building it again between runs.
fn host_config(a: &Alliance) -> Config {
    Config::load(&a.config(a.org("host"), None)).unwrap()
}

/// Writes `n` messages for `home` into the (stopped) host's outbox: signing is not part of
/// what the exchange measurement times.
async fn prefill(app: &Application, load: Load, home: &tongxin_schema::OrgId, n: usize) {
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
                    let (aud, body) = load.message(&s.cfg.org_id, &h, from + i);
                    tongxin_node::store::outbox::enqueue(
                        c,
                        &s.signer,
                        s.clock.now_ms(),
                        aud,
                        body,
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        written += count;
    }
}

/// The last sequence number `home` applied of the host's stream.
async fn applied(home: &RunningNode, host: &tongxin_schema::OrgId, load: Load) -> i64 {
    stream_state(home, host, &load.stream(&home.org_id))
        .await
        .map_or(0, |(last, _)| last)
}

async fn wait_applied(home: &RunningNode, host: &tongxin_schema::OrgId, load: Load, target: i64) {
    let deadline = Instant::now() + Duration::from_secs(900);
    while applied(home, host, load).await < target {
        assert!(Instant::now() < deadline, "the receiver did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Messages/s from the moment the host starts with `n` messages in its outbox until `home`
/// has committed the last one (the host's broker connection is inside the timing).
async fn end_to_end(a: &Alliance, load: Load, home: &RunningNode, n: usize) -> f64 {
    let app = Application::build(host_config(a)).unwrap();
    prefill(&app, load, &home.org_id, n).await;
    let host_id = a.org("host").id.clone();
    let before = tally(home, load).await;
    let target = applied(home, &host_id, load).await + n as i64;
    let start = Instant::now();
    let host = start_app_unattended(host_id.clone(), app).await;
    wait_applied(home, &host_id, load, target).await;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    host.stop().await;
    complete("end to end", load, before, tally(home, load).await, n);
    rate
}

/// Publish-to-committed latency at a fixed offered rate: every millisecond, the messages due
/// by then are written to the outbox in one transaction (as concurrent API calls would be);
/// each message's latency runs from its scheduled time to the receiver's commit. Returns the
/// rate really offered and (p50, p99, max) in ms.
async fn latency(
    host: &RunningNode,
    home: &RunningNode,
    load: Load,
    rate: u32,
    n: usize,
) -> (f64, (f64, f64, f64)) {
    let stream = load.stream(&home.org_id);
    let before = tally(home, load).await;
    let first = applied(home, &host.org_id, load).await + 1;
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
                    let (aud, body) = load.message(&s.cfg.org_id, &h, i as u64);
                    tongxin_node::store::outbox::enqueue(
                        c,
                        &s.signer,
                        s.clock.now_ms(),
                        aud,
                        body,
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
    wait_applied(home, &host.org_id, load, last).await;
    complete("latency", load, before, tally(home, load).await, n);
    let (iss, st) = (host.org_id.to_string(), stream.clone());
    let times = home
        .node
        .store
        .read(move |c| tongxin_node::store::inbound::applied_times(c, &iss, &st))
        .await
        .unwrap();
    let lat: Vec<f64> = times
        .into_iter()
        .filter(|(seq, _)| (first..=last).contains(seq))
        .map(|(seq, applied)| (applied - written[(seq - first) as usize]) as f64)
        .collect();
    assert_eq!(lat.len(), n, "latency: every message has its commit time");
    type Row = (i64, i64, Option<i64>);
    // Where the time goes: in the sender's outbox (written, then marked sent once confirmed).
    let sent: Vec<Row> = host
        .node
        .store
        .read(move |c| {
            use diesel::prelude::*;
            use tongxin_node::store::schema::outbox;
            Ok(outbox::table
                .filter(
                    outbox::stream
                        .eq(stream)
                        .and(outbox::seq.between(first, last)),
                )
                .select((outbox::seq, outbox::created_ms, outbox::sent_ms))
                .load(c)?)
        })
        .await
        .unwrap();
    // (seq, created, sent) of each: ms after its scheduled time, into percentiles.
    let stage = |at: fn(&Row) -> Option<i64>| {
        percentiles(
            sent.iter()
                .filter_map(|r| Some((at(r)? - written[(r.0 - first) as usize]) as f64))
                .collect(),
        )
    };
    let (w, c) = (stage(|r| Some(r.1)), stage(|r| r.2));
    eprintln!(
        "  {} at {rate}/s: in the outbox p50 {:.0} / p99 {:.0} ms, confirmed and marked sent p50 {:.0} / p99 {:.0} ms after scheduled",
        load.kind(),
        w.0,
        w.1,
        c.0,
        c.1
    );
    (offered, percentiles(lat))
}

/// A receiver offline while `m` messages wait in its queue, then started: messages/s until
/// it has committed the last one. Also the rate of the sender's relay alone, filling the queue.
async fn catch_up(a: &Alliance, m: usize) -> (f64, f64) {
    let load = Load::Checkin;
    let home = a.start("home", None).await;
    let host_id = a.org("host").id.clone();
    let before = tally(&home, load).await;
    let target = applied(&home, &host_id, load).await + m as i64;
    home.stop().await;
    let app = Application::build(host_config(a)).unwrap();
    prefill(&app, load, &a.org("home").id, m).await;
    // The relay alone (nobody consuming): from the start until the outbox is confirmed.
    let relay_started = Instant::now();
    let host = start_app_unattended(host_id.clone(), app).await;
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
    // The clock starts once the node is built (its database opened and migrated), as it
    // starts for the raw consumer once connected.
    let app = Application::build(Config::load(&a.config(a.org("home"), None)).unwrap()).unwrap();
    let start = Instant::now();
    let home = start_app_unattended(a.org("home").id.clone(), app).await;
    wait_applied(&home, &host_id, load, target).await;
    let rate = m as f64 / start.elapsed().as_secs_f64();
    // The restarted node's tally starts from the database; duplicates from its own metrics.
    let mut after = tally(&home, load).await;
    after.duplicates += before.duplicates;
    complete("catch-up", load, before, after, m);
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

/// One receiving setup: a label, its alliance (by index), what it is sent, and its node.
struct Receiver {
    label: &'static str,
    alliance: usize,
    load: Load,
    node: RunningNode,
    rates: Vec<f64>,
}

impl Receiver {
    /// The median of each run's ratio to that run's own ceiling.
    fn ratio(&self, ceilings: &[f64]) -> f64 {
        median(
            &self
                .rates
                .iter()
                .zip(ceilings)
                .map(|(r, c)| r / c)
                .collect::<Vec<_>>(),
        )
    }
}

/// The raw path's window of unconfirmed publishes and its consumer prefetch: the fastest pair
/// `bench --tune` found on this machine (BENCHMARKS.md gives the sweep).
const RAW_WINDOW: usize = 1024;
const RAW_PREFETCH: u16 = 1000;
/// The raw consumer's batch ack, and the latency runs' offered rate target.
const ACK_BATCH: usize = 50;
const TARGET_RATE: u32 = 2_000;

fn alliance(kind_name: &str, extra: bool) -> Alliance {
    let mut orgs = vec![
        ("host", OrgKind::Community, "友谊南里社区大党委", None),
        ("home", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
    ];
    if extra {
        orgs.push(("relaxed", OrgKind::CoBuildingUnit, "区税务局机关党委", None));
        orgs.push(("pg", OrgKind::CoBuildingUnit, "区卫健委机关党委", None));
    }
    let mut a = Alliance::new(&orgs);
    if kind_name == "checkin.attested" {
        // Check-ins naming members nobody signed up: kept, as before the node acted on them,
        // so the figures stay comparable across rounds.
        a.defer_kinds = vec!["checkin.attested"];
    }
    a
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let n = arg(&args, "--messages", 20_000);
    let runs = arg(&args, "--runs", 3).max(1);
    let catch_up_n = arg(&args, "--catch-up", 100_000);
    // Only the SQLite FULL receivers and the 2,000 msg/s latency: a lever's effect, quickly.
    let quick = flag("--quick");
    let mut alliances = [
        alliance("checkin.attested", !quick),
        alliance("offer.published", false),
    ];
    let (user, pw) = alliances[0].outsider();
    tongxin_tests::rabbitmqctl(&[
        "set_permissions",
        "-p",
        &alliances[0].vhost,
        &user,
        "^bench\\..*",
        "^(amq\\.default|bench\\..*)$",
        "^bench\\..*",
    ]);
    let sample = {
        let a = &alliances[0];
        let host = a.org("host");
        let signer = tongxin_schema::Signer::new(&host.key, &host.cert).unwrap();
        let home_id = a.org("home").id.clone();
        let (aud, body) = Load::Checkin.message(&host.id, &home_id, 0);
        signer
            .sign(&Message::new(host.id.clone(), aud, 1, now(), body))
            .unwrap()
    };
    let mut raw = Raw {
        vhost: alliances[0].vhost.clone(),
        user,
        password: pw,
        payload: sample.as_bytes().to_vec(),
        window: arg(&args, "--window", RAW_WINDOW),
        prefetch: arg(&args, "--prefetch", usize::from(RAW_PREFETCH)) as u16,
    };

    if flag("--tune") {
        // The raw path's window and prefetch: each pair twice, ack per batch.
        println!("window prefetch  msg/s (ack per {ACK_BATCH}, {n} messages, two runs)");
        for window in [64, 256, 1024, 4096] {
            for prefetch in [256, 1000, 2500] {
                raw.window = window;
                raw.prefetch = prefetch;
                let r1 = raw.rate(n, ACK_BATCH, RawMode::Exchange).await;
                let r2 = raw.rate(n, ACK_BATCH, RawMode::Exchange).await;
                println!("{window:>6} {prefetch:>8}  {r1:>7.0} {r2:>7.0}");
            }
        }
        return;
    }

    let pg_url = if quick {
        None
    } else {
        Some(alliances[0].postgres_db())
    };
    let mut receivers = vec![Receiver {
        label: "checkin.attested (kept), SQLite synchronous=FULL",
        alliance: 0,
        load: Load::Checkin,
        node: alliances[0].start("home", None).await,
        rates: vec![],
    }];
    if let Some(pg_url) = &pg_url {
        let relaxed = {
            let a = &alliances[0];
            let org = a.org("relaxed");
            let mut cfg = Config::load(&a.config(org, None)).unwrap();
            cfg.database.sqlite_synchronous = "normal".into();
            start_node(org.id.clone(), cfg).await
        };
        receivers.push(Receiver {
            label: "checkin.attested (kept), SQLite synchronous=NORMAL",
            alliance: 0,
            load: Load::Checkin,
            node: relaxed,
            rates: vec![],
        });
        receivers.push(Receiver {
            label: "checkin.attested (kept), PostgreSQL synchronous_commit=on",
            alliance: 0,
            load: Load::Checkin,
            node: alliances[0].start("pg", Some(pg_url)).await,
            rates: vec![],
        });
    }
    receivers.push(Receiver {
        label: "offer.published (applied), SQLite synchronous=FULL",
        alliance: 1,
        load: Load::Offer,
        node: alliances[1].start("home", None).await,
        rates: vec![],
    });
    for r in &receivers {
        eventually(20, "ready", || async { r.node.ready().await.then_some(()) }).await;
    }

    let (mut raw_each, mut raw_batch, mut raw_consume) = (vec![], vec![], vec![]);
    for run in 1..=runs {
        raw_each.push(raw.rate(n, 1, RawMode::Exchange).await);
        raw_batch.push(raw.rate(n, ACK_BATCH, RawMode::Exchange).await);
        raw_consume.push(raw.rate(n, ACK_BATCH, RawMode::ConsumeOnly).await);
        for r in &mut receivers {
            r.rates
                .push(end_to_end(&alliances[r.alliance], r.load, &r.node, n).await);
        }
        eprintln!(
            "run {run}/{runs}: raw each {:.0}, raw batch {:.0}, raw consume-only {:.0}, {}",
            raw_each[run - 1],
            raw_batch[run - 1],
            raw_consume[run - 1],
            receivers
                .iter()
                .map(|r| format!("{} {:.0}", r.label, r.rates[run - 1]))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let ceiling = median(&raw_batch);

    // Latency: the raw path paced like the node, then each FULL receiver's load, at the target
    // rate and (not in a quick run) at 80% of that load's measured maximum.
    let mut lat = Vec::new();
    for r in receivers.iter().filter(|r| r.label.contains("FULL")) {
        let mut rates = vec![("target", TARGET_RATE)];
        if !quick {
            rates.push(("80% of max", (median(&r.rates) * 0.8) as u32));
        }
        let a = &alliances[r.alliance];
        let host = a.start("host", None).await;
        for (what, rate) in rates {
            let count = (rate as usize * 5).clamp(100, n);
            let raw_lat = raw.latency(f64::from(rate), count).await;
            let (offered, ours) = latency(&host, &r.node, r.load, rate, count).await;
            lat.push((r.load.kind(), what, rate, offered, raw_lat, ours));
        }
        host.stop().await;
    }

    // Crypto inside the pipeline: the FULL receiver's verify time over everything it took in.
    let home = &receivers[0].node;
    let (verify_secs, verified) = home.node.metrics.summary("tongxin_verify_seconds");
    let (commit_secs, committed) = home.node.metrics.summary("tongxin_inbox_commit_seconds");
    let pipeline_verify = verified as f64 / verify_secs;
    let raw_verify = raw_verify_rate(&alliances[0].org("host").key, &sample);

    let results: Vec<(&'static str, f64, f64, Vec<f64>)> = receivers
        .iter()
        .map(|r| {
            (
                r.label,
                median(&r.rates),
                r.ratio(&raw_batch),
                r.rates.clone(),
            )
        })
        .collect();
    // Done with them: the catch-up gets the machine to itself.
    for r in receivers {
        r.node.stop().await;
    }
    let consume_ceiling = median(&raw_consume);
    let (catch, relay_alone) = catch_up(&alliances[0], catch_up_n).await;
    // The receiver alone against the broker alone: the consume-only ceiling, just measured
    // again with as many messages as the catch-up took.
    let consume_now = raw.rate(catch_up_n, ACK_BATCH, RawMode::ConsumeOnly).await;

    println!(
        "messages: {n} per run, compact JWS (checkin.attested {} bytes, the raw path's payload), quorum queue; raw path: separate publish and consume connections, {} unconfirmed in flight, prefetch {}; median of {runs} interleaved runs; every run checked complete (each message applied or kept once, none refused, no duplicate)",
        sample.len(),
        raw.window,
        raw.prefetch
    );
    println!("{:<78} {:>10} {:>8}", "path", "msg/s", "ratio");
    let row = |label: &str, v: f64| println!("{label:<78} {v:>10.0} {:>8.2}", v / ceiling);
    row(
        "raw lapin: publish with confirms, consume, ack each",
        median(&raw_each),
    );
    row(
        &format!("raw lapin: publish with confirms, consume, ack per {ACK_BATCH} (ceiling)"),
        ceiling,
    );
    row(
        &format!("raw lapin: consume a full queue, ack per {ACK_BATCH} (consume-only ceiling)"),
        consume_ceiling,
    );
    let mut json_rates = vec![];
    for (label, m, ratio, rates) in &results {
        println!("{:<78} {m:>10.0} {ratio:>8.2}", format!("tongxin {label}"));
        json_rates.push(format!(
            "\"{}\":{{\"median\":{m:.0},\"ratio\":{ratio:.3},\"runs\":{:?}}}",
            label.replace([' ', ',', '(', ')', '='], "_"),
            rates.iter().map(|r| r.round() as i64).collect::<Vec<_>>()
        ));
    }
    if let (Some(full), Some(normal)) = (
        results
            .iter()
            .find(|r| r.0.contains("checkin") && r.0.contains("FULL")),
        results.iter().find(|r| r.0.contains("NORMAL")),
    ) {
        // Per run, FULL against NORMAL measured next to each other.
        let costs: Vec<f64> = full
            .3
            .iter()
            .zip(&normal.3)
            .map(|(f, nm)| 100.0 * (1.0 - f / nm))
            .collect();
        println!(
            "durability: synchronous=FULL costs {:.1}% of the NORMAL throughput (median; per run {:?})",
            median(&costs),
            costs
                .iter()
                .map(|c| (c * 10.0).round() / 10.0)
                .collect::<Vec<_>>()
        );
    }
    for (kind, what, rate, offered, (rp50, rp99, rmax), (p50, p99, max)) in &lat {
        println!(
            "latency {kind} at {rate} msg/s ({what}; {offered:.0} offered): tongxin p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms; raw p50 {rp50:.1} ms, p99 {rp99:.1} ms, max {rmax:.1} ms"
        );
    }
    println!(
        "crypto: verify inside the pipeline {pipeline_verify:.0}/s per core ({:.0} µs each, {:.0}% of the receiver's verify+commit time); raw Ed25519 verify (OpenSSL, same bytes) {raw_verify:.0}/s; ratio {:.2}",
        1e6 / pipeline_verify,
        100.0 * verify_secs / (verify_secs + commit_secs),
        pipeline_verify / raw_verify
    );
    println!(
        "commit: {:.0} µs per message inside the receiver's write transaction (apply + commit)",
        1e6 * commit_secs / committed as f64
    );
    println!(
        "catch-up: {catch_up_n} messages waiting, receiver started: {catch:.0} msg/s; raw consume-only of as many: {consume_now:.0} msg/s; ratio {:.2}",
        catch / consume_now
    );
    println!(
        "the sender's relay alone filled the queue at {relay_alone:.0} msg/s ({:.2}× ceiling)",
        relay_alone / ceiling
    );
    println!(
        "{{\"messages\":{n},\"runs\":{runs},\"bytes\":{},\"window\":{},\"prefetch\":{},\"raw_ack_each\":{:.0},\"raw_ack_batch\":{ceiling:.0},\"raw_consume_only\":{consume_ceiling:.0},{},\"pipeline_verify_per_s\":{pipeline_verify:.0},\"raw_verify_per_s\":{raw_verify:.0},\"catch_up\":{catch:.0},\"raw_consume_catch_up\":{consume_now:.0},\"relay_alone\":{relay_alone:.0},\"latency\":[{}]}}",
        sample.len(),
        raw.window,
        raw.prefetch,
        median(&raw_each),
        json_rates.join(","),
        lat.iter()
            .map(|(kind, _, r, offered, (rp50, rp99, rmax), (p50, p99, max))| format!(
                "{{\"kind\":\"{kind}\",\"rate\":{r},\"offered\":{offered:.0},\"p50_ms\":{p50:.0},\"p99_ms\":{p99:.0},\"max_ms\":{max:.0},\"raw_p50_ms\":{rp50:.1},\"raw_p99_ms\":{rp99:.1},\"raw_max_ms\":{rmax:.1}}}"
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
}
