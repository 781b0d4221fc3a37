//! The `households` (the community's care ledger, which never leaves it) and `pairings`
//! (结对帮扶: a member paired with a household, as the community started it and the member's
//! home received it) tables.

use diesel::prelude::*;

use super::schema::{buildings, households, pairings};
use super::{AnyConnection, StoreResult};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = households, treat_none_as_default_value = false)]
pub struct HouseholdRow {
    pub id: String,
    /// What the member's home is told, e.g. `第三网格 结对户 07`.
    pub label: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub grid: Option<String>,
    /// 独居老人, 困难家庭 … in the community's words.
    pub situation: String,
    pub created_ms: i64,
    /// The building (楼栋) of our ledger it lives in.
    pub building_id: Option<String>,
}

/// A building (楼栋) of one of our grids, and its 楼栋长 if the ledger names one.
#[derive(
    Debug, Clone, PartialEq, Queryable, Insertable, serde::Serialize, schemars::JsonSchema,
)]
#[diesel(table_name = buildings, treat_none_as_default_value = false)]
pub struct BuildingRow {
    pub id: String,
    /// e.g. 7号楼.
    pub name: String,
    pub grid: Option<String>,
    /// The 楼栋长, as the community addresses them.
    pub head: Option<String>,
    pub created_ms: i64,
}

pub fn insert_building(conn: &mut AnyConnection, row: &BuildingRow) -> StoreResult<()> {
    diesel::insert_into(buildings::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_building(conn: &mut AnyConnection, id: &str) -> StoreResult<Option<BuildingRow>> {
    Ok(buildings::table.find(id).first(conn).optional()?)
}

/// Our buildings by grid and name.
pub fn buildings(conn: &mut AnyConnection) -> StoreResult<Vec<BuildingRow>> {
    Ok(buildings::table
        .order((buildings::grid.asc(), buildings::name.asc()))
        .load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = pairings, treat_none_as_default_value = false)]
pub struct PairingRow {
    pub community_org: String,
    pub id: String,
    pub mref: String,
    /// At the home only.
    pub member_id: Option<String>,
    /// At the community only.
    pub household_id: Option<String>,
    pub household_label: String,
    /// Unix seconds.
    pub started_at: i64,
    pub ended_ms: Option<i64>,
    pub end_reason: Option<String>,
}

pub fn insert_household(conn: &mut AnyConnection, row: &HouseholdRow) -> StoreResult<()> {
    diesel::insert_into(households::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_household(conn: &mut AnyConnection, id: &str) -> StoreResult<Option<HouseholdRow>> {
    Ok(households::table.find(id).first(conn).optional()?)
}

/// The care ledger, by label.
pub fn households(conn: &mut AnyConnection) -> StoreResult<Vec<HouseholdRow>> {
    Ok(households::table
        .order(households::label.asc())
        .load(conn)?)
}

pub fn insert(conn: &mut AnyConnection, row: &PairingRow) -> StoreResult<()> {
    diesel::insert_into(pairings::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    community: &str,
    id: &str,
) -> StoreResult<Option<PairingRow>> {
    Ok(pairings::table
        .find((community, id))
        .first(conn)
        .optional()?)
}

pub fn end(
    conn: &mut AnyConnection,
    community: &str,
    id: &str,
    reason: Option<&str>,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(pairings::table.find((community, id)))
        .set((
            pairings::ended_ms.eq(Some(at_ms)),
            pairings::end_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// At the community: the pairings it started, current ones first, newest first.
pub fn started(conn: &mut AnyConnection, community: &str) -> StoreResult<Vec<PairingRow>> {
    let mut rows: Vec<PairingRow> = pairings::table
        .filter(pairings::community_org.eq(community))
        .filter(pairings::household_id.is_not_null())
        .order(pairings::started_at.desc())
        .load(conn)?;
    rows.sort_by_key(|p| p.ended_ms.is_some());
    Ok(rows)
}

/// At the home: the pairings of its members (of one member if given), current ones first,
/// newest first.
pub fn of_members(
    conn: &mut AnyConnection,
    member_id: Option<&str>,
) -> StoreResult<Vec<PairingRow>> {
    let mut q = pairings::table
        .filter(pairings::member_id.is_not_null())
        .into_boxed();
    if let Some(m) = member_id {
        q = q.filter(pairings::member_id.eq(m));
    }
    let mut rows: Vec<PairingRow> = q.order(pairings::started_at.desc()).load(conn)?;
    rows.sort_by_key(|p| p.ended_ms.is_some());
    Ok(rows)
}
