//! Access Analyzer `POST /v5/policies/validate` (`huaweicloudsdkiamaccessanalyzer.v1`).

use axum::Json;
use axum::Router;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::documents::validate_findings;
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::PageQuery;
use crate::state::AppState;

/// The Access Analyzer routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v5/policies/validate", post(validate))
}

#[derive(Deserialize)]
struct ValidateBody {
    policy_document: String,
    policy_type: String,
    #[serde(default)]
    validate_policy_resource_type: Option<String>,
}

async fn validate(
    QueryParams(q): QueryParams<PageQuery>,
    JsonBody(b): JsonBody<ValidateBody>,
) -> ApiResult<Json<Value>> {
    let findings = validate_findings(
        &b.policy_document,
        &b.policy_type,
        b.validate_policy_resource_type.as_deref(),
    )?;
    let (page, info) = q.paginate(
        findings.into_iter().enumerate().collect::<Vec<_>>(),
        |(i, _)| marker_of(*i),
    )?;
    let items: Vec<Value> = page.into_iter().map(|(_, f)| f).collect();
    Ok(Json(json!({ "findings": items, "page_info": info })))
}

/// Findings have no id; their marker is their position, zero-padded to the marker's minimum length.
fn marker_of(i: usize) -> String {
    format!("{i:04}")
}
