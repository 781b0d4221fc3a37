//! `POST /api/v1/auth/token`: a bearer token for a user of this node.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongxin_schema::OrgId;
use tongxin_schema::token::Role;
use tongxin_schema::v1::text::Text;

use super::NodeData;
use crate::http::auth::{self, Username};
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::http::limit::SignInLimit;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: Username,
    pub password: Text<1, 256>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct TokenView {
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub role: Role,
    pub org_id: OrgId,
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth",
    responses((status = 200, description = "a bearer token"), (status = 401, description = "wrong username or password"), (status = 429, description = "too many sign-in attempts from this address; see Retry-After")))]
pub async fn token(
    node: NodeData,
    req: HttpRequest,
    limit: web::Data<SignInLimit>,
    body: ValidJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    limit.attempt(&req).map_err(ApiError::too_many)?;
    let body = body.into_inner();
    let (username, role) = auth::sign_in(&node, body.username, body.password.to_string())
        .await?
        .ok_or_else(|| ApiError::unauthorized("wrong username or password"))?;
    let (token, expires_at) = auth::issue(&node, &username, role)?;
    Ok(HttpResponse::Ok().json(TokenView {
        token,
        expires_at,
        role,
        org_id: node.cfg.org_id.clone(),
    }))
}
