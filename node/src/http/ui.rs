//! The web UI: server-rendered pages (askama, escaped by default), zh-CN by default with
//! English on `?lang=en`, usable on a phone. It signs in with the same tokens as the API
//! (kept in an HttpOnly, SameSite=Lax cookie) and acts through the same `actions`.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::{Value, json};
use tongxin_schema::token::Role;

use super::api;
use super::auth::{self, Auth};
use super::error::ApiError;
use super::extract;
use crate::domain;
use crate::domain::needs::{Decision, Escalation, Fulfilment, NewClaim, NewNeed};
use crate::domain::offers::{NewOffer, Withdrawal};
use crate::state::SharedNode;
use crate::store::ListFilter;
use crate::store::claims::ClaimRow;
use crate::store::inbound::{self, InStream, Rejected};
use crate::store::needs::NeedRow;
use crate::store::offers::OfferRow;

type Node = web::Data<SharedNode>;

/// The two languages of the UI.
#[derive(Debug, Clone, Copy)]
pub struct T {
    en: bool,
}

const WORDS: &[(&str, &str, &str)] = &[
    ("app", "同心", "Tongxin"),
    ("offers", "资源清单", "Offers"),
    ("needs", "需求清单", "Needs"),
    ("claims", "认领", "Claims"),
    ("roster", "联盟成员", "Roster"),
    ("exchange", "消息交换", "Exchange"),
    ("sign_in", "登录", "Sign in"),
    ("sign_out", "退出", "Sign out"),
    ("username", "用户名", "Username"),
    ("password", "密码", "Password"),
    ("other_lang", "English", "中文"),
    ("all_categories", "全部类别", "All categories"),
    ("all_kinds", "全部组织类型", "All organisation kinds"),
    ("all_levels", "全部层级", "All levels"),
    ("search", "搜索标题或描述", "Search title or description"),
    ("filter", "筛选", "Filter"),
    ("venue", "场地", "Venue"),
    ("service", "服务", "Service"),
    ("volunteer-skill", "志愿技能", "Volunteer skill"),
    ("material", "物资", "Material"),
    ("funding", "资金", "Funding"),
    ("street", "街道党工委", "Street"),
    ("community", "社区大党委", "Community"),
    ("building-alliance", "楼e家党建联盟", "Building alliance"),
    (
        "new-employment",
        "新就业群体党支部",
        "New-employment branch",
    ),
    ("co-building-unit", "共建单位", "Co-building unit"),
    ("org-department", "区委组织部", "Organisation department"),
    ("grid", "网格", "Grid"),
    ("open", "进行中", "Open"),
    ("withdrawn", "已撤回", "Withdrawn"),
    ("fulfilled", "已完成", "Fulfilled"),
    ("pending", "待决定", "Pending"),
    ("accepted", "已接受", "Accepted"),
    ("declined", "已谢绝", "Declined"),
    ("capacity", "容量", "Capacity"),
    ("unit", "单位", "Unit"),
    ("reason", "原因", "Reason"),
    ("withdraw", "撤回", "Withdraw"),
    ("publish_offer", "发布资源", "Publish an offer"),
    ("publish_need", "发布需求", "Publish a need"),
    ("publish", "发布", "Publish"),
    ("title", "标题", "Title"),
    ("description", "描述", "Description"),
    ("category", "类别", "Category"),
    ("level", "层级", "Level"),
    ("micro_wish", "微心愿", "Micro-wish"),
    ("fulfil", "标记完成", "Mark fulfilled"),
    ("escalate", "上报街道", "Escalate to the street"),
    ("claim", "认领", "Claim"),
    ("no_offer", "不指定资源", "No specific offer"),
    ("note", "备注", "Note"),
    ("claimant", "认领方", "Claimant"),
    ("need", "需求", "Need"),
    ("status", "状态", "Status"),
    ("accept", "接受", "Accept"),
    ("decline", "谢绝", "Decline"),
    ("name", "名称", "Name"),
    ("kind", "类型", "Kind"),
    ("parent", "上级", "Parent"),
    ("stream_health", "各成员消息流", "Peer streams"),
    ("peer", "发送方", "Sender"),
    ("applied", "已应用", "Applied"),
    ("known_head", "已知最新", "Known head"),
    ("missing_since", "缺失", "Missing"),
    ("rejected", "被拒绝的消息", "Rejected messages"),
    ("sender", "发送方", "Sender"),
    ("detail", "详情", "Detail"),
    (
        "saved",
        "已保存并发送给联盟。",
        "Saved and sent to the alliance.",
    ),
    (
        "admin_only",
        "此页面仅限管理员。",
        "This page is for administrators.",
    ),
];

