//! Identifiers that cross organisation boundaries (PROTOCOL.md §2).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "org id {0:?} must match ^[a-z0-9][a-z0-9-]{{2,62}}$ (lower-case letters, digits, '-'; no dots)"
    )]
    OrgId(String),
    #[error("unknown organisation kind {0:?}; expected one of: {kinds}", kinds = OrgKind::NAMES.join(", "))]
    OrgKind(String),
    #[error("member reference {0:?} must be <home-org-id>:<uuid>")]
    MemberRef(String),
}

/// An organisation id: also its broker user name and part of routing keys, hence no dots.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "OrgIdSchema")]
pub struct OrgId(String);

#[derive(JsonSchema)]
#[schemars(transparent)]
#[expect(dead_code, reason = "only describes the JSON Schema of OrgId")]
struct OrgIdSchema(#[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{2,62}$"))] String);

impl OrgId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OrgId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bytes = s.as_bytes();
        let ok = (3..=63).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase() | bytes[0].is_ascii_digit()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if ok {
            Ok(OrgId(s.to_owned()))
        } else {
            Err(IdError::OrgId(s.to_owned()))
        }
    }
}

impl TryFrom<String> for OrgId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}

impl From<OrgId> for String {
    fn from(id: OrgId) -> String {
        id.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a member organisation; it limits what the organisation may say (see `rights`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrgKind {
    /// 街道党工委: street (sub-district) party working committee, parent of communities.
    Street,
    /// 社区大党委: community party committee; hosts reporting members.
    Community,
    /// 楼e家 党建联盟: party alliance of enterprises in office towers.
    BuildingAlliance,
    /// 新就业群体 / 流动党员党支部: couriers, riders, outdoor workers.
    NewEmployment,
    /// 共建单位 / 机关单位: agencies, institutions, SOEs paired with communities.
    CoBuildingUnit,
    /// 区委组织部: the organisation department; usually the alliance authority.
    OrgDepartment,
}

impl OrgKind {
    pub const ALL: [OrgKind; 6] = [
        OrgKind::Street,
        OrgKind::Community,
        OrgKind::BuildingAlliance,
        OrgKind::NewEmployment,
        OrgKind::CoBuildingUnit,
        OrgKind::OrgDepartment,
    ];
    pub const NAMES: [&'static str; 6] = [
        "street",
        "community",
        "building-alliance",
        "new-employment",
        "co-building-unit",
        "org-department",
    ];

    pub fn as_str(self) -> &'static str {
        let i = OrgKind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        OrgKind::NAMES[i]
    }
}

impl FromStr for OrgKind {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        OrgKind::NAMES
            .iter()
            .position(|n| *n == s)
            .map(|i| OrgKind::ALL[i])
            .ok_or_else(|| IdError::OrgKind(s.to_owned()))
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An in-service member as other organisations see them: `<home-org-id>:<uuid>`. The home
/// organisation alone can map it to a person.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "MemberRefSchema")]
pub struct MemberRef {
    home: OrgId,
    id: uuid::Uuid,
}

#[derive(JsonSchema)]
#[schemars(transparent)]
#[expect(dead_code, reason = "only describes the JSON Schema of MemberRef")]
struct MemberRefSchema(
    #[schemars(regex(
        pattern = r"^[a-z0-9][a-z0-9-]{2,62}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    ))]
    String,
);

impl MemberRef {
    pub fn new(home: OrgId, id: uuid::Uuid) -> Self {
        MemberRef { home, id }
    }
    pub fn home(&self) -> &OrgId {
        &self.home
    }
    pub fn id(&self) -> uuid::Uuid {
        self.id
    }
}

impl FromStr for MemberRef {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::MemberRef(s.to_owned());
        let (home, id) = s.split_once(':').ok_or_else(bad)?;
        let home = home.parse().map_err(|_| bad())?;
        // Only the canonical lower-case hyphenated form, so that one member has one spelling.
        let id = uuid::Uuid::try_parse(id).map_err(|_| bad())?;
        if id.hyphenated().to_string() != s[s.len() - 36..] {
            return Err(bad());
        }
        Ok(MemberRef { home, id })
    }
}

impl TryFrom<String> for MemberRef {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}

impl From<MemberRef> for String {
    fn from(m: MemberRef) -> String {
        m.to_string()
    }
}

impl fmt::Display for MemberRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.home, self.id.hyphenated())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids() {
        for ok in ["abc", "lunan-xueyuan-1", "0rg", &"a".repeat(63)] {
            assert!(ok.parse::<OrgId>().is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-ab",
            "a.b.c",
            "ABC",
            "ab_c",
            "",
            &"a".repeat(64),
            "abc ",
        ] {
            assert!(bad.parse::<OrgId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(k.as_str().parse::<OrgKind>(), Ok(k));
            assert_eq!(
                serde_json::to_value(k).ok(),
                Some(serde_json::json!(k.as_str()))
            );
        }
        assert!("district".parse::<OrgKind>().is_err());
    }

    #[test]
    fn member_refs() {
        let r: MemberRef = "co-unit-1:0192f1a4-0000-7000-8000-000000000001"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.home().as_str(), "co-unit-1");
        for bad in [
            "co-unit-1",
            "co.unit:0192f1a4-0000-7000-8000-000000000001",
            "co-unit-1:0192F1A4-0000-7000-8000-000000000001",
            "co-unit-1:0192f1a400007000800000000000000001",
        ] {
            assert!(bad.parse::<MemberRef>().is_err(), "{bad}");
        }
    }
}
