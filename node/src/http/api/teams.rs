//! Volunteer teams (`domain::teams`): a community keeps its teams (`/api/v1/teams`), adds and
//! removes members who report there (`/api/v1/teams/{id}/members`, `…/members/remove`) and
//! invites a whole team to one of its activities (`/api/v1/teams/{id}/invitations`); a member
//! answers at home (`/api/v1/me/invitations`, `…/{host}/{id}/accept`, `…/decline`).

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::activities::SignupView;
use super::members::me_of;
use super::{ADMIN, NodeData, org_path, uuid_path};
use crate::domain::status::InvitationStatus;
use crate::domain::teams::{self, NewTeam, TeamInvitation, TeamMember};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::teams::{self as rows, InvitationRow, TeamMemberRow, TeamRow};

#[derive(Serialize, schemars::JsonSchema)]
pub struct TeamMemberView {
    pub home_org: String,
    pub report_id: String,
    /// How the community knows the member.
    pub mref: String,
    /// How the member is addressed, if their report shared it.
    pub display_name: Option<String>,
    pub added_ms: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_ms: i64,
    pub members: Vec<TeamMemberView>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Teams {
    pub items: Vec<TeamView>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct InvitationView {
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
    /// At the home, once accepted: the sign-up it became; at the host, the sign-up that answered it.
    pub signup_id: Option<String>,
    pub sent_ms: i64,
    /// At the home: whether the member can answer it now (open, and its activity neither
    /// cancelled nor over).
    pub answerable: bool,
}

impl InvitationView {
    fn of(x: InvitationRow, answerable: bool) -> InvitationView {
        InvitationView {
            answerable,
            host_org: x.host_org,
            id: x.id,
            activity_id: x.activity_id,
            mref: x.mref,
            member_id: x.member_id,
            team: x.team,
            post_id: x.post_id,
            role: x.role,
            note: x.note,
            status: x.status,
            signup_id: x.signup_id,
            sent_ms: x.sent_ms,
        }
    }
}

impl From<InvitationRow> for InvitationView {
    fn from(x: InvitationRow) -> InvitationView {
        InvitationView::of(x, false)
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Invitations {
    pub items: Vec<InvitationView>,
}

fn invitations(rows: Vec<(InvitationRow, bool)>) -> Invitations {
    Invitations {
        items: rows
            .into_iter()
            .map(|(x, answerable)| InvitationView::of(x, answerable))
            .collect(),
    }
}

/// The invitations our members received (of one member if given), as `teams::offered` gives them.
async fn offered(
    node: &NodeData,
    member_id: Option<String>,
) -> Result<Vec<(InvitationRow, bool)>, ApiError> {
    let now_s = node.clock.now_s();
    Ok(node
        .store
        .read(move |c| teams::offered(c, member_id.as_deref(), now_s))
        .await?)
}

/// The teams with their members, named as their reports here name them.
pub async fn teams_with_members(node: &NodeData) -> Result<Vec<TeamView>, ApiError> {
    let me = node.cfg.org_id.to_string();
    let (teams, members, reports) = node
        .store
        .read(move |c| {
            Ok((
                rows::teams(c)?,
                rows::members(c)?,
                crate::store::reports::received(c, &me)?,
            ))
        })
        .await?;
    let names: HashMap<String, Option<String>> = reports
        .into_iter()
        .map(|r| (r.mref, r.display_name))
        .collect();
    let view = |m: TeamMemberRow| TeamMemberView {
        display_name: names.get(&m.mref).cloned().flatten(),
        home_org: m.home_org,
        report_id: m.report_id,
        mref: m.mref,
        added_ms: m.added_ms,
    };
    let mut by_team: HashMap<String, Vec<TeamMemberView>> = HashMap::new();
    for m in members {
        by_team.entry(m.team_id.clone()).or_default().push(view(m));
    }
    Ok(teams
        .into_iter()
        .map(|t: TeamRow| TeamView {
            members: by_team.remove(&t.id).unwrap_or_default(),
            id: t.id,
            name: t.name,
            description: t.description,
            created_ms: t.created_ms,
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "activities", security(("bearer" = [])),
    responses((status = 200, description = "at a community: its volunteer teams and their members")))]
pub async fn list(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    Ok(HttpResponse::Ok().json(Teams {
        items: teams_with_members(&node).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "activities", security(("bearer" = [])),
    responses((status = 201, description = "formed"), (status = 409, description = "this node is not a community"), (status = 422, description = "a team of that name exists")))]
pub async fn create(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewTeam>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let t = node.act(move |c, a| teams::create(c, a, input)).await?;
    Ok(HttpResponse::Created().json(TeamView {
        id: t.id,
        name: t.name,
        description: t.description,
        created_ms: t.created_ms,
        members: Vec::new(),
    }))
}

#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "the team")),
    responses((status = 201, description = "joined"), (status = 404, description = "no such team"), (status = 409, description = "in the team already"), (status = 422, description = "no accepted report of that member here")))]
pub async fn join(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<TeamMember>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("team", &path)?;
    let input = body.into_inner();
    let m = node.act(move |c, a| teams::join(c, a, id, input)).await?;
    Ok(HttpResponse::Created().json(TeamMemberView {
        home_org: m.home_org,
        report_id: m.report_id,
        mref: m.mref,
        display_name: None,
        added_ms: m.added_ms,
    }))
}

#[utoipa::path(post, path = "/api/v1/teams/{id}/members/remove", tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "the team")),
    responses((status = 200, description = "removed: the team as it is now"), (status = 404, description = "no such team, or the member is not in it")))]
pub async fn leave(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<TeamMember>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("team", &path)?;
    let input = body.into_inner();
    node.act(move |c, a| teams::leave(c, a, id, input)).await?;
    let team = teams_with_members(&node)
        .await?
        .into_iter()
        .find(|t| t.id == id.to_string())
        .ok_or_else(|| ApiError::not_found(format!("team {id}")))?;
    Ok(HttpResponse::Ok().json(team))
}

#[utoipa::path(post, path = "/api/v1/teams/{id}/invitations", tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "the team")),
    responses((status = 201, description = "each member not signed up yet is invited, at their home"), (status = 404, description = "no such team"), (status = 409, description = "not enough places for the team, or everyone is signed up already"), (status = 422, description = "not an open activity of ours")))]
pub async fn invite(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<TeamInvitation>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("team", &path)?;
    let input = body.into_inner();
    let sent = node.act(move |c, a| teams::invite(c, a, id, input)).await?;
    Ok(HttpResponse::Created().json(invitations(sent.into_iter().map(|x| (x, false)).collect())))
}

#[utoipa::path(get, path = "/api/v1/invitations", tag = "activities", security(("bearer" = [])),
    responses((status = 200, description = "the invitations this community sent and those this home's members received, newest first")))]
