//! What staff can do, shared by the JSON API and the web UI: validate, write the row and its
//! outbox message in one transaction, wake the relay.

use tongxin_schema::OrgId;
use tongxin_schema::v1::bodies::{
    NeedClaimDecided, NeedClaimed, NeedEscalated, NeedFulfilled, NeedPublished, OfferPublished,
    OfferWithdrawn,
};
use tongxin_schema::v1::taxonomy::NeedLevel;
use tongxin_schema::v1::text::{Description, Text};
use uuid::Uuid;

use super::api::{
    ClaimInput, DecisionInput, EscalateInput, FulfilInput, NeedInput, OfferInput, ReasonInput,
};
use super::error::ApiError;
use crate::domain::{needs, offers};
use crate::state::SharedNode;
use crate::store::rows::{self, NeedRow, OfferRow};

pub fn empty_description() -> Description {
    Text::new("").unwrap_or_else(|_| unreachable!("a description may be empty"))
}

fn check_lists(skills: usize, grids: usize) -> Result<(), ApiError> {
    if skills > 12 {
        return Err(ApiError::invalid("skills", "at most 12"));
    }
    if grids > 64 {
        return Err(ApiError::invalid("grids", "at most 64"));
    }
    Ok(())
}

fn uuid_path(field: &'static str, s: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(s).map_err(|_| ApiError::not_found(format!("{field} {s:?}")))
}

fn org_path(s: &str) -> Result<OrgId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::not_found(format!("organisation {s:?}")))
}

pub async fn create_offer(node: &SharedNode, i: OfferInput) -> Result<OfferRow, ApiError> {
    if i.capacity == 0 {
        return Err(ApiError::invalid("capacity", "must be at least 1"));
    }
    check_lists(i.skills.len(), i.grids.len())?;
    let offer = OfferPublished {
        offer_id: i.offer_id.unwrap_or_else(Uuid::now_v7),
        title: i.title,
        description: i.description,
        category: i.category,
        capacity: i.capacity,
        unit: i.unit,
        skills: i.skills,
        station: i.station,
        grids: i.grids,
        available_until: i.available_until,
    };
    let (org, id) = (node.cfg.org_id.to_string(), offer.offer_id.to_string());
    let n = node.clone();
    node.store
        .transact(move |c| offers::publish(c, &n.signer, offer))
        .await
        .map_err(ApiError::from)?;
    node.outbox_ready.notify_one();
    node.store
        .read(move |c| rows::find_offer(c, &org, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("offer"))
}

pub async fn withdraw_offer(node: &SharedNode, id: &str, i: ReasonInput) -> Result<Uuid, ApiError> {
    let offer_id = uuid_path("offer", id)?;
    let w = OfferWithdrawn {
        offer_id,
        reason: i.reason,
    };
    let n = node.clone();
    node.store
        .transact(move |c| offers::withdraw(c, &n.signer, w))
        .await
        .map_err(ApiError::from)?;
    node.outbox_ready.notify_one();
    Ok(offer_id)
}

pub async fn create_need(node: &SharedNode, i: NeedInput) -> Result<NeedRow, ApiError> {
    check_lists(i.skills.len(), 0)?;
    let quantity = i.quantity.unwrap_or(1);
    if quantity == 0 {
        return Err(ApiError::invalid("quantity", "must be at least 1"));
    }
    let need = NeedPublished {
        need_id: i.need_id.unwrap_or_else(Uuid::now_v7),
        title: i.title,
        description: i.description,
        level: i.level,
        grid: i.grid,
        micro_wish: i.micro_wish,
        wanted: i.wanted,
        skills: i.skills,
        quantity,
        due: i.due,
    };
    let (org, id) = (node.cfg.org_id.to_string(), need.need_id.to_string());
    let n = node.clone();
    node.store
        .transact(move |c| needs::publish(c, &n.signer, need))
        .await
        .map_err(ApiError::from)?;
    node.outbox_ready.notify_one();
    node.store
        .read(move |c| rows::find_need(c, &org, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("need"))
}

pub async fn claim_need(
    node: &SharedNode,
    org: &str,
    id: &str,
    i: ClaimInput,
) -> Result<Uuid, ApiError> {
    let need_org = org_path(org)?;
    let need_id = uuid_path("need", id)?;
    let claim = NeedClaimed {
        claim_id: Uuid::now_v7(),
        need_id,
        offer_id: i.offer_id,
        note: i.note,
    };
    let claim_id = claim.claim_id;
    let n = node.clone();
    node.store
        .transact(move |c| needs::claim(c, &n.signer, &need_org, claim))
        .await
        .map_err(ApiError::from)?;
    node.outbox_ready.notify_one();
    Ok(claim_id)
}

pub async fn decide_claim(
    node: &SharedNode,
    claimant: &str,
    id: &str,
    i: DecisionInput,
) -> Result<Uuid, ApiError> {
    let claimant = org_path(claimant)?;
    let claim_id = uuid_path("claim", id)?;
    // need_id is filled in from the stored claim.
    let d = NeedClaimDecided {
        claim_id,
        need_id: Uuid::nil(),
        accepted: i.accepted,
        note: i.note,
    };
    let n = node.clone();
    node.store
        .transact(move |c| needs::decide(c, &n.signer, &claimant, d))
        .await
        .map_err(ApiError::from)?;
    node.outbox_ready.notify_one();
    Ok(claim_id)
}

pub async fn fulfil_need(node: &SharedNode, id: &str, i: FulfilInput) -> Result<Uuid, ApiError> {
    let need_id = uuid_path("need", id)?;
    let f = NeedFulfilled {
        need_id,
        claim_id: i.claim_id,
        summary: i.summary,
    };
    let n = node.clone();
    node.store
        .transact(move |c| needs::fulfil(c, &n.signer, f))
        .await
        .map_err(ApiError::from)?;
    node.outbox_ready.notify_one();
    Ok(need_id)
}

pub async fn escalate_need(
    node: &SharedNode,
    id: &str,
    i: EscalateInput,
) -> Result<(Uuid, OrgId), ApiError> {
    let need_id = uuid_path("need", id)?;
    let roster = node.roster();
    let parent = roster
        .org(&node.cfg.org_id)
        .and_then(|o| o.parent.clone())
        .ok_or_else(|| {
            ApiError::invalid(
                "to_org",
                "this organisation has no parent street on the roster",
            )
        })?;
    let e = NeedEscalated {
        need_id,
        to_level: NeedLevel::Street,
        to_org: parent.clone(),
        reason: i.reason,
    };
    let n = node.clone();
    node.store
        .transact(move |c| needs::escalate(c, &n.signer, &roster, e))
        .await
        .map_err(ApiError::from)?;
    node.outbox_ready.notify_one();
    Ok((need_id, parent))
}
