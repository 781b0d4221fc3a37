//! The needs page (list with filters) and its forms: publish, claim, fulfil, escalate; the
//! claims page and its decision form.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::{
    Base, Form, LEVELS, NodeData, T, admin_action, back, base, form_input, lang, my_grids, name_of,
    opt, org_names, page, refuse, skill_choices,
};
use crate::domain;
use crate::domain::needs::{Decision, Escalation, Fulfilment, NewClaim, NewNeed};
use crate::http::api;
use crate::store::ListFilter;
use crate::store::claims::ClaimRow;
use crate::store::needs::NeedRow;

#[derive(Template)]
#[template(path = "needs.html")]
struct NeedsPage {
    t: T,
    base: Base,
    total: i64,
    items: Vec<NeedRow>,
    levels: Vec<&'static str>,
    micro_wishes: Vec<String>,
    filter_level: String,
    filter_q: String,
    micro_wish_only: bool,
    is_admin: bool,
    me: String,
    my_offers: Vec<(String, String)>,
    names: HashMap<String, String>,
    skills: Vec<(&'static str, String)>,
    grids: Vec<String>,
}

impl NeedsPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
}

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage {
    t: T,
    base: Base,
    items: Vec<ClaimRow>,
    me: String,
}

pub async fn needs(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let level = opt(&q, "level").filter(|l| LEVELS.contains(&l.as_str()));
    let mw = q.get("micro_wish").is_some_and(|v| v == "true");
    let f = ListFilter {
        text: opt(&q, "q").map(|s| s.chars().take(100).collect()),
        limit: 200,
        ..Default::default()
    };
    let me = node.cfg.org_id.to_string();
    let (f2, l2, me2) = (f.clone(), level.clone(), me.clone());
    let loaded = node
        .store
        .read(move |c| {
            let needs = crate::store::needs::list(c, &f2, None, l2.as_deref(), mw)?;
            let mine = ListFilter {
                org: Some(me2),
                limit: 500,
                ..Default::default()
            };
            let open = Some(domain::status::OfferStatus::Open);
            Ok((needs, crate::store::offers::list(c, &mine, open)?.1))
        })
        .await;
    let ((total, items), mine) = match loaded {
        Ok(r) => r,
        Err(e) => return back(&node, "/login", Err(e.into()), t),
    };
    let micro_wishes = tongxin_schema::v1::taxonomy::MicroWishCategory::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    page(
        NeedsPage {
            t,
            base,
            total,
            items,
            levels: LEVELS.to_vec(),
            micro_wishes,
            filter_level: level.unwrap_or_default(),
            filter_q: f.text.unwrap_or_default(),
            micro_wish_only: mw,
            is_admin: a.claims.role == Role::Admin,
            me,
            my_offers: mine.into_iter().map(|o| (o.id, o.title)).collect(),
            names: org_names(&node),
            skills: skill_choices(t),
            grids: my_grids(&node),
        },
        [cookie, clear],
    )
}

pub async fn claims(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    if a.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let me = node.cfg.org_id.to_string();
    let m2 = me.clone();
    match node
        .store
        .read(move |c| crate::store::claims::list(c, &m2))
        .await
    {
        Ok(items) => page(ClaimsPage { t, base, items, me }, [cookie, clear]),
        Err(e) => back(&node, "/offers", Err(e.into()), t),
    }
}

pub async fn create_need(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let input: NewNeed = form_input(&form, &["quantity"], &[], &["skills"])?;
        n.act(move |c, a| domain::needs::publish(c, a, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn claim_need(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let (org, id) = path.into_inner();
        let input: NewClaim = form_input(&form, &[], &[], &[])?;
        let (need_org, need_id) = (api::org_path(&org)?, api::uuid_path("need", &id)?);
        n.act(move |c, a| domain::needs::claim(c, a, &need_org, need_id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn decide_claim(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/claims", |n| async move {
        let (org, id) = path.into_inner();
        let input: Decision = form_input(&form, &[], &["accepted"], &[])?;
        let (claimant, claim_id) = (api::org_path(&org)?, api::uuid_path("claim", &id)?);
        n.act(move |c, a| domain::needs::decide(c, a, &claimant, claim_id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn fulfil_need(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let input: Fulfilment = form_input(&form, &[], &[], &[])?;
        let id = api::uuid_path("need", &path)?;
        n.act(move |c, a| domain::needs::fulfil(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn escalate_need(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let input: Escalation = form_input(&form, &[], &[], &[])?;
        let id = api::uuid_path("need", &path)?;
        n.act(move |c, a| domain::needs::escalate(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}
