//! 结对帮扶: a community pairs a member who reports there with a household of its care ledger
//! (独居老人, 困难家庭 …) to visit and help it. The household's identity never leaves the
//! community: the member's home is told only the label the community gives the pairing
//! (`pairing.started`), and learns when it ends (`pairing.ended`). The service done for the
//! household is credited as any service, by the community's attestations.

use serde::Deserialize;
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{GridCode, PairingEnded, PairingStarted};
use tongxin_schema::v1::text::{Description, Note, Text};
use tongxin_schema::{MemberRef, OrgId};
use uuid::Uuid;

use super::status::ReportStatus;
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked};
use crate::store::activities::member_of_mref;
use crate::store::pairings::{self as rows, HouseholdRow, PairingRow};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox, reports};

/// A household the community takes into its care ledger.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HouseholdInput")]
pub struct NewHousehold {
    /// What a paired member's home is told, e.g. `第三网格 结对户 07`: never the name,
    /// address or phone.
    pub label: Text<1, 64>,
    pub name: Text<1, 64>,
    pub address: Text<1, 200>,
    pub phone: Option<Text<0, 32>>,
    pub grid: Option<GridCode>,
    /// 独居老人, 困难家庭 … in the community's words.
    pub situation: Description,
}

/// Pair a household with a member who reports here, named by their report.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PairingInput")]
pub struct NewPairing {
    /// The member's home.
    pub home: OrgId,
    /// The member's accepted report here.
    pub report_id: Uuid,
}

/// Why a pairing ends (the member or the household moved, the need is gone).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PairingEndInput")]
pub struct PairingEnd {
    pub reason: Option<Note>,
}

// ---- At the community ----------------------------------------------------------------------

pub fn add_household(
    conn: &mut AnyConnection,
    actor: &Actor,
    h: NewHousehold,
) -> Result<HouseholdRow, ActionError> {
    super::community_only(
        actor,
        "keeps a care ledger and pairs members with its households",
    )?;
    let label = h.label.as_str();
    let phone = h
        .phone
        .as_ref()
        .map(|p| p.as_str().trim())
        .filter(|p| !p.is_empty());
    // The label is what leaves the node: it must not name or locate the household.
    let identifying = [
        Some(h.name.as_str().trim()),
        Some(h.address.as_str().trim()),
        phone,
    ];
    if identifying
        .into_iter()
        .flatten()
        .any(|s| s.chars().count() >= 2 && label.contains(s))
    {
        return Err(Invalid::field(
            "label",
            "must not contain the household's name, address or phone: it is sent to the member's organisation",
        )
        .into());
    }
    let row = HouseholdRow {
        id: Uuid::now_v7().to_string(),
        label: label.to_owned(),
        name: h.name.to_string(),
        address: h.address.to_string(),
        phone: phone.map(str::to_owned),
        grid: h.grid.map(|g| g.to_string()),
        situation: h.situation.to_string(),
        created_ms: actor.now_ms,
    };
    rows::insert_household(conn, &row)?;
    Ok(row)
}

