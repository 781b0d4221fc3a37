//! `tongxin db copy`: moves a stopped node's database to another backend (SQLite to
//! PostgreSQL, or any backend to any), keeping every row and id, so the node continues its
//! streams with the next sequence number and its peers see nothing but a restart.
//!
//! Safety rules: the source must not be in use (a SQLite source is locked exclusively for the
//! whole copy, which fails at once while a node has it open; a PostgreSQL source must have no
//! other session), the target must be empty, and the copy is one transaction on the target.
//! The source is only read.

use std::fmt;
use std::path::Path;

use anyhow::{Context, bail};
use diesel::connection::{DefaultLoadingMode, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::MigrationHarness;

use crate::config::{Config, ExposeSecret};
use crate::on_inner;
use crate::store::activities::{ActivityRow, CheckinRow, SignupRow};
use crate::store::agreements::AgreementRow;
use crate::store::claims::ClaimRow;
use crate::store::emergencies::{CallRow, EmergencyRow, VolunteerRow};
use crate::store::inbound::{Deferred, EffectsRow, HeldRow, InStream, ReceivedRow, Rejected};
use crate::store::members::{MemberKeyRow, MemberRow};
use crate::store::needs::{EventRow, NeedRow};
use crate::store::offers::OfferRow;
use crate::store::outbox::{OutStreamRow, OutboxRow};
use crate::store::pairings::{BuildingRow, HouseholdRow, PairingRow};
use crate::store::participation::{
    CellRow, CurrentRow, EscalationRow, FlagRow, GridCellRow, PairRow, PartRow, RootRow, SentRow,
};
use crate::store::recovery::{Answer, RecoveryRow, ReleasedRow};
use crate::store::reports::ReportRow;
use crate::store::schema::{
    activities, agreements, buildings, checkins, claims, deferred, effects, emergencies,
    emergency_calls, emergency_volunteers, feedback, held, households, in_streams, invitations,
    member_key, member_signins, members, need_escalations, need_events, needs, offers, out_streams,
    outbox, pairings, participation_cells, participation_current, participation_flags,
    participation_grids, participation_pairs, participation_parts, participation_roots,
    participation_sent, received, recovery, recovery_answers, recovery_released, rejected, reports,
    service_logs, signups, team_members, teams, trust, users,
};
use crate::store::services::{FeedbackRow, ServiceLogRow};
use crate::store::signins::SigninRow;
use crate::store::teams::{InvitationRow, TeamMemberRow, TeamRow};
use crate::store::trust::TrustRow;
use crate::store::users::UserRow;
use crate::store::{AnyConnection, DbTarget, migrations_for, redact_url, run_migrations};

/// Rows per INSERT statement (the widest table, offers, binds 16 values a row).
const BATCH: usize = 256;

/// Every table of `store/schema.rs`, in the order they are copied. A database holding a table
/// not named here was made by a newer tongxin: the copy refuses it rather than drop data.
pub const TABLES: [&str; 45] = [
    "outbox",
    "out_streams",
    "in_streams",
    "held",
    "received",
    "rejected",
    "trust",
    "users",
    "offers",
    "needs",
    "claims",
    "deferred",
    "effects",
    "members",
    "member_key",
    "reports",
    "member_signins",
    "agreements",
    "activities",
    "signups",
    "checkins",
    "service_logs",
    "feedback",
    "households",
    "pairings",
    "teams",
    "team_members",
    "invitations",
    "emergencies",
    "emergency_calls",
    "emergency_volunteers",
    "buildings",
    "participation_sent",
    "need_escalations",
    "participation_parts",
    "participation_current",
    "participation_cells",
    "participation_roots",
    "participation_grids",
    "participation_pairs",
    "participation_flags",
    "need_events",
    "recovery",
    "recovery_answers",
    "recovery_released",
];

// Each table is copied as the store's row type for it, loaded with the table's default SELECT
// (all columns, in order): a column added to schema.rs but not to its row type fails to
// compile instead of being lost. `treat_none_as_default_value = false` on those types writes
// NULL explicitly, so a batch is one statement.

/// What `copy` did: rows per table, and where to.
#[derive(Debug, Clone)]
pub struct CopyReport {
    pub org_id: String,
    pub from: String,
    pub to: String,
    pub tables: Vec<(&'static str, u64)>,
}

impl CopyReport {
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, n)| *n)
    }
}

