//! `cargo run --release -p tongxin-tests --bin participation -- [--orgs N] [--checkins C] [--days D] [--rounds R]`
//!
//! The organisation department's dashboard at district scale: N organisations (default 500:
//! 20 streets, 300 communities, the rest units, 楼e家 alliances and new-employment branches)
//! report C check-ins (default 1,000,000) over D days (default 30, November 2026), each as
//! home and, the streets and communities, as host: a day report of each side per organisation
//! and day, and the month's. The reports are signed by their senders, verified by the
//! department's own verifier and applied through its own apply path (`apply_batch`, which
//! keeps each part, reads the complete report and cross-checks its pairs), without the broker.
//! A few organisations inflate a day's report, so the dashboard has flags to show. Then the
//! department runs as its own `tongxin run` process and an auditor opens the dashboard pages
//! (HTML, with their SVG charts), the API and a CSV table over HTTP: p50/p99 of R calls each,
//! against the target of 100 ms a page (issue 14).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::collections::BTreeMap;
use std::time::Instant;

use sha2::{Digest, Sha256};
use tongxin_node::app::Application;
use tongxin_node::config::Config;
use tongxin_node::inbound::sequence::apply_batch;
use tongxin_node::inbound::{FollowUp, Incoming};
use tongxin_schema::envelope::{Audience, Message};
use tongxin_schema::v1::bodies::{
    CounterpartRoot, ParticipationReported, ParticipationRow, ParticipationSide,
    ParticipationTotals, ReportPeriod, SuppressedCell,
};
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
use tongxin_schema::{OrgId, OrgKind, Signer, period};
use tongxin_tests::process::{Proc, login, process_node_on, tongxin_bin};
use tongxin_tests::*;

const CATEGORIES: [ActivityCategory; 7] = [
    ActivityCategory::VolunteerService,
    ActivityCategory::PartyDay,
    ActivityCategory::JointMeeting,
    ActivityCategory::HomeVisit,
    ActivityCategory::Culture,
    ActivityCategory::Study,
    ActivityCategory::Other,
];
const K: u32 = 3;
const MEMBERS_PER_ORG: u32 = 200;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A small deterministic generator (the same load every run).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One cell of a pair, as both sides count it.
#[derive(Clone, Copy, Default)]
struct Cell {
    members: u32,
    checkins: u32,
    minutes: u64,
}

/// (home, host, category) → cell, for one period.
type Cells = BTreeMap<(usize, usize, usize), Cell>;

fn root_of(period: &str, start: i64, home: usize, host: usize, checkins: u32) -> String {
    hex::encode(Sha256::digest(
        format!("{period}/{start}/{home}/{host}/{checkins}").as_bytes(),
    ))
}

