//! The enforcement gateway for ModelArts APIs, two ways:
//!
//! - **Reverse proxy** (`modelarts-iam serve --upstream URL`, [`proxy_app`]): requests whose
//!   method and path resolve to a route of the catalog's `modelarts` service are verified
//!   (`SDK-HMAC-SHA256`, `X-Security-Token`), authorized, and forwarded to the upstream with the
//!   caller's identity in `X-Iam-*` headers; the upstream's answer is streamed back. Every other
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
//! Both resolve the request through the catalog's routes to actions and resource URNs (the
//! project id in the path names the account and region), fill the request context (`g:` keys,
//! `modelarts:poolId`/`modelarts:poolType` where the request names a pool), decide every action
//! with the engine on the current snapshot (agency sessions: the agency's current policies ∩
//! session policies, bounded by the SCPs), write every decision to the decision log and count
//! it in `/metrics` (`iam_gateway_requests_total{mode,outcome}`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use iam_catalog::{Catalog, RouteTarget};
use iam_policy::{Context, Decision, Request as EngineRequest};
use iam_signing::{IncomingRequest, Payload};
use iam_store::NewDecision;
use serde_json::Value;
use tower::ServiceExt as _;

use crate::auth::{Caller, CallerKind};
use crate::error::ApiError;
use crate::state::AppState;

/// Path of the nginx `auth_request` endpoint (any method; not signed itself).
pub const AUTH_PATH: &str = "/v1/gateway/authorize";

/// Header names of the `auth_request` protocol.
pub mod headers {
    /// Original method (nginx: `$request_method`).
    pub const ORIGINAL_METHOD: &str = "x-original-method";
    /// Original URI with query (nginx: `$request_uri`).
    pub const ORIGINAL_URI: &str = "x-original-uri";
    /// Original `Content-Length` (nginx: `$content_length`; empty or absent = no body).
    pub const ORIGINAL_CONTENT_LENGTH: &str = "x-original-content-length";
    /// Client address as nginx saw it (`$remote_addr`).
    pub const REAL_IP: &str = "x-real-ip";
    /// Huawei error body of a denial, for nginx to answer with.
    pub const ERROR_BODY: &str = "x-iam-error-body";
    /// Caller principal URN.
    pub const PRINCIPAL_URN: &str = "x-iam-principal-urn";
    /// Caller principal id (user id, or `<agency-id>:<session-name>`).
    pub const PRINCIPAL_ID: &str = "x-iam-principal-id";
    /// Caller account id.
    pub const ACCOUNT_ID: &str = "x-iam-account-id";
    /// The authorized actions, comma-separated.
    pub const ACTION: &str = "x-iam-action";
    /// The resource URN of the first action.
    pub const RESOURCE: &str = "x-iam-resource";
    /// Agency id of an agency session.
    pub const AGENCY_ID: &str = "x-iam-agency-id";
    /// Session name of an agency session.
    pub const SESSION_NAME: &str = "x-iam-session-name";
    /// Source identity of an agency session.
    pub const SOURCE_IDENTITY: &str = "x-iam-source-identity";
}

/// Headers never forwarded to the upstream as the client sent them: hop-by-hop headers, the
/// client's credentials, and identity headers (which only the gateway may set).
const STRIPPED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "authorization",
    "x-security-token",
    "host",
    "content-length",
];

/// Error code of an unreachable or failing upstream (502).
pub const UPSTREAM_ERROR: &str = "APIGW.0502";
/// Time allowed for the upstream's response headers.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// The metric of enforced requests.
pub const REQUESTS: &str = "iam_gateway_requests_total";
/// Latency of enforcement (signature, routing, decision), without the upstream.
pub const ENFORCE_SECONDS: &str = "iam_gateway_enforce_seconds";

/// Why [`proxy_app`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("invalid upstream URL `{url}`: {reason}")]
pub struct UpstreamError {
    url: String,
    reason: String,
}

#[derive(Clone)]
struct Upstream {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    prefix: String,
    client: Client<HttpConnector, Body>,
}

