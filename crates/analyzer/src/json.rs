//! A span-preserving view of a JSON document.
//!
//! Strictness comes from `serde_json` (the engine's parser): a text `serde_json` rejects is a
//! `JSON_SYNTAX_ERROR` at `serde_json`'s position. The tree with byte ranges comes from
//! `jsonc-parser` in strict mode (no comments, no trailing commas, ...), which keeps duplicate
//! member names, so the validator can report them.

use crate::finding::{Position, Span};

/// A JSON value with its byte range in the document text.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The kinds of JSON values.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

/// An object member, with the range of its name (including quotes).
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) key: String,
    pub(crate) key_start: usize,
    pub(crate) key_end: usize,
    pub(crate) value: Node,
}

impl Node {
    /// The JSON type name used in messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Number(_) => "number",
            Kind::String(_) => "string",
            Kind::Array(_) => "array",
            Kind::Object(_) => "object",
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            Kind::Object(m) => Some(m),
            _ => None,
        }
    }
}

/// A syntax error with its byte offset in the text.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Parses `text` strictly into a span tree.
/// jsonc-parser's options for strict JSON (RFC 8259, what `serde_json` and so the engine
/// accept): every extension off. The analyzer's span reader and `modelarts-iam fmt` parse with
/// them.
pub fn strict_json() -> jsonc_parser::ParseOptions {
    jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(SyntaxError {
            offset: offset_of_serde_position(text, err.line(), err.column()),
            message: strip_position(&err.to_string()),
        });
    }
    let options = strict_json();
    let parsed =
        jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options)
            .map_err(|e| SyntaxError {
                offset: e.range().start,
                message: e.kind().to_string(),
            })?;
    match parsed.value {
        Some(v) => Ok(convert(v)),
        None => Err(SyntaxError {
            offset: 0,
            message: "the document is empty".to_owned(),
        }),
    }
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_owned(),
        None => msg.to_owned(),
    }
}

/// serde_json reports 1-based lines and a column that counts bytes from the line start
/// (the position just after the offending byte, or 0 at the end of input).
fn offset_of_serde_position(text: &str, line: usize, column: usize) -> usize {
    let mut line_start = 0usize;
    let mut current = 1usize;
    if line > 1 {
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                current += 1;
                if current == line {
                    line_start = i + 1;
                    break;
                }
            }
        }
    }
    let off = line_start + column.saturating_sub(1);
    let mut off = off.min(text.len());
    while off > 0 && !text.is_char_boundary(off) {
        off -= 1;
    }
    off
}

fn convert(v: jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::{ObjectPropName, Value};
    match v {
        Value::StringLit(s) => Node {
            kind: Kind::String(s.value.into_owned()),
            start: s.range.start,
            end: s.range.end,
        },
        Value::NumberLit(n) => Node {
            kind: Kind::Number(n.value.to_owned()),
            start: n.range.start,
            end: n.range.end,
        },
        Value::BooleanLit(b) => Node {
            kind: Kind::Bool(b.value),
            start: b.range.start,
            end: b.range.end,
        },
        Value::NullKeyword(n) => Node {
            kind: Kind::Null,
            start: n.range.start,
            end: n.range.end,
        },
        Value::Array(a) => Node {
            kind: Kind::Array(a.elements.into_iter().map(convert).collect()),
            start: a.range.start,
            end: a.range.end,
        },
        Value::Object(o) => Node {
            kind: Kind::Object(
                o.properties
                    .into_iter()
                    .map(|p| {
                        let (key, ks, ke) = match p.name {
                            ObjectPropName::String(s) => {
                                (s.value.into_owned(), s.range.start, s.range.end)
                            }
                            ObjectPropName::Word(w) => {
                                (w.value.to_owned(), w.range.start, w.range.end)
                            }
                        };
                        Member {
                            key,
                            key_start: ks,
                            key_end: ke,
                            value: convert(p.value),
                        }
                    })
                    .collect(),
            ),
            start: o.range.start,
            end: o.range.end,
        },
    }
}

/// Maps byte offsets of a text to positions (line 1-based, column and offset 0-based, both
/// counted in Unicode scalar values).
#[derive(Debug)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        LineIndex { text, line_starts }
    }

    fn char_count(&self, from: usize, to: usize) -> usize {
        self.text
            .get(from..to)
            .map_or(to.saturating_sub(from), |s| s.chars().count())
    }

    pub(crate) fn position(&self, byte: usize) -> Position {
        let mut byte = byte.min(self.text.len());
        while byte > 0 && !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line_idx = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        Position {
            line: line_idx + 1,
            column: self.char_count(line_start, byte),
            offset: self.char_count(0, byte),
        }
    }

    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start: self.position(start),
            end: self.position(end),
        }
    }
}

/// The text `serde_json` writes for a number written as `text` (`1e3` becomes `1000.0`), which is
/// what the engine sees for a numeric condition value.
pub(crate) fn number_text(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .map_or_else(|_| text.to_owned(), |v| v.to_string())
}

fn json_string_len(s: &str) -> usize {
    serde_json::to_string(s).map_or(s.len() + 2, |j| j.len())
}

/// Length in bytes of the minified JSON of `node` as `serde_json` writes it (the engine's
/// measure, spec §1.5): duplicates kept, strings re-escaped, numbers normalised.
pub(crate) fn minified_len(node: &Node) -> usize {
    match &node.kind {
        Kind::Null => 4,
        Kind::Bool(true) => 4,
        Kind::Bool(false) => 5,
        Kind::Number(t) => number_text(t).len(),
        Kind::String(s) => json_string_len(s),
        Kind::Array(items) => {
            2 + items.iter().map(minified_len).sum::<usize>() + items.len().saturating_sub(1)
        }
        Kind::Object(members) => {
            2 + members
                .iter()
                .map(|m| json_string_len(&m.key) + 1 + minified_len(&m.value))
                .sum::<usize>()
                + members.len().saturating_sub(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_line_col_offset() {
        let t = "{\n  \"a\": 1\n}";
        let idx = LineIndex::new(t);
        let p = idx.position(4);
        assert_eq!((p.line, p.column, p.offset), (2, 2, 4));
    }

    #[test]
    fn syntax_error_offset() {
        let t = "{\n  \"a\": 1,\n}";
        let e = parse(t).err();
        assert!(e.is_some());
    }

    #[test]
    fn minified() {
        let n = parse("{ \"a b\" : [ 1 , 2.50, 1e3, \"\\u0041\" ] }").ok();
        let len = n.as_ref().map(minified_len);
        assert_eq!(len, Some("{\"a b\":[1,2.5,1000.0,\"A\"]}".len()));
    }

    #[test]
    fn keeps_duplicates() {
        let n = parse("{\"a\":1,\"a\":2}").ok();
        let members = n.as_ref().and_then(|n| n.as_object()).map(<[_]>::len);
        assert_eq!(members, Some(2));
    }
}
