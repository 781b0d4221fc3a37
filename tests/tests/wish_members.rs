//! 微心愿·我帮办 taken on by a member through their home, across two real nodes: a community
//! keeps the buildings (楼栋) of its grids in its care ledger and records a wish for a household
//! of one of them; a member of a co-building unit, signed in at their home, claims the wish
//! themselves. The community sees the claim as the unit's member (how they are addressed,
//! never their name), accepts it, and only then does the member, at their home, learn where
//! to go; they report it done and the community confirms. Nobody else at the home can act on
//! the member's claim, and a claim for a member of another home is refused on the wire. (The
//! body rules of a member's claim, no offer and a 称呼 only with a member, are the schema's
//! tests: a node cannot even sign such a body.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::NeedClaimed;
use tongxin_schema::v1::text::Text;
use tongxin_tests::*;
use uuid::Uuid;

const NAME: &str = "周桂兰";
const ADDRESS: &str = "小山隆义里7号楼2单元302";

async fn my_claims(home: &RunningNode, token: &str) -> Vec<Value> {
    let (s, v) = as_member(home, token, "GET", "/api/v1/me/claims", Value::Null).await;
    assert_eq!(s, 200, "{v}");
    items(&v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_takes_a_wish_on_through_their_home() {
    let a = Alliance::new(&[
        ("unit", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("east", OrgKind::Community, "小山隆义里社区大党委", None),
    ]);
    let unit = a.start("unit", None).await;
    let east = a.start("east", None).await;
    for n in [&unit, &east] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }

    // 楼栋: only a community keeps them, in one of its grids, each once.
    let (s, v) = unit
        .post("/api/v1/buildings", json!({ "name": "7号楼", "grid": "2" }))
        .await;
    assert_eq!(s, 409, "a unit keeps no ledger: {v}");
    let (s, v) = east
        .post("/api/v1/buildings", json!({ "name": "7号楼", "grid": "9" }))
        .await;
    assert_eq!(s, 422, "not one of east's grids: {v}");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("grid"));
    let seven = east
        .ok_post(
            "/api/v1/buildings",
            json!({ "name": "7号楼", "grid": "2", "head": "李阿姨" }),
        )
        .await;
    let (s, v) = east
        .post("/api/v1/buildings", json!({ "name": "7号楼", "grid": "2" }))
        .await;
    assert_eq!(s, 422, "listed already: {v}");
    assert_eq!(items(&east.get("/api/v1/buildings").await).len(), 1);

    // A household in building 7 takes its grid; another grid than the building's is refused.
    let household = |grid: Option<&str>| {
        json!({ "label": "第二网格 关爱户05", "name": NAME, "address": ADDRESS,
                "building_id": seven["id"], "grid": grid, "situation": "高龄独居" })
    };
    let (s, v) = east.post("/api/v1/households", household(Some("3"))).await;
    assert_eq!(s, 422, "building 7 is in grid 2: {v}");
    let h = east.ok_post("/api/v1/households", household(None)).await;
    assert_eq!(
        (h["grid"].as_str(), &h["building_id"]),
        (Some("2"), &seven["id"])
    );
    assert!(east.page("/care").await.contains("李阿姨"));

    let wish = east
        .ok_post(
            &format!("/api/v1/households/{}/wishes", h["id"].as_str().unwrap()),
            json!({ "title": "陪老人去医院复查", "micro_wish": "elderly-over80",
                    "addressee": "周奶奶" }),
        )
        .await;
    let wish_id = wish["id"].as_str().unwrap().to_owned();
    let plain = east
        .ok_post(
            "/api/v1/needs",
            json!({ "title": "社区活动室需要投影仪", "level": "community" }),
        )
        .await;

    // A member of the unit, signed in at home.
    let member = unit
        .ok_post(
            "/api/v1/members",
            json!({ "name": "张建国", "display_name": "张师傅", "phone": "13800000011",
                    "residence_org": east.org_id }),
        )
        .await;
    let other = unit
        .ok_post(
            "/api/v1/members",
            json!({ "name": "王红梅", "phone": "13800000012" }),
        )
        .await;
    for (m, pw) in [(&member, "我帮办测试密码一"), (&other, "我帮办测试密码二")] {
        unit.ok_post(
            &format!("/api/v1/members/{}/password", m["id"].as_str().unwrap()),
            json!({ "password": pw }),
        )
        .await;
    }
    let token = unit.login("13800000011", "我帮办测试密码一").await;
    let other_token = unit.login("13800000012", "我帮办测试密码二").await;
    eventually(15, "the wish and the need at the unit", || async {
        let (_, v) = as_member(&unit, &token, "GET", "/api/v1/needs", Value::Null).await;
        (items(&v).len() == 2).then_some(())
    })
    .await;

    // Members take on micro-wishes only; the wish is claimed once per home.
    let take = |id: &str| format!("/api/v1/me/needs/{}/{id}/claims", east.org_id);
    let (s, v) = as_member(
        &unit,
        &token,
        "POST",
        &take(plain["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!(s, 409, "not a micro-wish: {v}");
    let (s, v) = as_member(
        &unit,
        &token,
        "POST",
        &take(&wish_id),
        json!({ "note": "周六上午可以陪同" }),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let claim_id = v["claim_id"].as_str().unwrap().to_owned();
    let (s, v) = unit
        .post(
            &format!("/api/v1/needs/{}/{wish_id}/claims", east.org_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "the unit's member has it: {v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("张师傅"),
        "{v}"
    );
    let (s, v) = as_member(&unit, &other_token, "POST", &take(&wish_id), json!({})).await;
    assert_eq!(s, 409, "one claim per home: {v}");
    assert!(
        !v.to_string().contains("张师傅"),
        "a colleague is not named: {v}"
    );
    let mine = my_claims(&unit, &token).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0]["status"].as_str(), mine[0]["need_title"].as_str()),
        (Some("pending"), Some("陪老人去医院复查"))
    );
    assert!(my_claims(&unit, &other_token).await.is_empty());

    // The community sees the unit's member by 称呼 and pairwise reference, then accepts.
    let at_east = eventually(15, "the claim at east", || async {
        items(&east.get("/api/v1/claims").await)
            .into_iter()
            .find(|c| c["id"] == claim_id)
    })
    .await;
    assert_eq!(at_east["member_name"], "张师傅");
    assert!(
        at_east["mref"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}:", unit.org_id)),
        "{at_east}"
    );
    assert!(at_east["member_id"].is_null());
    assert!(!at_east.to_string().contains("张建国"));
    assert!(east.page("/claims").await.contains("张师傅"));
    assert!(east.page("/care").await.contains("张师傅"));
    assert!(
        my_claims(&unit, &token).await[0]["contact_address"].is_null(),
        "no address before the community accepts"
    );
    east.ok_post(
        &format!("/api/v1/claims/{}/{claim_id}/decision", unit.org_id),
        json!({ "accepted": true }),
    )
    .await;
    let accepted = eventually(15, "the acceptance at the unit", || async {
        let c = my_claims(&unit, &token).await.into_iter().next()?;
        (c["status"] == "accepted").then_some(c)
    })
    .await;
    assert_eq!(
        (
            accepted["contact_addressee"].as_str(),
            accepted["contact_address"].as_str()
        ),
        (Some("周奶奶"), Some(ADDRESS))
    );

    // Only the member reports their claim done; then the community confirms.
    let done = format!("/api/v1/me/claims/{claim_id}/done");
    let (s, _) = as_member(&unit, &other_token, "POST", &done, json!({})).await;
    assert_eq!(s, 404, "another member's claim");
    let (s, v) = as_member(
        &unit,
        &token,
        "POST",
        &done,
        json!({ "summary": "已陪同复查，结果正常" }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    eventually(15, "done at east", || async {
        items(&east.get("/api/v1/claims").await)
            .into_iter()
            .find(|c| c["id"] == claim_id && c["status"] == "done")
    })
    .await;
    east.ok_post(
        &format!("/api/v1/needs/{wish_id}/fulfil"),
        json!({ "claim_id": claim_id, "summary": "周奶奶说谢谢张师傅" }),
    )
    .await;
    let confirmed = eventually(15, "confirmed at the unit", || async {
        let c = my_claims(&unit, &token).await.into_iter().next()?;
        (c["status"] == "confirmed").then_some(c)
    })
    .await;
    assert!(confirmed["contact_address"].is_null(), "{confirmed}");
    assert!(unit.page("/claims").await.contains("张师傅"));

    // On the wire, a member claims through their own home only.
    let open = east
        .ok_post(
            &format!("/api/v1/households/{}/wishes", h["id"].as_str().unwrap()),
            json!({ "title": "修理收音机", "micro_wish": "elderly-over80", "addressee": "周奶奶" }),
        )
        .await;
    let open_id = open["id"].as_str().unwrap().to_owned();
    eventually(15, "the second wish at the unit", || async {
        (items(&unit.get("/api/v1/needs?limit=50").await).len() == 3).then_some(())
    })
    .await;
    let before = rejected_codes(&east).await.len();
    let body = NeedClaimed {
        claim_id: Uuid::now_v7(),
        need_id: open_id.parse().unwrap(),
        offer_id: None,
        note: None,
        member: Some(member_at(&east.org_id, &east.org_id, Uuid::now_v7())),
        display_name: Some(Text::new("冒名").unwrap()),
    };
    send_unchecked(&unit, &east, body).await;
    let codes = eventually(15, "refused at east", || async {
        let codes = rejected_codes(&east).await;
        (codes.len() > before).then_some(codes)
    })
    .await;
    assert_eq!(codes[0], "not_home", "{codes:?}");
    assert!(
        !items(&east.get("/api/v1/claims").await)
            .iter()
            .any(|c| c["need_id"] == open_id),
        "nothing kept"
    );
}
