//! The `emergencies` (急时, as every node knows them), `emergency_calls` (at a home: its members
//! called for a post, and their answers) and `emergency_volunteers` (at the declarer: who said
//! yes, for which post) tables.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{emergencies, emergency_calls, emergency_volunteers};
use super::{AnyConnection, StoreResult};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = emergencies, treat_none_as_default_value = false)]
pub struct EmergencyRow {
    pub declarer_org: String,
    pub id: String,
    pub title: String,
    pub description: String,
    /// JSON list of community org ids: the area.
    pub communities: String,
    /// JSON list of grid codes narrowing the area.
    pub grids: String,
    /// JSON list of the posts (`post_id`, `title`, `headcount`, `skills`), as declared.
    pub posts: String,
    pub starts_at: i64,
    pub answer_within_secs: i64,
    pub declared_ms: i64,
    pub b_called_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = emergency_calls, treat_none_as_default_value = false)]
pub struct CallRow {
    pub declarer_org: String,
    pub emergency_id: String,
    pub member_id: String,
    pub post_id: String,
    /// `A` or `B`.
    pub role: String,
    pub called_ms: i64,
    pub answered_ms: Option<i64>,
    pub available: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = emergency_volunteers, treat_none_as_default_value = false)]
pub struct VolunteerRow {
    pub emergency_id: String,
    pub mref: String,
    pub home_org: String,
    pub post_id: String,
    pub role: String,
    pub display_name: Option<String>,
    /// JSON list of skill wire names.
    pub skills: String,
    pub received_ms: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &EmergencyRow) -> StoreResult<()> {
    diesel::insert_into(emergencies::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    declarer: &str,
    id: &str,
) -> StoreResult<Option<EmergencyRow>> {
    Ok(emergencies::table
        .find((declarer, id))
        .first(conn)
        .optional()?)
}

/// Every emergency this node knows, the newest first.
pub fn list(conn: &mut AnyConnection) -> StoreResult<Vec<EmergencyRow>> {
    Ok(emergencies::table
        .order(emergencies::declared_ms.desc())
        .limit(200)
        .load(conn)?)
}

/// Open emergencies whose A holders' time ran out before `now_ms` and whose B holders this
/// node has not called yet.
pub fn due_for_backups(conn: &mut AnyConnection, now_ms: i64) -> StoreResult<Vec<EmergencyRow>> {
    Ok(emergencies::table
        .filter(
            emergencies::closed_ms
                .is_null()
                .and(emergencies::b_called_ms.is_null())
                .and(
                    (emergencies::declared_ms + emergencies::answer_within_secs * 1000).le(now_ms),
                ),
        )
        .load(conn)?)
}

pub fn set_b_called(
    conn: &mut AnyConnection,
    declarer: &str,
    id: &str,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(emergencies::table.find((declarer, id)))
        .set(emergencies::b_called_ms.eq(Some(at_ms)))
        .execute(conn)?;
    Ok(())
}

pub fn close(
    conn: &mut AnyConnection,
    declarer: &str,
    id: &str,
    summary: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(emergencies::table.find((declarer, id)))
        .set((
            emergencies::closed_ms.eq(Some(at_ms)),
            emergencies::summary.eq(summary),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_calls(conn: &mut AnyConnection, rows: &[CallRow]) -> StoreResult<()> {
    for r in rows {
        diesel::insert_into(emergency_calls::table)
            .values(r)
            .execute(conn)?;
    }
    Ok(())
}

/// The calls of one emergency at this home.
pub fn calls(conn: &mut AnyConnection, declarer: &str, id: &str) -> StoreResult<Vec<CallRow>> {
    Ok(emergency_calls::table
        .filter(
            emergency_calls::declarer_org
                .eq(declarer)
                .and(emergency_calls::emergency_id.eq(id)),
        )
        .order(emergency_calls::called_ms.asc())
        .load(conn)?)
}

/// The calls of one member (of all members with `None`), the newest first.
pub fn calls_of(conn: &mut AnyConnection, member: Option<&str>) -> StoreResult<Vec<CallRow>> {
    let mut q = emergency_calls::table.into_boxed();
    if let Some(m) = member {
        q = q.filter(emergency_calls::member_id.eq(m.to_owned()));
    }
    Ok(q.order(emergency_calls::called_ms.desc())
        .limit(500)
        .load(conn)?)
}

pub fn answer(
    conn: &mut AnyConnection,
    declarer: &str,
    id: &str,
    member: &str,
    available: bool,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(emergency_calls::table.find((declarer, id, member)))
        .set((
            emergency_calls::available.eq(Some(available)),
            emergency_calls::answered_ms.eq(Some(at_ms)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_volunteer(conn: &mut AnyConnection, row: &VolunteerRow) -> StoreResult<()> {
    diesel::insert_into(emergency_volunteers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_volunteer(
    conn: &mut AnyConnection,
    id: &str,
    mref: &str,
) -> StoreResult<Option<VolunteerRow>> {
    Ok(emergency_volunteers::table
        .find((id, mref))
        .first(conn)
        .optional()?)
}

/// Who volunteered for one of our emergencies, in arrival order.
pub fn volunteers(conn: &mut AnyConnection, id: &str) -> StoreResult<Vec<VolunteerRow>> {
    Ok(emergency_volunteers::table
        .filter(emergency_volunteers::emergency_id.eq(id))
        .order((
            emergency_volunteers::received_ms.asc(),
            emergency_volunteers::mref,
        ))
        .load(conn)?)
}
