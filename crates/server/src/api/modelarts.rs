//! The ModelArts agency APIs (`huaweicloudsdkmodelarts`, huawei-iam.md §5.5):
//!
//! - `POST /v2/{project_id}/agency` `{"agency_name_suffix": "user01"}`: one-click authorization.
//!   Creates the agency `ma_agency_<suffix>` (`modelarts_agency` without a suffix) trusted by
//!   `service.ModelArts`, with the dependent services' system policies attached
//!   ([`ONE_CLICK_SYSTEM_POLICIES`], as Huawei's console does). The extension member
//!   `agency_scopes` (scenario ids such as `t11-training-jobs`, or names such as `Training jobs`)
//!   builds a custom agency instead: generated identity policies granting the basic agency
//!   authorization scope of seed 000 Tables 10-14 for those scenarios only.
//! - `POST /v2/{project_id}/authorizations` `{"user_id", "type": "agency", "content": <agency
//!   name>}`: which agency ModelArts uses for a user (`user_id: "all"` = every IAM user);
//!   `GET` lists them (`{"total_count", "auth": [...]}`), `DELETE ?user_id=` removes one.
//!
//! Only the tenant administrator (the account root user, or a member of the account's built-in
//! system group `admin`, by id: docs/server.md) may create agencies here or view or configure
//! authorizations; anyone else gets 403 even when their policies allow the action (seed 000,
//! "Risks in Unauthorized Operations"; Huawei: only the tenant administrator views and configures
//! ModelArts authorizations). The catalog routes are authorized by the middleware first
//! (`iam:agencies:createAgency`, `iam:authorizations:create|list|delete`).

use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::on;
use iam_catalog::Catalog;
use iam_store::{NewAgency, NewPolicy, PrincipalType, Store, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v2/{project_id}/agency",
        operation_id: "CreateModelArtsAgency",
        tag: "modelarts",
        summary: "ModelArts one-click agency creation",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_agency),
        query: None,
        request: Some(Body::of::<CreateAgencyBody>()),
        response: Reply::ok::<CreatedAgency>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v2/{project_id}/authorizations",
        operation_id: "CreateModelArtsAuthorization",
        tag: "modelarts",
        summary: "Configure the agency ModelArts uses for a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_authorization),
        query: None,
        request: Some(Body::of::<CreateAuthorizationBody>()),
        response: Reply::ok::<Authorization>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v2/{project_id}/authorizations",
        operation_id: "ListModelArtsAuthorizations",
        tag: "modelarts",
        summary: "List ModelArts authorizations",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_authorizations),
        query: Some(Params::of::<ListQuery>()),
        request: None,
        response: Reply::ok::<Authorizations>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v2/{project_id}/authorizations",
        operation_id: "DeleteModelArtsAuthorization",
        tag: "modelarts",
        summary: "Remove a ModelArts authorization",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_authorization),
        query: Some(Params::of::<DeleteQuery>()),
        request: None,
        response: Reply::ok::<DeletedAuthorization>(),
    },
];

/// `create_time` as ModelArts answers it: milliseconds since the Unix epoch.
fn millis(rfc3339: &str) -> i64 {
    crate::auth::parse_rfc3339(rfc3339).map_or(0, |t| {
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
    })
}

/// The trust policy of agencies ModelArts creates.
pub const MODELARTS_TRUST_POLICY: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Principal":{"Service":["service.ModelArts"]},"Action":["sts:agencies:assume"]}]}"#;

/// True when the caller is the tenant administrator of its account: its root user, or a member of
/// the account's built-in `admin` group, which the store marks as a system group (found by that
/// mark, never by name: any group can be called `admin`-like, none can become the system group).
/// Agency sessions are never tenant administrators.
async fn is_tenant_admin(store: &Store, caller: &Caller) -> ApiResult<bool> {
    if caller.is_root() {
        return Ok(true);
    }
    let Some(user_id) = caller.user_id() else {
        return Ok(false);
    };
    Ok(store.is_tenant_admin(&caller.account_id, user_id).await?)
}

async fn require_admin(store: &Store, caller: &Caller, what: &str) -> ApiResult<()> {
    if is_tenant_admin(store, caller).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            format!(
                "User: {} is not the tenant administrator: only the tenant administrator may {what} (agency authorizations of users must not exceed their own permissions)",
                caller.urn
            ),
            None,
        ))
    }
}

