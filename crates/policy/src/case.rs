//! Evaluation cases (spec §8): the shared JSON test format, and a runner that the CLI
//! (`modelarts-iam eval`) and the server (`/v1/simulate`) reuse.
//!
//! ```json
//! {"name": "what this case shows",
//!  "identity_policies": [POLICY, ...],
//!  "scps": [[POLICY, ...], ...],
//!  "session_policies": [POLICY, ...],
//!  "principal": {"urn": "iam::ACCOUNT:user:alice", "account_id": "ACCOUNT",
//!                "is_root_user": false, "is_management_account": false},
//!  "request": {"action": "modelarts:trainJob:get", "resource": "...", "context": {...}},
//!  "expect": "allow"}
//! ```
//! A `request` may give `method` and `path` (plus `region`, `account_id`) instead of `action`;
//! those are resolved through a [`RouteResolver`] (the catalog's routes), every resolved action
//! must be allowed, and the decision is the most severe one.

use crate::context::Context;
use crate::eval::{Decision, Explanation, PolicyId, PolicySet, Principal, Request};
use crate::policy::{Policy, PolicyKind};
use std::sync::Arc;

/// One evaluation case.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    /// What the case shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Identity policies (JSON objects or JSON strings).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = documents_schema))]
    pub identity_policies: Vec<serde_json::Value>,
    /// SCP levels, root first, account last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(schema_with = levels_schema))]
    pub scps: Vec<Vec<serde_json::Value>>,
    /// Session policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(schema_with = documents_schema))]
    pub session_policies: Vec<serde_json::Value>,
    /// The principal (defaults of spec §8 for absent fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // the server's `/v1/simulate` refuses a `principal` that is not an object
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub principal: Option<CasePrincipal>,
    /// The request.
    pub request: CaseRequest,
    /// The expected decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Decision>,
}

/// A list of policy documents, each a JSON object or the JSON text of one (anything else does
/// not parse).
#[cfg(feature = "openapi")]
fn documents_schema() -> utoipa::openapi::schema::ArrayBuilder {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    ArrayBuilder::new().items(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Object))
            .item(ObjectBuilder::new().schema_type(Type::String)),
    )
}

/// SCP levels: lists of policy documents.
#[cfg(feature = "openapi")]
fn levels_schema() -> utoipa::openapi::schema::ArrayBuilder {
    utoipa::openapi::schema::ArrayBuilder::new().items(documents_schema())
}

/// The principal of a case; absent fields take the defaults of spec §8.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CasePrincipal {
    /// Principal URN (default `iam::000000000000:user:test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
    /// Account id (default: the account segment of the URN, else `000000000000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The account root user.
    #[serde(default)]
    pub is_root_user: bool,
    /// In the management account.
    #[serde(default)]
    pub is_management_account: bool,
}

impl CasePrincipal {
    /// The principal with defaults filled in.
    pub fn to_principal(&self) -> Principal {
        let default = Principal::default();
        let urn = self.urn.clone().unwrap_or(default.urn);
        let account_id = self.account_id.clone().unwrap_or_else(|| {
            crate::pattern::split_urn(&urn)
                .map(|([_, _, acct, _], _)| acct)
                .filter(|a| !a.is_empty())
                .map_or(default.account_id, str::to_owned)
        });
        Principal {
            urn,
            account_id,
            is_root_user: self.is_root_user,
            is_management_account: self.is_management_account,
        }
    }
}

/// The request of a case.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseRequest {
    /// The action; absent when `method` and `path` are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$")
    )]
    pub action: Option<String>,
    /// The resource (default `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Condition keys to a string, number, boolean or an array of those.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub context: serde_json::Map<String, serde_json::Value>,
    /// HTTP method of a route-based request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// HTTP path of a route-based request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Region for URN templates of a route-based request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Account id for URN templates of a route-based request (default: the principal's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// One action (and its resource) a route requires.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteAction {
    /// The action.
    pub action: String,
    /// The resource URN, or `*`.
    pub resource: String,
}

/// Resolves an HTTP route to the actions it requires (implemented over the catalog by the CLI
/// and the server; the engine crate does not depend on the catalog).
pub trait RouteResolver {
    /// The actions `method path` requires; an error text when the route is unknown.
    fn resolve(
        &self,
        method: &str,
        path: &str,
        region: &str,
        account_id: &str,
    ) -> Result<Vec<RouteAction>, String>;
}

/// The decision for one action of a route-based case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionDecision {
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// Its decision.
    pub decision: Decision,
}

/// The result of running one case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseResult {
    /// The case name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The decision; `None` when the case has an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The explanation (for a route, of the most severe action).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// For a route-based case, every action's decision.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionDecision>,
    /// The expected decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Decision>,
    /// Whether the decision equals `expect` (`None` without `expect`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// Why the case could not be evaluated (a policy that does not parse, a bad request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl CaseResult {
    fn error(case: &Case, message: String) -> CaseResult {
        CaseResult {
            name: case.name.clone(),
            decision: None,
            explanation: None,
            actions: Vec::new(),
            expect: case.expect,
            passed: case.expect.map(|_| false),
            error: Some(message),
        }
    }
}

