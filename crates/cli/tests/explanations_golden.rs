//! The human explanation of every golden-corpus case (`eval --explain`), pinned in
//! `tests/corpus/explanations.golden`. Regenerate with `UPDATE_GOLDEN=1 cargo test -p iam-cli
//! --test explanations_golden` and review the difference by eye: every deny names its cause.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("tests/corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    files
}

/// The `--explain` text of every corpus file, each under a `== FILE ==` header.
fn explanations() -> String {
    let mut all = String::new();
    for f in corpus_files() {
        let rel = format!("tests/corpus/{f}");
        let out = Command::cargo_bin("modelarts-iam")
            .unwrap()
            .current_dir(root())
            .args(["eval", "--explain", &rel])
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!(code == 0 || code == 2, "{rel}: exit {code}");
        // the corpus names made-up actions on purpose (wildcard matching): only the
        // unknown-action warnings may be on standard error
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr
                .lines()
                .all(|l| l.starts_with("warning: `") && l.contains("is not an action of")),
            "{rel}: {stderr}"
        );
        all.push_str(&format!("== {f} ==\n"));
        all.push_str(&String::from_utf8(out.stdout).unwrap());
    }
    all
}

/// Each case's block: its head line and the indented lines under it.
fn blocks(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("    ") {
            if let Some(b) = out.last_mut() {
                b.push(line);
            }
        } else {
            out.push(vec![line]);
        }
    }
    out
}

#[test]
fn explanations_of_the_corpus_match_the_golden_file() {
    let golden_path = root().join("tests/corpus/explanations.golden");
    let actual = explanations();
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&golden_path, &actual).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&golden_path).unwrap_or_default();
    if golden != actual {
        let first = golden
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| golden.lines().count().min(actual.lines().count()));
        panic!(
            "the explanations changed (first difference at line {}):\n  golden: {:?}\n  actual: {:?}\n\
             review the change and regenerate with UPDATE_GOLDEN=1",
            first + 1,
            golden.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// What the golden file must say, whatever the engine prints: every deny names its cause (the
/// layer and why), an implicit deny never lists a `Deny`'s conditions, an explicit deny lists
/// no condition that merely did not hold.
#[test]
fn every_deny_names_its_cause_and_only_conditions_that_decided() {
    let text = explanations();
    let mut denies = 0;
    for b in blocks(&text) {
        let head = b[0];
        if head.starts_with("DENY (implicit") {
            denies += 1;
            let cause = b
                .iter()
                .find_map(|l| l.strip_prefix("    cause: "))
                .unwrap_or_else(|| panic!("no cause: {b:#?}"));
            assert!(
                cause.starts_with("no Allow at SCP level ")
                    || cause.starts_with("no Allow in the session policy")
                    || cause.starts_with("no matching Allow in identity policies"),
                "{b:#?}"
            );
            if head.contains("no allow in SCP level") {
                assert!(cause.contains("every SCP level needs an Allow"), "{b:#?}");
            }
        } else if head.starts_with("DENY (explicit") {
            denies += 1;
            let cause = b
                .iter()
                .find_map(|l| l.strip_prefix("    cause: "))
                .unwrap_or_else(|| panic!("no cause: {b:#?}"));
            assert!(cause.starts_with("explicit Deny statement #"), "{b:#?}");
            assert!(
                !b.iter().any(|l| l.contains("conditions that did not hold")),
                "{b:#?}"
            );
        }
    }
    assert!(denies > 100, "{denies} denies");
}

/// The same over the JSON: an implicit deny lists only conditions of `Allow` statements of a
/// failing layer; an explicit deny only conditions in error (which make a `Deny` apply).
#[test]
fn failed_conditions_of_the_corpus_are_only_those_that_decided() {
    let mut checked = 0;
    for f in corpus_files() {
        let rel = format!("tests/corpus/{f}");
        let out = Command::cargo_bin("modelarts-iam")
            .unwrap()
            .current_dir(root())
            .args(["eval", &rel])
            .output()
            .unwrap();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let e = &v["explanation"];
            let failing = e["failing_layers"].as_array().unwrap();
            for c in e["failed_conditions"].as_array().unwrap() {
                checked += 1;
                let s = &c["statement"];
                match e["decision"].as_str().unwrap() {
                    "implicit_deny" => {
                        assert_eq!(s["effect"], "Allow", "{f}: {v}");
                        assert!(
                            failing
                                .iter()
                                .any(|l| l["layer"] == s["layer"] && l["level"] == s["level"]),
                            "{f}: a condition outside the failing layers: {v}"
                        );
                    }
                    "explicit_deny" => {
                        assert_eq!(s["effect"], "Deny", "{f}: {v}");
                        assert!(c["error"].is_string(), "{f}: {v}");
                    }
                    other => panic!("{f}: {other} with failed conditions: {v}"),
                }
            }
        }
    }
    assert!(checked > 20, "{checked} conditions checked");
}
