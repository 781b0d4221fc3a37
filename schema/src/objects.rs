//! JSON objects only: serde's derived deserialisers also accept a JSON array of the fields in
//! declaration order where a struct is expected. The protocol allows only objects (PROTOCOL.md
//! §4.3, §4.5, §6.0), so top-level documents are checked with [`is_object`] and nested structs
//! inside lists are read with [`objects`], a struct field with [`object`].

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Whether the first byte of `json` that is not JSON white space is `{`.
pub(crate) fn is_object(json: &[u8]) -> bool {
    json.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|b| *b == b'{')
}

/// A `T` that was written as a JSON object.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// `#[serde(deserialize_with = "objects")]` for a list of structs: each entry must be an object.
pub(crate) fn objects<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Vec::<Object<T>>::deserialize(d).map(|v| v.into_iter().map(|o| o.0).collect())
}

/// `#[serde(deserialize_with = "object")]` for a struct field: it must be an object.
pub(crate) fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Object::<T>::deserialize(d).map(|o| o.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Pair {
        a: u32,
        b: String,
    }

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "objects")]
        items: Vec<Pair>,
    }

    #[test]
    fn only_objects() {
        assert!(is_object(b" \n\t{}"));
        assert!(!is_object(b"[1]"));
        assert!(!is_object(b""));
        assert!(!is_object(b"\x0c{}"));
        // What serde alone would accept:
        assert!(serde_json::from_str::<Pair>(r#"[1, "x"]"#).is_ok());
        let ok: Holder = serde_json::from_str(r#"{"items": [{"a": 1, "b": "x"}]}"#).unwrap();
        assert_eq!(
            ok.items,
            [Pair {
                a: 1,
                b: "x".into()
            }]
        );
        assert!(serde_json::from_str::<Holder>(r#"{"items": [[1, "x"]]}"#).is_err());
        assert!(
            serde_json::from_str::<Holder>(r#"{"items": [{"a": 1, "b": "x", "c": 0}]}"#).is_err()
        );
    }
}
