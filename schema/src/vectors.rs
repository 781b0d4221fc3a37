//! Test vectors (PROTOCOL.md §9): a small alliance, and messages each paired with the verdict a
//! conforming verifier must reach. `cargo run -p tongxin-schema --example make-vectors` writes
//! them to `schema/vectors/`; our tests check both freshly made and checked-in vectors.
//!
//! Everything here, private keys included, is test material and must never be used for real.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::envelope::{Audience, MAX_TRUST_MESSAGE_BYTES, Message, Signer};
use crate::ids::{OrgId, OrgKind};
use crate::pki::{self, PkiError, RevocationList, Revoked, Root, Validity};
use crate::roster::{Roster, RosterDoc, RosterOrg, sign_roster};
use crate::v1::bodies::*;
use crate::v1::taxonomy::*;
use crate::v1::text::Text;

/// A node of the test alliance.
pub struct TestNode {
    pub org_id: OrgId,
    pub kind: OrgKind,
    pub key: PKey<Private>,
    pub cert: X509,
    pub signer: Signer,
}

/// A test alliance with a few organisations, one revoked, one expired, one off the roster, and
/// a node of a foreign alliance.
pub struct TestAlliance {
    pub now: i64,
    pub ca_key: PKey<Private>,
    pub ca_cert: X509,
    pub root: Root,
    pub nodes: Vec<TestNode>,
    pub crl_pem: String,
    pub roster_jws: String,
    pub foreign: TestNode,
    /// Appended to every org id (empty for the checked-in vectors): lets a test on a shared
    /// broker give the organisations user names nobody else uses.
    pub suffix: String,
}

/// Organisations of the test alliance: (org id, kind, name).
pub const ORGS: [(&str, OrgKind, &str); 7] = [
    ("lunan-zzb", OrgKind::OrgDepartment, "路南区委组织部"),
    ("xueyuan-nanlu", OrgKind::Street, "学院南路街道党工委"),
    ("youyi-nanli", OrgKind::Community, "友谊南里社区大党委"),
    ("loue-jia", OrgKind::BuildingAlliance, "楼e家党建联盟"),
    ("revoked-unit", OrgKind::CoBuildingUnit, "已吊销的共建单位"),
    (
        "expired-unit",
        OrgKind::CoBuildingUnit,
        "证书过期的共建单位",
    ),
    ("not-on-roster", OrgKind::NewEmployment, "未列入名册的支部"),
];

/// The home nodes' secret for the member references in the vectors (PROTOCOL.md §2.3): fixed, so
/// that regenerating the vectors keeps the same references. Test material only.
pub const MEMBER_KEY: &[u8] = b"tongxin test-vector member key";

fn node(
    ca_key: &PKey<Private>,
    ca: &X509,
    id: &str,
    kind: OrgKind,
    name: &str,
    validity: Validity,
) -> Result<TestNode, PkiError> {
    let org_id: OrgId = id.parse()?;
    let key = pki::generate_key()?;
    let csr = pki::make_csr(&key, &org_id, name)?;
    let cert = pki::issue(ca_key, ca, &csr, &org_id, kind, validity)?;
    let signer = Signer::new(&key, &cert)?;
    Ok(TestNode {
        org_id,
        kind,
        key,
        cert,
        signer,
    })
}

impl TestAlliance {
    pub fn new(now: i64) -> Result<TestAlliance, PkiError> {
        TestAlliance::with_suffix(now, "")
    }

