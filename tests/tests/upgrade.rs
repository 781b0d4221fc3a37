//! An alliance with an older node and a newer one loses nothing across the upgrade
//! (PROTOCOL.md §7.8): a kind a node does not act on yet is kept, and applied in order once
//! the node acts on it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::Value;
use tongxin_node::config::Config;
use tongxin_schema::OrgKind;
use tongxin_schema::v1::Kind;
use tongxin_tests::*;

async fn total(n: &RunningNode, q: &str) -> i64 {
    n.get(&format!("/api/v1/offers?{q}")).await["total"]
        .as_i64()
        .unwrap()
}

async fn deferred(n: &RunningNode) -> Vec<(String, i64)> {
    let v: Value = n.get("/api/v1/streams").await;
    v["deferred"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_keeps_kinds_it_does_not_act_on_and_applies_them_after_the_upgrade() {
    let a = street_and_community();
    let street = a.start("street", None).await;
    // The community runs an "older" node: one that does not act on offers yet.
    let org = a.org("community");
    let mut cfg = Config::load(&a.config(org, None)).unwrap();
    cfg.exchange.defer_kinds = vec![Kind::OfferPublished, Kind::OfferWithdrawn];
    let old = start_node(org.id.clone(), cfg).await;
    for n in [&street, &old] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }

    let mut ids = Vec::new();
    for title in ["助老食堂", "共享会议室", "法律咨询"] {
        let o = street.ok_post("/api/v1/offers", offer_input(title)).await;
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    street
        .ok_post(
            &format!("/api/v1/offers/{}/withdraw", ids[1]),
            serde_json::json!({ "reason": "装修" }),
        )
        .await;

    // All four messages arrived and consumed their sequence numbers ...
    eventually(10, "the old node to take all four messages", || async {
        (stream_state(&old, &street.org_id, "all").await == Some((4, 4))).then_some(())
    })
    .await;
    // ... but the old node did not act on them: it kept them.
    let from_street = format!("org={}", street.org_id);
    assert_eq!(total(&old, &from_street).await, 0);
    assert_eq!(
        deferred(&old).await,
        vec![
            ("offer.published".to_owned(), 3),
            ("offer.withdrawn".to_owned(), 1)
        ]
    );
    old.stop().await;

    // The upgraded node, on the same database, acts on offers: what it kept is applied, in
    // order (the withdrawal after its offer), and nothing is left over or refused.
    let new = a.start("community", None).await;
    assert_eq!(total(&new, &from_street).await, 3);
    assert_eq!(
        total(&new, &format!("{from_street}&status=withdrawn")).await,
        1
    );
    let withdrawn = new
        .get(&format!("/api/v1/offers?{from_street}&status=withdrawn"))
        .await;
    assert_eq!(withdrawn["items"][0]["id"], ids[1].as_str());
    assert_eq!(withdrawn["items"][0]["status_note"], "装修");
    assert!(deferred(&new).await.is_empty());
    let rejected = new.get("/api/v1/messages/rejected").await;
    assert_eq!(rejected["items"].as_array().unwrap().len(), 0, "{rejected}");

    // And what follows the upgrade is applied on top, in the same stream.
    street.ok_post("/api/v1/offers", offer_input("理发")).await;
    eventually(10, "the next offer", || async {
        (total(&new, &from_street).await == 4).then_some(())
    })
    .await;
    new.stop().await;
    street.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_not_reading_reports_yet_keeps_them_and_reads_them_after_the_upgrade() {
    let a = Alliance::new(&[
        ("dept", OrgKind::OrgDepartment, "区委组织部", None),
        ("community", OrgKind::Community, "友谊南里社区大党委", None),
    ]);
    // The department runs an "older" node: one that does not read participation reports.
    let org = a.org("dept");
    let mut cfg = Config::load(&a.config(org, None)).unwrap();
    cfg.exchange.defer_kinds = vec![Kind::ParticipationReported];
    let old = start_node(org.id.clone(), cfg).await;
    // The community sends yesterday's and last month's reports of both sides by itself.
    let community = a.start("community", None).await;
    for n in [&old, &community] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let direct = format!("org.{}", old.org_id);
    eventually(15, "the four reports to arrive", || async {
        (stream_state(&old, &community.org_id, &direct).await == Some((4, 4))).then_some(())
    })
    .await;
    assert_eq!(
        deferred(&old).await,
        vec![("participation.reported".to_owned(), 4)]
    );
    old.stop().await;

    // The upgraded department reads them, in order: yesterday's figures are there.
    let new = a.start("dept", None).await;
    assert!(deferred(&new).await.is_empty());
    let hash = tongxin_node::http::auth::hash_password("审核人员的密码").unwrap();
    new.node
        .store
        .write(move |c| tongxin_node::store::users::put(c, "au", &hash, "auditor", 0))
        .await
        .unwrap();
    let auditor = new.login("au", "审核人员的密码").await;
    let (start, _) = tongxin_schema::period::previous(
        tongxin_schema::v1::bodies::ReportPeriod::Day,
        now() - tongxin_node::domain::participation::SETTLE_SECS,
    );
    let day = tongxin_schema::period::label(tongxin_schema::v1::bodies::ReportPeriod::Day, start);
    let (s, d) = as_member(
        &new,
        &auditor,
        "GET",
        &format!("/api/v1/participation?period=day&at={day}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["summary"]["reported_home"], 1, "{d}");
    assert_eq!(d["summary"]["reported_host"], 1, "{d}");
    let rejected = new.get("/api/v1/messages/rejected").await;
    assert_eq!(rejected["items"].as_array().unwrap().len(), 0, "{rejected}");
    community.stop().await;
    new.stop().await;
}
