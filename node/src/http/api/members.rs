//! Members at their home (`/api/v1/members`, admins) and a member's own view (`/api/v1/me`).

use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongxin_schema::token::Role;

use super::offers::Page;
use super::reports::ReportView;
use super::{ADMIN, NodeData, uuid_path};
use crate::domain::members::{self, ImportMode, ImportReport, NewMember};
use crate::http::auth::{Auth, hash_password};
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::http::limit::SignInLimit;
use crate::state::SharedNode;
use crate::store::members::MemberRow;
use crate::store::reports as report_rows;

pub const MEMBER: &[Role] = &[Role::Member];

/// A member, as their home's admins see them.
#[derive(Serialize, schemars::JsonSchema)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub display_name: Option<String>,
    pub phone: String,
    pub department: Option<String>,
    pub residence_org: Option<String>,
    pub grid: Option<String>,
    /// The community they work in and its grid.
    pub work_org: Option<String>,
    pub work_grid: Option<String>,
    pub skills: Vec<String>,
    pub availability: Vec<String>,
    pub emergency_ready: bool,
    /// Their sign-in here, once they have one.
    pub username: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl From<MemberRow> for MemberView {
    fn from(m: MemberRow) -> MemberView {
        MemberView {
            skills: serde_json::from_str(&m.skills).unwrap_or_default(),
            availability: serde_json::from_str(&m.availability).unwrap_or_default(),
            id: m.id,
            name: m.name,
            display_name: m.display_name,
            phone: m.phone,
            department: m.department,
            residence_org: m.residence_org,
            grid: m.grid,
            work_org: m.work_org,
            work_grid: m.work_grid,
            emergency_ready: m.emergency_ready,
            username: m.username,
            created_ms: m.created_ms,
            updated_ms: m.updated_ms,
        }
    }
}

/// A member and their reports.
#[derive(Serialize, schemars::JsonSchema)]
pub struct MemberDetail {
    pub member: MemberView,
    pub reports: Vec<ReportView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MemberQuery {
    /// Words in the name, phone or department.
    pub q: Option<String>,
    /// Only members who have (true) or have not (false) reported to a community.
    pub reported: Option<bool>,
    pub department: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(MemberQuery), security(("bearer" = [])),
    responses((status = 200, description = "members, by name")))]
pub async fn list(
    node: NodeData,
    auth: Auth,
    q: web::Query<MemberQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let q = q.into_inner();
    if q.q
        .as_ref()
        .is_some_and(|s| s.chars().count() > 100 || s.chars().any(char::is_control))
    {
        return Err(ApiError::invalid(
            "q",
            "at most 100 characters, no control characters",
        ));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let me = node.cfg.org_id.to_string();
    let (all, sent) = node
        .store
        .read(move |c| Ok((crate::store::members::all(c)?, report_rows::sent(c, &me)?)))
        .await?;
    let reported: HashSet<String> = sent
        .into_iter()
        .filter(|r| r.status.standing())
        .filter_map(|r| r.member_id)
        .collect();
    // Members of one organisation number in the thousands: filtering them here is cheaper
    // than a query per filter, and the same code serves the statistics.
    let words = q.q.unwrap_or_default();
    let hits: Vec<MemberRow> = all
        .into_iter()
        .filter(|m| {
            words.is_empty()
                || m.name.contains(&words)
                || m.phone.contains(&words)
                || m.department.as_deref().is_some_and(|d| d.contains(&words))
        })
        .filter(|m| q.reported.is_none_or(|r| reported.contains(&m.id) == r))
        .filter(|m| {
            q.department
                .as_deref()
                .is_none_or(|d| m.department.as_deref().unwrap_or("") == d)
        })
        .collect();
    let total = hits.len() as i64;
    let items = hits
        .into_iter()
        .skip(q.offset.unwrap_or(0))
        .take(limit)
        .map(MemberView::from)
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(Page { total, items }))
}

#[utoipa::path(post, path = "/api/v1/members", tag = "members", security(("bearer" = [])),
    responses((status = 201, description = "registered"), (status = 422, description = "a field is invalid, or the phone is registered already")))]
pub async fn create(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewMember>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let row = node.act(move |c, a| members::register(c, a, input)).await?;
    Ok(HttpResponse::Created().json(MemberView::from(row)))
}

async fn detail(node: &NodeData, id: uuid::Uuid) -> Result<MemberDetail, ApiError> {
    let (member, reports) = node
        .store
        .read(move |c| {
            let m = crate::store::members::find(c, &id.to_string())?;
            let r = report_rows::of_member(c, &id.to_string())?;
            Ok((m, r))
        })
        .await?;
    let member = member.ok_or_else(|| ApiError::not_found(format!("member {id}")))?;
    Ok(MemberDetail {
        member: member.into(),
        reports: reports.into_iter().map(ReportView::from).collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member")),
    responses((status = 200, description = "the member and their reports"), (status = 404, description = "no such member")))]
pub async fn get(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?;
    Ok(HttpResponse::Ok().json(detail(&node, id).await?))
}

#[utoipa::path(put, path = "/api/v1/members/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member")),
    responses((status = 200, description = "changed"), (status = 404, description = "no such member"), (status = 422, description = "a field is invalid")))]
