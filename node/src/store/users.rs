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
}

pub fn find(conn: &mut AnyConnection, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table.find(username).first(conn).optional()?)
}

/// Creates or replaces a user (password reset is `user add` again).
pub fn put(
    conn: &mut AnyConnection,
    username: &str,
    hash: &str,
    role: &str,
    at_ms: i64,
) -> StoreResult<bool> {
    let n = diesel::update(users::table.find(username))
        .set((users::password_hash.eq(hash), users::role.eq(role)))
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
