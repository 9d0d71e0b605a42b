//! IAM v5 management API (`huaweicloudsdkiam.v5`): identity policies and versions, attachments,
//! users, groups, access keys, agencies. Paths and JSON shapes are Huawei's; bodies are flat,
//! responses wrap the object (`{"policy": {...}}`), lists carry `page_info`.
//!
//! Every entity is scoped to the caller's account: an id of another account answers 404.

use crate::endpoints::{Authz, Endpoint, EntityKind, Key, Method, Reply, Sources, Target};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use iam_store::{
    AccessKey, Agency, Group, Policy, PolicyType, PolicyVersion, PrincipalType, Store, StoreError,
    User,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::documents::{DocumentKind, check_document};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageQuery, page_json, page_response, store_page};
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
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/attach-user",
        operation_id: "AttachUserPolicyV5",
        tag: "iam",
        summary: "Attach a policy to a user",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "user_id",
                kind: EntityKind::User,
            },
            keys: &[Key::PolicyUrn],
        }),
        route: |m| on(m, attach::<UserIdBody, true>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/detach-user",
        operation_id: "DetachUserPolicyV5",
        tag: "iam",
        summary: "Detach a policy from a user",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "user_id",
                kind: EntityKind::User,
            },
            keys: &[Key::PolicyUrn],
        }),
        route: |m| on(m, attach::<UserIdBody, false>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/attach-group",
        operation_id: "AttachGroupPolicyV5",
        tag: "iam",
        summary: "Attach a policy to a group",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "group_id",
                kind: EntityKind::Group,
            },
            keys: &[Key::PolicyUrn],
        }),
        route: |m| on(m, attach::<GroupIdBody, true>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/detach-group",
        operation_id: "DetachGroupPolicyV5",
        tag: "iam",
        summary: "Detach a policy from a group",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "group_id",
                kind: EntityKind::Group,
            },
            keys: &[Key::PolicyUrn],
        }),
        route: |m| on(m, attach::<GroupIdBody, false>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/attach-agency",
        operation_id: "AttachAgencyPolicyV5",
        tag: "iam",
        summary: "Attach a policy to an agency",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "agency_id",
                kind: EntityKind::Agency,
            },
            keys: &[Key::PolicyUrn],
        }),
        route: |m| on(m, attach::<AgencyIdBody, true>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/policies/{policy_id}/detach-agency",
        operation_id: "DetachAgencyPolicyV5",
        tag: "iam",
        summary: "Detach a policy from an agency",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "agency_id",
                kind: EntityKind::Agency,
            },
            keys: &[Key::PolicyUrn],
        }),
        route: |m| on(m, attach::<AgencyIdBody, false>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies/{policy_id}/attached-entities",
        operation_id: "ListEntitiesForPolicyV5",
        tag: "iam",
        summary: "Principals a policy is attached to",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_entities),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users/{user_id}/attached-policies",
        operation_id: "ListAttachedUserPoliciesV5",
        tag: "iam",
        summary: "Policies attached to a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attached_policies::<UserIdBody>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/groups/{group_id}/attached-policies",
        operation_id: "ListAttachedGroupPoliciesV5",
        tag: "iam",
        summary: "Policies attached to a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attached_policies::<GroupIdBody>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/agencies/{agency_id}/attached-policies",
        operation_id: "ListAttachedAgencyPoliciesV5",
        tag: "iam",
        summary: "Policies attached to an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attached_policies::<AgencyIdBody>),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
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
    Endpoint {
        method: Method::Post,
        path: "/v5/agencies",
        operation_id: "CreateAgencyV5",
        tag: "iam",
        summary: "Create a trust agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/agencies",
        operation_id: "ListAgenciesV5",
        tag: "iam",
        summary: "List agencies",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_agencies),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/agencies/{agency_id}",
        operation_id: "GetAgencyV5",
        tag: "iam",
        summary: "Get an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/agencies/{agency_id}",
        operation_id: "UpdateAgencyV5",
        tag: "iam",
        summary: "Update an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/agencies/{agency_id}",
        operation_id: "DeleteAgencyV5",
        tag: "iam",
        summary: "Delete an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/agencies/{agency_id}/trust-policy",
        operation_id: "UpdateTrustPolicyV5",
        tag: "iam",
        summary: "Replace an agency's trust policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_trust_policy),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
];

