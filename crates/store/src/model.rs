//! Typed domain records returned by the store. Timestamps are RFC 3339 UTC strings.

use serde::Serialize;

/// A page request: an opaque `marker` from a previous page and a `limit` (1-200, default 100).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Marker returned as `next_marker` by the previous page (`[A-Za-z0-9+/=_-]`, 4-400 chars).
    pub marker: Option<String>,
    /// Page size, 1-200; `None` means 100.
    pub limit: Option<u32>,
}

impl PageRequest {
    /// First page with the given limit.
    pub fn first(limit: u32) -> Self {
        PageRequest {
            marker: None,
            limit: Some(limit),
        }
    }
}

/// One page of results; `next_marker` is absent on the last page.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Marker for the next page, if any.
    pub next_marker: Option<String>,
}

/// An account (Huawei "domain").
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    /// 32 lowercase hex.
    pub id: String,
    /// Unique account name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
}

/// A project: an account's presence in one region.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Region, e.g. `cn-north-4`.
    pub region: String,
    /// Creation time.
    pub created_at: String,
}

/// An IAM user.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// 32 lowercase hex.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Name, unique in the account.
    pub name: String,
    /// `iam::<account-id>:user:<name>`.
    pub urn: String,
    /// Whether the user may sign in / use keys.
    #[sqlx(try_from = "crate::util::Flag")]
    pub enabled: bool,
    /// The account's root user (one per account, cannot be deleted).
    #[sqlx(try_from = "crate::util::Flag")]
    pub is_root_user: bool,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: String,
}

/// A user group.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Group {
    /// 32 lowercase hex.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Name, unique in the account.
    pub name: String,
    /// `iam::<account-id>:group:<name>`.
    pub urn: String,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: String,
    /// The account's built-in `admin` group: created with the account, cannot be renamed,
    /// modified or deleted; its members are tenant administrators.
    #[sqlx(try_from = "crate::util::Flag")]
    pub is_system: bool,
}

/// Access key status.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccessKeyStatus {
    /// Usable.
    Active,
    /// Disabled.
    Inactive,
}

/// A permanent access key (the secret is never part of this record).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessKey {
    /// 20 uppercase alphanumerics.
    pub access_key_id: String,
    /// Owner.
    pub user_id: String,
    /// Status.
    pub status: AccessKeyStatus,
    /// Creation time.
    pub created_at: String,
}

/// A freshly created access key: the only time the secret is handed out (besides verification).
#[derive(Debug)]
pub struct CreatedAccessKey {
    /// The key record.
    pub access_key: AccessKey,
    /// The 40-character secret (redacted in `Debug`).
    pub secret_access_key: secrecy::SecretString,
}

/// Identity-policy type.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PolicyType {
    /// Created by an account.
    Custom,
    /// Built in, visible to every account, attachable but not editable by accounts.
    System,
}

/// An identity policy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Policy {
    /// 32 lowercase hex.
    pub id: String,
    /// Owning account; `None` for system policies.
    pub account_id: Option<String>,
    /// Name.
    pub name: String,
    /// `iam::<account-id>:policy:<name>` (`iam::system:policy:<name>` for system policies).
    pub urn: String,
    /// Path (`""` or `a/b/`).
    pub path: String,
    /// Custom or system.
    pub policy_type: PolicyType,
    /// `v<n>` of the default version.
    pub default_version_id: String,
    /// Number of users, groups and agencies it is attached to.
    pub attachment_count: i64,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: String,
    /// Last update (new version, default change, description).
    pub updated_at: String,
}

/// One version of an identity policy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyVersion {
    /// Policy id.
    pub policy_id: String,
    /// `v<n>`.
    pub version_id: String,
    /// The document, verbatim as given.
    pub document: String,
    /// Whether this is the default (effective) version.
    #[sqlx(try_from = "crate::util::Flag")]
    pub is_default: bool,
    /// Creation time.
    pub created_at: String,
}

/// Which kind of principal a policy is attached to.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    /// IAM user.
    User,
    /// User group.
    Group,
    /// Agency / trust agency.
    Agency,
}

