//! Check-in and the service record (签到, 服务记录). At the host: a placed member checks in by
//! scanning the activity's QR code (its code changes every minute, so a photo of it sent
//! around checks nobody in later) and signing in with their home, or staff tick them in from
//! the list; at check-out the host attests the service to the member's home
//! (`checkin.attested`). A check-in left open is closed at the activity's end, flagged, and
//! never credited beyond it. At the home: each attestation is credited to the member's record;
//! a correction is a new signed entry that supersedes the one it names; nothing is deleted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tongxin_schema::certificate::{CertificateClaims, HostMinutes, MAX_CERTIFICATE_HOSTS};
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::CheckinAttested;
use tongxin_schema::v1::text::Text;
use tongxin_schema::{MemberRef, OrgId};
use uuid::Uuid;

use super::status::ActivityStatus;
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked};
use crate::store::activities::{self as rows, ActivityRow, CheckinRow};
use crate::store::{AnyConnection, StoreError, StoreResult, outbox};

/// A check-in code lives for the minute it was shown and the next.
pub const CODE_WINDOW_SECS: i64 = 60;

/// Members may check in this long before the activity starts (time before the start is not
/// credited).
pub const EARLY_SECS: i64 = 30 * 60;

/// The check-in code of `activity` for the window holding `now_s`: 12 base64url characters of
/// HMAC-SHA-256(the activity's secret, activity id ‖ window number).
pub fn code(activity: &ActivityRow, now_s: i64) -> Option<String> {
    code_for(activity, now_s.div_euclid(CODE_WINDOW_SECS))
}

fn code_for(activity: &ActivityRow, window: i64) -> Option<String> {
    let secret = hex::decode(activity.qr_secret.as_deref()?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).ok()?;
    mac.update(activity.id.as_bytes());
    mac.update(&window.to_be_bytes());
    let tag = mac.finalize().into_bytes();
    Some(URL_SAFE_NO_PAD.encode(&tag[..9]))
}

/// Whether `given` is the activity's code of this window or the previous one.
fn code_valid(activity: &ActivityRow, given: &str, now_s: i64) -> bool {
    let w = now_s.div_euclid(CODE_WINDOW_SECS);
    [w, w - 1].into_iter().any(|w| {
        code_for(activity, w).is_some_and(|c| {
            // Lengths first: memcmp::eq panics on unequal lengths.
            c.len() == given.len() && openssl::memcmp::eq(c.as_bytes(), given.as_bytes())
        })
    })
}

/// How a check-in at the host is asked for.
pub enum Proof<'a> {
    /// The member scanned the QR code: its code.
    Code(&'a str),
    /// Staff ticked the member in from the list.
    Staff,
}

/// Minutes credited for a stay from `in_s` to `out_s` at an activity: only within the
/// activity's time, whole minutes, at most a day.
fn credited_minutes(a: &ActivityRow, in_s: i64, out_s: i64) -> i64 {
    let from = in_s.max(a.starts_at);
    let to = out_s.min(a.ends_at);
    ((to - from).max(0) / 60).min(1440)
}

fn ours(conn: &mut AnyConnection, actor: &Actor, id: Uuid) -> Result<ActivityRow, ActionError> {
    Ok(
        rows::find_activity(conn, actor.org().as_str(), &id.to_string())?
            .ok_or_else(|| Invalid::NotFound(format!("activity {id}")))?,
    )
}