impl T {
    pub fn t(&self, key: &str) -> &'static str {
        WORDS
            .iter()
            .find(|w| w.0 == key)
            .map(|w| if self.en { w.2 } else { w.1 })
            .unwrap_or("?")
    }
    pub fn lang(&self) -> &'static str {
        if self.en { "en" } else { "zh-CN" }
    }
    pub fn other_lang(&self) -> &'static str {
        if self.en { "zh" } else { "en" }
    }
}

pub struct Base {
    pub org_name: String,
    pub signed_in: bool,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: T,
    base: Base,
}

#[derive(Template)]
#[template(path = "offers.html")]
struct OffersPage {
    t: T,
    base: Base,
    total: i64,
    items: Vec<OfferRow>,
    categories: Vec<&'static str>,
    kinds: Vec<&'static str>,
    filter_category: String,
    filter_kind: String,
    filter_q: String,
    is_admin: bool,
    me: String,
    names: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "needs.html")]
struct NeedsPage {
    t: T,
    base: Base,
    total: i64,
    items: Vec<NeedRow>,
    levels: Vec<&'static str>,
    micro_wishes: Vec<String>,
    filter_level: String,
    filter_q: String,
    micro_wish_only: bool,
    is_admin: bool,
    me: String,
    my_offers: Vec<(String, String)>,
    names: HashMap<String, String>,
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

impl OffersPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
}

impl NeedsPage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        name_of(&self.names, id)
    }
}

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage {
    t: T,
    base: Base,
    items: Vec<ClaimRow>,
    me: String,
}