impl fmt::Display for CopyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "copied the database of {} from {} to {}:",
            self.org_id, self.from, self.to
        )?;
        for (table, n) in &self.tables {
            writeln!(f, "  {table:<12} {n:>9} rows")?;
        }
        writeln!(
            f,
            "Now point the node at the new database: set `url` under [database] in its \
             tongxin.toml, or TONGXIN_DATABASE_URL, to the URL given to --to ({}), then start it. \
             Keep the old database until the node runs well on the new one, and never run a node \
             on both.",
            self.to
        )
    }
}

/// Copies the database of the node configured in `config` (as `tongxin run` would open it,
/// `TONGXIN_DATABASE_URL` included) into the empty database at `to`, prints and returns the
/// row counts.
pub fn copy(config: &Path, to: &str) -> anyhow::Result<CopyReport> {
    let cfg = Config::load(config)?;
    let from_url = cfg.database_url().expose_secret().to_owned();
    let source_target = DbTarget {
        url: from_url.clone(),
        sqlite_synchronous_full: true,
    };
    let target = DbTarget {
        url: to.to_owned(),
        sqlite_synchronous_full: true,
    };
    if to.trim().is_empty() {
        bail!("--to must be a database URL (postgres://user@host/dbname or sqlite://FILE)");
    }
    if same_database(&from_url, to) {
        bail!(
            "--to names the node's own database ({}); give a new, empty database",
            redact_url(&from_url)
        );
    }

    // The source: it must exist and nobody may be using it.
    if !source_target.is_postgres() {
        let path = sqlite_path(&from_url);
        if !Path::new(path).is_file() {
            bail!(
                "the node's database {path} does not exist (check data_dir and database.url in {})",
                config.display()
            );
        }
    }
    let mut source = source_target
        .connect()
        .with_context(|| format!("cannot open the node's database {}", redact_url(&from_url)))?;
    claim_source(&mut source, &from_url)?;
    let pending = source
        .has_pending_migration(migrations_for(&source))
        .map_err(|e| anyhow::anyhow!("cannot read the migrations of the node's database: {e}"))?;
    if pending {
        bail!(
            "the node's database {} is not migrated to this version of tongxin: start the node \
             once with this version (it migrates on start), stop it, then copy",
            redact_url(&from_url)
        );
    }
    let unknown: Vec<String> = list_tables(&mut source)?
        .into_iter()
        .filter(|t| !TABLES.contains(&t.as_str()) && !is_bookkeeping(t))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "the node's database has tables this tongxin cannot copy ({}); use the tongxin that \
             made it",
            unknown.join(", ")
        );
    }

    // The target: migrated, and empty.
    let mut dest = target
        .connect()
        .with_context(|| format!("cannot open the target database {}", redact_url(to)))?;
    let foreign: Vec<String> = list_tables(&mut dest)?
        .into_iter()
        .filter(|t| !TABLES.contains(&t.as_str()) && !is_bookkeeping(t))
        .collect();
    if !foreign.is_empty() {
        bail!(
            "the target database {} holds other tables ({}); refusing to copy into it. Give an \
             empty database",
            redact_url(to),
            foreign.join(", ")
        );
    }
    run_migrations(&mut dest)
        .with_context(|| format!("cannot create the tables in {}", redact_url(to)))?;
    let held_rows: Vec<String> = row_counts(&mut dest)?
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t}: {n}"))
        .collect();
    if !held_rows.is_empty() {
        bail!(
            "the target database {} already holds data (rows in {}); refusing to copy into it. \
             Give an empty database (e.g. `createdb NEW` for PostgreSQL, a new file for SQLite)",
            redact_url(to),
            held_rows.join(", ")
        );
    }

    // One read transaction on the source, one write transaction on the target.
    let tables = source.transaction(|src| {
        dest.transaction(|dst| -> anyhow::Result<Vec<(&'static str, u64)>> {
            let tables = copy_all(src, dst)?;
            if let AnyConnection::Postgresql(_) = dst {
                for table in ["outbox", "rejected", "deferred", "need_events"] {
                    // The next generated id follows the highest copied one.
                    dst.batch_execute(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                    ))?;
                }
            }
            Ok(tables)
        })
    })?;
    let copied = row_counts(&mut dest)?;
    for (table, n) in &tables {
        let there = copied.iter().find(|(t, _)| t == table).map(|(_, c)| *c);
        if there != Some(*n as i64) {
            bail!("after the copy, {table} in the target holds {there:?} rows, not {n}");
        }
    }
    let report = CopyReport {
        org_id: cfg.org_id.to_string(),
        from: redact_url(&from_url),
        to: redact_url(to),
        tables,
    };
    print!("{report}");
    Ok(report)
}