/// The report of `side` of organisation `me` for one period, from the pair cells.
fn report(
    ids: &[OrgId],
    me: usize,
    side: ParticipationSide,
    p: ReportPeriod,
    start: i64,
    cells: &Cells,
    inflate: bool,
) -> ParticipationReported {
    let (start, end) = period::bounds(p, start);
    let mut rows = Vec::new();
    let mut suppressed = Vec::new();
    let mut roots: BTreeMap<usize, u32> = BTreeMap::new();
    let mut totals = ParticipationTotals::default();
    let mut members = 0u32;
    for (&(home, host, cat), c) in cells {
        let counterpart = match side {
            ParticipationSide::Home if home == me => host,
            ParticipationSide::Host if host == me => home,
            _ => continue,
        };
        *roots.entry(counterpart).or_default() += c.checkins;
        totals.checkins += c.checkins;
        totals.minutes += c.minutes;
        members += c.members;
        if c.members < K {
            suppressed.push(SuppressedCell {
                counterpart: ids[counterpart].clone(),
                category: CATEGORIES[cat],
                mode: Mode::Routine,
            });
        } else {
            let minutes = if inflate && rows.is_empty() {
                totals.minutes += c.minutes;
                c.minutes * 2
            } else {
                c.minutes
            };
            rows.push(ParticipationRow {
                counterpart: ids[counterpart].clone(),
                category: CATEGORIES[cat],
                mode: Mode::Routine,
                members: c.members,
                checkins: c.checkins,
                minutes,
            });
        }
    }
    let label: &str = p.into();
    let roots = roots
        .into_iter()
        .map(|(cp, n)| {
            let (h, s) = match side {
                ParticipationSide::Home => (me, cp),
                ParticipationSide::Host => (cp, me),
            };
            CounterpartRoot {
                counterpart: ids[cp].clone(),
                checkins: n,
                root: root_of(label, start, h, s, n),
            }
        })
        .collect();
    match side {
        ParticipationSide::Home => {
            totals.members = MEMBERS_PER_ORG;
            totals.members_reported = MEMBERS_PER_ORG * 3 / 4;
            totals.members_active = members.min(MEMBERS_PER_ORG);
        }
        ParticipationSide::Host => {
            totals.members_hosted = members;
            totals.reporting_members = 150;
            totals.activities = totals.checkins / 20 + 1;
            totals.needs_fulfilled = totals.checkins / 30;
            totals.wishes_confirmed = totals.checkins / 90;
            totals.escalations = totals.checkins / 200;
            if me.is_multiple_of(7) {
                totals.emergency_posts = 3;
                totals.emergency_posts_filled = 2;
                totals.fill_secs = vec![600 + (me as u32 % 11) * 60, 1500];
            }
        }
    }
    ParticipationReported {
        report_id: uuid::Uuid::now_v7(),
        side,
        period: p,
        period_start: start,
        period_end: end,
        revision: 1,
        part: 1,
        parts: 1,
        k: K,
        totals,
        rows,
        suppressed,
        roots,
        grids: vec![],
    }
}

