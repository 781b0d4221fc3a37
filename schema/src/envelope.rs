//! The signed message (PROTOCOL.md §4): one JWS in compact serialisation, `alg` EdDSA, whose
//! header carries the sender's certificate. A payload is handed out only inside
//! [`Verified`], which only [`Verifier::verify`] and [`Verifier::verify_many`] make. Signatures
//! are verified by ZIP-215 (PROTOCOL.md §7.7 step 15), so that a batch refuses exactly what
//! verifying one by one refuses.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{OrgId, OrgKind};
use crate::pki::{self, CertInfo, PkiError, RevocationList, Root};
use crate::roster::Roster;
use crate::v1::{Body, Kind, Route};
use crate::zip215;

/// The protocol version this crate speaks.
pub const VERSION: u64 = 1;
/// The JOSE `typ` of a message.
pub const TYP: &str = "tongxin+jwt";
/// The largest message of an ordinary kind, in bytes of compact JWS.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The largest message of a trust-document kind (`roster.published`, `revocation.published`),
/// and so the largest message a verifier reads at all. A roster carries every member's
/// certificate (about 1.9 KB each), which 64 KiB would cap at some 33 organisations.
pub const MAX_TRUST_MESSAGE_BYTES: usize = 1024 * 1024;
/// How far in the future `iat` may lie (clock skew between organisations).
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Who a message is for: `*` (the whole alliance) or one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    All,
    Org(OrgId),
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::All => f.write_str("*"),
            Audience::Org(o) => o.fmt(f),
        }
    }
}

impl FromStr for Audience {
    type Err = crate::ids::IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "*" {
            Ok(Audience::All)
        } else {
            s.parse().map(Audience::Org)
        }
    }
}

/// A sender's numbered stream: `all` (its broadcasts), `org.<recipient>` (its direct messages
/// to one organisation), or `control` (unsequenced control kinds, `seq` 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    All,
    Direct(OrgId),
    Control,
}

impl Stream {
    /// The stream a message of `kind` to `aud` belongs on.
    pub fn for_message(kind: Kind, aud: &Audience) -> Stream {
        match (kind.rule().control, aud) {
            (true, _) => Stream::Control,
            (false, Audience::All) => Stream::All,
            (false, Audience::Org(o)) => Stream::Direct(o.clone()),
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stream::All => f.write_str("all"),
            Stream::Direct(o) => write!(f, "org.{o}"),
            Stream::Control => f.write_str("control"),
        }
    }
}

impl FromStr for Stream {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "all" => Ok(Stream::All),
            "control" => Ok(Stream::Control),
            _ => s
                .strip_prefix("org.")
                .and_then(|o| o.parse().ok())
                .map(Stream::Direct)
                .ok_or(()),
        }
    }
}

/// The size limit of a message of `kind`, in bytes of compact JWS (PROTOCOL.md §4.1).
pub fn max_message_bytes(kind: Kind) -> usize {
    match kind {
        // A recovery answer carries up to 1 MiB of the requester's own messages (§7.9).
        Kind::RosterPublished | Kind::RevocationPublished | Kind::RecoveryReturned => {
            MAX_TRUST_MESSAGE_BYTES
        }
        _ => MAX_MESSAGE_BYTES,
    }
}

/// The claims of a message, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub iss: OrgId,
    pub aud: Audience,
    pub jti: Uuid,
    pub iat: i64,
    pub stream: Stream,
    pub seq: u64,
    pub body: Body,
}

impl Message {
    /// A new message with a fresh UUIDv7 id, on the stream its kind and audience imply.
    pub fn new(iss: OrgId, aud: Audience, seq: u64, iat: i64, body: impl Into<Body>) -> Message {
        let body = body.into();
        let stream = Stream::for_message(body.kind(), &aud);
        let seq = if stream == Stream::Control { 0 } else { seq };
        Message {
            iss,
            aud,
            jti: Uuid::now_v7(),
            iat,
            stream,
            seq,
            body,
        }
    }

    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// The AMQP routing key: `all.<kind>` or `org.<aud>.<kind>`.
    pub fn routing_key(&self) -> String {
        match &self.aud {
            Audience::All => format!("all.{}", self.kind()),
            Audience::Org(o) => format!("org.{o}.{}", self.kind()),
        }
    }
}

