//! The `users` table: this node's accounts (staff, members, auditors).

use diesel::prelude::*;

use super::schema::users;
use super::{AnyConnection, StoreResult};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct UserRow {
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub created_ms: i64,
    /// Set while the account may not sign in.
    pub disabled_ms: Option<i64>,
    /// Tokens issued before this (a password change, a disable) are no longer accepted.
    pub tokens_after_ms: Option<i64>,
}

pub fn find(conn: &mut AnyConnection, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table.find(username).first(conn).optional()?)
}

/// Creates or replaces a user (password reset is `user add` again, which also enables an
/// account disabled in the UI).
pub fn put(
    conn: &mut AnyConnection,
    username: &str,
    hash: &str,
    role: &str,
    at_ms: i64,
) -> StoreResult<bool> {
    let n = diesel::update(users::table.find(username))
        .set((
            users::password_hash.eq(hash),
            users::role.eq(role),
            users::disabled_ms.eq(None::<i64>),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(users::table)
            .values((
                users::username.eq(username),
                users::password_hash.eq(hash),
                users::role.eq(role),
                users::created_ms.eq(at_ms),
            ))
            .execute(conn)?;
    }
    Ok(n == 0)
}

/// Every account, by name.
pub fn list(conn: &mut AnyConnection) -> StoreResult<Vec<UserRow>> {
    Ok(users::table.order(users::username).load(conn)?)
}

/// A new password; the tokens issued before it end.
pub fn set_password(
    conn: &mut AnyConnection,
    username: &str,
    hash: &str,
    at_ms: i64,
) -> StoreResult<bool> {
    let n = diesel::update(users::table.find(username))
        .set((
            users::password_hash.eq(hash),
            users::tokens_after_ms.eq(Some(at_ms)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Disables (`Some(at)`) or enables (`None`) an account; disabling ends its tokens.
pub fn set_disabled(
    conn: &mut AnyConnection,
    username: &str,
    disabled_at: Option<i64>,
) -> StoreResult<bool> {
    let n = match disabled_at {
        Some(at) => diesel::update(users::table.find(username))
            .set((
                users::disabled_ms.eq(Some(at)),
                users::tokens_after_ms.eq(Some(at)),
            ))
            .execute(conn)?,
        None => diesel::update(users::table.find(username))
            .set(users::disabled_ms.eq(None::<i64>))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Accounts whose older tokens are refused: name → tokens must be issued at or after this
/// second (`i64::MAX` while disabled).
pub fn token_floors(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    Ok(list(conn)?
        .into_iter()
        .filter_map(|u| {
            let floor = match (u.disabled_ms, u.tokens_after_ms) {
                (Some(_), _) => i64::MAX,
                (None, Some(t)) => t / 1000,
                (None, None) => return None,
            };
            Some((u.username, floor))
        })
        .collect())
}
