//! Bad input never panics (the stable-toolchain companion of the `fuzz/` targets): arbitrary
//! strings and byte-mutated / structurally mutated valid documents from the golden corpus go
//! through `Policy::parse` / `Policy::from_value` for every kind, and arbitrary and mutated
//! cases through the case reader and runner. Whatever parses is also evaluated and explained,
//! and re-serialises to a document that parses again.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use iam_policy::case::{Case, RouteAction, RouteResolver, read_cases, run_case};
use iam_policy::{Context, Policy, PolicyKind, PolicySet, Principal, Request};
use iam_testkit::mutate::{Mutation, apply, count_nodes, replace_node};
use iam_testkit::{load_corpus, policy_documents};
use proptest::prelude::*;
use serde_json::{Value, json};

const KINDS: [PolicyKind; 4] = [
    PolicyKind::Identity,
    PolicyKind::Session,
    PolicyKind::Trust,
    PolicyKind::Scp,
];

/// Every case of the golden corpus, and every policy document in them.
fn corpus() -> &'static (Vec<Value>, Vec<String>) {
    static CORPUS: OnceLock<(Vec<Value>, Vec<String>)> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
        let mut cases = Vec::new();
        let mut docs = Vec::new();
        for (_, file_cases) in load_corpus(&dir).unwrap() {
            for case in file_cases {
                docs.extend(policy_documents(&case));
                cases.push(case);
            }
        }
        assert!(cases.len() >= 250 && docs.len() >= 250);
        (cases, docs)
    })
}

/// Evaluates a parsed policy in every layer against a few requests, and checks that it
/// re-serialises to a document that parses again.
fn exercise(policy: Policy, kind: PolicyKind) {
    let again = Policy::from_value(&policy.to_json(), kind);
    assert!(again.is_ok(), "re-parse failed for {kind:?}: {again:?}");
    let p = Arc::new(policy);
    let ctx = Context::new()
        .with("g:SourceIp", "10.1.2.3")
        .with("g:CurrentTime", "2026-11-23T10:00:00Z")
        .with("modelarts:nodeCount", "not a number")
        .with_values("g:TagKeys", ["a", "b"]);
    let sets = [
        PolicySet::new(vec![("p".into(), Arc::clone(&p))], Vec::new(), Vec::new()),
        PolicySet::new(
            Vec::new(),
            vec![vec![("s".into(), Arc::clone(&p))]],
            vec![("x".into(), Arc::clone(&p))],
        ),
    ];
    for set in &sets {
        for (action, resource) in [
            (
                "modelarts:trainJob:get",
                "modelarts:cn-north-4:acct:trainJob:j1",
            ),
            ("MODELARTS:notebook:LIST", "*"),
            ("", ""),
            ("a:b:c:d:e", "x:y"),
        ] {
            let req = Request {
                action,
                resource,
                context: &ctx,
            };
            let principal = Principal::default();
            let d = set.decide(&principal, &req);
            let e = set.explain(&principal, &req);
            assert_eq!(
                d, e.decision,
                "decide and explain disagree on {action} {resource}"
            );
        }
    }
}

fn parse_all_kinds(text: &str) {
    for kind in KINDS {
        if let Ok(p) = Policy::parse(text, kind) {
            exercise(p, kind);
        }
        if let Ok(v) = serde_json::from_str::<Value>(text)
            && let Ok(p) = Policy::from_value(&v, kind)
        {
            exercise(p, kind);
        }
    }
}

/// A route resolver that answers some routes and rejects others.
struct FakeRoutes;

impl RouteResolver for FakeRoutes {
    fn resolve(
        &self,
        method: &str,
        path: &str,
        region: &str,
        account_id: &str,
    ) -> Result<Vec<RouteAction>, String> {
        if path.len().is_multiple_of(2) {
            return Err(format!("no route {method} {path}"));
        }
        Ok(vec![RouteAction {
            action: format!("modelarts:{method}:get"),
            resource: format!("modelarts:{region}:{account_id}:notebook:{path}"),
        }])
    }
}

fn run_cases_text(text: &str) {
    if let Ok(items) = read_cases(text) {
        for case in items.into_iter().flatten() {
            run_one(&case);
        }
    }
}

