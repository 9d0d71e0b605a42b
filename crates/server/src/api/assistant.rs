//! The ModelArts permission assistant over HTTP, and the stored view it (and the CLI) uses.
//!
//! | route | body | action checked |
//! |---|---|---|
//! | `POST /v1/assistant/coverage` | `{"scenarios": [...], "principal"?: URN, "policies"?: [doc], "scps"?: [doc], "scope"?, "context"?}` | `iam:decisions:authorize` (stored principal) / `iam:decisions:simulate` (documents) |
//! | `POST /v1/assistant/generate` | `{"scenarios": [...], "scope"?}` or `{"observed": {"principal", "since"?, "until"?, "include_denied"?}}` | `iam:decisions:simulate` / `iam:decisionLogs:list` |
//! | `POST /v1/assistant/preflight` | `{"operation": {...}, "principal"?, "project_id"?, "policies"?, "scps"?, "agency"?: {"name", "trust_policy", "policies"}}` | as coverage |
//! | `GET /v1/assistant/agency-audit` | `?project_id=` | `iam:decisions:authorize` |
//! | `POST /v1/assistant/diff` | `{"old": [doc], "new": [doc]}` | `access-analyzer:policies:checkNoNewAccess` |
//! | `POST /v5/policies/check-no-new-access` | Huawei's `{"existing_policy_document", "new_policy_document", "policy_type"}` | catalog route |
//!
//! The `/v1/assistant/*` routes are not in the catalog (modelarts-iam extensions): their
//! handlers authorize the call themselves with the actions above, on resource `*`. A stored
//! principal must be in the caller's account (or a member account of the organization the
//! caller's account manages), as for `/v1/authorize`.

use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use axum::routing::on;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use iam_assistant::containment::{self, Overreach};
use iam_assistant::coverage::{self, Options};
use iam_assistant::generate::{self, Observed};
use iam_assistant::preflight::{self, AgencyConfig, OperationRequest};
use iam_assistant::{Scope, Subject, resolve_scenarios, scenarios};
use iam_catalog::Catalog;
use iam_policy::{Context, Policy, PolicyId, PolicyKind};
use iam_store::{DecisionFilter, PageRequest, PrincipalType, Store, StoreState};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::RefOr;
// under another name: utoipa's derive writes `utoipa::openapi::schema::OneOfBuilder` (...) with
// the field's span, which `unused_qualifications` flags when `OneOfBuilder` or `schema` is in scope
use utoipa::openapi::schema as oas;

use crate::api::decisions::ContextValue;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::snapshot::Snapshot;
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/check-no-new-access",
        operation_id: "CheckNoNewAccess",
        tag: "access-analyzer",
        summary: "Whether a new policy grants no access the existing one does not",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, check_no_new_access),
        query: None,
        request: Some(Body::of::<CheckBody>()),
        response: Reply::ok::<containment::CheckResult>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/assistant/coverage",
        operation_id: "AssistantCoverage",
        tag: "assistant",
        summary: "Which ModelArts scenarios a principal or policies cover, with the denying layer",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
        route: |m| on(m, coverage_handler),
        query: None,
        request: Some(Body::of::<CoverageBody>()),
        response: Reply::ok::<coverage::CoverageReport>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/assistant/generate",
        operation_id: "AssistantGenerate",
        tag: "assistant",
        summary: "Least-privilege policy for scenarios or observed use",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
        route: |m| on(m, generate_handler),
        query: None,
        request: Some(Body::of::<GenerateBody>()),
        response: Reply::ok::<generate::Generated>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/assistant/preflight",
        operation_id: "AssistantPreflight",
        tag: "assistant",
        summary: "Preflight of a ModelArts operation with per-step fixes",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
        route: |m| on(m, preflight_handler),
        query: None,
        request: Some(Body::of::<PreflightBody>()),
        response: Reply::ok::<preflight::PreflightReport>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/assistant/agency-audit",
        operation_id: "AssistantAgencyAudit",
        tag: "assistant",
        summary: "Audit of the ModelArts agencies of a project",
        authz: Authz::Handler("the account in the query"),
        route: |m| on(m, audit_handler),
        query: Some(Params::of::<AuditQuery>()),
        request: None,
        response: Reply::ok::<AgencyAuditResponse>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/assistant/diff",
        operation_id: "AssistantDiff",
        tag: "assistant",
        summary: "Access added or removed between two sets of policies",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
        route: |m| on(m, diff_handler),
        query: None,
        request: Some(Body::of::<DiffBody>()),
        response: Reply::ok::<containment::Diff>(),
    },
];

