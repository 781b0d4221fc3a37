//! Batch verification (`Verifier::verify_many`) against one-by-one verification (`verify`), the
//! ZIP-215 verdict on signatures with a small-order component, and the header cache.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use openssl::pkey::{PKey, Private};
use sha2::{Digest, Sha512};
use tongxin_schema::envelope::{Audience, Message, Verified, Verifier, VerifyError};
use tongxin_schema::pki::RevocationList;
use tongxin_schema::token::{Role, UserClaims};
use tongxin_schema::vectors::{TestAlliance, TestNode, cases, sample_offer};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn code(r: &Result<Verified<Message>, VerifyError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// A fresh, valid broadcast offer from `node`.
fn offer(a: &TestAlliance, node: &TestNode, seq: u64) -> String {
    let msg = Message::new(
        node.org_id.clone(),
        Audience::All,
        seq,
        a.now,
        sample_offer(),
    );
    node.signer.sign(&msg).unwrap()
}

/// `jws` with the character at `i` of part `part` (0, 1, 2) changed.
fn tamper(jws: &str, part: usize, i: usize) -> String {
    let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
    let mut bytes = parts[part].clone().into_bytes();
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    parts[part] = String::from_utf8(bytes).unwrap();
    parts.join(".")
}

/// `jws` with its signature part replaced.
fn with_signature(jws: &str, sig: &[u8]) -> String {
    let (signed, _) = jws.rsplit_once('.').unwrap();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Every vector, and more: valid messages from several senders, each tampered in its signature
/// and its payload, bad claims with a bad signature, signature parts that are not 64 bytes of
/// base64url. With the verdict `verify` gives each, checked against the vector's where it has one.
fn mix(a: &TestAlliance, v: &Verifier) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for c in cases(a) {
        assert_eq!(code(&v.verify(&c.jws, a.now)), c.expect, "{}", c.name);
        out.push((c.jws, c.expect));
    }
    let senders = ["xueyuan-nanlu", "youyi-nanli", "loue-jia", "lunan-zzb"];
    for (i, id) in senders.iter().enumerate() {
        let n = a.node(id);
        let good = offer(a, n, i as u64 + 1);
        let claims_part = good.split('.').nth(1).unwrap().to_owned();
        let bad_claims = good.replace(
            &claims_part,
            &URL_SAFE_NO_PAD.encode(br#"{"v":1,"iss":"nobody"}"#),
        );
        let sig = URL_SAFE_NO_PAD
            .decode(good.rsplit_once('.').unwrap().1)
            .unwrap();
        out.extend([
            (good.clone(), "ok"),
            (offer(a, n, i as u64 + 10), "ok"),
            (tamper(&good, 2, 10), "bad_signature"),
            (tamper(&good, 1, 20), "bad_signature"),
            // The claims are wrong too, but the signature (step 15) fails first.
            (tamper(&bad_claims, 2, 3), "bad_signature"),
            (with_signature(&good, &sig[..63]), "bad_signature"),
            (
                with_signature(&good, &[sig.clone(), vec![0]].concat()),
                "bad_signature",
            ),
            (
                format!("{}.@@", good.rsplit_once('.').unwrap().0),
                "bad_signature",
            ),
            (format!("{good}="), "bad_signature"),
            // s = s + l: the same point equation, but s not canonical.
            (with_signature(&good, &s_plus_l(&sig)), "bad_signature"),
        ]);
    }
    for (jws, expect) in &out {
        assert_eq!(code(&v.verify(jws, a.now)), *expect, "{jws:.80}");
    }
    out
}

/// The signature with `l` added to its `s`: non-canonical, refused by RFC 8032 and ZIP-215.
fn s_plus_l(sig: &[u8]) -> Vec<u8> {
    // l = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut out = sig.to_vec();
    let mut carry = 0u16;
    for (o, l) in out[32..].iter_mut().zip(L) {
        let sum = u16::from(*o) + u16::from(l) + carry;
        *o = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "s + l fits 256 bits since s < l");
    out
}

/// A small deterministic generator for the batches (xorshift64*).
struct Xorshift(u64);
impl Xorshift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// `verify_many` returns, in order, what `verify` returns for each: the same code, and for an
/// accepted message the same message.
fn assert_same_as_one_by_one(v: &Verifier, batch: &[&str], now: i64) {
    let many = v.verify_many(batch, now);
    assert_eq!(many.len(), batch.len());
    for (jws, got) in batch.iter().zip(&many) {
        let one = v.verify(jws, now);
        assert_eq!(code(got), code(&one), "{jws:.80}");
        if let (Ok(got), Ok(one)) = (got, &one) {
            assert_eq!(got.value(), one.value());
            assert_eq!(got.raw(), *jws);
            assert_eq!(got.sender().org_id, one.sender().org_id);
        }
    }
}

#[test]
fn verify_many_gives_every_message_the_verdict_verify_gives_it() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let mix = mix(&a, &v);
    let codes: std::collections::BTreeSet<&str> = mix.iter().map(|(_, c)| *c).collect();
    for c in [
        "ok",
        "bad_signature",
        "kid_mismatch",
        "revoked",
        "unknown_issuer",
        "not_for_us",
        "too_large",
        "claims",
        "malformed",
    ] {
        assert!(codes.contains(c), "the mix has no {c}");
    }
    let all: Vec<&str> = mix.iter().map(|(j, _)| j.as_str()).collect();
    assert_same_as_one_by_one(&v, &all, a.now);
    assert!(v.verify_many::<&str>(&[], a.now).is_empty());
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    for size in [1, 2, 3, 4, 7, 16, 33, 64] {
        for _ in 0..6 {
            let batch: Vec<&str> = (0..size).map(|_| all[rng.below(all.len())]).collect();
            assert_same_as_one_by_one(&v, &batch, a.now);
            // A verifier that has seen nothing yet (no cached headers or certificates).
            assert_same_as_one_by_one(&a.verifier().unwrap(), &batch, a.now);
        }
    }
    // Only valid messages: the batch passes as a whole.
    let valid: Vec<&str> = mix
        .iter()
        .filter(|(_, c)| *c == "ok")
        .map(|(j, _)| j.as_str())
        .collect();
    assert!(v.verify_many(&valid, a.now).iter().all(|r| r.is_ok()));
}

#[test]
fn one_bad_signature_in_the_middle_of_a_batch_fails_that_message_only() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let others = [street, a.node("loue-jia"), a.node("youyi-nanli")];
    for mixed in [false, true] {
        let mut batch: Vec<String> = (0..9)
            .map(|i| {
                let n = if mixed { others[i % 3] } else { street };
                offer(&a, n, i as u64 + 1)
            })
            .collect();
        batch[4] = tamper(&batch[4], 2, 7);
        let got = v.verify_many(&batch, a.now);
        for (i, r) in got.iter().enumerate() {
            if i == 4 {
                assert_eq!(r.as_ref().unwrap_err(), &VerifyError::BadSignature);
            } else {
                assert_eq!(r.as_ref().unwrap().raw(), batch[i], "message {i}");
            }
        }
    }
}

