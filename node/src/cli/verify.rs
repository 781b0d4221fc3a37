//! `tongxin verify`: checks one message as any node would, and prints its claims.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde_json::json;
use tongxin_schema::Verifier;
use tongxin_schema::pki::{RevocationList, Root};
use tongxin_schema::roster::Roster;

use super::{now, read};

/// Returns the verdict line to print and whether the message verified.
pub fn run(
    ca: &Path,
    revoked: Option<&Path>,
    roster: Option<&Path>,
    message: Option<&Path>,
) -> anyhow::Result<(String, bool)> {
    let root = Root::from_pem(&read(ca)?)
        .with_context(|| format!("{} is not a root certificate", ca.display()))?;
    let mut verifier = Verifier::new(root.clone());
    if let Some(path) = revoked {
        verifier = verifier.with_revocations(RevocationList::from_pem(&root, &read(path)?)?);
    }
    if let Some(path) = roster {
        let jws = String::from_utf8(read(path)?).context("roster is not UTF-8")?;
        verifier = verifier.with_roster(Roster::verify(&root, &jws)?);
    }
    let mut text = String::new();
    match message {
        Some(p) if p != Path::new("-") => {
            text = String::from_utf8(read(p)?).context("message is not UTF-8")?
        }
        _ => {
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the message from stdin")?;
        }
    }
    Ok(match verifier.verify(text.trim(), now()) {
        Ok(m) => {
            let claims = json!({
                "iss": m.iss, "aud": m.aud.to_string(), "jti": m.jti, "iat": m.iat,
                "stream": m.stream.to_string(), "seq": m.seq, "kind": m.kind().as_str(), "body": m.body,
                "sender": { "kind": m.sender().kind, "name": m.sender().display_name, "serial": m.sender().serial },
            });
            (serde_json::to_string_pretty(&claims)?, true)
        }
        Err(e) => (format!("rejected ({}): {e}", e.code()), false),
    })
}
