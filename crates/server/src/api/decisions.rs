//! The decision API.
//!
//! `POST /v1/authorize` decides one request, or a batch (`{"requests": [...]}`, at most 100),
//! for a stored principal named by URN (`principal`) or by access key (`access_key_id`):
//!
//! ```json
//! {"principal": "iam::<account>:user:alice", "action": "modelarts:notebook:create",
//!  "resource": "modelarts:cn-north-4:<account>:notebook:nb-1", "context": {"g:SourceIp": "10.0.0.1"}}
//! ```
//! answers `{"decision": "allow"|"explicit_deny"|"implicit_deny", "allowed": bool,
//! "message": <Huawei denial text or null>, "explanation": {...}}` (a batch answers
//! `{"results": [...]}`). The principal must belong to the caller's account or, for a management
//! account, to a member account of its organization.
//!
//! `POST /v1/simulate` evaluates an evaluation case (the `eval` format of `iam_policy::case`)
//! without touching the store.

use crate::endpoints::{Authz, Body, Endpoint, Method, Reply, Sources};
use axum::routing::on;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::BufferedBody;
use crate::state::AppState;
use crate::telemetry;

/// Largest batch.
pub const MAX_BATCH: usize = 100;

/// The path of `POST /v1/authorize`: its row, and the fast lane that serves it beside the router
/// (`crate::fast_lane`).
pub(crate) const AUTHORIZE_PATH: &str = "/v1/authorize";

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: AUTHORIZE_PATH,
        operation_id: "Authorize",
        tag: "decisions",
        summary: "Decide one request or a batch for a stored principal",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, authorize),
        query: None,
        request: Some(Body::of::<AuthorizeBody>()),
        response: Reply::ok::<AuthorizeReply>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/authorize-request",
        operation_id: "AuthorizeModelArtsCall",
        tag: "decisions",
        summary: "Decide a described ModelArts API call for a stored principal, as the gateway would",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, authorize_call),
        query: None,
        request: Some(Body::of::<DescribedCall>()),
        response: Reply::ok::<DescribedAnswer>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/simulate",
        operation_id: "Simulate",
        tag: "decisions",
        summary: "Evaluate an evaluation case without the store",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, simulate),
        query: None,
        request: Some(Body::of::<iam_policy::case::Case>()),
        response: Reply::ok::<iam_policy::case::CaseResult>(),
    },
];

/// A context value: one string or a list of strings (numbers and booleans are taken as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextValue(pub Vec<String>);

/// A string, number or boolean.
fn scalar_schema() -> OneOfBuilder {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
}

impl PartialSchema for ContextValue {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(scalar_schema())
            .item(ArrayBuilder::new().items(scalar_schema()))
            .description(Some(
                "A string, number or boolean, or a list of them (numbers and booleans are taken as text)",
            ))
            .into()
    }
}

impl ToSchema for ContextValue {}

impl ContextValue {
    /// The values as strings.
    pub fn into_strings(self) -> Vec<String> {
        self.0
    }
}

/// A scalar as text (other JSON types are an error).
struct Scalar(String);

struct ScalarVisitor;

impl<'de> serde::de::Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar(v))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
        serde_json::Number::from_f64(v)
            .map(|n| Scalar(n.to_string()))
            .ok_or_else(|| E::custom("a finite number is required"))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ContextVisitor;

