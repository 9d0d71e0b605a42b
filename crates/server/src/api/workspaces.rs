//! ModelArts workspaces, a registry modelarts-iam owns (`huaweicloudsdkmodelarts`,
//! huawei-more.md §5, docs/workspaces.md). Served here also in proxy mode (these rows make the
//! routes the server's own, so the gateway never forwards them):
//!
//! - `POST /v1/{project_id}/workspaces` `{name, description?, enterprise_project_id?, auth_type?,
//!   grants?}` → the workspace with its `grants`
//! - `GET /v1/{project_id}/workspaces?offset&limit&sort_by&order&enterprise_project_id&name&
//!   filter_accessible` → `{total_count, count, workspaces}` (the default workspace `0` included)
//! - `GET|PUT|DELETE /v1/{project_id}/workspaces/{workspace_id}`; `GET|PUT …/quotas`
//!
//! Authorization: the catalog's `modelarts:workspace:*` action on the workspace's URN
//! (`modelarts:<region>:<account>:workspace:<id>`) with `g:EnterpriseProjectId` (the
//! workspace's, or the body's / query's for create and list); then the access model
//! ([`crate::snapshot::may_use_workspace`]: `PRIVATE` workspaces are their creator's and the
//! tenant administrator's, `INTERNAL` ones also the granted users'); deleting also needs the
//! delete actions of every resource type a workspace holds ([`CLEARED_ON_DELETE`]: seed 000
//! Table 2, `modelarts:*:*delete*` "to clear resources in a workspace when deleting it").

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::on;
use iam_store::{GrantInput, NewWorkspace, StoreError, Workspace, WorkspaceUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Key, Method, Params, Reply, Sources, Target};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::snapshot::WorkspaceView;
use crate::state::AppState;

/// Every row: the workspace the path names (or `*` for create and list), with
/// `g:EnterpriseProjectId`.
const WS: Sources = Sources {
    target: Target::Path,
    keys: &[Key::EnterpriseProjectId],
};

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v1/{project_id}/workspaces",
        operation_id: "CreateWorkspace",
        tag: "modelarts",
        summary: "Create a ModelArts workspace",
        authz: Authz::Catalog(WS),
        route: |m| on(m, create),
        query: None,
        request: Some(Body::of::<CreateBody>()),
        response: Reply::ok::<WorkspaceDetail>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/{project_id}/workspaces",
        operation_id: "ListWorkspace",
        tag: "modelarts",
        summary: "List ModelArts workspaces",
        authz: Authz::Catalog(WS),
        route: |m| on(m, list),
        query: Some(Params::of::<ListQuery>()),
        request: None,
        response: Reply::ok::<WorkspaceList>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/{project_id}/workspaces/{workspace_id}",
        operation_id: "ShowWorkspace",
        tag: "modelarts",
        summary: "Show a ModelArts workspace with its grants",
        authz: Authz::Catalog(WS),
        route: |m| on(m, show),
        query: None,
        request: None,
        response: Reply::ok::<WorkspaceDetail>(),
    },
    Endpoint {
        method: Method::Put,
        path: "/v1/{project_id}/workspaces/{workspace_id}",
        operation_id: "UpdateWorkspace",
        tag: "modelarts",
        summary: "Modify a ModelArts workspace",
        authz: Authz::Catalog(WS),
        route: |m| on(m, update),
        query: None,
        request: Some(Body::of::<UpdateBody>()),
        response: Reply::ok::<WorkspaceId>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v1/{project_id}/workspaces/{workspace_id}",
        operation_id: "DeleteWorkspace",
        tag: "modelarts",
        summary: "Delete a ModelArts workspace (also needs the delete actions of what it holds)",
        authz: Authz::Catalog(WS),
        route: |m| on(m, delete),
        query: None,
        request: None,
        response: Reply::ok::<WorkspaceId>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/{project_id}/workspaces/{workspace_id}/quotas",
        operation_id: "ShowWorkspaceQuotas",
        tag: "modelarts",
        summary: "Quotas of a ModelArts workspace",
        authz: Authz::Catalog(WS),
        route: |m| on(m, show_quotas),
        query: None,
        request: None,
        response: Reply::ok::<Quotas>(),
    },
    Endpoint {
        method: Method::Put,
        path: "/v1/{project_id}/workspaces/{workspace_id}/quotas",
        operation_id: "UpdateWorkspaceQuotas",
        tag: "modelarts",
        summary: "Set quotas of a ModelArts workspace",
        authz: Authz::Catalog(WS),
        route: |m| on(m, update_quotas),
        query: None,
        request: Some(Body::of::<UpdateQuotasBody>()),
        response: Reply::ok::<Quotas>(),
    },
];

