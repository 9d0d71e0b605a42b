//! Client-side signing, as the Huawei Cloud Python SDK's `Signer` does it.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::authorization::{ALGORITHM, valid_access_key};
use crate::canonical::{
    CanonicalParts, EMPTY_PAYLOAD_SHA256, UNSIGNED_PAYLOAD, sha256_hex, write_canonical_request,
    write_query,
};
use crate::date::format_sdk_date;
use crate::error::SignError;

/// A request about to be sent.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRequest<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as it will be sent (percent-encoded where needed), without the query.
    pub path: &'a str,
    /// Query parameters, not encoded. They are sent as [`SignedRequest::query_string`].
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to send, including `Host`. Values must be sent trimmed, as signed.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (empty for none).
    pub body: &'a [u8],
}

/// What signing produced: headers to add and the query string to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Headers to add to the request: `X-Sdk-Date`, `Authorization`, and
    /// `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` when the content type is neither JSON nor BSON.
    pub headers: Vec<(&'static str, String)>,
    /// The canonical query string; send exactly this after `?` (when not empty).
    pub query_string: String,
    /// The canonical request that was signed (for debugging).
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
}

impl SignedRequest {
    /// The value of one of the added headers, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Signs requests with one access key, mirroring the SDK: every header whose name has no `_`
/// is signed; `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` is added for non-JSON, non-BSON
/// content types.
#[derive(Debug, Clone)]
pub struct Signer {
    access_key: String,
    secret: SecretString,
}

impl Signer {
    /// A signer for `access_key` / `secret` (the SK).
    pub fn new(access_key: impl Into<String>, secret: SecretString) -> Self {
        Self {
            access_key: access_key.into(),
            secret,
        }
    }

    /// Signs `request` as of `date`.
    pub fn sign(
        &self,
        request: &OutgoingRequest<'_>,
        date: OffsetDateTime,
    ) -> Result<SignedRequest, SignError> {
        if !valid_access_key(&self.access_key) {
            return Err(SignError::InvalidAccessKey);
        }
        let date = format_sdk_date(date).ok_or(SignError::InvalidDate)?;

        let mut all: Vec<(String, &str)> = Vec::with_capacity(request.headers.len() + 3);
        for (name, value) in request.headers {
            let lower = name.to_ascii_lowercase();
            if lower == "authorization" || lower == "x-sdk-date" {
                return Err(SignError::ReservedHeader(lower));
            }
            if all.iter().any(|(n, _)| *n == lower) {
                return Err(SignError::DuplicateHeader(lower));
            }
            all.push((lower, value));
        }
        if !all.iter().any(|(n, _)| n == "host") {
            return Err(SignError::MissingHost);
        }
        let mut added: Vec<(&'static str, String)> = Vec::with_capacity(3);
        let content_type = all
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| *v);
        if content_type.is_some_and(|ct| {
            !ct.starts_with("application/json") && !ct.starts_with("application/bson")
        }) && !all.iter().any(|(n, _)| n == "x-sdk-content-sha256")
        {
            added.push(("X-Sdk-Content-Sha256", UNSIGNED_PAYLOAD.to_owned()));
            all.push(("x-sdk-content-sha256".to_owned(), UNSIGNED_PAYLOAD));
        }
        all.push(("x-sdk-date".to_owned(), &date));
        all.retain(|(n, _)| !n.contains('_'));
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let signed_headers = all
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(";");

        let payload_hash = if request.body.is_empty() {
            EMPTY_PAYLOAD_SHA256.to_owned()
        } else if let Some((_, declared)) = all.iter().find(|(n, _)| n == "x-sdk-content-sha256") {
            (*declared).to_owned()
        } else {
            sha256_hex(request.body)
        };

        let mut query: Vec<(&str, &str)> = request.query.to_vec();
        query.sort_unstable();
        let mut query_string = Vec::new();
        write_query(&mut query_string, &query);
        let query_string = String::from_utf8_lossy(&query_string).into_owned();

        let mut canonical = Vec::with_capacity(256);
        let parts = CanonicalParts {
            method: request.method,
            raw_path: request.path,
            headers: all.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
            signed_headers: &signed_headers,
            payload_hash: payload_hash.as_bytes(),
        };
        write_canonical_request(&mut canonical, parts, |s| {
            s.extend_from_slice(query_string.as_bytes());
        });
        let canonical_request = String::from_utf8_lossy(&canonical).into_owned();
        let string_to_sign = string_to_sign(&date, &hex::encode(Sha256::digest(&canonical)));
        let signature = sign_string(&self.secret, &string_to_sign);
        added.push(("X-Sdk-Date", date));
        added.push((
            "Authorization",
            format!(
                "{ALGORITHM} Access={}, SignedHeaders={signed_headers}, Signature={signature}",
                self.access_key
            ),
        ));
        Ok(SignedRequest {
            headers: added,
            query_string,
            canonical_request,
            string_to_sign,
            signature,
        })
    }
}

/// `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(sdk_date: &str, canonical_request_sha256_hex: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{canonical_request_sha256_hex}")
}

/// Hex HMAC-SHA256 of `string_to_sign`, keyed with the SK's bytes.
pub fn sign_string(secret: &SecretString, string_to_sign: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; an empty string is
    // returned rather than panicking if it ever did.
    match Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}
