//! The body of each v1 message kind (PROTOCOL.md §6). Times are Unix seconds (UTC).
//! Every body rejects unknown fields: an extension is a new protocol version, not a guess.
//!
//! Limits serde cannot express (list lengths, numeric ranges, relations between fields) are
//! checked by [`Check::check`], which `Body::parse` runs on every received body and
//! `Signer::sign` on every sent one. The `#[schemars(...)]` attributes state the same limits in
//! the JSON Schemas.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::taxonomy::*;
use super::text::{Description, Note, Text, Title};
use crate::ids::{MemberRef, OrgId};
use crate::objects::{object, objects};

/// Most skills in one list.
pub const MAX_SKILLS: usize = 12;
/// Every weekly slot once (`WeeklySlot` has 21).
pub const MAX_SLOTS: usize = 21;
/// Most grid codes in an offer.
pub const MAX_OFFER_GRIDS: usize = 64;
/// Most grid codes in an emergency.
pub const MAX_EMERGENCY_GRIDS: usize = 256;
/// Most communities in an emergency's area.
pub const MAX_EMERGENCY_COMMUNITIES: usize = 64;
/// Most posts of an emergency.
pub const MAX_EMERGENCY_POSTS: usize = 32;
/// Most members one emergency post asks for.
pub const MAX_EMERGENCY_HEADCOUNT: u32 = 500;
/// Most posts of an activity.
pub const MAX_POSTS: usize = 50;
/// Most places of an activity.
pub const MAX_ACTIVITY_CAPACITY: u32 = 10_000;
/// Most stream heads in a `node.hello`.
pub const MAX_HEADS: usize = 1000;
/// Most rows of a participation report.
pub const MAX_ROWS: usize = 2000;
/// Most minutes one check-in may credit (a day).
pub const MAX_CHECKIN_MINUTES: u32 = 1440;
/// Most resource categories in a co-building agreement.
pub const MAX_AGREEMENT_RESOURCES: usize = 12;
/// The JSON Schema pattern of `agreement.decided`'s `proposal`: lower-case hex SHA-256.
pub const PROPOSAL_DIGEST_PATTERN: &str = "^[0-9a-f]{64}$";

/// The limits of a body that its types do not enforce. The error names the field.
pub trait Check {
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

fn at_most(field: &str, len: usize, max: usize) -> Result<(), String> {
    if len > max {
        return Err(format!(
            "{field} has {len} entries; at most {max} are allowed"
        ));
    }
    Ok(())
}

fn at_least_one(field: &str, value: u32) -> Result<(), String> {
    if value < 1 {
        return Err(format!("{field} must be at least 1"));
    }
    Ok(())
}

fn at_most_value(field: &str, value: u32, max: u32) -> Result<(), String> {
    if value > max {
        return Err(format!("{field} is {value}; at most {max} are allowed"));
    }
    Ok(())
}

fn not_before(later: &str, later_at: i64, earlier: &str, earlier_at: i64) -> Result<(), String> {
    if later_at < earlier_at {
        return Err(format!(
            "{later} ({later_at}) lies before {earlier} ({earlier_at})"
        ));
    }
    Ok(())
}

fn after(later: &str, later_at: i64, earlier: &str, earlier_at: i64) -> Result<(), String> {
    if later_at <= earlier_at {
        return Err(format!(
            "{later} ({later_at}) must lie after {earlier} ({earlier_at})"
        ));
    }
    Ok(())
}

/// `minutes` is at most [`MAX_CHECKIN_MINUTES`] and at most the whole minutes from `from_at` to
/// `to_at` (which must not lie before `from_at`; the caller checks that first).
fn minutes_within(
    minutes: u32,
    from: &str,
    from_at: i64,
    to: &str,
    to_at: i64,
) -> Result<(), String> {
    if minutes > MAX_CHECKIN_MINUTES {
        return Err(format!(
            "minutes is {minutes}; at most {MAX_CHECKIN_MINUTES} are allowed"
        ));
    }
    // i128: the difference of two arbitrary i64 does not fit an i64.
    let span = (i128::from(to_at) - i128::from(from_at)) / 60;
    if i128::from(minutes) > span {
        return Err(format!(
            "minutes is {minutes} but {from} to {to} spans only {span} whole minute(s)"
        ));
    }
    Ok(())
}

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
    #[schemars(length(max = MAX_HEADS))]
    #[serde(deserialize_with = "objects")]
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

/// Most streams one `recovery.requested` asks about: the sender's broadcast stream and its
/// direct stream to the receiver.
pub const MAX_RECOVERY_STREAMS: usize = 2;
/// Most of the requester's own messages one `recovery.returned` carries (each at most 64 KiB,
/// the whole message at most 1 MiB: the sender splits a longer range).
pub const MAX_RECOVERED_MESSAGES: usize = 1000;

/// One stream a restored node asks about, from the first sequence number it does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryStream {
    pub stream: String,
    #[schemars(range(min = 1))]
    pub from_seq: u64,
}

