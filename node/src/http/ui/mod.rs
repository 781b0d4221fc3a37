//! The web UI: server-rendered pages (askama, escaped by default), zh-CN by default with
//! English on `?lang=en`, usable on a phone. It signs in with the same tokens as the API
//! (kept in an HttpOnly, SameSite=Lax cookie) and acts through the same domain commands (`Node::act`).
//!
//! One module per feature: `auth` (sign-in, sign-out), `offers`, `needs` (needs and claims),
//! `exchange` (roster, stream health, rejected messages). This module holds the routes and
//! what every page shares: language, the page frame (`Base`), rendering, redirects with a
//! message, the form-to-API-input bridge and the admin-form guard.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::{Value, json};
use tongxin_schema::token::Role;

use super::auth::{self as http_auth, Auth};
use super::error::ApiError;
use super::extract;
use crate::i18n::{self, Lang};
use crate::state::SharedNode;

/// The signed-in caller, or a redirect to the sign-in page. Declared before the feature
/// modules so that they can use it.
macro_rules! require_sign_in {
    ($req:expr, $node:expr) => {
        match super::signed_in(&$req, &$node) {
            Some(a) => a,
            None => return super::to_login(&$req),
        }
    };
}

mod accounts;
pub(crate) mod activities;
pub(crate) mod agreements;
mod auth;
mod certificate;
mod emergencies;
mod exchange;
mod flash;
mod home;
pub(crate) mod matching;
pub(crate) mod members;
mod needs;
mod offers;
pub(crate) mod pairings;
mod participation;
mod services;
pub(crate) mod signin;
mod teams;
mod wording;

use crate::http::api::NodeData;

/// The page's language, and its words from the message catalogues (`i18n`).
#[derive(Debug, Clone, Copy)]
pub struct T {
    lang: Lang,
}

impl T {
    pub fn t(&self, key: &str) -> Cow<'static, str> {
        i18n::message(self.lang, key)
    }
    pub fn lang(&self) -> &'static str {
        self.lang.tag()
    }
    /// The `?lang=` value of the link to the other language.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::En => "zh",
            Lang::ZhCn => "en",
        }
    }
}

pub struct Base {
    pub org_name: String,
    pub signed_in: bool,
    /// What the menu offers: staff pages or the member's own.
    pub is_admin: bool,
    pub is_member: bool,
    /// A community's staff also keep the care ledger (结对帮扶).
    pub is_community_admin: bool,
    /// The organisation department's auditors see the participation figures (参与情况).
    pub is_department_auditor: bool,
    /// Who is signed in, and as what, for the header.
    pub username: String,
    pub role: String,
    pub errors: Vec<String>,
    pub notices: Vec<String>,
    /// An error about one form field, shown next to it.
    pub field_errors: BTreeMap<String, String>,
    /// What the form held when it was refused.
    pub kept: BTreeMap<String, String>,
}

impl Base {
    /// What the refused form held in `field`, or nothing.
    pub fn kept(&self, field: &str) -> &str {
        self.kept.get(field).map(String::as_str).unwrap_or("")
    }
    /// The error about `field`, if the form was refused for it.
    pub fn field_error(&self, field: &str) -> Option<&str> {
        self.field_errors.get(field).map(String::as_str)
    }
}

