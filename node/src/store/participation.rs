//! Participation reports (PROTOCOL.md §10). At every producer: `participation_sent` (each
//! revision it sent, with its parts) and `need_escalations`, and the counts a report is made
//! of, read from the tables the journey writes. At the organisation department:
//! `participation_parts` (every part received, the evidence), the highest complete revision of
//! each report spread over `participation_current`, `_cells`, `_roots` and `_grids` for the
//! dashboard, and the cross-check (`participation_pairs`, `participation_flags`).

use diesel::prelude::*;

use super::activities::CheckinRow;
use super::schema::{
    activities, checkins, claims, emergencies, emergency_volunteers, members, need_escalations,
    needs, participation_cells, participation_current, participation_flags, participation_grids,
    participation_pairs, participation_parts, participation_roots, participation_sent, reports,
};
use super::{AnyConnection, StoreResult};
use crate::domain::status::{ActivityStatus, ClaimStatus, NeedStatus, ReportStatus};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_sent, treat_none_as_default_value = false)]
pub struct SentRow {
    pub side: String,
    pub period: String,
    pub period_start: i64,
    pub revision: i64,
    pub report_id: String,
    /// SHA-256 (hex) of the report's figures, to tell whether they changed.
    pub digest: String,
    /// The parts' JWS, one per line, in part order.
    pub jws: String,
    pub sent_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = need_escalations, treat_none_as_default_value = false)]
pub struct EscalationRow {
    pub need_id: String,
    pub escalated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_parts, treat_none_as_default_value = false)]
pub struct PartRow {
    pub iss: String,
    pub report_id: String,
    pub part: i64,
    pub side: String,
    pub period: String,
    pub period_start: i64,
    pub revision: i64,
    pub parts: i64,
    pub jti: String,
    /// The part's body (JSON), as verified.
    pub body: String,
    pub jws: String,
    pub received_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_current, treat_none_as_default_value = false)]
pub struct CurrentRow {
    pub iss: String,
    pub side: String,
    pub period: String,
    pub period_start: i64,
    pub revision: i64,
    pub report_id: String,
    pub k: i64,
    pub members: i64,
    pub members_reported: i64,
    pub members_active: i64,
    pub members_hosted: i64,
    pub reporting_members: i64,
    pub activities: i64,
    pub checkins: i64,
    pub minutes: i64,
    pub needs_fulfilled: i64,
    pub wishes_confirmed: i64,
    pub escalations: i64,
    pub emergency_posts: i64,
    pub emergency_posts_filled: i64,
    /// JSON list of seconds.
    pub fill_secs: String,
    pub received_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_cells, treat_none_as_default_value = false)]
pub struct CellRow {
    pub iss: String,
    pub side: String,
    pub period: String,
    pub period_start: i64,
    pub counterpart: String,
    pub category: String,
    pub mode: String,
    /// Below the sender's k: listed by key only, the figures are 0.
    pub suppressed: bool,
    pub members: i64,
    pub checkins: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_roots, treat_none_as_default_value = false)]
pub struct RootRow {
    pub iss: String,
    pub side: String,
    pub period: String,
    pub period_start: i64,
    pub counterpart: String,
    pub checkins: i64,
    pub root: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_grids, treat_none_as_default_value = false)]
pub struct GridCellRow {
    pub iss: String,
    pub period: String,
    pub period_start: i64,
    pub grid: String,
    pub category: String,
    pub members: i64,
    pub checkins: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_pairs, treat_none_as_default_value = false)]
pub struct PairRow {
    pub period: String,
    pub period_start: i64,
    pub home: String,
    pub host: String,
    /// `agree`, `differ` or `pending`.
    pub state: String,
    /// JSON list of the differences (empty unless `differ`).
    pub differences: String,
    /// JSON lists of the jtis of the parts compared, each side's.
    pub home_jtis: String,
    pub host_jtis: String,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = participation_flags, treat_none_as_default_value = false)]
pub struct FlagRow {
    pub id: String,
    pub period: String,
    pub period_start: i64,
    pub home: String,
    pub host: String,
    pub differences: String,
    pub home_jtis: String,
    pub host_jtis: String,
    pub raised_ms: i64,
    pub cleared_ms: Option<i64>,
}

/// A report's identity (§10.2) without its sender.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub side: &'a str,
    pub period: &'a str,
    pub period_start: i64,
}

// ---- At a producer -------------------------------------------------------------------------

