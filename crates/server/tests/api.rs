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
    for e in iam_server::ENDPOINTS {
        let (method, path) = (e.method, e.path);
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
    for e in iam_server::ENDPOINTS {
        let (method, path) = (e.method, e.path);
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
