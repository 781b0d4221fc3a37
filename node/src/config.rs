//! Node configuration, in two layers (figment): the TOML file `tongxin node init` writes, then
//! `TONGXIN_*` environment variables on top.
//!
//! **Every field can be set from the environment.** The variable is `TONGXIN_` followed by the
//! field's TOML path in capitals, with `__` (two underscores) between a table and its key:
//!
//! | TOML                                  | environment variable              |
//! |---------------------------------------|-----------------------------------|
//! | `name = …`                            | `TONGXIN_NAME`                    |
//! | `data_dir = …`                        | `TONGXIN_DATA_DIR`                |
//! | `[database] url = …`                  | `TONGXIN_DATABASE__URL`           |
//! | `[broker] prefetch = …`               | `TONGXIN_BROKER__PREFETCH`        |
//! | `[exchange] hello_interval_secs = …`  | `TONGXIN_EXCHANGE__HELLO_INTERVAL_SECS` |
//!
//! ([`FIELDS`] lists them all.) The six flat names of earlier versions still work and mean the
//! same fields: `TONGXIN_DATABASE_URL`, `TONGXIN_BROKER_URL`, `TONGXIN_HTTP_LISTEN`,
//! `TONGXIN_DATA_DIR`, `TONGXIN_BROKER_PREFETCH`, `TONGXIN_SQLITE_SYNCHRONOUS`; where both
//! spellings are set, the `__` one wins. Values are taken verbatim (no quoting); numbers are
//! parsed for numeric fields, and a value that does not parse is an error naming the variable.
//! Other `TONGXIN_*` variables (`TONGXIN_LOG`, `TONGXIN_CONFIG`, the deploy scripts' own) are
//! not configuration and are ignored; the file, unlike the environment, refuses unknown keys.
//!
//! Relative paths, from the file or the environment, are relative to the TOML file's directory.
//!
//! The two URLs that may carry a password (`database.url`, `broker.url`) are [`SecretString`]s:
//! `Debug` (and so any `{cfg:?}` in a log or a panic) prints them as `[REDACTED]`; the code
//! that connects calls `expose_secret()`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
pub use secrecy::{ExposeSecret, SecretString};
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
    /// `[pki]`: trust root, this node's key and certificate, the starting roster and CRL.
    pub pki: PkiConfig,
    /// `[database]`: where rows are kept.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// `[broker]`: the alliance's RabbitMQ.
    pub broker: BrokerConfig,
    /// `[http]`: the API and web UI.
    #[serde(default)]
    pub http: HttpConfig,
    /// `[exchange]`: batching and the timers of the message exchange.
    #[serde(default)]
    pub exchange: ExchangeConfig,
    /// `[needs]`: how long a need may stay open at each level of the organisation tree.
    #[serde(default)]
    pub needs: NeedDeadlines,
    /// `[participation]`: the reports sent to the organisation department (PROTOCOL.md §10).
    #[serde(default)]
    pub participation: ParticipationConfig,
    /// `[retention]`: how long the record of applied and refused messages stays in the
    /// database once it is in a daily archive.
    #[serde(default)]
    pub retention: RetentionConfig,
}

/// Retention of the message record (deploy/README.md, "Retention").
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days a received or refused message stays in the database after it arrived, once its day
    /// is archived; 0 keeps everything. 90 by default: a node offline for up to a quarter, or
    /// restored from a backup up to that old, still gets back from its peers what it lacks
    /// (PROTOCOL.md §7.9), and a quarter of refusals stays at hand for the admins; older
    /// messages are in the daily archives.
    #[serde(default = "default_retention_days")]
    pub days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            days: default_retention_days(),
        }
    }
}

fn default_retention_days() -> u32 {
    90
}

/// How this node reports participation to the organisation department.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ParticipationConfig {
    /// Cells counting fewer distinct members than this are suppressed (k-anonymity): no figure
    /// about one or two people leaves the node. 3 by default, 1 to 100.
    #[serde(default = "default_k")]
    pub k: u32,
}

impl Default for ParticipationConfig {
    fn default() -> Self {
        ParticipationConfig { k: default_k() }
    }
}

fn default_k() -> u32 {
    3
}

