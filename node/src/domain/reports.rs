//! 双报到: a member reports to the community they live in. The home sends `report.submitted`
//! with the member's pairwise reference and only what they chose to share; the community
//! accepts or declines (`report.decided`, which the home keeps as the signed receipt, the
//! 报到证回执); the home may withdraw it (`report.withdrawn`), e.g. when the member moves.

use serde::{Deserialize, Serialize};
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{ReportDecided, ReportSubmitted, ReportWithdrawn};
use tongxin_schema::v1::text::{Note, Text};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::members;
use super::status::ReportStatus;
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list};
use crate::store::reports::{self as rows, ReportRow};
use crate::store::{AnyConnection, StoreResult, outbox};

/// A report to a community, and what the member shares with it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReportInput")]
pub struct NewReport {
    /// The community (its org id); the member's residence when absent.
    pub community: Option<OrgId>,
    /// Share how the member is addressed (称呼, default yes); never their full name.
    #[serde(default = "super::yes")]
    pub share_name: bool,
    /// Share the member's skills (default yes).
    #[serde(default = "super::yes")]
    pub share_skills: bool,
    /// Share the member's weekly availability (default yes).
    #[serde(default = "super::yes")]
    pub share_availability: bool,
}

/// The community's decision on a report.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReportDecisionInput")]
pub struct ReportDecision {
    pub accepted: bool,
    pub note: Option<Note>,
}

/// A withdrawal, e.g. because the member moved.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WithdrawReportInput")]
pub struct Withdrawal {
    pub reason: Option<Note>,
}

/// A member of ours reports to a community.
pub fn submit(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    i: NewReport,
) -> Result<ReportRow, ActionError> {
    let m = members::find(conn, member_id)?;
    let community = match i.community {
        Some(c) => c,
        None => m
            .residence_org
            .as_deref()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| {
                Invalid::field(
                    "community",
                    "the member has no residence community; name one",
                )
            })?,
    };
    let entry = actor
        .roster
        .org(&community)
        .ok_or_else(|| Invalid::field("community", format!("{community} is not on the roster")))?;
    if entry.kind != OrgKind::Community {
        return Err(Invalid::field(
            "community",
            format!(
                "{community} is a {}; members report to a community",
                entry.kind
            ),
        )
        .into());
    }
    if community == *actor.org() {
        return Err(Invalid::field(
            "community",
            "members of this community are at home here; there is nothing to report",
        )
        .into());
    }
    let mref = members::mref(conn, actor.org(), &community, member_id)?;
    if let Some(r) = rows::standing(conn, community.as_str(), &mref.to_string())? {
        return Err(Invalid::Conflict(format!(
            "{} has already reported to {} ({}, report {})",
            m.name, entry.name, r.status, r.id
        ))
        .into());
    }
    // One residence community at a time: moving house is a withdrawal and a new report.
    if let Some(r) = rows::of_member(conn, &m.id)?
        .into_iter()
        .find(|r| r.status.standing())
    {
        let there = actor
            .roster
            .orgs()
            .iter()
            .find(|o| o.id.as_str() == r.community_org)
            .map_or(r.community_org.clone(), |o| o.name.to_string());
        return Err(Invalid::Conflict(format!(
            "{} has reported to {there} ({}, report {}); withdraw that report first if the member moved",
            m.name, r.status, r.id
        ))
        .into());
    }
    let skills = if i.share_skills {
        serde_json::from_str(&m.skills).unwrap_or_default()
    } else {
        Vec::new()
    };
    let availability = if i.share_availability {
        serde_json::from_str(&m.availability).unwrap_or_default()
    } else {
        Vec::new()
    };
    // The grid only means something in the community the member lives in.
    let grid = (m.residence_org.as_deref() == Some(community.as_str()))
        .then(|| m.grid.clone())
        .flatten()
        .and_then(|g| Text::try_from(g).ok());
    let body = checked(ReportSubmitted {
        report_id: Uuid::now_v7(),
        member: mref.clone(),
        display_name: members::shared_name(&m, i.share_name),
        skills,
        availability,
        grid,
    })?;
    let row = submitted_row(actor.org(), &community, &body, Some(m.id), actor.now_ms);
    rows::insert(conn, &row)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(community),
        body,
    )?;
    Ok(row)
}

fn submitted_row(
    home: &OrgId,
    community: &OrgId,
    b: &ReportSubmitted,
    member_id: Option<String>,
    at_ms: i64,
) -> ReportRow {
    ReportRow {
        home_org: home.to_string(),
        id: b.report_id.to_string(),
        community_org: community.to_string(),
        mref: b.member.to_string(),
        member_id,
        display_name: b.display_name.as_ref().map(|n| n.to_string()),
        skills: json_list(&b.skills),
        availability: json_list(&b.availability),
        grid: b.grid.as_ref().map(|g| g.to_string()),
        status: ReportStatus::Pending,
        note: None,
        receipt: None,
        submitted_ms: at_ms,
        decided_ms: None,
    }
}

