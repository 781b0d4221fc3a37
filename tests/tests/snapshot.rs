//! Snapshots for late joiners and long absences (PROTOCOL.md §7.10): once a street has
//! compacted its broadcast stream (the messages of objects closed before the retention are gone
//! from its outbox), a node that joins later, and a node whose queue lost a long absence, both
//! end with exactly the street's current offers, needs and activities that an old node lists:
//! the street re-sends what survives and says which runs of its stream are gone.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_node::clock::Clock;
use tongxin_node::store::schema::outbox;
use tongxin_schema::OrgKind;
use tongxin_schema::period;
use tongxin_schema::v1::bodies::{ReportPeriod, SyncCompacted};
use tongxin_tests::*;

const DAY: i64 = 86_400;

/// A session lasts hours of the node's clock: after a jump of a day, staff sign in again.
async fn sign_in_again(node: &mut RunningNode) {
    node.token = node.login("admin", "correct horse battery").await;
}

/// One list of a node's API, the street's entries only, each whole, in id order.
async fn listed(node: &RunningNode, path: &str, street: &str) -> Vec<Value> {
    let mut v: Vec<Value> = items(&node.get(path).await)
        .into_iter()
        .filter(|x| {
            [&x["org_id"], &x["host_org"]]
                .iter()
                .any(|o| o.as_str() == Some(street))
        })
        .collect();
    v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    v
}

/// The street's offers, needs and activities as `node` lists them.
async fn lists(node: &RunningNode, street: &str) -> [Vec<Value>; 3] {
    [
        listed(
            node,
            &format!("/api/v1/offers?org={street}&limit=200"),
            street,
        )
        .await,
        listed(
            node,
            &format!("/api/v1/needs?org={street}&limit=200"),
            street,
        )
        .await,
        listed(node, "/api/v1/activities", street).await,
    ]
}

