//! The request keys of an enforced request, filled from the catalog's request-key table
//! (`iam_catalog::RequestKey`, `data/request-keys.json`; docs/gateway.md, "Where request keys
//! come from"): for each row of the resolved route, the first of its sources that yields a
//! value. One reading of everything: the canonical query, the route's path parameters, the body
//! as strict JSON ([`super::body`]), the server's registries, the upstream's resource lookup.

use std::sync::Arc;

use iam_catalog::{Catalog, KeySource, Location, RequestKey, ResolvedRoute, RouteTarget};
use iam_policy::Context;
use serde_json::Value;

use super::lookup::Attributes;
use super::{Gateway, Original};
use crate::error::ApiError;

/// The places a request names its workspace (huawei-more §5, "Where `workspace_id` travels"):
/// the query (`workspace_id`; the pools list's `workspaceId`), the body (`workspace_id`,
/// `metadata.workspace_id`, a `workspace_id` list filter) and a pool's label.
const WORKSPACE_QUERY: &[&str] = &["workspace_id", "workspaceId"];
const WORKSPACE_BODY: &[&str] = &["workspace_id", "metadata.workspace_id"];
const WORKSPACE_LABEL: &str = "os.modelarts/workspace.id";

/// The default workspace and enterprise project.
pub(super) const DEFAULT: &str = "0";

/// What the request says, read once.
pub(super) struct Inputs<'r, 'o> {
    pub(super) o: &'r Original<'o>,
    pub(super) resolved: &'r ResolvedRoute<'r>,
    pub(super) target: &'r RouteTarget,
    /// The body as strict JSON (`None`: no body).
    pub(super) body: Option<Value>,
    /// The request has a body the enforcement point cannot read (the auth_request endpoint).
    pub(super) body_unreadable: bool,
    /// The workspace the request names ([`Inputs::named_workspace`]), read once.
    pub(super) workspace: Option<String>,
    /// The URN of the resource the route's path names ([`Inputs::named_resource`]), read once.
    pub(super) named: Option<String>,
}

