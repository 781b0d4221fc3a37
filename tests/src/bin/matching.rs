//! `cargo run --release -p tongxin-tests --bin matching -- [--members N] [--offers M] [--runs R]`
//!
//! 精准匹配 at district scale (BENCHMARKS.md, section 6): a home with N members (default
//! 100,000) ranks them for an activity, and a need's owner ranks M offers (default 50,000).
//!
//! Three figures for each, medians and maxima over R runs (default 20):
//! - **ranking**: `domain::matching::rank` over candidates already in memory;
//! - **the ceiling**: one pass over the same candidates that only reads their skills (what any
//!   ranking must at least do), so the ranking's own cost shows as a ratio;
//! - **the page's query**: `members_for_activity` / `offers_for_need` against a SQLite database
//!   holding the members and offers: loading the rows and building the candidates included,
//!   as the staff page and the API run it; next to what SQLite alone takes to hand over the
//!   columns it reads (its own ceiling).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::hint::black_box;
use std::time::Instant;

use rand::Rng;
use rand::seq::IndexedRandom;
use tongxin_node::domain::Actor;
use tongxin_node::domain::matching::{
    self, Candidate, Place, Skills, Slots, Wanted, members_for_activity, offers_for_need,
};
use tongxin_node::domain::status::{ActivityStatus, NeedStatus, OfferStatus};
use tongxin_node::store::activities::{ActivityRow, upsert_activity};
use tongxin_node::store::members::{self, MemberRow};
use tongxin_node::store::needs::{self, NeedRow};
use tongxin_node::store::offers::{self, OfferRow};
use tongxin_node::store::{DbTarget, Store};
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::taxonomy::{OfferCategory, Skill, WeeklySlot};
use tongxin_schema::vectors::TestAlliance;
use tongxin_tests::now;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn pick<T: Copy>(rng: &mut impl Rng, all: &[T], most: usize) -> Vec<T> {
    let n = rng.random_range(0..=most);
    all.choose_multiple(rng, n).copied().collect()
}

fn wire<T: Into<&'static str> + Copy>(items: &[T]) -> String {
    let names: Vec<&'static str> = items.iter().map(|x| (*x).into()).collect();
    serde_json::to_string(&names).unwrap()
}

/// Median and maximum, in milliseconds.
fn timed(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() - 1])
}

fn row(what: &str, (median, max): (f64, f64), ceiling: f64) {
    println!(
        "| {what} | {median:.2} | {max:.2} | {:.1}× |",
        median / ceiling
    );
}

