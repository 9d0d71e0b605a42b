//! `plan`, `apply` and `export` against `modelarts-iam serve --demo` on a free loopback port:
//! a property test over random account configurations (apply then export gives the files back,
//! the export applies as no change, and plan's access diff is what the policy engine decides
//! before and after over every catalog action), exit codes, invalid files, a refused change,
//! protected objects, SCPs, YAML and JSON.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;
mod declarative;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use declarative::{Out, Server, call, root_key, run, serve};
use iam_policy::{Context, PolicyId, PolicyKind, PolicySet, Principal, Request};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// The documents the random configurations attach: allows and denies of ModelArts and OBS
/// actions on `*` (the fragment where the containment analysis is exact).
fn pool() -> Vec<Value> {
    let doc = |st: Value| json!({"Version": "5.0", "Statement": st});
    vec![
        doc(json!([{"Effect": "Allow", "Action": ["modelarts:notebook:*"], "Resource": ["*"]}])),
        doc(
            json!([{"Effect": "Allow", "Action": ["modelarts:trainJob:*", "modelarts:notebook:get"], "Resource": ["*"]}]),
        ),
        doc(
            json!([{"Effect": "Deny", "Action": ["modelarts:notebook:delete"], "Resource": ["*"]}]),
        ),
        doc(
            json!([{"Effect": "Allow", "Action": ["modelarts:*:get*", "modelarts:*:list*"], "Resource": ["*"]}]),
        ),
        doc(json!([
            {"Effect": "Allow", "Action": ["obs:object:GetObject", "obs:bucket:ListBucket"], "Resource": ["*"]},
            {"Effect": "Deny", "Action": ["modelarts:trainJob:delete"], "Resource": ["*"]}])),
        doc(json!([{"Effect": "Allow", "Action": ["modelarts:*:*"], "Resource": ["*"]}])),
    ]
}

fn trust() -> Value {
    json!({"Version": "5.0", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["service.ModelArts"]}, "Action": ["sts:agencies:assume"]}]})
}

fn picks(mask: u8, names: &[String]) -> Vec<String> {
    names
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, n)| n.clone())
        .collect()
}

type Seeds = (
    Vec<usize>,
    Vec<(bool, bool, u8)>,
    Vec<(bool, u8, u8)>,
    Vec<u8>,
    u8,
);

/// A configuration in exactly the shape `export --format json` writes (names sorted, defaults
/// left out), for the kinds users, groups, policies, agencies and authorizations.
fn build((docs, users, groups, agencies, auth): Seeds) -> Value {
    let pool = pool();
    let policy_names: Vec<String> = (0..docs.len()).map(|i| format!("p{i}")).collect();
    let user_names: Vec<String> = (0..users.len()).map(|i| format!("u{i}")).collect();
    let agency_names: Vec<String> = (0..agencies.len()).map(|i| format!("a{i}")).collect();
    let mut out = serde_json::Map::new();
    let users: Vec<Value> = users
        .iter()
        .enumerate()
        .map(|(i, (desc, enabled, mask))| {
            let mut u = json!({"name": format!("u{i}")});
            if *desc {
                u["description"] = json!(format!("user {i}"));
            }
            if !enabled {
                u["enabled"] = json!(false);
            }
            let p = picks(*mask, &policy_names);
            if !p.is_empty() {
                u["policies"] = json!(p);
            }
            u
        })
        .collect();
    out.insert("users".into(), json!(users));
    let mut gs = vec![json!({"name": "admin"})];
    for (i, (desc, members, mask)) in groups.iter().enumerate() {
        let mut g = json!({"name": format!("g{i}")});
        if *desc {
            g["description"] = json!(format!("group {i}"));
        }
        let m = picks(*members, &user_names);
        if !m.is_empty() {
            g["members"] = json!(m);
        }
        let p = picks(*mask, &policy_names);
        if !p.is_empty() {
            g["policies"] = json!(p);
        }
        gs.push(g);
    }
    out.insert("groups".into(), json!(gs));
    let policies: Vec<Value> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| json!({"name": format!("p{i}"), "description": format!("doc {d}"), "document": pool[*d]}))
        .collect();
    out.insert("policies".into(), json!(policies));
    let agencies_v: Vec<Value> = agencies
        .iter()
        .enumerate()
        .map(|(i, mask)| {
            let mut a = json!({"name": format!("a{i}"), "trust_policy": trust()});
            let p = picks(*mask, &policy_names);
            if !p.is_empty() {
                a["policies"] = json!(p);
            }
            a
        })
        .collect();
    out.insert("agencies".into(), json!(agencies_v));
    let mut auths = BTreeMap::new();
    if !agency_names.is_empty() {
        if auth & 0x80 != 0 {
            auths.insert("all".to_owned(), agency_names[0].clone());
        }
        for u in picks(auth, &user_names) {
            let a = &agency_names[u.len() % agency_names.len()];
            auths.insert(u, a.clone());
        }
    }
    let auths: Vec<Value> = auths
        .into_iter()
        .map(|(u, a)| json!({"user": u, "agency": a}))
        .collect();
    out.insert("authorizations".into(), json!(auths));
    Value::Object(out)
}

