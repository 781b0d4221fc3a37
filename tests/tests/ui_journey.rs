//! The seed's story through the web UI alone, in headless Chromium, on four real nodes: a
//! community publishes a micro-wish with its category, grid and deadline; the co-building unit
//! claims it with a volunteer offer; the community sees who and with what, and accepts; the
//! need's page shows each step with its time on both nodes; the work is reported done and
//! confirmed with a summary. Another need is escalated with a reason; the street sees it as
//! its own, takes it over and reports it done, and the community confirms.
//!
//! Then every page each role can reach is walked (admin at each node, an auditor added through
//! the user-management page, a member): every link it shows opens, no page of the Chinese UI
//! shows an English word, an unknown address gets the UI's 404 page, an oversized form gets
//! a clear error, and a disabled account can no longer sign in.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;
use tongxin_schema::OrgKind;
use tongxin_tests::browser::{Driver, arrive, click, fill, text};
use tongxin_tests::*;

const PASSWORD: &str = "correct horse battery";

async fn sign_in(c: &Client, node: &RunningNode, user: &str, password: &str) {
    c.goto(&node.url("/login")).await.unwrap();
    fill(c, "input[name=username]", user).await;
    fill(c, "input[name=password]", password).await;
    click(c, "main form button").await;
    for _ in 0..100 {
        if !c.current_url().await.unwrap().path().starts_with("/login") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{user} could not sign in: {}", text(c).await);
}

/// Clicks a button whose form asks first, and says yes.
async fn click_and_confirm(c: &Client, css: &str) {
    click(c, css).await;
    for _ in 0..50 {
        if c.accept_alert().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} asked nothing before sending");
}

/// Opens `path` on `node` until its page shows `what` (another node's message may still be on
/// its way), and returns the page's text.
async fn page_showing(c: &Client, node: &RunningNode, path: &str, what: &str) -> String {
    // By time, not by tries: under a full test run one try can take a second.
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < until {
        c.goto(&node.url(path)).await.unwrap();
        let t = text(c).await;
        if t.contains(what) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("{path} never showed {what}: {}", text(c).await);
}

/// The address of the first link in the page's main part whose text contains `label` (read
/// again while a navigation still replaces the page).
async fn link_to(c: &Client, label: &str) -> String {
    for _ in 0..50 {
        let found = async {
            for a in c.find_all(Locator::Css("main a")).await? {
                if a.text().await?.contains(label) {
                    return a.attr("href").await;
                }
            }
            Ok::<_, fantoccini::error::CmdError>(None)
        };
        if let Ok(Some(href)) = found.await {
            return href;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no link {label}: {}", text(c).await);
}

/// Chooses the option `css` selects in its list.
async fn choose(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Opens the folded part of the page whose summary reads `label`.
async fn open_details(c: &Client, label: &str) {
    for s in c.find_all(Locator::Css("details summary")).await.unwrap() {
        if s.text().await.unwrap().contains(label) {
            s.click().await.unwrap();
            return;
        }
    }
    panic!("nothing folded under {label}: {}", text(c).await);
}

/// Sets a date input (typing into one depends on the browser's locale).
async fn set_date(c: &Client, name: &str, date: &str) {
    c.execute(
        &format!("document.querySelector('input[name={name}]').value = arguments[0]"),
        vec![json!(date)],
    )
    .await
    .unwrap();
}

/// The day (Beijing time) of a Unix time, as a date input writes it (YYYY-MM-DD).
fn beijing_day(unix_s: i64) -> String {
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = (unix_s + 8 * 3600).div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A time as the pages show it, "2026-12-04 10:51": the history's entries carry one.
fn has_time(line: &str) -> bool {
    line.split_whitespace().any(|w| {
        let b = w.as_bytes();
        b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
    })
}

/// The lines of the page's history (办理经过) section.
fn history(page: &str) -> Vec<String> {
    let from = page.find("办理经过").expect("the page shows no history");
    page[from..].lines().skip(1).map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_story_through_the_ui_and_every_page_in_chinese() {
    let a = Alliance::new(&[
        ("unit", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("street", OrgKind::Street, "学院南路街道党工委", None),
        (
            "community",
            OrgKind::Community,
            "友谊南里社区大党委",
            Some("street"),
        ),
    ]);
    let unit = a.start("unit", None).await;
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&unit, &street, &community] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let driver = Driver::start();
    let c = driver.browser().await;
    c.set_window_size(1280, 900).await.unwrap();

    // The community publishes a micro-wish: category, grid, deadline.
    sign_in(&c, &community, "admin", PASSWORD).await;
    assert!(
        text(&c).await.contains("待办事项"),
        "staff land on their home page"
    );
    c.goto(&community.url("/needs?new=1")).await.unwrap();
    fill(&c, "input[name=title]", "为王奶奶更换厨房灯泡").await;
    fill(&c, "textarea[name=description]", "独居老人，厨房灯不亮").await;
    choose(&c, "select[name=level] option[value=grid]").await;
    choose(&c, "select[name=grid] option[value='2']").await;
    choose(
        &c,
        "select[name=micro_wish] option[value=elderly-living-alone]",
    )
    .await;
    let due = beijing_day(now() + 5 * 86_400);
    set_date(&c, "due_date", &due).await;
    click(&c, "details form button").await;
    arrive(&c, &community.url("/needs")).await;
    let list = text(&c).await;
    assert!(list.contains("已保存"), "{list}");
    assert!(
        list.contains("为王奶奶更换厨房灯泡") && list.contains("微心愿 · 独居老人"),
        "the card names the wish's category in words: {list}"
    );
    let wish = link_to(&c, "为王奶奶更换厨房灯泡").await;
    let wish_page = page_showing(&c, &community, &wish, "办理时限").await;
    assert!(wish_page.contains(&format!("{due} 23:59")), "{wish_page}");
    assert!(wish_page.contains("网格\n2") || wish_page.contains("网格 2"));

    // The community corrects it: two bulbs, not one. Its history says so.
    open_details(&c, "修改需求").await;
    let quantity = c
        .find(Locator::Css("form[action$='/edit'] input[name=quantity]"))
        .await
        .unwrap();
    quantity.clear().await.unwrap();
    quantity.send_keys("2").await.unwrap();
    click(&c, "form[action$='/edit'] button").await;
    arrive(&c, &community.url(&wish)).await;
    // The form is on the page it returns to, so arriving proves nothing: wait for the edit
    // itself (the page's "修改需求" would match "修改" before it is applied).
    let edited = page_showing(&c, &community, &wish, "数量\n2").await;
    assert!(
        history(&edited)
            .iter()
            .any(|l| l.contains("修改") && has_time(l)),
        "{edited}"
    );

    // The co-building unit offers volunteers, and claims the wish with that offer.
    sign_in(&c, &unit, "admin", PASSWORD).await;
    c.goto(&unit.url("/offers?new=1")).await.unwrap();
    fill(&c, "input[name=title]", "电力党员志愿服务队").await;
    choose(&c, "select[name=category] option[value=volunteer-skill]").await;
    c.find(Locator::Css("input[name=capacity]"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, "input[name=capacity]", "8").await;
    fill(&c, "input[name=unit]", "人").await;
    c.find(Locator::Css("input[name=skills][value=repair]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, "details form button").await;
    arrive(&c, &unit.url("/offers")).await;
    assert!(text(&c).await.contains("容量 8 人"));
    page_showing(&c, &unit, "/needs", "为王奶奶更换厨房灯泡").await;
    let theirs = page_showing(&c, &unit, &wish, "修改").await;
    assert!(
        theirs.contains("数量\n2") || theirs.contains("数量 2"),
        "{theirs}"
    );
    choose(&c, "select[name=offer_id] option:nth-child(2)").await;
    fill(&c, "input[name=note]", "周六上午派两名党员上门").await;
    click(&c, "form[action$='/claim'] button").await;
    let claimed = text(&c).await;
    assert!(claimed.contains("已保存"), "{claimed}");
    assert!(
        claimed.contains("电力党员志愿服务队") && claimed.contains("待决定"),
        "the claimant sees its claim pending, with its offer: {claimed}"
    );
    assert!(
        !claimed.contains("使用本单位的资源"),
        "no second claim is offered"
    );

    // The community is told on its home page, sees who and with what, and accepts.
    sign_in(&c, &community, "admin", PASSWORD).await;
    let home = page_showing(&c, &community, "/", "条认领等待本单位决定").await;
    assert!(home.contains("为王奶奶更换厨房灯泡") && home.contains("市供电公司机关党委"));
    let to_decide = link_to(&c, "为王奶奶更换厨房灯泡").await;
    assert_eq!(to_decide, wish);
    c.goto(&community.url(&wish)).await.unwrap();
    let deciding = text(&c).await;
    for what in [
        "市供电公司机关党委",
        "使用资源：电力党员志愿服务队",
        "周六上午派两名党员上门",
        "认领于",
    ] {
        assert!(deciding.contains(what), "{what} missing: {deciding}");
    }
    click(&c, "form[action$='/decide'] input[value=true] ~ button").await;
    let accepted = text(&c).await;
    assert!(accepted.contains("接受认领"), "{accepted}");

    // Both nodes' pages show the steps with their times.
    for (node, who) in [(&community, "community"), (&unit, "unit")] {
        sign_in(&c, node, "admin", PASSWORD).await;
        let p = page_showing(&c, node, &wish, "接受认领").await;
        let h = history(&p);
        for step in ["发布", "认领", "接受认领"] {
            assert!(
                h.iter().any(|l| l.contains(step) && has_time(l)),
                "{who}'s history lacks {step} with a time: {h:?}"
            );
        }
    }

    // The unit reports the work done (asked to confirm first); the community confirms with a
    // summary; both pages say fulfilled, by whom, with the summary.
    fill(
        &c,
        "form[action$='/done'] input[name=summary]",
        "已更换节能灯泡",
    )
    .await;
    click_and_confirm(&c, "form[action$='/done'] button").await;
    page_showing(&c, &unit, &wish, "报告办结").await;
    sign_in(&c, &community, "admin", PASSWORD).await;
    page_showing(&c, &community, &wish, "已更换节能灯泡").await;
    fill(
        &c,
        "form[action$='/confirm'] input[name=summary]",
        "王奶奶确认灯已修好",
    )
    .await;
    click_and_confirm(&c, "form[action$='/confirm'] button").await;
    for (node, who) in [(&community, "community"), (&unit, "unit")] {
        sign_in(&c, node, "admin", PASSWORD).await;
        let p = page_showing(&c, node, &wish, "确认完成").await;
        assert!(
            p.contains("已完成") && p.contains("王奶奶确认灯已修好"),
            "{who}: {p}"
        );
        let h = history(&p);
        assert!(
            h.iter()
                .any(|l| l.contains("确认完成") && l.contains("市供电公司机关党委") && has_time(l)),
            "{who}'s history says who did the work: {h:?}"
        );
    }

    // Another need goes up to the street with a reason; the street sees it as its own.
    sign_in(&c, &community, "admin", PASSWORD).await;
    c.goto(&community.url("/needs?new=1")).await.unwrap();
    fill(&c, "input[name=title]", "3号楼楼顶防水层破损漏雨").await;
    choose(&c, "select[name=level] option[value=community]").await;
    click(&c, "details form button").await;
    arrive(&c, &community.url("/needs")).await;
    let roof = link_to(&c, "3号楼楼顶防水层破损漏雨").await;
    c.goto(&community.url(&roof)).await.unwrap();
    open_details(&c, "上报街道").await;
    fill(
        &c,
        "form[action$='/escalate'] input[name=reason]",
        "维修基金不足，需街道协调",
    )
    .await;
    click_and_confirm(&c, "form[action$='/escalate'] button").await;
    arrive(&c, &community.url(&roof)).await;
    let escalated = page_showing(&c, &community, &roof, "已上报 学院南路街道党工委").await;
    assert!(
        history(&escalated)
            .iter()
            .any(|l| l.contains("上报街道") && has_time(l)),
        "{escalated}"
    );
    assert!(
        !escalated.contains("确定上报街道")
            && c.find(Locator::Css("form[action$='/escalate']"))
                .await
                .is_err(),
        "the community is no longer offered 上报街道"
    );

    sign_in(&c, &street, "admin", PASSWORD).await;
    let home = page_showing(&c, &street, "/", "件需求已上报本单位").await;
    assert!(home.contains("3号楼楼顶防水层破损漏雨"), "{home}");
    let list = page_showing(&c, &street, "/needs", "已上报本单位·待接办").await;
    assert!(list.contains("3号楼楼顶防水层破损漏雨"));
    c.goto(&street.url(&roof)).await.unwrap();
    let theirs = text(&c).await;
    assert!(
        theirs.contains("现由本单位办理") && theirs.contains("维修基金不足，需街道协调"),
        "{theirs}"
    );
    fill(&c, "input[name=note]", "街道城管科牵头维修").await;
    click(&c, "form[action$='/claim'] button").await;
    // The owner's node accepts a take-over at once; the street then reports it done.
    page_showing(&c, &street, &roof, "接受认领").await;
    fill(
        &c,
        "form[action$='/done'] input[name=summary]",
        "楼顶防水已重做",
    )
    .await;
    click_and_confirm(&c, "form[action$='/done'] button").await;
    sign_in(&c, &community, "admin", PASSWORD).await;
    page_showing(&c, &community, &roof, "楼顶防水已重做").await;
    click_and_confirm(&c, "form[action$='/confirm'] button").await;
    let done = page_showing(&c, &community, &roof, "确认完成").await;
    let h = history(&done);
    for step in [
        "发布",
        "上报街道",
        "认领",
        "接受认领",
        "报告办结",
        "确认完成",
    ] {
        assert!(
            h.iter().any(|l| l.contains(step) && has_time(l)),
            "the escalated need's history lacks {step}: {h:?}"
        );
    }

    // An auditor is added on the user-management page, and can sign in.
    c.goto(&community.url("/users")).await.unwrap();
    open_details(&c, "添加账号").await;
    fill(&c, "form[action='/users'] input[name=username]", "shenji").await;
    choose(&c, "select[name=role] option[value=auditor]").await;
    fill(
        &c,
        "form[action='/users'] input[name=password]",
        "shenji-2026",
    )
    .await;
    fill(
        &c,
        "form[action='/users'] input[name=password2]",
        "shenji-2026",
    )
    .await;
    click(&c, "form[action='/users'] button").await;
    // The click starts a navigation: the old page may still be there for a moment.
    let mut users = String::new();
    for _ in 0..100 {
        users = text(&c).await;
        if users.contains("shenji") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        users.contains("shenji") && users.contains("审计员"),
        "{users}"
    );
    c.close().await.ok();

    walk_every_page(&community, &street, &unit).await;
}

/// A client that keeps its cookies and does not follow redirects (a redirect away from a
/// link is what the walk looks for).
fn session() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn signed_in(node: &RunningNode, user: &str, password: &str) -> reqwest::Client {
    let c = session();
    let r = c
        .post(node.url("/login"))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{user} signs in");
    let to = r.headers()["location"].to_str().unwrap();
    assert_ne!(to, "/login", "{user} signs in");
    c
}

/// `html` without its `<tag>` elements and what they hold.
fn without(html: &str, tag: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(&format!("<{tag}")) {
        out.push_str(&rest[..i]);
        let close = format!("</{tag}>");
        rest = match rest[i..].find(&close) {
            Some(e) => &rest[i + e + close.len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Visible text of a page, and the placeholders its fields show.
fn visible_text(html: &str) -> String {
    // Scripts and styles are not shown; `<code>` holds protocol identifiers (a refusal's code,
    // a message kind, a command) and a textarea what was typed or a signed file to copy: names
    // and data, not words to translate.
    let mut src = html.to_owned();
    for tag in ["script", "style", "code", "textarea"] {
        src = without(&src, tag);
    }
    let mut text = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in src.chars() {
        match (in_tag, ch) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                if let Some(p) = tag.split("placeholder=\"").nth(1) {
                    text.push(' ');
                    text.push_str(p.split('"').next().unwrap_or(""));
                }
                text.push(' ');
            }
            (true, c) => tag.push(c),
            (false, c) => text.push(c),
        }
    }
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
}

/// English words in a Chinese page: runs of two or more Latin letters, except the proper names
/// a page shows (user names, the language switch, abbreviations people use in Chinese).
fn english_words(text: &str, allowed: &[&str]) -> BTreeSet<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .filter(|w| !allowed.contains(w))
        .map(str::to_owned)
        .collect()
}

/// Follows every link `c` is shown on `node`, from the home page, and checks each page.
async fn walk(node: &RunningNode, c: &reqwest::Client, who: &str, allowed: &[&str]) -> usize {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([String::from("/")]);
    let mut problems = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || seen.len() > 120 {
            continue;
        }
        let r = c.get(node.url(&path)).send().await.unwrap();
        let status = r.status().as_u16();
        if status == 303 {
            let to = r.headers()["location"].to_str().unwrap().to_owned();
            // Home sends each role to its own start page; anything else is a refusal.
            if path == "/" {
                queue.push_back(to);
            } else {
                let page = c
                    .get(node.url(&to))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let why = visible_text(&page);
                let why = why.lines().find(|l| l.contains("此页面")).unwrap_or("");
                problems.push(format!("{path} sends {who} to {to} {why}"));
            }
            continue;
        }
        if status != 200 {
            problems.push(format!("{path}: {status}"));
            continue;
        }
        let is_html = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
        let html = r.text().await.unwrap();
        if !is_html {
            continue;
        }
        let words = english_words(&visible_text(&html), allowed);
        if !words.is_empty() {
            problems.push(format!("{path} shows English: {words:?}"));
        }
        for href in html.split("href=\"").skip(1) {
            let href = href.split('"').next().unwrap().replace("&amp;", "&");
            let local = href.starts_with('/') && !href.starts_with("//");
            if !local || href.starts_with("/api/") || href.contains("lang=en") {
                continue;
            }
            let href = href.split('#').next().unwrap().to_owned();
            if !seen.contains(&href) {
                queue.push_back(href);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{who} at {}:\n{}",
        node.org_id,
        problems.join("\n")
    );
    seen.len()
}

async fn walk_every_page(community: &RunningNode, street: &RunningNode, unit: &RunningNode) {
    // A member of the unit, with a sign-in at home.
    let m = unit
        .ok_post(
            "/api/v1/members",
            json!({ "name": "赵同志", "phone": "13910000009",
                    "residence_org": community.org_id, "grid": "2" }),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    unit.ok_post(
        &format!("/api/v1/members/{id}/password"),
        json!({ "password": "zhao-2026-pass" }),
    )
    .await;
    // User names, the language switch, and the file formats the import names.
    let allowed = ["admin", "shenji", "English", "CSV", "Excel", "GBK", "UTF"];
    let mut pages = 0;
    for (node, user, password) in [
        (community, "admin", PASSWORD),
        (community, "shenji", "shenji-2026"),
        (street, "admin", PASSWORD),
        (unit, "admin", PASSWORD),
        (unit, "13910000009", "zhao-2026-pass"),
    ] {
        let c = signed_in(node, user, password).await;
        pages += walk(node, &c, user, &allowed).await;
    }
    assert!(pages > 40, "the walk found only {pages} pages");

    // An address no page has: the UI's 404 page, in Chinese, with the menu.
    let c = signed_in(community, "admin", PASSWORD).await;
    let r = c.get(community.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("页面不存在") && body.contains("href=\"/needs\""),
        "{body}"
    );

    // A pasted 10,000-character title: a clear error on the form's page, nothing published.
    let long = "长".repeat(10_000);
    let r = c
        .post(community.url("/needs"))
        .form(&[("title", long.as_str()), ("level", "grid")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let page = c
        .get(community.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("提交的内容太长"), "{}", visible_text(&page));
    let needs = community.get("/api/v1/needs?limit=200").await;
    assert!(
        items(&needs)
            .iter()
            .all(|n| !n["title"].as_str().unwrap().starts_with("长长"))
    );

    // A short one with a field left blank: the error in Chinese next to the field, the
    // description typed kept.
    let r = c
        .post(community.url("/needs"))
        .form(&[
            ("title", "  "),
            ("level", "grid"),
            ("description", "楼道灯坏了"),
        ])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let page = c
        .get(community.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("class=\"field-error\" role=\"alert\">标题：不能为空"),
        "{page}"
    );
    assert!(
        page.contains(">楼道灯坏了</textarea>"),
        "what was typed is kept"
    );

    // The auditor's account is disabled: its session ends and it cannot sign in again.
    let auditor = signed_in(community, "shenji", "shenji-2026").await;
    let r = c
        .post(community.url("/users/shenji/disable"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = auditor.get(community.url("/claims")).send().await.unwrap();
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        "/login?next=%2Fclaims"
    );
    let r = session()
        .post(community.url("/login"))
        .form(&[("username", "shenji"), ("password", "shenji-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap(), "/login");
}
