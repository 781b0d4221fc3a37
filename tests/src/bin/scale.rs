//! `cargo run --release -p tongxin-tests --bin scale -- [--messages N] [--orgs K] [--listings L] [--db sqlite|postgres|both]`
//!
//! A node at district scale: it holds N stored messages (default 1,000,000) from K
//! organisations (default 500), L of them offers and needs (default 50,000); the rest are
//! check-ins sent to it. Then it runs as its own `tongxin run` process and answers list and
//! filter queries through the HTTP API: p50/p99 per query, its memory (VmRSS) and the database
//! size. SQLite and PostgreSQL.
//!
//! Loading: the messages are signed by their K senders, verified by the node's own verifier
//! and applied through the node's own apply path (`inbound::sequence::apply_batch`), 1,000 to a
//! transaction, as the consumer does, without the broker (whose path `bench` measures):
//! loading a million messages through the broker would take most of the run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::time::{Duration, Instant};

use tongxin_node::app::Application;
use tongxin_node::config::Config;
use tongxin_node::inbound::FollowUp;
use tongxin_node::inbound::Incoming;
use tongxin_node::inbound::sequence::apply_batch;
use tongxin_schema::envelope::{Audience, Message};
use tongxin_schema::v1::bodies::{CheckinAttested, NeedPublished, OfferPublished};
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode, NeedLevel, OfferCategory};
use tongxin_schema::v1::text::Text;
use tongxin_schema::{OrgKind, Signer};
use tongxin_tests::process::{Proc, get, login, process_node_on};
use tongxin_tests::*;

const KINDS: [OrgKind; 5] = [
    OrgKind::Community,
    OrgKind::Street,
    OrgKind::BuildingAlliance,
    OrgKind::NewEmployment,
    OrgKind::CoBuildingUnit,
];
const CATEGORIES: [OfferCategory; 5] = [
    OfferCategory::Venue,
    OfferCategory::Service,
    OfferCategory::VolunteerSkill,
    OfferCategory::Material,
    OfferCategory::Funding,
];
const WORDS: [&str; 8] = [
    "会议室",
    "理发",
    "义诊",
    "雨伞",
    "助餐",
    "家电维修",
    "法律咨询",
    "心理疏导",
];

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn offer(i: usize) -> OfferPublished {
    OfferPublished {
        offer_id: uuid::Uuid::now_v7(),
        title: Text::new(format!("{} {i:06}", WORDS[i % WORDS.len()])).unwrap(),
        description: Text::new(format!(
            "工作日 9:00–17:00 可预约，第 {i} 号资源，{}。",
            WORDS[(i / 8) % WORDS.len()]
        ))
        .unwrap(),
        category: CATEGORIES[i % CATEGORIES.len()],
        capacity: 1 + (i % 50) as u32,
        unit: None,
        skills: vec![],
        station: None,
        grids: vec![],
        available_until: None,
    }
}

fn need(i: usize) -> NeedPublished {
    NeedPublished {
        need_id: uuid::Uuid::now_v7(),
        title: Text::new(format!("需要{} {i:06}", WORDS[i % WORDS.len()])).unwrap(),
        description: Text::new(format!("第 {i} 号需求。")).unwrap(),
        level: NeedLevel::Community,
        grid: None,
        micro_wish: None,
        wanted: Some(CATEGORIES[i % CATEGORIES.len()]),
        skills: vec![],
        quantity: 1 + (i % 10) as u32,
        due: None,
        external_ref: None,
    }
}

fn checkin(
    home: &tongxin_schema::OrgId,
    host: &tongxin_schema::OrgId,
    i: usize,
) -> CheckinAttested {
    let t = now();
    CheckinAttested {
        checkin_id: uuid::Uuid::now_v7(),
        member: member_at(home, host, uuid::Uuid::from_u128(i as u128 % 20_000 + 1)),
        activity_id: None,
        category: ActivityCategory::VolunteerService,
        checked_in_at: t - 7200,
        checked_out_at: t - 3600,
        minutes: 60,
        mode: Mode::Routine,
        corrects: None,
        closed_by_host: false,
    }
}

