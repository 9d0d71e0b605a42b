//! STS: temporary credentials for agency sessions (reference §5).
//!
//! - `POST /v5/agencies/assume` (AssumeAgency, `huaweicloudsdksts` v1): every request field and
//!   limit of reference §5.2. The call succeeds only when **both** the caller's own policies allow
//!   `sts:agencies:assume` on the agency's URN **and** the agency's trust policy allows the caller
//!   (spec §7); the auth middleware leaves the first check to this handler because the agency URN
//!   is in the body.
//! - `POST /v3.0/OS-CREDENTIAL/securitytokens` (the legacy v3 `assume_role` shape named by the
//!   seeds, action `iam:agencies:assume` or `iam:tokens:assume`).
//! - `GET /v5/caller-identity` and `POST /v5/decode-authorization-message`.
//!
//! Temporary credentials sign like permanent keys plus `X-Security-Token` (see `auth.rs`); the
//! session's permissions are evaluated per request from the agency's *current* policies, the
//! session policies and the SCPs of the agency's account (`snapshot.rs`).
//!
//! Denials anywhere in the server carry `encoded_authorization_message`: the explanation sealed
//! with the server's master key (AES-256-GCM, purpose-bound associated data), which only this
//! server can open, for callers of the same account holding `sts::decodeAuthorizationMessage`.

use crate::endpoints::{Authz, Body, Endpoint, Method, Reply, Sources};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use iam_policy::{Context, Decision, Policy, PolicyKind, TrustCaller, evaluate_trust};
use iam_store::{Agency, NewDecision, NewSessionCredential, Store};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::auth::{Caller, CallerKind};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;

/// Purpose (associated data) of sealed authorization messages.
const MESSAGE_PURPOSE: &str = "sts:encoded-authorization-message:v1";
/// Longest `encoded_message` STS accepts (reference §4.2).
pub const MAX_ENCODED_MESSAGE: usize = 10240;
/// Default session duration.
pub const DEFAULT_DURATION: i64 = 3600;
/// Shortest session.
pub const MIN_DURATION: i64 = 900;
/// Longest session.
pub const MAX_DURATION: i64 = 43200;
/// Longest session when the caller itself uses temporary credentials (agency chaining).
pub const MAX_CHAINED_DURATION: i64 = 3600;
/// Largest session policy (`policy`), characters.
pub const MAX_SESSION_POLICY: usize = 4096;
/// Most `policy_ids`, tags, transitive tag keys.
pub const MAX_LIST: usize = 20;

/// The operation a cloud service's credential may call, and nothing else (`Caller::refuse_service`).
pub(crate) const SERVICE_OPERATION: &str = "AssumeAgencyV5";

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/agencies/assume",
        operation_id: SERVICE_OPERATION,
        tag: "sts",
        summary: "Assume an agency: temporary credentials (STS v5)",
        authz: Authz::Handler(
            "the agency in the body: `sts:agencies:assume` on its URN, and its trust policy",
        ),
        route: |m| on(m, assume),
        query: None,
        request: Some(Body::of::<AssumeAgencyBody>()),
        response: Reply::created::<AssumeAgencyResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/caller-identity",
        operation_id: "GetCallerIdentityV5",
        tag: "sts",
        summary: "The identity of the caller (STS v5)",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, caller_identity),
        query: None,
        request: None,
        response: Reply::ok::<CallerIdentity>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/decode-authorization-message",
        operation_id: "DecodeAuthorizationMessageV5",
        tag: "sts",
        summary: "Decode an encoded authorization message of a 403 (STS v5)",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, decode),
        query: None,
        request: Some(Body::of::<DecodeMessageBody>()),
        response: Reply::ok::<DecodeMessageResponse>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v3.0/OS-CREDENTIAL/securitytokens",
        operation_id: "CreateTemporaryAccessKeyByAgency",
        tag: "sts",
        summary: "Temporary credentials of an agency (legacy IAM v3)",
        authz: Authz::Handler(
            "the agency in the body: `sts:agencies:assume` on its URN, and its trust policy",
        ),
        route: |m| on(m, legacy_assume),
        query: None,
        request: Some(Body::of::<LegacyAssumeBody>()),
        response: Reply::created::<LegacyAssumeResponse>(),
    },
];

// ---------------------------------------------------------------------------------------------
// request validation

/// One session tag.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionTag {
    /// Key, 1-128 letters, digits and ` _.:=+@/-`, not starting with `_sys_`; keys are unique
    /// regardless of case.
    #[schema(pattern = "^[A-Za-z0-9 _.:=+@/-]{1,128}$")]
    pub key: String,
    /// Value, 0-255 characters.
    #[schema(max_length = 255)]
    pub value: String,
}

/// A session tag as stored with the session.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub(crate) struct StoredTag {
    pub(crate) key: String,
    pub(crate) value: String,
    #[serde(default)]
    pub(crate) transitive: bool,
}

