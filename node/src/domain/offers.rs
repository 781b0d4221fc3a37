//! Offers (资源清单): published and withdrawn by their owner, seen by the whole alliance.

use serde::Deserialize;
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{OfferPublished, OfferWithdrawn};
use tongxin_schema::v1::taxonomy::{OfferCategory, Skill, StationKind};
use tongxin_schema::v1::text::{Description, Note, Text, Title};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::status::OfferStatus;
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list};
use crate::store::offers::{self as rows, OfferRow};
use crate::store::{AnyConnection, StoreResult, outbox};

/// An offer as staff enter it; the node chooses `offer_id` when it is absent.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OfferInput")] // the name API clients know from the OpenAPI document
pub struct NewOffer {
    pub offer_id: Option<Uuid>,
    pub title: Title,
    #[serde(default)]
    pub description: Description,
    pub category: OfferCategory,
    pub capacity: u32,
    pub unit: Option<Text<1, 32>>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    pub station: Option<StationKind>,
    #[serde(default)]
    pub grids: Vec<Text<1, 64>>,
    /// Unix seconds.
    pub available_until: Option<i64>,
}

/// Why an offer is withdrawn.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReasonInput")] // the name API clients know from the OpenAPI document
pub struct Withdrawal {
    pub reason: Option<Note>,
}

fn row(org: &OrgId, kind: OrgKind, o: &OfferPublished, at_ms: i64) -> OfferRow {
    OfferRow {
        org_id: org.to_string(),
        id: o.offer_id.to_string(),
        org_kind: kind.to_string(),
        title: o.title.to_string(),
        description: o.description.to_string(),
        category: o.category.as_str().to_owned(),
        capacity: i64::from(o.capacity),
        unit: o.unit.as_ref().map(|u| u.to_string()),
        skills: json_list(&o.skills),
        station: o.station.map(|s| s.as_str().to_owned()),
        grids: json_list(&o.grids),
        available_until: o.available_until,
        status: OfferStatus::Open,
        status_note: None,
        published_ms: at_ms,
        updated_ms: at_ms,
    }
}

/// Writes an offer, keeping when it was first published.
fn upsert(conn: &mut AnyConnection, mut r: OfferRow) -> StoreResult<OfferRow> {
    if let Some(old) = rows::find(conn, &r.org_id, &r.id)? {
        r.published_ms = old.published_ms;
    }
    rows::upsert(conn, &r)?;
    Ok(r)
}

/// Publishes (or re-publishes) one of our offers to the alliance.
pub fn publish(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewOffer,
) -> Result<OfferRow, ActionError> {
    let offer = checked(OfferPublished {
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
    })?;
    let written = upsert(
        conn,
        row(actor.org(), actor.signer.kind(), &offer, actor.now_ms),
    )?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, offer)?;
    Ok(written)
}

/// Withdraws one of our open offers.
pub fn withdraw(
    conn: &mut AnyConnection,
    actor: &Actor,
    offer_id: Uuid,
    w: Withdrawal,
) -> Result<OfferRow, ActionError> {
    let org = actor.org().to_string();
    let id = offer_id.to_string();
    let mut offer =
        rows::find(conn, &org, &id)?.ok_or_else(|| Invalid::NotFound(format!("offer {id}")))?;
    if offer.status == OfferStatus::Withdrawn {
        return Err(Invalid::Conflict(format!("offer {id} is already withdrawn")).into());
    }
    let note = w.reason.as_ref().map(|r| r.to_string());
    rows::set_status(
        conn,
        &org,
        &id,
        OfferStatus::Withdrawn,
        note.as_deref(),
        actor.now_ms,
    )?;
    let body = OfferWithdrawn {
        offer_id,
        reason: w.reason,
    };
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
    offer.status = OfferStatus::Withdrawn;
    offer.status_note = note;
    offer.updated_ms = actor.now_ms;
    Ok(offer)
}

impl Receive for OfferPublished {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        upsert(conn, row(from.org, from.kind, self, from.at_ms))?;
        Ok(Outcome::Applied)
    }
}

impl Receive for OfferWithdrawn {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let id = self.offer_id.to_string();
        if rows::find(conn, from.org.as_str(), &id)?.is_none() {
            return Ok(
                Refusal::new("unknown_offer", format!("{} has no offer {id}", from.org)).into(),
            );
        }
        rows::set_status(
            conn,
            from.org.as_str(),
            &id,
            OfferStatus::Withdrawn,
            self.reason.as_ref().map(|r| r.as_str()),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}
