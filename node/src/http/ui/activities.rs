//! Activities in the web UI: the alliance's activities (`/activities`), where members sign up
//! and organisers publish; one activity of ours (`/activities/{id}`: sign-ups to place,
//! attendance to tick, its QR code at `/activities/{id}/qr`); and the page a member's phone
//! opens from that QR code (`/checkin/{id}?code=…`), where they check in and out after
//! signing in with their home organisation.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};
use tongxin_schema::token::Role;
use tongxin_schema::v1::taxonomy::ActivityCategory;
use tongxin_schema::{MemberRef, OrgKind};

use super::agreements::BEIJING;
use super::signin::visitor;
use super::{
    Base, Form, NodeData, T, admin_action, back, base, form_input, lang, name_of, org_names, page,
    redirect, refuse, same_origin, signed_in, skill_choices,
};
use crate::domain::activities::{self, Cancellation, NewActivity, NewPost};
use crate::domain::checkins::{self, Proof};
use crate::domain::matching::{self, Match};
use crate::domain::signups::{self, NewSignup, Placement, SignupCancellation};
use crate::domain::status::{ActivityStatus, SignupStatus};
use crate::http::api;
use crate::http::error::ApiError;
use crate::store::activities::{self as rows, ActivityRow, CheckinRow, SignupRow};
use tongxin_schema::v1::text::Title;

/// The categories of activities, each worded through `activity-<category>` (for the test that
/// every one is translated).
pub(crate) fn categories() -> Vec<&'static str> {
    <ActivityCategory as strum::VariantArray>::VARIANTS
        .iter()
        .map(|c| <&str>::from(*c))
        .collect()
}

/// "12月3日 14:00", Beijing time.
pub(crate) fn when(unix_s: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_s)
        .ok()
        .and_then(|t| {
            t.to_offset(BEIJING)
                .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
                .ok()
        })
        .unwrap_or_default()
}

/// "14:00", Beijing time.
fn clock(unix_s: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_s)
        .ok()
        .and_then(|t| {
            t.to_offset(BEIJING)
                .format(format_description!("[hour]:[minute]"))
                .ok()
        })
        .unwrap_or_default()
}

/// A date and a time of day in Beijing, as Unix seconds.
fn at(field: &str, date: &str, hm: &str) -> Result<i64, ApiError> {
    let d = Date::parse(date, format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::invalid("date", "must be a date, e.g. 2026-12-05"))?;
    let t = Time::parse(hm, format_description!("[hour]:[minute]"))
        .map_err(|_| ApiError::invalid(field, "must be a time of day, e.g. 14:30"))?;
    Ok(d.with_time(t).assume_offset(BEIJING).unix_timestamp())
}

/// A form's day (`date`) and two times of day (`from`, `to`, Beijing time) become the Unix
/// seconds the domain takes, under the names `keys`; a `to` before `from` runs past midnight.
pub(crate) fn day_and_times(form: &mut Form, keys: (&str, &str)) -> Result<(), ApiError> {
    let Ok(fields) = form.0.as_mut() else {
        return Ok(());
    };
    let mut one = |k: &str| {
        fields
            .remove(k)
            .and_then(|v| v.into_iter().next())
            .unwrap_or_default()
    };
    let (date, from, to) = (one("date"), one("from"), one("to"));
    let starts = at("from", &date, &from)?;
    let mut ends = at("to", &date, &to)?;
    if ends == starts {
        return Err(ApiError::invalid("to", "must be later than the start"));
    }
    if ends < starts {
        ends += 86_400;
    }
    fields.insert(keys.0.into(), vec![starts.to_string()]);
    fields.insert(keys.1.into(), vec![ends.to_string()]);
    Ok(())
}

