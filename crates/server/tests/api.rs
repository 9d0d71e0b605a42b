//! In-process API tests: authentication, per-call authorization, CRUD round trips, bad input,
//! read-your-writes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use axum::body::Body;
use common::{Key, TestApp, assert_huawei_error};
use http::Request;
use serde_json::{Value, json};

const NOTEBOOKS: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:*"],"Resource":["*"]}]}"#;

#[tokio::test]
async fn healthz_needs_no_signature_and_has_a_request_id() {
    let app = TestApp::new().await;
    let a = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["status"], "ok");
    assert!(a.headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn authentication_failures_are_apigw_0301() {
    let app = TestApp::new().await;
    // no Authorization header
    let a = app
        .send(
            Request::get("/v5/users")
                .header("Host", common::HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_huawei_error(&a, 401, "APIGW.0301");
    // wrong secret
    let bad = Key {
        ak: app.root.ak.clone(),
        sk: "x".repeat(40),
    };
    let a = app.call(&bad, "GET", "/v5/users", &[], Value::Null).await;
    assert_huawei_error(&a, 401, "APIGW.0301");
    // unknown access key
    let unknown = Key {
        ak: "AKUNKNOWN00000000000".into(),
        sk: "x".repeat(40),
    };
    let a = app
        .call(&unknown, "GET", "/v5/users", &[], Value::Null)
        .await;
    assert_huawei_error(&a, 401, "APIGW.0301");
    // stale date
    let a = app
        .send(
            Request::get("/v5/users")
                .header("Host", common::HOST)
                .header("X-Sdk-Date", "20200101T000000Z")
                .header(
                    "Authorization",
                    format!(
                        "SDK-HMAC-SHA256 Access={}, SignedHeaders=host;x-sdk-date, Signature={}",
                        app.root.ak,
                        "0".repeat(64)
                    ),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_huawei_error(&a, 401, "APIGW.0301");
    // metrics and openapi need a signature too
    for path in ["/metrics", "/openapi.json"] {
        let a = app
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_huawei_error(&a, 401, "APIGW.0301");
    }
}

#[tokio::test]
async fn user_without_permission_gets_the_huawei_denial_text() {
    let app = TestApp::new().await;
    let (_id, urn, key) = app.user_with_key("bob").await;
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert_eq!(
        a.body["error_msg"],
        format!(
            "User: {urn} is not authorized to perform action iam:users:listUsersV5 on resource * because no identity-based policy allows the iam:users:listUsersV5 action."
        )
    );
}

#[tokio::test]
async fn policy_and_version_round_trip() {
    let app = TestApp::new().await;
    let p = app
        .root(
            "POST",
            "/v5/policies",
            json!({"policy_name": "nb", "policy_document": NOTEBOOKS, "description": "d"}),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let pol = &p.body["policy"];
    assert_eq!(pol["policy_type"], "custom");
    assert_eq!(pol["default_version_id"], "v1");
    assert_eq!(pol["urn"], format!("iam::{}:policy:nb", app.account_id));
    let pid = pol["policy_id"].as_str().unwrap();

    let g = app
        .root("GET", &format!("/v5/policies/{pid}"), Value::Null)
        .await;
    assert_eq!(g.body["policy"]["policy_name"], "nb");

    let v = app
        .root(
            "POST",
            &format!("/v5/policies/{pid}/versions"),
            json!({"policy_document": NOTEBOOKS, "set_as_default": true}),
        )
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(v.body["policy_version"]["version_id"], "v2");
    assert_eq!(v.body["policy_version"]["is_default"], true);

    let l = app
        .root("GET", &format!("/v5/policies/{pid}/versions"), Value::Null)
        .await;
    assert_eq!(l.body["page_info"]["current_count"], 2);

    let d = app
        .root(
            "POST",
            &format!("/v5/policies/{pid}/versions/v1/set-default"),
            Value::Null,
        )
        .await;
    assert!(d.status.is_success(), "{}", d.body);
    let g = app
        .root("GET", &format!("/v5/policies/{pid}"), Value::Null)
        .await;
    assert_eq!(g.body["policy"]["default_version_id"], "v1");

    let del = app
        .root(
            "DELETE",
            &format!("/v5/policies/{pid}/versions/v2"),
            Value::Null,
        )
        .await;
    assert!(del.status.is_success(), "{}", del.body);
    let del = app
        .root("DELETE", &format!("/v5/policies/{pid}"), Value::Null)
        .await;
    assert!(del.status.is_success(), "{}", del.body);
    let g = app
        .root("GET", &format!("/v5/policies/{pid}"), Value::Null)
        .await;
    assert_huawei_error(&g, 404, "IAM.0004");
}

#[tokio::test]
async fn users_groups_and_keys_round_trip() {
    let app = TestApp::new().await;
    let (uid, _urn, _key) = app.user_with_key("alice").await;
    let g = app
        .root(
            "POST",
            "/v5/groups",
            json!({"group_name": "devs", "description": "developers"}),
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    let gid = g.body["group"]["group_id"].as_str().unwrap().to_owned();
    let a = app
        .root(
            "POST",
            &format!("/v5/groups/{gid}/add-user"),
            json!({"user_id": uid}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    let members = app
        .call(
            &app.root,
            "GET",
            "/v5/users",
            &[("group_id", &gid)],
            Value::Null,
        )
        .await;
    assert_eq!(members.body["users"][0]["user_id"], uid.as_str());
    let keys = app
        .root("GET", &format!("/v5/users/{uid}/access-keys"), Value::Null)
        .await;
    assert_eq!(keys.body["access_keys"].as_array().unwrap().len(), 1);
    assert!(
        keys.body["access_keys"][0]
            .get("secret_access_key")
            .is_none()
    );
    let up = app
        .root(
            "PUT",
            &format!("/v5/users/{uid}"),
            json!({"new_description": "hello", "enabled": false}),
        )
        .await;
    assert_eq!(up.body["user"]["description"], "hello");
    assert_eq!(up.body["user"]["enabled"], false);
    let r = app
        .root(
            "POST",
            &format!("/v5/groups/{gid}/remove-user"),
            json!({"user_id": uid}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let d = app
        .root("DELETE", &format!("/v5/users/{uid}"), Value::Null)
        .await;
    assert!(d.status.is_success(), "{}", d.body);
}

#[tokio::test]
async fn bad_input_is_4xx_in_huawei_shape_and_changes_nothing() {
    let app = TestApp::new().await;
    let before = app.root("GET", "/v5/policies", Value::Null).await.body;
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "POST",
            "/v5/policies",
            b"{not json".to_vec(),
            400,
            "IAM.0001",
        ),
        (
            "POST",
            "/v5/policies",
            br#"{"policy_name": 5, "policy_document": "{}"}"#.to_vec(),
            400,
            "IAM.0001",
        ),
        (
            "POST",
            "/v5/policies",
            br#"{"policy_name": "x"}"#.to_vec(),
            400,
            "IAM.0001",
        ),
        ("POST", "/v5/policies", br#"[]"#.to_vec(), 400, "IAM.0001"),
        ("POST", "/v5/policies", Vec::new(), 400, "IAM.0001"),
        (
            "POST",
            "/v5/policies",
            br#"{"policy_name": "bad", "policy_document": "{\"Version\": \"5.0\""}"#.to_vec(),
            400,
            "IAM.0008",
        ),
        (
            "GET",
            "/v5/policies/00000000000000000000000000000000",
            Vec::new(),
            404,
            "IAM.0004",
        ),
        (
            "POST",
            "/v5/groups/nope/add-user",
            br#"{"user_id": "nope"}"#.to_vec(),
            404,
            "IAM.0004",
        ),
        ("POST", "/v5/policies", vec![b' '; 2 << 20], 413, "IAM.0006"),
        ("GET", "/v5/nothing-here", Vec::new(), 404, "APIGW.0101"),
    ];
    for (method, path, body, status, code) in cases {
        let root = app.root.clone();
        let a = app.call_raw(&root, method, path, &[], body).await;
        assert_huawei_error(&a, status, code);
    }
    let a = app
        .call(
            &app.root,
            "GET",
            "/v5/users",
            &[("limit", "0")],
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
    let a = app
        .call(
            &app.root,
            "GET",
            "/v5/users",
            &[("limit", "abc")],
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
    let after = app.root("GET", "/v5/policies", Value::Null).await.body;
    assert_eq!(before, after);
}

#[tokio::test]
async fn the_field_path_is_named() {
    let app = TestApp::new().await;
    let a = app
        .root("POST", "/v5/users", json!({"name": "x", "enabled": "yes"}))
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
    assert!(
        a.body["error_msg"].as_str().unwrap().contains("`enabled`"),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn limits_third_key_and_sixth_version() {
    let app = TestApp::new().await;
    let (uid, _, _) = app.user_with_key("k").await;
    let second = app
        .root("POST", &format!("/v5/users/{uid}/access-keys"), Value::Null)
        .await;
    assert_eq!(second.status, 200);
    let third = app
        .root("POST", &format!("/v5/users/{uid}/access-keys"), Value::Null)
        .await;
    assert_huawei_error(&third, 400, "IAM.0007");

    let p = app
        .root(
            "POST",
            "/v5/policies",
            json!({"policy_name": "v", "policy_document": NOTEBOOKS}),
        )
        .await;
    let pid = p.body["policy"]["policy_id"].as_str().unwrap().to_owned();
    for _ in 0..4 {
        let v = app
            .root(
                "POST",
                &format!("/v5/policies/{pid}/versions"),
                json!({"policy_document": NOTEBOOKS}),
            )
            .await;
        assert_eq!(v.status, 200, "{}", v.body);
    }
    let sixth = app
        .root(
            "POST",
            &format!("/v5/policies/{pid}/versions"),
            json!({"policy_document": NOTEBOOKS}),
        )
        .await;
    assert_huawei_error(&sixth, 400, "IAM.0007");
    let l = app
        .root("GET", &format!("/v5/policies/{pid}/versions"), Value::Null)
        .await;
    assert_eq!(l.body["page_info"]["current_count"], 5);
}

#[tokio::test]
async fn openapi_lists_every_endpoint() {
    let app = TestApp::new().await;
    let a = app.root("GET", "/openapi.json", Value::Null).await;
    assert_eq!(a.status, 200);
    let paths = a.body["paths"].as_object().unwrap();
    for e in iam_server::endpoints() {
        let (method, path) = (e.method.as_str(), e.path);
        let item = &paths[path];
        assert!(
            item.get(method.to_ascii_lowercase()).is_some(),
            "{method} {path} missing"
        );
    }
}

#[tokio::test]
async fn every_documented_endpoint_is_routed() {
    let app = TestApp::new().await;
    for e in iam_server::endpoints() {
        let (method, path) = (e.method.as_str(), e.path);
        let concrete = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x0000" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let root = app.root.clone();
        let a = app
            .call_raw(&root, method, &concrete, &[], b"{}".to_vec())
            .await;
        assert_ne!(
            a.body["error_code"], "APIGW.0101",
            "{method} {path}: {}",
            a.body
        );
        assert_ne!(a.status.as_u16(), 405, "{method} {path}");
        assert!(a.status.as_u16() < 500, "{method} {path}: {}", a.body);
    }
}

#[tokio::test]
async fn read_your_writes_through_authorize() {
    let app = TestApp::new().await;
    let (uid, urn, _) = app.user_with_key("alice").await;
    let d = app.authorize(&urn, "modelarts:notebook:create", "*").await;
    assert_eq!(d["decision"], "implicit_deny", "{d}");
    assert_eq!(
        d["message"],
        format!(
            "User: {urn} is not authorized to perform action modelarts:notebook:create on resource * because no identity-based policy allows the modelarts:notebook:create action."
        )
    );
    let pid = app
        .grant(&uid, "nb", serde_json::from_str(NOTEBOOKS).unwrap())
        .await;
    let d = app.authorize(&urn, "modelarts:notebook:create", "*").await;
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["allowed"], true);

    let deny = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:*"]},{"Effect":"Deny","Action":["modelarts:notebook:delete"]}]}"#;
    let v = app
        .root(
            "POST",
            &format!("/v5/policies/{pid}/versions"),
            json!({"policy_document": deny, "set_as_default": true}),
        )
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    let d = app.authorize(&urn, "modelarts:notebook:delete", "*").await;
    assert_eq!(d["decision"], "explicit_deny", "{d}");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .ends_with("with an explicit deny in an identity-based policy.")
    );

    app.revoke(&uid, &pid).await;
    let d = app.authorize(&urn, "modelarts:notebook:create", "*").await;
    assert_eq!(d["decision"], "implicit_deny", "{d}");
}

#[tokio::test]
async fn batch_authorize_and_access_key_principal() {
    let app = TestApp::new().await;
    let (uid, urn, key) = app.user_with_key("dora").await;
    app.grant(&uid, "nb", serde_json::from_str(NOTEBOOKS).unwrap())
        .await;
    let a = app
        .root(
            "POST",
            "/v1/authorize",
            json!({"requests": [
                {"principal": urn, "action": "modelarts:notebook:create"},
                {"access_key_id": key.ak, "action": "modelarts:trainJob:create", "context": {"g:SourceIp": "10.0.0.1"}}
            ]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["results"][0]["decision"], "allow");
    assert_eq!(a.body["results"][1]["decision"], "implicit_deny");
    let bad = app
        .root(
            "POST",
            "/v1/authorize",
            json!({"requests": [{"principal": urn}]}),
        )
        .await;
    assert_huawei_error(&bad, 400, "IAM.0001");
    let unknown = app
        .root(
            "POST",
            "/v1/authorize",
            json!({"principal": "iam::x:user:nobody", "action": "a:b:c"}),
        )
        .await;
    assert_huawei_error(&unknown, 404, "IAM.0004");
}

#[tokio::test]
async fn a_granted_user_may_call_the_api() {
    let app = TestApp::new().await;
    let (uid, urn, key) = app.user_with_key("erin").await;
    let doc = json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:users:listUsersV5", "iam:users:getUserV5"]}]});
    app.grant(&uid, "read-users", doc).await;
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let me = app
        .call(&key, "GET", &format!("/v5/users/{uid}"), &[], Value::Null)
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user"]["urn"], urn.as_str());
    let no = app
        .call(&key, "POST", "/v5/groups", &[], json!({"group_name": "g"}))
        .await;
    assert_huawei_error(&no, 403, "IAM.0003");
    assert!(no.body["encoded_authorization_message"].is_string());
}

/// Every cache a signed call goes through (the shared and the per-thread credential caches, the
/// remembered allowed calls, on the router and on the `/v1/authorize` fast lane) is filled, then
/// the key is deleted: the very next call with it is refused (docs/server.md, "Caches").
#[tokio::test]
async fn a_deleted_access_key_is_refused_at_once() {
    let app = TestApp::new().await;
    let (uid, urn, key) = app.user_with_key("gina").await;
    let doc = json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:users:listUsersV5", "iam:decisions:authorize"]}]});
    app.grant(&uid, "list-and-decide", doc).await;
    let decide = json!({"principal": urn, "action": "modelarts:notebook:create"});
    for _ in 0..3 {
        let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let d = app
            .call(&key, "POST", "/v1/authorize", &[], decide.clone())
            .await;
        assert_eq!(d.status, 200, "{}", d.body);
    }
    let del = app
        .root(
            "DELETE",
            &format!("/v5/users/{uid}/access-keys/{}", key.ak),
            Value::Null,
        )
        .await;
    assert!(del.status.is_success(), "{}", del.body);
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_huawei_error(&a, 401, "APIGW.0301");
    let d = app.call(&key, "POST", "/v1/authorize", &[], decide).await;
    assert_huawei_error(&d, 401, "APIGW.0301");
}

/// Allowed API calls are remembered per snapshot for callers whose policies hold no condition:
/// a write that takes the permission away denies the very next call, and a permission under a
/// condition is decided afresh on every call.
#[tokio::test]
async fn remembered_api_call_permissions_follow_every_write() {
    let app = TestApp::new().await;
    let (uid, _urn, key) = app.user_with_key("carol").await;
    let list = |effect: &str, condition: Value| {
        let mut statement = json!({"Effect": effect, "Action": ["iam:users:listUsersV5"]});
        if !condition.is_null() {
            statement["Condition"] = condition;
        }
        json!({"Version": "5.0", "Statement": [statement]})
    };
    let pid = app
        .grant(&uid, "list-users", list("Allow", Value::Null))
        .await;
    for _ in 0..3 {
        let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    // a disabled user's key stops working at once, and works again once enabled
    for (enabled, status) in [(false, 401), (true, 200)] {
        let up = app
            .root(
                "PUT",
                &format!("/v5/users/{uid}"),
                json!({"enabled": enabled}),
            )
            .await;
        assert_eq!(up.status, 200, "{}", up.body);
        let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
        assert_eq!(a.status.as_u16(), status, "enabled={enabled}: {}", a.body);
    }
    app.revoke(&uid, &pid).await;
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");

    // allowed only before 2000: every call is decided with the current time, none remembered
    let past = json!({"DateLessThan": {"g:CurrentTime": "2000-01-01T00:00:00Z"}});
    app.grant(&uid, "list-users-in-the-past", list("Allow", past))
        .await;
    for _ in 0..2 {
        let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
        assert_huawei_error(&a, 403, "IAM.0003");
    }
    // allowed for the next six seconds: allowed now, denied once the time has passed
    let until = time::OffsetDateTime::now_utc() + time::Duration::seconds(6);
    let until = until
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let soon = json!({"DateLessThan": {"g:CurrentTime": until}});
    app.grant(&uid, "list-users-briefly", list("Allow", soon))
        .await;
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    app.grant(&uid, "list-users-again", list("Allow", Value::Null))
        .await;
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // an unconditional deny added next to it wins at once
    app.grant(&uid, "deny-list-users", list("Deny", Value::Null))
        .await;
    let a = app.call(&key, "GET", "/v5/users", &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
}

/// The decision API reads its strings straight from the body; strings written with JSON escapes
/// (which cannot be borrowed) must decide exactly like their plain spelling.
#[tokio::test]
async fn authorize_reads_escaped_strings_like_plain_ones() {
    let app = TestApp::new().await;
    let (uid, urn, _) = app.user_with_key("erin").await;
    let doc = json!({"Version": "5.0", "Statement": [{"Effect": "Allow",
        "Action": ["modelarts:notebook:create"],
        "Condition": {"IpAddress": {"g:SourceIp": ["10.0.0.0/8"]}}}]});
    app.grant(&uid, "nb-from-10", doc).await;
    let escaped_urn: String = urn
        .chars()
        .map(|c| format!("\\u{:04x}", u32::from(c)))
        .collect();
    // (body, expected decision, expected action and resource in the answer)
    let cases = [
        (
            format!(
                r#"{{"principal":"{urn}","action":"modelarts:notebook:create","context":{{"g:SourceIp":"10.1.2.3"}}}}"#
            ),
            "allow",
        ),
        (
            format!(
                r#"{{"principal":"{escaped_urn}","action":"modelarts:notebook:\u0063reate","resource":"\u002a","context":{{"g:\u0053ourceIp":"10.1.2.\u0033"}}}}"#
            ),
            "allow",
        ),
        (
            format!(
                r#"{{"principal":"{escaped_urn}","action":"modelarts:notebook:\u0063reate","context":{{"g:\u0053ourceIp":["192.168.0.\u0031"]}}}}"#
            ),
            "implicit_deny",
        ),
    ];
    let root = app.root.clone();
    for (body, decision) in cases {
        let a = app
            .call_raw(
                &root,
                "POST",
                "/v1/authorize",
                &[],
                body.clone().into_bytes(),
            )
            .await;
        assert_eq!(a.status, 200, "{body}: {}", a.body);
        assert_eq!(a.body["decision"], decision, "{body}: {}", a.body);
        assert_eq!(a.body["principal"], urn.as_str(), "{body}");
        assert_eq!(a.body["action"], "modelarts:notebook:create", "{body}");
        assert_eq!(a.body["resource"], "*", "{body}");
    }
}

// ---------------------------------------------------------------------------------------------
// Findings 6 and 10: the tenant administrator cannot be forged, names cannot impersonate.

/// The catalog actions of the ModelArts agency routes, which the middleware checks before the
/// tenant-administrator rule.
fn agency_routes() -> Value {
    json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": [
        "iam:agencies:createAgency", "iam:agencies:getAgency", "iam:authorizations:create",
        "iam:authorizations:list", "iam:authorizations:delete", "iam:policies:create",
        "iam:policies:attach*"], "Resource": ["*"]}]})
}

async fn admin_group_id(app: &TestApp) -> String {
    app.state
        .store()
        .admin_group(&app.account_id)
        .await
        .unwrap()
        .id
}

/// `POST /v2/{project}/agency` and `GET /v2/{project}/authorizations` as `key`: both statuses.
async fn agency_admin_calls(app: &TestApp, key: &Key, suffix: &str) -> (u16, u16) {
    let create = app
        .call(
            key,
            "POST",
            &format!("/v2/{}/agency", app.project_id),
            &[],
            json!({"agency_name_suffix": suffix}),
        )
        .await;
    let list = app
        .call(
            key,
            "GET",
            &format!("/v2/{}/authorizations", app.project_id),
            &[],
            Value::Null,
        )
        .await;
    for a in [&create, &list] {
        if a.status == 403 {
            assert_huawei_error(a, 403, "IAM.0003");
            common::assert_error_msg_contains(a, "is not the tenant administrator");
        }
    }
    (create.status.as_u16(), list.status.as_u16())
}

/// A user allowed to manage the groups named `eve-*` (and the agency routes' actions), member of
/// its own group `eve-team`; returns (user id, key, group id).
async fn group_manager(app: &TestApp) -> (String, Key, String) {
    let (uid, _, key) = app.user_with_key("eve").await;
    let mine = format!("iam::{}:group:eve-*", app.account_id);
    app.grant(
        &uid,
        "eve-groups",
        json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["iam:groups:*"], "Resource": [mine]},
            {"Effect": "Allow", "Action": ["iam:groups:createGroupV5", "iam:groups:listGroupsV5"]}]}),
    )
    .await;
    app.grant(&uid, "eve-agency-routes", agency_routes()).await;
    let g = app
        .call(
            &key,
            "POST",
            "/v5/groups",
            &[],
            json!({"group_name": "eve-team"}),
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    let gid = g.body["group"]["group_id"].as_str().unwrap().to_owned();
    let a = app
        .call(
            &key,
            "POST",
            &format!("/v5/groups/{gid}/add-user"),
            &[],
            json!({"user_id": uid}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    (uid, key, gid)
}

#[tokio::test]
async fn finding_6_renaming_a_group_to_admin_does_not_make_tenant_admin() {
    let app = TestApp::new().await;
    let (_uid, key, gid) = group_manager(&app).await;
    let before = app.state.store().revision().await.unwrap();
    for (name, status, code) in [
        ("admin", 409, "IAM.0005"),
        ("Admin", 409, "IAM.0005"),
        ("ADMIN", 409, "IAM.0005"),
        ("ＡＤＭＩＮ", 400, "IAM.0001"),
        ("admin ", 400, "IAM.0001"),
        ("ad\u{200B}min", 400, "IAM.0001"),
    ] {
        let a = app
            .call(
                &key,
                "PUT",
                &format!("/v5/groups/{gid}"),
                &[],
                json!({"new_group_name": name}),
            )
            .await;
        assert_huawei_error(&a, status, code);
        if status == 409 {
            common::assert_error_msg_contains(&a, &admin_group_id(&app).await);
        }
    }
    assert_eq!(app.state.store().revision().await.unwrap(), before);
    // Still an ordinary group, and its member is not the tenant administrator.
    let g = app.state.store().get_group(&gid).await.unwrap();
    assert_eq!((g.name.as_str(), g.is_system), ("eve-team", false));
    assert_eq!(agency_admin_calls(&app, &key, "eve").await, (403, 403));
    // A rename to an unrelated name still works: the refusals are about `admin` only.
    let a = app
        .call(
            &key,
            "PUT",
            &format!("/v5/groups/{gid}"),
            &[],
            json!({"new_group_name": "eve-admins"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(agency_admin_calls(&app, &key, "eve").await, (403, 403));
}

#[tokio::test]
async fn finding_6_a_new_group_named_admin_is_refused() {
    let app = TestApp::new().await;
    let (_uid, key, _gid) = group_manager(&app).await;
    let admin_id = admin_group_id(&app).await;
    let root = app.root.clone();
    for k in [&key, &root] {
        for name in ["admin", "Admin"] {
            let a = app
                .call(k, "POST", "/v5/groups", &[], json!({"group_name": name}))
                .await;
            assert_huawei_error(&a, 409, "IAM.0005");
            common::assert_error_msg_contains(&a, &admin_id);
        }
    }
    // Exactly one group is called `admin`: the system group, shown in Huawei's group shape.
    let l = app.root("GET", "/v5/groups", Value::Null).await;
    let admins: Vec<&Value> = l.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["group_name"].as_str().unwrap().to_lowercase() == "admin")
        .collect();
    assert_eq!(admins.len(), 1, "{}", l.body);
    assert_eq!(admins[0]["group_id"], admin_id.as_str());
    let mut keys: Vec<&str> = admins[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["created_at", "description", "group_id", "group_name", "urn"]
    );
    assert_eq!(agency_admin_calls(&app, &key, "eve").await, (403, 403));
}

#[tokio::test]
async fn finding_6_the_system_admin_group_cannot_be_renamed_or_deleted() {
    let app = TestApp::new().await;
    let admin_id = admin_group_id(&app).await;
    let path = format!("/v5/groups/{admin_id}");
    let root_id = app.root("GET", "/v5/users", Value::Null).await.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["is_root_user"] == true)
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.state.store().revision().await.unwrap();
    // Even the root user: a system group is not modifiable (Huawei: the default group's basic
    // information cannot be modified, nor can the root user leave it).
    for (method, p, body) in [
        ("PUT", path.clone(), json!({"new_group_name": "admins"})),
        (
            "PUT",
            path.clone(),
            json!({"new_group_description": "mine"}),
        ),
        ("PUT", path.clone(), json!({"new_group_name": "admin"})),
        ("DELETE", path.clone(), Value::Null),
        (
            "POST",
            format!("{path}/remove-user"),
            json!({"user_id": root_id}),
        ),
    ] {
        let a = app.root(method, &p, body.clone()).await;
        assert_huawei_error(&a, 403, "IAM.0003");
        common::assert_error_msg_contains(&a, "cannot be");
    }
    assert_eq!(app.state.store().revision().await.unwrap(), before);
    let g = app.root("GET", &path, Value::Null).await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.body["group"]["group_name"], "admin");
    // Its membership is managed as usual.
    let (uid, _, key) = app.user_with_key("frank").await;
    app.grant(&uid, "frank-routes", agency_routes()).await;
    for (action, admin) in [("add-user", (200, 200)), ("remove-user", (403, 403))] {
        let a = app
            .root("POST", &format!("{path}/{action}"), json!({"user_id": uid}))
            .await;
        assert!(a.status.is_success(), "{}", a.body);
        assert_eq!(
            agency_admin_calls(&app, &key, &format!("f{action}").replace('-', "")).await,
            admin
        );
    }
}

#[tokio::test]
async fn finding_6_joining_admin_needs_permission_on_it() {
    let app = TestApp::new().await;
    let (uid, key, gid) = group_manager(&app).await;
    let admin_id = admin_group_id(&app).await;
    // eve may add users to the groups named `eve-*`, not to `admin`.
    let a = app
        .call(
            &key,
            "POST",
            &format!("/v5/groups/{admin_id}/add-user"),
            &[],
            json!({"user_id": uid}),
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    common::assert_error_msg_contains(&a, "iam:groups:addUserV5");
    common::assert_error_msg_contains(&a, &format!("iam::{}:group:admin", app.account_id));
    assert!(
        !app.state
            .store()
            .is_tenant_admin(&app.account_id, &uid)
            .await
            .unwrap()
    );
    assert_eq!(agency_admin_calls(&app, &key, "eve").await, (403, 403));
    // Her own group she may still manage.
    let (other, _, _) = app.user_with_key("olga").await;
    let a = app
        .call(
            &key,
            "POST",
            &format!("/v5/groups/{gid}/add-user"),
            &[],
            json!({"user_id": other}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    // Someone allowed addUserV5 on the admin group's URN may add her: then she is an administrator.
    let (gk_id, _, gatekeeper) = app.user_with_key("gatekeeper").await;
    app.grant(
        &gk_id,
        "gk-admin-group",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow",
            "Action": ["iam:groups:addUserV5"],
            "Resource": [format!("iam::{}:group:admin", app.account_id)]}]}),
    )
    .await;
    let a = app
        .call(
            &gatekeeper,
            "POST",
            &format!("/v5/groups/{admin_id}/add-user"),
            &[],
            json!({"user_id": uid}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    assert_eq!(agency_admin_calls(&app, &key, "eve").await, (200, 200));
}

#[tokio::test]
async fn finding_10_authorizations_list_is_admin_only() {
    let app = TestApp::new().await;
    let path = format!("/v2/{}/authorizations", app.project_id);
    let (wide_id, _, wide) = app.user_with_key("wide").await;
    app.grant(&wide_id, "wide-routes", agency_routes()).await;
    app.grant(
        &wide_id,
        "wide-all",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]}),
    )
    .await;
    let a = app.call(&wide, "GET", &path, &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    common::assert_error_msg_contains(&a, "is not the tenant administrator");
    common::assert_error_msg_contains(&a, "view agency authorizations");
    // The same text as the other administrator-only calls, but for the operation.
    let d = app
        .call(&wide, "DELETE", &path, &[("user_id", "all")], Value::Null)
        .await;
    assert_huawei_error(&d, 403, "IAM.0003");
    let shape = |m: &Value| {
        m.as_str()
            .unwrap()
            .split(": only")
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(shape(&a.body["error_msg"]), shape(&d.body["error_msg"]));
    // The root user and members of the admin group may list.
    let r = app.root("GET", &path, Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let admin_id = admin_group_id(&app).await;
    let m = app
        .root(
            "POST",
            &format!("/v5/groups/{admin_id}/add-user"),
            json!({"user_id": wide_id}),
        )
        .await;
    assert!(m.status.is_success(), "{}", m.body);
    let a = app.call(&wide, "GET", &path, &[], Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["total_count"], 0);
}

#[tokio::test]
async fn finding_10_impersonating_names_are_refused() {
    let app = TestApp::new().await;
    let trust = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]}]}"#;
    // Existing names to impersonate.
    let (alice, _, _) = app.user_with_key("alice").await;
    for (path, body) in [
        (
            "/v5/policies",
            json!({"policy_name": "obs-read", "policy_document": NOTEBOOKS}),
        ),
        (
            "/v5/agencies",
            json!({"agency_name": "ops", "trust_policy": trust}),
        ),
    ] {
        let a = app.root("POST", path, body).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let long = |n: usize| "x".repeat(n);
    // (create path, field, extra body fields, name, status)
    let group = ("/v5/groups", "group_name", json!({}));
    let user = ("/v5/users", "name", json!({"enabled": true}));
    let policy = (
        "/v5/policies",
        "policy_name",
        json!({"policy_document": NOTEBOOKS}),
    );
    let agency = (
        "/v5/agencies",
        "agency_name",
        json!({"trust_policy": trust}),
    );
    let cases: Vec<(&(&str, &str, Value), String, u16)> = vec![
        (&group, "admin ".into(), 400),
        (&group, "Admin".into(), 409),
        (&group, "ＡＤＭＩＮ".into(), 400),
        (&group, "ad\u{200B}min".into(), 400),
        (&group, "\u{202E}nimda".into(), 400),
        (&group, "../x".into(), 400),
        (&group, long(129), 400),
        (&group, String::new(), 400),
        (&user, "admin ".into(), 400),
        (&user, "Alice".into(), 409),
        (&user, "ａｌｉｃｅ".into(), 400),
        (&user, "al\u{200D}ice".into(), 400),
        (&user, "\u{202E}ecila".into(), 400),
        (&user, "../x".into(), 400),
        (&user, long(65), 400),
        (&user, String::new(), 400),
        (&policy, "OBS-Read".into(), 409),
        (&policy, "obs\u{2060}read".into(), 400),
        (&policy, "../x".into(), 400),
        (&policy, long(129), 400),
        (&agency, "OPS".into(), 409),
        (&agency, "ｏｐｓ".into(), 400),
        (&agency, "..".into(), 400),
        (&agency, long(65), 400),
    ];
    let before = app.state.store().revision().await.unwrap();
    for ((path, field, extra), name, status) in cases {
        let mut body = extra.clone();
        body[*field] = json!(name);
        let a = app.root("POST", path, body).await;
        let code = if status == 409 {
            "IAM.0005"
        } else {
            "IAM.0001"
        };
        assert_huawei_error(&a, status, code);
        if status == 400 {
            common::assert_error_msg_contains(&a, "name");
        }
    }
    assert_eq!(app.state.store().revision().await.unwrap(), before);
    // Renames too, except a change of case of the user's own name.
    let (bob, _, _) = app.user_with_key("bob").await;
    for (id, name, status) in [
        (&bob, "ALICE", 409),
        (&bob, "admin ", 400),
        (&bob, "ａｌｉｃｅ", 400),
        (&bob, "b\u{200B}ob", 400),
        (&alice, "Alice", 200),
    ] {
        let a = app
            .root(
                "PUT",
                &format!("/v5/users/{id}"),
                json!({"new_user_name": name}),
            )
            .await;
        assert_eq!(a.status.as_u16(), status, "{name:?}: {}", a.body);
    }
}
