//! Test harness: a fresh alliance (CA, certificates, roster) in a temporary directory, its own
//! RabbitMQ vhost and broker users, optionally its own PostgreSQL database, and nodes started
//! in-process through `Application::build`, the same path `tongxin run` takes. Everything a
//! test creates is removed when it is dropped, and nothing else is touched.

#![allow(clippy::unwrap_used, clippy::expect_used)] // harness failures should panic the test

pub mod broker;
pub mod browser;
pub mod process;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use serde_json::{Value, json};
use tokio::sync::watch;
use tongxin_node::app::Application;
use tongxin_node::config::Config;
use tongxin_node::state::SharedNode;
use tongxin_schema::pki::{self, Validity};
use tongxin_schema::roster::{RosterDoc, RosterOrg, sign_roster};
use tongxin_schema::v1::text::Text;
use tongxin_schema::{OrgId, OrgKind};

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

/// The home nodes' member-reference secret in these tests (PROTOCOL.md §2.3).
pub const MEMBER_KEY: &[u8] = b"tongxin tests member key";

/// The reference `host` knows member `id` of `home` by.
pub fn member_at(home: &OrgId, host: &OrgId, id: uuid::Uuid) -> tongxin_schema::MemberRef {
    tongxin_schema::MemberRef::pairwise(home.clone(), MEMBER_KEY, host, id)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn rabbitmqctl(args: &[&str]) -> String {
    let out = Command::new("rabbitmqctl")
        .arg("-q")
        .args(args)
        .output()
        .expect("rabbitmqctl");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One organisation of a test alliance.
pub struct Org {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub parent: Option<OrgId>,
    pub key: PKey<Private>,
    pub cert: X509,
    pub dir: PathBuf,
}

/// A test alliance: CA, organisations, roster, CRL, and its own broker vhost.
pub struct Alliance {
    pub dir: tempfile::TempDir,
    pub ca_key: PKey<Private>,
    pub ca_cert: X509,
    pub orgs: Vec<Org>,
    pub vhost: String,
    pub broker_password: String,
    users: Vec<String>,
    databases: Vec<String>,
    roster_serial: u64,
    /// The web addresses the next roster gives (`base_url`), once the nodes listen.
    pub base_urls: std::collections::HashMap<OrgId, String>,
    /// Kinds every node started from now on keeps without acting on them
    /// (`exchange.defer_kinds`): bulk traffic of a kind whose effects need setup (check-ins
    /// of members nobody signed up) then tests delivery, not the kind's rules.
    pub defer_kinds: Vec<&'static str>,
}

impl Alliance {
    /// `orgs`: (id prefix, kind, name, parent id prefix). Ids get a random suffix, so tests
    /// sharing the broker never share a user name.
    pub fn new(orgs: &[(&str, OrgKind, &str, Option<&str>)]) -> Alliance {
        Alliance::with_broker_users(orgs, |_| true)
    }

    /// As `new`, but only organisations whose id prefix `on_broker` accepts get a broker user
    /// and queue (a large alliance whose other members never connect in the test).
    pub fn with_broker_users(
        orgs: &[(&str, OrgKind, &str, Option<&str>)],
        on_broker: impl Fn(&str) -> bool,
    ) -> Alliance {
        Alliance::with_certificates_from(orgs, on_broker, now() - 60)
    }

    /// As `with_broker_users`, with node certificates valid from `not_before` (Unix seconds):
    /// for nodes whose clock is set days back.
    pub fn with_certificates_from(
        orgs: &[(&str, OrgKind, &str, Option<&str>)],
        on_broker: impl Fn(&str) -> bool,
        not_before: i64,
    ) -> Alliance {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = pki::generate_key().unwrap();
        let ca_cert = pki::make_root(&ca_key, "测试联盟").unwrap();
        let suffix = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
        let id = |p: &str| -> OrgId { format!("{p}-{suffix}").parse().unwrap() };
        let mut list = Vec::new();
        for (prefix, kind, name, parent) in orgs {
            let org_id = id(prefix);
            let key = pki::generate_key().unwrap();
            let csr = pki::make_csr(&key, &org_id, name).unwrap();
            let cert = pki::issue(
                &ca_key,
                &ca_cert,
                &csr,
                &org_id,
                *kind,
                Validity::days(not_before, 30),
            )
            .unwrap();
            let odir = dir.path().join(org_id.as_str());
            std::fs::create_dir_all(&odir).unwrap();
            std::fs::write(
                odir.join("node.key"),
                key.private_key_to_pem_pkcs8().unwrap(),
            )
            .unwrap();
            std::fs::write(odir.join("node.pem"), cert.to_pem().unwrap()).unwrap();
            list.push(Org {
                id: org_id,
                kind: *kind,
                name: name.to_string(),
                parent: parent.map(id),
                key,
                cert,
                dir: odir,
            });
        }
        let on_broker: Vec<bool> = orgs.iter().map(|(p, ..)| on_broker(p)).collect();
        Alliance::assemble(dir, ca_key, ca_cert, list, None, &on_broker)
    }

    /// The alliance of the protocol's test vectors (`tongxin_schema::vectors`), with its own
    /// org-id suffix, so every vector can be sent through a real broker to a real node.
    pub fn from_vectors(t: &tongxin_schema::vectors::TestAlliance) -> Alliance {
        Alliance::from_vectors_with(t, |_| true)
    }

    /// `from_vectors` with broker users and queues only for the organisations `on_broker`
    /// accepts (setting each up costs several rabbitmqctl calls).
    pub fn from_vectors_with(
        t: &tongxin_schema::vectors::TestAlliance,
        on_broker: impl Fn(&OrgId) -> bool,
    ) -> Alliance {
        let dir = tempfile::tempdir().unwrap();
        let mut list = Vec::new();
        for (n, (_, _, name)) in t.nodes.iter().zip(tongxin_schema::vectors::ORGS) {
            let odir = dir.path().join(n.org_id.as_str());
            std::fs::create_dir_all(&odir).unwrap();
            std::fs::write(
                odir.join("node.key"),
                n.key.private_key_to_pem_pkcs8().unwrap(),
            )
            .unwrap();
            std::fs::write(odir.join("node.pem"), n.cert.to_pem().unwrap()).unwrap();
            list.push(Org {
                id: n.org_id.clone(),
                kind: n.kind,
                name: name.to_owned(),
                parent: None,
                key: n.key.clone(),
                cert: n.cert.clone(),
                dir: odir,
            });
        }
        Alliance::assemble(
            dir,
            t.ca_key.clone(),
            t.ca_cert.clone(),
            list,
            Some((t.roster_jws.clone(), t.crl_pem.clone())),
            &t.nodes
                .iter()
                .map(|n| on_broker(&n.org_id))
                .collect::<Vec<_>>(),
        )
    }

    /// Writes the trust files, creates the vhost and one broker user per organisation.
    fn assemble(
        dir: tempfile::TempDir,
        ca_key: PKey<Private>,
        ca_cert: X509,
        list: Vec<Org>,
        trust: Option<(String, String)>,
        on_broker: &[bool],
    ) -> Alliance {
        std::fs::write(dir.path().join("ca.pem"), ca_cert.to_pem().unwrap()).unwrap();
        let vhost = unique("tx-test");
        rabbitmqctl(&["add_vhost", &vhost]);
        let mut a = Alliance {
            dir,
            ca_key,
            ca_cert,
            orgs: list,
            vhost,
            broker_password: unique("pw"),
            users: vec![],
            databases: vec![],
            roster_serial: 0,
            base_urls: Default::default(),
            defer_kinds: Vec::new(),
        };
        match trust {
            Some((roster, crl)) => {
                std::fs::write(a.dir.path().join("roster.jws"), roster).unwrap();
                std::fs::write(a.dir.path().join("crl.pem"), crl).unwrap();
                a.roster_serial = 1;
            }
            None => {
                a.write_roster(|_| true);
                a.write_crl(&[]);
            }
        }
        let apply = repo_root().join("broker-config/apply");
        let out = Command::new(&apply)
            .args(["--vhost", &a.vhost, "--exchange-only"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Everyone, unless told otherwise.
        let ids: Vec<String> = a
            .orgs
            .iter()
            .enumerate()
            .filter(|(i, _)| on_broker.get(*i).copied().unwrap_or(true))
            .map(|(_, o)| o.id.to_string())
            .collect();
        for id in ids {
            let out = Command::new(&apply)
                .args([
                    "--vhost",
                    &a.vhost,
                    "--org",
                    &id,
                    "--password",
                    &a.broker_password,
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            a.users.push(id);
        }
        a
    }

    pub fn org(&self, prefix: &str) -> &Org {
        self.orgs
            .iter()
            .find(|o| o.id.as_str().starts_with(&format!("{prefix}-")))
            .unwrap_or_else(|| panic!("no org {prefix}"))
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Signs a roster of the organisations `keep` selects, with the next serial.
    pub fn write_roster(&mut self, keep: impl Fn(&Org) -> bool) -> String {
        self.roster_serial += 1;
        let orgs = self
            .orgs
            .iter()
            .filter(|o| keep(o))
            .map(|o| RosterOrg {
                id: o.id.clone(),
                name: Text::new(o.name.clone()).unwrap(),
                kind: o.kind,
                parent: o.parent.clone(),
                // Communities have grids 1–5 (their own codes), so tests can name one.
                grids: match o.kind {
                    OrgKind::Community => {
                        (1..=5).map(|g| Text::new(g.to_string()).unwrap()).collect()
                    }
                    _ => vec![],
                },
                certificate: String::from_utf8(o.cert.to_pem().unwrap()).unwrap(),
                base_url: self.base_urls.get(&o.id).cloned(),
            })
            .collect();
        let doc = RosterDoc {
            v: 1,
            alliance: "测试联盟".into(),
            serial: self.roster_serial,
            iat: now(),
            orgs,
        };
        let jws = sign_roster(&self.ca_key, &self.ca_cert, &doc).unwrap();
        std::fs::write(self.dir.path().join("roster.jws"), &jws).unwrap();
        jws
    }

    pub fn write_crl(&self, revoked: &[&Org]) -> String {
        let list: Vec<pki::Revoked> = revoked
            .iter()
            .map(|o| pki::Revoked {
                serial: pki::CertInfo::read(&o.cert).unwrap().serial,
                org_id: o.id.to_string(),
                revoked_at: now() - 1,
            })
            .collect();
        let pem = String::from_utf8(
            pki::make_crl(&self.ca_key, &self.ca_cert, &list, now())
                .unwrap()
                .to_pem()
                .unwrap(),
        )
        .unwrap();
        std::fs::write(self.dir.path().join("crl.pem"), &pem).unwrap();
        pem
    }

    /// A fresh PostgreSQL database for one node; dropped with the alliance.
    pub fn postgres_db(&mut self) -> String {
        let name = unique("tx_test").replace('-', "_");
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-w",
                "-c",
                &format!("CREATE DATABASE {name}"),
                "postgres",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.databases.push(name.clone());
        format!("postgres://postgres@127.0.0.1:5432/{name}")
    }

    /// Writes the config of a node; `db` is a URL or None for SQLite in the node's directory.
    pub fn config(&self, org: &Org, db: Option<&str>) -> PathBuf {
        let path = org.dir.join("tongxin.toml");
        let toml = format!(
            r#"org_id = "{id}"
kind = "{kind}"
name = "{name}"
data_dir = "."
[pki]
ca_cert = "{ca}"
node_key = "node.key"
node_cert = "node.pem"
roster = "{roster}"
crl = "{crl}"
[database]
url = "{db}"
[broker]
url = "amqp://{id}:{pw}@127.0.0.1:5672/{vhost}"
prefetch = 256
[http]
listen = "127.0.0.1:0"
[exchange]
hello_interval_secs = 2
gap_retry_secs = 2
defer_kinds = [{defer}]
"#,
            id = org.id,
            kind = org.kind,
            name = org.name,
            ca = self.ca_path().display(),
            roster = self.dir.path().join("roster.jws").display(),
            crl = self.dir.path().join("crl.pem").display(),
            db = db.unwrap_or("sqlite://tongxin.db"),
            pw = self.broker_password,
            vhost = self.vhost,
            defer = self
                .defer_kinds
                .iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", "),
        );
        std::fs::write(&path, toml).unwrap();
        path
    }

    /// Starts a node (SQLite unless `db` is given) and makes an admin account.
    pub async fn start(&self, prefix: &str, db: Option<&str>) -> RunningNode {
        let org = self.org(prefix);
        let cfg = Config::load(&self.config(org, db)).unwrap();
        start_node(org.id.clone(), cfg).await
    }

    /// Starts a node on SQLite whose time is `clock` (tests hold one manual clock for every node
    /// and move it, so an activity's hour passes without waiting).
    pub async fn start_with_clock(
        &self,
        prefix: &str,
        clock: tongxin_node::clock::Clock,
    ) -> RunningNode {
        self.start_on_with_clock(prefix, None, clock).await
    }

    /// [`Alliance::start_with_clock`] on the database `db` (SQLite when None).
    pub async fn start_on_with_clock(
        &self,
        prefix: &str,
        db: Option<&str>,
        clock: tongxin_node::clock::Clock,
    ) -> RunningNode {
        let org = self.org(prefix);
        let cfg = Config::load(&self.config(org, db)).unwrap();
        start_app(
            org.id.clone(),
            tongxin_node::app::Application::build_with_clock(cfg, clock).unwrap(),
        )
        .await
    }

    /// Gives the roster the web addresses of `nodes` (now that they listen) and installs it
    /// in each of them at once.
    pub fn publish_base_urls(&mut self, nodes: &[&RunningNode]) {
        for n in nodes {
            self.base_urls.insert(n.org_id.clone(), n.url(""));
        }
        let roster = self.write_roster(|_| true);
        for n in nodes {
            n.install_roster(&roster);
        }
    }

    /// A broker user that is not a node (an attacker or a test publisher): may write to the
    /// exchange, read nothing.
    pub fn outsider(&mut self) -> (String, String) {
        let user = unique("outsider");
        let pw = unique("pw");
        rabbitmqctl(&["add_user", &user, &pw]);
        rabbitmqctl(&[
            "set_permissions",
            "-p",
            &self.vhost,
            &user,
            "^$",
            "^tongxin$",
            "^$",
        ]);
        self.users.push(user.clone());
        (user, pw)
    }
}

impl Drop for Alliance {
    fn drop(&mut self) {
        for u in &self.users {
            let _ = Command::new("rabbitmqctl")
                .args(["-q", "delete_user", u])
                .output();
        }
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_vhost", &self.vhost])
            .output();
        for db in &self.databases {
            let _ = Command::new("psql")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-w",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                    "postgres",
                ])
                .output();
        }
    }
}

/// The smallest alliance with a hierarchy: a street and one of its communities.
pub fn street_and_community() -> Alliance {
    Alliance::new(&[
        ("street", OrgKind::Street, "学院南路街道党工委", None),
        (
            "community",
            OrgKind::Community,
            "友谊南里社区大党委",
            Some("street"),
        ),
    ])
}

/// A street, its community and a 楼e家 alliance. Their nodes keep the bulk check-ins these
/// tests send without acting on them (they name members nobody signed up).
pub fn trio() -> Alliance {
    let mut a = Alliance::new(&[
        ("street", OrgKind::Street, "学院南路街道党工委", None),
        (
            "community",
            OrgKind::Community,
            "友谊南里社区大党委",
            Some("street"),
        ),
        ("loue", OrgKind::BuildingAlliance, "楼e家党建联盟", None),
    ]);
    a.defer_kinds = vec!["checkin.attested"];
    a
}

/// Direct `checkin.attested` messages from `node` to `to` (stream `org.<to>`), `per_tx` to a
/// transaction.
pub async fn send_checkins(node: &RunningNode, to: &OrgId, n: usize, per_tx: usize) {
    use tongxin_schema::Audience;
    use tongxin_schema::v1::bodies::CheckinAttested;
    use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
    let mut sent = 0;
    while sent < n {
        let k = per_tx.min(n - sent);
        let (s, to) = (node.node.clone(), to.clone());
        node.node
            .store
            .write(move |c| {
                for i in 0..k {
                    let t = now();
                    let body = CheckinAttested {
                        checkin_id: uuid::Uuid::now_v7(),
                        member: member_at(&to, &s.cfg.org_id, uuid::Uuid::now_v7()),
                        activity_id: None,
                        category: ActivityCategory::VolunteerService,
                        checked_in_at: t - 7200 - i as i64,
                        checked_out_at: t - 3600,
                        minutes: 60,
                        mode: Mode::Routine,
                        corrects: None,
                        closed_by_host: false,
                    };
                    tongxin_node::store::outbox::enqueue(
                        c,
                        &s.signer,
                        s.clock.now_ms(),
                        Audience::Org(to.clone()),
                        body,
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        node.node.outbox_ready.notify_one();
        sent += k;
    }
}

/// Starts a node in this process from its config, the way `tongxin run` does, and signs in
/// as its admin (created here).
pub async fn start_node(org_id: OrgId, cfg: Config) -> RunningNode {
    start_app(org_id, Application::build(cfg).unwrap()).await
}

/// Runs a node built with `Application::build` (its database can be prepared before it
/// exchanges anything) and signs in as its admin (created here).
pub async fn start_app(org_id: OrgId, app: Application) -> RunningNode {
    let node = app.node();
    let stop = app.stopper();
    let port = app.http_port();
    let task = tokio::spawn(app.run_until_stopped());
    let hash = tongxin_node::http::auth::hash_password("correct horse battery").unwrap();
    node.store
        .write(move |c| tongxin_node::store::users::put(c, "admin", &hash, "admin", 0).map(|_| ()))
        .await
        .unwrap();
    let mut n = RunningNode {
        org_id,
        port,
        node,
        stop,
        task: Some(task),
        http: http_client(),
        token: String::new(),
    };
    n.token = n.login("admin", "correct horse battery").await;
    n
}

/// Runs a node built with `Application::build` without an admin account or sign-in: for
/// benchmarks, where hashing a password would compete with what is measured.
pub async fn start_app_unattended(org_id: OrgId, app: Application) -> RunningNode {
    let node = app.node();
    let stop = app.stopper();
    let port = app.http_port();
    let task = tokio::spawn(app.run_until_stopped());
    RunningNode {
        org_id,
        port,
        node,
        stop,
        task: Some(task),
        http: http_client(),
        token: String::new(),
    }
}

/// The tests' HTTP client. It lets an idle connection go after 2 s, before the node's server
/// closes it (actix-web keeps one alive 5 s): reusing a connection the server is closing at
/// that moment fails the request (`IncompleteMessage`), as a test waiting ~5 s between two
/// requests once saw.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
}

/// A node running in this process.
pub struct RunningNode {
    pub org_id: OrgId,
    pub port: u16,
    pub node: SharedNode,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub http: reqwest::Client,
    pub token: String,
}

impl RunningNode {
    /// Verifies a roster signed by the alliance (e.g. one that now gives the running nodes'
    /// web addresses) and makes it this node's roster at once, without waiting for gossip.
    pub fn install_roster(&self, jws: &str) {
        let roster = tongxin_schema::roster::Roster::verify(&self.node.root, jws).unwrap();
        self.node.install_roster(roster);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn login(&self, user: &str, password: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({ "username": user, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login failed");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A web UI page as the node's admin sees it, signed in through the login form.
    pub async fn page(&self, path: &str) -> String {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = c
            .post(self.url("/login"))
            .form(&[("username", "admin"), ("password", "correct horse battery")])
            .send()
            .await
            .unwrap();
        // Staff land on their home page.
        assert_eq!(r.url().path(), "/", "not signed in: {}", r.url());
        let r = c.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.json::<Value>().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "GET {path}: {status} {body}");
        body
    }

    /// POSTs JSON; returns (status, body).
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    }

    pub async fn ok_post(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post(path, body).await;
        assert!((200..300).contains(&status), "POST {path}: {status} {v}");
        v
    }

    /// Stops gracefully and waits.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    pub async fn ready(&self) -> bool {
        self.http
            .get(self.url("/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    }
}

/// Polls `check` until it returns Some, or panics after `secs` with `what`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Publishes raw bytes to the alliance exchange as a broker user, with the given properties.
pub async fn publish_raw(
    vhost: &str,
    user: &str,
    password: &str,
    routing_key: &str,
    payload: &[u8],
    props: lapin::BasicProperties,
) -> anyhow::Result<()> {
    let conn = connect_as(vhost, user, password).await?;
    let ch = conn.create_channel().await?;
    ch.confirm_select(Default::default()).await?;
    ch.basic_publish(
        "tongxin".into(),
        routing_key.into(),
        Default::default(),
        payload,
        props,
    )
    .await?
    .await?;
    ch.close(200, "done".into()).await?;
    conn.close(200, "done".into()).await?;
    Ok(())
}

/// AMQP properties as a node sets them.
pub fn node_props(jti: &str, kind: &str, user_id: Option<&str>) -> lapin::BasicProperties {
    let p = lapin::BasicProperties::default()
        .with_message_id(jti.into())
        .with_type(kind.into())
        .with_content_type("application/jose".into())
        .with_delivery_mode(2);
    match user_id {
        Some(u) => p.with_user_id(u.into()),
        None => p,
    }
}

/// Sends `body` from `from` to `to` through `from`'s outbox, bypassing `from`'s own checks, as
/// a faulty or hostile member could.
pub async fn send_unchecked(
    from: &RunningNode,
    to: &RunningNode,
    body: impl Into<tongxin_schema::v1::Body> + Send + 'static,
) {
    enqueue_unchecked(from, tongxin_schema::Audience::Org(to.org_id.clone()), body).await;
}

/// [`send_unchecked`] for a broadcast kind: to the whole alliance.
pub async fn broadcast_unchecked(
    from: &RunningNode,
    body: impl Into<tongxin_schema::v1::Body> + Send + 'static,
) {
    enqueue_unchecked(from, tongxin_schema::Audience::All, body).await;
}

async fn enqueue_unchecked(
    from: &RunningNode,
    to: tongxin_schema::Audience,
    body: impl Into<tongxin_schema::v1::Body> + Send + 'static,
) {
    let s = from.node.clone();
    from.node
        .store
        .write(move |c| {
            tongxin_node::store::outbox::enqueue(c, &s.signer, s.clock.now_ms(), to, body)
                .map(|_| ())
        })
        .await
        .unwrap();
    from.node.outbox_ready.notify_one();
}

/// A sample offer body for the API.
pub fn offer_input(title: &str) -> Value {
    json!({ "title": title, "description": "测试", "category": "venue", "capacity": 20, "unit": "seats", "station": "convenience" })
}

/// Publishes `n` offers from a node straight through its domain layer (what the API does,
/// without HTTP), `per_tx` to a transaction. Returns their titles.
pub async fn publish_offers(
    node: &RunningNode,
    prefix: &str,
    n: usize,
    per_tx: usize,
) -> Vec<String> {
    publish_offers_on(node.node.clone(), prefix, n, per_tx).await
}

/// `publish_offers` on a node handle (usable from a spawned task).
pub async fn publish_offers_on(
    node: SharedNode,
    prefix: &str,
    n: usize,
    per_tx: usize,
) -> Vec<String> {
    use tongxin_node::domain::offers::NewOffer;
    use tongxin_schema::v1::taxonomy::OfferCategory;
    let offers: Vec<NewOffer> = (0..n)
        .map(|k| NewOffer {
            offer_id: Some(uuid::Uuid::now_v7()),
            title: Text::new(format!("{prefix} {k:05}")).unwrap(),
            description: Text::new("批量测试").unwrap(),
            category: OfferCategory::Service,
            capacity: 1 + k as u32,
            unit: None,
            skills: vec![],
            station: None,
            grids: vec![],
            available_until: None,
        })
        .collect();
    let titles = offers.iter().map(|o| o.title.to_string()).collect();
    publish_offer_list(&node, offers, per_tx).await;
    titles
}

/// Publishes (or, for an `offer_id` already published, replaces) these offers through the
/// node's domain layer, `per_tx` to a transaction.
pub async fn publish_offer_list(
    node: &SharedNode,
    offers: Vec<tongxin_node::domain::offers::NewOffer>,
    per_tx: usize,
) {
    let mut rest = offers.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<_> = rest.by_ref().take(per_tx.max(1)).collect();
        let shared = node.clone();
        node.store
            .write(move |c| {
                let roster = shared.roster();
                let actor = tongxin_node::domain::Actor {
                    signer: &shared.signer,
                    roster: &roster,
                    now_ms: shared.clock.now_ms(),
                    deadlines: shared.cfg.needs,
                };
                for o in chunk {
                    tongxin_node::domain::offers::publish(c, &actor, o).map_err(|e| match e {
                        tongxin_node::domain::ActionError::Store(s) => s,
                        other => tongxin_node::store::StoreError::Corrupt(other.to_string()),
                    })?;
                }
                Ok(())
            })
            .await
            .unwrap();
        node.outbox_ready.notify_one();
    }
}

/// All offer titles a node holds from `org`, sorted.
pub async fn offer_titles(node: &RunningNode, org: &OrgId) -> Vec<String> {
    let org = org.to_string();
    let (_, rows) = node
        .node
        .store
        .read(move |c| {
            tongxin_node::store::offers::list(
                c,
                &tongxin_node::store::ListFilter {
                    org: Some(org),
                    limit: 1_000_000,
                    ..Default::default()
                },
                None,
            )
        })
        .await
        .unwrap();
    let mut t: Vec<String> = rows.into_iter().map(|r| r.title).collect();
    t.sort();
    t
}

/// Waits up to `secs` until `node` holds as many offers from `from` as were `sent`, then
/// asserts it holds exactly those titles: nothing lost, nothing twice.
pub async fn assert_offers_arrive(
    node: &RunningNode,
    from: &OrgId,
    mut sent: Vec<String>,
    secs: u64,
    what: &str,
) {
    sent.sort();
    let got = eventually(secs, what, || async {
        let t = offer_titles(node, from).await;
        (t.len() >= sent.len()).then_some(t)
    })
    .await;
    assert_eq!(got, sent, "{what}");
}

/// The (last applied, known head) of `iss`'s stream at `node`.
pub async fn stream_state(node: &RunningNode, iss: &OrgId, stream: &str) -> Option<(i64, i64)> {
    let (iss, stream) = (iss.to_string(), stream.to_owned());
    node.node
        .store
        .read(move |c| tongxin_node::store::inbound::stream(c, &iss, &stream))
        .await
        .unwrap()
        .map(|s| (s.last_seq, s.known_head))
}

/// Messages in a queue, from the broker (quorum queue counts can lag a little: poll).
pub fn queue_messages(vhost: &str, queue: &str) -> i64 {
    rabbitmqctl(&["list_queues", "-p", vhost, "name", "messages"])
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(n, _)| *n == queue)
        .and_then(|(_, c)| c.trim().parse().ok())
        .unwrap_or(-1)
}

/// Closes a node's broker connection from the broker side.
pub fn kill_connection(org: &OrgId) -> bool {
    let name = format!("tongxin-{org}");
    let list = rabbitmqctl(&["list_connections", "pid", "client_properties"]);
    let mut killed = false;
    for line in list.lines().filter(|l| l.contains(&name)) {
        if let Some(pid) = line.split('\t').next() {
            let _ = Command::new("rabbitmqctl")
                .args(["-q", "close_connection", pid, "test: connection dropped"])
                .output();
            killed = true;
        }
    }
    killed
}

/// A plain AMQP connection to the shared broker as `user`, in `vhost`.
pub async fn connect_as(
    vhost: &str,
    user: &str,
    password: &str,
) -> lapin::Result<lapin::Connection> {
    lapin::Connection::connect(
        &format!("amqp://{user}:{password}@127.0.0.1:5672/{vhost}"),
        lapin::ConnectionProperties::default(),
    )
    .await
}

/// The next message in `queue`, taken off it (acked), waiting up to 15 s for one.
async fn take_next(ch: &lapin::Channel, queue: &str) -> lapin::message::BasicGetMessage {
    use lapin::options::{BasicAckOptions, BasicGetOptions};
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(m) = ch
            .basic_get(queue.into(), BasicGetOptions::default())
            .await
            .unwrap()
        {
            m.ack(BasicAckOptions::default()).await.unwrap();
            return m;
        }
        assert!(Instant::now() < deadline, "nothing arrived in {queue}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Takes messages off `queue` (logged in as `user`) and throws them away, up to and including
/// the first of `kind`: a message lost inside the broker. Only `node.hello` (periodic, in no
/// stream) may come before it. Returns how many of those were thrown away too.
pub async fn drop_first_of_kind(
    vhost: &str,
    user: &str,
    password: &str,
    queue: &str,
    kind: &str,
) -> usize {
    let conn = connect_as(vhost, user, password).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let mut before = 0;
    loop {
        let m = take_next(&ch, queue).await;
        match m.properties.kind().as_ref().map(|k| k.as_str()) {
            Some(k) if k == kind => break,
            Some("node.hello") => before += 1,
            other => panic!("{other:?} before the {kind} to drop"),
        }
    }
    conn.close(200, "done".into()).await.unwrap();
    before
}

/// Takes one message off `queue` (logged in as `user`), waiting up to 15 s for it; returns its
/// bytes.
pub async fn take_one(vhost: &str, user: &str, password: &str, queue: &str) -> Vec<u8> {
    let conn = connect_as(vhost, user, password).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let data = take_next(&ch, queue).await.delivery.data;
    conn.close(200, "done".into()).await.unwrap();
    data
}

/// How many messages a node has recorded as received (applied).
pub async fn received_count(node: &RunningNode) -> i64 {
    node.node
        .store
        .read(tongxin_node::store::inbound::received_count)
        .await
        .unwrap()
}

/// How many messages of `kind` took effect at `node`: a message applied twice counts twice
/// (the `effects` record), where `received_count` and the offer lists would not show it.
pub async fn applied_effects(node: &RunningNode, kind: &str) -> i64 {
    let kind = kind.to_owned();
    node.node
        .store
        .read(tongxin_node::store::inbound::effects)
        .await
        .unwrap()
        .into_iter()
        .find(|(k, _)| *k == kind)
        .map_or(0, |(_, n)| n)
}

/// The `items` of a list answer; none when it has none.
pub fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

/// A request with a member's bearer token (GET, or POST with `body`): status and JSON answer.
pub async fn as_member(
    node: &RunningNode,
    token: &str,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let req = match method {
        "GET" => node.http.get(node.url(path)),
        _ => node.http.post(node.url(path)).json(&body),
    };
    let r = req.bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The codes of the messages a node rejected.
pub async fn rejected_codes(node: &RunningNode) -> Vec<String> {
    node.get("/api/v1/messages/rejected").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// What a node keeps on disk (SQLite main file and write-ahead log), for privacy scans: the raw
/// bytes, and the base64url payloads of the messages it keeps (JWS), decoded.
pub struct Stored {
    pub raw: Vec<u8>,
    pub decoded: Vec<u8>,
}

impl Stored {
    /// The node in `dir` must be stopped (its last writes on disk).
    pub fn read(dir: &Path) -> Stored {
        use base64::Engine;
        let mut raw = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("tongxin.db")
            {
                // The write-ahead log may be checkpointed away between listing and reading.
                match std::fs::read(&p) {
                    Ok(b) => raw.extend(b),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("{}: {e}", p.display()),
                }
            }
        }
        assert!(raw.len() > 10_000, "no database at {}", dir.display());
        let decoded = raw
            .split(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
            .filter(|s| s.len() >= 16)
            .filter_map(|s| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(s)
                    .ok()
            })
            .flatten()
            .collect();
        Stored { raw, decoded }
    }

    /// Whether `s` is anywhere in it, raw or inside a message.
    pub fn holds(&self, s: &str) -> bool {
        let s = s.as_bytes();
        [&self.raw, &self.decoded]
            .iter()
            .any(|b| b.windows(s.len()).any(|w| w == s))
    }
}