/// The expanded secret scalar of an Ed25519 key (RFC 8032 §5.1.5): SHA-512 of the seed, its
/// first half clamped.
fn secret_scalar(key: &PKey<Private>) -> Scalar {
    let h = Sha512::digest(key.raw_private_key().unwrap());
    let mut a: [u8; 32] = h[..32].try_into().unwrap();
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    Scalar::from_bytes_mod_order(a)
}

/// An Ed25519 signature of `msg` by `key` whose `R` is `r·B + t`: `k = SHA-512(R ‖ A ‖ M)`,
/// `s = r + k·a mod l`. Only the holder of the key can make one. With `t` the identity it is an
/// ordinary RFC 8032 signature (with a nonce of our choosing).
fn sign_with_torsion(key: &PKey<Private>, msg: &[u8], t: EdwardsPoint) -> [u8; 64] {
    let a = secret_scalar(key);
    let public = EdwardsPoint::mul_base(&a).compress().to_bytes();
    assert_eq!(
        public.as_slice(),
        key.raw_public_key().unwrap(),
        "the key's A"
    );
    let r = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(b"nonce")
            .chain_update(msg)
            .finalize()
            .into(),
    );
    let big_r = (EdwardsPoint::mul_base(&r) + t).compress().to_bytes();
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(big_r)
            .chain_update(public)
            .chain_update(msg)
            .finalize()
            .into(),
    );
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(&s.to_bytes());
    sig
}

