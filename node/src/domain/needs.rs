//! Needs (需求清单, 微心愿) and their claims: an organisation claims another's need with one of
//! its offers, the owner accepts or declines, and announces the need fulfilled.

use serde::Deserialize;
use tongxin_schema::envelope::Audience;
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::bodies::{
    NeedClaimDecided, NeedClaimed, NeedEscalated, NeedFulfilled, NeedPublished,
};
use tongxin_schema::v1::taxonomy::{MicroWishCategory, NeedLevel, OfferCategory, Skill};
use tongxin_schema::v1::text::{Description, Note, Text, Title};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::status::{ClaimStatus, NeedStatus, OfferStatus};
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list};
use crate::store::claims::{self, ClaimRow};
use crate::store::needs::{self as rows, NeedRow};
use crate::store::{AnyConnection, StoreResult, offers, outbox};

/// A need as staff enter it; the node chooses `need_id` when it is absent.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NeedInput")] // the name API clients know from the OpenAPI document
pub struct NewNeed {
    pub need_id: Option<Uuid>,
    pub title: Title,
    #[serde(default)]
    pub description: Description,
    pub level: NeedLevel,
    pub grid: Option<Text<1, 64>>,
    pub micro_wish: Option<MicroWishCategory>,
    pub wanted: Option<OfferCategory>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// How many are wanted; 1 when absent.
    pub quantity: Option<u32>,
    /// Unix seconds.
    pub due: Option<i64>,
}

/// A claim on another organisation's need, optionally with one of our open offers.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ClaimInput")] // the name API clients know from the OpenAPI document
pub struct NewClaim {
    pub offer_id: Option<Uuid>,
    pub note: Option<Note>,
}

/// The owner's decision on a claim.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DecisionInput")] // the name API clients know from the OpenAPI document
pub struct Decision {
    pub accepted: bool,
    pub note: Option<Note>,
}

/// A need done, optionally through an accepted claim.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FulfilInput")] // the name API clients know from the OpenAPI document
pub struct Fulfilment {
    pub claim_id: Option<Uuid>,
    pub summary: Option<Note>,
}

/// A need handed to the parent street.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EscalateInput")] // the name API clients know from the OpenAPI document
pub struct Escalation {
    pub reason: Option<Note>,
}

fn row(org: &OrgId, kind: OrgKind, n: &NeedPublished, at_ms: i64) -> NeedRow {
    NeedRow {
        org_id: org.to_string(),
        id: n.need_id.to_string(),
        org_kind: kind.to_string(),
        title: n.title.to_string(),
        description: n.description.to_string(),
        level: n.level.as_str().to_owned(),
        grid: n.grid.as_ref().map(|g| g.to_string()),
        micro_wish: n.micro_wish.map(|m| m.as_str().to_owned()),
        wanted: n.wanted.map(|w| w.as_str().to_owned()),
        skills: json_list(&n.skills),
        quantity: i64::from(n.quantity),
        due: n.due,
        responsible_org: org.to_string(),
        status: NeedStatus::Open,
        status_note: None,
        published_ms: at_ms,
        updated_ms: at_ms,
    }
}

/// Writes a need; a re-publication changes its text, not its state.
fn upsert(conn: &mut AnyConnection, mut r: NeedRow) -> StoreResult<NeedRow> {
    if let Some(old) = rows::find(conn, &r.org_id, &r.id)? {
        r.published_ms = old.published_ms;
        r.status = old.status;
        r.responsible_org = old.responsible_org;
        r.status_note = old.status_note;
    }
    rows::upsert(conn, &r)?;
    Ok(r)
}

fn our_need(
    conn: &mut AnyConnection,
    actor: &Actor,
    need_id: Uuid,
) -> Result<NeedRow, ActionError> {
    let id = need_id.to_string();
    Ok(rows::find(conn, actor.org().as_str(), &id)?
        .ok_or_else(|| Invalid::NotFound(format!("need {id}")))?)
}

