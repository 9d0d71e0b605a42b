//! Authentication and per-call authorization middleware.
//!
//! 1. Buffer the body (≤ [`crate::MAX_BODY_BYTES`], else 413).
//! 2. Verify `SDK-HMAC-SHA256` with `iam-signing` (date within 15 minutes, `host` and
//!    `x-sdk-date` signed, constant-time comparison); the secret comes from the store (permanent
//!    access keys, or temporary session credentials bound to their `X-Security-Token`).
//!    Failures: 401 `APIGW.0301`.
//! 3. Resolve the caller (a user, or an agency session).
//! 4. Resolve the request through the catalog's route table to its actions and resource URNs,
//!    and decide each with the engine on the current snapshot; a deny answers 403 with the
//!    engine's Huawei-style message.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use iam_policy::{Context, Decision};
use iam_signing::{IncomingRequest, Payload, SecretInfo, Verifier};
use time::OffsetDateTime;

use crate::endpoints::{Authz, EntityKind, Key, Sources, Target};
use crate::error::ApiError;
use crate::snapshot::{Principal, Snapshot};
use crate::state::AppState;

/// Who is calling, as established by the signature.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account (domain) the principal belongs to.
    pub account_id: String,
    /// The principal URN (`iam::<account>:user:<name>` or an assumed-agency session URN).
    pub urn: String,
    /// The access key that signed the request.
    pub access_key_id: String,
    /// User or agency session.
    pub kind: CallerKind,
    /// For a user who signed in with a password (an IAM v3 token or a console session): how.
    /// `None` for signed requests.
    pub token: Option<TokenUse>,
}

/// A user's sign-in behind a request made with a token (`X-Auth-Token`) or a console session
/// (the session cookie with its CSRF token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    /// When MFA was verified at sign-in (`g:MFAPresent`, `g:MFAAge`).
    pub mfa_at: Option<OffsetDateTime>,
    /// The user must change the password first: nothing else is allowed.
    pub password_change_only: bool,
    /// A console session rather than a token.
    pub console: bool,
    /// SHA-256 of the token (what sign-out revokes).
    pub token_hash: String,
}

/// The caller of a signed endpoint, as an extractor: the authentication middleware resolved it
/// (a handler of an [`Authz::Open`] row has none, and answers 401 in Huawei's error shape).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Arc<Caller>>()
            .map(|c| Caller::clone(c))
            .ok_or_else(|| ApiError::unauthenticated("the request is not signed"))
    }
}

/// The kinds of callers.
#[derive(Debug, Clone)]
pub enum CallerKind {
    /// An IAM user with a permanent access key.
    User {
        /// User id.
        user_id: String,
        /// Whether this is the account's root user.
        is_root: bool,
    },
    /// An assumed agency session with temporary credentials.
    Session {
        /// The agency assumed.
        agency_id: String,
        /// The session policy, verbatim, if any.
        session_policy: Option<String>,
        /// The session name.
        session_name: String,
        /// The source identity declared when the session was created.
        source_identity: Option<String>,
        /// Session tags (key, value).
        tags: Vec<(String, String)>,
    },
    /// A cloud service principal (`service.ModelArts`) with its service credential. It may do
    /// one thing: open an agency session for a user through `AssumeAgency`, under a ModelArts
    /// authorization a tenant administrator made (docs/agencies.md, "ModelArts acts with the
    /// agency"). Every other API refuses it ([`Caller::refuse_service`]).
    Service {
        /// The service principal name (`service.ModelArts`).
        service: String,
    },
}

impl Caller {
    /// Whether the caller is its account's root user.
    pub fn is_root(&self) -> bool {
        matches!(self.kind, CallerKind::User { is_root: true, .. })
    }

    /// The user id, for user callers.
    pub fn user_id(&self) -> Option<&str> {
        match &self.kind {
            CallerKind::User { user_id, .. } => Some(user_id),
            CallerKind::Session { .. } | CallerKind::Service { .. } => None,
        }
    }

    /// The service principal name, for a cloud service's credential.
    pub fn service(&self) -> Option<&str> {
        match &self.kind {
            CallerKind::Service { service } => Some(service),
            CallerKind::User { .. } | CallerKind::Session { .. } => None,
        }
    }

