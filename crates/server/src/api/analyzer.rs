//! Access Analyzer `POST /v5/policies/validate` (`huaweicloudsdkiamaccessanalyzer.v1`
//! `ValidatePolicy`): the findings of `iam_analyzer::validate` for a policy document, paged with
//! `limit`/`marker`.
//!
//! Body `{"policy_document": str, "policy_type": "identity_policy" | "service_control_policy" |
//! "resource_policy", "validate_policy_resource_type"?: "iam:agency"}`; `resource_policy` with
//! `iam:agency` validates an agency trust policy. Other policy types answer 400. Messages are in
//! English whatever `X-Language` says. The caller needs `access-analyzer:policies:validate`
//! (checked by the authentication layer through the catalog route).

use axum::Json;
use axum::routing::on;
use iam_analyzer::{PolicyType, ValidatePolicyResponse, validate as validate_policy};
use serde::Deserialize;

use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::PageQuery;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[Endpoint {
    method: Method::Post,
    path: "/v5/policies/validate",
    operation_id: "ValidatePolicy",
    tag: "access-analyzer",
    summary: "Validate a policy document",
    authz: Authz::Catalog(Sources::PATH),
    route: |m| on(m, validate),
    query: Some(Params::of::<PageQuery>()),
    request: Some(Body::of::<ValidateBody>()),
    response: Reply::ok::<ValidatePolicyResponse>(),
}];

/// `ValidatePolicy`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    /// The policy document, as JSON text (at most 131,072 bytes).
    #[schema(min_length = 1, max_length = 131072)]
    policy_document: String,
    /// `identity_policy`, `service_control_policy`, or `resource_policy` (with
    /// `validate_policy_resource_type` `iam:agency`: an agency trust policy).
    #[schema(pattern = "^(identity_policy|service_control_policy|resource_policy)$")]
    policy_type: String,
    /// `iam:agency`, with `resource_policy`.
    #[serde(default)]
    validate_policy_resource_type: Option<String>,
}

/// Largest `policy_document` accepted, in bytes (Access Analyzer's limit is 131,072 characters).
const MAX_DOCUMENT_BYTES: usize = 131_072;

async fn validate(
    QueryParams(q): QueryParams<PageQuery>,
    JsonBody(b): JsonBody<ValidateBody>,
) -> ApiResult<Json<ValidatePolicyResponse>> {
    let policy_type = PolicyType::from_access_analyzer(
        &b.policy_type,
        b.validate_policy_resource_type.as_deref(),
    )
    .ok_or_else(|| {
        ApiError::bad_request(format!(
            "invalid `policy_type` `{}`{}: supported are `identity_policy`, `service_control_policy`, and `resource_policy` with `validate_policy_resource_type` `iam:agency`",
            b.policy_type,
            b.validate_policy_resource_type
                .as_deref()
                .map(|r| format!(" with `validate_policy_resource_type` `{r}`"))
                .unwrap_or_default()
        ))
    })?;
    if b.policy_document.is_empty() {
        return Err(ApiError::bad_request(
            "`policy_document` is empty: give the policy document as a JSON string",
        ));
    }
    if b.policy_document.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::bad_request(format!(
            "`policy_document` is {} bytes long, more than {MAX_DOCUMENT_BYTES}",
            b.policy_document.len()
        )));
    }
    let findings = validate_policy(&b.policy_document, policy_type);
    let (page, info) = q.paginate(findings.into_iter().enumerate().collect(), |(i, _)| {
        marker_of(*i)
    })?;
    Ok(Json(ValidatePolicyResponse {
        findings: page.into_iter().map(|(_, f)| f).collect(),
        page_info: Some(iam_analyzer::PageInfo {
            current_count: u32::try_from(info.current_count).unwrap_or(u32::MAX),
            next_marker: info.next_marker,
        }),
    }))
}

/// Findings have no id; their marker is their position, zero-padded to the marker's minimum length.
fn marker_of(i: usize) -> String {
    format!("{i:04}")
}
