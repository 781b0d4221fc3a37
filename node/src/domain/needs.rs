//! Needs (需求清单, 微心愿) and their claims: an organisation claims another's need, with one of
//! its offers or for one of its members who takes a micro-wish on (我帮办); the owner accepts or
//! declines, the claimant reports the work done, and the owner confirms it (the need fulfilled)
//! or reopens it.

use serde::Deserialize;
use tongxin_schema::envelope::Audience;
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::bodies::{
    Contact, NeedClaimDecided, NeedClaimed, NeedDone, NeedEscalated, NeedFulfilled, NeedPublished,
    NeedReopened,
};
use tongxin_schema::v1::taxonomy::{MicroWishCategory, NeedLevel, OfferCategory, Skill};
use tongxin_schema::v1::text::{Description, Note, Text, Title};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::status::{ClaimStatus, NeedStatus, OfferStatus};
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list};
use crate::store::claims::{self, ClaimRow};
use crate::store::needs::{self as rows, NeedRow, Raised};
use crate::store::{AnyConnection, StoreResult, offers, outbox, pairings};

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
    /// The deadline at this level, Unix seconds; the level's default (`[needs]`) when absent.
    pub due: Option<i64>,
    /// A reference in another system, e.g. a 12345 hotline ticket number (no caller data).
    pub external_ref: Option<Text<1, 64>>,
}

/// A claim on another organisation's need, optionally with one of our open offers.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ClaimInput")] // the name API clients know from the OpenAPI document
pub struct NewClaim {
    pub offer_id: Option<Uuid>,
    pub note: Option<Note>,
}

/// A member takes a micro-wish on themselves, through their home.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MemberClaimInput")]
pub struct MemberClaim {
    pub note: Option<Note>,
    /// Tell the wish's community how the member is addressed (称呼, default yes); never
    /// their full name.
    #[serde(default = "super::yes")]
    pub share_name: bool,
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

/// What the claimant did, reported to the need's owner.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DoneInput")] // the name API clients know from the OpenAPI document
pub struct Done {
    pub summary: Option<Note>,
}

/// Why the owner reopens a need a claimant reported done.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReopenInput")] // the name API clients know from the OpenAPI document
pub struct Reopening {
    pub reason: Text<1, 500>,
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
        household_id: None,
        external_ref: n.external_ref.as_ref().map(|r| r.to_string()),
        addressee: None,
    }
}

/// The body that publishes `n` again, as it stands.
fn body_of(n: &NeedRow) -> Result<NeedPublished, ActionError> {
    let parse = |what: &str, v: &str| -> Result<serde_json::Value, ActionError> {
        Ok(serde_json::from_str(v).map_err(|e| Invalid::field(what, e.to_string()))?)
    };
    let body = serde_json::json!({
        "need_id": n.id, "title": n.title, "description": n.description, "level": n.level,
        "grid": n.grid, "micro_wish": n.micro_wish, "wanted": n.wanted,
        "skills": parse("skills", &n.skills)?, "quantity": n.quantity, "due": n.due,
        "external_ref": n.external_ref,
    });
    Ok(serde_json::from_value(body)
        .map_err(|e| Invalid::Conflict(format!("need {}: {e}", n.id)))?)
}

/// Writes a need; a re-publication changes its text and level, not its state, and keeps what
/// only the owner knows.
fn upsert(conn: &mut AnyConnection, mut r: NeedRow) -> StoreResult<NeedRow> {
    let old = rows::find(conn, &r.org_id, &r.id)?;
    let event = match &old {
        None => "published",
        Some(o) if o.level != r.level => "raised",
        Some(_) => "edited",
    };
    happened(
        conn,
        &r.org_id,
        &r.id,
        r.updated_ms,
        event,
        &r.org_id,
        None,
        None,
    )?;
    if let Some(old) = old {
        r.published_ms = old.published_ms;
        r.status = old.status;
        r.responsible_org = old.responsible_org;
        r.status_note = old.status_note;
        r.household_id = r.household_id.or(old.household_id);
        r.addressee = r.addressee.or(old.addressee);
    }
    rows::upsert(conn, &r)?;
    Ok(r)
}