    /// 403 for a cloud service principal, which may call nothing but `AssumeAgency`; `Ok` for
    /// users and agency sessions. `what` names the API refused.
    pub(crate) fn refuse_service(&self, what: &str) -> Result<(), ApiError> {
        match self.service() {
            None => Ok(()),
            Some(service) => Err(ApiError::forbidden(
                format!(
                    "Service principal {service} is not authorized to call {what}: a cloud service credential may only obtain agency credentials for a user a tenant administrator authorized (POST /v5/agencies/assume)."
                ),
                None,
            )),
        }
    }
}

/// A resolved credential kept between requests until the next write.
pub(crate) struct CachedCredential {
    secret: SecretInfo,
    caller: Arc<Caller>,
    /// For session credentials: the record holding the security-token hash.
    session: Option<iam_store::SessionCredential>,
}

impl CachedCredential {
    /// A copy with its own allocations (for one thread's cache: see [`local`]).
    fn copy(&self) -> Self {
        Self {
            secret: self.secret.clone(),
            caller: Arc::new(Caller::clone(&self.caller)),
            session: self.session.clone(),
        }
    }
}

/// Each worker thread's own credential cache, in front of the shared one in [`AppState`].
///
/// Under load the runtime's worker threads serve requests side by side; every lock or reference count
/// they both write moves its cache line from one core to the other, on every request. A hit
/// here touches only this thread's memory: its own copy of the credential (own `Arc`s), valid
/// for one snapshot revision, and the API calls already allowed for it at that revision.
mod local {
    use std::cell::RefCell;
    use std::sync::Arc;

    use super::CachedCredential;
    use crate::cache::{
        ALLOWED_CALL_PATH_MAX, RevisionCache, THREAD_ALLOWED_CALLS_MAX, THREAD_CREDENTIALS_MAX,
    };

