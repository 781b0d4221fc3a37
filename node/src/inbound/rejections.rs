//! The one place a refused message is recorded (PROTOCOL.md §8): the `rejected` table that
//! admins read, the metric, and one log line.

use tongxin_schema::envelope::{Message, Verified};

use crate::state::Node;
use crate::store::inbound::{NewRejection, record_rejected};
use crate::store::{AnyConnection, StoreResult};

/// Why a message was not applied, and what arrived.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub code: &'static str,
    pub reason: String,
    /// Known once the message verified.
    pub iss: Option<String>,
    pub kind: Option<String>,
    pub jti: Option<String>,
    pub routing_key: String,
    pub user_id: Option<String>,
    pub raw: String,
}

impl Rejection {
    /// An authentic message refused by the sequence rules or by its kind's rules.
    pub fn of(
        msg: &Verified<Message>,
        code: &'static str,
        reason: String,
        routing_key: &str,
        user_id: Option<&str>,
    ) -> Rejection {
        Rejection {
            code,
            reason,
            iss: Some(msg.iss.to_string()),
            kind: Some(msg.kind().as_str().to_owned()),
            jti: Some(msg.jti.hyphenated().to_string()),
            routing_key: routing_key.to_owned(),
            user_id: user_id.map(str::to_owned),
            raw: msg.raw().to_owned(),
        }
    }
}

/// Records `r` in the caller's transaction.
pub fn record(node: &Node, conn: &mut AnyConnection, r: &Rejection) -> StoreResult<()> {
    record_rejected(
        conn,
        &NewRejection {
            code: r.code,
            reason: &r.reason,
            iss: r.iss.as_deref(),
            kind: r.kind.as_deref(),
            jti: r.jti.as_deref(),
            routing_key: &r.routing_key,
            user_id: r.user_id.as_deref(),
            raw: &r.raw,
        },
        node.clock.now_ms(),
    )?;
    node.metrics.rejected(r.code);
    tracing::warn!(reason.code = r.code, reason = %r.reason, peer.org_id = r.iss.as_deref(), "rejected a message");
    Ok(())
}
