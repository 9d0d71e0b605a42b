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

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use iam_canonical::Canonical;
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
    /// The canonical path and query of an allowed request, which nginx forwards
    /// (`proxy_pass http://modelarts$iam_canonical_uri`).
    pub const CANONICAL_URI: &str = "x-iam-canonical-uri";
    /// The status nginx should answer with when it is not the answer's own: a request target
    /// the gateway refuses is answered `403` (nginx understands only 2xx, 401 and 403 from an
    /// auth subrequest) with `X-Iam-Status: 400`, and nginx answers 400.
    pub const STATUS: &str = "x-iam-status";
    /// Every identity and protocol header the gateway answers nginx with; the nginx config
    /// overwrites each of them on the way to the upstream.
    pub const IDENTITY: &[&str] = &[
        PRINCIPAL_URN,
        PRINCIPAL_ID,
        ACCOUNT_ID,
        ACTION,
        RESOURCE,
        AGENCY_ID,
        SESSION_NAME,
        SOURCE_IDENTITY,
        ERROR_BODY,
        CANONICAL_URI,
        STATUS,
    ];
}

/// Why a request header is in [`REMOVED_HEADERS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// Identity: only the gateway sets `X-Iam-*` headers.
    Identity,
    /// Hop-by-hop headers (RFC 9110 §7.6.1) and the message framing, which belong to one
    /// connection; the gateway sets `Host` and the framing of its own request.
    HopByHop,
    /// The client's credentials.
    Credential,
    /// Read by some frameworks and proxies as the "real" method.
    MethodOverride,
    /// Read by some frameworks and proxies as the "real" URL.
    UrlOverride,
    /// Client address and forwarding headers: the gateway sets `X-Forwarded-For`, `X-Real-IP`
    /// and `X-Forwarded-Proto` itself, from what it saw.
    Forwarding,
}

/// Request headers never forwarded as the client sent them, by normal name (lower case, `_`
/// folded into `-`): a header is removed when its normal name is one of these, or starts with
/// one that ends in `-` (`x-iam-`). So every spelling goes: `X_Iam_Principal_Urn`,
/// `X-IAM-ACCOUNT-ID`, `x_forwarded_for` (some upstreams fold `_` into `-` and would merge an
/// underscore spelling with the gateway's value). The headers named in `Connection` go too.
///
/// The one list: the proxy strips with it ([`is_removed_header`]); a test checks that
/// tests/nginx/nginx.conf.template overwrites every name of it nginx would pass on (and every
/// [`headers::IDENTITY`] name), and that docs/gateway.md ("Headers an upstream may trust") names
/// every entry.
pub const REMOVED_HEADERS: &[(&str, Removed)] = &[
    ("x-iam-", Removed::Identity),
    ("connection", Removed::HopByHop),
    ("keep-alive", Removed::HopByHop),
    ("proxy-connection", Removed::HopByHop),
    ("proxy-authenticate", Removed::HopByHop),
    ("proxy-authorization", Removed::HopByHop),
    ("te", Removed::HopByHop),
    ("trailer", Removed::HopByHop),
    ("transfer-encoding", Removed::HopByHop),
    ("upgrade", Removed::HopByHop),
    ("host", Removed::HopByHop),
    ("content-length", Removed::HopByHop),
    ("authorization", Removed::Credential),
    ("x-security-token", Removed::Credential),
    ("x-http-method-override", Removed::MethodOverride),
    ("x-method-override", Removed::MethodOverride),
    ("x-http-method", Removed::MethodOverride),
    ("x-original-method", Removed::MethodOverride),
    ("x-original-url", Removed::UrlOverride),
    ("x-original-uri", Removed::UrlOverride),
    ("x-rewrite-url", Removed::UrlOverride),
    ("x-forwarded-for", Removed::Forwarding),
    ("x-forwarded-host", Removed::Forwarding),
    ("x-forwarded-proto", Removed::Forwarding),
    ("x-forwarded-port", Removed::Forwarding),
    ("x-forwarded-prefix", Removed::Forwarding),
    ("x-forwarded-server", Removed::Forwarding),
    ("x-real-ip", Removed::Forwarding),
    ("forwarded", Removed::Forwarding),
    ("x-client-ip", Removed::Forwarding),
    ("true-client-ip", Removed::Forwarding),
];

