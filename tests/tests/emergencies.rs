//! 急时 across six real nodes: a community declares an emergency with two posts; three homes
//! (a co-building unit, a building alliance, a riders' branch) call their emergency-ready
//! members who live or work there, the A holders first (those with the post's skills); where no A
//! holder said yes in time the B holders are called, and the posts fill at the community with
//! the time each took. The community sees pairwise references and how to address people,
//! never a name. Forged and late messages are refused and change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_node::clock::Clock;
use tongxin_schema::OrgKind;
use tongxin_schema::envelope::{Audience, Message};
use tongxin_schema::v1::bodies::{EmergencyDeclared, EmergencyPost, EmergencyVolunteered};
use tongxin_schema::v1::taxonomy::PostRole;
use tongxin_schema::v1::text::Text;
use tongxin_tests::*;
use uuid::Uuid;

/// Registers an emergency-ready member living at `community`; returns their id.
async fn ready_member(
    home: &RunningNode,
    name: &str,
    phone: &str,
    community: &str,
    skills: &[&str],
) -> String {
    let m = home
        .ok_post(
            "/api/v1/members",
            json!({ "name": name, "phone": phone, "residence_org": community,
                    "skills": skills, "emergency_ready": true }),
        )
        .await;
    m["id"].as_str().unwrap().to_owned()
}

/// An emergency-ready member of `home` who lives in `lives` and works in `works`.
async fn working_member(
    home: &RunningNode,
    (name, phone): (&str, &str),
    lives: &str,
    works: &str,
    skills: &[&str],
) -> String {
    let m = home
        .ok_post(
            "/api/v1/members",
            json!({ "name": name, "phone": phone, "residence_org": lives, "work_org": works,
                    "skills": skills, "emergency_ready": true }),
        )
        .await;
    assert_eq!(m["work_org"], works, "{m}");
    m["id"].as_str().unwrap().to_owned()
}

/// The calls of `member` at their home.
async fn calls_of(home: &RunningNode, member: &str) -> Vec<Value> {
    items(&home.get("/api/v1/emergency-calls").await)
        .into_iter()
        .filter(|c| c["member_id"] == member)
        .collect()
}

/// An emergency with one post, declared for `community`'s area, for a forger to send.
fn forged_declaration(title: &str, community: &tongxin_schema::OrgId) -> EmergencyDeclared {
    EmergencyDeclared {
        emergency_id: Uuid::now_v7(),
        title: Text::new(title).unwrap(),
        description: Text::new("").unwrap(),
        communities: vec![community.clone()],
        grids: vec![],
        posts: vec![EmergencyPost {
            post_id: Uuid::now_v7(),
            title: Text::new("值守").unwrap(),
            headcount: 1,
            skills: vec![],
        }],
        starts_at: now(),
        answer_within_secs: 60,
    }
}

