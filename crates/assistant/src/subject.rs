//! A principal to analyse: its engine identity, identity policies and SCP levels.

use iam_policy::{Policy, PolicyId, PolicyKind, PolicySet, Principal};
use std::sync::Arc;

/// Compiled policies of one layer.
pub type Compiled = Vec<(PolicyId, Arc<Policy>)>;

/// A principal with its identity policies and the SCP levels of its account (root first).
#[derive(Debug)]
pub struct Subject {
    /// The engine's view of the principal.
    pub principal: Principal,
    /// Identity policies.
    pub identity: Compiled,
    /// SCP levels (root first); empty when no SCPs apply.
    pub scps: Vec<Compiled>,
    set: PolicySet,
}

/// A document of a subject that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectError {
    /// Which document (`identity[0]`, `scp[1]`).
    pub document: String,
    /// The parser's message.
    pub message: String,
}

impl std::fmt::Display for SubjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.document, self.message)
    }
}

impl std::error::Error for SubjectError {}

impl Subject {
    /// Builds a subject from compiled policies.
    pub fn new(principal: Principal, identity: Compiled, scps: Vec<Compiled>) -> Subject {
        let set = PolicySet::new(identity.clone(), scps.clone(), Vec::new());
        Subject {
            principal,
            identity,
            scps,
            set,
        }
    }

    /// Builds a subject from identity documents and SCP documents (each SCP document is one
    /// level, root first). Policy ids are `identity[i]` and `scp[i]`.
    pub fn from_documents(
        principal: Principal,
        identity: &[String],
        scps: &[String],
    ) -> Result<Subject, SubjectError> {
        let ident = identity
            .iter()
            .enumerate()
            .map(|(i, d)| parse(d, PolicyKind::Identity, format!("identity[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let levels = scps
            .iter()
            .enumerate()
            .map(|(i, d)| parse(d, PolicyKind::Scp, format!("scp[{i}]")).map(|p| vec![p]))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Subject::new(principal, ident, levels))
    }

    /// The compiled policy set (identity and SCPs, no session).
    pub fn set(&self) -> &PolicySet {
        &self.set
    }

    /// A copy with one more identity policy appended.
    pub fn with_identity(&self, id: &str, policy: Policy) -> Subject {
        let mut identity = self.identity.clone();
        identity.push((PolicyId::new(id), Arc::new(policy)));
        Subject::new(self.principal.clone(), identity, self.scps.clone())
    }

    /// A copy with the identity policies replaced.
    pub fn with_identity_policies(&self, identity: Compiled) -> Subject {
        Subject::new(self.principal.clone(), identity, self.scps.clone())
    }
}

fn parse(
    doc: &str,
    kind: PolicyKind,
    name: String,
) -> Result<(PolicyId, Arc<Policy>), SubjectError> {
    Policy::parse(doc, kind)
        .map(|p| (PolicyId::new(&name), Arc::new(p)))
        .map_err(|e| SubjectError {
            document: name,
            message: e.to_string(),
        })
}
