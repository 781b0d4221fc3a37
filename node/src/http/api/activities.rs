//! Activities, sign-ups, attendance and the service record.
//!
//! The host publishes and cancels activities (`/api/v1/activities…`), places or declines
//! sign-ups and ticks attendance; a member signs up, confirms and cancels at home
//! (`/api/v1/me/signups…`) and sees their service record (`/api/v1/me/record`); the home's
//! admins see every member's (`/api/v1/members/{id}/record`, `/api/v1/record/export`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::members::{MEMBER, me_of};
use super::{ADMIN, ANY, NodeData, org_path, uuid_path};
use crate::domain::activities::{self, Cancellation, NewActivity};
use crate::domain::checkins;
use crate::domain::signups::{self, NewSignup, Placement, SignupCancellation};
use crate::domain::status::{ActivityStatus, SignupStatus};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::activities::{self as rows, ActivityRow, CheckinRow, SignupRow};

#[derive(Serialize, schemars::JsonSchema)]
pub struct ActivityView {
    pub host_org: String,
    pub id: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub place: String,
    pub grid: Option<String>,
    /// Unix seconds.
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    pub skills: Vec<String>,
    pub mode: String,
    pub status: ActivityStatus,
    /// Why it was cancelled.
    pub note: Option<String>,
    /// Service posts (岗位), each held by an A and a B member.
    pub posts: Vec<PostView>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct PostView {
    pub post_id: String,
    pub title: String,
    pub skills: Vec<String>,
}

impl From<ActivityRow> for ActivityView {
    fn from(a: ActivityRow) -> ActivityView {
        let posts = crate::domain::activities::posts_of(&a)
            .into_iter()
            .map(|p| PostView {
                post_id: p.post_id.to_string(),
                title: p.title.to_string(),
                skills: p
                    .skills
                    .iter()
                    .map(|s| <&str>::from(*s).to_owned())
                    .collect(),
            })
            .collect();
        ActivityView {
            posts,
            skills: serde_json::from_str(&a.skills).unwrap_or_default(),
            host_org: a.host_org,
            id: a.id,
            category: a.category,
            title: a.title,
            description: a.description,
            place: a.place,
            grid: a.grid,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            capacity: a.capacity,
            mode: a.mode,
            status: a.status,
            note: a.note,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Activities {
    pub items: Vec<ActivityView>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct SignupView {
    pub home_org: String,
    pub id: String,
    pub host_org: String,
    pub activity_id: String,
    /// How the host knows the member (pairwise).
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    pub display_name: Option<String>,
    pub skills: Vec<String>,
    pub status: SignupStatus,
    pub note: Option<String>,
    /// At the host, once the member confirmed the placement.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub requested_ms: i64,
    pub updated_ms: i64,
    /// The post (岗位) asked for, and the role: asked for, then as placed (A or B).
    pub post_id: Option<String>,
    pub role: Option<String>,
}

impl From<SignupRow> for SignupView {
    fn from(s: SignupRow) -> SignupView {
        SignupView {
            skills: serde_json::from_str(&s.skills).unwrap_or_default(),
            home_org: s.home_org,
            id: s.id,
            host_org: s.host_org,
            activity_id: s.activity_id,
            mref: s.mref,
            member_id: s.member_id,
            display_name: s.display_name,
            status: s.status,
            note: s.note,
            contact_name: s.contact_name,
            contact_phone: s.contact_phone,
            requested_ms: s.requested_ms,
            updated_ms: s.updated_ms,
            post_id: s.post_id,
            role: s.role,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Signups {
    pub items: Vec<SignupView>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct CheckinView {
    pub host_org: String,
    pub id: String,
    pub activity_id: Option<String>,
    pub mref: String,
    pub category: String,
    pub mode: String,
    pub checked_in_at: i64,
    pub checked_out_at: Option<i64>,
    /// Credited minutes, once checked out.
    pub minutes: Option<i64>,
    /// The member did not check out; the host closed it at the activity's end.
    pub closed_by_host: bool,
    /// The check-in this entry corrects.
    pub corrects: Option<String>,
    /// A later correction replaces this entry (it is kept, not credited).
    pub superseded: bool,
}

impl From<CheckinRow> for CheckinView {
    fn from(c: CheckinRow) -> CheckinView {
        CheckinView {
            host_org: c.host_org,
            id: c.id,
            activity_id: c.activity_id,
            mref: c.mref,
            category: c.category,
            mode: c.mode,
            checked_in_at: c.checked_in_at,
            checked_out_at: c.checked_out_at,
            minutes: c.minutes,
            closed_by_host: c.closed_by_host,
            corrects: c.corrects,
            superseded: c.superseded,
        }
    }
}

/// A member's service record: every entry, and the minutes credited (superseded entries
/// left out).
#[derive(Serialize, schemars::JsonSchema)]
pub struct Record {
    pub total_minutes: i64,
    pub entries: Vec<CheckinView>,
}

impl Record {
    pub fn of(entries: Vec<CheckinRow>) -> Record {
        Record {
            total_minutes: credited_minutes(&entries),
            entries: entries.into_iter().map(CheckinView::from).collect(),
        }
    }
}

/// The minutes a record credits: every entry not superseded by a correction.
pub fn credited_minutes(entries: &[CheckinRow]) -> i64 {
    entries
        .iter()
        .filter(|c| !c.superseded)
        .filter_map(|c| c.minutes)
        .sum()
}

#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", security(("bearer" = [])),
    responses((status = 200, description = "the alliance's activities that are not over, soonest first")))]
pub async fn list(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let now = node.clock.now_s();
    let items = node
        .store
        .read(move |c| rows::activities_ending_after(c, now))
        .await?
        .into_iter()
        .map(ActivityView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Activities { items }))
}

#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", security(("bearer" = [])),
    responses((status = 201, description = "published to every node"), (status = 422, description = "a bad time, grid or capacity")))]
pub async fn publish(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewActivity>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let a = node
        .act(move |c, a| activities::publish(c, a, input))
        .await?;
    Ok(HttpResponse::Created().json(ActivityView::from(a)))
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/cancel", tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's activities")),
    responses((status = 200, description = "cancelled; every node is told"), (status = 404, description = "no such activity of ours"), (status = 409, description = "cancelled already")))]
pub async fn cancel(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Cancellation>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("activity", &path)?;
    let input = body.into_inner();
    let a = node
        .act(move |c, a| activities::cancel(c, a, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(ActivityView::from(a)))
}

#[utoipa::path(get, path = "/api/v1/activities/{id}/signups", tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's activities")),
    responses((status = 200, description = "who signed up, oldest first: what they shared, and their contact once they confirmed")))]
