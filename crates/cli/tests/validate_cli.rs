//! `modelarts-iam validate`: output shapes (table, `--json`, `--explain`), policy types, exit
//! codes (0 no errors, 3 error findings, 1 unreadable input) and standard input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::Write as _;

use assert_cmd::Command;
use serde_json::Value;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: Option<&str>) -> Out {
    let mut cmd = Command::cargo_bin("modelarts-iam").unwrap();
    cmd.arg("validate").args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_owned());
    }
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

const CLEAN: &str = r#"{
  "Version": "5.0",
  "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:get"], "Resource": ["modelarts:*:*:notebook:*"]}
  ]
}"#;

const WARNING: &str = r#"{
  "Version": "5.0",
  "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:lst"]}
  ]
}"#;

const ERROR: &str = r#"{
  "Version": "5.0",
  "Statement": [
    {"Effect": "Allow", "Action": ["modelarts:notebook:get"],
     "Condition": {"Bool": {"g:MFAPresent": "yes"}}}
  ]
}"#;

fn codes(json_out: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json_out).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["issue_code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn exit_codes_follow_the_findings() {
    let table = [
        (CLEAN, 0, vec![]),
        (WARNING, 0, vec!["UNKNOWN_ACTION"]),
        (ERROR, 3, vec!["INVALID_BOOLEAN"]),
    ];
    for (doc, code, want) in table {
        let f = file(doc);
        let out = run(&[f.path().to_str().unwrap(), "--json"], None);
        assert_eq!(out.code, code, "{doc}\n{}{}", out.stdout, out.stderr);
        assert_eq!(codes(&out.stdout), want);
        // The table and explain forms have the same exit status.
        assert_eq!(run(&[f.path().to_str().unwrap()], None).code, code);
        assert_eq!(
            run(&[f.path().to_str().unwrap(), "--explain"], None).code,
            code
        );
    }
}

#[test]
fn json_output_has_the_access_analyzer_shape() {
    let out = run(&["-", "--json"], Some(ERROR));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["finding_type"], "error");
    assert_eq!(f["issue_code"], "INVALID_BOOLEAN");
    let span = &f["locations"][0]["span"];
    assert_eq!(span["start"]["line"], 5);
    // `"yes"` starts at column 43 of line 5.
    let line5 = ERROR.lines().nth(4).unwrap();
    assert_eq!(span["start"]["column"], line5.find("\"yes\"").unwrap());
    assert_eq!(span["end"]["column"], line5.find("\"yes\"").unwrap() + 5);
}

#[test]
fn table_lists_type_code_position_and_path() {
    let out = run(&["-"], Some(ERROR));
    assert_eq!(out.code, 3);
    assert!(out.stdout.contains("INVALID_BOOLEAN"), "{}", out.stdout);
    assert!(out.stdout.contains("error"));
    assert!(out.stdout.contains("5:"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("Statement[0].Condition.Bool.g:MFAPresent"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 finding(s), 1 error(s)"));
    let clean = run(&["-"], Some(CLEAN));
    assert_eq!(clean.code, 0);
    assert_eq!(clean.stdout, "No findings.\n");
}

#[test]
fn explain_shows_the_line_a_caret_and_the_fix() {
    let out = run(&["-", "--explain"], Some(ERROR));
    let line5 = ERROR.lines().nth(4).unwrap();
    assert!(
        out.stdout.contains(&format!("  5 | {line5}")),
        "{}",
        out.stdout
    );
    let col = line5.find("\"yes\"").unwrap();
    assert!(
        out.stdout
            .contains(&format!("    | {}^^^^^\n", " ".repeat(col))),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fix: Write `true` or `false`."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 error(s)"));
}

#[test]
fn policy_types_change_the_rules() {
    let trust = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume"], "Principal": {"IAM": ["0123456789"]}}]}"#;
    let f = file(trust);
    let p = f.path().to_str().unwrap();
    let as_trust = run(&[p, "--type", "trust", "--json"], None);
    assert_eq!(as_trust.code, 0, "{}", as_trust.stdout);
    let as_identity = run(&[p, "--json"], None);
    assert_eq!(as_identity.code, 3);
    assert!(codes(&as_identity.stdout).contains(&"UNSUPPORTED_PRINCIPAL".to_owned()));

    let scp = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"], "Condition": {"Bool": {"g:MFAPresent": "true"}}}]}"#;
    let out = run(&["-", "--type", "scp", "--json"], Some(scp));
    assert_eq!(out.code, 3);
    assert_eq!(codes(&out.stdout), vec!["SCP_ALLOW_CONDITION"]);
}

#[test]
fn syntax_errors_are_findings_not_failures() {
    let out = run(&["-", "--json"], Some("{\"Version\": \"5.0\",\n}"));
    assert_eq!(out.code, 3);
    assert_eq!(codes(&out.stdout), vec!["JSON_SYNTAX_ERROR"]);
}

#[test]
fn unreadable_input_exits_1_text_that_is_not_utf8_exits_3() {
    let out = run(&["/nonexistent/policy.json"], None);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("/nonexistent/policy.json"),
        "{}",
        out.stderr
    );
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(b"{\"Version\": \"\xff\"}").unwrap();
    let out = run(&[f.path().to_str().unwrap()], None);
    assert_eq!(out.code, 3, "invalid input, as eval says of it");
    assert!(out.stderr.contains("not UTF-8"), "{}", out.stderr);
    let bad_type = run(&["-", "--type", "bucket"], Some(CLEAN));
    assert_eq!(bad_type.code, 1, "a usage error (not 2, which means deny)");
}
