//! A three-node RabbitMQ cluster (broker-config/cluster) for a district that outgrows one
//! broker: the broker node both Tongxin nodes are connected to is killed with SIGKILL while
//! messages stream; the nodes fail over to the next address of `broker.url`, and every message
//! arrives exactly once (the quorum queue keeps what it confirmed on the other two nodes).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tongxin_node::config::Config;
use tongxin_tests::process::metric;
use tongxin_tests::*;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("broker-config/cluster")
}

/// A cluster of this test's: stopped (and its directory removed) when dropped, and by the
/// script's watchdog should the test process die first.
struct Cluster {
    dir: PathBuf,
    env: HashMap<String, String>,
    _parent: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        use std::os::unix::fs::PermissionsExt;
        // The nodes run as the rabbitmq user: their directory must be reachable by it.
        let parent = tempfile::Builder::new()
            .prefix("tx-cluster")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = parent.path().join("c");
        let base = free_ports();
        let name = format!("txc{:06x}-", rand::random::<u32>() & 0xff_ffff);
        let started = std::time::Instant::now();
        let out = Command::new(script())
            .args(["start", "--dir", dir.to_str().unwrap()])
            .args(["--base-port", &base.to_string(), "--name", &name])
            .args(["--owner-pid", &std::process::id().to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "broker-config/cluster start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "three-node cluster up in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let env = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Cluster {
            dir,
            env,
            _parent: parent,
        }
    }

    fn run(&self, args: &[&str]) {
        let out = Command::new(script())
            .args(args)
            .args(["--dir", self.dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "broker-config/cluster {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn ctl(&self, args: &[&str]) -> String {
        let out = Command::new(&self.env["RABBITMQCTL"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "rabbitmqctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The alliance's topology and broker users, on the cluster.
    fn apply(&self, a: &Alliance) {
        let apply = script().with_file_name("apply");
        let mut runs = vec![vec!["--vhost", a.vhost.as_str(), "--exchange-only"]];
        for o in &a.orgs {
            runs.push(vec![
                "--vhost",
                a.vhost.as_str(),
                "--org",
                o.id.as_str(),
                "--password",
                a.broker_password.as_str(),
            ]);
        }
        for args in runs {
            let out = Command::new(&apply)
                .args(&args)
                .env("RABBITMQCTL", &self.env["RABBITMQCTL"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "apply {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn port(&self, n: usize) -> &str {
        &self.env[&format!("amqp_port{n}")]
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", "--dir", self.dir.to_str().unwrap()])
            .output();
    }
}

/// A base port P with P..P+2 (AMQP) and P+20000..P+20002 (Erlang distribution) free.
fn free_ports() -> u16 {
    loop {
        let base = 30_000 + rand::random::<u16>() % 14_000;
        let free = [0, 1, 2, 20_000, 20_001, 20_002]
            .iter()
            .all(|d| std::net::TcpListener::bind(("127.0.0.1", base + d)).is_ok());
        if free {
            return base;
        }
    }
}

async fn reconnects(node: &RunningNode) -> f64 {
    metric(&node.http, node.port, "tongxin_broker_reconnects_total").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_node_killed_while_messages_stream_loses_nothing_and_the_nodes_fail_over() {
    let cluster = Cluster::start();
    let a = street_and_community();
    cluster.apply(&a);
    // The quorum queues have a member on each broker node.
    let members = cluster.ctl(&["-q", "list_queues", "-p", &a.vhost, "name", "members"]);
    for line in members.lines().filter(|l| l.starts_with("node.")) {
        assert_eq!(line.matches("@localhost").count(), 3, "{line}");
    }

    let start = |prefix: &'static str| {
        let org = a.org(prefix);
        let mut cfg = Config::load(&a.config(org, None)).unwrap();
        let urls: Vec<String> = (1..=3)
            .map(|n| {
                format!(
                    "amqp://{}:{}@127.0.0.1:{}/{}",
                    org.id,
                    a.broker_password,
                    cluster.port(n),
                    a.vhost
                )
            })
            .collect();
        cfg.broker.url = urls.join(",").into();
        start_node(org.id.clone(), cfg)
    };
    let street = start("street").await;
    let community = start("community").await;
    for n in [&street, &community] {
        eventually(30, "connected to the first broker node", || async {
            n.ready().await.then_some(())
        })
        .await;
    }

    let total = 3000;
    let publisher = tokio::spawn(publish_offers_on(street.node.clone(), "集群", total, 20));
    eventually(60, "the stream is under way", || async {
        let (last, _) = stream_state(&community, &street.org_id, "all").await?;
        (last > 300).then_some(())
    })
    .await;
    let before = (reconnects(&street).await, reconnects(&community).await);
    cluster.run(&["kill9", "--node", "1"]);
    let killed = std::time::Instant::now();
    assert!(
        !publisher.is_finished(),
        "the stream had ended before the kill; the test would prove nothing"
    );

    let sent = publisher.await.unwrap();
    assert_offers_arrive(&community, &street.org_id, sent, 180, "every offer once").await;
    eprintln!(
        "all {total} offers applied {:.1} s after broker node 1 was killed",
        killed.elapsed().as_secs_f64()
    );
    assert_eq!(
        applied_effects(&community, "offer.published").await,
        total as i64
    );
    assert_eq!(
        stream_state(&community, &street.org_id, "all").await,
        Some((total as i64, total as i64))
    );
    assert_eq!(rejected_codes(&community).await, Vec::<String>::new());
    // Whether the broker itself lost anything confirmed shows here: the gaps the community had
    // to ask the street to fill (nodes fill them either way; the count is for the reader).
    eprintln!(
        "re-sent by the street after the failover: {}",
        street.node.metrics.get(
            "tongxin_resent_total",
            &format!("peer=\"{}\"", community.org_id)
        )
    );
    // Both nodes connected again, to the other broker nodes.
    for (n, was) in [(&street, before.0), (&community, before.1)] {
        assert!(reconnects(n).await > was, "{} reconnected", n.org_id);
        assert!(n.ready().await, "{} is ready", n.org_id);
    }
    let users = cluster.ctl(&[
        "-q",
        "-n",
        &cluster.env["node2"],
        "list_connections",
        "user",
    ]);
    for n in [&street, &community] {
        assert!(
            users.lines().any(|u| u.trim() == n.org_id.as_str()),
            "{} is connected to a surviving broker node: {users}",
            n.org_id
        );
    }
    street.stop().await;
    community.stop().await;
}
