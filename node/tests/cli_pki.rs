//! The alliance authority's CLI end to end: init, node init, issue, revoke, roster, verify,
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic
//! with `openssl` itself as the second opinion on certificates and CRLs.

use std::path::Path;
use std::process::{Command, Output};

fn tongxin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongxin"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = tongxin(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str], needle: &str) {
    let out = tongxin(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err:?}"
    );
    assert_eq!(
        err.trim().lines().count(),
        1,
        "one-line error expected: {err}"
    );
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn openssl(args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn authority_workflow() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |s: &str| tmp.path().join(s).to_str().unwrap().to_owned();
    ok(&[
        "alliance",
        "init",
        "--name",
        "路南区党建联盟",
        "--out",
        &p("ca"),
    ]);
    assert_eq!(
        files(&tmp.path().join("ca")),
        ["ca.key", "ca.pem", "crl.pem", "revoked.json"]
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(p("ca/ca.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    fails(
        &["alliance", "init", "--name", "again", "--out", &p("ca")],
        "already exists",
    );

    ok(&[
        "node",
        "init",
        "--org-id",
        "youyi-nanli",
        "--kind",
        "community",
        "--name",
        "友谊南里社区",
        "--out",
        &p("n1"),
    ]);
    assert_eq!(
        files(&tmp.path().join("n1")),
        ["node.csr", "node.key", "tongxin.toml"]
    );
    ok(&[
        "alliance",
        "issue",
        "--ca",
        &p("ca"),
        "--csr",
        &p("n1/node.csr"),
        "--org-id",
        "youyi-nanli",
        "--kind",
        "community",
        "--out",
        &p("n1/node.pem"),
    ]);
    assert!(
        openssl(&["verify", "-CAfile", &p("ca/ca.pem"), &p("n1/node.pem")]),
        "openssl verify refused the node certificate"
    );

    // Keys and certificates are never overwritten: not by `node init`, not by `alliance issue`.
    let before: Vec<Vec<u8>> = [
        "n1/node.key",
        "n1/node.csr",
        "n1/tongxin.toml",
        "n1/node.pem",
    ]
    .iter()
    .map(|f| std::fs::read(p(f)).unwrap())
    .collect();
    fails(
        &[
            "node",
            "init",
            "--org-id",
            "youyi-nanli",
            "--kind",
            "community",
            "--name",
            "again",
            "--out",
            &p("n1"),
        ],
        "already exists",
    );
    fails(
        &[
            "alliance",
            "issue",
            "--ca",
            &p("ca"),
            "--csr",
            &p("n1/node.csr"),
            "--org-id",
            "youyi-nanli",
            "--kind",
            "community",
            "--out",
            &p("n1/node.pem"),
        ],
        "already exists",
    );
    let after: Vec<Vec<u8>> = [
        "n1/node.key",
        "n1/node.csr",
        "n1/tongxin.toml",
        "n1/node.pem",
    ]
    .iter()
    .map(|f| std::fs::read(p(f)).unwrap())
    .collect();
    assert!(
        before == after,
        "a refused command changed a key or certificate"
    );

    // Bad arguments: one-line error, nothing written.
    fails(
        &[
            "node",
            "init",
            "--org-id",
            "you.yi",
            "--kind",
            "community",
            "--name",
            "x",
            "--out",
            &p("bad"),
        ],
        "no dots",
    );
    fails(
        &[
            "node",
            "init",
            "--org-id",
            "youyi",
            "--kind",
            "district",
            "--name",
            "x",
            "--out",
            &p("bad"),
        ],
        "unknown organisation kind",
    );
    assert!(!tmp.path().join("bad").exists());
    fails(
        &[
            "alliance",
            "issue",
            "--ca",
            &p("ca"),
            "--csr",
            &p("nope.csr"),
            "--org-id",
            "youyi-nanli",
            "--kind",
            "community",
            "--out",
            &p("x.pem"),
        ],
        "nope.csr",
    );
    fails(
        &[
            "alliance",
            "issue",
            "--ca",
            &p("ca"),
            "--csr",
            &p("n1/node.csr"),
            "--org-id",
            "loue-jia",
            "--kind",
            "community",
            "--out",
            &p("x.pem"),
        ],
        "names organisation",
    );
    let mut csr = std::fs::read_to_string(p("n1/node.csr")).unwrap();
    let mid = csr.len() / 2;
    csr.replace_range(
        mid..mid + 1,
        if &csr[mid..mid + 1] == "A" { "B" } else { "A" },
    );
    std::fs::write(p("tampered.csr"), csr).unwrap();
    let out = tongxin(&[
        "alliance",
        "issue",
        "--ca",
        &p("ca"),
        "--csr",
        &p("tampered.csr"),
        "--org-id",
        "youyi-nanli",
        "--kind",
        "community",
        "--out",
        &p("x.pem"),
    ]);
    assert!(!out.status.success());
    assert!(!tmp.path().join("x.pem").exists());

    // Roster and a message verified through the CLI.
    ok(&[
        "node",
        "init",
        "--org-id",
        "lunan-zzb",
        "--kind",
        "org-department",
        "--name",
        "区委组织部",
        "--out",
        &p("n2"),
    ]);
    ok(&[
        "alliance",
        "issue",
        "--ca",
        &p("ca"),
        "--csr",
        &p("n2/node.csr"),
        "--org-id",
        "lunan-zzb",
        "--kind",
        "org-department",
        "--out",
        &p("n2/node.pem"),
    ]);
    std::fs::write(
        p("orgs.toml"),
        "[[org]]\nid = \"lunan-zzb\"\nname = \"区委组织部\"\nkind = \"org-department\"\ncertificate = \"n2/node.pem\"\n\n\
         [[org]]\nid = \"youyi-nanli\"\nname = \"友谊南里社区\"\nkind = \"community\"\ncertificate = \"n1/node.pem\"\ngrids = [\"yn-01\"]\n",
    )
    .unwrap();
    assert!(
        ok(&[
            "alliance",
            "roster",
            "--ca",
            &p("ca"),
            "--orgs",
            &p("orgs.toml")
        ])
        .contains("serial 1")
    );
    assert!(
        ok(&[
            "alliance",
            "roster",
            "--ca",
            &p("ca"),
            "--orgs",
            &p("orgs.toml")
        ])
        .contains("serial 2")
    );

    // Base URLs for member sign-in (PROTOCOL.md §4.5): from --base-url, checked, written only
    // for the organisations that have one.
    let base = |url: &str| format!("youyi-nanli={url}");
    let roster_args = |extra: &[String]| {
        let mut args: Vec<String> = [
            "alliance",
            "roster",
            "--ca",
            &p("ca"),
            "--orgs",
            &p("orgs.toml"),
        ]
        .map(String::from)
        .to_vec();
        args.extend_from_slice(extra);
        args
    };
    let run = |extra: &[String]| {
        ok(&roster_args(extra)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>())
    };
    let refused = |extra: &[String], needle: &str| {
        fails(
            &roster_args(extra)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            needle,
        )
    };
    assert!(
        run(&[
            "--base-url".into(),
            base("https://tongxin.youyi.example/app")
        ])
        .contains("serial 3")
    );
    let root = tongxin_schema::pki::Root::new(
        openssl::x509::X509::from_pem(&std::fs::read(p("ca/ca.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let roster = |path: &str| {
        tongxin_schema::roster::Roster::verify(&root, &std::fs::read_to_string(p(path)).unwrap())
            .unwrap()
    };
    let r = roster("ca/roster.jws");
    let url_of = |r: &tongxin_schema::roster::Roster, org: &str| {
        r.org(&org.parse().unwrap())
            .unwrap()
            .base_url()
            .map(str::to_owned)
    };
    assert_eq!(
        url_of(&r, "youyi-nanli").as_deref(),
        Some("https://tongxin.youyi.example/app")
    );
    assert_eq!(url_of(&r, "lunan-zzb"), None);
    // From the orgs file too; the flag wins over it.
    let with_url = std::fs::read_to_string(p("orgs.toml")).unwrap().replace(
        "certificate = \"n2/node.pem\"\n",
        "certificate = \"n2/node.pem\"\nbase_url = \"http://10.0.0.2:8080\"\n",
    );
    std::fs::write(p("orgs.toml"), with_url).unwrap();
    run(&["--base-url".into(), base("https://b.youyi.example")]);
    let r = roster("ca/roster.jws");
    assert_eq!(
        url_of(&r, "lunan-zzb").as_deref(),
        Some("http://10.0.0.2:8080")
    );
    assert_eq!(
        url_of(&r, "youyi-nanli").as_deref(),
        Some("https://b.youyi.example")
    );
    // Refused, with the reason: an organisation not in the orgs file, twice the same one, no
    // '=', and URLs the protocol does not allow.
    refused(
        &[
            "--base-url".into(),
            "xueyuan-nanlu=https://x.example".into(),
        ],
        "not in",
    );
    refused(
        &[
            "--base-url".into(),
            base("https://a.example"),
            "--base-url".into(),
            base("https://b.example"),
        ],
        "given twice",
    );
    refused(
        &["--base-url".into(), "https://a.example".into()],
        "<org-id>=<url>",
    );
    refused(
        &["--base-url".into(), base("https://a.example/?x=1")],
        "query",
    );
    refused(&["--base-url".into(), base("ftp://a.example")], "https://");
    refused(
        &["--base-url".into(), base("https://u@a.example")],
        "user info",
    );
    let bad_file = std::fs::read_to_string(p("orgs.toml"))
        .unwrap()
        .replace("http://10.0.0.2:8080", "http://10.0.0.2:8080/#x");
    std::fs::write(p("orgs-bad.toml"), bad_file).unwrap();
    fails(
        &[
            "alliance",
            "roster",
            "--ca",
            &p("ca"),
            "--orgs",
            &p("orgs-bad.toml"),
        ],
        "org lunan-zzb: base_url",
    );

    // Sign a message with the community's key and verify it with the CLI.
    let key = tongxin_schema::pki::load_key(&std::fs::read(p("n1/node.key")).unwrap()).unwrap();
    let cert = openssl::x509::X509::from_pem(&std::fs::read(p("n1/node.pem")).unwrap()).unwrap();
    let signer = tongxin_schema::Signer::new(&key, &cert).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let msg = tongxin_schema::Message::new(
        signer.org_id().clone(),
        tongxin_schema::Audience::All,
        1,
        now,
        tongxin_schema::vectors::sample_offer(),
    );
    std::fs::write(p("msg.jws"), signer.sign(&msg).unwrap()).unwrap();
    let claims: serde_json::Value = serde_json::from_str(&ok(&[
        "verify",
        "--ca",
        &p("ca/ca.pem"),
        "--revoked",
        &p("ca/crl.pem"),
        "--roster",
        &p("ca/roster.jws"),
        &p("msg.jws"),
    ]))
    .unwrap();
    assert_eq!(claims["iss"], "youyi-nanli");
    assert_eq!(claims["kind"], "offer.published");

    // A service certificate (PROTOCOL.md §4.9) from the same node: recognised by its type.
    let certificate = tongxin_schema::certificate::CertificateClaims {
        iss: signer.org_id().clone(),
        jti: uuid::Uuid::now_v7(),
        iat: now,
        name: "张建国".to_owned().try_into().unwrap(),
        from: now - 86_400,
        to: now,
        minutes: 150,
        entries: 2,
        hosts: vec![tongxin_schema::certificate::HostMinutes {
            org: signer.org_id().clone(),
            minutes: 150,
        }],
    };
    std::fs::write(
        p("certificate.jws"),
        signer.sign_certificate(&certificate).unwrap(),
    )
    .unwrap();
    let checked: serde_json::Value = serde_json::from_str(&ok(&[
        "verify",
        "--ca",
        &p("ca/ca.pem"),
        "--roster",
        &p("ca/roster.jws"),
        &p("certificate.jws"),
    ]))
    .unwrap();
    assert_eq!(checked["certificate"]["minutes"], 150, "{checked}");
    assert_eq!(checked["certificate"]["name"], "张建国");

    // Revoke: the CRL verifies with openssl and lists the serial; the message is now refused.
    ok(&[
        "alliance",
        "revoke",
        "--ca",
        &p("ca"),
        "--cert",
        &p("n1/node.pem"),
    ]);
    assert!(openssl(&[
        "crl",
        "-in",
        &p("ca/crl.pem"),
        "-CAfile",
        &p("ca/ca.pem"),
        "-noout",
        "-verify"
    ]));
    let out = tongxin(&[
        "verify",
        "--ca",
        &p("ca/ca.pem"),
        "--revoked",
        &p("ca/crl.pem"),
        &p("msg.jws"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("rejected (revoked)"));

    // A message from another alliance.
    ok(&["alliance", "init", "--name", "other", "--out", &p("other")]);
    let out = tongxin(&["verify", "--ca", &p("other/ca.pem"), &p("msg.jws")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unknown_issuer"));
}