    /// The same alliance with `suffix` appended to every org id.
    pub fn with_suffix(now: i64, suffix: &str) -> Result<TestAlliance, PkiError> {
        let ca_key = pki::generate_key()?;
        let ca_cert = pki::make_root(&ca_key, "路南区党建联盟 (test vectors)")?;
        let root = Root::new(ca_cert.clone())?;
        let mut nodes = Vec::new();
        for (id, kind, name) in ORGS {
            let validity = if id == "expired-unit" {
                Validity {
                    not_before: now - 30 * 86_400,
                    not_after: now - 86_400,
                }
            } else {
                Validity {
                    not_before: now - 86_400,
                    not_after: now + 3650 * 86_400,
                }
            };
            nodes.push(node(
                &ca_key,
                &ca_cert,
                &format!("{id}{suffix}"),
                kind,
                name,
                validity,
            )?);
        }
        let revoked_serial = pki::CertInfo::read(&nodes[4].cert)?.serial;
        let crl = pki::make_crl(
            &ca_key,
            &ca_cert,
            &[Revoked {
                serial: revoked_serial,
                org_id: format!("revoked-unit{suffix}"),
                revoked_at: now - 60,
            }],
            now - 60,
        )?;
        let crl_pem = String::from_utf8_lossy(&crl.to_pem()?).into_owned();
        let orgs = nodes
            .iter()
            .filter(|n| n.org_id.as_str() != format!("not-on-roster{suffix}"))
            .zip(ORGS)
            .map(|(n, (_, _, name))| {
                Ok(RosterOrg {
                    id: n.org_id.clone(),
                    name: Text::new(name).map_err(|e| PkiError::Crl(e.to_string()))?,
                    kind: n.kind,
                    parent: (n.kind == OrgKind::Community)
                        .then(|| n.org_id.clone())
                        .and(Some(format!("xueyuan-nanlu{suffix}").parse()?)),
                    grids: vec![],
                    certificate: String::from_utf8_lossy(&n.cert.to_pem()?).into_owned(),
                    // The receiver of the vectors publishes where members sign in (§4.5).
                    base_url: (n.kind == OrgKind::Community)
                        .then(|| "https://youyi-nanli.example.org/tongxin".to_owned()),
                })
            })
            .collect::<Result<Vec<_>, PkiError>>()?;
        let orgs = orgs
            .into_iter()
            .map(|mut o| {
                if o.kind != OrgKind::Community {
                    o.parent = None;
                }
                o
            })
            .collect();
        let doc = RosterDoc {
            v: 1,
            alliance: "路南区党建联盟 (test vectors)".into(),
            serial: 1,
            iat: now - 60,
            orgs,
        };
        let roster_jws =
            sign_roster(&ca_key, &ca_cert, &doc).map_err(|e| PkiError::Crl(e.to_string()))?;
        let foreign_key = pki::generate_key()?;
        let foreign_ca = pki::make_root(&foreign_key, "another alliance")?;
        let foreign = node(
            &foreign_key,
            &foreign_ca,
            &format!("youyi-nanli{suffix}"),
            OrgKind::Community,
            "冒名的社区",
            Validity::days(now - 86_400, 3650),
        )?;
        Ok(TestAlliance {
            now,
            ca_key,
            ca_cert,
            root,
            nodes,
            crl_pem,
            roster_jws,
            foreign,
            suffix: suffix.to_owned(),
        })
    }

    pub fn node(&self, id: &str) -> &TestNode {
        self.nodes
            .iter()
            .find(|n| n.org_id.as_str() == format!("{id}{}", self.suffix))
            .unwrap_or(&self.nodes[0])
    }

    /// A roster of this alliance (serial 2) with `extra` more co-building units `unit-001`, …,
    /// each with a fresh certificate from the root: about 1.8 KB per organisation once carried
    /// in `roster.published`.
    pub fn large_roster(&self, extra: usize) -> Result<String, Box<dyn std::error::Error>> {
        let mut doc = Roster::verify(&self.root, &self.roster_jws)?.doc().clone();
        for i in 1..=extra {
            let id = format!("unit-{i:03}");
            let name = format!("共建单位 {i:03}");
            let validity = Validity::days(self.now - 86_400, 3650);
            let n = node(
                &self.ca_key,
                &self.ca_cert,
                &id,
                OrgKind::CoBuildingUnit,
                &name,
                validity,
            )?;
            doc.orgs.push(RosterOrg {
                id: n.org_id,
                name: Text::new(name)?,
                kind: n.kind,
                parent: None,
                grids: vec![],
                certificate: String::from_utf8(n.cert.to_pem()?)?,
                base_url: None,
            });
        }
        doc.serial = 2;
        Ok(sign_roster(&self.ca_key, &self.ca_cert, &doc)?)
    }

    /// The verifier a receiver (`youyi-nanli`, the community) uses for the vectors.
    pub fn verifier(&self) -> Result<crate::Verifier, Box<dyn std::error::Error>> {
        let crl = RevocationList::from_pem(&self.root, self.crl_pem.as_bytes())?;
        let roster = Roster::verify(&self.root, &self.roster_jws)?;
        Ok(crate::Verifier::new(self.root.clone())
            .with_revocations(crl)
            .with_roster(roster)
            .for_receiver(self.node("youyi-nanli").org_id.clone()))
    }
}

/// One vector: a message and the verdict (`ok` or a [`crate::VerifyError::code`]).
#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    pub jws: String,
    pub expect: &'static str,
    pub note: &'static str,
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn split(jws: &str) -> (String, Value, String) {
    let mut p = jws.split('.');
    let h = p.next().unwrap_or_default().to_owned();
    let claims = p
        .next()
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|c| serde_json::from_slice(&c).ok())
        .unwrap_or(Value::Null);
    (h, claims, p.next().unwrap_or_default().to_owned())
}

/// The sample offer of the vectors.
pub fn sample_offer() -> OfferPublished {
    OfferPublished {
        offer_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0001),
        title: Text::new("便民驿站 共享会议室").unwrap_or_else(|_| unreachable!()),
        description: Text::new("工作日 9:00–17:00 可预约，容纳 20 人。")
            .unwrap_or_else(|_| unreachable!()),
        category: OfferCategory::Venue,
        capacity: 20,
        unit: Some(Text::new("seats").unwrap_or_else(|_| unreachable!())),
        skills: vec![],
        station: Some(StationKind::Convenience),
        grids: vec![],
        available_until: None,
    }
}

