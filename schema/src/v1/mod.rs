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
    /// Control kinds (`node.hello`, `sync.requested`) are idempotent, carry stream `control`
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
    "activity.published" => ActivityPublished { senders: PRODUCERS, route: Route::Broadcast, control: false }
    "activity.cancelled" => ActivityCancelled { senders: PRODUCERS, route: Route::Broadcast, control: false }
    "signup.requested" => SignupRequested { senders: ANY, route: Route::Direct(PRODUCERS), control: false }
    "placement.decided" => PlacementDecided { senders: PRODUCERS, route: Route::Direct(ANY), control: false }
    "checkin.attested" => CheckinAttested { senders: PRODUCERS, route: Route::Direct(ANY), control: false }
    "emergency.declared" => EmergencyDeclared { senders: MOBILISERS, route: Route::Broadcast, control: false }
    "emergency.volunteered" => EmergencyVolunteered { senders: ANY, route: Route::Direct(MOBILISERS), control: false }
    "emergency.closed" => EmergencyClosed { senders: MOBILISERS, route: Route::Broadcast, control: false }
    "participation.reported" => ParticipationReported { senders: PRODUCERS, route: Route::Direct(AUTHORITY), control: false }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
        assert_eq!(Kind::ALL.len(), 22);
        assert!("offer.deleted".parse::<Kind>().is_err());
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