/// Records a step of a need's history (its page shows them): what happened, done by whom, on
/// which claim (claimant, claim id), with what note.
#[allow(clippy::too_many_arguments)]
fn happened(
    conn: &mut AnyConnection,
    need_org: &str,
    need_id: &str,
    at_ms: i64,
    event: &str,
    by_org: &str,
    claim: Option<(&str, &str)>,
    note: Option<&str>,
) -> StoreResult<()> {
    rows::record(
        conn,
        rows::Event {
            need_org,
            need_id,
            at_ms,
            event,
            by_org,
            claim,
            note,
        },
    )
}

/// One of our needs. A need this node holds under another organisation is not ours to act on,
/// and the answer says whose it is and what we can do instead.
fn our_need(
    conn: &mut AnyConnection,
    actor: &Actor,
    need_id: Uuid,
) -> Result<NeedRow, ActionError> {
    let id = need_id.to_string();
    if let Some(n) = rows::find(conn, actor.org().as_str(), &id)? {
        return Ok(n);
    }
    let Some(theirs) = rows::with_id(conn, &id)?.into_iter().next() else {
        return Err(Invalid::NotFound(format!("need {id}")).into());
    };
    let hint = if theirs.responsible_org == actor.org().as_str() {
        "it was escalated to this organisation: take it over (claim it; the owner's node \
         accepts at once), report it done, and the owner confirms it"
    } else {
        "claim it, and the owner decides"
    };
    Err(Invalid::Forbidden(format!(
        "need {id} is a need of {}: only its owner changes it; {hint}",
        theirs.org_id
    ))
    .into())
}

/// Publishes (or re-publishes) one of our needs to the alliance.
pub fn publish(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewNeed,
) -> Result<NeedRow, ActionError> {
    publish_for(conn, actor, i, None)
}

/// Publishes a need; a micro-wish recorded from the care ledger names its household and how
/// to address the person, which stay here until a claim is accepted.
pub(crate) fn publish_for(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewNeed,
    beneficiary: Option<(String, String)>,
) -> Result<NeedRow, ActionError> {
    let now_s = actor.now_ms / 1000;
    if let Some(due) = i.due
        && !(now_s < due && due <= now_s + crate::config::MAX_DEADLINE_SECS)
    {
        return Err(Invalid::field("due", "must lie ahead, within a year").into());
    }
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
        due: Some(i.due.unwrap_or(now_s + actor.deadlines.secs(i.level))),
        external_ref: i.external_ref,
    })?;
    if let Some(old) = rows::find(conn, actor.org().as_str(), &need.need_id.to_string())? {
        if old.status == NeedStatus::Fulfilled {
            return Err(Invalid::Conflict("a fulfilled need cannot be changed".into()).into());
        }
        if old.responsible_org != old.org_id {
            return Err(Invalid::Conflict(format!(
                "need {} was escalated to {}: it is theirs to handle now, and no longer changed",
                old.id, old.responsible_org
            ))
            .into());
        }
    }
    let mut r = row(actor.org(), actor.signer.kind(), &need, actor.now_ms);
    if let Some((household, addressee)) = beneficiary {
        r.household_id = Some(household);
        r.addressee = Some(addressee);
    }
    let written = upsert(conn, r)?;
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
        done_ms: None,
        done_summary: None,
        contact_addressee: None,
        contact_address: None,
        contact_phone: None,
        member_id: None,
        mref: c.member.as_ref().map(|m| m.to_string()),
        member_name: c.display_name.as_ref().map(|d| d.to_string()),
    }
}

