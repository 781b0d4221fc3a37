//! The offers page (list with filters) and its forms: publish, withdraw.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::{
    Base, CATEGORIES, Form, NodeData, T, admin_action, back, base, form_input, lang, my_grids,
    name_of, opt, org_names, page, skill_choices,
};
use crate::domain;
use crate::domain::offers::{NewOffer, Withdrawal};
use crate::http::api;
use crate::store::ListFilter;
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
    me: String,
    names: HashMap<String, String>,
    skills: Vec<(&'static str, String)>,
    grids: Vec<String>,
}

impl OffersPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
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
    let (total, items) = match node
        .store
        .read(move |c| crate::store::offers::list(c, &f2, None))
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
            me: node.cfg.org_id.to_string(),
            names: org_names(&node),
            skills: skill_choices(t),
            grids: my_grids(&node),
        },
        [cookie, clear],
    )
}

pub async fn create_offer(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    admin_action(req, node, "/offers", |n| async move {
        let input: NewOffer = form_input(&form, &["capacity"], &[], &["skills", "grids"])?;
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
    admin_action(req, node, "/offers", |n| async move {
        let input: Withdrawal = form_input(&form, &[], &[], &[])?;
        let id = api::uuid_path("offer", &path)?;
        n.act(move |c, a| domain::offers::withdraw(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}
