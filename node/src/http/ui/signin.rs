//! Signing in with your home organisation, in the browser (PROTOCOL.md §4.7).
//!
//! At the host: `/signin` lists the organisations a visitor can come from; picking one starts
//! a sign-in (a nonce in the database and in a cookie of this browser) and sends them to their
//! home's `/signin/for`; the home sends them back to `/signin/return` with a member token,
//! which is verified, used once, and turned into a session (`/visit`). A token that does not
//! pass gets a page that says why, and changes nothing.
//!
//! At the home: `/signin/for` asks a signed-in member whether to confirm who they are to that
//! host and what to share, and sends them back with the token (in the query of a top-level
//! GET: the only way back that carries the host's SameSite=Lax cookie across sites).

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;
use tongxin_schema::{OrgId, OrgKind};

use super::{
    Base, Form, NodeData, T, back, base, lang, name_of, org_names, page, redirect, same_origin,
    signed_in,
};
use crate::domain::signin::{self, Share, Visitor};
use crate::http::api;
use crate::http::error::ApiError;
use crate::state::SharedNode;
use crate::store::reports::ReportRow;

/// Why a sign-in was refused, each worded through `signin-<code>` (for the test that every one
/// is translated). Verification codes not listed here are worded as `signin-invalid`.
#[cfg(test)]
pub(crate) const REFUSAL_CODES: [&str; 13] = [
    "not_started",
    "nonce_used",
    "other_home",
    "cancelled",
    "no_token",
    "invalid",
    "wrong_audience",
    "certificate_expired",
    "nonce_mismatch",
    "revoked",
    "not_on_roster",
    "unknown_issuer",
    "subject_mismatch",
];

/// The refusal codes that have their own wording.
fn refusal_key(code: &str) -> String {
    const WORDED: [&str; 12] = [
        "not_started",
        "nonce_used",
        "other_home",
        "cancelled",
        "no_token",
        "wrong_audience",
        "certificate_expired",
        "nonce_mismatch",
        "revoked",
        "not_on_roster",
        "unknown_issuer",
        "subject_mismatch",
    ];
    format!(
        "signin-{}",
        if WORDED.contains(&code) {
            code
        } else {
            "invalid"
        }
    )
}

/// The cookie that ties a started sign-in to this browser.
fn nonce_cookie(node: &SharedNode) -> String {
    format!("tongxin_signin_{}", node.cfg.org_id)
}

/// The cookie of a visitor's session.
fn visitor_cookie(node: &SharedNode) -> String {
    format!("tongxin_visitor_{}", node.cfg.org_id)
}

fn cookie(name: String, value: String, path: &str) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path.to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

fn removal(name: String, path: &str) -> Cookie<'static> {
    let mut c = Cookie::build(name, "").path(path.to_owned()).finish();
    c.make_removal();
    c
}

/// The member of another organisation signed in here in this browser, if any.
pub async fn visitor(req: &HttpRequest, node: &SharedNode) -> Option<Visitor> {
    let secret = req.cookie(&visitor_cookie(node))?.value().to_owned();
    let now = node.clock.now_ms();
    node.store
        .read(move |c| signin::visitor(c, now, &secret))
        .await
        .ok()
        .flatten()
}

fn next_of(q: &HashMap<String, String>) -> String {
    q.get("next")
        .and_then(|n| signin::local_path(n))
        .unwrap_or("/visit")
        .to_owned()
}

/// A value for a URL's query.
pub(crate) fn encode(s: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
}

/// Joins a roster `base_url` and a path.
fn at(base_url: &str, path_and_query: &str) -> String {
    format!("{}{path_and_query}", base_url.trim_end_matches('/'))
}

// ---- At the host ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "signin.html")]
struct ChoosePage {
    t: T,
    base: Base,
    next: String,
    /// (id, name, kind) of the organisations a visitor can sign in with.
    homes: Vec<(String, String, OrgKind)>,
    visitor: Option<Visitor>,
    names: HashMap<String, String>,
}

impl ChoosePage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
}

/// `GET /signin?next=…`: pick your home organisation.
pub async fn choose(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let role = signed_in(&req, &node).map(|a| a.claims.role);
    let (base, clear) = base(&req, &node, role);
    let roster = node.roster();
    let homes = roster
        .orgs()
        .iter()
        .filter(|o| o.id != node.cfg.org_id && o.base_url().is_some())
        .map(|o| (o.id.to_string(), o.name.to_string(), o.kind))
        .collect();
    page(
        ChoosePage {
            t,
            base,
            next: next_of(&q),
            homes,
            visitor: visitor(&req, &node).await,
            names: org_names(&node),
        },
        [cookie, clear],
    )
}

