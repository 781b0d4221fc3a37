//! TLS and certificate login to the broker (issue 4, part 2). Each test starts its own RabbitMQ
//! instance (broker-config/tls-broker) with a server certificate from the test alliance's CA,
//! peer verification, and EXTERNAL login with the user name taken from the certificate's CN.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::time::Duration;

use tongxin_schema::pki::{self, Validity};
use tongxin_tests::broker::{Broker, connect_tls, identity, start_on};
use tongxin_tests::*;

fn pair() -> Alliance {
    street_and_community()
}

async fn offer_arrives(n: &RunningNode, title: &str) {
    eventually(15, &format!("offer {title} at {}", n.org_id), || async {
        let v = n.get("/api/v1/offers").await;
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["title"] == title)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_log_in_with_their_certificates_only_and_exchange_offers() {
    let a = pair();
    let b = Broker::start(&a, "tls");
    b.admit(&a, &["street", "community"]);
    let url = b.node_url(&a.vhost);
    let street = start_on(&a, "street", &url).await;
    let community = start_on(&a, "community", &url).await;
    for n in [&street, &community] {
        eventually(15, "node ready over TLS", || async {
            n.ready().await.then_some(())
        })
        .await;
    }

    // The broker logged each node in by EXTERNAL over TLS, as the CN of its certificate.
    let conns = b.connections();
    for n in [&street, &community] {
        let id = n.org_id.to_string();
        let mine: Vec<_> = conns.iter().filter(|c| c.0 == id).collect();
        // Publishing and consuming on connections of their own (a flow-control alarm on
        // publishing must not hold up the consumer's acks).
        let mut names: Vec<&str> = mine.iter().map(|c| c.3.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                format!("tongxin-{id} consume"),
                format!("tongxin-{id} publish")
            ],
            "{conns:?}"
        );
        for (_, mech, tls, _) in mine {
            assert_eq!(mech, "EXTERNAL", "{conns:?}");
            assert!(tls, "{conns:?}");
        }
    }

    // Offers flow both ways.
    street
        .ok_post("/api/v1/offers", offer_input("街道党群服务中心会议室"))
        .await;
    offer_arrives(&community, "街道党群服务中心会议室").await;
    community
        .ok_post("/api/v1/offers", offer_input("社区共享厨房"))
        .await;
    offer_arrives(&street, "社区共享厨房").await;
    for n in [&street, &community] {
        assert_eq!(
            n.get("/api/v1/messages/rejected").await["items"],
            serde_json::json!([])
        );
    }

    // The certificate is the only credential: the user has no password to log in with.
    let id = street.org_id.to_string();
    for pw in [a.broker_password.as_str(), ""] {
        let plain = lapin::Connection::connect(
            &format!("amqp://{id}:{pw}@127.0.0.1:{}/{}", b.amqp_port, a.vhost),
            lapin::ConnectionProperties::default(),
        )
        .await;
        assert!(plain.is_err(), "password login of {id} was accepted");
    }

    for n in [street, community] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_another_ca_is_refused_at_the_tls_handshake() {
    let a = pair();
    let b = Broker::start(&a, "tls");
    b.admit(&a, &["street", "community"]);
    let url = b.node_url(&a.vhost);
    let street = a.org("street");

    // The genuine certificate gets in.
    let (cert, key) = identity(street);
    let conn = connect_tls(&url, Some((&cert, &key)), &a.ca_path())
        .await
        .expect("the alliance's certificate is accepted");
    conn.close(200, "done".into()).await.unwrap();
    // The broker forgets a closed connection a moment after answering the close.
    eventually(30, "the genuine connection gone at the broker", || async {
        b.connections().is_empty().then_some(())
    })
    .await;

    // Another CA issues a certificate with the same org id (the same CN, so the same broker user).
    let rogue_key = pki::generate_key().unwrap();
    let rogue_ca = pki::make_root(&rogue_key, "冒名联盟").unwrap();
    let key = pki::generate_key().unwrap();
    let csr = pki::make_csr(&key, &street.id, &street.name).unwrap();
    let forged = pki::issue(
        &rogue_key,
        &rogue_ca,
        &csr,
        &street.id,
        street.kind,
        Validity::days(now() - 60, 30),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (fcert, fkey) = (dir.path().join("forged.pem"), dir.path().join("forged.key"));
    std::fs::write(&fcert, forged.to_pem().unwrap()).unwrap();
    std::fs::write(&fkey, key.private_key_to_pem_pkcs8().unwrap()).unwrap();

    let before = b.log_lines("TLS server").len();
    let err = connect_tls(&url, Some((&fcert, &fkey)), &a.ca_path())
        .await
        .expect_err("a certificate from another CA must be refused");
    // The connection dies at the transport, before any AMQP reply. (Depending on timing the
    // client reads the TLS alert "unknown ca" or only hits the closed socket: broken pipe.)
    assert!(matches!(err.kind(), lapin::ErrorKind::IOError(_)), "{err}");
    // The broker refused it in the TLS handshake (it logs the alert it sent), not at login.
    let alerts = eventually(10, "the broker's TLS alert", || async {
        let lines = b.log_lines("TLS server");
        (lines.len() > before).then_some(lines)
    })
    .await;
    let alert = alerts[before..].join("\n");
    assert!(alert.contains("Unknown CA"), "{alert}");
    assert!(b.log_lines("EXTERNAL login").is_empty());

    // No certificate at all: refused as well (fail_if_no_peer_cert).
    let before = b.log_lines("TLS server").len();
    let err = connect_tls(&url, None, &a.ca_path())
        .await
        .expect_err("a client without a certificate must be refused");
    assert!(matches!(err.kind(), lapin::ErrorKind::IOError(_)), "{err}");
    let alerts = eventually(10, "the broker's TLS alert", || async {
        let lines = b.log_lines("TLS server");
        (lines.len() > before).then_some(lines)
    })
    .await;
    let alert = alerts[before..].join("\n");
    assert!(alert.contains("Certificate required"), "{alert}");

    // Nobody got a connection.
    assert!(b.connections().is_empty(), "{:?}", b.connections());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_node_loses_its_broker_login() {
    let a = pair();
    let b = Broker::start(&a, "tls");
    b.admit(&a, &["street", "community"]);
    let url = b.node_url(&a.vhost);
    let street = start_on(&a, "street", &url).await;
    let community = start_on(&a, "community", &url).await;
    for n in [&street, &community] {
        eventually(15, "node ready over TLS", || async {
            n.ready().await.then_some(())
        })
        .await;
    }
    community
        .ok_post("/api/v1/offers", offer_input("撤销之前"))
        .await;
    offer_arrives(&street, "撤销之前").await;

    // Revocation: the authority re-signs the CRL (nodes learn it from revocation.published, see
    // exchange.rs), and the broker operator removes the organisation's broker user
    // (deploy/README.md). RabbitMQ closes the user's connections at once.
    let cid = community.org_id.to_string();
    a.write_crl(&[a.org("community")]);
    b.script("apply", &["--vhost", &a.vhost, "--org", &cid, "--remove"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let ready = community.ready().await;
        let open: Vec<_> = b.connections().into_iter().filter(|c| c.0 == cid).collect();
        if !ready && open.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "15 s after --remove the revoked node is ready: {ready}, its connections: {open:?}\n\
             broker log on it:\n{}",
            b.log_lines(&cid).join("\n")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Its certificate still passes the TLS handshake (the broker does not read the CRL:
    // broker-config/README.md says why), but the EXTERNAL login is refused.
    let (cert, key) = identity(a.org("community"));
    let err = connect_tls(&url, Some((&cert, &key)), &a.ca_path())
        .await
        .expect_err("the revoked node's login must be refused");
    assert!(
        matches!(err.kind(), lapin::ErrorKind::ProtocolError(_))
            && err.to_string().contains("ACCESS_REFUSED"),
        "{err}"
    );
    let refused = eventually(10, "the broker's login refusal", || async {
        let l = b.log_lines("EXTERNAL login refused");
        (!l.is_empty()).then_some(l)
    })
    .await;
    assert!(refused.iter().any(|l| l.contains(&cid)), "{refused:?}");

    // The node keeps retrying and stays out; what it writes meanwhile never reaches the others.
    community
        .ok_post("/api/v1/offers", offer_input("撤销之后"))
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!community.ready().await);
    assert!(street.ready().await);
    assert_eq!(offer_titles(&street, &community.org_id).await, ["撤销之前"]);
    for n in [street, community] {
        n.stop().await;
    }
}