/// `recovery.requested` (control): a node restored from a backup asks a peer for the messages
/// *it itself* sent on these streams that the peer holds, and for the highest sequence number
/// the peer has seen on them (PROTOCOL.md §7.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequested {
    #[schemars(length(min = 1, max = MAX_RECOVERY_STREAMS))]
    #[serde(deserialize_with = "objects")]
    pub streams: Vec<RecoveryStream>,
}

/// `recovery.returned` (control): the answer to `recovery.requested` for one stream: the
/// requester's own messages from `from_seq` on, byte for byte as received, in sequence order,
/// and the highest sequence number of the requester's this peer has seen on the stream. A long
/// range comes in parts; `done` marks the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryReturned {
    pub stream: String,
    pub from_seq: u64,
    pub last_seq: u64,
    #[schemars(length(max = MAX_RECOVERED_MESSAGES))]
    pub messages: Vec<String>,
    pub done: bool,
}

/// `sync.compacted` (control): part of the answer to `sync.requested` for the sender's
/// broadcast stream where the sender has compacted it (PROTOCOL.md §7.10): "my messages
/// `from_seq` to `to_seq` on `stream` are gone for good; go on after `to_seq`". The messages that
/// survive compaction are re-sent as they are, between such statements, in sequence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncCompacted {
    pub stream: String,
    #[schemars(range(min = 1))]
    pub from_seq: u64,
    /// At least `from_seq`.
    #[schemars(range(min = 1))]
    pub to_seq: u64,
    /// Up to where the sender has compacted the stream (at least `to_seq`): a closing message
    /// at or below it may close an object that was compacted away.
    #[schemars(range(min = 1))]
    pub floor: u64,
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
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
    pub station: Option<StationKind>,
    #[serde(default)]
    #[schemars(length(max = MAX_OFFER_GRIDS))]
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
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
    #[schemars(range(min = 1))]
    pub quantity: u32,
    /// The deadline at the need's current level.
    pub due: Option<i64>,
    /// A reference in another system, e.g. a 12345 hotline ticket number; never caller data.
    /// Written only when set (§1.1 item 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<Text<1, 64>>,
}

/// `need.claimed` (direct, to the need's owner): "we will meet this need, with this offer".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedClaimed {
    pub claim_id: Uuid,
    pub need_id: Uuid,
    pub offer_id: Option<Uuid>,
    pub note: Option<Note>,
    /// Set when one of the sender's members takes the need on themselves (a micro-wish
    /// claimed through their home): their pairwise reference with the need's owner. Written
    /// only when set (§1.1 item 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberRef>,
    /// How that member is addressed, if they share it; only with `member`. Written only when
    /// set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Text<1, 64>>,
}

/// `need.claim-decided` (direct, from the need's owner to the claimant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedClaimDecided {
    pub claim_id: Uuid,
    pub need_id: Uuid,
    pub accepted: bool,
    pub note: Option<Note>,
    /// How to reach the person the need is for, given to an accepted claimant only (a
    /// micro-wish's beneficiary). Written only when set (§1.1 item 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// The beneficiary of a need as an accepted claimant needs them: how to address them, where,
/// and a phone. Never their full name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// How to address the person, e.g. `王奶奶`.
    pub addressee: Text<1, 64>,
    pub address: Text<1, 200>,
    pub phone: Option<Text<1, 32>>,
}

/// `need.done` (direct, the claimant → the need's owner): "we did what we claimed"; the owner
/// confirms it with the person it was for (`need.fulfilled`) or reopens it (`need.reopened`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedDone {
    pub claim_id: Uuid,
    pub need_id: Uuid,
    pub summary: Option<Note>,
}

/// `need.reopened` (direct, the need's owner → the claimant): the need was not met after all;
/// the claim ends and the need is open again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedReopened {
    pub claim_id: Uuid,
    pub need_id: Uuid,
    pub reason: Option<Note>,
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
    /// The deadline at the new level, Unix seconds. Written only when set (§1.1 item 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<i64>,
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
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
    /// When the member is usually free, if they chose to share it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_SLOTS))]
    pub availability: Vec<WeeklySlot>,
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

