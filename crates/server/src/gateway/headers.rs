//! Header names of the `auth_request` protocol, and the header rules of both enforcement points:
//! what the proxy strips ([`REMOVED_HEADERS`]) and what it sets.

use std::borrow::Cow;
use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue, header};

use super::Allowed;
use crate::auth::CallerKind;

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
/// Name of the agency whose credentials a job gets (a request that starts ModelArts work on the
/// user's resources: `crate::gateway`, "Agency credentials for jobs").
pub const AGENCY_NAME: &str = "x-iam-agency-name";
/// URN of that agency.
pub const AGENCY_URN: &str = "x-iam-agency-urn";
/// Temporary access key id of the job's agency session.
pub const AGENCY_ACCESS_KEY_ID: &str = "x-iam-agency-access-key-id";
/// Its secret access key.
pub const AGENCY_SECRET_ACCESS_KEY: &str = "x-iam-agency-secret-access-key";
/// Its security token (sent as `X-Security-Token` with requests signed by the key).
pub const AGENCY_SECURITY_TOKEN: &str = "x-iam-agency-security-token";
/// When it expires (RFC 3339).
pub const AGENCY_EXPIRATION: &str = "x-iam-agency-expiration";
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
    AGENCY_NAME,
    AGENCY_URN,
    AGENCY_ACCESS_KEY_ID,
    AGENCY_SECRET_ACCESS_KEY,
    AGENCY_SECURITY_TOKEN,
    AGENCY_EXPIRATION,
    ERROR_BODY,
    CANONICAL_URI,
    STATUS,
];

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
/// [`IDENTITY`] name), and that docs/gateway.md ("Headers an upstream may trust") names
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
    ("x-auth-token", Removed::Credential),
    ("x-subject-token", Removed::Credential),
    ("x-csrf-token", Removed::Credential),
    ("cookie", Removed::Credential),
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
pub(super) fn normal_name(name: &str) -> Cow<'_, str> {
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

/// Copies the client's headers but every spelling of [`REMOVED_HEADERS`] and the headers the
/// client named in `Connection` (hop-by-hop too, RFC 9110 §7.6.1).
pub(super) fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
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
pub(super) fn forwarding_headers(peer: Option<IpAddr>, h: &mut HeaderMap) {
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

pub(super) fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(HeaderName::from_static(name), v);
    }
}

pub(super) fn identity_headers(a: &Allowed, h: &mut HeaderMap) {
    set(h, PRINCIPAL_URN, &a.caller.urn);
    set(h, PRINCIPAL_ID, &crate::context::principal_id(&a.caller));
    set(h, ACCOUNT_ID, &a.caller.account_id);
    set(h, ACTION, &a.actions.join(","));
    set(h, RESOURCE, &a.resource);
    if let CallerKind::Session {
        agency_id,
        session_name,
        source_identity,
        ..
    } = &a.caller.kind
    {
        set(h, AGENCY_ID, agency_id);
        set(h, SESSION_NAME, session_name);
        if let Some(si) = source_identity {
            set(h, SOURCE_IDENTITY, si);
        }
    }
    if let Some(c) = &a.agency {
        set(h, AGENCY_NAME, &c.agency_name);
        set(h, AGENCY_URN, &c.agency_urn);
        set(h, AGENCY_ACCESS_KEY_ID, &c.access_key_id);
        set(h, AGENCY_SECRET_ACCESS_KEY, &c.secret_access_key);
        set(h, AGENCY_SECURITY_TOKEN, &c.security_token);
        set(h, AGENCY_EXPIRATION, &c.expiration);
    }
}
