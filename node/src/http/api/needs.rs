//! Needs (需求清单, 微心愿) and claims: `/api/v1/needs`, `/api/v1/claims`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use tongxin_schema::OrgId;
use uuid::Uuid;

use super::members::me_of;
use super::offers::{ListQuery, Page};
use super::{ADMIN, ANY, NodeData, org_path, uuid_path};
use crate::domain::needs::{
    self, Decision, Done, Escalation, Fulfilment, MemberClaim, NewClaim, NewNeed, Reopening,
};
use crate::domain::status::NeedStatus;
use crate::domain::wishes::{self, NewWish};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::claims::{self, ClaimRow};
use crate::store::needs::NeedRow;

/// A need as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct NeedView {
    pub org_id: String,
    pub id: String,
    pub org_kind: String,
    pub title: String,
    pub description: String,
    pub level: String,
    pub grid: Option<String>,
    pub micro_wish: Option<String>,
    pub wanted: Option<String>,
    pub skills: Vec<String>,
    pub quantity: i64,
    pub due: Option<i64>,
    /// Who handles it now: the owner, or the street it was escalated to.
    pub responsible_org: String,
    pub status: NeedStatus,
    pub status_note: Option<String>,
    pub published_ms: i64,
    pub updated_ms: i64,
    /// E.g. a 12345 hotline ticket number.
    pub external_ref: Option<String>,
}

impl From<NeedRow> for NeedView {
    fn from(n: NeedRow) -> NeedView {
        NeedView {
            skills: serde_json::from_str(&n.skills).unwrap_or_default(),
            org_id: n.org_id,
            id: n.id,
            org_kind: n.org_kind,
            title: n.title,
            description: n.description,
            level: n.level,
            grid: n.grid,
            micro_wish: n.micro_wish,
            wanted: n.wanted,
            quantity: n.quantity,
            due: n.due,
            responsible_org: n.responsible_org,
            status: n.status,
            status_note: n.status_note,
            published_ms: n.published_ms,
            updated_ms: n.updated_ms,
            external_ref: n.external_ref,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, description = "the needs, newest first")))]
pub async fn list(
    node: NodeData,
    auth: Auth,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let f = q.filter()?;
    let Some(status) = q.status::<NeedStatus>() else {
        return Ok(HttpResponse::Ok().json(Page::<NeedView> {
            total: 0,
            items: Vec::new(),
        }));
    };
    let (level, mw) = (q.level.clone(), q.micro_wish.unwrap_or(false));
    let (total, items) = node
        .store
        .read(move |c| crate::store::needs::list(c, &f, status, level.as_deref(), mw))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        total,
        items: items.into_iter().map(NeedView::from).collect::<Vec<_>>(),
    }))
}

#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", security(("bearer" = [])),
    responses((status = 201, description = "the need, published to the alliance"), (status = 422, description = "a field is invalid")))]
pub async fn create(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewNeed>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let row = node.act(move |c, a| needs::publish(c, a, input)).await?;
    Ok(HttpResponse::Created().json(NeedView::from(row)))
}

#[utoipa::path(post, path = "/api/v1/households/{id}/wishes", tag = "needs", security(("bearer" = [])),
    params(("id" = String, Path, description = "a household of this community's care ledger")),
    responses((status = 201, description = "the micro-wish, published at the household's grid without its name or address"), (status = 404, description = "no such household"), (status = 409, description = "not a community"), (status = 422, description = "a field is invalid, or the title or description names the household")))]
pub async fn record_wish(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<NewWish>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let household = uuid_path("household", &path)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| wishes::record(c, a, household, input))
        .await?;
    Ok(HttpResponse::Created().json(NeedView::from(row)))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Claimed {
    pub claim_id: Uuid,
}

#[utoipa::path(post, path = "/api/v1/needs/{org}/{id}/claims", tag = "needs", security(("bearer" = [])),
    params(("org" = String, Path, description = "the need's owner"), ("id" = String, Path, description = "the need")),
    responses((status = 201, description = "claimed; the owner is told"), (status = 404, description = "no such need"), (status = 409, description = "the need is not open, or is ours")))]
pub async fn claim(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<NewClaim>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (org, id) = path.into_inner();
    let need_org = org_path(&org)?;
    let need_id = uuid_path("need", &id)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| needs::claim(c, a, &need_org, need_id, input))
        .await?;
    claimed(&row)
}

fn claimed(row: &ClaimRow) -> Result<HttpResponse, ApiError> {
    // The domain made the id a UUID; reading it back cannot fail.
    let claim_id = Uuid::try_parse(&row.id).map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })?;
    Ok(HttpResponse::Created().json(Claimed { claim_id }))
}

#[utoipa::path(post, path = "/api/v1/me/needs/{org}/{id}/claims", tag = "me", security(("bearer" = [])),
    params(("org" = String, Path, description = "the micro-wish's community"), ("id" = String, Path, description = "the micro-wish")),
    responses((status = 201, description = "claimed through your organisation; the community decides"), (status = 404, description = "no such need"), (status = 409, description = "not an open micro-wish, or your organisation has a claim on it already")))]
pub async fn claim_mine(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<MemberClaim>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let member = uuid_path("member", &m.id)?;
    let (org, id) = path.into_inner();
    let need_org = org_path(&org)?;
    let need_id = uuid_path("need", &id)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| needs::claim_for_member(c, a, member, &need_org, need_id, input))
        .await?;
    claimed(&row)
}