/// Organisation display names from the roster, for lists that store only ids.
fn org_names(node: &SharedNode) -> HashMap<String, String> {
    node.verifier()
        .roster()
        .map(|r| {
            r.orgs()
                .iter()
                .map(|o| (o.id.to_string(), o.name.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn name_of<'a>(names: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    names.get(id).map(String::as_str).unwrap_or(id)
}

/// The protocol's skills (`Skill`), offered as checkboxes; each is shown through the key
/// `skill-<name>`. A test keeps this list equal to the protocol's.
pub(crate) const SKILLS: [&str; 13] = [
    "medical-aid",
    "network-security",
    "legal",
    "psychological",
    "health-education",
    "elderly-care",
    "child-care",
    "repair",
    "hairdressing",
    "culture-sports",
    "disability-assistance",
    "tutoring",
    "other",
];

/// (value, label) of each skill, for the forms' checkboxes.
fn skill_choices(t: T) -> Vec<(&'static str, String)> {
    SKILLS
        .iter()
        .map(|s| (*s, t.t(&format!("skill-{s}")).into_owned()))
        .collect()
}

/// This organisation's grids in the roster, for the forms.
fn my_grids(node: &SharedNode) -> Vec<String> {
    let r = node.roster();
    r.orgs()
        .iter()
        .filter(|o| o.id == node.cfg.org_id)
        .flat_map(|o| o.grids.iter().map(|g| g.to_string()))
        .collect()
}

pub(crate) const CATEGORIES: [&str; 5] =
    ["venue", "service", "volunteer-skill", "material", "funding"];
pub(crate) const LEVELS: [&str; 3] = ["grid", "community", "street"];
/// The statuses of offers, needs and claims, shown through the catalogues (for the test that
/// every one is translated).
#[cfg(test)]
pub(crate) const STATUSES: [&str; 9] = [
    "open",
    "withdrawn",
    "fulfilled",
    "pending",
    "accepted",
    "declined",
    "done",
    "confirmed",
    "reopened",
];

/// The language: `?lang=` wins and is remembered in a cookie.
fn lang(req: &HttpRequest, q: &HashMap<String, String>) -> (T, Option<Cookie<'static>>) {
    if let Some(l) = q.get("lang") {
        let en = l == "en";
        let c = Cookie::build("tongxin_lang", if en { "en" } else { "zh" })
            .path("/")
            .same_site(SameSite::Lax)
            .finish();
        let lang = if en { Lang::En } else { Lang::ZhCn };
        return (T { lang }, Some(c));
    }
    (
        T {
            lang: if req
                .cookie("tongxin_lang")
                .is_some_and(|c| c.value() == "en")
            {
                Lang::En
            } else {
                Lang::ZhCn
            },
        },
        None,
    )
}

/// The page frame for a caller signed in with `role` (None: signed out), with the message this
/// node left for this page (see `flash`), and the cookie that clears that message once shown.
fn base(
    req: &HttpRequest,
    node: &SharedNode,
    role: Option<Role>,
) -> (Base, Option<Cookie<'static>>) {
    let (messages, clear) = flash::take(req, node);
    let (mut errors, mut notices) = (Vec::new(), Vec::new());
    let (mut field_errors, mut kept) = (BTreeMap::new(), BTreeMap::new());
    for f in messages {
        if let Some(field) = f.field {
            field_errors.insert(field, f.text.clone());
        }
        kept.extend(f.kept);
        match f.level {
            flash::Level::Error => errors.push(f.text),
            flash::Level::Notice => notices.push(f.text),
        }
    }
    let username = signed_in(req, node)
        .map(|a| a.claims.sub)
        .unwrap_or_default();
    let (t, _) = lang(req, &HashMap::new());
    let role_name = role.map(|r| t.t(&format!("role-{r}")).into_owned());
    let base = Base {
        org_name: node.cfg.name.clone(),
        signed_in: role.is_some(),
        is_admin: role == Some(Role::Admin),
        is_member: role == Some(Role::Member),
        is_community_admin: role == Some(Role::Admin)
            && node.cfg.kind == tongxin_schema::OrgKind::Community,
        is_department_auditor: role == Some(Role::Auditor)
            && node.cfg.kind == tongxin_schema::OrgKind::OrgDepartment,
        username,
        role: role_name.unwrap_or_default(),
        errors,
        notices,
        field_errors,
        kept,
    };
    (base, clear)
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    t: T,
    base: Base,
}

/// A page this node does not have (404), in the reader's language, with the menu.
pub(crate) fn not_found_page(req: &HttpRequest, node: &SharedNode, t: T) -> HttpResponse {
    let role = signed_in(req, node).map(|a| a.claims.role);
    let (base, _) = base(req, node, role);
    let mut r = page(NotFoundPage { t, base }, [None, None]);
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

/// Any address no route answers.
pub async fn no_page(req: HttpRequest, node: NodeData) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    not_found_page(&req, &node, t)
}

/// Renders a page, setting the cookies given (the language chosen, a shown flash's removal).
fn page(t: impl Template, cookies: [Option<Cookie<'static>>; 2]) -> HttpResponse {
    match t.render() {
        Ok(html) => {
            let mut r = HttpResponse::Ok();
            r.content_type("text/html; charset=utf-8");
            for c in cookies.into_iter().flatten() {
                r.cookie(c);
            }
            r.body(html)
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            HttpResponse::InternalServerError().body("template error")
        }
    }
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// Back to `to`, which shows the error or "saved" once (a signed flash cookie, not the URL),
/// in the reader's words.
fn back(node: &SharedNode, to: &str, result: Result<(), ApiError>, t: T) -> HttpResponse {
    back_keeping(node, to, result, t, BTreeMap::new())
}

/// As `back`; after an error the form's page shows `kept` in its fields again.
fn back_keeping(
    node: &SharedNode,
    to: &str,
    result: Result<(), ApiError>,
    t: T,
    kept: BTreeMap<String, String>,
) -> HttpResponse {
    let flash = match result {
        Ok(()) => flash::Flash::new(flash::Level::Notice, &t.t("saved")),
        Err(e) => {
            let mut f = flash::Flash::new(flash::Level::Error, &wording::say(t, &e));
            f.field = wording::field_of(&e);
            f.kept = kept;
            f
        }
    };
    let mut r = redirect(to);
    flash::set(&mut r, node, &[flash]);
    r
}

/// A form's single-valued fields, to show again if it is refused; nothing when they are
/// longer in all than a flash carries, and never a password.
fn keep(form: &Form) -> BTreeMap<String, String> {
    let Ok(fields) = &form.0 else {
        return BTreeMap::new();
    };
    let kept: BTreeMap<String, String> = fields
        .iter()
        .filter(|(k, v)| v.len() == 1 && !k.contains("password"))
        .map(|(k, v)| (k.clone(), v[0].clone()))
        .collect();
    let chars: usize = kept.values().map(|v| v.chars().count()).sum();
    if chars > flash::MAX_KEPT_CHARS {
        return BTreeMap::new();
    }
    kept
}

/// A page this caller may not see: to `to` with `why`, passing on the messages that were
/// waiting for the refused page.
fn refuse(req: &HttpRequest, node: &SharedNode, to: &str, why: &str) -> HttpResponse {
    let (mut messages, _) = flash::take(req, node);
    messages.push(flash::Flash::new(flash::Level::Error, why));
    let mut r = redirect(to);
    flash::set(&mut r, node, &messages);
    r
}

/// Forms are only accepted from this node's own pages. SameSite=Lax cookies are not enough:
/// other nodes on the same host (other ports) are the same site.
fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        // Browsers send Origin with cross-origin POSTs; a client without one must still hold
        // the cookie, which a cross-site page cannot read.
        return true;
    };
    let host = req.connection_info().host().to_owned();
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// The sign-in page, for a visitor who is not signed in: a page they opened (GET) is where
/// the sign-in takes them back to; a form they sent goes to the sign-in alone.
fn to_login(req: &HttpRequest) -> HttpResponse {
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if req.method() == actix_web::http::Method::GET
        && crate::domain::signin::local_path(here).is_some()
        && here != "/"
    {
        redirect(&format!("/login?next={}", signin::encode(here)))
    } else {
        redirect("/login")
    }
}

fn signed_in(req: &HttpRequest, node: &SharedNode) -> Option<Auth> {
    http_auth::token_from(req, node).and_then(|t| http_auth::authenticate(node, &t).ok())
}

/// A submitted form: each field with every value it was sent, so that repeated fields
/// (`skills=a&skills=b`, as checkboxes send them) arrive whole. A body that is not a form is
/// kept as the error, which the form's page then shows.
pub struct Fields(Result<BTreeMap<String, Vec<String>>, ApiError>);

impl FromRequest for Fields {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Fields, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        // The body's size is bounded by the app's PayloadConfig (extract::MAX_BODY).
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let parsed = match bytes.await {
                Err(e)
                    if e.as_error::<actix_web::error::PayloadError>()
                        .is_some_and(|p| matches!(p, actix_web::error::PayloadError::Overflow)) =>
                {
                    Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        "the form is over 64 KiB",
                    ))
                }
                Err(e) => Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_body",
                    format!("the form could not be read: {e}"),
                )),
                Ok(b) if b.is_empty() => Ok(BTreeMap::new()),
                Ok(_) if !is_form => Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "content_type",
                    "send the form as application/x-www-form-urlencoded",
                )),
                Ok(b) => serde_html_form::from_bytes(&b).map_err(|e| {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", e.to_string())
                }),
            };
            Ok(Fields(parsed))
        })
    }
}

