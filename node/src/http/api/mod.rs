//! The JSON API under `/api/v1`, one file per feature. Every route names the roles it admits;
//! handlers extract, call the domain (`Node::act` for changes), and map the error. Request
//! and response bodies are typed, and the OpenAPI document's schemas are generated from those
//! types (`openapi`).

pub mod activities;
pub mod agreements;
pub mod auth;
pub mod emergencies;
pub mod matching;
pub mod members;
pub mod messages;
pub mod needs;
pub mod node;
pub mod offers;
pub mod openapi;
pub mod pairings;
pub mod participation;
pub mod reports;
pub mod services;
pub mod teams;

use actix_web::{HttpRequest, web};
use tongxin_schema::OrgId;
use tongxin_schema::token::Role;
use uuid::Uuid;

use super::error::ApiError;
use crate::state::SharedNode;

/// The node, as actix-web hands it to a handler.
pub type NodeData = web::Data<SharedNode>;

pub const ANY: &[Role] = &[Role::Admin, Role::Member, Role::Auditor];
pub const ADMIN: &[Role] = &[Role::Admin];

/// A UUID in a path: anything else names nothing here (404).
pub fn uuid_path(what: &str, s: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(s).map_err(|_| ApiError::not_found(format!("{what} {s:?}")))
}

/// An organisation id in a path.
pub fn org_path(s: &str) -> Result<OrgId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::not_found(format!("organisation {s:?}")))
}

