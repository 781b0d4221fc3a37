//! Sign and verify rate of one ~1 KB message, next to raw Ed25519 through OpenSSL in the same
//! process; and the verify rate of the same kind of messages one by one (`Verifier::verify`) and
//! in batches of 64 and 256 (`Verifier::verify_many`), from one sender and from 64 senders.
//! Run: `cargo run --release -p tongxin-schema --example crypto-bench`.
//! Compare with `openssl speed ed25519` on the same machine.

use std::time::Instant;

use openssl::sign::{Signer as OsslSigner, Verifier as OsslVerifier};
use tongxin_schema::envelope::{Audience, Message, Signer, Verifier};
use tongxin_schema::ids::OrgKind;
use tongxin_schema::pki::{self, Validity};
use tongxin_schema::v1::bodies::OfferPublished;
use tongxin_schema::vectors::{TestAlliance, sample_offer};

fn rate(n: usize, f: impl FnMut()) -> f64 {
    let mut f = f;
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// Messages verified per second by `verify` one at a time, over all of `jwss`, `rounds` times.
fn single_rate(v: &Verifier, jwss: &[String], now: i64, rounds: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..rounds {
        for jws in jwss {
            assert!(v.verify(jws, now).is_ok());
        }
    }
    (rounds * jwss.len()) as f64 / t.elapsed().as_secs_f64()
}

/// Messages verified per second by `verify_many` in batches of `size`, over all of `jwss`,
/// `rounds` times.
fn batch_rate(v: &Verifier, jwss: &[String], size: usize, now: i64, rounds: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..rounds {
        for batch in jwss.chunks(size) {
            assert!(v.verify_many(batch, now).iter().all(Result::is_ok));
        }
    }
    (rounds * jwss.len()) as f64 / t.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let a = TestAlliance::new(now)?;
    let v = a.verifier()?;
    let street = a.node("xueyuan-nanlu");
    let mut offer = sample_offer();
    offer.description =
        tongxin_schema::v1::text::Text::new("工作日 9:00–17:00 可预约。".repeat(8))?;
    let msg = Message::new(street.org_id.clone(), Audience::All, 1, now, offer.clone());
    let jws = street.signer.sign(&msg)?;
    let n = 20_000;
    let sign = rate(n, || {
        let _ = street.signer.sign(&msg);
    });
    let verify = rate(n, || {
        let _ = v.verify(&jws, now);
    });
    let payload = jws.as_bytes();
    let mut sig = Vec::new();
    let raw_sign = rate(n, || {
        if let Ok(mut s) = OsslSigner::new_without_digest(&street.key) {
            sig = s.sign_oneshot_to_vec(payload).unwrap_or_default();
        }
    });
    let raw_verify = rate(n, || {
        if let Ok(mut s) = OsslVerifier::new_without_digest(&street.key) {
            let _ = s.verify_oneshot(&sig, payload);
        }
    });

    // 256 distinct messages from the street, and 256 from 64 streets (4 each, interleaved), all
    // valid. The verifier has no roster: the 64 streets are not on the test alliance's.
    let bare = Verifier::new(a.root.clone());
    let offers = |signer: &Signer, seq: u64, offer: &OfferPublished| {
        signer.sign(&Message::new(
            signer.org_id().clone(),
            Audience::All,
            seq,
            now,
            offer.clone(),
        ))
    };
    let one_sender = (1..=256)
        .map(|seq| offers(&street.signer, seq, &offer))
        .collect::<Result<Vec<_>, _>>()?;
    let mut streets = Vec::new();
    for i in 0..64 {
        let key = pki::generate_key()?;
        let org = format!("street-{i:02}").parse()?;
        let csr = pki::make_csr(&key, &org, "街道")?;
        let validity = Validity::days(now - 86_400, 365);
        let cert = pki::issue(&a.ca_key, &a.ca_cert, &csr, &org, OrgKind::Street, validity)?;
        streets.push(Signer::new(&key, &cert)?);
    }
    let mixed = (0..256)
        .map(|i| offers(&streets[i % 64], i as u64 / 64 + 1, &offer))
        .collect::<Result<Vec<_>, _>>()?;
    let rounds = 40;
    let single_one = single_rate(&bare, &one_sender, now, rounds);
    let single_mixed = single_rate(&bare, &mixed, now, rounds);
    let batch64_one = batch_rate(&bare, &one_sender, 64, now, rounds);
    let batch256_one = batch_rate(&bare, &one_sender, 256, now, rounds);
    let batch64_mixed = batch_rate(&bare, &mixed, 64, now, rounds);
    let batch256_mixed = batch_rate(&bare, &mixed, 256, now, rounds);

    println!("message: {} bytes of compact JWS", jws.len());
    println!("{:<52} {:>12}", "operation", "per second");
    println!(
        "{:<52} {:>12.0}",
        "tongxin sign (claims + JWS + Ed25519)", sign
    );
    println!("{:<52} {:>12.0}", "tongxin verify (all checks)", verify);
    println!(
        "{:<52} {:>12.0}",
        "raw Ed25519 sign, OpenSSL, same bytes", raw_sign
    );
    println!(
        "{:<52} {:>12.0}",
        "raw Ed25519 verify, OpenSSL, same bytes", raw_verify
    );
    println!("verify / raw verify: {:.2}", verify / raw_verify);
    println!("256 messages, all checks, no roster:");
    for (what, r) in [
        ("verify one by one, one sender", single_one),
        ("verify_many, batches of 64, one sender", batch64_one),
        ("verify_many, batches of 256, one sender", batch256_one),
        ("verify one by one, 64 senders", single_mixed),
        ("verify_many, batches of 64, 64 senders", batch64_mixed),
        ("verify_many, batches of 256, 64 senders", batch256_mixed),
    ] {
        println!(
            "{what:<52} {r:>12.0}  ({:.2}x one by one, {:.2}x raw OpenSSL)",
            r / if what.contains("one sender") {
                single_one
            } else {
                single_mixed
            },
            r / raw_verify
        );
    }
    println!(
        "{{\"bytes\":{},\"sign_per_s\":{sign:.0},\"verify_per_s\":{verify:.0},\"raw_sign_per_s\":{raw_sign:.0},\"raw_verify_per_s\":{raw_verify:.0},\"single_one_sender_per_s\":{single_one:.0},\"batch64_one_sender_per_s\":{batch64_one:.0},\"batch256_one_sender_per_s\":{batch256_one:.0},\"single_64_senders_per_s\":{single_mixed:.0},\"batch64_64_senders_per_s\":{batch64_mixed:.0},\"batch256_64_senders_per_s\":{batch256_mixed:.0}}}",
        jws.len()
    );
    Ok(())
}
