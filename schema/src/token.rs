//! Tokens for people, JWS like messages, signed by a node's key:
//!
//! - user bearer tokens (PROTOCOL.md §4.6), `typ` `tongxin-user+jwt`, signed by the node that
//!   holds the account, verifiable by any node of the alliance;
//! - member tokens (PROTOCOL.md §4.7), `typ` `tongxin-member+jwt`: a member's home vouches for
//!   them to one host, for one sign-in (the host's `nonce`), for minutes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Header;
use serde::{Deserialize, Serialize};

use crate::envelope::{Signer, Verified, Verifier, VerifyError};
use crate::ids::{MemberRef, OrgId};
use crate::v1::bodies::MAX_SKILLS;
use crate::v1::taxonomy::Skill;
use crate::v1::text::Text;

pub const USER_TYP: &str = "tongxin-user+jwt";
/// The JOSE `typ` of a member token (PROTOCOL.md §4.7).
pub const MEMBER_TYP: &str = "tongxin-member+jwt";
/// Largest user or member token, in bytes.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Longest lifetime (`exp` − `iat`) of a member token, in seconds.
pub const MAX_MEMBER_TOKEN_SECS: i64 = 600;
/// Shortest and longest `nonce` of a member token, in characters.
pub const MEMBER_NONCE_LEN: std::ops::RangeInclusive<usize> = 16..=128;

/// What a person may do on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Organisation staff: publish, claim, decide, administer.
    Admin,
    /// An in-service party member.
    Member,
    /// The organisation department's reviewers: read-only, aggregates.
    Auditor,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "auditor" => Ok(Role::Auditor),
            _ => Err(format!(
                "unknown role {s:?}; expected admin, member or auditor"
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Auditor => "auditor",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserClaims {
    /// The node (organisation) that holds the account.
    pub iss: OrgId,
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

impl Signer {
    pub fn sign_user_token(
        &self,
        claims: &UserClaims,
    ) -> Result<String, crate::envelope::SignError> {
        let mut header: Header = self.header().clone();
        header.typ = Some(USER_TYP.to_owned());
        self.sign_raw_claims(
            Some(&header),
            &serde_json::to_value(claims).map_err(|e| crate::envelope::SignError(e.to_string()))?,
        )
    }
}

impl Verifier {
    /// Verifies a user token at `now`: signature, certificate chain, revocation, roster,
    /// `iss` equal to the certificate's organisation, and `iat <= now < exp`.
    pub fn verify_user_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Verified<UserClaims>, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge {
                size: token.len(),
                limit: MAX_TOKEN_BYTES,
            });
        }
        let sender = self.check_header_and_signature(token, USER_TYP)?;
        let payload = token.split('.').nth(1).unwrap_or_default();
        let claims: UserClaims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .filter(|p| crate::objects::is_object(p))
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(|| VerifyError::Claims("not user token claims".into()))?;
        if claims.iss != sender.info().org_id {
            return Err(VerifyError::IssuerMismatch {
                iss: claims.iss.to_string(),
                certificate: sender.info().org_id.to_string(),
            });
        }
        if now >= claims.exp || claims.iat > now + crate::envelope::MAX_CLOCK_SKEW_SECS {
            return Err(VerifyError::CertificateExpired {
                at: now,
                not_before: claims.iat,
                not_after: claims.exp,
            });
        }
        if let Some(roster) = self.roster()
            && roster.org(&claims.iss).is_none()
        {
            return Err(VerifyError::NotOnRoster {
                org: claims.iss.to_string(),
            });
        }
        Ok(Verified::new(claims, sender, token.to_owned()))
    }
}