/// The newest revision sent of a report.
pub fn last_sent(conn: &mut AnyConnection, id: Identity<'_>) -> StoreResult<Option<SentRow>> {
    Ok(participation_sent::table
        .filter(participation_sent::side.eq(id.side))
        .filter(participation_sent::period.eq(id.period))
        .filter(participation_sent::period_start.eq(id.period_start))
        .order(participation_sent::revision.desc())
        .first(conn)
        .optional()?)
}

pub fn insert_sent(conn: &mut AnyConnection, row: &SentRow) -> StoreResult<()> {
    diesel::insert_into(participation_sent::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// One of our needs went up to the street (once: a need at the street goes no higher).
pub fn record_escalation(conn: &mut AnyConnection, need_id: &str, at_ms: i64) -> StoreResult<()> {
    let known = need_escalations::table
        .find(need_id)
        .count()
        .get_result::<i64>(conn)?;
    if known == 0 {
        diesel::insert_into(need_escalations::table)
            .values(&EscalationRow {
                need_id: need_id.to_owned(),
                escalated_ms: at_ms,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Our needs escalated in [from_ms, to_ms).
pub fn escalations_between(conn: &mut AnyConnection, from_ms: i64, to_ms: i64) -> StoreResult<i64> {
    Ok(need_escalations::table
        .filter(need_escalations::escalated_ms.ge(from_ms))
        .filter(need_escalations::escalated_ms.lt(to_ms))
        .count()
        .get_result(conn)?)
}

/// At a host: the check-ins it attested (as it last attested them) that began in [from, to).
pub fn attested_between(
    conn: &mut AnyConnection,
    host: &str,
    from: i64,
    to: i64,
) -> StoreResult<Vec<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::host_org.eq(host))
        .filter(checkins::member_id.is_null())
        .filter(checkins::attestation.is_not_null())
        .filter(checkins::superseded.eq(false))
        .filter(checkins::checked_in_at.ge(from))
        .filter(checkins::checked_in_at.lt(to))
        .load(conn)?)
}

/// At a home: the check-ins it credited (the newest of each correction chain) that began in
/// [from, to).
pub fn credited_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> StoreResult<Vec<CheckinRow>> {
    Ok(checkins::table
        .filter(checkins::member_id.is_not_null())
        .filter(checkins::superseded.eq(false))
        .filter(checkins::checked_in_at.ge(from))
        .filter(checkins::checked_in_at.lt(to))
        .load(conn)?)
}

/// The grid of each of our activities (those with one).
pub fn activity_grids(
    conn: &mut AnyConnection,
    host: &str,
) -> StoreResult<std::collections::HashMap<String, String>> {
    let rows: Vec<(String, Option<String>)> = activities::table
        .filter(activities::host_org.eq(host))
        .filter(activities::grid.is_not_null())
        .select((activities::id, activities::grid))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, g)| Some((id, g?)))
        .collect())
}

/// Members on our file before `end_ms`.
pub fn members_before(conn: &mut AnyConnection, end_ms: i64) -> StoreResult<i64> {
    Ok(members::table
        .filter(members::created_ms.lt(end_ms))
        .count()
        .get_result(conn)?)
}

/// Distinct members of `home` with a 双报到 report accepted before `end_ms` and standing.
pub fn members_reported(conn: &mut AnyConnection, home: &str, end_ms: i64) -> StoreResult<i64> {
    let ids: Vec<Option<String>> = reports::table
        .filter(reports::home_org.eq(home))
        .filter(reports::status.eq(ReportStatus::Accepted))
        .filter(reports::decided_ms.lt(end_ms))
        .select(reports::member_id)
        .load(conn)?;
    let distinct: std::collections::HashSet<String> = ids.into_iter().flatten().collect();
    Ok(distinct.len() as i64)
}

/// 双报到 reports accepted here (a community) before `end_ms` and standing.
pub fn reporting_members(
    conn: &mut AnyConnection,
    community: &str,
    end_ms: i64,
) -> StoreResult<i64> {
    Ok(reports::table
        .filter(reports::community_org.eq(community))
        .filter(reports::status.eq(ReportStatus::Accepted))
        .filter(reports::decided_ms.lt(end_ms))
        .count()
        .get_result(conn)?)
}

/// Our activities that start in [from, to) and were not cancelled.
pub fn activities_between(
    conn: &mut AnyConnection,
    host: &str,
    from: i64,
    to: i64,
) -> StoreResult<i64> {
    Ok(activities::table
        .filter(activities::host_org.eq(host))
        .filter(activities::starts_at.ge(from))
        .filter(activities::starts_at.lt(to))
        .filter(activities::status.ne(ActivityStatus::Cancelled))
        .count()
        .get_result(conn)?)
}

