//! The alliance PKI (PROTOCOL.md §3): an Ed25519 root CA, node certificates that name an
//! organisation and its kind, and an X.509 CRL for revocation.

use std::collections::BTreeSet;

use foreign_types::{ForeignType, ForeignTypeRef};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Crl, X509NameBuilder, X509Req, X509ReqBuilder};

use crate::ids::{IdError, OrgId, OrgKind};

pub const ORG_URN_PREFIX: &str = "urn:tongxin:org:";
pub const KIND_URN_PREFIX: &str = "urn:tongxin:kind:";
/// Validity of the root certificate.
pub const ROOT_DAYS: u32 = 20 * 365;
/// Default validity of a node certificate.
pub const NODE_DAYS: u32 = 2 * 365;
/// How long a CRL is fresh; the authority re-publishes well before.
pub const CRL_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("openssl: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    #[error(transparent)]
    Id(#[from] IdError),
    #[error("key is not Ed25519")]
    NotEd25519,
    #[error("the CSR's signature does not match its public key")]
    CsrSignature,
    #[error("the CSR names organisation {csr:?}, not {expected:?}")]
    CsrOrgMismatch { csr: String, expected: String },
    #[error("certificate has no {0}")]
    Missing(&'static str),
    #[error("certificate names org {cn:?} in its CN but {san:?} in its SAN")]
    NameMismatch { cn: String, san: String },
    #[error("the certificate was not issued by this alliance's CA")]
    NotIssuedByCa,
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
    #[error("CRL: {0}")]
    Crl(String),
    #[error("time {0} lies outside the years 0000 to 9999 that X.509 can carry")]
    Time(i64),
}

/// A fresh Ed25519 key.
pub fn generate_key() -> Result<PKey<Private>, PkiError> {
    Ok(PKey::generate_ed25519()?)
}

/// Loads a PEM (PKCS#8) private key and checks that it is Ed25519.
pub fn load_key(pem: &[u8]) -> Result<PKey<Private>, PkiError> {
    let key = PKey::private_key_from_pem(pem)?;
    if key.id() != Id::ED25519 {
        return Err(PkiError::NotEd25519);
    }
    Ok(key)
}

/// Lower-case hex SHA-256 of the certificate's DER: the `kid` of every message it signs.
pub fn fingerprint(cert: &X509) -> Result<String, PkiError> {
    Ok(hex::encode(cert.digest(MessageDigest::sha256())?))
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range of an X.509 time (RFC 5280
/// §4.1.2.5). OpenSSL writes a time outside it without complaint, into a certificate or CRL
/// that no one, this crate included, can read.
const MIN_X509_TIME: i64 = -62_167_219_200;
const MAX_X509_TIME: i64 = 253_402_300_799;

/// `t` (Unix seconds) as an X.509 time; refused outside [`MIN_X509_TIME`]..=[`MAX_X509_TIME`].
fn x509_time(t: i64) -> Result<Asn1Time, PkiError> {
    if !(MIN_X509_TIME..=MAX_X509_TIME).contains(&t) {
        return Err(PkiError::Time(t));
    }
    Ok(Asn1Time::from_unix(t)?)
}

fn random_serial() -> Result<Asn1Integer, PkiError> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    Ok(bn.to_asn1_integer()?)
}

/// Self-signed root certificate of a new alliance.
pub fn make_root(key: &PKey<Private>, alliance_name: &str) -> Result<X509, PkiError> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, alliance_name)?;
    name.append_entry_by_nid(Nid::ORGANIZATIONALUNITNAME, "Tongxin alliance authority")?;
    let name = name.build();
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let serial = random_serial()?;
    let (not_before, not_after) = (
        Asn1Time::days_from_now(0)?,
        Asn1Time::days_from_now(ROOT_DAYS)?,
    );
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(key)?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    b.append_extension(BasicConstraints::new().critical().ca().pathlen(0).build()?)?;
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()?,
    )?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    b.sign(key, MessageDigest::null())?;
    Ok(b.build())
}

/// A certificate signing request naming the organisation (CN = org id, O = display name).
pub fn make_csr(
    key: &PKey<Private>,
    org_id: &OrgId,
    display_name: &str,
) -> Result<X509Req, PkiError> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, org_id.as_str())?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, display_name)?;
    let mut b = X509ReqBuilder::new()?;
    b.set_subject_name(&name.build())?;
    b.set_pubkey(key)?;
    b.sign(key, MessageDigest::null())?;
    Ok(b.build())
}