/// Builds a JSON object from form fields (numbers and flags typed, `lists` as arrays) and
/// parses it exactly as the API does, so the same validation and messages apply. Empty
/// fields are left out; a field that is not a list may be sent once.
fn form_input<T: serde::de::DeserializeOwned>(
    form: &Fields,
    numbers: &[&str],
    flags: &[&str],
    lists: &[&str],
) -> Result<T, ApiError> {
    let fields = form
        .0
        .as_ref()
        .map_err(|e| ApiError::new(e.status, e.code, e.message.clone()))?;
    let mut obj = serde_json::Map::new();
    for (k, values) in fields {
        let values: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        if values.is_empty() {
            continue;
        }
        if lists.contains(&k.as_str()) {
            let items = values.into_iter().cloned().map(Value::String).collect();
            obj.insert(k.clone(), Value::Array(items));
            continue;
        }
        let [v] = values.as_slice() else {
            return Err(ApiError::invalid(k, "was sent more than once"));
        };
        let value = if numbers.contains(&k.as_str()) {
            v.parse::<u64>()
                .map(Value::from)
                .map_err(|_| ApiError::invalid(k, "must be a whole number"))?
        } else if flags.contains(&k.as_str()) {
            // Only the two values the form offers: anything else is refused, not read as "no".
            match v.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(ApiError::invalid(k, "must be true or false")),
            }
        } else {
            Value::String((*v).clone())
        };
        obj.insert(k.clone(), value);
    }
    extract::parse(json!(obj).to_string().as_bytes())
}