impl Upstream {
    fn parse(url: &str) -> Result<Self, UpstreamError> {
        let err = |reason: &str| UpstreamError {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: http::Uri = url.parse().map_err(|_| err("not a URL"))?;
        let scheme = uri.scheme().cloned().ok_or_else(|| err("no scheme"))?;
        if scheme != http::uri::Scheme::HTTP {
            return Err(err(
                "only http:// upstreams are supported (terminate TLS in front of the gateway)",
            ));
        }
        let authority = uri.authority().cloned().ok_or_else(|| err("no host"))?;
        if uri.query().is_some() {
            return Err(err("an upstream URL has no query"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build(connector);
        Ok(Self {
            scheme,
            authority,
            prefix,
            client,
        })
    }
}

/// Gateway state: the server state, the upstream (proxy mode) and a project cache.
#[derive(Clone)]
struct Gateway {
    state: AppState,
    upstream: Option<Upstream>,
    /// project id -> (account, region); projects never change owner.
    projects: Arc<RwLock<HashMap<String, RouteTarget>>>,
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

/// The original request as the enforcement point sees it.
struct Original<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    payload: Payload<'a>,
    /// The body, when the enforcement point has it (for `modelarts:poolId`).
    body: Option<&'a [u8]>,
    source_ip: Option<IpAddr>,
    secure: bool,
    request_id: Option<String>,
    mode: Mode,
}

/// An allowed request: who, and what was authorized.
struct Allowed {
    caller: Arc<Caller>,
    actions: Vec<String>,
    resource: String,
}

/// The `auth_request` endpoint, mounted by [`crate::app`] outside the signing middleware (it
/// verifies the *original* request's signature itself).
pub(crate) fn auth_router<S>(state: &AppState) -> Router<S> {
    let gw = Gateway {
        state: state.clone(),
        upstream: None,
        projects: Arc::default(),
    };
    Router::new()
        .route(AUTH_PATH, any(auth_request))
        .with_state(gw)
}

/// The whole server in proxy mode: ModelArts routes are enforced and forwarded to `upstream`;
/// everything else is the IAM server of [`crate::app`].
pub fn proxy_app(state: AppState, upstream: &str) -> Result<Router, UpstreamError> {
    let upstream = Upstream::parse(upstream)?;
    // unlayered: the common layers wrap the dispatch below once, for both sides
    let local = crate::routes(state.clone());
    let gw = Gateway {
        state,
        upstream: Some(upstream),
        projects: Arc::default(),
    };
    let router = Router::new()
        .fallback(dispatch)
        .with_state(Dispatch { gw, local });
    Ok(crate::with_common_layers(router))
}

#[derive(Clone)]
struct Dispatch {
    gw: Gateway,
    local: Router,
}

/// Whether a request is a ModelArts API call (a route of the catalog's `modelarts` service).
fn is_modelarts(method: &str, path: &str) -> bool {
    Catalog::builtin()
        .find_route(method, path)
        .is_some_and(|r| r.service == "modelarts")
}

async fn dispatch(State(d): State<Dispatch>, req: Request) -> Response {
    if is_modelarts(req.method().as_str(), req.uri().path()) {
        proxy(d.gw, req).await
    } else {
        // the server's own APIs, in their canonical form as in `crate::app`
        let req = match crate::canonical_request::rewrite(req) {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        };
        match d.local.oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        }
    }
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

async fn proxy(gw: Gateway, req: Request) -> Response {
    let Some(upstream) = gw.upstream.clone() else {
        return ApiError::new(
            StatusCode::BAD_GATEWAY,
            UPSTREAM_ERROR,
            "no upstream is configured",
        )
        .into_response();
    };
    let source_ip = peer_ip(&req);
    let (parts, body) = req.into_parts();
    let limit = crate::MAX_BODY_BYTES;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return ApiError::too_large(limit).into_response(),
    };
    let original = Original {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        payload: Payload::Bytes(&bytes),
        body: Some(&bytes),
        source_ip,
        secure: false,
        request_id: request_id(&parts.headers),
        mode: Mode::Proxy,
    };
    let allowed = match enforce(&gw, &original).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    // forward
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{}{}?{q}", upstream.prefix, parts.uri.path()),
        None => format!("{}{}", upstream.prefix, parts.uri.path()),
    };
    let uri = http::Uri::builder()
        .scheme(upstream.scheme.clone())
        .authority(upstream.authority.clone())
        .path_and_query(path_and_query)
        .build();
    let Ok(uri) = uri else {
        return ApiError::bad_request("the request URI cannot be forwarded").into_response();
    };
    let mut out = http::Request::builder()
        .method(parts.method.clone())
        .uri(uri)
        .body(Body::from(bytes))
        .unwrap_or_default();
    let h = out.headers_mut();
    copy_headers(&parts.headers, h);
    if let Ok(v) = HeaderValue::from_str(upstream.authority.as_str()) {
        h.insert(header::HOST, v);
    }
    if let Some(ip) = source_ip
        && let Ok(v) = HeaderValue::from_str(&ip.to_string())
    {
        h.append(HeaderName::from_static("x-forwarded-for"), v);
    }
    identity_headers(&allowed, h);
    let sent = tokio::time::timeout(UPSTREAM_TIMEOUT, upstream.client.request(out)).await;
    match sent {
        Ok(Ok(resp)) => {
            let (mut rparts, incoming) = resp.into_parts();
            for name in ["connection", "keep-alive", "transfer-encoding", "upgrade"] {
                rparts.headers.remove(name);
            }
            Response::from_parts(rparts, Body::new(incoming))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "upstream request failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                UPSTREAM_ERROR,
                "the ModelArts upstream could not be reached",
            )
            .into_response()
        }
        Err(_) => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            UPSTREAM_ERROR,
            "the ModelArts upstream did not answer in time",
        )
        .into_response(),
    }
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        let n = name.as_str();
        if STRIPPED.contains(&n) || n.starts_with("x-iam-") {
            continue;
        }
        to.append(name.clone(), value.clone());
    }
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(HeaderName::from_static(name), v);
    }
}

