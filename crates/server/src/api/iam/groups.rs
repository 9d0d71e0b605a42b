//! User groups and their members (`/v5/groups...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use serde::Deserialize;
use serde_json::{Value, json};

use super::attachments::UserIdBody;
use super::*;
use crate::auth::Caller;
use crate::endpoints::{Authz, Endpoint, Method, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::{page_response, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/groups",
        operation_id: "CreateGroupV5",
        tag: "iam",
        summary: "Create a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_group),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/groups",
        operation_id: "ListGroupsV5",
        tag: "iam",
        summary: "List groups",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_groups),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/groups/{group_id}",
        operation_id: "ShowGroupV5",
        tag: "iam",
        summary: "Get a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_group),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/groups/{group_id}",
        operation_id: "UpdateGroupV5",
        tag: "iam",
        summary: "Update a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_group),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/groups/{group_id}",
        operation_id: "DeleteGroupV5",
        tag: "iam",
        summary: "Delete a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_group),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/groups/{group_id}/add-user",
        operation_id: "AddUserToGroupV5",
        tag: "iam",
        summary: "Add a user to a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, add_user),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/groups/{group_id}/remove-user",
        operation_id: "RemoveUserFromGroupV5",
        tag: "iam",
        summary: "Remove a user from a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, remove_user),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
];

#[derive(Deserialize)]
struct CreateGroupBody {
    group_name: String,
    #[serde(default)]
    description: String,
}

async fn create_group(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateGroupBody>,
) -> ApiResult<Json<Value>> {
    let account = caller.account_id.clone();
    let g = st
        .write(|s| async move {
            s.create_group(&account, &b.group_name, &b.description)
                .await
        })
        .await?;
    Ok(Json(json!({ "group": group_json(&g) })))
}

#[derive(Deserialize)]
struct ListGroupsQuery {
    limit: Option<u32>,
    marker: Option<String>,
    user_id: Option<String>,
}

async fn list_groups(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListGroupsQuery>,
) -> ApiResult<Json<Value>> {
    let page = store_page(q.limit, q.marker)?;
    if let Some(u) = &q.user_id {
        own_user(st.store(), &caller, u).await?;
    }
    let p = st
        .store()
        .list_groups(&caller.account_id, q.user_id.as_deref(), &page)
        .await?;
    Ok(page_response("groups", p, group_json))
}

async fn get_group(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let g = own_group(st.store(), &caller, &group_id).await?;
    Ok(Json(json!({ "group": group_json(&g) })))
}

#[derive(Deserialize)]
struct UpdateGroupBody {
    new_group_name: Option<String>,
    new_group_description: Option<String>,
}

async fn update_group(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
    JsonBody(b): JsonBody<UpdateGroupBody>,
) -> ApiResult<Json<Value>> {
    own_group(st.store(), &caller, &group_id).await?;
    let upd = iam_store::GroupUpdate {
        name: b.new_group_name,
        description: b.new_group_description,
    };
    let g = st
        .write(|s| async move { s.update_group(&group_id, &upd).await })
        .await?;
    Ok(Json(json!({ "group": group_json(&g) })))
}

async fn delete_group(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
) -> ApiResult<Response> {
    own_group(st.store(), &caller, &group_id).await?;
    st.write(|s| async move { s.delete_group(&group_id).await })
        .await?;
    Ok(no_content())
}

async fn add_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
    JsonBody(b): JsonBody<UserIdBody>,
) -> ApiResult<Response> {
    own_group(st.store(), &caller, &group_id).await?;
    own_user(st.store(), &caller, &b.user_id).await?;
    st.write(|s| async move { s.add_user_to_group(&group_id, &b.user_id).await })
        .await?;
    Ok(no_content())
}

async fn remove_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
    JsonBody(b): JsonBody<UserIdBody>,
) -> ApiResult<Response> {
    own_group(st.store(), &caller, &group_id).await?;
    own_user(st.store(), &caller, &b.user_id).await?;
    st.write(|s| async move { s.remove_user_from_group(&group_id, &b.user_id).await })
        .await?;
    Ok(no_content())
}
