//! The JSON API under `/api/v1`. Every route names the roles it admits.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tongxin_schema::OrgId;
use tongxin_schema::token::Role;
use tongxin_schema::v1::taxonomy::*;
use tongxin_schema::v1::text::{Description, Note, Text, Title};
use uuid::Uuid;

use super::actions;
use super::auth::{self, Auth};
use super::error::ApiError;
use super::extract::ValidJson;
use crate::state::SharedNode;
use crate::store::rows::{self, ClaimRow, ListFilter, NeedRow, OfferRow};
use crate::store::{inbox, outbox};

type Node = web::Data<SharedNode>;
const ANY: &[Role] = &[Role::Admin, Role::Member, Role::Auditor];
const ADMIN: &[Role] = &[Role::Admin];

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: Text<1, 64>,
    pub password: Text<1, 256>,
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth",
    request_body(content = Object, description = "TokenRequest: { username, password }"),
    responses((status = 200, description = "{ token, expires_at, role, org_id }"), (status = 401, description = "wrong username or password")))]
pub async fn token(node: Node, body: ValidJson<TokenRequest>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (username, role) =
        auth::sign_in(&node, body.username.to_string(), body.password.to_string())
            .await?
            .ok_or_else(|| ApiError::unauthorized("wrong username or password"))?;
    let (token, exp) = auth::issue(&node, &username, role)?;
    Ok(HttpResponse::Ok().json(
        json!({ "token": token, "expires_at": exp, "role": role, "org_id": node.cfg.org_id }),
    ))
}

#[utoipa::path(get, path = "/api/v1/node", tag = "node", security(("bearer" = [])),
    responses((status = 200, description = "this node: org id, kind, name, readiness, roster serial, outbox depth")))]
pub async fn node_info(node: Node, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let depth = node.store.read(outbox::depth).await?;
    let v = node.verifier();
    Ok(HttpResponse::Ok().json(json!({
        "org_id": node.cfg.org_id, "kind": node.cfg.kind, "name": node.cfg.name,
        "broker_ready": node.broker_ready(), "roster_serial": v.roster().map(|r| r.serial()),
        "revoked_certificates": v.revocations().serials.len(), "outbox_depth": depth,
        "certificate": { "fingerprint": node.signer.cert_info().fingerprint, "not_after": node.signer.cert_info().not_after },
    })))
}

#[utoipa::path(get, path = "/api/v1/orgs", tag = "node", security(("bearer" = [])),
    responses((status = 200, description = "the alliance roster's organisations")))]
pub async fn orgs(node: Node, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let roster = node.roster();
    let orgs: Vec<_> = roster
        .orgs()
        .iter()
        .map(|o| json!({ "id": o.id, "name": o.name, "kind": o.kind, "parent": o.parent, "grids": o.grids }))
        .collect();
    Ok(HttpResponse::Ok().json(
        json!({ "serial": roster.serial(), "alliance": roster.doc().alliance, "orgs": orgs }),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Offer category, or for needs the wanted category.
    pub category: Option<String>,
    /// Kind of the publishing organisation.
    pub org_kind: Option<String>,
    /// Publishing organisation.
    pub org: Option<String>,
    /// open | withdrawn (offers) or open | fulfilled (needs).
    pub status: Option<String>,
    /// Words in the title or description.
    pub q: Option<String>,
    /// Needs only: grid | community | street.
    pub level: Option<String>,
    /// Needs only: only micro-wishes (微心愿).
    pub micro_wish: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl ListQuery {
    pub fn filter(&self) -> Result<ListFilter, ApiError> {
        let check = |field: &str, v: &Option<String>, ok: &dyn Fn(&str) -> bool| match v {
            Some(s) if !ok(s) => Err(ApiError::invalid(field, format!("unknown value {s:?}"))),
            _ => Ok(()),
        };
        check("category", &self.category, &|s| {
            serde_json::from_value::<OfferCategory>(json!(s)).is_ok()
        })?;
        check("org_kind", &self.org_kind, &|s| {
            s.parse::<tongxin_schema::OrgKind>().is_ok()
        })?;
        check("org", &self.org, &|s| s.parse::<OrgId>().is_ok())?;
        check("status", &self.status, &|s| {
            matches!(s, "open" | "withdrawn" | "fulfilled")
        })?;
        check("level", &self.level, &|s| {
            serde_json::from_value::<NeedLevel>(json!(s)).is_ok()
        })?;
        // Control characters (NUL above all) would reach the database in a LIKE pattern.
        check("q", &self.q, &|s| {
            s.chars().count() <= 100 && !s.chars().any(char::is_control)
        })?;
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::invalid("limit", "must be between 1 and 500"));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::invalid("offset", "must not be negative"));
        }
        Ok(ListFilter {
            category: self.category.clone(),
            org_kind: self.org_kind.clone(),
            org: self.org.clone(),
            status: self.status.clone(),
            text: self.q.clone().filter(|q| !q.trim().is_empty()),
            limit,
            offset,
        })
    }
}

