//! Nodes as real `tongxin run` processes (fault tests, soak): the binary, a node's config and
//! admin account, starting and killing it, and talking to it over HTTP.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::{Alliance, Org};

/// The `tongxin` binary of this workspace (tests/run builds it before the tests).
pub fn tongxin_bin() -> PathBuf {
    // In the target directory this executable was built into (target/debug/deps/ for tests,
    // target/<profile>/ for the soak), wherever that directory is.
    // A release benchmark runs the release node.
    let exe = std::env::current_exe().unwrap();
    let profile = if exe.components().any(|c| c.as_os_str() == "release") {
        "release/tongxin"
    } else {
        "debug/tongxin"
    };
    let p = exe
        .ancestors()
        .map(|d| d.join(profile))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("target").join(profile));
    assert!(
        p.exists(),
        "{} is missing: run `cargo build -p tongxin-node` (with --release for a release \
         benchmark) first (tests/run does)",
        p.display()
    );
    p
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a node's config and its admin account for running it as a process; returns the
/// config and a free HTTP port.
pub fn process_node(a: &Alliance, org: &Org) -> (PathBuf, u16) {
    process_node_on(a, org, None)
}

/// `process_node` with the database at `db` (a URL; None: SQLite in the node's directory).
pub fn process_node_on(a: &Alliance, org: &Org, db: Option<&str>) -> (PathBuf, u16) {
    let config = a.config(org, db);
    let out = Command::new(tongxin_bin())
        .args([
            "user",
            "add",
            "--config",
            config.to_str().unwrap(),
            "--username",
            "admin",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"correct horse battery\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "tongxin user add failed");
    (config, free_port())
}

/// A node running as its own process, as in production.
pub struct Proc {
    child: Child,
}

impl Proc {
    pub fn start(config: &std::path::Path, port: u16) -> Proc {
        let child = Command::new(tongxin_bin())
            .args(["run", "--config", config.to_str().unwrap()])
            .env("TONGXIN_HTTP_LISTEN", format!("127.0.0.1:{port}"))
            .env("TONGXIN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Proc { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it the way an operator does (SIGTERM) and waits for it to exit.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    pub fn kill9(mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

/// A test that fails half-way leaves no node running behind it.
impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub async fn get(http: &reqwest::Client, port: u16, token: &str, path: &str) -> Option<Value> {
    let r = http
        .get(format!("http://127.0.0.1:{port}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    r.status().is_success().then_some(())?;
    r.json().await.ok()
}

pub async fn login(http: &reqwest::Client, port: u16) -> Option<String> {
    let r = http
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/token"))
        .json(&serde_json::json!({ "username": "admin", "password": "correct horse battery" }))
        .send()
        .await
        .ok()?;
    r.json::<Value>().await.ok()?["token"]
        .as_str()
        .map(str::to_owned)
}

/// A value of a process node's /metrics (0 when absent).
pub async fn metric(http: &reqwest::Client, port: u16, name: &str) -> f64 {
    let text = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}
