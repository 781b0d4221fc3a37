//! Sign-up and placement (报名, 安排): a member signs up at home for an activity another
//! organisation hosts (`signup.requested`, with their pairwise reference and what they share);
//! the host places or declines them (`placement.decided`), never beyond the activity's places;
//! the member confirms, and only then does home release their name and phone to the host
//! (`signup.confirmed`); either side may cancel (`signup.cancelled`).

use serde::Deserialize;
use tongxin_schema::OrgId;
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{
    PlacementDecided, SignupCancelled, SignupConfirmed, SignupRequested,
};
use tongxin_schema::v1::taxonomy::{PostRole, Skill};
use tongxin_schema::v1::text::{Note, Text};
use uuid::Uuid;

use super::status::{ActivityStatus, SignupStatus};
use super::{
    ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list, members,
};
use crate::store::activities::{self as rows, ActivityRow, SignupRow};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox};

/// A member's sign-up for an activity of another organisation.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SignupInput")]
pub struct NewSignup {
    /// The organisation hosting the activity.
    pub host: OrgId,
    pub activity_id: Uuid,
    /// Share how the member is addressed (default yes); never their name.
    #[serde(default = "super::yes")]
    pub share_name: bool,
    /// Share the member's skills (default yes).
    #[serde(default = "super::yes")]
    pub share_skills: bool,
    /// A post of the activity (岗位), and the role asked for in it: A (primary) or B (backup).
    /// Without a role, the host gives whichever is free.
    pub post_id: Option<Uuid>,
    pub role: Option<PostRole>,
}

/// The host's decision on a sign-up.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PlacementInput")]
pub struct Placement {
    pub accepted: bool,
    pub note: Option<Note>,
}

/// Why a sign-up is cancelled.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CancelSignupInput")]
pub struct SignupCancellation {
    pub reason: Option<Note>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn parsed<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| corrupt(what, e))
}

/// The activity `host`/`id` as this node holds it, still open and not over at `now_s`.
pub(crate) fn open_activity(
    conn: &mut AnyConnection,
    host: &str,
    id: &str,
    now_s: i64,
) -> StoreResult<Result<ActivityRow, (&'static str, String)>> {
    Ok(match rows::find_activity(conn, host, id)? {
        None => Err(("unknown_activity", format!("{host} has no activity {id}"))),
        Some(a) if a.status == ActivityStatus::Cancelled => {
            Err(("activity_closed", format!("activity {id} was cancelled")))
        }
        Some(a) if a.ends_at <= now_s => Err(("activity_closed", format!("activity {id} is over"))),
        Some(a) => Ok(a),
    })
}

pub(crate) fn role_name(r: PostRole) -> String {
    match r {
        PostRole::A => "A",
        PostRole::B => "B",
    }
    .to_owned()
}

pub(crate) fn role_of(s: &str) -> Option<PostRole> {
    match s {
        "A" => Some(PostRole::A),
        "B" => Some(PostRole::B),
        _ => None,
    }
}

/// The role (A or B) a sign-up for `post` gets when placed: the one asked for if it is free,
/// otherwise A, then B. Each role of a post has one holder.
fn free_role(
    conn: &mut AnyConnection,
    a: &ActivityRow,
    post: &str,
    asked: Option<&str>,
) -> Result<PostRole, ActionError> {
    let title = super::activities::posts_of(a)
        .into_iter()
        .find(|p| p.post_id.to_string() == post)
        .map(|p| p.title.to_string())
        .unwrap_or_else(|| post.to_owned());
    let candidates: Vec<PostRole> = match asked.and_then(role_of) {
        Some(r) => vec![r],
        None => vec![PostRole::A, PostRole::B],
    };
    for r in candidates {
        if !rows::post_role_taken(conn, &a.host_org, &a.id, post, &role_name(r))? {
            return Ok(r);
        }
    }
    Err(Invalid::Conflict(match asked {
        Some(r) => format!("the {r} role of post 「{title}」 is held already"),
        None => format!("post 「{title}」 has its A and B holders already"),
    })
    .into())
}

