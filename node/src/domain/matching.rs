//! 精准匹配: ranking candidates (members, sign-ups, offers) for what is wanted (an activity, a
//! need), with the reasons for each score, so that staff can see why someone is proposed.
//!
//! Private by construction: a node ranks only what it holds. A home ranks its own members for
//! an activity another organisation hosts and proposes them by signing them up; the host ranks
//! the sign-ups it received (what the members chose to share); a need's owner ranks the
//! alliance's offers. No node sees another's members.
//!
//! The score is a sum of points, each with its reason:
//!
//! | reason | points |
//! |---|---|
//! | the category wanted (offers for a need) | 30 |
//! | skills: the share of the wanted skills the candidate has | up to 40 |
//! | same grid of the same community / same community / same street | 30 / 20 / 10 |
//! | free at that time (the weekly slots the member gave) | 20 |
//! | fewer service hours in the last 90 days | 10, less 1 per 2 hours |
//!
//! Ties go to fewer recent minutes, then to the order the candidates came in.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use time::{OffsetDateTime, UtcOffset, Weekday};
use tongxin_schema::roster::Roster;
use tongxin_schema::v1::taxonomy::{Skill, WeeklySlot};
use tongxin_schema::{OrgId, OrgKind};
use uuid::Uuid;

use super::status::{ReportStatus, SignupStatus};
use super::{ActionError, Actor, Invalid};
use crate::clock::BEIJING;
use crate::store::activities::{self, ActivityRow, SignupRow};
use crate::store::members::{self, MatchingRow};
use crate::store::needs::{self, NeedRow};
use crate::store::offers;
use crate::store::{AnyConnection, reports};

/// A set of skills, one bit per [`Skill`] in declaration order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skills(u64);

impl Skills {
    pub fn of<'a>(skills: impl IntoIterator<Item = &'a Skill>) -> Skills {
        Skills(
            skills
                .into_iter()
                .map(|s| 1u64 << bit(<Skill as strum::VariantArray>::VARIANTS, s))
                .fold(0, |a, b| a | b),
        )
    }

    /// From a JSON list of skill wire names, as the tables keep them; unknown names are skipped.
    pub fn of_json(json: &str) -> Skills {
        match serde_json::from_str::<Vec<Skill>>(json) {
            Ok(skills) => Skills::of(&skills),
            Err(_) => {
                let names: Vec<String> = serde_json::from_str(json).unwrap_or_default();
                let skills: Vec<Skill> = names.iter().filter_map(|n| n.parse().ok()).collect();
                Skills::of(&skills)
            }
        }
    }

    fn count(self) -> u32 {
        self.0.count_ones()
    }
}

/// A set of weekly slots (周一上午 … 周日晚上), one bit per [`WeeklySlot`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slots(u32);

