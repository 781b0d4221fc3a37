//! `cargo run --release -p tongxin-tests --bin disk -- [--days D] [--per-day M] [--retention R]`
//!
//! Disk over time under a steady load (issue 18): a street's node updates its 100 offers M
//! times a day in all (default 4,000 messages a day) for D simulated days (default 20), and a
//! community's node (SQLite, synchronous FULL) applies them with R days of retention (default
//! 5). After each day the receiver writes the day's archive and prunes, as its hourly task
//! does, and the program prints the size of its database (file and WAL, after a checkpoint),
//! the rows of `received`, and the archive directory, beside a second receiver (a 楼e家
//! alliance's node) that keeps everything (retention 0). Without retention the database grows
//! by the same amount every day; with it, growth stops once R days are kept: SQLite reuses the
//! pages of deleted rows. The sender archives and compacts its own outbox with the same
//! retention (PROTOCOL.md §7.10: of an offer updated over and over, the versions between its
//! first and its last publication before the cut go); its outbox rows and database are printed
//! too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use tongxin_node::app::Application;
use tongxin_node::clock::Clock;
use tongxin_node::config::Config;
use tongxin_node::domain::offers::NewOffer;
use tongxin_schema::OrgKind;
use tongxin_schema::period;
use tongxin_schema::v1::bodies::ReportPeriod;
use tongxin_schema::v1::taxonomy::OfferCategory;
use tongxin_schema::v1::text::Text;
use tongxin_tests::*;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p).map_or(0, |d| {
        d.filter_map(Result::ok)
            .map(|e| e.metadata().map_or(0, |m| m.len()))
            .sum()
    })
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// Updates the sender's offers `n` times in all, in turn.
async fn update_offers(node: &RunningNode, ids: &[uuid::Uuid], day: u64, n: u64) {
    let offers = (0..n)
        .map(|k| NewOffer {
            offer_id: Some(ids[(k as usize) % ids.len()]),
            title: Text::new(format!("会议室 第{day}天 第{k}次更新")).unwrap(),
            description: Text::new("每天更新的场地资源").unwrap(),
            category: OfferCategory::Venue,
            capacity: 1 + (k % 40) as u32,
            unit: None,
            skills: vec![],
            station: None,
            grids: vec![],
            available_until: None,
        })
        .collect();
    publish_offer_list(&node.node, offers, 50).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let days = arg(&args, "--days", 20);
    let per_day = arg(&args, "--per-day", 4000);
    let retention = arg(&args, "--retention", 5) as u32;
    assert!(days <= 25, "the test certificates are valid for 30 days");

    let (t0, _) = period::bounds(ReportPeriod::Day, now() - (days as i64 + 2) * 86_400);
    let a = Alliance::with_certificates_from(
        &[
            ("street", OrgKind::Street, "学院南路街道党工委", None),
            (
                "community",
                OrgKind::Community,
                "友谊南里社区大党委",
                Some("street"),
            ),
            ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
        ],
        |_| true,
        t0 - 86_400,
    );
    let clock = Clock::manual((t0 + 3600) * 1000);
    let street = a.start_with_clock("street", clock.clone()).await;
    let street_db = a.org("street").dir.join("tongxin.db");
    let street_archive = tongxin_node::archive::dir(&street.node.cfg.data_dir);
    let org = a.org("community");
    let mut cfg = Config::load(&a.config(org, None)).unwrap();
    cfg.retention.days = retention;
    let db_file = org.dir.join("tongxin.db");
    let community = start_app(
        org.id.clone(),
        Application::build_with_clock(cfg, clock.clone()).unwrap(),
    )
    .await;
    let archive = tongxin_node::archive::dir(&community.node.cfg.data_dir);
    let keeper = a.org("loue");
    let mut keeper_cfg = Config::load(&a.config(keeper, None)).unwrap();
    keeper_cfg.retention.days = 0;
    let keeper_db = keeper.dir.join("tongxin.db");
    let loue = start_app(
        keeper.id.clone(),
        Application::build_with_clock(keeper_cfg, clock.clone()).unwrap(),
    )
    .await;
    let ids: Vec<uuid::Uuid> = (0..100).map(|_| uuid::Uuid::now_v7()).collect();

    println!(
        "disk over time: {per_day} offer updates a day from one sender, receiver on SQLite, \
         retention {retention} days"
    );
    println!(
        "{:>4} {:>10} {:>12} {:>11} {:>12} {:>24} {:>14} {:>15}",
        "day",
        "applied",
        "received",
        "db MiB",
        "archive MiB",
        "db MiB, no retention",
        "sender outbox",
        "sender db MiB"
    );
    let mut applied = 0u64;
    for day in 0..days {
        clock.set_ms((t0 + day as i64 * 86_400 + 3600) * 1000);
        update_offers(&street, &ids, day, per_day).await;
        applied += per_day;
        let want = applied as i64;
        for n in [&community, &loue] {
            eventually(600, "the day's updates applied", || async {
                let (last, _) = stream_state(n, &street.org_id, "all").await?;
                (last >= want).then_some(())
            })
            .await;
        }
        // The next morning: the day is archived and what is past retention pruned.
        let next = t0 + (day as i64 + 1) * 86_400 + 3600;
        clock.set_ms(next * 1000);
        let mut conn = community.node.store.target.connect().unwrap();
        tongxin_node::archive::write_missing(&mut conn, &community.node.signer, &archive, next)
            .unwrap();
        tongxin_node::retention::prune(&mut conn, &archive, retention, next).unwrap();
        let rows: i64 = tongxin_node::store::schema::received::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        drop(conn);
        let mut conn = street.node.store.target.connect().unwrap();
        tongxin_node::archive::write_missing(&mut conn, &street.node.signer, &street_archive, next)
            .unwrap();
        tongxin_node::retention::prune(&mut conn, &street_archive, retention, next).unwrap();
        let outbox_rows: i64 = tongxin_node::store::schema::outbox::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        drop(conn);
        let size = |node: &RunningNode, db: &Path| {
            let mut c = node.node.store.target.connect().unwrap();
            if let tongxin_node::store::AnyConnection::Sqlite(c) = &mut c {
                c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
            }
            file_size(db) + file_size(&db.with_file_name("tongxin.db-wal"))
        };
        let (kept, all) = (size(&community, &db_file), size(&loue, &keeper_db));
        let sender = size(&street, &street_db);
        println!(
            "{:>4} {:>10} {:>12} {:>11.1} {:>12.1} {:>24.1} {:>14} {:>15.1}",
            day,
            applied,
            rows,
            mib(kept),
            mib(dir_size(&archive)),
            mib(all),
            outbox_rows,
            mib(sender),
        );
    }
    street.stop().await;
    community.stop().await;
    loue.stop().await;
}