// ---- At the member's home ------------------------------------------------------------------

/// A member of ours signs up for an activity another organisation hosts.
pub fn request(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    i: NewSignup,
) -> Result<SignupRow, ActionError> {
    let m = members::find(conn, member_id)?;
    if &i.host == actor.org() {
        return Err(Invalid::field(
            "host",
            "this is your own organisation's activity: its organisers place you directly",
        )
        .into());
    }
    let activity = open_activity(
        conn,
        i.host.as_str(),
        &i.activity_id.to_string(),
        actor.now_ms.div_euclid(1000),
    )?
    .map_err(|(_, why)| Invalid::field("activity_id", why))?;
    if let Some(post) = i.post_id
        && !super::activities::posts_of(&activity)
            .iter()
            .any(|p| p.post_id == post)
    {
        return Err(Invalid::field(
            "post_id",
            format!("「{}」 has no such post", activity.title),
        )
        .into());
    }
    if i.role.is_some() && i.post_id.is_none() {
        return Err(Invalid::field(
            "role",
            "a role (A or B) is asked for in a post: name the post",
        )
        .into());
    }
    let mref = members::mref(conn, actor.org(), &i.host, member_id)?;
    if let Some(s) =
        rows::standing_signup(conn, &activity.host_org, &activity.id, &mref.to_string())?
    {
        return Err(Invalid::Conflict(format!(
            "{} has already signed up for 「{}」 ({})",
            m.name, activity.title, s.status
        ))
        .into());
    }
    let skills: Vec<Skill> = if i.share_skills {
        serde_json::from_str(&m.skills).unwrap_or_default()
    } else {
        Vec::new()
    };
    let body = checked(SignupRequested {
        signup_id: Uuid::now_v7(),
        activity_id: i.activity_id,
        member: mref.clone(),
        post_id: i.post_id,
        role: i.role,
        display_name: members::shared_name(&m, i.share_name),
        skills,
    })?;
    let row = SignupRow {
        home_org: actor.org().to_string(),
        id: body.signup_id.to_string(),
        host_org: i.host.to_string(),
        activity_id: activity.id,
        mref: mref.to_string(),
        member_id: Some(m.id),
        display_name: body.display_name.as_ref().map(|n| n.to_string()),
        skills: json_list(&body.skills),
        status: SignupStatus::Requested,
        note: None,
        contact_name: None,
        contact_phone: None,
        requested_ms: actor.now_ms,
        updated_ms: actor.now_ms,
        post_id: body.post_id.map(|p| p.to_string()),
        role: body.role.map(role_name),
    };
    rows::insert_signup(conn, &row)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(i.host),
        body,
    )?;
    Ok(row)
}

/// Staff propose one of our members for another organisation's activity (精准匹配): a sign-up
/// on their behalf that shares only what the member chose to share with that organisation in
/// their 双报到 report there (how they are addressed, their skills), and nothing where they did
/// not report.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ProposalInput")]
pub struct Proposal {
    /// The organisation hosting the activity.
    pub host: OrgId,
    pub activity_id: Uuid,
    pub post_id: Option<Uuid>,
    pub role: Option<PostRole>,
}

pub fn propose(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    p: Proposal,
) -> Result<SignupRow, ActionError> {
    let shared = crate::store::reports::of_member(conn, &member_id.to_string())?
        .into_iter()
        .find(|r| r.community_org == p.host.as_str() && r.status.standing());
    let input = NewSignup {
        share_name: shared.as_ref().is_some_and(|r| r.display_name.is_some()),
        share_skills: shared.as_ref().is_some_and(|r| r.skills != "[]"),
        host: p.host,
        activity_id: p.activity_id,
        post_id: p.post_id,
        role: p.role,
    };
    request(conn, actor, member_id, input)
}

