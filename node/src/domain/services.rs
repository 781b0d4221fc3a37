//! Service outside activities (服务登记) and the community's feedback (表现反馈), as the 双报到
//! systems in use do it: the community reviews what its reporting members did, and reports
//! back to their units.
//!
//! - A member records a service at home; the home sends `service.logged` to the community the
//!   member reported to (accepted report). The community approves it by attesting it like a
//!   check-in (`checkin.attested`, `checkin_id` = the service's id, no activity): the home
//!   credits it from that, and marks the log approved. Or it declines (`service.declined`).
//! - At the end of a period the community sends a reporting member's home `feedback.sent`:
//!   the minutes it attested and the activities in the period (counted from its own
//!   check-ins), a grade and its words. A later one for the same period replaces the earlier.

use serde::Deserialize;
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{CheckinAttested, FeedbackSent, ServiceDeclined, ServiceLogged};
use tongxin_schema::v1::taxonomy::{ActivityCategory, FeedbackGrade, Mode};
use tongxin_schema::v1::text::{Description, Note, Title};
use tongxin_schema::{MemberRef, OrgId};
use uuid::Uuid;

use super::members;
use super::status::{ReportStatus, ServiceStatus};
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked};
use crate::store::activities::{self as checkin_rows, CheckinRow};
use crate::store::services::{self as rows, FeedbackRow, ServiceLogRow};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox, reports};

/// A service a member did outside any activity.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ServiceLogInput")]
pub struct NewServiceLog {
    /// The community it was for: one the member reported to (accepted).
    pub community: OrgId,
    pub what: Title,
    pub category: ActivityCategory,
    /// The community's grid, if the member names one.
    pub grid: Option<tongxin_schema::v1::bodies::GridCode>,
    /// Unix seconds; no later than now.
    pub started_at: i64,
    pub ended_at: i64,
}

/// The community's decision on a logged service.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ServiceDecisionInput")]
pub struct ServiceDecision {
    pub approved: bool,
    pub note: Option<Note>,
}

/// The community's feedback on a reporting member for a period.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FeedbackInput")]
pub struct NewFeedback {
    /// Unix seconds: the period `[period_starts_at, period_ends_at)`.
    pub period_starts_at: i64,
    pub period_ends_at: i64,
    pub grade: FeedbackGrade,
    pub evaluation: Description,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

// ---- At the member's home ------------------------------------------------------------------

/// A member of ours logs a service for a community they reported to (and it accepted).
pub fn log(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    i: NewServiceLog,
) -> Result<ServiceLogRow, ActionError> {
    let m = members::find(conn, member_id)?;
    let now_s = actor.now_ms.div_euclid(1000);
    if i.ended_at <= i.started_at {
        return Err(Invalid::field("ended_at", "must be after the start").into());
    }
    if i.ended_at > now_s + tongxin_schema::envelope::MAX_CLOCK_SKEW_SECS {
        return Err(
            Invalid::field("ended_at", "lies in the future: log a service once done").into(),
        );
    }
    let reported = reports::of_member(conn, &m.id)?
        .into_iter()
        .any(|r| r.community_org == i.community.as_str() && r.status == ReportStatus::Accepted);
    if !reported {
        return Err(Invalid::field(
            "community",
            "the member has no accepted 双报到 report there: report first",
        )
        .into());
    }
    // Time already credited, or already logged and not declined, is not logged again: the
    // home would refuse the approval (overlapping_checkin) and the two sides would disagree.
    let overlaps = |from: i64, to: i64| from < i.ended_at && i.started_at < to;
    let credited = checkin_rows::record_of(conn, &m.id)?.into_iter().any(|c| {
        !c.superseded
            && c.checked_out_at
                .is_some_and(|out| overlaps(c.checked_in_at, out))
    });
    let logged = rows::logs_of_member(conn, &m.id)?
        .into_iter()
        .any(|l| l.status != ServiceStatus::Declined && overlaps(l.started_at, l.ended_at));
    if credited || logged {
        return Err(Invalid::field(
            "started_at",
            "overlaps service already credited or logged for this member",
        )
        .into());
    }
    let mref = members::mref(conn, actor.org(), &i.community, member_id)?;
    let minutes = (i.ended_at - i.started_at).div_euclid(60);
    let body = checked(ServiceLogged {
        service_id: Uuid::now_v7(),
        member: mref.clone(),
        what: i.what,
        category: i.category,
        grid: i.grid,
        started_at: i.started_at,
        ended_at: i.ended_at,
        minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
    })?;
    let row = logged_row(actor.org(), &i.community, &body, Some(m.id), actor.now_ms);
    rows::insert_log(conn, &row)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(i.community),
        body,
    )?;
    Ok(row)
}

