//! Messages that must not be believed: each is rejected with its reason, dead-lettered,
//! listed for the admin, and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use serde_json::Value;
use tongxin_schema::OrgKind;
use tongxin_schema::envelope::{Audience, Message, Signer};
use tongxin_schema::pki::{self, Validity};
use tongxin_schema::vectors::sample_offer;
use tongxin_tests::*;

struct Setup {
    a: Alliance,
    community: RunningNode,
    street: RunningNode,
    outsider: (String, String),
}

async fn setup() -> Setup {
    let mut a = Alliance::new(&[
        ("street", OrgKind::Street, "学院南路街道党工委", None),
        (
            "community",
            OrgKind::Community,
            "友谊南里社区大党委",
            Some("street"),
        ),
        ("revoked", OrgKind::CoBuildingUnit, "被吊销的共建单位", None),
    ]);
    a.write_crl(&[a.org("revoked")]);
    let outsider = a.outsider();
    let street = a.start("street", None).await;
    let community = a.start("community", None).await;
    for n in [&street, &community] {
        eventually(10, "ready", || async { n.ready().await.then_some(()) }).await;
    }
    Setup {
        a,
        community,
        street,
        outsider,
    }
}

fn signer(org: &Org) -> Signer {
    Signer::new(&org.key, &org.cert).unwrap()
}

fn offer_from(s: &Signer, seq: u64) -> (Message, String) {
    let m = Message::new(
        s.org_id().clone(),
        Audience::All,
        seq,
        now(),
        sample_offer(),
    );
    let jws = s.sign(&m).unwrap();
    (m, jws)
}

