//! `Application::build(config)`: the same path for `tongxin run` and for the tests.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;

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
        let listen = cfg.http.listen.clone();
        let node: SharedNode = Arc::new(Node::open(cfg)?);
        announce_trust(&node)?;
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
        let mut stop = self.stop_rx.clone();
        let server = tokio::spawn(self.server);
        tracing::info!(org_id = %self.node.cfg.org_id, port = self.port, "node started");
        let _ = stop.wait_for(|s| *s).await;
        tracing::info!("stopping: finishing the batch, flushing the outbox");
        let _ = bus.await;
        handle.stop(true).await;
        let _ = server.await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The alliance authority's node broadcasts the roster and CRL it holds whenever they are
/// newer than what it last announced; other nodes accept them only if the CA signed them.
fn announce_trust(node: &SharedNode) -> anyhow::Result<()> {
    use tongxin_schema::OrgKind;
    use tongxin_schema::envelope::Audience;
    use tongxin_schema::v1::bodies::{RevocationPublished, RosterPublished};

    use crate::store::{now_ms, outbox, rows};
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
    node.store.write_blocking(|c| {
        if let Some((serial, jws)) = roster
            && rows::trust_doc(c, "roster_announced")?.is_none_or(|(s, _)| s < serial)
        {
            outbox::enqueue(
                c,
                &node.signer,
                Audience::All,
                RosterPublished { roster: jws },
            )?;
            rows::put_trust_doc(c, "roster_announced", serial, "", now_ms())?;
        }
        if let Some((issued, pem)) = crl
            && rows::trust_doc(c, "crl_announced")?.is_none_or(|(s, _)| s < issued)
        {
            outbox::enqueue(
                c,
                &node.signer,
                Audience::All,
                RevocationPublished { crl_pem: pem },
            )?;
            rows::put_trust_doc(c, "crl_announced", issued, "", now_ms())?;
        }
        Ok(())
    })?;
    Ok(())
}
