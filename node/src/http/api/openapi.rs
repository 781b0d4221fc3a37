//! The OpenAPI document at `/api/v1/openapi.json`. Paths come from the handlers' `utoipa`
//! annotations; request and response schemas are generated from the Rust types the handlers
//! take and return (schemars, JSON Schema 2020-12 as OpenAPI 3.1 uses it), and [`BODIES`]
//! says which route takes and returns which.

use actix_web::HttpResponse;
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use super::activities::{
    Activities, ActivityView, Attendance, CertificateView, CheckinCode, CheckinView, Record,
    SignupView, Signups,
};
use super::agreements::{AgreementDocument, AgreementView, Agreements};
use super::auth::{TokenRequest, TokenView};
use super::emergencies::{Calls, Emergencies, EmergencyView};
use super::matching::{ActivityMatches, NeedMatches};
use super::members::{MemberDetail, MemberView, PasswordInput, SignInView};
use super::messages::{RejectedList, Streams};
use super::needs::{Claimed, Claims, Decided, Escalated, Fulfilled, MyClaims, NeedView};
use super::node::{NodeView, RosterView};
use super::offers::{OfferView, Page, Withdrawn};
use super::pairings::{Buildings, HouseholdView, Households, PairingView, Pairings};
use super::participation::Asked;
use super::reports::{ReportView, Reports};
use super::services::{FeedbackView, Feedbacks, ServiceLogView, ServiceLogs};
use super::teams::{InvitationView, Invitations, TeamMemberView, TeamView, Teams};
use crate::domain::activities::{Cancellation, NewActivity};
use crate::domain::agreements::{AgreementDecision, NewAgreement};
use crate::domain::dashboard::Dashboard;
use crate::domain::emergencies::{Answer, Closing, NewEmergency};
use crate::domain::members::{ImportReport, NewMember};
use crate::domain::needs::{
    Decision, Done, Escalation, Fulfilment, MemberClaim, NewClaim, NewNeed, Reopening,
};
use crate::domain::offers::{NewOffer, Withdrawal};
use crate::domain::oversight::NewRequest as NewParticipationRequest;
use crate::domain::pairings::{NewBuilding, NewHousehold, NewPairing, PairingEnd};
use crate::domain::participation::ProofFile;
use crate::domain::reports::{
    NewReport, ReportDecision, ReportingStats, Withdrawal as ReportWithdrawal,
};
use crate::domain::services::{NewFeedback, NewServiceLog, ServiceDecision};
use crate::domain::signups::{NewSignup, Placement, Proposal, SignupCancellation};
use crate::domain::teams::{NewTeam, TeamInvitation, TeamMember};
use crate::domain::wishes::NewWish;
use crate::http::error::ErrorBody;
use crate::store::claims::ClaimRow;
use crate::store::emergencies::CallRow;
use crate::store::pairings::BuildingRow;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Tongxin node API", description = "One organisation's node of the Tongxin alliance. Bodies are JSON; errors are { error: { code, message } }."),
    paths(
        super::auth::token, super::node::node_info, super::node::orgs,
        super::offers::list, super::offers::create, super::offers::withdraw,
        super::needs::list, super::needs::create, super::needs::claim, super::needs::decide,
        super::needs::fulfil, super::needs::escalate, super::needs::list_claims,
        super::needs::record_wish, super::needs::report_done, super::needs::reopen,
        super::needs::claim_mine, super::needs::my_claims, super::needs::report_done_mine,
        super::messages::rejected, super::messages::streams,
        super::members::list, super::members::create, super::members::get, super::members::update,
        super::members::set_password, super::members::import, super::members::export,
        super::members::me, super::members::change_password,
        super::reports::submit_for, super::reports::submit_mine, super::reports::withdraw,
        super::reports::decide, super::reports::list, super::reports::stats,
        super::reports::receipt, super::reports::mine,
        super::agreements::propose, super::agreements::decide, super::agreements::list,
        super::agreements::document,
        super::activities::list, super::activities::publish, super::activities::cancel,
        super::activities::signups_for, super::activities::place, super::activities::cancel_signup,
        super::activities::attendance, super::activities::code, super::activities::sign_up,
        super::activities::my_signups, super::activities::confirm, super::activities::cancel_mine,
        super::activities::my_record, super::activities::record,
        super::activities::export_record,
        super::activities::my_certificate, super::activities::certificate,
        super::services::log_mine, super::services::log_for_member, super::services::mine,
        super::services::received, super::services::decide, super::services::send_feedback,
        super::services::list,
        super::pairings::households, super::pairings::add_household, super::pairings::pair,
        super::pairings::end, super::pairings::list, super::pairings::mine,
        super::pairings::buildings, super::pairings::add_building,
        super::teams::list, super::teams::create, super::teams::join, super::teams::leave,
        super::teams::invite, super::teams::list_invitations, super::teams::mine,
        super::teams::accept, super::teams::decline,
        super::emergencies::list, super::emergencies::declare, super::emergencies::close,
        super::emergencies::list_calls, super::emergencies::answer_for, super::emergencies::mine,
        super::emergencies::answer_mine,
        super::matching::for_activity, super::matching::for_need, super::matching::propose,
        super::participation::list, super::participation::evidence,
        super::participation::request, super::participation::proof
    ),
    modifiers(&Bearer)
)]
struct ApiDoc;

