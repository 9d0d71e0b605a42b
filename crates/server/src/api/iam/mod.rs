//! IAM v5 management API (`huaweicloudsdkiam.v5`): identity policies and versions, attachments,
//! users, groups, access keys, agencies. Paths and JSON shapes are Huawei's; bodies are flat,
//! responses wrap the object (`{"policy": {...}}`), lists carry `page_info`.
//!
//! Every entity is scoped to the caller's account: an id of another account answers 404.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use iam_store::{
    AccessKey, AccessKeyStatus, Agency, Group, Policy, PolicyType, PolicyVersion, Store,
    StoreError, User,
};
use serde::Serialize;
use utoipa::IntoParams as _;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

pub(crate) mod access_keys;
pub(crate) mod agencies;
pub(crate) mod attachments;
pub(crate) mod groups;
pub(crate) mod login;
pub(crate) mod mfa;
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

/// A user, as every user API answers it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UserView {
    /// 32 lowercase hex digits.
    user_id: String,
    /// The user's name, unique in the account.
    user_name: String,
    /// `iam::<account-id>:user:<name>`.
    urn: String,
    /// Whether the user may sign in and use its access keys.
    enabled: bool,
    /// Whether this is the account's root user.
    is_root_user: bool,
    /// Description (may be empty).
    description: String,
    /// Creation time.
    created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            user_id: u.id.clone(),
            user_name: u.name.clone(),
            urn: u.urn.clone(),
            enabled: u.enabled,
            is_root_user: u.is_root_user,
            description: u.description.clone(),
            created_at: u.created_at.clone(),
        }
    }
}

/// A group, as every group API answers it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct GroupView {
    /// 32 lowercase hex digits.
    group_id: String,
    /// The group's name, unique in the account.
    group_name: String,
    /// `iam::<account-id>:group:<name>`.
    urn: String,
    /// Description (may be empty).
    description: String,
    /// Creation time.
    created_at: String,
}

impl From<&Group> for GroupView {
    fn from(g: &Group) -> Self {
        GroupView {
            group_id: g.id.clone(),
            group_name: g.name.clone(),
            urn: g.urn.clone(),
            description: g.description.clone(),
            created_at: g.created_at.clone(),
        }
    }
}

/// Whether an access key can be used.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AccessKeyStatusView {
    /// Usable.
    Active,
    /// Disabled.
    Inactive,
}

/// A permanent access key, without its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AccessKeyView {
    /// The owner.
    user_id: String,
    /// 20 uppercase letters and digits.
    access_key_id: String,
    /// `active` or `inactive`.
    status: AccessKeyStatusView,
    /// Creation time.
    created_at: String,
}

impl From<&AccessKey> for AccessKeyView {
    fn from(k: &AccessKey) -> Self {
        AccessKeyView {
            user_id: k.user_id.clone(),
            access_key_id: k.access_key_id.clone(),
            status: match k.status {
                AccessKeyStatus::Active => AccessKeyStatusView::Active,
                AccessKeyStatus::Inactive => AccessKeyStatusView::Inactive,
            },
            created_at: k.created_at.clone(),
        }
    }
}

/// An agency, as every agency API answers it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AgencyView {
    /// 32 lowercase hex digits.
    agency_id: String,
    /// The agency's name, unique in the account.
    agency_name: String,
    /// `iam::<account-id>:agency:<path><name>`.
    urn: String,
    /// `""` or `segment/` repeated.
    path: String,
    /// The trust policy document, verbatim as given (JSON text).
    trust_policy: String,
    /// Longest session of an assumed agency, in seconds (3600-43200).
    max_session_duration: i64,
    /// Description (may be empty).
    description: String,
    /// Creation time.
    created_at: String,
}

impl From<&Agency> for AgencyView {
    fn from(a: &Agency) -> Self {
        AgencyView {
            agency_id: a.id.clone(),
            agency_name: a.name.clone(),
            urn: a.urn.clone(),
            path: a.path.clone(),
            trust_policy: a.trust_policy.clone(),
            max_session_duration: a.max_session_duration,
            description: a.description.clone(),
            created_at: a.created_at.clone(),
        }
    }
}

/// A resource tag. Tags are not stored: the `tags` of a user or agency are always empty.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct IamTag {
    /// The key.
    tag_key: String,
    /// The value.
    tag_value: String,
}

