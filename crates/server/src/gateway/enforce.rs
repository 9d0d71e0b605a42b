//! Enforcement: verify, resolve, build the request context and decide one request.

use std::time::Instant;

use http::header;
use iam_catalog::{Catalog, RouteTarget};
use iam_policy::{Context, Decision, Request as EngineRequest};
use iam_signing::IncomingRequest;
use serde_json::Value;

use super::log::log;
use super::metrics::{Outcome, count, gateway_metrics};
use super::{Allowed, Gateway, Original, Site, is_modelarts_route};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

impl Gateway {
    /// The account and region of a project id.
    async fn project(&self, id: &str) -> Result<Option<RouteTarget>, ApiError> {
        let project = self.state.project(id).await?;
        Ok(project.map(|p| RouteTarget::new(p.region, p.account_id)))
    }
}

/// Verifies, resolves, decides and logs one request.
pub(super) async fn enforce(gw: &Gateway, o: &Original<'_>) -> Result<Allowed, ApiError> {
    let started = Instant::now();
    let result = enforce_inner(gw, o).await;
    gateway_metrics().enforce_seconds[o.site.mode.index()].record(started.elapsed().as_secs_f64());
    result
}

pub(super) async fn enforce_inner(gw: &Gateway, o: &Original<'_>) -> Result<Allowed, ApiError> {
    let st = &gw.state;
    // 1. who
    let incoming = IncomingRequest::new(o.reading.method, o.raw_path, o.raw_query, o.site.headers);
    let caller = match crate::auth::gateway_caller(st, &incoming, o.payload, o.site.headers).await {
        Ok(c) => c,
        Err(e) => {
            count(o.site.mode, Outcome::Unauthenticated);
            log(
                st,
                &o.site,
                None,
                "-",
                None,
                "unauthenticated",
                None,
                Some(e.message().to_owned()),
            );
            return Err(e);
        }
    };
    // a cloud service's credential opens no ModelArts API (only AssumeAgency)
    if let Err(e) = caller.refuse_service(&format!(
        "{} {} through the gateway",
        o.reading.method, o.reading.path
    )) {
        return Err(implicit_deny(st, &o.site, &caller, e.message().to_owned()));
    }
    // 2. what
    let catalog = Catalog::builtin();
    let probe = RouteTarget::new(st.region(), caller.account_id.clone());
    let resolved = match catalog.resolve_route(o.reading.method, &o.reading.path, &probe) {
        // only the upstream's own APIs: not another service's, not modelarts-iam's own
        Ok(r) if is_modelarts_route(r.route, o.reading.method, &o.reading.path) => r,
        Ok(_) => {
            let msg = format!(
                "User: {} is not authorized to call {} {} through the gateway: it is not an API of the ModelArts upstream (modelarts-iam serves its own APIs itself).",
                caller.urn, o.reading.method, o.reading.path
            );
            return Err(implicit_deny(st, &o.site, &caller, msg));
        }
        Err(e) => {
            let msg = format!(
                "User: {} is not authorized to call {} {}: {e}; no action is registered for this API.",
                caller.urn, o.reading.method, o.reading.path
            );
            return Err(implicit_deny(st, &o.site, &caller, msg));
        }
    };
    let target = match resolved.project_id() {
        Some(pid) => match gw.project(pid).await? {
            Some(t) if t.account_id == caller.account_id => t,
            _ => {
                let msg = format!(
                    "User: {} is not authorized to access project {pid}: the project does not exist in account {}.",
                    caller.urn, caller.account_id
                );
                return Err(implicit_deny(st, &o.site, &caller, msg));
            }
        },
        None => probe.clone(),
    };
    let resolved = if target == probe {
        resolved
    } else {
        catalog
            .resolve_route(o.reading.method, &o.reading.path, &target)
            .map_err(|e| ApiError::forbidden(e.to_string(), None))?
    };
    if resolved.actions.is_empty() {
        let msg = format!(
            "User: {} is not authorized to call {} {}: no action is registered for this API.",
            caller.urn, o.reading.method, o.reading.path
        );
        return Err(implicit_deny(st, &o.site, &caller, msg));
    }
    // 3. context (the caller's policies say which looked-up keys are worth asking for)
    let snapshot = st.snapshot();
    let principal = st.caller_set(&snapshot, &caller)?;
    let set = &principal.policies;
    let mut looked = super::keys::Looked::default();
    let inputs = match super::keys::Inputs::new(o, &resolved, &target) {
        Ok(i) => i,
        Err(e) => return Err(reject(st, o, &caller, e)),
    };
    let ctx = match request_context(gw, &caller, o, &inputs, set, &mut looked).await {
        Ok(ctx) => ctx,
        Err(e) => return Err(reject(st, o, &caller, e)),
    };
    // the workspace it acts in, whatever the policies say
    if let Err(e) = super::keys::check_workspace(gw, &caller, &inputs, &mut looked).await {
        if e.status() == http::StatusCode::FORBIDDEN {
            return Err(implicit_deny(st, &o.site, &caller, e.message().to_owned()));
        }
        return Err(reject(st, o, &caller, e));
    }
    // 4. decide every action
    let mut first_resource = "";
    for (i, (action, resource)) in resolved
        .actions
        .iter()
        .zip(resolved.resources.iter())
        .enumerate()
    {
        // ModelArts routes name ModelArts resources, whose URNs the catalog renders from the
        // path; no IAM entity stands behind them
        let resource = resource.as_str();
        if i == 0 {
            first_resource = resource;
        }
        let req = EngineRequest {
            action,
            resource,
            context: &ctx,
        };
        // one engine pass: the explanation carries the decision (and the determining
        // statement the decision log needs)
        let started = Instant::now();
        let explanation = set.explain(&principal.engine, &req);
        let decision = explanation.decision;
        debug_assert_eq!(decision, set.decide(&principal.engine, &req));
        crate::telemetry::record_decision(
            crate::telemetry::Source::Gateway,
            decision,
            started.elapsed().as_secs_f64(),
        );
        let (policy, statement) = determining(&explanation);
        log(
            st,
            &o.site,
            Some(&caller),
            action,
            Some(resource),
            decision.as_str(),
            Some((policy, statement, &explanation)),
            None,
        );
        if decision != Decision::Allow {
            count(o.site.mode, Outcome::Denied);
            let message = explanation.message.clone().unwrap_or_else(|| {
                iam_policy::denial_message(decision, iam_policy::Layer::Identity, &caller.urn, &req)
            });
            let encoded = crate::api::sts::seal_denial(
                st.store(),
                &caller.account_id,
                &caller.urn,
                action,
                resource,
                &explanation,
                &ctx,
            );
            return Err(ApiError::forbidden(message, encoded));
        }
    }
    // 5. the agency credentials of the job it starts, if it starts one
    let agency = match super::agency::for_request(
        gw,
        &caller,
        resolved.project_id(),
        resolved.actions.as_slice(),
        o.site.request_id.clone(),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => {
            count(o.site.mode, Outcome::Denied);
            log(
                st,
                &o.site,
                Some(&caller),
                "-",
                None,
                "implicit_deny",
                None,
                Some(e.message().to_owned()),
            );
            return Err(e);
        }
    };
    count(o.site.mode, Outcome::Allowed);
    Ok(Allowed {
        actions: resolved.actions.iter().map(|a| (*a).to_owned()).collect(),
        resource: first_resource.to_owned(),
        caller,
        agency,
    })
}

