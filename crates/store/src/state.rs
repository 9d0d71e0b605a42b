//! Whole-state load for policy snapshots.

use crate::Store;
use crate::error::Result;
use crate::model::{
    AccessKey, Account, Agency, Authorization, Group, OrgAccount, Organization, OrganizationalUnit,
    Policy, PolicyAttachment, Project, Root, ScpAttachment, ScpPolicy, User,
};
use crate::workspaces::{EnterpriseProject, Workspace, WorkspaceGrant};
use serde::Serialize;

/// A policy with the document of its default version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyWithDocument {
    /// The policy.
    #[sqlx(flatten)]
    pub policy: Policy,
    /// Document of the default version.
    pub default_document: String,
}

/// Everything the authorizer needs, read in one consistent transaction.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StoreState {
    /// Revision this state corresponds to.
    pub revision: i64,
    /// Accounts.
    pub accounts: Vec<Account>,
    /// Projects.
    pub projects: Vec<Project>,
    /// Users.
    pub users: Vec<User>,
    /// Groups.
    pub groups: Vec<Group>,
    /// `(group_id, user_id)` memberships.
    pub group_members: Vec<(String, String)>,
    /// Access keys (no secrets).
    pub access_keys: Vec<AccessKey>,
    /// Identity policies (custom and system) with their default documents.
    pub policies: Vec<PolicyWithDocument>,
    /// Identity-policy attachments.
    pub attachments: Vec<PolicyAttachment>,
    /// Agencies with trust policies.
    pub agencies: Vec<Agency>,
    /// ModelArts authorizations.
    pub authorizations: Vec<Authorization>,
    /// Organizations.
    pub organizations: Vec<Organization>,
    /// Roots (with SCP policy-type status).
    pub roots: Vec<Root>,
    /// OUs.
    pub organizational_units: Vec<OrganizationalUnit>,
    /// Member accounts with their parents.
    pub org_accounts: Vec<OrgAccount>,
    /// SCPs (custom and builtin).
    pub scps: Vec<ScpPolicy>,
    /// SCP attachments.
    pub scp_attachments: Vec<ScpAttachment>,
    /// Enterprise projects (not the implicit default `0` of each account).
    pub enterprise_projects: Vec<EnterpriseProject>,
    /// ModelArts workspaces (not the implicit default `0` of each account).
    pub workspaces: Vec<Workspace>,
    /// Workspace grants.
    pub workspace_grants: Vec<WorkspaceGrant>,
}

impl Store {
    /// Reads every entity the authorizer needs in one read transaction (a consistent
    /// snapshot), with the revision it corresponds to.
    pub async fn load_state(&self) -> Result<StoreState> {
        use crate::access::{AGENCY_COLS, AK_COLS, GROUP_COLS, USER_COLS};
        use crate::orgs::{
            ORG_ACCOUNT_COLS, ORG_COLS, OU_COLS, ROOT_COLS, RootRow, SCP_ATT_COLS, SCP_COLS,
        };
        use crate::policies::POLICY_COLS;
        let mut tx = self.reader().begin().await?;
        if let crate::Backend::Postgres { .. } = self.backend() {
            // PostgreSQL's default (READ COMMITTED) gives each statement its own view; the
            // snapshot's rows and revision must all come from one.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let (revision,): (i64,) =
            sqlx::query_as("SELECT value FROM store_meta WHERE key = 'revision'")
                .fetch_one(&mut *tx)
                .await?;
        let accounts = sqlx::query_as::<_, Account>(
            "SELECT id, name, created_at FROM accounts ORDER BY created_at, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let projects = sqlx::query_as::<_, Project>(
            "SELECT id, account_id, region, created_at FROM projects ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let users = sqlx::query_as::<_, User>(sqlf!(
            "SELECT {USER_COLS} FROM users ORDER BY created_at, id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let groups = sqlx::query_as::<_, Group>(sqlf!(
            "SELECT {GROUP_COLS} FROM groups ORDER BY created_at, id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let group_members: Vec<(String, String)> = sqlx::query_as(
            "SELECT group_id, user_id FROM group_members ORDER BY group_id, user_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let access_keys = sqlx::query_as::<_, AccessKey>(sqlf!(
            "SELECT {AK_COLS} FROM access_keys ORDER BY access_key_id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let policies = sqlx::query_as::<_, PolicyWithDocument>(sqlf!(
            "SELECT {POLICY_COLS}, v.document AS default_document FROM policies p \
             JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.default_version \
             ORDER BY p.created_at, p.id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let attachments = sqlx::query_as::<_, PolicyAttachment>(
            "SELECT policy_id, principal_type, principal_id, attached_at FROM policy_attachments \
             ORDER BY principal_type, principal_id, attached_at",
        )
        .fetch_all(&mut *tx)
        .await?;
        let agencies = sqlx::query_as::<_, Agency>(sqlf!(
            "SELECT {AGENCY_COLS} FROM agencies ORDER BY created_at, id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let authorizations = sqlx::query_as::<_, Authorization>(
            "SELECT project_id, user_key AS user_id, agency_id, created_at FROM authorizations \
             ORDER BY project_id, user_key",
        )
        .fetch_all(&mut *tx)
        .await?;
        let organizations = sqlx::query_as::<_, Organization>(sqlf!(
            "SELECT {ORG_COLS} ORDER BY o.created_at, o.id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let roots =
            sqlx::query_as::<_, RootRow>(sqlf!("SELECT {ROOT_COLS} FROM org_roots ORDER BY id"))
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(Root::from)
                .collect();
        let organizational_units = sqlx::query_as::<_, OrganizationalUnit>(sqlf!(
            "SELECT {OU_COLS} FROM org_units ORDER BY created_at, id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let org_accounts = sqlx::query_as::<_, OrgAccount>(sqlf!(
            "SELECT {ORG_ACCOUNT_COLS} ORDER BY oa.joined_at, oa.account_id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let scps = sqlx::query_as::<_, ScpPolicy>(sqlf!(
            "SELECT {SCP_COLS} FROM scp_policies s ORDER BY s.created_at, s.id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let scp_attachments = sqlx::query_as::<_, ScpAttachment>(sqlf!(
            "SELECT {SCP_ATT_COLS} FROM scp_attachments ORDER BY target_id, policy_id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let enterprise_projects = sqlx::query_as::<_, EnterpriseProject>(
            "SELECT id, account_id, name, description, status, type, created_at, updated_at \
             FROM enterprise_projects ORDER BY account_id, created_at, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let workspaces = sqlx::query_as::<_, Workspace>(
            "SELECT id, account_id, name, description, owner_user_id, owner_name, auth_type, \
             enterprise_project_id, status, created_at, updated_at \
             FROM workspaces ORDER BY account_id, created_at, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let workspace_grants = sqlx::query_as::<_, WorkspaceGrant>(
            "SELECT g.workspace_id, g.user_id, u.name AS user_name, g.user_type \
             FROM workspace_grants g JOIN users u ON u.id = g.user_id \
             ORDER BY g.workspace_id, g.user_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(StoreState {
            revision,
            accounts,
            projects,
            users,
            groups,
            group_members,
            access_keys,
            policies,
            attachments,
            agencies,
            authorizations,
            organizations,
            roots,
            organizational_units,
            org_accounts,
            scps,
            scp_attachments,
            enterprise_projects,
            workspaces,
            workspace_grants,
        })
    }
}
