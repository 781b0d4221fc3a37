#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic
//! Authorisation matrix: every route of the served OpenAPI document × every kind of
//! credential (none, malformed, expired, badly signed, another node's, another alliance's,
//! each role), the web UI's pages and forms × the same credentials in the sign-in cookie, and
//! the request-body checks of every POST route (size, JSON types, content type).
//!
//! The expectation tables below are the intended access of each route (read from the
//! handlers' `require(&[...])`). A route the served document lists but a table does not
//! cover fails the test, and so does a route registered in `node/src/http/{api,ui}/mod.rs`
//! that is neither documented nor listed here: new routes cannot escape the matrix.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tongxin_schema::envelope::Signer;
use tongxin_schema::pki::{self, Validity};
use tongxin_schema::token::{Role, USER_TYP, UserClaims};
use tongxin_schema::{OrgId, OrgKind};
use tongxin_tests::*;

// ---------------------------------------------------------------------------------------------
// Expectation tables
// ---------------------------------------------------------------------------------------------

/// Who may use a route.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// No credentials needed.
    Public,
    /// A valid token of this node with one of these roles.
    Roles(&'static [Role]),
}
use Access::{Public, Roles};

const ANY: &[Role] = &[Role::Admin, Role::Member, Role::Auditor];
const ADMIN: &[Role] = &[Role::Admin];
const ADMIN_AUDITOR: &[Role] = &[Role::Admin, Role::Auditor];
const AUDITOR: &[Role] = &[Role::Auditor];
const MEMBER: &[Role] = &[Role::Member];
const ADMIN_MEMBER: &[Role] = &[Role::Admin, Role::Member];

/// Every route of the OpenAPI document, with the roles its handler admits.
const API: &[(&str, &str, Access)] = &[
    ("POST", "/api/v1/auth/token", Public),
    ("GET", "/api/v1/node", Roles(ANY)),
    ("GET", "/api/v1/orgs", Roles(ANY)),
    ("GET", "/api/v1/offers", Roles(ANY)),
    ("POST", "/api/v1/offers", Roles(ADMIN)),
    ("POST", "/api/v1/offers/{id}/withdraw", Roles(ADMIN)),
    ("GET", "/api/v1/needs", Roles(ANY)),
    ("POST", "/api/v1/needs", Roles(ADMIN)),
    ("POST", "/api/v1/needs/{org}/{id}/claims", Roles(ADMIN)),
    ("POST", "/api/v1/needs/{id}/fulfil", Roles(ADMIN)),
    ("POST", "/api/v1/needs/{id}/escalate", Roles(ADMIN)),
    ("GET", "/api/v1/claims", Roles(ADMIN)),
    ("POST", "/api/v1/me/needs/{org}/{id}/claims", Roles(MEMBER)),
    ("GET", "/api/v1/me/claims", Roles(MEMBER)),
    ("POST", "/api/v1/me/claims/{id}/done", Roles(MEMBER)),
    (
        "POST",
        "/api/v1/claims/{claimant}/{id}/decision",
        Roles(ADMIN),
    ),
    ("GET", "/api/v1/messages/rejected", Roles(ADMIN)),
    ("GET", "/api/v1/streams", Roles(ADMIN_AUDITOR)),
    ("GET", "/api/v1/members", Roles(ADMIN)),
    ("POST", "/api/v1/members", Roles(ADMIN)),
    ("POST", "/api/v1/members/import", Roles(ADMIN)),
    ("GET", "/api/v1/members/export", Roles(ADMIN)),
    ("GET", "/api/v1/members/{id}", Roles(ADMIN)),
    ("PUT", "/api/v1/members/{id}", Roles(ADMIN)),
    ("POST", "/api/v1/members/{id}/password", Roles(ADMIN)),
    ("POST", "/api/v1/members/{id}/reports", Roles(ADMIN)),
    ("GET", "/api/v1/me", Roles(MEMBER)),
    ("POST", "/api/v1/me/password", Roles(MEMBER)),
    ("GET", "/api/v1/me/reports", Roles(MEMBER)),
    ("POST", "/api/v1/me/reports", Roles(MEMBER)),
    ("GET", "/api/v1/reports", Roles(ADMIN)),
    ("GET", "/api/v1/reports/stats", Roles(ADMIN)),
    ("POST", "/api/v1/reports/{id}/withdraw", Roles(ADMIN_MEMBER)),
    ("GET", "/api/v1/reports/{id}/receipt", Roles(ADMIN_MEMBER)),
    ("POST", "/api/v1/reports/{home}/{id}/decision", Roles(ADMIN)),
    ("GET", "/api/v1/agreements", Roles(ANY)),
    ("POST", "/api/v1/agreements", Roles(ADMIN)),
    (
        "POST",
        "/api/v1/agreements/{proposer}/{id}/decision",
        Roles(ADMIN),
    ),
    (
        "GET",
        "/api/v1/agreements/{proposer}/{id}/document",
        Roles(ANY),
    ),
    ("GET", "/api/v1/participation", Roles(AUDITOR)),
    (
        "GET",
        "/api/v1/participation/evidence/{jti}",
        Roles(AUDITOR),
    ),
    ("POST", "/api/v1/participation/requests", Roles(ADMIN)),
    ("GET", "/api/v1/participation/proof", Roles(ADMIN)),
    ("GET", "/api/v1/activities", Roles(ANY)),
    ("POST", "/api/v1/activities", Roles(ADMIN)),
    ("POST", "/api/v1/activities/{id}/cancel", Roles(ADMIN)),
    ("GET", "/api/v1/activities/{id}/signups", Roles(ADMIN)),
    ("POST", "/api/v1/activities/{id}/attendance", Roles(ADMIN)),
    ("GET", "/api/v1/activities/{id}/code", Roles(ADMIN)),
    (
        "POST",
        "/api/v1/signups/{home}/{id}/placement",
        Roles(ADMIN),
    ),
    ("POST", "/api/v1/signups/{home}/{id}/cancel", Roles(ADMIN)),
    ("GET", "/api/v1/me/signups", Roles(MEMBER)),
    ("POST", "/api/v1/me/signups", Roles(MEMBER)),
    ("POST", "/api/v1/me/signups/{id}/confirm", Roles(MEMBER)),
    ("POST", "/api/v1/me/signups/{id}/cancel", Roles(MEMBER)),
    ("GET", "/api/v1/me/record", Roles(MEMBER)),
    ("GET", "/api/v1/members/{id}/record", Roles(ADMIN)),
    ("GET", "/api/v1/record/export", Roles(ADMIN)),
    ("GET", "/api/v1/me/certificate", Roles(MEMBER)),
    ("GET", "/api/v1/members/{id}/certificate", Roles(ADMIN)),
    ("POST", "/api/v1/members/{id}/signups", Roles(ADMIN)),
    (
        "GET",
        "/api/v1/activities/{host}/{id}/matches",
        Roles(ADMIN),
    ),
    ("GET", "/api/v1/needs/{org}/{id}/matches", Roles(ADMIN)),
    ("GET", "/api/v1/me/services", Roles(MEMBER)),
    ("POST", "/api/v1/me/services", Roles(MEMBER)),
    ("POST", "/api/v1/members/{id}/services", Roles(ADMIN)),
    ("GET", "/api/v1/services", Roles(ADMIN)),
    (
        "POST",
        "/api/v1/services/{home}/{id}/decision",
        Roles(ADMIN),
    ),
    ("POST", "/api/v1/reports/{home}/{id}/feedback", Roles(ADMIN)),
    ("GET", "/api/v1/feedback", Roles(ADMIN)),
    ("GET", "/api/v1/buildings", Roles(ADMIN)),
    ("POST", "/api/v1/buildings", Roles(ADMIN)),
    ("GET", "/api/v1/households", Roles(ADMIN)),
    ("POST", "/api/v1/households", Roles(ADMIN)),
    ("POST", "/api/v1/households/{id}/pairings", Roles(ADMIN)),
    ("GET", "/api/v1/pairings", Roles(ADMIN)),
    ("POST", "/api/v1/pairings/{id}/end", Roles(ADMIN)),
    ("POST", "/api/v1/households/{id}/wishes", Roles(ADMIN)),
    ("GET", "/api/v1/emergencies", Roles(ANY)),
    ("POST", "/api/v1/emergencies", Roles(ADMIN)),
    ("POST", "/api/v1/emergencies/{id}/close", Roles(ADMIN)),
    ("GET", "/api/v1/emergency-calls", Roles(ADMIN)),
    (
        "POST",
        "/api/v1/emergency-calls/{declarer}/{id}/{member}/answer",
        Roles(ADMIN),
    ),
    ("GET", "/api/v1/me/emergency-calls", Roles(MEMBER)),
    (
        "POST",
        "/api/v1/me/emergency-calls/{declarer}/{id}/answer",
        Roles(MEMBER),
    ),
    ("POST", "/api/v1/claims/{id}/done", Roles(ADMIN)),
    (
        "POST",
        "/api/v1/claims/{claimant}/{id}/reopen",
        Roles(ADMIN),
    ),
    ("GET", "/api/v1/me/pairings", Roles(MEMBER)),
    ("GET", "/api/v1/teams", Roles(ADMIN)),
    ("POST", "/api/v1/teams", Roles(ADMIN)),
    ("POST", "/api/v1/teams/{id}/members", Roles(ADMIN)),
    ("POST", "/api/v1/teams/{id}/members/remove", Roles(ADMIN)),
    ("POST", "/api/v1/teams/{id}/invitations", Roles(ADMIN)),
    ("GET", "/api/v1/invitations", Roles(ADMIN)),
    ("GET", "/api/v1/me/invitations", Roles(MEMBER)),
    (
        "POST",
        "/api/v1/me/invitations/{host}/{id}/accept",
        Roles(MEMBER),
    ),
    (
        "POST",
        "/api/v1/me/invitations/{host}/{id}/decline",
        Roles(MEMBER),
    ),
];