    /// The generation of a per-thread cache: the `AppState` instance and the snapshot revision.
    /// Revisions of one instance are ordered; two instances' generations are not (a thread that
    /// serves another state empties its cache instead of keeping the first state's entries).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Generation {
        pub(super) instance: u64,
        pub(super) revision: i64,
    }

    impl PartialOrd for Generation {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            (self.instance == other.instance).then(|| self.revision.cmp(&other.revision))
        }
    }

    /// An allowed API call: access key, method, canonical path.
    type CallKey = (String, String, String);

    /// A borrowed [`CallKey`]: hashes like the owned triple.
    #[derive(Hash)]
    struct Call<'a>(&'a str, &'a str, &'a str);

    impl hashbrown::Equivalent<CallKey> for Call<'_> {
        fn equivalent(&self, key: &CallKey) -> bool {
            self.0 == key.0 && self.1 == key.1 && self.2 == key.2
        }
    }

    thread_local! {
        /// access key -> this thread's copy of its credential.
        static CREDENTIALS: RefCell<RevisionCache<Generation, String, Arc<CachedCredential>>> =
            RefCell::new(RevisionCache::new(THREAD_CREDENTIALS_MAX));
        /// (access key, method, path) -> number of actions decided, all allowed.
        static ALLOWED: RefCell<RevisionCache<Generation, CallKey, usize>> =
            RefCell::new(RevisionCache::new(THREAD_ALLOWED_CALLS_MAX));
    }

    /// This thread's copy of the credential of `ak` in `generation`.
    pub(super) fn credential(ak: &str, generation: Generation) -> Option<Arc<CachedCredential>> {
        CREDENTIALS
            .try_with(|c| c.try_borrow().ok()?.get(generation, ak).cloned())
            .ok()
            .flatten()
    }

    /// Keeps a copy of `credential` (resolved in `generation`) for this thread.
    pub(super) fn keep(ak: &str, generation: Generation, credential: &CachedCredential) {
        let _ = CREDENTIALS.try_with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                c.insert(generation, ak.to_owned(), Arc::new(credential.copy()));
            }
        });
    }

    /// The number of actions of an API call already allowed in `generation` for `ak`.
    pub(super) fn allowed(
        ak: &str,
        generation: Generation,
        method: &str,
        path: &str,
    ) -> Option<usize> {
        ALLOWED
            .try_with(|c| {
                c.try_borrow()
                    .ok()?
                    .get(generation, &Call(ak, method, path))
                    .copied()
            })
            .ok()
            .flatten()
    }

    /// Remembers that the `actions` of an API call were all allowed for `ak` in `generation`.
    /// The caller checks that the answer cannot change within the revision.
    pub(super) fn remember_allowed(
        ak: &str,
        generation: Generation,
        method: &str,
        path: &str,
        actions: usize,
    ) {
        if path.len() > ALLOWED_CALL_PATH_MAX {
            return;
        }
        let _ = ALLOWED.try_with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                let key = (ak.to_owned(), method.to_owned(), path.to_owned());
                c.insert(generation, key, actions);
            }
        });
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn sample(ak: &str) -> CachedCredential {
            CachedCredential {
                secret: iam_signing::SecretInfo::new(secrecy::SecretString::from("sk")),
                caller: Arc::new(crate::auth::Caller {
                    token: None,
                    account_id: "acct".to_owned(),
                    urn: format!("iam::acct:user:{ak}"),
                    access_key_id: ak.to_owned(),
                    kind: crate::auth::CallerKind::User {
                        user_id: ak.to_owned(),
                        is_root: false,
                    },
                }),
                session: None,
            }
        }

        fn g(instance: u64, revision: i64) -> Generation {
            Generation { instance, revision }
        }

        #[test]
        fn entries_live_for_one_state_and_revision() {
            let (a, b) = (g(1, 5), g(1, 6));
            keep("AK", a, &sample("AK"));
            remember_allowed("AK", a, "GET", "/v5/users", 1);
            assert!(credential("AK", a).is_some());
            assert_eq!(allowed("AK", a, "GET", "/v5/users"), Some(1));
            assert_eq!(allowed("AK", a, "POST", "/v5/users"), None);
            assert_eq!(allowed("AK2", a, "GET", "/v5/users"), None);
            // a newer revision does not see them
            assert!(credential("AK", b).is_none());
            assert_eq!(allowed("AK", b, "GET", "/v5/users"), None);
            keep("AK", b, &sample("AK"));
            assert!(credential("AK", b).is_some());
            // a late request of the older revision neither reads nor refills it
            keep("AK", a, &sample("AK"));
            assert!(credential("AK", a).is_none());
            assert!(credential("AK", b).is_some());
            // another state in the same process (at any revision) never sees these entries
            assert!(credential("AK", g(2, 6)).is_none());
            assert!(credential("AK", g(2, 7)).is_none());
            // and replaces them when it keeps its own
            keep("AK", g(2, 1), &sample("AK"));
            assert!(credential("AK", g(2, 1)).is_some());
            assert!(credential("AK", b).is_none());
        }

        #[test]
        fn the_copy_owns_its_caller() {
            let shared = sample("AK");
            keep("AK", g(3, 1), &shared);
            let mine = credential("AK", g(3, 1)).unwrap();
            assert!(!Arc::ptr_eq(&mine.caller, &shared.caller));
            assert_eq!(mine.caller.urn, shared.caller.urn);
        }

        #[test]
        fn calls_are_remembered_within_bounds() {
            let g = g(4, 1);
            let long = format!("/{}", "p".repeat(ALLOWED_CALL_PATH_MAX));
            remember_allowed("AK", g, "GET", &long, 1);
            assert_eq!(allowed("AK", g, "GET", &long), None);
            for i in 0..THREAD_ALLOWED_CALLS_MAX + 10 {
                remember_allowed("AK", g, "GET", &format!("/v5/users/{i}"), 1);
            }
            let kept = (0..THREAD_ALLOWED_CALLS_MAX + 10)
                .filter(|i| allowed("AK", g, "GET", &format!("/v5/users/{i}")).is_some())
                .count();
            assert_eq!(kept, THREAD_ALLOWED_CALLS_MAX);
            for i in 0..THREAD_CREDENTIALS_MAX + 10 {
                keep(&format!("K{i}"), g, &sample("K"));
            }
            let held = (0..THREAD_CREDENTIALS_MAX + 10)
                .filter(|i| credential(&format!("K{i}"), g).is_some())
                .count();
            assert_eq!(held, THREAD_CREDENTIALS_MAX);
        }

        #[test]
        fn call_keys_find_the_owned_entries_they_equal() {
            let mut calls: RevisionCache<i64, CallKey, usize> = RevisionCache::new(8);
            let own = |m: &str, p: &str| ("AK".to_owned(), m.to_owned(), p.to_owned());
            calls.insert(1, own("GET", "/v5/users"), 1);
            calls.insert(1, own("POST", "/v5/users"), 2);
            assert_eq!(calls.get(1, &Call("AK", "GET", "/v5/users")), Some(&1));
            assert_eq!(calls.get(1, &Call("AK", "POST", "/v5/users")), Some(&2));
            for (ak, method, path) in [
                ("AK", "DELETE", "/v5/users"),
                ("AK", "GET", "/v5/users/"),
                ("AK", "GET/", "v5/users"),
                ("AK", "", "GET/v5/users"),
                ("AKGET", "", "/v5/users"),
                ("AK2", "GET", "/v5/users"),
            ] {
                assert_eq!(
                    calls.get(1, &Call(ak, method, path)),
                    None,
                    "{ak} {method} {path}"
                );
            }
        }
    }
}