/// The open need `need_org`/`need_id` another organisation than ours published, on which we
/// have no claim standing. `for_member`: a member asks, who is not told which colleague holds
/// the standing claim (their 称呼 was shared with the owner, not with them).
fn claimable(
    conn: &mut AnyConnection,
    actor: &Actor,
    need_org: &OrgId,
    need_id: Uuid,
    for_member: bool,
) -> Result<NeedRow, ActionError> {
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
        if for_member {
            return Err(Invalid::Conflict(
                "your organisation already has a claim on this need".into(),
            )
            .into());
        }
        let by = match &c.member_name {
            Some(n) => format!("by our member {n}, "),
            None if c.mref.is_some() => "by one of our members, ".to_owned(),
            None => String::new(),
        };
        return Err(Invalid::Conflict(format!(
            "this organisation already claimed need {id} ({by}claim {}, {})",
            c.id, c.status
        ))
        .into());
    }
    Ok(need)
}

/// A claim in its need's history.
fn claimed(conn: &mut AnyConnection, c: &ClaimRow) -> StoreResult<()> {
    let claim = Some((c.claimant_org.as_str(), c.id.as_str()));
    let note = c.note.as_deref();
    let (org, id) = (&c.need_org, &c.need_id);
    happened(
        conn,
        org,
        id,
        c.created_ms,
        "claimed",
        &c.claimant_org,
        claim,
        note,
    )
}

/// Sends a claim and keeps it, with the member it is for at our end.
fn send_claim(
    conn: &mut AnyConnection,
    actor: &Actor,
    need_org: &OrgId,
    body: NeedClaimed,
    member_id: Option<String>,
) -> Result<ClaimRow, ActionError> {
    let body = checked(body)?;
    let mut written = claim_row(actor.org().as_str(), need_org.as_str(), &body, actor.now_ms);
    written.member_id = member_id;
    claims::insert(conn, &written)?;
    claimed(conn, &written)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(need_org.clone()),
        body,
    )?;
    Ok(written)
}

/// A member of ours takes another organisation's micro-wish on themselves (微心愿·我帮办): we
/// claim it for them, with their pairwise reference and, if they share it, how they are
/// addressed. Other needs are claimed by organisations.
pub fn claim_for_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    need_org: &OrgId,
    need_id: Uuid,
    i: MemberClaim,
) -> Result<ClaimRow, ActionError> {
    let m = super::members::find(conn, member_id)?;
    let need = claimable(conn, actor, need_org, need_id, true)?;
    if need.micro_wish.is_none() {
        return Err(Invalid::Conflict(format!(
            "「{}」 is not a micro-wish: your organisation's staff claim other needs",
            need.title
        ))
        .into());
    }
    let mref = super::members::mref(conn, actor.org(), need_org, member_id)?;
    let body = NeedClaimed {
        claim_id: Uuid::now_v7(),
        need_id,
        offer_id: None,
        note: i.note,
        member: Some(mref),
        display_name: super::members::shared_name(&m, i.share_name),
    };
    send_claim(conn, actor, need_org, body, Some(m.id))
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
    claimable(conn, actor, need_org, need_id, false)?;
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
        member: None,
        display_name: None,
    };
    send_claim(conn, actor, need_org, body, None)
}