/// Loads `$table` from `$src` as `$row` and inserts it into `$dst`, `BATCH` rows a statement.
macro_rules! copy_table {
    ($src:expr, $dst:expr, $table:ident, $row:ty) => {{
        let mut n: u64 = 0;
        let mut batch: Vec<$row> = Vec::with_capacity(BATCH);
        let rows = $table::table.load_iter::<$row, DefaultLoadingMode>($src)?;
        for row in rows {
            batch.push(row?);
            if batch.len() == BATCH {
                n += insert_batch!($dst, $table, &batch);
                batch.clear();
            }
        }
        if !batch.is_empty() {
            n += insert_batch!($dst, $table, &batch);
        }
        (stringify!($table), n)
    }};
}

macro_rules! insert_batch {
    ($dst:expr, $table:ident, $batch:expr) => {
        on_inner!($dst, |c| diesel::insert_into($table::table)
            .values($batch)
            .execute(c))? as u64
    };
}

fn copy_all(
    src: &mut AnyConnection,
    dst: &mut AnyConnection,
) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let tables = vec![
        copy_table!(src, dst, outbox, OutboxRow),
        copy_table!(src, dst, out_streams, OutStreamRow),
        copy_table!(src, dst, in_streams, InStream),
        copy_table!(src, dst, held, HeldRow),
        copy_table!(src, dst, received, ReceivedRow),
        copy_table!(src, dst, rejected, Rejected),
        copy_table!(src, dst, trust, TrustRow),
        copy_table!(src, dst, users, UserRow),
        copy_table!(src, dst, offers, OfferRow),
        copy_table!(src, dst, needs, NeedRow),
        copy_table!(src, dst, claims, ClaimRow),
        copy_table!(src, dst, deferred, Deferred),
        copy_table!(src, dst, effects, EffectsRow),
        copy_table!(src, dst, members, MemberRow),
        copy_table!(src, dst, member_key, MemberKeyRow),
        copy_table!(src, dst, reports, ReportRow),
        copy_table!(src, dst, member_signins, SigninRow),
        copy_table!(src, dst, agreements, AgreementRow),
        copy_table!(src, dst, activities, ActivityRow),
        copy_table!(src, dst, signups, SignupRow),
        copy_table!(src, dst, checkins, CheckinRow),
        copy_table!(src, dst, service_logs, ServiceLogRow),
        copy_table!(src, dst, feedback, FeedbackRow),
        copy_table!(src, dst, households, HouseholdRow),
        copy_table!(src, dst, pairings, PairingRow),
        copy_table!(src, dst, teams, TeamRow),
        copy_table!(src, dst, team_members, TeamMemberRow),
        copy_table!(src, dst, invitations, InvitationRow),
        copy_table!(src, dst, emergencies, EmergencyRow),
        copy_table!(src, dst, emergency_calls, CallRow),
        copy_table!(src, dst, emergency_volunteers, VolunteerRow),
        copy_table!(src, dst, buildings, BuildingRow),
        copy_table!(src, dst, participation_sent, SentRow),
        copy_table!(src, dst, need_escalations, EscalationRow),
        copy_table!(src, dst, participation_parts, PartRow),
        copy_table!(src, dst, participation_current, CurrentRow),
        copy_table!(src, dst, participation_cells, CellRow),
        copy_table!(src, dst, participation_roots, RootRow),
        copy_table!(src, dst, participation_grids, GridCellRow),
        copy_table!(src, dst, participation_pairs, PairRow),
        copy_table!(src, dst, participation_flags, FlagRow),
        copy_table!(src, dst, need_events, EventRow),
        copy_table!(src, dst, recovery, RecoveryRow),
        copy_table!(src, dst, recovery_answers, Answer),
        copy_table!(src, dst, recovery_released, ReleasedRow),
    ];
    debug_assert_eq!(tables.len(), TABLES.len());
    Ok(tables)
}

