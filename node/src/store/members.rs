//! The `members` table (people whose home is this organisation) and `member_key` (the secret of
//! their pairwise references). Nothing here is ever sent.

use diesel::prelude::*;

use super::schema::{member_key, members};
use super::{AnyConnection, StoreResult};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = members, treat_none_as_default_value = false)]
pub struct MemberRow {
    pub id: String,
    pub name: String,
    /// How they are addressed where they report (称呼); the name never leaves this node.
    pub display_name: Option<String>,
    pub phone: String,
    pub department: Option<String>,
    pub residence_org: Option<String>,
    pub grid: Option<String>,
    /// JSON list of skill wire names.
    pub skills: String,
    /// JSON list of weekly slot wire names.
    pub availability: String,
    pub emergency_ready: bool,
    pub username: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// The community they work in and its grid, when on the roster.
    pub work_org: Option<String>,
    pub work_grid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = member_key)]
pub struct MemberKeyRow {
    pub id: i32,
    pub secret_hex: String,
}

pub fn insert(conn: &mut AnyConnection, rows: &[MemberRow]) -> StoreResult<()> {
    // Chunks keep each statement under SQLite's bound-parameter limit (15 columns a row).
    for chunk in rows.chunks(500) {
        crate::on_inner!(conn, |c| diesel::insert_into(members::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn update(conn: &mut AnyConnection, row: &MemberRow) -> StoreResult<()> {
    diesel::update(members::table.find(&row.id))
        .set(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> StoreResult<Option<MemberRow>> {
    Ok(members::table.find(id).first(conn).optional()?)
}

pub fn find_by_username(
    conn: &mut AnyConnection,
    username: &str,
) -> StoreResult<Option<MemberRow>> {
    Ok(members::table
        .filter(members::username.eq(username))
        .first(conn)
        .optional()?)
}

/// Every phone number already registered, for duplicate checks before an import.
pub fn phones(conn: &mut AnyConnection) -> StoreResult<Vec<String>> {
    Ok(members::table.select(members::phone).load(conn)?)
}

pub fn find_by_phone(conn: &mut AnyConnection, phone: &str) -> StoreResult<Option<MemberRow>> {
    Ok(members::table
        .filter(members::phone.eq(phone))
        .first(conn)
        .optional()?)
}

/// All members, by name (the export and the statistics read them all).
pub fn all(conn: &mut AnyConnection) -> StoreResult<Vec<MemberRow>> {
    Ok(members::table
        .order((members::name.asc(), members::id.asc()))
        .load(conn)?)
}

/// What matching reads of every member, unordered: (id, name, residence, grid, skills JSON,
/// availability JSON). Nothing else, so that ranking a large home stays quick.
pub type MatchingRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
);

pub fn for_matching(conn: &mut AnyConnection) -> StoreResult<Vec<MatchingRow>> {
    Ok(members::table
        .select((
            members::id,
            members::name,
            members::residence_org,
            members::grid,
            members::skills,
            members::availability,
        ))
        .load(conn)?)
}

/// The secret of pairwise references, made once (PROTOCOL.md §2.3): whoever inserts first
/// wins, so two writers never hand out references under two keys.
pub fn key(conn: &mut AnyConnection, fresh_hex: &str) -> StoreResult<String> {
    if let Some(k) = member_key::table
        .find(1)
        .select(member_key::secret_hex)
        .first::<String>(conn)
        .optional()?
    {
        return Ok(k);
    }
    crate::on_inner!(conn, |c| diesel::insert_into(member_key::table)
        .values(MemberKeyRow {
            id: 1,
            secret_hex: fresh_hex.to_owned(),
        })
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(member_key::table
        .find(1)
        .select(member_key::secret_hex)
        .first(conn)?)
}