/// 小事不出网格、大事不出村居、难事不出镇街: how long a need stays at each level before it
/// escalates by itself (grid → community → the parent street). A need published without a
/// deadline gets its level's; one escalated gets the next level's from that moment.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NeedDeadlines {
    /// Seconds at the grid; 3 days by default.
    #[serde(default = "default_grid_secs")]
    pub grid_secs: i64,
    /// Seconds at the community; 7 days by default.
    #[serde(default = "default_community_secs")]
    pub community_secs: i64,
    /// Seconds at the street, the top of the tree (it does not escalate further); 15 days.
    #[serde(default = "default_street_secs")]
    pub street_secs: i64,
}

impl Default for NeedDeadlines {
    fn default() -> Self {
        NeedDeadlines {
            grid_secs: default_grid_secs(),
            community_secs: default_community_secs(),
            street_secs: default_street_secs(),
        }
    }
}

impl NeedDeadlines {
    /// How long a need stays at `level`.
    pub fn secs(&self, level: tongxin_schema::v1::taxonomy::NeedLevel) -> i64 {
        use tongxin_schema::v1::taxonomy::NeedLevel;
        match level {
            NeedLevel::Grid => self.grid_secs,
            NeedLevel::Community => self.community_secs,
            NeedLevel::Street => self.street_secs,
        }
    }
}

/// The longest a need may stay at one level: a year.
pub const MAX_DEADLINE_SECS: i64 = 366 * 86_400;

fn default_grid_secs() -> i64 {
    3 * 86_400
}
fn default_community_secs() -> i64 {
    7 * 86_400
}
fn default_street_secs() -> i64 {
    15 * 86_400
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
    /// `sqlite://FILE` (relative to data_dir) or `postgres://user:password@…`. Secret: it may
    /// hold a password.
    #[serde(default = "default_db_url")]
    pub url: SecretString,
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
    /// Secret: it may hold a password. The nodes of a broker cluster: a list (a TOML array, or
    /// one string with the URLs separated by commas, as an environment variable gives it); the
    /// node connects to the first and, each time a session with one ends, tries the next.
    #[serde(deserialize_with = "broker_urls")]
    pub url: SecretString,
    /// Unacknowledged deliveries the broker may push at once.
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// For amqps: the CA that signed the broker's server certificate (default: the alliance root).
    pub tls_ca: Option<PathBuf>,
}

impl BrokerConfig {
    /// The broker addresses, in the order they are tried.
    pub fn urls(&self) -> Vec<&str> {
        self.url
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect()
    }
}

/// One broker URL or a list of them, kept as one secret with the URLs separated by commas.
fn broker_urls<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Urls {
        One(String),
        List(Vec<String>),
    }
    let joined = match Urls::deserialize(d)? {
        Urls::One(u) => u,
        Urls::List(list) => {
            if let Some(u) = list.iter().find(|u| u.contains(',')) {
                return Err(serde::de::Error::custom(format!(
                    "a broker URL in the list contains a comma ({}): percent-encode it as %2C",
                    crate::store::redact_url(u)
                )));
            }
            list.join(",")
        }
    };
    if joined.split(',').all(|u| u.trim().is_empty()) {
        return Err(serde::de::Error::custom("broker.url names no broker"));
    }
    Ok(joined.into())
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
    /// Once nothing more was published for this long, milliseconds, `node.hello` announces the
    /// heads again (unless one already did since): a lost last message is then noticed within
    /// seconds, not at the next hello interval. 0 turns it off.
    #[serde(default = "default_heads_after_quiet")]
    pub heads_after_quiet_ms: u64,
    /// After a restore from a backup (PROTOCOL.md §7.9), how long, seconds, the node waits for
    /// every peer's answer before it numbers broadcasts again on the answers it has (at least
    /// one). Every peer received the same broadcasts, so one answer is enough unless a
    /// federation link was down; 300 s lets such a link come back.
    #[serde(default = "default_recovery_wait")]
    pub recovery_wait_secs: u64,
    /// Kinds this node keeps without acting on them (PROTOCOL.md §7.8), e.g.
    /// `["report.submitted"]`: authentic messages of these kinds are stored and applied, in
    /// order, when the node starts without them listed. For rolling a kind out gradually;
    /// empty by default. From the environment: names separated by commas.
    #[serde(default, deserialize_with = "kinds")]
    pub defer_kinds: Vec<tongxin_schema::v1::Kind>,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        ExchangeConfig {
            batch_size: default_batch(),
            batch_wait_ms: default_batch_wait(),
            hello_interval_secs: default_hello(),
            gap_retry_secs: default_gap_retry(),
            heads_after_quiet_ms: default_heads_after_quiet(),
            recovery_wait_secs: default_recovery_wait(),
            defer_kinds: Vec::new(),
        }
    }
}