/// The claims exactly as on the wire.
#[derive(Serialize)]
struct ClaimsOut<'a> {
    v: u64,
    iss: &'a str,
    aud: String,
    jti: String,
    iat: i64,
    stream: String,
    seq: u64,
    kind: &'static str,
    body: &'a Body,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsIn<'a> {
    v: u64,
    iss: String,
    aud: String,
    jti: String,
    iat: i64,
    stream: String,
    seq: u64,
    kind: String,
    #[serde(borrow)]
    body: &'a serde_json::value::RawValue,
}

/// Signs messages as one organisation.
pub struct Signer {
    info: CertInfo,
    key: EncodingKey,
    header: Header,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("org_id", &self.info.org_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a node's private key and certificate; the key must match the certificate.
    pub fn new(key: &PKey<Private>, cert: &X509) -> Result<Signer, PkiError> {
        if !pki::key_matches(key, cert)? {
            return Err(PkiError::KeyMismatch);
        }
        Signer::with_info(key, cert, CertInfo::read(cert)?)
    }

    fn with_info(key: &PKey<Private>, cert: &X509, info: CertInfo) -> Result<Signer, PkiError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TYP.to_owned());
        header.kid = Some(info.fingerprint.clone());
        header.x5c = Some(vec![STANDARD.encode(cert.to_der()?)]);
        let key = EncodingKey::from_ed_der(&key.private_key_to_pkcs8()?);
        Ok(Signer { info, key, header })
    }

    pub fn org_id(&self) -> &OrgId {
        &self.info.org_id
    }
    pub fn kind(&self) -> OrgKind {
        self.info.kind
    }
    pub fn cert_info(&self) -> &CertInfo {
        &self.info
    }

    /// Signs `msg` as is. Refuses a body that breaks the limits of its kind
    /// ([`Body::check`]) and a message over its kind's size limit ([`max_message_bytes`]), since
    /// every receiver would reject either. Signing does not check rights: a receiver does.
    pub fn sign(&self, msg: &Message) -> Result<String, SignError> {
        msg.body
            .check()
            .map_err(|e| SignError(format!("body of {}: {e}", msg.kind())))?;
        let claims = ClaimsOut {
            v: VERSION,
            iss: msg.iss.as_str(),
            aud: msg.aud.to_string(),
            jti: msg.jti.hyphenated().to_string(),
            iat: msg.iat,
            stream: msg.stream.to_string(),
            seq: msg.seq,
            kind: msg.kind().as_str(),
            body: &msg.body,
        };
        let jws = jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|e| SignError(e.to_string()))?;
        let limit = max_message_bytes(msg.kind());
        if jws.len() > limit {
            return Err(SignError(format!(
                "{} message is {} bytes; the limit is {limit}",
                msg.kind(),
                jws.len()
            )));
        }
        Ok(jws)
    }

    /// Signs arbitrary claims with this key and certificate. For test vectors and hostile-input
    /// tests that need well-signed but otherwise wrong messages; never for real traffic.
    pub fn sign_raw_claims(
        &self,
        header: Option<&Header>,
        claims: &serde_json::Value,
    ) -> Result<String, SignError> {
        jsonwebtoken::encode(header.unwrap_or(&self.header), claims, &self.key)
            .map_err(|e| SignError(e.to_string()))
    }

    /// The header this signer puts on messages.
    pub fn header(&self) -> &Header {
        &self.header
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot sign: {0}")]
pub struct SignError(pub String);

/// Why a message was refused. `code()` is the stable name used in logs, metrics, the
/// dead-letter record and the test vectors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("message is {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("unsupported algorithm {0:?}; only EdDSA is accepted")]
    Algorithm(String),
    #[error("header typ is {0:?}, expected \"tongxin+jwt\"")]
    WrongType(Option<String>),
    #[error("header must carry exactly one certificate in x5c")]
    MissingCertificate,
    #[error("header kid {kid:?} is not the SHA-256 fingerprint of the x5c certificate")]
    KidMismatch { kid: Option<String> },
    #[error("sender certificate is unusable: {0}")]
    BadCertificate(String),
    #[error("sender certificate was not issued by this alliance's root")]
    UnknownIssuer,
    #[error("sender certificate (serial {serial}) is revoked")]
    Revoked { serial: String },
    #[error("sender certificate is not valid at {at}: valid from {not_before} to {not_after}")]
    CertificateExpired {
        at: i64,
        not_before: i64,
        not_after: i64,
    },
    #[error("signature does not verify")]
    BadSignature,
    #[error("claims are malformed: {0}")]
    Claims(String),
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u64),
    #[error("iss {iss:?} differs from the certificate's org id {certificate:?}")]
    IssuerMismatch { iss: String, certificate: String },
    #[error("unknown message kind {0:?}")]
    UnknownKind(String),
    #[error("body of {kind} does not match its schema: {reason}")]
    Body { kind: Kind, reason: String },
    #[error("iat {iat} lies more than {MAX_CLOCK_SKEW_SECS} s after now ({now})")]
    FromTheFuture { iat: i64, now: i64 },
    #[error("stream/seq do not fit the kind and audience: {0}")]
    Stream(String),
    #[error("{org} is not on the alliance roster")]
    NotOnRoster { org: String },
    #[error("{org} is a {certificate} by its certificate but a {roster} on the roster")]
    RosterKindMismatch {
        org: String,
        certificate: OrgKind,
        roster: OrgKind,
    },
    #[error("a {sender_kind} may not send {kind}{detail}")]
    NotPermitted {
        kind: Kind,
        sender_kind: OrgKind,
        detail: String,
    },
    #[error("message is addressed to {aud}, not to this node")]
    NotForUs { aud: String },
    /// A member token (PROTOCOL.md §4.7) for another host.
    #[error("member token is for {aud}, not for {host}")]
    WrongAudience { aud: String, host: String },
    /// A member token whose `sub` is a member of another organisation than its issuer.
    #[error("member token from {iss} names {sub}, a member of another organisation")]
    SubjectMismatch { sub: String, iss: String },
    /// A member token whose `nonce` is not the one the host chose.
    #[error("member token nonce is not the one this sign-in started with")]
    NonceMismatch,
}

