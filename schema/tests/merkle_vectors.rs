//! `schema/vectors/merkle.json` is what `tongxin_schema::merkle::vectors()` computes, and every
//! proof in it verifies against its tree's root.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::path::Path;
use tongxin_schema::merkle::{self, InclusionProof};

#[test]
fn checked_in_merkle_vectors_are_current_and_verify() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/merkle.json");
    let want = serde_json::to_string_pretty(&merkle::vectors()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "schema/vectors/merkle.json is stale; run UPDATE_SCHEMAS=1 cargo test -p tongxin-schema --test merkle_vectors"
    );
    let v: serde_json::Value = serde_json::from_str(&got).unwrap();
    for tree in v["trees"].as_array().unwrap() {
        let root = tree["root"].as_str().unwrap();
        let leaves = tree["leaves"].as_array().unwrap().len();
        let proofs = tree["proofs"].as_array().unwrap();
        assert_eq!(proofs.len(), leaves);
        for p in proofs {
            let p: InclusionProof = serde_json::from_value(p.clone()).unwrap();
            assert_eq!(merkle::verify(&p, root), Ok(()));
        }
    }
}
