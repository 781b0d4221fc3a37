//! Participation reports (PROTOCOL.md §10) across six real nodes: members of a co-building unit
//! and of a 楼e家 alliance serve in two communities (服务登记, approved, attested, credited); the
//! organisation department asks every producer for the day's reports, and its figures equal
//! the sums this test computes from the services it created; every pair agrees. Then the unit
//! sends an inflated revision (the test makes it, signed with the unit's key): the department
//! flags the pair, the period and both reports, which `tongxin verify` accepts as the signed
//! evidence; an honest revision clears the flag, which stays on record. An inclusion proof of
//! one check-in verifies offline and a made-up one does not. The department's disk holds no
//! member's name, phone or reference; an auditor sees the dashboard's charts in headless
//! Chromium, an administrator is sent away, a member's or an administrator's token is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::collections::{BTreeMap, BTreeSet};

use fantoccini::Locator;
use serde_json::{Value, json};
use tongxin_node::clock::Clock;
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::{ParticipationReported, ReportPeriod};
use tongxin_tests::browser::{Driver, arrive, arrive_exactly, click, fill, text};
use tongxin_tests::*;

const PASSWORD: &str = "correct horse battery";

/// One service a member gave: who (home, member index), where, what, how long.
struct Service {
    home: &'static str,
    member: usize,
    community: &'static str,
    category: &'static str,
    minutes: i64,
}

/// The body of a report part (a compact JWS we hold).
fn body_of(jws: &str) -> ParticipationReported {
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jws.split('.').nth(1).unwrap())
        .unwrap();
    let v: Value = serde_json::from_slice(&payload).unwrap();
    serde_json::from_value(v["body"].clone()).unwrap()
}

/// The services credited at `home`, or hosted by `community`.
fn credited<'a>(services: &'a [Service], home: &'a str) -> impl Iterator<Item = &'a Service> {
    services.iter().filter(move |s| s.home == home)
}

fn hosted<'a>(services: &'a [Service], community: &'a str) -> impl Iterator<Item = &'a Service> {
    services.iter().filter(move |s| s.community == community)
}

/// How many distinct members gave these services.
fn distinct<'a>(services: impl Iterator<Item = &'a Service>) -> i64 {
    services
        .map(|s| (s.home, s.member))
        .collect::<BTreeSet<_>>()
        .len() as i64
}

