//! Every hostile vector of the protocol (schema/vectors: bit flips in each part, foreign keys
//! and CAs, expired and revoked certificates, iss/certificate mismatch, kinds outside the
//! sender's rights, claims and bodies out of shape, oversized, time travel, …) sent through the
//! real broker to a real node: each is rejected with the vector's reason, dead-lettered, listed
//! for the admin, and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use base64::Engine;
use tongxin_schema::vectors::{TestAlliance, cases};
use tongxin_tests::*;

/// The organisation whose certificate is in the message's x5c header, if any.
fn certificate_org(jws: &str) -> Option<String> {
    let header = jws.split('.').next()?;
    let json: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .ok()?,
    )
    .ok()?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(json["x5c"][0].as_str()?)
        .ok()?;
    let cert = openssl::x509::X509::from_der(&der).ok()?;
    Some(
        tongxin_schema::pki::CertInfo::read(&cert)
            .ok()?
            .org_id
            .to_string(),
    )
}

/// Sends one hostile vector through the real broker to a real node of its own; it must be
/// rejected with the vector's code, dead-lettered, listed for the admin, and change nothing.
async fn refused(name: &str) {
    let suffix = format!("-{:06x}", rand::random::<u32>() & 0xff_ffff);
    let t = TestAlliance::with_suffix(now(), &suffix).unwrap();
    let c = cases(&t)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no vector {name}"));
    assert_ne!(c.expect, "ok", "{name} is not a hostile vector");
    // Broker users only for the receiver and the organisation named in the certificate.
    let sender = certificate_org(&c.jws);
    let mut a = Alliance::from_vectors_with(&t, |o| {
        o.as_str().starts_with("youyi-nanli-") || sender.as_deref() == Some(o.as_str())
    });
    let community = a.start("youyi-nanli", None).await;
    eventually(15, "receiver ready", || async {
        community.ready().await.then_some(())
    })
    .await;
    let routing_key = format!("org.{}.offer.published", community.org_id);
    // As the broker user of the organisation named in the certificate, where there is one
    // (the node then judges the message, not the broker login); otherwise as an outsider.
    let (user, pw) = match sender.filter(|o| a.orgs.iter().any(|x| x.id.as_str() == o)) {
        Some(org) => (org, a.broker_password.clone()),
        None => a.outsider(),
    };
    publish_raw(
        &a.vhost,
        &user,
        &pw,
        &routing_key,
        c.jws.as_bytes(),
        node_props("hostile", "offer.published", Some(&user)),
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: publishing failed: {e}"));
    let listed = eventually(20, &format!("{name} rejected"), || async {
        let items = community.get("/api/v1/messages/rejected?limit=10").await["items"]
            .as_array()
            .unwrap()
            .clone();
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(listed.len(), 1, "{name}: {listed:?}");
    assert_eq!(
        listed[0]["code"], c.expect,
        "{name} ({}): {}",
        c.note, listed[0]["reason"]
    );
    // Dead-lettered: the very message is in the receiver's dead-letter queue.
    let dlq = format!("node.{}.dead", community.org_id);
    let dead = take_one(
        &a.vhost,
        community.org_id.as_str(),
        &a.broker_password,
        &dlq,
    )
    .await;
    assert_eq!(
        dead,
        c.jws.as_bytes(),
        "{name}: another message was dead-lettered"
    );
    for list in ["/api/v1/offers", "/api/v1/needs"] {
        assert_eq!(
            community.get(list).await["total"],
            0,
            "{name}: state changed"
        );
    }
    assert_eq!(
        received_count(&community).await,
        0,
        "{name}: recorded as received"
    );
    assert!(community.ready().await, "{name}: the node is unhealthy");
    community.stop().await;
}

/// One test per hostile vector.
macro_rules! hostile {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                refused($name).await;
            }
        )*
        /// Every hostile vector of the protocol crate has its test here, and no more.
        #[test]
        fn the_catalogue_covers_every_hostile_vector() {
            let t = TestAlliance::new(now()).unwrap();
            let mut vectors: Vec<&str> =
                cases(&t).iter().filter(|c| c.expect != "ok").map(|c| c.name).collect();
            let mut tested = vec![$($name),*];
            vectors.sort();
            tested.sort();
            assert_eq!(tested, vectors);
            assert!(tested.len() >= 30);
        }
    };
}

hostile! {
    tamper_v => "tamper-v",
    tamper_iss => "tamper-iss",
    tamper_aud => "tamper-aud",
    tamper_jti => "tamper-jti",
    tamper_iat => "tamper-iat",
    tamper_stream => "tamper-stream",
    tamper_seq => "tamper-seq",
    tamper_kind => "tamper-kind",
    tamper_body => "tamper-body",
    forged_checkin => "forged-checkin",
    tamper_signature => "tamper-signature",
    signature_of_other_message => "signature-of-other-message",
    alg_none => "alg-none",
    alg_hs256 => "alg-hs256",
    typ_wrong => "typ-wrong",
    x5c_missing => "x5c-missing",
    kid_wrong => "kid-wrong",
    x5c_swapped => "x5c-swapped",
    foreign_root => "foreign-root",
    revoked => "revoked",
    expired_certificate => "expired-certificate",
    not_on_roster => "not-on-roster",
    version_2 => "version-2",
    kind_unknown => "kind-unknown",
    body_missing_field => "body-missing-field",
    body_extra_field => "body-extra-field",
    body_wrong_type => "body-wrong-type",
    body_capacity_zero => "body-capacity-zero",
    body_too_many_skills => "body-too-many-skills",
    body_array => "body-array",
    body_minutes_over_span => "body-minutes-over-span",
    body_agreement_empty_term => "body-agreement-empty-term",
    body_service_minutes_over_span => "body-service-minutes-over-span",
    iss_mismatch => "iss-mismatch",
    iat_future => "iat-future",
    jti_not_v7 => "jti-not-v7",
    claim_missing => "claim-missing",
    claim_extra => "claim-extra",
    claims_array => "claims-array",
    stream_wrong => "stream-wrong",
    seq_zero => "seq-zero",
    not_for_us => "not-for-us",
    rights_roster_from_community => "rights-roster-from-community",
    rights_direct_kind_broadcast => "rights-direct-kind-broadcast",
    rights_report_to_street => "rights-report-to-street",
    rights_withdrawal_to_street => "rights-withdrawal-to-street",
    rights_proposal_from_street => "rights-proposal-from-street",
    rights_decision_from_unit => "rights-decision-from-unit",
    rights_confirmation_to_non_host => "rights-confirmation-to-non-host",
    rights_feedback_from_unit => "rights-feedback-from-unit",
    rights_auditor_attests => "rights-auditor-attests",
    oversized => "oversized",
    oversized_any_kind => "oversized-any-kind",
    two_parts => "two-parts",
    not_base64 => "not-base64",
    header_not_json => "header-not-json",
    empty => "empty",
}