/// At the host: checks in the member known here as `mref` for one of our activities.
pub fn check_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    activity_id: Uuid,
    mref: &MemberRef,
    proof: Proof<'_>,
) -> Result<CheckinRow, ActionError> {
    let now = actor.now_ms.div_euclid(1000);
    close_forgotten(conn, actor)?;
    let a = ours(conn, actor, activity_id)?;
    if a.status == ActivityStatus::Cancelled {
        return Err(Invalid::Conflict(format!("「{}」 was cancelled", a.title)).into());
    }
    if let Proof::Code(c) = proof
        && !code_valid(&a, c, now)
    {
        return Err(Invalid::field(
            "code",
            "this check-in code has expired: scan the code shown at the activity now",
        )
        .into());
    }
    if now < a.starts_at.saturating_sub(EARLY_SECS) || now >= a.ends_at {
        return Err(Invalid::Conflict(format!(
            "check-in for 「{}」 is open from 30 minutes before it starts until it ends",
            a.title
        ))
        .into());
    }
    let m = mref.to_string();
    if rows::standing_signup(conn, &a.host_org, &a.id, &m)?
        .is_none_or(|s| !s.status.holds_a_place())
    {
        return Err(Invalid::Forbidden(format!(
            "you have no place at 「{}」: sign up at home first and wait to be placed",
            a.title
        ))
        .into());
    }
    let mine = rows::checkins_of_mref(conn, &a.host_org, &m)?;
    if let Some(c) = mine
        .iter()
        .find(|c| c.activity_id.as_deref() == Some(&a.id))
    {
        return Err(Invalid::Conflict(match c.checked_out_at {
            None => format!("you are checked in at 「{}」 already", a.title),
            Some(_) => format!("you checked in and out of 「{}」 already", a.title),
        })
        .into());
    }
    if mine.iter().any(|c| c.checked_out_at.is_none()) {
        return Err(Invalid::Conflict(
            "you are still checked in at another activity here: check out there first".into(),
        )
        .into());
    }
    let row = CheckinRow {
        host_org: a.host_org.clone(),
        id: Uuid::now_v7().to_string(),
        activity_id: Some(a.id.clone()),
        mref: m,
        member_id: None,
        category: a.category.clone(),
        mode: a.mode.clone(),
        checked_in_at: now,
        checked_out_at: None,
        minutes: None,
        closed_by_host: false,
        corrects: None,
        superseded: false,
        attestation: None,
        created_ms: actor.now_ms,
    };
    rows::insert_checkin(conn, &row)?;
    Ok(row)
}

/// At the host: staff tick the member of one sign-up in (`present`) or out of one of our
/// activities (for members without a phone).
pub fn attend(
    conn: &mut AnyConnection,
    actor: &Actor,
    activity_id: Uuid,
    home: &OrgId,
    signup_id: Uuid,
    present: bool,
) -> Result<CheckinRow, ActionError> {
    let s = rows::find_signup(conn, home.as_str(), &signup_id.to_string())?
        .filter(|s| s.host_org == actor.org().as_str() && s.activity_id == activity_id.to_string())
        .ok_or_else(|| Invalid::NotFound(format!("sign-up {signup_id}")))?;
    let mref: MemberRef = s
        .mref
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("sign-up {}: {e}", s.id)))?;
    if present {
        check_in(conn, actor, activity_id, &mref, Proof::Staff)
    } else {
        check_out(conn, actor, activity_id, &mref)
    }
}

/// At the host: checks the member out of the activity and attests the service to their home.
pub fn check_out(
    conn: &mut AnyConnection,
    actor: &Actor,
    activity_id: Uuid,
    mref: &MemberRef,
) -> Result<CheckinRow, ActionError> {
    close_forgotten(conn, actor)?;
    let a = ours(conn, actor, activity_id)?;
    let open = rows::checkins_of_mref(conn, &a.host_org, &mref.to_string())?
        .into_iter()
        .find(|c| c.activity_id.as_deref() == Some(&a.id) && c.checked_out_at.is_none())
        .ok_or_else(|| Invalid::Conflict(format!("you are not checked in at 「{}」", a.title)))?;
    let now = actor.now_ms.div_euclid(1000);
    close(conn, actor, &a, open, now.min(a.ends_at), false)
}

/// Closes a check-in at `out_s` and sends the attestation home.
fn close(
    conn: &mut AnyConnection,
    actor: &Actor,
    a: &ActivityRow,
    mut c: CheckinRow,
    out_s: i64,
    by_host: bool,
) -> Result<CheckinRow, ActionError> {
    let out_s = out_s.max(c.checked_in_at);
    let minutes = credited_minutes(a, c.checked_in_at, out_s);
    let member: MemberRef = c
        .mref
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("check-in {}: {e}", c.id)))?;
    let home: OrgId = member.home().clone();
    let body = checked(CheckinAttested {
        checkin_id: c
            .id
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("check-in {}: {e}", c.id)))?,
        member,
        activity_id: a.id.parse().ok(),
        category: a
            .category
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("activity {}: category", a.id)))?,
        // What is credited starts at the activity's start at the earliest (an early arrival
        // must not overlap the member's previous activity at the home).
        checked_in_at: c.checked_in_at.max(a.starts_at).min(out_s),
        checked_out_at: out_s,
        minutes: u32::try_from(minutes).unwrap_or(0),
        mode: a
            .mode
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("activity {}: mode", a.id)))?,
        corrects: None,
        closed_by_host: by_host,
    })?;
    let (_, jws) = outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::Org(home), body)?;
    c.checked_out_at = Some(out_s);
    c.minutes = Some(minutes);
    c.closed_by_host = by_host;
    c.attestation = Some(jws);
    rows::update_checkin(conn, &c)?;
    Ok(c)
}