fn logged_row(
    home: &OrgId,
    community: &OrgId,
    b: &ServiceLogged,
    member_id: Option<String>,
    at_ms: i64,
) -> ServiceLogRow {
    ServiceLogRow {
        home_org: home.to_string(),
        id: b.service_id.to_string(),
        community_org: community.to_string(),
        mref: b.member.to_string(),
        member_id,
        what: b.what.to_string(),
        category: <&str>::from(b.category).to_owned(),
        grid: b.grid.as_ref().map(|g| g.to_string()),
        started_at: b.started_at,
        ended_at: b.ended_at,
        minutes: i64::from(b.minutes),
        status: ServiceStatus::Pending,
        note: None,
        logged_ms: at_ms,
        decided_ms: None,
    }
}

/// At the home, after a `checkin.attested` without an activity was credited: if it approves a
/// service we logged with its sender (PROTOCOL.md §6.2: the same id and member, within the
/// logged times and minutes, routine, not closed by the host, no correction), the log is
/// approved, also after a decline (the community's later word counts). Anything else was an
/// ordinary attestation and leaves the log as it was.
pub fn approved_by_attestation(
    conn: &mut AnyConnection,
    me: &OrgId,
    community: &OrgId,
    a: &CheckinAttested,
    at_ms: i64,
) -> StoreResult<()> {
    let id = a.checkin_id.to_string();
    let Some(l) = rows::find_log(conn, me.as_str(), &id)? else {
        return Ok(());
    };
    let approves = l.community_org == community.as_str()
        && l.mref == a.member.to_string()
        && l.status != ServiceStatus::Approved
        && a.checked_in_at >= l.started_at
        && a.checked_out_at <= l.ended_at
        && i64::from(a.minutes) <= l.minutes
        && a.mode == Mode::Routine
        && !a.closed_by_host
        && a.corrects.is_none();
    if approves {
        rows::decide_log(conn, me.as_str(), &id, ServiceStatus::Approved, None, at_ms)?;
    }
    Ok(())
}

impl Receive for ServiceDeclined {
    /// At the home: the community declined a service we logged with it.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.me) {
            return Ok(r.into());
        }
        let id = self.service_id.to_string();
        let Some(l) = rows::find_log(conn, from.me.as_str(), &id)?
            .filter(|l| l.community_org == from.org.as_str() && l.mref == self.member.to_string())
        else {
            return Ok(Refusal::new(
                "unknown_service",
                format!(
                    "no service {id} of this member was logged with {}",
                    from.org
                ),
            )
            .into());
        };
        if l.status != ServiceStatus::Pending {
            return Ok(Refusal::new(
                "already_decided",
                format!("service {id} is {} already", l.status),
            )
            .into());
        }
        rows::decide_log(
            conn,
            from.me.as_str(),
            &id,
            ServiceStatus::Declined,
            self.reason.as_ref().map(|r| r.as_str()),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}

impl Receive for FeedbackSent {
    /// At the home: the community's feedback on one of our members, kept with its signature.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.me) {
            return Ok(r.into());
        }
        let (community, id, mref) = (
            from.org.as_str(),
            self.feedback_id.to_string(),
            self.member.to_string(),
        );
        if rows::find_feedback(conn, community, &id)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_feedback",
                format!("feedback {id} of {community} is known already"),
            )
            .into());
        }
        let Some(member_id) = checkin_rows::member_of_mref(conn, community, &mref)? else {
            return Ok(Refusal::new(
                "unknown_member",
                format!("{community} names a member this node never sent there"),
            )
            .into());
        };
        rows::insert_feedback(
            conn,
            &FeedbackRow {
                community_org: community.to_owned(),
                id,
                mref,
                member_id: Some(member_id),
                period_starts_at: self.period_starts_at,
                period_ends_at: self.period_ends_at,
                minutes: i64::from(self.minutes),
                activities: i64::from(self.activities),
                grade: <&str>::from(self.grade).to_owned(),
                evaluation: self.evaluation.to_string(),
                superseded: false,
                document: from.jws.to_owned(),
                sent_ms: from.at_ms,
            },
        )?;
        Ok(Outcome::Applied)
    }
}

// ---- At the community ----------------------------------------------------------------------

impl Receive for ServiceLogged {
    /// At the community: a service logged by a member who reports here, waiting for review.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.org) {
            return Ok(r.into());
        }
        let (me, id, mref) = (
            from.me.as_str(),
            self.service_id.to_string(),
            self.member.to_string(),
        );
        let reports = reports::received_from(conn, me, &mref)?;
        if reports.is_empty() {
            return Ok(Refusal::new(
                "unknown_member",
                format!("{} never reported this member here", from.org),
            )
            .into());
        }
        if !reports.iter().any(|r| r.status == ReportStatus::Accepted) {
            return Ok(
                Refusal::new("not_reported", "the member's report here is not accepted").into(),
            );
        }
        if rows::find_log(conn, from.org.as_str(), &id)?.is_some()
            || checkin_rows::find_checkin(conn, me, &id)?.is_some()
        {
            return Ok(Refusal::new(
                "duplicate_service",
                format!("service {id} is known already"),
            )
            .into());
        }
        rows::insert_log(conn, &logged_row(from.org, from.me, self, None, from.at_ms))?;
        Ok(Outcome::Applied)
    }
}