impl<'r, 'o> Inputs<'r, 'o> {
    /// Reads the request once. A body is read as strict JSON on every ModelArts route, and one
    /// that is not (a member twice, a byte-order mark, not JSON), or is sent with a
    /// `Content-Encoding`, is refused: the workspace, the pool and the keys it names must be
    /// what the upstream reads, and a lenient or decompressing reader could read another.
    pub(super) fn new(
        o: &'r Original<'o>,
        resolved: &'r ResolvedRoute<'r>,
        target: &'r RouteTarget,
    ) -> Result<Self, ApiError> {
        let has_body = o
            .body
            .is_some_and(|b| !b.iter().all(u8::is_ascii_whitespace));
        if let Some(enc) = o
            .site
            .headers
            .get_all(http::header::CONTENT_ENCODING)
            .iter()
            .find(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"))
            && has_body
        {
            return Err(ApiError::bad_request(format!(
                "the request body is sent with Content-Encoding {:?}: ModelArts API bodies go through the gateway as plain JSON, which it reads as the upstream will; send it without Content-Encoding",
                String::from_utf8_lossy(enc.as_bytes())
            )));
        }
        let body = super::body::strict_json(o.body).map_err(|e| {
            ApiError::bad_request(format!(
                "invalid request body: {e}. ModelArts API bodies must be strict JSON (RFC 8259, UTF-8 without a byte-order mark, no member twice in one object): the gateway decides on the workspace, pool and keys they name, which must be the ones the upstream reads"
            ))
        })?;
        let mut inputs = Self {
            o,
            resolved,
            target,
            body,
            body_unreadable: matches!(o.payload, iam_signing::Payload::Unavailable),
            workspace: None,
            named: None,
        };
        inputs.workspace = inputs.named_workspace()?;
        inputs.named = inputs.named_resource();
        Ok(inputs)
    }

    /// The one string at a location; 400 when the request gives it twice with different
    /// values or as another JSON type.
    fn at(&self, loc: Location<'_>) -> Result<Option<String>, ApiError> {
        match loc {
            Location::Query(name) => Ok(self.o.reading.target.query_value(name).map(str::to_owned)),
            Location::Path(name) => Ok(self.resolved.param(name).map(str::to_owned)),
            Location::Body(path) => {
                let Some(body) = &self.body else {
                    return Ok(None);
                };
                let mut found: Vec<&str> = Vec::new();
                for v in super::body::at_path(body, path) {
                    match v {
                        Value::String(s) => found.push(s),
                        Value::Null => {}
                        other => {
                            return Err(ApiError::bad_request(format!(
                                "invalid request body: {path} is {other}, not a string"
                            )));
                        }
                    }
                }
                found.sort_unstable();
                found.dedup();
                match found.as_slice() {
                    [] => Ok(None),
                    [one] => Ok(Some((*one).to_owned())),
                    many => Err(ApiError::bad_request(format!(
                        "invalid request body: {path} names {} different values ({}); name one",
                        many.len(),
                        many.join(", ")
                    ))),
                }
            }
        }
    }

    /// The workspace the request names (every place of [`WORKSPACE_QUERY`], [`WORKSPACE_BODY`]
    /// and the pool label), `None` when it names none; 400 when it names two.
    fn named_workspace(&self) -> Result<Option<String>, ApiError> {
        let mut found: Vec<String> = Vec::new();
        for q in WORKSPACE_QUERY {
            found.extend(self.at(Location::Query(q))?);
        }
        for b in WORKSPACE_BODY {
            found.extend(self.at(Location::Body(b))?);
        }
        // list filters (`POST /v2/{project_id}/training-job-searches`:
        // `filters[{"key": "workspace_id", "value": [...]}]`)
        if let Some(Value::Array(filters)) = self.body.as_ref().and_then(|b| b.get("filters")) {
            for f in filters {
                if f.get("key").and_then(Value::as_str) != Some("workspace_id") {
                    continue;
                }
                match f.get("value") {
                    Some(Value::String(v)) => found.push(v.clone()),
                    Some(Value::Array(vs)) if vs.iter().all(Value::is_string) => {
                        found.extend(vs.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "invalid request body: the workspace_id filter's value is {}, not a string or an array of strings",
                            other.map_or_else(|| "missing".to_owned(), Value::to_string)
                        )));
                    }
                }
            }
        }
        match self
            .body
            .as_ref()
            .and_then(|b| b.get("metadata"))
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.get(WORKSPACE_LABEL))
        {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => found.push(s.clone()),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "invalid request body: metadata.labels[\"{WORKSPACE_LABEL}\"] is {other}, not a string"
                )));
            }
        }
        found.retain(|w| !w.is_empty());
        found.sort();
        found.dedup();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            many => Err(ApiError::bad_request(format!(
                "the request names more than one workspace ({}): name the workspace once",
                many.join(", ")
            ))),
        }
    }

    /// The URN of the resource the route's path names: its first resource parameter in path
    /// order, and, when several resource types share that parameter (dataset routes name
    /// `dataset` and `dataAnnotation` with one `{dataset_id}`), the type whose id placeholder is
    /// the parameter (`<dataset-id>`): the resource that exists upstream and is in a workspace.
    fn named_resource(&self) -> Option<String> {
        let route = self.resolved.route;
        let catalog = Catalog::builtin();
        let param = route
            .param_names()
            .find(|p| route.resource_params.values().any(|q| q == p))?;
        let types: Vec<&str> = route
            .resource_params
            .iter()
            .filter(|(_, q)| q.as_str() == param)
            .map(|(t, _)| t.as_str())
            .collect();
        let wanted = param.replace('_', "-");
        let ty = types
            .iter()
            .copied()
            .find(|t| {
                catalog
                    .resource_type(&route.service, t)
                    .and_then(|rt| rt.id_placeholder())
                    == Some(wanted.as_str())
            })
            .or_else(|| types.first().copied())?;
        let id = self.resolved.param(param)?;
        let rt = catalog.resource_type(&route.service, ty)?;
        Some(rt.render(&self.target.region, &self.target.account_id, id))
    }
}

