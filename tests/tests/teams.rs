//! Volunteer teams sign up together, across five real nodes: a community forms 红色帮帮团 from
//! members of two organisations who report there, and invites the whole team to one of its
//! activities; each member answers at home (two accept with an ordinary sign-up, one declines),
//! and the community places them as any sign-up, seeing which came with the team. An activity
//! without a place for everyone is refused before anything is sent; forged, duplicated and
//! misaddressed invitations are refused at the home and change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::SignupInvited;
use tongxin_schema::v1::text::Text;
use tongxin_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_is_invited_together_and_each_member_answers_at_home() {
    let a = Alliance::new(&[
        ("unit", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
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
    let loue = a.start("loue", None).await;
    let east = a.start("east", None).await;
    let west = a.start("west", None).await;
    for n in [&unit, &loue, &east, &west] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    // Three members of two homes report to east, and are accepted.
    let mut tokens = Vec::new();
    for (home, name, phone) in [
        (&unit, "张建国", "13800000011"),
        (&loue, "王丽娜", "13800000012"),
        (&unit, "李秀英", "13800000013"),
    ] {
        let m = home
            .ok_post(
                "/api/v1/members",
                json!({ "name": name, "phone": phone, "residence_org": east.org_id }),
            )
            .await;
        let id = m["id"].as_str().unwrap().to_owned();
        home.ok_post(
            &format!("/api/v1/members/{id}/password"),
            json!({ "password": "志愿服务队测试密码" }),
        )
        .await;
        home.ok_post(&format!("/api/v1/members/{id}/reports"), json!({}))
            .await;
        tokens.push(home.login(phone, "志愿服务队测试密码").await);
    }
    let reports = eventually(15, "three reports at east", || async {
        let v = items(&east.get("/api/v1/reports?side=received").await);
        (v.len() == 3).then_some(v)
    })
    .await;
    for r in &reports {
        east.ok_post(
            &format!(
                "/api/v1/reports/{}/{}/decision",
                r["home_org"].as_str().unwrap(),
                r["id"].as_str().unwrap()
            ),
            json!({ "accepted": true }),
        )
        .await;
    }

    // Teams are a community's; one name per team.
    let (s, v) = unit
        .post("/api/v1/teams", json!({ "name": "红色帮帮团" }))
        .await;
    assert_eq!(s, 409, "{v}");
    let team = east
        .ok_post(
            "/api/v1/teams",
            json!({ "name": "红色帮帮团", "description": "在职党员组成的社区志愿服务队" }),
        )
        .await;
    let (s, v) = east
        .post("/api/v1/teams", json!({ "name": "红色帮帮团" }))
        .await;
    assert_eq!(s, 422, "{v}");
    let team_id = team["id"].as_str().unwrap();
    let members = format!("/api/v1/teams/{team_id}/members");
    for r in &reports {
        east.ok_post(
            &members,
            json!({ "home": r["home_org"], "report_id": r["id"] }),
        )
        .await;
    }
    let (s, v) = east
        .post(
            &members,
            json!({ "home": reports[0]["home_org"], "report_id": reports[0]["id"] }),
        )
        .await;
    assert_eq!(s, 409, "joined twice: {v}");

    // All or none: an activity with two places cannot take the team of three.
    let t = now();
    let activity = |title: &str, capacity: u32| {
        json!({ "category": "volunteer-service", "title": title, "place": "社区卫生站",
                "starts_at": t + 3600, "ends_at": t + 7200, "capacity": capacity })
    };
    let small = east
        .ok_post("/api/v1/activities", activity("义诊（小）", 2))
        .await;
    let big = east
        .ok_post("/api/v1/activities", activity("红色帮帮团 义诊", 10))
        .await;
    let invite = format!("/api/v1/teams/{team_id}/invitations");
    let (s, v) = east
        .post(&invite, json!({ "activity_id": small["id"] }))
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        items(&east.get("/api/v1/invitations").await).is_empty(),
        "nothing was sent"
    );
    let sent = east
        .ok_post(
            &invite,
            json!({ "activity_id": big["id"], "note": "请提前十分钟集合" }),
        )
        .await;
    assert_eq!(items(&sent).len(), 3, "{sent}");
    let (s, v) = east
        .post(&invite, json!({ "activity_id": big["id"] }))
        .await;
    assert_eq!(s, 409, "invited twice: {v}");

    // Each member answers at home.
    let answer = |x: &Value, what: &str| {
        format!(
            "/api/v1/me/invitations/{}/{}/{what}",
            x["host_org"].as_str().unwrap(),
            x["id"].as_str().unwrap()
        )
    };
    let zhang = invitation_of(&unit, &tokens[0]).await;
    assert_eq!(zhang["team"], "红色帮帮团");
    assert_eq!(zhang["note"], "请提前十分钟集合");
    assert_eq!(zhang["status"], "open");
    assert_eq!(zhang["answerable"], true);
    let (s, su) = as_member(
        &unit,
        &tokens[0],
        "POST",
        &answer(&zhang, "accept"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 201, "{su}");
    assert_eq!(su["status"], "requested");
    let wang = invitation_of(&loue, &tokens[1]).await;
    let (s, v) = as_member(
        &loue,
        &tokens[1],
        "POST",
        &answer(&wang, "decline"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = as_member(
        &loue,
        &tokens[1],
        "POST",
        &answer(&wang, "accept"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 409, "answered already: {v}");
    let li = invitation_of(&unit, &tokens[2]).await;
    let (s, v) = as_member(
        &unit,
        &tokens[2],
        "POST",
        &answer(&li, "accept"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    // Another member's invitation is not theirs to answer.
    let (s, v) = as_member(
        &unit,
        &tokens[0],
        "POST",
        &answer(&li, "decline"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 404, "{v}");

    // The community receives two ordinary sign-ups, and knows they came with the team.
    let big_id = big["id"].as_str().unwrap();
    let signups = eventually(15, "two sign-ups at east", || async {
        let v = items(
            &east
                .get(&format!("/api/v1/activities/{big_id}/signups"))
                .await,
        );
        (v.len() == 2).then_some(v)
    })
    .await;
    assert!(signups.iter().all(|s| s["status"] == "requested"));
    let invitations = items(&east.get("/api/v1/invitations").await);
    let answered: Vec<&Value> = invitations
        .iter()
        .filter(|x| x["status"] == "accepted")
        .collect();
    assert_eq!(answered.len(), 2, "{invitations:?}");
    assert!(
        answered
            .iter()
            .all(|x| signups.iter().any(|s| s["id"] == x["signup_id"]))
    );
    assert_eq!(
        invitations.iter().filter(|x| x["status"] == "open").count(),
        1,
        "a decline sends nothing"
    );
    let page = east.page(&format!("/activities/{big_id}")).await;
    assert!(page.contains("随队「红色帮帮团」"), "{page}");
    // Placed as any sign-up; the home learns it.
    let first = &signups[0];
    east.ok_post(
        &format!(
            "/api/v1/signups/{}/{}/placement",
            first["home_org"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        ),
        json!({ "accepted": true }),
    )
    .await;
    eventually(15, "placed, at home", || async {
        let mut placed = 0;
        for token in [&tokens[0], &tokens[2]] {
            let (_, v) = as_member(&unit, token, "GET", "/api/v1/me/signups", Value::Null).await;
            placed += items(&v).iter().filter(|s| s["status"] == "placed").count();
        }
        (placed == 1).then_some(())
    })
    .await;

    // Forged invitations change nothing at home.
    let mref: tongxin_schema::MemberRef = zhang["mref"].as_str().unwrap().parse().unwrap();
    let forged = |id: uuid::Uuid, activity: uuid::Uuid| SignupInvited {
        invitation_id: id,
        activity_id: activity,
        member: mref.clone(),
        team: Text::new("伪造的队伍").unwrap(),
        post_id: None,
        role: None,
        note: None,
    };
    let big_uuid: uuid::Uuid = big_id.parse().unwrap();
    let zhang_id: uuid::Uuid = zhang["id"].as_str().unwrap().parse().unwrap();
    send_unchecked(&east, &unit, forged(zhang_id, big_uuid)).await;
    // One for an activity the home does not hold may be ahead of it (there is no order between
    // the host's streams): kept, but not shown until the activity is there.
    send_unchecked(
        &east,
        &unit,
        forged(uuid::Uuid::now_v7(), uuid::Uuid::now_v7()),
    )
    .await;
    // One for a cancelled activity is refused.
    let small_id = small["id"].as_str().unwrap();
    east.ok_post(
        &format!("/api/v1/activities/{small_id}/cancel"),
        json!({ "reason": "场地调整" }),
    )
    .await;
    eventually(15, "the cancellation at home", || async {
        items(&unit.get("/api/v1/activities").await)
            .iter()
            .any(|x| x["id"] == small_id && x["status"] == "cancelled")
            .then_some(())
    })
    .await;
    send_unchecked(
        &east,
        &unit,
        forged(uuid::Uuid::now_v7(), small_id.parse().unwrap()),
    )
    .await;
    // West never received this member's report, and does not host the activity.
    send_unchecked(&west, &unit, forged(uuid::Uuid::now_v7(), big_uuid)).await;
    eventually(15, "the forgeries refused", || async {
        let codes = rejected_codes(&unit).await;
        ["duplicate_invitation", "activity_closed", "unknown_member"]
            .iter()
            .all(|c| codes.contains(&(*c).to_owned()))
            .then_some(())
    })
    .await;
    let (_, v) = as_member(
        &unit,
        &tokens[0],
        "GET",
        "/api/v1/me/invitations",
        Value::Null,
    )
    .await;
    let v = items(&v);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["team"], "红色帮帮团", "the duplicate changed nothing");
    assert_eq!(v[0]["status"], "accepted");

    // A decline is not sent back: the community invites again those who have not answered.
    let again = east
        .ok_post(&invite, json!({ "activity_id": big["id"], "again": true }))
        .await;
    let again = items(&again);
    assert_eq!(
        again.len(),
        1,
        "only the one who did not sign up: {again:?}"
    );
    assert_eq!(again[0]["mref"], wang["mref"]);

    // A member leaves the team.
    let after = east
        .ok_post(
            &format!("{members}/remove"),
            json!({ "home": reports[0]["home_org"], "report_id": reports[0]["id"] }),
        )
        .await;
    assert_eq!(after["members"].as_array().unwrap().len(), 2, "{after}");

    for n in [unit, loue, east, west] {
        n.stop().await;
    }
}

/// The first invitation a member holds at home, once it arrived.
async fn invitation_of(home: &RunningNode, token: &str) -> Value {
    eventually(15, "the invitation at home", || async {
        let (_, v) = as_member(home, token, "GET", "/api/v1/me/invitations", Value::Null).await;
        items(&v).into_iter().next()
    })
    .await
}
