//! 结对帮扶 (`domain::pairings`): a community keeps its care ledger (`/api/v1/households`),
//! pairs a household with a member who reports there (`/api/v1/households/{id}/pairings`) and
//! ends a pairing (`/api/v1/pairings/{id}/end`); the member's home lists its members' pairings,
//! which name the household only by its label (`/api/v1/pairings`, `/api/v1/me/pairings`).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::members::me_of;
use super::{ADMIN, NodeData, uuid_path};
use crate::domain::pairings::{self, NewBuilding, NewHousehold, NewPairing, PairingEnd};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::pairings::{self as rows, BuildingRow, HouseholdRow, PairingRow};

/// A household of the community's care ledger: seen by the community's staff only.
#[derive(Serialize, schemars::JsonSchema)]
pub struct HouseholdView {
    pub id: String,
    pub label: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub grid: Option<String>,
    /// The building (楼栋) of the ledger it lives in.
    pub building_id: Option<String>,
    pub situation: String,
    pub created_ms: i64,
}

impl From<HouseholdRow> for HouseholdView {
    fn from(h: HouseholdRow) -> HouseholdView {
        HouseholdView {
            id: h.id,
            label: h.label,
            name: h.name,
            address: h.address,
            phone: h.phone,
            grid: h.grid,
            building_id: h.building_id,
            situation: h.situation,
            created_ms: h.created_ms,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Households {
    pub items: Vec<HouseholdView>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct PairingView {
    pub community_org: String,
    pub id: String,
    /// How the community knows the member.
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    /// At the community only.
    pub household_id: Option<String>,
    /// The label the community gave the household.
    pub household_label: String,
    /// Unix seconds.
    pub started_at: i64,
    pub ended_ms: Option<i64>,
    pub end_reason: Option<String>,
}

impl From<PairingRow> for PairingView {
    fn from(p: PairingRow) -> PairingView {
        PairingView {
            community_org: p.community_org,
            id: p.id,
            mref: p.mref,
            member_id: p.member_id,
            household_id: p.household_id,
            household_label: p.household_label,
            started_at: p.started_at,
            ended_ms: p.ended_ms,
            end_reason: p.end_reason,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Pairings {
    pub items: Vec<PairingView>,
}

fn pairing_list(rows: Vec<PairingRow>) -> HttpResponse {
    HttpResponse::Ok().json(Pairings {
        items: rows.into_iter().map(PairingView::from).collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/households", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "at a community: its care ledger, by label")))]
pub async fn households(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let items = node
        .store
        .read(rows::households)
        .await?
        .into_iter()
        .map(HouseholdView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Households { items }))
}

#[utoipa::path(post, path = "/api/v1/households", tag = "reports", security(("bearer" = [])),
    responses((status = 201, description = "added to the care ledger; nothing is sent"), (status = 409, description = "this node is not a community"), (status = 422, description = "the label names or locates the household")))]
pub async fn add_household(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewHousehold>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| pairings::add_household(c, a, input))
        .await?;
    Ok(HttpResponse::Created().json(HouseholdView::from(row)))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Buildings {
    pub items: Vec<BuildingRow>,
}

#[utoipa::path(get, path = "/api/v1/buildings", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "at a community: the buildings (楼栋) of its grids, by grid and name")))]
pub async fn buildings(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let items = node.store.read(rows::buildings).await?;
    Ok(HttpResponse::Ok().json(Buildings { items }))
}

#[utoipa::path(post, path = "/api/v1/buildings", tag = "reports", security(("bearer" = [])),
    responses((status = 201, description = "added to the ledger; nothing is sent"), (status = 409, description = "this node is not a community"), (status = 422, description = "not one of our grids, or the building is listed already")))]
pub async fn add_building(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewBuilding>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| pairings::add_building(c, a, input))
        .await?;
    Ok(HttpResponse::Created().json(row))
}

#[utoipa::path(post, path = "/api/v1/households/{id}/pairings", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "the household")),
    responses((status = 201, description = "paired; the member's home is told the household's label"), (status = 404, description = "no such household"), (status = 409, description = "paired already"), (status = 422, description = "no accepted report of that member here")))]
pub async fn pair(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<NewPairing>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("household", &path)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| pairings::pair(c, a, id, input))
        .await?;
    Ok(HttpResponse::Created().json(PairingView::from(row)))
}

#[utoipa::path(post, path = "/api/v1/pairings/{id}/end", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "a pairing this community started")),
    responses((status = 200, description = "ended; the member's home is told"), (status = 404, description = "no such pairing here"), (status = 409, description = "ended already")))]
pub async fn end(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<PairingEnd>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("pairing", &path)?;
    let input = body.into_inner();
    let row = node.act(move |c, a| pairings::end(c, a, id, input)).await?;
    Ok(HttpResponse::Ok().json(PairingView::from(row)))
}

#[utoipa::path(get, path = "/api/v1/pairings", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "the pairings this community started and those of this home's members, current ones first")))]
pub async fn list(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let me = node.cfg.org_id.to_string();
    let all = node
        .store
        .read(move |c| {
            let mut all = rows::started(c, &me)?;
            all.extend(rows::of_members(c, None)?);
            Ok(all)
        })
        .await?;
    Ok(pairing_list(all))
}

#[utoipa::path(get, path = "/api/v1/me/pairings", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member's pairings, current ones first")))]
pub async fn mine(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let all = node
        .store
        .read(move |c| rows::of_members(c, Some(&m.id)))
        .await?;
    Ok(pairing_list(all))
}