/// A list of message kinds: a TOML array, or one string of names separated by commas (as an
/// environment variable gives it).
fn kinds<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<tongxin_schema::v1::Kind>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Names {
        List(Vec<tongxin_schema::v1::Kind>),
        Text(String),
    }
    match Names::deserialize(d)? {
        Names::List(kinds) => Ok(kinds),
        Names::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                n.parse()
                    .map_err(|()| serde::de::Error::custom(format!("unknown message kind {n:?}")))
            })
            .collect(),
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(".")
}
fn default_db_url() -> SecretString {
    "sqlite://tongxin.db".into()
}
fn default_api_pool() -> u32 {
    4
}
fn default_sync() -> String {
    "full".into()
}
/// The consumer holds up to three batches unacknowledged (one committing, one verified and
/// waiting, one being verified): prefetch well above three batches keeps the broker's
/// deliveries flowing while they do.
fn default_prefetch() -> u16 {
    1024
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
fn default_heads_after_quiet() -> u64 {
    2000
}

fn default_recovery_wait() -> u64 {
    300
}
/// The prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "TONGXIN_";

/// Every field, by its TOML path: each can be set by the variable [`env_name`] gives.
/// (`every_field_can_be_set_from_the_environment` fails to compile when a field is added to
/// the structs above until it is listed here and tested.)
pub const FIELDS: &[&str] = &[
    "org_id",
    "kind",
    "name",
    "data_dir",
    "pki.ca_cert",
    "pki.node_key",
    "pki.node_cert",
    "pki.roster",
    "pki.crl",
    "database.url",
    "database.api_pool",
    "database.sqlite_synchronous",
    "broker.url",
    "broker.prefetch",
    "broker.tls_ca",
    "http.listen",
    "http.token_ttl_secs",
    "exchange.batch_size",
    "exchange.batch_wait_ms",
    "exchange.hello_interval_secs",
    "exchange.gap_retry_secs",
    "exchange.heads_after_quiet_ms",
    "exchange.recovery_wait_secs",
    "exchange.defer_kinds",
    "needs.grid_secs",
    "needs.community_secs",
    "needs.street_secs",
    "participation.k",
    "retention.days",
];

/// The flat variable names of earlier versions and the fields they set.
pub const LEGACY_ENV: &[(&str, &str)] = &[
    ("TONGXIN_DATABASE_URL", "database.url"),
    ("TONGXIN_BROKER_URL", "broker.url"),
    ("TONGXIN_HTTP_LISTEN", "http.listen"),
    ("TONGXIN_DATA_DIR", "data_dir"),
    ("TONGXIN_BROKER_PREFETCH", "broker.prefetch"),
    ("TONGXIN_SQLITE_SYNCHRONOUS", "database.sqlite_synchronous"),
];

/// The variable for a field path: `broker.prefetch` → `TONGXIN_BROKER__PREFETCH`.
pub fn env_name(field: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        field.to_ascii_uppercase().replace('.', "__")
    )
}

/// The environment layer: the `TONGXIN_*` variables that name a field, each value verbatim as
/// a string. (figment's own `Env` provider parses values TOML-like, so `123` or `true` would
/// no longer be a string and `"…"` would lose its quotes; the variables have always been taken
/// as written.)
struct EnvLayer {
    /// Field path → (variable that set it, value).
    set: BTreeMap<&'static str, (String, String)>,
}

