//! The `needs` table: the alliance's needs (需求清单, 微心愿) as this node knows them.

use diesel::prelude::*;

use super::schema::{need_events, needs};
use super::search::{self, Listing};
use super::{AnyConnection, ListFilter, StoreResult, like_pattern, lower};
use crate::domain::status::NeedStatus;

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = needs, treat_none_as_default_value = false)]
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
    pub status: NeedStatus,
    pub status_note: Option<String>,
    pub published_ms: i64,
    pub updated_ms: i64,
    /// At the owner only: the care-ledger household a micro-wish is for.
    pub household_id: Option<String>,
    /// A reference in another system, e.g. a 12345 hotline ticket.
    pub external_ref: Option<String>,
    /// At the owner only: how an accepted claimant addresses the person, e.g. 王奶奶.
    pub addressee: Option<String>,
}

pub fn upsert(conn: &mut AnyConnection, row: &NeedRow) -> StoreResult<()> {
    let n = diesel::update(needs::table.find((&row.org_id, &row.id)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(needs::table)
            .values(row)
            .execute(conn)?;
    }
    search::index(
        conn,
        Listing::Needs,
        &row.org_id,
        &row.id,
        &[&row.title, &row.description],
    )
}

pub fn find(conn: &mut AnyConnection, org: &str, id: &str) -> StoreResult<Option<NeedRow>> {
    Ok(needs::table.find((org, id)).first(conn).optional()?)
}

/// `org`'s needs recorded for a household of its care ledger (micro-wishes), newest first.
pub fn for_households(conn: &mut AnyConnection, org: &str) -> StoreResult<Vec<NeedRow>> {
    Ok(needs::table
        .filter(needs::org_id.eq(org).and(needs::household_id.is_not_null()))
        .order(needs::published_ms.desc())
        .limit(1000)
        .load(conn)?)
}

/// Every need with this id, whoever owns it (to tell a caller whose need it is).
pub fn with_id(conn: &mut AnyConnection, id: &str) -> StoreResult<Vec<NeedRow>> {
    Ok(needs::table.filter(needs::id.eq(id)).load(conn)?)
}

/// `org`'s open needs whose deadline passed before `now_s`, that it is still responsible for
/// and that no claim is under way on: those that go up by themselves (a grid's need to the
/// community; a community's, only if `org` is a community, to its street).
pub fn overdue(conn: &mut AnyConnection, org: &str, now_s: i64) -> StoreResult<Vec<NeedRow>> {
    use super::schema::claims;
    use crate::domain::status::ClaimStatus;
    let under_way = claims::table.filter(
        claims::need_org
            .eq(needs::org_id)
            .and(claims::need_id.eq(needs::id))
            .and(claims::status.eq_any([ClaimStatus::Accepted, ClaimStatus::Done])),
    );
    Ok(needs::table
        .filter(
            needs::status
                .eq(NeedStatus::Open)
                .and(needs::due.lt(now_s))
                .and(needs::org_id.eq(org))
                .and(needs::responsible_org.eq(org))
                .and(
                    needs::level.eq("grid").or(needs::level
                        .eq("community")
                        .and(needs::org_kind.eq("community"))),
                )
                .and(diesel::dsl::not(diesel::dsl::exists(under_way))),
        )
        .order(needs::due.asc())
        .limit(100)
        .load(conn)?)
}

pub fn set_status(
    conn: &mut AnyConnection,
    org: &str,
    id: &str,
    status: NeedStatus,
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

/// Where a need went up to: its new level, the organisation now responsible, why, and the
/// deadline there.
pub struct Raised<'a> {
    pub level: &'a str,
    pub to_org: &'a str,
    pub note: Option<&'a str>,
    pub due: Option<i64>,
}

pub fn escalate(
    conn: &mut AnyConnection,
    org: &str,
    id: &str,
    to: Raised<'_>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(needs::table.find((org, id)))
        .set((
            needs::due.eq(to.due),
            needs::level.eq(to.level),
            needs::responsible_org.eq(to.to_org),
            needs::status_note.eq(to.note),
            needs::updated_ms.eq(at_ms),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut AnyConnection,
    f: &ListFilter,
    status: Option<NeedStatus>,
    level: Option<&str>,
    micro_wish_only: bool,
) -> StoreResult<(i64, Vec<NeedRow>)> {
    let indexed = match &f.text {
        Some(t) => search::narrow(conn, Listing::Needs, t)?,
        None => None,
    };
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
        if let Some(v) = status {
            q = q.filter(needs::status.eq(v));
        }
        if let Some(v) = level {
            q = q.filter(needs::level.eq(v.to_owned()));
        }
        if micro_wish_only {
            q = q.filter(needs::micro_wish.is_not_null());
        }
        if let Some(t) = &f.text {
            if let Some(i) = indexed.clone() {
                q = q.filter(i);
            }
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

/// One step in a need's history (`need_events`), as this node learnt it.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = need_events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: i64,
    pub need_org: String,
    pub need_id: String,
    pub at_ms: i64,
    pub event: String,
    pub by_org: String,
    pub claimant_org: Option<String>,
    pub claim_id: Option<String>,
    pub note: Option<String>,
}

/// A step to record: the need, what happened, who did it, the claim it concerns.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub need_org: &'a str,
    pub need_id: &'a str,
    pub at_ms: i64,
    pub event: &'a str,
    pub by_org: &'a str,
    pub claim: Option<(&'a str, &'a str)>,
    pub note: Option<&'a str>,
}

pub fn record(conn: &mut AnyConnection, e: Event<'_>) -> StoreResult<()> {
    diesel::insert_into(need_events::table)
        .values((
            need_events::need_org.eq(e.need_org),
            need_events::need_id.eq(e.need_id),
            need_events::at_ms.eq(e.at_ms),
            need_events::event.eq(e.event),
            need_events::by_org.eq(e.by_org),
            need_events::claimant_org.eq(e.claim.map(|c| c.0)),
            need_events::claim_id.eq(e.claim.map(|c| c.1)),
            need_events::note.eq(e.note),
        ))
        .execute(conn)?;
    Ok(())
}

/// A need's history, oldest first.
pub fn history(conn: &mut AnyConnection, org: &str, id: &str) -> StoreResult<Vec<EventRow>> {
    Ok(need_events::table
        .filter(need_events::need_org.eq(org))
        .filter(need_events::need_id.eq(id))
        .order((need_events::at_ms, need_events::id))
        .load(conn)?)
}
