//! The baseline of the `/v1/authorize` wrk benchmark (`benches/wrk/run.sh`): a bare axum
//! handler on the same runtime, answering `POST /v1/authorize` with a fixed decision after
//! reading the body. No signature check, no JSON parsing, no engine, no middleware.
//!
//! `cargo run --release -p iam-server --example bare -- 127.0.0.1:18091`

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;

async fn authorize(body: Bytes) -> impl IntoResponse {
    let _ = body.len();
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"decision":"allow","allowed":true}"#,
    )
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18091".to_owned());
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("bare handler listening on http://{addr}");
        let app = Router::new().route("/v1/authorize", post(authorize));
        axum::serve(listener, app).await
    })
}
