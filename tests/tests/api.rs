//! The HTTP API's contract: OpenAPI document, JSON errors naming the field, roles on routes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_schema::OrgKind;
use tongxin_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_errors_and_roles() {
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let n = a.start("community", None).await;

    // OpenAPI lists every route, and the request bodies' schemas.
    let doc: Value = n
        .http
        .get(n.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/auth/token",
        "/api/v1/offers",
        "/api/v1/needs",
        "/api/v1/needs/{org}/{id}/claims",
        "/api/v1/claims/{claimant}/{id}/decision",
        "/api/v1/messages/rejected",
        "/api/v1/streams",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    let title = &doc["components"]["schemas"]["OfferInput"]["properties"]["title"];
    let def = title["$ref"]
        .as_str()
        .unwrap()
        .strip_prefix("#/components/schemas/")
        .unwrap();
    assert_eq!(doc["components"]["schemas"][def]["maxLength"], 200);
    assert!(
        !doc.to_string().contains("#/$defs/"),
        "references must resolve inside the document"
    );

    // Invalid input: 4xx, JSON error naming the field, nothing published.
    for (body, status, needle) in [
        (
            json!({ "title": "x", "category": "venue", "capacity": 0 }),
            422,
            "capacity",
        ),
        (
            json!({ "title": "x", "category": "palace", "capacity": 1 }),
            422,
            "category",
        ),
        (
            json!({ "title": "x".repeat(201), "category": "venue", "capacity": 1 }),
            422,
            "title",
        ),
        (
            json!({ "title": "x", "category": "venue", "capacity": "1" }),
            422,
            "capacity",
        ),
        (
            json!({ "title": "x", "category": "venue", "capacity": 1, "price": 3 }),
            422,
            "price",
        ),
        (json!({ "category": "venue", "capacity": 1 }), 422, "title"),
    ] {
        let (s, v) = n.post("/api/v1/offers", body.clone()).await;
        assert_eq!(s, status, "{body} → {v}");
        assert_eq!(v["error"]["code"], "invalid_input");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{body} → {v}"
        );
    }
    let r = n
        .http
        .post(n.url("/api/v1/offers"))
        .bearer_auth(&n.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = n
        .http
        .post(n.url("/api/v1/offers"))
        .bearer_auth(&n.token)
        .header("content-type", "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let (s, _) = n
        .post("/api/v1/offers/not-a-uuid/withdraw", json!({}))
        .await;
    assert_eq!(s, 404);
    let (s, v) = n
        .post(
            &format!("/api/v1/offers/{}/withdraw", uuid::Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));
    let r = n
        .http
        .get(n.url("/api/v1/offers?limit=0"))
        .bearer_auth(&n.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = n
        .http
        .get(n.url("/api/v1/offers?q=%00"))
        .bearer_auth(&n.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        422,
        "a NUL in the search text must be refused, not reach the database"
    );
    assert_eq!(n.get("/api/v1/offers").await["total"], 0);

    // Roles: member and auditor accounts, and no token at all.
    let node = n.node.clone();
    node.store
        .write(|c| {
            for (u, r) in [("m", "member"), ("au", "auditor")] {
                let h = tongxin_node::http::auth::hash_password("long enough password").unwrap();
                tongxin_node::store::users::put(c, u, &h, r, 0)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let member = n.login("m", "long enough password").await;
    let auditor = n.login("au", "long enough password").await;
    let status = |method: &'static str, path: &'static str, token: Option<String>| {
        let (http, url) = (n.http.clone(), n.url(path));
        async move {
            let mut req = if method == "GET" {
                http.get(url)
            } else {
                http.post(url)
                    .json(&json!({ "title": "t", "category": "venue", "capacity": 1 }))
            };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(status("GET", "/api/v1/offers", None).await, 401);
    assert_eq!(
        status("GET", "/api/v1/offers", Some("garbage".into())).await,
        401
    );
    assert_eq!(
        status("GET", "/api/v1/offers", Some(member.clone())).await,
        200
    );
    assert_eq!(
        status("POST", "/api/v1/offers", Some(member.clone())).await,
        403
    );
    assert_eq!(
        status("POST", "/api/v1/offers", Some(auditor.clone())).await,
        403
    );
    assert_eq!(
        status("GET", "/api/v1/streams", Some(auditor.clone())).await,
        200
    );
    assert_eq!(
        status("GET", "/api/v1/streams", Some(member.clone())).await,
        403
    );
    assert_eq!(
        status("GET", "/api/v1/messages/rejected", Some(auditor)).await,
        403
    );
    assert_eq!(
        status("POST", "/api/v1/offers", Some(n.token.clone())).await,
        201
    );
    let r = n
        .http
        .post(n.url("/api/v1/auth/token"))
        .json(&json!({ "username": "admin", "password": "wrong" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Health and metrics.
    assert_eq!(
        n.http.get(n.url("/healthz")).send().await.unwrap().status(),
        200
    );
    let metrics = n
        .http
        .get(n.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tongxin_outbox_depth"));
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cannot_send_what_its_kind_may_not() {
    // The organisation department publishes no needs: every receiver would refuse the
    // message, and its broadcast stream would be stuck behind it for good.
    let a = Alliance::new(&[("zzb", OrgKind::OrgDepartment, "区委组织部", None)]);
    let n = a.start("zzb", None).await;
    let (s, v) = n
        .post(
            "/api/v1/needs",
            json!({ "title": "不该发布", "level": "grid" }),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("may not send need.published")
    );
    assert_eq!(n.get("/api/v1/needs").await["total"], 0, "nothing written");
    // What the department sends by itself at start (its roster and revocation list) leaves;
    // nothing else is waiting.
    eventually(10, "an empty outbox", || async {
        (n.get("/api/v1/node").await["outbox_depth"] == 0).then_some(())
    })
    .await;
    n.stop().await;
}

/// The OpenAPI document describes what the API really sends: real responses validate against
/// the response schemas it names, and a real request body against its request schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_responses_validate_against_the_openapi_schemas() {
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let n = a.start("community", None).await;
    let doc: Value = n.get("/api/v1/openapi.json").await;
    // A schema of the document, with its references resolving inside the document.
    let schema_of = |path: &str, method: &str, status: &str| -> Value {
        let op = &doc["paths"][path][method];
        let s = if status == "request" {
            op["requestBody"]["content"]["application/json"]["schema"].clone()
        } else {
            op["responses"][status]["content"]["application/json"]["schema"].clone()
        };
        assert!(s.is_object(), "{method} {path} {status}: no schema");
        json!({ "$ref": s["$ref"], "components": doc["components"] })
    };
    let check = |schema: Value, instance: &Value, what: &str| {
        let v = jsonschema::draft202012::new(&schema).unwrap();
        let errors: Vec<String> = v.iter_errors(instance).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{what}: {errors:?}\n{instance}");
    };

    let body = json!({
        "title": "共享会议室", "category": "venue", "capacity": 20,
        "skills": ["legal"], "grids": ["G01"]
    });
    check(
        schema_of("/api/v1/offers", "post", "request"),
        &body,
        "request",
    );
    let created = n.ok_post("/api/v1/offers", body).await;
    check(
        schema_of("/api/v1/offers", "post", "201"),
        &created,
        "POST /offers",
    );
    let list = n.get("/api/v1/offers").await;
    assert_eq!(list["total"], 1);
    check(
        schema_of("/api/v1/offers", "get", "200"),
        &list,
        "GET /offers",
    );
    let need = n
        .ok_post(
            "/api/v1/needs",
            json!({ "title": "助老", "level": "grid", "micro_wish": "elderly-over80" }),
        )
        .await;
    check(
        schema_of("/api/v1/needs", "post", "201"),
        &need,
        "POST /needs",
    );
    for (path, status) in [
        ("/api/v1/needs", "200"),
        ("/api/v1/node", "200"),
        ("/api/v1/orgs", "200"),
        ("/api/v1/claims", "200"),
        ("/api/v1/streams", "200"),
        ("/api/v1/messages/rejected", "200"),
    ] {
        let got = n.get(path).await;
        check(schema_of(path, "get", status), &got, path);
    }
    // A schema that would accept anything proves nothing: a wrong response is refused.
    let mut wrong = created.clone();
    wrong["status"] = json!("maybe");
    let v = jsonschema::draft202012::new(&schema_of("/api/v1/offers", "post", "201")).unwrap();
    assert!(
        !v.is_valid(&wrong),
        "a status outside the enum must not validate"
    );
    // Errors are described too.
    let (status, err) = n
        .post(
            "/api/v1/offers",
            json!({ "title": "x", "category": "venue", "capacity": 0 }),
        )
        .await;
    assert_eq!(status, 422);
    check(schema_of("/api/v1/offers", "post", "422"), &err, "422");
    n.stop().await;
}

/// Guessing passwords is slowed per address: after a burst, sign-ins get 429 with Retry-After
/// on the API and a message on the web UI's sign-in page, while everything else keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_are_rate_limited_per_address() {
    use tongxin_node::http::limit::SIGN_IN_BURST;
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let n = a.start("community", None).await; // signed in once already
    let wrong = json!({ "username": "admin", "password": "not the password" });
    let mut refused_at = None;
    let started = std::time::Instant::now();
    // One attempt comes back every SIGN_IN_EVERY: on a loaded machine the burst may take longer
    // than that, so allow one more attempt per period that passed.
    for i in 1..=SIGN_IN_BURST + 100 {
        let r = n
            .http
            .post(n.url("/api/v1/auth/token"))
            .json(&wrong)
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            401 => {}
            429 => {
                let retry: u64 = r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=4).contains(&retry), "Retry-After {retry}");
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["error"]["code"], "too_many_requests");
                refused_at = Some(i);
                break;
            }
            s => panic!("sign-in {i}: unexpected {s}"),
        }
    }
    // The start-up sign-in counted too: the burst ends at the 50th attempt in all, plus what
    // came back while the attempts ran.
    let refused_at = refused_at.expect("never refused");
    let came_back = (started.elapsed().as_secs_f64()
        / tongxin_node::http::limit::SIGN_IN_EVERY.as_secs_f64())
    .ceil() as u32;
    assert!(
        (SIGN_IN_BURST..=SIGN_IN_BURST + came_back).contains(&refused_at),
        "refused at attempt {refused_at}, {came_back} came back meanwhile"
    );
    // The right password is refused too while the address is over its limit ...
    let (status, _) = n
        .post(
            "/api/v1/auth/token",
            json!({ "username": "admin", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(status, 429);
    // ... and the web UI's sign-in shares the budget, saying so in Chinese on the page.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = browser
        .post(n.url("/login"))
        .form(&[("username", "admin"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert!(page.url().path().ends_with("/login"), "{}", page.url());
    assert!(page.text().await.unwrap().contains("登录尝试过于频繁"));
    // Everything else keeps serving, for tokens already issued too.
    assert!(n.ready().await);
    assert_eq!(n.get("/api/v1/node").await["org_id"], n.org_id.as_str());
    n.stop().await;
}

/// Time has one source the tests can set: an offer published while the node's clock stands at
/// a chosen moment carries that moment, in the row, the API and the signed message's `iat`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_takes_its_time_from_its_clock() {
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let org = a.org("community");
    let cfg = tongxin_node::config::Config::load(&a.config(org, None)).unwrap();
    // A moment in the past that the certificates are valid for: now, less a minute, rounded.
    let at_ms = (now() - 60) * 1000;
    let clock = tongxin_node::clock::Clock::manual(at_ms);
    let app = tongxin_node::app::Application::build_with_clock(cfg, clock.clone()).unwrap();
    let n = start_app(org.id.clone(), app).await;
    let offer = n.ok_post("/api/v1/offers", offer_input("共享会议室")).await;
    assert_eq!(offer["published_ms"], at_ms);
    clock.advance_ms(5_000);
    let id = offer["id"].as_str().unwrap().to_owned();
    let w = n
        .ok_post(&format!("/api/v1/offers/{id}/withdraw"), json!({}))
        .await;
    assert_eq!(w["withdrawn"], id.as_str());
    let listed = n.get("/api/v1/offers").await;
    assert_eq!(listed["items"][0]["updated_ms"], at_ms + 5_000);
    // The signed messages (kept in the outbox) carry the same times.
    let stored: Vec<String> = n
        .node
        .store
        .read(|c| {
            let rows = tongxin_node::store::outbox::range(c, "all", 1, 10, 10)?;
            Ok(rows.into_iter().map(|r| r.jws).collect())
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    for (i, jws) in stored.iter().enumerate() {
        let m = n.node.verifier().verify(jws, now()).unwrap();
        assert_eq!(m.iat, at_ms / 1000 + if i == 0 { 0 } else { 5 });
    }
    n.stop().await;
}