/// Publishes (or re-publishes) one of our needs to the alliance.
pub fn publish(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewNeed,
) -> Result<NeedRow, ActionError> {
    let need = checked(NeedPublished {
        need_id: i.need_id.unwrap_or_else(Uuid::now_v7),
        title: i.title,
        description: i.description,
        level: i.level,
        grid: i.grid,
        micro_wish: i.micro_wish,
        wanted: i.wanted,
        skills: i.skills,
        quantity: i.quantity.unwrap_or(1),
        due: i.due,
    })?;
    if let Some(old) = rows::find(conn, actor.org().as_str(), &need.need_id.to_string())?
        && old.status == NeedStatus::Fulfilled
    {
        return Err(Invalid::Conflict("a fulfilled need cannot be changed".into()).into());
    }
    let written = upsert(
        conn,
        row(actor.org(), actor.signer.kind(), &need, actor.now_ms),
    )?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, need)?;
    Ok(written)
}

fn claim_row(claimant: &str, need_org: &str, c: &NeedClaimed, at_ms: i64) -> ClaimRow {
    ClaimRow {
        claimant_org: claimant.to_owned(),
        id: c.claim_id.to_string(),
        need_org: need_org.to_owned(),
        need_id: c.need_id.to_string(),
        offer_id: c.offer_id.map(|o| o.to_string()),
        note: c.note.as_ref().map(|n| n.to_string()),
        status: ClaimStatus::Pending,
        decision_note: None,
        created_ms: at_ms,
        decided_ms: None,
    }
}

/// We claim another organisation's need, optionally with one of our open offers.
pub fn claim(
    conn: &mut AnyConnection,
    actor: &Actor,
    need_org: &OrgId,
    need_id: Uuid,
    i: NewClaim,
) -> Result<ClaimRow, ActionError> {
    let me = actor.org().as_str();
    if need_org.as_str() == me {
        return Err(Invalid::Conflict("an organisation does not claim its own need".into()).into());
    }
    let id = need_id.to_string();
    let need = rows::find(conn, need_org.as_str(), &id)?
        .ok_or_else(|| Invalid::NotFound(format!("need {need_org}/{id}")))?;
    if need.status != NeedStatus::Open {
        return Err(Invalid::Conflict(format!("need {id} is {}", need.status)).into());
    }
    if let Some(c) = claims::standing(conn, me, need_org.as_str(), &id)? {
        return Err(Invalid::Conflict(format!(
            "this organisation already claimed need {id} (claim {}, {})",
            c.id, c.status
        ))
        .into());
    }
    if let Some(offer_id) = i.offer_id {
        let offer = offers::find(conn, me, &offer_id.to_string())?.ok_or_else(|| {
            Invalid::field(
                "offer_id",
                format!("{offer_id} is not one of this organisation's offers"),
            )
        })?;
        if offer.status != OfferStatus::Open {
            return Err(Invalid::field("offer_id", "the offer is withdrawn").into());
        }
    }
    let body = NeedClaimed {
        claim_id: Uuid::now_v7(),
        need_id,
        offer_id: i.offer_id,
        note: i.note,
    };
    let written = claim_row(me, need_org.as_str(), &body, actor.now_ms);
    claims::insert(conn, &written)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(need_org.clone()),
        body,
    )?;
    Ok(written)
}