impl<'de> serde::de::Visitor<'de> for ContextVisitor {
    type Value = ContextValue;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, number or boolean, or a list of them")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ContextValue, E> {
        ScalarVisitor.visit_str(v).map(|s| ContextValue(vec![s.0]))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<ContextValue, E> {
        Ok(ContextValue(vec![v]))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<ContextValue, E> {
        ScalarVisitor.visit_bool(v).map(|s| ContextValue(vec![s.0]))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ContextValue, E> {
        ScalarVisitor.visit_i64(v).map(|s| ContextValue(vec![s.0]))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ContextValue, E> {
        ScalarVisitor.visit_u64(v).map(|s| ContextValue(vec![s.0]))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ContextValue, E> {
        ScalarVisitor.visit_f64(v).map(|s| ContextValue(vec![s.0]))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ContextValue, A::Error> {
        let mut out = Vec::new();
        while let Some(Scalar(s)) = seq.next_element()? {
            out.push(s);
        }
        Ok(ContextValue(out))
    }
}

impl<'de> Deserialize<'de> for ContextValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ContextVisitor)
    }
}

/// A string of the request body: borrowed from the body, or owned when it holds escapes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

struct TextVisitor;

impl<'de> serde::de::Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

/// One authorization request, borrowing its strings from the request body.
///
/// Exactly one of `principal` and `access_key_id` is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest<'a> {
    /// Principal URN (`iam::<account>:user:<name>`).
    #[serde(default, borrow)]
    #[schema(value_type = Option<String>)]
    pub principal: Option<Text<'a>>,
    /// Or the principal's access key id.
    #[serde(default, borrow)]
    #[schema(value_type = Option<String>)]
    pub access_key_id: Option<Text<'a>>,
    /// One concrete action, `service:resource-type:operation`, e.g. `modelarts:notebook:create`.
    #[serde(borrow)]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$")]
    pub action: Text<'a>,
    /// The resource URN; default `*`.
    #[serde(default, borrow)]
    #[schema(value_type = Option<String>)]
    pub resource: Option<Text<'a>>,
    /// Condition keys and values; keys describing the principal (`g:PrincipalUrn`, ...) are
    /// refused, they come from the stored principal.
    #[serde(default, borrow)]
    #[schema(value_type = BTreeMap<String, ContextValue>)]
    pub context: BTreeMap<Text<'a>, ContextValue>,
}

/// The body of `POST /v1/authorize`: one request, or a batch. Only a schema: the handler parses
/// the body itself, in one borrowed pass.
pub enum AuthorizeBody {}

impl PartialSchema for AuthorizeBody {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(Ref::from_schema_name(AuthorizeRequest::name()))
            .item(Ref::from_schema_name(BatchBody::name()))
            .into()
    }
}

impl ToSchema for AuthorizeBody {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        out.push((AuthorizeRequest::name().into(), AuthorizeRequest::schema()));
        AuthorizeRequest::schemas(out);
        out.push((BatchBody::name().into(), BatchBody::schema()));
        BatchBody::schemas(out);
    }
}

/// The answer of `POST /v1/authorize`: one answer, or a batch's. Only a schema.
pub enum AuthorizeReply {}

impl PartialSchema for AuthorizeReply {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(Ref::from_schema_name(Answer::name()))
            .item(Ref::from_schema_name(BatchAnswer::name()))
            .into()
    }
}

impl ToSchema for AuthorizeReply {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        out.push((Answer::name().into(), Answer::schema()));
        Answer::schemas(out);
        out.push((BatchAnswer::name().into(), BatchAnswer::schema()));
        BatchAnswer::schemas(out);
    }
}

async fn authorize(
    State(st): State<AppState>,
    caller: Caller,
    BufferedBody(body): BufferedBody,
) -> ApiResult<Response> {
    decide_with_sessions(&st, &caller, &body).await
}

