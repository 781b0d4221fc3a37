//! Sign → verify round trips, and every hostile case of the vectors on a fresh alliance.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use tongxin_schema::envelope::{Audience, Message, Stream, VerifyError};
use tongxin_schema::v1::{Body, Kind};
use tongxin_schema::vectors::{
    MEMBER_TOKEN_NONCE, TestAlliance, cases, member_token_cases, sample_agreement,
    sample_member_claims, sample_offer,
};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn round_trip_keeps_every_claim() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let sent = Message::new(
        street.org_id.clone(),
        Audience::All,
        42,
        a.now,
        sample_offer(),
    );
    let jws = street.signer.sign(&sent).unwrap();
    let got = v.verify(&jws, a.now).unwrap();
    assert_eq!(got.value(), &sent);
    assert_eq!(got.raw(), jws);
    assert_eq!(got.sender().org_id, street.org_id);
    assert_eq!(got.stream, Stream::All);
    assert_eq!(got.kind(), Kind::OfferPublished);
    assert_eq!(sent.routing_key(), "all.offer.published");
    assert!(matches!(got.body, Body::OfferPublished(ref o) if o.capacity == 20));
}

#[test]
fn every_case_gets_its_verdict() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let all = cases(&a);
    assert!(all.len() >= 40, "only {} cases", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let got = match v.verify(&c.jws, a.now) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        };
        if got != c.expect {
            failures.push(format!(
                "{}: expected {}, got {got} ({:?})",
                c.name,
                c.expect,
                v.verify(&c.jws, a.now).err()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn an_agreement_decision_reaches_the_proposer_and_names_the_proposal() {
    use tongxin_schema::v1::bodies::AgreementDecided;
    let a = TestAlliance::new(now()).unwrap();
    let all = cases(&a);
    let proposal = &all
        .iter()
        .find(|c| c.name == "ok-agreement-proposed")
        .unwrap()
        .jws;
    let (community, loue) = (a.node("youyi-nanli"), a.node("loue-jia"));
    let decision = AgreementDecided {
        agreement_id: sample_agreement(a.now).agreement_id,
        proposal: AgreementDecided::digest(proposal),
        accepted: true,
        note: None,
    };
    let sent = Message::new(
        community.org_id.clone(),
        Audience::Org(loue.org_id.clone()),
        1,
        a.now,
        decision,
    );
    let jws = community.signer.sign(&sent).unwrap();
    let at_loue = a.verifier().unwrap().for_receiver(loue.org_id.clone());
    let got = at_loue.verify(&jws, a.now).unwrap();
    let Body::AgreementDecided(d) = &got.body else {
        panic!("{:?}", got.body)
    };
    assert!(d.decides(proposal));
    assert_eq!(sent.routing_key(), "org.loue-jia.agreement.decided");
    // Only co-builders receive decisions: to a street it is outside the rights.
    let to_street = Message::new(
        community.org_id.clone(),
        Audience::Org(a.node("xueyuan-nanlu").org_id.clone()),
        1,
        a.now,
        got.body.clone(),
    );
    let err = a
        .verifier()
        .unwrap()
        .verify(&community.signer.sign(&to_street).unwrap(), a.now)
        .unwrap_err();
    assert_eq!(err.code(), "not_permitted");
}

#[test]
fn the_community_answers_a_logged_service_and_reports_back_to_the_home() {
    use tongxin_schema::v1::bodies::*;
    use tongxin_schema::v1::taxonomy::{FeedbackGrade, Mode};
    use tongxin_schema::v1::text::Text;
    let a = TestAlliance::new(now()).unwrap();
    let all = cases(&a);
    let logged = &all
        .iter()
        .find(|c| c.name == "ok-service-logged")
        .unwrap()
        .jws;
    let (community, street) = (a.node("youyi-nanli"), a.node("xueyuan-nanlu"));
    let verified = a.verifier().unwrap().verify(logged, a.now).unwrap();
    let Body::ServiceLogged(service) = verified.body.clone() else {
        panic!("ok-service-logged is a service.logged")
    };
    // The approval is a check-in attestation: its checkin_id is the service_id, no activity.
    let approval = CheckinAttested {
        checkin_id: service.service_id,
        member: service.member.clone(),
        activity_id: None,
        category: service.category,
        checked_in_at: service.started_at,
        checked_out_at: service.ended_at,
        minutes: service.minutes,
        mode: Mode::Routine,
        corrects: None,
        closed_by_host: false,
    };
    let answers: Vec<Body> = vec![
        approval.into(),
        ServiceDeclined {
            service_id: service.service_id,
            member: service.member.clone(),
            reason: Some(Text::new("该时段社区无此项服务安排").unwrap()),
        }
        .into(),
        FeedbackSent {
            feedback_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0802),
            member: service.member.clone(),
            period_starts_at: a.now - 180 * 86_400,
            period_ends_at: a.now,
            minutes: 1260,
            activities: 9,
            grade: FeedbackGrade::Excellent,
            evaluation: Text::new("积极参加社区志愿服务，结对帮扶耐心细致。").unwrap(),
        }
        .into(),
        PairingStarted {
            pairing_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0901),
            member: service.member.clone(),
            household: Text::new("第三网格 结对户 07").unwrap(),
            started_at: a.now - 86_400,
        }
        .into(),
        PairingEnded {
            pairing_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0901),
            member: service.member.clone(),
            reason: None,
        }
        .into(),
        SignupInvited {
            invitation_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0a01),
            activity_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0a02),
            member: service.member.clone(),
            team: Text::new("红色帮帮团").unwrap(),
            post_id: None,
            role: None,
            note: Some(Text::new("请提前十分钟集合").unwrap()),
        }
        .into(),
        NeedDone {
            claim_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0b01),
            need_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0b02),
            summary: Some(Text::new("已上门更换灯泡").unwrap()),
        }
        .into(),
        NeedReopened {
            claim_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0b01),
            need_id: uuid::Uuid::from_u128(0x0192_f1a4_0000_7000_8000_0000_0000_0b02),
            reason: Some(Text::new("老人说厨房的灯还不亮").unwrap()),
        }
        .into(),
    ];
    let at_home = a.verifier().unwrap().for_receiver(street.org_id.clone());
    for (seq, body) in (1..).zip(answers) {
        let kind = body.kind();
        let sent = Message::new(
            community.org_id.clone(),
            Audience::Org(street.org_id.clone()),
            seq,
            a.now,
            body.clone(),
        );
        let got = at_home
            .verify(&community.signer.sign(&sent).unwrap(), a.now)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(got.body, body);
        assert_eq!(
            sent.routing_key(),
            format!("org.xueyuan-nanlu.{kind}"),
            "{kind}"
        );
        // Never the other way: a home does not answer for the community. (A check-in is
        // attested by any host, and a claim's work goes between any two producers.)
        if !matches!(
            kind,
            Kind::CheckinAttested | Kind::NeedDone | Kind::NeedReopened
        ) {
            let back = Message::new(
                street.org_id.clone(),
                Audience::Org(community.org_id.clone()),
                1,
                a.now,
                body,
            );
            let err = a
                .verifier()
                .unwrap()
                .verify(&street.signer.sign(&back).unwrap(), a.now)
                .unwrap_err();
            assert_eq!(err.code(), "not_permitted", "{kind}");
        }
    }
    // A service is logged only with a community: to a building alliance it is outside the rights.
    let elsewhere = Message::new(
        street.org_id.clone(),
        Audience::Org(a.node("loue-jia").org_id.clone()),
        1,
        a.now,
        service,
    );
    let err = a
        .verifier()
        .unwrap()
        .for_receiver(a.node("loue-jia").org_id.clone())
        .verify(&street.signer.sign(&elsewhere).unwrap(), a.now)
        .unwrap_err();
    assert_eq!(err.code(), "not_permitted");
}

