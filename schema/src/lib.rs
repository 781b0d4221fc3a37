//! `tongxin-schema`: the Tongxin wire protocol as a library, with no I/O.
//!
//! - [`ids`]: organisation ids, kinds and member references.
//! - [`pki`]: the alliance root, node certificates, revocation lists (openssl).
//! - [`v1`]: the message kinds of protocol version 1, their bodies and rights.
//! - [`envelope`]: signing and verifying messages (JWS, EdDSA; signed with jsonwebtoken,
//!   verified by ZIP-215 with ed25519-zebra, one by one or in batches).
//! - [`roster`]: the CA-signed list of member organisations.
//! - [`period`], [`merkle`]: the periods and Merkle tree heads of participation reports.
//!
//! The normative description is `schema/PROTOCOL.md`.

pub mod archive;
pub mod certificate;
pub mod envelope;
pub mod ids;
pub mod json_schema;
pub mod merkle;
mod objects;
pub mod period;
pub mod pki;
pub mod roster;
pub mod token;
pub mod v1;
pub mod vectors;
mod zip215;

pub use envelope::{Audience, Message, Signer, Stream, Verified, Verifier, VerifyError};
pub use ids::{MemberRef, OrgId, OrgKind};