async fn time_get(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    rounds: usize,
) -> (f64, f64, usize) {
    let get = || {
        let r = http.get(url);
        match bearer {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    };
    let first = get().send().await.unwrap();
    assert!(first.status().is_success(), "{url}: {}", first.status());
    let bytes = first.bytes().await.unwrap().len();
    let mut ms = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let r = get().send().await.unwrap();
        assert!(r.status().is_success());
        let _ = r.bytes().await.unwrap();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (pick(0.5), pick(0.99), bytes)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let orgs: usize = arg(&args, "--orgs").map_or(500, |v| v.parse().unwrap());
    let checkins: u64 = arg(&args, "--checkins").map_or(1_000_000, |v| v.parse().unwrap());
    let days: usize = arg(&args, "--days").map_or(30, |v| v.parse().unwrap());
    let rounds: usize = arg(&args, "--rounds").map_or(50, |v| v.parse().unwrap());

    // The alliance: the department, then streets, communities under them, and the others.
    let streets = (orgs / 25).max(1);
    let communities = orgs * 3 / 5;
    let mut specs: Vec<(String, OrgKind, String, Option<String>)> = vec![(
        "dept".into(),
        OrgKind::OrgDepartment,
        "区委组织部".into(),
        None,
    )];
    for i in 0..orgs {
        let (kind, parent) = if i < streets {
            (OrgKind::Street, None)
        } else if i < streets + communities {
            (OrgKind::Community, Some(format!("o{:03}", i % streets)))
        } else {
            (
                [
                    OrgKind::CoBuildingUnit,
                    OrgKind::BuildingAlliance,
                    OrgKind::NewEmployment,
                ][i % 3],
                None,
            )
        };
        specs.push((format!("o{i:03}"), kind, format!("成员单位{i:03}"), parent));
    }
    let refs: Vec<(&str, OrgKind, &str, Option<&str>)> = specs
        .iter()
        .map(|(p, k, n, parent)| (p.as_str(), *k, n.as_str(), parent.as_deref()))
        .collect();
    let a = Alliance::with_broker_users(&refs, |p| p == "dept");
    let dept = a.org("dept");
    let ids: Vec<OrgId> = (0..orgs)
        .map(|i| a.org(&format!("o{i:03}")).id.clone())
        .collect();
    let hosts: Vec<usize> = (0..streets + communities).collect();

    // The check-ins of each day, as pair cells: each home serves at four hosts, in three
    // categories; cells of one or two members are suppressed by both sides.
    let november = 1_793_462_400; // 2026-11-01 00:00 Beijing time
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let per_home_day = (checkins / (orgs as u64 * days as u64)).max(1);
    let mut day_cells: Vec<Cells> = Vec::with_capacity(days);
    let mut month = Cells::new();
    let mut total = 0u64;
    for _ in 0..days {
        let mut cells = Cells::new();
        for home in 0..orgs {
            let n = per_home_day + rng.below(per_home_day / 2 + 1) - per_home_day / 4;
            for k in 0..n {
                let host = hosts[(home * 7 + (k as usize % 4) * 13) % hosts.len()];
                let cat = (home + k as usize) % 3 + (home % 5);
                let c = cells.entry((home, host, cat % 7)).or_default();
                c.checkins += 1;
                c.minutes += 60 + rng.below(61);
                total += 1;
            }
        }
        for c in cells.values_mut() {
            c.members = (c.checkins * 2 / 3).max(1);
        }
        for (key, c) in &cells {
            let m = month.entry(*key).or_default();
            m.checkins += c.checkins;
            m.minutes += c.minutes;
            m.members = (m.members + c.members).min(MEMBERS_PER_ORG);
        }
        day_cells.push(cells);
    }

    // Sign every report with its sender's key, as its node would.
    let signers: Vec<Signer> = ids
        .iter()
        .map(|id| {
            let o = a.orgs.iter().find(|o| &o.id == id).unwrap();
            Signer::new(&o.key, &o.cert).unwrap()
        })
        .collect();
    let mut seq = vec![0u64; orgs];
    let mut bodies: Vec<(usize, ParticipationReported)> = Vec::new();
    for (d, cells) in day_cells.iter().enumerate() {
        let start = november + d as i64 * 86_400;
        for me in 0..orgs {
            // Every 50th organisation inflates its home report of day 10.
            let inflate = d == 10 && me % 50 == 0;
            bodies.push((
                me,
                report(
                    &ids,
                    me,
                    ParticipationSide::Home,
                    ReportPeriod::Day,
                    start,
                    cells,
                    inflate,
                ),
            ));
            if me < hosts.len() {
                bodies.push((
                    me,
                    report(
                        &ids,
                        me,
                        ParticipationSide::Host,
                        ReportPeriod::Day,
                        start,
                        cells,
                        false,
                    ),
                ));
            }
        }
    }
    for me in 0..orgs {
        for side in [ParticipationSide::Home, ParticipationSide::Host] {
            if side == ParticipationSide::Host && me >= hosts.len() {
                continue;
            }
            bodies.push((
                me,
                report(&ids, me, side, ReportPeriod::Month, november, &month, false),
            ));
        }
    }
    eprintln!(
        "{} reports of {orgs} organisations over {days} days, {total} check-ins",
        bodies.len()
    );

    let cfg = Config::load(&a.config(dept, None)).unwrap();
    let app = Application::build(cfg).unwrap();
    let node = app.node();
    let started = Instant::now();
    let t = now();
    for chunk in bodies.chunks(500) {
        let mut batch = Vec::with_capacity(chunk.len());
        for (me, body) in chunk {
            seq[*me] += 1;
            let msg = Message::new(
                ids[*me].clone(),
                Audience::Org(dept.id.clone()),
                seq[*me],
                t,
                body.clone(),
            );
            let jws = signers[*me].sign(&msg).unwrap();
            batch.push(Incoming {
                msg: node.verifier().verify(&jws, t).unwrap(),
                routing_key: String::new(),
                user_id: Some(ids[*me].to_string()),
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
    }
    let load_s = started.elapsed().as_secs_f64();
    eprintln!(
        "applied in {load_s:.0} s ({:.0} reports/s)",
        bodies.len() as f64 / load_s
    );
    drop(app);

    // The department as its own process; an auditor signs in.
    let (config, port) = process_node_on(&a, dept, None);
    let out = std::process::Command::new(tongxin_bin())
        .args(["user", "add", "--config", config.to_str().unwrap()])
        .args(["--username", "auditor", "--role", "auditor"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"correct horse battery\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "tongxin user add (auditor) failed");
    let proc = Proc::start(&config, port);
    let http = reqwest::Client::new();
    eventually(60, "the node answers", || async {
        login(&http, port).await
    })
    .await;
    let token: String = http
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/token"))
        .json(&serde_json::json!({ "username": "auditor", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = browser
        .post(format!("http://127.0.0.1:{port}/login"))
        .form(&[
            ("username", "auditor"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    let street = ids[0].to_string();
    let base = format!("http://127.0.0.1:{port}");
    let pages: Vec<(&str, String, bool)> = vec![
        // The floor: the same server's cheapest answer, over the same HTTP client.
        ("ceiling: GET /healthz", format!("{base}/healthz"), true),
        (
            "page: month, all",
            format!("{base}/participation?period=month&at=2026-11"),
            false,
        ),
        (
            "page: day, all",
            format!("{base}/participation?period=day&at=2026-11-11"),
            false,
        ),
        (
            "page: month, one street",
            format!("{base}/participation?period=month&at=2026-11&street={street}"),
            false,
        ),
        (
            "page: month, communities",
            format!("{base}/participation?period=month&at=2026-11&kind=community"),
            false,
        ),
        (
            "API: month, all",
            format!("{base}/api/v1/participation?period=month&at=2026-11"),
            true,
        ),
        (
            "CSV: organisations, month",
            format!("{base}/participation.csv?table=orgs&period=month&at=2026-11"),
            false,
        ),
    ];
    let mut results = Vec::new();
    for (name, url, api) in &pages {
        let client = if *api { &http } else { &browser };
        let (p50, p99, bytes) = time_get(client, url, api.then_some(token.as_str()), rounds).await;
        results.push((*name, p50, p99, bytes));
    }
    // The day with the inflated reports shows their flags.
    let day10 = http
        .get(format!(
            "{base}/api/v1/participation?period=day&at=2026-11-11"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let flags = day10["flags"].as_array().map_or(0, Vec::len);
    proc.stop();

    println!(
        "the organisation department's dashboard: {orgs} organisations, {total} check-ins over {days} days in {} signed reports (applied in {load_s:.0} s, {:.0}/s); {flags} flags on 2026-11-11; HTTP as its own process, {rounds} calls each",
        bodies.len(),
        bodies.len() as f64 / load_s
    );
    println!(
        "{:<30} {:>9} {:>9} {:>10} {:>10}",
        "what", "p50 ms", "p99 ms", "bytes", "target ms"
    );
    for (name, p50, p99, bytes) in &results {
        let target = if name.starts_with("ceiling") {
            "-"
        } else {
            "100"
        };
        println!("{name:<30} {p50:>9.1} {p99:>9.1} {bytes:>10} {target:>10}");
    }
    println!(
        "{{\"orgs\":{orgs},\"checkins\":{total},\"days\":{days},\"reports\":{},\"load_s\":{load_s:.0},\"flags\":{flags},\"results\":[{}]}}",
        bodies.len(),
        results
            .iter()
            .map(|(n, p50, p99, b)| format!(
                "{{\"what\":\"{n}\",\"p50_ms\":{p50:.1},\"p99_ms\":{p99:.1},\"bytes\":{b}}}"
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
}
