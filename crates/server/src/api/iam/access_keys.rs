//! Access keys of users (`/v5/users/{user_id}/access-keys...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::AccessKey;
use serde::{Deserialize, Serialize};

use super::*;
use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery};
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
        response: Reply::ok::<CreateAccessKeyResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users/{user_id}/access-keys",
        operation_id: "ListAccessKeysV5",
        tag: "iam",
        summary: "List a user's access keys",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_access_keys),
        query: Some(Params::of::<PageQuery>()),
        request: None,
        response: Reply::ok::<ListAccessKeysResponse>(),
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
        request: Some(Body::of::<UpdateAccessKeyBody>()),
        response: Reply::ok::<AccessKeyResponse>(),
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
        response: Reply::NO_CONTENT,
    },
];

/// A new access key with its secret, handed out only in this answer.
#[derive(Serialize, utoipa::ToSchema)]
struct CreatedAccessKeyView {
    #[serde(flatten)]
    key: AccessKeyView,
    /// 40 letters and digits.
    secret_access_key: String,
}

/// `CreateAccessKeyV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct CreateAccessKeyResponse {
    access_key: CreatedAccessKeyView,
}

/// `{"access_key": {...}}`: the access key updated.
#[derive(Serialize, utoipa::ToSchema)]
struct AccessKeyResponse {
    access_key: AccessKeyView,
}

/// `ListAccessKeysV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct ListAccessKeysResponse {
    access_keys: Vec<AccessKeyView>,
    page_info: PageInfo,
}

async fn create_access_key(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<CreateAccessKeyResponse>> {
    use secrecy::ExposeSecret as _;
    let user = own_user(st.store(), &caller, &user_id).await?;
    root_keys_are_roots(&caller, &user)?;
    let k = st
        .write(|s| async move { s.create_access_key(&user_id).await })
        .await?;
    Ok(Json(CreateAccessKeyResponse {
        access_key: CreatedAccessKeyView {
            key: (&k.access_key).into(),
            secret_access_key: k.secret_access_key.expose_secret().to_owned(),
        },
    }))
}

async fn list_access_keys(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<ListAccessKeysResponse>> {
    own_user(st.store(), &caller, &user_id).await?;
    let keys = st.store().list_access_keys(&user_id).await?;
    let (page, info) = q.paginate(keys, |k| k.access_key_id.clone())?;
    Ok(Json(ListAccessKeysResponse {
        access_keys: page.iter().map(AccessKeyView::from).collect(),
        page_info: info,
    }))
}

/// `UpdateAccessKeyV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateAccessKeyBody {
    /// `active` or `inactive`.
    #[schema(pattern = "^(active|inactive)$")]
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
) -> ApiResult<Json<AccessKeyResponse>> {
    let status = match b.status.as_str() {
        "active" => AccessKeyStatus::Active,
        "inactive" => AccessKeyStatus::Inactive,
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
    Ok(Json(AccessKeyResponse {
        access_key: (&k).into(),
    }))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A new key is answered with its members and the secret side by side.
    #[test]
    fn answers_keep_the_wire_shape() {
        let k = samples::access_key();
        samples::assert_beside(
            CreateAccessKeyResponse {
                access_key: CreatedAccessKeyView {
                    key: (&k).into(),
                    secret_access_key: "s".into(),
                },
            },
            "access_key",
            AccessKeyView::from(&k),
            "secret_access_key",
            serde_json::json!("s"),
        );
    }
}