fn seeds() -> impl Strategy<Value = Seeds> {
    (
        prop::collection::vec(0usize..6, 0..=4),
        prop::collection::vec((any::<bool>(), any::<bool>(), any::<u8>()), 0..=4),
        prop::collection::vec((any::<bool>(), any::<u8>(), any::<u8>()), 0..=3),
        prop::collection::vec(any::<u8>(), 0..=2),
        any::<u8>(),
    )
}

/// YAML text of a value (through the YAML library the command reads with).
fn yaml(v: &Value) -> String {
    fn to(v: &Value) -> yaml_rust2::Yaml {
        use yaml_rust2::Yaml;
        match v {
            Value::Null => Yaml::Null,
            Value::Bool(b) => Yaml::Boolean(*b),
            Value::Number(n) => Yaml::Integer(n.as_i64().unwrap()),
            Value::String(s) => Yaml::String(s.clone()),
            Value::Array(a) => Yaml::Array(a.iter().map(to).collect()),
            Value::Object(m) => Yaml::Hash(
                m.iter()
                    .map(|(k, v)| (Yaml::String(k.clone()), to(v)))
                    .collect(),
            ),
        }
    }
    let mut s = String::new();
    yaml_rust2::YamlEmitter::new(&mut s).dump(&to(v)).unwrap();
    s
}

/// Writes `config` into `dir`: each kind, at random, in `a.yaml` or `b.json`.
fn write_config(dir: &Path, config: &Value, split: u8) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let (mut a, mut b) = (serde_json::Map::new(), serde_json::Map::new());
    for (i, (k, v)) in config.as_object().unwrap().iter().enumerate() {
        if split & (1 << i) != 0 {
            a.insert(k.clone(), v.clone());
        } else {
            b.insert(k.clone(), v.clone());
        }
    }
    std::fs::write(dir.join("a.yaml"), yaml(&Value::Object(a))).unwrap();
    std::fs::write(
        dir.join("b.json"),
        serde_json::to_string_pretty(&Value::Object(b)).unwrap(),
    )
    .unwrap();
}

const MANAGED: [&str; 5] = ["users", "groups", "policies", "agencies", "authorizations"];

/// The managed kinds of an export.
fn managed_part(export: &Value) -> Value {
    Value::Object(
        MANAGED
            .iter()
            .map(|k| ((*k).to_owned(), export[*k].clone()))
            .collect(),
    )
}

/// Each user's and agency's identity documents in a configuration (users through groups too).
fn effective(config: &Value) -> BTreeMap<(String, String), Vec<Value>> {
    let docs: BTreeMap<&str, &Value> = config["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), &p["document"]))
        .collect();
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let mut out = BTreeMap::new();
    for u in config["users"].as_array().unwrap() {
        let name = u["name"].as_str().unwrap();
        if u["enabled"] == json!(false) {
            // a disabled user has no access
            out.insert(("user".to_owned(), name.to_owned()), Vec::new());
            continue;
        }
        let mut ps = names(&u["policies"]);
        for g in config["groups"].as_array().unwrap() {
            if names(&g["members"]).iter().any(|m| m == name) {
                ps.extend(names(&g["policies"]));
            }
        }
        let d = ps.iter().map(|p| docs[p.as_str()].clone()).collect();
        out.insert(("user".to_owned(), name.to_owned()), d);
    }
    for a in config["agencies"].as_array().unwrap() {
        let d = names(&a["policies"])
            .iter()
            .map(|p| docs[p.as_str()].clone())
            .collect();
        out.insert(
            ("agency".to_owned(), a["name"].as_str().unwrap().to_owned()),
            d,
        );
    }
    out
}

/// The catalog actions the documents allow on `*`, decided by the engine.
fn allowed(docs: &[Value], actions: &[String]) -> BTreeSet<String> {
    let identity = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                PolicyId::new(format!("d{i}")),
                Arc::new(iam_policy::Policy::from_value(d, PolicyKind::Identity).unwrap()),
            )
        })
        .collect();
    let set = PolicySet::new(identity, Vec::new(), Vec::new());
    let (p, ctx) = (Principal::default(), Context::new());
    actions
        .iter()
        .filter(|a| {
            set.decide(
                &p,
                &Request {
                    action: a,
                    resource: "*",
                    context: &ctx,
                },
            )
            .is_allow()
        })
        .cloned()
        .collect()
}

