//! Staff accounts in the UI (用户管理): an administrator adds colleagues (administrators and
//! auditors), resets their passwords and disables or enables their accounts; everyone changes
//! their own password (我的账号). Members' sign-ins are given on the members page.
//! A password reset or a disable ends the sessions that account had (`Node::end_tokens`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::{
    Base, Form, NodeData, T, admin_action, admin_action_keeping, back, base, keep, lang, page,
    refuse, same_origin, signed_in, to_login,
};
use crate::http::api::members::new_password_hash;
use crate::http::error::ApiError;
use crate::state::SharedNode;
use crate::store::users::{self, UserRow};

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: T,
    base: Base,
    items: Vec<UserRow>,
    me: String,
}

impl UsersPage {
    fn day(&self, ms: &i64) -> String {
        super::agreements::day(ms / 1000)
    }
    fn role_name(&self, role: &str) -> String {
        self.t.t(&format!("role-{role}")).into_owned()
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: T,
    base: Base,
}

pub async fn list(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    if a.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    match node.store.read(users::list).await {
        Ok(items) => page(
            UsersPage {
                t,
                base,
                items,
                me: a.claims.sub,
            },
            [cookie, clear],
        ),
        Err(e) => back(&node, "/", Err(e.into()), t),
    }
}

/// One form field's single value, or empty.
fn field(form: &Form, name: &str) -> String {
    form.0
        .as_ref()
        .ok()
        .and_then(|f| f.get(name))
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default()
}

/// The new password, typed twice the same, hashed.
async fn new_password(t: T, form: &Form) -> Result<String, ApiError> {
    let (password, again) = (field(form, "password"), field(form, "password2"));
    if password != again {
        return Err(ApiError::invalid(
            "password2",
            t.t("users-password_mismatch"),
        ));
    }
    new_password_hash(password).await
}

pub async fn add(req: HttpRequest, node: NodeData, form: Form) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let kept = keep(&form);
    admin_action_keeping(req, node, "/users", kept, |n| async move {
        let username = field(&form, "username").trim().to_owned();
        // Letters, digits and . _ - @, starting with a letter or digit: the name is part of
        // the account's addresses here (/users/NAME/…).
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_@".contains(c);
        if !(1..=64).contains(&username.chars().count())
            || !username.chars().all(allowed)
            || !username.starts_with(|c: char| c.is_ascii_alphanumeric())
        {
            return Err(ApiError::invalid("username", t.t("users-name_rule")));
        }
        let role = match field(&form, "role").as_str() {
            "admin" => Role::Admin,
            "auditor" => Role::Auditor,
            _ => return Err(ApiError::invalid("role", t.t("users-role_rule"))),
        };
        let hash = new_password(t, &form).await?;
        let now = n.clock.now_ms();
        let taken = t.t("users-name_taken").into_owned();
        n.store
            .write(move |c| {
                if users::find(c, &username)?.is_some() {
                    return Ok(Err(ApiError::invalid("username", taken)));
                }
                users::put(c, &username, &hash, &role.to_string(), now)?;
                Ok(Ok(()))
            })
            .await?
    })
    .await
}

/// The account named in the path, if it is a staff account (members' sign-ins are managed on
/// the members page).
async fn staff_account(n: &SharedNode, t: T, name: String) -> Result<UserRow, ApiError> {
    let found = n.store.read(move |c| users::find(c, &name)).await?;
    match found {
        Some(u) if u.role != "member" => Ok(u),
        Some(_) => Err(ApiError::invalid("username", t.t("users-member_account"))),
        None => Err(ApiError::not_found(t.t("not_found"))),
    }
}

pub async fn reset_password(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    admin_action(req, node, "/users", |n| async move {
        let u = staff_account(&n, t, path.into_inner()).await?;
        let hash = new_password(t, &form).await?;
        let now = n.clock.now_ms();
        let name = u.username.clone();
        n.store
            .write(move |c| users::set_password(c, &name, &hash, now))
            .await?;
        n.end_tokens(&u.username, Some(now / 1000));
        Ok(())
    })
    .await
}

pub async fn disable(req: HttpRequest, node: NodeData, path: web::Path<String>) -> HttpResponse {
    set_disabled(req, node, path.into_inner(), true).await
}

pub async fn enable(req: HttpRequest, node: NodeData, path: web::Path<String>) -> HttpResponse {
    set_disabled(req, node, path.into_inner(), false).await
}

async fn set_disabled(req: HttpRequest, node: NodeData, name: String, off: bool) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let me = signed_in(&req, &node).map(|a| a.claims.sub);
    admin_action(req, node, "/users", |n| async move {
        if off && me.as_deref() == Some(name.as_str()) {
            return Err(ApiError::invalid("username", t.t("users-not_yourself")));
        }
        let u = staff_account(&n, t, name).await?;
        let now = n.clock.now_ms();
        let (name, at) = (u.username.clone(), off.then_some(now));
        n.store
            .write(move |c| users::set_disabled(c, &name, at))
            .await?;
        if off {
            n.end_tokens(&u.username, Some(i64::MAX));
        } else {
            // Sessions ended by the disable stay ended.
            n.end_tokens(&u.username, Some(now / 1000));
        }
        Ok(())
    })
    .await
}

pub async fn account(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    page(AccountPage { t, base }, [cookie, clear])
}

/// A staff member changes their own password: the current one must sign in first; then every
/// session of the account ends, this one too, and they sign in with the new one.
pub async fn change_own(
    req: HttpRequest,
    node: NodeData,
    limit: web::Data<crate::http::limit::SignInLimit>,
    form: Form,
) -> HttpResponse {
    let (t, _) = lang(&req, &HashMap::new());
    let Some(a) = signed_in(&req, &node) else {
        return to_login(&req);
    };
    let result = async {
        if !same_origin(&req) {
            return Err(ApiError::forbidden("cross-site request refused"));
        }
        if let Err(wait) = limit.attempt(&req) {
            return Err(ApiError {
                message: t.t("too_many_sign_ins").into_owned(),
                ..ApiError::too_many(wait)
            });
        }
        let name = crate::http::auth::Username::try_from(a.claims.sub.clone())
            .map_err(|e| ApiError::invalid("username", e))?;
        let current = field(&form, "current");
        if crate::http::auth::sign_in(&node, name, current)
            .await?
            .is_none()
        {
            return Err(ApiError::invalid("current", t.t("err-password_wrong")));
        }
        let hash = new_password(t, &form).await?;
        let now = node.clock.now_ms();
        let user = a.claims.sub.clone();
        node.store
            .write(move |c| users::set_password(c, &user, &hash, now))
            .await?;
        // Every token issued so far ends, this session's too.
        node.end_tokens(&a.claims.sub, Some(now / 1000));
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            let mut r = super::auth::logout(node.clone()).await;
            super::flash::set(
                &mut r,
                &node,
                &[super::flash::Flash::new(
                    super::flash::Level::Notice,
                    &t.t("account-password_changed"),
                )],
            );
            r
        }
        Err(e) => back(&node, "/account", Err(e), t),
    }
}
