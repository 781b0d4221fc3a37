//! `tongxin alliance …`: the alliance authority's offline commands. The CA directory holds
//! `ca.key` (0600), `ca.pem`, `revoked.json`, `crl.pem` and `roster.serial`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use openssl::x509::{X509, X509Req};
use serde::Deserialize;
use tongxin_schema::pki::{self, Revoked, Root, Validity};
use tongxin_schema::roster::{RosterDoc, RosterOrg, check_base_url, sign_roster};
use tongxin_schema::v1::text::Text;
use tongxin_schema::{OrgId, OrgKind};

use super::{now, read, refuse_existing, replace, write_new};

pub struct CaDir {
    dir: PathBuf,
    pub key: openssl::pkey::PKey<openssl::pkey::Private>,
    pub cert: X509,
}

impl CaDir {
    pub fn open(dir: &Path) -> anyhow::Result<CaDir> {
        let key = pki::load_key(&read(&dir.join("ca.key"))?)
            .context("ca.key is not an Ed25519 private key")?;
        let cert = X509::from_pem(&read(&dir.join("ca.pem"))?)
            .context("ca.pem is not a PEM certificate")?;
        if !pki::key_matches(&key, &cert)? {
            bail!("ca.key does not belong to ca.pem in {}", dir.display());
        }
        Ok(CaDir {
            dir: dir.to_owned(),
            key,
            cert,
        })
    }

    fn revoked(&self) -> anyhow::Result<Vec<Revoked>> {
        let path = self.dir.join("revoked.json");
        if !path.exists() {
            return Ok(Vec::new());
        }
        serde_json::from_slice(&read(&path)?)
            .with_context(|| format!("{} is not a revocation list", path.display()))
    }

    /// Writes `revoked.json` and a freshly signed `crl.pem`.
    fn write_crl(&self, revoked: &[Revoked]) -> anyhow::Result<PathBuf> {
        let crl = pki::make_crl(&self.key, &self.cert, revoked, now())?;
        replace(
            &self.dir.join("revoked.json"),
            serde_json::to_string_pretty(revoked)?.as_bytes(),
        )?;
        let out = self.dir.join("crl.pem");
        replace(&out, &crl.to_pem()?)?;
        Ok(out)
    }
}

/// `alliance init`
pub fn init(name: &str, out: &Path) -> anyhow::Result<()> {
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let (key_path, cert_path) = (out.join("ca.key"), out.join("ca.pem"));
    refuse_existing(&[&key_path, &cert_path])?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let key = pki::generate_key()?;
    let cert = pki::make_root(&key, name)?;
    write_new(&key_path, &key.private_key_to_pem_pkcs8()?, true)?;
    write_new(&cert_path, &cert.to_pem()?, false)?;
    let ca = CaDir {
        dir: out.to_owned(),
        key,
        cert,
    };
    ca.write_crl(&[])?;
    println!(
        "alliance root {} written to {}",
        pki::fingerprint(&ca.cert)?,
        out.display()
    );
    println!(
        "keep {} offline; give ca.pem and crl.pem to every node",
        key_path.display()
    );
    Ok(())
}

/// `alliance issue`
pub fn issue(
    ca: &Path,
    csr: &Path,
    org_id: &str,
    kind: &str,
    out: &Path,
    days: u32,
) -> anyhow::Result<()> {
    let org_id: OrgId = org_id.parse()?;
    let kind: OrgKind = kind.parse()?;
    if days == 0 || days > 3650 {
        bail!("--days must be between 1 and 3650");
    }
    let ca = CaDir::open(ca)?;
    let csr = X509Req::from_pem(&read(csr)?)
        .with_context(|| format!("{} is not a PEM certificate request", csr.display()))?;
    refuse_existing(&[&out.to_path_buf()])?;
    let cert = pki::issue(
        &ca.key,
        &ca.cert,
        &csr,
        &org_id,
        kind,
        Validity::days(now(), days),
    )?;
    write_new(out, &cert.to_pem()?, false)?;
    println!(
        "issued {} ({kind}) serial {} to {}",
        org_id,
        cert.serial_number().to_bn()?.to_hex_str()?,
        out.display()
    );
    Ok(())
}