/// `jws` signed again by `node` with `t` in its `R`.
fn resign(node: &TestNode, jws: &str, t: EdwardsPoint) -> String {
    let (signed, _) = jws.rsplit_once('.').unwrap();
    with_signature(jws, &sign_with_torsion(&node.key, signed.as_bytes(), t))
}

/// What RFC 8032's cofactorless check says (ed25519-dalek's `verify`, through jsonwebtoken, and
/// OpenSSL).
fn rfc8032_cofactorless_accepts(node: &TestNode, jws: &str) -> bool {
    let (signed, sig64) = jws.rsplit_once('.').unwrap();
    let key = jsonwebtoken::DecodingKey::from_ed_der(&node.key.raw_public_key().unwrap());
    let dalek = jsonwebtoken::crypto::verify(
        sig64,
        signed.as_bytes(),
        &key,
        jsonwebtoken::Algorithm::EdDSA,
    )
    .unwrap();
    let mut ossl = openssl::sign::Verifier::new_without_digest(&node.key).unwrap();
    let openssl = ossl
        .verify_oneshot(&URL_SAFE_NO_PAD.decode(sig64).unwrap(), signed.as_bytes())
        .unwrap_or(false);
    assert_eq!(dalek, openssl, "ed25519-dalek and OpenSSL differ");
    dalek
}

/// Why receivers verify by ZIP-215 (PROTOCOL.md §7.7 step 15). A key holder can make a signature
/// whose `R` has a small-order component `T` (`R = r·B + T`). RFC 8032's cofactorless check
/// (`sB = R + kA`, as ed25519-dalek's `verify` and OpenSSL do it) refuses it, since
/// `sB − kA = r·B ≠ R`; ed25519-dalek's `verify_batch`, cofactorless with random coefficients
/// `z`, checks `Σ z_i(s_i·B − R_i − k_i·A_i) = 0`, where this signature leaves `−z·T`: zero
/// whenever the random `z` is a multiple of the order of `T` (half the time for order 2, one in
/// eight for order 8), so its verdict would depend on chance and on the batch. The cofactored
/// equation of ZIP-215 (`[8](sB − R − kA) = 0`) accepts it, alone and in every batch alike.
#[test]
fn a_signature_with_a_small_order_component_gets_one_verdict_alone_and_in_every_batch() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let (order8, order2) = (EIGHT_TORSION[1], EIGHT_TORSION[4]);
    let identity = EdwardsPoint::default();
    assert_ne!(order8 + order8 + order8 + order8, identity, "T has order 8");
    assert_eq!((order8 + order8).mul_by_cofactor(), identity);
    assert_ne!(order2, identity);
    assert_eq!(order2 + order2, identity, "T has order 2");

    // Sanity: with T the identity, an ordinary signature that every verifier accepts.
    let plain = resign(street, &offer(&a, street, 1), identity);
    assert!(rfc8032_cofactorless_accepts(street, &plain));
    assert!(v.verify(&plain, a.now).is_ok());

    let t8 = resign(street, &offer(&a, street, 2), order8);
    let t2 = resign(street, &offer(&a, street, 3), order2);
    for t in [&t8, &t2] {
        assert!(
            !rfc8032_cofactorless_accepts(street, t),
            "RFC 8032 refuses it"
        );
        assert!(v.verify(t, a.now).is_ok(), "ZIP-215 accepts it");
        // And the token and certificate paths, which share the check, alike.
        let token = street
            .signer
            .sign_user_token(&UserClaims {
                iss: street.org_id.clone(),
                sub: "u".into(),
                role: Role::Member,
                iat: a.now,
                exp: a.now + 60,
            })
            .unwrap();
        assert!(
            v.verify_user_token(&resign(street, &token, order8), a.now)
                .is_ok()
        );
    }
    // Tampered after signing, it fails like any other.
    assert_eq!(
        v.verify(&tamper(&t8, 1, 30), a.now).unwrap_err(),
        VerifyError::BadSignature
    );

    let others: Vec<String> = ["loue-jia", "youyi-nanli", "xueyuan-nanlu"]
        .iter()
        .enumerate()
        .map(|(i, id)| offer(&a, a.node(id), 10 + i as u64))
        .collect();
    let o: Vec<&str> = others.iter().map(String::as_str).collect();
    let bad = tamper(&offer(&a, street, 20), 2, 5);
    let (t8, t2, bad) = (t8.as_str(), t2.as_str(), bad.as_str());
    let compositions: Vec<Vec<&str>> = vec![
        vec![t8],
        vec![t2],
        vec![t8, t2],
        vec![t8, o[0]],
        vec![o[2], t8],
        vec![o[0], t8, o[1], o[2]],
        vec![o[0], t2, o[1], t8, o[2]],
        vec![t8, bad],
        vec![o[0], t2, bad, t8],
        vec![t8; 8],
        (0..64)
            .map(|i| match i % 4 {
                0 => t8,
                1 => t2,
                _ => o[i % 3],
            })
            .collect(),
    ];
    for batch in &compositions {
        // Random coefficients are drawn anew for every batch: the verdict must not change.
        for _ in 0..16 {
            let got = v.verify_many(batch, a.now);
            for (jws, r) in batch.iter().zip(&got) {
                let expect = if *jws == bad { "bad_signature" } else { "ok" };
                assert_eq!(code(r), expect);
            }
        }
    }
}

