//! Bad input at every endpoint, the OpenAPI document against the routes in the source, the
//! refusal of every API for a caller without policies, `/v1/simulate`, the demo organization and
//! organization rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{TestApp, assert_huawei_error};
use proptest::prelude::*;
use serde_json::{Value, json};

const NOTEBOOKS: &str =
    r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:*"]}]}"#;
const TRUST: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]}]}"#;
const DENY_TRAINING: &str =
    r#"{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["modelarts:trainJob:*"]}]}"#;

/// Every entity kind exists once, so each path parameter has a real id.
struct World {
    app: TestApp,
    ids: HashMap<&'static str, String>,
}

async fn ok(app: &TestApp, method: &str, path: &str, body: Value) -> Value {
    let a = app.root(method, path, body).await;
    assert!(a.status.is_success(), "{method} {path}: {}", a.body);
    a.body
}

async fn world() -> World {
    let app = TestApp::new().await;
    let (uid, _, key) = app.user_with_key("w-user").await;
    let pid = app
        .grant(&uid, "w-policy", serde_json::from_str(NOTEBOOKS).unwrap())
        .await;
    let g = ok(&app, "POST", "/v5/groups", json!({"group_name": "w-group"})).await;
    let a = ok(
        &app,
        "POST",
        "/v5/agencies",
        json!({"agency_name": "w-agency", "trust_policy": TRUST}),
    )
    .await;
    ok(&app, "POST", "/v1/organizations", Value::Null).await;
    let roots = ok(&app, "GET", "/v1/organizations/roots", Value::Null).await;
    let root = roots["roots"][0]["id"].as_str().unwrap().to_owned();
    ok(
        &app,
        "POST",
        "/v1/organizations/policies/enable",
        json!({"policy_type": "service_control_policy", "root_id": root}),
    )
    .await;
    let ou = ok(
        &app,
        "POST",
        "/v1/organizations/organizational-units",
        json!({"name": "w-ou", "parent_id": root}),
    )
    .await;
    let scp = ok(
        &app,
        "POST",
        "/v1/organizations/policies",
        json!({"name": "w-scp", "type": "service_control_policy", "content": DENY_TRAINING, "description": ""}),
    )
    .await;
    let member = ok(
        &app,
        "POST",
        "/v1/organizations/accounts",
        json!({"name": "w-member"}),
    )
    .await;
    let ep = ok(
        &app,
        "POST",
        "/v1.0/enterprise-projects",
        json!({"name": "w-ep"}),
    )
    .await;
    let ws = ok(
        &app,
        "POST",
        &format!("/v1/{}/workspaces", app.project_id),
        json!({"name": "w-workspace"}),
    )
    .await;
    let mut ids = HashMap::new();
    ids.insert(
        "enterprise_project_id",
        ep["enterprise_project"]["id"].as_str().unwrap().to_owned(),
    );
    ids.insert("workspace_id", ws["id"].as_str().unwrap().to_owned());
    ids.insert("project_id", app.project_id.clone());
    ids.insert("user_id", uid);
    ids.insert("access_key_id", key.ak);
    ids.insert("policy_id", pid);
    ids.insert("version_id", "v1".to_owned());
    // the web console's asset
    ids.insert("file", "app.js".to_owned());
    ids.insert(
        "group_id",
        g["group"]["group_id"].as_str().unwrap().to_owned(),
    );
    ids.insert(
        "agency_id",
        a["agency"]["agency_id"].as_str().unwrap().to_owned(),
    );
    ids.insert("root_id", root);
    ids.insert(
        "organizational_unit_id",
        ou["organizational_unit"]["id"].as_str().unwrap().to_owned(),
    );
    ids.insert(
        "scp_id",
        scp["policy"]["policy_summary"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    ids.insert(
        "account_id",
        member["create_account_status"]["account_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    World { app, ids }
}

impl World {
    /// The concrete path of a template (Organizations' `{policy_id}` is the SCP).
    fn path(&self, template: &str) -> String {
        let org = template.starts_with("/v1/organizations");
        template
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some("policy_id") if org => self.ids["scp_id"].clone(),
                    Some(p) => self
                        .ids
                        .get(p)
                        .cloned()
                        .unwrap_or_else(|| panic!("no id for {p}")),
                    None => s.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The concrete path with `param` replaced by `value`.
    fn path_with(&self, template: &str, param: &str, value: &str) -> String {
        let concrete = self.path(template);
        template
            .split('/')
            .zip(concrete.split('/'))
            .map(|(t, c)| if t == param { value } else { c })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A valid body for the endpoints that take one (ids of this world).
    fn valid_body(&self, method: &str, template: &str) -> Option<Value> {
        let id = |k: &str| Value::String(self.ids[k].clone());
        let b = match (method, template) {
            ("POST", "/v1/authorize") => {
                json!({"principal": format!("iam::{}:user:w-user", self.app.account_id), "action": "modelarts:notebook:create", "resource": "*"})
            }
            ("POST", "/v1/simulate") => {
                json!({"identity_policies": [NOTEBOOKS], "request": {"action": "modelarts:notebook:create"}})
            }
            ("POST", "/v5/policies") => {
                json!({"policy_name": "fresh", "policy_document": NOTEBOOKS, "description": "d"})
            }
            ("PUT", "/v5/policies/{policy_id}") => json!({"description": "d2"}),
            ("POST", "/v5/policies/{policy_id}/versions") => {
                json!({"policy_document": NOTEBOOKS, "set_as_default": false})
            }
            ("POST", p) if p.ends_with("-user") => json!({"user_id": id("user_id")}),
            ("POST", p) if p.ends_with("-group") => json!({"group_id": id("group_id")}),
            ("POST", p) if p.ends_with("-agency") => json!({"agency_id": id("agency_id")}),
            ("POST", "/v5/users") => json!({"name": "fresh", "enabled": true, "description": ""}),
            ("PUT", "/v5/users/{user_id}") => {
                json!({"new_user_name": "w-user2", "new_description": "d", "enabled": true})
            }
            ("PUT", "/v5/users/{user_id}/access-keys/{access_key_id}") => {
                json!({"status": "inactive"})
            }
            ("POST", "/v5/groups") => json!({"group_name": "fresh", "description": ""}),
            ("PUT", "/v5/groups/{group_id}") => {
                json!({"new_group_name": "w-group2", "new_group_description": "d"})
            }
            ("POST", "/v5/agencies") => {
                json!({"agency_name": "fresh", "trust_policy": TRUST, "max_session_duration": 3600, "description": ""})
            }
            ("PUT", "/v5/agencies/{agency_id}") => {
                json!({"max_session_duration": 7200, "description": "d"})
            }
            ("PUT", "/v5/agencies/{agency_id}/trust-policy") => json!({"trust_policy": TRUST}),
            ("POST", "/v5/policies/check-no-new-access") => {
                json!({"existing_policy_document": NOTEBOOKS, "new_policy_document": NOTEBOOKS, "policy_type": "identity_policy"})
            }
            ("POST", "/v5/policies/validate") => {
                json!({"policy_document": NOTEBOOKS, "policy_type": "identity_policy"})
            }
            (
                "POST",
                "/v1/organizations/policies/enable" | "/v1/organizations/policies/disable",
            ) => {
                json!({"policy_type": "service_control_policy", "root_id": id("root_id")})
            }
            ("POST", "/v1/organizations/policies") => {
                json!({"name": "fresh", "type": "service_control_policy", "content": DENY_TRAINING, "description": ""})
            }
            ("PATCH", "/v1/organizations/policies/{policy_id}") => {
                json!({"name": "w-scp2", "description": "d", "content": DENY_TRAINING})
            }
            (
                "POST",
                "/v1/organizations/policies/{policy_id}/attach"
                | "/v1/organizations/policies/{policy_id}/detach",
            ) => {
                json!({"entity_id": id("organizational_unit_id")})
            }
            ("POST", "/v1/organizations/organizational-units") => {
                json!({"name": "fresh", "parent_id": id("root_id")})
            }
            ("PATCH", "/v1/organizations/organizational-units/{organizational_unit_id}") => {
                json!({"name": "w-ou2"})
            }
            ("POST", "/v1/organizations/accounts") => json!({"name": "fresh"}),
            ("POST", "/v1.0/enterprise-projects") => {
                json!({"name": "fresh-ep", "description": "d", "type": "prod"})
            }
            ("PUT", "/v1.0/enterprise-projects/{enterprise_project_id}") => {
                json!({"name": "w-ep2", "description": "d"})
            }
            ("POST", "/v1.0/enterprise-projects/{enterprise_project_id}/action") => {
                json!({"action": "disable"})
            }
            ("POST", "/v1/{project_id}/workspaces") => {
                json!({"name": "fresh-ws", "description": "d", "auth_type": "PUBLIC", "enterprise_project_id": "0"})
            }
            ("PUT", "/v1/{project_id}/workspaces/{workspace_id}") => {
                json!({"name": "w-workspace2", "description": "d"})
            }
            ("PUT", "/v1/{project_id}/workspaces/{workspace_id}/quotas") => {
                json!({"quotas": [{"resource": "notebook", "quota": 5}]})
            }
            ("POST", "/v5/users/{user_id}/login-profile") => {
                json!({"password": "W-Password-123", "password_reset_required": false})
            }
            ("PUT", "/v5/users/{user_id}/login-profile") => {
                json!({"password_reset_required": true})
            }
            ("POST", "/v5/caller-password") => {
                json!({"old_password": "W-Password-123", "new_password": "W-Password-456"})
            }
            ("PUT", "/v5/password-policy") => json!({"minimum_password_length": 10}),
            ("PUT", "/v5/login-policy") => json!({"session_timeout": 30}),
            ("POST", "/v5/virtual-mfa-devices") => {
                json!({"virtual_mfa_device_name": "w-mfa", "user_id": id("user_id")})
            }
            ("POST", "/v5/mfa-devices/enable") => {
                json!({"user_id": id("user_id"), "serial_number": "iam:x:mfa/w-mfa", "authentication_code_first": "123456", "authentication_code_second": "654321"})
            }
            ("POST", "/v5/mfa-devices/disable") => {
                json!({"user_id": id("user_id"), "serial_number": "iam:x:mfa/w-mfa"})
            }
            ("POST", "/v3/auth/tokens") => {
                json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "w-user", "password": "W-Password-123", "domain": {"name": "admin"}}}}}})
            }
            ("POST", "/console/api/sign-in") => {
                json!({"account": "admin", "user": "w-user", "password": "W-Password-123"})
            }
            ("POST", "/v1/organizations/accounts/{account_id}/move") => {
                json!({"source_parent_id": id("root_id"), "destination_parent_id": id("organizational_unit_id")})
            }
            _ => return None,
        };
        Some(b)
    }

    /// A body for the endpoints whose handler decides: one that names an existing subject, so
    /// the handler reaches its decision (falls back to [`World::valid_body`]).
    fn deciding_body(&self, method: &str, template: &str) -> Option<Value> {
        let account = &self.app.account_id;
        let user = format!("iam::{account}:user:w-user");
        let b = match (method, template) {
            ("POST", "/v5/agencies/assume") => {
                json!({"agency_urn": format!("iam::{account}:agency:w-agency"), "agency_session_name": "w-session"})
            }
            ("POST", "/v3.0/OS-CREDENTIAL/securitytokens") => {
                json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {
                    "agency_name": "w-agency", "domain_id": account, "duration_seconds": 900}}}})
            }
            ("POST", "/v1/assistant/coverage") => {
                json!({"principal": user, "scenarios": ["t4-training-management"]})
            }
            ("POST", "/v1/assistant/generate") => json!({"scenarios": ["t4-training-management"]}),
            ("POST", "/v1/assistant/preflight") => {
                json!({"principal": user, "operation": {"operation": "create-training-job", "inputs": ["obs://train-data/in/"]}})
            }
            ("POST", "/v1/assistant/diff") => json!({"old": [NOTEBOOKS], "new": [NOTEBOOKS]}),
            _ => return self.valid_body(method, template),
        };
        Some(b)
    }

    async fn revision(&self) -> i64 {
        self.app.state.store().revision().await.unwrap()
    }

    /// Sends raw bytes; asserts never 5xx, and for 4xx the Huawei shape and an unchanged store.
    /// Returns the status.
    async fn probe(&self, method: &str, path: &str, query: &[(&str, &str)], body: Vec<u8>) -> u16 {
        let before = self.revision().await;
        let root = self.app.root.clone();
        let shown = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        let a = self.app.call_raw(&root, method, path, query, body).await;
        let status = a.status.as_u16();
        assert!(
            status < 500,
            "{method} {path} {query:?} {shown}: {status} {}",
            a.body
        );
        if status >= 400 {
            assert!(
                a.body["error_code"].is_string() && a.body["error_msg"].is_string(),
                "{method} {path} {shown}: not Huawei's shape: {}",
                a.body
            );
            assert!(a.headers.contains_key("x-request-id"));
            assert_eq!(
                self.revision().await,
                before,
                "{method} {path} {shown}: a rejected request changed the store"
            );
        }
        status
    }
}

