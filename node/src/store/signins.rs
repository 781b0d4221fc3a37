//! The `member_signins` table: at a host, each sign-in of a member of another organisation
//! with their home (PROTOCOL.md §4.7), from the nonce it started with to the session it became.

use diesel::prelude::*;

use super::schema::member_signins;
use super::{AnyConnection, StoreResult};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = member_signins, treat_none_as_default_value = false)]
pub struct SigninRow {
    pub nonce: String,
    pub home_org: String,
    pub next_path: String,
    pub started_ms: i64,
    pub member_ref: Option<String>,
    pub display_name: Option<String>,
    /// JSON list of skill wire names the member shared.
    pub skills: Option<String>,
    pub session_sha256: Option<String>,
    pub signed_in_ms: Option<i64>,
    pub expires_ms: Option<i64>,
}

pub fn insert(conn: &mut AnyConnection, row: &SigninRow) -> StoreResult<()> {
    diesel::insert_into(member_signins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, nonce: &str) -> StoreResult<Option<SigninRow>> {
    Ok(member_signins::table.find(nonce).first(conn).optional()?)
}

/// What a completed sign-in records.
pub struct Completion<'a> {
    pub member_ref: &'a str,
    pub display_name: Option<&'a str>,
    pub skills: &'a str,
    pub session_sha256: &'a str,
    pub at_ms: i64,
    pub expires_ms: i64,
}

/// Completes the sign-in started with `nonce`, if no token completed it before: the nonce is
/// used once. Returns whether this call completed it.
pub fn complete(conn: &mut AnyConnection, nonce: &str, c: &Completion<'_>) -> StoreResult<bool> {
    let n = diesel::update(
        member_signins::table
            .find(nonce)
            .filter(member_signins::signed_in_ms.is_null()),
    )
    .set((
        member_signins::member_ref.eq(c.member_ref),
        member_signins::display_name.eq(c.display_name),
        member_signins::skills.eq(c.skills),
        member_signins::session_sha256.eq(c.session_sha256),
        member_signins::signed_in_ms.eq(c.at_ms),
        member_signins::expires_ms.eq(c.expires_ms),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The session whose secret hashes to `sha256`, if it has not expired at `now_ms`.
pub fn session(
    conn: &mut AnyConnection,
    sha256: &str,
    now_ms: i64,
) -> StoreResult<Option<SigninRow>> {
    Ok(member_signins::table
        .filter(member_signins::session_sha256.eq(sha256))
        .filter(member_signins::expires_ms.gt(now_ms))
        .first(conn)
        .optional()?)
}

/// Ends a session (signing out): it can no longer be found, and its nonce stays used.
pub fn end(conn: &mut AnyConnection, sha256: &str, now_ms: i64) -> StoreResult<()> {
    diesel::update(member_signins::table.filter(member_signins::session_sha256.eq(sha256)))
        .set(member_signins::expires_ms.eq(now_ms))
        .execute(conn)?;
    Ok(())
}

/// Forgets sign-ins started before `before_ms` that never completed, and sessions that ended
/// before it (with what the member shared). A used nonce is kept as long as its session, far
/// longer than the token's `exp` plus 300 s that PROTOCOL.md §4.7 asks for.
pub fn purge(conn: &mut AnyConnection, before_ms: i64) -> StoreResult<usize> {
    Ok(diesel::delete(
        member_signins::table.filter(
            (member_signins::signed_in_ms
                .is_null()
                .and(member_signins::started_ms.lt(before_ms)))
            .or(member_signins::expires_ms.lt(before_ms)),
        ),
    )
    .execute(conn)?)
}

/// How many sign-ins completed (for tests and the metrics: a refused token must not add one).
pub fn completed(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(member_signins::table
        .filter(member_signins::signed_in_ms.is_not_null())
        .count()
        .get_result(conn)?)
}
