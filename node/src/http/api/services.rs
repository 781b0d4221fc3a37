//! 服务登记 and 表现反馈 (`domain::services`): a member logs a service at home
//! (`/api/v1/me/services`, or staff for them at `/api/v1/members/{id}/services`); the community
//! lists what it received (`/api/v1/services`) and approves or declines
//! (`/api/v1/services/{home}/{id}/decision`); it sends feedback on a member who reports there
//! (`/api/v1/reports/{home}/{id}/feedback`); both sides list feedback (`/api/v1/feedback`).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::members::{MEMBER, me_of};
use super::{ADMIN, NodeData, org_path, uuid_path};
use crate::domain::services::{self, NewFeedback, NewServiceLog, ServiceDecision};
use crate::domain::status::ServiceStatus;
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::services::{self as rows, FeedbackRow, ServiceLogRow};

#[derive(Serialize, schemars::JsonSchema)]
pub struct ServiceLogView {
    pub home_org: String,
    pub id: String,
    pub community_org: String,
    /// How the community knows the member.
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    pub what: String,
    pub category: String,
    pub grid: Option<String>,
    /// Unix seconds.
    pub started_at: i64,
    pub ended_at: i64,
    pub minutes: i64,
    pub status: ServiceStatus,
    pub note: Option<String>,
    pub logged_ms: i64,
    pub decided_ms: Option<i64>,
}

impl From<ServiceLogRow> for ServiceLogView {
    fn from(r: ServiceLogRow) -> ServiceLogView {
        ServiceLogView {
            home_org: r.home_org,
            id: r.id,
            community_org: r.community_org,
            mref: r.mref,
            member_id: r.member_id,
            what: r.what,
            category: r.category,
            grid: r.grid,
            started_at: r.started_at,
            ended_at: r.ended_at,
            minutes: r.minutes,
            status: r.status,
            note: r.note,
            logged_ms: r.logged_ms,
            decided_ms: r.decided_ms,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ServiceLogs {
    pub items: Vec<ServiceLogView>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct FeedbackView {
    pub community_org: String,
    pub id: String,
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    /// Unix seconds: `[period_starts_at, period_ends_at)`.
    pub period_starts_at: i64,
    pub period_ends_at: i64,
    pub minutes: i64,
    pub activities: i64,
    pub grade: String,
    pub evaluation: String,
    /// The signed `feedback.sent`, which `tongxin verify` checks.
    pub document: String,
    pub sent_ms: i64,
}

impl From<FeedbackRow> for FeedbackView {
    fn from(r: FeedbackRow) -> FeedbackView {
        FeedbackView {
            community_org: r.community_org,
            id: r.id,
            mref: r.mref,
            member_id: r.member_id,
            period_starts_at: r.period_starts_at,
            period_ends_at: r.period_ends_at,
            minutes: r.minutes,
            activities: r.activities,
            grade: r.grade,
            evaluation: r.evaluation,
            document: r.document,
            sent_ms: r.sent_ms,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Feedbacks {
    pub items: Vec<FeedbackView>,
}

async fn log_for(
    node: &NodeData,
    member: uuid::Uuid,
    input: NewServiceLog,
) -> Result<HttpResponse, ApiError> {
    let row = node
        .act(move |c, a| services::log(c, a, member, input))
        .await?;
    Ok(HttpResponse::Created().json(ServiceLogView::from(row)))
}

#[utoipa::path(post, path = "/api/v1/me/services", tag = "me", security(("bearer" = [])),
    responses((status = 201, description = "sent to the community for review"), (status = 422, description = "no accepted report there, or times out of order")))]
pub async fn log_mine(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewServiceLog>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let id = uuid_path("member", &m.id)?;
    log_for(&node, id, body.into_inner()).await
}

#[utoipa::path(post, path = "/api/v1/members/{id}/services", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member")),
    responses((status = 201, description = "sent to the community for review"), (status = 404, description = "no such member"), (status = 422, description = "no accepted report there, or times out of order")))]
pub async fn log_for_member(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<NewServiceLog>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?;
    log_for(&node, id, body.into_inner()).await
}

#[utoipa::path(get, path = "/api/v1/me/services", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member's logged services, newest first")))]
pub async fn mine(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(MEMBER)?;
    let m = me_of(&node, &auth).await?;
    let items = node
        .store
        .read(move |c| rows::logs_of_member(c, &m.id))
        .await?
        .into_iter()
        .map(ServiceLogView::from)
        .collect();
    Ok(HttpResponse::Ok().json(ServiceLogs { items }))
}

#[utoipa::path(get, path = "/api/v1/services", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "at a community: the services its reporting members logged, waiting ones first")))]
pub async fn received(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let me = node.cfg.org_id.to_string();
    let items = node
        .store
        .read(move |c| rows::logs_received(c, &me))
        .await?
        .into_iter()
        .map(ServiceLogView::from)
        .collect();
    Ok(HttpResponse::Ok().json(ServiceLogs { items }))
}

#[utoipa::path(post, path = "/api/v1/services/{home}/{id}/decision", tag = "reports", security(("bearer" = [])),
    params(("home" = String, Path, description = "the member's home"), ("id" = String, Path, description = "the service")),
    responses((status = 200, description = "approved (attested to the home, which credits it) or declined"), (status = 404, description = "no such service here"), (status = 409, description = "decided already")))]
pub async fn decide(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<ServiceDecision>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let home = org_path(&path.0)?;
    let id = uuid_path("service", &path.1)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| services::decide(c, a, &home, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(ServiceLogView::from(row)))
}

#[utoipa::path(post, path = "/api/v1/reports/{home}/{id}/feedback", tag = "reports", security(("bearer" = [])),
    params(("home" = String, Path, description = "the member's home"), ("id" = String, Path, description = "the member's report here")),
    responses((status = 201, description = "sent to the member's home"), (status = 404, description = "no such report here"), (status = 409, description = "the report is not accepted")))]
pub async fn send_feedback(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<NewFeedback>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let home = org_path(&path.0)?;
    let id = uuid_path("report", &path.1)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| services::send_feedback(c, a, &home, id, input))
        .await?;
    Ok(HttpResponse::Created().json(FeedbackView::from(row)))
}

#[utoipa::path(get, path = "/api/v1/feedback", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "the feedback this node sent (a community) and its members received (a home), current ones, newest first")))]
pub async fn list(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let me = node.cfg.org_id.to_string();
    let items = node
        .store
        .read(move |c| {
            let mut all = rows::feedback_received(c)?;
            all.extend(rows::feedback_sent(c, &me)?);
            Ok(all)
        })
        .await?
        .into_iter()
        .map(FeedbackView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Feedbacks { items }))
}