impl Slots {
    pub fn of<'a>(slots: impl IntoIterator<Item = &'a WeeklySlot>) -> Slots {
        Slots(
            slots
                .into_iter()
                .map(|s| 1u32 << bit(<WeeklySlot as strum::VariantArray>::VARIANTS, s))
                .fold(0, |a, b| a | b),
        )
    }

    pub fn of_json(json: &str) -> Slots {
        match serde_json::from_str::<Vec<WeeklySlot>>(json) {
            Ok(slots) => Slots::of(&slots),
            Err(_) => {
                let names: Vec<String> = serde_json::from_str(json).unwrap_or_default();
                let slots: Vec<WeeklySlot> = names.iter().filter_map(|n| n.parse().ok()).collect();
                Slots::of(&slots)
            }
        }
    }

    /// The slots a time span touches, in local time at `offset` (Beijing for the alliance):
    /// 上午 before 12:00, 下午 until 18:00, 晚上 after. A span of a week or more touches all.
    pub fn during(starts_at: i64, ends_at: i64, offset: UtcOffset) -> Slots {
        const ALL: u32 = (1 << 21) - 1;
        if ends_at - starts_at >= 7 * 86_400 {
            return Slots(ALL);
        }
        let mut bits = 0u32;
        // Step through the span at each part of a day it can start (6-hour steps suffice: no
        // part is shorter than 6 hours), plus its last instant.
        let mut t = starts_at;
        while t < ends_at {
            bits |= Slots::at(t, offset);
            t += 6 * 3600;
        }
        Slots(bits | Slots::at((ends_at - 1).max(starts_at), offset))
    }

    fn at(unix_s: i64, offset: UtcOffset) -> u32 {
        let Ok(t) = OffsetDateTime::from_unix_timestamp(unix_s) else {
            return 0;
        };
        let t = t.to_offset(offset);
        let day = match t.weekday() {
            Weekday::Monday => 0,
            Weekday::Tuesday => 1,
            Weekday::Wednesday => 2,
            Weekday::Thursday => 3,
            Weekday::Friday => 4,
            Weekday::Saturday => 5,
            Weekday::Sunday => 6,
        };
        let part = match t.hour() {
            0..12 => 0,
            12..18 => 1,
            _ => 2,
        };
        1 << (day * 3 + part)
    }
}

fn bit<T: PartialEq>(all: &[T], x: &T) -> u32 {
    all.iter()
        .position(|v| v == x)
        .and_then(|p| u32::try_from(p).ok())
        .unwrap_or(0)
}

/// Where someone or something is: a grid of a community of a street. Grid codes are the
/// community's own, so a grid matches only within the same community.
#[derive(Debug, Clone, Copy, Default)]
pub struct Place<'a> {
    pub street: Option<&'a str>,
    pub community: Option<&'a str>,
    pub grid: Option<&'a str>,
}

/// What is wanted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted<'a> {
    /// The offer category a need asks for (offers only).
    pub category: Option<&'a str>,
    pub skills: Skills,
    pub place: Place<'a>,
    /// When it happens; empty when it has no time (a need).
    pub slots: Slots,
}

/// One member, sign-up or offer to rank.
#[derive(Debug, Clone, Copy, Default)]
pub struct Candidate<'a> {
    pub category: Option<&'a str>,
    pub skills: Skills,
    pub place: Place<'a>,
    /// When they said they are free; empty when they did not say.
    pub free: Slots,
    /// Service minutes credited in the last 90 days; `None` for what serves no hours (offers).
    pub recent_minutes: Option<u32>,
}

/// Why a candidate scored what it did; the UI words each (`match-<reason>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    Category,
    Skills { matched: u32, wanted: u32 },
    SameGrid,
    SameCommunity,
    SameStreet,
    Free,
    RecentMinutes { minutes: u32 },
}

impl Reason {
    /// The reason's i18n key (`match-<name>`).
    pub fn key(&self) -> &'static str {
        match self {
            Reason::Category => "match-category",
            Reason::Skills { .. } => "match-skills",
            Reason::SameGrid => "match-same-grid",
            Reason::SameCommunity => "match-same-community",
            Reason::SameStreet => "match-same-street",
            Reason::Free => "match-free",
            Reason::RecentMinutes { .. } => "match-recent-minutes",
        }
    }
}

/// A ranked candidate: its index in the input, its score and the points behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranked {
    pub index: usize,
    pub score: u32,
    /// Each reason with the points it gave, highest first.
    pub reasons: Vec<(Reason, u32)>,
}

const RECENT_POINTS: u32 = 10;

fn same(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a == b)
}

