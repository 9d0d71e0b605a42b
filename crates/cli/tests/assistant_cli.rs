//! `modelarts-iam coverage | generate | preflight | audit agencies | diff`: readable output,
//! `--json`, exit codes, stored data directories and clear errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn cli() -> Command {
    Command::cargo_bin("modelarts-iam").unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = cli().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn generate_then_coverage_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&[
        "generate",
        "-s",
        "t4-training-management",
        "--obs",
        "obs://train-data/in/",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let g: Value = serde_json::from_str(&out).unwrap();
    let docs = g["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["document"].clone())
        .collect::<Vec<_>>();
    let f = write(dir.path(), "gen.json", &Value::Array(docs));
    let (code, out, err) = run(&[
        "coverage",
        "-s",
        "t4-training-management",
        "--obs",
        "obs://train-data/in/",
        "--policy",
        &f,
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["covered"], true);
    // Without the OBS scope the scoped policy does not cover OBS: exit 2 and the reason.
    let (code, out, _) = run(&["coverage", "-s", "t4-training-management", "--policy", &f]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("NOT covered")
            && out.contains("obs:object:GetObject")
            && out.contains("no allow in identity"),
        "{out}"
    );
    // Plain generate output: standard output is the policy document (JSON only), the notes
    // go to standard error.
    let (code, out, err) = run(&["generate", "-s", "Training management"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["Version"], "5.0", "{out}");
    assert!(err.contains("bytes minified"), "{err}");
    // The custom agency for the scenario: Table 11, limited to the same OBS path.
    let (code, out, err) = run(&[
        "generate",
        "-s",
        "t4-training-management",
        "--agency",
        "--obs",
        "obs://train-data/in/",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let a: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(a["scenarios"], json!(["t11-training-jobs"]));
    assert_eq!(a["actions"].as_array().unwrap().len(), 3);
    assert!(out.contains("obs:*:*:object:train-data/in/*"), "{out}");
    let (code, _, err) = run(&["generate", "-s", "t1-basic-function", "--agency"]);
    assert_eq!(code, 1);
    assert!(err.contains("no agency scope"), "{err}");
    // Listing and errors.
    let (code, out, _) = run(&["coverage", "--list"]);
    assert_eq!(code, 0);
    assert!(out.contains("t3-saving-an-image"));
    let (code, _, err) = run(&["coverage", "-s", "nope", "--policy", &f]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown scenario"), "{err}");
    let (code, _, err) = run(&["generate", "-s", "all", "--obs", "NOT VALID"]);
    assert_eq!(code, 1);
    assert!(err.contains("not an OBS path"), "{err}");
    let (code, _, err) = run(&["coverage", "-s", "all"]);
    assert_eq!(code, 1);
    assert!(err.contains("--policy"), "{err}");
}

fn golden(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../tests/assistant/preflight/{name}.case.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn preflight_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let case = golden("train-agency-missing-output");
    let user = write(dir.path(), "user.json", &case["user"]);
    let trust = write(dir.path(), "trust.json", &case["agency"]["trust"]);
    let agency = write(dir.path(), "agency.json", &case["agency"]["identity"]);
    let op = &case["operation"];
    let mut args: Vec<String> = vec![
        "preflight".into(),
        "--operation".into(),
        "create-training-job".into(),
        "--region".into(),
        "cn-north-4".into(),
    ];
    for (flag, key) in [("--input", "inputs"), ("--output", "outputs")] {
        for v in op[key].as_array().unwrap() {
            args.push(flag.into());
            args.push(v.as_str().unwrap().into());
        }
    }
    for (flag, key) in [
        ("--image", "image"),
        ("--sfs-turbo", "sfs_turbo"),
        ("--smn-topic", "smn_topic"),
    ] {
        args.push(flag.into());
        args.push(op[key].as_str().unwrap().into());
    }
    args.extend([
        "--policy".into(),
        user,
        "--agency-name".into(),
        "ma_agency_user01".into(),
        "--agency-trust".into(),
        trust,
        "--agency-policy".into(),
        agency,
    ]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&a);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("[FAIL] agency:obs:object:PutObject"), "{out}");
    assert!(out.contains("smallest change"), "{out}");
    let mut j = a.clone();
    j.push("--json");
    let (_, out, _) = run(&j);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["fix"][0]["kind"], "add_agency_statement");
    // Without an agency: the agency-configured step fails; unknown operation is an error.
    let (code, out, _) = run(&a[..a.len() - 6]);
    assert_eq!(code, 2);
    assert!(out.contains("[FAIL] agency-configured"), "{out}");
    let (code, _, err) = run(&[
        "preflight",
        "--operation",
        "fly",
        "--policy",
        a[a.len() - 7],
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("invalid value 'fly'") && err.contains("create-training-job"),
        "{err}"
    );
}

#[test]
fn audit_and_diff_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(
        dir.path(),
        "u.json",
        &json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"],"Resource":["obs:*:*:object:b1/*"]}]}),
    );
    let agency = write(
        dir.path(),
        "a.json",
        &json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject","obs:object:PutObject"],"Resource":["obs:*:*:object:b1/*"]}]}),
    );
    let (code, out, err) = run(&[
        "audit",
        "agencies",
        "--user-policy",
        &user,
        "--agency-policy",
        &agency,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.contains("[overreach]") && out.contains("obs:object:PutObject"),
        "{out}"
    );
    assert!(!out.contains("obs:object:GetObject on"), "{out}");
    let (code, _, _) = run(&[
        "audit",
        "agencies",
        "--user-policy",
        &agency,
        "--agency-policy",
        &user,
    ]);
    assert_eq!(code, 0);
    // Access added: exit 2 (a failed check), so that CI can gate on it.
    let (code, out, _) = run(&["diff", &user, &agency, "--json"]);
    assert_eq!(code, 2);
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["added"].as_array().unwrap().len(), 1);
    assert_eq!(d["added"][0]["action"], "obs:object:PutObject");
    assert!(d["removed"].as_array().unwrap().is_empty());
    let (code, out, _) = run(&["diff", &agency, &user]);
    assert_eq!(code, 0, "removed access only");
    assert!(
        out.contains("removed (1)") && out.contains("obs:object:PutObject"),
        "{out}"
    );
    let bad = write(dir.path(), "bad.json", &json!({"Version":"5.0"}));
    let (code, _, err) = run(&["diff", &bad, &user]);
    assert_eq!(code, 3, "invalid input");
    assert!(err.contains("Statement"), "{err}");
}

#[test]
fn stored_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let urn = rt.block_on(async {
        let store = iam_store::Store::open(dir.path(), iam_store::StoreOptions::default()).await.unwrap();
        let (account, _root, project) = store.bootstrap_account("acme", "cn-north-4", None).await.unwrap();
        let user = store.create_user(&account.id, &iam_store::NewUser { name: "bob".into(), enabled: true, description: String::new() }).await.unwrap();
        let p = store.create_policy(&account.id, &iam_store::NewPolicy { name: "bob".into(), document: r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject","iam:tokens:assume"]}]}"#.into(), path: String::new(), description: String::new() }).await.unwrap();
        store.attach_policy(&p.id, iam_store::PrincipalType::User, &user.id).await.unwrap();
        let ag = store.create_agency(&account.id, &iam_store::NewAgency { name: "modelarts_agency".into(), path: String::new(), trust_policy: r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]}]}"#.into(), max_session_duration: None, description: String::new() }).await.unwrap();
        let ap = store.create_policy(&account.id, &iam_store::NewPolicy { name: "ag".into(), document: r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:*"]}]}"#.into(), path: String::new(), description: String::new() }).await.unwrap();
        store.attach_policy(&ap.id, iam_store::PrincipalType::Agency, &ag.id).await.unwrap();
        store.put_authorization(&project.id, "all", &ag.id).await.unwrap();
        store.close().await;
        user.urn
    });
    let d = dir.path().to_string_lossy().into_owned();
    let (code, out, err) = run(&["audit", "agencies", "--data-dir", &d, "--json"]);
    assert_eq!(code, 2, "{out}{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let bob = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["user"] == urn.as_str())
        .unwrap();
    assert_eq!(bob["ok"], false);
    assert!(
        bob["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["action"] == "obs:object:PutObject")
    );
    let (code, out, err) = run(&[
        "coverage",
        "-s",
        "t1-basic-function",
        "--data-dir",
        &d,
        "--principal",
        &urn,
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("bss:balance:view"), "{out}");
    let (code, out, err) = run(&[
        "preflight",
        "--operation",
        "create-training-job",
        "--input",
        "obs://b/x/",
        "--data-dir",
        &d,
        "--principal",
        &urn,
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("agency: modelarts_agency"), "{out}");
    assert!(out.contains("[pass] agency:obs:object:GetObject"), "{out}");
    let (code, _, err) = run(&[
        "coverage",
        "-s",
        "all",
        "--data-dir",
        &d,
        "--principal",
        "iam::x:user:none",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no enabled user"), "{err}");
}