/// Another organisation claims one of our needs.
impl Receive for NeedClaimed {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let need_id = self.need_id.to_string();
        let Some(need) = rows::find(conn, from.me.as_str(), &need_id)? else {
            return Ok(
                Refusal::new("unknown_need", format!("{} has no need {need_id}", from.me)).into(),
            );
        };
        if need.status != NeedStatus::Open {
            return Ok(
                Refusal::new("need_closed", format!("need {need_id} is {}", need.status)).into(),
            );
        }
        if claims::find(conn, from.org.as_str(), &self.claim_id.to_string())?.is_some() {
            return Ok(
                Refusal::new("duplicate_claim", format!("claim {} exists", self.claim_id)).into(),
            );
        }
        if let Some(c) = claims::standing(conn, from.org.as_str(), from.me.as_str(), &need_id)? {
            return Ok(Refusal::new(
                "duplicate_claim",
                format!(
                    "{} already claimed need {need_id} (claim {})",
                    from.org, c.id
                ),
            )
            .into());
        }
        // §6.2: the offer, if named, is the sender's. One this node holds under another
        // organisation is not; one it has not heard of yet may still be on its way.
        if let Some(offer_id) = self.offer_id {
            let owners = offers::owners_of(conn, &offer_id.to_string())?;
            if !owners.is_empty() && !owners.iter().any(|o| o == from.org.as_str()) {
                return Ok(Refusal::new(
                    "not_owner",
                    format!("offer {offer_id} is not an offer of {}", from.org),
                )
                .into());
            }
        }
        claims::insert(
            conn,
            &claim_row(from.org.as_str(), from.me.as_str(), self, from.at_ms),
        )?;
        Ok(Outcome::Applied)
    }
}

/// We decide a claim on one of our needs.
pub fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    claimant: &OrgId,
    claim_id: Uuid,
    d: Decision,
) -> Result<ClaimRow, ActionError> {
    let me = actor.org().as_str();
    let id = claim_id.to_string();
    let mut claim = claims::find(conn, claimant.as_str(), &id)?
        .ok_or_else(|| Invalid::NotFound(format!("claim {claimant}/{id}")))?;
    if claim.need_org != me {
        return Err(Invalid::Forbidden("only the need's owner decides its claims".into()).into());
    }
    if claim.status != ClaimStatus::Pending {
        return Err(Invalid::Conflict(format!("claim {id} is already {}", claim.status)).into());
    }
    let need_id = claim
        .need_id
        .parse()
        .map_err(|_| Invalid::NotFound("need".into()))?;
    let status = ClaimStatus::decided(d.accepted);
    let note = d.note.as_ref().map(|n| n.to_string());
    claims::decide(
        conn,
        claimant.as_str(),
        &id,
        status,
        note.as_deref(),
        actor.now_ms,
    )?;
    let body = NeedClaimDecided {
        claim_id,
        need_id,
        accepted: d.accepted,
        note: d.note,
    };
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(claimant.clone()),
        body,
    )?;
    claim.status = status;
    claim.decision_note = note;
    claim.decided_ms = Some(actor.now_ms);
    Ok(claim)
}

/// The owner of a need we claimed has decided.
impl Receive for NeedClaimDecided {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let claim_id = self.claim_id.to_string();
        let Some(claim) = claims::find(conn, from.me.as_str(), &claim_id)? else {
            return Ok(Refusal::new(
                "unknown_claim",
                format!("{} made no claim {claim_id}", from.me),
            )
            .into());
        };
        if claim.need_org != from.org.as_str() {
            return Ok(Refusal::new(
                "not_owner",
                format!(
                    "claim {claim_id} is on a need of {}, not {}",
                    claim.need_org, from.org
                ),
            )
            .into());
        }
        claims::decide(
            conn,
            from.me.as_str(),
            &claim_id,
            ClaimStatus::decided(self.accepted),
            self.note.as_ref().map(|n| n.as_str()),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}

/// We announce one of our needs fulfilled.
pub fn fulfil(
    conn: &mut AnyConnection,
    actor: &Actor,
    need_id: Uuid,
    f: Fulfilment,
) -> Result<NeedRow, ActionError> {
    let me = actor.org().as_str();
    let mut need = our_need(conn, actor, need_id)?;
    if need.status == NeedStatus::Fulfilled {
        return Err(Invalid::Conflict(format!("need {need_id} is already fulfilled")).into());
    }
    if let Some(claim_id) = f.claim_id {
        let accepted = claims::list(conn, me)?.into_iter().any(|c| {
            c.id == claim_id.to_string()
                && c.need_id == need.id
                && c.status == ClaimStatus::Accepted
        });
        if !accepted {
            return Err(Invalid::field("claim_id", "not an accepted claim on this need").into());
        }
    }
    let summary = f.summary.as_ref().map(|s| s.to_string());
    rows::set_status(
        conn,
        me,
        &need.id,
        NeedStatus::Fulfilled,
        summary.as_deref(),
        actor.now_ms,
    )?;
    let body = NeedFulfilled {
        need_id,
        claim_id: f.claim_id,
        summary: f.summary,
    };
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
    need.status = NeedStatus::Fulfilled;
    need.status_note = summary;
    need.updated_ms = actor.now_ms;
    Ok(need)
}

impl Receive for NeedPublished {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        upsert(conn, row(from.org, from.kind, self, from.at_ms))?;
        Ok(Outcome::Applied)
    }
}

