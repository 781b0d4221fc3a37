//! Certificates and revocation lists, two modes chosen by the first byte:
//!
//! - any input but `~…`: the bytes as a node certificate in DER (what an `x5c` entry decodes
//!   to) and in PEM (a roster entry, a node's configuration), read the way the verifier reads
//!   one (`fingerprint`, `Root::issued`, `Root::node_cert`, `CertInfo::read`); as a root
//!   certificate (`Root::from_pem`); and as a CRL checked against the root
//!   (`RevocationList::from_pem`). Nothing may panic. Seeds: the vectors' certificates (PEM and
//!   DER), root and CRL.
//! - `~` then structured input: `pki::make_crl` (the crate's only `unsafe` code, raw OpenSSL
//!   calls) with arbitrary serials, dates and `now`, signed by the vectors' root key. Under
//!   AddressSanitizer a leak or a bad free on any of its early returns is a crash. It must
//!   refuse a serial that is not all hex digits, and a CRL it makes must be accepted by
//!   `RevocationList::from_pem` with exactly the serials and the time it was given.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use openssl::bn::BigNum;
use openssl::x509::X509;
use tongxin_schema::pki::{self, CertInfo, RevocationList, Revoked, Root};

#[derive(Debug, Arbitrary)]
enum Serial {
    /// Upper-case hex of these bytes, as `CertInfo` writes serials.
    Hex(Vec<u8>),
    /// `-` then hex: a negative integer.
    Negative(Vec<u8>),
    /// Whatever string: mostly not hex at all.
    Text(String),
}

#[derive(Debug, Arbitrary)]
struct Entry {
    serial: Serial,
    org_id: String,
    revoked_at: i64,
}

#[derive(Debug, Arbitrary)]
struct CrlInput {
    now: i64,
    entries: Vec<Entry>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn read_cert(root: &Root, cert: &X509) {
    let _ = pki::fingerprint(cert);
    let _ = root.issued(cert);
    let _ = root.node_cert(cert);
    if let Ok(info) = CertInfo::read(cert) {
        assert_eq!(info.public_key.len(), 32, "an Ed25519 key is 32 bytes");
        assert_eq!(info.org_id.as_str().parse().ok(), Some(info.org_id.clone()));
    }
}

fn parse(data: &[u8]) {
    let f = tongxin_fuzz::fixture();
    if let Ok(cert) = X509::from_der(data) {
        read_cert(&f.root, &cert);
    }
    if let Ok(cert) = X509::from_pem(data) {
        read_cert(&f.root, &cert);
    }
    let _ = Root::from_pem(data);
    if let Ok(list) = RevocationList::from_pem(&f.root, data) {
        for serial in &list.serials {
            assert!(list.contains(serial));
        }
    }
}

fn build_crl(data: &[u8]) {
    let f = tongxin_fuzz::fixture();
    let Ok(input) = CrlInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let revoked: Vec<Revoked> = input
        .entries
        .into_iter()
        .take(64)
        .map(|e| Revoked {
            serial: match e.serial {
                Serial::Hex(b) => hex(&b),
                Serial::Negative(b) => format!("-{}", hex(&b)),
                Serial::Text(s) => s,
            },
            org_id: e.org_id,
            revoked_at: e.revoked_at,
        })
        .collect();
    let made = pki::make_crl(&f.root_key, f.root.cert(), &revoked, input.now);
    let hex_serials = revoked
        .iter()
        .all(|r| !r.serial.is_empty() && r.serial.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        hex_serials || made.is_err(),
        "a serial that is not hex went into a CRL"
    );
    let Ok(crl) = made else {
        return;
    };
    let pem = crl.to_pem().expect("a CRL we made encodes");
    let list = RevocationList::from_pem(&f.root, &pem).expect("a CRL we made is accepted");
    assert_eq!(
        list.issued_at, input.now,
        "thisUpdate is not the time it was made"
    );
    let expected: BTreeSet<String> = revoked
        .iter()
        .map(|r| {
            let bn = BigNum::from_hex_str(&r.serial).expect("make_crl took this serial");
            bn.to_hex_str().expect("hex").to_string()
        })
        .collect();
    assert_eq!(
        list.serials, expected,
        "the CRL does not list the serials it was given"
    );
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((b'~', rest)) => build_crl(rest),
        _ => parse(data),
    }
});
