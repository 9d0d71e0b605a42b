//! Enterprise Project Management Service (EPS) v1.0, the enterprise projects modelarts-iam keeps
//! (`huaweicloudsdkeps`, huawei-more.md §4, docs/workspaces.md):
//!
//! - `POST /v1.0/enterprise-projects` `{name, description?, type?}` → `{"enterprise_project": EP}`
//! - `GET /v1.0/enterprise-projects?id&name&status&type&offset&limit&sort_key&sort_dir` →
//!   `{"enterprise_projects": [EP], "total_count"}` (the default project `0` included)
//! - `GET|PUT|DELETE /v1.0/enterprise-projects/{enterprise_project_id}`
//! - `POST /v1.0/enterprise-projects/{enterprise_project_id}/action` `{"action": "enable" |
//!   "disable"}` → 204: the body selects the action, so the handler authorizes
//!   `eps:enterpriseProjects:enable` or `:disable` on the project itself
//! - `GET /v1.0/enterprise-projects/quotas` → `{"quotas": {"resources": [{type, quota, used}]}}`
//!   (no action: Huawei requires no identity-policy permission for it)
//!
//! Every project of the account is listed; the default project `0` cannot be modified, disabled
//! or deleted (403, like every built-in entity here).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use iam_store::{EnterpriseProject, EnterpriseProjectUpdate, NewEnterpriseProject};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Key, Method, Params, Reply, Sources, Target};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::state::AppState;

/// The path rows: the project named by the path, with `g:EnterpriseProjectId` = its id.
const EP_PATH: Sources = Sources {
    target: Target::Path,
    keys: &[Key::EnterpriseProjectId],
};

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v1.0/enterprise-projects",
        operation_id: "CreateEnterpriseProject",
        tag: "eps",
        summary: "Create an enterprise project",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create),
        query: None,
        request: Some(Body::of::<CreateBody>()),
        response: Reply::ok::<EpAnswer>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1.0/enterprise-projects",
        operation_id: "ListEnterpriseProject",
        tag: "eps",
        summary: "List enterprise projects",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list),
        query: Some(Params::of::<ListQuery>()),
        request: None,
        response: Reply::ok::<EpList>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1.0/enterprise-projects/quotas",
        operation_id: "ShowEnterpriseProjectQuota",
        tag: "eps",
        summary: "Enterprise project quota (no permission required, as Huawei documents)",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, quotas),
        query: None,
        request: None,
        response: Reply::ok::<QuotaAnswer>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1.0/enterprise-projects/{enterprise_project_id}",
        operation_id: "ShowEnterpriseProject",
        tag: "eps",
        summary: "Show an enterprise project",
        authz: Authz::Catalog(EP_PATH),
        route: |m| on(m, show),
        query: None,
        request: None,
        response: Reply::ok::<EpAnswer>(),
    },
    Endpoint {
        method: Method::Put,
        path: "/v1.0/enterprise-projects/{enterprise_project_id}",
        operation_id: "UpdateEnterpriseProject",
        tag: "eps",
        summary: "Modify an enterprise project",
        authz: Authz::Catalog(EP_PATH),
        route: |m| on(m, update),
        query: None,
        request: Some(Body::of::<UpdateBody>()),
        response: Reply::ok::<EpAnswer>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v1.0/enterprise-projects/{enterprise_project_id}",
        operation_id: "DeleteEnterpriseProject",
        tag: "eps",
        summary: "Delete a disabled enterprise project that holds no resources",
        authz: Authz::Catalog(EP_PATH),
        route: |m| on(m, delete),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1.0/enterprise-projects/{enterprise_project_id}/action",
        operation_id: "EnableOrDisableEnterpriseProject",
        tag: "eps",
        summary: "Enable or disable an enterprise project",
        authz: Authz::Handler(
            "eps:enterpriseProjects:enable or eps:enterpriseProjects:disable (the body's `action`) on the enterprise project of the path",
        ),
        route: |m| on(m, action),
        query: None,
        request: Some(Body::of::<ActionBody>()),
        response: Reply::NO_CONTENT,
    },
];

/// An enterprise project as EPS shows it (`EpDetail`).
#[derive(Serialize, ToSchema)]
pub(crate) struct Ep {
    /// UUID, or `0` for the default project.
    id: String,
    /// Name.
    name: String,
    /// Description.
    description: String,
    /// `1` enabled, `2` disabled.
    status: i64,
    /// `prod` or `poc`.
    #[serde(rename = "type")]
    project_type: String,
    /// Always `false` (deleted projects are gone).
    delete_flag: bool,
    /// UTC, `2018-05-18T06:49:06Z`.
    created_at: String,
    /// UTC.
    updated_at: String,
}

