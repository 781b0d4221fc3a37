//! 急时 (`domain::emergencies`): a street or community declares an emergency
//! (`/api/v1/emergencies`), watches its posts fill and closes it; every organisation's staff see
//! the calls of their members (`/api/v1/emergency-calls`) and may answer for them; a member
//! answers their own call (`/api/v1/me/emergency-calls`).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::members::me_of;
use super::{ADMIN, ANY, NodeData, org_path, uuid_path};
use crate::domain::emergencies::{self, Answer, Closing, NewEmergency, PostFill};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::extract::ValidJson;
use crate::store::AnyConnection;
use crate::store::StoreResult;
use crate::store::emergencies::{self as rows, CallRow, EmergencyRow};

/// An emergency; at its declarer, with who volunteered for each post and when it filled.
#[derive(Serialize, schemars::JsonSchema)]
pub struct EmergencyView {
    pub declarer_org: String,
    pub id: String,
    pub title: String,
    pub description: String,
    pub communities: Vec<String>,
    pub grids: Vec<String>,
    pub posts: Vec<PostFill>,
    pub starts_at: i64,
    pub answer_within_secs: i64,
    pub declared_ms: i64,
    pub closed_ms: Option<i64>,
    pub summary: Option<String>,
}

pub fn view(conn: &mut AnyConnection, me: &str, e: EmergencyRow) -> StoreResult<EmergencyView> {
    let posts = if e.declarer_org == me {
        emergencies::fill(conn, &e)?
    } else {
        // Elsewhere the posts only, without anyone in them.
        emergencies::posts_of(&e)
            .into_iter()
            .map(|p| PostFill {
                post_id: p.post_id.to_string(),
                title: p.title.to_string(),
                headcount: p.headcount,
                skills: p.skills,
                volunteers: Vec::new(),
                filled_ms: None,
                seconds_to_fill: None,
            })
            .collect()
    };
    Ok(EmergencyView {
        communities: serde_json::from_str(&e.communities).unwrap_or_default(),
        grids: serde_json::from_str(&e.grids).unwrap_or_default(),
        posts,
        declarer_org: e.declarer_org,
        id: e.id,
        title: e.title,
        description: e.description,
        starts_at: e.starts_at,
        answer_within_secs: e.answer_within_secs,
        declared_ms: e.declared_ms,
        closed_ms: e.closed_ms,
        summary: e.summary,
    })
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Emergencies {
    pub items: Vec<EmergencyView>,
}

#[utoipa::path(get, path = "/api/v1/emergencies", tag = "emergencies", security(("bearer" = [])),
    responses((status = 200, description = "the emergencies this node knows, newest first; at the declarer with each post's volunteers and time to fill")))]
pub async fn list(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ANY)?;
    let me = node.cfg.org_id.to_string();
    // Who is on which post is for the declarer's staff (and auditors), not its members.
    let members_only = auth.claims.role == tongxin_schema::token::Role::Member;
    let items = node
        .store
        .read(move |c| {
            let mut items = rows::list(c)?
                .into_iter()
                .map(|e| view(c, &me, e))
                .collect::<StoreResult<Vec<_>>>()?;
            if members_only {
                for p in items.iter_mut().flat_map(|e| e.posts.iter_mut()) {
                    p.volunteers.clear();
                }
            }
            Ok(items)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Emergencies { items }))
}

#[utoipa::path(post, path = "/api/v1/emergencies", tag = "emergencies", security(("bearer" = [])),
    responses((status = 201, description = "declared; every organisation calls its ready members in the area"), (status = 403, description = "this kind of organisation does not declare emergencies"), (status = 422, description = "a field is invalid, or the area is not this organisation's")))]
