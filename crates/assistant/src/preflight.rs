//! Preflight of a ModelArts operation for a user: the user's own actions and dependent-service
//! permissions, `iam:tokens:assume`, the agency configured for the user and its trust policy
//! for the ModelArts service principal, and each backend step the agency performs. Every step
//! passes or fails with the engine's explanation and the smallest policy change that fixes it.

use crate::coverage::Denial;
use crate::scope::{ObsPath, Scope};
use crate::subject::{Compiled, Subject};
use iam_catalog::Catalog;
use iam_policy::{
    Context, Decision, Layer, Policy, PolicyId, PolicyKind, Principal, Request, TrustCaller,
    evaluate_trust,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

/// The ModelArts service principal that assumes the agency.
pub const MODELARTS_SERVICE: &str = "service.ModelArts";
/// The action the user needs to let ModelArts use an agency for it (Agencies and Dependencies, Table 1, mandatory).
pub const TOKENS_ASSUME: &str = "iam:tokens:assume";

#[derive(Debug, Clone, Deserialize)]
struct StepDef {
    action: String,
    resource: String,
    #[serde(default)]
    id_param: Option<String>,
    /// The catalog route the user calls (`POST /v2/{project_id}/training-jobs`): the gateway
    /// decides every action the catalog lists for it, so the preflight checks them all.
    #[serde(default)]
    route: Option<String>,
    why: String,
    #[serde(default)]
    inferred: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct FeatureDef {
    param: Option<String>,
    user: Vec<StepDef>,
    agency: Vec<StepDef>,
}

/// An operation the preflight knows.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OperationDef {
    /// Name (`create-training-job`).
    pub name: String,
    /// Title.
    pub title: String,
    #[serde(skip_serializing)]
    features: Vec<FeatureDef>,
}

#[derive(Debug, Deserialize)]
struct OperationsData {
    operations: Vec<OperationDef>,
}

/// The operations of `data/operations.json`.
pub fn operations() -> &'static [OperationDef] {
    static DATA: OnceLock<Vec<OperationDef>> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str::<OperationsData>(include_str!("../data/operations.json"))
            .map(|d| d.operations)
            .unwrap_or_default()
    })
}

/// The operation to check and its parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OperationRequest {
    /// `create-training-job`, `start-notebook` or `deploy-service`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(create-training-job|start-notebook|deploy-service)$")
    )]
    pub operation: String,
    /// Region of the ModelArts resources.
    #[serde(default)]
    pub region: Option<String>,
    /// Training input OBS paths.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Training output OBS paths (logs and models).
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Custom SWR image.
    #[serde(default)]
    pub image: Option<String>,
    /// SFS Turbo share id to mount.
    #[serde(default)]
    pub sfs_turbo: Option<String>,
    /// SMN topic for job notifications.
    #[serde(default)]
    pub smn_topic: Option<String>,
    /// Notebook id (start-notebook).
    #[serde(default)]
    pub notebook_id: Option<String>,
    /// OBS paths used from the notebook (start-notebook).
    #[serde(default)]
    pub obs_paths: Vec<String>,
    /// Show monitoring data (start-notebook).
    #[serde(default)]
    pub monitoring: bool,
    /// AI application (model) id (deploy-service).
    #[serde(default)]
    pub model_id: Option<String>,
    /// OBS buckets mounted as external volumes (deploy-service).
    #[serde(default)]
    pub volumes: Vec<String>,
    /// The enterprise project of the resources the operation creates or uses: the
    /// `g:EnterpriseProjectId` of the steps whose actions accept it (Table 1), as the gateway
    /// fills it.
    #[serde(default)]
    pub enterprise_project: Option<String>,
    /// The tags of the existing resources the operation acts on (the notebook, the AI
    /// application): the `g:ResourceTag/<key>` of the steps whose actions accept it, as the
    /// gateway reads them from the upstream's resource lookup.
    #[serde(default)]
    pub resource_tags: std::collections::BTreeMap<String, String>,
}

