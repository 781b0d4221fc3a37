//! Separate RabbitMQ instances for the TLS and federation tests, started with
//! `broker-config/tls-broker`: each has its own node name, ports on 127.0.0.1 and data directory,
//! a TLS listener with a server certificate issued by the test alliance's CA, and certificate
//! login. Dropping a [`Broker`] stops that instance (by its own node name) and removes its data
//! directory. Nothing here touches the machine's shared broker (an [`Alliance`] still makes its
//! own vhost and users there, and removes them, as in every test).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tongxin_node::config::Config;

use crate::{Alliance, Org, RunningNode, repo_root, start_node};

/// One RabbitMQ instance of this test.
pub struct Broker {
    /// Short name: the node is `{name}@localhost`, the certificate's CN `broker.{name}`.
    pub name: String,
    pub node: String,
    pub dir: PathBuf,
    pub amqp_port: u16,
    pub amqps_port: u16,
    pub dist_port: u16,
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn check(what: &str, out: Output) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Broker {
    /// Starts an instance whose server certificate the alliance's CA issues (`label` is part of
    /// the node name, to tell instances apart in logs).
    pub fn start(a: &Alliance, label: &str) -> Broker {
        let ca_key = a.dir.path().join("ca.key");
        if !ca_key.exists() {
            std::fs::write(&ca_key, a.ca_key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        }
        let name = crate::unique(&format!("tx-{label}"));
        // Not TMPDIR: the rabbitmq user must be able to reach it.
        let dir = PathBuf::from("/tmp").join(&name);
        let mut broker = Broker {
            node: format!("{name}@localhost"),
            name,
            dir,
            amqp_port: 0,
            amqps_port: 0,
            dist_port: 0,
        };
        let out = run(Command::new(repo_root().join("broker-config/tls-broker"))
            .arg("--ca-cert")
            .arg(a.ca_path())
            .arg("--ca-key")
            .arg(&ca_key)
            .args(["--name", &broker.name])
            .arg("--dir")
            .arg(&broker.dir)
            // Should this process die without dropping the Broker, the instance goes too.
            .args(["--owner-pid", &std::process::id().to_string()]));
        // From here on, Drop stops the instance even if starting it failed half way.
        let stdout = check("broker-config/tls-broker", out);
        for line in stdout.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k {
                "amqp_port" => broker.amqp_port = v.parse().unwrap(),
                "amqps_port" => broker.amqps_port = v.parse().unwrap(),
                "dist_port" => broker.dist_port = v.parse().unwrap(),
                _ => {}
            }
        }
        assert!(broker.amqps_port > 0 && broker.amqp_port > 0, "{stdout}");
        broker
    }

    /// `RABBITMQCTL` for broker-config's scripts.
    pub fn ctl_command(&self) -> String {
        format!("rabbitmqctl -n {}", self.node)
    }

    /// Runs rabbitmqctl against this instance; panics on failure.
    pub fn ctl(&self, args: &[&str]) -> String {
        check(&format!("rabbitmqctl {args:?}"), self.try_ctl(args))
    }

    pub fn try_ctl(&self, args: &[&str]) -> Output {
        // The CLI finds plugin commands (federation_status) through the enabled-plugins file.
        run(Command::new("rabbitmqctl")
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.dir.join("enabled_plugins"),
            )
            .args(["-n", &self.node, "-q"])
            .args(args))
    }

    /// Runs one of broker-config's scripts against this instance.
    pub fn script(&self, script: &str, args: &[&str]) -> String {
        check(
            &format!("broker-config/{script} {args:?}"),
            run(Command::new(repo_root().join("broker-config").join(script))
                .env("RABBITMQCTL", self.ctl_command())
                .args(args)),
        )
    }

    /// The alliance's vhost and exchange, and a certificate-login user and queue for each
    /// organisation whose id starts with one of `prefixes`.
    pub fn admit(&self, a: &Alliance, prefixes: &[&str]) {
        if prefixes.is_empty() {
            self.script("apply", &["--vhost", &a.vhost, "--exchange-only"]);
        }
        for p in prefixes {
            let id = a.org(p).id.to_string();
            self.script("apply", &["--vhost", &a.vhost, "--org", &id, "--external"]);
        }
    }

    /// The URL a node uses: TLS, and the certificate as the only credential.
    pub fn node_url(&self, vhost: &str) -> String {
        format!(
            "amqps://127.0.0.1:{}/{vhost}?auth_mechanism=external",
            self.amqps_port
        )
    }

    /// The federation URI for links to this broker, logging in with `downstream`'s certificate.
    pub fn federation_uri(&self, vhost: &str, downstream: &Broker) -> String {
        let tls = downstream.dir.join("tls");
        format!(
            "amqps://127.0.0.1:{port}/{vhost}?cacertfile={ca}&certfile={cert}&keyfile={key}\
             &verify=verify_peer&server_name_indication=localhost&auth_mechanism=external",
            port = self.amqps_port,
            ca = tls.join("ca.pem").display(),
            cert = tls.join("server.pem").display(),
            key = tls.join("server.key").display(),
        )
    }

    /// The user name another broker's federation link logs in with here.
    pub fn peer_user(&self) -> String {
        format!("broker.{}", self.name)
    }