/// `POST /signin` (`home`, `next`): starts a sign-in and sends the visitor to their home.
pub async fn start(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    // Another site must not start sign-ins here (nor replace a visitor's sign-in in progress).
    if !same_origin(&req) {
        return back(
            &node,
            "/signin",
            Err(ApiError::forbidden("cross-site request refused")),
            t,
        );
    }
    let field = |k: &str| {
        form.0
            .as_ref()
            .ok()
            .and_then(|f| f.get(k))
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    let next = signin::local_path(&field("next"))
        .unwrap_or("/visit")
        .to_owned();
    let back_here = format!("/signin?next={}", encode(&next));
    let home: Option<OrgId> = field("home").parse().ok();
    let roster = node.roster();
    let entry = home.as_ref().and_then(|h| roster.org(h));
    let Some((home, base_url)) = home
        .as_ref()
        .zip(entry.and_then(|e| e.base_url()))
        .filter(|(h, _)| **h != node.cfg.org_id)
    else {
        return back(
            &node,
            &back_here,
            Err(ApiError::invalid("home", t.t("signin-pick_home"))),
            t,
        );
    };
    let now = node.clock.now_ms();
    let h = home.clone();
    let nonce = match node
        .store
        .write(move |c| signin::start(c, now, &h, &next))
        .await
    {
        Ok(n) => n,
        Err(e) => return back(&node, &back_here, Err(e.into()), t),
    };
    let to = at(
        base_url,
        &format!("/signin/for?host={}&nonce={nonce}", node.cfg.org_id),
    );
    let mut r = redirect(&to);
    let _ = r.add_cookie(&cookie(nonce_cookie(&node), nonce, "/signin"));
    r
}

#[derive(Template)]
#[template(path = "signin_refused.html")]
struct RefusedPage {
    t: T,
    base: Base,
    code: String,
    reason: String,
    next: String,
}

fn refused(
    req: &HttpRequest,
    node: &SharedNode,
    t: T,
    status: StatusCode,
    code: &str,
    detail: Option<String>,
    next: String,
) -> HttpResponse {
    let (base, _) = base(req, node, None);
    let mut reason = t.t(&refusal_key(code)).into_owned();
    if let Some(d) = detail {
        reason = format!("{reason}（{d}）");
    }
    tracing::info!(code, "member sign-in refused");
    let mut r = page(
        RefusedPage {
            t,
            base,
            code: code.to_owned(),
            reason,
            next,
        },
        [None, None],
    );
    *r.status_mut() = status;
    r
}

/// `GET /signin/return?token=…` (or `?error=cancelled`): the home sent the visitor back.
pub async fn finish(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let refuse =
        |status, code: &str, detail| refused(&req, &node, t, status, code, detail, "/visit".into());
    if q.get("error").is_some_and(|e| e == "cancelled") {
        return refuse(StatusCode::OK, "cancelled", None);
    }
    let Some(token) = q.get("token").cloned() else {
        return refuse(StatusCode::BAD_REQUEST, "no_token", None);
    };
    let Some(nonce) = req
        .cookie(&nonce_cookie(&node))
        .map(|c| c.value().to_owned())
    else {
        return refuse(StatusCode::BAD_REQUEST, "not_started", None);
    };
    let now = node.clock.now_s();
    let verified = match node
        .verifier()
        .verify_member_token(&token, now, &node.cfg.org_id, &nonce)
    {
        Ok(v) => v.into_value(),
        Err(e) => {
            return refuse(StatusCode::UNAUTHORIZED, e.code(), Some(e.to_string()));
        }
    };
    let now_ms = node.clock.now_ms();
    let ttl = node.cfg.http.token_ttl_secs;
    let n = nonce.clone();
    let done = node
        .store
        .write(move |c| signin::finish(c, now_ms, &n, &verified, ttl))
        .await;
    let (secret, v) = match done {
        Ok(Ok(ok)) => ok,
        Ok(Err(why)) => return refuse(StatusCode::UNAUTHORIZED, why.code(), None),
        Err(e) => {
            tracing::error!(error = %e, "member sign-in not stored");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "invalid",
                Some(e.to_string()),
            );
        }
    };
    tracing::info!(home = %v.home, "member of another organisation signed in");
    let mut r = redirect(&v.next_path);
    let _ = r.add_cookie(&cookie(visitor_cookie(&node), secret, "/"));
    let _ = r.add_cookie(&removal(nonce_cookie(&node), "/signin"));
    r
}

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage {
    t: T,
    base: Base,
    v: Visitor,
    reports: Vec<ReportRow>,
    names: HashMap<String, String>,
    is_community: bool,
}