/// The middleware.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    match check(&state, req).await {
        Ok(req) => {
            // the handler's own decisions get the request keys too
            let facts = crate::context::RequestFacts::of(
                state.region(),
                req.headers(),
                peer_ip(req.extensions()),
            );
            crate::context::scope(facts, next.run(req)).await
        }
        Err(e) => e.into_response(),
    }
}

async fn check(state: &AppState, req: Request) -> Result<Request, ApiError> {
    let (mut parts, bytes, caller) = authenticate_request(state, req).await?;
    parts.extensions.insert(caller);
    parts
        .extensions
        .insert(crate::extract::BufferedBody(bytes.clone()));
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Steps 1-4 of the middleware for one request (already in its canonical form: see
/// [`crate::canonical_request`]): its parts, its buffered body and the caller, once the call
/// itself is authorized by its endpoint row (`crate::endpoints::find`).
pub(crate) async fn authenticate_request(
    state: &AppState,
    req: Request,
) -> Result<(http::request::Parts, axum::body::Bytes, Arc<Caller>), ApiError> {
    let (mut parts, body) = req.into_parts();
    let limit = crate::MAX_BODY_BYTES;
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))?;

    let caller = verify(state, &parts, &bytes).await?;
    // the canonical target (`crate::canonical_request::rewrite` left it in the extensions,
    // except for a plain path, which is its own canonical and decoded form)
    let canonical = match parts
        .extensions
        .remove::<crate::canonical_request::CanonicalTarget>()
    {
        Some(c) => Some(c.0),
        None if parts.uri.query().is_none() && iam_canonical::is_plain(parts.uri.path()) => None,
        None => Some(
            iam_canonical::canonicalize(parts.uri.path(), parts.uri.query())
                .map_err(|e| ApiError::bad_request(e.message()))?,
        ),
    };
    let decoded: std::borrow::Cow<'_, str> = match &canonical {
        Some(c) => std::borrow::Cow::Owned(c.decoded_path()),
        None => std::borrow::Cow::Borrowed(parts.uri.path()),
    };
    let canonical_path = canonical.as_ref().map_or(parts.uri.path(), |c| c.path());
    let Some(endpoint) = crate::endpoints::find(parts.method.as_str(), &decoded) else {
        return Err(crate::api::ops::no_such_api_error());
    };
    // a user who must change the password may do only that
    if caller
        .token
        .as_ref()
        .is_some_and(|t| t.password_change_only)
        && !crate::tokens::PASSWORD_CHANGE_APIS.contains(&endpoint.operation_id)
    {
        return Err(crate::tokens::password_change_required());
    }
    // a cloud service's credential opens exactly one API
    if endpoint.operation_id != crate::api::sts::SERVICE_OPERATION {
        caller.refuse_service(&format!("{} {}", parts.method, decoded))?;
    }
    match endpoint.authz {
        Authz::Open(_) | Authz::Authenticated | Authz::Handler(_) => {}
        Authz::Catalog(sources) => {
            let call = Call {
                method: parts.method.as_str(),
                canonical_path,
                decoded_path: &decoded,
                body: &bytes,
                parts: &parts,
            };
            authorize_route(state, &caller, &call, sources)?;
        }
    }
    Ok((parts, bytes, caller))
}

/// The connection's peer address, when the server was started with connect info.
fn peer_ip(extensions: &http::Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// One API call, as the authorization sees it.
struct Call<'a> {
    method: &'a str,
    canonical_path: &'a str,
    decoded_path: &'a str,
    body: &'a [u8],
    /// For the request keys (built only when the call is decided, not answered from the cache).
    parts: &'a http::request::Parts,
}

