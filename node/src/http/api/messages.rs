//! The inbound side's health, for admins: `/api/v1/messages/rejected`, `/api/v1/streams`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongxin_schema::token::Role;

use super::{ADMIN, NodeData};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::store::inbound::{self, InStream, Rejected};
use crate::store::outbox;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RejectedQuery {
    /// Only this reason code.
    pub code: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct RejectedList {
    pub items: Vec<Rejected>,
}

#[utoipa::path(get, path = "/api/v1/messages/rejected", tag = "exchange", params(RejectedQuery), security(("bearer" = [])),
    responses((status = 200, description = "rejected messages, newest first, with the reason")))]
pub async fn rejected(
    node: NodeData,
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
        .read(move |c| inbound::list_rejected(c, limit, code.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(RejectedList { items }))
}

/// One sender's stream as this node receives it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct StreamHealth {
    #[serde(flatten)]
    pub stream: InStream,
    /// Messages known to exist and not applied yet.
    pub missing: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct OutgoingHead {
    pub stream: String,
    pub last_seq: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Streams {
    pub incoming: Vec<StreamHealth>,
    pub outgoing: Vec<OutgoingHead>,
    /// Messages held behind a gap.
    pub held: i64,
    /// Messages kept for kinds this node does not act on yet (PROTOCOL.md §7.8).
    pub deferred: Vec<KindCount>,
    /// Messages that took effect here, per kind, since the node's database began.
    pub applied: Vec<KindCount>,
}

#[utoipa::path(get, path = "/api/v1/streams", tag = "exchange", security(("bearer" = [])),
    responses((status = 200, description = "per (sender, stream): last seq applied, known head, open gap and since when")))]
pub async fn streams(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin, Role::Auditor])?;
    let (streams, heads, held, deferred, applied) = node
        .store
        .read(|c| {
            Ok((
                inbound::all_streams(c)?,
                outbox::heads(c)?,
                inbound::held_count(c)?,
                inbound::deferred_counts(c)?,
                inbound::effects(c)?,
            ))
        })
        .await?;
    let counts = |rows: Vec<(String, i64)>| {
        rows.into_iter()
            .map(|(kind, count)| KindCount { kind, count })
            .collect()
    };
    Ok(HttpResponse::Ok().json(Streams {
        incoming: streams
            .into_iter()
            .map(|s| StreamHealth {
                missing: s.known_head - s.last_seq,
                stream: s,
            })
            .collect(),
        outgoing: heads
            .into_iter()
            .map(|(stream, last_seq)| OutgoingHead { stream, last_seq })
            .collect(),
        held,
        deferred: counts(deferred),
        applied: counts(applied),
    }))
}
