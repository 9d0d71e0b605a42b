//! `SDK-HMAC-SHA256` request signing and verification, exactly as the Huawei Cloud SDKs sign
//! requests (see `huaweicloudsdkcore/signer/signer.py`).
//!
//! * [`Verifier`] checks an incoming request: the `Authorization` header, `X-Sdk-Date` (signed,
//!   within ±15 minutes of `now`), `host` signed, `X-Security-Token` signed when present, and the
//!   signature, compared in constant time. Errors ([`VerifyError`]) carry a client-safe
//!   [`VerifyError::reason`] for `401 APIGW.0301`.
//! * [`Signer`] signs an outgoing request the way the Python SDK does.
//! * [`canonical_uri`], [`canonical_query`], [`string_to_sign`], [`sign_string`] expose the
//!   building blocks.
//!
//! The crate does no I/O and never reads the clock: `now` and dates are arguments.
//!
//! ```
//! use iam_signing::{IncomingRequest, OutgoingRequest, Payload, SecretInfo, Signer, Verifier};
//! use secrecy::SecretString;
//! use time::macros::datetime;
//!
//! let sk = SecretString::from("SKEXAMPLE0000000000000000000000000000000");
//! let date = datetime!(2025-01-01 00:00:00 UTC);
//! let headers = [("Host", "127.0.0.1:8080"), ("Content-Type", "application/json")];
//! let signed = Signer::new("AKEXAMPLE0000000000", sk.clone())
//!     .sign(
//!         &OutgoingRequest {
//!             method: "GET",
//!             path: "/v1/p/notebooks",
//!             query: &[("offset", "0"), ("limit", "10")],
//!             headers: &headers,
//!             body: b"",
//!         },
//!         date,
//!     )
//!     .unwrap();
//! assert_eq!(signed.query_string, "limit=10&offset=0");
//!
//! let mut wire: Vec<(&str, &str)> = headers.to_vec();
//! wire.extend(signed.headers.iter().map(|(n, v)| (*n, v.as_str())));
//! let request = IncomingRequest::new("GET", "/v1/p/notebooks", &signed.query_string, &wire);
//! let now = date + time::Duration::minutes(3);
//! let ok = Verifier::new()
//!     .verify(&request, Payload::Bytes(b""), now, |ak| {
//!         (ak == "AKEXAMPLE0000000000").then(|| SecretInfo::new(sk.clone()))
//!     })
//!     .unwrap();
//! assert_eq!(ok.access_key, "AKEXAMPLE0000000000");
//! ```
#![deny(missing_docs)]

mod authorization;
mod canonical;
mod date;
mod error;
mod headers;
mod sign;
mod verify;

pub use authorization::{ALGORITHM, Authorization, MAX_ACCESS_KEY_LEN, MAX_SIGNED_HEADERS};
pub use canonical::{
    EMPTY_PAYLOAD_SHA256, UNSIGNED_PAYLOAD, canonical_query, canonical_uri, sha256_hex,
};
pub use date::{format_sdk_date, parse_sdk_date};
pub use error::{ERROR_CODE, ERROR_MESSAGE_PREFIX, MalformedAuthorization, SignError, VerifyError};
pub use headers::{HeaderLookup, HeaderValue};
pub use secrecy::SecretString;
pub use sign::{OutgoingRequest, SignedRequest, Signer, sign_string, string_to_sign};
pub use verify::{IncomingRequest, Payload, PendingVerification, SecretInfo, Verified, Verifier};
