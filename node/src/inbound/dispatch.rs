//! Each authentic, in-order message goes to its kind's receive function ([`Receive`]).
//!
//! A kind this node does not act on yet (a kind of a later version of the node, or one the
//! operator listed in `exchange.defer_kinds`) is **kept, not applied** (PROTOCOL.md §7.8): its
//! sequence number is consumed so the stream goes on, the message is stored in `deferred`,
//! and [`replay_deferred`] applies it, in the order it arrived, once the node acts on the kind.

use tongxin_schema::envelope::{Message, Verified};
use tongxin_schema::pki::RevocationList;
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::Body;

use super::FollowUp;
use super::rejections::{self, Rejection};
use crate::domain::{Outcome, Receive, Refusal, Sender};
use crate::state::Node;
use crate::store::inbound as q;
use crate::store::{AnyConnection, StoreResult};

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Dispatched {
    Done(Outcome),
    /// Not acted on yet: the caller keeps it (`deferred`).
    NotYet,
}

/// Applies `msg` through its kind's receive function, in the caller's transaction.
pub fn dispatch(
    node: &Node,
    conn: &mut AnyConnection,
    msg: &Verified<Message>,
    follow: &mut FollowUp,
) -> StoreResult<Dispatched> {
    if node.cfg.exchange.defer_kinds.contains(&msg.kind()) {
        return Ok(Dispatched::NotYet);
    }
    // The roster as the verifier holds it (borrowed: cloning it per message is costly).
    let verifier = node.verifier();
    let Some(roster) = verifier.roster() else {
        unreachable!("a node always has a roster (Node::open sets one)")
    };
    let from = Sender {
        org: &msg.iss,
        kind: msg.sender().kind,
        at_ms: msg.iat.saturating_mul(1000),
        jti: msg.jti,
        me: &node.cfg.org_id,
        jws: msg.raw(),
        roster,
    };
    let outcome = match &msg.body {
        Body::RosterPublished(b) => match Roster::verify(&node.root, &b.roster) {
            Ok(r) => {
                if node.store_roster(conn, &r)? {
                    follow.roster = Some(r);
                }
                Outcome::Applied
            }
            Err(e) => Refusal::new("bad_roster", e.to_string()).into(),
        },
        Body::RevocationPublished(b) => {
            match RevocationList::from_pem(&node.root, b.crl_pem.as_bytes()) {
                Ok(crl) => {
                    if node.store_crl(conn, &b.crl_pem, &crl)? {
                        follow.crl = Some(crl);
                    }
                    Outcome::Applied
                }
                Err(e) => Refusal::new("bad_crl", e.to_string()).into(),
            }
        }
        Body::OfferPublished(b) => b.receive(conn, &from)?,
        Body::OfferWithdrawn(b) => b.receive(conn, &from)?,
        Body::NeedPublished(b) => b.receive(conn, &from)?,
        Body::NeedClaimed(b) => {
            let outcome = b.receive(conn, &from)?;
            if outcome == Outcome::Applied {
                take_over(node, conn, &from, b, follow)?;
            }
            outcome
        }
        Body::NeedDone(b) => b.receive(conn, &from)?,
        Body::NeedReopened(b) => b.receive(conn, &from)?,
        Body::NeedClaimDecided(b) => b.receive(conn, &from)?,
        Body::NeedFulfilled(b) => b.receive(conn, &from)?,
        Body::NeedEscalated(b) => b.receive(conn, &from)?,
        Body::ReportSubmitted(b) => b.receive(conn, &from)?,
        Body::ReportDecided(b) => b.receive(conn, &from)?,
        Body::ReportWithdrawn(b) => b.receive(conn, &from)?,
        Body::ActivityPublished(b) => b.receive(conn, &from)?,
        Body::ActivityCancelled(b) => b.receive(conn, &from)?,
        Body::SignupRequested(b) => b.receive(conn, &from)?,
        Body::PlacementDecided(b) => b.receive(conn, &from)?,
        Body::SignupConfirmed(b) => b.receive(conn, &from)?,
        Body::SignupCancelled(b) => b.receive(conn, &from)?,
        Body::CheckinAttested(b) => b.receive(conn, &from)?,
        Body::AgreementProposed(b) => b.receive(conn, &from)?,
        Body::AgreementDecided(b) => b.receive(conn, &from)?,
        Body::ServiceLogged(b) => b.receive(conn, &from)?,
        Body::ServiceDeclined(b) => b.receive(conn, &from)?,
        Body::FeedbackSent(b) => b.receive(conn, &from)?,
        Body::PairingStarted(b) => b.receive(conn, &from)?,
        Body::PairingEnded(b) => b.receive(conn, &from)?,
        Body::SignupInvited(b) => b.receive(conn, &from)?,
        Body::EmergencyDeclared(b) => b.receive(conn, &from)?,
        Body::EmergencyVolunteered(b) => b.receive(conn, &from)?,
        Body::EmergencyClosed(b) => b.receive(conn, &from)?,
        Body::ParticipationReported(b) => b.receive(conn, &from)?,
        Body::ParticipationRequested(b) => {
            answer_request(node, conn, &from, b, follow)?;
            Outcome::Applied
        }
        // Control kinds never reach here (the sequence layer handles them).
        Body::NodeHello(_)
        | Body::SyncRequested(_)
        | Body::SyncCompacted(_)
        | Body::RecoveryRequested(_)
        | Body::RecoveryReturned(_) => {
            return Ok(Dispatched::NotYet);
        }
    };
    Ok(Dispatched::Done(outcome))
}

