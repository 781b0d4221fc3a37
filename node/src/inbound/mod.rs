//! The one way in (PROTOCOL.md §7): every delivery from another node passes through here.
//!
//! - [`check`] verifies a delivery outside the database (CPU work: signature, chain,
//!   revocation, roster, rights, and that the broker user that published it is the signer);
//! - [`receive`] runs in the caller's write transaction: it records every rejection
//!   ([`rejections`]), applies each sender's stream in order and exactly once ([`sequence`]),
//!   and hands each verified message to its kind's receive function ([`dispatch`]).
//!
//! `bus` (lapin) only moves bytes and acknowledges what this module decided.

pub mod dispatch;
pub mod recovery;
pub mod rejections;
pub mod sequence;

use tongxin_schema::OrgId;
use tongxin_schema::envelope::{Message, Verified};
use tongxin_schema::v1::Kind;
use tongxin_schema::v1::bodies::{RecoveryRequested, SyncRequested};

use crate::state::Node;
use crate::store::{AnyConnection, StoreResult};

pub use rejections::Rejection;

/// The AMQP content type of every message.
pub const CONTENT_TYPE: &str = "application/jose";

/// One delivery as the broker handed it over: the bytes and the properties that matter.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub data: Vec<u8>,
    pub routing_key: String,
    /// The AMQP `user_id` property: the broker checked it is the publishing user.
    pub user_id: Option<String>,
    pub content_type: Option<String>,
}

/// An authentic message, with where it came from on the broker.
pub struct Incoming {
    pub msg: Verified<Message>,
    pub routing_key: String,
    pub user_id: Option<String>,
}

/// A delivery after [`check`].
pub enum Checked {
    Verified(Box<Incoming>),
    Refused(Box<Rejection>),
    /// A broadcast published by this node itself (its AMQP `user_id`, which the broker
    /// checked, is ours) come back through `all.#`. Its effect is already here, so it is
    /// acknowledged without being verified or recorded. A message addressed to us directly is
    /// always judged, whoever's login published it.
    Own,
}

impl Checked {
    /// A roster or CRL: the messages after it must be verified against it once it has
    /// committed, so a batch ends after one.
    pub fn is_trust_document(&self) -> bool {
        matches!(self, Checked::Verified(inc)
            if matches!(inc.msg.kind(), Kind::RosterPublished | Kind::RevocationPublished))
    }
}

/// What to tell the broker about one delivery, after the transaction committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ack,
    /// Dead-letter it (nack without requeue); the reason is already recorded.
    Reject {
        code: &'static str,
    },
}

/// Work that follows a committed batch.
#[derive(Debug, Default)]
pub struct FollowUp {
    /// Ask `to` to re-send its stream `stream` from `from` to `to_seq`.
    pub sync_requests: Vec<(OrgId, SyncRequested)>,
    /// `requester` asked us to re-send.
    pub resends: Vec<(OrgId, SyncRequested)>,
    /// `requester`, restored from a backup, asked for its own messages back (§7.9).
    pub recovery_requests: Vec<(OrgId, RecoveryRequested)>,
    /// The last answer a restored node waited for came in: it numbers freely again.
    pub recovery_finished: bool,
    /// Trust documents stored in the batch, to install once it has committed.
    pub roster: Option<tongxin_schema::roster::Roster>,
    pub crl: Option<tongxin_schema::pki::RevocationList>,
    /// The batch put messages of ours in the outbox (an answer given at once).
    pub sent: bool,
}

/// Verifies one delivery. Nothing is written: a refusal is recorded by [`receive`].
pub fn check(node: &Node, d: &Delivery, now_s: i64) -> Checked {
    match check_many(node, std::slice::from_ref(d), now_s).pop() {
        Some(c) => c,
        None => unreachable!("check_many returns one verdict per delivery"),
    }
}