impl EnvLayer {
    fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> EnvLayer {
        // Field, whether the variable is the `__` spelling (which wins over a legacy name).
        let mut set: BTreeMap<&'static str, (bool, String, String)> = BTreeMap::new();
        for (var, value) in vars {
            if !var.starts_with(ENV_PREFIX) {
                continue;
            }
            let found = FIELDS
                .iter()
                .find(|f| env_name(f) == var)
                .map(|f| (*f, true))
                .or_else(|| {
                    LEGACY_ENV
                        .iter()
                        .find(|(name, _)| *name == var)
                        .map(|(_, f)| (*f, false))
                });
            match found {
                Some((field, nested)) => match set.get(field) {
                    // The `__` spelling wins over a legacy name, whatever the order.
                    Some((true, ..)) if !nested => {}
                    _ => {
                        set.insert(field, (nested, var, value));
                    }
                },
                None if var.contains("__") => {
                    tracing::warn!(variable = %var, "ignoring an environment variable that names no configuration field");
                }
                None => {}
            }
        }
        EnvLayer {
            set: set
                .into_iter()
                .map(|(f, (_, var, value))| (f, (var, value)))
                .collect(),
        }
    }

    fn from_process() -> EnvLayer {
        EnvLayer::from_vars(std::env::vars_os().filter_map(|(k, v)| {
            let k = k.into_string().ok()?;
            match v.into_string() {
                Ok(v) => Some((k, v)),
                Err(_) => {
                    if k.starts_with(ENV_PREFIX) {
                        tracing::warn!(variable = %k, "ignoring an environment variable that is not UTF-8");
                    }
                    None
                }
            }
        }))
    }
}