/// `POST /v1/authorize` in one step, outside the router (see [`crate::fast_lane`]): the same
/// authentication and call authorization as the middleware, then the same handler.
pub(crate) async fn authorize_directly(st: AppState, req: axum::extract::Request) -> Response {
    match crate::auth::authenticate_request(&st, req).await {
        Ok((_, body, caller)) => decide_with_sessions(&st, &caller, &body)
            .await
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Temporary credentials named by `access_key_id`: their agency sessions' principals.
type Sessions = std::collections::HashMap<String, std::sync::Arc<crate::snapshot::Principal>>;

/// [`decide_body`], and when a request names by `access_key_id` a principal the snapshot does
/// not hold, the agency sessions of the temporary credentials named (for example the agency
/// credentials a job got): decided with the session's permissions (the agency's policies, the
/// session policies and the SCPs), as the gateway decides its requests.
async fn decide_with_sessions(st: &AppState, caller: &Caller, body: &[u8]) -> ApiResult<Response> {
    let none = Sessions::new();
    let first = decide_body(st, caller, body, &none);
    if !matches!(&first, Err(e) if e.status() == http::StatusCode::NOT_FOUND)
        || !body.windows(15).any(|w| w == b"\"access_key_id\"")
    {
        return first;
    }
    let Ok(raw) = crate::extract::parse_json::<Value>(body) else {
        return first;
    };
    let items = match raw.get("requests").and_then(Value::as_array) {
        Some(items) => items.iter().collect::<Vec<_>>(),
        None => vec![&raw],
    };
    let snapshot = st.snapshot();
    let mut sessions = Sessions::new();
    for ak in items
        .iter()
        .filter_map(|r| r.get("access_key_id").and_then(Value::as_str))
        .take(MAX_BATCH)
    {
        if snapshot.principal_by_access_key(ak).is_some() || sessions.contains_key(ak) {
            continue;
        }
        if let Some(session) = crate::auth::temporary_caller(st, ak).await? {
            sessions.insert(ak.to_owned(), st.caller_set(&snapshot, &session)?);
        }
    }
    if sessions.is_empty() {
        return first;
    }
    decide_body(st, caller, body, &sessions)
}

fn decide_body(
    st: &AppState,
    caller: &Caller,
    body: &[u8],
    sessions: &Sessions,
) -> ApiResult<Response> {
    let snapshot = st.current();
    // Fast path: a single request is parsed in one typed pass. A body that mentions
    // `"requests"` is looked at as a value first: a batch, or a single request after all.
    let batch: Option<Value> = if mentions_requests(body) {
        let raw: Value = crate::extract::parse_json(body)?;
        raw.get("requests").is_some().then_some(raw)
    } else {
        None
    };
    let Some(raw) = batch else {
        let r: AuthorizeRequest = crate::extract::parse_json(body)?;
        return json_answer(&decide_one(&snapshot, caller, r, sessions)?);
    };
    if let Some(items) = raw.get("requests").and_then(Value::as_array)
        && let Some(i) = items.iter().position(|r| !r.is_object())
    {
        return Err(ApiError::bad_request(format!(
            "invalid request body at `requests[{i}]`: a JSON object is required"
        )));
    }
    let b: BatchBody = crate::extract::parse_json(body)?;
    let requests = b.requests;
    if requests.is_empty() || requests.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "invalid request body at `requests`: between 1 and {MAX_BATCH} requests are required, got {}",
            requests.len()
        )));
    }
    let mut results = Vec::with_capacity(requests.len());
    for (i, r) in requests.into_iter().enumerate() {
        let out = decide_one(&snapshot, caller, r, sessions).map_err(|e| {
            ApiError::new(
                e.status(),
                e.code(),
                format!("requests[{i}]: {}", e.message()),
            )
        })?;
        results.push(out);
    }
    json_answer(&BatchAnswer { results })
}

/// A JSON answer serialized into one buffer sized for a typical decision with its explanation
/// (axum's `Json` starts at 128 bytes and grows several times).
fn json_answer<T: Serialize>(value: &T) -> ApiResult<Response> {
    let mut buf = Vec::with_capacity(1024);
    serde_json::to_writer(&mut buf, value).map_err(ApiError::internal)?;
    Ok((
        [(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        )],
        buf,
    )
        .into_response())
}

fn mentions_requests(body: &[u8]) -> bool {
    body.windows(10).any(|w| w == b"\"requests\"")
}

/// The answer to one request.
#[derive(Serialize, ToSchema)]
#[schema(as = AuthorizeAnswer)]
struct Answer<'a> {
    /// The decision.
    #[schema(value_type = iam_policy::Decision)]
    decision: &'static str,
    /// `decision` is `allow`.
    allowed: bool,
    /// The stored principal's URN.
    principal: &'a str,
    /// The action decided.
    #[schema(value_type = String)]
    action: Cow<'a, str>,
    /// The resource decided (`*` when the request gives none).
    #[schema(value_type = String)]
    resource: Cow<'a, str>,
    /// Huawei's denial text; `null` for an allow.
    #[schema(required = true)]
    message: Option<String>,
    /// Why.
    explanation: iam_policy::Explanation,
}

/// The answer to a batch: one result per request, in order.
#[derive(Serialize, ToSchema)]
#[schema(as = AuthorizeBatchAnswer)]
struct BatchAnswer<'a> {
    /// The answers.
    #[schema(min_items = 1, max_items = 100)]
    results: Vec<Answer<'a>>,
}