#[test]
fn every_member_token_case_gets_its_verdict() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let mut failures = Vec::new();
    for c in member_token_cases(&a) {
        let got = v.verify_member_token(&c.jws, a.now, &c.host, c.nonce);
        let code = got.as_ref().map(|_| "ok").unwrap_or_else(|e| e.code());
        if code != c.expect {
            failures.push(format!("{}: expected {}, got {got:?}", c.name, c.expect));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Every refusal code of §4.7 that is particular to member tokens has a case.
    let codes: Vec<_> = member_token_cases(&a).iter().map(|c| c.expect).collect();
    for code in [
        "ok",
        "too_large",
        "wrong_type",
        "bad_signature",
        "revoked",
        "claims",
        "issuer_mismatch",
        "not_on_roster",
        "wrong_audience",
        "subject_mismatch",
        "certificate_expired",
        "nonce_mismatch",
    ] {
        assert!(codes.contains(&code), "no member-token case for {code}");
    }
}

#[test]
fn a_member_token_round_trips_and_is_not_a_user_token() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let claims = sample_member_claims(&a);
    let street = a.node("xueyuan-nanlu");
    let token = street.signer.sign_member_token(&claims).unwrap();
    let got = v
        .verify_member_token(&token, a.now, &claims.aud, MEMBER_TOKEN_NONCE)
        .unwrap();
    assert_eq!(got.value(), &claims);
    assert_eq!(got.raw(), token);
    assert_eq!(got.sender().org_id, street.org_id);
    // Neither token passes as the other, nor as a message.
    assert_eq!(
        v.verify_user_token(&token, a.now).unwrap_err().code(),
        "wrong_type"
    );
    assert_eq!(v.verify(&token, a.now).unwrap_err().code(), "wrong_type");
    // At the edges of the window: valid until just before exp, and from iat − 300 s.
    let host = &claims.aud;
    assert!(
        v.verify_member_token(&token, claims.exp - 1, host, MEMBER_TOKEN_NONCE)
            .is_ok()
    );
    assert!(
        v.verify_member_token(&token, claims.exp, host, MEMBER_TOKEN_NONCE)
            .is_err()
    );
    assert!(
        v.verify_member_token(&token, claims.iat - 300, host, MEMBER_TOKEN_NONCE)
            .is_ok()
    );
    assert!(
        v.verify_member_token(&token, claims.iat - 301, host, MEMBER_TOKEN_NONCE)
            .is_err()
    );
    // The nonce is compared exactly, and the verifier does not remember it (the host does).
    let upper = MEMBER_TOKEN_NONCE.to_uppercase();
    assert_eq!(
        v.verify_member_token(&token, a.now, host, &upper)
            .unwrap_err(),
        VerifyError::NonceMismatch
    );
    assert!(
        v.verify_member_token(&token, a.now, host, MEMBER_TOKEN_NONCE)
            .is_ok()
    );
}

