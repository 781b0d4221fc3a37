//! Activities and service posts (活动, 岗位): a community, street, 楼e家 alliance or
//! new-employment branch publishes one (`activity.published`, to every node, so that members
//! browse them at home) and may cancel it (`activity.cancelled`). The host keeps a secret for
//! the activity's rotating check-in QR codes (`checkins`).

use serde::Deserialize;
use tongxin_schema::envelope::Audience;
use tongxin_schema::v1::bodies::{ActivityCancelled, ActivityPublished, GridCode, Post};
use tongxin_schema::v1::taxonomy::{ActivityCategory, Mode, Skill};
use tongxin_schema::v1::text::{Description, Note, Text, Title};
use uuid::Uuid;

use super::status::ActivityStatus;
use super::{ActionError, Actor, Invalid, Outcome, Receive, Refusal, Sender, checked, json_list};
use crate::store::activities::{self as rows, ActivityRow};
use crate::store::{AnyConnection, StoreResult, outbox};

/// An activity to publish.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ActivityInput")]
pub struct NewActivity {
    pub category: ActivityCategory,
    pub title: Title,
    #[serde(default)]
    pub description: Description,
    pub place: Text<1, 200>,
    /// One of this organisation's grids.
    pub grid: Option<GridCode>,
    /// Unix seconds.
    pub starts_at: i64,
    pub ends_at: i64,
    /// How many members are placed at most.
    pub capacity: u32,
    /// Skills wanted.
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// Routine (平时) unless said otherwise.
    pub mode: Option<Mode>,
    /// Service posts (岗位), each held by a primary (A) and a backup (B) member; at most 50.
    #[serde(default)]
    pub posts: Vec<NewPost>,
}

/// A post within an activity (e.g. a station's duty: 驿站值守).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PostInput")]
pub struct NewPost {
    pub title: Title,
    #[serde(default)]
    pub skills: Vec<Skill>,
}

/// Why an activity is cancelled.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CancelActivityInput")]
pub struct Cancellation {
    pub reason: Option<Note>,
}

fn row(host: &str, a: &ActivityPublished, qr_secret: Option<String>, at_ms: i64) -> ActivityRow {
    ActivityRow {
        host_org: host.to_owned(),
        id: a.activity_id.to_string(),
        category: <&str>::from(a.category).to_owned(),
        title: a.title.to_string(),
        description: a.description.to_string(),
        place: a.place.to_string(),
        grid: a.grid.as_ref().map(|g| g.to_string()),
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        capacity: i64::from(a.capacity),
        skills: json_list(&a.skills),
        mode: <&str>::from(a.mode).to_owned(),
        status: ActivityStatus::Open,
        note: None,
        qr_secret,
        published_ms: at_ms,
        updated_ms: at_ms,
        posts: serde_json::to_string(&a.posts).unwrap_or_else(|_| "[]".into()),
    }
}

/// An activity's posts (岗位), as its row keeps them.
pub fn posts_of(a: &ActivityRow) -> Vec<Post> {
    serde_json::from_str(&a.posts).unwrap_or_default()
}

/// Publishes an activity of ours to the alliance.
pub fn publish(
    conn: &mut AnyConnection,
    actor: &Actor,
    i: NewActivity,
) -> Result<ActivityRow, ActionError> {
    if let Some(g) = &i.grid {
        let ours = actor
            .roster
            .org(actor.org())
            .is_some_and(|o| o.grids.iter().any(|x| x == g));
        if !ours {
            return Err(Invalid::field(
                "grid",
                format!("{g} is not one of this organisation's grids on the roster"),
            )
            .into());
        }
    }
    if i.ends_at <= actor.now_ms.div_euclid(1000) {
        return Err(Invalid::field("ends_at", "the activity is over already").into());
    }
    let body = checked(ActivityPublished {
        activity_id: Uuid::now_v7(),
        category: i.category,
        title: i.title,
        description: i.description,
        place: i.place,
        grid: i.grid,
        starts_at: i.starts_at,
        ends_at: i.ends_at,
        capacity: i.capacity,
        skills: i.skills,
        mode: i.mode.unwrap_or(Mode::Routine),
        posts: i
            .posts
            .into_iter()
            .map(|p| Post {
                post_id: Uuid::now_v7(),
                title: p.title,
                skills: p.skills,
            })
            .collect(),
    })?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let r = row(actor.org().as_str(), &body, Some(secret), actor.now_ms);
    rows::upsert_activity(conn, &r)?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
    Ok(r)
}

/// One of our activities.
pub fn ours(conn: &mut AnyConnection, actor: &Actor, id: Uuid) -> Result<ActivityRow, ActionError> {
    Ok(
        rows::find_activity(conn, actor.org().as_str(), &id.to_string())?
            .ok_or_else(|| Invalid::NotFound(format!("activity {id}")))?,
    )
}

/// Cancels one of our activities; every node is told. Its sign-ups end with it (each home
/// does the same for its own when it learns of the cancellation), and whoever is checked in is
/// checked out now, flagged, credited up to now.
pub fn cancel(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    c: Cancellation,
) -> Result<ActivityRow, ActionError> {
    let mut a = ours(conn, actor, id)?;
    if a.status == ActivityStatus::Cancelled {
        return Err(Invalid::Conflict(format!("activity {id} is already cancelled")).into());
    }
    let body = checked(ActivityCancelled {
        activity_id: id,
        reason: c.reason,
    })?;
    a.status = ActivityStatus::Cancelled;
    a.note = body.reason.as_ref().map(|r| r.to_string());
    a.updated_ms = actor.now_ms;
    rows::cancel_activity(conn, &a.host_org, &a.id, a.note.as_deref(), actor.now_ms)?;
    super::checkins::close_open_now(conn, actor, &a)?;
    rows::cancel_signups_for(conn, &a.host_org, &a.id, a.note.as_deref(), actor.now_ms)?;
    outbox::enqueue(conn, actor.signer, actor.now_ms, Audience::All, body)?;
    Ok(a)
}

impl Receive for ActivityPublished {
    /// Everywhere: the activity, or its new version (cancelled ones stay cancelled).
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let id = self.activity_id.to_string();
        if rows::find_activity(conn, from.org.as_str(), &id)?
            .is_some_and(|a| a.status == ActivityStatus::Cancelled)
        {
            return Ok(Refusal::new(
                "activity_closed",
                format!("activity {id} of {} was cancelled", from.org),
            )
            .into());
        }
        rows::upsert_activity(conn, &row(from.org.as_str(), self, None, from.at_ms))?;
        Ok(Outcome::Applied)
    }
}

impl Receive for ActivityCancelled {
    fn receive(&self, conn: &mut AnyConnection, from: &Sender<'_>) -> StoreResult<Outcome> {
        let id = self.activity_id.to_string();
        if rows::find_activity(conn, from.org.as_str(), &id)?.is_none() {
            return Ok(Refusal::new(
                "unknown_activity",
                format!("{} has no activity {id}", from.org),
            )
            .into());
        }
        let reason = self.reason.as_ref().map(|r| r.as_str());
        rows::cancel_activity(conn, from.org.as_str(), &id, reason, from.at_ms)?;
        // At a home: our members' sign-ups for it end too (the host ended its side).
        rows::cancel_signups_for(conn, from.org.as_str(), &id, reason, from.at_ms)?;
        Ok(Outcome::Applied)
    }
}
