//! The needs page (list with filters) and its forms: publish, claim, fulfil, escalate; the
//! claims page and its decision form.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::{
    Base, CATEGORIES, Form, LEVELS, NodeData, T, admin_action, admin_action_keeping, back, back_to,
    base, form_input, keep, lang, my_grids, name_of, opt, org_names, page, refuse, skill_choices,
};
use crate::domain;
use crate::domain::needs::{
    Decision, Done, Escalation, Fulfilment, MemberClaim, NewClaim, NewNeed, Reopening,
};
use crate::domain::status::{ClaimStatus, NeedStatus};
use crate::http::api;
use crate::store::ListFilter;
use crate::store::claims::ClaimRow;
use crate::store::needs::{EventRow, NeedRow};

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
    names: HashMap<String, String>,
    skills: Vec<(&'static str, String)>,
    grids: Vec<String>,
    categories: Vec<&'static str>,
    now_s: i64,
    /// The publish form starts open (`?new=1`, or shown again after an error).
    open_form: bool,
    /// Our standing claims, by (owner, need id): their status.
    our_claims: HashMap<(String, String), ClaimStatus>,
}

impl NeedsPage {
    fn day_of(&self, ms: &i64) -> String {
        super::agreements::day(ms / 1000)
    }
    fn our_claim(&self, n: &NeedRow) -> Option<ClaimStatus> {
        self.our_claims
            .get(&(n.org_id.clone(), n.id.clone()))
            .copied()
    }
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
    offers: OfferTitles,
    names: HashMap<String, String>,
}

/// The titles of the offers claims name, by (claimant, offer id), as this node knows them.
struct OfferTitles(HashMap<(String, String), String>);

impl OfferTitles {
    fn load(
        c: &mut crate::store::AnyConnection,
        claims: &[ClaimRow],
    ) -> crate::store::StoreResult<OfferTitles> {
        let mut titles = HashMap::new();
        for claim in claims {
            if let Some(o) = &claim.offer_id
                && let Some(row) = crate::store::offers::find(c, &claim.claimant_org, o)?
            {
                titles.insert((claim.claimant_org.clone(), o.clone()), row.title);
            }
        }
        Ok(OfferTitles(titles))
    }

    /// The title of the offer `claim` names, if this node has that offer.
    fn of(&self, claim: &ClaimRow) -> Option<&str> {
        let id = claim.offer_id.as_ref()?;
        self.0
            .get(&(claim.claimant_org.clone(), id.clone()))
            .map(String::as_str)
    }
}