#[test]
fn revocation_is_checked_on_every_message_even_from_a_known_header() {
    let a = TestAlliance::new(now()).unwrap();
    let revoked = a.node("revoked-unit");
    let jws = offer(&a, revoked, 1);
    // Without the CRL: accepted, and its header remembered.
    let v = Verifier::new(a.root.clone());
    assert!(v.verify(&jws, a.now).is_ok());
    assert!(v.verify(&jws, a.now).is_ok());
    // The same verifier, its caches warm, with the CRL.
    let crl = RevocationList::from_pem(&a.root, a.crl_pem.as_bytes()).unwrap();
    let v = v.with_revocations(crl);
    assert_eq!(v.verify(&jws, a.now).unwrap_err().code(), "revoked");
    assert_eq!(code(&v.verify_many(&[&jws], a.now)[0]), "revoked");
}

#[test]
fn a_known_header_part_does_not_pass_for_another_typ() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let jws = offer(&a, street, 1);
    assert!(v.verify(&jws, a.now).is_ok());
    // The same header part, as a user token: its typ is the message's.
    assert_eq!(
        v.verify_user_token(&jws, a.now).unwrap_err().code(),
        "wrong_type"
    );
    assert!(v.verify(&jws, a.now).is_ok());
}

#[test]
fn a_header_with_a_parameter_given_twice_is_malformed_cold_or_warm() {
    let a = TestAlliance::new(now()).unwrap();
    let street = a.node("xueyuan-nanlu");
    let good = offer(&a, street, 1);
    let (h64, rest) = good.split_once('.').unwrap();
    let payload = rest.split_once('.').unwrap().0;
    let header = String::from_utf8(URL_SAFE_NO_PAD.decode(h64).unwrap()).unwrap();
    assert!(
        header.starts_with(r#"{"typ":"tongxin+jwt","#),
        "{header:.40}"
    );
    // `typ` twice: a JSON parser keeping the last member would see a valid header.
    let twice = header.replacen(
        r#"{"typ":"tongxin+jwt","#,
        r#"{"typ":"JWT","typ":"tongxin+jwt","#,
        1,
    );
    let signed = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(&twice));
    let mut signer = openssl::sign::Signer::new_without_digest(&street.key).unwrap();
    let sig = signer.sign_oneshot_to_vec(signed.as_bytes()).unwrap();
    let jws = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig));
    let v = a.verifier().unwrap();
    let err = v.verify(&jws, a.now).unwrap_err();
    assert_eq!(err.code(), "malformed");
    assert!(err.to_string().contains("duplicate field `typ`"), "{err}");
    assert!(v.verify(&good, a.now).is_ok());
    assert_eq!(v.verify(&jws, a.now).unwrap_err().code(), "malformed");
    assert_eq!(code(&v.verify_many(&[&good, &jws], a.now)[1]), "malformed");
}