fn list(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|_| json!([]))
}

pub fn offer_json(o: &OfferRow) -> serde_json::Value {
    json!({
        "org_id": o.org_id, "id": o.id, "org_kind": o.org_kind, "title": o.title, "description": o.description,
        "category": o.category, "capacity": o.capacity, "unit": o.unit, "skills": list(&o.skills), "station": o.station,
        "grids": list(&o.grids), "available_until": o.available_until, "status": o.status, "status_note": o.status_note,
        "published_ms": o.published_ms, "updated_ms": o.updated_ms,
    })
}

pub fn need_json(n: &NeedRow) -> serde_json::Value {
    json!({
        "org_id": n.org_id, "id": n.id, "org_kind": n.org_kind, "title": n.title, "description": n.description,
        "level": n.level, "grid": n.grid, "micro_wish": n.micro_wish, "wanted": n.wanted, "skills": list(&n.skills),
        "quantity": n.quantity, "due": n.due, "responsible_org": n.responsible_org, "status": n.status,
        "status_note": n.status_note, "published_ms": n.published_ms, "updated_ms": n.updated_ms,
    })
}

#[utoipa::path(get, path = "/api/v1/offers", tag = "offers", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, description = "{ total, items: [offer] }, newest first")))]
pub async fn list_offers(
    node: Node,
    auth: Auth,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let f = q.filter()?;
    let (total, items) = node.store.read(move |c| rows::list_offers(c, &f)).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "total": total, "items": items.iter().map(offer_json).collect::<Vec<_>>() })))
}

/// An offer as staff enter it; `offer_id` is chosen by the node when absent.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    pub offer_id: Option<Uuid>,
    pub title: Title,
    #[serde(default = "actions::empty_description")]
    pub description: Description,
    pub category: OfferCategory,
    pub capacity: u32,
    pub unit: Option<Text<1, 32>>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    pub station: Option<StationKind>,
    #[serde(default)]
    pub grids: Vec<Text<1, 64>>,
    pub available_until: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/offers", tag = "offers", security(("bearer" = [])),
    request_body(content = Object, description = "OfferInput (see components.schemas.OfferInput)"),
    responses((status = 201, description = "the offer, published to the alliance"), (status = 422, description = "a field is invalid; the message names it")))]
pub async fn create_offer(
    node: Node,
    auth: Auth,
    body: ValidJson<OfferInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let row = actions::create_offer(&node, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(offer_json(&row)))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: Option<Note>,
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/withdraw", tag = "offers", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's offers")),
    request_body(content = Object, description = "{ reason? }"),
    responses((status = 200, description = "withdrawn"), (status = 404, description = "no such offer of ours"), (status = 409, description = "already withdrawn")))]
pub async fn withdraw_offer(
    node: Node,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let offer_id = actions::withdraw_offer(&node, &path, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "withdrawn": offer_id })))
}

#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, description = "{ total, items: [need] }, newest first")))]
pub async fn list_needs(
    node: Node,
    auth: Auth,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let f = q.filter()?;
    let (level, mw) = (q.level.clone(), q.micro_wish.unwrap_or(false));
    let (total, items) = node
        .store
        .read(move |c| rows::list_needs(c, &f, level.as_deref(), mw))
        .await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "total": total, "items": items.iter().map(need_json).collect::<Vec<_>>() })))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    pub need_id: Option<Uuid>,
    pub title: Title,
    #[serde(default = "actions::empty_description")]
    pub description: Description,
    pub level: NeedLevel,
    pub grid: Option<Text<1, 64>>,
    pub micro_wish: Option<MicroWishCategory>,
    pub wanted: Option<OfferCategory>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    pub quantity: Option<u32>,
    pub due: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", security(("bearer" = [])),
    request_body(content = Object, description = "NeedInput (see components.schemas.NeedInput)"),
    responses((status = 201, description = "the need, published to the alliance"), (status = 422, description = "a field is invalid")))]
pub async fn create_need(
    node: Node,
    auth: Auth,
    body: ValidJson<NeedInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let row = actions::create_need(&node, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(need_json(&row)))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    pub offer_id: Option<Uuid>,
    pub note: Option<Note>,
}