/// The sample co-building agreement of the vectors: `loue-jia` proposes it to `youyi-nanli`.
pub fn sample_agreement(now: i64) -> AgreementProposed {
    AgreementProposed {
        agreement_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0501),
        title: Text::new("楼e家 × 友谊南里 2027 年共建协议").unwrap_or_else(|_| unreachable!()),
        resources: vec![OfferCategory::Venue, OfferCategory::VolunteerSkill],
        services: Text::new("每月一次法律咨询进社区；周末开放三楼会议室供居民议事。")
            .unwrap_or_else(|_| unreachable!()),
        starts_at: now - 86_400,
        ends_at: now + 365 * 86_400,
        note: None,
    }
}

/// The sample confirmation of the vectors: `member` accepted a placement, and their home hands
/// the host their name and phone (test data, not a real number).
pub fn sample_confirmation(member: crate::MemberRef) -> SignupConfirmed {
    SignupConfirmed {
        signup_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0601),
        activity_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0602),
        member,
        name: Text::new("李明").unwrap_or_else(|_| unreachable!()),
        phone: Text::new("13800000000").unwrap_or_else(|_| unreachable!()),
    }
}

/// The sample logged service of the vectors (服务登记): `member` spent an hour on a service for
/// the community they report to, outside any activity, and their home logs it there.
pub fn sample_service(now: i64, member: crate::MemberRef) -> ServiceLogged {
    ServiceLogged {
        service_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0701),
        member,
        what: Text::new("为独居老人代购药品并陪同复诊").unwrap_or_else(|_| unreachable!()),
        category: ActivityCategory::VolunteerService,
        grid: Some(Text::new("xyn-07").unwrap_or_else(|_| unreachable!())),
        started_at: now - 7200,
        ended_at: now - 3600,
        minutes: 60,
    }
}

