//! The nginx `auth_request` endpoint ([`super::AUTH_PATH`]).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use iam_signing::Payload;

use super::enforce::{enforce, refuse};
use super::headers::{self, identity_headers, is_removed_header, normal_name, set};
use super::{Gateway, Mode, Original, Reading, Site, peer_ip, request_id};
use crate::error::ApiError;

pub(super) async fn auth_request(State(gw): State<Gateway>, req: Request) -> Response {
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
/// with `underscores_in_headers on`). The revision token (`X-Iam-Min-Revision`) is the
/// client's to send: it is honoured here, and the configuration removes it on the way to the
/// backend.
pub(super) fn headers_nginx_cannot_remove(h: &HeaderMap) -> Result<(), String> {
    for name in h.keys() {
        let n = name.as_str();
        let reserved = (n.contains('_') && is_removed_header(n))
            || (normal_name(n).starts_with("x-iam-")
                && !headers::IDENTITY.contains(&n)
                && *normal_name(n) != *crate::consistency::MIN_REVISION.as_str());
        if reserved {
            return Err(format!(
                "the request header {n} is reserved: identity and forwarding headers are set by the gateway only; send the request without it"
            ));
        }
    }
    Ok(())
}

/// A denial for nginx: the status, the body, and the body again in `X-Iam-Error-Body`.
pub(super) async fn with_error_header(e: ApiError) -> Response {
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
pub(super) async fn refusal_for_nginx(e: ApiError) -> Response {
    let status = e.status();
    let mut resp = with_error_header(e).await;
    *resp.status_mut() = StatusCode::FORBIDDEN;
    set(resp.headers_mut(), headers::STATUS, status.as_str());
    resp
}