/// A header name's normal form: lower case, `_` folded into `-`.
fn normal_name(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b == b'_' || b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase().replace('_', "-"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Whether a request header (any spelling) is in [`REMOVED_HEADERS`].
pub fn is_removed_header(name: &str) -> bool {
    let n = normal_name(name);
    REMOVED_HEADERS.iter().any(|(r, _)| {
        if r.ends_with('-') {
            n.starts_with(r)
        } else {
            *n == **r
        }
    })
}

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

/// Gateway state: the server state and the upstream (proxy mode).
#[derive(Clone)]
struct Gateway {
    state: AppState,
    upstream: Option<Upstream>,
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
}

/// The `auth_request` endpoint, mounted by [`crate::app`] outside the signing middleware (it
/// verifies the *original* request's signature itself).
pub(crate) fn auth_router<S>(state: &AppState) -> Router<S> {
    let gw = Gateway {
        state: state.clone(),
        upstream: None,
    };
    Router::new()
        // the two methods of its `ENDPOINTS` rows (nginx sends a GET subrequest)
        .route(AUTH_PATH, get(auth_request).post(auth_request))
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

/// Whether a request is a ModelArts API call to forward: a route of the catalog's `modelarts`
/// service that modelarts-iam does not serve itself (the ModelArts agency and authorization
/// APIs are its own: `crate::endpoints::ENDPOINTS`, with the tenant-administrator rule).
fn is_modelarts(method: &str, path: &str) -> bool {
    Catalog::builtin()
        .find_route(method, path)
        .is_some_and(|r| r.service == "modelarts")
        && crate::endpoints::find(method, path).is_none()
}

/// Whether a raw path that has no canonical form reads as a ModelArts API call, for some method:
/// as it is, or with every `%` escape decoded (repeatedly), `\` as `/`, and empty, `.` and
/// `..` segments resolved the way a lenient server would. Such a request is refused with 400
/// (never forwarded); any other goes to the IAM server, which forwards nothing.
fn looks_like_modelarts(raw_path: &str) -> bool {
    let mut decoded = raw_path.to_owned();
    for _ in 0..3 {
        let next = decode_lossy(&decoded);
        if next == decoded {
            break;
        }
        decoded = next;
    }
    let mut segments: Vec<&str> = Vec::new();
    for s in decoded.split(['/', '\\']) {
        match s {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let lenient = format!("/{}", segments.join("/"));
    [raw_path, lenient.as_str()].iter().any(|path| {
        iam_canonical::METHODS
            .iter()
            .any(|method| is_modelarts(method, path))
    })
}

/// Percent-decodes every valid escape of `s` once; invalid UTF-8 becomes U+FFFD.
fn decode_lossy(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escape = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escape {
            Some(d) => {
                out.push(d);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn dispatch(State(d): State<Dispatch>, req: Request) -> Response {
    let uri = req.uri();
    let reading = Reading::new(
        req.method().as_str(),
        iam_canonical::canonicalize(uri.path(), uri.query()),
    );
    match reading {
        Ok(r) if is_modelarts(r.method, &r.path) => proxy(d.gw, req, r).await,
        Err(message) if looks_like_modelarts(uri.path()) => {
            let site = Site {
                mode: Mode::Proxy,
                method: req.method().as_str(),
                path: uri.path(),
                raw_target: uri.path_and_query().map(|p| p.as_str()),
                headers: req.headers(),
                source_ip: peer_ip(&req),
                request_id: request_id(req.headers()),
            };
            refuse(&d.gw.state, &site, message).into_response()
        }
        // the server's own APIs, in their canonical form as in `crate::app`
        _ => match crate::canonical_request::rewrite(req) {
            Ok(req) => match d.local.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            },
            Err(e) => e.into_response(),
        },
    }
}

/// Refuses a request target without one meaning: logged (`rejected`, with the reason), counted
/// (`outcome="rejected"`), 400 `IAM.0001` with the reason.
fn refuse(st: &AppState, site: &Site<'_>, message: String) -> ApiError {
    count(site.mode, Outcome::Rejected);
    log(
        st,
        site,
        None,
        "-",
        None,
        "rejected",
        None,
        Some(message.clone()),
    );
    ApiError::bad_request(message)
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

async fn proxy(gw: Gateway, req: Request, reading: Reading) -> Response {
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
    // exactly what was decided on, and nothing else, goes to the upstream
    let forwarded = reading.target.path_and_query();
    let raw_target = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let original = Original {
        site: Site {
            mode: Mode::Proxy,
            method: reading.method,
            path: &reading.path,
            raw_target: (raw_target != forwarded).then_some(raw_target),
            headers: &parts.headers,
            source_ip,
            request_id: request_id(&parts.headers),
        },
        reading: &reading,
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        payload: Payload::Bytes(&bytes),
        body: Some(&bytes),
        secure: false,
    };
    let allowed = match enforce(&gw, &original).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let uri = http::Uri::builder()
        .scheme(upstream.scheme.clone())
        .authority(upstream.authority.clone())
        .path_and_query(format!("{}{forwarded}", upstream.prefix))
        .build();
    let Ok(uri) = uri else {
        return ApiError::bad_request("the request URI cannot be forwarded").into_response();
    };
    let mut out = http::Request::builder()
        .method(reading.method)
        .uri(uri)
        .body(Body::from(bytes))
        .unwrap_or_default();
    let h = out.headers_mut();
    copy_headers(&parts.headers, h);
    if let Ok(v) = HeaderValue::from_str(upstream.authority.as_str()) {
        h.insert(header::HOST, v);
    }
    forwarding_headers(source_ip, h);
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

/// Copies the client's headers but every spelling of [`REMOVED_HEADERS`] and the headers the
/// client named in `Connection` (hop-by-hop too, RFC 9110 §7.6.1).
fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    let listed: Vec<String> = from
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| normal_name(t.trim()).into_owned())
        .filter(|t| !t.is_empty())
        .collect();
    for (name, value) in from {
        let n = name.as_str();
        if is_removed_header(n) || listed.iter().any(|l| *l == normal_name(n)) {
            continue;
        }
        to.append(name.clone(), value.clone());
    }
}

/// The gateway's own forwarding headers: the TCP peer (no client-sent chain) and the scheme
/// it was reached with (plain HTTP; TLS is terminated in front of it).
fn forwarding_headers(peer: Option<IpAddr>, h: &mut HeaderMap) {
    if let Some(ip) = peer
        && let Ok(v) = HeaderValue::from_str(&ip.to_string())
    {
        h.insert(HeaderName::from_static("x-forwarded-for"), v.clone());
        h.insert(HeaderName::from_static("x-real-ip"), v);
    }
    h.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(HeaderName::from_static(name), v);
    }
}

fn identity_headers(a: &Allowed, h: &mut HeaderMap) {
    set(h, headers::PRINCIPAL_URN, &a.caller.urn);
    set(
        h,
        headers::PRINCIPAL_ID,
        &crate::context::principal_id(&a.caller),
    );
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
    let original = |name: &str| {
        h.get(name)
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
    };
    let (Some(method), Some(uri)) = (
        original(headers::ORIGINAL_METHOD),
        original(headers::ORIGINAL_URI),
    ) else {
        return with_error_header(ApiError::bad_request(
            "an auth_request needs the X-Original-Method and X-Original-URI headers",
        ))
        .await;
    };
    let (raw_path, raw_query) = uri.split_once('?').unwrap_or((&uri, ""));
    let source_ip = h
        .get(headers::REAL_IP)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| peer_ip(&req));
    let reading = Reading::new(&method, iam_canonical::canonicalize_target(&uri))
        .and_then(|r| headers_nginx_cannot_remove(h).map(|()| r));
    let reading = match reading {
        Ok(r) => r,
        Err(message) => {
            let site = Site {
                mode: Mode::AuthRequest,
                method: &method,
                path: raw_path,
                raw_target: Some(&uri),
                headers: h,
                source_ip,
                request_id: request_id(h),
            };
            return refusal_for_nginx(refuse(&gw.state, &site, message)).await;
        }
    };
    let has_body = h
        .get(headers::ORIGINAL_CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .is_some_and(|v| !v.is_empty() && v != "0");
    let secure = h
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let canonical_uri = reading.target.path_and_query();
    let original = Original {
        site: Site {
            mode: Mode::AuthRequest,
            method: reading.method,
            path: &reading.path,
            raw_target: (*uri != canonical_uri).then_some(&*uri),
            headers: h,
            source_ip,
            request_id: request_id(h),
        },
        reading: &reading,
        raw_path,
        raw_query,
        payload: if has_body {
            Payload::Unavailable
        } else {
            Payload::Bytes(b"")
        },
        body: None,
        secure,
    };
    match enforce(&gw, &original).await {
        Ok(allowed) => {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            identity_headers(&allowed, resp.headers_mut());
            set(resp.headers_mut(), headers::CANONICAL_URI, &canonical_uri);
            resp
        }
        Err(e) => with_error_header(e).await,
    }
}

/// In `auth_request` mode nginx forwards the client's headers itself: its configuration
/// overwrites every identity, override and forwarding header by its exact name and drops names
/// with `_` (`underscores_in_headers off`). A header that reaches the endpoint anyway, and that
/// nginx would therefore pass on, is refused: an `X-Iam-*` name the configuration does not
/// overwrite ([`headers::IDENTITY`]), or an `_` spelling of a removed header (nginx running
/// with `underscores_in_headers on`).
fn headers_nginx_cannot_remove(h: &HeaderMap) -> Result<(), String> {
    for name in h.keys() {
        let n = name.as_str();
        let reserved = (n.contains('_') && is_removed_header(n))
            || (normal_name(n).starts_with("x-iam-") && !headers::IDENTITY.contains(&n));
        if reserved {
            return Err(format!(
                "the request header {n} is reserved: identity and forwarding headers are set by the gateway only; send the request without it"
            ));
        }
    }
    Ok(())
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

/// A refused request target for nginx, which takes only 2xx, 401 and 403 from an auth
/// subrequest (anything else becomes its own 500): `403` with the real status in
/// `X-Iam-Status` and the body in `X-Iam-Error-Body`; the configuration answers with both.
async fn refusal_for_nginx(e: ApiError) -> Response {
    let status = e.status();
    let mut resp = with_error_header(e).await;
    *resp.status_mut() = StatusCode::FORBIDDEN;
    set(resp.headers_mut(), headers::STATUS, status.as_str());
    resp
}

// ---------------------------------------------------------------------------------------------
// enforcement

impl Gateway {
    /// The account and region of a project id.
    async fn project(&self, id: &str) -> Result<Option<RouteTarget>, ApiError> {
        let project = self.state.project(id).await?;
        Ok(project.map(|p| RouteTarget::new(p.region, p.account_id)))
    }
}

/// The outcomes counted in [`REQUESTS`].
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Allowed,
    Denied,
    Unauthenticated,
    /// The request target has no single meaning (400).
    Rejected,
}

impl Outcome {
    const ALL: [Outcome; 4] = [
        Outcome::Allowed,
        Outcome::Denied,
        Outcome::Unauthenticated,
        Outcome::Rejected,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Unauthenticated => "unauthenticated",
            Outcome::Rejected => "rejected",
        }
    }
}

/// The gateway's metric handles, registered once (see `telemetry::record_decision`).
struct GatewayMetrics {
    /// `[mode][outcome]`, modes in the order proxy, auth_request; outcomes in [`Outcome::ALL`]
    /// order.
    requests: [[metrics::Counter; 4]; 2],
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
    gateway_metrics().enforce_seconds[o.site.mode.index()].record(started.elapsed().as_secs_f64());
    result
}

async fn enforce_inner(gw: &Gateway, o: &Original<'_>) -> Result<Allowed, ApiError> {
    let st = &gw.state;
    // 1. who
    let incoming = IncomingRequest::new(o.reading.method, o.raw_path, o.raw_query, o.site.headers);
    let caller = match crate::auth::verify_incoming(st, &incoming, o.payload).await {
        Ok(c) => c,
        Err(e) => {
            count(o.site.mode, Outcome::Unauthenticated);
            log(
                st,
                &o.site,
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
    let resolved = match catalog.resolve_route(o.reading.method, &o.reading.path, &probe) {
        // only the upstream's own APIs: not another service's, not modelarts-iam's own
        Ok(r) if is_modelarts(o.reading.method, &o.reading.path) => r,
        Ok(_) => {
            let msg = format!(
                "User: {} is not authorized to call {} {} through the gateway: it is not an API of the ModelArts upstream (modelarts-iam serves its own APIs itself).",
                caller.urn, o.reading.method, o.reading.path
            );
            return Err(implicit_deny(st, &o.site, &caller, msg));
        }
        Err(e) => {
            let msg = format!(
                "User: {} is not authorized to call {} {}: {e}; no action is registered for this API.",
                caller.urn, o.reading.method, o.reading.path
            );
            return Err(implicit_deny(st, &o.site, &caller, msg));
        }
    };
    let target = match resolved.project_id() {
        Some(pid) => match gw.project(pid).await? {
            Some(t) if t.account_id == caller.account_id => t,
            _ => {
                let msg = format!(
                    "User: {} is not authorized to access project {pid}: the project does not exist in account {}.",
                    caller.urn, caller.account_id
                );
                return Err(implicit_deny(st, &o.site, &caller, msg));
            }
        },
        None => probe.clone(),
    };
    let resolved = if target == probe {
        resolved
    } else {
        catalog
            .resolve_route(o.reading.method, &o.reading.path, &target)
            .map_err(|e| ApiError::forbidden(e.to_string(), None))?
    };
    if resolved.actions.is_empty() {
        let msg = format!(
            "User: {} is not authorized to call {} {}: no action is registered for this API.",
            caller.urn, o.reading.method, o.reading.path
        );
        return Err(implicit_deny(st, &o.site, &caller, msg));
    }
    // 3. context
    let ctx = match request_context(
        &caller,
        o,
        &resolved.params,
        resolved.actions.as_slice(),
        &target,
    ) {
        Ok(ctx) => ctx,
        Err(e) => {
            count(o.site.mode, Outcome::Rejected);
            log(
                st,
                &o.site,
                Some(&caller),
                "-",
                None,
                "rejected",
                None,
                Some(e.message().to_owned()),
            );
            return Err(e);
        }
    };
    // 4. decide every action
    let snapshot = st.snapshot();
    let principal = st.caller_set(&snapshot, &caller)?;
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
            &o.site,
            Some(&caller),
            action,
            Some(&resource),
            decision.as_str(),
            Some((policy, statement, &explanation)),
            None,
        );
        if decision != Decision::Allow {
            count(o.site.mode, Outcome::Denied);
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
    count(o.site.mode, Outcome::Allowed);
    Ok(Allowed {
        actions: resolved.actions.iter().map(|a| (*a).to_owned()).collect(),
        resource: first_resource,
        caller,
    })
}

/// A call the gateway refuses before any policy is consulted (no such API of the upstream, a
/// project of another account): counted, logged as an implicit deny, 403 with `msg`.
fn implicit_deny(st: &AppState, site: &Site<'_>, caller: &Caller, msg: String) -> ApiError {
    count(site.mode, Outcome::Denied);
    log(
        st,
        site,
        Some(caller),
        "-",
        None,
        "implicit_deny",
        None,
        Some(msg.clone()),
    );
    ApiError::forbidden(msg, None)
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

/// Names under which a request names the pool it runs on (Huawei's APIs: `pool_id`, services'
/// `pool_name` and `cluster_id`, and the `pool.id` object), in the query, the path or anywhere in
/// the JSON body (`spec.resource.pool_id`, `config[].cluster_id`, `tasks[].task_resource.pool_id`,
/// ...).
const POOL_KEYS: &[&str] = &["pool_id", "pool_name", "cluster_id"];

/// The pool a request names, read the way no upstream can read otherwise: every place a pool
/// can be named is looked at (the decoded query, `{pool_name}`/`{pool_id}` path parameters, and
/// every member named in [`POOL_KEYS`] or `pool.id` at any depth of the JSON body), and a request
/// that names two different pools, or whose body mentions a pool but is not strict JSON (what a
/// lenient parser would read cannot be known), is refused: the decision must be about the pool
/// the upstream will use.
fn pool_of(o: &Original<'_>, params: &[(String, String)]) -> Result<Option<String>, ApiError> {
    let mut found: Vec<String> = Vec::new();
    for key in POOL_KEYS {
        if let Some(v) = o.reading.target.query_value(key) {
            found.push(v.to_owned());
        }
    }
    for (k, v) in params {
        if k == "pool_name" || k == "pool_id" {
            found.push(v.clone());
        }
    }
    if let Some(body) = o.body.filter(|b| !b.iter().all(u8::is_ascii_whitespace)) {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => body_pools(&v, &mut found),
            Err(_) => {
                let lower = body.to_ascii_lowercase();
                let mentions = |w: &[u8]| lower.windows(w.len()).any(|x| x == w);
                if mentions(b"pool") || mentions(b"cluster") {
                    return Err(ApiError::bad_request(
                        "invalid request body: it names a pool but is not strict JSON (RFC 8259, UTF-8 without a byte-order mark), so the pool the service would read cannot be known; send plain JSON",
                    ));
                }
            }
        }
    }
    found.retain(|v| !v.is_empty());
    found.sort();
    found.dedup();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => Err(ApiError::bad_request(format!(
            "the request names more than one pool ({}): name the pool once",
            many.join(", ")
        ))),
    }
}

/// Every pool named in a JSON body: string members named in [`POOL_KEYS`] and `pool.id`, at any
/// depth, in objects and arrays.
fn body_pools(v: &Value, found: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if POOL_KEYS.contains(&k.as_str())
                    && let Value::String(s) = child
                {
                    found.push(s.clone());
                }
                if k == "pool"
                    && let Some(Value::String(s)) = child.get("id")
                {
                    found.push(s.clone());
                }
                body_pools(child, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                body_pools(item, found);
            }
        }
        _ => {}
    }
}

/// The request context of an enforced request (docs/gateway.md lists every key).
fn request_context(
    caller: &Caller,
    o: &Original<'_>,
    params: &[(String, String)],
    actions: &[&str],
    target: &RouteTarget,
) -> Result<Context, ApiError> {
    // the keys every decision gets (crate::context), then the ModelArts request's own
    let facts = crate::context::RequestFacts {
        region: target.region.clone(),
        source_ip: o.site.source_ip,
        secure: o.secure,
        user_agent: o
            .site
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let mut ctx = crate::context::base(caller, &facts);
    if let Some(pid) = params.iter().find(|(k, _)| k == "project_id") {
        ctx.insert("g:ProjectId", pid.1.clone());
    }
    let pool = pool_of(o, params)?;
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
    Ok(ctx)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one decision-log entry, field by field"
)]
fn log(
    st: &AppState,
    o: &Site<'_>,
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
        raw_target: o.raw_target.map(shown),
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
    /// The target as received, when it differs from the canonical one or was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_target: Option<&'a str>,
    source_ip: Option<IpAddr>,
    reason: Option<&'a str>,
}

/// At most the first 1024 bytes of a raw target (cut at a character boundary).
fn shown(raw: &str) -> &str {
    let mut end = raw.len().min(1024);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    raw.get(..end).unwrap_or_default()
}