type Compiled = Vec<(PolicyId, Arc<Policy>)>;

/// A stored agency with its compiled policies.
#[derive(Debug, Clone)]
pub struct StoredAgency {
    /// Account.
    pub account_id: String,
    /// The agency (name, trust policy, identity policies).
    pub config: AgencyConfig,
}

/// The stored principals, agencies and ModelArts authorizations, compiled once.
#[derive(Debug)]
pub struct World {
    state: StoreState,
    snapshot: Arc<Snapshot>,
    agencies: HashMap<String, StoredAgency>,
}

fn deny_all(kind: PolicyKind) -> Option<Policy> {
    Policy::parse(
        r#"{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["*"]}]}"#,
        kind,
    )
    .ok()
}

impl World {
    /// Loads the store's state (one read transaction) and compiles agencies; users come from
    /// `snapshot` (pass the server's current snapshot, or `None` to build one).
    pub async fn load(store: &Store, snapshot: Option<Arc<Snapshot>>) -> Result<World, ApiError> {
        let state = store.load_state().await?;
        let snapshot = snapshot.unwrap_or_else(|| Arc::new(Snapshot::build(&state)));
        Ok(World::build(state, snapshot))
    }

    /// Builds the view from a loaded state.
    pub fn build(state: StoreState, snapshot: Arc<Snapshot>) -> World {
        // Only agencies' policies are compiled here (users come compiled from the snapshot).
        let agency_policies: std::collections::HashSet<&str> = state
            .attachments
            .iter()
            .filter(|x| x.principal_type == PrincipalType::Agency)
            .map(|x| x.policy_id.as_str())
            .collect();
        let mut compiled: HashMap<&str, Arc<Policy>> = HashMap::new();
        for p in state
            .policies
            .iter()
            .filter(|p| agency_policies.contains(p.policy.id.as_str()))
        {
            // Fail closed like the snapshot: an unparsable stored document denies everything.
            let policy = Policy::parse(&p.default_document, PolicyKind::Identity)
                .ok()
                .or_else(|| deny_all(PolicyKind::Identity));
            if let Some(policy) = policy {
                compiled.insert(p.policy.id.as_str(), Arc::new(policy));
            }
        }
        let mut agencies = HashMap::new();
        for a in &state.agencies {
            let identity: Compiled = state
                .attachments
                .iter()
                .filter(|x| x.principal_type == PrincipalType::Agency && x.principal_id == a.id)
                .filter_map(|x| {
                    compiled
                        .get(x.policy_id.as_str())
                        .map(|p| (PolicyId::new(&x.policy_id), p.clone()))
                })
                .collect();
            let trust = Policy::parse(&a.trust_policy, PolicyKind::Trust)
                .ok()
                .or_else(|| deny_all(PolicyKind::Trust));
            let Some(trust) = trust else { continue };
            agencies.insert(
                a.id.clone(),
                StoredAgency {
                    account_id: a.account_id.clone(),
                    config: AgencyConfig {
                        name: a.name.clone(),
                        trust: Arc::new(trust),
                        identity,
                    },
                },
            );
        }
        World {
            state,
            snapshot,
            agencies,
        }
    }

    /// A stored, enabled user as a subject.
    pub fn user_subject(&self, urn: &str) -> Option<Subject> {
        let p = self.snapshot.principal_by_urn(urn)?;
        Some(Subject::new(
            p.engine.clone(),
            p.policies.identity().to_vec(),
            p.policies.scp_levels().map(<[_]>::to_vec).collect(),
        ))
    }

    /// Ids of every stored account.
    pub fn account_ids(&self) -> impl Iterator<Item = &str> {
        self.state.accounts.iter().map(|a| a.id.as_str())
    }

    /// The user id of a URN.
    pub fn user_id(&self, urn: &str) -> Option<&str> {
        self.state
            .users
            .iter()
            .find(|u| u.urn == urn)
            .map(|u| u.id.as_str())
    }