impl VerifyError {
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::TooLarge { .. } => "too_large",
            VerifyError::Malformed(_) => "malformed",
            VerifyError::Algorithm(_) => "algorithm",
            VerifyError::WrongType(_) => "wrong_type",
            VerifyError::MissingCertificate => "missing_certificate",
            VerifyError::KidMismatch { .. } => "kid_mismatch",
            VerifyError::BadCertificate(_) => "bad_certificate",
            VerifyError::UnknownIssuer => "unknown_issuer",
            VerifyError::Revoked { .. } => "revoked",
            VerifyError::CertificateExpired { .. } => "certificate_expired",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::Claims(_) => "claims",
            VerifyError::UnsupportedVersion(_) => "unsupported_version",
            VerifyError::IssuerMismatch { .. } => "issuer_mismatch",
            VerifyError::UnknownKind(_) => "unknown_kind",
            VerifyError::Body { .. } => "body",
            VerifyError::FromTheFuture { .. } => "from_the_future",
            VerifyError::Stream(_) => "stream",
            VerifyError::NotOnRoster { .. } => "not_on_roster",
            VerifyError::RosterKindMismatch { .. } => "roster_kind_mismatch",
            VerifyError::NotPermitted { .. } => "not_permitted",
            VerifyError::NotForUs { .. } => "not_for_us",
            VerifyError::WrongAudience { .. } => "wrong_audience",
            VerifyError::SubjectMismatch { .. } => "subject_mismatch",
            VerifyError::NonceMismatch => "nonce_mismatch",
        }
    }

    /// Every code, for documentation and exhaustive tests.
    pub const CODES: [&'static str; 25] = [
        "too_large",
        "malformed",
        "algorithm",
        "wrong_type",
        "missing_certificate",
        "kid_mismatch",
        "bad_certificate",
        "unknown_issuer",
        "revoked",
        "certificate_expired",
        "bad_signature",
        "claims",
        "unsupported_version",
        "issuer_mismatch",
        "unknown_kind",
        "body",
        "from_the_future",
        "stream",
        "not_on_roster",
        "roster_kind_mismatch",
        "not_permitted",
        "not_for_us",
        "wrong_audience",
        "subject_mismatch",
        "nonce_mismatch",
    ];
}