pub async fn signups_for(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("activity", &path)?.to_string();
    let me = node.cfg.org_id.to_string();
    let items = node
        .store
        .read(move |c| rows::signups_for(c, &me, &id))
        .await?
        .into_iter()
        .map(SignupView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Signups { items }))
}

#[utoipa::path(post, path = "/api/v1/signups/{home}/{id}/placement", tag = "activities", security(("bearer" = [])),
    params(("home" = String, Path, description = "the member's home"), ("id" = String, Path, description = "the sign-up")),
    responses((status = 200, description = "placed or declined; the home is told"), (status = 404, description = "no such sign-up for our activities"), (status = 409, description = "decided already, or the activity is full")))]
pub async fn place(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<Placement>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (home, id) = path.into_inner();
    let (home, id) = (org_path(&home)?, uuid_path("sign-up", &id)?);
    let input = body.into_inner();
    let s = node
        .act(move |c, a| signups::place(c, a, &home, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(SignupView::from(s)))
}

#[utoipa::path(post, path = "/api/v1/signups/{home}/{id}/cancel", tag = "activities", security(("bearer" = [])),
    params(("home" = String, Path, description = "the member's home"), ("id" = String, Path, description = "the sign-up")),
    responses((status = 200, description = "cancelled; the home is told"), (status = 404, description = "no such sign-up for our activities"), (status = 409, description = "declined or cancelled already")))]
pub async fn cancel_signup(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<SignupCancellation>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (home, id) = path.into_inner();
    let (home, id) = (org_path(&home)?, uuid_path("sign-up", &id)?);
    let input = body.into_inner();
    let s = node
        .act(move |c, a| signups::cancel_at_host(c, a, &home, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(SignupView::from(s)))
}

/// Staff tick a placed member in or out (for members without a phone).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AttendanceInput")]
pub struct Attendance {
    /// The member's home and sign-up.
    pub home: tongxin_schema::OrgId,
    pub signup_id: uuid::Uuid,
    /// true: check in; false: check out.
    pub present: bool,
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/attendance", tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's activities")),
    responses((status = 200, description = "checked in, or checked out and attested to the member's home"), (status = 403, description = "the member has no place"), (status = 409, description = "a duplicate, overlapping or out-of-time check-in")))]
