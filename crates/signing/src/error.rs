//! Verification errors. Every message is safe to show to the client: it never contains the
//! secret key, the expected signature or the canonical request.

use std::borrow::Cow;

/// The API Gateway error code Huawei Cloud answers for any AK/SK authentication failure.
pub const ERROR_CODE: &str = "APIGW.0301";

/// The message prefix of [`ERROR_CODE`]; the full message is `"<prefix>: <reason>"`.
pub const ERROR_MESSAGE_PREFIX: &str = "Incorrect IAM authentication information";

/// Why the `Authorization` header could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedAuthorization {
    /// The header value is not visible ASCII.
    NotAscii,
    /// Only an algorithm, no `Access=…, SignedHeaders=…, Signature=…`.
    MissingCredentials,
    /// Two commas in a row, or a trailing comma.
    EmptyComponent,
    /// A component without `=`.
    ComponentWithoutValue,
    /// A component other than `Access`, `SignedHeaders`, `Signature`.
    UnknownComponent,
    /// A component given twice.
    DuplicateComponent,
    /// No `Access=`.
    MissingAccess,
    /// No `SignedHeaders=`.
    MissingSignedHeaders,
    /// No `Signature=`.
    MissingSignature,
    /// `Access` is empty, too long or has characters an access key cannot have.
    InvalidAccess,
    /// `SignedHeaders` is empty, has an empty, upper-case, invalid or repeated name, or too many.
    InvalidSignedHeaders,
    /// `Signature` is not 64 hexadecimal digits.
    InvalidSignature,
    /// More than one `Authorization` header.
    MultipleHeaders,
}

impl MalformedAuthorization {
    /// A short, client-safe explanation.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotAscii => "Authorization header contains non-ASCII or control characters",
            Self::MissingCredentials => {
                "Authorization header lacks Access, SignedHeaders and Signature"
            }
            Self::EmptyComponent => "Authorization header has an empty component",
            Self::ComponentWithoutValue => "Authorization header component without '='",
            Self::UnknownComponent => {
                "Authorization header has an unknown component (expected Access, SignedHeaders, Signature)"
            }
            Self::DuplicateComponent => "Authorization header repeats a component",
            Self::MissingAccess => "Authorization header lacks Access",
            Self::MissingSignedHeaders => "Authorization header lacks SignedHeaders",
            Self::MissingSignature => "Authorization header lacks Signature",
            Self::InvalidAccess => "Access is empty, too long or contains invalid characters",
            Self::InvalidSignedHeaders => {
                "SignedHeaders must be a ';'-separated list of distinct lower-case header names"
            }
            Self::InvalidSignature => "Signature must be 64 hexadecimal digits",
            Self::MultipleHeaders => "more than one Authorization header",
        }
    }
}