// ----------------------------------------------------------------------------------------------
// JSON shapes

pub(crate) fn policy_json(p: &Policy) -> Value {
    json!({
        "policy_type": p.policy_type,
        "policy_name": p.name,
        "policy_id": p.id,
        "urn": p.urn,
        "path": p.path,
        "default_version_id": p.default_version_id,
        "attachment_count": p.attachment_count,
        "description": p.description,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

fn version_json(v: &PolicyVersion) -> Value {
    json!({
        "document": v.document,
        "version_id": v.version_id,
        "is_default": v.is_default,
        "created_at": v.created_at,
    })
}

pub(crate) fn user_json(u: &User) -> Value {
    json!({
        "user_id": u.id,
        "user_name": u.name,
        "urn": u.urn,
        "enabled": u.enabled,
        "is_root_user": u.is_root_user,
        "description": u.description,
        "created_at": u.created_at,
    })
}

fn group_json(g: &Group) -> Value {
    json!({
        "group_id": g.id,
        "group_name": g.name,
        "urn": g.urn,
        "description": g.description,
        "created_at": g.created_at,
    })
}

fn access_key_json(k: &AccessKey) -> Value {
    json!({
        "user_id": k.user_id,
        "access_key_id": k.access_key_id,
        "status": k.status,
        "created_at": k.created_at,
    })
}

fn agency_json(a: &Agency) -> Value {
    json!({
        "agency_id": a.id,
        "agency_name": a.name,
        "urn": a.urn,
        "path": a.path,
        "trust_policy": a.trust_policy,
        "max_session_duration": a.max_session_duration,
        "description": a.description,
        "created_at": a.created_at,
    })
}

/// An empty 204 answer.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

// ----------------------------------------------------------------------------------------------
// account scoping

/// The 404 of an entity that is missing or belongs to another account (or organization): both
/// answer alike, so ids of other tenants are not revealed.
pub(crate) fn not_found(kind: &'static str, id: &str) -> ApiError {
    StoreError::NotFound {
        kind,
        id: id.to_owned(),
    }
    .into()
}

async fn own_policy(store: &Store, caller: &Caller, id: &str) -> ApiResult<Policy> {
    let p = store.get_policy(id).await?;
    match &p.account_id {
        Some(a) if a == &caller.account_id => Ok(p),
        None => Ok(p),
        Some(_) => Err(not_found("policy", id)),
    }
}

async fn own_custom_policy(store: &Store, caller: &Caller, id: &str) -> ApiResult<Policy> {
    let p = own_policy(store, caller, id).await?;
    if p.policy_type == PolicyType::System {
        return Err(ApiError::bad_request(format!(
            "policy `{id}` is a system policy and cannot be changed"
        )));
    }
    Ok(p)
}

async fn own_user(store: &Store, caller: &Caller, id: &str) -> ApiResult<User> {
    let u = store.get_user(id).await?;
    if u.account_id != caller.account_id {
        return Err(not_found("user", id));
    }
    Ok(u)
}

/// The root user's access keys are its own: no other principal may create, change or delete
/// them, whatever its policies allow (a key of the root user bypasses every identity policy and
/// is the tenant administrator; Huawei: the account's own credentials are managed by the account).
fn root_keys_are_roots(caller: &Caller, user: &User) -> ApiResult<()> {
    if user.is_root_user && caller.user_id() != Some(user.id.as_str()) {
        return Err(ApiError::forbidden(
            format!(
                "User: {} is not authorized to manage the access keys of the account's root user: only the root user manages its own access keys.",
                caller.urn
            ),
            None,
        ));
    }
    Ok(())
}

async fn own_group(store: &Store, caller: &Caller, id: &str) -> ApiResult<Group> {
    let g = store.get_group(id).await?;
    if g.account_id != caller.account_id {
        return Err(not_found("group", id));
    }
    Ok(g)
}

async fn own_agency(store: &Store, caller: &Caller, id: &str) -> ApiResult<Agency> {
    let a = store.get_agency(id).await?;
    if a.account_id != caller.account_id {
        return Err(not_found("agency", id));
    }
    Ok(a)
}

// ----------------------------------------------------------------------------------------------
// policies

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

// ----------------------------------------------------------------------------------------------
// attachments

/// The body of an attach/detach call, naming one principal of `KIND`; the type also names the
/// kind in the `attached-policies` routes.
trait PrincipalBody: serde::de::DeserializeOwned + Send {
    const KIND: PrincipalType;
    fn into_id(self) -> String;
}

#[derive(Deserialize)]
struct UserIdBody {
    user_id: String,
}
impl PrincipalBody for UserIdBody {
    const KIND: PrincipalType = PrincipalType::User;
    fn into_id(self) -> String {
        self.user_id
    }
}
#[derive(Deserialize)]
struct GroupIdBody {
    group_id: String,
}
impl PrincipalBody for GroupIdBody {
    const KIND: PrincipalType = PrincipalType::Group;
    fn into_id(self) -> String {
        self.group_id
    }
}
#[derive(Deserialize)]
struct AgencyIdBody {
    agency_id: String,
}
impl PrincipalBody for AgencyIdBody {
    const KIND: PrincipalType = PrincipalType::Agency;
    fn into_id(self) -> String {
        self.agency_id
    }
}

/// Checks that the principal `id` of `kind` belongs to the caller's account.
async fn own_principal(
    store: &Store,
    caller: &Caller,
    kind: PrincipalType,
    id: &str,
) -> ApiResult<()> {
    match kind {
        PrincipalType::User => drop(own_user(store, caller, id).await?),
        PrincipalType::Group => drop(own_group(store, caller, id).await?),
        PrincipalType::Agency => drop(own_agency(store, caller, id).await?),
    }
    Ok(())
}

/// `attach-<kind>` (`ATTACH`) and `detach-<kind>`.
async fn attach<B: PrincipalBody, const ATTACH: bool>(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<B>,
) -> ApiResult<Response> {
    let (kind, principal_id) = (B::KIND, b.into_id());
    own_policy(st.store(), &caller, &policy_id).await?;
    own_principal(st.store(), &caller, kind, &principal_id).await?;
    st.write(|s| async move {
        if ATTACH {
            s.attach_policy(&policy_id, kind, &principal_id).await
        } else {
            s.detach_policy(&policy_id, kind, &principal_id).await
        }
    })
    .await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct EntitiesQuery {
    limit: Option<u32>,
    marker: Option<String>,
    entity_type: Option<String>,
}

async fn list_entities(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    QueryParams(q): QueryParams<EntitiesQuery>,
) -> ApiResult<Json<Value>> {
    own_policy(st.store(), &caller, &policy_id).await?;
    let kind = match q.entity_type.as_deref() {
        None => None,
        Some("user") => Some(PrincipalType::User),
        Some("group") => Some(PrincipalType::Group),
        Some("agency") => Some(PrincipalType::Agency),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid query parameter `entity_type`: `{other}` is not `user`, `group` or `agency`"
            )));
        }
    };
    let page = store_page(q.limit, q.marker)?;
    let p = st
        .store()
        .list_policy_attachments(&policy_id, kind, &page)
        .await?;
    let snapshot = st.snapshot();
    let (mut users, mut groups, mut agencies) = (Vec::new(), Vec::new(), Vec::new());
    for a in &p.items {
        // attachments of other accounts (system policies) are not shown
        if !snapshot.principal_in_account(a.principal_type, &a.principal_id, &caller.account_id) {
            continue;
        }
        match a.principal_type {
            PrincipalType::User => {
                users.push(json!({"user_id": a.principal_id, "attached_at": a.attached_at}))
            }
            PrincipalType::Group => {
                groups.push(json!({"group_id": a.principal_id, "attached_at": a.attached_at}))
            }
            PrincipalType::Agency => {
                agencies.push(json!({"agency_id": a.principal_id, "attached_at": a.attached_at}))
            }
        }
    }
    let count = users.len() + groups.len() + agencies.len();
    let mut page_info = json!({ "current_count": count });
    if let Some(m) = p.next_marker {
        page_info["next_marker"] = json!(m);
    }
    Ok(Json(json!({
        "policy_users": users,
        "policy_groups": groups,
        "policy_agencies": agencies,
        "page_info": page_info,
    })))
}