fn principal_id(caller: &Caller) -> String {
    match &caller.kind {
        CallerKind::User { user_id, .. } => user_id.clone(),
        CallerKind::Session {
            agency_id,
            session_name,
            ..
        } => format!("{agency_id}:{session_name}"),
    }
}

fn identity_headers(a: &Allowed, h: &mut HeaderMap) {
    set(h, headers::PRINCIPAL_URN, &a.caller.urn);
    set(h, headers::PRINCIPAL_ID, &principal_id(&a.caller));
    set(h, headers::ACCOUNT_ID, &a.caller.account_id);
    set(h, headers::ACTION, &a.actions.join(","));
    set(h, headers::RESOURCE, &a.resource);
    if let CallerKind::Session {
        agency_id,
        session_name,
        source_identity,
        ..
    } = &a.caller.kind
    {
        set(h, headers::AGENCY_ID, agency_id);
        set(h, headers::SESSION_NAME, session_name);
        if let Some(si) = source_identity {
            set(h, headers::SOURCE_IDENTITY, si);
        }
    }
}

async fn auth_request(State(gw): State<Gateway>, req: Request) -> Response {
    let h = req.headers();
    let method = h
        .get(headers::ORIGINAL_METHOD)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let uri = h
        .get(headers::ORIGINAL_URI)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if method.is_empty() || !uri.starts_with('/') {
        return with_error_header(ApiError::bad_request(
            "an auth_request needs the X-Original-Method and X-Original-URI headers",
        ))
        .await;
    }
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let has_body = h
        .get(headers::ORIGINAL_CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .is_some_and(|v| !v.is_empty() && v != "0");
    let source_ip = h
        .get(headers::REAL_IP)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| peer_ip(&req));
    let secure = h
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let original = Original {
        method,
        path,
        query,
        headers: h,
        payload: if has_body {
            Payload::Unavailable
        } else {
            Payload::Bytes(b"")
        },
        body: None,
        source_ip,
        secure,
        request_id: request_id(h),
        mode: Mode::AuthRequest,
    };
    match enforce(&gw, &original).await {
        Ok(allowed) => {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            identity_headers(&allowed, resp.headers_mut());
            resp
        }
        Err(e) => with_error_header(e).await,
    }
}

/// A denial for nginx: the status, the body, and the body again in `X-Iam-Error-Body`.
async fn with_error_header(e: ApiError) -> Response {
    let (mut parts, body) = e.into_response().into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(v) = HeaderValue::from_bytes(&bytes) {
        parts
            .headers
            .insert(HeaderName::from_static(headers::ERROR_BODY), v);
    }
    Response::from_parts(parts, Body::from(bytes))
}

// ---------------------------------------------------------------------------------------------
// enforcement

impl Gateway {
    /// The account and region of a project id.
    async fn project(&self, id: &str) -> Result<Option<RouteTarget>, ApiError> {
        if let Ok(cache) = self.projects.read()
            && let Some(t) = cache.get(id)
        {
            return Ok(Some(t.clone()));
        }
        match self.state.store().get_project(id).await {
            Ok(p) => {
                let t = RouteTarget::new(p.region, p.account_id);
                if let Ok(mut cache) = self.projects.write()
                    && cache.len() < 100_000
                {
                    cache.insert(id.to_owned(), t.clone());
                }
                Ok(Some(t))
            }
            Err(iam_store::StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The outcomes counted in [`REQUESTS`].
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Allowed,
    Denied,
    Unauthenticated,
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Allowed, Outcome::Denied, Outcome::Unauthenticated];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Unauthenticated => "unauthenticated",
        }
    }
}

