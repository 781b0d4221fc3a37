//! This node and the alliance it knows: `/api/v1/node`, `/api/v1/orgs`, and the probes
//! `/healthz`, `/readyz`, `/metrics`.

use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::json;
use tongxin_schema::{OrgId, OrgKind};

use super::{ANY, NodeData};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::store::{inbound, outbox};

#[derive(Serialize, schemars::JsonSchema)]
pub struct CertificateView {
    pub fingerprint: String,
    /// Unix seconds.
    pub not_after: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct NodeView {
    pub org_id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub broker_ready: bool,
    pub roster_serial: Option<u64>,
    pub revoked_certificates: usize,
    /// Messages written but not yet confirmed by the broker.
    pub outbox_depth: i64,
    pub certificate: CertificateView,
}

#[utoipa::path(get, path = "/api/v1/node", tag = "node", security(("bearer" = [])),
    responses((status = 200, description = "this node: org id, kind, name, readiness, roster serial, outbox depth")))]
pub async fn node_info(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let depth = node.store.read(outbox::depth).await?;
    let v = node.verifier();
    let cert = node.signer.cert_info();
    Ok(HttpResponse::Ok().json(NodeView {
        org_id: node.cfg.org_id.clone(),
        kind: node.cfg.kind,
        name: node.cfg.name.clone(),
        broker_ready: node.broker_ready(),
        roster_serial: v.roster().map(|r| r.serial()),
        revoked_certificates: v.revocations().serials.len(),
        outbox_depth: depth,
        certificate: CertificateView {
            fingerprint: cert.fingerprint.clone(),
            not_after: cert.not_after,
        },
    }))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct OrgView {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    pub parent: Option<OrgId>,
    pub grids: Vec<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct RosterView {
    pub serial: u64,
    pub alliance: String,
    pub orgs: Vec<OrgView>,
}

#[utoipa::path(get, path = "/api/v1/orgs", tag = "node", security(("bearer" = [])),
    responses((status = 200, description = "the alliance roster's organisations")))]
pub async fn orgs(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let roster = node.roster();
    let orgs = roster
        .orgs()
        .iter()
        .map(|o| OrgView {
            id: o.id.clone(),
            name: o.name.to_string(),
            kind: o.kind,
            parent: o.parent.clone(),
            grids: o.grids.iter().map(|g| g.to_string()).collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(RosterView {
        serial: roster.serial(),
        alliance: roster.doc().alliance.to_string(),
        orgs,
    }))
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(node: NodeData) -> HttpResponse {
    let db = node.store.read(outbox::depth).await.is_ok();
    let broker = node.broker_ready();
    let body = json!({ "database": db, "broker": broker });
    if db && broker {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

pub async fn metrics(node: NodeData) -> Result<HttpResponse, ApiError> {
    let (depth, held, received, gaps) = node
        .store
        .read(|c| {
            Ok((
                outbox::depth(c)?,
                inbound::held_count(c)?,
                inbound::received_count(c)?,
                inbound::gaps(c)?,
            ))
        })
        .await?;
    let body = node.metrics.scrape(&crate::metrics::Snapshot {
        outbox_depth: depth,
        held,
        received,
        broker_ready: node.broker_ready(),
        missing: gaps
            .into_iter()
            .map(|g| (g.iss, g.stream, g.known_head - g.last_seq))
            .collect(),
    });
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(body))
}