/// Pairs a household of our ledger with a member whose report here we accepted, and tells the
/// member's home (the label only).
pub fn pair(
    conn: &mut AnyConnection,
    actor: &Actor,
    household_id: Uuid,
    p: NewPairing,
) -> Result<PairingRow, ActionError> {
    super::community_only(
        actor,
        "keeps a care ledger and pairs members with its households",
    )?;
    let me = actor.org().as_str();
    let h = rows::find_household(conn, &household_id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("household {household_id}")))?;
    let r = reports::find(conn, p.home.as_str(), &p.report_id.to_string())?
        .filter(|r| r.community_org == me)
        .ok_or_else(|| Invalid::field("report_id", "no such report here"))?;
    if r.status != ReportStatus::Accepted {
        return Err(Invalid::field(
            "report_id",
            format!("the report is {}: pair members who report here", r.status),
        )
        .into());
    }
    let already = rows::started(conn, me)?.into_iter().any(|x| {
        x.ended_ms.is_none() && x.mref == r.mref && x.household_id.as_deref() == Some(&h.id)
    });
    if already {
        return Err(
            Invalid::Conflict("this member is paired with this household already".into()).into(),
        );
    }
    let member: MemberRef = r
        .mref
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("report: {e}")))?;
    let body = checked(PairingStarted {
        pairing_id: Uuid::now_v7(),
        member,
        household: Text::new(&h.label)
            .map_err(|e| StoreError::Corrupt(format!("household: {e}")))?,
        started_at: actor.now_ms.div_euclid(1000),
    })?;
    let row = PairingRow {
        community_org: me.to_owned(),
        id: body.pairing_id.to_string(),
        mref: r.mref,
        member_id: None,
        household_id: Some(h.id),
        household_label: h.label,
        started_at: body.started_at,
        ended_ms: None,
        end_reason: None,
    };
    rows::insert(conn, &row)?;
    outbox::enqueue(
        conn,
        actor.signer,
        actor.now_ms,
        Audience::Org(p.home),
        body,
    )?;
    Ok(row)
}

/// Ends a pairing we started, and tells the member's home.
pub fn end(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    e: PairingEnd,
) -> Result<PairingRow, ActionError> {
    let me = actor.org().as_str();
    let mut p = rows::find(conn, me, &id.to_string())?
        .filter(|p| p.household_id.is_some())
        .ok_or_else(|| Invalid::NotFound(format!("pairing {id}")))?;
    if p.ended_ms.is_some() {
        return Err(Invalid::Conflict(format!("pairing {id} has ended already")).into());
    }
    let member: MemberRef = p
        .mref
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("pairing: {e}")))?;
    let home = member.home().clone();
    let body = checked(PairingEnded {
        pairing_id: id,
        member,
        reason: e.reason,
    })?;
    p.end_reason = body.reason.as_ref().map(|r| r.to_string());
    p.ended_ms = Some(actor.now_ms);
    rows::end(conn, me, &p.id, p.end_reason.as_deref(), actor.now_ms)?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::Org(home), body)?;
    Ok(p)
}

// ---- At the member's home ------------------------------------------------------------------

impl Receive for PairingStarted {
    /// At the home: one of our members is paired with a household the community names by a label.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.me) {
            return Ok(r.into());
        }
        let (community, id, mref) = (
            from.org.as_str(),
            self.pairing_id.to_string(),
            self.member.to_string(),
        );
        if rows::find(conn, community, &id)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_pairing",
                format!("pairing {id} of {community} is known already"),
            )
            .into());
        }
        let Some(member_id) = member_of_mref(conn, community, &mref)? else {
            return Ok(Refusal::new(
                "unknown_member",
                format!("{community} names a member this node never sent there"),
            )
            .into());
        };
        rows::insert(
            conn,
            &PairingRow {
                community_org: community.to_owned(),
                id,
                mref,
                member_id: Some(member_id),
                household_id: None,
                household_label: self.household.to_string(),
                started_at: self.started_at,
                ended_ms: None,
                end_reason: None,
            },
        )?;
        Ok(Outcome::Applied)
    }
}

impl Receive for PairingEnded {
    /// At the home: a pairing of one of our members ended.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.me) {
            return Ok(r.into());
        }
        let id = self.pairing_id.to_string();
        let Some(p) =
            rows::find(conn, from.org.as_str(), &id)?.filter(|p| p.mref == self.member.to_string())
        else {
            return Ok(Refusal::new(
                "unknown_pairing",
                format!("{} started no pairing {id} with this member", from.org),
            )
            .into());
        };
        if p.ended_ms.is_some() {
            return Ok(
                Refusal::new("already_ended", format!("pairing {id} has ended already")).into(),
            );
        }
        rows::end(
            conn,
            from.org.as_str(),
            &id,
            self.reason.as_ref().map(|r| r.as_str()),
            from.at_ms,
        )?;
        Ok(Outcome::Applied)
    }
}