/// The gateway's metric handles, registered once (see `telemetry::record_decision`).
struct GatewayMetrics {
    /// `[mode][outcome]`, modes in the order proxy, auth_request; outcomes in [`Outcome::ALL`]
    /// order.
    requests: [[metrics::Counter; 3]; 2],
    /// By mode.
    enforce_seconds: [metrics::Histogram; 2],
}

fn gateway_metrics() -> &'static GatewayMetrics {
    static METRICS: std::sync::OnceLock<GatewayMetrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(|| {
        // the recorder first: handles taken before it is installed would record nowhere
        let _recorder = crate::telemetry::metrics_handle();
        let modes = [Mode::Proxy, Mode::AuthRequest];
        GatewayMetrics {
            requests: modes.map(|m| {
                Outcome::ALL.map(
                    |o| metrics::counter!(REQUESTS, "mode" => m.as_str(), "outcome" => o.as_str()),
                )
            }),
            enforce_seconds: modes
                .map(|m| metrics::histogram!(ENFORCE_SECONDS, "mode" => m.as_str())),
        }
    })
}

impl Mode {
    fn index(self) -> usize {
        match self {
            Mode::Proxy => 0,
            Mode::AuthRequest => 1,
        }
    }
}

fn count(mode: Mode, outcome: Outcome) {
    gateway_metrics().requests[mode.index()][outcome as usize].increment(1);
}

/// Verifies, resolves, decides and logs one request.
async fn enforce(gw: &Gateway, o: &Original<'_>) -> Result<Allowed, ApiError> {
    let started = Instant::now();
    let result = enforce_inner(gw, o).await;
    gateway_metrics().enforce_seconds[o.mode.index()].record(started.elapsed().as_secs_f64());
    result
}

