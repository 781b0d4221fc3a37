//! The running node's shared state: identity, trust (root, CRL, roster), store, metrics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use openssl::x509::X509;
use tokio::sync::Notify;
use tongxin_schema::Verifier;
use tongxin_schema::envelope::Signer;
use tongxin_schema::pki::{self, RevocationList, Root};
use tongxin_schema::roster::Roster;

use crate::clock::Clock;
use crate::config::{Config, ExposeSecret};
use crate::domain::{ActionError, Actor};
use crate::metrics::Metrics;
use crate::store::{AnyConnection, DbTarget, Store, StoreResult, trust as trust_docs};

pub struct Node {
    pub cfg: Config,
    pub signer: Signer,
    pub root: Root,
    trust: RwLock<Arc<Verifier>>,
    pub store: Store,
    pub metrics: Metrics,
    /// The one source of time (tests may hold a manual clock).
    pub clock: Clock,
    broker_ready: AtomicBool,
    /// Woken when something was written to the outbox.
    pub outbox_ready: Notify,
    /// Accounts whose earlier tokens are refused (a password changed, an account disabled):
    /// name → the first second a token may have been issued. Read on every request, so held
    /// in memory, written through `end_tokens` after the database has it.
    token_floors: RwLock<HashMap<String, i64>>,
}

pub type SharedNode = Arc<Node>;