/// A request refused for what it says (a body, a workspace, a pool that cannot be read one way):
/// counted and logged as `rejected`, answered with `e`.
fn reject(st: &AppState, o: &Original<'_>, caller: &Caller, e: ApiError) -> ApiError {
    count(o.site.mode, Outcome::Rejected);
    log(
        st,
        &o.site,
        Some(caller),
        "-",
        None,
        "rejected",
        None,
        Some(e.message().to_owned()),
    );
    e
}

/// A call the gateway refuses before any policy is consulted (no such API of the upstream, a
/// project of another account): counted, logged as an implicit deny, 403 with `msg`.
pub(super) fn implicit_deny(
    st: &AppState,
    site: &Site<'_>,
    caller: &Caller,
    msg: String,
) -> ApiError {
    count(site.mode, Outcome::Denied);
    log(
        st,
        site,
        Some(caller),
        "-",
        None,
        "implicit_deny",
        None,
        Some(msg.clone()),
    );
    ApiError::forbidden(msg, None)
}

/// The determining policy and statement of an explanation (`policy_id`, `layer:policy#index`).
pub(super) fn determining(e: &iam_policy::Explanation) -> (Option<String>, Option<String>) {
    match e.statements.first() {
        Some(s) => {
            let level = s.level.map(|l| format!("[{l}]")).unwrap_or_default();
            let sid = s
                .sid
                .as_ref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            (
                Some(s.policy_id.as_str().to_owned()),
                Some(format!(
                    "{}{level}:{}#{}{sid}",
                    s.layer,
                    s.policy_id.as_str(),
                    s.statement_index
                )),
            )
        }
        None => (None, None),
    }
}

/// Refuses a request target without one meaning: logged (`rejected`, with the reason), counted
/// (`outcome="rejected"`), 400 `IAM.0001` with the reason.
pub(super) fn refuse(st: &AppState, site: &Site<'_>, message: String) -> ApiError {
    count(site.mode, Outcome::Rejected);
    log(
        st,
        site,
        None,
        "-",
        None,
        "rejected",
        None,
        Some(message.clone()),
    );
    ApiError::bad_request(message)
}