/// The claims of a member token (PROTOCOL.md §4.7): the home organisation `iss` vouches to the
/// host `aud` that the member it knows as `sub` signed in, for the sign-in the host started
/// with `nonce`, and shares `name` and `skills` with the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberClaims {
    /// The member's home organisation; the token's signer.
    pub iss: OrgId,
    /// The host: the one organisation the token is for.
    pub aud: OrgId,
    /// The member, as the host knows them (pairwise, PROTOCOL.md §2.3); its home is `iss`.
    pub sub: MemberRef,
    pub iat: i64,
    /// At most [`MAX_MEMBER_TOKEN_SECS`] after `iat`.
    pub exp: i64,
    /// Chosen by the host when it sent the member to sign in; 16–128 of `[A-Za-z0-9_-]`.
    pub nonce: String,
    /// The display name the member shares with the host.
    pub name: Option<Text<1, 64>>,
    /// The skills the member shares with the host; at most 12.
    #[serde(default)]
    pub skills: Vec<Skill>,
}

impl MemberClaims {
    /// The limits of the claims themselves (PROTOCOL.md §4.7, step 3): `aud` other than `iss`,
    /// the `nonce`'s form, at most 12 skills.
    fn check(&self) -> Result<(), String> {
        if self.aud == self.iss {
            return Err(format!(
                "aud {} is the issuer itself; a member token is for another organisation",
                self.aud
            ));
        }
        if !is_nonce(&self.nonce) {
            return Err(format!(
                "nonce must be {} to {} characters of A-Z a-z 0-9 _ -",
                MEMBER_NONCE_LEN.start(),
                MEMBER_NONCE_LEN.end()
            ));
        }
        if self.skills.len() > MAX_SKILLS {
            return Err(format!(
                "skills has {} entries; at most {MAX_SKILLS} are allowed",
                self.skills.len()
            ));
        }
        Ok(())
    }

    /// `0 < exp − iat ≤ 600` (step 9), computed without overflow.
    fn check_lifetime(&self) -> Result<(), String> {
        let life = i128::from(self.exp) - i128::from(self.iat);
        if !(1..=i128::from(MAX_MEMBER_TOKEN_SECS)).contains(&life) {
            return Err(format!(
                "exp - iat is {life} s; a member token lives 1 to {MAX_MEMBER_TOKEN_SECS} s"
            ));
        }
        Ok(())
    }
}

