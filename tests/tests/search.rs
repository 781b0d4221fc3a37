//! The offers' text search finds, through its index, exactly what a substring match finds —
//! Chinese of one, two and more characters, Latin in any case, punctuation — on SQLite and on
//! PostgreSQL; an edited title is found by its new words only; listings written before the
//! index are indexed when the node starts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use diesel::connection::SimpleConnection;
use tongxin_node::domain::status::OfferStatus;
use tongxin_node::store::offers::{self, OfferRow};
use tongxin_node::store::{AnyConnection, DbTarget, ListFilter, run_migrations};
use tongxin_tests::*;

const TEXTS: [(&str, &str); 8] = [
    ("法律咨询", "为楼宇白领提供法律咨询，每周三下午"),
    ("理发服务", "社区老人上门理发 for elders"),
    ("会议室", "可容纳 30 人，需提前一天预约"),
    ("Lawyer on call", "Legal advice in English and 中文"),
    ("助老陪诊", "陪同就医、取药"),
    ("满意度 100%", "服务后回访_每月一次"),
    ("法", "一个字的标题"),
    ("心理疏导", "法律之外，也需倾听"),
];

const QUERIES: [&str; 18] = [
    "法律",
    "法",
    "律咨询",
    "理发",
    "LAW",
    "law",
    "legal advice",
    "中文",
    "100%",
    "%",
    "_",
    "回访_每",
    "会议",
    "30 人",
    "食堂",
    "e",
    "陪诊",
    "，",
];

fn offer(i: usize, title: &str, description: &str) -> OfferRow {
    OfferRow {
        org_id: "louyijia-alliance".into(),
        id: format!("o-{i}"),
        org_kind: "building-alliance".into(),
        title: title.into(),
        description: description.into(),
        category: "volunteer-skill".into(),
        capacity: 1,
        unit: None,
        skills: "[]".into(),
        station: None,
        grids: "[]".into(),
        available_until: None,
        status: OfferStatus::Open,
        status_note: None,
        published_ms: 1_700_000_000_000 + i as i64,
        updated_ms: 1_700_000_000_000 + i as i64,
    }
}

fn found(conn: &mut AnyConnection, q: &str) -> Vec<String> {
    let f = ListFilter {
        text: Some(q.into()),
        limit: 100,
        ..Default::default()
    };
    let (total, rows) = offers::list(conn, &f, None).unwrap();
    assert_eq!(total as usize, rows.len(), "{q}: total and rows differ");
    let mut titles: Vec<String> = rows.into_iter().map(|r| r.title).collect();
    titles.sort();
    titles
}

/// What a plain substring match on the lower-cased title or description finds.
fn substring(texts: &[(String, String)], q: &str) -> Vec<String> {
    let q = q.to_lowercase();
    let mut titles: Vec<String> = texts
        .iter()
        .filter(|(t, d)| t.to_lowercase().contains(&q) || d.to_lowercase().contains(&q))
        .map(|(t, _)| t.clone())
        .collect();
    titles.sort();
    titles
}

fn check(url: String) {
    let mut conn = DbTarget {
        url,
        sqlite_synchronous_full: false,
    }
    .connect()
    .unwrap();
    run_migrations(&mut conn).unwrap();
    let mut texts: Vec<(String, String)> = Vec::new();
    for (i, (t, d)) in TEXTS.iter().enumerate() {
        offers::upsert(&mut conn, &offer(i, t, d)).unwrap();
        texts.push(((*t).into(), (*d).into()));
    }
    for q in QUERIES {
        assert_eq!(found(&mut conn, q), substring(&texts, q), "q={q}");
    }
    assert_eq!(found(&mut conn, "法律").len(), 2);

    // An edited offer is found by its new text, no longer by its old.
    offers::upsert(&mut conn, &offer(2, "社区食堂", "午餐 12 元")).unwrap();
    texts[2] = ("社区食堂".into(), "午餐 12 元".into());
    assert_eq!(found(&mut conn, "食堂"), ["社区食堂"]);
    assert!(found(&mut conn, "会议").is_empty());

    // Listings the index does not hold (written before it existed) are not found by a search
    // that has grams: the index decides. The node's start indexes them.
    let forget = match conn {
        AnyConnection::Sqlite(_) => "DELETE FROM search_grams; DELETE FROM search_keys;",
        AnyConnection::Postgresql(_) => "DELETE FROM search_grams;",
    };
    conn.batch_execute(forget).unwrap();
    assert!(found(&mut conn, "法律").is_empty());
    assert_eq!(
        found(&mut conn, "%"),
        substring(&texts, "%"),
        "no gram: LIKE alone"
    );
    run_migrations(&mut conn).unwrap();
    for q in QUERIES {
        assert_eq!(
            found(&mut conn, q),
            substring(&texts, q),
            "after re-indexing, q={q}"
        );
    }
}

#[test]
fn text_search_finds_what_a_substring_match_finds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(format!("sqlite://{}", dir.path().join("s.db").display()));
}

#[test]
fn text_search_finds_what_a_substring_match_finds_on_postgres() {
    let mut a = street_and_community();
    check(a.postgres_db());
}
