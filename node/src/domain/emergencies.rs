//! 平时 / 急时: a street or community declares an emergency with posts and the area it covers
//! (`emergency.declared`). Every organisation that receives it calls its emergency-ready members
//! who live or work in the area: first, for each post, those with its skills (A holders); where none of
//! them said yes in time, the others (B holders). A yes goes to the declarer as
//! `emergency.volunteered` (a pairwise member reference only), where the posts fill until the
//! declarer closes the emergency (`emergency.closed`); the time each post took to fill is kept.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use tongxin_schema::envelope::Audience;
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::bodies::{
    EmergencyClosed, EmergencyDeclared, EmergencyPost, EmergencyVolunteered, GridCode,
};
use tongxin_schema::v1::taxonomy::{PostRole, Skill};
use tongxin_schema::v1::text::{Description, Note, Text, Title};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list};
use crate::store::emergencies::{self as rows, CallRow, EmergencyRow, VolunteerRow};
use crate::store::members::{self as member_rows, MemberRow};
use crate::store::{AnyConnection, StoreResult, outbox};

/// How long A holders have to answer when the declarer does not say: ten minutes.
pub const DEFAULT_ANSWER_WITHIN_SECS: u32 = 600;

/// An emergency as staff declare it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EmergencyInput")] // the name API clients know from the OpenAPI document
pub struct NewEmergency {
    pub title: Title,
    #[serde(default)]
    pub description: Description,
    /// The area; a community's own, or every community under a street, when absent.
    pub communities: Option<Vec<OrgId>>,
    #[serde(default)]
    pub grids: Vec<GridCode>,
    /// At least one.
    #[serde(default)]
    pub posts: Vec<NewPost>,
    /// Unix seconds; now when absent.
    pub starts_at: Option<i64>,
    /// Ten minutes when absent.
    pub answer_within_secs: Option<u32>,
}

/// A post of an emergency as staff enter it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EmergencyPostInput")]
pub struct NewPost {
    pub title: Text<1, 100>,
    pub headcount: u32,
    #[serde(default)]
    pub skills: Vec<Skill>,
}

/// A member's answer to a call, or staff's on their behalf.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CallAnswerInput")]
pub struct Answer {
    pub available: bool,
}

/// Why an emergency is closed.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EmergencyCloseInput")]
pub struct Closing {
    pub summary: Option<Note>,
}

/// A member who said yes, as the declarer knows them: a pairwise reference and how to address
/// them, never a name.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Volunteer {
    pub mref: String,
    pub home_org: String,
    /// `A` or `B`.
    pub role: String,
    pub display_name: Option<String>,
    pub skills: Vec<Skill>,
    pub received_ms: i64,
}

impl From<VolunteerRow> for Volunteer {
    fn from(v: VolunteerRow) -> Volunteer {
        Volunteer {
            skills: serde_json::from_str(&v.skills).unwrap_or_default(),
            mref: v.mref,
            home_org: v.home_org,
            role: v.role,
            display_name: v.display_name,
            received_ms: v.received_ms,
        }
    }
}

/// One post of an emergency at its declarer: who volunteered, and when it filled.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PostFill {
    pub post_id: String,
    pub title: String,
    pub headcount: u32,
    pub skills: Vec<Skill>,
    /// Volunteers, in arrival order; those beyond the headcount are the reserve.
    pub volunteers: Vec<Volunteer>,
    /// When the headcount was reached, Unix ms.
    pub filled_ms: Option<i64>,
    /// From the declaration to `filled_ms`, seconds.
    pub seconds_to_fill: Option<i64>,
}

pub fn posts_of(e: &EmergencyRow) -> Vec<EmergencyPost> {
    serde_json::from_str(&e.posts).unwrap_or_default()
}

fn communities_of(e: &EmergencyRow) -> Vec<String> {
    serde_json::from_str(&e.communities).unwrap_or_default()
}

/// The posts of one of our emergencies as they fill.
pub fn fill(conn: &mut AnyConnection, e: &EmergencyRow) -> StoreResult<Vec<PostFill>> {
    let all = rows::volunteers(conn, &e.id)?;
    Ok(posts_of(e)
        .into_iter()
        .map(|p| {
            let post_id = p.post_id.to_string();
            let volunteers: Vec<Volunteer> = all
                .iter()
                .filter(|v| v.post_id == post_id)
                .cloned()
                .map(Volunteer::from)
                .collect();
            let filled_ms = usize::try_from(p.headcount)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| volunteers.get(i))
                .map(|v| v.received_ms);
            PostFill {
                post_id,
                title: p.title.to_string(),
                headcount: p.headcount,
                skills: p.skills,
                volunteers,
                filled_ms,
                seconds_to_fill: filled_ms.map(|f| (f - e.declared_ms).max(0) / 1000),
            }
        })
        .collect())
}