/// Another organisation claims one of our needs, for itself or for one of its members.
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
        // §6.2: only a member's own home claims for them (`not_home`).
        if let Some(m) = &self.member
            && let Err(r) = super::home_is(m, from.org)
        {
            return Ok(r.into());
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
        let written = claim_row(from.org.as_str(), from.me.as_str(), self, from.at_ms);
        claims::insert(conn, &written)?;
        claimed(conn, &written)?;
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
    let need = our_need(conn, actor, need_id)?;
    if need.status != NeedStatus::Open {
        return Err(Invalid::Conflict(format!("need {need_id} is {}", need.status)).into());
    }
    // A person's address goes to one claimant at a time.
    if d.accepted
        && need.household_id.is_some()
        && let Some(other) = claims::under_way(conn, me, &need.id)?.into_iter().next()
    {
        return Err(Invalid::Conflict(format!(
            "claim {} of {} is already under way on this wish: reopen it first",
            other.id, other.claimant_org
        ))
        .into());
    }
    let contact = if d.accepted {
        contact_for(conn, &need)?
    } else {
        None
    };
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
    let claim_ref = Some((claimant.as_str(), id.as_str()));
    let event = if d.accepted { "accepted" } else { "declined" };
    happened(
        conn,
        me,
        &need.id,
        actor.now_ms,
        event,
        me,
        claim_ref,
        note.as_deref(),
    )?;
    let body = NeedClaimDecided {
        claim_id,
        need_id,
        accepted: d.accepted,
        note: d.note,
        contact,
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

/// How an accepted claimant reaches the person a micro-wish is for: from the care ledger,
/// never the full name.
fn contact_for(conn: &mut AnyConnection, need: &NeedRow) -> Result<Option<Contact>, ActionError> {
    let Some(h) = need.household_id.as_deref() else {
        return Ok(None);
    };
    let Some(h) = pairings::find_household(conn, h)? else {
        return Ok(None);
    };
    fn text<const A: usize, const B: usize>(field: &str, v: &str) -> Result<Text<A, B>, Invalid> {
        Text::new(v).map_err(|e| Invalid::field(field, e.to_string()))
    }
    let addressee = need.addressee.as_deref().unwrap_or(&h.label);
    let phone = h.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    Ok(Some(Contact {
        addressee: text("addressee", addressee)?,
        address: text("address", &h.address)?,
        phone: phone.map(|p| text("phone", p)).transpose()?,
    }))
}

/// The claim `claim_id` we made on the sender's need `need_id`, which a message from the
/// need's owner answers: refused `unknown_claim` if we made none, `not_owner` if it is on
/// another need or another organisation's.
fn claim_of_ours(
    conn: &mut AnyConnection,
    from: &Sender<'_>,
    claim_id: &str,
    need_id: Uuid,
) -> StoreResult<Result<ClaimRow, Refusal>> {
    let Some(claim) = claims::find(conn, from.me.as_str(), claim_id)? else {
        return Ok(Err(Refusal::new(
            "unknown_claim",
            format!("{} made no claim {claim_id}", from.me),
        )));
    };
    if claim.need_org != from.org.as_str() || claim.need_id != need_id.to_string() {
        return Ok(Err(Refusal::new(
            "not_owner",
            format!("claim {claim_id} is not on need {need_id} of {}", from.org),
        )));
    }
    Ok(Ok(claim))
}

/// The owner of a need we claimed has decided.
impl Receive for NeedClaimDecided {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let claim_id = self.claim_id.to_string();
        let claim = match claim_of_ours(conn, from, &claim_id, self.need_id)? {
            Ok(c) => c,
            Err(r) => return Ok(r.into()),
        };
        if claim.status != ClaimStatus::Pending {
            return Ok(Refusal::new(
                "already_decided",
                format!("claim {claim_id} is already {}", claim.status),
            )
            .into());
        }
        let note = self.note.as_ref().map(|n| n.as_str());
        claims::decide(
            conn,
            from.me.as_str(),
            &claim_id,
            ClaimStatus::decided(self.accepted),
            note,
            from.at_ms,
        )?;
        let event = if self.accepted {
            "accepted"
        } else {
            "declined"
        };
        let (org, claim_ref) = (
            from.org.as_str(),
            Some((from.me.as_str(), claim_id.as_str())),
        );
        happened(
            conn,
            org,
            &claim.need_id,
            from.at_ms,
            event,
            org,
            claim_ref,
            note,
        )?;
        if let Some(c) = &self.contact {
            let phone = c.phone.as_ref().map(|p| p.as_str());
            let contact = (c.addressee.as_str(), c.address.as_str(), phone);
            claims::set_contact(conn, from.me.as_str(), &claim_id, Some(contact))?;
        }
        Ok(Outcome::Applied)
    }
}

/// The organisation a need was escalated to claims it: it takes the need over, and the owner's
/// node accepts at once (the owner escalated it, often because its deadline passed unanswered).
/// Called after a `need.claimed` was applied; says whether it answered.
pub fn accept_if_responsible(
    conn: &mut AnyConnection,
    actor: &Actor,
    claimant: &OrgId,
    c: &NeedClaimed,
) -> Result<bool, ActionError> {
    let Some(need) = rows::find(conn, actor.org().as_str(), &c.need_id.to_string())? else {
        return Ok(false);
    };
    // A member's claim is the community's to decide: the address goes to a person it chose.
    if c.member.is_some()
        || need.responsible_org != claimant.as_str()
        || need.responsible_org == need.org_id
        || need.status != NeedStatus::Open
        || !claims::under_way(conn, actor.org().as_str(), &need.id)?.is_empty()
    {
        return Ok(false);
    }
    let note = Text::new("已上报贵单位，由贵单位接办").ok();
    decide(
        conn,
        actor,
        claimant,
        c.claim_id,
        Decision {
            accepted: true,
            note,
        },
    )?;
    Ok(true)
}

/// We report the work of our accepted claim done; the owner confirms or reopens it.
pub fn report_done(
    conn: &mut AnyConnection,
    actor: &Actor,
    claim_id: Uuid,
    d: Done,
) -> Result<ClaimRow, ActionError> {
    let me = actor.org().as_str();
    let id = claim_id.to_string();
    let mut claim = claims::find(conn, me, &id)?
        .ok_or_else(|| Invalid::NotFound(format!("claim {id} of this organisation")))?;
    if claim.status != ClaimStatus::Accepted {
        return Err(Invalid::Conflict(format!(
            "claim {id} is {}: only an accepted claim is reported done",
            claim.status
        ))
        .into());
    }
    let need_org: OrgId = claim
        .need_org
        .parse()
        .map_err(|_| Invalid::NotFound("the need's owner".into()))?;
    let need_id = claim
        .need_id
        .parse()
        .map_err(|_| Invalid::NotFound("need".into()))?;
    let summary = d.summary.as_ref().map(|s| s.to_string());
    claims::set_done(conn, me, &id, summary.as_deref(), actor.now_ms)?;
    let (org, need) = (claim.need_org.as_str(), claim.need_id.as_str());
    let note = summary.as_deref();
    happened(
        conn,
        org,
        need,
        actor.now_ms,
        "done",
        me,
        Some((me, &id)),
        note,
    )?;
    let body = NeedDone {
        claim_id,
        need_id,
        summary: d.summary,
    };
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(need_org),
        body,
    )?;
    claim.status = ClaimStatus::Done;
    claim.done_summary = summary;
    claim.done_ms = Some(actor.now_ms);
    Ok(claim)
}