/// A policy attached to a principal (`GET /v5/users/{id}/attached-policies`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct AttachedPolicy {
    /// Policy id.
    pub policy_id: String,
    /// Policy name.
    pub policy_name: String,
    /// Policy URN.
    pub urn: String,
    /// Attachment time.
    pub attached_at: String,
}

/// A principal a policy is attached to (`GET /v5/policies/{id}/attached-entities`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyAttachment {
    /// Policy id.
    pub policy_id: String,
    /// Principal kind.
    pub principal_type: PrincipalType,
    /// Principal id.
    pub principal_id: String,
    /// Attachment time.
    pub attached_at: String,
}

/// An agency / trust agency.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Agency {
    /// 32 lowercase hex.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Name, unique in the account.
    pub name: String,
    /// `iam::<account-id>:agency:<path><name>`.
    pub urn: String,
    /// Path (`""` or `a/b/`).
    pub path: String,
    /// Trust policy document, verbatim.
    pub trust_policy: String,
    /// Seconds, 3600-43200.
    pub max_session_duration: i64,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: String,
}

/// An organization.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Organization {
    /// `o-` + 32 hex.
    pub id: String,
    /// `organizations::<management-account-id>:organization:<id>`.
    pub urn: String,
    /// Management account.
    pub management_account_id: String,
    /// Management account name.
    pub management_account_name: String,
    /// Creation time.
    pub created_at: String,
}

/// Organization policy types.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrgPolicyType {
    /// Service control policies.
    ServiceControlPolicy,
    /// Tag policies (stored, not evaluated).
    TagPolicy,
}

/// State of a policy type on a root.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PolicyTypeStatus {
    /// Enabled.
    Enabled,
    /// Disabled.
    Disabled,
}

/// `{type, status}` entry of a root.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RootPolicyType {
    /// Policy type.
    #[serde(rename = "type")]
    pub policy_type: OrgPolicyType,
    /// Status.
    pub status: PolicyTypeStatus,
}

/// The root of an organization.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Root {
    /// `r-` + 32 hex.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// `Root`.
    pub name: String,
    /// Policy types (only `service_control_policy` is tracked).
    pub policy_types: Vec<RootPolicyType>,
    /// Creation time.
    pub created_at: String,
}

impl Root {
    /// Whether service control policies are enabled on this root.
    pub fn scp_enabled(&self) -> bool {
        self.policy_types.iter().any(|t| {
            t.policy_type == OrgPolicyType::ServiceControlPolicy
                && t.status == PolicyTypeStatus::Enabled
        })
    }
}

/// An organizational unit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct OrganizationalUnit {
    /// `ou-` + 32 hex.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// Name, unique under its parent.
    pub name: String,
    /// Root or OU id.
    pub parent_id: String,
    /// Creation time.
    pub created_at: String,
}

/// An account's membership in an organization.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct OrgAccount {
    /// Account id.
    pub account_id: String,
    /// Account name.
    pub name: String,
    /// Organization.
    pub organization_id: String,
    /// Root or OU id.
    pub parent_id: String,
    /// `created` or `invited`.
    pub join_method: String,
    /// Join time.
    pub joined_at: String,
}

/// A service control (or tag) policy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct ScpPolicy {
    /// `p-` + 32 hex (`p-FullAccess` for the builtin).
    pub id: String,
    /// Owning organization; `None` for builtin policies.
    pub organization_id: Option<String>,
    /// Name.
    pub name: String,
    /// Policy type.
    pub policy_type: OrgPolicyType,
    /// Document, verbatim.
    pub content: String,
    /// Description.
    pub description: String,
    /// Builtin policies can be attached but not edited or deleted.
    #[sqlx(try_from = "crate::util::Flag")]
    pub is_builtin: bool,
    /// Creation time.
    pub created_at: String,
    /// Last update.
    pub updated_at: String,
}

/// Kind of an SCP attachment target.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrgEntityType {
    /// The root.
    Root,
    /// An OU.
    OrganizationalUnit,
    /// A member account.
    Account,
}

/// An SCP attached to a root, OU or account.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct ScpAttachment {
    /// Policy id.
    pub policy_id: String,
    /// Organization.
    pub organization_id: String,
    /// Root, OU or account id.
    pub target_id: String,
    /// Target kind.
    pub target_type: OrgEntityType,
    /// Attachment time.
    pub attached_at: String,
}