fn first_entry(name: &openssl::x509::X509NameRef, nid: Nid) -> Option<String> {
    name.entries_by_nid(nid)
        .next()
        .and_then(|e| e.data().to_string().ok())
}

/// When a certificate is valid, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: i64,
    pub not_after: i64,
}

impl Validity {
    /// From `now` for `days` days.
    pub fn days(now: i64, days: u32) -> Validity {
        Validity {
            not_before: now,
            not_after: now + i64::from(days) * 86_400,
        }
    }
}

/// Issues a node certificate for a CSR. The CSR must be self-consistent, hold an Ed25519 key
/// and name `org_id`; the certificate carries the org id and kind as SAN URIs.
pub fn issue(
    ca_key: &PKey<Private>,
    ca_cert: &X509,
    csr: &X509Req,
    org_id: &OrgId,
    kind: OrgKind,
    validity: Validity,
) -> Result<X509, PkiError> {
    let pubkey = csr.public_key()?;
    if !csr.verify(&pubkey)? {
        return Err(PkiError::CsrSignature);
    }
    if pubkey.id() != Id::ED25519 {
        return Err(PkiError::NotEd25519);
    }
    let csr_cn = first_entry(csr.subject_name(), Nid::COMMONNAME).unwrap_or_default();
    if csr_cn != org_id.as_str() {
        return Err(PkiError::CsrOrgMismatch {
            csr: csr_cn,
            expected: org_id.to_string(),
        });
    }
    let display =
        first_entry(csr.subject_name(), Nid::ORGANIZATIONNAME).unwrap_or_else(|| csr_cn.clone());
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, org_id.as_str())?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, &display)?;
    name.append_entry_by_nid(Nid::ORGANIZATIONALUNITNAME, kind.as_str())?;
    let name = name.build();

    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let serial = random_serial()?;
    let not_before = x509_time(validity.not_before)?;
    let not_after = x509_time(validity.not_after)?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(ca_cert.subject_name())?;
    b.set_pubkey(&pubkey)?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    // clientAuth: the same certificate logs the node in to RabbitMQ over TLS.
    b.append_extension(ExtendedKeyUsage::new().client_auth().build()?)?;
    let ctx = b.x509v3_context(Some(ca_cert), None);
    let san = SubjectAlternativeName::new()
        .uri(&format!("{ORG_URN_PREFIX}{org_id}"))
        .uri(&format!("{KIND_URN_PREFIX}{kind}"))
        .build(&ctx)?;
    let aki = AuthorityKeyIdentifier::new().keyid(false).build(&ctx)?;
    let ski = SubjectKeyIdentifier::new().build(&ctx)?;
    b.append_extension(san)?;
    b.append_extension(aki)?;
    b.append_extension(ski)?;
    b.sign(ca_key, MessageDigest::null())?;
    Ok(b.build())
}

/// What a node certificate says about its organisation.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub org_id: OrgId,
    pub kind: OrgKind,
    pub display_name: String,
    /// Upper-case hex of the serial number, as in CRLs.
    pub serial: String,
    pub fingerprint: String,
    pub not_before: i64,
    pub not_after: i64,
    /// The raw 32-byte Ed25519 public key.
    pub public_key: Vec<u8>,
}

fn unix(t: &openssl::asn1::Asn1TimeRef) -> Result<i64, PkiError> {
    let d = Asn1Time::from_unix(0)?.diff(t)?;
    Ok(i64::from(d.days) * 86_400 + i64::from(d.secs))
}