type AccessSets = BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)>;

/// What the engine says each principal gains and loses from `before` to `after`.
fn expected_access(before: &Value, after: &Value) -> AccessSets {
    let actions: Vec<String> = iam_catalog::Catalog::builtin()
        .actions()
        .map(|a| a.name.clone())
        .collect();
    let (b, a) = (effective(before), effective(after));
    let mut out = BTreeMap::new();
    for key in b.keys().chain(a.keys()).collect::<BTreeSet<_>>() {
        let none = Vec::new();
        let old = allowed(b.get(key).unwrap_or(&none), &actions);
        let new = allowed(a.get(key).unwrap_or(&none), &actions);
        let added: BTreeSet<String> = new.difference(&old).cloned().collect();
        let removed: BTreeSet<String> = old.difference(&new).cloned().collect();
        if !added.is_empty() || !removed.is_empty() {
            out.insert(key.clone(), (added, removed));
        }
    }
    out
}

/// Plan's `access`, as action sets per principal.
fn plan_access(plan: &Value) -> AccessSets {
    let set = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|g| {
                assert_eq!(g["resources"], json!(["*"]), "{g}");
                g["action"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    plan["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                (
                    a["kind"].as_str().unwrap().to_owned(),
                    a["name"].as_str().unwrap().to_owned(),
                ),
                (set(&a["added"]), set(&a["removed"])),
            )
        })
        .collect()
}

fn ok(out: &Out, code: i32) {
    assert_eq!(out.code, code, "{out}");
}

fn export_json(server: &Server) -> Value {
    let out = run(server, &server.key(), &["export", "--format", "json"]);
    ok(&out, 0);
    out.json()
}

/// Applies `config` and checks the round trip: export gives it back, plan of the export
/// (written by `export --out`, YAML or JSON) has no change.
fn apply_and_check(server: &Server, work: &Path, config: &Value, split: u8) {
    let dir = work.join("config");
    write_config(&dir, config, split);
    let out = run(server, &server.key(), &["apply", dir.to_str().unwrap()]);
    ok(&out, 0);
    assert_eq!(managed_part(&export_json(server)), *config);
    let out = run(server, &server.key(), &["plan", dir.to_str().unwrap()]);
    ok(&out, 0);
    let exported = work.join("exported");
    let _ = std::fs::remove_dir_all(&exported);
    let format = if split & 1 == 0 { "yaml" } else { "json" };
    let out = run(
        server,
        &server.key(),
        &[
            "export",
            "--out",
            exported.to_str().unwrap(),
            "--format",
            format,
        ],
    );
    ok(&out, 0);
    let out = run(server, &server.key(), &["plan", exported.to_str().unwrap()]);
    assert_eq!(out.code, 0, "export -> plan changes something\n{out}");
}