#[test]
fn the_signer_refuses_member_tokens_every_host_would_refuse() {
    let a = TestAlliance::new(now()).unwrap();
    let street = a.node("xueyuan-nanlu");
    let good = sample_member_claims(&a);
    let refused = |edit: &dyn Fn(&mut tongxin_schema::token::MemberClaims), why: &str| {
        let mut c = good.clone();
        edit(&mut c);
        let err = street.signer.sign_member_token(&c).unwrap_err().to_string();
        assert!(err.contains(why), "{why}: {err}");
    };
    refused(
        &|c| c.iss = a.node("loue-jia").org_id.clone(),
        "not this signer",
    );
    refused(
        &|c| {
            c.sub = tongxin_schema::MemberRef::pairwise(
                a.node("loue-jia").org_id.clone(),
                b"k",
                &c.aud,
                uuid::Uuid::nil(),
            )
        },
        "is not a member of",
    );
    refused(&|c| c.aud = c.iss.clone(), "the issuer itself");
    refused(&|c| c.nonce = "x".repeat(15), "nonce");
    refused(&|c| c.nonce = "x".repeat(129), "nonce");
    refused(&|c| c.nonce = format!("{}!", "x".repeat(16)), "nonce");
    refused(
        &|c| c.skills = vec![tongxin_schema::v1::taxonomy::Skill::Legal; 13],
        "skills",
    );
    refused(&|c| c.exp = c.iat + 601, "601 s");
    refused(&|c| c.exp = c.iat, "0 s");
    // At the limits it signs.
    let mut c = good.clone();
    c.exp = c.iat + 600;
    c.nonce = "x".repeat(128);
    assert!(street.signer.sign_member_token(&c).is_ok());
}