    /// The agency configured for a user in a project: the user's own authorization, else the
    /// `all` one. With no project, the first project of the user's account that has one.
    pub fn agency_for(&self, project_id: Option<&str>, user_id: &str) -> Option<&StoredAgency> {
        let account = self
            .state
            .users
            .iter()
            .find(|u| u.id == user_id)
            .map(|u| u.account_id.as_str())?;
        let projects: Vec<&str> = match project_id {
            Some(p) => vec![p],
            None => self
                .state
                .projects
                .iter()
                .filter(|p| p.account_id == account)
                .map(|p| p.id.as_str())
                .collect(),
        };
        for p in projects {
            let own = self
                .state
                .authorizations
                .iter()
                .find(|a| a.project_id == p && a.user_id == user_id);
            let all = self
                .state
                .authorizations
                .iter()
                .find(|a| a.project_id == p && a.user_id == "all");
            if let Some(a) = own.or(all) {
                return self
                    .agencies
                    .get(&a.agency_id)
                    .filter(|g| g.account_id == account);
            }
        }
        None
    }

    /// Overreach of every user of `account` that has a configured agency (in `project_id`, or
    /// in any project of the account).
    pub fn audit(
        &self,
        catalog: &Catalog,
        account: &str,
        project_id: Option<&str>,
    ) -> Vec<Overreach> {
        let mut out = Vec::new();
        for u in self
            .state
            .users
            .iter()
            .filter(|u| u.account_id == account && u.enabled)
        {
            let Some(agency) = self.agency_for(project_id, &u.id) else {
                continue;
            };
            let Some(subject) = self.user_subject(&u.urn) else {
                continue;
            };
            out.push(containment::overreach(
                catalog,
                &subject,
                &agency.config.name,
                &agency.config.identity,
            ));
        }
        out
    }

    /// What the decision log shows a principal did in `[since, until)`.
    pub async fn observed(
        store: &Store,
        principal: &str,
        since: Option<time::OffsetDateTime>,
        until: Option<time::OffsetDateTime>,
    ) -> Result<Vec<Observed>, ApiError> {
        let filter = DecisionFilter {
            principal_urn: Some(principal.to_owned()),
            since,
            until,
            ..DecisionFilter::default()
        };
        let mut out = Vec::new();
        let mut page = PageRequest::first(200);
        loop {
            let p = store.list_decisions(&filter, &page).await?;
            out.extend(p.items.into_iter().map(|d| Observed {
                action: d.action,
                resource: d.resource,
                decision: d.decision,
            }));
            match p.next_marker {
                Some(m) if out.len() < 1_000_000 => {
                    page = PageRequest {
                        marker: Some(m),
                        limit: Some(200),
                    };
                }
                _ => break,
            }
        }
        Ok(out)
    }
}

// ---- handlers ---------------------------------------------------------------------------

fn authorize(st: &AppState, caller: &Caller, action: &str) -> ApiResult<()> {
    st.authorize_api_call(caller, action, "*")
}

fn parse_docs(docs: &[Value], kind: PolicyKind, what: &str) -> ApiResult<Vec<String>> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            let text = match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Policy::parse(&text, kind)
                .map(|_| text)
                .map_err(|e| ApiError::bad_request(format!("{what}[{i}]: {e}")))
        })
        .collect()
}

fn context_of(v: Option<&Value>) -> ApiResult<Context> {
    let mut ctx = match v {
        None | Some(Value::Null) => Context::new(),
        Some(v) => Context::from_json_value(v)
            .map_err(|e| ApiError::bad_request(format!("context: {}", e.message())))?,
    };
    crate::snapshot::add_defaults(&mut ctx);
    Ok(ctx)
}

/// The subject of a request: a stored principal (`principal`), or documents.
async fn subject_of(
    st: &AppState,
    caller: &Caller,
    principal: Option<&str>,
    policies: &[Value],
    scps: &[Value],
) -> ApiResult<(Subject, Option<World>)> {
    match principal {
        Some(urn) => {
            if !policies.is_empty() || !scps.is_empty() {
                return Err(ApiError::bad_request(
                    "give either `principal` (a stored user) or `policies`/`scps`, not both",
                ));
            }
            authorize(st, caller, "iam:decisions:authorize")?;
            let snapshot = st.snapshot();
            let p = snapshot
                .principal_by_urn(urn)
                .filter(|p| snapshot.may_query(caller, p))
                .ok_or_else(|| ApiError::not_found(format!("principal {urn} does not exist")))?;
            let world = World::load(st.store(), Some(snapshot.clone())).await?;
            let subject = world
                .user_subject(&p.urn)
                .ok_or_else(|| ApiError::not_found(format!("principal {urn} does not exist")))?;
            Ok((subject, Some(world)))
        }
        None => {
            authorize(st, caller, "iam:decisions:simulate")?;
            if policies.is_empty() {
                return Err(ApiError::bad_request(
                    "give `principal` (a stored user) or at least one identity policy in `policies`",
                ));
            }
            let ident = parse_docs(policies, PolicyKind::Identity, "policies")?;
            let levels = parse_docs(scps, PolicyKind::Scp, "scps")?;
            let principal = iam_policy::Principal {
                urn: format!("iam::{}:user:assistant-subject", caller.account_id),
                account_id: caller.account_id.clone(),
                is_root_user: false,
                is_management_account: false,
            };
            let s = Subject::from_documents(principal, &ident, &levels)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            Ok((s, None))
        }
    }
}