pub async fn attendance(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Attendance>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("activity", &path)?;
    let input = body.into_inner();
    let c = node
        .act(move |c, a| checkins::attend(c, a, id, &input.home, input.signup_id, input.present))
        .await?;
    Ok(HttpResponse::Ok().json(CheckinView::from(c)))
}

/// The check-in code shown now, and the address a phone opens.
#[derive(Serialize, schemars::JsonSchema)]
pub struct CheckinCode {
    pub code: String,
    pub url: String,
    /// Unix seconds until which this code is accepted.
    pub valid_until: i64,
}

/// The address a QR code of `activity` carries at `now_s`, on this node.
pub fn checkin_url(
    node: &crate::state::SharedNode,
    activity: &ActivityRow,
    now_s: i64,
) -> Option<CheckinCode> {
    let code = checkins::code(activity, now_s)?;
    let base = node
        .roster()
        .org(&node.cfg.org_id)
        .and_then(|o| o.base_url().map(str::to_owned))
        .unwrap_or_default();
    let window = now_s.div_euclid(checkins::CODE_WINDOW_SECS);
    Some(CheckinCode {
        url: format!(
            "{}/checkin/{}?code={code}",
            base.trim_end_matches('/'),
            activity.id
        ),
        code,
        valid_until: (window + 2) * checkins::CODE_WINDOW_SECS,
    })
}

#[utoipa::path(get, path = "/api/v1/activities/{id}/code", tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's activities")),
    responses((status = 200, description = "the check-in code of this minute and the address its QR code carries"), (status = 404, description = "no such activity of ours")))]
pub async fn code(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("activity", &path)?.to_string();
    let me = node.cfg.org_id.to_string();
    let a = node
        .store
        .read(move |c| rows::find_activity(c, &me, &id))
        .await?
        .filter(|a| a.qr_secret.is_some())
        .ok_or_else(|| ApiError::not_found(format!("activity {path}")))?;
    let c = checkin_url(&node, &a, node.clock.now_s())
        .ok_or_else(|| ApiError::not_found(format!("a check-in code for activity {path}")))?;
    Ok(HttpResponse::Ok().json(c))
}

#[utoipa::path(post, path = "/api/v1/me/signups", tag = "me", security(("bearer" = [])),
    responses((status = 201, description = "sent to the host"), (status = 409, description = "signed up already"), (status = 422, description = "no such open activity")))]
pub async fn sign_up(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewSignup>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let id = uuid_path("member", &m.id)?;
    let input = body.into_inner();
    let s = node
        .act(move |c, a| signups::request(c, a, id, input))
        .await?;
    Ok(HttpResponse::Created().json(SignupView::from(s)))
}

#[utoipa::path(get, path = "/api/v1/me/signups", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member's sign-ups, newest first")))]
pub async fn my_signups(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let items = node
        .store
        .read(move |c| rows::signups_of_member(c, &m.id))
        .await?
        .into_iter()
        .map(SignupView::from)
        .collect();
    Ok(HttpResponse::Ok().json(Signups { items }))
}

/// One of `member`'s own sign-ups here (a member acts on no other), shared by API and UI.
pub async fn own_signup(
    node: &crate::state::SharedNode,
    member: &crate::store::members::MemberRow,
    id: &str,
) -> Result<uuid::Uuid, ApiError> {
    let sid = uuid_path("sign-up", id)?;
    let (home, s, m) = (
        node.cfg.org_id.to_string(),
        sid.to_string(),
        member.id.clone(),
    );
    node.store
        .read(move |c| rows::find_signup(c, &home, &s))
        .await?
        .filter(|s| s.member_id.as_deref() == Some(m.as_str()))
        .map(|_| sid)
        .ok_or_else(|| ApiError::not_found(format!("sign-up {id}")))
}

#[utoipa::path(post, path = "/api/v1/me/signups/{id}/confirm", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of the member's sign-ups, placed by the host")),
    responses((status = 200, description = "confirmed; the host now has the member's name and phone"), (status = 404, description = "no such sign-up of the member"), (status = 409, description = "not placed")))]
pub async fn confirm(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = own_signup(&node, &me_of(&node, &auth).await?, &path).await?;
    let s = node.act(move |c, a| signups::confirm(c, a, id)).await?;
    Ok(HttpResponse::Ok().json(SignupView::from(s)))
}

#[utoipa::path(post, path = "/api/v1/me/signups/{id}/cancel", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of the member's sign-ups")),
    responses((status = 200, description = "cancelled; the host is told"), (status = 404, description = "no such sign-up of the member"), (status = 409, description = "declined or cancelled already")))]
