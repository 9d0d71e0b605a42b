//! Identity policies and their versions (`/v5/policies...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::PolicyType;
use serde::{Deserialize, Serialize};

use super::*;
use crate::auth::Caller;
use crate::documents::{DocumentKind, check_document};
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery, store_items, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/policies",
        operation_id: "CreatePolicyV5",
        tag: "iam",
        summary: "Create an identity policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_policy),
        query: None,
        request: Some(Body::of::<CreatePolicyBody>()),
        response: Reply::ok::<IdentityPolicyResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies",
        operation_id: "ListPoliciesV5",
        tag: "iam",
        summary: "List identity policies",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_policies),
        query: Some(Params::of::<ListPoliciesQuery>()),
        request: None,
        response: Reply::ok::<ListIdentityPoliciesResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies/{policy_id}",
        operation_id: "GetPolicyV5",
        tag: "iam",
        summary: "Get an identity policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_policy),
        query: None,
        request: None,
        response: Reply::ok::<IdentityPolicyResponse>(),
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/policies/{policy_id}",
        operation_id: "UpdatePolicyV5",
        tag: "iam",
        summary: "Update a policy's description",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_policy),
        query: None,
        request: Some(Body::of::<UpdatePolicyBody>()),
        response: Reply::ok::<IdentityPolicyResponse>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/policies/{policy_id}",
        operation_id: "DeletePolicyV5",
        tag: "iam",
        summary: "Delete an identity policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_policy),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/versions",
        operation_id: "CreatePolicyVersionV5",
        tag: "iam",
        summary: "Create a policy version",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_version),
        query: None,
        request: Some(Body::of::<CreateVersionBody>()),
        response: Reply::ok::<PolicyVersionResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies/{policy_id}/versions",
        operation_id: "ListPolicyVersionsV5",
        tag: "iam",
        summary: "List policy versions",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_versions),
        query: Some(Params::of::<PageQuery>()),
        request: None,
        response: Reply::ok::<ListPolicyVersionsResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies/{policy_id}/versions/{version_id}",
        operation_id: "GetPolicyVersionV5",
        tag: "iam",
        summary: "Get a policy version",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_version),
        query: None,
        request: None,
        response: Reply::ok::<PolicyVersionResponse>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/policies/{policy_id}/versions/{version_id}",
        operation_id: "DeletePolicyVersionV5",
        tag: "iam",
        summary: "Delete a policy version",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_version),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/versions/{version_id}/set-default",
        operation_id: "SetDefaultPolicyVersionV5",
        tag: "iam",
        summary: "Make a version the default",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, set_default_version),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
];

/// `CreatePolicyV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreatePolicyBody {
    /// 1-128 of letters, digits and `_+=.@-`, not `.` and without `..`; unique in the account
    /// whatever the letter case.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^\.?[A-Za-z0-9_+=@-]+(\.[A-Za-z0-9_+=@-]+)*\.?$"
    )]
    policy_name: String,
    /// The identity policy document, as JSON text (at most 6,144 bytes); it must compile, else
    /// 400 `IAM.0008` with the findings.
    #[schema(min_length = 1, max_length = 6144)]
    policy_document: String,
    /// `""` (the default) or segments each ending with `/` (`a/b/`): letters, digits and
    /// `_+=,.@-`, at most 512 characters.
    #[serde(default)]
    #[schema(max_length = 512, pattern = "^([A-Za-z0-9_+=,.@-]+/)*$")]
    path: String,
    /// At most 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    description: String,
}

/// `{"policy": {...}}`: one identity policy.
#[derive(Serialize, utoipa::ToSchema)]
struct IdentityPolicyResponse {
    /// The policy.
    policy: IdentityPolicyView,
}

impl IdentityPolicyResponse {
    fn of(p: &Policy) -> Json<Self> {
        Json(IdentityPolicyResponse {
            policy: IdentityPolicyView::of(p),
        })
    }
}

async fn create_policy(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreatePolicyBody>,
) -> ApiResult<Json<IdentityPolicyResponse>> {
    check_document(&b.policy_document, DocumentKind::Identity)?;
    let account = caller.account_id.clone();
    let new = iam_store::NewPolicy {
        name: b.policy_name,
        document: b.policy_document,
        path: b.path,
        description: b.description,
    };
    let p = st
        .write(|s| async move { s.create_policy(&account, &new).await })
        .await?;
    Ok(IdentityPolicyResponse::of(&p))
}

