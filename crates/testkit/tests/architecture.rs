//! ARCHITECTURE.md's dependency table is true: every crate of the workspace is in it, with
//! exactly the workspace crates its `Cargo.toml` lists under `[dependencies]`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The table of ARCHITECTURE.md: crate -> the crates it depends on.
fn documented(architecture: &str) -> BTreeMap<String, BTreeSet<String>> {
    let names = |cell: &str| -> BTreeSet<String> {
        cell.split(',')
            .map(|s| s.trim().trim_matches('`').to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    architecture
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("| `iam-"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').collect();
            let krate = cells[0].trim().trim_matches('`').to_owned();
            (krate, names(cells.get(1).copied().unwrap_or("")))
        })
        .collect()
}

/// Every crate under `crates/`: its package name and the workspace crates of `[dependencies]`.
fn actual(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let doc: toml::Table = text.parse().unwrap();
        let name = doc["package"]["name"].as_str().unwrap().to_owned();
        let deps = doc
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|d| {
                d.keys()
                    .filter(|k| k.starts_with("iam-"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.insert(name, deps);
    }
    out
}

#[test]
fn the_documented_dependencies_are_the_manifests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let documented = documented(&architecture);
    let actual = actual(&root);
    assert!(actual.len() >= 10, "found only {actual:?}");
    assert_eq!(
        documented, actual,
        "ARCHITECTURE.md's dependency table (left) differs from the Cargo.toml files (right)"
    );
}

#[test]
fn libraries_depend_on_no_binary_and_the_store_on_no_policy_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let actual = actual(&root);
    for (krate, deps) in &actual {
        if krate != "iam-cli" {
            assert!(!deps.contains("iam-cli"), "{krate} depends on the CLI");
        }
        if krate != "iam-cli" && krate != "iam-server" {
            assert!(
                !deps.contains("iam-server"),
                "{krate} depends on the server"
            );
        }
        assert!(
            !deps.contains("iam-testkit"),
            "{krate} depends on the testkit"
        );
    }
    for policy_crate in ["iam-policy", "iam-catalog", "iam-analyzer", "iam-assistant"] {
        assert!(!actual["iam-store"].contains(policy_crate));
    }
}