/// The points of `c` for `w`, each with its reason (only those that gave points, except the
/// skills, which are shown whenever skills are wanted).
fn points(w: &Wanted, c: &Candidate, mut out: impl FnMut(Reason, u32)) {
    if w.category.is_some() && w.category == c.category {
        out(Reason::Category, 30);
    }
    let wanted = w.skills.count();
    if wanted > 0 {
        let matched = Skills(w.skills.0 & c.skills.0).count();
        out(Reason::Skills { matched, wanted }, 40 * matched / wanted);
    }
    let (wp, cp) = (&w.place, &c.place);
    if same(wp.community, cp.community) {
        if same(wp.grid, cp.grid) {
            out(Reason::SameGrid, 30);
        } else {
            out(Reason::SameCommunity, 20);
        }
    } else if same(wp.street, cp.street) {
        out(Reason::SameStreet, 10);
    }
    if w.slots.0 & c.free.0 != 0 {
        out(Reason::Free, 20);
    }
    if let Some(minutes) = c.recent_minutes {
        let fewer = RECENT_POINTS.saturating_sub(minutes / 120);
        if fewer > 0 {
            out(Reason::RecentMinutes { minutes }, fewer);
        }
    }
}

fn score(w: &Wanted, c: &Candidate) -> u32 {
    let mut total = 0;
    points(w, c, |_, p| total += p);
    total
}

/// The best `limit` candidates for `wanted`, best first, with their reasons.
pub fn rank(wanted: &Wanted, candidates: &[Candidate], limit: usize) -> Vec<Ranked> {
    // Sort key: higher score, then fewer recent minutes, then earlier input.
    let mut keyed: Vec<(std::cmp::Reverse<u32>, u32, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let recent = c.recent_minutes.unwrap_or(0);
            (std::cmp::Reverse(score(wanted, c)), recent, i)
        })
        .collect();
    let limit = limit.min(keyed.len());
    if limit == 0 {
        return Vec::new();
    }
    if limit < keyed.len() {
        keyed.select_nth_unstable(limit - 1);
        keyed.truncate(limit);
    }
    keyed.sort_unstable();
    keyed
        .into_iter()
        .map(|(std::cmp::Reverse(score), _, index)| {
            let mut reasons = Vec::new();
            points(wanted, &candidates[index], |r, p| reasons.push((r, p)));
            reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
            Ranked {
                index,
                score,
                reasons,
            }
        })
        .collect()
}

// ---- What each node ranks -------------------------------------------------------------------

/// A reason and the points it gave.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Scored {
    #[serde(flatten)]
    pub reason: Reason,
    pub points: u32,
}

/// One ranked candidate, as staff see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Match {
    /// The member's id (at their home), the sign-up's id (at the host) or the offer's id.
    pub id: String,
    /// The member's name (home), how the member is addressed (host, if they shared it) or the
    /// offer's title.
    pub label: Option<String>,
    /// The sign-up's home or the offer's organisation.
    pub org: Option<String>,
    pub score: u32,
    pub reasons: Vec<Scored>,
}

/// How many candidates a ranking returns.
pub const LIMIT: usize = 50;

/// The street and community an organisation belongs to, from the roster's tree.
fn place_of<'r>(roster: &'r Roster, org: &str) -> Place<'r> {
    let Ok(id) = org.parse::<OrgId>() else {
        return Place::default();
    };
    let Some(o) = roster.org(&id) else {
        return Place::default();
    };
    let parent = o.parent.as_ref().and_then(|p| roster.org(p));
    match (o.kind, parent) {
        (OrgKind::Street, _) => Place {
            street: Some(o.id.as_str()),
            ..Place::default()
        },
        (OrgKind::Community, p) => Place {
            street: p.map(|p| p.id.as_str()),
            community: Some(o.id.as_str()),
            grid: None,
        },
        (_, Some(p)) if p.kind == OrgKind::Community => Place {
            street: p.parent.as_ref().map(|s| s.as_str()),
            community: Some(p.id.as_str()),
            grid: None,
        },
        (_, Some(p)) if p.kind == OrgKind::Street => Place {
            street: Some(p.id.as_str()),
            ..Place::default()
        },
        _ => Place::default(),
    }
}