async fn enforce_inner(gw: &Gateway, o: &Original<'_>) -> Result<Allowed, ApiError> {
    let st = &gw.state;
    // 1. who
    let incoming = IncomingRequest::new(o.method, o.path, o.query, o.headers);
    let caller = match crate::auth::verify_incoming(st, &incoming, o.payload).await {
        Ok(c) => c,
        Err(e) => {
            count(o.mode, Outcome::Unauthenticated);
            log(
                st,
                o,
                None,
                "-",
                None,
                "unauthenticated",
                None,
                Some(e.message().to_owned()),
            );
            return Err(e);
        }
    };
    // 2. what
    let catalog = Catalog::builtin();
    let probe = RouteTarget::new(st.region(), caller.account_id.clone());
    let resolved = match catalog.resolve_route(o.method, o.path, &probe) {
        Ok(r) => r,
        Err(e) => {
            count(o.mode, Outcome::Denied);
            let msg = format!(
                "User: {} is not authorized to call {} {}: {e}; no action is registered for this API.",
                caller.urn, o.method, o.path
            );
            log(
                st,
                o,
                Some(&caller),
                "-",
                None,
                "implicit_deny",
                None,
                Some(msg.clone()),
            );
            return Err(ApiError::forbidden(msg, None));
        }
    };
    let target = match resolved.project_id() {
        Some(pid) => match gw.project(pid).await? {
            Some(t) if t.account_id == caller.account_id => t,
            _ => {
                count(o.mode, Outcome::Denied);
                let msg = format!(
                    "User: {} is not authorized to access project {pid}: the project does not exist in account {}.",
                    caller.urn, caller.account_id
                );
                log(
                    st,
                    o,
                    Some(&caller),
                    "-",
                    None,
                    "implicit_deny",
                    None,
                    Some(msg.clone()),
                );
                return Err(ApiError::forbidden(msg, None));
            }
        },
        None => probe.clone(),
    };
    let resolved = if target == probe {
        resolved
    } else {
        catalog
            .resolve_route(o.method, o.path, &target)
            .map_err(|e| ApiError::forbidden(e.to_string(), None))?
    };
    if resolved.actions.is_empty() {
        count(o.mode, Outcome::Denied);
        let msg = format!(
            "User: {} is not authorized to call {} {}: no action is registered for this API.",
            caller.urn, o.method, o.path
        );
        log(
            st,
            o,
            Some(&caller),
            "-",
            None,
            "implicit_deny",
            None,
            Some(msg.clone()),
        );
        return Err(ApiError::forbidden(msg, None));
    }
    // 3. context
    let ctx = request_context(
        st,
        &caller,
        o,
        &resolved.params,
        resolved.actions.as_slice(),
        &target,
    );
    // 4. decide every action
    let snapshot = st.snapshot();
    let principal = snapshot.caller_set(&caller)?;
    let set = &principal.policies;
    let mut first_resource = String::new();
    for (i, (action, resource)) in resolved
        .actions
        .iter()
        .zip(resolved.resources.iter())
        .enumerate()
    {
        // ModelArts routes name ModelArts resources, whose URNs the catalog renders from the
        // path; no IAM entity stands behind them
        let resource = resource.clone();
        if i == 0 {
            first_resource.clone_from(&resource);
        }
        let req = EngineRequest {
            action,
            resource: &resource,
            context: &ctx,
        };
        // one engine pass: the explanation carries the decision (and the determining
        // statement the decision log needs)
        let started = Instant::now();
        let explanation = set.explain(&principal.engine, &req);
        let decision = explanation.decision;
        debug_assert_eq!(decision, set.decide(&principal.engine, &req));
        crate::telemetry::record_decision(
            crate::telemetry::Source::Gateway,
            decision,
            started.elapsed().as_secs_f64(),
        );
        let (policy, statement) = determining(&explanation);
        log(
            st,
            o,
            Some(&caller),
            action,
            Some(&resource),
            decision.as_str(),
            Some((policy, statement, &explanation)),
            None,
        );
        if decision != Decision::Allow {
            count(o.mode, Outcome::Denied);
            let message = explanation.message.clone().unwrap_or_else(|| {
                iam_policy::denial_message(decision, iam_policy::Layer::Identity, &caller.urn, &req)
            });
            let encoded = crate::sts::seal_denial(
                st.store(),
                &caller.account_id,
                &caller.urn,
                action,
                &resource,
                &explanation,
                &ctx,
            );
            return Err(ApiError::forbidden(message, encoded));
        }
    }
    count(o.mode, Outcome::Allowed);
    Ok(Allowed {
        actions: resolved.actions.iter().map(|a| (*a).to_owned()).collect(),
        resource: first_resource,
        caller,
    })
}

/// The determining policy and statement of an explanation (`policy_id`, `layer:policy#index`).
fn determining(e: &iam_policy::Explanation) -> (Option<String>, Option<String>) {
    match e.statements.first() {
        Some(s) => {
            let level = s.level.map(|l| format!("[{l}]")).unwrap_or_default();
            let sid = s
                .sid
                .as_ref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            (
                Some(s.policy_id.as_str().to_owned()),
                Some(format!(
                    "{}{level}:{}#{}{sid}",
                    s.layer,
                    s.policy_id.as_str(),
                    s.statement_index
                )),
            )
        }
        None => (None, None),
    }
}

/// Create actions whose request context carries `modelarts:poolType` (reference §9).
const POOL_TYPED: &[&str] = &[
    "modelarts:notebook:create",
    "modelarts:trainJob:create",
    "modelarts:service:create",
];

/// The pool a request names: `pool_id` in the query, a `{pool_name}` path parameter, or
/// `pool_id` at the top of the JSON body, in `spec.resource`, `spec` or `config`.
fn pool_of(o: &Original<'_>, params: &[(String, String)]) -> Option<String> {
    for pair in o.query.split('&') {
        if let Some(v) = pair.strip_prefix("pool_id=")
            && !v.is_empty()
        {
            return Some(v.to_owned());
        }
    }
    if let Some((_, v)) = params
        .iter()
        .find(|(k, _)| k == "pool_name" || k == "pool_id")
    {
        return Some(v.clone());
    }
    let body: Value = serde_json::from_slice(o.body?).ok()?;
    let paths: [&[&str]; 5] = [
        &["pool_id"],
        &["spec", "resource", "pool_id"],
        &["spec", "pool_id"],
        &["config", "pool_id"],
        &["pool", "id"],
    ];
    paths.iter().find_map(|p| {
        let mut v = &body;
        for k in *p {
            v = v.get(k)?;
        }
        v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
    })
}

