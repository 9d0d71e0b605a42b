//! Server-side verification of `SDK-HMAC-SHA256` signed requests.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::authorization::{ALGORITHM, Authorization, MAX_SIGNED_HEADERS};
use crate::canonical::{
    CanonicalParts, EMPTY_PAYLOAD_SHA256, HashSink, UNSIGNED_PAYLOAD, parse_query,
    sha256_hex_bytes, sort_pairs, write_canonical_request, write_query,
};
use crate::date::parse_sdk_date;
use crate::error::{MalformedAuthorization, VerifyError};
use crate::headers::{HeaderLookup, HeaderValue};

type HmacSha256 = Hmac<Sha256>;

/// A request as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a, H: ?Sized> {
    /// The method, e.g. `GET` (upper-cased for signing).
    pub method: &'a str,
    /// The raw path exactly as received, still percent-encoded, without the query.
    pub path: &'a str,
    /// The raw query string exactly as received, without `?`; empty when there is none.
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a H,
    /// The authority to use as the `host` value when there is no `Host` header (HTTP/2
    /// `:authority`).
    pub authority: Option<&'a str>,
}

impl<'a, H: HeaderLookup + ?Sized> IncomingRequest<'a, H> {
    /// A request from its raw parts; `query` without `?`.
    pub fn new(method: &'a str, path: &'a str, query: &'a str, headers: &'a H) -> Self {
        Self {
            method,
            path,
            query,
            headers,
            authority: None,
        }
    }

    /// Replaces the path and query by the raw ones the client sent (a server that rewrites
    /// the request target before verification keeps the original for this).
    #[must_use]
    pub fn with_target(mut self, path: &'a str, query: &'a str) -> Self {
        self.path = path;
        self.query = query;
        self
    }

    /// Sets the fallback for a missing `Host` header.
    #[must_use]
    pub fn with_authority(mut self, authority: Option<&'a str>) -> Self {
        self.authority = authority;
        self
    }
}

impl<'a> IncomingRequest<'a, http::HeaderMap> {
    /// The request described by `http` request parts (axum, hyper, tower); the URI authority
    /// stands in for a missing `Host` header.
    pub fn from_http(parts: &'a http::request::Parts) -> Self {
        Self::from_http_parts(&parts.method, &parts.uri, &parts.headers)
    }

    /// Like [`IncomingRequest::from_http`], from the separate pieces.
    pub fn from_http_parts(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a http::HeaderMap,
    ) -> Self {
        Self {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers,
            authority: uri.authority().map(http::uri::Authority::as_str),
        }
    }
}

/// The request body, as far as the verifier can see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The complete body (empty slice for no body).
    Bytes(&'a [u8]),
    /// The body is not available (e.g. nginx `auth_request`) and is known to be non-empty. Only
    /// requests that declare `X-Sdk-Content-Sha256` (the SDK sends `UNSIGNED-PAYLOAD` for
    /// non-JSON bodies) can then be verified. Pass `Bytes(b"")` when the body is known to be empty
    /// (no `Content-Length` or `Content-Length: 0` and no `Transfer-Encoding`).
    Unavailable,
}

/// What the server knows about an access key.
#[derive(Debug, Clone)]
pub struct SecretInfo {
    /// The secret access key (SK); its UTF-8 bytes are the HMAC key.
    pub secret: SecretString,
    /// When the credential stops being valid (temporary credentials).
    pub expires_at: Option<OffsetDateTime>,
    /// Whether requests must carry `X-Security-Token` (temporary credentials). Whether the token
    /// belongs to this access key is for the caller to check with [`Verified::security_token`].
    pub requires_security_token: bool,
}

impl SecretInfo {
    /// A permanent credential.
    pub fn new(secret: SecretString) -> Self {
        Self {
            secret,
            expires_at: None,
            requires_security_token: false,
        }
    }

    /// A temporary credential: needs `X-Security-Token` and expires at `expires_at`.
    pub fn temporary(secret: SecretString, expires_at: OffsetDateTime) -> Self {
        Self {
            secret,
            expires_at: Some(expires_at),
            requires_security_token: true,
        }
    }
}

