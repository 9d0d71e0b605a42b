//! The enforcement gateway for ModelArts APIs, two ways:
//!
//! - **Reverse proxy** (`modelarts-iam serve --upstream URL`, [`proxy_app`]): requests whose
//!   method and path resolve to a route of the catalog's `modelarts` service are verified
//!   (`SDK-HMAC-SHA256`, `X-Security-Token`), authorized, and forwarded to the upstream with the
//!   caller's identity in `X-Iam-*` headers; the upstream's answer is sent back (read whole first
//!   when its length is known and at most [`BUFFERED_ANSWER`], streamed otherwise). Every other
//!   request is served by the IAM server itself.
//! - **nginx `auth_request`** ([`AUTH_PATH`]): nginx sends the original request's headers with
//!   `X-Original-Method` and `X-Original-URI` (and `X-Original-Content-Length`, `X-Real-IP`);
//!   2xx allows (identity in the response headers, for `auth_request_set`), 401/403 deny with
//!   Huawei's error body, also in the `X-Iam-Error-Body` header because nginx does not pass a
//!   subrequest's body on. nginx cannot give an `auth_request` subrequest the request body, so a
//!   request with a body can only be verified when its signature does not cover the body
//!   (`X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`); `docs/gateway.md` routes requests with a body
//!   through the proxy instead.
//!
//! Both read the request target once, with `iam-canonical`: a method other than the exact
//! upper-case ones, or a path or query without one meaning (encoded separators, dot segments,
//! double encoding, `;`, empty segments, ...), is refused with 400 and never forwarded. The
//! signature is verified over the path and query exactly as received (what the SDK signed);
//! everything else uses the canonical form: the route, the resource URNs and the context are
//! built from the decoded path and query, the decision log records the decoded path, and the
//! proxy forwards exactly [`Canonical::path_and_query`] (the `auth_request` endpoint hands it to
//! nginx in `X-Iam-Canonical-Uri`, and nginx forwards that). So the request decided on is the
//! request forwarded, byte for byte.
//!
//! Both resolve the request through the catalog's routes to actions and resource URNs (the
//! project id in the path names the account and region), fill the request context (`g:` keys,
//! `modelarts:poolId`/`modelarts:poolType` where the request names a pool), decide every action
//! with the engine on the current snapshot (agency sessions: the agency's current policies ∩
//! session policies, bounded by the SCPs), write every decision to the decision log and count
//! it in `/metrics` (`iam_gateway_requests_total{mode,outcome}`).
//!
//! Header hygiene: before adding its own headers, the proxy removes every spelling of the
//! headers in [`REMOVED_HEADERS`] (identity, method and URL overrides, client forwarding
//! headers, hop-by-hop headers, credentials), then sets `X-Forwarded-For` and `X-Real-IP` to
//! the TCP peer and `X-Forwarded-Proto`; nginx does the same by its configuration
//! (`docs/gateway.md`, "Headers an upstream may trust").

mod agency;
mod body;
mod enforce;
pub mod headers;
mod keys;
mod log;
mod lookup;
mod metrics;
mod nginx;
mod proxy;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use http::HeaderMap;
use iam_canonical::Canonical;
use iam_catalog::Catalog;
use iam_signing::Payload;

use crate::auth::Caller;
use crate::state::AppState;

pub(crate) use agency::JobCredentials;
pub use agency::{JOB_SESSION_SECONDS, MIN_REMAINING};
pub use headers::{REMOVED_HEADERS, Removed, is_removed_header};
pub(crate) use lookup::Attributes;
pub use lookup::{LOOKUP_PATH, LOOKUP_TIMEOUT, LOOKUP_TTL_SECONDS};
pub use metrics::{ENFORCE_SECONDS, REQUESTS};
pub use proxy::{BUFFERED_ANSWER, UPSTREAM_ERROR, UPSTREAM_TIMEOUT, UpstreamError};

use proxy::{Dispatch, Upstream, dispatch};

/// Path of the nginx `auth_request` endpoint (any method; not signed itself).
pub const AUTH_PATH: &str = "/v1/gateway/authorize";

/// Gateway state: the server state, the upstream (proxy mode) and a project cache.
#[derive(Clone)]
struct Gateway {
    state: AppState,
    upstream: Option<Arc<Upstream>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

/// Which enforcement point saw the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Proxy,
    AuthRequest,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Proxy => "proxy",
            Mode::AuthRequest => "auth_request",
        }
    }
}

