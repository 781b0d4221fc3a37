//! `tongxin db copy`: a node moves from SQLite to PostgreSQL and carries on where it stopped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::path::PathBuf;

use serde_json::{Value, json};
use tongxin_node::cli::db::{CopyReport, copy};
use tongxin_schema::OrgKind;
use tongxin_tests::*;

async fn copy_db(config: PathBuf, to: String) -> anyhow::Result<CopyReport> {
    tokio::task::spawn_blocking(move || copy(&config, &to))
        .await
        .unwrap()
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().unwrap().clone()
}

/// The last seq of each of a node's outgoing streams, by name.
async fn outgoing(n: &RunningNode) -> Vec<(String, i64)> {
    let s = n.get("/api/v1/streams").await;
    let mut v: Vec<(String, i64)> = s["outgoing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["stream"].as_str().unwrap().to_owned(),
                x["last_seq"].as_i64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn incoming(n: &RunningNode) -> Vec<(String, String, i64)> {
    let s = n.get("/api/v1/streams").await;
    let mut v: Vec<(String, String, i64)> = s["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["iss"].as_str().unwrap().to_owned(),
                x["stream"].as_str().unwrap().to_owned(),
                x["last_seq"].as_i64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn post_garbage(a: &Alliance, user: &str, pw: &str) {
    let jti = uuid::Uuid::now_v7().to_string();
    publish_raw(
        &a.vhost,
        user,
        pw,
        "all.offer.published",
        b"not a signed message",
        node_props(&jti, "offer.published", Some(user)),
    )
    .await
    .unwrap();
}

/// A need published at `owner`, claimed by `claimant`; waits until the owner has the claim.
async fn need_claimed(owner: &RunningNode, claimant: &RunningNode, title: &str, claims: usize) {
    let need = owner
        .ok_post(
            "/api/v1/needs",
            json!({ "title": title, "level": "grid", "wanted": "volunteer-skill" }),
        )
        .await;
    let need_id = need["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/needs?q={title}");
    eventually(15, "the need at the claimant", || async {
        (claimant.get(&path).await["total"] == 1).then_some(())
    })
    .await;
    claimant
        .ok_post(
            &format!("/api/v1/needs/{}/{need_id}/claims", owner.org_id),
            json!({ "note": "我们来" }),
        )
        .await;
    eventually(15, "the claim at the owner", || async {
        (items(&owner.get("/api/v1/claims").await).len() == claims).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_moves_from_sqlite_to_postgres_and_carries_on() {
    let mut a = Alliance::new(&[
        ("community", OrgKind::Community, "友谊南里社区大党委", None),
        ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
    ]);
    let (out_user, out_pw) = a.outsider();
    let pg = a.postgres_db();
    let community = a.start("community", None).await;
    let loue = a.start("loue", None).await;
    for n in [&community, &loue] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }

    // Rows in most tables: offers both ways, a need at the building alliance claimed by the
    // community (a direct stream), a rejected message, a second user.
    let titles = publish_offers(&community, "迁移前", 5, 2).await;
    loue.ok_post("/api/v1/offers", offer_input("楼宇共享会议室"))
        .await;
    need_claimed(&loue, &community, "楼宇需要志愿者", 1).await;
    post_garbage(&a, &out_user, &out_pw).await;
    let hash = tongxin_node::http::auth::hash_password("auditor password 1").unwrap();
    community
        .node
        .store
        .write(move |c| {
            tongxin_node::store::users::put(c, "auditor1", &hash, "auditor", 1).map(|_| ())
        })
        .await
        .unwrap();
    eventually(
        15,
        "the community's offers at the building alliance",
        || async { (offer_titles(&loue, &community.org_id).await == titles).then_some(()) },
    )
    .await;
    eventually(15, "everything at the community", || async {
        let offers = community.get("/api/v1/offers").await["total"] == 6;
        let rejected = items(&community.get("/api/v1/messages/rejected").await).len() == 1;
        (offers && rejected).then_some(())
    })
    .await;
    let out_before = outgoing(&community).await;
    let in_before = incoming(&community).await;
    let rejected_before = items(&community.get("/api/v1/messages/rejected").await);
    let claims_before = community.get("/api/v1/claims").await;
    assert_eq!(
        out_before,
        vec![("all".to_owned(), 5), (format!("org.{}", loue.org_id), 1)]
    );

    // While the node runs, its database is in use: refused, and the target stays untouched.
    let config = a.org("community").dir.join("tongxin.toml");
    let err = copy_db(config.clone(), pg.clone()).await.unwrap_err();
    assert!(err.to_string().contains("in use"), "{err:#}");
    assert!(err.to_string().contains("stop the node"), "{err:#}");

    // Stopped: the copy takes every table, ids included.
    community.stop().await;
    let report = copy_db(config.clone(), pg.clone()).await.unwrap();
    for (table, at_least) in [
        ("outbox", 6),
        ("out_streams", 2),
        ("in_streams", 1),
        ("received", 2),
        ("rejected", 1),
        ("users", 2),
        ("offers", 6),
        ("needs", 1),
        ("claims", 1),
    ] {
        let n = report.rows(table).unwrap();
        assert!(
            n >= at_least,
            "{table}: {n} rows, expected at least {at_least}"
        );
    }
    assert!(report.to_string().contains("TONGXIN_DATABASE_URL"));

    // A second copy into the same, now full, target is refused with a clear error.
    let err = copy_db(config.clone(), pg.clone()).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("already holds data"), "{msg}");
    assert!(msg.contains("outbox: "), "{msg}");

    // The node restarts on PostgreSQL with the same state.
    let community = a.start("community", Some(&pg)).await;
    assert!(community.node.store.target.is_postgres());
    eventually(10, "node ready", || async {
        community.ready().await.then_some(())
    })
    .await;
    assert_eq!(outgoing(&community).await, out_before);
    assert_eq!(incoming(&community).await, in_before);
    assert_eq!(community.get("/api/v1/offers").await["total"], 6);
    assert_eq!(offer_titles(&community, &community.org_id).await, titles);
    assert_eq!(community.get("/api/v1/claims").await, claims_before);
    assert_eq!(
        items(&community.get("/api/v1/messages/rejected").await),
        rejected_before
    );
    community.login("auditor1", "auditor password 1").await;

    // Publishing continues with the next seq on both streams, and the peer applies it: no
    // sequence number is used twice.
    community
        .ok_post("/api/v1/offers", offer_input("迁移后的活动室"))
        .await;
    need_claimed(&loue, &community, "迁移后需要帮手", 2).await;
    assert_eq!(
        outgoing(&community).await,
        vec![("all".to_owned(), 6), (format!("org.{}", loue.org_id), 2)]
    );
    eventually(15, "the new offer at the building alliance", || async {
        (offer_titles(&loue, &community.org_id).await.len() == 6).then_some(())
    })
    .await;
    let at_loue = incoming(&loue).await;
    for stream in ["all".to_owned(), format!("org.{}", loue.org_id)] {
        let want = if stream == "all" { 6 } else { 2 };
        assert!(
            at_loue.contains(&(community.org_id.to_string(), stream.clone(), want)),
            "{stream}: {at_loue:?}"
        );
    }
    let conflicts: Vec<Value> = items(&loue.get("/api/v1/messages/rejected").await)
        .into_iter()
        .filter(|x| x["iss"] == json!(community.org_id))
        .collect();
    assert_eq!(conflicts, Vec::<Value>::new());

    // New rows in the identity tables get fresh ids (the sequences were moved past the copies).
    post_garbage(&a, &out_user, &out_pw).await;
    let rejected = eventually(15, "a second rejection", || async {
        let r = items(&community.get("/api/v1/messages/rejected").await);
        (r.len() == 2).then_some(r)
    })
    .await;
    assert_ne!(rejected[0]["id"], rejected[1]["id"]);

    // Back the other way (PostgreSQL to SQLite), same code: refused while the node is
    // connected, then everything arrives and the node continues on the new file.
    let err = copy_db(config.clone(), "sqlite://back.db".into())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("other session"), "{err:#}");
    let out_pg = outgoing(&community).await;
    community.stop().await;
    let back = a.org("community").dir.join("back.db");
    // The stopped node's sessions end on the server a moment after it closed them (longer
    // on a busy machine): the copy refuses while any is listed.
    let report = eventually(20, "the stopped node's sessions end", || async {
        match copy_db(config.clone(), format!("sqlite://{}", back.display())).await {
            Ok(r) => Some(r),
            Err(e) if e.to_string().contains("other session") => None,
            Err(e) => panic!("{e:#}"),
        }
    })
    .await;
    assert_eq!(report.rows("rejected"), Some(2));
    assert_eq!(report.rows("offers"), Some(7));
    let community = a.start("community", Some("sqlite://back.db")).await;
    assert!(!community.node.store.target.is_postgres());
    assert_eq!(outgoing(&community).await, out_pg);
    community
        .ok_post("/api/v1/offers", offer_input("再次迁移后的活动室"))
        .await;
    eventually(
        15,
        "the third move's offer at the building alliance",
        || async { (offer_titles(&loue, &community.org_id).await.len() == 7).then_some(()) },
    )
    .await;

    for n in [community, loue] {
        n.stop().await;
    }
}
