//! Participation reports at every producer (PROTOCOL.md §10): what this node sends the
//! organisation department about a day or a month, once as the members' **home** (what they
//! were credited with) and once as **host** (what it attested and organised). Counts only: a
//! cell of fewer than `k` members is named, never counted; no name or member reference leaves.
//! Each counterpart's check-ins are also summed up as a Merkle tree head over the jtis of the
//! attestations standing for them, so that the department can match both sides message by
//! message, and one check-in can be proven included later ([`proof`]).

use std::collections::{BTreeMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tongxin_schema::envelope::Audience;
use tongxin_schema::merkle::{self, InclusionProof};
use tongxin_schema::period;
use tongxin_schema::v1::bodies::{
    CheckinAttested, CounterpartRoot, GridRow, MAX_FILL_TIMES, MAX_GRID_ROWS, MAX_REPORT_PARTS,
    ParticipationReported, ParticipationRequested, ParticipationRow, ParticipationSide,
    ParticipationTotals, ReportPeriod, SuppressedCell,
};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::{ActionError, Actor, Invalid, checked};
use crate::store::participation::{self as rows, Identity, SentRow};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox};

/// A period is reported once its last check-in could have arrived: an hour after it ends
/// (the first timer tick after 01:00 local time for a day).
pub const SETTLE_SECS: i64 = 3600;
/// How far back a producer looks for figures that changed since it reported them (a late or
/// corrected attestation): the last 7 days and the last 2 months.
pub const RECHECK_DAYS: i64 = 7;
pub const RECHECK_MONTHS: i64 = 2;
/// What a part's rows, roots and grids may take of a message, in bytes of JSON: the rest of
/// the 64 KiB (§4.1) is the totals (up to 256 fill times), the envelope and the base64url of
/// the header, certificate and signature.
const PART_BUDGET: usize = 36_000;

/// The organisation department on the roster: where reports go.
pub fn department(roster: &tongxin_schema::roster::Roster) -> Option<OrgId> {
    roster
        .orgs()
        .iter()
        .find(|o| o.kind == OrgKind::OrgDepartment)
        .map(|o| o.id.clone())
}

/// The `jti` and the body of a JWS this node holds (one it signed, or one verified when it
/// arrived), read without checking it again.
fn held<T: serde::de::DeserializeOwned>(jws: &str) -> Option<(Uuid, T)> {
    #[derive(Deserialize)]
    struct Claims<T> {
        jti: Uuid,
        body: T,
    }
    let payload = URL_SAFE_NO_PAD.decode(jws.split('.').nth(1)?).ok()?;
    let c: Claims<T> = serde_json::from_slice(&payload).ok()?;
    Some((c.jti, c.body))
}

/// The attestation a stored JWS carries: the message's jti and its body.
pub fn attestation(jws: &str) -> Option<(Uuid, CheckinAttested)> {
    held(jws)
}

/// One counted check-in (§10.1).
struct Counted {
    counterpart: String,
    category: String,
    mode: String,
    /// Who, only to count distinct members here: the member id at a home, the member
    /// reference at a host. Never sent.
    member: String,
    minutes: u64,
    jti: Uuid,
    grid: Option<String>,
}

/// A report's figures before it is split into parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub totals: ParticipationTotals,
    pub rows: Vec<ParticipationRow>,
    pub suppressed: Vec<SuppressedCell>,
    pub roots: Vec<CounterpartRoot>,
    pub grids: Vec<GridRow>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("participation report: {what}"))
}

fn side_name(side: ParticipationSide) -> &'static str {
    side.into()
}

fn period_name(p: ReportPeriod) -> &'static str {
    p.into()
}

/// The check-ins a host counts in [start, end): those it attested, as it last attested them,
/// by the attested `checked_in_at` (which can be later than the moment the member arrived:
/// time before the activity's start is not credited).
fn hosted(conn: &mut AnyConnection, me: &str, start: i64, end: i64) -> StoreResult<Vec<Counted>> {
    let grids = rows::activity_grids(conn, me)?;
    let early = super::checkins::EARLY_SECS;
    let mut out = Vec::new();
    for c in rows::attested_between(conn, me, start - early, end)? {
        let Some((jti, a)) = c.attestation.as_deref().and_then(attestation) else {
            return Err(corrupt(&format!(
                "check-in {} has no readable attestation",
                c.id
            )));
        };
        if !(start..end).contains(&a.checked_in_at) {
            continue;
        }
        out.push(Counted {
            counterpart: a.member.home().to_string(),
            category: <&str>::from(a.category).to_owned(),
            mode: <&str>::from(a.mode).to_owned(),
            member: a.member.to_string(),
            minutes: u64::from(a.minutes),
            jti,
            grid: c.activity_id.as_ref().and_then(|id| grids.get(id).cloned()),
        });
    }
    Ok(out)
}