struct Bearer;
impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let comps = doc.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Generates schemas into `/components/schemas`, where OpenAPI resolves references.
struct Schemas {
    requests: SchemaGenerator,
    responses: SchemaGenerator,
}

impl Schemas {
    fn new() -> Schemas {
        let settings = |contract| {
            let mut s = SchemaSettings::draft2020_12();
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.contract = contract;
            s
        };
        Schemas {
            requests: settings(Contract::Deserialize).into_generator(),
            responses: settings(Contract::Serialize).into_generator(),
        }
    }
}

type Gen = fn(&mut Schemas) -> Value;

fn request<T: JsonSchema>(s: &mut Schemas) -> Value {
    s.requests.subschema_for::<T>().to_value()
}

fn response<T: JsonSchema>(s: &mut Schemas) -> Value {
    s.responses.subschema_for::<T>().to_value()
}

/// (method, path, success status, request body, response body) of every documented route.
const BODIES: &[(&str, &str, &str, Option<Gen>, Gen)] = &[
    (
        "post",
        "/api/v1/auth/token",
        "200",
        Some(request::<TokenRequest>),
        response::<TokenView>,
    ),
    ("get", "/api/v1/node", "200", None, response::<NodeView>),
    ("get", "/api/v1/orgs", "200", None, response::<RosterView>),
    (
        "get",
        "/api/v1/offers",
        "200",
        None,
        response::<Page<OfferView>>,
    ),
    (
        "post",
        "/api/v1/offers",
        "201",
        Some(request::<NewOffer>),
        response::<OfferView>,
    ),
    (
        "post",
        "/api/v1/offers/{id}/withdraw",
        "200",
        Some(request::<Withdrawal>),
        response::<Withdrawn>,
    ),
    (
        "get",
        "/api/v1/needs",
        "200",
        None,
        response::<Page<NeedView>>,
    ),
    (
        "post",
        "/api/v1/needs",
        "201",
        Some(request::<NewNeed>),
        response::<NeedView>,
    ),
    (
        "post",
        "/api/v1/needs/{org}/{id}/claims",
        "201",
        Some(request::<NewClaim>),
        response::<Claimed>,
    ),
    (
        "post",
        "/api/v1/claims/{claimant}/{id}/decision",
        "200",
        Some(request::<Decision>),
        response::<Decided>,
    ),
    (
        "post",
        "/api/v1/needs/{id}/fulfil",
        "200",
        Some(request::<Fulfilment>),
        response::<Fulfilled>,
    ),
    (
        "post",
        "/api/v1/needs/{id}/escalate",
        "200",
        Some(request::<Escalation>),
        response::<Escalated>,
    ),
    ("get", "/api/v1/claims", "200", None, response::<Claims>),
    (
        "post",
        "/api/v1/households/{id}/wishes",
        "201",
        Some(request::<NewWish>),
        response::<NeedView>,
    ),
    (
        "post",
        "/api/v1/claims/{id}/done",
        "200",
        Some(request::<Done>),
        response::<ClaimRow>,
    ),
    (
        "post",
        "/api/v1/me/needs/{org}/{id}/claims",
        "201",
        Some(request::<MemberClaim>),
        response::<Claimed>,
    ),
    (
        "get",
        "/api/v1/me/claims",
        "200",
        None,
        response::<MyClaims>,
    ),
    (
        "post",
        "/api/v1/me/claims/{id}/done",
        "200",
        Some(request::<Done>),
        response::<ClaimRow>,
    ),
    (
        "get",
        "/api/v1/buildings",
        "200",
        None,
        response::<Buildings>,
    ),
    (
        "post",
        "/api/v1/buildings",
        "201",
        Some(request::<NewBuilding>),
        response::<BuildingRow>,
    ),
    (
        "post",
        "/api/v1/claims/{claimant}/{id}/reopen",
        "200",
        Some(request::<Reopening>),
        response::<ClaimRow>,
    ),
    (
        "get",
        "/api/v1/messages/rejected",
        "200",
        None,
        response::<RejectedList>,
    ),
    ("get", "/api/v1/streams", "200", None, response::<Streams>),
    (
        "get",
        "/api/v1/members",
        "200",
        None,
        response::<Page<MemberView>>,
    ),
    (
        "post",
        "/api/v1/members",
        "201",
        Some(request::<NewMember>),
        response::<MemberView>,
    ),
    (
        "get",
        "/api/v1/members/{id}",
        "200",
        None,
        response::<MemberDetail>,
    ),
    (
        "put",
        "/api/v1/members/{id}",
        "200",
        Some(request::<NewMember>),
        response::<MemberView>,
    ),
    (
        "post",
        "/api/v1/members/{id}/password",
        "200",
        Some(request::<PasswordInput>),
        response::<SignInView>,
    ),
    (
        "post",
        "/api/v1/members/import",
        "200",
        None,
        response::<ImportReport>,
    ),
    ("get", "/api/v1/me", "200", None, response::<MemberDetail>),
    (
        "post",
        "/api/v1/me/password",
        "200",
        Some(request::<PasswordInput>),
        response::<SignInView>,
    ),
    (
        "post",
        "/api/v1/members/{id}/reports",
        "201",
        Some(request::<NewReport>),
        response::<ReportView>,
    ),
    (
        "post",
        "/api/v1/me/reports",
        "201",
        Some(request::<NewReport>),
        response::<ReportView>,
    ),
    (
        "get",
        "/api/v1/me/reports",
        "200",
        None,
        response::<Reports>,
    ),
    (
        "post",
        "/api/v1/reports/{id}/withdraw",
        "200",
        Some(request::<ReportWithdrawal>),
        response::<ReportView>,
    ),
    (
        "post",
        "/api/v1/reports/{home}/{id}/decision",
        "200",
        Some(request::<ReportDecision>),
        response::<ReportView>,
    ),
    ("get", "/api/v1/reports", "200", None, response::<Reports>),
    (
        "get",
        "/api/v1/reports/stats",
        "200",
        None,
        response::<ReportingStats>,
    ),
    (
        "post",
        "/api/v1/agreements",
        "201",
        Some(request::<NewAgreement>),
        response::<AgreementView>,
    ),
    (
        "post",
        "/api/v1/agreements/{proposer}/{id}/decision",
        "200",
        Some(request::<AgreementDecision>),
        response::<AgreementView>,
    ),
    (
        "get",
        "/api/v1/agreements",
        "200",
        None,
        response::<Agreements>,
    ),
    (
        "get",
        "/api/v1/agreements/{proposer}/{id}/document",
        "200",
        None,
        response::<AgreementDocument>,
    ),
    (
        "get",
        "/api/v1/activities",
        "200",
        None,
        response::<Activities>,
    ),
    (
        "post",
        "/api/v1/activities",
        "201",
        Some(request::<NewActivity>),
        response::<ActivityView>,
    ),
    (
        "post",
        "/api/v1/activities/{id}/cancel",
        "200",
        Some(request::<Cancellation>),
        response::<ActivityView>,
    ),
    (
        "get",
        "/api/v1/activities/{id}/signups",
        "200",
        None,
        response::<Signups>,
    ),
    (
        "post",
        "/api/v1/activities/{id}/attendance",
        "200",
        Some(request::<Attendance>),
        response::<CheckinView>,
    ),
    (
        "get",
        "/api/v1/activities/{id}/code",
        "200",
        None,
        response::<CheckinCode>,
    ),
    (
        "post",
        "/api/v1/signups/{home}/{id}/placement",
        "200",
        Some(request::<Placement>),
        response::<SignupView>,
    ),
    (
        "post",
        "/api/v1/signups/{home}/{id}/cancel",
        "200",
        Some(request::<SignupCancellation>),
        response::<SignupView>,
    ),
    (
        "get",
        "/api/v1/me/signups",
        "200",
        None,
        response::<Signups>,
    ),
    (
        "post",
        "/api/v1/me/signups",
        "201",
        Some(request::<NewSignup>),
        response::<SignupView>,
    ),
    (
        "post",
        "/api/v1/me/signups/{id}/confirm",
        "200",
        None,
        response::<SignupView>,
    ),
    (
        "post",
        "/api/v1/me/signups/{id}/cancel",
        "200",
        Some(request::<SignupCancellation>),
        response::<SignupView>,
    ),
    ("get", "/api/v1/me/record", "200", None, response::<Record>),
    (
        "get",
        "/api/v1/members/{id}/record",
        "200",
        None,
        response::<Record>,
    ),
    (
        "get",
        "/api/v1/me/certificate",
        "200",
        None,
        response::<CertificateView>,
    ),
    (
        "get",
        "/api/v1/members/{id}/certificate",
        "200",
        None,
        response::<CertificateView>,
    ),
    (
        "post",
        "/api/v1/me/services",
        "201",
        Some(request::<NewServiceLog>),
        response::<ServiceLogView>,
    ),
    (
        "post",
        "/api/v1/members/{id}/services",
        "201",
        Some(request::<NewServiceLog>),
        response::<ServiceLogView>,
    ),
    (
        "get",
        "/api/v1/me/services",
        "200",
        None,
        response::<ServiceLogs>,
    ),
    (
        "get",
        "/api/v1/services",
        "200",
        None,
        response::<ServiceLogs>,
    ),
    (
        "post",
        "/api/v1/services/{home}/{id}/decision",
        "200",
        Some(request::<ServiceDecision>),
        response::<ServiceLogView>,
    ),
    (
        "post",
        "/api/v1/reports/{home}/{id}/feedback",
        "201",
        Some(request::<NewFeedback>),
        response::<FeedbackView>,
    ),
    (
        "get",
        "/api/v1/feedback",
        "200",
        None,
        response::<Feedbacks>,
    ),
    (
        "get",
        "/api/v1/activities/{host}/{id}/matches",
        "200",
        None,
        response::<ActivityMatches>,
    ),
    (
        "get",
        "/api/v1/needs/{org}/{id}/matches",
        "200",
        None,
        response::<NeedMatches>,
    ),
    (
        "post",
        "/api/v1/members/{id}/signups",
        "201",
        Some(request::<Proposal>),
        response::<SignupView>,
    ),
    (
        "get",
        "/api/v1/households",
        "200",
        None,
        response::<Households>,
    ),
    (
        "post",
        "/api/v1/households",
        "201",
        Some(request::<NewHousehold>),
        response::<HouseholdView>,
    ),
    (
        "post",
        "/api/v1/households/{id}/pairings",
        "201",
        Some(request::<NewPairing>),
        response::<PairingView>,
    ),
    (
        "post",
        "/api/v1/pairings/{id}/end",
        "200",
        Some(request::<PairingEnd>),
        response::<PairingView>,
    ),
    ("get", "/api/v1/pairings", "200", None, response::<Pairings>),
    (
        "get",
        "/api/v1/me/pairings",
        "200",
        None,
        response::<Pairings>,
    ),
    (
        "get",
        "/api/v1/emergencies",
        "200",
        None,
        response::<Emergencies>,
    ),
    (
        "post",
        "/api/v1/emergencies",
        "201",
        Some(request::<NewEmergency>),
        response::<EmergencyView>,
    ),
    (
        "post",
        "/api/v1/emergencies/{id}/close",
        "200",
        Some(request::<Closing>),
        response::<EmergencyView>,
    ),
    (
        "get",
        "/api/v1/emergency-calls",
        "200",
        None,
        response::<Calls>,
    ),
    (
        "post",
        "/api/v1/emergency-calls/{declarer}/{id}/{member}/answer",
        "200",
        Some(request::<Answer>),
        response::<CallRow>,
    ),
    (
        "get",
        "/api/v1/me/emergency-calls",
        "200",
        None,
        response::<Calls>,
    ),
    (
        "post",
        "/api/v1/me/emergency-calls/{declarer}/{id}/answer",
        "200",
        Some(request::<Answer>),
        response::<CallRow>,
    ),
    ("get", "/api/v1/teams", "200", None, response::<Teams>),
    (
        "post",
        "/api/v1/teams",
        "201",
        Some(request::<NewTeam>),
        response::<TeamView>,
    ),
    (
        "post",
        "/api/v1/teams/{id}/members",
        "201",
        Some(request::<TeamMember>),
        response::<TeamMemberView>,
    ),
    (
        "post",
        "/api/v1/teams/{id}/members/remove",
        "200",
        Some(request::<TeamMember>),
        response::<TeamView>,
    ),
    (
        "post",
        "/api/v1/teams/{id}/invitations",
        "201",
        Some(request::<TeamInvitation>),
        response::<Invitations>,
    ),
    (
        "get",
        "/api/v1/invitations",
        "200",
        None,
        response::<Invitations>,
    ),
    (
        "get",
        "/api/v1/me/invitations",
        "200",
        None,
        response::<Invitations>,
    ),
    (
        "post",
        "/api/v1/me/invitations/{host}/{id}/decline",
        "200",
        None,
        response::<InvitationView>,
    ),
    (
        "post",
        "/api/v1/me/invitations/{host}/{id}/accept",
        "201",
        None,
        response::<SignupView>,
    ),
    (
        "get",
        "/api/v1/participation",
        "200",
        None,
        response::<Dashboard>,
    ),
    (
        "post",
        "/api/v1/participation/requests",
        "202",
        Some(request::<NewParticipationRequest>),
        response::<Asked>,
    ),
    (
        "get",
        "/api/v1/participation/proof",
        "200",
        None,
        response::<ProofFile>,
    ),
];

fn content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// The whole document.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(<ApiDoc as utoipa::OpenApi>::openapi()).unwrap_or_default();
    let mut s = Schemas::new();
    let error = response::<ErrorBody>(&mut s);
    for (method, path, ok, req, resp) in BODIES {
        let op = &mut doc["paths"][*path][*method];
        if let Some(req) = req {
            op["requestBody"] = json!({ "required": true, "content": content(req(&mut s)) });
        }
        op["responses"][*ok]["content"] = content(resp(&mut s));
        if let Some(responses) = op["responses"].as_object_mut() {
            for (status, r) in responses.iter_mut() {
                if !status.starts_with('2') {
                    r["content"] = content(error.clone());
                }
            }
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    for (name, schema) in s
        .requests
        .take_definitions(true)
        .into_iter()
        .chain(s.responses.take_definitions(true))
    {
        schemas[name] = schema;
    }
    doc
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
