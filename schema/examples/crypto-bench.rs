//! Sign and verify rate of one ~1 KB message, next to raw Ed25519 through OpenSSL in the same
//! process. Run: `cargo run --release -p tongxin-schema --example crypto-bench`.
//! Compare with `openssl speed ed25519` on the same machine.

use std::time::Instant;

use openssl::sign::{Signer as OsslSigner, Verifier as OsslVerifier};
use tongxin_schema::envelope::{Audience, Message};
use tongxin_schema::vectors::{TestAlliance, sample_offer};

fn rate(n: usize, f: impl FnMut()) -> f64 {
    let mut f = f;
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    n as f64 / t.elapsed().as_secs_f64()
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
    let msg = Message::new(street.org_id.clone(), Audience::All, 1, now, offer);
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
    println!("message: {} bytes of compact JWS", jws.len());
    println!("{:<40} {:>12}", "operation", "per second");
    println!(
        "{:<40} {:>12.0}",
        "tongxin sign (claims + JWS + Ed25519)", sign
    );
    println!("{:<40} {:>12.0}", "tongxin verify (all checks)", verify);
    println!(
        "{:<40} {:>12.0}",
        "raw Ed25519 sign, OpenSSL, same bytes", raw_sign
    );
    println!(
        "{:<40} {:>12.0}",
        "raw Ed25519 verify, OpenSSL, same bytes", raw_verify
    );
    println!("verify / raw verify: {:.2}", verify / raw_verify);
    println!(
        "{{\"bytes\":{},\"sign_per_s\":{sign:.0},\"verify_per_s\":{verify:.0},\"raw_sign_per_s\":{raw_sign:.0},\"raw_verify_per_s\":{raw_verify:.0}}}",
        jws.len()
    );
    Ok(())
}