#[test]
fn apply_export_round_trip_and_plan_access_agree_with_the_engine() {
    let work = tempfile::tempdir().unwrap();
    let server = serve(&work.path().join("data"));
    let empty = json!({"users": [], "groups": [{"name": "admin"}], "policies": [],
        "agencies": [], "authorizations": []});
    let mut runner = TestRunner::new(Config {
        cases: 8,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(seeds(), seeds(), any::<u8>()),
            |(first, second, split)| {
                let (a, b) = (build(first), build(second));
                // reset: the empty configuration of the managed kinds
                apply_and_check(&server, work.path(), &empty, split);
                apply_and_check(&server, work.path(), &a, split);
                // plan A -> B: its access diff is the engine's, action by action
                let dir = work.path().join("config");
                write_config(&dir, &b, split.rotate_left(3));
                let out = run(
                    &server,
                    &server.key(),
                    &["plan", dir.to_str().unwrap(), "--json"],
                );
                let plan = out.json();
                prop_assert_eq!(
                    out.code,
                    if plan["changes"].as_array().unwrap().is_empty() {
                        0
                    } else {
                        2
                    },
                    "{}",
                    out
                );
                prop_assert_eq!(plan_access(&plan), expected_access(&a, &b));
                apply_and_check(&server, work.path(), &b, split.rotate_left(3));
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn invalid_files_exit_3_with_file_line_and_send_nothing() {
    let work = tempfile::tempdir().unwrap();
    // nothing listens here: file problems are found before any request
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = work.path().join("key.json");
    std::fs::write(
        &key,
        r#"{"access_key_id": "AK", "secret_access_key": "SK"}"#,
    )
    .unwrap();
    let check = |name: &str, text: &str, expect: &[&str]| {
        let dir = work.path().join(name);
        std::fs::create_dir_all(dir.join("docs")).unwrap();
        let file = if name.ends_with("json") {
            "c.json"
        } else {
            "c.yaml"
        };
        std::fs::write(dir.join(file), text).unwrap();
        std::fs::write(
            dir.join("docs/bad.json"),
            "{\"Version\": \"5.0\",\n \"Statement\": [{\"Effect\": \"Allow\"}]}",
        )
        .unwrap();
        for cmd in ["plan", "apply"] {
            let out = std::process::Command::new(declarative::BIN)
                .args([cmd, dir.to_str().unwrap(), "--endpoint"])
                .arg(format!("http://127.0.0.1:{port}"))
                .arg("--key-file")
                .arg(&key)
                .output()
                .unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(3), "{name} {cmd}: {stderr}");
            for e in expect {
                assert!(stderr.contains(e), "{name}: `{e}` not in\n{stderr}");
            }
            assert!(!stderr.contains("connection"), "{stderr}");
        }
    };
    check(
        "unknown-field",
        "users:\n  - name: alice\n    descriptin: typo\n",
        &["c.yaml:3:5:", "unknown field `descriptin`"],
    );
    check(
        "bad-yaml",
        "users:\n  - name: [alice\n",
        &["c.yaml:", "not valid YAML"],
    );
    check(
        "invalid-policy",
        "policies:\n  - name: p\n    document:\n      Version: \"5.0\"\n      Statement:\n        - Effect: Allow\n          Action: [\"modelarts:notebook:list\"]\n          Resource: 7\n",
        &["c.yaml:8:21:", "identity error"],
    );
    check(
        "invalid-policy-file",
        "policies:\n  - name: p\n    document_file: docs/bad.json\n",
        &["docs/bad.json:2:", "MISSING_ACTION"],
    );
    check(
        "duplicate-json",
        "{\"users\": [{\"name\": \"bob\"},\n {\"name\": \"Bob\"}]}",
        &["c.json:2:", "differs from `bob`"],
    );
    check(
        "system-policy-defined",
        "policies:\n  - name: ModelArtsFullAccessPolicy\n    document: {Version: \"5.0\", Statement: []}\n",
        &["c.yaml:2:11:", "system policy"],
    );
    check(
        "bad-name",
        "users:\n  - name: 1bob\n",
        &["c.yaml:2:11:", "invalid user name"],
    );
}

#[test]
fn exit_codes_protected_objects_scps_and_a_refused_change() {
    let work = tempfile::tempdir().unwrap();
    let server = serve(&work.path().join("data"));
    let root = root_key(&server);
    let root = (root.0.as_str(), root.1.as_str());
    let dir = work.path().join("c");
    let write = |text: &str| {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.yaml"), text).unwrap();
    };
    let d = dir.to_str().unwrap();
    let key = server.key();

    // the demo exported, as it is: no changes (exit 0); a change: exit 2; apply: 0, then 0
    let out = run(&server, &key, &["export", "--out", d]);
    ok(&out, 0);
    ok(&run(&server, &key, &["plan", d]), 0);
    ok(&run(&server, &key, &["apply", d]), 0);
    write("users:\n  - name: dave\n    policies: [ModelArtsFullAccessPolicy]\n");
    let out = run(&server, &key, &["plan", d]);
    ok(&out, 2);
    assert!(out.stdout.contains("+ user dave"), "{out}");
    assert!(out.stdout.contains("- user alice"), "{out}");
    assert!(
        out.stdout.contains(
            "+ user dave: modelarts:aiAlgorithm:create on *  (ModelArtsFullAccessPolicy)"
        ),
        "{out}"
    );
    ok(&run(&server, &key, &["apply", "--dry-run", d]), 2);
    ok(&run(&server, &key, &["apply", d]), 0);
    ok(&run(&server, &key, &["plan", d]), 0);

    // protected: the root user, the caller, the admin group, system policies
    let system = |v: Value| -> Vec<Value> {
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["policy_type"] == "system")
            .cloned()
            .collect()
    };
    let system_before = system(call(&server, root, "GET", "/v5/policies", None).1);
    assert!(!system_before.is_empty());
    write("users: []\ngroups: []\npolicies: []\nagencies: []\nauthorizations: []\n");
    let out = run(&server, &key, &["apply", d]);
    ok(&out, 0);
    let e = export_json(&server);
    assert_eq!(e["users"], json!([]));
    assert_eq!(e["groups"], json!([{"name": "admin"}]));
    let (s, me) = call(&server, root, "GET", "/v5/caller-identity", None);
    assert_eq!(s, 200);
    let (s, _) = call(
        &server,
        root,
        "GET",
        &format!("/v5/users/{}", me["principal_id"].as_str().unwrap()),
        None,
    );
    assert_eq!(s, 200, "the root user is still there");
    let system_after = system(call(&server, root, "GET", "/v5/policies", None).1);
    assert_eq!(system_before.len(), system_after.len());
    write("users:\n  - name: admin\n");
    let out = run(&server, &key, &["plan", d]);
    ok(&out, 3);
    assert!(
        out.stderr
            .contains("c.yaml:2:11: `admin` is the account's root user"),
        "{out}"
    );
    write("groups:\n  - name: admin\n    description: mine\n");
    ok(&run(&server, &key, &["plan", d]), 3);
    write("users:\n  - name: eve\n    policies: [nope]\n");
    let out = run(&server, &key, &["plan", d]);
    ok(&out, 3);
    assert!(
        out.stderr.contains("c.yaml:3:16: unknown policy `nope`"),
        "{out}"
    );

    // SCPs: attachments by name; the built-in FullAccess, not listed, keeps its attachments
    let full_before = export_json(&server)["scps"][0].clone();
    assert_eq!(full_before["name"], "FullAccess");
    write(
        "scps:\n  - name: no-delete\n    document: {Version: \"5.0\", Statement: [{Effect: Deny, Action: [\"modelarts:*:delete\"], Resource: [\"*\"]}]}\n    attached_to: [\"account:research-lab\", root]\n",
    );
    ok(&run(&server, &key, &["apply", d]), 0);
    ok(&run(&server, &key, &["plan", d]), 0);
    let scps = export_json(&server)["scps"].clone();
    assert_eq!(scps[0], full_before);
    assert_eq!(scps[1]["name"], "no-delete");
    assert_eq!(
        scps[1]["attached_to"],
        json!(["account:research-lab", "root"])
    );
    assert_eq!(
        scps.as_array().unwrap().len(),
        2,
        "deny-training was deleted: {scps}"
    );
    write(
        "scps:\n  - name: x\n    document: {Version: \"5.0\", Statement: [{Effect: Deny, Action: [\"*\"], Resource: [\"*\"]}]}\n    attached_to: [\"ou:nowhere\"]\n",
    );
    ok(&run(&server, &key, &["plan", d]), 3);

    // A refused change: `deployer` may do everything but attach policies to users. Its apply
    // creates the policy and the user (each a whole object), is refused at the attachment,
    // says so, and stops; nothing after it is attempted. The caller is never deleted.
    write(
        "users:\n  - name: deployer\n    policies: [deployer-policy]\npolicies:\n  - name: deployer-policy\n    document: {Version: \"5.0\", Statement: [{Effect: Allow, Action: [\"*\"]}, {Effect: Deny, Action: [\"iam:users:attachPolicyV5\"]}]}\n",
    );
    ok(&run(&server, &key, &["apply", d]), 0);
    let (_, deployer) = call(&server, root, "GET", "/v5/users", None);
    let id = deployer["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_name"] == "deployer")
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, k) = call(
        &server,
        root,
        "POST",
        &format!("/v5/users/{id}/access-keys"),
        Some(&json!({})),
    );
    assert_eq!(s, 200, "{k}");
    let k = &k["access_key"];
    let deployer_key = work.path().join("deployer.json");
    std::fs::write(
        &deployer_key,
        json!({"access_key_id": k["access_key_id"], "secret_access_key": k["secret_access_key"]})
            .to_string(),
    )
    .unwrap();
    let dk = deployer_key.to_str().unwrap();
    write(
        "users:\n  - name: newbie\n    description: new\n    policies: [newpol]\npolicies:\n  - name: deployer-policy\n    document: {Version: \"5.0\", Statement: [{Effect: Allow, Action: [\"*\"]}, {Effect: Deny, Action: [\"iam:users:attachPolicyV5\"]}]}\n  - name: newpol\n    document: {Version: \"5.0\", Statement: [{Effect: Allow, Action: [\"modelarts:notebook:list\"]}]}\n  - name: oldpol\n    document: {Version: \"5.0\", Statement: [{Effect: Allow, Action: [\"modelarts:notebook:get\"]}]}\n",
    );
    let plan = run(&server, dk, &["plan", d, "--json"]);
    ok(&plan, 2);
    assert!(
        plan.json()["kept"][0]
            .as_str()
            .unwrap()
            .contains("deployer"),
        "{plan}"
    );
    let out = run(&server, dk, &["apply", d]);
    ok(&out, 1);
    assert!(
        out.stderr
            .contains("`+ attachment newpol to user newbie` was refused"),
        "{out}"
    );
    assert!(out.stderr.contains("HTTP 403 IAM.0003"), "{out}");
    assert!(
        out.stderr.contains("3 earlier change(s) were applied"),
        "{out}"
    );
    let e = export_json(&server);
    let users = e["users"].as_array().unwrap();
    assert!(
        users
            .iter()
            .any(|u| u == &json!({"name": "deployer", "policies": ["deployer-policy"]})),
        "{e}"
    );
    assert!(
        users
            .iter()
            .any(|u| u == &json!({"name": "newbie", "description": "new"})),
        "{e}"
    );
    let policies = e["policies"].as_array().unwrap();
    for (name, action) in [
        ("newpol", "modelarts:notebook:list"),
        ("oldpol", "modelarts:notebook:get"),
    ] {
        let p = policies.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(p["document"]["Statement"][0]["Action"][0], action, "{p}");
    }
    // the root user's apply finishes it
    ok(&run(&server, &key, &["apply", d]), 0);
    ok(&run(&server, &key, &["plan", d]), 0);
}

