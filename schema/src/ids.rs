//! Identifiers that cross organisation boundaries (PROTOCOL.md §2).

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
    #[error(
        "member reference {0:?} must be <home-org-id>:<subject>, the subject 22 characters of canonical unpadded base64url"
    )]
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

/// An in-service member as one other organisation (the host) sees them (PROTOCOL.md §2.3):
/// `<home-org-id>:<subject>`, where the subject is a pairwise, keyed hash of (host, member). It is
/// stable for one member at one host and unlinkable across hosts; the home organisation alone can
/// map it to a person. Hosts treat the subject as opaque.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "MemberRefSchema")]
pub struct MemberRef {
    home: OrgId,
    /// Canonical unpadded base64url of 16 bytes: 22 characters.
    subject: String,
}

/// The JSON Schema pattern of a member reference. The last character is one whose four unused
/// low bits are zero, so the pattern accepts exactly the canonical encodings.
pub const MEMBER_REF_PATTERN: &str = r"^[a-z0-9][a-z0-9-]{2,62}:[A-Za-z0-9_-]{21}[AQgw]$";

#[derive(JsonSchema)]
#[schemars(transparent)]
#[expect(dead_code, reason = "only describes the JSON Schema of MemberRef")]
struct MemberRefSchema(#[schemars(regex(pattern = MEMBER_REF_PATTERN))] String);

/// Length in bytes of the truncated HMAC a member reference's subject encodes.
const SUBJECT_BYTES: usize = 16;

impl MemberRef {
    /// PROTOCOL.md §2.3.
    ///
    /// The subject is the first 16 bytes of HMAC-SHA-256 with `key` (the home node's secret)
    /// over `host` ‖ 0x00 ‖ the 16 bytes of `member`, as unpadded base64url.
    pub fn pairwise(home: OrgId, key: &[u8], host: &OrgId, member: uuid::Uuid) -> MemberRef {
        let mut data = Vec::with_capacity(host.as_str().len() + 1 + 16);
        data.extend_from_slice(host.as_str().as_bytes());
        data.push(0);
        data.extend_from_slice(member.as_bytes());
        let mac = hmac_sha256(key, &data);
        MemberRef {
            home,
            subject: URL_SAFE_NO_PAD.encode(&mac[..SUBJECT_BYTES]),
        }
    }

    /// The home organisation: the only one that can map the reference to a person.
    pub fn home(&self) -> &OrgId {
        &self.home
    }

    /// The opaque 22-character part.
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

/// HMAC-SHA-256 (RFC 2104), from the RustCrypto crates jsonwebtoken already uses; the test
/// module checks it against RFC 4231 and against openssl's HMAC.
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl FromStr for MemberRef {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::MemberRef(s.to_owned());
        let (home, subject) = s.split_once(':').ok_or_else(bad)?;
        let home = home.parse().map_err(|_| bad())?;
        // 22 base64url characters that decode to 16 bytes and re-encode to themselves, so that
        // one member at one host has exactly one spelling.
        let canonical = subject.len() == 22
            && URL_SAFE_NO_PAD
                .decode(subject)
                .is_ok_and(|b| b.len() == SUBJECT_BYTES && URL_SAFE_NO_PAD.encode(&b) == subject);
        if !canonical {
            return Err(bad());
        }
        Ok(MemberRef {
            home,
            subject: subject.to_owned(),
        })
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
        write!(f, "{}:{}", self.home, self.subject)
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

    fn org(s: &str) -> OrgId {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn hmac_matches_rfc_4231_and_openssl() {
        // RFC 4231 test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (RFC 4231 test case 6).
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        for key in [&b"k"[..], &[7u8; 64], &[9u8; 65]] {
            let pkey = openssl::pkey::PKey::hmac(key).unwrap_or_else(|e| panic!("{e}"));
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)
                    .unwrap_or_else(|e| panic!("{e}"));
            let want = signer
                .sign_oneshot_to_vec(b"data")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(hmac_sha256(key, b"data").to_vec(), want);
        }
    }

    #[test]
    fn pairwise_member_refs() {
        let home = org("co-unit-1");
        let key = b"home secret";
        let member = uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0001);
        let at = |host: &str, m| MemberRef::pairwise(home.clone(), key, &org(host), m);
        let r = at("youyi-nanli", member);
        // Stable for one (host, member), and independent of anything but its inputs.
        assert_eq!(r, at("youyi-nanli", member));
        assert_eq!(r.home(), &home);
        assert_eq!(r.subject().len(), 22);
        // Different at another host, for another member, under another key.
        assert_ne!(r.subject(), at("xueyuan-nanlu", member).subject());
        assert_ne!(
            r.subject(),
            at("youyi-nanli", uuid::Uuid::from_u128(2)).subject()
        );
        assert_ne!(
            r.subject(),
            MemberRef::pairwise(home.clone(), b"other", &org("youyi-nanli"), member).subject()
        );
        // The HMAC input is host ‖ 0x00 ‖ uuid bytes, truncated to 16 bytes.
        let mut data = b"youyi-nanli\0".to_vec();
        data.extend_from_slice(member.as_bytes());
        assert_eq!(
            r.subject(),
            URL_SAFE_NO_PAD.encode(&hmac_sha256(key, &data)[..16])
        );
        // Round trips through text and JSON.
        let text = r.to_string();
        assert_eq!(text, format!("co-unit-1:{}", r.subject()));
        assert_eq!(text.parse::<MemberRef>(), Ok(r.clone()));
        let json = serde_json::to_string(&r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            serde_json::from_str::<MemberRef>(&json).unwrap_or_else(|e| panic!("{e}")),
            r
        );
    }

    #[test]
    fn member_ref_worked_example() {
        // PROTOCOL.md §2.3, the worked example.
        let r = MemberRef::pairwise(
            org("co-unit-1"),
            b"tongxin example key",
            &org("youyi-nanli"),
            uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0001),
        );
        assert_eq!(r.to_string(), "co-unit-1:TdNE-clUOdGIPoBm1TUJoA");
    }

    #[test]
    fn member_refs_refused() {
        assert!(
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAAA"
                .parse::<MemberRef>()
                .is_ok()
        );
        for bad in [
            "co-unit-1",
            "co-unit-1:",
            // the old form
            "co-unit-1:0192f1a4-0000-7000-8000-000000000001",
            "co.unit:AAAAAAAAAAAAAAAAAAAAAA",
            "CO-UNIT:AAAAAAAAAAAAAAAAAAAAAA",
            // non-canonical: the last character's four unused bits are not zero
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAAB",
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAA_",
            // too short, too long, padded, standard base64, white space
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAA",
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAAAA",
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAAA==",
            "co-unit-1:AAAAAAAAAAAAAAAAAAAA+A",
            "co-unit-1:AAAAAAAAAAAAAAAAAAAA/A",
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAAA ",
            "co-unit-1:AAAAAAAAAAAAAAAAAAAAAA:x",
        ] {
            assert!(bad.parse::<MemberRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn pattern_last_character_is_exactly_the_canonical_ones() {
        let class = MEMBER_REF_PATTERN
            .strip_suffix("]$")
            .and_then(|p| p.rsplit_once('['))
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("pattern ends in a class"));
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for c in alphabet.chars() {
            let s = format!("co-unit-1:{}{c}", "A".repeat(21));
            assert_eq!(s.parse::<MemberRef>().is_ok(), class.contains(c), "{s}");
        }
    }
}
