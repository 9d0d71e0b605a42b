//! Trust-policy evaluation for AssumeAgency (spec §7).

use crate::condition::{Env, condition_applies};
use crate::context::Context;
use crate::eval::Decision;
use crate::policy::{Effect, Policy, PrincipalElement};

/// The action a trust policy is evaluated for.
pub const ASSUME_ACTION: &str = "sts:agencies:assume";

/// Who asks to assume an agency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TrustCaller {
    /// An IAM principal (user or agency session) of some account.
    Iam {
        /// The caller's URN (`iam::<acct>:user:<name>`).
        urn: String,
        /// The caller's account id.
        account_id: String,
    },
    /// A cloud service acting as its service principal (`service.ModelArts`).
    Service {
        /// The service principal, with or without the `service.` prefix.
        name: String,
    },
    /// A federated identity provider (matched literally against `Identity_provider`).
    IdentityProvider {
        /// The provider URN or id.
        id: String,
    },
}

/// The result of evaluating a trust policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrustDecision {
    /// `allow` when a matching `Allow` exists and no matching `Deny`.
    pub decision: Decision,
    /// Indexes of the determining statements: the matching denies for an explicit deny, the
    /// first matching allow for an allow, none for an implicit deny.
    pub statements: Vec<usize>,
}

impl TrustCaller {
    fn matches(&self, p: &PrincipalElement) -> bool {
        let hit = match self {
            TrustCaller::Iam { urn, account_id } => p.iam.iter().any(|e| {
                e == "*"
                    || e == account_id
                    || e == urn
                    || e.strip_prefix("iam::")
                        .and_then(|r| r.strip_suffix(":root"))
                        .is_some_and(|acct| acct == account_id)
            }),
            TrustCaller::Service { name } => {
                let want = strip_service(name);
                p.service.iter().any(|e| {
                    e.starts_with("service.") && strip_service(e).eq_ignore_ascii_case(want)
                })
            }
            TrustCaller::IdentityProvider { id } => p.identity_provider.iter().any(|e| e == id),
        };
        hit != p.negated
    }
}

fn strip_service(s: &str) -> &str {
    s.strip_prefix("service.").unwrap_or(s)
}

/// Evaluates a trust policy for a caller (spec §7): allowed when a statement matching
/// `sts:agencies:assume`, the caller and its conditions allows, and no such statement denies.
/// For IAM callers, `g:PrincipalUrn` and `g:PrincipalAccount` default to the caller's. The
/// caller's own `sts:agencies:assume` permission is a separate [`crate::PolicySet::decide`].
pub fn evaluate_trust(trust: &Policy, caller: &TrustCaller, ctx: &Context) -> TrustDecision {
    let env = match caller {
        TrustCaller::Iam { urn, account_id } => Env {
            ctx,
            urn: Some(urn),
            account: Some(account_id),
            root: None,
            service: None,
        },
        _ => Env {
            ctx,
            urn: None,
            account: None,
            root: None,
            service: None,
        },
    };
    let mut denies = Vec::new();
    let mut allow = None;
    for (i, s) in trust.statements().iter().enumerate() {
        let principal_ok = s.principal.as_ref().is_some_and(|p| caller.matches(p));
        if !(principal_ok && s.action.matches(ASSUME_ACTION) && s.resource.matches("*")) {
            continue;
        }
        if !condition_applies(&s.condition, s.effect == Effect::Deny, &env) {
            continue;
        }
        match s.effect {
            Effect::Deny => denies.push(i),
            Effect::Allow => {
                allow.get_or_insert(i);
            }
        }
    }
    if !denies.is_empty() {
        TrustDecision {
            decision: Decision::ExplicitDeny,
            statements: denies,
        }
    } else if let Some(i) = allow {
        TrustDecision {
            decision: Decision::Allow,
            statements: vec![i],
        }
    } else {
        TrustDecision {
            decision: Decision::ImplicitDeny,
            statements: Vec::new(),
        }
    }
}
