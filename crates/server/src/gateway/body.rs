//! The one reading of a request body the gateway takes keys from: strict JSON (RFC 8259, UTF-8,
//! no byte-order mark) in which no object names a member twice. A lenient reader (first or last
//! of two equal members, a BOM skipped) could read another value than the one decided on, so a
//! body that is not strict JSON is never read for a key: the request is refused where a key
//! would come from it.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value read with duplicate members refused.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the member {key:?} appears twice in one object"
                )));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// The body as strict JSON: `Ok(None)` for an absent or all-whitespace body, `Err` with the
/// reason when it is not strict JSON.
pub(super) fn strict_json(body: Option<&[u8]>) -> Result<Option<Value>, String> {
    let Some(body) = body.filter(|b| !b.iter().all(u8::is_ascii_whitespace)) else {
        return Ok(None);
    };
    serde_json::from_slice::<Strict>(body)
        .map(|s| Some(s.0))
        .map_err(|e| e.to_string())
}

/// The values at a member path (`metadata.tags`, `config[].cluster_id`): a segment ending in
/// `[]` descends into every item of an array.
pub(super) fn at_path<'v>(v: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![v];
    for seg in path.split('.') {
        let (name, each) = match seg.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for c in current {
            if let Some(child) = c.get(name) {
                if each {
                    if let Value::Array(items) = child {
                        next.extend(items.iter());
                    }
                } else {
                    next.push(child);
                }
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_json_refuses_duplicates_bom_and_garbage() {
        assert_eq!(strict_json(None), Ok(None));
        assert_eq!(strict_json(Some(b"  \n")), Ok(None));
        assert_eq!(
            strict_json(Some(br#"{"a":[1,2.5,"x",null,true]}"#)).unwrap(),
            Some(json!({"a":[1,2.5,"x",null,true]}))
        );
        for bad in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"x":{"pool_id":"a","pool_id":"b"}}"#,
            b"\xef\xbb\xbf{}",
            br#"{"a":1}x"#,
            b"{'a':1}",
        ] {
            assert!(
                strict_json(Some(bad)).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn paths_descend_objects_and_arrays() {
        let v = json!({"metadata": {"tags": [{"key": "a"}]}, "config": [{"cluster_id": "c1"}, {"cluster_id": "c2"}, {}]});
        assert_eq!(at_path(&v, "metadata.tags"), vec![&json!([{"key": "a"}])]);
        assert_eq!(
            at_path(&v, "config[].cluster_id"),
            vec![&json!("c1"), &json!("c2")]
        );
        assert!(at_path(&v, "missing.x").is_empty());
    }
}
