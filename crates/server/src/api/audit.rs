//! `GET /v1/decisions` (`marker`/`limit` pagination, filters `principal_urn`, `action`,
//! `decision`, `agency_id`, `since`, `until`) lists the decisions about principals of the
//! caller's account, newest first (written by `crate::audit`). It needs `cts:trace:list` (Cloud
//! Trace Service's "list traces" action: the closest Huawei action for reading an audit trail).

use axum::Json;
use axum::extract::State;
use axum::routing::on;
use iam_store::{DecisionFilter, DecisionLogEntry};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::endpoints::{Authz, Endpoint, Method, Params, Reply};
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::page::PageInfo;
use crate::state::AppState;

/// Action needed to read the decision log.
pub const READ_ACTION: &str = "cts:trace:list";

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[Endpoint {
    method: Method::Get,
    path: "/v1/decisions",
    operation_id: "ListDecisions",
    tag: "decisions",
    summary: "The decision log of enforced requests",
    authz: Authz::Handler(
        "`cts:trace:list` (reading the decision log, like Cloud Trace Service records) on `*`",
    ),
    route: |m| on(m, list),
    query: Some(Params::of::<ListQuery>()),
    request: None,
    response: Reply::ok::<Decisions>(),
}];

/// `GET /v1/decisions`' query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// 1-200, default 100.
    #[serde(default)]
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_marker`.
    #[serde(default)]
    #[param(pattern = "^[A-Za-z0-9+/=_-]{4,400}$")]
    marker: Option<String>,
    /// Only decisions about this principal.
    #[serde(default)]
    principal_urn: Option<String>,
    /// Only decisions of this action.
    #[serde(default)]
    action: Option<String>,
    /// Only these decisions.
    #[serde(default)]
    #[param(pattern = "^(allow|explicit_deny|implicit_deny|deny|unauthenticated|rejected)$")]
    decision: Option<String>,
    /// Only decisions of sessions of this agency.
    #[serde(default)]
    agency_id: Option<String>,
    /// RFC 3339: not before.
    #[serde(default)]
    #[param(format = DateTime)]
    since: Option<String>,
    /// RFC 3339: not after.
    #[serde(default)]
    #[param(format = DateTime)]
    until: Option<String>,
}

/// One decision-log entry.
#[derive(Serialize, ToSchema)]
pub(crate) struct DecisionEntry {
    /// Sequence number.
    id: i64,
    /// When (RFC 3339).
    at: String,
    /// The principal decided about.
    principal_urn: Option<String>,
    /// The access key that signed the request.
    access_key_id: Option<String>,
    /// The action.
    action: String,
    /// The resource URN.
    resource: Option<String>,
    /// `allow`, `explicit_deny`, `implicit_deny`, `unauthenticated` or `rejected`.
    decision: String,
    /// The policy that decided.
    determining_policy: Option<String>,
    /// The statement that decided.
    determining_statement: Option<String>,
    /// The layer that decided.
    layer: Option<String>,
    /// The session (agency sessions).
    session: Option<String>,
    /// The agency (agency sessions).
    agency_id: Option<String>,
    /// The request id.
    request_id: Option<String>,
    /// More facts of the enforcement point, as JSON.
    #[schema(value_type = Option<Object>)]
    extra: serde_json::Value,
}

impl From<&DecisionLogEntry> for DecisionEntry {
    fn from(e: &DecisionLogEntry) -> Self {
        DecisionEntry {
            id: e.id,
            at: e.at.clone(),
            principal_urn: e.principal_urn.clone(),
            access_key_id: e.access_key_id.clone(),
            action: e.action.clone(),
            resource: e.resource.clone(),
            decision: e.decision.clone(),
            determining_policy: e.determining_policy.clone(),
            determining_statement: e.determining_statement.clone(),
            layer: e.layer.clone(),
            session: e.session.clone(),
            agency_id: e.agency_id.clone(),
            request_id: e.request_id.clone(),
            extra: e
                .extra
                .as_deref()
                .and_then(|x| serde_json::from_str(x).ok())
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

/// `GET /v1/decisions`' answer.
#[derive(Serialize, ToSchema)]
struct Decisions {
    /// This page, newest first.
    decisions: Vec<DecisionEntry>,
    /// Paging.
    page_info: PageInfo,
}

fn parse_time(name: &str, v: &str) -> ApiResult<OffsetDateTime> {
    crate::auth::parse_rfc3339(v).ok_or_else(|| {
        ApiError::bad_request(format!(
            "invalid query parameter `{name}`: `{v}` is not an RFC 3339 time (2026-01-31T12:00:00Z)"
        ))
    })
}

async fn list(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Decisions>> {
    st.authorize_api_call(&caller, READ_ACTION, "*")?;
    if let Some(d) = &q.decision
        && ![
            "allow",
            "explicit_deny",
            "implicit_deny",
            "deny",
            "unauthenticated",
            "rejected",
        ]
        .contains(&d.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "invalid query parameter `decision`: `{d}` is not `allow`, `explicit_deny`, `implicit_deny`, `unauthenticated` or `rejected`"
        )));
    }
    let filter = DecisionFilter {
        principal_urn: q.principal_urn,
        action: q.action,
        decision: q.decision,
        since: q
            .since
            .as_deref()
            .map(|v| parse_time("since", v))
            .transpose()?,
        until: q
            .until
            .as_deref()
            .map(|v| parse_time("until", v))
            .transpose()?,
        account_id: Some(caller.account_id.clone()),
        agency_id: q.agency_id,
    };
    let page = crate::page::store_page(q.limit, q.marker)?;
    let found = st.store().list_decisions(&filter, &page).await?;
    let (decisions, page_info) = crate::page::store_items(found, |e| DecisionEntry::from(e));
    Ok(Json(Decisions {
        decisions,
        page_info,
    }))
}