fn matches(
    ranked: Vec<Ranked>,
    mut row: impl FnMut(usize) -> (String, Option<String>, Option<String>),
) -> Vec<Match> {
    ranked
        .into_iter()
        .map(|r| {
            let (id, label, org) = row(r.index);
            Match {
                id,
                label,
                org,
                score: r.score,
                reasons: r
                    .reasons
                    .into_iter()
                    .map(|(reason, points)| Scored { reason, points })
                    .collect(),
            }
        })
        .collect()
}

const RECENT_S: i64 = 90 * 86_400;

fn minutes(m: i64) -> u32 {
    u32::try_from(m.max(0)).unwrap_or(u32::MAX)
}

/// The activity as an activity wanted at its host's place and time.
fn wanted_for<'a>(roster: &'a Roster, a: &'a ActivityRow) -> Wanted<'a> {
    Wanted {
        category: None,
        skills: Skills::of_json(&a.skills),
        place: Place {
            grid: a.grid.as_deref(),
            ..place_of(roster, &a.host_org)
        },
        slots: Slots::during(a.starts_at, a.ends_at, BEIJING),
    }
}

/// At a member's home: our members ranked for an activity another organisation hosts, or for
/// one of its posts (岗位: then on the post's own skills), leaving out those already signed up
/// for it. The home proposes one by signing them up.
pub fn members_for_activity(
    conn: &mut AnyConnection,
    actor: &Actor,
    host: &OrgId,
    activity_id: Uuid,
    post: Option<Uuid>,
) -> Result<(ActivityRow, Vec<Match>), ActionError> {
    let activity = activities::find_activity(conn, host.as_str(), &activity_id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("activity {activity_id} of {host}")))?;
    let mut wanted = wanted_for(actor.roster, &activity);
    if let Some(post) = post {
        let p = super::activities::posts_of(&activity)
            .into_iter()
            .find(|p| p.post_id == post)
            .ok_or_else(|| {
                Invalid::field(
                    "post_id",
                    format!("「{}」 has no such post", activity.title),
                )
            })?;
        wanted.skills = Skills::of(&p.skills);
    }
    let signed_up: HashSet<String> = activities::signups_for(conn, host.as_str(), &activity.id)?
        .into_iter()
        .filter(|s| s.home_org == actor.org().as_str() && s.status.standing())
        .filter_map(|s| s.member_id)
        .collect();
    let since = actor.now_ms.div_euclid(1000) - RECENT_S;
    let recent = activities::minutes_by_member_since(conn, since)?;
    let members: Vec<MatchingRow> = members::for_matching(conn)?
        .into_iter()
        .filter(|m| !signed_up.contains(&m.0))
        .collect();
    let mut places: HashMap<&str, Place> = HashMap::new();
    let candidates: Vec<Candidate> = members
        .iter()
        .map(|(id, _, residence, grid, skills, free)| Candidate {
            category: None,
            skills: Skills::of_json(skills),
            place: Place {
                grid: grid.as_deref(),
                ..residence
                    .as_deref()
                    .map(|c| *places.entry(c).or_insert_with(|| place_of(actor.roster, c)))
                    .unwrap_or_default()
            },
            free: Slots::of_json(free),
            recent_minutes: Some(minutes(recent.get(id).copied().unwrap_or(0))),
        })
        .collect();
    let ranked = rank(&wanted, &candidates, LIMIT);
    let found = matches(ranked, |i| {
        (members[i].0.clone(), Some(members[i].1.clone()), None)
    });
    Ok((activity, found))
}

