//! The checked-in vectors under schema/vectors/ get their recorded verdicts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::path::Path;

use tongxin_schema::pki::{RevocationList, Root};
use tongxin_schema::roster::Roster;

#[test]
fn checked_in_vectors_verify_as_recorded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    let root = Root::from_pem(read("root.pem").as_bytes()).unwrap();
    let v = tongxin_schema::Verifier::new(root.clone())
        .with_revocations(RevocationList::from_pem(&root, read("crl.pem").as_bytes()).unwrap())
        .with_roster(Roster::verify(&root, &read("roster.jws")).unwrap())
        .for_receiver(manifest["receiver"].as_str().unwrap().parse().unwrap());
    let now = manifest["now"].as_i64().unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for c in cases {
        let jws = read(c["file"].as_str().unwrap());
        let got = v
            .verify(&jws, now)
            .map(|_| "ok")
            .unwrap_or_else(|e| e.code());
        assert_eq!(got, c["expect"].as_str().unwrap(), "case {}", c["name"]);
    }
    // Member tokens (PROTOCOL.md §4.7): each verified as its host, with its nonce.
    let tokens = manifest["member_tokens"].as_array().unwrap();
    assert!(tokens.len() >= 10);
    for c in tokens {
        let got = v
            .verify_member_token(
                &read(c["file"].as_str().unwrap()),
                now,
                &c["host"].as_str().unwrap().parse().unwrap(),
                c["nonce"].as_str().unwrap(),
            )
            .map(|_| "ok")
            .unwrap_or_else(|e| e.code());
        assert_eq!(got, c["expect"].as_str().unwrap(), "token {}", c["name"]);
    }
}