/// A value whose signature, certificate chain, revocation status and rights were checked.
/// The original compact JWS travels with it, so it can be stored and forwarded unchanged.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    sender: Arc<SenderCert>,
    raw: String,
}

impl<T> Verified<T> {
    pub(crate) fn new(value: T, sender: Arc<SenderCert>, raw: String) -> Verified<T> {
        Verified { value, sender, raw }
    }
    pub fn value(&self) -> &T {
        &self.value
    }
    pub fn into_value(self) -> T {
        self.value
    }
    /// The compact JWS exactly as received.
    pub fn raw(&self) -> &str {
        &self.raw
    }
    pub fn sender(&self) -> &CertInfo {
        &self.sender.info
    }
}

impl<T> std::ops::Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A sender certificate that chains to the root, with its key ready to verify.
pub struct SenderCert {
    info: CertInfo,
    key: zip215::PublicKey,
}

impl SenderCert {
    pub fn info(&self) -> &CertInfo {
        &self.info
    }
}

impl fmt::Debug for SenderCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.info.fmt(f)
    }
}

/// How many entries each cache of a [`Verifier`] holds before it is emptied.
const CACHE_ENTRIES: usize = 10_000;
/// The longest header part the header cache keeps (a node's is about 1.9 KB), which bounds its
/// memory; a longer one is checked in full every time.
const MAX_CACHED_HEADER_BYTES: usize = 4 * 1024;

/// A header part that passed steps 3–13 of PROTOCOL.md §7.7 with this `typ`, and the sender it
/// names.
struct CheckedHeader {
    typ: String,
    sender: Arc<SenderCert>,
}

/// A compact JWS that passed every check before its signature (PROTOCOL.md §7.7 steps 1–14):
/// what the signature check (step 15) and the checks after it need.
struct Prepared<'a> {
    jws: &'a str,
    /// Bytes of the header part.
    header_len: usize,
    /// Bytes of `header.payload`, the signed input.
    signed_len: usize,
    typ: &'a str,
    sender: Arc<SenderCert>,
    /// Whether the header came from the header cache; if not, it goes there once the signature
    /// verified.
    cached: bool,
}

impl Prepared<'_> {
    fn header(&self) -> &str {
        &self.jws[..self.header_len]
    }
    fn signed(&self) -> &[u8] {
        &self.jws.as_bytes()[..self.signed_len]
    }
    fn signature(&self) -> &str {
        &self.jws[self.signed_len + 1..]
    }
    /// The payload part (base64url, not yet decoded).
    fn payload(&self) -> &str {
        &self.jws[self.header_len + 1..self.signed_len]
    }
}

/// Verifies messages for one alliance: its root, its current revocation list and roster, and
/// optionally the receiving organisation (then `aud` must be `*` or that organisation).
pub struct Verifier {
    root: Root,
    revoked: RevocationList,
    roster: Option<Roster>,
    receiver: Option<OrgId>,
    /// Certificates already chained to the root, by their x5c text: one chain check per sender.
    certs: RwLock<HashMap<String, Arc<SenderCert>>>,
    /// Header parts of JWS whose signature verified, as received: every message of a sender
    /// carries the same header part, so steps 3–13 of PROTOCOL.md §7.7 run once per sender (they
    /// depend on nothing but the header part and the root). Only headers on a verified signature
    /// get here, so only key holders can fill it.
    headers: RwLock<HashMap<String, CheckedHeader>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("root", &self.root)
            .field("revoked", &self.revoked.serials.len())
            .field("receiver", &self.receiver)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    pub fn new(root: Root) -> Verifier {
        Verifier {
            root,
            revoked: RevocationList::default(),
            roster: None,
            receiver: None,
            certs: RwLock::default(),
            headers: RwLock::default(),
        }
    }

    pub fn with_revocations(mut self, list: RevocationList) -> Verifier {
        self.revoked = list;
        self
    }

    pub fn with_roster(mut self, roster: Roster) -> Verifier {
        self.roster = Some(roster);
        self
    }

    pub fn for_receiver(mut self, org: OrgId) -> Verifier {
        self.receiver = Some(org);
        self
    }