/// `report.withdrawn` (direct, home organisation → the community it reported the member to):
/// the member no longer reports there (moved, left service, or the report was a mistake).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportWithdrawn {
    pub report_id: Uuid,
    pub member: MemberRef,
    pub reason: Option<Note>,
}

/// A post within an activity, held by a primary (A) and a backup (B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Post {
    pub post_id: Uuid,
    pub title: Title,
    #[serde(default)]
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
}

/// `activity.published` (broadcast): an activity or service post members can sign up for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityPublished {
    pub activity_id: Uuid,
    pub category: ActivityCategory,
    pub title: Title,
    pub description: Description,
    pub place: Text<1, 200>,
    /// The host community's grid, when it is in one.
    pub grid: Option<GridCode>,
    pub starts_at: i64,
    /// After `starts_at`.
    pub ends_at: i64,
    /// How many members the host places at most.
    #[schemars(range(min = 1, max = MAX_ACTIVITY_CAPACITY))]
    pub capacity: u32,
    /// The skills wanted.
    #[serde(default)]
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
    pub mode: Mode,
    #[serde(default)]
    #[schemars(length(max = MAX_POSTS))]
    #[serde(deserialize_with = "objects")]
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
    /// How the member is addressed, if they share it.
    pub display_name: Option<Text<1, 64>>,
    /// What the member shares of their skills.
    #[serde(default)]
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
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

/// `signup.confirmed` (direct, home organisation → the host that placed the member): the member
/// accepted the placement, and only now does the home hand the host their contact details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupConfirmed {
    pub signup_id: Uuid,
    pub activity_id: Uuid,
    pub member: MemberRef,
    /// The member's name.
    pub name: Text<1, 64>,
    pub phone: Text<1, 32>,
}

/// `signup.cancelled` (direct, home organisation ↔ activity host): either side withdraws a
/// sign-up or a placement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupCancelled {
    pub signup_id: Uuid,
    pub activity_id: Uuid,
    pub member: MemberRef,
    pub reason: Option<Note>,
}

/// `checkin.attested` (direct, host → home organisation): the host vouches the member served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinAttested {
    pub checkin_id: Uuid,
    pub member: MemberRef,
    pub activity_id: Option<Uuid>,
    pub category: ActivityCategory,
    pub checked_in_at: i64,
    pub checked_out_at: i64,
    /// Service minutes credited; at most the whole minutes between check-in and check-out.
    #[schemars(range(max = MAX_CHECKIN_MINUTES))]
    pub minutes: u32,
    pub mode: Mode,
    /// The `checkin_id` of an earlier attestation by the same host for the same member that this
    /// one replaces. A correction is a new signed entry: the home keeps both and credits only
    /// the newest.
    pub corrects: Option<Uuid>,
    /// The member did not check out and the host closed the check-in at the session's end
    /// (crediting nothing beyond it). Absent means `false`; always sent.
    #[serde(default)]
    pub closed_by_host: bool,
}

/// `emergency.declared` (broadcast): 急时, mobilisation. The members' homes call their
/// emergency-ready members who live in the area: for each post first those with its skills (A),
/// and where none of them said yes within `answer_within_secs`, the others (B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyDeclared {
    pub emergency_id: Uuid,
    pub title: Title,
    pub description: Description,
    /// The area: the communities whose residents are called (a community declares for itself,
    /// a street for communities under it).
    #[schemars(length(min = 1, max = MAX_EMERGENCY_COMMUNITIES))]
    pub communities: Vec<OrgId>,
    /// Narrows the area to these grids, for members whose grid is known.
    #[serde(default)]
    #[schemars(length(max = MAX_EMERGENCY_GRIDS))]
    pub grids: Vec<GridCode>,
    #[schemars(length(min = 1, max = MAX_EMERGENCY_POSTS))]
    pub posts: Vec<EmergencyPost>,
    /// When the mobilisation starts, Unix seconds.
    pub starts_at: i64,
    /// How long the A holders of a post have to answer before its B holders are called.
    #[schemars(range(min = 1, max = 86_400))]
    pub answer_within_secs: u32,
}

/// A post of an emergency (卡口值守, 物资转运 …) and how many it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyPost {
    pub post_id: Uuid,
    pub title: Text<1, 100>,
    #[schemars(range(min = 1, max = MAX_EMERGENCY_HEADCOUNT))]
    pub headcount: u32,
    /// Members with one of these skills are the post's A holders; empty: every member called
    /// for it is.
    #[serde(default)]
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
}