/// The enterprise project of a workspace of the account, from the server's registry; 400 when
/// the account has no such workspace.
pub(super) fn workspace_enterprise_project(
    gw: &Gateway,
    account_id: &str,
    workspace_id: &str,
) -> Result<String, ApiError> {
    if workspace_id == DEFAULT {
        return Ok(DEFAULT.to_owned());
    }
    match gw.state.current().workspace(account_id, workspace_id) {
        Some(w) => Ok(w.enterprise_project_id.clone()),
        None => Err(no_such_workspace(workspace_id)),
    }
}

fn no_such_workspace(workspace_id: &str) -> ApiError {
    ApiError::bad_request(format!(
        "the workspace {workspace_id} does not exist in this account: create it with POST /v1/{{project_id}}/workspaces, or name the default workspace 0"
    ))
}

/// The upstream's attributes of the resource the route names, asked at most once per request.
#[derive(Default)]
pub(super) struct Looked(Option<Option<Arc<Attributes>>>);

impl Looked {
    async fn get(
        &mut self,
        gw: &Gateway,
        inputs: &Inputs<'_, '_>,
    ) -> Result<Option<Arc<Attributes>>, ApiError> {
        if let Some(a) = &self.0 {
            return Ok(a.clone());
        }
        let a = match &inputs.named {
            Some(urn) => super::lookup::attributes(gw, urn).await?,
            None => None,
        };
        self.0 = Some(a.clone());
        Ok(a)
    }
}

/// Huawei's workspace access model at the gateway (docs/workspaces.md): a request that acts in a
/// workspace — the one it names, or, for a route that names an existing resource in an account
/// that has a private or internal workspace, the resource's workspace from the upstream's
/// lookup — is refused (403) unless the caller may use that workspace: everyone for `PUBLIC`
/// and the default workspace `0`; the creator, the tenant administrator and, for `INTERNAL`, the
/// granted users otherwise. Whatever the caller's `modelarts:*` permissions.
pub(super) async fn check_workspace(
    gw: &Gateway,
    caller: &crate::auth::Caller,
    inputs: &Inputs<'_, '_>,
    looked: &mut Looked,
) -> Result<(), ApiError> {
    let account = inputs.target.account_id.as_str();
    let named = inputs.workspace.clone();
    // an existing resource is in the workspace the upstream says, whatever the request names
    let resident = if inputs.named.is_some()
        && gw.state.current().has_restricted_workspaces(account)
    {
        if gw.upstream.is_none() {
            // the auth_request endpoint cannot ask which workspace the resource is in
            return Err(ApiError::forbidden(
                format!(
                    "User: {} is not authorized to call {} {} here: account {account} has private or internal workspaces, and the workspace of the resource can only be looked up by the gateway's proxy mode (docs/gateway.md, \"Resource lookup\")",
                    caller.urn, inputs.o.reading.method, inputs.o.reading.path
                ),
                None,
            ));
        }
        Some(
            looked
                .get(gw, inputs)
                .await?
                .and_then(|a| a.workspace_id.clone())
                .unwrap_or_else(|| DEFAULT.to_owned()),
        )
    } else {
        None
    };
    let (workspace, from_lookup) = match (named, resident) {
        (Some(n), Some(r)) if n != r => {
            return Err(ApiError::bad_request(format!(
                "the request names workspace {n}, but the resource it acts on is in workspace {r}: name the resource's workspace, or none"
            )));
        }
        (_, Some(r)) => (r, true),
        (Some(n), None) => (n, false),
        (None, None) => return Ok(()),
    };
    if workspace == DEFAULT {
        return Ok(());
    }
    let snapshot = gw.state.snapshot();
    let Some(ws) = snapshot.workspace(account, &workspace) else {
        if from_lookup {
            return Err(ApiError::forbidden(
                format!(
                    "User: {} is not authorized to act in workspace {workspace}: the upstream places the resource in a workspace this account does not have",
                    caller.urn
                ),
                None,
            ));
        }
        return Err(no_such_workspace(&workspace));
    };
    if snapshot.caller_may_use_workspace(caller, ws) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        format!(
            "User: {} is not authorized to act in workspace {} ({}, {}): only its creator, the tenant administrator{} may use it, whatever their ModelArts permissions",
            caller.urn,
            ws.name,
            ws.id,
            ws.auth_type.as_str(),
            if ws.auth_type.as_str() == "INTERNAL" {
                " and the users it is granted to"
            } else {
                ""
            }
        ),
        None,
    ))
}

