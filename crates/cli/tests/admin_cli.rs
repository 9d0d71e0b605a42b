//! The admin commands (`user`, `access-key`, `group`, `policy`, `agency`, `scp`, `ou`, `account`,
//! `organization`, `authorization`, `caller-identity`), the resolution of credentials and
//! `authorize` for agency sessions, against `modelarts-iam serve --demo` started by each test on a
//! free loopback port, with its data in `<tmp>/modelarts-iam-data` (where the default key file is
//! seen from `<tmp>`, the directory the CLI runs in).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{Cli, Server, serve};
use serde_json::{Value, json};

struct World {
    dir: tempfile::TempDir,
    server: Server,
    /// The CLI in `<tmp>`, endpoint from `MODELARTS_IAM_ENDPOINT`, credentials from the default
    /// key file (the root user's).
    cli: Cli,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("modelarts-iam-data"));
    let cli = Cli::new(dir.path()).with("MODELARTS_IAM_ENDPOINT", &server.endpoint);
    World { dir, server, cli }
}

impl World {
    /// Writes `<tmp>/<name>` and returns its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn account_id(&self) -> String {
        self.cli.json(&["caller-identity"])["account_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A new access key of `user`, written by `access-key create --out` to `<tmp>/<user>.json`.
    fn key_of(&self, user: &str) -> String {
        let path = self.path(&format!("{user}.json"));
        self.cli
            .ok(&["access-key", "create", "--user", user, "--out", &path]);
        path
    }
}

/// The values of `field` in the items of `list[key]`.
fn values(list: &Value, key: &str, field: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` in {list}"))
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn assert_failed(out: &common::Out, code: i32, needles: &[&str]) {
    assert_eq!(out.code, code, "{}\n{}", out.stdout, out.stderr);
    for n in needles {
        assert!(out.stderr.contains(n), "`{n}` not in:\n{}", out.stderr);
    }
}

const GOOD: &str = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:list"], "Resource": ["*"]}]}"#;
const GOOD_V2: &str = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:list", "modelarts:notebook:get"], "Resource": ["*"]}]}"#;
/// An error (`INVALID_EFFECT`) on line 5, column 15.
const BAD: &str = "{\n  \"Version\": \"5.0\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"modelarts:notebook:list\"], \"Resource\": [\"*\"]},\n    {\"Effect\": \"Allwo\", \"Action\": [\"modelarts:notebook:list\"], \"Resource\": [\"*\"]}\n  ]\n}\n";

fn trust_account(account: &str) -> String {
    json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume"],
        "Principal": {"IAM": [account]}}]})
    .to_string()
}

#[test]
fn users_groups_access_keys_policies_and_agencies_through_their_lifecycles() {
    let w = world();
    let cli = &w.cli;

    // users: create -> list -> show -> update -> (names resolved, typos named)
    let created = cli.json(&["user", "create", "carl", "--description", "a tester"]);
    assert_eq!(created["user"]["user_name"], "carl");
    assert_eq!(created["user"]["enabled"], true);
    let carl_id = created["user"]["user_id"].as_str().unwrap().to_owned();
    assert!(values(&cli.json(&["user", "list"]), "users", "user_name").contains(&"carl".into()));
    assert!(cli.ok(&["user", "list"]).stdout.contains("a tester"));
    assert_eq!(
        cli.json(&["user", "show", "carl"])["user"]["description"],
        "a tester"
    );
    assert_eq!(
        cli.json(&["user", "show", &carl_id])["user"]["user_name"],
        "carl"
    );
    let updated = cli.json(&["user", "update", "carl", "--name", "carla", "--disable"]);
    assert_eq!(updated["user"]["user_name"], "carla");
    assert_eq!(updated["user"]["enabled"], false);
    assert_failed(
        &cli.run(&["user", "show", "carl"]),
        1,
        &["no user named `carl`; did you mean `carla`?"],
    );
    assert_failed(
        &cli.run(&["user", "update", "carla"]),
        1,
        &["nothing to change: give --name, --description, --enable or --disable"],
    );
    cli.ok(&["user", "update", "carla", "--enable"]);
    // an id that names nothing: the server's 404 and its error code, exit 1
    assert_failed(
        &cli.run(&["user", "show", "0123456789abcdef0123456789abcdef"]),
        1,
        &["HTTP 404 IAM.0004", "hint: no such entity"],
    );

    // paging: every page is followed; --limit stops early and says so
    let all = values(&cli.json(&["user", "list"]), "users", "user_name");
    assert!(all.len() >= 5, "{all:?}");
    assert_eq!(
        values(
            &cli.json(&["user", "list", "--page-size", "1"]),
            "users",
            "user_name"
        ),
        all
    );
    let two = cli.json(&["user", "list", "--limit", "2", "--page-size", "1"]);
    assert_eq!(values(&two, "users", "user_name"), all[..2]);
    assert!(two["page_info"]["next_marker"].is_string(), "{two}");
    let out = cli.ok(&["user", "list", "--limit", "2"]);
    assert!(
        out.stderr.contains("(2 shown: more follow"),
        "{}",
        out.stderr
    );

    // groups and their members
    let g = cli.json(&["group", "create", "testers", "--description", "qa"]);
    assert_eq!(g["group"]["group_name"], "testers");
    cli.ok(&["group", "add-user", "testers", "carla", "alice"]);
    assert_eq!(
        values(
            &cli.json(&["group", "members", "testers"]),
            "users",
            "user_name"
        )
        .tap_sort(),
        ["alice", "carla"]
    );
    assert_eq!(
        values(
            &cli.json(&["user", "groups", "carla"]),
            "groups",
            "group_name"
        ),
        ["testers"]
    );
    assert_eq!(
        cli.json(&["group", "update", "testers", "--description", "QA"])["group"]["description"],
        "QA"
    );
    assert_eq!(
        cli.json(&["group", "show", "testers"])["group"]["description"],
        "QA"
    );
    cli.ok(&["group", "remove-user", "testers", "alice"]);
    assert_eq!(
        values(
            &cli.json(&["group", "members", "testers"]),
            "users",
            "user_name"
        ),
        ["carla"]
    );
    assert_failed(
        &cli.run(&["group", "add-user", "testers", "alcie"]),
        1,
        &["no user named `alcie`; did you mean `alice`?"],
    );

    // policies: create -> list -> show -> versions -> attach -> detach -> delete
    let good = w.file("good.json", GOOD);
    let good2 = w.file("good2.json", GOOD_V2);
    let p = cli.json(&[
        "policy",
        "create",
        "notebook-list",
        &good,
        "--description",
        "d",
    ]);
    assert_eq!(p["policy"]["policy_name"], "notebook-list");
    assert!(
        values(
            &cli.json(&["policy", "list", "--type", "custom"]),
            "policies",
            "policy_name"
        )
        .contains(&"notebook-list".into())
    );
    let shown = cli.json(&["policy", "show", "notebook-list"]);
    assert_eq!(shown["policy"]["default_version_id"], "v1");
    assert!(
        shown["policy_version"]["document"]
            .as_str()
            .unwrap()
            .contains("notebook:list")
    );
    let table = cli.ok(&["policy", "show", "notebook-list"]).stdout;
    assert!(
        table.contains("document (v1, the default version):"),
        "{table}"
    );
    let v2 = cli.json(&[
        "policy",
        "version",
        "create",
        "notebook-list",
        &good2,
        "--set-default",
    ]);
    assert_eq!(v2["policy_version"]["version_id"], "v2");
    assert_eq!(v2["policy_version"]["is_default"], true);
    assert_eq!(
        values(
            &cli.json(&["policy", "versions", "notebook-list"]),
            "versions",
            "version_id"
        ),
        ["v2", "v1"]
    );
    cli.ok(&["policy", "set-default", "notebook-list", "v1"]);
    assert_eq!(
        cli.json(&["policy", "version", "show", "notebook-list", "v1"])["policy_version"]["is_default"],
        true
    );
    cli.ok(&["policy", "version", "delete", "notebook-list", "v2"]);
    assert_eq!(
        cli.json(&["policy", "update", "notebook-list", "--description", "e"])["policy"]["description"],
        "e"
    );
    cli.ok(&["policy", "attach", "notebook-list", "--user", "carla"]);
    cli.ok(&["policy", "attach", "notebook-list", "--group", "testers"]);
    cli.ok(&[
        "policy",
        "attach",
        "notebook-list",
        "--agency",
        "modelarts-agency",
    ]);
    let entities = cli.json(&["policy", "attached-entities", "notebook-list"]);
    assert_eq!(
        values(&entities, "policy_users", "user_id"),
        [carl_id.as_str()]
    );
    assert_eq!(entities["policy_groups"].as_array().unwrap().len(), 1);
    assert_eq!(entities["policy_agencies"].as_array().unwrap().len(), 1);
    let table = cli
        .ok(&["policy", "attached-entities", "notebook-list"])
        .stdout;
    for name in ["carla", "testers", "modelarts-agency"] {
        assert!(table.contains(name), "{table}");
    }
    assert_eq!(
        values(
            &cli.json(&["user", "policies", "carla"]),
            "attached_policies",
            "policy_name"
        ),
        ["notebook-list"]
    );
    assert_eq!(
        values(
            &cli.json(&["group", "policies", "testers"]),
            "attached_policies",
            "policy_name"
        ),
        ["notebook-list"]
    );
    // a system policy, by its name
    cli.ok(&[
        "policy",
        "attach",
        "ModelArts CommonOperations",
        "--user",
        "carla",
    ]);
    assert_eq!(
        values(
            &cli.json(&["user", "policies", "carla"]),
            "attached_policies",
            "policy_name"
        )
        .len(),
        2
    );
    cli.ok(&[
        "policy",
        "detach",
        "ModelArts CommonOperations",
        "--user",
        "carla",
    ]);
    // in use: the server's 409 with what to do
    assert_failed(
        &cli.run(&["policy", "delete", "notebook-list"]),
        1,
        &["IAM.0005", "detach or remove what uses it first"],
    );
    cli.ok(&["policy", "detach", "notebook-list", "--user", "carla"]);
    cli.ok(&["policy", "detach", "notebook-list", "--group", "testers"]);
    cli.ok(&[
        "agency",
        "detach-policy",
        "modelarts-agency",
        "notebook-list",
    ]);
    cli.ok(&["policy", "delete", "notebook-list"]);
    assert_failed(
        &cli.run(&["policy", "show", "notebook-list"]),
        1,
        &["no policy named"],
    );

    // an invalid document: exit 3, findings with line and column, nothing sent
    let bad = w.file("bad.json", BAD);
    let out = cli.run(&["policy", "create", "broken", &bad]);
    assert_failed(
        &out,
        3,
        &[
            "INVALID_EFFECT",
            "line 5, column 15",
            "nothing was sent to the server",
        ],
    );
    let out = cli.run(&["policy", "create", "broken", &bad, "--json"]);
    assert_eq!(out.code, 3);
    assert!(values(&out.json(), "findings", "issue_code").contains(&"INVALID_EFFECT".into()));
    assert!(
        !values(&cli.json(&["policy", "list"]), "policies", "policy_name")
            .contains(&"broken".into())
    );

    // access keys: the secret once, or a 0600 file; at most two; status; delete
    let key_file = w.key_of("carla");
    let key: Value = serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let (ak, sk) = (
        key["access_key_id"].as_str().unwrap().to_owned(),
        key["secret_access_key"].as_str().unwrap().to_owned(),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_failed(
        &cli.run(&[
            "access-key",
            "create",
            "--user",
            "carla",
            "--out",
            &key_file,
        ]),
        1,
        &["exists: credentials are never written over a file"],
    );
    let out = cli.ok(&["access-key", "create", "--user", "carla"]);
    assert!(out.stdout.contains("secret_access_key"), "{}", out.stdout);
    assert!(!out.stdout.contains(&sk));
    assert!(
        out.stderr.contains("the secret is shown only now"),
        "{}",
        out.stderr
    );
    assert_failed(
        &cli.run(&["access-key", "create", "--user", "carla"]),
        1,
        &["IAM.0007"],
    );
    let keys = cli.json(&["access-key", "list", "--user", "carla"]);
    let ids = values(&keys, "access_keys", "access_key_id");
    assert_eq!(ids.len(), 2);
    let other = ids.iter().find(|k| **k != ak).unwrap().clone();
    assert_eq!(
        cli.json(&["caller-identity", "--key-file", &key_file])["principal_urn"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next(),
        Some("carla")
    );
    // the owner is found from the key when --user is left out
    assert_eq!(
        cli.json(&["access-key", "update", &ak, "--status", "inactive"])["access_key"]["status"],
        "inactive"
    );
    assert_failed(
        &cli.run(&["caller-identity", "--key-file", &key_file]),
        1,
        &[
            "HTTP 401 APIGW.0301",
            "hint: the server does not accept these credentials",
        ],
    );
    cli.ok(&[
        "access-key",
        "update",
        &ak,
        "--status",
        "active",
        "--user",
        "carla",
    ]);
    cli.ok(&["access-key", "delete", &other]);
    assert_eq!(
        values(
            &cli.json(&["access-key", "list", "--user", "carla"]),
            "access_keys",
            "access_key_id"
        ),
        [ak.as_str()]
    );
    // the caller's own keys when --user is left out (the root user's: the default key file)
    let root_key: Value =
        serde_json::from_str(&std::fs::read_to_string(w.server.root_key()).unwrap()).unwrap();
    assert!(
        values(
            &cli.json(&["access-key", "list"]),
            "access_keys",
            "access_key_id"
        )
        .contains(&root_key["access_key_id"].as_str().unwrap().to_owned())
    );

    // agencies: create -> list -> show -> update -> trust policy -> policies -> delete
    let account = w.account_id();
    let trust = w.file("trust.json", &trust_account(&account));
    let a = cli.json(&[
        "agency",
        "create",
        "deploy",
        "--trust-policy",
        &trust,
        "--description",
        "d",
    ]);
    assert_eq!(a["agency"]["agency_name"], "deploy");
    assert!(
        values(&cli.json(&["agency", "list"]), "agencies", "agency_name")
            .contains(&"deploy".into())
    );
    assert!(
        cli.json(&["agency", "show", "deploy"])["agency"]["trust_policy"]
            .as_str()
            .unwrap()
            .contains(&account)
    );
    assert_eq!(
        cli.json(&[
            "agency",
            "update",
            "deploy",
            "--max-session-duration",
            "7200"
        ])["agency"]["max_session_duration"],
        7200
    );
    let shown: Value =
        serde_json::from_str(&cli.ok(&["agency", "trust-policy", "show", "deploy"]).stdout)
            .unwrap();
    assert_eq!(shown["Statement"][0]["Action"][0], "sts:agencies:assume");
    let trust_other = w.file("trust2.json", &trust_account("999999999999"));
    cli.ok(&["agency", "trust-policy", "set", "deploy", &trust_other]);
    assert!(
        cli.ok(&["agency", "trust-policy", "show", "deploy"])
            .stdout
            .contains("999999999999")
    );
    // an identity policy is no trust policy: refused locally
    assert_failed(
        &cli.run(&["agency", "trust-policy", "set", "deploy", &good]),
        3,
        &["the trust policy document is not valid", "nothing was sent"],
    );
    cli.ok(&["policy", "create", "agency-policy", &good]);
    cli.ok(&["agency", "attach-policy", "deploy", "agency-policy"]);
    assert_eq!(
        values(
            &cli.json(&["agency", "policies", "deploy"]),
            "attached_policies",
            "policy_name"
        ),
        ["agency-policy"]
    );
    cli.ok(&["agency", "detach-policy", "deploy", "agency-policy"]);
    cli.ok(&["agency", "delete", "deploy"]);
    assert_failed(
        &cli.run(&["agency", "show", "modelarts-agnecy"]),
        1,
        &["no agency named `modelarts-agnecy`; did you mean `modelarts-agency`?"],
    );

    cli.ok(&["group", "delete", "testers"]);
    cli.ok(&["user", "delete", "carla"]);
    assert!(!values(&cli.json(&["user", "list"]), "users", "user_name").contains(&"carla".into()));
}

trait TapSort {
    fn tap_sort(self) -> Self;
}

impl TapSort for Vec<String> {
    fn tap_sort(mut self) -> Self {
        self.sort();
        self
    }
}

#[test]
fn organizations_scps_ous_and_accounts_through_their_lifecycles() {
    let w = world();
    let cli = &w.cli;

    let org = cli.json(&["organization", "show"]);
    assert!(
        org["organization"]["id"]
            .as_str()
            .unwrap()
            .starts_with("o-")
    );
    assert_eq!(org["roots"][0]["name"], "Root");
    assert!(
        cli.ok(&["organization", "show"])
            .stdout
            .contains("service_control_policy")
    );

    // OUs: by name, by path, under a parent
    let ou = cli.json(&["ou", "create", "lab", "--parent", "research"]);
    assert_eq!(ou["organizational_unit"]["name"], "lab");
    let lab_id = ou["organizational_unit"]["id"].as_str().unwrap().to_owned();
    let tree = cli.json(&["ou", "list"]);
    assert_eq!(
        values(&tree, "organizational_units", "path"),
        ["Root/research", "Root/research/lab"]
    );
    assert_eq!(
        values(
            &cli.json(&["ou", "list", "--parent", "research"]),
            "organizational_units",
            "id"
        ),
        [lab_id.as_str()]
    );
    assert_eq!(
        cli.json(&["ou", "show", "Root/research/lab"])["organizational_unit"]["id"],
        lab_id.as_str()
    );
    assert_failed(
        &cli.run(&["ou", "create", "x", "--parent", "reserch"]),
        1,
        &["no root or OU named `reserch`; did you mean `research`?"],
    );

    // accounts: create -> list -> show -> move (the source parent found by walking the tree)
    let created = cli.json(&["account", "create", "acct-x"]);
    assert_eq!(created["create_account_status"]["account_name"], "acct-x");
    assert!(values(&cli.json(&["account", "list"]), "accounts", "name").contains(&"acct-x".into()));
    assert_eq!(
        cli.json(&["account", "show", "acct-x"])["account"]["name"],
        "acct-x"
    );
    cli.ok(&["account", "move", "acct-x", "--to", "lab"]);
    assert_eq!(
        values(
            &cli.json(&["account", "list", "--parent", "lab"]),
            "accounts",
            "name"
        ),
        ["acct-x"]
    );
    cli.ok(&[
        "account",
        "move",
        "acct-x",
        "--to",
        "root",
        "--from",
        "Root/research/lab",
    ]);
    assert!(
        cli.json(&["account", "list", "--parent", "lab"])["accounts"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // SCPs: create -> list -> show -> update -> attach -> detach -> delete
    let deny = w.file(
        "scp.json",
        r#"{"Version": "5.0", "Statement": [{"Effect": "Deny", "Action": ["modelarts:notebook:delete"], "Resource": ["*"]}]}"#,
    );
    let deny2 = w.file(
        "scp2.json",
        r#"{"Version": "5.0", "Statement": [{"Effect": "Deny", "Action": ["modelarts:notebook:delete", "modelarts:notebook:stop"], "Resource": ["*"]}]}"#,
    );
    let scp = cli.json(&["scp", "create", "no-delete", &deny, "--description", "d"]);
    assert_eq!(scp["policy"]["policy_summary"]["name"], "no-delete");
    let listed = cli.json(&["scp", "list"]);
    assert!(values(&listed, "policies", "name").contains(&"no-delete".into()));
    assert!(
        values(&listed, "policies", "type")
            .iter()
            .all(|t| t == "service_control_policy")
    );
    let first = cli.json(&["scp", "list", "--limit", "1"]);
    assert_eq!(first["policies"].as_array().unwrap().len(), 1);
    assert!(first["page_info"]["next_marker"].is_string(), "{first}");
    assert!(
        cli.json(&["scp", "show", "no-delete"])["policy"]["content"]
            .as_str()
            .unwrap()
            .contains("notebook:delete")
    );
    let updated = cli.json(&[
        "scp",
        "update",
        "no-delete",
        "--description",
        "e",
        "--content",
        &deny2,
    ]);
    assert_eq!(updated["policy"]["policy_summary"]["description"], "e");
    assert!(
        updated["policy"]["content"]
            .as_str()
            .unwrap()
            .contains("notebook:stop")
    );
    cli.ok(&["scp", "attach", "no-delete", "lab", "acct-x"]);
    let attached = cli.json(&["scp", "attached-entities", "no-delete"]);
    assert_eq!(
        values(&attached, "attached_entities", "name").tap_sort(),
        ["acct-x", "lab"]
    );
    assert!(
        values(
            &cli.json(&["scp", "list", "--attached-to", "acct-x"]),
            "policies",
            "name"
        )
        .contains(&"no-delete".into())
    );
    assert_failed(
        &cli.run(&["scp", "attach", "no-delete", "acct-y"]),
        1,
        &["no root, OU or account named `acct-y`; did you mean `acct-x`?"],
    );
    cli.ok(&["scp", "detach", "no-delete", "lab", "acct-x"]);
    let bad = w.file("bad.json", BAD);
    assert_failed(
        &cli.run(&["scp", "update", "no-delete", "--content", &bad]),
        3,
        &[
            "line 5, column 15",
            "the service control policy document is not valid",
        ],
    );
    cli.ok(&["scp", "delete", "no-delete"]);
    assert!(!values(&cli.json(&["scp", "list"]), "policies", "name").contains(&"no-delete".into()));

    // the SCP type on the root
    let root = cli.json(&["scp", "disable"]);
    assert_eq!(root["root"]["policy_types"][0]["status"], "disabled");
    let root = cli.json(&["scp", "enable"]);
    assert_eq!(root["root"]["policy_types"][0]["status"], "enabled");

    cli.ok(&["ou", "rename", "lab", "lab2"]);
    cli.ok(&["ou", "delete", "lab2"]);
    assert_failed(
        &cli.run(&["ou", "show", "lab2"]),
        1,
        &["no ou named `lab2`"],
    );
}

#[test]
fn modelarts_authorizations_in_the_connections_project() {
    let w = world();
    let cli = &w.cli;
    let created = cli.json(&[
        "authorization",
        "create",
        "--user",
        "alice",
        "--agency",
        "modelarts-agency",
    ]);
    assert_eq!(created["content"], "modelarts-agency");
    assert_eq!(created["user_type"], "iam");
    cli.ok(&[
        "authorization",
        "create",
        "--user",
        "all",
        "--agency",
        "modelarts-agency",
    ]);
    let all = cli.json(&["authorization", "list"]);
    assert_eq!(all["total_count"], 2);
    assert_eq!(
        values(&all, "auth", "user_name").tap_sort(),
        ["alice", "all-users"]
    );
    let one = cli.json(&["authorization", "list", "--limit", "1"]);
    assert_eq!(one["auth"].as_array().unwrap().len(), 1);
    assert_eq!(
        cli.json(&["authorization", "list", "--page-size", "1"])["auth"],
        all["auth"]
    );
    let table = cli.ok(&["authorization", "list"]).stdout;
    assert!(
        table.contains("alice") && table.contains("modelarts-agency"),
        "{table}"
    );
    cli.ok(&["authorization", "delete", "--user", "alice"]);
    assert_eq!(
        values(&cli.json(&["authorization", "list"]), "auth", "user_id"),
        ["all"]
    );
    assert_eq!(
        cli.json(&["authorization", "delete", "--user", "all"])["user_id"],
        "all"
    );
    assert_eq!(cli.json(&["authorization", "list"])["total_count"], 0);

    // the project comes from the connection: a key file without one needs --project
    let root: Value =
        serde_json::from_str(&std::fs::read_to_string(w.server.root_key()).unwrap()).unwrap();
    let project = root["project_id"].as_str().unwrap().to_owned();
    let bare = w.file(
        "bare.json",
        &json!({"access_key_id": root["access_key_id"], "secret_access_key": root["secret_access_key"]})
            .to_string(),
    );
    assert_failed(
        &cli.run(&["authorization", "list", "--key-file", &bare]),
        1,
        &["no project id: pass --project", "key file"],
    );
    cli.ok(&[
        "authorization",
        "list",
        "--key-file",
        &bare,
        "--project",
        &project,
    ]);
    // only the tenant administrator
    let alice = w.key_of("alice");
    assert_failed(
        &cli.run(&["authorization", "list", "--key-file", &alice]),
        1,
        &["HTTP 403 IAM.0003", "iam:authorizations:list"],
    );
}

#[test]
fn credentials_are_resolved_in_the_documented_order_and_refusals_say_what_to_do() {
    let w = world();
    let root = w.server.root_key().display().to_string();
    let alice = w.key_of("alice");
    let bob = w.key_of("bob");
    let secret = |file: &str| -> (String, String) {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        (
            v["access_key_id"].as_str().unwrap().to_owned(),
            v["secret_access_key"].as_str().unwrap().to_owned(),
        )
    };
    let (bob_ak, bob_sk) = secret(&bob);
    let who = |cli: &Cli, args: &[&str]| -> String {
        let mut all = vec!["caller-identity"];
        all.extend_from_slice(args);
        let urn = cli.json(&all)["principal_urn"].as_str().unwrap().to_owned();
        urn.rsplit(':').next().unwrap().to_owned()
    };
    let cli = &w.cli;
    // the root user's key file in ./modelarts-iam-data, when nothing else gives credentials
    assert_eq!(who(cli, &[]), "admin");
    // the default profile beats the default key file
    cli.ok(&["configure", "--from-key-file", &alice]);
    assert_eq!(who(cli, &[]), "alice");
    // the environment beats the default profile
    let env = cli
        .with("HUAWEICLOUD_SDK_AK", &bob_ak)
        .with("HUAWEICLOUD_SDK_SK", &bob_sk);
    assert_eq!(who(&env, &[]), "bob");
    // ... and the profile MODELARTS_IAM_PROFILE names
    cli.ok(&["configure", "--profile", "root", "--from-key-file", &root]);
    assert_eq!(who(&env.with("MODELARTS_IAM_PROFILE", "root"), &[]), "bob");
    assert_eq!(
        who(&cli.with("MODELARTS_IAM_PROFILE", "root"), &[]),
        "admin"
    );
    // --profile beats the environment; --key-file beats --profile
    assert_eq!(who(&env, &["--profile", "default"]), "alice");
    assert_eq!(
        who(&env, &["--profile", "default", "--key-file", &root]),
        "admin"
    );
    // a profile that is not there: which file, which profiles it has, how to make it
    for out in [
        cli.run(&["caller-identity", "--profile", "nope"]),
        cli.with("MODELARTS_IAM_PROFILE", "nope")
            .run(&["caller-identity"]),
    ] {
        assert_failed(
            &out,
            1,
            &[
                "profile `nope` is not in",
                "profiles.toml (it has: default, root)",
                "modelarts-iam configure --profile nope",
            ],
        );
    }
    assert_failed(
        &cli.with("HUAWEICLOUD_SDK_AK", &bob_ak)
            .run(&["caller-identity"]),
        1,
        &["only one of HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK is set"],
    );
    // endpoint: --endpoint, then MODELARTS_IAM_ENDPOINT, then the profile's
    let dead = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    };
    let no_endpoint = Cli::new(w.dir.path());
    cli.ok(&[
        "configure",
        "--profile",
        "far",
        "--from-key-file",
        &bob,
        "--endpoint",
        &w.server.endpoint,
    ]);
    assert_eq!(who(&no_endpoint, &["--profile", "far"]), "bob");
    assert_failed(
        &no_endpoint.run(&["caller-identity", "--profile", "far", "--endpoint", &dead]),
        1,
        &[&format!("calling {dead}"), "connection: "],
    );
    cli.ok(&["configure", "--endpoint", &dead]);
    assert_eq!(who(cli, &[]), "alice");
    assert_failed(&no_endpoint.run(&["caller-identity"]), 1, &["connection: "]);
    // the default profile's endpoint is not combined with a key file (which then goes to the
    // built-in default endpoint, whatever listens there)
    let out = no_endpoint.run(&["caller-identity", "--key-file", &bob]);
    assert!(!out.stderr.contains(&dead), "{}", out.stderr);
    // the connection flags are global: before or after the subcommand
    assert!(
        !cli.json(&["user", "--key-file", &root, "list"])["users"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !cli.json(&["user", "list", "--key-file", &root])["users"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // a broken profile file does not stand in the way of --key-file
    std::fs::write(w.dir.path().join("profiles.toml"), "not [toml").unwrap();
    assert_eq!(who(cli, &["--key-file", &bob]), "bob");
    assert_failed(
        &cli.run(&["caller-identity"]),
        1,
        &["profiles.toml is not valid"],
    );

    // a refused call: the status, Huawei's error code and text, whose credentials, what to do
    let out = cli.run(&["user", "list", "--key-file", &alice]);
    assert_failed(
        &out,
        1,
        &[
            "credentials from key file",
            "HTTP 403 IAM.0003",
            "is not authorized to perform action iam:users:listUsersV5",
            "hint: the caller is not allowed this call: ask an administrator to allow the action",
            "modelarts-iam caller-identity",
        ],
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn temporary_credentials_sign_with_their_token_and_authorize_decides_for_the_session() {
    let w = world();
    let cli = &w.cli;
    let account = w.account_id();
    let trust = w.file("trust.json", &trust_account(&account));
    let allow = w.file(
        "ops.json",
        r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:decisions:authorize", "modelarts:notebook:create"], "Resource": ["*"]}]}"#,
    );
    cli.ok(&["agency", "create", "ops", "--trust-policy", &trust]);
    cli.ok(&["policy", "create", "ops-policy", &allow]);
    cli.ok(&["agency", "attach-policy", "ops", "ops-policy"]);

    // STS: temporary credentials to a 0600 file, the secret and token not printed
    let session_file = w.path("session.json");
    let out = cli.ok(&[
        "agency",
        "assume",
        "ops",
        "--session-name",
        "s1",
        "--out",
        &session_file,
    ]);
    let session: Value =
        serde_json::from_str(&std::fs::read_to_string(&session_file).unwrap()).unwrap();
    let token = session["security_token"].as_str().unwrap();
    assert!(!token.is_empty());
    assert!(
        !out.stdout.contains(token)
            && !out
                .stdout
                .contains(session["secret_access_key"].as_str().unwrap())
    );
    let session_urn = format!("sts::{account}:assumed-agency:ops/s1");
    assert_eq!(session["session_urn"], session_urn.as_str());
    let session_ak = session["access_key_id"].as_str().unwrap().to_owned();

    // a profile with the security token signs as the session
    cli.ok(&[
        "configure",
        "--profile",
        "sess",
        "--from-key-file",
        &session_file,
    ]);
    assert_eq!(
        cli.json(&["configure", "--list"])["sess"]["security_token"],
        "****"
    );
    assert_eq!(
        cli.json(&["caller-identity", "--profile", "sess"])["principal_urn"],
        session_urn.as_str()
    );
    // ... and so does the environment with HUAWEICLOUD_SDK_SECURITY_TOKEN
    let env = cli
        .with("HUAWEICLOUD_SDK_AK", &session_ak)
        .with(
            "HUAWEICLOUD_SDK_SK",
            session["secret_access_key"].as_str().unwrap(),
        )
        .with("HUAWEICLOUD_SDK_SECURITY_TOKEN", token);
    assert_eq!(
        env.json(&["caller-identity"])["principal_urn"],
        session_urn.as_str()
    );
    // the token is what makes them valid: the same key without it is refused (401)
    let no_token = w.file(
        "no-token.json",
        &json!({"access_key_id": session_ak, "secret_access_key": session["secret_access_key"]})
            .to_string(),
    );
    assert_failed(
        &cli.run(&["caller-identity", "--key-file", &no_token]),
        1,
        &["HTTP 401 APIGW.0301"],
    );
    let out = cli.run(&[
        "authorize",
        "--key-file",
        &no_token,
        "--action",
        "modelarts:notebook:create",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["error_code"], "APIGW.0301");
    assert!(out.stderr.contains("HTTP 401 APIGW.0301"), "{}", out.stderr);

    // authorize without a principal: the caller itself, here the session, with its permissions
    let authorize = |cli: &Cli, args: &[&str]| {
        let mut all = vec!["authorize", "--json"];
        all.extend_from_slice(args);
        cli.run(&all)
    };
    let out = authorize(
        cli,
        &["--profile", "sess", "--action", "modelarts:notebook:create"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["principal"], session_urn.as_str());
    let out = authorize(
        cli,
        &["--profile", "sess", "--action", "modelarts:notebook:delete"],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["decision"], "implicit_deny");
    // its own session URN as --principal
    let out = authorize(
        cli,
        &[
            "--profile",
            "sess",
            "--principal",
            &session_urn,
            "--action",
            "modelarts:notebook:create",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // another session's URN: the server knows sessions by their credentials
    let other = format!("sts::{account}:assumed-agency:ops/s2");
    assert_failed(
        &authorize(
            cli,
            &[
                "--profile",
                "sess",
                "--principal",
                &other,
                "--action",
                "modelarts:notebook:create",
            ],
        ),
        1,
        &["is not the caller's own session: pass --access-key-id"],
    );
    // the root user asks about the session by its access key id
    let out = authorize(
        cli,
        &[
            "--access-key-id",
            &session_ak,
            "--action",
            "modelarts:notebook:create",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["principal"], session_urn.as_str());
    let out = authorize(
        cli,
        &[
            "--access-key-id",
            &session_ak,
            "--action",
            "modelarts:trainJob:create",
        ],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    // ... and about itself without a principal
    let out = authorize(cli, &["--action", "modelarts:trainJob:create"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.json()["principal"]
            .as_str()
            .unwrap()
            .ends_with(":user:admin")
    );
    // the session may not administer IAM: refused with the error code and what to do
    assert_failed(
        &cli.run(&["user", "list", "--profile", "sess"]),
        1,
        &[
            "credentials from profile `sess`",
            "HTTP 403 IAM.0003",
            "hint: the caller is not allowed",
        ],
    );
}

#[test]
fn secrets_are_never_lost_or_shown_and_profile_files_are_repaired_in_place() {
    let w = world();
    let cli = &w.cli;
    let root = w.server.root_key().display().to_string();
    let alice = w.key_of("alice");
    let count = || {
        values(
            &cli.json(&["access-key", "list", "--user", "alice"]),
            "access_keys",
            "access_key_id",
        )
        .len()
    };
    let before = count();

    // --out that cannot be written: refused before the key is created, nothing lost
    w.file("not-a-dir", "");
    let unwritable = w.path("not-a-dir/alice.json");
    for args in [
        vec![
            "access-key",
            "create",
            "--user",
            "alice",
            "--out",
            &unwritable,
        ],
        vec!["agency", "assume", "modelarts-agency", "--out", &unwritable],
    ] {
        let out = cli.run(&args);
        assert_failed(&out, 1, &["nothing was created on the server"]);
        assert!(!out.stdout.contains("secret"), "{}", out.stdout);
    }
    assert_eq!(count(), before);
    assert!(
        std::fs::read_dir(w.dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp-")),
        "a temporary file was left behind"
    );

    // configure --list shows nothing of the secrets
    cli.ok(&["configure", "--profile", "alice", "--from-key-file", &alice]);
    let sk: Value = serde_json::from_str(&std::fs::read_to_string(&alice).unwrap()).unwrap();
    let sk = sk["secret_access_key"].as_str().unwrap();
    let listed = cli.ok(&["configure", "--list", "--json"]);
    assert_eq!(listed.json()["alice"]["secret_access_key"], "****");
    assert!(!listed.stdout.contains(&sk[..4]), "{}", listed.stdout);

    // a broken profile file: where and what, never its text; configure replaces it, keeping it
    let profiles = w.dir.path().join("profiles.toml");
    for broken in [
        "[default]\naccess_key_id = \"AK\"\nsecret_access_key = TOPSECRET123\n",
        "[default]\naccess_key_id = \"AK\"\nsecret_access_key = 12345678901\n",
        "[default]\naccess_key_id = \"AK\"\nTOPSECRET123 = \"x\"\n",
    ] {
        std::fs::write(&profiles, broken).unwrap();
        let out = cli.run(&["caller-identity"]);
        assert_failed(&out, 1, &["profiles.toml is not valid: line 3, column"]);
        assert!(
            !out.stderr.contains("TOPSECRET123") && !out.stderr.contains("12345678901"),
            "{}",
            out.stderr
        );
    }
    let out = cli.ok(&["configure", "--from-key-file", &alice]);
    assert!(
        out.stderr.contains("was not valid: kept as"),
        "{}",
        out.stderr
    );
    let backup = std::fs::read_dir(w.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("profiles.toml.invalid-"))
        .unwrap();
    assert!(
        std::fs::read_to_string(&backup)
            .unwrap()
            .contains("TOPSECRET123")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let who = cli.json(&["caller-identity"]);
    assert!(who["principal_urn"].as_str().unwrap().ends_with(":alice"));

    // a symlinked profile file stays a link: its target is written
    #[cfg(unix)]
    {
        let real = w.dir.path().join("dotfiles/profiles.toml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::rename(&profiles, &real).unwrap();
        std::os::unix::fs::symlink(&real, &profiles).unwrap();
        cli.ok(&["configure", "--profile", "root", "--from-key-file", &root]);
        assert!(
            std::fs::symlink_metadata(&profiles)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(std::fs::read_to_string(&real).unwrap().contains("[root]"));
        // and an invalid linked file is backed up beside its target
        std::fs::write(&real, "not [toml").unwrap();
        cli.ok(&["configure", "--profile", "root", "--from-key-file", &root]);
        assert!(
            std::fs::symlink_metadata(&profiles)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(std::fs::read_to_string(&real).unwrap().contains("[root]"));
    }

    // the root user cannot be deleted: the 409 says so, not "the name is taken"
    let out = cli.run(&["user", "delete", "admin"]);
    assert_failed(
        &out,
        1,
        &["HTTP 409", "hint: the account's root user is permanent"],
    );
    assert!(!out.stderr.contains("the name is taken"), "{}", out.stderr);
}

#[test]
fn log_asks_the_server_with_the_resolved_connection() {
    let w = world();
    let cli = &w.cli;
    let root = w.server.root_key().display().to_string();
    cli.ok(&["configure", "--profile", "root", "--from-key-file", &root]);
    // a profile (endpoint from MODELARTS_IAM_ENDPOINT): the server's log, not the data directory
    let out = cli.ok(&["log", "--profile", "root", "--json"]);
    assert!(out.json().is_array(), "{}", out.stdout);
    // the SDK variables with --endpoint
    let (ak, sk) = {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&root).unwrap()).unwrap();
        (
            v["access_key_id"].as_str().unwrap().to_owned(),
            v["secret_access_key"].as_str().unwrap().to_owned(),
        )
    };
    let env = cli
        .with("HUAWEICLOUD_SDK_AK", &ak)
        .with("HUAWEICLOUD_SDK_SK", &sk);
    assert!(
        env.json(&["log", "--endpoint", &w.server.endpoint])
            .is_array()
    );
    // the server filters by the caller's account only
    assert_failed(
        &cli.run(&["log", "--profile", "root", "--account", "123"]),
        1,
        &["--account is for the data directory"],
    );
    // a typo of an action: the closest one
    assert_failed(
        &cli.run(&[
            "log",
            "--profile",
            "root",
            "--action",
            "modelarts:notebook:craete",
        ]),
        1,
        &[
            "unknown action `modelarts:notebook:craete`",
            "did you mean `modelarts:notebook:create`?",
        ],
    );
    // refused credentials name their source
    assert_failed(
        &cli.run(&[
            "log",
            "--profile",
            "root",
            "--key-file",
            "/nonexistent/key.json",
        ]),
        1,
        &["key file"],
    );
}
