//! Volunteer teams in the web UI: a community's staff form teams of members who report there,
//! and invite a whole team to one of its activities, on `/teams`; a member answers an
//! invitation on `/me`.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::OrgKind;
use tongxin_schema::token::Role;

use super::{
    Base, Form, NodeData, T, admin_action, back, base, form_input, lang, org_names, page, refuse,
    signed_in,
};
use crate::domain::status::{ActivityStatus, InvitationStatus, ReportStatus};
use crate::domain::teams::{self, NewTeam, TeamInvitation, TeamMember};
use crate::http::api;
use crate::http::api::teams::{TeamMemberView, TeamView};
use crate::store::activities::ActivityRow;
use crate::store::reports::ReportRow;
use crate::store::teams::InvitationRow;

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    t: T,
    base: Base,
    teams: Vec<TeamView>,
    /// Members whose report here is accepted: who can join a team.
    reporters: Vec<ReportRow>,
    /// Our activities still open: what a team can be invited to.
    activities: Vec<ActivityRow>,
    /// Titles of all our activities, by id.
    titles: HashMap<String, String>,
    /// The invitations we sent.
    invitations: Vec<InvitationRow>,
    names: HashMap<String, String>,
}

impl TeamsPage {
    fn member(&self, m: &TeamMemberView) -> String {
        super::reporting_member(&self.t, &self.names, m.display_name.as_deref(), &m.home_org)
    }
    fn reporter(&self, r: &ReportRow) -> String {
        super::reporting_member(&self.t, &self.names, r.display_name.as_deref(), &r.home_org)
    }
    /// Who can still join `team`.
    fn joinable(&self, team: &TeamView) -> Vec<&ReportRow> {
        self.reporters
            .iter()
            .filter(|r| !team.members.iter().any(|m| m.mref == r.mref))
            .collect()
    }
    fn when(&self, s: &i64) -> String {
        super::activities::when(*s)
    }
    /// The activities `team` was invited to: (title, invited, signed up, awaiting an answer).
    fn invited(&self, team: &TeamView) -> Vec<(String, usize, usize, usize)> {
        let mut by_activity: Vec<(String, usize, usize, usize)> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for x in self.invitations.iter().filter(|x| x.team == team.name) {
            if seen.contains(&x.activity_id.as_str()) {
                continue;
            }
            seen.push(&x.activity_id);
            let all: Vec<&InvitationRow> = self
                .invitations
                .iter()
                .filter(|y| y.team == team.name && y.activity_id == x.activity_id)
                .collect();
            let count = |s: InvitationStatus| all.iter().filter(|y| y.status == s).count();
            by_activity.push((
                self.titles
                    .get(&x.activity_id)
                    .cloned()
                    .unwrap_or_else(|| x.activity_id.clone()),
                all.len(),
                count(InvitationStatus::Accepted),
                count(InvitationStatus::Open),
            ));
        }
        by_activity
    }
}

pub async fn page_of_teams(
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
    if node.cfg.kind != OrgKind::Community {
        return refuse(&req, &node, "/activities", &t.t("teams-community_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let teams = match api::teams::teams_with_members(&node).await {
        Ok(x) => x,
        Err(e) => return back(&node, "/activities", Err(e), t),
    };
    let me = node.cfg.org_id.to_string();
    let now_s = node.clock.now_s();
    let loaded = node
        .store
        .read(move |c| {
            Ok((
                crate::store::reports::received(c, &me)?,
                crate::store::activities::activities_of(c, &me)?,
                crate::store::teams::sent(c, &me)?,
            ))
        })
        .await;
    let (received, activities, invitations) = match loaded {
        Ok(x) => x,
        Err(e) => return back(&node, "/activities", Err(e.into()), t),
    };
    page(
        TeamsPage {
            t,
            base,
            teams,
            reporters: received
                .into_iter()
                .filter(|r| r.status == ReportStatus::Accepted)
                .collect(),
            titles: activities
                .iter()
                .map(|a| (a.id.clone(), a.title.clone()))
                .collect(),
            activities: activities
                .into_iter()
                .filter(|a| a.status == ActivityStatus::Open && a.ends_at > now_s)
                .collect(),
            invitations,
            names: org_names(&node),
        },
        [cookie, clear],
    )
}

pub async fn create(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    admin_action(req, node, "/teams", |n| async move {
        let input: NewTeam = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| teams::create(c, a, input)).await?;
        Ok(())
    })
    .await
}

pub async fn join(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    mut form: Form,
) -> HttpResponse {
    admin_action(req, node, "/teams", |n| async move {
        let id = api::uuid_path("team", &path)?;
        super::member_choice(&mut form)?;
        let input: TeamMember = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| teams::join(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn leave(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    mut form: Form,
) -> HttpResponse {
    admin_action(req, node, "/teams", |n| async move {
        let id = api::uuid_path("team", &path)?;
        super::member_choice(&mut form)?;
        let input: TeamMember = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| teams::leave(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn invite(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/teams", |n| async move {
        let id = api::uuid_path("team", &path)?;
        let input: TeamInvitation = form_input(&form, &[], &["again"], &[])?;
        n.act(move |c, a| teams::invite(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn accept(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let member = api::uuid_path("member", &m.id)?;
        let host = api::org_path(&path.0)?;
        let id = api::uuid_path("invitation", &path.1)?;
        n.act(move |c, a| teams::accept(c, a, member, &host, id))
            .await?;
        Ok(())
    })
    .await
}

pub async fn decline(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let member = api::uuid_path("member", &m.id)?;
        let host = api::org_path(&path.0)?;
        let id = api::uuid_path("invitation", &path.1)?;
        n.act(move |c, _| teams::decline(c, member, &host, id))
            .await?;
        Ok(())
    })
    .await
}