/// Whether `from` (of `kind`) may mobilise `communities`: a community itself, a street the
/// communities under it, the organisation department any.
fn check_area(
    roster: &Roster,
    from: &OrgId,
    kind: OrgKind,
    communities: &[OrgId],
) -> Result<(), Refusal> {
    for c in communities {
        let Some(o) = roster.org(c).filter(|o| o.kind == OrgKind::Community) else {
            return Err(Refusal::new(
                "unknown_org",
                format!("{c} is not a community on the roster"),
            ));
        };
        let allowed = match kind {
            OrgKind::Community => c == from,
            OrgKind::Street => o.parent.as_ref() == Some(from),
            OrgKind::OrgDepartment => true,
            _ => false,
        };
        if !allowed {
            return Err(Refusal::new(
                "bad_area",
                format!(
                    "{from} does not mobilise {c}: a community declares for itself, a street for the communities under it"
                ),
            ));
        }
    }
    Ok(())
}

fn row_of(from: &OrgId, e: &EmergencyDeclared, at_ms: i64) -> EmergencyRow {
    EmergencyRow {
        declarer_org: from.to_string(),
        id: e.emergency_id.to_string(),
        title: e.title.to_string(),
        description: e.description.to_string(),
        communities: serde_json::to_string(&e.communities).unwrap_or_else(|_| "[]".into()),
        grids: json_list(&e.grids),
        posts: serde_json::to_string(&e.posts).unwrap_or_else(|_| "[]".into()),
        starts_at: e.starts_at,
        answer_within_secs: i64::from(e.answer_within_secs),
        declared_ms: at_ms,
        b_called_ms: None,
        closed_ms: None,
        summary: None,
    }
}

// ---- At the declarer ------------------------------------------------------------------------

/// Declares an emergency (急时) and broadcasts it.
pub fn declare(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewEmergency,
) -> Result<EmergencyRow, ActionError> {
    let me = actor.org();
    let kind = actor.signer.kind();
    let communities = match i.communities {
        Some(c) if !c.is_empty() => c,
        _ => match kind {
            OrgKind::Community => vec![me.clone()],
            OrgKind::Street => actor
                .roster
                .orgs()
                .iter()
                .filter(|o| o.kind == OrgKind::Community && o.parent.as_ref() == Some(me))
                .map(|o| o.id.clone())
                .collect(),
            _ => Vec::new(),
        },
    };
    if !matches!(
        kind,
        OrgKind::Community | OrgKind::Street | OrgKind::OrgDepartment
    ) {
        return Err(Invalid::Forbidden(
            "only a street, a community or the organisation department declares an emergency"
                .into(),
        )
        .into());
    }
    check_area(actor.roster, me, kind, &communities)
        .map_err(|r| Invalid::field("communities", r.reason))?;
    let body = checked(EmergencyDeclared {
        emergency_id: Uuid::now_v7(),
        title: i.title,
        description: i.description,
        communities,
        grids: i.grids,
        posts: i
            .posts
            .into_iter()
            .map(|p| EmergencyPost {
                post_id: Uuid::now_v7(),
                title: p.title,
                headcount: p.headcount,
                skills: p.skills,
            })
            .collect(),
        starts_at: i.starts_at.unwrap_or(actor.now_ms / 1000),
        answer_within_secs: i.answer_within_secs.unwrap_or(DEFAULT_ANSWER_WITHIN_SECS),
    })?;
    // From the second the message is signed in (`iat`), as every receiver counts it.
    let row = row_of(me, &body, actor.now_ms / 1000 * 1000);
    rows::insert(conn, &row)?;
    // Our own members are called too: our broadcast does not come back to us (§7.4).
    call_a_holders(conn, &row, actor.now_ms)?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
    Ok(row)
}

/// Closes one of our emergencies; the alliance stops calling for it.
pub fn close(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    c: Closing,
) -> Result<EmergencyRow, ActionError> {
    let me = actor.org().as_str();
    let mut e = rows::find(conn, me, &id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("emergency {id} of this organisation")))?;
    if e.closed_ms.is_some() {
        return Err(Invalid::Conflict(format!("emergency {id} is closed already")).into());
    }
    let summary = c.summary.as_ref().map(|s| s.to_string());
    rows::close(conn, me, &e.id, summary.as_deref(), actor.now_ms)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::All,
        EmergencyClosed {
            emergency_id: id,
            summary: c.summary,
        },
    )?;
    e.closed_ms = Some(actor.now_ms);
    e.summary = summary;
    Ok(e)
}

