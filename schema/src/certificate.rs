//! Service certificates (服务时长证明, PROTOCOL.md §4.9): a member's home vouches for the
//! service credited to them, in a compact JWS small enough for a printed QR code, which anyone
//! can check against the alliance root (`tongxin verify`, or any JOSE library with the `x5c`
//! chain).

use jsonwebtoken::Header;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{MAX_CLOCK_SKEW_SECS, SignError, Signer, Verified, Verifier, VerifyError};
use crate::ids::OrgId;
use crate::v1::text::Text;

/// The JOSE `typ` of a service certificate.
pub const CERTIFICATE_TYP: &str = "tongxin-certificate+jwt";
/// Largest certificate, in bytes: what a QR code holds (version 40, level L, 2,953 bytes).
pub const MAX_CERTIFICATE_BYTES: usize = 2_900;
/// Most hosts a certificate lists; the rest are summed in `minutes` only.
pub const MAX_CERTIFICATE_HOSTS: usize = 8;

/// The minutes one host attested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostMinutes {
    pub org: OrgId,
    pub minutes: u64,
}

/// The claims of a service certificate (PROTOCOL.md §4.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateClaims {
    /// The member's home organisation; the certificate's signer.
    pub iss: OrgId,
    /// This certificate (UUID v7).
    pub jti: Uuid,
    pub iat: i64,
    /// The member's name, as the home knows it.
    pub name: Text<1, 64>,
    /// The period covered, Unix seconds: check-ins from `from` (inclusive) to `to` (exclusive).
    pub from: i64,
    pub to: i64,
    /// Service minutes credited in the period (corrections applied).
    pub minutes: u64,
    /// How many attested entries they come from.
    pub entries: u64,
    /// The hosts that attested most, most minutes first; at most 8.
    pub hosts: Vec<HostMinutes>,
}

impl CertificateClaims {
    fn check(&self) -> Result<(), String> {
        if self.from >= self.to {
            return Err(format!(
                "the period is empty: from {} is not before to {}",
                self.from, self.to
            ));
        }
        if self.to > self.iat.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return Err(format!(
                "the period ends at {}, after the certificate was issued ({})",
                self.to, self.iat
            ));
        }
        if self.hosts.len() > MAX_CERTIFICATE_HOSTS {
            return Err(format!(
                "hosts has {} entries; at most {MAX_CERTIFICATE_HOSTS}",
                self.hosts.len()
            ));
        }
        let listed = self
            .hosts
            .iter()
            .try_fold(0u64, |sum, h| sum.checked_add(h.minutes));
        if listed.is_none_or(|l| l > self.minutes) {
            return Err(format!(
                "the hosts' minutes exceed the total ({})",
                self.minutes
            ));
        }
        Ok(())
    }
}

impl Signer {
    /// Signs a service certificate; refuses claims every verifier would refuse, and one too
    /// large for a QR code.
    pub fn sign_certificate(&self, claims: &CertificateClaims) -> Result<String, SignError> {
        let refuse = |e: String| SignError(format!("service certificate: {e}"));
        if &claims.iss != self.org_id() {
            return Err(refuse(format!(
                "iss {} is not this signer's organisation {}",
                claims.iss,
                self.org_id()
            )));
        }
        claims.check().map_err(refuse)?;
        let mut header: Header = self.header().clone();
        header.typ = Some(CERTIFICATE_TYP.to_owned());
        let jws = self.sign_raw_claims(
            Some(&header),
            &serde_json::to_value(claims).map_err(|e| refuse(e.to_string()))?,
        )?;
        if jws.len() > MAX_CERTIFICATE_BYTES {
            return Err(refuse(format!(
                "{} bytes; a QR code holds {MAX_CERTIFICATE_BYTES}",
                jws.len()
            )));
        }
        Ok(jws)
    }
}

impl Verifier {
    /// Verifies a service certificate at `now` (PROTOCOL.md §4.9, in this order): size; header,
    /// certificate chain, revocation and signature as for messages but with `typ`
    /// `tongxin-certificate+jwt`; the claims; `iss` is the node certificate's organisation and
    /// (with a roster) on the roster with its kind; issued no later than `now` (plus the clock
    /// skew, `from_the_future`) while the node certificate was valid (`certificate_expired`).
    pub fn verify_certificate(
        &self,
        jws: &str,
        now: i64,
    ) -> Result<Verified<CertificateClaims>, VerifyError> {
        if jws.len() > MAX_CERTIFICATE_BYTES {
            return Err(VerifyError::TooLarge {
                size: jws.len(),
                limit: MAX_CERTIFICATE_BYTES,
            });
        }
        let sender = self.check_header_and_signature(jws, CERTIFICATE_TYP)?;
        let claims: CertificateClaims = crate::token::claims_of(jws)?;
        claims.check().map_err(VerifyError::Claims)?;
        self.check_signed_document(&claims.iss, claims.iat, sender.info(), now)?;
        Ok(Verified::new(claims, sender, jws.to_owned()))
    }

