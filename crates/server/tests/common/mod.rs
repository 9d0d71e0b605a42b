//! In-process harness: a fresh in-memory store with one bootstrapped account, the router from
//! `iam_server::app`, and requests signed with `iam-signing` exactly like the SDKs.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt as _;
use iam_server::AppState;
use iam_signing::{OutgoingRequest, SecretString, Signer};
use iam_store::Store;
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub const REGION: &str = "cn-north-4";
pub const HOST: &str = "127.0.0.1:8080";

#[derive(Clone)]
pub struct Key {
    pub ak: String,
    pub sk: String,
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub root: Key,
    pub account_id: String,
    pub root_urn: String,
    pub project_id: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    /// On a fresh store of the backend the environment selects (`iam_store::testing`).
    pub async fn new() -> TestApp {
        Self::on(iam_store::testing::store().await.unwrap()).await
    }

    /// On `store` (empty): bootstraps the account and its root user's key.
    pub async fn on(store: Store) -> TestApp {
        let (account, root, project) = store
            .bootstrap_account("admin", REGION, None)
            .await
            .unwrap();
        let key = store.create_access_key(&root.id).await.unwrap();
        let state = AppState::new(store, REGION).await.unwrap();
        let router = iam_server::app(state.clone());
        TestApp {
            state,
            router,
            root: Key {
                ak: key.access_key.access_key_id.clone(),
                sk: key.secret_access_key.expose_secret().to_owned(),
            },
            account_id: account.id,
            root_urn: root.urn,
            project_id: project.id,
        }
    }

    /// Another server on the store behind `store` (a replica sharing this one's PostgreSQL
    /// database): same account, same keys, its own snapshot.
    pub async fn replica(&self, store: Store) -> TestApp {
        let state = AppState::new(store, REGION).await.unwrap();
        let router = iam_server::app(state.clone());
        TestApp {
            state,
            router,
            root: self.root.clone(),
            account_id: self.account_id.clone(),
            root_urn: self.root_urn.clone(),
            project_id: self.project_id.clone(),
        }
    }

    /// Sends a request signed by `key` (body `Value::Null` = no body).
    pub async fn call(
        &self,
        key: &Key,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Value,
    ) -> Answer {
        let payload = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        self.call_raw(key, method, path, query, payload).await
    }

    pub async fn call_raw(
        &self,
        key: &Key,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        payload: Vec<u8>,
    ) -> Answer {
        self.call_with_headers(key, method, path, query, payload, &[])
            .await
    }

