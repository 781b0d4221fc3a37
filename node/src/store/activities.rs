//! The `activities`, `signups` and `checkins` tables: activities as every node holds them,
//! sign-ups on both sides, and check-ins from the host's attendance to the home's record.

use diesel::prelude::*;

use super::schema::{activities, checkins, signups};
use super::{AnyConnection, StoreResult};
use crate::domain::status::{ActivityStatus, SignupStatus};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = activities, treat_none_as_default_value = false)]
pub struct ActivityRow {
    pub host_org: String,
    pub id: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub place: String,
    pub grid: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    /// JSON list of skill wire names wanted.
    pub skills: String,
    pub mode: String,
    pub status: ActivityStatus,
    pub note: Option<String>,
    /// At the host only: the secret of its rotating check-in codes (hex).
    pub qr_secret: Option<String>,
    pub published_ms: i64,
    pub updated_ms: i64,
    /// JSON list of the activity's posts (岗位): `{post_id, title, skills}`.
    pub posts: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = signups, treat_none_as_default_value = false)]
pub struct SignupRow {
    pub home_org: String,
    pub id: String,
    pub host_org: String,
    pub activity_id: String,
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    pub display_name: Option<String>,
    /// JSON list of the skills the member shared.
    pub skills: String,
    pub status: SignupStatus,
    pub note: Option<String>,
    /// At the host, once the member confirmed the placement.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub requested_ms: i64,
    pub updated_ms: i64,
    /// The post asked for, if any, and the role (A or B): asked for, then as placed.
    pub post_id: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = checkins, treat_none_as_default_value = false)]
pub struct CheckinRow {
    pub host_org: String,
    pub id: String,
    pub activity_id: Option<String>,
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    pub category: String,
    pub mode: String,
    pub checked_in_at: i64,
    pub checked_out_at: Option<i64>,
    pub minutes: Option<i64>,
    pub closed_by_host: bool,
    pub corrects: Option<String>,
    /// At the home: a later correction replaces this entry.
    pub superseded: bool,
    /// The signed `checkin.attested`, as sent (host) or received (home).
    pub attestation: Option<String>,
    pub created_ms: i64,
}

// ---- activities ---------------------------------------------------------------------------

/// Inserts an activity or replaces an earlier version of it (activity.published again).
pub fn upsert_activity(conn: &mut AnyConnection, row: &ActivityRow) -> StoreResult<()> {
    match find_activity(conn, &row.host_org, &row.id)? {
        None => {
            diesel::insert_into(activities::table)
                .values(row)
                .execute(conn)?;
        }
        Some(old) => {
            let mut new = row.clone();
            new.published_ms = old.published_ms;
            new.qr_secret = old.qr_secret.or(new.qr_secret);
            diesel::update(activities::table.find((&row.host_org, &row.id)))
                .set(&new)
                .execute(conn)?;
        }
    }
    Ok(())
}

pub fn find_activity(
    conn: &mut AnyConnection,
    host: &str,
    id: &str,
) -> StoreResult<Option<ActivityRow>> {
    Ok(activities::table.find((host, id)).first(conn).optional()?)
}

pub fn cancel_activity(
    conn: &mut AnyConnection,
    host: &str,
    id: &str,
    note: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(activities::table.find((host, id)))
        .set((
            activities::status.eq(ActivityStatus::Cancelled),
            activities::note.eq(note),
            activities::updated_ms.eq(at_ms),
        ))
        .execute(conn)?;
    Ok(())
}

/// Activities ending after `after_s` (all of them with 0), soonest first.
pub fn activities_ending_after(
    conn: &mut AnyConnection,
    after_s: i64,
) -> StoreResult<Vec<ActivityRow>> {
    Ok(activities::table
        .filter(activities::ends_at.gt(after_s))
        .order((activities::starts_at.asc(), activities::id.asc()))
        .load(conn)?)
}

/// One host's activities, newest first.
pub fn activities_of(conn: &mut AnyConnection, host: &str) -> StoreResult<Vec<ActivityRow>> {
    Ok(activities::table
        .filter(activities::host_org.eq(host))
        .order(activities::starts_at.desc())
        .load(conn)?)
}