/// The page a form returns to: its `back` field when that names a page of this node (a need's
/// page sends its own address), else `default`.
fn back_to(form: &mut Form, default: &str) -> String {
    let asked = form
        .0
        .as_mut()
        .ok()
        .and_then(|f| f.remove("back"))
        .and_then(|v| v.into_iter().next());
    asked
        .filter(|p| crate::domain::signin::local_path(p).is_some())
        .unwrap_or_else(|| default.to_owned())
}

/// A form's date field `from` (YYYY-MM-DD, Beijing) becomes `to` in Unix seconds: the start of
/// that day, or its last second (`end_of_day`, for a deadline or an end date).
fn date_field(form: &mut Form, from: &str, to: &str, end_of_day: bool) -> Result<(), ApiError> {
    let Ok(fields) = form.0.as_mut() else {
        return Ok(());
    };
    let Some(date) = fields.remove(from).and_then(|v| v.into_iter().next()) else {
        return Ok(());
    };
    if date.is_empty() {
        return Ok(());
    }
    let start = agreements::midnight(from, &date)?;
    let at = if end_of_day { start + 86_399 } else { start };
    fields.insert(to.to_owned(), vec![at.to_string()]);
    Ok(())
}

/// Skills as the page names them, from the JSON list a row keeps.
fn skill_names(t: T, json: &str) -> String {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .map(|s| t.t(&format!("skill-{s}")).into_owned())
        .collect::<Vec<_>>()
        .join("、")
}

/// A query parameter, if present, non-empty and free of control characters.
fn opt(q: &HashMap<String, String>, k: &str) -> Option<String> {
    q.get(k)
        .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
        .cloned()
}

type Form = Fields;