/// EPS time: UTC to the second (`2018-05-18T06:49:06Z`).
fn eps_time(stored: &str) -> String {
    match stored.get(..19) {
        Some(head) => format!("{head}Z"),
        None => stored.to_owned(),
    }
}

impl From<EnterpriseProject> for Ep {
    fn from(p: EnterpriseProject) -> Self {
        Ep {
            id: p.id,
            name: p.name,
            description: p.description,
            status: p.status,
            project_type: p.project_type,
            delete_flag: false,
            created_at: eps_time(&p.created_at),
            updated_at: eps_time(&p.updated_at),
        }
    }
}

/// `{"enterprise_project": EP}`.
#[derive(Serialize, ToSchema)]
struct EpAnswer {
    enterprise_project: Ep,
}

/// `{"enterprise_projects": [EP], "total_count"}`.
#[derive(Serialize, ToSchema)]
struct EpList {
    enterprise_projects: Vec<Ep>,
    /// Matching projects before `offset` and `limit`.
    total_count: usize,
}

/// `POST /v1.0/enterprise-projects`' body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    /// 1-64 Chinese characters, letters, digits, `_` and `-`; unique in the account ignoring
    /// letter case; never `default`.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// At most 512 characters.
    #[serde(default)]
    #[schema(max_length = 512)]
    description: Option<String>,
    /// `prod` (default) or `poc`.
    #[serde(default, rename = "type")]
    #[schema(pattern = "^(prod|poc)$")]
    project_type: Option<String>,
}

/// `PUT /v1.0/enterprise-projects/{id}`' body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    /// The (new) name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// The new description.
    #[serde(default)]
    #[schema(max_length = 512)]
    description: Option<String>,
    /// `poc` may become `prod`, never the reverse.
    #[serde(default, rename = "type")]
    #[schema(pattern = "^(prod|poc)$")]
    project_type: Option<String>,
}

/// `POST …/action`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    /// `enable` or `disable`.
    #[schema(pattern = "^(enable|disable)$")]
    action: String,
}

/// `GET /v1.0/enterprise-projects`' query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// One project by id (`0` = the default project).
    #[serde(default)]
    id: Option<String>,
    /// Part of the name (case-insensitive).
    #[serde(default)]
    name: Option<String>,
    /// `1` enabled, `2` disabled.
    #[serde(default)]
    #[param(minimum = 1, maximum = 2)]
    status: Option<i64>,
    /// `prod` or `poc`.
    #[serde(default, rename = "type")]
    #[param(pattern = "^(prod|poc)$")]
    project_type: Option<String>,
    /// Projects to skip (default 0).
    #[serde(default)]
    offset: Option<u32>,
    /// 1-1000 (default 1000).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `created_at` (default) or `updated_at`.
    #[serde(default)]
    #[param(pattern = "^(created_at|updated_at)$")]
    sort_key: Option<String>,
    /// `desc` (default) or `asc`.
    #[serde(default)]
    #[param(pattern = "^(asc|desc)$")]
    sort_dir: Option<String>,
}

/// One quota (`EpQuotas`).
#[derive(Serialize, ToSchema)]
struct EpQuota {
    /// `enterprise_project`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The quota.
    quota: u32,
    /// Projects the account has (disabled ones count).
    used: usize,
}

/// `{"resources": [...]}`.
#[derive(Serialize, ToSchema)]
struct QuotaResources {
    resources: Vec<EpQuota>,
}

/// `{"quotas": {"resources": [...]}}`.
#[derive(Serialize, ToSchema)]
struct QuotaAnswer {
    quotas: QuotaResources,
}

/// The URN of an enterprise project (the catalog's `enterpriseProject` template).
pub(crate) fn ep_urn(account: &str, id: &str) -> String {
    format!("eps::{account}:enterpriseProject:{id}")
}

/// 400 for a path id that is neither `0` nor a UUID.
fn check_id(id: &str) -> ApiResult<()> {
    if iam_store::is_enterprise_project_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "invalid enterprise_project_id `{}`: `0` or a 36-character UUID is expected",
            id.chars().take(64).collect::<String>()
        )))
    }
}

async fn create(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateBody>,
) -> ApiResult<Json<EpAnswer>> {
    let account = caller.account_id.clone();
    let p = NewEnterpriseProject {
        name: b.name,
        description: b.description.unwrap_or_default(),
        project_type: b.project_type,
    };
    let created = st
        .write(|s| async move { s.create_enterprise_project(&account, &p).await })
        .await?;
    Ok(Json(EpAnswer {
        enterprise_project: created.into(),
    }))
}