/// Makes sure no node uses the source. SQLite: takes an exclusive lock held until the
/// connection closes (`locking_mode=EXCLUSIVE`); it fails while any other connection has the
/// file open, and keeps a node from starting on it during the copy. PostgreSQL: refuses if any
/// other session is connected to the database.
pub(crate) fn claim_source(conn: &mut AnyConnection, url: &str) -> anyhow::Result<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            let locked = c.batch_execute(
                "PRAGMA busy_timeout = 2000; PRAGMA locking_mode = EXCLUSIVE; \
                 BEGIN EXCLUSIVE; COMMIT;",
            );
            if let Err(e) = locked {
                bail!(
                    "the node's database {} is in use ({e}): stop the node first (e.g. `systemctl \
                     stop tongxin@ORG`), and close any other program that has it open",
                    sqlite_path(url)
                );
            }
        }
        AnyConnection::Postgresql(c) => {
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = BigInt)]
                n: i64,
            }
            let others = diesel::sql_query(
                "SELECT COUNT(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .get_result::<Count>(c)?
            .n;
            if others > 0 {
                bail!(
                    "{others} other session(s) are connected to the node's database {}: stop the \
                     node first (e.g. `systemctl stop tongxin@ORG`) and close other clients",
                    redact_url(url)
                );
            }
        }
    }
    Ok(())
}

/// How many tables the database has (a restore needs an empty one).
pub(crate) fn table_count(conn: &mut AnyConnection) -> anyhow::Result<usize> {
    Ok(list_tables(conn)?
        .into_iter()
        .filter(|t| !t.starts_with("sqlite_"))
        .count())
}

fn list_tables(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let sql = match conn {
        AnyConnection::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table'",
        AnyConnection::Postgresql(_) => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        }
    };
    Ok(diesel::sql_query(sql)
        .load::<Name>(conn)?
        .into_iter()
        .map(|n| n.name)
        .collect())
}

/// Tables not copied: the database's own, and the text search index (store/search.rs), which
/// the node rebuilds from the listings when it first starts on the copy.
fn is_bookkeeping(table: &str) -> bool {
    table == "__diesel_schema_migrations"
        || table.starts_with("sqlite_")
        || table.starts_with("search_")
}

/// Rows per table, for every table of `TABLES` (a test checks the two lists agree).
fn row_counts(conn: &mut AnyConnection) -> anyhow::Result<Vec<(&'static str, i64)>> {
    Ok(vec![
        ("outbox", outbox::table.count().get_result(conn)?),
        ("out_streams", out_streams::table.count().get_result(conn)?),
        ("in_streams", in_streams::table.count().get_result(conn)?),
        ("held", held::table.count().get_result(conn)?),
        ("received", received::table.count().get_result(conn)?),
        ("rejected", rejected::table.count().get_result(conn)?),
        ("trust", trust::table.count().get_result(conn)?),
        ("users", users::table.count().get_result(conn)?),
        ("offers", offers::table.count().get_result(conn)?),
        ("needs", needs::table.count().get_result(conn)?),
        ("claims", claims::table.count().get_result(conn)?),
        ("deferred", deferred::table.count().get_result(conn)?),
        ("effects", effects::table.count().get_result(conn)?),
        ("members", members::table.count().get_result(conn)?),
        ("member_key", member_key::table.count().get_result(conn)?),
        ("reports", reports::table.count().get_result(conn)?),
        (
            "member_signins",
            member_signins::table.count().get_result(conn)?,
        ),
        ("agreements", agreements::table.count().get_result(conn)?),
        ("activities", activities::table.count().get_result(conn)?),
        ("signups", signups::table.count().get_result(conn)?),
        ("checkins", checkins::table.count().get_result(conn)?),
        (
            "service_logs",
            service_logs::table.count().get_result(conn)?,
        ),
        ("feedback", feedback::table.count().get_result(conn)?),
        ("households", households::table.count().get_result(conn)?),
        ("pairings", pairings::table.count().get_result(conn)?),
        ("teams", teams::table.count().get_result(conn)?),
        (
            "team_members",
            team_members::table.count().get_result(conn)?,
        ),
        ("invitations", invitations::table.count().get_result(conn)?),
        ("emergencies", emergencies::table.count().get_result(conn)?),
        (
            "emergency_calls",
            emergency_calls::table.count().get_result(conn)?,
        ),
        (
            "emergency_volunteers",
            emergency_volunteers::table.count().get_result(conn)?,
        ),
        ("buildings", buildings::table.count().get_result(conn)?),
        (
            "participation_sent",
            participation_sent::table.count().get_result(conn)?,
        ),
        (
            "need_escalations",
            need_escalations::table.count().get_result(conn)?,
        ),
        (
            "participation_parts",
            participation_parts::table.count().get_result(conn)?,
        ),
        (
            "participation_current",
            participation_current::table.count().get_result(conn)?,
        ),
        (
            "participation_cells",
            participation_cells::table.count().get_result(conn)?,
        ),
        (
            "participation_roots",
            participation_roots::table.count().get_result(conn)?,
        ),
        (
            "participation_grids",
            participation_grids::table.count().get_result(conn)?,
        ),
        (
            "participation_pairs",
            participation_pairs::table.count().get_result(conn)?,
        ),
        (
            "participation_flags",
            participation_flags::table.count().get_result(conn)?,
        ),
        ("need_events", need_events::table.count().get_result(conn)?),
        ("recovery", recovery::table.count().get_result(conn)?),
        (
            "recovery_answers",
            recovery_answers::table.count().get_result(conn)?,
        ),
        (
            "recovery_released",
            recovery_released::table.count().get_result(conn)?,
        ),
    ])
}

