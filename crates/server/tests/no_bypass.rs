//! What is decided is what is acted on, on the server's own APIs: one test per way a request could
//! act on something other than what was authorized (each named `finding_N_...` after the numbered
//! finding it guards), the escalation matrix of the write APIs, and the encodings property over
//! every endpoint with a path parameter.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

/// The error code of a malformed request.
const BAD_REQUEST: &str = iam_server::error_code::BAD_REQUEST;

use axum::body::Body;
use common::{Answer, Key, TestApp, assert_huawei_error, encode_at, sign_now, spellings};
use http::Request;
use serde_json::{Value, json};

/// A user holding `statements` (a 5.0 identity policy) with an access key.
async fn user_with(app: &TestApp, name: &str, statements: Value) -> (String, String, Key) {
    let (id, urn, key) = app.user_with_key(name).await;
    app.grant(
        &id,
        &format!("{name}-policy"),
        json!({"Version": "5.0", "Statement": statements}),
    )
    .await;
    (id, urn, key)
}

async fn create_policy(app: &TestApp, name: &str, doc: Value) -> (String, String) {
    let p = app
        .root(
            "POST",
            "/v5/policies",
            json!({"policy_name": name, "policy_document": doc.to_string()}),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    (
        p.body["policy"]["policy_id"].as_str().unwrap().to_owned(),
        p.body["policy"]["urn"].as_str().unwrap().to_owned(),
    )
}

fn admin_doc() -> Value {
    json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]})
}

/// How many access keys the root user has.
async fn root_key_count(app: &TestApp, root_id: &str) -> usize {
    let keys = app
        .root(
            "GET",
            &format!("/v5/users/{root_id}/access-keys"),
            Value::Null,
        )
        .await;
    assert_eq!(keys.status, 200, "{}", keys.body);
    keys.body["access_keys"].as_array().map_or(0, Vec::len)
}

async fn root_user_id(app: &TestApp) -> String {
    let me = app.root("GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(me.status, 200, "{}", me.body);
    me.body["principal_id"]
        .as_str()
        .or_else(|| me.body["user_id"].as_str())
        .unwrap_or_else(|| panic!("no principal id in {}", me.body))
        .to_owned()
}

#[tokio::test]
async fn finding_1_encoded_ids_cannot_reach_what_a_deny_protects() {
    let app = TestApp::new().await;
    let root_id = root_user_id(&app).await;
    let (pid, purn) = create_policy(&app, "protected", admin_doc()).await;
    let (_, _, mallory) = user_with(
        &app,
        "mallory",
        json!([
            {"Effect": "Allow", "Action": ["iam:users:*", "iam:policies:*"]},
            {"Effect": "Deny", "Action": ["iam:users:*"], "Resource": [app.root_urn.clone()]},
            {"Effect": "Deny", "Action": ["iam:policies:*"], "Resource": [purn.clone()]},
        ]),
    )
    .await;
    let spellings = |id: &str| {
        let n = id.chars().count();
        vec![
            id.to_owned(),
            encode_at(id, &[0], true),
            encode_at(id, &[0], false),
            encode_at(id, &[n - 1], true),
            encode_at(id, &(0..n).collect::<Vec<_>>(), true),
        ]
    };
    for spelling in spellings(&root_id) {
        for (method, path) in [
            ("POST", format!("/v5/users/{spelling}/access-keys")),
            ("GET", format!("/v5/users/{spelling}")),
            ("DELETE", format!("/v5/users/{spelling}")),
        ] {
            let a = app.call(&mallory, method, &path, &[], Value::Null).await;
            assert_eq!(a.status, 403, "{method} {path}: {}", a.body);
        }
    }
    for spelling in spellings(&pid) {
        let a = app
            .call(
                &mallory,
                "DELETE",
                &format!("/v5/policies/{spelling}"),
                &[],
                Value::Null,
            )
            .await;
        assert_eq!(a.status, 403, "DELETE {spelling}: {}", a.body);
    }
    // the root user still has exactly one key and the policy still exists
    assert_eq!(root_key_count(&app, &root_id).await, 1);
    let p = app
        .root("GET", &format!("/v5/policies/{pid}"), Value::Null)
        .await;
    assert_eq!(p.status, 200);
    // the same user acts on entities the deny does not name, in any spelling
    let (bob, _, _) = app.user_with_key("bob").await;
    let a = app
        .call(
            &mallory,
            "GET",
            &format!("/v5/users/{}", encode_at(&bob, &[0, 3], true)),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["user"]["user_id"], bob.as_str());
}

#[tokio::test]
async fn finding_1_ambiguous_targets_are_refused_with_400() {
    let app = TestApp::new().await;
    let root_id = root_user_id(&app).await;
    for path in [
        format!("/v5/users/..%2F{root_id}"),
        format!("/v5/users/{root_id}%2F"),
        format!("/v5/users/%252E%252E/{root_id}"),
        format!("/v5/users/{root_id};x"),
        format!("/v5/users/{root_id}."),
        format!("/v5/users/./{root_id}"),
        format!("/v5//users/{root_id}"),
        format!("/v5/users/{root_id}/"),
        "/v5/users/a%00b".to_owned(),
        "/v5/users/a%E2%80%AEb".to_owned(),
        "/v5/users/%3F/access-keys".to_owned(),
    ] {
        let key = app.root.clone();
        let a = app.call(&key, "GET", &path, &[], Value::Null).await;
        assert_huawei_error(&a, 400, BAD_REQUEST);
        assert!(
            a.body["error_msg"]
                .as_str()
                .is_some_and(|m| m.contains("byte") || m.contains("path")),
            "{path}: {}",
            a.body
        );
    }
    // an encoded literal segment is the same API
    let key = app.root.clone();
    let a = app
        .call(
            &key,
            "GET",
            &format!("/v5/%75sers/{root_id}"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // a lower-case method is not the same API
    let (signed, uri) = sign_now(
        &app.root,
        "get",
        "/v5/users",
        &[],
        &[("Host", common::HOST)],
        b"",
    );
    let mut req = Request::builder()
        .method("get")
        .uri(uri)
        .header("Host", common::HOST);
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    let a = app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(a.status, 400, "{}", a.body);
}

/// Attaches `policy` to `target` of `kind` (user, group, agency) as `key`.
async fn attach(
    app: &TestApp,
    key: &Key,
    policy: &str,
    kind: &str,
    target: &str,
    attach: bool,
) -> Answer {
    let verb = if attach { "attach" } else { "detach" };
    app.call(
        key,
        "POST",
        &format!("/v5/policies/{policy}/{verb}-{kind}"),
        &[],
        json!({ format!("{kind}_id"): target }),
    )
    .await
}

async fn group(app: &TestApp, name: &str) -> (String, String) {
    let g = app
        .root("POST", "/v5/groups", json!({"group_name": name}))
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    (
        g.body["group"]["group_id"].as_str().unwrap().to_owned(),
        g.body["group"]["urn"].as_str().unwrap().to_owned(),
    )
}

async fn agency(app: &TestApp, name: &str) -> (String, String) {
    let trust = json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["sts:agencies:assume"], "Principal": {"IAM": [app.root_urn.clone()]}}]});
    agency_with_trust(app, name, &trust).await
}

