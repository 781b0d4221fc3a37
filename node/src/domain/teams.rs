//! Volunteer teams (红色帮帮团, 老帮老, 共享爷爷奶奶 …) sign up together. A community keeps its
//! teams: members of several organisations who report there, named by their reports. Its staff
//! invite a whole team to one of its activities (`signup.invited`, one per member, to each
//! member's home); each member answers at home, and accepting is an ordinary sign-up
//! (`signup.requested`), which the community places as any other. The team's membership never
//! leaves the community; a home learns only that its member was invited, with the team's name.

use serde::Deserialize;
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::SignupInvited;
use tongxin_schema::v1::text::{Description, Note, Text};
use tongxin_schema::{MemberRef, OrgId};
use uuid::Uuid;

use super::signups::{self, Proposal, open_activity};
use super::status::{InvitationStatus, ReportStatus};
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked};
use crate::store::activities::{self as activity_rows, SignupRow, member_of_mref};
use crate::store::teams::{self as rows, InvitationRow, TeamMemberRow, TeamRow};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox, reports};

/// A volunteer team the community forms.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TeamInput")]
pub struct NewTeam {
    /// e.g. `红色帮帮团`, `老帮老`, `共享爷爷奶奶`.
    pub name: Text<1, 64>,
    #[serde(default)]
    pub description: Description,
}

/// A member of a team, named by their accepted report at the community.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TeamMemberInput")]
pub struct TeamMember {
    /// The member's home.
    pub home: OrgId,
    pub report_id: Uuid,
}

/// Invite the whole team to one of the community's activities.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TeamInvitationInput")]
pub struct TeamInvitation {
    pub activity_id: Uuid,
    pub note: Option<Note>,
    /// Invite again the members who have not answered an earlier invitation (a decline is not
    /// sent back, so the community cannot tell it from silence).
    #[serde(default)]
    pub again: bool,
}

const COMMUNITY_ONLY: &str = "keeps volunteer teams of the members who report there";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn team(conn: &mut AnyConnection, id: Uuid) -> Result<TeamRow, ActionError> {
    Ok(rows::find_team(conn, &id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("team {id}")))?)
}

// ---- At the community ----------------------------------------------------------------------

pub fn create(conn: &mut AnyConnection, actor: &Actor, t: NewTeam) -> Result<TeamRow, ActionError> {
    super::community_only(actor, COMMUNITY_ONLY)?;
    let name = t.name.as_str().trim();
    if rows::teams(conn)?.iter().any(|x| x.name == name) {
        return Err(
            Invalid::field("name", format!("a team named 「{name}」 exists already")).into(),
        );
    }
    let row = TeamRow {
        id: Uuid::now_v7().to_string(),
        name: name.to_owned(),
        description: t.description.to_string(),
        created_ms: actor.now_ms,
    };
    rows::insert_team(conn, &row)?;
    Ok(row)
}

/// Adds a member whose report here is accepted to a team.
pub fn join(
    conn: &mut AnyConnection,
    actor: &Actor,
    team_id: Uuid,
    m: TeamMember,
) -> Result<TeamMemberRow, ActionError> {
    super::community_only(actor, COMMUNITY_ONLY)?;
    let t = team(conn, team_id)?;
    let r = super::reports::accepted_here(conn, actor, &m.home, m.report_id)?;
    if rows::members(conn)?
        .iter()
        .any(|x| x.team_id == t.id && x.mref == r.mref)
    {
        return Err(Invalid::Conflict(format!("the member is in 「{}」 already", t.name)).into());
    }
    let row = TeamMemberRow {
        team_id: t.id,
        mref: r.mref,
        home_org: r.home_org,
        report_id: r.id,
        added_ms: actor.now_ms,
    };
    rows::add_member(conn, &row)?;
    Ok(row)
}

pub fn leave(
    conn: &mut AnyConnection,
    actor: &Actor,
    team_id: Uuid,
    m: TeamMember,
) -> Result<(), ActionError> {
    super::community_only(actor, COMMUNITY_ONLY)?;
    let t = team(conn, team_id)?;
    let mref = rows::members(conn)?
        .into_iter()
        .find(|x| {
            x.team_id == t.id
                && x.home_org == m.home.as_str()
                && x.report_id == m.report_id.to_string()
        })
        .map(|x| x.mref)
        .ok_or_else(|| Invalid::NotFound(format!("that member in 「{}」", t.name)))?;
    rows::remove_member(conn, &t.id, &mref)?;
    Ok(())
}

