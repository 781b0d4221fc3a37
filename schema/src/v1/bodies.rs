//! The body of each v1 message kind (PROTOCOL.md §6). Times are Unix seconds (UTC).
//! Every body rejects unknown fields: an extension is a new protocol version, not a guess.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::taxonomy::*;
use super::text::{Description, Note, Text, Title};
use crate::ids::{MemberRef, OrgId};

/// A grid (网格) code as the owning community names it, e.g. `xyn-07`.
pub type GridCode = Text<1, 64>;

/// `roster.published`: the alliance's current list of organisations, signed by the root CA key
/// (a `tongxin-roster+jwt` JWS, see PROTOCOL.md §4) and carried here verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterPublished {
    pub roster: String,
}

/// `revocation.published`: the CA's current certificate revocation list (PEM X.509 CRL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevocationPublished {
    pub crl_pem: String,
}

/// The last sequence number a sender has used on one of its streams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamHead {
    pub stream: String,
    pub last_seq: u64,
}

/// `node.hello` (control): sent on start and periodically, so receivers notice messages they
/// missed at the end of a stream, where no later message would reveal the gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeHello {
    pub software: Text<1, 100>,
    /// Heads of the sender's broadcast stream and of its direct stream to the receiver(s).
    #[schemars(length(max = 1000))]
    pub heads: Vec<StreamHead>,
}

/// `sync.requested` (control): "re-send me stream `stream` from `from_seq` on".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequested {
    pub stream: String,
    pub from_seq: u64,
    /// Inclusive upper bound; absent means "to the current head".
    pub to_seq: Option<u64>,
}

/// `offer.published`: an entry of the resource list (资源清单). Re-publishing the same
/// `offer_id` replaces the earlier version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferPublished {
    pub offer_id: Uuid,
    pub title: Title,
    pub description: Description,
    pub category: OfferCategory,
    /// How many of `unit` are available (seats, hours, items, yuan).
    #[schemars(range(min = 1))]
    pub capacity: u32,
    pub unit: Option<Text<1, 32>>,
    #[serde(default)]
    #[schemars(length(max = 12))]
    pub skills: Vec<Skill>,
    pub station: Option<StationKind>,
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub grids: Vec<GridCode>,
    pub available_until: Option<i64>,
}

/// `offer.withdrawn`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferWithdrawn {
    pub offer_id: Uuid,
    pub reason: Option<Note>,
}

/// `need.published`: an entry of the need list (需求清单), possibly a micro-wish (微心愿).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedPublished {
    pub need_id: Uuid,
    pub title: Title,
    pub description: Description,
    pub level: NeedLevel,
    pub grid: Option<GridCode>,
    /// Set for a micro-wish: the special group of the person it is for.
    pub micro_wish: Option<MicroWishCategory>,
    pub wanted: Option<OfferCategory>,
    #[serde(default)]
    #[schemars(length(max = 12))]
    pub skills: Vec<Skill>,
    #[schemars(range(min = 1))]
    pub quantity: u32,
    pub due: Option<i64>,
}

/// `need.claimed` (direct, to the need's owner): "we will meet this need, with this offer".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedClaimed {
    pub claim_id: Uuid,
    pub need_id: Uuid,
    pub offer_id: Option<Uuid>,
    pub note: Option<Note>,
}

/// `need.claim-decided` (direct, from the need's owner to the claimant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedClaimDecided {
    pub claim_id: Uuid,
    pub need_id: Uuid,
    pub accepted: bool,
    pub note: Option<Note>,
}

/// `need.fulfilled` (broadcast, by the need's owner).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedFulfilled {
    pub need_id: Uuid,
    pub claim_id: Option<Uuid>,
    pub summary: Option<Note>,
}

/// `need.escalated` (broadcast, by the need's owner): 大事不出村居、难事不出镇街.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedEscalated {
    pub need_id: Uuid,
    pub to_level: NeedLevel,
    /// The organisation now responsible (the parent street, for a community's need).
    pub to_org: OrgId,
    pub reason: Option<Note>,
}

