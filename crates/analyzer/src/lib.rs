//! Access-Analyzer-style policy validation: findings with Huawei's `ValidatePolicy` shape
//! (`finding_type`, `issue_code`, `finding_details`, `learn_more_link`, `locations` with a JSON
//! path and a line/column/offset span).
//!
//! ```
//! use iam_analyzer::{PolicyType, validate};
//! let doc = r#"{"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:lst"]}]}"#;
//! let findings = validate(doc, PolicyType::Identity);
//! assert_eq!(findings[0].issue_code, "UNKNOWN_ACTION");
//! assert!(!iam_analyzer::has_errors(&findings)); // warnings do not stop the policy
//! ```
//!
//! Error findings mirror the engine exactly: `validate` reports an `error` finding if and only if
//! `iam_policy::Policy::parse` rejects the document for the same kind (a property test checks
//! this). The checks are documented in `docs/validation.md`.
#![deny(missing_docs)]

pub mod codes;
mod explain;
pub mod finding;
mod json;
mod validate;

pub use codes::Code;
pub use explain::explain;
pub use finding::{
    Finding, FindingType, Location, PageInfo, PathElement, Position, Span, Substring,
    ValidatePolicyResponse, path_to_string,
};
pub use json::strict_json;

use iam_catalog::Catalog;
use iam_policy::{Policy, PolicyKind};
use std::borrow::Cow;

/// The policy types the validator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Identity policy (users, groups, agencies): 5.0 or legacy 1.1.
    Identity,
    /// Trust policy of an agency (Access Analyzer: `resource_policy` + `iam:agency`).
    Trust,
    /// Service control policy.
    Scp,
    /// Session policy of an agency session (identity rules, 4,096 bytes).
    Session,
}

impl PolicyType {
    /// The engine's document kind.
    pub fn kind(self) -> PolicyKind {
        match self {
            PolicyType::Identity => PolicyKind::Identity,
            PolicyType::Trust => PolicyKind::Trust,
            PolicyType::Scp => PolicyKind::Scp,
            PolicyType::Session => PolicyKind::Session,
        }
    }

    /// The CLI name (`identity`, `trust`, `scp`, `session`).
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Trust => "trust",
            PolicyType::Scp => "scp",
            PolicyType::Session => "session",
        }
    }

    /// Parses a CLI name (`identity`, `trust`, `scp`, `session`).
    pub fn from_name(name: &str) -> Option<PolicyType> {
        Some(match name {
            "identity" => PolicyType::Identity,
            "trust" => PolicyType::Trust,
            "scp" => PolicyType::Scp,
            "session" => PolicyType::Session,
            _ => return None,
        })
    }

    /// Maps Access Analyzer's `policy_type` and `validate_policy_resource_type`:
    /// `identity_policy`, `service_control_policy`, `resource_policy` + `iam:agency` (trust).
    pub fn from_access_analyzer(
        policy_type: &str,
        resource_type: Option<&str>,
    ) -> Option<PolicyType> {
        match (policy_type, resource_type) {
            ("identity_policy", None) => Some(PolicyType::Identity),
            ("service_control_policy", None) => Some(PolicyType::Scp),
            ("resource_policy", Some("iam:agency")) => Some(PolicyType::Trust),
            _ => None,
        }
    }
}

/// Validates a document against the built-in catalog.
pub fn validate(document: &str, policy_type: PolicyType) -> Vec<Finding> {
    validate_with(document, policy_type, Catalog::builtin())
}

/// Validates a document against `catalog`. Findings are in document order.
///
/// A document given as a JSON string holding the policy (as Huawei's APIs carry documents) is
/// validated as the inner text; positions then refer to the inner text.
pub fn validate_with(document: &str, policy_type: PolicyType, catalog: &Catalog) -> Vec<Finding> {
    let kind = policy_type.kind();
    let (text, parsed) = unwrap_doc(document);
    let mut v = validate::Validator::new(&text, catalog, kind);
    match parsed {
        Err(e) => v.syntax_error(&e),
        Ok(node) => v.document(&node),
    }
    let mut findings = v.findings;
    // Safety net: the engine is the authority on what is an error.
    if !has_errors(&findings)
        && let Err(e) = Policy::parse(document, kind)
    {
        findings.push(Finding {
            finding_type: Code::PolicyRejected.finding_type(),
            issue_code: Code::PolicyRejected.as_str().to_owned(),
            finding_details: e.to_string(),
            learn_more_link: Code::PolicyRejected.learn_more_link(),
            locations: Vec::new(),
        });
    }
    findings.sort_by_key(|f| {
        (
            f.locations
                .first()
                .map_or(usize::MAX, |l| l.span.start.offset),
            f.finding_type,
        )
    });
    findings
}

/// The text the findings' positions refer to: `document` itself, or, for a document given as a
/// JSON string holding the policy, the inner text.
pub fn source_text(document: &str) -> Cow<'_, str> {
    unwrap_doc(document).0
}

/// The text to validate and its parse: `document` itself, or, for a document given as a JSON
/// string holding the policy, the inner text and its parse.
fn unwrap_doc(document: &str) -> (Cow<'_, str>, Result<json::Node, json::SyntaxError>) {
    match json::parse(document) {
        Ok(json::Node {
            kind: json::Kind::String(inner),
            ..
        }) => {
            let parsed = json::parse(&inner);
            (Cow::Owned(inner), parsed)
        }
        parsed => (Cow::Borrowed(document), parsed),
    }
}

/// Whether any finding is an `error` (the engine rejects the document).
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_error)
}