/// POST routes whose body is not JSON (a CSV file): the JSON body checks do not apply; the
/// import's own checks are in tests/members.rs.
/// A confirmation, and the answer to an invitation, take no body at all.
const NOT_JSON: &[&str] = &[
    "/api/v1/members/import",
    "/api/v1/me/signups/{id}/confirm",
    "/api/v1/me/invitations/{host}/{id}/accept",
    "/api/v1/me/invitations/{host}/{id}/decline",
];

/// Routes served by `api::routes` but deliberately not in the OpenAPI document: all public.
const OUTSIDE_DOC: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// Who may use a web UI route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ui {
    /// No sign-in needed.
    Public,
    /// Any signed-in role; without sign-in, sent to /login.
    SignedIn,
    /// Administrators; other roles are sent back with "this needs the role admin".
    Admin,
    /// Members (their own page); other roles are sent back with "this page is for members".
    Member,
    /// The organisation department's auditors (参与情况): on the matrix's node, a community,
    /// every role is sent back with "this page is for the department's auditors".
    DepartmentAuditor,
    /// Staff (administrators and auditors); members are sent to their own page with "this
    /// page is for staff".
    Staff,
    /// The home page: staff see what needs their attention, members are sent to their page.
    Home,
}

/// Every route of `ui::routes`.
const UI: &[(&str, &str, Ui)] = &[
    ("GET", "/", Ui::Home),
    ("GET", "/needs/{org}/{id}", Ui::SignedIn),
    ("GET", "/offers/{org}/{id}", Ui::SignedIn),
    ("GET", "/users", Ui::Admin),
    ("POST", "/users", Ui::Admin),
    ("POST", "/users/{name}/password", Ui::Admin),
    ("POST", "/users/{name}/disable", Ui::Admin),
    ("POST", "/users/{name}/enable", Ui::Admin),
    ("GET", "/account", Ui::SignedIn),
    ("POST", "/account/password", Ui::SignedIn),
    ("GET", "/login", Ui::Public),
    ("POST", "/login", Ui::Public),
    ("POST", "/logout", Ui::Public),
    ("GET", "/offers", Ui::SignedIn),
    ("POST", "/offers", Ui::Admin),
    ("POST", "/offers/{id}/withdraw", Ui::Admin),
    ("GET", "/needs", Ui::SignedIn),
    ("POST", "/needs", Ui::Admin),
    ("POST", "/needs/{org}/{id}/claim", Ui::Admin),
    ("POST", "/needs/{id}/fulfil", Ui::Admin),
    ("POST", "/needs/{id}/edit", Ui::Admin),
    ("POST", "/needs/{id}/escalate", Ui::Admin),
    ("GET", "/claims", Ui::Staff),
    ("POST", "/claims/{claimant}/{id}/decide", Ui::Admin),
    ("GET", "/roster", Ui::SignedIn),
    ("GET", "/exchange", Ui::Admin),
    ("GET", "/members", Ui::Admin),
    ("POST", "/members", Ui::Admin),
    ("POST", "/members/import", Ui::Admin),
    ("POST", "/members/{id}/report", Ui::Admin),
    ("POST", "/members/{id}/password", Ui::Admin),
    ("GET", "/reports", Ui::Admin),
    ("POST", "/reports/{home}/{id}/decide", Ui::Admin),
    ("POST", "/reports/{id}/withdraw", Ui::Admin),
    ("GET", "/me", Ui::Member),
    ("POST", "/me/report", Ui::Member),
    ("POST", "/me/password", Ui::Member),
    ("POST", "/me/reports/{id}/withdraw", Ui::Member),
    ("GET", "/agreements", Ui::Admin),
    ("POST", "/agreements", Ui::Admin),
    ("POST", "/agreements/{proposer}/{id}/decide", Ui::Admin),
    // Signing in with another organisation: for visitors, who have no sign-in here.
    ("GET", "/signin", Ui::Public),
    ("POST", "/signin", Ui::Public),
    ("GET", "/signin/return", Ui::Public),
    ("POST", "/signin/out", Ui::Public),
    ("GET", "/signin/for", Ui::Public),
    ("POST", "/signin/for", Ui::Public),
    ("GET", "/visit", Ui::Public),
    ("GET", "/activities", Ui::SignedIn),
    ("POST", "/activities", Ui::Admin),
    ("GET", "/activities/{id}", Ui::Admin),
    ("GET", "/activities/{id}/qr", Ui::Admin),
    ("POST", "/activities/{id}/cancel", Ui::Admin),
    (
        "POST",
        "/activities/{id}/signups/{home}/{signup}/place",
        Ui::Admin,
    ),
    (
        "POST",
        "/activities/{id}/signups/{home}/{signup}/attendance",
        Ui::Admin,
    ),
    // The QR code's page: for visitors signed in with their home organisation.
    ("GET", "/checkin/{id}", Ui::Public),
    ("POST", "/checkin/{id}", Ui::Public),
    ("POST", "/checkin/{id}/out", Ui::Public),
    ("POST", "/me/signups", Ui::Member),
    ("GET", "/me/certificate", Ui::Member),
    ("POST", "/me/services", Ui::Member),
    ("POST", "/services/{home}/{id}/decide", Ui::Admin),
    ("POST", "/reports/{home}/{id}/feedback", Ui::Admin),
    ("GET", "/care", Ui::Admin),
    ("POST", "/care", Ui::Admin),
    ("POST", "/care/{id}/pair", Ui::Admin),
    ("POST", "/pairings/{id}/end", Ui::Admin),
    ("POST", "/care/{id}/wishes", Ui::Admin),
    ("POST", "/care/buildings", Ui::Admin),
    ("POST", "/me/needs/{org}/{id}/claim", Ui::Member),
    ("POST", "/me/claims/{id}/done", Ui::Member),
    ("GET", "/emergencies", Ui::SignedIn),
    ("POST", "/emergencies", Ui::Admin),
    ("POST", "/emergencies/{id}/close", Ui::Admin),
    (
        "POST",
        "/emergency-calls/{declarer}/{id}/{member}/answer",
        Ui::Admin,
    ),
    (
        "POST",
        "/me/emergency-calls/{declarer}/{id}/answer",
        Ui::Member,
    ),
    ("POST", "/claims/{id}/done", Ui::Admin),
    ("POST", "/claims/{claimant}/{id}/confirm", Ui::Admin),
    ("POST", "/claims/{claimant}/{id}/reopen", Ui::Admin),
    ("GET", "/teams", Ui::Admin),
    ("POST", "/teams", Ui::Admin),
    ("POST", "/teams/{id}/members", Ui::Admin),
    ("POST", "/teams/{id}/members/remove", Ui::Admin),
    ("POST", "/teams/{id}/invite", Ui::Admin),
    ("POST", "/me/invitations/{host}/{id}/accept", Ui::Member),
    ("POST", "/me/invitations/{host}/{id}/decline", Ui::Member),
    ("GET", "/members/{id}/certificate", Ui::Admin),
    ("GET", "/activities/{host}/{id}/match", Ui::Admin),
    ("POST", "/activities/{host}/{id}/match", Ui::Admin),
    ("GET", "/needs/{org}/{id}/match", Ui::Admin),
    ("POST", "/me/signups/{id}/confirm", Ui::Member),
    ("POST", "/me/signups/{id}/cancel", Ui::Member),
    ("GET", "/participation", Ui::DepartmentAuditor),
    ("GET", "/participation.csv", Ui::DepartmentAuditor),
];

const PASSWORD: &str = "correct horse battery";

