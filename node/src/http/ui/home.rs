//! The home page: what needs this organisation's attention now, each with where to act.
//! Members go to their own page, and the organisation department's auditors to its figures.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::{Base, NodeData, T, base, lang, name_of, org_names, page, redirect};
use crate::domain::status::{ClaimStatus, NeedStatus, ReportStatus, ServiceStatus};
use crate::store::claims::ClaimRow;
use crate::store::needs::NeedRow;
use crate::store::{ListFilter, claims, needs, reports, services};

/// One line of the attention list: a need, and why it is listed.
pub struct Item {
    pub title: String,
    pub link: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: T,
    base: Base,
    is_admin: bool,
    /// Claims on our needs waiting for our decision.
    to_decide: Vec<Item>,
    /// Needs escalated to us that are still open.
    handed_to_us: Vec<Item>,
    /// Our open needs whose deadline has passed.
    overdue: Vec<Item>,
    /// Our accepted claims whose work is not reported done yet.
    to_carry_out: Vec<Item>,
    reports_waiting: usize,
    services_waiting: usize,
    open_needs: i64,
    open_offers: i64,
}

fn need_link(n: &NeedRow) -> String {
    format!("/needs/{}/{}", n.org_id, n.id)
}

pub async fn home(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some(a) = super::signed_in(&req, &node) else {
        return redirect("/login");
    };
    match a.claims.role {
        Role::Member => return redirect("/me"),
        Role::Auditor if node.cfg.kind == tongxin_schema::OrgKind::OrgDepartment => {
            return redirect("/participation");
        }
        _ => {}
    }
    let (t, cookie) = lang(&req, &q);
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let me = node.cfg.org_id.to_string();
    let now_s = node.clock.now_s();
    let m = me.clone();
    let loaded = node
        .store
        .read(move |c| {
            let all = ListFilter {
                limit: 1000,
                ..Default::default()
            };
            let (_, listed) = needs::list(c, &all, Some(NeedStatus::Open), None, false)?;
            let claims = claims::list(c, &m)?;
            let mut titles: HashMap<(String, String), NeedRow> = HashMap::new();
            for cl in &claims {
                if let Some(n) = needs::find(c, &cl.need_org, &cl.need_id)? {
                    titles.insert((n.org_id.clone(), n.id.clone()), n);
                }
            }
            let reports_waiting = reports::received(c, &m)?
                .iter()
                .filter(|r| r.status == ReportStatus::Pending)
                .count();
            let services_waiting = services::logs_received(c, &m)?
                .iter()
                .filter(|l| l.status == ServiceStatus::Pending)
                .count();
            let mine = ListFilter {
                org: Some(m.clone()),
                limit: 1,
                ..Default::default()
            };
            let open_offers = crate::store::offers::list(
                c,
                &mine,
                Some(crate::domain::status::OfferStatus::Open),
            )?
            .0;
            Ok((
                listed,
                claims,
                titles,
                reports_waiting,
                services_waiting,
                open_offers,
            ))
        })
        .await;
    let (listed, claims, titles, reports_waiting, services_waiting, open_offers) = match loaded {
        Ok(r) => r,
        Err(e) => return super::back(&node, "/needs", Err(e.into()), t),
    };
    let names = org_names(&node);
    let title_of = |c: &ClaimRow| -> (String, String) {
        match titles.get(&(c.need_org.clone(), c.need_id.clone())) {
            Some(n) => (n.title.clone(), need_link(n)),
            None => (
                c.need_id.clone(),
                format!("/needs/{}/{}", c.need_org, c.need_id),
            ),
        }
    };
    let open_of = |c: &ClaimRow| {
        titles
            .get(&(c.need_org.clone(), c.need_id.clone()))
            .is_some_and(|n| n.status == NeedStatus::Open)
    };
    let to_decide = claims
        .iter()
        .filter(|c| c.need_org == me && c.status == ClaimStatus::Pending && open_of(c))
        .map(|c| {
            let (title, link) = title_of(c);
            let who = name_of(&names, &c.claimant_org).to_owned();
            let at = super::activities::when(c.created_ms / 1000);
            Item {
                title,
                link,
                detail: format!("{} {who} · {at}", t.t("claimant")),
            }
        })
        .collect();
    let to_carry_out = claims
        .iter()
        .filter(|c| c.claimant_org == me && c.mref.is_none())
        .filter(|c| c.status == ClaimStatus::Accepted && open_of(c))
        .map(|c| {
            let (title, link) = title_of(c);
            Item {
                title,
                link,
                detail: name_of(&names, &c.need_org).to_owned(),
            }
        })
        .collect();
    let open: Vec<&NeedRow> = listed
        .iter()
        .filter(|n| n.status == NeedStatus::Open)
        .collect();
    let handed_to_us = open
        .iter()
        .filter(|n| n.responsible_org == me && n.org_id != me)
        .map(|n| Item {
            title: n.title.clone(),
            link: need_link(n),
            detail: format!(
                "{} · {}",
                name_of(&names, &n.org_id),
                n.status_note.clone().unwrap_or_default()
            ),
        })
        .collect();
    let overdue = open
        .iter()
        .filter(|n| n.org_id == me && n.due.is_some_and(|d| d < now_s))
        .map(|n| Item {
            title: n.title.clone(),
            link: need_link(n),
            detail: format!(
                "{} {}",
                t.t("due"),
                n.due.map(super::activities::when).unwrap_or_default()
            ),
        })
        .collect();
    let open_needs = open.iter().filter(|n| n.org_id == me).count() as i64;
    page(
        HomePage {
            t,
            base,
            is_admin: a.claims.role == Role::Admin,
            to_decide,
            handed_to_us,
            overdue,
            to_carry_out,
            reports_waiting,
            services_waiting,
            open_needs,
            open_offers,
        },
        [cookie, clear],
    )
}
