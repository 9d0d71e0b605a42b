//! The output model, field for field Huawei's Access Analyzer `ValidatePolicy` response
//! (`huaweicloudsdkiamaccessanalyzer` v1).

use serde::{Deserialize, Serialize};

/// The response body of `POST /v5/policies/validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidatePolicyResponse {
    /// The findings, in document order (errors of one position before warnings).
    pub findings: Vec<Finding>,
    /// Paging information (the server pages with `limit`/`marker`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_info: Option<PageInfo>,
}

/// Paging information of a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = FindingsPageInfo))]
pub struct PageInfo {
    /// Number of findings in this page.
    pub current_count: u32,
    /// Marker of the next page, absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// The severity class of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FindingType {
    /// The policy cannot be used (syntax or parameter error); the engine rejects it.
    Error,
    /// The policy grants more than is probably intended.
    SecurityWarning,
    /// The policy works but something is likely wrong (e.g. a value type mismatch).
    Warning,
    /// Style: the policy works, something can be written better.
    Suggestion,
}

impl FindingType {
    /// The wire name (`error`, `security_warning`, `warning`, `suggestion`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingType::Error => "error",
            FindingType::SecurityWarning => "security_warning",
            FindingType::Warning => "warning",
            FindingType::Suggestion => "suggestion",
        }
    }
}

impl std::fmt::Display for FindingType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validation finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// The class of the finding.
    pub finding_type: FindingType,
    /// A stable `UPPER_SNAKE` code (see `docs/validation.md`).
    pub issue_code: String,
    /// The message.
    pub finding_details: String,
    /// Where the check is documented.
    pub learn_more_link: String,
    /// Where in the document the finding is.
    pub locations: Vec<Location>,
}

impl Finding {
    /// Whether this finding is an `error`.
    pub fn is_error(&self) -> bool {
        self.finding_type == FindingType::Error
    }

    /// Whether this warning says that a statement, or a part of it, never matches or never
    /// applies (an action, resource or condition no request can satisfy, or a key no
    /// enforcement point can fill): what a generated policy must never get.
    pub fn says_part_never_applies(&self) -> bool {
        INEFFECTIVE
            .iter()
            .any(|c| c.as_str() == self.issue_code.as_str())
    }
}

/// The codes of [`Finding::says_part_never_applies`].
pub const INEFFECTIVE: &[crate::Code] = &[
    crate::Code::UnknownAction,
    crate::Code::ActionMatchesNothing,
    crate::Code::InvalidActionFormat,
    crate::Code::InvalidResourceFormat,
    crate::Code::ResourceTypeMismatch,
    crate::Code::ActionResourceNotSupported,
    crate::Code::UnknownConditionKey,
    crate::Code::UnsupportedConditionKey,
    crate::Code::ConditionTypeMismatch,
    crate::Code::ConditionKeyUnknowable,
    crate::Code::DenyConditionKeyUnknowable,
];

/// A location: a JSON path and a span in the document text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    /// The JSON path from the document root.
    pub path: Vec<PathElement>,
    /// The text span.
    pub span: Span,
}

/// One step of a JSON path: exactly one member is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PathElement {
    /// Array index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The name of an object member when the finding is about the name itself (an unknown
    /// element, a condition key): the last step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// An object member to descend into (as Access Analyzer writes `{"value": "Statement"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A part of a string value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substring: Option<Substring>,
}

impl PathElement {
    /// A member-name step.
    pub fn key(k: impl Into<String>) -> Self {
        PathElement {
            key: Some(k.into()),
            ..PathElement::default()
        }
    }
    /// An array-index step.
    pub fn index(i: usize) -> Self {
        PathElement {
            index: Some(u32::try_from(i).unwrap_or(u32::MAX)),
            ..PathElement::default()
        }
    }
    /// A value step.
    pub fn value(v: impl Into<String>) -> Self {
        PathElement {
            value: Some(v.into()),
            ..PathElement::default()
        }
    }
}

impl std::fmt::Display for PathElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(i) = self.index {
            write!(f, "[{i}]")
        } else if let Some(k) = self.key.as_ref().or(self.value.as_ref()) {
            write!(f, ".{k}")
        } else if let Some(s) = &self.substring {
            write!(f, "[{}..+{}]", s.start, s.length)
        } else {
            Ok(())
        }
    }
}

/// Renders a path as `Statement[0].Condition.Bool`.
pub fn path_to_string(path: &[PathElement]) -> String {
    let s: String = path.iter().map(ToString::to_string).collect();
    s.strip_prefix('.').map(str::to_owned).unwrap_or(s)
}

/// A part of a string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Substring {
    /// Start (0-based, in characters).
    pub start: u32,
    /// Length in characters.
    pub length: u32,
}

/// A text span: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Span {
    /// First character.
    pub start: Position,
    /// Just after the last character.
    pub end: Position,
}

/// A position in the document text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Position {
    /// Line, 1-based.
    pub line: usize,
    /// Column, 0-based, in Unicode scalar values.
    pub column: usize,
    /// Offset from the start of the document, 0-based, in Unicode scalar values.
    pub offset: usize,
}