// ---- sign-ups -----------------------------------------------------------------------------

pub fn insert_signup(conn: &mut AnyConnection, row: &SignupRow) -> StoreResult<()> {
    diesel::insert_into(signups::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn update_signup(conn: &mut AnyConnection, row: &SignupRow) -> StoreResult<()> {
    diesel::update(signups::table.find((&row.home_org, &row.id)))
        .set(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_signup(
    conn: &mut AnyConnection,
    home: &str,
    id: &str,
) -> StoreResult<Option<SignupRow>> {
    Ok(signups::table.find((home, id)).first(conn).optional()?)
}

/// The sign-ups for one activity, oldest first.
pub fn signups_for(
    conn: &mut AnyConnection,
    host: &str,
    activity: &str,
) -> StoreResult<Vec<SignupRow>> {
    Ok(signups::table
        .filter(signups::host_org.eq(host))
        .filter(signups::activity_id.eq(activity))
        .order(signups::requested_ms.asc())
        .load(conn)?)
}

/// Cancels every standing sign-up of an activity (the activity was cancelled); returns how many.
pub fn cancel_signups_for(
    conn: &mut AnyConnection,
    host: &str,
    activity: &str,
    note: Option<&str>,
    at_ms: i64,
) -> StoreResult<usize> {
    Ok(diesel::update(
        signups::table
            .filter(signups::host_org.eq(host))
            .filter(signups::activity_id.eq(activity))
            .filter(signups::status.eq_any([
                SignupStatus::Requested,
                SignupStatus::Placed,
                SignupStatus::Confirmed,
            ])),
    )
    .set((
        signups::status.eq(SignupStatus::Cancelled),
        signups::note.eq(note),
        signups::updated_ms.eq(at_ms),
    ))
    .execute(conn)?)
}

/// At the home: the entry that corrects `id` (of the same host), if any.
pub fn correction_of(
    conn: &mut AnyConnection,
    host: &str,
    id: &str,
) -> StoreResult<Option<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::host_org.eq(host))
        .filter(checkins::corrects.eq(id))
        .first(conn)
        .optional()?)
}

/// How many places of an activity are taken (placed or confirmed).
pub fn places_taken(conn: &mut AnyConnection, host: &str, activity: &str) -> StoreResult<i64> {
    Ok(signups::table
        .filter(signups::host_org.eq(host))
        .filter(signups::activity_id.eq(activity))
        .filter(signups::status.eq_any([SignupStatus::Placed, SignupStatus::Confirmed]))
        .count()
        .get_result(conn)?)
}

/// Whether the `role` (A or B) of a post is held: a placed or confirmed sign-up has it.
pub fn post_role_taken(
    conn: &mut AnyConnection,
    host: &str,
    activity: &str,
    post: &str,
    role: &str,
) -> StoreResult<bool> {
    let n: i64 = signups::table
        .filter(signups::host_org.eq(host))
        .filter(signups::activity_id.eq(activity))
        .filter(signups::post_id.eq(post))
        .filter(signups::role.eq(role))
        .filter(signups::status.eq_any([SignupStatus::Placed, SignupStatus::Confirmed]))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The standing sign-up of the member known to `host` as `mref` for one activity, if any.
pub fn standing_signup(
    conn: &mut AnyConnection,
    host: &str,
    activity: &str,
    mref: &str,
) -> StoreResult<Option<SignupRow>> {
    Ok(signups::table
        .filter(signups::host_org.eq(host))
        .filter(signups::activity_id.eq(activity))
        .filter(signups::mref.eq(mref))
        .filter(signups::status.eq_any([
            SignupStatus::Requested,
            SignupStatus::Placed,
            SignupStatus::Confirmed,
        ]))
        .first(conn)
        .optional()?)
}

/// A member's sign-ups (at the home), newest first.
pub fn signups_of_member(conn: &mut AnyConnection, member_id: &str) -> StoreResult<Vec<SignupRow>> {
    Ok(signups::table
        .filter(signups::member_id.eq(member_id))
        .order(signups::requested_ms.desc())
        .load(conn)?)
}

/// At the home: the member a host knows as `mref`, from a sign-up or a report made for them
/// there.
pub fn member_of_mref(
    conn: &mut AnyConnection,
    host: &str,
    mref: &str,
) -> StoreResult<Option<String>> {
    use super::schema::reports;
    let signed_up = signups::table
        .filter(signups::host_org.eq(host))
        .filter(signups::mref.eq(mref))
        .filter(signups::member_id.is_not_null())
        .select(signups::member_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    if signed_up.is_some() {
        return Ok(signed_up);
    }
    // Or a member who reported there (双报到): services they log, feedback on them.
    Ok(reports::table
        .filter(reports::community_org.eq(host))
        .filter(reports::mref.eq(mref))
        .filter(reports::member_id.is_not_null())
        .select(reports::member_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

// ---- check-ins ----------------------------------------------------------------------------

pub fn insert_checkin(conn: &mut AnyConnection, row: &CheckinRow) -> StoreResult<()> {
    diesel::insert_into(checkins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn update_checkin(conn: &mut AnyConnection, row: &CheckinRow) -> StoreResult<()> {
    diesel::update(checkins::table.find((&row.host_org, &row.id)))
        .set(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_checkin(
    conn: &mut AnyConnection,
    host: &str,
    id: &str,
) -> StoreResult<Option<CheckinRow>> {
    Ok(checkins::table.find((host, id)).first(conn).optional()?)
}

/// At the host: one member's check-ins here (as `mref`), oldest first.
pub fn checkins_of_mref(
    conn: &mut AnyConnection,
    host: &str,
    mref: &str,
) -> StoreResult<Vec<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::host_org.eq(host))
        .filter(checkins::mref.eq(mref))
        .order(checkins::checked_in_at.asc())
        .load(conn)?)
}

/// At the host: the check-ins of one activity.
pub fn checkins_for(
    conn: &mut AnyConnection,
    host: &str,
    activity: &str,
) -> StoreResult<Vec<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::host_org.eq(host))
        .filter(checkins::activity_id.eq(activity))
        .order(checkins::checked_in_at.asc())
        .load(conn)?)
}

/// At the host: check-ins still open (no check-out yet).
pub fn open_checkins(conn: &mut AnyConnection, host: &str) -> StoreResult<Vec<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::host_org.eq(host))
        .filter(checkins::checked_out_at.is_null())
        .load(conn)?)
}

/// At the home: a member's service record, every entry (superseded ones too), oldest first.
pub fn record_of(conn: &mut AnyConnection, member_id: &str) -> StoreResult<Vec<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::member_id.eq(member_id))
        .order(checkins::checked_in_at.asc())
        .load(conn)?)
}