fn selected<'a>(
    all: &'a [iam_assistant::Scenario],
    names: &[String],
) -> ApiResult<Vec<&'a iam_assistant::Scenario>> {
    if names.is_empty() {
        return Err(ApiError::bad_request(
            "`scenarios` is empty; name scenario ids (t4-training-management), names, or `all`",
        ));
    }
    resolve_scenarios(all, names).map_err(|unknown| {
        ApiError::bad_request(format!(
            "unknown scenario(s): {}; GET the catalog's scenarios (`modelarts-iam coverage --list`)",
            unknown.join(", ")
        ))
    })
}

fn check_scope(scope: &Scope) -> ApiResult<()> {
    for p in &scope.obs {
        if iam_assistant::ObsPath::parse(&format!("{}/{}", p.bucket, p.prefix)).as_ref() != Some(p)
        {
            return Err(ApiError::bad_request(format!(
                "scope.obs: `{}` is not a valid bucket/prefix (no wildcards)",
                p.bucket
            )));
        }
    }
    Ok(())
}

/// A policy document: a JSON object, or the JSON text of one.
fn policy_document() -> oas::OneOfBuilder {
    oas::OneOfBuilder::new()
        .item(oas::ObjectBuilder::new().schema_type(oas::Type::Object))
        .item(oas::ObjectBuilder::new().schema_type(oas::Type::String))
}

/// A list of policy documents (each a JSON object, or the JSON text of one).
fn policy_documents() -> RefOr<oas::Schema> {
    oas::ArrayBuilder::new().items(policy_document()).into()
}

/// `POST /v1/assistant/coverage`'s body: the scenarios, and the subject (a stored principal, or
/// policy documents).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CoverageBody {
    /// Scenario ids (`t4-training-management`), names, or `all`; at least one.
    #[schema(min_items = 1)]
    scenarios: Vec<String>,
    /// A stored user's URN; or give `policies` (and `scps`).
    #[serde(default)]
    principal: Option<String>,
    /// Identity policy documents of the subject.
    #[serde(default)]
    #[schema(schema_with = policy_documents)]
    policies: Vec<Value>,
    /// SCP documents, one level each, root first.
    #[serde(default)]
    #[schema(schema_with = policy_documents)]
    scps: Vec<Value>,
    /// Resource scopes.
    #[serde(default)]
    scope: Scope,
    /// Condition keys and values of the requests checked.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, ContextValue>>)]
    context: Option<Value>,
}

async fn coverage_handler(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CoverageBody>,
) -> ApiResult<Json<coverage::CoverageReport>> {
    let (subject, _) =
        subject_of(&st, &caller, b.principal.as_deref(), &b.policies, &b.scps).await?;
    let catalog = Catalog::builtin();
    let all = scenarios(catalog);
    let sel = selected(&all, &b.scenarios)?;
    check_scope(&b.scope)?;
    let options = Options {
        context: context_of(b.context.as_ref())?,
    };
    Ok(Json(coverage::check(
        catalog, &subject, &sel, &b.scope, &options,
    )))
}

/// Generation from the decision log: what a stored principal did.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ObservedUse {
    /// A stored user's URN.
    principal: String,
    /// Decisions from this time on (RFC 3339).
    #[serde(default)]
    #[schema(format = DateTime)]
    since: Option<String>,
    /// Decisions before this time (RFC 3339).
    #[serde(default)]
    #[schema(format = DateTime)]
    until: Option<String>,
    /// Grant denied actions too.
    #[serde(default)]
    include_denied: bool,
}

