//! Signing in with your home organisation at another node (PROTOCOL.md §4.7), in a real
//! browser: headless Chromium driven through WebDriver (chromedriver). A member of a
//! co-building unit opens a community's sign-in page, picks their unit, signs in there,
//! confirms, and comes back signed in at the community, which shows the report it accepted
//! from them. Then each token a host must refuse is brought back to the community in the same
//! browser: each gets its page with the reason, and none of them signs anyone in.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use fantoccini::cookies::Cookie;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use tongxin_schema::envelope::Signer;
use tongxin_schema::token::{MEMBER_TYP, MemberClaims};
use tongxin_schema::{MemberRef, OrgKind};
use tongxin_tests::browser::{Driver, arrive, text};
use tongxin_tests::*;

/// Signed-in sessions at `host` so far (every accepted token adds one).
async fn completed(host: &RunningNode) -> i64 {
    host.node
        .store
        .read(tongxin_node::store::signins::completed)
        .await
        .unwrap()
}

/// The page's refusal code (`data-code`), if it is a refusal page.
async fn refusal(c: &Client) -> Option<String> {
    let el = c.find(Locator::Css("[data-code]")).await.ok()?;
    el.attr("data-code").await.unwrap()
}

/// Starts a sign-in at `host` for a member of `home` in the browser (already signed in at the
/// home, so it stops at the home's confirmation page), and returns the host's nonce, read from
/// the address the browser was sent to.
async fn start_signin(c: &Client, host: &RunningNode, home: &RunningNode) -> String {
    c.goto(&host.url("/signin?next=/visit")).await.unwrap();
    c.find(Locator::Css(&format!("button[value='{}']", home.org_id)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = arrive(c, &home.url("/signin/for")).await;
    // A nonce is base64url: nothing in it is percent-encoded.
    url.split("nonce=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

fn claims(home: &Org, host: &Org, nonce: &str) -> MemberClaims {
    let t = now();
    MemberClaims {
        iss: home.id.clone(),
        aud: host.id.clone(),
        sub: MemberRef::pairwise(
            home.id.clone(),
            b"key of the test",
            &host.id,
            uuid::Uuid::now_v7(),
        ),
        iat: t - 5,
        exp: t + 120,
        nonce: nonce.to_owned(),
        name: None,
        skills: vec![],
    }
}

/// Signs claims as a member token without the signer's own checks (as a broken or hostile
/// home might).
fn sign_raw(org: &Org, claims: &Value) -> String {
    let s = Signer::new(&org.key, &org.cert).unwrap();
    let mut h = s.header().clone();
    h.typ = Some(MEMBER_TYP.to_owned());
    s.sign_raw_claims(Some(&h), claims).unwrap()
}

/// A token made for the nonce of a sign-in in progress.
type TokenFor<'a> = Box<dyn Fn(&str) -> String + 'a>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_at_a_community_with_their_home_and_bad_tokens_are_refused() {
    let mut a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "区税务局机关党委", None),
        ("east", OrgKind::Community, "友谊南里社区大党委", None),
        ("west", OrgKind::Community, "学院北里社区大党委", None),
        ("gone", OrgKind::CoBuildingUnit, "已撤销的共建单位", None),
        ("stranger", OrgKind::CoBuildingUnit, "名册外的单位", None),
    ]);
    a.write_roster(|o| !o.id.as_str().starts_with("stranger-"));
    a.write_crl(&[a.org("gone")]);
    let co = a.start("co", None).await;
    let east = a.start("east", None).await;
    // Now that the nodes listen, the roster gives their web addresses.
    a.base_urls.insert(co.org_id.clone(), co.url(""));
    a.base_urls.insert(east.org_id.clone(), east.url(""));
    let roster = a.write_roster(|o| !o.id.as_str().starts_with("stranger-"));
    co.install_roster(&roster);
    east.install_roster(&roster);
    for n in [&co, &east] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }

    // A member of the co-building unit, with a sign-in, reported to east and accepted there.
    let m = co
        .ok_post(
            "/api/v1/members",
            json!({ "name": "张建国", "display_name": "张老师", "phone": "13800000001",
                    "residence_org": east.org_id, "skills": ["legal"] }),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    co.ok_post(
        &format!("/api/v1/members/{id}/password"),
        json!({ "password": "张建国的密码123" }),
    )
    .await;
    co.ok_post(&format!("/api/v1/members/{id}/reports"), json!({}))
        .await;
    let report = eventually(15, "the report at east", || async {
        east.get("/api/v1/reports?side=received").await["items"]
            .as_array()
            .and_then(|i| i.first().cloned())
    })
    .await;
    east.ok_post(
        &format!(
            "/api/v1/reports/{}/{}/decision",
            co.org_id,
            report["id"].as_str().unwrap()
        ),
        json!({ "accepted": true, "note": "欢迎张老师" }),
    )
    .await;

    let driver = Driver::start();
    let c = driver.browser().await;

    // The whole journey, by clicks: east's sign-in page → co → sign in → confirm → back.
    c.goto(&east.url("/visit")).await.unwrap();
    assert!(
        c.current_url().await.unwrap().path() == "/signin",
        "a visitor is asked who they are"
    );
    assert!(text(&c).await.contains("用你的组织登录"));
    c.find(Locator::Css(&format!("button[value='{}']", co.org_id)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&c, &co.url("/login?next=")).await; // sign in at home first
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("13800000001")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("张建国的密码123")
        .await
        .unwrap();
    c.find(Locator::Css("form[action='/login'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&c, &co.url("/signin/for")).await;
    let consent = text(&c).await;
    assert!(
        consent.contains("友谊南里社区大党委") && consent.contains("张老师"),
        "{consent}"
    );
    assert!(
        !consent.contains("13800000001"),
        "the phone is not offered to the host"
    );
    c.find(Locator::Css("button[value=allow]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&c, &east.url("/visit")).await;
    let visit = text(&c).await;
    assert!(visit.contains("张老师"), "{visit}");
    assert!(visit.contains("区税务局机关党委"), "{visit}");
    assert!(
        visit.contains("已接受") || visit.contains("accepted"),
        "east shows its acceptance: {visit}"
    );
    assert!(!visit.contains("张建国"), "the name stays at home: {visit}");
    assert_eq!(completed(&east).await, 1);

    // Cancelling at home signs nobody in.
    start_signin(&c, &east, &co).await;
    c.find(Locator::Css("button[value=cancel]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&c, &east.url("/signin/return?error=cancelled")).await;
    assert_eq!(refusal(&c).await.as_deref(), Some("cancelled"));

    // Every token a host must refuse, each brought back to east for a sign-in this browser
    // started there: the page names the reason, and nobody is signed in.
    let (co_org, east_org, west_org) = (a.org("co"), a.org("east"), a.org("west"));
    let co_signer = Signer::new(&co_org.key, &co_org.cert).unwrap();
    let cases: Vec<(&str, TokenFor)> = vec![
        (
            "wrong_audience",
            Box::new(|n: &str| {
                co_signer
                    .sign_member_token(&claims(co_org, west_org, n))
                    .unwrap()
            }),
        ),
        (
            "certificate_expired",
            Box::new(|n: &str| {
                let mut c = claims(co_org, east_org, n);
                c.iat = now() - 400;
                c.exp = now() - 100;
                co_signer.sign_member_token(&c).unwrap()
            }),
        ),
        (
            "nonce_mismatch",
            Box::new(|_: &str| {
                co_signer
                    .sign_member_token(&claims(co_org, east_org, "another-sign-in-0123456789"))
                    .unwrap()
            }),
        ),
        (
            "revoked",
            Box::new(|n: &str| {
                let g = a.org("gone");
                sign_raw(g, &serde_json::to_value(claims(g, east_org, n)).unwrap())
            }),
        ),
        (
            "not_on_roster",
            Box::new(|n: &str| {
                let s = a.org("stranger");
                sign_raw(s, &serde_json::to_value(claims(s, east_org, n)).unwrap())
            }),
        ),
        // A member the home never issued: the reference names another home.
        (
            "subject_mismatch",
            Box::new(|n: &str| {
                let mut v = serde_json::to_value(claims(co_org, east_org, n)).unwrap();
                v["sub"] = json!(
                    MemberRef::pairwise(
                        west_org.id.clone(),
                        b"k",
                        &east_org.id,
                        uuid::Uuid::now_v7()
                    )
                    .to_string()
                );
                sign_raw(co_org, &v)
            }),
        ),
    ];
    for (code, token) in &cases {
        let nonce = start_signin(&c, &east, &co).await;
        let t = token(&nonce);
        c.goto(&east.url(&format!("/signin/return?token={t}")))
            .await
            .unwrap();
        assert_eq!(
            refusal(&c).await.as_deref(),
            Some(*code),
            "{}",
            text(&c).await
        );
        assert!(text(&c).await.contains("无法登录"));
        assert_eq!(completed(&east).await, 1, "{code} signed nobody in");
    }

    // Replayed: a good token is accepted once; brought back again, with the sign-in's cookie
    // (as whoever stole both would), it is refused.
    let nonce = start_signin(&c, &east, &co).await;
    let good = co_signer
        .sign_member_token(&claims(co_org, east_org, &nonce))
        .unwrap();
    let back = east.url(&format!("/signin/return?token={good}"));
    c.goto(&back).await.unwrap();
    arrive(&c, &east.url("/visit")).await;
    assert_eq!(completed(&east).await, 2);
    let stolen = Cookie::parse(format!(
        "tongxin_signin_{}={nonce}; Path=/signin; Domain=127.0.0.1; SameSite=Lax",
        east.org_id
    ))
    .unwrap();
    c.add_cookie(stolen).await.unwrap();
    c.goto(&back).await.unwrap();
    assert_eq!(refusal(&c).await.as_deref(), Some("nonce_used"));
    // Without the cookie (another browser): no sign-in of this browser waits for it.
    c.delete_all_cookies().await.unwrap();
    c.goto(&back).await.unwrap();
    assert_eq!(refusal(&c).await.as_deref(), Some("not_started"));
    assert_eq!(completed(&east).await, 2, "a replay signs nobody in");

    c.close().await.unwrap();
}