impl OperationRequest {
    fn paths(&self, param: &str) -> Option<&[String]> {
        match param {
            "inputs" => Some(&self.inputs),
            "outputs" => Some(&self.outputs),
            "obs_paths" => Some(&self.obs_paths),
            "volumes" => Some(&self.volumes),
            _ => None,
        }
    }

    fn value(&self, param: &str) -> Option<&str> {
        match param {
            "image" => self.image.as_deref(),
            "sfs_turbo" => self.sfs_turbo.as_deref(),
            "smn_topic" => self.smn_topic.as_deref(),
            "notebook_id" => self.notebook_id.as_deref(),
            "model_id" => self.model_id.as_deref(),
            _ => None,
        }
    }

    fn has(&self, param: &str) -> bool {
        match param {
            "monitoring" => self.monitoring,
            p => self.paths(p).is_some_and(|v| !v.is_empty()) || self.value(p).is_some(),
        }
    }
}

/// The agency configured for the user (through `POST /v2/{project_id}/authorizations`).
#[derive(Debug, Clone)]
pub struct AgencyConfig {
    /// Agency name.
    pub name: String,
    /// Trust policy.
    pub trust: Arc<Policy>,
    /// Identity policies attached to the agency.
    pub identity: Compiled,
}

impl AgencyConfig {
    /// Builds an agency from documents.
    pub fn from_documents(name: &str, trust: &str, identity: &[String]) -> Result<Self, String> {
        let trust = Policy::parse(trust, PolicyKind::Trust)
            .map_err(|e| format!("agency trust policy: {e}"))?;
        let identity = identity
            .iter()
            .enumerate()
            .map(|(i, d)| {
                Policy::parse(d, PolicyKind::Identity)
                    .map(|p| (PolicyId::new(format!("agency[{i}]")), Arc::new(p)))
                    .map_err(|e| format!("agency policy {i}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AgencyConfig {
            name: name.to_owned(),
            trust: Arc::new(trust),
            identity,
        })
    }

    /// The agency session as a subject bounded by `scps`.
    pub fn subject(&self, account: &str, scps: Vec<Compiled>, management: bool) -> Subject {
        Subject::new(
            Principal {
                urn: format!("sts::{account}:assumed-agency:{}/ModelArts", self.name),
                account_id: account.to_owned(),
                is_root_user: false,
                is_management_account: management,
            },
            self.identity.clone(),
            scps,
        )
    }
}

/// The kind of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The user's own permission.
    User,
    /// The user's `iam:tokens:assume`.
    Assume,
    /// An agency is configured for the user.
    AgencyConfigured,
    /// The agency's trust policy lets ModelArts assume it.
    Trust,
    /// A backend step ModelArts performs with the agency.
    Agency,
}

/// Outcome of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = StepStatus))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Allowed.
    Pass,
    /// Denied (see the explanation and fix).
    Fail,
    /// Not checked because no agency is configured.
    Skipped,
}

/// A policy change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PreflightFix))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Add an allow statement to the user's identity policies (a new policy).
    AddUserStatement {
        /// The statement.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        statement: Value,
    },
    /// Remove a deny statement from one of the user's identity policies.
    RemoveUserStatement {
        /// Policy id.
        policy_id: String,
        /// Statement index (0-based).
        statement_index: usize,
    },
    /// Add an allow statement to the agency's identity policies (a new policy).
    AddAgencyStatement {
        /// The statement.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        statement: Value,
    },
    /// Remove a deny statement from one of the agency's identity policies.
    RemoveAgencyStatement {
        /// Policy id.
        policy_id: String,
        /// Statement index.
        statement_index: usize,
    },
    /// Add an allow statement to an SCP of a level (a new SCP attached there).
    AddScpStatement {
        /// SCP level (0 = root).
        level: usize,
        /// The statement.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        statement: Value,
    },
    /// Remove a deny statement from an SCP.
    RemoveScpStatement {
        /// SCP level.
        level: usize,
        /// Policy id.
        policy_id: String,
        /// Statement index.
        statement_index: usize,
    },
    /// Add a statement to the agency's trust policy.
    AddTrustStatement {
        /// The statement.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        statement: Value,
    },
    /// Remove a deny statement from the agency's trust policy.
    RemoveTrustStatement {
        /// Statement index.
        statement_index: usize,
    },
    /// Create an agency trusting ModelArts with exactly the backend steps' permissions, and
    /// configure it for the user (the tenant administrator only).
    ConfigureAgency {
        /// Agency name.
        agency_name: String,
        /// Trust policy.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        trust_policy: Value,
        /// Identity policy of the agency.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        identity_policy: Value,
    },
}

