//! Ed25519 signatures verified by the rules of ZIP-215 (PROTOCOL.md §1, §7.7 step 15): the
//! cofactored equation `[8](sB − R − kA) = 0` with `k = SHA-512(R ‖ A ‖ M)`, `s` canonical (below
//! the group order), `A` and `R` any 32 bytes that decode to curve points, canonical or not.
//!
//! Every signature RFC 8032 accepts is accepted. The verdict on a signature is the same whether it
//! is checked alone ([`verify`]) or in a batch with any others ([`verify_batch`]): the batch
//! equation is cofactored too, so the random coefficients cannot change it.

use std::convert::Infallible;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_zebra::{Signature, VerificationKey, VerificationKeyBytes, batch};
use rand_core::{TryCryptoRng, TryRng};

/// A public key ready to verify with.
#[derive(Clone)]
pub(crate) struct PublicKey {
    /// The 32 bytes and the point they decode to; `None` when they are not 32 bytes of a curve
    /// point: every signature is then refused, as every RFC 8032 verifier refuses it.
    key: Option<(VerificationKeyBytes, VerificationKey)>,
}

impl PublicKey {
    /// The key from its raw encoding (RFC 8032 §5.1.5).
    pub(crate) fn new(raw: &[u8]) -> PublicKey {
        let key = VerificationKeyBytes::try_from(raw)
            .ok()
            .and_then(|bytes| Some((bytes, VerificationKey::try_from(bytes).ok()?)));
        PublicKey { key }
    }
}

/// The signature part of a compact JWS: base64url (no padding) of exactly 64 bytes, else `None`.
pub(crate) fn decode_signature(sig64: &str) -> Option<Signature> {
    let bytes = URL_SAFE_NO_PAD.decode(sig64).ok()?;
    Signature::from_slice(&bytes).ok()
}

/// Whether `signature` over `msg` verifies with `key`.
pub(crate) fn verify(key: &PublicKey, signature: &Signature, msg: &[u8]) -> bool {
    key.key
        .as_ref()
        .is_some_and(|(_, point)| point.verify(signature, msg).is_ok())
}

/// The verdicts on signatures, in order, each exactly what [`verify`] gives it (an item without
/// a signature is refused). All signatures are checked in one batch; only when the batch fails
/// are they checked one by one, to find the ones that fail.
pub(crate) fn verify_batch(items: &[(&PublicKey, Option<Signature>, &[u8])]) -> Vec<bool> {
    let mut verdicts = vec![false; items.len()];
    // Only what can verify goes into the batch: a key that is no point, or a missing signature,
    // would fail it for all.
    let usable: Vec<(usize, VerificationKeyBytes, Signature)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, (key, signature, _))| Some((i, key.key.as_ref()?.0, (*signature)?)))
        .collect();
    if let [(i, _, signature)] = usable.as_slice() {
        // One signature: the single check is cheaper than a batch of one.
        let (key, _, msg) = items[*i];
        verdicts[*i] = verify(key, signature, msg);
        return verdicts;
    }
    let queued: Vec<(usize, batch::Item)> = usable
        .into_iter()
        .map(|(i, key, signature)| (i, batch::Item::from((key, signature, items[i].2))))
        .collect();
    if batch_verifies(queued.iter().map(|(_, item)| item.clone()), queued.len()) {
        for (i, _) in &queued {
            verdicts[*i] = true;
        }
    } else {
        for (i, item) in queued {
            verdicts[i] = item.verify_single().is_ok();
        }
    }
    verdicts
}

/// Whether the batch of `n` items verifies. `false` also when the operating system gives no
/// random bytes for the coefficients: the caller then checks one by one.
fn batch_verifies(items: impl Iterator<Item = batch::Item>, n: usize) -> bool {
    if n == 0 {
        return true;
    }
    // ed25519-zebra draws 16 bytes per signature; twice that leaves room.
    let mut random = vec![0u8; 32 * n];
    if getrandom::fill(&mut random).is_err() {
        return false;
    }
    let mut batch = batch::Verifier::new();
    for item in items {
        batch.queue(item);
    }
    let mut rng = Drawn {
        bytes: &random,
        short: false,
    };
    batch.verify(&mut rng).is_ok() && !rng.short
}

/// Random bytes drawn from the operating system in one call, each handed out once. Should they
/// run out, the rest is zeros and `short` is set, and the batch counts as failed.
struct Drawn<'a> {
    bytes: &'a [u8],
    short: bool,
}

impl TryRng for Drawn<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let n = dst.len().min(self.bytes.len());
        let (now, rest) = self.bytes.split_at(n);
        dst[..n].copy_from_slice(now);
        self.bytes = rest;
        if n < dst.len() {
            dst[n..].fill(0);
            self.short = true;
        }
        Ok(())
    }
}

