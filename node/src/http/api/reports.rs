//! 双报到 reports: made for a member (`/api/v1/members/{id}/reports`, `/api/v1/me/reports`),
//! decided by the community, withdrawn by the home, counted (`/api/v1/reports…`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongxin_schema::token::Role;
use tongxin_schema::v1::taxonomy::Skill;

use super::members::me_of;
use super::{ADMIN, NodeData, org_path, uuid_path};
use crate::domain::reports::{self, NewReport, ReportDecision, ReportingStats, Withdrawal};
use crate::domain::status::ReportStatus;
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::state::SharedNode;
use crate::store::members::MemberRow;
use crate::store::reports::{self as rows, ReportRow};
use uuid::Uuid;

/// A report, as the home or the community holds it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ReportView {
    /// The member's home organisation.
    pub home_org: String,
    pub id: String,
    pub community_org: String,
    /// How the community knows the member (pairwise: another community sees another).
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    /// What the member shared.
    pub display_name: Option<String>,
    pub skills: Vec<String>,
    pub availability: Vec<String>,
    pub grid: Option<String>,
    pub status: ReportStatus,
    /// The community's note, or the reason of a withdrawal.
    pub note: Option<String>,
    /// At the home: the community's signed decision is kept (`…/receipt`).
    pub has_receipt: bool,
    pub submitted_ms: i64,
    pub decided_ms: Option<i64>,
}

impl From<ReportRow> for ReportView {
    fn from(r: ReportRow) -> ReportView {
        ReportView {
            skills: serde_json::from_str(&r.skills).unwrap_or_default(),
            availability: serde_json::from_str(&r.availability).unwrap_or_default(),
            has_receipt: r.receipt.is_some(),
            home_org: r.home_org,
            id: r.id,
            community_org: r.community_org,
            mref: r.mref,
            member_id: r.member_id,
            display_name: r.display_name,
            grid: r.grid,
            status: r.status,
            note: r.note,
            submitted_ms: r.submitted_ms,
            decided_ms: r.decided_ms,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Reports {
    pub items: Vec<ReportView>,
}

#[utoipa::path(post, path = "/api/v1/members/{id}/reports", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member")),
    responses((status = 201, description = "sent to the community"), (status = 404, description = "no such member"), (status = 409, description = "already reported there"), (status = 422, description = "not a community")))]
pub async fn submit_for(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<NewReport>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| reports::submit(c, a, id, input))
        .await?;
    Ok(HttpResponse::Created().json(ReportView::from(row)))
}

#[utoipa::path(post, path = "/api/v1/me/reports", tag = "me", security(("bearer" = [])),
    responses((status = 201, description = "sent to the community"), (status = 409, description = "already reported there"), (status = 422, description = "not a community")))]
pub async fn submit_mine(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewReport>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let id = uuid_path("member", &m.id)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| reports::submit(c, a, id, input))
        .await?;
    Ok(HttpResponse::Created().json(ReportView::from(row)))
}

#[utoipa::path(post, path = "/api/v1/reports/{id}/withdraw", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "the report (one of this organisation's members')")),
    responses((status = 200, description = "withdrawn; the community is told"), (status = 404, description = "no such report"), (status = 409, description = "declined or withdrawn already")))]
pub async fn withdraw(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Withdrawal>,
) -> Result<HttpResponse, ApiError> {
    let id = uuid_path("report", &path)?;
    // An admin withdraws any of our members' reports; a member only their own.
    if auth.claims.role != Role::Admin {
        own_report(&node, &me_of(&node, &auth).await?, id).await?;
    }
    let input = body.into_inner();
    let row = node
        .act(move |c, a| reports::withdraw(c, a, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(ReportView::from(row)))
}

/// One of `member`'s own reports here (a member acts on no other).
pub async fn own_report(
    node: &SharedNode,
    member: &MemberRow,
    report_id: Uuid,
) -> Result<ReportRow, ApiError> {
    let (home, rid) = (node.cfg.org_id.to_string(), report_id.to_string());
    node.store
        .read(move |c| rows::find(c, &home, &rid))
        .await?
        .filter(|r| r.member_id.as_deref() == Some(member.id.as_str()))
        .ok_or_else(|| ApiError::not_found(format!("report {report_id}")))
}

#[utoipa::path(post, path = "/api/v1/reports/{home}/{id}/decision", tag = "reports", security(("bearer" = [])),
    params(("home" = String, Path, description = "the member's home"), ("id" = String, Path, description = "the report")),
    responses((status = 200, description = "decided; the home is told"), (status = 404, description = "no such report here"), (status = 409, description = "decided already")))]
pub async fn decide(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<ReportDecision>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (home, id) = path.into_inner();
    let home = org_path(&home)?;
    let id = uuid_path("report", &id)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| reports::decide(c, a, &home, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(ReportView::from(row)))
}

#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Reports our members made (at their home).
    Sent,
    /// Reports made to us (at a community).
    Received,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// sent (default) or received.
    #[param(value_type = Option<String>)]
    pub side: Option<Side>,
    #[param(value_type = Option<String>)]
    pub status: Option<ReportStatus>,
    pub grid: Option<String>,
    #[param(value_type = Option<String>)]
    pub skill: Option<Skill>,
}

#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, description = "reports, newest first")))]
pub async fn list(
    node: NodeData,
    auth: Auth,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let q = q.into_inner();
    let me = node.cfg.org_id.to_string();
    let side = q.side.unwrap_or(Side::Sent);
    let all = node
        .store
        .read(move |c| match side {
            Side::Sent => rows::sent(c, &me),
            Side::Received => rows::received(c, &me),
        })
        .await?;
    let skill = q.skill.map(|s| format!("\"{}\"", s.as_str()));
    let items = all
        .into_iter()
        .filter(|r| q.status.is_none_or(|s| r.status == s))
        .filter(|r| q.grid.is_none() || r.grid == q.grid)
        .filter(|r| skill.as_ref().is_none_or(|s| r.skills.contains(s.as_str())))
        .map(ReportView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Reports { items }))
}

#[utoipa::path(get, path = "/api/v1/reports/stats", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "members, how many reported, by community and by department")))]
pub async fn stats(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let me = node.cfg.org_id.clone();
    let s: ReportingStats = node.store.read(move |c| reports::stats(c, &me)).await?;
    Ok(HttpResponse::Ok().json(s))
}

#[utoipa::path(get, path = "/api/v1/reports/{id}/receipt", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of our members' reports")),
    responses((status = 200, description = "the community's signed report.decided (compact JWS, application/jose); check it with `tongxin verify`"), (status = 404, description = "no such report, or not decided yet")))]
pub async fn receipt(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = uuid_path("report", &path)?;
    let r = if auth.claims.role == Role::Admin {
        let (home, rid) = (node.cfg.org_id.to_string(), id.to_string());
        node.store.read(move |c| rows::find(c, &home, &rid)).await?
    } else {
        Some(own_report(&node, &me_of(&node, &auth).await?, id).await?)
    };
    match r.and_then(|r| r.receipt) {
        Some(jws) => Ok(HttpResponse::Ok()
            .content_type("application/jose")
            .body(jws)),
        None => Err(ApiError::not_found(format!("a receipt for report {id}"))),
    }
}

#[utoipa::path(get, path = "/api/v1/me/reports", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member's reports")))]
pub async fn mine(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let items = node
        .store
        .read(move |c| rows::of_member(c, &m.id))
        .await?
        .into_iter()
        .map(ReportView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Reports { items }))
}
