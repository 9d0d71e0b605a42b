//! Identity policies and their versions (`/v5/policies...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::PolicyType;
use serde::Deserialize;
use serde_json::{Value, json};

use super::*;
use crate::auth::Caller;
use crate::documents::{DocumentKind, check_document};
use crate::endpoints::{Authz, Endpoint, Method, Reply, Sources};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageQuery, page_response, store_page};
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
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies",
        operation_id: "ListPoliciesV5",
        tag: "iam",
        summary: "List identity policies",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_policies),
        query: None,
        request: None,
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
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
        request: None,
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
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
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies/{policy_id}/versions",
        operation_id: "ListPolicyVersionsV5",
        tag: "iam",
        summary: "List policy versions",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_versions),
        query: None,
        request: None,
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
    },
];

#[derive(Deserialize)]
struct CreatePolicyBody {
    policy_name: String,
    policy_document: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    description: String,
}

async fn create_policy(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreatePolicyBody>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({ "policy": policy_json(&p) })))
}

#[derive(Deserialize)]
struct ListPoliciesQuery {
    limit: Option<u32>,
    marker: Option<String>,
    policy_type: Option<String>,
    path_prefix: Option<String>,
    only_attached: Option<bool>,
}

async fn list_policies(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListPoliciesQuery>,
) -> ApiResult<Json<Value>> {
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
    Ok(page_response("policies", p, policy_json))
}

async fn get_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let p = own_policy(st.store(), &caller, &policy_id).await?;
    Ok(Json(json!({ "policy": policy_json(&p) })))
}

#[derive(Deserialize)]
struct UpdatePolicyBody {
    description: String,
}

async fn update_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<UpdatePolicyBody>,
) -> ApiResult<Json<Value>> {
    own_custom_policy(st.store(), &caller, &policy_id).await?;
    let p = st
        .write(|s| async move {
            s.update_policy_description(&policy_id, &b.description)
                .await
        })
        .await?;
    Ok(Json(json!({ "policy": policy_json(&p) })))
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

#[derive(Deserialize)]
struct CreateVersionBody {
    policy_document: String,
    #[serde(default)]
    set_as_default: bool,
}

async fn create_version(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<CreateVersionBody>,
) -> ApiResult<Json<Value>> {
    own_custom_policy(st.store(), &caller, &policy_id).await?;
    check_document(&b.policy_document, DocumentKind::Identity)?;
    let v = st
        .write(|s| async move {
            s.create_policy_version(&policy_id, &b.policy_document, b.set_as_default)
                .await
        })
        .await?;
    Ok(Json(json!({ "policy_version": version_json(&v) })))
}

async fn list_versions(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Value>> {
    own_policy(st.store(), &caller, &policy_id).await?;
    let p = st
        .store()
        .list_policy_versions(&policy_id, &q.to_store()?)
        .await?;
    Ok(page_response("versions", p, version_json))
}

async fn get_version(
    State(st): State<AppState>,
    caller: Caller,
    Path((policy_id, version_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    own_policy(st.store(), &caller, &policy_id).await?;
    let v = st
        .store()
        .get_policy_version(&policy_id, &version_id)
        .await?;
    Ok(Json(json!({ "policy_version": version_json(&v) })))
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
