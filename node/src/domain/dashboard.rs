//! The organisation department's figures (参与情况): what the auditor's dashboard, its CSV
//! tables and `GET /api/v1/participation` show, computed once here from the reports the
//! department holds (`domain::oversight`), so that the three always agree.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::bodies::ReportPeriod;
use tongxin_schema::{OrgId, OrgKind, period};

use super::oversight::{Difference, is_producer};
use crate::store::participation::{self as rows, CurrentRow};
use crate::store::{AnyConnection, StoreResult};

/// Which figures: one period (the series ends with it), the organisations of one street and
/// of one kind.
#[derive(Debug, Clone)]
pub struct Filter {
    pub period: ReportPeriod,
    /// Any moment of the period.
    pub at: i64,
    pub street: Option<OrgId>,
    pub kind: Option<OrgKind>,
}

/// How many periods the series shows: 30 days or 12 months.
fn series_len(p: ReportPeriod) -> usize {
    match p {
        ReportPeriod::Day => 30,
        ReportPeriod::Month => 12,
    }
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Producers on the roster that the filter selects.
    pub producers: u32,
    /// Of them, with a complete home report (and host report) for the period.
    pub reported_home: u32,
    pub reported_host: u32,
    pub members: i64,
    pub members_reported: i64,
    pub members_active: i64,
    /// members_active / members, in per cent (one decimal).
    pub participation_pct: f64,
    /// Credited at the homes (each check-in once).
    pub checkins: i64,
    pub minutes: i64,
    pub activities: i64,
    pub needs_fulfilled: i64,
    pub wishes_confirmed: i64,
    pub escalations: i64,
    pub emergency_posts: i64,
    pub emergency_posts_filled: i64,
    pub median_fill_secs: Option<i64>,
    pub pairs_agree: u32,
    pub pairs_differ: u32,
    pub pairs_pending: u32,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OrgFigures {
    pub org: String,
    pub name: String,
    pub kind: OrgKind,
    pub street: Option<String>,
    /// Whether its home report of the period is here (complete).
    pub reported: bool,
    pub members: i64,
    pub members_reported: i64,
    pub members_active: i64,
    pub participation_pct: f64,
    pub checkins: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SeriesPoint {
    pub label: String,
    pub period_start: i64,
    pub members_active: i64,
    pub checkins: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HostFigures {
    pub org: String,
    pub name: String,
    pub kind: OrgKind,
    pub members_hosted: i64,
    pub reporting_members: i64,
    pub activities: i64,
    pub checkins: i64,
    pub minutes: i64,
    pub needs_fulfilled: i64,
    pub wishes_confirmed: i64,
    pub escalations: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GridFigures {
    pub org: String,
    pub name: String,
    pub grid: String,
    pub checkins: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CategoryFigures {
    pub category: String,
    pub checkins: i64,
    pub minutes: i64,
    /// Cells of this category below their sender's k: counted in the totals, not here.
    pub suppressed_cells: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EmergencyFigures {
    pub org: String,
    pub name: String,
    pub posts: i64,
    pub filled: i64,
    pub median_fill_secs: Option<i64>,
    pub max_fill_secs: Option<i64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FlagView {
    pub id: String,
    pub home: String,
    pub home_name: String,
    pub host: String,
    pub host_name: String,
    pub period: String,
    pub differences: Vec<Difference>,
    /// The message ids of the parts of each side's report compared: the evidence
    /// (`GET /api/v1/participation/evidence/{jti}`, checked with `tongxin verify`).
    pub home_jtis: Vec<String>,
    pub host_jtis: Vec<String>,
    pub raised_ms: i64,
    /// Set once a later revision agreed.
    pub cleared_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Dashboard {
    pub period: ReportPeriod,
    pub period_start: i64,
    pub label: String,
    pub summary: Summary,
    /// Sorted by participation, highest first: the top and the lagging at either end.
    pub orgs: Vec<OrgFigures>,
    pub series: Vec<SeriesPoint>,
    pub hosts: Vec<HostFigures>,
    pub grids: Vec<GridFigures>,
    pub categories: Vec<CategoryFigures>,
    pub emergencies: Vec<EmergencyFigures>,
    pub flags: Vec<FlagView>,
}

fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

/// The organisations the filter selects: producers of the kind, in the street (the street
/// itself and those whose parent it is).
fn selected(roster: &Roster, f: &Filter) -> BTreeMap<String, (String, OrgKind, Option<String>)> {
    roster
        .orgs()
        .iter()
        .filter(|o| is_producer(o.kind))
        .filter(|o| f.kind.is_none_or(|k| o.kind == k))
        .filter(|o| {
            f.street
                .as_ref()
                .is_none_or(|s| &o.id == s || o.parent.as_ref() == Some(s))
        })
        .map(|o| {
            (
                o.id.to_string(),
                (
                    o.name.to_string(),
                    o.kind,
                    o.parent.as_ref().map(|p| p.to_string()),
                ),
            )
        })
        .collect()
}

/// Everything the dashboard shows for `f`.
pub fn dashboard(conn: &mut AnyConnection, roster: &Roster, f: &Filter) -> StoreResult<Dashboard> {
    let (start, end) = period::bounds(f.period, f.at);
    let p: &str = f.period.into();
    let orgs = selected(roster, f);
    let name = |id: &str| -> String {
        roster
            .orgs()
            .iter()
            .find(|o| o.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |o| o.name.to_string())
    };
    let current: Vec<CurrentRow> = rows::current_between(conn, p, start, end)?
        .into_iter()
        .filter(|c| orgs.contains_key(&c.iss))
        .collect();
    let homes: HashMap<&str, &CurrentRow> = current
        .iter()
        .filter(|c| c.side == "home")
        .map(|c| (c.iss.as_str(), c))
        .collect();
    let hosts: Vec<&CurrentRow> = current.iter().filter(|c| c.side == "host").collect();

    let mut summary = Summary {
        producers: u32::try_from(orgs.len()).unwrap_or(u32::MAX),
        reported_home: u32::try_from(homes.len()).unwrap_or(u32::MAX),
        reported_host: u32::try_from(hosts.len()).unwrap_or(u32::MAX),
        ..Summary::default()
    };
    let mut org_rows = Vec::new();
    for (id, (org_name, kind, street)) in &orgs {
        let h = homes.get(id.as_str());
        let g = |f: fn(&CurrentRow) -> i64| h.map_or(0, |c| f(c));
        let (members, active) = (g(|c| c.members), g(|c| c.members_active));
        org_rows.push(OrgFigures {
            org: id.clone(),
            name: org_name.clone(),
            kind: *kind,
            street: street.clone(),
            reported: h.is_some(),
            members,
            members_reported: g(|c| c.members_reported),
            members_active: active,
            participation_pct: pct(active, members),
            checkins: g(|c| c.checkins),
            minutes: g(|c| c.minutes),
        });
        summary.members += members;
        summary.members_reported += g(|c| c.members_reported);
        summary.members_active += active;
        summary.checkins += g(|c| c.checkins);
        summary.minutes += g(|c| c.minutes);
    }
    summary.participation_pct = pct(summary.members_active, summary.members);
    org_rows.sort_by(|a, b| {
        b.participation_pct
            .total_cmp(&a.participation_pct)
            .then_with(|| b.members_active.cmp(&a.members_active))
            .then_with(|| a.org.cmp(&b.org))
    });

    let mut host_rows = Vec::new();
    let mut emergencies = Vec::new();
    let mut fills_all = Vec::new();
    for c in &hosts {
        summary.activities += c.activities;
        summary.needs_fulfilled += c.needs_fulfilled;
        summary.wishes_confirmed += c.wishes_confirmed;
        summary.escalations += c.escalations;
        summary.emergency_posts += c.emergency_posts;
        summary.emergency_posts_filled += c.emergency_posts_filled;
        let kind = orgs.get(&c.iss).map_or(OrgKind::Community, |o| o.1);
        host_rows.push(HostFigures {
            org: c.iss.clone(),
            name: name(&c.iss),
            kind,
            members_hosted: c.members_hosted,
            reporting_members: c.reporting_members,
            activities: c.activities,
            checkins: c.checkins,
            minutes: c.minutes,
            needs_fulfilled: c.needs_fulfilled,
            wishes_confirmed: c.wishes_confirmed,
            escalations: c.escalations,
        });
        if c.emergency_posts > 0 {
            let fills: Vec<i64> = serde_json::from_str(&c.fill_secs).unwrap_or_default();
            fills_all.extend(&fills);
            emergencies.push(EmergencyFigures {
                org: c.iss.clone(),
                name: name(&c.iss),
                posts: c.emergency_posts,
                filled: c.emergency_posts_filled,
                max_fill_secs: fills.iter().max().copied(),
                median_fill_secs: median(fills),
            });
        }
    }
    summary.median_fill_secs = median(fills_all);
    host_rows.sort_by(|a, b| b.minutes.cmp(&a.minutes).then_with(|| a.org.cmp(&b.org)));

    let mut categories: BTreeMap<String, CategoryFigures> = BTreeMap::new();
    for c in rows::home_cells_of_period(conn, p, start)? {
        if !orgs.contains_key(&c.iss) {
            continue;
        }
        let e = categories
            .entry(c.category.clone())
            .or_insert_with(|| CategoryFigures {
                category: c.category.clone(),
                checkins: 0,
                minutes: 0,
                suppressed_cells: 0,
            });
        if c.suppressed {
            e.suppressed_cells += 1;
        } else {
            e.checkins += c.checkins;
            e.minutes += c.minutes;
        }
    }
    let mut categories: Vec<CategoryFigures> = categories.into_values().collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.minutes));

    let mut grids: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for g in rows::grids_of_period(conn, p, start)? {
        if orgs.contains_key(&g.iss) {
            let e = grids.entry((g.iss, g.grid)).or_default();
            e.0 += g.checkins;
            e.1 += g.minutes;
        }
    }
    let mut grid_rows: Vec<GridFigures> = grids
        .into_iter()
        .map(|((org, grid), (checkins, minutes))| GridFigures {
            name: name(&org),
            org,
            grid,
            checkins,
            minutes,
        })
        .collect();
    grid_rows.sort_by_key(|g| std::cmp::Reverse(g.minutes));

    let selected_pair = |home: &str, host: &str| orgs.contains_key(home) || orgs.contains_key(host);
    for pair in rows::pairs_of_period(conn, p, start)? {
        if !selected_pair(&pair.home, &pair.host) {
            continue;
        }
        match pair.state.as_str() {
            "agree" => summary.pairs_agree += 1,
            "differ" => summary.pairs_differ += 1,
            _ => summary.pairs_pending += 1,
        }
    }
    let flags = rows::flags_of_period(conn, p, start)?
        .into_iter()
        .filter(|fl| selected_pair(&fl.home, &fl.host))
        .map(|fl| FlagView {
            home_name: name(&fl.home),
            host_name: name(&fl.host),
            period: period::label(f.period, fl.period_start),
            differences: serde_json::from_str(&fl.differences).unwrap_or_default(),
            home_jtis: serde_json::from_str(&fl.home_jtis).unwrap_or_default(),
            host_jtis: serde_json::from_str(&fl.host_jtis).unwrap_or_default(),
            id: fl.id,
            home: fl.home,
            host: fl.host,
            raised_ms: fl.raised_ms,
            cleared_ms: fl.cleared_ms,
        })
        .collect();

    // The series: the periods up to this one.
    let mut starts = vec![start];
    while starts.len() < series_len(f.period) {
        let first = starts[starts.len() - 1];
        starts.push(period::previous(f.period, first).0);
    }
    starts.reverse();
    let mut points: BTreeMap<i64, (i64, i64, i64)> =
        starts.iter().map(|s| (*s, (0, 0, 0))).collect();
    for h in rows::home_series(conn, p, starts[0], end)? {
        if orgs.contains_key(&h.iss)
            && let Some(e) = points.get_mut(&h.period_start)
        {
            e.0 += h.members_active;
            e.1 += h.checkins;
            e.2 += h.minutes;
        }
    }
    let series = points
        .into_iter()
        .map(|(s, (members_active, checkins, minutes))| SeriesPoint {
            label: period::label(f.period, s),
            period_start: s,
            members_active,
            checkins,
            minutes,
        })
        .collect();

    Ok(Dashboard {
        period: f.period,
        period_start: start,
        label: period::label(f.period, start),
        summary,
        orgs: org_rows,
        series,
        hosts: host_rows,
        grids: grid_rows,
        categories,
        emergencies,
        flags,
    })
}
