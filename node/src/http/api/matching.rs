//! 精准匹配 for staff: who fits an activity and which offers fit a need, with the reasons for
//! each score (`domain::matching`). A home ranks its own members and proposes one by signing
//! them up (`POST /api/v1/members/{id}/signups`); the host ranks the sign-ups it received.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::activities::{ActivityView, SignupView};
use super::needs::NeedView;
use super::{ADMIN, NodeData, org_path, uuid_path};
use crate::domain::matching::{self, Match};
use crate::domain::signups::{self, Proposal};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;

#[derive(Serialize, schemars::JsonSchema)]
pub struct ActivityMatches {
    pub activity: ActivityView,
    /// `members`: this node's members not yet signed up (at their home); `signups`: the
    /// sign-ups waiting for a decision (at the host).
    pub ranked: &'static str,
    pub items: Vec<Match>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct NeedMatches {
    pub need: NeedView,
    /// The alliance's open offers, best first.
    pub items: Vec<Match>,
}

#[utoipa::path(get, path = "/api/v1/activities/{host}/{id}/matches", tag = "activities", security(("bearer" = [])),
    params(("host" = String, Path, description = "the organisation hosting the activity"), ("id" = String, Path, description = "the activity"),
        ("post_id" = Option<String>, Query, description = "at a member's home: rank for this post of the activity, on its own skills")),
    responses((status = 200, description = "at most 50, best first, each with its reasons"), (status = 404, description = "no such activity")))]
pub async fn for_activity(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let host = org_path(&path.0)?;
    let id = uuid_path("activity", &path.1)?;
    let post = post_query(&q)?;
    let found = node
        .view(move |c, a| {
            if &host == a.org() {
                let activity = crate::domain::activities::ours(c, a, id)?;
                let items = matching::signups_for_activity(c, a, &activity)?;
                Ok((activity, "signups", items))
            } else {
                let (activity, items) = matching::members_for_activity(c, a, &host, id, post)?;
                Ok((activity, "members", items))
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(ActivityMatches {
        activity: found.0.into(),
        ranked: found.1,
        items: found.2,
    }))
}

#[utoipa::path(get, path = "/api/v1/needs/{org}/{id}/matches", tag = "needs", security(("bearer" = [])),
    params(("org" = String, Path, description = "the need's organisation"), ("id" = String, Path, description = "the need")),
    responses((status = 200, description = "at most 50 open offers, best first, each with its reasons"), (status = 404, description = "no such need")))]
pub async fn for_need(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let org = org_path(&path.0)?;
    let id = uuid_path("need", &path.1)?;
    let (need, items) = node
        .view(move |c, a| matching::offers_for_need(c, a, &org, id))
        .await?;
    Ok(HttpResponse::Ok().json(NeedMatches {
        need: need.into(),
        items,
    }))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/signups", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member")),
    responses((status = 201, description = "proposed to the host: signup.requested sent, sharing only what the member shared in their report there"), (status = 404, description = "no such member"), (status = 409, description = "already signed up"), (status = 422, description = "no such open activity")))]
pub async fn propose(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Proposal>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?;
    let input = body.into_inner();
    let s = node
        .act(move |c, a| signups::propose(c, a, id, input))
        .await?;
    Ok(HttpResponse::Created().json(SignupView::from(s)))
}

/// The optional `post_id` of a query: a post of the activity to rank for.
pub fn post_query(
    q: &std::collections::HashMap<String, String>,
) -> Result<Option<uuid::Uuid>, ApiError> {
    q.get("post_id")
        .filter(|p| !p.is_empty())
        .map(|p| {
            uuid::Uuid::try_parse(p).map_err(|_| {
                ApiError::invalid("post_id", "must be the id of a post of the activity")
            })
        })
        .transpose()
}
