//! The alliance roster (PROTOCOL.md §4.5): the list of member organisations, signed by the root
//! CA key itself, so that not even the node that broadcasts it can alter it.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, OrgKind};
use crate::pki::{self, PkiError, Root};
use crate::v1::bodies::GridCode;
use crate::v1::text::Title;

/// The JOSE `typ` of a roster document.
pub const ROSTER_TYP: &str = "tongxin-roster+jwt";

/// One member organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterOrg {
    pub id: OrgId,
    pub name: Title,
    pub kind: OrgKind,
    /// The street a community belongs to, and so on up the organisation tree.
    pub parent: Option<OrgId>,
    #[serde(default)]
    pub grids: Vec<GridCode>,
    /// The organisation's current node certificate (PEM).
    pub certificate: String,
}

/// The roster document (the JWS payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterDoc {
    pub v: u64,
    pub alliance: String,
    /// Increases with every roster the authority publishes; a node keeps the highest.
    pub serial: u64,
    pub iat: i64,
    #[serde(deserialize_with = "crate::objects::objects")]
    pub orgs: Vec<RosterOrg>,
}

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("roster is not a valid JWS: {0}")]
    Malformed(String),
    #[error("roster is not signed by this alliance's root")]
    BadSignature,
    #[error("roster lists {0} twice")]
    Duplicate(OrgId),
    #[error("roster entry {id}: {reason}")]
    Entry { id: OrgId, reason: String },
    #[error(transparent)]
    Pki(#[from] PkiError),
}

/// A roster checked against the root.
#[derive(Debug, Clone)]
pub struct Roster {
    doc: RosterDoc,
    by_id: BTreeMap<OrgId, usize>,
    jws: String,
}

impl Roster {
    pub fn doc(&self) -> &RosterDoc {
        &self.doc
    }
    pub fn serial(&self) -> u64 {
        self.doc.serial
    }
    pub fn orgs(&self) -> &[RosterOrg] {
        &self.doc.orgs
    }
    pub fn org(&self, id: &OrgId) -> Option<&RosterOrg> {
        self.by_id.get(id).map(|i| &self.doc.orgs[*i])
    }
    /// The signed document as received.
    pub fn jws(&self) -> &str {
        &self.jws
    }

    /// Verifies a roster JWS: the root's signature, and that every entry's certificate was
    /// issued by the root for that org id and kind.
    pub fn verify(root: &Root, jws: &str) -> Result<Roster, RosterError> {
        let mut parts = jws.trim().split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(RosterError::Malformed("not three parts".into()));
        };
        let header: Header = URL_SAFE_NO_PAD
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| RosterError::Malformed("bad header".into()))?;
        if header.alg != Algorithm::EdDSA || header.typ.as_deref() != Some(ROSTER_TYP) {
            return Err(RosterError::Malformed(format!(
                "header must be EdDSA / {ROSTER_TYP}"
            )));
        }
        let key =
            DecodingKey::from_ed_der(&root.public_key().raw_public_key().map_err(PkiError::from)?);
        let signed = &jws.trim().as_bytes()[..h.len() + 1 + p.len()];
        if !jsonwebtoken::crypto::verify(s, signed, &key, Algorithm::EdDSA).unwrap_or(false) {
            return Err(RosterError::BadSignature);
        }
        let payload = URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|e| RosterError::Malformed(e.to_string()))?;
        if !crate::objects::is_object(&payload) {
            return Err(RosterError::Malformed(
                "the payload is not a JSON object".into(),
            ));
        }
        let doc: RosterDoc =
            serde_json::from_slice(&payload).map_err(|e| RosterError::Malformed(e.to_string()))?;
        if doc.v != crate::envelope::VERSION {
            return Err(RosterError::Malformed(format!(
                "unsupported roster version {}",
                doc.v
            )));
        }
        let mut by_id = BTreeMap::new();
        for (i, org) in doc.orgs.iter().enumerate() {
            if by_id.insert(org.id.clone(), i).is_some() {
                return Err(RosterError::Duplicate(org.id.clone()));
            }
            let entry = |reason: String| RosterError::Entry {
                id: org.id.clone(),
                reason,
            };
            let cert = X509::from_pem(org.certificate.as_bytes())
                .map_err(|_| entry("certificate is not PEM".into()))?;
            let info = root.node_cert(&cert).map_err(|e| entry(e.to_string()))?;
            if info.org_id != org.id || info.kind != org.kind {
                return Err(entry(format!(
                    "certificate is for {} ({})",
                    info.org_id, info.kind
                )));
            }
        }
        for org in &doc.orgs {
            if let Some(parent) = &org.parent
                && !by_id.contains_key(parent)
            {
                return Err(RosterError::Entry {
                    id: org.id.clone(),
                    reason: format!("parent {parent} is not on the roster"),
                });
            }
        }
        Ok(Roster {
            doc,
            by_id,
            jws: jws.trim().to_owned(),
        })
    }
}

/// Signs a roster document with the root CA key.
pub fn sign_roster(
    ca_key: &PKey<Private>,
    ca_cert: &X509,
    doc: &RosterDoc,
) -> Result<String, RosterError> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(ROSTER_TYP.to_owned());
    header.kid = Some(pki::fingerprint(ca_cert)?);
    header.x5c = Some(vec![
        STANDARD.encode(ca_cert.to_der().map_err(PkiError::from)?),
    ]);
    let key = EncodingKey::from_ed_der(&ca_key.private_key_to_pkcs8().map_err(PkiError::from)?);
    jsonwebtoken::encode(&header, doc, &key).map_err(|e| RosterError::Malformed(e.to_string()))
}
