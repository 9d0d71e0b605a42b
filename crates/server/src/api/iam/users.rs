//! IAM users (`/v5/users...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::StoreError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::*;
use crate::auth::Caller;
use crate::endpoints::{Authz, Endpoint, Method, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::{page_json, page_response, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/users",
        operation_id: "CreateUserV5",
        tag: "iam",
        summary: "Create a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_user),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users",
        operation_id: "ListUsersV5",
        tag: "iam",
        summary: "List users",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_users),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users/{user_id}",
        operation_id: "ShowUserV5",
        tag: "iam",
        summary: "Get a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_user),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/users/{user_id}",
        operation_id: "UpdateUserV5",
        tag: "iam",
        summary: "Update a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_user),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/users/{user_id}",
        operation_id: "DeleteUserV5",
        tag: "iam",
        summary: "Delete a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_user),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
];

#[derive(Deserialize)]
struct CreateUserBody {
    name: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    description: String,
}

fn yes() -> bool {
    true
}

async fn create_user(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateUserBody>,
) -> ApiResult<Json<Value>> {
    let account = caller.account_id.clone();
    let new = iam_store::NewUser {
        name: b.name,
        enabled: b.enabled,
        description: b.description,
    };
    let u = st
        .write(|s| async move { s.create_user(&account, &new).await })
        .await?;
    Ok(Json(json!({ "user": user_json(&u) })))
}

#[derive(Deserialize)]
struct ListUsersQuery {
    limit: Option<u32>,
    marker: Option<String>,
    group_id: Option<String>,
    access_key_id: Option<String>,
}

async fn list_users(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListUsersQuery>,
) -> ApiResult<Json<Value>> {
    let page = store_page(q.limit, q.marker)?;
    if let Some(ak) = &q.access_key_id {
        // at most one user owns a key
        let users = match st.store().get_access_key(ak).await {
            Ok(k) => match own_user(st.store(), &caller, &k.user_id).await {
                Ok(u) => vec![user_json(&u)],
                Err(_) => vec![],
            },
            Err(StoreError::NotFound { .. }) => vec![],
            Err(e) => return Err(e.into()),
        };
        return Ok(Json(page_json("users", users, None)));
    }
    if let Some(g) = &q.group_id {
        own_group(st.store(), &caller, g).await?;
    }
    let p = st
        .store()
        .list_users(&caller.account_id, q.group_id.as_deref(), &page)
        .await?;
    Ok(page_response("users", p, user_json))
}

async fn get_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let u = own_user(st.store(), &caller, &user_id).await?;
    let mut v = user_json(&u);
    v["tags"] = json!([]);
    Ok(Json(json!({ "user": v })))
}

#[derive(Deserialize)]
struct UpdateUserBody {
    new_user_name: Option<String>,
    new_description: Option<String>,
    enabled: Option<bool>,
}

async fn update_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    JsonBody(b): JsonBody<UpdateUserBody>,
) -> ApiResult<Json<Value>> {
    own_user(st.store(), &caller, &user_id).await?;
    let upd = iam_store::UserUpdate {
        name: b.new_user_name,
        enabled: b.enabled,
        description: b.new_description,
    };
    let u = st
        .write(|s| async move { s.update_user(&user_id, &upd).await })
        .await?;
    Ok(Json(json!({ "user": user_json(&u) })))
}

async fn delete_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Response> {
    own_user(st.store(), &caller, &user_id).await?;
    st.write(|s| async move { s.delete_user(&user_id).await })
        .await?;
    Ok(no_content())
}