async fn rejected(n: &RunningNode) -> Vec<Value> {
    n.get("/api/v1/messages/rejected").await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits until `code` is listed at the community and the dead-letter queue holds `dead`.
async fn expect_rejected(s: &Setup, code: &str, dead: i64) {
    let dlq = format!("node.{}.dead", s.community.org_id);
    eventually(15, &format!("rejection {code}"), || async {
        let r = rejected(&s.community).await;
        r.iter().any(|x| x["code"] == code).then_some(())
    })
    .await;
    eventually(15, "dead-lettered", || async {
        (queue_messages(&s.a.vhost, &dlq) == dead).then_some(())
    })
    .await;
    assert_eq!(
        s.community.get("/api/v1/offers").await["total"],
        0,
        "state changed after {code}"
    );
    assert!(s.community.ready().await, "node unhealthy after {code}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_messages_are_refused_and_change_nothing() {
    let s = setup().await;
    let (out_user, out_pw) = (&s.outsider.0, &s.outsider.1);
    let vhost = s.a.vhost.clone();
    let street_org = s.a.org("street");
    let street_signer = signer(street_org);

    // 1. Signed by a key from outside the alliance, claiming to be the street.
    let foreign_ca_key = pki::generate_key().unwrap();
    let foreign_ca = pki::make_root(&foreign_ca_key, "另一个联盟").unwrap();
    let key = pki::generate_key().unwrap();
    let csr = pki::make_csr(&key, &street_org.id, "冒名").unwrap();
    let cert = pki::issue(
        &foreign_ca_key,
        &foreign_ca,
        &csr,
        &street_org.id,
        OrgKind::Street,
        Validity::days(now() - 60, 10),
    )
    .unwrap();
    let (m, jws) = offer_from(&Signer::new(&key, &cert).unwrap(), 1);
    publish_raw(
        &vhost,
        out_user,
        out_pw,
        &m.routing_key(),
        jws.as_bytes(),
        node_props(&m.jti.to_string(), "offer.published", Some(out_user)),
    )
    .await
    .unwrap();
    expect_rejected(&s, "unknown_issuer", 1).await;

    // 2. From a revoked node, over its own broker user.
    let revoked = s.a.org("revoked");
    let (m, jws) = offer_from(&signer(revoked), 1);
    publish_raw(
        &vhost,
        revoked.id.as_str(),
        &s.a.broker_password,
        &m.routing_key(),
        jws.as_bytes(),
        node_props(
            &m.jti.to_string(),
            "offer.published",
            Some(revoked.id.as_str()),
        ),
    )
    .await
    .unwrap();
    expect_rejected(&s, "revoked", 2).await;

    // 3. A genuine street message re-published by an outsider: the broker user is not iss.
    let (m, jws) = offer_from(&street_signer, 1);
    publish_raw(
        &vhost,
        out_user,
        out_pw,
        &m.routing_key(),
        jws.as_bytes(),
        node_props(&m.jti.to_string(), "offer.published", Some(out_user)),
    )
    .await
    .unwrap();
    expect_rejected(&s, "user_id_mismatch", 3).await;

    // 4. The street's own broker user, but without the user_id property.
    publish_raw(
        &vhost,
        street_org.id.as_str(),
        &s.a.broker_password,
        &m.routing_key(),
        jws.as_bytes(),
        node_props(&m.jti.to_string(), "offer.published", None),
    )
    .await
    .unwrap();
    expect_rejected(&s, "user_id_missing", 4).await;

    // 5. Wrong content type.
    let mut props = node_props(
        &m.jti.to_string(),
        "offer.published",
        Some(street_org.id.as_str()),
    );
    props = props.with_content_type("application/json".into());
    publish_raw(
        &vhost,
        street_org.id.as_str(),
        &s.a.broker_password,
        &m.routing_key(),
        jws.as_bytes(),
        props,
    )
    .await
    .unwrap();
    expect_rejected(&s, "content_type", 5).await;

    // 6. A replay: the street's real message 1, applied, then sent again by the street's user.
    let (real, real_jws) = offer_from(&street_signer, 1);
    let props = || {
        node_props(
            &real.jti.to_string(),
            "offer.published",
            Some(street_org.id.as_str()),
        )
    };
    publish_raw(
        &vhost,
        street_org.id.as_str(),
        &s.a.broker_password,
        &real.routing_key(),
        real_jws.as_bytes(),
        props(),
    )
    .await
    .unwrap();
    eventually(10, "real message applied", || async {
        (s.community.get("/api/v1/offers").await["total"] == 1).then_some(())
    })
    .await;
    publish_raw(
        &vhost,
        street_org.id.as_str(),
        &s.a.broker_password,
        &real.routing_key(),
        real_jws.as_bytes(),
        props(),
    )
    .await
    .unwrap();
    eventually(10, "duplicate counted", || async {
        (s.community
            .node
            .metrics
            .get("tongxin_messages_duplicate_total", "")
            >= 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        s.community.get("/api/v1/offers").await["total"],
        1,
        "a replay applied twice"
    );

    // 7. Another message with the same seq (a new jti): a conflict, refused.
    let (conflict, conflict_jws) = offer_from(&street_signer, 1);
    publish_raw(
        &vhost,
        street_org.id.as_str(),
        &s.a.broker_password,
        &conflict.routing_key(),
        conflict_jws.as_bytes(),
        node_props(
            &conflict.jti.to_string(),
            "offer.published",
            Some(street_org.id.as_str()),
        ),
    )
    .await
    .unwrap();
    let dlq = format!("node.{}.dead", s.community.org_id);
    eventually(15, "seq conflict", || async {
        rejected(&s.community)
            .await
            .iter()
            .any(|x| x["code"] == "seq_conflict")
            .then_some(())
    })
    .await;
    eventually(15, "dead-lettered", || async {
        (queue_messages(&s.a.vhost, &dlq) == 6).then_some(())
    })
    .await;
    assert_eq!(s.community.get("/api/v1/offers").await["total"], 1);

    // The list names what it refused.
    let r = rejected(&s.community).await;
    let codes: Vec<&str> = r.iter().map(|x| x["code"].as_str().unwrap()).collect();
    for code in [
        "unknown_issuer",
        "revoked",
        "user_id_mismatch",
        "user_id_missing",
        "content_type",
        "seq_conflict",
    ] {
        assert!(codes.contains(&code), "{code} not listed: {codes:?}");
    }
    // Only admins see it: not without a token, not as a member.
    let without = s
        .community
        .http
        .get(s.community.url("/api/v1/messages/rejected"))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 401);
    let hash = tongxin_node::http::auth::hash_password("a member's password").unwrap();
    s.community
        .node
        .store
        .write(move |c| tongxin_node::store::users::put(c, "member1", &hash, "member", 0))
        .await
        .unwrap();
    let member = s.community.login("member1", "a member's password").await;
    let as_member = s
        .community
        .http
        .get(s.community.url("/api/v1/messages/rejected"))
        .bearer_auth(member)
        .send()
        .await
        .unwrap();
    assert_eq!(as_member.status(), 403);
    s.community.stop().await;
    s.street.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bytes_nesting_seq_jumps_and_claims_on_nothing_are_refused() {
    let s = setup().await;
    let vhost = s.a.vhost.clone();
    let street_org = s.a.org("street");
    let street_signer = signer(street_org);
    let user = street_org.id.as_str();
    let pw = s.a.broker_password.clone();
    let to_community = |kind: &str| format!("org.{}.{kind}", s.community.org_id);

    // 1. Not UTF-8 at all.
    publish_raw(
        &vhost,
        user,
        &pw,
        &to_community("offer.published"),
        &[0xff, 0xfe, 0x00, 0x80],
        node_props("x", "offer.published", Some(user)),
    )
    .await
    .unwrap();
    expect_rejected(&s, "malformed", 1).await;

    // 2. Well signed, but the body nests arrays 300 deep (serde_json's parser stops at 128).
    let (m, jws) = offer_from(&street_signer, 1);
    let payload = jws.split('.').nth(1).unwrap();
    let mut nested: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let mut deep = Value::Array(vec![]);
    for _ in 0..300 {
        deep = Value::Array(vec![deep]);
    }
    nested["body"]["title"] = deep;
    let nested_jws = street_signer.sign_raw_claims(None, &nested).unwrap();
    publish_raw(
        &vhost,
        user,
        &pw,
        &m.routing_key(),
        nested_jws.as_bytes(),
        node_props(&m.jti.to_string(), "offer.published", Some(user)),
    )
    .await
    .unwrap();
    expect_rejected(&s, "body", 2).await;

    // 3. A seq a billion ahead of the stream.
    let mut jump = Message::new(
        street_org.id.clone(),
        Audience::All,
        1_000_000_000,
        now(),
        sample_offer(),
    );
    jump.seq = 1_000_000_000;
    let jump_jws = street_signer.sign(&jump).unwrap();
    publish_raw(
        &vhost,
        user,
        &pw,
        &jump.routing_key(),
        jump_jws.as_bytes(),
        node_props(&jump.jti.to_string(), "offer.published", Some(user)),
    )
    .await
    .unwrap();
    expect_rejected(&s, "seq_jump", 3).await;

    // 4. A claim on a need the community never published: authentic, in order, refused.
    let claim = tongxin_schema::v1::bodies::NeedClaimed {
        claim_id: uuid::Uuid::now_v7(),
        need_id: uuid::Uuid::now_v7(),
        offer_id: None,
        note: None,
        member: None,
        display_name: None,
    };
    let m = Message::new(
        street_org.id.clone(),
        Audience::Org(s.community.org_id.clone()),
        1,
        now(),
        claim,
    );
    let claim_jws = street_signer.sign(&m).unwrap();
    publish_raw(
        &vhost,
        user,
        &pw,
        &m.routing_key(),
        claim_jws.as_bytes(),
        node_props(&m.jti.to_string(), "need.claimed", Some(user)),
    )
    .await
    .unwrap();
    expect_rejected(&s, "unknown_need", 4).await;
    assert_eq!(
        s.community.get("/api/v1/claims").await["items"],
        serde_json::json!([])
    );
    s.community.stop().await;
    s.street.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_numbers_past_i64_are_jumps_not_conflicts() {
    let s = setup().await;
    let vhost = s.a.vhost.clone();
    let street_org = s.a.org("street");
    let street_signer = signer(street_org);
    let user = street_org.id.as_str();
    let pw = s.a.broker_password.clone();
    // The edges of the wire's u64 that no stored i64 holds, and the first number past the
    // largest jump a stream may take from 0.
    let edges = [1u64 << 63, u64::MAX, (1u64 << 63) + 1, 1_000_001];
    for (i, seq) in edges.into_iter().enumerate() {
        let mut m = Message::new(
            street_org.id.clone(),
            Audience::All,
            seq,
            now(),
            sample_offer(),
        );
        m.seq = seq;
        let jws = street_signer.sign(&m).unwrap();
        publish_raw(
            &vhost,
            user,
            &pw,
            &m.routing_key(),
            jws.as_bytes(),
            node_props(&m.jti.to_string(), "offer.published", Some(user)),
        )
        .await
        .unwrap();
        let dead = i as i64 + 1;
        expect_rejected(&s, "seq_jump", dead).await;
        let r = rejected(&s.community).await;
        assert_eq!(
            r.iter().filter(|x| x["code"] == "seq_jump").count(),
            i + 1,
            "seq {seq}: {r:?}"
        );
        assert!(
            r.iter().all(|x| x["code"] != "seq_conflict"),
            "seq {seq} was taken for a used number: {r:?}"
        );
    }
    s.community.stop().await;
    s.street.stop().await;
}