/// Fills `ctx` with the keys of the route's request-key rows. The upstream is asked for a
/// resource's attributes only when a statement of the caller's policies `set` names a key that
/// comes from them: a key no statement reads cannot change the decision.
pub(super) async fn fill(
    gw: &Gateway,
    inputs: &Inputs<'_, '_>,
    set: &iam_policy::PolicySet,
    looked: &mut Looked,
    ctx: &mut Context,
) -> Result<(), ApiError> {
    for row in &inputs.resolved.route.request_keys {
        for source in &row.from {
            let filled = match source {
                KeySource::Field(loc) => match Location::parse(loc) {
                    Some(l) => match inputs.at(l)? {
                        Some(v) => {
                            ctx.insert(&row.key, v);
                            true
                        }
                        None => false,
                    },
                    None => false,
                },
                KeySource::Workspace => {
                    let ws = inputs.workspace.as_deref().unwrap_or(DEFAULT);
                    let ep = workspace_enterprise_project(gw, &inputs.target.account_id, ws)?;
                    ctx.insert(&row.key, ep);
                    true
                }
                KeySource::Resource
                    if !set.mentions_key_for(&inputs.resolved.actions, |k| row.matches_key(k)) =>
                {
                    false
                }
                // given by the caller of the decision API (`/v1/authorize-request`)
                KeySource::Resource if ctx.iter().any(|(k, _)| row.matches_key(k)) => true,
                KeySource::Resource if gw.upstream.is_none() => {
                    // a policy reads the key and only the proxy mode can look it up: refusing
                    // is the only answer that cannot let a Deny on it pass
                    return Err(ApiError::forbidden(
                        format!(
                            "{} {}: a policy of the caller conditions on {}, which comes from the upstream's resource lookup, and only the gateway's proxy mode can ask the upstream (the auth_request endpoint cannot; /v1/authorize-request takes the value in `context`): docs/gateway.md, \"Resource lookup\"",
                            inputs.o.reading.method, inputs.o.reading.path, row.key
                        ),
                        None,
                    ));
                }
                KeySource::Resource => match looked.get(gw, inputs).await? {
                    Some(a) => resource_keys(gw, inputs, row, &a, ctx)?,
                    None => false,
                },
                // the pool keys are read by `enforce::pool_of` for every route
                KeySource::Pool => true,
                KeySource::Tags(locs) => request_tags(inputs, locs, ctx)?,
                KeySource::Default(v) => {
                    ctx.insert(&row.key, v.clone());
                    true
                }
                KeySource::Unknowable(_) => false,
            };
            if filled {
                break;
            }
        }
    }
    // beyond the table: a create or list that names a workspace is in its enterprise project
    // (a route naming an existing resource is in the resource's, which only the lookup knows)
    if !ctx.contains(EP_KEY)
        && inputs.named.is_none()
        && let Some(ws) = &inputs.workspace
    {
        let ep = workspace_enterprise_project(gw, &inputs.target.account_id, ws)?;
        ctx.insert(EP_KEY, ep);
    }
    Ok(())
}

/// The enterprise-project key.
const EP_KEY: &str = "g:EnterpriseProjectId";