#[test]
fn a_verifier_without_crl_or_roster_still_refuses_foreign_roots() {
    let a = TestAlliance::new(now()).unwrap();
    let bare = tongxin_schema::Verifier::new(a.root.clone());
    let foreign = Message::new(
        a.foreign.org_id.clone(),
        Audience::All,
        1,
        a.now,
        sample_offer(),
    );
    let err = bare
        .verify(&a.foreign.signer.sign(&foreign).unwrap(), a.now)
        .unwrap_err();
    assert_eq!(err, VerifyError::UnknownIssuer);
    // Without a CRL the revoked node's messages pass the envelope check: revocation is only as
    // good as the list a node holds, which is why nodes load it before consuming.
    let revoked = a.node("revoked-unit");
    let m = Message::new(
        revoked.org_id.clone(),
        Audience::All,
        1,
        a.now,
        sample_offer(),
    );
    assert!(
        bare.verify(&revoked.signer.sign(&m).unwrap(), a.now)
            .is_ok()
    );
}

#[test]
fn error_codes_are_listed() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    for c in cases(&a) {
        if let Err(e) = v.verify(&c.jws, a.now) {
            assert!(VerifyError::CODES.contains(&e.code()), "{}", e.code());
        }
    }
    for c in member_token_cases(&a) {
        assert!(
            c.expect == "ok" || VerifyError::CODES.contains(&c.expect),
            "{}",
            c.expect
        );
    }
}

/// The claims of a freshly signed sample offer from the street, as JSON.
fn offer_claims(a: &TestAlliance) -> serde_json::Value {
    use base64::Engine;
    let street = a.node("xueyuan-nanlu");
    let m = Message::new(
        street.org_id.clone(),
        Audience::All,
        1,
        a.now,
        sample_offer(),
    );
    let jws = street.signer.sign(&m).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jws.split('.').nth(1).unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[test]
fn claims_and_bodies_must_be_json_objects() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let c = offer_claims(&a);
    let sign = |c: &serde_json::Value| street.signer.sign_raw_claims(None, c).unwrap();
    assert!(v.verify(&sign(&c), a.now).is_ok());

    let names = [
        "v", "iss", "aud", "jti", "iat", "stream", "seq", "kind", "body",
    ];
    let as_array: serde_json::Value = names.iter().map(|n| c[*n].clone()).collect();
    let err = v.verify(&sign(&as_array), a.now).unwrap_err();
    assert!(
        matches!(err, VerifyError::Claims(ref r) if r.contains("not a JSON object")),
        "{err}"
    );

    let fields = [
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
    ];
    let mut body_array = c.clone();
    body_array["body"] = fields.iter().map(|f| c["body"][*f].clone()).collect();
    let err = v.verify(&sign(&body_array), a.now).unwrap_err();
    assert!(
        matches!(err, VerifyError::Body { kind: Kind::OfferPublished, ref reason } if reason.contains("not a JSON object")),
        "{err}"
    );
}

#[test]
fn body_limits_are_enforced_by_verify_and_sign() {
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let mut c = offer_claims(&a);
    c["body"]["skills"] = serde_json::json!(["legal"; 13].to_vec());
    let err = v
        .verify(&street.signer.sign_raw_claims(None, &c).unwrap(), a.now)
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Body { ref reason, .. } if reason.starts_with("skills")),
        "{err}"
    );
    let mut zero = sample_offer();
    zero.capacity = 0;
    let m = Message::new(street.org_id.clone(), Audience::All, 1, a.now, zero);
    let err = street.signer.sign(&m).unwrap_err();
    assert!(err.to_string().contains("capacity"), "{err}");
}

