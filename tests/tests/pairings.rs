//! 结对帮扶 across four real nodes: a community keeps its care ledger and pairs a household with
//! a co-building unit's member who reports there; the unit (and the member) learn the pairing by
//! its label only, and when it ends. A label that names the household is refused; forged,
//! duplicated and unknown pairing messages are refused at the home and change nothing. After
//! it all, no other node's database holds the household's name, address or phone.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::{PairingEnded, PairingStarted};
use tongxin_schema::v1::text::Text;
use tongxin_tests::*;

const NAME: &str = "李秀英";
const ADDRESS: &str = "小山隆义里5号楼3单元201";
const PHONE: &str = "13612345678";
const LABEL: &str = "第三网格 结对户07";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairing_reaches_the_home_by_its_label_and_the_household_stays_in_the_community() {
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
    let east = a.start("east", None).await;
    let west = a.start("west", None).await;
    let street = a.start("street", None).await;
    for n in [&unit, &east, &west, &street] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let m = unit
        .ok_post(
            "/api/v1/members",
            json!({ "name": "张建国", "phone": "13800000001", "residence_org": east.org_id }),
        )
        .await;
    let zhang = m["id"].as_str().unwrap().to_owned();
    unit.ok_post(
        &format!("/api/v1/members/{zhang}/password"),
        json!({ "password": "结对帮扶测试密码" }),
    )
    .await;
    let token = unit.login("13800000001", "结对帮扶测试密码").await;
    let report = unit
        .ok_post(&format!("/api/v1/members/{zhang}/reports"), json!({}))
        .await;
    let report_id = report["id"].as_str().unwrap().to_owned();

    // The ledger is a community's; a label that names or locates the household is refused.
    let household = json!({ "label": LABEL, "name": NAME, "address": ADDRESS, "phone": PHONE,
                            "situation": "独居老人，行动不便，需每周探望" });
    let (s, v) = unit.post("/api/v1/households", household.clone()).await;
    assert_eq!(s, 409, "a co-building unit keeps no care ledger: {v}");
    for slip in [
        format!("结对户 {NAME}"),
        "隆义里5号楼 结对户".to_owned(),
        "结对户 136 1234 5678".to_owned(),
    ] {
        let mut named = household.clone();
        named["label"] = json!(slip);
        let (s, v) = east.post("/api/v1/households", named).await;
        assert_eq!(s, 422, "{slip}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().starts_with("label"),
            "{v}"
        );
    }
    let h = east.ok_post("/api/v1/households", household).await;
    assert_eq!(
        items(&east.get("/api/v1/households").await).len(),
        1,
        "the refused one was not kept"
    );
    let pair = format!("/api/v1/households/{}/pairings", h["id"].as_str().unwrap());
    let with_zhang = json!({ "home": unit.org_id, "report_id": report_id });

    // Only a member whose report here is accepted can be paired.
    eventually(15, "the report at the community", || async {
        let v = items(&east.get("/api/v1/reports?side=received").await);
        (!v.is_empty()).then_some(())
    })
    .await;
    let (s, v) = east.post(&pair, with_zhang.clone()).await;
    assert_eq!(s, 422, "pending report: {v}");
    east.ok_post(
        &format!("/api/v1/reports/{}/{report_id}/decision", unit.org_id),
        json!({ "accepted": true }),
    )
    .await;
    let paired = east.ok_post(&pair, with_zhang.clone()).await;
    let (s, v) = east.post(&pair, with_zhang).await;
    assert_eq!(s, 409, "paired twice: {v}");

    // The home and the member see the pairing by its label.
    let at_home = eventually(15, "the pairing at home", || async {
        let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/pairings", Value::Null).await;
        let v = items(&v);
        (v.len() == 1).then_some(v)
    })
    .await;
    assert_eq!(at_home[0]["household_label"], LABEL);
    assert_eq!(at_home[0]["community_org"], east.org_id.as_str());
    assert!(at_home[0]["household_id"].is_null(), "{at_home:?}");
    assert!(at_home[0]["ended_ms"].is_null());
    let staff = items(&unit.get("/api/v1/pairings").await);
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0]["member_id"], zhang.as_str());
    assert!(unit.page("/reports").await.contains(LABEL));
    let care = east.page("/care").await;
    assert!(care.contains(NAME) && care.contains("张同志"), "{care}");

    // Forged and duplicated pairing messages change nothing at home.
    let mref: tongxin_schema::MemberRef = paired["mref"].as_str().unwrap().parse().unwrap();
    let pairing_id: uuid::Uuid = paired["id"].as_str().unwrap().parse().unwrap();
    let started = |id: uuid::Uuid, member: tongxin_schema::MemberRef| PairingStarted {
        pairing_id: id,
        member,
        household: Text::new("伪造的结对").unwrap(),
        started_at: now(),
    };
    send_unchecked(&east, &unit, started(pairing_id, mref.clone())).await;
    // West never received this member's report: the reference means nothing there.
    send_unchecked(&west, &unit, started(uuid::Uuid::now_v7(), mref.clone())).await;
    send_unchecked(
        &east,
        &unit,
        PairingEnded {
            pairing_id: uuid::Uuid::now_v7(),
            member: mref.clone(),
            reason: None,
        },
    )
    .await;
    eventually(15, "the forgeries refused", || async {
        let codes = rejected_codes(&unit).await;
        ["duplicate_pairing", "unknown_member", "unknown_pairing"]
            .iter()
            .all(|c| codes.contains(&(*c).to_owned()))
            .then_some(())
    })
    .await;
    let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/pairings", Value::Null).await;
    assert_eq!(items(&v).len(), 1, "{v}");
    assert_eq!(items(&v)[0]["household_label"], LABEL);

    // The community ends it; the home learns it, once.
    let end = format!("/api/v1/pairings/{pairing_id}/end");
    east.ok_post(&end, json!({ "reason": "帮扶对象已搬离" }))
        .await;
    let (s, v) = east.post(&end, json!({})).await;
    assert_eq!(s, 409, "ended twice: {v}");
    eventually(15, "ended at home", || async {
        let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/pairings", Value::Null).await;
        let v = items(&v);
        (v.len() == 1 && v[0]["ended_ms"].is_i64() && v[0]["end_reason"] == "帮扶对象已搬离")
            .then_some(())
    })
    .await;
    send_unchecked(
        &east,
        &unit,
        PairingEnded {
            pairing_id,
            member: mref,
            reason: None,
        },
    )
    .await;
    eventually(15, "a second end refused", || async {
        rejected_codes(&unit)
            .await
            .contains(&"already_ended".to_owned())
            .then_some(())
    })
    .await;
    let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/pairings", Value::Null).await;
    assert_eq!(
        items(&v)[0]["end_reason"],
        "帮扶对象已搬离",
        "the refused end changed nothing"
    );

    for n in [unit, east, west, street] {
        n.stop().await;
    }
    // The household's name, address and phone are on the community's disk only.
    assert!(
        Stored::read(&a.org("east").dir).holds(NAME),
        "the scan finds what is there"
    );
    for other in ["unit", "west", "street"] {
        let stored = Stored::read(&a.org(other).dir);
        if other == "unit" {
            assert!(stored.holds(LABEL), "the label reached the unit");
        }
        for secret in [NAME, ADDRESS, PHONE] {
            assert!(!stored.holds(secret), "{secret} is in {other}'s database");
        }
    }
}