/// A home sends a member who said yes.
impl Receive for EmergencyVolunteered {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if self.member.home() != from.org {
            return Ok(Refusal::new(
                "not_home",
                format!("{} is not a member of {}", self.member, from.org),
            )
            .into());
        }
        let id = self.emergency_id.to_string();
        let Some(e) = rows::find(conn, from.me.as_str(), &id)? else {
            return Ok(Refusal::new(
                "unknown_emergency",
                format!("{} declared no emergency {id}", from.me),
            )
            .into());
        };
        if e.closed_ms.is_some() {
            return Ok(
                Refusal::new("emergency_closed", format!("emergency {id} is closed")).into(),
            );
        }
        if !posts_of(&e).iter().any(|p| p.post_id == self.post_id) {
            return Ok(Refusal::new(
                "unknown_post",
                format!("emergency {id} has no post {}", self.post_id),
            )
            .into());
        }
        let mref = self.member.to_string();
        if rows::find_volunteer(conn, &id, &mref)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_volunteer",
                format!("{mref} volunteered for emergency {id} already"),
            )
            .into());
        }
        rows::insert_volunteer(
            conn,
            &VolunteerRow {
                emergency_id: id,
                mref,
                home_org: from.org.to_string(),
                post_id: self.post_id.to_string(),
                role: super::signups::role_name(self.role),
                display_name: self.display_name.as_ref().map(|d| d.to_string()),
                skills: json_list(&self.skills),
                received_ms: from.at_ms,
            },
        )?;
        Ok(Outcome::Applied)
    }
}

// ---- At every organisation (as the home of members) ----------------------------------------

/// Our emergency-ready members who live or work in the emergency's area.
fn ready_in_area(conn: &mut AnyConnection, e: &EmergencyRow) -> StoreResult<Vec<MemberRow>> {
    let communities: HashSet<String> = communities_of(e).into_iter().collect();
    let grids: HashSet<String> = serde_json::from_str(&e.grids).unwrap_or_default();
    // A member whose grid there is not recorded is called: better one call too many.
    let within = |org: &Option<String>, grid: &Option<String>| {
        org.as_ref().is_some_and(|o| communities.contains(o))
            && (grids.is_empty() || grid.as_ref().is_none_or(|g| grids.contains(g)))
    };
    Ok(member_rows::all(conn)?
        .into_iter()
        .filter(|m| {
            m.emergency_ready
                && (within(&m.residence_org, &m.grid) || within(&m.work_org, &m.work_grid))
        })
        .collect())
}

fn skills_of(m: &MemberRow) -> Vec<Skill> {
    serde_json::from_str(&m.skills).unwrap_or_default()
}

fn call(e: &EmergencyRow, m: &MemberRow, post: Uuid, role: PostRole, at_ms: i64) -> CallRow {
    CallRow {
        declarer_org: e.declarer_org.clone(),
        emergency_id: e.id.clone(),
        member_id: m.id.clone(),
        post_id: post.to_string(),
        role: super::signups::role_name(role),
        called_ms: at_ms,
        answered_ms: None,
        available: None,
    }
}

/// Calls our ready members in the area as the A holders of the first post whose skills they
/// have (of any post that asks for no skill).
fn call_a_holders(conn: &mut AnyConnection, e: &EmergencyRow, at_ms: i64) -> StoreResult<usize> {
    let posts = posts_of(e);
    let calls: Vec<CallRow> = ready_in_area(conn, e)?
        .iter()
        .filter_map(|m| {
            let skills = skills_of(m);
            posts
                .iter()
                .find(|p| p.skills.is_empty() || p.skills.iter().any(|s| skills.contains(s)))
                .map(|p| call(e, m, p.post_id, PostRole::A, at_ms))
        })
        .collect();
    rows::insert_calls(conn, &calls)?;
    Ok(calls.len())
}

/// An emergency was declared: we call our members in its area.
impl Receive for EmergencyDeclared {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let id = self.emergency_id.to_string();
        if rows::find(conn, from.org.as_str(), &id)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_emergency",
                format!("{} declared emergency {id} already", from.org),
            )
            .into());
        }
        if let Err(r) = check_area(from.roster, from.org, from.kind, &self.communities) {
            return Ok(r.into());
        }
        let e = row_of(from.org, self, from.at_ms);
        rows::insert(conn, &e)?;
        call_a_holders(conn, &e, from.at_ms)?;
        Ok(Outcome::Applied)
    }
}

