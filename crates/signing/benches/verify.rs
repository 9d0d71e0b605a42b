//! Verifying one `SDK-HMAC-SHA256` request as the server does: a JSON `POST` like
//! `/v1/authorize`, and a `GET` with a query like the SDK's `ListNotebooks`.
//!
//! `cargo bench -p iam-signing --bench verify`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark set-up: a failure must stop the run"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iam_signing::{IncomingRequest, OutgoingRequest, Payload, SecretInfo, Signer, Verifier};
use secrecy::SecretString;

const AK: &str = "HPUAL3ZKQ9D1M8Y4N2XE";
const SK: &str = "q4Jm8rT2vW6yB1nC5xZ9kL3pF7hD0sG2aE4uI6oR";

struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: Vec<(&'static str, &'static str)>,
    body: &'static [u8],
}

fn bench(c: &mut Criterion) {
    let now = time::OffsetDateTime::now_utc();
    let signer = Signer::new(AK, SecretString::from(SK));
    let cases = [
        Case {
            name: "POST json body",
            method: "POST",
            path: "/v1/authorize",
            query: vec![],
            body: br#"{"principal": "iam::0af1c2d3e4f5a6b7c8d9e0f1a2b3c4d5:user:alice", "action": "modelarts:notebook:create", "resource": "*", "context": {"g:SourceIp": "10.0.0.1"}}"#,
        },
        Case {
            name: "GET with query",
            method: "GET",
            path: "/v1/0af1c2d3e4f5a6b7c8d9e0f1a2b3c4d5/notebooks",
            query: vec![("limit", "10"), ("offset", "0")],
            body: b"",
        },
    ];
    let mut g = c.benchmark_group("verify");
    for case in &cases {
        let headers = [
            ("Host", "modelarts.cn-north-4.myhuaweicloud.com"),
            ("Content-Type", "application/json"),
            ("X-Project-Id", "0af1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"),
        ];
        let signed = signer
            .sign(
                &OutgoingRequest {
                    method: case.method,
                    path: case.path,
                    query: &case.query,
                    headers: &headers,
                    body: case.body,
                },
                now,
            )
            .unwrap();
        let mut map = http::HeaderMap::new();
        for (n, v) in headers
            .iter()
            .copied()
            .chain(signed.headers.iter().map(|(n, v)| (*n, v.as_str())))
        {
            map.insert(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let request = IncomingRequest::new(case.method, case.path, &signed.query_string, &map);
        let secret = SecretInfo::new(SecretString::from(SK));
        let verifier = Verifier::new();
        // the request really verifies
        verifier
            .verify(&request, Payload::Bytes(case.body), now, |_| {
                Some(secret.clone())
            })
            .unwrap();
        g.bench_function(case.name, |b| {
            b.iter(|| {
                let pending = verifier
                    .prepare(black_box(&request), Payload::Bytes(case.body), now)
                    .unwrap();
                black_box(pending.finish(Some(&secret)).unwrap())
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
