//! Daily archives (PROTOCOL.md §4.10): a node's record of the messages it sent and received in
//! one day, each line the original JWS, behind a manifest the node signs, so that an auditor can
//! check a whole day offline against the alliance root (`tongxin verify --archive`) long after
//! the node has pruned it.

use jsonwebtoken::Header;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{MAX_CLOCK_SKEW_SECS, SignError, Signer, Verified, Verifier, VerifyError};
use crate::ids::OrgId;

/// The JOSE `typ` of an archive manifest.
pub const ARCHIVE_TYP: &str = "tongxin-archive+jwt";

/// The claims of an archive manifest (PROTOCOL.md §4.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveManifest {
    /// The node that kept these messages and signs the manifest.
    pub iss: OrgId,
    pub jti: Uuid,
    pub iat: i64,
    /// The day, Beijing time: `2026-12-03`.
    pub day: String,
    /// The day's bounds, Unix milliseconds, `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Lines 2 to `sent + 1`: the messages the node numbered that day, by stream and sequence.
    pub sent: u64,
    /// The next `received` lines: the messages it applied that day, in the order applied.
    pub received: u64,
    /// SHA-256 (lower-case hex) of every line after the manifest, each ending in `\n`.
    pub sha256: String,
}

impl ArchiveManifest {
    fn check(&self) -> Result<(), String> {
        if self.from_ms >= self.to_ms {
            return Err(format!(
                "the day is empty: from_ms {} is not before to_ms {}",
                self.from_ms, self.to_ms
            ));
        }
        if self.to_ms / 1000 > self.iat.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return Err(format!(
                "the day ends at {} ms, after the manifest was signed ({} s)",
                self.to_ms, self.iat
            ));
        }
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err("sha256 is not 64 lower-case hex digits".into());
        }
        Ok(())
    }
}

impl Signer {
    /// Signs the manifest of one day's archive.
    pub fn sign_archive_manifest(&self, m: &ArchiveManifest) -> Result<String, SignError> {
        let refuse = |e: String| SignError(format!("archive manifest: {e}"));
        if &m.iss != self.org_id() {
            return Err(refuse(format!(
                "iss {} is not this signer's organisation {}",
                m.iss,
                self.org_id()
            )));
        }
        m.check().map_err(refuse)?;
        let mut header: Header = self.header().clone();
        header.typ = Some(ARCHIVE_TYP.to_owned());
        self.sign_raw_claims(
            Some(&header),
            &serde_json::to_value(m).map_err(|e| refuse(e.to_string()))?,
        )
    }
}

impl Verifier {
    /// Verifies an archive manifest at `now`: steps 2–15 of §7.7 with `typ`
    /// `tongxin-archive+jwt`, the claims, `iss` is the certificate's organisation, signed no
    /// later than `now` (plus the clock skew) while the node certificate was valid.
    pub fn verify_archive_manifest(
        &self,
        jws: &str,
        now: i64,
    ) -> Result<Verified<ArchiveManifest>, VerifyError> {
        let sender = self.check_header_and_signature(jws, ARCHIVE_TYP)?;
        let m: ArchiveManifest = crate::token::claims_of(jws)?;
        m.check().map_err(VerifyError::Claims)?;
        self.check_signed_document(&m.iss, m.iat, sender.info(), now)?;
        Ok(Verified::new(m, sender, jws.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::vectors::TestAlliance;

    fn manifest(t: &TestAlliance) -> ArchiveManifest {
        ArchiveManifest {
            iss: t.node("youyi-nanli").org_id.clone(),
            jti: Uuid::now_v7(),
            iat: t.now,
            day: "2026-12-03".into(),
            from_ms: (t.now - 86_400) * 1000,
            to_ms: t.now * 1000,
            sent: 3,
            received: 5,
            sha256: "ab".repeat(32),
        }
    }

    #[test]
    fn a_manifest_verifies_against_the_root_and_only_as_a_manifest() {
        let t = TestAlliance::new(1_790_000_000).unwrap();
        let m = manifest(&t);
        let jws = t
            .node("youyi-nanli")
            .signer
            .sign_archive_manifest(&m)
            .unwrap();
        let bare = Verifier::new(t.root.clone());
        assert_eq!(
            bare.verify_archive_manifest(&jws, t.now + 10 * 365 * 86_400)
                .unwrap()
                .value(),
            &m
        );
        // Neither a message nor a certificate, nor they a manifest.
        assert_eq!(bare.verify(&jws, t.now).unwrap_err().code(), "wrong_type");
        assert_eq!(
            bare.verify_certificate(&jws, t.now).unwrap_err().code(),
            "wrong_type"
        );
    }

    #[test]
    fn a_manifest_for_another_node_or_with_a_bad_hash_is_refused() {
        let t = TestAlliance::new(1_790_000_000).unwrap();
        let signer = &t.node("loue-jia").signer;
        assert!(signer.sign_archive_manifest(&manifest(&t)).is_err());
        let mut m = manifest(&t);
        m.iss = t.node("loue-jia").org_id.clone();
        m.sha256 = "AB".repeat(32);
        assert!(signer.sign_archive_manifest(&m).is_err());
    }
}