/// `alliance revoke`
pub fn revoke(ca: &Path, cert: &Path) -> anyhow::Result<()> {
    let ca = CaDir::open(ca)?;
    let cert = X509::from_pem(&read(cert)?)
        .with_context(|| format!("{} is not a PEM certificate", cert.display()))?;
    let info = Root::new(ca.cert.clone())?.node_cert(&cert)?;
    let mut revoked = ca.revoked()?;
    if revoked.iter().any(|r| r.serial == info.serial) {
        println!(
            "{} (serial {}) was already revoked",
            info.org_id, info.serial
        );
        return Ok(());
    }
    revoked.push(Revoked {
        serial: info.serial.clone(),
        org_id: info.org_id.to_string(),
        revoked_at: now(),
    });
    let out = ca.write_crl(&revoked)?;
    println!(
        "revoked {} (serial {}); distribute {}",
        info.org_id,
        info.serial,
        out.display()
    );
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgsFile {
    org: Vec<OrgEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgEntry {
    id: OrgId,
    name: String,
    kind: OrgKind,
    parent: Option<OrgId>,
    #[serde(default)]
    grids: Vec<String>,
    /// Path of the organisation's certificate, relative to the orgs file.
    certificate: PathBuf,
    /// The node's public web address for member sign-in redirects (PROTOCOL.md §4.5).
    base_url: Option<String>,
}

/// Reads `--base-url <org-id>=<url>` values: each organisation at most once, each URL as
/// PROTOCOL.md §4.5 allows.
pub fn parse_base_urls(args: &[String]) -> anyhow::Result<Vec<(OrgId, String)>> {
    let mut out: Vec<(OrgId, String)> = Vec::new();
    for arg in args {
        let Some((org, url)) = arg.split_once('=') else {
            bail!(
                "--base-url {arg:?}: write <org-id>=<url>, e.g. youyi-nanli=https://tongxin.youyi.example"
            );
        };
        let org: OrgId = org
            .parse()
            .with_context(|| format!("--base-url {arg:?}: bad org id"))?;
        if out.iter().any(|(o, _)| *o == org) {
            bail!("--base-url: {org} is given twice");
        }
        check_base_url(url).map_err(|e| anyhow::anyhow!("--base-url for {org}: {url:?} {e}"))?;
        out.push((org, url.to_owned()));
    }
    Ok(out)
}

/// `alliance roster`: signs the roster with the CA key. The serial grows with each call.
/// `base_urls` (from `--base-url`) set or replace the orgs file's `base_url` of those
/// organisations; naming one that is not in the orgs file is an error.
pub fn roster(
    ca_dir: &Path,
    orgs: &Path,
    out: Option<&Path>,
    base_urls: &[(OrgId, String)],
) -> anyhow::Result<PathBuf> {
    let ca = CaDir::open(ca_dir)?;
    let text = String::from_utf8(read(orgs)?).context("the orgs file is not UTF-8")?;
    let file: OrgsFile = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid orgs file", orgs.display()))?;
    let base = orgs.parent().unwrap_or(Path::new("."));
    if let Some((org, _)) = base_urls
        .iter()
        .find(|(o, _)| !file.org.iter().any(|e| e.id == *o))
    {
        bail!(
            "--base-url names {org}, which is not in {}; add it there or fix the id",
            orgs.display()
        );
    }
    let mut entries = Vec::new();
    for e in file.org {
        let base_url = base_urls
            .iter()
            .find(|(o, _)| *o == e.id)
            .map(|(_, url)| url.clone())
            .or(e.base_url);
        if let Some(url) = &base_url {
            check_base_url(url)
                .map_err(|err| anyhow::anyhow!("org {}: base_url {url:?} {err}", e.id))?;
        }
        let pem = read(&base.join(&e.certificate))?;
        let grids = e
            .grids
            .into_iter()
            .map(|g| Text::new(g).with_context(|| format!("org {}: bad grid code", e.id)))
            .collect::<anyhow::Result<_>>()?;
        entries.push(RosterOrg {
            name: Text::new(e.name).with_context(|| format!("org {}: bad name", e.id))?,
            id: e.id,
            kind: e.kind,
            parent: e.parent,
            grids,
            certificate: String::from_utf8(pem).context("certificate is not UTF-8 PEM")?,
            base_url,
        });
    }
    let serial_path = ca_dir.join("roster.serial");
    let serial = std::fs::read_to_string(&serial_path)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    let alliance = ca
        .cert
        .subject_name()
        .entries()
        .next()
        .and_then(|e| e.data().to_string().ok())
        .unwrap_or_default();
    let doc = RosterDoc {
        v: 1,
        alliance,
        serial,
        iat: now(),
        orgs: entries,
    };
    let jws = sign_roster(&ca.key, &ca.cert, &doc)?;
    // Check what we signed exactly as a node will.
    tongxin_schema::roster::Roster::verify(&Root::new(ca.cert.clone())?, &jws)?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| ca_dir.join("roster.jws"));
    replace(&out, jws.as_bytes())?;
    replace(&serial_path, serial.to_string().as_bytes())?;
    println!(
        "roster serial {serial} with {} organisations written to {}",
        doc.orgs.len(),
        out.display()
    );
    Ok(out)
}