impl Node {
    /// Loads keys and trust documents, opens and migrates the database.
    pub fn open(cfg: Config, clock: Clock) -> anyhow::Result<Node> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        };
        let root = Root::from_pem(&read(&cfg.pki.ca_cert)?)
            .context("pki.ca_cert is not the alliance root certificate")?;
        let key = pki::load_key(&read(&cfg.pki.node_key)?)
            .context("pki.node_key is not an Ed25519 private key")?;
        let cert = X509::from_pem(&read(&cfg.pki.node_cert)?)
            .context("pki.node_cert is not a PEM certificate")?;
        let info = root
            .node_cert(&cert)
            .context("pki.node_cert was not issued by the alliance root")?;
        if info.org_id != cfg.org_id || info.kind != cfg.kind {
            anyhow::bail!(
                "the certificate is for {} ({}), but the config says {} ({})",
                info.org_id,
                info.kind,
                cfg.org_id,
                cfg.kind
            );
        }
        let signer =
            Signer::new(&key, &cert).context("pki.node_key does not belong to pki.node_cert")?;
        let store = Store::open(
            DbTarget {
                url: cfg.database_url().expose_secret().to_owned(),
                sqlite_synchronous_full: cfg.database.sqlite_synchronous == "full",
            },
            cfg.database.api_pool,
        )
        .context("cannot open the database")?;

        // Start from the newest of: the files in the config, what we stored before.
        let file_roster = std::fs::read_to_string(&cfg.pki.roster)
            .with_context(|| format!("cannot read {}", cfg.pki.roster.display()))?;
        let mut roster = Roster::verify(&root, &file_roster)
            .context("pki.roster is not a roster signed by the alliance root")?;
        let mut crl = match &cfg.pki.crl {
            Some(p) => RevocationList::from_pem(&root, &read(p)?)
                .context("pki.crl is not a CRL of the alliance root")?,
            None => RevocationList::default(),
        };
        let mut token_floors = HashMap::new();
        store.write_blocking(|c| {
            token_floors.extend(crate::store::users::token_floors(c)?);
            if let Some((_, doc)) = trust_docs::get(c, "roster")?
                && let Ok(stored) = Roster::verify(&root, &doc)
                && stored.serial() > roster.serial()
            {
                roster = stored;
            }
            if let Some((_, doc)) = trust_docs::get(c, "crl")?
                && let Ok(stored) = RevocationList::from_pem(&root, doc.as_bytes())
                && stored.issued_at > crl.issued_at
            {
                crl = stored;
            }
            Ok(())
        })?;
        if roster.org(&cfg.org_id).is_none() {
            tracing::warn!(org_id = %cfg.org_id, "this organisation is not on the roster yet: other nodes will refuse its messages");
        }
        let verifier = Verifier::new(root.clone())
            .with_revocations(crl)
            .with_roster(roster)
            .for_receiver(cfg.org_id.clone());
        Ok(Node {
            cfg,
            signer,
            root,
            trust: RwLock::new(Arc::new(verifier)),
            store,
            metrics: Metrics::default(),
            clock,
            broker_ready: AtomicBool::new(false),
            outbox_ready: Notify::new(),
            token_floors: RwLock::new(token_floors),
        })
    }

    /// Whether a token of `user` issued at `iat` (seconds) is still good.
    pub fn token_current(&self, user: &str, iat: i64) -> bool {
        let floors = match self.token_floors.read() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        floors.get(user).is_none_or(|floor| iat >= *floor)
    }

    /// Refuses `user`'s tokens issued before `floor` (seconds; `i64::MAX` while disabled), or
    /// none (`None`), once the database says so.
    pub fn end_tokens(&self, user: &str, floor: Option<i64>) {
        let mut floors = match self.token_floors.write() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        match floor {
            Some(f) => floors.insert(user.to_owned(), f),
            None => floors.remove(user),
        };
    }

    pub fn verifier(&self) -> Arc<Verifier> {
        match self.trust.read() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn roster(&self) -> Roster {
        // The verifier always holds a roster (Node::open sets one).
        self.verifier()
            .roster()
            .cloned()
            .unwrap_or_else(|| unreachable!("a node always has a roster"))
    }

    /// Stores a roster in the caller's transaction if it is newer than both the stored and
    /// the current one. The verifier changes only once that transaction has committed
    /// (`install_roster`), so a rolled-back batch cannot leave memory ahead of the database.
    pub fn store_roster(&self, conn: &mut AnyConnection, roster: &Roster) -> StoreResult<bool> {
        let stored = trust_docs::get(conn, "roster")?.map_or(0, |(serial, _)| serial);
        let current = self.verifier().roster().map_or(0, |r| r.serial() as i64);
        if roster.serial() as i64 <= stored.max(current) {
            return Ok(false);
        }
        trust_docs::put(
            conn,
            "roster",
            roster.serial() as i64,
            roster.jws(),
            self.clock.now_ms(),
        )?;
        Ok(true)
    }

    /// Stores a CRL in the caller's transaction if it is newer (see `store_roster`).
    pub fn store_crl(
        &self,
        conn: &mut AnyConnection,
        pem: &str,
        crl: &RevocationList,
    ) -> StoreResult<bool> {
        let stored = trust_docs::get(conn, "crl")?.map_or(0, |(issued, _)| issued);
        let current = self.verifier().revocations().issued_at;
        if crl.issued_at <= stored.max(current) {
            return Ok(false);
        }
        trust_docs::put(conn, "crl", crl.issued_at, pem, self.clock.now_ms())?;
        Ok(true)
    }

    /// Uses a committed roster from now on (if it is still the newest).
    pub fn install_roster(&self, roster: Roster) {
        let current = self.verifier();
        if current
            .roster()
            .is_none_or(|r| r.serial() < roster.serial())
        {
            self.swap(|v| v.with_roster(roster), &current);
        }
    }

    /// Uses a committed CRL from now on (if it is still the newest).
    pub fn install_crl(&self, crl: RevocationList) {
        let current = self.verifier();
        if current.revocations().issued_at < crl.issued_at {
            self.swap(|v| v.with_revocations(crl), &current);
        }
    }

    fn swap(&self, change: impl FnOnce(Verifier) -> Verifier, current: &Verifier) {
        let mut v = Verifier::new(self.root.clone())
            .with_revocations(current.revocations().clone())
            .for_receiver(self.cfg.org_id.clone());
        if let Some(r) = current.roster() {
            v = v.with_roster(r.clone());
        }
        let v = Arc::new(change(v));
        match self.trust.write() {
            Ok(mut t) => *t = v,
            Err(poisoned) => *poisoned.into_inner() = v,
        }
    }

    /// Runs a local command in one write transaction, as this organisation, now; wakes the
    /// outbox relay when it committed. The one way HTTP handlers change anything.
    pub async fn act<T, F>(self: &Arc<Self>, command: F) -> Result<T, ActionError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection, &Actor) -> Result<T, ActionError> + Send + 'static,
    {
        let node = self.clone();
        let done = self
            .store
            .transact(move |conn| {
                let roster = node.roster();
                let actor = Actor {
                    signer: &node.signer,
                    roster: &roster,
                    now_ms: node.clock.now_ms(),
                    deadlines: node.cfg.needs,
                };
                command(conn, &actor)
            })
            .await?;
        self.outbox_ready.notify_one();
        Ok(done)
    }

    /// Runs a query that needs to know who asks and when (the roster, the clock) on a reader
    /// connection: it writes nothing and takes no writer.
    pub async fn view<T, F>(self: &Arc<Self>, query: F) -> Result<T, ActionError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection, &Actor) -> Result<T, ActionError> + Send + 'static,
    {
        let node = self.clone();
        self.store
            .read(move |conn| {
                let roster = node.roster();
                let actor = Actor {
                    signer: &node.signer,
                    roster: &roster,
                    now_ms: node.clock.now_ms(),
                    deadlines: node.cfg.needs,
                };
                Ok(query(conn, &actor))
            })
            .await?
    }

    pub fn broker_ready(&self) -> bool {
        self.broker_ready.load(Ordering::Relaxed)
    }

    pub fn set_broker_ready(&self, ready: bool) {
        self.broker_ready.store(ready, Ordering::Relaxed);
    }
}
