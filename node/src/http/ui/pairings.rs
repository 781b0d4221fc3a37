//! 结对帮扶 in the web UI: a community's staff keep the care ledger and pair its households
//! with members who report there on `/care`; the member sees their pairings on `/me` (by the
//! label only) and the home's staff beside its reports.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::OrgKind;
use tongxin_schema::token::Role;

use super::{
    Base, Form, NodeData, T, admin_action, back, base, form_input, lang, org_names, page, refuse,
    signed_in,
};
use crate::domain::pairings::{self, NewBuilding, NewHousehold, NewPairing, PairingEnd};
use crate::domain::status::{ClaimStatus, NeedStatus, ReportStatus};
use crate::domain::wishes::{self, NewWish};
use crate::http::api;
use crate::store::claims::ClaimRow;
use crate::store::needs::NeedRow;
use crate::store::pairings::{BuildingRow, HouseholdRow, PairingRow};
use crate::store::reports::ReportRow;

/// Where a micro-wish stands, as the care page shows it (`wish-state-…`).
#[cfg(test)]
pub(crate) const WISH_STATES: [&str; 5] = ["open", "claimed", "in_progress", "done", "fulfilled"];

#[derive(Template)]
#[template(path = "care.html")]
struct CarePage {
    t: T,
    base: Base,
    households: Vec<HouseholdRow>,
    /// 楼栋: the buildings of our grids, by grid and name.
    buildings: Vec<BuildingRow>,
    pairings: Vec<PairingRow>,
    /// Members whose report here is accepted: who can be paired.
    reporters: Vec<ReportRow>,
    /// Every report received here, for pairings whose member stopped reporting.
    reports: Vec<ReportRow>,
    names: HashMap<String, String>,
    grids: Vec<String>,
    /// The micro-wishes recorded for households of the ledger, and the claims on them.
    wishes: Vec<NeedRow>,
    claims: Vec<ClaimRow>,
    micro_wishes: Vec<&'static str>,
}

impl CarePage {
    fn wishes_of(&self, h: &HouseholdRow) -> Vec<&NeedRow> {
        self.wishes
            .iter()
            .filter(|n| n.household_id.as_deref() == Some(&h.id))
            .collect()
    }
    /// The furthest claim on the wish, if any.
    fn claim_on(&self, n: &NeedRow) -> Option<&ClaimRow> {
        let rank = |c: &ClaimRow| match c.status {
            ClaimStatus::Confirmed => 4,
            ClaimStatus::Done => 3,
            ClaimStatus::Accepted => 2,
            ClaimStatus::Pending => 1,
            _ => 0,
        };
        self.claims
            .iter()
            .filter(|c| c.need_id == n.id && rank(c) > 0)
            .max_by_key(|c| rank(c))
    }
    fn wish_state(&self, n: &NeedRow) -> &'static str {
        if n.status == NeedStatus::Fulfilled {
            return "fulfilled";
        }
        match self.claim_on(n).map(|c| c.status) {
            Some(ClaimStatus::Done) => "done",
            Some(ClaimStatus::Accepted) => "in_progress",
            Some(ClaimStatus::Pending) => "claimed",
            _ => "open",
        }
    }
    /// Who claimed the wish: the organisation, or a member through it.
    fn claimant(&self, n: &NeedRow) -> String {
        self.claim_on(n)
            .map(|c| match &c.mref {
                Some(_) => super::reporting_member(
                    &self.t,
                    &self.names,
                    c.member_name.as_deref(),
                    &c.claimant_org,
                ),
                None => super::name_of(&self.names, &c.claimant_org).to_owned(),
            })
            .unwrap_or_default()
    }
    fn building_of(&self, h: &HouseholdRow) -> Option<&BuildingRow> {
        let id = h.building_id.as_deref()?;
        self.buildings.iter().find(|b| b.id == id)
    }
    /// 第一网格 · 7号楼, as a building is chosen in a form.
    fn building_label(&self, b: &BuildingRow) -> String {
        match &b.grid {
            Some(g) => format!("{g} · {}", b.name),
            None => b.name.clone(),
        }
    }
    fn households_in(&self, b: &BuildingRow) -> usize {
        self.households
            .iter()
            .filter(|h| h.building_id.as_deref() == Some(&b.id))
            .count()
    }
    fn org(&self, id: &str) -> String {
        super::name_of(&self.names, id).to_owned()
    }
    fn due(&self, n: &NeedRow) -> String {
        n.due.map(super::agreements::day).unwrap_or_default()
    }

    fn current(&self, h: &HouseholdRow) -> Vec<&PairingRow> {
        self.pairings
            .iter()
            .filter(|p| p.ended_ms.is_none() && p.household_id.as_deref() == Some(&h.id))
            .collect()
    }
    fn ended(&self) -> Vec<&PairingRow> {
        self.pairings
            .iter()
            .filter(|p| p.ended_ms.is_some())
            .collect()
    }
    /// How a paired member is addressed here, and their organisation, from their report.
    fn member(&self, p: &PairingRow) -> String {
        let report = self.reports.iter().find(|r| r.mref == p.mref);
        let home = p.mref.split(':').next().unwrap_or_default();
        super::reporting_member(
            &self.t,
            &self.names,
            report.and_then(|r| r.display_name.as_deref()),
            home,
        )
    }
    /// A current pairing whose member no longer reports here (withdrawn): staff should end it.
    fn stopped_reporting(&self, p: &PairingRow) -> bool {
        !self.reporters.iter().any(|r| r.mref == p.mref)
    }
    fn reporter(&self, r: &ReportRow) -> String {
        super::reporting_member(&self.t, &self.names, r.display_name.as_deref(), &r.home_org)
    }
    fn day(&self, s: &i64) -> String {
        super::agreements::day(*s)
    }
    fn day_ms(&self, ms: &i64) -> String {
        super::agreements::day(ms.div_euclid(1000))
    }
}