/// This node acting on what `from` sent, in the same transaction (an answer it owes).
fn actor<'a>(node: &'a Node, from: &Sender<'a>) -> crate::domain::Actor<'a> {
    crate::domain::Actor {
        signer: &node.signer,
        roster: from.roster,
        now_ms: node.clock.now_ms(),
        deadlines: node.cfg.needs,
    }
}

/// A claim by the organisation one of our needs was escalated to is accepted at once, in the
/// same transaction (see [`crate::domain::needs::accept_if_responsible`]).
fn take_over(
    node: &Node,
    conn: &mut AnyConnection,
    from: &Sender<'_>,
    claim: &tongxin_schema::v1::bodies::NeedClaimed,
    follow: &mut FollowUp,
) -> StoreResult<()> {
    if crate::store::recovery::started(conn)?.is_some() {
        tracing::warn!(claim_id = %claim.claim_id, "recovering from a backup: the responsible organisation's claim waits for staff");
        return Ok(());
    }
    match crate::domain::needs::accept_if_responsible(conn, &actor(node, from), from.org, claim) {
        Ok(sent) => {
            follow.sent |= sent;
            Ok(())
        }
        Err(crate::domain::ActionError::Store(e)) => Err(e),
        // The claim stays pending for the owner's staff to decide.
        Err(crate::domain::ActionError::Invalid(e)) => {
            tracing::warn!(claim_id = %claim.claim_id, error = %e, "could not accept the responsible organisation's claim");
            Ok(())
        }
    }
}

/// The department asks for reports again: they are sent in the same transaction.
fn answer_request(
    node: &Node,
    conn: &mut AnyConnection,
    from: &Sender<'_>,
    req: &tongxin_schema::v1::bodies::ParticipationRequested,
    follow: &mut FollowUp,
) -> StoreResult<()> {
    if crate::store::recovery::started(conn)?.is_some() {
        tracing::warn!(request_id = %req.request_id, "recovering from a backup: the department's request is answered by the periodic reports");
        return Ok(());
    }
    let k = node.cfg.participation.k;
    match crate::domain::participation::answer(conn, &actor(node, from), k, req) {
        Ok(sent) => {
            follow.sent |= sent > 0;
            Ok(())
        }
        Err(crate::domain::ActionError::Store(e)) => Err(e),
        // A report that cannot be made (more parts than a report may have) is logged; the
        // request is answered by nothing rather than blocking the stream.
        Err(crate::domain::ActionError::Invalid(e)) => {
            tracing::warn!(request_id = %req.request_id, error = %e, "could not answer the department's request for reports");
            Ok(())
        }
    }
}

/// Applies the deferred messages whose kinds this node now acts on, in the order they arrived;
/// returns how many were taken out of `deferred`. Runs when the node starts, before it
/// consumes anything, so they come before whatever follows them on their streams.
pub fn replay_deferred(
    node: &Node,
    conn: &mut AnyConnection,
    follow: &mut FollowUp,
) -> StoreResult<usize> {
    let still_kept: Vec<String> = node
        .cfg
        .exchange
        .defer_kinds
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    let mut done = 0;
    let mut after = 0;
    loop {
        let page = q::deferred_page(conn, &still_kept, after, 500)?;
        let Some(last) = page.last() else {
            return Ok(done);
        };
        after = last.id;
        done += replay_page(node, conn, follow, page)?;
    }
}

fn replay_page(
    node: &Node,
    conn: &mut AnyConnection,
    follow: &mut FollowUp,
    page: Vec<q::Deferred>,
) -> StoreResult<usize> {
    let mut done = 0;
    for d in page {
        // Verified when it arrived; verified again, as of then, for the typed value.
        let msg = match node
            .verifier()
            .verify(&d.jws, d.received_ms.div_euclid(1000))
        {
            Ok(m) => m,
            Err(e) => {
                q::drop_deferred(conn, d.id)?;
                let r = Rejection {
                    code: e.code(),
                    reason: e.to_string(),
                    iss: Some(d.iss),
                    kind: Some(d.kind),
                    jti: Some(d.jti),
                    routing_key: "deferred".into(),
                    user_id: None,
                    raw: d.jws,
                };
                rejections::record(node, conn, &r)?;
                done += 1;
                continue;
            }
        };
        match dispatch(node, conn, &msg, follow)? {
            Dispatched::NotYet => {}
            Dispatched::Done(outcome) => {
                q::drop_deferred(conn, d.id)?;
                done += 1;
                match outcome {
                    Outcome::Applied => {
                        q::add_effects(conn, msg.kind().as_str(), 1)?;
                        node.metrics.message_in(msg.kind());
                    }
                    Outcome::Refused(r) => rejections::record(
                        node,
                        conn,
                        &Rejection::of(&msg, r.code, r.reason, "deferred", None),
                    )?,
                }
            }
        }
    }
    Ok(done)
}