/// Creates an agency with `trust`; returns (id, urn).
async fn agency_with_trust(app: &TestApp, name: &str, trust: &Value) -> (String, String) {
    let a = app
        .root(
            "POST",
            "/v5/agencies",
            json!({"agency_name": name, "trust_policy": trust.to_string()}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let agency = &a.body["agency"];
    (
        agency["agency_id"].as_str().unwrap().to_owned(),
        agency["urn"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn finding_3_attach_and_detach_are_authorized_on_the_target_entity() {
    let app = TestApp::new().await;
    let (admin_policy, _) = create_policy(&app, "everything", admin_doc()).await;
    let (mallory_id, mallory_urn, mallory) = app.user_with_key("mallory").await;
    let (bob_id, bob_urn, _) = app.user_with_key("bob").await;
    let (carol_id, _, _) = app.user_with_key("carol").await;
    let (g_id, g_urn) = group(&app, "team").await;
    let (g2_id, _) = group(&app, "other-team").await;
    let (a_id, a_urn) = agency(&app, "runner").await;
    let (a2_id, _) = agency(&app, "other-runner").await;
    let allow_scoped = json!([
        {"Effect": "Allow", "Action": ["iam:users:attachPolicyV5", "iam:users:detachPolicyV5"], "Resource": [bob_urn]},
        {"Effect": "Allow", "Action": ["iam:groups:attachPolicyV5", "iam:groups:detachPolicyV5"], "Resource": [g_urn]},
        {"Effect": "Allow", "Action": ["iam:agencies:attachPolicyV5", "iam:agencies:detachPolicyV5"], "Resource": [a_urn]},
        {"Effect": "Deny", "Action": ["iam:users:attachPolicyV5"], "Resource": [mallory_urn]},
    ]);
    app.grant(
        &mallory_id,
        "scoped",
        json!({"Version": "5.0", "Statement": allow_scoped}),
    )
    .await;
    // an admin policy attached to oneself: denied on one's own URN
    let a = attach(&app, &mallory, &admin_policy, "user", &mallory_id, true).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(
        a.body["error_msg"]
            .as_str()
            .unwrap()
            .contains(":user:mallory"),
        "{}",
        a.body
    );
    // scoped Allows match exactly their target, in both directions
    for (kind, ok, refused) in [
        ("user", &bob_id, &carol_id),
        ("group", &g_id, &g2_id),
        ("agency", &a_id, &a2_id),
    ] {
        let a = attach(&app, &mallory, &admin_policy, kind, ok, true).await;
        assert!(a.status.is_success(), "{kind} attach: {}", a.body);
        let a = attach(&app, &mallory, &admin_policy, kind, ok, false).await;
        assert!(a.status.is_success(), "{kind} detach: {}", a.body);
        let a = attach(&app, &mallory, &admin_policy, kind, refused, true).await;
        assert_eq!(a.status, 403, "{kind} attach other: {}", a.body);
    }
    // no target in the body: refused before any decision
    let a = app
        .call(
            &mallory,
            "POST",
            &format!("/v5/policies/{admin_policy}/attach-user"),
            &[],
            json!({}),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
}

#[tokio::test]
async fn finding_4_policy_urn_is_set_for_attach_and_detach() {
    let app = TestApp::new().await;
    let (admin_policy, admin_urn) = create_policy(&app, "everything", admin_doc()).await;
    let (reader, reader_urn) = create_policy(
        &app,
        "reader",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:users:getUserV5"]}]}),
    )
    .await;
    let (bob_id, _, _) = app.user_with_key("bob").await;
    // a Deny on the admin policy's URN
    let (_, _, mallory) = user_with(
        &app,
        "mallory",
        json!([
            {"Effect": "Allow", "Action": ["iam:users:attachPolicyV5", "iam:users:detachPolicyV5"]},
            {"Effect": "Deny", "Action": ["iam:users:attachPolicyV5"], "Condition": {"StringEquals": {"iam:PolicyURN": [admin_urn]}}},
        ]),
    )
    .await;
    let a = attach(&app, &mallory, &admin_policy, "user", &bob_id, true).await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = attach(&app, &mallory, &reader, "user", &bob_id, true).await;
    assert!(a.status.is_success(), "{}", a.body);
    // an Allow conditioned on one policy's URN
    let (_, _, trent) = user_with(
        &app,
        "trent",
        json!([{"Effect": "Allow", "Action": ["iam:users:detachPolicyV5", "iam:users:attachPolicyV5"], "Condition": {"StringEquals": {"iam:PolicyURN": [reader_urn]}}}]),
    )
    .await;
    let a = attach(&app, &trent, &reader, "user", &bob_id, false).await;
    assert!(a.status.is_success(), "{}", a.body);
    let a = attach(&app, &trent, &admin_policy, "user", &bob_id, true).await;
    assert_eq!(a.status, 403, "{}", a.body);
}

#[tokio::test]
async fn finding_7_the_decision_api_takes_principal_keys_from_the_principal() {
    let app = TestApp::new().await;
    let (_, alice_urn, _) = user_with(
        &app,
        "alice",
        json!([
            {"Effect": "Allow", "Action": ["modelarts:notebook:*"]},
            {"Effect": "Deny", "Action": ["modelarts:notebook:delete"], "Condition": {"Bool": {"g:PrincipalIsRootUser": ["false"]}}},
        ]),
    )
    .await;
    let d = app
        .authorize(&alice_urn, "modelarts:notebook:delete", "*")
        .await;
    assert_eq!(d["decision"], "explicit_deny", "{d}");
    for key in [
        "g:PrincipalIsRootUser",
        "g:principalisrootuser",
        "g:PrincipalUrn",
        "g:PrincipalAccount",
        "g:PrincipalTag/team",
        "g:UserId",
        "g:PrincipalType",
    ] {
        let a = app
            .root(
                "POST",
                "/v1/authorize",
                json!({"principal": alice_urn, "action": "modelarts:notebook:delete", "context": {key: "true"}}),
            )
            .await;
        assert_eq!(a.status, 400, "{key}: {}", a.body);
        assert!(
            a.body["error_msg"].as_str().unwrap().contains(key),
            "{}",
            a.body
        );
    }
    // and in a batch, and in /v1/simulate
    let a = app
        .root("POST", "/v1/authorize", json!({"requests": [
            {"principal": alice_urn, "action": "modelarts:notebook:delete"},
            {"principal": alice_urn, "action": "modelarts:notebook:delete", "context": {"g:PrincipalIsRootUser": "true"}},
        ]}))
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = app
        .root("POST", "/v1/simulate", json!({
            "identity_policies": [admin_doc()],
            "request": {"action": "modelarts:notebook:delete", "context": {"g:PrincipalIsRootUser": "true"}}}))
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
}

#[tokio::test]
async fn finding_7_the_decision_api_decides_only_concrete_actions() {
    let app = TestApp::new().await;
    let (_, alice_urn, _) = user_with(
        &app,
        "alice",
        json!([{"Effect": "Allow", "Action": ["modelarts:notebook:*"]}]),
    )
    .await;
    for action in [
        "modelarts:notebook:*",
        "modelarts:*:delete",
        "*",
        "modelarts:notebook:delete ",
        " modelarts:notebook:delete",
        "modelarts:notebook:del?te",
        "modelarts:notebook",
        "modelarts:notebook:delete:x",
        "modelarts::delete",
        "",
    ] {
        let a = app
            .root(
                "POST",
                "/v1/authorize",
                json!({"principal": alice_urn, "action": action}),
            )
            .await;
        assert_eq!(a.status, 400, "{action:?}: {}", a.body);
        let a = app
            .root(
                "POST",
                "/v1/simulate",
                json!({"identity_policies": [admin_doc()], "request": {"action": action}}),
            )
            .await;
        assert_eq!(a.status, 400, "simulate {action:?}: {}", a.body);
    }
    let d = app
        .authorize(&alice_urn, "modelarts:notebook:delete", "*")
        .await;
    assert_eq!(d["decision"], "allow", "{d}");
}

/// Sends a request signed by `key` with extra headers and a peer address.
async fn call_from(
    app: &TestApp,
    key: &Key,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    peer: Option<&str>,
) -> Answer {
    let mut all = vec![("Host", common::HOST)];
    all.extend_from_slice(headers);
    let (signed, uri) = sign_now(key, method, path, &[], &all, b"");
    let mut req = Request::builder().method(method).uri(uri);
    for (n, v) in &all {
        req = req.header(*n, *v);
    }
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    let mut req = req.body(Body::empty()).unwrap();
    if let Some(p) = peer {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo::<std::net::SocketAddr>(
                p.parse().unwrap(),
            ));
    }
    app.send(req).await
}

#[tokio::test]
async fn finding_8_request_keys_are_filled_on_the_servers_own_apis() {
    let app = TestApp::new().await;
    let (_, _, alice) = user_with(
        &app,
        "alice",
        json!([
            {"Effect": "Allow", "Action": ["iam:users:listUsersV5", "cts:trace:list"]},
            {"Effect": "Deny", "Action": ["*"], "Condition": {"IpAddress": {"g:SourceIp": ["203.0.113.0/24"]}}},
            {"Effect": "Deny", "Action": ["*"], "Condition": {"StringEquals": {"g:UserAgent": ["evil-agent"]}}},
            {"Effect": "Deny", "Action": ["*"], "Condition": {"StringNotEquals": {"g:RequestedRegion": [common::REGION]}}},
        ]),
    )
    .await;
    let ok = call_from(
        &app,
        &alice,
        "GET",
        "/v5/users",
        &[("User-Agent", "sdk")],
        Some("198.51.100.7:4000"),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let from_ip = call_from(
        &app,
        &alice,
        "GET",
        "/v5/users",
        &[],
        Some("203.0.113.9:4000"),
    )
    .await;
    assert_eq!(from_ip.status, 403, "{}", from_ip.body);
    let by_agent = call_from(
        &app,
        &alice,
        "GET",
        "/v5/users",
        &[("User-Agent", "evil-agent")],
        None,
    )
    .await;
    assert_eq!(by_agent.status, 403, "{}", by_agent.body);
    // handlers that decide themselves get the same keys
    let handler = call_from(
        &app,
        &alice,
        "GET",
        "/v1/decisions",
        &[],
        Some("203.0.113.9:4000"),
    )
    .await;
    assert_eq!(handler.status, 403, "{}", handler.body);
    let handler_ok = call_from(
        &app,
        &alice,
        "GET",
        "/v1/decisions",
        &[],
        Some("198.51.100.7:4000"),
    )
    .await;
    assert_eq!(handler_ok.status, 200, "{}", handler_ok.body);
    // SecureTransport: the server does not terminate TLS, so a Deny on plain HTTP applies
    let (_, _, bob) = user_with(
        &app,
        "bob",
        json!([
            {"Effect": "Allow", "Action": ["iam:users:listUsersV5"]},
            {"Effect": "Deny", "Action": ["*"], "Condition": {"Bool": {"g:SecureTransport": ["false"]}}},
        ]),
    )
    .await;
    let plain = call_from(&app, &bob, "GET", "/v5/users", &[], None).await;
    assert_eq!(plain.status, 403, "{}", plain.body);
}

#[tokio::test]
async fn every_endpoint_has_exactly_one_row_and_unknown_calls_are_refused() {
    let app = TestApp::new().await;
    // an API that the table does not declare answers like an unknown API, signed or not
    for (method, path) in [
        ("GET", "/v5/users/x1/tags"),
        ("PUT", "/v5/service-linked-agencies"),
        ("GET", "/v5/nothing"),
    ] {
        let key = app.root.clone();
        let a = app.call(&key, method, path, &[], Value::Null).await;
        assert_eq!(a.status, 404, "{method} {path}: {}", a.body);
    }
    for e in iam_server::endpoints() {
        if let iam_server::Authz::Handler(why) | iam_server::Authz::Open(why) = e.authz {
            assert!(
                why.len() > 10,
                "{} {} needs a reason",
                e.method.as_str(),
                e.path
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The escalation matrix and the encodings property, over every IAM v5 API with a target entity.

/// Entities a call can act on, created fresh for each endpoint.
struct Victims {
    user: (String, String),
    group: (String, String),
    agency: (String, String),
    policy: (String, String),
}

async fn victims(app: &TestApp) -> Victims {
    let (uid, uurn, _) = app.user_with_key("victim").await;
    Victims {
        user: (uid, uurn),
        group: group(app, "victims").await,
        agency: agency(app, "victim-agency").await,
        policy: create_policy(app, "victim-policy", admin_doc()).await,
    }
}

/// The concrete path, body and target URN of a call of `e` on the victims.
fn call_on(e: &iam_server::Endpoint, v: &Victims) -> (String, Value, String) {
    let mut target = String::new();
    let path = e
        .path
        .split('/')
        .map(|s| match s {
            "{user_id}" => v.user.0.clone(),
            "{group_id}" => v.group.0.clone(),
            "{agency_id}" => v.agency.0.clone(),
            "{policy_id}" => v.policy.0.clone(),
            "{version_id}" => "v1".to_owned(),
            "{access_key_id}" => "AKNOSUCHKEY0000000000".to_owned(),
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    // the entity the action acts on: the body target, else the most specific path entity
    let body = match e.authz {
        iam_server::Authz::Catalog(iam_server::Sources {
            target: iam_server::Target::Body { field, kind },
            ..
        }) => {
            let (id, urn) = match kind {
                iam_server::EntityKind::User => &v.user,
                iam_server::EntityKind::Group => &v.group,
                iam_server::EntityKind::Agency => &v.agency,
                iam_server::EntityKind::Policy => &v.policy,
                other => panic!("no IAM body target of kind {other:?}"),
            };
            target = urn.clone();
            json!({ field: id })
        }
        _ => json!({}),
    };
    if target.is_empty() {
        for (param, urn) in [
            ("{user_id}", &v.user.1),
            ("{group_id}", &v.group.1),
            ("{agency_id}", &v.agency.1),
            ("{policy_id}", &v.policy.1),
        ] {
            if e.path.contains(param) {
                target = urn.clone();
            }
        }
    }
    (path, body, target)
}

/// Catalog actions of a call.
fn actions_of(method: &str, path: &str) -> Vec<String> {
    let catalog = iam_catalog::Catalog::builtin();
    let target = iam_catalog::RouteTarget::new(common::REGION, "acct");
    catalog
        .resolve_route(method, path, &target)
        .map(|r| r.actions.iter().map(|a| (*a).to_owned()).collect())
        .unwrap_or_default()
}

/// One API call of the escalation matrix: the call on its target entity.
struct MatrixCall<'a> {
    endpoint: &'a iam_server::Endpoint,
    path: &'a str,
    body: &'a Value,
    target: &'a str,
    actions: &'a [String],
}

/// The escalation matrix of one call: (1) a user allowed the call's actions but denied them on
/// the target's URN is refused, in every generated spelling of every path parameter (a spelling
/// with the original's canonical form answers exactly as the original; a refused spelling is a
/// 400; another id acts on nothing); (2) a Deny conditioned on each key in `keys` refuses; (3) an
/// Allow scoped to exactly the target authorizes the call.
async fn escalation_matrix(
    app: &TestApp,
    c: &MatrixCall<'_>,
    keys: &[(&str, &str, Value)],
    seed: u64,
) {
    let (method, path, body, target) = (c.endpoint.method.as_str(), c.path, c.body, c.target);
    let actions = c.actions;
    let (_, _, denied) = user_with(
        app,
        "denied",
        json!([
            {"Effect": "Allow", "Action": actions},
            {"Effect": "Deny", "Action": actions, "Resource": [target]},
        ]),
    )
    .await;
    let a = app.call(&denied, method, path, &[], body.clone()).await;
    assert_eq!(
        a.status, 403,
        "{method} {path} with a Deny on {target}: {}",
        a.body
    );
    let segments: Vec<&str> = path.split('/').collect();
    let canonical = iam_canonical::canonicalize(path, None).unwrap();
    for (i, template) in c.endpoint.path.split('/').enumerate() {
        if !template.starts_with('{') {
            continue;
        }
        for spelling in spellings(segments[i], seed + i as u64, 24) {
            let mut variant = segments.clone();
            variant[i] = &spelling;
            let variant = variant.join("/");
            let a = app.call(&denied, method, &variant, &[], body.clone()).await;
            match iam_canonical::canonicalize(&variant, None) {
                Ok(v) if v == canonical => {
                    assert_eq!(a.status, 403, "{method} {variant}: {}", a.body)
                }
                // another id (a case change): no entity of the victims, nothing acted on
                Ok(_) => assert!(
                    !a.status.is_success() && a.status.as_u16() < 500,
                    "{method} {variant}: {} {}",
                    a.status,
                    a.body
                ),
                Err(_) => assert_eq!(a.status, 400, "{method} {variant}: {}", a.body),
            }
        }
    }
    for (i, (op, key, value)) in keys.iter().enumerate() {
        let (_, _, conditioned) = user_with(
            app,
            &format!("conditioned{i}"),
            json!([
                {"Effect": "Allow", "Action": actions},
                {"Effect": "Deny", "Action": actions, "Condition": {*op: {*key: value}}},
            ]),
        )
        .await;
        let a = app
            .call(&conditioned, method, path, &[], body.clone())
            .await;
        assert_eq!(
            a.status, 403,
            "{method} {path} with a Deny on {key}: {}",
            a.body
        );
    }
    let (_, _, scoped) = user_with(
        app,
        "scoped",
        json!([{"Effect": "Allow", "Action": actions, "Resource": [target]}]),
    )
    .await;
    let a = app.call(&scoped, method, path, &[], body.clone()).await;
    assert_ne!(
        a.status, 403,
        "{method} {path} with an Allow on {target}: {}",
        a.body
    );
    assert!(a.status.as_u16() < 500, "{method} {path}: {}", a.body);
}

#[tokio::test]
async fn escalation_matrix_and_encodings_of_every_iam_write_api() {
    let mut checked = 0;
    for e in iam_server::endpoints() {
        let iam_server::Authz::Catalog(_) = e.authz else {
            continue;
        };
        if !e.path.starts_with("/v5/")
            || e.path.contains("{version_id}")
            || e.path.contains("{access_key_id}")
        {
            continue;
        }
        let app = TestApp::new().await;
        let v = victims(&app).await;
        let (path, body, target) = call_on(e, &v);
        if target.is_empty() {
            continue; // list and create calls: no target entity
        }
        let actions = actions_of(e.method.as_str(), &path);
        assert!(
            !actions.is_empty(),
            "{} {}: no catalog action",
            e.method.as_str(),
            e.path
        );
        let body = if e.method.as_str() == "GET" || e.method.as_str() == "DELETE" {
            Value::Null
        } else {
            body
        };
        let mut keys = vec![("StringEquals", "g:RequestedRegion", json!([common::REGION]))];
        if e.path.contains("/attach-") || e.path.contains("/detach-") {
            keys.push(("StringEquals", "iam:PolicyURN", json!([v.policy.1.clone()])));
        }
        let call = MatrixCall {
            endpoint: e,
            path: &path,
            body: &body,
            target: &target,
            actions: &actions,
        };
        escalation_matrix(&app, &call, &keys, 0x5eed + checked as u64).await;
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} APIs checked");
}

/// The Organizations entities of a fresh organization managed by the test account.
async fn organization(app: &TestApp) -> std::collections::HashMap<&'static str, String> {
    let ok = |a: Answer, what: &str| {
        assert!(a.status.is_success(), "{what}: {}", a.body);
        a.body
    };
    ok(
        app.root("POST", "/v1/organizations", json!({})).await,
        "organization",
    );
    let roots = ok(
        app.root("GET", "/v1/organizations/roots", Value::Null)
            .await,
        "roots",
    );
    let root = roots["roots"][0]["id"].as_str().unwrap().to_owned();
    ok(
        app.root(
            "POST",
            "/v1/organizations/policies/enable",
            json!({"policy_type": "service_control_policy", "root_id": root}),
        )
        .await,
        "enable",
    );
    let ou = ok(
        app.root(
            "POST",
            "/v1/organizations/organizational-units",
            json!({"name": "victim-ou", "parent_id": root}),
        )
        .await,
        "ou",
    );
    let scp = ok(
        app.root(
            "POST",
            "/v1/organizations/policies",
            json!({"name": "victim-scp", "type": "service_control_policy", "content": json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]}).to_string(), "description": ""}),
        )
        .await,
        "scp",
    );
    let member = ok(
        app.root(
            "POST",
            "/v1/organizations/accounts",
            json!({"name": "victim-member"}),
        )
        .await,
        "account",
    );
    let mut ids = std::collections::HashMap::new();
    ids.insert("root_id", root);
    ids.insert(
        "organizational_unit_id",
        ou["organizational_unit"]["id"].as_str().unwrap().to_owned(),
    );
    ids.insert(
        "policy_id",
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
    ids
}

#[tokio::test]
async fn escalation_matrix_and_encodings_of_every_organizations_api() {
    let mut checked = 0;
    for e in iam_server::endpoints() {
        if !e.path.starts_with("/v1/organizations/") || !e.path.contains('{') {
            continue;
        }
        let app = TestApp::new().await;
        let ids = organization(&app).await;
        let path = e
            .path
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(param) => ids[param].clone(),
                    None => s.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        let catalog = iam_catalog::Catalog::builtin();
        let resolved = catalog
            .resolve_route(
                e.method.as_str(),
                &path,
                &iam_catalog::RouteTarget::new(common::REGION, app.account_id.clone()),
            )
            .unwrap();
        let actions: Vec<String> = resolved.actions.iter().map(|a| (*a).to_owned()).collect();
        assert!(
            !resolved.resources[0].ends_with(":*"),
            "{} {}: no target",
            e.method.as_str(),
            e.path
        );
        // the entity's URN as the API shows it (GET of the entity)
        let (param, id) = resolved.params.last().unwrap().clone();
        let shown = match param.as_str() {
            "policy_id" => {
                let p = app
                    .root(
                        "GET",
                        &format!("/v1/organizations/policies/{id}"),
                        Value::Null,
                    )
                    .await;
                p.body["policy"]["policy_summary"]["urn"].clone()
            }
            "organizational_unit_id" => {
                let p = app
                    .root(
                        "GET",
                        &format!("/v1/organizations/organizational-units/{id}"),
                        Value::Null,
                    )
                    .await;
                p.body["organizational_unit"]["urn"].clone()
            }
            _ => {
                let p = app
                    .root(
                        "GET",
                        &format!("/v1/organizations/accounts/{id}"),
                        Value::Null,
                    )
                    .await;
                p.body["account"]["urn"].clone()
            }
        };
        let target = shown
            .as_str()
            .unwrap_or_else(|| panic!("{param}: no urn"))
            .to_owned();
        let body = match (e.method.as_str(), e.path) {
            ("GET" | "DELETE", _) => Value::Null,
            (_, p) if p.ends_with("/attach") || p.ends_with("/detach") => {
                json!({"entity_id": ids["organizational_unit_id"]})
            }
            (_, p) if p.ends_with("/move") => {
                json!({"source_parent_id": ids["root_id"], "destination_parent_id": ids["organizational_unit_id"]})
            }
            _ => json!({"name": "renamed"}),
        };
        let keys = [("StringEquals", "g:RequestedRegion", json!([common::REGION]))];
        let call = MatrixCall {
            endpoint: e,
            path: &path,
            body: &body,
            target: &target,
            actions: &actions,
        };
        escalation_matrix(&app, &call, &keys, 0xc0ffee + checked as u64).await;
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} APIs checked");
}

#[tokio::test]
async fn organizations_create_calls_refuse_tags_they_would_drop() {
    let app = TestApp::new().await;
    let ids = organization(&app).await;
    let a = app
        .root(
            "POST",
            "/v1/organizations/organizational-units",
            json!({"name": "tagged", "parent_id": ids["root_id"], "tags": [{"key": "team", "value": "a"}]}),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body["error_msg"].as_str().unwrap().contains("tags"),
        "{}",
        a.body
    );
}

// ---------------------------------------------------------------------------------------------
// A second adversarial review's findings (one test each, named after what they guard).

#[tokio::test]
async fn review_only_the_root_user_manages_its_access_keys() {
    let app = TestApp::new().await;
    let root_id = root_user_id(&app).await;
    let (_, _, mallory) = user_with(
        &app,
        "mallory",
        json!([{"Effect": "Allow", "Action": ["iam:users:*"], "Resource": ["iam::*:user:*"]}]),
    )
    .await;
    let a = app
        .call(
            &mallory,
            "POST",
            &format!("/v5/users/{root_id}/access-keys"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let root_ak = app.root.ak.clone();
    let a = app
        .call(
            &mallory,
            "PUT",
            &format!("/v5/users/{root_id}/access-keys/{root_ak}"),
            &[],
            json!({"status": "inactive"}),
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = app
        .call(
            &mallory,
            "DELETE",
            &format!("/v5/users/{root_id}/access-keys/{root_ak}"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // the root user still has its one key, and may make another itself
    assert_eq!(root_key_count(&app, &root_id).await, 1);
    let own = app
        .root(
            "POST",
            &format!("/v5/users/{root_id}/access-keys"),
            Value::Null,
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    // mallory still manages other users' keys
    let (bob, _, _) = app.user_with_key("bob").await;
    let a = app
        .call(
            &mallory,
            "POST",
            &format!("/v5/users/{bob}/access-keys"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn review_the_decision_api_fills_the_stored_principals_keys() {
    let app = TestApp::new().await;
    let (_, bob_urn, _) = user_with(
        &app,
        "bob",
        json!([
            {"Effect": "Allow", "Action": ["modelarts:notebook:*"]},
            {"Effect": "Deny", "Action": ["modelarts:notebook:delete"], "Condition": {"StringEquals": {"g:UserName": ["bob"]}}},
            {"Effect": "Deny", "Action": ["modelarts:notebook:stop"], "Condition": {"StringEquals": {"g:PrincipalType": ["User"]}}},
        ]),
    )
    .await;
    for action in ["modelarts:notebook:delete", "modelarts:notebook:stop"] {
        let d = app.authorize(&bob_urn, action, "*").await;
        assert_eq!(d["decision"], "explicit_deny", "{action}: {d}");
    }
    let d = app
        .authorize(&bob_urn, "modelarts:notebook:start", "*")
        .await;
    assert_eq!(d["decision"], "allow", "{d}");
}

#[tokio::test]
async fn review_trust_policies_see_the_request_and_caller_keys() {
    let app = TestApp::new().await;
    let (_, _, mallory) = user_with(
        &app,
        "mallory",
        json!([{"Effect": "Allow", "Action": ["sts:agencies:assume"]}]),
    )
    .await;
    let (_, _, trent) = user_with(
        &app,
        "trent",
        json!([{"Effect": "Allow", "Action": ["sts:agencies:assume"]}]),
    )
    .await;
    let trust = json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["sts:agencies:assume"], "Principal": {"IAM": [format!("iam::{}:root", app.account_id)]}},
        {"Effect": "Deny", "Action": ["sts:agencies:assume"], "Principal": {"IAM": ["*"]}, "Condition": {"StringEquals": {"g:UserName": ["mallory"]}}},
    ]});
    let (_, urn) = agency_with_trust(&app, "deploy", &trust).await;
    let body = json!({"agency_urn": urn, "agency_session_name": "s1"});
    let denied = app
        .call(&mallory, "POST", "/v5/agencies/assume", &[], body.clone())
        .await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let allowed = app
        .call(&trent, "POST", "/v5/agencies/assume", &[], body)
        .await;
    assert!(allowed.status.is_success(), "{}", allowed.body);
}

#[tokio::test]
async fn review_a_deny_of_any_assume_action_refuses_every_assume_api() {
    let app = TestApp::new().await;
    let trust = json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["sts:agencies:assume"], "Principal": {"IAM": [format!("iam::{}:root", app.account_id)]}}]});
    let (_, urn) = agency_with_trust(&app, "deploy", &trust).await;
    let (_, _, mallory) = user_with(
        &app,
        "mallory",
        json!([
            {"Effect": "Allow", "Action": ["iam:tokens:assume", "iam:agencies:assume"]},
            {"Effect": "Deny", "Action": ["sts:agencies:assume"], "Resource": [urn.clone()]},
        ]),
    )
    .await;
    let legacy = json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {"agency_name": "deploy", "domain_id": app.account_id}}}});
    let a = app
        .call(
            &mallory,
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[],
            legacy,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // another account's agencies are not revealed by the legacy API either
    let other = json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {"agency_name": "nope", "domain_id": "0123456789abcdef0123456789abcdef"}}}});
    let a = app
        .call(
            &mallory,
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[],
            other,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
}

/// The escalation matrix and the encodings property over every policy API, on a system policy:
/// reads and attachments are authorized on the system policy's URN like a custom one's (a Deny on
/// it refuses in every spelling, an Allow scoped to it authorizes); the writes that would change
/// it are refused even to a caller allowed exactly them.
#[tokio::test]
async fn escalation_matrix_of_the_policy_apis_on_a_system_policy() {
    let system = (
        iam_server::system_policy_id("ModelArts CommonOperations").unwrap(),
        iam_server::system_policy_urn("ModelArts CommonOperations").unwrap(),
    );
    let mut checked = 0;
    for e in iam_server::endpoints() {
        let iam_server::Authz::Catalog(_) = e.authz else {
            continue;
        };
        if !e.path.starts_with("/v5/policies/{policy_id}") || e.path.contains("{version_id}") {
            continue;
        }
        let app = TestApp::new().await;
        let mut v = victims(&app).await;
        v.policy = system.clone();
        let (path, body, target) = call_on(e, &v);
        let actions = actions_of(e.method.as_str(), &path);
        assert!(!actions.is_empty(), "{} {}", e.method.as_str(), e.path);
        let method = e.method.as_str();
        let body = if method == "GET" || method == "DELETE" {
            Value::Null
        } else {
            body
        };
        let writes = matches!(method, "PUT" | "DELETE")
            || (method == "POST" && e.path.ends_with("/versions"));
        if writes {
            let (_, _, allowed) = user_with(
                &app,
                "allowed",
                json!([{"Effect": "Allow", "Action": actions, "Resource": [target]}]),
            )
            .await;
            let body = match method {
                "POST" => json!({"policy_document": admin_doc().to_string()}),
                "PUT" => json!({"description": "mine"}),
                _ => body,
            };
            let a = app.call(&allowed, method, &path, &[], body).await;
            assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
            checked += 1;
            continue;
        }
        let mut keys = vec![("StringEquals", "g:RequestedRegion", json!([common::REGION]))];
        if e.path.contains("/attach-") || e.path.contains("/detach-") {
            keys.push(("StringEquals", "iam:PolicyURN", json!([system.1.clone()])));
        }
        let call = MatrixCall {
            endpoint: e,
            path: &path,
            body: &body,
            target: &target,
            actions: &actions,
        };
        escalation_matrix(&app, &call, &keys, 0x5157 + checked as u64).await;
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} APIs checked");
}

/// The escalation matrix and the encodings property over every workspace and enterprise-project
/// API that names one in its path: a Deny on the entity's URN (`modelarts:<region>:<account>:
/// workspace:<id>`, `eps::<account>:enterpriseProject:<id>`) refuses in every spelling, a Deny
/// conditioned on its `g:EnterpriseProjectId` refuses, an Allow scoped to exactly it authorizes.
/// Not here, tested in `workspaces.rs`: `DELETE …/workspaces/{id}` (it also needs the delete
/// actions of what the workspace holds, on other URNs) and `POST …/{id}/action` (`Handler`: the
/// body names the action).
#[tokio::test]
async fn escalation_matrix_and_encodings_of_the_workspace_and_enterprise_project_apis() {
    let mut checked = 0;
    for e in iam_server::endpoints() {
        let iam_server::Authz::Catalog(_) = e.authz else {
            continue;
        };
        let workspace = e.path.contains("{workspace_id}");
        let project = e.path.contains("{enterprise_project_id}");
        if !(workspace || project) || (workspace && e.method.as_str() == "DELETE") {
            continue;
        }
        let app = TestApp::new().await;
        let ep = app
            .root(
                "POST",
                "/v1.0/enterprise-projects",
                json!({"name": "victim-ep"}),
            )
            .await;
        let ep_id = ep.body["enterprise_project"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ws = app
            .root(
                "POST",
                &format!("/v1/{}/workspaces", app.project_id),
                json!({"name": "victim-ws", "enterprise_project_id": ep_id}),
            )
            .await;
        assert_eq!(ws.status, 200, "{}", ws.body);
        let ws_id = ws.body["id"].as_str().unwrap().to_owned();
        let path = e
            .path
            .replace("{project_id}", &app.project_id)
            .replace("{workspace_id}", &ws_id)
            .replace("{enterprise_project_id}", &ep_id);
        let target = if workspace {
            format!(
                "modelarts:{}:{}:workspace:{ws_id}",
                common::REGION,
                app.account_id
            )
        } else {
            format!("eps::{}:enterpriseProject:{ep_id}", app.account_id)
        };
        let actions = actions_of(e.method.as_str(), &path);
        assert!(!actions.is_empty(), "{} {}", e.method.as_str(), e.path);
        let body = match (e.method.as_str(), e.path.ends_with("/quotas")) {
            ("GET" | "DELETE", _) => Value::Null,
            ("PUT", true) => json!({"quotas": [{"resource": "notebook", "quota": 2}]}),
            (_, _) if workspace => json!({"description": "changed"}),
            _ => json!({"name": "renamed-ep"}),
        };
        let keys = [
            ("StringEquals", "g:RequestedRegion", json!([common::REGION])),
            (
                "StringEquals",
                "g:EnterpriseProjectId",
                json!([ep_id.clone()]),
            ),
        ];
        let call = MatrixCall {
            endpoint: e,
            path: &path,
            body: &body,
            target: &target,
            actions: &actions,
        };
        escalation_matrix(&app, &call, &keys, 0xeb5 + checked as u64).await;
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} APIs checked");
}