/// `emergency.volunteered` (direct, home organisation → declaring organisation): a member the
/// home called said they will take the post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyVolunteered {
    pub emergency_id: Uuid,
    pub member: MemberRef,
    pub post_id: Uuid,
    /// A: called first, for their skills; B: called when no A holder answered in time.
    pub role: PostRole,
    /// How the member is addressed, as in `report.submitted`.
    pub display_name: Option<Text<1, 64>>,
    #[serde(default)]
    #[schemars(length(max = MAX_SKILLS))]
    pub skills: Vec<Skill>,
}

/// `emergency.closed` (broadcast, by the declaring organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyClosed {
    pub emergency_id: Uuid,
    pub summary: Option<Note>,
}

/// `agreement.proposed` (direct, a co-building unit, building alliance or new-employment branch →
/// a community): 单位报到 / 共建协议, what the proposer will put into the community and for how
/// long. The community answers with `agreement.decided`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementProposed {
    pub agreement_id: Uuid,
    pub title: Title,
    /// The kinds of resource the proposer commits (venues, funding, …).
    #[serde(default)]
    #[schemars(length(max = MAX_AGREEMENT_RESOURCES))]
    pub resources: Vec<OfferCategory>,
    /// The services and commitments, in words.
    pub services: Description,
    pub starts_at: i64,
    /// After `starts_at`.
    pub ends_at: i64,
    pub note: Option<Note>,
}

/// `agreement.decided` (direct, the community → the proposer). It names the proposal by the
/// SHA-256 of its compact JWS as received, so the decision signs the exact proposal and both
/// sides hold the same agreement, signed by both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementDecided {
    pub agreement_id: Uuid,
    /// Lower-case hex SHA-256 of the proposal's compact JWS, byte for byte as received.
    #[schemars(regex(pattern = PROPOSAL_DIGEST_PATTERN))]
    pub proposal: String,
    pub accepted: bool,
    pub note: Option<Note>,
}

impl AgreementDecided {
    /// The `proposal` value for a proposal received as `proposal_jws`: lower-case hex SHA-256
    /// of its bytes, exactly as received (no trimming, no re-serialising).
    pub fn digest(proposal_jws: &str) -> String {
        hex::encode(openssl::sha::sha256(proposal_jws.as_bytes()))
    }

    /// Whether this decision is about `proposal_jws` (the digests are equal).
    pub fn decides(&self, proposal_jws: &str) -> bool {
        self.proposal == Self::digest(proposal_jws)
    }
}

/// `service.logged` (direct, home organisation → the community the member reported to):
/// 服务登记, a service the member did for that community outside any activity. It counts only
/// once the community approves it with a `checkin.attested` whose `checkin_id` is this
/// `service_id` and whose `activity_id` is absent; the community may decline it instead
/// (`service.declined`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceLogged {
    /// Chosen by the home; the approval's `checkin_id`.
    pub service_id: Uuid,
    pub member: MemberRef,
    /// What the member did.
    pub what: Title,
    pub category: ActivityCategory,
    /// The community's grid the service was for, if the member names one.
    pub grid: Option<GridCode>,
    pub started_at: i64,
    /// After `started_at`.
    pub ended_at: i64,
    /// Service minutes the member logs; at most the whole minutes between start and end.
    #[schemars(range(max = MAX_CHECKIN_MINUTES))]
    pub minutes: u32,
}

/// `service.declined` (direct, the community → the member's home): the community does not
/// approve a logged service, which then credits nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDeclined {
    pub service_id: Uuid,
    pub member: MemberRef,
    pub reason: Option<Note>,
}

/// `feedback.sent` (direct, the community → the home of a member who reports there): 表现反馈,
/// the community's account of the member's service over a period, for the home to see beside
/// its own records. It credits nothing: only `checkin.attested` does. A later feedback for the
/// same member and period replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackSent {
    pub feedback_id: Uuid,
    pub member: MemberRef,
    pub period_starts_at: i64,
    /// After `period_starts_at`.
    pub period_ends_at: i64,
    /// Service minutes the community counts for the member in the period.
    pub minutes: u32,
    /// Activities the member took part in during the period.
    pub activities: u32,
    pub grade: FeedbackGrade,
    /// The community's evaluation, in its own words.
    pub evaluation: Description,
}

/// `pairing.started` (direct, the community → the member's home): 结对帮扶, the member is
/// paired with a household of the community's care ledger. The household's identity never
/// leaves the community: `household` is a label the community chooses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingStarted {
    pub pairing_id: Uuid,
    pub member: MemberRef,
    /// A label such as `第三网格 结对户 07`; never the household's name, address or phone.
    pub household: Text<1, 64>,
    pub started_at: i64,
}

