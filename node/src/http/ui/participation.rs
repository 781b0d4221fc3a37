//! 参与情况 (the organisation department's dashboard), for its auditors: the figures of
//! `domain::dashboard` as tables and server-drawn SVG charts (no script), each table also as
//! CSV (`/participation.csv?table=…`, with the same filters), and the cross-check's flags
//! with the signed reports behind them. The same figures as `GET /api/v1/participation`.

use std::collections::HashMap;
use std::fmt::Write as _;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::OrgKind;
use tongxin_schema::token::Role;

use super::{Base, NodeData, T, base, lang, page, refuse};
use crate::domain::dashboard::Dashboard;
use crate::domain::oversight::Difference;
use crate::http::api::participation::{FigureQuery, figures};

/// How many organisations the participation chart shows at each end of a long list.
const CHART_ENDS: usize = 10;

/// Escapes text for SVG (XML).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Hours with one decimal, from minutes.
pub fn hours(minutes: impl std::borrow::Borrow<i64>) -> String {
    format!("{:.1}", *minutes.borrow() as f64 / 60.0)
}

/// A horizontal bar chart: one bar per (label, value), the value written at its end.
fn bars(title: &str, items: &[(String, f64, String)], colour: &str) -> String {
    let (row, label_w, width) = (22, 190.0, 640.0);
    let height = 30 + row * items.len().max(1);
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max).max(1e-9);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (label, value, text)) in items.iter().enumerate() {
        let y = 20 + i * row;
        let w = (width - label_w - 70.0) * value / max;
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{l}</text><rect x="{x}" y="{y}" width="{w:.1}" height="16" fill="{colour}"/><text x="{vx:.1}" y="{ty}" font-size="12">{v}</text>"#,
            lx = label_w - 6.0,
            ty = y + 12,
            l = esc(label),
            x = label_w,
            vx = label_w + w + 4.0,
            v = esc(text),
        );
    }
    if items.is_empty() {
        s.push_str(r##"<text x="10" y="36" font-size="12" fill="#666">—</text>"##);
    }
    s.push_str("</svg>");
    s
}

/// Columns over time (active members) with a line (hours), each on its own scale.
fn series(title: &str, d: &Dashboard, legend: (&str, &str)) -> String {
    let (width, height, left, bottom) = (640.0, 240.0, 40.0, 40.0);
    let n = d.series.len().max(1) as f64;
    let step = (width - left - 10.0) / n;
    let max_a = d
        .series
        .iter()
        .map(|p| p.members_active)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let max_h = d.series.iter().map(|p| p.minutes).max().unwrap_or(0).max(1) as f64;
    let plot = height - bottom - 24.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        s,
        r##"<rect x="{left}" y="4" width="12" height="10" fill="#c62828"/><text x="{lx}" y="13" font-size="12">{a}</text><line x1="{l2}" y1="9" x2="{l3}" y2="9" stroke="#1565c0" stroke-width="2"/><text x="{lx2}" y="13" font-size="12">{h}</text>"##,
        lx = left + 16.0,
        a = esc(legend.0),
        l2 = left + 160.0,
        l3 = left + 180.0,
        lx2 = left + 184.0,
        h = esc(legend.1),
    );
    let mut line = String::new();
    for (i, p) in d.series.iter().enumerate() {
        let x = left + step * i as f64;
        let h = plot * p.members_active as f64 / max_a;
        let y0 = height - bottom;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="#c62828"><title>{l}: {v}</title></rect>"##,
            y = y0 - h,
            w = (step * 0.7).max(1.0),
            l = esc(&p.label),
            v = p.members_active,
        );
        let hy = y0 - plot * p.minutes as f64 / max_h;
        let _ = write!(line, "{:.1},{:.1} ", x + step * 0.35, hy);
        // Every label on a short series, every fifth on a long one.
        if d.series.len() <= 12 || i % 5 == 0 || i + 1 == d.series.len() {
            let _ = write!(
                s,
                r#"<text x="{tx:.1}" y="{ty}" font-size="10" text-anchor="middle">{l}</text>"#,
                tx = x + step * 0.35,
                ty = height - bottom + 14.0,
                l = esc(p.label.get(5..).unwrap_or(&p.label)),
            );
        }
    }
    let _ = write!(
        s,
        r##"<polyline points="{line}" fill="none" stroke="#1565c0" stroke-width="2"/><text x="4" y="{ty}" font-size="10">{ma}</text><text x="4" y="{by}" font-size="10">0</text></svg>"##,
        ty = height - bottom - plot + 4.0,
        ma = max_a,
        by = height - bottom,
    );
    s
}