/// `report.submitted` (direct, home organisation → residential community): 双报到.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSubmitted {
    pub report_id: Uuid,
    pub member: MemberRef,
    /// Only what the member chose to share.
    pub display_name: Option<Text<1, 64>>,
    #[serde(default)]
    #[schemars(length(max = 12))]
    pub skills: Vec<Skill>,
    pub grid: Option<GridCode>,
}

/// `report.decided` (direct, community → home organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDecided {
    pub report_id: Uuid,
    pub member: MemberRef,
    pub accepted: bool,
    pub note: Option<Note>,
}

/// A post within an activity, held by a primary (A) and a backup (B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Post {
    pub post_id: Uuid,
    pub title: Title,
    #[serde(default)]
    #[schemars(length(max = 12))]
    pub skills: Vec<Skill>,
}

/// `activity.published` (broadcast): an activity or service post members can sign up for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityPublished {
    pub activity_id: Uuid,
    pub title: Title,
    pub description: Description,
    pub place: Text<1, 200>,
    pub starts_at: i64,
    pub ends_at: i64,
    #[schemars(range(min = 1))]
    pub capacity: u32,
    pub mode: Mode,
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub posts: Vec<Post>,
}

/// `activity.cancelled` (broadcast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityCancelled {
    pub activity_id: Uuid,
    pub reason: Option<Note>,
}

/// `signup.requested` (direct, home organisation → activity host).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequested {
    pub signup_id: Uuid,
    pub activity_id: Uuid,
    pub member: MemberRef,
    pub post_id: Option<Uuid>,
    pub role: Option<PostRole>,
}

/// `placement.decided` (direct, host → home organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementDecided {
    pub signup_id: Uuid,
    pub activity_id: Uuid,
    pub member: MemberRef,
    pub accepted: bool,
    pub role: Option<PostRole>,
    pub note: Option<Note>,
}

/// `checkin.attested` (direct, host → home organisation): the host vouches the member served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinAttested {
    pub checkin_id: Uuid,
    pub member: MemberRef,
    pub activity_id: Option<Uuid>,
    pub checked_in_at: i64,
    pub checked_out_at: i64,
    /// Service minutes credited; at most the span between check-in and check-out.
    #[schemars(range(max = 1440))]
    pub minutes: u32,
    pub mode: Mode,
}

/// `emergency.declared` (broadcast): 急时, mobilisation; B roles take over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyDeclared {
    pub emergency_id: Uuid,
    pub title: Title,
    pub description: Description,
    #[serde(default)]
    #[schemars(length(max = 256))]
    pub grids: Vec<GridCode>,
    #[serde(default)]
    #[schemars(length(max = 12))]
    pub skills_wanted: Vec<Skill>,
}

/// `emergency.volunteered` (direct, home organisation → declaring organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyVolunteered {
    pub emergency_id: Uuid,
    pub member: MemberRef,
    #[serde(default)]
    #[schemars(length(max = 12))]
    pub skills: Vec<Skill>,
    pub role: Option<PostRole>,
}

/// `emergency.closed` (broadcast, by the declaring organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyClosed {
    pub emergency_id: Uuid,
    pub summary: Option<Note>,
}

/// Which side of a check-in the reporting organisation stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ParticipationSide {
    /// Counts of check-ins this organisation attested as host.
    Host,
    /// Counts of check-ins this organisation's members were credited with.
    Home,
}

/// One aggregate line: no member appears, only counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationRow {
    /// The other side: the home organisation (for a host report) or the host (for a home report).
    pub counterpart: OrgId,
    pub mode: Mode,
    pub members: u32,
    pub checkins: u32,
    pub minutes: u64,
}

/// `participation.reported` (direct, any organisation → the organisation department).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationReported {
    pub report_id: Uuid,
    pub side: ParticipationSide,
    pub period_start: i64,
    pub period_end: i64,
    #[schemars(length(max = 2000))]
    pub rows: Vec<ParticipationRow>,
}
