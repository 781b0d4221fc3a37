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

use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked};
use crate::store::activities::member_of_mref;
use crate::store::pairings::{self as rows, BuildingRow, HouseholdRow, PairingRow};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox};

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
    /// The household's grid; its building's grid when it names a building and no grid.
    pub grid: Option<GridCode>,
    /// The building (楼栋) of our ledger it lives in.
    pub building_id: Option<Uuid>,
    /// 独居老人, 困难家庭 … in the community's words.
    pub situation: Description,
}

/// A building (楼栋) the community adds to its ledger.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "BuildingInput")]
pub struct NewBuilding {
    /// e.g. 7号楼.
    pub name: Text<1, 32>,
    /// One of the community's grids on the roster.
    pub grid: Option<GridCode>,
    /// The 楼栋长, as the community addresses them.
    pub head: Option<Text<1, 64>>,
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

/// Whether a label would name or locate the household, the way staff might slip: its name,
/// any four characters in a row of its address, or its phone's digits, ignoring spaces and
/// punctuation. A guard against a slip, not a proof of anonymity: the page says so too.
pub(super) fn names_the_household(
    label: &str,
    name: &str,
    address: &str,
    phone: Option<&str>,
) -> bool {
    let bare = |s: &str| -> Vec<char> { s.chars().filter(|c| c.is_alphanumeric()).collect() };
    let contains = |hay: &[char], needle: &[char]| {
        !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
    };
    let label_chars = bare(label);
    let name_chars = bare(name);
    if name_chars.len() >= 2 && contains(&label_chars, &name_chars) {
        return true;
    }
    let address_chars = bare(address);
    if address_chars
        .windows(4.min(address_chars.len()).max(1))
        .any(|w| w.len() >= 4 && contains(&label_chars, w))
    {
        return true;
    }
    let digits = |s: &str| -> Vec<char> { s.chars().filter(char::is_ascii_digit).collect() };
    phone
        .map(digits)
        .is_some_and(|p| p.len() >= 7 && contains(&digits(label), &p))
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
    if names_the_household(label, h.name.as_str(), h.address.as_str(), phone) {
        return Err(Invalid::field(
            "label",
            "must not contain the household's name, address or phone: it is sent to the member's organisation",
        )
        .into());
    }
    let grid = h.grid.map(|g| g.to_string());
    our_grid(actor, grid.as_deref())?;
    let building = match h.building_id {
        None => None,
        Some(b) => Some(
            rows::find_building(conn, &b.to_string())?
                .ok_or_else(|| Invalid::field("building_id", format!("no building {b} here")))?,
        ),
    };
    let grid = match (&building, grid) {
        (Some(b), Some(g)) if b.grid.as_ref().is_some_and(|bg| *bg != g) => {
            return Err(Invalid::field(
                "grid",
                format!(
                    "{} is in grid {}, not {g}",
                    b.name,
                    b.grid.as_deref().unwrap_or("")
                ),
            )
            .into());
        }
        (Some(b), None) => b.grid.clone(),
        (_, g) => g,
    };
    let row = HouseholdRow {
        id: Uuid::now_v7().to_string(),
        label: label.to_owned(),
        name: h.name.to_string(),
        address: h.address.to_string(),
        phone: phone.map(str::to_owned),
        grid,
        situation: h.situation.to_string(),
        created_ms: actor.now_ms,
        building_id: building.map(|b| b.id),
    };
    rows::insert_household(conn, &row)?;
    Ok(row)
}

/// A grid of ours on the roster (the input's `grid`).
fn our_grid(actor: &Actor, grid: Option<&str>) -> Result<(), Invalid> {
    let Some(g) = grid else { return Ok(()) };
    let Some(us) = actor.roster.org(actor.org()) else {
        return Ok(());
    };
    if us.has_grid(g) {
        return Ok(());
    }
    let listed: Vec<&str> = us.grids.iter().map(|x| x.as_str()).collect();
    Err(Invalid::field(
        "grid",
        format!("{g} is not one of our grids ({})", listed.join("、")),
    ))
}

/// Adds a building (楼栋) to our ledger.
pub fn add_building(
    conn: &mut AnyConnection,
    actor: &Actor,
    b: NewBuilding,
) -> Result<BuildingRow, ActionError> {
    super::community_only(actor, "keeps the buildings of its grids")?;
    let grid = b.grid.map(|g| g.to_string());
    our_grid(actor, grid.as_deref())?;
    let name = b.name.to_string();
    if rows::buildings(conn)?
        .iter()
        .any(|x| x.name == name && x.grid == grid)
    {
        return Err(Invalid::field("name", format!("{name} is in the ledger already")).into());
    }
    let row = BuildingRow {
        id: Uuid::now_v7().to_string(),
        name,
        grid,
        head: b.head.map(|h| h.to_string()),
        created_ms: actor.now_ms,
    };
    rows::insert_building(conn, &row)?;
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
    let r = super::reports::accepted_here(conn, actor, &p.home, p.report_id)?;
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
        let Some(member_id) = member_of_mref(conn, community, &mref)? else {
            return Ok(Refusal::new(
                "unknown_member",
                format!("{community} names a member this node never sent there"),
            )
            .into());
        };
        if rows::find(conn, community, &id)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_pairing",
                format!("pairing {id} of {community} is known already"),
            )
            .into());
        }
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

#[cfg(test)]
mod tests {
    use super::names_the_household;

    #[test]
    fn a_label_that_names_or_locates_the_household_is_caught() {
        let (name, address, phone) = ("李秀英", "小山隆义里5号楼3单元201", Some("136 1234 5678"));
        for label in [
            "结对户 李秀英",
            "李 秀 英家",
            "隆义里5号楼",
            "5号楼3单元",
            "电话13612345678",
            "136-1234-5678",
        ] {
            assert!(names_the_household(label, name, address, phone), "{label}");
        }
        for label in ["第三网格 结对户07", "独居老人 07", "李阿姨"] {
            assert!(!names_the_household(label, name, address, phone), "{label}");
        }
    }
}