fn run_one(case: &Case) {
    let a = run_case(case, None);
    let b = run_case(case, Some(&FakeRoutes));
    for r in [a, b] {
        assert!(
            r.error.is_some() != r.decision.is_some(),
            "a result has either a decision or an error: {r:?}"
        );
        if let (Some(d), Some(e)) = (r.decision, &r.explanation) {
            assert_eq!(d, e.decision);
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("\"".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("*".to_owned()),
        Just("?".to_owned()),
        Just("\\u0000".to_owned()),
        Just("null".to_owned()),
        Just("1e999".to_owned()),
        Just("-0".to_owned()),
        Just("\"Condition\": {}".to_owned()),
        Just("\"NotAction\": [\"*\"]".to_owned()),
        Just("\"Principal\": {\"IAM\": [\"*\"]}".to_owned()),
        Just("ForAllValues:".to_owned()),
        Just("IfExists".to_owned()),
        Just("é".to_owned()),
        ".{0,8}",
    ];
    prop_oneof![
        (any::<usize>(), 1usize..16).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), interesting).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Mutation::Replace(a, c)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..64).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

/// Replacement values for structural mutations.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(0)),
        Just(json!(-1.5e300)),
        Just(json!(u64::MAX)),
        Just(json!("")),
        Just(json!("*")),
        Just(json!("modelarts:*:*")),
        Just(json!("a:b:c:d:e:f")),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["*", null, 1])),
        Just(json!({"StringEquals": {"g:X": []}})),
        Just(json!({"ForAnyValue:NumberLessThanIfExists": {"g:N": ["x"]}})),
        Just(json!({"DateEquals": {"g:CurrentTime": ["2026-02-30T00:00:00Z"]}})),
        Just(json!({"IpAddress": {"g:SourceIp": ["999.1.1.1/40", "::/129"]}})),
        Just(json!({"uri": ["/iam/agencies/*"]})),
        Just(json!("5.0")),
        Just(json!("1.1")),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn mutate_structure(v: &Value, at: usize, with: &Value) -> Value {
    let mut v = v.clone();
    let mut n = at % count_nodes(&v);
    replace_node(&mut v, &mut n, with);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        parse_all_kinds(&s);
        run_cases_text(&s);
    }

    #[test]
    fn json_looking_strings_never_panic(s in r#"[\[\]{}":,0-9a-zA-Z*?. -]{0,64}"#) {
        parse_all_kinds(&s);
        run_cases_text(&s);
    }

    #[test]
    fn byte_mutated_policies_never_panic(
        i in any::<usize>(),
        ms in proptest::collection::vec(mutation(), 1..4),
    ) {
        let docs = &corpus().1;
        let mut text = docs[i % docs.len()].clone();
        for m in &ms {
            text = apply(&text, m);
        }
        parse_all_kinds(&text);
    }

    #[test]
    fn structurally_mutated_policies_never_panic(
        i in any::<usize>(),
        at in any::<usize>(),
        with in odd_value(),
    ) {
        let docs = &corpus().1;
        let v: Value = serde_json::from_str(&docs[i % docs.len()]).unwrap();
        let m = mutate_structure(&v, at, &with);
        for kind in KINDS {
            if let Ok(p) = Policy::from_value(&m, kind) {
                exercise(p, kind);
            }
        }
        parse_all_kinds(&m.to_string());
    }

    #[test]
    fn mutated_cases_never_panic(
        i in any::<usize>(),
        at in any::<usize>(),
        with in odd_value(),
        m in mutation(),
    ) {
        let cases = &corpus().0;
        let case = mutate_structure(&cases[i % cases.len()], at, &with);
        if let Ok(c) = serde_json::from_value::<Case>(case.clone()) {
            run_one(&c);
        }
        let text = apply(&case.to_string(), &m);
        run_cases_text(&text);
        // JSON lines of two mutated cases.
        run_cases_text(&format!("{case}\n{text}\n"));
    }
}

#[test]
fn deeply_nested_input_is_an_error_not_a_stack_overflow() {
    for depth in [64, 129, 10_000, 100_000] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        parse_all_kinds(&text);
        run_cases_text(&text);
        let obj = format!(
            "{{\"Version\": \"5.0\", \"Statement\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        for kind in KINDS {
            assert!(Policy::parse(&obj, kind).is_err());
        }
    }
}

#[test]
fn every_corpus_document_round_trips() {
    // The mutation tests start from these; make sure they are the valid documents they should be.
    let docs = &corpus().1;
    let parsed = docs
        .iter()
        .filter(|d| {
            KINDS.iter().any(|&k| {
                Policy::parse(d, k).is_ok_and(|p| Policy::from_value(&p.to_json(), k).is_ok())
            })
        })
        .count();
    assert_eq!(parsed, docs.len());
}
