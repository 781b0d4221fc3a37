//! Prints the reference verifier's verdict on compact JWS read from standard input, as the
//! receiver of a vector set (PROTOCOL.md §9.2): its root, CRL, roster, receiver and `now`.
//! `schema/vectors/check_with_pyjwt.py` signs messages of its own with the vectors' keys and
//! compares its verdicts with these, so that the check does not rest on the stored files alone.
//!
//! Run: `cargo run -p tongxin-schema --example verdicts -- <vectors-dir> < lines`. Each input
//! line is a JSON object, `{"message": "<jws>"}` or `{"member_token": "<jws>", "host": "<org-id>",
//! "nonce": "<nonce>"}` (JSON, so that a JWS with a newline in it can be given too); each output
//! line is `ok` or the code of PROTOCOL.md §8, in input order.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use tongxin_schema::pki::{RevocationList, Root};
use tongxin_schema::roster::Roster;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: verdicts <vectors-dir> < lines")?,
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f));
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")?)?;
    let field = |k: &str| {
        manifest[k]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("manifest.json has no {k}"))
    };
    let now = manifest["now"].as_i64().ok_or("manifest.json has no now")?;
    let root = Root::from_pem(read(&field("root")?)?.as_bytes())?;
    let verifier = tongxin_schema::Verifier::new(root.clone())
        .with_revocations(RevocationList::from_pem(
            &root,
            read(&field("crl")?)?.as_bytes(),
        )?)
        .with_roster(Roster::verify(&root, &read(&field("roster")?)?)?)
        .for_receiver(field("receiver")?.parse()?);
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let input: serde_json::Value = serde_json::from_str(&line?)?;
        let text = |k: &str| {
            input[k]
                .as_str()
                .ok_or_else(|| format!("no {k} in {input}"))
        };
        let verdict = if input.get("message").is_some() {
            verifier.verify(text("message")?, now).map(|_| ())
        } else {
            verifier
                .verify_member_token(
                    text("member_token")?,
                    now,
                    &text("host")?.parse()?,
                    text("nonce")?,
                )
                .map(|_| ())
        };
        writeln!(out, "{}", verdict.map_or_else(|e| e.code(), |()| "ok"))?;
    }
    Ok(())
}