/// The API endpoints (everything but the operations endpoints).
fn api_endpoints() -> Vec<(&'static str, &'static str)> {
    iam_server::endpoints()
        .filter(|e| {
            !matches!(
                e.path,
                "/healthz" | "/readyz" | "/metrics" | "/openapi.json"
            )
        })
        .map(|e| (e.method.as_str(), e.path))
        .collect()
}

/// Endpoints whose request has no body (a body is ignored).
fn takes_no_body(method: &str, template: &str) -> bool {
    method == "GET"
        || method == "DELETE"
        || template.ends_with("/set-default")
        || template == "/v5/users/{user_id}/access-keys"
        || template == "/v1/organizations"
        || template == "/v5/caller-identity"
        || template == "/console/api/sign-out"
        // nginx auth_request: the original request is described by headers
        || template == "/v1/gateway/authorize"
}

fn wrong_types(v: &Value) -> Vec<Value> {
    let all = [
        json!(42),
        json!(true),
        json!(["x"]),
        json!({"x": 1}),
        json!("a string"),
        json!(-1.5),
    ];
    all.into_iter()
        .filter(|w| std::mem::discriminant(w) != std::mem::discriminant(v))
        .filter(|w| !(v.is_number() && w.is_number()))
        .collect()
}

#[tokio::test]
async fn malformed_bodies_at_every_endpoint_are_4xx_and_change_nothing() {
    let w = world().await;
    let malformed: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"[]".to_vec(),
        b"1".to_vec(),
        b"\"text\"".to_vec(),
        b"null".to_vec(),
        b"{\"a\":".to_vec(),
        vec![0xff, 0xfe, 0x00],
        format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        Vec::new(),
    ];
    for (method, template) in api_endpoints() {
        if takes_no_body(method, template) {
            continue;
        }
        let path = w.path(template);
        for body in &malformed {
            let status = w.probe(method, &path, &[], body.clone()).await;
            assert!(
                (400..500).contains(&status),
                "{method} {template} accepted {:?}",
                String::from_utf8_lossy(&body[..body.len().min(40)])
            );
        }
        let status = w.probe(method, &path, &[], vec![b' '; 2 << 20]).await;
        assert_eq!(status, 413, "{method} {template}: oversized body");
    }
}

