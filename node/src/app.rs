//! `Application::build(config)`: the same path for `tongxin run` and for the tests.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::state::{Node, SharedNode};

pub struct Application {
    node: SharedNode,
    port: u16,
    server: actix_web::dev::Server,
    stop_tx: watch::Sender<bool>,
    stop_rx: watch::Receiver<bool>,
}

impl Application {
    /// Opens the node (keys, trust, database) and binds the HTTP listener.
    pub fn build(cfg: Config) -> anyhow::Result<Application> {
        Application::build_with_clock(cfg, Clock::system())
    }

    /// `build` with a clock the caller holds (tests move it by hand).
    pub fn build_with_clock(cfg: Config, clock: Clock) -> anyhow::Result<Application> {
        let listen = cfg.http.listen.clone();
        let node: SharedNode = Arc::new(Node::open(cfg, clock)?);
        announce_trust(&node)?;
        apply_deferred(&node)?;
        let listener = std::net::TcpListener::bind(&listen)
            .with_context(|| format!("cannot listen on {listen}"))?;
        let port = listener.local_addr()?.port();
        let server = crate::http::server(node.clone(), listener)?;
        let (stop_tx, stop_rx) = watch::channel(false);
        Ok(Application {
            node,
            port,
            server,
            stop_tx,
            stop_rx,
        })
    }

    pub fn http_port(&self) -> u16 {
        self.port
    }

    pub fn node(&self) -> SharedNode {
        self.node.clone()
    }

    /// A handle that stops the node gracefully.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop_tx.clone()
    }

    /// Serves HTTP and exchanges messages until stopped; then finishes the current batch,
    /// flushes the outbox and closes.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let bus = tokio::spawn(crate::bus::supervise(
            self.node.clone(),
            self.stop_rx.clone(),
        ));
        let checkpoints = tokio::spawn(
            self.node
                .store
                .clone()
                .keep_checkpointing(self.stop_rx.clone()),
        );
        let archives = tokio::spawn(crate::archive::keep_archiving(
            self.node.clone(),
            self.stop_rx.clone(),
        ));
        let mut stop = self.stop_rx.clone();
        let server = tokio::spawn(self.server);
        tracing::info!(org_id = %self.node.cfg.org_id, port = self.port, "node started");
        let _ = stop.wait_for(|s| *s).await;
        tracing::info!("stopping: finishing the batch, flushing the outbox");
        let _ = bus.await;
        let _ = checkpoints.await;
        let _ = archives.await;
        handle.stop(true).await;
        let _ = server.await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The alliance authority's node broadcasts the roster and CRL it holds whenever they are
/// newer than what it last announced; other nodes accept them only if the CA signed them.
pub(crate) fn announce_trust(node: &SharedNode) -> anyhow::Result<()> {
    use tongxin_schema::OrgKind;
    use tongxin_schema::envelope::Audience;
    use tongxin_schema::v1::bodies::{RevocationPublished, RosterPublished};

    use crate::store::{outbox, trust};
    if node.cfg.kind != OrgKind::OrgDepartment {
        return Ok(());
    }
    let v = node.verifier();
    let roster = v.roster().map(|r| (r.serial() as i64, r.jws().to_owned()));
    // The date and the document announced must be the same CRL: the file's.
    let crl = match &node.cfg.pki.crl {
        Some(p) => {
            let pem = std::fs::read_to_string(p)?;
            let list = tongxin_schema::pki::RevocationList::from_pem(&node.root, pem.as_bytes())?;
            Some((list.issued_at, pem))
        }
        None => None,
    };
    let now = node.clock.now_ms();
    node.store.write_blocking(|c| {
        // A restored node numbers nothing until its peers answered; it announces once they
        // have (the publisher calls this again then).
        if crate::store::recovery::started(c)?.is_some() {
            tracing::info!(
                "recovering from a backup: the roster and CRL are announced when recovery ends"
            );
            return Ok(());
        }
        if let Some((serial, jws)) = roster
            && trust::get(c, "roster_announced")?.is_none_or(|(s, _)| s < serial)
        {
            outbox::enqueue(
                c,
                &node.signer,
                now,
                Audience::All,
                RosterPublished { roster: jws },
            )?;
            trust::put(c, "roster_announced", serial, "", now)?;
        }
        if let Some((issued, pem)) = crl
            && trust::get(c, "crl_announced")?.is_none_or(|(s, _)| s < issued)
        {
            outbox::enqueue(
                c,
                &node.signer,
                now,
                Audience::All,
                RevocationPublished { crl_pem: pem },
            )?;
            trust::put(c, "crl_announced", issued, "", now)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Messages kept while this node did not act on their kinds are applied now that it does
/// (PROTOCOL.md §7.8), before anything new is consumed.
fn apply_deferred(node: &SharedNode) -> anyhow::Result<()> {
    let mut follow = crate::inbound::FollowUp::default();
    let applied = node
        .store
        .write_blocking(|c| crate::inbound::dispatch::replay_deferred(node, c, &mut follow))?;
    if applied > 0 {
        tracing::info!(
            count = applied,
            "applied messages kept for kinds this node now acts on"
        );
    }
    if let Some(r) = follow.roster {
        node.install_roster(r);
    }
    if let Some(c) = follow.crl {
        node.install_crl(c);
    }
    Ok(())
}