#[derive(Template)]
#[template(path = "activities.html")]
struct ListPage {
    t: T,
    base: Base,
    items: Vec<ActivityRow>,
    names: HashMap<String, String>,
    me: String,
    is_member: bool,
    /// This organisation may publish activities.
    publishes: bool,
    categories: Vec<(&'static str, String)>,
    skills: Vec<(&'static str, String)>,
    grids: Vec<String>,
    today: String,
    /// The signed-in member's standing sign-ups, by activity id (their status).
    mine: HashMap<String, SignupStatus>,
}

/// An activity's posts as the sign-up form offers them: ("<post_id>:<role>", "title · A角").
fn post_choices(t: &T, a: &ActivityRow) -> Vec<(String, String)> {
    activities::posts_of(a)
        .into_iter()
        .flat_map(|p| {
            ["A", "B"].map(|r| {
                (
                    format!("{}:{r}", p.post_id),
                    format!("{} · {}", p.title, t.t(&format!("post-role-{r}"))),
                )
            })
        })
        .collect()
}

/// The titles of an activity's posts, joined.
fn post_titles(a: &ActivityRow) -> String {
    activities::posts_of(a)
        .iter()
        .map(|p| p.title.to_string())
        .collect::<Vec<_>>()
        .join("、")
}

impl ListPage {
    fn posts(&self, a: &ActivityRow) -> Vec<(String, String)> {
        post_choices(&self.t, a)
    }
    fn post_titles(&self, a: &ActivityRow) -> String {
        post_titles(a)
    }
    fn my_status(&self, activity: &str) -> Option<String> {
        self.mine
            .get(activity)
            .map(|s| self.t.t(&format!("signup-{s}")).into_owned())
    }
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn when(&self, s: &i64) -> String {
        when(*s)
    }
    fn clock(&self, s: &i64) -> String {
        clock(*s)
    }
    fn category(&self, c: &str) -> String {
        self.t.t(&format!("activity-{c}")).into_owned()
    }
    fn labels(&self, json: &str) -> String {
        super::members::labels(&self.t, "skill", json)
    }
}

pub async fn list(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let now = node.clock.now_s();
    let member = match a.claims.role {
        Role::Member => api::members::member_signed_in_as(&node, &a.claims.sub)
            .await
            .ok()
            .map(|m| m.id),
        _ => None,
    };
    let found = node
        .store
        .read(move |c| {
            let items = rows::activities_ending_after(c, now)?;
            let mine = match member {
                Some(m) => rows::signups_of_member(c, &m)?
                    .into_iter()
                    .filter(|s| s.status.standing())
                    .map(|s| (s.activity_id, s.status))
                    .collect(),
                None => HashMap::new(),
            };
            Ok((items, mine))
        })
        .await;
    let (items, mine) = match found {
        Ok(f) => f,
        Err(e) => return back(&node, "/offers", Err(e.into()), t),
    };
    let grids = super::my_grids(&node);
    page(
        ListPage {
            categories: categories()
                .into_iter()
                .map(|c| (c, t.t(&format!("activity-{c}")).into_owned()))
                .collect(),
            skills: skill_choices(t),
            t,
            base,
            items,
            names: org_names(&node),
            me: node.cfg.org_id.to_string(),
            is_member: a.claims.role == Role::Member,
            publishes: a.claims.role == Role::Admin && node.cfg.kind != OrgKind::OrgDepartment,
            grids,
            today: super::agreements::day(now),
            mine,
        },
        [cookie, clear],
    )
}

pub async fn publish(req: HttpRequest, node: NodeData, mut form: Form) -> HttpResponse {
    admin_action(req, node, "/activities", |n| async move {
        day_and_times(&mut form, ("starts_at", "ends_at"))?;
        // Posts (岗位): one per line of the text area.
        let lines: Vec<String> = form
            .0
            .as_mut()
            .ok()
            .and_then(|f| f.remove("posts"))
            .unwrap_or_default()
            .iter()
            .flat_map(|v| {
                v.lines()
                    .map(str::trim)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|l| !l.is_empty())
            .collect();
        let mut input: NewActivity = form_input(
            &form,
            &["starts_at", "ends_at", "capacity"],
            &[],
            &["skills"],
        )?;
        input.posts = lines
            .into_iter()
            .map(|l| {
                Ok(NewPost {
                    title: Title::try_from(l)
                        .map_err(|e| ApiError::invalid("posts", e.to_string()))?,
                    skills: Vec::new(),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        n.act(move |c, a| activities::publish(c, a, input)).await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    t: T,
    base: Base,
    a: ActivityRow,
    signups: Vec<SignupRow>,
    checkins: Vec<CheckinRow>,
    names: HashMap<String, String>,
    taken: usize,
    /// The waiting sign-ups' matching, by sign-up id.
    matches: HashMap<String, Match>,
    /// The volunteer team a sign-up answered an invitation of, by sign-up id.
    teams: HashMap<String, String>,
}

impl ActivityPage {
    /// The post and role of a sign-up, as staff read it: "驿站值守 · A角（主）".
    fn post_of(&self, s: &SignupRow) -> Option<String> {
        let post = s.post_id.as_deref()?;
        let title = activities::posts_of(&self.a)
            .into_iter()
            .find(|p| p.post_id.to_string() == post)
            .map(|p| p.title.to_string())?;
        Some(match s.role.as_deref() {
            Some(r) => format!("{title} · {}", self.t.t(&format!("post-role-{r}"))),
            None => title,
        })
    }
    fn post_titles(&self) -> String {
        post_titles(&self.a)
    }
    fn team_of(&self, s: &SignupRow) -> Option<&str> {
        self.teams.get(&s.id).map(String::as_str)
    }
    /// Why a waiting sign-up ranks where it does: its score and reasons.
    fn match_of(&self, s: &SignupRow) -> Option<(u32, Vec<String>)> {
        self.matches.get(&s.id).map(|m| {
            (
                m.score,
                m.reasons
                    .iter()
                    .map(|r| super::matching::reason_text(&self.t, r))
                    .collect(),
            )
        })
    }
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn when(&self, s: &i64) -> String {
        when(*s)
    }
    fn clock(&self, s: &i64) -> String {
        clock(*s)
    }
    fn category(&self, c: &str) -> String {
        self.t.t(&format!("activity-{c}")).into_owned()
    }
    fn labels(&self, json: &str) -> String {
        super::members::labels(&self.t, "skill", json)
    }
    /// The member's check-in here, if any.
    fn checkin_of(&self, s: &SignupRow) -> Option<&CheckinRow> {
        self.checkins.iter().find(|c| c.mref == s.mref)
    }
    fn open(&self) -> bool {
        self.a.status == ActivityStatus::Open
    }
}

/// `GET /activities/{id}`: one of our activities, for its organisers.
pub async fn show(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(auth) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if auth.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(&req, &node, Some(auth.claims.role));
    let Ok(id) = api::uuid_path("activity", &path) else {
        return refuse(&req, &node, "/activities", &t.t("not_found"));
    };
    let found = node
        .view(move |c, actor| {
            let me = actor.org().as_str();
            let Some(a) = rows::find_activity(c, me, &id.to_string())? else {
                return Ok(None);
            };
            let signups = rows::signups_for(c, me, &a.id)?;
            let checkins = rows::checkins_for(c, me, &a.id)?;
            let ranked = matching::signups_for_activity(c, actor, &a)?;
            let teams: HashMap<String, String> = crate::store::teams::sent(c, me)?
                .into_iter()
                .filter(|x| x.activity_id == a.id)
                .filter_map(|x| Some((x.signup_id?, x.team)))
                .collect();
            Ok(Some((a, signups, checkins, ranked, teams)))
        })
        .await;
    let (a, mut signups, checkins, ranked, teams) = match found {
        Ok(Some(f)) => f,
        Ok(None) => return refuse(&req, &node, "/activities", &t.t("not_found")),
        Err(e) => return back(&node, "/activities", Err(e.into()), t),
    };
    let taken = signups.iter().filter(|s| s.status.holds_a_place()).count();
    // Waiting sign-ups first, best match first; the rest as they came.
    let rank: HashMap<String, usize> = ranked
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    signups.sort_by_key(|s| rank.get(&s.id).copied().unwrap_or(usize::MAX));
    let matches = ranked.into_iter().map(|m| (m.id.clone(), m)).collect();
    page(
        ActivityPage {
            t,
            base,
            a,
            signups,
            checkins,
            names: org_names(&node),
            taken,
            matches,
            teams,
        },
        [cookie, clear],
    )
}

fn to_activity(id: &str) -> String {
    format!("/activities/{id}")
}

pub async fn cancel(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let to = to_activity(&path);
    admin_action(req, node, &to, |n| async move {
        let id = api::uuid_path("activity", &path)?;
        let input: Cancellation = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| activities::cancel(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn place(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String, String)>,
    form: Form,
) -> HttpResponse {
    let (activity, home, id) = path.into_inner();
    let to = to_activity(&activity);
    admin_action(req, node, &to, |n| async move {
        let home = api::org_path(&home)?;
        let id = api::uuid_path("sign-up", &id)?;
        let input: Placement = form_input(&form, &[], &["accepted"], &[])?;
        n.act(move |c, a| signups::place(c, a, &home, id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn tick(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String, String)>,
    form: Form,
) -> HttpResponse {
    let (activity, home, id) = path.into_inner();
    let to = to_activity(&activity);
    admin_action(req, node, &to, |n| async move {
        let activity = api::uuid_path("activity", &activity)?;
        let home = api::org_path(&home)?;
        let signup = api::uuid_path("sign-up", &id)?;
        let present = match form
            .0
            .as_ref()
            .ok()
            .and_then(|f| f.get("present"))
            .and_then(|v| v.first())
            .map(String::as_str)
        {
            Some("true") => true,
            Some("false") => false,
            _ => return Err(ApiError::invalid("present", "must be true or false")),
        };
        n.act(move |c, a| checkins::attend(c, a, activity, &home, signup, present))
            .await?;
        Ok(())
    })
    .await
}

#[derive(Template)]
#[template(path = "activity_qr.html")]
struct QrPage {
    t: T,
    base: Base,
    a: ActivityRow,
    svg: String,
    code: String,
    url: String,
}

/// `GET /activities/{id}/qr`: the check-in QR code to show at the activity; the page reloads
/// itself, as the code changes every minute.
pub async fn qr(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(auth) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    if auth.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(&req, &node, Some(auth.claims.role));
    let Ok(id) = api::uuid_path("activity", &path) else {
        return refuse(&req, &node, "/activities", &t.t("not_found"));
    };
    let (me, sid) = (node.cfg.org_id.to_string(), id.to_string());
    let a = match node
        .store
        .read(move |c| rows::find_activity(c, &me, &sid))
        .await
    {
        Ok(Some(a)) if a.qr_secret.is_some() => a,
        Ok(_) => return refuse(&req, &node, "/activities", &t.t("not_found")),
        Err(e) => return back(&node, "/activities", Err(e.into()), t),
    };
    let Some(c) = api::activities::checkin_url(&node, &a, node.clock.now_s()) else {
        return refuse(&req, &node, "/activities", &t.t("not_found"));
    };
    let svg = qrcode::QrCode::new(c.url.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(280, 280)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    page(
        QrPage {
            t,
            base,
            a,
            svg,
            code: c.code,
            url: c.url,
        },
        [cookie, clear],
    )
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckinPage {
    t: T,
    base: Base,
    a: ActivityRow,
    code: String,
    name: Option<String>,
    /// The visitor's check-in here, if any.
    mine: Option<CheckinRow>,
    placed: bool,
}

impl CheckinPage {
    fn when(&self, s: &i64) -> String {
        when(*s)
    }
    fn clock(&self, s: &i64) -> String {
        clock(*s)
    }
}

/// `GET /checkin/{id}?code=…`: the page a member's phone opens from the QR code.
pub async fn checkin_page(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let code = super::opt(&q, "code").unwrap_or_default();
    let here = format!(
        "/checkin/{}?code={}",
        path.as_str(),
        super::signin::encode(&code)
    );
    let Some(v) = visitor(&req, &node).await else {
        return redirect(&format!("/signin?next={}", super::signin::encode(&here)));
    };
    let (base, clear) = base(&req, &node, None);
    let Ok(id) = api::uuid_path("activity", &path) else {
        return refuse(&req, &node, "/visit", &t.t("not_found"));
    };
    let (me, sid, mref) = (
        node.cfg.org_id.to_string(),
        id.to_string(),
        v.member_ref.clone(),
    );
    let found = node
        .store
        .read(move |c| {
            let Some(a) = rows::find_activity(c, &me, &sid)? else {
                return Ok(None);
            };
            let placed = rows::standing_signup(c, &me, &sid, &mref)?
                .is_some_and(|s| s.status.holds_a_place());
            let mine = rows::checkins_of_mref(c, &me, &mref)?
                .into_iter()
                .find(|c| c.activity_id.as_deref() == Some(sid.as_str()));
            Ok(Some((a, placed, mine)))
        })
        .await;
    let (a, placed, mine) = match found {
        Ok(Some(f)) => f,
        Ok(None) => return refuse(&req, &node, "/visit", &t.t("not_found")),
        Err(e) => return back(&node, "/visit", Err(e.into()), t),
    };
    page(
        CheckinPage {
            t,
            base,
            a,
            code,
            name: v.name,
            mine,
            placed,
        },
        [cookie, clear],
    )
}

/// `POST /checkin/{id}` (`code`) and `POST /checkin/{id}/out`: the signed-in visitor checks in
/// or out.
async fn visitor_action(
    req: HttpRequest,
    node: NodeData,
    path: String,
    form: Form,
    out: bool,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let code = form
        .0
        .as_ref()
        .ok()
        .and_then(|f| f.get("code"))
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default();
    let here = format!("/checkin/{path}?code={}", super::signin::encode(&code));
    let Some(v) = visitor(&req, &node).await else {
        return redirect(&format!("/signin?next={}", super::signin::encode(&here)));
    };
    if !same_origin(&req) {
        return back(
            &node,
            &here,
            Err(ApiError::forbidden("cross-site request refused")),
            t,
        );
    }
    let result = async {
        let id = api::uuid_path("activity", &path)?;
        let mref: MemberRef = v
            .member_ref
            .parse()
            .map_err(|_| ApiError::forbidden("this sign-in names no member"))?;
        node.act(move |c, a| {
            if out {
                checkins::check_out(c, a, id, &mref)
            } else {
                checkins::check_in(c, a, id, &mref, Proof::Code(&code))
            }
        })
        .await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&node, &here, result, t)
}

pub async fn check_in(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    visitor_action(req, node, path.into_inner(), form, false).await
}

pub async fn check_out(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    visitor_action(req, node, path.into_inner(), form, true).await
}

// ---- The member at home ---------------------------------------------------------------------

/// A member's sign-up from `/activities`.
pub async fn sign_up(req: HttpRequest, node: NodeData, mut form: Form) -> HttpResponse {
    // A checkbox left unticked is not sent: it means no.
    if let Ok(fields) = form.0.as_mut() {
        for k in ["share_name", "share_skills"] {
            fields
                .entry(k.to_owned())
                .or_insert_with(|| vec!["false".into()]);
        }
    }
    // A post and role come as one choice, "<post_id>:<A|B>" (none: the activity itself).
    if let Ok(fields) = form.0.as_mut()
        && let Some(choice) = fields.remove("post").and_then(|v| v.into_iter().next())
        && let Some((post, role)) = choice.split_once(':')
    {
        fields.insert("post_id".into(), vec![post.to_owned()]);
        fields.insert("role".into(), vec![role.to_owned()]);
    }
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let input: NewSignup = form_input(&form, &[], &["share_name", "share_skills"], &[])?;
        let id = api::uuid_path("member", &m.id)?;
        n.act(move |c, a| signups::request(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn confirm_mine(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
) -> HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let id = api::activities::own_signup(&n, &m, &path).await?;
        n.act(move |c, a| signups::confirm(c, a, id)).await?;
        Ok(())
    })
    .await
}

pub async fn cancel_mine(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let id = api::activities::own_signup(&n, &m, &path).await?;
        let input: SignupCancellation = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| signups::cancel_at_home(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// The statuses of sign-ups, worded through `signup-<status>`.
#[cfg(test)]
pub(crate) fn signup_statuses() -> Vec<&'static str> {
    <SignupStatus as strum::VariantArray>::VARIANTS
        .iter()
        .map(|s| s.as_str())
        .collect()
}
