//! The organisation department's side of participation reports (PROTOCOL.md §10): it keeps
//! every part it receives as evidence, reads the highest complete revision of each report, and
//! cross-checks the two sides of every (home, host, period) pair (§10.4). It never holds a
//! check-in, a name or a member reference: only the counts the producers signed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tongxin_schema::OrgKind;
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{
    ParticipationReported, ParticipationRequested, ParticipationSide, ReportPeriod,
};
use tongxin_schema::v1::text::Note;
use uuid::Uuid;

use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked};
use crate::store::participation::{
    self as rows, CellRow, CurrentRow, FlagRow, GridCellRow, Identity, PairRow, PartRow, RootRow,
};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox};

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("participation part: {what}"))
}

/// The fields every part of a report repeats (§10.2).
fn shared(b: &ParticipationReported) -> serde_json::Value {
    serde_json::json!([
        b.side,
        b.period,
        b.period_start,
        b.period_end,
        b.revision,
        b.parts,
        b.k,
        b.totals
    ])
}

impl Receive for ParticipationReported {
    /// At the organisation department: keep the part; once the report is complete, read it
    /// and cross-check its pairs.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let iss = from.org.as_str();
        let report_id = self.report_id.to_string();
        let id = Identity {
            side: self.side.into(),
            period: self.period.into(),
            period_start: self.period_start,
        };
        let held = rows::parts_of(conn, iss, &report_id)?;
        if let Some(first) = held.first() {
            if held.iter().any(|p| p.part == i64::from(self.part)) {
                return Ok(Refusal::new(
                    "duplicate_part",
                    format!("part {} of report {report_id} is held already", self.part),
                )
                .into());
            }
            let earlier: ParticipationReported =
                serde_json::from_str(&first.body).map_err(|_| corrupt(&first.report_id))?;
            if shared(&earlier) != shared(self) {
                return Ok(Refusal::new(
                    "part_mismatch",
                    format!(
                        "part {} of report {report_id} differs from part {} in the fields every part repeats",
                        self.part, first.part
                    ),
                )
                .into());
            }
            for p in &held {
                let other: ParticipationReported =
                    serde_json::from_str(&p.body).map_err(|_| corrupt(&p.report_id))?;
                if let Some(g) = self.grids.iter().find(|g| {
                    other
                        .grids
                        .iter()
                        .any(|o| o.grid == g.grid && o.category == g.category)
                }) {
                    return Ok(Refusal::new(
                        "part_mismatch",
                        format!(
                            "grid {} of this category is in part {} already",
                            g.grid, p.part
                        ),
                    )
                    .into());
                }
                if let Some(r) = self
                    .roots
                    .iter()
                    .find(|r| other.roots.iter().any(|o| o.counterpart == r.counterpart))
                {
                    return Ok(Refusal::new(
                        "part_mismatch",
                        format!(
                            "{} is in part {} already: everything about one counterpart is in one part",
                            r.counterpart, p.part
                        ),
                    )
                    .into());
                }
            }
        } else if let Some((revision, _)) = rows::highest_revision(conn, iss, id)?
            && revision >= i64::from(self.revision)
        {
            return Ok(Refusal::new(
                "stale_report",
                format!(
                    "revision {} of this report is not newer than revision {revision}, held already",
                    self.revision
                ),
            )
            .into());
        }
        rows::insert_part(
            conn,
            &PartRow {
                iss: iss.to_owned(),
                report_id: report_id.clone(),
                part: i64::from(self.part),
                side: id.side.to_owned(),
                period: id.period.to_owned(),
                period_start: self.period_start,
                revision: i64::from(self.revision),
                parts: i64::from(self.parts),
                jti: from.jti.to_string(),
                body: serde_json::to_string(self).map_err(|_| corrupt("body"))?,
                jws: from.jws.to_owned(),
                received_ms: from.at_ms,
            },
        )?;
        if held.len() + 1 == usize::from(self.parts) {
            let mut bodies: Vec<ParticipationReported> = held
                .iter()
                .map(|p| serde_json::from_str(&p.body).map_err(|_| corrupt(&p.report_id)))
                .collect::<StoreResult<_>>()?;
            bodies.push(self.clone());
            let newer = rows::current_of(conn, iss, id)?
                .is_none_or(|c| c.revision < i64::from(self.revision));
            if newer {
                read_complete(conn, iss, &report_id, &bodies, from.at_ms)?;
                cross_check(conn, iss, self.side, id, from.at_ms)?;
            }
        }
        Ok(Outcome::Applied)
    }
}