/// The project, which must belong to the caller's account (404 otherwise, as for others' data).
async fn own_project(store: &Store, caller: &Caller, project_id: &str) -> ApiResult<()> {
    match store.get_project(project_id).await {
        Ok(p) if p.account_id == caller.account_id => Ok(()),
        Ok(_) | Err(StoreError::NotFound { .. }) => Err(ApiError::not_found(format!(
            "project {project_id} does not exist"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// `POST /v2/{project_id}/agency`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAgencyBody {
    /// The agency is named `ma_agency_<suffix>` (`modelarts_agency` without one): at most 50
    /// letters, digits, `-` and `_`.
    #[serde(default)]
    #[schema(max_length = 50, pattern = "^[A-Za-z0-9_-]*$")]
    agency_name_suffix: Option<String>,
    /// Extension: scenario ids or names of Tables 10-14 (custom agency); all when absent.
    #[serde(default)]
    agency_scopes: Option<Vec<String>>,
}

/// The agency created by one-click authorization.
#[derive(Serialize, ToSchema)]
struct CreatedAgency {
    /// `modelarts_agency` or `ma_agency_<suffix>`.
    agency_name: String,
    /// The agency's id.
    agency_id: String,
    /// The agency's URN.
    agency_urn: String,
    /// The trust policy: ModelArts (`service.ModelArts`) may assume the agency.
    trust_policy: &'static str,
    /// The ids of the scope policies attached to it.
    policy_ids: Vec<String>,
}

fn agency_name(suffix: Option<&str>) -> ApiResult<String> {
    match suffix {
        None | Some("") => Ok("modelarts_agency".to_owned()),
        Some(s) if s.len() > 50 => Err(ApiError::bad_request(
            "agency_name_suffix must be at most 50 characters",
        )),
        Some(s)
            if !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Err(ApiError::bad_request(
                "agency_name_suffix may contain only letters, digits, `-` and `_`",
            ))
        }
        Some(s) => Ok(format!("ma_agency_{s}")),
    }
}

/// The system policies one-click authorization attaches to the agency it creates, by name: what
/// Huawei's console attaches to the agency it creates ("Permissions: ModelArts CommonOperations,
/// OBS OperateAccess, Tenant Administrator", the last "required for using other dependent
/// services": huawei-more.md §6). Tenant Administrator allows every service but IAM.
pub const ONE_CLICK_SYSTEM_POLICIES: &[&str] = &[
    "ModelArts CommonOperations",
    "OBS OperateAccess",
    "Tenant Administrator",
];

/// The ids of [`ONE_CLICK_SYSTEM_POLICIES`].
fn one_click_policy_ids() -> ApiResult<Vec<String>> {
    ONE_CLICK_SYSTEM_POLICIES
        .iter()
        .map(|name| {
            crate::system_policies::system_policy_id(name).ok_or_else(|| {
                ApiError::internal(format!("the catalog has no system policy `{name}`"))
            })
        })
        .collect()
}

/// The identity policies of a custom ModelArts agency: the basic scope of Tables 10-14, or the
/// named scenarios of it.
pub fn agency_scope_policies(scopes: Option<&[String]>) -> Result<Vec<String>, String> {
    let catalog = Catalog::builtin();
    let all = iam_assistant::agency_scope_scenarios(catalog);
    let owned: Vec<iam_assistant::Scenario>;
    let selected: Vec<&iam_assistant::Scenario> = match scopes {
        None => all.iter().collect(),
        Some([]) => {
            return Err(
                "agency_scopes is empty; name at least one scenario of Tables 10-14".into(),
            );
        }
        Some(names) => {
            // Agency scope ids / names (Tables 10-14), or function scenarios (Tables 1-9)
            // mapped to the agency scopes they need.
            let functions = iam_assistant::scenarios(catalog);
            let mut out: Vec<iam_assistant::Scenario> = Vec::new();
            let mut unknown = Vec::new();
            for n in names {
                let found: Vec<iam_assistant::Scenario> =
                    match iam_assistant::resolve_scenarios(&all, std::slice::from_ref(n)) {
                        Ok(v) => v.into_iter().cloned().collect(),
                        Err(_) => match iam_assistant::resolve_scenarios(
                            &functions,
                            std::slice::from_ref(n),
                        ) {
                            Ok(v) => iam_assistant::agency_scopes_for(catalog, &v),
                            Err(_) => Vec::new(),
                        },
                    };
                if found.is_empty() {
                    unknown.push(n.clone());
                }
                for f in found {
                    if !out.iter().any(|o| o.id == f.id) {
                        out.push(f);
                    }
                }
            }
            if !unknown.is_empty() {
                return Err(format!(
                    "unknown agency scope(s) {}; use one of: {}, or a function scenario of Tables 1-9 that needs an agency",
                    unknown.join(", "),
                    all.iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            owned = out;
            owned.iter().collect()
        }
    };
    let generated = iam_assistant::generate::from_scenarios(
        catalog,
        &selected,
        &iam_assistant::Scope::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(generated.documents())
}

async fn create_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    JsonBody(b): JsonBody<CreateAgencyBody>,
) -> ApiResult<Json<CreatedAgency>> {
    own_project(st.store(), &caller, &project_id).await?;
    require_admin(st.store(), &caller, "create ModelArts agencies").await?;
    let name = agency_name(b.agency_name_suffix.as_deref())?;
    // One-click: the dependent services' system policies (seed 000: "the authorization scope is
    // specified based on the preset system policies of dependent services … almost all
    // permissions of dependent services"). Custom (`agency_scopes`): generated least-privilege
    // policies for the chosen scenarios of Tables 10-14.
    let (docs, system_ids) = match b.agency_scopes.as_deref() {
        None => (Vec::new(), one_click_policy_ids()?),
        Some(scopes) => (
            agency_scope_policies(Some(scopes)).map_err(ApiError::bad_request)?,
            Vec::new(),
        ),
    };
    let account = caller.account_id.clone();
    let agency_name = name.clone();
    let (agency, policy_ids) = st
        .write(|s| async move {
            // One transaction: the agency, its scope policies and their attachments are all
            // created, or none is.
            let mut tx = s.begin().await?;
            let agency = tx
                .create_agency(
                    &account,
                    &NewAgency {
                        name: agency_name.clone(),
                        path: String::new(),
                        trust_policy: MODELARTS_TRUST_POLICY.to_owned(),
                        max_session_duration: None,
                        description: "Created by ModelArts one-click authorization".to_owned(),
                    },
                )
                .await?;
            let mut ids: Vec<String> = Vec::new();
            for id in &system_ids {
                tx.attach_policy(id, PrincipalType::Agency, &agency.id)
                    .await?;
                ids.push(id.clone());
            }
            for (i, doc) in docs.iter().enumerate() {
                let pname = if docs.len() == 1 {
                    format!("{agency_name}_policy")
                } else {
                    format!("{agency_name}_policy_{}", i + 1)
                };
                let p = tx
                    .create_policy(
                        &account,
                        &NewPolicy {
                            name: pname,
                            document: doc.clone(),
                            path: String::new(),
                            description: "ModelArts basic agency authorization scope".to_owned(),
                        },
                    )
                    .await?;
                tx.attach_policy(&p.id, PrincipalType::Agency, &agency.id)
                    .await?;
                ids.push(p.id);
            }
            tx.commit().await?;
            Ok((agency, ids))
        })
        .await?;
    Ok(Json(CreatedAgency {
        agency_name: agency.name,
        agency_id: agency.id,
        agency_urn: agency.urn,
        trust_policy: MODELARTS_TRUST_POLICY,
        policy_ids,
    }))
}

/// `POST /v2/{project_id}/authorizations`'s body (ModelArts `CreateAuthorization`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAuthorizationBody {
    /// The IAM user's id, or `all` with `user_type` `all-users`.
    user_id: String,
    /// `agency` (access-key `credential` authorizations are not supported).
    #[serde(rename = "type")]
    #[schema(pattern = "^agency$")]
    kind: String,
    /// The agency's name.
    content: String,
    /// Only for `credential` authorizations: refused.
    #[serde(default)]
    secret_key: Option<String>,
    /// The user's name (informational; the id decides).
    #[serde(default)]
    user_name: Option<String>,
    /// `iam` (default) or `all-users`.
    #[serde(default)]
    #[schema(pattern = "^(iam|all-users)$")]
    user_type: Option<String>,
}

/// One authorization: which agency ModelArts uses for a user (or for all users).
#[derive(Serialize, ToSchema)]
struct Authorization {
    /// The user's id, or `all`.
    user_id: String,
    /// Always `agency`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The agency's name.
    content: String,
    /// The user's name (`all-users` for `all`); absent in the answer to a create.
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    /// `iam` or `all-users`.
    user_type: &'static str,
    /// Milliseconds since the epoch.
    create_time: i64,
}

/// `GET /v2/{project_id}/authorizations`' answer.
#[derive(Serialize, ToSchema)]
struct Authorizations {
    /// Authorizations in the project, before paging.
    total_count: usize,
    /// This page.
    auth: Vec<Authorization>,
}

/// `DELETE /v2/{project_id}/authorizations`' answer.
#[derive(Serialize, ToSchema)]
struct DeletedAuthorization {
    /// The user whose authorization was removed.
    user_id: String,
}

fn user_type(user_id: &str) -> &'static str {
    if user_id == "all" { "all-users" } else { "iam" }
}

async fn create_authorization(
    State(st): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    JsonBody(b): JsonBody<CreateAuthorizationBody>,
) -> ApiResult<Json<Authorization>> {
    own_project(st.store(), &caller, &project_id).await?;
    require_admin(st.store(), &caller, "configure agencies for users").await?;
    if b.kind != "agency" {
        return Err(ApiError::bad_request(
            "type must be `agency`: access-key (`credential`) authorizations are not supported",
        ));
    }
    if b.secret_key.is_some() {
        return Err(ApiError::bad_request(
            "secret_key is only for `credential` authorizations",
        ));
    }
    match (b.user_type.as_deref(), b.user_id.as_str()) {
        (None | Some("iam"), "all") => {
            return Err(ApiError::bad_request(
                "user_id `all` needs user_type `all-users`",
            ));
        }
        (None | Some("iam"), _) | (Some("all-users"), "all") => {}
        (Some("all-users"), _) => {
            return Err(ApiError::bad_request(
                "user_type `all-users` needs user_id `all`",
            ));
        }
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "user_type `{other}` is not supported; use `iam` or `all-users`"
            )));
        }
    }
    let _ = b.user_name;
    let agency = match st
        .store()
        .get_agency_by_name(&caller.account_id, &b.content)
        .await
    {
        Ok(a) => a,
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::not_found(format!(
                "agency {} does not exist",
                b.content
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let user_id = b.user_id.clone();
    let a = st
        .write(|s| async move { s.put_authorization(&project_id, &user_id, &agency.id).await })
        .await?;
    Ok(Json(Authorization {
        user_type: user_type(&a.user_id),
        user_id: a.user_id,
        kind: "agency",
        content: b.content,
        user_name: None,
        create_time: millis(&a.created_at),
    }))
}

/// `GET /v2/{project_id}/authorizations`' query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `user_name` or `create_time` (default).
    #[serde(default)]
    #[param(pattern = "^(user_name|create_time)$")]
    sort_by: Option<String>,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    #[param(pattern = "^(asc|desc)$")]
    order: Option<String>,
    /// 1-1000, default 1000.
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Authorizations to skip.
    #[serde(default)]
    offset: Option<u32>,
}

async fn list_authorizations(
    State(st): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Authorizations>> {
    own_project(st.store(), &caller, &project_id).await?;
    require_admin(st.store(), &caller, "view agency authorizations").await?;
    match q.sort_by.as_deref() {
        None | Some("user_name") | Some("create_time") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "sort_by `{other}` is not supported; use `user_name` or `create_time`"
            )));
        }
    }
    let desc = match q.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "order `{other}` is not supported; use `asc` or `desc`"
            )));
        }
    };
    let limit = q.limit.unwrap_or(1000);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    let store = st.store();
    let list = store.list_authorizations(&project_id).await?;
    let mut agencies: Vec<(String, String)> = Vec::new();
    for a in &list {
        if !agencies.iter().any(|(id, _)| *id == a.agency_id) {
            let g = store.get_agency(&a.agency_id).await?;
            agencies.push((g.id, g.name));
        }
    }
    let mut user_names: Vec<(String, String)> = Vec::new();
    for a in list.iter().filter(|a| a.user_id != "all") {
        match store.get_user(&a.user_id).await {
            Ok(u) => user_names.push((u.id, u.name)),
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut rows: Vec<Authorization> = list
        .iter()
        .map(|a| {
            let agency = agencies
                .iter()
                .find(|(id, _)| *id == a.agency_id)
                .map_or(a.agency_id.clone(), |(_, n)| n.clone());
            let user_name = if a.user_id == "all" {
                "all-users".to_owned()
            } else {
                user_names
                    .iter()
                    .find(|(id, _)| *id == a.user_id)
                    .map_or(String::new(), |(_, n)| n.clone())
            };
            Authorization {
                user_id: a.user_id.clone(),
                kind: "agency",
                content: agency,
                user_name: Some(user_name),
                user_type: user_type(&a.user_id),
                create_time: millis(&a.created_at),
            }
        })
        .collect();
    if q.sort_by.as_deref() == Some("user_name") {
        rows.sort_by(|x, y| x.user_name.cmp(&y.user_name));
    } else {
        rows.sort_by_key(|a| a.create_time);
    }
    if desc {
        rows.reverse();
    }
    let total = rows.len();
    let offset = q.offset.unwrap_or(0) as usize;
    let auth = rows.into_iter().skip(offset).take(limit as usize).collect();
    Ok(Json(Authorizations {
        total_count: total,
        auth,
    }))
}

/// `DELETE /v2/{project_id}/authorizations`' query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    /// The user (or `all`) whose authorization to remove.
    user_id: String,
}

async fn delete_authorization(
    State(st): State<AppState>,
    caller: Caller,
    Path(project_id): Path<String>,
    QueryParams(q): QueryParams<DeleteQuery>,
) -> ApiResult<Json<DeletedAuthorization>> {
    own_project(st.store(), &caller, &project_id).await?;
    require_admin(st.store(), &caller, "remove agency authorizations").await?;
    let user_id = q.user_id.clone();
    st.write(|s| async move { s.delete_authorization(&project_id, &user_id).await })
        .await?;
    Ok(Json(DeletedAuthorization { user_id: q.user_id }))
}
