//! Policy documents arriving in requests (as JSON strings): validation before they are stored.
//!
//! A document is accepted exactly when the policy engine compiles it for its kind (identity
//! policy, trust policy, SCP): what is stored is always what decisions can evaluate. A rejected
//! document answers 400 `IAM.0008` with Access-Analyzer-shaped `error` findings (issue code,
//! details, and the JSON path of the offending element) next to `error_code`/`error_msg`.

use iam_analyzer::{FindingType, PathElement};
use iam_policy::{ParseError, ParseErrorKind, Policy, PolicyKind};
use serde::Serialize;
use serde_json::Value;

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

impl DocumentKind {
    fn engine_kind(self) -> PolicyKind {
        match self {
            DocumentKind::Identity => PolicyKind::Identity,
            DocumentKind::Trust => PolicyKind::Trust,
            DocumentKind::Scp => PolicyKind::Scp,
        }
    }
}

/// A finding on a rejected document: Access Analyzer's finding shape (`iam_analyzer::Finding`)
/// without the text span, which the engine's parse errors do not carry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DocumentFinding {
    /// Always `error`: the engine does not accept the document.
    finding_type: FindingType,
    /// An Access Analyzer issue code (`JSON_SYNTAX_ERROR`, `MISSING_VERSION`, ...).
    issue_code: &'static str,
    /// What is wrong.
    finding_details: String,
    /// Empty.
    learn_more_link: &'static str,
    /// One location: where in the document the error is.
    locations: Vec<DocumentLocation>,
}

/// Where a [`DocumentFinding`] is: the JSON path from the document root.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DocumentLocation {
    /// Member (`key`) and array index (`index`) steps.
    path: Vec<PathElement>,
}

/// Rejects a document the engine would not accept, with the findings.
pub fn check_document(doc: &str, kind: DocumentKind) -> ApiResult<()> {
    match Policy::parse(doc, kind.engine_kind()) {
        Ok(_) => Ok(()),
        Err(e) => {
            let finding = finding_of(&e, doc);
            let msg = format!(
                "the policy document is invalid ({}): {e}",
                finding.issue_code
            );
            // strings and integers only: serializing cannot fail
            let findings = serde_json::to_value([finding]).unwrap_or_default();
            Err(ApiError::invalid_policy(msg, findings))
        }
    }
}

/// The Access Analyzer issue code for an engine parse error (codes of huawei-iam.md §6.6; AWS
/// spellings where Huawei's page is unreadable).
fn issue_code(e: &ParseError) -> &'static str {
    let last = e.path().rsplit('.').next().unwrap_or("");
    match e.kind() {
        ParseErrorKind::Syntax => "JSON_SYNTAX_ERROR",
        ParseErrorKind::InvalidType => "DATA_TYPE_MISMATCH",
        ParseErrorKind::UnsupportedVersion => "INVALID_VERSION",
        ParseErrorKind::MissingMember => match (e.path(), e.message()) {
            (_, m) if m.contains("`Version`") => "MISSING_VERSION",
            (_, m) if m.contains("`Statement`") => "MISSING_STATEMENT",
            (_, m) if m.contains("`Effect`") => "MISSING_EFFECT",
            (_, m) if m.contains("Action") => "MISSING_ACTION",
            (_, m) if m.contains("Principal") => "MISSING_PRINCIPAL",
            _ => "INVALID_POLICY_ELEMENT",
        },
        ParseErrorKind::NotAllowed if last.contains("Principal") => "UNSUPPORTED_PRINCIPAL",
        ParseErrorKind::UnknownOperator => "INVALID_CONDITION_OPERATOR",
        ParseErrorKind::TooLarge | ParseErrorKind::LimitExceeded => "POLICY_SIZE_LIMIT_EXCEEDED",
        _ => "INVALID_POLICY_ELEMENT",
    }
}

/// `Statement[0].Condition.StringEquals` -> `[{key: Statement}, {index: 0}, {key: Condition}, ...]`.
fn location_path(path: &str) -> Vec<PathElement> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        let key_end = rest.find('[').unwrap_or(rest.len());
        if key_end > 0 {
            out.push(PathElement::key(&rest[..key_end]));
        }
        rest = &rest[key_end..];
        while let Some(open) = rest.strip_prefix('[') {
            let Some(close) = open.find(']') else { break };
            match open[..close].parse::<usize>() {
                Ok(i) => out.push(PathElement::index(i)),
                Err(_) => out.push(PathElement::key(&open[..close])),
            }
            rest = &open[close + 1..];
        }
    }
    out
}