#[derive(Template)]
#[template(path = "roster.html")]
struct RosterPage {
    t: T,
    base: Base,
    alliance: String,
    serial: u64,
    orgs: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct ExchangePage {
    t: T,
    base: Base,
    streams: Vec<InStream>,
    rejected: Vec<Rejected>,
}

const CATEGORIES: [&str; 5] = ["venue", "service", "volunteer-skill", "material", "funding"];
const LEVELS: [&str; 3] = ["grid", "community", "street"];

/// The language: `?lang=` wins and is remembered in a cookie.
fn lang(req: &HttpRequest, q: &HashMap<String, String>) -> (T, Option<Cookie<'static>>) {
    if let Some(l) = q.get("lang") {
        let en = l == "en";
        let c = Cookie::build("tongxin_lang", if en { "en" } else { "zh" })
            .path("/")
            .same_site(SameSite::Lax)
            .finish();
        return (T { en }, Some(c));
    }
    (
        T {
            en: req
                .cookie("tongxin_lang")
                .is_some_and(|c| c.value() == "en"),
        },
        None,
    )
}

fn base(node: &SharedNode, signed_in: bool, q: &HashMap<String, String>) -> Base {
    Base {
        org_name: node.cfg.name.clone(),
        signed_in,
        error: q.get("error").cloned(),
        notice: q.get("notice").cloned(),
    }
}

fn page(t: impl Template, cookie: Option<Cookie<'static>>) -> HttpResponse {
    match t.render() {
        Ok(html) => {
            let mut r = HttpResponse::Ok();
            r.content_type("text/html; charset=utf-8");
            if let Some(c) = cookie {
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

/// Back to `to` with an error or a notice shown in the page.
fn back(to: &str, result: Result<(), ApiError>, t: T) -> HttpResponse {
    let (key, text) = match result {
        Ok(()) => ("notice", t.t("saved").to_owned()),
        Err(e) => ("error", e.message),
    };
    let sep = if to.contains('?') { '&' } else { '?' };
    let text: String = text.chars().take(300).collect();
    redirect(&format!("{to}{sep}{key}={}", urlencode(&text)))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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

fn signed_in(req: &HttpRequest, node: &SharedNode) -> Option<Auth> {
    auth::token_from(req, node).and_then(|t| auth::authenticate(node, &t).ok())
}

/// Builds a JSON body from form fields (numbers and flags typed) and parses it exactly as the
/// API does, so the same validation and messages apply.
fn form_input<T: serde::de::DeserializeOwned>(
    form: &HashMap<String, String>,
    numbers: &[&str],
    flags: &[&str],
) -> Result<T, ApiError> {
    let mut obj = serde_json::Map::new();
    for (k, v) in form {
        if v.is_empty() {
            continue;
        }
        let value = if numbers.contains(&k.as_str()) {
            v.parse::<u64>()
                .map(Value::from)
                .map_err(|_| ApiError::invalid(k, "must be a whole number"))?
        } else if flags.contains(&k.as_str()) {
            Value::Bool(v == "true")
        } else {
            Value::String(v.clone())
        };
        obj.insert(k.clone(), value);
    }
    extract::parse(json!(obj).to_string().as_bytes())
}

pub async fn login_page(
    req: HttpRequest,
    node: Node,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    page(
        LoginPage {
            t,
            base: base(&node, false, &q),
        },
        cookie,
    )
}

pub async fn login(
    node: Node,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    // Sign-in is not checked for origin: a forged sign-in needs this node's credentials and
    // changes nothing; every action form is checked (admin_action).
    let (user, pw) = (
        form.get("username").cloned().unwrap_or_default(),
        form.get("password").cloned().unwrap_or_default(),
    );
    // The same check as the API's: a NUL or an over-long name never reaches the database.
    let Ok(user) = auth::Username::new(user) else {
        return back(
            "/login",
            Err(ApiError::unauthorized("wrong username or password")),
            t,
        );
    };
    let (username, role) = match auth::sign_in(&node, user, pw).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return back(
                "/login",
                Err(ApiError::unauthorized("wrong username or password")),
                t,
            );
        }
        Err(e) => return back("/login", Err(e), t),
    };
    match auth::issue(&node, &username, role) {
        Ok((token, _)) => {
            let cookie = Cookie::build(auth::cookie_name(&node), token)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .finish();
            let mut r = redirect("/offers");
            let _ = r.add_cookie(&cookie);
            r
        }
        Err(e) => back("/login", Err(e), t),
    }
}

pub async fn logout(node: Node) -> HttpResponse {
    let mut r = redirect("/login");
    let mut c = Cookie::build(auth::cookie_name(&node), "")
        .path("/")
        .finish();
    c.make_removal();
    let _ = r.add_cookie(&c);
    r
}

pub async fn index() -> HttpResponse {
    redirect("/offers")
}

macro_rules! require_sign_in {
    ($req:expr, $node:expr) => {
        match signed_in(&$req, &$node) {
            Some(a) => a,
            None => return redirect("/login"),
        }
    };
}

/// A query parameter, if present, non-empty and free of control characters.
fn opt(q: &HashMap<String, String>, k: &str) -> Option<String> {
    q.get(k)
        .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
        .cloned()
}

pub async fn offers(
    req: HttpRequest,
    node: Node,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let f = ListFilter {
        category: opt(&q, "category").filter(|c| CATEGORIES.contains(&c.as_str())),
        org_kind: opt(&q, "org_kind").filter(|k| k.parse::<tongxin_schema::OrgKind>().is_ok()),
        text: opt(&q, "q").map(|s| s.chars().take(100).collect()),
        limit: 200,
        ..Default::default()
    };
    let f2 = f.clone();
    let (total, items) = match node
        .store
        .read(move |c| crate::store::offers::list(c, &f2, None))
        .await
    {
        Ok(r) => r,
        Err(e) => return back("/login", Err(e.into()), t),
    };
    page(
        OffersPage {
            t,
            base: base(&node, true, &q),
            total,
            items,
            categories: CATEGORIES.to_vec(),
            kinds: tongxin_schema::OrgKind::NAMES.to_vec(),
            filter_category: f.category.unwrap_or_default(),
            filter_kind: f.org_kind.unwrap_or_default(),
            filter_q: f.text.unwrap_or_default(),
            is_admin: a.claims.role == Role::Admin,
            me: node.cfg.org_id.to_string(),
            names: org_names(&node),
        },
        cookie,
    )
}

pub async fn needs(
    req: HttpRequest,
    node: Node,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let level = opt(&q, "level").filter(|l| LEVELS.contains(&l.as_str()));
    let mw = q.get("micro_wish").is_some_and(|v| v == "true");
    let f = ListFilter {
        text: opt(&q, "q").map(|s| s.chars().take(100).collect()),
        limit: 200,
        ..Default::default()
    };
    let me = node.cfg.org_id.to_string();
    let (f2, l2, me2) = (f.clone(), level.clone(), me.clone());
    let loaded = node
        .store
        .read(move |c| {
            let needs = crate::store::needs::list(c, &f2, None, l2.as_deref(), mw)?;
            let mine = ListFilter {
                org: Some(me2),
                limit: 500,
                ..Default::default()
            };
            let open = Some(domain::status::OfferStatus::Open);
            Ok((needs, crate::store::offers::list(c, &mine, open)?.1))
        })
        .await;
    let ((total, items), mine) = match loaded {
        Ok(r) => r,
        Err(e) => return back("/login", Err(e.into()), t),
    };
    let micro_wishes = tongxin_schema::v1::taxonomy::MicroWishCategory::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    page(
        NeedsPage {
            t,
            base: base(&node, true, &q),
            total,
            items,
            levels: LEVELS.to_vec(),
            micro_wishes,
            filter_level: level.unwrap_or_default(),
            filter_q: f.text.unwrap_or_default(),
            micro_wish_only: mw,
            is_admin: a.claims.role == Role::Admin,
            me,
            my_offers: mine.into_iter().map(|o| (o.id, o.title)).collect(),
            names: org_names(&node),
        },
        cookie,
    )
}

pub async fn claims(
    req: HttpRequest,
    node: Node,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    if a.claims.role != Role::Admin {
        return back("/offers", Err(ApiError::forbidden(t.t("admin_only"))), t);
    }
    let me = node.cfg.org_id.to_string();
    let m2 = me.clone();
    match node
        .store
        .read(move |c| crate::store::claims::list(c, &m2))
        .await
    {
        Ok(items) => page(
            ClaimsPage {
                t,
                base: base(&node, true, &q),
                items,
                me,
            },
            cookie,
        ),
        Err(e) => back("/offers", Err(e.into()), t),
    }
}

pub async fn roster(
    req: HttpRequest,
    node: Node,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let r = node.roster();
    let orgs = r
        .orgs()
        .iter()
        .map(|o| {
            (
                o.id.to_string(),
                o.name.to_string(),
                o.kind.to_string(),
                o.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    page(
        RosterPage {
            t,
            base: base(&node, true, &q),
            alliance: r.doc().alliance.clone(),
            serial: r.serial(),
            orgs,
        },
        cookie,
    )
}

pub async fn exchange(
    req: HttpRequest,
    node: Node,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    if a.claims.role != Role::Admin {
        return back("/offers", Err(ApiError::forbidden(t.t("admin_only"))), t);
    }
    match node
        .store
        .read(|c| {
            Ok((
                inbound::all_streams(c)?,
                inbound::list_rejected(c, 200, None)?,
            ))
        })
        .await
    {
        Ok((streams, rejected)) => page(
            ExchangePage {
                t,
                base: base(&node, true, &q),
                streams,
                rejected,
            },
            cookie,
        ),
        Err(e) => back("/offers", Err(e.into()), t),
    }
}

type Form = web::Form<HashMap<String, String>>;

async fn admin_action<F, Fut>(req: HttpRequest, node: Node, to: &str, f: F) -> HttpResponse
where
    F: FnOnce(SharedNode) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let (t, _) = lang(&req, &HashMap::new());
    let Some(a) = signed_in(&req, &node) else {
        return redirect("/login");
    };
    if !same_origin(&req) {
        return back(
            to,
            Err(ApiError::forbidden("cross-site request refused")),
            t,
        );
    }
    if let Err(e) = a.require(&[Role::Admin]) {
        return back(to, Err(e), t);
    }
    back(to, f(node.get_ref().clone()).await, t)
}

pub async fn create_offer(req: HttpRequest, node: Node, form: Form) -> HttpResponse {
    admin_action(req, node, "/offers", |n| async move {
        let input: NewOffer = form_input(&form, &["capacity"], &[])?;
        n.act(move |c, a| domain::offers::publish(c, a, input))
            .await
            .map(|_| ())
            .map_err(ApiError::from)
    })
    .await
}

pub async fn withdraw_offer(
    req: HttpRequest,
    node: Node,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/offers", |n| async move {
        let input: Withdrawal = form_input(&form, &[], &[])?;
        {
            let id = api::uuid_path("offer", &path)?;
            n.act(move |c, a| domain::offers::withdraw(c, a, id, input))
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
    })
    .await
}

pub async fn create_need(req: HttpRequest, node: Node, form: Form) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let input: NewNeed = form_input(&form, &["quantity"], &[])?;
        n.act(move |c, a| domain::needs::publish(c, a, input))
            .await
            .map(|_| ())
            .map_err(ApiError::from)
    })
    .await
}

pub async fn claim_need(
    req: HttpRequest,
    node: Node,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let (org, id) = path.into_inner();
        let input: NewClaim = form_input(&form, &[], &[])?;
        {
            let (org, id) = (api::org_path(&org)?, api::uuid_path("need", &id)?);
            n.act(move |c, a| domain::needs::claim(c, a, &org, id, input))
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
    })
    .await
}

pub async fn decide_claim(
    req: HttpRequest,
    node: Node,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/claims", |n| async move {
        let (org, id) = path.into_inner();
        let input: Decision = form_input(&form, &[], &["accepted"])?;
        {
            let (org, id) = (api::org_path(&org)?, api::uuid_path("claim", &id)?);
            n.act(move |c, a| domain::needs::decide(c, a, &org, id, input))
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
    })
    .await
}

pub async fn fulfil_need(
    req: HttpRequest,
    node: Node,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let input: Fulfilment = form_input(&form, &[], &[])?;
        {
            let id = api::uuid_path("need", &path)?;
            n.act(move |c, a| domain::needs::fulfil(c, a, id, input))
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
    })
    .await
}

pub async fn escalate_need(
    req: HttpRequest,
    node: Node,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    admin_action(req, node, "/needs", |n| async move {
        let input: Escalation = form_input(&form, &[], &[])?;
        {
            let id = api::uuid_path("need", &path)?;
            n.act(move |c, a| domain::needs::escalate(c, a, id, input))
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
    })
    .await
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
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
        .route("/needs/{id}/escalate", web::post().to(escalate_need))
        .route("/claims", web::get().to(claims))
        .route(
            "/claims/{claimant}/{id}/decide",
            web::post().to(decide_claim),
        )
        .route("/roster", web::get().to(roster))
        .route("/exchange", web::get().to(exchange));
}