    /// What a signed document (a certificate, an archive manifest) must meet past its
    /// signature: `iss` is the certificate's organisation (and on the roster, with one), it was
    /// signed no later than `now` (plus the clock skew), while the node certificate was valid.
    pub(crate) fn check_signed_document(
        &self,
        iss: &OrgId,
        iat: i64,
        info: &crate::pki::CertInfo,
        now: i64,
    ) -> Result<(), VerifyError> {
        self.check_issuer(iss, info)?;
        if iat > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return Err(VerifyError::FromTheFuture { iat, now });
        }
        if iat < info.not_before || iat > info.not_after {
            return Err(VerifyError::CertificateExpired {
                at: iat,
                not_before: info.not_before,
                not_after: info.not_after,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::vectors::TestAlliance;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn claims(t: &TestAlliance, hosts: usize) -> CertificateClaims {
        let home = t.node("loue-jia");
        CertificateClaims {
            iss: home.org_id.clone(),
            jti: Uuid::now_v7(),
            iat: t.now,
            name: Text::new("张建国").unwrap(),
            from: t.now - 365 * 86_400,
            to: t.now,
            minutes: 1_000_000,
            entries: 412,
            hosts: (0..hosts)
                .map(|_| HostMinutes {
                    org: t.node("youyi-nanli").org_id.clone(),
                    minutes: 100_000,
                })
                .collect(),
        }
    }

    #[test]
    fn a_full_certificate_fits_a_qr_code_and_verifies_against_the_root() {
        let t = TestAlliance::new(1_790_000_000).unwrap();
        let c = claims(&t, MAX_CERTIFICATE_HOSTS);
        let jws = t.node("loue-jia").signer.sign_certificate(&c).unwrap();
        assert!(jws.len() <= MAX_CERTIFICATE_BYTES, "{} bytes", jws.len());
        let v = t.verifier().unwrap();
        assert_eq!(
            v.verify_certificate(&jws, t.now + 86_400).unwrap().value(),
            &c
        );
        // Only the root, no roster or CRL: still checkable.
        let bare = Verifier::new(t.root.clone());
        assert!(bare.verify_certificate(&jws, t.now).is_ok());
    }

    #[test]
    fn forged_or_foreign_certificates_are_refused() {
        let t = TestAlliance::new(1_790_000_000).unwrap();
        let home = &t.node("loue-jia").signer;
        let v = t.verifier().unwrap();
        let jws = home.sign_certificate(&claims(&t, 1)).unwrap();
        // More minutes written into the payload after signing.
        let parts: Vec<&str> = jws.split('.').collect();
        let mut forged: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        forged["minutes"] = serde_json::json!(9_000_000);
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap()),
            parts[2]
        );
        assert_eq!(
            v.verify_certificate(&forged, t.now).unwrap_err().code(),
            "bad_signature"
        );
        // A message or a member token is not a certificate.
        let user = home
            .sign_user_token(&crate::token::UserClaims {
                iss: home.org_id().clone(),
                sub: "x".into(),
                role: crate::token::Role::Member,
                iat: t.now,
                exp: t.now + 60,
            })
            .unwrap();
        assert_eq!(
            v.verify_certificate(&user, t.now).unwrap_err().code(),
            "wrong_type"
        );
        // Signed by a key from outside the alliance.
        let foreign = t.foreign.signer.sign_certificate(&CertificateClaims {
            iss: t.foreign.org_id.clone(),
            ..claims(&t, 1)
        });
        assert!(
            v.verify_certificate(&foreign.unwrap(), t.now).is_err(),
            "a foreign root's certificate"
        );
        // Issued in the future.
        let early = home
            .sign_certificate(&CertificateClaims {
                iat: t.now + 3600,
                to: t.now + 3600,
                ..claims(&t, 1)
            })
            .unwrap();
        assert_eq!(
            v.verify_certificate(&early, t.now).unwrap_err().code(),
            "from_the_future"
        );
    }

    #[test]
    fn claims_that_do_not_add_up_are_not_signed() {
        let t = TestAlliance::new(1_790_000_000).unwrap();
        let home = &t.node("loue-jia").signer;
        let mut c = claims(&t, 1);
        c.minutes = 10;
        assert!(home.sign_certificate(&c).is_err(), "hosts exceed total");
        let mut c = claims(&t, 1);
        c.from = c.to;
        assert!(home.sign_certificate(&c).is_err(), "empty period");
        let mut c = claims(&t, 1);
        c.iss = t.node("youyi-nanli").org_id.clone();
        assert!(home.sign_certificate(&c).is_err(), "another issuer");
    }
}