/// `/v5/{users,groups,agencies}/{id}/attached-policies`.
async fn attached_policies<B: PrincipalBody>(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Value>> {
    own_principal(st.store(), &caller, B::KIND, &id).await?;
    let p = st
        .store()
        .list_attached_policies(B::KIND, &id, &q.to_store()?)
        .await?;
    Ok(page_response(
        "attached_policies",
        p,
        |a| json!({"policy_name": a.policy_name, "policy_id": a.policy_id, "urn": a.urn, "attached_at": a.attached_at}),
    ))
}

// ----------------------------------------------------------------------------------------------
// users

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

// ----------------------------------------------------------------------------------------------
// access keys

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

// ----------------------------------------------------------------------------------------------
// groups

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

// ----------------------------------------------------------------------------------------------
// agencies

#[derive(Deserialize)]
struct CreateAgencyBody {
    agency_name: String,
    trust_policy: String,
    #[serde(default)]
    path: String,
    max_session_duration: Option<i64>,
    #[serde(default)]
    description: String,
}

async fn create_agency(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateAgencyBody>,
) -> ApiResult<Json<Value>> {
    check_document(&b.trust_policy, DocumentKind::Trust)?;
    let account = caller.account_id.clone();
    let new = iam_store::NewAgency {
        name: b.agency_name,
        path: b.path,
        trust_policy: b.trust_policy,
        max_session_duration: b.max_session_duration,
        description: b.description,
    };
    let a = st
        .write(|s| async move { s.create_agency(&account, &new).await })
        .await?;
    Ok(Json(json!({ "agency": agency_json(&a) })))
}

#[derive(Deserialize)]
struct ListAgenciesQuery {
    limit: Option<u32>,
    marker: Option<String>,
    path_prefix: Option<String>,
}

async fn list_agencies(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListAgenciesQuery>,
) -> ApiResult<Json<Value>> {
    let page = store_page(q.limit, q.marker)?;
    let p = st
        .store()
        .list_agencies(&caller.account_id, q.path_prefix.as_deref(), &page)
        .await?;
    Ok(page_response("agencies", p, agency_json))
}

async fn get_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let a = own_agency(st.store(), &caller, &agency_id).await?;
    let mut v = agency_json(&a);
    v["tags"] = json!([]);
    Ok(Json(json!({ "agency": v })))
}

