//! `eval --policy ...` (a request from policy files and flags), policy file references in case
//! files, `test` (suites with expectations) and `fmt` (canonical formatting, `--check`,
//! `--diff`, `--upgrade`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::path::Path;

use common::{Cli, Out};
use serde_json::{Value, json};

/// The CLI run in `dir` with `stdin` as its standard input.
fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    Cli::new(dir).run_input(args, stdin)
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// A workspace with identity, SCP and session policies under `policies/`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "policies/ds.json",
        r#"{"Version": "5.0", "Statement": [{"Sid": "Jobs", "Effect": "Allow",
            "Action": ["modelarts:trainJob:*"],
            "Condition": {"StringEquals": {"g:EnterpriseProjectId": ["ep-1", "ep-3"]}}}]}"#,
    );
    write(
        d,
        "policies/full.json",
        r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]}"#,
    );
    write(
        d,
        "policies/no-public-pool.json",
        r#"{"Version": "5.0", "Statement": [{"Sid": "NoPublicPool", "Effect": "Deny",
            "Action": ["modelarts:*:*"],
            "Condition": {"StringEquals": {"modelarts:poolType": ["public"]}}}]}"#,
    );
    write(
        d,
        "policies/no-delete.json",
        r#"{"Version": "5.0", "Statement": [{"Sid": "NoDelete", "Effect": "Deny",
            "Action": ["modelarts:*:delete*"]}, {"Effect": "Allow", "Action": ["*"]}]}"#,
    );
    write(
        d,
        "policies/session-obs.json",
        r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["obs:*:*"]}]}"#,
    );
    dir
}

// ---- eval --policy ----------------------------------------------------------------------------

#[test]
fn eval_policy_allows_with_exit_0_and_names_the_allowing_file() {
    let ws = workspace();
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/ds.json",
            "--action",
            "modelarts:trainJob:create",
            "--action",
            "modelarts:trainJob:get",
            "--context",
            "g:EnterpriseProjectId=ep-1",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("decided by"), "{}", out.stdout);
    assert_eq!(
        out.stdout
            .matches("identity policy policies/ds.json statement #0 (Sid Jobs)")
            .count(),
        4,
        "two rows and two explanations: {}",
        out.stdout
    );
    assert!(out.stdout.contains("modelarts:trainJob:get on *: allow"));
}

#[test]
fn a_misspelt_action_gets_a_warning_naming_the_closest_one() {
    let ws = workspace();
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/full.json",
            "--action",
            "modelarts:trainjob:craete",
        ],
        None,
    );
    // `*` matches any text, the typo too: only the warning tells
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("`modelarts:trainjob:craete` is not an action of modelarts")
            && out
                .stderr
                .contains("did you mean `modelarts:trainJob:create`?"),
        "{}",
        out.stderr
    );
    // the same in a case file, once per action; known actions (any letter case) are quiet
    write(
        ws.path(),
        "typo_test.json",
        r#"[{"identity_policies": ["@policies/ds.json"],
             "request": {"action": "modelarts:trainjob:craete"}, "expect": "implicit_deny"},
            {"identity_policies": ["@policies/ds.json"],
             "request": {"action": "modelarts:trainjob:craete"}, "expect": "implicit_deny"},
            {"identity_policies": ["@policies/ds.json"],
             "request": {"action": "modelarts:TrainJob:Create"}, "expect": "implicit_deny"}]"#,
    );
    for command in ["eval", "test"] {
        let out = run_in(ws.path(), &[command, "typo_test.json"], None);
        assert_eq!(
            out.stderr
                .matches("did you mean `modelarts:trainJob:create`?")
                .count(),
            1,
            "{command}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("TrainJob:Create"), "{}", out.stderr);
    }
}

