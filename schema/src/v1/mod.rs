//! Protocol version 1: the message kinds, their bodies, and who may send them
//! (PROTOCOL.md §5–§7).

pub mod bodies;
pub mod taxonomy;
pub mod text;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::ids::OrgKind;

/// How a kind travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// To the whole alliance: `aud` is `*`, routing key `all.<kind>`, stream `all`.
    Broadcast,
    /// To one organisation of one of these kinds: `aud` is its org id, routing key
    /// `org.<aud>.<kind>`, stream `org.<aud>`.
    Direct(&'static [OrgKind]),
}

/// The rights of one kind: who may send it, where it goes, whether it is sequenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub senders: &'static [OrgKind],
    pub route: Route,
    /// Control kinds (`node.hello`, `sync.requested`, `recovery.*`) are idempotent, carry stream `control`
    /// and `seq` 0, and are never held back behind a gap (that could deadlock two nodes that
    /// each wait for the other's re-send).
    pub control: bool,
}

use OrgKind::*;
const ANY: &[OrgKind] = &OrgKind::ALL;
/// Organisations that produce the numbers the organisation department audits.
const PRODUCERS: &[OrgKind] = &[
    Street,
    Community,
    BuildingAlliance,
    NewEmployment,
    CoBuildingUnit,
];
const AUTHORITY: &[OrgKind] = &[OrgDepartment];
const MOBILISERS: &[OrgKind] = &[Street, Community, OrgDepartment];
/// Organisations that sign co-building agreements (单位报到, 共建协议) with a community.
const CO_BUILDERS: &[OrgKind] = &[CoBuildingUnit, BuildingAlliance, NewEmployment];

macro_rules! kinds {
    ($( $(#[$doc:meta])* $name:literal => $variant:ident { senders: $senders:expr, route: $route:expr, control: $control:expr } )*) => {
        /// A v1 message kind, as named in the `kind` claim.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind { $( $(#[$doc])* $variant ),* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant ),* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $name ),* }
            }

            pub fn rule(self) -> Rule {
                match self { $( Kind::$variant => Rule { senders: $senders, route: $route, control: $control } ),* }
            }
        }

        impl FromStr for Kind {
            type Err = ();
            fn from_str(s: &str) -> Result<Kind, ()> {
                match s { $( $name => Ok(Kind::$variant), )* _ => Err(()) }
            }
        }

        /// A typed message body; serialises as the bare body object.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Body { $( $variant(bodies::$variant) ),* }

        impl Body {
            pub fn kind(&self) -> Kind {
                match self { $( Body::$variant(_) => Kind::$variant ),* }
            }

            /// Parses and checks the JSON of a body of kind `kind`: it must be a JSON object
            /// (not an array of the fields), match the kind's type, and pass [`Body::check`].
            /// The error names the offending field where there is one.
            pub fn parse(kind: Kind, json: &str) -> Result<Body, String> {
                if !crate::objects::is_object(json.as_bytes()) {
                    return Err("the body is not a JSON object".into());
                }
                let body = match kind {
                    $( Kind::$variant => serde_json::from_str(json).map(Body::$variant) ),*
                }
                .map_err(|e| e.to_string())?;
                body.check()?;
                Ok(body)
            }

            /// The limits of §6.2 that the types do not enforce (list lengths, ranges, the order
            /// of times); see [`bodies::Check`].
            pub fn check(&self) -> Result<(), String> {
                match self { $( Body::$variant(b) => bodies::Check::check(b) ),* }
            }
        }

        $( impl From<bodies::$variant> for Body {
            fn from(b: bodies::$variant) -> Body { Body::$variant(b) }
        } )*

        /// The JSON Schema of every kind's body, by kind name.
        pub fn body_schemas() -> Vec<(&'static str, schemars::Schema)> {
            vec![ $( ($name, schemars::schema_for!(bodies::$variant)) ),* ]
        }
    };
}