/// One `error` finding for a parse error.
fn finding_of(e: &ParseError, doc: &str) -> DocumentFinding {
    let code = issue_code(e);
    let details = if code == "JSON_SYNTAX_ERROR" {
        match serde_json::from_str::<Value>(doc) {
            Err(j) => format!(
                "Fix the JSON syntax error at character {} in line {}.",
                j.column(),
                j.line()
            ),
            Ok(_) => e.to_string(),
        }
    } else {
        e.to_string()
    };
    DocumentFinding {
        finding_type: FindingType::Error,
        issue_code: code,
        finding_details: details,
        learn_more_link: "",
        locations: vec![DocumentLocation {
            path: location_path(e.path()),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_the_engine_rejects_are_rejected_with_a_coded_finding() {
        let cases: &[(&str, DocumentKind, &str)] = &[
            ("{", DocumentKind::Identity, "JSON_SYNTAX_ERROR"),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":["a:b:c"]}]}"#,
                DocumentKind::Identity,
                "MISSING_VERSION",
            ),
            (
                r#"{"Version":"5.0"}"#,
                DocumentKind::Identity,
                "MISSING_STATEMENT",
            ),
            (
                r#"{"Version":"9.0","Statement":[{"Effect":"Allow","Action":["a:b:c"]}]}"#,
                DocumentKind::Identity,
                "INVALID_VERSION",
            ),
            (
                r#"{"Version":"5.0","Statement":[{"Effect":1,"Action":["a:b:c"]}]}"#,
                DocumentKind::Identity,
                "DATA_TYPE_MISMATCH",
            ),
            (
                r#"{"Version":"5.0","Statement":[{"Effect":"Allow"}]}"#,
                DocumentKind::Identity,
                "MISSING_ACTION",
            ),
            (
                r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["a:b:c"],"Condition":{"Nope":{"g:x":["1"]}}}]}"#,
                DocumentKind::Identity,
                "INVALID_CONDITION_OPERATOR",
            ),
            (
                r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"]}]}"#,
                DocumentKind::Trust,
                "MISSING_PRINCIPAL",
            ),
        ];
        for (doc, kind, code) in cases {
            let e = check_document(doc, *kind)
                .err()
                .unwrap_or_else(|| panic!("accepted {doc}"));
            assert_eq!(e.status(), 400, "{doc}");
            let f = &e
                .findings()
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()[0];
            assert_eq!(f["issue_code"], *code, "{doc}: {f}");
            assert_eq!(f["finding_type"], "error");
        }
        let ok = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:*"]}]}"#;
        assert!(check_document(ok, DocumentKind::Identity).is_ok());
        assert!(check_document(ok, DocumentKind::Scp).is_ok());
    }

    /// The wire shape of a finding: Access Analyzer's member names, `{"key"}`/`{"index"}` path
    /// steps, no span.
    #[test]
    fn a_finding_keeps_its_wire_shape() {
        let doc = r#"{"Version":"5.0","Statement":[{"Effect":1,"Action":["a:b:c"]}]}"#;
        let e = check_document(doc, DocumentKind::Identity).unwrap_err();
        let f = &e.findings().and_then(Value::as_array).unwrap()[0];
        assert_eq!(
            f,
            &serde_json::json!({
                "finding_type": "error",
                "issue_code": "DATA_TYPE_MISMATCH",
                "finding_details": f["finding_details"],
                "learn_more_link": "",
                "locations": [{"path": [{"key": "Statement"}, {"index": 0}, {"key": "Effect"}]}],
            })
        );
        assert!(!f["finding_details"].as_str().unwrap().is_empty());
    }

    #[test]
    fn paths_become_locations() {
        assert_eq!(
            location_path("Statement[2].Condition.StringEquals"),
            vec![
                PathElement::key("Statement"),
                PathElement::index(2),
                PathElement::key("Condition"),
                PathElement::key("StringEquals")
            ]
        );
        assert!(location_path("").is_empty());
    }
}