/// A member of another organisation as a community's staff see them: how their report lets
/// them be addressed (or that it does not), and their organisation's name.
fn reporting_member(
    t: &T,
    names: &HashMap<String, String>,
    display_name: Option<&str>,
    home: &str,
) -> String {
    let name = display_name
        .map(str::to_owned)
        .unwrap_or_else(|| t.t("name_not_shared").into_owned());
    format!("{name} · {}", name_of(names, home))
}

/// A form's choice of a member who reports here, `report` = `home/report-id`, as the API names
/// them: `home` and `report_id`.
fn member_choice(form: &mut Form) -> Result<(), ApiError> {
    if let Ok(fields) = form.0.as_mut() {
        let chosen = fields
            .remove("report")
            .and_then(|v| v.into_iter().next())
            .unwrap_or_default();
        let (home, report) = chosen
            .split_once('/')
            .ok_or_else(|| ApiError::invalid("report", "choose a member who reports here"))?;
        fields.insert("home".into(), vec![home.to_owned()]);
        fields.insert("report_id".into(), vec![report.to_owned()]);
    }
    Ok(())
}

/// An administrator's form: signed in, from this node's own pages, with the admin role; then
/// back to `to` with the outcome shown.
async fn admin_action<F, Fut>(req: HttpRequest, node: NodeData, to: &str, f: F) -> HttpResponse
where
    F: FnOnce(SharedNode) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    admin_action_keeping(req, node, to, BTreeMap::new(), f).await
}