#[test]
fn roster_documents_must_be_json_objects() {
    use base64::Engine;
    use tongxin_schema::roster::{Roster, RosterError};
    let a = TestAlliance::new(now()).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (h, p, _) = {
        let mut it = a.roster_jws.split('.');
        (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
    };
    let doc: serde_json::Value = serde_json::from_slice(&b64.decode(p).unwrap()).unwrap();
    let key = jsonwebtoken::EncodingKey::from_ed_der(&a.ca_key.private_key_to_pkcs8().unwrap());
    let resign = |payload: &serde_json::Value| {
        let p = b64.encode(payload.to_string());
        let sig = jsonwebtoken::crypto::sign(
            format!("{h}.{p}").as_bytes(),
            &key,
            jsonwebtoken::Algorithm::EdDSA,
        )
        .unwrap();
        format!("{h}.{p}.{sig}")
    };
    assert!(Roster::verify(&a.root, &resign(&doc)).is_ok());

    let names = ["v", "alliance", "serial", "iat", "orgs"];
    let as_array: serde_json::Value = names.iter().map(|n| doc[*n].clone()).collect();
    let err = Roster::verify(&a.root, &resign(&as_array)).unwrap_err();
    assert!(
        matches!(err, RosterError::Malformed(ref r) if r.contains("not a JSON object")),
        "{err}"
    );

    let entry = ["id", "name", "kind", "parent", "grids", "certificate"];
    let mut nested = doc.clone();
    nested["orgs"] = doc["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            entry
                .iter()
                .map(|f| o[*f].clone())
                .collect::<serde_json::Value>()
        })
        .collect();
    let err = Roster::verify(&a.root, &resign(&nested)).unwrap_err();
    assert!(
        matches!(err, RosterError::Malformed(ref r) if r.contains("a JSON object")),
        "{err}"
    );
}

#[test]
fn trust_documents_may_exceed_64k_up_to_1_mib() {
    use tongxin_schema::envelope::{MAX_MESSAGE_BYTES, MAX_TRUST_MESSAGE_BYTES};
    use tongxin_schema::roster::Roster;
    use tongxin_schema::v1::bodies::{RevocationPublished, RosterPublished};
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let dept = a.node("lunan-zzb");
    let roster = a.large_roster(110).unwrap();
    assert_eq!(Roster::verify(&a.root, &roster).unwrap().orgs().len(), 116);
    let m = Message::new(
        dept.org_id.clone(),
        Audience::All,
        1,
        a.now,
        RosterPublished { roster },
    );
    let jws = dept.signer.sign(&m).unwrap();
    assert!(jws.len() > 190_000 && jws.len() < 250_000, "{}", jws.len());
    assert_eq!(v.verify(&jws, a.now).unwrap().value(), &m);

    let crl = Message::new(
        dept.org_id.clone(),
        Audience::All,
        2,
        a.now,
        RevocationPublished {
            crl_pem: "x".repeat(MAX_MESSAGE_BYTES),
        },
    );
    assert!(v.verify(&dept.signer.sign(&crl).unwrap(), a.now).is_ok());
    let too_big = Message::new(
        dept.org_id.clone(),
        Audience::All,
        3,
        a.now,
        RevocationPublished {
            crl_pem: "x".repeat(MAX_TRUST_MESSAGE_BYTES),
        },
    );
    assert!(dept.signer.sign(&too_big).is_err());
}

