//! User groups and their members (`/v5/groups...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use serde::{Deserialize, Serialize};

use super::*;
use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery, store_items};
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
        request: Some(Body::of::<CreateGroupBody>()),
        response: Reply::ok::<GroupResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/groups",
        operation_id: "ListGroupsV5",
        tag: "iam",
        summary: "List groups",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_groups),
        query: Some(Params(paged_with::<ListGroupsFilter>)),
        request: None,
        response: Reply::ok::<ListGroupsResponse>(),
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
        response: Reply::ok::<GroupResponse>(),
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
        request: Some(Body::of::<UpdateGroupBody>()),
        response: Reply::ok::<GroupResponse>(),
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
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/groups/{group_id}/add-user",
        operation_id: "AddUserToGroupV5",
        tag: "iam",
        summary: "Add a user to a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, member::<true>),
        query: None,
        request: Some(Body::of::<GroupMemberBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/groups/{group_id}/remove-user",
        operation_id: "RemoveUserFromGroupV5",
        tag: "iam",
        summary: "Remove a user from a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, member::<false>),
        query: None,
        request: Some(Body::of::<GroupMemberBody>()),
        response: Reply::NO_CONTENT,
    },
];

/// `CreateGroupV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateGroupBody {
    /// 1-128 Chinese characters, letters, digits, spaces, `_`, `-`, `{` and `}`, not starting
    /// or ending with a space. (The pattern lists the CJK blocks of the Basic Multilingual Plane;
    /// the server also accepts CJK extensions B to I.)
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[A-Za-z0-9_{}\u3400-\u4DBF\u4E00-\u9FFF-](?:[A-Za-z0-9_{} \u3400-\u4DBF\u4E00-\u9FFF-]*[A-Za-z0-9_{}\u3400-\u4DBF\u4E00-\u9FFF-])?$"
    )]
    group_name: String,
    /// At most 1000 characters (default empty).
    #[serde(default)]
    #[schema(max_length = 1000)]
    description: String,
}

/// `{"group": {...}}`: the group created, shown, updated.
#[derive(Serialize, utoipa::ToSchema)]
struct GroupResponse {
    group: GroupView,
}

/// `ListGroupsV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct ListGroupsResponse {
    groups: Vec<GroupView>,
    page_info: PageInfo,
}

async fn create_group(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateGroupBody>,
) -> ApiResult<Json<GroupResponse>> {
    let account = caller.account_id.clone();
    let g = st
        .write(|s| async move {
            s.create_group(&account, &b.group_name, &b.description)
                .await
        })
        .await?;
    Ok(Json(GroupResponse { group: (&g).into() }))
}

/// `ListGroupsV5`'s filters, besides `limit` and `marker`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListGroupsFilter {
    /// Only the groups of this user (of the caller's account, else 404).
    user_id: Option<String>,
}

async fn list_groups(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(page): QueryParams<PageQuery>,
    QueryParams(q): QueryParams<ListGroupsFilter>,
) -> ApiResult<Json<ListGroupsResponse>> {
    let page = page.to_store()?;
    if let Some(u) = &q.user_id {
        own_user(st.store(), &caller, u).await?;
    }
    let p = st
        .store()
        .list_groups(&caller.account_id, q.user_id.as_deref(), &page)
        .await?;
    let (groups, page_info) = store_items(p, |g| g.into());
    Ok(Json(ListGroupsResponse { groups, page_info }))
}

async fn get_group(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
) -> ApiResult<Json<GroupResponse>> {
    let g = own_group(st.store(), &caller, &group_id).await?;
    Ok(Json(GroupResponse { group: (&g).into() }))
}

/// `UpdateGroupV5`'s request body: the members given are changed (the account's `admin` group
/// cannot be changed: 409).
#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateGroupBody {
    /// The new name, as `group_name` of `CreateGroupV5`.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[A-Za-z0-9_{}\u3400-\u4DBF\u4E00-\u9FFF-](?:[A-Za-z0-9_{} \u3400-\u4DBF\u4E00-\u9FFF-]*[A-Za-z0-9_{}\u3400-\u4DBF\u4E00-\u9FFF-])?$"
    )]
    new_group_name: Option<String>,
    /// The new description, at most 1000 characters.
    #[schema(max_length = 1000)]
    new_group_description: Option<String>,
}

async fn update_group(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
    JsonBody(b): JsonBody<UpdateGroupBody>,
) -> ApiResult<Json<GroupResponse>> {
    own_group(st.store(), &caller, &group_id).await?;
    let upd = iam_store::GroupUpdate {
        name: b.new_group_name,
        description: b.new_group_description,
    };
    let g = st
        .write(|s| async move { s.update_group(&group_id, &upd).await })
        .await?;
    Ok(Json(GroupResponse { group: (&g).into() }))
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

/// `AddUserToGroupV5` and `RemoveUserFromGroupV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct GroupMemberBody {
    /// The user (of the caller's account, else 404).
    user_id: String,
}

/// `add-user` (`ADD`) and `remove-user`: the group and the user must both be the caller's
/// account's.
async fn member<const ADD: bool>(
    State(st): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
    JsonBody(b): JsonBody<GroupMemberBody>,
) -> ApiResult<Response> {
    own_group(st.store(), &caller, &group_id).await?;
    own_user(st.store(), &caller, &b.user_id).await?;
    st.write(|s| async move {
        if ADD {
            s.add_user_to_group(&group_id, &b.user_id).await
        } else {
            s.remove_user_from_group(&group_id, &b.user_id).await
        }
    })
    .await?;
    Ok(no_content())
}