pub async fn update(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<NewMember>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| members::update(c, a, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(MemberView::from(row)))
}

/// A first password an admin sets, or a member's new one.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    /// At least 8 characters.
    pub password: String,
    /// A member changing their own password gives the current one.
    pub current: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct SignInView {
    /// What the member types to sign in here (their phone number).
    pub username: String,
}

/// A new password, checked, and hashed off the HTTP workers (argon2 is slow on purpose).
pub async fn new_password_hash(password: String) -> Result<String, ApiError> {
    if password.chars().count() < 8 || password.len() > 256 {
        return Err(ApiError::invalid("password", "8 to 256 characters"));
    }
    web::block(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::internal)
}

#[utoipa::path(post, path = "/api/v1/members/{id}/password", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member")),
    responses((status = 200, description = "the member can sign in here with the member role"), (status = 404, description = "no such member"), (status = 422, description = "too short")))]
pub async fn set_password(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<PasswordInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?;
    let input = body.into_inner();
    let hash = new_password_hash(input.password).await?;
    let username = node
        .act(move |c, a| members::set_password(c, a, id, &hash))
        .await?;
    Ok(HttpResponse::Ok().json(SignInView { username }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// dry-run (default): check only; all: import only a file without errors; skip-invalid:
    /// import the good rows.
    #[param(value_type = Option<String>)]
    pub mode: Option<ImportMode>,
}

/// The largest file an import takes.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

#[utoipa::path(post, path = "/api/v1/members/import", tag = "members", params(ImportQuery), security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "UTF-8 or GBK; header 姓名,手机,部门,居住社区,网格,技能,可服务时段,急时可调"),
    responses((status = 200, description = "what was found, row by row, and what was imported"), (status = 415, description = "not sent as text/csv")))]
pub async fn import(
    req: HttpRequest,
    node: NodeData,
    auth: Auth,
    q: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    // Only text/csv: a cross-site page can send text/plain without a preflight, and the API
    // also reads the web UI's cookie.
    let csv = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim() == "text/csv"));
    if !csv {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "send the file with Content-Type: text/csv",
        ));
    }
    let mode = q.mode.unwrap_or(ImportMode::DryRun);
    let bytes = body.to_vec();
    let report: ImportReport = node
        .act(move |c, a| members::import(c, a, &bytes, mode))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(get, path = "/api/v1/members/export", tag = "members", security(("bearer" = [])),
    responses((status = 200, description = "every member as CSV (UTF-8 with BOM), as the import reads it")))]
pub async fn export(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let all = node.store.read(crate::store::members::all).await?;
    let csv = members::export(&node.roster(), &all);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"members-{}.csv\"", node.cfg.org_id),
        ))
        .body(csv))
}

/// The member behind a `member` token of this node.
pub async fn me_of(node: &NodeData, auth: &Auth) -> Result<MemberRow, ApiError> {
    auth.require(MEMBER)?;
    member_signed_in_as(node, &auth.claims.sub).await
}

/// The member whose sign-in here is `username`.
pub async fn member_signed_in_as(node: &SharedNode, username: &str) -> Result<MemberRow, ApiError> {
    let username = username.to_owned();
    node.store
        .read(move |c| crate::store::members::find_by_username(c, &username))
        .await?
        .ok_or_else(|| ApiError::forbidden("this sign-in belongs to no member here"))
}

/// A member changes their own password: the current one must sign in first. Returns the
/// sign-in name.
pub async fn change_own_password(
    node: &SharedNode,
    member: &MemberRow,
    input: PasswordInput,
) -> Result<String, ApiError> {
    let username = member.username.clone().unwrap_or_default();
    let check = crate::http::auth::Username::try_from(username.clone())
        .map_err(|e| ApiError::invalid("username", e))?;
    let current = input.current.unwrap_or_default();
    if crate::http::auth::sign_in(node, check, current)
        .await?
        .is_none()
    {
        return Err(ApiError::invalid(
            "current",
            "the current password is wrong",
        ));
    }
    let hash = new_password_hash(input.password).await?;
    let id = uuid_path("member", &member.id)?;
    node.act(move |c, a| members::set_password(c, a, id, &hash))
        .await?;
    Ok(username)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member and their reports"), (status = 403, description = "not a member of this organisation")))]
pub async fn me(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let id = uuid_path("member", &m.id)?;
    Ok(HttpResponse::Ok().json(detail(&node, id).await?))
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "changed"), (status = 422, description = "the current password is wrong, or the new one too short"), (status = 429, description = "too many attempts from this address")))]
pub async fn change_password(
    req: HttpRequest,
    node: NodeData,
    auth: Auth,
    limit: web::Data<SignInLimit>,
    body: ValidJson<PasswordInput>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    // Checking the current password is a sign-in: the same limit, so a stolen session cannot
    // guess it at argon2 speed.
    limit.attempt(&req).map_err(ApiError::too_many)?;
    let username = change_own_password(&node, &m, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SignInView { username }))
}