impl Receive for NeedFulfilled {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let need_id = self.need_id.to_string();
        if rows::find(conn, from.org.as_str(), &need_id)?.is_none() {
            return Ok(Refusal::new(
                "unknown_need",
                format!("{} has no need {need_id}", from.org),
            )
            .into());
        }
        rows::set_status(
            conn,
            from.org.as_str(),
            &need_id,
            NeedStatus::Fulfilled,
            self.summary.as_ref().map(|s| s.as_str()),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}

/// 大事不出村居、难事不出镇街: a community hands one of its needs to its parent street.
pub fn escalate(
    conn: &mut AnyConnection,
    actor: &Actor,
    need_id: Uuid,
    e: Escalation,
) -> Result<NeedRow, ActionError> {
    let me = actor.org().as_str();
    let parent = actor
        .roster
        .org(actor.org())
        .and_then(|o| o.parent.clone())
        .ok_or_else(|| {
            Invalid::field(
                "to_org",
                "this organisation has no parent street on the roster",
            )
        })?;
    let mut need = our_need(conn, actor, need_id)?;
    if need.status != NeedStatus::Open {
        return Err(Invalid::Conflict(format!("need {need_id} is {}", need.status)).into());
    }
    // §6.2: an escalation goes up; once at the street, a need has been handed over already.
    if need
        .level
        .parse::<NeedLevel>()
        .is_ok_and(|l| l >= NeedLevel::Street)
    {
        return Err(Invalid::Conflict(format!(
            "need {need_id} is already at the street level ({})",
            need.responsible_org
        ))
        .into());
    }
    let body = NeedEscalated {
        need_id,
        to_level: NeedLevel::Street,
        to_org: parent,
        reason: e.reason,
    };
    check_escalation(actor.roster, actor.org(), &body)
        .map_err(|r| Invalid::field("to_org", r.reason))?;
    let reason = body.reason.as_ref().map(|r| r.to_string());
    rows::escalate(
        conn,
        me,
        &need.id,
        body.to_level.as_str(),
        body.to_org.as_str(),
        reason.as_deref(),
        actor.now_ms,
    )?;
    need.level = body.to_level.as_str().to_owned();
    need.responsible_org = body.to_org.to_string();
    need.status_note = reason;
    need.updated_ms = actor.now_ms;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
    Ok(need)
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

impl Receive for NeedEscalated {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let need_id = self.need_id.to_string();
        let Some(need) = rows::find(conn, from.org.as_str(), &need_id)? else {
            return Ok(Refusal::new(
                "unknown_need",
                format!("{} has no need {need_id}", from.org),
            )
            .into());
        };
        // §6.2: `to_level` is above the need's current level.
        if need
            .level
            .parse::<NeedLevel>()
            .is_ok_and(|l| l >= self.to_level)
        {
            return Ok(Refusal::new(
                "bad_escalation",
                format!("need {need_id} is already at the {} level", need.level),
            )
            .into());
        }
        if let Err(r) = check_escalation(from.roster, from.org, self) {
            return Ok(r.into());
        }
        rows::escalate(
            conn,
            from.org.as_str(),
            &need_id,
            self.to_level.as_str(),
            self.to_org.as_str(),
            self.reason.as_ref().map(|r| r.as_str()),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}