fn without(list: &[Value], gone: &[&str]) -> Vec<Value> {
    list.iter()
        .filter(|x| !gone.contains(&x["id"].as_str().unwrap()))
        .cloned()
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// The last seq the street numbered on its broadcast stream.
async fn all_head(street: &RunningNode) -> i64 {
    street
        .node
        .store
        .read(tongxin_node::store::outbox::heads)
        .await
        .unwrap()
        .into_iter()
        .find(|(st, _)| st == "all")
        .map_or(0, |(_, h)| h)
}

async fn outbox_rows(node: &RunningNode) -> i64 {
    use diesel::prelude::*;
    node.node
        .store
        .read(|c| {
            Ok(outbox::table
                .filter(outbox::stream.eq("all"))
                .count()
                .get_result::<i64>(c)?)
        })
        .await
        .unwrap()
}

async fn late_joiners_get_the_current_state(postgres: bool) {
    let now_s = now();
    // Day 0 starts five Beijing days ago: days 0 to 3 are over whenever the test runs.
    let (t0, _) = period::bounds(ReportPeriod::Day, now_s - 5 * DAY);
    let mut a = Alliance::with_certificates_from(
        &[
            ("street", OrgKind::Street, "学院南路街道党工委", None),
            (
                "old",
                OrgKind::Community,
                "友谊南里社区大党委",
                Some("street"),
            ),
            ("away", OrgKind::Community, "北下关社区党委", Some("street")),
            (
                "late",
                OrgKind::CoBuildingUnit,
                "中关村科技共建单位党支部",
                None,
            ),
        ],
        |_| true,
        t0 - DAY,
    );
    let (street_db, late_db) = if postgres {
        (Some(a.postgres_db()), Some(a.postgres_db()))
    } else {
        (None, None)
    };
    let clock = Clock::manual((t0 + 3600) * 1000);
    let mut street = a
        .start_on_with_clock("street", street_db.as_deref(), clock.clone())
        .await;
    let mut old = a.start_on_with_clock("old", None, clock.clone()).await;
    let away = a.start_on_with_clock("away", None, clock.clone()).await;
    let s = street.org_id.to_string();

    // Day 0: offers, needs and activities, some closed the same day.
    let offer = |t: &str| offer_input(t);
    let o_closed_day0 = id(&street
        .ok_post("/api/v1/offers", offer("旧会议室（已撤回）"))
        .await);
    let o_closed_day1 = id(&street
        .ok_post("/api/v1/offers", offer("党群活动室（次日撤回）"))
        .await);
    let o_open = id(&street
        .ok_post("/api/v1/offers", offer("法律咨询志愿服务"))
        .await);
    let need = |t: &str| json!({ "title": t, "level": "street" });
    let n_closed_day0 = id(&street
        .ok_post("/api/v1/needs", need("助老餐桌椅（已办结）"))
        .await);
    let n_closed_day1 = id(&street
        .ok_post("/api/v1/needs", need("楼道照明（次日办结）"))
        .await);
    let n_open = id(&street
        .ok_post("/api/v1/needs", need("社区花园志愿者"))
        .await);
    let t = t0 + 3600;
    let activity = |title: &str, starts: i64, ends: i64| {
        json!({ "category": "volunteer-service", "title": title, "place": "街道党群服务中心",
                "starts_at": starts, "ends_at": ends, "capacity": 10 })
    };
    let a_ended = id(&street
        .ok_post(
            "/api/v1/activities",
            activity("义诊（当天结束）", t + 600, t + 7200),
        )
        .await);
    let a_next_week = id(&street
        .ok_post(
            "/api/v1/activities",
            activity("垃圾分类宣传", t + 10 * DAY, t + 10 * DAY + 7200),
        )
        .await);
    let a_cancelled = id(&street
        .ok_post(
            "/api/v1/activities",
            activity("读书会（已取消）", t + 10 * DAY, t + 10 * DAY + 3600),
        )
        .await);
    street
        .ok_post(
            &format!("/api/v1/offers/{o_closed_day0}/withdraw"),
            json!({}),
        )
        .await;
    street
        .ok_post(&format!("/api/v1/needs/{n_closed_day0}/fulfil"), json!({}))
        .await;
    street
        .ok_post(
            &format!("/api/v1/activities/{a_cancelled}/cancel"),
            json!({ "reason": "场地维修" }),
        )
        .await;
    let day0_head = all_head(&street).await;
    for n in [&old, &away] {
        eventually(30, "day 0 everywhere", || async {
            (stream_state(n, &street.org_id, "all").await.map(|s| s.0) == Some(day0_head))
                .then_some(())
        })
        .await;
    }
    // The community that will be away has day 0, then its node stops and its queue loses what
    // comes next (as a queue length or age limit would).
    let away_day0 = lists(&away, &s).await;
    away.stop().await;

    // Day 1: one offer and one need of day 0 close, and an offer comes and goes.
    clock.set_ms((t0 + DAY + 3600) * 1000);
    sign_in_again(&mut street).await;
    street
        .ok_post(
            &format!("/api/v1/offers/{o_closed_day1}/withdraw"),
            json!({}),
        )
        .await;
    street
        .ok_post(&format!("/api/v1/needs/{n_closed_day1}/fulfil"), json!({}))
        .await;
    let o_brief = id(&street
        .ok_post("/api/v1/offers", offer("临时场地（当天撤回）"))
        .await);
    street
        .ok_post(&format!("/api/v1/offers/{o_brief}/withdraw"), json!({}))
        .await;
    // Day 2, inside the retention: an offer comes and goes, another stays.
    clock.set_ms((t0 + 2 * DAY + 3600) * 1000);
    sign_in_again(&mut street).await;
    let o_recent = id(&street
        .ok_post("/api/v1/offers", offer("少儿书法课（近日撤回）"))
        .await);
    street
        .ok_post(&format!("/api/v1/offers/{o_recent}/withdraw"), json!({}))
        .await;
    let o_day2 = id(&street
        .ok_post("/api/v1/offers", offer("周末托管场地"))
        .await);
    let numbered = all_head(&street).await;
    eventually(30, "everything at the old node", || async {
        (stream_state(&old, &street.org_id, "all").await.map(|s| s.0) == Some(numbered))
            .then_some(())
    })
    .await;
    // The away community's queue loses days 1 and 2; the late joiner's queue, declared with
    // the alliance, is emptied as if it had been declared only when it joined.
    for prefix in ["away", "late"] {
        rabbitmqctl(&[
            "purge_queue",
            "-p",
            &a.vhost,
            &tongxin_node::bus::queue_name(a.org(prefix).id.as_str()),
        ]);
    }

    // Day 3, one day of retention: the street archives, then compacts days 0 and 1.
    let now = t0 + 3 * DAY + 3600;
    clock.set_ms(now * 1000);
    sign_in_again(&mut street).await;
    sign_in_again(&mut old).await;
    let rows_before = outbox_rows(&street).await;
    assert_eq!(rows_before, numbered, "nothing compacted yet");
    let dir = tongxin_node::archive::dir(&street.node.cfg.data_dir);
    let mut conn = street.node.store.target.connect().unwrap();
    tongxin_node::archive::write_missing(&mut conn, &street.node.signer, &dir, now).unwrap();
    let pruned = tongxin_node::retention::prune(&mut conn, &dir, 1, now).unwrap();
    let floor = tongxin_node::compaction::floor(&mut conn).unwrap();
    drop(conn);
    // Gone: the ended activity (its publication), the offer and need closed on day 0 and the
    // offer closed on day 1 and the need closed on day 1 (their publications: their closing
    // messages stay), the brief offer of day 1 (likewise). The cancelled activity of next week
    // stays whole until it ends; day 2 is inside the retention.
    assert_eq!(pruned.outbox, 6, "{pruned:?}");
    assert_eq!(outbox_rows(&street).await, numbered - 6);
    assert!(floor > day0_head && floor < numbered, "floor {floor}");

    // A node that joins now, and the community back from its absence.
    let late = a
        .start_on_with_clock("late", late_db.as_deref(), clock.clone())
        .await;
    let away = a.start_on_with_clock("away", None, clock.clone()).await;
    for n in [&late, &away] {
        eventually(60, "the street's stream complete", || async {
            (stream_state(n, &street.org_id, "all").await == Some((numbered, numbered)))
                .then_some(())
        })
        .await;
        assert!(
            n.node.metrics.get("tongxin_compacted_skipped_total", "") > 0,
            "{} passed over compacted runs",
            n.org_id
        );
        assert_eq!(
            rejected_codes(n).await,
            Vec::<String>::new(),
            "{}",
            n.org_id
        );
    }

    let at_old = lists(&old, &s).await;
    // What the old node lists of objects closed before the cut (the day-0 and day-1 offer
    // and need closures, the brief offer) is history; the rest is the current state.
    let before_cut = [
        o_closed_day0.as_str(),
        o_closed_day1.as_str(),
        o_brief.as_str(),
        n_closed_day0.as_str(),
        n_closed_day1.as_str(),
    ];
    let current: Vec<Vec<Value>> = at_old.iter().map(|l| without(l, &before_cut)).collect();
    assert_eq!(at_old[0].len(), 6, "the old node lists every offer");
    assert_eq!(
        at_old[2].iter().map(id).collect::<Vec<_>>().len(),
        2,
        "activities are listed until they end: next week's and the cancelled one"
    );
    assert!(!at_old[2].iter().any(|x| id(x) == a_ended));
    let at_late = lists(&late, &s).await;
    for (k, what) in ["offers", "needs", "activities"].iter().enumerate() {
        assert_eq!(at_late[k], current[k], "the late joiner's {what}");
    }
    let open = |l: &[Value]| -> Vec<Value> {
        l.iter()
            .filter(|x| x["status"] == "open")
            .cloned()
            .collect()
    };
    // The community back from a long absence lists what it had of day 0, with the closures it
    // missed applied: nothing it lists as open is closed at the old node.
    let at_away = lists(&away, &s).await;
    for k in 0..3 {
        assert_eq!(open(&at_away[k]), open(&at_old[k]), "open lists, {k}");
    }
    let status_of = |l: &[Value], wanted: &str| {
        l.iter()
            .find(|x| id(x) == wanted)
            .map(|x| x["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        status_of(&away_day0[0], &o_closed_day1).as_deref(),
        Some("open")
    );
    assert_eq!(
        status_of(&at_away[0], &o_closed_day1).as_deref(),
        Some("withdrawn")
    );
    assert_eq!(
        status_of(&at_away[1], &n_closed_day1).as_deref(),
        Some("fulfilled")
    );
    assert_eq!(status_of(&at_away[0], &o_brief), None, "never had it");
    assert_eq!(status_of(&at_away[0], &o_day2).as_deref(), Some("open"));
    assert_eq!(
        status_of(&at_late[0], &o_recent).as_deref(),
        Some("withdrawn")
    );
    assert_eq!(status_of(&at_late[0], &o_open).as_deref(), Some("open"));
    assert_eq!(status_of(&at_late[1], &n_open).as_deref(), Some("open"));
    assert_eq!(
        status_of(&at_late[2], &a_next_week).as_deref(),
        Some("open")
    );

    // The stream goes on from there.
    let o_after = id(&street
        .ok_post("/api/v1/offers", offer("新的共享空间"))
        .await);
    for n in [&late, &away, &old] {
        eventually(30, "the next offer", || async {
            status_of(&lists(n, &s).await[0], &o_after).map(|_| ())
        })
        .await;
    }

    // A `sync.compacted` nobody asked for changes nothing: a sender cannot make one node pass
    // over a message that the others apply.
    let next = all_head(&street).await as u64 + 1;
    let unasked = tongxin_schema::envelope::Message::new(
        street.org_id.clone(),
        tongxin_schema::Audience::Org(old.org_id.clone()),
        0,
        clock.now_s(),
        SyncCompacted {
            stream: "all".into(),
            from_seq: next,
            to_seq: next,
            floor: next,
        },
    );
    let jws = street.node.signer.sign(&unasked).unwrap();
    publish_raw(
        &a.vhost,
        street.org_id.as_str(),
        &a.broker_password,
        &unasked.routing_key(),
        jws.as_bytes(),
        node_props(
            &unasked.jti.to_string(),
            "sync.compacted",
            Some(street.org_id.as_str()),
        ),
    )
    .await
    .unwrap();
    let o_last = id(&street
        .ok_post("/api/v1/offers", offer("最后一条资源"))
        .await);
    eventually(30, "the offer after an unasked sync.compacted", || async {
        status_of(&lists(&old, &s).await[0], &o_last).map(|_| ())
    })
    .await;
    assert_eq!(rejected_codes(&old).await, Vec::<String>::new());
    assert_eq!(
        old.node.metrics.get("tongxin_compacted_skipped_total", ""),
        0
    );

    for n in [street, old, away, late] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_late_joiners_get_the_current_state() {
    late_joiners_get_the_current_state(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_late_joiners_get_the_current_state() {
    late_joiners_get_the_current_state(true).await;
}
