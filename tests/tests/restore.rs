//! Backup and restore that lose nothing (PROTOCOL.md §7.9): a node backed up while it runs,
//! then killed after sending and receiving more, is restored from the older backup. It must get
//! its own later messages back from its peers before it numbers a new one (a reused seq would be
//! refused by every peer as `seq_conflict` and that message lost), and must get again what it
//! received after the backup.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::process::Command;

use serde_json::Value;
use tongxin_schema::OrgId;
use tongxin_tests::process::{Proc, get, login, metric, process_node_on, tongxin_bin};
use tongxin_tests::*;

fn tongxin(args: &[&str]) -> (bool, String) {
    let out = Command::new(tongxin_bin()).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Posts offers through the restored node's API; a 503 `recovering` is retried (the node
/// numbers nothing until its peers answered), anything else fails the test. Returns how many
/// posts were refused as recovering.
async fn post_offers(http: &reqwest::Client, port: u16, token: &str, titles: &[String]) -> usize {
    let mut recovering = 0;
    for t in titles {
        loop {
            let r = http
                .post(format!("http://127.0.0.1:{port}/api/v1/offers"))
                .bearer_auth(token)
                .json(&offer_input(t))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            match status {
                200 | 201 => break,
                503 if body["error"]["code"] == "recovering" => {
                    recovering += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                _ => panic!("posting {t}: {status} {body}"),
            }
        }
    }
    recovering
}

/// `tongxin db backup --to FILE` or `tongxin db restore --from FILE`.
fn db_command(command: &str, cfg: &str, file: &std::path::Path) -> (bool, String) {
    let flag = if command == "backup" {
        "--to"
    } else {
        "--from"
    };
    tongxin(&["db", command, "--config", cfg, flag, file.to_str().unwrap()])
}

fn titles(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} {i:03}")).collect()
}

/// The incoming stream `(iss, stream)` of a process node: (last seq, missing).
async fn incoming(
    http: &reqwest::Client,
    port: u16,
    token: &str,
    iss: &OrgId,
    stream: &str,
) -> Option<(i64, i64)> {
    let v = get(http, port, token, "/api/v1/streams").await?;
    let s = v["incoming"]
        .as_array()?
        .iter()
        .find(|s| s["iss"] == iss.as_str() && s["stream"] == stream)?
        .clone();
    Some((s["last_seq"].as_i64()?, s["missing"].as_i64()?))
}

async fn a_node_restored_from_an_older_backup_reuses_no_seq_and_loses_nothing(postgres: bool) {
    let mut a = trio();
    let db = if postgres {
        a.postgres_db()
    } else {
        format!(
            "sqlite://{}",
            a.org("community").dir.join("tongxin.db").display()
        )
    };
    let street = a.start("street", None).await;
    let mut loue = a.start("loue", None).await;
    let x = a.org("community").id.clone();
    let (config, port) = process_node_on(&a, a.org("community"), Some(&db));
    let cfg = config.to_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let node = Proc::start(&config, port);
    let token = eventually(30, "the community's node answers", || async {
        login(&http, port).await
    })
    .await;

    // Phase 1, before the backup.
    let mine_1 = titles("备份前 社区资源", 10);
    assert_eq!(post_offers(&http, port, &token, &mine_1).await, 0);
    let mut theirs = publish_offers(&street, "备份前 街道资源", 20, 5).await;
    for peer in [&street, &loue] {
        eventually(60, "the peers apply phase 1", || async {
            (stream_state(peer, &x, "all").await == Some((10, 10))).then_some(())
        })
        .await;
    }

    // The backup, taken while the node runs.
    let backup = a.org("community").dir.join("backup.db");
    let (ok, out) = db_command("backup", &cfg, &backup);
    assert!(ok, "db backup: {out}");
    let (ok, out) = db_command("backup", &cfg, &backup);
    assert!(
        !ok && out.contains("already exists"),
        "a second backup onto the first must be refused: {out}"
    );

    // Phase 2: after the backup, lost with the crash below.
    let mine_2 = titles("备份后 社区资源", 15);
    assert_eq!(post_offers(&http, port, &token, &mine_2).await, 0);
    theirs.extend(publish_offers(&street, "备份后 街道资源", 20, 5).await);
    send_checkins(&street, &x, 6, 6).await;
    for peer in [&street, &loue] {
        eventually(60, "the peers apply phase 2", || async {
            (stream_state(peer, &x, "all").await == Some((25, 25))).then_some(())
        })
        .await;
    }
    eventually(60, "the community applies the street's phase 2", || async {
        (incoming(&http, port, &token, &street.org_id, "all").await == Some((40, 0))).then_some(())
    })
    .await;
    // The building alliance goes down: the restored node will have to wait for its answer.
    let loue_id = loue.org_id.clone();
    loue.stop().await;
    node.kill9();

    // Restore the older backup (PostgreSQL: into a new, empty database).
    let db = if postgres {
        let fresh = a.postgres_db();
        a.config(a.org("community"), Some(&fresh));
        fresh
    } else {
        db
    };
    let (ok, out) = db_command("restore", &cfg, &backup);
    assert!(ok, "db restore: {out}");
    assert!(
        out.contains("all=10"),
        "the backup's own head is reported: {out}"
    );
    if !postgres {
        let kept: Vec<_> = std::fs::read_dir(&a.org("community").dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".before-restore-"))
            .collect();
        assert!(
            kept.iter()
                .any(|n| n.starts_with("tongxin.db.before-restore-")),
            "the replaced database is kept: {kept:?}"
        );
    }

    // Back up and running: new offers wait for the peers' answers, then take seq 26 on.
    let started = std::time::Instant::now();
    let node = Proc::start(&config, port);
    let token = eventually(30, "the restored node answers", || async {
        login(&http, port).await
    })
    .await;
    let mine_3 = titles("恢复后 社区资源", 5);
    // While a peer has not answered, nothing new is numbered on the broadcast stream.
    let r = http
        .post(format!("http://127.0.0.1:{port}/api/v1/offers"))
        .bearer_auth(&token)
        .json(&offer_input(&mine_3[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "recovering"
    );
    // Staff on the web page are told why, in Chinese, and the form keeps what they typed.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let signed_in = browser
        .post(format!("http://127.0.0.1:{port}/login"))
        .form(&[("username", "admin"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.url().path(), "/");
    let page = browser
        .post(format!("http://127.0.0.1:{port}/offers"))
        .form(&[
            ("title", mine_3[0].as_str()),
            ("description", "测试"),
            ("category", "venue"),
            ("capacity", "20"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("本节点正在从备份恢复") && page.contains(&mine_3[0]),
        "the offers page after a refused form: {page}"
    );
    // It still receives meanwhile.
    theirs.extend(publish_offers(&street, "恢复后 街道资源", 10, 5).await);
    eventually(
        60,
        "the recovering node applies the street's new offers",
        || async {
            (incoming(&http, port, &token, &street.org_id, "all").await == Some((50, 0)))
                .then_some(())
        },
    )
    .await;
    // The operator sees who answered.
    let street_answered = format!("{} answered for all", street.org_id);
    let (ok, status) = eventually(30, "the street's answer is in", || async {
        let (ok, out) = tongxin(&["db", "recovery", "--config", &cfg]);
        out.contains(&street_answered).then_some((ok, out))
    })
    .await;
    assert!(ok && status.contains("recovering for"), "{status}");
    assert!(!status.contains(&format!("{loue_id} answered")), "{status}");
    // The building alliance comes back and answers the request waiting in its queue.
    loue = a.start("loue", None).await;
    let refused = post_offers(&http, port, &token, &mine_3).await;
    eprintln!(
        "restored node: {refused} post(s) refused as recovering; the last accepted {:.1} s after start",
        started.elapsed().as_secs_f64()
    );

    // Every peer has every message of the community exactly once, in one unbroken stream.
    let mut mine: Vec<String> = [mine_1, mine_2, mine_3].concat();
    mine.sort();
    for peer in [&street, &loue] {
        assert_offers_arrive(
            peer,
            &x,
            mine.clone(),
            60,
            "the peers hold every community offer",
        )
        .await;
        eventually(
            30,
            "the community's stream is whole at the peer",
            || async { (stream_state(peer, &x, "all").await == Some((30, 30))).then_some(()) },
        )
        .await;
        assert_eq!(
            rejected_codes(peer).await,
            Vec::<String>::new(),
            "nothing refused (no seq_conflict) at {}",
            peer.org_id
        );
    }
    // Each offer took effect once (a second application would count twice): the street holds
    // the community's 30, the building alliance those and the street's 50.
    for (peer, n) in [(&street, 30), (&loue, 80)] {
        assert_eq!(
            applied_effects(peer, "offer.published").await,
            n,
            "{}",
            peer.org_id
        );
    }

    // The community has again what it received after the backup, once.
    eventually(
        60,
        "the community has the street's whole stream again",
        || async {
            (incoming(&http, port, &token, &street.org_id, "all").await == Some((50, 0)))
                .then_some(())
        },
    )
    .await;
    let direct = format!("org.{x}");
    eventually(60, "and the street's check-ins to it", || async {
        (incoming(&http, port, &token, &street.org_id, &direct).await == Some((6, 0))).then_some(())
    })
    .await;
    let offers = get(
        &http,
        port,
        &token,
        &format!("/api/v1/offers?org={}&limit=100", street.org_id),
    )
    .await
    .unwrap();
    let mut got: Vec<String> = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    theirs.sort();
    assert_eq!(got, theirs, "the community holds each street offer once");
    let rejected = get(&http, port, &token, "/api/v1/messages/rejected")
        .await
        .unwrap();
    assert_eq!(
        rejected["items"],
        serde_json::json!([]),
        "nothing refused at the community"
    );

    // Its own 15 messages after the backup came back from the peers, and recovery ended.
    let recovered = metric(&http, port, "tongxin_recovered_total").await;
    assert_eq!(recovered, 15.0, "own messages put back");
    let mut c = tongxin_node::store::DbTarget {
        url: db.clone(),
        sqlite_synchronous_full: false,
    }
    .connect()
    .unwrap();
    assert_eq!(
        tongxin_node::store::recovery::started(&mut c).unwrap(),
        None
    );
    assert_eq!(
        tongxin_node::store::recovery::own_head(&mut c, "all").unwrap(),
        30
    );
    drop(c);
    node.stop();
}

/// The negative control: the same backup, released from recovery by hand before the node
/// starts (`db recovery --release`; a dump put back by hand without `db restore` is the same),
/// makes the node reuse sequence numbers, and the peers refuse those messages. This is what
/// the test above would see if recovery did nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_put_back_without_recovery_reuses_sequence_numbers_and_is_refused() {
    let a = trio();
    let db = format!(
        "sqlite://{}",
        a.org("community").dir.join("tongxin.db").display()
    );
    let street = a.start("street", None).await;
    let x = a.org("community").id.clone();
    let (config, port) = process_node_on(&a, a.org("community"), Some(&db));
    let cfg = config.to_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let node = Proc::start(&config, port);
    let token = eventually(30, "the community's node answers", || async {
        login(&http, port).await
    })
    .await;
    post_offers(&http, port, &token, &titles("备份前", 3)).await;
    let backup = a.org("community").dir.join("backup.db");
    let (ok, out) = db_command("backup", &cfg, &backup);
    assert!(ok, "db backup: {out}");
    post_offers(&http, port, &token, &titles("备份后", 4)).await;
    eventually(60, "the street applies all 7", || async {
        (stream_state(&street, &x, "all").await == Some((7, 7))).then_some(())
    })
    .await;
    node.kill9();
    let (ok, out) = db_command("restore", &cfg, &backup);
    assert!(ok, "db restore: {out}");
    // Released by hand before the node starts: what `db recovery --release` warns about.
    let (ok, out) = tongxin(&["db", "recovery", "--config", &cfg, "--release"]);
    assert!(ok && out.contains("seq_conflict"), "{out}");

    let node = Proc::start(&config, port);
    let token = eventually(30, "the node answers", || async {
        login(&http, port).await
    })
    .await;
    assert_eq!(
        post_offers(&http, port, &token, &titles("恢复后", 2)).await,
        0,
        "without the marker nothing is held"
    );
    let codes = eventually(60, "the street refuses the reused numbers", || async {
        let c = rejected_codes(&street).await;
        (c.len() >= 2).then_some(c)
    })
    .await;
    assert_eq!(codes, ["seq_conflict", "seq_conflict"]);
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_an_older_sqlite_backup_reuses_no_seq_and_loses_nothing() {
    a_node_restored_from_an_older_backup_reuses_no_seq_and_loses_nothing(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_an_older_postgres_backup_reuses_no_seq_and_loses_nothing() {
    a_node_restored_from_an_older_backup_reuses_no_seq_and_loses_nothing(true).await;
}

/// A restore cut short (the process killed half-way) leaves the node unable to start, rather
/// than starting on a database without its recovery marker or on a new, empty one.
#[test]
fn an_interrupted_restore_keeps_the_node_from_opening_its_database() {
    use tongxin_node::store::{DbTarget, RESTORE_PENDING, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tongxin.db");
    let sqlite = DbTarget {
        url: format!("sqlite://{}", db.display()),
        sqlite_synchronous_full: false,
    };
    std::fs::write(dir.path().join("tongxin.db.restoring"), b"half a copy").unwrap();
    let e = Store::open(sqlite, 1).err().expect("refused");
    assert!(e.to_string().contains("tongxin db restore"), "{e}");
    assert!(!db.exists(), "no empty database was made in its place");

    let mut a = trio();
    let url = a.postgres_db();
    let pg = DbTarget {
        url,
        sqlite_synchronous_full: false,
    };
    let mut c = pg.connect().unwrap();
    use diesel::connection::SimpleConnection;
    c.batch_execute(&format!(
        "CREATE TABLE {RESTORE_PENDING} (started_ms BIGINT)"
    ))
    .unwrap();
    drop(c);
    let e = Store::open(pg, 1).err().expect("refused");
    assert!(e.to_string().contains("new, empty database"), "{e}");
}
