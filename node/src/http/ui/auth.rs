//! Sign-in and sign-out: the same tokens as the API, kept in this node's HttpOnly cookie.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Base, Fields, NodeData, T, back, base, form_input, lang, page, redirect};
use crate::domain::signin::local_path;
use crate::http::api::auth::TokenRequest;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::limit::SignInLimit;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: T,
    base: Base,
    /// Where to go once signed in (a local path), e.g. back to a sign-in for another node.
    next: String,
}

pub async fn login_page(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (t, cookie) = lang(&req, &q);
    let (base, clear) = base(&req, &node, None);
    let next = q
        .get("next")
        .and_then(|n| local_path(n))
        .unwrap_or_default()
        .to_owned();
    page(LoginPage { t, base, next }, [cookie, clear])
}

pub async fn login(
    node: NodeData,
    req: HttpRequest,
    limit: web::Data<SignInLimit>,
    mut form: Fields,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let next = form
        .0
        .as_mut()
        .ok()
        .and_then(|f| f.remove("next"))
        .and_then(|v| v.into_iter().next())
        .filter(|n| local_path(n).is_some());
    let login_again = match &next {
        Some(n) => format!("/login?next={}", crate::http::ui::signin::encode(n)),
        None => "/login".to_owned(),
    };
    let login_again = login_again.as_str();
    if let Err(wait) = limit.attempt(&req) {
        let refused = ApiError {
            message: t.t("too_many_sign_ins").into_owned(),
            ..ApiError::too_many(wait)
        };
        return back(&node, login_again, Err(refused), t);
    }
    // Sign-in is not checked for origin: a forged sign-in needs this node's credentials and
    // changes nothing; every action form is checked (admin_action).
    let wrong = || ApiError::unauthorized(t.t("wrong_login"));
    // The API's own request type checks the fields once, before the database is asked: a
    // user name with a NUL or over 64 characters is just a wrong sign-in.
    let Ok(body) = form_input::<TokenRequest>(&form, &[], &[], &[]) else {
        return back(&node, login_again, Err(wrong()), t);
    };
    let (user, pw) = (body.username, body.password.to_string());
    let (username, role) = match auth::sign_in(&node, user, pw).await {
        Ok(Some(found)) => found,
        Ok(None) => return back(&node, login_again, Err(wrong()), t),
        Err(e) => return back(&node, login_again, Err(e), t),
    };
    match auth::issue(&node, &username, role) {
        Ok((token, _)) => {
            let cookie = Cookie::build(auth::cookie_name(&node), token)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .finish();
            // Back where the sign-in was asked for; else home, which sends members to their
            // own page and staff to what needs their attention.
            let mut r = redirect(match &next {
                Some(n) => n,
                None if role == tongxin_schema::token::Role::Member => "/me",
                None => "/",
            });
            let _ = r.add_cookie(&cookie);
            r
        }
        Err(e) => back(&node, login_again, Err(e), t),
    }
}

pub async fn logout(node: NodeData) -> HttpResponse {
    let mut r = redirect("/login");
    let mut c = Cookie::build(auth::cookie_name(&node), "")
        .path("/")
        .finish();
    c.make_removal();
    let _ = r.add_cookie(&c);
    r
}
