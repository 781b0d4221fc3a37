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
use crate::domain::needs::{
    Decision, Done, Escalation, Fulfilment, MemberClaim, NewClaim, NewNeed, Reopening,
};
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
    /// A member may take a micro-wish on themselves (我来帮办).
    is_member: bool,
    me: String,
    my_offers: Vec<(String, String)>,
    names: HashMap<String, String>,
    skills: Vec<(&'static str, String)>,
    grids: Vec<String>,
    now_s: i64,
}

impl NeedsPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn due(&self, n: &NeedRow) -> String {
        n.due.map(super::agreements::day).unwrap_or_default()
    }
    fn overdue(&self, n: &NeedRow) -> bool {
        n.status == domain::status::NeedStatus::Open && n.due.is_some_and(|d| d < self.now_s)
    }
}

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage {
    t: T,
    base: Base,
    items: Vec<ClaimRow>,
    me: String,
    /// The needs the claims are on, by (owner, id), as this node knows them.
    needs: HashMap<(String, String), NeedRow>,
    names: HashMap<String, String>,
}

impl ClaimsPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn need_title(&self, c: &ClaimRow) -> String {
        self.needs
            .get(&(c.need_org.clone(), c.need_id.clone()))
            .map(|n| n.title.clone())
            .unwrap_or_else(|| c.need_id.clone())
    }
    fn need_open(&self, c: &ClaimRow) -> bool {
        self.needs
            .get(&(c.need_org.clone(), c.need_id.clone()))
            .is_some_and(|n| n.status == domain::status::NeedStatus::Open)
    }
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
            is_member: a.claims.role == Role::Member,
            me,
            my_offers: mine.into_iter().map(|o| (o.id, o.title)).collect(),
            names: org_names(&node),
            skills: skill_choices(t),
            grids: my_grids(&node),
            now_s: node.clock.now_ms() / 1000,
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
    let loaded = node
        .store
        .read(move |c| {
            let items = crate::store::claims::list(c, &m2)?;
            let mut needs = HashMap::new();
            for claim in &items {
                if let Some(n) = crate::store::needs::find(c, &claim.need_org, &claim.need_id)? {
                    needs.insert((n.org_id.clone(), n.id.clone()), n);
                }
            }
            Ok((items, needs))
        })
        .await;
    match loaded {
        Ok((items, needs)) => page(
            ClaimsPage {
                t,
                base,
                items,
                me,
                needs,
                names: org_names(&node),
            },
            [cookie, clear],
        ),
        Err(e) => back(&node, "/offers", Err(e.into()), t),
    }
}

pub async fn report_done(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/claims", |n| async move {
        let input: Done = form_input(&form, &[], &[], &[])?;
        let id = api::uuid_path("claim", &path)?;
        n.act(move |c, a| domain::needs::report_done(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// 我来帮办: a member takes a micro-wish on themselves through their home.
pub async fn claim_mine(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let member = api::uuid_path("member", &m.id)?;
        let (org, id) = path.into_inner();
        let (need_org, need_id) = (api::org_path(&org)?, api::uuid_path("need", &id)?);
        let input: MemberClaim = form_input(&form, &[], &["share_name"], &[])?;
        n.act(move |c, a| domain::needs::claim_for_member(c, a, member, &need_org, need_id, input))
            .await?;
        Ok(())
    })
    .await
}

/// A member reports the micro-wish they took on done.
pub async fn report_done_mine(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let member = api::uuid_path("member", &m.id)?;
        let id = api::uuid_path("claim", &path)?;
        let input: Done = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| domain::needs::report_done_by_member(c, a, member, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// 确认办结: the owner fulfils the need through the claim.
pub async fn confirm_claim(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/claims", |n| async move {
        let (org, id) = path.into_inner();
        let (claimant, claim_id) = (api::org_path(&org)?, api::uuid_path("claim", &id)?);
        let summary: Done = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| {
            let claim = crate::store::claims::find(c, claimant.as_str(), &claim_id.to_string())?
                .ok_or_else(|| domain::Invalid::NotFound(format!("claim {claimant}/{claim_id}")))?;
            let need_id = api::uuid_path("need", &claim.need_id)
                .map_err(|_| domain::Invalid::NotFound("need".into()))?;
            let f = Fulfilment {
                claim_id: Some(claim_id),
                summary: summary.summary,
            };
            domain::needs::fulfil(c, a, need_id, f)
        })
        .await?;
        Ok(())
    })
    .await
}

pub async fn reopen_claim(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/claims", |n| async move {
        let (org, id) = path.into_inner();
        let (claimant, claim_id) = (api::org_path(&org)?, api::uuid_path("claim", &id)?);
        let input: Reopening = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| domain::needs::reopen(c, a, &claimant, claim_id, input))
            .await?;
        Ok(())
    })
    .await
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