#[test]
fn eval_policy_deny_exits_2_and_names_the_cause() {
    let ws = workspace();
    // One SCP level holds only a Deny that does not fire: the level lacks an Allow.
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/ds.json",
            "--scp-level",
            "policies/full.json",
            "--scp-level",
            "policies/no-public-pool.json",
            "--action",
            "modelarts:trainJob:create",
            "--context",
            "g:EnterpriseProjectId=ep-1",
            "--context",
            "modelarts:poolType=dedicated",
        ],
        None,
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "  cause: no Allow at SCP level 1 (every SCP level needs an Allow, such as FullAccess)\n"
        ),
        "{}",
        out.stdout
    );
    // The Deny's condition did not decide: it is not listed.
    assert!(!out.stdout.contains("poolType"), "{}", out.stdout);
    assert!(!out.stdout.contains("conditions"), "{}", out.stdout);

    // An explicit deny at a level with several files (comma-separated).
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/full.json",
            "--scp-level",
            "policies/full.json",
            "--scp-level",
            "policies/no-public-pool.json,policies/no-delete.json",
            "--action",
            "modelarts:trainJob:delete",
            "--action",
            "modelarts:trainJob:get",
        ],
        None,
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "  cause: explicit Deny statement #0 (Sid NoDelete) of policy policies/no-delete.json in SCP level 1\n"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("modelarts:trainJob:get on *: allow"));

    // Session policy and identity conditions: both failing layers named; the identity Allow's
    // condition listed with the request's values (a multi-valued --context key).
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/ds.json",
            "--session-policy",
            "policies/session-obs.json",
            "--action",
            "modelarts:trainJob:create",
            "--context",
            "g:EnterpriseProjectId=ep-2",
            "--context",
            "g:EnterpriseProjectId=ep-4",
            "--principal",
            "iam::acct1:user:bob",
        ],
        None,
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains(
            "  cause: no Allow in the session policy; no matching Allow in identity policies\n"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(
        "    - StringEquals g:EnterpriseProjectId [\"ep-1\", \"ep-3\"] vs request [\"ep-2\", \"ep-4\"] in identity policy policies/ds.json statement #0 (Sid Jobs)"
    ), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("User: iam::acct1:user:bob is not authorized")
    );
}

#[test]
fn eval_policy_json_is_the_case_runners_json() {
    let ws = workspace();
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/ds.json",
            "--action",
            "modelarts:trainJob:create",
            "--action",
            "obs:bucket:list",
            "--context",
            "g:EnterpriseProjectId=ep-1",
            "--json",
        ],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["case"], 1);
    assert_eq!(
        lines[0]["explanation"]["statements"][0]["policy_id"],
        "identity_policies[0]"
    );
    // which file that is
    assert_eq!(
        lines[0]["policy_files"]["identity_policies[0]"],
        "policies/ds.json"
    );
    assert_eq!(lines[1]["decision"], "implicit_deny");
    assert_eq!(
        lines[1]["explanation"]["reason"],
        "no matching Allow in identity policies"
    );
    assert!(lines[1].get("file").is_none());
}

#[test]
fn eval_policy_route_form_decides_each_action_of_the_route() {
    let ws = workspace();
    write(
        ws.path(),
        "policies/nb.json",
        r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:get"]}]}"#,
    );
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/nb.json",
            "--method",
            "GET",
            "--path",
            "/v1/p1/notebooks/nb-1",
            "--region",
            "cn-north-4",
            "--principal",
            "iam::acct1:user:alice",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("modelarts:notebook:get on modelarts:cn-north-4:acct1:notebook:nb-1: allow"),
        "{}",
        out.stdout
    );
}

#[test]
fn eval_policy_invalid_file_exits_3_with_line_column_and_fix() {
    let ws = workspace();
    write(
        ws.path(),
        "policies/bad.json",
        "{\"Version\": \"5.0\",\n \"Statement\": [{\"Effect\": \"allow\", \"Action\": [\"obs:*:*\"]}]}\n",
    );
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/bad.json",
            "--action",
            "obs:bucket:list",
        ],
        None,
    );
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("the policy file `policies/bad.json` is invalid"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("INVALID_EFFECT"), "{}", out.stderr);
    assert!(out.stderr.contains("--> line 2, column"), "{}", out.stderr);
    assert!(out.stderr.contains("fix: "), "{}", out.stderr);
    // A 1.1 policy is an identity policy like any other; as an SCP it is invalid.
    write(
        ws.path(),
        "policies/legacy.json",
        r#"{"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["obs:*:*"]}]}"#,
    );
    let ok = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/legacy.json",
            "--action",
            "obs:bucket:list",
        ],
        None,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let scp = run_in(
        ws.path(),
        &[
            "eval",
            "--scp-level",
            "policies/legacy.json",
            "--action",
            "obs:bucket:list",
        ],
        None,
    );
    assert_eq!(scp.code, 3, "{}", scp.stderr);
}