/// At the host: the sign-ups waiting for a decision on an activity of ours, ranked on what the
/// members shared (their sign-up, and their 双报到 report here) and the minutes credited here.
pub fn signups_for_activity(
    conn: &mut AnyConnection,
    actor: &Actor,
    activity: &ActivityRow,
) -> Result<Vec<Match>, ActionError> {
    let me = actor.org().as_str();
    let waiting: Vec<SignupRow> = activities::signups_for(conn, me, &activity.id)?
        .into_iter()
        .filter(|s| s.status == SignupStatus::Requested)
        .collect();
    let since = actor.now_ms.div_euclid(1000) - RECENT_S;
    let mut shared = Vec::with_capacity(waiting.len());
    for s in &waiting {
        let report = reports::received_from(conn, me, &s.mref)?
            .into_iter()
            .find(|r| r.status == ReportStatus::Accepted);
        let recent: i64 = activities::checkins_of_mref(conn, me, &s.mref)?
            .iter()
            .filter(|c| c.checked_in_at >= since)
            .filter_map(|c| c.minutes)
            .sum();
        shared.push((report, recent));
    }
    let candidates: Vec<Candidate> = waiting
        .iter()
        .zip(&shared)
        .map(|(s, (report, recent))| Candidate {
            category: None,
            skills: Skills::of_json(&s.skills),
            // Reported here: they live in this community, in the grid they gave.
            place: match report {
                Some(r) => Place {
                    grid: r.grid.as_deref(),
                    ..place_of(actor.roster, me)
                },
                None => Place::default(),
            },
            free: report
                .as_ref()
                .map(|r| Slots::of_json(&r.availability))
                .unwrap_or_default(),
            recent_minutes: Some(minutes(*recent)),
        })
        .collect();
    let ranked = rank(&wanted_for(actor.roster, activity), &candidates, LIMIT);
    Ok(matches(ranked, |i| {
        let s = &waiting[i];
        (
            s.id.clone(),
            s.display_name.clone(),
            Some(s.home_org.clone()),
        )
    }))
}

