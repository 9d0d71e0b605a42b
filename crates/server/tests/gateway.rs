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

/// Query `pad=N` asks the upstream for a JSON answer of more than `N` bytes (`Content-Length`),
/// `chunks=N` for one sent as N chunked pieces of 10,000 bytes (no length).
async fn upstream_handler(State(seen): State<Seen>, req: Request) -> axum::response::Response {
    let query = req.uri().query().unwrap_or("").to_owned();
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let (pad, chunks) = (param("pad"), param("chunks"));
    if let Some(n) = pad {
        return axum::Json(json!({"pad": "a".repeat(n)})).into_response();
    }
    if let Some(n) = chunks {
        let mut pieces: Vec<Result<String, std::io::Error>> = vec![Ok("{\"pad\":\"".to_owned())];
        pieces.extend((0..n).map(|_| Ok("b".repeat(10_000))));
        pieces.push(Ok("\"}".to_owned()));
        return Body::from_stream(futures_util::stream::iter(pieces)).into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or(""))))
        .collect();
    // every header line as received, in order, duplicates included
    let header_list: Vec<Value> = parts
        .headers
        .iter()
        .map(|(k, v)| json!([k.as_str(), String::from_utf8_lossy(v.as_bytes())]))
        .collect();
    let record = json!({
        "method": parts.method.as_str(),
        "target": parts.uri.to_string(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "header_list": header_list,
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
    // creating notebooks and jobs makes ModelArts act with the agency
    app.authorize_modelarts_for_all().await;
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

/// The upstream's answer reaches the client whole, whatever its size and framing: read whole
/// (known length up to `BUFFERED_ANSWER`), streamed with its length, or streamed in chunks.
#[tokio::test]
async fn answers_of_every_size_and_framing_arrive_whole() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    let limit = usize::try_from(iam_server::gateway::BUFFERED_ANSWER).unwrap();
    for (param, n, expected) in [
        ("pad", 0, 0),
        ("pad", 1_000, 1_000),
        ("pad", limit - 20, limit - 20),
        ("pad", limit + 1, limit + 1),
        ("pad", 300_000, 300_000),
        ("chunks", 1, 10_000),
        ("chunks", 30, 300_000),
    ] {
        let n = n.to_string();
        let a = w
            .app
            .call(&w.alice, "GET", &path, &[(param, n.as_str())], Value::Null)
            .await;
        assert_eq!(a.status, 200, "{param}={n}: {}", a.body);
        let pad = a.body["pad"].as_str().unwrap_or_default();
        assert_eq!(pad.len(), expected, "{param}={n}");
        if param == "pad" {
            let length = a.headers[http::header::CONTENT_LENGTH].to_str().unwrap();
            assert_eq!(length, (expected + 10).to_string(), "{param}={n}");
        }
    }
}

/// A raw upstream: for each connection, reads requests and answers the first `answers` of them
/// (`{}` with a length), then closes the connection; counts the requests it read.
async fn raw_upstream(answers: usize) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut answered = 0;
                loop {
                    let mut chunk = [0u8; 4096];
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    // the gateway's requests here have no body: a request ends with a blank line
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if answered == answers {
                            return; // close without answering
                        }
                        answered += 1;
                        let _ = sock
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}")
                            .await;
                        if answered == answers {
                            // close a moment after the last answer (no `Connection: close`), when
                            // the gateway has put the connection back in its pool
                            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen)
}

/// The proxy's pooled upstream connections: a connection the upstream closed while idle is not
/// used again (the next request goes on a new one), and a request the upstream read but never
/// answered is a 502, never sent twice.
#[tokio::test]
async fn upstream_connections_closed_by_the_upstream_are_replaced_and_nothing_is_sent_twice() {
    let mut w = world().await;
    let path = format!("/v2/{}/training-jobs/job-1", w.project);
    // one answer per connection: every request after the first finds its pooled connection closed
    let (url, seen) = raw_upstream(1).await;
    w.app.router = iam_server::gateway::proxy_app(w.app.state.clone(), &url).unwrap();
    for i in 0..4 {
        let a = w.as_alice("GET", &path, Value::Null).await;
        assert_eq!(a.status, 200, "request {i}: {}", a.body);
        // let the upstream's close reach the gateway's idle connection
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 4);
    // an upstream that reads the request and hangs up without answering
    let (url, seen) = raw_upstream(0).await;
    w.app.router = iam_server::gateway::proxy_app(w.app.state.clone(), &url).unwrap();
    let a = w.as_alice("GET", &path, Value::Null).await;
    assert_huawei_error(&a, 502, "APIGW.0502");
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "sent once"
    );
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
    // the ModelArts agency and authorization APIs are modelarts-iam's own (`world` created the
    // agency and the `all` authorization through this proxy): answered here, never forwarded
    let auths = format!("/v2/{}/authorizations", w.project);
    let l = w.app.root("GET", &auths, Value::Null).await;
    assert_eq!(l.status, 200, "{}", l.body);
    assert_eq!(l.body["total_count"], 1, "{}", l.body);
    let d = w
        .app
        .call(
            &w.app.root,
            "DELETE",
            &auths,
            &[("user_id", "all")],
            Value::Null,
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let a = w
        .app
        .root(
            "POST",
            &format!("/v2/{}/agency", w.project),
            json!({"agency_name_suffix": "x"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
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

// ---------------------------------------------------------------------------------------------
// One reading of a request (findings 2, 5, 9, 10 of the adversarial review): the gateway decides
// on the canonical request and forwards exactly it, and the upstream trusts only the headers the
// gateway sets. These run the proxy on a real loopback socket (so it knows the peer) and send
// the bytes of each spelling as they are.

/// The gateway router on a loopback socket, with the peer address known to it.
async fn serve_on_loopback(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// Sends one request over a fresh connection with exactly this method, request target and
/// headers (no normalisation on the way).
async fn send_raw(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
) -> Answer {
    use http_body_util::BodyExt as _;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let mut req = http::Request::builder()
        .method(http::Method::from_bytes(method.as_bytes()).unwrap())
        .uri(target);
    for (n, v) in headers {
        req = req.header(n.as_str(), v.as_str());
    }
    let req = req
        .body(http_body_util::Empty::<axum::body::Bytes>::new())
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer {
        status,
        headers,
        body,
    }
}

/// The headers of a GET of `target` (a raw path, no query) signed by `key` the way the SDK
/// signs, plus `extra` headers (signed too, unless their name has a `_`, as the SDK does).
fn signed_get(key: &Key, target: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut headers: Vec<(&str, &str)> = vec![("Host", HOST), ("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    let (signed, uri) = common::sign_now(key, "GET", target, &[], &headers, b"");
    assert_eq!(uri, target);
    headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .chain(
            signed
                .headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.clone())),
        )
        .collect()
}

/// A user allowed `trainJob:get` on every job but `secret-job` (an explicit Deny on its URN).
async fn carol(w: &World) -> Key {
    let (id, _, key) = w.app.user_with_key("carol").await;
    w.app
        .grant(
            &id,
            "all-jobs-but-the-secret-one",
            json!({"Version":"5.0","Statement":[
                {"Effect":"Allow","Action":["modelarts:trainJob:get"]},
                {"Effect":"Deny","Action":["modelarts:trainJob:get"],
                 "Resource":["modelarts:*:*:trainJob:secret-job"]}
            ]}),
        )
        .await;
    key
}

/// How the gateway must read a spelling of `/v2/{project}/training-jobs/<spelling>`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// One canonical request: the job `secret-job`.
    SecretJob,
    /// No single meaning: 400, nothing forwarded.
    Refused,
}

/// Finding 2's spellings (encoded characters of a denied job, an encoded `../`).
const FINDING_2_SPELLINGS: &[(&str, Expect)] = &[
    ("secret%2Djob", Expect::SecretJob),
    ("secret%2djob", Expect::SecretJob),
    ("%73ecret-job", Expect::SecretJob),
    ("%73%65%63%72%65%74%2D%6A%6F%62", Expect::SecretJob),
    ("%2573ecret-job", Expect::Refused),
    ("..%2Fworkflows", Expect::Refused),
    ("..%2fworkflows", Expect::Refused),
    ("..%2F..%2Fworkflows", Expect::Refused),
];

/// Finding 9's spellings (what lenient servers strip, split or decode twice), and the empty and
/// dot segments a normalising upstream would fold away.
const FINDING_9_SPELLINGS: &[(&str, Expect)] = &[
    ("..%5Cworkflows", Expect::Refused),
    ("..%252F", Expect::Refused),
    ("..%252Fworkflows", Expect::Refused),
    ("secret-job.", Expect::Refused),
    ("secret-job%2E", Expect::Refused),
    ("secret-job;x", Expect::Refused),
    ("secret-job%3Bx", Expect::Refused),
    ("./secret-job", Expect::Refused),
    ("%2E/secret-job", Expect::Refused),
    ("../training-jobs/secret-job", Expect::Refused),
    ("secret-job/", Expect::Refused),
    ("/secret-job", Expect::Refused),
    ("secret-job%3F", Expect::Refused),
    ("secret-job%23x", Expect::Refused),
];

/// Sends every spelling through the proxy as `carol` (denied `secret-job`) and as `alice`
/// (allowed every job), and checks: a refused spelling is 400 `IAM.0001` and reaches nobody;
/// a canonical one is decided on `secret-job` (carol: 403, nothing forwarded; alice: the
/// upstream gets exactly `/v2/{project}/training-jobs/secret-job` and the resource header
/// names `secret-job`).
async fn check_spellings_through_the_proxy(spellings: &[(&str, Expect)]) {
    let w = world().await;
    let carol = carol(&w).await;
    let addr = serve_on_loopback(w.app.router.clone()).await;
    let canonical = format!("/v2/{}/training-jobs/secret-job", w.project);
    let resource = format!(
        "modelarts:{}:{}:trainJob:secret-job",
        common::REGION,
        w.app.account_id
    );
    // the plain spelling, as a baseline
    let plain = send_raw(
        addr,
        "GET",
        &canonical,
        &signed_get(&carol, &canonical, &[]),
    )
    .await;
    assert_huawei_error(&plain, 403, "IAM.0003");
    for &(spelling, expect) in spellings {
        let target = format!("/v2/{}/training-jobs/{spelling}", w.project);
        for (who, key) in [("carol", &carol), ("alice", &w.alice)] {
            let before = seen_count(&w);
            let a = send_raw(addr, "GET", &target, &signed_get(key, &target, &[])).await;
            let case = format!("{who} GET {target}");
            match (expect, who) {
                (Expect::Refused, _) => {
                    assert_huawei_error(&a, 400, "IAM.0001");
                    assert_eq!(seen_count(&w), before, "{case}: forwarded");
                }
                (Expect::SecretJob, "carol") => {
                    assert_huawei_error(&a, 403, "IAM.0003");
                    assert_error_msg_contains(&a, &resource);
                    assert_eq!(seen_count(&w), before, "{case}: forwarded");
                }
                (Expect::SecretJob, _) => {
                    assert_eq!(a.status, 200, "{case}: {}", a.body);
                    assert_eq!(seen_count(&w), before + 1, "{case}");
                    let echo = &a.body["echo"];
                    assert_eq!(echo["method"], "GET", "{case}");
                    assert_eq!(echo["target"], json!(canonical), "{case}");
                    assert_eq!(echo["headers"]["x-iam-resource"], json!(resource), "{case}");
                    assert_eq!(
                        echo["headers"]["x-iam-action"], "modelarts:trainJob:get",
                        "{case}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn finding_2_encoded_spellings_are_decided_and_forwarded_as_the_canonical_job() {
    check_spellings_through_the_proxy(FINDING_2_SPELLINGS).await;
}

#[tokio::test]
async fn finding_9_ambiguous_path_spellings_are_refused_and_never_forwarded() {
    check_spellings_through_the_proxy(FINDING_9_SPELLINGS).await;
    // `//` anywhere in a ModelArts path
    let w = world().await;
    let addr = serve_on_loopback(w.app.router.clone()).await;
    for target in [
        format!("/v2/{}//training-jobs/secret-job", w.project),
        format!("/v2//{}/training-jobs/secret-job", w.project),
        format!("//v2/{}/training-jobs/secret-job", w.project),
        format!("/v1/{}/notebooks//", w.project),
    ] {
        let a = send_raw(addr, "GET", &target, &signed_get(&w.alice, &target, &[])).await;
        assert_huawei_error(&a, 400, "IAM.0001");
        assert_error_msg_contains(&a, "empty segment");
    }
    // a method that is not exactly upper case
    let target = format!("/v2/{}/training-jobs/secret-job", w.project);
    let a = send_raw(addr, "get", &target, &signed_get(&w.alice, &target, &[])).await;
    assert_huawei_error(&a, 400, "IAM.0001");
    assert_eq!(seen_count(&w), 0);
}

/// A query is read once too: the pool of `modelarts:poolId` is the decoded value, a repeated
/// key is refused, and the upstream gets the canonical query.
#[tokio::test]
async fn finding_2_the_query_is_decided_and_forwarded_canonically() {
    let w = world().await;
    let addr = serve_on_loopback(w.app.router.clone()).await;
    let path = format!("/v1/{}/notebooks", w.project);
    let headers = [("Host", HOST), ("Content-Type", "application/json")];
    let send = |query: &'static [(&'static str, &'static str)], raw: Option<&'static str>| {
        let (signed, uri) = common::sign_now(&w.alice, "GET", &path, query, &headers, b"");
        let target = match raw {
            Some(q) => format!("{path}?{q}"),
            None => uri,
        };
        let all: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .chain(
                signed
                    .headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.clone())),
            )
            .collect();
        async move { send_raw(addr, "GET", &target, &all).await }
    };
    // a spelling the signature accepts (it decodes the query too), forwarded re-encoded
    let a = send(
        &[("limit", "5"), ("pool_id", "p-1")],
        Some("limit=5&pool%5Fid=p%2D1"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["echo"]["target"],
        json!(format!("{path}?limit=5&pool_id=p-1"))
    );
    // a repeated key has two readings
    let a = send(&[("pool_id", "a"), ("pool_id", "b")], None).await;
    assert_huawei_error(&a, 400, "IAM.0001");
    assert_error_msg_contains(&a, "more than once");
    assert_eq!(seen_count(&w), 1);
}

/// The decision log records the decoded path and resource (and the raw target beside them);
/// a refused target is logged as `rejected` with the reason.
#[tokio::test]
async fn finding_2_the_decision_log_records_the_decoded_resource() {
    let w = world().await;
    let addr = serve_on_loopback(w.app.router.clone()).await;
    let raw = format!("/v2/{}/training-jobs/%73ecret-job", w.project);
    let a = send_raw(addr, "GET", &raw, &signed_get(&w.alice, &raw, &[])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let bad = format!("/v2/{}/training-jobs/..%2Fworkflows", w.project);
    let b = send_raw(addr, "GET", &bad, &signed_get(&w.alice, &bad, &[])).await;
    assert_huawei_error(&b, 400, "IAM.0001");
    let items = common::wait_for_decisions(
        &w.app,
        &[("limit", "50"), ("principal_urn", &w.alice_urn)],
        |d| d.len() >= 2,
    )
    .await;
    let rejected = items
        .iter()
        .find(|d| d["decision"] == "rejected")
        .unwrap_or_else(|| panic!("{items:?}"));
    // and the log can be filtered on it
    let only = w
        .app
        .call(
            &w.app.root,
            "GET",
            "/v1/decisions",
            &[("decision", "rejected")],
            Value::Null,
        )
        .await;
    assert_eq!(only.status, 200, "{}", only.body);
    assert_eq!(only.body["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(rejected["extra"]["raw_target"], json!(bad));
    assert_eq!(rejected["extra"]["claimed"], true);
    assert!(
        rejected["extra"]["reason"]
            .as_str()
            .unwrap()
            .contains("%2F"),
        "{rejected}"
    );
    let allowed = items
        .iter()
        .find(|d| d["decision"] == "allow")
        .unwrap_or_else(|| panic!("{items:?}"));
    assert_eq!(
        allowed["resource"],
        json!(format!(
            "modelarts:{}:{}:trainJob:secret-job",
            common::REGION,
            w.app.account_id
        ))
    );
    assert_eq!(
        allowed["extra"]["path"],
        json!(format!("/v2/{}/training-jobs/secret-job", w.project))
    );
    assert_eq!(allowed["extra"]["raw_target"], json!(raw));
}

/// Whatever the spelling, the upstream gets a request only as the canonical form of what the
/// client sent, and bad input is never a 5xx.
#[tokio::test]
async fn finding_2_random_spellings_reach_the_upstream_only_in_canonical_form() {
    let w = world().await;
    let addr = serve_on_loopback(w.app.router.clone()).await;
    let pieces = [
        "a", "secret", "-", "job", ".", "..", "%2E", "%2F", "%5C", "%25", "%2D", "%73", ";", "/",
        "//", "%3B", "%00", "%C3%A9", "%FF", "~", "_", "%3F", "%23", ":", "@", "!", "*",
    ];
    // a small deterministic generator: the same cases every run
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (n as u64)).unwrap()
    };
    let prefix = format!("/v2/{}/training-jobs/", w.project);
    let (mut forwarded_count, mut refused_count) = (0, 0);
    for _ in 0..300 {
        let len = 1 + next(5);
        let tail: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
        let target = format!("{prefix}{tail}");
        let before = seen_count(&w);
        let a = send_raw(addr, "GET", &target, &signed_get(&w.alice, &target, &[])).await;
        assert!(
            a.status.is_success() || a.status.is_client_error(),
            "{target}: {} {}",
            a.status,
            a.body
        );
        let forwarded = seen_count(&w) > before;
        forwarded_count += usize::from(forwarded);
        refused_count += usize::from(a.status == 400);
        match iam_canonical::canonicalize(&target, None) {
            Ok(c) if forwarded => {
                assert_eq!(
                    a.body["echo"]["target"],
                    json!(c.path_and_query()),
                    "{target}"
                );
            }
            Ok(_) => assert!(a.status.is_client_error(), "{target}: {}", a.status),
            Err(e) => {
                assert!(!forwarded, "{target} was forwarded ({e})");
                assert!(a.status.is_client_error(), "{target}: {}", a.status);
            }
        }
    }
    // the generator reaches both sides
    assert!(
        forwarded_count >= 20 && refused_count >= 20,
        "{forwarded_count} forwarded, {refused_count} refused"
    );
}

/// The spoofing headers of findings 5, 9 and 10, in several spellings.
const SPOOFED: &[(&str, &str)] = &[
    ("X_Iam_Principal_Urn", "iam::0:user:spoofed"),
    ("x-iam-principal-urn", "iam::0:user:spoofed"),
    ("X-IAM-ACCOUNT-ID", "spoofed-account"),
    ("X-Iam-Resource", "spoofed:resource"),
    ("X_IAM_ACTION", "spoofed:action"),
    ("X-Iam-Canonical-Uri", "/spoofed"),
    ("X_HTTP_Method_Override", "DELETE"),
    ("X-HTTP-Method-Override", "DELETE"),
    ("X-Method-Override", "DELETE"),
    ("X-HTTP-Method", "DELETE"),
    ("X_Original_Method", "DELETE"),
    ("X-Original-URL", "/spoofed/workflows"),
    ("X_Original_URL", "/spoofed/workflows"),
    ("X-Rewrite-URL", "/spoofed/workflows"),
    ("X-Original-URI", "/spoofed/workflows"),
    ("Forwarded", "for=1.2.3.4;proto=https"),
    ("X-Forwarded-For", "6.6.6.6"),
    ("X_Forwarded_For", "6.6.6.6"),
    ("X-Real-IP", "6.6.6.6"),
    ("X_Real_IP", "6.6.6.6"),
    ("X-Forwarded-Host", "spoofed.example"),
    ("X-Forwarded-Proto", "https-spoofed"),
    ("X-Forwarded-Port", "6666"),
    ("X-Forwarded-Prefix", "/spoofed"),
    ("X-Client-IP", "6.6.6.6"),
    ("True-Client-IP", "6.6.6.6"),
    ("Connection", "keep-alive, X-Spoofed-Hop"),
    ("X-Spoofed-Hop", "spoofed"),
];

/// Sends alice's `GET /v1/{project}/notebooks` with every [`SPOOFED`] header through the proxy;
/// returns the upstream's record and the peer the gateway saw.
async fn spoofed_request() -> (World, Value) {
    let w = world().await;
    let addr = serve_on_loopback(w.app.router.clone()).await;
    let target = format!("/v1/{}/notebooks", w.project);
    let a = send_raw(
        addr,
        "GET",
        &target,
        &signed_get(&w.alice, &target, SPOOFED),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let echo = a.body["echo"].clone();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["target"], json!(target));
    (w, echo)
}

/// The values of a header in the upstream's record, by exact (lower-case) name.
fn values<'a>(echo: &'a Value, name: &str) -> Vec<&'a str> {
    echo["header_list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0] == name)
        .map(|h| h[1].as_str().unwrap())
        .collect()
}

fn assert_no_spoofed_value(echo: &Value) {
    for h in echo["header_list"].as_array().unwrap() {
        let (name, value) = (h[0].as_str().unwrap(), h[1].as_str().unwrap());
        assert!(
            !name.contains('_'),
            "an underscore spelling reached the upstream: {h}"
        );
        for needle in ["spoofed", "6.6.6.6", "1.2.3.4", "DELETE", "6666"] {
            assert!(
                !value.contains(needle) && !name.contains(needle),
                "the client's `{needle}` reached the upstream: {h}"
            );
        }
    }
}

#[tokio::test]
async fn finding_5_identity_headers_in_any_spelling_never_reach_the_upstream() {
    let (w, echo) = spoofed_request().await;
    assert_no_spoofed_value(&echo);
    assert_eq!(values(&echo, "x-iam-principal-urn"), [w.alice_urn.as_str()]);
    assert_eq!(
        values(&echo, "x-iam-account-id"),
        [w.app.account_id.as_str()]
    );
    assert_eq!(values(&echo, "x-iam-action"), ["modelarts:notebook:list"]);
    let names: Vec<&str> = echo["header_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .filter(|n| n.starts_with("x-iam-"))
        .collect();
    assert_eq!(
        names,
        [
            "x-iam-principal-urn",
            "x-iam-principal-id",
            "x-iam-account-id",
            "x-iam-action",
            "x-iam-resource"
        ]
    );
}

#[tokio::test]
async fn finding_9_override_and_forwarding_headers_never_reach_the_upstream() {
    let (_, echo) = spoofed_request().await;
    assert_no_spoofed_value(&echo);
    for name in [
        "x-http-method-override",
        "x-method-override",
        "x-http-method",
        "x-original-method",
        "x-original-url",
        "x-original-uri",
        "x-rewrite-url",
        "forwarded",
        "x-forwarded-host",
        "x-forwarded-port",
        "x-forwarded-prefix",
        "x-client-ip",
        "true-client-ip",
        "x-spoofed-hop",
        "connection",
    ] {
        assert!(values(&echo, name).is_empty(), "{name}: {echo}");
    }
    for name in iam_server::gateway::REMOVED_HEADERS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !n.ends_with('-'))
    {
        assert!(
            iam_server::gateway::is_removed_header(&name.to_ascii_uppercase().replace('-', "_")),
            "{name}"
        );
    }
}

#[tokio::test]
async fn finding_10_the_upstream_sees_only_the_gateways_forwarding_headers() {
    let (_, echo) = spoofed_request().await;
    assert_no_spoofed_value(&echo);
    // the peer of the loopback connection, and nothing the client said
    assert_eq!(values(&echo, "x-forwarded-for"), ["127.0.0.1"]);
    assert_eq!(values(&echo, "x-real-ip"), ["127.0.0.1"]);
    assert_eq!(values(&echo, "x-forwarded-proto"), ["http"]);
}

/// Case is part of a resource id, so `SECRET-JOB` is another job; but a Deny names what it
/// protects, and the engine reads a Deny's Resource without ASCII case (policy-language.md §3.1).
#[tokio::test]
async fn finding_2_a_deny_on_secret_job_also_refuses_secret_job_in_upper_case() {
    let w = world().await;
    let carol = carol(&w).await;
    let addr = serve_on_loopback(w.app.router.clone()).await;
    for spelling in ["SECRET-JOB", "Secret-Job", "%53ECRET-JOB"] {
        let target = format!("/v2/{}/training-jobs/{spelling}", w.project);
        let a = send_raw(addr, "GET", &target, &signed_get(&carol, &target, &[])).await;
        assert_huawei_error(&a, 403, "IAM.0003");
    }
    assert_eq!(seen_count(&w), 0);
}

// --- the nginx auth_request endpoint, in process ----------------------------------------------

/// Sends the nginx subrequest for `method` and the raw `target`, signed by `key` (over the raw
/// path and query, as the client signs), with `extra` client headers.
async fn auth_subrequest(
    w: &World,
    key: &Key,
    method: &str,
    target: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let mut headers: Vec<(&str, &str)> = vec![("Host", HOST), ("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    // the signer encodes decoded pairs; sign the raw ones' reading (the verifier decodes too)
    let decoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            let c = iam_canonical::canonicalize("/", Some(&format!("{k}={v}")));
            c.ok()
                .and_then(|c| c.query_pairs().first().cloned())
                .unwrap_or(((*k).to_owned(), (*v).to_owned()))
        })
        .collect();
    let decoded: Vec<(&str, &str)> = decoded
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signing_method = method.to_ascii_uppercase();
    let (signed, _) = common::sign_now(key, &signing_method, path, &decoded, &headers, b"");
    let mut req = Request::builder()
        .method("GET")
        .uri(iam_server::gateway::AUTH_PATH)
        .header("X-Original-Method", method)
        .header("X-Original-URI", target)
        .header("X-Real-IP", "10.1.2.3");
    for (n, v) in headers {
        req = req.header(n, v);
    }
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    w.app.send(req.body(Body::empty()).unwrap()).await
}

/// A refusal as nginx needs it: 403 with `X-Iam-Status: 400` and the 400 body in
/// `X-Iam-Error-Body`.
fn assert_refused_for_nginx(a: &Answer, case: &str) {
    assert_eq!(a.status, 403, "{case}: {}", a.body);
    assert_eq!(a.headers["x-iam-status"], "400", "{case}");
    let body: Value =
        serde_json::from_str(a.headers["x-iam-error-body"].to_str().unwrap()).unwrap();
    assert_eq!(body["error_code"], "IAM.0001", "{case}");
    assert!(body["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(body, a.body, "{case}");
    assert!(!a.headers.contains_key("x-iam-canonical-uri"), "{case}");
    assert!(!a.headers.contains_key("x-iam-principal-urn"), "{case}");
}

#[tokio::test]
async fn finding_2_the_auth_request_endpoint_reads_the_canonical_target() {
    let mut w = world().await;
    w.app.router = iam_server::app(w.app.state.clone());
    let carol = carol(&w).await;
    let canonical = format!("/v2/{}/training-jobs/secret-job", w.project);
    for &(spelling, expect) in FINDING_2_SPELLINGS.iter().chain(FINDING_9_SPELLINGS) {
        let target = format!("/v2/{}/training-jobs/{spelling}", w.project);
        let case = format!("GET {target}");
        let a = auth_subrequest(&w, &w.alice, "GET", &target, &[]).await;
        let c = auth_subrequest(&w, &carol, "GET", &target, &[]).await;
        match expect {
            Expect::Refused => {
                assert_refused_for_nginx(&a, &case);
                assert_refused_for_nginx(&c, &case);
            }
            Expect::SecretJob => {
                assert_eq!(a.status, 204, "{case}: {}", a.body);
                assert_eq!(
                    a.headers["x-iam-canonical-uri"],
                    canonical.as_str(),
                    "{case}"
                );
                assert!(
                    a.headers["x-iam-resource"]
                        .to_str()
                        .unwrap()
                        .ends_with(":trainJob:secret-job"),
                    "{case}"
                );
                assert_huawei_error(&c, 403, "IAM.0003");
                assert!(!c.headers.contains_key("x-iam-status"), "{case}");
                assert!(!c.headers.contains_key("x-iam-canonical-uri"), "{case}");
            }
        }
    }
    // the canonical target includes the canonical query
    let a = auth_subrequest(
        &w,
        &w.alice,
        "GET",
        &format!("/v1/{}/notebooks?limit=5&pool%5Fid=p%2D1", w.project),
        &[],
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(
        a.headers["x-iam-canonical-uri"],
        format!("/v1/{}/notebooks?limit=5&pool_id=p-1", w.project).as_str()
    );
    // targets and methods without one reading
    let notebooks = format!("/v1/{}/notebooks", w.project);
    for (method, target) in [
        ("get", notebooks.clone()),
        ("TRACE", notebooks.clone()),
        ("GET", format!("{notebooks}?limit=1&limit=2")),
        ("GET", format!("{notebooks}?a=%25")),
        ("GET", format!("{notebooks}#x")),
        ("GET", format!("/v1/{}//notebooks", w.project)),
        ("GET", "v1/notebooks".to_owned()),
        ("GET", format!("http://{HOST}{notebooks}")),
    ] {
        let a = auth_subrequest(&w, &w.alice, method, &target, &[]).await;
        assert_refused_for_nginx(&a, &format!("{method} {target}"));
    }
}

#[tokio::test]
async fn finding_5_the_auth_request_endpoint_refuses_identity_headers_nginx_cannot_remove() {
    let mut w = world().await;
    w.app.router = iam_server::app(w.app.state.clone());
    let path = format!("/v1/{}/notebooks", w.project);
    // names the nginx configuration overwrites: harmless here
    for extra in [
        ("X-Iam-Principal-Urn", "iam::0:user:spoofed"),
        ("X-IAM-ACCOUNT-ID", "0"),
        ("X-Forwarded-For", "6.6.6.6"),
        ("X-HTTP-Method-Override", "DELETE"),
    ] {
        let a = auth_subrequest(&w, &w.alice, "GET", &path, &[extra]).await;
        assert_eq!(a.status, 204, "{extra:?}: {}", a.body);
        assert_eq!(a.headers["x-iam-principal-urn"], w.alice_urn.as_str());
    }
    // names nginx would pass on: an X-Iam-* name it does not overwrite, `_` spellings (which
    // nginx drops unless `underscores_in_headers on`)
    for extra in [
        ("X-Iam-Principal-Tag", "spoofed"),
        ("X_Iam_Principal_Urn", "iam::0:user:spoofed"),
        ("X_Forwarded_For", "6.6.6.6"),
        ("X_HTTP_Method_Override", "DELETE"),
    ] {
        let a = auth_subrequest(&w, &w.alice, "GET", &path, &[extra]).await;
        assert_refused_for_nginx(&a, &format!("{extra:?}"));
        assert_error_msg_contains(&a, "reserved");
    }
}

// --- the nginx configuration and the docs follow the one table --------------------------------

fn repo_file(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap()
}

/// docs/gateway.md shows tests/nginx/nginx.conf.template (which tests/nginx runs with real
/// nginx) with the placeholders filled in; the template overwrites, on the way to the upstream,
/// every header of `REMOVED_HEADERS` that nginx would pass on and every identity header, forwards
/// the canonical URI and passes the raw one to the auth endpoint; the docs' "Headers an upstream
/// may trust" names every entry of the table.
#[test]
fn finding_9_the_nginx_config_and_the_docs_follow_the_removed_headers_table() {
    use iam_server::gateway::{REMOVED_HEADERS, Removed, headers};
    let template = repo_file("tests/nginx/nginx.conf.template");
    let docs = repo_file("docs/gateway.md");
    // the docs' config is the template
    let shown = docs
        .split("```nginx\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let mut filled: Vec<String> = template
        .replace("@PREFIX@", "/var/lib/modelarts-iam-nginx")
        .replace("@UPSTREAM@", "10.0.0.5:80")
        .replace("@IAM@", "127.0.0.1:8080")
        .replace("@LISTEN@", "0.0.0.0:8443")
        .lines()
        .filter(|l| !l.contains("@USER@"))
        .map(str::to_owned)
        .collect();
    // the template's own note on where it is explained
    assert!(filled[1].starts_with("# The same configuration is explained in docs/gateway.md"));
    filled.splice(
        1..3,
        ["# tests/nginx/nginx.conf.template is this file with placeholders; tests/nginx/test_nginx.py runs it.".to_owned()],
    );
    pretty_lines_eq(shown, &filled.join("\n"));

    // the upstream location
    let location = template
        .split("        location / {\n")
        .nth(1)
        .and_then(|s| s.split("\n        }\n").next())
        .unwrap();
    let set: Vec<String> = location
        .lines()
        .filter_map(|l| l.trim().strip_prefix("proxy_set_header "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_ascii_lowercase)
        .collect();
    // nginx itself sets Host and the framing and drops TE, Keep-Alive and Upgrade;
    // Proxy-Authenticate is a response header
    let nginx_handles = [
        "host",
        "content-length",
        "transfer-encoding",
        "te",
        "keep-alive",
        "upgrade",
        "proxy-authenticate",
    ];
    for (name, kind) in REMOVED_HEADERS {
        if *kind == Removed::Identity || nginx_handles.contains(name) {
            continue;
        }
        assert!(
            set.iter().any(|s| s == name),
            "the nginx config passes the client's {name} on"
        );
    }
    for name in headers::IDENTITY {
        assert!(set.iter().any(|s| s == name), "{name} is not overwritten");
    }
    for line in [
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_pass http://modelarts$iam_canonical_uri;",
        "auth_request_set $iam_canonical_uri $upstream_http_x_iam_canonical_uri;",
        "auth_request_set $iam_status $upstream_http_x_iam_status;",
    ] {
        assert!(location.contains(line), "{line}");
    }
    for line in [
        "underscores_in_headers off;",
        "ignore_invalid_headers on;",
        "proxy_set_header X-Original-URI $request_uri;",
        "if ($iam_status = 400) {",
    ] {
        assert!(template.contains(line), "{line}");
    }
    assert!(!template.contains("$proxy_add_x_forwarded_for"));

    // the docs name every entry
    let section = docs
        .split("## Headers an upstream may trust\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    for (name, _) in REMOVED_HEADERS {
        let shown = if name.ends_with('-') {
            format!("`{name}*`")
        } else {
            format!("`{name}`")
        };
        assert!(
            section.contains(&shown),
            "docs/gateway.md does not list {shown}"
        );
    }
}

/// Line-by-line equality with the first differing line in the message.
fn pretty_lines_eq(got: &str, want: &str) {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "docs/gateway.md config line {}", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count(), "line count");
}

// --- every catalog route: spellings of its path parameters -----------------------------------

/// For every ModelArts route of the catalog and each of its path parameters, generated spellings
/// (fixed seed) through the nginx endpoint: a spelling with the canonical form of the original is
/// decided exactly as the original (the same answer, the same resource, the same canonical URI
/// handed to nginx); any other is refused (400 for nginx, or the Deny, which reads ids without
/// case).
#[tokio::test]
async fn every_catalog_route_decides_spellings_as_their_canonical_request() {
    let w = world().await;
    // dave may do everything except on the ModelArts resources named `victim-id-1`
    let (dave_id, _, dave) = w.app.user_with_key("dave").await;
    w.app
        .grant(
            &dave_id,
            "all-but-the-victim",
            json!({"Version":"5.0","Statement":[
                {"Effect":"Allow","Action":["*"]},
                {"Effect":"Deny","Action":["*"],"Resource":["modelarts:*:*:*:victim-id-1"]}
            ]}),
        )
        .await;
    let (erin_id, _, erin) = w.app.user_with_key("erin").await;
    w.app
        .grant(
            &erin_id,
            "all-modelarts",
            json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["*"]}]}),
        )
        .await;
    let catalog = iam_catalog::Catalog::builtin();
    let (mut routes, mut spelled) = (0, 0);
    for route in catalog.routes().filter(|r| r.service == "modelarts") {
        let template = route.path.as_str();
        // routes modelarts-iam serves itself are not forwarded (and refused at the nginx endpoint)
        let served_here = iam_server::endpoints()
            .any(|e| e.method.as_str() == route.method && e.path == template);
        if !template.contains('{') || served_here {
            continue;
        }
        let path = template
            .split('/')
            .map(|s| match s {
                "{project_id}" => w.project.clone(),
                s if s.starts_with('{') => "victim-id-1".to_owned(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = route.method.as_str();
        let canonical = iam_canonical::canonicalize(&path, None).unwrap();
        let original = auth_subrequest(&w, &erin, method, &path, &[]).await;
        assert_eq!(original.status, 204, "{method} {path}: {}", original.body);
        assert_eq!(
            original.headers["x-iam-canonical-uri"],
            canonical.path(),
            "{method} {path}"
        );
        let denied = auth_subrequest(&w, &dave, method, &path, &[]).await;
        let names_victim = catalog
            .resolve_route(
                method,
                &path,
                &iam_catalog::RouteTarget::new(common::REGION, w.app.account_id.clone()),
            )
            .unwrap()
            .resources
            .iter()
            .any(|r| r.ends_with(":victim-id-1"));
        if names_victim {
            assert_eq!(denied.status, 403, "{method} {path}: {}", denied.body);
        } else {
            assert_eq!(denied.status, 204, "{method} {path}: {}", denied.body);
        }
        routes += 1;
        let segments: Vec<&str> = path.split('/').collect();
        for (i, t) in template.split('/').enumerate() {
            if !t.starts_with('{') {
                continue;
            }
            for spelling in
                common::spellings(segments[i], 0xfeed + routes as u64 * 31 + i as u64, 12)
            {
                let mut variant = segments.clone();
                variant[i] = &spelling;
                let variant = variant.join("/");
                spelled += 1;
                let allowed = auth_subrequest(&w, &erin, method, &variant, &[]).await;
                let refused = auth_subrequest(&w, &dave, method, &variant, &[]).await;
                match iam_canonical::canonicalize(&variant, None) {
                    Ok(c) if c == canonical => {
                        assert_eq!(allowed.status, 204, "{method} {variant}: {}", allowed.body);
                        for h in ["x-iam-canonical-uri", "x-iam-resource", "x-iam-action"] {
                            assert_eq!(
                                allowed.headers.get(h),
                                original.headers.get(h),
                                "{method} {variant}: {h}"
                            );
                        }
                        assert_eq!(refused.status, denied.status, "{method} {variant}");
                        assert_eq!(
                            refused.body["error_msg"], denied.body["error_msg"],
                            "{method} {variant}"
                        );
                    }
                    Ok(c) => {
                        // another id (a case change): never the victim's canonical URI, and the
                        // victim's Deny still applies
                        if allowed.status == 204 {
                            assert_eq!(
                                allowed.headers["x-iam-canonical-uri"],
                                c.path(),
                                "{method} {variant}"
                            );
                        }
                        if names_victim && t != "{project_id}" {
                            assert_eq!(refused.status, 403, "{method} {variant}: {}", refused.body);
                        }
                    }
                    Err(_) => {
                        assert_refused_for_nginx(&allowed, &format!("{method} {variant}"));
                        assert_refused_for_nginx(&refused, &format!("{method} {variant}"));
                    }
                }
            }
        }
    }
    assert!(routes >= 100, "only {routes} routes");
    assert!(spelled >= 1000, "only {spelled} spellings");
}

// --- a second adversarial review's findings ---------------------------------------------------

#[tokio::test]
async fn review_the_pool_decided_is_the_pool_forwarded() {
    let w = world().await;
    let path = format!("/v1/{}/notebooks", w.project);
    // two pools: the query's and the body's
    let two = w
        .app
        .call(
            &w.alice,
            "POST",
            &path,
            &[("pool_id", "pool-a")],
            json!({"name": "nb", "spec": {"resource": {"pool_id": "pool-b"}}}),
        )
        .await;
    assert_huawei_error(&two, 400, "IAM.0001");
    // two pools in the body, one in an array
    let two = w
        .as_alice("POST", &path, json!({"name": "nb", "pool_id": "pool-a", "tasks": [{"task_resource": {"pool_id": "pool-b"}}]}))
        .await;
    assert_huawei_error(&two, 400, "IAM.0001");
    // a body that names a pool but is not strict JSON
    for raw in [
        b"{\"name\":\"nb\",\"pool_id\":\"pool-secret\",\"cpu\":NaN}".to_vec(),
        [
            &b"\xEF\xBB\xBF"[..],
            b"{\"name\":\"nb\",\"pool_id\":\"pool-secret\"}",
        ]
        .concat(),
    ] {
        let a = w.app.call_raw(&w.alice, "POST", &path, &[], raw).await;
        assert_huawei_error(&a, 400, "IAM.0001");
    }
    // one pool named twice is one pool: dedicated, allowed
    let one = w
        .as_alice(
            "POST",
            &path,
            json!({"name": "nb", "pool_id": "pool-a", "spec": {"resource": {"pool_id": "pool-a"}}}),
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(seen_count(&w), 1);
    // a service's dedicated pool named by `config[].cluster_id`
    let (dave_id, _, dave) = w.app.user_with_key("dave").await;
    w.app
        .grant(
            &dave_id,
            "public-pools-only",
            json!({"Version":"5.0","Statement":[
                {"Effect":"Allow","Action":["modelarts:service:*"]},
                {"Effect":"Deny","Action":["modelarts:service:create"],"Condition":{"StringEquals":{"modelarts:poolType":["dedicated"]}}}
            ]}),
        )
        .await;
    let services = format!("/v1/{}/services", w.project);
    let a = w
        .app
        .call(&dave, "POST", &services, &[], json!({"service_name": "s", "config": [{"model_id": "m", "cluster_id": "pool-secret"}]}))
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert_eq!(seen_count(&w), 1);
}

#[tokio::test]
async fn review_modelarts_iams_own_apis_are_never_forwarded() {
    let w = world().await;
    let (eve_id, _, eve) = w.app.user_with_key("eve").await;
    w.app
        .grant(
            &eve_id,
            "authorizations",
            json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["iam:authorizations:*","iam:agencies:*","iam:users:*"]}]}),
        )
        .await;
    // through the proxy: served here, with the tenant-administrator rule
    let path = format!("/v2/{}/authorizations", w.project);
    let a = w
        .app
        .call(
            &eve,
            "POST",
            &path,
            &[],
            json!({"user_id": "all", "type": "agency", "content": "modelarts_agency"}),
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert!(
        a.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("tenant administrator"),
        "{}",
        a.body
    );
    assert_eq!(seen_count(&w), 0);
    // through nginx: the endpoint answers only for the upstream's own APIs, on its own methods
    for target in [path.as_str(), "/v5/users"] {
        let a = auth_subrequest(&w, &eve, "GET", target, &[]).await;
        assert_eq!(a.status, 403, "{target}: {}", a.body);
    }
    let a = w
        .app
        .send(
            Request::builder()
                .method("DELETE")
                .uri(iam_server::gateway::AUTH_PATH)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, 405, "{}", a.body);
}