/// A member reports the work on a micro-wish they took on through us done.
pub fn report_done_by_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    claim_id: Uuid,
    d: Done,
) -> Result<ClaimRow, ActionError> {
    let id = claim_id.to_string();
    let theirs = claims::find(conn, actor.org().as_str(), &id)?
        .is_some_and(|c| c.member_id.as_deref() == Some(member_id.to_string().as_str()));
    if !theirs {
        return Err(Invalid::NotFound(format!("claim {id} of yours")).into());
    }
    report_done(conn, actor, claim_id, d)
}

/// A claimant reports its work on one of our needs done.
impl Receive for NeedDone {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let claim_id = self.claim_id.to_string();
        let Some(claim) = claims::find(conn, from.org.as_str(), &claim_id)?
            .filter(|c| c.need_org == from.me.as_str() && c.need_id == self.need_id.to_string())
        else {
            return Ok(Refusal::new(
                "unknown_claim",
                format!(
                    "{} made no claim {claim_id} on need {} of {}",
                    from.org, self.need_id, from.me
                ),
            )
            .into());
        };
        if claim.status != ClaimStatus::Accepted {
            return Ok(Refusal::new(
                "not_accepted",
                format!("claim {claim_id} is {}", claim.status),
            )
            .into());
        }
        if let Some(n) = rows::find(conn, from.me.as_str(), &claim.need_id)?
            && n.status != NeedStatus::Open
        {
            return Ok(
                Refusal::new("need_closed", format!("need {} is {}", n.id, n.status)).into(),
            );
        }
        let note = self.summary.as_ref().map(|s| s.as_str());
        claims::set_done(conn, from.org.as_str(), &claim_id, note, from.at_ms)?;
        let (me, org) = (from.me.as_str(), from.org.as_str());
        let claim_ref = Some((org, claim_id.as_str()));
        happened(
            conn,
            me,
            &claim.need_id,
            from.at_ms,
            "done",
            org,
            claim_ref,
            note,
        )?;
        Ok(Outcome::Applied)
    }
}

