//! The rules of the alliance, one module per kind of object.
//!
//! - **Commands** (staff actions): `offers::publish(conn, &actor, NewOffer)` and the like take
//!   inputs owned by the domain, validate them once, write the row and its outbox message in
//!   the caller's transaction, and return what they wrote. HTTP handlers (API and UI) only
//!   extract, call [`crate::state::Node::act`], and map the error.
//! - **Receive functions**: every wire body a node acts on implements [`Receive`]; the inbound
//!   dispatcher calls it with the verified sender. It checks everything before writing
//!   anything and returns an [`Outcome`].

pub mod activities;
pub mod agreements;
pub mod checkins;
pub mod dashboard;
pub mod emergencies;
pub mod matching;
pub mod members;
pub mod needs;
pub mod offers;
pub mod oversight;
pub mod pairings;
pub mod participation;
pub mod reports;
pub mod services;
pub mod signin;
pub mod signups;
pub mod status;
pub mod teams;
pub mod wishes;

use tongxin_schema::envelope::Signer;
use tongxin_schema::roster::Roster;
use tongxin_schema::{OrgId, OrgKind};

use crate::store::AnyConnection;

/// Why an authentic message could not take effect (it is recorded and dead-lettered, and its
/// sequence number is consumed so the stream goes on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

impl Refusal {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: reason.into(),
        }
    }
}

/// The default of a "share …" choice: sharing, unless the member says no.
pub(crate) fn yes() -> bool {
    true
}

/// `not_home` unless `member`'s home is `home`: this node, for a message about one of its own
/// members, or the sender, for a message a home sends about its member (PROTOCOL.md §6.2).
pub(crate) fn home_is(member: &tongxin_schema::MemberRef, home: &OrgId) -> Result<(), Refusal> {
    if member.home() == home {
        return Ok(());
    }
    Err(Refusal::new(
        "not_home",
        format!("the member's home is {}, not {home}", member.home()),
    ))
}

/// Refuses a local action that only a community takes (`what` it does, for the message).
pub(crate) fn community_only(actor: &Actor, what: &str) -> Result<(), Invalid> {
    match actor.roster.org(actor.org()).map(|o| o.kind) {
        Some(tongxin_schema::OrgKind::Community) => Ok(()),
        _ => Err(Invalid::Conflict(format!("only a community {what}"))),
    }
}

/// What an authentic, in-order message did here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    Applied,
    /// No effect; recorded with its reason.
    Refused(Refusal),
}

impl From<Refusal> for Outcome {
    fn from(r: Refusal) -> Outcome {
        Outcome::Refused(r)
    }
}

/// Who sent an inbound message, as its verified certificate and claims say.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub org: &'a OrgId,
    /// From the sender's certificate (the verifier checked it matches the roster).
    pub kind: OrgKind,
    /// The message's `iat`, in Unix ms: when the sender made the change.
    pub at_ms: i64,
    /// The message's id.
    pub jti: uuid::Uuid,
    /// This node.
    pub me: &'a OrgId,
    /// The message as received (what a receipt keeps).
    pub jws: &'a str,
    pub roster: &'a Roster,
}

/// A wire body this node acts on.
pub trait Receive {
    fn receive(
        &self,
        conn: &mut AnyConnection,
        from: &Sender<'_>,
    ) -> crate::store::StoreResult<Outcome>;
}

/// Who performs a local command, and when.
pub struct Actor<'a> {
    pub signer: &'a Signer,
    pub roster: &'a Roster,
    pub now_ms: i64,
    /// How long a need stays at each level of the organisation tree.
    pub deadlines: crate::config::NeedDeadlines,
}

impl Actor<'_> {
    pub fn org(&self) -> &OrgId {
        self.signer.org_id()
    }
}

/// Why a local action was refused: shown to the user (HTTP 4xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    #[error("{0}")]
    Forbidden(String),
}

impl Invalid {
    pub fn field(field: &str, message: impl Into<String>) -> Invalid {
        Invalid::Field {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// A limit of PROTOCOL.md §6.2 that the wire body's own check found broken; its message
    /// starts with the field's name.
    fn from_check(message: String) -> Invalid {
        match message.split_once(' ') {
            Some((field, rest)) => Invalid::field(field, rest),
            None => Invalid::field("body", message),
        }
    }
}

/// The outcome of a local action.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<diesel::result::Error> for ActionError {
    fn from(e: diesel::result::Error) -> Self {
        ActionError::Store(e.into())
    }
}

/// Checks a wire body the way every receiver will (PROTOCOL.md §6.2): one place for the limits.
fn checked<B: tongxin_schema::v1::bodies::Check>(body: B) -> Result<B, Invalid> {
    body.check().map_err(Invalid::from_check)?;
    Ok(body)
}

pub(crate) fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}
