//! Participation (PROTOCOL.md §10). At the organisation department, for its auditors: the
//! figures (`GET /api/v1/participation`, the dashboard's), the signed reports behind a flag
//! (`…/evidence/{jti}`); for its staff, asking producers for a report again
//! (`POST …/requests`). At a producer, for its staff: the proof that one check-in is in a
//! report sent (`GET …/proof`), checked offline with `tongxin verify --proof`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongxin_schema::token::Role;
use tongxin_schema::v1::bodies::ReportPeriod;
use tongxin_schema::{OrgId, OrgKind};

use super::{ADMIN, NodeData, org_path, uuid_path};
use crate::domain::dashboard::{self, Dashboard, Filter};
use crate::domain::oversight::{self, NewRequest};
use crate::domain::participation;
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;

pub const AUDITOR: &[Role] = &[Role::Auditor];

/// The filters of the figures, as the dashboard's form sends them.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FigureQuery {
    /// `day` or `month` (the default).
    pub period: Option<String>,
    /// The period: `2026-12` for a month, `2026-12-03` for a day (Beijing time); the current
    /// one when absent.
    pub at: Option<String>,
    /// Only the organisations of this street (the street and those under it).
    pub street: Option<String>,
    /// Only organisations of this kind.
    pub kind: Option<String>,
}

impl FigureQuery {
    /// The filter, or the field that is wrong.
    pub fn filter(&self, now_s: i64) -> Result<Filter, ApiError> {
        let blank = |v: &Option<String>| {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
        };
        let period = match blank(&self.period) {
            None => ReportPeriod::Month,
            Some(p) => p
                .parse()
                .map_err(|_| ApiError::invalid("period", "must be day or month"))?,
        };
        let at = match blank(&self.at) {
            None => now_s,
            Some(s) => local_date(period, &s).ok_or_else(|| {
                ApiError::invalid(
                    "at",
                    match period {
                        ReportPeriod::Day => "must be a date like 2026-12-03",
                        ReportPeriod::Month => "must be a month like 2026-12",
                    },
                )
            })?,
        };
        let street = blank(&self.street)
            .map(|s| {
                s.parse::<OrgId>()
                    .map_err(|_| ApiError::invalid("street", "must be an organisation id"))
            })
            .transpose()?;
        let kind = blank(&self.kind)
            .map(|s| {
                s.parse::<OrgKind>()
                    .map_err(|_| ApiError::invalid("kind", format!("unknown kind {s:?}")))
            })
            .transpose()?;
        Ok(Filter {
            period,
            at,
            street,
            kind,
        })
    }
}

/// The Unix time of the local midnight a `2026-12` (month) or `2026-12-03` (day) names.
fn local_date(period: ReportPeriod, s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = match (period, it.next()) {
        (ReportPeriod::Month, None) => 1,
        (ReportPeriod::Day, Some(d)) => d.parse().ok()?,
        _ => return None,
    };
    if it.next().is_some() || !(1970..=9999).contains(&y) {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    Some(
        date.midnight()
            .assume_offset(crate::clock::BEIJING)
            .unix_timestamp(),
    )
}

/// The figures for `q`, as the dashboard shows them.
pub async fn figures(node: &NodeData, q: &FigureQuery) -> Result<Dashboard, ApiError> {
    let f = q.filter(node.clock.now_s())?;
    let roster = node.roster();
    Ok(node
        .store
        .read(move |c| dashboard::dashboard(c, &roster, &f))
        .await?)
}

/// The organisation department's node only.
fn at_department(node: &NodeData) -> Result<(), ApiError> {
    if node.cfg.kind == OrgKind::OrgDepartment {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "participation figures are kept at the organisation department's node",
        ))
    }
}

#[utoipa::path(get, path = "/api/v1/participation", tag = "participation", params(FigureQuery), security(("bearer" = [])),
    responses((status = 200, description = "the participation figures of one period, as the dashboard shows them"), (status = 403, description = "not an auditor"), (status = 404, description = "not the organisation department's node"), (status = 422, description = "a filter is invalid")))]
pub async fn list(
    node: NodeData,
    auth: Auth,
    q: web::Query<FigureQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(AUDITOR)?;
    at_department(&node)?;
    Ok(HttpResponse::Ok().json(figures(&node, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/participation/evidence/{jti}", tag = "participation", security(("bearer" = [])),
    params(("jti" = String, Path, description = "the message id of a report part a flag names")),
    responses((status = 200, description = "the signed participation.reported (compact JWS, application/jose); check it with `tongxin verify`"), (status = 404, description = "no such part")))]
pub async fn evidence(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(AUDITOR)?;
    at_department(&node)?;
    let jti = uuid_path("report part", &path)?.to_string();
    let part = node
        .store
        .read(move |c| crate::store::participation::part_by_jti(c, &jti))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("report part {}", path.as_str())))?;
    Ok(HttpResponse::Ok()
        .content_type("application/jose")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}-{}.jws\"", part.iss, part.jti),
        ))
        .body(part.jws))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Asked {
    /// How many producers were asked.
    pub asked: usize,
}

#[utoipa::path(post, path = "/api/v1/participation/requests", tag = "participation", security(("bearer" = [])),
    responses((status = 202, description = "participation.requested sent to each producer asked"), (status = 403, description = "not staff of the organisation department"), (status = 422, description = "a field is invalid")))]
pub async fn request(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let asked = node
        .act(move |c, a| oversight::request(c, a, input))
        .await?;
    Ok(HttpResponse::Accepted().json(Asked { asked }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// The organisation that hosted the check-in (this node, or another for one of our
    /// members' check-ins). Required.
    pub host: Option<String>,
    /// The check-in's id. Required.
    pub checkin: Option<String>,
    /// `day` (the default) or `month`: which report.
    pub period: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/participation/proof", tag = "participation", params(ProofQuery), security(("bearer" = [])),
    responses((status = 200, description = "an inclusion proof (JSON) of the check-in in the newest report sent of its period; check it offline with `tongxin verify --proof FILE`"), (status = 404, description = "no such check-in"), (status = 409, description = "not attested, or not in a report sent yet")))]
pub async fn proof(
    node: NodeData,
    auth: Auth,
    q: web::Query<ProofQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let host = org_path(
        q.host
            .as_deref()
            .ok_or_else(|| ApiError::invalid("host", "is required"))?,
    )?;
    let id = uuid_path(
        "check-in",
        q.checkin
            .as_deref()
            .ok_or_else(|| ApiError::invalid("checkin", "is required"))?,
    )?;
    let period = match q.period.as_deref() {
        None | Some("") => ReportPeriod::Day,
        Some(p) => p
            .parse()
            .map_err(|_| ApiError::invalid("period", "must be day or month"))?,
    };
    let me = node.cfg.org_id.clone();
    let file = node
        .store
        .read(move |c| Ok(participation::proof(c, &me, &host, id, period)))
        .await?
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(file))
}