/// An access key of the user `name`, made by the root user, as a key file in `dir`.
fn user_key(server: &Server, dir: &Path, name: &str) -> String {
    let root = root_key(server);
    let root = (root.0.as_str(), root.1.as_str());
    let (_, users) = call(server, root, "GET", "/v5/users", None);
    let id = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_name"] == name)
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, k) = call(
        server,
        root,
        "POST",
        &format!("/v5/users/{id}/access-keys"),
        Some(&json!({})),
    );
    assert_eq!(s, 200, "{k}");
    let k = &k["access_key"];
    let path = dir.join(format!("{name}.json"));
    std::fs::write(
        &path,
        json!({"access_key_id": k["access_key_id"], "secret_access_key": k["secret_access_key"]})
            .to_string(),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_plan_that_reduces_the_callers_access_is_refused_and_made_last() {
    let work = tempfile::tempdir().unwrap();
    let server = serve(&work.path().join("data"));
    let dir = work.path().join("c");
    let write = |text: &str| {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.yaml"), text).unwrap();
    };
    let d = dir.to_str().unwrap();
    let everything = "policies:\n  - name: everything\n    document: {Version: \"5.0\", Statement: [{Effect: Allow, Action: [\"*\"]}]}\n";
    // `ops` has its access through the group `admin`
    write(&format!(
        "users:\n  - name: ops\n  - name: auditor\ngroups:\n  - name: admin\n    members: [ops]\n    policies: [everything]\n{everything}"
    ));
    ok(&run(&server, &server.key(), &["apply", d]), 0);
    let ops = user_key(&server, work.path(), "ops");
    ok(&run(&server, &ops, &["plan", d]), 0);

    // disabling the caller: refused by plan and apply, nothing changed
    write(&format!(
        "users:\n  - name: ops\n    enabled: false\n  - name: auditor\ngroups:\n  - name: admin\n    members: [ops]\n    policies: [everything]\n{everything}"
    ));
    let out = run(&server, &ops, &["plan", d]);
    ok(&out, 3);
    assert!(out.stderr.contains("disables your user `ops`"), "{out}");
    assert!(out.stderr.contains("--allow-self-change"), "{out}");
    // the access diff of a disabled user: every action removed
    let plan = run(&server, &ops, &["plan", d, "--json"]);
    ok(&plan, 3);
    let access = plan.json()["access"].clone();
    assert_eq!(access[0]["name"], "ops", "{access}");
    assert!(
        access[0]["added"].as_array().unwrap().is_empty(),
        "{access}"
    );
    assert!(
        access[0]["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["action"] == "iam:users:deleteUserV5"),
        "{access}"
    );
    ok(&run(&server, &ops, &["apply", d]), 3);

    // removing the caller from `admin` and deleting `auditor`: refused without the flag ...
    write(&format!(
        "users:\n  - name: ops\ngroups:\n  - name: admin\n    policies: [everything]\n{everything}"
    ));
    let out = run(&server, &ops, &["apply", d]);
    ok(&out, 3);
    assert!(
        out.stderr
            .contains("removes your user `ops` from group `admin`"),
        "{out}"
    );
    assert!(out.stderr.contains("nothing was changed"), "{out}");
    let users = export_json(&server)["users"].clone();
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "auditor"),
        "{users}"
    );
    // ... and with it, the deletion is made first, the caller's own change last
    let plan = run(&server, &ops, &["plan", d, "--allow-self-change", "--json"]);
    ok(&plan, 2);
    let names: Vec<String> = plan.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["kind"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names.last().unwrap(),
        "member ops in group admin",
        "{names:?}"
    );
    let out = run(&server, &ops, &["apply", d, "--allow-self-change"]);
    ok(&out, 0);
    let e = export_json(&server);
    assert_eq!(e["users"], json!([{"name": "ops"}]), "{e}");
    assert_eq!(
        e["groups"],
        json!([{"name": "admin", "policies": ["everything"]}]),
        "{e}"
    );
}