/// The work on one of our needs was not done after all (the person it was for says so): the
/// claim ends, the claimant is told, and the need is open again.
pub fn reopen(
    conn: &mut AnyConnection,
    actor: &Actor,
    claimant: &OrgId,
    claim_id: Uuid,
    r: Reopening,
) -> Result<ClaimRow, ActionError> {
    let id = claim_id.to_string();
    let mut claim = claims::find(conn, claimant.as_str(), &id)?
        .ok_or_else(|| Invalid::NotFound(format!("claim {claimant}/{id}")))?;
    if claim.need_org != actor.org().as_str() {
        return Err(Invalid::Forbidden("only the need's owner reopens it".into()).into());
    }
    if !matches!(claim.status, ClaimStatus::Accepted | ClaimStatus::Done) {
        return Err(Invalid::Conflict(format!(
            "claim {id} is {}: only work under way or reported done is reopened",
            claim.status
        ))
        .into());
    }
    let need_id: Uuid = claim
        .need_id
        .parse()
        .map_err(|_| Invalid::NotFound("need".into()))?;
    let need = our_need(conn, actor, need_id)?;
    if need.status != NeedStatus::Open {
        return Err(Invalid::Conflict(format!("need {need_id} is {}", need.status)).into());
    }
    claims::set_status(conn, claimant.as_str(), &id, ClaimStatus::Reopened)?;
    let me = actor.org().as_str();
    let claim_ref = Some((claimant.as_str(), id.as_str()));
    let note = Some(r.reason.as_str());
    happened(
        conn,
        me,
        &need.id,
        actor.now_ms,
        "reopened",
        me,
        claim_ref,
        note,
    )?;
    let reason =
        Text::new(r.reason.as_str()).map_err(|e| Invalid::field("reason", e.to_string()))?;
    let body = NeedReopened {
        claim_id,
        need_id,
        reason: Some(reason),
    };
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(claimant.clone()),
        body,
    )?;
    claim.status = ClaimStatus::Reopened;
    Ok(claim)
}

