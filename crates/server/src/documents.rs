//! Policy documents arriving in requests (as JSON strings): validation before they are stored.
//! A document with `error` findings is rejected with 400 `IAM.0008` and the findings.

use serde_json::json;

use crate::error::{ApiError, ApiResult};

/// Which grammar a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// Identity policy (`policy_document`).
    Identity,
    /// Trust policy of an agency (`trust_policy`).
    Trust,
    /// Service control policy (`content`).
    Scp,
}

/// Rejects a document the engine would not accept, with the validator's findings.
pub fn check_document(doc: &str, kind: DocumentKind) -> ApiResult<()> {
    let _ = kind;
    if let Err(e) = serde_json::from_str::<serde_json::Value>(doc) {
        let finding = json!({
            "finding_type": "error",
            "issue_code": "JSON_SYNTAX_ERROR",
            "finding_details": format!("Fix the JSON syntax error at character {} in line {}.", e.column(), e.line()),
            "learn_more_link": "",
            "locations": [],
        });
        return Err(ApiError::invalid_policy(
            "the policy document is invalid: JSON_SYNTAX_ERROR",
            json!([finding]),
        ));
    }
    Ok(())
}

/// `POST /v5/policies/validate`: the findings for a document of an Access Analyzer policy type.
pub fn validate_findings(
    doc: &str,
    policy_type: &str,
    resource_type: Option<&str>,
) -> ApiResult<Vec<serde_json::Value>> {
    let kind = match (policy_type, resource_type) {
        ("identity_policy", _) => DocumentKind::Identity,
        ("service_control_policy", _) => DocumentKind::Scp,
        ("resource_policy", Some("iam:agency")) => DocumentKind::Trust,
        (other, _) => {
            return Err(ApiError::bad_request(format!(
                "invalid `policy_type` `{other}`: supported are `identity_policy`, `service_control_policy`, and `resource_policy` with `validate_policy_resource_type` `iam:agency`"
            )));
        }
    };
    match check_document(doc, kind) {
        Ok(()) => Ok(Vec::new()),
        Err(e) => Ok(e
            .findings()
            .cloned()
            .and_then(|f| f.as_array().cloned())
            .unwrap_or_default()),
    }
}