pub async fn cancel_mine(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<SignupCancellation>,
) -> Result<HttpResponse, ApiError> {
    let id = own_signup(&node, &me_of(&node, &auth).await?, &path).await?;
    let input = body.into_inner();
    let s = node
        .act(move |c, a| signups::cancel_at_home(c, a, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(SignupView::from(s)))
}

#[utoipa::path(get, path = "/api/v1/me/record", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member's service record")))]
pub async fn my_record(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(MEMBER)?;
    let m = me_of(&node, &auth).await?;
    let entries = node.store.read(move |c| rows::record_of(c, &m.id)).await?;
    Ok(HttpResponse::Ok().json(Record::of(entries)))
}

#[utoipa::path(get, path = "/api/v1/members/{id}/record", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member")),
    responses((status = 200, description = "the member's service record"), (status = 404, description = "no such member")))]
pub async fn record(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?.to_string();
    let entries = node
        .store
        .read(move |c| {
            if crate::store::members::find(c, &id)?.is_none() {
                return Ok(None);
            }
            rows::record_of(c, &id).map(Some)
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("member {path}")))?;
    Ok(HttpResponse::Ok().json(Record::of(entries)))
}

#[utoipa::path(get, path = "/api/v1/record/export", tag = "members", security(("bearer" = [])),
    responses((status = 200, description = "every member's credited service as CSV (UTF-8 with BOM, Beijing times)")))]
pub async fn export_record(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (members, entries) = node
        .store
        .read(|c| Ok((crate::store::members::all(c)?, rows::credited(c)?)))
        .await?;
    let csv = checkins::export_record(&node.roster(), &members, &entries);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"service-record-{}.csv\"",
                node.cfg.org_id
            ),
        ))
        .body(csv))
}

/// A service certificate (服务时长证明, PROTOCOL.md §4.9): its claims, and the signed JWS to
/// print as a QR code or hand to `tongxin verify`.
#[derive(Serialize, schemars::JsonSchema)]
pub struct CertificateView {
    pub iss: String,
    pub jti: String,
    pub iat: i64,
    pub name: String,
    /// The period: check-ins from `from` (inclusive) to `to` (exclusive), Unix seconds.
    pub from: i64,
    pub to: i64,
    pub minutes: u64,
    pub entries: u64,
    /// (organisation, minutes) of the hosts that attested most, most first.
    pub hosts: Vec<(String, u64)>,
    pub jws: String,
}

impl CertificateView {
    pub fn of(c: tongxin_schema::certificate::CertificateClaims, jws: String) -> CertificateView {
        CertificateView {
            iss: c.iss.to_string(),
            jti: c.jti.to_string(),
            iat: c.iat,
            name: c.name.to_string(),
            from: c.from,
            to: c.to,
            minutes: c.minutes,
            entries: c.entries,
            hosts: c
                .hosts
                .into_iter()
                .map(|h| (h.org.to_string(), h.minutes))
                .collect(),
            jws,
        }
    }
}

#[derive(Deserialize)]
pub struct CertificateQuery {
    /// A calendar year (Beijing time); all service so far without it.
    pub year: Option<i32>,
}

/// Signs a certificate for `member`, for the API and the UI.
pub async fn certificate_of(
    node: &crate::state::SharedNode,
    member: uuid::Uuid,
    year: Option<i32>,
) -> Result<CertificateView, ApiError> {
    let (claims, jws) = node
        .view(move |c, a| checkins::certificate(c, a, member, year))
        .await?;
    Ok(CertificateView::of(claims, jws))
}

#[utoipa::path(get, path = "/api/v1/me/certificate", tag = "me", security(("bearer" = [])),
    params(("year" = Option<i32>, Query, description = "a calendar year; all service so far without it")),
    responses((status = 200, description = "a service certificate signed now by the home")))]
pub async fn my_certificate(
    node: NodeData,
    auth: Auth,
    q: web::Query<CertificateQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(MEMBER)?;
    let m = me_of(&node, &auth).await?;
    let id = uuid_path("member", &m.id)?;
    Ok(HttpResponse::Ok().json(certificate_of(&node, id, q.year).await?))
}

#[utoipa::path(get, path = "/api/v1/members/{id}/certificate", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "the member"), ("year" = Option<i32>, Query, description = "a calendar year; all service so far without it")),
    responses((status = 200, description = "a service certificate signed now by the home"), (status = 404, description = "no such member")))]
pub async fn certificate(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<CertificateQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("member", &path)?;
    Ok(HttpResponse::Ok().json(certificate_of(&node, id, q.year).await?))
}
