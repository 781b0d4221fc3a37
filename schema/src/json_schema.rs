//! The JSON Schemas checked in under `schema/json/` (PROTOCOL.md §6), generated from the Rust
//! types. `UPDATE_SCHEMAS=1 cargo test -p tongxin-schema --test json_schema` rewrites them.

use serde_json::{Value, json};

use crate::envelope::{
    MAX_CLOCK_SKEW_SECS, MAX_MESSAGE_BYTES, MAX_TRUST_MESSAGE_BYTES, TYP, VERSION,
};
use crate::v1::{Kind, body_schemas};

/// (file name, pretty JSON) for every schema file.
pub fn files() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = body_schemas()
        .into_iter()
        .map(|(kind, schema)| (format!("v1/{kind}.json"), pretty(&schema.to_value())))
        .collect();
    out.push(("v1/claims.json".into(), pretty(&claims_schema())));
    out.push(("v1/header.json".into(), pretty(&header_schema())));
    out.push((
        "roster.json".into(),
        pretty(&schemars::schema_for!(crate::roster::RosterDoc).to_value()),
    ));
    out
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn claims_schema() -> Value {
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tongxin v1 message claims (JWS payload)",
        "description": format!("The payload is a JSON object. The compact JWS is at most {MAX_MESSAGE_BYTES} bytes, or {MAX_TRUST_MESSAGE_BYTES} for roster.published and revocation.published. `body` is a JSON object that follows v1/<kind>.json. iat may lie at most {MAX_CLOCK_SKEW_SECS} s in the future."),
        "type": "object",
        "additionalProperties": false,
        "required": ["v", "iss", "aud", "jti", "iat", "stream", "seq", "kind", "body"],
        "properties": {
            "v": { "const": VERSION },
            "iss": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{2,62}$" },
            "aud": { "type": "string", "pattern": "^(\\*|[a-z0-9][a-z0-9-]{2,62})$" },
            "jti": { "type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$" },
            "iat": { "type": "integer" },
            "stream": { "type": "string", "pattern": "^(all|control|org\\.[a-z0-9][a-z0-9-]{2,62})$" },
            "seq": { "type": "integer", "minimum": 0 },
            "kind": { "enum": kinds },
            "body": { "type": "object" }
        }
    })
}

fn header_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tongxin v1 JOSE header",
        "type": "object",
        "required": ["alg", "typ", "kid", "x5c"],
        "properties": {
            "alg": { "const": "EdDSA" },
            "typ": { "const": TYP },
            "kid": { "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the x5c certificate's DER, lower-case hex" },
            "x5c": { "type": "array", "minItems": 1, "maxItems": 1, "items": { "type": "string", "contentEncoding": "base64" } }
        },
        "not": { "required": ["crit"] }
    })
}