async fn list(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<EpList>> {
    let limit = q.limit.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    if q.status.is_some_and(|s| s != 1 && s != 2) {
        return Err(ApiError::bad_request(
            "status must be 1 (enabled) or 2 (disabled)",
        ));
    }
    if let Some(t) = q.project_type.as_deref()
        && t != "prod"
        && t != "poc"
    {
        return Err(ApiError::bad_request("type must be `prod` or `poc`"));
    }
    let by_updated = match q.sort_key.as_deref() {
        None | Some("created_at") => false,
        Some("updated_at") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "sort_key `{other}` is not supported; use `created_at` or `updated_at`"
            )));
        }
    };
    let asc = crate::page::ascending("sort_dir", q.sort_dir.as_deref())?;
    let needle = q.name.as_deref().map(str::to_lowercase);
    let mut rows: Vec<EnterpriseProject> = st
        .store()
        .list_enterprise_projects(&caller.account_id)
        .await?
        .into_iter()
        .filter(|p| q.id.as_deref().is_none_or(|id| p.id == id))
        .filter(|p| {
            needle
                .as_deref()
                .is_none_or(|n| p.name.to_lowercase().contains(n))
        })
        .filter(|p| q.status.is_none_or(|s| p.status == s))
        .filter(|p| {
            q.project_type
                .as_deref()
                .is_none_or(|t| p.project_type == t)
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |p: &EnterpriseProject| {
            if by_updated {
                p.updated_at.clone()
            } else {
                p.created_at.clone()
            }
        };
        key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
    });
    if !asc {
        rows.reverse();
    }
    let total_count = rows.len();
    let offset = q.offset.unwrap_or(0) as usize;
    Ok(Json(EpList {
        enterprise_projects: rows
            .into_iter()
            .skip(offset)
            .take(limit as usize)
            .map(Ep::from)
            .collect(),
        total_count,
    }))
}

async fn quotas(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<QuotaAnswer>> {
    // the default project is not one of the account's own
    let used = st
        .store()
        .list_enterprise_projects(&caller.account_id)
        .await?
        .len()
        .saturating_sub(1);
    Ok(Json(QuotaAnswer {
        quotas: QuotaResources {
            resources: vec![EpQuota {
                kind: "enterprise_project",
                quota: iam_store::MAX_ENTERPRISE_PROJECTS,
                used,
            }],
        },
    }))
}

async fn show(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<EpAnswer>> {
    check_id(&id)?;
    let p = st
        .store()
        .get_enterprise_project(&caller.account_id, &id)
        .await?;
    Ok(Json(EpAnswer {
        enterprise_project: p.into(),
    }))
}

async fn update(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<UpdateBody>,
) -> ApiResult<Json<EpAnswer>> {
    check_id(&id)?;
    let account = caller.account_id.clone();
    let u = EnterpriseProjectUpdate {
        name: b.name,
        description: b.description,
        project_type: b.project_type,
    };
    let p = st
        .write(|s| async move { s.update_enterprise_project(&account, &id, &u).await })
        .await?;
    Ok(Json(EpAnswer {
        enterprise_project: p.into(),
    }))
}

async fn delete(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    check_id(&id)?;
    let account = caller.account_id.clone();
    st.write(|s| async move { s.delete_enterprise_project(&account, &id).await })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn action(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ActionBody>,
) -> ApiResult<StatusCode> {
    let (enable, action) = match b.action.as_str() {
        "enable" => (true, "eps:enterpriseProjects:enable"),
        "disable" => (false, "eps:enterpriseProjects:disable"),
        other => {
            return Err(ApiError::bad_request(format!(
                "invalid request body at `action`: `{}` is not `enable` or `disable`",
                other.chars().take(64).collect::<String>()
            )));
        }
    };
    // decided on the project the path names, with the keys every call gets (and its
    // enterprise project), before anything is looked up
    let urn = ep_urn(&caller.account_id, &id);
    {
        let snapshot = st.current();
        let mut ctx = crate::context::base(&caller, &crate::context::current_facts());
        if let Some(p) = snapshot.enterprise_project(&caller.account_id, &id) {
            ctx.insert("g:EnterpriseProjectId", p.id.clone());
        }
        st.authorize_api_call_in(&snapshot, &caller, action, &urn, &ctx)?;
    }
    check_id(&id)?;
    let account = caller.account_id.clone();
    st.write(|s| async move {
        s.set_enterprise_project_enabled(&account, &id, enable)
            .await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
