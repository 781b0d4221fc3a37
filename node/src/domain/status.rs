//! The states of offers, needs and claims: enums with one derived mapping to the text stored
//! in the database and shown in the API (strum for the names, serde and schemars from them).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

macro_rules! status {
    ($(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $variant:ident ),* $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            strum::EnumString, strum::Display, strum::IntoStaticStr, strum::VariantArray,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[strum(serialize_all = "kebab-case")]
        #[serde(rename_all = "kebab-case")]
        #[diesel(sql_type = Text)]
        pub enum $name { $( $(#[$vdoc])* $variant ),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                let s: &'static str = (*self).into();
                s.to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                s.parse()
                    .map_err(|_| format!("unknown {} {s:?} in the database", stringify!($name)).into())
            }
        }
    };
}

status!(
    /// An offer (资源清单).
    OfferStatus { Open, Withdrawn }
);

status!(
    /// A need (需求清单).
    NeedStatus { Open, Fulfilled }
);

status!(
    /// A claim on a need: decided by the need's owner, reported done by the claimant, then
    /// confirmed by the owner with the person it was for, or reopened.
    ClaimStatus { Pending, Accepted, Declined, Done, Confirmed, Reopened }
);

impl ClaimStatus {
    /// The claims that stop the same organisation claiming the need again.
    pub const STANDING: [ClaimStatus; 3] = [
        ClaimStatus::Pending,
        ClaimStatus::Accepted,
        ClaimStatus::Done,
    ];

    pub fn decided(accepted: bool) -> ClaimStatus {
        if accepted {
            ClaimStatus::Accepted
        } else {
            ClaimStatus::Declined
        }
    }
}

status!(
    /// A 双报到 report, as the community decided it (or the member withdrew it).
    ReportStatus { Pending, Accepted, Declined, Withdrawn }
);

impl ReportStatus {
    pub fn decided(accepted: bool) -> ReportStatus {
        if accepted {
            ReportStatus::Accepted
        } else {
            ReportStatus::Declined
        }
    }

    /// Pending or accepted: the member counts as reported there.
    pub fn standing(self) -> bool {
        matches!(self, ReportStatus::Pending | ReportStatus::Accepted)
    }
}

status!(
    /// A co-building agreement, as the community decided it.
    AgreementStatus { Pending, Accepted, Declined }
);

impl AgreementStatus {
    pub fn decided(accepted: bool) -> AgreementStatus {
        if accepted {
            AgreementStatus::Accepted
        } else {
            AgreementStatus::Declined
        }
    }
}

status!(
    /// An activity or service post (活动, 岗位).
    ActivityStatus { Open, Cancelled }
);

status!(
    /// A sign-up for an activity: asked for by the member's home, placed or declined by the
    /// host, confirmed by the member (which releases their contact details to the host), or
    /// cancelled by either side.
    SignupStatus { Requested, Placed, Declined, Confirmed, Cancelled }
);

impl SignupStatus {
    /// Holds one of the activity's places.
    pub fn holds_a_place(self) -> bool {
        matches!(self, SignupStatus::Placed | SignupStatus::Confirmed)
    }

    /// Still open to a decision, a confirmation or a cancellation.
    pub fn standing(self) -> bool {
        matches!(
            self,
            SignupStatus::Requested | SignupStatus::Placed | SignupStatus::Confirmed
        )
    }
}

status!(
    /// A 服务登记, as the community decided it.
    ServiceStatus { Pending, Approved, Declined }
);

status!(
    /// An invitation of a team member to sign up (signup.invited), as the member answered it.
    InvitationStatus { Open, Accepted, Declined }
);

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn each_status_has_one_name_for_the_database_the_api_and_parsing() {
        for s in NeedStatus::VARIANTS {
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, s.as_str());
            assert_eq!(s.as_str().parse::<NeedStatus>().unwrap(), *s);
        }
        assert_eq!(OfferStatus::Withdrawn.as_str(), "withdrawn");
        assert_eq!(ClaimStatus::decided(false).to_string(), "declined");
        assert!("maybe".parse::<ClaimStatus>().is_err());
    }
}