/// Builds every case. Signatures are fresh each time (Ed25519 is deterministic, but keys are not).
///
/// Every message gets its own `jti` (`0192f1a4-0000-7000-8000-000000000101`, `…102`, … in the
/// order they are made), and every case that carries claims is cut from its own message, so no
/// two cases share a `jti`: an implementation that deduplicates on (`iss`, `jti`) can run them
/// all through one node.
pub fn cases(a: &TestAlliance) -> Vec<Case> {
    let now = a.now;
    let street = a.node("xueyuan-nanlu");
    let community = a.node("youyi-nanli");
    let dept = a.node("lunan-zzb");
    let last_jti = std::cell::Cell::new(0x0192_f1a4_0000_7000_8000_0000_0000_0100_u128);
    let fresh_jti = || {
        last_jti.set(last_jti.get() + 1);
        Uuid::from_u128(last_jti.get())
    };
    let msg = |n: &TestNode, aud: Audience, seq: u64, body: crate::v1::Body| {
        let mut m = Message::new(n.org_id.clone(), aud, seq, now - 10, body);
        m.jti = fresh_jti();
        m
    };
    let sign = |n: &TestNode, m: &Message| n.signer.sign(m).unwrap_or_default();
    // Member `n` of `home`, as `host` knows them (PROTOCOL.md §2.3).
    let mref = |home: &TestNode, host: &TestNode, n: u128| {
        crate::MemberRef::pairwise(
            home.org_id.clone(),
            MEMBER_KEY,
            &host.org_id,
            Uuid::from_u128(n),
        )
    };
    // A new, well-signed offer from the street: the material of the tampering, header and
    // shape cases.
    let fresh_offer = || {
        sign(
            street,
            &msg(street, Audience::All, 1, sample_offer().into()),
        )
    };
    let mut out = Vec::new();
    let mut case = |name, jws: String, expect, note| {
        out.push(Case {
            name,
            jws,
            expect,
            note,
        })
    };

    let offer = msg(street, Audience::All, 1, sample_offer().into());
    case(
        "ok-offer-broadcast",
        sign(street, &offer),
        "ok",
        "a street broadcasts a venue offer",
    );
    let claim = NeedClaimed {
        claim_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0201),
        need_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0202),
        offer_id: Some(sample_offer().offer_id),
        note: None,
        member: None,
        display_name: None,
    };
    let direct = msg(
        street,
        Audience::Org(community.org_id.clone()),
        1,
        claim.clone().into(),
    );
    case(
        "ok-claim-direct",
        sign(street, &direct),
        "ok",
        "a direct message to the receiver",
    );
    let hello = msg(
        street,
        Audience::All,
        0,
        NodeHello {
            software: Text::new("tongxin 0.1").unwrap_or_else(|_| unreachable!()),
            heads: vec![StreamHead {
                stream: "all".into(),
                last_seq: 1,
            }],
        }
        .into(),
    );
    case(
        "ok-hello-control",
        sign(street, &hello),
        "ok",
        "control kind: stream control, seq 0",
    );
    let roster = msg(
        dept,
        Audience::All,
        1,
        RosterPublished {
            roster: a.roster_jws.clone(),
        }
        .into(),
    );
    case(
        "ok-roster-from-authority",
        sign(dept, &roster),
        "ok",
        "the organisation department publishes the roster",
    );
    let large = msg(
        dept,
        Audience::All,
        2,
        RosterPublished {
            roster: a.large_roster(40).unwrap_or_default(),
        }
        .into(),
    );
    case(
        "ok-roster-over-64k",
        sign(dept, &large),
        "ok",
        "a roster of 46 organisations, about 80 KB: trust documents may reach 1 MiB",
    );
    let withdrawal = ReportWithdrawn {
        report_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0401),
        member: mref(street, community, 0x0192_f1a4_0000_7000_8000_0000_0000_0005),
        reason: Some(Text::new("调往其他街道").unwrap_or_else(|_| unreachable!())),
    };
    case(
        "ok-report-withdrawn",
        sign(
            street,
            &msg(
                street,
                Audience::Org(community.org_id.clone()),
                1,
                withdrawal.clone().into(),
            ),
        ),
        "ok",
        "a street withdraws its member's 双报到 report from the community",
    );
    let loue = a.node("loue-jia");
    let proposal = sign(
        loue,
        &msg(
            loue,
            Audience::Org(community.org_id.clone()),
            1,
            sample_agreement(now).into(),
        ),
    );
    case(
        "ok-agreement-proposed",
        proposal.clone(),
        "ok",
        "a building alliance proposes a co-building agreement (共建协议) to the community",
    );
    let confirmation = sample_confirmation(mref(
        street,
        community,
        0x0192_f1a4_0000_7000_8000_0000_0000_0007,
    ));
    case(
        "ok-signup-confirmed",
        sign(
            street,
            &msg(
                street,
                Audience::Org(community.org_id.clone()),
                1,
                confirmation.clone().into(),
            ),
        ),
        "ok",
        "a street's member accepted the community's placement: the street hands the host the \
         member's name and phone",
    );
    let cancellation = SignupCancelled {
        signup_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0603),
        activity_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0604),
        member: mref(community, loue, 0x0192_f1a4_0000_7000_8000_0000_0000_0008),
        reason: Some(Text::new("活动场地临时调整，本场取消").unwrap_or_else(|_| unreachable!())),
    };
    case(
        "ok-signup-cancelled",
        sign(
            loue,
            &msg(
                loue,
                Audience::Org(community.org_id.clone()),
                1,
                cancellation.into(),
            ),
        ),
        "ok",
        "a building alliance, the host, cancels the placement of one of the community's members",
    );
    let service = sample_service(
        now,
        mref(street, community, 0x0192_f1a4_0000_7000_8000_0000_0000_0009),
    );
    case(
        "ok-service-logged",
        sign(
            street,
            &msg(
                street,
                Audience::Org(community.org_id.clone()),
                1,
                service.clone().into(),
            ),
        ),
        "ok",
        "a street logs an hour of its member's service (服务登记) with the community the member \
         reports to, for the community to approve",
    );

    // Tampering: change one claim, keep the signature.
    for (name, field) in [
        ("tamper-v", "v"),
        ("tamper-iss", "iss"),
        ("tamper-aud", "aud"),
        ("tamper-jti", "jti"),
        ("tamper-iat", "iat"),
        ("tamper-stream", "stream"),
        ("tamper-seq", "seq"),
        ("tamper-kind", "kind"),
        ("tamper-body", "body"),
    ] {
        let (h, mut c, sig) = split(&fresh_offer());
        c[field] = match field {
            "v" => json!(2),
            "iss" | "aud" => json!("loue-jia"),
            "jti" => json!(fresh_jti().hyphenated().to_string()),
            "iat" => json!(now - 11),
            "stream" => json!("org.youyi-nanli"),
            "seq" => json!(2),
            "kind" => json!("offer.withdrawn"),
            _ => {
                let mut b = c["body"].clone();
                b["capacity"] = json!(2000);
                b
            }
        };
        case(
            name,
            format!("{h}.{}.{sig}", b64(&c)),
            "bad_signature",
            "one claim changed after signing",
        );
    }
    let (h, claims, sig) = split(&fresh_offer());
    let mut flipped = sig.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    case(
        "tamper-signature",
        format!("{h}.{}.{}", b64(&claims), String::from_utf8_lossy(&flipped)),
        "bad_signature",
        "one signature character changed",
    );
    let (h, claims, _) = split(&fresh_offer());
    let other_sig = split(&fresh_offer()).2;
    case(
        "signature-of-other-message",
        format!("{h}.{}.{other_sig}", b64(&claims)),
        "bad_signature",
        "a valid signature, of another message",
    );
    // A host's attestation for one of the receiver's members, its hour made two after signing
    // (the body stays valid: only the signature gives it away).
    let attested = CheckinAttested {
        checkin_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0302),
        member: mref(community, loue, 0x0192_f1a4_0000_7000_8000_0000_0000_0008),
        activity_id: Some(Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0604)),
        category: ActivityCategory::VolunteerService,
        checked_in_at: now - 10_800,
        checked_out_at: now - 7200,
        minutes: 60,
        mode: Mode::Routine,
        corrects: None,
        closed_by_host: false,
    };
    let (h, mut c, sig) = split(&sign(
        loue,
        &msg(
            loue,
            Audience::Org(community.org_id.clone()),
            1,
            attested.into(),
        ),
    ));
    c["body"]["checked_out_at"] = json!(now - 3600);
    c["body"]["minutes"] = json!(120);
    case(
        "forged-checkin",
        format!("{h}.{}.{sig}", b64(&c)),
        "bad_signature",
        "a host's check-in attestation to the receiver, its 60 minutes made 120 after signing",
    );

    // Headers.
    let header = |f: &dyn Fn(&mut Value)| {
        let mut hv: Value = serde_json::to_value(street.signer.header()).unwrap_or_default();
        f(&mut hv);
        hv
    };
    // The street's signature of its own claims, under another header.
    let unsigned = |hv: Value| {
        let (_, claims, sig) = split(&fresh_offer());
        format!("{}.{}.{sig}", b64(&hv), b64(&claims))
    };
    case(
        "alg-none",
        format!(
            "{}.{}.",
            b64(&header(&|h| h["alg"] = json!("none"))),
            b64(&split(&fresh_offer()).1)
        ),
        "algorithm",
        "alg none",
    );
    case(
        "alg-hs256",
        unsigned(header(&|h| h["alg"] = json!("HS256"))),
        "algorithm",
        "a symmetric algorithm",
    );
    case(
        "typ-wrong",
        unsigned(header(&|h| h["typ"] = json!("JWT"))),
        "wrong_type",
        "typ is not tongxin+jwt",
    );
    case(
        "x5c-missing",
        unsigned(header(&|h| {
            h.as_object_mut().map(|o| o.remove("x5c"));
        })),
        "missing_certificate",
        "no certificate",
    );
    case(
        "kid-wrong",
        unsigned(header(&|h| h["kid"] = json!("00".repeat(32)))),
        "kid_mismatch",
        "kid is not the certificate's fingerprint",
    );
    let community_x5c = serde_json::to_value(community.signer.header()).unwrap_or_default();
    case(
        "x5c-swapped",
        unsigned(header(&|h| {
            h["x5c"] = community_x5c["x5c"].clone();
            h["kid"] = community_x5c["kid"].clone();
        })),
        "bad_signature",
        "another member's certificate in the header",
    );

    // Trust.
    let foreign = msg(&a.foreign, Audience::All, 1, sample_offer().into());
    case(
        "foreign-root",
        sign(&a.foreign, &foreign),
        "unknown_issuer",
        "signed by a node of another alliance",
    );
    let revoked = a.node("revoked-unit");
    case(
        "revoked",
        sign(
            revoked,
            &msg(revoked, Audience::All, 1, sample_offer().into()),
        ),
        "revoked",
        "sender's certificate is on the CRL",
    );
    let expired = a.node("expired-unit");
    case(
        "expired-certificate",
        sign(
            expired,
            &msg(expired, Audience::All, 1, sample_offer().into()),
        ),
        "certificate_expired",
        "sender's certificate expired before iat",
    );
    let stranger = a.node("not-on-roster");
    case(
        "not-on-roster",
        sign(
            stranger,
            &msg(stranger, Audience::All, 1, sample_offer().into()),
        ),
        "not_on_roster",
        "a certificate of the alliance, but not on the roster",
    );

    // Claims signed properly but wrong.
    let raw = |n: &TestNode, f: &dyn Fn(&mut Value)| {
        let (_, mut c, _) = split(
            &n.signer
                .sign(&msg(n, Audience::All, 1, sample_offer().into()))
                .unwrap_or_default(),
        );
        f(&mut c);
        n.signer.sign_raw_claims(None, &c).unwrap_or_default()
    };
    case(
        "version-2",
        raw(street, &|c| c["v"] = json!(2)),
        "unsupported_version",
        "v is not 1",
    );
    case(
        "kind-unknown",
        raw(street, &|c| c["kind"] = json!("offer.deleted")),
        "unknown_kind",
        "kind not in v1",
    );
    case(
        "body-missing-field",
        raw(street, &|c| {
            c["body"].as_object_mut().map(|o| o.remove("title"));
        }),
        "body",
        "offer without a title",
    );
    case(
        "body-extra-field",
        raw(street, &|c| c["body"]["price"] = json!(1)),
        "body",
        "unknown body field",
    );
    case(
        "body-wrong-type",
        raw(street, &|c| c["body"]["capacity"] = json!("twenty")),
        "body",
        "capacity is a string",
    );
    case(
        "body-capacity-zero",
        raw(street, &|c| c["body"]["capacity"] = json!(0)),
        "body",
        "capacity below its minimum of 1",
    );
    case(
        "body-too-many-skills",
        raw(street, &|c| {
            c["body"]["skills"] = json!(vec![Skill::Legal; 13])
        }),
        "body",
        "13 skills; at most 12",
    );
    case(
        "body-array",
        raw(street, &|c| {
            let b = c["body"].clone();
            c["body"] = [
                "offer_id",
                "title",
                "description",
                "category",
                "capacity",
                "unit",
                "skills",
                "station",
                "grids",
                "available_until",
            ]
            .iter()
            .map(|f| b[*f].clone())
            .collect();
        }),
        "body",
        "the body as an array of its fields in declaration order, not an object",
    );
    let checkin = CheckinAttested {
        checkin_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0301),
        member: mref(community, street, 0x0192_f1a4_0000_7000_8000_0000_0000_0004),
        activity_id: None,
        category: ActivityCategory::VolunteerService,
        checked_in_at: now - 7200,
        checked_out_at: now - 3600,
        minutes: 60,
        mode: Mode::Routine,
        corrects: None,
        closed_by_host: false,
    };
    let (_, mut c, _) = split(&sign(
        street,
        &msg(
            street,
            Audience::Org(community.org_id.clone()),
            1,
            checkin.clone().into(),
        ),
    ));
    c["body"]["minutes"] = json!(61);
    case(
        "body-minutes-over-span",
        street.signer.sign_raw_claims(None, &c).unwrap_or_default(),
        "body",
        "a check-in crediting 61 minutes for one hour",
    );
    let (_, mut c, _) = split(&sign(
        loue,
        &msg(
            loue,
            Audience::Org(community.org_id.clone()),
            1,
            sample_agreement(now).into(),
        ),
    ));
    c["body"]["ends_at"] = c["body"]["starts_at"].clone();
    case(
        "body-agreement-empty-term",
        loue.signer.sign_raw_claims(None, &c).unwrap_or_default(),
        "body",
        "a co-building agreement that ends when it starts",
    );
    let (_, mut c, _) = split(&sign(
        street,
        &msg(
            street,
            Audience::Org(community.org_id.clone()),
            1,
            service.clone().into(),
        ),
    ));
    c["body"]["minutes"] = json!(61);
    case(
        "body-service-minutes-over-span",
        street.signer.sign_raw_claims(None, &c).unwrap_or_default(),
        "body",
        "a logged service of one hour claiming 61 minutes",
    );
    case(
        "iss-mismatch",
        raw(street, &|c| c["iss"] = json!("loue-jia")),
        "issuer_mismatch",
        "iss is not the certificate's org",
    );
    case(
        "iat-future",
        raw(street, &|c| c["iat"] = json!(now + 3600)),
        "from_the_future",
        "iat an hour ahead",
    );
    case(
        "jti-not-v7",
        raw(street, &|c| {
            c["jti"] = json!("6f1c2a7e-3b0d-4b8a-9f00-000000000001")
        }),
        "claims",
        "jti is a UUIDv4",
    );
    case(
        "claim-missing",
        raw(street, &|c| {
            c.as_object_mut().map(|o| o.remove("seq"));
        }),
        "claims",
        "no seq",
    );
    case(
        "claim-extra",
        raw(street, &|c| c["exp"] = json!(now + 60)),
        "claims",
        "an unknown claim",
    );
    case(
        "claims-array",
        raw(street, &|c| {
            *c = [
                "v", "iss", "aud", "jti", "iat", "stream", "seq", "kind", "body",
            ]
            .iter()
            .map(|f| c[*f].clone())
            .collect();
        }),
        "claims",
        "the claims as an array of the nine values, not an object",
    );
    case(
        "stream-wrong",
        raw(street, &|c| c["stream"] = json!("org.youyi-nanli")),
        "stream",
        "a broadcast on a direct stream",
    );
    case(
        "seq-zero",
        raw(street, &|c| c["seq"] = json!(0)),
        "stream",
        "seq 0 outside the control stream",
    );
    case(
        "not-for-us",
        sign(
            street,
            &msg(
                street,
                Audience::Org(a.node("loue-jia").org_id.clone()),
                1,
                claim.clone().into(),
            ),
        ),
        "not_for_us",
        "direct message to another organisation",
    );

    // Rights.
    case(
        "rights-roster-from-community",
        sign(
            community,
            &msg(
                community,
                Audience::All,
                1,
                RosterPublished {
                    roster: a.roster_jws.clone(),
                }
                .into(),
            ),
        ),
        "not_permitted",
        "only the authority publishes the roster",
    );
    case(
        "rights-direct-kind-broadcast",
        raw(street, &|c| {
            c["kind"] = json!("need.claimed");
            c["body"] = serde_json::to_value(&claim).unwrap_or_default();
        }),
        "not_permitted",
        "need.claimed sent to the whole alliance",
    );
    case(
        "rights-report-to-street",
        sign(
            community,
            &msg(
                community,
                Audience::Org(street.org_id.clone()),
                1,
                ReportSubmitted {
                    report_id: Uuid::from_u128(7),
                    member: mref(
                        a.node("loue-jia"),
                        street,
                        0x0192_f1a4_0000_7000_8000_0000_0000_0003,
                    ),
                    display_name: None,
                    skills: vec![Skill::Legal],
                    availability: vec![],
                    grid: None,
                }
                .into(),
            ),
        ),
        "not_permitted",
        "a 双报到 report goes to a community, not a street",
    );
    case(
        "rights-withdrawal-to-street",
        sign(
            loue,
            &msg(
                loue,
                Audience::Org(street.org_id.clone()),
                1,
                ReportWithdrawn {
                    member: mref(loue, street, 0x0192_f1a4_0000_7000_8000_0000_0000_0006),
                    ..withdrawal
                }
                .into(),
            ),
        ),
        "not_permitted",
        "a report is withdrawn from a community, never from a street",
    );
    case(
        "rights-proposal-from-street",
        sign(
            street,
            &msg(
                street,
                Audience::Org(community.org_id.clone()),
                1,
                sample_agreement(now).into(),
            ),
        ),
        "not_permitted",
        "a street does not sign co-building agreements with its communities",
    );
    case(
        "rights-decision-from-unit",
        sign(
            loue,
            &msg(
                loue,
                Audience::Org(community.org_id.clone()),
                1,
                AgreementDecided {
                    agreement_id: sample_agreement(now).agreement_id,
                    proposal: AgreementDecided::digest(&proposal),
                    accepted: true,
                    note: None,
                }
                .into(),
            ),
        ),
        "not_permitted",
        "only the community decides a co-building agreement",
    );
    case(
        "rights-confirmation-to-non-host",
        sign(
            street,
            &msg(
                street,
                Audience::Org(dept.org_id.clone()),
                1,
                SignupConfirmed {
                    member: mref(street, dept, 0x0192_f1a4_0000_7000_8000_0000_0000_0007),
                    ..confirmation
                }
                .into(),
            ),
        ),
        "not_permitted",
        "a member's contact details go only to a host, and the organisation department hosts no \
         activities",
    );
    case(
        "rights-feedback-from-unit",
        sign(
            loue,
            &msg(
                loue,
                Audience::Org(community.org_id.clone()),
                1,
                FeedbackSent {
                    feedback_id: Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0801),
                    member: mref(community, loue, 0x0192_f1a4_0000_7000_8000_0000_0000_0008),
                    period_starts_at: now - 90 * 86_400,
                    period_ends_at: now - 86_400,
                    minutes: 600,
                    activities: 5,
                    grade: FeedbackGrade::Good,
                    evaluation: Text::new("按时参加楼宇志愿服务。")
                        .unwrap_or_else(|_| unreachable!()),
                }
                .into(),
            ),
        ),
        "not_permitted",
        "only the community a member reports to sends their home feedback (表现反馈), not a \
         building alliance",
    );
    case(
        "rights-auditor-attests",
        sign(
            dept,
            &msg(
                dept,
                Audience::Org(community.org_id.clone()),
                1,
                checkin.into(),
            ),
        ),
        "not_permitted",
        "the organisation department does not attest check-ins",
    );

    // Shape.
    case(
        "oversized",
        raw(street, &|c| {
            c["body"]["description"] = json!("x".repeat(70_000))
        }),
        "too_large",
        "a well-signed offer of about 96 KB (its description alone 70,000 characters): over the \
         64 KiB of an ordinary kind. The size limit of the kind is checked before the body.",
    );
    let good = fresh_offer();
    case(
        "oversized-any-kind",
        format!("{good}{}", "A".repeat(MAX_TRUST_MESSAGE_BYTES)),
        "too_large",
        "over 1 MiB: refused before anything else, whatever the kind",
    );
    case(
        "two-parts",
        fresh_offer()
            .rsplit_once('.')
            .map(|(a, _)| a.to_owned())
            .unwrap_or_default(),
        "malformed",
        "not three parts",
    );
    let (h, _, sig) = split(&fresh_offer());
    case(
        "not-base64",
        format!("{h}.@@@.{sig}"),
        "bad_signature",
        "payload is not base64url (the signature fails first)",
    );
    let (_, claims, sig) = split(&fresh_offer());
    case(
        "header-not-json",
        format!("{}.{}.{sig}", URL_SAFE_NO_PAD.encode("{alg"), b64(&claims)),
        "malformed",
        "header is not JSON",
    );
    case("empty", String::new(), "malformed", "empty input");
    out
}

