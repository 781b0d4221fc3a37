//! 微心愿·我帮办 and needs along the organisation tree, across four real nodes: a community
//! records a wish for a household of its care ledger; a co-building unit claims it, learns how
//! to reach the person only once the community accepts, reports it done, and the community
//! confirms it (or reopens another). A wish nobody takes goes up by its deadlines, grid →
//! community → the street, with no one touching it; the street takes it over and the
//! community confirms. Forged messages (a claim on a confirmed wish, work reported on a claim
//! never accepted, escalations, confirmations and reopenings by an organisation that does not
//! own the need) are refused and change nothing, and the beneficiary's
//! name is on the community's disk only, the address only where an accepted claimant needs it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_node::config::Config;
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::{
    NeedClaimed, NeedDone, NeedEscalated, NeedFulfilled, NeedReopened,
};
use tongxin_schema::v1::taxonomy::NeedLevel;
use tongxin_tests::*;
use uuid::Uuid;

const NAME: &str = "李秀英";
const ADDRESS: &str = "小山隆义里5号楼3单元201";
const PHONE: &str = "13612345678";

/// The claim `claimant` made on `need_id`, as `node` lists it.
async fn claim_at(node: &RunningNode, need_id: &str) -> Option<Value> {
    items(&node.get("/api/v1/claims").await)
        .into_iter()
        .find(|c| c["need_id"] == need_id)
}

async fn claim_by_id(node: &RunningNode, claim_id: &Uuid) -> Value {
    items(&node.get("/api/v1/claims").await)
        .into_iter()
        .find(|c| c["id"] == claim_id.to_string())
        .unwrap()
}

