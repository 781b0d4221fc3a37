//! Signing in with your home organisation (ARCHITECTURE.md, "Members across organisations";
//! PROTOCOL.md §4.7), both halves:
//!
//! - at the **host**, where the member wants to act: [`start`] makes a nonce for the home the
//!   member picked; [`finish`] takes the home's verified member token, uses the nonce once and
//!   opens a session; [`visitor`] finds that session again;
//! - at the **home**, where the member has their password: [`member_token`] signs who they are
//!   for that one host, with what they chose to share.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tongxin_schema::token::{MAX_MEMBER_TOKEN_SECS, MemberClaims};
use tongxin_schema::v1::taxonomy::Skill;
use tongxin_schema::v1::text::Text;
use tongxin_schema::{MemberRef, OrgId};
use uuid::Uuid;

use super::{ActionError, Actor, Invalid, json_list, members};
use crate::store::signins::{self as rows, Completion, SigninRow};
use crate::store::{AnyConnection, StoreResult};

/// How long a member token the home signs lives: long enough to come back over a slow phone
/// connection, well under the protocol's ten minutes.
pub const TOKEN_SECS: i64 = 300;

/// A sign-in not completed within this long is forgotten (the token it waits for lives at most
/// ten minutes, PROTOCOL.md §4.7).
pub const START_TTL_MS: i64 = (MAX_MEMBER_TOKEN_SECS + 300) * 1000;

/// 128 random bits, base64url: 22 characters (PROTOCOL.md §4.7 asks for at least 128 bits).
fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A page of this node to come back to: a local absolute path, so that a sign-in can never be
/// bent into a redirect to another site.
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 512
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    ok.then_some(next)
}

/// At the host: starts a sign-in for a member of `home`, returning the nonce to send them
/// there with. Old unfinished sign-ins and ended sessions are forgotten on the way.
pub fn start(
    conn: &mut AnyConnection,
    now_ms: i64,
    home: &OrgId,
    next: &str,
) -> StoreResult<String> {
    rows::purge(conn, now_ms - START_TTL_MS)?;
    let nonce = random_secret();
    rows::insert(
        conn,
        &SigninRow {
            nonce: nonce.clone(),
            home_org: home.to_string(),
            next_path: local_path(next).unwrap_or("/").to_owned(),
            started_ms: now_ms,
            member_ref: None,
            display_name: None,
            skills: None,
            session_sha256: None,
            signed_in_ms: None,
            expires_ms: None,
        },
    )?;
    Ok(nonce)
}

/// Why a verified token still does not sign anyone in here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSignedIn {
    /// No sign-in of this browser waits for a token (never started here, or forgotten).
    NotStarted,
    /// A token for this nonce was accepted before: a replay.
    NonceUsed,
    /// The token comes from another organisation than the one the member picked.
    OtherHome,
}

impl NotSignedIn {
    pub fn code(self) -> &'static str {
        match self {
            NotSignedIn::NotStarted => "not_started",
            NotSignedIn::NonceUsed => "nonce_used",
            NotSignedIn::OtherHome => "other_home",
        }
    }
}

/// A member of another organisation signed in here.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub member_ref: String,
    pub home: String,
    pub name: Option<String>,
    pub skills: Vec<Skill>,
    pub next_path: String,
}

impl From<SigninRow> for Visitor {
    fn from(r: SigninRow) -> Visitor {
        Visitor {
            member_ref: r.member_ref.unwrap_or_default(),
            home: r.home_org,
            name: r.display_name,
            skills: r
                .skills
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
            next_path: r.next_path,
        }
    }
}