/// The owner of a need we claimed reopened it: our claim ends, and we forget the contact.
impl Receive for NeedReopened {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let claim_id = self.claim_id.to_string();
        let claim = match claim_of_ours(conn, from, &claim_id, self.need_id)? {
            Ok(c) => c,
            Err(r) => return Ok(r.into()),
        };
        if !matches!(claim.status, ClaimStatus::Accepted | ClaimStatus::Done) {
            return Ok(Refusal::new(
                "not_accepted",
                format!("claim {claim_id} is {}", claim.status),
            )
            .into());
        }
        claims::set_status(conn, from.me.as_str(), &claim_id, ClaimStatus::Reopened)?;
        claims::set_contact(conn, from.me.as_str(), &claim_id, None)?;
        let (org, claim_ref) = (
            from.org.as_str(),
            Some((from.me.as_str(), claim_id.as_str())),
        );
        let note = self.reason.as_ref().map(|r| r.as_str());
        happened(
            conn,
            org,
            &claim.need_id,
            from.at_ms,
            "reopened",
            org,
            claim_ref,
            note,
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
    // Who did the work: the claim it was fulfilled through.
    let mut through = None;
    if let Some(claim_id) = f.claim_id {
        let under_way = claims::under_way(conn, me, &need.id)?;
        let Some(c) = under_way.iter().find(|c| c.id == claim_id.to_string()) else {
            return Err(Invalid::field(
                "claim_id",
                "not an accepted claim on this need, nor one reported done",
            )
            .into());
        };
        through = Some((c.claimant_org.clone(), c.id.clone()));
    }
    // 确认办结: every claim on the need ends (PROTOCOL.md `need.fulfilled`).
    claims::end_all(conn, me, &need.id, None)?;
    let summary = f.summary.as_ref().map(|s| s.to_string());
    rows::set_status(
        conn,
        me,
        &need.id,
        NeedStatus::Fulfilled,
        summary.as_deref(),
        actor.now_ms,
    )?;
    let claim_ref = through.as_ref().map(|(o, c)| (o.as_str(), c.as_str()));
    let note = summary.as_deref();
    happened(
        conn,
        me,
        &need.id,
        actor.now_ms,
        "fulfilled",
        me,
        claim_ref,
        note,
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
        let note = self.summary.as_ref().map(|s| s.as_str());
        let org = from.org.as_str();
        rows::set_status(conn, org, &need_id, NeedStatus::Fulfilled, note, from.at_ms)?;
        // Through our claim, if it was ours.
        let ours = match self.claim_id {
            Some(c) => claims::find(conn, from.me.as_str(), &c.to_string())?
                .filter(|c| c.need_org == org && c.need_id == need_id),
            None => None,
        };
        let claim_ref = ours
            .as_ref()
            .map(|c| (c.claimant_org.as_str(), c.id.as_str()));
        happened(
            conn,
            org,
            &need_id,
            from.at_ms,
            "fulfilled",
            org,
            claim_ref,
            note,
        )?;
        // Our claims on it end too; the contact is no longer needed.
        claims::end_all(conn, from.org.as_str(), &need_id, Some(from.me.as_str()))?;
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
    if actor.signer.kind() == OrgKind::Street {
        return Err(Invalid::Conflict(
            "难事不出镇街: the street is the top of the need tree, a need escalated to it is \
             handled there (an external reference such as a 12345 ticket can be recorded on it)"
                .into(),
        )
        .into());
    }
    let need = our_need(conn, actor, need_id)?;
    if need.status != NeedStatus::Open {
        return Err(Invalid::Conflict(format!("need {need_id} is {}", need.status)).into());
    }
    if let Some(c) = claims::under_way(conn, actor.org().as_str(), &need.id)?.first() {
        return Err(Invalid::Conflict(format!(
            "claim {} of {} is under way on need {need_id}: confirm or reopen it first",
            c.id, c.claimant_org
        ))
        .into());
    }
    to_street(conn, actor, need, e.reason)
}

/// Hands `need` to our parent street, with the street's deadline from now.
fn to_street(
    conn: &mut AnyConnection,
    actor: &Actor,
    mut need: NeedRow,
    reason: Option<Note>,
) -> Result<NeedRow, ActionError> {
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
    // §6.2: an escalation goes up; once at the street, a need has been handed over already.
    if need
        .level
        .parse::<NeedLevel>()
        .is_ok_and(|l| l >= NeedLevel::Street)
    {
        return Err(Invalid::Conflict(format!(
            "need {} is already at the street level ({})",
            need.id, need.responsible_org
        ))
        .into());
    }
    let need_id = need
        .id
        .parse()
        .map_err(|_| Invalid::NotFound("need".into()))?;
    let due = actor.now_ms / 1000 + actor.deadlines.secs(NeedLevel::Street);
    let body = NeedEscalated {
        need_id,
        to_level: NeedLevel::Street,
        to_org: parent,
        reason,
        due: Some(due),
    };
    check_escalation(actor.roster, actor.org(), &body)
        .map_err(|r| Invalid::field("to_org", r.reason))?;
    let reason = body.reason.as_ref().map(|r| r.to_string());
    rows::escalate(
        conn,
        actor.org().as_str(),
        &need.id,
        Raised {
            level: body.to_level.as_str(),
            to_org: body.to_org.as_str(),
            note: reason.as_deref(),
            due: body.due,
        },
        actor.now_ms,
    )?;
    crate::store::participation::record_escalation(conn, &need.id, actor.now_ms)?;
    let me = actor.org().as_str();
    happened(
        conn,
        me,
        &need.id,
        actor.now_ms,
        "escalated",
        me,
        None,
        reason.as_deref(),
    )?;
    need.level = body.to_level.as_str().to_owned();
    need.responsible_org = body.to_org.to_string();
    need.status_note = reason;
    need.due = body.due;
    need.updated_ms = actor.now_ms;
    let street = body.to_org.clone();
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
    // A claim the street made before is now its taking over (not one for a street's member:
    // that one is the community's to decide).
    if let Some(c) = claims::standing(conn, street.as_str(), actor.org().as_str(), &need.id)?
        && c.status == ClaimStatus::Pending
        && c.mref.is_none()
        && let Ok(claim_id) = c.id.parse()
    {
        let note = Text::new("已上报贵单位，由贵单位接办").ok();
        decide(
            conn,
            actor,
            &street,
            claim_id,
            Decision {
                accepted: true,
                note,
            },
        )?;
    }
    Ok(need)
}

/// 小事不出网格、大事不出村居、难事不出镇街, by the clock: each of our open needs whose deadline
/// passed with no claim under way goes up one level: grid → community (published again at the
/// community level), community → our parent street (`need.escalated`), each with the next
/// level's deadline. Returns how many went up. A need with no parent street to go to stays.
pub fn escalate_overdue(conn: &mut AnyConnection, actor: &Actor) -> Result<usize, ActionError> {
    let mut raised = 0;
    for need in rows::overdue(conn, actor.org().as_str(), actor.now_ms / 1000)? {
        let id = need.id.clone();
        match raise(conn, actor, need) {
            Ok(up) => raised += usize::from(up),
            // One need that cannot go up (a roster without its street) does not stop the rest.
            Err(ActionError::Invalid(e)) => {
                tracing::warn!(need_id = %id, error = %e, "a need past its deadline cannot go up");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(raised)
}

/// One overdue need up a level; whether it went.
fn raise(conn: &mut AnyConnection, actor: &Actor, need: NeedRow) -> Result<bool, ActionError> {
    match need.level.parse::<NeedLevel>() {
        Ok(NeedLevel::Grid) => {
            let mut body = body_of(&need)?;
            body.level = NeedLevel::Community;
            body.due = Some(actor.now_ms / 1000 + actor.deadlines.secs(NeedLevel::Community));
            let body = checked(body)?;
            upsert(
                conn,
                row(actor.org(), actor.signer.kind(), &body, actor.now_ms),
            )?;
            outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
            Ok(true)
        }
        Ok(NeedLevel::Community) => {
            let reason = Text::new("到期未办结，按时限自动上报").ok();
            to_street(conn, actor, need, reason)?;
            Ok(true)
        }
        _ => Ok(false),
    }
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
            Raised {
                level: self.to_level.as_str(),
                to_org: self.to_org.as_str(),
                note: self.reason.as_ref().map(|r| r.as_str()),
                due: self.due.or(need.due),
            },
            from.at_ms,
        )?;
        let (org, note) = (from.org.as_str(), self.reason.as_ref().map(|r| r.as_str()));
        happened(
            conn,
            org,
            &need_id,
            from.at_ms,
            "escalated",
            org,
            None,
            note,
        )?;
        Ok(Outcome::Applied)
    }
}
