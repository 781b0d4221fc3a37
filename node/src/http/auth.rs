//! Bearer tokens: `POST /api/v1/auth/token` issues an EdDSA JWT signed with the node key;
//! every route states the roles it admits through the `Auth` extractor.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tongxin_schema::token::{Role, UserClaims};
use tongxin_schema::v1::text::Text;

use super::error::ApiError;
use crate::state::SharedNode;

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn check_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A user name as every sign-in route reads it: checked once, so a NUL or a 10 KB name never
/// reaches the database.
pub type Username = Text<1, 64>;

/// Checks a sign-in off the HTTP workers (argon2 is deliberately slow). An unknown user costs
/// the same as a wrong password, so timing does not tell which usernames exist.
pub async fn sign_in(
    node: &SharedNode,
    username: Username,
    password: String,
) -> Result<Option<(String, Role)>, ApiError> {
    let user = node
        .store
        .read(move |c| crate::store::users::find(c, username.as_str()))
        .await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = actix_web::web::block(move || match hash {
        Some(h) => check_password(&h, &password),
        None => {
            let _ = check_password(
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$9hBpGzeqjf6hXvnZ8Uj5Ig",
                &password,
            );
            false
        }
    })
    .await
    .unwrap_or(false);
    let user = user.filter(|u| ok && u.disabled_ms.is_none());
    // The database is the truth about which tokens still count: `tongxin user add` may have
    // enabled an account or reset its password while this node ran.
    if let Some(u) = &user {
        node.end_tokens(&u.username, u.tokens_after_ms.map(|t| t / 1000));
    }
    Ok(user.and_then(|u| u.role.parse().ok().map(|r| (u.username, r))))
}

/// The UI's cookie is named per node: nodes on one host (same site, other ports) must not
/// overwrite each other's sign-in.
pub fn cookie_name(node: &SharedNode) -> String {
    format!("tongxin_{}", node.cfg.org_id)
}

/// A caller whose token verified; `claims.iss` is this node unless said otherwise.
#[derive(Debug, Clone)]
pub struct Auth {
    pub claims: UserClaims,
}

impl Auth {
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.claims.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this needs the role {}",
                roles
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }
}

/// Reads the token from `Authorization: Bearer …` or, for the web UI, this node's cookie.
pub fn token_from(req: &HttpRequest, node: &SharedNode) -> Option<String> {
    if let Some(h) = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
    {
        return h.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    req.cookie(&cookie_name(node)).map(|c| c.value().to_owned())
}

pub fn authenticate(node: &SharedNode, token: &str) -> Result<Auth, ApiError> {
    let verified = node
        .verifier()
        .verify_user_token(token, node.clock.now_s())
        .map_err(|e| ApiError::unauthorized(format!("invalid token: {e}")))?;
    let claims = verified.into_value();
    // Tokens of other nodes are only for members (check-in at any community, a later issue).
    if claims.iss != node.cfg.org_id {
        return Err(ApiError::unauthorized(format!(
            "a token from {} is not valid here",
            claims.iss
        )));
    }
    if !node.token_current(&claims.sub, claims.iat) {
        return Err(ApiError::unauthorized(
            "this sign-in has ended (the password was changed or the account disabled): sign in again",
        ));
    }
    Ok(Auth { claims })
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Auth, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(node) = req.app_data::<web::Data<SharedNode>>() else {
            return ready(Err(ApiError::unauthorized("no node")));
        };
        ready(match token_from(req, node.get_ref()) {
            None => Err(ApiError::unauthorized(
                "sign in: send Authorization: Bearer <token>",
            )),
            Some(t) => authenticate(node.get_ref(), &t),
        })
    }
}

/// Issues a token for a user of this node.
pub fn issue(node: &SharedNode, username: &str, role: Role) -> Result<(String, i64), ApiError> {
    let now = node.clock.now_s();
    let exp = now + node.cfg.http.token_ttl_secs;
    let claims = UserClaims {
        iss: node.cfg.org_id.clone(),
        sub: username.to_owned(),
        role,
        iat: now,
        exp,
    };
    let token = node.signer.sign_user_token(&claims).map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })?;
    Ok((token, exp))
}