#[derive(Deserialize)]
struct UpdateAgencyBody {
    max_session_duration: Option<i64>,
    description: Option<String>,
}

async fn update_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
    JsonBody(b): JsonBody<UpdateAgencyBody>,
) -> ApiResult<Json<Value>> {
    own_agency(st.store(), &caller, &agency_id).await?;
    let upd = iam_store::AgencyUpdate {
        max_session_duration: b.max_session_duration,
        description: b.description,
    };
    let a = st
        .write(|s| async move { s.update_agency(&agency_id, &upd).await })
        .await?;
    Ok(Json(json!({ "agency": agency_json(&a) })))
}

async fn delete_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
) -> ApiResult<Response> {
    own_agency(st.store(), &caller, &agency_id).await?;
    st.write(|s| async move { s.delete_agency(&agency_id).await })
        .await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct TrustPolicyBody {
    trust_policy: String,
}

async fn update_trust_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
    JsonBody(b): JsonBody<TrustPolicyBody>,
) -> ApiResult<Response> {
    own_agency(st.store(), &caller, &agency_id).await?;
    check_document(&b.trust_policy, DocumentKind::Trust)?;
    st.write(|s| async move { s.update_trust_policy(&agency_id, &b.trust_policy).await })
        .await?;
    Ok(no_content())
}
