//! `tongxin node init`: a node's key, certificate request and commented configuration.

use std::path::Path;

use anyhow::Context;
use tongxin_schema::pki;
use tongxin_schema::{OrgId, OrgKind};

use super::{refuse_existing, write_new};

pub fn run(org_id: &str, kind: &str, name: &str, out: &Path) -> anyhow::Result<()> {
    let org_id: OrgId = org_id.parse()?;
    let kind: OrgKind = kind.parse()?;
    if name.trim().is_empty() {
        anyhow::bail!("--name must not be empty");
    }
    let (key_path, csr_path, toml_path) = (
        out.join("node.key"),
        out.join("node.csr"),
        out.join("tongxin.toml"),
    );
    refuse_existing(&[&key_path, &csr_path, &toml_path])?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let key = pki::generate_key()?;
    let csr = pki::make_csr(&key, &org_id, name)?;
    write_new(&key_path, &key.private_key_to_pem_pkcs8()?, true)?;
    write_new(&csr_path, &csr.to_pem()?, false)?;
    write_new(
        &toml_path,
        crate::config::template(&org_id, kind, name).as_bytes(),
        false,
    )?;
    println!(
        "node {org_id} ({kind}): key, CSR and config written to {}",
        out.display()
    );
    println!(
        "next: have the alliance authority run `tongxin alliance issue --csr {} --org-id {org_id} --kind {kind} --out node.pem`",
        csr_path.display()
    );
    Ok(())
}
