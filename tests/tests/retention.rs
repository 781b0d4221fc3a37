//! Retention (deploy/README.md, "Retention"): the record of received and refused messages
//! older than `retention.days` leaves the database, but only once its days are archived; an old
//! message delivered again is still a duplicate, not a conflict; and a day cut from the
//! database is never archived again (the archive would lack what was cut).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use tongxin_node::app::Application;
use tongxin_node::clock::Clock;
use tongxin_node::config::Config;
use tongxin_node::store::schema::{received, rejected};
use tongxin_schema::OrgKind;
use tongxin_schema::period;
use tongxin_schema::v1::bodies::ReportPeriod;
use tongxin_tests::*;

async fn counts(node: &RunningNode) -> (i64, i64) {
    use diesel::prelude::*;
    node.node
        .store
        .read(|c| {
            Ok((
                received::table.count().get_result::<i64>(c)?,
                rejected::table.count().get_result::<i64>(c)?,
            ))
        })
        .await
        .unwrap()
}

async fn the_record_past_retention_goes_once_archived(postgres: bool) {
    let now_s = now();
    // Day 0 starts five Beijing days ago: days 0 to 3 are over whenever the test runs.
    let (t0, _) = period::bounds(ReportPeriod::Day, now_s - 5 * 86_400);
    let mut a = Alliance::with_certificates_from(
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
        t0 - 86_400,
    );
    let db = postgres.then(|| a.postgres_db());
    let clock = Clock::manual((t0 + 3600) * 1000);
    let street = a.start_with_clock("street", clock.clone()).await;
    let org = a.org("community");
    let mut cfg = Config::load(&a.config(org, db.as_deref())).unwrap();
    cfg.retention.days = 1;
    let community = start_app(
        org.id.clone(),
        Application::build_with_clock(cfg, clock.clone()).unwrap(),
    )
    .await;
    let (before_received, _) = counts(&community).await;

    // Day 0: ten offers, and a delivery the community refuses.
    publish_offers(&street, "第一天", 10, 5).await;
    eventually(30, "day 0 applied", || async {
        (stream_state(&community, &street.org_id, "all").await == Some((10, 10))).then_some(())
    })
    .await;
    publish_raw(
        &a.vhost,
        street.org_id.as_str(),
        &a.broker_password,
        &format!("org.{}.offer.published", community.org_id),
        b"not a JWS",
        node_props("x", "offer.published", Some(street.org_id.as_str())),
    )
    .await
    .unwrap();
    eventually(30, "the refusal recorded", || async {
        (counts(&community).await.1 == 1).then_some(())
    })
    .await;
    // Day 2: five more.
    clock.set_ms((t0 + 2 * 86_400 + 3600) * 1000);
    publish_offers(&street, "第三天", 5, 5).await;
    eventually(30, "day 2 applied", || async {
        (stream_state(&community, &street.org_id, "all").await == Some((15, 15))).then_some(())
    })
    .await;
    assert_eq!(counts(&community).await, (before_received + 15, 1));

    // Day 3, with one day of retention: days 0 and 1 may go, but only once archived.
    let now = t0 + 3 * 86_400 + 3600;
    clock.set_ms(now * 1000);
    let dir = tongxin_node::archive::dir(&community.node.cfg.data_dir);
    let mut conn = community.node.store.target.connect().unwrap();
    let nothing = tongxin_node::retention::prune(&mut conn, &dir, 1, now).unwrap();
    assert_eq!(
        (nothing.received, nothing.rejected),
        (0, 0),
        "nothing is cut before its day is archived"
    );
    let written =
        tongxin_node::archive::write_missing(&mut conn, &community.node.signer, &dir, now).unwrap();
    assert!(written.len() >= 3, "days 0 to 2 archived: {written:?}");
    let pruned = tongxin_node::retention::prune(&mut conn, &dir, 1, now).unwrap();
    assert_eq!(pruned.before_ms, (t0 + 2 * 86_400) * 1000);
    assert_eq!(
        (pruned.received, pruned.rejected),
        (before_received as u64 + 10, 1),
        "day 0's ten offers and the refusal are cut; day 2's five stay"
    );
    assert_eq!(counts(&community).await, (5, 0));
    let st = tongxin_node::store::inbound::stream(&mut conn, street.org_id.as_str(), "all")
        .unwrap()
        .unwrap();
    assert_eq!(st.pruned_through, 10);
    // The offers themselves are state, not record: all fifteen are still listed.
    assert_eq!(offer_titles(&community, &street.org_id).await.len(), 15);

    // A message cut from the record, delivered again: a duplicate, acknowledged, no refusal.
    let old = street
        .node
        .store
        .read(|c| tongxin_node::store::outbox::range(c, "all", 3, 3, 1))
        .await
        .unwrap();
    let duplicates = || {
        community
            .node
            .metrics
            .get("tongxin_messages_duplicate_total", "")
    };
    let dup_before = duplicates();
    publish_raw(
        &a.vhost,
        street.org_id.as_str(),
        &a.broker_password,
        &old[0].routing_key,
        old[0].jws.as_bytes(),
        node_props(&old[0].jti, &old[0].kind, Some(street.org_id.as_str())),
    )
    .await
    .unwrap();
    eventually(30, "the old message is taken for a duplicate", || async {
        (duplicates() > dup_before).then_some(())
    })
    .await;
    assert_eq!(counts(&community).await.1, 0, "no refusal recorded");
    publish_offers(&street, "第四天", 1, 1).await;
    eventually(30, "the stream goes on", || async {
        (stream_state(&community, &street.org_id, "all").await == Some((16, 16))).then_some(())
    })
    .await;

    // A day cut from the record is not archived again, even if its file is lost.
    let day0 = tongxin_node::archive::path_of(&dir, &period::label(ReportPeriod::Day, t0));
    std::fs::remove_file(&day0).unwrap();
    tongxin_node::archive::write_missing(&mut conn, &community.node.signer, &dir, now).unwrap();
    assert!(!day0.exists(), "a pruned day's archive was written again");
    drop(conn);
    street.stop().await;
    community.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_record_past_retention_goes_once_archived() {
    the_record_past_retention_goes_once_archived(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_record_past_retention_goes_once_archived() {
    the_record_past_retention_goes_once_archived(true).await;
}
