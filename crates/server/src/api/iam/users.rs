//! IAM users (`/v5/users...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::StoreError;
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
        path: "/v5/users",
        operation_id: "CreateUserV5",
        tag: "iam",
        summary: "Create a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_user),
        query: None,
        request: Some(Body::of::<CreateUserBody>()),
        response: Reply::ok::<UserResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users",
        operation_id: "ListUsersV5",
        tag: "iam",
        summary: "List users",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_users),
        query: Some(Params(paged_with::<ListUsersFilter>)),
        request: None,
        response: Reply::ok::<ListUsersResponse>(),
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
        response: Reply::ok::<ShowUserResponse>(),
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
        request: Some(Body::of::<UpdateUserBody>()),
        response: Reply::ok::<UserResponse>(),
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
        response: Reply::NO_CONTENT,
    },
];

/// `CreateUserV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateUserBody {
    /// 1-64 letters, digits, `_`, `-`, `.` and spaces; not starting with a digit or a space,
    /// not ending with a space, no `..`, not `.` alone.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^(?:[A-Za-z_-](?:[A-Za-z0-9_ -]*\.(?:[A-Za-z0-9_ -]+\.)*)?(?:[A-Za-z0-9_ -]*[A-Za-z0-9_-])?|\.(?:[A-Za-z0-9_ -]+\.)*[A-Za-z0-9_ -]*[A-Za-z0-9_-]|\.(?:[A-Za-z0-9_ -]+\.)+)$"
    )]
    name: String,
    /// Whether the user may sign in and use access keys (default `true`).
    #[serde(default = "yes")]
    #[schema(default = true)]
    enabled: bool,
    /// At most 1000 characters (default empty).
    #[serde(default)]
    #[schema(max_length = 1000)]
    description: String,
}

fn yes() -> bool {
    true
}

/// `{"user": {...}}`: the user created, updated.
#[derive(Serialize, utoipa::ToSchema)]
struct UserResponse {
    user: UserView,
}

/// A user with its tags.
#[derive(Serialize, utoipa::ToSchema)]
struct UserWithTags {
    #[serde(flatten)]
    user: UserView,
    /// Always empty: tags are not stored.
    tags: Vec<IamTag>,
}

/// `ShowUserV5`'s answer: the user and its tags.
#[derive(Serialize, utoipa::ToSchema)]
struct ShowUserResponse {
    user: UserWithTags,
}

/// `ListUsersV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct ListUsersResponse {
    users: Vec<UserView>,
    page_info: PageInfo,
}

async fn create_user(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateUserBody>,
) -> ApiResult<Json<UserResponse>> {
    let account = caller.account_id.clone();
    let new = iam_store::NewUser {
        name: b.name,
        enabled: b.enabled,
        description: b.description,
    };
    let u = st
        .write(|s| async move { s.create_user(&account, &new).await })
        .await?;
    Ok(Json(UserResponse { user: (&u).into() }))
}

/// `ListUsersV5`'s filters, besides `limit` and `marker`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListUsersFilter {
    /// Only the members of this group (of the caller's account, else 404).
    group_id: Option<String>,
    /// Only the user owning this access key (none if no user of the account owns it).
    access_key_id: Option<String>,
}

async fn list_users(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(page): QueryParams<PageQuery>,
    QueryParams(q): QueryParams<ListUsersFilter>,
) -> ApiResult<Json<ListUsersResponse>> {
    let page = page.to_store()?;
    if let Some(ak) = &q.access_key_id {
        // at most one user owns a key
        let users = match st.store().get_access_key(ak).await {
            Ok(k) => match own_user(st.store(), &caller, &k.user_id).await {
                Ok(u) => vec![UserView::from(&u)],
                Err(_) => vec![],
            },
            Err(StoreError::NotFound { .. }) => vec![],
            Err(e) => return Err(e.into()),
        };
        let page_info = PageInfo {
            next_marker: None,
            current_count: users.len(),
        };
        return Ok(Json(ListUsersResponse { users, page_info }));
    }
    if let Some(g) = &q.group_id {
        own_group(st.store(), &caller, g).await?;
    }
    let p = st
        .store()
        .list_users(&caller.account_id, q.group_id.as_deref(), &page)
        .await?;
    let (users, page_info) = store_items(p, |x| x.into());
    Ok(Json(ListUsersResponse { users, page_info }))
}

async fn get_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<ShowUserResponse>> {
    let u = own_user(st.store(), &caller, &user_id).await?;
    Ok(Json(ShowUserResponse {
        user: UserWithTags {
            user: (&u).into(),
            tags: Vec::new(),
        },
    }))
}

/// `UpdateUserV5`'s request body: the members given are changed.
#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateUserBody {
    /// The new name, as `name` of `CreateUserV5` (the root user cannot be renamed: 409).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^(?:[A-Za-z_-](?:[A-Za-z0-9_ -]*\.(?:[A-Za-z0-9_ -]+\.)*)?(?:[A-Za-z0-9_ -]*[A-Za-z0-9_-])?|\.(?:[A-Za-z0-9_ -]+\.)*[A-Za-z0-9_ -]*[A-Za-z0-9_-]|\.(?:[A-Za-z0-9_ -]+\.)+)$"
    )]
    new_user_name: Option<String>,
    /// The new description, at most 1000 characters.
    #[schema(max_length = 1000)]
    new_description: Option<String>,
    /// Enables or disables the user (the root user cannot be disabled: 409).
    enabled: Option<bool>,
}

async fn update_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    JsonBody(b): JsonBody<UpdateUserBody>,
) -> ApiResult<Json<UserResponse>> {
    own_user(st.store(), &caller, &user_id).await?;
    let upd = iam_store::UserUpdate {
        name: b.new_user_name,
        enabled: b.enabled,
        description: b.new_description,
    };
    let u = st
        .write(|s| async move { s.update_user(&user_id, &upd).await })
        .await?;
    Ok(Json(UserResponse { user: (&u).into() }))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `ShowUserV5` answers the user's members and `tags` side by side; lists carry
    /// `page_info` without `next_marker` on the last page.
    #[test]
    fn answers_keep_the_wire_shape() {
        let u = samples::user();
        samples::assert_beside(
            ShowUserResponse {
                user: UserWithTags {
                    user: (&u).into(),
                    tags: Vec::new(),
                },
            },
            "user",
            UserView::from(&u),
            "tags",
            serde_json::json!([]),
        );
        let list = serde_json::to_value(ListUsersResponse {
            users: vec![(&u).into()],
            page_info: PageInfo {
                next_marker: None,
                current_count: 1,
            },
        })
        .unwrap();
        assert_eq!(list["page_info"], serde_json::json!({"current_count": 1}));
        assert_eq!(list["users"][0]["user_name"], "alice");
    }
}