#[tokio::test]
async fn wrong_field_types_and_missing_fields_are_4xx_and_change_nothing() {
    let w = world().await;
    let mut covered = 0;
    for (method, template) in api_endpoints() {
        let Some(valid) = w.valid_body(method, template) else {
            continue;
        };
        covered += 1;
        let path = w.path(template);
        let fields = valid.as_object().unwrap().clone();
        for (field, value) in &fields {
            for bad in wrong_types(value) {
                let mut body = fields.clone();
                body.insert(field.clone(), bad.clone());
                let status = w
                    .probe(method, &path, &[], serde_json::to_vec(&body).unwrap())
                    .await;
                assert!(
                    (400..500).contains(&status),
                    "{method} {template}: `{field}` = {bad} accepted"
                );
            }
        }
        // absent body fields: never 5xx (optional ones may be absent)
        for field in fields.keys() {
            let mut body = fields.clone();
            body.remove(field);
            w.probe(method, &path, &[], serde_json::to_vec(&body).unwrap())
                .await;
        }
    }
    assert!(covered >= 30, "only {covered} endpoints with bodies");
}

#[tokio::test]
async fn unknown_and_hostile_ids_in_paths_are_4xx() {
    let w = world().await;
    let hostile = [
        "0".repeat(32),
        "nope".to_owned(),
        "a".repeat(3000),
        "%E2%9C%93".to_owned(),
        "..".to_owned(),
        "%00".to_owned(),
        "v99".to_owned(),
    ];
    for (method, template) in api_endpoints() {
        let params: Vec<&str> = template.split('/').filter(|s| s.starts_with('{')).collect();
        for param in params {
            for bad in &hostile {
                let path = w.path_with(template, param, bad);
                let body = w
                    .valid_body(method, template)
                    .map(|b| serde_json::to_vec(&b).unwrap())
                    .unwrap_or_default();
                let status = w.probe(method, &path, &[], body).await;
                assert!(
                    (400..500).contains(&status),
                    "{method} {template} with {param} = {}: {status}",
                    &bad[..bad.len().min(20)]
                );
            }
        }
    }
}

