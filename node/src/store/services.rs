//! The `service_logs` (服务登记) and `feedback` (表现反馈) tables: what a member did outside any
//! activity, as their home sent it and the community decided it; and the community's signed
//! evaluation of a reporting member for a period.

use diesel::prelude::*;

use super::schema::{feedback, service_logs};
use super::{AnyConnection, StoreResult};
use crate::domain::status::ServiceStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = service_logs, treat_none_as_default_value = false)]
pub struct ServiceLogRow {
    pub home_org: String,
    pub id: String,
    pub community_org: String,
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    pub what: String,
    pub category: String,
    pub grid: Option<String>,
    pub started_at: i64,
    pub ended_at: i64,
    pub minutes: i64,
    pub status: ServiceStatus,
    pub note: Option<String>,
    pub logged_ms: i64,
    pub decided_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = feedback, treat_none_as_default_value = false)]
pub struct FeedbackRow {
    pub community_org: String,
    pub id: String,
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    pub period_starts_at: i64,
    pub period_ends_at: i64,
    pub minutes: i64,
    pub activities: i64,
    pub grade: String,
    pub evaluation: String,
    pub superseded: bool,
    /// The signed `feedback.sent`, as sent or received.
    pub document: String,
    pub sent_ms: i64,
}

pub fn insert_log(conn: &mut AnyConnection, row: &ServiceLogRow) -> StoreResult<()> {
    diesel::insert_into(service_logs::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_log(
    conn: &mut AnyConnection,
    home: &str,
    id: &str,
) -> StoreResult<Option<ServiceLogRow>> {
    Ok(service_logs::table
        .find((home, id))
        .first(conn)
        .optional()?)
}

pub fn decide_log(
    conn: &mut AnyConnection,
    home: &str,
    id: &str,
    status: ServiceStatus,
    note: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(service_logs::table.find((home, id)))
        .set((
            service_logs::status.eq(status),
            service_logs::note.eq(note),
            service_logs::decided_ms.eq(Some(at_ms)),
        ))
        .execute(conn)?;
    Ok(())
}

/// At the home: one member's service logs, newest first.
pub fn logs_of_member(
    conn: &mut AnyConnection,
    member_id: &str,
) -> StoreResult<Vec<ServiceLogRow>> {
    Ok(service_logs::table
        .filter(service_logs::member_id.eq(member_id))
        .order(service_logs::started_at.desc())
        .load(conn)?)
}

/// At the community: the logs it received, pending first, newest first.
pub fn logs_received(conn: &mut AnyConnection, community: &str) -> StoreResult<Vec<ServiceLogRow>> {
    let mut rows: Vec<ServiceLogRow> = service_logs::table
        .filter(service_logs::community_org.eq(community))
        .order(service_logs::logged_ms.desc())
        .load(conn)?;
    rows.sort_by_key(|r| r.status != ServiceStatus::Pending);
    Ok(rows)
}

/// Inserts a feedback, superseding an earlier one from the same community for the same member
/// and period.
pub fn insert_feedback(conn: &mut AnyConnection, row: &FeedbackRow) -> StoreResult<()> {
    diesel::update(
        feedback::table
            .filter(feedback::community_org.eq(&row.community_org))
            .filter(feedback::mref.eq(&row.mref))
            .filter(feedback::period_starts_at.eq(row.period_starts_at))
            .filter(feedback::period_ends_at.eq(row.period_ends_at)),
    )
    .set(feedback::superseded.eq(true))
    .execute(conn)?;
    diesel::insert_into(feedback::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_feedback(
    conn: &mut AnyConnection,
    community: &str,
    id: &str,
) -> StoreResult<Option<FeedbackRow>> {
    Ok(feedback::table
        .find((community, id))
        .first(conn)
        .optional()?)
}

/// At the home: the feedback its members received (current ones), newest first.
pub fn feedback_received(conn: &mut AnyConnection) -> StoreResult<Vec<FeedbackRow>> {
    Ok(feedback::table
        .filter(feedback::member_id.is_not_null())
        .filter(feedback::superseded.eq(false))
        .order(feedback::sent_ms.desc())
        .load(conn)?)
}

/// At the community: the feedback it sent (current ones), newest first.
pub fn feedback_sent(conn: &mut AnyConnection, community: &str) -> StoreResult<Vec<FeedbackRow>> {
    Ok(feedback::table
        .filter(feedback::community_org.eq(community))
        .filter(feedback::member_id.is_null())
        .filter(feedback::superseded.eq(false))
        .order(feedback::sent_ms.desc())
        .load(conn)?)
}
