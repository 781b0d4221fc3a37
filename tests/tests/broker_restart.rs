//! The broker itself goes down mid-stream (`rabbitmqctl stop_app`, later `start_app`) and the
//! nodes recover by themselves: nothing lost, nothing applied twice. The test stops only its own
//! RabbitMQ instance (own node name, ports and data directory), never the shared one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::time::Duration;

use tongxin_node::config::Config;
use tongxin_tests::broker::{Broker, start_on};
use tongxin_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_recover_by_themselves_when_the_broker_stops_and_starts_mid_stream_on_sqlite() {
    nodes_recover_by_themselves_when_the_broker_stops_and_starts_mid_stream(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_recover_by_themselves_when_the_broker_stops_and_starts_mid_stream_on_postgres() {
    nodes_recover_by_themselves_when_the_broker_stops_and_starts_mid_stream(true).await;
}

/// The receiving community's database is SQLite or PostgreSQL.
async fn nodes_recover_by_themselves_when_the_broker_stops_and_starts_mid_stream(postgres: bool) {
    let mut a = street_and_community();
    let db = postgres.then(|| a.postgres_db());
    let broker = Broker::start(&a, if postgres { "restart-pg" } else { "restart" });
    broker.admit(&a, &["street", "community"]);
    let url = broker.node_url(&a.vhost);
    let street = start_on(&a, "street", &url).await;
    let community = {
        let org = a.org("community");
        let mut cfg = Config::load(&a.config(org, db.as_deref())).unwrap();
        cfg.broker.url = url.clone().into();
        start_node(org.id.clone(), cfg).await
    };
    for n in [&street, &community] {
        eventually(15, "ready on the private broker", || async {
            n.ready().await.then_some(())
        })
        .await;
    }

    let total = 3000;
    let publisher = tokio::spawn(publish_offers_on(street.node.clone(), "停机", total, 10));
    // Mid-stream: some messages applied, the rest still to come.
    eventually(30, "the stream has started", || async {
        stream_state(&community, &street.org_id, "all")
            .await
            .is_some_and(|(last, _)| last > 0)
            .then_some(())
    })
    .await;
    broker.ctl(&["stop_app"]);
    let applied_at_stop = stream_state(&community, &street.org_id, "all")
        .await
        .unwrap()
        .0;
    assert!(
        applied_at_stop < total as i64,
        "everything was applied before the broker stopped; the test would prove nothing"
    );
    eventually(15, "both nodes notice the broker is gone", || async {
        (!street.ready().await && !community.ready().await).then_some(())
    })
    .await;
    // Writes go on while the broker is down: they wait in the outbox.
    let titles = publisher.await.unwrap();
    assert_eq!(titles.len(), total);
    tokio::time::sleep(Duration::from_secs(2)).await;

    broker.ctl(&["start_app"]);
    eventually(30, "both ready again without help", || async {
        (street.ready().await && community.ready().await).then_some(())
    })
    .await;
    assert_offers_arrive(
        &community,
        &street.org_id,
        titles,
        90,
        "all offers after the restart",
    )
    .await;
    assert_eq!(
        stream_state(&community, &street.org_id, "all").await,
        Some((total as i64, total as i64))
    );
    assert_eq!(
        received_count(&community).await,
        total as i64,
        "each message recorded once"
    );
    assert_eq!(
        applied_effects(&community, "offer.published").await,
        total as i64,
        "each offer took effect once"
    );
    assert_eq!(
        community.get("/api/v1/messages/rejected").await["items"],
        serde_json::json!([])
    );
    for n in [&street, &community] {
        assert!(
            n.node.metrics.get("tongxin_broker_reconnects_total", "") >= 1,
            "{} did not reconnect",
            n.org_id
        );
    }
    eventually(15, "the sender's outbox drained", || async {
        (street
            .node
            .store
            .read(tongxin_node::store::outbox::depth)
            .await
            .unwrap()
            == 0)
            .then_some(())
    })
    .await;
    street.stop().await;
    community.stop().await;
}
