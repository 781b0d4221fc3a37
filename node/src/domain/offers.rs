//! Offers (资源清单): published and withdrawn by their owner, seen by the whole alliance.

use tongxin_schema::envelope::{Audience, Signer};
use tongxin_schema::v1::bodies::{OfferPublished, OfferWithdrawn};
use tongxin_schema::{OrgId, OrgKind};

use super::{ActionError, Invalid, Refusal, enum_str, json_list};
use crate::store::rows::{self, OfferRow};
use crate::store::{AnyConnection, StoreResult, now_ms, outbox};

fn row(org: &OrgId, kind: OrgKind, o: &OfferPublished, at_ms: i64) -> OfferRow {
    OfferRow {
        org_id: org.to_string(),
        id: o.offer_id.to_string(),
        org_kind: kind.to_string(),
        title: o.title.to_string(),
        description: o.description.to_string(),
        category: enum_str(&o.category),
        capacity: i64::from(o.capacity),
        unit: o.unit.as_ref().map(|u| u.to_string()),
        skills: json_list(&o.skills),
        station: o.station.as_ref().map(enum_str),
        grids: json_list(&o.grids),
        available_until: o.available_until,
        status: "open".into(),
        status_note: None,
        published_ms: at_ms,
        updated_ms: at_ms,
    }
}

/// Publishes (or re-publishes) one of our offers.
pub fn publish(
    conn: &mut AnyConnection,
    signer: &Signer,
    offer: OfferPublished,
) -> Result<(), ActionError> {
    let now = now_ms();
    let mut r = row(signer.org_id(), signer.kind(), &offer, now);
    if let Some(old) = rows::find_offer(conn, &r.org_id, &r.id)? {
        r.published_ms = old.published_ms;
    }
    rows::upsert_offer(conn, &r)?;
    outbox::enqueue(conn, signer, Audience::All, offer)?;
    Ok(())
}

pub fn withdraw(
    conn: &mut AnyConnection,
    signer: &Signer,
    w: OfferWithdrawn,
) -> Result<(), ActionError> {
    let org = signer.org_id().to_string();
    let id = w.offer_id.to_string();
    let offer = rows::find_offer(conn, &org, &id)?
        .ok_or_else(|| Invalid::NotFound(format!("offer {id}")))?;
    if offer.status == "withdrawn" {
        return Err(Invalid::Conflict(format!("offer {id} is already withdrawn")).into());
    }
    rows::set_offer_status(
        conn,
        &org,
        &id,
        "withdrawn",
        w.reason.as_ref().map(|r| r.as_str()),
        now_ms(),
    )?;
    outbox::enqueue(conn, signer, Audience::All, w)?;
    Ok(())
}

pub fn apply_published(
    conn: &mut AnyConnection,
    iss: &OrgId,
    kind: OrgKind,
    o: &OfferPublished,
    iat: i64,
) -> StoreResult<Result<(), Refusal>> {
    let mut r = row(iss, kind, o, iat * 1000);
    if let Some(old) = rows::find_offer(conn, &r.org_id, &r.id)? {
        r.published_ms = old.published_ms;
    }
    rows::upsert_offer(conn, &r)?;
    Ok(Ok(()))
}

pub fn apply_withdrawn(
    conn: &mut AnyConnection,
    iss: &OrgId,
    w: &OfferWithdrawn,
    iat: i64,
) -> StoreResult<Result<(), Refusal>> {
    let id = w.offer_id.to_string();
    if rows::find_offer(conn, iss.as_str(), &id)?.is_none() {
        return Ok(Err(Refusal::new(
            "unknown_offer",
            format!("{iss} has no offer {id}"),
        )));
    }
    rows::set_offer_status(
        conn,
        iss.as_str(),
        &id,
        "withdrawn",
        w.reason.as_ref().map(|r| r.as_str()),
        iat * 1000,
    )?;
    Ok(Ok(()))
}