/// Our needs fulfilled in [from_ms, to_ms), and of them the micro-wishes confirmed with a
/// claim (确认办结).
pub fn fulfilled_between(
    conn: &mut AnyConnection,
    org: &str,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<(i64, i64)> {
    let done: Vec<(String, Option<String>)> = needs::table
        .filter(needs::org_id.eq(org))
        .filter(needs::status.eq(NeedStatus::Fulfilled))
        .filter(needs::updated_ms.ge(from_ms))
        .filter(needs::updated_ms.lt(to_ms))
        .select((needs::id, needs::micro_wish))
        .load(conn)?;
    let wishes: Vec<String> = done
        .iter()
        .filter(|(_, w)| w.is_some())
        .map(|(id, _)| id.clone())
        .collect();
    let confirmed: Vec<String> = if wishes.is_empty() {
        Vec::new()
    } else {
        claims::table
            .filter(claims::need_org.eq(org))
            .filter(claims::need_id.eq_any(&wishes))
            .filter(claims::status.eq(ClaimStatus::Confirmed))
            .select(claims::need_id)
            .distinct()
            .load(conn)?
    };
    Ok((done.len() as i64, confirmed.len() as i64))
}

/// Our emergencies that start in [from, to): (id, starts_at, posts JSON).
pub fn emergencies_between(
    conn: &mut AnyConnection,
    declarer: &str,
    from: i64,
    to: i64,
) -> StoreResult<Vec<(String, i64, String)>> {
    Ok(emergencies::table
        .filter(emergencies::declarer_org.eq(declarer))
        .filter(emergencies::starts_at.ge(from))
        .filter(emergencies::starts_at.lt(to))
        .order((emergencies::starts_at.asc(), emergencies::id.asc()))
        .select((emergencies::id, emergencies::starts_at, emergencies::posts))
        .load(conn)?)
}

/// When each volunteer of an emergency said yes, by post: (post id, received ms), oldest first.
pub fn volunteer_times(
    conn: &mut AnyConnection,
    emergency_id: &str,
) -> StoreResult<Vec<(String, i64)>> {
    Ok(emergency_volunteers::table
        .filter(emergency_volunteers::emergency_id.eq(emergency_id))
        .select((
            emergency_volunteers::post_id,
            emergency_volunteers::received_ms,
        ))
        .order(emergency_volunteers::received_ms.asc())
        .load(conn)?)
}

// ---- At the organisation department -------------------------------------------------------

pub fn find_part(
    conn: &mut AnyConnection,
    iss: &str,
    report_id: &str,
    part: i64,
) -> StoreResult<Option<PartRow>> {
    Ok(participation_parts::table
        .find((iss, report_id, part))
        .first(conn)
        .optional()?)
}

/// The parts of one report held, in part order.
pub fn parts_of(conn: &mut AnyConnection, iss: &str, report_id: &str) -> StoreResult<Vec<PartRow>> {
    Ok(participation_parts::table
        .filter(participation_parts::iss.eq(iss))
        .filter(participation_parts::report_id.eq(report_id))
        .order(participation_parts::part.asc())
        .load(conn)?)
}

/// The highest revision held of a report of `iss` (any of its parts), with its report id.
pub fn highest_revision(
    conn: &mut AnyConnection,
    iss: &str,
    id: Identity<'_>,
) -> StoreResult<Option<(i64, String)>> {
    Ok(participation_parts::table
        .filter(participation_parts::iss.eq(iss))
        .filter(participation_parts::side.eq(id.side))
        .filter(participation_parts::period.eq(id.period))
        .filter(participation_parts::period_start.eq(id.period_start))
        .order(participation_parts::revision.desc())
        .select((
            participation_parts::revision,
            participation_parts::report_id,
        ))
        .first(conn)
        .optional()?)
}

pub fn insert_part(conn: &mut AnyConnection, row: &PartRow) -> StoreResult<()> {
    diesel::insert_into(participation_parts::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Replaces what the dashboard reads of one report with a newer complete revision.
pub fn replace_current(
    conn: &mut AnyConnection,
    current: &CurrentRow,
    cells: &[CellRow],
    roots: &[RootRow],
    grids: &[GridCellRow],
) -> StoreResult<()> {
    let (iss, side, period, start) = (
        current.iss.as_str(),
        current.side.as_str(),
        current.period.as_str(),
        current.period_start,
    );
    diesel::delete(participation_current::table.find((iss, side, period, start))).execute(conn)?;
    diesel::delete(
        participation_cells::table
            .filter(participation_cells::iss.eq(iss))
            .filter(participation_cells::side.eq(side))
            .filter(participation_cells::period.eq(period))
            .filter(participation_cells::period_start.eq(start)),
    )
    .execute(conn)?;
    diesel::delete(
        participation_roots::table
            .filter(participation_roots::iss.eq(iss))
            .filter(participation_roots::side.eq(side))
            .filter(participation_roots::period.eq(period))
            .filter(participation_roots::period_start.eq(start)),
    )
    .execute(conn)?;
    if side == "host" {
        diesel::delete(
            participation_grids::table
                .filter(participation_grids::iss.eq(iss))
                .filter(participation_grids::period.eq(period))
                .filter(participation_grids::period_start.eq(start)),
        )
        .execute(conn)?;
    }
    diesel::insert_into(participation_current::table)
        .values(current)
        .execute(conn)?;
    // SQLite binds at most 32,766 values a statement: 11 a cell, so batches of 1,000.
    for chunk in cells.chunks(1000) {
        crate::on_inner!(conn, |c| diesel::insert_into(participation_cells::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in roots.chunks(1000) {
        crate::on_inner!(conn, |c| diesel::insert_into(participation_roots::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in grids.chunks(1000) {
        crate::on_inner!(conn, |c| diesel::insert_into(participation_grids::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn current_of(
    conn: &mut AnyConnection,
    iss: &str,
    id: Identity<'_>,
) -> StoreResult<Option<CurrentRow>> {
    Ok(participation_current::table
        .find((iss, id.side, id.period, id.period_start))
        .first(conn)
        .optional()?)
}

/// The cells of `iss`'s current report of `id` naming `counterpart`.
pub fn cells_for(
    conn: &mut AnyConnection,
    iss: &str,
    id: Identity<'_>,
    counterpart: &str,
) -> StoreResult<Vec<CellRow>> {
    Ok(participation_cells::table
        .filter(participation_cells::iss.eq(iss))
        .filter(participation_cells::side.eq(id.side))
        .filter(participation_cells::period.eq(id.period))
        .filter(participation_cells::period_start.eq(id.period_start))
        .filter(participation_cells::counterpart.eq(counterpart))
        .load(conn)?)
}

pub fn root_for(
    conn: &mut AnyConnection,
    iss: &str,
    id: Identity<'_>,
    counterpart: &str,
) -> StoreResult<Option<RootRow>> {
    Ok(participation_roots::table
        .find((iss, id.side, id.period, id.period_start, counterpart))
        .first(conn)
        .optional()?)
}

/// The counterparts `iss`'s current report of `id` names (it has a root for each).
pub fn counterparts_of(
    conn: &mut AnyConnection,
    iss: &str,
    id: Identity<'_>,
) -> StoreResult<Vec<String>> {
    Ok(participation_roots::table
        .filter(participation_roots::iss.eq(iss))
        .filter(participation_roots::side.eq(id.side))
        .filter(participation_roots::period.eq(id.period))
        .filter(participation_roots::period_start.eq(id.period_start))
        .select(participation_roots::counterpart)
        .load(conn)?)
}

/// The organisations whose current report of `id` names `org` as counterpart.
pub fn naming(conn: &mut AnyConnection, id: Identity<'_>, org: &str) -> StoreResult<Vec<String>> {
    Ok(participation_roots::table
        .filter(participation_roots::side.eq(id.side))
        .filter(participation_roots::period.eq(id.period))
        .filter(participation_roots::period_start.eq(id.period_start))
        .filter(participation_roots::counterpart.eq(org))
        .select(participation_roots::iss)
        .load(conn)?)
}

/// The other side of each pair of one period `org` is recorded in, as `side` (`home` or
/// `host`): whatever its reports named before.
pub fn paired_with(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
    side: &str,
    org: &str,
) -> StoreResult<Vec<String>> {
    let q = participation_pairs::table
        .filter(participation_pairs::period.eq(period))
        .filter(participation_pairs::period_start.eq(start));
    Ok(if side == "home" {
        q.filter(participation_pairs::home.eq(org))
            .select(participation_pairs::host)
            .load(conn)?
    } else {
        q.filter(participation_pairs::host.eq(org))
            .select(participation_pairs::home)
            .load(conn)?
    })
}

pub fn delete_pair(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
    home: &str,
    host: &str,
) -> StoreResult<()> {
    diesel::delete(participation_pairs::table.find((period, start, home, host))).execute(conn)?;
    Ok(())
}

pub fn put_pair(conn: &mut AnyConnection, row: &PairRow) -> StoreResult<()> {
    diesel::delete(participation_pairs::table.find((
        row.period.as_str(),
        row.period_start,
        row.home.as_str(),
        row.host.as_str(),
    )))
    .execute(conn)?;
    diesel::insert_into(participation_pairs::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The flag of a pair not cleared yet, if any.
pub fn open_flag(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
    home: &str,
    host: &str,
) -> StoreResult<Option<FlagRow>> {
    Ok(participation_flags::table
        .filter(participation_flags::period.eq(period))
        .filter(participation_flags::period_start.eq(start))
        .filter(participation_flags::home.eq(home))
        .filter(participation_flags::host.eq(host))
        .filter(participation_flags::cleared_ms.is_null())
        .first(conn)
        .optional()?)
}

pub fn insert_flag(conn: &mut AnyConnection, row: &FlagRow) -> StoreResult<()> {
    diesel::insert_into(participation_flags::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn clear_flag(conn: &mut AnyConnection, id: &str, at_ms: i64) -> StoreResult<()> {
    diesel::update(participation_flags::table.find(id))
        .set(participation_flags::cleared_ms.eq(Some(at_ms)))
        .execute(conn)?;
    Ok(())
}

/// The current reports of the periods of kind `period` that began in [from, to).
pub fn current_between(
    conn: &mut AnyConnection,
    period: &str,
    from: i64,
    to: i64,
) -> StoreResult<Vec<CurrentRow>> {
    Ok(participation_current::table
        .filter(participation_current::period.eq(period))
        .filter(participation_current::period_start.ge(from))
        .filter(participation_current::period_start.lt(to))
        .load(conn)?)
}

/// A home cell, with only the columns the dashboard adds up.
#[derive(Debug, Clone, Queryable)]
pub struct HomeCell {
    pub iss: String,
    pub category: String,
    pub suppressed: bool,
    pub checkins: i64,
    pub minutes: i64,
}

/// A home report's totals for the series.
#[derive(Debug, Clone, Queryable)]
pub struct HomePoint {
    pub iss: String,
    pub period_start: i64,
    pub members_active: i64,
    pub checkins: i64,
    pub minutes: i64,
}

/// The home cells of the current reports of one period.
pub fn home_cells_of_period(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
) -> StoreResult<Vec<HomeCell>> {
    Ok(participation_cells::table
        .filter(participation_cells::period.eq(period))
        .filter(participation_cells::period_start.eq(start))
        .filter(participation_cells::side.eq("home"))
        .select((
            participation_cells::iss,
            participation_cells::category,
            participation_cells::suppressed,
            participation_cells::checkins,
            participation_cells::minutes,
        ))
        .load(conn)?)
}

/// The home totals of the periods that began in [from, to).
pub fn home_series(
    conn: &mut AnyConnection,
    period: &str,
    from: i64,
    to: i64,
) -> StoreResult<Vec<HomePoint>> {
    Ok(participation_current::table
        .filter(participation_current::period.eq(period))
        .filter(participation_current::period_start.ge(from))
        .filter(participation_current::period_start.lt(to))
        .filter(participation_current::side.eq("home"))
        .select((
            participation_current::iss,
            participation_current::period_start,
            participation_current::members_active,
            participation_current::checkins,
            participation_current::minutes,
        ))
        .load(conn)?)
}

/// The host grid rows of one period.
pub fn grids_of_period(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
) -> StoreResult<Vec<GridCellRow>> {
    Ok(participation_grids::table
        .filter(participation_grids::period.eq(period))
        .filter(participation_grids::period_start.eq(start))
        .load(conn)?)
}

/// The pairs of one period, by state.
pub fn pairs_of_period(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
) -> StoreResult<Vec<PairRow>> {
    Ok(participation_pairs::table
        .filter(participation_pairs::period.eq(period))
        .filter(participation_pairs::period_start.eq(start))
        .load(conn)?)
}

/// Every flag of one period, open ones first, newest first.
pub fn flags_of_period(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
) -> StoreResult<Vec<FlagRow>> {
    Ok(participation_flags::table
        .filter(participation_flags::period.eq(period))
        .filter(participation_flags::period_start.eq(start))
        .order(participation_flags::raised_ms.desc())
        .load(conn)?)
}

/// The part of a report received with message id `jti` (the evidence a flag names).
pub fn part_by_jti(conn: &mut AnyConnection, jti: &str) -> StoreResult<Option<PartRow>> {
    Ok(participation_parts::table
        .filter(participation_parts::jti.eq(jti))
        .first(conn)
        .optional()?)
}
