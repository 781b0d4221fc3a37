//! 急时 in the web UI, on `/emergencies`: a street or community declares an emergency and
//! watches its posts fill (the page reloads itself while one is open); every organisation's
//! staff see their members' calls and answer for those who phone in; a member answers on `/me`.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::OrgKind;
use tongxin_schema::token::Role;

use super::{
    Base, Form, NodeData, T, admin_action, back, base, form_input, lang, name_of, org_names, page,
    signed_in, skill_choices,
};
use crate::domain::emergencies::{self, Answer, Closing, NewEmergency, NewPost};
use crate::http::api;
use crate::http::api::emergencies::{CallView, EmergencyView};
use crate::http::error::ApiError;

#[derive(Template)]
#[template(path = "emergencies.html")]
struct EmergenciesPage {
    t: T,
    base: Base,
    items: Vec<EmergencyView>,
    /// Our members' calls (staff only), with each member's name (staff see names at home).
    calls: Vec<CallView>,
    member_names: HashMap<String, String>,
    names: HashMap<String, String>,
    me: String,
    can_declare: bool,
    skills: Vec<(&'static str, String)>,
    now_ms: i64,
}

impl EmergenciesPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn member_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.member_names.get(id).map(String::as_str).unwrap_or(id)
    }
    fn calls_for(&self, e: &EmergencyView) -> Vec<&CallView> {
        self.calls
            .iter()
            .filter(|c| c.call.declarer_org == e.declarer_org && c.call.emergency_id == e.id)
            .collect()
    }
    /// An open emergency of ours is being watched: the page reloads itself.
    fn live(&self) -> bool {
        self.items
            .iter()
            .any(|e| e.declarer_org == self.me && e.closed_ms.is_none())
    }
    fn minutes(&self, secs: &Option<i64>) -> String {
        secs.map(|s| format!("{}:{:02}", s / 60, s % 60))
            .unwrap_or_default()
    }
    fn elapsed(&self, e: &EmergencyView) -> String {
        self.minutes(&Some((self.now_ms - e.declared_ms).max(0) / 1000))
    }
    fn when(&self, ms: &i64) -> String {
        super::activities::when(ms.div_euclid(1000))
    }
}

pub async fn page_of_emergencies(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(a) = signed_in(&req, &node) else {
        return super::to_login(&req);
    };
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let me = node.cfg.org_id.to_string();
    let staff = a.claims.role == Role::Admin;
    let auditor = a.claims.role == Role::Auditor;
    let m2 = me.clone();
    let loaded = node
        .store
        .read(move |c| {
            let mut items = crate::store::emergencies::list(c)?
                .into_iter()
                .map(|e| api::emergencies::view(c, &m2, e))
                .collect::<crate::store::StoreResult<Vec<_>>>()?;
            // Who is on which post is for the declarer's staff (and auditors) only.
            if !staff && !auditor {
                for p in items.iter_mut().flat_map(|e| e.posts.iter_mut()) {
                    p.volunteers.clear();
                }
            }
            let (calls, mut names) = (
                if staff {
                    api::emergencies::calls(c, None)?
                } else {
                    Vec::new()
                },
                HashMap::new(),
            );
            for call in &calls {
                if let Some(m) = crate::store::members::find(c, &call.call.member_id)? {
                    names.insert(m.id, m.name);
                }
            }
            Ok((items, calls, names))
        })
        .await;
    let (items, calls, member_names) = match loaded {
        Ok(x) => x,
        Err(e) => return back(&node, "/offers", Err(e.into()), t),
    };
    page(
        EmergenciesPage {
            t,
            base,
            items,
            calls,
            member_names,
            names: org_names(&node),
            me,
            can_declare: staff
                && matches!(
                    node.cfg.kind,
                    OrgKind::Community | OrgKind::Street | OrgKind::OrgDepartment
                ),
            skills: skill_choices(t),
            now_ms: node.clock.now_ms(),
        },
        [cookie, clear],
    )
}

/// The posts of the declaration form: rows of title, headcount and skill; empty rows ignored.
fn posts(form: &mut Form) -> Result<Vec<NewPost>, ApiError> {
    let mut take = |k: &str| -> Vec<String> {
        form.0
            .as_mut()
            .ok()
            .and_then(|f| f.remove(k))
            .unwrap_or_default()
    };
    let (titles, counts, skills) = (
        take("post_title"),
        take("post_headcount"),
        take("post_skill"),
    );
    let mut out = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        if title.trim().is_empty() {
            continue;
        }
        let post = serde_json::json!({
            "title": title.trim(),
            "headcount": counts.get(i).and_then(|c| c.trim().parse::<u32>().ok()).unwrap_or(0),
            "skills": skills.get(i).filter(|s| !s.is_empty()).map(|s| vec![s.clone()]).unwrap_or_default(),
        });
        out.push(
            serde_json::from_value(post).map_err(|e| ApiError::invalid("posts", e.to_string()))?,
        );
    }
    Ok(out)
}

pub async fn declare(req: HttpRequest, node: NodeData, mut form: Form) -> HttpResponse {
    admin_action(req, node, "/emergencies", |n| async move {
        let posts = posts(&mut form)?;
        let mut input: NewEmergency = form_input(
            &form,
            &["answer_within_secs"],
            &[],
            &["communities", "grids"],
        )?;
        input.posts = posts;
        n.act(move |c, a| emergencies::declare(c, a, input)).await?;
        Ok(())
    })
    .await
}

pub async fn close(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/emergencies", |n| async move {
        let id = api::uuid_path("emergency", &path)?;
        let input: Closing = form_input(&form, &[], &[], &[])?;
        n.act(move |c, a| emergencies::close(c, a, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// Staff answer for a member (who phoned in).
pub async fn answer_for(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/emergencies", |n| async move {
        let (declarer, id, member) = path.into_inner();
        let (declarer, id) = (api::org_path(&declarer)?, api::uuid_path("emergency", &id)?);
        let member = api::uuid_path("member", &member)?;
        let input: Answer = form_input(&form, &[], &["available"], &[])?;
        n.act(move |c, a| emergencies::answer(c, a, member, &declarer, id, input))
            .await?;
        Ok(())
    })
    .await
}

/// A member answers their own call on `/me`.
pub async fn answer_mine(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        let member = api::uuid_path("member", &m.id)?;
        let (declarer, id) = path.into_inner();
        let (declarer, id) = (api::org_path(&declarer)?, api::uuid_path("emergency", &id)?);
        let input: Answer = form_input(&form, &[], &["available"], &[])?;
        n.act(move |c, a| emergencies::answer(c, a, member, &declarer, id, input))
            .await?;
        Ok(())
    })
    .await
}
