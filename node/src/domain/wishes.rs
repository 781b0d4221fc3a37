//! 微心愿·我帮办: a grid worker records a wish for a household of the community's care ledger.
//! What is published is the category, the grid, a description that names nobody, and the
//! deadline; the household stays here until the community accepts a claim on the wish, and
//! then only the claimant is told how to reach the person (`need.claim-decided` `contact`).
//! The rest of the journey is the need's: claimed, done, confirmed or reopened, escalated by
//! its deadline.

use serde::Deserialize;
use tongxin_schema::v1::taxonomy::{MicroWishCategory, NeedLevel, Skill};
use tongxin_schema::v1::text::{Description, Text, Title};
use uuid::Uuid;

use super::needs::{NewNeed, publish_for};
use super::pairings::names_the_household;
use super::{ActionError, Actor, Invalid};
use crate::store::AnyConnection;
use crate::store::needs::NeedRow;
use crate::store::pairings as ledger;

/// A micro-wish as the grid worker enters it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WishInput")] // the name API clients know from the OpenAPI document
pub struct NewWish {
    /// What is wished for, e.g. `更换厨房灯泡`: published, so never the person's name or address.
    pub title: Title,
    #[serde(default)]
    pub description: Description,
    pub micro_wish: MicroWishCategory,
    /// How the claimant will address the person, e.g. `王奶奶`: given to an accepted claimant
    /// only.
    pub addressee: Text<1, 64>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// Unix seconds; the grid's deadline (`[needs] grid_secs`) from now when absent.
    pub due: Option<i64>,
    /// E.g. a 12345 hotline ticket number (no caller data).
    pub external_ref: Option<Text<1, 64>>,
}

/// Records and publishes a micro-wish for household `household_id` of our care ledger, at its
/// grid (or the community, for a household with no grid).
pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    household_id: Uuid,
    w: NewWish,
) -> Result<NeedRow, ActionError> {
    super::community_only(
        actor,
        "records micro-wishes for the households of its care ledger",
    )?;
    let h = ledger::find_household(conn, &household_id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("household {household_id}")))?;
    let phone = h.phone.as_deref();
    let external_ref = w
        .external_ref
        .as_ref()
        .map(|r| r.as_str())
        .unwrap_or_default();
    for (field, text) in [
        ("title", w.title.as_str()),
        ("description", w.description.as_str()),
        ("external_ref", external_ref),
    ] {
        if names_the_household(text, &h.name, &h.address, phone) {
            return Err(Invalid::field(
                field,
                "is published to the whole alliance: it must not give the person's name, \
                 address or phone (they reach only the claimant the community accepts)",
            )
            .into());
        }
    }
    // How to address the person reaches the claimant: a 称呼 such as 王奶奶, not the name.
    if names_the_household(w.addressee.as_str(), &h.name, "", None) {
        return Err(Invalid::field(
            "addressee",
            "is how the claimant addresses the person (e.g. 王奶奶), not their full name",
        )
        .into());
    }
    let grid = match h.grid.as_deref().map(Text::new).transpose() {
        Ok(g) => g,
        Err(e) => return Err(Invalid::field("grid", e.to_string()).into()),
    };
    let level = if grid.is_some() {
        NeedLevel::Grid
    } else {
        NeedLevel::Community
    };
    let need = NewNeed {
        need_id: None,
        title: w.title,
        description: w.description,
        level,
        grid,
        micro_wish: Some(w.micro_wish),
        wanted: None,
        skills: w.skills,
        quantity: None,
        due: w.due,
        external_ref: w.external_ref,
    };
    publish_for(
        conn,
        actor,
        need,
        Some((h.id, w.addressee.as_str().to_owned())),
    )
}
