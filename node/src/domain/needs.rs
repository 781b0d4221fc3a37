//! Needs (需求清单, 微心愿) and their claims: an organisation claims another's need with one of
//! its offers, the owner accepts or declines, and announces the need fulfilled.

use tongxin_schema::envelope::{Audience, Signer};
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::bodies::{
    NeedClaimDecided, NeedClaimed, NeedEscalated, NeedFulfilled, NeedPublished,
};
use tongxin_schema::v1::taxonomy::NeedLevel;
use tongxin_schema::{OrgId, OrgKind};

use super::{ActionError, Invalid, Refusal, enum_str, json_list};
use crate::store::rows::{self, ClaimRow, NeedRow};
use crate::store::{AnyConnection, StoreResult, now_ms, outbox};

fn row(org: &OrgId, kind: OrgKind, n: &NeedPublished, at_ms: i64) -> NeedRow {
    NeedRow {
        org_id: org.to_string(),
        id: n.need_id.to_string(),
        org_kind: kind.to_string(),
        title: n.title.to_string(),
        description: n.description.to_string(),
        level: enum_str(&n.level),
        grid: n.grid.as_ref().map(|g| g.to_string()),
        micro_wish: n.micro_wish.as_ref().map(enum_str),
        wanted: n.wanted.as_ref().map(enum_str),
        skills: json_list(&n.skills),
        quantity: i64::from(n.quantity),
        due: n.due,
        responsible_org: org.to_string(),
        status: "open".into(),
        status_note: None,
        published_ms: at_ms,
        updated_ms: at_ms,
    }
}

fn upsert(conn: &mut AnyConnection, mut r: NeedRow) -> StoreResult<()> {
    if let Some(old) = rows::find_need(conn, &r.org_id, &r.id)? {
        r.published_ms = old.published_ms;
        r.status = old.status;
        r.responsible_org = old.responsible_org;
        r.status_note = old.status_note;
    }
    rows::upsert_need(conn, &r)
}

pub fn publish(
    conn: &mut AnyConnection,
    signer: &Signer,
    need: NeedPublished,
) -> Result<(), ActionError> {
    if let Some(old) = rows::find_need(conn, signer.org_id().as_str(), &need.need_id.to_string())?
        && old.status == "fulfilled"
    {
        return Err(Invalid::Conflict("a fulfilled need cannot be changed".into()).into());
    }
    upsert(conn, row(signer.org_id(), signer.kind(), &need, now_ms()))?;
    outbox::enqueue(conn, signer, Audience::All, need)?;
    Ok(())
}

pub fn apply_published(
    conn: &mut AnyConnection,
    iss: &OrgId,
    kind: OrgKind,
    n: &NeedPublished,
    iat: i64,
) -> StoreResult<Result<(), Refusal>> {
    upsert(conn, row(iss, kind, n, iat * 1000))?;
    Ok(Ok(()))
}

/// We claim another organisation's need, optionally with one of our open offers.
pub fn claim(
    conn: &mut AnyConnection,
    signer: &Signer,
    need_org: &OrgId,
    c: NeedClaimed,
) -> Result<(), ActionError> {
    let me = signer.org_id().as_str();
    if need_org.as_str() == me {
        return Err(Invalid::Conflict("an organisation does not claim its own need".into()).into());
    }
    let need_id = c.need_id.to_string();
    let need = rows::find_need(conn, need_org.as_str(), &need_id)?
        .ok_or_else(|| Invalid::NotFound(format!("need {need_org}/{need_id}")))?;
    if need.status != "open" {
        return Err(Invalid::Conflict(format!("need {need_id} is {}", need.status)).into());
    }
    if let Some(offer_id) = c.offer_id {
        let offer =
            rows::find_offer(conn, me, &offer_id.to_string())?.ok_or_else(|| Invalid::Field {
                field: "offer_id",
                message: format!("{offer_id} is not one of this organisation's offers"),
            })?;
        if offer.status != "open" {
            return Err(Invalid::Field {
                field: "offer_id",
                message: "the offer is withdrawn".into(),
            }
            .into());
        }
    }
    rows::insert_claim(conn, &claim_row(me, need_org.as_str(), &c, now_ms()))?;
    outbox::enqueue(conn, signer, Audience::Org(need_org.clone()), c)?;
    Ok(())
}