impl VisitPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
    fn skills(&self) -> String {
        self.v
            .skills
            .iter()
            .map(|s| {
                self.t
                    .t(&format!("skill-{}", <&str>::from(*s)))
                    .into_owned()
            })
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// `GET /visit`: what this node knows of the visitor signed in with their home.
pub async fn visit(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let Some(v) = visitor(&req, &node).await else {
        return redirect("/signin?next=/visit");
    };
    let (base, clear) = base(&req, &node, None);
    let (me, mref) = (node.cfg.org_id.to_string(), v.member_ref.clone());
    let reports = node
        .store
        .read(move |c| crate::store::reports::received_from(c, &me, &mref))
        .await
        .unwrap_or_default();
    page(
        VisitPage {
            t,
            base,
            v,
            reports,
            names: org_names(&node),
            is_community: node.cfg.kind == OrgKind::Community,
        },
        [cookie, clear],
    )
}

/// `POST /signin/out`: ends the visitor's session here (their home sign-in is untouched).
pub async fn sign_out(req: HttpRequest, node: NodeData) -> HttpResponse {
    if let Some(c) = req.cookie(&visitor_cookie(&node))
        && same_origin(&req)
    {
        let sha = signin::sha256_hex(c.value());
        let now = node.clock.now_ms();
        if let Err(e) = node
            .store
            .write(move |c| crate::store::signins::end(c, &sha, now))
            .await
        {
            tracing::error!(error = %e, "visitor session not ended");
        }
    }
    let mut r = redirect("/signin");
    let _ = r.add_cookie(&removal(visitor_cookie(&node), "/"));
    r
}

// ---- At the home ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "signin_for.html")]
struct ConsentPage {
    t: T,
    base: Base,
    host: String,
    host_name: String,
    nonce: String,
    addressed_as: String,
    skills: String,
}

/// The host and nonce of a sign-in request, checked before anything is shown or signed.
fn request_of(
    node: &SharedNode,
    fields: &HashMap<String, String>,
) -> Result<(OrgId, String, String), ApiError> {
    let host: OrgId = fields
        .get("host")
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| ApiError::invalid("host", "names no organisation"))?;
    let nonce = fields.get("nonce").cloned().unwrap_or_default();
    if !tongxin_schema::token::is_nonce(&nonce) {
        return Err(ApiError::invalid(
            "nonce",
            "is not a sign-in this node can answer",
        ));
    }
    let roster = node.roster();
    let now_ms = node.clock.now_ms();
    let actor = crate::domain::Actor {
        signer: &node.signer,
        roster: &roster,
        now_ms,
        deadlines: node.cfg.needs,
    };
    let base_url = signin::check_host(&actor, &host).map_err(crate::domain::ActionError::from)?;
    Ok((host, nonce, base_url.to_owned()))
}

/// `GET /signin/for?host=…&nonce=…`: a member of ours confirms who they are to `host`.
pub async fn consent(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let (host, nonce, _) = match request_of(&node, &q) {
        Ok(r) => r,
        Err(e) => return back(&node, "/me", Err(e), t),
    };
    let Some(a) = signed_in(&req, &node) else {
        let here = format!("/signin/for?host={host}&nonce={nonce}");
        return redirect(&format!("/login?next={}", encode(&here)));
    };
    if a.claims.role != Role::Member {
        return back(
            &node,
            "/offers",
            Err(ApiError::forbidden(t.t("signin-members_only"))),
            t,
        );
    }
    let m = match api::members::member_signed_in_as(&node, &a.claims.sub).await {
        Ok(m) => m,
        Err(e) => return back(&node, "/login", Err(e), t),
    };
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let names = org_names(&node);
    page(
        ConsentPage {
            host_name: name_of(&names, host.as_str()).to_owned(),
            host: host.to_string(),
            nonce,
            addressed_as: crate::domain::members::addressed_as(&m),
            skills: super::members::labels(&t, "skill", &m.skills),
            t,
            base,
        },
        [cookie, clear],
    )
}

/// `POST /signin/for` (`host`, `nonce`, `share_name`, `share_skills`, `answer`): signs the
/// member token and sends the member back to the host, or back without one if they cancel.
pub async fn confirm(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let fields: HashMap<String, String> = form
        .0
        .as_ref()
        .map(|f| {
            f.iter()
                .filter_map(|(k, v)| v.first().map(|v| (k.clone(), v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let (host, nonce, base_url) = match request_of(&node, &fields) {
        Ok(r) => r,
        Err(e) => return back(&node, "/me", Err(e), t),
    };
    let Some(a) = signed_in(&req, &node) else {
        return redirect("/login");
    };
    if !same_origin(&req) {
        return back(
            &node,
            "/me",
            Err(ApiError::forbidden("cross-site request refused")),
            t,
        );
    }
    if fields.get("answer").is_some_and(|a| a == "cancel") {
        return redirect(&at(&base_url, "/signin/return?error=cancelled"));
    }
    if a.claims.role != Role::Member {
        return back(
            &node,
            "/me",
            Err(ApiError::forbidden(t.t("signin-members_only"))),
            t,
        );
    }
    let m = match api::members::member_signed_in_as(&node, &a.claims.sub).await {
        Ok(m) => m,
        Err(e) => return back(&node, "/me", Err(e), t),
    };
    let id = match api::uuid_path("member", &m.id) {
        Ok(id) => id,
        Err(e) => return back(&node, "/me", Err(e), t),
    };
    let share = Share {
        name: fields.get("share_name").is_some_and(|v| v == "true"),
        skills: fields.get("share_skills").is_some_and(|v| v == "true"),
    };
    let h = host.clone();
    match node
        .act(move |c, a| signin::member_token(c, a, id, &h, &nonce, share))
        .await
    {
        Ok(token) => {
            tracing::info!(%host, "member token issued");
            redirect(&at(&base_url, &format!("/signin/return?token={token}")))
        }
        Err(e) => back(&node, "/me", Err(e.into()), t),
    }
}
