//! The `reports` table: 双报到 reports, as the member's home and as the community hold them.

use diesel::prelude::*;

use super::schema::reports;
use super::{AnyConnection, StoreResult};
use crate::domain::status::ReportStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = reports, treat_none_as_default_value = false)]
pub struct ReportRow {
    pub home_org: String,
    pub id: String,
    pub community_org: String,
    pub mref: String,
    /// Set at the home only.
    pub member_id: Option<String>,
    pub display_name: Option<String>,
    pub skills: String,
    pub availability: String,
    pub grid: Option<String>,
    pub status: ReportStatus,
    pub note: Option<String>,
    /// At the home: the community's signed `report.decided`, as received.
    pub receipt: Option<String>,
    pub submitted_ms: i64,
    pub decided_ms: Option<i64>,
}

pub fn insert(conn: &mut AnyConnection, row: &ReportRow) -> StoreResult<()> {
    diesel::insert_into(reports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, home: &str, id: &str) -> StoreResult<Option<ReportRow>> {
    Ok(reports::table.find((home, id)).first(conn).optional()?)
}

/// The report of `mref` (as `community` knows them) that is pending or accepted, if any.
pub fn standing(
    conn: &mut AnyConnection,
    community: &str,
    mref: &str,
) -> StoreResult<Option<ReportRow>> {
    Ok(reports::table
        .filter(
            reports::community_org
                .eq(community)
                .and(reports::mref.eq(mref))
                .and(reports::status.eq_any([ReportStatus::Pending, ReportStatus::Accepted])),
        )
        .first(conn)
        .optional()?)
}

pub fn set_status(
    conn: &mut AnyConnection,
    home: &str,
    id: &str,
    status: ReportStatus,
    note: Option<&str>,
    receipt: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(reports::table.find((home, id)))
        .set((
            reports::status.eq(status),
            reports::note.eq(note),
            reports::receipt.eq(receipt),
            reports::decided_ms.eq(Some(at_ms)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A member's reports, newest first (at the home).
pub fn of_member(conn: &mut AnyConnection, member_id: &str) -> StoreResult<Vec<ReportRow>> {
    Ok(reports::table
        .filter(reports::member_id.eq(member_id))
        .order(reports::submitted_ms.desc())
        .load(conn)?)
}

/// Reports our members made (at the home), newest first.
pub fn sent(conn: &mut AnyConnection, home: &str) -> StoreResult<Vec<ReportRow>> {
    Ok(reports::table
        .filter(reports::home_org.eq(home))
        .order(reports::submitted_ms.desc())
        .load(conn)?)
}

/// Reports made to `community`, newest first.
pub fn received(conn: &mut AnyConnection, community: &str) -> StoreResult<Vec<ReportRow>> {
    Ok(reports::table
        .filter(reports::community_org.eq(community))
        .order(reports::submitted_ms.desc())
        .load(conn)?)
}

/// Reports made to `community` by the member it knows as `mref`, newest first.
pub fn received_from(
    conn: &mut AnyConnection,
    community: &str,
    mref: &str,
) -> StoreResult<Vec<ReportRow>> {
    Ok(reports::table
        .filter(reports::community_org.eq(community))
        .filter(reports::mref.eq(mref))
        .order(reports::submitted_ms.desc())
        .load(conn)?)
}
