//! The rules of claims and escalations (PROTOCOL.md §6.2), kept both by the node that acts and
//! by the node that receives: one standing claim per organisation and need, a claim's offer is
//! the claimant's own, an escalation goes up once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_tests::*;

/// Sends a `need.claimed` from `from` to `to`, bypassing `from`'s own checks.
async fn raw_claim(from: &RunningNode, to: &RunningNode, need_id: &str, offer_id: Option<&str>) {
    let body = tongxin_schema::v1::bodies::NeedClaimed {
        claim_id: uuid::Uuid::now_v7(),
        need_id: need_id.parse().unwrap(),
        offer_id: offer_id.map(|o| o.parse().unwrap()),
        note: None,
        member: None,
        display_name: None,
    };
    send_unchecked(from, to, body).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_and_escalations_follow_the_rules_at_both_ends() {
    let a = street_and_community();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&street, &community] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let need = community
        .ok_post(
            "/api/v1/needs",
            json!({ "title": "楼道照明维修", "level": "community" }),
        )
        .await;
    let need_id = need["id"].as_str().unwrap().to_owned();
    let community_offer = community
        .ok_post("/api/v1/offers", offer_input("社区活动室"))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually(10, "need and offer at the street", || async {
        let needs: Value = street.get("/api/v1/needs").await;
        let offers: Value = street.get("/api/v1/offers").await;
        (needs["total"] == 1 && offers["total"] == 1).then_some(())
    })
    .await;

    // One standing claim per organisation and need: the second is refused where it is made.
    let claims = format!("/api/v1/needs/{}/{need_id}/claims", community.org_id);
    street.ok_post(&claims, json!({ "note": "我们来" })).await;
    let (status, body) = street.post(&claims, json!({ "note": "再来一次" })).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        street.get("/api/v1/claims").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    eventually(10, "the claim at the community", || async {
        (community.get("/api/v1/claims").await["items"]
            .as_array()
            .unwrap()
            .len()
            == 1)
            .then_some(())
    })
    .await;

    // The same, sent anyway (with or without an offer), is refused where it arrives.
    raw_claim(&street, &community, &need_id, None).await;
    raw_claim(&street, &community, &need_id, Some(&community_offer)).await;
    eventually(10, "both refused at the community", || async {
        (rejected_codes(&community).await.len() == 2).then_some(())
    })
    .await;
    let codes = rejected_codes(&community).await;
    assert!(codes.iter().all(|c| c == "duplicate_claim"), "{codes:?}");
    assert_eq!(
        community.get("/api/v1/claims").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing applied"
    );

    // A claim naming another organisation's offer, on a need the claimant has not claimed
    // yet: refused as not the claimant's offer.
    let second = community
        .ok_post(
            "/api/v1/needs",
            json!({ "title": "独居老人陪伴", "level": "grid" }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually(10, "the second need at the street", || async {
        (street.get("/api/v1/needs").await["total"] == 2).then_some(())
    })
    .await;
    raw_claim(&street, &community, &second, Some(&community_offer)).await;
    eventually(10, "refused as not the street's offer", || async {
        rejected_codes(&community)
            .await
            .contains(&"not_owner".to_owned())
            .then_some(())
    })
    .await;

    // An escalation goes up once: a second one is refused, and the first reason stays.
    let escalate = format!("/api/v1/needs/{need_id}/escalate");
    community
        .ok_post(&escalate, json!({ "reason": "涉及多个社区" }))
        .await;
    let (status, body) = community.post(&escalate, json!({ "reason": "覆盖" })).await;
    assert_eq!(status, 409, "{body}");
    let at_home = community.get("/api/v1/needs?level=street").await;
    assert_eq!(at_home["items"][0]["status_note"], "涉及多个社区");
    eventually(10, "the escalation at the street", || async {
        (street.get("/api/v1/needs?level=street").await["total"] == 1).then_some(())
    })
    .await;
    community.stop().await;
    street.stop().await;
}
