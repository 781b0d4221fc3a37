//! The text index behind the offers' and needs' `q=` search.
//!
//! Chinese has no spaces, and most searches are two characters (法律, 理发): shorter than the
//! trigrams that SQLite's FTS5 trigram tokenizer and PostgreSQL's `pg_trgm` index, which cannot
//! narrow such a query at all. So the index holds each listing's distinct characters and pairs
//! of adjacent characters ("grams", within runs of letters and digits, lower-cased); a search
//! keeps the listings holding every gram of the query, and the list's `LIKE` then checks the
//! exact substring on those few. The index only ever narrows: what a search finds is what the
//! `LIKE` alone found before, on an index instead of a scan.
//!
//! Grams are stored hex-encoded, so that neither FTS5's tokenizer nor anything else reads
//! meaning into them. SQLite: an FTS5 table `search_grams`, its rows keyed by `search_keys`.
//! PostgreSQL: a GIN-indexed `text[]` per listing.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use diesel::expression::{SqlLiteral, UncheckedBind};
use diesel::helper_types::AsExprOf;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::{AnyConnection, StoreResult};

/// What is indexed: the listings with a text search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Offers,
    Needs,
}

impl Listing {
    fn table(self) -> &'static str {
        match self {
            Listing::Offers => "offers",
            Listing::Needs => "needs",
        }
    }
}

/// Runs of letters and digits, lower-cased: what grams are made of.
fn runs(text: &str) -> Vec<Vec<char>> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().collect())
        .collect()
}

fn hex(chars: &[char]) -> String {
    let mut s = String::new();
    for c in chars {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            let _ = write!(s, "{b:02x}");
        }
    }
    s
}

/// A listing's grams: every character and every pair of adjacent characters of its text.
pub fn grams(texts: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for text in texts {
        for run in runs(text) {
            out.extend(run.iter().map(|c| hex(std::slice::from_ref(c))));
            out.extend(run.windows(2).map(hex));
        }
    }
    out
}

/// The grams a listing must hold to contain `query`: each run's pairs, or its character when
/// it has only one. Empty when the query has no letter or digit (the `LIKE` alone decides).
pub fn query_grams(query: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for run in runs(query) {
        if run.len() == 1 {
            out.insert(hex(&run));
        } else {
            out.extend(run.windows(2).map(hex));
        }
    }
    out
}

/// Writes (or rewrites) one listing's grams; called with every write of its title or text.
pub fn index(
    conn: &mut AnyConnection,
    listing: Listing,
    org: &str,
    id: &str,
    texts: &[&str],
) -> StoreResult<()> {
    let grams = grams(texts).into_iter().collect::<Vec<_>>().join(" ");
    let table = listing.table();
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query(
                "INSERT INTO search_keys (listing, org_id, id) VALUES (?, ?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind::<Text, _>(table)
            .bind::<Text, _>(org)
            .bind::<Text, _>(id)
            .execute(c)?;
            diesel::sql_query(
                "DELETE FROM search_grams WHERE rowid = \
                 (SELECT key FROM search_keys WHERE listing = ? AND org_id = ? AND id = ?)",
            )
            .bind::<Text, _>(table)
            .bind::<Text, _>(org)
            .bind::<Text, _>(id)
            .execute(c)?;
            diesel::sql_query(
                "INSERT INTO search_grams (rowid, grams) SELECT key, ? FROM search_keys \
                 WHERE listing = ? AND org_id = ? AND id = ?",
            )
            .bind::<Text, _>(&grams)
            .bind::<Text, _>(table)
            .bind::<Text, _>(org)
            .bind::<Text, _>(id)
            .execute(c)?;
        }
        AnyConnection::Postgresql(c) => {
            diesel::sql_query(
                "INSERT INTO search_grams (listing, org_id, id, grams) \
                 VALUES ($1, $2, $3, string_to_array($4, ' ')) \
                 ON CONFLICT (listing, org_id, id) DO UPDATE SET grams = excluded.grams",
            )
            .bind::<Text, _>(table)
            .bind::<Text, _>(org)
            .bind::<Text, _>(id)
            .bind::<Text, _>(&grams)
            .execute(c)?;
        }
    }
    Ok(())
}

/// A filter on a listing's table: SQL, one bound text, SQL.
pub type Narrow = SqlLiteral<Bool, UncheckedBind<SqlLiteral<Bool>, AsExprOf<String, Text>>>;

/// Past this many listings holding a query's grams, the index is not used: reading the whole
/// table with the `LIKE` costs less than fetching that many through the index (measured in
/// BENCHMARKS.md §5: a scan of 25,000 offers takes about as long as 2,500 found through it).
pub const SELECTIVE_BELOW: i64 = 2_000;

