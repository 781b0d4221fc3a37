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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_vector_is_refused_by_a_real_node() {
    let suffix = format!("-{:06x}", rand::random::<u32>() & 0xff_ffff);
    let t = TestAlliance::with_suffix(now(), &suffix).unwrap();
    let mut a = Alliance::from_vectors(&t);
    let (out_user, out_pw) = a.outsider();
    let community = a.start("youyi-nanli", None).await;
    eventually(15, "receiver ready", || async {
        community.ready().await.then_some(())
    })
    .await;

    let hostile: Vec<_> = cases(&t).into_iter().filter(|c| c.expect != "ok").collect();
    assert!(hostile.len() >= 30, "only {} hostile cases", hostile.len());
    let routing_key = format!("org.{}.offer.published", community.org_id);
    for (i, c) in hostile.iter().enumerate() {
        // As the broker user of the organisation named in the certificate, where there is one
        // (the node then judges the message, not the broker login); otherwise as an outsider.
        let (user, pw) =
            match certificate_org(&c.jws).filter(|o| a.orgs.iter().any(|x| x.id.as_str() == o)) {
                Some(org) => (org, a.broker_password.clone()),
                None => (out_user.clone(), out_pw.clone()),
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
        .unwrap_or_else(|e| panic!("case {}: publishing failed: {e}", c.name));
        let newest = eventually(20, &format!("case {} rejected", c.name), || async {
            let items = community.get("/api/v1/messages/rejected?limit=1000").await["items"]
                .as_array()
                .unwrap()
                .clone();
            (items.len() == i + 1).then(|| items[0].clone())
        })
        .await;
        assert_eq!(
            newest["code"], c.expect,
            "case {} ({}): {}",
            c.name, c.note, newest["reason"]
        );
    }
    let dlq = format!("node.{}.dead", community.org_id);
    eventually(30, "every hostile message dead-lettered", || async {
        (queue_messages(&a.vhost, &dlq) == hostile.len() as i64).then_some(())
    })
    .await;
    assert_eq!(
        community.get("/api/v1/offers").await["total"],
        0,
        "state changed"
    );
    assert_eq!(
        community.get("/api/v1/needs").await["total"],
        0,
        "state changed"
    );
    assert!(
        community.ready().await,
        "the node is unhealthy after the catalogue"
    );
    eprintln!(
        "{} hostile vectors refused, each with its expected reason",
        hostile.len()
    );
    community.stop().await;
}
