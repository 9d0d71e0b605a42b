//! The policy language and evaluation engine of `modelarts-iam`: parse, check and compile
//! identity policies, session policies, trust policies and service control policies, and decide
//! requests against them. The semantics are those of `docs/policy-language.md` (cited as §n).
//!
//! The crate is pure: no I/O, no clock, no async. Time is a request input (`g:CurrentTime`).
//!
//! ```
//! use std::sync::Arc;
//! use iam_policy::{Context, Decision, Policy, PolicyKind, PolicySet, Principal, Request};
//!
//! let doc = r#"{"Version": "5.0", "Statement": [
//!     {"Effect": "Allow", "Action": ["modelarts:trainJob:*"]}]}"#;
//! let policy = Arc::new(Policy::parse(doc, PolicyKind::Identity)?);
//! let set = PolicySet::new(vec![("p1".into(), policy)], vec![], vec![]);
//! let ctx = Context::new().with("g:SourceIp", "10.1.2.3");
//! let req = Request { action: "modelarts:trainJob:get", resource: "*", context: &ctx };
//! assert_eq!(set.decide(&Principal::default(), &req), Decision::Allow);
//! # Ok::<(), iam_policy::ParseError>(())
//! ```
#![deny(missing_docs)]

pub mod case;
mod condition;
mod context;
mod error;
mod eval;
mod json;
pub mod operator;
pub mod pattern;
mod policy;
mod trust;

pub use condition::ConditionEntry;
pub use context::Context;
pub use error::{ContextError, OperatorError, ParseError, ParseErrorKind, ValueError};
pub use eval::{
    Decision, Explanation, FailedCondition, Layer, LayerRef, PolicyId, PolicySet, Principal,
    Request, StatementRef, denial_message, statement_words, statement_words_as,
};
pub use operator::{BaseOperator, Family, Operator, Qualifier};
pub use pattern::{
    ActionPattern, ResourcePattern, compile_action_pattern, compile_resource_pattern,
    compile_resource_pattern_with, resource_id_case,
};
pub use policy::{
    ActionElement, Effect, PRINCIPAL_KINDS, Policy, PolicyKind, PrincipalElement, ResourceElement,
    STATEMENT_MEMBERS_1_1, STATEMENT_MEMBERS_5_0, Statement, Version, limits,
};
pub use trust::{ASSUME_ACTION, TrustCaller, TrustDecision, evaluate_trust};
