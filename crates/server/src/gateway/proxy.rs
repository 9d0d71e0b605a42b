//! Proxy mode: the dispatch between the upstream's APIs and the IAM server's own, and forwarding
//! over the upstream client.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, StatusCode, header};
use http_body_util::BodyExt as _;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use iam_signing::Payload;
use tower::ServiceExt as _;

use super::enforce::{enforce, refuse};
use super::headers::{copy_headers, forwarding_headers, identity_headers};
use super::{Gateway, Mode, Original, Reading, Site, is_modelarts, peer_ip, request_id};
use crate::error::ApiError;

/// Error code of an unreachable or failing upstream (502).
pub const UPSTREAM_ERROR: &str = "APIGW.0502";
/// Time allowed for the upstream's response headers.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Upstream answers of a known length up to this many bytes are read whole before they are sent
/// on; longer ones, and those of unknown length, are streamed.
pub const BUFFERED_ANSWER: u64 = 64 * 1024;

/// `Keep-Alive`, a hop-by-hop response header (the `http` crate has no constant for it).
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// Why [`super::proxy_app`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("invalid upstream URL `{url}`: {reason}")]
pub struct UpstreamError {
    url: String,
    reason: String,
}

pub(super) struct Upstream {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    /// `Host` of every forwarded request: the upstream's authority.
    host: HeaderValue,
    prefix: String,
    client: Client<HttpConnector, Body>,
}

impl Upstream {
    pub(super) fn parse(url: &str) -> Result<Self, UpstreamError> {
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
        let host = HeaderValue::from_str(authority.as_str()).map_err(|_| err("invalid host"))?;
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
            host,
            prefix,
            client,
        })
    }
}

impl Upstream {
    /// `GET` of one of the upstream's own endpoints (`path_and_query` after the URL's prefix),
    /// answered whole within `timeout`: the status and at most [`BUFFERED_ANSWER`] bytes of body.
    pub(super) async fn get(
        &self,
        path_and_query: &str,
        timeout: Duration,
    ) -> Result<(StatusCode, Bytes), String> {
        let uri = http::Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(format!("{}{path_and_query}", self.prefix))
            .build()
            .map_err(|e| e.to_string())?;
        let mut req = http::Request::builder()
            .method(http::Method::GET)
            .uri(uri)
            .body(Body::empty())
            .map_err(|e| e.to_string())?;
        req.headers_mut().insert(header::HOST, self.host.clone());
        let fetch = async {
            let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status();
            let limited = http_body_util::Limited::new(resp.into_body(), BUFFERED_ANSWER as usize);
            let body = limited
                .collect()
                .await
                .map_err(|e| format!("reading the answer: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        tokio::time::timeout(timeout, fetch)
            .await
            .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
    }
}

/// The state of [`dispatch`], shared by every request (held in an `Arc`: nothing of it is
/// cloned per request).
pub(super) struct Dispatch {
    pub(super) gw: Gateway,
    pub(super) local: Router,
}

/// Whether a raw path that has no canonical form reads as a ModelArts API call, for some method:
/// as it is, or with every `%` escape decoded (repeatedly), `\` as `/`, and empty, `.` and
/// `..` segments resolved the way a lenient server would. Such a request is refused with 400
/// (never forwarded); any other goes to the IAM server, which forwards nothing.
pub(super) fn looks_like_modelarts(raw_path: &str) -> bool {
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
pub(super) fn decode_lossy(s: &str) -> String {
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

pub(super) async fn dispatch(State(d): State<Arc<Dispatch>>, req: Request) -> Response {
    let uri = req.uri();
    let reading = Reading::new(
        req.method().as_str(),
        iam_canonical::canonicalize(uri.path(), uri.query()),
    );
    match reading {
        Ok(r) if is_modelarts(r.method, &r.path) => proxy(&d.gw, req, r).await,
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
            Ok(req) => match d.local.clone().oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            },
            Err(e) => e.into_response(),
        },
    }
}

pub(super) async fn proxy(gw: &Gateway, req: Request, reading: Reading) -> Response {
    let Some(upstream) = gw.upstream.as_ref() else {
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
    let allowed = match enforce(gw, &original).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let uri = http::Uri::builder()
        .scheme(upstream.scheme.clone())
        .authority(upstream.authority.clone())
        .path_and_query(if upstream.prefix.is_empty() {
            forwarded
        } else {
            format!("{}{forwarded}", upstream.prefix)
        })
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
    h.insert(header::HOST, upstream.host.clone());
    forwarding_headers(source_ip, h);
    identity_headers(&allowed, h);
    let sent = tokio::time::timeout(UPSTREAM_TIMEOUT, upstream.client.request(out)).await;
    match sent {
        Ok(Ok(resp)) => {
            let (mut rparts, incoming) = resp.into_parts();
            for name in [
                header::CONNECTION,
                KEEP_ALIVE,
                header::TRANSFER_ENCODING,
                header::UPGRADE,
            ] {
                rparts.headers.remove(name);
            }
            // An answer of known, small length is read whole, so the server writes it with its
            // head in one `writev`; streamed, the head leaves first and the body after another
            // round trip between this task and the upstream connection's task.
            if incoming
                .size_hint()
                .exact()
                .is_some_and(|n| n <= BUFFERED_ANSWER)
            {
                match incoming.collect().await {
                    Ok(body) => Response::from_parts(rparts, Body::from(body.to_bytes())),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the upstream's answer failed");
                        unreachable_upstream()
                    }
                }
            } else {
                Response::from_parts(rparts, Body::new(incoming))
            }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "upstream request failed");
            unreachable_upstream()
        }
        Err(_) => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            UPSTREAM_ERROR,
            "the ModelArts upstream did not answer in time",
        )
        .into_response(),
    }
}

/// The 502 of an upstream that could not be reached or broke off its answer.
fn unreachable_upstream() -> Response {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        UPSTREAM_ERROR,
        "the ModelArts upstream could not be reached",
    )
    .into_response()
}
