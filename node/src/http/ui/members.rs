//! Members and 双报到 in the web UI: the admins' member list (register, import, export, report
//! on a member's behalf, first password), the reports page (a community decides; a home
//! follows and withdraws), and a member's own phone-sized page (`/me`).

use std::collections::{HashMap, HashSet};

use actix_multipart::form::MultipartForm;
use actix_multipart::form::bytes::Bytes as FileBytes;
use actix_multipart::form::text::Text as FormText;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use strum::VariantArray;
use tongxin_schema::OrgKind;
use tongxin_schema::token::Role;
use tongxin_schema::v1::taxonomy::WeeklySlot;

use super::{
    Base, Form, NodeData, T, admin_action, back, base, form_input, lang, name_of, opt, org_names,
    page, refuse, same_origin, signed_in, skill_choices,
};
use crate::domain::members::{self, ImportMode, ImportReport, NewMember};
use crate::domain::reports::{self, NewReport, ReportDecision, ReportingStats, Withdrawal};
use crate::domain::status::ReportStatus;
use crate::http::api;
use crate::http::error::ApiError;
use crate::store::activities::{CheckinRow, SignupRow};
use crate::store::members::MemberRow;
use crate::store::reports::ReportRow;

/// The codes of an import's row errors, each worded through `import-<code>` (for the test that
/// every one is translated).
#[cfg(test)]
pub(crate) const IMPORT_CODES: [&str; 12] = [
    "missing",
    "bad_phone",
    "duplicate_phone",
    "unknown_skill",
    "unknown_slot",
    "unknown_community",
    "not_a_community",
    "unknown_grid",
    "bad_flag",
    "too_long",
    "too_many",
    "bad_file",
];

/// (value, label) of each weekly slot, for the forms.
fn slot_choices(t: T) -> Vec<(&'static str, String)> {
    WeeklySlot::VARIANTS
        .iter()
        .map(|s| {
            (
                s.as_str(),
                t.t(&format!("slot-{}", s.as_str())).into_owned(),
            )
        })
        .collect()
}

/// The communities on the roster, (id, name), for choosing a residence or where to report.
fn communities(node: &crate::state::SharedNode) -> Vec<(String, String)> {
    let r = node.roster();
    r.orgs()
        .iter()
        .filter(|o| o.kind == OrgKind::Community)
        .map(|o| (o.id.to_string(), o.name.to_string()))
        .collect()
}