/// The community approves a logged service (attesting it like a check-in, which credits it at
/// the member's home) or declines it.
pub fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    home: &OrgId,
    id: Uuid,
    d: ServiceDecision,
) -> Result<ServiceLogRow, ActionError> {
    let me = actor.org().as_str();
    let mut l = rows::find_log(conn, home.as_str(), &id.to_string())?
        .filter(|l| l.community_org == me)
        .ok_or_else(|| Invalid::NotFound(format!("service {id} from {home}")))?;
    if l.status != ServiceStatus::Pending {
        return Err(Invalid::Conflict(format!("service {id} is {} already", l.status)).into());
    }
    let member: MemberRef = l.mref.parse().map_err(|e| corrupt("service log", e))?;
    if d.approved {
        let category: ActivityCategory =
            l.category.parse().map_err(|e| corrupt("service log", e))?;
        let body = checked(CheckinAttested {
            checkin_id: id,
            member,
            activity_id: None,
            category,
            checked_in_at: l.started_at,
            checked_out_at: l.ended_at,
            minutes: u32::try_from(l.minutes).unwrap_or(0),
            mode: Mode::Routine,
            corrects: None,
            closed_by_host: false,
        })?;
        let (_, jws) = outbox::enqueue(
            conn,
            actor.signer,
            actor.now_ms,
            Audience::Org(home.clone()),
            body,
        )?;
        checkin_rows::insert_checkin(
            conn,
            &CheckinRow {
                host_org: me.to_owned(),
                id: id.to_string(),
                activity_id: None,
                mref: l.mref.clone(),
                member_id: None,
                category: l.category.clone(),
                mode: <&str>::from(Mode::Routine).to_owned(),
                checked_in_at: l.started_at,
                checked_out_at: Some(l.ended_at),
                minutes: Some(l.minutes),
                closed_by_host: false,
                corrects: None,
                superseded: false,
                attestation: Some(jws),
                created_ms: actor.now_ms,
            },
        )?;
        l.status = ServiceStatus::Approved;
    } else {
        let body = checked(ServiceDeclined {
            service_id: id,
            member,
            reason: d.note.clone(),
        })?;
        outbox::enqueue(
            conn,
            actor.signer,
            actor.now_ms,
            Audience::Org(home.clone()),
            body,
        )?;
        l.status = ServiceStatus::Declined;
    }
    l.note = d.note.map(|n| n.to_string());
    l.decided_ms = Some(actor.now_ms);
    rows::decide_log(
        conn,
        home.as_str(),
        &l.id,
        l.status,
        l.note.as_deref(),
        actor.now_ms,
    )?;
    Ok(l)
}

/// The community sends a reporting member's home its feedback for a period: the minutes it
/// attested and the activities the member was checked in at, from its own records, with the
/// grade and words its staff give. `report` names the member by their report here.
pub fn send_feedback(
    conn: &mut AnyConnection,
    actor: &Actor,
    home: &OrgId,
    report_id: Uuid,
    f: NewFeedback,
) -> Result<FeedbackRow, ActionError> {
    let me = actor.org().as_str();
    let r = reports::find(conn, home.as_str(), &report_id.to_string())?
        .filter(|r| r.community_org == me)
        .ok_or_else(|| Invalid::NotFound(format!("report {report_id} from {home}")))?;
    if r.status != ReportStatus::Accepted {
        return Err(Invalid::Conflict(format!(
            "report {report_id} is {}: feedback is for members who report here",
            r.status
        ))
        .into());
    }
    if f.period_ends_at <= f.period_starts_at {
        return Err(Invalid::field("period_ends_at", "must be after the start").into());
    }
    let member: MemberRef = r.mref.parse().map_err(|e| corrupt("report", e))?;
    let served: Vec<CheckinRow> = checkin_rows::checkins_of_mref(conn, me, &r.mref)?
        .into_iter()
        .filter(|c| (f.period_starts_at..f.period_ends_at).contains(&c.checked_in_at))
        .filter(|c| c.attestation.is_some())
        .collect();
    let minutes: i64 = served.iter().filter_map(|c| c.minutes).sum();
    let activities = served
        .iter()
        .filter_map(|c| c.activity_id.as_deref())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let body = checked(FeedbackSent {
        feedback_id: Uuid::now_v7(),
        member,
        period_starts_at: f.period_starts_at,
        period_ends_at: f.period_ends_at,
        minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
        activities: u32::try_from(activities).unwrap_or(u32::MAX),
        grade: f.grade,
        evaluation: f.evaluation,
    })?;
    let (_, jws) = outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(home.clone()),
        body.clone(),
    )?;
    let row = FeedbackRow {
        community_org: me.to_owned(),
        id: body.feedback_id.to_string(),
        mref: r.mref,
        member_id: None,
        period_starts_at: body.period_starts_at,
        period_ends_at: body.period_ends_at,
        minutes: i64::from(body.minutes),
        activities: i64::from(body.activities),
        grade: <&str>::from(body.grade).to_owned(),
        evaluation: body.evaluation.to_string(),
        superseded: false,
        document: jws,
        sent_ms: actor.now_ms,
    };
    rows::insert_feedback(conn, &row)?;
    Ok(row)
}