    /// The same trust (root, revocations, roster) without the receiver check: for a node's own
    /// direct messages that a peer returns after a restore (§7.9), which name the peer as `aud`.
    pub fn for_any_receiver(&self) -> Verifier {
        Verifier {
            root: self.root.clone(),
            revoked: self.revoked.clone(),
            roster: self.roster.clone(),
            receiver: None,
            certs: RwLock::default(),
            headers: RwLock::default(),
        }
    }

    pub fn root(&self) -> &Root {
        &self.root
    }
    pub fn roster(&self) -> Option<&Roster> {
        self.roster.as_ref()
    }
    pub fn revocations(&self) -> &RevocationList {
        &self.revoked
    }

    fn sender_cert(&self, header: &Header) -> Result<Arc<SenderCert>, VerifyError> {
        let Some([x5c]) = header.x5c.as_deref() else {
            return Err(VerifyError::MissingCertificate);
        };
        // The same sender sends the same x5c text every time: look it up before decoding.
        if let Some(found) = self.certs.read().ok().and_then(|c| c.get(x5c).cloned()) {
            if header.kid.as_deref() != Some(found.info.fingerprint.as_str()) {
                return Err(VerifyError::KidMismatch {
                    kid: header.kid.clone(),
                });
            }
            return Ok(found);
        }
        let der = STANDARD
            .decode(x5c)
            .map_err(|_| VerifyError::BadCertificate("x5c is not base64".into()))?;
        let cert = X509::from_der(&der)
            .map_err(|_| VerifyError::BadCertificate("x5c is not a DER certificate".into()))?;
        let fp = pki::fingerprint(&cert).map_err(|e| VerifyError::BadCertificate(e.to_string()))?;
        if header.kid.as_deref() != Some(fp.as_str()) {
            return Err(VerifyError::KidMismatch {
                kid: header.kid.clone(),
            });
        }
        if !self.root.issued(&cert) {
            return Err(VerifyError::UnknownIssuer);
        }
        let info = CertInfo::read(&cert).map_err(|e| VerifyError::BadCertificate(e.to_string()))?;
        let sender = Arc::new(SenderCert {
            key: zip215::PublicKey::new(&info.public_key),
            info,
        });
        if let Ok(mut certs) = self.certs.write() {
            // Bounded: an attacker must not grow it without limit with fresh certificates
            // (only certificates the root issued get here, but stay careful).
            if certs.len() >= CACHE_ENTRIES {
                certs.clear();
            }
            certs.insert(x5c.clone(), sender.clone());
        }
        Ok(sender)
    }

    /// Steps 3–13 of PROTOCOL.md §7.7 on the header part `h64`, expecting `typ`: the sender.
    fn check_header(&self, h64: &str, typ: &str) -> Result<Arc<SenderCert>, VerifyError> {
        let header_json = URL_SAFE_NO_PAD
            .decode(h64)
            .map_err(|_| VerifyError::Malformed("header is not base64url".into()))?;
        // Steps 4–5 read `alg` from the JSON as it is; step 6 parses the text again as a JOSE
        // header, which also refuses a registered parameter given twice (the first parse keeps
        // the last of duplicate members without a word, so it cannot serve for step 6).
        let alg = serde_json::from_slice::<serde_json::Value>(&header_json)
            .map_err(|e| VerifyError::Malformed(format!("header is not JSON: {e}")))?
            .get("alg")
            .and_then(|a| a.as_str().map(str::to_owned))
            .ok_or_else(|| VerifyError::Malformed("header has no alg".into()))?;
        if alg != "EdDSA" {
            return Err(VerifyError::Algorithm(alg));
        }
        let header: Header = serde_json::from_slice(&header_json)
            .map_err(|e| VerifyError::Malformed(format!("header: {e}")))?;
        if header.typ.as_deref() != Some(typ) {
            return Err(VerifyError::WrongType(header.typ));
        }
        if header.crit.is_some() {
            return Err(VerifyError::Malformed(
                "header has crit parameters this version does not know".into(),
            ));
        }
        self.sender_cert(&header)
    }