/// Whether `s` has the form of a member token `nonce`: 16–128 characters of `[A-Za-z0-9_-]`.
pub fn is_nonce(s: &str) -> bool {
    MEMBER_NONCE_LEN.contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Signer {
    /// Signs a member token (PROTOCOL.md §4.7). Refuses claims every host would refuse: `iss`
    /// other than this signer, `sub` of another home, `aud` = `iss`, a bad `nonce`, more than 12
    /// skills, or a lifetime outside 1–600 s.
    pub fn sign_member_token(
        &self,
        claims: &MemberClaims,
    ) -> Result<String, crate::envelope::SignError> {
        let refuse = |e: String| crate::envelope::SignError(format!("member token: {e}"));
        if &claims.iss != self.org_id() {
            return Err(refuse(format!(
                "iss {} is not this signer's organisation {}",
                claims.iss,
                self.org_id()
            )));
        }
        if claims.sub.home() != &claims.iss {
            return Err(refuse(format!(
                "sub {} is not a member of {}",
                claims.sub, claims.iss
            )));
        }
        claims.check().map_err(refuse)?;
        claims.check_lifetime().map_err(refuse)?;
        let mut header: Header = self.header().clone();
        header.typ = Some(MEMBER_TYP.to_owned());
        let token = self.sign_raw_claims(
            Some(&header),
            &serde_json::to_value(claims).map_err(|e| refuse(e.to_string()))?,
        )?;
        if token.len() > MAX_TOKEN_BYTES {
            return Err(refuse(format!(
                "{} bytes; the limit is {MAX_TOKEN_BYTES}",
                token.len()
            )));
        }
        Ok(token)
    }
}

impl Verifier {
    /// Verifies a member token at `now` for the host `host`, which started the sign-in with
    /// `nonce` (PROTOCOL.md §4.7, in this order): size; header, certificate chain, revocation and
    /// signature as for messages but with `typ` `tongxin-member+jwt`; the claims; `iss` is the
    /// certificate's organisation and (with a roster) on the roster with the certificate's kind;
    /// `aud` is `host` (`wrong_audience`); `sub`'s home is `iss` (`subject_mismatch`); the time
    /// window; the lifetime; the nonce (`nonce_mismatch`).
    ///
    /// It does not remember nonces: refusing a token whose nonce was already used is the host's
    /// business (it must accept each nonce once).
    pub fn verify_member_token(
        &self,
        token: &str,
        now: i64,
        host: &OrgId,
        nonce: &str,
    ) -> Result<Verified<MemberClaims>, VerifyError> {
        // 1
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge {
                size: token.len(),
                limit: MAX_TOKEN_BYTES,
            });
        }
        // 2
        let sender = self.check_header_and_signature(token, MEMBER_TYP)?;
        // 3
        let claims: MemberClaims = claims_of(token)?;
        claims.check().map_err(VerifyError::Claims)?;
        // 4, 5
        let info = sender.info();
        self.check_issuer(&claims.iss, info)?;
        // 6
        if &claims.aud != host {
            return Err(VerifyError::WrongAudience {
                aud: claims.aud.to_string(),
                host: host.to_string(),
            });
        }
        // 7
        if claims.sub.home() != &claims.iss {
            return Err(VerifyError::SubjectMismatch {
                sub: claims.sub.to_string(),
                iss: claims.iss.to_string(),
            });
        }
        // 8: the token is current, and the certificate was valid when it was signed.
        if now >= claims.exp
            || claims.iat > now + crate::envelope::MAX_CLOCK_SKEW_SECS
            || claims.iat < info.not_before
            || claims.iat > info.not_after
        {
            return Err(VerifyError::CertificateExpired {
                at: now,
                not_before: claims.iat.max(info.not_before),
                not_after: claims.exp.min(info.not_after),
            });
        }
        // 9
        claims.check_lifetime().map_err(VerifyError::Claims)?;
        // 10
        if claims.nonce != nonce {
            return Err(VerifyError::NonceMismatch);
        }
        Ok(Verified::new(claims, sender, token.to_owned()))
    }
}

/// The claims of a signed token or document as `T`: its payload is base64url of a JSON object
/// (PROTOCOL.md §4.7 step 3, §4.9); anything else is `claims`.
pub(crate) fn claims_of<T: serde::de::DeserializeOwned>(jws: &str) -> Result<T, VerifyError> {
    let payload = jws.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| VerifyError::Claims("payload is not base64url".into()))?;
    if !crate::objects::is_object(&bytes) {
        return Err(VerifyError::Claims(
            "the claims are not a JSON object".into(),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| VerifyError::Claims(e.to_string()))
}

impl Verifier {
    /// `iss` is the signing certificate's organisation (`issuer_mismatch`) and, with a roster,
    /// on it with the certificate's kind (`not_on_roster`, `roster_kind_mismatch`).
    pub(crate) fn check_issuer(
        &self,
        iss: &OrgId,
        info: &crate::pki::CertInfo,
    ) -> Result<(), VerifyError> {
        if iss != &info.org_id {
            return Err(VerifyError::IssuerMismatch {
                iss: iss.to_string(),
                certificate: info.org_id.to_string(),
            });
        }
        if let Some(roster) = self.roster() {
            let Some(entry) = roster.org(iss) else {
                return Err(VerifyError::NotOnRoster {
                    org: iss.to_string(),
                });
            };
            if entry.kind != info.kind {
                return Err(VerifyError::RosterKindMismatch {
                    org: iss.to_string(),
                    certificate: info.kind,
                    roster: entry.kind,
                });
            }
        }
        Ok(())
    }
}