/// One checked step.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PreflightStep))]
pub struct Step {
    /// Stable id (`user:obs:object:GetObject@obs:*:acc:object:b/in/*`).
    pub id: String,
    /// Kind.
    pub kind: StepKind,
    /// Action decided, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Resource decided, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// What the step is for.
    pub why: String,
    /// True when the seeds do not publish this step (docs/assistant.md).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
    /// Outcome.
    pub status: Status,
    /// Explanation of the outcome.
    pub explanation: String,
    /// The engine's reason for a denied action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied: Option<Denial>,
    /// The smallest change that makes this step pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<Fix>,
}

/// A preflight report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreflightReport {
    /// Operation name.
    pub operation: String,
    /// The user URN.
    pub user: String,
    /// The agency checked, if one is configured.
    pub agency: Option<String>,
    /// True when every step passes.
    pub ok: bool,
    /// Steps in order.
    pub steps: Vec<Step>,
    /// The combined smallest change that makes every step pass.
    pub fix: Vec<Fix>,
}

/// A preflight that cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightError(pub String);

impl std::fmt::Display for PreflightError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PreflightError {}

/// A resolved request of a step, with the resource pattern a fix statement uses.
struct Req {
    action: String,
    resource: String,
    pattern: Option<String>,
    why: String,
    inferred: bool,
}

fn parse_paths(paths: &[String]) -> Result<Vec<ObsPath>, PreflightError> {
    paths
        .iter()
        .map(|p| {
            ObsPath::parse(p).ok_or_else(|| {
                PreflightError(format!(
                    "`{p}` is not an OBS path (obs://bucket/prefix, bucket name in lowercase letters, digits, `-` and `.`)"
                ))
            })
        })
        .collect()
}

/// The other actions the gateway decides for a step's route (the catalog lists some method and
/// path twice: `POST /v2/{project_id}/training-jobs` is also `modelarts:trainJob:logExport`, 004
/// Table 2 row 140), each on its own resource type with the step's id.
fn route_companions(
    catalog: &Catalog,
    def: &StepDef,
    req: &OperationRequest,
    account: &str,
) -> Vec<Req> {
    let Some((method, path)) = def.route.as_deref().and_then(|r| r.split_once(' ')) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for row in catalog
        .routes()
        .filter(|r| r.method == method && r.path == path)
    {
        for a in row.actions.iter().filter(|a| **a != def.action) {
            let resource = catalog
                .action(a)
                .and_then(|x| x.primary_resource())
                .map_or_else(
                    || "none".to_owned(),
                    |r| format!("modelarts:{}", r.resource_type),
                );
            let companion = StepDef {
                action: a.clone(),
                resource,
                id_param: def.id_param.clone(),
                route: None,
                why: format!(
                    "the gateway also decides {a} for {method} {path}{}",
                    row.published_in
                        .as_deref()
                        .map(|p| format!(" ({})", iam_catalog::docs::cite(p)))
                        .unwrap_or_default()
                ),
                inferred: false,
            };
            out.extend(resolve(catalog, &companion, req, &[], account));
        }
    }
    out
}

