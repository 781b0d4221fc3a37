//! Bearer tokens for people (PROTOCOL.md §4.6): a JWS like a message, `typ` `tongxin-user+jwt`,
//! signed by the node that holds the account, verifiable by any node of the alliance.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};

use crate::envelope::{Signer, Verified, Verifier, VerifyError};
use crate::ids::OrgId;

pub const USER_TYP: &str = "tongxin-user+jwt";

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
        if token.len() > 8 * 1024 {
            return Err(VerifyError::TooLarge {
                size: token.len(),
                limit: 8 * 1024,
            });
        }
        let (header, sender) = self.check_header_and_signature(token, USER_TYP)?;
        debug_assert_eq!(header.alg, Algorithm::EdDSA);
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
