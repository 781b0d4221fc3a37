//! `make-vectors` replaces only what it generates.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

#[allow(dead_code)] // its `main` is not called here
#[path = "../examples/make-vectors.rs"]
mod make_vectors;

#[test]
fn regenerating_keeps_hand_written_files() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("check_with_pyjwt.py");
    std::fs::write(&script, "# kept by hand\n").unwrap();
    std::fs::create_dir_all(dir.path().join("cases")).unwrap();
    std::fs::write(dir.path().join("cases/stale.jws"), "x").unwrap();
    let n = make_vectors::regenerate(dir.path(), 1_800_000_000).unwrap();
    assert!(n >= 40);
    assert_eq!(
        std::fs::read_to_string(&script).unwrap(),
        "# kept by hand\n"
    );
    assert!(!dir.path().join("cases/stale.jws").exists());
    assert!(dir.path().join("manifest.json").exists());
    assert!(dir.path().join("cases/ok-offer-broadcast.jws").exists());
    // Running it again (everything present) works too.
    make_vectors::regenerate(dir.path(), 1_800_000_000).unwrap();
    assert!(script.exists());
}
