//! The web UI: sign-in, lists with filters, forms that publish through the same actions as
//! the API, escaping of hostile text, both languages, and a real headless Chromium render.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::process::Command;

use tongxin_schema::OrgKind;
use tongxin_tests::*;

fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap()
}

async fn sign_in(n: &RunningNode, c: &reqwest::Client) {
    let r = c
        .post(n.url("/login"))
        .form(&[("username", "admin"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.url().path(),
        "/",
        "staff land on their home page: {}",
        r.url()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_use_the_web_ui_and_hostile_text_stays_text() {
    let a = street_and_community();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    let c = browser_client();

    // Not signed in: sent to the sign-in page, which says why and takes them back to the page
    // they opened; wrong password: told so, in Chinese.
    let r = c
        .get(community.url("/reports?grid=3"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), "/login");
    assert_eq!(r.url().query(), Some("next=%2Freports%3Fgrid%3D3"));
    assert!(r.text().await.unwrap().contains("请先登录"));
    let r = c
        .post(community.url("/login"))
        .form(&[
            ("username", "admin"),
            ("password", "nope"),
            ("next", "/reports?grid=3"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("用户名或密码不正确"));
    let back_to = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(community.url("/login"))
        .form(&[
            ("username", "admin"),
            ("password", "correct horse battery"),
            ("next", "/reports?grid=3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        back_to.headers()["location"].to_str().unwrap(),
        "/reports?grid=3"
    );

    sign_in(&community, &c).await;
    let html = c
        .get(community.url("/offers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("资源清单"), "zh-CN by default");
    assert!(html.contains("lang=\"zh-CN\""));
    let html = c
        .get(community.url("/offers?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Offers") && html.contains("lang=\"en\""));
    let html = c
        .get(community.url("/needs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Needs"), "the language choice is remembered");

    // Publish through the form, with a hostile title.
    let hostile = "<script>alert('x')</script>活动室";
    let r = c
        .post(community.url("/offers"))
        .form(&[
            ("title", hostile),
            ("description", "<img src=x onerror=alert(1)>"),
            ("category", "venue"),
            ("capacity", "12"),
            ("unit", ""),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Saved and sent to the alliance."), "{html}");
    let shown = html
        .lines()
        .find(|l| l.contains("活动室"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        shown.contains("&#60;script&#62;alert(") || shown.contains("&lt;script&gt;alert("),
        "title not escaped: {shown}"
    );
    assert!(!html.contains("<script>alert"), "raw script in the page");
    assert!(!html.contains("<img src=x"), "raw img in the page");

    // Invalid input: the field is named, nothing is published.
    let r = c
        .post(community.url("/offers"))
        .form(&[("title", "x"), ("category", "venue"), ("capacity", "many")])
        .send()
        .await
        .unwrap();
    // English was chosen above: the field's label and the rule, in English.
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Capacity: must be a positive whole number")
    );
    let r = c
        .post(community.url("/offers"))
        .form(&[("title", "  "), ("category", "venue"), ("capacity", "1")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Title: must not be empty"));
    assert_eq!(community.get("/api/v1/offers").await["total"], 1);

    // The street sees it, escaped too, and can filter.
    eventually(10, "offer at the street", || async {
        (street.get("/api/v1/offers").await["total"] == 1).then_some(())
    })
    .await;
    let sc = browser_client();
    sign_in(&street, &sc).await;
    let html = sc
        .get(street.url("/offers?category=venue&q=活动室"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("活动室") && !html.contains("<script>alert"));
    let html = sc
        .get(street.url("/offers?category=funding"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("活动室"));

    // A need published at the community, claimed from the street's page, accepted.
    let r = c
        .post(community.url("/needs"))
        .form(&[
            ("title", "楼道照明维修"),
            ("level", "community"),
            ("micro_wish", ""),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Saved"));
    let need = eventually(10, "need at the street", || async {
        let v = street.get("/api/v1/needs").await;
        (v["total"] == 1).then(|| v["items"][0]["id"].as_str().unwrap().to_owned())
    })
    .await;
    let r = sc
        .post(street.url(&format!("/needs/{}/{need}/claim", community.org_id)))
        .form(&[("offer_id", ""), ("note", "周六上午")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已保存"));
    eventually(10, "claim at the community", || async {
        let html = c
            .get(community.url("/claims"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // The claimant by its name, not its id.
        html.contains("学院南路街道党工委").then_some(())
    })
    .await;
    let claim_id = community.get("/api/v1/claims").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.post(community.url(&format!("/claims/{}/{claim_id}/decide", street.org_id)))
        .form(&[("accepted", "true")])
        .send()
        .await
        .unwrap();
    eventually(10, "decision at the street", || async {
        (street.get("/api/v1/claims").await["items"][0]["status"] == "accepted").then_some(())
    })
    .await;

    // Pages for admins only, and the roster.
    for p in [
        "/roster",
        "/exchange",
        "/claims",
        "/needs?level=community&micro_wish=true",
    ] {
        let r = c.get(community.url(p)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{p}");
    }
    assert!(
        c.get(community.url("/roster"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("学院南路街道党工委")
    );

    // A real browser renders the signed-in page (headless Chromium from Debian).
    if let Some(dom) = chromium_dom(&community) {
        assert!(dom.contains("资源清单"), "{dom}");
        assert!(
            dom.contains("&lt;script&gt;"),
            "Chromium shows the hostile title as text"
        );
    } else {
        panic!("chromium is not installed: tests/run installs it (apt-get install chromium)");
    }
    street.stop().await;
    community.stop().await;
}

/// Signs in with a real headless Chromium through an auto-submitting form, then dumps the DOM
/// of the page it lands on.
fn chromium_dom(n: &RunningNode) -> Option<String> {
    let bin = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("login.html");
    std::fs::write(
        &page,
        format!(
            r#"<form id=f method=post action="{}"><input name=username value=admin><input name=password value="correct horse battery"><input name=next value="/offers"></form><script>document.getElementById('f').submit()</script>"#,
            n.url("/login")
        ),
    )
    .unwrap();
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", dir.path().join("profile").display()),
            "--virtual-time-budget=5000",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_from_another_origin_are_refused() {
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let community = a.start("community", None).await;
    let c = browser_client();
    sign_in(&community, &c).await;
    // Another node on the same host is the same site: SameSite=Lax lets its forms through,
    // the Origin check does not.
    let r = c
        .post(community.url("/offers"))
        .header("origin", "http://127.0.0.1:1")
        .form(&[("title", "伪造"), ("category", "venue"), ("capacity", "1")])
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("此表单不是从本节点页面提交的")
    );
    let r = c
        .post(community.url("/offers"))
        .header("origin", community.url(""))
        .form(&[("title", "本站"), ("category", "venue"), ("capacity", "1")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已保存"));
    assert_eq!(community.get("/api/v1/offers").await["total"], 1);
    community.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_form_fields_arrive_whole() {
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let community = a.start("community", None).await;
    let c = browser_client();
    sign_in(&community, &c).await;
    // Checkboxes send a field once per ticked box: every value must reach the offer.
    let r = c
        .post(community.url("/offers"))
        .form(&[
            ("title", "法律与维修"),
            ("category", "service"),
            ("capacity", "2"),
            ("skills", "legal"),
            ("skills", "repair"),
            ("grids", "一网格"),
            ("grids", "二网格"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已保存"));
    let o = &community.get("/api/v1/offers").await["items"][0];
    assert_eq!(o["skills"], serde_json::json!(["legal", "repair"]), "{o}");
    assert_eq!(o["grids"], serde_json::json!(["一网格", "二网格"]), "{o}");
    let r = c
        .post(community.url("/needs"))
        .form(&[
            ("title", "心理与法律"),
            ("level", "community"),
            ("skills", "psychological"),
            ("skills", "legal"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已保存"));
    let n = &community.get("/api/v1/needs").await["items"][0];
    assert_eq!(
        n["skills"],
        serde_json::json!(["psychological", "legal"]),
        "{n}"
    );
    // The form offers every skill, labelled in the page's language.
    let html = c
        .get(community.url("/offers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"disability-assistance\"") && html.contains("助残扶困"));
    community.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_messages_this_node_signed_are_shown() {
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let community = a.start("community", None).await;
    let c = browser_client();
    sign_in(&community, &c).await;
    // A link can no longer put text on the page.
    for p in [
        "/offers?error=请立即转账到账户123",
        "/login?notice=请立即转账到账户123",
        "/needs?error=%E8%AF%B7%E7%AB%8B%E5%8D%B3%E8%BD%AC%E8%B4%A6",
    ] {
        let html = c
            .get(community.url(p))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("请立即转账"), "{p} shows the URL's text");
        assert!(!html.contains("class=\"flash"), "{p} shows a message box");
    }
    // Nor can a cookie this node did not sign.
    let name = format!("tongxin_flash_{}", community.org_id);
    let raw = reqwest::Client::new();
    let token = community.token.clone();
    let cookie = tongxin_node::http::auth::cookie_name(&community.node);
    let html = raw
        .get(community.url("/offers"))
        .header(
            "cookie",
            format!("{cookie}={token}; {name}=eyJsZXZlbCI6ImVycm9yIiwidGV4dCI6IuS8qumAoCJ9"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("资源清单") && !html.contains("伪造") && !html.contains("class=\"flash"));
    // A form's outcome is shown once, on the page it returns to, and the URL stays clean.
    let r = c
        .post(community.url("/offers"))
        .form(&[("title", "x"), ("category", "venue"), ("capacity", "many")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), "/offers");
    assert_eq!(r.url().query(), None);
    assert!(r.text().await.unwrap().contains("容量：须为正整数"));
    let again = c
        .get(community.url("/offers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !again.contains("容量：须为正整数"),
        "a message is shown once"
    );
    community.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_user_name_is_a_wrong_sign_in() {
    // On PostgreSQL, where a NUL reaching the database used to be an internal error.
    let mut a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let db = a.postgres_db();
    let community = a.start("community", Some(&db)).await;
    let (status, body) = community
        .post(
            "/api/v1/auth/token",
            serde_json::json!({ "username": "ad\u{0}min", "password": "x" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let c = browser_client();
    // Checked as the API checks it (Text<1, 64>), before the database: no 500.
    for user in ["ad\0min", &"x".repeat(65), ""] {
        let r = c
            .post(community.url("/login"))
            .form(&[("username", user), ("password", "correct horse battery")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{user:?}");
        assert_eq!(r.url().path(), "/login", "{user:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains("用户名或密码不正确"), "{user:?}: {html}");
    }
    // Sent twice, or with an extra field: refused the same way.
    let r = c
        .post(community.url("/login"))
        .form(&[
            ("username", "admin"),
            ("username", "admin"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("用户名或密码不正确"));
    sign_in(&community, &c).await;
    community.stop().await;
}

/// A decision form says accept or decline; any other value is refused with the field named,
/// and the claim stays undecided (it used to be taken as a decline, with the success banner).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_that_is_neither_accept_nor_decline_is_refused() {
    let a = street_and_community();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    let need = community
        .ok_post(
            "/api/v1/needs",
            serde_json::json!({ "title": "助老", "level": "grid" }),
        )
        .await;
    let need_id = need["id"].as_str().unwrap().to_owned();
    eventually(10, "need at the street", || async {
        (street.get("/api/v1/needs").await["total"] == 1).then_some(())
    })
    .await;
    street
        .ok_post(
            &format!("/api/v1/needs/{}/{need_id}/claims", community.org_id),
            serde_json::json!({}),
        )
        .await;
    let claim_id = eventually(10, "claim at the community", || async {
        community.get("/api/v1/claims").await["items"][0]["id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    let c = browser_client();
    sign_in(&community, &c).await;
    let page = c
        .post(community.url(&format!("/claims/{}/{claim_id}/decide", street.org_id)))
        .form(&[("accepted", "maybe")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("决定：请从选项中选择"), "{page}");
    assert_eq!(
        community.get("/api/v1/claims").await["items"][0]["status"],
        "pending"
    );
    community.stop().await;
    street.stop().await;
}