impl Receive for EmergencyClosed {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let id = self.emergency_id.to_string();
        let Some(e) = rows::find(conn, from.org.as_str(), &id)? else {
            return Ok(Refusal::new(
                "unknown_emergency",
                format!("{} declared no emergency {id}", from.org),
            )
            .into());
        };
        if e.closed_ms.is_some() {
            return Ok(Refusal::new("already_ended", format!("emergency {id} is closed")).into());
        }
        rows::close(
            conn,
            from.org.as_str(),
            &id,
            self.summary.as_ref().map(|s| s.as_str()),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}

/// Where no A holder of a post said yes in time, its B holders are called: our ready members
/// in the area not called yet, up to the post's headcount. Returns how many were called.
pub fn call_backups(conn: &mut AnyConnection, actor: &Actor) -> Result<usize, ActionError> {
    let mut called = 0;
    for e in rows::due_for_backups(conn, actor.now_ms)? {
        let calls = rows::calls(conn, &e.declarer_org, &e.id)?;
        let mut taken: HashSet<String> = calls.iter().map(|c| c.member_id.clone()).collect();
        let mut spare = ready_in_area(conn, &e)?
            .into_iter()
            .filter(|m| !taken.contains(&m.id))
            .collect::<Vec<_>>()
            .into_iter();
        let mut new = Vec::new();
        for p in posts_of(&e) {
            let post = p.post_id.to_string();
            let answered = calls
                .iter()
                .any(|c| c.post_id == post && c.role == "A" && c.available == Some(true));
            if answered {
                continue;
            }
            for m in spare.by_ref().take(p.headcount as usize) {
                taken.insert(m.id.clone());
                new.push(call(&e, &m, p.post_id, PostRole::B, actor.now_ms));
            }
        }
        rows::insert_calls(conn, &new)?;
        rows::set_b_called(conn, &e.declarer_org, &e.id, actor.now_ms)?;
        called += new.len();
    }
    Ok(called)
}

/// A member (or staff for them) answers a call; a yes goes to the declarer.
pub fn answer(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    declarer: &OrgId,
    emergency_id: Uuid,
    a: Answer,
) -> Result<CallRow, ActionError> {
    let (member, id) = (member_id.to_string(), emergency_id.to_string());
    let e = rows::find(conn, declarer.as_str(), &id)?
        .ok_or_else(|| Invalid::NotFound(format!("emergency {declarer}/{id}")))?;
    let mut c = rows::calls(conn, declarer.as_str(), &id)?
        .into_iter()
        .find(|c| c.member_id == member)
        .ok_or_else(|| Invalid::NotFound(format!("a call of this member for emergency {id}")))?;
    if e.closed_ms.is_some() {
        return Err(Invalid::Conflict(format!("emergency {id} is closed")).into());
    }
    if c.answered_ms.is_some() {
        return Err(Invalid::Conflict("this call is answered already".into()).into());
    }
    rows::answer(
        conn,
        declarer.as_str(),
        &id,
        &member,
        a.available,
        actor.now_ms,
    )?;
    if a.available {
        let m = member_rows::find(conn, &member)?
            .ok_or_else(|| Invalid::NotFound(format!("member {member}")))?;
        let post_id = c
            .post_id
            .parse()
            .map_err(|_| Invalid::NotFound("post".into()))?;
        let role = if c.role == "B" {
            PostRole::B
        } else {
            PostRole::A
        };
        let body = checked(EmergencyVolunteered {
            emergency_id,
            member: super::members::mref(conn, actor.org(), declarer, member_id)?,
            post_id,
            role,
            display_name: Text::new(super::members::addressed_as(&m)).ok(),
            skills: skills_of(&m),
        })?;
        if declarer == actor.org() {
            // One of our own members, for our own emergency: no message to send.
            rows::insert_volunteer(
                conn,
                &VolunteerRow {
                    emergency_id: id,
                    mref: body.member.to_string(),
                    home_org: declarer.to_string(),
                    post_id: c.post_id.clone(),
                    role: c.role.clone(),
                    display_name: body.display_name.as_ref().map(|d| d.to_string()),
                    skills: json_list(&body.skills),
                    received_ms: actor.now_ms,
                },
            )?;
        } else {
            outbox::enqueue(
                conn,
                actor.signer,
                actor.now_ms,
                Audience::Org(declarer.clone()),
                body,
            )?;
        }
    }
    c.available = Some(a.available);
    c.answered_ms = Some(actor.now_ms);
    Ok(c)
}
