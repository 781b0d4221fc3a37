//! HTTP (actix-web): the JSON API under /api/v1 (`api/`, one file per feature), health and
//! metrics, the web UI at / (`ui/`). Handlers extract, call the domain, and map the error;
//! `auth` (tokens, roles, sign-in), `error` (the one error type), `extract` (JSON bodies) and
//! `limit` (the sign-in rate limit) are shared by both.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod limit;
pub mod ui;

use actix_web::{App, HttpServer, web};

use crate::state::SharedNode;

/// Binds the listener; the server runs when the returned future is awaited.
pub fn server(
    node: SharedNode,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::new(node);
    let sign_ins = web::Data::new(limit::SignInLimit::default());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(sign_ins.clone())
            // Also the web UI's forms (ui::Fields): 4,000 CJK characters are ~36 KB URL-encoded.
            .app_data(web::PayloadConfig::new(extract::MAX_BODY))
            .app_data(error::query_config())
            .app_data(error::path_config())
            .app_data(error::json_config())
            // The path without its query: queries carry member tokens (/signin/return) and
            // searches for a phone number (?q=), neither of which belongs in a log.
            .wrap(
                actix_web::middleware::Logger::new("%{method}xi %{path}xi %s %Dms")
                    .custom_request_replace("method", |r| r.method().to_string())
                    .custom_request_replace("path", |r| r.path().to_owned())
                    .log_target("tongxin::http"),
            )
            .configure(api::routes)
            .configure(ui::routes)
            .default_service(web::to(ui::no_page))
    })
    .workers(2)
    .shutdown_timeout(5)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