/// Invites every member of the team who still reports here and is not signed up for (or, unless
/// `again`, invited to) the activity yet; all of them or none: when they are invited, the
/// activity has a free place for each. Places are given when the community places the sign-ups,
/// first come first served, as for any sign-up.
pub fn invite(
    conn: &mut AnyConnection,
    actor: &Actor,
    team_id: Uuid,
    i: TeamInvitation,
) -> Result<Vec<InvitationRow>, ActionError> {
    super::community_only(actor, COMMUNITY_ONLY)?;
    let t = team(conn, team_id)?;
    let me = actor.org().as_str();
    let activity = open_activity(
        conn,
        me,
        &i.activity_id.to_string(),
        actor.now_ms.div_euclid(1000),
    )?
    .map_err(|(_, why)| Invalid::field("activity_id", why))?;
    let mut to_invite = Vec::new();
    for m in rows::members(conn)?
        .into_iter()
        .filter(|m| m.team_id == t.id)
    {
        let reports_here = reports::find(conn, &m.home_org, &m.report_id)?
            .is_some_and(|r| r.status == ReportStatus::Accepted);
        let signed_up = activity_rows::standing_signup(conn, me, &activity.id, &m.mref)?.is_some();
        let invited = rows::to_activity(conn, me, &activity.id, &m.mref)?
            .iter()
            .any(|x| x.status == InvitationStatus::Open);
        if reports_here && !signed_up && (i.again || !invited) {
            to_invite.push(m);
        }
    }
    if to_invite.is_empty() {
        return Err(Invalid::Conflict(format!(
            "nobody in 「{}」 is left to invite to 「{}」: all are signed up or invited already (invite again those who have not answered), or the team has no members",
            t.name, activity.title
        ))
        .into());
    }
    let free = activity.capacity - activity_rows::places_taken(conn, me, &activity.id)?;
    if i64::try_from(to_invite.len()).unwrap_or(i64::MAX) > free {
        return Err(Invalid::Conflict(format!(
            "「{}」 has {} places left; 「{}」 has {} members to invite",
            activity.title,
            free.max(0),
            t.name,
            to_invite.len()
        ))
        .into());
    }
    let team_name = Text::new(&t.name).map_err(|e| corrupt("team", e))?;
    let activity_id: Uuid = activity.id.parse().map_err(|e| corrupt("activity", e))?;
    let mut sent = Vec::new();
    for m in to_invite {
        let member: MemberRef = m.mref.parse().map_err(|e| corrupt("team member", e))?;
        let home = member.home().clone();
        let body = checked(SignupInvited {
            invitation_id: Uuid::now_v7(),
            activity_id,
            member,
            team: team_name.clone(),
            post_id: None,
            role: None,
            note: i.note.clone(),
        })?;
        let row = invitation_row(me, &body, None, actor.now_ms);
        rows::insert_invitation(conn, &row)?;
        outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::Org(home), body)?;
        sent.push(row);
    }
    Ok(sent)
}

fn invitation_row(
    host: &str,
    b: &SignupInvited,
    member_id: Option<String>,
    at_ms: i64,
) -> InvitationRow {
    InvitationRow {
        host_org: host.to_owned(),
        id: b.invitation_id.to_string(),
        activity_id: b.activity_id.to_string(),
        mref: b.member.to_string(),
        member_id,
        team: b.team.to_string(),
        post_id: b.post_id.map(|p| p.to_string()),
        role: b.role.map(signups::role_name),
        note: b.note.as_ref().map(|n| n.to_string()),
        status: InvitationStatus::Open,
        signup_id: None,
        sent_ms: at_ms,
    }
}

/// At the host, after a sign-up request arrived: an open invitation of that member to that
/// activity is answered by it.
pub fn answered_by(conn: &mut AnyConnection, s: &SignupRow) -> StoreResult<()> {
    for x in rows::to_activity(conn, &s.host_org, &s.activity_id, &s.mref)? {
        if x.member_id.is_none() && x.status == InvitationStatus::Open {
            rows::answer(
                conn,
                &x.host_org,
                &x.id,
                InvitationStatus::Accepted,
                Some(&s.id),
            )?;
        }
    }
    Ok(())
}

// ---- At the member's home ------------------------------------------------------------------