async fn board(node: &RunningNode, id: &str) -> Value {
    items(&node.get("/api/v1/emergencies").await)
        .into_iter()
        .find(|e| e["id"] == id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_fills_from_three_homes_with_b_holders_where_a_holders_did_not_answer() {
    let a = Alliance::new(&[
        ("unit", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("tower", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
        ("rider", OrgKind::NewEmployment, "外卖骑手党支部", None),
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
    // One clock for every node: the A holders' time passes when the test says so.
    let clock = Clock::manual(now() * 1000);
    let unit = a.start_with_clock("unit", clock.clone()).await;
    let tower = a.start_with_clock("tower", clock.clone()).await;
    let rider = a.start_with_clock("rider", clock.clone()).await;
    let street = a.start_with_clock("street", clock.clone()).await;
    let east = a.start_with_clock("east", clock.clone()).await;
    let west = a.start_with_clock("west", clock.clone()).await;
    let all = [&unit, &tower, &rider, &street, &east, &west];
    for n in all {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let here = east.org_id.as_str();
    // Each home: one with a post's skill (an A holder), one without (a B holder), living at
    // east (the tower's medic lives at west but works at east); and one living elsewhere, who
    // is never called.
    let u_medic = ready_member(&unit, "张建国", "13800000001", here, &["medical-aid"]).await;
    let u_spare = ready_member(&unit, "王红梅", "13800000002", here, &[]).await;
    let t_medic = working_member(
        &tower,
        ("李志强", "13800000003"),
        west.org_id.as_str(),
        here,
        &["medical-aid"],
    )
    .await;
    let t_spare = ready_member(&tower, "刘秀英", "13800000004", here, &[]).await;
    let r_listener = ready_member(&rider, "陈海涛", "13800000005", here, &["psychological"]).await;
    let r_spare = ready_member(&rider, "杨丽娜", "13800000006", here, &[]).await;
    let elsewhere = ready_member(
        &unit,
        "赵国庆",
        "13800000007",
        west.org_id.as_str(),
        &["medical-aid"],
    )
    .await;

    // Only the community's own area, and only a mobiliser, may be declared.
    let posts = json!([
        { "title": "医疗救护点", "headcount": 3, "skills": ["medical-aid"] },
        { "title": "心理疏导", "headcount": 1, "skills": ["psychological"] }
    ]);
    let (s, v) = east
        .post(
            "/api/v1/emergencies",
            json!({ "title": "暴雨内涝转移群众", "posts": posts, "communities": [west.org_id] }),
        )
        .await;
    assert_eq!(s, 422, "a community mobilises only itself: {v}");
    let (s, v) = unit
        .post(
            "/api/v1/emergencies",
            json!({ "title": "x", "posts": posts }),
        )
        .await;
    assert_eq!(s, 403, "a co-building unit does not declare: {v}");
    let (s, v) = east
        .post("/api/v1/emergencies", json!({ "title": "x", "posts": [] }))
        .await;
    assert_eq!(s, 422, "no post: {v}");

    let declared = east
        .ok_post(
            "/api/v1/emergencies",
            json!({ "title": "暴雨内涝转移群众", "description": "低洼平房住户转移至社区党群服务中心",
                    "posts": posts, "answer_within_secs": 60 }),
        )
        .await;
    let id = declared["id"].as_str().unwrap().to_owned();
    assert_eq!(declared["communities"], json!([here]));
    let medic_post = declared["posts"][0]["post_id"].as_str().unwrap().to_owned();
    let listen_post = declared["posts"][1]["post_id"].as_str().unwrap().to_owned();

    // The A holders are called at each home, for the post of their skill; nobody else yet.
    for (home, member, post) in [
        (&unit, &u_medic, &medic_post),
        (&tower, &t_medic, &medic_post),
        (&rider, &r_listener, &listen_post),
    ] {
        let c = eventually(15, "an A call", || async {
            calls_of(home, member).await.into_iter().next()
        })
        .await;
        assert_eq!(
            (c["role"].as_str(), c["post_id"].as_str()),
            (Some("A"), Some(post.as_str()))
        );
        assert_eq!(c["emergency_title"], "暴雨内涝转移群众");
    }
    for (home, member) in [
        (&unit, &u_spare),
        (&tower, &t_spare),
        (&rider, &r_spare),
        (&unit, &elsewhere),
    ] {
        assert!(calls_of(home, member).await.is_empty(), "called too early");
    }

    // The unit's medic says yes on 我的, the riders' listener no; the tower's medic is silent.
    unit.ok_post(
        &format!("/api/v1/members/{u_medic}/password"),
        json!({ "password": "急时测试密码第一号" }),
    )
    .await;
    let token = unit.login("13800000001", "急时测试密码第一号").await;
    let answer = format!("/api/v1/me/emergency-calls/{here}/{id}/answer");
    let (s, v) = as_member(&unit, &token, "POST", &answer, json!({ "available": true })).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = as_member(&unit, &token, "POST", &answer, json!({ "available": true })).await;
    assert_eq!(s, 409, "answered twice: {v}");
    rider
        .ok_post(
            &format!("/api/v1/emergency-calls/{here}/{id}/{r_listener}/answer"),
            json!({ "available": false }),
        )
        .await;

    // Nobody else is called while the A holders' time runs.
    clock.advance_ms(50_000);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await; // a timer tick at every home
    for (home, member) in [(&unit, &u_spare), (&tower, &t_spare), (&rider, &r_spare)] {
        assert!(
            calls_of(home, member).await.is_empty(),
            "a B holder called early"
        );
    }
    clock.advance_ms(11_000);

    // Past the A holders' time, each home calls its spare members as B holders where none of
    // its A holders said yes: the tower and the riders for the medical post, the unit for the
    // listening post (its medic answered the other).
    for (home, member, post) in [
        (&unit, &u_spare, &listen_post),
        (&tower, &t_spare, &medic_post),
        (&rider, &r_spare, &medic_post),
    ] {
        let c = eventually(20, "a B call", || async {
            calls_of(home, member).await.into_iter().next()
        })
        .await;
        assert_eq!(
            (c["role"].as_str(), c["post_id"].as_str()),
            (Some("B"), Some(post.as_str()))
        );
        home.ok_post(
            &format!("/api/v1/emergency-calls/{here}/{id}/{member}/answer"),
            json!({ "available": true }),
        )
        .await;
    }
    assert!(
        calls_of(&unit, &elsewhere).await.is_empty(),
        "lives outside the area"
    );
    assert!(calls_of(&tower, &t_medic).await[0]["answered_ms"].is_null());

    // The community's board: both posts filled, from three homes, with the time each took.
    let filled = eventually(20, "both posts filled", || async {
        let b = board(&east, &id).await;
        b["posts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["filled_ms"].is_i64())
            .then_some(b)
    })
    .await;
    let medic = &filled["posts"][0];
    let vols = medic["volunteers"].as_array().unwrap();
    assert_eq!(vols.len(), 3);
    let roles: Vec<&str> = vols.iter().map(|v| v["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["A", "B", "B"], "{vols:?}");
    let homes: std::collections::HashSet<&str> = vols
        .iter()
        .map(|v| v["home_org"].as_str().unwrap())
        .collect();
    assert_eq!(homes.len(), 3, "{homes:?}");
    assert!(medic["seconds_to_fill"].as_i64().unwrap() >= 60, "{medic}");
    assert_eq!(filled["posts"][1]["volunteers"][0]["role"], "B");
    assert_eq!(
        filled["posts"][1]["volunteers"][0]["display_name"],
        "王同志"
    );
    assert!(
        !filled.to_string().contains("王红梅"),
        "a name reached the board"
    );
    // Elsewhere the emergency is known, its volunteers are not.
    let far = eventually(15, "known at the other community", || async {
        items(&west.get("/api/v1/emergencies").await)
            .into_iter()
            .next()
    })
    .await;
    assert!(far["posts"][0]["volunteers"].as_array().unwrap().is_empty());
    assert!(east.page("/emergencies").await.contains("医疗救护点"));

    // Forgeries: a member of another home, the same member twice, an unknown emergency, a post
    // it does not have, and a community declaring for another's area.
    let u_ref: tongxin_schema::MemberRef = vols[0]["mref"].as_str().unwrap().parse().unwrap();
    let emergency: Uuid = id.parse().unwrap();
    let vol = |member: tongxin_schema::MemberRef, emergency_id: Uuid, post_id: Uuid| {
        EmergencyVolunteered {
            emergency_id,
            member,
            post_id,
            role: PostRole::B,
            display_name: None,
            skills: vec![],
        }
    };
    let medic_uuid: Uuid = medic_post.parse().unwrap();
    send_unchecked(&tower, &east, vol(u_ref.clone(), emergency, medic_uuid)).await;
    send_unchecked(&unit, &east, vol(u_ref.clone(), emergency, medic_uuid)).await;
    send_unchecked(&unit, &east, vol(u_ref.clone(), Uuid::now_v7(), medic_uuid)).await;
    send_unchecked(&unit, &east, vol(u_ref.clone(), emergency, Uuid::now_v7())).await;
    broadcast_unchecked(&west, forged_declaration("伪造的急时", &east.org_id)).await;
    // A co-building unit may not declare an emergency at all: signed with its own key and
    // published as its broker user, the declaration is refused on the wire.
    let by_unit = Message::new(
        unit.org_id.clone(),
        Audience::All,
        1,
        now(),
        forged_declaration("共建单位伪造的急时", &east.org_id),
    );
    let jws = unit.node.signer.sign(&by_unit).unwrap();
    publish_raw(
        &a.vhost,
        unit.org_id.as_str(),
        &a.broker_password,
        &format!("org.{}.emergency.declared", east.org_id),
        jws.as_bytes(),
        node_props("by-unit", "emergency.declared", Some(unit.org_id.as_str())),
    )
    .await
    .unwrap();
    eventually(15, "the forgeries refused", || async {
        let at_east = rejected_codes(&east).await;
        let at_unit = rejected_codes(&unit).await;
        ([
            "not_home",
            "duplicate_volunteer",
            "unknown_emergency",
            "unknown_post",
            "bad_area",
            "not_permitted",
        ]
        .iter()
        .all(|c| at_east.contains(&(*c).to_owned()))
            && at_unit.contains(&"bad_area".to_owned()))
        .then_some(())
    })
    .await;
    assert_eq!(
        board(&east, &id).await["posts"][0]["volunteers"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        items(&unit.get("/api/v1/emergencies").await).len(),
        1,
        "the forged one was not kept"
    );

    // Closed: the homes stop; a late answer is refused at home.
    let close = format!("/api/v1/emergencies/{id}/close");
    east.ok_post(&close, json!({ "summary": "群众已全部转移" }))
        .await;
    let (s, v) = east.post(&close, json!({})).await;
    assert_eq!(s, 409, "closed twice: {v}");
    eventually(15, "closed at the tower", || async {
        items(&tower.get("/api/v1/emergencies").await)
            .into_iter()
            .find(|e| e["id"] == id.as_str() && e["closed_ms"].is_i64())
    })
    .await;
    let (s, v) = tower
        .post(
            &format!("/api/v1/emergency-calls/{here}/{id}/{t_medic}/answer"),
            json!({ "available": true }),
        )
        .await;
    assert_eq!(s, 409, "too late: {v}");
    // A yes sent anyway after the close is refused by the community.
    let late = tongxin_tests::member_at(&tower.org_id, &east.org_id, Uuid::now_v7());
    send_unchecked(&tower, &east, vol(late, emergency, medic_uuid)).await;
    eventually(15, "a late volunteer refused", || async {
        rejected_codes(&east)
            .await
            .contains(&"emergency_closed".to_owned())
            .then_some(())
    })
    .await;
    assert_eq!(
        board(&east, &id).await["posts"][0]["volunteers"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    for n in [unit, tower, rider, street, east, west] {
        n.stop().await;
    }
    // The members' names and phones stay at their homes.
    let east_disk = Stored::read(&a.org("east").dir);
    for secret in [
        "张建国",
        "王红梅",
        "李志强",
        "刘秀英",
        "杨丽娜",
        "13800000002",
    ] {
        assert!(
            !east_disk.holds(secret),
            "{secret} is in the community's database"
        );
    }
    assert!(
        Stored::read(&a.org("unit").dir).holds("王红梅"),
        "the scan finds what is there"
    );
}
