//! 精准匹配 in the web UI: at a member's home, `/activities/{host}/{id}/match` ranks our
//! members for another organisation's activity, and an admin proposes one by signing them up;
//! `/needs/{org}/{id}/match` ranks the alliance's open offers for a need. The host sees its
//! waiting sign-ups ranked on the activity's own page.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::activities::when;
use super::{
    Base, Form, NodeData, T, admin_action, back, base, form_input, lang, name_of, org_names, page,
    refuse, signed_in,
};
use crate::domain::matching::{self, Match, Reason, Scored};
use crate::domain::signups::{self, Proposal};
use crate::http::api;
use crate::http::error::ApiError;

/// A reason as staff read it: "技能相符 2/3 +20".
pub(crate) fn reason_text(t: &T, s: &Scored) -> String {
    let what = t.t(s.reason.key());
    let detail = match s.reason {
        Reason::Skills { matched, wanted } => format!(" {matched}/{wanted}"),
        Reason::RecentMinutes { minutes: 0 } => {
            return format!("{} +{}", t.t("match-no-recent"), s.points);
        }
        Reason::RecentMinutes { minutes } if minutes < 60 => {
            format!(" {minutes} {}", t.t("minutes"))
        }
        Reason::RecentMinutes { minutes } => {
            format!(" {:.1} {}", f64::from(minutes) / 60.0, t.t("record-hours"))
        }
        _ => String::new(),
    };
    format!("{what}{detail} +{}", s.points)
}

#[derive(Template)]
#[template(path = "matches.html")]
struct MatchPage {
    t: T,
    base: Base,
    /// What is wanted: its title, and who, when and where.
    title: String,
    about: String,
    /// `members` (propose buttons), or `offers`.
    ranked: &'static str,
    /// Where the proposal form posts.
    action: String,
    items: Vec<Match>,
    names: HashMap<String, String>,
    /// The activity's posts (id, title), to rank for one; and the post ranked for, if any.
    posts: Vec<(String, String)>,
    post: Option<String>,
}

impl MatchPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn reasons(&self, m: &Match) -> Vec<String> {
        m.reasons.iter().map(|r| reason_text(&self.t, r)).collect()
    }
}

/// Only staff rank; anyone else is sent where every staff page sends them, with why.
fn staff_only(req: &HttpRequest, node: &NodeData, t: &T) -> Option<HttpResponse> {
    match signed_in(req, node) {
        None => Some(super::to_login(req)),
        Some(a) if a.claims.role != Role::Admin => {
            Some(refuse(req, node, "/offers", &t.t("admin_only")))
        }
        Some(_) => None,
    }
}

pub async fn members_for_activity(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    if let Some(r) = staff_only(&req, &node, &t) {
        return r;
    }
    let (base, clear) = base(&req, &node, Some(Role::Admin));
    let (Ok(host), Ok(id)) = (api::org_path(&path.0), api::uuid_path("activity", &path.1)) else {
        return refuse(&req, &node, "/activities", &t.t("not_found"));
    };
    if &host == node.signer.org_id() {
        // Our own activity: its page ranks the sign-ups waiting for a decision.
        return super::redirect(&format!("/activities/{id}"));
    }
    let post = match api::matching::post_query(&q) {
        Ok(p) => p,
        Err(e) => return back(&node, "/activities", Err(e), t),
    };
    let found = node
        .view(move |c, a| matching::members_for_activity(c, a, &host, id, post))
        .await;
    let (activity, items) = match found {
        Ok(f) => f,
        Err(e) => return back(&node, "/activities", Err(e.into()), t),
    };
    let names = org_names(&node);
    let about = format!(
        "{} · {} · {}",
        name_of(&names, &activity.host_org),
        when(activity.starts_at),
        activity.place
    );
    let posts = crate::domain::activities::posts_of(&activity)
        .into_iter()
        .map(|p| (p.post_id.to_string(), p.title.to_string()))
        .collect();
    page(
        MatchPage {
            action: format!("/activities/{}/{}/match", activity.host_org, activity.id),
            posts,
            post: post.map(|p| p.to_string()),
            title: activity.title,
            about,
            ranked: "members",
            items,
            names,
            t,
            base,
        },
        [cookie, clear],
    )
}

/// An admin proposes one of our members for the activity: a sign-up on their behalf, sharing
/// only what the member shared with the host in their report there (`signups::propose`).
pub async fn propose(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    let (host, id) = path.into_inner();
    let to = format!("/activities/{host}/{id}/match");
    admin_action(req, node, &to, |n| async move {
        let host = api::org_path(&host)?;
        let activity_id = api::uuid_path("activity", &id)?;
        #[derive(serde::Deserialize)]
        struct Proposed {
            member_id: uuid::Uuid,
            /// The post ranked for, if any: the sign-up is for it.
            post_id: Option<uuid::Uuid>,
        }
        let p: Proposed = form_input(&form, &[], &[], &[])?;
        let input = Proposal {
            host,
            activity_id,
            post_id: p.post_id,
            role: None,
        };
        n.act(move |c, a| signups::propose(c, a, p.member_id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn offers_for_need(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    if let Some(r) = staff_only(&req, &node, &t) {
        return r;
    }
    let (base, clear) = base(&req, &node, Some(Role::Admin));
    let (Ok(org), Ok(id)) = (api::org_path(&path.0), api::uuid_path("need", &path.1)) else {
        return refuse(&req, &node, "/needs", &t.t("not_found"));
    };
    let found = node
        .view(move |c, a| matching::offers_for_need(c, a, &org, id))
        .await;
    let (need, items) = match found {
        Ok(f) => f,
        Err(e) => return back(&node, "/needs", Err(ApiError::from(e)), t),
    };
    let names = org_names(&node);
    let mut about = name_of(&names, &need.org_id).to_owned();
    if let Some(c) = &need.wanted {
        about += &format!(" · {}：{}", t.t("category"), t.t(c));
    }
    if let Some(g) = &need.grid {
        about += &format!(" · {} {g}", t.t("grid"));
    }
    page(
        MatchPage {
            action: String::new(),
            posts: Vec::new(),
            post: None,
            title: need.title,
            about,
            ranked: "offers",
            items,
            names,
            t,
            base,
        },
        [cookie, clear],
    )
}
