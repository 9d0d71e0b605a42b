//! Differential property: `validate` reports an `error` finding if and only if
//! `iam_policy::Policy::parse` rejects the same document for the same kind, and the validator's
//! own checks name the reason (the `POLICY_REJECTED` safety net never fires). Documents are the
//! policies of the golden corpus (`tests/corpus`), byte-mutated and structurally mutated, plus
//! trust policies, for every policy type.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use iam_analyzer::{PolicyType, has_errors, validate};
use iam_policy::Policy;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::OnceLock;

const TYPES: [PolicyType; 4] = [
    PolicyType::Identity,
    PolicyType::Session,
    PolicyType::Trust,
    PolicyType::Scp,
];

const TRUST: &[&str] = &[
    r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume"], "Principal": {"IAM": ["0123456789", "iam::0123456789:user:alice"]}}]}"#,
    r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume", "sts::tagSession"], "Principal": {"Service": ["service.ModelArts"]}, "Condition": {"StringEquals": {"g:PrincipalAccount": ["0123456789"]}}}]}"#,
    r#"{"Version": "5.0", "Statement": [{"Effect": "Deny", "Action": ["sts:agencies:assume"], "NotPrincipal": {"IAM": ["*"]}}]}"#,
];

/// Every policy document of the golden corpus (plus a few trust policies).
fn corpus() -> &'static Vec<String> {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut docs: Vec<String> = TRUST.iter().map(|s| (*s).to_owned()).collect();
        for f in files {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            for case in v.as_array().unwrap() {
                let mut policies: Vec<&Value> = Vec::new();
                for key in ["identity_policies", "session_policies"] {
                    if let Some(Value::Array(ps)) = case.get(key) {
                        policies.extend(ps);
                    }
                }
                if let Some(Value::Array(levels)) = case.get("scps") {
                    for level in levels {
                        policies.extend(level.as_array().into_iter().flatten());
                    }
                }
                for p in policies {
                    docs.push(match p {
                        Value::String(s) => s.clone(),
                        other => serde_json::to_string_pretty(other).unwrap(),
                    });
                }
            }
        }
        assert!(docs.len() >= 200, "only {} corpus documents", docs.len());
        docs
    })
}

fn agree(text: &str) {
    for ty in TYPES {
        let findings = validate(text, ty);
        let parsed = Policy::parse(text, ty.kind());
        assert_eq!(
            has_errors(&findings),
            parsed.is_err(),
            "{ty:?}: validator and engine disagree on {text}\nengine: {parsed:?}\nfindings: {}",
            serde_json::to_string_pretty(&findings).unwrap()
        );
        assert!(
            !findings.iter().any(|f| f.issue_code == "POLICY_REJECTED"),
            "{ty:?}: only the safety net caught {text}: {findings:?}"
        );
        // Every location lies inside the text.
        let chars = text.chars().count();
        for f in &findings {
            for l in &f.locations {
                assert!(l.span.start.offset <= l.span.end.offset && l.span.end.offset <= chars);
            }
        }
    }
}

#[test]
fn corpus_documents_agree() {
    for d in corpus() {
        agree(d);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("\"".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("*".to_owned()),
        Just("\\u0041".to_owned()),
        Just("null".to_owned()),
        Just("1e999".to_owned()),
        Just("\"Sid\": \"a\",".to_owned()),
        Just("\"Condition\": {},".to_owned()),
        Just("\"NotAction\": [\"*\"],".to_owned()),
        Just("\"NotResource\": [\"*\"],".to_owned()),
        Just("\"Principal\": {\"IAM\": [\"*\"]},".to_owned()),
        Just("\"Effect\": \"Deny\",".to_owned()),
        Just("ForAllValues:".to_owned()),
        Just("IfExists".to_owned()),
        Just("Not".to_owned()),
        Just("é".to_owned()),
        ".{0,6}",
    ];
    prop_oneof![
        (any::<usize>(), 1usize..12).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), interesting).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Mutation::Replace(a, c)),
        (any::<usize>(), 1usize..48).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
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
        Mutation::Duplicate(a, n) => {
            let start = boundary(&s, *a);
            let end = boundary(&s, (start + n).min(s.len()));
            let piece = s.get(start..end).unwrap_or("").to_owned();
            s.insert_str(end, &piece);
        }
    }
    s
}

fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(0)),
        Just(json!(1.5e3)),
        Just(json!("")),
        Just(json!("*")),
        Just(json!("Allow")),
        Just(json!("Deny")),
        Just(json!("modelarts:*:*")),
        Just(json!("modelarts:cn-north-4:*:notebook:*")),
        Just(json!("a:b:c:d:e:f")),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["*"])),
        Just(json!(["*", null, 1])),
        Just(json!({"StringEquals": {"g:X": []}})),
        Just(json!({"StringEquals": {"g:UserName": [1, true]}})),
        Just(json!({"ForAnyValue:NumberLessThanIfExists": {"g:N": ["x"]}})),
        Just(json!({"DateEquals": {"g:CurrentTime": ["2026-02-30T00:00:00Z"]}})),
        Just(json!({"IpAddress": {"g:SourceIp": ["999.1.1.1/40", "::/129"]}})),
        Just(json!({"Null": {"g:SourceIp": "maybe"}})),
        Just(json!({"Bool": {"g:MFAPresent": "TRUE"}})),
        Just(json!({"NumberEquals": {"g:MFAAge": "1e3"}})),
        Just(json!({"IAM": ["0123456789"]})),
        Just(json!({"uri": ["/iam/agencies/*"]})),
        Just(json!("5.0")),
        Just(json!("1.1")),
        ".{0,10}".prop_map(Value::String),
    ]
}

fn replace_node(v: &mut Value, n: &mut usize, with: &Value) -> bool {
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

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Renames the `n`-th object member (pre-order) to `name`.
fn rename_member(v: &mut Value, n: &mut usize, name: &str) -> bool {
    match v {
        Value::Array(items) => items.iter_mut().any(|i| rename_member(i, n, name)),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if *n == 0 {
                    if let Some(val) = map.remove(&k) {
                        map.insert(name.to_owned(), val);
                    }
                    return true;
                }
                *n -= 1;
                if let Some(child) = map.get_mut(&k)
                    && rename_member(child, n, name)
                {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Sid".to_owned()),
        Just("effect".to_owned()),
        Just("NotAction".to_owned()),
        Just("NotResource".to_owned()),
        Just("Principal".to_owned()),
        Just("NotPrincipal".to_owned()),
        Just("Condition".to_owned()),
        Just("StringEquals".to_owned()),
        Just("StringLike".to_owned()),
        Just("ForAllValues:StringMatch".to_owned()),
        Just("NullIfExists".to_owned()),
        Just("NumberGreaterThanIfExists".to_owned()),
        Just("g:CurrentTime".to_owned()),
        Just("g:TagKeys".to_owned()),
        Just("IAM".to_owned()),
        Just("uri".to_owned()),
        "[A-Za-z:]{1,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn byte_mutated_documents_agree(
        i in any::<usize>(),
        ms in proptest::collection::vec(mutation(), 1..4),
    ) {
        let docs = corpus();
        let mut text = docs[i % docs.len()].clone();
        for m in &ms {
            text = apply(&text, m);
        }
        agree(&text);
    }

    #[test]
    fn structurally_mutated_documents_agree(
        i in any::<usize>(),
        at in any::<usize>(),
        with in odd_value(),
        rename_at in any::<usize>(),
        name in member_name(),
        pretty in any::<bool>(),
    ) {
        let docs = corpus();
        let Ok(mut v) = serde_json::from_str::<Value>(&docs[i % docs.len()]) else {
            return Ok(());
        };
        let mut n = at % count_nodes(&v);
        replace_node(&mut v, &mut n, &with);
        let mut n = rename_at % count_nodes(&v);
        rename_member(&mut v, &mut n, &name);
        let text = if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            serde_json::to_string(&v).unwrap()
        };
        agree(&text);
        // The same document given as a JSON string holding it.
        agree(&serde_json::to_string(&text).unwrap());
    }
}
