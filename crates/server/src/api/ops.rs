//! Operations endpoints (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`), the ops listener's
//! router (`serve --ops-listen`), and the fallbacks for unknown paths and methods.

use crate::endpoints::{Authz, Endpoint, Method, Reply};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, code};
use crate::state::AppState;

/// `GET /healthz`: liveness and the snapshot revision.
pub(crate) async fn healthz(State(st): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        revision: st.snapshot().revision(),
    })
}

/// The answer of `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok` when the server answers.
    #[schema(pattern = "^ok$")]
    status: &'static str,
    /// The revision of the snapshot decisions read.
    revision: i64,
}

/// `GET /readyz`: whether this server can serve: its snapshot is loaded (always, once it
/// listens) and its store answers a query.
/// - `ready` (200): the store answers.
/// - `degraded` (200, PostgreSQL only): the database does not answer; this replica still
///   decides from its last snapshot (`revision`) and answers writes with 503, so a load
///   balancer keeps it in rotation for decisions.
/// - `store_unavailable` (503, SQLite): the embedded store does not answer.
pub(crate) async fn readyz(State(st): State<AppState>) -> Response {
    let revision = st.snapshot().revision();
    let backend = st.store().backend().kind();
    // A probe must get its answer quickly even when the database does not answer: the
    // follower's last word first, then a ping bounded well under the pool's acquire timeout.
    let answered: Result<(), String> = if st.store_reachable() {
        match tokio::time::timeout(READY_PING_TIMEOUT, st.store().ping()).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "no answer within {} ms",
                READY_PING_TIMEOUT.as_millis()
            )),
        }
    } else {
        Err("the follower cannot reach the database".to_owned())
    };
    match answered {
        Ok(()) => Json(Ready {
            status: "ready",
            revision,
            store: "ok",
            backend,
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the store does not answer");
            let (code, status) = match st.store().backend() {
                iam_store::Backend::Postgres { .. } => (StatusCode::OK, "degraded"),
                _ => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            };
            (
                code,
                Json(Ready {
                    status,
                    revision,
                    store: "unavailable",
                    backend,
                }),
            )
                .into_response()
        }
    }
}

/// How long `/readyz` waits for the store's answer.
const READY_PING_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// The answer of `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Ready {
    /// `ready`; `degraded` (PostgreSQL unreachable, deciding from the last snapshot); or
    /// `store_unavailable` (with HTTP 503, SQLite).
    #[schema(pattern = "^(ready|degraded|store_unavailable)$")]
    status: &'static str,
    /// The revision of the snapshot decisions read.
    revision: i64,
    /// `ok` or `unavailable`.
    #[schema(pattern = "^(ok|unavailable)$")]
    store: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(pattern = "^(sqlite|postgres)$")]
    backend: &'static str,
}

/// The ops listener's router (`serve --ops-listen`): the operations endpoints of [`ENDPOINTS`],
/// served without a signature, for probes, Prometheus and people browsing the API. Nothing else
/// is routed there; the main listener keeps its own rules for the same paths.
pub(crate) fn ops_router(state: AppState) -> axum::Router {
    let mut router = axum::Router::new();
    for e in ENDPOINTS {
        router = router.route(e.path, (e.route)(e.method.filter()));
    }
    router
        .fallback(no_such_api)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The media type of Prometheus' text format.
const METRICS_MEDIA_TYPE: &str = "text/plain; version=0.0.4";

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(State(st): State<AppState>) -> Response {
    let body = st.metrics().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, METRICS_MEDIA_TYPE)], body).into_response()
}

/// `GET /openapi.json`: the document is built from the endpoint rows, which are constants, so it
/// is serialized once per process.
pub(crate) async fn openapi() -> Response {
    static BODY: std::sync::OnceLock<Result<axum::body::Bytes, String>> =
        std::sync::OnceLock::new();
    match BODY.get_or_init(|| {
        serde_json::to_vec(&crate::openapi::openapi_document())
            .map(axum::body::Bytes::from)
            .map_err(|e| e.to_string())
    }) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Unknown path: Huawei API Gateway's `APIGW.0101`.
pub(crate) async fn no_such_api() -> ApiError {
    no_such_api_error()
}

/// The answer to a request that no endpoint serves.
pub(crate) fn no_such_api_error() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code::NO_SUCH_API,
        "The API does not exist or has not been published in the environment",
    )
}

/// Known path, wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code::METHOD,
        "The method is not allowed for this API",
    )
}

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Get,
        path: "/healthz",
        operation_id: "Healthz",
        tag: "operations",
        summary: "Liveness and snapshot revision (no authentication)",
        authz: Authz::Open("liveness probes carry no credentials; the answer holds no data"),
        route: |m| on(m, healthz),
        query: None,
        request: None,
        response: Reply::ok::<Health>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/readyz",
        operation_id: "Readyz",
        tag: "operations",
        summary: "Readiness: the store answers (no authentication)",
        authz: Authz::Open("readiness probes carry no credentials; the answer holds no data"),
        route: |m| on(m, readyz),
        query: None,
        request: None,
        response: Reply::ok::<Ready>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/metrics",
        operation_id: "Metrics",
        tag: "operations",
        summary: "Prometheus metrics",
        authz: Authz::Authenticated,
        route: |m| on(m, metrics),
        query: None,
        request: None,
        response: Reply::text(METRICS_MEDIA_TYPE),
    },
    Endpoint {
        method: Method::Get,
        path: "/openapi.json",
        operation_id: "OpenApi",
        tag: "operations",
        summary: "This document",
        authz: Authz::Authenticated,
        route: |m| on(m, openapi),
        query: None,
        request: None,
        // an OpenAPI 3.1 object, described by the OpenAPI specification rather than here
        response: Reply::ok::<serde_json::Value>(),
    },
];
