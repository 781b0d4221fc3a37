//! The `teams` and `team_members` tables (a community's volunteer teams, kept there only) and
//! `invitations` (signup.invited, as the community sent it or the member's home received it).

use diesel::prelude::*;

use super::schema::{invitations, team_members, teams};
use super::{AnyConnection, StoreResult};
use crate::domain::status::InvitationStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = teams, treat_none_as_default_value = false)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = team_members, treat_none_as_default_value = false)]
pub struct TeamMemberRow {
    pub team_id: String,
    pub mref: String,
    pub home_org: String,
    /// The member's accepted report at the community.
    pub report_id: String,
    pub added_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = invitations, treat_none_as_default_value = false)]
pub struct InvitationRow {
    pub host_org: String,
    pub id: String,
    pub activity_id: String,
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    pub team: String,
    pub post_id: Option<String>,
    pub role: Option<String>,
    pub note: Option<String>,
    pub status: InvitationStatus,
    /// At the home, once accepted: the sign-up it became.
    pub signup_id: Option<String>,
    pub sent_ms: i64,
}

pub fn insert_team(conn: &mut AnyConnection, row: &TeamRow) -> StoreResult<()> {
    diesel::insert_into(teams::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_team(conn: &mut AnyConnection, id: &str) -> StoreResult<Option<TeamRow>> {
    Ok(teams::table.find(id).first(conn).optional()?)
}

/// The teams, by name.
pub fn teams(conn: &mut AnyConnection) -> StoreResult<Vec<TeamRow>> {
    Ok(teams::table.order(teams::name.asc()).load(conn)?)
}

pub fn add_member(conn: &mut AnyConnection, row: &TeamMemberRow) -> StoreResult<()> {
    diesel::insert_into(team_members::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Removes `mref` from the team; whether they were in it.
pub fn remove_member(conn: &mut AnyConnection, team: &str, mref: &str) -> StoreResult<bool> {
    Ok(diesel::delete(team_members::table.find((team, mref))).execute(conn)? > 0)
}

/// Removes `mref` from every team (their report here was withdrawn).
pub fn leave_all(conn: &mut AnyConnection, mref: &str) -> StoreResult<()> {
    diesel::delete(team_members::table.filter(team_members::mref.eq(mref))).execute(conn)?;
    Ok(())
}

/// Every team's members, in the order they joined.
pub fn members(conn: &mut AnyConnection) -> StoreResult<Vec<TeamMemberRow>> {
    Ok(team_members::table
        .order(team_members::added_ms.asc())
        .load(conn)?)
}

pub fn insert_invitation(conn: &mut AnyConnection, row: &InvitationRow) -> StoreResult<()> {
    diesel::insert_into(invitations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_invitation(
    conn: &mut AnyConnection,
    host: &str,
    id: &str,
) -> StoreResult<Option<InvitationRow>> {
    Ok(invitations::table.find((host, id)).first(conn).optional()?)
}

pub fn answer(
    conn: &mut AnyConnection,
    host: &str,
    id: &str,
    status: InvitationStatus,
    signup_id: Option<&str>,
) -> StoreResult<()> {
    diesel::update(invitations::table.find((host, id)))
        .set((
            invitations::status.eq(status),
            invitations::signup_id.eq(signup_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// The invitations of `mref` to one activity of `host`.
pub fn to_activity(
    conn: &mut AnyConnection,
    host: &str,
    activity: &str,
    mref: &str,
) -> StoreResult<Vec<InvitationRow>> {
    Ok(invitations::table
        .filter(invitations::host_org.eq(host))
        .filter(invitations::activity_id.eq(activity))
        .filter(invitations::mref.eq(mref))
        .load(conn)?)
}

/// At the host: the invitations it sent, newest first.
pub fn sent(conn: &mut AnyConnection, host: &str) -> StoreResult<Vec<InvitationRow>> {
    Ok(invitations::table
        .filter(invitations::host_org.eq(host))
        .filter(invitations::member_id.is_null())
        .order(invitations::sent_ms.desc())
        .load(conn)?)
}

/// At the home: the invitations its members received (of one member if given), newest first.
/// `domain::teams::offered` says which are shown and which can be answered.
pub fn received(
    conn: &mut AnyConnection,
    member_id: Option<&str>,
) -> StoreResult<Vec<InvitationRow>> {
    let mut q = invitations::table
        .filter(invitations::member_id.is_not_null())
        .into_boxed();
    if let Some(m) = member_id {
        q = q.filter(invitations::member_id.eq(m));
    }
    Ok(q.order(invitations::sent_ms.desc()).load(conn)?)
}
