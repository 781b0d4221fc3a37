//! Soak: four nodes as real `tongxin run` processes, offers published at a steady rate through
//! their HTTP APIs, round robin, for a while; reports each node's memory (VmRSS) over time,
//! errors, and whether every node ended with every offer. Not run in CI.
//!
//! `cargo run --release -p tongxin-tests --bin soak -- [--minutes 10] [--rate 40]`
//! (build `tongxin` first: `cargo build -p tongxin-node`; the soak runs target/debug/tongxin).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a soak that fails should stop loudly

use std::time::{Duration, Instant};

use tongxin_schema::OrgKind;
use tongxin_tests::process::{Proc, get, login, process_node};
use tongxin_tests::*;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
            })
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let minutes = arg("--minutes", 10);
    let rate = arg("--rate", 40).max(1);

    let a = Alliance::new(&[
        ("street", OrgKind::Street, "学院南路街道党工委", None),
        (
            "community",
            OrgKind::Community,
            "友谊南里社区大党委",
            Some("street"),
        ),
        (
            "longyi",
            OrgKind::Community,
            "小山隆义里社区大党委",
            Some("street"),
        ),
        ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
    ]);
    let http = reqwest::Client::new();
    let mut nodes = Vec::new();
    for prefix in ["street", "community", "longyi", "loue"] {
        let (config, port) = process_node(&a, a.org(prefix));
        let proc = Proc::start(&config, port);
        nodes.push((prefix, port, proc));
    }
    let mut tokens = Vec::new();
    for (prefix, port, _) in &nodes {
        let t = eventually(60, &format!("{prefix} answers"), || async {
            login(&http, *port).await
        })
        .await;
        tokens.push(t);
    }
    eprintln!("soak: 4 nodes up; {rate} offers/s for {minutes} min");

    let start = Instant::now();
    let end = start + Duration::from_secs(minutes * 60);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let mut samples: Vec<(u64, Vec<u64>)> = Vec::new();
    let mut next_sample = start;
    let (mut sent, mut errors) = (0u64, 0u64);
    while Instant::now() < end {
        tick.tick().await;
        let i = (sent % 4) as usize;
        let body = offer_input(&format!("浸泡测试 {sent:07}"));
        let ok = http
            .post(format!("http://127.0.0.1:{}/api/v1/offers", nodes[i].1))
            .bearer_auth(&tokens[i])
            .json(&body)
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 201);
        sent += 1;
        if !ok {
            errors += 1;
        }
        if Instant::now() >= next_sample {
            samples.push((
                start.elapsed().as_secs(),
                nodes.iter().map(|(_, _, p)| rss_kib(p.pid())).collect(),
            ));
            next_sample += Duration::from_secs(30);
        }
    }
    let published = sent - errors;
    eprintln!("soak: published {published}, waiting for every node to hold all of them");
    let mut converged = true;
    for (i, (prefix, port, _)) in nodes.iter().enumerate() {
        let ok = tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                if get(&http, *port, &tokens[i], "/api/v1/offers?limit=1")
                    .await
                    .is_some_and(|v| v["total"] == published)
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
        .await
        .is_ok();
        if !ok {
            eprintln!("soak: {prefix} did not reach {published} offers");
            converged = false;
        }
    }
    samples.push((
        start.elapsed().as_secs(),
        nodes.iter().map(|(_, _, p)| rss_kib(p.pid())).collect(),
    ));
    let mut rejected = Vec::new();
    for (i, (_, port, _)) in nodes.iter().enumerate() {
        let r = get(&http, *port, &tokens[i], "/api/v1/messages/rejected")
            .await
            .map_or(-1, |v| v["items"].as_array().map_or(-1, |a| a.len() as i64));
        rejected.push(r);
    }

    println!(
        "soak: {minutes} min, {rate} offers/s offered over HTTP, 4 nodes as processes (target/debug/tongxin)"
    );
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>12}",
        "t (s)", "street KiB", "community", "longyi", "loue"
    );
    for (t, rss) in &samples {
        println!(
            "{t:>8} {:>12} {:>12} {:>12} {:>12}",
            rss[0], rss[1], rss[2], rss[3]
        );
    }
    let first = samples
        .get(1)
        .or(samples.first())
        .map(|s| s.1.clone())
        .unwrap_or_default();
    let last = samples.last().map(|s| s.1.clone()).unwrap_or_default();
    let growth: Vec<i64> = first
        .iter()
        .zip(&last)
        .map(|(a, b)| *b as i64 - *a as i64)
        .collect();
    println!(
        "published {published}, HTTP errors {errors}, every node holds every offer: {converged}, rejected per node {rejected:?}"
    );
    println!("RSS growth from the 30 s sample to the end, KiB: {growth:?}");
    println!(
        "{{\"minutes\":{minutes},\"rate\":{rate},\"published\":{published},\"errors\":{errors},\"converged\":{converged},\"rss_growth_kib\":{growth:?},\"rss_end_kib\":{last:?}}}"
    );
    for (_, _, p) in nodes {
        p.kill9();
    }
    // A soak whose nodes did not converge or refused messages failed.
    if !converged || rejected.iter().any(|r| *r != 0) {
        eprintln!(
            "soak: FAILED (converged {converged}, HTTP errors {errors}, rejected {rejected:?})"
        );
        std::process::exit(1);
    }
}