/// The request context of an enforced request (docs/gateway.md lists every key).
fn request_context(
    st: &AppState,
    caller: &Caller,
    o: &Original<'_>,
    params: &[(String, String)],
    actions: &[&str],
    target: &RouteTarget,
) -> Context {
    let mut ctx = Context::new();
    ctx.insert("g:CurrentTime", crate::snapshot::current_time());
    if let Some(ip) = o.source_ip {
        ctx.insert("g:SourceIp", ip.to_string());
    }
    ctx.insert("g:SecureTransport", if o.secure { "true" } else { "false" });
    if let Some(ua) = o
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        ctx.insert("g:UserAgent", ua.to_owned());
    }
    ctx.insert("g:RequestedRegion", target.region.clone());
    ctx.insert("g:PrincipalId", principal_id(caller));
    match &caller.kind {
        CallerKind::User { user_id, is_root } => {
            ctx.insert("g:UserId", user_id.clone());
            if let Some(name) = caller.urn.rsplit(':').next() {
                ctx.insert("g:UserName", name.to_owned());
            }
            ctx.insert("g:PrincipalType", if *is_root { "Root" } else { "User" });
        }
        CallerKind::Session {
            source_identity,
            tags,
            ..
        } => {
            ctx.insert("g:PrincipalType", "AssumedAgency");
            if let Some(si) = source_identity {
                ctx.insert("g:SourceIdentity", si.clone());
            }
            for (k, v) in tags {
                ctx.insert(&format!("g:PrincipalTag/{k}"), v.clone());
            }
        }
    }
    if let Some(pid) = params.iter().find(|(k, _)| k == "project_id") {
        ctx.insert("g:ProjectId", pid.1.clone());
    }
    let pool = pool_of(o, params);
    if let Some(p) = &pool {
        ctx.insert("modelarts:poolId", p.clone());
    }
    if actions.iter().any(|a| POOL_TYPED.contains(a)) || pool.is_some() {
        ctx.insert(
            "modelarts:poolType",
            if pool.is_some() {
                "dedicated"
            } else {
                "public"
            },
        );
    }
    let _ = st;
    ctx
}

#[expect(
    clippy::too_many_arguments,
    reason = "one decision-log entry, field by field"
)]
fn log(
    st: &AppState,
    o: &Original<'_>,
    caller: Option<&Caller>,
    action: &str,
    resource: Option<&str>,
    decision: &str,
    determined: Option<(Option<String>, Option<String>, &iam_policy::Explanation)>,
    reason: Option<String>,
) {
    let (session, agency_id) = match caller.map(|c| &c.kind) {
        Some(CallerKind::Session {
            agency_id,
            session_name,
            ..
        }) => (Some(session_name.clone()), Some(agency_id.clone())),
        _ => (None, None),
    };
    let (policy, statement, layer) = match determined {
        Some((p, s, e)) => (
            p,
            s,
            e.failing_layers
                .first()
                .map(|l| l.layer.to_string())
                .or_else(|| e.statements.first().map(|s| s.layer.to_string())),
        ),
        None => (None, None, None),
    };
    let access_key = caller.map(|c| c.access_key_id.clone()).or_else(|| {
        o.headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("Access=").nth(1))
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().chars().take(128).collect())
    });
    // A failed signature is attributed to the owner of the access key it claims, if any.
    let claimed = match (caller, &access_key) {
        (None, Some(ak)) => st
            .snapshot()
            .principal_by_access_key(ak)
            .map(|p| p.urn.clone()),
        _ => None,
    };
    let extra = LogExtra {
        claimed: claimed.is_some(),
        source: "gateway",
        mode: o.mode.as_str(),
        method: o.method,
        path: o.path,
        source_ip: o.source_ip,
        reason: reason.as_deref(),
    };
    st.audit().log(NewDecision {
        at: None,
        principal_urn: caller.map(|c| c.urn.clone()).or(claimed),
        access_key_id: access_key,
        action: action.to_owned(),
        resource: resource.map(str::to_owned),
        decision: decision.to_owned(),
        determining_policy: policy,
        determining_statement: statement,
        layer,
        session,
        agency_id,
        request_id: o.request_id.clone(),
        extra: serde_json::to_string(&extra).ok(),
    });
}

/// The gateway's details of a decision-log entry (its `extra` JSON).
#[derive(serde::Serialize)]
struct LogExtra<'a> {
    claimed: bool,
    source: &'static str,
    mode: &'static str,
    method: &'a str,
    path: &'a str,
    source_ip: Option<IpAddr>,
    reason: Option<&'a str>,
}