/// `ListPoliciesV5`'s query parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListPoliciesQuery {
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_marker`.
    #[param(pattern = "^[A-Za-z0-9+/=_-]{4,400}$")]
    marker: Option<String>,
    /// Only `custom` or only `system` policies.
    #[param(pattern = "^(custom|system)$")]
    policy_type: Option<String>,
    /// Only policies whose path starts with this.
    path_prefix: Option<String>,
    /// Only policies attached to at least one principal (default `false`).
    only_attached: Option<bool>,
}

/// `ListPoliciesV5`'s answer: the account's custom policies and the system policies.
#[derive(Serialize, utoipa::ToSchema)]
struct ListIdentityPoliciesResponse {
    /// This page of policies, oldest first.
    policies: Vec<IdentityPolicyView>,
    /// Paging.
    page_info: PageInfo,
}

async fn list_policies(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListPoliciesQuery>,
) -> ApiResult<Json<ListIdentityPoliciesResponse>> {
    let page = store_page(q.limit, q.marker)?;
    let policy_type = match q.policy_type.as_deref() {
        None => None,
        Some("custom") => Some(PolicyType::Custom),
        Some("system") => Some(PolicyType::System),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid query parameter `policy_type`: `{other}` is not `custom` or `system`"
            )));
        }
    };
    let filter = iam_store::PolicyFilter {
        policy_type,
        path_prefix: q.path_prefix,
        only_attached: q.only_attached.unwrap_or(false),
    };
    let p = st
        .store()
        .list_policies(&caller.account_id, &filter, &page)
        .await?;
    let (policies, page_info) = store_items(p, IdentityPolicyView::of);
    Ok(Json(ListIdentityPoliciesResponse {
        policies,
        page_info,
    }))
}

async fn get_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
) -> ApiResult<Json<IdentityPolicyResponse>> {
    let p = own_policy(st.store(), &caller, &policy_id).await?;
    Ok(IdentityPolicyResponse::of(&p))
}

/// `UpdatePolicyV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct UpdatePolicyBody {
    /// The new description, at most 1,000 characters.
    #[schema(max_length = 1000)]
    description: String,
}

async fn update_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<UpdatePolicyBody>,
) -> ApiResult<Json<IdentityPolicyResponse>> {
    own_custom_policy(st.store(), &caller, &policy_id).await?;
    let p = st
        .write(|s| async move {
            s.update_policy_description(&policy_id, &b.description)
                .await
        })
        .await?;
    Ok(IdentityPolicyResponse::of(&p))
}

async fn delete_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
) -> ApiResult<Response> {
    own_custom_policy(st.store(), &caller, &policy_id).await?;
    st.write(|s| async move { s.delete_policy(&policy_id).await })
        .await?;
    Ok(no_content())
}

/// `CreatePolicyVersionV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateVersionBody {
    /// The identity policy document, as JSON text (at most 6,144 bytes); it must compile, else
    /// 400 `IAM.0008` with the findings.
    #[schema(min_length = 1, max_length = 6144)]
    policy_document: String,
    /// Make the new version the default (default `false`).
    #[serde(default)]
    set_as_default: bool,
}

/// `{"policy_version": {...}}`: one policy version.
#[derive(Serialize, utoipa::ToSchema)]
struct PolicyVersionResponse {
    /// The version.
    policy_version: PolicyVersionView,
}

impl PolicyVersionResponse {
    fn of(v: &PolicyVersion) -> Json<Self> {
        Json(PolicyVersionResponse {
            policy_version: PolicyVersionView::of(v),
        })
    }
}

/// `ListPolicyVersionsV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct ListPolicyVersionsResponse {
    /// This page of versions, oldest first.
    versions: Vec<PolicyVersionView>,
    /// Paging.
    page_info: PageInfo,
}

async fn create_version(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<CreateVersionBody>,
) -> ApiResult<Json<PolicyVersionResponse>> {
    own_custom_policy(st.store(), &caller, &policy_id).await?;
    check_document(&b.policy_document, DocumentKind::Identity)?;
    let v = st
        .write(|s| async move {
            s.create_policy_version(&policy_id, &b.policy_document, b.set_as_default)
                .await
        })
        .await?;
    Ok(PolicyVersionResponse::of(&v))
}

async fn list_versions(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<ListPolicyVersionsResponse>> {
    own_policy(st.store(), &caller, &policy_id).await?;
    let p = st
        .store()
        .list_policy_versions(&policy_id, &q.to_store()?)
        .await?;
    let (versions, page_info) = store_items(p, PolicyVersionView::of);
    Ok(Json(ListPolicyVersionsResponse {
        versions,
        page_info,
    }))
}

async fn get_version(
    State(st): State<AppState>,
    caller: Caller,
    Path((policy_id, version_id)): Path<(String, String)>,
) -> ApiResult<Json<PolicyVersionResponse>> {
    own_policy(st.store(), &caller, &policy_id).await?;
    let v = st
        .store()
        .get_policy_version(&policy_id, &version_id)
        .await?;
    Ok(PolicyVersionResponse::of(&v))
}

async fn delete_version(
    State(st): State<AppState>,
    caller: Caller,
    Path((policy_id, version_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    own_custom_policy(st.store(), &caller, &policy_id).await?;
    st.write(|s| async move { s.delete_policy_version(&policy_id, &version_id).await })
        .await?;
    Ok(no_content())
}

async fn set_default_version(
    State(st): State<AppState>,
    caller: Caller,
    Path((policy_id, version_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    own_custom_policy(st.store(), &caller, &policy_id).await?;
    st.write(|s| async move { s.set_default_policy_version(&policy_id, &version_id).await })
        .await?;
    Ok(no_content())
}
