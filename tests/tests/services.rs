//! 服务登记 and 表现反馈 across three real nodes: a co-building unit's member logs services
//! done for the community he reports to; the community approves one (attesting it like a
//! check-in: the home credits exactly its minutes and marks the log approved) and declines
//! another (nothing credited); a log for a community he did not report to is refused at home,
//! and one the community never agreed to is refused there. The community then sends the unit
//! its signed feedback for the month; a second one for the same month replaces it at both.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::{CheckinAttested, ServiceDeclined, ServiceLogged};
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
use tongxin_schema::v1::text::Text;
use tongxin_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_logged_at_home_are_approved_by_the_community_and_feedback_comes_back() {
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
    for n in [&unit, &east, &west] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let m = unit
        .ok_post(
            "/api/v1/members",
            json!({ "name": "张建国", "phone": "13800000001", "residence_org": east.org_id, "grid": "2" }),
        )
        .await;
    let zhang = m["id"].as_str().unwrap().to_owned();
    unit.ok_post(
        &format!("/api/v1/members/{zhang}/password"),
        json!({ "password": "服务登记测试密码" }),
    )
    .await;
    let token = unit.login("13800000001", "服务登记测试密码").await;

    // Before any accepted report, nothing can be logged.
    let t = now();
    let visit = json!({ "community": east.org_id, "what": "为独居老人代买药品", "category": "home-visit",
                        "grid": "2", "started_at": t - 7200, "ended_at": t - 5400 });
    let (s, refused) = as_member(&unit, &token, "POST", "/api/v1/me/services", visit.clone()).await;
    assert_eq!(s, 422, "{refused}");
    let report = unit
        .ok_post(&format!("/api/v1/members/{zhang}/reports"), json!({}))
        .await;
    let decision = format!(
        "/api/v1/reports/{}/{}/decision",
        unit.org_id,
        report["id"].as_str().unwrap()
    );
    eventually(15, "the report at the community", || async {
        let (s, _) = east.post(&decision, json!({ "accepted": true })).await;
        (s == 200).then_some(())
    })
    .await;
    eventually(15, "accepted, at home", || async {
        let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/reports", Value::Null).await;
        items(&v)
            .iter()
            .any(|r| r["status"] == "accepted")
            .then_some(())
    })
    .await;

    // Two services logged; one in the future and one for another community are refused.
    let (s, first) = as_member(&unit, &token, "POST", "/api/v1/me/services", visit.clone()).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["minutes"], 30);
    let mut second = visit.clone();
    second["what"] = json!("陪同就医");
    second["started_at"] = json!(t - 4000);
    second["ended_at"] = json!(t - 400);
    let (s, second) = as_member(&unit, &token, "POST", "/api/v1/me/services", second).await;
    assert_eq!(s, 201, "{second}");
    let mut future = visit.clone();
    future["started_at"] = json!(t + 3600);
    future["ended_at"] = json!(t + 7200);
    let (s, v) = as_member(&unit, &token, "POST", "/api/v1/me/services", future).await;
    assert_eq!(s, 422, "{v}");
    let mut elsewhere = visit.clone();
    elsewhere["community"] = json!(west.org_id);
    let (s, v) = as_member(&unit, &token, "POST", "/api/v1/me/services", elsewhere).await;
    assert_eq!(s, 422, "not reported there: {v}");

    // The community reviews: approves the first, declines the second.
    let at_east = eventually(15, "two logs at the community", || async {
        let v = items(&east.get("/api/v1/services").await);
        (v.len() == 2).then_some(v)
    })
    .await;
    assert!(
        at_east
            .iter()
            .all(|l| l["status"] == "pending" && l["member_id"].is_null())
    );
    let decide = |id: &Value| {
        format!(
            "/api/v1/services/{}/{}/decision",
            unit.org_id,
            id.as_str().unwrap()
        )
    };
    east.ok_post(&decide(&first["id"]), json!({ "approved": true }))
        .await;
    east.ok_post(
        &decide(&second["id"]),
        json!({ "approved": false, "note": "请补充就医凭证" }),
    )
    .await;
    let (s, again) = east
        .post(&decide(&first["id"]), json!({ "approved": false }))
        .await;
    assert_eq!(s, 409, "decided once: {again}");

    // At home: the approved one is credited (30 minutes, no activity), the declined one not.
    let logs = eventually(15, "both decisions at home", || async {
        let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/services", Value::Null).await;
        let v = items(&v);
        v.iter().all(|l| l["status"] != "pending").then_some(v)
    })
    .await;
    let status = |id: &Value| logs.iter().find(|l| l["id"] == *id).unwrap().clone();
    assert_eq!(status(&first["id"])["status"], "approved");
    assert_eq!(status(&second["id"])["status"], "declined");
    assert_eq!(status(&second["id"])["note"], "请补充就医凭证");
    let (_, record) = as_member(&unit, &token, "GET", "/api/v1/me/record", Value::Null).await;
    assert_eq!(record["total_minutes"], 30, "{record}");
    assert_eq!(record["entries"][0]["id"], first["id"]);
    assert!(record["entries"][0]["activity_id"].is_null());

    // The same time cannot be logged twice: it is credited already.
    let (s, v) = as_member(&unit, &token, "POST", "/api/v1/me/services", visit.clone()).await;
    assert_eq!(s, 422, "overlaps the credited service: {v}");

    // The community changes its mind: an approval after its decline credits the service and
    // the log says approved (its later signed word counts, PROTOCOL §6.2).
    let mref: tongxin_schema::MemberRef = first["mref"].as_str().unwrap().parse().unwrap();
    let approval = |id: &Value, from: i64, to: i64, minutes: u32| CheckinAttested {
        checkin_id: id.as_str().unwrap().parse().unwrap(),
        member: mref.clone(),
        activity_id: None,
        category: ActivityCategory::HomeVisit,
        checked_in_at: from,
        checked_out_at: to,
        minutes,
        mode: Mode::Routine,
        corrects: None,
        closed_by_host: false,
    };
    send_unchecked(&east, &unit, approval(&second["id"], t - 4000, t - 400, 60)).await;
    eventually(15, "the late approval at home", || async {
        let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/services", Value::Null).await;
        items(&v)
            .iter()
            .any(|l| l["id"] == second["id"] && l["status"] == "approved")
            .then_some(())
    })
    .await;
    let (_, record) = as_member(&unit, &token, "GET", "/api/v1/me/record", Value::Null).await;
    assert_eq!(record["total_minutes"], 90, "{record}");
    // An attestation naming a logged service but crediting more than was logged is credited as
    // any attestation is, and approves nothing: the log stays to review.
    let mut third = visit.clone();
    third["what"] = json!("代缴水电费");
    third["started_at"] = json!(t - 20_000);
    third["ended_at"] = json!(t - 19_400);
    let (s, third) = as_member(&unit, &token, "POST", "/api/v1/me/services", third).await;
    assert_eq!(s, 201, "{third}");
    send_unchecked(
        &east,
        &unit,
        approval(&third["id"], t - 20_600, t - 19_400, 20),
    )
    .await;
    eventually(15, "the wider attestation credited", || async {
        let (_, r) = as_member(&unit, &token, "GET", "/api/v1/me/record", Value::Null).await;
        (r["total_minutes"] == 110).then_some(())
    })
    .await;
    let (_, v) = as_member(&unit, &token, "GET", "/api/v1/me/services", Value::Null).await;
    assert!(
        items(&v)
            .iter()
            .any(|l| l["id"] == third["id"] && l["status"] == "pending"),
        "{v}"
    );
    // A decline of a service nobody logged is refused.
    send_unchecked(
        &east,
        &unit,
        ServiceDeclined {
            service_id: uuid::Uuid::now_v7(),
            member: mref.clone(),
            reason: None,
        },
    )
    .await;
    eventually(15, "the unknown decline refused", || async {
        rejected_codes(&unit)
            .await
            .contains(&"unknown_service".to_owned())
            .then_some(())
    })
    .await;

    // A service the community never agreed to: a log for a member who did not report there.
    let stranger: tongxin_schema::MemberRef = format!("{}:AAAAAAAAAAAAAAAAAAAAAA", unit.org_id)
        .parse()
        .unwrap();
    send_unchecked(
        &unit,
        &east,
        ServiceLogged {
            service_id: uuid::Uuid::now_v7(),
            member: stranger,
            what: Text::new("伪造的服务").unwrap(),
            category: ActivityCategory::HomeVisit,
            grid: None,
            started_at: t - 600,
            ended_at: t - 300,
            minutes: 5,
        },
    )
    .await;
    eventually(15, "refused at the community", || async {
        rejected_codes(&east)
            .await
            .contains(&"unknown_member".to_owned())
            .then_some(())
    })
    .await;
    assert_eq!(
        items(&east.get("/api/v1/services").await).len(),
        3,
        "the three real logs, not the forged one"
    );

    // Feedback for the month: the community's minutes come from its own attestations.
    let feedback = format!(
        "/api/v1/reports/{}/{}/feedback",
        unit.org_id,
        report["id"].as_str().unwrap()
    );
    let period = json!({ "period_starts_at": t - 30 * 86_400, "period_ends_at": t + 60,
                         "grade": "good", "evaluation": "积极参加社区服务。" });
    let sent = east.ok_post(&feedback, period.clone()).await;
    assert_eq!(sent["minutes"], 30, "{sent}");
    assert_eq!(sent["activities"], 0);
    let mut better = period.clone();
    better["grade"] = json!("excellent");
    better["evaluation"] = json!("主动为独居老人服务，表现优秀。");
    east.ok_post(&feedback, better).await;
    let at_home = eventually(15, "the newer feedback at home", || async {
        let v = items(&unit.get("/api/v1/feedback").await);
        (v.len() == 1 && v[0]["grade"] == "excellent").then_some(v)
    })
    .await;
    assert_eq!(at_home[0]["member_id"], zhang.as_str());
    assert_eq!(at_home[0]["minutes"], 30);
    assert_eq!(
        items(&east.get("/api/v1/feedback").await).len(),
        1,
        "replaced at the community too"
    );
    // The document is the community's signed message.
    let doc = at_home[0]["document"].as_str().unwrap();
    let root = tongxin_schema::pki::Root::from_pem(&std::fs::read(a.ca_path()).unwrap()).unwrap();
    let verified = tongxin_schema::Verifier::new(root)
        .verify(doc, now())
        .unwrap();
    assert_eq!(verified.iss, east.org_id);
    // The unit's staff see it beside the report, in Chinese.
    let page = unit.page("/reports").await;
    assert!(
        page.contains("优秀") && page.contains("主动为独居老人服务"),
        "{page}"
    );
    for n in [unit, east, west] {
        n.stop().await;
    }
}