#[tokio::test]
async fn bad_query_parameters_are_4xx() {
    let w = world().await;
    let bad: [&[(&str, &str)]; 6] = [
        &[("limit", "abc")],
        &[("limit", "0")],
        &[("limit", "-1")],
        &[("limit", "100000000000000000000")],
        &[("marker", "\u{0}")],
        &[("limit", "1.5")],
    ];
    for (method, template) in api_endpoints() {
        if method != "GET" {
            continue;
        }
        let path = w.path(template);
        // only the list endpoints (they answer page_info)
        let root = w.app.root.clone();
        let plain = w.app.call(&root, "GET", &path, &[], Value::Null).await;
        if plain.body.get("page_info").is_none() {
            continue;
        }
        for q in bad {
            let status = w.probe("GET", &path, q, Vec::new()).await;
            assert!(
                (400..500).contains(&status),
                "GET {template} {q:?}: {status}"
            );
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z_:*{}\\[\\]\"\\\\ ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("policy_name".to_owned()),
                    Just("policy_document".to_owned()),
                    Just("name".to_owned()),
                    Just("user_id".to_owned()),
                    Just("principal".to_owned()),
                    Just("action".to_owned()),
                    Just("request".to_owned()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random JSON bodies at random endpoints: never a 5xx, and a rejection changes nothing.
    #[test]
    fn random_bodies_never_5xx(index in any::<prop::sample::Index>(), body in arb_json()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let w = world().await;
            let endpoints = api_endpoints();
            let (method, template) = endpoints[index.index(endpoints.len())];
            let path = w.path(template);
            w.probe(method, &path, &[], serde_json::to_vec(&body).unwrap()).await;
        });
    }
}

/// The endpoints a caller without any policy may call: the rows that make no decision
/// (`Authz::Open`, `Authz::Authenticated`) and the catalog rows whose catalog route lists no
/// action (`GET /v5/caller-identity`: signed, no permission required, as Huawei documents).
/// Written out so that a new open endpoint is a visible, reviewed change of this list.
const OPEN_ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/gateway/authorize"),
    ("POST", "/v1/gateway/authorize"),
    ("GET", "/v5/caller-identity"),
    // Huawei: "no identity policy-based permission required for calling this API"
    ("GET", "/v1.0/enterprise-projects/quotas"),
    // the catalog is public data embedded in the binary (any signed-in principal)
    ("GET", "/v1/catalog"),
    // the web console's static assets (no data)
    ("GET", "/console"),
    ("GET", "/console/assets/{file}"),
    // sign-in: the body's password (or token) is the credential
    ("POST", "/v3/auth/tokens"),
    ("POST", "/console/api/sign-in"),
    // the session cookie is the credential; no cookie answers 401
    ("GET", "/console/api/session"),
    // the session cookie (with its CSRF token) is the credential; without it, 401
    ("POST", "/console/api/sign-out"),
    // what the SDKs look up for credentials without ids: the caller's own account
    ("GET", "/v3/projects"),
    ("GET", "/v3/auth/projects"),
    ("GET", "/v3/auth/domains"),
    // a user changes its own password without a policy (Huawei)
    ("POST", "/v5/caller-password"),
    // a principal validates or revokes its own tokens (X-Subject-Token); others' answer 404
    ("GET", "/v3/auth/tokens"),
    ("DELETE", "/v3/auth/tokens"),
];

