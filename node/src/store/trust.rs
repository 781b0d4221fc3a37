//! The `trust` table: the newest CA-signed roster and CRL this node accepted, and what it
//! announced.

use diesel::prelude::*;

use super::schema::trust;
use super::{AnyConnection, StoreResult};

/// A row of `trust`, whole.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = trust, treat_none_as_default_value = false)]
pub struct TrustRow {
    pub name: String,
    pub serial: i64,
    pub document: String,
    pub updated_ms: i64,
}

/// The stored trust document `name` (`roster` or `crl`) and its serial.
pub fn get(conn: &mut AnyConnection, name: &str) -> StoreResult<Option<(i64, String)>> {
    Ok(trust::table
        .find(name)
        .select((trust::serial, trust::document))
        .first(conn)
        .optional()?)
}

pub fn put(
    conn: &mut AnyConnection,
    name: &str,
    serial: i64,
    doc: &str,
    at_ms: i64,
) -> StoreResult<()> {
    let n = diesel::update(trust::table.find(name))
        .set((
            trust::serial.eq(serial),
            trust::document.eq(doc),
            trust::updated_ms.eq(at_ms),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(trust::table)
            .values((
                trust::name.eq(name),
                trust::serial.eq(serial),
                trust::document.eq(doc),
                trust::updated_ms.eq(at_ms),
            ))
            .execute(conn)?;
    }
    Ok(())
}