async fn verify(
    state: &AppState,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<Arc<Caller>, ApiError> {
    match credential(&parts.headers)? {
        Credential::Token(token) => return crate::tokens::token_caller(state, token).await,
        Credential::Console => return crate::tokens::console_caller(state, &parts.headers).await,
        Credential::Signature => {}
    }
    // the signature covers the bytes the client sent, before canonicalization
    let incoming = match parts
        .extensions
        .get::<crate::canonical_request::RawTarget>()
    {
        Some(raw) => IncomingRequest::from_http(parts).with_target(&raw.path, &raw.query),
        None => IncomingRequest::from_http(parts),
    };
    verify_incoming(state, &incoming, Payload::Bytes(body)).await
}

/// Verifies the signature of a request given by its parts (the gateway passes the original
/// request of an nginx `auth_request`), and resolves the caller.
pub(crate) async fn verify_incoming(
    state: &AppState,
    incoming: &IncomingRequest<'_, http::HeaderMap>,
    payload: Payload<'_>,
) -> Result<Arc<Caller>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let fail = |e: iam_signing::VerifyError| {
        metrics::counter!(crate::telemetry::SIGNATURE_FAILURES).increment(1);
        ApiError::unauthenticated(e)
    };
    let pending = Verifier::new()
        .prepare(incoming, payload, now)
        .map_err(fail)?;
    let cred = lookup(state, pending.access_key(), now).await?;
    pending
        .check(cred.as_deref().map(|c| &c.secret))
        .map_err(fail)?;
    let Some(cred) = cred else {
        return Err(ApiError::unauthenticated("the access key does not exist"));
    };
    match (&cred.session, pending.security_token()) {
        (None, Some(_)) => {
            return Err(ApiError::unauthenticated(
                "X-Security-Token is only valid with temporary credentials",
            ));
        }
        (Some(sess), Some(t)) if iam_store::Store::security_token_matches(sess, t) => {}
        (Some(_), _) => {
            return Err(ApiError::unauthenticated(
                "X-Security-Token does not belong to the access key",
            ));
        }
        (None, None) => {}
    }
    debug_assert_eq!(pending.access_key(), cred.caller.access_key_id);
    Ok(Arc::clone(&cred.caller))
}

/// The caller of a request at the gateway: a signed request, or one made with an IAM v3
/// token (`X-Auth-Token`), never both. Console sessions (cookies) do not reach the upstream.
pub(crate) async fn gateway_caller(
    state: &AppState,
    incoming: &IncomingRequest<'_, http::HeaderMap>,
    payload: Payload<'_>,
    headers: &http::HeaderMap,
) -> Result<Arc<Caller>, ApiError> {
    match credential(headers)? {
        Credential::Token(token) => {
            let caller = crate::tokens::token_caller(state, token).await?;
            // a user who must change the password may do nothing else, upstream included
            if caller
                .token
                .as_ref()
                .is_some_and(|t| t.password_change_only)
            {
                return Err(crate::tokens::password_change_required());
            }
            Ok(caller)
        }
        // a console cookie is no credential for the upstream: only a signature is left
        Credential::Console | Credential::Signature => {
            verify_incoming(state, incoming, payload).await
        }
    }
}

/// How a request authenticates: a signature, an IAM v3 token, or (with neither) a console
/// session cookie.
enum Credential<'a> {
    Signature,
    Token(&'a http::HeaderValue),
    Console,
}

/// The one credential of a request; a signature and a token together are refused.
fn credential(headers: &http::HeaderMap) -> Result<Credential<'_>, ApiError> {
    match (
        headers.contains_key(http::header::AUTHORIZATION),
        headers.get(crate::tokens::X_AUTH_TOKEN),
    ) {
        (true, Some(_)) => Err(ApiError::unauthenticated(
            "the request carries both a signature and X-Auth-Token: authenticate with one",
        )),
        (false, Some(token)) => Ok(Credential::Token(token)),
        (false, None) if crate::tokens::has_session_cookie(headers) => Ok(Credential::Console),
        _ => Ok(Credential::Signature),
    }
}

/// The agency session of the temporary access key `ak`, if it is one and has not expired.
pub(crate) async fn temporary_caller(
    state: &AppState,
    ak: &str,
) -> Result<Option<Arc<Caller>>, ApiError> {
    let found = lookup(state, ak, OffsetDateTime::now_utc()).await?;
    Ok(found
        .filter(|c| matches!(c.caller.kind, CallerKind::Session { .. }))
        .map(|c| Arc::clone(&c.caller)))
}

