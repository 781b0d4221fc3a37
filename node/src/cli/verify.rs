//! `tongxin verify`: checks one message as any node would, or a service certificate
//! (服务时长证明, its `typ` says which), and prints its claims.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde_json::json;
use tongxin_schema::Verifier;
use tongxin_schema::certificate::CERTIFICATE_TYP;
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
    let text = text.trim();
    if header_typ(text).as_deref() == Some(CERTIFICATE_TYP) {
        return Ok(match verifier.verify_certificate(text, now()) {
            Ok(c) => {
                let out = json!({
                    "certificate": c.value(),
                    "signer": { "kind": c.sender().kind, "name": c.sender().display_name, "serial": c.sender().serial },
                });
                (serde_json::to_string_pretty(&out)?, true)
            }
            Err(e) => (format!("rejected ({}): {e}", e.code()), false),
        });
    }
    Ok(match verifier.verify(text, now()) {
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

/// The JOSE `typ` of a compact JWS, if its header says one.
fn header_typ(jws: &str) -> Option<String> {
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jws.split('.').next()?)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&header).ok()?;
    v.get("typ")?.as_str().map(str::to_owned)
}