/// `AssumeAgencyReqBody` (reference §5.2).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AssumeAgencyBody {
    /// The agency's URN, `iam::<account-id>:agency:<name>` (the STS URN grammar,
    /// `<service>:<region>:<account-id>:<type>:<id>`, at most 1,500 characters).
    #[schema(
        max_length = 1500,
        pattern = "^[A-Za-z0-9+/=_-]+:[A-Za-z0-9+/=_*-]{0,255}:[A-Za-z0-9+/=_-]{1,64}:[A-Za-z0-9+/=_-]{1,64}:.+$"
    )]
    agency_urn: String,
    /// 2-128 letters, digits and `_+=,.@-`.
    #[schema(pattern = "^[A-Za-z0-9_+=,.@-]{2,128}$")]
    agency_session_name: String,
    /// Session duration, 900-43,200 seconds (default 3,600), at most the agency's maximum, and
    /// at most 3,600 when the caller itself uses temporary credentials.
    #[serde(default)]
    #[schema(minimum = 900, maximum = 43200)]
    duration_seconds: Option<i64>,
    /// 2-1,224 letters, digits and `_+=,.@:/-`, checked against the trust policy.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_+=,.@:/-]{2,1224}$")]
    external_id: Option<String>,
    /// A session policy document (2-4,096 characters of JSON text).
    #[serde(default)]
    #[schema(min_length = 2, max_length = 4096)]
    policy: Option<String>,
    /// Ids of policies (1-64 letters, digits, `_` and `-`) used as session policies.
    #[serde(default)]
    #[schema(max_items = 20)]
    policy_ids: Option<Vec<String>>,
    /// MFA device: refused, MFA devices are not supported by this server.
    #[serde(default)]
    serial_number: Option<String>,
    /// MFA code: refused, MFA devices are not supported by this server.
    #[serde(default)]
    token_code: Option<String>,
    /// 2-64 letters, digits and `_+=,.@-`; fixed along a chain of sessions.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_+=,.@-]{2,64}$")]
    source_identity: Option<String>,
    /// Session tags, at most 20 (with those inherited transitively).
    #[serde(default)]
    #[schema(max_items = 20)]
    tags: Option<Vec<SessionTag>>,
    /// Keys of `tags` that pass on to chained sessions.
    #[serde(default)]
    #[schema(max_items = 20)]
    transitive_tag_keys: Option<Vec<String>>,
    /// Context provider assertions: refused, context providers are not supported by this
    /// server.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    provided_contexts: Option<Vec<Value>>,
}

/// The session `AssumeAgency` opened.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AssumedAgency {
    /// `sts::<account>:assumed-agency:<agency>/<session name>`.
    urn: String,
    /// `<agency id>:<session name>`.
    id: String,
}

/// Temporary credentials (sign like permanent keys plus `X-Security-Token`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct StsCredentials {
    /// Access key id.
    access_key_id: String,
    /// Secret access key.
    secret_access_key: String,
    /// The `X-Security-Token` of every signed request.
    security_token: String,
    /// Expiry, UTC with milliseconds (`2026-01-01T00:00:00.000Z`).
    expiration: String,
}

/// `AssumeAgency`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AssumeAgencyResponse {
    assumed_agency: AssumedAgency,
    credentials: StsCredentials,
    /// The session's source identity, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<String>,
}

fn chars_ok(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

fn check_field(name: &str, v: &str, min: usize, max: usize, extra: &str) -> ApiResult<()> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(ApiError::bad_request(format!(
            "`{name}` must be {min}-{max} characters long, got {n}"
        )));
    }
    if !chars_ok(v, extra) {
        return Err(ApiError::bad_request(format!(
            "`{name}` may only contain letters, digits and `{extra}`"
        )));
    }
    Ok(())
}

const NAME_CHARS: &str = "_+=,.@-";