/// Finds the credential of `ak`: the cache, then the store (permanent keys, then sessions).
/// `Ok(None)` when the key is unknown, inactive, or its user is disabled.
async fn lookup(
    state: &AppState,
    ak: &str,
    now: OffsetDateTime,
) -> Result<Option<Arc<CachedCredential>>, ApiError> {
    let revision = state.current().revision();
    let generation = local::Generation {
        instance: state.instance(),
        revision,
    };
    if let Some(c) = local::credential(ak, generation) {
        return Ok(Some(c));
    }
    let found = lookup_shared(state, ak, now, revision).await?;
    if let Some(c) = &found {
        local::keep(ak, generation, c);
    }
    Ok(found)
}

/// [`lookup`] in the cache shared by all threads, then in the store.
async fn lookup_shared(
    state: &AppState,
    ak: &str,
    now: OffsetDateTime,
    revision: i64,
) -> Result<Option<Arc<CachedCredential>>, ApiError> {
    if let Ok(cache) = state.credentials().read()
        && let Some(c) = cache.get(revision, ak)
    {
        return Ok(Some(Arc::clone(c)));
    }
    let store = state.store();
    let found = if let Some((key, secret)) = store.secret_for_access_key(ak).await? {
        let user = store.get_user(&key.user_id).await?;
        if key.status != iam_store::AccessKeyStatus::Active || !user.enabled {
            return Ok(None);
        }
        Some(CachedCredential {
            secret: SecretInfo::new(secret),
            caller: Arc::new(Caller {
                token: None,
                account_id: user.account_id.clone(),
                urn: user.urn.clone(),
                access_key_id: ak.to_owned(),
                kind: CallerKind::User {
                    user_id: user.id.clone(),
                    is_root: user.is_root_user,
                },
            }),
            session: None,
        })
    } else if let Some((sess, secret)) = store.session_credential(ak).await? {
        let expires = parse_rfc3339(&sess.expires_at);
        let Some(expires) = expires else {
            return Ok(None);
        };
        if expires <= now {
            return Ok(None);
        }
        let agency = store.get_agency(&sess.agency_id).await?;
        Some(CachedCredential {
            secret: SecretInfo::temporary(secret, expires),
            caller: Arc::new(Caller {
                token: None,
                account_id: sess.account_id.clone(),
                urn: format!(
                    "sts::{}:assumed-agency:{}/{}",
                    sess.account_id, agency.name, sess.session_name
                ),
                access_key_id: ak.to_owned(),
                kind: CallerKind::Session {
                    agency_id: sess.agency_id.clone(),
                    session_policy: sess.session_policy.clone(),
                    session_name: sess.session_name.clone(),
                    source_identity: sess.source_identity.clone(),
                    tags: crate::api::sts::parse_tags(&sess.tags)
                        .into_iter()
                        .map(|t| (t.key, t.value))
                        .collect(),
                },
            }),
            session: Some(sess),
        })
    } else if let Some((service, secret)) = store.service_credential(ak).await? {
        Some(CachedCredential {
            secret: SecretInfo::new(secret),
            caller: Arc::new(Caller {
                token: None,
                // a cloud service belongs to no account
                account_id: String::new(),
                urn: service.clone(),
                access_key_id: ak.to_owned(),
                kind: CallerKind::Service { service },
            }),
            session: None,
        })
    } else {
        None
    };
    let found = found.map(Arc::new);
    if let Some(c) = &found
        && let Ok(mut cache) = state.credentials().write()
    {
        cache.insert(revision, ak.to_owned(), Arc::clone(c));
    }
    Ok(found)
}

