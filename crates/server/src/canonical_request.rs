//! Requests are routed, authorized and handled in their canonical form only
//! (`iam_canonical`, docs/canonical.md).
//!
//! [`rewrite`] runs before routing: it refuses a request target with no single meaning (400,
//! Huawei's error body) and replaces the request's URI by the canonical one, so the router, the
//! path extractors, the authorization and the handlers all read the same text. The raw target
//! stays available as [`RawTarget`] for one purpose: signature verification, which must hash the
//! bytes the client signed.

use axum::extract::Request;
use http::Uri;

use crate::error::ApiError;

/// The request target exactly as received (what the client signed).
#[derive(Debug, Clone)]
pub struct RawTarget {
    /// The raw path.
    pub path: String,
    /// The raw query, without `?` (empty when there is none).
    pub query: String,
}

/// The canonical form of a request (decoded segments and query pairs), for the authorization.
#[derive(Debug, Clone)]
pub struct CanonicalTarget(pub iam_canonical::Canonical);

/// Canonicalizes `req` in place, or answers why it cannot be.
pub(crate) fn rewrite(mut req: Request) -> Result<Request, ApiError> {
    iam_canonical::canonical_method(req.method().as_str())
        .map_err(|e| ApiError::bad_request(e.message()))?;
    let uri = req.uri();
    // the common case: nothing to decode or refuse (the authorization reads the path as is)
    if uri.query().is_none() && iam_canonical::is_plain(uri.path()) {
        return Ok(req);
    }
    let canonical = iam_canonical::canonicalize(uri.path(), uri.query())
        .map_err(|e| ApiError::bad_request(e.message()))?;
    let same = canonical.path() == uri.path() && canonical.query() == uri.query();
    if !same {
        let raw = RawTarget {
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or("").to_owned(),
        };
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(
            canonical
                .path_and_query()
                .parse()
                .map_err(|_| ApiError::bad_request("the request target cannot be represented"))?,
        );
        let new = Uri::from_parts(parts)
            .map_err(|_| ApiError::bad_request("the request target cannot be represented"))?;
        *req.uri_mut() = new;
        req.extensions_mut().insert(raw);
    }
    req.extensions_mut().insert(CanonicalTarget(canonical));
    Ok(req)
}