    /// Steps 2–14 of PROTOCOL.md §7.7 with `typ`: framing, header, sender certificate (chain
    /// and revocation). A header part seen before on a verified signature with the same `typ`
    /// skips steps 3–13; revocation (14) is checked every time.
    fn before_signature<'a>(
        &self,
        jws: &'a str,
        typ: &'a str,
    ) -> Result<Prepared<'a>, VerifyError> {
        let mut parts = jws.split('.');
        let (Some(h64), Some(p64), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed(
                "not three dot-separated parts".into(),
            ));
        };
        let hit = self.headers.read().ok().and_then(|headers| {
            headers
                .get(h64)
                .filter(|h| h.typ == typ)
                .map(|h| h.sender.clone())
        });
        let cached = hit.is_some();
        let sender = match hit {
            Some(sender) => sender,
            None => self.check_header(h64, typ)?,
        };
        if self.revoked.contains(&sender.info.serial) {
            return Err(VerifyError::Revoked {
                serial: sender.info.serial.clone(),
            });
        }
        Ok(Prepared {
            jws,
            header_len: h64.len(),
            signed_len: h64.len() + 1 + p64.len(),
            typ,
            sender,
            cached,
        })
    }

    /// Step 15 for each JWS, in order: whether its Ed25519 signature verifies by ZIP-215 with
    /// its sender's key (PROTOCOL.md §7.7). More than one are checked as one batch, then one by
    /// one only if the batch fails; the verdicts are the same either way.
    fn signatures_ok(&self, prepared: &[&Prepared<'_>]) -> Vec<bool> {
        let items: Vec<_> = prepared
            .iter()
            .map(|p| {
                (
                    &p.sender.key,
                    zip215::decode_signature(p.signature()),
                    p.signed(),
                )
            })
            .collect();
        let verdicts = zip215::verify_batch(&items);
        for (p, ok) in prepared.iter().zip(&verdicts) {
            if *ok && !p.cached && p.header_len <= MAX_CACHED_HEADER_BYTES {
                self.remember_header(p);
            }
        }
        verdicts
    }

    fn remember_header(&self, p: &Prepared<'_>) {
        if let Ok(mut headers) = self.headers.write() {
            if headers.len() >= CACHE_ENTRIES {
                headers.clear();
            }
            headers.insert(
                p.header().to_owned(),
                CheckedHeader {
                    typ: p.typ.to_owned(),
                    sender: p.sender.clone(),
                },
            );
        }
    }

    /// Steps 2–15 of PROTOCOL.md §7.7 with `typ`: framing, header, sender certificate (chain
    /// and revocation) and signature; returns the sender.
    pub(crate) fn check_header_and_signature(
        &self,
        jws: &str,
        typ: &str,
    ) -> Result<Arc<SenderCert>, VerifyError> {
        let prepared = self.before_signature(jws, typ)?;
        if self.signatures_ok(&[&prepared]) == [true] {
            Ok(prepared.sender)
        } else {
            Err(VerifyError::BadSignature)
        }
    }

    /// Steps 1–14 of PROTOCOL.md §7.7 for a message.
    fn pre_signature<'a>(&self, jws: &'a str) -> Result<Prepared<'a>, VerifyError> {
        if jws.len() > MAX_TRUST_MESSAGE_BYTES {
            return Err(VerifyError::TooLarge {
                size: jws.len(),
                limit: MAX_TRUST_MESSAGE_BYTES,
            });
        }
        self.before_signature(jws, TYP)
    }

    /// Verifies one compact JWS at time `now` (Unix seconds).
    ///
    /// Size is checked twice: against [`MAX_TRUST_MESSAGE_BYTES`] before anything else, and
    /// against the kind's own limit ([`max_message_bytes`]) as soon as the kind is known, before
    /// the body is parsed (PROTOCOL.md §7.7 steps 1 and 21).
    pub fn verify(&self, jws: &str, now: i64) -> Result<Verified<Message>, VerifyError> {
        let prepared = self.pre_signature(jws)?;
        if self.signatures_ok(&[&prepared]) != [true] {
            return Err(VerifyError::BadSignature);
        }
        self.after_signature(&prepared, now)
    }

    /// Verifies several compact JWS at time `now`: exactly what [`Verifier::verify`] returns for
    /// each, in order, but the signatures of all that pass the checks before it (PROTOCOL.md
    /// §7.7 steps 1–14) are checked as one batch, which costs half as much per signature or less
    /// (`examples/crypto-bench.rs`). When the batch fails they are checked one by one, so a bad
    /// signature fails its own message only.
    pub fn verify_many<S: AsRef<str>>(
        &self,
        jwss: &[S],
        now: i64,
    ) -> Vec<Result<Verified<Message>, VerifyError>> {
        let prepared: Vec<Result<Prepared<'_>, VerifyError>> = jwss
            .iter()
            .map(|jws| self.pre_signature(jws.as_ref()))
            .collect();
        let to_check: Vec<&Prepared<'_>> =
            prepared.iter().filter_map(|p| p.as_ref().ok()).collect();
        let mut signatures = self.signatures_ok(&to_check).into_iter();
        prepared
            .into_iter()
            .map(|p| {
                let p = p?;
                if signatures.next() != Some(true) {
                    return Err(VerifyError::BadSignature);
                }
                self.after_signature(&p, now)
            })
            .collect()
    }

    /// Steps 16–36 of PROTOCOL.md §7.7, for a message whose signature verified.
    fn after_signature(
        &self,
        prepared: &Prepared<'_>,
        now: i64,
    ) -> Result<Verified<Message>, VerifyError> {
        let (jws, sender) = (prepared.jws, &prepared.sender);
        let payload = URL_SAFE_NO_PAD
            .decode(prepared.payload())
            .map_err(|_| VerifyError::Malformed("payload is not base64url".into()))?;
        if !crate::objects::is_object(&payload) {
            return Err(VerifyError::Claims(
                "the claims are not a JSON object".into(),
            ));
        }
        let claims: ClaimsIn<'_> =
            serde_json::from_slice(&payload).map_err(|e| VerifyError::Claims(e.to_string()))?;
        if claims.v != VERSION {
            return Err(VerifyError::UnsupportedVersion(claims.v));
        }
        let info = &sender.info;
        if claims.iss != info.org_id.as_str() {
            return Err(VerifyError::IssuerMismatch {
                iss: claims.iss,
                certificate: info.org_id.to_string(),
            });
        }
        let kind: Kind = claims
            .kind
            .parse()
            .map_err(|()| VerifyError::UnknownKind(claims.kind.clone()))?;
        let limit = max_message_bytes(kind);
        if jws.len() > limit {
            return Err(VerifyError::TooLarge {
                size: jws.len(),
                limit,
            });
        }
        let body = Body::parse(kind, claims.body.get())
            .map_err(|reason| VerifyError::Body { kind, reason })?;
        if claims.iat > now + MAX_CLOCK_SKEW_SECS {
            return Err(VerifyError::FromTheFuture {
                iat: claims.iat,
                now,
            });
        }
        if claims.iat < info.not_before
            || claims.iat > info.not_after
            || now < info.not_before - MAX_CLOCK_SKEW_SECS
        {
            return Err(VerifyError::CertificateExpired {
                at: claims.iat,
                not_before: info.not_before,
                not_after: info.not_after,
            });
        }
        let aud: Audience = claims
            .aud
            .parse()
            .map_err(|e| VerifyError::Claims(format!("aud: {e}")))?;
        let jti = Uuid::try_parse(&claims.jti)
            .ok()
            .filter(|u| u.get_version_num() == 7 && u.hyphenated().to_string() == claims.jti)
            .ok_or_else(|| {
                VerifyError::Claims(format!(
                    "jti {:?} is not a lower-case hyphenated UUIDv7",
                    claims.jti
                ))
            })?;
        let stream: Stream = claims
            .stream
            .parse()
            .map_err(|()| VerifyError::Stream(format!("unknown stream {:?}", claims.stream)))?;
        let expected = Stream::for_message(kind, &aud);
        if stream != expected {
            return Err(VerifyError::Stream(format!(
                "{kind} to {aud} belongs on stream {expected}, not {stream}"
            )));
        }
        if (stream == Stream::Control) != (claims.seq == 0) {
            return Err(VerifyError::Stream(format!(
                "seq {} on stream {stream}",
                claims.seq
            )));
        }

        let rule = kind.rule();
        let deny = |detail: String| VerifyError::NotPermitted {
            kind,
            sender_kind: info.kind,
            detail,
        };
        if !rule.senders.contains(&info.kind) {
            return Err(deny(String::new()));
        }
        let recipient_kinds = match (rule.route, &aud) {
            (Route::Broadcast, Audience::All) => None,
            (Route::Direct(kinds), Audience::Org(o)) if o != &info.org_id => Some((o, kinds)),
            (Route::Direct(_), Audience::Org(_)) => return Err(deny(" to itself".into())),
            (Route::Broadcast, Audience::Org(_)) => {
                return Err(deny(" as a direct message".into()));
            }
            (Route::Direct(_), Audience::All) => return Err(deny(" to the whole alliance".into())),
        };
        if let Some(roster) = &self.roster {
            let on_roster = roster
                .org(&info.org_id)
                .ok_or_else(|| VerifyError::NotOnRoster {
                    org: info.org_id.to_string(),
                })?;
            if on_roster.kind != info.kind {
                return Err(VerifyError::RosterKindMismatch {
                    org: info.org_id.to_string(),
                    certificate: info.kind,
                    roster: on_roster.kind,
                });
            }
            if let Some((to, kinds)) = recipient_kinds {
                let to_kind = roster
                    .org(to)
                    .ok_or_else(|| VerifyError::NotOnRoster {
                        org: to.to_string(),
                    })?
                    .kind;
                if !kinds.contains(&to_kind) {
                    return Err(deny(format!(" to a {to_kind}")));
                }
            }
        }
        if let (Some(me), Audience::Org(to)) = (&self.receiver, &aud)
            && me != to
        {
            return Err(VerifyError::NotForUs {
                aud: to.to_string(),
            });
        }

        let message = Message {
            iss: info.org_id.clone(),
            aud,
            jti,
            iat: claims.iat,
            stream,
            seq: claims.seq,
            body,
        };
        Ok(Verified {
            value: message,
            sender: sender.clone(),
            raw: jws.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::vectors::{TestAlliance, sample_offer};

    #[test]
    fn a_verifier_is_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Verifier>();
        shared::<Verified<Message>>();
    }

    #[test]
    fn only_headers_on_a_verified_signature_are_remembered() {
        let a = TestAlliance::new(1_790_000_000).unwrap();
        let v = a.verifier().unwrap();
        let street = a.node("xueyuan-nanlu");
        let sign = |seq| {
            let msg = Message::new(
                street.org_id.clone(),
                Audience::All,
                seq,
                a.now,
                sample_offer(),
            );
            street.signer.sign(&msg).unwrap()
        };
        let headers = || v.headers.read().unwrap().len();
        let (one, two) = (sign(1), sign(2));
        let forged = format!("{}.{}", one.rsplit_once('.').unwrap().0, "A".repeat(86));
        assert_eq!(
            v.verify(&forged, a.now).unwrap_err(),
            VerifyError::BadSignature
        );
        assert_eq!(headers(), 0, "a bad signature leaves the cache alone");
        assert!(v.verify(&one, a.now).is_ok());
        assert_eq!(headers(), 1);
        let p = v.pre_signature(&two).unwrap();
        assert!(p.cached, "the second message of a sender skips steps 3-13");
        assert!(
            v.verify_many(&[&two, &one], a.now)
                .iter()
                .all(Result::is_ok)
        );
        assert_eq!(headers(), 1);
        // A user token from the same sender has another header part (its typ).
        let token = street
            .signer
            .sign_user_token(&crate::token::UserClaims {
                iss: street.org_id.clone(),
                sub: "u".into(),
                role: crate::token::Role::Member,
                iat: a.now,
                exp: a.now + 60,
            })
            .unwrap();
        assert!(v.verify_user_token(&token, a.now).is_ok());
        assert_eq!(headers(), 2);
    }

    #[test]
    fn serde_alone_would_take_an_array_for_the_claims() {
        // Why `verify` checks for an object before parsing `ClaimsIn` (PROTOCOL.md §4.3).
        let array = r#"[1, "a", "*", "j", 0, "all", 1, "offer.published", {}]"#;
        assert!(serde_json::from_str::<ClaimsIn<'_>>(array).is_ok());
        assert!(!crate::objects::is_object(array.as_bytes()));
    }
}