    /// Sends a request signed by `key` with `extra` headers (not signed).
    pub async fn call_with_headers(
        &self,
        key: &Key,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        payload: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let headers = [("Host", HOST), ("Content-Type", "application/json")];
        let (signed, uri) = sign_now(key, method, path, query, &headers, &payload);
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("Host", HOST)
            .header("Content-Type", "application/json");
        for (n, v) in &signed.headers {
            req = req.header(*n, v);
        }
        for (n, v) in extra {
            req = req.header(*n, *v);
        }
        self.send(req.body(Body::from(payload)).unwrap()).await
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn root(&self, method: &str, path: &str, body: Value) -> Answer {
        let key = self.root.clone();
        self.call(&key, method, path, &[], body).await
    }

    /// As the tenant administrator: one-click ModelArts agency (`modelarts_agency`) authorized
    /// for every IAM user of the first project, so operations that start ModelArts work (jobs)
    /// get agency credentials. Returns the agency name.
    pub async fn authorize_modelarts_for_all(&self) -> String {
        let p = &self.project_id;
        let a = self
            .root("POST", &format!("/v2/{p}/agency"), json!({}))
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let name = a.body["agency_name"].as_str().unwrap().to_owned();
        let a = self
            .root(
                "POST",
                &format!("/v2/{p}/authorizations"),
                json!({"user_id": "all", "user_type": "all-users", "type": "agency", "content": name}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        name
    }

    /// Creates a user with an access key; returns (user id, urn, key).
    pub async fn user_with_key(&self, name: &str) -> (String, String, Key) {
        let u = self
            .root("POST", "/v5/users", json!({"name": name, "enabled": true}))
            .await;
        assert_eq!(u.status, 200, "{}", u.body);
        let id = u.body["user"]["user_id"].as_str().unwrap().to_owned();
        let urn = u.body["user"]["urn"].as_str().unwrap().to_owned();
        let k = self
            .root("POST", &format!("/v5/users/{id}/access-keys"), Value::Null)
            .await;
        assert_eq!(k.status, 200, "{}", k.body);
        let key = Key {
            ak: k.body["access_key"]["access_key_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            sk: k.body["access_key"]["secret_access_key"]
                .as_str()
                .unwrap()
                .to_owned(),
        };
        (id, urn, key)
    }

    /// Creates a policy and attaches it to a user; returns the policy id.
    pub async fn grant(&self, user_id: &str, name: &str, doc: Value) -> String {
        let p = self
            .root(
                "POST",
                "/v5/policies",
                json!({"policy_name": name, "policy_document": doc.to_string()}),
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        let pid = p.body["policy"]["policy_id"].as_str().unwrap().to_owned();
        let a = self
            .root(
                "POST",
                &format!("/v5/policies/{pid}/attach-user"),
                json!({"user_id": user_id}),
            )
            .await;
        assert!(a.status.is_success(), "{}", a.body);
        pid
    }

    /// Detaches a policy from a user.
    pub async fn revoke(&self, user_id: &str, policy_id: &str) {
        let a = self
            .root(
                "POST",
                &format!("/v5/policies/{policy_id}/detach-user"),
                json!({"user_id": user_id}),
            )
            .await;
        assert!(a.status.is_success(), "{}", a.body);
    }

    pub async fn authorize(&self, principal: &str, action: &str, resource: &str) -> Value {
        let a = self
            .root(
                "POST",
                "/v1/authorize",
                json!({"principal": principal, "action": action, "resource": resource}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body
    }
}

/// Asserts Huawei's error shape and the request id header.
pub fn assert_huawei_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert_eq!(a.body["error_code"], code, "{}", a.body);
    assert!(
        a.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        a.body
    );
    assert!(a.headers.get("x-request-id").is_some(), "no X-Request-Id");
}

/// Signs a request with `key` as the SDKs do, dated now; returns the signature headers and the URI
/// (`path` with the canonical query string).
pub fn sign_now(
    key: &Key,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    payload: &[u8],
) -> (iam_signing::SignedRequest, String) {
    let signed = Signer::new(key.ak.clone(), SecretString::from(key.sk.clone()))
        .sign(
            &OutgoingRequest {
                method,
                path,
                query,
                headers,
                body: payload,
            },
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    let uri = if signed.query_string.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", signed.query_string)
    };
    (signed, uri)
}

/// Makes the test account a member of a new organization (managed by a fresh account `mgmt`)
/// with SCPs enabled, and creates there an SCP `name` denying `actions`, not attached yet.
/// Returns the organization's root id and the SCP id.
pub async fn member_of_org_with_deny_scp(
    app: &TestApp,
    name: &str,
    actions: &[&str],
) -> (String, String) {
    let store = app.state.store();
    let (mgmt, _, _) = store.bootstrap_account("mgmt", REGION, None).await.unwrap();
    let (org, root) = store.create_organization(&mgmt.id).await.unwrap();
    store
        .add_account_to_organization(&org.id, &app.account_id, None)
        .await
        .unwrap();
    store
        .enable_policy_type(&root.id, iam_store::OrgPolicyType::ServiceControlPolicy)
        .await
        .unwrap();
    let scp = store
        .create_scp(
            &org.id,
            &iam_store::NewScp {
                name: name.into(),
                policy_type: iam_store::OrgPolicyType::ServiceControlPolicy,
                content: json!({"Version":"5.0","Statement":[{"Effect":"Deny","Action":actions}]})
                    .to_string(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    (root.id, scp.id)
}

/// Asserts that the error message of an answer contains `needle`.
pub fn assert_error_msg_contains(a: &Answer, needle: &str) {
    let msg = a.body["error_msg"].as_str().unwrap_or_default();
    assert!(msg.contains(needle), "`{needle}` not in {}", a.body);
}

/// Lists `GET /v1/decisions` with `query` as the root until `done` holds for the entries (the
/// log is written in the background), for 2 s at most; returns the last list.
pub async fn wait_for_decisions(
    app: &TestApp,
    query: &[(&str, &str)],
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut items = Vec::new();
    for _ in 0..100 {
        let l = app
            .call(&app.root, "GET", "/v1/decisions", query, Value::Null)
            .await;
        assert_eq!(l.status, 200, "{}", l.body);
        items = l.body["decisions"].as_array().unwrap().clone();
        if done(&items) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    items
}

/// `text` with its characters at `positions` percent-encoded (`upper`: hex digits' case).
pub fn encode_at(text: &str, positions: &[usize], upper: bool) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if positions.contains(&i) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                if upper {
                    out.push_str(&format!("%{b:02X}"));
                } else {
                    out.push_str(&format!("%{b:02x}"));
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A fixed-seed generator of spellings of one path segment: percent-encoding of random subsets
/// (mixed-case hex), double encoding, dot segments (raw and encoded), `;` parameters, trailing
/// `.`, `/` and white space, encoded separators, case changes.
pub fn spellings(segment: &str, seed: u64, count: usize) -> Vec<String> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let n = segment.chars().count();
    let mut out = Vec::new();
    for _ in 0..count {
        let kind = next() % 11;
        let positions: Vec<usize> = (0..n).filter(|_| next() % 3 == 0).collect();
        let upper = next() % 2 == 0;
        let encoded = encode_at(segment, &positions, upper);
        out.push(match kind {
            0..=2 => encoded,
            3 => format!(
                "%25{:02X}{}",
                u32::from(segment.as_bytes()[0]),
                &segment[1..]
            ),
            4 => format!("{encoded}."),
            5 => format!("{encoded};x"),
            6 => format!(".%2F{encoded}"),
            7 => format!("{encoded}/"),
            8 => format!("%2e%2E/{encoded}"),
            9 => format!("{encoded}%20"),
            _ => segment.to_ascii_uppercase(),
        });
    }
    out
}

/// Temporary credentials.
#[derive(Clone)]
pub struct Temp {
    pub key: Key,
    pub token: String,
}

pub async fn call_temp(app: &TestApp, t: &Temp, method: &str, path: &str, body: Value) -> Answer {
    let payload = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&body).unwrap()
    };
    let headers = [
        ("Host", HOST),
        ("Content-Type", "application/json"),
        ("X-Security-Token", t.token.as_str()),
    ];
    let (signed, uri) = sign_now(&t.key, method, path, &[], &headers, &payload);
    let mut req = Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        req = req.header(n, v);
    }
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    app.send(req.body(Body::from(payload)).unwrap()).await
}

/// The temporary credentials of an `AssumeAgency` answer.
pub fn temp_of(a: &Answer) -> Temp {
    let c = &a.body["credentials"];
    Temp {
        key: Key {
            ak: c["access_key_id"].as_str().unwrap().to_owned(),
            sk: c["secret_access_key"].as_str().unwrap().to_owned(),
        },
        token: c["security_token"].as_str().unwrap().to_owned(),
    }
}

/// A directory removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!("iam-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A ModelArts-compatible test upstream on a loopback port: it answers the gateway's resource
/// lookup (`iam_server::gateway::LOOKUP_PATH`) from `attributes` (URN -> answer, with the URN
/// echoed in `resource`; 404 `{"resource": <URN>}` for any other) and answers every other
/// request `{}`, recording its target in `forwarded`.
#[derive(Clone, Default)]
pub struct LookupUpstream {
    pub attributes: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Value>>>,
    pub lookups: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub forwarded: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl LookupUpstream {
    /// Starts it; returns its URL.
    pub async fn spawn() -> (String, LookupUpstream) {
        use axum::extract::{Query, State};
        use axum::response::IntoResponse as _;
        async fn lookup(
            State(u): State<LookupUpstream>,
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> axum::response::Response {
            let urn = q.get("resource").cloned().unwrap_or_default();
            u.lookups.lock().unwrap().push(urn.clone());
            match u.attributes.lock().unwrap().get(&urn) {
                Some(a) => {
                    let mut a = a.clone();
                    a["resource"] = json!(urn);
                    axum::Json(a).into_response()
                }
                None => {
                    (StatusCode::NOT_FOUND, axum::Json(json!({"resource": urn}))).into_response()
                }
            }
        }
        async fn forward(
            State(u): State<LookupUpstream>,
            req: axum::extract::Request,
        ) -> axum::response::Response {
            u.forwarded.lock().unwrap().push(req.uri().to_string());
            axum::Json(json!({})).into_response()
        }
        let u = LookupUpstream::default();
        let app = Router::new()
            .route(iam_server::gateway::LOOKUP_PATH, axum::routing::get(lookup))
            .fallback(forward)
            .with_state(u.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        (format!("http://{addr}"), u)
    }

    /// The number of requests forwarded so far.
    pub fn forwarded_count(&self) -> usize {
        self.forwarded.lock().unwrap().len()
    }
}
