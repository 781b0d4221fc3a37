//! The `claims` table: claims this organisation made or received.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::claims;
use super::{AnyConnection, StoreResult};
use crate::domain::status::ClaimStatus;

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, Serialize, schemars::JsonSchema)]
#[diesel(table_name = claims, treat_none_as_default_value = false)]
pub struct ClaimRow {
    pub claimant_org: String,
    pub id: String,
    pub need_org: String,
    pub need_id: String,
    pub offer_id: Option<String>,
    pub note: Option<String>,
    pub status: ClaimStatus,
    pub decision_note: Option<String>,
    pub created_ms: i64,
    pub decided_ms: Option<i64>,
    /// When the claimant reported its work done (`need.done`).
    pub done_ms: Option<i64>,
    pub done_summary: Option<String>,
    /// At the claimant only, while its accepted claim is carried out: how to reach the person
    /// the need is for.
    pub contact_addressee: Option<String>,
    pub contact_address: Option<String>,
    pub contact_phone: Option<String>,
    /// At the claimant, the member who took the need on themselves through us (a micro-wish);
    /// never sent.
    pub member_id: Option<String>,
    /// At both ends, that member's pairwise reference with the need's owner, and how they are
    /// addressed if they share it.
    pub mref: Option<String>,
    pub member_name: Option<String>,
}

pub fn insert(conn: &mut AnyConnection, row: &ClaimRow) -> StoreResult<()> {
    diesel::insert_into(claims::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A claim by `claimant` on the need `need_org`/`need_id` that is pending, accepted or done.
pub fn standing(
    conn: &mut AnyConnection,
    claimant: &str,
    need_org: &str,
    need_id: &str,
) -> StoreResult<Option<ClaimRow>> {
    Ok(claims::table
        .filter(
            claims::claimant_org
                .eq(claimant)
                .and(claims::need_org.eq(need_org))
                .and(claims::need_id.eq(need_id))
                .and(claims::status.eq_any(ClaimStatus::STANDING)),
        )
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut AnyConnection, claimant: &str, id: &str) -> StoreResult<Option<ClaimRow>> {
    Ok(claims::table.find((claimant, id)).first(conn).optional()?)
}

pub fn decide(
    conn: &mut AnyConnection,
    claimant: &str,
    id: &str,
    status: ClaimStatus,
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

/// The claims on `need_org`/`need_id` that are accepted or reported done: work under way.
pub fn under_way(
    conn: &mut AnyConnection,
    need_org: &str,
    need_id: &str,
) -> StoreResult<Vec<ClaimRow>> {
    Ok(claims::table
        .filter(
            claims::need_org
                .eq(need_org)
                .and(claims::need_id.eq(need_id))
                .and(claims::status.eq_any([ClaimStatus::Accepted, ClaimStatus::Done])),
        )
        .load(conn)?)
}

pub fn set_status(
    conn: &mut AnyConnection,
    claimant: &str,
    id: &str,
    status: ClaimStatus,
) -> StoreResult<()> {
    diesel::update(claims::table.find((claimant, id)))
        .set(claims::status.eq(status))
        .execute(conn)?;
    Ok(())
}

pub fn set_done(
    conn: &mut AnyConnection,
    claimant: &str,
    id: &str,
    summary: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(claims::table.find((claimant, id)))
        .set((
            claims::status.eq(ClaimStatus::Done),
            claims::done_summary.eq(summary),
            claims::done_ms.eq(Some(at_ms)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Keeps, or (with `None`) forgets, how to reach the person a claimed need is for.
pub fn set_contact(
    conn: &mut AnyConnection,
    claimant: &str,
    id: &str,
    contact: Option<(&str, &str, Option<&str>)>,
) -> StoreResult<()> {
    let (addressee, address, phone) = match contact {
        Some((n, a, p)) => (Some(n), Some(a), p),
        None => (None, None, None),
    };
    diesel::update(claims::table.find((claimant, id)))
        .set((
            claims::contact_addressee.eq(addressee),
            claims::contact_address.eq(address),
            claims::contact_phone.eq(phone),
        ))
        .execute(conn)?;
    Ok(())
}

/// A fulfilled need ends every claim on it (of `claimant`'s only, with `Some`): those under way
/// are confirmed, pending ones declined; how to reach the person is forgotten.
pub fn end_all(
    conn: &mut AnyConnection,
    need_org: &str,
    need_id: &str,
    claimant: Option<&str>,
) -> StoreResult<()> {
    let on_need = || {
        let mut q = claims::table
            .filter(
                claims::need_org
                    .eq(need_org)
                    .and(claims::need_id.eq(need_id)),
            )
            .into_boxed();
        if let Some(c) = claimant {
            q = q.filter(claims::claimant_org.eq(c.to_owned()));
        }
        q.select((claims::claimant_org, claims::id, claims::status))
    };
    let rows: Vec<(String, String, ClaimStatus)> = on_need().load(conn)?;
    for (claimant, id, status) in rows {
        let ended = match status {
            ClaimStatus::Accepted | ClaimStatus::Done => ClaimStatus::Confirmed,
            ClaimStatus::Pending => ClaimStatus::Declined,
            _ => status,
        };
        diesel::update(claims::table.find((&claimant, &id)))
            .set((
                claims::status.eq(ended),
                claims::contact_addressee.eq(None::<String>),
                claims::contact_address.eq(None::<String>),
                claims::contact_phone.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The claims on one need that this organisation made or received, the oldest first.
pub fn on_need(
    conn: &mut AnyConnection,
    org: &str,
    need_org: &str,
    need_id: &str,
) -> StoreResult<Vec<ClaimRow>> {
    Ok(claims::table
        .filter(claims::need_org.eq(need_org))
        .filter(claims::need_id.eq(need_id))
        .filter(claims::claimant_org.eq(org).or(claims::need_org.eq(org)))
        .order(claims::created_ms)
        .load(conn)?)
}

/// Claims this organisation made or received.
pub fn list(conn: &mut AnyConnection, org: &str) -> StoreResult<Vec<ClaimRow>> {
    Ok(claims::table
        .filter(claims::claimant_org.eq(org).or(claims::need_org.eq(org)))
        .order(claims::created_ms.desc())
        .limit(500)
        .load(conn)?)
}

/// The claims a member of ours made through us, the newest first.
pub fn of_member(conn: &mut AnyConnection, member_id: &str) -> StoreResult<Vec<ClaimRow>> {
    Ok(claims::table
        .filter(claims::member_id.eq(member_id))
        .order(claims::created_ms.desc())
        .load(conn)?)
}