impl Provider for EnvLayer {
    fn metadata(&self) -> Metadata {
        let names: BTreeMap<String, String> = self
            .set
            .iter()
            .map(|(f, (var, _))| ((*f).to_owned(), var.clone()))
            .collect();
        Metadata::named("the environment").interpolater(move |_: &Profile, keys: &[&str]| {
            let path = keys.join(".");
            names.get(&path).cloned().unwrap_or_else(|| env_name(&path))
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (field, (_, value)) in &self.set {
            let v = Value::from(value.clone());
            match field.split_once('.') {
                None => {
                    dict.insert((*field).to_owned(), v);
                }
                Some((table, key)) => {
                    let t = dict
                        .entry(table.to_owned())
                        .or_insert_with(|| Value::from(Dict::new()));
                    if let Value::Dict(_, t) = t {
                        t.insert(key.to_owned(), v);
                    }
                }
            }
        }
        Ok(Profile::Default.collect(dict))
    }
}

impl Config {
    /// Reads the file, applies `TONGXIN_*` overrides, resolves relative paths.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut cfg = Config::from_layers(&text, EnvLayer::from_process())
            .with_context(|| format!("invalid config {}", path.display()))?;
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

    /// The file's text, then the environment on top; checks what types cannot.
    fn from_layers(toml: &str, env: EnvLayer) -> anyhow::Result<Config> {
        // Lossy: a variable's "256" is the number 256 where a number is wanted.
        let cfg: Config = Figment::new()
            .merge(Toml::string(toml))
            .merge(env)
            .extract_lossy()?;
        if !matches!(cfg.database.sqlite_synchronous.as_str(), "full" | "normal") {
            bail!("database.sqlite_synchronous must be \"full\" or \"normal\"");
        }
        let n = cfg.needs;
        for (field, secs) in [
            ("needs.grid_secs", n.grid_secs),
            ("needs.community_secs", n.community_secs),
            ("needs.street_secs", n.street_secs),
        ] {
            if !(1..=MAX_DEADLINE_SECS).contains(&secs) {
                bail!("{field} must be 1 to {MAX_DEADLINE_SECS} seconds (a year), not {secs}");
            }
        }
        let k = cfg.participation.k;
        if !(1..=tongxin_schema::v1::bodies::MAX_K).contains(&k) {
            bail!(
                "participation.k must be 1 to {}, not {k}",
                tongxin_schema::v1::bodies::MAX_K
            );
        }
        Ok(cfg)
    }

    /// The database URL with a relative SQLite path resolved against data_dir. Still secret.
    pub fn database_url(&self) -> SecretString {
        match self.database.url.expose_secret().strip_prefix("sqlite://") {
            Some(p) if Path::new(p).is_relative() => {
                format!("sqlite://{}", self.data_dir.join(p).display()).into()
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
# Every value can be overridden by an environment variable: TONGXIN_ and the key's path in
# capitals, "__" between table and key, e.g. TONGXIN_DATABASE__URL, TONGXIN_BROKER__PREFETCH,
# TONGXIN_EXCHANGE__BATCH_SIZE (older names such as TONGXIN_DATABASE_URL still work).
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
# A broker cluster: a list, tried in turn, e.g. ["amqps://b1:5671/alliance?…", "amqps://b2:5671/alliance?…"]
url = "amqp://{org_id}:CHANGE-ME@127.0.0.1:5672/alliance"
prefetch = 1024

[http]
listen = "127.0.0.1:8080"
token_ttl_secs = 28800
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> EnvLayer {
        EnvLayer::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    fn sample() -> String {
        let org: OrgId = "youyi-nanli".parse().unwrap();
        template(&org, OrgKind::Community, "友谊南里社区")
    }

    #[test]
    fn template_parses_and_env_overrides() {
        let cfg = Config::from_layers(&sample(), env(&[])).unwrap();
        assert_eq!(cfg.kind, OrgKind::Community);
        let cfg = Config::from_layers(
            &sample(),
            env(&[("TONGXIN_DATABASE_URL", "postgres://x/y")]),
        )
        .unwrap();
        assert_eq!(cfg.database.url.expose_secret(), "postgres://x/y");
        assert!(
            Config::from_layers(&sample(), env(&[("TONGXIN_BROKER_PREFETCH", "many")])).is_err()
        );
    }

    #[test]
    fn a_broker_cluster_is_a_list_of_urls_in_the_file_or_the_environment() {
        let one = Config::from_layers(&sample(), env(&[])).unwrap();
        assert_eq!(one.broker.urls().len(), 1);
        let listed = sample().replace(
            "url = \"amqp://youyi-nanli:CHANGE-ME@127.0.0.1:5672/alliance\"",
            "url = [\"amqp://u:p@127.0.0.1:5701/a\", \"amqp://u:p@127.0.0.1:5702/a\"]",
        );
        let cfg = Config::from_layers(&listed, env(&[])).unwrap();
        assert_eq!(
            cfg.broker.urls(),
            ["amqp://u:p@127.0.0.1:5701/a", "amqp://u:p@127.0.0.1:5702/a"]
        );
        let cfg = Config::from_layers(
            &sample(),
            env(&[(
                "TONGXIN_BROKER__URL",
                "amqp://a:1/v, amqp://b:2/v,amqp://c:3/v",
            )]),
        )
        .unwrap();
        assert_eq!(
            cfg.broker.urls(),
            ["amqp://a:1/v", "amqp://b:2/v", "amqp://c:3/v"]
        );
        let empty = sample().replace(
            "url = \"amqp://youyi-nanli:CHANGE-ME@127.0.0.1:5672/alliance\"",
            "url = []",
        );
        let e = Config::from_layers(&empty, env(&[])).unwrap_err();
        assert!(format!("{e:#}").contains("names no broker"), "{e:#}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let org: OrgId = "youyi-nanli".parse().unwrap();
        let text = template(&org, OrgKind::Community, "x") + "\ncolour = \"red\"\n";
        assert!(toml::from_str::<Config>(&text).is_err());
        let err = Config::from_layers(&text, env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("colour"), "{err:#}");
        let text = sample().replace("[http]", "[http]\nlisten_on = \"x\"");
        assert!(Config::from_layers(&text, env(&[])).is_err());
    }

    #[test]
    fn every_field_can_be_set_from_the_environment() {
        let vars = [
            ("org_id", "dongcheng-street"),
            ("kind", "street"),
            ("name", "123"),
            ("data_dir", "/srv/tx"),
            ("pki.ca_cert", "a.pem"),
            ("pki.node_key", "b.key"),
            ("pki.node_cert", "c.pem"),
            ("pki.roster", "d.jws"),
            ("pki.crl", "e.pem"),
            ("database.url", "postgres://tx@db/tx"),
            ("database.api_pool", "9"),
            ("database.sqlite_synchronous", "normal"),
            (
                "broker.url",
                "amqps://b:5671/alliance?auth_mechanism=external",
            ),
            ("broker.prefetch", "17"),
            ("broker.tls_ca", "f.pem"),
            ("http.listen", "0.0.0.0:9"),
            ("http.token_ttl_secs", "60"),
            ("exchange.batch_size", "7"),
            ("exchange.batch_wait_ms", "3"),
            ("exchange.hello_interval_secs", "11"),
            ("exchange.gap_retry_secs", "13"),
            ("exchange.heads_after_quiet_ms", "17"),
            ("exchange.recovery_wait_secs", "31"),
            ("exchange.defer_kinds", "report.submitted, signup.requested"),
            ("needs.grid_secs", "19"),
            ("needs.community_secs", "23"),
            ("needs.street_secs", "29"),
            ("participation.k", "5"),
            ("retention.days", "37"),
        ];
        let fields: Vec<&str> = vars.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, FIELDS, "FIELDS and this test list the same fields");
        let named: Vec<(String, String)> = vars
            .iter()
            .map(|(f, v)| (env_name(f), (*v).to_owned()))
            .collect();
        assert!(
            named
                .iter()
                .any(|(n, _)| n == "TONGXIN_EXCHANGE__HELLO_INTERVAL_SECS")
        );
        let cfg = Config::from_layers(&sample(), EnvLayer::from_vars(named)).unwrap();

        // No `..`: a new field does not compile here until it is in FIELDS and checked.
        let Config {
            org_id,
            kind,
            name,
            data_dir,
            pki:
                PkiConfig {
                    ca_cert,
                    node_key,
                    node_cert,
                    roster,
                    crl,
                },
            database:
                DatabaseConfig {
                    url: db_url,
                    api_pool,
                    sqlite_synchronous,
                },
            broker:
                BrokerConfig {
                    url: broker_url,
                    prefetch,
                    tls_ca,
                },
            http: HttpConfig {
                listen,
                token_ttl_secs,
            },
            exchange:
                ExchangeConfig {
                    batch_size,
                    batch_wait_ms,
                    hello_interval_secs,
                    gap_retry_secs,
                    heads_after_quiet_ms,
                    recovery_wait_secs,
                    defer_kinds,
                },
            needs:
                NeedDeadlines {
                    grid_secs,
                    community_secs,
                    street_secs,
                },
            participation: ParticipationConfig { k },
            retention: RetentionConfig {
                days: retention_days,
            },
        } = cfg;
        assert_eq!(org_id.to_string(), "dongcheng-street");
        assert_eq!(kind, OrgKind::Street);
        assert_eq!(name, "123");
        assert_eq!(data_dir, Path::new("/srv/tx"));
        assert_eq!(ca_cert, Path::new("a.pem"));
        assert_eq!(node_key, Path::new("b.key"));
        assert_eq!(node_cert, Path::new("c.pem"));
        assert_eq!(roster, Path::new("d.jws"));
        assert_eq!(crl.as_deref(), Some(Path::new("e.pem")));
        assert_eq!(db_url.expose_secret(), "postgres://tx@db/tx");
        assert_eq!(api_pool, 9);
        assert_eq!(sqlite_synchronous, "normal");
        assert_eq!(
            broker_url.expose_secret(),
            "amqps://b:5671/alliance?auth_mechanism=external"
        );
        assert_eq!(prefetch, 17);
        assert_eq!(tls_ca.as_deref(), Some(Path::new("f.pem")));
        assert_eq!(listen, "0.0.0.0:9");
        assert_eq!(token_ttl_secs, 60);
        assert_eq!(batch_size, 7);
        assert_eq!(batch_wait_ms, 3);
        assert_eq!(hello_interval_secs, 11);
        assert_eq!(gap_retry_secs, 13);
        assert_eq!(heads_after_quiet_ms, 17);
        assert_eq!(recovery_wait_secs, 31);
        assert_eq!((grid_secs, community_secs, street_secs), (19, 23, 29));
        assert_eq!(k, 5);
        assert_eq!(retention_days, 37);
        assert_eq!(
            defer_kinds,
            [
                tongxin_schema::v1::Kind::ReportSubmitted,
                tongxin_schema::v1::Kind::SignupRequested
            ]
        );
    }

    #[test]
    fn the_six_legacy_names_still_work_and_the_nested_name_wins() {
        let cfg = Config::from_layers(
            &sample(),
            env(&[
                ("TONGXIN_DATABASE_URL", "postgres://legacy/db"),
                ("TONGXIN_BROKER_URL", "amqp://u:p@h:1/v"),
                ("TONGXIN_HTTP_LISTEN", "127.0.0.1:0"),
                ("TONGXIN_DATA_DIR", "state"),
                ("TONGXIN_BROKER_PREFETCH", "12"),
                ("TONGXIN_SQLITE_SYNCHRONOUS", "normal"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.database.url.expose_secret(), "postgres://legacy/db");
        assert_eq!(cfg.broker.url.expose_secret(), "amqp://u:p@h:1/v");
        assert_eq!(cfg.http.listen, "127.0.0.1:0");
        assert_eq!(cfg.data_dir, Path::new("state"));
        assert_eq!(cfg.broker.prefetch, 12);
        assert_eq!(cfg.database.sqlite_synchronous, "normal");

        for order in [[0, 1], [1, 0]] {
            let both = [
                ("TONGXIN_BROKER_PREFETCH", "12"),
                ("TONGXIN_BROKER__PREFETCH", "34"),
            ];
            let cfg =
                Config::from_layers(&sample(), env(&[both[order[0]], both[order[1]]])).unwrap();
            assert_eq!(cfg.broker.prefetch, 34);
        }
    }

    #[test]
    fn other_tongxin_variables_are_ignored() {
        let cfg = Config::from_layers(
            &sample(),
            env(&[
                ("TONGXIN_LOG", "debug"),
                ("TONGXIN_CONFIG", "/etc/tongxin.toml"),
                ("TONGXIN_VHOST", "alliance"),
                ("TONGXIN_BROKER__NO_SUCH_KEY", "1"),
                ("TONGXIN_COLOUR", "red"),
                ("tongxin_broker__prefetch", "1"),
                ("OTHER_BROKER__PREFETCH", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.broker.prefetch, 1024);
    }

    #[test]
    fn a_wrongly_typed_variable_is_named_in_the_error() {
        for var in ["TONGXIN_BROKER_PREFETCH", "TONGXIN_BROKER__PREFETCH"] {
            let err = Config::from_layers(&sample(), env(&[(var, "many")])).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(&format!("\"{var}\"")), "{text}");
        }
        let err = Config::from_layers(&sample(), env(&[("TONGXIN_KIND", "castle")])).unwrap_err();
        assert!(format!("{err:#}").contains("TONGXIN_KIND"), "{err:#}");
        let err = Config::from_layers(&sample(), env(&[("TONGXIN_SQLITE_SYNCHRONOUS", "off")]))
            .unwrap_err();
        assert!(format!("{err:#}").contains("sqlite_synchronous"), "{err:#}");
        // Types from the file are still checked as before.
        let text = sample().replace("prefetch = 1024", "prefetch = \"many\"");
        assert!(Config::from_layers(&text, env(&[])).is_err());
    }

    #[test]
    fn passwords_in_urls_never_reach_debug_output() {
        let text = sample().replace(
            "url = \"sqlite://tongxin.db\"",
            "url = \"postgres://tx:file-db-pw@db.example/tongxin\"",
        );
        let cfg = Config::from_layers(
            &text,
            env(&[(
                "TONGXIN_BROKER_URL",
                "amqp://youyi-nanli:env-broker-pw@127.0.0.1:5672/alliance",
            )]),
        )
        .unwrap();
        let debug = format!("{cfg:?}");
        let pretty = format!("{cfg:#?}");
        for secret in ["file-db-pw", "env-broker-pw", "youyi-nanli:"] {
            assert!(!debug.contains(secret), "{debug}");
            assert!(!pretty.contains(secret), "{pretty}");
        }
        assert!(debug.contains("REDACTED"), "{debug}");
        assert!(!format!("{:?}", cfg.database_url()).contains("file-db-pw"));
        // The code that connects still gets the whole URL.
        assert_eq!(
            cfg.broker.url.expose_secret(),
            "amqp://youyi-nanli:env-broker-pw@127.0.0.1:5672/alliance"
        );
        assert_eq!(
            cfg.database_url().expose_secret(),
            "postgres://tx:file-db-pw@db.example/tongxin"
        );
    }

    #[test]
    fn relative_paths_from_the_file_and_the_environment_resolve_against_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tongxin.toml");
        std::fs::write(&path, sample()).unwrap();
        let cfg = Config::load(&path).unwrap();
        assert_eq!(cfg.pki.ca_cert, dir.path().join("ca.pem"));
        assert_eq!(cfg.data_dir, dir.path().join("."));
        assert_eq!(
            *cfg.database_url().expose_secret(),
            format!(
                "sqlite://{}",
                dir.path().join(".").join("tongxin.db").display()
            )
        );
        assert!(Config::load(&dir.path().join("missing.toml")).is_err());
    }
}