/// One of our members' sign-ups (at the home).
pub fn of_ours(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<SignupRow, ActionError> {
    Ok(
        rows::find_signup(conn, actor.org().as_str(), &id.to_string())?
            .filter(|s| s.member_id.is_some())
            .ok_or_else(|| Invalid::NotFound(format!("sign-up {id}")))?,
    )
}

/// The member accepts the host's placement: their name and phone go to the host, now.
pub fn confirm(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<SignupRow, ActionError> {
    let mut s = of_ours(conn, actor, id)?;
    if s.status != SignupStatus::Placed {
        return Err(Invalid::Conflict(format!(
            "sign-up {id} is {}: only a placement can be confirmed",
            s.status
        ))
        .into());
    }
    // Nothing is released for an activity that is over or cancelled.
    open_activity(
        conn,
        &s.host_org,
        &s.activity_id,
        actor.now_ms.div_euclid(1000),
    )?
    .map_err(|(_, why)| Invalid::Conflict(why))?;
    let member_id: Uuid = parsed("sign-up member", s.member_id.as_deref().unwrap_or_default())?;
    let m = members::find(conn, member_id)?;
    let host: OrgId = parsed("sign-up host", &s.host_org)?;
    let body = checked(SignupConfirmed {
        signup_id: id,
        activity_id: parsed("sign-up activity", &s.activity_id)?,
        member: parsed("sign-up mref", &s.mref)?,
        name: Text::try_from(m.name.clone()).map_err(|e| Invalid::field("name", e.to_string()))?,
        phone: Text::try_from(m.phone.clone())
            .map_err(|e| Invalid::field("phone", e.to_string()))?,
    })?;
    s.status = SignupStatus::Confirmed;
    s.updated_ms = actor.now_ms;
    rows::update_signup(conn, &s)?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::Org(host), body)?;
    Ok(s)
}

/// Cancels a standing sign-up, from either side; the other side is told.
fn cancel(
    conn: &mut AnyConnection,
    actor: &Actor,
    mut s: SignupRow,
    to: OrgId,
    c: SignupCancellation,
) -> Result<SignupRow, ActionError> {
    if !s.status.standing() {
        return Err(Invalid::Conflict(format!("sign-up {} is {} already", s.id, s.status)).into());
    }
    let body = checked(SignupCancelled {
        signup_id: parsed("sign-up id", &s.id)?,
        activity_id: parsed("sign-up activity", &s.activity_id)?,
        member: parsed("sign-up mref", &s.mref)?,
        reason: c.reason,
    })?;
    s.status = SignupStatus::Cancelled;
    s.note = body.reason.as_ref().map(|r| r.to_string());
    s.updated_ms = actor.now_ms;
    rows::update_signup(conn, &s)?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::Org(to), body)?;
    Ok(s)
}

/// The home (the member, or an admin for them) cancels a sign-up.
pub fn cancel_at_home(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    c: SignupCancellation,
) -> Result<SignupRow, ActionError> {
    let s = of_ours(conn, actor, id)?;
    let host: OrgId = parsed("sign-up host", &s.host_org)?;
    cancel(conn, actor, s, host, c)
}

// ---- At the host ----------------------------------------------------------------------------

/// A sign-up for one of our activities.
fn for_ours(
    conn: &mut AnyConnection,
    actor: &Actor,
    home: &OrgId,
    id: Uuid,
) -> Result<SignupRow, ActionError> {
    Ok(rows::find_signup(conn, home.as_str(), &id.to_string())?
        .filter(|s| s.host_org == actor.org().as_str())
        .ok_or_else(|| Invalid::NotFound(format!("sign-up {home}/{id}")))?)
}