fn resolve(
    catalog: &Catalog,
    def: &StepDef,
    req: &OperationRequest,
    paths: &[ObsPath],
    account: &str,
) -> Vec<Req> {
    let region = req.region.as_deref().unwrap_or("*");
    let mk = |resource: String, pattern: Option<String>| Req {
        action: def.action.clone(),
        resource,
        pattern,
        why: def.why.clone(),
        inferred: def.inferred,
    };
    match def.resource.as_str() {
        "bucket" | "object" => {
            let scope = Scope {
                region: req.region.clone(),
                obs: paths.to_vec(),
                ..Scope::default()
            };
            scope
                .targets(catalog, &def.action, account)
                .into_iter()
                .map(|t| mk(t.resource, t.pattern))
                .collect()
        }
        r => match r.strip_prefix("modelarts:") {
            Some(rt) => {
                let id = def
                    .id_param
                    .as_deref()
                    .and_then(|p| req.value(p))
                    .unwrap_or("*");
                match catalog.resource_type("modelarts", rt) {
                    Some(t) => {
                        let urn = t.render(region, account, id);
                        let pattern = t.render(region, "*", id);
                        vec![mk(urn, Some(pattern))]
                    }
                    None => vec![mk("*".into(), None)],
                }
            }
            None => vec![mk("*".into(), None)],
        },
    }
}

fn allow_statement(action: &str, pattern: Option<&str>) -> Value {
    match pattern {
        Some(p) => json!({"Effect": "Allow", "Action": [action], "Resource": [p]}),
        None => json!({"Effect": "Allow", "Action": [action]}),
    }
}

fn trust_statement() -> Value {
    json!({"Effect": "Allow", "Principal": {"Service": [MODELARTS_SERVICE]}, "Action": ["sts:agencies:assume"]})
}

/// The fix for a denied request of `agency` (false = the user).
fn fix_for(denial: &Denial, r: &Req, agency: bool) -> Vec<Fix> {
    let stmt = allow_statement(&r.action, r.pattern.as_deref());
    match (denial.decision, denial.layer) {
        (Decision::ExplicitDeny, _) => denial
            .deny_statements
            .iter()
            .map(|s| match (s.layer, agency) {
                (Layer::Scp, _) => Fix::RemoveScpStatement {
                    level: s.level.unwrap_or(0),
                    policy_id: s.policy_id.to_string(),
                    statement_index: s.statement_index,
                },
                (_, true) => Fix::RemoveAgencyStatement {
                    policy_id: s.policy_id.to_string(),
                    statement_index: s.statement_index,
                },
                (_, false) => Fix::RemoveUserStatement {
                    policy_id: s.policy_id.to_string(),
                    statement_index: s.statement_index,
                },
            })
            .collect(),
        // SCP allow statements take no `Resource` (other than `*`) and no condition.
        (_, Layer::Scp) => vec![Fix::AddScpStatement {
            level: denial.level.unwrap_or(0),
            statement: allow_statement(&r.action, None),
        }],
        (_, _) if agency => vec![Fix::AddAgencyStatement { statement: stmt }],
        _ => vec![Fix::AddUserStatement { statement: stmt }],
    }
}

fn decide(subject: &Subject, r: &Req, ctx: &Context) -> Option<Denial> {
    let req = Request {
        action: &r.action,
        resource: &r.resource,
        context: ctx,
    };
    if subject.set().decide(&subject.principal, &req) == Decision::Allow {
        None
    } else {
        Denial::from_explanation(&subject.set().explain(&subject.principal, &req))
    }
}

fn action_step(kind: StepKind, r: &Req, denied: Option<Denial>, fix: Vec<Fix>) -> Step {
    let who = if kind == StepKind::Agency {
        "the agency"
    } else {
        "the user"
    };
    let explanation = match &denied {
        None => format!("{who} is allowed {} on {}", r.action, r.resource),
        Some(d) => format!("{} ({})", d.message, d.summary()),
    };
    Step {
        id: format!(
            "{}:{}@{}",
            match kind {
                StepKind::Agency => "agency",
                StepKind::Assume => "assume",
                _ => "user",
            },
            r.action,
            r.resource
        ),
        kind,
        action: Some(r.action.clone()),
        resource: Some(r.resource.clone()),
        why: r.why.clone(),
        inferred: r.inferred,
        status: if denied.is_none() {
            Status::Pass
        } else {
            Status::Fail
        },
        explanation,
        denied,
        fix,
    }
}

