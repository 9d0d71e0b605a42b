//! Access keys of users (`/v5/users/{user_id}/access-keys...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::AccessKey;
use serde::Deserialize;
use serde_json::{Value, json};

use super::*;
use crate::auth::Caller;
use crate::endpoints::{Authz, Endpoint, Method, Reply, Sources};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::PageQuery;
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/users/{user_id}/access-keys",
        operation_id: "CreateAccessKeyV5",
        tag: "iam",
        summary: "Create an access key (at most 2 per user)",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_access_key),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users/{user_id}/access-keys",
        operation_id: "ListAccessKeysV5",
        tag: "iam",
        summary: "List a user's access keys",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_access_keys),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/users/{user_id}/access-keys/{access_key_id}",
        operation_id: "UpdateAccessKeyV5",
        tag: "iam",
        summary: "Activate or deactivate an access key",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_access_key),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/users/{user_id}/access-keys/{access_key_id}",
        operation_id: "DeleteAccessKeyV5",
        tag: "iam",
        summary: "Delete an access key",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_access_key),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
];

async fn create_access_key(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Value>> {
    use secrecy::ExposeSecret as _;
    let user = own_user(st.store(), &caller, &user_id).await?;
    root_keys_are_roots(&caller, &user)?;
    let k = st
        .write(|s| async move { s.create_access_key(&user_id).await })
        .await?;
    let mut v = access_key_json(&k.access_key);
    v["secret_access_key"] = json!(k.secret_access_key.expose_secret());
    Ok(Json(json!({ "access_key": v })))
}

async fn list_access_keys(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Value>> {
    own_user(st.store(), &caller, &user_id).await?;
    let keys = st.store().list_access_keys(&user_id).await?;
    let (page, info) = q.paginate(keys, |k| k.access_key_id.clone())?;
    let items: Vec<Value> = page.iter().map(access_key_json).collect();
    Ok(Json(json!({ "access_keys": items, "page_info": info })))
}

#[derive(Deserialize)]
struct UpdateAccessKeyBody {
    status: String,
}

async fn owned_key(
    st: &AppState,
    caller: &Caller,
    user_id: &str,
    ak: &str,
) -> ApiResult<AccessKey> {
    let user = own_user(st.store(), caller, user_id).await?;
    root_keys_are_roots(caller, &user)?;
    let k = st.store().get_access_key(ak).await?;
    if k.user_id != user_id {
        return Err(not_found("access key", ak));
    }
    Ok(k)
}

async fn update_access_key(
    State(st): State<AppState>,
    caller: Caller,
    Path((user_id, ak)): Path<(String, String)>,
    JsonBody(b): JsonBody<UpdateAccessKeyBody>,
) -> ApiResult<Json<Value>> {
    let status = match b.status.as_str() {
        "active" => iam_store::AccessKeyStatus::Active,
        "inactive" => iam_store::AccessKeyStatus::Inactive,
        other => {
            return Err(ApiError::bad_request(format!(
                "invalid request body at `status`: `{other}` is not `active` or `inactive`"
            )));
        }
    };
    owned_key(&st, &caller, &user_id, &ak).await?;
    let k = st
        .write(|s| async move { s.set_access_key_status(&ak, status).await })
        .await?;
    Ok(Json(json!({ "access_key": access_key_json(&k) })))
}

async fn delete_access_key(
    State(st): State<AppState>,
    caller: Caller,
    Path((user_id, ak)): Path<(String, String)>,
) -> ApiResult<Response> {
    owned_key(&st, &caller, &user_id, &ak).await?;
    st.write(|s| async move { s.delete_access_key(&ak).await })
        .await?;
    Ok(no_content())
}