/// Verifies deliveries, each exactly as [`check`] would, with the signatures of all checked as
/// one batch (PROTOCOL.md §7.7, step 15). Returns one verdict per delivery, in order.
pub fn check_many(node: &Node, deliveries: &[Delivery], now_s: i64) -> Vec<Checked> {
    let me = node.cfg.org_id.as_str();
    let framed: Vec<Result<&str, Checked>> = deliveries
        .iter()
        .map(|d| {
            if d.user_id.as_deref() == Some(me) && d.routing_key.starts_with("all.") {
                Err(Checked::Own)
            } else {
                framing(d)
            }
        })
        .collect();
    let texts: Vec<&str> = framed
        .iter()
        .filter_map(|f| f.as_ref().ok().map(|raw| raw.trim()))
        .collect();
    let mut verified = node.verifier().verify_many(&texts, now_s).into_iter();
    deliveries
        .iter()
        .zip(framed)
        .map(|(d, framed)| {
            let raw = match framed {
                Ok(raw) => raw,
                Err(refused) => return refused,
            };
            match verified.next() {
                Some(Ok(msg)) => published_by_signer(d, raw, msg),
                Some(Err(e)) => refused(d, e.code(), e.to_string(), raw.to_owned()),
                None => unreachable!("verify_many returns one result per message"),
            }
        })
        .collect()
}

fn refused(d: &Delivery, code: &'static str, reason: String, raw: String) -> Checked {
    Checked::Refused(Box::new(Rejection {
        code,
        reason,
        iss: None,
        kind: None,
        jti: None,
        routing_key: d.routing_key.clone(),
        user_id: d.user_id.clone(),
        raw,
    }))
}

/// The delivery's bytes as text, if they are UTF-8 and carry our content type.
fn framing(d: &Delivery) -> Result<&str, Checked> {
    let raw = std::str::from_utf8(&d.data).map_err(|e| {
        refused(
            d,
            "malformed",
            format!("payload is not UTF-8: {e}"),
            String::from_utf8_lossy(&d.data).into_owned(),
        )
    })?;
    if d.content_type.as_deref() != Some(CONTENT_TYPE) {
        return Err(refused(
            d,
            "content_type",
            format!("content type {:?}, expected {CONTENT_TYPE}", d.content_type),
            raw.to_owned(),
        ));
    }
    Ok(raw)
}

/// A verified message, if the broker user that published it is its signer.
fn published_by_signer(d: &Delivery, raw: &str, msg: Verified<Message>) -> Checked {
    match &d.user_id {
        None => refused(
            d,
            "user_id_missing",
            "the AMQP user_id property is missing".into(),
            raw.to_owned(),
        ),
        Some(u) if u != msg.iss.as_str() => refused(
            d,
            "user_id_mismatch",
            format!("published by broker user {u}, but signed by {}", msg.iss),
            raw.to_owned(),
        ),
        Some(_) => Checked::Verified(Box::new(Incoming {
            msg,
            routing_key: d.routing_key.clone(),
            user_id: d.user_id.clone(),
        })),
    }
}

/// Records the refused deliveries and applies the verified ones, keeping delivery order;
/// returns one verdict per delivery. Runs inside the caller's transaction: if it fails,
/// nothing was applied or recorded, and nothing will be acknowledged.
pub fn receive(
    node: &Node,
    conn: &mut AnyConnection,
    checked: Vec<Checked>,
    follow: &mut FollowUp,
) -> StoreResult<Vec<Verdict>> {
    let mut verdicts = Vec::with_capacity(checked.len());
    let mut run: Vec<Incoming> = Vec::new();
    for c in checked {
        match c {
            Checked::Verified(inc) => run.push(*inc),
            Checked::Refused(r) => {
                verdicts.extend(sequence::apply_batch(node, conn, &run, follow)?);
                run.clear();
                rejections::record(node, conn, &r)?;
                verdicts.push(Verdict::Reject { code: r.code });
            }
            Checked::Own => {
                verdicts.extend(sequence::apply_batch(node, conn, &run, follow)?);
                run.clear();
                verdicts.push(Verdict::Ack);
            }
        }
    }
    verdicts.extend(sequence::apply_batch(node, conn, &run, follow)?);
    Ok(verdicts)
}