/// The one reading of a request target: what the gateway decides on and forwards.
struct Reading {
    /// The method, exactly one of [`iam_canonical::METHODS`].
    method: &'static str,
    /// The canonical target; forwarded as [`Canonical::path_and_query`].
    target: Canonical,
    /// The decoded path ([`Canonical::decoded_path`]): routes, resource URNs, the decision log.
    path: String,
}

impl Reading {
    /// Reads a raw method and the canonicalization of the raw target; the error is the message
    /// of a 400.
    fn new(
        method: &str,
        target: Result<Canonical, iam_canonical::Rejection>,
    ) -> Result<Self, String> {
        let method = iam_canonical::canonical_method(method).map_err(|r| r.message())?;
        let target = target.map_err(|r| r.message())?;
        let path = target.decoded_path();
        // The route table reads a path up to `?` or `#`; a decoded segment holding one would be
        // routed on a prefix of itself. ModelArts ids never contain them.
        if let Some(c) = path.chars().find(|c| matches!(c, '?' | '#')) {
            let encoded = if c == '?' { "%3F" } else { "%23" };
            return Err(format!(
                "the request path holds an encoded {c:?} ({encoded}), which no ModelArts API path contains: send the path without it"
            ));
        }
        Ok(Self {
            method,
            target,
            path,
        })
    }
}

/// A request as the decision log describes it.
struct Site<'a> {
    mode: Mode,
    /// The method (as received, when the request was refused).
    method: &'a str,
    /// The decoded path (the raw path, when the request was refused).
    path: &'a str,
    /// The raw target, when it differs from the canonical one or was refused.
    raw_target: Option<&'a str>,
    headers: &'a HeaderMap,
    source_ip: Option<IpAddr>,
    request_id: Option<String>,
}

/// The original request as the enforcement point sees it.
struct Original<'a> {
    site: Site<'a>,
    reading: &'a Reading,
    /// The path as received: the signature covers these bytes.
    raw_path: &'a str,
    /// The query as received (without `?`): the signature covers these bytes.
    raw_query: &'a str,
    payload: Payload<'a>,
    /// The body, when the enforcement point has it (for `modelarts:poolId`).
    body: Option<&'a [u8]>,
    secure: bool,
}

/// An allowed request: who, and what was authorized.
struct Allowed {
    caller: Arc<Caller>,
    actions: Vec<String>,
    resource: String,
    /// Agency credentials for the job the request starts (`agency`).
    agency: Option<Arc<JobCredentials>>,
}

/// The `auth_request` endpoint (`GET`/`POST /v1/gateway/authorize`, routed from its rows in
/// `crate::api::gateway`), outside the signing middleware: it verifies the *original*
/// request's signature itself.
pub(crate) async fn auth_endpoint(State(state): State<AppState>, req: Request) -> Response {
    let gw = Gateway {
        state,
        upstream: None,
    };
    nginx::auth_request(State(gw), req).await
}

/// The whole server in proxy mode: ModelArts routes are enforced and forwarded to `upstream`;
/// everything else is the IAM server of [`crate::app`].
pub fn proxy_app(state: AppState, upstream: &str) -> Result<Router, UpstreamError> {
    let upstream = Upstream::parse(upstream)?;
    // unlayered: the common layers wrap the dispatch below once, for both sides
    let local = crate::routes(state.clone());
    let gw = Gateway {
        state,
        upstream: Some(Arc::new(upstream)),
    };
    let consistency_state = gw.state.clone();
    let router = Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(Dispatch { gw, local }));
    Ok(crate::with_common_layers(
        crate::consistency::Consistency::new(consistency_state, router),
    ))
}

/// Whether a request is a ModelArts API call to forward: a route of the catalog's `modelarts`
/// service that modelarts-iam does not serve itself (the ModelArts agency and authorization
/// APIs are its own: their rows in `crate::api::modelarts`, with the tenant-administrator rule).
fn is_modelarts(method: &str, path: &str) -> bool {
    Catalog::builtin()
        .find_route(method, path)
        .is_some_and(|r| is_modelarts_route(r, method, path))
}