/// The check-ins a home counts in [start, end): those it credited (the newest of each
/// correction chain).
fn credited(conn: &mut AnyConnection, start: i64, end: i64) -> StoreResult<Vec<Counted>> {
    let mut out = Vec::new();
    for c in rows::credited_between(conn, start, end)? {
        let Some((jti, _)) = c.attestation.as_deref().and_then(attestation) else {
            return Err(corrupt(&format!(
                "credited check-in {} keeps no attestation",
                c.id
            )));
        };
        out.push(Counted {
            counterpart: c.host_org.clone(),
            category: c.category.clone(),
            mode: c.mode.clone(),
            member: c.member_id.clone().unwrap_or_default(),
            minutes: u64::try_from(c.minutes.unwrap_or(0)).unwrap_or(0),
            jti,
            grid: None,
        });
    }
    Ok(out)
}

#[derive(Default)]
struct Tally<'a> {
    members: HashSet<&'a str>,
    checkins: u32,
    minutes: u64,
}

impl<'a> Tally<'a> {
    fn add(&mut self, c: &'a Counted) {
        self.members.insert(&c.member);
        self.checkins += 1;
        self.minutes += c.minutes;
    }
    fn members(&self) -> u32 {
        u32::try_from(self.members.len()).unwrap_or(u32::MAX)
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// The figures of this node's report of `side` for the period of kind `p` beginning at
/// `start` (§10.2), with cells below `k` suppressed.
pub fn figures(
    conn: &mut AnyConnection,
    me: &OrgId,
    side: ParticipationSide,
    p: ReportPeriod,
    start: i64,
    k: u32,
) -> StoreResult<Figures> {
    let (start, end) = period::bounds(p, start);
    let counted = match side {
        ParticipationSide::Host => hosted(conn, me.as_str(), start, end)?,
        ParticipationSide::Home => credited(conn, start, end)?,
    };
    let mut cells: BTreeMap<(&str, &str, &str), Tally> = BTreeMap::new();
    let mut by_counterpart: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    let mut by_grid: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    let mut everyone = Tally::default();
    for c in &counted {
        cells
            .entry((&c.counterpart, &c.category, &c.mode))
            .or_default()
            .add(c);
        by_counterpart
            .entry(&c.counterpart)
            .or_default()
            .push(c.jti);
        if let Some(g) = &c.grid {
            by_grid.entry((g, &c.category)).or_default().add(c);
        }
        everyone.add(c);
    }
    let (mut rows_out, mut suppressed) = (Vec::new(), Vec::new());
    for ((counterpart, category, mode), t) in &cells {
        let counterpart: OrgId = counterpart.parse().map_err(|_| corrupt("counterpart"))?;
        let category = category.parse().map_err(|_| corrupt("category"))?;
        let mode = mode.parse().map_err(|_| corrupt("mode"))?;
        if t.members() < k {
            suppressed.push(SuppressedCell {
                counterpart,
                category,
                mode,
            });
        } else {
            rows_out.push(ParticipationRow {
                counterpart,
                category,
                mode,
                members: t.members(),
                checkins: t.checkins,
                minutes: t.minutes,
            });
        }
    }
    let roots = by_counterpart
        .into_iter()
        .map(|(cp, jtis)| {
            Ok(CounterpartRoot {
                counterpart: cp.parse().map_err(|_| corrupt("counterpart"))?,
                checkins: u32::try_from(jtis.len()).unwrap_or(u32::MAX),
                root: merkle::root_hex(jtis),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let mut grids = Vec::new();
    for ((grid, category), t) in &by_grid {
        if t.members() < k {
            continue;
        }
        grids.push(GridRow {
            grid: tongxin_schema::v1::text::Text::new(*grid).map_err(|_| corrupt("grid"))?,
            category: category.parse().map_err(|_| corrupt("category"))?,
            members: t.members(),
            checkins: t.checkins,
            minutes: t.minutes,
        });
    }
    // The busiest grids when there are more than a report lists.
    grids.sort_by_key(|g| std::cmp::Reverse(g.checkins));
    grids.truncate(MAX_GRID_ROWS);
    let mut totals = ParticipationTotals {
        checkins: everyone.checkins,
        minutes: everyone.minutes,
        ..ParticipationTotals::default()
    };
    let (start_ms, end_ms) = (start * 1000, end * 1000);
    match side {
        ParticipationSide::Home => {
            totals.members = count(rows::members_before(conn, end_ms)?);
            totals.members_reported = count(rows::members_reported(conn, me.as_str(), end_ms)?);
            totals.members_active = everyone.members();
        }
        ParticipationSide::Host => {
            totals.members_hosted = everyone.members();
            totals.reporting_members = count(rows::reporting_members(conn, me.as_str(), end_ms)?);
            totals.activities = count(rows::activities_between(conn, me.as_str(), start, end)?);
            let (fulfilled, confirmed) =
                rows::fulfilled_between(conn, me.as_str(), start_ms, end_ms)?;
            totals.needs_fulfilled = count(fulfilled);
            totals.wishes_confirmed = count(confirmed);
            totals.escalations = count(rows::escalations_between(conn, start_ms, end_ms)?);
            emergency_figures(conn, me.as_str(), start, end, &mut totals)?;
        }
    }
    Ok(Figures {
        totals,
        rows: rows_out,
        suppressed,
        roots,
        grids,
    })
}

/// The posts of our emergencies that started in the period, those that reached their
/// headcount, and how long each took.
fn emergency_figures(
    conn: &mut AnyConnection,
    me: &str,
    start: i64,
    end: i64,
    totals: &mut ParticipationTotals,
) -> StoreResult<()> {
    #[derive(Deserialize)]
    struct Post {
        post_id: String,
        headcount: usize,
    }
    // (when the post filled, seconds it took), to keep the first filled (§10.2).
    let mut filled: Vec<(i64, u32)> = Vec::new();
    for (id, starts_at, posts) in rows::emergencies_between(conn, me, start, end)? {
        let posts: Vec<Post> =
            serde_json::from_str(&posts).map_err(|_| corrupt("emergency posts"))?;
        let answers = rows::volunteer_times(conn, &id)?;
        for p in posts {
            totals.emergency_posts += 1;
            let yes: Vec<i64> = answers
                .iter()
                .filter(|(post, _)| *post == p.post_id)
                .map(|(_, ms)| *ms)
                .collect();
            if p.headcount > 0 && yes.len() >= p.headcount {
                totals.emergency_posts_filled += 1;
                let filled_at = yes[p.headcount - 1].div_euclid(1000);
                let secs = u32::try_from((filled_at - starts_at).max(0)).unwrap_or(u32::MAX);
                filled.push((filled_at, secs));
            }
        }
    }
    filled.sort_unstable();
    totals.fill_secs = filled
        .into_iter()
        .take(MAX_FILL_TIMES)
        .map(|(_, secs)| secs)
        .collect();
    Ok(())
}

/// What tells a revision's figures apart: SHA-256 over `k` and the figures.
fn digest(k: u32, f: &Figures) -> String {
    let bytes = serde_json::to_vec(&(k, f)).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// One part's share of the report.
#[derive(Default)]
struct Share {
    rows: Vec<ParticipationRow>,
    suppressed: Vec<SuppressedCell>,
    roots: Vec<CounterpartRoot>,
    grids: Vec<GridRow>,
    bytes: usize,
}

fn json_len<T: Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len() + 1)
}

/// Splits the figures into parts that each fit one message, everything about one
/// counterpart in the same part (§10.2).
fn split(f: &Figures) -> Result<Vec<Share>, Invalid> {
    let mut shares = vec![Share::default()];
    let mut place = |fill: &mut dyn FnMut(&mut Share), bytes: usize| {
        let last = shares
            .last_mut()
            .filter(|s| s.bytes + bytes <= PART_BUDGET || s.bytes == 0);
        let s = match last {
            Some(s) => s,
            None => {
                shares.push(Share::default());
                shares.last_mut().unwrap_or_else(|| unreachable!())
            }
        };
        fill(s);
        s.bytes += bytes;
    };
    for root in &f.roots {
        let rows: Vec<&ParticipationRow> = f
            .rows
            .iter()
            .filter(|r| r.counterpart == root.counterpart)
            .collect();
        let suppressed: Vec<&SuppressedCell> = f
            .suppressed
            .iter()
            .filter(|c| c.counterpart == root.counterpart)
            .collect();
        let bytes = json_len(root) + json_len(&rows) + json_len(&suppressed);
        place(
            &mut |s: &mut Share| {
                s.roots.push(root.clone());
                s.rows.extend(rows.iter().map(|r| (*r).clone()));
                s.suppressed.extend(suppressed.iter().map(|c| (*c).clone()));
            },
            bytes,
        );
    }
    for g in &f.grids {
        place(&mut |s: &mut Share| s.grids.push(g.clone()), json_len(g));
    }
    if shares.len() > usize::from(MAX_REPORT_PARTS) {
        return Err(Invalid::Conflict(format!(
            "the report needs {} parts, more than the {MAX_REPORT_PARTS} a report may have",
            shares.len()
        )));
    }
    Ok(shares)
}

/// Sends this node's report of `side` for the period of kind `p` containing `start`, as a new
/// revision, when its figures changed since the last one sent (or always, with `again`, as an
/// answer to the department). Returns the revision sent, if one was.
pub fn send(
    conn: &mut AnyConnection,
    actor: &Actor,
    k: u32,
    side: ParticipationSide,
    p: ReportPeriod,
    start: i64,
    again: bool,
) -> Result<Option<u32>, ActionError> {
    let Some(dept) = department(actor.roster) else {
        return Ok(None);
    };
    if &dept == actor.org() {
        return Ok(None);
    }
    let (start, end) = period::bounds(p, start);
    let f = figures(conn, actor.org(), side, p, start, k)?;
    let digest = digest(k, &f);
    let id = Identity {
        side: side_name(side),
        period: period_name(p),
        period_start: start,
    };
    let last = rows::last_sent(conn, id)?;
    if !again && last.as_ref().is_some_and(|l| l.digest == digest) {
        return Ok(None);
    }
    let revision = last.map_or(1, |l| l.revision + 1);
    let revision_u32 = u32::try_from(revision).map_err(|_| corrupt("revision"))?;
    let shares = split(&f)?;
    let parts = u16::try_from(shares.len()).unwrap_or(MAX_REPORT_PARTS);
    let report_id = Uuid::now_v7();
    let mut sent = Vec::with_capacity(shares.len());
    for (i, s) in shares.into_iter().enumerate() {
        let body = checked(ParticipationReported {
            report_id,
            side,
            period: p,
            period_start: start,
            period_end: end,
            revision: revision_u32,
            part: u16::try_from(i + 1).unwrap_or(MAX_REPORT_PARTS),
            parts,
            k,
            totals: f.totals.clone(),
            rows: s.rows,
            suppressed: s.suppressed,
            roots: s.roots,
            grids: s.grids,
        })?;
        let (_, jws) = outbox::enqueue(
            conn,
            actor.signer,
            actor.now_ms,
            Audience::Org(dept.clone()),
            body,
        )?;
        sent.push(jws);
    }
    rows::insert_sent(
        conn,
        &SentRow {
            side: id.side.to_owned(),
            period: id.period.to_owned(),
            period_start: start,
            revision,
            report_id: report_id.to_string(),
            digest,
            jws: sent.join("\n"),
            sent_ms: actor.now_ms,
        },
    )?;
    Ok(Some(revision_u32))
}

/// The periods whose reports are due at `now` (§10.5): the settled days of the last week and
/// the settled months of the last two, newest first.
pub fn due_periods(now: i64) -> Vec<(ReportPeriod, i64)> {
    let settled = now - SETTLE_SECS;
    let mut out = Vec::new();
    for (p, n) in [
        (ReportPeriod::Day, RECHECK_DAYS),
        (ReportPeriod::Month, RECHECK_MONTHS),
    ] {
        let (mut start, _) = period::previous(p, settled);
        for _ in 0..n {
            out.push((p, start));
            start = period::previous(p, start).0;
        }
    }
    out
}

/// The schedule (§10.5): the reports of both sides for yesterday and last month, when not
/// sent yet, and a new revision of any report of the last week or two months whose figures
/// changed since it was sent. (Older periods that were never reported, e.g. before this node
/// joined, are sent only when the department asks.) Returns how many were sent.
pub fn send_due(conn: &mut AnyConnection, actor: &Actor, k: u32) -> Result<usize, ActionError> {
    let mut n = 0;
    let mut newest: Vec<ReportPeriod> = Vec::new();
    for (p, start) in due_periods(actor.now_ms.div_euclid(1000)) {
        let latest = !newest.contains(&p);
        newest.push(p);
        for side in [ParticipationSide::Home, ParticipationSide::Host] {
            let id = Identity {
                side: side_name(side),
                period: period_name(p),
                period_start: start,
            };
            if !latest && rows::last_sent(conn, id)?.is_none() {
                continue;
            }
            n += usize::from(send_or_log(conn, actor, k, side, p, start, false)?);
        }
    }
    Ok(n)
}

/// [`send`] in a savepoint: a report that cannot be made (unreadable stored data, more parts
/// than a report may have) is logged and leaves nothing behind, and the others still go.
/// Whether one was sent.
fn send_or_log(
    conn: &mut AnyConnection,
    actor: &Actor,
    k: u32,
    side: ParticipationSide,
    p: ReportPeriod,
    start: i64,
    again: bool,
) -> Result<bool, ActionError> {
    use diesel::Connection;
    match conn.transaction(|c| send(c, actor, k, side, p, start, again)) {
        Ok(sent) => Ok(sent.is_some()),
        Err(e @ (ActionError::Invalid(_) | ActionError::Store(StoreError::Corrupt(_)))) => {
            tracing::warn!(
                side = side_name(side),
                period = %period::label(p, start),
                error = %e,
                "a participation report could not be made"
            );
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The department asks for a report again (`participation.requested`): a new revision of each
/// side named, whatever changed. Returns how many were sent.
pub fn answer(
    conn: &mut AnyConnection,
    actor: &Actor,
    k: u32,
    req: &ParticipationRequested,
) -> Result<usize, ActionError> {
    let mut n = 0;
    for side in &req.sides {
        n += usize::from(send_or_log(
            conn,
            actor,
            k,
            *side,
            req.period,
            req.period_start,
            true,
        )?);
    }
    Ok(n)
}

/// An inclusion proof of one check-in in a report this node sent (§10.3): the report's part
/// holding the counterpart's root, the attestation, and the audit path. Checked offline with
/// `tongxin verify --proof`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// The part of the signed `participation.reported` (compact JWS) holding the root.
    pub report: String,
    /// The signed `checkin.attested` (compact JWS) the leaf stands for.
    pub attestation: String,
    /// The counterpart whose root the proof leads to.
    pub counterpart: OrgId,
    pub proof: InclusionProof,
}

/// The proof that check-in `id` of `host` is in our newest report of the period of kind `p`
/// that holds it: as host when `host` is us, as home otherwise.
pub fn proof(
    conn: &mut AnyConnection,
    me: &OrgId,
    host: &OrgId,
    id: Uuid,
    p: ReportPeriod,
) -> Result<ProofFile, ActionError> {
    let c = crate::store::activities::find_checkin(conn, host.as_str(), &id.to_string())?
        .filter(|c| !c.superseded)
        .ok_or_else(|| Invalid::NotFound(format!("check-in {id} of {host}")))?;
    let side = if host == me {
        ParticipationSide::Host
    } else {
        ParticipationSide::Home
    };
    let not_attested = || Invalid::Conflict(format!("check-in {id} is not attested yet"));
    let jws = c.attestation.clone().ok_or_else(not_attested)?;
    let (jti, a) = attestation(&jws).ok_or_else(not_attested)?;
    let (start, end) = period::bounds(p, a.checked_in_at);
    let counterpart: OrgId = match side {
        ParticipationSide::Host => a.member.home().clone(),
        ParticipationSide::Home => host.clone(),
    };
    let id_ = Identity {
        side: side_name(side),
        period: period_name(p),
        period_start: start,
    };
    let sent = rows::last_sent(conn, id_)?.ok_or_else(|| {
        Invalid::Conflict(format!(
            "no {} report of {} was sent yet",
            id_.side,
            period::label(p, start)
        ))
    })?;
    let mut jtis = match side {
        ParticipationSide::Host => hosted(conn, me.as_str(), start, end)?,
        ParticipationSide::Home => credited(conn, start, end)?,
    };
    jtis.retain(|c| c.counterpart == counterpart.as_str());
    let proof = merkle::prove(jti, jtis.iter().map(|c| c.jti))
        .ok_or_else(|| Invalid::Conflict(format!("check-in {id} is not counted in the period")))?;
    let report = sent
        .jws
        .lines()
        .find(|part| {
            report_body(part).is_some_and(|b| b.roots.iter().any(|r| r.counterpart == counterpart))
        })
        .ok_or_else(|| Invalid::Conflict("the report sent names no root for it".into()))?;
    let body = report_body(report).ok_or_else(|| corrupt("sent report"))?;
    let root = body
        .roots
        .iter()
        .find(|r| r.counterpart == counterpart)
        .ok_or_else(|| corrupt("sent report"))?;
    if merkle::verify(&proof, &root.root).is_err() {
        return Err(Invalid::Conflict(format!(
            "the figures changed since the report of {} was sent; it is sent again at the next \
             timer tick, then ask again",
            period::label(p, start)
        ))
        .into());
    }
    Ok(ProofFile {
        report: report.to_owned(),
        attestation: jws,
        counterpart,
        proof,
    })
}

/// The body of a report part we signed.
fn report_body(jws: &str) -> Option<ParticipationReported> {
    held(jws).map(|(_, body)| body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_large_report_is_split_into_parts_that_each_fit_one_message() {
        use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode};
        let mut f = Figures {
            totals: ParticipationTotals::default(),
            rows: Vec::new(),
            suppressed: Vec::new(),
            roots: Vec::new(),
            grids: Vec::new(),
        };
        for i in 0..1500 {
            let counterpart: OrgId = format!("organisation-number-{i:05}").parse().unwrap();
            for category in [ActivityCategory::Culture, ActivityCategory::Study] {
                f.rows.push(ParticipationRow {
                    counterpart: counterpart.clone(),
                    category,
                    mode: Mode::Routine,
                    members: 3,
                    checkins: 4,
                    minutes: 240,
                });
            }
            f.suppressed.push(SuppressedCell {
                counterpart: counterpart.clone(),
                category: ActivityCategory::Other,
                mode: Mode::Emergency,
            });
            f.roots.push(CounterpartRoot {
                counterpart,
                checkins: 9,
                root: "ab".repeat(32),
            });
        }
        let shares = split(&f).unwrap();
        assert!(shares.len() > 1 && shares.len() <= usize::from(MAX_REPORT_PARTS));
        let mut seen = HashSet::new();
        let total = shares.len() as u16;
        for (i, s) in shares.into_iter().enumerate() {
            for r in &s.roots {
                assert!(
                    seen.insert(r.counterpart.clone()),
                    "one counterpart, one part"
                );
                let rows = s
                    .rows
                    .iter()
                    .filter(|x| x.counterpart == r.counterpart)
                    .count();
                let sup = s
                    .suppressed
                    .iter()
                    .filter(|x| x.counterpart == r.counterpart)
                    .count();
                assert_eq!((rows, sup), (2, 1), "its cells with its root");
            }
            let body = ParticipationReported {
                report_id: Uuid::nil(),
                side: ParticipationSide::Home,
                period: ReportPeriod::Day,
                period_start: 1_796_227_200,
                period_end: 1_796_313_600,
                revision: 1,
                part: i as u16 + 1,
                parts: total,
                k: 3,
                totals: f.totals.clone(),
                rows: s.rows,
                suppressed: s.suppressed,
                roots: s.roots,
                grids: s.grids,
            };
            tongxin_schema::v1::bodies::Check::check(&body).unwrap();
            // Well within a message (§4.1: 64 KiB of JWS, the payload base64url-encoded).
            let bytes = serde_json::to_vec(&body).unwrap().len();
            assert!(
                bytes * 4 / 3 + 4_000 < 64 * 1024,
                "part {} is {bytes} bytes",
                i + 1
            );
        }
        assert_eq!(seen.len(), 1500);
    }

    #[test]
    fn a_day_is_due_an_hour_after_it_ends_and_a_month_likewise() {
        // 2026-12-03 00:30 local: 2026-12-02 is not settled yet, 2026-12-01 is.
        let dec3 = 1_796_227_200;
        let due = due_periods(dec3 + 1800);
        assert_eq!(due[0], (ReportPeriod::Day, dec3 - 2 * 86_400));
        assert_eq!(due.len(), (RECHECK_DAYS + RECHECK_MONTHS) as usize);
        // At 01:00 it is.
        let due = due_periods(dec3 + 3600);
        assert_eq!(due[0], (ReportPeriod::Day, dec3 - 86_400));
        // November is due from 2026-12-01 01:00 local on, October before that.
        let dec1 = 1_796_054_400;
        let months = |now| {
            due_periods(now)
                .into_iter()
                .filter(|(p, _)| *p == ReportPeriod::Month)
                .map(|(_, s)| period::label(ReportPeriod::Month, s))
                .collect::<Vec<_>>()
        };
        assert_eq!(months(dec1 + 3599), ["2026-10", "2026-09"]);
        assert_eq!(months(dec1 + 3600), ["2026-11", "2026-10"]);
    }
}