/// At the host: checks out now, flagged, whoever is still checked in at `a` (it was
/// cancelled, or their place was).
pub fn close_open_now(
    conn: &mut AnyConnection,
    actor: &Actor,
    a: &ActivityRow,
) -> Result<usize, ActionError> {
    close_open(conn, actor, a, None)
}

/// Closes the open check-ins at `a` (of the member `mref` only, if given) at now, or at the
/// activity's end if that came first.
fn close_open(
    conn: &mut AnyConnection,
    actor: &Actor,
    a: &ActivityRow,
    mref: Option<&str>,
) -> Result<usize, ActionError> {
    let now = actor.now_ms.div_euclid(1000);
    let mut n = 0;
    for c in rows::checkins_for(conn, &a.host_org, &a.id)? {
        if c.checked_out_at.is_none() && mref.is_none_or(|m| m == c.mref) {
            close(conn, actor, a, c, now.min(a.ends_at), true)?;
            n += 1;
        }
    }
    Ok(n)
}

/// At the host: the member's place at `a` was cancelled; if they are checked in, check them out.
pub fn close_for_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    a: &ActivityRow,
    mref: &str,
) -> Result<usize, ActionError> {
    close_open(conn, actor, a, Some(mref))
}

/// At the host: closes the check-ins of activities that are over (the member forgot to check
/// out) at the activity's end, flagged as closed by the host. Returns how many.
pub fn close_forgotten(conn: &mut AnyConnection, actor: &Actor) -> Result<usize, ActionError> {
    let now = actor.now_ms.div_euclid(1000);
    let mut n = 0;
    for c in rows::open_checkins(conn, actor.org().as_str())? {
        let Some(a) = c
            .activity_id
            .as_deref()
            .map(|id| rows::find_activity(conn, &c.host_org, id))
            .transpose()?
            .flatten()
        else {
            continue;
        };
        if a.ends_at <= now {
            let end = a.ends_at;
            close(conn, actor, &a, c, end, true)?;
            n += 1;
        }
    }
    Ok(n)
}

/// At the home: the entry now credited for the check-in `id` of `host` and its corrections
/// (the newest of the family), if the home knows `id`.
fn current_of(conn: &mut AnyConnection, host: &str, id: &str) -> StoreResult<Option<CheckinRow>> {
    let Some(mut c) = rows::find_checkin(conn, host, id)? else {
        return Ok(None);
    };
    // Each entry is replaced at most once (a correction records the entry it replaced), so
    // the family is a line from the first check-in to the one credited now.
    while c.superseded {
        match rows::correction_of(conn, host, &c.id)? {
            Some(next) => c = next,
            None => break,
        }
    }
    Ok(Some(c))
}

impl Receive for CheckinAttested {
    /// At the home: the host vouches that our member served; credit it to their record.
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        if let Err(r) = super::home_is(&self.member, from.me) {
            return Ok(r.into());
        }
        let (host, id, mref) = (
            from.org.as_str(),
            self.checkin_id.to_string(),
            self.member.to_string(),
        );
        if rows::find_checkin(conn, host, &id)?.is_some() {
            return Ok(Refusal::new(
                "duplicate_checkin",
                format!("check-in {id} of {host} is credited already"),
            )
            .into());
        }
        // The sender must host the activity it attests (activities are keyed by their host).
        if let Some(activity) = self.activity_id {
            let Some(a) = rows::find_activity(conn, host, &activity.to_string())? else {
                return Ok(Refusal::new(
                    "unknown_activity",
                    format!("{host} hosts no activity {activity}"),
                )
                .into());
            };
            // A check-in the host closed for a member who did not check out ends by the
            // activity's end (PROTOCOL.md §6.2).
            if self.closed_by_host && self.checked_out_at > a.ends_at {
                return Ok(Refusal::new(
                    "after_the_end",
                    format!(
                        "closed by the host at {} but the activity ended at {}",
                        self.checked_out_at, a.ends_at
                    ),
                )
                .into());
            }
        }
        let Some(member_id) = rows::member_of_mref(conn, host, &mref)? else {
            return Ok(Refusal::new(
                "unknown_member",
                format!("{host} names a member this node never sent there"),
            )
            .into());
        };
        let corrected = match self.corrects {
            None => None,
            Some(old) => match current_of(conn, host, &old.to_string())? {
                Some(o) if o.mref == mref => Some(o),
                _ => {
                    return Ok(Refusal::new(
                        "unknown_checkin",
                        format!("the correction names check-in {old}, which {host} did not attest for this member"),
                    )
                    .into());
                }
            },
        };
        let overlaps = rows::record_of(conn, &member_id)?.into_iter().any(|c| {
            !c.superseded
                && corrected
                    .as_ref()
                    .is_none_or(|o| o.id != c.id || o.host_org != c.host_org)
                && c.checked_out_at.is_some_and(|out| {
                    c.checked_in_at < self.checked_out_at && self.checked_in_at < out
                })
        });
        if overlaps {
            return Ok(Refusal::new(
                "overlapping_checkin",
                format!("check-in {id} overlaps time already credited to this member"),
            )
            .into());
        }
        if let Some(o) = &corrected {
            rows::supersede(conn, &o.host_org, &o.id)?;
        }
        rows::insert_checkin(
            conn,
            &CheckinRow {
                host_org: host.to_owned(),
                id,
                activity_id: self.activity_id.map(|a| a.to_string()),
                mref,
                member_id: Some(member_id),
                category: <&str>::from(self.category).to_owned(),
                mode: <&str>::from(self.mode).to_owned(),
                checked_in_at: self.checked_in_at,
                checked_out_at: Some(self.checked_out_at),
                minutes: Some(i64::from(self.minutes)),
                closed_by_host: self.closed_by_host,
                // The entry this one replaced: the newest of the family, so that the chain of
                // corrections stays a line even when two name the same first check-in.
                corrects: corrected.as_ref().map(|o| o.id.clone()),
                superseded: false,
                attestation: Some(from.jws.to_owned()),
                created_ms: from.at_ms,
            },
        )?;
        if self.activity_id.is_none() {
            // Service outside an activity: the community's approval of one we logged.
            super::services::approved_by_attestation(conn, from.me, from.org, self, from.at_ms)?;
        }
        Ok(Outcome::Applied)
    }
}

