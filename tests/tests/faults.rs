//! Faults: a receiving node killed with SIGKILL at random moments while messages stream to it
//! comes back and ends with every message applied exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::time::Duration;

use tongxin_schema::OrgId;
use tongxin_tests::process::{Proc, get, login, metric, process_node_on};
use tongxin_tests::*;

/// The database a process node uses: SQLite in its directory, or a new PostgreSQL database.
fn database(a: &mut Alliance, org: &str, postgres: bool) -> String {
    if postgres {
        a.postgres_db()
    } else {
        format!("sqlite://{}", a.org(org).dir.join("tongxin.db").display())
    }
}

/// Reads what a node (running as a process) has applied, from its own database: the last
/// seq of `iss`'s broadcast stream and the offers that took effect.
fn applied(db: &str, iss: &OrgId) -> (i64, i64) {
    let mut c = tongxin_node::store::DbTarget {
        url: db.to_owned(),
        sqlite_synchronous_full: false,
    }
    .connect()
    .unwrap();
    // Before its first start the node has made no tables yet.
    let last = tongxin_node::store::inbound::stream(&mut c, iss.as_str(), "all")
        .ok()
        .flatten()
        .map_or(0, |s| s.last_seq);
    let offers = tongxin_node::store::inbound::effects(&mut c)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "offer.published")
        .map_or(0, |(_, n)| n);
    (last, offers)
}