/// A request whose body the enforcement point cannot read (the auth_request endpoint: nginx
/// does not pass bodies) is refused when the body could change the decision: when a statement
/// of the caller's policies about the route's actions reads a key a body gives (the pool, the
/// enterprise project, request tags, or any key the route's rows read from the body), or when
/// the account has a private or internal workspace (the body could name it).
pub(super) fn refuse_unread_body(
    gw: &Gateway,
    inputs: &Inputs<'_, '_>,
    set: &iam_policy::PolicySet,
) -> Result<(), ApiError> {
    if !inputs.body_unreadable {
        return Ok(());
    }
    let route = inputs.resolved.route;
    let from_body = |k: &str| {
        let lower = k.to_ascii_lowercase();
        lower == "modelarts:poolid"
            || lower == "modelarts:pooltype"
            || lower == EP_KEY.to_ascii_lowercase()
            || lower.starts_with("g:requesttag/")
            || lower == "g:tagkeys"
            || route.request_keys.iter().any(|row| {
                row.matches_key(k)
                    && row.from.iter().any(|s| match s {
                        KeySource::Field(l) => l.starts_with("body:"),
                        KeySource::Workspace | KeySource::Tags(_) | KeySource::Pool => true,
                        _ => false,
                    })
            })
    };
    let why = if set.mentions_key_for(&inputs.resolved.actions, from_body) {
        "a policy of the caller conditions on a key the body gives (the pool, the enterprise project, request tags)"
    } else if gw
        .state
        .current()
        .has_restricted_workspaces(&inputs.target.account_id)
    {
        "the account has private or internal workspaces, and the body could name one"
    } else {
        return Ok(());
    };
    Err(ApiError::forbidden(
        format!(
            "{} {}: the auth_request endpoint cannot read the request body, and {why}; send requests with a body through the gateway's proxy mode (docs/gateway.md)",
            inputs.o.reading.method, inputs.o.reading.path
        ),
        None,
    ))
}

/// The keys of `row` from a looked-up resource: its enterprise project (its own, else its
/// workspace's, else the default one) or its tags.
fn resource_keys(
    gw: &Gateway,
    inputs: &Inputs<'_, '_>,
    row: &RequestKey,
    a: &Attributes,
    ctx: &mut Context,
) -> Result<bool, ApiError> {
    if row.key.eq_ignore_ascii_case(EP_KEY) {
        let ep = match (&a.enterprise_project_id, &a.workspace_id) {
            (Some(ep), _) => ep.clone(),
            (None, Some(ws)) => workspace_enterprise_project(gw, &inputs.target.account_id, ws)?,
            (None, None) => DEFAULT.to_owned(),
        };
        ctx.insert(&row.key, ep);
        return Ok(true);
    }
    if let Some(prefix) = row.key.strip_suffix("<tag-key>") {
        for t in &a.tags {
            ctx.insert(&format!("{prefix}{}", t.key), t.value.clone());
        }
        return Ok(true);
    }
    Ok(false)
}

/// `g:RequestTag/<key>` and `g:TagKeys` from the tag arrays at `locs`; 400 when an array is not
/// of `{"key", "value"}` string objects or names a key twice with different values.
fn request_tags(
    inputs: &Inputs<'_, '_>,
    locs: &[String],
    ctx: &mut Context,
) -> Result<bool, ApiError> {
    let Some(body) = &inputs.body else {
        return Ok(false);
    };
    let mut tags: Vec<(String, String)> = Vec::new();
    for loc in locs {
        let Some(Location::Body(path)) = Location::parse(loc) else {
            continue;
        };
        for v in super::body::at_path(body, path) {
            let Value::Array(items) = v else {
                return Err(ApiError::bad_request(format!(
                    "invalid request body: {path} must be an array of {{\"key\", \"value\"}} objects"
                )));
            };
            for item in items {
                let (Some(Value::String(k)), value) = (item.get("key"), item.get("value")) else {
                    return Err(ApiError::bad_request(format!(
                        "invalid request body: every item of {path} needs a string \"key\""
                    )));
                };
                let value = match value {
                    Some(Value::String(v)) => v.clone(),
                    None | Some(Value::Null) => String::new(),
                    Some(other) => {
                        return Err(ApiError::bad_request(format!(
                            "invalid request body: the value of tag {k:?} in {path} is {other}, not a string"
                        )));
                    }
                };
                // keys are compared without ASCII case, as the engine compares key names
                if let Some((x, v)) = tags.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)) {
                    if *v != value || x != k {
                        return Err(ApiError::bad_request(format!(
                            "invalid request body: tag {k:?} is given twice (keys are compared without letter case) with different spellings or values; give each tag once"
                        )));
                    }
                    continue;
                }
                tags.push((k.clone(), value));
            }
        }
    }
    if tags.is_empty() {
        return Ok(false);
    }
    for (k, v) in &tags {
        ctx.insert(&format!("g:RequestTag/{k}"), v.clone());
    }
    ctx.set("g:TagKeys", tags.iter().map(|(k, _)| k.clone()));
    Ok(true)
}
