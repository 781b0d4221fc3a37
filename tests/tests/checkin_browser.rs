//! QR check-in in a real browser (headless Chromium through WebDriver): the host's staff open
//! the activity's QR page; a phone follows the address the QR code carries, signs in with the
//! member's home organisation, checks in, and an hour later checks out; the member's record
//! page at home then shows the hour the host attested. Both nodes share one manual clock,
//! moved forward instead of waiting for the hour.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use fantoccini::Locator;
use serde_json::json;
use tongxin_node::clock::Clock;
use tongxin_schema::OrgKind;
use tongxin_tests::browser::{Driver, arrive, arrive_exactly, click, fill, text};
use tongxin_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_follows_the_qr_code_signs_in_at_home_checks_in_and_out_and_the_hour_is_credited() {
    let mut a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("east", OrgKind::Community, "小山隆义里社区大党委", None),
    ]);
    let clock = Clock::manual(now() * 1000);
    let co = a.start_with_clock("co", clock.clone()).await;
    let east = a.start_with_clock("east", clock.clone()).await;
    a.publish_base_urls(&[&co, &east]);
    for n in [&co, &east] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }

    // A member of the unit, signed up and placed for the community's poetry reading.
    let m = co
        .ok_post(
            "/api/v1/members",
            json!({ "name": "张建国", "display_name": "张老师", "phone": "13800000001",
                    "residence_org": east.org_id }),
        )
        .await;
    let mid = m["id"].as_str().unwrap();
    co.ok_post(
        &format!("/api/v1/members/{mid}/password"),
        json!({ "password": "张建国的密码123" }),
    )
    .await;
    let member = co.login("13800000001", "张建国的密码123").await;
    let t0 = clock.now_ms() / 1000;
    let act = east
        .ok_post(
            "/api/v1/activities",
            json!({ "category": "culture", "title": "《写小山》诗歌朗诵会", "place": "社区党群服务中心",
                    "starts_at": t0 + 300, "ends_at": t0 + 7500, "capacity": 30 }),
        )
        .await;
    let id = act["id"].as_str().unwrap().to_owned();
    eventually(15, "the activity at home", || async {
        co.get("/api/v1/activities").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str())
            .then_some(())
    })
    .await;
    let su: serde_json::Value = co
        .http
        .post(co.url("/api/v1/me/signups"))
        .bearer_auth(&member)
        .json(&json!({ "host": east.org_id, "activity_id": id }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at_host = eventually(15, "the sign-up at the host", || async {
        east.get(&format!("/api/v1/activities/{id}/signups")).await["items"]
            .as_array()
            .and_then(|i| i.first().cloned())
    })
    .await;
    east.ok_post(
        &format!(
            "/api/v1/signups/{}/{}/placement",
            co.org_id,
            at_host["id"].as_str().unwrap()
        ),
        json!({ "accepted": true }),
    )
    .await;
    eventually(15, "placed, at home", || async {
        let r = co
            .http
            .post(co.url(&format!(
                "/api/v1/me/signups/{}/confirm",
                su["id"].as_str().unwrap()
            )))
            .bearer_auth(&member)
            .send()
            .await
            .unwrap();
        (r.status() == 200).then_some(())
    })
    .await;
    clock.advance_ms(600_000);

    let driver = Driver::start();
    // The host's staff show the QR code.
    let staff = driver.browser().await;
    staff.goto(&east.url("/login")).await.unwrap();
    fill(&staff, "input[name=username]", "admin").await;
    fill(&staff, "input[name=password]", "correct horse battery").await;
    click(&staff, "form[action='/login'] button").await;
    // Signed in: staff land on their home page.
    arrive_exactly(&staff, &east.url("/")).await;
    staff
        .goto(&east.url(&format!("/activities/{id}/qr")))
        .await
        .unwrap();
    assert!(
        staff.find(Locator::Css(".qr svg")).await.is_ok(),
        "the QR code is drawn"
    );
    let qr_url = staff
        .find(Locator::Css(".qr ~ p a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        qr_url.starts_with(&east.url(&format!("/checkin/{id}?code="))),
        "{qr_url}"
    );

    // The phone follows it: not signed in at the host, so it signs in with its home.
    let phone = driver.browser().await;
    phone.goto(&qr_url).await.unwrap();
    arrive(&phone, &east.url("/signin?next=")).await;
    click(&phone, &format!("button[value='{}']", co.org_id)).await;
    arrive(&phone, &co.url("/login?next=")).await;
    fill(&phone, "input[name=username]", "13800000001").await;
    fill(&phone, "input[name=password]", "张建国的密码123").await;
    click(&phone, "form[action='/login'] button").await;
    arrive(&phone, &co.url("/signin/for")).await;
    click(&phone, "button[value=allow]").await;
    arrive(&phone, &east.url(&format!("/checkin/{id}"))).await;
    let page = text(&phone).await;
    assert!(
        page.contains("《写小山》诗歌朗诵会") && page.contains("张老师"),
        "{page}"
    );
    click(&phone, &format!("form[action='/checkin/{id}'] button")).await;
    let checked_in = phone
        .wait()
        .for_element(Locator::Css("[data-state=in]"))
        .await;
    assert!(checked_in.is_ok(), "{}", text(&phone).await);

    // An hour later, out.
    clock.advance_ms(3_600_000);
    click(&phone, &format!("form[action='/checkin/{id}/out'] button")).await;
    assert!(
        phone
            .wait()
            .for_element(Locator::Css("[data-state=out]"))
            .await
            .is_ok(),
        "{}",
        text(&phone).await
    );

    // At home, the member's page shows the hour the host attested.
    let mut shown = String::new();
    for _ in 0..100 {
        phone.goto(&co.url("/me")).await.unwrap();
        shown = phone
            .find(Locator::Css("[data-minutes]"))
            .await
            .unwrap()
            .attr("data-minutes")
            .await
            .unwrap()
            .unwrap_or_default();
        if shown == "60" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    assert_eq!(shown, "60", "{}", text(&phone).await);
    let me = text(&phone).await;
    assert!(
        me.contains("1.0") && me.contains("小山隆义里社区大党委"),
        "{me}"
    );

    staff.close().await.unwrap();
    phone.close().await.unwrap();
    co.stop().await;
    east.stop().await;
}
