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
use iam_testkit::mutate::{Mutation, apply, count_nodes, replace_node};
use iam_testkit::{load_corpus, policy_documents};
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
        let mut docs: Vec<String> = TRUST.iter().map(|s| (*s).to_owned()).collect();
        for (_, cases) in load_corpus(&dir).unwrap() {
            docs.extend(cases.iter().flat_map(policy_documents));
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