async fn need_at(node: &RunningNode, need_id: &str) -> Option<Value> {
    items(&node.get("/api/v1/needs?limit=200").await)
        .into_iter()
        .find(|n| n["id"] == need_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wish_is_claimed_done_and_confirmed_and_one_nobody_takes_climbs_to_the_street() {
    let a = Alliance::new(&[
        ("unit", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("street", OrgKind::Street, "学院南路街道党工委", None),
        (
            "east",
            OrgKind::Community,
            "小山隆义里社区大党委",
            Some("street"),
        ),
        (
            "west",
            OrgKind::Community,
            "友谊南里社区大党委",
            Some("street"),
        ),
    ]);
    let unit = a.start("unit", None).await;
    // The community's deadline is seconds here, so that a need climbs while the test watches.
    let mut cfg = Config::load(&a.config(a.org("east"), None)).unwrap();
    cfg.needs.community_secs = 3;
    let east = start_node(a.org("east").id.clone(), cfg).await;
    let west = a.start("west", None).await;
    let street = a.start("street", None).await;
    for n in [&unit, &east, &west, &street] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }

    let h = east
        .ok_post(
            "/api/v1/households",
            json!({ "label": "第三网格 关爱户03", "name": NAME, "address": ADDRESS,
                    "phone": PHONE, "grid": "3", "situation": "独居老人，腿脚不便" }),
        )
        .await;
    let wishes = format!("/api/v1/households/{}/wishes", h["id"].as_str().unwrap());
    let wish = |title: &str| {
        json!({ "title": title, "micro_wish": "elderly-living-alone", "addressee": "李奶奶",
                "description": "厨房灯不亮，老人晚上做饭看不清" })
    };

    // Only a community records wishes; what is published never names the person.
    let (s, v) = unit.post(&wishes, wish("更换灯泡")).await;
    assert!(s == 404 || s == 409, "{s} {v}");
    for slip in [format!("给{NAME}换灯泡"), "隆义里5号楼换灯泡".to_owned()] {
        let (s, v) = east.post(&wishes, wish(&slip)).await;
        assert_eq!(s, 422, "{slip}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().starts_with("title"),
            "{v}"
        );
    }
    let (s, v) = east
        .post(
            &wishes,
            json!({ "title": "换灯泡", "micro_wish": "elderly-lonely", "addressee": "李奶奶" }),
        )
        .await;
    assert_eq!(s, 422, "not one of the 16 categories: {v}");
    let first = east.ok_post(&wishes, wish("更换厨房灯泡")).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(first["level"], "grid");
    assert_eq!(first["grid"], "3");
    assert!(
        first["due"].as_i64().unwrap() > now(),
        "the grid's deadline: {first}"
    );

    // The unit sees the wish, without the person, and claims it (once).
    let seen = eventually(15, "the wish at the unit", || need_at(&unit, &first_id)).await;
    assert_eq!(seen["micro_wish"], "elderly-living-alone");
    assert!(!seen.to_string().contains(NAME) && !seen.to_string().contains("李奶奶"));
    let claims = format!("/api/v1/needs/{}/{first_id}/claims", east.org_id);
    let claimed = unit
        .ok_post(&claims, json!({ "note": "我单位志愿者周六上门" }))
        .await;
    let claim_id = claimed["claim_id"].as_str().unwrap().to_owned();
    let (s, v) = unit.post(&claims, json!({})).await;
    assert_eq!(s, 409, "claimed twice: {v}");
    let pending = eventually(15, "the claim at the community", || {
        claim_at(&east, &first_id)
    })
    .await;
    assert_eq!(pending["status"], "pending");
    // Done before it is accepted: refused.
    let (s, v) = unit
        .post(&format!("/api/v1/claims/{claim_id}/done"), json!({}))
        .await;
    assert_eq!(s, 409, "{v}");

    // Accepted: the unit, and only it, learns how to reach the person (not the full name).
    east.ok_post(
        &format!("/api/v1/claims/{}/{claim_id}/decision", unit.org_id),
        json!({ "accepted": true }),
    )
    .await;
    let at_unit = eventually(15, "the contact at the unit", || async {
        claim_at(&unit, &first_id)
            .await
            .filter(|c| c["status"] == "accepted" && c["contact_address"] == ADDRESS)
    })
    .await;
    assert_eq!(at_unit["contact_addressee"], "李奶奶");
    assert_eq!(at_unit["contact_phone"], PHONE);
    assert!(!at_unit.to_string().contains(NAME));
    // The unit's staff find the address on the wish's page.
    let wish_page = format!("/needs/{}/{first_id}", east.org_id);
    assert!(unit.page(&wish_page).await.contains(ADDRESS));

    // Done, then confirmed by the community: the wish is fulfilled everywhere and the unit
    // forgets the address.
    unit.ok_post(
        &format!("/api/v1/claims/{claim_id}/done"),
        json!({ "summary": "已更换LED灯泡并检查线路" }),
    )
    .await;
    eventually(15, "done at the community", || async {
        claim_at(&east, &first_id)
            .await
            .filter(|c| c["status"] == "done" && c["done_summary"] == "已更换LED灯泡并检查线路")
    })
    .await;
    assert!(east.page("/care").await.contains("已办结，待确认"));
    east.ok_post(
        &format!("/api/v1/needs/{first_id}/fulfil"),
        json!({ "claim_id": claim_id, "summary": "老人确认灯已修好" }),
    )
    .await;
    eventually(15, "confirmed at the unit", || async {
        claim_at(&unit, &first_id)
            .await
            .filter(|c| c["status"] == "confirmed" && c["contact_address"].is_null())
    })
    .await;
    eventually(15, "fulfilled at the other community", || async {
        need_at(&west, &first_id)
            .await
            .filter(|n| n["status"] == "fulfilled")
    })
    .await;

    // A second wish is done, but the person says it is not: the community reopens it.
    let second = east.ok_post(&wishes, wish("帮忙疏通下水道")).await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    eventually(15, "the second wish at the unit", || {
        need_at(&unit, &second_id)
    })
    .await;
    let c2 = unit
        .ok_post(
            &format!("/api/v1/needs/{}/{second_id}/claims", east.org_id),
            json!({}),
        )
        .await;
    let c2 = c2["claim_id"].as_str().unwrap().to_owned();
    eventually(15, "the second claim", || claim_at(&east, &second_id)).await;
    east.ok_post(
        &format!("/api/v1/claims/{}/{c2}/decision", unit.org_id),
        json!({ "accepted": true }),
    )
    .await;
    eventually(15, "accepted at the unit", || async {
        claim_at(&unit, &second_id)
            .await
            .filter(|c| c["status"] == "accepted")
    })
    .await;
    unit.ok_post(&format!("/api/v1/claims/{c2}/done"), json!({}))
        .await;
    eventually(15, "done", || async {
        claim_at(&east, &second_id)
            .await
            .filter(|c| c["status"] == "done")
    })
    .await;
    let reopen = format!("/api/v1/claims/{}/{c2}/reopen", unit.org_id);
    let (s, v) = east.post(&reopen, json!({ "reason": "" })).await;
    assert_eq!(s, 422, "a reopening says why: {v}");
    east.ok_post(&reopen, json!({ "reason": "老人说下水道还是堵" }))
        .await;
    eventually(15, "reopened at the unit", || async {
        claim_at(&unit, &second_id)
            .await
            .filter(|c| c["status"] == "reopened" && c["contact_address"].is_null())
    })
    .await;
    assert_eq!(need_at(&east, &second_id).await.unwrap()["status"], "open");
    // Reopened, the unit may claim it again.
    let (s, v) = unit
        .post(
            &format!("/api/v1/needs/{}/{second_id}/claims", east.org_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // A third wish nobody takes: past the grid's deadline it goes to the community, past the
    // community's to the street, and every node sees it there.
    let mut late = wish("陪同老人去医院复查");
    late["due"] = json!(now() + 3);
    late["external_ref"] = json!("12345-20261203-0042");
    let third = east.ok_post(&wishes, late).await;
    let third_id = third["id"].as_str().unwrap().to_owned();
    eventually(
        30,
        "escalated to the street, seen by the other community",
        || async {
            need_at(&west, &third_id).await.filter(|n| {
                n["level"] == "street" && n["responsible_org"] == street.org_id.as_str()
            })
        },
    )
    .await;
    let at_street = eventually(15, "at the street", || async {
        need_at(&street, &third_id)
            .await
            .filter(|n| n["level"] == "street")
    })
    .await;
    assert_eq!(at_street["external_ref"], "12345-20261203-0042");
    assert!(
        at_street["due"].as_i64().unwrap() > now() + 86_400,
        "the street's deadline"
    );
    assert!(
        at_street["status_note"]
            .as_str()
            .unwrap()
            .contains("自动上报"),
        "{at_street}"
    );

    // The street acts on what was escalated to it: not as the owner (a clear refusal naming
    // the owner), not further up, but by taking it over; the community's node accepts at once.
    let (s, v) = street
        .post(&format!("/api/v1/needs/{third_id}/fulfil"), json!({}))
        .await;
    assert_eq!(s, 403, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(east.org_id.as_str()) && message.contains("take it over"),
        "{v}"
    );
    let (s, v) = street
        .post(&format!("/api/v1/needs/{third_id}/escalate"), json!({}))
        .await;
    assert_eq!(s, 409, "the street is the top: {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("难事不出镇街"),
        "{v}"
    );
    // Another community may still offer its help: its claim waits for the owner.
    west.ok_post(
        &format!("/api/v1/needs/{}/{third_id}/claims", east.org_id),
        json!({ "note": "我社区也可派人" }),
    )
    .await;
    eventually(15, "the other community's claim at the owner", || async {
        items(&east.get("/api/v1/claims").await)
            .into_iter()
            .find(|c| {
                c["need_id"] == third_id.as_str() && c["claimant_org"] == west.org_id.as_str()
            })
    })
    .await;
    let taken = street
        .ok_post(
            &format!("/api/v1/needs/{}/{third_id}/claims", east.org_id),
            json!({}),
        )
        .await;
    let c3 = taken["claim_id"].as_str().unwrap().to_owned();
    eventually(15, "taken over", || async {
        claim_at(&street, &third_id)
            .await
            .filter(|c| c["status"] == "accepted" && c["contact_address"] == ADDRESS)
    })
    .await;
    street
        .ok_post(
            &format!("/api/v1/claims/{c3}/done"),
            json!({ "summary": "街道派车陪同复查" }),
        )
        .await;
    eventually(15, "the street's claim done at the community", || async {
        items(&east.get("/api/v1/claims").await)
            .into_iter()
            .find(|c| c["id"] == c3.as_str() && c["status"] == "done")
    })
    .await;
    east.ok_post(
        &format!("/api/v1/needs/{third_id}/fulfil"),
        json!({ "claim_id": c3 }),
    )
    .await;
    eventually(15, "confirmed at the street", || async {
        claim_at(&street, &third_id)
            .await
            .filter(|c| c["status"] == "confirmed" && c["contact_address"].is_null())
    })
    .await;
    // The need met, the other community's claim that was never accepted ends declined.
    eventually(15, "the other claim declined", || async {
        claim_at(&west, &third_id)
            .await
            .filter(|c| c["status"] == "declined")
    })
    .await;

    // Forgeries: a need.done on a claim never accepted, an escalation and a confirmation by an
    // organisation that does not own the need, a reopening by one that is not the owner.
    let second_uuid: Uuid = second_id.parse().unwrap();
    let fresh: Uuid = items(&unit.get("/api/v1/claims").await)
        .into_iter()
        .find(|c| c["need_id"] == second_id.as_str() && c["status"] == "pending")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    eventually(15, "the new claim at the community", || async {
        items(&east.get("/api/v1/claims").await)
            .into_iter()
            .find(|c| c["id"] == fresh.to_string())
    })
    .await;
    send_unchecked(
        &unit,
        &east,
        NeedDone {
            claim_id: fresh,
            need_id: second_uuid,
            summary: None,
        },
    )
    .await;
    // A claim on the wish already confirmed: closed.
    let closed_claim = Uuid::now_v7();
    send_unchecked(
        &unit,
        &east,
        NeedClaimed {
            claim_id: closed_claim,
            need_id: first_id.parse().unwrap(),
            offer_id: None,
            note: None,
            member: None,
            display_name: None,
        },
    )
    .await;
    broadcast_unchecked(
        &west,
        NeedEscalated {
            need_id: second_uuid,
            to_level: NeedLevel::Street,
            to_org: street.org_id.clone(),
            reason: None,
            due: None,
        },
    )
    .await;
    broadcast_unchecked(
        &west,
        NeedFulfilled {
            need_id: second_uuid,
            claim_id: Some(fresh),
            summary: None,
        },
    )
    .await;
    send_unchecked(
        &west,
        &unit,
        NeedReopened {
            claim_id: fresh,
            need_id: second_uuid,
            reason: None,
        },
    )
    .await;
    // West fulfils a need of its own, naming the unit's claim on east's wish: its own need is
    // fulfilled, the unit's claim is not touched.
    let own = west
        .ok_post(
            "/api/v1/needs",
            json!({ "title": "社区活动室桌椅", "level": "community" }),
        )
        .await;
    let own_id: Uuid = own["id"].as_str().unwrap().parse().unwrap();
    eventually(15, "west's need at the unit", || {
        need_at(&unit, own["id"].as_str().unwrap())
    })
    .await;
    broadcast_unchecked(
        &west,
        NeedFulfilled {
            need_id: own_id,
            claim_id: Some(fresh),
            summary: None,
        },
    )
    .await;
    eventually(15, "west's need fulfilled at the unit", || async {
        need_at(&unit, own["id"].as_str().unwrap())
            .await
            .filter(|n| n["status"] == "fulfilled")
    })
    .await;
    eventually(15, "the forgeries refused", || async {
        let (at_east, at_street, at_unit) = (
            rejected_codes(&east).await,
            rejected_codes(&street).await,
            rejected_codes(&unit).await,
        );
        (at_east.contains(&"not_accepted".to_owned())
            && at_east.contains(&"need_closed".to_owned())
            && at_street.contains(&"unknown_need".to_owned())
            && at_unit.contains(&"unknown_need".to_owned())
            && at_unit.contains(&"not_owner".to_owned()))
        .then_some(())
    })
    .await;
    assert_eq!(claim_by_id(&east, &fresh).await["status"], "pending");
    assert!(
        !items(&east.get("/api/v1/claims").await)
            .iter()
            .any(|c| c["id"] == closed_claim.to_string()),
        "a claim on a closed wish was kept"
    );
    assert_eq!(claim_by_id(&unit, &fresh).await["status"], "pending");
    assert_eq!(need_at(&street, &second_id).await.unwrap()["level"], "grid");
    assert_eq!(need_at(&unit, &second_id).await.unwrap()["status"], "open");

    for n in [unit, east, west, street] {
        n.stop().await;
    }
    // The name stays in the community. The address reached only the two accepted claimants
    // (whose claim rows forgot it; the signed message that carried it stays in their message
    // archive, as every received message does).
    assert!(
        Stored::read(&a.org("east").dir).holds(NAME),
        "the scan finds what is there"
    );
    for other in ["unit", "west", "street"] {
        let stored = Stored::read(&a.org(other).dir);
        assert!(!stored.holds(NAME), "the name is in {other}'s database");
        if other == "west" {
            for secret in [ADDRESS, PHONE, "李奶奶"] {
                assert!(!stored.holds(secret), "{secret} is in {other}'s database");
            }
        }
    }
}