/// The bytes come from the operating system's generator and are used once.
impl TryCryptoRng for Drawn<'_> {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::edwards::EdwardsPoint;
    use curve25519_dalek::scalar::Scalar;

    #[test]
    fn running_out_of_random_bytes_fails_the_batch_not_the_signatures() {
        let mut rng = Drawn {
            bytes: &[1, 2, 3],
            short: false,
        };
        let mut out = [9u8; 5];
        rng.try_fill_bytes(&mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 0, 0]);
        assert!(rng.short);
    }

    #[test]
    fn a_key_that_is_no_point_verifies_nothing() {
        // y = 2 is not the y-coordinate of a point on edwards25519.
        let mut raw = [0u8; 32];
        raw[0] = 2;
        let key = PublicKey::new(&raw);
        assert!(key.key.is_none());
        let sig = Signature::from_bytes(&[0; 64]);
        assert!(!verify(&key, &sig, b"m"));
        assert_eq!(
            verify_batch(&[(&key, Some(sig), b"m"), (&key, None, b"")]),
            [false, false]
        );
        assert!(PublicKey::new(&[0u8; 31]).key.is_none());
    }

    /// A signature by the key with seed `seed` whose `R` is `r·B + t` (see the test
    /// `a_signature_with_a_small_order_component_gets_one_verdict_alone_and_in_every_batch`).
    fn sign_with(seed: [u8; 32], msg: &[u8], t: EdwardsPoint) -> (PublicKey, Signature) {
        use sha2::{Digest, Sha512};
        let h = Sha512::digest(seed);
        let mut a: [u8; 32] = h[..32].try_into().unwrap();
        a[0] &= 248;
        a[31] &= 127;
        a[31] |= 64;
        let a = Scalar::from_bytes_mod_order(a);
        let public = EdwardsPoint::mul_base(&a).compress().to_bytes();
        let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest([&h[32..], msg].concat()).into());
        let big_r = (EdwardsPoint::mul_base(&r) + t).compress().to_bytes();
        let k = Scalar::from_bytes_mod_order_wide(
            &Sha512::digest([&big_r[..], &public, msg].concat()).into(),
        );
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&big_r);
        sig[32..].copy_from_slice(&(r + k * a).to_bytes());
        (PublicKey::new(&public), Signature::from_bytes(&sig))
    }

    #[test]
    fn the_batch_itself_passes_valid_and_small_order_signatures_and_fails_a_bad_one() {
        let identity = EdwardsPoint::default();
        let mut signed = Vec::new();
        for i in 0..12u8 {
            let t = [identity, EIGHT_TORSION[1], EIGHT_TORSION[4]][usize::from(i % 3)];
            // Keys 0, 1, 2 sign several messages each.
            let (key, sig) = sign_with([i % 3; 32], &[i; 40], t);
            assert!(verify(&key, &sig, &[i; 40]), "{i}");
            signed.push((key, sig, [i; 40]));
        }
        let items = |n: usize| -> Vec<batch::Item> {
            signed[..n]
                .iter()
                .map(|(key, sig, msg)| {
                    batch::Item::from((key.key.as_ref().unwrap().0, *sig, &msg[..]))
                })
                .collect()
        };
        for n in [2, 3, 12] {
            for _ in 0..16 {
                assert!(batch_verifies(items(n).into_iter(), n), "a batch of {n}");
            }
        }
        let mut bad = items(12);
        bad[5] = batch::Item::from((signed[5].0.key.as_ref().unwrap().0, signed[5].1, &b"x"[..]));
        assert!(!batch_verifies(bad.into_iter(), 12));
        let msgs: Vec<&[u8]> = (0..12)
            .map(|i| if i == 5 { &b"x"[..] } else { &signed[i].2[..] })
            .collect();
        let verdicts = verify_batch(
            &signed
                .iter()
                .zip(&msgs)
                .map(|((key, sig, _), msg)| (key, Some(*sig), *msg))
                .collect::<Vec<_>>(),
        );
        assert_eq!(verdicts, (0..12).map(|i| i != 5).collect::<Vec<_>>());
    }

    #[test]
    fn a_signature_part_is_base64url_of_64_bytes() {
        let ok = URL_SAFE_NO_PAD.encode([7u8; 64]);
        assert!(decode_signature(&ok).is_some());
        assert!(decode_signature(&URL_SAFE_NO_PAD.encode([7u8; 63])).is_none());
        assert!(decode_signature(&URL_SAFE_NO_PAD.encode([7u8; 65])).is_none());
        assert!(decode_signature(&format!("{ok}=")).is_none());
        assert!(
            decode_signature(&format!("+{}", &ok[1..])).is_none(),
            "standard base64"
        );
        assert!(decode_signature("").is_none());
    }
}
