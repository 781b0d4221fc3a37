//! The alliance roster (PROTOCOL.md §4.5): the list of member organisations, signed by the root
//! CA key itself, so that not even the node that broadcasts it can alter it.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
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

/// Longest `base_url` of a roster entry, in characters (all ASCII).
pub const MAX_BASE_URL: usize = 200;

/// The JSON Schema pattern of `base_url` (the port range, 1–65535, is checked by
/// [`check_base_url`] only).
pub const BASE_URL_PATTERN: &str = r"^https?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/([A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2})*)*$";

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
    /// The node's public web address, where members of other organisations are sent to sign
    /// in (PROTOCOL.md §4.5, §4.7). Written only when set, so rosters without it keep their
    /// form; [`Roster::verify`] checks it with [`check_base_url`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_BASE_URL), regex(pattern = BASE_URL_PATTERN))]
    pub base_url: Option<String>,
}

impl RosterOrg {
    /// Whether `grid` is one of the organisation's grids; any grid is, when the roster lists
    /// none for it (an alliance that has not entered its grids yet).
    pub fn has_grid(&self, grid: &str) -> bool {
        self.grids.is_empty() || self.grids.iter().any(|g| g.as_str() == grid)
    }

    /// The node's public web address for member sign-in redirects, if the roster gives one.
    /// On a verified [`Roster`] it has passed [`check_base_url`].
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }
}

