//! Activities across five real nodes: a community hosts the poetry reading 《写小山》; members
//! of a co-building unit and of a 楼e家 alliance sign up at home, are placed, confirm (only
//! then does the host learn their name and phone), check in (one by the QR code's address on
//! a phone-like HTTP client, signing in with their home; one ticked in by staff) and out (one
//! forgets, and the host closes it at the end); each home credits exactly the minutes its host
//! attested. Attestations a home must refuse change no record; a correction supersedes the entry
//! it names. A fifth node never holds a member's name or phone. All nodes share one manual
//! clock, moved forward instead of waiting for the activity's hour to pass.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::{Value, json};
use tongxin_node::clock::Clock;
use tongxin_schema::OrgKind;
use tongxin_schema::v1::bodies::CheckinAttested;
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
use tongxin_tests::*;

/// A member with a sign-in at `home`; returns (member id, token).
async fn member(
    home: &RunningNode,
    name: &str,
    phone: &str,
    residence: &RunningNode,
) -> (String, String) {
    let m = home
        .ok_post(
            "/api/v1/members",
            json!({ "name": name, "phone": phone, "residence_org": residence.org_id,
                    "skills": ["culture-sports"] }),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    home.ok_post(
        &format!("/api/v1/members/{id}/password"),
        json!({ "password": "服务记录测试密码" }),
    )
    .await;
    (id, home.login(phone, "服务记录测试密码").await)
}

/// A phone's browser: cookies kept, redirects followed.
fn phone() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Opens the QR code's address on `browser`, signing in with the home `home` as `user`, and
/// returns the check-in page.
async fn open_qr(browser: &reqwest::Client, url: &str, home: &RunningNode, user: &str) -> String {
    // Not signed in at the host: sent to pick a home organisation.
    let r = browser.get(url).send().await.unwrap();
    assert!(r.url().path() == "/signin", "at {}", r.url());
    let next = r
        .url()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let host = format!(
        "http://{}",
        r.url().host_str().unwrap().to_owned() + ":" + &r.url().port().unwrap().to_string()
    );
    // Pick the home: sent there, to sign in first.
    let r = browser
        .post(format!("{host}/signin"))
        .form(&[("home", home.org_id.as_str()), ("next", next.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), "/login", "at {}", r.url());
    let back_to = r
        .url()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let r = browser
        .post(home.url("/login"))
        .form(&[
            ("username", user),
            ("password", "服务记录测试密码"),
            ("next", back_to.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), "/signin/for", "at {}", r.url());
    let (h, n) = {
        let q: std::collections::HashMap<String, String> =
            r.url().query_pairs().into_owned().collect();
        (q["host"].clone(), q["nonce"].clone())
    };
    // Confirm at home, sharing how they are addressed: back at the check-in page.
    let r = browser
        .post(home.url("/signin/for"))
        .form(&[
            ("host", h.as_str()),
            ("nonce", n.as_str()),
            ("share_name", "true"),
            ("answer", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.url().path().starts_with("/checkin/"), "at {}", r.url());
    r.text().await.unwrap()
}

/// Posts a check-in form on the host's page, as the phone would; returns the page it lands on.
async fn press(browser: &reqwest::Client, host: &RunningNode, path: &str, code: &str) -> String {
    browser
        .post(host.url(path))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn record(home: &RunningNode, token: &str) -> Value {
    as_member(home, token, "GET", "/api/v1/me/record", Value::Null)
        .await
        .1
}

async fn checkins_at(
    host: &RunningNode,
    activity: &str,
) -> Vec<tongxin_node::store::activities::CheckinRow> {
    let (h, a) = (host.org_id.to_string(), activity.to_owned());
    host.node
        .store
        .read(move |c| tongxin_node::store::activities::checkins_for(c, &h, &a))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_sign_up_at_home_check_in_at_the_host_and_are_credited_at_home() {
    let mut a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
        ("east", OrgKind::Community, "小山隆义里社区大党委", None),
        ("west", OrgKind::Community, "友谊南里社区大党委", None),
        ("street", OrgKind::Street, "学院南路街道党工委", None),
    ]);
    let clock = Clock::manual(now() * 1000);
    let co = a.start_with_clock("co", clock.clone()).await;
    let loue = a.start_with_clock("loue", clock.clone()).await;
    let east = a.start_with_clock("east", clock.clone()).await;
    let west = a.start_with_clock("west", clock.clone()).await;
    let street = a.start_with_clock("street", clock.clone()).await;
    a.publish_base_urls(&[&co, &loue, &east, &west, &street]);
    for n in [&co, &loue, &east, &west, &street] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let (zhang_id, zhang) = member(&co, "张建国", "13800000001", &east).await;
    let (_, zhao) = member(&loue, "赵晓燕", "13900000001", &east).await;
    let (_, qian) = member(&loue, "钱多多", "13900000002", &west).await;

    // The host publishes; every node has the activity, the members browse it at home.
    let t0 = clock.now_ms() / 1000;
    let act = east
        .ok_post(
            "/api/v1/activities",
            json!({ "category": "culture", "title": "《写小山》诗歌朗诵会", "place": "社区党群服务中心",
                    "starts_at": t0 + 300, "ends_at": t0 + 300 + 7200, "capacity": 2,
                    "skills": ["culture-sports"] }),
        )
        .await;
    let id = act["id"].as_str().unwrap().to_owned();
    for n in [&co, &loue, &west, &street] {
        eventually(15, "the activity everywhere", || async {
            items(&n.get("/api/v1/activities").await)
                .iter()
                .any(|x| x["id"] == id.as_str())
                .then_some(())
        })
        .await;
    }

    // Sign-ups at home: three for two places.
    let signup = json!({ "host": east.org_id, "activity_id": id });
    let (s, zhang_su) = as_member(&co, &zhang, "POST", "/api/v1/me/signups", signup.clone()).await;
    assert_eq!(s, 201, "{zhang_su}");
    let (s, again) = as_member(&co, &zhang, "POST", "/api/v1/me/signups", signup.clone()).await;
    assert_eq!(s, 409, "once per activity: {again}");
    let (s, zhao_su) = as_member(&loue, &zhao, "POST", "/api/v1/me/signups", signup.clone()).await;
    assert_eq!(s, 201, "{zhao_su}");
    let (s, qian_su) = as_member(&loue, &qian, "POST", "/api/v1/me/signups", signup).await;
    assert_eq!(s, 201, "{qian_su}");
    let at_east = eventually(15, "three sign-ups at the host", || async {
        let v = items(&east.get(&format!("/api/v1/activities/{id}/signups")).await);
        (v.len() == 3).then_some(v)
    })
    .await;
    // The host sees how they are addressed and their skills, not who they are.
    for su in &at_east {
        assert!(
            su["contact_name"].is_null() && su["contact_phone"].is_null(),
            "{su}"
        );
        assert!(su["member_id"].is_null());
    }
    assert!(at_east.iter().any(|s| s["display_name"] == "张同志"));

    // Two placed; the third does not fit; declined.
    let place = |su: &Value| {
        format!(
            "/api/v1/signups/{}/{}/placement",
            su["home_org"].as_str().unwrap(),
            su["id"].as_str().unwrap()
        )
    };
    let find = |name: &str| {
        at_east
            .iter()
            .find(|s| s["display_name"] == name)
            .unwrap()
            .clone()
    };
    east.ok_post(&place(&find("张同志")), json!({ "accepted": true }))
        .await;
    east.ok_post(&place(&find("赵同志")), json!({ "accepted": true }))
        .await;
    let (s, full) = east
        .post(&place(&find("钱同志")), json!({ "accepted": true }))
        .await;
    assert_eq!(s, 409, "no place left: {full}");
    east.ok_post(
        &place(&find("钱同志")),
        json!({ "accepted": false, "note": "名额已满，欢迎参加下次活动" }),
    )
    .await;

    // The members see it at home and confirm: only now does the host get name and phone.
    for (home, token, su) in [(&co, &zhang, &zhang_su), (&loue, &zhao, &zhao_su)] {
        let sid = su["id"].as_str().unwrap().to_owned();
        eventually(15, "placed, at home", || async {
            let (_, v) = as_member(home, token, "GET", "/api/v1/me/signups", Value::Null).await;
            items(&v)
                .iter()
                .any(|s| s["id"] == sid.as_str() && s["status"] == "placed")
                .then_some(())
        })
        .await;
        let (s, v) = as_member(
            home,
            token,
            "POST",
            &format!("/api/v1/me/signups/{sid}/confirm"),
            Value::Null,
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    eventually(
        15,
        "the contact of the confirmed members at the host",
        || async {
            let v = items(&east.get(&format!("/api/v1/activities/{id}/signups")).await);
            (v.iter().filter(|s| s["status"] == "confirmed").count() == 2
                && v.iter()
                    .any(|s| s["contact_name"] == "张建国" && s["contact_phone"] == "13800000001"))
            .then_some(())
        },
    )
    .await;
    let qian_sid = qian_su["id"].as_str().unwrap().to_owned();
    eventually(15, "declined, at home", || async {
        let (_, v) = as_member(&loue, &qian, "GET", "/api/v1/me/signups", Value::Null).await;
        items(&v)
            .iter()
            .any(|s| s["id"] == qian_sid.as_str() && s["status"] == "declined")
            .then_some(())
    })
    .await;

    // Ten minutes in: 张 scans the QR code with his phone and checks in, signing in with his home.
    clock.advance_ms(600_000);
    let code = east.get(&format!("/api/v1/activities/{id}/code")).await;
    let url = code["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&east.url(&format!("/checkin/{id}?code="))),
        "{url}"
    );
    let browser = phone();
    let page = open_qr(&browser, &url, &co, "13800000001").await;
    assert!(
        page.contains("《写小山》诗歌朗诵会") && page.contains("张同志"),
        "{page}"
    );
    let checkin_path = format!("/checkin/{id}");
    let code_now = code["code"].as_str().unwrap().to_owned();
    let page = press(&browser, &east, &checkin_path, &code_now).await;
    assert!(page.contains("data-state=\"in\""), "checked in: {page}");
    // Twice is refused, with its reason on the page.
    let page = press(&browser, &east, &checkin_path, &code_now).await;
    assert!(page.contains("already") || page.contains("已"), "{page}");
    assert_eq!(checkins_at(&east, &id).await.len(), 1);
    // 赵 has no phone with her: staff tick her in.
    let zhao_at_east = find("赵同志");
    east.ok_post(
        &format!("/api/v1/activities/{id}/attendance"),
        json!({ "home": loue.org_id, "signup_id": zhao_at_east["id"], "present": true }),
    )
    .await;
    // 钱 was not placed: ticking her in is refused.
    let (s, _) = east
        .post(
            &format!("/api/v1/activities/{id}/attendance"),
            json!({ "home": loue.org_id, "signup_id": find("钱同志")["id"], "present": true }),
        )
        .await;
    assert_eq!(s, 403);

    // An hour later 张 checks out; a photo of the code taken then no longer works for anyone.
    clock.advance_ms(3_600_000);
    let page = press(&browser, &east, &format!("{checkin_path}/out"), &code_now).await;
    assert!(page.contains("data-state=\"out\""), "checked out: {page}");

    // 赵 forgets to check out; past the end the host closes it, flagged, credited to the end only.
    clock.advance_ms(3 * 3_600_000);
    eventually(15, "the forgotten check-in closed", || async {
        checkins_at(&east, &id)
            .await
            .iter()
            .all(|c| c.checked_out_at.is_some())
            .then_some(())
    })
    .await;

    // Each home credits exactly what its host attested.
    let zhang_record = eventually(15, "张's hour at home", || async {
        let r = record(&co, &zhang).await;
        (r["entries"].as_array().map_or(0, Vec::len) == 1).then_some(r)
    })
    .await;
    assert_eq!(zhang_record["total_minutes"], 60, "{zhang_record}");
    let zhao_record = eventually(15, "赵's record at home", || async {
        let r = record(&loue, &zhao).await;
        (r["entries"].as_array().map_or(0, Vec::len) == 1).then_some(r)
    })
    .await;
    // In at +10 min, the activity started at +5 and ended at +125: 115 minutes, flagged.
    assert_eq!(zhao_record["total_minutes"], 115, "{zhao_record}");
    assert_eq!(zhao_record["entries"][0]["closed_by_host"], true);
    assert_eq!(record(&loue, &qian).await["total_minutes"], 0);
    for c in checkins_at(&east, &id).await {
        assert!(c.attestation.is_some(), "attested: {c:?}");
    }

    // Attestations the home must refuse, each recorded, none credited.
    let zhang_entry = &zhang_record["entries"][0];
    let mref: tongxin_schema::MemberRef = zhang_entry["mref"].as_str().unwrap().parse().unwrap();
    let old: uuid::Uuid = zhang_entry["id"].as_str().unwrap().parse().unwrap();
    let activity: uuid::Uuid = id.parse().unwrap();
    let (in_at, out_at) = (
        zhang_entry["checked_in_at"].as_i64().unwrap(),
        zhang_entry["checked_out_at"].as_i64().unwrap(),
    );
    let attest = |checkin_id,
                  member: tongxin_schema::MemberRef,
                  activity_id,
                  from: i64,
                  to: i64,
                  corrects| CheckinAttested {
        checkin_id,
        member,
        activity_id,
        category: ActivityCategory::Culture,
        checked_in_at: from,
        checked_out_at: to,
        minutes: u32::try_from((to - from) / 60).unwrap(),
        mode: Mode::Routine,
        corrects,
        closed_by_host: false,
    };
    // The same check-in again (a new message, not a redelivery).
    send_unchecked(
        &east,
        &co,
        attest(old, mref.clone(), Some(activity), in_at, out_at, None),
    )
    .await;
    // Overlapping time already credited.
    send_unchecked(
        &east,
        &co,
        attest(
            uuid::Uuid::now_v7(),
            mref.clone(),
            Some(activity),
            in_at + 600,
            out_at + 600,
            None,
        ),
    )
    .await;
    // For an activity that does not exist.
    send_unchecked(
        &east,
        &co,
        attest(
            uuid::Uuid::now_v7(),
            mref.clone(),
            Some(uuid::Uuid::now_v7()),
            out_at + 7200,
            out_at + 9000,
            None,
        ),
    )
    .await;
    // By a node that does not host the activity.
    send_unchecked(
        &west,
        &co,
        attest(
            uuid::Uuid::now_v7(),
            mref.clone(),
            Some(activity),
            out_at + 7200,
            out_at + 9000,
            None,
        ),
    )
    .await;
    // A member reference the home never issued.
    let stranger: tongxin_schema::MemberRef = format!("{}:AAAAAAAAAAAAAAAAAAAAAA", co.org_id)
        .parse()
        .unwrap();
    send_unchecked(
        &east,
        &co,
        attest(
            uuid::Uuid::now_v7(),
            stranger,
            Some(activity),
            out_at + 7200,
            out_at + 9000,
            None,
        ),
    )
    .await;
    eventually(15, "five refusals at the home", || async {
        let codes = rejected_codes(&co).await;
        [
            "duplicate_checkin",
            "overlapping_checkin",
            "unknown_activity",
            "unknown_member",
        ]
        .iter()
        .all(|c| codes.contains(&(*c).to_owned()))
        .then_some(())
        .filter(|_| codes.iter().filter(|c| *c == "unknown_activity").count() == 2)
    })
    .await;
    assert_eq!(
        record(&co, &zhang).await["total_minutes"],
        60,
        "nothing refused was credited"
    );

    // A correction: the host re-attests 50 minutes for that check-in; the old entry stays,
    // superseded, and the record credits the correction.
    let fixed = uuid::Uuid::now_v7();
    send_unchecked(
        &east,
        &co,
        attest(
            fixed,
            mref.clone(),
            Some(activity),
            in_at,
            in_at + 3000,
            Some(old),
        ),
    )
    .await;
    let corrected = eventually(15, "the correction credited", || async {
        let r = record(&co, &zhang).await;
        (r["total_minutes"] == 50).then_some(r)
    })
    .await;
    let entries = corrected["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "nothing is deleted: {corrected}");
    assert!(
        entries
            .iter()
            .any(|e| e["id"] == old.to_string() && e["superseded"] == true)
    );
    // A second correction naming the first check-in again replaces the one credited now.
    send_unchecked(
        &east,
        &co,
        attest(
            uuid::Uuid::now_v7(),
            mref.clone(),
            Some(activity),
            in_at,
            in_at + 2400,
            Some(old),
        ),
    )
    .await;
    let twice = eventually(15, "the second correction credited", || async {
        let r = record(&co, &zhang).await;
        (r["total_minutes"] == 40).then_some(r)
    })
    .await;
    let credited = twice["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["superseded"] == false)
        .count();
    assert_eq!(credited, 1, "one entry of the family is credited: {twice}");
    // A host may not close a forgotten check-out after the activity's end.
    let mut late = attest(
        uuid::Uuid::now_v7(),
        mref.clone(),
        Some(activity),
        out_at + 7200,
        out_at + 9000,
        None,
    );
    late.closed_by_host = true;
    send_unchecked(&east, &co, late).await;
    eventually(15, "the late closing refused", || async {
        rejected_codes(&co)
            .await
            .contains(&"after_the_end".to_owned())
            .then_some(())
    })
    .await;
    assert_eq!(record(&co, &zhang).await["total_minutes"], 40);

    // 张 prints his service certificate: the minutes credited, signed by his home, checkable
    // against the root alone (as `tongxin verify` does; node/tests/cli_pki.rs runs the CLI).
    let (s, cert) = as_member(&co, &zhang, "GET", "/api/v1/me/certificate", Value::Null).await;
    assert_eq!(s, 200, "{cert}");
    assert_eq!(cert["minutes"], 40, "{cert}");
    assert_eq!(cert["entries"], 1);
    assert_eq!(cert["name"], "张建国");
    assert_eq!(cert["hosts"], json!([[east.org_id.to_string(), 40]]));
    let root = tongxin_schema::pki::Root::from_pem(&std::fs::read(a.ca_path()).unwrap()).unwrap();
    let checked = tongxin_schema::Verifier::new(root)
        .verify_certificate(cert["jws"].as_str().unwrap(), clock.now_ms() / 1000)
        .unwrap();
    assert_eq!(checked.value().minutes, 40);
    assert_eq!(checked.value().iss, co.org_id);
    // A member sees only their own; staff print one for any member of theirs.
    let (s, _) = as_member(
        &co,
        &zhang,
        "GET",
        &format!("/api/v1/members/{}/certificate", zhang_id),
        Value::Null,
    )
    .await;
    assert_eq!(s, 403);
    let by_staff = co
        .get(&format!("/api/v1/members/{zhang_id}/certificate?year=1999"))
        .await;
    assert_eq!(by_staff["minutes"], 0, "nothing in 1999: {by_staff}");

    // Each home exports its members' credited service for its spreadsheets.
    let export = |home: &RunningNode| {
        let (http, url, token) = (
            home.http.clone(),
            home.url("/api/v1/record/export"),
            home.token.clone(),
        );
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let at_co = export(&co).await;
    let lines: Vec<&str> = at_co.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "a header and the one credited entry: {at_co}"
    );
    assert!(lines[0].starts_with("\u{FEFF}姓名,手机"), "{at_co}");
    assert!(
        lines[1].starts_with("张建国,13800000001,,小山隆义里社区大党委,文化活动,")
            && lines[1].ends_with(",40,否"),
        "{at_co}"
    );
    let at_loue = export(&loue).await;
    assert!(
        at_loue.contains("赵晓燕") && at_loue.contains(",115,是"),
        "{at_loue}"
    );
    assert!(
        !at_loue.contains("钱多多"),
        "nothing credited, nothing exported: {at_loue}"
    );

    // The bystander community and the street hold the activity, never a member's name or
    // phone; the host holds those of the two who confirmed (so the scan would see a leak).
    for n in [co, loue, east, west, street] {
        n.stop().await;
    }
    let secrets = [
        "张建国",
        "赵晓燕",
        "钱多多",
        "13800000001",
        "13900000001",
        "13900000002",
    ];
    for prefix in ["west", "street"] {
        let bytes = database_bytes(&a.org(prefix).dir);
        for secret in secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{prefix} holds {secret}"
            );
        }
    }
    let at_host = database_bytes(&a.org("east").dir);
    assert!(
        at_host
            .windows("张建国".len())
            .any(|w| w == "张建国".as_bytes())
    );
    assert!(
        !at_host
            .windows("钱多多".len())
            .any(|w| w == "钱多多".as_bytes()),
        "the member who was not placed never released her name"
    );
}

/// Every byte of a node's SQLite database (main file and write-ahead log), with the base64url
/// runs in it decoded too (messages are kept as JWS).
fn database_bytes(dir: &std::path::Path) -> Vec<u8> {
    use base64::Engine;
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("tongxin.db")
        {
            // The write-ahead log may be checkpointed away between listing and reading.
            match std::fs::read(&p) {
                Ok(b) => bytes.extend(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("{}: {e}", p.display()),
            }
        }
    }
    assert!(bytes.len() > 10_000, "no database in {}", dir.display());
    let decoded: Vec<u8> = bytes
        .split(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
        .filter(|s| s.len() >= 16)
        .filter_map(|s| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .ok()
        })
        .flatten()
        .collect();
    bytes.extend(decoded);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_sign_ups_from_three_homes_for_ten_places_place_exactly_ten() {
    let a = Alliance::new(&[
        ("co", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
        (
            "rider",
            OrgKind::NewEmployment,
            "户外工作者流动党员党支部",
            None,
        ),
        ("east", OrgKind::Community, "小山隆义里社区大党委", None),
    ]);
    let homes = [
        a.start("co", None).await,
        a.start("loue", None).await,
        a.start("rider", None).await,
    ];
    let east = a.start("east", None).await;
    for n in homes.iter().chain([&east]) {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let t = now();
    let act = east
        .ok_post(
            "/api/v1/activities",
            json!({ "category": "volunteer-service", "title": "红色帮帮团 义诊", "place": "社区卫生站",
                    "starts_at": t + 3600, "ends_at": t + 7200, "capacity": 10 }),
        )
        .await;
    let id = act["id"].as_str().unwrap().to_owned();
    let activity: uuid::Uuid = id.parse().unwrap();
    for (h, home) in homes.iter().enumerate() {
        eventually(15, "the activity at home", || async {
            items(&home.get("/api/v1/activities").await)
                .iter()
                .any(|x| x["id"] == id.as_str())
                .then_some(())
        })
        .await;
        for i in 0..10 {
            let m = home
                .ok_post(
                    "/api/v1/members",
                    json!({ "name": format!("队员{h}{i}"), "phone": format!("1370000{h}{i:03}") }),
                )
                .await;
            let mid: uuid::Uuid = m["id"].as_str().unwrap().parse().unwrap();
            let host = east.org_id.clone();
            home.node
                .act(move |c, a| {
                    tongxin_node::domain::signups::request(
                        c,
                        a,
                        mid,
                        serde_json::from_value(json!({ "host": host, "activity_id": activity }))
                            .unwrap(),
                    )
                })
                .await
                .unwrap();
        }
    }
    let signups = eventually(20, "thirty sign-ups at the host", || async {
        let v = items(&east.get(&format!("/api/v1/activities/{id}/signups")).await);
        (v.len() == 30).then_some(v)
    })
    .await;
    // Every one placed at once, from many requests in flight.
    let mut handles = Vec::new();
    for su in &signups {
        let path = format!(
            "/api/v1/signups/{}/{}/placement",
            su["home_org"].as_str().unwrap(),
            su["id"].as_str().unwrap()
        );
        let (http, url, token) = (east.http.clone(), east.url(&path), east.token.clone());
        handles.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({ "accepted": true }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap());
    }
    assert_eq!(
        results.iter().filter(|s| **s == 200).count(),
        10,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|s| **s == 409).count(),
        20,
        "{results:?}"
    );
    let placed = items(&east.get(&format!("/api/v1/activities/{id}/signups")).await)
        .iter()
        .filter(|s| s["status"] == "placed")
        .count();
    assert_eq!(placed, 10);

    // The host cancels the activity: every sign-up ends, at the host and at each home, and a
    // placed member can no longer confirm (their contact is not released).
    east.ok_post(
        &format!("/api/v1/activities/{id}/cancel"),
        json!({ "reason": "天气原因取消" }),
    )
    .await;
    assert!(
        items(&east.get(&format!("/api/v1/activities/{id}/signups")).await)
            .iter()
            .all(|s| s["status"] == "cancelled")
    );
    let mut placed_at_home = Vec::new();
    for home in &homes {
        let (host, act) = (east.org_id.to_string(), id.clone());
        let rows = eventually(15, "the sign-ups ended at home", || async {
            let (host, act) = (host.clone(), act.clone());
            let rows = home
                .node
                .store
                .read(move |c| tongxin_node::store::activities::signups_for(c, &host, &act))
                .await
                .unwrap();
            (rows.len() == 10 && rows.iter().all(|r| !r.status.standing())).then_some(rows)
        })
        .await;
        placed_at_home.extend(rows.into_iter().map(|r| (home, r.id)));
    }
    let (home, sid) = placed_at_home.remove(0);
    let sid: uuid::Uuid = sid.parse().unwrap();
    let refused = home
        .node
        .act(move |c, a| tongxin_node::domain::signups::confirm(c, a, sid))
        .await;
    assert!(refused.is_err(), "no confirmation after the cancellation");
    for n in homes {
        n.stop().await;
    }
    east.stop().await;
}

/// 09:00 Beijing time on the next Saturday after `now_s`, as Unix seconds.
fn next_saturday_morning(now_s: i64) -> i64 {
    let day = (now_s + 8 * 3600).div_euclid(86_400);
    // 1970-01-01 was a Thursday: Monday is 0, Saturday 5.
    let weekday = (day + 3).rem_euclid(7);
    let ahead = match (5 - weekday).rem_euclid(7) {
        0 => 7,
        d => d,
    };
    (day + ahead) * 86_400 + 9 * 3600 - 8 * 3600
}

fn reasons(m: &Value) -> Vec<String> {
    m["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_owned())
        .collect()
}

/// 精准匹配: a co-building unit ranks its own members for a community's activity, with the
/// reasons for each score (skills, where they live, free that morning, hours served), and
/// proposes the best one by signing them up; the community ranks the sign-ups it received on
/// what the member shared in their 双报到 report; a need's owner ranks the alliance's offers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn homes_rank_their_own_members_with_reasons_and_hosts_rank_what_they_received() {
    let a = Alliance::new(&[
        ("unit", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
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
    ]);
    let unit = a.start("unit", None).await;
    let east = a.start("east", None).await;
    let west = a.start("west", None).await;
    let street = a.start("street", None).await;
    for n in [&unit, &east, &west, &street] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let add = |name: &str,
               phone: &str,
               home: &RunningNode,
               grid: &str,
               skills: Value,
               free: Value| {
        let body = json!({ "name": name, "phone": phone, "residence_org": home.org_id, "grid": grid,
                           "skills": skills, "availability": free });
        let unit = &unit;
        async move {
            unit.ok_post("/api/v1/members", body).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let wang = add(
        "王医生",
        "13700000001",
        &east,
        "3",
        json!(["medical-aid", "legal"]),
        json!(["sat-am"]),
    )
    .await;
    let li = add(
        "李律师",
        "13700000002",
        &west,
        "3",
        json!(["legal"]),
        json!([]),
    )
    .await;
    let liu = add(
        "刘师傅",
        "13700000003",
        &east,
        "1",
        json!([]),
        json!(["sun-pm"]),
    )
    .await;

    let starts = next_saturday_morning(now());
    let act = east
        .ok_post(
            "/api/v1/activities",
            json!({ "category": "volunteer-service", "title": "义诊和法律咨询", "place": "社区卫生站",
                    "grid": "3", "starts_at": starts, "ends_at": starts + 7200, "capacity": 5,
                    "skills": ["medical-aid", "legal"],
                    "posts": [{ "title": "法律咨询台", "skills": ["legal"] }] }),
        )
        .await;
    let id = act["id"].as_str().unwrap().to_owned();
    let matches = format!("/api/v1/activities/{}/{id}/matches", east.org_id);
    let ranked = eventually(15, "the activity at the unit", || async {
        let r = unit
            .http
            .get(unit.url(&matches))
            .bearer_auth(&unit.token)
            .send()
            .await
            .unwrap();
        (r.status() == 200).then_some(())?;
        r.json::<Value>().await.ok()
    })
    .await;
    assert_eq!(ranked["ranked"], "members");
    let order: Vec<String> = items(&ranked)
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, [wang.clone(), li.clone(), liu.clone()], "{ranked}");
    let best = &items(&ranked)[0];
    assert_eq!(best["label"], "王医生");
    assert_eq!(best["score"], 100, "{best}");
    assert_eq!(
        reasons(best),
        ["skills", "same-grid", "free", "recent-minutes"],
        "{best}"
    );
    assert_eq!(best["reasons"][0]["matched"], 2);
    // 李 lives in another community of the same street; 刘 in the same community, another grid.
    assert!(reasons(&items(&ranked)[1]).contains(&"same-street".to_owned()));
    assert!(reasons(&items(&ranked)[2]).contains(&"same-community".to_owned()));
    // Ranked for a post (岗位), on the post's own skills: 李律师 has all it wants.
    let post = act["posts"][0]["post_id"].as_str().unwrap();
    let for_post = unit.get(&format!("{matches}?post_id={post}")).await;
    let li_there = items(&for_post)
        .into_iter()
        .find(|m| m["id"] == li.as_str())
        .unwrap();
    assert_eq!(
        (
            &li_there["reasons"][0]["matched"],
            &li_there["reasons"][0]["wanted"]
        ),
        (&json!(1), &json!(1)),
        "{for_post}"
    );
    let li_whole = items(&ranked)
        .into_iter()
        .find(|m| m["id"] == li.as_str())
        .unwrap();
    assert_eq!(li_whole["reasons"][0]["wanted"], 2, "{ranked}");
    let r = unit
        .http
        .get(unit.url(&format!("{matches}?post_id={}", uuid::Uuid::now_v7())))
        .bearer_auth(&unit.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a post the activity does not have");
    // Members rank nobody, and the host's ranking of our members is not theirs to see.
    let r = unit.http.get(unit.url(&matches)).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // 王 reports to the community (sharing grid and free times), which accepts; the unit
    // proposes him for the activity: a sign-up on his behalf.
    let report = unit
        .ok_post(&format!("/api/v1/members/{wang}/reports"), json!({}))
        .await;
    let decision = format!(
        "/api/v1/reports/{}/{}/decision",
        unit.org_id,
        report["id"].as_str().unwrap()
    );
    eventually(15, "the report at the community", || async {
        let (s, _) = east.post(&decision, json!({ "accepted": true })).await;
        (s == 200).then_some(())
    })
    .await;
    let (s, su) = unit
        .post(
            &format!("/api/v1/members/{wang}/signups"),
            json!({ "host": east.org_id, "activity_id": id }),
        )
        .await;
    assert_eq!(s, 201, "{su}");
    let again = unit.get(&matches).await;
    assert!(
        items(&again).iter().all(|m| m["id"] != wang.as_str()),
        "signed up, no longer proposed: {again}"
    );
    // The host ranks the sign-up on what 王 shared: skills, his grid, his free morning.
    let at_host = eventually(15, "the sign-up ranked at the host", || async {
        let v = east.get(&matches).await;
        (items(&v).len() == 1).then_some(v)
    })
    .await;
    assert_eq!(at_host["ranked"], "signups");
    let m = &items(&at_host)[0];
    assert_eq!(m["id"], su["id"]);
    assert_eq!(m["org"], unit.org_id.to_string());
    assert_eq!(
        reasons(m),
        ["skills", "same-grid", "free", "recent-minutes"],
        "{at_host}"
    );
    // The host's page shows them too, in Chinese.
    let page = east.page(&format!("/activities/{id}")).await;
    assert!(
        page.contains("技能相符 2/2 +40") && page.contains("同一网格 +30"),
        "{page}"
    );

    // A need's owner ranks the alliance's offers: the category and skill asked for first.
    let need = east
        .ok_post(
            "/api/v1/needs",
            json!({ "title": "老旧小区法律咨询", "level": "community", "wanted": "volunteer-skill",
                    "skills": ["legal"] }),
        )
        .await;
    let lawyers = unit
        .ok_post(
            "/api/v1/offers",
            json!({ "title": "律师志愿服务", "description": "每月两次", "category": "volunteer-skill",
                    "capacity": 4, "skills": ["legal"] }),
        )
        .await;
    street
        .ok_post("/api/v1/offers", offer_input("街道会议室"))
        .await;
    let need_matches = format!(
        "/api/v1/needs/{}/{}/matches",
        east.org_id,
        need["id"].as_str().unwrap()
    );
    let offers = eventually(15, "both offers at the community", || async {
        let v = east.get(&need_matches).await;
        (items(&v).len() == 2).then_some(v)
    })
    .await;
    let first = &items(&offers)[0];
    assert_eq!(first["id"], lawyers["id"], "{offers}");
    assert_eq!(reasons(first), ["skills", "category"], "{offers}");
    assert_eq!(
        reasons(&items(&offers)[1]),
        ["same-street", "skills"],
        "{offers}"
    );
    for n in [unit, east, west, street] {
        n.stop().await;
    }
}

/// Service posts (岗位) with AB角: a community publishes an activity with a station duty post;
/// members of a unit sign up for its A and B roles at home; the host gives each role to one
/// member only, whatever the order, and the home learns the role given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_of_a_post_has_one_holder_and_the_home_learns_which() {
    let a = Alliance::new(&[
        ("unit", OrgKind::CoBuildingUnit, "市供电公司机关党委", None),
        ("east", OrgKind::Community, "小山隆义里社区大党委", None),
    ]);
    let unit = a.start("unit", None).await;
    let east = a.start("east", None).await;
    for n in [&unit, &east] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let (_, wang) = member(&unit, "王建军", "13700000011", &east).await;
    let (_, li) = member(&unit, "李红", "13700000012", &east).await;
    let (_, zhou) = member(&unit, "周强", "13700000013", &east).await;
    let t = now();
    let act = east
        .ok_post(
            "/api/v1/activities",
            json!({ "category": "volunteer-service", "title": "党群服务驿站值守", "place": "驿站",
                    "starts_at": t + 3600, "ends_at": t + 3600 + 4 * 3600, "capacity": 10,
                    "posts": [{ "title": "驿站值守" }, { "title": "便民咨询", "skills": ["legal"] }] }),
        )
        .await;
    let id = act["id"].as_str().unwrap().to_owned();
    assert_eq!(act["posts"].as_array().unwrap().len(), 2, "{act}");
    let post = act["posts"][0]["post_id"].as_str().unwrap().to_owned();
    eventually(15, "the activity and its posts at the unit", || async {
        let v = unit.get("/api/v1/activities").await;
        items(&v)
            .iter()
            .any(|x| x["id"] == id.as_str() && x["posts"][0]["post_id"] == post.as_str())
            .then_some(())
    })
    .await;

    // A post the activity does not have is refused at home.
    let (s, v) = as_member(
        &unit,
        &wang,
        "POST",
        "/api/v1/me/signups",
        json!({ "host": east.org_id, "activity_id": id, "post_id": uuid::Uuid::now_v7(), "role": "A" }),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let ask = |role: &str| json!({ "host": east.org_id, "activity_id": id, "post_id": post, "role": role });
    for (token, role) in [(&wang, "A"), (&li, "A"), (&zhou, "B")] {
        let (s, v) = as_member(&unit, token, "POST", "/api/v1/me/signups", ask(role)).await;
        assert_eq!(s, 201, "{v}");
    }
    let at_east = eventually(15, "three sign-ups for the post", || async {
        let v = items(&east.get(&format!("/api/v1/activities/{id}/signups")).await);
        (v.len() == 3).then_some(v)
    })
    .await;
    let by = |name: &str| {
        at_east
            .iter()
            .find(|s| s["display_name"] == name)
            .unwrap()
            .clone()
    };
    let place = |s: &Value| {
        format!(
            "/api/v1/signups/{}/{}/placement",
            s["home_org"].as_str().unwrap(),
            s["id"].as_str().unwrap()
        )
    };
    // 李 asked for A too: once 王 holds it, placing 李 is refused; 周 gets B.
    east.ok_post(&place(&by("王同志")), json!({ "accepted": true }))
        .await;
    let (s, v) = east
        .post(&place(&by("李同志")), json!({ "accepted": true }))
        .await;
    assert_eq!(s, 409, "A is held: {v}");
    east.ok_post(&place(&by("周同志")), json!({ "accepted": true }))
        .await;
    let placed = items(&east.get(&format!("/api/v1/activities/{id}/signups")).await);
    let role =
        |name: &str| placed.iter().find(|s| s["display_name"] == name).unwrap()["role"].clone();
    assert_eq!(role("王同志"), "A");
    assert_eq!(role("周同志"), "B");
    // The home learns the role given.
    eventually(15, "the role at home", || async {
        let (_, v) = as_member(&unit, &zhou, "GET", "/api/v1/me/signups", Value::Null).await;
        items(&v)
            .iter()
            .any(|s| s["status"] == "placed" && s["role"] == "B" && s["post_id"] == post.as_str())
            .then_some(())
    })
    .await;
    // The host's page names the post and the role.
    let page = east.page(&format!("/activities/{id}")).await;
    assert!(
        page.contains("驿站值守 · A角（主）") && page.contains("驿站值守 · B角（备）"),
        "{page}"
    );
    for n in [unit, east] {
        n.stop().await;
    }
}
