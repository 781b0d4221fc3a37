//! The checked-in JSON Schemas must match the Rust types.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::path::Path;

#[test]
fn checked_in_schemas_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("json");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, content) in tongxin_schema::json_schema::files() {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing under schema/json/: {stale:?}; run UPDATE_SCHEMAS=1 cargo test -p tongxin-schema --test json_schema"
    );
}