#[utoipa::path(post, path = "/api/v1/needs/{org}/{id}/claims", tag = "needs", security(("bearer" = [])),
    params(("org" = String, Path, description = "the need's owner"), ("id" = String, Path, description = "the need")),
    request_body(content = Object, description = "{ offer_id?, note? }"),
    responses((status = 201, description = "{ claim_id }; the owner is told"), (status = 404, description = "no such need"), (status = 409, description = "the need is not open, or is ours")))]
pub async fn claim_need(
    node: Node,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<ClaimInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (org, id) = path.into_inner();
    let claim_id = actions::claim_need(&node, &org, &id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({ "claim_id": claim_id })))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub accepted: bool,
    pub note: Option<Note>,
}

#[utoipa::path(post, path = "/api/v1/claims/{claimant}/{id}/decision", tag = "needs", security(("bearer" = [])),
    params(("claimant" = String, Path, description = "the claiming organisation"), ("id" = String, Path, description = "the claim")),
    request_body(content = Object, description = "{ accepted, note? }"),
    responses((status = 200, description = "decided; the claimant is told"), (status = 404, description = "no such claim"), (status = 409, description = "already decided")))]
pub async fn decide_claim(
    node: Node,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (org, id) = path.into_inner();
    let i = body.into_inner();
    let accepted = i.accepted;
    let claim_id = actions::decide_claim(&node, &org, &id, i).await?;
    Ok(HttpResponse::Ok().json(json!({ "claim_id": claim_id, "accepted": accepted })))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilInput {
    pub claim_id: Option<Uuid>,
    pub summary: Option<Note>,
}

#[utoipa::path(post, path = "/api/v1/needs/{id}/fulfil", tag = "needs", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's needs")),
    request_body(content = Object, description = "{ claim_id?, summary? }"),
    responses((status = 200, description = "fulfilled; the alliance is told"), (status = 404, description = "no such need of ours")))]
pub async fn fulfil_need(
    node: Node,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<FulfilInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let need_id = actions::fulfil_need(&node, &path, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "fulfilled": need_id })))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateInput {
    pub reason: Option<Note>,
}

#[utoipa::path(post, path = "/api/v1/needs/{id}/escalate", tag = "needs", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this community's needs")),
    request_body(content = Object, description = "{ reason? }"),
    responses((status = 200, description = "handed to the parent street"), (status = 422, description = "this organisation has no parent street")))]
pub async fn escalate_need(
    node: Node,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<EscalateInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (need_id, parent) = actions::escalate_need(&node, &path, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "escalated": need_id, "to_org": parent })))
}

#[utoipa::path(get, path = "/api/v1/claims", tag = "needs", security(("bearer" = [])),
    responses((status = 200, description = "claims this organisation made or received")))]
pub async fn list_claims(node: Node, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let org = node.cfg.org_id.to_string();
    let items: Vec<ClaimRow> = node.store.read(move |c| rows::list_claims(c, &org)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RejectedQuery {
    /// Only this reason code.
    pub code: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/messages/rejected", tag = "exchange", params(RejectedQuery), security(("bearer" = [])),
    responses((status = 200, description = "rejected messages, newest first, with the reason")))]
pub async fn rejected(
    node: Node,
    auth: Auth,
    q: web::Query<RejectedQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    if q.code
        .as_ref()
        .is_some_and(|c| c.len() > 64 || c.chars().any(char::is_control))
    {
        return Err(ApiError::invalid("code", "not a reason code"));
    }
    let code = q.code.clone();
    let items = node
        .store
        .read(move |c| inbox::list_rejected(c, limit, code.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Serialize)]
struct StreamHealth {
    #[serde(flatten)]
    stream: inbox::InStream,
    missing: i64,
}

#[utoipa::path(get, path = "/api/v1/streams", tag = "exchange", security(("bearer" = [])),
    responses((status = 200, description = "per (sender, stream): last seq applied, known head, open gap and since when")))]
