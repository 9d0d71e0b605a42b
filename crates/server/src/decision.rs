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

use std::collections::BTreeMap;
use std::time::Instant;

use axum::Extension;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::telemetry;

/// Largest batch.
pub const MAX_BATCH: usize = 100;

/// The decision routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/authorize", post(authorize))
        .route("/v1/simulate", post(simulate))
}

/// A context value: one string or a list of strings (numbers and booleans are taken as text).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// One value.
    One(ScalarValue),
    /// Several values.
    Many(Vec<ScalarValue>),
}

/// A scalar context value.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ScalarValue {
    /// A string.
    Str(String),
    /// A number, as its JSON text.
    Num(serde_json::Number),
    /// A boolean, as `true`/`false`.
    Bool(bool),
}

impl ScalarValue {
    fn into_string(self) -> String {
        match self {
            ScalarValue::Str(s) => s,
            ScalarValue::Num(n) => n.to_string(),
            ScalarValue::Bool(b) => b.to_string(),
        }
    }
}

impl ContextValue {
    /// The values as strings.
    pub fn into_strings(self) -> Vec<String> {
        match self {
            ContextValue::One(v) => vec![v.into_string()],
            ContextValue::Many(v) => v.into_iter().map(ScalarValue::into_string).collect(),
        }
    }
}

/// One authorization request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// Principal URN (`iam::<account>:user:<name>`).
    #[serde(default)]
    pub principal: Option<String>,
    /// Or the principal's access key id.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The action, e.g. `modelarts:notebook:create`.
    pub action: String,
    /// The resource URN; default `*`.
    #[serde(default)]
    pub resource: Option<String>,
    /// Condition keys and values.
    #[serde(default)]
    pub context: BTreeMap<String, ContextValue>,
}

enum AuthorizeBody {
    Batch { requests: Vec<AuthorizeRequest> },
    One(AuthorizeRequest),
}

async fn authorize(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    // Parse by shape first so errors name the field path of the shape the caller used.
    let raw: Value = crate::extract::parse_json(&body)?;
    let batch = raw.get("requests").is_some();
    if let Some(items) = raw.get("requests").and_then(Value::as_array)
        && let Some(i) = items.iter().position(|r| !r.is_object())
    {
        return Err(ApiError::bad_request(format!(
            "invalid request body at `requests[{i}]`: a JSON object is required"
        )));
    }
    let parsed: AuthorizeBody = if batch {
        let b: BatchBody = crate::extract::parse_json(&body)?;
        AuthorizeBody::Batch {
            requests: b.requests,
        }
    } else {
        AuthorizeBody::One(crate::extract::parse_json(&body)?)
    };
    let snapshot = st.snapshot();
    match parsed {
        AuthorizeBody::One(r) => Ok(Json(decide_one(&snapshot, &caller, r)?)),
        AuthorizeBody::Batch { requests } => {
            if requests.is_empty() || requests.len() > MAX_BATCH {
                return Err(ApiError::bad_request(format!(
                    "invalid request body at `requests`: between 1 and {MAX_BATCH} requests are required, got {}",
                    requests.len()
                )));
            }
            let mut results = Vec::with_capacity(requests.len());
            for (i, r) in requests.into_iter().enumerate() {
                let out = decide_one(&snapshot, &caller, r).map_err(|e| {
                    ApiError::new(
                        e.status(),
                        e.code(),
                        format!("requests[{i}]: {}", e.message()),
                    )
                })?;
                results.push(out);
            }
            Ok(Json(json!({ "results": results })))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    requests: Vec<AuthorizeRequest>,
}

fn decide_one(
    snapshot: &crate::snapshot::Snapshot,
    caller: &Caller,
    r: AuthorizeRequest,
) -> ApiResult<Value> {
    let principal = match (&r.principal, &r.access_key_id) {
        (Some(urn), None) => snapshot.principal_by_urn(urn),
        (None, Some(ak)) => snapshot.principal_by_access_key(ak),
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
    let resource = r.resource.unwrap_or_else(|| "*".to_owned());
    let context: Vec<(String, Vec<String>)> = r
        .context
        .into_iter()
        .map(|(k, v)| (k, v.into_strings()))
        .collect();
    let started = Instant::now();
    let out = snapshot.decide(&principal, &r.action, &resource, &context)?;
    let elapsed = started.elapsed().as_secs_f64();
    metrics::histogram!(telemetry::DECISION_SECONDS, "source" => "authorize").record(elapsed);
    metrics::counter!(telemetry::DECISIONS, "decision" => out.decision, "source" => "authorize")
        .increment(1);
    Ok(json!({
        "decision": out.decision,
        "allowed": out.decision == "allow",
        "principal": principal.urn,
        "action": r.action,
        "resource": resource,
        "message": out.message,
        "explanation": out.explanation,
    }))
}

async fn simulate(State(st): State<AppState>, body: axum::body::Bytes) -> ApiResult<Json<Value>> {
    let case: Value = crate::extract::parse_json(&body)?;
    for member in ["request", "principal"] {
        if case.get(member).is_some_and(|v| !v.is_object()) {
            return Err(ApiError::bad_request(format!(
                "invalid case at `{member}`: a JSON object is required"
            )));
        }
    }
    let started = Instant::now();
    let out = crate::snapshot::simulate(case, st.region())?;
    metrics::histogram!(telemetry::DECISION_SECONDS, "source" => "simulate")
        .record(started.elapsed().as_secs_f64());
    if let Some(d) = out.decision {
        metrics::counter!(telemetry::DECISIONS, "decision" => d.as_str(), "source" => "simulate")
            .increment(1);
    }
    let value = serde_json::to_value(&out).map_err(ApiError::internal)?;
    Ok(Json(value))
}