/// The filter that keeps the listings holding every gram of `query`, for `listing`'s list
/// query. None when the query has no gram, or when so many listings hold them that the
/// `LIKE` alone is faster ([`SELECTIVE_BELOW`]).
pub fn narrow(
    conn: &mut AnyConnection,
    listing: Listing,
    query: &str,
) -> StoreResult<Option<Narrow>> {
    let grams = query_grams(query);
    if grams.is_empty() {
        return Ok(None);
    }
    let table = listing.table();
    let postgres = matches!(conn, AnyConnection::Postgresql(_));
    // The listings of `table` holding every gram; `{}` is the bound query.
    let (matching, bind) = if postgres {
        (
            format!(
                "SELECT org_id, id FROM search_grams \
                 WHERE listing = '{table}' AND grams @> string_to_array({{}}, ' ')"
            ),
            grams.into_iter().collect::<Vec<_>>().join(" "),
        )
    } else {
        (
            format!(
                "SELECT k.org_id, k.id FROM search_grams \
                 JOIN search_keys k ON k.key = search_grams.rowid \
                 WHERE k.listing = '{table}' AND search_grams MATCH {{}}"
            ),
            grams
                .into_iter()
                .map(|g| format!("\"{g}\""))
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    let (head, tail) = matching.split_once("{}").unwrap_or((matching.as_str(), ""));
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let placeholder = if postgres { "$1" } else { "?" };
    let held = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM ({head}{placeholder}{tail} LIMIT {SELECTIVE_BELOW}) t"
    ))
    .bind::<Text, _>(&bind)
    .get_result::<Count>(conn)?
    .n;
    if held >= SELECTIVE_BELOW {
        return Ok(None);
    }
    Ok(Some(
        diesel::dsl::sql::<Bool>(&format!("({table}.org_id, {table}.id) IN ({head}"))
            .bind::<Text, _>(bind)
            .sql(&format!("{tail})")),
    ))
}

/// Indexes the listings written before the index existed (or copied without it, `db copy`);
/// runs at every start, and finds nothing to do once they are in.
pub fn index_missing(conn: &mut AnyConnection) -> StoreResult<usize> {
    #[derive(QueryableByName)]
    struct Missing {
        #[diesel(sql_type = Text)]
        org_id: String,
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Text)]
        title: String,
        #[diesel(sql_type = Text)]
        description: String,
    }
    let mut done = 0;
    for listing in [Listing::Offers, Listing::Needs] {
        let table = listing.table();
        let sql = match conn {
            AnyConnection::Sqlite(_) => format!(
                "SELECT org_id, id, title, description FROM {table} t WHERE NOT EXISTS \
                 (SELECT 1 FROM search_keys k WHERE k.listing = '{table}' \
                  AND k.org_id = t.org_id AND k.id = t.id)"
            ),
            AnyConnection::Postgresql(_) => format!(
                "SELECT org_id, id, title, description FROM {table} t WHERE NOT EXISTS \
                 (SELECT 1 FROM search_grams s WHERE s.listing = '{table}' \
                  AND s.org_id = t.org_id AND s.id = t.id)"
            ),
        };
        let missing = diesel::sql_query(sql).load::<Missing>(conn)?;
        for m in &missing {
            index(conn, listing, &m.org_id, &m.id, &[&m.title, &m.description])?;
        }
        done += missing.len();
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> String {
        hex(&s.chars().collect::<Vec<_>>())
    }

    #[test]
    fn a_text_holds_its_characters_and_pairs_within_words() {
        let g = grams(&["法律 咨询", "Law"]);
        let want: BTreeSet<String> = [
            "法", "律", "法律", "咨", "询", "咨询", "l", "a", "w", "la", "aw",
        ]
        .iter()
        .map(|s| h(s))
        .collect();
        assert_eq!(g, want);
    }

    #[test]
    fn a_query_needs_its_pairs_or_its_single_character() {
        let q = |s: &str| query_grams(s).into_iter().collect::<Vec<_>>();
        assert_eq!(q("理发"), [h("理发")]);
        assert_eq!(q("法"), [h("法")]);
        let mut three = vec![h("法律"), h("律援")];
        three.sort();
        assert_eq!(q("法律援"), three);
        assert!(q("%_ —").is_empty());
        // Upper case finds lower case, as the LIKE on lower() does.
        assert_eq!(q("AB"), q("ab"));
    }

    #[test]
    fn every_substring_of_a_text_is_found_by_its_grams() {
        let text = "为楼宇白领提供法律咨询，每周三 14:00-17:00";
        let held = grams(&[text]);
        let chars: Vec<char> = text.chars().collect();
        for i in 0..chars.len() {
            for j in i + 1..=chars.len() {
                let sub: String = chars[i..j].iter().collect();
                assert!(
                    query_grams(&sub).is_subset(&held),
                    "{sub:?} would be missed"
                );
            }
        }
    }
}