pub(crate) fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Authorizes an API call by its catalog route: every action the catalog lists for it must be
/// allowed on the entity the request names (`sources`), with the request keys filled.
fn authorize_route(
    state: &AppState,
    caller: &Caller,
    call: &Call<'_>,
    sources: Sources,
) -> Result<(), ApiError> {
    let snapshot = state.current();
    let generation = local::Generation {
        instance: state.instance(),
        revision: snapshot.revision(),
    };
    // The remembered answers are keyed by method and canonical path: only for targets named by
    // the path (a body target differs from call to call).
    let cacheable_target = sources.target == Target::Path;
    if cacheable_target
        && let Some(actions) = local::allowed(
            &caller.access_key_id,
            generation,
            call.method,
            call.canonical_path,
        )
    {
        crate::telemetry::count_decisions(crate::telemetry::Source::Api, Decision::Allow, actions);
        return Ok(());
    }
    let catalog = iam_catalog::Catalog::builtin();
    let target = iam_catalog::RouteTarget::new(state.region(), caller.account_id.clone());
    let Ok(resolved) = catalog.resolve_route(call.method, call.decoded_path, &target) else {
        return Err(ApiError::forbidden(
            format!(
                "User: {} is not authorized to call {} {}: no action is registered for this API.",
                caller.urn, call.method, call.canonical_path
            ),
            None,
        ));
    };
    let body_target = match sources.target {
        Target::Path => None,
        Target::Body { field, kind } => Some((kind, body_member(call.body, field)?)),
    };
    let facts = crate::context::RequestFacts::of(
        state.region(),
        &call.parts.headers,
        peer_ip(&call.parts.extensions),
    );
    let mut ctx = crate::context::base(caller, &facts);
    for key in sources.keys {
        match key {
            Key::PolicyUrn => {
                if let Some(urn) = resolved
                    .param("policy_id")
                    .and_then(|id| snapshot.entity_urn(EntityKind::Policy, id, &caller.account_id))
                {
                    ctx.insert(key.name(), urn.to_owned());
                }
            }
            Key::EnterpriseProjectId => {
                if let Some(id) =
                    enterprise_project_key(&snapshot, &resolved, call, &caller.account_id)
                {
                    ctx.insert(key.name(), id);
                }
            }
        }
    }
    for (i, action) in resolved.actions.iter().enumerate() {
        let rendered = resolved.resources.get(i).map_or("*", String::as_str);
        let resource = match &body_target {
            Some((kind, id)) => snapshot.entity_urn_or_render(*kind, id, &caller.account_id),
            None => {
                let catalog_action = resolved.catalog_actions.get(i).copied().flatten();
                path_resource(
                    &snapshot,
                    &resolved,
                    catalog_action,
                    rendered,
                    &caller.account_id,
                )
            }
        };
        state.authorize_api_call_in(&snapshot, caller, action, &resource, &ctx)?;
    }
    if cacheable_target && state.api_calls_cacheable(&snapshot, caller) {
        let actions = resolved.actions.len();
        local::remember_allowed(
            &caller.access_key_id,
            generation,
            call.method,
            call.canonical_path,
            actions,
        );
    }
    Ok(())
}

/// The resource of an action whose entity is named by a path parameter: the URN of the entity
/// with that id in the caller's account, or the catalog's rendering (with the decoded id) when
/// there is none (the handler then answers 404 and acts on nothing).
fn path_resource(
    snapshot: &Snapshot,
    resolved: &iam_catalog::ResolvedRoute<'_>,
    action: Option<&iam_catalog::Action>,
    rendered: &str,
    account: &str,
) -> String {
    let service = action.and_then(|a| a.name.split(':').next()).unwrap_or("");
    let entity = action
        .and_then(|a| a.resources.first())
        .and_then(|r| resolved.route.resource_params.get(&r.resource_type))
        .and_then(|param| {
            let kind = EntityKind::of_param(service, param)?;
            let id = resolved.param(param)?;
            snapshot.entity_urn(kind, id, account)
        });
    entity.map_or_else(|| rendered.to_owned(), str::to_owned)
}

/// `g:EnterpriseProjectId` of a call ([`Key::EnterpriseProjectId`]): the enterprise project of the
/// workspace or the enterprise project the path names (none when it names nothing of the
/// caller's account: the handler answers 404), else the body's (`POST`, default `0`) or the
/// query's `enterprise_project_id`. A body that is not JSON gives none (the handler answers 400).
fn enterprise_project_key(
    snapshot: &Snapshot,
    resolved: &iam_catalog::ResolvedRoute<'_>,
    call: &Call<'_>,
    account: &str,
) -> Option<String> {
    if let Some(id) = resolved.param("workspace_id") {
        return snapshot
            .workspace(account, id)
            .map(|w| w.enterprise_project_id.clone());
    }
    if let Some(id) = resolved.param("enterprise_project_id") {
        return snapshot
            .enterprise_project(account, id)
            .map(|p| p.id.clone());
    }
    if call.method == "POST" {
        let body: serde_json::Value = crate::extract::parse_json(call.body).ok()?;
        return match body.get("enterprise_project_id") {
            None | Some(serde_json::Value::Null) => Some(iam_store::DEFAULT_ID.to_owned()),
            Some(serde_json::Value::String(s)) if s.is_empty() => {
                Some(iam_store::DEFAULT_ID.to_owned())
            }
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        };
    }
    let query: axum::extract::Query<std::collections::HashMap<String, String>> =
        axum::extract::Query::try_from_uri(&call.parts.uri).ok()?;
    query.0.get("enterprise_project_id").cloned()
}