/// A successfully verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed the request.
    pub access_key: String,
    /// The `X-Security-Token` value, when the request carried one (always signed).
    pub security_token: Option<String>,
    /// The `X-Sdk-Date` of the request.
    pub signed_at: OffsetDateTime,
    /// The `;`-separated lower-case names of the signed headers, as sent; only these are
    /// protected by the signature (e.g. trust `X-Project-Id` only if it is listed). See
    /// [`Verified::signed_header_names`].
    pub signed_headers: String,
    /// Whether the body is covered by the signature. `false` for `UNSIGNED-PAYLOAD` and for
    /// [`Payload::Unavailable`].
    pub payload_verified: bool,
}

/// Verifies `SDK-HMAC-SHA256` signatures. Cheap to clone; holds only configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verifier {
    max_skew: Duration,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of checking everything that does not need the secret key; finish it with
/// [`PendingVerification::finish`] (or [`PendingVerification::check`]) once the secret has been
/// looked up (possibly asynchronously). Borrows from the request; allocates nothing.
#[derive(Debug, Clone)]
pub struct PendingVerification<'a> {
    access_key: &'a str,
    signature: [u8; 32],
    date: &'a str,
    signed_at: OffsetDateTime,
    now: OffsetDateTime,
    /// The canonical request hashes to try: the canonical query order, and the SDK's order of
    /// list values when that differs.
    canonical_hashes: [[u8; 32]; 2],
    hash_count: usize,
    signed_headers: &'a str,
    security_token: Option<&'a str>,
    payload_verified: bool,
}

impl Verifier {
    /// The API Gateway tolerance between `X-Sdk-Date` and the server clock.
    pub const DEFAULT_MAX_SKEW: Duration = Duration::minutes(15);

    /// A verifier allowing [`Verifier::DEFAULT_MAX_SKEW`].
    pub const fn new() -> Self {
        Self {
            max_skew: Self::DEFAULT_MAX_SKEW,
        }
    }

    /// Sets the allowed difference between `X-Sdk-Date` and `now`, either direction (inclusive).
    #[must_use]
    pub const fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// The allowed difference between `X-Sdk-Date` and `now`.
    pub const fn max_skew(&self) -> Duration {
        self.max_skew
    }

    /// Verifies a request in one go; `secret` is called at most once, with the access key id.
    pub fn verify<H, F>(
        &self,
        request: &IncomingRequest<'_, H>,
        payload: Payload<'_>,
        now: OffsetDateTime,
        secret: F,
    ) -> Result<Verified, VerifyError>
    where
        H: HeaderLookup + ?Sized,
        F: FnOnce(&str) -> Option<SecretInfo>,
    {
        let pending = self.prepare(request, payload, now)?;
        let info = secret(pending.access_key());
        pending.finish(info.as_ref())
    }