pub async fn list_invitations(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let me = node.cfg.org_id.to_string();
    let mut all: Vec<(InvitationRow, bool)> = node
        .store
        .read(move |c| rows::sent(c, &me))
        .await?
        .into_iter()
        .map(|x| (x, false))
        .collect();
    all.extend(offered(&node, None).await?);
    Ok(HttpResponse::Ok().json(invitations(all)))
}

#[utoipa::path(get, path = "/api/v1/me/invitations", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member's invitations, newest first")))]
pub async fn mine(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let all = offered(&node, Some(m.id)).await?;
    Ok(HttpResponse::Ok().json(invitations(all)))
}

#[utoipa::path(post, path = "/api/v1/me/invitations/{host}/{id}/accept", tag = "me", security(("bearer" = [])),
    params(("host" = String, Path, description = "the inviting community"), ("id" = String, Path, description = "the invitation")),
    responses((status = 201, description = "signed up with the host"), (status = 404, description = "no such invitation of yours"), (status = 409, description = "answered already, or signed up already")))]
pub async fn accept(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let member = uuid_path("member", &m.id)?;
    let host = org_path(&path.0)?;
    let id = uuid_path("invitation", &path.1)?;
    let s = node
        .act(move |c, a| teams::accept(c, a, member, &host, id))
        .await?;
    Ok(HttpResponse::Created().json(SignupView::from(s)))
}

#[utoipa::path(post, path = "/api/v1/me/invitations/{host}/{id}/decline", tag = "me", security(("bearer" = [])),
    params(("host" = String, Path, description = "the inviting community"), ("id" = String, Path, description = "the invitation")),
    responses((status = 200, description = "declined; nothing is sent"), (status = 404, description = "no such invitation of yours"), (status = 409, description = "answered already")))]
pub async fn decline(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let member = uuid_path("member", &m.id)?;
    let host = org_path(&path.0)?;
    let id = uuid_path("invitation", &path.1)?;
    let x = node
        .act(move |c, _| teams::decline(c, member, &host, id))
        .await?;
    Ok(HttpResponse::Ok().json(InvitationView::from(x)))
}