/// At the host: completes the sign-in that `nonce` started with the member token's verified
/// claims (the caller verified it for this node and this nonce). Uses the nonce once, opens a
/// session of `session_secs`, and returns its secret (for the visitor's cookie) and the
/// visitor. Nothing is written when it refuses.
pub fn finish(
    conn: &mut AnyConnection,
    now_ms: i64,
    nonce: &str,
    claims: &MemberClaims,
    session_secs: i64,
) -> StoreResult<Result<(String, Visitor), NotSignedIn>> {
    let Some(row) = rows::find(conn, nonce)? else {
        return Ok(Err(NotSignedIn::NotStarted));
    };
    if row.signed_in_ms.is_some() {
        return Ok(Err(NotSignedIn::NonceUsed));
    }
    if row.started_ms < now_ms - START_TTL_MS {
        return Ok(Err(NotSignedIn::NotStarted));
    }
    if row.home_org != claims.iss.as_str() {
        return Ok(Err(NotSignedIn::OtherHome));
    }
    let secret = random_secret();
    let done = rows::complete(
        conn,
        nonce,
        &Completion {
            member_ref: &claims.sub.to_string(),
            display_name: claims.name.as_ref().map(|n| n.as_str()),
            skills: &json_list(&claims.skills),
            session_sha256: &sha256_hex(&secret),
            at_ms: now_ms,
            expires_ms: now_ms + session_secs * 1000,
        },
    )?;
    if !done {
        // Another request with the same token won the race.
        return Ok(Err(NotSignedIn::NonceUsed));
    }
    let row = rows::find(conn, nonce)?
        .ok_or_else(|| crate::store::StoreError::Corrupt(format!("sign-in {nonce} vanished")))?;
    Ok(Ok((secret, row.into())))
}

/// At the host: the visitor whose session secret is `secret`, if it is still open.
pub fn visitor(
    conn: &mut AnyConnection,
    now_ms: i64,
    secret: &str,
) -> StoreResult<Option<Visitor>> {
    Ok(rows::session(conn, &sha256_hex(secret), now_ms)?.map(Visitor::from))
}

/// What a member agreed to share with a host.
#[derive(Debug, Clone, Copy, Default)]
pub struct Share {
    pub name: bool,
    pub skills: bool,
}

/// At the home: signs a member token (PROTOCOL.md §4.7) that tells `host`, for the sign-in it
/// started with `nonce`, that this member signed in here, under their pairwise reference for
/// that host.
pub fn member_token(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    host: &OrgId,
    nonce: &str,
    share: Share,
) -> Result<String, ActionError> {
    let m = members::find(conn, member_id)?;
    check_host(actor, host)?;
    if !tongxin_schema::token::is_nonce(nonce) {
        return Err(Invalid::field("nonce", "is not a sign-in this node can answer").into());
    }
    let sub: MemberRef = members::mref(conn, actor.org(), host, member_id)?;
    let now = actor.now_ms.div_euclid(1000);
    let claims = MemberClaims {
        iss: actor.org().clone(),
        aud: host.clone(),
        sub,
        iat: now,
        exp: now + TOKEN_SECS,
        nonce: nonce.to_owned(),
        name: if share.name {
            Text::new(members::addressed_as(&m)).ok()
        } else {
            None
        },
        skills: if share.skills {
            let mut s: Vec<Skill> = serde_json::from_str(&m.skills).unwrap_or_default();
            s.truncate(tongxin_schema::v1::bodies::MAX_SKILLS);
            s
        } else {
            Vec::new()
        },
    };
    actor
        .signer
        .sign_member_token(&claims)
        .map_err(|e| Invalid::field("host", e.to_string()).into())
}

/// The organisation a member wants to sign in at: another one on the roster, with a web
/// address to send them back to. Returns that address.
pub fn check_host<'r>(actor: &Actor<'r>, host: &OrgId) -> Result<&'r str, Invalid> {
    if host == actor.org() {
        return Err(Invalid::field(
            "host",
            "this is your own organisation; sign in here directly",
        ));
    }
    let entry = actor
        .roster
        .org(host)
        .ok_or_else(|| Invalid::field("host", format!("{host} is not on the roster")))?;
    entry.base_url().ok_or_else(|| {
        Invalid::field(
            "host",
            format!("the roster gives no web address for {}", entry.name),
        )
    })
}