/// The alliance's open offers ranked for a need: the category it asks for, the skills, and
/// offers for the need's grid or from its community and street.
pub fn offers_for_need(
    conn: &mut AnyConnection,
    actor: &Actor,
    org: &OrgId,
    need_id: Uuid,
) -> Result<(NeedRow, Vec<Match>), ActionError> {
    let need = needs::find(conn, org.as_str(), &need_id.to_string())?
        .ok_or_else(|| Invalid::NotFound(format!("need {need_id} of {org}")))?;
    let now_s = actor.now_ms.div_euclid(1000);
    let open: Vec<offers::MatchingRow> = offers::open_for_matching(conn)?
        .into_iter()
        .filter(|o| o.6.is_none_or(|t| t > now_s))
        .collect();
    let wanted = Wanted {
        category: need.wanted.as_deref(),
        skills: Skills::of_json(&need.skills),
        place: Place {
            grid: need.grid.as_deref(),
            ..place_of(actor.roster, &need.org_id)
        },
        slots: Slots::default(),
    };
    let mut places: HashMap<&str, Place> = HashMap::new();
    let candidates: Vec<Candidate> = open
        .iter()
        .map(|(org, _, _, category, skills, grids, _)| Candidate {
            category: Some(category.as_str()),
            skills: Skills::of_json(skills),
            place: Place {
                // An offer serving the need's grid is in it.
                grid: need.grid.as_deref().filter(|g| {
                    serde_json::from_str::<Vec<String>>(grids)
                        .is_ok_and(|gs| gs.iter().any(|x| x == g))
                }),
                ..*places
                    .entry(org.as_str())
                    .or_insert_with(|| place_of(actor.roster, org))
            },
            free: Slots::default(),
            recent_minutes: None,
        })
        .collect();
    let ranked = rank(&wanted, &candidates, LIMIT);
    let found = matches(ranked, |i| {
        let (org, id, title, ..) = &open[i];
        (id.clone(), Some(title.clone()), Some(org.clone()))
    });
    Ok((need, found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn member<'a>(
        skills: &[Skill],
        community: &'a str,
        grid: &'a str,
        recent: u32,
    ) -> Candidate<'a> {
        Candidate {
            skills: Skills::of(skills),
            place: Place {
                street: Some("street-a"),
                community: Some(community),
                grid: Some(grid),
            },
            recent_minutes: Some(recent),
            ..Candidate::default()
        }
    }

    #[test]
    fn skills_then_place_then_fewer_hours() {
        let wanted = Wanted {
            skills: Skills::of(&[Skill::Legal, Skill::MedicalAid]),
            place: Place {
                street: Some("street-a"),
                community: Some("east"),
                grid: Some("3"),
            },
            ..Wanted::default()
        };
        let cs = [
            member(&[], "east", "3", 0),             // 0 + 30 + 10 = 40
            member(&[Skill::Legal], "west", "3", 0), // 20 + 10 + 10 = 40
            member(&[Skill::Legal, Skill::MedicalAid], "west", "1", 600), // 40 + 10 + 5 = 55
            member(&[Skill::Legal], "east", "2", 0), // 20 + 20 + 10 = 50
            member(&[], "east", "3", 2400),          // 0 + 30 + 0 = 30
        ];
        let ranked = rank(&wanted, &cs, 10);
        let order: Vec<usize> = ranked.iter().map(|r| r.index).collect();
        // 0 and 1 tie at 40 with no recent minutes: the input order decides.
        assert_eq!(order, [2, 3, 0, 1, 4]);
        assert_eq!(ranked[0].score, 55);
        assert_eq!(
            ranked[0].reasons,
            [
                (
                    Reason::Skills {
                        matched: 2,
                        wanted: 2
                    },
                    40
                ),
                (Reason::SameStreet, 10),
                (Reason::RecentMinutes { minutes: 600 }, 5),
            ]
        );
        // A grid code of another community is not the same grid.
        assert!(
            !ranked[3]
                .reasons
                .iter()
                .any(|(r, _)| *r == Reason::SameGrid)
        );
        assert_eq!(rank(&wanted, &cs, 2).len(), 2);
        assert_eq!(rank(&wanted, &cs, 2)[1].index, 3);
        assert!(rank(&wanted, &[], 5).is_empty());
    }

    #[test]
    fn free_at_that_time_counts_and_categories_for_offers() {
        // Saturday 2026-12-05 09:00-11:00 Beijing: 周六上午.
        let sat = Slots::during(
            datetime!(2026-12-05 09:00 +8).unix_timestamp(),
            datetime!(2026-12-05 11:00 +8).unix_timestamp(),
            BEIJING,
        );
        assert_eq!(sat, Slots::of(&[WeeklySlot::SatAm]));
        // Friday 17:00 to 19:00 touches the afternoon and the evening.
        assert_eq!(
            Slots::during(
                datetime!(2026-12-04 17:00 +8).unix_timestamp(),
                datetime!(2026-12-04 19:00 +8).unix_timestamp(),
                BEIJING,
            ),
            Slots::of(&[WeeklySlot::FriPm, WeeklySlot::FriEve])
        );
        let wanted = Wanted {
            category: Some("venue"),
            slots: sat,
            ..Wanted::default()
        };
        let free = Candidate {
            free: Slots::of(&[WeeklySlot::SatAm, WeeklySlot::SunAm]),
            recent_minutes: Some(1200),
            ..Candidate::default()
        };
        let venue = Candidate {
            category: Some("venue"),
            recent_minutes: None,
            ..Candidate::default()
        };
        let ranked = rank(&wanted, &[free, venue], 5);
        assert_eq!(ranked[0].index, 1);
        assert_eq!(ranked[0].reasons, [(Reason::Category, 30)]);
        assert_eq!(ranked[1].reasons, [(Reason::Free, 20)]);
    }

    #[test]
    fn skills_from_json_ignore_unknown_names() {
        assert_eq!(
            Skills::of_json(r#"["legal","no-such-skill"]"#),
            Skills::of(&[Skill::Legal])
        );
        assert_eq!(Skills::of_json("not json"), Skills::default());
    }
}
