//! The request context (spec §4.1): condition keys (ASCII-case-insensitive) to lists of values.

use crate::error::ContextError;

/// Condition keys of a request mapped to their values.
///
/// Keys are stored lowercased when the context is built, so lookups compare without
/// allocating. A key with an empty list is *missing* (spec §4.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Sorted by lowercased key; keys are unique.
    entries: Vec<(Box<str>, Vec<String>)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// Adds one value to `key` (builder form).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Adds several values to `key` (builder form). An empty list makes the key present but
    /// missing.
    #[must_use]
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let slot = self.slot(key);
        slot.extend(values.into_iter().map(Into::into));
        self
    }

    /// Adds one value to `key`.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.slot(key).push(value.into());
    }

    /// Replaces the values of `key`.
    pub fn set<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let slot = self.slot(key);
        slot.clear();
        slot.extend(values.into_iter().map(Into::into));
    }

    /// Replaces the values of `key` with `values`, without copying them.
    pub fn set_values(&mut self, key: &str, values: Vec<String>) {
        *self.slot(key) = values;
    }

    fn slot(&mut self, key: &str) -> &mut Vec<String> {
        // Compares the stored (lower-case) key with `key` lower-cased on the fly, so that
        // adding to an existing key does not allocate.
        let lowered = |k: &str| k.bytes().cmp(key.bytes().map(|b| b.to_ascii_lowercase()));
        let idx = match self.entries.binary_search_by(|(k, _)| lowered(k)) {
            Ok(i) => i,
            Err(i) => {
                let lower = key.to_ascii_lowercase().into_boxed_str();
                self.entries.insert(i, (lower, Vec::new()));
                i
            }
        };
        // `idx` is a valid index: found or just inserted.
        &mut self.entries[idx].1
    }

    /// The values of `key` (any ASCII case); `None` when absent. Does not allocate.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.entries
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_slice())
        } else {
            self.get_lower(key)
        }
    }

    /// Lookup of an already-lowercased key.
    pub(crate) fn get_lower(&self, lower: &str) -> Option<&[String]> {
        self.entries
            .binary_search_by(|(k, _)| k.as_ref().cmp(lower))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v.as_slice())
    }

    /// True when `key` has at least one value.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| !v.is_empty())
    }

    /// The entries as (lowercased key, values), sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v.as_slice()))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Builds a context from a JSON object: each value is a string, a number or a boolean (one
    /// value, numbers and booleans as their JSON text) or an array of those.
    pub fn from_json(
        map: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Context, ContextError> {
        let mut ctx = Context::new();
        for (key, value) in map {
            let slot = ctx.slot(key);
            match value {
                serde_json::Value::Array(items) => {
                    for item in items {
                        slot.push(scalar(key, item)?);
                    }
                }
                other => slot.push(scalar(key, other)?),
            }
        }
        Ok(ctx)
    }

    /// Builds a context from a JSON value, which must be an object (see [`Context::from_json`]).
    pub fn from_json_value(value: &serde_json::Value) -> Result<Context, ContextError> {
        match value {
            serde_json::Value::Object(map) => Context::from_json(map),
            serde_json::Value::Null => Ok(Context::new()),
            _ => Err(ContextError {
                message: "the context must be an object mapping condition keys to values".into(),
            }),
        }
    }
}

fn scalar(key: &str, v: &serde_json::Value) -> Result<String, ContextError> {
    match v {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ContextError {
            message: format!(
                "the value of context key `{key}` must be a string, number, boolean or an array of those"
            ),
        }),
    }
}

impl<K: AsRef<str>, V: Into<String>> FromIterator<(K, V)> for Context {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut ctx = Context::new();
        for (k, v) in iter {
            ctx.insert(k.as_ref(), v);
        }
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let ctx = Context::new()
            .with("g:SourceIp", "10.0.0.1")
            .with("G:SOURCEIP", "10.0.0.2")
            .with_values("g:TagKeys", ["a", "b"]);
        assert_eq!(ctx.get("g:sourceip").unwrap(), ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(ctx.get("G:TagKeys").unwrap().len(), 2);
        assert!(ctx.get("g:other").is_none());
        let json = serde_json::json!({"g:A": "x", "g:N": 5, "g:B": [true, "y"]});
        let ctx = Context::from_json_value(&json).unwrap();
        assert_eq!(ctx.get("g:n").unwrap(), ["5"]);
        assert_eq!(ctx.get("g:b").unwrap(), ["true", "y"]);
        assert!(Context::from_json_value(&serde_json::json!({"k": null})).is_err());
        assert!(Context::from_json_value(&serde_json::json!({"k": [[1]]})).is_err());
    }
}