/// At the home: every credited entry of every member (for the export), oldest first.
pub fn credited(conn: &mut AnyConnection) -> StoreResult<Vec<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::member_id.is_not_null())
        .filter(checkins::superseded.eq(false))
        .order(checkins::checked_in_at.asc())
        .load(conn)?)
}

/// At the home: the minutes credited to each member for check-ins from `since_s` on.
pub fn minutes_by_member_since(
    conn: &mut AnyConnection,
    since_s: i64,
) -> StoreResult<std::collections::HashMap<String, i64>> {
    let rows: Vec<(Option<String>, Option<i64>)> = checkins::table
        .filter(checkins::member_id.is_not_null())
        .filter(checkins::superseded.eq(false))
        .filter(checkins::checked_in_at.ge(since_s))
        .select((checkins::member_id, checkins::minutes))
        .load(conn)?;
    let mut by_member = std::collections::HashMap::new();
    for (member, minutes) in rows {
        if let Some(m) = member {
            *by_member.entry(m).or_insert(0) += minutes.unwrap_or(0);
        }
    }
    Ok(by_member)
}

pub fn supersede(conn: &mut AnyConnection, host: &str, id: &str) -> StoreResult<()> {
    diesel::update(checkins::table.find((host, id)))
        .set(checkins::superseded.eq(true))
        .execute(conn)?;
    Ok(())
}
