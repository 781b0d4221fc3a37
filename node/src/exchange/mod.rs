//! Delivery semantics (PROTOCOL.md §7): the inbox applies each sender's stream in order,
//! exactly once, holding messages behind a gap until `sync.requested` brings the missing ones.
//! `bus` (lapin) moves bytes; this module decides what they mean.

pub mod inbox;

use tongxin_schema::OrgId;
use tongxin_schema::v1::bodies::SyncRequested;

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
    /// Trust documents stored in the batch, to install once it has committed.
    pub roster: Option<tongxin_schema::roster::Roster>,
    pub crl: Option<tongxin_schema::pki::RevocationList>,
}
