//! Daily archives (PROTOCOL.md §4.10): `tongxin db archive` writes a finished day's messages,
//! sent and received, under a manifest the node signs; `tongxin verify --archive` accepts it
//! against the alliance root alone and names the line of a tampered, shortened or foreign one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use tongxin_node::clock::Clock;
use tongxin_node::config::Config;
use tongxin_schema::OrgKind;
use tongxin_schema::period;
use tongxin_schema::v1::bodies::ReportPeriod;
use tongxin_tests::process::tongxin_bin;
use tongxin_tests::*;

fn run(args: &[&str]) -> Output {
    Command::new(tongxin_bin()).args(args).output().unwrap()
}

fn lines_of(path: &Path) -> Vec<String> {
    let mut text = String::new();
    MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_owned).collect()
}

fn write_gz(path: &Path, lines: &[String]) {
    let mut gz = GzEncoder::new(std::fs::File::create(path).unwrap(), Compression::fast());
    for l in lines {
        gz.write_all(l.as_bytes()).unwrap();
        gz.write_all(b"\n").unwrap();
    }
    gz.finish().unwrap();
}

fn verify(ca: &Path, file: &Path) -> (bool, String) {
    let out = run(&[
        "verify",
        "--ca",
        ca.to_str().unwrap(),
        "--archive",
        file.to_str().unwrap(),
    ]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_days_archive_verifies_offline_and_a_tampered_line_is_named() {
    // Two days ago, Beijing time: a day that is over whenever the test runs; the nodes'
    // clocks are set to it, and their certificates valid from before it.
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (day_start, _) = period::bounds(ReportPeriod::Day, now_s - 2 * 86_400);
    let a = Alliance::with_certificates_from(
        &[
            ("street", OrgKind::Street, "学院南路街道党工委", None),
            (
                "community",
                OrgKind::Community,
                "友谊南里社区大党委",
                Some("street"),
            ),
        ],
        |_| true,
        day_start - 86_400,
    );
    let day = period::label(ReportPeriod::Day, day_start);
    let clock = Clock::manual((day_start + 12 * 3600) * 1000);
    let street = a.start_with_clock("street", clock.clone()).await;
    let community = a.start_with_clock("community", clock.clone()).await;
    publish_offers(&community, "社区场地", 5, 5).await;
    publish_offers(&street, "街道服务", 3, 3).await;
    eventually(30, "each node has the other's offers", || async {
        (offer_titles(&street, &community.org_id).await.len() == 5
            && offer_titles(&community, &street.org_id).await.len() == 3)
            .then_some(())
    })
    .await;
    let config = a.config(a.org("community"), None);
    let community_id = community.org_id.to_string();
    community.stop().await;
    street.stop().await;

    let out = run(&["db", "archive", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let data_dir = Config::load(&config).unwrap().data_dir;
    let file = data_dir.join("archive").join(format!("{day}.jws.gz"));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(file.to_str().unwrap()),
        "{out:?}"
    );
    // Written once: a second run finds nothing to do and leaves the file as it was.
    let before = std::fs::read(&file).unwrap();
    let again = run(&["db", "archive", "--config", config.to_str().unwrap()]);
    assert!(
        again.status.success() && again.stdout.is_empty(),
        "{again:?}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // The root alone is enough to check it.
    let ca = a.ca_path();
    let (ok, text) = verify(&ca, &file);
    assert!(ok, "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["archive"]["day"], day.as_str());
    assert_eq!(report["archive"]["iss"], community_id.as_str());
    // What the community numbered that day (its 5 offers, at least) and what it applied (the
    // street's 3, and any trust document it was sent).
    let sent = report["archive"]["sent"].as_u64().unwrap();
    let received = report["archive"]["received"].as_u64().unwrap();
    assert!(sent >= 5 && received >= 3, "{report}");
    let lines = lines_of(&file);
    assert_eq!(lines.len() as u64, 1 + sent + received);

    // One changed character in one message's payload: that line is named, and the hash no
    // longer matches the manifest.
    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("tampered.jws.gz");
    let mut changed = lines.clone();
    let victim = 3;
    let mut parts: Vec<String> = changed[victim - 1].split('.').map(str::to_owned).collect();
    let mut payload: Vec<char> = parts[1].chars().collect();
    payload[10] = if payload[10] == 'A' { 'B' } else { 'A' };
    parts[1] = payload.into_iter().collect();
    changed[victim - 1] = parts.join(".");
    write_gz(&tampered, &changed);
    let (ok, text) = verify(&ca, &tampered);
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("line {victim}: rejected")), "{text}");
    assert!(text.contains("do not hash to the manifest"), "{text}");

    // A message left out: the count says so.
    let short = dir.path().join("short.jws.gz");
    write_gz(&short, &lines[..lines.len() - 1]);
    let (ok, text) = verify(&ca, &short);
    assert!(!ok && text.contains("the file holds"), "{text}");

    // A received message moved among the sent ones: issued by another node.
    let moved = dir.path().join("moved.jws.gz");
    let mut swapped = lines.clone();
    let last = swapped.len() - 1;
    swapped.swap(1, last);
    write_gz(&moved, &swapped);
    let (ok, text) = verify(&ca, &moved);
    assert!(!ok && text.contains("line 2: listed as sent by"), "{text}");

    // Another alliance's root does not vouch for it.
    let other = street_and_community();
    let (ok, text) = verify(&other.ca_path(), &file);
    assert!(!ok && text.contains("line 1, the manifest"), "{text}");
}
