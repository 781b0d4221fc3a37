//! Screenshots of the web UI's main pages, at phone (390 px) and desktop (1280 px) width, as
//! each kind of user sees them, from a running local alliance (`deploy/local/up`), so that a
//! reviewer can look at the pages without running anything:
//!
//!     bash deploy/local/screenshots            # PNGs in deploy/local/state/screenshots
//!
//! Reads the nodes' addresses from the alliance's state directory; signs in with the demo's
//! accounts (password `tongxin-demo`) in headless Chromium (chromedriver).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a tool: a failure should stop it loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use fantoccini::{Client, Locator};
use tongxin_tests::browser::{Driver, arrive};

#[derive(Parser)]
struct Args {
    /// The local alliance's state directory (TONGXIN_STATE of deploy/local/up).
    #[arg(long)]
    state: PathBuf,
    /// Where the PNG files go.
    #[arg(long)]
    out: PathBuf,
    /// The demo accounts' password.
    #[arg(long, default_value = "tongxin-demo")]
    password: String,
}

/// Each node's (kind, web address), by organisation id.
fn nodes(state: &Path) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(state.join("nodes")).expect("no nodes: run deploy/local/up") {
        let dir = e.unwrap().path();
        let Ok(toml) = std::fs::read_to_string(dir.join("tongxin.toml")) else {
            continue;
        };
        let value = |key: &str| {
            toml.lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                .map(|v| v.trim_end_matches('"').to_owned())
                .unwrap_or_default()
        };
        let id = value("org_id");
        out.insert(id, (value("kind"), format!("http://{}", value("listen"))));
    }
    out
}

/// Who looks, where, at which pages. `{need}` and `{offer}` stand for the first need and
/// offer the node lists.
fn plan(
    nodes: &BTreeMap<String, (String, String)>,
) -> Vec<(String, &'static str, Vec<&'static str>)> {
    let mut plan = Vec::new();
    let of_kind = |kind: &str| {
        nodes
            .iter()
            .filter(|(_, (k, _))| k == kind)
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    };
    // The demo's community with the micro-wish and the escalated need, else the first.
    let mut communities = of_kind("community");
    communities.sort_by_key(|id| id != "youyi-nanli");
    for id in communities.into_iter().take(1) {
        plan.push((
            id.clone(),
            "admin",
            vec![
                "/",
                "/needs",
                "/needs?new=1",
                "{need}",
                "/offers",
                "{offer}",
                "/claims",
                "/reports",
                "/members",
                "/care",
                "/teams",
                "/activities",
                "/emergencies",
                "/agreements",
                "/users",
                "/account",
                "/roster",
                "/exchange",
                "/no-such-page",
            ],
        ));
        plan.push((id, "auditor", vec!["/", "/claims", "/needs"]));
    }
    for id in of_kind("street") {
        plan.push((id, "admin", vec!["/", "/needs", "{need}"]));
    }
    for id in of_kind("co-building-unit") {
        plan.push((id, "admin", vec!["/", "/claims", "{need}"]));
    }
    for id in of_kind("org-department") {
        plan.push((id, "auditor", vec!["/participation"]));
    }
    for id in of_kind("building-alliance") {
        plan.push((id, "13920000001", vec!["/me", "/activities", "/needs"]));
    }
    plan
}

async fn sign_in(c: &Client, base: &str, user: &str, password: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..50 {
        if !c.current_url().await.unwrap().path().starts_with("/login") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{user} could not sign in at {base}");
}

/// The address of the first link on `list` starting with `prefix` and two more path parts.
async fn first_item(c: &Client, base: &str, list: &str, prefix: &str) -> Option<String> {
    c.goto(&format!("{base}{list}")).await.unwrap();
    let links = c
        .find_all(Locator::Css(&format!("main a[href^='{prefix}']")))
        .await
        .unwrap();
    for l in links {
        if let Some(href) = l.attr("href").await.unwrap()
            && href.trim_start_matches(prefix).split('/').count() == 2
        {
            return Some(href);
        }
    }
    None
}

/// Chrome's own screenshot of the whole page, beyond the window (WebDriver's shows the window).
#[derive(Debug)]
struct FullPage;

impl fantoccini::wd::WebDriverCompatibleCommand for FullPage {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "cmd": "Page.captureScreenshot",
            "params": {"format": "png", "captureBeyondViewport": true},
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// The whole page at `width`.
async fn shoot(c: &Client, width: u32, file: &Path) {
    c.set_window_size(width, 900).await.unwrap();
    let v = c.issue_cmd(FullPage).await.unwrap();
    let data = v["data"].as_str().expect("no screenshot data");
    let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap();
    std::fs::write(file, png).unwrap();
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out).unwrap();
    let nodes = nodes(&args.state);
    let driver = Driver::start();
    let c = driver.browser().await;
    let mut n = 0;
    for (id, user, pages) in plan(&nodes) {
        let base = &nodes[&id].1;
        sign_in(&c, base, user, &args.password).await;
        for p in pages {
            let path = match p {
                "{need}" => first_item(&c, base, "/needs", "/needs/").await,
                "{offer}" => first_item(&c, base, "/offers", "/offers/").await,
                p => Some(p.to_owned()),
            };
            let Some(path) = path else {
                println!("{id} as {user}: no {p} to show");
                continue;
            };
            c.goto(&format!("{base}{path}")).await.unwrap();
            arrive(&c, base).await;
            let name: String = format!("{id}-{user}{path}")
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '-' {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect();
            for width in [390, 1280] {
                let file = args.out.join(format!("{name}-{width}.png"));
                shoot(&c, width, &file).await;
                n += 1;
            }
            println!("{id} as {user}: {path}");
        }
    }
    c.close().await.ok();
    println!("{n} screenshots in {}", args.out.display());
}