/// A valid JSON body for each POST route of the API: with it, only the credential decides
/// between 401, 403 and admitted (a body the route refuses would answer 422 first).
fn api_body(path: &str) -> Value {
    match path {
        "/api/v1/auth/token" => json!({ "username": "admin", "password": PASSWORD }),
        "/api/v1/offers" => offer_input("矩阵测试资源"),
        "/api/v1/offers/{id}/withdraw" => json!({ "reason": "矩阵测试" }),
        "/api/v1/needs" => json!({ "title": "矩阵测试需求", "level": "grid" }),
        "/api/v1/needs/{org}/{id}/claims" => json!({ "note": "矩阵测试" }),
        "/api/v1/needs/{id}/fulfil" => json!({ "summary": "矩阵测试" }),
        "/api/v1/needs/{id}/escalate" => json!({ "reason": "矩阵测试" }),
        "/api/v1/claims/{claimant}/{id}/decision" => json!({ "accepted": true }),
        "/api/v1/members" | "/api/v1/members/{id}" => {
            json!({ "name": "矩阵测试成员", "phone": "13800000099" })
        }
        "/api/v1/members/import" => json!({}),
        "/api/v1/members/{id}/password" => json!({ "password": "矩阵测试密码123" }),
        "/api/v1/members/{id}/reports" | "/api/v1/me/reports" => json!({}),
        // The current password is wrong: admitted, and nothing changes.
        "/api/v1/me/password" => json!({ "password": "矩阵测试新密码", "current": "wrong" }),
        "/api/v1/reports/{id}/withdraw" => json!({ "reason": "矩阵测试" }),
        "/api/v1/reports/{home}/{id}/decision" => json!({ "accepted": true }),
        // The matrix's node is a community, which does not propose: admitted, then refused.
        "/api/v1/agreements" => json!({ "community": "matrix-community", "title": "矩阵测试协议",
            "services": "矩阵测试", "starts_at": 1_900_000_000, "ends_at": 1_900_086_400 }),
        "/api/v1/agreements/{proposer}/{id}/decision" => json!({ "accepted": true }),
        "/api/v1/activities" => json!({ "category": "culture", "title": "矩阵测试活动",
            "place": "矩阵测试", "starts_at": 1_900_000_000, "ends_at": 1_900_003_600, "capacity": 5 }),
        "/api/v1/activities/{id}/cancel"
        | "/api/v1/signups/{home}/{id}/cancel"
        | "/api/v1/me/signups/{id}/cancel" => json!({ "reason": "矩阵测试" }),
        "/api/v1/activities/{id}/attendance" => json!({ "home": "matrix-home",
            "signup_id": "0192f1a4-0000-7000-8000-000000000001", "present": true }),
        "/api/v1/signups/{home}/{id}/placement" => json!({ "accepted": true }),
        "/api/v1/me/signups" | "/api/v1/members/{id}/signups" => json!({ "host": "matrix-host",
            "activity_id": "0192f1a4-0000-7000-8000-000000000001" }),
        "/api/v1/me/signups/{id}/confirm" => json!({}),
        // The matrix's member reported nowhere: admitted, then refused.
        "/api/v1/me/services" | "/api/v1/members/{id}/services" => json!({
            "community": "matrix-community", "what": "矩阵测试服务", "category": "culture",
            "started_at": 1_800_000_000, "ended_at": 1_800_003_600 }),
        "/api/v1/services/{home}/{id}/decision" => json!({ "approved": true }),
        "/api/v1/reports/{home}/{id}/feedback" => json!({ "period_starts_at": 1_800_000_000,
            "period_ends_at": 1_800_086_400, "grade": "good", "evaluation": "矩阵测试" }),
        "/api/v1/households" => json!({ "label": "矩阵测试 结对户", "name": "矩阵测试户",
            "address": "矩阵测试地址", "situation": "矩阵测试" }),
        // No such household or report: admitted, then refused.
        "/api/v1/households/{id}/pairings" => json!({ "home": "matrix-home",
            "report_id": "0192f1a4-0000-7000-8000-000000000001" }),
        "/api/v1/pairings/{id}/end" => json!({ "reason": "矩阵测试" }),
        "/api/v1/households/{id}/wishes" => json!({ "title": "矩阵测试心愿",
            "micro_wish": "elderly-over80", "addressee": "矩阵奶奶" }),
        "/api/v1/claims/{id}/done" | "/api/v1/me/claims/{id}/done" => {
            json!({ "summary": "矩阵测试" })
        }
        // No such need: admitted, then refused.
        "/api/v1/me/needs/{org}/{id}/claims" => json!({ "note": "矩阵测试" }),
        "/api/v1/buildings" => json!({ "name": "矩阵测试楼" }),
        "/api/v1/emergencies" => json!({ "title": "矩阵测试急时",
            "posts": [{ "title": "值守", "headcount": 1 }] }),
        "/api/v1/emergencies/{id}/close" => json!({ "summary": "矩阵测试" }),
        "/api/v1/emergency-calls/{declarer}/{id}/{member}/answer"
        | "/api/v1/me/emergency-calls/{declarer}/{id}/answer" => json!({ "available": true }),
        "/api/v1/claims/{claimant}/{id}/reopen" => json!({ "reason": "矩阵测试" }),
        "/api/v1/teams" => json!({ "name": "矩阵测试队" }),
        // No such team: admitted, then refused.
        "/api/v1/teams/{id}/members" | "/api/v1/teams/{id}/members/remove" => {
            json!({ "home": "matrix-home", "report_id": "0192f1a4-0000-7000-8000-000000000001" })
        }
        "/api/v1/teams/{id}/invitations" => {
            json!({ "activity_id": "0192f1a4-0000-7000-8000-000000000001" })
        }
        "/api/v1/me/invitations/{host}/{id}/accept"
        | "/api/v1/me/invitations/{host}/{id}/decline" => json!({}),
        // The matrix's node is a community, which asks for no reports: admitted, then refused.
        "/api/v1/participation/requests" => json!({ "period": "month", "at": 1796227200 }),
        other => panic!("POST {other}: add a valid body for it to api_body()"),
    }
}

/// Form fields an administrator would send to each UI form.
fn ui_form(path: &str) -> Vec<(&'static str, &'static str)> {
    match path {
        "/login" => vec![("username", "admin"), ("password", PASSWORD)],
        "/logout" => vec![],
        "/offers" => vec![
            ("title", "矩阵测试表单资源"),
            ("category", "venue"),
            ("capacity", "3"),
        ],
        "/needs" | "/needs/{id}/edit" => vec![("title", "矩阵测试表单需求"), ("level", "grid")],
        "/offers/{id}/withdraw" | "/needs/{id}/escalate" => vec![("reason", "矩阵测试")],
        "/needs/{org}/{id}/claim" => vec![("note", "矩阵测试")],
        "/needs/{id}/fulfil" => vec![("summary", "矩阵测试")],
        "/claims/{claimant}/{id}/decide" | "/reports/{home}/{id}/decide" => {
            vec![("accepted", "true")]
        }
        "/members" => vec![("name", "矩阵测试表单成员"), ("phone", "13800000098")],
        "/members/import" | "/members/{id}/report" | "/me/report" => vec![],
        "/members/{id}/password" => vec![("password", "矩阵测试密码123")],
        "/reports/{id}/withdraw" | "/me/reports/{id}/withdraw" => vec![("reason", "矩阵测试")],
        "/me/password" => vec![("current", "wrong"), ("password", "矩阵测试新密码")],
        "/users" => vec![
            ("username", "matrix-user"),
            ("role", "auditor"),
            ("password", "矩阵测试密码123"),
            ("password2", "矩阵测试密码123"),
        ],
        "/users/{name}/password" => vec![
            ("password", "矩阵测试密码123"),
            ("password2", "矩阵测试密码123"),
        ],
        "/users/{name}/disable" | "/users/{name}/enable" => vec![],
        "/account/password" => vec![
            ("current", "wrong"),
            ("password", "矩阵测试新密码"),
            ("password2", "矩阵测试新密码"),
        ],
        "/agreements" => vec![
            ("community", "matrix-community"),
            ("title", "矩阵测试表单协议"),
            ("services", "矩阵测试"),
            ("starts_on", "2030-01-01"),
            ("ends_on", "2030-12-31"),
        ],
        "/agreements/{proposer}/{id}/decide" => vec![("accepted", "true")],
        "/signin" => vec![("home", "matrix-community"), ("next", "/visit")],
        "/signin/out" | "/signin/for" | "/me/signups/{id}/confirm" => vec![],
        "/activities" => vec![
            ("category", "culture"),
            ("title", "矩阵测试表单活动"),
            ("place", "矩阵测试"),
            ("date", "2030-01-01"),
            ("from", "14:00"),
            ("to", "16:00"),
            ("capacity", "5"),
        ],
        "/activities/{id}/cancel" | "/me/signups/{id}/cancel" => vec![("reason", "矩阵测试")],
        "/activities/{id}/signups/{home}/{signup}/place" => vec![("accepted", "true")],
        "/activities/{id}/signups/{home}/{signup}/attendance" => vec![("present", "true")],
        "/checkin/{id}" | "/checkin/{id}/out" => vec![("code", "matrix")],
        "/me/services" => vec![
            ("community", "matrix-community"),
            ("what", "矩阵测试表单服务"),
            ("category", "culture"),
            ("date", "2030-01-01"),
            ("from", "09:00"),
            ("to", "10:00"),
        ],
        "/services/{home}/{id}/decide" => vec![("approved", "true")],
        "/reports/{home}/{id}/feedback" => vec![
            ("from", "2030-01-01"),
            ("to", "2030-01-31"),
            ("grade", "good"),
            ("evaluation", "矩阵测试"),
        ],
        "/care" => vec![
            ("label", "矩阵测试 表单户"),
            ("name", "矩阵测试表单户"),
            ("address", "矩阵测试地址"),
            ("situation", "矩阵测试"),
        ],
        "/care/{id}/pair" => vec![("report", "matrix-home/0192f1a4-0000-7000-8000-000000000001")],
        "/pairings/{id}/end" => vec![("reason", "矩阵测试")],
        "/care/{id}/wishes" => vec![
            ("title", "矩阵测试表单心愿"),
            ("micro_wish", "elderly-over80"),
            ("addressee", "矩阵奶奶"),
        ],
        "/claims/{id}/done" | "/claims/{claimant}/{id}/confirm" | "/me/claims/{id}/done" => {
            vec![]
        }
        "/me/needs/{org}/{id}/claim" => vec![("share_name", "true")],
        "/care/buildings" => vec![("name", "矩阵测试表单楼")],
        "/claims/{claimant}/{id}/reopen" => vec![("reason", "矩阵测试")],
        "/emergencies" => vec![
            ("title", "矩阵测试表单急时"),
            ("post_title", "值守"),
            ("post_headcount", "1"),
        ],
        "/emergencies/{id}/close" => vec![("summary", "矩阵测试")],
        "/emergency-calls/{declarer}/{id}/{member}/answer"
        | "/me/emergency-calls/{declarer}/{id}/answer" => vec![("available", "true")],
        "/teams" => vec![("name", "矩阵测试表单队")],
        "/teams/{id}/members" | "/teams/{id}/members/remove" => {
            vec![("report", "matrix-home/0192f1a4-0000-7000-8000-000000000001")]
        }
        "/teams/{id}/invite" => vec![("activity_id", "0192f1a4-0000-7000-8000-000000000001")],
        "/me/invitations/{host}/{id}/accept" | "/me/invitations/{host}/{id}/decline" => vec![],
        "/activities/{host}/{id}/match" => {
            vec![("member_id", "0192f1a4-0000-7000-8000-000000000001")]
        }
        "/me/signups" => vec![
            ("host", "matrix-host"),
            ("activity_id", "0192f1a4-0000-7000-8000-000000000001"),
        ],
        other => panic!("POST {other}: add its fields to ui_form()"),
    }
}

