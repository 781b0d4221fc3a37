//! Co-building agreements (单位报到, 共建协议): a co-builder proposes to a community
//! (`POST /api/v1/agreements`), the community decides (`…/{proposer}/{id}/decision`); both list
//! them (`GET /api/v1/agreements`) and hand out the agreement signed by both (`…/document`).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{ADMIN, ANY, NodeData, org_path, uuid_path};
use crate::domain::agreements::{self, AgreementDecision, NewAgreement, Standing};
use crate::domain::status::AgreementStatus;
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::agreements::{self as rows, AgreementRow};

/// An agreement, as either party holds it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct AgreementView {
    pub proposer_org: String,
    pub id: String,
    pub community_org: String,
    pub title: String,
    pub resources: Vec<String>,
    pub services: String,
    /// The term, Unix seconds.
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: Option<String>,
    pub status: AgreementStatus,
    /// Where it stands now: pending, declined, upcoming, in-force or ended.
    pub standing: Standing,
    pub decision_note: Option<String>,
    pub proposed_ms: i64,
    pub decided_ms: Option<i64>,
}

impl AgreementView {
    fn of(r: AgreementRow, now_s: i64) -> AgreementView {
        AgreementView {
            standing: Standing::of(&r, now_s),
            resources: serde_json::from_str(&r.resources).unwrap_or_default(),
            proposer_org: r.proposer_org,
            id: r.id,
            community_org: r.community_org,
            title: r.title,
            services: r.services,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            note: r.note,
            status: r.status,
            decision_note: r.decision_note,
            proposed_ms: r.proposed_ms,
            decided_ms: r.decided_ms,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Agreements {
    pub items: Vec<AgreementView>,
}

/// The agreement signed by both: the proposer's `agreement.proposed` and the community's
/// `agreement.decided`, each a compact JWS that `tongxin verify` checks.
#[derive(Serialize, schemars::JsonSchema)]
pub struct AgreementDocument {
    pub proposal: String,
    pub decision: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/agreements", tag = "agreements", security(("bearer" = [])),
    responses((status = 201, description = "proposed; sent to the community"), (status = 422, description = "not a community, or a bad term")))]
pub async fn propose(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewAgreement>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| agreements::propose(c, a, input))
        .await?;
    Ok(HttpResponse::Created().json(AgreementView::of(row, node.clock.now_s())))
}

#[utoipa::path(post, path = "/api/v1/agreements/{proposer}/{id}/decision", tag = "agreements", security(("bearer" = [])),
    params(("proposer" = String, Path, description = "the proposing organisation"), ("id" = String, Path, description = "the agreement")),
    responses((status = 200, description = "decided; the proposer is told"), (status = 404, description = "no such proposal to this community"), (status = 409, description = "decided already")))]
pub async fn decide(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<AgreementDecision>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (proposer, id) = path.into_inner();
    let proposer = org_path(&proposer)?;
    let id = uuid_path("agreement", &id)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| agreements::decide(c, a, &proposer, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(AgreementView::of(row, node.clock.now_s())))
}

#[utoipa::path(get, path = "/api/v1/agreements", tag = "agreements", security(("bearer" = [])),
    responses((status = 200, description = "the agreements this organisation is a party to, newest first")))]
pub async fn list(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let me = node.cfg.org_id.to_string();
    let now = node.clock.now_s();
    let items = node
        .store
        .read(move |c| rows::of_party(c, &me))
        .await?
        .into_iter()
        .map(|r| AgreementView::of(r, now))
        .collect();
    Ok(HttpResponse::Ok().json(Agreements { items }))
}

#[utoipa::path(get, path = "/api/v1/agreements/{proposer}/{id}/document", tag = "agreements", security(("bearer" = [])),
    params(("proposer" = String, Path, description = "the proposing organisation"), ("id" = String, Path, description = "the agreement")),
    responses((status = 200, description = "both signed messages"), (status = 404, description = "no such agreement here")))]
pub async fn document(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let (proposer, id) = path.into_inner();
    let proposer = org_path(&proposer)?;
    let id = uuid_path("agreement", &id)?;
    let (p, i) = (proposer.to_string(), id.to_string());
    let r = node
        .store
        .read(move |c| rows::find(c, &p, &i))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("agreement {proposer}/{id}")))?;
    Ok(HttpResponse::Ok().json(AgreementDocument {
        proposal: r.proposal_jws,
        decision: r.decision_jws,
    }))
}