kinds! {
    "roster.published" => RosterPublished { senders: AUTHORITY, route: Route::Broadcast, control: false }
    "revocation.published" => RevocationPublished { senders: AUTHORITY, route: Route::Broadcast, control: false }
    "node.hello" => NodeHello { senders: ANY, route: Route::Broadcast, control: true }
    "sync.requested" => SyncRequested { senders: ANY, route: Route::Direct(ANY), control: true }
    "offer.published" => OfferPublished { senders: ANY, route: Route::Broadcast, control: false }
    "offer.withdrawn" => OfferWithdrawn { senders: ANY, route: Route::Broadcast, control: false }
    "need.published" => NeedPublished { senders: PRODUCERS, route: Route::Broadcast, control: false }
    "need.claimed" => NeedClaimed { senders: PRODUCERS, route: Route::Direct(PRODUCERS), control: false }
    "need.claim-decided" => NeedClaimDecided { senders: PRODUCERS, route: Route::Direct(PRODUCERS), control: false }
    "need.fulfilled" => NeedFulfilled { senders: PRODUCERS, route: Route::Broadcast, control: false }
    "need.escalated" => NeedEscalated { senders: &[Community, Street], route: Route::Broadcast, control: false }
    "report.submitted" => ReportSubmitted { senders: ANY, route: Route::Direct(&[Community]), control: false }
    "report.decided" => ReportDecided { senders: &[Community], route: Route::Direct(ANY), control: false }
    "report.withdrawn" => ReportWithdrawn { senders: ANY, route: Route::Direct(&[Community]), control: false }
    "activity.published" => ActivityPublished { senders: PRODUCERS, route: Route::Broadcast, control: false }
    "activity.cancelled" => ActivityCancelled { senders: PRODUCERS, route: Route::Broadcast, control: false }
    "signup.requested" => SignupRequested { senders: ANY, route: Route::Direct(PRODUCERS), control: false }
    "placement.decided" => PlacementDecided { senders: PRODUCERS, route: Route::Direct(ANY), control: false }
    "signup.confirmed" => SignupConfirmed { senders: ANY, route: Route::Direct(PRODUCERS), control: false }
    "signup.cancelled" => SignupCancelled { senders: ANY, route: Route::Direct(ANY), control: false }
    "checkin.attested" => CheckinAttested { senders: PRODUCERS, route: Route::Direct(ANY), control: false }
    "emergency.declared" => EmergencyDeclared { senders: MOBILISERS, route: Route::Broadcast, control: false }
    "emergency.volunteered" => EmergencyVolunteered { senders: ANY, route: Route::Direct(MOBILISERS), control: false }
    "emergency.closed" => EmergencyClosed { senders: MOBILISERS, route: Route::Broadcast, control: false }
    "participation.reported" => ParticipationReported { senders: PRODUCERS, route: Route::Direct(AUTHORITY), control: false }
    "agreement.proposed" => AgreementProposed { senders: CO_BUILDERS, route: Route::Direct(&[Community]), control: false }
    "agreement.decided" => AgreementDecided { senders: &[Community], route: Route::Direct(CO_BUILDERS), control: false }
    "service.logged" => ServiceLogged { senders: ANY, route: Route::Direct(&[Community]), control: false }
    "service.declined" => ServiceDeclined { senders: &[Community], route: Route::Direct(ANY), control: false }
    "feedback.sent" => FeedbackSent { senders: &[Community], route: Route::Direct(ANY), control: false }
    "pairing.started" => PairingStarted { senders: &[Community], route: Route::Direct(ANY), control: false }
    "pairing.ended" => PairingEnded { senders: &[Community], route: Route::Direct(ANY), control: false }
    "signup.invited" => SignupInvited { senders: &[Community], route: Route::Direct(ANY), control: false }
    "need.done" => NeedDone { senders: PRODUCERS, route: Route::Direct(PRODUCERS), control: false }
    "need.reopened" => NeedReopened { senders: PRODUCERS, route: Route::Direct(PRODUCERS), control: false }
    "participation.requested" => ParticipationRequested { senders: AUTHORITY, route: Route::Direct(PRODUCERS), control: false }
    "recovery.requested" => RecoveryRequested { senders: ANY, route: Route::Direct(ANY), control: true }
    "recovery.returned" => RecoveryReturned { senders: ANY, route: Route::Direct(ANY), control: true }
    "sync.compacted" => SyncCompacted { senders: ANY, route: Route::Direct(ANY), control: true }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(d)?;
        name.parse()
            .map_err(|()| serde::de::Error::custom(format!("unknown message kind {name:?}")))
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(*k));
            assert!(seen.insert(k.as_str()));
            // Routing keys are `all.<kind>` / `org.<id>.<kind>`: a kind name must be one or two
            // dot-separated words so bindings like `all.#` stay unambiguous.
            assert!(k.as_str().split('.').count() == 2, "{k}");
        }
        assert_eq!(Kind::ALL.len(), 39);
        assert!("offer.deleted".parse::<Kind>().is_err());
    }

    const ID: &str = "0192f1a4-0000-7000-8000-000000000001";
    /// 2026-12-03 00:00 in UTC+08:00 (PROTOCOL.md §10.1).
    const DAY_START: i64 = 1_796_227_200;

    /// Totals of a report with nothing in it.
    fn totals() -> serde_json::Value {
        serde_json::to_value(bodies::ParticipationTotals::default()).unwrap()
    }
    const MEMBER: &str = "youyi-nanli:TdNE-clUOdGIPoBm1TUJoA";

    /// A valid body of `kind` with `edit` applied, parsed.
    fn parse_edited(kind: Kind, edit: impl FnOnce(&mut serde_json::Value)) -> Result<Body, String> {
        let mut v = match kind {
            Kind::NodeHello => serde_json::json!({ "software": "x", "heads": [] }),
            Kind::OfferPublished => serde_json::json!({
                "offer_id": ID, "title": "t", "description": "", "category": "venue", "capacity": 1
            }),
            Kind::NeedPublished => serde_json::json!({
                "need_id": ID, "title": "t", "description": "", "level": "grid", "quantity": 1
            }),
            Kind::ReportSubmitted => serde_json::json!({ "report_id": ID, "member": MEMBER }),
            Kind::ActivityPublished => serde_json::json!({
                "activity_id": ID, "category": "volunteer-service", "title": "t",
                "description": "", "place": "p", "starts_at": 1000, "ends_at": 1001,
                "capacity": 1, "mode": "routine"
            }),
            Kind::SignupRequested => {
                serde_json::json!({ "signup_id": ID, "activity_id": ID, "member": MEMBER })
            }
            Kind::SignupConfirmed => serde_json::json!({
                "signup_id": ID, "activity_id": ID, "member": MEMBER, "name": "王红",
                "phone": "13800000000"
            }),
            Kind::SignupCancelled => {
                serde_json::json!({ "signup_id": ID, "activity_id": ID, "member": MEMBER })
            }
            Kind::CheckinAttested => serde_json::json!({
                "checkin_id": ID, "member": MEMBER, "category": "volunteer-service",
                "checked_in_at": 1000, "checked_out_at": 1000 + 1440 * 60, "minutes": 1440,
                "mode": "routine"
            }),
            Kind::EmergencyDeclared => serde_json::json!({
                "emergency_id": ID, "title": "t", "description": "", "communities": ["youyi-nanli"],
                "posts": [{ "post_id": ID, "title": "卡口值守", "headcount": 2 }],
                "starts_at": 1000, "answer_within_secs": 600
            }),
            Kind::EmergencyVolunteered => serde_json::json!({
                "emergency_id": ID, "member": MEMBER, "post_id": ID, "role": "A"
            }),
            Kind::ParticipationReported => serde_json::json!({
                "report_id": ID, "side": "host", "period": "day",
                "period_start": DAY_START, "period_end": DAY_START + 86_400,
                "revision": 1, "part": 1, "parts": 1, "k": 3, "totals": totals()
            }),
            Kind::ParticipationRequested => serde_json::json!({
                "request_id": ID, "sides": ["host", "home"], "period": "day",
                "period_start": DAY_START
            }),
            Kind::AgreementProposed => serde_json::json!({
                "agreement_id": ID, "title": "t", "services": "", "starts_at": 1000, "ends_at": 1001
            }),
            Kind::AgreementDecided => serde_json::json!({
                "agreement_id": ID, "proposal": "0".repeat(64), "accepted": true
            }),
            Kind::ServiceLogged => serde_json::json!({
                "service_id": ID, "member": MEMBER, "what": "w", "category": "volunteer-service",
                "started_at": 1000, "ended_at": 1000 + 1440 * 60, "minutes": 1440
            }),
            Kind::ServiceDeclined => serde_json::json!({ "service_id": ID, "member": MEMBER }),
            Kind::FeedbackSent => serde_json::json!({
                "feedback_id": ID, "member": MEMBER, "period_starts_at": 1000,
                "period_ends_at": 1001, "minutes": 0, "activities": 0, "grade": "good",
                "evaluation": ""
            }),
            Kind::PairingStarted => serde_json::json!({
                "pairing_id": ID, "member": MEMBER, "household": "第三网格 结对户 07",
                "started_at": 1000
            }),
            Kind::PairingEnded => serde_json::json!({ "pairing_id": ID, "member": MEMBER }),
            Kind::SignupInvited => serde_json::json!({
                "invitation_id": ID, "activity_id": ID, "member": MEMBER, "team": "红色帮帮团"
            }),
            _ => unreachable!("no sample for {kind}"),
        };
        edit(&mut v);
        Body::parse(kind, &v.to_string())
    }

    fn list(n: usize, item: serde_json::Value) -> serde_json::Value {
        serde_json::Value::Array(vec![item; n])
    }

    #[test]
    fn body_limits_are_enforced_and_name_the_field() {
        use serde_json::json;
        let head = json!({ "stream": "all", "last_seq": 1 });
        let post = json!({ "post_id": ID, "title": "p" });
        // Distinct grids: a (grid, category) is listed once.
        let grid_rows =
            |n: usize| {
                json!((0..n)
                .map(|i| json!({ "grid": format!("g{i}"), "category": "culture", "members": 3,
                                 "checkins": 3, "minutes": 60 }))
                .collect::<Vec<_>>())
            };
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let set = |field: &'static str, value: serde_json::Value| -> Edit {
            Box::new(move |v: &mut serde_json::Value| v[field] = value.clone())
        };
        // (kind, field, edit at the limit, edit one past it)
        let cases: Vec<(Kind, &str, Edit, Edit)> = vec![
            (
                Kind::NodeHello,
                "heads",
                set("heads", list(1000, head.clone())),
                set("heads", list(1001, head)),
            ),
            (
                Kind::OfferPublished,
                "capacity",
                set("capacity", json!(1)),
                set("capacity", json!(0)),
            ),
            (
                Kind::OfferPublished,
                "skills",
                set("skills", list(12, json!("legal"))),
                set("skills", list(13, json!("legal"))),
            ),
            (
                Kind::OfferPublished,
                "grids",
                set("grids", list(64, json!("g"))),
                set("grids", list(65, json!("g"))),
            ),
            (
                Kind::NeedPublished,
                "quantity",
                set("quantity", json!(1)),
                set("quantity", json!(0)),
            ),
            (
                Kind::NeedPublished,
                "skills",
                set("skills", list(12, json!("legal"))),
                set("skills", list(13, json!("legal"))),
            ),
            (
                Kind::ReportSubmitted,
                "skills",
                set("skills", list(12, json!("legal"))),
                set("skills", list(13, json!("legal"))),
            ),
            (
                Kind::ActivityPublished,
                "capacity",
                set("capacity", json!(1)),
                set("capacity", json!(0)),
            ),
            (
                Kind::ActivityPublished,
                "capacity",
                set("capacity", json!(10_000)),
                set("capacity", json!(10_001)),
            ),
            (
                Kind::ActivityPublished,
                "skills",
                set("skills", list(12, json!("legal"))),
                set("skills", list(13, json!("legal"))),
            ),
            (
                Kind::ActivityPublished,
                "posts",
                set("posts", list(50, post.clone())),
                set("posts", list(51, post.clone())),
            ),
            (
                Kind::ActivityPublished,
                "posts[1].skills",
                set(
                    "posts",
                    json!([post, { "post_id": ID, "title": "p", "skills": list(12, json!("legal")) }]),
                ),
                set(
                    "posts",
                    json!([post, { "post_id": ID, "title": "p", "skills": list(13, json!("legal")) }]),
                ),
            ),
            (
                Kind::ActivityPublished,
                "ends_at",
                set("ends_at", json!(1001)),
                set("ends_at", json!(1000)),
            ),
            (
                Kind::SignupRequested,
                "skills",
                set("skills", list(12, json!("legal"))),
                set("skills", list(13, json!("legal"))),
            ),
            (
                Kind::CheckinAttested,
                "checked_out_at",
                set("checked_out_at", json!(1000 + 1440 * 60)),
                Box::new(|v| {
                    v["checked_out_at"] = json!(999);
                    v["minutes"] = json!(0);
                }),
            ),
            (
                Kind::CheckinAttested,
                "minutes",
                set("minutes", json!(1440)),
                Box::new(|v| {
                    v["checked_out_at"] = json!(1000 + 1441 * 60);
                    v["minutes"] = json!(1441);
                }),
            ),
            (
                Kind::CheckinAttested,
                "minutes",
                set("checked_out_at", json!(1000 + 1440 * 60 + 59)),
                set("checked_out_at", json!(1000 + 1440 * 60 - 1)),
            ),
            (
                Kind::EmergencyDeclared,
                "grids",
                set("grids", list(256, json!("g"))),
                set("grids", list(257, json!("g"))),
            ),
            (
                Kind::EmergencyDeclared,
                "communities",
                set("communities", list(64, json!("youyi-nanli"))),
                set("communities", list(65, json!("youyi-nanli"))),
            ),
            (
                Kind::EmergencyVolunteered,
                "skills",
                set("skills", list(12, json!("legal"))),
                set("skills", list(13, json!("legal"))),
            ),
            (
                Kind::ParticipationReported,
                "grids",
                set("grids", grid_rows(256)),
                set("grids", grid_rows(257)),
            ),
            (
                Kind::ParticipationReported,
                "period_start",
                set("period_end", json!(DAY_START + 86_400)),
                set("period_end", json!(DAY_START + 86_399)),
            ),
            (
                Kind::AgreementProposed,
                "ends_at",
                set("ends_at", json!(1001)),
                set("ends_at", json!(1000)),
            ),
            (
                Kind::AgreementProposed,
                "resources",
                set("resources", list(12, json!("venue"))),
                set("resources", list(13, json!("venue"))),
            ),
            (
                Kind::AgreementDecided,
                "proposal",
                set("proposal", json!("0123456789abcdef".repeat(4))),
                set("proposal", json!("0123456789ABCDEF".repeat(4))),
            ),
            (
                Kind::AgreementDecided,
                "proposal",
                set("proposal", json!("f".repeat(64))),
                set("proposal", json!("f".repeat(63))),
            ),
            (
                Kind::AgreementDecided,
                "proposal",
                set("proposal", json!("a".repeat(64))),
                set("proposal", json!("g".repeat(64))),
            ),
            (
                Kind::ServiceLogged,
                "ended_at",
                Box::new(|v| {
                    v["ended_at"] = json!(1001);
                    v["minutes"] = json!(0);
                }),
                Box::new(|v| {
                    v["ended_at"] = json!(1000);
                    v["minutes"] = json!(0);
                }),
            ),
            (
                Kind::ServiceLogged,
                "minutes",
                set("minutes", json!(1440)),
                Box::new(|v| {
                    v["ended_at"] = json!(1000 + 1441 * 60);
                    v["minutes"] = json!(1441);
                }),
            ),
            (
                Kind::ServiceLogged,
                "minutes",
                set("ended_at", json!(1000 + 1440 * 60 + 59)),
                set("ended_at", json!(1000 + 1440 * 60 - 1)),
            ),
            (
                Kind::FeedbackSent,
                "period_ends_at",
                set("period_ends_at", json!(1001)),
                set("period_ends_at", json!(1000)),
            ),
        ];
        for (kind, field, at_limit, past_limit) in cases {
            let ok = parse_edited(kind, at_limit);
            assert!(ok.is_ok(), "{kind} {field} at its limit: {ok:?}");
            let err = parse_edited(kind, past_limit).expect_err(field);
            assert!(
                err.starts_with(field),
                "{kind}: {err:?} should name {field}"
            );
        }
    }

    #[test]
    fn the_sign_up_kinds_carry_what_the_member_shares_and_no_more() {
        use serde_json::json;
        // signup.requested: a name and skills only if shared.
        let Ok(Body::SignupRequested(plain)) = parse_edited(Kind::SignupRequested, |_| {}) else {
            panic!("a sign-up without display_name and skills is valid")
        };
        assert_eq!((plain.display_name, plain.skills), (None, vec![]));
        let shared = parse_edited(Kind::SignupRequested, |v| {
            v["display_name"] = json!("张老师");
            v["skills"] = json!(["legal"]);
        });
        assert!(shared.is_ok(), "{shared:?}");
        // signup.confirmed: name and phone are required and bounded text.
        for (field, bad) in [
            ("name", json!(" ")),
            ("name", json!("王".repeat(65))),
            ("phone", json!("")),
            ("phone", json!("1".repeat(33))),
        ] {
            assert!(
                parse_edited(Kind::SignupConfirmed, |v| v[field] = bad.clone()).is_err(),
                "{field} {bad}"
            );
        }
        let missing = parse_edited(Kind::SignupConfirmed, |v| {
            v.as_object_mut().map(|o| o.remove("phone"));
        });
        assert!(missing.unwrap_err().contains("phone"));
        // signup.cancelled: the reason is optional.
        assert!(parse_edited(Kind::SignupCancelled, |v| v["reason"] = json!("病了")).is_ok());
        assert!(parse_edited(Kind::SignupCancelled, |v| v["reason"] = json!(null)).is_ok());
    }

    #[test]
    fn an_activity_and_a_checkin_name_their_category() {
        use serde_json::json;
        for kind in [Kind::ActivityPublished, Kind::CheckinAttested] {
            let err = parse_edited(kind, |v| {
                v.as_object_mut().map(|o| o.remove("category"));
            })
            .unwrap_err();
            assert!(err.contains("category"), "{kind}: {err}");
            let err = parse_edited(kind, |v| v["category"] = json!("party")).unwrap_err();
            assert!(err.contains("party"), "{kind}: {err}");
        }
    }

    #[test]
    fn a_checkin_is_closed_by_its_host_only_when_it_says_so() {
        use serde_json::json;
        let Ok(Body::CheckinAttested(c)) = parse_edited(Kind::CheckinAttested, |_| {}) else {
            panic!("a check-in without corrects and closed_by_host is valid")
        };
        assert!(!c.closed_by_host);
        assert_eq!(c.corrects, None);
        // Always sent, false included, so every attestation states it.
        let sent = serde_json::to_value(Body::CheckinAttested(c)).unwrap();
        assert_eq!(sent["closed_by_host"], json!(false));
        assert_eq!(sent["corrects"], json!(null));
        let Ok(Body::CheckinAttested(c)) = parse_edited(Kind::CheckinAttested, |v| {
            v["closed_by_host"] = json!(true);
            v["corrects"] = json!("0192f1a4-0000-7000-8000-000000000002");
        }) else {
            panic!("a correction closed by the host is valid")
        };
        assert!(c.closed_by_host);
        assert_eq!(
            c.corrects.map(|u| u.to_string()).as_deref(),
            Some("0192f1a4-0000-7000-8000-000000000002")
        );
        // false is a bool, never null.
        assert!(
            parse_edited(Kind::CheckinAttested, |v| v["closed_by_host"] = json!(null)).is_err()
        );
    }

    #[test]
    fn the_home_confirms_to_a_host_and_either_side_cancels() {
        let confirmed = Kind::SignupConfirmed.rule();
        assert_eq!(confirmed.route, Kind::SignupRequested.rule().route);
        assert_eq!(confirmed.senders, ANY);
        assert!(!confirmed.control);
        let Route::Direct(hosts) = confirmed.route else {
            panic!("signup.confirmed is direct")
        };
        assert!(!hosts.contains(&OrgKind::OrgDepartment));
        let cancelled = Kind::SignupCancelled.rule();
        assert_eq!(
            (cancelled.senders, cancelled.route, cancelled.control),
            (ANY, Route::Direct(ANY), false)
        );
    }

    #[test]
    fn services_feedback_and_pairings_travel_between_home_and_community() {
        // A service is logged where a report goes, and answered the way a report is.
        assert_eq!(
            Kind::ServiceLogged.rule(),
            Kind::ReportSubmitted.rule(),
            "service.logged"
        );
        for kind in [
            Kind::ServiceDeclined,
            Kind::FeedbackSent,
            Kind::PairingStarted,
            Kind::PairingEnded,
            Kind::SignupInvited,
        ] {
            assert_eq!(kind.rule(), Kind::ReportDecided.rule(), "{kind}");
        }
    }

    #[test]
    fn an_emergency_names_its_area_and_posts_and_a_volunteer_the_post_and_role() {
        use serde_json::json;
        let Ok(Body::EmergencyDeclared(e)) = parse_edited(Kind::EmergencyDeclared, |_| {}) else {
            panic!("an emergency with one post is valid")
        };
        assert_eq!(e.posts[0].headcount, 2);
        let other = "0192f1a4-0000-7000-8000-000000000002";
        for (field, edit) in [
            ("communities", json!({ "communities": [] })),
            ("posts", json!({ "posts": [] })),
            (
                "headcount",
                json!({ "posts": [{ "post_id": ID, "title": "x", "headcount": 0 }] }),
            ),
            (
                "headcount",
                json!({ "posts": [{ "post_id": ID, "title": "x", "headcount": 501 }] }),
            ),
            (
                "repeated",
                json!({ "posts": [{ "post_id": ID, "title": "x", "headcount": 1 },
                                  { "post_id": ID, "title": "y", "headcount": 1 }] }),
            ),
            ("answer_within_secs", json!({ "answer_within_secs": 0 })),
            (
                "answer_within_secs",
                json!({ "answer_within_secs": 86_401 }),
            ),
        ] {
            let got = parse_edited(Kind::EmergencyDeclared, |v| {
                for (k, x) in edit.as_object().unwrap() {
                    v[k] = x.clone();
                }
            });
            assert!(
                got.as_ref().is_err_and(|e| e.contains(field)),
                "{field}: {got:?}"
            );
        }
        assert!(
            parse_edited(Kind::EmergencyDeclared, |v| v["posts"] = json!([
                { "post_id": ID, "title": "卡口值守", "headcount": 500, "skills": ["medical-aid"] },
                { "post_id": other, "title": "物资转运", "headcount": 1 }
            ]))
            .is_ok()
        );
        assert!(parse_edited(Kind::EmergencyVolunteered, |v| v["role"] = json!("C")).is_err());
        assert!(
            parse_edited(Kind::EmergencyVolunteered, |v| {
                v.as_object_mut().unwrap().remove("post_id");
            })
            .is_err()
        );
    }

    #[test]
    fn a_claim_is_reported_done_and_reopened_between_the_two_who_made_it() {
        for kind in [Kind::NeedDone, Kind::NeedReopened] {
            assert_eq!(kind.rule(), Kind::NeedClaimed.rule(), "{kind}");
        }
    }

    #[test]
    fn a_contact_goes_only_with_an_accepted_claim_and_new_fields_are_written_only_when_set() {
        use serde_json::json;
        let decided = |accepted: bool, contact: serde_json::Value| {
            Body::parse(
                Kind::NeedClaimDecided,
                &json!({ "claim_id": ID, "need_id": ID, "accepted": accepted, "contact": contact })
                    .to_string(),
            )
        };
        let contact = json!({ "addressee": "王奶奶", "address": "友谊南里 3 号楼 2 单元 401" });
        assert!(decided(true, contact.clone()).is_ok());
        assert!(decided(true, json!(null)).is_ok());
        let declined = decided(false, contact);
        assert!(
            declined.as_ref().is_err_and(|e| e.contains("contact")),
            "{declined:?}"
        );
        assert!(
            decided(true, json!({ "addressee": "王奶奶", "address": "" })).is_err(),
            "an empty address is no address"
        );
        // A body without the optional fields of §1.1 item 6 keeps its earlier form.
        let Ok(need) = parse_edited(Kind::NeedPublished, |_| {}) else {
            panic!("a need without a reference is valid")
        };
        let written = serde_json::to_value(&need).unwrap();
        assert!(written.get("external_ref").is_none(), "{written}");
        assert!(
            parse_edited(Kind::NeedPublished, |v| v["external_ref"] =
                json!("12345-20261203-0042"))
            .is_ok()
        );
    }

    #[test]
    fn a_participation_report_keeps_the_rules_of_section_10() {
        use serde_json::json;
        let report = |edit: &dyn Fn(&mut serde_json::Value)| {
            parse_edited(Kind::ParticipationReported, |v| edit(v)).map(|_| ())
        };
        let root = "ab".repeat(32);
        // 1,988 distinct cells of 142 homes (7 categories × 2 modes), each home with its root:
        // near the most one part may hold.
        let homes: Vec<String> = (0..142).map(|n| format!("unit-{n:03}")).collect();
        let categories = [
            "volunteer-service",
            "party-day",
            "joint-meeting",
            "home-visit",
            "culture",
            "study",
            "other",
        ];
        let mut rows = Vec::new();
        for h in &homes {
            for c in categories {
                for m in ["routine", "emergency"] {
                    rows.push(json!({ "counterpart": h, "category": c, "mode": m,
                                      "members": 3, "checkins": 4, "minutes": 240 }));
                }
            }
        }
        let roots: Vec<_> = homes
            .iter()
            .map(|h| json!({ "counterpart": h, "checkins": 80, "root": root }))
            .collect();
        let full = |v: &mut serde_json::Value| {
            v["rows"] = json!(rows);
            v["roots"] = json!(roots);
        };
        assert_eq!(report(&full), Ok(()));
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "period_start",
                Box::new(|v| v["period_start"] = json!(DAY_START + 1)),
            ),
            ("period_start", Box::new(|v| v["period"] = json!("month"))),
            ("part", Box::new(|v| v["part"] = json!(2))),
            (
                "part",
                Box::new(|v| {
                    v["part"] = json!(65);
                    v["parts"] = json!(65)
                }),
            ),
            ("k", Box::new(|v| v["k"] = json!(101))),
            (
                "grids",
                Box::new(|v| {
                    let g = json!({ "grid": "yn-01", "category": "culture", "members": 3,
                                    "checkins": 3, "minutes": 90 });
                    v["grids"] = json!([g.clone(), g]);
                }),
            ),
            ("revision", Box::new(|v| v["revision"] = json!(0))),
            (
                "rows",
                Box::new(|v| {
                    v["rows"] = json!([{ "counterpart": "loue-jia", "category": "culture",
                    "mode": "routine", "members": 2, "checkins": 2, "minutes": 60 }]);
                    v["roots"] = json!([{ "counterpart": "loue-jia", "checkins": 2, "root": "ab".repeat(32) }]);
                }),
            ),
            (
                "rows",
                Box::new(|v| {
                    v["rows"] = json!([{ "counterpart": "loue-jia", "category": "culture",
                    "mode": "routine", "members": 4, "checkins": 3, "minutes": 60 }]);
                    v["roots"] = json!([{ "counterpart": "loue-jia", "checkins": 3, "root": "ab".repeat(32) }]);
                }),
            ),
            (
                "suppressed",
                Box::new(|v| {
                    let cell = json!({ "counterpart": "loue-jia", "category": "culture", "mode": "routine" });
                    v["suppressed"] = json!([cell, cell]);
                    v["roots"] = json!([{ "counterpart": "loue-jia", "checkins": 2, "root": "ab".repeat(32) }]);
                }),
            ),
            (
                "roots",
                Box::new(
                    |v| v["suppressed"] = json!([{ "counterpart": "loue-jia", "category": "culture", "mode": "routine" }]),
                ),
            ),
            (
                "roots",
                Box::new(|v| {
                    v["roots"] = json!([{ "counterpart": "loue-jia", "checkins": 2, "root": "AB".repeat(32) }])
                }),
            ),
            ("totals", Box::new(|v| v["totals"]["members"] = json!(5))),
            (
                "totals",
                Box::new(|v| {
                    v["side"] = json!("home");
                    v["totals"]["fill_secs"] = json!([60]);
                }),
            ),
        ];
        for (field, edit) in cases {
            let got = report(&*edit);
            assert!(
                got.as_ref().is_err_and(|e| e.contains(field)),
                "{field}: {got:?}"
            );
        }
        // A month, and a home report with the home's figures.
        assert_eq!(
            report(&|v| {
                v["period"] = json!("month");
                v["period_start"] = json!(1_796_054_400);
                v["period_end"] = json!(1_798_732_800);
                v["side"] = json!("home");
                v["totals"]["members"] = json!(16);
            }),
            Ok(())
        );
        let request = |edit: &dyn Fn(&mut serde_json::Value)| {
            parse_edited(Kind::ParticipationRequested, |v| edit(v)).map(|_| ())
        };
        assert_eq!(request(&|_| {}), Ok(()));
        assert!(request(&|v| v["sides"] = json!(["host", "host"])).is_err());
        assert!(request(&|v| v["sides"] = json!([])).is_err());
        assert!(request(&|v| v["period_start"] = json!(DAY_START + 60)).is_err());
    }

    #[test]
    fn a_member_claims_without_an_offer_and_a_name_comes_only_with_a_member() {
        use serde_json::json;
        let claim = |extra: serde_json::Value| {
            let mut v = json!({ "claim_id": ID, "need_id": ID, "offer_id": null, "note": null });
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            Body::parse(Kind::NeedClaimed, &v.to_string())
        };
        let Ok(Body::NeedClaimed(plain)) = claim(json!({})) else {
            panic!("an organisation's claim is valid")
        };
        let written = serde_json::to_value(&plain).unwrap();
        assert!(
            written.get("member").is_none() && written.get("display_name").is_none(),
            "§1.1 item 6: {written}"
        );
        assert!(claim(json!({ "member": MEMBER, "display_name": "张师傅" })).is_ok());
        assert!(claim(json!({ "member": MEMBER })).is_ok());
        let with_offer = claim(json!({ "member": MEMBER, "offer_id": ID }));
        assert!(
            with_offer.as_ref().is_err_and(|e| e.contains("offer_id")),
            "{with_offer:?}"
        );
        let name_alone = claim(json!({ "display_name": "张师傅" }));
        assert!(
            name_alone
                .as_ref()
                .is_err_and(|e| e.contains("display_name")),
            "{name_alone:?}"
        );
    }

    #[test]
    fn a_team_invitation_names_the_team_and_gives_a_role_only_within_a_post() {
        use serde_json::json;
        let Ok(Body::SignupInvited(i)) = parse_edited(Kind::SignupInvited, |_| {}) else {
            panic!("an invitation of a team member is valid")
        };
        assert_eq!(i.team.as_str(), "红色帮帮团");
        assert!(parse_edited(Kind::SignupInvited, |v| v["team"] = json!("")).is_err());
        let role_alone = Body::parse(
            Kind::SignupInvited,
            &json!({ "invitation_id": ID, "activity_id": ID, "member": MEMBER, "team": "老帮老",
                     "role": "A" })
            .to_string(),
        );
        assert!(
            role_alone.as_ref().is_err_and(|e| e.contains("role")),
            "{role_alone:?}"
        );
        assert!(
            parse_edited(Kind::SignupInvited, |v| {
                v["post_id"] = json!(ID);
                v["role"] = json!("B");
            })
            .is_ok()
        );
    }

    #[test]
    fn a_pairing_names_the_household_only_by_a_label() {
        use serde_json::json;
        let Ok(Body::PairingStarted(p)) = parse_edited(Kind::PairingStarted, |_| {}) else {
            panic!("a pairing with a household label is valid")
        };
        assert_eq!(p.household.as_str(), "第三网格 结对户 07");
        assert!(
            parse_edited(Kind::PairingStarted, |v| v["household"] =
                json!("户".repeat(64)))
            .is_ok()
        );
        for bad in [
            json!("户".repeat(65)),
            json!("  "),
            json!(null),
            json!("a\rb"),
        ] {
            assert!(
                parse_edited(Kind::PairingStarted, |v| v["household"] = bad.clone()).is_err(),
                "household {bad}"
            );
        }
        // Nothing else about the household crosses: an address is an unknown field.
        let err =
            parse_edited(Kind::PairingStarted, |v| v["address"] = json!("3-2-101")).unwrap_err();
        assert!(err.contains("address"), "{err}");
        assert!(parse_edited(Kind::PairingEnded, |v| v["reason"] = json!("搬离本社区")).is_ok());
    }

    #[test]
    fn feedback_grades_the_member_from_the_vocabulary() {
        use serde_json::json;
        for grade in ["excellent", "good", "fair", "poor"] {
            assert!(parse_edited(Kind::FeedbackSent, |v| v["grade"] = json!(grade)).is_ok());
        }
        let err = parse_edited(Kind::FeedbackSent, |v| v["grade"] = json!("优秀")).unwrap_err();
        assert!(err.contains("优秀"), "{err}");
        let err = parse_edited(Kind::FeedbackSent, |v| {
            v.as_object_mut().map(|o| o.remove("evaluation"));
        })
        .unwrap_err();
        assert!(err.contains("evaluation"), "{err}");
        let err = parse_edited(Kind::FeedbackSent, |v| v["activities"] = json!(-1)).unwrap_err();
        assert!(err.contains("-1"), "{err}");
    }

    #[test]
    fn a_logged_service_credits_no_more_than_its_span() {
        use serde_json::json;
        let extreme = parse_edited(Kind::ServiceLogged, |v| {
            v["started_at"] = json!(i64::MIN);
            v["ended_at"] = json!(i64::MAX);
        });
        assert!(extreme.is_ok(), "{extreme:?}");
        // Unlike a check-in, a logged service never has an empty span.
        let err = parse_edited(Kind::ServiceLogged, |v| {
            v["ended_at"] = json!(1000);
            v["minutes"] = json!(0);
        })
        .unwrap_err();
        assert!(err.starts_with("ended_at"), "{err}");
        let err = parse_edited(Kind::ServiceLogged, |v| {
            v["ended_at"] = json!(1000 + 3600);
            v["minutes"] = json!(61);
        })
        .unwrap_err();
        assert!(err.contains("spans only 60 whole minute(s)"), "{err}");
        assert!(parse_edited(Kind::ServiceLogged, |v| v["grid"] = json!("xyn-07")).is_ok());
    }

    #[test]
    fn checkin_spans_use_whole_minutes_without_overflow() {
        use serde_json::json;
        let extreme = parse_edited(Kind::CheckinAttested, |v| {
            v["checked_in_at"] = json!(i64::MIN);
            v["checked_out_at"] = json!(i64::MAX);
            v["minutes"] = json!(1440);
        });
        assert!(extreme.is_ok(), "{extreme:?}");
        let zero = parse_edited(Kind::CheckinAttested, |v| {
            v["checked_out_at"] = json!(1000);
            v["minutes"] = json!(0);
        });
        assert!(zero.is_ok(), "{zero:?}");
    }

    #[test]
    fn bodies_and_their_entries_must_be_objects() {
        use serde_json::json;
        let offer = [ID, "t", "", "venue"]
            .iter()
            .map(|s| json!(s))
            .chain([
                json!(1),
                json!(null),
                json!([]),
                json!(null),
                json!([]),
                json!(null),
            ])
            .collect::<Vec<_>>();
        let err = Body::parse(Kind::OfferPublished, &json!(offer).to_string()).unwrap_err();
        assert!(err.contains("not a JSON object"), "{err}");
        let err = Body::parse(Kind::OfferPublished, " [1]").unwrap_err();
        assert!(err.contains("not a JSON object"), "{err}");
        // Nested structs too: a stream head, a post, a participation row.
        let hello = parse_edited(Kind::NodeHello, |v| v["heads"] = json!([["all", 1]]));
        assert!(hello.unwrap_err().contains("a JSON object"));
        let activity = parse_edited(Kind::ActivityPublished, |v| {
            v["posts"] = json!([[ID, "p", []]])
        });
        assert!(activity.unwrap_err().contains("a JSON object"));
        let report = parse_edited(Kind::ParticipationReported, |v| {
            v["rows"] = json!([["loue-jia", "culture", "routine", 3, 3, 60]])
        });
        assert!(report.unwrap_err().contains("a JSON object"));
        let report = parse_edited(Kind::ParticipationReported, |v| {
            v["totals"] = json!([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, []])
        });
        assert!(report.unwrap_err().contains("a JSON object"));
        assert!(
            parse_edited(Kind::NodeHello, |v| v["heads"] =
                json!([{ "stream": "all", "last_seq": 1 }]))
            .is_ok()
        );
    }

    #[test]
    fn a_decision_names_its_proposal_by_the_sha256_of_its_bytes() {
        use bodies::AgreementDecided;
        // SHA-256("abc"), FIPS 180-2.
        assert_eq!(
            AgreementDecided::digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let d = AgreementDecided {
            agreement_id: uuid::Uuid::nil(),
            proposal: AgreementDecided::digest("a.b.c"),
            accepted: true,
            note: None,
        };
        assert!(d.decides("a.b.c"));
        // The bytes as received: a trailing newline is another proposal.
        assert!(!d.decides("a.b.c\n"));
    }

    #[test]
    fn the_auditor_does_not_attest_what_it_audits() {
        assert!(
            !Kind::CheckinAttested
                .rule()
                .senders
                .contains(&OrgKind::OrgDepartment)
        );
        assert_eq!(
            Kind::RosterPublished.rule().senders,
            &[OrgKind::OrgDepartment]
        );
    }
}