pub async fn streams(node: Node, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin, Role::Auditor])?;
    let (streams, heads, held) = node
        .store
        .read(|c| {
            Ok((
                inbox::all_streams(c)?,
                outbox::heads(c)?,
                inbox::held_count(c)?,
            ))
        })
        .await?;
    let items: Vec<_> = streams
        .into_iter()
        .map(|s| StreamHealth {
            missing: s.known_head - s.last_seq,
            stream: s,
        })
        .collect();
    let out: Vec<_> = heads
        .into_iter()
        .map(|(stream, last)| json!({ "stream": stream, "last_seq": last }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "incoming": items, "outgoing": out, "held": held })))
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(node: Node) -> HttpResponse {
    let db = node.store.read(outbox::depth).await.is_ok();
    let broker = node.broker_ready();
    let body = json!({ "database": db, "broker": broker });
    if db && broker {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

pub async fn metrics(node: Node) -> Result<HttpResponse, ApiError> {
    let (depth, held, received, gaps) = node
        .store
        .read(|c| {
            Ok((
                outbox::depth(c)?,
                inbox::held_count(c)?,
                inbox::received_count(c)?,
                inbox::gaps(c)?,
            ))
        })
        .await?;
    let mut gauges = vec![
        (
            "tongxin_outbox_depth",
            "Messages written but not yet confirmed by the broker.",
            String::new(),
            depth as f64,
        ),
        (
            "tongxin_held_messages",
            "Messages held behind a gap.",
            String::new(),
            held as f64,
        ),
        (
            "tongxin_received_messages",
            "Messages applied and kept.",
            String::new(),
            received as f64,
        ),
        (
            "tongxin_broker_ready",
            "1 when connected to the broker.",
            String::new(),
            if node.broker_ready() { 1.0 } else { 0.0 },
        ),
    ];
    for g in gaps {
        gauges.push((
            "tongxin_stream_missing_messages",
            "Messages known to exist but not yet applied, per peer stream.",
            format!(
                "peer=\"{}\",stream=\"{}\"",
                crate::metrics::label(&g.iss),
                crate::metrics::label(&g.stream)
            ),
            (g.known_head - g.last_seq) as f64,
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(node.metrics.render(&gauges)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Tongxin node API", description = "One organisation's node of the Tongxin alliance. Bodies are JSON; errors are { error: { code, message } }."),
    paths(token, node_info, orgs, list_offers, create_offer, withdraw_offer, list_needs, create_need, claim_need, decide_claim, fulfil_need, escalate_need, list_claims, rejected, streams),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

struct Bearer;
impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let comps = doc.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, with the request bodies' JSON Schemas (from the Rust types) added.
pub fn openapi_json() -> serde_json::Value {
    let mut doc = serde_json::to_value(<ApiDoc as utoipa::OpenApi>::openapi()).unwrap_or_default();
    let schemas = [
        ("TokenRequest", schemars::schema_for!(TokenRequest)),
        ("OfferInput", schemars::schema_for!(OfferInput)),
        ("NeedInput", schemars::schema_for!(NeedInput)),
        ("ClaimInput", schemars::schema_for!(ClaimInput)),
        ("DecisionInput", schemars::schema_for!(DecisionInput)),
        ("FulfilInput", schemars::schema_for!(FulfilInput)),
        ("ReasonInput", schemars::schema_for!(ReasonInput)),
    ];
    for (name, schema) in schemas {
        let mut v = schema.to_value();
        // Shared definitions move to components, where OpenAPI resolves references.
        if let Some(defs) = v
            .as_object_mut()
            .and_then(|o| o.remove("$defs"))
            .and_then(|d| d.as_object().cloned())
        {
            for (def, body) in defs {
                doc["components"]["schemas"][def] = body;
            }
        }
        if let Some(o) = v.as_object_mut() {
            o.remove("$schema");
        }
        doc["components"]["schemas"][name] = v;
    }
    let text = doc.to_string().replace("#/$defs/", "#/components/schemas/");
    serde_json::from_str(&text).unwrap_or(doc)
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(openapi_json())
}

/// Anything else under /api/v1 (an unknown path, or a method the path does not take): the
/// API's JSON error rather than an empty 404.
async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "no route {} {}",
        req.method(),
        req.path()
    )))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi))
            .route("/auth/token", web::post().to(token))
            .route("/node", web::get().to(node_info))
            .route("/orgs", web::get().to(orgs))
            .route("/offers", web::get().to(list_offers))
            .route("/offers", web::post().to(create_offer))
            .route("/offers/{id}/withdraw", web::post().to(withdraw_offer))
            .route("/needs", web::get().to(list_needs))
            .route("/needs", web::post().to(create_need))
            .route("/needs/{org}/{id}/claims", web::post().to(claim_need))
            .route("/needs/{id}/fulfil", web::post().to(fulfil_need))
            .route("/needs/{id}/escalate", web::post().to(escalate_need))
            .route("/claims", web::get().to(list_claims))
            .route(
                "/claims/{claimant}/{id}/decision",
                web::post().to(decide_claim),
            )
            .route("/messages/rejected", web::get().to(rejected))
            .route("/streams", web::get().to(streams))
            .default_service(web::to(no_route)),
    )
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz))
    .route("/metrics", web::get().to(metrics));
}