/// `POST /v1/assistant/generate`'s body: `scenarios` (with `scope` and `agency`), or `observed`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    /// Scenario ids, names, or `all`; required without `observed`.
    #[serde(default)]
    scenarios: Vec<String>,
    /// Resource scopes.
    #[serde(default)]
    scope: Scope,
    /// Generate from the decision log instead of scenarios.
    #[serde(default)]
    observed: Option<ObservedUse>,
    /// Generate the custom agency policy (Tables 10-14 scopes the scenarios need).
    #[serde(default)]
    agency: bool,
}

/// Parses an RFC 3339 time (`2026-11-23T10:00:00Z`).
pub fn parse_time(s: &str) -> Result<time::OffsetDateTime, String> {
    crate::auth::parse_rfc3339(s).ok_or_else(|| format!("must be an RFC 3339 time, got `{s}`"))
}

fn time_of(s: Option<&str>, what: &str) -> ApiResult<Option<time::OffsetDateTime>> {
    s.map(|s| parse_time(s).map_err(|e| ApiError::bad_request(format!("{what} {e}"))))
        .transpose()
}

async fn generate_handler(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<GenerateBody>,
) -> ApiResult<Json<generate::Generated>> {
    let catalog = Catalog::builtin();
    let generated = match b.observed {
        Some(o) => {
            if !b.scenarios.is_empty() || b.agency {
                return Err(ApiError::bad_request(
                    "give either `scenarios` (and `agency`) or `observed`, not both",
                ));
            }
            authorize(&st, &caller, "iam:decisionLogs:list")?;
            let snapshot = st.snapshot();
            let known = snapshot
                .principal_by_urn(&o.principal)
                .is_some_and(|p| snapshot.may_query(&caller, p));
            if !known {
                return Err(ApiError::not_found(format!(
                    "principal {} does not exist",
                    o.principal
                )));
            }
            let since = time_of(o.since.as_deref(), "since")?;
            let until = time_of(o.until.as_deref(), "until")?;
            let seen = World::observed(st.store(), &o.principal, since, until).await?;
            generate::from_observed(&seen, o.include_denied, "observed-use")
                .map_err(|e| ApiError::bad_request(e.to_string()))?
        }
        None => {
            authorize(&st, &caller, "iam:decisions:simulate")?;
            let all = scenarios(catalog);
            let sel = selected(&all, &b.scenarios)?;
            check_scope(&b.scope)?;
            let scopes;
            let sel = if b.agency {
                scopes = iam_assistant::agency_scopes_for(catalog, &sel);
                if scopes.is_empty() {
                    return Err(ApiError::bad_request(
                        "these scenarios need no agency scope (Tables 10-14)",
                    ));
                }
                scopes.iter().collect()
            } else {
                sel
            };
            generate::from_scenarios(catalog, &sel, &b.scope)
                .map_err(|e| ApiError::bad_request(e.to_string()))?
        }
    };
    Ok(Json(generated))
}

/// An agency given as documents (with policy documents as the subject).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreflightAgency {
    /// Agency name.
    name: String,
    /// Its trust policy.
    #[schema(schema_with = trust_policy_schema)]
    trust_policy: Value,
    /// Its identity policy documents.
    #[serde(default)]
    #[schema(schema_with = policy_documents)]
    policies: Vec<Value>,
}

fn trust_policy_schema() -> RefOr<oas::Schema> {
    policy_document().into()
}

/// `POST /v1/assistant/preflight`'s body: the operation and the subject (a stored principal,
/// whose configured agency is used, or policy documents with an optional agency).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreflightBody {
    /// The operation.
    operation: OperationRequest,
    /// A stored user's URN; or give `policies` (and `scps`, `agency`).
    #[serde(default)]
    principal: Option<String>,
    /// Project whose ModelArts agency authorization is used (stored principal).
    #[serde(default)]
    project_id: Option<String>,
    /// Identity policy documents of the subject.
    #[serde(default)]
    #[schema(schema_with = policy_documents)]
    policies: Vec<Value>,
    /// SCP documents, one level each, root first.
    #[serde(default)]
    #[schema(schema_with = policy_documents)]
    scps: Vec<Value>,
    /// The agency ModelArts uses (with `policies` only).
    #[serde(default)]
    agency: Option<PreflightAgency>,
    /// Condition keys and values of the requests checked.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, ContextValue>>)]
    context: Option<Value>,
}