/// Signs and applies the load through the node's own verify and apply path.
async fn load(a: &Alliance, app: &Application, messages: usize, listings: usize) {
    let node = app.node();
    let home = node.cfg.org_id.clone();
    let senders: Vec<(tongxin_schema::OrgId, Signer)> = a
        .orgs
        .iter()
        .filter(|o| o.id != home)
        .map(|o| (o.id.clone(), Signer::new(&o.key, &o.cert).unwrap()))
        .collect();
    let k = senders.len();
    // Next seq per sender on its `all` stream and on its stream to the node.
    let mut seq_all = vec![0u64; k];
    let mut seq_direct = vec![0u64; k];
    let started = Instant::now();
    let chunk = 1000;
    let mut done = 0;
    while done < messages {
        let n = chunk.min(messages - done);
        let t = now();
        let mut batch = Vec::with_capacity(n);
        for i in done..done + n {
            let s = i % k;
            let (iss, signer) = &senders[s];
            let msg = if i < listings {
                seq_all[s] += 1;
                let body: tongxin_schema::v1::Body = if i % 2 == 0 {
                    offer(i).into()
                } else {
                    need(i).into()
                };
                Message::new(iss.clone(), Audience::All, seq_all[s], t, body)
            } else {
                seq_direct[s] += 1;
                Message::new(
                    iss.clone(),
                    Audience::Org(home.clone()),
                    seq_direct[s],
                    t,
                    checkin(&home, iss, i),
                )
            };
            let jws = signer.sign(&msg).unwrap();
            let verified = node.verifier().verify(&jws, t).unwrap();
            batch.push(Incoming {
                msg: verified,
                routing_key: String::new(),
                user_id: Some(iss.to_string()),
            });
        }
        let n2 = node.clone();
        node.store
            .write(move |c| {
                let mut follow = FollowUp::default();
                apply_batch(&n2, c, &batch, &mut follow).map(|_| ())
            })
            .await
            .unwrap();
        done += n;
        if done % 100_000 == 0 || done == messages {
            eprintln!(
                "  loaded {done} messages ({:.0}/s)",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    // Count what was loaded: every message received once, each listing applied, each
    // check-in kept, nothing refused; a run that lost or refused anything measures nothing.
    let got = node
        .store
        .read(|c| {
            use tongxin_node::store::inbound as q;
            let of = |v: Vec<(String, i64)>, kind: &str| {
                v.into_iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| n)
            };
            let (effects, deferred) = (q::effects(c)?, q::deferred_counts(c)?);
            Ok((
                q::received_count(c)?,
                of(effects.clone(), "offer.published"),
                of(effects, "need.published"),
                of(deferred, "checkin.attested"),
                q::rejected_count(c)?,
            ))
        })
        .await
        .unwrap();
    let listings = listings.min(messages) as i64;
    let expected = (
        messages as i64,
        (listings + 1) / 2,
        listings / 2,
        messages as i64 - listings,
        0,
    );
    assert_eq!(
        got, expected,
        "(received, offers, needs, check-ins kept, refused) differ from what was loaded"
    );
    eprintln!("  complete: {messages} received, {listings} listings applied, nothing refused");
}

fn vm_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap()
        / 1024.0
}

fn db_size_mib(a: &Alliance, url: Option<&str>) -> f64 {
    match url {
        None => {
            let dir = &a.org("home").dir;
            ["tongxin.db", "tongxin.db-wal"]
                .iter()
                .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
                .map(|m| m.len() as f64)
                .sum::<f64>()
                / 1048576.0
        }
        Some(url) => {
            let db = url.rsplit('/').next().unwrap();
            let out = std::process::Command::new("psql")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-w", "-tA", "-c"])
                .arg(format!("SELECT pg_database_size('{db}')"))
                .arg("postgres")
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .unwrap()
                / 1048576.0
        }
    }
}

struct Measured {
    db: &'static str,
    load_s: f64,
    rss_idle_mib: f64,
    rss_after_mib: f64,
    db_mib: f64,
    queries: Vec<(String, f64, f64)>,
}

async fn run(
    label: &'static str,
    orgs: usize,
    messages: usize,
    listings: usize,
    pg: bool,
) -> Measured {
    let mut specs: Vec<(String, OrgKind, String)> = vec![(
        "home".into(),
        OrgKind::Community,
        "友谊南里社区大党委".into(),
    )];
    for i in 0..orgs {
        specs.push((
            format!("org{i:03}"),
            KINDS[i % KINDS.len()],
            format!("成员单位{i:03}"),
        ));
    }
    let spec_refs: Vec<(&str, OrgKind, &str, Option<&str>)> = specs
        .iter()
        .map(|(p, k, n)| (p.as_str(), *k, n.as_str(), None))
        .collect();
    let mut a = Alliance::with_broker_users(&spec_refs, |p| p == "home");
    // The check-ins name members nobody signed up: kept, not acted on (delivery is measured).
    a.defer_kinds = vec!["checkin.attested"];
    let url = pg.then(|| a.postgres_db());
    let home = a.org("home");
    let cfg = Config::load(&a.config(home, url.as_deref())).unwrap();

    eprintln!("{label}: loading {messages} messages from {orgs} organisations");
    let t = Instant::now();
    let app = Application::build(cfg).unwrap();
    load(&a, &app, messages, listings).await;
    let load_s = t.elapsed().as_secs_f64();
    drop(app);

    // Now the node as its own process, as in production.
    let (config, port) = process_node_on(&a, home, url.as_deref());
    let proc = Proc::start(&config, port);
    let http = reqwest::Client::new();
    let token = eventually(60, "the node answers", || async {
        login(&http, port).await
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle_mib = vm_rss_mib(proc.pid());

    let some_org = a.orgs[7].id.to_string();
    let queries: Vec<(String, String)> = vec![
        (
            "offers, first page".into(),
            "/api/v1/offers?limit=50".into(),
        ),
        (
            "offers, page 100".into(),
            "/api/v1/offers?limit=50&offset=4950".into(),
        ),
        (
            "offers by category".into(),
            "/api/v1/offers?category=volunteer-skill&limit=50".into(),
        ),
        (
            "offers by organisation".into(),
            format!("/api/v1/offers?org={some_org}&limit=50"),
        ),
        (
            "offers by organisation kind".into(),
            "/api/v1/offers?org_kind=building-alliance&limit=50".into(),
        ),
        (
            "offers, text search".into(),
            "/api/v1/offers?q=%E6%B3%95%E5%BE%8B&limit=50".into(),
        ),
        (
            "offers, text search, 1 character".into(),
            "/api/v1/offers?q=%E6%B3%95&limit=50".into(),
        ),
        (
            "offers, text search, 4 characters".into(),
            "/api/v1/offers?q=%E6%B3%95%E5%BE%8B%E5%92%A8%E8%AF%A2&limit=50".into(),
        ),
        (
            "offers, text search, one hit".into(),
            "/api/v1/offers?q=012345&limit=50".into(),
        ),
        (
            "offers, text search, no hit".into(),
            "/api/v1/offers?q=%E9%A3%9F%E5%A0%82&limit=50".into(),
        ),
        ("needs, first page".into(), "/api/v1/needs?limit=50".into()),
        (
            "needs, open, by wanted category".into(),
            "/api/v1/needs?status=open&category=material&limit=50".into(),
        ),
        (
            "needs, text search".into(),
            "/api/v1/needs?q=%E7%90%86%E5%8F%91&limit=50".into(),
        ),
        ("streams".into(), "/api/v1/streams".into()),
    ];
    let rounds = 200;
    let mut results = Vec::new();
    for (name, path) in &queries {
        // Warm: the first call of each pays for the page cache.
        assert!(
            get(&http, port, &token, path).await.is_some(),
            "{name}: {path} failed"
        );
        let mut ms = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let v = get(&http, port, &token, path).await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(v.is_some(), "{name}: {path} failed");
        }
        ms.sort_by(f64::total_cmp);
        let pick = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
        results.push((name.clone(), pick(0.5), pick(0.99)));
    }
    let rss_after_mib = vm_rss_mib(proc.pid());
    proc.stop();
    let db_mib = db_size_mib(&a, url.as_deref());
    Measured {
        db: label,
        load_s,
        rss_idle_mib,
        rss_after_mib,
        db_mib,
        queries: results,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let messages: usize = arg(&args, "--messages").map_or(1_000_000, |v| v.parse().unwrap());
    let orgs: usize = arg(&args, "--orgs").map_or(500, |v| v.parse().unwrap());
    let listings: usize = arg(&args, "--listings")
        .map_or(50_000, |v| v.parse().unwrap())
        .min(messages);
    let db = arg(&args, "--db").unwrap_or_else(|| "both".into());
    let mut all = Vec::new();
    if db == "sqlite" || db == "both" {
        all.push(run("SQLite", orgs, messages, listings, false).await);
    }
    if db == "postgres" || db == "both" {
        all.push(run("PostgreSQL", orgs, messages, listings, true).await);
    }
    println!(
        "a node holding {messages} messages from {orgs} organisations ({} offers and needs), queried over HTTP as its own process; 200 calls per query",
        listings
    );
    let mut json = Vec::new();
    for m in &all {
        println!(
            "\n{}: loaded in {:.0} s; database {:.0} MiB; VmRSS {:.0} MiB idle, {:.0} MiB after the queries",
            m.db, m.load_s, m.db_mib, m.rss_idle_mib, m.rss_after_mib
        );
        println!("{:<36} {:>9} {:>9}", "query (limit 50)", "p50 ms", "p99 ms");
        for (name, p50, p99) in &m.queries {
            println!("{name:<36} {p50:>9.1} {p99:>9.1}");
        }
        let worst = m.queries.iter().map(|q| q.2).fold(0.0, f64::max);
        json.push(format!(
            "{{\"db\":\"{}\",\"load_s\":{:.0},\"db_mib\":{:.0},\"rss_idle_mib\":{:.0},\"rss_after_mib\":{:.0},\"worst_p99_ms\":{worst:.1},\"queries\":[{}]}}",
            m.db,
            m.load_s,
            m.db_mib,
            m.rss_idle_mib,
            m.rss_after_mib,
            m.queries
                .iter()
                .map(|(n, p50, p99)| format!(
                    "{{\"query\":\"{n}\",\"p50_ms\":{p50:.1},\"p99_ms\":{p99:.1}}}"
                ))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    println!(
        "{{\"messages\":{messages},\"orgs\":{orgs},\"listings\":{listings},\"results\":[{}]}}",
        json.join(",")
    );
}
