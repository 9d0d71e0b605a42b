//! `modelarts-iam eval`: the golden corpus through the CLI, output shapes, exit codes and
//! precise errors for malformed input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

fn cli() -> Command {
    Command::cargo_bin("modelarts-iam").unwrap()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: Option<&str>) -> Out {
    let mut cmd = cli();
    cmd.arg("eval").args(args);
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

fn stdin(args: &[&str], input: &Value) -> Out {
    let mut all = args.to_vec();
    all.push("-");
    run(&all, Some(&input.to_string()))
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn allow_all() -> Value {
    json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]})
}

fn case(identity: Value, action: &str, expect: &str) -> Value {
    json!({"name": format!("{action} is {expect}"), "identity_policies": identity,
           "request": {"action": action}, "expect": expect})
}

#[test]
fn check_passes_every_corpus_file() {
    let files = corpus_files();
    assert!(files.len() >= 17, "corpus files: {files:?}");
    let mut total = 0;
    for f in &files {
        let n = serde_json::from_str::<Value>(&std::fs::read_to_string(f).unwrap())
            .unwrap()
            .as_array()
            .unwrap()
            .len();
        total += n;
        let out = run(&["--check", f.to_str().unwrap()], None);
        assert_eq!(out.code, 0, "{}: {}{}", f.display(), out.stdout, out.stderr);
        assert_eq!(
            out.stdout,
            format!("{n} passed, 0 failed\n"),
            "{}",
            f.display()
        );
    }
    assert!(total >= 250);
    // All files in one run.
    let args: Vec<&str> = std::iter::once("--check")
        .chain(files.iter().map(|f| f.to_str().unwrap()))
        .collect();
    let out = run(&args, None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{total} passed, 0 failed\n"));
}

#[test]
fn check_reports_failing_cases_by_name_and_exits_2() {
    let cases = json!([
        case(json!([allow_all()]), "modelarts:notebook:list", "allow"),
        case(json!([]), "modelarts:notebook:get", "allow"),
        case(json!([]), "modelarts:notebook:create", "implicit_deny"),
    ]);
    let out = stdin(&["--check"], &cases);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(lines[0].starts_with("FAIL modelarts:notebook:get is allow"));
    assert!(lines[0].contains("expected allow, got implicit_deny"));
    assert!(lines[0].contains("case #2"));
    assert_eq!(lines[1], "2 passed, 1 failed");
}

#[test]
fn check_counts_a_case_without_expect_as_failed() {
    let mut c = case(json!([allow_all()]), "modelarts:notebook:list", "allow");
    c.as_object_mut().unwrap().remove("expect");
    let out = stdin(&["--check"], &c);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("no `expect` (got allow)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("0 passed, 1 failed\n"));
}

#[test]
fn json_output_explains_an_allow() {
    let c = json!({"name": "sid", "identity_policies": [{"Version": "5.0", "Statement": [
        {"Sid": "Other", "Effect": "Allow", "Action": ["obs:*:*"]},
        {"Sid": "Jobs", "Effect": "Allow", "Action": ["modelarts:trainJob:*"]}]}],
        "request": {"action": "modelarts:trainJob:get"}});
    let out = stdin(&[], &c);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["name"], "sid");
    assert_eq!(v["case"], 1);
    let s = &v["explanation"]["statements"][0];
    assert_eq!(s["layer"], "identity");
    assert_eq!(s["policy_id"], "identity_policies[0]");
    assert_eq!(s["statement_index"], 1);
    assert_eq!(s["sid"], "Jobs");
    assert!(v["explanation"]["message"].is_null());
}

#[test]
fn json_output_explains_a_denial_and_exits_2() {
    let c = json!({"identity_policies": [{"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:*:*"],
         "Condition": {"StringEquals": {"g:EnterpriseProjectId": ["ep-1"]}}}]}],
        "scps": [[allow_all()], [allow_all()], [{"Version": "5.0", "Statement": [
            {"Sid": "NoDelete", "Effect": "Deny", "Action": ["modelarts:*:delete*"]},
            {"Effect": "Allow", "Action": ["*"]}]}]],
        "principal": {"urn": "iam::acct1:user:bob"},
        "request": {"action": "modelarts:trainJob:delete",
                    "context": {"g:EnterpriseProjectId": "ep-2"}}});
    let out = stdin(&[], &c);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let v: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["decision"], "explicit_deny");
    let e = &v["explanation"];
    assert_eq!(e["failing_layers"][0], json!({"layer": "scp", "level": 2}));
    assert_eq!(e["statements"][0]["sid"], "NoDelete");
    assert_eq!(
        e["message"],
        "User: iam::acct1:user:bob is not authorized to perform action modelarts:trainJob:delete \
         on resource * with an explicit deny in a service control policy."
    );
    // The deny matched: the identity Allow's condition that did not hold did not decide.
    assert_eq!(e["failed_conditions"], json!([]));
    assert_eq!(
        e["reason"],
        "explicit Deny statement #0 (Sid NoDelete) of policy scps[2][0] in SCP level 2"
    );

    // The same case, human-readable.
    let out = stdin(&["--explain"], &c);
    assert_eq!(out.code, 2);
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("DENY (explicit in SCP level 2 (account))"),
        "{}",
        out.stdout
    );
    assert!(first.contains("SCP level 2 policy scps[2][0] statement #0 (Sid NoDelete)"));
    assert!(out.stdout.contains(
        "    cause: explicit Deny statement #0 (Sid NoDelete) of policy scps[2][0] in SCP level 2\n"
    ));
    assert!(
        out.stdout
            .contains("    message: User: iam::acct1:user:bob")
    );
    assert!(
        !out.stdout.contains("g:EnterpriseProjectId"),
        "{}",
        out.stdout
    );

    // Without the SCP deny, the request is implicitly denied by the identity policies, and the
    // condition that did not hold is what decided.
    let mut c = c;
    c["scps"] = json!([]);
    let out = stdin(&[], &c);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let v: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let e = &v["explanation"];
    assert_eq!(e["reason"], "no matching Allow in identity policies");
    let fc = &e["failed_conditions"][0];
    assert_eq!(fc["operator"], "StringEquals");
    assert_eq!(fc["key"], "g:EnterpriseProjectId");
    assert_eq!(fc["request_values"], json!(["ep-2"]));
    let out = stdin(&["--explain"], &c);
    assert!(out.stdout.contains(
        "      - StringEquals g:EnterpriseProjectId [\"ep-1\"] vs request [\"ep-2\"] in identity policy identity_policies[0] statement #0"
    ), "{}", out.stdout);
}

