//! The Merkle tree head of a counterpart's check-ins in a participation report, and inclusion
//! proofs of one check-in (PROTOCOL.md §10.3): Certificate Transparency's tree (RFC 6962 §2.1)
//! over the 16 bytes of each `checkin.attested` jti, sorted and without repetition, so that the
//! host and the home of an honest pair compute the same root from the same messages.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A SHA-256 hash.
pub type Hash = [u8; 32];

fn leaf_hash(jti: &Uuid) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(jti.as_bytes());
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two below `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The leaves in tree order: sorted by their bytes, each once.
pub fn leaves(jtis: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let mut v: Vec<Uuid> = jtis.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn mth(leaves: &[Uuid]) -> Hash {
    match leaves {
        [] => Sha256::digest([]).into(),
        [one] => leaf_hash(one),
        _ => {
            let k = split(leaves.len());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// The tree head over `jtis` (sorted and deduplicated here).
pub fn root(jtis: impl IntoIterator<Item = Uuid>) -> Hash {
    mth(&leaves(jtis))
}

/// The tree head as the report writes it: 64 lower-case hex digits.
pub fn root_hex(jtis: impl IntoIterator<Item = Uuid>) -> String {
    hex::encode(root(jtis))
}

/// An inclusion proof of one check-in (RFC 6962 §2.1.1): where its leaf is, how many leaves the
/// tree has, and the sibling hashes from the leaf up.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub jti: Uuid,
    pub index: u64,
    pub tree_size: u64,
    /// Hex, from the leaf's sibling up to the root's children.
    pub path: Vec<String>,
}

fn path(index: usize, leaves: &[Uuid]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    if index < k {
        let mut p = path(index, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(index - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// The proof that `jti` is among `jtis`, if it is.
pub fn prove(jti: Uuid, jtis: impl IntoIterator<Item = Uuid>) -> Option<InclusionProof> {
    let leaves = leaves(jtis);
    let index = leaves.binary_search(&jti).ok()?;
    Some(InclusionProof {
        jti,
        index: index as u64,
        tree_size: leaves.len() as u64,
        path: path(index, &leaves).iter().map(hex::encode).collect(),
    })
}

/// Why a proof does not lead to a root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below the tree size {tree_size}")]
    Index { index: u64, tree_size: u64 },
    #[error("path entry {0} is not 64 hex digits")]
    Hex(usize),
    #[error("the path has {got} hashes; a leaf at {index} of {tree_size} needs {want}")]
    Length {
        got: usize,
        want: usize,
        index: u64,
        tree_size: u64,
    },
    #[error("the proof leads to {got}, not to the report's root {want}")]
    Root { got: String, want: String },
}

/// Recomputes the root from the proof (RFC 9162 §2.1.3.2, the same tree) and compares it with
/// `root_hex`, the report's entry.
pub fn verify(p: &InclusionProof, root_hex: &str) -> Result<(), ProofError> {
    let (index, size) = (p.index, p.tree_size);
    if index >= size {
        return Err(ProofError::Index {
            index,
            tree_size: size,
        });
    }
    let mut hashes = Vec::with_capacity(p.path.len());
    for (n, h) in p.path.iter().enumerate() {
        let bytes: Hash = hex::decode(h)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(ProofError::Hex(n))?;
        hashes.push(bytes);
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = leaf_hash(&p.jti);
    for (used, c) in hashes.iter().enumerate() {
        if sn == 0 {
            return Err(length(p, used + 1));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(c, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(length(p, hashes.len() + 1));
    }
    let got = hex::encode(r);
    if got != root_hex {
        return Err(ProofError::Root {
            got,
            want: root_hex.to_owned(),
        });
    }
    Ok(())
}

fn length(p: &InclusionProof, at_least: usize) -> ProofError {
    ProofError::Length {
        got: p.path.len(),
        want: path_len(p.index, p.tree_size).max(at_least),
        index: p.index,
        tree_size: p.tree_size,
    }
}

/// How many hashes the audit path of leaf `index` in a tree of `size` leaves has.
fn path_len(index: u64, size: u64) -> usize {
    if size <= 1 {
        return 0;
    }
    let k = split(size as usize) as u64;
    1 + if index < k {
        path_len(index, k)
    } else {
        path_len(index - k, size - k)
    }
}

/// The test vectors of `schema/vectors/merkle.json` (PROTOCOL.md §10.3): trees of 0–7 leaves
/// (jtis given unsorted, so that the order rule is exercised), each with its root and the proof
/// of every leaf.
pub fn vectors() -> serde_json::Value {
    let jti = |n: u128| Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0000 + n);
    let trees: Vec<serde_json::Value> = (0..=7u128)
        .map(|n| {
            // Given in descending order: the tree sorts them.
            let given: Vec<Uuid> = (1..=n).rev().map(|i| jti(0x101 + i * 7)).collect();
            let proofs: Vec<InclusionProof> = given
                .iter()
                .filter_map(|j| prove(*j, given.clone()))
                .collect();
            serde_json::json!({
                "leaves": given,
                "root": root_hex(given.clone()),
                "proofs": proofs,
            })
        })
        .collect();
    serde_json::json!({
        "about": "PROTOCOL.md §10.3: RFC 6962 Merkle tree heads over check-in jtis (16 bytes each, sorted ascending, without repetition), and the inclusion proof of each leaf. Generated by tongxin_schema::merkle::vectors().",
        "trees": trees,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u128) -> Vec<Uuid> {
        (1..=n)
            .map(|i| Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0000 + i))
            .collect()
    }

    #[test]
    fn every_leaf_of_every_small_tree_proves_and_nothing_else_does() {
        for n in 1..=17 {
            let all = ids(n);
            let root = root_hex(all.clone());
            for jti in &all {
                let p = prove(*jti, all.clone()).unwrap();
                assert_eq!(verify(&p, &root), Ok(()), "leaf {} of {n}", p.index);
                // Another jti on the same path, a moved index, a shortened path: refused.
                let mut other = p.clone();
                other.jti = Uuid::from_u128(7);
                assert!(verify(&other, &root).is_err());
                if n > 1 {
                    let mut moved = p.clone();
                    moved.index = (p.index + 1) % n as u64;
                    assert!(verify(&moved, &root).is_err(), "moved in {n}");
                    let mut short = p.clone();
                    short.path.pop();
                    assert!(verify(&short, &root).is_err(), "short in {n}");
                }
            }
            assert_eq!(prove(Uuid::from_u128(7), all), None);
        }
    }

    #[test]
    fn the_tree_is_rfc_6962s_and_ignores_order_and_repetition() {
        assert_eq!(
            root_hex([]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let all = ids(5);
        let mut shuffled = all.clone();
        shuffled.reverse();
        shuffled.push(all[2]);
        assert_eq!(root(shuffled), root(all.clone()));
        // MTH of five leaves: (((0,1),(2,3)),4).
        let l: Vec<Hash> = all.iter().map(leaf_hash).collect();
        let want = node_hash(
            &node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3])),
            &l[4],
        );
        assert_eq!(root(all), want);
    }
}
