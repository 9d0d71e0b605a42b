//! In-process cost of whole requests through the router (no sockets): `POST /v1/authorize` as
//! `benches/wrk/run.sh` sends it (SDK signature, authorization of the call, decision with its
//! explanation, every layer), and `GET /healthz` (the common layers alone) for comparison.
//!
//! `cargo bench -p iam-server --bench requests`
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
use iam_signing::{OutgoingRequest, Signer};
use iam_store::Store;
use secrecy::ExposeSecret as _;
use tower::ServiceExt as _;

const HOST: &str = "127.0.0.1:8080";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (router, authorize) = rt.block_on(async {
        let store = Store::open_in_memory().await.unwrap();
        let (account, root, _project) = store
            .bootstrap_account("admin", "cn-north-4", None)
            .await
            .unwrap();
        let key = store.create_access_key(&root.id).await.unwrap();
        let state = AppState::new(store, "cn-north-4").await.unwrap();
        let demo = iam_server::demo::create(&state, &account.id).await.unwrap();
        let body =
            serde_json::json!({"principal": demo.alice, "action": "modelarts:notebook:create",
            "resource": "*", "context": {"g:SourceIp": "10.0.0.1"}})
            .to_string();
        let headers = [("Host", HOST), ("Content-Type", "application/json")];
        let signer = Signer::new(
            key.access_key.access_key_id.clone(),
            secrecy::SecretString::from(key.secret_access_key.expose_secret().to_owned()),
        );
        let signed = signer
            .sign(
                &OutgoingRequest {
                    method: "POST",
                    path: "/v1/authorize",
                    query: &[],
                    headers: &headers,
                    body: body.as_bytes(),
                },
                time::OffsetDateTime::now_utc(),
            )
            .unwrap();
        let mut req = Request::builder()
            .method("POST")
            .uri("/v1/authorize")
            .header("Host", HOST)
            .header("Content-Type", "application/json");
        for (n, v) in &signed.headers {
            req = req.header(*n, v);
        }
        (iam_server::app(state), (req, body))
    });
    let (builder, body) = authorize;
    let template = builder.body(()).unwrap();
    let make = move || {
        let mut r = Request::new(Body::from(body.clone()));
        *r.method_mut() = template.method().clone();
        *r.uri_mut() = template.uri().clone();
        *r.headers_mut() = template.headers().clone();
        r
    };
    // the signed request really is allowed
    let check = rt.block_on(async {
        let resp = router.clone().oneshot(make()).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    });
    assert!(
        check.0.is_success() && check.1.contains("\"allow\""),
        "{check:?}"
    );

    let mut g = c.benchmark_group("request");
    g.bench_function("POST /v1/authorize", |b| {
        b.iter(|| {
            rt.block_on(async {
                let resp = router.clone().oneshot(make()).await.unwrap();
                black_box(resp.into_body().collect().await.unwrap().to_bytes())
            })
        });
    });
    g.bench_function("GET /healthz", |b| {
        b.iter(|| {
            rt.block_on(async {
                let req = Request::get("/healthz").body(Body::empty()).unwrap();
                let resp = router.clone().oneshot(req).await.unwrap();
                black_box(resp.into_body().collect().await.unwrap().to_bytes())
            })
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