impl CertInfo {
    /// Reads the organisation out of a node certificate. Does not check who issued it.
    pub fn read(cert: &X509) -> Result<CertInfo, PkiError> {
        let pubkey = cert.public_key()?;
        if pubkey.id() != Id::ED25519 {
            return Err(PkiError::NotEd25519);
        }
        let cn =
            first_entry(cert.subject_name(), Nid::COMMONNAME).ok_or(PkiError::Missing("CN"))?;
        let mut san_org = None;
        let mut san_kind = None;
        for gn in cert.subject_alt_names().iter().flatten() {
            if let Some(uri) = gn.uri() {
                if let Some(o) = uri.strip_prefix(ORG_URN_PREFIX) {
                    san_org = Some(o.to_owned());
                } else if let Some(k) = uri.strip_prefix(KIND_URN_PREFIX) {
                    san_kind = Some(k.to_owned());
                }
            }
        }
        let san_org = san_org.ok_or(PkiError::Missing("urn:tongxin:org SAN"))?;
        if san_org != cn {
            return Err(PkiError::NameMismatch { cn, san: san_org });
        }
        let kind = san_kind
            .ok_or(PkiError::Missing("urn:tongxin:kind SAN"))?
            .parse()?;
        Ok(CertInfo {
            org_id: cn.parse()?,
            kind,
            display_name: first_entry(cert.subject_name(), Nid::ORGANIZATIONNAME)
                .unwrap_or_default(),
            serial: cert.serial_number().to_bn()?.to_hex_str()?.to_string(),
            fingerprint: fingerprint(cert)?,
            not_before: unix(cert.not_before())?,
            not_after: unix(cert.not_after())?,
            public_key: pubkey.raw_public_key()?,
        })
    }
}

/// The trust anchor of an alliance: its root certificate.
#[derive(Clone)]
pub struct Root {
    cert: X509,
    key: PKey<Public>,
    fingerprint: String,
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Root")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl Root {
    pub fn from_pem(pem: &[u8]) -> Result<Root, PkiError> {
        Root::new(X509::from_pem(pem)?)
    }

    pub fn new(cert: X509) -> Result<Root, PkiError> {
        let key = cert.public_key()?;
        if key.id() != Id::ED25519 {
            return Err(PkiError::NotEd25519);
        }
        Ok(Root {
            fingerprint: fingerprint(&cert)?,
            cert,
            key,
        })
    }

    pub fn cert(&self) -> &X509 {
        &self.cert
    }
    pub fn public_key(&self) -> &PKey<Public> {
        &self.key
    }
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// True when `cert` was signed by this root (signature and issuer name).
    pub fn issued(&self, cert: &X509) -> bool {
        let same_issuer =
            cert.issuer_name().to_der().ok() == self.cert.subject_name().to_der().ok();
        same_issuer && cert.verify(&self.key).unwrap_or(false)
    }

    /// Parses a node certificate and checks it was issued by this root.
    pub fn node_cert(&self, cert: &X509) -> Result<CertInfo, PkiError> {
        if !self.issued(cert) {
            return Err(PkiError::NotIssuedByCa);
        }
        CertInfo::read(cert)
    }
}

