//! Writes the test vectors to `schema/vectors/` (PROTOCOL.md §9).
//! Run: `cargo run -p tongxin-schema --example make-vectors [-- --now <unix-seconds>]
//! [--out <dir>]`.
//!
//! Only what this program generates is replaced: `check_with_pyjwt.py`, kept by hand in the same
//! directory, stays. (`tests/make_vectors.rs` includes this file to check that.)
//! `--out` writes a fresh set elsewhere instead: `check_with_pyjwt.py` checks one made by the
//! current build on every run, not only the checked-in files.

use std::path::{Path, PathBuf};

use tongxin_schema::vectors::{TestAlliance, cases, member_token_cases};

/// The directories under `schema/vectors/` that this program writes, and empties first.
pub const GENERATED_DIRS: [&str; 4] = ["cases", "certs", "keys", "tokens"];
/// The files directly under `schema/vectors/` that this program writes.
pub const GENERATED_FILES: [&str; 4] = ["root.pem", "crl.pem", "roster.jws", "manifest.json"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--now <unix-seconds>` keeps a chosen time (e.g. the checked-in manifest's, so that the
    // dates quoted in PROTOCOL.md's worked example stay true); the default is the current time.
    let usage = "usage: make-vectors [--now <unix-seconds>] [--out <dir>]";
    let mut now = None;
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        match flag.as_str() {
            "--now" => now = Some(value.parse()?),
            "--out" => dir = PathBuf::from(value),
            _ => return Err(usage.into()),
        }
    }
    let now = match now {
        Some(t) => t,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs() as i64,
    };
    let n = regenerate(&dir, now)?;
    println!("wrote {n} cases to {}", dir.display());
    Ok(())
}

/// Replaces the generated vectors in `dir` by a fresh alliance at `now`; returns the number of
/// cases. Removes only [`GENERATED_DIRS`] and [`GENERATED_FILES`].
pub fn regenerate(dir: &Path, now: i64) -> Result<usize, Box<dyn std::error::Error>> {
    let ignore_missing = |r: std::io::Result<()>| match r {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    };
    for sub in GENERATED_DIRS {
        ignore_missing(std::fs::remove_dir_all(dir.join(sub)))?;
    }
    for file in GENERATED_FILES {
        ignore_missing(std::fs::remove_file(dir.join(file)))?;
    }
    let a = TestAlliance::new(now)?;
    for sub in GENERATED_DIRS {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    std::fs::write(dir.join("root.pem"), a.ca_cert.to_pem()?)?;
    std::fs::write(
        dir.join("keys/root.key"),
        a.ca_key.private_key_to_pem_pkcs8()?,
    )?;
    std::fs::write(dir.join("crl.pem"), &a.crl_pem)?;
    std::fs::write(dir.join("roster.jws"), &a.roster_jws)?;
    for n in a.nodes.iter().chain([&a.foreign]) {
        let name = if std::ptr::eq(n, &a.foreign) {
            "foreign-youyi-nanli".to_owned()
        } else {
            n.org_id.to_string()
        };
        std::fs::write(dir.join(format!("certs/{name}.pem")), n.cert.to_pem()?)?;
        std::fs::write(
            dir.join(format!("keys/{name}.key")),
            n.key.private_key_to_pem_pkcs8()?,
        )?;
    }
    let mut list = Vec::new();
    for c in cases(&a) {
        let file = format!("cases/{}.jws", c.name);
        std::fs::write(dir.join(&file), &c.jws)?;
        list.push(
            serde_json::json!({ "name": c.name, "file": file, "expect": c.expect, "note": c.note }),
        );
    }
    let mut tokens = Vec::new();
    for c in member_token_cases(&a) {
        let file = format!("tokens/{}.jws", c.name);
        std::fs::write(dir.join(&file), &c.jws)?;
        tokens.push(serde_json::json!({
            "name": c.name, "file": file, "host": c.host, "nonce": c.nonce,
            "expect": c.expect, "note": c.note,
        }));
    }
    let count = list.len() + tokens.len();
    let manifest = serde_json::json!({
        "description": "Tongxin protocol v1 test vectors. Verify each case as receiver `receiver` at time `now` with trust root `root`, revocation list `crl` and roster `roster`; `expect` is `ok` or the error code of PROTOCOL.md §8. TEST KEYS ONLY.",
        "now": now,
        "receiver": "youyi-nanli",
        "root": "root.pem",
        "crl": "crl.pem",
        "roster": "roster.jws",
        "cases": list,
        "member_tokens": tokens,
    });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    Ok(count)
}