/// The string member `field` of a JSON body (400 when absent).
fn body_member(body: &[u8], field: &str) -> Result<String, ApiError> {
    let value: serde_json::Value = crate::extract::parse_json(body)?;
    match value.get(field) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(ApiError::bad_request(format!(
            "invalid request body: `{field}` (a non-empty string) is required"
        ))),
    }
}

/// Decisions on API calls, on a snapshot with the state's caches and store.
impl AppState {
    /// The engine principal of an API caller with its policy set: the stored user, or for an
    /// agency session the set compiled once per revision (the sessions cache).
    pub(crate) fn caller_set(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
    ) -> Result<Arc<Principal>, ApiError> {
        match &caller.kind {
            CallerKind::User { user_id, .. } => snapshot.user_principal(user_id),
            CallerKind::Session { .. } => {
                let revision = snapshot.revision();
                if let Ok(cache) = self.sessions().read()
                    && let Some(p) = cache.get(revision, caller.access_key_id.as_str())
                {
                    return Ok(Arc::clone(p));
                }
                let p = Arc::new(snapshot.session_principal(caller)?);
                if let Ok(mut cache) = self.sessions().write() {
                    cache.insert(revision, caller.access_key_id.clone(), Arc::clone(&p));
                }
                Ok(p)
            }
            CallerKind::Service { .. } => Err(ApiError::forbidden(
                format!(
                    "Service principal {} has no identity policies: it is not authorized to perform any action itself.",
                    caller.urn
                ),
                None,
            )),
        }
    }

    /// Authorizes one action of an API call on the current snapshot with the request's keys;
    /// a deny is the 403 answer.
    pub(crate) fn authorize_api_call(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
    ) -> Result<(), ApiError> {
        let ctx = crate::context::base(caller, &crate::context::current_facts());
        self.authorize_api_call_in(&self.current(), caller, action, resource, &ctx)
    }

    /// [`AppState::authorize_api_call`] on `snapshot` with the request context given.
    pub(crate) fn authorize_api_call_in(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        action: &str,
        resource: &str,
        ctx: &Context,
    ) -> Result<(), ApiError> {
        let principal = self.caller_set(snapshot, caller)?;
        let set = &principal.policies;
        let req = iam_policy::Request {
            action,
            resource,
            context: ctx,
        };
        let started = std::time::Instant::now();
        let decision = set.decide(&principal.engine, &req);
        crate::telemetry::record_decision(
            crate::telemetry::Source::Api,
            decision,
            started.elapsed().as_secs_f64(),
        );
        if decision == Decision::Allow {
            return Ok(());
        }
        let explanation = set.explain(&principal.engine, &req);
        let message = explanation.message.clone().unwrap_or_else(|| {
            iam_policy::denial_message(decision, iam_policy::Layer::Identity, &principal.urn, &req)
        });
        let encoded = crate::api::sts::seal_denial(
            self.store(),
            &caller.account_id,
            &principal.urn,
            action,
            resource,
            &explanation,
            ctx,
        );
        Err(ApiError::forbidden(message, encoded))
    }

    /// The decision on one action of an API call on the current snapshot, with the request's
    /// keys (no answer, no log): for callers that must tell an explicit deny from an implicit
    /// one.
    pub(crate) fn api_call_decision(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
    ) -> Result<Decision, ApiError> {
        let principal = self.caller_set(&self.current(), caller)?;
        let ctx = crate::context::base(caller, &crate::context::current_facts());
        let req = iam_policy::Request {
            action,
            resource,
            context: &ctx,
        };
        Ok(principal.policies.decide(&principal.engine, &req))
    }

    /// Whether the answers to `caller`'s API calls may be remembered until the next snapshot:
    /// its policies hold no condition, so the request context (the only input besides the
    /// snapshot) cannot change them.
    fn api_calls_cacheable(&self, snapshot: &Snapshot, caller: &Caller) -> bool {
        self.caller_set(snapshot, caller)
            .is_ok_and(|principal| !principal.conditional)
    }
}
