//! The enforcement gateway in process: the reverse proxy in front of a real upstream on a
//! loopback port (what it forwards, what it refuses, and with which Huawei bodies), the nginx
//! `auth_request` endpoint, the context keys it fills, and the decision log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use common::{Answer, HOST, Key, TestApp, assert_error_msg_contains, assert_huawei_error};
use http::StatusCode;
use serde_json::{Value, json};

/// What the upstream saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Value>>>);

async fn upstream_handler(State(seen): State<Seen>, req: Request) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or(""))))
        .collect();
    let record = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    seen.0.lock().unwrap().push(record.clone());
    (
        StatusCode::OK,
        [("x-upstream", "fake-modelarts")],
        axum::Json(
            json!({"current": 0, "data": [], "pages": 0, "size": 0, "total": 0, "echo": record}),
        ),
    )
        .into_response()
}

async fn spawn_upstream() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .fallback(upstream_handler)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), seen)
}

struct World {
    app: TestApp,
    seen: Seen,
    project: String,
    alice: Key,
    alice_urn: String,
    bob: Key,
}

impl World {
    /// A signed call as alice, without query parameters.
    async fn as_alice(&self, method: &str, path: &str, body: Value) -> Answer {
        self.app.call(&self.alice, method, path, &[], body).await
    }
}

async fn world() -> World {
    let mut app = TestApp::new().await;
    let (url, seen) = spawn_upstream().await;
    app.router = iam_server::gateway::proxy_app(app.state.clone(), &url).unwrap();
    let project = app
        .state
        .store()
        .list_projects(&app.account_id)
        .await
        .unwrap()
        .remove(0)
        .id;
    let (alice_id, alice_urn, alice) = app.user_with_key("alice").await;
    app.grant(
        &alice_id,
        "ml-dev",
        json!({"Version":"5.0","Statement":[
            {"Effect":"Allow","Action":["modelarts:notebook:*","modelarts:trainJob:list","modelarts:trainJob:get"]},
            {"Effect":"Deny","Action":["modelarts:notebook:create"],"Condition":{"StringEquals":{"modelarts:poolType":["public"]}}}
        ]}),
    )
    .await;
    let (_, _, bob) = app.user_with_key("bob").await;
    World {
        app,
        seen,
        project,
        alice,
        alice_urn,
        bob,
    }
}

fn seen_count(w: &World) -> usize {
    w.seen.0.lock().unwrap().len()
}

#[tokio::test]
async fn allowed_requests_are_forwarded_with_the_callers_identity() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    let a = w
        .app
        .call(
            &w.alice,
            "GET",
            &path,
            &[("limit", "10"), ("offset", "0")],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.headers["x-upstream"], "fake-modelarts");
    let echo = &a.body["echo"];
    assert_eq!(echo["path"], json!(path));
    assert_eq!(echo["query"], "limit=10&offset=0");
    let h = &echo["headers"];
    assert_eq!(h["x-iam-principal-urn"], json!(w.alice_urn));
    assert_eq!(h["x-iam-account-id"], json!(w.app.account_id));
    assert_eq!(h["x-iam-action"], "modelarts:notebook:list");
    assert!(
        h.get("authorization").is_none(),
        "credentials are not forwarded"
    );
    assert!(h["x-request-id"].is_string());

    // POST with a JSON body (ListTrainingJobs) and a GET with a resource id
    let s = w
        .as_alice(
            "POST",
            &format!("/v2/{}/training-job-searches", w.project),
            json!({"offset": 0, "limit": 10}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["echo"]["body"], r#"{"offset":0,"limit":10}"#);
    let g = w
        .as_alice(
            "GET",
            &format!("/v2/{}/training-jobs/job-1", w.project),
            Value::Null,
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(
        g.body["echo"]["headers"]["x-iam-resource"],
        json!(format!(
            "modelarts:{}:{}:trainJob:job-1",
            common::REGION,
            w.app.account_id
        ))
    );
}

#[tokio::test]
async fn identity_headers_sent_by_the_client_are_not_trusted() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    let payload = Vec::new();
    let headers = [
        ("Host", HOST),
        ("Content-Type", "application/json"),
        ("X-Iam-Principal-Urn", "iam::0:user:admin"),
    ];
    let (signed, _) = common::sign_now(&w.alice, "GET", &path, &[], &headers, &payload);
    let mut req = Request::builder().method("GET").uri(&path);
    for (n, v) in headers {
        req = req.header(n, v);
    }
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    let a = w.app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["echo"]["headers"]["x-iam-principal-urn"],
        json!(w.alice_urn)
    );
}