/// The query parameters of a paged list (`limit`, `marker`) followed by those of `F`, a list's
/// filters, read by a second `QueryParams<F>` extractor.
pub(crate) fn paged_with<F: utoipa::IntoParams>() -> Vec<utoipa::openapi::path::Parameter> {
    let query = || Some(utoipa::openapi::path::ParameterIn::Query);
    let mut params = crate::page::PageQuery::into_params(query);
    params.extend(F::into_params(query));
    params
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

/// A policy of the caller's account or a system policy, as the caller's account sees it (a
/// system policy's attachment count is the account's own); another account's is 404.
async fn own_policy(store: &Store, caller: &Caller, id: &str) -> ApiResult<Policy> {
    let p = store.get_policy_for(&caller.account_id, id).await?;
    match &p.account_id {
        Some(a) if a == &caller.account_id => Ok(p),
        None => Ok(p),
        Some(_) => Err(not_found("policy", id)),
    }
}

/// A custom policy of the caller's account. A system policy is refused with 403 `IAM.0003`
/// whoever asks, the root user included (it cannot be modified, deleted or given versions; the
/// store refuses too): like the built-in `admin` group, it is not the caller's to change.
async fn own_custom_policy(store: &Store, caller: &Caller, id: &str) -> ApiResult<Policy> {
    let p = own_policy(store, caller, id).await?;
    if p.policy_type == PolicyType::System {
        return Err(ApiError::forbidden(
            format!(
                "`{}` ({id}) is a system policy: it cannot be modified, deleted or given versions, whoever asks.",
                p.name
            ),
            None,
        ));
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
mod policy_shapes {
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

/// Entities with every member set, for the tests of the answers' wire shape.
#[cfg(test)]
pub(crate) mod samples {
    use iam_store::{AccessKey, AccessKeyStatus, Agency, User};

    /// Asserts that `answer` is `{"<key>": <view's members> + {"<member>": extra}}`: an entity
    /// answered with one more member beside its own (`tags`, `secret_access_key`).
    pub(crate) fn assert_beside(
        answer: impl serde::Serialize,
        key: &str,
        view: impl serde::Serialize,
        member: &str,
        extra: serde_json::Value,
    ) {
        let mut expected = serde_json::to_value(view).unwrap();
        expected[member] = extra;
        let mut wrapped = serde_json::Map::new();
        wrapped.insert(key.to_owned(), expected);
        assert_eq!(
            serde_json::to_value(answer).unwrap(),
            serde_json::Value::Object(wrapped)
        );
    }

    pub(crate) fn user() -> User {
        User {
            id: "u1".into(),
            account_id: "a1".into(),
            name: "alice".into(),
            urn: "iam::a1:user:alice".into(),
            enabled: true,
            is_root_user: false,
            description: "d".into(),
            created_at: "t".into(),
        }
    }

    pub(crate) fn access_key() -> AccessKey {
        AccessKey {
            access_key_id: "AK1".into(),
            user_id: "u1".into(),
            status: AccessKeyStatus::Inactive,
            created_at: "t".into(),
        }
    }

    pub(crate) fn agency() -> Agency {
        Agency {
            id: "g1".into(),
            account_id: "a1".into(),
            name: "ops".into(),
            urn: "iam::a1:agency:p/ops".into(),
            path: "p/".into(),
            trust_policy: "{}".into(),
            max_session_duration: 3600,
            description: "d".into(),
            created_at: "t".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use iam_store::names::{NameKind, check_name};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    /// The name members of the request bodies, with the rules the store checks them against.
    const NAMES: &[(&str, &str, NameKind)] = &[
        ("CreateUserBody", "name", NameKind::User),
        ("UpdateUserBody", "new_user_name", NameKind::User),
        ("CreateGroupBody", "group_name", NameKind::Group),
        ("UpdateGroupBody", "new_group_name", NameKind::Group),
        ("CreateAgencyBody", "agency_name", NameKind::Agency),
    ];

    /// The members on the wire, as the Huawei SDK models name them.
    #[test]
    fn views_keep_the_wire_shape() {
        fn v(x: impl serde::Serialize) -> serde_json::Value {
            serde_json::to_value(x).unwrap()
        }
        assert_eq!(
            v(super::UserView::from(&super::samples::user())),
            serde_json::json!({"user_id": "u1", "user_name": "alice", "urn": "iam::a1:user:alice",
                "enabled": true, "is_root_user": false, "description": "d", "created_at": "t"})
        );
        let g = iam_store::Group {
            id: "g1".into(),
            account_id: "a1".into(),
            name: "devs".into(),
            urn: "iam::a1:group:devs".into(),
            description: "d".into(),
            created_at: "t".into(),
            is_system: true,
        };
        assert_eq!(
            v(super::GroupView::from(&g)),
            serde_json::json!({"group_id": "g1", "group_name": "devs", "urn": "iam::a1:group:devs",
                "description": "d", "created_at": "t"})
        );
        assert_eq!(
            v(super::AccessKeyView::from(&super::samples::access_key())),
            serde_json::json!({"user_id": "u1", "access_key_id": "AK1", "status": "inactive",
                "created_at": "t"})
        );
        assert_eq!(
            v(super::AgencyView::from(&super::samples::agency())),
            serde_json::json!({"agency_id": "g1", "agency_name": "ops",
                "urn": "iam::a1:agency:p/ops", "path": "p/", "trust_policy": "{}",
                "max_session_duration": 3600, "description": "d", "created_at": "t"})
        );
    }

    /// Every name the OpenAPI document calls valid (its `pattern` within `minLength` and
    /// `maxLength`) is a name the store accepts, so requests generated from the document are
    /// not refused for their names.
    #[test]
    fn documented_name_patterns_generate_accepted_names() {
        let doc = serde_json::to_value(crate::openapi::openapi_document()).unwrap();
        for (schema, member, kind) in NAMES {
            let prop = &doc["components"]["schemas"][schema]["properties"][member];
            let pattern = prop["pattern"]
                .as_str()
                .unwrap_or_else(|| panic!("{schema}.{member}"));
            let max = prop["maxLength"].as_u64().unwrap();
            assert_eq!(max, kind.max_len() as u64, "{schema}.{member}");
            assert_eq!(prop["minLength"], 1, "{schema}.{member}");
            // the generator takes no anchors; the pattern is anchored at both ends
            let inner = pattern
                .strip_prefix('^')
                .and_then(|p| p.strip_suffix('$'))
                .unwrap();
            let names = proptest::string::string_regex(inner).unwrap();
            let mut runner = TestRunner::new(Config {
                cases: 512,
                ..Config::default()
            });
            runner
                .run(&names, |name| {
                    if name.chars().count() <= max as usize {
                        prop_assert!(
                            check_name(*kind, &name).is_ok(),
                            "{schema}.{member}: {name:?} matches the pattern but is refused: {:?}",
                            check_name(*kind, &name)
                        );
                    }
                    Ok(())
                })
                .unwrap();
        }
    }
}