fn claim_row(claimant: &str, need_org: &str, c: &NeedClaimed, at_ms: i64) -> ClaimRow {
    ClaimRow {
        claimant_org: claimant.to_owned(),
        id: c.claim_id.to_string(),
        need_org: need_org.to_owned(),
        need_id: c.need_id.to_string(),
        offer_id: c.offer_id.map(|o| o.to_string()),
        note: c.note.as_ref().map(|n| n.to_string()),
        status: "pending".into(),
        decision_note: None,
        created_ms: at_ms,
        decided_ms: None,
    }
}

/// Another organisation claims one of our needs.
pub fn apply_claimed(
    conn: &mut AnyConnection,
    me: &OrgId,
    iss: &OrgId,
    c: &NeedClaimed,
    iat: i64,
) -> StoreResult<Result<(), Refusal>> {
    let need_id = c.need_id.to_string();
    let Some(need) = rows::find_need(conn, me.as_str(), &need_id)? else {
        return Ok(Err(Refusal::new(
            "unknown_need",
            format!("{me} has no need {need_id}"),
        )));
    };
    if need.status != "open" {
        return Ok(Err(Refusal::new(
            "need_closed",
            format!("need {need_id} is {}", need.status),
        )));
    }
    if rows::find_claim(conn, iss.as_str(), &c.claim_id.to_string())?.is_some() {
        return Ok(Err(Refusal::new(
            "duplicate_claim",
            format!("claim {} exists", c.claim_id),
        )));
    }
    rows::insert_claim(conn, &claim_row(iss.as_str(), me.as_str(), c, iat * 1000))?;
    Ok(Ok(()))
}

/// We decide a claim on one of our needs.
pub fn decide(
    conn: &mut AnyConnection,
    signer: &Signer,
    claimant: &OrgId,
    d: NeedClaimDecided,
) -> Result<(), ActionError> {
    let me = signer.org_id().as_str();
    let claim_id = d.claim_id.to_string();
    let claim = rows::find_claim(conn, claimant.as_str(), &claim_id)?
        .ok_or_else(|| Invalid::NotFound(format!("claim {claimant}/{claim_id}")))?;
    if claim.need_org != me {
        return Err(Invalid::Forbidden("only the need's owner decides its claims".into()).into());
    }
    if claim.status != "pending" {
        return Err(
            Invalid::Conflict(format!("claim {claim_id} is already {}", claim.status)).into(),
        );
    }
    let d = NeedClaimDecided {
        need_id: claim
            .need_id
            .parse()
            .map_err(|_| Invalid::NotFound("need".into()))?,
        ..d
    };
    let status = if d.accepted { "accepted" } else { "declined" };
    rows::decide_claim(
        conn,
        claimant.as_str(),
        &claim_id,
        status,
        d.note.as_ref().map(|n| n.as_str()),
        now_ms(),
    )?;
    outbox::enqueue(conn, signer, Audience::Org(claimant.clone()), d)?;
    Ok(())
}

/// The owner of a need we claimed has decided.
pub fn apply_claim_decided(
    conn: &mut AnyConnection,
    me: &OrgId,
    iss: &OrgId,
    d: &NeedClaimDecided,
    iat: i64,
) -> StoreResult<Result<(), Refusal>> {
    let claim_id = d.claim_id.to_string();
    let Some(claim) = rows::find_claim(conn, me.as_str(), &claim_id)? else {
        return Ok(Err(Refusal::new(
            "unknown_claim",
            format!("{me} made no claim {claim_id}"),
        )));
    };
    if claim.need_org != iss.as_str() {
        return Ok(Err(Refusal::new(
            "not_owner",
            format!(
                "claim {claim_id} is on a need of {}, not {iss}",
                claim.need_org
            ),
        )));
    }
    let status = if d.accepted { "accepted" } else { "declined" };
    rows::decide_claim(
        conn,
        me.as_str(),
        &claim_id,
        status,
        d.note.as_ref().map(|n| n.as_str()),
        iat * 1000,
    )?;
    Ok(Ok(()))
}

