//! Key rotation as deploy/README.md describes it: a new key and certificate for the same org
//! id, a new roster from the authority's node, the node restarted with the new pair; then the
//! old certificate revoked. The node's streams continue across the change.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::Value;
use tongxin_schema::OrgKind;
use tongxin_schema::envelope::{Audience, Message, Signer};
use tongxin_schema::pki::{self, Validity};
use tongxin_schema::vectors::sample_offer;
use tongxin_tests::*;

async fn head_at(n: &RunningNode, iss: &tongxin_schema::OrgId) -> Option<i64> {
    stream_state(n, iss, "all").await.map(|(last, _)| last)
}

fn rejected(v: &Value) -> Vec<Value> {
    v["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_rotates_its_key_and_the_old_certificate_is_revoked() {
    let mut a = Alliance::new(&[
        ("zzb", OrgKind::OrgDepartment, "区委组织部", None),
        ("community", OrgKind::Community, "友谊南里社区大党委", None),
        ("street", OrgKind::Street, "学院南路街道党工委", None),
    ]);
    let zzb = a.start("zzb", None).await;
    let community = a.start("community", None).await;
    let street = a.start("street", None).await;
    for n in [&zzb, &community, &street] {
        eventually(10, "node ready", || async { n.ready().await.then_some(()) }).await;
    }
    let cid = community.org_id.clone();
    community
        .ok_post("/api/v1/offers", offer_input("轮换前"))
        .await;
    eventually(15, "the first offer at the street", || async {
        (head_at(&street, &cid).await == Some(1)).then_some(())
    })
    .await;

    // 1. The organisation makes a new key and CSR; the authority issues a certificate for the
    //    same org id and signs a roster naming it.
    let idx = a.orgs.iter().position(|o| o.id == cid).unwrap();
    let (old_key, old_cert) = (a.orgs[idx].key.clone(), a.orgs[idx].cert.clone());
    let new_key = pki::generate_key().unwrap();
    let csr = pki::make_csr(&new_key, &cid, &a.orgs[idx].name).unwrap();
    let new_cert = pki::issue(
        &a.ca_key,
        &a.ca_cert,
        &csr,
        &cid,
        OrgKind::Community,
        Validity::days(now() - 60, 30),
    )
    .unwrap();
    assert_ne!(
        pki::CertInfo::read(&new_cert).unwrap().serial,
        pki::CertInfo::read(&old_cert).unwrap().serial
    );
    a.orgs[idx].key = new_key.clone();
    a.orgs[idx].cert = new_cert.clone();
    a.write_roster(|_| true);

    // 2. The authority's node restarts and broadcasts the roster.
    zzb.stop().await;
    let zzb = a.start("zzb", None).await;
    eventually(15, "roster 2 at the street", || async {
        (street.get("/api/v1/orgs").await["serial"] == 2).then_some(())
    })
    .await;

    // 3. The node swaps node.key / node.pem and restarts; its stream continues at seq 2.
    community.stop().await;
    let dir = a.orgs[idx].dir.clone();
    std::fs::write(
        dir.join("node.key"),
        new_key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("node.pem"), new_cert.to_pem().unwrap()).unwrap();
    let community = a.start("community", None).await;
    eventually(10, "node ready", || async {
        community.ready().await.then_some(())
    })
    .await;
    community
        .ok_post("/api/v1/offers", offer_input("轮换后"))
        .await;
    eventually(15, "the new certificate's offer at the street", || async {
        (head_at(&street, &cid).await == Some(2)).then_some(())
    })
    .await;
    assert_eq!(
        rejected(&street.get("/api/v1/messages/rejected").await),
        Vec::<Value>::new()
    );

    // 4. The authority revokes the old certificate and its node announces the CRL.
    let old = Org {
        id: cid.clone(),
        kind: OrgKind::Community,
        name: a.orgs[idx].name.clone(),
        parent: None,
        key: old_key.clone(),
        cert: old_cert.clone(),
        dir: dir.clone(),
    };
    a.write_crl(&[&old]);
    zzb.stop().await;
    let zzb = a.start("zzb", None).await;
    eventually(15, "the CRL at the street", || async {
        (street.get("/api/v1/node").await["revoked_certificates"] == 1).then_some(())
    })
    .await;

    // The new certificate still works…
    community
        .ok_post("/api/v1/offers", offer_input("吊销旧证书之后"))
        .await;
    eventually(15, "the third offer at the street", || async {
        (head_at(&street, &cid).await == Some(3)).then_some(())
    })
    .await;
    // …and a message signed with the old key, even on the community's own broker user, is
    // refused as revoked.
    let old_signer = Signer::new(&old_key, &old_cert).unwrap();
    let m = Message::new(cid.clone(), Audience::All, 4, now(), sample_offer());
    let jws = old_signer.sign(&m).unwrap();
    publish_raw(
        &a.vhost,
        cid.as_str(),
        &a.broker_password,
        &m.routing_key(),
        jws.as_bytes(),
        node_props(&m.jti.to_string(), "offer.published", Some(cid.as_str())),
    )
    .await
    .unwrap();
    eventually(15, "the old key refused as revoked", || async {
        rejected(&street.get("/api/v1/messages/rejected").await)
            .iter()
            .any(|x| x["code"] == "revoked")
            .then_some(())
    })
    .await;
    assert_eq!(head_at(&street, &cid).await, Some(3));

    for n in [zzb, community, street] {
        n.stop().await;
    }
}