#[test]
fn explain_names_the_missing_layer_of_an_implicit_deny() {
    let c = json!({"name": "ou blocks", "identity_policies": [allow_all()],
        "scps": [[allow_all()], [{"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["obs:*:*"]}]}], [allow_all()]],
        "request": {"action": "modelarts:notebook:list"}, "expect": "implicit_deny"});
    let out = stdin(&["--explain"], &c);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.starts_with(
            "DENY (implicit: no allow in SCP level 1 (OU))  ou blocks  [expect implicit_deny: ok]\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("because no service control policy allows")
    );
    assert!(out.stdout.contains(
        "    cause: no Allow at SCP level 1 (every SCP level needs an Allow, such as FullAccess)\n"
    ));
    let allow = case(json!([allow_all()]), "modelarts:notebook:list", "allow");
    let out = stdin(&["--explain"], &allow);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "ALLOW  modelarts:notebook:list is allow  by identity policy identity_policies[0] statement #0  [expect allow: ok]\n"
    );
}

#[test]
fn route_cases_list_every_action() {
    let c = json!({"identity_policies": [{"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:notebook:get"]}]}],
        "principal": {"urn": "iam::acct1:user:alice"},
        "request": {"method": "GET", "path": "/v1/p1/notebooks/nb-1", "region": "cn-north-4"}});
    let out = stdin(&[], &c);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["decision"], "allow");
    assert_eq!(
        v["actions"],
        json!([{"action": "modelarts:notebook:get",
                "resource": "modelarts:cn-north-4:acct1:notebook:nb-1", "decision": "allow"}])
    );
}

