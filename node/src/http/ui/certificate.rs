//! The service certificate (服务时长证明) as a page to print: the member's hours, by host, and
//! a QR code of the signed certificate itself (PROTOCOL.md §4.9), so that whoever receives the
//! paper can check it against the alliance root without asking anyone. A member prints their
//! own at `/me/certificate`; staff print one for a member at `/members/{id}/certificate`
//! (elderly members without phones).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::agreements::day;
use super::{Base, NodeData, T, back, base, lang, name_of, org_names, page, refuse};
use crate::http::api;
use crate::http::api::activities::CertificateView;
use crate::http::error::ApiError;

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificatePage {
    t: T,
    base: Base,
    c: CertificateView,
    /// The hosts' names and hours.
    hosts: Vec<(String, String)>,
    svg: String,
    /// The years the member can ask for (the page's own path, for the links).
    path: String,
    years: Vec<i32>,
}

impl CertificatePage {
    fn hours(&self) -> String {
        hours(self.c.minutes)
    }
    fn from(&self) -> String {
        day(self.c.from)
    }
    /// The last day covered.
    fn to(&self) -> String {
        day(self.c.to - 1)
    }
    fn issued(&self) -> String {
        day(self.c.iat)
    }
}

fn hours(minutes: u64) -> String {
    format!("{:.1}", minutes as f64 / 60.0)
}

fn year_of(q: &HashMap<String, String>) -> Result<Option<i32>, ApiError> {
    q.get("year")
        .filter(|y| !y.is_empty())
        .map(|y| {
            y.parse::<i32>()
                .map_err(|_| ApiError::invalid("year", "must be a year, e.g. 2026"))
        })
        .transpose()
}

async fn render(
    req: &HttpRequest,
    node: &NodeData,
    q: &HashMap<String, String>,
    member: uuid::Uuid,
    path: String,
    role: Role,
) -> HttpResponse {
    let back_to = if role == Role::Admin {
        "/members"
    } else {
        "/me"
    };
    let (t, cookie) = lang(req, q);
    let (base, clear) = base(req, node, Some(role));
    let year = match year_of(q) {
        Ok(y) => y,
        Err(e) => return back(node, back_to, Err(e), t),
    };
    let c = match api::activities::certificate_of(node, member, year).await {
        Ok(c) => c,
        Err(e) => return back(node, back_to, Err(e), t),
    };
    let svg = qrcode::QrCode::with_error_correction_level(c.jws.as_bytes(), qrcode::EcLevel::L)
        .map(|q| {
            q.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(300, 300)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    let names = org_names(node);
    let hosts = c
        .hosts
        .iter()
        .map(|(org, minutes)| (name_of(&names, org).to_owned(), hours(*minutes)))
        .collect();
    let this_year = time::OffsetDateTime::from_unix_timestamp(c.iat)
        .map(|t| t.to_offset(crate::clock::BEIJING).year())
        .unwrap_or(2026);
    let first = time::OffsetDateTime::from_unix_timestamp(c.from)
        .map(|t| t.to_offset(crate::clock::BEIJING).year())
        .unwrap_or(this_year);
    let years = (first.min(this_year)..=this_year).rev().take(10).collect();
    page(
        CertificatePage {
            t,
            base,
            c,
            hosts,
            svg,
            path,
            years,
        },
        [cookie, clear],
    )
}

pub async fn mine(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, _) = lang(&req, &q);
    let Some(a) = super::signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if a.claims.role != Role::Member {
        return refuse(&req, &node, "/offers", &t.t("member_only"));
    }
    let m = match api::members::member_signed_in_as(&node, &a.claims.sub).await {
        Ok(m) => m,
        Err(e) => return back(&node, "/login", Err(e), t),
    };
    let Ok(id) = api::uuid_path("member", &m.id) else {
        return refuse(&req, &node, "/me", &t.t("not_found"));
    };
    render(&req, &node, &q, id, "/me/certificate".into(), Role::Member).await
}

pub async fn of_member(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, _) = lang(&req, &q);
    let Some(a) = super::signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if a.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let Ok(id) = api::uuid_path("member", &path) else {
        return refuse(&req, &node, "/members", &t.t("not_found"));
    };
    render(
        &req,
        &node,
        &q,
        id,
        format!("/members/{id}/certificate"),
        Role::Admin,
    )
    .await
}
