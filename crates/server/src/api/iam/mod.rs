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
use serde::Serialize;
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

/// An identity policy (`policy` of the policy answers, items of `ListPoliciesV5`).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct IdentityPolicyView {
    /// `custom` (created by the account) or `system` (built in, not editable).
    policy_type: IdentityPolicyType,
    /// The name.
    policy_name: String,
    /// The id.
    policy_id: String,
    /// `iam::<account-id>:policy:<name>` (`iam::system:policy:<name>` for system policies).
    urn: String,
    /// `""` or `a/b/`.
    path: String,
    /// `v<n>` of the default (effective) version.
    default_version_id: String,
    /// Number of users, groups and agencies the policy is attached to.
    #[schema(minimum = 0)]
    attachment_count: i64,
    /// The description.
    description: String,
    /// Creation time.
    created_at: String,
    /// Last update (new version, default change, description).
    updated_at: String,
}

impl IdentityPolicyView {
    pub(crate) fn of(p: &Policy) -> Self {
        IdentityPolicyView {
            policy_type: p.policy_type.into(),
            policy_name: p.name.clone(),
            policy_id: p.id.clone(),
            urn: p.urn.clone(),
            path: p.path.clone(),
            default_version_id: p.default_version_id.clone(),
            attachment_count: p.attachment_count,
            description: p.description.clone(),
            created_at: p.created_at.clone(),
            updated_at: p.updated_at.clone(),
        }
    }
}

/// Whether an identity policy is an account's own or built in.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IdentityPolicyType {
    /// Created by the account.
    Custom,
    /// Built in, visible to every account, attachable but not editable.
    System,
}

impl From<PolicyType> for IdentityPolicyType {
    fn from(t: PolicyType) -> Self {
        match t {
            PolicyType::Custom => IdentityPolicyType::Custom,
            PolicyType::System => IdentityPolicyType::System,
        }
    }
}

/// One version of an identity policy (`policy_version` of the version answers, items of
/// `ListPolicyVersionsV5`).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PolicyVersionView {
    /// The policy document, verbatim as given (JSON text).
    document: String,
    /// `v<n>`.
    version_id: String,
    /// Whether this is the default (effective) version.
    is_default: bool,
    /// Creation time.
    created_at: String,
}

impl PolicyVersionView {
    pub(crate) fn of(v: &PolicyVersion) -> Self {
        PolicyVersionView {
            document: v.document.clone(),
            version_id: v.version_id.clone(),
            is_default: v.is_default,
            created_at: v.created_at.clone(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Member names, order and JSON types of the policy and version objects the SDKs parse.
    #[test]
    fn policy_and_version_objects_keep_their_wire_shape() {
        let p = Policy {
            id: "p1".into(),
            account_id: None,
            name: "n".into(),
            urn: "iam::system:policy:n".into(),
            path: "a/".into(),
            policy_type: PolicyType::System,
            default_version_id: "v2".into(),
            attachment_count: 3,
            description: "d".into(),
            created_at: "c".into(),
            updated_at: "u".into(),
        };
        assert_eq!(
            serde_json::to_string(&IdentityPolicyView::of(&p)).unwrap(),
            r#"{"policy_type":"system","policy_name":"n","policy_id":"p1","urn":"iam::system:policy:n","path":"a/","default_version_id":"v2","attachment_count":3,"description":"d","created_at":"c","updated_at":"u"}"#
        );
        let v = PolicyVersion {
            policy_id: "p1".into(),
            version_id: "v2".into(),
            document: "{}".into(),
            is_default: true,
            created_at: "c".into(),
        };
        assert_eq!(
            serde_json::to_string(&PolicyVersionView::of(&v)).unwrap(),
            r#"{"document":"{}","version_id":"v2","is_default":true,"created_at":"c"}"#
        );
    }
}
