//! Offers (资源清单): `/api/v1/offers`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongxin_schema::OrgId;
use tongxin_schema::v1::taxonomy::{NeedLevel, OfferCategory};
use uuid::Uuid;

use super::{ADMIN, ANY, NodeData, uuid_path};
use crate::domain::offers::{self, NewOffer, Withdrawal};
use crate::domain::status::{NeedStatus, OfferStatus};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::offers::OfferRow;
use crate::store::{self, ListFilter};

/// The query of the offer and need lists.
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

fn known<T: std::str::FromStr>(field: &str, v: &Option<String>) -> Result<Option<T>, ApiError> {
    v.as_deref()
        .map(|s| {
            s.parse()
                .map_err(|_| ApiError::invalid(field, format!("unknown value {s:?}")))
        })
        .transpose()
}

impl ListQuery {
    /// The filters shared by both lists, each value checked.
    pub fn filter(&self) -> Result<ListFilter, ApiError> {
        known::<OfferCategory>("category", &self.category)?;
        known::<tongxin_schema::OrgKind>("org_kind", &self.org_kind)?;
        known::<OrgId>("org", &self.org)?;
        // A status of either list is accepted on both (an offer is never "fulfilled": the
        // list is then empty), as before.
        if self.status.is_some()
            && known::<OfferStatus>("status", &self.status).is_err()
            && known::<NeedStatus>("status", &self.status).is_err()
        {
            return Err(ApiError::invalid(
                "status",
                format!("unknown value {:?}", self.status.as_deref().unwrap_or("")),
            ));
        }
        known::<NeedLevel>("level", &self.level)?;
        // Control characters (NUL above all) would reach the database in a LIKE pattern.
        if self
            .q
            .as_ref()
            .is_some_and(|s| s.chars().count() > 100 || s.chars().any(char::is_control))
        {
            return Err(ApiError::invalid(
                "q",
                format!("unknown value {:?}", self.q.as_deref().unwrap_or("")),
            ));
        }
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
            text: self.q.clone().filter(|q| !q.trim().is_empty()),
            limit,
            offset,
        })
    }

    /// `Some(None)`: a status that no row of this list can have.
    pub fn status<T: std::str::FromStr>(&self) -> Option<Option<T>> {
        match &self.status {
            None => Some(None),
            Some(s) => s.parse().ok().map(Some),
        }
    }
}

fn list_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// An offer as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct OfferView {
    pub org_id: String,
    pub id: String,
    pub org_kind: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub capacity: i64,
    pub unit: Option<String>,
    pub skills: Vec<String>,
    pub station: Option<String>,
    pub grids: Vec<String>,
    pub available_until: Option<i64>,
    pub status: OfferStatus,
    pub status_note: Option<String>,
    pub published_ms: i64,
    pub updated_ms: i64,
}

impl From<OfferRow> for OfferView {
    fn from(o: OfferRow) -> OfferView {
        OfferView {
            skills: list_of(&o.skills),
            grids: list_of(&o.grids),
            org_id: o.org_id,
            id: o.id,
            org_kind: o.org_kind,
            title: o.title,
            description: o.description,
            category: o.category,
            capacity: o.capacity,
            unit: o.unit,
            station: o.station,
            available_until: o.available_until,
            status: o.status,
            status_note: o.status_note,
            published_ms: o.published_ms,
            updated_ms: o.updated_ms,
        }
    }
}

/// One page of a list, newest first.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Page<T> {
    /// Rows matching the filters, on every page.
    pub total: i64,
    pub items: Vec<T>,
}

#[utoipa::path(get, path = "/api/v1/offers", tag = "offers", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, description = "the offers, newest first")))]
pub async fn list(
    node: NodeData,
    auth: Auth,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let f = q.filter()?;
    let Some(status) = q.status::<OfferStatus>() else {
        return Ok(HttpResponse::Ok().json(Page::<OfferView> {
            total: 0,
            items: Vec::new(),
        }));
    };
    let (total, items) = node
        .store
        .read(move |c| store::offers::list(c, &f, status))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        total,
        items: items.into_iter().map(OfferView::from).collect::<Vec<_>>(),
    }))
}

#[utoipa::path(post, path = "/api/v1/offers", tag = "offers", security(("bearer" = [])),
    responses((status = 201, description = "the offer, published to the alliance"), (status = 422, description = "a field is invalid; the message names it")))]
pub async fn create(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewOffer>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let row = node.act(move |c, a| offers::publish(c, a, input)).await?;
    Ok(HttpResponse::Created().json(OfferView::from(row)))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Withdrawn {
    pub withdrawn: Uuid,
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/withdraw", tag = "offers", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's offers")),
    responses((status = 200, description = "withdrawn"), (status = 404, description = "no such offer of ours"), (status = 409, description = "already withdrawn")))]
pub async fn withdraw(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Withdrawal>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let offer_id = uuid_path("offer", &path)?;
    let w = body.into_inner();
    node.act(move |c, a| offers::withdraw(c, a, offer_id, w))
        .await?;
    Ok(HttpResponse::Ok().json(Withdrawn {
        withdrawn: offer_id,
    }))
}
