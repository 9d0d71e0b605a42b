//! The server's part of the web console, in process (no sockets): a page (`GET /console`, the
//! same HTML for every page, and its largest module), the session a page loads with, the data
//! call of the users page and the editor's validation round trip (`POST
//! /v5/policies/validate`), each made with the console session cookie and its CSRF token.
//! Issue 15 asks for pages under 50 ms of server time and validation under 100 ms.
//!
//! `cargo bench -p iam-server --bench console`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark set-up: a failure must stop the run"
)]

use std::hint::black_box;

use axum::body::Body;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use http_body_util::BodyExt as _;
use iam_server::AppState;
use iam_store::Store;
use tower::ServiceExt as _;

const HOST: &str = "localhost:8080";
const PASSWORD: &str = "Bench-Console-1";
/// What the editor sends: a document with a typo'd action, validated as the user types.
const DOCUMENT: &str = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:create", "modelarts:trainJob:crate"], "Resource": ["*"], "Condition": {"StringEquals": {"g:RequestedRegion": ["cn-north-4"]}}}]}"#;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (router, cookie, csrf) = rt.block_on(async {
        let store = Store::open_in_memory().await.unwrap();
        let (account, root, _project) = store
            .bootstrap_account("admin", "cn-north-4", None)
            .await
            .unwrap();
        let state = AppState::new(store.clone(), "cn-north-4").await.unwrap();
        iam_server::demo::create(&state, &account.id).await.unwrap();
        let profile = iam_store::NewPassword {
            password_hash: iam_login::password::hash(PASSWORD).unwrap(),
            password_reset_required: false,
            password_expires_at: None,
        };
        store
            .create_login_profile(&root.id, &profile)
            .await
            .unwrap();
        state.rebuild().await.unwrap();
        let router = iam_server::app(state);
        let form = serde_json::json!({"account": "admin", "user": "admin", "password": PASSWORD});
        let resp = router
            .clone()
            .oneshot(
                Request::post("/console/api/sign-in")
                    .header("Host", HOST)
                    .header("Content-Type", "application/json")
                    .body(Body::from(form.to_string()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{:?}", resp.status());
        let cookie = resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let csrf = body["session"]["csrf_token"].as_str().unwrap().to_owned();
        (router, cookie, csrf)
    });
    let get = |path: &str, with_session: bool| {
        let mut r = Request::get(path).header("Host", HOST);
        if with_session {
            r = r.header("Cookie", &cookie).header("X-CSRF-Token", &csrf);
        }
        r.body(Body::empty()).unwrap()
    };
    let validate = || {
        let body =
            serde_json::json!({"policy_document": DOCUMENT, "policy_type": "identity_policy"});
        Request::post("/v5/policies/validate")
            .header("Host", HOST)
            .header("Content-Type", "application/json")
            .header("Cookie", &cookie)
            .header("X-CSRF-Token", &csrf)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    // every request benchmarked really succeeds
    rt.block_on(async {
        for req in [
            get("/console", false),
            get("/console/assets/editor.js", false),
            get("/console/api/session", true),
            get("/v5/users", true),
            validate(),
        ] {
            let uri = req.uri().clone();
            let resp = router.clone().oneshot(req).await.unwrap();
            assert!(resp.status().is_success(), "{uri}: {}", resp.status());
        }
    });

    let mut g = c.benchmark_group("console");
    let cases: [(&str, &dyn Fn() -> Request<Body>); 5] = [
        ("GET /console (page)", &|| get("/console", false)),
        ("GET /console/assets/editor.js", &|| {
            get("/console/assets/editor.js", false)
        }),
        ("GET /console/api/session", &|| {
            get("/console/api/session", true)
        }),
        ("GET /v5/users (users page data)", &|| {
            get("/v5/users", true)
        }),
        ("POST /v5/policies/validate (editor)", &validate),
    ];
    for (name, make) in cases {
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let resp = router.clone().oneshot(make()).await.unwrap();
                    black_box(resp.into_body().collect().await.unwrap().to_bytes())
                })
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
