//! The HTTP server: IAM v5, Organizations and Access Analyzer APIs with Huawei's paths and JSON
//! shapes, the decision API (`/v1/authorize`, `/v1/simulate`) and the operations endpoints.
//!
//! The server is a library: [`app`] builds the whole [`axum::Router`] from an [`AppState`], so
//! tests drive it in process with `tower::ServiceExt::oneshot`; [`serve::run`] binds a socket,
//! bootstraps the data directory and shuts down gracefully.
//!
//! Request path (every endpoint except `/healthz`):
//! 0. the request target is put in its canonical form, or refused with 400
//!    (`canonical_request`); routing and everything after it read only that form;
//! 1. the body is buffered (at most [`MAX_BODY_BYTES`], else 413);
//! 2. the `SDK-HMAC-SHA256` signature is verified against the caller's secret over the raw
//!    target the client signed (401 `APIGW.0301`);
//! 3. the caller (a user of some account) is resolved from the access key;
//! 4. the endpoint's row ([`endpoints()`]) says how the call is authorized (no row: 404); for
//!    catalog rows the request is resolved through the catalog's route table to its actions, each
//!    decided on the URN of the entity the request names, with the request keys of `context`
//!    (403 with Huawei's text);
//! 5. the handler runs. Writes go to the store, then the snapshot is rebuilt and swapped before
//!    the handler answers (read-your-writes); decisions only load the current snapshot.
#![deny(missing_docs)]

mod api;
mod audit;
mod auth;
mod cache;
mod canonical_request;
pub mod config;
pub mod consistency;
mod context;
pub mod demo;
mod documents;
mod endpoints;
mod error;
mod extract;
pub mod gateway;
mod openapi;
mod page;
pub mod serve;
pub mod service;
mod signin;
mod snapshot;
mod state;
pub mod system_policies;
pub mod telemetry;
mod tokens;

pub use api::assistant::{World, parse_time};
pub use api::catalog::{CatalogView, catalog_view};
pub use api::console::{CONTENT_SECURITY_POLICY, asset_names};
pub use api::decisions::{AuthorizeRequest, MAX_BATCH, Text};
pub use auth::{Caller, CallerKind};
pub use endpoints::{
    Authz, Body, Endpoint, EntityKind, Key, Method, Params, Reply, ReplyBody, Route, Sources,
    Target, all as endpoints,
};
pub use error::{ApiError, ApiResult, code as error_code};
pub use extract::{JsonBody, QueryParams};
pub use openapi::openapi_document;
pub use page::{PageInfo, PageQuery};
pub use snapshot::{
    EnterpriseProjectView, Snapshot, WorkspaceAccess, WorkspaceView, current_time,
    may_use_workspace,
};
pub use state::AppState;
pub use system_policies::{system_policy_id, system_policy_urn};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use http::{HeaderName, Request, header};
use std::sync::Arc;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// Largest request body accepted (1 MiB); larger bodies answer 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The request-id header, set on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP API over `state`, with the common layers.
pub fn app(state: AppState) -> Router {
    with_common_layers(consistency::Consistency::new(
        state.clone(),
        fast_lane::FastLane::new(state.clone(), routes(state)),
    ))
}

mod fast_lane {
    //! `POST /v1/authorize`, which enforcement points call for every request they guard, goes
    //! straight to its handler; every other request goes to the router.
    //!
    //! The answer is the same either way: the same authentication and authorization of the call
    //! ([`crate::auth::authenticate_request`]) and the same handler, inside the same common
    //! layers. What the lane skips is the router's own work per request: matching, cloning the
    //! boxed route and its middleware stack, the state clones of the extractors and the request
    //! extensions that carry the caller and the body to the handler.

    use std::convert::Infallible;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use axum::Router;
    use axum::extract::Request;
    use axum::response::Response;
    use futures_util::future::Either;
    use tower::Service;

    use crate::state::AppState;

    type Direct = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    /// The router, with the decision API's lane beside it.
    #[derive(Clone)]
    pub(crate) struct FastLane {
        state: AppState,
        router: Router,
    }

    impl FastLane {
        pub(crate) fn new(state: AppState, router: Router) -> Self {
            Self { state, router }
        }
    }

    impl Service<Request> for FastLane {
        type Response = Response;
        type Error = Infallible;
        type Future = Either<Direct, <Router as Service<Request>>::Future>;

        // axum's `Router` is always ready (its `poll_ready` returns `Ready(Ok(()))`), and so is
        // the lane.
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, req: Request) -> Self::Future {
            let req = match crate::canonical_request::rewrite(req) {
                Ok(req) => req,
                Err(e) => {
                    return Either::Left(Box::pin(async move {
                        Ok(axum::response::IntoResponse::into_response(e))
                    }));
                }
            };
            if req.method() == http::Method::POST
                && req.uri().path() == crate::api::decisions::AUTHORIZE_PATH
            {
                let state = self.state.clone();
                Either::Left(Box::pin(async move {
                    Ok(crate::api::decisions::authorize_directly(state, req).await)
                }))
            } else {
                Either::Right(self.router.call(req))
            }
        }
    }
}

/// The HTTP API without the common layers (the proxy wraps it with its own dispatch first).
pub(crate) fn routes(state: AppState) -> Router {
    endpoints::router(|signed| {
        signed.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
    })
    .fallback(api::ops::no_such_api)
    .method_not_allowed_fallback(api::ops::method_not_allowed)
    .with_state(state)
}

/// Wraps a service (a router, or the router with the decision API's lane beside it) in the
/// common layers: response counting, sensitive headers redacted, request ids, tracing, panic
/// catching and the body limit (outermost first).
///
/// The layers wrap the whole service once, as one tower service installed as the fallback of an
/// otherwise empty router. `Router::layer` would instead wrap every route in one more boxed
/// service per call, and axum clones each route's nested boxes on every request: heap
/// allocations on every request, as many more as there are layers.
pub fn with_common_layers<S>(service: S) -> Router
where
    S: tower::Service<
            Request<axum::body::Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let sensitive: Arc<[HeaderName]> = Arc::new([
        header::AUTHORIZATION,
        HeaderName::from_static("x-security-token"),
        HeaderName::from_static("x-auth-token"),
        HeaderName::from_static("x-subject-token"),
        HeaderName::from_static("x-csrf-token"),
        header::COOKIE,
    ]);
    let layers = ServiceBuilder::new()
        // outermost, so the 500s of caught panics are counted too
        .layer(MapResponseLayer::new(telemetry::count_response))
        .layer(SetSensitiveRequestHeadersLayer::from_shared(sensitive))
        .layer(SetRequestIdLayer::new(REQUEST_ID, telemetry::MakeRequestIds))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let rid = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %rid)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    Router::new().fallback_service(layers.service(service))
}