/// Why a request's signature was rejected. All variants map to HTTP 401 with
/// [`ERROR_CODE`] (`APIGW.0301`) and the message [`VerifyError::message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization` header.
    #[error("missing Authorization header")]
    MissingAuthorization,
    /// The scheme is not `SDK-HMAC-SHA256` (e.g. `SDK-HMAC-SM3`, `Bearer`); the name is sanitised
    /// and truncated.
    #[error("unsupported signing algorithm '{0}', only SDK-HMAC-SHA256 is supported")]
    UnsupportedAlgorithm(String),
    /// The `Authorization` header does not have the expected shape.
    #[error("{}", .0.reason())]
    MalformedAuthorization(MalformedAuthorization),
    /// No `X-Sdk-Date` header.
    #[error("missing X-Sdk-Date header")]
    MissingDate,
    /// `x-sdk-date` is not in SignedHeaders.
    #[error("x-sdk-date must be a signed header")]
    DateNotSigned,
    /// `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`.
    #[error("X-Sdk-Date must have the format YYYYMMDDTHHMMSSZ")]
    MalformedDate,
    /// `X-Sdk-Date` is further from the server's clock than allowed.
    #[error("X-Sdk-Date is more than {max_skew_minutes} minutes away from the server time")]
    DateOutOfRange {
        /// The allowed skew, whole minutes (rounded down).
        max_skew_minutes: i64,
    },
    /// `host` is not in SignedHeaders.
    #[error("host must be a signed header")]
    HostNotSigned,
    /// A header named in SignedHeaders is absent.
    #[error("signed header '{0}' is missing from the request")]
    MissingSignedHeader(String),
    /// A signed (or security-relevant) header appears more than once.
    #[error("header '{0}' must not be repeated")]
    DuplicateHeader(String),
    /// `X-Security-Token` is present but not in SignedHeaders.
    #[error("x-security-token must be a signed header")]
    SecurityTokenNotSigned,
    /// `X-Security-Token` is not visible ASCII.
    #[error("X-Security-Token contains invalid characters")]
    InvalidSecurityToken,
    /// `X-Sdk-Content-Sha256` is present but not in SignedHeaders.
    #[error("x-sdk-content-sha256 must be a signed header")]
    ContentSha256NotSigned,
    /// `X-Sdk-Content-Sha256` is neither `UNSIGNED-PAYLOAD` nor 64 hex digits.
    #[error("X-Sdk-Content-Sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256")]
    MalformedContentSha256,
    /// `X-Sdk-Content-Sha256` holds a SHA-256 that differs from the body's.
    #[error("X-Sdk-Content-Sha256 does not match the request body")]
    PayloadHashMismatch,
    /// The body is not available to the verifier and the client did not declare its hash.
    #[error("the request body is not available and X-Sdk-Content-Sha256 is absent")]
    PayloadUnavailable,
    /// The access key is unknown (or disabled).
    #[error("the access key does not exist or is disabled")]
    UnknownAccessKey,
    /// The (temporary) credential has expired.
    #[error("the credential has expired")]
    CredentialExpired,
    /// The access key is temporary and needs `X-Security-Token`.
    #[error("temporary access keys require an X-Security-Token header")]
    MissingSecurityToken,
    /// The signature does not match.
    #[error("verify aksk signature fail")]
    SignatureMismatch,
}

impl VerifyError {
    /// The client-safe reason, for `"Incorrect IAM authentication information: <reason>"`.
    pub fn reason(&self) -> Cow<'static, str> {
        match self {
            Self::MalformedAuthorization(m) => Cow::Borrowed(m.reason()),
            Self::MissingAuthorization => Cow::Borrowed("missing Authorization header"),
            Self::SignatureMismatch => Cow::Borrowed("verify aksk signature fail"),
            other => Cow::Owned(other.to_string()),
        }
    }

    /// The full API Gateway message: `"Incorrect IAM authentication information: <reason>"`.
    pub fn message(&self) -> String {
        format!("{ERROR_MESSAGE_PREFIX}: {}", self.reason())
    }

    /// The error code to answer with: always `APIGW.0301`.
    pub fn error_code(&self) -> &'static str {
        ERROR_CODE
    }

    /// The HTTP status to answer with: always 401.
    pub fn http_status(&self) -> u16 {
        401
    }
}

/// Why the client-side signer refused to sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// No `Host` header was given.
    #[error("a Host header is required")]
    MissingHost,
    /// `Authorization` or `X-Sdk-Date` is already among the headers; the signer adds them.
    #[error("header '{0}' is added by the signer and must not be supplied")]
    ReservedHeader(String),
    /// The same header name (case-insensitively) was given twice.
    #[error("header '{0}' given twice")]
    DuplicateHeader(String),
    /// The date's year is outside 0000–9999.
    #[error("the signing date cannot be formatted as X-Sdk-Date")]
    InvalidDate,
    /// The access key is empty or has characters that would break the Authorization header.
    #[error("the access key is empty or has invalid characters")]
    InvalidAccessKey,
}