/// The community accepts or declines a report made to it.
pub fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    home: &OrgId,
    report_id: Uuid,
    d: ReportDecision,
) -> Result<ReportRow, ActionError> {
    let id = report_id.to_string();
    let mut r = rows::find(conn, home.as_str(), &id)?
        .filter(|r| r.community_org == actor.org().as_str())
        .ok_or_else(|| Invalid::NotFound(format!("report {home}/{id}")))?;
    if r.status != ReportStatus::Pending {
        return Err(Invalid::Conflict(format!("report {id} is {}", r.status)).into());
    }
    let member = r
        .mref
        .parse()
        .map_err(|e| crate::store::StoreError::Corrupt(format!("report {id}: {e}")))?;
    let body = checked(ReportDecided {
        report_id,
        member,
        accepted: d.accepted,
        note: d.note,
    })?;
    r.status = ReportStatus::decided(d.accepted);
    r.note = body.note.as_ref().map(|n| n.to_string());
    r.decided_ms = Some(actor.now_ms);
    rows::set_status(
        conn,
        home.as_str(),
        &id,
        r.status,
        r.note.as_deref(),
        None,
        actor.now_ms,
    )?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(home.clone()),
        body,
    )?;
    Ok(r)
}

/// The home withdraws one of its members' reports.
pub fn withdraw(
    conn: &mut AnyConnection,
    actor: &Actor,
    report_id: Uuid,
    w: Withdrawal,
) -> Result<ReportRow, ActionError> {
    let id = report_id.to_string();
    let mut r = rows::find(conn, actor.org().as_str(), &id)?
        .filter(|r| r.member_id.is_some())
        .ok_or_else(|| Invalid::NotFound(format!("report {id}")))?;
    if !r.status.standing() {
        return Err(Invalid::Conflict(format!("report {id} is {}", r.status)).into());
    }
    let community: OrgId = r
        .community_org
        .parse()
        .map_err(|e| crate::store::StoreError::Corrupt(format!("report {id}: {e}")))?;
    let member = r
        .mref
        .parse()
        .map_err(|e| crate::store::StoreError::Corrupt(format!("report {id}: {e}")))?;
    let body = checked(ReportWithdrawn {
        report_id,
        member,
        reason: w.reason,
    })?;
    r.status = ReportStatus::Withdrawn;
    r.note = body.reason.as_ref().map(|n| n.to_string());
    rows::set_status(
        conn,
        &r.home_org,
        &id,
        r.status,
        r.note.as_deref(),
        r.receipt.as_deref(),
        actor.now_ms,
    )?;
    r.decided_ms = Some(actor.now_ms);
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(community),
        body,
    )?;
    Ok(r)
}

impl Receive for ReportSubmitted {
    /// At the community: record the report, with only what the member shared.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.org) {
            return Ok(r.into());
        }
        let id = self.report_id.to_string();
        if rows::find(conn, from.org.as_str(), &id)?.is_some() {
            return Ok(
                Refusal::new("duplicate_report", format!("report {id} is known already")).into(),
            );
        }
        if let Some(r) = rows::standing(conn, from.me.as_str(), &self.member.to_string())? {
            return Ok(Refusal::new(
                "already_reported",
                format!(
                    "this member already reported here (report {}, {})",
                    r.id, r.status
                ),
            )
            .into());
        }
        rows::insert(
            conn,
            &submitted_row(from.org, from.me, self, None, from.at_ms),
        )?;
        Ok(Outcome::Applied)
    }
}

/// The report `home`/`id` made to `community`, as the message names it; a refusal otherwise.
fn reported(
    conn: &mut AnyConnection,
    home: &OrgId,
    community: &OrgId,
    id: Uuid,
    mref: &str,
) -> StoreResult<Result<ReportRow, Refusal>> {
    let id = id.to_string();
    Ok(match rows::find(conn, home.as_str(), &id)? {
        Some(r) if r.community_org == community.as_str() && r.mref == mref => Ok(r),
        Some(_) => Err(Refusal::new(
            "unknown_report",
            format!("report {id} was not made by {home} to {community} for this member"),
        )),
        None => Err(Refusal::new(
            "unknown_report",
            format!("no report {id} of {home}"),
        )),
    })
}