/// The first flag not cleared yet, once there is one.
async fn open_flag(dept: &RunningNode, token: &str, figures: &str, what: &str) -> Value {
    eventually(20, what, || async {
        let (_, d) = auditor_get(dept, token, figures).await;
        d["flags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["cleared_ms"].is_null())
            .cloned()
    })
    .await
}

async fn auditor_get(dept: &RunningNode, token: &str, path: &str) -> (u16, Value) {
    as_member(dept, token, "GET", path, Value::Null).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_add_up_pairs_agree_and_an_inflated_report_is_flagged_with_its_evidence() {
    let a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
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
        ("dept", OrgKind::OrgDepartment, "区委组织部", None),
    ]);
    // One clock for every node, moved to the next day before the services (the members and
    // their reports stand before the day they serve on).
    let clock = Clock::manual(now() * 1000);
    let mut nodes = BTreeMap::new();
    for p in ["co", "loue", "street", "east", "west", "dept"] {
        nodes.insert(p, a.start_with_clock(p, clock.clone()).await);
    }
    for n in nodes.values() {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let n = |p: &str| &nodes[p];

    // Members: five of the unit (four live in east), four of 楼e家 (three live in west). Each
    // reports to the community they live in, which accepts.
    let homes = [
        ("co", ["east", "east", "east", "east", "west"].as_slice()),
        ("loue", ["west", "west", "west", "east"].as_slice()),
    ];
    let mut members: BTreeMap<(&str, usize), (String, String, String)> = BTreeMap::new();
    let mut phone = 13_810_000_000u64;
    for (home, lives) in homes {
        for (i, community) in lives.iter().enumerate() {
            phone += 1;
            let name = format!(
                "{}成员{}",
                if home == "co" { "供电" } else { "楼宇" },
                i + 1
            );
            let m = n(home)
                .ok_post(
                    "/api/v1/members",
                    json!({ "name": name, "phone": phone.to_string(),
                            "residence_org": n(community).org_id }),
                )
                .await;
            let id = m["id"].as_str().unwrap().to_owned();
            let report = n(home)
                .ok_post(&format!("/api/v1/members/{id}/reports"), json!({}))
                .await;
            let decision = format!(
                "/api/v1/reports/{}/{}/decision",
                n(home).org_id,
                report["id"].as_str().unwrap()
            );
            let c = n(community);
            eventually(15, "the report at the community", || async {
                let (s, _) = c.post(&decision, json!({ "accepted": true })).await;
                (s == 200).then_some(())
            })
            .await;
            members.insert((home, i), (id, name, phone.to_string()));
        }
    }
    for (home, lives) in homes {
        let h = n(home);
        eventually(15, "every report accepted, at home", || async {
            let v = items(&h.get("/api/v1/reports").await);
            (v.iter().filter(|r| r["status"] == "accepted").count() == lives.len()).then_some(())
        })
        .await;
    }

    // The services, all on the next day (Beijing time), one after another for each member;
    // the clock moves to that afternoon (sign-ins are signed in again: tokens last 8 hours).
    let (_, day_start) = tongxin_schema::period::bounds(ReportPeriod::Day, clock.now_s());
    clock.set_ms((day_start + 14 * 3600) * 1000);
    for node in nodes.values_mut() {
        node.token = node.login("admin", PASSWORD).await;
    }
    let n = |p: &str| &nodes[p];
    let services = [
        ("co", 0, "east", "volunteer-service", 60),
        ("co", 1, "east", "volunteer-service", 60),
        ("co", 2, "east", "volunteer-service", 60),
        ("co", 3, "east", "volunteer-service", 60),
        ("co", 0, "east", "culture", 30),
        ("co", 1, "east", "culture", 30),
        ("co", 4, "west", "volunteer-service", 45),
        ("loue", 0, "west", "home-visit", 50),
        ("loue", 1, "west", "home-visit", 50),
        ("loue", 2, "west", "home-visit", 50),
        ("loue", 3, "east", "volunteer-service", 60),
    ]
    .map(|(home, member, community, category, minutes)| Service {
        home,
        member,
        community,
        category,
        minutes,
    });
    let the_day = day_start;
    let day = tongxin_schema::period::label(ReportPeriod::Day, the_day);
    let mut next_start: BTreeMap<(&str, usize), i64> = BTreeMap::new();
    let mut logged = Vec::new();
    for s in &services {
        let start = next_start
            .entry((s.home, s.member))
            .or_insert(the_day + 9 * 3600);
        let (from, to) = (*start, *start + s.minutes * 60);
        *start = to + 600;
        let mid = &members[&(s.home, s.member)].0;
        let log = n(s.home)
            .ok_post(
                &format!("/api/v1/members/{mid}/services"),
                json!({ "community": n(s.community).org_id, "what": "参与情况测试服务",
                        "category": s.category, "started_at": from, "ended_at": to }),
            )
            .await;
        logged.push((s, log["id"].as_str().unwrap().to_owned()));
    }
    for (s, id) in &logged {
        let path = format!("/api/v1/services/{}/{id}/decision", n(s.home).org_id);
        let c = n(s.community);
        eventually(15, "the log at the community", || async {
            let (st, _) = c.post(&path, json!({ "approved": true })).await;
            (st == 200).then_some(())
        })
        .await;
    }
    for (home, _) in homes {
        let want = services.iter().filter(|s| s.home == home).count();
        let h = n(home);
        let ids: Vec<String> = members
            .iter()
            .filter(|((m_home, _), _)| *m_home == home)
            .map(|(_, (id, _, _))| id.clone())
            .collect();
        eventually(20, "every service credited at home", || async {
            let mut got = 0;
            for id in &ids {
                let r = h.get(&format!("/api/v1/members/{id}/record")).await;
                got += r["entries"].as_array().map_or(0, Vec::len);
            }
            (got == want).then_some(())
        })
        .await;
    }

    // The department asks every producer for the day's reports; an auditor reads them.
    let dept = n("dept");
    let hash = tongxin_node::http::auth::hash_password(PASSWORD).unwrap();
    dept.node
        .store
        .write(move |c| tongxin_node::store::users::put(c, "auditor", &hash, "auditor", 0))
        .await
        .unwrap();
    let auditor = dept.login("auditor", PASSWORD).await;
    let asked = dept
        .ok_post(
            "/api/v1/participation/requests",
            json!({ "period": "day", "at": the_day }),
        )
        .await;
    assert_eq!(asked["asked"], 5, "every producer: {asked}");
    let figures_path = format!("/api/v1/participation?period=day&at={day}");
    let d = eventually(30, "every report of the day, pairs checked", || async {
        let (s, d) = auditor_get(dept, &auditor, &figures_path).await;
        assert_eq!(s, 200, "{d}");
        (d["summary"]["reported_home"] == 5
            && d["summary"]["reported_host"] == 5
            && d["summary"]["pairs_agree"] == 4)
            .then_some(d)
    })
    .await;
    let summary = &d["summary"];
    assert_eq!(summary["checkins"], services.len() as i64, "{summary}");
    assert_eq!(
        summary["minutes"],
        services.iter().map(|s| s.minutes).sum::<i64>(),
        "{summary}"
    );
    assert_eq!(summary["members"], members.len() as i64);
    assert_eq!(summary["members_reported"], members.len() as i64);
    assert_eq!(summary["members_active"], distinct(services.iter()));
    assert_eq!(summary["pairs_differ"], 0);
    assert_eq!(summary["pairs_pending"], 0);
    assert!(d["flags"].as_array().unwrap().is_empty(), "{d}");
    for (home, lives) in homes {
        let row = d["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["org"] == n(home).org_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(row["members"], lives.len() as i64, "{row}");
        assert_eq!(
            row["checkins"],
            credited(&services, home).count() as i64,
            "{row}"
        );
        assert_eq!(
            row["minutes"],
            credited(&services, home).map(|s| s.minutes).sum::<i64>()
        );
        assert_eq!(row["members_active"], distinct(credited(&services, home)));
        assert_eq!(row["participation_pct"], 100.0, "{row}");
    }
    for c in ["east", "west"] {
        let row = d["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["org"] == n(c).org_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            row["checkins"],
            hosted(&services, c).count() as i64,
            "{row}"
        );
        assert_eq!(
            row["minutes"],
            hosted(&services, c).map(|s| s.minutes).sum::<i64>()
        );
        assert_eq!(row["members_hosted"], distinct(hosted(&services, c)));
        assert_eq!(
            row["reporting_members"],
            homes
                .iter()
                .map(|(_, lives)| lives.iter().filter(|l| **l == c).count() as i64)
                .sum::<i64>()
        );
    }
    // Cells below k = 3 are named, not counted: the categories add up to the listed cells.
    let cats = d["categories"].as_array().unwrap();
    let listed = |cat: &str| cats.iter().find(|c| c["category"] == cat).unwrap().clone();
    // (co, east, volunteer-service): 4 members; (loue, west, home-visit): 3.
    assert_eq!(listed("volunteer-service")["checkins"], 4);
    assert_eq!(listed("volunteer-service")["suppressed_cells"], 2);
    assert_eq!(listed("home-visit")["checkins"], 3);
    assert_eq!(listed("culture")["checkins"], 0);
    assert_eq!(listed("culture")["suppressed_cells"], 1);
    // The month's reports too, asked for separately: the same totals.
    dept.ok_post(
        "/api/v1/participation/requests",
        json!({ "period": "month", "at": the_day }),
    )
    .await;
    let month = tongxin_schema::period::label(ReportPeriod::Month, the_day);
    eventually(30, "the month's reports", || async {
        let (_, m) =
            auditor_get(dept, &auditor, &format!("/api/v1/participation?at={month}")).await;
        (m["summary"]["reported_home"] == 5
            && m["summary"]["checkins"].as_i64() >= Some(services.len() as i64))
        .then_some(())
    })
    .await;

    // An inclusion proof of one of 供电成员1's check-ins, from the unit (home) and from east
    // (host), each checks offline; a made-up one does not.
    let co = n("co");
    let east = n("east");
    let record = co
        .get(&format!("/api/v1/members/{}/record", members[&("co", 0)].0))
        .await;
    let entry = record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["host_org"] == east.org_id.as_str())
        .unwrap()
        .clone();
    let checkin = entry["id"].as_str().unwrap();
    let verify = |file: &std::path::Path| {
        // As of the nodes' clock, which the test moved a day ahead.
        tongxin_node::cli::verify::run_at(
            &a.ca_path(),
            None,
            Some(&a.dir.path().join("roster.jws")),
            tongxin_node::cli::verify::Input::Proof(file),
            clock.now_s(),
        )
        .unwrap()
    };
    for (who, node) in [("home", co), ("host", east)] {
        let (s, proof) = as_member(
            node,
            &node.token,
            "GET",
            &format!(
                "/api/v1/participation/proof?host={}&checkin={checkin}&period=day",
                east.org_id
            ),
            Value::Null,
        )
        .await;
        assert_eq!(s, 200, "{who}: {proof}");
        let file = a.dir.path().join(format!("proof-{who}.json"));
        std::fs::write(&file, proof.to_string()).unwrap();
        let (verdict, ok) = verify(&file);
        assert!(
            ok && verdict.contains("\"included\": true"),
            "{who}: {verdict}"
        );
        // A sibling hash changed, another leaf index, another check-in's id: all refused.
        let mut forged = proof.clone();
        if let Some(first) = forged["proof"]["path"]
            .as_array_mut()
            .and_then(|p| p.first_mut())
        {
            *first = json!("00".repeat(32));
        } else {
            forged["proof"]["index"] = json!(1);
        }
        let mut other = proof.clone();
        other["proof"]["jti"] = json!(uuid::Uuid::now_v7());
        let mut shrunk = proof.clone();
        shrunk["proof"]["tree_size"] = json!(proof["proof"]["tree_size"].as_u64().unwrap() + 1);
        for (what, bad) in [("path", forged), ("jti", other), ("size", shrunk)] {
            std::fs::write(&file, bad.to_string()).unwrap();
            let (verdict, ok) = verify(&file);
            assert!(
                !ok && verdict.starts_with("rejected"),
                "{who}, {what}: {verdict}"
            );
        }
    }

    // The unit inflates its report: the same check-ins, twice the minutes in one cell, as a
    // new revision signed with its key.
    let sent = co
        .node
        .store
        .read({
            let start = the_day;
            move |c| {
                tongxin_node::store::participation::last_sent(
                    c,
                    tongxin_node::store::participation::Identity {
                        side: "home",
                        period: "day",
                        period_start: start,
                    },
                )
            }
        })
        .await
        .unwrap()
        .unwrap();
    let honest = body_of(sent.jws.lines().next().unwrap());
    assert_eq!(honest.parts, 1);
    let mut inflated = honest.clone();
    inflated.report_id = uuid::Uuid::now_v7();
    inflated.revision = honest.revision + 1;
    let row = inflated
        .rows
        .iter_mut()
        .find(|r| r.counterpart == east.org_id)
        .unwrap();
    row.minutes *= 2;
    inflated.totals.minutes += row.minutes / 2;
    send_unchecked(co, dept, inflated.clone()).await;
    let flagged = open_flag(dept, &auditor, &figures_path, "the inflated pair flagged").await;
    assert_eq!(flagged["home"], co.org_id.as_str(), "{flagged}");
    assert_eq!(flagged["host"], east.org_id.as_str());
    assert_eq!(flagged["home_name"], "市供电公司机关党委");
    assert_eq!(flagged["period"], day.as_str());
    let diffs = flagged["differences"].as_array().unwrap();
    assert_eq!(
        diffs.len(),
        1,
        "the check-ins agree, one cell does not: {flagged}"
    );
    assert_eq!(diffs[0]["what"], "cell");
    assert_eq!(diffs[0]["category"], "volunteer-service");
    assert_eq!(diffs[0]["home"]["minutes"], 480);
    assert_eq!(diffs[0]["host"]["minutes"], 240);
    // The evidence: both reports, as signed, which anyone with the alliance's root checks.
    for (side, signer, jtis) in [
        ("home", &co.org_id, &flagged["home_jtis"]),
        ("host", &east.org_id, &flagged["host_jtis"]),
    ] {
        let jtis = jtis.as_array().unwrap();
        assert_eq!(jtis.len(), 1, "{side}: one part");
        let r = dept
            .http
            .get(dept.url(&format!(
                "/api/v1/participation/evidence/{}",
                jtis[0].as_str().unwrap()
            )))
            .bearer_auth(&auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let jws = r.text().await.unwrap();
        let file = a.dir.path().join(format!("evidence-{side}.jws"));
        std::fs::write(&file, &jws).unwrap();
        let (verdict, ok) = tongxin_node::cli::verify::run_at(
            &a.ca_path(),
            None,
            Some(&a.dir.path().join("roster.jws")),
            tongxin_node::cli::verify::Input::Message(Some(&file)),
            clock.now_s(),
        )
        .unwrap();
        assert!(ok, "{side}: {verdict}");
        assert!(
            verdict.contains("participation.reported") && verdict.contains(signer.as_str()),
            "{verdict}"
        );
        if side == "home" {
            assert_eq!(
                body_of(&jws),
                inflated,
                "the flag names the inflated revision"
            );
        }
    }
    // A stale revision is refused; an honest later one clears the flag, which stays on record.
    let mut stale = honest.clone();
    stale.report_id = uuid::Uuid::now_v7();
    send_unchecked(co, dept, stale).await;
    let mut corrected = honest.clone();
    corrected.report_id = uuid::Uuid::now_v7();
    corrected.revision = inflated.revision + 1;
    send_unchecked(co, dept, corrected).await;
    eventually(20, "the flag cleared by the honest revision", || async {
        let (_, d) = auditor_get(dept, &auditor, &figures_path).await;
        let flags = d["flags"].as_array().unwrap().clone();
        (flags.len() == 1 && !flags[0]["cleared_ms"].is_null() && d["summary"]["pairs_agree"] == 4)
            .then_some(())
    })
    .await;
    assert!(
        rejected_codes(dept)
            .await
            .contains(&"stale_report".to_owned())
    );
    // A home with k = 5 leaves out the four-member cell its host lists (k = 3): the department
    // compares at the larger k, and the pair still agrees.
    let mut stricter = honest.clone();
    stricter.report_id = uuid::Uuid::now_v7();
    stricter.revision = inflated.revision + 2;
    stricter.k = 5;
    for r in std::mem::take(&mut stricter.rows) {
        stricter
            .suppressed
            .push(tongxin_schema::v1::bodies::SuppressedCell {
                counterpart: r.counterpart,
                category: r.category,
                mode: r.mode,
            });
    }
    send_unchecked(co, dept, stricter.clone()).await;
    // Then a revision naming check-ins at the street, which the street never attested: the pair
    // (unit, street) is flagged, and the next honest revision, which names no street, clears it.
    let mut phantom = honest.clone();
    phantom.report_id = uuid::Uuid::now_v7();
    phantom.revision = stricter.revision + 1;
    let street = n("street");
    phantom
        .roots
        .push(tongxin_schema::v1::bodies::CounterpartRoot {
            counterpart: street.org_id.clone(),
            checkins: 1,
            root: "cd".repeat(32),
        });
    phantom
        .suppressed
        .push(tongxin_schema::v1::bodies::SuppressedCell {
            counterpart: street.org_id.clone(),
            category: tongxin_schema::v1::taxonomy::ActivityCategory::Culture,
            mode: tongxin_schema::v1::taxonomy::Mode::Routine,
        });
    send_unchecked(co, dept, phantom.clone()).await;
    let missing = open_flag(dept, &auditor, &figures_path, "the phantom pair flagged").await;
    assert_eq!(missing["host"], street.org_id.as_str(), "{missing}");
    // The street's report does not name the unit, nor list its cell.
    let diffs = missing["differences"].as_array().unwrap();
    assert_eq!(diffs[0], json!({ "what": "missing", "side": "host" }));
    assert_eq!(
        (&diffs[1]["what"], &diffs[1]["category"], &diffs[1]["host"]),
        (&json!("cell"), &json!("culture"), &Value::Null)
    );
    assert_eq!(diffs.len(), 2, "{missing}");
    let (_, d) = auditor_get(dept, &auditor, &figures_path).await;
    assert_eq!(
        d["summary"]["pairs_differ"], 1,
        "only the phantom pair: the stricter k before it agreed: {}",
        d["summary"]
    );
    let mut honest_again = honest.clone();
    honest_again.report_id = uuid::Uuid::now_v7();
    honest_again.revision = phantom.revision + 1;
    send_unchecked(co, dept, honest_again).await;
    eventually(20, "every flag cleared, on record", || async {
        let (_, d) = auditor_get(dept, &auditor, &figures_path).await;
        let flags = d["flags"].as_array().unwrap().clone();
        (flags.len() == 2
            && flags.iter().all(|f| !f["cleared_ms"].is_null())
            && d["summary"]["pairs_differ"] == 0)
            .then_some(())
    })
    .await;

    // Who may see it: auditors; an administrator's or a member's token is refused.
    let (s, _) = auditor_get(dept, &dept.token, &figures_path).await;
    assert_eq!(s, 403, "the department's administrator");
    let m = dept
        .ok_post(
            "/api/v1/members",
            json!({ "name": "组织部党员", "phone": "13899990000" }),
        )
        .await;
    dept.ok_post(
        &format!("/api/v1/members/{}/password", m["id"].as_str().unwrap()),
        json!({ "password": PASSWORD }),
    )
    .await;
    let member = dept.login("13899990000", PASSWORD).await;
    let (s, _) = auditor_get(dept, &member, &figures_path).await;
    assert_eq!(s, 403, "a member");

    // The dashboard in a real browser: the auditor sees the charts and the tables; the API's
    // figures are the page's.
    let driver = Driver::start();
    let b = driver.browser().await;
    b.goto(&dept.url(&format!("/participation?period=day&at={day}")))
        .await
        .unwrap();
    arrive(&b, &dept.url("/login")).await;
    fill(&b, "input[name=username]", "auditor").await;
    fill(&b, "input[name=password]", PASSWORD).await;
    click(&b, "form[action='/login'] button").await;
    arrive(&b, &dept.url("/participation")).await;
    let charts = b.find_all(Locator::Css("svg.chart")).await.unwrap();
    assert!(charts.len() >= 2, "the charts: {}", charts.len());
    let page = text(&b).await;
    for want in [
        "参与情况",
        "市供电公司机关党委",
        "楼e家党建联盟",
        "小山隆义里社区大党委",
        "参与率",
        &day,
        &d["summary"]["checkins"].to_string(),
    ] {
        assert!(page.contains(want), "{want} on the page: {page}");
    }
    let bars = b.find_all(Locator::Css("svg.chart rect")).await.unwrap();
    assert!(bars.len() >= 7, "bars drawn: {}", bars.len());
    // An administrator signing in is sent away with the reason.
    let admin = driver.browser().await;
    admin.goto(&dept.url("/login")).await.unwrap();
    fill(&admin, "input[name=username]", "admin").await;
    fill(&admin, "input[name=password]", PASSWORD).await;
    click(&admin, "form[action='/login'] button").await;
    arrive_exactly(&admin, &dept.url("/")).await;
    admin.goto(&dept.url("/participation")).await.unwrap();
    arrive(&admin, &dept.url("/offers")).await;
    assert!(text(&admin).await.contains("区委组织部的审核人员"));
    b.close().await.unwrap();
    admin.close().await.unwrap();

    // Nothing the department stores names a member: no name, phone, member reference or id.
    let mut secrets: Vec<String> = Vec::new();
    for (id, name, phone) in members.values() {
        secrets.extend([id.clone(), name.clone(), phone.clone()]);
    }
    for c in ["east", "west"] {
        for r in items(&n(c).get("/api/v1/reports?side=received").await) {
            secrets.push(r["mref"].as_str().unwrap().to_owned());
            if let Some(name) = r["display_name"].as_str() {
                secrets.push(name.to_owned());
            }
        }
    }
    assert!(secrets.len() > 3 * members.len());
    let dept_dir = a.org("dept").dir.clone();
    for (_, node) in nodes {
        node.stop().await;
    }
    let stored = Stored::read(&dept_dir);
    for s in &secrets {
        assert!(!stored.holds(s), "the department's database holds {s:?}");
    }
}