#[test]
fn json_lines_and_arrays_give_one_line_per_case() {
    let a = case(json!([allow_all()]), "modelarts:notebook:list", "allow");
    let d = case(json!([]), "modelarts:notebook:list", "implicit_deny");
    let jsonl = format!("{a}\n\n{d}\n");
    let out = run(&["-"], Some(&jsonl));
    assert_eq!(out.code, 2);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[1]["decision"], "implicit_deny");
    assert_eq!(lines[1]["line"], 3);
    let out = stdin(&["--check"], &json!([a, d]));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "2 passed, 0 failed\n");
}

#[test]
fn files_are_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.json");
    let mut f = std::fs::File::create(&p).unwrap();
    write!(
        f,
        "{}",
        case(json!([allow_all()]), "modelarts:notebook:list", "allow")
    )
    .unwrap();
    let out = run(&["--check", p.to_str().unwrap()], None);
    assert_eq!(out.code, 0);
    let out = run(&[dir.path().join("missing.json").to_str().unwrap()], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
}

/// Malformed input: exit 3 and a message naming where the problem is.
#[test]
fn malformed_input_is_reported_precisely() {
    let good = case(json!([allow_all()]), "modelarts:notebook:list", "allow");
    let table: Vec<(String, &[&str])> = vec![
        // not JSON at all; position of the error
        (
            "{\n  \"request\": {\"action\": \"a\"},\n  oops\n}".into(),
            &["line 3 column"],
        ),
        // empty input
        ("   \n".into(), &["no case"]),
        // not an object
        ("42".into(), &["found a number"]),
        ("[]".into(), &["holds no case"]),
        // second array element is not a case
        (
            format!("[{good}, 5]"),
            &["case #2", "must be a JSON object"],
        ),
        // a bad member type with its JSON path
        (
            json!([good, {"name": "bad scp", "scps": {"x": 1}, "request": {"action": "a"}}])
                .to_string(),
            &["case #2", "(\"bad scp\")", "at `scps`"],
        ),
        // missing request
        (
            json!({"identity_policies": []}).to_string(),
            &["case #1", "request"],
        ),
        // unknown member
        (
            json!({"identity_policy": [], "request": {"action": "a"}}).to_string(),
            &["unknown member `identity_policy`"],
        ),
        // JSON lines: the bad line's number
        (
            format!("{good}\n{{\"request\": \n{good}\n"),
            &["line 2", "not valid JSON"],
        ),
        // a policy that does not parse names the policy
        (
            json!({"identity_policies": [allow_all(), {"Version": "5.0", "Statement": [
                {"Effect": "Maybe", "Action": ["*"]}]}], "request": {"action": "a:b:c"}})
            .to_string(),
            &["case #1", "identity_policies[1]"],
        ),
        // a context value of the wrong shape
        (
            json!({"identity_policies": [], "request": {"action": "a:b:c",
                   "context": {"g:X": {"nested": 1}}}})
            .to_string(),
            &["request.context", "g:X"],
        ),
        // neither action nor route
        (
            json!({"request": {}}).to_string(),
            &["give either `action`"],
        ),
        // an unknown route
        (
            json!({"request": {"method": "GET", "path": "/nowhere"}}).to_string(),
            &["route `GET /nowhere`"],
        ),
        // a bad expect value
        (
            json!({"request": {"action": "a:b:c"}, "expect": "maybe"}).to_string(),
            &["at `expect`"],
        ),
    ];
    for (input, needles) in table {
        let out = run(&["--check", "-"], Some(&input));
        assert_eq!(out.code, 3, "input {input:?}: {}{}", out.stdout, out.stderr);
        for n in needles {
            assert!(
                out.stderr.contains(n),
                "input {input:?}: stderr lacks {n:?}: {}",
                out.stderr
            );
        }
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn invalid_cases_do_not_stop_the_others() {
    let good = case(json!([allow_all()]), "modelarts:notebook:list", "allow");
    let input = format!("{good}\nnot json\n{good}\n");
    let out = run(&["-"], Some(&input));
    assert_eq!(out.code, 3);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["decision"], "allow");
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["decision"], "allow");
}

#[test]
fn non_utf8_and_binary_input_is_invalid_not_a_crash() {
    let mut cmd = cli();
    cmd.args(["eval", "-"])
        .write_stdin(vec![0xff, 0xfe, 0x00, 0x7b]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));
}