/// A batch of requests.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AuthorizeBatch)]
struct BatchBody<'a> {
    /// 1 to 100 requests, decided in order; the first refused one answers for the batch.
    #[serde(borrow)]
    #[schema(min_items = 1, max_items = 100)]
    requests: Vec<AuthorizeRequest<'a>>,
}

fn decide_one<'a>(
    snapshot: &'a crate::snapshot::Snapshot,
    caller: &Caller,
    r: AuthorizeRequest<'a>,
    sessions: &'a Sessions,
) -> ApiResult<Answer<'a>> {
    let principal = match (&r.principal, &r.access_key_id) {
        (Some(urn), None) => snapshot.principal_by_urn(urn),
        (None, Some(ak)) => snapshot
            .principal_by_access_key(ak)
            .or_else(|| sessions.get::<str>(ak)),
        _ => {
            return Err(ApiError::bad_request(
                "invalid request body: exactly one of `principal` and `access_key_id` is required",
            ));
        }
    };
    let Some(principal) = principal.filter(|p| snapshot.may_query(caller, p)) else {
        return Err(ApiError::not_found(format!(
            "principal `{}` not found",
            r.principal
                .as_deref()
                .or(r.access_key_id.as_deref())
                .unwrap_or_default()
        )));
    };
    check_action(&r.action.0)?;
    if let Some(key) = r
        .context
        .keys()
        .find(|k| crate::context::is_principal_key(&k.0))
    {
        return Err(ApiError::bad_request(format!(
            "invalid request body at `context`: `{}` describes the principal and is taken from the stored principal, never from the request; remove it",
            key.0
        )));
    }
    let resource = r.resource.map_or(Cow::Borrowed("*"), |t| t.0);
    let context = r.context.into_iter().map(|(k, v)| (k.0, v.into_strings()));
    let started = Instant::now();
    let explanation = snapshot.decide(principal, &r.action, &resource, context);
    let decision = explanation.decision;
    telemetry::record_decision(
        telemetry::Source::Authorize,
        decision,
        started.elapsed().as_secs_f64(),
    );
    Ok(Answer {
        decision: decision.as_str(),
        allowed: decision == iam_policy::Decision::Allow,
        principal: &principal.urn,
        action: r.action.0,
        resource,
        message: explanation.message.clone(),
        explanation,
    })
}

/// Checks that `action` is one concrete action in the catalog's format
/// (`service:resource-type:operation`): three non-empty parts of letters, digits, `-` and `_`,
/// no wildcard, no white space. A pattern such as `modelarts:notebook:*` would be decided as
/// the literal text and answer for no real request.
fn check_action(action: &str) -> ApiResult<()> {
    // no allocation: this runs for every decision
    let well_formed = action.split(':').count() == 3
        && action.split(':').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if well_formed {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "invalid request body at `action`: {action:?} is not one concrete action: give `service:resource-type:operation` exactly (letters, digits, `-` and `_`; no wildcard, no spaces), e.g. `modelarts:notebook:create`"
        )))
    }
}

