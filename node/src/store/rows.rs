//! Rows of the domain tables and their queries.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{claims, needs, offers, trust, users};
use super::{AnyConnection, StoreResult, lower};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = offers)]
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
    pub status: String,
    pub status_note: Option<String>,
    pub published_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = needs)]
pub struct NeedRow {
    pub org_id: String,
    pub id: String,
    pub org_kind: String,
    pub title: String,
    pub description: String,
    pub level: String,
    pub grid: Option<String>,
    pub micro_wish: Option<String>,
    pub wanted: Option<String>,
    pub skills: String,
    pub quantity: i64,
    pub due: Option<i64>,
    pub responsible_org: String,
    pub status: String,
    pub status_note: Option<String>,
    pub published_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, Serialize, utoipa::ToSchema)]
#[diesel(table_name = claims)]
pub struct ClaimRow {
    pub claimant_org: String,
    pub id: String,
    pub need_org: String,
    pub need_id: String,
    pub offer_id: Option<String>,
    pub note: Option<String>,
    /// pending | accepted | declined
    pub status: String,
    pub decision_note: Option<String>,
    pub created_ms: i64,
    pub decided_ms: Option<i64>,
}

/// Filters shared by the offer and need lists.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub category: Option<String>,
    pub org_kind: Option<String>,
    pub org: Option<String>,
    pub status: Option<String>,
    pub text: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn upsert_offer(conn: &mut AnyConnection, row: &OfferRow) -> StoreResult<()> {
    let n = diesel::update(offers::table.find((&row.org_id, &row.id)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(offers::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_offer(conn: &mut AnyConnection, org: &str, id: &str) -> StoreResult<Option<OfferRow>> {
    Ok(offers::table.find((org, id)).first(conn).optional()?)
}

pub fn set_offer_status(
    conn: &mut AnyConnection,
    org: &str,
    id: &str,
    status: &str,
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

pub fn list_offers(conn: &mut AnyConnection, f: &ListFilter) -> StoreResult<(i64, Vec<OfferRow>)> {
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
        if let Some(v) = &f.status {
            q = q.filter(offers::status.eq(v.clone()));
        }
        if let Some(t) = &f.text {
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

pub fn upsert_need(conn: &mut AnyConnection, row: &NeedRow) -> StoreResult<()> {
    let n = diesel::update(needs::table.find((&row.org_id, &row.id)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(needs::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_need(conn: &mut AnyConnection, org: &str, id: &str) -> StoreResult<Option<NeedRow>> {
    Ok(needs::table.find((org, id)).first(conn).optional()?)
}

pub fn set_need_status(
    conn: &mut AnyConnection,
    org: &str,
    id: &str,
    status: &str,
    note: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(needs::table.find((org, id)))
        .set((
            needs::status.eq(status),
            needs::status_note.eq(note),
            needs::updated_ms.eq(at_ms),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn escalate_need(
    conn: &mut AnyConnection,
    org: &str,
    id: &str,
    level: &str,
    to_org: &str,
    note: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(needs::table.find((org, id)))
        .set((
            needs::level.eq(level),
            needs::responsible_org.eq(to_org),
            needs::status_note.eq(note),
            needs::updated_ms.eq(at_ms),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list_needs(
    conn: &mut AnyConnection,
    f: &ListFilter,
    level: Option<&str>,
    micro_wish_only: bool,
) -> StoreResult<(i64, Vec<NeedRow>)> {
    let build = || {
        let mut q = needs::table.into_boxed();
        if let Some(v) = &f.category {
            q = q.filter(needs::wanted.eq(v.clone()));
        }
        if let Some(v) = &f.org_kind {
            q = q.filter(needs::org_kind.eq(v.clone()));
        }
        if let Some(v) = &f.org {
            q = q.filter(
                needs::org_id
                    .eq(v.clone())
                    .or(needs::responsible_org.eq(v.clone())),
            );
        }
        if let Some(v) = &f.status {
            q = q.filter(needs::status.eq(v.clone()));
        }
        if let Some(v) = level {
            q = q.filter(needs::level.eq(v.to_owned()));
        }
        if micro_wish_only {
            q = q.filter(needs::micro_wish.is_not_null());
        }
        if let Some(t) = &f.text {
            let p = like_pattern(t);
            q = q.filter(
                lower(needs::title)
                    .like(p.clone())
                    .escape('\\')
                    .or(lower(needs::description).like(p).escape('\\')),
            );
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((needs::published_ms.desc(), needs::id))
        .limit(f.limit)
        .offset(f.offset)
        .load(conn)?;
    Ok((total, rows))
}

pub fn insert_claim(conn: &mut AnyConnection, row: &ClaimRow) -> StoreResult<()> {
    diesel::insert_into(claims::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_claim(
    conn: &mut AnyConnection,
    claimant: &str,
    id: &str,
) -> StoreResult<Option<ClaimRow>> {
    Ok(claims::table.find((claimant, id)).first(conn).optional()?)
}

pub fn decide_claim(
    conn: &mut AnyConnection,
    claimant: &str,
    id: &str,
    status: &str,
    note: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(claims::table.find((claimant, id)))
        .set((
            claims::status.eq(status),
            claims::decision_note.eq(note),
            claims::decided_ms.eq(Some(at_ms)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims this organisation made or received.
pub fn list_claims(conn: &mut AnyConnection, org: &str) -> StoreResult<Vec<ClaimRow>> {
    Ok(claims::table
        .filter(claims::claimant_org.eq(org).or(claims::need_org.eq(org)))
        .order(claims::created_ms.desc())
        .limit(500)
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable)]
pub struct UserRow {
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub created_ms: i64,
}

pub fn find_user(conn: &mut AnyConnection, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table.find(username).first(conn).optional()?)
}

/// Creates or replaces a user (password reset is `user add` again).
pub fn put_user(
    conn: &mut AnyConnection,
    username: &str,
    hash: &str,
    role: &str,
    at_ms: i64,
) -> StoreResult<bool> {
    let n = diesel::update(users::table.find(username))
        .set((users::password_hash.eq(hash), users::role.eq(role)))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(users::table)
            .values((
                users::username.eq(username),
                users::password_hash.eq(hash),
                users::role.eq(role),
                users::created_ms.eq(at_ms),
            ))
            .execute(conn)?;
    }
    Ok(n == 0)
}

/// The stored trust document `name` (`roster` or `crl`) and its serial.
pub fn trust_doc(conn: &mut AnyConnection, name: &str) -> StoreResult<Option<(i64, String)>> {
    Ok(trust::table
        .find(name)
        .select((trust::serial, trust::document))
        .first(conn)
        .optional()?)
}

pub fn put_trust_doc(
    conn: &mut AnyConnection,
    name: &str,
    serial: i64,
    doc: &str,
    at_ms: i64,
) -> StoreResult<()> {
    let n = diesel::update(trust::table.find(name))
        .set((
            trust::serial.eq(serial),
            trust::document.eq(doc),
            trust::updated_ms.eq(at_ms),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(trust::table)
            .values((
                trust::name.eq(name),
                trust::serial.eq(serial),
                trust::document.eq(doc),
                trust::updated_ms.eq(at_ms),
            ))
            .execute(conn)?;
    }
    Ok(())
}
