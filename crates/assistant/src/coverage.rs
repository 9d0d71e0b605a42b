//! Coverage: which permissions of one or more scenarios a principal holds, which it misses, and
//! the layer that denies each missing one.

use crate::scenario::{RequirementKind, Scenario};
use crate::scope::{Scope, Target};
use crate::subject::Subject;
use iam_catalog::Catalog;
use iam_policy::{
    Context, Decision, Explanation, FailedCondition, Layer, PolicySet, Principal, Request,
    StatementRef,
};
use serde::Serialize;

/// Why a request is denied: the primary failing layer and what the engine says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Denial {
    /// `explicit_deny` or `implicit_deny`.
    pub decision: Decision,
    /// The layer that denies first (`scp`, `session`, `identity`).
    pub layer: Layer,
    /// The SCP level (0 = root) when the layer is `scp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// Huawei's denial text.
    pub message: String,
    /// The deny statements for an explicit deny.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny_statements: Vec<StatementRef>,
    /// Conditions that did not hold in statements whose action and resource matched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_conditions: Vec<FailedCondition>,
}

impl Denial {
    /// Builds the denial of an explanation (`None` for an allow).
    pub fn from_explanation(e: &Explanation) -> Option<Denial> {
        if e.decision == Decision::Allow {
            return None;
        }
        let first = e.failing_layers.first();
        Some(Denial {
            decision: e.decision,
            layer: first.map_or(Layer::Identity, |l| l.layer),
            level: first.and_then(|l| l.level),
            message: e.message.clone().unwrap_or_default(),
            deny_statements: e.statements.clone(),
            failed_conditions: e.failed_conditions.clone(),
        })
    }

    /// One-line summary (`identity: no identity-based policy allows ...`).
    pub fn summary(&self) -> String {
        let layer = match (self.layer, self.level) {
            (Layer::Scp, Some(l)) => format!("scp level {l}"),
            (l, _) => l.to_string(),
        };
        let what = match self.decision {
            Decision::ExplicitDeny => "explicit deny",
            _ => "no allow",
        };
        format!("{what} in {layer}")
    }
}

/// The decision on one request of a requirement.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CoverageCheck))]
pub struct Check {
    /// The action.
    pub action: String,
    /// The request resource.
    pub resource: String,
    /// True when allowed.
    pub held: bool,
    /// Why not, when not held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied: Option<Denial>,
}

/// One requirement of a scenario and its checks.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementCoverage {
    /// Dependent service as published.
    pub service: String,
    /// The entry (action, pattern or system policy name).
    pub name: String,
    /// What it names.
    pub kind: RequirementKind,
    /// True when every check is held.
    pub held: bool,
    /// One check per action and target resource.
    pub checks: Vec<Check>,
}

/// Coverage of one scenario.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScenarioCoverage {
    /// Scenario id.
    pub id: String,
    /// Table number.
    pub table: u8,
    /// Scenario name.
    pub name: String,
    /// True when every requirement is held.
    pub covered: bool,
    /// Requirements held.
    pub held: Vec<RequirementCoverage>,
    /// Requirements missing (with the denying layer of each failed check).
    pub missing: Vec<RequirementCoverage>,
    /// Names the tables give that match no catalog action (`modelarts:trainJobLog:*`, a 1.1
    /// resource type): no request carries them, so nothing is checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<String>,
}

/// A coverage report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageReport {
    /// The principal URN.
    pub principal: String,
    /// True when every scenario is covered.
    pub covered: bool,
    /// Number of distinct requests checked.
    pub checked: usize,
    /// Per scenario.
    pub scenarios: Vec<ScenarioCoverage>,
}

/// Options of a coverage check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Context common to every request (`g:CurrentTime`, `g:SourceIp`...).
    pub context: Context,
}

/// Decides one target for a principal; `Some(denial)` when denied.
pub fn decide_target(
    set: &PolicySet,
    principal: &Principal,
    target: &Target,
    base: &Context,
) -> Option<Denial> {
    let ctx = target.context(base);
    let req = Request {
        action: &target.action,
        resource: &target.resource,
        context: &ctx,
    };
    if set.decide(principal, &req) == Decision::Allow {
        return None;
    }
    Denial::from_explanation(&set.explain(principal, &req))
}

/// Checks the scenarios for a subject.
pub fn check(
    catalog: &Catalog,
    subject: &Subject,
    scenarios: &[&Scenario],
    scope: &Scope,
    options: &Options,
) -> CoverageReport {
    let account = subject.principal.account_id.as_str();
    let mut checked = 0;
    let mut out = Vec::new();
    for sc in scenarios {
        let mut held = Vec::new();
        let mut missing = Vec::new();
        let mut not_checked = Vec::new();
        for r in &sc.requirements {
            if r.actions.is_empty() {
                not_checked.push(r.name.clone());
                continue;
            }
            let mut checks = Vec::new();
            for a in &r.actions {
                for t in scope.targets(catalog, a, account) {
                    checked += 1;
                    let denied =
                        decide_target(subject.set(), &subject.principal, &t, &options.context);
                    checks.push(Check {
                        action: t.action,
                        resource: t.resource,
                        held: denied.is_none(),
                        denied,
                    });
                }
            }
            let ok = checks.iter().all(|c| c.held);
            let rc = RequirementCoverage {
                service: r.service.clone(),
                name: r.name.clone(),
                kind: r.kind,
                held: ok,
                checks,
            };
            if ok {
                held.push(rc);
            } else {
                missing.push(rc);
            }
        }
        out.push(ScenarioCoverage {
            id: sc.id.clone(),
            table: sc.table,
            name: sc.name.clone(),
            covered: missing.is_empty(),
            held,
            missing,
            not_checked,
        });
    }
    CoverageReport {
        principal: subject.principal.urn.clone(),
        covered: out.iter().all(|s| s.covered),
        checked,
        scenarios: out,
    }
}

impl CoverageReport {
    /// Readable text: one line per scenario, then each missing requirement with its reason.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "principal {}: {} ({} requests checked)",
            self.principal,
            if self.covered {
                "covered"
            } else {
                "NOT covered"
            },
            self.checked
        );
        for sc in &self.scenarios {
            let _ = writeln!(
                s,
                "  [{}] {} (table {}): {} held, {} missing",
                if sc.covered { "ok" } else { "missing" },
                sc.id,
                sc.table,
                sc.held.len(),
                sc.missing.len()
            );
            if !sc.not_checked.is_empty() {
                let _ = writeln!(
                    s,
                    "      not checked (no catalog action matches): {}",
                    sc.not_checked.join(", ")
                );
            }
            for m in &sc.missing {
                let _ = writeln!(s, "      - {} ({})", m.name, m.service);
                for c in m.checks.iter().filter(|c| !c.held) {
                    let why = c.denied.as_ref().map_or_else(String::new, Denial::summary);
                    let _ = writeln!(s, "          {} on {}: {why}", c.action, c.resource);
                }
            }
        }
        s
    }
}