pub(crate) fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

fn same_database(a: &str, b: &str) -> bool {
    let norm = |u: &str| -> String {
        if u.starts_with("postgres://") || u.starts_with("postgresql://") {
            u.replacen("postgresql://", "postgres://", 1)
        } else {
            let p = Path::new(sqlite_path(u));
            p.canonicalize()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| p.display().to_string())
        }
    };
    norm(a) == norm(b)
}

/// `tongxin db archive`: the daily archives due, written as the running node writes them.
pub fn archive(config: &Path) -> anyhow::Result<()> {
    let cfg = crate::config::Config::load(config)?;
    let node = crate::state::Node::open(cfg, crate::clock::Clock::system())?;
    let mut conn = node.store.target.connect()?;
    let dir = crate::archive::dir(&node.cfg.data_dir);
    let written = crate::archive::write_missing(&mut conn, &node.signer, &dir, node.clock.now_s())?;
    for f in &written {
        println!("{}", f.display());
    }
    eprintln!(
        "{} archive(s) written; every finished day up to yesterday is in {}",
        written.len(),
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_copy_and_the_count_name_every_table_of_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let target = DbTarget {
            url,
            sqlite_synchronous_full: false,
        };
        let mut src = target.connect().unwrap();
        run_migrations(&mut src).unwrap();
        let counted: Vec<&str> = row_counts(&mut src).unwrap().iter().map(|r| r.0).collect();
        assert_eq!(counted, TABLES);
        let other = dir.path().join("d.db");
        let mut dst = DbTarget {
            url: format!("sqlite://{}", other.display()),
            sqlite_synchronous_full: false,
        }
        .connect()
        .unwrap();
        run_migrations(&mut dst).unwrap();
        let copied: Vec<&str> = copy_all(&mut src, &mut dst)
            .unwrap()
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(copied, TABLES);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://tx:s3cret@db.example:5432/tongxin"),
            "postgres://tx:***@db.example:5432/tongxin"
        );
        assert_eq!(
            redact_url("postgres://tx@db.example/tongxin"),
            "postgres://tx@db.example/tongxin"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/x.db"),
            "sqlite:///var/lib/x.db"
        );
        let target = DbTarget {
            url: "postgres://tx:s3cret@db/tongxin".into(),
            sqlite_synchronous_full: true,
        };
        assert!(!format!("{target:?}").contains("s3cret"));
    }

    #[test]
    fn the_same_database_is_recognised() {
        assert!(same_database("postgresql://a@h/db", "postgres://a@h/db"));
        assert!(!same_database("sqlite:///tmp/a.db", "postgres://a@h/db"));
    }
}