    /// Federation links of this broker (as downstream) whose status is `running`.
    pub fn federation_links_running(&self) -> usize {
        let out = self.ctl(&["federation_status", "--formatter", "json"]);
        // No links may print nothing at all; anything else must be the JSON list, or "no link
        // is running" could pass without looking.
        let links: Vec<serde_json::Value> = if out.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("federation_status is not a JSON list ({e}): {out}"))
        };
        links.iter().filter(|l| l["status"] == "running").count()
    }

    /// Messages ready in a queue of `vhost` (-1 if there is no such queue).
    pub fn queue_messages(&self, vhost: &str, queue: &str) -> i64 {
        self.ctl(&[
            "list_queues",
            "--no-table-headers",
            "-p",
            vhost,
            "name",
            "messages",
        ])
        .lines()
        .filter_map(|l| l.rsplit_once('\t'))
        .find(|(n, _)| *n == queue)
        .and_then(|(_, c)| c.trim().parse().ok())
        .unwrap_or(-1)
    }

    /// The queue on this broker from which `downstream`'s federation link pulls.
    pub fn upstream_queue_for(&self, downstream: &Broker) -> String {
        format!("federation: tongxin -> {}", downstream.name)
    }

    /// The keys `downstream`'s link has bound on this broker's `tongxin` (through the link's
    /// internal exchange, `federation: tongxin -> {downstream} A` or `… B`), sorted.
    pub fn link_binding_keys(&self, vhost: &str, downstream: &Broker) -> Vec<String> {
        let internal = format!("{} ", self.upstream_queue_for(downstream));
        let mut keys: Vec<String> = self
            .ctl(&[
                "list_bindings",
                "--no-table-headers",
                "-p",
                vhost,
                "source_name",
                "destination_name",
                "routing_key",
            ])
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 3 && f[0] == "tongxin" && f[1].starts_with(&internal))
                    .then(|| f[2].to_owned())
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Lines of this instance's log that contain `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        let log = self.dir.join("log").join(format!("{}.log", self.node));
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }

    /// Connections on this instance: (user, auth mechanism, TLS?, connection name).
    pub fn connections(&self) -> Vec<(String, String, bool, String)> {
        self.ctl(&[
            "list_connections",
            "--no-table-headers",
            "user",
            "auth_mechanism",
            "ssl",
            "client_properties",
        ])
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let user = f.next()?.to_owned();
            let mech = f.next()?.to_owned();
            let ssl = f.next()? == "true";
            let props = f.next().unwrap_or_default();
            let name = props
                .split("{\"connection_name\",\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_default()
                .to_owned();
            Some((user, mech, ssl, name))
        })
        .collect()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let out = Command::new(repo_root().join("broker-config/tls-broker"))
            .args(["--stop", &self.name])
            .arg("--dir")
            .arg(&self.dir)
            .output();
        if let Ok(o) = out
            && !o.status.success()
        {
            eprintln!(
                "stopping broker {}: {}",
                self.node,
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

/// Federates the `tongxin` exchange of `vhost` both ways between `x` and `y`
/// (broker-config/federate, FEDERATION.md): each lets the other's link log in with its broker
/// certificate, limited to the direct messages of the organisations the other hosts, and takes
/// the other as its upstream (max-hops 1). The two brokers are set up side by side.
pub fn federate_both_ways(vhost: &str, x: (&Broker, &[String]), y: (&Broker, &[String])) {
    let setup = |(me, _): (&Broker, &[String]), (peer, peer_orgs): (&Broker, &[String])| {
        me.script(
            "federate",
            &[
                "--vhost",
                vhost,
                "--allow-peer",
                &peer.peer_user(),
                "--orgs",
                &peer_orgs.join(","),
                "--upstream",
                &peer.name,
                "--uri",
                &peer.federation_uri(vhost, me),
            ],
        );
    };
    std::thread::scope(|s| {
        let other = s.spawn(|| setup(y, x));
        setup(x, y);
        other.join().unwrap();
    });
}

/// Starts a node of the alliance that connects to `broker_url` (an `amqps://…` URL: it logs in
/// with its certificate) instead of the shared broker.
pub async fn start_on(a: &Alliance, prefix: &str, broker_url: &str) -> RunningNode {
    start_on_with(a, prefix, broker_url, |_| {}).await
}

/// [`start_on`], with `edit` applied to the node's configuration first.
pub async fn start_on_with(
    a: &Alliance,
    prefix: &str,
    broker_url: &str,
    edit: impl FnOnce(&mut Config),
) -> RunningNode {
    let org = a.org(prefix);
    let mut cfg = Config::load(&a.config(org, None)).unwrap();
    cfg.broker.url = broker_url.into();
    edit(&mut cfg);
    start_node(org.id.clone(), cfg).await
}

/// What a client sees when it connects with `cert`/`key` (PEM) and `ca` as trusted roots.
pub async fn connect_tls(
    url: &str,
    identity: Option<(&Path, &Path)>,
    ca: &Path,
) -> Result<lapin::Connection, lapin::Error> {
    let identity = identity.map(|(cert, key)| lapin::tcp::OwnedIdentity::PKCS8 {
        pem: std::fs::read(cert).unwrap(),
        key: std::fs::read(key).unwrap(),
    });
    let tls = lapin::tcp::OwnedTLSConfig {
        identity,
        cert_chain: Some(std::fs::read_to_string(ca).unwrap()),
    };
    lapin::Connection::connect_with_config(
        url,
        lapin::ConnectionProperties::default(),
        tls,
        lapin::runtime::default_runtime().unwrap(),
    )
    .await
}

/// The certificate and key files of an organisation.
pub fn identity(org: &Org) -> (PathBuf, PathBuf) {
    (org.dir.join("node.pem"), org.dir.join("node.key"))
}
