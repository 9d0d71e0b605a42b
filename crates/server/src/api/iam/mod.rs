//! IAM v5 management API (`huaweicloudsdkiam.v5`): identity policies and versions, attachments,
//! users, groups, access keys, agencies. Paths and JSON shapes are Huawei's; bodies are flat,
//! responses wrap the object (`{"policy": {...}}`), lists carry `page_info`.
//!
//! Every entity is scoped to the caller's account: an id of another account answers 404.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use iam_store::{
    AccessKey, Agency, Group, Policy, PolicyType, PolicyVersion, Store, StoreError, User,
};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) mod access_keys;
pub(crate) mod agencies;
pub(crate) mod attachments;
pub(crate) mod groups;
pub(crate) mod policies;
pub(crate) mod users;

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