/// `pairing.ended` (direct, the community → the member's home).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingEnded {
    pub pairing_id: Uuid,
    pub member: MemberRef,
    pub reason: Option<Note>,
}

/// `signup.invited` (direct, the community → the member's home): a volunteer team of the
/// community (红色帮帮团, 老帮老 …) is invited, member by member, to sign up together for one of
/// the community's activities. The member answers at home: accepting is an ordinary
/// `signup.requested`, which the host places as any other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupInvited {
    /// Chosen by the community.
    pub invitation_id: Uuid,
    pub activity_id: Uuid,
    pub member: MemberRef,
    /// The team's name, e.g. `红色帮帮团`.
    pub team: Text<1, 64>,
    pub post_id: Option<Uuid>,
    pub role: Option<PostRole>,
    pub note: Option<Note>,
}

/// Which side of a check-in the reporting organisation stands on.
/// The period a participation report covers (PROTOCOL.md §10.1).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ReportPeriod {
    /// A day of the alliance's local time.
    Day,
    /// A calendar month of the alliance's local time.
    Month,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ParticipationSide {
    /// Counts of check-ins this organisation attested as host.
    Host,
    /// Counts of check-ins this organisation's members were credited with.
    Home,
}

/// The most parts a participation report is split into (PROTOCOL.md §10.2).
pub const MAX_REPORT_PARTS: u16 = 64;
/// The largest suppression threshold `k` a report may use.
pub const MAX_K: u32 = 100;
/// The most fill times a report lists.
pub const MAX_FILL_TIMES: usize = 256;
/// The most grid rows a host report lists.
pub const MAX_GRID_ROWS: usize = 256;

/// One cell of a participation report (§10.2): no member appears, only counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationRow {
    /// The other side: the host (in a home report) or the member's home (in a host report).
    pub counterpart: OrgId,
    pub category: ActivityCategory,
    pub mode: Mode,
    /// Distinct members with a check-in in the cell (not additive across cells).
    pub members: u32,
    pub checkins: u32,
    pub minutes: u64,
}

/// A cell below the report's `k`, named by its key only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressedCell {
    pub counterpart: OrgId,
    pub category: ActivityCategory,
    pub mode: Mode,
}

/// The Merkle tree head of a counterpart's check-ins in the period (§10.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterpartRoot {
    pub counterpart: OrgId,
    /// The tree's leaves: the counterpart's check-ins, suppressed cells included.
    #[schemars(range(min = 1))]
    pub checkins: u32,
    /// 64 lower-case hex digits.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub root: String,
}

/// A host's check-ins by the activity's grid (not cross-checked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GridRow {
    pub grid: GridCode,
    pub category: ActivityCategory,
    pub members: u32,
    pub checkins: u32,
    pub minutes: u64,
}

/// The report's totals (§10.2), the same in every part; a figure of the other side is 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationTotals {
    /// Home: members at the period's end.
    pub members: u32,
    /// Home: of them, with a 双报到 report accepted and standing.
    pub members_reported: u32,
    /// Home: distinct members with a counted check-in.
    pub members_active: u32,
    /// Host: distinct members with a check-in attested here.
    pub members_hosted: u32,
    /// Host: 双报到 reports accepted here and standing.
    pub reporting_members: u32,
    /// Host: its activities that start in the period, not cancelled.
    pub activities: u32,
    pub checkins: u32,
    pub minutes: u64,
    pub needs_fulfilled: u32,
    pub wishes_confirmed: u32,
    pub escalations: u32,
    pub emergency_posts: u32,
    pub emergency_posts_filled: u32,
    /// Seconds from an emergency's start to each filled post's headcount.
    #[schemars(length(max = MAX_FILL_TIMES))]
    pub fill_secs: Vec<u32>,
}