/// A member-token case (PROTOCOL.md §4.7, §9): verify `jws` as host `host`, which started the
/// sign-in with `nonce`, at the alliance's `now`; the verdict is `expect`.
pub struct TokenCase {
    pub name: &'static str,
    pub jws: String,
    pub host: OrgId,
    pub nonce: &'static str,
    pub expect: &'static str,
    pub note: &'static str,
}

/// The nonce the host of the member-token vectors chose.
pub const MEMBER_TOKEN_NONCE: &str = "q8Kd3-vX_7pLm2Rz";

/// The sample member token's claims: a member of the street signs in at the community.
pub fn sample_member_claims(a: &TestAlliance) -> crate::token::MemberClaims {
    let (home, host) = (a.node("xueyuan-nanlu"), a.node("youyi-nanli"));
    crate::token::MemberClaims {
        iss: home.org_id.clone(),
        aud: host.org_id.clone(),
        sub: crate::MemberRef::pairwise(
            home.org_id.clone(),
            MEMBER_KEY,
            &host.org_id,
            Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0005),
        ),
        iat: a.now - 10,
        exp: a.now + 290,
        nonce: MEMBER_TOKEN_NONCE.into(),
        name: Some(Text::new("王红").unwrap_or_else(|_| unreachable!())),
        skills: vec![Skill::Legal, Skill::ElderlyCare],
    }
}