/// Every member's credited service as CSV for the home's spreadsheets (the 积分 sheet, the
/// national volunteer system): one row per credited entry (corrections replace what they
/// correct), Beijing times, a UTF-8 BOM for Excel, cells that a spreadsheet would run as a
/// formula escaped.
pub fn export_record(
    roster: &tongxin_schema::roster::Roster,
    members: &[crate::store::members::MemberRow],
    entries: &[CheckinRow],
) -> String {
    use crate::i18n::{self, Lang};
    let beijing = |s: Option<i64>| -> String {
        s.and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .and_then(|t| {
                t.to_offset(crate::clock::BEIJING)
                    .format(time::macros::format_description!(
                        "[year]-[month]-[day] [hour]:[minute]"
                    ))
                    .ok()
            })
            .unwrap_or_default()
    };
    let by_id: std::collections::HashMap<&str, &crate::store::members::MemberRow> =
        members.iter().map(|m| (m.id.as_str(), m)).collect();
    let org_name = |id: &str| -> String {
        roster
            .orgs()
            .iter()
            .find(|o| o.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |o| o.name.to_string())
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "姓名",
        "手机",
        "部门",
        "主办方",
        "活动类型",
        "签到",
        "签退",
        "服务时长（分钟）",
        "未签退由主办方关闭",
    ];
    let _ = w.write_record(header);
    for c in entries.iter().filter(|c| !c.superseded) {
        let Some(m) = c.member_id.as_deref().and_then(|id| by_id.get(id)) else {
            continue;
        };
        let row = [
            m.name.clone(),
            m.phone.clone(),
            m.department.clone().unwrap_or_default(),
            org_name(&c.host_org),
            i18n::message(Lang::ZhCn, &format!("activity-{}", c.category)).into_owned(),
            beijing(Some(c.checked_in_at)),
            beijing(c.checked_out_at),
            c.minutes.unwrap_or(0).to_string(),
            if c.closed_by_host { "是" } else { "否" }.to_owned(),
        ];
        // Writing to a Vec cannot fail.
        let _ = w.write_record(row.into_iter().map(super::members::spreadsheet_safe));
    }
    let body = w.into_inner().unwrap_or_default();
    format!("\u{FEFF}{}", String::from_utf8_lossy(&body))
}

