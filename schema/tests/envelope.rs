//! Sign → verify round trips, and every hostile case of the vectors on a fresh alliance.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use tongxin_schema::envelope::{Audience, Message, Stream, VerifyError};
use tongxin_schema::v1::{Body, Kind};
use tongxin_schema::vectors::{TestAlliance, cases, sample_offer};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn round_trip_keeps_every_claim() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let sent = Message::new(
        street.org_id.clone(),
        Audience::All,
        42,
        a.now,
        sample_offer(),
    );
    let jws = street.signer.sign(&sent).unwrap();
    let got = v.verify(&jws, a.now).unwrap();
    assert_eq!(got.value(), &sent);
    assert_eq!(got.raw(), jws);
    assert_eq!(got.sender().org_id, street.org_id);
    assert_eq!(got.stream, Stream::All);
    assert_eq!(got.kind(), Kind::OfferPublished);
    assert_eq!(sent.routing_key(), "all.offer.published");
    assert!(matches!(got.body, Body::OfferPublished(ref o) if o.capacity == 20));
}

#[test]
fn every_case_gets_its_verdict() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let all = cases(&a);
    assert!(all.len() >= 40, "only {} cases", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let got = match v.verify(&c.jws, a.now) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        };
        if got != c.expect {
            failures.push(format!(
                "{}: expected {}, got {got} ({:?})",
                c.name,
                c.expect,
                v.verify(&c.jws, a.now).err()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_verifier_without_crl_or_roster_still_refuses_foreign_roots() {
    let a = TestAlliance::new(now()).unwrap();
    let bare = tongxin_schema::Verifier::new(a.root.clone());
    let foreign = Message::new(
        a.foreign.org_id.clone(),
        Audience::All,
        1,
        a.now,
        sample_offer(),
    );
    let err = bare
        .verify(&a.foreign.signer.sign(&foreign).unwrap(), a.now)
        .unwrap_err();
    assert_eq!(err, VerifyError::UnknownIssuer);
    // Without a CRL the revoked node's messages pass the envelope check: revocation is only as
    // good as the list a node holds, which is why nodes load it before consuming.
    let revoked = a.node("revoked-unit");
    let m = Message::new(
        revoked.org_id.clone(),
        Audience::All,
        1,
        a.now,
        sample_offer(),
    );
    assert!(
        bare.verify(&revoked.signer.sign(&m).unwrap(), a.now)
            .is_ok()
    );
}

#[test]
fn error_codes_are_listed() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    for c in cases(&a) {
        if let Err(e) = v.verify(&c.jws, a.now) {
            assert!(VerifyError::CODES.contains(&e.code()), "{}", e.code());
        }
    }
}
