//! Co-building agreements in the web UI (`/agreements`): a co-builder proposes one to a
//! community; the community accepts or declines; both see each agreement with its term and
//! where it stands (pending, in force, ended …).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};
use tongxin_schema::OrgKind;

use super::{
    Base, CATEGORIES, Form, NodeData, T, admin_action, base, form_input, lang, name_of, org_names,
    page, refuse, signed_in,
};
use crate::domain::agreements::{self, AgreementDecision, NewAgreement, Standing};
use crate::http::api;
use crate::http::error::ApiError;
use crate::store::agreements::AgreementRow;

/// The alliance's dates are Beijing time: a term "from 1 December to 30 November" runs from
/// midnight to midnight there.
pub(crate) use crate::clock::BEIJING;

/// The day (Beijing time) of a Unix time, as the date inputs write it.
pub(crate) fn day(unix_s: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_s)
        .map(|t| t.to_offset(BEIJING).date().to_string())
        .unwrap_or_default()
}

/// Midnight (Beijing time) starting `date` (YYYY-MM-DD), as Unix seconds.
pub(crate) fn midnight(field: &str, date: &str) -> Result<i64, ApiError> {
    let d = Date::parse(date, format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::invalid(field, "must be a date, e.g. 2026-12-01"))?;
    Ok(d.with_time(Time::MIDNIGHT)
        .assume_offset(BEIJING)
        .unix_timestamp())
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct AgreementsPage {
    t: T,
    base: Base,
    items: Vec<AgreementRow>,
    now_s: i64,
    names: HashMap<String, String>,
    me: String,
    /// This organisation proposes agreements (a co-builder); else it is asked (a community).
    proposes: bool,
    communities: Vec<(String, String)>,
    categories: Vec<(&'static str, String)>,
    today: String,
}

impl AgreementsPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    /// Offer categories are worded by their own names.
    fn resources(&self, json: &str) -> String {
        serde_json::from_str::<Vec<String>>(json)
            .unwrap_or_default()
            .iter()
            .map(|c| self.t.t(c).into_owned())
            .collect::<Vec<_>>()
            .join("、")
    }
    fn standing(&self, r: &AgreementRow) -> &'static str {
        Standing::of(r, self.now_s).as_str()
    }
    fn standing_label(&self, r: &AgreementRow) -> String {
        self.t
            .t(&format!("agreement-{}", self.standing(r)))
            .into_owned()
    }
    fn day(&self, unix_s: &i64) -> String {
        day(*unix_s)
    }
    /// The last day of the term (it ends at midnight after it).
    fn last_day(&self, ends_at: &i64) -> String {
        day(*ends_at - 1)
    }
    fn decides(&self, r: &AgreementRow) -> bool {
        r.community_org == self.me && Standing::of(r, self.now_s) == Standing::Pending
    }
}

pub async fn list(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if a.claims.role != tongxin_schema::token::Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let me = node.cfg.org_id.to_string();
    let m = me.clone();
    let items = match node
        .store
        .read(move |c| crate::store::agreements::of_party(c, &m))
        .await
    {
        Ok(i) => i,
        Err(e) => return super::back(&node, "/offers", Err(e.into()), t),
    };
    let roster = node.roster();
    let communities = roster
        .orgs()
        .iter()
        .filter(|o| o.kind == OrgKind::Community)
        .map(|o| (o.id.to_string(), o.name.to_string()))
        .collect();
    let now_s = node.clock.now_s();
    page(
        AgreementsPage {
            categories: CATEGORIES
                .iter()
                .map(|c| (*c, t.t(c).into_owned()))
                .collect(),
            t,
            base,
            items,
            now_s,
            names: org_names(&node),
            me,
            proposes: matches!(
                node.cfg.kind,
                OrgKind::CoBuildingUnit | OrgKind::BuildingAlliance | OrgKind::NewEmployment
            ),
            communities,
            today: day(now_s),
        },
        [cookie, clear],
    )
}

pub async fn propose(req: HttpRequest, node: NodeData, mut form: Form) -> HttpResponse {
    admin_action(req, node, "/agreements", |n| async move {
        // The form gives days; the wire gives the term in seconds, midnight to midnight.
        if let Ok(fields) = form.0.as_mut() {
            for (from, to, shift) in [("starts_on", "starts_at", 0), ("ends_on", "ends_at", 1)] {
                if let Some(d) = fields.remove(from).and_then(|v| v.into_iter().next())
                    && !d.is_empty()
                {
                    let s = midnight(from, &d)? + shift * 86_400;
                    fields.insert(to.to_owned(), vec![s.to_string()]);
                }
            }
        }
        let input: NewAgreement =
            form_input(&form, &["starts_at", "ends_at"], &[], &["resources"])?;
        n.act(move |c, a| agreements::propose(c, a, input)).await?;
        Ok(())
    })
    .await
}

pub async fn decide(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/agreements", |n| async move {
        let (proposer, id) = path.into_inner();
        let proposer = api::org_path(&proposer)?;
        let id = api::uuid_path("agreement", &id)?;
        let input: AgreementDecision = form_input(&form, &[], &["accepted"], &[])?;
        n.act(move |c, a| agreements::decide(c, a, &proposer, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// Where an agreement stands, each worded through `agreement-<standing>` (for the test that
/// every one is translated).
#[cfg(test)]
pub(crate) const STANDINGS: [&str; 5] = ["pending", "declined", "upcoming", "in-force", "ended"];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_day_is_midnight_to_midnight_in_beijing() {
        let start = midnight("starts_on", "2026-12-01").unwrap();
        // 2026-12-01 00:00 +08:00 = 2026-11-30 16:00 UTC.
        assert_eq!(start, 1_796_054_400);
        assert_eq!(day(start), "2026-12-01");
        assert_eq!(day(start - 1), "2026-11-30");
        assert!(midnight("ends_on", "2026-02-30").is_err());
        assert!(midnight("ends_on", "12/01/2026").is_err());
    }
}