/// Names under which a request names the pool it runs on (Huawei's APIs: `pool_id`, services'
/// `pool_name` and `cluster_id`, and the `pool.id` object), in the query, the path or anywhere in
/// the JSON body (`spec.resource.pool_id`, `config[].cluster_id`, `tasks[].task_resource.pool_id`,
/// ...).
pub(super) const POOL_KEYS: &[&str] = &["pool_id", "pool_name", "cluster_id"];

/// The pool a request names, read the way no upstream can read otherwise: every place a pool
/// can be named is looked at (the decoded query, `{pool_name}`/`{pool_id}` path parameters, and
/// every member named in [`POOL_KEYS`] or `pool.id` at any depth of the JSON body, which is
/// strict JSON: `keys::Inputs::new` refused any other), and a request that names two different
/// pools, or a pool that is not a string, is refused: the decision must be about the pool the
/// upstream will use.
pub(super) fn pool_of(
    o: &Original<'_>,
    params: &[(String, String)],
    body: Option<&Value>,
) -> Result<Option<String>, ApiError> {
    let mut found: Vec<String> = Vec::new();
    for key in POOL_KEYS {
        if let Some(v) = o.reading.target.query_value(key) {
            found.push(v.to_owned());
        }
    }
    for (k, v) in params {
        if k == "pool_name" || k == "pool_id" {
            found.push(v.clone());
        }
    }
    // the body is strict JSON here: `keys::Inputs::new` refused any other
    if let Some(v) = body {
        body_pools(v, &mut found)?;
    }
    found.retain(|v| !v.is_empty());
    found.sort();
    found.dedup();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => Err(ApiError::bad_request(format!(
            "the request names more than one pool ({}): name the pool once",
            many.join(", ")
        ))),
    }
}

/// Every pool named in a JSON body: members named in [`POOL_KEYS`] and `pool.id`, at any depth,
/// in objects and arrays; 400 when one of them is not a string (or null), since an upstream
/// could read `123` as the pool `"123"` while the decision would be about the public pool.
pub(super) fn body_pools(v: &Value, found: &mut Vec<String>) -> Result<(), ApiError> {
    let named = |k: &str, child: &Value, found: &mut Vec<String>| match child {
        Value::String(s) => {
            found.push(s.clone());
            Ok(())
        }
        Value::Null => Ok(()),
        other => Err(ApiError::bad_request(format!(
            "invalid request body: the pool member {k:?} is {other}, not a string"
        ))),
    };
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if POOL_KEYS.contains(&k.as_str()) {
                    named(k, child, found)?;
                }
                if k == "pool"
                    && let Some(id) = child.get("id")
                {
                    named("pool.id", id, found)?;
                }
                body_pools(child, found)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                body_pools(item, found)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The request context of an enforced request (docs/gateway.md lists every key and where it
/// comes from).
pub(super) async fn request_context(
    gw: &Gateway,
    caller: &Caller,
    o: &Original<'_>,
    inputs: &super::keys::Inputs<'_, '_>,
    set: &iam_policy::PolicySet,
    looked: &mut super::keys::Looked,
) -> Result<Context, ApiError> {
    let target = inputs.target;
    // the keys every decision gets (crate::context), then the ModelArts request's own
    let facts = crate::context::RequestFacts {
        region: target.region.clone(),
        source_ip: o.site.source_ip,
        secure: o.secure,
        user_agent: o
            .site
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let mut ctx = crate::context::base(caller, &facts);
    modelarts_keys(gw, inputs, set, looked, &mut ctx).await?;
    Ok(ctx)
}

/// The ModelArts request's own keys, added to `ctx`: `g:ProjectId`, the pool
/// (`modelarts:poolId`, `modelarts:poolType`) and the rows of the catalog's request-key table.
/// One reading for every point that decides a ModelArts call (the gateway's two modes and the
/// decision API's described calls).
pub(super) async fn modelarts_keys(
    gw: &Gateway,
    inputs: &super::keys::Inputs<'_, '_>,
    set: &iam_policy::PolicySet,
    looked: &mut super::keys::Looked,
    ctx: &mut Context,
) -> Result<(), ApiError> {
    let resolved = inputs.resolved;
    if let Some(pid) = resolved.project_id() {
        ctx.insert("g:ProjectId", pid.to_owned());
    }
    super::keys::refuse_unread_body(gw, inputs, set)?;
    let pool = pool_of(inputs.o, &resolved.params, inputs.body.as_ref())?;
    if let Some(p) = &pool {
        ctx.insert("modelarts:poolId", p.clone());
    }
    let runs_on_pool = resolved
        .route
        .request_keys
        .iter()
        .any(|k| k.key == "modelarts:poolType");
    if runs_on_pool || pool.is_some() {
        ctx.insert(
            "modelarts:poolType",
            if pool.is_some() {
                "dedicated"
            } else {
                "public"
            },
        );
    }
    super::keys::fill(gw, inputs, set, looked, ctx).await
}