fn big(n: impl Into<u64>) -> i64 {
    i64::try_from(n.into()).unwrap_or(i64::MAX)
}

/// Spreads a complete report over the tables the dashboard reads.
fn read_complete(
    conn: &mut AnyConnection,
    iss: &str,
    report_id: &str,
    parts: &[ParticipationReported],
    at_ms: i64,
) -> StoreResult<()> {
    let Some(b) = parts.first() else {
        return Ok(());
    };
    let (side, period): (&str, &str) = (b.side.into(), b.period.into());
    let t = &b.totals;
    let current = CurrentRow {
        iss: iss.to_owned(),
        side: side.to_owned(),
        period: period.to_owned(),
        period_start: b.period_start,
        revision: i64::from(b.revision),
        report_id: report_id.to_owned(),
        k: i64::from(b.k),
        members: big(t.members),
        members_reported: big(t.members_reported),
        members_active: big(t.members_active),
        members_hosted: big(t.members_hosted),
        reporting_members: big(t.reporting_members),
        activities: big(t.activities),
        checkins: big(t.checkins),
        minutes: big(t.minutes),
        needs_fulfilled: big(t.needs_fulfilled),
        wishes_confirmed: big(t.wishes_confirmed),
        escalations: big(t.escalations),
        emergency_posts: big(t.emergency_posts),
        emergency_posts_filled: big(t.emergency_posts_filled),
        fill_secs: serde_json::to_string(&t.fill_secs).unwrap_or_else(|_| "[]".into()),
        received_ms: at_ms,
    };
    let cell = |counterpart: &str, category: &str, mode: &str| CellRow {
        iss: iss.to_owned(),
        side: side.to_owned(),
        period: period.to_owned(),
        period_start: b.period_start,
        counterpart: counterpart.to_owned(),
        category: category.to_owned(),
        mode: mode.to_owned(),
        suppressed: true,
        members: 0,
        checkins: 0,
        minutes: 0,
    };
    let (mut cells, mut roots, mut grids) = (Vec::new(), Vec::new(), Vec::new());
    for p in parts {
        for r in &p.rows {
            cells.push(CellRow {
                suppressed: false,
                members: big(r.members),
                checkins: big(r.checkins),
                minutes: big(r.minutes),
                ..cell(r.counterpart.as_str(), r.category.into(), r.mode.into())
            });
        }
        for s in &p.suppressed {
            cells.push(cell(
                s.counterpart.as_str(),
                s.category.into(),
                s.mode.into(),
            ));
        }
        for r in &p.roots {
            roots.push(RootRow {
                iss: iss.to_owned(),
                side: side.to_owned(),
                period: period.to_owned(),
                period_start: b.period_start,
                counterpart: r.counterpart.to_string(),
                checkins: big(r.checkins),
                root: r.root.clone(),
            });
        }
        for g in &p.grids {
            grids.push(GridCellRow {
                iss: iss.to_owned(),
                period: period.to_owned(),
                period_start: b.period_start,
                grid: g.grid.to_string(),
                category: <&str>::from(g.category).to_owned(),
                members: big(g.members),
                checkins: big(g.checkins),
                minutes: big(g.minutes),
            });
        }
    }
    rows::replace_current(conn, &current, &cells, &roots, &grids)
}