/// Checks that a private key belongs to a certificate.
pub fn key_matches(key: &PKey<Private>, cert: &X509) -> Result<bool, PkiError> {
    Ok(cert.public_key()?.public_eq(key))
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Revoked {
    /// Upper-case hex serial.
    pub serial: String,
    pub org_id: String,
    pub revoked_at: i64,
}

/// Builds and signs an X.509 v2 CRL. The safe `openssl` API has no CRL builder, hence
/// `openssl-sys` here; every pointer is checked and ownership follows the OpenSSL docs.
#[expect(unsafe_code, reason = "rust-openssl has no safe CRL builder")]
pub fn make_crl(
    ca_key: &PKey<Private>,
    ca_cert: &X509,
    revoked: &[Revoked],
    now: i64,
) -> Result<X509Crl, PkiError> {
    use openssl_sys as ffi;
    let err = |what: &str| {
        PkiError::Crl(format!(
            "{what} failed: {}",
            openssl::error::ErrorStack::get()
        ))
    };
    // `now` is in range first, so adding 30 days cannot overflow.
    let last = x509_time(now)?;
    let next = x509_time(now + CRL_DAYS * 86_400)?;
    // BN_hex2bn reads the longest hex prefix and ignores the rest ("0A zz" would revoke 0A),
    // and rust-openssl panics on a NUL byte: a serial is hex digits and nothing else.
    if let Some(r) = revoked
        .iter()
        .find(|r| r.serial.is_empty() || !r.serial.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(PkiError::Crl(format!(
            "serial {:?} of {} is not hexadecimal",
            r.serial, r.org_id
        )));
    }
    // SAFETY: `crl` is owned by the X509Crl wrapper from the moment it is created, so every
    // early return frees it; `add0_revoked` takes ownership of `rev` only on success.
    unsafe {
        let raw = ffi::X509_CRL_new();
        if raw.is_null() {
            return Err(err("X509_CRL_new"));
        }
        let crl = X509Crl::from_ptr(raw);
        if ffi::X509_CRL_set_version(raw, 1) != 1 {
            return Err(err("X509_CRL_set_version"));
        }
        if ffi::X509_CRL_set_issuer_name(raw, ca_cert.subject_name().as_ptr()) != 1 {
            return Err(err("X509_CRL_set_issuer_name"));
        }
        if ffi::X509_CRL_set1_lastUpdate(raw, last.as_ptr()) != 1
            || ffi::X509_CRL_set1_nextUpdate(raw, next.as_ptr()) != 1
        {
            return Err(err("X509_CRL_set1_lastUpdate/nextUpdate"));
        }
        let serials: BTreeSet<&Revoked> = revoked.iter().collect();
        for r in serials {
            let bn = BigNum::from_hex_str(&r.serial)?;
            let serial = bn.to_asn1_integer()?;
            let when = x509_time(r.revoked_at)?;
            let rev = ffi::X509_REVOKED_new();
            if rev.is_null() {
                return Err(err("X509_REVOKED_new"));
            }
            if ffi::X509_REVOKED_set_serialNumber(rev, serial.as_ptr()) != 1
                || ffi::X509_REVOKED_set_revocationDate(rev, when.as_ptr()) != 1
                || ffi::X509_CRL_add0_revoked(raw, rev) != 1
            {
                ffi::X509_REVOKED_free(rev);
                return Err(err("adding a revoked entry"));
            }
        }
        if ffi::X509_CRL_sort(raw) != 1 {
            return Err(err("X509_CRL_sort"));
        }
        // Ed25519 signs without a separate digest: the digest argument must be NULL.
        if ffi::X509_CRL_sign(raw, ca_key.as_ptr(), std::ptr::null()) == 0 {
            return Err(err("X509_CRL_sign"));
        }
        Ok(crl)
    }
}

/// A CRL checked against the alliance root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationList {
    /// Upper-case hex serials.
    pub serials: BTreeSet<String>,
    /// Unix seconds of the CRL's thisUpdate; a newer list replaces an older one.
    pub issued_at: i64,
}

impl RevocationList {
    pub fn from_pem(root: &Root, pem: &[u8]) -> Result<RevocationList, PkiError> {
        let crl =
            X509Crl::from_pem(pem).map_err(|e| PkiError::Crl(format!("not a PEM CRL: {e}")))?;
        let same_issuer =
            crl.issuer_name().to_der().ok() == root.cert().subject_name().to_der().ok();
        if !same_issuer || !crl.verify(root.public_key()).unwrap_or(false) {
            return Err(PkiError::Crl("not signed by this alliance's CA".into()));
        }
        let mut serials = BTreeSet::new();
        for r in crl.get_revoked().iter().flat_map(|s| s.iter()) {
            serials.insert(r.serial_number().to_bn()?.to_hex_str()?.to_string());
        }
        Ok(RevocationList {
            serials,
            issued_at: unix(crl.last_update())?,
        })
    }

