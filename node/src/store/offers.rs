//! The `offers` table: the alliance's offers (资源清单) as this node knows them.

use diesel::prelude::*;

use super::schema::offers;
use super::search::{self, Listing};
use super::{AnyConnection, ListFilter, StoreResult, like_pattern, lower};
use crate::domain::status::OfferStatus;

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = offers, treat_none_as_default_value = false)]
pub struct OfferRow {
    pub org_id: String,
    pub id: String,
    pub org_kind: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub capacity: i64,
    pub unit: Option<String>,
    pub skills: String,
    pub station: Option<String>,
    pub grids: String,
    pub available_until: Option<i64>,
    pub status: OfferStatus,
    pub status_note: Option<String>,
    pub published_ms: i64,
    pub updated_ms: i64,
}

pub fn upsert(conn: &mut AnyConnection, row: &OfferRow) -> StoreResult<()> {
    let n = diesel::update(offers::table.find((&row.org_id, &row.id)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(offers::table)
            .values(row)
            .execute(conn)?;
    }
    search::index(
        conn,
        Listing::Offers,
        &row.org_id,
        &row.id,
        &[&row.title, &row.description],
    )
}

/// The organisations that have an offer with this id (normally one).
pub fn owners_of(conn: &mut AnyConnection, id: &str) -> StoreResult<Vec<String>> {
    Ok(offers::table
        .filter(offers::id.eq(id))
        .select(offers::org_id)
        .load(conn)?)
}

pub fn find(conn: &mut AnyConnection, org: &str, id: &str) -> StoreResult<Option<OfferRow>> {
    Ok(offers::table.find((org, id)).first(conn).optional()?)
}

pub fn set_status(
    conn: &mut AnyConnection,
    org: &str,
    id: &str,
    status: OfferStatus,
    note: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(offers::table.find((org, id)))
        .set((
            offers::status.eq(status),
            offers::status_note.eq(note),
            offers::updated_ms.eq(at_ms),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut AnyConnection,
    f: &ListFilter,
    status: Option<OfferStatus>,
) -> StoreResult<(i64, Vec<OfferRow>)> {
    let indexed = match &f.text {
        Some(t) => search::narrow(conn, Listing::Offers, t)?,
        None => None,
    };
    let build = || {
        let mut q = offers::table.into_boxed();
        if let Some(v) = &f.category {
            q = q.filter(offers::category.eq(v.clone()));
        }
        if let Some(v) = &f.org_kind {
            q = q.filter(offers::org_kind.eq(v.clone()));
        }
        if let Some(v) = &f.org {
            q = q.filter(offers::org_id.eq(v.clone()));
        }
        if let Some(v) = status {
            q = q.filter(offers::status.eq(v));
        }
        if let Some(t) = &f.text {
            if let Some(i) = indexed.clone() {
                q = q.filter(i);
            }
            let p = like_pattern(t);
            q = q.filter(
                lower(offers::title)
                    .like(p.clone())
                    .escape('\\')
                    .or(lower(offers::description).like(p).escape('\\')),
            );
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((offers::published_ms.desc(), offers::id))
        .limit(f.limit)
        .offset(f.offset)
        .load(conn)?;
    Ok((total, rows))
}

/// What matching reads of every open offer, unordered: (org, id, title, category, skills JSON,
/// grids JSON, available until).
pub type MatchingRow = (String, String, String, String, String, String, Option<i64>);

pub fn open_for_matching(conn: &mut AnyConnection) -> StoreResult<Vec<MatchingRow>> {
    Ok(offers::table
        .filter(offers::status.eq(OfferStatus::Open))
        .select((
            offers::org_id,
            offers::id,
            offers::title,
            offers::category,
            offers::skills,
            offers::grids,
            offers::available_until,
        ))
        .load(conn)?)
}