/// The resource types a workspace holds: those whose create requests carry a `workspace_id`
/// (huawei-more.md §5, "Where `workspace_id` travels": training jobs, algorithms, notebooks,
/// services, workflows, images, pools). Deleting a workspace clears them, so it needs each
/// one's `modelarts:<type>:delete` on `modelarts:<region>:<account>:<type>:*`; they are also
/// the resources of the workspace quotas.
pub const CLEARED_ON_DELETE: &[&str] = &[
    "notebook",
    "trainJob",
    "aiAlgorithm",
    "service",
    "workflow",
    "image",
    "pool",
];

/// A workspace quota resource: (resource, English name, Chinese name, English unit, Chinese
/// unit). The resources are [`CLEARED_ON_DELETE`]'s.
const QUOTA_RESOURCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "notebook",
        "Notebook instances",
        "Notebook实例",
        "instance",
        "个",
    ),
    ("trainJob", "Training jobs", "训练作业", "job", "个"),
    ("aiAlgorithm", "Algorithms", "算法", "algorithm", "个"),
    ("service", "Inference services", "推理服务", "service", "个"),
    ("workflow", "Workflows", "工作流", "workflow", "个"),
    ("image", "Images", "镜像", "image", "个"),
    ("pool", "Resource pools", "资源池", "pool", "个"),
];
/// The smallest and largest quota that may be set (besides `-1`, unlimited, the default).
const MIN_QUOTA: i64 = 1;
const MAX_QUOTA: i64 = 10_000;

/// A grant as requests give it and the detail shows it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Grant {
    /// The IAM user's id (wins over `user_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    /// The IAM user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    /// `IAM` (default). `FEDERATE` and `AGENCY` are refused: modelarts-iam has no federated
    /// users and does not share workspaces with agency sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_type: Option<String>,
}

impl From<&Grant> for GrantInput {
    fn from(g: &Grant) -> Self {
        GrantInput {
            user_id: g.user_id.clone(),
            user_name: g.user_name.clone(),
            user_type: g.user_type.clone(),
        }
    }
}

/// `POST /v1/{project_id}/workspaces`' body (`CreateWorkspaceReq`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    /// 4-64 Chinese characters, letters, digits, `-` and `_`; not `default`; unique in the
    /// account ignoring letter case.
    #[schema(min_length = 4, max_length = 64)]
    name: String,
    /// At most 256 characters.
    #[serde(default)]
    #[schema(max_length = 256)]
    description: Option<String>,
    /// `0` (default) or the id of an enabled enterprise project of the account.
    #[serde(default)]
    enterprise_project_id: Option<String>,
    /// `PUBLIC` (default), `PRIVATE` or `INTERNAL`, in any letter case.
    #[serde(default)]
    auth_type: Option<String>,
    /// Users an `INTERNAL` workspace is shared with (at most 500; ignored for other types).
    #[serde(default)]
    #[schema(max_items = 500)]
    grants: Option<Vec<Grant>>,
}

/// `PUT /v1/{project_id}/workspaces/{workspace_id}`' body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    /// New name.
    #[serde(default)]
    #[schema(min_length = 4, max_length = 64)]
    name: Option<String>,
    /// New description.
    #[serde(default)]
    #[schema(max_length = 256)]
    description: Option<String>,
    /// New access type; a type other than `INTERNAL` clears the grants.
    #[serde(default)]
    auth_type: Option<String>,
    /// The new list of grants (replaces the old one).
    #[serde(default)]
    #[schema(max_items = 500)]
    grants: Option<Vec<Grant>>,
}