#[tokio::test]
async fn denials_answer_huawei_bodies_and_never_reach_the_upstream() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    // no policy
    let a = w.app.call(&w.bob, "GET", &path, &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    let msg = a.body["error_msg"].as_str().unwrap();
    assert!(
        msg.contains("is not authorized to perform action modelarts:notebook:list")
            && msg.contains("because no identity-based policy allows"),
        "{msg}"
    );
    assert!(a.body["encoded_authorization_message"].is_string());
    // wrong secret
    let wrong = Key {
        ak: w.alice.ak.clone(),
        sk: "0".repeat(w.alice.sk.len()),
    };
    let a = w.app.call(&wrong, "GET", &path, &[], Value::Null).await;
    assert_huawei_error(&a, 401, "APIGW.0301");
    // unsigned
    let a = w
        .app
        .send(
            Request::builder()
                .uri(&path)
                .header("Host", HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_huawei_error(&a, 401, "APIGW.0301");
    // a project of no account
    let a = w
        .as_alice(
            "GET",
            "/v1/0123456789abcdef0123456789abcdef/notebooks",
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    // a ModelArts action outside alice's policy
    let a = w
        .as_alice(
            "DELETE",
            &format!("/v2/{}/training-jobs/job-1", w.project),
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert_eq!(seen_count(&w), 0);
}

#[tokio::test]
async fn the_pool_of_a_request_fills_modelarts_pool_keys() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    // no pool: public pool, denied by alice's explicit deny
    let a = w
        .as_alice("POST", &path, json!({"name": "nb", "flavor": "x"}))
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert_error_msg_contains(&a, "with an explicit deny in an identity-based policy");
    // a dedicated pool
    let a = w
        .as_alice(
            "POST",
            &path,
            json!({"name": "nb", "flavor": "x", "pool_id": "pool-7"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // the decoded explanation names the context
    let root = w.app.root.clone();
    let denied = w.as_alice("POST", &path, json!({"name": "nb"})).await;
    let d = w
        .app
        .call(
            &root,
            "POST",
            "/v5/decode-authorization-message",
            &[],
            json!({"encoded_message": denied.body["encoded_authorization_message"]}),
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let m: Value = serde_json::from_str(d.body["decoded_message"].as_str().unwrap()).unwrap();
    assert_eq!(m["context"]["modelarts:pooltype"], json!(["public"]));
    assert_eq!(m["decision"], "explicit_deny");
    assert_eq!(m["explanation"]["statements"][0]["statement_index"], 1);
}

#[tokio::test]
async fn iam_apis_stay_local_in_proxy_mode_and_a_dead_upstream_is_502() {
    let mut w = world().await;
    let u = w.app.root("GET", "/v5/users", Value::Null).await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(seen_count(&w), 0);
    // an upstream nobody listens on
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    w.app.router =
        iam_server::gateway::proxy_app(w.app.state.clone(), &format!("http://127.0.0.1:{port}"))
            .unwrap();
    let a = w
        .as_alice("GET", &format!("/v1/{}/notebooks", w.project), Value::Null)
        .await;
    assert_huawei_error(&a, 502, "APIGW.0502");
    for bad in [
        "ftp://x",
        "not a url",
        "https://example.test",
        "http://h/?q=1",
    ] {
        assert!(
            iam_server::gateway::proxy_app(w.app.state.clone(), bad).is_err(),
            "{bad}"
        );
    }
}

/// Signs the original request and sends the nginx subrequest for it.
async fn auth_request(
    w: &World,
    key: &Key,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    content_length: Option<&str>,
) -> Answer {
    let payload = Vec::new();
    let headers = [("Host", HOST), ("Content-Type", "application/json")];
    let (signed, uri) = common::sign_now(key, method, path, query, &headers, &payload);
    let mut req = Request::builder()
        .method("GET")
        .uri(iam_server::gateway::AUTH_PATH)
        .header("X-Original-Method", method)
        .header("X-Original-URI", uri)
        .header("X-Real-IP", "10.1.2.3");
    if let Some(cl) = content_length {
        req = req.header("X-Original-Content-Length", cl);
    }
    for (n, v) in headers {
        req = req.header(n, v);
    }
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    w.app.send(req.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn the_auth_request_endpoint_answers_for_nginx() {
    let mut w = world().await;
    // the plain server (no upstream) serves the endpoint too
    w.app.router = iam_server::app(w.app.state.clone());
    let path = format!("/v1/{}/notebooks", w.project);
    let ok = auth_request(&w, &w.alice, "GET", &path, &[("limit", "5")], Some("")).await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(ok.headers["x-iam-principal-urn"], w.alice_urn.as_str());
    assert_eq!(ok.headers["x-iam-action"], "modelarts:notebook:list");

    let no = auth_request(&w, &w.bob, "GET", &path, &[], None).await;
    assert_huawei_error(&no, 403, "IAM.0003");
    let header_body: Value =
        serde_json::from_str(no.headers["x-iam-error-body"].to_str().unwrap()).unwrap();
    assert_eq!(header_body, no.body);

    let wrong = Key {
        ak: w.alice.ak.clone(),
        sk: "0".repeat(w.alice.sk.len()),
    };
    let bad = auth_request(&w, &wrong, "GET", &path, &[], None).await;
    assert_huawei_error(&bad, 401, "APIGW.0301");
    assert!(bad.headers.contains_key("x-iam-error-body"));

    // a body nginx did not pass on cannot be verified: fail closed
    let body = auth_request(&w, &w.alice, "POST", &path, &[], Some("42")).await;
    assert_huawei_error(&body, 401, "APIGW.0301");

    // missing protocol headers
    let a = w
        .app
        .send(
            Request::builder()
                .uri(iam_server::gateway::AUTH_PATH)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
}

#[tokio::test]
async fn every_enforced_request_is_in_the_decision_log() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    assert_eq!(w.as_alice("GET", &path, Value::Null).await.status, 200);
    assert_eq!(
        w.app
            .call(&w.bob, "GET", &path, &[], Value::Null)
            .await
            .status,
        403
    );
    let wrong = Key {
        ak: w.bob.ak.clone(),
        sk: "0".repeat(w.bob.sk.len()),
    };
    assert_eq!(
        w.app
            .call(&wrong, "GET", &path, &[], Value::Null)
            .await
            .status,
        401
    );
    let root = w.app.root.clone();
    let items = common::wait_for_decisions(&w.app, &[("limit", "50")], |d| {
        d.iter()
            .filter(|d| d["extra"]["source"] == "gateway")
            .count()
            >= 3
    })
    .await;
    let gw: Vec<&Value> = items
        .iter()
        .filter(|d| d["extra"]["source"] == "gateway")
        .collect();
    assert_eq!(gw.len(), 3, "{items:?}");
    let (unauth, denied, allowed) = (gw[0], gw[1], gw[2]);
    assert_eq!(unauth["decision"], "unauthenticated");
    assert_eq!(unauth["access_key_id"], json!(w.bob.ak));
    // attributed to the key's owner (the signature did not verify)
    assert!(
        unauth["principal_urn"]
            .as_str()
            .unwrap()
            .ends_with(":user:bob"),
        "{unauth}"
    );
    assert_eq!(unauth["extra"]["claimed"], true);
    assert_eq!(denied["decision"], "implicit_deny");
    assert_eq!(denied["action"], "modelarts:notebook:list");
    assert_eq!(denied["layer"], "identity");
    assert_eq!(allowed["decision"], "allow");
    assert_eq!(allowed["principal_urn"], json!(w.alice_urn));
    assert_eq!(
        allowed["resource"],
        json!(format!(
            "modelarts:{}:{}:notebook:*",
            common::REGION,
            w.app.account_id
        ))
    );
    assert!(
        allowed["determining_statement"]
            .as_str()
            .unwrap()
            .starts_with("identity:"),
        "{allowed}"
    );
    assert_eq!(allowed["extra"]["mode"], "proxy");
    // filters
    let l = w
        .app
        .call(
            &root,
            "GET",
            "/v1/decisions",
            &[("decision", "allow"), ("principal_urn", &w.alice_urn)],
            Value::Null,
        )
        .await;
    let only = l.body["decisions"].as_array().unwrap();
    assert!(!only.is_empty());
    assert!(only.iter().all(|d| d["decision"] == "allow"));
}

#[tokio::test]
async fn an_scp_of_the_callers_account_denies_through_the_proxy() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    assert_eq!(w.as_alice("GET", &path, Value::Null).await.status, 200);
    // the test account becomes a member of another account's organization whose SCP denies
    // listing notebooks
    let (root, scp) = common::member_of_org_with_deny_scp(
        &w.app,
        "no-notebook-listing",
        &["modelarts:notebook:list"],
    )
    .await;
    let store = w.app.state.store();
    store.attach_scp(&scp, &root).await.unwrap();
    w.app.state.rebuild().await.unwrap();
    let before = seen_count(&w);
    let a = w.as_alice("GET", &path, Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert!(
        a.body["error_msg"]
            .as_str()
            .unwrap()
            .ends_with("with an explicit deny in a service control policy."),
        "{}",
        a.body
    );
    assert_eq!(seen_count(&w), before);
    // what the SCP leaves alone still passes
    let t = w
        .as_alice(
            "GET",
            &format!("/v2/{}/training-jobs/j", w.project),
            Value::Null,
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.body);
}

#[tokio::test]
async fn auth_request_verifies_bodies_signed_as_unsigned_payload() {
    let mut w = world().await;
    w.app.router = iam_server::app(w.app.state.clone());
    let path = format!("/v2/{}/training-job-searches", w.project);
    let body = b"limit=10";
    let headers = [("Host", HOST), ("Content-Type", "application/octet-stream")];
    let (signed, _) = common::sign_now(&w.alice, "POST", &path, &[], &headers, body);
    assert_eq!(
        signed.header("x-sdk-content-sha256"),
        Some("UNSIGNED-PAYLOAD")
    );
    let mut req = Request::builder()
        .method("GET")
        .uri(iam_server::gateway::AUTH_PATH)
        .header("X-Original-Method", "POST")
        .header("X-Original-URI", &path)
        .header("X-Original-Content-Length", body.len().to_string());
    for (n, v) in headers {
        req = req.header(n, v);
    }
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    let a = w.app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(a.headers["x-iam-action"], "modelarts:trainJob:list");
}

/// `POST /v1/authorize` takes a lane beside the router in `app` (crates/server/src/lib.rs,
/// `fast_lane`); the proxy dispatches its local requests through the router alone. Both must
/// answer every request the same: decisions, batches, and every kind of error.
#[tokio::test]
async fn the_decision_fast_lane_answers_like_the_router() {
    let mut app = TestApp::new().await;
    let (uid, urn, key) = app.user_with_key("dora").await;
    app.grant(
        &uid,
        "nb",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:create"]}]}),
    )
    .await;
    let root = app.root.clone();
    let one = |action: &str| json!({"principal": urn, "action": action}).to_string();
    // (signing key, method, path, body)
    let cases: Vec<(Key, &str, &str, String)> = vec![
        (root.clone(), "POST", "/v1/authorize", one("modelarts:notebook:create")),
        (root.clone(), "POST", "/v1/authorize", one("modelarts:notebook:delete")),
        (
            root.clone(),
            "POST",
            "/v1/authorize",
            json!({"requests": [serde_json::from_str::<Value>(&one("modelarts:notebook:create")).unwrap(), {"principal": urn, "action": "obs:bucket:list", "resource": "obs:::bucket:b"}]}).to_string(),
        ),
        (root.clone(), "POST", "/v1/authorize", json!({"requests": []}).to_string()),
        (root.clone(), "POST", "/v1/authorize", "{".to_owned()),
        (root.clone(), "POST", "/v1/authorize", "[]".to_owned()),
        (root.clone(), "POST", "/v1/authorize", String::new()),
        (root.clone(), "POST", "/v1/authorize", json!({"principal": urn, "action": 1}).to_string()),
        (root.clone(), "POST", "/v1/authorize", json!({"principal": urn, "action": "a:b:c", "extra": 1}).to_string()),
        (root.clone(), "POST", "/v1/authorize", json!({"principal": "iam::0:user:nobody", "action": "a:b:c"}).to_string()),
        (root.clone(), "POST", "/v1/authorize", json!({"principal": urn, "access_key_id": key.ak, "action": "a:b:c"}).to_string()),
        // dora may not call the decision API herself
        (key.clone(), "POST", "/v1/authorize", one("modelarts:notebook:create")),
        (
            Key { ak: root.ak.clone(), sk: "not-the-secret".to_owned() },
            "POST",
            "/v1/authorize",
            one("modelarts:notebook:create"),
        ),
        (Key { ak: "NOSUCHKEY".to_owned(), sk: "x".to_owned() }, "POST", "/v1/authorize", one("a:b:c")),
        (root.clone(), "GET", "/v1/authorize", String::new()),
        (root.clone(), "POST", "/v1/authorize/", one("modelarts:notebook:create")),
        (root.clone(), "POST", "/v1/authorize", "x".repeat(iam_server::MAX_BODY_BYTES + 1)),
    ];
    let mut answers = Vec::new();
    for router in [
        iam_server::app(app.state.clone()),
        iam_server::gateway::proxy_app(app.state.clone(), "http://127.0.0.1:9").unwrap(),
    ] {
        app.router = router;
        let mut these = Vec::new();
        for (key, method, path, body) in &cases {
            let a = app
                .call_raw(key, method, path, &[], body.clone().into_bytes())
                .await;
            assert!(
                a.headers.contains_key("x-request-id"),
                "{method} {path} {body:.80}"
            );
            let mut body = a.body;
            if let Some(o) = body.as_object_mut() {
                o.remove("request_id");
                // sealed with a fresh nonce each time: compare that it is there
                if let Some(sealed) = o.get_mut("encoded_authorization_message") {
                    *sealed = Value::Bool(sealed.as_str().is_some_and(|s| !s.is_empty()));
                }
            }
            these.push((a.status, body));
        }
        answers.push(these);
    }
    for (i, (fast, routed)) in answers[0].iter().zip(&answers[1]).enumerate() {
        let (_, method, path, body) = &cases[i];
        assert_eq!(fast, routed, "case {i}: {method} {path} {body:.80}");
    }
    // the table covers allow, deny, a batch and the error paths
    let statuses: std::collections::BTreeSet<u16> =
        answers[0].iter().map(|(s, _)| s.as_u16()).collect();
    assert_eq!(
        statuses,
        [200, 400, 401, 403, 404, 405, 413].into_iter().collect(),
        "{:?}",
        answers[0]
            .iter()
            .map(|(s, b)| (s.as_u16(), b.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(answers[0][0].1["decision"], "allow");
    assert_eq!(answers[0][1].1["decision"], "implicit_deny");
    assert_eq!(answers[0][2].1["results"][0]["decision"], "allow");
}