/// Validates a URN against the STS grammar (reference §1.4): five `:`-separated segments.
fn check_urn(name: &str, urn: &str) -> ApiResult<()> {
    if urn.is_empty() || urn.chars().count() > 1500 {
        return Err(ApiError::bad_request(format!(
            "`{name}` must be 1-1500 characters long"
        )));
    }
    let segs: Vec<&str> = urn.splitn(5, ':').collect();
    let ok = segs.len() == 5
        && segs.iter().take(4).enumerate().all(|(i, s)| {
            let len_ok = match i {
                0 => !s.is_empty(),
                1 => s.len() <= 255,
                _ => !s.is_empty() && s.len() <= 64,
            };
            len_ok
                && s.chars().all(|c| {
                    c.is_ascii_alphanumeric() || "+/=-_".contains(c) || (i == 1 && c == '*')
                })
        })
        && segs.get(4).is_some_and(|s| !s.is_empty());
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{name}` is not a valid URN (`<service>:<region>:<account-id>:<type>:<id>`)"
        )))
    }
}

fn check_tags(tags: &[SessionTag], transitive: &[String]) -> ApiResult<()> {
    if tags.len() > MAX_LIST {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_LIST} `tags` are allowed"
        )));
    }
    if transitive.len() > MAX_LIST {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_LIST} `transitive_tag_keys` are allowed"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, t) in tags.iter().enumerate() {
        check_field(&format!("tags[{i}].key"), &t.key, 1, 128, " _.:=+@/-")?;
        if t.key.to_ascii_lowercase().starts_with("_sys_") {
            return Err(ApiError::bad_request(format!(
                "`tags[{i}].key` must not start with `_sys_`"
            )));
        }
        if t.value.chars().count() > 255 {
            return Err(ApiError::bad_request(format!(
                "`tags[{i}].value` must be at most 255 characters long"
            )));
        }
        if !seen.insert(t.key.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "`tags[{i}].key` `{}` is given twice (tag keys are case-insensitive)",
                t.key
            )));
        }
    }
    for (i, k) in transitive.iter().enumerate() {
        if !seen.contains(&k.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "`transitive_tag_keys[{i}]` `{k}` is not the key of one of the `tags`"
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// assume

/// A validated AssumeAgency request.
#[derive(Debug, Clone)]
pub(crate) struct AssumeRequest {
    pub(crate) agency: Agency,
    pub(crate) session_name: String,
    pub(crate) duration: i64,
    pub(crate) external_id: Option<String>,
    /// Session policy documents (each a 5.0 session policy), already validated.
    pub(crate) session_policies: Vec<String>,
    pub(crate) source_identity: Option<String>,
    pub(crate) tags: Vec<StoredTag>,
    /// The identity action checked against the caller's policies.
    pub(crate) action: &'static str,
}

/// Issued credentials and the session's URN.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) security_token: String,
    pub(crate) expiration: OffsetDateTime,
    pub(crate) session_urn: String,
    pub(crate) session_id: String,
    pub(crate) source_identity: Option<String>,
}

pub(crate) fn expiration_text(t: OffsetDateTime) -> String {
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&fmt).unwrap_or_default()
}

/// Details about the caller's own session (for chaining).
async fn caller_session(
    store: &Store,
    caller: &Caller,
) -> ApiResult<Option<iam_store::SessionCredential>> {
    if !matches!(caller.kind, CallerKind::Session { .. }) {
        return Ok(None);
    }
    Ok(store
        .session_credential(&caller.access_key_id)
        .await?
        .map(|(s, _)| s))
}

pub(crate) fn parse_tags(text: &str) -> Vec<StoredTag> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Finds the agency an `agency_urn` names (`iam::<account>:agency:<path><name>`).
async fn agency_by_urn(store: &Store, caller: &Caller, urn: &str) -> ApiResult<Agency> {
    let not_found = || {
        if urn.split(':').nth(2) == Some(caller.account_id.as_str()) {
            ApiError::not_found(format!("the agency `{urn}` does not exist"))
        } else {
            // Do not tell callers of other accounts which agencies exist.
            denied(
                caller,
                "sts:agencies:assume",
                urn,
                "the agency does not exist or its trust policy does not allow you",
            )
        }
    };
    let mut parts = urn.splitn(5, ':');
    let (Some("iam"), Some(""), Some(account), Some("agency"), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(ApiError::bad_request(format!(
            "`agency_urn` `{urn}` is not an agency URN (`iam::<account-id>:agency:<name>`)"
        )));
    };
    let name = rest.rsplit('/').next().unwrap_or(rest);
    match store.get_agency_by_name(account, name).await {
        Ok(a) if a.urn == urn => Ok(a),
        Ok(_) | Err(iam_store::StoreError::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

fn denied(caller: &Caller, action: &str, resource: &str, why: &str) -> ApiError {
    ApiError::forbidden(
        format!(
            "User: {} is not authorized to perform action {action} on resource {resource}: {why}.",
            caller.urn
        ),
        None,
    )
}

/// Builds the session-policy list from `policy` and `policy_ids`.
async fn session_policies(
    store: &Store,
    caller: &Caller,
    agency: &Agency,
    policy: Option<&str>,
    policy_ids: &[String],
) -> ApiResult<Vec<String>> {
    let mut docs = Vec::new();
    if let Some(doc) = policy {
        let n = doc.chars().count();
        if !(2..=MAX_SESSION_POLICY).contains(&n) {
            return Err(ApiError::bad_request(format!(
                "`policy` must be 2-{MAX_SESSION_POLICY} characters long, got {n}"
            )));
        }
        Policy::parse(doc, PolicyKind::Session).map_err(|e| {
            ApiError::bad_request(format!("`policy` is not a valid session policy: {e}"))
        })?;
        docs.push(doc.to_owned());
    }
    if policy_ids.len() > MAX_LIST {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_LIST} `policy_ids` are allowed"
        )));
    }
    for (i, id) in policy_ids.iter().enumerate() {
        check_field(&format!("policy_ids[{i}]"), id, 1, 64, "_-")?;
        let not_found = || {
            ApiError::not_found(format!(
                "`policy_ids[{i}]`: the policy `{id}` does not exist"
            ))
        };
        let p = match store.get_policy(id).await {
            Ok(p) => p,
            Err(iam_store::StoreError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        // System policies, or custom policies of the caller's or the agency's account
        // (docs/agencies.md).
        let owner_ok = p
            .account_id
            .as_deref()
            .is_none_or(|a| a == caller.account_id || a == agency.account_id);
        if !owner_ok {
            return Err(not_found());
        }
        let v = store.get_default_policy_version(id).await?;
        Policy::parse(&v.document, PolicyKind::Session).map_err(|e| {
            ApiError::bad_request(format!(
                "`policy_ids[{i}]`: the policy `{id}` cannot be used as a session policy: {e}"
            ))
        })?;
        docs.push(v.document);
    }
    Ok(docs)
}

/// How the session policies are stored: one document verbatim, or a JSON array of documents.
pub(crate) fn encode_session_policies(docs: &[String]) -> Option<String> {
    match docs {
        [] => None,
        [one] => Some(one.clone()),
        many => serde_json::to_string(many).ok(),
    }
}

/// The inverse of [`encode_session_policies`].
pub(crate) fn decode_session_policies(stored: &str) -> Vec<String> {
    if stored.trim_start().starts_with('[') {
        serde_json::from_str(stored).unwrap_or_else(|_| vec![stored.to_owned()])
    } else {
        vec![stored.to_owned()]
    }
}

/// The request context a trust policy sees (spec §7).
fn trust_context(caller: &Caller, req: &AssumeRequest, now: OffsetDateTime) -> Context {
    // the request and caller keys every decision gets, then the assume request's own
    let mut ctx = crate::context::base(caller, &crate::context::current_facts());
    if let Some(x) = &req.external_id {
        ctx.insert("g:ExternalId", x.clone());
    }
    if let Some(x) = &req.source_identity {
        ctx.insert("g:SourceIdentity", x.clone());
    }
    for t in &req.tags {
        ctx.insert(&format!("g:RequestTag/{}", t.key), t.value.clone());
    }
    if !req.tags.is_empty() {
        ctx.set("g:TagKeys", req.tags.iter().map(|t| t.key.clone()));
    }
    if let Ok(t) = now.format(&time::format_description::well_known::Rfc3339) {
        ctx.insert("g:CurrentTime", t);
    }
    ctx
}

/// The actions that grant assuming an agency: `sts:agencies:assume` (STS v5), and the legacy
/// `iam:agencies:assume` and `iam:tokens:assume` (v3 security tokens; ModelArts' dependency
/// tables). Any one of them allows the v3 path; an explicit Deny of any of them refuses every
/// way in, so a Deny written for one API is not sidestepped through the other.
const ASSUME_ACTIONS: [&str; 3] = [
    "sts:agencies:assume",
    "iam:agencies:assume",
    "iam:tokens:assume",
];

/// Refuses when the caller's policies explicitly deny any of [`ASSUME_ACTIONS`] on the agency.
fn refuse_denied_assume(st: &AppState, caller: &Caller, agency_urn: &str) -> ApiResult<()> {
    for action in ASSUME_ACTIONS {
        if st.api_call_decision(caller, action, agency_urn)? == Decision::ExplicitDeny {
            return st.authorize_api_call(caller, action, agency_urn);
        }
    }
    Ok(())
}

/// Runs both checks and issues the credentials. Every outcome is written to the decision log.
///
/// A cloud service caller has no identity policies: `grant` is the ModelArts authorization it
/// acts under (checked by [`crate::service`]), and only the trust policy is evaluated, with the
/// service principal.
pub(crate) async fn assume_agency(
    st: &AppState,
    caller: &Caller,
    req: AssumeRequest,
    grant: Option<iam_store::ServiceGrant>,
    request_id: Option<String>,
) -> ApiResult<Issued> {
    let now = OffsetDateTime::now_utc();
    let agency_urn = req.agency.urn.clone();
    let who = match (caller.service(), &grant) {
        (Some(service), Some(_)) => TrustCaller::Service {
            name: service.to_owned(),
        },
        (Some(_), None) => {
            return Err(ApiError::internal(
                "a service session without its authorization",
            ));
        }
        (None, _) => {
            // 1. the caller's own policies
            if let Err(e) = refuse_denied_assume(st, caller, &agency_urn)
                .and_then(|()| st.authorize_api_call(caller, req.action, &agency_urn))
            {
                log_assume(st, caller, &req, "deny", Some("identity"), None, request_id).await;
                return Err(e);
            }
            TrustCaller::Iam {
                urn: caller.urn.clone(),
                account_id: caller.account_id.clone(),
            }
        }
    };
    // 2. the agency's trust policy
    let trust = Policy::parse(&req.agency.trust_policy, PolicyKind::Trust)
        .map_err(|e| ApiError::internal(format!("stored trust policy does not parse: {e}")))?;
    let ctx = trust_context(caller, &req, now);
    let verdict = evaluate_trust(&trust, &who, &ctx);
    if verdict.decision != Decision::Allow {
        let stmt = verdict.statements.first().map(|i| format!("trust:{i}"));
        log_assume(
            st,
            caller,
            &req,
            verdict.decision.as_str(),
            Some("trust"),
            stmt,
            request_id,
        )
        .await;
        let why = match verdict.decision {
            Decision::ExplicitDeny => "the agency's trust policy explicitly denies it",
            _ => "the agency's trust policy does not allow it",
        };
        let detail = json!({
            "account_id": caller.account_id,
            "principal": caller.urn,
            "action": iam_policy::ASSUME_ACTION,
            "resource": agency_urn,
            "decision": verdict.decision,
            "layer": "trust",
            "statements": verdict.statements,
            "context": ctx.iter().map(|(k, v)| (k.to_owned(), v.to_vec())).collect::<std::collections::BTreeMap<_, _>>(),
        });
        return Err(ApiError::forbidden(
            format!(
                "User: {} is not authorized to perform action {} on resource {agency_urn}: {why}.",
                caller.urn,
                iam_policy::ASSUME_ACTION
            ),
            seal_value(st.store(), &detail),
        ));
    }
    let stmt = verdict.statements.first().map(|i| format!("trust:{i}"));
    // 3. issue
    let expires = now + time::Duration::seconds(req.duration);
    let tags_text = serde_json::to_string(&req.tags).unwrap_or_else(|_| "[]".to_owned());
    let new = NewSessionCredential {
        agency_id: req.agency.id.clone(),
        session_name: req.session_name.clone(),
        session_policy: encode_session_policies(&req.session_policies),
        source_identity: req.source_identity.clone(),
        tags: tags_text,
        caller_urn: caller.urn.clone(),
        expires_at: expires,
        grant,
    };
    if new
        .session_policy
        .as_ref()
        .is_some_and(|p| p.len() > iam_store::MAX_POLICY_DOCUMENT_BYTES.min(6144))
    {
        return Err(ApiError::bad_request(
            "the session policies (`policy` and the documents of `policy_ids`) are larger than 6144 bytes together",
        ));
    }
    let created = st.store().create_session_credential(&new).await?;
    log_assume(st, caller, &req, "allow", Some("trust"), stmt, request_id).await;
    metrics::counter!("modelarts_iam_sts_sessions_issued_total").increment(1);
    Ok(Issued {
        access_key_id: created.credential.access_key_id.clone(),
        secret_access_key: created.secret_access_key.expose_secret().to_owned(),
        security_token: created.security_token.expose_secret().to_owned(),
        expiration: expires,
        session_urn: session_urn(&req.agency.account_id, &req.agency.name, &req.session_name),
        session_id: format!("{}:{}", req.agency.id, req.session_name),
        source_identity: req.source_identity,
    })
}

/// `sts::<account>:assumed-agency:<agency-name>/<session-name>`.
pub fn session_urn(account: &str, agency_name: &str, session: &str) -> String {
    format!("sts::{account}:assumed-agency:{agency_name}/{session}")
}

async fn log_assume(
    st: &AppState,
    caller: &Caller,
    req: &AssumeRequest,
    decision: &str,
    layer: Option<&str>,
    statement: Option<String>,
    request_id: Option<String>,
) {
    let d = NewDecision {
        principal_urn: Some(caller.urn.clone()),
        access_key_id: Some(caller.access_key_id.clone()),
        action: req.action.to_owned(),
        resource: Some(req.agency.urn.clone()),
        decision: decision.to_owned(),
        determining_statement: statement,
        layer: layer.map(str::to_owned),
        session: Some(req.session_name.clone()),
        agency_id: Some(req.agency.id.clone()),
        request_id,
        extra: Some(
            match &req.source_identity {
                Some(si) => json!({"source": "sts", "source_identity": si}),
                None => json!({"source": "sts"}),
            }
            .to_string(),
        ),
        ..NewDecision::default()
    };
    crate::audit::record(st, d);
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(&crate::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Common validation of both assume shapes.
#[expect(clippy::too_many_arguments, reason = "one place for the shared checks")]
pub(crate) async fn build_request(
    st: &AppState,
    caller: &Caller,
    agency: Agency,
    session_name: String,
    duration: i64,
    external_id: Option<String>,
    policy: Option<&str>,
    policy_ids: &[String],
    source_identity: Option<String>,
    tags: Vec<SessionTag>,
    transitive: Vec<String>,
    action: &'static str,
) -> ApiResult<AssumeRequest> {
    if duration > agency.max_session_duration {
        return Err(ApiError::bad_request(format!(
            "`duration_seconds` {duration} exceeds the agency's maximum session duration of {} seconds",
            agency.max_session_duration
        )));
    }
    let parent = caller_session(st.store(), caller).await?;
    if parent.is_some() && duration > MAX_CHAINED_DURATION {
        return Err(ApiError::bad_request(format!(
            "`duration_seconds` must be at most {MAX_CHAINED_DURATION} when the caller uses temporary credentials (X-Security-Token)"
        )));
    }
    let session_policies =
        session_policies(st.store(), caller, &agency, policy, policy_ids).await?;
    let mut stored: Vec<StoredTag> = Vec::new();
    let mut source_identity = source_identity;
    if let Some(p) = &parent {
        // Chaining: the source identity and transitive tags of the caller's session carry over.
        if let Some(si) = &p.source_identity {
            match &source_identity {
                Some(mine) if mine != si => {
                    return Err(ApiError::bad_request(format!(
                        "`source_identity` cannot be changed in a chain: the caller's session has `{si}`"
                    )));
                }
                _ => source_identity = Some(si.clone()),
            }
        }
        for t in parse_tags(&p.tags).into_iter().filter(|t| t.transitive) {
            if tags.iter().any(|n| n.key.eq_ignore_ascii_case(&t.key)) {
                return Err(ApiError::bad_request(format!(
                    "the tag `{}` is transitive in the caller's session and cannot be set again",
                    t.key
                )));
            }
            stored.push(t);
        }
    }
    for t in tags {
        let transitive = transitive.iter().any(|k| k.eq_ignore_ascii_case(&t.key));
        stored.push(StoredTag {
            key: t.key,
            value: t.value,
            transitive,
        });
    }
    if stored.len() > MAX_LIST {
        return Err(ApiError::bad_request(format!(
            "a session has at most {MAX_LIST} tags, including those inherited transitively"
        )));
    }
    Ok(AssumeRequest {
        agency,
        session_name,
        duration,
        external_id,
        session_policies,
        source_identity,
        tags: stored,
        action,
    })
}

async fn assume(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(b): JsonBody<AssumeAgencyBody>,
) -> ApiResult<Response> {
    check_urn("agency_urn", &b.agency_urn)?;
    check_field(
        "agency_session_name",
        &b.agency_session_name,
        2,
        128,
        NAME_CHARS,
    )?;
    let duration = b.duration_seconds.unwrap_or(DEFAULT_DURATION);
    if !(MIN_DURATION..=MAX_DURATION).contains(&duration) {
        return Err(ApiError::bad_request(format!(
            "`duration_seconds` must be {MIN_DURATION}-{MAX_DURATION}, got {duration}"
        )));
    }
    if let Some(x) = &b.external_id {
        check_field("external_id", x, 2, 1224, "_+=,.@:/-")?;
    }
    if let Some(x) = &b.source_identity {
        check_field("source_identity", x, 2, 64, NAME_CHARS)?;
    }
    if b.serial_number.is_some() || b.token_code.is_some() {
        if let Some(s) = &b.serial_number {
            check_field("serial_number", s, 9, 256, "_+=/:,.@-")?;
        }
        if let Some(t) = &b.token_code
            && (t.len() != 6 || !t.bytes().all(|c| c.is_ascii_digit()))
        {
            return Err(ApiError::bad_request("`token_code` must be 6 digits"));
        }
        return Err(ApiError::bad_request(
            "`serial_number`/`token_code`: MFA devices are not supported by this server",
        ));
    }
    if let Some(c) = &b.provided_contexts {
        if c.is_empty() || c.len() > 5 {
            return Err(ApiError::bad_request(
                "`provided_contexts` must have 1-5 entries",
            ));
        }
        return Err(ApiError::bad_request(
            "`provided_contexts`: context providers are not supported by this server",
        ));
    }
    let tags = b.tags.unwrap_or_default();
    let transitive = b.transitive_tag_keys.unwrap_or_default();
    check_tags(&tags, &transitive)?;
    let agency = agency_by_urn(st.store(), &caller, &b.agency_urn).await?;
    if caller.service().is_some() {
        // ModelArts acting for a user: the authorization decides, not identity policies
        let options = crate::service::SessionOptions {
            duration,
            external_id: b.external_id,
            policy: b.policy,
            policy_ids: b.policy_ids.unwrap_or_default(),
            tags,
            transitive,
        };
        let issued = crate::service::assume_for_user(
            &st,
            &caller,
            agency,
            b.source_identity.as_deref(),
            Some(&b.agency_session_name),
            options,
            request_id(&headers),
        )
        .await?;
        return Ok(assumed(issued));
    }
    let req = build_request(
        &st,
        &caller,
        agency,
        b.agency_session_name,
        duration,
        b.external_id,
        b.policy.as_deref(),
        b.policy_ids.as_deref().unwrap_or_default(),
        b.source_identity,
        tags,
        transitive,
        "sts:agencies:assume",
    )
    .await?;
    let issued = assume_agency(&st, &caller, req, None, request_id(&headers)).await?;
    Ok(assumed(issued))
}

/// `AssumeAgency`'s 201 answer for issued credentials.
pub(crate) fn assumed(issued: Issued) -> Response {
    let body = AssumeAgencyResponse {
        assumed_agency: AssumedAgency {
            urn: issued.session_urn,
            id: issued.session_id,
        },
        credentials: StsCredentials {
            access_key_id: issued.access_key_id,
            secret_access_key: issued.secret_access_key,
            security_token: issued.security_token,
            expiration: expiration_text(issued.expiration),
        },
        source_identity: issued.source_identity,
    };
    (StatusCode::CREATED, Json(body)).into_response()
}

// ---------------------------------------------------------------------------------------------
// legacy v3 shape

/// `CreateTemporaryAccessKeyByAgency`'s request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LegacyAssumeBody {
    auth: LegacyAuth,
}

/// `auth`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LegacyAuth {
    identity: LegacyIdentity,
}

/// `auth.identity`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LegacyIdentity {
    /// Exactly `["assume_role"]`.
    #[schema(value_type = Vec<LegacyMethod>, min_items = 1, max_items = 1)]
    methods: Vec<String>,
    assume_role: LegacyAssumeRole,
    /// A session policy document (a JSON object, 2-4,096 characters as text).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    policy: Option<Value>,
}

/// The one authentication method of the call (the schema of `methods`' items; the handler
/// compares the strings).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[expect(dead_code, reason = "a schema only")]
enum LegacyMethod {
    /// Assume an agency.
    AssumeRole,
}

/// `auth.identity.assume_role`: the agency, by name in an account given by id or name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LegacyAssumeRole {
    /// 1-64 letters, digits and `_+=,.@-`.
    #[schema(pattern = "^[A-Za-z0-9_+=,.@-]{1,64}$")]
    agency_name: String,
    /// The agency's account (this or `domain_name` is required).
    #[serde(default)]
    domain_id: Option<String>,
    /// The agency's account, by name (used when `domain_id` is absent).
    #[serde(default)]
    domain_name: Option<String>,
    /// Session duration, 900-86,400 seconds (default 900), at most the agency's maximum.
    #[serde(default)]
    #[schema(minimum = 900, maximum = 86400)]
    duration_seconds: Option<i64>,
    /// The session's name (default: the caller's name).
    #[serde(default)]
    session_user: Option<LegacySessionUser>,
}

/// `auth.identity.assume_role.session_user`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LegacySessionUser {
    /// 2-128 letters, digits and `_+=,.@-`.
    #[schema(pattern = "^[A-Za-z0-9_+=,.@-]{2,128}$")]
    name: String,
}

/// Legacy temporary credentials.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LegacyCredential {
    /// Access key id.
    access: String,
    /// Secret access key.
    secret: String,
    /// The `X-Security-Token` of every signed request.
    securitytoken: String,
    /// Expiry, UTC with milliseconds.
    expires_at: String,
}

/// `CreateTemporaryAccessKeyByAgency`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LegacyAssumeResponse {
    credential: LegacyCredential,
}

/// Longest legacy (v3) session: 24 hours, further capped by the agency's maximum.
const LEGACY_MAX_DURATION: i64 = 86400;
/// Default legacy session: 15 minutes.
const LEGACY_DEFAULT_DURATION: i64 = 900;

async fn legacy_assume(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(b): JsonBody<LegacyAssumeBody>,
) -> ApiResult<Response> {
    let id = b.auth.identity;
    if id.methods != ["assume_role"] {
        return Err(ApiError::bad_request(
            "`auth.identity.methods` must be [\"assume_role\"]",
        ));
    }
    let ar = id.assume_role;
    let account = match (&ar.domain_id, &ar.domain_name) {
        (Some(d), _) => d.clone(),
        (None, Some(n)) => match st.store().get_account_by_name(n).await {
            Ok(a) => a.id,
            Err(iam_store::StoreError::NotFound { .. }) => {
                return Err(ApiError::not_found(format!(
                    "the account `{n}` does not exist"
                )));
            }
            Err(e) => return Err(e.into()),
        },
        (None, None) => {
            return Err(ApiError::bad_request(
                "`auth.identity.assume_role` needs `domain_id` or `domain_name`",
            ));
        }
    };
    check_field("agency_name", &ar.agency_name, 1, 64, NAME_CHARS)?;
    let duration = ar.duration_seconds.unwrap_or(LEGACY_DEFAULT_DURATION);
    if !(MIN_DURATION..=LEGACY_MAX_DURATION).contains(&duration) {
        return Err(ApiError::bad_request(format!(
            "`duration_seconds` must be {MIN_DURATION}-{LEGACY_MAX_DURATION}, got {duration}"
        )));
    }
    let session_name = match ar.session_user {
        Some(u) => u.name,
        None => caller
            .urn
            .rsplit([':', '/'])
            .next()
            .unwrap_or("session")
            .to_owned(),
    };
    check_field("session_user.name", &session_name, 2, 128, NAME_CHARS)?;
    let agency = match st
        .store()
        .get_agency_by_name(&account, &ar.agency_name)
        .await
    {
        Ok(a) => a,
        Err(iam_store::StoreError::NotFound { .. }) if account == caller.account_id => {
            return Err(ApiError::not_found(format!(
                "the agency `{}` does not exist in account `{account}`",
                ar.agency_name
            )));
        }
        // as in v5: callers of other accounts are not told which agencies exist
        Err(iam_store::StoreError::NotFound { .. }) => {
            return Err(denied(
                &caller,
                "iam:agencies:assume",
                &format!("iam::{account}:agency:{}", ar.agency_name),
                "the agency does not exist or its trust policy does not allow you",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let policy_text = id.policy.map(|p| p.to_string());
    // Either legacy action grants the call (reference §5.1: `iam:agencies:assume` for agencies,
    // `iam:tokens:assume` in ModelArts' dependency tables).
    let action = if st
        .authorize_api_call(&caller, "iam:agencies:assume", &agency.urn)
        .is_ok()
    {
        "iam:agencies:assume"
    } else {
        "iam:tokens:assume"
    };
    let req = build_request(
        &st,
        &caller,
        agency,
        session_name,
        duration.min(LEGACY_MAX_DURATION),
        None,
        policy_text.as_deref(),
        &[],
        None,
        Vec::new(),
        Vec::new(),
        action,
    )
    .await?;
    let issued = assume_agency(&st, &caller, req, None, request_id(&headers)).await?;
    let body = LegacyAssumeResponse {
        credential: LegacyCredential {
            access: issued.access_key_id,
            secret: issued.secret_access_key,
            securitytoken: issued.security_token,
            expires_at: expiration_text(issued.expiration),
        },
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

// ---------------------------------------------------------------------------------------------
// caller identity, decode

/// `GetCallerIdentity`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CallerIdentity {
    /// The caller's account.
    account_id: String,
    /// The user's URN, or the assumed agency session's.
    principal_urn: String,
    /// The user id, or `<agency id>:<session name>`.
    principal_id: String,
}

async fn caller_identity(caller: Caller) -> Json<CallerIdentity> {
    let principal_id = crate::context::principal_id(&caller);
    Json(CallerIdentity {
        account_id: caller.account_id,
        principal_urn: caller.urn,
        principal_id,
    })
}

/// `DecodeAuthorizationMessage`'s request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DecodeMessageBody {
    /// The `encoded_authorization_message` of a 403 answer (1-10,240 characters).
    #[schema(min_length = 1, max_length = 10240)]
    encoded_message: String,
}

/// `DecodeAuthorizationMessage`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DecodeMessageResponse {
    /// The explanation, as JSON text: the account, principal, action, resource, decision, the
    /// engine's explanation and the request context.
    decoded_message: String,
}

async fn decode(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<DecodeMessageBody>,
) -> ApiResult<Json<DecodeMessageResponse>> {
    let n = b.encoded_message.chars().count();
    if !(1..=MAX_ENCODED_MESSAGE).contains(&n) {
        return Err(ApiError::bad_request(format!(
            "`encoded_message` must be 1-{MAX_ENCODED_MESSAGE} characters long, got {n}"
        )));
    }
    let plain = st
        .store()
        .open_message(MESSAGE_PURPOSE, &b.encoded_message)
        .map_err(|_| {
            ApiError::bad_request(
                "`encoded_message` is not a message this server encoded, or it was altered",
            )
        })?;
    let value: Value = serde_json::from_slice(&plain)
        .map_err(|_| ApiError::bad_request("`encoded_message` does not decode to a message"))?;
    if value.get("account_id").and_then(Value::as_str) != Some(caller.account_id.as_str()) {
        return Err(ApiError::forbidden(
            format!(
                "User: {} is not authorized to decode a message about another account.",
                caller.urn
            ),
            None,
        ));
    }
    Ok(Json(DecodeMessageResponse {
        decoded_message: value.to_string(),
    }))
}

/// Seals an explanation for `encoded_authorization_message`; `None` if it cannot be sealed
/// within STS's 10240-character limit even without the failed-condition details.
pub(crate) fn seal_value(store: &Store, value: &Value) -> Option<String> {
    let try_seal = |v: &Value| {
        let bytes = serde_json::to_vec(v).ok()?;
        let s = store.seal_message(MESSAGE_PURPOSE, &bytes).ok()?;
        (s.len() <= MAX_ENCODED_MESSAGE).then_some(s)
    };
    try_seal(value).or_else(|| {
        let mut v = value.clone();
        if let Some(e) = v.get_mut("explanation").and_then(Value::as_object_mut) {
            e.remove("failed_conditions");
            e.remove("notes");
        }
        if let Some(o) = v.as_object_mut() {
            o.remove("context");
        }
        try_seal(&v)
    })
}

/// The sealed form of a denial: who, what, and the engine's full explanation.
pub(crate) fn seal_denial(
    store: &Store,
    account_id: &str,
    principal: &str,
    action: &str,
    resource: &str,
    explanation: &iam_policy::Explanation,
    context: &Context,
) -> Option<String> {
    let v = json!({
        "account_id": account_id,
        "principal": principal,
        "action": action,
        "resource": resource,
        "decision": explanation.decision,
        "explanation": explanation,
        "context": context.iter().map(|(k, v)| (k.to_owned(), v.to_vec())).collect::<std::collections::BTreeMap<_, _>>(),
    });
    seal_value(store, &v)
}
