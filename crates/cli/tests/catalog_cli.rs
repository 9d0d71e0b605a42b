//! `modelarts-iam catalog ...`: tables for people, JSON for machines, clear errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failing command should fail the test loudly"
)]

use assert_cmd::Command;

fn cli() -> Command {
    Command::cargo_bin("modelarts-iam").unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = cli().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_of(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout_of(args)).unwrap()
}

#[test]
fn actions_filters() {
    let all = json_of(&["catalog", "actions", "--service", "modelarts", "--json"]);
    let all = all.as_array().unwrap();
    assert!(all.len() >= 98);
    let list = json_of(&[
        "catalog",
        "actions",
        "--service",
        "modelarts",
        "--access-level",
        "list",
        "--resource-type",
        "NOTEBOOK",
        "--json",
    ]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "modelarts:notebook:list",
            "modelarts:notebook:listMountedStorages"
        ]
    );
    let table = stdout_of(&["catalog", "actions", "--service", "obs"]);
    assert!(table.contains("obs:bucket:ListAllMyBuckets"));
    assert!(table.contains("inferred"));
}

#[test]
fn action_detail() {
    let a = json_of(&["catalog", "action", "modelarts:NOTEBOOK:get", "--json"]);
    assert_eq!(a["name"], "modelarts:notebook:get");
    assert_eq!(a["access_level"], "Read");
    assert_eq!(a["resources"][0]["resource_type"], "notebook");
    assert_eq!(a["resources"][0]["required"], true);
    assert_eq!(
        a["resources"][0]["condition_keys"][0],
        "g:ResourceTag/<tag-key>"
    );
    assert_eq!(a["routes"][0], "GET /v1/{project_id}/notebooks/{id}");
    let table = stdout_of(&["catalog", "action", "modelarts:image:create"]);
    assert!(table.contains("g:EnterpriseProjectId"));
    assert!(table.contains("POST /v1/{project_id}/notebooks/{id}/create-image"));
    let many = json_of(&["catalog", "action", "modelarts:*:*delete*", "--json"]);
    assert!(many.as_array().unwrap().len() > 5);
}

#[test]
fn unknown_action_fails() {
    let out = cli()
        .args(["catalog", "action", "modelarts:nothing:here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown action `modelarts:nothing:here`")
    );
    let out = cli()
        .args(["catalog", "actions", "--access-level", "admin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // clap checks the value and lists the levels
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'admin'") && err.contains("Permission_management"),
        "{err}"
    );
}

#[test]
fn route_resolution() {
    let r = json_of(&[
        "catalog",
        "route",
        "GET",
        "/v1/proj1/notebooks/nb-1",
        "--region",
        "cn-north-4",
        "--account",
        "acc1",
        "--json",
    ]);
    assert_eq!(r["actions"][0], "modelarts:notebook:get");
    assert_eq!(r["resources"][0], "modelarts:cn-north-4:acc1:notebook:nb-1");
    assert_eq!(r["params"][0][0], "project_id");
    assert_eq!(r["params"][0][1], "proj1");
    assert_eq!(r["route"]["path"], "/v1/{project_id}/notebooks/{id}");
    let table = stdout_of(&["catalog", "route", "post", "/v2/p/training-jobs"]);
    assert!(table.contains("modelarts:trainJob:create"));
    assert!(table.contains("modelarts:trainJob:logExport"));
    assert!(table.contains("Duplicate row"));
}

#[test]
fn unknown_route_fails() {
    let out = cli()
        .args(["catalog", "route", "GET", "/v9/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no route matches `GET /v9/x`"));
    let out = cli()
        .args(["catalog", "route", "PATCH", "/v1/p/notebooks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not allowed"));
}

#[test]
fn scenarios_and_notes() {
    let rows = json_of(&["catalog", "scenarios", "--json"]);
    assert_eq!(rows.as_array().unwrap().len(), 52);
    let agency = json_of(&["catalog", "scenarios", "--agency", "--json"]);
    assert_eq!(agency.as_array().unwrap().len(), 12);
    assert_eq!(agency[0]["suggestion"], "Recommended");
    let table = stdout_of(&["catalog", "scenarios"]);
    assert!(table.contains("(Mandatory)"));
    let notes = json_of(&["catalog", "notes", "--json"]);
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "t2-duplicate-training-jobs-post")
    );
    let table = stdout_of(&["catalog", "notes"]);
    assert!(table.contains("nodeservice"));
}