/// The host places or declines a sign-up. An activity never has more members placed than
/// places: every placement is counted in the same transaction as it is made.
pub fn place(
    conn: &mut AnyConnection,
    actor: &Actor,
    home: &OrgId,
    id: Uuid,
    p: Placement,
) -> Result<SignupRow, ActionError> {
    let mut s = for_ours(conn, actor, home, id)?;
    if s.status != SignupStatus::Requested {
        return Err(Invalid::Conflict(format!("sign-up {id} is {} already", s.status)).into());
    }
    let activity = rows::find_activity(conn, &s.host_org, &s.activity_id)?
        .ok_or_else(|| Invalid::NotFound(format!("activity {}", s.activity_id)))?;
    if p.accepted {
        if activity.ends_at <= actor.now_ms.div_euclid(1000) {
            return Err(Invalid::Conflict(format!("「{}」 is over", activity.title)).into());
        }
        if activity.status == ActivityStatus::Cancelled {
            return Err(Invalid::Conflict(format!("「{}」 was cancelled", activity.title)).into());
        }
        let taken = rows::places_taken(conn, &s.host_org, &s.activity_id)?;
        if taken >= activity.capacity {
            return Err(Invalid::Conflict(format!(
                "「{}」 is full: all {} places are taken",
                activity.title, activity.capacity
            ))
            .into());
        }
        if let Some(post) = s.post_id.clone() {
            s.role = Some(role_name(free_role(
                conn,
                &activity,
                &post,
                s.role.as_deref(),
            )?));
        }
    }
    let body = checked(PlacementDecided {
        signup_id: id,
        activity_id: parsed("sign-up activity", &s.activity_id)?,
        member: parsed("sign-up mref", &s.mref)?,
        accepted: p.accepted,
        role: if p.accepted {
            s.role.as_deref().and_then(role_of)
        } else {
            None
        },
        note: p.note,
    })?;
    s.status = if p.accepted {
        SignupStatus::Placed
    } else {
        SignupStatus::Declined
    };
    s.note = body.note.as_ref().map(|n| n.to_string());
    s.updated_ms = actor.now_ms;
    rows::update_signup(conn, &s)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(home.clone()),
        body,
    )?;
    Ok(s)
}

/// The host cancels a sign-up or placement.
pub fn cancel_at_host(
    conn: &mut AnyConnection,
    actor: &Actor,
    home: &OrgId,
    id: Uuid,
    c: SignupCancellation,
) -> Result<SignupRow, ActionError> {
    let s = for_ours(conn, actor, home, id)?;
    if let Some(a) = rows::find_activity(conn, &s.host_org, &s.activity_id)? {
        super::checkins::close_for_member(conn, actor, &a, &s.mref)?;
    }
    cancel(conn, actor, s, home.clone(), c)
}

// ---- Receiving -------------------------------------------------------------------------------

/// The sign-up `home`/`id` as this node holds it, naming the same activity and member as the
/// message; a refusal otherwise.
fn known(
    conn: &mut AnyConnection,
    home: &OrgId,
    id: Uuid,
    activity: Uuid,
    mref: &str,
) -> StoreResult<Result<SignupRow, Refusal>> {
    let id = id.to_string();
    Ok(match rows::find_signup(conn, home.as_str(), &id)? {
        Some(s) if s.activity_id == activity.to_string() && s.mref == mref => Ok(s),
        _ => Err(Refusal::new(
            "unknown_signup",
            format!("no sign-up {id} of {home} for this activity and member"),
        )),
    })
}

impl Receive for SignupRequested {
    /// At the host: a member of the sender asks for a place.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.org) {
            return Ok(r.into());
        }
        let activity = match open_activity(
            conn,
            from.me.as_str(),
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
        let id = self.signup_id.to_string();
        if rows::find_signup(conn, from.org.as_str(), &id)?.is_some() {
            return Ok(
                Refusal::new("duplicate_signup", format!("sign-up {id} is known already")).into(),
            );
        }
        let mref = self.member.to_string();
        if let Some(s) = rows::standing_signup(conn, &activity.host_org, &activity.id, &mref)? {
            return Ok(Refusal::new(
                "already_signed_up",
                format!(
                    "this member signed up already (sign-up {}, {})",
                    s.id, s.status
                ),
            )
            .into());
        }
        let row = SignupRow {
            home_org: from.org.to_string(),
            id,
            host_org: activity.host_org,
            activity_id: activity.id,
            mref,
            member_id: None,
            display_name: self.display_name.as_ref().map(|n| n.to_string()),
            skills: json_list(&self.skills),
            status: SignupStatus::Requested,
            note: None,
            contact_name: None,
            contact_phone: None,
            requested_ms: from.at_ms,
            updated_ms: from.at_ms,
            post_id: self.post_id.map(|p| p.to_string()),
            // A role means something only within a post.
            role: self.post_id.and(self.role).map(role_name),
        };
        rows::insert_signup(conn, &row)?;
        super::teams::answered_by(conn, &row)?;
        Ok(Outcome::Applied)
    }
}