/// Each POST route's valid body as an array, fields by position (serde's derive accepts that
/// for a struct): the API takes objects only.
fn positional_body(path: &str) -> Value {
    match path {
        "/api/v1/auth/token" => json!(["admin", PASSWORD]),
        "/api/v1/offers" => json!([null, "按位置", "", "venue", 1, null, [], null, [], null]),
        "/api/v1/needs" => json!([null, "按位置", "", "grid", null, null, null, [], null, null]),
        "/api/v1/offers/{id}/withdraw" | "/api/v1/needs/{id}/escalate" => json!([null]),
        "/api/v1/needs/{org}/{id}/claims" | "/api/v1/needs/{id}/fulfil" => json!([null, null]),
        "/api/v1/claims/{claimant}/{id}/decision" | "/api/v1/reports/{home}/{id}/decision" => {
            json!([true, null])
        }
        "/api/v1/members" => {
            json!([
                "按位置",
                null,
                "13800000097",
                null,
                null,
                null,
                null,
                null,
                [],
                [],
                false
            ])
        }
        "/api/v1/members/{id}/password" | "/api/v1/me/password" => json!(["按位置密码123", null]),
        "/api/v1/members/{id}/reports" | "/api/v1/me/reports" => json!([null, true, true, true]),
        "/api/v1/reports/{id}/withdraw" => json!([null]),
        "/api/v1/agreements" => json!([
            "matrix-community",
            "按位置",
            [],
            "按位置",
            1_900_000_000,
            1_900_086_400,
            null
        ]),
        "/api/v1/agreements/{proposer}/{id}/decision" => json!([true, null]),
        "/api/v1/activities" => json!([
            "culture",
            "按位置",
            "",
            "按位置",
            null,
            1_900_000_000,
            1_900_003_600,
            5,
            [],
            null
        ]),
        "/api/v1/activities/{id}/cancel"
        | "/api/v1/signups/{home}/{id}/cancel"
        | "/api/v1/me/signups/{id}/cancel" => json!([null]),
        "/api/v1/activities/{id}/attendance" => {
            json!(["matrix-home", "0192f1a4-0000-7000-8000-000000000001", true])
        }
        "/api/v1/signups/{home}/{id}/placement" => json!([true, null]),
        "/api/v1/members/{id}/signups" => {
            json!([
                "matrix-host",
                "0192f1a4-0000-7000-8000-000000000001",
                null,
                null
            ])
        }
        "/api/v1/me/signups" => {
            json!([
                "matrix-host",
                "0192f1a4-0000-7000-8000-000000000001",
                true,
                true
            ])
        }
        "/api/v1/me/services" | "/api/v1/members/{id}/services" => json!([
            "matrix-community",
            "按位置",
            "culture",
            null,
            1_800_000_000,
            1_800_003_600
        ]),
        "/api/v1/services/{home}/{id}/decision" => json!([true, null]),
        "/api/v1/reports/{home}/{id}/feedback" => {
            json!([1_800_000_000, 1_800_086_400, "good", "按位置"])
        }
        "/api/v1/households" => {
            json!([
                "按位置 结对户",
                "按位置",
                "按位置",
                null,
                null,
                null,
                "按位置"
            ])
        }
        "/api/v1/buildings" => json!(["按位置楼", null, null]),
        "/api/v1/me/needs/{org}/{id}/claims" => json!([null, true]),
        "/api/v1/me/claims/{id}/done" => json!([null]),
        "/api/v1/households/{id}/pairings" => {
            json!(["matrix-home", "0192f1a4-0000-7000-8000-000000000001"])
        }
        "/api/v1/pairings/{id}/end" | "/api/v1/claims/{id}/done" => json!([null]),
        "/api/v1/claims/{claimant}/{id}/reopen" => json!(["按位置"]),
        "/api/v1/emergencies" => json!(["按位置", "", null, [], [], null, null]),
        "/api/v1/emergencies/{id}/close" => json!([null]),
        "/api/v1/emergency-calls/{declarer}/{id}/{member}/answer"
        | "/api/v1/me/emergency-calls/{declarer}/{id}/answer" => json!([true]),
        "/api/v1/households/{id}/wishes" => {
            json!(["按位置", "", "elderly-over80", "按位置奶奶", [], null, null])
        }
        "/api/v1/teams" => json!(["按位置队", ""]),
        "/api/v1/teams/{id}/members" | "/api/v1/teams/{id}/members/remove" => {
            json!(["matrix-home", "0192f1a4-0000-7000-8000-000000000001"])
        }
        "/api/v1/teams/{id}/invitations" => {
            json!(["0192f1a4-0000-7000-8000-000000000001", null, false])
        }
        "/api/v1/participation/requests" => json!(["month", 1796227200, null, null, null]),
        other => panic!("POST {other}: add its positional body to positional_body()"),
    }
}