fn main() {
    let (n_members, n_offers, runs) = (
        arg("--members", 100_000),
        arg("--offers", 50_000),
        arg("--runs", 20),
    );
    let mut rng = rand::rng();
    let t = TestAlliance::new(now()).unwrap();
    let roster = Roster::verify(&t.root, &t.roster_jws).unwrap();
    let home = t.node("loue-jia");
    let community = t.node("youyi-nanli").org_id.to_string();
    let street = t.node("xueyuan-nanlu").org_id.to_string();
    let skills = <Skill as strum::VariantArray>::VARIANTS;
    let slots = <WeeklySlot as strum::VariantArray>::VARIANTS;
    let categories = <OfferCategory as strum::VariantArray>::VARIANTS;
    // Members live in the roster's community or in 49 others the roster does not list.
    let homes: Vec<String> = std::iter::once(community.clone())
        .chain((1..50).map(|i| format!("community-{i:02}")))
        .collect();
    let grid = |rng: &mut rand::rngs::ThreadRng| format!("{}", rng.random_range(1..=30));

    let members: Vec<MemberRow> = (0..n_members)
        .map(|i| MemberRow {
            id: uuid::Uuid::now_v7().to_string(),
            name: format!("成员{i}"),
            display_name: None,
            phone: format!("139{i:08}"),
            department: None,
            residence_org: Some(homes[rng.random_range(0..homes.len())].clone()),
            grid: Some(grid(&mut rng)),
            skills: wire(&pick(&mut rng, skills, 3)),
            availability: wire(&pick(&mut rng, slots, 6)),
            emergency_ready: false,
            username: None,
            created_ms: 0,
            updated_ms: 0,
            work_org: None,
            work_grid: None,
        })
        .collect();
    let owners = [community.as_str(), street.as_str(), home.org_id.as_str()];
    let offer_rows: Vec<OfferRow> = (0..n_offers)
        .map(|i| OfferRow {
            org_id: owners[i % owners.len()].to_owned(),
            id: uuid::Uuid::now_v7().to_string(),
            org_kind: "community".into(),
            title: format!("资源{i}"),
            description: String::new(),
            category: <&str>::from(categories[rng.random_range(0..categories.len())]).into(),
            capacity: 1,
            unit: None,
            skills: wire(&pick(&mut rng, skills, 3)),
            station: None,
            grids: serde_json::to_string(&[grid(&mut rng)]).unwrap(),
            available_until: None,
            status: OfferStatus::Open,
            status_note: None,
            published_ms: 0,
            updated_ms: 0,
        })
        .collect();

    // ---- ranking in memory, against one pass ------------------------------------------------
    let wanted = Wanted {
        category: None,
        skills: Skills::of(&[Skill::MedicalAid, Skill::Legal]),
        place: Place {
            street: Some(&street),
            community: Some(&community),
            grid: Some("7"),
        },
        slots: Slots::of(&[WeeklySlot::SatAm]),
    };
    let member_candidates: Vec<Candidate> = members
        .iter()
        .map(|m| Candidate {
            category: None,
            skills: Skills::of_json(&m.skills),
            place: Place {
                street: None,
                community: m.residence_org.as_deref(),
                grid: m.grid.as_deref(),
            },
            free: Slots::of_json(&m.availability),
            recent_minutes: Some(rng.random_range(0..3000)),
        })
        .collect();
    let need_wanted = Wanted {
        category: Some("volunteer-skill"),
        ..wanted
    };
    let offer_candidates: Vec<Candidate> = offer_rows
        .iter()
        .map(|o| Candidate {
            category: Some(&o.category),
            skills: Skills::of_json(&o.skills),
            place: Place {
                street: Some(&street),
                community: Some(&o.org_id),
                grid: None,
            },
            free: Slots::default(),
            recent_minutes: None,
        })
        .collect();
    let one_pass = |cs: &[Candidate]| {
        timed(runs, || {
            let seen: u32 = cs
                .iter()
                .map(|c| black_box(c.skills) == wanted.skills)
                .map(u32::from)
                .sum();
            black_box(seen);
        })
    };
    let pass_members = one_pass(&member_candidates);
    let pass_offers = one_pass(&offer_candidates);
    let rank_members = timed(runs, || {
        black_box(matching::rank(&wanted, &member_candidates, matching::LIMIT));
    });
    let rank_offers = timed(runs, || {
        black_box(matching::rank(
            &need_wanted,
            &offer_candidates,
            matching::LIMIT,
        ));
    });

    // ---- the page's query on SQLite ---------------------------------------------------------
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        DbTarget {
            url: format!("sqlite://{}", dir.path().join("node.db").display()),
            sqlite_synchronous_full: false,
        },
        1,
    )
    .unwrap();
    let loading = Instant::now();
    let activity_id = uuid::Uuid::now_v7();
    let need_id = uuid::Uuid::now_v7();
    let now_s = now();
    store
        .write_blocking(|c| {
            for chunk in members.chunks(1000) {
                members::insert(c, chunk)?;
            }
            for o in &offer_rows {
                offers::upsert(c, o)?;
            }
            upsert_activity(
                c,
                &ActivityRow {
                    host_org: community.clone(),
                    id: activity_id.to_string(),
                    category: "volunteer-service".into(),
                    title: "义诊".into(),
                    description: String::new(),
                    place: "社区卫生站".into(),
                    grid: Some("7".into()),
                    starts_at: now_s + 86_400,
                    ends_at: now_s + 86_400 + 7200,
                    capacity: 20,
                    skills: wire(&[Skill::MedicalAid, Skill::Legal]),
                    mode: "routine".into(),
                    status: ActivityStatus::Open,
                    note: None,
                    qr_secret: None,
                    published_ms: 0,
                    updated_ms: 0,
                    posts: "[]".into(),
                },
            )?;
            needs::upsert(
                c,
                &NeedRow {
                    org_id: community.clone(),
                    id: need_id.to_string(),
                    org_kind: "community".into(),
                    title: "老旧小区适老化改造咨询".into(),
                    description: String::new(),
                    level: "community".into(),
                    grid: Some("7".into()),
                    micro_wish: None,
                    wanted: Some("volunteer-skill".into()),
                    skills: wire(&[Skill::Legal]),
                    quantity: 1,
                    due: None,
                    responsible_org: community.clone(),
                    status: NeedStatus::Open,
                    status_note: None,
                    published_ms: 0,
                    updated_ms: 0,
                    household_id: None,
                    external_ref: None,
                    addressee: None,
                },
            )?;
            Ok(())
        })
        .unwrap();
    let loaded_s = loading.elapsed().as_secs_f64();
    let host: tongxin_schema::OrgId = community.parse().unwrap();
    let query = |f: &mut dyn FnMut(&mut tongxin_node::store::AnyConnection, &Actor)| {
        timed(runs, || {
            store
                .write_blocking(|c| {
                    let actor = Actor {
                        signer: &home.signer,
                        roster: &roster,
                        now_ms: now_s * 1000,
                        deadlines: Default::default(),
                    };
                    f(c, &actor);
                    Ok(())
                })
                .unwrap();
        })
    };
    // What SQLite alone takes to hand over the columns matching reads.
    let load_members = query(&mut |c, _| {
        black_box(members::for_matching(c).unwrap());
    });
    let load_offers = query(&mut |c, _| {
        black_box(offers::open_for_matching(c).unwrap());
    });
    let page_members = query(&mut |c, a| {
        let (_, found) = members_for_activity(c, a, &host, activity_id, None).unwrap();
        assert_eq!(found.len(), matching::LIMIT);
        black_box(found);
    });
    let page_offers = query(&mut |c, a| {
        let (_, found) = offers_for_need(c, a, &host, need_id).unwrap();
        assert_eq!(found.len(), matching::LIMIT);
        black_box(found);
    });

    println!(
        "matching: {n_members} members, {n_offers} offers, {runs} runs each; SQLite loaded in {loaded_s:.1} s"
    );
    println!("| | median ms | max ms | × one pass |");
    println!("|---|---|---|---|");
    row(
        "one pass over the members (ceiling)",
        pass_members,
        pass_members.0,
    );
    row("rank the members (in memory)", rank_members, pass_members.0);
    row(
        "SQLite alone: reading those columns of every member",
        load_members,
        pass_members.0,
    );
    row(
        "the page's query: members for an activity (SQLite)",
        page_members,
        pass_members.0,
    );
    row(
        "one pass over the offers (ceiling)",
        pass_offers,
        pass_offers.0,
    );
    row("rank the offers (in memory)", rank_offers, pass_offers.0);
    row(
        "SQLite alone: reading those columns of every open offer",
        load_offers,
        pass_offers.0,
    );
    row(
        "the page's query: offers for a need (SQLite)",
        page_offers,
        pass_offers.0,
    );
    println!(
        "{}",
        serde_json::json!({
            "members": n_members, "offers": n_offers, "runs": runs,
            "rank_members_ms": rank_members.0, "rank_offers_ms": rank_offers.0,
            "page_members_ms": page_members.0, "page_offers_ms": page_offers.0,
            "pass_members_ms": pass_members.0, "pass_offers_ms": pass_offers.0,
            "load_members_ms": load_members.0, "load_offers_ms": load_offers.0,
        })
    );
}