impl Receive for PlacementDecided {
    /// At the home: the host placed or declined our member.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let mut s = match known(
            conn,
            from.me,
            self.signup_id,
            self.activity_id,
            &self.member.to_string(),
        )? {
            Ok(s) if s.host_org == from.org.as_str() => s,
            Ok(_) => {
                return Ok(Refusal::new(
                    "unknown_signup",
                    format!("{} does not host this activity", from.org),
                )
                .into());
            }
            Err(r) => return Ok(r.into()),
        };
        if s.status != SignupStatus::Requested {
            return Ok(Refusal::new(
                "already_decided",
                format!("sign-up {} is {} already", s.id, s.status),
            )
            .into());
        }
        s.status = if self.accepted {
            SignupStatus::Placed
        } else {
            SignupStatus::Declined
        };
        s.note = self.note.as_ref().map(|n| n.to_string());
        // The role the host gave in the post asked for (AB角).
        if self.accepted && s.post_id.is_some() {
            s.role = self.role.map(role_name);
        }
        s.updated_ms = from.at_ms;
        rows::update_signup(conn, &s)?;
        Ok(Outcome::Applied)
    }
}

impl Receive for SignupConfirmed {
    /// At the host: the member accepted the placement; now the host has their contact.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let mut s = match known(
            conn,
            from.org,
            self.signup_id,
            self.activity_id,
            &self.member.to_string(),
        )? {
            Ok(s) if s.host_org == from.me.as_str() => s,
            Ok(_) => return Ok(Refusal::new("unknown_signup", "not an activity of ours").into()),
            Err(r) => return Ok(r.into()),
        };
        if let Err((code, why)) = open_activity(
            conn,
            &s.host_org,
            &s.activity_id,
            from.at_ms.div_euclid(1000),
        )? {
            return Ok(Refusal::new(code, why).into());
        }
        if s.status != SignupStatus::Placed {
            return Ok(Refusal::new(
                "not_placed",
                format!(
                    "sign-up {} is {}: only a placement is confirmed",
                    s.id, s.status
                ),
            )
            .into());
        }
        s.status = SignupStatus::Confirmed;
        s.contact_name = Some(self.name.to_string());
        s.contact_phone = Some(self.phone.to_string());
        s.updated_ms = from.at_ms;
        rows::update_signup(conn, &s)?;
        Ok(Outcome::Applied)
    }
}

impl Receive for SignupCancelled {
    /// Either side: the other cancelled the sign-up.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        // The sender is the member's home (we host) or the host (we are home).
        let home = self.member.home();
        let mut s = match known(
            conn,
            home,
            self.signup_id,
            self.activity_id,
            &self.member.to_string(),
        )? {
            Ok(s)
                if (home == from.org && s.host_org == from.me.as_str())
                    || (home == from.me && s.host_org == from.org.as_str()) =>
            {
                s
            }
            Ok(_) => {
                return Ok(Refusal::new(
                    "unknown_signup",
                    "neither the member's home nor the host",
                )
                .into());
            }
            Err(r) => return Ok(r.into()),
        };
        if !s.status.standing() {
            return Ok(Refusal::new(
                "already_decided",
                format!("sign-up {} is {} already", s.id, s.status),
            )
            .into());
        }
        s.status = SignupStatus::Cancelled;
        s.note = self.reason.as_ref().map(|r| r.to_string());
        s.updated_ms = from.at_ms;
        rows::update_signup(conn, &s)?;
        Ok(Outcome::Applied)
    }
}