    pub fn contains(&self, serial: &str) -> bool {
        self.serials.contains(serial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    pub(crate) fn org(s: &str) -> OrgId {
        s.parse().unwrap()
    }

    #[test]
    fn issue_read_revoke() {
        let ca_key = generate_key().unwrap();
        let ca = make_root(&ca_key, "路南区党建联盟").unwrap();
        let root = Root::new(ca.clone()).unwrap();
        let key = generate_key().unwrap();
        let csr = make_csr(&key, &org("xueyuan-nanlu"), "学院南路街道党工委").unwrap();
        let cert = issue(
            &ca_key,
            &ca,
            &csr,
            &org("xueyuan-nanlu"),
            OrgKind::Street,
            Validity::days(now(), 30),
        )
        .unwrap();
        let info = root.node_cert(&cert).unwrap();
        assert_eq!(info.org_id.as_str(), "xueyuan-nanlu");
        assert_eq!(info.kind, OrgKind::Street);
        assert_eq!(info.display_name, "学院南路街道党工委");
        assert_eq!(info.public_key.len(), 32);
        assert!(key_matches(&key, &cert).unwrap());

        // A CSR for another org id is refused.
        assert!(matches!(
            issue(
                &ca_key,
                &ca,
                &csr,
                &org("other-org"),
                OrgKind::Street,
                Validity::days(now(), 30)
            ),
            Err(PkiError::CsrOrgMismatch { .. })
        ));

        // Another alliance's root does not vouch for it.
        let other_key = generate_key().unwrap();
        let other = Root::new(make_root(&other_key, "other").unwrap()).unwrap();
        assert!(matches!(
            other.node_cert(&cert),
            Err(PkiError::NotIssuedByCa)
        ));

        let crl = make_crl(
            &ca_key,
            &ca,
            &[Revoked {
                serial: info.serial.clone(),
                org_id: "xueyuan-nanlu".into(),
                revoked_at: 1_700_000_000,
            }],
            1_700_000_100,
        )
        .unwrap();
        let list = RevocationList::from_pem(&root, &crl.to_pem().unwrap()).unwrap();
        assert!(list.contains(&info.serial));
        assert_eq!(list.issued_at, 1_700_000_100);
        assert!(RevocationList::from_pem(&other, &crl.to_pem().unwrap()).is_err());
    }

    /// Found by `fuzz/` (target cert_parse, `make_crl` mode, input `~\x05unit1`): a CRL made
    /// at a time past the year 9999 (here about the year 1.7 million) was signed, but no one,
    /// `RevocationList::from_pem` included, could read its thisUpdate back. Certificates had
    /// the same gap through `issue`.
    #[test]
    fn times_outside_x509_are_refused() {
        let ca_key = generate_key().unwrap();
        let ca = make_root(&ca_key, "路南区党建联盟").unwrap();
        let root = Root::new(ca.clone()).unwrap();
        let crl = |revoked: &[Revoked], now| make_crl(&ca_key, &ca, revoked, now);
        for now in [54_376_054_813_957, i64::MAX, MIN_X509_TIME - 1, i64::MIN] {
            assert!(matches!(crl(&[], now), Err(PkiError::Time(_))), "{now}");
        }
        let entry = |revoked_at| Revoked {
            serial: "0A".into(),
            org_id: "xueyuan-nanlu".into(),
            revoked_at,
        };
        let late = MAX_X509_TIME + 1;
        assert!(matches!(crl(&[entry(late)], 0), Err(PkiError::Time(t)) if t == late));

        // The extremes that X.509 can carry are written and read back.
        let last = MAX_X509_TIME - CRL_DAYS * 86_400;
        for (now, revoked_at) in [(last, MAX_X509_TIME), (MIN_X509_TIME, MIN_X509_TIME)] {
            let pem = crl(&[entry(revoked_at)], now).unwrap().to_pem().unwrap();
            let list = RevocationList::from_pem(&root, &pem).unwrap();
            assert_eq!(list.issued_at, now);
            assert!(list.contains("0A"));
        }
        assert!(matches!(crl(&[], last + 1), Err(PkiError::Time(_))));

        let key = generate_key().unwrap();
        let csr = make_csr(&key, &org("xueyuan-nanlu"), "学院南路街道党工委").unwrap();
        let validity = Validity {
            not_before: now(),
            not_after: MAX_X509_TIME + 1,
        };
        assert!(matches!(
            issue(
                &ca_key,
                &ca,
                &csr,
                &org("xueyuan-nanlu"),
                OrgKind::Street,
                validity
            ),
            Err(PkiError::Time(_))
        ));
    }

    /// Found by `fuzz/` (target cert_parse, `make_crl` mode): a serial with a NUL byte made
    /// `BigNum::from_hex_str` panic; and OpenSSL reads only the hex prefix of a serial, so
    /// `0A zz` would have revoked `0A`.
    #[test]
    fn crl_serials_are_hex_digits_only() {
        let ca_key = generate_key().unwrap();
        let ca = make_root(&ca_key, "路南区党建联盟").unwrap();
        let root = Root::new(ca.clone()).unwrap();
        let crl = |serial: &str| {
            let entry = Revoked {
                serial: serial.into(),
                org_id: "xueyuan-nanlu".into(),
                revoked_at: 1_700_000_000,
            };
            make_crl(&ca_key, &ca, &[entry], 1_700_000_100)
        };
        for bad in ["0A\0", "\0", "0A zz", "", "-0A", "0x0A", "０A"] {
            assert!(matches!(crl(bad), Err(PkiError::Crl(_))), "{bad:?}");
        }
        let pem = crl("0a").unwrap().to_pem().unwrap();
        let list = RevocationList::from_pem(&root, &pem).unwrap();
        assert_eq!(list.serials, BTreeSet::from(["0A".to_owned()]));
    }
}
