//! Co-building agreements (单位报到, 共建协议) between real nodes: a co-building unit proposes
//! to a community, the community accepts, and both hold the same agreement signed by both,
//! which `tongxin verify` checks; a declined one and one whose term runs out; and decisions a
//! proposer must refuse (another community's, one naming a different proposal, a second one).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::AgreementDecided;
use tongxin_tests::*;

/// The agreement `id` as `node` lists it.
async fn agreement(node: &RunningNode, id: &str) -> Option<Value> {
    items(&node.get("/api/v1/agreements").await)
        .into_iter()
        .find(|a| a["id"] == id)
}

fn proposal(community: &RunningNode, title: &str, starts_at: i64, ends_at: i64) -> Value {
    json!({
        "community": community.org_id, "title": title, "resources": ["venue", "funding"],
        "services": "每月一次义诊；会议室向社区开放", "starts_at": starts_at, "ends_at": ends_at,
        "note": "联系人：党办"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_co_building_agreement_is_held_by_both_sides_signed_by_both() {
    let a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("east", OrgKind::Community, "友谊南里社区大党委", None),
        ("west", OrgKind::Community, "学院北里社区大党委", None),
    ]);
    let co = a.start("co", None).await;
    let east = a.start("east", None).await;
    let west = a.start("west", None).await;
    for n in [&co, &east, &west] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let t = now();

    // Only co-builders propose, and only to a community.
    let (status, body) = east
        .post(
            "/api/v1/agreements",
            proposal(&west, "社区互助", t, t + 86_400),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = co
        .post(
            "/api/v1/agreements",
            json!({ "community": co.org_id, "title": "x", "services": "x",
                    "starts_at": t, "ends_at": t + 10 }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = co
        .post(
            "/api/v1/agreements",
            proposal(&east, "反了的期限", t + 10, t),
        )
        .await;
    assert_eq!(status, 422, "a term that ends before it starts: {body}");

    // Proposed, seen at the community, accepted there; the proposer learns it.
    let p = co
        .ok_post(
            "/api/v1/agreements",
            proposal(&east, "2027年度共建协议", t - 60, t + 365 * 86_400),
        )
        .await;
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(p["standing"], "pending");
    let at_east = eventually(15, "the proposal at east", || async {
        agreement(&east, &id).await
    })
    .await;
    assert_eq!(at_east["proposer_org"], co.org_id.as_str());
    assert_eq!(at_east["resources"], json!(["venue", "funding"]));
    assert!(
        agreement(&west, &id).await.is_none(),
        "a direct message: west never sees it"
    );
    let decided = east
        .ok_post(
            &format!("/api/v1/agreements/{}/{id}/decision", co.org_id),
            json!({ "accepted": true, "note": "欢迎共建" }),
        )
        .await;
    assert_eq!(decided["standing"], "in-force");
    let (status, _) = east
        .post(
            &format!("/api/v1/agreements/{}/{id}/decision", co.org_id),
            json!({ "accepted": false }),
        )
        .await;
    assert_eq!(status, 409, "decided once");
    let at_co = eventually(15, "accepted at the proposer", || async {
        agreement(&co, &id)
            .await
            .filter(|a| a["status"] == "accepted")
    })
    .await;
    assert_eq!(at_co["standing"], "in-force");
    assert_eq!(at_co["decision_note"], "欢迎共建");

    // Both hold the same two signed messages, and each verifies against the alliance root.
    let doc_path = format!("/api/v1/agreements/{}/{id}/document", co.org_id);
    let (d_co, d_east) = (co.get(&doc_path).await, east.get(&doc_path).await);
    assert_eq!(d_co, d_east, "the same agreement on both sides");
    let (proposal_jws, decision_jws) = (
        d_co["proposal"].as_str().unwrap(),
        d_co["decision"].as_str().unwrap(),
    );
    let decision: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            decision_jws.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        decision["body"]["proposal"],
        AgreementDecided::digest(proposal_jws),
        "the decision signs the exact proposal"
    );
    for (name, jws, kind, signer) in [
        ("proposal", proposal_jws, "agreement.proposed", &co.org_id),
        ("decision", decision_jws, "agreement.decided", &east.org_id),
    ] {
        let file = a.dir.path().join(format!("{name}.jws"));
        std::fs::write(&file, jws).unwrap();
        let (verdict, ok) = tongxin_node::cli::verify::run(
            &a.ca_path(),
            None,
            Some(&a.dir.path().join("roster.jws")),
            tongxin_node::cli::verify::Input::Message(Some(&file)),
        )
        .unwrap();
        assert!(ok, "{verdict}");
        assert!(
            verdict.contains(kind) && verdict.contains(signer.as_str()),
            "{verdict}"
        );
    }

    // A short one, accepted: it ends on its own when its term is over.
    let short = co
        .ok_post(
            "/api/v1/agreements",
            proposal(&west, "短期共建", t - 60, now() + 3),
        )
        .await;
    let short_id = short["id"].as_str().unwrap().to_owned();
    eventually(15, "the short proposal at west", || async {
        agreement(&west, &short_id).await
    })
    .await;
    west.ok_post(
        &format!("/api/v1/agreements/{}/{short_id}/decision", co.org_id),
        json!({ "accepted": true }),
    )
    .await;
    eventually(15, "the short agreement ended on both sides", || async {
        let (c, w) = (
            agreement(&co, &short_id).await?,
            agreement(&west, &short_id).await?,
        );
        (c["standing"] == "ended" && w["standing"] == "ended").then_some(())
    })
    .await;

    // Declined: both sides see it declined, with the reason.
    let declined = co
        .ok_post(
            "/api/v1/agreements",
            proposal(&east, "第二份协议", t, t + 86_400 * 30),
        )
        .await;
    let declined_id = declined["id"].as_str().unwrap().to_owned();
    eventually(15, "the second proposal at east", || async {
        agreement(&east, &declined_id).await
    })
    .await;
    east.ok_post(
        &format!("/api/v1/agreements/{}/{declined_id}/decision", co.org_id),
        json!({ "accepted": false, "note": "已有同类协议" }),
    )
    .await;
    eventually(15, "declined at the proposer", || async {
        agreement(&co, &declined_id)
            .await
            .filter(|a| a["standing"] == "declined" && a["decision_note"] == "已有同类协议")
    })
    .await;

    // Decisions the proposer must refuse, each recorded with its reason, none applied.
    let pending = co
        .ok_post(
            "/api/v1/agreements",
            proposal(&east, "待定协议", t, t + 86_400 * 30),
        )
        .await;
    let pending_id: uuid::Uuid = pending["id"].as_str().unwrap().parse().unwrap();
    eventually(15, "the pending proposal at east", || async {
        agreement(&east, &pending_id.to_string()).await
    })
    .await;
    // From a community it was not proposed to.
    send_unchecked(
        &west,
        &co,
        AgreementDecided {
            agreement_id: pending_id,
            proposal: "0".repeat(64),
            accepted: true,
            note: None,
        },
    )
    .await;
    // From the right community, but naming another proposal.
    send_unchecked(
        &east,
        &co,
        AgreementDecided {
            agreement_id: pending_id,
            proposal: AgreementDecided::digest(proposal_jws),
            accepted: true,
            note: None,
        },
    )
    .await;
    // A second decision on the accepted agreement (a new message, not a redelivery).
    send_unchecked(
        &east,
        &co,
        AgreementDecided {
            agreement_id: id.parse().unwrap(),
            proposal: AgreementDecided::digest(proposal_jws),
            accepted: false,
            note: None,
        },
    )
    .await;
    eventually(15, "the three refusals at the proposer", || async {
        let codes = rejected_codes(&co).await;
        (codes.contains(&"unknown_agreement".to_owned())
            && codes.contains(&"proposal_mismatch".to_owned())
            && codes.contains(&"already_decided".to_owned()))
        .then_some(())
    })
    .await;
    assert_eq!(
        agreement(&co, &pending_id.to_string()).await.unwrap()["status"],
        "pending"
    );
    assert_eq!(agreement(&co, &id).await.unwrap()["status"], "accepted");

    co.stop().await;
    east.stop().await;
    west.stop().await;
}