/// One difference between the two sides of a pair (§10.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "what", rename_all = "kebab-case")]
pub enum Difference {
    /// The Merkle roots differ: a check-in one side counts and the other does not.
    Root {
        home_checkins: i64,
        home_root: String,
        host_checkins: i64,
        host_root: String,
    },
    /// A cell (category, mode) with different figures, or suppressed by one side only; `None`
    /// is a side that does not list the cell, `suppressed` one that lists it by key only.
    Cell {
        category: String,
        mode: String,
        home: Option<CellFigures>,
        host: Option<CellFigures>,
    },
    /// One side lists the pair and the other, whose report is complete, does not.
    Missing { side: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CellFigures {
    pub suppressed: bool,
    pub members: i64,
    pub checkins: i64,
    pub minutes: i64,
}

impl From<&CellRow> for CellFigures {
    fn from(c: &CellRow) -> CellFigures {
        CellFigures {
            suppressed: c.suppressed,
            members: c.members,
            checkins: c.checkins,
            minutes: c.minutes,
        }
    }
}

/// Cross-checks every pair the report of `iss` takes part in: those it names and those whose
/// other side names it.
fn cross_check(
    conn: &mut AnyConnection,
    iss: &str,
    side: ParticipationSide,
    id: Identity<'_>,
    at_ms: i64,
) -> StoreResult<()> {
    let other = Identity {
        side: match side {
            ParticipationSide::Home => "host",
            ParticipationSide::Host => "home",
        },
        ..id
    };
    let mut counterparts: BTreeSet<String> =
        rows::counterparts_of(conn, iss, id)?.into_iter().collect();
    counterparts.extend(rows::naming(conn, other, iss)?);
    // And the pairs it was in before: a revision that no longer names one is compared again.
    counterparts.extend(rows::paired_with(
        conn,
        id.period,
        id.period_start,
        id.side,
        iss,
    )?);
    for cp in counterparts {
        let (home, host) = match side {
            ParticipationSide::Home => (iss.to_owned(), cp),
            ParticipationSide::Host => (cp, iss.to_owned()),
        };
        check_pair(conn, id.period, id.period_start, &home, &host, at_ms)?;
    }
    Ok(())
}

/// Compares the two sides of one pair and records the result; raises a flag on a difference
/// and clears it when a later revision agrees (the flag stays on record).
pub fn check_pair(
    conn: &mut AnyConnection,
    period: &str,
    start: i64,
    home: &str,
    host: &str,
    at_ms: i64,
) -> StoreResult<()> {
    let hid = Identity {
        side: "home",
        period,
        period_start: start,
    };
    let sid = Identity {
        side: "host",
        ..hid
    };
    let home_report = rows::current_of(conn, home, hid)?;
    let host_report = rows::current_of(conn, host, sid)?;
    let jtis =
        |conn: &mut AnyConnection, iss: &str, r: &Option<CurrentRow>| -> StoreResult<String> {
            let list: Vec<String> = match r {
                Some(r) => rows::parts_of(conn, iss, &r.report_id)?
                    .into_iter()
                    .map(|p| p.jti)
                    .collect(),
                None => Vec::new(),
            };
            Ok(serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()))
        };
    // Neither side names the other (a revision dropped the pair): no pair any more.
    if rows::root_for(conn, home, hid, host)?.is_none()
        && rows::root_for(conn, host, sid, home)?.is_none()
    {
        rows::delete_pair(conn, period, start, home, host)?;
        if let Some(f) = rows::open_flag(conn, period, start, home, host)? {
            rows::clear_flag(conn, &f.id, at_ms)?;
        }
        return Ok(());
    }
    let (home_jtis, host_jtis) = (
        jtis(conn, home, &home_report)?,
        jtis(conn, host, &host_report)?,
    );
    let (state, differences) = if home_report.is_none() || host_report.is_none() {
        ("pending", Vec::new())
    } else {
        let k = |r: &Option<CurrentRow>| r.as_ref().map_or(1, |r| r.k);
        let d = differences(
            conn,
            hid,
            sid,
            home,
            host,
            (k(&home_report), k(&host_report)),
        )?;
        (if d.is_empty() { "agree" } else { "differ" }, d)
    };
    let differences = serde_json::to_string(&differences).unwrap_or_else(|_| "[]".into());
    rows::put_pair(
        conn,
        &PairRow {
            period: period.to_owned(),
            period_start: start,
            home: home.to_owned(),
            host: host.to_owned(),
            state: state.to_owned(),
            differences: differences.clone(),
            home_jtis: home_jtis.clone(),
            host_jtis: host_jtis.clone(),
            updated_ms: at_ms,
        },
    )?;
    let open = rows::open_flag(conn, period, start, home, host)?;
    match state {
        "differ" => {
            if open.as_ref().is_some_and(|f| f.differences == differences) {
                return Ok(());
            }
            if let Some(f) = open {
                rows::clear_flag(conn, &f.id, at_ms)?;
            }
            rows::insert_flag(
                conn,
                &FlagRow {
                    id: Uuid::now_v7().to_string(),
                    period: period.to_owned(),
                    period_start: start,
                    home: home.to_owned(),
                    host: host.to_owned(),
                    differences,
                    home_jtis,
                    host_jtis,
                    raised_ms: at_ms,
                    cleared_ms: None,
                },
            )?;
        }
        "agree" => {
            if let Some(f) = open {
                rows::clear_flag(conn, &f.id, at_ms)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// What differs between H's and S's complete reports about each other (§10.4).
fn differences(
    conn: &mut AnyConnection,
    hid: Identity<'_>,
    sid: Identity<'_>,
    home: &str,
    host: &str,
    (home_k, host_k): (i64, i64),
) -> StoreResult<Vec<Difference>> {
    let mut out = Vec::new();
    let home_root = rows::root_for(conn, home, hid, host)?;
    let host_root = rows::root_for(conn, host, sid, home)?;
    match (&home_root, &host_root) {
        (Some(h), Some(s)) => {
            if h.checkins != s.checkins || h.root != s.root {
                out.push(Difference::Root {
                    home_checkins: h.checkins,
                    home_root: h.root.clone(),
                    host_checkins: s.checkins,
                    host_root: s.root.clone(),
                });
            }
        }
        (Some(_), None) => out.push(Difference::Missing {
            side: "host".into(),
        }),
        (None, Some(_)) => out.push(Difference::Missing {
            side: "home".into(),
        }),
        (None, None) => {}
    }
    let mut cells: BTreeMap<(String, String), (Option<CellFigures>, Option<CellFigures>)> =
        BTreeMap::new();
    // A cell one side lists below the other side's k is one the other was right to leave out.
    let seen_by = |c: &CellRow, other_k: i64| -> CellFigures {
        if !c.suppressed && c.members < other_k {
            CellFigures {
                suppressed: true,
                members: 0,
                checkins: 0,
                minutes: 0,
            }
        } else {
            c.into()
        }
    };
    for c in rows::cells_for(conn, home, hid, host)? {
        cells
            .entry((c.category.clone(), c.mode.clone()))
            .or_default()
            .0 = Some(seen_by(&c, host_k));
    }
    for c in rows::cells_for(conn, host, sid, home)? {
        cells
            .entry((c.category.clone(), c.mode.clone()))
            .or_default()
            .1 = Some(seen_by(&c, home_k));
    }
    for ((category, mode), (h, s)) in cells {
        if h != s {
            out.push(Difference::Cell {
                category,
                mode,
                home: h,
                host: s,
            });
        }
    }
    Ok(out)
}

/// What the department asks producers for again.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ParticipationRequestInput")]
pub struct NewRequest {
    pub period: ReportPeriod,
    /// Any moment of the period (Unix seconds); the period containing it is asked for.
    pub at: i64,
    /// The producers asked; every producer on the roster when absent.
    pub orgs: Option<Vec<tongxin_schema::OrgId>>,
    /// Both sides when absent.
    pub sides: Option<Vec<ParticipationSide>>,
    pub note: Option<Note>,
}

/// The kinds that send participation reports (§6.1: every kind but the department).
pub fn is_producer(kind: OrgKind) -> bool {
    kind != OrgKind::OrgDepartment
}

/// Asks producers for their reports of one period again (`participation.requested`). Returns
/// how many were asked.
pub fn request(
    conn: &mut AnyConnection,
    actor: &Actor,
    r: NewRequest,
) -> Result<usize, ActionError> {
    if actor.signer.kind() != OrgKind::OrgDepartment {
        return Err(
            Invalid::Conflict("only the organisation department asks for reports".into()).into(),
        );
    }
    let (start, _) = tongxin_schema::period::bounds(r.period, r.at);
    let sides = r
        .sides
        .unwrap_or_else(|| vec![ParticipationSide::Home, ParticipationSide::Host]);
    let producers: Vec<tongxin_schema::OrgId> = actor
        .roster
        .orgs()
        .iter()
        .filter(|o| is_producer(o.kind))
        .map(|o| o.id.clone())
        .collect();
    let asked = match r.orgs {
        Some(list) => {
            if let Some(o) = list.iter().find(|o| !producers.contains(o)) {
                return Err(
                    Invalid::field("orgs", format!("{o} is not a producer on the roster")).into(),
                );
            }
            list
        }
        None => producers,
    };
    for org in &asked {
        let body = checked(ParticipationRequested {
            request_id: Uuid::now_v7(),
            sides: sides.clone(),
            period: r.period,
            period_start: start,
            note: r.note.clone(),
        })?;
        outbox::enqueue(
            conn,
            actor.signer,
            actor.now_ms,
            Audience::Org(org.clone()),
            body,
        )?;
    }
    Ok(asked.len())
}