#[test]
fn plan_shows_the_scp_ceiling_change_and_export_refuses_to_duplicate_files() {
    let work = tempfile::tempdir().unwrap();
    let server = serve(&work.path().join("data"));
    let key = server.key();
    let dir = work.path().join("c");
    let d = dir.to_str().unwrap();

    // detaching deny-training from ou:research lifts the training deny of its ceiling
    let original = export_json(&server)["scps"].clone();
    let mut scps = original.clone();
    for s in scps.as_array_mut().unwrap() {
        if s["name"] == "deny-training" {
            s["attached_to"] = json!([]);
        }
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("scps.json"),
        serde_json::to_string_pretty(&json!({ "scps": scps })).unwrap(),
    )
    .unwrap();
    let out = run(&server, &key, &["plan", d]);
    ok(&out, 2);
    assert!(
        out.stdout
            .contains("+ ceiling of ou:research: modelarts:trainJob:create"),
        "{out}"
    );
    let plan = run(&server, &key, &["plan", d, "--json"]).json();
    let ceiling = plan["ceiling"].as_array().unwrap();
    assert_eq!(ceiling.len(), 1, "{plan}");
    assert_eq!(ceiling[0]["target"], "ou:research");
    assert!(
        ceiling[0]["added"]
            .as_array()
            .unwrap()
            .contains(&json!("modelarts:trainJob:create")),
        "{plan}"
    );
    assert_eq!(ceiling[0]["removed"], json!([]));
    // attaching it back is the reverse
    ok(&run(&server, &key, &["apply", d]), 0);
    std::fs::write(
        dir.join("scps.json"),
        serde_json::to_string_pretty(&json!({ "scps": original })).unwrap(),
    )
    .unwrap();
    let out = run(&server, &key, &["plan", d]);
    ok(&out, 2);
    assert!(
        out.stdout
            .contains("- ceiling of ou:research: modelarts:trainJob:create"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    ok(&run(&server, &key, &["export", "--out", d]), 0);

    // export --format json into the YAML export: refused, nothing written
    let out = run(&server, &key, &["export", "--out", d, "--format", "json"]);
    ok(&out, 1);
    assert!(out.stderr.contains("groups.yaml"), "{out}");
    assert!(!dir.join("groups.json").exists());
    assert!(!dir.join("users.json").exists());
    ok(&run(&server, &key, &["plan", d]), 0);
    // into its own files again: allowed
    ok(&run(&server, &key, &["export", "--out", d]), 0);
    ok(&run(&server, &key, &["plan", d]), 0);
}