/// `participation.reported` (direct, a producer → the organisation department): one part of
/// the report of one side for one period (§10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationReported {
    pub report_id: Uuid,
    pub side: ParticipationSide,
    pub period: ReportPeriod,
    pub period_start: i64,
    pub period_end: i64,
    #[schemars(range(min = 1))]
    pub revision: u32,
    #[schemars(range(min = 1, max = MAX_REPORT_PARTS))]
    pub part: u16,
    #[schemars(range(min = 1, max = MAX_REPORT_PARTS))]
    pub parts: u16,
    #[schemars(range(min = 1, max = MAX_K))]
    pub k: u32,
    #[serde(deserialize_with = "object")]
    pub totals: ParticipationTotals,
    #[serde(default, deserialize_with = "objects")]
    #[schemars(length(max = MAX_ROWS))]
    pub rows: Vec<ParticipationRow>,
    #[serde(default, deserialize_with = "objects")]
    #[schemars(length(max = MAX_ROWS))]
    pub suppressed: Vec<SuppressedCell>,
    #[serde(default, deserialize_with = "objects")]
    #[schemars(length(max = MAX_ROWS))]
    pub roots: Vec<CounterpartRoot>,
    #[serde(default, deserialize_with = "objects")]
    #[schemars(length(max = MAX_GRID_ROWS))]
    pub grids: Vec<GridRow>,
}

/// `participation.requested` (direct, the organisation department → a producer): send the
/// report of this period again (§10.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationRequested {
    pub request_id: Uuid,
    #[schemars(length(min = 1, max = 2))]
    pub sides: Vec<ParticipationSide>,
    pub period: ReportPeriod,
    pub period_start: i64,
    pub note: Option<Note>,
}

impl Check for RosterPublished {}
impl Check for RevocationPublished {}
impl Check for SyncRequested {}
impl Check for RecoveryRequested {
    fn check(&self) -> Result<(), String> {
        if self.streams.is_empty() {
            return Err("streams: at least one stream is asked about".into());
        }
        at_most("streams", self.streams.len(), MAX_RECOVERY_STREAMS)?;
        if self.streams.iter().any(|s| s.from_seq == 0) {
            return Err("streams: from_seq starts at 1".into());
        }
        Ok(())
    }
}
impl Check for RecoveryReturned {
    fn check(&self) -> Result<(), String> {
        at_most("messages", self.messages.len(), MAX_RECOVERED_MESSAGES)
    }
}
impl Check for SyncCompacted {
    fn check(&self) -> Result<(), String> {
        if self.from_seq == 0 {
            return Err("from_seq: sequence numbers start at 1".into());
        }
        if self.to_seq < self.from_seq {
            return Err("to_seq: below from_seq".into());
        }
        if self.floor < self.to_seq {
            return Err("floor: below to_seq".into());
        }
        Ok(())
    }
}
impl Check for OfferWithdrawn {}
impl Check for NeedClaimed {
    fn check(&self) -> Result<(), String> {
        if self.member.is_some() && self.offer_id.is_some() {
            return Err(
                "offer_id: a member's claim names no offer (offers are organisations')".into(),
            );
        }
        if self.display_name.is_some() && self.member.is_none() {
            return Err("display_name: given only with member".into());
        }
        Ok(())
    }
}
impl Check for NeedDone {}
impl Check for NeedReopened {}

impl Check for NeedClaimDecided {
    fn check(&self) -> Result<(), String> {
        if self.contact.is_some() && !self.accepted {
            return Err("contact: given only with an accepted claim".into());
        }
        Ok(())
    }
}
impl Check for NeedFulfilled {}
impl Check for NeedEscalated {}
impl Check for ReportDecided {}
impl Check for ReportWithdrawn {}
impl Check for ActivityCancelled {}
impl Check for PlacementDecided {}
impl Check for SignupConfirmed {}
impl Check for SignupCancelled {}
impl Check for EmergencyClosed {}
impl Check for ServiceDeclined {}
impl Check for PairingStarted {}
impl Check for PairingEnded {}

impl Check for SignupInvited {
    fn check(&self) -> Result<(), String> {
        if self.role.is_some() && self.post_id.is_none() {
            return Err("role: a role (A or B) is given within a post: post_id is missing".into());
        }
        Ok(())
    }
}

impl Check for AgreementProposed {
    fn check(&self) -> Result<(), String> {
        after("ends_at", self.ends_at, "starts_at", self.starts_at)?;
        at_most("resources", self.resources.len(), MAX_AGREEMENT_RESOURCES)
    }
}

impl Check for AgreementDecided {
    fn check(&self) -> Result<(), String> {
        let hex = self.proposal.len() == 64
            && self
                .proposal
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Err(format!(
                "proposal {:?} must be 64 lower-case hex digits (SHA-256 of the proposal's JWS)",
                self.proposal
            ));
        }
        Ok(())
    }
}

impl Check for NodeHello {
    fn check(&self) -> Result<(), String> {
        at_most("heads", self.heads.len(), MAX_HEADS)
    }
}

