//! Errors of parsing and compiling policy documents.

use std::fmt;

/// What kind of problem a [`ParseError`] reports (stable, for tools that map errors to codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text is not JSON.
    Syntax,
    /// A value has the wrong JSON type (e.g. a number where an object is required).
    InvalidType,
    /// A member that is not part of the language (or of this element).
    UnknownMember,
    /// A required member is absent.
    MissingMember,
    /// The same member name appears twice in one object.
    DuplicateMember,
    /// Two members that exclude each other (`Action` and `NotAction`).
    ConflictingMembers,
    /// A member that the language has but this kind or version of document does not allow.
    NotAllowed,
    /// The `Version` is not supported.
    UnsupportedVersion,
    /// An array or object that must not be empty is empty.
    Empty,
    /// A value that is not valid where it appears (bad effect, bad number, bad date, ...).
    InvalidValue,
    /// An unknown condition operator.
    UnknownOperator,
    /// The document is larger than allowed.
    TooLarge,
    /// A count limit of the engine (statements, patterns, values, pattern length) is exceeded.
    LimitExceeded,
}

/// A policy document that cannot be parsed or compiled.
///
/// `path` locates the problem (`Statement[2].Condition.StringEquals`; empty for the whole
/// document); `message` is lowercase, quotes user input in backticks and says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParseError {
    kind: ParseErrorKind,
    path: String,
    message: String,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, path: &str, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// The kind of problem.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The JSON path of the offending element (`Statement[0].Action`), empty for the document.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The user-facing message, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

/// A condition operator name that is not part of the language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OperatorError {
    pub(crate) message: String,
}

impl OperatorError {
    /// The user-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A condition value (in a policy or a request) that does not parse for its operator family.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub(crate) message: String,
}

impl ValueError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ValueError {
            message: message.into(),
        }
    }

    /// The user-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A request context that cannot be built from JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ContextError {
    pub(crate) message: String,
}

impl ContextError {
    /// The user-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }
}
