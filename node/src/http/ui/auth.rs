//! Sign-in and sign-out: the same tokens as the API, kept in this node's HttpOnly cookie.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Base, Node, T, back, base, lang, page, redirect};
use crate::http::auth;
use crate::http::error::ApiError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: T,
    base: Base,
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