/// A service certificate (服务时长证明, PROTOCOL.md §4.9) for one of our members: the minutes
/// credited for check-ins in `year` (Beijing time; so far, when it is this year) or, without a
/// year, since their first entry; signed now by this node. Nothing is stored: each one is
/// signed afresh from the record, which is never rewritten.
pub fn certificate(
    conn: &mut AnyConnection,
    actor: &Actor,
    member_id: Uuid,
    year: Option<i32>,
) -> Result<(CertificateClaims, String), ActionError> {
    use crate::clock::BEIJING;
    let m = crate::store::members::find(conn, &member_id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("member {member_id}")))?;
    let now_s = actor.now_ms.div_euclid(1000);
    let entries: Vec<CheckinRow> = rows::record_of(conn, &m.id)?
        .into_iter()
        .filter(|c| !c.superseded)
        .collect();
    let new_year = |y: i32| {
        time::Date::from_calendar_date(y, time::Month::January, 1)
            .map(|d| d.midnight().assume_offset(BEIJING).unix_timestamp())
            .map_err(|_| Invalid::field("year", "must be a year, e.g. 2026"))
    };
    let (from, to) = match year {
        Some(y) => (new_year(y)?, new_year(y + 1)?.min(now_s)),
        None => (
            entries
                .iter()
                .map(|c| c.checked_in_at)
                .chain([m.created_ms.div_euclid(1000)])
                .min()
                .unwrap_or(now_s)
                .min(now_s - 1),
            now_s,
        ),
    };
    if from >= to {
        return Err(Invalid::field("year", "has not begun").into());
    }
    let counted: Vec<&CheckinRow> = entries
        .iter()
        .filter(|c| (from..to).contains(&c.checked_in_at))
        .collect();
    let mut by_host: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for c in &counted {
        *by_host.entry(c.host_org.as_str()).or_default() +=
            u64::try_from(c.minutes.unwrap_or(0)).unwrap_or(0);
    }
    let mut hosts: Vec<HostMinutes> = by_host
        .into_iter()
        .filter_map(|(org, minutes)| {
            Some(HostMinutes {
                org: org.parse().ok()?,
                minutes,
            })
        })
        .collect();
    hosts.sort_by(|a, b| b.minutes.cmp(&a.minutes).then_with(|| a.org.cmp(&b.org)));
    hosts.truncate(MAX_CERTIFICATE_HOSTS);
    let claims = CertificateClaims {
        iss: actor.org().clone(),
        jti: Uuid::now_v7(),
        iat: now_s,
        name: Text::try_from(m.name.clone()).map_err(|e| Invalid::field("name", e.to_string()))?,
        from,
        to,
        minutes: counted
            .iter()
            .map(|c| u64::try_from(c.minutes.unwrap_or(0)).unwrap_or(0))
            .sum(),
        entries: u64::try_from(counted.len()).unwrap_or(u64::MAX),
        hosts,
    };
    let jws = actor
        .signer
        .sign_certificate(&claims)
        .map_err(|e| Invalid::Conflict(e.to_string()))?;
    Ok((claims, jws))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::domain::status::ActivityStatus;

    fn activity() -> ActivityRow {
        ActivityRow {
            host_org: "host-1".into(),
            id: "0192f1a4-0000-7000-8000-000000000001".into(),
            category: "culture".into(),
            title: "诗歌朗诵".into(),
            description: String::new(),
            place: "社区活动室".into(),
            grid: None,
            starts_at: 1_000_000,
            ends_at: 1_000_000 + 7200,
            capacity: 10,
            skills: "[]".into(),
            mode: "routine".into(),
            status: ActivityStatus::Open,
            note: None,
            qr_secret: Some("00".repeat(32)),
            published_ms: 0,
            updated_ms: 0,
            posts: "[]".into(),
        }
    }

    #[test]
    fn a_code_lasts_its_minute_and_the_next_only() {
        let a = activity();
        let t = 1_000_020;
        let c = code(&a, t).unwrap();
        assert_eq!(c.len(), 12);
        assert!(code_valid(&a, &c, t));
        assert!(code_valid(&a, &c, t + 60), "still good in the next minute");
        assert!(
            !code_valid(&a, &c, t + 120),
            "a photo of it is stale after that"
        );
        assert!(!code_valid(&a, &c, t - 60), "not before it was shown");
        let mut other = a.clone();
        other.id = "0192f1a4-0000-7000-8000-000000000002".into();
        assert!(
            !code_valid(&other, &c, t),
            "one activity's code is not another's"
        );
        assert!(!code_valid(&a, "", t));
    }

    #[test]
    fn only_time_within_the_activity_is_credited() {
        let a = activity();
        assert_eq!(
            credited_minutes(&a, a.starts_at - 900, a.starts_at + 3600),
            60
        );
        assert_eq!(credited_minutes(&a, a.starts_at + 59, a.starts_at + 120), 1);
        assert_eq!(credited_minutes(&a, a.starts_at, a.ends_at + 3600), 120);
        assert_eq!(credited_minutes(&a, a.ends_at + 10, a.ends_at + 20), 0);
    }
}
