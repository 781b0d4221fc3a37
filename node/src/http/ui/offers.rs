//! The offers page (list with filters) and its forms: publish, withdraw.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::{
    Base, CATEGORIES, Form, NodeData, T, admin_action, admin_action_keeping, back, base,
    form_input, keep, lang, my_grids, name_of, opt, org_names, page, skill_choices,
};
use crate::domain;
use crate::domain::offers::{NewOffer, Withdrawal};
use crate::domain::status::OfferStatus;
use crate::http::api;
use crate::store::ListFilter;
use crate::store::claims::ClaimRow;
use crate::store::offers::OfferRow;

#[derive(Template)]
#[template(path = "offers.html")]
struct OffersPage {
    t: T,
    base: Base,
    total: i64,
    items: Vec<OfferRow>,
    categories: Vec<&'static str>,
    kinds: Vec<&'static str>,
    filter_category: String,
    filter_kind: String,
    filter_q: String,
    is_admin: bool,
    names: HashMap<String, String>,
    skills: Vec<(&'static str, String)>,
    grids: Vec<String>,
    stations: Vec<&'static str>,
    /// Withdrawn offers are listed too (`?all=1`); else only open ones.
    all: bool,
    open_form: bool,
}

impl OffersPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn day_of(&self, ms: &i64) -> String {
        super::agreements::day(ms / 1000)
    }
}

/// The kinds of stations (驿站) an offer may be, each worded through `station-<kind>`.
pub(crate) fn stations() -> Vec<&'static str> {
    <tongxin_schema::v1::taxonomy::StationKind as strum::VariantArray>::VARIANTS
        .iter()
        .map(|k| <&str>::from(*k))
        .collect()
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage {
    t: T,
    base: Base,
    o: OfferRow,
    /// Claims at this node that put the offer to use: (need title, need link, claim).
    uses: Vec<(String, String, ClaimRow)>,
    names: HashMap<String, String>,
    is_admin: bool,
    me: String,
}

impl OfferPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn when(&self, ms: &i64) -> String {
        super::activities::when(ms / 1000)
    }
    fn day(&self, s: &i64) -> String {
        super::agreements::day(*s)
    }
    fn skills(&self) -> String {
        super::skill_names(self.t, &self.o.skills)
    }
    fn grids(&self) -> String {
        serde_json::from_str::<Vec<String>>(&self.o.grids)
            .unwrap_or_default()
            .join("、")
    }
    fn can_withdraw(&self) -> bool {
        self.is_admin && self.o.org_id == self.me && self.o.status == OfferStatus::Open
    }
}

pub async fn offer_page(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let (org, id) = path.into_inner();
    let me = node.cfg.org_id.to_string();
    let m2 = me.clone();
    let loaded = node
        .store
        .read(move |c| {
            let Some(o) = crate::store::offers::find(c, &org, &id)? else {
                return Ok(None);
            };
            let mut uses = Vec::new();
            for cl in crate::store::claims::list(c, &m2)? {
                if cl.claimant_org != o.org_id || cl.offer_id.as_deref() != Some(o.id.as_str()) {
                    continue;
                }
                let title = crate::store::needs::find(c, &cl.need_org, &cl.need_id)?
                    .map(|n| n.title)
                    .unwrap_or_else(|| cl.need_id.clone());
                let link = format!("/needs/{}/{}", cl.need_org, cl.need_id);
                uses.push((title, link, cl));
            }
            Ok(Some((o, uses)))
        })
        .await;
    let (o, uses) = match loaded {
        Ok(Some(r)) => r,
        Ok(None) => return super::not_found_page(&req, &node, t),
        Err(e) => return back(&node, "/offers", Err(e.into()), t),
    };
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    page(
        OfferPage {
            t,
            base,
            o,
            uses,
            names: org_names(&node),
            is_admin: a.claims.role == Role::Admin,
            me,
        },
        [cookie, clear],
    )
}

pub async fn offers(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let f = ListFilter {
        category: opt(&q, "category").filter(|c| CATEGORIES.contains(&c.as_str())),
        org_kind: opt(&q, "org_kind").filter(|k| k.parse::<tongxin_schema::OrgKind>().is_ok()),
        text: opt(&q, "q").map(|s| s.chars().take(100).collect()),
        limit: 200,
        ..Default::default()
    };
    let f2 = f.clone();
    let all = q.get("all").is_some_and(|v| v == "1");
    let open_form = q.get("new").is_some() || !base.kept.is_empty() || !base.errors.is_empty();
    let status = (!all).then_some(OfferStatus::Open);
    let (total, items) = match node
        .store
        .read(move |c| crate::store::offers::list(c, &f2, status))
        .await
    {
        Ok(r) => r,
        Err(e) => return back(&node, "/login", Err(e.into()), t),
    };
    page(
        OffersPage {
            t,
            base,
            total,
            items,
            categories: CATEGORIES.to_vec(),
            kinds: tongxin_schema::OrgKind::NAMES.to_vec(),
            filter_category: f.category.unwrap_or_default(),
            filter_kind: f.org_kind.unwrap_or_default(),
            filter_q: f.text.unwrap_or_default(),
            is_admin: a.claims.role == Role::Admin,
            names: org_names(&node),
            skills: skill_choices(t),
            grids: my_grids(&node),
            stations: stations(),
            all,
            open_form,
        },
        [cookie, clear],
    )
}

pub async fn create_offer(req: HttpRequest, node: NodeData, mut form: Form) -> HttpResponse {
    let kept = keep(&form);
    admin_action_keeping(req, node, "/offers", kept, |n| async move {
        super::date_field(&mut form, "until_date", "available_until", true)?;
        let input: NewOffer = form_input(
            &form,
            &["capacity", "available_until"],
            &[],
            &["skills", "grids"],
        )?;
        n.act(move |c, a| domain::offers::publish(c, a, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn withdraw_offer(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let to = format!("/offers/{}/{}", node.cfg.org_id, path.as_str());
    admin_action(req, node, &to, |n| async move {
        let input: Withdrawal = form_input(&form, &[], &[], &[])?;
        let id = api::uuid_path("offer", &path)?;
        n.act(move |c, a| domain::offers::withdraw(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}