/// As `admin_action`; a refused form shows `kept` again.
async fn admin_action_keeping<F, Fut>(
    req: HttpRequest,
    node: NodeData,
    to: &str,
    kept: BTreeMap<String, String>,
    f: F,
) -> HttpResponse
where
    F: FnOnce(SharedNode) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let (t, _) = lang(&req, &HashMap::new());
    let Some(a) = signed_in(&req, &node) else {
        return to_login(&req);
    };
    if !same_origin(&req) {
        return back(
            &node,
            to,
            Err(ApiError::forbidden("cross-site request refused")),
            t,
        );
    }
    if let Err(e) = a.require(&[Role::Admin]) {
        return back(&node, to, Err(e), t);
    }
    let result = f(node.get_ref().clone()).await;
    back_keeping(&node, to, result, t, kept)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use auth::{login, login_page, logout};
    use exchange::{exchange, roster};
    use needs::{
        claim_need, claims, confirm_claim, create_need, decide_claim, escalate_need, fulfil_need,
        needs, reopen_claim, report_done,
    };
    use offers::{create_offer, offers, withdraw_offer};
    cfg.route("/", web::get().to(home::home))
        .route("/needs/{org}/{id}", web::get().to(needs::need_page))
        .route("/offers/{org}/{id}", web::get().to(offers::offer_page))
        .route("/users", web::get().to(accounts::list))
        .route("/users", web::post().to(accounts::add))
        .route(
            "/users/{name}/password",
            web::post().to(accounts::reset_password),
        )
        .route("/users/{name}/disable", web::post().to(accounts::disable))
        .route("/users/{name}/enable", web::post().to(accounts::enable))
        .route("/account", web::get().to(accounts::account))
        .route("/account/password", web::post().to(accounts::change_own))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/offers", web::get().to(offers))
        .route("/offers", web::post().to(create_offer))
        .route("/offers/{id}/withdraw", web::post().to(withdraw_offer))
        .route("/needs", web::get().to(needs))
        .route("/needs", web::post().to(create_need))
        .route("/needs/{org}/{id}/claim", web::post().to(claim_need))
        .route("/needs/{id}/fulfil", web::post().to(fulfil_need))
        .route("/needs/{id}/edit", web::post().to(needs::edit_need))
        .route("/needs/{id}/escalate", web::post().to(escalate_need))
        .route("/claims", web::get().to(claims))
        .route(
            "/claims/{claimant}/{id}/decide",
            web::post().to(decide_claim),
        )
        .route("/claims/{id}/done", web::post().to(report_done))
        .route(
            "/me/needs/{org}/{id}/claim",
            web::post().to(needs::claim_mine),
        )
        .route(
            "/me/claims/{id}/done",
            web::post().to(needs::report_done_mine),
        )
        .route("/care/buildings", web::post().to(pairings::add_building))
        .route(
            "/claims/{claimant}/{id}/confirm",
            web::post().to(confirm_claim),
        )
        .route(
            "/claims/{claimant}/{id}/reopen",
            web::post().to(reopen_claim),
        )
        .route("/members", web::get().to(members::list))
        .route("/members", web::post().to(members::register))
        .service(
            // The file is held in memory (at most the API's import limit).
            web::resource("/members/import")
                .app_data(
                    actix_multipart::form::MultipartFormConfig::default()
                        .total_limit(crate::http::api::members::MAX_IMPORT_BYTES)
                        .memory_limit(crate::http::api::members::MAX_IMPORT_BYTES),
                )
                .route(web::post().to(members::import)),
        )
        .route("/members/{id}/report", web::post().to(members::report_for))
        .route(
            "/members/{id}/password",
            web::post().to(members::set_password),
        )
        .route("/reports", web::get().to(members::reports_page))
        .route(
            "/reports/{home}/{id}/decide",
            web::post().to(members::decide),
        )
        .route("/reports/{id}/withdraw", web::post().to(members::withdraw))
        .route("/me", web::get().to(members::me))
        .route("/me/certificate", web::get().to(certificate::mine))
        .route("/me/services", web::post().to(services::log_mine))
        .route(
            "/services/{home}/{id}/decide",
            web::post().to(services::decide),
        )
        .route(
            "/reports/{home}/{id}/feedback",
            web::post().to(services::feedback),
        )
        .route("/care", web::get().to(pairings::care))
        .route("/care", web::post().to(pairings::add_household))
        .route("/care/{id}/pair", web::post().to(pairings::pair))
        .route("/care/{id}/wishes", web::post().to(pairings::record_wish))
        .route("/pairings/{id}/end", web::post().to(pairings::end))
        .route(
            "/emergencies",
            web::get().to(emergencies::page_of_emergencies),
        )
        .route("/emergencies", web::post().to(emergencies::declare))
        .route(
            "/emergencies/{id}/close",
            web::post().to(emergencies::close),
        )
        .route(
            "/emergency-calls/{declarer}/{id}/{member}/answer",
            web::post().to(emergencies::answer_for),
        )
        .route(
            "/me/emergency-calls/{declarer}/{id}/answer",
            web::post().to(emergencies::answer_mine),
        )
        .route("/teams", web::get().to(teams::page_of_teams))
        .route("/teams", web::post().to(teams::create))
        .route("/teams/{id}/members", web::post().to(teams::join))
        .route("/teams/{id}/members/remove", web::post().to(teams::leave))
        .route("/teams/{id}/invite", web::post().to(teams::invite))
        .route(
            "/me/invitations/{host}/{id}/accept",
            web::post().to(teams::accept),
        )
        .route(
            "/me/invitations/{host}/{id}/decline",
            web::post().to(teams::decline),
        )
        .route(
            "/members/{id}/certificate",
            web::get().to(certificate::of_member),
        )
        .route("/me/report", web::post().to(members::report_mine))
        .route("/me/password", web::post().to(members::change_password))
        .route(
            "/me/reports/{id}/withdraw",
            web::post().to(members::withdraw_mine),
        )
        .route("/activities", web::get().to(activities::list))
        .route("/activities", web::post().to(activities::publish))
        .route("/activities/{id}", web::get().to(activities::show))
        .route("/activities/{id}/qr", web::get().to(activities::qr))
        .route(
            "/activities/{host}/{id}/match",
            web::get().to(matching::members_for_activity),
        )
        .route(
            "/activities/{host}/{id}/match",
            web::post().to(matching::propose),
        )
        .route(
            "/needs/{org}/{id}/match",
            web::get().to(matching::offers_for_need),
        )
        .route(
            "/activities/{id}/cancel",
            web::post().to(activities::cancel),
        )
        .route(
            "/activities/{id}/signups/{home}/{signup}/place",
            web::post().to(activities::place),
        )
        .route(
            "/activities/{id}/signups/{home}/{signup}/attendance",
            web::post().to(activities::tick),
        )
        .route("/checkin/{id}", web::get().to(activities::checkin_page))
        .route("/checkin/{id}", web::post().to(activities::check_in))
        .route("/checkin/{id}/out", web::post().to(activities::check_out))
        .route("/me/signups", web::post().to(activities::sign_up))
        .route(
            "/me/signups/{id}/confirm",
            web::post().to(activities::confirm_mine),
        )
        .route(
            "/me/signups/{id}/cancel",
            web::post().to(activities::cancel_mine),
        )
        .route("/agreements", web::get().to(agreements::list))
        .route("/agreements", web::post().to(agreements::propose))
        .route(
            "/agreements/{proposer}/{id}/decide",
            web::post().to(agreements::decide),
        )
        .route("/signin", web::get().to(signin::choose))
        .route("/signin", web::post().to(signin::start))
        .route("/signin/return", web::get().to(signin::finish))
        .route("/signin/out", web::post().to(signin::sign_out))
        .route("/signin/for", web::get().to(signin::consent))
        .route("/signin/for", web::post().to(signin::confirm))
        .route("/visit", web::get().to(signin::visit))
        .route("/participation", web::get().to(participation::dashboard))
        .route("/participation.csv", web::get().to(participation::csv))
        .route("/roster", web::get().to(roster))
        .route("/exchange", web::get().to(exchange));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::domain::needs::NewNeed;
    use crate::domain::offers::NewOffer;

    fn fields(body: &str) -> Fields {
        Fields(serde_html_form::from_str(body).map_err(|e| ApiError::invalid("form", e)))
    }

    #[test]
    fn repeated_fields_arrive_whole() {
        let f = fields(
            "title=%E6%B4%BB%E5%8A%A8%E5%AE%A4&category=venue&capacity=3\
             &skills=legal&skills=repair&grids=g1&grids=&grids=g2",
        );
        let o: NewOffer = form_input(&f, &["capacity"], &[], &["skills", "grids"]).unwrap();
        assert_eq!(o.skills.len(), 2);
        let grids: Vec<String> = o.grids.iter().map(|g| g.to_string()).collect();
        assert_eq!(grids, ["g1", "g2"]);
        // One value of a list field is a list of one.
        let f = fields("title=t&level=grid&skills=legal");
        let n: NewNeed = form_input(&f, &["quantity"], &[], &["skills"]).unwrap();
        assert_eq!(n.skills.len(), 1);
    }

    #[test]
    fn a_single_field_sent_twice_or_a_bad_value_is_named() {
        let f = fields("title=a&title=b&category=venue&capacity=1");
        let e = form_input::<NewOffer>(&f, &["capacity"], &[], &["skills", "grids"])
            .err()
            .unwrap();
        assert!(e.message.starts_with("title:"), "{}", e.message);
        let f = fields("title=a&category=venue&capacity=1&skills=juggling");
        let e = form_input::<NewOffer>(&f, &["capacity"], &[], &["skills", "grids"])
            .err()
            .unwrap();
        assert!(e.message.starts_with("skills"), "{}", e.message);
    }

    /// SKILLS is the protocol's `Skill`, name for name.
    #[test]
    fn the_skill_choices_are_the_protocols_skills() {
        use tongxin_schema::v1::taxonomy::Skill;
        let schema = serde_json::to_value(schemars::schema_for!(Skill)).unwrap();
        let mut names: Vec<String> = Vec::new();
        let mut collect = |v: &Value| {
            if let Some(c) = v["const"].as_str() {
                names.push(c.to_owned());
            }
            for e in v["enum"].as_array().into_iter().flatten() {
                names.extend(e.as_str().map(str::to_owned));
            }
        };
        collect(&schema);
        for v in schema["oneOf"].as_array().into_iter().flatten() {
            collect(v);
        }
        names.sort();
        let mut ours: Vec<String> = SKILLS.iter().map(|s| (*s).to_owned()).collect();
        ours.sort();
        assert_eq!(names, ours);
        for s in SKILLS {
            serde_json::from_value::<Skill>(json!(s)).unwrap();
        }
    }
}