impl Check for OfferPublished {
    fn check(&self) -> Result<(), String> {
        at_least_one("capacity", self.capacity)?;
        at_most("skills", self.skills.len(), MAX_SKILLS)?;
        at_most("grids", self.grids.len(), MAX_OFFER_GRIDS)
    }
}

impl Check for NeedPublished {
    fn check(&self) -> Result<(), String> {
        at_most("skills", self.skills.len(), MAX_SKILLS)?;
        at_least_one("quantity", self.quantity)
    }
}

impl Check for ReportSubmitted {
    fn check(&self) -> Result<(), String> {
        at_most("skills", self.skills.len(), MAX_SKILLS)?;
        at_most("availability", self.availability.len(), MAX_SLOTS)
    }
}

impl Check for ActivityPublished {
    fn check(&self) -> Result<(), String> {
        after("ends_at", self.ends_at, "starts_at", self.starts_at)?;
        at_least_one("capacity", self.capacity)?;
        at_most_value("capacity", self.capacity, MAX_ACTIVITY_CAPACITY)?;
        at_most("skills", self.skills.len(), MAX_SKILLS)?;
        at_most("posts", self.posts.len(), MAX_POSTS)?;
        for (i, post) in self.posts.iter().enumerate() {
            at_most(&format!("posts[{i}].skills"), post.skills.len(), MAX_SKILLS)?;
        }
        Ok(())
    }
}

impl Check for SignupRequested {
    fn check(&self) -> Result<(), String> {
        at_most("skills", self.skills.len(), MAX_SKILLS)
    }
}

impl Check for CheckinAttested {
    fn check(&self) -> Result<(), String> {
        not_before(
            "checked_out_at",
            self.checked_out_at,
            "checked_in_at",
            self.checked_in_at,
        )?;
        minutes_within(
            self.minutes,
            "checked_in_at",
            self.checked_in_at,
            "checked_out_at",
            self.checked_out_at,
        )
    }
}

impl Check for ServiceLogged {
    fn check(&self) -> Result<(), String> {
        after("ended_at", self.ended_at, "started_at", self.started_at)?;
        minutes_within(
            self.minutes,
            "started_at",
            self.started_at,
            "ended_at",
            self.ended_at,
        )
    }
}

impl Check for FeedbackSent {
    fn check(&self) -> Result<(), String> {
        after(
            "period_ends_at",
            self.period_ends_at,
            "period_starts_at",
            self.period_starts_at,
        )
    }
}

impl Check for EmergencyDeclared {
    fn check(&self) -> Result<(), String> {
        let communities = self.communities.len();
        if communities == 0 {
            return Err("communities: the area names at least one community".into());
        }
        at_most("communities", communities, MAX_EMERGENCY_COMMUNITIES)?;
        at_most("grids", self.grids.len(), MAX_EMERGENCY_GRIDS)?;
        if self.posts.is_empty() {
            return Err("posts: an emergency has at least one post".into());
        }
        at_most("posts", self.posts.len(), MAX_EMERGENCY_POSTS)?;
        let mut ids = std::collections::HashSet::new();
        for (i, p) in self.posts.iter().enumerate() {
            if !ids.insert(p.post_id) {
                return Err(format!("posts[{i}].post_id: {} is repeated", p.post_id));
            }
            if !(1..=MAX_EMERGENCY_HEADCOUNT).contains(&p.headcount) {
                return Err(format!(
                    "posts[{i}].headcount: 1 to {MAX_EMERGENCY_HEADCOUNT}"
                ));
            }
            at_most(&format!("posts[{i}].skills"), p.skills.len(), MAX_SKILLS)?;
        }
        if !(1..=86_400).contains(&self.answer_within_secs) {
            return Err("answer_within_secs: 1 to 86400".into());
        }
        Ok(())
    }
}

impl Check for EmergencyVolunteered {
    fn check(&self) -> Result<(), String> {
        at_most("skills", self.skills.len(), MAX_SKILLS)
    }
}