#[test]
fn eval_policy_usage_errors_exit_1() {
    let ws = workspace();
    let cases: &[&[&str]] = &[
        // a missing policy file named on the command line (like a missing case file)
        &[
            "eval",
            "--policy",
            "policies/nope.json",
            "--action",
            "obs:bucket:list",
        ],
        // no action
        &["eval", "--policy", "policies/full.json"],
        // case files and a request together
        &["eval", "--policy", "policies/full.json", "x.json"],
        // nothing at all
        &["eval"],
        // a context without `=`
        &[
            "eval",
            "--policy",
            "policies/full.json",
            "--action",
            "a:b:c",
            "--context",
            "novalue",
        ],
    ];
    for args in cases {
        let out = run_in(ws.path(), args, None);
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = run_in(
        ws.path(),
        &[
            "eval",
            "--policy",
            "policies/nope.json",
            "--action",
            "a:b:c",
        ],
        None,
    );
    assert!(out.stderr.contains("policies/nope.json"), "{}", out.stderr);
}

// ---- file references in case files --------------------------------------------------------------

#[test]
fn case_files_may_reference_policy_files_relative_to_the_case_file() {
    let ws = workspace();
    write(
        ws.path(),
        "cases/ds.json",
        &json!([
            {"name": "ep-1 may create", "identity_policies": ["@../policies/ds.json"],
             "scps": [["@../policies/full.json"], ["@../policies/no-delete.json"]],
             "request": {"action": "modelarts:trainJob:create",
                         "context": {"g:EnterpriseProjectId": "ep-1"}},
             "expect": "allow"},
            {"name": "nobody deletes", "identity_policies": ["@../policies/full.json"],
             "scps": [["@../policies/full.json"], ["@../policies/no-delete.json"]],
             "request": {"action": "modelarts:trainJob:delete"}, "expect": "explicit_deny"}])
        .to_string(),
    );
    // From another directory: references resolve against the case file's directory.
    let out = run_in(
        ws.path().parent().unwrap(),
        &[
            "eval",
            "--check",
            "--explain",
            &ws.path().join("cases/ds.json").display().to_string(),
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "2 passed, 0 failed\n");
    let out = run_in(ws.path(), &["eval", "--explain", "cases/ds.json"], None);
    assert!(
        out.stdout.contains(
            "    cause: explicit Deny statement #0 (Sid NoDelete) of policy ../policies/no-delete.json in SCP level 1"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_missing_or_invalid_referenced_policy_is_invalid_input() {
    let ws = workspace();
    write(
        ws.path(),
        "c.json",
        &json!({"name": "issue", "identity_policies": ["@policies/ds"],
                "request": {"action": "modelarts:trainJob:create"}})
        .to_string(),
    );
    let out = run_in(ws.path(), &["eval", "c.json"], None);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("identity_policies[0]: the policy file `policies/ds` does not exist"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `@policies/ds.json`?"),
        "{}",
        out.stderr
    );
    write(
        ws.path(),
        "policies/bad-scp.json",
        r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"], "NotResource": ["*"]}]}"#,
    );
    write(
        ws.path(),
        "c.json",
        &json!({"identity_policies": [], "scps": [["@policies/bad-scp.json"]],
                "request": {"action": "modelarts:trainJob:create"}})
        .to_string(),
    );
    let out = run_in(ws.path(), &["eval", "c.json"], None);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("scps[0][0]: the policy file `policies/bad-scp.json` is invalid"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("line 1, column"), "{}", out.stderr);
}

// ---- test -------------------------------------------------------------------------------------

fn suite(ws: &Path) {
    write(
        ws,
        "suites/ds_test.json",
        &json!([
            {"name": "ep-1 may create", "identity_policies": ["@../policies/ds.json"],
             "request": {"action": "modelarts:trainJob:create",
                         "context": {"g:EnterpriseProjectId": "ep-1"}}, "expect": "allow"},
            {"name": "ep-2 may not", "identity_policies": ["@../policies/ds.json"],
             "request": {"action": "modelarts:trainJob:create",
                         "context": {"g:EnterpriseProjectId": "ep-2"}},
             "expect": "implicit_deny"}])
        .to_string(),
    );
    write(
        ws,
        "suites/nested/scp.test.json",
        &(json!({"name": "no deletes", "identity_policies": ["@../../policies/full.json"],
                 "scps": [["@../../policies/no-delete.json"]],
                 "request": {"action": "modelarts:notebook:delete"}, "expect": "explicit_deny"})
        .to_string()
            + "\n"),
    );
    // Not a suite by its name: ignored when searching directories.
    write(ws, "suites/notes.json", "not json");
}

#[test]
fn test_finds_suites_and_passes() {
    let ws = workspace();
    suite(ws.path());
    let out = run_in(ws.path(), &["test"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "PASS: 3/3\n");
    let out = run_in(ws.path(), &["test", "-v", "suites"], None);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains("PASS   ep-1 may create  [suites/ds_test.json: case #1]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("PASS   no deletes  [suites/nested/scp.test.json: case #1]"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("PASS: 3/3\n"));
    let out = run_in(ws.path(), &["test", "--run", "^ep-", "-v"], None);
    assert_eq!(out.code, 0);
    assert!(out.stdout.ends_with("PASS: 2/2\n"), "{}", out.stdout);
    let out = run_in(ws.path(), &["test", "--json"], None);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["summary"],
        json!({"passed": 3, "failed": 0, "errors": 0, "total": 3})
    );
    assert_eq!(v["results"][0]["status"], "pass");
    assert_eq!(v["results"][0]["decision"], "allow");
}

#[test]
fn a_failing_suite_shows_expected_and_got_with_the_explanation_and_exits_2() {
    let ws = workspace();
    suite(ws.path());
    write(
        ws.path(),
        "suites/wrong_test.json",
        &json!([{"name": "wrongly expects an allow", "identity_policies": ["@../policies/ds.json"],
                 "scps": [["@../policies/full.json"], ["@../policies/no-public-pool.json"]],
                 "request": {"action": "modelarts:trainJob:create",
                             "context": {"g:EnterpriseProjectId": "ep-1"}},
                 "expect": "allow"}])
        .to_string(),
    );
    let out = run_in(ws.path(), &["test"], None);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with(
            "FAIL   wrongly expects an allow  [suites/wrong_test.json: case #1]\n\
             \x20 - expected: allow\n\
             \x20 + got:      implicit_deny\n\
             \x20   cause: no Allow at SCP level 1 (every SCP level needs an Allow, such as FullAccess)\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("PASS: 3/4\nFAIL: 1/4\n"),
        "{}",
        out.stdout
    );
    let out = run_in(ws.path(), &["test", "--json"], None);
    assert_eq!(out.code, 2);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["failed"], 1);
}

#[test]
fn a_malformed_suite_exits_3() {
    for (name, text, says) in [
        ("bad_test.json", "[{\"request\": ", "not valid JSON"),
        (
            "noexpect_test.json",
            r#"[{"name": "n", "identity_policies": [], "request": {"action": "a:b:c"}}]"#,
            "has no `expect`",
        ),
        (
            "ref_test.json",
            r#"[{"name": "r", "identity_policies": ["@nope.json"], "request": {"action": "a:b:c"}, "expect": "allow"}]"#,
            "the policy file `nope.json` does not exist",
        ),
    ] {
        let ws = workspace();
        suite(ws.path());
        write(ws.path(), name, text);
        let out = run_in(ws.path(), &["test"], None);
        assert_eq!(out.code, 3, "{name}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains(says), "{name}: {}", out.stdout);
        assert!(out.stdout.contains("ERROR"), "{name}: {}", out.stdout);
    }
    // No suite at all, or a bad pattern: usage errors.
    let empty = tempfile::tempdir().unwrap();
    let out = run_in(empty.path(), &["test"], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("no test suite found"), "{}", out.stderr);
    let ws = workspace();
    suite(ws.path());
    let out = run_in(ws.path(), &["test", "--run", "("], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

// ---- fmt --------------------------------------------------------------------------------------

const UNFORMATTED: &str = r#"{"Statement":[{"Condition":{"StringEquals":{"g:EnterpriseProjectId":["ep-1"]}},"Action":["modelarts:trainJob:*"],"Effect":"Allow","Sid":"Jobs"}],"Version":"5.0"}"#;

const FORMATTED: &str = r#"{
  "Version": "5.0",
  "Statement": [
    {
      "Sid": "Jobs",
      "Effect": "Allow",
      "Action": [
        "modelarts:trainJob:*"
      ],
      "Condition": {
        "StringEquals": {
          "g:EnterpriseProjectId": [
            "ep-1"
          ]
        }
      }
    }
  ]
}
"#;

#[test]
fn fmt_reads_every_file_before_it_writes_any() {
    let ws = workspace();
    let before = read(ws.path(), "policies/ds.json");
    let out = run_in(
        ws.path(),
        &["fmt", "policies/ds.json", "policies/absent.json"],
        None,
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("policies/absent.json"),
        "{}",
        out.stderr
    );
    assert_eq!(
        read(ws.path(), "policies/ds.json"),
        before,
        "a run that stopped at an unreadable path changed a file"
    );
    // written files are reported as they are written
    let out = run_in(ws.path(), &["fmt", "policies/ds.json"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "policies/ds.json: formatted\n");
}

#[test]
fn fmt_check_fails_then_passes_after_fmt_and_fmt_is_idempotent() {
    let ws = workspace();
    write(ws.path(), "p/a.json", UNFORMATTED);
    write(ws.path(), "p/b.json", FORMATTED);
    write(
        ws.path(),
        "p/case.json",
        r#"[{"request": {"action": "a:b:c"}}]"#,
    );
    let out = run_in(ws.path(), &["fmt", "--check", "p"], None);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("p/a.json\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("b.json"));
    assert_eq!(
        read(ws.path(), "p/a.json"),
        UNFORMATTED,
        "--check writes nothing"
    );
    let out = run_in(ws.path(), &["fmt", "--diff", "p/a.json"], None);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .starts_with("--- p/a.json\n+++ p/a.json (formatted)\n@@ "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\n+  \"Version\": \"5.0\",\n"),
        "{}",
        out.stdout
    );
    assert_eq!(
        read(ws.path(), "p/a.json"),
        UNFORMATTED,
        "--diff writes nothing"
    );
    let out = run_in(ws.path(), &["fmt", "p"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "p/a.json: formatted\n");
    assert_eq!(read(ws.path(), "p/a.json"), FORMATTED);
    assert_eq!(
        read(ws.path(), "p/case.json"),
        r#"[{"request": {"action": "a:b:c"}}]"#
    );
    let out = run_in(ws.path(), &["fmt", "--check", "p"], None);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.stdout, "");
    // Idempotent, and the same through standard input.
    let out = run_in(ws.path(), &["fmt", "p/a.json"], None);
    assert_eq!(out.stdout, "");
    assert_eq!(read(ws.path(), "p/a.json"), FORMATTED);
    let out = run_in(ws.path(), &["fmt", "-"], Some(UNFORMATTED));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, FORMATTED);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(ws.path().join("p"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn fmt_refuses_invalid_json_with_its_position_and_writes_nothing() {
    let ws = workspace();
    let bad = "{\n  \"Version\": \"5.0\",\n  \"Statement\": [\n}";
    write(ws.path(), "bad.json", bad);
    let out = run_in(ws.path(), &["fmt", "bad.json"], None);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("bad.json: not valid JSON"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("line 4 column 1"), "{}", out.stderr);
    assert_eq!(read(ws.path(), "bad.json"), bad);
    write(ws.path(), "cases.json", "[1, 2]");
    let out = run_in(ws.path(), &["fmt", "cases.json"], None);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("not a policy document"),
        "{}",
        out.stderr
    );
}

const LEGACY: &str = r#"{"Version": "1.1", "Statement": [
  {"Effect": "Allow", "Action": ["obs:object:get*", "obs:bucket:list*"],
   "Resource": ["obs:*:*:object:b1/*", "obs:*:*:bucket:b1"],
   "Condition": {"StringLike": {"g:UserName": ["team-*"]},
                 "ForAnyValue:StringNotLikeIfExists": {"g:TagKeys": ["secret*"]},
                 "NumericLessThan": {"obs:max-keys": ["100"]}}},
  {"Effect": "Deny", "Action": ["obs:object:delete*"]}]}"#;

#[test]
fn fmt_upgrade_rewrites_1_1_as_5_0_with_the_same_access() {
    let ws = workspace();
    write(ws.path(), "legacy.json", LEGACY);
    let out = run_in(ws.path(), &["fmt", "--upgrade", "legacy.json"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("legacy.json: upgraded to 5.0"),
        "{}",
        out.stdout
    );
    let text = read(ws.path(), "legacy.json");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["Version"], "5.0");
    let cond = &v["Statement"][0]["Condition"];
    assert!(cond.get("StringMatch").is_some(), "{text}");
    assert!(
        cond.get("ForAnyValue:StringNotMatchIfExists").is_some(),
        "{text}"
    );
    assert!(cond.get("NumberLessThan").is_some(), "{text}");
    // The upgraded document is valid 5.0 without the legacy findings ...
    let out = run_in(ws.path(), &["validate", "--json", "legacy.json"], None);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains("LEGACY"), "{}", out.stdout);
    // ... and grants the same access: no difference over the catalog.
    write(ws.path(), "original.json", LEGACY);
    let out = run_in(ws.path(), &["diff", "original.json", "legacy.json"], None);
    assert_eq!(out.stdout, "no access added or removed\n");
    // Decisions agree on sample requests.
    for (action, resource, ctx) in [
        (
            "obs:object:getObject",
            "obs:cn-north-4:acct:object:b1/x",
            json!({"g:UserName": "team-a", "obs:max-keys": "10"}),
        ),
        (
            "obs:object:getObject",
            "obs:cn-north-4:acct:object:b1/x",
            json!({"g:UserName": "other", "obs:max-keys": "10"}),
        ),
        (
            "obs:object:getObject",
            "obs:cn-north-4:acct:object:b1/x",
            json!({"g:UserName": "team-a", "obs:max-keys": "1000"}),
        ),
        (
            "obs:object:getObject",
            "obs:cn-north-4:acct:object:b1/x",
            json!({"g:UserName": "team-a", "obs:max-keys": "10", "g:TagKeys": ["secret1"]}),
        ),
        (
            "obs:object:deleteObject",
            "obs:cn-north-4:acct:object:b1/x",
            json!({}),
        ),
    ] {
        let case = |doc: &str| json!({"identity_policies": [doc], "request": {"action": action, "resource": resource, "context": ctx}});
        let a = run_in(ws.path(), &["eval", "-"], Some(&case(LEGACY).to_string()));
        let b = run_in(ws.path(), &["eval", "-"], Some(&case(&text).to_string()));
        let d =
            |o: &Out| serde_json::from_str::<Value>(o.stdout.trim()).unwrap()["decision"].clone();
        assert_eq!(d(&a), d(&b), "{action} {ctx}");
    }
    // A 5.0 document is only formatted; upgrading twice changes nothing.
    let out = run_in(
        ws.path(),
        &["fmt", "--upgrade", "--check", "legacy.json"],
        None,
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn fmt_upgrade_refuses_what_has_no_faithful_5_0_form_and_writes_nothing() {
    let ws = workspace();
    let agency = r#"{"Version": "1.1", "Statement": [
        {"Effect": "Allow", "Action": ["obs:*:*"]},
        {"Effect": "Allow", "Action": ["iam:agencies:assume"], "Resource": {"uri": ["/iam/agencies/a1"]}}]}"#;
    write(ws.path(), "agency.json", agency);
    let out = run_in(ws.path(), &["fmt", "--upgrade", "agency.json"], None);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("agency.json: not upgraded, nothing written: statement #1: `Resource` is a version 1.1 agency object"),
        "{}",
        out.stderr
    );
    assert_eq!(read(ws.path(), "agency.json"), agency);
    // Two spellings of one operator would collide in one `Condition`.
    let clash = r#"{"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["obs:*:*"],
        "Condition": {"StringLike": {"g:UserName": ["a*"]}, "StringMatch": {"g:UserId": ["b*"]}}}]}"#;
    write(ws.path(), "clash.json", clash);
    let out = run_in(ws.path(), &["fmt", "--upgrade", "clash.json"], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("statement #0: renaming the operator `StringLike`"),
        "{}",
        out.stderr
    );
    assert_eq!(read(ws.path(), "clash.json"), clash);
    // An invalid policy is invalid input, with the validator's findings.
    write(
        ws.path(),
        "invalid.json",
        r#"{"Version": "1.1", "Statement": [{"Sid": "x", "Effect": "Allow", "Action": ["obs:*:*"]}]}"#,
    );
    let out = run_in(ws.path(), &["fmt", "--upgrade", "invalid.json"], None);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("line 1, column"), "{}", out.stderr);
}
