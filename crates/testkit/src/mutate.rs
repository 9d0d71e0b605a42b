//! Mutations for the no-panic and differential property tests: byte-level edits of a text
//! ([`Mutation`], [`apply`]) and structural edits of a JSON value ([`replace_node`],
//! [`count_nodes`]). The strategies that choose mutations stay with each test.

use serde_json::Value;

/// A byte-level mutation of a text. Positions are taken modulo the text length + 1 and moved
/// back to a character boundary, so every mutation applies to every text.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Deletes up to `n` bytes (whole characters) from position `a`.
    Delete(usize, usize),
    /// Inserts a string at position `a`.
    Insert(usize, String),
    /// Replaces the character at position `a`.
    Replace(usize, char),
    /// Truncates the text at position `a`.
    Truncate(usize),
    /// Duplicates up to `n` bytes (whole characters) from position `a` right after them.
    Duplicate(usize, usize),
}

fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text` with the mutation `m` applied.
pub fn apply(text: &str, m: &Mutation) -> String {
    let mut s = text.to_owned();
    match m {
        Mutation::Delete(a, n) => {
            let start = boundary(&s, *a);
            let end = boundary(&s, (start + n).min(s.len()));
            if end > start {
                s.replace_range(start..end, "");
            }
        }
        Mutation::Insert(a, t) => {
            let at = boundary(&s, *a);
            s.insert_str(at, t);
        }
        Mutation::Replace(a, c) => {
            let at = boundary(&s, *a);
            if let Some(old) = s.get(at..).and_then(|r| r.chars().next()) {
                s.replace_range(at..at + old.len_utf8(), &c.to_string());
            }
        }
        Mutation::Truncate(a) => {
            let at = boundary(&s, *a);
            s.truncate(at);
        }
        Mutation::Duplicate(a, n) => {
            let start = boundary(&s, *a);
            let end = boundary(&s, (start + n).min(s.len()));
            let piece = s.get(start..end).unwrap_or("").to_owned();
            s.insert_str(end, &piece);
        }
    }
    s
}

/// Replaces the `n`-th node (pre-order, counting down `n`) of `v` with `with`; whether it did.
pub fn replace_node(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *v = with.clone();
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|i| replace_node(i, n, with)),
        Value::Object(map) => map.values_mut().any(|i| replace_node(i, n, with)),
        _ => false,
    }
}

/// The number of nodes of `v` (itself and every nested value).
pub fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}
