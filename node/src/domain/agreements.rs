//! 单位报到 / 共建协议: a co-building unit, 楼e家 alliance or new-employment branch proposes a
//! co-building agreement to a community (`agreement.proposed`: which resources, which
//! services, which term); the community accepts or declines it (`agreement.decided`, naming
//! the proposal by its digest). Both sides keep both signed messages, so each holds the same
//! agreement signed by both. An accepted agreement is in force during its term and ends on
//! its own when the term is over (no message is needed for that).

use serde::{Deserialize, Serialize};
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{AgreementDecided, AgreementProposed};
use tongxin_schema::v1::taxonomy::OfferCategory;
use tongxin_schema::v1::text::{Description, Note, Title};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::status::AgreementStatus;
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list};
use crate::store::agreements::{self as rows, AgreementRow};
use crate::store::{AnyConnection, StoreResult, outbox};

/// A proposal to a community.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AgreementInput")]
pub struct NewAgreement {
    /// The community (its org id).
    pub community: OrgId,
    pub title: Title,
    /// The kinds of resource committed.
    #[serde(default)]
    pub resources: Vec<OfferCategory>,
    /// The services and commitments, in words.
    pub services: Description,
    /// The term, Unix seconds.
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: Option<Note>,
}

/// The community's answer.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AgreementDecisionInput")]
pub struct AgreementDecision {
    pub accepted: bool,
    pub note: Option<Note>,
}

/// Where an agreement stands at a given time: its status, and for an accepted one, its term.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Standing {
    /// Waiting for the community.
    Pending,
    Declined,
    /// Accepted, its term not begun.
    Upcoming,
    /// Accepted and within its term.
    InForce,
    /// Accepted, its term over.
    Ended,
}

impl Standing {
    pub fn of(r: &AgreementRow, now_s: i64) -> Standing {
        match r.status {
            AgreementStatus::Pending => Standing::Pending,
            AgreementStatus::Declined => Standing::Declined,
            AgreementStatus::Accepted if now_s < r.starts_at => Standing::Upcoming,
            AgreementStatus::Accepted if now_s < r.ends_at => Standing::InForce,
            AgreementStatus::Accepted => Standing::Ended,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

const CO_BUILDERS: [OrgKind; 3] = [
    OrgKind::CoBuildingUnit,
    OrgKind::BuildingAlliance,
    OrgKind::NewEmployment,
];

fn row(
    proposer: &OrgId,
    community: &OrgId,
    b: &AgreementProposed,
    jws: &str,
    at_ms: i64,
) -> AgreementRow {
    AgreementRow {
        proposer_org: proposer.to_string(),
        id: b.agreement_id.to_string(),
        community_org: community.to_string(),
        title: b.title.to_string(),
        resources: json_list(&b.resources),
        services: b.services.to_string(),
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        note: b.note.as_ref().map(|n| n.to_string()),
        status: AgreementStatus::Pending,
        decision_note: None,
        proposal_jws: jws.to_owned(),
        decision_jws: None,
        proposed_ms: at_ms,
        decided_ms: None,
    }
}

/// A co-builder proposes an agreement to a community.
pub fn propose(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewAgreement,
) -> Result<AgreementRow, ActionError> {
    if !CO_BUILDERS.contains(&actor.signer.kind()) {
        // Not a permission of the caller but of this node's kind: unprocessable here (422).
        return Err(Invalid::field(
            "community",
            format!(
                "this organisation is a {}, which does not propose co-building agreements; co-building units, 楼e家 alliances and new-employment branches do",
                actor.signer.kind()
            ),
        )
        .into());
    }
    let entry = actor.roster.org(&i.community).ok_or_else(|| {
        Invalid::field("community", format!("{} is not on the roster", i.community))
    })?;
    if entry.kind != OrgKind::Community {
        return Err(Invalid::field(
            "community",
            format!(
                "{} is a {}; agreements are made with a community",
                entry.name, entry.kind
            ),
        )
        .into());
    }
    if i.ends_at <= actor.now_ms.div_euclid(1000) {
        return Err(Invalid::field("ends_at", "the term is over already").into());
    }
    let body = checked(AgreementProposed {
        agreement_id: Uuid::now_v7(),
        title: i.title,
        resources: i.resources,
        services: i.services,
        starts_at: i.starts_at,
        ends_at: i.ends_at,
        note: i.note,
    })?;
    let (_, jws) = outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(i.community.clone()),
        body.clone(),
    )?;
    let r = row(actor.org(), &i.community, &body, &jws, actor.now_ms);
    rows::insert(conn, &r)?;
    Ok(r)
}

/// The community accepts or declines a proposal made to it.
pub fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposer: &OrgId,
    agreement_id: Uuid,
    d: AgreementDecision,
) -> Result<AgreementRow, ActionError> {
    let id = agreement_id.to_string();
    let mut r = rows::find(conn, proposer.as_str(), &id)?
        .filter(|r| r.community_org == actor.org().as_str())
        .ok_or_else(|| Invalid::NotFound(format!("agreement {proposer}/{id}")))?;
    if r.status != AgreementStatus::Pending {
        return Err(Invalid::Conflict(format!("agreement {id} is {} already", r.status)).into());
    }
    let body = checked(AgreementDecided {
        agreement_id,
        proposal: AgreementDecided::digest(&r.proposal_jws),
        accepted: d.accepted,
        note: d.note,
    })?;
    let (_, jws) = outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(proposer.clone()),
        body.clone(),
    )?;
    r.status = AgreementStatus::decided(d.accepted);
    r.decision_note = body.note.as_ref().map(|n| n.to_string());
    r.decision_jws = Some(jws.clone());
    r.decided_ms = Some(actor.now_ms);
    rows::decide(
        conn,
        &r.proposer_org,
        &id,
        r.status,
        r.decision_note.as_deref(),
        &jws,
        actor.now_ms,
    )?;
    Ok(r)
}

impl Receive for AgreementProposed {
    /// At the community: keep the proposal, as signed, for a decision.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let id = self.agreement_id.to_string();
        if rows::find(conn, from.org.as_str(), &id)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_agreement",
                format!("agreement {id} of {} is known already", from.org),
            )
            .into());
        }
        rows::insert(conn, &row(from.org, from.me, self, from.jws, from.at_ms))?;
        Ok(Outcome::Applied)
    }
}

impl Receive for AgreementDecided {
    /// At the proposer: the community's decision on the exact proposal we signed.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let id = self.agreement_id.to_string();
        let Some(r) = rows::find(conn, from.me.as_str(), &id)?
            .filter(|r| r.community_org == from.org.as_str())
        else {
            return Ok(Refusal::new(
                "unknown_agreement",
                format!(
                    "{} never received agreement {id} from {}",
                    from.org, from.me
                ),
            )
            .into());
        };
        if !self.decides(&r.proposal_jws) {
            return Ok(Refusal::new(
                "proposal_mismatch",
                format!(
                    "the decision names proposal {}, not the one sent ({})",
                    self.proposal,
                    AgreementDecided::digest(&r.proposal_jws)
                ),
            )
            .into());
        }
        if r.status != AgreementStatus::Pending {
            return Ok(Refusal::new(
                "already_decided",
                format!("agreement {id} is {} already", r.status),
            )
            .into());
        }
        rows::decide(
            conn,
            &r.proposer_org,
            &id,
            AgreementStatus::decided(self.accepted),
            self.note.as_ref().map(|n| n.as_str()),
            from.jws,
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}
