//! `tongxin verify`: checks one message as any node would, or a service certificate
//! (服务时长证明, its `typ` says which), and prints its claims; or, with `--proof`, that one
//! check-in is included in a participation report (PROTOCOL.md §10.3).

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde_json::json;
use tongxin_schema::Verifier;
use tongxin_schema::certificate::CERTIFICATE_TYP;
use tongxin_schema::pki::{RevocationList, Root};
use tongxin_schema::roster::Roster;

use super::{now, read};
use crate::domain::participation::ProofFile;

/// What to check.
pub enum Input<'a> {
    /// A message or certificate from a file, or stdin (`None` or `-`).
    Message(Option<&'a Path>),
    /// An inclusion proof file.
    Proof(&'a Path),
    /// A daily archive (PROTOCOL.md §4.10).
    Archive(&'a Path),
}

/// Returns the verdict line to print and whether the message verified.
pub fn run(
    ca: &Path,
    revoked: Option<&Path>,
    roster: Option<&Path>,
    input: Input<'_>,
) -> anyhow::Result<(String, bool)> {
    run_at(ca, revoked, roster, input, now())
}

/// [`run`] as of `now` (Unix seconds): what a verifier whose clock reads `now` answers.
pub fn run_at(
    ca: &Path,
    revoked: Option<&Path>,
    roster: Option<&Path>,
    input: Input<'_>,
    now: i64,
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
    let message = match input {
        Input::Proof(p) => return proof(&verifier, &read(p)?, now),
        Input::Archive(p) => return archive(&verifier, p, now),
        Input::Message(m) => m,
    };
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
        return Ok(match verifier.verify_certificate(text, now) {
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
    Ok(match verifier.verify(text, now) {
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

/// Checks an inclusion proof: the report part and the attestation verify, the attestation is
/// one the report counts (its period, the right counterpart), and the Merkle path from its
/// jti leads to the report's root for that counterpart.
fn proof(verifier: &Verifier, file: &[u8], now: i64) -> anyhow::Result<(String, bool)> {
    use tongxin_schema::v1::Body;
    use tongxin_schema::v1::bodies::ParticipationSide;
    let f: ProofFile = serde_json::from_slice(file).context("not a proof file (JSON)")?;
    let refuse = |why: String| Ok((format!("rejected: {why}"), false));
    let report = match verifier.verify(f.report.trim(), now) {
        Ok(m) => m,
        Err(e) => return refuse(format!("the report does not verify ({}): {e}", e.code())),
    };
    let attestation = match verifier.verify(f.attestation.trim(), now) {
        Ok(m) => m,
        Err(e) => {
            return refuse(format!(
                "the attestation does not verify ({}): {e}",
                e.code()
            ));
        }
    };
    let (Body::ParticipationReported(r), Body::CheckinAttested(a)) =
        (&report.body, &attestation.body)
    else {
        return refuse(
            "the report must be a participation.reported, the attestation a checkin.attested"
                .into(),
        );
    };
    if attestation.jti != f.proof.jti {
        return refuse(format!(
            "the proof is for {}, the attestation is {}",
            f.proof.jti, attestation.jti
        ));
    }
    // The counterpart and the reporter follow from the attestation: a host reports its
    // member's home, a home reports the host.
    let (reporter, counterpart) = match r.side {
        ParticipationSide::Host => (&attestation.iss, a.member.home()),
        ParticipationSide::Home => (a.member.home(), &attestation.iss),
    };
    if &report.iss != reporter || counterpart != &f.counterpart {
        return refuse(format!(
            "a {} report of {} does not count this check-in (it would be {}'s, for {})",
            <&str>::from(r.side),
            report.iss,
            reporter,
            counterpart
        ));
    }
    if !(r.period_start..r.period_end).contains(&a.checked_in_at) {
        return refuse("the check-in is outside the report's period".into());
    }
    let Some(root) = r.roots.iter().find(|x| x.counterpart == f.counterpart) else {
        return refuse(format!(
            "this part of the report has no root for {}",
            f.counterpart
        ));
    };
    if u64::from(root.checkins) != f.proof.tree_size {
        return refuse(format!(
            "the report counts {} check-ins for {}, the proof a tree of {}",
            root.checkins, f.counterpart, f.proof.tree_size
        ));
    }
    if let Err(e) = tongxin_schema::merkle::verify(&f.proof, &root.root) {
        return refuse(e.to_string());
    }
    let out = json!({
        "included": true,
        "checkin": { "jti": attestation.jti, "host": attestation.iss, "checked_in_at": a.checked_in_at, "minutes": a.minutes },
        "report": { "jti": report.jti, "iss": report.iss, "side": r.side, "period": r.period,
                    "period_start": r.period_start, "revision": r.revision, "part": r.part, "parts": r.parts },
        "counterpart": f.counterpart, "root": root.root, "leaf_index": f.proof.index, "tree_size": f.proof.tree_size,
    });
    Ok((serde_json::to_string_pretty(&out)?, true))
}

/// Checks a daily archive; on failure, one line per failing line of the archive.
fn archive(verifier: &Verifier, path: &Path, now: i64) -> anyhow::Result<(String, bool)> {
    let checked = match crate::archive::verify_file(verifier, path, now) {
        Ok(c) => c,
        Err(e) => return Ok((format!("rejected: {e:#}"), false)),
    };
    let m = &checked.manifest;
    if !checked.failures.is_empty() {
        let lines: Vec<String> = checked
            .failures
            .iter()
            .map(|(n, why)| format!("line {n}: {why}"))
            .collect();
        return Ok((
            format!(
                "rejected: the archive of {} for {} has {} failing line(s)\n{}",
                m.iss,
                m.day,
                lines.len(),
                lines.join("\n")
            ),
            false,
        ));
    }
    let out = json!({
        "archive": { "iss": m.iss, "day": m.day, "from_ms": m.from_ms, "to_ms": m.to_ms,
                     "sent": m.sent, "received": m.received, "sha256": m.sha256, "signed_at": m.iat },
        "verified": m.sent + m.received,
    });
    Ok((serde_json::to_string_pretty(&out)?, true))
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