    /// Checks everything that does not need the secret key (header format, date, signed headers,
    /// payload) and hashes the canonical request.
    pub fn prepare<'a, H>(
        &self,
        request: &IncomingRequest<'a, H>,
        payload: Payload<'_>,
        now: OffsetDateTime,
    ) -> Result<PendingVerification<'a>, VerifyError>
    where
        H: HeaderLookup + ?Sized,
    {
        let headers = request.headers;
        let auth_value = match headers.lookup("authorization") {
            HeaderValue::Absent => return Err(VerifyError::MissingAuthorization),
            HeaderValue::Repeated => {
                return Err(VerifyError::MalformedAuthorization(
                    MalformedAuthorization::MultipleHeaders,
                ));
            }
            HeaderValue::One(v) => std::str::from_utf8(v).map_err(|_| {
                VerifyError::MalformedAuthorization(MalformedAuthorization::NotAscii)
            })?,
        };
        let auth = Authorization::parse(auth_value)?;

        // X-Sdk-Date: present, signed, well-formed, recent.
        let date = match headers.lookup("x-sdk-date") {
            HeaderValue::Absent => return Err(VerifyError::MissingDate),
            HeaderValue::Repeated => return Err(VerifyError::DuplicateHeader("x-sdk-date".into())),
            HeaderValue::One(v) => std::str::from_utf8(v)
                .map_err(|_| VerifyError::MalformedDate)?
                .trim_matches([' ', '\t']),
        };
        if !auth.is_signed("x-sdk-date") {
            return Err(VerifyError::DateNotSigned);
        }
        let signed_at = parse_sdk_date(date).ok_or(VerifyError::MalformedDate)?;
        if (now - signed_at).abs() > self.max_skew {
            return Err(VerifyError::DateOutOfRange {
                max_skew_minutes: self.max_skew.whole_minutes(),
            });
        }
        if !auth.is_signed("host") {
            return Err(VerifyError::HostNotSigned);
        }

        // X-Security-Token must be signed when present.
        let security_token = match headers.lookup("x-security-token") {
            HeaderValue::Absent => None,
            HeaderValue::Repeated => {
                return Err(VerifyError::DuplicateHeader("x-security-token".into()));
            }
            HeaderValue::One(v) => {
                if !auth.is_signed("x-security-token") {
                    return Err(VerifyError::SecurityTokenNotSigned);
                }
                let token = std::str::from_utf8(v)
                    .map_err(|_| VerifyError::InvalidSecurityToken)?
                    .trim_matches([' ', '\t']);
                if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(VerifyError::InvalidSecurityToken);
                }
                Some(token)
            }
        };

        let (payload_hash, payload_verified) = payload_hash(headers, &auth, payload)?;

        // Signed header values, in SignedHeaders order (at most MAX_SIGNED_HEADERS, checked by
        // the parser).
        let mut header_values: [(&str, &[u8]); MAX_SIGNED_HEADERS] =
            [("", &[]); MAX_SIGNED_HEADERS];
        let mut header_count = 0;
        for name in auth.signed_header_names() {
            let value = match headers.lookup(name) {
                HeaderValue::One(v) => v,
                HeaderValue::Repeated => return Err(VerifyError::DuplicateHeader(name.into())),
                HeaderValue::Absent => match (name, request.authority) {
                    ("host", Some(authority)) => authority.as_bytes(),
                    _ => return Err(VerifyError::MissingSignedHeader(name.into())),
                },
            };
            let slot =
                header_values
                    .get_mut(header_count)
                    .ok_or(VerifyError::MalformedAuthorization(
                        MalformedAuthorization::InvalidSignedHeaders,
                    ))?;
            *slot = (name, value);
            header_count += 1;
        }
        let header_values = header_values.get(..header_count).unwrap_or_default();

        // The canonical request, hashed as it is written.
        let hash_with = |pairs: &[(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)]| {
            let mut sink = HashSink::new();
            let parts = CanonicalParts {
                method: request.method,
                raw_path: request.path,
                headers: header_values.iter().copied(),
                signed_headers: auth.signed_headers,
                payload_hash: payload_hash.as_bytes(),
            };
            write_canonical_request(&mut sink, parts, |s| write_query(s, pairs));
            sink.finish()
        };
        // Canonical query: sorted by key then value. The SDK sorts list values by their native
        // type (so `ids=9&ids=10` for integers) and sends that order; accept that order too.
        let mut canonical_hashes = [[0u8; 32]; 2];
        let mut hash_count = 1;
        if request.query.is_empty() {
            canonical_hashes[0] = hash_with(&[]);
        } else {
            let wire = parse_query(request.query);
            let mut by_key_only = wire.clone();
            by_key_only.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut sorted = wire;
            sort_pairs(&mut sorted);
            canonical_hashes[0] = hash_with(&sorted);
            if sorted != by_key_only {
                canonical_hashes[1] = hash_with(&by_key_only);
                hash_count = 2;
            }
        }

        Ok(PendingVerification {
            access_key: auth.access_key,
            signature: auth.signature,
            date,
            signed_at,
            now,
            canonical_hashes,
            hash_count,
            signed_headers: auth.signed_headers,
            security_token,
            payload_verified,
        })
    }
}

/// A payload hash as signed: 64 hex digits or `UNSIGNED-PAYLOAD`, on the stack.
struct PayloadHash {
    text: [u8; 64],
    len: usize,
}

impl PayloadHash {
    /// `text` is at most 64 bytes (a hex SHA-256 or `UNSIGNED-PAYLOAD`, checked by the caller);
    /// anything longer would be an empty hash, which no signature matches.
    fn new(text: &[u8]) -> Self {
        debug_assert!(text.len() <= 64, "payload hash of {} bytes", text.len());
        let mut out = Self {
            text: [0; 64],
            len: 0,
        };
        if let Some(slot) = out.text.get_mut(..text.len()) {
            slot.copy_from_slice(text);
            out.len = text.len();
        }
        out
    }

    fn as_bytes(&self) -> &[u8] {
        self.text.get(..self.len).unwrap_or_default()
    }
}