pub async fn declare(
    node: NodeData,
    auth: Auth,
    body: ValidJson<NewEmergency>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let input = body.into_inner();
    let me = node.cfg.org_id.to_string();
    let v = node
        .act(move |c, a| {
            let e = emergencies::declare(c, a, input)?;
            Ok(view(c, &me, e)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(post, path = "/api/v1/emergencies/{id}/close", tag = "emergencies", security(("bearer" = [])),
    params(("id" = String, Path, description = "one of this organisation's emergencies")),
    responses((status = 200, description = "closed; the alliance stops calling for it"), (status = 404, description = "no such emergency of ours"), (status = 409, description = "closed already")))]
pub async fn close(
    node: NodeData,
    auth: Auth,
    path: web::Path<String>,
    body: ValidJson<Closing>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let id = uuid_path("emergency", &path)?;
    let input = body.into_inner();
    let me = node.cfg.org_id.to_string();
    let v = node
        .act(move |c, a| {
            let e = emergencies::close(c, a, id, input)?;
            Ok(view(c, &me, e)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A call of one of our members, with what it is for.
#[derive(Serialize, schemars::JsonSchema)]
pub struct CallView {
    #[serde(flatten)]
    pub call: CallRow,
    pub emergency_title: String,
    pub post_title: String,
    pub closed: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Calls {
    pub items: Vec<CallView>,
}

/// The calls of `member` (of every member with `None`), with their emergency and post.
pub fn calls(conn: &mut AnyConnection, member: Option<&str>) -> StoreResult<Vec<CallView>> {
    // Many calls share one emergency: each is read once.
    let mut known: std::collections::HashMap<(String, String), Option<EmergencyRow>> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for c in rows::calls_of(conn, member)? {
        let key = (c.declarer_org.clone(), c.emergency_id.clone());
        let e = match known.get(&key) {
            Some(e) => e.clone(),
            None => {
                let e = rows::find(conn, &key.0, &key.1)?;
                known.insert(key, e.clone());
                e
            }
        };
        let Some(e) = e else {
            continue;
        };
        let post_title = emergencies::posts_of(&e)
            .into_iter()
            .find(|p| p.post_id.to_string() == c.post_id)
            .map(|p| p.title.to_string())
            .unwrap_or_default();
        out.push(CallView {
            call: c,
            emergency_title: e.title,
            post_title,
            closed: e.closed_ms.is_some(),
        });
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/emergency-calls", tag = "emergencies", security(("bearer" = [])),
    responses((status = 200, description = "this organisation's members called for emergencies, and their answers")))]
pub async fn list_calls(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let items = node.store.read(move |c| calls(c, None)).await?;
    Ok(HttpResponse::Ok().json(Calls { items }))
}

#[utoipa::path(post, path = "/api/v1/emergency-calls/{declarer}/{id}/{member}/answer", tag = "emergencies", security(("bearer" = [])),
    params(("declarer" = String, Path, description = "the declaring organisation"), ("id" = String, Path, description = "the emergency"), ("member" = String, Path, description = "the member called")),
    responses((status = 200, description = "answered for the member (e.g. on the phone); a yes goes to the declarer"), (status = 404, description = "no such call"), (status = 409, description = "answered already, or the emergency is closed")))]
pub async fn answer_for(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String, String)>,
    body: ValidJson<Answer>,
) -> Result<HttpResponse, ApiError> {
    auth.require(ADMIN)?;
    let (declarer, id, member) = path.into_inner();
    let declarer = org_path(&declarer)?;
    let id = uuid_path("emergency", &id)?;
    let member = uuid_path("member", &member)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| emergencies::answer(c, a, member, &declarer, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

#[utoipa::path(get, path = "/api/v1/me/emergency-calls", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in member's emergency calls")))]
pub async fn mine(node: NodeData, auth: Auth) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let items = node.store.read(move |c| calls(c, Some(&m.id))).await?;
    Ok(HttpResponse::Ok().json(Calls { items }))
}

#[utoipa::path(post, path = "/api/v1/me/emergency-calls/{declarer}/{id}/answer", tag = "me", security(("bearer" = [])),
    params(("declarer" = String, Path, description = "the declaring organisation"), ("id" = String, Path, description = "the emergency")),
    responses((status = 200, description = "answered; a yes goes to the declarer"), (status = 404, description = "no such call of yours"), (status = 409, description = "answered already, or the emergency is closed")))]
pub async fn answer_mine(
    node: NodeData,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: ValidJson<Answer>,
) -> Result<HttpResponse, ApiError> {
    let m = me_of(&node, &auth).await?;
    let member = uuid_path("member", &m.id)?;
    let (declarer, id) = path.into_inner();
    let declarer = org_path(&declarer)?;
    let id = uuid_path("emergency", &id)?;
    let input = body.into_inner();
    let row = node
        .act(move |c, a| emergencies::answer(c, a, member, &declarer, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}
