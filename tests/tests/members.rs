//! Members and 双报到 across four nodes: two homes (a co-building unit and a 楼e家 alliance)
//! register and import members, who report to the two communities they live in; the
//! communities accept or decline; a member moves. Both sides count the same, the receipts
//! verify, and no other node ever holds a member's name, phone or internal id.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_tests::*;

fn four_orgs() -> Alliance {
    Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "区税务局机关党委", None),
        (
            "loue",
            OrgKind::BuildingAlliance,
            "中关村楼e家党建联盟",
            None,
        ),
        ("east", OrgKind::Community, "友谊南里社区大党委", None),
        ("west", OrgKind::Community, "学院北里社区大党委", None),
    ])
}

async fn csv_import(node: &RunningNode, mode: &str, bytes: Vec<u8>) -> Value {
    let r = node
        .http
        .post(node.url(&format!("/api/v1/members/import?mode={mode}")))
        .bearer_auth(&node.token)
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The community's decision on a report it received, through its API.
async fn decide(community: &RunningNode, r: &Value, accepted: bool) -> Value {
    let path = format!(
        "/api/v1/reports/{}/{}/decision",
        r["home_org"].as_str().unwrap(),
        r["id"].as_str().unwrap()
    );
    let note = if accepted {
        "欢迎"
    } else {
        "不在本社区居住"
    };
    community
        .ok_post(&path, json!({ "accepted": accepted, "note": note }))
        .await
}

async fn get_as(node: &RunningNode, token: &str, path: &str) -> (u16, Value) {
    let r = node
        .http
        .get(node.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post_as(node: &RunningNode, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = node
        .http
        .post(node.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// (status, home) of every report `community` received.
async fn received(community: &RunningNode) -> Vec<(String, String, String)> {
    items(&community.get("/api/v1/reports?side=received").await)
        .iter()
        .map(|r| {
            (
                r["home_org"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_report_to_their_communities_and_stay_at_home() {
    let a = four_orgs();
    let co = a.start("co", None).await;
    let loue = a.start("loue", None).await;
    let east = a.start("east", None).await;
    let west = a.start("west", None).await;
    for n in [&co, &loue, &east, &west] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let (east_id, west_id) = (east.org_id.to_string(), west.org_id.to_string());

    // Registered one by one at the co-building unit.
    let mut co_members = Vec::new();
    for (name, phone, home, skills) in [
        ("张建国", "13800000001", &east_id, json!(["legal"])),
        (
            "李红梅",
            "13800000002",
            &west_id,
            json!(["medical-aid", "elderly-care"]),
        ),
        ("王志强", "13800000003", &east_id, json!([])),
    ] {
        let m = co
            .ok_post(
                "/api/v1/members",
                json!({ "name": name, "phone": phone, "department": "征管科",
                        "residence_org": home, "skills": skills,
                        "availability": ["sat-am"], "emergency_ready": true }),
            )
            .await;
        co_members.push(m);
    }
    // The same phone twice is refused, naming the field.
    let (status, body) = co
        .post(
            "/api/v1/members",
            json!({ "name": "重复", "phone": "138 0000 0001" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("phone")
    );

    // Imported at the 楼e家 alliance from a GBK file, as Excel writes it: a dry run first.
    let csv = format!(
        "姓名,称呼,手机,部门,居住社区,网格,工作社区,工作网格,技能,可服务时段,急时可调\n\
         赵晓燕,赵老师,13900000001,物业部,{east_id},,,,心理咨询、健康教育,周六上午,是\n\
         钱多多,,13900000002,前台,友谊南里社区大党委,,,,,周日下午,否\n\
         孙立,,13900000003,安保部,{west_id},,{east_id},2,家电维修,,是\n"
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let dry = csv_import(&loue, "dry-run", gbk.to_vec()).await;
    assert_eq!(
        (
            dry["encoding"].as_str(),
            dry["rows"].as_u64(),
            dry["valid"].as_u64()
        ),
        (Some("GBK"), Some(3), Some(3)),
        "{dry}"
    );
    assert_eq!(dry["imported"], 0);
    assert_eq!(loue.get("/api/v1/members").await["total"], 0);
    let done = csv_import(&loue, "all", gbk.to_vec()).await;
    assert_eq!(done["imported"], 3, "{done}");
    let loue_members = items(&loue.get("/api/v1/members").await);
    assert_eq!(loue_members.len(), 3);
    let zhao = loue_members.iter().find(|m| m["name"] == "赵晓燕").unwrap();
    assert_eq!(zhao["skills"], json!(["psychological", "health-education"]));
    assert_eq!(zhao["residence_org"], east_id.as_str());
    let sun = loue_members.iter().find(|m| m["name"] == "孙立").unwrap();
    assert_eq!(
        (sun["work_org"].as_str(), sun["work_grid"].as_str()),
        (Some(east_id.as_str()), Some("2")),
        "where 孙立 works: {sun}"
    );

    // 张建国 reports to east through an admin; 李红梅 herself, signed in at home.
    let zhang = co_members[0]["id"].as_str().unwrap().to_owned();
    let li = co_members[1]["id"].as_str().unwrap().to_owned();
    let wang = co_members[2]["id"].as_str().unwrap().to_owned();
    let r_zhang = co
        .ok_post(&format!("/api/v1/members/{zhang}/reports"), json!({}))
        .await;
    assert_eq!(r_zhang["community_org"], east_id.as_str());
    let (status, body) = co
        .post(&format!("/api/v1/members/{zhang}/reports"), json!({}))
        .await;
    assert_eq!(status, 409, "reporting twice to one community: {body}");
    let (status, body) = co
        .post(
            &format!("/api/v1/members/{zhang}/reports"),
            json!({ "community": west_id }),
        )
        .await;
    assert_eq!(status, 409, "one community at a time: {body}");

    let login = co
        .ok_post(
            &format!("/api/v1/members/{li}/password"),
            json!({ "password": "李红梅的密码123" }),
        )
        .await;
    assert_eq!(login["username"], "13800000002");
    let li_token = co.login("13800000002", "李红梅的密码123").await;
    let (status, _) = get_as(&co, &li_token, "/api/v1/members").await;
    assert_eq!(status, 403, "a member does not see the member list");
    let (status, r_li) = post_as(&co, &li_token, "/api/v1/me/reports", json!({})).await;
    assert_eq!(status, 201, "{r_li}");
    assert_eq!(r_li["community_org"], west_id.as_str());
    let r_wang = co
        .ok_post(
            &format!("/api/v1/members/{wang}/reports"),
            json!({ "share_skills": false }),
        )
        .await;
    for m in &loue_members {
        let id = m["id"].as_str().unwrap();
        loue.ok_post(&format!("/api/v1/members/{id}/reports"), json!({}))
            .await;
    }

    eventually(15, "four reports at east, two at west", || async {
        (received(&east).await.len() == 4 && received(&west).await.len() == 2).then_some(())
    })
    .await;
    // The community sees only what was shared: 张同志, not 张建国.
    let at_east = items(&east.get("/api/v1/reports?side=received").await);
    let zhang_there = at_east.iter().find(|r| r["id"] == r_zhang["id"]).unwrap();
    assert_eq!(zhang_there["display_name"], "张同志");
    assert_eq!(zhang_there["skills"], json!(["legal"]));
    assert!(zhang_there["member_id"].is_null());
    let wang_there = at_east.iter().find(|r| r["id"] == r_wang["id"]).unwrap();
    assert_eq!(wang_there["skills"], json!([]));
    let zhao_there = at_east
        .iter()
        .find(|r| r["display_name"] == "赵老师")
        .unwrap();
    assert_eq!(
        items(
            &east
                .get("/api/v1/reports?side=received&skill=psychological")
                .await
        )
        .len(),
        1
    );

    // East accepts 张建国 and 赵老师, declines 王志强; west accepts 李红梅.
    decide(&east, zhang_there, true).await;
    decide(&east, zhao_there, true).await;
    decide(&east, wang_there, false).await;
    let (status, _) = east
        .post(
            &format!(
                "/api/v1/reports/{}/{}/decision",
                co.org_id,
                r_zhang["id"].as_str().unwrap()
            ),
            json!({ "accepted": false }),
        )
        .await;
    assert_eq!(status, 409, "a report is decided once");
    let li_at_west = items(&west.get("/api/v1/reports?side=received").await)
        .into_iter()
        .find(|r| r["id"] == r_li["id"])
        .unwrap();
    decide(&west, &li_at_west, true).await;

    eventually(15, "the decisions at the homes", || async {
        let sent = items(&co.get("/api/v1/reports").await);
        (sent.iter().filter(|r| r["status"] != "pending").count() == 3).then_some(())
    })
    .await;

    // The receipt is the community's signed decision: it verifies as `tongxin verify` checks.
    let r = co
        .http
        .get(co.url(&format!(
            "/api/v1/reports/{}/receipt",
            r_zhang["id"].as_str().unwrap()
        )))
        .bearer_auth(&co.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let receipt = r.text().await.unwrap();
    let file = a.dir.path().join("receipt.jws");
    std::fs::write(&file, &receipt).unwrap();
    let (verdict, ok) = tongxin_node::cli::verify::run(
        &a.ca_path(),
        None,
        Some(&a.dir.path().join("roster.jws")),
        tongxin_node::cli::verify::Input::Message(Some(&file)),
    )
    .unwrap();
    assert!(ok, "{verdict}");
    assert!(verdict.contains("report.decided"), "{verdict}");
    assert!(verdict.contains(east.org_id.as_str()), "{verdict}");
    // Members see their own receipt, not another's.
    let (status, _) = get_as(
        &co,
        &li_token,
        &format!(
            "/api/v1/reports/{}/receipt",
            r_zhang["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post_as(
        &co,
        &li_token,
        &format!(
            "/api/v1/reports/{}/withdraw",
            r_zhang["id"].as_str().unwrap()
        ),
        json!({ "reason": "不是我的" }),
    )
    .await;
    assert_eq!(status, 404, "a member withdraws only their own reports");

    // 李红梅 moves to east: her home withdraws the west report and reports to east.
    let (status, body) = post_as(
        &co,
        &li_token,
        &format!("/api/v1/reports/{}/withdraw", r_li["id"].as_str().unwrap()),
        json!({ "reason": "搬家" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let r_li_east = co
        .ok_post(
            &format!("/api/v1/members/{li}/reports"),
            json!({ "community": east_id }),
        )
        .await;
    eventually(15, "the move seen by both communities", || async {
        let w = received(&west).await;
        let e = received(&east).await;
        (w.iter()
            .any(|(_, id, s)| id == r_li["id"].as_str().unwrap() && s == "withdrawn")
            && e.len() == 5)
            .then_some(())
    })
    .await;

    // Counts agree on both sides: per community, what each home sees equals what it got.
    let stats = co.get("/api/v1/reports/stats").await;
    assert_eq!(stats["members"], 3);
    // 张 accepted, 李 pending at east (west withdrawn), 王 declined.
    assert_eq!(stats["reported"], 2, "{stats}");
    assert_eq!(stats["accepted"], 1, "{stats}");
    for (community, name) in [(&east, "east"), (&west, "west")] {
        let there = received(community).await;
        for home in [&co, &loue] {
            let at_home = items(&home.get("/api/v1/reports").await);
            for status in ["pending", "accepted", "declined", "withdrawn"] {
                let h = at_home
                    .iter()
                    .filter(|r| {
                        r["community_org"] == community.org_id.as_str() && r["status"] == status
                    })
                    .count();
                let c = there
                    .iter()
                    .filter(|(o, _, s)| o == home.org_id.as_str() && s == status)
                    .count();
                assert_eq!(h, c, "{status} reports of {} at {name}", home.org_id);
            }
        }
    }
    let not_reported = co.get("/api/v1/members?reported=false").await;
    assert_eq!(not_reported["total"], 1);
    assert_eq!(not_reported["items"][0]["name"], "王志强");

    // The member's pairwise reference differs between the two communities.
    let li_west = items(&west.get("/api/v1/reports?side=received").await)
        .into_iter()
        .find(|r| r["id"] == r_li["id"])
        .unwrap();
    let li_east = items(&east.get("/api/v1/reports?side=received").await)
        .into_iter()
        .find(|r| r["id"] == r_li_east["id"])
        .unwrap();
    assert_ne!(li_west["mref"], li_east["mref"]);
    for m in [&li_west["mref"], &li_east["mref"]] {
        assert!(m.as_str().unwrap().starts_with(&format!("{}:", co.org_id)));
    }

    // Export reads back: the same members, the same skills, by label.
    let r = loue
        .http
        .get(loue.url("/api/v1/members/export"))
        .bearer_auth(&loue.token)
        .send()
        .await
        .unwrap();
    let exported = r.text().await.unwrap();
    assert!(exported.starts_with('\u{FEFF}'));
    assert!(
        exported.contains(
            "赵晓燕,赵老师,13900000001,物业部,友谊南里社区大党委,,,,心理咨询、健康教育,周六上午,是"
        ),
        "{exported}"
    );
    let again = csv_import(&loue, "dry-run", exported.into_bytes()).await;
    assert_eq!(again["valid"], 0, "every row is a duplicate now: {again}");
    assert!(
        again["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"] == "duplicate_phone")
    );

    let east_org = east.org_id.clone();
    let homes = vec![
        (co.org_id.clone(), items(&co.get("/api/v1/members").await)),
        (loue.org_id.clone(), loue_members.clone()),
    ];
    for n in [co, loue, east, west] {
        n.stop().await;
    }
    // No other node holds a member's name, phone or internal id: read every byte of their
    // databases (SQLite main file and write-ahead log).
    for (home, members) in &homes {
        for other in a.orgs.iter().filter(|o| o.id != *home) {
            let stored = Stored::read(&other.dir);
            if other.kind == OrgKind::Community {
                assert!(
                    stored.decoded.windows(16).any(|w| w == b"report.submitted"),
                    "the scan reads no message payload at {}",
                    other.id
                );
            }
            if other.id == east_org {
                // The scan finds what was shared on purpose, so it would find a leak.
                assert!(stored.holds("张同志"));
            }
            for m in members {
                for field in ["name", "phone", "id"] {
                    let v = m[field].as_str().unwrap();
                    assert!(
                        !stored.holds(v),
                        "{field} {v} of a member of {home} is in {}'s database",
                        other.id
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_bad_rows_says_what_is_wrong_row_by_row_and_imports_nothing() {
    let a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "区税务局机关党委", None),
        ("east", OrgKind::Community, "友谊南里社区大党委", None),
    ]);
    let co = a.start("co", None).await;
    co.ok_post(
        "/api/v1/members",
        json!({ "name": "张建国", "phone": "13800000001" }),
    )
    .await;
    let east_id = a.org("east").id.to_string();
    let co_id = co.org_id.to_string();
    let csv = format!(
        "姓名,手机,居住社区,技能,可服务时段,急时可调\n\
         好人,13800000009,{east_id},法律咨询,周六上午,是\n\
         坏技能,13800000010,{east_id},炒股,,\n\
         坏手机,1380000,,,,\n\
         未知社区,13800000011,no-such-org,,,\n\
         不是社区,13800000012,{co_id},,,\n\
         已登记,13800000001,,,,\n\
         ,13800000013,,,周八上午,也许\n\
         文件内重复,13800000009,,,,\n"
    );
    let report = csv_import(&co, "all", csv.clone().into_bytes()).await;
    assert_eq!(report["imported"], 0, "{report}");
    assert_eq!(report["rows"], 8);
    assert_eq!(report["valid"], 1);
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = [
        (3, "unknown_skill"),
        (4, "bad_phone"),
        (5, "unknown_community"),
        (6, "not_a_community"),
        (7, "duplicate_phone"),
        (8, "missing"),
        (8, "unknown_slot"),
        (8, "bad_flag"),
        (9, "duplicate_phone"),
    ];
    assert_eq!(
        errors,
        expect
            .iter()
            .map(|(r, c)| (*r, (*c).to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        co.get("/api/v1/members").await["total"],
        1,
        "nothing imported"
    );
    // The admin may choose to import the good rows.
    let report = csv_import(&co, "skip-invalid", csv.into_bytes()).await;
    assert_eq!(report["imported"], 1);
    assert_eq!(co.get("/api/v1/members").await["total"], 2);
    // Only text/csv: a cross-site form or fetch could send text/plain without asking.
    let r = co
        .http
        .post(co.url("/api/v1/members/import?mode=all"))
        .bearer_auth(&co.token)
        .header("content-type", "text/plain")
        .body("姓名,手机\n跨站,13800000077\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // A file with no phone column is refused as a whole.
    let report = csv_import(&co, "all", "姓名\n张三\n".into()).await;
    assert_eq!(report["errors"][0]["code"], "bad_file");
    assert_eq!(report["imported"], 0);
    co.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_report_messages_are_refused_recorded_and_change_nothing() {
    use tongxin_schema::v1::bodies::{ReportDecided, ReportSubmitted, ReportWithdrawn};
    let a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "区税务局机关党委", None),
        ("east", OrgKind::Community, "友谊南里社区大党委", None),
        ("west", OrgKind::Community, "学院北里社区大党委", None),
    ]);
    let co = a.start("co", None).await;
    let east = a.start("east", None).await;
    let west = a.start("west", None).await;
    for n in [&co, &east, &west] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let m = co
        .ok_post(
            "/api/v1/members",
            json!({ "name": "张建国", "phone": "13800000001", "residence_org": east.org_id }),
        )
        .await;
    let report = co
        .ok_post(
            &format!("/api/v1/members/{}/reports", m["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    let (report_id, mref) = (
        report["id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .unwrap(),
        report["mref"]
            .as_str()
            .unwrap()
            .parse::<tongxin_schema::MemberRef>()
            .unwrap(),
    );
    eventually(10, "the report at east", || async {
        (received(&east).await.len() == 1).then_some(())
    })
    .await;

    // A decision from a community the report was never made to.
    send_unchecked(
        &west,
        &co,
        ReportDecided {
            report_id,
            member: mref.clone(),
            accepted: false,
            note: None,
        },
    )
    .await;
    // A report of a member whose home is not the sender.
    let foreign: tongxin_schema::MemberRef = format!("{}:AAAAAAAAAAAAAAAAAAAAAA", west.org_id)
        .parse()
        .unwrap();
    send_unchecked(
        &co,
        &east,
        ReportSubmitted {
            report_id: uuid::Uuid::now_v7(),
            member: foreign,
            display_name: None,
            skills: vec![],
            availability: vec![],
            grid: None,
        },
    )
    .await;
    // The same member reported to east a second time (another report id).
    send_unchecked(
        &co,
        &east,
        ReportSubmitted {
            report_id: uuid::Uuid::now_v7(),
            member: mref.clone(),
            display_name: None,
            skills: vec![],
            availability: vec![],
            grid: None,
        },
    )
    .await;
    // A withdrawal of a report never made.
    send_unchecked(
        &co,
        &east,
        ReportWithdrawn {
            report_id: uuid::Uuid::now_v7(),
            member: mref.clone(),
            reason: None,
        },
    )
    .await;
    eventually(15, "the refusals recorded", || async {
        let at_co = rejected_codes(&co).await;
        let at_east = rejected_codes(&east).await;
        (at_co.contains(&"unknown_report".to_owned())
            && at_east.iter().filter(|c| *c == "not_home").count() == 1
            && at_east.contains(&"already_reported".to_owned())
            && at_east.contains(&"unknown_report".to_owned()))
        .then_some(())
    })
    .await;
    assert_eq!(received(&east).await.len(), 1, "no report was added");
    let at_co = items(&co.get("/api/v1/reports").await);
    assert_eq!(
        at_co[0]["status"], "pending",
        "west's decision changed nothing"
    );

    // The real decision, then a second one from east (a new message, not a redelivery).
    east.ok_post(
        &format!("/api/v1/reports/{}/{report_id}/decision", co.org_id),
        json!({ "accepted": true }),
    )
    .await;
    eventually(10, "accepted at home", || async {
        (items(&co.get("/api/v1/reports").await)[0]["status"] == "accepted").then_some(())
    })
    .await;
    send_unchecked(
        &east,
        &co,
        ReportDecided {
            report_id,
            member: mref.clone(),
            accepted: false,
            note: None,
        },
    )
    .await;
    eventually(10, "the second decision refused", || async {
        rejected_codes(&co)
            .await
            .contains(&"already_decided".to_owned())
            .then_some(())
    })
    .await;
    // The genuine decision replayed on the broker, byte for byte: a duplicate, applied once.
    let receipt = co
        .http
        .get(co.url(&format!("/api/v1/reports/{report_id}/receipt")))
        .bearer_auth(&co.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(receipt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    publish_raw(
        &a.vhost,
        east.org_id.as_str(),
        &a.broker_password,
        &format!("org.{}.report.decided", co.org_id),
        receipt.as_bytes(),
        node_props(
            claims["jti"].as_str().unwrap(),
            "report.decided",
            Some(east.org_id.as_str()),
        ),
    )
    .await
    .unwrap();
    eventually(10, "the replay seen", || async {
        (co.node.metrics.get("tongxin_messages_duplicate_total", "") >= 1).then_some(())
    })
    .await;
    let at_co = items(&co.get("/api/v1/reports").await);
    assert_eq!(at_co[0]["status"], "accepted");
    assert_eq!(applied_effects(&co, "report.decided").await, 1);
    for n in [co, east, west] {
        n.stop().await;
    }
}

/// A large organisation's whole roll in one file: 10,000 members, checked and imported in one
/// request each (the figure printed is for this build; see BENCHMARKS.md for release numbers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_members_import_in_one_file() {
    let a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "区税务局机关党委", None),
        ("east", OrgKind::Community, "友谊南里社区大党委", None),
    ]);
    let co = a.start("co", None).await;
    let east_id = a.org("east").id.to_string();
    let mut csv = String::from("姓名,称呼,手机,部门,居住社区,网格,技能,可服务时段,急时可调\n");
    for i in 0..10_000u64 {
        csv.push_str(&format!(
            "成员{i},,{},第{}科,{east_id},,法律咨询、医疗救护,周六上午、周日下午,{}\n",
            13_700_000_000u64 + i,
            i % 40,
            if i % 3 == 0 { "是" } else { "否" }
        ));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let started = std::time::Instant::now();
    let dry = csv_import(&co, "dry-run", gbk.to_vec()).await;
    let checked = started.elapsed();
    assert_eq!(
        (dry["rows"].as_u64(), dry["valid"].as_u64()),
        (Some(10_000), Some(10_000))
    );
    let started = std::time::Instant::now();
    let done = csv_import(&co, "all", gbk.to_vec()).await;
    let imported = started.elapsed();
    assert_eq!(done["imported"], 10_000, "{}", done["errors"]);
    assert_eq!(co.get("/api/v1/members?limit=1").await["total"], 10_000);
    eprintln!(
        "10,000 members (GBK, {} KiB): dry run {:.2} s, import {:.2} s",
        gbk.len() / 1024,
        checked.as_secs_f64(),
        imported.as_secs_f64()
    );
    co.stop().await;
}