/// [`is_modelarts`] of a request whose catalog route is already found (`Catalog::find_route`,
/// or the `route` of `Catalog::resolve_route`, which is the same row).
fn is_modelarts_route(route: &iam_catalog::Route, method: &str, path: &str) -> bool {
    route.service == "modelarts" && crate::endpoints::find(method, path).is_none()
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(&crate::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn peer_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A ModelArts API call described to the decision API (`POST /v1/authorize-request`): the
/// actions and resources the gateway would decide for it, and the request keys it would fill
/// (the catalog's request-key table, the pool, the workspace's enterprise project), read the way
/// the gateway reads a request (canonical target, strict-JSON body). Keys that only the
/// upstream's resource lookup knows are taken from `context` when given; a policy of `set` that
/// reads one not given is a 403, as at the auth_request endpoint. The workspace access model is
/// checked too (403 for a workspace the principal may not use).
pub(crate) struct Described {
    /// `(action, resource URN)` in the route's order.
    pub(crate) decisions: Vec<(String, String)>,
    /// The request keys filled (without the principal's, which the decision adds).
    pub(crate) context: iam_policy::Context,
    /// The route's keys that only the upstream's resource lookup knows (what a caller may give).
    pub(crate) lookup_keys: Vec<iam_catalog::RequestKey>,
}

/// A described call: method, path and query as sent, JSON body.
pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) body: Option<&'a [u8]>,
}

/// [`Described`] of a `call` of `principal` (a caller of its account), whose policies are
/// `set`; `context` holds the keys the caller gave.
pub(crate) async fn describe(
    state: &AppState,
    principal: &Caller,
    set: &iam_policy::PolicySet,
    call: Call<'_>,
    mut context: iam_policy::Context,
) -> Result<Described, crate::error::ApiError> {
    use crate::error::ApiError;
    let Call {
        method,
        path,
        query,
        body,
    } = call;
    let reading = Reading::new(method, iam_canonical::canonicalize(path, query))
        .map_err(|m| ApiError::bad_request(format!("invalid `path`/`query`: {m}")))?;
    let catalog = Catalog::builtin();
    let probe = iam_catalog::RouteTarget::new(state.region(), principal.account_id.clone());
    let resolved = catalog
        .resolve_route(reading.method, &reading.path, &probe)
        .map_err(|e| ApiError::bad_request(format!("{method} {path}: {e}")))?;
    if !is_modelarts_route(resolved.route, reading.method, &reading.path) {
        return Err(ApiError::bad_request(format!(
            "{method} {path} is not an API of the ModelArts upstream: decide modelarts-iam's own APIs with POST /v1/authorize"
        )));
    }
    let target = match resolved.project_id() {
        Some(pid) => match state.project(pid).await? {
            Some(p) if p.account_id == principal.account_id => {
                iam_catalog::RouteTarget::new(p.region, p.account_id)
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "project {pid} does not exist in account {}",
                    principal.account_id
                )));
            }
        },
        None => probe,
    };
    let resolved = catalog
        .resolve_route(reading.method, &reading.path, &target)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let headers = HeaderMap::new();
    let original = Original {
        site: Site {
            mode: Mode::AuthRequest,
            method: reading.method,
            path: &reading.path,
            raw_target: None,
            headers: &headers,
            source_ip: None,
            request_id: None,
        },
        reading: &reading,
        raw_path: path,
        raw_query: query.unwrap_or(""),
        payload: Payload::Bytes(body.unwrap_or_default()),
        body,
        secure: false,
    };
    let gw = Gateway {
        state: state.clone(),
        upstream: None,
    };
    let inputs = keys::Inputs::new(&original, &resolved, &target)?;
    let mut looked = keys::Looked::default();
    enforce::modelarts_keys(&gw, &inputs, set, &mut looked, &mut context).await?;
    keys::check_workspace(&gw, principal, &inputs, &mut looked).await?;
    Ok(Described {
        lookup_keys: resolved
            .route
            .request_keys
            .iter()
            .filter(|k| k.from.contains(&iam_catalog::KeySource::Resource))
            .cloned()
            .collect(),
        decisions: resolved
            .actions
            .iter()
            .zip(resolved.resources.iter())
            .map(|(a, r)| ((*a).to_owned(), r.clone()))
            .collect(),
        context,
    })
}
