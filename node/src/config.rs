//! Node configuration: the TOML file `tongxin node init` writes, then `TONGXIN_*` environment
//! variables on top (e.g. `TONGXIN_DATABASE_URL`, `TONGXIN_BROKER_URL`, `TONGXIN_HTTP_LISTEN`).
//! Relative paths are relative to the directory of the TOML file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;
use tongxin_schema::{OrgId, OrgKind};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This organisation's id (the CN of its certificate).
    pub org_id: OrgId,
    /// This organisation's kind.
    pub kind: OrgKind,
    /// Display name.
    pub name: String,
    /// Where the node keeps its SQLite database and state.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    pub pki: PkiConfig,
    #[serde(default)]
    pub database: DatabaseConfig,
    pub broker: BrokerConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub exchange: ExchangeConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PkiConfig {
    /// The alliance root certificate.
    pub ca_cert: PathBuf,
    /// This node's Ed25519 private key (PKCS#8 PEM, mode 0600).
    pub node_key: PathBuf,
    /// This node's certificate, issued by the alliance.
    pub node_cert: PathBuf,
    /// The CA-signed roster to start from (a newer one may arrive over the bus).
    pub roster: PathBuf,
    /// The CA's revocation list to start from.
    pub crl: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` (relative to data_dir) or `postgres://…`.
    #[serde(default = "default_db_url")]
    pub url: String,
    /// Connections for the HTTP API.
    #[serde(default = "default_api_pool")]
    pub api_pool: u32,
    /// SQLite `synchronous`: `full` (default; every commit survives power loss) or `normal`.
    #[serde(default = "default_sync")]
    pub sqlite_synchronous: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: default_db_url(),
            api_pool: default_api_pool(),
            sqlite_synchronous: default_sync(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerConfig {
    /// `amqp://user:password@host:port/vhost` or `amqps://host:port/vhost?auth_mechanism=external`.
    pub url: String,
    /// Unacknowledged deliveries the broker may push at once.
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// For amqps: the CA that signed the broker's server certificate (default: the alliance root).
    pub tls_ca: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address to listen on; port 0 picks a free port.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Lifetime of issued bearer tokens, seconds.
    #[serde(default = "default_token_ttl")]
    pub token_ttl_secs: i64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
            token_ttl_secs: default_token_ttl(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeConfig {
    /// Most messages committed in one inbox transaction.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Longest a delivery waits for its batch to fill, milliseconds. 0 (the default): a batch
    /// is what has already arrived; while one commits, the next gathers by itself.
    #[serde(default = "default_batch_wait")]
    pub batch_wait_ms: u64,
    /// How often `node.hello` announces this node's stream heads, seconds.
    #[serde(default = "default_hello")]
    pub hello_interval_secs: u64,
    /// How long a gap may stay open before `sync.requested` is sent again, seconds.
    #[serde(default = "default_gap_retry")]
    pub gap_retry_secs: u64,
    /// Kinds this node keeps without acting on them (PROTOCOL.md §7.8), e.g.
    /// `["report.submitted"]`: authentic messages of these kinds are stored and applied, in
    /// order, when the node starts without them listed. For rolling a kind out gradually;
    /// empty by default.
    #[serde(default)]
    pub defer_kinds: Vec<tongxin_schema::v1::Kind>,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        ExchangeConfig {
            batch_size: default_batch(),
            batch_wait_ms: default_batch_wait(),
            hello_interval_secs: default_hello(),
            gap_retry_secs: default_gap_retry(),
            defer_kinds: Vec::new(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(".")
}
fn default_db_url() -> String {
    "sqlite://tongxin.db".into()
}
fn default_api_pool() -> u32 {
    4
}
fn default_sync() -> String {
    "full".into()
}
fn default_prefetch() -> u16 {
    256
}
fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_token_ttl() -> i64 {
    8 * 3600
}
fn default_batch() -> usize {
    128
}
fn default_batch_wait() -> u64 {
    0
}
fn default_hello() -> u64 {
    30
}
fn default_gap_retry() -> u64 {
    5
}

impl Config {
    /// Reads the file, applies `TONGXIN_*` overrides, resolves relative paths.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut cfg: Config =
            toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
        cfg.apply_env(|k| std::env::var(k).ok())?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        abs(&mut cfg.data_dir);
        for p in [
            &mut cfg.pki.ca_cert,
            &mut cfg.pki.node_key,
            &mut cfg.pki.node_cert,
            &mut cfg.pki.roster,
        ] {
            abs(p);
        }
        if let Some(p) = cfg.pki.crl.as_mut() {
            abs(p);
        }
        if let Some(p) = cfg.broker.tls_ca.as_mut() {
            abs(p);
        }
        Ok(cfg)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("TONGXIN_DATABASE_URL") {
            self.database.url = v;
        }
        if let Some(v) = get("TONGXIN_BROKER_URL") {
            self.broker.url = v;
        }
        if let Some(v) = get("TONGXIN_HTTP_LISTEN") {
            self.http.listen = v;
        }
        if let Some(v) = get("TONGXIN_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("TONGXIN_BROKER_PREFETCH") {
            self.broker.prefetch = v
                .parse()
                .context("TONGXIN_BROKER_PREFETCH must be a number")?;
        }
        if let Some(v) = get("TONGXIN_SQLITE_SYNCHRONOUS") {
            self.database.sqlite_synchronous = v;
        }
        if !matches!(self.database.sqlite_synchronous.as_str(), "full" | "normal") {
            bail!("database.sqlite_synchronous must be \"full\" or \"normal\"");
        }
        Ok(())
    }

    /// The database URL with a relative SQLite path resolved against data_dir.
    pub fn database_url(&self) -> String {
        match self.database.url.strip_prefix("sqlite://") {
            Some(p) if Path::new(p).is_relative() => {
                format!("sqlite://{}", self.data_dir.join(p).display())
            }
            _ => self.database.url.clone(),
        }
    }
}

/// The commented configuration `tongxin node init` writes.
pub fn template(org_id: &OrgId, kind: OrgKind, name: &str) -> String {
    let name = name.replace('"', "'");
    format!(
        r#"# Tongxin node configuration for {name}.
# Every value can be overridden by an environment variable, e.g. TONGXIN_DATABASE_URL.
# Relative paths are relative to this file's directory.

# This organisation's id: the CN of its certificate and its broker user name.
org_id = "{org_id}"
# street | community | building-alliance | new-employment | co-building-unit | org-department
kind = "{kind}"
name = "{name}"
# Where the SQLite database and other state live.
data_dir = "."

[pki]
# The alliance root certificate (from the alliance authority).
ca_cert = "ca.pem"
# This node's private key (keep it 0600) and the certificate issued for node.csr.
node_key = "node.key"
node_cert = "node.pem"
# The CA-signed roster and revocation list to start from; newer ones arrive over the bus.
roster = "roster.jws"
crl = "crl.pem"

[database]
# sqlite://FILE (relative to data_dir) or postgres://user@host/dbname
url = "sqlite://tongxin.db"
# SQLite durability: "full" (every commit survives power loss) or "normal".
sqlite_synchronous = "full"

[broker]
# Development: amqp://{org_id}:PASSWORD@127.0.0.1:5672/alliance
# Production:  amqps://broker.example:5671/alliance?auth_mechanism=external (certificate login)
url = "amqp://{org_id}:CHANGE-ME@127.0.0.1:5672/alliance"
prefetch = 256

[http]
listen = "127.0.0.1:8080"
token_ttl_secs = 28800
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_and_env_overrides() {
        let org: OrgId = "youyi-nanli".parse().unwrap();
        let mut cfg: Config =
            toml::from_str(&template(&org, OrgKind::Community, "友谊南里社区")).unwrap();
        assert_eq!(cfg.kind, OrgKind::Community);
        cfg.apply_env(|k| (k == "TONGXIN_DATABASE_URL").then(|| "postgres://x/y".to_owned()))
            .unwrap();
        assert_eq!(cfg.database.url, "postgres://x/y");
        assert!(
            cfg.apply_env(|k| (k == "TONGXIN_BROKER_PREFETCH").then(|| "many".to_owned()))
                .is_err()
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let org: OrgId = "youyi-nanli".parse().unwrap();
        let text = template(&org, OrgKind::Community, "x") + "\ncolour = \"red\"\n";
        assert!(toml::from_str::<Config>(&text).is_err());
    }
}
