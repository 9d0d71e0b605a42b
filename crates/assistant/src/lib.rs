//! The ModelArts permission assistant: coverage, least-privilege generation, preflight and
//! overreach analysis, built on the catalog's dependency tables (seed 000 Tables 1-9), its agency
//! scope tables (Tables 10-14) and the policy engine.
//!
//! ```
//! use iam_assistant::{Scope, Subject, coverage, generate, scenarios};
//! let catalog = iam_catalog::Catalog::builtin();
//! let all = scenarios(catalog);
//! let training = all.iter().find(|s| s.id == "t4-training-management").unwrap();
//! let generated = generate::from_scenarios(catalog, &[training], &Scope::default()).unwrap();
//! let subject = Subject::from_documents(
//!     iam_policy::Principal::default(),
//!     &generated.policies.iter().map(|p| p.document.to_string()).collect::<Vec<_>>(),
//!     &[],
//! ).unwrap();
//! let report = coverage::check(catalog, &subject, &[training], &Scope::default(), &Default::default());
//! assert!(report.covered);
//! ```
#![deny(missing_docs)]

pub mod containment;
pub mod coverage;
pub mod generate;
pub mod preflight;
mod scenario;
mod scope;
mod subject;

pub use scenario::{
    Requirement, RequirementKind, Scenario, agency_scope_scenarios, agency_scopes_for,
    resolve_scenarios, scenarios,
};
pub use scope::{ObsPath, Scope, Target};
pub use subject::{Subject, SubjectError};