#[test]
fn other_kinds_stay_within_64k() {
    use strum::VariantArray;
    use tongxin_schema::envelope::{MAX_MESSAGE_BYTES, MAX_TRUST_MESSAGE_BYTES};
    use tongxin_schema::v1::bodies::{
        CounterpartRoot, ParticipationReported, ParticipationRow, ParticipationSide, ReportPeriod,
    };
    use tongxin_schema::v1::taxonomy::ActivityCategory;
    use tongxin_schema::v1::taxonomy::Mode;
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");

    // Well signed, over 64 KiB, under 1 MiB: refused once the kind is known, before the body.
    let mut c = offer_claims(&a);
    c["body"]["description"] = serde_json::json!("x".repeat(70_000));
    let jws = street.signer.sign_raw_claims(None, &c).unwrap();
    assert_eq!(
        v.verify(&jws, a.now).unwrap_err(),
        VerifyError::TooLarge {
            size: jws.len(),
            limit: MAX_MESSAGE_BYTES
        }
    );
    let junk = format!("{jws}{}", "A".repeat(MAX_TRUST_MESSAGE_BYTES));
    assert_eq!(
        v.verify(&junk, a.now).unwrap_err(),
        VerifyError::TooLarge {
            size: junk.len(),
            limit: MAX_TRUST_MESSAGE_BYTES
        }
    );

    // A body within its own limits can still be too large to send as one message.
    let (period_start, period_end) = tongxin_schema::period::previous(ReportPeriod::Day, a.now);
    let homes: Vec<tongxin_schema::OrgId> = (0..140)
        .map(|n| format!("unit-{n:03}").parse().unwrap())
        .collect();
    let mut rows = Vec::new();
    for home in &homes {
        for category in ActivityCategory::VARIANTS {
            for mode in [Mode::Routine, Mode::Emergency] {
                rows.push(ParticipationRow {
                    counterpart: home.clone(),
                    category: *category,
                    mode,
                    members: 10,
                    checkins: 20,
                    minutes: 1200,
                });
            }
        }
    }
    let report = ParticipationReported {
        report_id: uuid::Uuid::now_v7(),
        side: ParticipationSide::Host,
        period: ReportPeriod::Day,
        period_start,
        period_end,
        revision: 1,
        part: 1,
        parts: 1,
        k: 3,
        totals: Default::default(),
        rows,
        suppressed: vec![],
        roots: homes
            .iter()
            .map(|h| CounterpartRoot {
                counterpart: h.clone(),
                checkins: 280,
                root: "ab".repeat(32),
            })
            .collect(),
        grids: vec![],
    };
    assert_eq!(
        tongxin_schema::v1::Body::from(report.clone()).check(),
        Ok(())
    );
    let m = Message::new(
        street.org_id.clone(),
        Audience::Org("lunan-zzb".parse().unwrap()),
        1,
        a.now,
        report,
    );
    let err = street.signer.sign(&m).unwrap_err();
    assert!(err.to_string().contains("65536"), "{err}");
}

#[test]
fn every_vector_has_its_own_jti() {
    use base64::Engine;
    let a = TestAlliance::new(now()).unwrap();
    let mut seen = std::collections::HashMap::new();
    for c in cases(&a) {
        let claims = c
            .jws
            .split('.')
            .nth(1)
            .and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok());
        let jti = claims.as_ref().and_then(|c| {
            c.get("jti")
                .or_else(|| c.get(3)) // the claims-array case
                .and_then(|j| j.as_str().map(str::to_owned))
        });
        if let Some(jti) = jti
            && let Some(other) = seen.insert(jti.clone(), c.name)
        {
            panic!("{} and {other} share jti {jti}", c.name);
        }
    }
    assert!(seen.len() >= 40, "only {} jtis", seen.len());
}

#[test]
fn user_token_claims_must_be_a_json_object() {
    use tongxin_schema::token::{Role, USER_TYP, UserClaims};
    let a = TestAlliance::new(now()).unwrap();
    let v = a.verifier().unwrap();
    let street = a.node("xueyuan-nanlu");
    let claims = UserClaims {
        iss: street.org_id.clone(),
        sub: "u1".into(),
        role: Role::Admin,
        iat: a.now,
        exp: a.now + 3600,
    };
    let token = street.signer.sign_user_token(&claims).unwrap();
    assert_eq!(v.verify_user_token(&token, a.now).unwrap().value(), &claims);
    let mut header = street.signer.header().clone();
    header.typ = Some(USER_TYP.to_owned());
    let array = serde_json::json!([claims.iss, "u1", "admin", a.now, a.now + 3600]);
    let token = street
        .signer
        .sign_raw_claims(Some(&header), &array)
        .unwrap();
    assert!(matches!(
        v.verify_user_token(&token, a.now),
        Err(VerifyError::Claims(_))
    ));
}