fn compile(
    policies: &[serde_json::Value],
    kind: PolicyKind,
    prefix: &str,
) -> Result<Vec<(PolicyId, Arc<Policy>)>, String> {
    policies
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let id = format!("{prefix}[{i}]");
            let parsed = match v {
                serde_json::Value::String(text) => Policy::parse(text, kind),
                other => Policy::from_value(other, kind),
            };
            parsed
                .map(|p| (PolicyId::new(&id), Arc::new(p)))
                .map_err(|e| format!("{id}: {e}"))
        })
        .collect()
}

/// Builds the case's [`PolicySet`]; the error names the policy that does not parse.
pub fn policy_set(case: &Case) -> Result<PolicySet, String> {
    let identity = compile(
        &case.identity_policies,
        PolicyKind::Identity,
        "identity_policies",
    )?;
    let scps = case
        .scps
        .iter()
        .enumerate()
        .map(|(level, ps)| compile(ps, PolicyKind::Scp, &format!("scps[{level}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let session = compile(
        &case.session_policies,
        PolicyKind::Session,
        "session_policies",
    )?;
    Ok(PolicySet::new(identity, scps, session))
}

/// Runs one case. Route-based requests need `routes`; without it they fail closed with the
/// error "route resolution is not available".
pub fn run_case(case: &Case, routes: Option<&dyn RouteResolver>) -> CaseResult {
    let set = match policy_set(case) {
        Ok(s) => s,
        Err(e) => return CaseResult::error(case, e),
    };
    let ctx = match Context::from_json(&case.request.context) {
        Ok(c) => c,
        Err(e) => return CaseResult::error(case, format!("request.context: {e}")),
    };
    let principal = case
        .principal
        .as_ref()
        .map_or_else(Principal::default, CasePrincipal::to_principal);
    let req = &case.request;
    let targets: Vec<RouteAction> = match (&req.action, &req.method, &req.path) {
        (Some(action), None, None) => vec![RouteAction {
            action: action.clone(),
            resource: req.resource.clone().unwrap_or_else(|| "*".to_owned()),
        }],
        (None, Some(method), Some(path)) => {
            let Some(routes) = routes else {
                return CaseResult::error(case, "route resolution is not available".to_owned());
            };
            let region = req.region.as_deref().unwrap_or("");
            let account = req.account_id.as_deref().unwrap_or(&principal.account_id);
            match routes.resolve(method, path, region, account) {
                Ok(actions) if actions.is_empty() => {
                    return CaseResult::error(
                        case,
                        format!("route `{method} {path}` requires no action"),
                    );
                }
                Ok(actions) => actions,
                Err(e) => return CaseResult::error(case, e),
            }
        }
        _ => {
            return CaseResult::error(
                case,
                "request: give either `action` (and optionally `resource`) or `method` and `path`"
                    .to_owned(),
            );
        }
    };
    let routed = req.action.is_none();
    let mut worst: Option<Explanation> = None;
    let mut actions = Vec::new();
    for t in &targets {
        let request = Request {
            action: &t.action,
            resource: &t.resource,
            context: &ctx,
        };
        let explanation = set.explain(&principal, &request);
        if routed {
            actions.push(ActionDecision {
                action: t.action.clone(),
                resource: t.resource.clone(),
                decision: explanation.decision,
            });
        }
        if worst
            .as_ref()
            .is_none_or(|w| explanation.decision.severity() > w.decision.severity())
        {
            worst = Some(explanation);
        }
    }
    let decision = worst.as_ref().map(|e| e.decision);
    CaseResult {
        name: case.name.clone(),
        decision,
        explanation: worst,
        actions,
        expect: case.expect,
        passed: case.expect.map(|x| Some(x) == decision),
        error: None,
    }
}

/// Reads cases from text: one case object, a JSON array of cases, or JSON lines. Each item is
/// either a case or the error that makes it unreadable (so one bad case does not stop a run).
pub fn read_cases(text: &str) -> Result<Vec<Result<Case, String>>, String> {
    let one = |v: serde_json::Value| serde_json::from_value::<Case>(v).map_err(|e| e.to_string());
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => Ok(items.into_iter().map(one).collect()),
        Ok(v @ serde_json::Value::Object(_)) => Ok(vec![one(v)]),
        Ok(_) => Err("the input must be a case object, an array of cases or JSON lines".into()),
        Err(whole) => {
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            if lines.len() < 2 {
                return Err(format!("the input is not JSON: {whole}"));
            }
            Ok(lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    serde_json::from_str::<serde_json::Value>(l)
                        .map_err(|e| format!("line {}: {e}", i + 1))
                        .and_then(|v| one(v).map_err(|e| format!("line {}: {e}", i + 1)))
                })
                .collect())
        }
    }
}
