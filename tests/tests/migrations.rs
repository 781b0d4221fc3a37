//! The SQLite and PostgreSQL migrations create the same tables and columns, and every
//! migration goes up, down and up again on both (a `down.sql` that was never run is a trap).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::collections::BTreeSet;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;
use tongxin_node::store::{AnyConnection, DbTarget, migrations_for};
use tongxin_tests::*;

#[derive(QueryableByName, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// (table, column) of every table but diesel's own bookkeeping.
fn columns(conn: &mut AnyConnection) -> BTreeSet<(String, String)> {
    let rows: Vec<Column> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .load(c)
        .unwrap(),
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .load(c)
        .unwrap(),
    };
    // The text search index (store/search.rs) is built differently on each backend (FTS5,
    // GIN); it is derived from the listings and never copied.
    rows.into_iter()
        .filter(|c| c.table_name != "__diesel_schema_migrations")
        .filter(|c| !c.table_name.starts_with("search_"))
        .map(|c| (c.table_name, c.column_name))
        .collect()
}

fn connect(url: String) -> AnyConnection {
    DbTarget {
        url,
        sqlite_synchronous_full: false,
    }
    .connect()
    .unwrap()
}

/// Up, down to nothing, up again; returns the columns after the second up.
fn up_down_up(conn: &mut AnyConnection) -> BTreeSet<(String, String)> {
    let applied = conn
        .run_pending_migrations(migrations_for(conn))
        .unwrap()
        .len();
    assert!(
        applied >= 2,
        "expected every migration to run, ran {applied}"
    );
    let first = columns(conn);
    let reverted = conn
        .revert_all_migrations(migrations_for(conn))
        .unwrap()
        .len();
    assert_eq!(reverted, applied, "every migration has a down");
    assert!(
        columns(conn).is_empty(),
        "down.sql left tables: {:?}",
        columns(conn)
    );
    conn.run_pending_migrations(migrations_for(conn)).unwrap();
    let second = columns(conn);
    assert_eq!(first, second, "up after down made a different schema");
    // The store can use what the second up made, the search index included.
    conn.batch_execute("SELECT count(*) FROM deferred; SELECT count(*) FROM search_grams")
        .unwrap();
    second
}

#[test]
fn both_backends_have_the_same_schema_and_every_migration_reverts() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = connect(format!("sqlite://{}", dir.path().join("m.db").display()));
    let lite = up_down_up(&mut sqlite);

    let mut a = street_and_community();
    let mut pg = connect(a.postgres_db());
    let post = up_down_up(&mut pg);

    assert_eq!(
        lite.symmetric_difference(&post).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "columns only one backend has"
    );
    for table in [
        "outbox", "received", "deferred", "offers", "needs", "claims",
    ] {
        assert!(lite.iter().any(|(t, _)| t == table), "{table} missing");
    }
}