/// Every member-token case: one accepted, the rest refused, each for one reason.
pub fn member_token_cases(a: &TestAlliance) -> Vec<TokenCase> {
    let now = a.now;
    let street = a.node("xueyuan-nanlu");
    let host = a.node("youyi-nanli").org_id.clone();
    let good = sample_member_claims(a);
    let claims = serde_json::to_value(&good).unwrap_or_default();
    let header = |n: &TestNode, typ: &str| {
        let mut h = n.signer.header().clone();
        h.typ = Some(typ.to_owned());
        h
    };
    // `claims` edited by `f`, signed as a member token by `n` without the signer's checks.
    let raw = |n: &TestNode, f: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        f(&mut c);
        n.signer
            .sign_raw_claims(Some(&header(n, crate::token::MEMBER_TYP)), &c)
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut case = |name, jws: String, expect, note| {
        out.push(TokenCase {
            name,
            jws,
            host: host.clone(),
            nonce: MEMBER_TOKEN_NONCE,
            expect,
            note,
        })
    };
    let ok = street.signer.sign_member_token(&good).unwrap_or_default();
    case(
        "ok-member-token",
        ok.clone(),
        "ok",
        "a member of the street signs in at the community, sharing a name and two skills",
    );
    let (h, p, sig) = split(&ok);
    let mut tampered = p;
    tampered["skills"] = json!(["legal"]);
    case(
        "member-token-tampered",
        format!("{h}.{}.{sig}", b64(&tampered)),
        "bad_signature",
        "skills changed after signing",
    );
    case(
        "member-token-user-typ",
        street
            .signer
            .sign_raw_claims(Some(&header(street, crate::token::USER_TYP)), &claims)
            .unwrap_or_default(),
        "wrong_type",
        "member claims under typ tongxin-user+jwt",
    );
    case(
        "member-token-is-a-message",
        street
            .signer
            .sign(&Message::new(
                street.org_id.clone(),
                Audience::All,
                1,
                now - 10,
                sample_offer(),
            ))
            .unwrap_or_default(),
        "wrong_type",
        "a message presented as a member token",
    );
    case(
        "member-token-revoked",
        raw(a.node("revoked-unit"), &|c| {
            c["iss"] = json!(a.node("revoked-unit").org_id);
        }),
        "revoked",
        "signed by a revoked certificate",
    );
    case(
        "member-token-unknown-claim",
        raw(street, &|c| c["phone"] = json!("13800000000")),
        "claims",
        "a claim v1 does not define (here, a phone number)",
    );
    case(
        "member-token-aud-star",
        raw(street, &|c| c["aud"] = json!("*")),
        "claims",
        "aud is one organisation, never *",
    );
    case(
        "member-token-bad-nonce-form",
        raw(street, &|c| c["nonce"] = json!("short")),
        "claims",
        "a nonce of 5 characters",
    );
    case(
        "member-token-iss-mismatch",
        raw(street, &|c| c["iss"] = json!(a.node("loue-jia").org_id)),
        "issuer_mismatch",
        "iss is not the certificate's organisation",
    );
    let off = a.node("not-on-roster");
    case(
        "member-token-not-on-roster",
        raw(off, &|c| {
            c["iss"] = json!(off.org_id);
            c["sub"] = json!(crate::MemberRef::pairwise(
                off.org_id.clone(),
                MEMBER_KEY,
                &host,
                Uuid::from_u128(1)
            ));
        }),
        "not_on_roster",
        "the issuer is not on the roster",
    );
    case(
        "member-token-wrong-audience",
        raw(street, &|c| c["aud"] = json!(a.node("loue-jia").org_id)),
        "wrong_audience",
        "a token for another host",
    );
    case(
        "member-token-other-home",
        raw(street, &|c| {
            c["sub"] = json!(crate::MemberRef::pairwise(
                a.node("loue-jia").org_id.clone(),
                MEMBER_KEY,
                &host,
                Uuid::from_u128(1)
            ));
        }),
        "subject_mismatch",
        "the street vouches for a member of another organisation",
    );
    case(
        "member-token-expired",
        raw(street, &|c| {
            c["iat"] = json!(now - 700);
            c["exp"] = json!(now - 100);
        }),
        "certificate_expired",
        "expired 100 s ago",
    );
    case(
        "member-token-future",
        raw(street, &|c| {
            c["iat"] = json!(now + 400);
            c["exp"] = json!(now + 600);
        }),
        "certificate_expired",
        "issued 400 s in the future (beyond the 300 s skew)",
    );
    case(
        "member-token-too-long",
        raw(street, &|c| c["exp"] = json!(now - 10 + 601)),
        "claims",
        "lives 601 s",
    );
    case(
        "member-token-nonce-mismatch",
        raw(street, &|c| c["nonce"] = json!("another-sign-in-0001")),
        "nonce_mismatch",
        "the nonce of another sign-in",
    );
    case(
        "member-token-oversized",
        raw(street, &|c| c["name"] = json!("名".repeat(3000))),
        "too_large",
        "over 8 KiB",
    );
    out
}
