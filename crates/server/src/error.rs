//! The one error type of the HTTP layer. Every failure answers in Huawei's error shape
//! `{"error_code": "...", "error_msg": "..."}` (plus `encoded_authorization_message` on a 403 and
//! `findings` on an invalid policy document); the `X-Request-Id` header is added by the request-id
//! layer. Internal causes go to tracing, never to the caller.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

/// Stable error codes (documented in `docs/server.md`).
pub mod code {
    /// Signature, credential or date check failed (Huawei API Gateway's code).
    pub const AUTH: &str = "APIGW.0301";
    /// The API does not exist (Huawei API Gateway's code for an unknown path).
    pub const NO_SUCH_API: &str = "APIGW.0101";
    /// Method not allowed on an existing path.
    pub const METHOD: &str = "APIGW.0102";
    /// Malformed request: bad JSON, wrong types, missing fields, bad query parameters.
    pub const BAD_REQUEST: &str = "IAM.0001";
    /// The caller is not authorized to perform the action.
    pub const FORBIDDEN: &str = "IAM.0003";
    /// The entity does not exist.
    pub const NOT_FOUND: &str = "IAM.0004";
    /// The write conflicts with existing state.
    pub const CONFLICT: &str = "IAM.0005";
    /// The body is larger than the server accepts.
    pub const TOO_LARGE: &str = "IAM.0006";
    /// A quota (versions per policy, keys per user, ...) would be exceeded.
    pub const LIMIT: &str = "IAM.0007";
    /// A policy document failed validation; the findings are in the body.
    pub const INVALID_POLICY: &str = "IAM.0008";
    /// ModelArts needs an agency for the operation and no tenant administrator authorized one
    /// for the user (Huawei publishes no code for it; docs/agencies.md).
    pub const NO_AGENCY_AUTHORIZATION: &str = "ModelArts.6802";
    /// Too many sign-ins (password hashes) at once: retry shortly.
    pub const BUSY: &str = "IAM.0503";
    /// The database cannot be reached (nothing was changed), or the snapshot did not reach
    /// the revision the request asked for in time: retry after `Retry-After` seconds.
    pub const UNAVAILABLE: &str = "IAM.0504";
    /// A bug: a handler panicked or an internal step failed. Nothing of the cause is shown.
    pub const INTERNAL: &str = "IAM.0500";
}

/// An error answer. Build it with the constructors; the message must be safe to show to the caller.
#[derive(Debug)]
pub struct ApiError {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: &'static str,
    msg: String,
    encoded_authorization_message: Option<String>,
    findings: Option<serde_json::Value>,
}

/// The body of every error answer (Huawei's error shape).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody<'a> {
    /// A stable code (`docs/server.md`), e.g. `IAM.0001` or `APIGW.0301`.
    error_code: &'a str,
    /// What is wrong, where, and how to fix it.
    error_msg: &'a str,
    /// On a 403: the denial, encoded for `POST /v5/decode-authorization-message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    encoded_authorization_message: Option<&'a str>,
    /// On an invalid policy document: the validator's findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::documents::DocumentFinding>>)]
    findings: Option<&'a serde_json::Value>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, msg: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                status,
                code,
                msg: msg.into(),
                encoded_authorization_message: None,
                findings: None,
            }),
        }
    }

    /// 401 `APIGW.0301`: authentication failed, with a safe reason.
    pub fn unauthenticated(reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            code::AUTH,
            format!("Incorrect IAM authentication information: {reason}"),
        )
    }

    /// 400 `IAM.0001`.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::BAD_REQUEST, msg)
    }

    /// 403 with the engine's denial text (reference §4.2) and an encoded message the caller may
    /// pass back for decoding.
    pub fn forbidden(msg: impl Into<String>, encoded: Option<String>) -> Self {
        let mut e = Self::new(StatusCode::FORBIDDEN, code::FORBIDDEN, msg);
        e.inner.encoded_authorization_message = encoded;
        e
    }

    /// 404 `IAM.0004`.
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code::NOT_FOUND, msg)
    }

    /// 409 `IAM.0005`.
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code::CONFLICT, msg)
    }

    /// 400 `IAM.0007`.
    pub fn limit(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::LIMIT, msg)
    }

    /// 413 `IAM.0006`.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::TOO_LARGE,
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 400 `IAM.0008` carrying the validation findings (Access Analyzer's finding shape).
    pub fn invalid_policy(msg: impl Into<String>, findings: serde_json::Value) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, code::INVALID_POLICY, msg);
        e.inner.findings = Some(findings);
        e
    }

    /// 503 `IAM.0504` with `Retry-After: 1`: the database is unreachable or the replica is
    /// behind the revision the request asked for.
    pub fn unavailable(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE, msg)
    }

    /// 500 `IAM.0500`. The cause is logged here and never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code::INTERNAL,
            "internal error",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The Huawei error code.
    pub fn code(&self) -> &'static str {
        self.inner.code
    }

    /// The validation findings carried by an invalid-policy error.
    pub fn findings(&self) -> Option<&serde_json::Value> {
        self.inner.findings.as_ref()
    }

    /// The message shown to the caller.
    pub fn message(&self) -> &str {
        &self.inner.msg
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.inner.status.as_u16(),
            self.inner.code,
            self.inner.msg
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let this = *self.inner;
        if this.status.is_client_error() {
            tracing::info!(status = this.status.as_u16(), error_code = this.code, error_msg = %this.msg, "request rejected");
        }
        let body = ErrorBody {
            error_code: this.code,
            error_msg: &this.msg,
            encoded_authorization_message: this.encoded_authorization_message.as_deref(),
            findings: this.findings.as_ref(),
        };
        let mut response = (this.status, Json(body)).into_response();
        if this.code == code::UNAVAILABLE {
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

/// The response for a caught panic: a Huawei-shaped 500 without any detail.
pub(crate) fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        code::INTERNAL,
        "internal error",
    )
    .into_response()
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
