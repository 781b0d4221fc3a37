//! The `agreements` table: co-building agreements, as the proposer and the community hold them.

use diesel::prelude::*;

use super::schema::agreements;
use super::{AnyConnection, StoreResult};
use crate::domain::status::AgreementStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = agreements, treat_none_as_default_value = false)]
pub struct AgreementRow {
    pub proposer_org: String,
    pub id: String,
    pub community_org: String,
    pub title: String,
    /// JSON list of offer category wire names.
    pub resources: String,
    pub services: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: Option<String>,
    pub status: AgreementStatus,
    pub decision_note: Option<String>,
    /// The proposal, signed by the proposer, as sent or received.
    pub proposal_jws: String,
    /// The community's decision, signed by it, as sent or received.
    pub decision_jws: Option<String>,
    pub proposed_ms: i64,
    pub decided_ms: Option<i64>,
}

pub fn insert(conn: &mut AnyConnection, row: &AgreementRow) -> StoreResult<()> {
    diesel::insert_into(agreements::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    proposer: &str,
    id: &str,
) -> StoreResult<Option<AgreementRow>> {
    Ok(agreements::table
        .find((proposer, id))
        .first(conn)
        .optional()?)
}

/// Records the decision on an agreement (on either side).
pub fn decide(
    conn: &mut AnyConnection,
    proposer: &str,
    id: &str,
    status: AgreementStatus,
    note: Option<&str>,
    decision_jws: &str,
    at_ms: i64,
) -> StoreResult<()> {
    diesel::update(agreements::table.find((proposer, id)))
        .set((
            agreements::status.eq(status),
            agreements::decision_note.eq(note),
            agreements::decision_jws.eq(Some(decision_jws)),
            agreements::decided_ms.eq(Some(at_ms)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The agreements `org` is a party to (as proposer or community), newest first.
pub fn of_party(conn: &mut AnyConnection, org: &str) -> StoreResult<Vec<AgreementRow>> {
    Ok(agreements::table
        .filter(
            agreements::proposer_org
                .eq(org)
                .or(agreements::community_org.eq(org)),
        )
        .order(agreements::proposed_ms.desc())
        .load(conn)?)
}