async fn a_receiver_killed_five_times_applies_10000_messages_exactly_once(postgres: bool) {
    let mut a = street_and_community();
    let db = database(&mut a, "community", postgres);
    let street = a.start("street", None).await;
    let community = a.org("community");
    let (config, port) = process_node_on(&a, community, Some(&db));
    let http = reqwest::Client::new();

    let mut receiver = Proc::start(&config, port);
    let total = 10_000;
    // Small transactions, so that publishing is still under way at every kill.
    let publisher = tokio::spawn(publish_offers_on(street.node.clone(), "断电", total, 20));
    let mut before = 0;
    for round in 0..5 {
        // Each kill lands while the receiver works: it has applied more than before the last
        // kill (not just started), and the stream is still flowing.
        let (progress, _) = eventually(60, "the receiver applies more", || async {
            let now = applied(&db, &street.org_id);
            (now.0 > before).then_some(now)
        })
        .await;
        let wait = u64::from(rand::random::<u16>() % 300);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        receiver.kill9();
        assert!(
            !publisher.is_finished(),
            "round {round}: the stream had ended before the kill; the test would prove nothing"
        );
        eprintln!("round {round}: killed at seq {progress} (+{wait} ms)");
        before = progress;
        receiver = Proc::start(&config, port);
    }
    let titles = publisher.await.unwrap();
    assert_eq!(titles.len(), total);

    let token = eventually(30, "receiver answers", || async {
        login(&http, port).await
    })
    .await;
    let offers = format!("/api/v1/offers?org={}&limit=1", street.org_id);
    eventually(180, "all 10,000 offers applied", || async {
        let v = get(&http, port, &token, &offers).await?;
        (v["total"] == total).then_some(())
    })
    .await;
    // Redelivery, forced: whether a kill left messages applied but not acked is chance, so 200
    // messages already applied come again, byte for byte, as the broker redelivers them.
    let replay = street
        .node
        .store
        .read(|c| tongxin_node::store::outbox::range(c, "all", 1, 200, 200))
        .await
        .unwrap();
    assert_eq!(replay.len(), 200);
    for m in &replay {
        publish_raw(
            &a.vhost,
            street.org_id.as_str(),
            &a.broker_password,
            &m.routing_key,
            m.jws.as_bytes(),
            node_props(&m.jti, &m.kind, Some(street.org_id.as_str())),
        )
        .await
        .unwrap();
    }
    eventually(60, "the 200 seen again as duplicates", || async {
        (metric(&http, port, "tongxin_messages_duplicate_total").await >= 200.0).then_some(())
    })
    .await;
    let streams = get(&http, port, &token, "/api/v1/streams").await.unwrap();
    let all = streams["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["iss"] == street.org_id.as_str() && s["stream"] == "all")
        .cloned()
        .unwrap();
    assert_eq!(
        (all["last_seq"].as_i64(), all["missing"].as_i64()),
        (Some(total as i64), Some(0))
    );
    // Each offer took effect exactly once: a second application would count twice here.
    assert_eq!(applied(&db, &street.org_id), (total as i64, total as i64));
    let received = metric(&http, port, "tongxin_received_messages").await;
    assert_eq!(received as usize, total, "each message recorded once");
    let rejected = get(&http, port, &token, "/api/v1/messages/rejected")
        .await
        .unwrap();
    assert_eq!(rejected["items"], serde_json::json!([]));
    receiver.kill9();
    street.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_five_times_applies_10000_messages_exactly_once_on_sqlite() {
    a_receiver_killed_five_times_applies_10000_messages_exactly_once(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_five_times_applies_10000_messages_exactly_once_on_postgres() {
    a_receiver_killed_five_times_applies_10000_messages_exactly_once(true).await;
}

async fn a_sender_killed_between_commit_and_publish_still_delivers(postgres: bool) {
    let mut a = street_and_community();
    let db = database(&mut a, "street", postgres);
    let community = a.start("community", None).await;
    let street = a.org("street");
    let (config, port) = process_node_on(&a, street, Some(&db));
    let http = reqwest::Client::new();
    let sender = Proc::start(&config, port);
    let ready = || async {
        http.get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    };
    eventually(30, "sender ready", || async { ready().await.then_some(()) }).await;

    // Cut the sender off the broker, so a committed message cannot be published...
    rabbitmqctl(&["change_password", street.id.as_str(), "not-the-password"]);
    assert!(kill_connection(&street.id));
    eventually(15, "sender not ready", || async {
        (!ready().await).then_some(())
    })
    .await;
    let token = login(&http, port).await.unwrap();
    let r = http
        .post(format!("http://127.0.0.1:{port}/api/v1/offers"))
        .bearer_auth(&token)
        .json(&offer_input("提交后、发布前断电"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        get(&http, port, &token, "/api/v1/node").await.unwrap()["outbox_depth"],
        1
    );
    // ...and kill it there.
    sender.kill9();

    rabbitmqctl(&["change_password", street.id.as_str(), &a.broker_password]);
    let sender = Proc::start(&config, port);
    eventually(30, "the offer arrives after the restart", || async {
        (community.get("/api/v1/offers").await["total"] == 1).then_some(())
    })
    .await;
    assert_eq!(
        community.get("/api/v1/offers").await["items"][0]["title"],
        "提交后、发布前断电"
    );
    assert_eq!(
        stream_state(&community, &street.id, "all").await,
        Some((1, 1))
    );
    let applied = community.get("/api/v1/streams").await["applied"].clone();
    assert_eq!(
        applied,
        serde_json::json!([{ "kind": "offer.published", "count": 1 }]),
        "the offer took effect once"
    );
    sender.kill9();
    community.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_between_commit_and_publish_still_delivers_on_sqlite() {
    a_sender_killed_between_commit_and_publish_still_delivers(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_between_commit_and_publish_still_delivers_on_postgres() {
    a_sender_killed_between_commit_and_publish_still_delivers(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_whose_database_is_locked_stops_acking_and_recovers() {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;

    let a = street_and_community();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&street, &community] {
        eventually(10, "ready", || async { n.ready().await.then_some(()) }).await;
    }
    // Another process takes the community's database for longer than its busy timeout.
    let db = a.org("community").dir.join("tongxin.db");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let locker = std::thread::spawn(move || {
        let mut c = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        c.batch_execute("BEGIN EXCLUSIVE").unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(14));
        c.batch_execute("COMMIT").unwrap();
    });
    locked_rx.recv().unwrap();
    let titles = publish_offers(&street, "锁库期间", 200, 20).await;
    // Nothing can be applied, so nothing may be acknowledged: the messages wait in the queue
    // (the broker's queue statistics lag by a few seconds, hence the polling).
    let queue = format!("node.{}", community.org_id);
    eventually(10, "messages waiting in the receiver's queue", || async {
        (queue_messages(&a.vhost, &queue) > 0).then_some(())
    })
    .await;
    assert_eq!(
        offer_titles(&community, &street.org_id).await.len(),
        0,
        "applied through a locked database?"
    );
    locker.join().unwrap();

    assert_offers_arrive(
        &community,
        &street.org_id,
        titles,
        60,
        "all offers after the lock is released",
    )
    .await;
    assert_eq!(
        stream_state(&community, &street.org_id, "all").await,
        Some((200, 200))
    );
    eventually(20, "ready again", || async {
        community.ready().await.then_some(())
    })
    .await;
    street.stop().await;
    community.stop().await;
}

/// A small filesystem of its own (tmpfs), unmounted when dropped.
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(mib: u32) -> SmallDisk {
        let dir = std::env::temp_dir().join(unique("tongxin-disk"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the disk-full test mounts a tmpfs of its own and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { dir }
    }

    /// Fills what is left with a file; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        loop {
            match f.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // Also the last partial block.
        while let Ok(n) = f.write(&block[..512]) {
            if n == 0 {
                break;
            }
        }
        let _ = f.flush();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .output();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_whose_disk_is_full_stops_acking_and_recovers_when_space_returns() {
    let a = street_and_community();
    let disk = SmallDisk::mount(32);
    let street = a.start("street", None).await;
    let db = format!("sqlite://{}", disk.dir.join("tongxin.db").display());
    let community = a.start("community", Some(&db)).await;
    for n in [&street, &community] {
        eventually(10, "ready", || async { n.ready().await.then_some(()) }).await;
    }
    let before = publish_offers(&street, "满盘之前", 10, 10).await;
    eventually(15, "applied while there is space", || async {
        (offer_titles(&community, &street.org_id).await.len() == before.len()).then_some(())
    })
    .await;

    // The disk fills up. SQLite reuses the space its WAL already has, so send enough that it
    // must grow.
    let filler = disk.fill();
    let during = publish_offers(&street, "满盘期间", 3000, 50).await;
    let queue = format!("node.{}", community.org_id);
    eventually(20, "messages wait in the receiver's queue", || async {
        (queue_messages(&a.vhost, &queue) > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stuck = offer_titles(&community, &street.org_id).await.len();
    assert!(
        stuck < before.len() + during.len(),
        "everything was applied on a full disk; the test would prove nothing"
    );
    assert!(
        queue_messages(&a.vhost, &queue) > 0,
        "messages were acknowledged but not applied"
    );
    eprintln!(
        "disk full: {} of {} applied, the rest waiting in the queue",
        stuck - before.len(),
        during.len()
    );
    // The node still answers reads.
    assert_eq!(
        community.get("/api/v1/node").await["org_id"],
        community.org_id.as_str()
    );

    // Space returns: everything arrives, once, in order.
    std::fs::remove_file(filler).unwrap();
    let sent = [before, during].concat();
    let total = sent.len() as i64;
    assert_offers_arrive(
        &community,
        &street.org_id,
        sent,
        120,
        "all offers once there is space again",
    )
    .await;
    assert_eq!(
        stream_state(&community, &street.org_id, "all").await,
        Some((total, total))
    );
    assert_eq!(
        received_count(&community).await,
        total,
        "each message recorded once"
    );
    eventually(20, "ready again", || async {
        community.ready().await.then_some(())
    })
    .await;
    street.stop().await;
    community.stop().await;
    drop(disk);
}