/// Bodies of the wrong JSON type for each POST route, and the field the error must name.
const WRONG_TYPES: &[(&str, &str, &str)] = &[
    (
        "/api/v1/participation/requests",
        r#"{"period": "month", "at": "2026-12"}"#,
        "at",
    ),
    (
        "/api/v1/auth/token",
        r#"{"username": 7, "password": "x"}"#,
        "username",
    ),
    (
        "/api/v1/auth/token",
        r#"{"username": "admin", "password": ["x"]}"#,
        "password",
    ),
    (
        "/api/v1/offers",
        r#"{"title": ["t"], "category": "venue", "capacity": 1}"#,
        "title",
    ),
    (
        "/api/v1/offers",
        r#"{"title": "t", "category": "venue", "capacity": 1, "skills": "first-aid"}"#,
        "skills",
    ),
    (
        "/api/v1/offers",
        r#"{"title": "t", "category": "venue", "capacity": -1}"#,
        "capacity",
    ),
    (
        "/api/v1/offers",
        r#"{"title": "t", "category": 5, "capacity": 1}"#,
        "category",
    ),
    (
        "/api/v1/offers",
        r#"{"title": "t", "category": "venue", "capacity": 1, "available_until": "tomorrow"}"#,
        "available_until",
    ),
    ("/api/v1/offers/{id}/withdraw", r#"{"reason": 5}"#, "reason"),
    (
        "/api/v1/needs",
        r#"{"title": "t", "level": "grid", "quantity": "2"}"#,
        "quantity",
    ),
    ("/api/v1/needs", r#"{"title": "t", "level": 7}"#, "level"),
    (
        "/api/v1/needs",
        r#"{"title": "t", "level": "grid", "micro_wish": true}"#,
        "micro_wish",
    ),
    (
        "/api/v1/needs/{org}/{id}/claims",
        r#"{"offer_id": 5}"#,
        "offer_id",
    ),
    (
        "/api/v1/needs/{org}/{id}/claims",
        r#"{"offer_id": "not-a-uuid"}"#,
        "offer_id",
    ),
    (
        "/api/v1/needs/{id}/fulfil",
        r#"{"claim_id": true}"#,
        "claim_id",
    ),
    ("/api/v1/needs/{id}/fulfil", r#"{"summary": {}}"#, "summary"),
    ("/api/v1/needs/{id}/escalate", r#"{"reason": []}"#, "reason"),
    (
        "/api/v1/claims/{claimant}/{id}/decision",
        r#"{"accepted": "yes"}"#,
        "accepted",
    ),
    (
        "/api/v1/claims/{claimant}/{id}/decision",
        r#"{"accepted": true, "note": 1}"#,
        "note",
    ),
    (
        "/api/v1/members",
        r#"{"name": 5, "phone": "13800000009"}"#,
        "name",
    ),
    (
        "/api/v1/members",
        r#"{"name": "x", "phone": "13800000009", "skills": "legal"}"#,
        "skills",
    ),
    (
        "/api/v1/members",
        r#"{"name": "x", "phone": "13800000009", "emergency_ready": "yes"}"#,
        "emergency_ready",
    ),
    (
        "/api/v1/members",
        r#"{"name": "x", "phone": "13800000009", "availability": ["someday"]}"#,
        "availability[0]",
    ),
    (
        "/api/v1/members/{id}/password",
        r#"{"password": 12345678}"#,
        "password",
    ),
    (
        "/api/v1/agreements",
        r#"{"community": "matrix-community", "title": "x", "services": "x", "starts_at": "soon", "ends_at": 2}"#,
        "starts_at",
    ),
    (
        "/api/v1/agreements/{proposer}/{id}/decision",
        r#"{"accepted": "yes"}"#,
        "accepted",
    ),
    (
        "/api/v1/activities",
        r#"{"category": "culture", "title": "x", "place": "x", "starts_at": 1, "ends_at": 2, "capacity": "many"}"#,
        "capacity",
    ),
    (
        "/api/v1/activities/{id}/cancel",
        r#"{"reason": 5}"#,
        "reason",
    ),
    (
        "/api/v1/activities/{id}/attendance",
        r#"{"home": "matrix-home", "signup_id": "0192f1a4-0000-7000-8000-000000000001", "present": "yes"}"#,
        "present",
    ),
    (
        "/api/v1/signups/{home}/{id}/placement",
        r#"{"accepted": 1}"#,
        "accepted",
    ),
    (
        "/api/v1/signups/{home}/{id}/cancel",
        r#"{"reason": []}"#,
        "reason",
    ),
    (
        "/api/v1/me/signups",
        r#"{"host": 5, "activity_id": "0192f1a4-0000-7000-8000-000000000001"}"#,
        "host",
    ),
    (
        "/api/v1/me/services",
        r#"{"community": "matrix-community", "what": "x", "category": "culture", "started_at": "soon", "ended_at": 1}"#,
        "started_at",
    ),
    (
        "/api/v1/members/{id}/services",
        r#"{"community": 5}"#,
        "community",
    ),
    (
        "/api/v1/services/{home}/{id}/decision",
        r#"{"approved": "yes"}"#,
        "approved",
    ),
    (
        "/api/v1/reports/{home}/{id}/feedback",
        r#"{"period_starts_at": "monday"}"#,
        "period_starts_at",
    ),
    (
        "/api/v1/members/{id}/signups",
        r#"{"host": "matrix-host", "activity_id": 5}"#,
        "activity_id",
    ),
    (
        "/api/v1/me/signups/{id}/cancel",
        r#"{"reason": 5}"#,
        "reason",
    ),
    (
        "/api/v1/members/{id}/reports",
        r#"{"community": 5}"#,
        "community",
    ),
    (
        "/api/v1/members/{id}/reports",
        r#"{"share_name": "no"}"#,
        "share_name",
    ),
    (
        "/api/v1/me/password",
        r#"{"password": [], "current": "x"}"#,
        "password",
    ),
    (
        "/api/v1/me/reports",
        r#"{"share_skills": 1}"#,
        "share_skills",
    ),
    (
        "/api/v1/reports/{id}/withdraw",
        r#"{"reason": 5}"#,
        "reason",
    ),
    (
        "/api/v1/reports/{home}/{id}/decision",
        r#"{"accepted": "yes"}"#,
        "accepted",
    ),
    (
        "/api/v1/households",
        r#"{"label": 7, "name": "x", "address": "x", "situation": "x"}"#,
        "label",
    ),
    (
        "/api/v1/households/{id}/pairings",
        r#"{"home": "matrix-home", "report_id": 5}"#,
        "report_id",
    ),
    ("/api/v1/pairings/{id}/end", r#"{"reason": 5}"#, "reason"),
    (
        "/api/v1/households/{id}/wishes",
        r#"{"title": "x", "micro_wish": "elderly-over80", "addressee": 5}"#,
        "addressee",
    ),
    ("/api/v1/claims/{id}/done", r#"{"summary": []}"#, "summary"),
    (
        "/api/v1/me/claims/{id}/done",
        r#"{"summary": 7}"#,
        "summary",
    ),
    (
        "/api/v1/me/needs/{org}/{id}/claims",
        r#"{"share_name": "yes"}"#,
        "share_name",
    ),
    ("/api/v1/buildings", r#"{"name": 7}"#, "name"),
    (
        "/api/v1/emergencies",
        r#"{"title": "x", "posts": 5}"#,
        "posts",
    ),
    (
        "/api/v1/emergencies/{id}/close",
        r#"{"summary": 5}"#,
        "summary",
    ),
    (
        "/api/v1/emergency-calls/{declarer}/{id}/{member}/answer",
        r#"{"available": "yes"}"#,
        "available",
    ),
    (
        "/api/v1/me/emergency-calls/{declarer}/{id}/answer",
        r#"{"available": 1}"#,
        "available",
    ),
    (
        "/api/v1/claims/{claimant}/{id}/reopen",
        r#"{"reason": true}"#,
        "reason",
    ),
    ("/api/v1/teams", r#"{"name": 5}"#, "name"),
    (
        "/api/v1/teams/{id}/members",
        r#"{"home": 5, "report_id": "0192f1a4-0000-7000-8000-000000000001"}"#,
        "home",
    ),
    (
        "/api/v1/teams/{id}/members/remove",
        r#"{"home": "matrix-home", "report_id": []}"#,
        "report_id",
    ),
    (
        "/api/v1/teams/{id}/invitations",
        r#"{"activity_id": true}"#,
        "activity_id",
    ),
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// (METHOD, path, has a security requirement) of every operation in an OpenAPI document.
fn doc_routes(doc: &Value) -> Vec<(String, String, bool)> {
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut out = Vec::new();
    for (path, item) in paths {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if let Some(op) = item.get(method) {
                let secured = op["security"].as_array().is_some_and(|s| !s.is_empty())
                    || doc["security"].as_array().is_some_and(|s| !s.is_empty());
                out.push((method.to_uppercase(), path.clone(), secured));
            }
        }
    }
    out
}

/// Fails unless the document's routes and `API` are the same set, and the document marks
/// exactly the protected routes as needing a bearer token.
fn assert_doc_matches_table(doc: &Value) {
    let routes = doc_routes(doc);
    assert!(!routes.is_empty(), "the OpenAPI document lists no routes");
    let documented: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    let table: BTreeSet<(String, String)> = API
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let uncovered: Vec<_> = documented.difference(&table).collect();
    assert!(
        uncovered.is_empty(),
        "routes in the served OpenAPI document that the authorisation matrix does not cover \
         (add each to API in tests/tests/auth_matrix.rs with the roles its handler admits): \
         {uncovered:?}"
    );
    let stale: Vec<_> = table.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "routes in the matrix that the OpenAPI document no longer lists: {stale:?}"
    );
    for (m, p, secured) in &routes {
        let access = API
            .iter()
            .find(|(tm, tp, _)| tm == m && tp == p)
            .map(|r| r.2)
            .unwrap();
        assert_eq!(
            *secured,
            matches!(access, Roles(_)),
            "{m} {p}: the OpenAPI document's security requirement disagrees with the matrix \
             ({access:?})"
        );
    }
}

/// Substitutes path parameters: organisations by `org`, everything else by a fresh UUID.
fn fill(path: &str, org: &OrgId) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some("org" | "claimant" | "home" | "proposer" | "host") => org.to_string(),
                Some(_) => uuid::Uuid::now_v7().to_string(),
                None => seg.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// How a request carries (or does not carry) a credential.
#[derive(Clone)]
enum Cred {
    None,
    /// The whole `Authorization` header value.
    Header(String),
    /// A cookie (name, value).
    Cookie(String, String),
}

struct Resp {
    status: u16,
    location: String,
    content_type: String,
    body: String,
    /// `name=value` of each cookie the response sets.
    set_cookies: Vec<String>,
}

impl Resp {
    fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// `None` when this is the API's error shape with `code`, else what is wrong with it.
    fn api_error_problem(&self, code: &str) -> Option<String> {
        if !self.content_type.starts_with("application/json") {
            return Some(format!(
                "content type {:?} is not JSON (body {:?})",
                self.content_type, self.body
            ));
        }
        let Some(v) = self.json() else {
            return Some(format!("body is not JSON: {:?}", self.body));
        };
        let shape_ok = v.as_object().is_some_and(|o| o.len() == 1)
            && v["error"].as_object().is_some_and(|e| e.len() == 2)
            && v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty());
        if !shape_ok {
            return Some(format!("not {{error: {{code, message}}}}: {v}"));
        }
        (v["error"]["code"] != code)
            .then(|| format!("error code {} instead of {code:?}", v["error"]["code"]))
    }

    fn short(&self) -> String {
        let body: String = self
            .body
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(160)
            .collect();
        format!("{} {body}", self.status)
    }
}

async fn send(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    cred: &Cred,
    body: Option<&Value>,
    form: Option<&[(&str, &str)]>,
) -> Resp {
    let method: reqwest::Method = method.parse().unwrap();
    let mut req = http.request(method, url);
    match cred {
        Cred::None => {}
        Cred::Header(h) => req = req.header("authorization", h),
        Cred::Cookie(name, value) => req = req.header("cookie", format!("{name}={value}")),
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    if let Some(f) = form {
        req = req.form(f);
    }
    let r = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let header = |h: &str| {
        r.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, location, content_type) = (
        r.status().as_u16(),
        header("location"),
        header("content-type"),
    );
    let set_cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    Resp {
        status,
        location,
        content_type,
        body: r.text().await.unwrap_or_default(),
        set_cookies,
    }
}

/// What the page a redirect leads to shows: its Location fetched with `cred` and the
/// cookies the redirects set (the UI's messages travel in a signed cookie, not in the URL),
/// through at most three redirects.
async fn shown_after(http: &reqwest::Client, n: &RunningNode, r: &Resp, cred: &Cred) -> String {
    let (mut status, mut location, mut set) = (r.status, r.location.clone(), r.set_cookies.clone());
    let mut flash: Vec<String> = Vec::new();
    for _ in 0..3 {
        if status != 303 {
            break;
        }
        // The latest value of each cookie wins, as in a browser.
        for c in set {
            let name = c.split('=').next().unwrap_or_default().to_owned();
            flash.retain(|f| !f.starts_with(&format!("{name}=")));
            flash.push(c);
        }
        let mut cookies = flash.clone();
        if let Cred::Cookie(name, value) = cred {
            cookies.push(format!("{name}={value}"));
        }
        let mut req = http.get(n.url(&location));
        if let Cred::Header(h) = cred {
            req = req.header("authorization", h);
        }
        let resp = send_with_cookies(req, &cookies).await;
        if resp.status != 303 {
            return resp.body;
        }
        (status, location, set) = (resp.status, resp.location, resp.set_cookies);
    }
    String::new()
}

async fn send_with_cookies(req: reqwest::RequestBuilder, cookies: &[String]) -> Resp {
    let r = req
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let set_cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    Resp {
        status: r.status().as_u16(),
        location,
        content_type: String::new(),
        set_cookies,
        body: r.text().await.unwrap_or_default(),
    }
}

/// A client that shows redirects instead of following them, and keeps no cookies.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn user_claims(iss: &OrgId, role: Role, iat: i64, exp: i64) -> UserClaims {
    UserClaims {
        iss: iss.clone(),
        sub: "admin".into(),
        role,
        iat,
        exp,
    }
}

/// Signs raw claims as a user token (right `typ`) with `signer`.
fn sign_raw_user(signer: &Signer, claims: &Value) -> String {
    let mut header = signer.header().clone();
    header.typ = Some(USER_TYP.to_owned());
    signer.sign_raw_claims(Some(&header), claims).unwrap()
}

/// A key and certificate for `org`'s id from another alliance's CA (with the same name).
fn impostor(org: &Org) -> Signer {
    let ca_key = pki::generate_key().unwrap();
    let ca_cert = pki::make_root(&ca_key, "测试联盟").unwrap();
    let key = pki::generate_key().unwrap();
    let csr = pki::make_csr(&key, &org.id, &org.name).unwrap();
    let cert = pki::issue(
        &ca_key,
        &ca_cert,
        &csr,
        &org.id,
        org.kind,
        Validity::days(now() - 60, 30),
    )
    .unwrap();
    Signer::new(&key, &cert).unwrap()
}

/// Tokens `home` must refuse: (name, token, a fragment of the reason given). `foreign` is another node of the same alliance (its
/// organisation `other`) with accounts `admin` and `m` (a member).
async fn refused_tokens(
    home: &RunningNode,
    me: &Org,
    other: &Org,
    foreign: &RunningNode,
) -> Vec<(&'static str, String, &'static str)> {
    let own = &home.node.signer;
    let t = now();
    let valid = user_claims(&me.id, Role::Admin, t - 5, t + 3600);
    let other_signer = Signer::new(&other.key, &other.cert).unwrap();
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());

    let good = own.sign_user_token(&valid).unwrap();
    let (signed_part, _) = good.rsplit_once('.').unwrap();
    let other_token = other_signer.sign_user_token(&valid).unwrap();
    let other_sig = other_token.rsplit_once('.').unwrap().1;
    let tampered = {
        // A member's token with its payload swapped for the admin claims, signature kept.
        let member = own
            .sign_user_token(&user_claims(&me.id, Role::Member, t - 5, t + 3600))
            .unwrap();
        let parts: Vec<&str> = member.split('.').collect();
        format!(
            "{}.{}.{}",
            parts[0],
            b64(&serde_json::to_value(&valid).unwrap()),
            parts[2]
        )
    };
    let mut extra = serde_json::to_value(&valid).unwrap();
    extra["scope"] = json!("all");
    let mut unknown_role = serde_json::to_value(&valid).unwrap();
    unknown_role["role"] = json!("root");
    let mut huge = serde_json::to_value(&valid).unwrap();
    huge["sub"] = json!("x".repeat(9000));

    let v = |claims: &UserClaims| serde_json::to_value(claims).unwrap();
    vec![
        ("malformed_garbage", "garbage".to_owned(), "malformed"),
        ("malformed_three_parts", "a.b.c".to_owned(), "malformed"),
        (
            "malformed_alg_none",
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": USER_TYP })),
                b64(&v(&valid))
            ),
            "algorithm \"none\"",
        ),
        (
            "expired",
            own.sign_user_token(&user_claims(&me.id, Role::Admin, t - 7200, t - 60))
                .unwrap(),
            "not valid at",
        ),
        (
            "not_yet_valid",
            own.sign_user_token(&user_claims(&me.id, Role::Admin, t + 3600, t + 7200))
                .unwrap(),
            "not valid at",
        ),
        (
            "wrong_signature",
            format!("{signed_part}.{other_sig}"),
            "signature does not verify",
        ),
        ("payload_swapped", tampered, "signature does not verify"),
        (
            // The same claims (iss = this node), signed by another member of the alliance.
            "signed_by_other_node_key",
            other_signer.sign_user_token(&valid).unwrap(),
            "differs from the certificate's org id",
        ),
        (
            "foreign_node_admin",
            foreign.login("admin", PASSWORD).await,
            "is not valid here",
        ),
        (
            "foreign_node_member",
            foreign.login("m", PASSWORD).await,
            "is not valid here",
        ),
        (
            "other_alliance",
            impostor(me).sign_user_token(&valid).unwrap(),
            "not issued by this alliance's root",
        ),
        (
            "unknown_role",
            sign_raw_user(own, &unknown_role),
            "claims are malformed",
        ),
        (
            "unknown_claim",
            sign_raw_user(own, &extra),
            "claims are malformed",
        ),
        (
            "message_typ_not_user_token",
            own.sign_raw_claims(None, &v(&valid)).unwrap(),
            "header typ",
        ),
        (
            "oversized_token",
            sign_raw_user(own, &huge),
            "the limit is 8192",
        ),
    ]
}

/// Adds a member `m` (with their member record) and an auditor `au` to a node (its admin
/// exists already).
async fn add_users(n: &RunningNode) {
    let hash = tongxin_node::http::auth::hash_password(PASSWORD).unwrap();
    n.node
        .store
        .write(move |c| {
            for (u, r) in [("m", "member"), ("au", "auditor")] {
                tongxin_node::store::users::put(c, u, &hash, r, 0)?;
            }
            let m = tongxin_node::store::members::MemberRow {
                id: uuid::Uuid::now_v7().to_string(),
                name: "矩阵成员".into(),
                display_name: None,
                phone: "13800000000".into(),
                department: None,
                residence_org: None,
                grid: None,
                skills: "[]".into(),
                availability: "[]".into(),
                emergency_ready: false,
                username: Some("m".into()),
                created_ms: 0,
                updated_ms: 0,
                work_org: None,
                work_grid: None,
            };
            tongxin_node::store::members::insert(c, &[m])
        })
        .await
        .unwrap();
}

/// What a refused request must not have changed: offers, needs, claims, and the sequence
/// numbers of every outgoing stream (each signed message takes one).
async fn written(n: &RunningNode) -> Value {
    json!({
        "offers": n.get("/api/v1/offers").await["total"],
        "needs": n.get("/api/v1/needs").await["total"],
        "claims": n.get("/api/v1/claims").await["items"].as_array().map(Vec::len),
        "outgoing": n.get("/api/v1/streams").await["outgoing"],
    })
}

async fn alliance_of_two() -> (Alliance, RunningNode, RunningNode) {
    let a = street_and_community();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    add_users(&street).await;
    add_users(&community).await;
    (a, community, street)
}

fn report(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what}: {} failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

/// Every `.route("…", web::method()…)` of a source file's `routes` function.
fn source_routes(file: &str) -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node/src/http")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("pub fn routes(")
        .unwrap_or_else(|| panic!("{file} has no routes()"));
    let squeezed: String = text[start..]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut out = Vec::new();
    let mut rest = squeezed.as_str();
    while let Some(i) = rest.find(".route(\"") {
        rest = &rest[i + ".route(\"".len()..];
        let (path, after) = rest.split_once('"').unwrap();
        let after = after
            .strip_prefix(",web::")
            .unwrap_or_else(|| panic!("{file}: route {path} is not web::<method>()"));
        let (method, _) = after.split_once('(').unwrap();
        out.push((method.to_uppercase(), path.to_owned()));
        rest = after;
    }
    // Resources with several routes: `web::resource("…")` then `.route(web::<method>()…)`.
    let mut rest = squeezed.as_str();
    while let Some(i) = rest.find("web::resource(\"") {
        rest = &rest[i + "web::resource(\"".len()..];
        let (path, after) = rest.split_once('"').unwrap();
        let end = [after.find(".route(\""), after.find("web::resource(\"")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(after.len());
        let mut body = &after[..end];
        while let Some(j) = body.find(".route(web::") {
            body = &body[j + ".route(web::".len()..];
            let (method, _) = body.split_once('(').unwrap();
            out.push((method.to_uppercase(), path.to_owned()));
        }
        rest = after;
    }
    assert!(!out.is_empty(), "no routes found in {file}");
    out
}

/// Routes registered in the source must each be in the OpenAPI document (and so in `API`) or
/// in `OUTSIDE_DOC`, and every UI route in `UI`: a route added without documentation or
/// without an expectation fails here.
#[test]
fn every_registered_route_is_in_the_matrix() {
    let doc = tongxin_node::http::api::openapi::document();
    assert_doc_matches_table(&doc);
    let mut failures = Vec::new();
    let known: BTreeSet<(String, String)> = API
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            OUTSIDE_DOC
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    let mut seen = BTreeSet::new();
    for (m, p) in source_routes("api/mod.rs") {
        // Routes inside the /api/v1 scope are written without the prefix.
        let full = [format!("/api/v1{p}"), p.clone()]
            .into_iter()
            .find(|f| known.contains(&(m.clone(), f.clone())));
        match full {
            Some(f) => {
                seen.insert((m, f));
            }
            None => failures.push(format!(
                "api/mod.rs registers {m} {p}, which is neither in the OpenAPI document nor in \
                 OUTSIDE_DOC"
            )),
        }
    }
    for k in known.difference(&seen) {
        failures.push(format!(
            "{k:?} is in the matrix but not registered in api/mod.rs"
        ));
    }
    let ui: BTreeSet<(String, String)> = source_routes("ui/mod.rs").into_iter().collect();
    let table: BTreeSet<(String, String)> = UI
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    for r in ui.difference(&table) {
        failures.push(format!(
            "ui/mod.rs registers {r:?}, which UI does not cover"
        ));
    }
    for r in table.difference(&ui) {
        failures.push(format!("UI lists {r:?}, which ui/mod.rs does not register"));
    }
    report("routes vs. matrix", &failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_routes_admit_exactly_the_intended_callers() {
    let (a, community, street) = alliance_of_two().await;
    let http = raw_client();
    let me = a.org("community");

    // The routes come from the served document, and the matrix must cover all of them.
    let doc: Value = community
        .http
        .get(community.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_doc_matches_table(&doc);
    let routes = doc_routes(&doc);

    let mut refused: Vec<(String, Cred, &str)> = vec![
        ("no_credentials".into(), Cred::None, "sign in"),
        (
            "empty_bearer".into(),
            Cred::Header("Bearer ".into()),
            "sign in",
        ),
        (
            "basic_scheme_with_the_admin_password".into(),
            Cred::Header(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"))
            )),
            "sign in",
        ),
    ];
    // The API also reads the web UI's cookie: the same tokens there are refused the same way.
    let cookie = tongxin_node::http::auth::cookie_name(&community.node);
    for (name, token, reason) in refused_tokens(&community, me, a.org("street"), &street).await {
        refused.push((
            format!("cookie_{name}"),
            Cred::Cookie(cookie.clone(), token.clone()),
            reason,
        ));
        refused.push((name.into(), Cred::Header(format!("Bearer {token}")), reason));
    }
    refused.push((
        "foreign_node_cookie_under_its_own_name".into(),
        Cred::Cookie(
            tongxin_node::http::auth::cookie_name(&street.node),
            street.login("admin", PASSWORD).await,
        ),
        "sign in",
    ));
    let roles = [
        (Role::Member, community.login("m", PASSWORD).await),
        (Role::Auditor, community.login("au", PASSWORD).await),
        (Role::Admin, community.login("admin", PASSWORD).await),
    ];

    let before = written(&community).await;
    let mut failures = Vec::new();
    let mut checked = 0;

    // Refused credentials: 401 with the API's JSON error on every protected route; public
    // routes stay reachable.
    for (variant, cred, reason) in &refused {
        for (method, path, _) in &routes {
            let access = API.iter().find(|r| r.0 == method && r.1 == path).unwrap().2;
            let url = community.url(&fill(path, &street.org_id));
            let body = (method == "POST" || method == "PUT").then(|| api_body(path));
            let r = send(&http, method, &url, cred, body.as_ref(), None).await;
            checked += 1;
            match access {
                Roles(_) => {
                    if r.status != 401 {
                        failures.push(format!(
                            "{method} {path} × {variant}: expected 401, got {}",
                            r.short()
                        ));
                    } else if let Some(p) = r.api_error_problem("unauthorized") {
                        failures.push(format!("{method} {path} × {variant}: 401 but {p}"));
                    } else if !r.json().unwrap()["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains(reason)
                    {
                        // Refused, but not for the reason this variant is about: the variant
                        // is built wrong, or an earlier check hides the one it exercises.
                        failures.push(format!(
                            "{method} {path} × {variant}: 401 without {reason:?}: {}",
                            r.short()
                        ));
                    }
                }
                Public => {
                    if matches!(r.status, 401 | 403) || r.status >= 500 {
                        failures.push(format!(
                            "{method} {path} × {variant}: a public route answered {}",
                            r.short()
                        ));
                    }
                }
            }
        }
        for (method, path) in OUTSIDE_DOC {
            let r = send(&http, method, &community.url(path), cred, None, None).await;
            checked += 1;
            // /readyz may say 503 (broker not yet connected): that is an answer, not a refusal.
            let ok = r.status == 200 || (*path == "/readyz" && r.status == 503);
            if !ok {
                failures.push(format!(
                    "{method} {path} × {variant}: public route answered {}",
                    r.short()
                ));
            }
        }
    }

    // Each role: 403 (JSON error) outside its admitted set, admitted (not 401/403, no 5xx)
    // inside it. Admin last: it is the only role that may write.
    for (role, token) in &roles {
        if *role == Role::Admin {
            let after = written(&community).await;
            assert_eq!(
                before, after,
                "a refused request (bad credential or wrong role) changed the node"
            );
        }
        let cred = Cred::Header(format!("Bearer {token}"));
        for (method, path, _) in &routes {
            let access = API.iter().find(|r| r.0 == method && r.1 == path).unwrap().2;
            let url = community.url(&fill(path, &street.org_id));
            let body = (method == "POST" || method == "PUT").then(|| api_body(path));
            let r = send(&http, method, &url, &cred, body.as_ref(), None).await;
            checked += 1;
            let admitted = match access {
                Public => true,
                Roles(rs) => rs.contains(role),
            };
            let variant = format!("role {role}");
            if r.status >= 500 {
                failures.push(format!(
                    "{method} {path} × {variant}: server error {}",
                    r.short()
                ));
            } else if admitted && matches!(r.status, 401 | 403) {
                failures.push(format!(
                    "{method} {path} × {variant}: should be admitted, got {}",
                    r.short()
                ));
            } else if !admitted && r.status != 403 {
                failures.push(format!(
                    "{method} {path} × {variant}: expected 403, got {}",
                    r.short()
                ));
            } else if !admitted && let Some(p) = r.api_error_problem("forbidden") {
                failures.push(format!("{method} {path} × {variant}: 403 but {p}"));
            }
        }
    }
    report("API authorisation matrix", &failures);
    eprintln!(
        "API matrix: {} documented routes + {} outside the document, {} refused credentials, \
         {} roles: {checked} requests",
        routes.len(),
        OUTSIDE_DOC.len(),
        refused.len(),
        roles.len()
    );
    community.stop().await;
    street.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_admits_exactly_the_intended_callers() {
    let (a, community, street) = alliance_of_two().await;
    let http = raw_client();
    let me = a.org("community");
    let cookie = tongxin_node::http::auth::cookie_name(&community.node);
    let foreign_cookie = tongxin_node::http::auth::cookie_name(&street.node);

    let mut refused: Vec<(String, Cred)> = vec![
        ("no_cookie".into(), Cred::None),
        (
            "empty_cookie".into(),
            Cred::Cookie(cookie.clone(), String::new()),
        ),
        (
            // Browsers send one host's cookies to every port: the other node's sign-in
            // cookie arrives here too, under its own name, and must not count.
            "foreign_node_cookie_under_its_own_name".into(),
            Cred::Cookie(foreign_cookie, street.login("admin", PASSWORD).await),
        ),
    ];
    for (name, token, _) in refused_tokens(&community, me, a.org("street"), &street).await {
        refused.push((name.into(), Cred::Cookie(cookie.clone(), token)));
    }
    let roles = [
        (Role::Member, community.login("m", PASSWORD).await),
        (Role::Auditor, community.login("au", PASSWORD).await),
        (Role::Admin, community.login("admin", PASSWORD).await),
    ];

    let before = written(&community).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    let page_of = |path: &str| -> &'static str {
        // Where a form sends the browser back to (admin_action's `to`).
        if path.starts_with("/offers") {
            "/offers"
        } else if path.starts_with("/claims") {
            "/claims"
        } else if path.starts_with("/members") {
            "/members"
        } else if path.starts_with("/reports") || path.starts_with("/services") {
            "/reports"
        } else if path.starts_with("/me") {
            "/me"
        } else if path.starts_with("/agreements") {
            "/agreements"
        } else if path.starts_with("/care") || path.starts_with("/pairings") {
            "/care"
        } else if path.starts_with("/teams") {
            "/teams"
        } else if path.starts_with("/activities") {
            "/activities"
        } else if path.starts_with("/emergenc") {
            "/emergencies"
        } else if path.starts_with("/users") {
            "/users"
        } else if path.starts_with("/account") {
            "/account"
        } else {
            "/needs"
        }
    };
    let call = |method: &'static str, path: &'static str, cred: Cred| {
        let (http, url) = (http.clone(), community.url(&fill(path, &street.org_id)));
        async move {
            let form = (method == "POST").then(|| ui_form(path));
            send(&http, method, &url, &cred, None, form.as_deref()).await
        }
    };
    let public_ok = |method: &str, path: &str, r: &Resp| -> bool {
        match (method, path) {
            ("GET", "/login") => r.status == 200 && r.content_type.starts_with("text/html"),
            ("POST", "/login") => r.status == 303 && r.location == "/",
            ("POST", "/logout") => r.status == 303 && r.location == "/login",
            // The matrix's roster gives no web addresses: no other organisation to go to.
            ("GET", "/signin") => r.status == 200 && r.content_type.starts_with("text/html"),
            ("POST", "/signin") => r.status == 303 && r.location.starts_with("/signin?next="),
            // No token and no sign-in started: the refusal page.
            ("GET", "/signin/return") => r.status == 400 && r.content_type.starts_with("text/html"),
            ("POST", "/signin/out") => r.status == 303 && r.location == "/signin",
            // No host and nonce: nothing to answer, back to the member's page.
            ("GET" | "POST", "/signin/for") => r.status == 303 && r.location == "/me",
            ("GET", "/visit") => r.status == 303 && r.location == "/signin?next=/visit",
            // No visitor session: to the sign-in with one's home, coming back here after.
            ("GET" | "POST", p) if p.starts_with("/checkin/") => {
                r.status == 303 && r.location.starts_with("/signin?next=%2Fcheckin%2F")
            }
            _ => panic!("{method} {path}: say what the public UI route answers"),
        }
    };

    // Not signed in (or signed in with a token this node refuses): sent to /login.
    for (variant, cred) in &refused {
        for (method, path, access) in UI {
            let r = call(method, path, cred.clone()).await;
            checked += 1;
            let ok = match access {
                Ui::Public => public_ok(method, path, &r),
                Ui::Home => r.status == 303 && r.location == "/login",
                // A page opened is where the sign-in takes them back to; a form goes nowhere.
                Ui::SignedIn | Ui::Admin | Ui::Member | Ui::DepartmentAuditor | Ui::Staff
                    if *method == "GET" =>
                {
                    r.status == 303 && r.location.starts_with("/login?next=%2F")
                }
                Ui::SignedIn | Ui::Admin | Ui::Member | Ui::DepartmentAuditor | Ui::Staff => {
                    r.status == 303 && r.location == "/login"
                }
            };
            if !ok {
                failures.push(format!(
                    "UI {method} {path} × {variant}: expected {}, got {} → {:?}",
                    if *access == Ui::Public {
                        "its public answer"
                    } else {
                        "303 to /login (with ?next= for a page)"
                    },
                    r.short(),
                    r.location
                ));
            }
        }
    }

    // Signed in with each role.
    for (role, token) in &roles {
        if *role == Role::Admin {
            let after = written(&community).await;
            assert_eq!(
                before, after,
                "a refused UI request (bad cookie or wrong role) changed the node"
            );
        }
        let variant = format!("role {role}");
        let cred = Cred::Cookie(cookie.clone(), token.clone());
        for (method, path, access) in UI {
            let r = call(method, path, cred.clone()).await;
            checked += 1;
            let shown = shown_after(&http, &community, &r, &cred).await;
            let refused_role = shown.contains("needs the role")
                || shown.contains("此页面")
                || shown.contains("is for administrators");
            let problem = if r.status >= 500 {
                Some("a server error".to_owned())
            } else {
                match (access, *role == Role::Admin, *method) {
                    (Ui::Public, _, _) => {
                        (!public_ok(method, path, &r)).then(|| "not its public answer".into())
                    }
                    (Ui::Home, _, _) if *role == Role::Member => (!(r.status == 303
                        && r.location == "/me"))
                        .then(|| "expected 303 to the member's page".into()),
                    (Ui::Staff, _, _) if *role == Role::Member => {
                        (!(r.status == 303 && r.location == "/me" && refused_role))
                            .then(|| "expected 303 to /me with the staff-only error".into())
                    }
                    (Ui::Home | Ui::Staff, _, _) => (!(r.status == 200
                        && r.content_type.starts_with("text/html")))
                    .then(|| "expected the page (200 HTML)".into()),
                    // One object's page, for an id the node does not have: the UI's 404 page.
                    (Ui::SignedIn, _, "GET") if path.contains('{') => (!(r.status == 404
                        && r.content_type.starts_with("text/html")))
                    .then(|| "expected the 404 page".into()),
                    // A form every role has (its own password): back to its page, refused
                    // for the wrong current password, never for the role.
                    (Ui::SignedIn, _, "POST") => {
                        let back = page_of(path);
                        (!(r.status == 303 && r.location == back && !refused_role))
                            .then(|| format!("expected 303 back to {back} without a role error"))
                    }
                    // One object's page, for an id the node does not have: back to the list.
                    (Ui::Admin, true, "GET") if path.contains('{') => {
                        let back = page_of(path);
                        (!(r.status == 303 && r.location == back && !refused_role))
                            .then(|| format!("expected 303 back to {back} (no such object)"))
                    }
                    (Ui::SignedIn, _, _) | (Ui::Admin, true, "GET") => (!(r.status == 200
                        && r.content_type.starts_with("text/html")))
                    .then(|| "expected the page (200 HTML)".into()),
                    (Ui::Admin, true, _) => {
                        let back = page_of(path);
                        (!(r.status == 303 && r.location.starts_with(back) && !refused_role))
                            .then(|| format!("expected 303 back to {back} without a role error"))
                    }
                    (Ui::Admin, false, "GET") => {
                        (!(r.status == 303 && r.location == "/offers" && refused_role))
                            .then(|| "expected 303 to /offers with the admin-only error".into())
                    }
                    (Ui::Admin, false, _) => {
                        // Back to the page the form was on (an object's page under the list's).
                        let back = page_of(path);
                        (!(r.status == 303 && r.location.starts_with(back) && refused_role))
                            .then(|| format!("expected 303 to {back} with the role error"))
                    }
                    (Ui::DepartmentAuditor, _, _) => {
                        (!(r.status == 303 && r.location == "/offers" && refused_role))
                            .then(|| "expected 303 to /offers with the auditors-only error".into())
                    }
                    (Ui::Member, _, method) => match (*role == Role::Member, method) {
                        (true, "GET") => (!(r.status == 200
                            && r.content_type.starts_with("text/html")))
                        .then(|| "expected the page (200 HTML)".into()),
                        (true, _) => (!(r.status == 303 && r.location == "/me" && !refused_role))
                            .then(|| "expected 303 back to /me without a role error".into()),
                        (false, "GET") => (!(r.status == 303
                            && r.location == "/offers"
                            && refused_role))
                            .then(|| "expected 303 to /offers with the members-only error".into()),
                        (false, _) => (!(r.status == 303 && r.location == "/me" && refused_role))
                            .then(|| "expected 303 to /me with the members-only error".into()),
                    },
                }
            };
            if let Some(p) = problem {
                failures.push(format!(
                    "UI {method} {path} × {variant}: {p}, got {} → {:?}",
                    r.short(),
                    r.location
                ));
            }
        }
    }
    report("web UI authorisation matrix", &failures);
    eprintln!(
        "UI matrix: {} routes, {} refused credentials, {} roles: {checked} requests",
        UI.len(),
        refused.len(),
        roles.len()
    );
    community.stop().await;
    street.stop().await;
}

/// `None` if `r` is the API error `code` with `status` (its message starting with `field:`),
/// else the failure, prefixed with `what`.
fn problem(what: String, r: &Resp, status: u16, code: &str, field: Option<&str>) -> Option<String> {
    if r.status != status {
        return Some(format!(
            "{what}: expected {status} {code}, got {}",
            r.short()
        ));
    }
    if let Some(p) = r.api_error_problem(code) {
        return Some(format!("{what}: {status} but {p}"));
    }
    let f = field?;
    let v = r.json().unwrap_or_default();
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    (!msg.starts_with(&format!("{f}:")))
        .then(|| format!("{what}: the message does not name {f}: {msg:?}"))
}

/// Sends `total` bytes of JSON-typed body in chunks (no Content-Length), over a plain socket:
/// the size limit must hold when the length is not announced. Returns (status, body).
fn post_chunked(port: u16, path: &str, token: &str, total: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let chunk = [b' '; 4096];
    let mut sent = 0;
    while sent < total {
        let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
        c.extend_from_slice(&chunk);
        c.extend_from_slice(b"\r\n");
        if s.write_all(&c).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_bodies_are_checked_before_anything_is_written() {
    let a = Alliance::new(&[("community", OrgKind::Community, "友谊南里社区大党委", None)]);
    let n = a.start("community", None).await;
    let http = raw_client();
    let admin = Cred::Header(format!("Bearer {}", n.token));
    let doc: Value = n
        .http
        .get(n.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_doc_matches_table(&doc);
    let routes = doc_routes(&doc);
    let posts: Vec<&String> = routes
        .iter()
        .filter(|(m, p, _)| m == "POST" && !NOT_JSON.contains(&p.as_str()))
        .map(|(_, p, _)| p)
        .collect();
    for p in &posts {
        assert!(
            WRONG_TYPES.iter().any(|(wp, _, _)| wp == p),
            "POST {p} has no wrong-type case in WRONG_TYPES"
        );
    }

    let before = written(&n).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    macro_rules! check {
        ($problem:expr) => {{
            checked += 1;
            failures.extend($problem);
        }};
    }
    let raw = |path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let (http, url) = (http.clone(), n.url(&fill(path, &n.org_id)));
        let (auth, ct) = (n.token.clone(), content_type.map(str::to_owned));
        async move {
            let mut req = http.post(&url).bearer_auth(auth).body(body);
            if let Some(ct) = ct {
                req = req.header("content-type", ct);
            }
            let r = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = r.status().as_u16();
            let content_type = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            Resp {
                status,
                location: String::new(),
                content_type,
                body: r.text().await.unwrap_or_default(),
                set_cookies: Vec::new(),
            }
        }
    };
    for path in &posts {
        let path = path.as_str();
        let valid = api_body(path).to_string().into_bytes();

        // Over 64 KiB: 413, announced length or not.
        let mut big = br#"{"title": ""#.to_vec();
        big.extend(std::iter::repeat_n(b'x', 70 * 1024));
        big.extend_from_slice(br#""}"#);
        let r = raw(path, Some("application/json"), big).await;
        check!(problem(
            format!("POST {path} × 70 KiB body"),
            &r,
            413,
            "too_large",
            None
        ));
        let (port, url_path, token) = (n.port, fill(path, &n.org_id), n.token.clone());
        let (status, body) =
            tokio::task::spawn_blocking(move || post_chunked(port, &url_path, &token, 80 * 1024))
                .await
                .unwrap();
        checked += 1;
        let code = serde_json::from_str::<Value>(&body)
            .ok()
            .map(|v| v["error"]["code"].clone());
        if status != 413 || code != Some(json!("too_large")) {
            failures.push(format!(
                "POST {path} × 80 KiB chunked body: expected 413 too_large, got {status} {body:?}"
            ));
        }
        // Just under the limit: not refused for its size (422: the field is too long or
        // unknown).
        let mut under = br#"{"zz": ""#.to_vec();
        under.extend(std::iter::repeat_n(b'x', 60 * 1024));
        under.extend_from_slice(br#""}"#);
        let r = raw(path, Some("application/json"), under).await;
        check!(problem(
            format!("POST {path} × 60 KiB body"),
            &r,
            422,
            "invalid_input",
            Some("zz")
        ));

        // Wrong JSON types: 422 naming the field.
        for (_, body, field) in WRONG_TYPES.iter().filter(|(p, _, _)| *p == path) {
            let r = raw(path, Some("application/json"), body.as_bytes().to_vec()).await;
            check!(problem(
                format!("POST {path} × {body}"),
                &r,
                422,
                "invalid_input",
                Some(field),
            ));
        }
        // Not an object: 422 on the body as a whole. An array holding the valid body's values
        // in field order would otherwise pass as the struct (serde accepts sequences).
        let as_array = positional_body(path).to_string().into_bytes();
        for body in [
            b"[]".to_vec(),
            b"null".to_vec(),
            b"\"x\"".to_vec(),
            b"1".to_vec(),
            as_array,
        ] {
            let shown = String::from_utf8_lossy(&body).into_owned();
            let r = raw(path, Some("application/json"), body).await;
            check!(problem(
                format!("POST {path} × non-object body {shown}"),
                &r,
                422,
                "invalid_input",
                Some("body"),
            ));
        }
        // Not JSON at all, or empty: 400.
        for body in [&b"{not json"[..], &b""[..]] {
            let shown = String::from_utf8_lossy(body).into_owned();
            let r = raw(path, Some("application/json"), body.to_vec()).await;
            check!(problem(
                format!("POST {path} × body {shown:?}"),
                &r,
                400,
                "invalid_json",
                None
            ));
        }
        // A valid body under the wrong content type: 415, and nothing is done.
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/xml"),
            None,
        ] {
            let r = raw(path, ct, valid.clone()).await;
            check!(problem(
                format!("POST {path} × content type {ct:?}"),
                &r,
                415,
                "content_type",
                None,
            ));
        }
    }

    // Every other method on a documented path, and an unknown path: a JSON error too.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if item.get(method.to_lowercase()).is_some() {
                continue;
            }
            let url = n.url(&fill(path, &n.org_id));
            let r = send(&http, method, &url, &admin, None, None).await;
            checked += 1;
            if !matches!(r.status, 404 | 405) {
                failures.push(format!("{method} {path} (not a route): got {}", r.short()));
            } else if let Some(p) = r.api_error_problem(if r.status == 404 {
                "not_found"
            } else {
                "method_not_allowed"
            }) {
                failures.push(format!(
                    "{method} {path} (not a route): {} but {p}",
                    r.status
                ));
            }
        }
    }
    for path in ["/api/v1/nope", "/api/v1/offers/x/y/z", "/api/v1/"] {
        let r = send(&http, "GET", &n.url(path), &admin, None, None).await;
        checked += 1;
        if r.status != 404 {
            failures.push(format!("GET {path}: expected 404, got {}", r.short()));
        } else if let Some(p) = r.api_error_problem("not_found") {
            failures.push(format!("GET {path}: 404 but {p}"));
        }
    }

    report("request body checks", &failures);
    assert_eq!(
        before,
        written(&n).await,
        "a refused body (too large, wrong types, wrong content type) changed the node"
    );
    // A valid body with the right type is still accepted (the checks refuse only bad input).
    let (s, v) = n.post("/api/v1/offers", api_body("/api/v1/offers")).await;
    assert_eq!(s, 201, "{v}");
    eprintln!(
        "body checks: {} POST routes, {checked} requests",
        posts.len()
    );
    n.stop().await;
}