#[tokio::test]
async fn every_api_refuses_a_caller_without_policies() {
    let w = world().await;
    // The open rows are exactly the ones whose `authz` decides nothing for the caller.
    let catalog = iam_catalog::Catalog::builtin();
    let open: BTreeSet<(&str, &str)> = iam_server::endpoints()
        .filter(|e| match e.authz {
            iam_server::Authz::Open(_) | iam_server::Authz::Authenticated => true,
            iam_server::Authz::Catalog(_) => catalog
                .find_route(e.method.as_str(), &w.path(e.path))
                .is_some_and(|r| r.actions.is_empty()),
            iam_server::Authz::Handler(_) => false,
        })
        .map(|e| (e.method.as_str(), e.path))
        .collect();
    assert_eq!(
        open,
        OPEN_ENDPOINTS.iter().copied().collect::<BTreeSet<_>>(),
        "the open endpoints changed"
    );

    // A user with no policy: every other API (catalog rows and rows whose handler decides) is
    // refused with 403 IAM.0003 and the engine's text naming an action, never "no action is
    // registered for this API".
    let (_, _, key) = w.app.user_with_key("nobody").await;
    let mut refused = 0;
    let mut wrong = Vec::new();
    for e in iam_server::endpoints() {
        if open.contains(&(e.method.as_str(), e.path)) {
            // nginx's endpoints describe another request in headers; the others answer
            // without any policy (a body they need is the caller's own business)
            if !matches!(e.authz, iam_server::Authz::Open(_)) {
                let body = w
                    .valid_body(e.method.as_str(), e.path)
                    .map(|b| serde_json::to_vec(&b).unwrap())
                    .unwrap_or_default();
                let a = w
                    .app
                    .call_raw(&key, e.method.as_str(), &w.path(e.path), &[], body)
                    .await;
                assert!(
                    a.status == 200
                        || (a.status.is_client_error() && a.status != 401 && a.status != 403),
                    "{} {}: {} {}",
                    e.method.as_str(),
                    e.path,
                    a.status,
                    a.body
                );
            }
            continue;
        }
        let path = w.path(e.path);
        let body = w
            .deciding_body(e.method.as_str(), e.path)
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        // the endpoints whose target is in the query
        let user = w.ids["user_id"].clone();
        let query: Vec<(&str, &str)> = match (e.method.as_str(), e.path) {
            ("DELETE", "/v5/virtual-mfa-devices") => {
                vec![
                    ("user_id", user.as_str()),
                    ("serial_number", "iam:x:mfa/w-mfa"),
                ]
            }
            _ => Vec::new(),
        };
        let a = w
            .app
            .call_raw(&key, e.method.as_str(), &path, &query, body)
            .await;
        let msg = a.body["error_msg"].as_str().unwrap_or_default();
        if a.status == 403
            && a.body["error_code"] == "IAM.0003"
            && msg.contains("is not authorized to perform action ")
            && a.headers.contains_key("x-request-id")
        {
            refused += 1;
        } else {
            let body = a.body.to_string();
            wrong.push(format!(
                "{} {} ({:?}): {} {}",
                e.method.as_str(),
                e.path,
                e.authz,
                a.status,
                body.get(..300).unwrap_or(&body)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "not refused with 403 IAM.0003:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        refused,
        iam_server::endpoints().count() - OPEN_ENDPOINTS.len()
    );
}

#[tokio::test]
async fn simulate_runs_eval_cases() {
    let app = TestApp::new().await;
    let allow = app
        .root(
            "POST",
            "/v1/simulate",
            json!({"identity_policies": [serde_json::from_str::<Value>(NOTEBOOKS).unwrap()],
                   "request": {"action": "modelarts:notebook:create"}, "expect": "allow"}),
        )
        .await;
    assert_eq!(allow.status, 200, "{}", allow.body);
    assert_eq!(allow.body["decision"], "allow");
    assert_eq!(allow.body["passed"], true);

    // an SCP level denies; the explanation names the layer
    let scp = app
        .root(
            "POST",
            "/v1/simulate",
            json!({"identity_policies": [NOTEBOOKS, r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:trainJob:*"]}]}"#],
                   "scps": [[DENY_TRAINING]],
                   "principal": {"urn": "iam::111:user:u", "account_id": "111"},
                   "request": {"action": "modelarts:trainJob:create"}}),
        )
        .await;
    assert_eq!(scp.status, 200, "{}", scp.body);
    assert_eq!(scp.body["decision"], "explicit_deny");
    assert!(
        scp.body["explanation"]["message"]
            .as_str()
            .unwrap()
            .ends_with("with an explicit deny in a service control policy."),
        "{}",
        scp.body
    );

    // a route resolves through the catalog to its actions
    let routed = app
        .root(
            "POST",
            "/v1/simulate",
            json!({"identity_policies": [NOTEBOOKS],
                   "principal": {"urn": "iam::111:user:u"},
                   "request": {"method": "GET", "path": "/v1/0123456789abcdef0123456789abcdef/notebooks"}}),
        )
        .await;
    assert_eq!(routed.status, 200, "{}", routed.body);
    let actions = routed.body["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(
        actions.iter().all(|a| a["action"]
            .as_str()
            .unwrap()
            .starts_with("modelarts:notebook:")),
        "{}",
        routed.body
    );
    assert_eq!(routed.body["decision"], "allow");

    // a case that cannot be evaluated is a 400 naming the problem
    for (case, needle) in [
        (
            json!({"identity_policies": [{"Version": "5.0"}], "request": {"action": "a:b:c"}}),
            "identity_policies[0]",
        ),
        (
            json!({"request": {"method": "GET", "path": "/nowhere"}}),
            "route",
        ),
        (json!({"request": {}}), "request"),
        (
            json!({"identity_policies": "x", "request": {"action": "a:b:c"}}),
            "identity_policies",
        ),
        (json!({}), "request"),
    ] {
        let a = app.root("POST", "/v1/simulate", case.clone()).await;
        assert_huawei_error(&a, 400, "IAM.0001");
        assert!(
            a.body["error_msg"].as_str().unwrap().contains(needle),
            "{case}: {}",
            a.body
        );
    }
    // simulate never touches the store
    assert_eq!(app.state.store().revision().await.unwrap(), {
        let r = app.state.store().revision().await.unwrap();
        app.root(
            "POST",
            "/v1/simulate",
            json!({"request": {"action": "a:b:c"}}),
        )
        .await;
        r
    });
}

#[tokio::test]
async fn the_demo_shows_an_allow_an_explicit_deny_and_an_scp_deny() {
    let app = TestApp::new().await;
    let demo = iam_server::demo::create(&app.state, &app.account_id)
        .await
        .unwrap();
    let a = app
        .authorize(&demo.alice, "modelarts:notebook:create", "*")
        .await;
    assert_eq!(a["decision"], "allow", "{a}");
    let b = app
        .authorize(&demo.bob, "modelarts:notebook:delete", "*")
        .await;
    assert_eq!(b["decision"], "explicit_deny", "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .ends_with("in an identity-based policy.")
    );
    let c = app
        .authorize(&demo.carol, "modelarts:trainJob:create", "*")
        .await;
    assert_eq!(c["decision"], "explicit_deny", "{c}");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .ends_with("in a service control policy."),
        "{c}"
    );
    // carol may do everything else in ModelArts
    let c = app
        .authorize(&demo.carol, "modelarts:notebook:create", "*")
        .await;
    assert_eq!(c["decision"], "allow", "{c}");
}

#[tokio::test]
async fn enabling_scps_attaches_full_access_and_entity_rules_hold() {
    let w = world().await;
    let app = &w.app;
    // FullAccess is on the root, the OU and the member account
    for entity in ["root_id", "organizational_unit_id", "account_id"] {
        let l = app
            .call(
                &app.root,
                "GET",
                "/v1/organizations/policies",
                &[("attached_entity_id", w.ids[entity].as_str())],
                Value::Null,
            )
            .await;
        assert_eq!(l.status, 200, "{}", l.body);
        let names: Vec<&str> = l.body["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"FullAccess"), "{entity}: {names:?}");
    }
    // the default version cannot be deleted; exactly one default remains
    let pid = &w.ids["policy_id"];
    let d = app
        .root(
            "DELETE",
            &format!("/v5/policies/{pid}/versions/v1"),
            Value::Null,
        )
        .await;
    assert!((400..500).contains(&d.status.as_u16()), "{}", d.body);
    let v = ok(
        app,
        "POST",
        &format!("/v5/policies/{pid}/versions"),
        json!({"policy_document": NOTEBOOKS, "set_as_default": true}),
    )
    .await;
    assert_eq!(v["policy_version"]["version_id"], "v2");
    let l = ok(
        app,
        "GET",
        &format!("/v5/policies/{pid}/versions"),
        Value::Null,
    )
    .await;
    let defaults: Vec<&Value> = l["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["is_default"] == true)
        .collect();
    assert_eq!(defaults.len(), 1, "{l}");
    assert_eq!(defaults[0]["version_id"], "v2");
    // a non-default version can be deleted; new ids keep the `v<n>` form
    ok(
        app,
        "DELETE",
        &format!("/v5/policies/{pid}/versions/v1"),
        Value::Null,
    )
    .await;
    let v = ok(
        app,
        "POST",
        &format!("/v5/policies/{pid}/versions"),
        json!({"policy_document": NOTEBOOKS}),
    )
    .await;
    let id = v["policy_version"]["version_id"].as_str().unwrap();
    assert!(
        id.strip_prefix('v')
            .is_some_and(|n| n.parse::<u32>().is_ok())
            && id != "v2",
        "{id}"
    );
}

#[tokio::test]
async fn metrics_count_decisions_by_result_with_a_latency_histogram() {
    let app = TestApp::new().await;
    let (uid, urn, _) = app.user_with_key("metered").await;
    app.grant(&uid, "nb", serde_json::from_str(NOTEBOOKS).unwrap())
        .await;
    let value = |text: &str, series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let before = app.root("GET", "/metrics", Value::Null).await;
    let before = before.body.as_str().unwrap_or_default().to_owned();
    app.authorize(&urn, "modelarts:notebook:create", "*").await;
    app.authorize(&urn, "modelarts:trainJob:create", "*").await;
    let after = app.root("GET", "/metrics", Value::Null).await;
    assert_eq!(after.status, 200);
    let text = after.body.as_str().unwrap();
    let allow = r#"iam_decisions_total{decision="allow",source="authorize"}"#;
    let deny = r#"iam_decisions_total{decision="implicit_deny",source="authorize"}"#;
    assert!(value(text, allow) >= value(&before, allow) + 1.0, "{text}");
    assert!(value(text, deny) >= value(&before, deny) + 1.0, "{text}");
    assert!(
        text.contains(r#"iam_decision_duration_seconds_bucket{source="authorize",le="#),
        "{text}"
    );
    assert!(
        text.contains(r#"iam_http_requests_total{status="200"}"#),
        "{text}"
    );
}

#[tokio::test]
async fn authorize_context_values_and_the_word_requests() {
    let app = TestApp::new().await;
    let (uid, urn, _) = app.user_with_key("ctx").await;
    let doc = json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:*"],
        "Condition": {"NumericLessThan": {"modelarts:Count": ["10"]}, "Bool": {"g:MFAPresent": ["true"]}}}]});
    app.grant(&uid, "ctx", doc).await;
    let ask = |context: Value| json!({"principal": urn, "action": "modelarts:notebook:create", "context": context});
    let a = app
        .root(
            "POST",
            "/v1/authorize",
            ask(json!({"modelarts:Count": 5, "g:MFAPresent": true})),
        )
        .await;
    assert_eq!(a.body["decision"], "allow", "{}", a.body);
    let a = app
        .root(
            "POST",
            "/v1/authorize",
            ask(json!({"modelarts:Count": [5, 50], "g:MFAPresent": "true"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .root(
            "POST",
            "/v1/authorize",
            ask(json!({"modelarts:Count": 50, "g:MFAPresent": true})),
        )
        .await;
    assert_eq!(a.body["decision"], "implicit_deny", "{}", a.body);
    for bad in [
        json!({"k": {"a": 1}}),
        json!({"k": [[1]]}),
        json!({"k": null}),
        json!([1]),
    ] {
        let a = app.root("POST", "/v1/authorize", ask(bad.clone())).await;
        assert_huawei_error(&a, 400, "IAM.0001");
        assert!(
            a.body["error_msg"].as_str().unwrap().contains("context"),
            "{bad}: {}",
            a.body
        );
    }
    // a single request that merely mentions the word is still a single request
    let a = app
        .root(
            "POST",
            "/v1/authorize",
            json!({"principal": urn, "action": "modelarts:requests:list"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["action"], "modelarts:requests:list");
    let a = app
        .root(
            "POST",
            "/v1/authorize",
            json!({"principal": urn, "action": "a:b:c", "requests": []}),
        )
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
}
