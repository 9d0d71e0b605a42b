//! The CLI's conventions, checked on the real binary: exit statuses (0 success or allow, 1 usage
//! or runtime error, 2 deny or failed check, 3 invalid input), closed pipes, colour, JSON
//! output, "did you mean", messages that say each thing once and end with what to do, no
//! internal file names in what users read, completions and man pages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::Read as _;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use serde_json::{Value, json};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("modelarts-iam")
}

/// The binary with a neutral colour environment (the tests' own terminal settings do not leak in).
fn cli() -> Command {
    let mut c = Command::new(bin());
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS");
    c
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = cli();
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_string_lossy().into_owned()
}

fn obs_read() -> Value {
    json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"],"Resource":["obs:*:*:object:b1/*"]}]})
}

fn obs_read_write() -> Value {
    json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject","obs:object:PutObject"],"Resource":["obs:*:*:object:b1/*"]}]})
}

// ---------------------------------------------------------------- exit statuses of usage

#[test]
fn usage_errors_exit_1_help_and_version_exit_0() {
    for args in [
        &["catalog", "actoins"][..],
        &["catalog", "actions", "--jsno"],
        &["catalog"],
        &[],
        &["nosuch"],
        &["log", "--limit", "0"],
        &["--color", "sometimes", "catalog", "notes"],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        // an error, or the help of a command missing its subcommand
        assert!(
            err.contains("error") || err.contains("Usage:"),
            "{args:?}: {err}"
        );
    }
    // clap's suggestion for a mistyped subcommand and flag
    let (_, _, err) = run(&["catalog", "actoins"]);
    assert!(err.contains("'actions'"), "{err}");
    let (_, _, err) = run(&["catalog", "actions", "--jsno"]);
    assert!(err.contains("--json"), "{err}");
    for args in [
        &["--help"][..],
        &["--version"],
        &["catalog", "--help"],
        &["help", "catalog"],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.is_empty(), "{args:?}");
    }
    let (_, out, _) = run(&["--help"]);
    assert!(out.contains("ModelArts-style IAM"), "{out}");
}

// ---------------------------------------------------------------- closed pipes

/// Runs the binary with standard output a pipe whose reading end is closed before the binary
/// writes: every write finds it closed.
fn closed_pipe(args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = StdCommand::new(bin())
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap(), err)
}

#[test]
fn closed_pipes_end_quietly_with_the_commands_status() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "u.json", &obs_read());
    let more = write(dir.path(), "a.json", &obs_read_write());
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["catalog", "scenarios"], 0),
        (vec!["catalog", "scenarios", "--agency"], 0),
        (vec!["catalog", "actions"], 0),
        (vec!["catalog", "actions", "--json"], 0),
        (vec!["catalog", "action", "modelarts:*"], 0),
        (vec!["catalog", "notes"], 0),
        (vec!["coverage", "--list"], 0),
        (vec!["coverage", "-s", "all", "--policy", &user], 2),
        (vec!["generate", "-s", "all"], 0),
        (vec!["diff", &user, &more], 2),
        (vec!["validate", &user], 0),
        (vec!["completions", "bash"], 0),
        (vec!["man"], 0),
        (vec!["--help"], 0),
    ];
    for (args, expected) in cases {
        let (status, err) = closed_pipe(&args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
        assert_eq!(status.code(), Some(expected), "{args:?}: {err}");
    }
}

// ---------------------------------------------------------------- colour

const ESC: &str = "\u{1b}[";

#[test]
fn colour_follows_the_terminal_no_color_and_clicolor() {
    let args = ["catalog", "scenarios", "--agency"];
    // piped: no colour
    let (_, out, _) = run(&args);
    assert!(!out.contains(ESC), "{out}");
    // forced on although piped
    let (_, out, _) = run_env(&args, &[("CLICOLOR_FORCE", "1")]);
    assert!(out.contains(ESC), "CLICOLOR_FORCE=1 colours");
    // NO_COLOR wins over CLICOLOR_FORCE
    let (_, out, _) = run_env(&args, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!out.contains(ESC), "NO_COLOR wins");
    // the flag wins over the environment
    let (_, out, _) = run(&["--color", "always", "catalog", "scenarios", "--agency"]);
    assert!(out.contains(ESC));
    let (_, out, _) = run_env(
        &["catalog", "scenarios", "--agency", "--color", "never"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(!out.contains(ESC));
    // JSON is never coloured
    let (_, out, _) = run_env(&["catalog", "notes", "--json"], &[("CLICOLOR_FORCE", "1")]);
    serde_json::from_str::<Value>(&out).unwrap();
    assert!(!out.contains(ESC));
    // decisions: a failed coverage's markers in red when coloured
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "u.json", &obs_read());
    let (code, out, _) = run_env(
        &[
            "coverage",
            "-s",
            "t4-training-management",
            "--policy",
            &user,
        ],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_eq!(code, 2);
    assert!(out.contains("\u{1b}[31mNOT covered"), "{out}");
}

#[test]
fn piped_tables_do_not_wrap() {
    // The longest note line stays on one line when piped (no wrapping at 80 or any width).
    let (_, out, _) = run(&["catalog", "notes"]);
    let line = out
        .lines()
        .find(|l| l.contains("Table 2 lists POST /v2/{project_id}/training-jobs twice"))
        .unwrap();
    assert!(line.chars().count() > 160, "{line}");
    // COLUMNS does not apply when piped either (only terminals wrap)
    let (_, narrow, _) = run_env(&["catalog", "notes"], &[("COLUMNS", "60")]);
    assert_eq!(narrow, out);
}

// ---------------------------------------------------------------- JSON output

#[test]
fn json_output_is_one_valid_document() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "u.json", &obs_read());
    let more = write(dir.path(), "a.json", &obs_read_write());
    for (args, code) in [
        (
            vec!["catalog", "actions", "--service", "modelarts", "--json"],
            0,
        ),
        (
            vec!["catalog", "action", "modelarts:trainJob:create", "--json"],
            0,
        ),
        (
            vec!["catalog", "action", "modelarts:trainJob:*", "--json"],
            0,
        ),
        (
            vec!["catalog", "route", "GET", "/v2/p/training-jobs/j", "--json"],
            0,
        ),
        (vec!["catalog", "scenarios", "--json"], 0),
        (vec!["catalog", "scenarios", "--agency", "--json"], 0),
        (vec!["catalog", "notes", "--json"], 0),
        (vec!["coverage", "--list", "--json"], 0),
        (
            vec![
                "coverage",
                "-s",
                "t4-training-management",
                "--policy",
                &user,
                "--json",
            ],
            2,
        ),
        (vec!["generate", "-s", "all", "--json"], 0),
        (vec!["diff", &user, &more, "--json"], 2),
        (
            vec![
                "audit",
                "agencies",
                "--user-policy",
                &user,
                "--agency-policy",
                &more,
                "--json",
            ],
            2,
        ),
        (
            vec![
                "preflight",
                "--operation",
                "start-notebook",
                "--policy",
                &user,
                "--json",
            ],
            2,
        ),
        (vec!["validate", &user, "--json"], 0),
    ] {
        let (got, out, err) = run(&args);
        assert_eq!(got, code, "{args:?}: {err}");
        serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"));
    }
}

// ---------------------------------------------------------------- invalid input: exit 3

#[test]
fn invalid_policies_exit_3_with_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &obs_read());
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"]}"#,
    )
    .unwrap();
    let bad = bad.to_string_lossy().into_owned();
    let no_statement = write(dir.path(), "ns.json", &json!({"Version": "5.0"}));
    for args in [
        vec!["diff", &good, &bad],
        vec!["diff", &no_statement, &good],
        vec!["coverage", "-s", "all", "--policy", &bad],
        vec![
            "coverage",
            "-s",
            "all",
            "--policy",
            &good,
            "--scp",
            &no_statement,
        ],
        vec![
            "audit",
            "agencies",
            "--user-policy",
            &good,
            "--agency-policy",
            &bad,
        ],
        vec![
            "preflight",
            "--operation",
            "start-notebook",
            "--policy",
            &bad,
        ],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 3, "{args:?}: {out}{err}");
        assert!(err.contains("is not a valid"), "{args:?}: {err}");
        assert!(
            err.contains("JSON_SYNTAX_ERROR") || err.contains("Statement"),
            "the findings: {err}"
        );
        assert!(err.contains("hint: `modelarts-iam validate"), "{err}");
    }
    // a file that is not UTF-8 is invalid input too
    let latin1 = dir.path().join("latin1.json");
    std::fs::write(&latin1, b"{\"Version\":\"5.0\xe9\"}").unwrap();
    let (code, _, err) = run(&["diff", &good, latin1.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
}

// ---------------------------------------------------------------- diff gates CI

#[test]
fn diff_exits_2_when_access_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.json", &obs_read());
    let new = write(dir.path(), "new.json", &obs_read_write());
    let (code, out, _) = run(&["diff", &old, &new]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("added (1)") && out.contains("obs:object:PutObject"));
    let (code, _, _) = run(&["diff", &old, &new, "--allow-added"]);
    assert_eq!(code, 0);
    // removed only: 0
    let (code, out, _) = run(&["diff", &new, &old]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("removed (1)"));
    let (code, out, _) = run(&["diff", &old, &old]);
    assert_eq!(code, 0);
    assert!(out.contains("no access added or removed"));
}

// ---------------------------------------------------------------- generate writes JSON

#[test]
fn generate_prints_json_only_and_writes_files() {
    let (code, out, err) = run(&["generate", "-s", "t4-training-management"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["Version"], "5.0");
    assert!(
        err.contains("# modelarts-t4-training-management ("),
        "{err}"
    );
    // every scenario with several scopes: more than one policy's 6,144 characters, so several
    // policies, printed as an array of documents
    let wide = [
        "generate",
        "-s",
        "all",
        "--obs",
        "obs://bucket-one/prefix/a/",
        "--obs",
        "obs://bucket-two/prefix/b/",
        "--obs",
        "obs://bucket-three/c/",
        "--pool",
        "pool-aaaaaaaa",
        "--pool",
        "pool-bbbbbbbb",
        "--region",
        "cn-north-4",
        "--enterprise-project",
        "ep-123456",
        "--resource-tag",
        "team=ml",
    ];
    let (code, out, err) = run(&wide);
    assert_eq!(code, 0, "{err}");
    let docs: Value = serde_json::from_str(&out).unwrap();
    let docs = docs.as_array().unwrap();
    assert!(docs.len() > 1);
    assert!(docs.iter().all(|d| d["Version"] == "5.0"));
    assert!(err.contains("printed as a JSON array"), "{err}");
    // the array is a policy file the other commands read
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.json");
    std::fs::write(&all, &out).unwrap();
    let (code, _, err) = run(&["coverage", "-s", "all", "--policy", all.to_str().unwrap()]);
    assert!(code == 0 || code == 2, "{err}");
    let with_out = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = wide.to_vec();
        v.extend_from_slice(extra);
        v
    };

    // --out DIR: one valid file per policy, named after it
    let out_dir = dir.path().join("policies");
    let d = out_dir.to_string_lossy().into_owned();
    let d: &'static str = Box::leak(d.into_boxed_str());
    let (code, listed, err) = run(&with_out(&["-o", d]));
    assert_eq!(code, 0, "{err}");
    let files: Vec<&str> = listed.lines().collect();
    assert_eq!(files.len(), docs.len(), "{listed}");
    for (f, doc) in files.iter().zip(docs) {
        assert!(
            f.ends_with(".json") && f.contains("modelarts-least-privilege"),
            "{f}"
        );
        let text = std::fs::read_to_string(f).unwrap();
        assert_eq!(&serde_json::from_str::<Value>(&text).unwrap(), doc);
    }
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "no temporary files left: {names:?}"
    );
    // the same again: unchanged files are fine
    let (code, _, err) = run(&with_out(&["-o", d]));
    assert_eq!(code, 0, "{err}");
    // other content: refused, nothing written, unless --force
    std::fs::write(files[0], "{}").unwrap();
    let (code, _, err) = run(&with_out(&["-o", d]));
    assert_eq!(code, 1);
    assert!(
        err.contains("exists with other content") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(files[0]).unwrap(), "{}");
    let (code, _, err) = run(&with_out(&["-o", d, "--force"]));
    assert_eq!(code, 0, "{err}");
    assert_ne!(std::fs::read_to_string(files[0]).unwrap(), "{}");
    // --force alone and --out with --json are usage errors
    assert_eq!(run(&["generate", "-s", "all", "--force"]).0, 1);
    assert_eq!(run(&["generate", "-s", "all", "-o", d, "--json"]).0, 1);
}

// ---------------------------------------------------------------- the decision log

/// A data directory with an account, user bob and a decision log of bob's requests.
fn log_dir() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (account, urn) = rt.block_on(async {
        let store = iam_store::Store::open(dir.path(), iam_store::StoreOptions::default())
            .await
            .unwrap();
        let (account, _root, _project) = store
            .bootstrap_account("acme", "cn-north-4", None)
            .await
            .unwrap();
        let user = store
            .create_user(
                &account.id,
                &iam_store::NewUser {
                    name: "bob".into(),
                    enabled: true,
                    description: String::new(),
                },
            )
            .await
            .unwrap();
        let at = time::macros::datetime!(2025-12-01 12:00 UTC);
        for (i, d) in ["allow", "explicit_deny", "implicit_deny", "allow"]
            .iter()
            .enumerate()
        {
            store
                .append_decision(&iam_store::NewDecision {
                    at: Some(at + time::Duration::days(i64::try_from(i).unwrap())),
                    principal_urn: Some(user.urn.clone()),
                    action: "modelarts:trainJob:create".into(),
                    resource: Some("*".into()),
                    decision: (*d).into(),
                    ..iam_store::NewDecision::default()
                })
                .await
                .unwrap();
        }
        store.close().await;
        (account.id, user.urn)
    });
    (dir, account, urn)
}

fn log_json(args: &[&str]) -> Vec<Value> {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn log_filters_match_and_validate() {
    let (dir, account, urn) = log_dir();
    let d = dir.path().to_str().unwrap();
    let decisions = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["log", "--data-dir", d, "--json"];
        args.extend_from_slice(extra);
        log_json(&args)
            .iter()
            .map(|e| e["decision"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(decisions(&[]).len(), 4);
    assert_eq!(
        decisions(&["--decision", "deny"]),
        ["implicit_deny", "explicit_deny"]
    );
    assert_eq!(
        decisions(&["--decision", "implicit_deny"]),
        ["implicit_deny"]
    );
    assert_eq!(
        decisions(&["--decision", "explicit-deny"]),
        ["explicit_deny"]
    );
    assert_eq!(decisions(&["--decision", "allow"]).len(), 2);
    // times: a date, RFC 3339, a duration before now
    assert_eq!(decisions(&["--since", "2025-12-03"]).len(), 2);
    assert_eq!(decisions(&["--until", "2025-12-02T12:00:00Z"]).len(), 1);
    assert_eq!(
        decisions(&["--since", "2025-12-02", "--until", "2025-12-03"]).len(),
        1
    );
    assert_eq!(decisions(&["--since", "1h"]).len(), 0);
    assert_eq!(
        decisions(&["--principal", &urn, "--account", &account]).len(),
        4
    );
    // a table: colour per decision when forced
    let (_, out, _) = run_env(
        &["log", "--data-dir", d, "--decision", "deny"],
        &[("CLICOLOR_FORCE", "1")],
    );
    let styled = regex::Regex::new(r"\x1b\[[0-9;]*m implicit_deny").unwrap();
    assert!(styled.is_match(&out), "{out}");

    // unknown values are errors (exit 1) that say what exists
    let (code, _, err) = run(&["log", "--data-dir", d, "--decision", "denied"]);
    assert_eq!(code, 1);
    assert!(err.contains("'deny'"), "{err}");
    let typo = urn.replace("bob", "bop");
    let (code, _, err) = run(&["log", "--data-dir", d, "--principal", &typo]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("did you mean `{urn}`")), "{err}");
    let (code, _, err) = run(&["log", "--data-dir", d, "--principal", "nosuch"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no principal nosuch") && err.contains("hint:"),
        "{err}"
    );
    let (code, _, err) = run(&["log", "--data-dir", d, "--account", "nosuch"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no account `nosuch`") && err.contains(&account),
        "{err}"
    );
    let (code, _, err) = run(&[
        "log",
        "--data-dir",
        d,
        "--action",
        "modelarts:trainjob:craete",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("did you mean `modelarts:trainJob:create`"),
        "{err}"
    );
    let (code, _, err) = run(&["log", "--data-dir", d, "--since", "yesterday"]);
    assert_eq!(code, 1);
    assert!(err.contains("30m, 1h, 2d"), "{err}");
    let (code, _, err) = run(&["audit", "agencies", "--data-dir", d, "--account", "nosuch"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no account `nosuch`") && err.contains(&account),
        "{err}"
    );
    let (code, _, err) = run(&[
        "coverage",
        "-s",
        "all",
        "--data-dir",
        d,
        "--principal",
        &typo,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("did you mean `{urn}`")), "{err}");
    let (code, _, err) = run(&[
        "generate",
        "--observed",
        "--data-dir",
        d,
        "--principal",
        &typo,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("did you mean `{urn}`")), "{err}");
    let (code, out, err) = run(&[
        "generate",
        "--observed",
        "--data-dir",
        d,
        "--principal",
        &urn,
        "--since",
        "2025-12-01",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out).unwrap();
}

// ---------------------------------------------------------------- did you mean

#[test]
fn names_get_suggestions() {
    let (code, _, err) = run(&["catalog", "action", "modelarts:trainjob:craete"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("did you mean `modelarts:trainJob:create`?"),
        "{err}"
    );
    let (code, _, err) = run(&["catalog", "actions", "--service", "modelart"]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean `modelarts`?"), "{err}");
    for service in ["ModelArts", "OBS", "SFS Turbo", "access analyzer"] {
        let (code, out, err) = run(&["catalog", "actions", "--service", service]);
        assert_eq!(code, 0, "{service}: {err}");
        assert!(out.contains("action(s)"));
    }
    let (code, _, err) = run(&["catalog", "actions", "--access-level", "admin"]);
    assert_eq!(code, 1);
    assert!(err.contains("Permission_management"), "{err}");
    let (code, _, _) = run(&["catalog", "actions", "--access-level", "list"]);
    assert_eq!(code, 0);
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "u.json", &obs_read());
    for cmd in [
        vec!["coverage", "-s", "training managment", "--policy", &user],
        vec!["generate", "-s", "training managment"],
    ] {
        let (code, _, err) = run(&cmd);
        assert_eq!(code, 1, "{cmd:?}");
        assert!(
            err.contains("did you mean `Training management`?") && err.contains("coverage --list"),
            "{err}"
        );
    }
    let (code, _, err) = run(&[
        "preflight",
        "--operation",
        "start-notbook",
        "--policy",
        &user,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("'start-notebook'"), "{err}");
}

// ---------------------------------------------------------------- messages

#[test]
fn messages_say_each_thing_once_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let user = write(dir.path(), "u.json", &obs_read());
    // a database file that is not one: the store's error and its source say the same thing
    let garbage = dir.path().join("garbage");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(garbage.join("iam.db"), "not a database, not at all").unwrap();
    let garbage = garbage.to_str().unwrap();
    for args in [
        vec!["log", "--data-dir", garbage],
        vec!["audit", "agencies", "--data-dir", garbage],
        vec!["log", "--since", "2026-13-45", "--data-dir", missing],
        vec!["log", "--data-dir", missing],
        vec!["diff", missing, &user],
        vec!["catalog", "route", "GET", "/nope"],
        vec!["coverage", "--policy", &user],
        vec!["generate"],
        vec!["catalog", "action", "nothing:like:this"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        let first = err.lines().next().unwrap();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        // no clause said twice ("could not be parsed: ... could not be parsed")
        let parts: Vec<&str> = first.split(": ").collect();
        for (i, p) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..]
                    .iter()
                    .any(|q| (p.len() >= 12 && q.contains(p)) || (q.len() >= 12 && p.contains(q))),
                "{args:?} repeats itself: {first}"
            );
        }
        assert!(
            err.contains("hint:") || args[0] == "diff",
            "{args:?} says what to do next: {err}"
        );
    }
}

// ---------------------------------------------------------------- no internal references

#[test]
fn users_never_read_internal_file_names() {
    let internal = regex::Regex::new(
        r"[0-9]{3}_[0-9a-f]{16}|\.\./shared|shared/(seeds|reference)|Table [0-9]+ row [0-9]|\b00[04] Table|\b[Ss]eeds?\b|huawei-(more|iam)\b",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "u.json", &obs_read());
    let mut commands: Vec<Vec<String>> = [
        "catalog actions",
        "catalog actions --json",
        "catalog action *",
        "catalog action * --json",
        "catalog scenarios",
        "catalog scenarios --json",
        "catalog scenarios --agency",
        "catalog scenarios --agency --json",
        "catalog notes",
        "catalog notes --json",
        "coverage --list",
        "coverage --list --json",
        "generate -s all",
        "generate -s all --json",
        "generate -s all --agency",
        "generate -s all --agency --json",
    ]
    .iter()
    .map(|c| c.split(' ').map(str::to_owned).collect())
    .collect();
    for json in [false, true] {
        let mut c: Vec<String> = ["coverage", "-s", "all", "--policy", &user]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if json {
            c.push("--json".into());
        }
        commands.push(c);
        for op in ["create-training-job", "start-notebook", "deploy-service"] {
            let mut c: Vec<String> = [
                "preflight",
                "--operation",
                op,
                "--policy",
                &user,
                "--input",
                "obs://b/in/",
                "--output",
                "obs://b/out/",
                "--image",
                "swr/x",
                "--smn-topic",
                "t",
                "--sfs-turbo",
                "s",
                "--obs-path",
                "obs://b/nb/",
                "--monitoring",
                "--model-id",
                "m",
                "--volume",
                "obs://b/v/",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            if json {
                c.push("--json".into());
            }
            commands.push(c);
        }
    }
    // every route of the catalog, resolved
    let (_, routes, _) = run(&["catalog", "actions", "--json"]);
    let mut paths = std::collections::BTreeSet::new();
    for a in serde_json::from_str::<Value>(&routes)
        .unwrap()
        .as_array()
        .unwrap()
    {
        let (_, out, _) = run(&["catalog", "action", a["name"].as_str().unwrap(), "--json"]);
        if let Ok(v) = serde_json::from_str::<Value>(&out) {
            for r in v["routes"].as_array().into_iter().flatten() {
                paths.insert(r.as_str().unwrap().to_owned());
            }
        }
        if paths.len() > 400 {
            break;
        }
    }
    assert!(paths.len() > 100, "{}", paths.len());
    let placeholder = regex::Regex::new(r"\{[^}]+\}").unwrap();
    for r in &paths {
        let (method, path) = r.split_once(' ').unwrap();
        let concrete = placeholder.replace_all(path, "x").into_owned();
        commands.push(vec![
            "catalog".into(),
            "route".into(),
            method.into(),
            concrete,
        ]);
    }
    for c in &commands {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        let (_, out, err) = run(&args);
        for (stream, text) in [("stdout", &out), ("stderr", &err)] {
            if let Some(m) = internal.find(text) {
                let at = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
                let line = text[at..].lines().next().unwrap_or("");
                panic!("{args:?} {stream} cites `{}`: {line}", m.as_str());
            }
        }
    }
}

// ---------------------------------------------------------------- completions and man pages

#[test]
fn completions_and_man_pages_come_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for sub in [
            "catalog",
            "coverage",
            "generate",
            "preflight",
            "diff",
            "log",
        ] {
            assert!(out.contains(sub), "{shell} completes {sub}");
        }
        assert!(out.contains("allow-added"), "{shell} completes flags");
    }
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 1, "{err}");

    let (code, page, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(
        page.starts_with(".ie") || page.contains(".TH modelarts-iam"),
        "{page}"
    );
    assert!(page.contains("catalog") && page.contains("completions"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("man1");
    let (code, listed, err) = run(&["man", "--out", d.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for name in [
        "modelarts-iam.1",
        "modelarts-iam-catalog.1",
        "modelarts-iam-catalog-actions.1",
        "modelarts-iam-diff.1",
        "modelarts-iam-audit-agencies.1",
    ] {
        let p = d.join(name);
        assert!(listed.contains(p.to_str().unwrap()), "{listed}");
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(".TH"), "{name}");
    }
    let diff = std::fs::read_to_string(d.join("modelarts-iam-diff.1")).unwrap();
    assert!(diff.contains("allow\\-added"), "{diff}");
}

// ---------------------------------------------------------------- on a terminal

/// Runs the binary on a pseudo-terminal (util-linux `script`), with `COLUMNS` set; `None` when
/// `script` is not installed.
fn on_terminal(args: &str, columns: u16, env: &[(&str, &str)]) -> Option<String> {
    let mut c = StdCommand::new("script");
    c.args(["-qec", &format!("{} {args}", bin().display()), "/dev/null"])
        .env("COLUMNS", columns.to_string())
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn on_a_terminal_tables_fit_and_colour_is_on() {
    let Some(out) = on_terminal("catalog notes", 100, &[]) else {
        eprintln!("skipped: no `script` to run on a pseudo-terminal");
        return;
    };
    let strip = regex::Regex::new(r"\x1b\[[0-9;]*m").unwrap();
    assert!(out.contains(ESC), "coloured on a terminal");
    let plain = strip.replace_all(&out, "");
    let widest = plain
        .lines()
        .map(|l| l.trim_end_matches('\r').chars().count())
        .max();
    assert_eq!(widest, Some(100), "fits COLUMNS=100");
    let wide = on_terminal("catalog notes", 200, &[]).unwrap();
    let widest = strip
        .replace_all(&wide, "")
        .lines()
        .map(|l| l.trim_end_matches('\r').chars().count())
        .max()
        .unwrap();
    assert!(widest > 100 && widest <= 200, "{widest}");
    let plain = on_terminal("catalog notes", 100, &[("NO_COLOR", "1")]).unwrap();
    assert!(!plain.contains(ESC), "NO_COLOR on a terminal");
    let never = on_terminal("--color never catalog notes", 100, &[]).unwrap();
    assert!(!never.contains(ESC));
}