/// A claim a member made through their home, with what it is for.
#[derive(Serialize, schemars::JsonSchema)]
pub struct MyClaim {
    #[serde(flatten)]
    pub claim: ClaimRow,
    /// The need's title and its micro-wish category, when this node holds the need.
    pub need_title: Option<String>,
    pub micro_wish: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct MyClaims {
    pub items: Vec<MyClaim>,
}

/// The claims the member `member_id` made through us, with their needs.
pub fn claims_of_member(
    c: &mut crate::store::AnyConnection,
    member_id: &str,
) -> crate::store::StoreResult<Vec<MyClaim>> {
    claims::of_member(c, member_id)?
        .into_iter()
        .map(|claim| {
            let need = crate::store::needs::find(c, &claim.need_org, &claim.need_id)?;
            Ok(MyClaim {
                need_title: need.as_ref().map(|n| n.title.clone()),
                micro_wish: need.and_then(|n| n.micro_wish),
                claim,
            })
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/me/claims", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the micro-wishes you took on, the newest first; an accepted claim shows how to reach the person")))]
pub async fn my_claims(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let items = node.store.read(move |c| claims_of_member(c, &m.id)).await?;
    Ok(HttpResponse::Ok().json(MyClaims { items }))
}

#[utoipa::path(post, path = "/api/v1/me/claims/{id}/done", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path, description = "an accepted claim of yours")),
    responses((status = 200, description = "reported done; the community confirms or reopens it"), (status = 404, description = "no such claim of yours"), (status = 409, description = "the claim is not accepted")))]
pub async fn report_done_mine(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Done>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let member = uuid_path("member", &m.id)?;
    let claim_id = uuid_path("claim", &path)?;
    let d = body.into_inner();
    let row = node
        .act(move |c, a| needs::report_done_by_member(c, a, member, claim_id, d))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Decided {
    pub claim_id: Uuid,
    pub accepted: bool,
}

#[utoipa::path(post, path = "/api/v1/claims/{claimant}/{id}/decision", tag = "needs", security(("bearer" = [])),
    params(("claimant" = String, Path, description = "the claiming organisation"), ("id" = String, Path, description = "the claim")),
    responses((status = 200, description = "decided; the claimant is told"), (status = 404, description = "no such claim"), (status = 409, description = "already decided")))]
pub async fn decide(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<Decision>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (org, id) = path.into_inner();
    let claimant = org_path(&org)?;
    let claim_id = uuid_path("claim", &id)?;
    let d = body.into_inner();
    let accepted = d.accepted;
    node.act(move |c, a| needs::decide(c, a, &claimant, claim_id, d))
        .await?;
    Ok(HttpResponse::Ok().json(Decided { claim_id, accepted }))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Fulfilled {
    pub fulfilled: Uuid,
}

#[utoipa::path(post, path = "/api/v1/needs/{id}/fulfil", tag = "needs", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's needs")),
    responses((status = 200, description = "fulfilled; the alliance is told"), (status = 404, description = "no such need of ours")))]
pub async fn fulfil(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Fulfilment>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let need_id = uuid_path("need", &path)?;
    let f = body.into_inner();
    node.act(move |c, a| needs::fulfil(c, a, need_id, f))
        .await?;
    Ok(HttpResponse::Ok().json(Fulfilled { fulfilled: need_id }))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Escalated {
    pub escalated: Uuid,
    pub to_org: OrgId,
}

#[utoipa::path(post, path = "/api/v1/needs/{id}/escalate", tag = "needs", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this community's needs")),
    responses((status = 200, description = "handed to the parent street"), (status = 422, description = "this organisation has no parent street")))]
pub async fn escalate(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Escalation>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let need_id = uuid_path("need", &path)?;
    let e = body.into_inner();
    let row = node
        .act(move |c, a| needs::escalate(c, a, need_id, e))
        .await?;
    let to_org = row
        .responsible_org
        .parse()
        .map_err(|_| ApiError::not_found("the street"))?;
    Ok(HttpResponse::Ok().json(Escalated {
        escalated: need_id,
        to_org,
    }))
}

#[utoipa::path(post, path = "/api/v1/claims/{id}/done", tag = "needs", security(("bearer" = [])),
    params(("id" = String, Path, description = "an accepted claim of this organisation")),
    responses((status = 200, description = "reported done; the need's owner confirms or reopens it"), (status = 404, description = "no such claim of ours"), (status = 409, description = "the claim is not accepted")))]
pub async fn report_done(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Done>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let claim_id = uuid_path("claim", &path)?;
    let d = body.into_inner();
    let row = node
        .act(move |c, a| needs::report_done(c, a, claim_id, d))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

#[utoipa::path(post, path = "/api/v1/claims/{claimant}/{id}/reopen", tag = "needs", security(("bearer" = [])),
    params(("claimant" = String, Path, description = "the claiming organisation"), ("id" = String, Path, description = "an accepted or done claim on one of our needs")),
    responses((status = 200, description = "reopened; the claimant is told and the need is open again"), (status = 404, description = "no such claim"), (status = 409, description = "the claim is not under way")))]
pub async fn reopen(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<Reopening>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (org, id) = path.into_inner();
    let claimant = org_path(&org)?;
    let claim_id = uuid_path("claim", &id)?;
    let r = body.into_inner();
    let row = node
        .act(move |c, a| needs::reopen(c, a, &claimant, claim_id, r))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Claims {
    pub items: Vec<ClaimRow>,
}

#[utoipa::path(get, path = "/api/v1/claims", tag = "needs", security(("bearer" = [])),
    responses((status = 200, description = "claims this organisation made or received")))]
pub async fn list_claims(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let org = node.cfg.org_id.to_string();
    let items = node.store.read(move |c| claims::list(c, &org)).await?;
    Ok(HttpResponse::Ok().json(Claims { items }))
}