impl ClaimsPage {
    fn when(&self, ms: &i64) -> String {
        super::activities::when(ms / 1000)
    }
    fn offer_title(&self, c: &ClaimRow) -> Option<&str> {
        self.offers.of(c)
    }
    /// A claim on one of our needs that waits for our decision.
    fn waits_for_us(&self, c: &ClaimRow) -> bool {
        c.need_org == self.me && c.status == ClaimStatus::Pending && self.need_open(c)
    }
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
    let open_form = q.get("new").is_some() || !base.kept.is_empty() || !base.errors.is_empty();
    let loaded = node
        .store
        .read(move |c| {
            let needs = crate::store::needs::list(c, &f2, None, l2.as_deref(), mw)?;
            let claims = crate::store::claims::list(c, &me2)?;
            Ok((needs, claims))
        })
        .await;
    let ((total, items), claims) = match loaded {
        Ok(r) => r,
        Err(e) => return back(&node, "/login", Err(e.into()), t),
    };
    let our_claims = claims
        .into_iter()
        .filter(|c| c.claimant_org == me && c.mref.is_none())
        .filter(|c| !matches!(c.status, ClaimStatus::Declined | ClaimStatus::Reopened))
        .map(|c| ((c.need_org, c.need_id), c.status))
        .collect();
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
            names: org_names(&node),
            skills: skill_choices(t),
            grids: my_grids(&node),
            categories: CATEGORIES.to_vec(),
            now_s: node.clock.now_ms() / 1000,
            open_form,
            our_claims,
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
    if a.claims.role == Role::Member {
        return refuse(&req, &node, "/me", &t.t("staff_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let me = node.cfg.org_id.to_string();
    let m2 = me.clone();
    let loaded = node
        .store
        .read(move |c| {
            let mut items = crate::store::claims::list(c, &m2)?;
            let mut needs = HashMap::new();
            for claim in &items {
                if let Some(n) = crate::store::needs::find(c, &claim.need_org, &claim.need_id)? {
                    needs.insert((n.org_id.clone(), n.id.clone()), n);
                }
            }
            let offers = OfferTitles::load(c, &items)?;
            // What waits for a decision first, then the newest.
            items.sort_by_key(|c| {
                let waits = c.need_org == m2 && c.status == ClaimStatus::Pending;
                (!waits, -c.created_ms)
            });
            Ok((items, needs, offers))
        })
        .await;
    match loaded {
        Ok((items, needs, offers)) => page(
            ClaimsPage {
                t,
                base,
                items,
                me,
                needs,
                offers,
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
    mut form: Form,
) -> HttpResponse {
    let to = back_to(&mut form, "/claims");
    admin_action(req, node, &to, |n| async move {
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
    mut form: Form,
) -> HttpResponse {
    let to = back_to(&mut form, "/claims");
    admin_action(req, node, &to, |n| async move {
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
    mut form: Form,
) -> HttpResponse {
    let to = back_to(&mut form, "/claims");
    admin_action(req, node, &to, |n| async move {
        let (org, id) = path.into_inner();
        let (claimant, claim_id) = (api::org_path(&org)?, api::uuid_path("claim", &id)?);
        let input: Reopening = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| domain::needs::reopen(c, a, &claimant, claim_id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn create_need(req: HttpRequest, node: NodeData, mut form: Form) -> HttpResponse {
    let kept = keep(&form);
    admin_action_keeping(req, node, "/needs", kept, |n| async move {
        super::date_field(&mut form, "due_date", "due", true)?;
        let input: NewNeed = form_input(&form, &["quantity", "due"], &[], &["skills"])?;
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
    let to = need_url(&path.0, &path.1);
    admin_action(req, node, &to, |n| async move {
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
    mut form: Form,
) -> HttpResponse {
    let to = back_to(&mut form, "/claims");
    admin_action(req, node, &to, |n| async move {
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
    let to = need_url(node.cfg.org_id.as_str(), &path);
    admin_action(req, node, &to, |n| async move {
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
    let to = need_url(node.cfg.org_id.as_str(), &path);
    admin_action(req, node, &to, |n| async move {
        let input: Escalation = form_input(&form, &[], &[], &[])?;
        let id = api::uuid_path("need", &path)?;
        n.act(move |c, a| domain::needs::escalate(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// One need's page: what it asks, its claims as this node knows them (who, with which offer,
/// when, how it stands), what can be done now, and its history.
#[derive(Template)]
#[template(path = "need.html")]
struct NeedPage {
    t: T,
    base: Base,
    n: NeedRow,
    claims: Vec<ClaimRow>,
    history: Vec<EventRow>,
    offers: OfferTitles,
    my_offers: Vec<(String, String)>,
    names: HashMap<String, String>,
    me: String,
    is_admin: bool,
    is_member: bool,
    now_s: i64,
    /// This organisation has a claim on the need that is still standing.
    claimed_by_us: bool,
    skills: Vec<(&'static str, String)>,
    grids: Vec<String>,
    categories: Vec<&'static str>,
}

impl NeedPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn when(&self, ms: &i64) -> String {
        super::activities::when(ms / 1000)
    }
    fn due(&self) -> String {
        self.n.due.map(super::activities::when).unwrap_or_default()
    }
    fn overdue(&self) -> bool {
        self.n.status == NeedStatus::Open && self.n.due.is_some_and(|d| d < self.now_s)
    }
    fn is_open(&self) -> bool {
        self.n.status == NeedStatus::Open
    }
    fn ours(&self) -> bool {
        self.n.org_id == self.me
    }
    /// Escalated to us: the street now answers for it.
    fn ours_to_handle(&self) -> bool {
        self.n.responsible_org == self.me && self.n.org_id != self.me
    }
    fn offer_title(&self, c: &ClaimRow) -> Option<&str> {
        self.offers.of(c)
    }
    fn claimant(&self, c: &ClaimRow) -> String {
        let org = self.org_name(&c.claimant_org).to_owned();
        if c.mref.is_none() {
            return org;
        }
        let who = c
            .member_name
            .clone()
            .unwrap_or_else(|| self.t.t("name_not_shared").into_owned());
        format!("{org} · {} {who}", self.t.t("claim-by_member"))
    }
    fn skills(&self) -> String {
        super::skill_names(self.t, &self.n.skills)
    }
    fn event_label(&self, e: &EventRow) -> String {
        self.t.t(&format!("event-{}", e.event)).into_owned()
    }
    fn event_claim(&self, e: &EventRow) -> Option<String> {
        let (org, id) = (e.claimant_org.as_ref()?, e.claim_id.as_ref()?);
        let c = self
            .claims
            .iter()
            .find(|c| &c.claimant_org == org && &c.id == id);
        Some(match c {
            Some(c) => match self.offer_title(c) {
                Some(o) => format!("{} · {o}", self.claimant(c)),
                None => self.claimant(c),
            },
            None => self.org_name(org).to_owned(),
        })
    }
    /// Who did it: the claimant (and their offer) for a claim or its work; the owner, and whose
    /// claim, for the owner's decisions.
    fn event_who(&self, e: &EventRow) -> String {
        let by = self.org_name(&e.by_org);
        match self.event_claim(e) {
            Some(c) if matches!(e.event.as_str(), "claimed" | "done") => c,
            Some(c) => format!("{by} → {c}"),
            None => by.to_owned(),
        }
    }
    fn url(&self) -> String {
        need_url(&self.n.org_id, &self.n.id)
    }
    fn can_decide(&self, c: &ClaimRow) -> bool {
        self.is_admin && self.ours() && self.is_open() && c.status == ClaimStatus::Pending
    }
    fn can_confirm(&self, c: &ClaimRow) -> bool {
        self.is_admin
            && self.ours()
            && self.is_open()
            && matches!(c.status, ClaimStatus::Accepted | ClaimStatus::Done)
    }
    fn can_report_done(&self, c: &ClaimRow) -> bool {
        self.is_admin
            && c.claimant_org == self.me
            && c.mref.is_none()
            && c.status == ClaimStatus::Accepted
    }
    fn can_claim(&self) -> bool {
        self.is_admin && !self.ours() && self.is_open() && !self.claimed_by_us
    }
    fn can_close(&self) -> bool {
        self.is_admin && self.ours() && self.is_open()
    }
    /// The owner may still change it: open, and not handed to the street.
    fn can_edit(&self) -> bool {
        self.can_close() && self.n.responsible_org == self.n.org_id
    }
    fn has_skill(&self, skill: &str) -> bool {
        self.n.skills.contains(&format!("\"{skill}\""))
    }
    fn grid_is(&self, g: &str) -> bool {
        self.n.grid.as_deref() == Some(g)
    }
    fn wanted_is(&self, c: &str) -> bool {
        self.n.wanted.as_deref() == Some(c)
    }
    /// The deadline for the edit form's date input (a past one is refused on saving: the
    /// owner chooses a new one).
    fn due_day(&self) -> String {
        self.n.due.map(super::agreements::day).unwrap_or_default()
    }
    fn can_escalate(&self) -> bool {
        self.can_close()
            && self.n.level != "street"
            && !self
                .claims
                .iter()
                .any(|c| matches!(c.status, ClaimStatus::Accepted | ClaimStatus::Done))
    }
}

pub async fn need_page(
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
            let Some(n) = crate::store::needs::find(c, &org, &id)? else {
                return Ok(None);
            };
            let claims = crate::store::claims::on_need(c, &m2, &n.org_id, &n.id)?;
            let offers = OfferTitles::load(c, &claims)?;
            let history = crate::store::needs::history(c, &n.org_id, &n.id)?;
            let mine = ListFilter {
                org: Some(m2),
                limit: 500,
                ..Default::default()
            };
            let open = Some(domain::status::OfferStatus::Open);
            let my_offers = crate::store::offers::list(c, &mine, open)?.1;
            Ok(Some((n, claims, offers, history, my_offers)))
        })
        .await;
    let (n, claims, offers, history, my_offers) = match loaded {
        Ok(Some(r)) => r,
        Ok(None) => return super::not_found_page(&req, &node, t),
        Err(e) => return back(&node, "/needs", Err(e.into()), t),
    };
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let claimed_by_us = claims.iter().any(|c| {
        c.claimant_org == me
            && c.mref.is_none()
            && matches!(
                c.status,
                ClaimStatus::Pending | ClaimStatus::Accepted | ClaimStatus::Done
            )
    });
    page(
        NeedPage {
            t,
            base,
            n,
            claims,
            history,
            offers,
            my_offers: my_offers.into_iter().map(|o| (o.id, o.title)).collect(),
            names: org_names(&node),
            me,
            is_admin: a.claims.role == Role::Admin,
            is_member: a.claims.role == Role::Member,
            now_s: node.clock.now_s(),
            claimed_by_us,
            skills: skill_choices(t),
            grids: my_grids(&node),
            categories: CATEGORIES.to_vec(),
        },
        [cookie, clear],
    )
}

/// Where a form about the need `org`/`id` returns: its page.
fn need_url(org: &str, id: &str) -> String {
    format!("/needs/{org}/{id}")
}

/// 修改: the owner changes an open need's text, grid, type, skills, quantity or deadline; it is
/// published again under the same id (every node updates it, its history says 修改).
pub async fn edit_need(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    mut form: Form,
) -> HttpResponse {
    let kept = keep(&form);
    let to = need_url(node.cfg.org_id.as_str(), &path);
    admin_action_keeping(req, node, &to, kept, |n| async move {
        let id = api::uuid_path("need", &path)?;
        super::date_field(&mut form, "due_date", "due", true)?;
        if let Ok(fields) = form.0.as_mut() {
            fields.insert("need_id".into(), vec![id.to_string()]);
        }
        let mut input: NewNeed = form_input(&form, &["quantity", "due"], &[], &["skills"])?;
        n.act(move |c, a| {
            // No date given: the deadline stays what it was.
            if input.due.is_none() {
                input.due = crate::store::needs::find(c, a.org().as_str(), &id.to_string())?
                    .and_then(|n| n.due);
            }
            domain::needs::publish(c, a, input)
        })
        .await?;
        Ok(())
    })
    .await
}