struct FlagLine {
    pair: String,
    period: String,
    what: Vec<String>,
    home_jtis: Vec<String>,
    host_jtis: Vec<String>,
    raised: String,
    cleared: Option<String>,
}

#[derive(Template)]
#[template(path = "participation.html")]
struct ParticipationPage {
    t: T,
    base: Base,
    d: Dashboard,
    /// The filters as given, for the form and the CSV links.
    period: String,
    at: String,
    street: String,
    kind: String,
    query: String,
    streets: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    names: HashMap<String, String>,
    rate_chart: String,
    series_chart: String,
    fill_chart: String,
    flags: Vec<FlagLine>,
    top: usize,
}

impl ParticipationPage {
    fn kind_name(&self, k: &OrgKind) -> String {
        self.t.t(&k.to_string()).into_owned()
    }
    fn category_name(&self, c: &str) -> String {
        self.t.t(&format!("activity-{c}")).into_owned()
    }
    fn street_name(&self, s: &Option<String>) -> String {
        s.as_ref()
            .map(|id| self.names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .unwrap_or_default()
    }
}

/// The figures are for the organisation department's auditors only.
fn for_auditors(a: &crate::http::auth::Auth, node: &NodeData) -> bool {
    a.claims.role == Role::Auditor && node.cfg.kind == OrgKind::OrgDepartment
}

/// A moment (Unix ms), Beijing time.
fn when(ms: i64) -> String {
    super::activities::when(ms.div_euclid(1000))
}

fn cell_text(t: &T, f: &Option<crate::domain::oversight::CellFigures>) -> String {
    match f {
        None => t.t("participation-cell_absent").into_owned(),
        Some(c) if c.suppressed => t.t("participation-cell_suppressed").into_owned(),
        Some(c) => format!(
            "{} {} · {} {} · {} {}",
            c.members,
            t.t("participation-people"),
            c.checkins,
            t.t("participation-times"),
            hours(c.minutes),
            t.t("participation-hours_unit")
        ),
    }
}

/// A difference in words.
fn describe(t: &T, d: &Difference) -> String {
    match d {
        Difference::Root {
            home_checkins,
            host_checkins,
            ..
        } => format!(
            "{}：{} {home_checkins}，{} {host_checkins}",
            t.t("participation-diff_root"),
            t.t("participation-side_home"),
            t.t("participation-side_host")
        ),
        Difference::Cell {
            category,
            mode,
            home,
            host,
        } => format!(
            "{} · {}：{} {}，{} {}",
            t.t(&format!("activity-{category}")),
            t.t(&format!("participation-mode-{mode}")),
            t.t("participation-side_home"),
            cell_text(t, home),
            t.t("participation-side_host"),
            cell_text(t, host)
        ),
        Difference::Missing { side } => t
            .t(&format!("participation-diff_missing_{side}"))
            .into_owned(),
    }
}

pub async fn dashboard(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    if !for_auditors(&a, &node) {
        return refuse(&req, &node, "/offers", &t.t("participation-auditor_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let fq = FigureQuery {
        period: Some(get("period")),
        at: Some(get("at")),
        street: Some(get("street")),
        kind: Some(get("kind")),
    };
    let d = match figures(&node, &fq).await {
        Ok(d) => d,
        // A filter that does not parse: back to the current month, with the reason (from the
        // page without filters, where the reason cannot be a filter, to the offers).
        Err(e) => {
            let to = if q.is_empty() {
                "/offers"
            } else {
                "/participation"
            };
            return super::back(&node, to, Err(e), t);
        }
    };
    let roster = node.roster();
    let names: HashMap<String, String> = roster
        .orgs()
        .iter()
        .map(|o| (o.id.to_string(), o.name.to_string()))
        .collect();
    let streets = roster
        .orgs()
        .iter()
        .filter(|o| o.kind == OrgKind::Street)
        .map(|o| (o.id.to_string(), o.name.to_string()))
        .collect();
    let kinds = [
        OrgKind::Street,
        OrgKind::Community,
        OrgKind::BuildingAlliance,
        OrgKind::NewEmployment,
        OrgKind::CoBuildingUnit,
    ]
    .into_iter()
    .map(|k| (k.to_string(), t.t(&k.to_string()).into_owned()))
    .collect();
    let period: &str = d.period.into();
    let query = serde_html_form::to_string([
        ("period", period),
        ("at", d.label.as_str()),
        ("street", &get("street")),
        ("kind", &get("kind")),
    ])
    .unwrap_or_default();
    // The chart shows the top and the lagging ten of a long list (the table lists them all).
    let reported: Vec<&crate::domain::dashboard::OrgFigures> = d
        .orgs
        .iter()
        .filter(|o| o.reported && o.members > 0)
        .collect();
    let ends = reported.len().min(CHART_ENDS);
    let shown: Vec<&crate::domain::dashboard::OrgFigures> = if reported.len() > 2 * CHART_ENDS {
        reported[..ends]
            .iter()
            .chain(&reported[reported.len() - ends..])
            .copied()
            .collect()
    } else {
        reported
    };
    let rated: Vec<(String, f64, String)> = shown
        .iter()
        .map(|o| {
            (
                o.name.clone(),
                o.participation_pct,
                format!("{:.1}%", o.participation_pct),
            )
        })
        .collect();
    let rate_chart = bars(&t.t("participation-rate_chart"), &rated, "#c62828");
    let series_chart = series(
        &t.t("participation-series_chart"),
        &d,
        (
            &t.t("participation-members_active"),
            &t.t("participation-hours"),
        ),
    );
    let fills: Vec<(String, f64, String)> = d
        .emergencies
        .iter()
        .filter_map(|e| {
            let m = e.median_fill_secs?;
            Some((
                e.name.clone(),
                m as f64,
                format!("{} {}", (m + 59) / 60, t.t("participation-minutes_unit")),
            ))
        })
        .collect();
    let fill_chart = bars(&t.t("participation-fill_chart"), &fills, "#ef6c00");
    let flags = d
        .flags
        .iter()
        .map(|f| FlagLine {
            pair: format!(
                "{} {} ↔ {} {}",
                t.t("participation-side_home"),
                f.home_name,
                t.t("participation-side_host"),
                f.host_name
            ),
            period: f.period.clone(),
            what: f.differences.iter().map(|x| describe(&t, x)).collect(),
            home_jtis: f.home_jtis.clone(),
            host_jtis: f.host_jtis.clone(),
            raised: when(f.raised_ms),
            cleared: f.cleared_ms.map(when),
        })
        .collect();
    let top = d.orgs.len().min(5);
    page(
        ParticipationPage {
            t,
            base,
            period: period.to_owned(),
            at: d.label.clone(),
            street: get("street"),
            kind: get("kind"),
            query,
            streets,
            kinds,
            names,
            rate_chart,
            series_chart,
            fill_chart,
            flags,
            top,
            d,
        },
        [cookie, clear],
    )
}

/// One table of the dashboard as CSV (UTF-8 with a BOM, for Excel).
pub async fn csv(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, _) = lang(&req, &q);
    if !for_auditors(&a, &node) {
        return refuse(&req, &node, "/offers", &t.t("participation-auditor_only"));
    }
    let get = |k: &str| q.get(k).cloned();
    let fq = FigureQuery {
        period: get("period"),
        at: get("at"),
        street: get("street"),
        kind: get("kind"),
    };
    let d = match figures(&node, &fq).await {
        Ok(d) => d,
        Err(e) => return super::back(&node, "/participation", Err(e), t),
    };
    let table = q.get("table").map(String::as_str).unwrap_or("orgs");
    let mut w = csv::Writer::from_writer(Vec::new());
    let k = |s: &str| t.t(s).into_owned();
    let rows: Vec<Vec<String>> = match table {
        "orgs" => {
            let _ = w.write_record([
                k("participation-org"),
                k("kind"),
                k("participation-street"),
                k("participation-members"),
                k("participation-members_reported"),
                k("participation-members_active"),
                k("participation-rate"),
                k("participation-checkins"),
                k("participation-hours"),
            ]);
            d.orgs
                .iter()
                .map(|o| {
                    vec![
                        o.name.clone(),
                        k(&o.kind.to_string()),
                        o.street.clone().unwrap_or_default(),
                        o.members.to_string(),
                        o.members_reported.to_string(),
                        o.members_active.to_string(),
                        format!("{:.1}", o.participation_pct),
                        o.checkins.to_string(),
                        hours(o.minutes),
                    ]
                })
                .collect()
        }
        "series" => {
            let _ = w.write_record([
                k("participation-period"),
                k("participation-members_active"),
                k("participation-checkins"),
                k("participation-hours"),
            ]);
            d.series
                .iter()
                .map(|p| {
                    vec![
                        p.label.clone(),
                        p.members_active.to_string(),
                        p.checkins.to_string(),
                        hours(p.minutes),
                    ]
                })
                .collect()
        }
        "hosts" => {
            let _ = w.write_record([
                k("participation-org"),
                k("kind"),
                k("participation-members_hosted"),
                k("participation-reporting_members"),
                k("participation-activities"),
                k("participation-checkins"),
                k("participation-hours"),
                k("participation-needs_fulfilled"),
                k("participation-wishes_confirmed"),
                k("participation-escalations"),
            ]);
            d.hosts
                .iter()
                .map(|h| {
                    vec![
                        h.name.clone(),
                        k(&h.kind.to_string()),
                        h.members_hosted.to_string(),
                        h.reporting_members.to_string(),
                        h.activities.to_string(),
                        h.checkins.to_string(),
                        hours(h.minutes),
                        h.needs_fulfilled.to_string(),
                        h.wishes_confirmed.to_string(),
                        h.escalations.to_string(),
                    ]
                })
                .collect()
        }
        "grids" => {
            let _ = w.write_record([
                k("participation-org"),
                k("participation-grid"),
                k("participation-checkins"),
                k("participation-hours"),
            ]);
            d.grids
                .iter()
                .map(|g| {
                    vec![
                        g.name.clone(),
                        g.grid.clone(),
                        g.checkins.to_string(),
                        hours(g.minutes),
                    ]
                })
                .collect()
        }
        "categories" => {
            let _ = w.write_record([
                k("participation-category"),
                k("participation-checkins"),
                k("participation-hours"),
                k("participation-suppressed_cells"),
            ]);
            d.categories
                .iter()
                .map(|c| {
                    vec![
                        k(&format!("activity-{}", c.category)),
                        c.checkins.to_string(),
                        hours(c.minutes),
                        c.suppressed_cells.to_string(),
                    ]
                })
                .collect()
        }
        "emergencies" => {
            let _ = w.write_record([
                k("participation-org"),
                k("participation-posts"),
                k("participation-posts_filled"),
                k("participation-median_fill"),
                k("participation-max_fill"),
            ]);
            d.emergencies
                .iter()
                .map(|e| {
                    vec![
                        e.name.clone(),
                        e.posts.to_string(),
                        e.filled.to_string(),
                        e.median_fill_secs
                            .map(|s| s.to_string())
                            .unwrap_or_default(),
                        e.max_fill_secs.map(|s| s.to_string()).unwrap_or_default(),
                    ]
                })
                .collect()
        }
        "flags" => {
            let _ = w.write_record([
                k("participation-pair"),
                k("participation-period"),
                k("participation-differences"),
                k("participation-evidence_home"),
                k("participation-evidence_host"),
                k("participation-raised"),
                k("participation-cleared"),
            ]);
            d.flags
                .iter()
                .map(|f| {
                    vec![
                        format!("{} ↔ {}", f.home_name, f.host_name),
                        f.period.clone(),
                        f.differences
                            .iter()
                            .map(|x| describe(&t, x))
                            .collect::<Vec<_>>()
                            .join("；"),
                        f.home_jtis.join(" "),
                        f.host_jtis.join(" "),
                        when(f.raised_ms),
                        f.cleared_ms.map(when).unwrap_or_default(),
                    ]
                })
                .collect()
        }
        other => {
            return super::back(
                &node,
                "/participation",
                Err(crate::http::error::ApiError::invalid(
                    "table",
                    format!("unknown table {other:?}"),
                )),
                t,
            );
        }
    };
    for r in rows {
        let _ = w.write_record(r.into_iter().map(crate::domain::members::spreadsheet_safe));
    }
    let body = w.into_inner().unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!(
                "attachment; filename=\"participation-{table}-{}.csv\"",
                d.label
            ),
        ))
        .body(format!("\u{FEFF}{}", String::from_utf8_lossy(&body)))
}