/// Checks a roster entry's `base_url` (PROTOCOL.md §4.5): an absolute `http` or `https` URL of
/// at most 200 characters: scheme, host (a DNS name, IPv4 address or bracketed IPv6 literal),
/// optional port 1–65535, optional path; no user info, query or fragment. The error says what
/// is wrong.
pub fn check_base_url(url: &str) -> Result<(), String> {
    if url.chars().count() > MAX_BASE_URL {
        return Err(format!(
            "is {} characters long; at most {MAX_BASE_URL} are allowed",
            url.chars().count()
        ));
    }
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err("must start with https:// or http://".into());
    };
    if let Some(c) = url.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "contains {c:?}; only printable ASCII without spaces is allowed (percent-encode the rest)"
        ));
    }
    for (c, what) in [('@', "user info"), ('?', "a query"), ('#', "a fragment")] {
        if url.contains(c) {
            return Err(format!("has {what} ({c:?}); a base URL has none"));
        }
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.starts_with('[') || h.ends_with(']') => (h, Some(p)),
        _ => (authority, None),
    };
    let label_ok =
        |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => {
            v6.contains(':')
                && v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => host.split('.').all(label_ok),
    };
    if !host_ok {
        return Err(format!("host {host:?} is not a DNS name or IP address"));
    }
    if let Some(p) = port {
        let ok = (1..=5).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !ok {
            return Err(format!("port {p:?} is not a number from 1 to 65535"));
        }
    }
    let mut bytes = path.bytes();
    while let Some(b) = bytes.next() {
        let ok = match b {
            b'%' => {
                let hex = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_hexdigit());
                hex(bytes.next()) && hex(bytes.next())
            }
            b'/' | b':' => true,
            _ => b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b),
        };
        if !ok {
            return Err(format!(
                "path {path:?} has a character a URL path does not allow unencoded"
            ));
        }
    }
    Ok(())
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
        let key = crate::zip215::PublicKey::new(
            &root.public_key().raw_public_key().map_err(PkiError::from)?,
        );
        let signed = &jws.trim().as_bytes()[..h.len() + 1 + p.len()];
        if !crate::zip215::decode_signature(s)
            .is_some_and(|sig| crate::zip215::verify(&key, &sig, signed))
        {
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
            if let Some(url) = &org.base_url {
                check_base_url(url).map_err(|e| entry(format!("base_url {url:?} {e}")))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::TestAlliance;

    #[test]
    fn base_urls() {
        for ok in [
            "https://youyi-nanli.example.org",
            "https://youyi-nanli.example.org/",
            "https://youyi-nanli.example.org/tongxin/",
            "http://127.0.0.1:8080",
            "http://[::1]:8080/a%20b",
            "https://[2001:db8::1]",
            "https://node-1.example:443/x/y;v=1",
        ] {
            assert_eq!(check_base_url(ok), Ok(()), "{ok}");
        }
        let long = format!("https://a.example/{}", "x".repeat(183));
        assert_eq!(long.len(), 201);
        for (bad, why) in [
            ("youyi-nanli.example.org", "must start with"),
            ("ftp://youyi-nanli.example.org", "must start with"),
            ("HTTPS://youyi-nanli.example.org", "must start with"),
            ("//youyi-nanli.example.org", "must start with"),
            ("https://", "host \"\""),
            ("https:///path", "host \"\""),
            ("https://user:pw@youyi.example", "user info"),
            ("https://youyi.example/?next=/", "a query"),
            ("https://youyi.example/#top", "a fragment"),
            ("https://youyi.example:0", "port"),
            ("https://youyi.example:65536", "port"),
            ("https://youyi.example:", "port"),
            ("https://youyi.example:8o", "port"),
            ("https://you yi.example", "printable ASCII"),
            ("https://友谊.example", "printable ASCII"),
            ("https://youyi.example/a\nb", "printable ASCII"),
            ("https://youyi..example", "host"),
            ("https://youyi_nanli.example", "host"),
            ("https://[::1", "host"),
            ("https://youyi.example/a%2", "path"),
            ("https://youyi.example/a\\b", "path"),
            ("https://youyi.example/<x>", "path"),
            (long.as_str(), "at most 200"),
        ] {
            let err = check_base_url(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert_eq!(
            check_base_url(&format!("https://a.example/{}", "x".repeat(182))),
            Ok(())
        );
    }

    fn signed(a: &TestAlliance, edit: impl Fn(&mut RosterDoc)) -> Result<Roster, RosterError> {
        let root = Root::new(a.ca_cert.clone()).unwrap_or_else(|e| panic!("{e}"));
        let mut doc = Roster::verify(&root, &a.roster_jws)
            .unwrap_or_else(|e| panic!("{e}"))
            .doc()
            .clone();
        edit(&mut doc);
        Roster::verify(
            &root,
            &sign_roster(&a.ca_key, &a.ca_cert, &doc).unwrap_or_else(|e| panic!("{e}")),
        )
    }

    #[test]
    fn base_url_is_optional_checked_and_written_only_when_set() {
        let a = TestAlliance::new(1_800_000_000).unwrap_or_else(|e| panic!("{e}"));
        let id = |s: &str| s.parse::<OrgId>().unwrap_or_else(|e| panic!("{e}"));
        let r = signed(&a, |_| {}).unwrap_or_else(|e| panic!("{e}"));
        let community = r
            .org(&id("youyi-nanli"))
            .unwrap_or_else(|| panic!("listed"));
        assert_eq!(
            community.base_url(),
            Some("https://youyi-nanli.example.org/tongxin")
        );
        assert_eq!(r.org(&id("xueyuan-nanlu")).and_then(|o| o.base_url()), None);
        // Absent, not null, when unset: rosters without it keep their form.
        let json = serde_json::to_value(r.doc()).unwrap_or_else(|e| panic!("{e}"));
        let street = json["orgs"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["id"] == "xueyuan-nanlu"))
            .unwrap_or_else(|| panic!("listed"));
        assert!(street.get("base_url").is_none(), "{street}");
        // A bad URL refuses the whole roster and says which entry and why.
        let err = signed(&a, |d| {
            for o in &mut d.orgs {
                if o.id.as_str() == "youyi-nanli" {
                    o.base_url = Some("https://youyi.example/?a=1".into());
                }
            }
        })
        .expect_err("a query is refused");
        let text = err.to_string();
        assert!(
            text.contains("youyi-nanli") && text.contains("base_url") && text.contains("query"),
            "{text}"
        );
    }
}