pub async fn care(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if a.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    if node.cfg.kind != OrgKind::Community {
        return refuse(&req, &node, "/reports", &t.t("care-community_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let me = node.cfg.org_id.to_string();
    let loaded = node
        .store
        .read(move |c| {
            Ok((
                (
                    crate::store::pairings::households(c)?,
                    crate::store::pairings::buildings(c)?,
                ),
                crate::store::pairings::started(c, &me)?,
                crate::store::reports::received(c, &me)?,
                crate::store::needs::for_households(c, &me)?,
                crate::store::claims::list(c, &me)?,
            ))
        })
        .await;
    let ((households, buildings), pairings, received, wishes, claims) = match loaded {
        Ok(x) => x,
        Err(e) => return back(&node, "/reports", Err(e.into()), t),
    };
    let grids = node
        .verifier()
        .roster()
        .and_then(|r| {
            r.org(&node.cfg.org_id)
                .map(|o| o.grids.iter().map(|g| g.to_string()).collect())
        })
        .unwrap_or_default();
    page(
        CarePage {
            t,
            base,
            households,
            buildings,
            pairings,
            reporters: received
                .iter()
                .filter(|r| r.status == ReportStatus::Accepted)
                .cloned()
                .collect(),
            reports: received,
            names: org_names(&node),
            grids,
            wishes,
            claims,
            micro_wishes: tongxin_schema::v1::taxonomy::MicroWishCategory::ALL
                .iter()
                .map(|c| c.as_str())
                .collect(),
        },
        [cookie, clear],
    )
}

pub async fn record_wish(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/care", |n| async move {
        let id = api::uuid_path("household", &path)?;
        let input: NewWish = form_input(&form, &[], &[], &["skills"])?;
        n.act(move |c, a| wishes::record(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn add_household(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    admin_action(req, node, "/care", |n| async move {
        let input: NewHousehold = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| pairings::add_household(c, a, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn add_building(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    admin_action(req, node, "/care", |n| async move {
        let input: NewBuilding = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| pairings::add_building(c, a, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn pair(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    mut form: Form,
) -> HttpResponse {
    admin_action(req, node, "/care", |n| async move {
        let id = api::uuid_path("household", &path)?;
        super::member_choice(&mut form)?;
        let input: NewPairing = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| pairings::pair(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn end(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/care", |n| async move {
        let id = api::uuid_path("pairing", &path)?;
        let input: PairingEnd = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| pairings::end(c, a, id, input)).await?;
        Ok(())
    })
    .await
}
