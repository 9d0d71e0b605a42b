//! Reading configuration files (YAML 1.2 and JSON, which is YAML) into JSON values that remember
//! where each node and each mapping key starts, so that every error can name `file:line:column`;
//! and writing values back as YAML.
//!
//! The parser is `yaml-rust2`'s event parser (YAML 1.2 core schema: `no`, `on`, `yes` stay
//! strings). Plain scalars are typed by that schema (null, booleans, integers, floats, strings);
//! quoted and block scalars are strings. Duplicate mapping keys and non-string keys are errors.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::yaml::{Hash, Yaml};

/// A position in a file: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Self {
        Pos {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

/// A parsed file: its value and the position of every node (by path, `users[3].name`) and of
/// every mapping key (by the path of its value followed by `#key`).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The value (`null` for an empty file).
    pub value: Value,
    positions: HashMap<String, Pos>,
}

impl Parsed {
    /// Where the node at `path` starts; else the nearest enclosing node's start.
    pub fn pos(&self, path: &str) -> Pos {
        let mut p = path.to_owned();
        loop {
            if let Some(pos) = self.positions.get(&p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.positions.get("").copied().unwrap_or_default(),
            }
        }
    }

    /// Where the key of the member at `path` starts (the node's start when unknown).
    pub fn key_pos(&self, path: &str) -> Pos {
        self.positions
            .get(&format!("{path}#key"))
            .copied()
            .unwrap_or_else(|| self.pos(path))
    }
}

/// The path of the member `key` of the node at `parent`.
pub fn member(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The path of item `i` of the sequence at `parent`.
pub fn item(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

enum Frame {
    Seq {
        path: String,
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        path: String,
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    positions: HashMap<String, Pos>,
    anchors: HashMap<usize, Value>,
    error: Option<(Pos, String)>,
}

impl Builder {
    /// The path the next value gets, or `None` when the next scalar is a mapping key.
    fn next_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { path, items, .. }) => Some(item(path, items.len())),
            Some(Frame::Map { path, key, .. }) => key.as_ref().map(|k| member(path, k)),
        }
    }

    fn fail(&mut self, pos: Pos, message: String) {
        if self.error.is_none() {
            self.error = Some((pos, message));
        }
    }

    fn put(&mut self, value: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => {
                if let Some(k) = key.take() {
                    map.insert(k, value);
                }
            }
        }
    }
}

fn scalar(text: &str, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(text.to_owned());
    }
    match Yaml::from_str(text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::Number(i.into()),
        Yaml::Real(r) => match r.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Value::Number(n),
            None => Value::String(r),
        },
        _ => Value::String(text.to_owned()),
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = Pos::from(mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => match self.next_path() {
                Some(path) => {
                    self.positions.insert(path, pos);
                    self.put(scalar(&text, style), anchor);
                }
                None => {
                    // a mapping key
                    if let Some(Frame::Map { path, map, key, .. }) = self.stack.last_mut() {
                        if map.contains_key(&text) {
                            let message = format!("duplicate key `{text}`");
                            self.fail(pos, message);
                            return;
                        }
                        let at = member(path, &text);
                        if map.is_empty() {
                            // a block mapping starts at its first key
                            let start = self.positions.entry(path.clone()).or_insert(pos);
                            *start = (*start).min(pos);
                        }
                        self.positions.insert(format!("{at}#key"), pos);
                        *key = Some(text);
                    }
                }
            },
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let Some(path) = self.next_path() else {
                    self.fail(
                        pos,
                        "a mapping key must be a plain string, not a sequence or mapping"
                            .to_owned(),
                    );
                    return;
                };
                self.positions.insert(path.clone(), pos);
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        path,
                        items: Vec::new(),
                        anchor,
                    }
                } else {
                    Frame::Map {
                        path,
                        map: Map::new(),
                        key: None,
                        anchor,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { items, anchor, .. }) => self.put(Value::Array(items), anchor),
                Some(Frame::Map { map, anchor, .. }) => self.put(Value::Object(map), anchor),
                None => {}
            },
            Event::Alias(id) => {
                let value = self.anchors.get(&id).cloned();
                match (self.next_path(), value) {
                    (Some(path), Some(v)) => {
                        self.positions.insert(path, pos);
                        self.put(v, 0);
                    }
                    (None, _) => self.fail(pos, "an alias cannot be a mapping key".to_owned()),
                    (_, None) => self.fail(pos, "unknown alias".to_owned()),
                }
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// Parses YAML (or JSON) text; the error is a position and a message.
pub fn parse(text: &str) -> Result<Parsed, (Pos, String)> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, false).map_err(|e| {
        (
            Pos::from(*e.marker()),
            format!("not valid YAML: {}", e.info()),
        )
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    let mut positions = b.positions;
    positions
        .entry(String::new())
        .or_insert(Pos { line: 1, column: 1 });
    Ok(Parsed {
        value: b.root.unwrap_or(Value::Null),
        positions,
    })
}

/// The YAML value of a JSON value (mapping order kept).
fn to_yaml(v: &Value) -> Yaml {
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(a) => Yaml::Array(a.iter().map(to_yaml).collect()),
        Value::Object(m) => {
            let mut h = Hash::new();
            for (k, v) in m {
                h.insert(Yaml::String(k.clone()), to_yaml(v));
            }
            Yaml::Hash(h)
        }
    }
}

/// YAML text of a value: block style, mapping order kept, strings quoted when they would read
/// as something else; ends with a newline.
pub fn to_string(v: &Value) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut emitter = yaml_rust2::YamlEmitter::new(&mut out);
    emitter
        .dump(&to_yaml(v))
        .map_err(|e| anyhow::anyhow!("writing YAML: {e:?}"))?;
    let body = out.strip_prefix("---\n").unwrap_or(&out).to_owned();
    Ok(body + "\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn values_and_positions() {
        let p = parse("users:\n  - name: no\n    enabled: false\n    n: 3\n").unwrap();
        assert_eq!(
            p.value,
            serde_json::json!({"users": [{"name": "no", "enabled": false, "n": 3}]})
        );
        assert_eq!(
            p.pos("users[0].name"),
            Pos {
                line: 2,
                column: 11
            }
        );
        assert_eq!(p.key_pos("users[0].enabled"), Pos { line: 3, column: 5 });
        assert_eq!(p.pos("users[0].absent"), Pos { line: 2, column: 5 });
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.0.line, 2);
        assert!(parse("a: [1\n").is_err());
        let round = serde_json::json!({"a": ["5.0", "x y", "true", 1, {"b": null}], "c": "no"});
        assert_eq!(parse(&to_string(&round).unwrap()).unwrap().value, round);
    }
}
