//! Three nodes of different kinds exchange offers, needs and claims over the real broker.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_tests::*;

fn district() -> Alliance {
    Alliance::new(&[
        ("street", OrgKind::Street, "学院南路街道党工委", None),
        (
            "community",
            OrgKind::Community,
            "友谊南里社区大党委",
            Some("street"),
        ),
        ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
    ])
}

async fn offers_at(n: &RunningNode, q: &str) -> Value {
    n.get(&format!("/api/v1/offers?{q}")).await
}

async fn offers_need_claims_flow(db: Option<&str>, a: &Alliance) {
    let street = a.start("street", None).await;
    let community = a.start("community", db).await;
    let loue = a.start("loue", None).await;
    for n in [&street, &community, &loue] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }

    // An offer published at the building alliance appears at the other two.
    let offer = loue
        .ok_post("/api/v1/offers", offer_input("楼宇共享会议室"))
        .await;
    let offer_id = offer["id"].as_str().unwrap().to_owned();
    for n in [&street, &community] {
        let got = eventually(10, "offer to arrive", || async {
            let v = offers_at(n, "category=venue").await;
            (v["total"] == 1).then_some(v)
        })
        .await;
        assert_eq!(got["items"][0]["title"], "楼宇共享会议室");
        assert_eq!(got["items"][0]["org_id"], loue.org_id.as_str());
        assert_eq!(got["items"][0]["org_kind"], "building-alliance");
    }
    // Filters: kind of org and text.
    assert_eq!(offers_at(&community, "org_kind=street").await["total"], 0);
    assert_eq!(offers_at(&community, "q=会议室").await["total"], 1);
    assert_eq!(offers_at(&community, "q=食堂").await["total"], 0);

    // The community publishes a micro-wish; the building alliance claims it with its offer.
    let need = community
        .ok_post("/api/v1/needs", json!({ "title": "独居老人需要每周陪伴", "level": "grid", "micro_wish": "elderly-living-alone", "wanted": "volunteer-skill" }))
        .await;
    let need_id = need["id"].as_str().unwrap().to_owned();
    let path = "/api/v1/needs?micro_wish=true";
    eventually(10, "need to reach the building alliance", || async {
        (loue.get(path).await["total"] == 1).then_some(())
    })
    .await;
    let claim = loue
        .ok_post(
            &format!("/api/v1/needs/{}/{need_id}/claims", community.org_id),
            json!({ "offer_id": offer_id, "note": "每周六上午" }),
        )
        .await;
    let claim_id = claim["claim_id"].as_str().unwrap().to_owned();

    // The owner sees the claim, accepts it; the claimant sees the decision.
    eventually(10, "claim to reach the community", || async {
        let v = community.get("/api/v1/claims").await;
        (v["items"].as_array().unwrap().len() == 1).then_some(())
    })
    .await;
    community
        .ok_post(
            &format!("/api/v1/claims/{}/{claim_id}/decision", loue.org_id),
            json!({ "accepted": true }),
        )
        .await;
    eventually(10, "decision to reach the claimant", || async {
        let v = loue.get("/api/v1/claims").await;
        (v["items"][0]["status"] == "accepted").then_some(())
    })
    .await;

    // Fulfilled: everyone sees it.
    community
        .ok_post(
            &format!("/api/v1/needs/{need_id}/fulfil"),
            json!({ "claim_id": claim_id, "summary": "已完成" }),
        )
        .await;
    for n in [&street, &loue] {
        eventually(10, "fulfilment to arrive", || async {
            let v = n.get("/api/v1/needs").await;
            (v["items"][0]["status"] == "fulfilled").then_some(())
        })
        .await;
    }

    // 大事不出村居、难事不出镇街: a need the community hands to its street.
    let hard = community
        .ok_post(
            "/api/v1/needs",
            json!({ "title": "老旧小区加装电梯协调", "level": "community" }),
        )
        .await;
    let hard_id = hard["id"].as_str().unwrap().to_owned();
    let escalated = community
        .ok_post(
            &format!("/api/v1/needs/{hard_id}/escalate"),
            json!({ "reason": "需要街道协调" }),
        )
        .await;
    assert_eq!(escalated["to_org"], street.org_id.as_str());
    eventually(10, "escalation at the street", || async {
        let v = street.get("/api/v1/needs?level=street").await;
        (v["total"] == 1 && v["items"][0]["responsible_org"] == street.org_id.as_str())
            .then_some(())
    })
    .await;

    // Withdrawn offers are seen as withdrawn.
    loue.ok_post(
        &format!("/api/v1/offers/{offer_id}/withdraw"),
        json!({ "reason": "装修" }),
    )
    .await;
    eventually(10, "withdrawal to arrive", || async {
        (offers_at(&street, "status=withdrawn").await["total"] == 1).then_some(())
    })
    .await;

    // Nothing was rejected on the way, and stream health shows no gap.
    for n in [&street, &community, &loue] {
        assert_eq!(n.get("/api/v1/messages/rejected").await["items"], json!([]));
        let s = n.get("/api/v1/streams").await;
        assert!(
            s["incoming"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["missing"] == 0),
            "{s}"
        );
    }
    for n in [street, community, loue] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_offers_needs_and_claims_sqlite() {
    let a = district();
    offers_need_claims_flow(None, &a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_with_the_community_on_postgres() {
    let mut a = district();
    let db = a.postgres_db();
    offers_need_claims_flow(Some(&db), &a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authority_broadcasts_a_new_roster_and_revocations() {
    let mut a = Alliance::new(&[
        ("zzb", OrgKind::OrgDepartment, "区委组织部", None),
        ("community", OrgKind::Community, "友谊南里社区大党委", None),
        (
            "newcomer",
            OrgKind::NewEmployment,
            "户外工作者流动党员党支部",
            None,
        ),
    ]);
    // The community starts with a roster that does not list the newcomer.
    a.write_roster(|o| !o.id.as_str().starts_with("newcomer-"));
    let community = a.start("community", None).await;
    let first = community.get("/api/v1/orgs").await;
    assert_eq!(first["orgs"].as_array().unwrap().len(), 2);
    // The authority's node starts with roster 2 (everyone) and a CRL revoking nobody.
    a.write_roster(|_| true);
    let zzb = a.start("zzb", None).await;
    eventually(15, "the newer roster at the community", || async {
        let v = community.get("/api/v1/orgs").await;
        (v["serial"].as_u64() > first["serial"].as_u64()
            && v["orgs"].as_array().unwrap().len() == 3)
            .then_some(())
    })
    .await;
    // The newcomer's offers are now accepted.
    let newcomer = a.start("newcomer", None).await;
    newcomer
        .ok_post("/api/v1/offers", offer_input("骑手爱心驿站"))
        .await;
    eventually(15, "newcomer's offer", || async {
        (community.get("/api/v1/offers").await["total"] == 1).then_some(())
    })
    .await;
    // Revoke the newcomer: the authority restarts with the new CRL and announces it.
    zzb.stop().await;
    a.write_crl(&[a.org("newcomer")]);
    let zzb = a.start("zzb", None).await;
    eventually(15, "CRL at the community", || async {
        (community.get("/api/v1/node").await["revoked_certificates"] == 1).then_some(())
    })
    .await;
    // Its own node now refuses its tokens too; a rogue copy would still send, so send directly.
    publish_offers(&newcomer, "吊销之后", 1, 1).await;
    eventually(15, "refused as revoked", || async {
        let r = community.get("/api/v1/messages/rejected").await;
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "revoked")
            .then_some(())
    })
    .await;
    assert_eq!(community.get("/api/v1/offers").await["total"], 1);
    for n in [zzb, community, newcomer] {
        n.stop().await;
    }
}