/// A workspace (ModelArts `W`), with its grants on show and create.
#[derive(Serialize, ToSchema)]
struct WorkspaceDetail {
    /// `0` or 32 lower-case hex digits.
    id: String,
    /// Name.
    name: String,
    /// Description.
    description: String,
    /// The creator's name.
    owner: String,
    /// `PUBLIC`, `PRIVATE` or `INTERNAL`.
    auth_type: String,
    /// `0` or an enterprise project id.
    enterprise_project_id: String,
    /// The enterprise project's name.
    enterprise_project_name: String,
    /// `NORMAL`.
    status: String,
    /// Empty (ModelArts' reason of a failed creation or deletion).
    status_info: String,
    /// Milliseconds since the epoch.
    create_time: i64,
    /// Milliseconds since the epoch.
    update_time: i64,
    /// The users an `INTERNAL` workspace is shared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    grants: Option<Vec<Grant>>,
}

/// `GET /v1/{project_id}/workspaces`' answer.
#[derive(Serialize, ToSchema)]
struct WorkspaceList {
    /// Matching workspaces before `offset` and `limit`.
    total_count: usize,
    /// Workspaces on this page.
    count: usize,
    /// This page.
    workspaces: Vec<WorkspaceDetail>,
}

/// `{"workspace_id"}`: the answer of update and delete.
#[derive(Serialize, ToSchema)]
struct WorkspaceId {
    workspace_id: String,
}

/// `GET /v1/{project_id}/workspaces`' query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Workspaces to skip (default 0).
    #[serde(default)]
    offset: Option<u32>,
    /// 1-1000 (default 1000).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `name` (default), `update_time` or `status`.
    #[serde(default)]
    #[param(pattern = "^(name|update_time|status)$")]
    sort_by: Option<String>,
    /// `desc` (default) or `asc`.
    #[serde(default)]
    #[param(pattern = "^(asc|desc)$")]
    order: Option<String>,
    /// Only the workspaces of this enterprise project.
    #[serde(default)]
    enterprise_project_id: Option<String>,
    /// Part of the name (case-insensitive).
    #[serde(default)]
    name: Option<String>,
    /// Only the workspaces the caller may use (default `false`).
    #[serde(default)]
    filter_accessible: Option<bool>,
}

/// One quota of a workspace.
#[derive(Serialize, ToSchema)]
struct Quota {
    /// The resource (a catalog resource type: `notebook`, `trainJob` ...).
    resource: &'static str,
    /// The quota, `-1` for unlimited.
    quota: i64,
    /// `null`: modelarts-iam does not see the resources (the upstream ModelArts has them).
    used_quota: Option<i64>,
    /// Largest settable quota.
    max_quota: i64,
    /// Smallest settable quota (besides `-1`).
    min_quota: i64,
    /// Chinese name.
    name_cn: &'static str,
    /// English name.
    name_en: &'static str,
    /// Chinese unit.
    unit_cn: &'static str,
    /// English unit.
    unit_en: &'static str,
    /// When it was last set (milliseconds since the epoch; 0 when never set).
    update_time: i64,
}

/// `{"quotas": [...]}`.
#[derive(Serialize, ToSchema)]
struct Quotas {
    quotas: Vec<Quota>,
}

/// One quota to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct QuotaSetting {
    /// The resource.
    resource: String,
    /// A positive number within the resource's bounds, or `-1` (unlimited).
    quota: i64,
}

/// `PUT …/quotas`' body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateQuotasBody {
    quotas: Vec<QuotaSetting>,
}

/// Milliseconds since the epoch of a stored time.
fn millis(rfc3339: &str) -> i64 {
    crate::auth::parse_rfc3339(rfc3339).map_or(0, |t| {
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
    })
}