/// Labels of a JSON list of wire names, joined for a table cell.
pub(crate) fn labels(t: &T, prefix: &str, json: &str) -> String {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .map(|n| t.t(&format!("{prefix}-{n}")).into_owned())
        .collect::<Vec<_>>()
        .join("、")
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    t: T,
    base: Base,
    total: usize,
    items: Vec<MemberRow>,
    /// A member's standing report, by member id: (community name, status).
    reported: HashMap<String, (String, ReportStatus)>,
    stats: ReportingStats,
    filter_q: String,
    filter_reported: String,
    names: HashMap<String, String>,
    communities: Vec<(String, String)>,
    skills: Vec<(&'static str, String)>,
    slots: Vec<(&'static str, String)>,
    import: Option<ImportReport>,
}

impl MembersPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn labels(&self, prefix: &str, json: &str) -> String {
        labels(&self.t, prefix, json)
    }
    fn rate(&self) -> String {
        match self.stats.members {
            0 => "—".into(),
            n => format!("{:.0}%", 100.0 * self.stats.reported as f64 / n as f64),
        }
    }
    fn problem(&self, code: &str) -> String {
        self.t.t(&format!("import-{code}")).into_owned()
    }
}

async fn members_page(
    req: &HttpRequest,
    node: &NodeData,
    q: &HashMap<String, String>,
    import: Option<ImportReport>,
) -> HttpResponse {
    let (t, cookie) = lang(req, q);
    let Some(a) = signed_in(req, node) else {
        return super::to_login(req);
    };
    if a.claims.role != Role::Admin {
        return refuse(req, node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(req, node, Some(a.claims.role));
    let me = node.cfg.org_id.clone();
    let loaded = node
        .store
        .read(move |c| {
            let all = crate::store::members::all(c)?;
            let sent = crate::store::reports::sent(c, me.as_str())?;
            let stats = reports::stats(c, &me)?;
            Ok((all, sent, stats))
        })
        .await;
    let (all, sent, stats) = match loaded {
        Ok(x) => x,
        Err(e) => return back(node, "/offers", Err(e.into()), t),
    };
    let names = org_names(node);
    let reported: HashMap<String, (String, ReportStatus)> = sent
        .iter()
        .rev() // oldest first, so the newest standing report wins
        .filter(|r| r.status.standing())
        .filter_map(|r| {
            let name = name_of(&names, &r.community_org).to_owned();
            r.member_id.clone().map(|m| (m, (name, r.status)))
        })
        .collect();
    let words = opt(q, "q").unwrap_or_default();
    let filter_reported = opt(q, "reported").unwrap_or_default();
    let items: Vec<MemberRow> = all
        .into_iter()
        .filter(|m| words.is_empty() || m.name.contains(&words) || m.phone.contains(&words))
        .filter(|m| match filter_reported.as_str() {
            "yes" => reported.contains_key(&m.id),
            "no" => !reported.contains_key(&m.id),
            _ => true,
        })
        .collect();
    page(
        MembersPage {
            t,
            base,
            total: items.len(),
            items: items.into_iter().take(500).collect(),
            reported,
            stats,
            filter_q: words,
            filter_reported,
            names,
            communities: communities(node),
            skills: skill_choices(t),
            slots: slot_choices(t),
            import,
        },
        [cookie, clear],
    )
}

pub async fn list(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    members_page(&req, &node, &q, None).await
}

pub async fn register(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    admin_action(req, node, "/members", |n| async move {
        let input: NewMember = form_input(
            &form,
            &[],
            &["emergency_ready"],
            &["skills", "availability"],
        )?;
        n.act(move |c, a| members::register(c, a, input)).await?;
        Ok(())
    })
    .await
}

pub async fn report_for(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/members", |n| async move {
        let id = api::uuid_path("member", &path)?;
        let input: NewReport = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| reports::submit(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn set_password(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/members", |n| async move {
        let id = api::uuid_path("member", &path)?;
        let input: api::members::PasswordInput = form_input(&form, &[], &[], &[])?;
        let hash = api::members::new_password_hash(input.password).await?;
        n.act(move |c, a| members::set_password(c, a, id, &hash))
            .await?;
        Ok(())
    })
    .await
}

#[derive(MultipartForm)]
pub struct ImportForm {
    #[multipart(limit = "16MB")]
    file: FileBytes,
    mode: FormText<String>,
}

/// An import, from the members page's file form: the page again, with the report.
pub async fn import(
    req: HttpRequest,
    node: NodeData,
    form: Result<MultipartForm<ImportForm>, actix_web::Error>,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if !same_origin(&req) || a.claims.role != Role::Admin {
        return back(
            &node,
            "/members",
            Err(ApiError::forbidden(t.t("admin_only").into_owned())),
            t,
        );
    }
    let form = match form {
        Ok(f) => f.into_inner(),
        Err(e) => {
            return back(
                &node,
                "/members",
                Err(ApiError::invalid("file", e.to_string())),
                t,
            );
        }
    };
    let mode = match form.mode.as_str() {
        "all" => ImportMode::All,
        "skip-invalid" => ImportMode::SkipInvalid,
        _ => ImportMode::DryRun,
    };
    let bytes = form.file.data.to_vec();
    match node
        .act(move |c, a| members::import(c, a, &bytes, mode))
        .await
    {
        Ok(report) => members_page(&req, &node, &HashMap::new(), Some(report)).await,
        Err(e) => back(&node, "/members", Err(e.into()), t),
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    t: T,
    base: Base,
    received: Vec<ReportRow>,
    sent: Vec<ReportRow>,
    member_names: HashMap<String, String>,
    names: HashMap<String, String>,
    grids: Vec<String>,
    skills: Vec<(&'static str, String)>,
    filter_grid: String,
    filter_skill: String,
    is_community: bool,
    /// At a community: the services its reporting members logged, waiting ones first.
    logs: Vec<crate::store::services::ServiceLogRow>,
    /// The feedback this node sent (a community) or its members received (a home).
    feedback: Vec<crate::store::services::FeedbackRow>,
    grades: Vec<(&'static str, String)>,
    today: String,
    /// At a home: its members' 结对帮扶, by the community's label.
    pairings: Vec<crate::store::pairings::PairingRow>,
}

impl ReportsPage {
    fn member_named(&self, id: &Option<String>) -> &str {
        id.as_ref()
            .and_then(|m| self.member_names.get(m))
            .map(String::as_str)
            .unwrap_or("—")
    }
    /// How a logged service's member is addressed here, from their report.
    fn reporter(&self, mref: &str) -> String {
        self.received
            .iter()
            .find(|r| r.mref == mref)
            .and_then(|r| r.display_name.clone())
            .unwrap_or_else(|| self.t.t("name_not_shared").into_owned())
    }
    /// The current feedback between this report's community and member, if any.
    fn feedback_for(&self, r: &ReportRow) -> Option<&crate::store::services::FeedbackRow> {
        self.feedback
            .iter()
            .find(|f| f.community_org == r.community_org && f.mref == r.mref)
    }
    fn grade(&self, g: &str) -> String {
        self.t.t(&format!("grade-{g}")).into_owned()
    }
    fn day(&self, s: &i64) -> String {
        super::agreements::day(*s)
    }
    fn day_ms(&self, ms: &i64) -> String {
        super::agreements::day(ms.div_euclid(1000))
    }
    /// The last day of a period that ends at midnight.
    fn last_day(&self, s: &i64) -> String {
        super::agreements::day(*s - 1)
    }
    fn when(&self, s: &i64) -> String {
        super::activities::when(*s)
    }
    fn category(&self, c: &str) -> String {
        self.t.t(&format!("activity-{c}")).into_owned()
    }
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn member_name<'a>(&'a self, r: &'a ReportRow) -> &'a str {
        r.member_id
            .as_ref()
            .and_then(|m| self.member_names.get(m))
            .map(String::as_str)
            .unwrap_or("—")
    }
    fn labels(&self, prefix: &str, json: &str) -> String {
        labels(&self.t, prefix, json)
    }
}

pub async fn reports_page(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if a.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let me = node.cfg.org_id.to_string();
    let loaded = node
        .store
        .read(move |c| {
            let mut feedback = crate::store::services::feedback_received(c)?;
            feedback.extend(crate::store::services::feedback_sent(c, &me)?);
            Ok((
                crate::store::reports::received(c, &me)?,
                crate::store::reports::sent(c, &me)?,
                crate::store::members::all(c)?,
                crate::store::services::logs_received(c, &me)?,
                feedback,
                crate::store::pairings::of_members(c, None)?,
            ))
        })
        .await;
    let (received, sent, all, logs, feedback, pairings) = match loaded {
        Ok(x) => x,
        Err(e) => return back(&node, "/offers", Err(e.into()), t),
    };
    let filter_grid = opt(&q, "grid").unwrap_or_default();
    let filter_skill = opt(&q, "skill").unwrap_or_default();
    let grids: Vec<String> = received
        .iter()
        .filter_map(|r| r.grid.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let received = received
        .into_iter()
        .filter(|r| filter_grid.is_empty() || r.grid.as_deref() == Some(filter_grid.as_str()))
        .filter(|r| filter_skill.is_empty() || r.skills.contains(&format!("\"{filter_skill}\"")))
        .collect();
    page(
        ReportsPage {
            t,
            base,
            received,
            sent,
            member_names: all.into_iter().map(|m| (m.id, m.name)).collect(),
            names: org_names(&node),
            grids,
            skills: skill_choices(t),
            filter_grid,
            filter_skill,
            is_community: node.cfg.kind == OrgKind::Community,
            logs,
            feedback,
            grades: <tongxin_schema::v1::taxonomy::FeedbackGrade as strum::VariantArray>::VARIANTS
                .iter()
                .map(|g| {
                    let g: &'static str = (*g).into();
                    (g, t.t(&format!("grade-{g}")).into_owned())
                })
                .collect(),
            today: super::agreements::day(node.clock.now_s()),
            pairings,
        },
        [cookie, clear],
    )
}

pub async fn decide(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/reports", |n| async move {
        let (home, id) = path.into_inner();
        let home = api::org_path(&home)?;
        let id = api::uuid_path("report", &id)?;
        let input: ReportDecision = form_input(&form, &[], &["accepted"], &[])?;
        n.act(move |c, a| reports::decide(c, a, &home, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// A withdrawal from the reports page (an admin, any of our members' reports).
pub async fn withdraw(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/reports", |n| async move {
        let id = api::uuid_path("report", &path)?;
        let input: Withdrawal = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| reports::withdraw(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// A member withdraws one of their own reports (from `/me`).
pub async fn withdraw_mine(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    member_action(req, node, |n, m| async move {
        let id = api::uuid_path("report", &path)?;
        api::reports::own_report(&n, &m, id).await?;
        let input: Withdrawal = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| reports::withdraw(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    t: T,
    base: Base,
    m: MemberRow,
    reports: Vec<ReportRow>,
    names: HashMap<String, String>,
    communities: Vec<(String, String)>,
    signups: Vec<SignupRow>,
    /// Titles of the activities signed up for, by activity id.
    titles: HashMap<String, String>,
    record: Vec<CheckinRow>,
    /// The member's 服务登记, newest first.
    services: Vec<crate::store::services::ServiceLogRow>,
    /// 结对帮扶: the households the member is paired with, by label.
    pairings: Vec<crate::store::pairings::PairingRow>,
    /// Invitations to sign up with a volunteer team, and whether each can be answered now.
    invitations: Vec<(crate::store::teams::InvitationRow, bool)>,
    /// 急时: the member's emergency calls, the newest first.
    calls: Vec<crate::http::api::emergencies::CallView>,
    /// 微心愿·我帮办: the micro-wishes the member took on, the newest first.
    wishes: Vec<crate::http::api::needs::MyClaim>,
    categories: Vec<(&'static str, String)>,
    today: String,
}

impl MePage {
    fn day(&self, s: &i64) -> String {
        super::agreements::day(*s)
    }
    fn day_ms(&self, ms: &i64) -> String {
        super::agreements::day(ms.div_euclid(1000))
    }
    /// The communities the member may log a service for: their accepted reports.
    fn reported_to(&self) -> Vec<(&str, &str)> {
        self.reports
            .iter()
            .filter(|r| r.status == crate::domain::status::ReportStatus::Accepted)
            .map(|r| (r.community_org.as_str(), self.org_name(&r.community_org)))
            .collect()
    }
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn labels(&self, prefix: &str, json: &str) -> String {
        labels(&self.t, prefix, json)
    }
    fn addressed_as(&self) -> String {
        members::addressed_as(&self.m)
    }
    fn title<'a>(&'a self, activity: &'a str) -> &'a str {
        self.titles
            .get(activity)
            .map(String::as_str)
            .unwrap_or(activity)
    }
    fn when(&self, s: &i64) -> String {
        super::activities::when(*s)
    }
    fn category(&self, c: &str) -> String {
        self.t.t(&format!("activity-{c}")).into_owned()
    }
    /// Hours credited (corrected entries count once, as corrected), one decimal.
    fn total_hours(&self) -> String {
        format!(
            "{:.1}",
            api::activities::credited_minutes(&self.record) as f64 / 60.0
        )
    }
    /// Minutes credited per month (Beijing time), newest first.
    fn by_month(&self) -> Vec<(String, i64)> {
        let mut months: std::collections::BTreeMap<String, i64> = Default::default();
        for c in self.record.iter().filter(|c| !c.superseded) {
            let month: String = self.when(&c.checked_in_at).chars().take(7).collect();
            *months.entry(month).or_default() += c.minutes.unwrap_or(0);
        }
        months.into_iter().rev().collect()
    }
}

pub async fn me(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if a.claims.role != Role::Member {
        return refuse(&req, &node, "/offers", &t.t("member_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let m = match api::members::member_signed_in_as(&node, &a.claims.sub).await {
        Ok(m) => m,
        Err(e) => return back(&node, "/login", Err(e), t),
    };
    let id = m.id.clone();
    let now_s = node.clock.now_s();
    let found = node
        .store
        .read(move |c| {
            let reports = crate::store::reports::of_member(c, &id)?;
            let signups = crate::store::activities::signups_of_member(c, &id)?;
            let invitations = crate::domain::teams::offered(c, Some(&id), now_s)?;
            let mut titles = HashMap::new();
            let wanted = signups
                .iter()
                .map(|su| (&su.host_org, &su.activity_id))
                .chain(
                    invitations
                        .iter()
                        .map(|(x, _)| (&x.host_org, &x.activity_id)),
                );
            for (host, activity) in wanted {
                if let Some(a) = crate::store::activities::find_activity(c, host, activity)? {
                    titles.insert(a.id, a.title);
                }
            }
            let record = crate::store::activities::record_of(c, &id)?;
            let services = crate::store::services::logs_of_member(c, &id)?;
            let pairings = crate::store::pairings::of_members(c, Some(&id))?;
            let calls = crate::http::api::emergencies::calls(c, Some(&id))?;
            let wishes = crate::http::api::needs::claims_of_member(c, &id)?;
            Ok((
                reports,
                signups,
                titles,
                record,
                services,
                pairings,
                (invitations, calls, wishes),
            ))
        })
        .await;
    let (reports, signups, titles, record, services, pairings, (invitations, calls, wishes)) =
        match found {
            Ok(r) => r,
            Err(e) => return back(&node, "/login", Err(e.into()), t),
        };
    page(
        MePage {
            t,
            base,
            m,
            reports,
            names: org_names(&node),
            communities: communities(&node),
            signups,
            titles,
            record,
            services,
            pairings,
            invitations,
            calls,
            wishes,
            categories: super::activities::categories()
                .into_iter()
                .map(|c| (c, t.t(&format!("activity-{c}")).into_owned()))
                .collect(),
            today: super::agreements::day(node.clock.now_s()),
        },
        [cookie, clear],
    )
}

/// A member's own action from `/me`: signed in as a member of this node, from its pages.
async fn member_action<F, Fut>(req: HttpRequest, node: NodeData, f: F) -> HttpResponse
where
    F: FnOnce(crate::state::SharedNode, MemberRow) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    member_action_to(req, node, "/me", f).await
}

/// A member's own action, then back to `to` with the outcome shown.
pub(crate) async fn member_action_to<F, Fut>(
    req: HttpRequest,
    node: NodeData,
    to: &str,
    f: F,
) -> HttpResponse
where
    F: FnOnce(crate::state::SharedNode, MemberRow) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let (t, _) = lang(&req, &HashMap::new());
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if !same_origin(&req) {
        return back(
            &node,
            to,
            Err(ApiError::forbidden("cross-site request refused")),
            t,
        );
    }
    let result = match api::members::member_signed_in_as(&node, &a.claims.sub).await {
        Ok(m) => f(node.get_ref().clone(), m).await,
        Err(e) => Err(e),
    };
    back(&node, to, result, t)
}

pub async fn report_mine(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    member_action(req, node, |n, m| async move {
        let input: NewReport = form_input(
            &form,
            &[],
            &["share_name", "share_skills", "share_availability"],
            &[],
        )?;
        let id = api::uuid_path("member", &m.id)?;
        n.act(move |c, a| reports::submit(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn change_password(
    req: HttpRequest,
    node: NodeData,
    limit: web::Data<crate::http::limit::SignInLimit>,
    form: Form,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    if let Err(wait) = limit.attempt(&req) {
        let refused = ApiError {
            message: t.t("too_many_sign_ins").into_owned(),
            ..ApiError::too_many(wait)
        };
        return back(&node, "/me", Err(refused), t);
    }
    member_action(req, node, |n, m| async move {
        let input: api::members::PasswordInput = form_input(&form, &[], &[], &[])?;
        api::members::change_own_password(&n, &m, input).await?;
        Ok(())
    })
    .await
}
