//! Nothing lost, nothing applied twice: a node offline while others publish, and broker
//! connections dropped mid-stream.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use tongxin_tests::*;

async fn outbox_depth(n: &RunningNode) -> i64 {
    n.node
        .store
        .read(tongxin_node::store::outbox::depth)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_node_catches_up_on_10000_messages_and_gets_a_dropped_one_re_sent_on_sqlite() {
    an_offline_node_catches_up_on_10000_messages_and_gets_a_dropped_one_re_sent(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_node_catches_up_on_10000_messages_and_gets_a_dropped_one_re_sent_on_postgres() {
    an_offline_node_catches_up_on_10000_messages_and_gets_a_dropped_one_re_sent(true).await;
}

/// The offline community's database is SQLite or PostgreSQL.
async fn an_offline_node_catches_up_on_10000_messages_and_gets_a_dropped_one_re_sent(
    postgres: bool,
) {
    let mut a = trio();
    let db = postgres.then(|| a.postgres_db());
    let street = a.start("street", None).await;
    let loue = a.start("loue", None).await;
    let community = a.start("community", db.as_deref()).await;
    eventually(10, "community ready", || async {
        community.ready().await.then_some(())
    })
    .await;
    community.stop().await;
    let community_id = a.org("community").id.clone();
    let queue = format!("node.{community_id}");

    // The first direct message to the offline node is lost in the broker: taken off its queue
    // (with the community's own broker login, as a broken consumer would) and thrown away.
    send_checkins(&street, &community_id, 1, 1).await;
    eventually(15, "the first check-in published", || async {
        (outbox_depth(&street).await == 0).then_some(())
    })
    .await;
    let dropped = drop_first_of_kind(
        &a.vhost,
        community_id.as_str(),
        &a.broker_password,
        &queue,
        "checkin.attested",
    )
    .await;
    eprintln!("dropped the first check-in (and {dropped} node.hello before it)");

    // 10,000 messages in all while it is offline: broadcasts from two senders, direct ones
    // from one.
    let (from_street, from_loue, _) = tokio::join!(
        publish_offers(&street, "街道", 3000, 50),
        publish_offers(&loue, "楼宇", 5000, 50),
        send_checkins(&street, &community_id, 1999, 50),
    );
    eventually(60, "outboxes drained", || async {
        (outbox_depth(&street).await == 0 && outbox_depth(&loue).await == 0).then_some(())
    })
    .await;
    let waiting = eventually(
        15,
        "the messages wait in the offline node's queue",
        || async {
            let n = queue_messages(&a.vhost, &queue);
            (n >= 9999).then_some(n)
        },
    )
    .await;
    eprintln!("{waiting} messages waiting");

    let community = a.start("community", db.as_deref()).await;
    let direct = format!("org.{community_id}");
    eventually(180, "caught up, the dropped check-in re-sent", || async {
        let s = stream_state(&community, &street.org_id, "all").await;
        let l = stream_state(&community, &loue.org_id, "all").await;
        let d = stream_state(&community, &street.org_id, &direct).await;
        (s == Some((3000, 3000)) && l == Some((5000, 5000)) && d == Some((2000, 2000)))
            .then_some(())
    })
    .await;
    for (sender, titles) in [(&street, &from_street), (&loue, &from_loue)] {
        let mut expected = titles.clone();
        expected.sort();
        assert_eq!(
            offer_titles(&community, &sender.org_id).await,
            expected,
            "content from {}",
            sender.org_id
        );
    }
    let received = received_count(&community).await;
    assert_eq!(received, 10_000, "each message recorded once");
    // Each offer took effect once; the check-ins are kept for later (PROTOCOL.md §7.8).
    assert_eq!(applied_effects(&community, "offer.published").await, 8000);
    assert!(
        community.node.metrics.get(
            "tongxin_sync_requests_sent_total",
            &format!("peer=\"{}\"", street.org_id)
        ) >= 1,
        "the gap was closed through sync.requested"
    );
    assert!(
        street.node.metrics.get(
            "tongxin_resent_total",
            &format!("peer=\"{}\"", community_id)
        ) >= 1
    );
    assert_eq!(
        community.get("/api/v1/messages/rejected").await["items"],
        serde_json::json!([])
    );
    for n in [street, loue, community] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_broker_connections_lose_and_duplicate_nothing() {
    let a = trio();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&street, &community] {
        eventually(10, "ready", || async { n.ready().await.then_some(()) }).await;
    }
    let killer = {
        let (s, c) = (street.org_id.clone(), community.org_id.clone());
        tokio::spawn(async move {
            let mut kills = 0;
            for round in 0..4 {
                tokio::time::sleep(std::time::Duration::from_millis(700)).await;
                // Alternate: the receiver's connection, then the sender's.
                if kill_connection(if round % 2 == 0 { &c } else { &s }) {
                    kills += 1;
                }
            }
            kills
        })
    };
    let titles = publish_offers(&street, "断线", 2000, 20).await;
    let kills = killer.await.unwrap();
    assert!(
        kills >= 2,
        "the test must actually drop connections (dropped {kills})"
    );

    assert_offers_arrive(
        &community,
        &street.org_id,
        titles,
        60,
        "all 2000 offers after reconnects",
    )
    .await;
    assert_eq!(
        stream_state(&community, &street.org_id, "all").await,
        Some((2000, 2000))
    );
    assert_eq!(received_count(&community).await, 2000);
    assert_eq!(
        applied_effects(&community, "offer.published").await,
        2000,
        "each offer took effect once"
    );
    assert_eq!(rejected_codes(&community).await, Vec::<String>::new());
    eventually(20, "ready again", || async {
        (community.ready().await && street.ready().await).then_some(())
    })
    .await;
    let reconnects = community
        .node
        .metrics
        .get("tongxin_broker_reconnects_total", "");
    assert!(reconnects >= 2, "community reconnected {reconnects} times");
    for n in [street, community] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_message_is_asked_for_and_re_sent() {
    let a = trio();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&street, &community] {
        eventually(10, "ready", || async { n.ready().await.then_some(()) }).await;
    }
    // Message 1 is written and marked sent without reaching the broker: lost in transit.
    let lost = {
        let s = street.node.clone();
        street
            .node
            .store
            .write(move |c| {
                let (m, _) = tongxin_node::store::outbox::enqueue(
                    c,
                    &s.signer,
                    s.clock.now_ms(),
                    tongxin_schema::Audience::All,
                    tongxin_schema::vectors::sample_offer(),
                )?;
                let ids: Vec<i64> = tongxin_node::store::outbox::unsent(c, 0, 10)?
                    .iter()
                    .map(|r| r.id)
                    .collect();
                tongxin_node::store::outbox::mark_sent(c, &ids, s.clock.now_ms())?;
                Ok(m)
            })
            .await
            .unwrap()
    };
    assert_eq!(lost.seq, 1);
    publish_offers(&street, "之后", 2, 1).await;
    // The community holds 2 and 3, asks for 1, gets it, applies all three in order.
    eventually(20, "gap closed", || async {
        (stream_state(&community, &street.org_id, "all").await == Some((3, 3))).then_some(())
    })
    .await;
    let titles = offer_titles(&community, &street.org_id).await;
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(titles.contains(&"便民驿站 共享会议室".to_owned()));
    assert!(
        community.node.metrics.get(
            "tongxin_sync_requests_sent_total",
            &format!("peer=\"{}\"", street.org_id)
        ) >= 1
    );
    assert!(
        street.node.metrics.get(
            "tongxin_resent_total",
            &format!("peer=\"{}\"", community.org_id)
        ) >= 1
    );
    for n in [street, community] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_last_message_is_found_through_hello() {
    let a = trio();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&street, &community] {
        eventually(10, "ready", || async { n.ready().await.then_some(()) }).await;
    }
    publish_offers(&street, "之前", 1, 1).await;
    eventually(10, "first applied", || async {
        (stream_state(&community, &street.org_id, "all").await == Some((1, 1))).then_some(())
    })
    .await;
    // The last message is lost: no later message reveals the gap, node.hello does.
    let s = street.node.clone();
    street
        .node
        .store
        .write(move |c| {
            tongxin_node::store::outbox::enqueue(
                c,
                &s.signer,
                s.clock.now_ms(),
                tongxin_schema::Audience::All,
                tongxin_schema::vectors::sample_offer(),
            )?;
            let ids: Vec<i64> = tongxin_node::store::outbox::unsent(c, 0, 10)?
                .iter()
                .map(|r| r.id)
                .collect();
            tongxin_node::store::outbox::mark_sent(c, &ids, s.clock.now_ms())
        })
        .await
        .unwrap();
    eventually(20, "tail gap closed", || async {
        (stream_state(&community, &street.org_id, "all").await == Some((2, 2))).then_some(())
    })
    .await;
    assert_eq!(offer_titles(&community, &street.org_id).await.len(), 2);
    for n in [street, community] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_broker_a_node_serves_queues_writes_and_recovers_by_itself() {
    let a = trio();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&street, &community] {
        eventually(10, "ready", || async { n.ready().await.then_some(()) }).await;
    }
    // Lock the street out of the broker: its connection dies and reconnecting fails.
    rabbitmqctl(&[
        "change_password",
        street.org_id.as_str(),
        "not-the-password",
    ]);
    assert!(kill_connection(&street.org_id));
    eventually(15, "street not ready", || async {
        (!street.ready().await).then_some(())
    })
    .await;
    let r = street.http.get(street.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({ "database": true, "broker": false })
    );

    // Still serving, still accepting writes, which wait in the outbox.
    street
        .ok_post("/api/v1/offers", offer_input("断网期间发布"))
        .await;
    assert_eq!(street.get("/api/v1/node").await["outbox_depth"], 1);
    assert_eq!(street.get("/api/v1/offers").await["total"], 1);

    // The broker lets it in again: it reconnects by itself and the offer goes out.
    rabbitmqctl(&[
        "change_password",
        street.org_id.as_str(),
        &a.broker_password,
    ]);
    eventually(20, "street ready again", || async {
        street.ready().await.then_some(())
    })
    .await;
    eventually(20, "offer delivered", || async {
        (community.get("/api/v1/offers").await["total"] == 1).then_some(())
    })
    .await;
    assert_eq!(street.get("/api/v1/node").await["outbox_depth"], 0);
    for n in [street, community] {
        n.stop().await;
    }
}