/// The project, which must be of the caller's account (404 otherwise, as for others' data).
async fn own_project(st: &AppState, caller: &Caller, project_id: &str) -> ApiResult<()> {
    match st.store().get_project(project_id).await {
        Ok(p) if p.account_id == caller.account_id => Ok(()),
        Ok(_) | Err(StoreError::NotFound { .. }) => Err(ApiError::not_found(format!(
            "project {} does not exist",
            project_id.chars().take(64).collect::<String>()
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The workspace of the path, which the caller may use: 400 for an id that is not one, 404 for
/// none of the caller's account, 403 when its access type excludes the caller.
async fn usable(
    st: &AppState,
    caller: &Caller,
    project_id: &str,
    workspace_id: &str,
) -> ApiResult<WorkspaceView> {
    own_project(st, caller, project_id).await?;
    if !iam_store::is_workspace_id(workspace_id) {
        return Err(ApiError::bad_request(format!(
            "invalid workspace_id `{}`: `0` or 32 lower-case hex digits is expected",
            workspace_id.chars().take(64).collect::<String>()
        )));
    }
    let snapshot = st.current();
    let Some(ws) = snapshot.workspace(&caller.account_id, workspace_id) else {
        return Err(ApiError::not_found(format!(
            "workspace {workspace_id} does not exist"
        )));
    };
    if !snapshot.caller_may_use_workspace(caller, ws) {
        return Err(ApiError::forbidden(
            format!(
                "User: {} may not use workspace {workspace_id}: it is {} (only its creator, the tenant administrator{} may use it)",
                caller.urn,
                ws.auth_type.as_str(),
                if ws.auth_type == crate::snapshot::WorkspaceAccess::Internal {
                    " and the users it is shared with"
                } else {
                    ""
                }
            ),
            None,
        ));
    }
    Ok(ws.clone())
}

/// [`usable`], for a change of the workspace itself (update, delete, quotas): a `PRIVATE` or
/// `INTERNAL` workspace is administered only by its creator and the tenant administrator — the
/// users it is shared with may work in it, not reconfigure it (open it to everyone, change its
/// grants, delete it). A `PUBLIC` one by whoever the policies allow.
async fn administrable(
    st: &AppState,
    caller: &Caller,
    project_id: &str,
    workspace_id: &str,
) -> ApiResult<WorkspaceView> {
    let ws = usable(st, caller, project_id, workspace_id).await?;
    if ws.auth_type == crate::snapshot::WorkspaceAccess::Public {
        return Ok(ws);
    }
    let snapshot = st.current();
    let user = caller.user_id();
    let owner = user.is_some_and(|u| u == ws.owner_user_id);
    let admin = user.is_some_and(|u| snapshot.is_tenant_admin(&caller.account_id, u));
    if owner || admin {
        return Ok(ws);
    }
    Err(ApiError::forbidden(
        format!(
            "User: {} may not change workspace {workspace_id}: it is {}, and only its creator and the tenant administrator change it (the users it is shared with work in it)",
            caller.urn,
            ws.auth_type.as_str()
        ),
        None,
    ))
}

/// The creator of a new workspace: the user's id and name, or for an agency session no id and
/// the session's name.
fn owner(caller: &Caller) -> (String, String) {
    let name = caller
        .urn
        .rsplit([':', '/'])
        .next()
        .unwrap_or_default()
        .to_owned();
    (caller.user_id().unwrap_or_default().to_owned(), name)
}

async fn detail(st: &AppState, w: Workspace, with_grants: bool) -> ApiResult<WorkspaceDetail> {
    let ep_name = st
        .current()
        .enterprise_project(&w.account_id, &w.enterprise_project_id)
        .map_or_else(String::new, |p| p.name.clone());
    let grants = if with_grants {
        Some(
            st.store()
                .workspace_grants(&w.id)
                .await?
                .into_iter()
                .map(|g| Grant {
                    user_id: Some(g.user_id),
                    user_name: Some(g.user_name),
                    user_type: Some(g.user_type),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(WorkspaceDetail {
        create_time: millis(&w.created_at),
        update_time: millis(&w.updated_at),
        id: w.id,
        name: w.name,
        description: w.description,
        owner: w.owner_name,
        auth_type: w.auth_type,
        enterprise_project_id: w.enterprise_project_id,
        enterprise_project_name: ep_name,
        status: w.status,
        status_info: String::new(),
        grants,
    })
}

async fn create(
    State(st): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    JsonBody(b): JsonBody<CreateBody>,
) -> ApiResult<Json<WorkspaceDetail>> {
    own_project(&st, &caller, &project_id).await?;
    let (owner_user_id, owner_name) = owner(&caller);
    let w = NewWorkspace {
        name: b.name,
        description: b.description.unwrap_or_default(),
        auth_type: b.auth_type,
        enterprise_project_id: b.enterprise_project_id,
        grants: b
            .grants
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(GrantInput::from)
            .collect(),
        owner_user_id,
        owner_name,
    };
    let account = caller.account_id.clone();
    let created = st
        .write(|s| async move { s.create_workspace(&account, &w).await })
        .await?;
    Ok(Json(detail(&st, created, true).await?))
}

async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<WorkspaceList>> {
    own_project(&st, &caller, &project_id).await?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    let sort_by = q.sort_by.as_deref().unwrap_or("name");
    if !matches!(sort_by, "name" | "update_time" | "status") {
        return Err(ApiError::bad_request(format!(
            "sort_by `{sort_by}` is not supported; use `name`, `update_time` or `status`"
        )));
    }
    let asc = crate::page::ascending("order", q.order.as_deref())?;
    let needle = q.name.as_deref().map(str::to_lowercase);
    let all = st.store().list_workspaces(&caller.account_id).await?;
    let mut rows: Vec<Workspace> = {
        let snapshot = st.current();
        all.into_iter()
            .filter(|w| {
                q.enterprise_project_id
                    .as_deref()
                    .is_none_or(|ep| w.enterprise_project_id == ep)
            })
            .filter(|w| {
                needle
                    .as_deref()
                    .is_none_or(|n| w.name.to_lowercase().contains(n))
            })
            .filter(|w| {
                !q.filter_accessible.unwrap_or(false)
                    || snapshot
                        .workspace(&caller.account_id, &w.id)
                        .is_some_and(|v| snapshot.caller_may_use_workspace(&caller, v))
            })
            .collect()
    };
    rows.sort_by(|a, b| {
        let ord = match sort_by {
            "update_time" => a.updated_at.cmp(&b.updated_at),
            "status" => a.status.cmp(&b.status),
            _ => a.name.cmp(&b.name),
        };
        ord.then_with(|| a.id.cmp(&b.id))
    });
    if !asc {
        rows.reverse();
    }
    let total_count = rows.len();
    let mut workspaces = Vec::new();
    for w in rows
        .into_iter()
        .skip(q.offset.unwrap_or(0) as usize)
        .take(limit as usize)
    {
        workspaces.push(detail(&st, w, false).await?);
    }
    Ok(Json(WorkspaceList {
        total_count,
        count: workspaces.len(),
        workspaces,
    }))
}

async fn show(
    State(st): State<AppState>,
    caller: Caller,
    Path((project_id, workspace_id)): Path<(String, String)>,
) -> ApiResult<Json<WorkspaceDetail>> {
    usable(&st, &caller, &project_id, &workspace_id).await?;
    let w = st
        .store()
        .get_workspace(&caller.account_id, &workspace_id)
        .await?;
    Ok(Json(detail(&st, w, true).await?))
}

async fn update(
    State(st): State<AppState>,
    caller: Caller,
    Path((project_id, workspace_id)): Path<(String, String)>,
    JsonBody(b): JsonBody<UpdateBody>,
) -> ApiResult<Json<WorkspaceId>> {
    administrable(&st, &caller, &project_id, &workspace_id).await?;
    let u = WorkspaceUpdate {
        name: b.name,
        description: b.description,
        auth_type: b.auth_type,
        grants: b.grants.map(|g| g.iter().map(GrantInput::from).collect()),
    };
    let account = caller.account_id.clone();
    let id = workspace_id.clone();
    st.write(|s| async move { s.update_workspace(&account, &id, &u).await })
        .await?;
    Ok(Json(WorkspaceId { workspace_id }))
}

async fn delete(
    State(st): State<AppState>,
    caller: Caller,
    Path((project_id, workspace_id)): Path<(String, String)>,
) -> ApiResult<Json<WorkspaceId>> {
    administrable(&st, &caller, &project_id, &workspace_id).await?;
    if workspace_id == iam_store::DEFAULT_ID {
        return Err(ApiError::forbidden(
            "workspace cannot be modified: `0` is the account's default workspace: it cannot be deleted",
            None,
        ));
    }
    // Clearing the workspace's resources: the delete action of every type it may hold (seed 000
    // Table 2: `modelarts:*:*delete*`).
    for kind in CLEARED_ON_DELETE {
        let resource = format!("modelarts:{}:{}:{kind}:*", st.region(), caller.account_id);
        st.authorize_api_call(&caller, &format!("modelarts:{kind}:delete"), &resource)?;
    }
    let account = caller.account_id.clone();
    let id = workspace_id.clone();
    st.write(|s| async move { s.delete_workspace(&account, &id).await })
        .await?;
    Ok(Json(WorkspaceId { workspace_id }))
}

async fn quotas_of(st: &AppState, caller: &Caller, workspace_id: &str) -> ApiResult<Quotas> {
    let set = st
        .store()
        .workspace_quotas(&caller.account_id, workspace_id)
        .await?;
    Ok(Quotas {
        quotas: QUOTA_RESOURCES
            .iter()
            .map(|&(resource, name_en, name_cn, unit_en, unit_cn)| {
                let stored = set.iter().find(|q| q.resource == resource);
                Quota {
                    resource,
                    quota: stored.map_or(-1, |q| q.quota),
                    used_quota: None,
                    max_quota: MAX_QUOTA,
                    min_quota: MIN_QUOTA,
                    name_cn,
                    name_en,
                    unit_cn,
                    unit_en,
                    update_time: stored.map_or(0, |q| millis(&q.updated_at)),
                }
            })
            .collect(),
    })
}

async fn show_quotas(
    State(st): State<AppState>,
    caller: Caller,
    Path((project_id, workspace_id)): Path<(String, String)>,
) -> ApiResult<Json<Quotas>> {
    usable(&st, &caller, &project_id, &workspace_id).await?;
    Ok(Json(quotas_of(&st, &caller, &workspace_id).await?))
}

async fn update_quotas(
    State(st): State<AppState>,
    caller: Caller,
    Path((project_id, workspace_id)): Path<(String, String)>,
    JsonBody(b): JsonBody<UpdateQuotasBody>,
) -> ApiResult<Json<Quotas>> {
    administrable(&st, &caller, &project_id, &workspace_id).await?;
    if b.quotas.is_empty() {
        return Err(ApiError::bad_request(
            "invalid request body at `quotas`: at least one quota is required",
        ));
    }
    let mut settings: Vec<(String, i64)> = Vec::with_capacity(b.quotas.len());
    for (i, q) in b.quotas.iter().enumerate() {
        if !QUOTA_RESOURCES.iter().any(|r| r.0 == q.resource) {
            return Err(ApiError::bad_request(format!(
                "invalid request body at `quotas[{i}].resource`: `{}` is not a workspace quota resource (one of {})",
                q.resource.chars().take(64).collect::<String>(),
                QUOTA_RESOURCES
                    .iter()
                    .map(|r| r.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if q.quota != -1 && !(MIN_QUOTA..=MAX_QUOTA).contains(&q.quota) {
            return Err(ApiError::bad_request(format!(
                "invalid request body at `quotas[{i}].quota`: {} is not -1 (unlimited) or between {MIN_QUOTA} and {MAX_QUOTA}",
                q.quota
            )));
        }
        settings.push((q.resource.clone(), q.quota));
    }
    let account = caller.account_id.clone();
    let id = workspace_id.clone();
    st.write(|s| async move { s.put_workspace_quotas(&account, &id, &settings).await })
        .await?;
    Ok(Json(quotas_of(&st, &caller, &workspace_id).await?))
}
