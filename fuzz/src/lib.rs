//! Fixtures shared by the fuzz targets: the checked-in test alliance of `schema/vectors/`
//! (root, CRL, roster, receiver and `now` of its manifest), built once per process.
//!
//! The vectors are fixed files, not a fresh `TestAlliance` (whose keys are random): a crash
//! input then reproduces on any machine, in any later run, as long as the vectors are the same.
//! Everything here is test material (the vectors' private keys included).

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use tongxin_schema::pki::{self, RevocationList, Root};
use tongxin_schema::roster::Roster;
use tongxin_schema::{Signer, Verifier};

macro_rules! vector {
    ($file:literal) => {
        include_str!(concat!("../../schema/vectors/", $file))
    };
}

pub const MANIFEST: &str = vector!("manifest.json");
pub const ROOT_PEM: &str = vector!("root.pem");
pub const ROOT_KEY_PEM: &str = vector!("keys/root.key");
pub const CRL_PEM: &str = vector!("crl.pem");
pub const ROSTER_JWS: &str = vector!("roster.jws");
pub const STREET_KEY_PEM: &str = vector!("keys/xueyuan-nanlu.key");
pub const STREET_CERT_PEM: &str = vector!("certs/xueyuan-nanlu.pem");

/// The valid messages the mutating targets start from (the `ok-*` vectors, but the 78 KB one).
pub const VALID: [&str; 4] = [
    vector!("cases/ok-offer-broadcast.jws"),
    vector!("cases/ok-claim-direct.jws"),
    vector!("cases/ok-hello-control.jws"),
    vector!("cases/ok-roster-from-authority.jws"),
];

/// Everything the targets need, made once.
pub struct Fixture {
    /// `now` of the vectors' manifest: every valid vector verifies at this time.
    pub now: i64,
    pub root: Root,
    pub root_key: PKey<Private>,
    pub verifier: Verifier,
    /// The street (`xueyuan-nanlu`): its key, certificate and the header it signs with, as the
    /// base64url text of the first part of its valid offer.
    pub street_key: PKey<Private>,
    pub street_cert: X509,
    pub street_signer: Signer,
    pub street_header_b64: String,
    /// The header of the checked-in roster (typ `tongxin-roster+jwt`), base64url.
    pub roster_header_b64: String,
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let manifest: serde_json::Value =
            serde_json::from_str(MANIFEST).expect("vectors/manifest.json");
        let now = manifest["now"].as_i64().expect("manifest now");
        let receiver = manifest["receiver"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .expect("manifest receiver");
        let root = Root::from_pem(ROOT_PEM.as_bytes()).expect("root.pem");
        let verifier = Verifier::new(root.clone())
            .with_revocations(RevocationList::from_pem(&root, CRL_PEM.as_bytes()).expect("crl.pem"))
            .with_roster(Roster::verify(&root, ROSTER_JWS).expect("roster.jws"))
            .for_receiver(receiver);
        let first_part = |jws: &str| jws.split('.').next().unwrap_or_default().to_owned();
        let street_key = pki::load_key(STREET_KEY_PEM.as_bytes()).expect("street key");
        let street_cert = X509::from_pem(STREET_CERT_PEM.as_bytes()).expect("street cert");
        let fixture = Fixture {
            now,
            root_key: pki::load_key(ROOT_KEY_PEM.as_bytes()).expect("keys/root.key"),
            street_signer: Signer::new(&street_key, &street_cert).expect("street signer"),
            street_key,
            street_cert,
            street_header_b64: first_part(VALID[0]),
            roster_header_b64: first_part(ROSTER_JWS),
            root,
            verifier,
        };
        for jws in VALID {
            assert!(
                fixture.verifier.verify(jws, now).is_ok(),
                "a valid vector does not verify: the fixtures are out of date"
            );
        }
        fixture
    })
}

/// `header_b64 . base64url(payload) . signature`, signed with `key` (Ed25519) over the exact
/// bytes: the payload need not be JSON, so the fuzzer reaches everything after the signature.
pub fn sign_compact(key: &PKey<Private>, header_b64: &str, payload: &[u8]) -> String {
    let signing_input = format!("{header_b64}.{}", URL_SAFE_NO_PAD.encode(payload));
    let mut signer = openssl::sign::Signer::new_without_digest(key).expect("Ed25519 signer");
    let sig = signer
        .sign_oneshot_to_vec(signing_input.as_bytes())
        .expect("Ed25519 signature");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}