async fn simulate(
    State(st): State<AppState>,
    BufferedBody(body): BufferedBody,
) -> ApiResult<Json<iam_policy::case::CaseResult>> {
    let case: Value = crate::extract::parse_json(&body)?;
    for member in ["request", "principal"] {
        if case.get(member).is_some_and(|v| !v.is_object()) {
            return Err(ApiError::bad_request(format!(
                "invalid case at `{member}`: a JSON object is required"
            )));
        }
    }
    let request = case.get("request");
    if let Some(action) = request
        .and_then(|r| r.get("action"))
        .and_then(Value::as_str)
    {
        check_action(action)?;
    }
    if let Some(key) = request
        .and_then(|r| r.get("context"))
        .and_then(Value::as_object)
        .and_then(|c| c.keys().find(|k| crate::context::is_principal_key(k)))
    {
        return Err(ApiError::bad_request(format!(
            "invalid case at `request.context`: `{key}` describes the principal and is taken from the case's `principal`, never from the request context; set it there or remove it"
        )));
    }
    let started = Instant::now();
    let out = crate::snapshot::simulate(case, st.region())?;
    if let Some(d) = out.decision {
        telemetry::record_decision(
            telemetry::Source::Simulate,
            d,
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented batch bounds are the ones `decide_body` enforces.
    #[test]
    fn batch_schemas_carry_the_batch_bounds() {
        for (schema, member) in [
            (BatchBody::schema(), "requests"),
            (BatchAnswer::schema(), "results"),
        ] {
            let v = serde_json::to_value(schema).unwrap();
            let items = &v["properties"][member];
            assert_eq!(items["minItems"], 1, "{v}");
            assert_eq!(items["maxItems"], MAX_BATCH, "{v}");
        }
    }

    /// The body schema offers exactly the two shapes `decide_body` accepts, and registers both.
    #[test]
    fn the_body_is_one_request_or_a_batch() {
        let v = serde_json::to_value(AuthorizeBody::schema()).unwrap();
        let refs: Vec<&str> = v["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["$ref"].as_str().unwrap())
            .collect();
        assert_eq!(
            refs,
            [
                "#/components/schemas/AuthorizeRequest",
                "#/components/schemas/AuthorizeBatch"
            ]
        );
        let mut out = Vec::new();
        AuthorizeBody::schemas(&mut out);
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        for n in ["AuthorizeRequest", "AuthorizeBatch", "ContextValue"] {
            assert!(names.contains(&n), "{n} missing from {names:?}");
        }
    }
}

/// Keys of a request's environment a described call may give (`g:CurrentTime` is the server's
/// clock when not given).
const REQUEST_FACTS: &[&str] = &[
    "g:SourceIp",
    "g:CurrentTime",
    "g:SecureTransport",
    "g:UserAgent",
    "g:RequestedRegion",
];

/// A ModelArts API call to decide as the gateway would (`POST /v1/authorize-request`): the
/// actions and resources of its catalog route, and the request keys the gateway fills from it
/// (docs/gateway.md, "Where request keys come from").
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribedCall {
    /// Principal URN (`iam::<account>:user:<name>`).
    #[serde(default)]
    pub principal: Option<String>,
    /// Or the principal's access key id.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The call's method (`POST`).
    pub method: String,
    /// Its path with the project id, percent-encoded as sent
    /// (`/v2/<project_id>/training-jobs`).
    pub path: String,
    /// Its query without `?`, percent-encoded as sent.
    #[serde(default)]
    pub query: Option<String>,
    /// Its JSON body.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub body: Option<Value>,
    /// Keys the call does not say but the gateway reads elsewhere: the resource lookup's
    /// (`g:ResourceTag/<key>`, `g:EnterpriseProjectId` of an existing resource), and request
    /// keys such as `g:SourceIp`. A key the call itself determines, or one describing the
    /// principal, is refused.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, ContextValue>)]
    pub context: BTreeMap<String, ContextValue>,
}

/// One action of a described call.
#[derive(Serialize, ToSchema)]
pub struct DescribedResult {
    /// The action.
    pub action: String,
    /// The resource URN.
    pub resource: String,
    /// The decision.
    #[schema(value_type = iam_policy::Decision)]
    pub decision: &'static str,
    /// Huawei's denial text; `null` for an allow.
    #[schema(required = true)]
    pub message: Option<String>,
}

/// The decision of a described call: allowed only when every action of its route is.
#[derive(Serialize, ToSchema)]
pub struct DescribedAnswer {
    /// The first refusing decision, or `allow`.
    #[schema(value_type = iam_policy::Decision)]
    pub decision: &'static str,
    /// `decision` is `allow`.
    pub allowed: bool,
    /// The stored principal's URN.
    pub principal: String,
    /// Every action the gateway decides for the call, in order.
    pub results: Vec<DescribedResult>,
    /// The request keys of the call (without the principal's).
    pub context: BTreeMap<String, Vec<String>>,
}

async fn authorize_call(
    State(st): State<AppState>,
    caller: Caller,
    crate::extract::JsonBody(call): crate::extract::JsonBody<DescribedCall>,
) -> ApiResult<Json<DescribedAnswer>> {
    let snapshot = st.snapshot();
    let principal = match (&call.principal, &call.access_key_id) {
        (Some(urn), None) => snapshot.principal_by_urn(urn),
        (None, Some(ak)) => snapshot.principal_by_access_key(ak),
        _ => {
            return Err(ApiError::bad_request(
                "invalid request body: exactly one of `principal` and `access_key_id` is required",
            ));
        }
    };
    // a described call is decided for a principal of the caller's own account only: it reads
    // that account's workspaces and enterprise projects
    let Some(principal) = principal
        .filter(|p| p.account_id == caller.account_id)
        .cloned()
    else {
        return Err(ApiError::not_found(format!(
            "principal `{}` not found",
            call.principal
                .as_deref()
                .or(call.access_key_id.as_deref())
                .unwrap_or_default()
        )));
    };
    if let Some(key) = call
        .context
        .keys()
        .find(|k| crate::context::is_principal_key(k))
    {
        return Err(ApiError::bad_request(format!(
            "invalid request body at `context`: `{key}` describes the principal and is taken from the stored principal, never from the request; remove it"
        )));
    }
    // the stored principal as the gateway would see its call
    let as_caller = Caller {
        token: None,
        account_id: principal.account_id.clone(),
        urn: principal.urn.clone(),
        access_key_id: String::new(),
        kind: match &principal.user_id {
            Some(id) => crate::auth::CallerKind::User {
                user_id: id.clone(),
                is_root: principal.engine.is_root_user,
            },
            None => crate::auth::CallerKind::Session {
                agency_id: String::new(),
                session_policy: None,
                session_name: String::new(),
                source_identity: None,
                tags: Vec::new(),
            },
        },
    };
    let mut given = iam_policy::Context::new();
    for (k, v) in &call.context {
        given.set_values(k, v.0.clone());
    }
    let body = call
        .body
        .as_ref()
        .map(serde_json::to_vec)
        .transpose()
        .map_err(ApiError::internal)?;
    let described = crate::gateway::describe(
        &st,
        &as_caller,
        &principal.policies,
        crate::gateway::Call {
            method: &call.method,
            path: &call.path,
            query: call.query.as_deref(),
            body: body.as_deref(),
        },
        given.clone(),
    )
    .await?;
    // only what the call leaves open may be given: the lookup's keys of this route, and facts
    // of the request's environment
    for k in call.context.keys() {
        let fact = REQUEST_FACTS.iter().any(|f| f.eq_ignore_ascii_case(k));
        if !fact && !described.lookup_keys.iter().any(|row| row.matches_key(k)) {
            return Err(ApiError::bad_request(format!(
                "invalid request body at `context`: `{k}` is not left open by the call: give only the keys the upstream's resource lookup knows for this route ({}) and request facts ({})",
                if described.lookup_keys.is_empty() {
                    "none".to_owned()
                } else {
                    described
                        .lookup_keys
                        .iter()
                        .map(|r| r.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                REQUEST_FACTS.join(", ")
            )));
        }
    }
    // the call determines the keys it fills: a given value for one of them is a contradiction
    for (k, v) in described.context.iter() {
        if let Some(g) = given.get(k)
            && g != v
        {
            return Err(ApiError::bad_request(format!(
                "invalid request body at `context`: `{k}` is determined by the call ({}), not given; remove it",
                v.join(", ")
            )));
        }
    }
    let mut results = Vec::with_capacity(described.decisions.len());
    let mut first_refusal: Option<&'static str> = None;
    let context: Vec<(String, Vec<String>)> = described
        .context
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_vec()))
        .collect();
    for (action, resource) in &described.decisions {
        let explanation = snapshot.decide(&principal, action, resource, context.iter().cloned());
        let decision = explanation.decision;
        if decision != iam_policy::Decision::Allow && first_refusal.is_none() {
            first_refusal = Some(decision.as_str());
        }
        results.push(DescribedResult {
            action: action.clone(),
            resource: resource.clone(),
            decision: decision.as_str(),
            message: explanation.message,
        });
    }
    let decision = first_refusal.unwrap_or("allow");
    Ok(Json(DescribedAnswer {
        decision,
        allowed: first_refusal.is_none(),
        principal: principal.urn.clone(),
        results,
        context: context.into_iter().collect(),
    }))
}