/// Anything else under /api/v1 (an unknown path, or a method the path does not take): the
/// API's JSON error rather than an empty 404.
async fn no_route(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "no route {} {}",
        req.method(),
        req.path()
    )))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi::serve))
            .route("/auth/token", web::post().to(auth::token))
            .route("/node", web::get().to(node::node_info))
            .route("/orgs", web::get().to(node::orgs))
            .route("/offers", web::get().to(offers::list))
            .route("/offers", web::post().to(offers::create))
            .route("/offers/{id}/withdraw", web::post().to(offers::withdraw))
            .route("/needs", web::get().to(needs::list))
            .route("/needs", web::post().to(needs::create))
            .route("/needs/{org}/{id}/claims", web::post().to(needs::claim))
            .route("/needs/{id}/fulfil", web::post().to(needs::fulfil))
            .route("/needs/{id}/escalate", web::post().to(needs::escalate))
            .route(
                "/needs/{org}/{id}/matches",
                web::get().to(matching::for_need),
            )
            .route("/claims", web::get().to(needs::list_claims))
            .route(
                "/me/needs/{org}/{id}/claims",
                web::post().to(needs::claim_mine),
            )
            .route("/me/claims", web::get().to(needs::my_claims))
            .route(
                "/me/claims/{id}/done",
                web::post().to(needs::report_done_mine),
            )
            .route(
                "/claims/{claimant}/{id}/decision",
                web::post().to(needs::decide),
            )
            .route("/claims/{id}/done", web::post().to(needs::report_done))
            .route(
                "/claims/{claimant}/{id}/reopen",
                web::post().to(needs::reopen),
            )
            .route("/members", web::get().to(members::list))
            .route("/members", web::post().to(members::create))
            // Own resources, so that another method on them is a JSON 404 rather than a
            // match of /members/{id} with "import" or "export" for an id.
            .service(
                web::resource("/members/import")
                    .app_data(web::PayloadConfig::new(members::MAX_IMPORT_BYTES))
                    .route(web::post().to(members::import))
                    .default_service(web::to(no_route)),
            )
            .service(
                web::resource("/members/export")
                    .route(web::get().to(members::export))
                    .default_service(web::to(no_route)),
            )
            .route("/members/{id}", web::get().to(members::get))
            .route("/members/{id}", web::put().to(members::update))
            .route(
                "/members/{id}/password",
                web::post().to(members::set_password),
            )
            .route("/members/{id}/reports", web::post().to(reports::submit_for))
            .route("/me", web::get().to(members::me))
            .route("/me/password", web::post().to(members::change_password))
            .route("/me/reports", web::get().to(reports::mine))
            .route("/me/reports", web::post().to(reports::submit_mine))
            .route("/reports", web::get().to(reports::list))
            .route("/reports/stats", web::get().to(reports::stats))
            .route("/reports/{id}/withdraw", web::post().to(reports::withdraw))
            .route("/reports/{id}/receipt", web::get().to(reports::receipt))
            .route(
                "/reports/{home}/{id}/decision",
                web::post().to(reports::decide),
            )
            .route("/activities", web::get().to(activities::list))
            .route("/activities", web::post().to(activities::publish))
            .route(
                "/activities/{id}/cancel",
                web::post().to(activities::cancel),
            )
            .route(
                "/activities/{id}/signups",
                web::get().to(activities::signups_for),
            )
            .route(
                "/activities/{id}/attendance",
                web::post().to(activities::attendance),
            )
            .route("/activities/{id}/code", web::get().to(activities::code))
            .route(
                "/signups/{home}/{id}/placement",
                web::post().to(activities::place),
            )
            .route(
                "/signups/{home}/{id}/cancel",
                web::post().to(activities::cancel_signup),
            )
            .route("/me/signups", web::get().to(activities::my_signups))
            .route("/me/signups", web::post().to(activities::sign_up))
            .route(
                "/me/signups/{id}/confirm",
                web::post().to(activities::confirm),
            )
            .route(
                "/me/signups/{id}/cancel",
                web::post().to(activities::cancel_mine),
            )
            .route("/me/record", web::get().to(activities::my_record))
            .route("/me/services", web::get().to(services::mine))
            .route("/me/services", web::post().to(services::log_mine))
            .route(
                "/members/{id}/services",
                web::post().to(services::log_for_member),
            )
            .route("/services", web::get().to(services::received))
            .route(
                "/services/{home}/{id}/decision",
                web::post().to(services::decide),
            )
            .route(
                "/reports/{home}/{id}/feedback",
                web::post().to(services::send_feedback),
            )
            .route("/feedback", web::get().to(services::list))
            .route("/buildings", web::get().to(pairings::buildings))
            .route("/buildings", web::post().to(pairings::add_building))
            .route("/households", web::get().to(pairings::households))
            .route("/households", web::post().to(pairings::add_household))
            .route("/households/{id}/pairings", web::post().to(pairings::pair))
            .route(
                "/households/{id}/wishes",
                web::post().to(needs::record_wish),
            )
            .route("/pairings", web::get().to(pairings::list))
            .route("/pairings/{id}/end", web::post().to(pairings::end))
            .route("/me/pairings", web::get().to(pairings::mine))
            .route("/emergencies", web::get().to(emergencies::list))
            .route("/emergencies", web::post().to(emergencies::declare))
            .route(
                "/emergencies/{id}/close",
                web::post().to(emergencies::close),
            )
            .route("/emergency-calls", web::get().to(emergencies::list_calls))
            .route(
                "/emergency-calls/{declarer}/{id}/{member}/answer",
                web::post().to(emergencies::answer_for),
            )
            .route("/me/emergency-calls", web::get().to(emergencies::mine))
            .route(
                "/me/emergency-calls/{declarer}/{id}/answer",
                web::post().to(emergencies::answer_mine),
            )
            .route("/teams", web::get().to(teams::list))
            .route("/teams", web::post().to(teams::create))
            .route("/teams/{id}/members", web::post().to(teams::join))
            .route("/teams/{id}/members/remove", web::post().to(teams::leave))
            .route("/teams/{id}/invitations", web::post().to(teams::invite))
            .route("/invitations", web::get().to(teams::list_invitations))
            .route("/me/invitations", web::get().to(teams::mine))
            .route(
                "/me/invitations/{host}/{id}/accept",
                web::post().to(teams::accept),
            )
            .route(
                "/me/invitations/{host}/{id}/decline",
                web::post().to(teams::decline),
            )
            .route("/me/certificate", web::get().to(activities::my_certificate))
            .route(
                "/members/{id}/certificate",
                web::get().to(activities::certificate),
            )
            .route("/members/{id}/record", web::get().to(activities::record))
            .route("/members/{id}/signups", web::post().to(matching::propose))
            .route(
                "/activities/{host}/{id}/matches",
                web::get().to(matching::for_activity),
            )
            .route("/record/export", web::get().to(activities::export_record))
            .route("/agreements", web::get().to(agreements::list))
            .route("/agreements", web::post().to(agreements::propose))
            .route(
                "/agreements/{proposer}/{id}/decision",
                web::post().to(agreements::decide),
            )
            .route(
                "/agreements/{proposer}/{id}/document",
                web::get().to(agreements::document),
            )
            .route("/participation", web::get().to(participation::list))
            .route(
                "/participation/evidence/{jti}",
                web::get().to(participation::evidence),
            )
            .route(
                "/participation/requests",
                web::post().to(participation::request),
            )
            .route("/participation/proof", web::get().to(participation::proof))
            .route("/messages/rejected", web::get().to(messages::rejected))
            .route("/streams", web::get().to(messages::streams))
            .default_service(web::to(no_route)),
    )
    .route("/healthz", web::get().to(node::healthz))
    .route("/readyz", web::get().to(node::readyz))
    .route("/metrics", web::get().to(node::metrics));
}