pub fn fulfil(
    conn: &mut AnyConnection,
    signer: &Signer,
    f: NeedFulfilled,
) -> Result<(), ActionError> {
    let me = signer.org_id().as_str();
    let need_id = f.need_id.to_string();
    let need = rows::find_need(conn, me, &need_id)?
        .ok_or_else(|| Invalid::NotFound(format!("need {need_id}")))?;
    if need.status == "fulfilled" {
        return Err(Invalid::Conflict(format!("need {need_id} is already fulfilled")).into());
    }
    if let Some(claim_id) = f.claim_id {
        let accepted = rows::list_claims(conn, me)?.into_iter().any(|c| {
            c.id == claim_id.to_string() && c.need_id == need_id && c.status == "accepted"
        });
        if !accepted {
            return Err(Invalid::Field {
                field: "claim_id",
                message: "not an accepted claim on this need".into(),
            }
            .into());
        }
    }
    rows::set_need_status(
        conn,
        me,
        &need_id,
        "fulfilled",
        f.summary.as_ref().map(|s| s.as_str()),
        now_ms(),
    )?;
    outbox::enqueue(conn, signer, Audience::All, f)?;
    Ok(())
}

pub fn apply_fulfilled(
    conn: &mut AnyConnection,
    iss: &OrgId,
    f: &NeedFulfilled,
    iat: i64,
) -> StoreResult<Result<(), Refusal>> {
    let need_id = f.need_id.to_string();
    if rows::find_need(conn, iss.as_str(), &need_id)?.is_none() {
        return Ok(Err(Refusal::new(
            "unknown_need",
            format!("{iss} has no need {need_id}"),
        )));
    }
    rows::set_need_status(
        conn,
        iss.as_str(),
        &need_id,
        "fulfilled",
        f.summary.as_ref().map(|s| s.as_str()),
        iat * 1000,
    )?;
    Ok(Ok(()))
}

/// 大事不出村居、难事不出镇街: a community hands a need to its street.
pub fn escalate(
    conn: &mut AnyConnection,
    signer: &Signer,
    roster: &Roster,
    e: NeedEscalated,
) -> Result<(), ActionError> {
    let me = signer.org_id().as_str();
    let need_id = e.need_id.to_string();
    let need = rows::find_need(conn, me, &need_id)?
        .ok_or_else(|| Invalid::NotFound(format!("need {need_id}")))?;
    if need.status != "open" {
        return Err(Invalid::Conflict(format!("need {need_id} is {}", need.status)).into());
    }
    check_escalation(roster, signer.org_id(), &e).map_err(|r| Invalid::Field {
        field: "to_org",
        message: r.reason,
    })?;
    rows::escalate_need(
        conn,
        me,
        &need_id,
        &enum_str(&e.to_level),
        e.to_org.as_str(),
        e.reason.as_ref().map(|r| r.as_str()),
        now_ms(),
    )?;
    outbox::enqueue(conn, signer, Audience::All, e)?;
    Ok(())
}

fn check_escalation(roster: &Roster, from: &OrgId, e: &NeedEscalated) -> Result<(), Refusal> {
    let parent = roster.org(from).and_then(|o| o.parent.clone());
    let to = roster
        .org(&e.to_org)
        .ok_or_else(|| Refusal::new("unknown_org", format!("{} is not on the roster", e.to_org)))?;
    if e.to_level != NeedLevel::Street
        || to.kind != OrgKind::Street
        || parent.as_ref() != Some(&e.to_org)
    {
        return Err(Refusal::new(
            "bad_escalation",
            format!(
                "a need of {from} escalates to its parent street, not {}",
                e.to_org
            ),
        ));
    }
    Ok(())
}

pub fn apply_escalated(
    conn: &mut AnyConnection,
    roster: &Roster,
    iss: &OrgId,
    e: &NeedEscalated,
    iat: i64,
) -> StoreResult<Result<(), Refusal>> {
    let need_id = e.need_id.to_string();
    if rows::find_need(conn, iss.as_str(), &need_id)?.is_none() {
        return Ok(Err(Refusal::new(
            "unknown_need",
            format!("{iss} has no need {need_id}"),
        )));
    }
    if let Err(r) = check_escalation(roster, iss, e) {
        return Ok(Err(r));
    }
    rows::escalate_need(
        conn,
        iss.as_str(),
        &need_id,
        &enum_str(&e.to_level),
        e.to_org.as_str(),
        e.reason.as_ref().map(|r| r.as_str()),
        iat * 1000,
    )?;
    Ok(Ok(()))
}