/// Runs the preflight.
pub fn run(
    catalog: &Catalog,
    user: &Subject,
    agency: Option<&AgencyConfig>,
    request: &OperationRequest,
    context: &Context,
) -> Result<PreflightReport, PreflightError> {
    let op = operations()
        .iter()
        .find(|o| o.name == request.operation)
        .ok_or_else(|| {
            PreflightError(format!(
                "unknown operation `{}`; use one of: {}",
                request.operation,
                operations()
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let account = user.principal.account_id.clone();
    let mut user_reqs: Vec<Req> = Vec::new();
    let mut agency_reqs: Vec<Req> = Vec::new();
    for f in &op.features {
        let paths = match f.param.as_deref() {
            None => Vec::new(),
            Some(p) if !request.has(p) => continue,
            Some(p) => parse_paths(request.paths(p).unwrap_or(&[]))?,
        };
        for d in &f.user {
            for r in resolve(catalog, d, request, &paths, &account)
                .into_iter()
                .chain(route_companions(catalog, d, request, &account))
            {
                if !user_reqs
                    .iter()
                    .any(|o| o.action == r.action && o.resource == r.resource)
                {
                    user_reqs.push(r);
                }
            }
        }
        for d in &f.agency {
            for r in resolve(catalog, d, request, &paths, &account) {
                if !agency_reqs
                    .iter()
                    .any(|o| o.action == r.action && o.resource == r.resource)
                {
                    agency_reqs.push(r);
                }
            }
        }
    }
    let mut steps = Vec::new();
    // the keys the gateway fills for the user's own calls: the request's enterprise project and
    // the resource's tags, for the actions that accept them (the scope logic of `generate`)
    let keyed = Scope {
        enterprise_project: request.enterprise_project.clone(),
        resource_tags: request.resource_tags.clone(),
        ..Scope::default()
    };
    for r in &user_reqs {
        let step_context = keyed
            .targets(catalog, &r.action, &account)
            .first()
            .map_or_else(|| context.clone(), |t| t.context(context));
        let denied = decide(user, r, &step_context);
        let fix = denied
            .as_ref()
            .map(|d| fix_for(d, r, false))
            .unwrap_or_default();
        steps.push(action_step(StepKind::User, r, denied, fix));
    }
    let assume = Req {
        action: TOKENS_ASSUME.into(),
        resource: "*".into(),
        pattern: None,
        why: "let ModelArts use an agency to obtain temporary credentials for the user (Agencies and Dependencies, Table 1, mandatory)".into(),
        inferred: false,
    };
    let denied = decide(user, &assume, context);
    let fix = denied
        .as_ref()
        .map(|d| fix_for(d, &assume, false))
        .unwrap_or_default();
    steps.push(action_step(StepKind::Assume, &assume, denied, fix));

    match agency {
        None => {
            let agency_name = "modelarts_agency".to_owned();
            let identity = agency_policy(&agency_reqs);
            steps.push(Step {
                id: "agency-configured".into(),
                kind: StepKind::AgencyConfigured,
                action: None,
                resource: None,
                why: "ModelArts acts in the backend through the agency configured for the user (or for all users)".into(),
                inferred: false,
                status: Status::Fail,
                explanation: "no agency is configured for the user or for all users; the tenant administrator configures one with POST /v2/{project_id}/authorizations".into(),
                denied: None,
                fix: vec![Fix::ConfigureAgency {
                    agency_name,
                    trust_policy: json!({"Version": "5.0", "Statement": [trust_statement()]}),
                    identity_policy: identity,
                }],
            });
            steps.push(skipped(
                "trust",
                StepKind::Trust,
                "the agency's trust policy lets service.ModelArts assume it",
            ));
            for r in &agency_reqs {
                let mut s = action_step(StepKind::Agency, r, None, Vec::new());
                s.status = Status::Skipped;
                s.explanation = "not checked: no agency is configured".into();
                steps.push(s);
            }
        }
        Some(a) => {
            steps.push(Step {
                id: "agency-configured".into(),
                kind: StepKind::AgencyConfigured,
                action: None,
                resource: None,
                why: "ModelArts acts in the backend through the agency configured for the user (or for all users)".into(),
                inferred: false,
                status: Status::Pass,
                explanation: format!("agency {} is configured", a.name),
                denied: None,
                fix: Vec::new(),
            });
            let td = evaluate_trust(
                &a.trust,
                &TrustCaller::Service {
                    name: MODELARTS_SERVICE.into(),
                },
                context,
            );
            let (status, explanation, fix) = match td.decision {
                Decision::Allow => (
                    Status::Pass,
                    format!(
                        "trust statement {} allows {MODELARTS_SERVICE} to assume {}",
                        td.statements.first().copied().unwrap_or(0),
                        a.name
                    ),
                    Vec::new(),
                ),
                Decision::ExplicitDeny => (
                    Status::Fail,
                    format!(
                        "the trust policy of {} denies {MODELARTS_SERVICE} explicitly (statements {:?})",
                        a.name, td.statements
                    ),
                    td.statements
                        .iter()
                        .map(|&i| Fix::RemoveTrustStatement { statement_index: i })
                        .collect(),
                ),
                Decision::ImplicitDeny => (
                    Status::Fail,
                    format!(
                        "no statement of the trust policy of {} allows {MODELARTS_SERVICE} to assume it",
                        a.name
                    ),
                    vec![Fix::AddTrustStatement {
                        statement: trust_statement(),
                    }],
                ),
            };
            steps.push(Step {
                id: "trust".into(),
                kind: StepKind::Trust,
                action: Some("sts:agencies:assume".into()),
                resource: None,
                why: "the agency's trust policy lets service.ModelArts assume it".into(),
                inferred: false,
                status,
                explanation,
                denied: None,
                fix,
            });
            let subject = a.subject(
                &account,
                user.scps.clone(),
                user.principal.is_management_account,
            );
            for r in &agency_reqs {
                let denied = decide(&subject, r, context);
                let fix = denied
                    .as_ref()
                    .map(|d| fix_for(d, r, true))
                    .unwrap_or_default();
                steps.push(action_step(StepKind::Agency, r, denied, fix));
            }
        }
    }
    let fix = combine(steps.iter().flat_map(|s| s.fix.iter().cloned()));
    Ok(PreflightReport {
        operation: op.name.clone(),
        user: user.principal.urn.clone(),
        agency: agency.map(|a| a.name.clone()),
        ok: steps.iter().all(|s| s.status == Status::Pass),
        steps,
        fix,
    })
}

fn skipped(id: &str, kind: StepKind, why: &str) -> Step {
    Step {
        id: id.into(),
        kind,
        action: None,
        resource: None,
        why: why.into(),
        inferred: false,
        status: Status::Skipped,
        explanation: "not checked: no agency is configured".into(),
        denied: None,
        fix: Vec::new(),
    }
}

/// The smallest agency identity policy for the backend steps: one statement per resource set.
fn agency_policy(reqs: &[Req]) -> Value {
    let stmts = merge_statements(
        reqs.iter()
            .map(|r| allow_statement(&r.action, r.pattern.as_deref()))
            .collect(),
    );
    json!({"Version": "5.0", "Statement": stmts})
}

/// Merges allow statements with the same `Resource` (and no other difference) into one.
fn merge_statements(stmts: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for s in stmts {
        let key = s.get("Resource").cloned();
        let existing = out.iter_mut().find(|o| {
            o.get("Resource").cloned() == key
                && o.get("Principal").is_none()
                && s.get("Principal").is_none()
        });
        match (existing, s.get("Action").and_then(Value::as_array)) {
            (Some(o), Some(acts)) => {
                if let Some(list) = o.get_mut("Action").and_then(Value::as_array_mut) {
                    for a in acts {
                        if !list.contains(a) {
                            list.push(a.clone());
                        }
                    }
                }
            }
            _ => out.push(s),
        }
    }
    out
}

/// Combines fixes: additions to the same target are merged by resource, duplicates dropped.
fn combine(fixes: impl Iterator<Item = Fix>) -> Vec<Fix> {
    let mut user = Vec::new();
    let mut agency = Vec::new();
    let mut scp: Vec<(usize, Vec<Value>)> = Vec::new();
    let mut others: Vec<Fix> = Vec::new();
    for f in fixes {
        match f {
            Fix::AddUserStatement { statement } => user.push(statement),
            Fix::AddAgencyStatement { statement } => agency.push(statement),
            Fix::AddScpStatement { level, statement } => {
                match scp.iter_mut().find(|(l, _)| *l == level) {
                    Some((_, v)) => v.push(statement),
                    None => scp.push((level, vec![statement])),
                }
            }
            other => {
                if !others.contains(&other) {
                    others.push(other);
                }
            }
        }
    }
    let mut out: Vec<Fix> = merge_statements(user)
        .into_iter()
        .map(|statement| Fix::AddUserStatement { statement })
        .collect();
    for (level, v) in scp {
        out.extend(
            merge_statements(v)
                .into_iter()
                .map(|statement| Fix::AddScpStatement { level, statement }),
        );
    }
    out.extend(others);
    out.extend(
        merge_statements(agency)
            .into_iter()
            .map(|statement| Fix::AddAgencyStatement { statement }),
    );
    out
}

fn rebuild(
    policy: &Policy,
    kind: PolicyKind,
    remove: &[usize],
    add: &[Value],
) -> Result<Policy, String> {
    let mut doc = policy.to_json();
    if let Some(st) = doc.get_mut("Statement").and_then(Value::as_array_mut) {
        let mut idx: Vec<usize> = remove.to_vec();
        idx.sort_unstable();
        idx.dedup();
        for i in idx.into_iter().rev() {
            if i < st.len() {
                st.remove(i);
            }
        }
        st.extend(add.iter().cloned());
        if st.is_empty() {
            // A policy with no statement left grants nothing: keep it parseable.
            st.push(json!({"Effect": "Deny", "Action": ["none:none:none"]}));
        }
    }
    Policy::from_value(&doc, kind).map_err(|e| format!("fixed policy does not parse: {e}"))
}

fn remove_in(
    layer: &Compiled,
    policy_id: &str,
    index: usize,
    kind: PolicyKind,
) -> Result<Compiled, String> {
    layer
        .iter()
        .map(|(id, p)| {
            if id.as_str() == policy_id {
                rebuild(p, kind, &[index], &[]).map(|np| (id.clone(), Arc::new(np)))
            } else {
                Ok((id.clone(), p.clone()))
            }
        })
        .collect()
}

fn new_policy(stmts: &[Value], kind: PolicyKind) -> Result<Arc<Policy>, String> {
    Policy::from_value(&json!({"Version": "5.0", "Statement": stmts}), kind)
        .map(Arc::new)
        .map_err(|e| format!("fix policy does not parse: {e}"))
}

/// Applies fixes to a user and its agency; the engine can then re-check the preflight.
pub fn apply(
    fixes: &[Fix],
    user: &Subject,
    agency: Option<&AgencyConfig>,
) -> Result<(Subject, Option<AgencyConfig>), String> {
    let mut identity = user.identity.clone();
    let mut scps = user.scps.clone();
    let mut agency = agency.cloned();
    let mut user_add = Vec::new();
    let mut agency_add = Vec::new();
    let mut scp_add: Vec<(usize, Value)> = Vec::new();
    for f in fixes {
        match f {
            Fix::AddUserStatement { statement } => user_add.push(statement.clone()),
            Fix::AddAgencyStatement { statement } => agency_add.push(statement.clone()),
            Fix::AddScpStatement { level, statement } => scp_add.push((*level, statement.clone())),
            Fix::RemoveUserStatement {
                policy_id,
                statement_index,
            } => {
                identity = remove_in(&identity, policy_id, *statement_index, PolicyKind::Identity)?
            }
            Fix::RemoveAgencyStatement {
                policy_id,
                statement_index,
            } => {
                if let Some(a) = agency.as_mut() {
                    a.identity = remove_in(
                        &a.identity,
                        policy_id,
                        *statement_index,
                        PolicyKind::Identity,
                    )?;
                }
            }
            Fix::RemoveScpStatement {
                level,
                policy_id,
                statement_index,
            } => {
                if let Some(l) = scps.get_mut(*level) {
                    *l = remove_in(l, policy_id, *statement_index, PolicyKind::Scp)?;
                }
            }
            Fix::AddTrustStatement { statement } => {
                if let Some(a) = agency.as_mut() {
                    a.trust = Arc::new(rebuild(
                        &a.trust,
                        PolicyKind::Trust,
                        &[],
                        std::slice::from_ref(statement),
                    )?);
                }
            }
            Fix::RemoveTrustStatement { statement_index } => {
                if let Some(a) = agency.as_mut() {
                    a.trust = Arc::new(rebuild(
                        &a.trust,
                        PolicyKind::Trust,
                        &[*statement_index],
                        &[],
                    )?);
                }
            }
            Fix::ConfigureAgency {
                agency_name,
                trust_policy,
                identity_policy,
            } => {
                let trust = Policy::from_value(trust_policy, PolicyKind::Trust)
                    .map_err(|e| format!("trust policy: {e}"))?;
                let id = Policy::from_value(identity_policy, PolicyKind::Identity)
                    .map_err(|e| format!("agency policy: {e}"))?;
                agency = Some(AgencyConfig {
                    name: agency_name.clone(),
                    trust: Arc::new(trust),
                    identity: vec![(PolicyId::new("agency-fix"), Arc::new(id))],
                });
            }
        }
    }
    if !user_add.is_empty() {
        identity.push((
            PolicyId::new("preflight-fix"),
            new_policy(&user_add, PolicyKind::Identity)?,
        ));
    }
    if !agency_add.is_empty()
        && let Some(a) = agency.as_mut()
    {
        a.identity.push((
            PolicyId::new("preflight-fix-agency"),
            new_policy(&agency_add, PolicyKind::Identity)?,
        ));
    }
    for (level, st) in scp_add {
        if let Some(l) = scps.get_mut(level) {
            l.push((
                PolicyId::new(format!("preflight-fix-scp-{level}")),
                new_policy(&[st], PolicyKind::Scp)?,
            ));
        }
    }
    let subject = Subject::new(user.principal.clone(), identity, scps);
    Ok((subject, agency))
}

impl PreflightReport {
    /// Readable text: one line per step, then the combined fix.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "preflight {} for {} (agency: {}): {}",
            self.operation,
            self.user,
            self.agency.as_deref().unwrap_or("none"),
            if self.ok { "PASS" } else { "FAIL" }
        );
        for st in &self.steps {
            let mark = match st.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Skipped => "skip",
            };
            let _ = writeln!(
                s,
                "  [{mark}] {}{}",
                st.id,
                if st.inferred { " (inferred step)" } else { "" }
            );
            let _ = writeln!(s, "         {}", st.why);
            if st.status != Status::Pass {
                let _ = writeln!(s, "         {}", st.explanation);
            }
        }
        if !self.fix.is_empty() {
            let _ = writeln!(s, "smallest change that makes every step pass:");
            for f in &self.fix {
                let _ = writeln!(s, "  {}", serde_json::to_string(f).unwrap_or_default());
            }
        }
        s
    }
}
