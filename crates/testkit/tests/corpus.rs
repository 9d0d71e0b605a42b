//! The golden-corpus harness: runs every case of `tests/corpus/*.json` through the reference
//! evaluator (and, once it exposes its case runner, the engine) and compares with `expect`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use std::path::{Path, PathBuf};

mod common;

use common::{engine_decide, reference_routes};
use iam_testkit::{ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, load_corpus, reference_decide_with_routes};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

const FILES: &[&str] = &[
    "actions-wildcards.json",
    "resources-urn.json",
    "resource-case.json",
    "string-operators.json",
    "number-operators.json",
    "date-operators.json",
    "bool-ip-null.json",
    "ifexists.json",
    "qualifiers.json",
    "missing-keys.json",
    "scp-levels.json",
    "session-policies.json",
    "root-and-management.json",
    "deny-wins.json",
    "legacy-1.1.json",
    "modelarts-scenarios.json",
    "routes.json",
    "errors.json",
];

#[test]
fn corpus_is_well_formed() {
    let corpus = load_corpus(&corpus_dir()).expect("corpus loads");
    let mut names = std::collections::HashSet::new();
    let mut total = 0;
    for f in FILES {
        assert!(
            corpus.iter().any(|(name, _)| name == f),
            "missing corpus file {f}"
        );
    }
    for (file, cases) in &corpus {
        assert!(!cases.is_empty(), "{file} has no case");
        for case in cases {
            total += 1;
            let name = case
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{file}: a case without a name"));
            assert!(!name.is_empty(), "{file}: empty case name");
            assert!(
                names.insert(name.to_string()),
                "{file}: duplicate case name {name:?}"
            );
            let expect = case.get("expect").and_then(Value::as_str);
            assert!(
                matches!(expect, Some(ALLOW | EXPLICIT_DENY | IMPLICIT_DENY)),
                "{file}: {name}: bad expect {expect:?}"
            );
            let obj = case.as_object().expect("case object");
            for key in obj.keys() {
                assert!(
                    matches!(
                        key.as_str(),
                        "name"
                            | "identity_policies"
                            | "scps"
                            | "session_policies"
                            | "principal"
                            | "request"
                            | "expect"
                    ),
                    "{file}: {name}: unknown member {key}"
                );
            }
        }
    }
    assert!(total >= 250, "only {total} cases");
}

type Decide<'a> = &'a dyn Fn(&Value) -> Result<&'static str, String>;

/// Runs every case through `decide`; returns the summary line and the mismatches.
fn run_corpus(who: &str, decide: Decide<'_>) -> (String, Vec<String>) {
    let corpus = load_corpus(&corpus_dir()).expect("corpus loads");
    let (mut passed, mut failed) = (0usize, Vec::new());
    for (file, cases) in &corpus {
        for case in cases {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("?");
            let expect = case.get("expect").and_then(Value::as_str).unwrap_or("?");
            match decide(case) {
                Ok(got) if got == expect => passed += 1,
                Ok(got) => failed.push(format!("{file}: {name}: expected {expect}, {who} {got}")),
                Err(e) => failed.push(format!("{file}: {name}: {who} error: {e}")),
            }
        }
    }
    let summary = format!(
        "{who}: {} cases: {passed} passed, {} failed",
        passed + failed.len(),
        failed.len()
    );
    (summary, failed)
}

#[test]
fn reference_agrees_with_expect() {
    let (summary, failed) = run_corpus("reference", &|c| {
        reference_decide_with_routes(c, &reference_routes)
    });
    println!("{summary}");
    assert!(
        failed.is_empty(),
        "{summary}; mismatches:\n{}",
        failed.join("\n")
    );
}

#[test]
fn engine_agrees_with_expect() {
    let (summary, failed) = run_corpus("engine", &engine_decide);
    println!("{summary}");
    assert!(
        failed.is_empty(),
        "{summary}; mismatches:\n{}",
        failed.join("\n")
    );
}