fn open_invitation_of(
    conn: &mut AnyConnection,
    member_id: Uuid,
    host: &OrgId,
    id: Uuid,
) -> Result<InvitationRow, ActionError> {
    let x = rows::find_invitation(conn, host.as_str(), &id.to_string())?
        .filter(|x| x.member_id.as_deref() == Some(member_id.to_string().as_str()))
        .ok_or_else(|| Invalid::NotFound(format!("invitation {host}/{id}")))?;
    if x.status != InvitationStatus::Open {
        return Err(Invalid::Conflict(format!("the invitation is {} already", x.status)).into());
    }
    Ok(x)
}

/// At the home: the invitations our members received (of one member if given) to activities
/// this node holds, newest first, each with whether it can be answered now (open, its activity
/// neither cancelled nor over, with the post it names). One that came before its activity
/// waits for it, unshown (there is no order between the host's streams).
pub fn offered(
    conn: &mut AnyConnection,
    member_id: Option<&str>,
    now_s: i64,
) -> StoreResult<Vec<(InvitationRow, bool)>> {
    let mut out = Vec::new();
    for x in rows::received(conn, member_id)? {
        let answerable = match open_activity(conn, &x.host_org, &x.activity_id, now_s)? {
            Err(("unknown_activity", _)) => continue,
            Err(_) => false,
            Ok(a) => {
                x.status == InvitationStatus::Open
                    && x.post_id.as_ref().is_none_or(|post| {
                        super::activities::posts_of(&a)
                            .iter()
                            .any(|p| &p.post_id.to_string() == post)
                    })
            }
        };
        out.push((x, answerable));
    }
    Ok(out)
}

/// The member accepts: an ordinary sign-up with the host, sharing what the member shared in
/// their report there.
pub fn accept(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    host: &OrgId,
    id: Uuid,
) -> Result<SignupRow, ActionError> {
    let x = open_invitation_of(conn, member_id, host, id)?;
    let signup = signups::propose(
        conn,
        actor,
        member_id,
        Proposal {
            host: host.clone(),
            activity_id: x
                .activity_id
                .parse()
                .map_err(|e| corrupt("invitation", e))?,
            post_id: x
                .post_id
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| corrupt("invitation", e))?,
            role: x.role.as_deref().and_then(signups::role_of),
        },
    )?;
    rows::answer(
        conn,
        host.as_str(),
        &x.id,
        InvitationStatus::Accepted,
        Some(&signup.id),
    )?;
    Ok(signup)
}

/// The member declines; nothing is sent (the host sees no sign-up come).
pub fn decline(
    conn: &mut AnyConnection,
    member_id: Uuid,
    host: &OrgId,
    id: Uuid,
) -> Result<InvitationRow, ActionError> {
    let mut x = open_invitation_of(conn, member_id, host, id)?;
    rows::answer(conn, host.as_str(), &x.id, InvitationStatus::Declined, None)?;
    x.status = InvitationStatus::Declined;
    Ok(x)
}

impl Receive for SignupInvited {
    /// At the home: one of our members is invited with their team to an activity of the sender.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.me) {
            return Ok(r.into());
        }
        let (host, id, mref) = (
            from.org.as_str(),
            self.invitation_id.to_string(),
            self.member.to_string(),
        );
        let Some(member_id) = member_of_mref(conn, host, &mref)? else {
            return Ok(Refusal::new(
                "unknown_member",
                format!("{host} names a member this node never sent there"),
            )
            .into());
        };
        if rows::find_invitation(conn, host, &id)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_invitation",
                format!("invitation {id} of {host} is known already"),
            )
            .into());
        }
        // There is no order between the host's streams (PROTOCOL.md §7.1): the invitation may
        // come before the activity it names. It is kept, and shown once the activity is here;
        // an activity we hold is judged now.
        if activity_rows::find_activity(conn, host, &self.activity_id.to_string())?.is_some() {
            let activity = match open_activity(
                conn,
                host,
                &self.activity_id.to_string(),
                from.at_ms.div_euclid(1000),
            )? {
                Ok(a) => a,
                Err((code, why)) => return Ok(Refusal::new(code, why).into()),
            };
            if let Some(post) = self.post_id
                && !super::activities::posts_of(&activity)
                    .iter()
                    .any(|p| p.post_id == post)
            {
                return Ok(Refusal::new(
                    "unknown_post",
                    format!("activity {} has no post {post}", self.activity_id),
                )
                .into());
            }
        }
        rows::insert_invitation(
            conn,
            &invitation_row(host, self, Some(member_id), from.at_ms),
        )?;
        Ok(Outcome::Applied)
    }
}
