//! Extractors whose rejections answer in Huawei's error shape with a precise message: JSON bodies
//! (with the JSON path of the bad field) and query strings.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The whole request body. The signing middleware buffers every body once and leaves a copy in
/// the request's extensions (the request still carries the same bytes as its body, for any other
/// extractor); this extractor takes that copy instead of collecting the body a second time, and
/// collects it (at most [`crate::MAX_BODY_BYTES`], else 413) on routes outside the middleware.
#[derive(Debug, Clone)]
pub(crate) struct BufferedBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for BufferedBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(buffered) = req.extensions().get::<BufferedBody>() {
            return Ok(buffered.clone());
        }
        Bytes::from_request(req, state)
            .await
            .map(BufferedBody)
            .map_err(|_| ApiError::too_large(crate::MAX_BODY_BYTES))
    }
}

/// A JSON request body. Malformed JSON, wrong types, unknown or missing fields answer 400
/// `IAM.0001` naming the field path (`policy_document`, `requests[2].action`).
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let BufferedBody(bytes) = BufferedBody::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON body, reporting the path of the first offending field.
pub fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; a JSON object is required",
        ));
    }
    // Every request body is a JSON object (serde would also read a struct from an array).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "invalid request body: a JSON object is required",
        ));
    }
    // Fast path: one plain pass. Only a body that fails is parsed again, tracking the path of
    // the offending field for the message.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::bad_request(format!("invalid request body: {inner}"))
        } else {
            ApiError::bad_request(format!("invalid request body at `{path}`: {inner}"))
        }
    })?;
    Ok(value)
}

/// [`parse_json`] for bodies that carry secrets (passwords): the error names the offending
/// field but never repeats a value, so nothing secret reaches an answer or the log.
pub fn parse_secret_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let path = match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(value) => return Ok(value),
        Err(e) => e.path().to_string(),
    };
    Err(if path == "." || path.is_empty() {
        ApiError::bad_request(
            "invalid request body: a JSON object with the documented members is required",
        )
    } else {
        ApiError::bad_request(format!(
            "invalid request body at `{path}`: missing, unknown or of the wrong type"
        ))
    })
}

/// A JSON request body that carries secrets ([`parse_secret_json`]).
#[derive(Debug, Clone)]
pub struct SecretJsonBody<T>(pub T);

impl<T, S> FromRequest<S> for SecretJsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let BufferedBody(bytes) = BufferedBody::from_request(req, state).await?;
        parse_json::<serde::de::IgnoredAny>(&bytes)?;
        parse_secret_json(&bytes).map(SecretJsonBody)
    }
}

/// A query string. Bad values (a non-numeric `limit`) answer 400 `IAM.0001`.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| QueryParams(q.0))
            .map_err(|e| {
                let text = e.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                ApiError::bad_request(format!("invalid query string: {text}"))
            })
    }
}

/// The connection's peer address (none when the server runs without connect info, as in
/// in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