/// The payload hash to sign with, and whether it covers the body.
fn payload_hash<H: HeaderLookup + ?Sized>(
    headers: &H,
    auth: &Authorization<'_>,
    payload: Payload<'_>,
) -> Result<(PayloadHash, bool), VerifyError> {
    let declared = match headers.lookup("x-sdk-content-sha256") {
        HeaderValue::Absent => None,
        HeaderValue::Repeated => {
            return Err(VerifyError::DuplicateHeader("x-sdk-content-sha256".into()));
        }
        HeaderValue::One(v) => {
            if !auth.is_signed("x-sdk-content-sha256") {
                return Err(VerifyError::ContentSha256NotSigned);
            }
            let v = std::str::from_utf8(crate::canonical::trim_header_value(v))
                .map_err(|_| VerifyError::MalformedContentSha256)?;
            let is_hash = v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit());
            if v != UNSIGNED_PAYLOAD && !is_hash {
                return Err(VerifyError::MalformedContentSha256);
            }
            Some(v)
        }
    };
    match (payload, declared) {
        // The SDK signs an empty body with the empty hash even when it sets UNSIGNED-PAYLOAD.
        (Payload::Bytes([]), _) => Ok((PayloadHash::new(EMPTY_PAYLOAD_SHA256.as_bytes()), true)),
        (Payload::Bytes(body), None) => Ok((PayloadHash::new(&sha256_hex_bytes(body)), true)),
        (Payload::Bytes(_), Some(UNSIGNED_PAYLOAD)) => {
            Ok((PayloadHash::new(UNSIGNED_PAYLOAD.as_bytes()), false))
        }
        (Payload::Bytes(body), Some(declared)) => {
            if sha256_hex_bytes(body).eq_ignore_ascii_case(declared.as_bytes()) {
                Ok((PayloadHash::new(declared.as_bytes()), true))
            } else {
                Err(VerifyError::PayloadHashMismatch)
            }
        }
        (Payload::Unavailable, Some(declared)) => {
            Ok((PayloadHash::new(declared.as_bytes()), false))
        }
        (Payload::Unavailable, None) => Err(VerifyError::PayloadUnavailable),
    }
}

impl Verified {
    /// The signed header names, in the order the client listed them.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';')
    }

    /// Whether the header `name` (lower-case) is covered by the signature.
    pub fn is_signed(&self, name: &str) -> bool {
        self.signed_header_names().any(|h| h == name)
    }
}

impl<'a> PendingVerification<'a> {
    /// The access key id from the `Authorization` header, to look the secret up with.
    pub fn access_key(&self) -> &'a str {
        self.access_key
    }

    /// The `X-Security-Token` value, when present.
    pub fn security_token(&self) -> Option<&'a str> {
        self.security_token
    }

    /// Checks the signature against the secret (`None`: unknown access key), then the
    /// credential's expiry and security-token requirement.
    pub fn check(&self, secret: Option<&SecretInfo>) -> Result<(), VerifyError> {
        let info = secret.ok_or(VerifyError::UnknownAccessKey)?;
        let key = info.secret.expose_secret().as_bytes();
        let mut matched = false;
        for hash in self.canonical_hashes.iter().take(self.hash_count) {
            let mut mac =
                HmacSha256::new_from_slice(key).map_err(|_| VerifyError::SignatureMismatch)?;
            mac.update(ALGORITHM.as_bytes());
            mac.update(b"\n");
            mac.update(self.date.as_bytes());
            mac.update(b"\n");
            let mut hex_hash = [0u8; 64];
            hex::encode_to_slice(hash, &mut hex_hash)
                .map_err(|_| VerifyError::SignatureMismatch)?;
            mac.update(&hex_hash);
            if mac.verify_slice(&self.signature).is_ok() {
                matched = true;
                break;
            }
        }
        if !matched {
            return Err(VerifyError::SignatureMismatch);
        }
        if info.expires_at.is_some_and(|exp| exp <= self.now) {
            return Err(VerifyError::CredentialExpired);
        }
        if info.requires_security_token && self.security_token.is_none() {
            return Err(VerifyError::MissingSecurityToken);
        }
        Ok(())
    }

    /// [`PendingVerification::check`], then what was verified.
    pub fn finish(self, secret: Option<&SecretInfo>) -> Result<Verified, VerifyError> {
        self.check(secret)?;
        Ok(Verified {
            access_key: self.access_key.to_owned(),
            security_token: self.security_token.map(str::to_owned),
            signed_at: self.signed_at,
            signed_headers: self.signed_headers.to_owned(),
            payload_verified: self.payload_verified,
        })
    }
}