impl Receive for ReportDecided {
    /// At the home: the community's decision, kept as the signed receipt.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let r = match reported(
            conn,
            from.me,
            from.org,
            self.report_id,
            &self.member.to_string(),
        )? {
            Ok(r) => r,
            Err(refusal) => return Ok(refusal.into()),
        };
        if r.status != ReportStatus::Pending {
            return Ok(Refusal::new(
                "already_decided",
                format!("report {} is {} already", r.id, r.status),
            )
            .into());
        }
        rows::set_status(
            conn,
            &r.home_org,
            &r.id,
            ReportStatus::decided(self.accepted),
            self.note.as_ref().map(|n| n.as_str()),
            Some(from.jws),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}

impl Receive for ReportWithdrawn {
    /// At the community: the member no longer counts as reported here.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let r = match reported(
            conn,
            from.org,
            from.me,
            self.report_id,
            &self.member.to_string(),
        )? {
            Ok(r) => r,
            Err(refusal) => return Ok(refusal.into()),
        };
        if !r.status.standing() {
            return Ok(Refusal::new(
                "already_decided",
                format!("report {} is {} already", r.id, r.status),
            )
            .into());
        }
        rows::set_status(
            conn,
            &r.home_org,
            &r.id,
            ReportStatus::Withdrawn,
            self.reason.as_ref().map(|n| n.as_str()),
            None,
            from.at_ms,
        )?;
        // Teams are of members who report here (local to this community).
        crate::store::teams::leave_all(conn, &r.mref)?;
        Ok(Outcome::Applied)
    }
}

/// At a community: the report `home`/`id` received here, which must be accepted: a member who
/// reports here, whom pairings and teams may name.
pub fn accepted_here(
    conn: &mut AnyConnection,
    actor: &Actor,
    home: &OrgId,
    id: Uuid,
) -> Result<ReportRow, ActionError> {
    let r = rows::find(conn, home.as_str(), &id.to_string())?
        .filter(|r| r.community_org == actor.org().as_str())
        .ok_or_else(|| Invalid::field("report_id", "no such report here"))?;
    if r.status != ReportStatus::Accepted {
        return Err(Invalid::field(
            "report_id",
            format!("the report is {}: only members who report here", r.status),
        )
        .into());
    }
    Ok(r)
}

/// Reporting at the home: how many members reported where.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct ReportingStats {
    pub members: usize,
    /// Members with a pending or accepted report somewhere.
    pub reported: usize,
    /// Members with an accepted report.
    pub accepted: usize,
    pub by_community: Vec<CommunityCount>,
    pub by_department: Vec<DepartmentCount>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CommunityCount {
    pub community: String,
    pub pending: usize,
    pub accepted: usize,
    pub declined: usize,
    pub withdrawn: usize,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DepartmentCount {
    /// Empty for members without a department.
    pub department: String,
    pub members: usize,
    pub reported: usize,
}

/// Counts for the home's admins (reporting rate = reported / members).
pub fn stats(conn: &mut AnyConnection, home: &OrgId) -> StoreResult<ReportingStats> {
    use std::collections::{BTreeMap, HashSet};
    let all = crate::store::members::all(conn)?;
    let sent = rows::sent(conn, home.as_str())?;
    let reported: HashSet<&str> = sent
        .iter()
        .filter(|r| r.status.standing())
        .filter_map(|r| r.member_id.as_deref())
        .collect();
    let accepted: HashSet<&str> = sent
        .iter()
        .filter(|r| r.status == ReportStatus::Accepted)
        .filter_map(|r| r.member_id.as_deref())
        .collect();
    let mut by_community: BTreeMap<&str, CommunityCount> = BTreeMap::new();
    for r in &sent {
        let c = by_community
            .entry(&r.community_org)
            .or_insert_with(|| CommunityCount {
                community: r.community_org.clone(),
                pending: 0,
                accepted: 0,
                declined: 0,
                withdrawn: 0,
            });
        match r.status {
            ReportStatus::Pending => c.pending += 1,
            ReportStatus::Accepted => c.accepted += 1,
            ReportStatus::Declined => c.declined += 1,
            ReportStatus::Withdrawn => c.withdrawn += 1,
        }
    }
    let mut by_department: BTreeMap<&str, DepartmentCount> = BTreeMap::new();
    for m in &all {
        let d = m.department.as_deref().unwrap_or("");
        let e = by_department.entry(d).or_insert_with(|| DepartmentCount {
            department: d.to_owned(),
            members: 0,
            reported: 0,
        });
        e.members += 1;
        if reported.contains(m.id.as_str()) {
            e.reported += 1;
        }
    }
    Ok(ReportingStats {
        members: all.len(),
        reported: reported.len(),
        accepted: accepted.len(),
        by_community: by_community.into_values().collect(),
        by_department: by_department.into_values().collect(),
    })
}
