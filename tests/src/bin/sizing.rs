//! `cargo build --release -p tongxin-node && cargo run -p tongxin-tests --bin sizing -- [--messages N]`
//!
//! What a node needs, measured (deploy/README.md, "Sizing"): two nodes run as separate
//! `target/release/tongxin run` processes on SQLite; the sender's outbox is filled beforehand
//! with N signed `checkin.attested` messages to the receiver; the clock runs from starting the
//! processes until the receiver has committed all N. Reports each process's resident memory
//! (VmRSS sampled every 250 ms, and VmHWM, from /proc), CPU time (/proc/PID/stat), database
//! sizes after a graceful stop, and how long `tongxin db copy` takes to move the sender's
//! database to PostgreSQL and how large it is there.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a measurement that fails should stop loudly

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use tongxin_node::config::{Config, ExposeSecret};
use tongxin_node::store::{DbTarget, Store};
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::CheckinAttested;
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
use tongxin_schema::{OrgKind, Signer};
use tongxin_tests::*;

fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of a process.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| -> f64 { fields.get(i).and_then(|v| v.parse().ok()).unwrap_or(0.0) };
    // Fields 14 and 15 of stat (utime, stime), counted after the ")"; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

fn db_bytes(dir: &Path) -> u64 {
    ["tongxin.db", "tongxin.db-wal"]
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0))
        .sum()
}

fn rows(db: &Path, table: &str) -> i64 {
    Command::new("sqlite3")
        .arg(db)
        .args([".timeout 2000", &format!("SELECT count(*) FROM {table}")])
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0)
}

fn spawn(bin: &Path, config: &Path) -> Child {
    Command::new(bin)
        .args(["run", "--config"])
        .arg(config)
        .env("TONGXIN_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn checkin(home: &tongxin_schema::OrgId, host: &tongxin_schema::OrgId, i: i64) -> CheckinAttested {
    let t = now();
    CheckinAttested {
        checkin_id: uuid::Uuid::now_v7(),
        member: member_at(home, host, uuid::Uuid::from_u128(i as u128 + 1)),
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n: i64 = arg("--messages")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let bin = arg("--tongxin")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/tongxin"));
    assert!(
        bin.is_file(),
        "{} is missing: cargo build --release -p tongxin-node",
        bin.display()
    );

    let mut a = Alliance::new(&[
        ("host", OrgKind::Community, "友谊南里社区大党委", None),
        ("home", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
    ]);
    // The check-ins name members nobody signed up: kept, not acted on (delivery is measured).
    a.defer_kinds = vec!["checkin.attested"];
    let pg = a.postgres_db();
    let (host, home) = (a.org("host"), a.org("home"));
    let host_cfg = a.config(host, None);
    let home_cfg = a.config(home, None);

    // The sender's outbox, filled while it is stopped.
    let store = Store::open(
        DbTarget {
            url: Config::load(&host_cfg)
                .unwrap()
                .database_url()
                .expose_secret()
                .to_owned(),
            sqlite_synchronous_full: true,
        },
        1,
    )
    .unwrap();
    let signer = Signer::new(&host.key, &host.cert).unwrap();
    let mut written = 0;
    let mut jws_bytes = 0usize;
    while written < n {
        let count = 2000.min(n - written);
        jws_bytes += store
            .write_blocking(|c| {
                let mut b = 0;
                for i in written..written + count {
                    let (_, jws) = tongxin_node::store::outbox::enqueue(
                        c,
                        &signer,
                        tongxin_node::clock::Clock::system().now_ms(),
                        Audience::Org(home.id.clone()),
                        checkin(&home.id, &host.id, i),
                    )?;
                    b += jws.len();
                }
                Ok(b)
            })
            .unwrap();
        written += count;
    }
    drop(store);

    let start = Instant::now();
    let mut receiver = spawn(&bin, &home_cfg);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let idle_kb = status_kb(receiver.id(), "VmRSS:");
    let mut sender = spawn(&bin, &host_cfg);
    let home_db = home.dir.join("tongxin.db");
    let (mut max_sender, mut max_receiver) = (0, 0);
    loop {
        max_sender = max_sender.max(status_kb(sender.id(), "VmRSS:"));
        max_receiver = max_receiver.max(status_kb(receiver.id(), "VmRSS:"));
        if rows(&home_db, "received") >= n {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1800),
            "not done after 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    let report = |name: &str, p: &Child, max: u64| {
        println!(
            "{name:<9} RSS now {:>6} kB, sampled max {max:>6} kB, VmHWM {:>6} kB, CPU {:>6.2} s",
            status_kb(p.id(), "VmRSS:"),
            status_kb(p.id(), "VmHWM:"),
            cpu_secs(p.id())
        );
    };
    println!(
        "{n} checkin.attested messages, {} bytes each on average (compact JWS)",
        jws_bytes / n as usize
    );
    println!(
        "outbox → broker → receiver committed: {secs:.1} s, {:.0} msg/s (including process start)",
        n as f64 / secs
    );
    println!("receiver RSS before the sender started: {idle_kb} kB");
    report("sender", &sender, max_sender);
    report("receiver", &receiver, max_receiver);
    for p in [&sender, &receiver] {
        Command::new("kill")
            .args(["-TERM", &p.id().to_string()])
            .status()
            .unwrap();
    }
    sender.wait().unwrap();
    receiver.wait().unwrap();
    let (sb, rb) = (db_bytes(&host.dir), db_bytes(&home.dir));
    println!(
        "SQLite after a graceful stop: sender {sb} bytes ({} per message), receiver {rb} bytes ({} per message)",
        sb / n as u64,
        rb / n as u64
    );

    let t = Instant::now();
    let (cfg, to) = (host_cfg.clone(), pg.clone());
    tokio::task::spawn_blocking(move || tongxin_node::cli::db::copy(&cfg, &to))
        .await
        .unwrap()
        .unwrap();
    let name = pg.rsplit('/').next().unwrap();
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-w", "-At", "-c"])
        .arg(format!(
            "SELECT pg_database_size('{name}'), pg_total_relation_size('outbox')"
        ))
        .arg(name)
        .output()
        .unwrap();
    let sizes = String::from_utf8_lossy(&out.stdout)
        .trim()
        .replace('|', " ");
    println!(
        "tongxin db copy of the sender to PostgreSQL: {:.1} s; database, outbox with indexes: {sizes} bytes",
        t.elapsed().as_secs_f64()
    );
}