async fn preflight_handler(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<PreflightBody>,
) -> ApiResult<Json<preflight::PreflightReport>> {
    let (subject, world) =
        subject_of(&st, &caller, b.principal.as_deref(), &b.policies, &b.scps).await?;
    let agency: Option<AgencyConfig> = match (&b.agency, &world) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "for a stored principal the agency is the one configured for it; omit `agency`",
            ));
        }
        (Some(a), None) => {
            let trust = parse_docs(
                std::slice::from_ref(&a.trust_policy),
                PolicyKind::Trust,
                "agency.trust_policy",
            )?;
            let docs = parse_docs(&a.policies, PolicyKind::Identity, "agency.policies")?;
            let trust = trust.first().cloned().unwrap_or_default();
            Some(
                AgencyConfig::from_documents(&a.name, &trust, &docs)
                    .map_err(ApiError::bad_request)?,
            )
        }
        (None, Some(w)) => {
            let user_id = w.user_id(&subject.principal.urn).unwrap_or_default();
            w.agency_for(b.project_id.as_deref(), user_id)
                .map(|a| a.config.clone())
        }
        (None, None) => None,
    };
    let ctx = context_of(b.context.as_ref())?;
    let report = preflight::run(
        Catalog::builtin(),
        &subject,
        agency.as_ref(),
        &b.operation,
        &ctx,
    )
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(report))
}

/// `GET /v1/assistant/agency-audit`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only this project's agency authorizations (default: every project of the account).
    #[serde(default)]
    project_id: Option<String>,
}

/// The agency audit: the users of the caller's account with a configured agency, and what
/// each agency grants beyond the user's own permissions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AgencyAuditResponse {
    /// Users checked.
    users_checked: usize,
    /// Users whose agency grants more than they hold.
    users_with_overreach: usize,
    /// One result per user checked.
    results: Vec<Overreach>,
}

async fn audit_handler(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<AgencyAuditResponse>> {
    authorize(&st, &caller, "iam:decisions:authorize")?;
    let world = World::load(st.store(), Some(st.snapshot())).await?;
    let results = world.audit(
        Catalog::builtin(),
        &caller.account_id,
        q.project_id.as_deref(),
    );
    let overreaching = results.iter().filter(|r| !r.ok).count();
    Ok(Json(AgencyAuditResponse {
        users_checked: results.len(),
        users_with_overreach: overreaching,
        results,
    }))
}

/// `POST /v1/assistant/diff`'s body: two sets of identity policy documents.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DiffBody {
    /// The policies before.
    #[schema(schema_with = policy_documents)]
    old: Vec<Value>,
    /// The policies after.
    #[schema(schema_with = policy_documents)]
    new: Vec<Value>,
}

fn compiled(prefix: &str, docs: &[String]) -> ApiResult<Compiled> {
    containment::parse_identity(prefix, docs).map_err(ApiError::bad_request)
}

async fn diff_handler(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<DiffBody>,
) -> ApiResult<Json<containment::Diff>> {
    authorize(&st, &caller, "access-analyzer:policies:checkNoNewAccess")?;
    let old = compiled("old", &parse_docs(&b.old, PolicyKind::Identity, "old")?)?;
    let new = compiled("new", &parse_docs(&b.new, PolicyKind::Identity, "new")?)?;
    Ok(Json(containment::diff(Catalog::builtin(), &old, &new)))
}

/// `CheckNoNewAccess`'s request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    /// The existing identity policy, as JSON text.
    existing_policy_document: String,
    /// The new identity policy, as JSON text.
    new_policy_document: String,
    /// `identity_policy` (the only type supported).
    #[schema(pattern = "^identity_policy$")]
    policy_type: String,
}

async fn check_no_new_access(
    JsonBody(b): JsonBody<CheckBody>,
) -> ApiResult<Json<containment::CheckResult>> {
    if b.policy_type != "identity_policy" {
        return Err(ApiError::bad_request(format!(
            "policy_type `{}` is not supported; use `identity_policy`",
            b.policy_type
        )));
    }
    let parse = |doc: &str, what: &str| {
        Policy::parse(doc, PolicyKind::Identity)
            .map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
    };
    let existing = parse(&b.existing_policy_document, "existing_policy_document")?;
    let new = parse(&b.new_policy_document, "new_policy_document")?;
    Ok(Json(containment::check_no_new_access(
        Catalog::builtin(),
        &existing,
        &new,
    )))
}