impl Check for ParticipationReported {
    fn check(&self) -> Result<(), String> {
        if !crate::period::is_period(self.period, self.period_start, self.period_end) {
            return Err(format!(
                "period_start/period_end: [{}, {}) is not one {} of UTC+08:00 (§10.1)",
                self.period_start,
                self.period_end,
                <&str>::from(self.period)
            ));
        }
        at_least_one("revision", self.revision)?;
        at_least_one("k", self.k)?;
        at_most_value("k", self.k, MAX_K)?;
        if self.parts < 1
            || self.parts > MAX_REPORT_PARTS
            || self.part < 1
            || self.part > self.parts
        {
            return Err(format!(
                "part: {} of {} (1 ≤ part ≤ parts ≤ {MAX_REPORT_PARTS})",
                self.part, self.parts
            ));
        }
        at_most("rows", self.rows.len(), MAX_ROWS)?;
        at_most("suppressed", self.suppressed.len(), MAX_ROWS)?;
        at_most("roots", self.roots.len(), MAX_ROWS)?;
        at_most("grids", self.grids.len(), MAX_GRID_ROWS)?;
        at_most(
            "totals.fill_secs",
            self.totals.fill_secs.len(),
            MAX_FILL_TIMES,
        )?;
        let mut cells = std::collections::HashSet::new();
        for r in &self.rows {
            if !cells.insert((&r.counterpart, r.category, r.mode)) {
                return Err(format!(
                    "rows: the cell of {} is listed twice",
                    r.counterpart
                ));
            }
            if r.members < self.k {
                return Err(format!(
                    "rows: a cell of {} has {} members, below k = {}: it belongs in suppressed",
                    r.counterpart, r.members, self.k
                ));
            }
            counts("rows", r.members, r.checkins, r.minutes)?;
        }
        for c in &self.suppressed {
            if !cells.insert((&c.counterpart, c.category, c.mode)) {
                return Err(format!(
                    "suppressed: the cell of {} is listed twice",
                    c.counterpart
                ));
            }
        }
        let mut rooted = std::collections::HashSet::new();
        for r in &self.roots {
            if !rooted.insert(&r.counterpart) {
                return Err(format!("roots: {} is listed twice", r.counterpart));
            }
            at_least_one("roots.checkins", r.checkins)?;
            let hex = r.root.len() == 64
                && r.root
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex {
                return Err(format!(
                    "roots: the root of {} is not 64 lower-case hex digits",
                    r.counterpart
                ));
            }
        }
        let listed: std::collections::HashSet<&OrgId> = cells.iter().map(|c| c.0).collect();
        if listed != rooted {
            return Err(
                "roots: a counterpart has cells in this part exactly when it has a root here"
                    .into(),
            );
        }
        let mut grids = std::collections::HashSet::new();
        for g in &self.grids {
            if !grids.insert((&g.grid, g.category)) {
                return Err(format!(
                    "grids: grid {} is listed twice for one category",
                    g.grid
                ));
            }
            if g.members < self.k {
                return Err(format!(
                    "grids: grid {} has a cell below k = {}",
                    g.grid, self.k
                ));
            }
            counts("grids", g.members, g.checkins, g.minutes)?;
        }
        let t = &self.totals;
        let (home_only, host_only): (&[u32], &[u32]) = (
            &[t.members, t.members_reported, t.members_active],
            &[
                t.members_hosted,
                t.reporting_members,
                t.activities,
                t.needs_fulfilled,
                t.wishes_confirmed,
                t.escalations,
                t.emergency_posts,
                t.emergency_posts_filled,
            ],
        );
        let other_side_zero = match self.side {
            ParticipationSide::Home => {
                host_only.iter().all(|v| *v == 0) && t.fill_secs.is_empty() && self.grids.is_empty()
            }
            ParticipationSide::Host => home_only.iter().all(|v| *v == 0),
        };
        if !other_side_zero {
            return Err(format!(
                "totals: a {} report gives 0 for the other side's figures (§10.2)",
                <&str>::from(self.side)
            ));
        }
        Ok(())
    }
}

/// A cell's figures agree with each other: no more members than check-ins, at most a day's
/// minutes per check-in.
fn counts(field: &str, members: u32, checkins: u32, minutes: u64) -> Result<(), String> {
    if members > checkins {
        return Err(format!(
            "{field}: {members} members but {checkins} check-ins"
        ));
    }
    if minutes > u64::from(checkins) * u64::from(MAX_CHECKIN_MINUTES) {
        return Err(format!(
            "{field}: {minutes} minutes exceed {MAX_CHECKIN_MINUTES} per check-in"
        ));
    }
    Ok(())
}

impl Check for ParticipationRequested {
    fn check(&self) -> Result<(), String> {
        if self.sides.is_empty()
            || self.sides.len() > 2
            || (self.sides.len() == 2 && self.sides[0] == self.sides[1])
        {
            return Err("sides: one or both of host and home, each once".into());
        }
        let (start, _) = crate::period::bounds(self.period, self.period_start);
        if start != self.period_start {
            return Err(format!(
                "period_start: {} is not the first local midnight of a {}",
                self.period_start,
                <&str>::from(self.period)
            ));
        }
        Ok(())
    }
}