/// SCPs that bound an account, for the evaluator.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ScpChain {
    /// The account is in no organization: no SCPs apply.
    NotInOrganization,
    /// The account is its organization's management account: SCPs never apply.
    ManagementAccount {
        /// Organization.
        organization_id: String,
    },
    /// The SCP policy type is disabled on the root: no SCPs apply.
    Disabled {
        /// Organization.
        organization_id: String,
    },
    /// SCPs apply: one entry per level, root first, then each OU down the tree, then the
    /// account. An action must be allowed at every level.
    Enforced {
        /// Organization.
        organization_id: String,
        /// Ids of the levels, same order as `levels`.
        level_ids: Vec<String>,
        /// The SCPs attached at each level.
        levels: Vec<Vec<ScpPolicy>>,
    },
}

impl ScpChain {
    /// The levels (empty unless enforced).
    pub fn levels(&self) -> &[Vec<ScpPolicy>] {
        match self {
            ScpChain::Enforced { levels, .. } => levels,
            _ => &[],
        }
    }
}

/// Temporary credentials of an agency session (the secret is never part of this record).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionCredential {
    /// Temporary access key id.
    pub access_key_id: String,
    /// Account of the agency.
    pub account_id: String,
    /// Assumed agency.
    pub agency_id: String,
    /// Session name.
    pub session_name: String,
    /// SHA-256 (hex) of the security token.
    pub security_token_hash: String,
    /// Session policy document, verbatim.
    pub session_policy: Option<String>,
    /// Source identity.
    pub source_identity: Option<String>,
    /// Session tags, JSON array text.
    pub tags: String,
    /// URN of the caller that assumed the agency.
    pub caller_urn: String,
    /// Issue time.
    pub created_at: String,
    /// Expiry time.
    pub expires_at: String,
}

/// Freshly issued temporary credentials.
#[derive(Debug)]
pub struct CreatedSessionCredential {
    /// The record.
    pub credential: SessionCredential,
    /// Secret access key (redacted in `Debug`).
    pub secret_access_key: secrecy::SecretString,
    /// Security token (redacted in `Debug`); only its hash is stored.
    pub security_token: secrecy::SecretString,
}

/// A ModelArts authorization: an agency acting for one user or all users in a project.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Authorization {
    /// Project.
    pub project_id: String,
    /// User id, or `all` for every IAM user of the account.
    pub user_id: String,
    /// Agency used.
    pub agency_id: String,
    /// Creation time.
    pub created_at: String,
}

/// One decision-log row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct DecisionLogEntry {
    /// Sequence number (monotonic).
    pub id: i64,
    /// Decision time.
    pub at: String,
    /// Principal URN.
    pub principal_urn: Option<String>,
    /// Access key used.
    pub access_key_id: Option<String>,
    /// Action.
    pub action: String,
    /// Resource URN.
    pub resource: Option<String>,
    /// `allow`, `explicit_deny`, `implicit_deny` ...
    pub decision: String,
    /// Determining policy (id or URN).
    pub determining_policy: Option<String>,
    /// Determining statement (Sid or index).
    pub determining_statement: Option<String>,
    /// Layer (`identity`, `scp`, `session`, `trust` ...).
    pub layer: Option<String>,
    /// Agency session, if any.
    pub session: Option<String>,
    /// Agency id, if any.
    pub agency_id: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Free-form JSON text.
    pub extra: Option<String>,
}

crate::util::text_enum_for_any!(AccessKeyStatus { Active => "active", Inactive => "inactive" });
crate::util::text_enum_for_any!(PolicyType { Custom => "custom", System => "system" });
crate::util::text_enum_for_any!(PrincipalType { User => "user", Group => "group", Agency => "agency" });
crate::util::text_enum_for_any!(OrgPolicyType {
    ServiceControlPolicy => "service_control_policy",
    TagPolicy => "tag_policy",
});
crate::util::text_enum_for_any!(OrgEntityType {
    Root => "root",
    OrganizationalUnit => "organizational_unit",
    Account => "account",
});
