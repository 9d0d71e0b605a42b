//! Organizations: root, OUs, member accounts, service control policies and attachments.

use crate::accounts::push_after;
use crate::error::{Result, StoreError};
use crate::model::{
    OrgAccount, OrgEntityType, OrgPolicyType, Organization, OrganizationalUnit, Page, PageRequest,
    PolicyTypeStatus, Root, RootPolicyType, ScpAttachment, ScpChain, ScpPolicy,
};
use crate::util::{self, finish_page, page_args};
use crate::{Conn, Store, Tx, WriteTx};

/// Id of the builtin FullAccess SCP.
pub const FULL_ACCESS_SCP_ID: &str = "p-FullAccess";

pub(crate) const ORG_COLS: &str = "o.id, \
     'organizations::' || o.management_account_id || ':organization:' || o.id AS urn, \
     o.management_account_id, a.name AS management_account_name, o.created_at \
     FROM organizations o JOIN accounts a ON a.id = o.management_account_id";
pub(crate) const OU_COLS: &str = "id, organization_id, name, parent_id, created_at";
pub(crate) const ORG_ACCOUNT_COLS: &str = "oa.account_id, a.name, oa.organization_id, \
     oa.parent_id, oa.join_method, oa.joined_at \
     FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id";
pub(crate) const SCP_COLS: &str = "s.id, s.organization_id, s.name, s.policy_type, s.content, \
     s.description, s.is_builtin, s.created_at, s.updated_at";
pub(crate) const SCP_ATT_COLS: &str =
    "policy_id, organization_id, target_id, target_type, attached_at";

/// Maximum SCP document size (bytes). Huawei's quota is not documented; same as identity
/// policies.
const MAX_SCP_BYTES: usize = 6144;

/// Input of [`Store::create_scp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScp {
    /// 1-64 characters.
    pub name: String,
    /// Normally `ServiceControlPolicy`.
    pub policy_type: OrgPolicyType,
    /// Document (validated by the caller), stored verbatim.
    pub content: String,
    /// At most 1000 characters.
    pub description: String,
}

/// Changes for [`Store::update_scp`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScpUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New content.
    pub content: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RootRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    #[sqlx(try_from = "util::Flag")]
    pub(crate) scp_enabled: bool,
    pub(crate) created_at: String,
}

impl From<RootRow> for Root {
    fn from(r: RootRow) -> Self {
        Root {
            id: r.id,
            organization_id: r.organization_id,
            name: r.name,
            policy_types: vec![RootPolicyType {
                policy_type: OrgPolicyType::ServiceControlPolicy,
                status: if r.scp_enabled {
                    PolicyTypeStatus::Enabled
                } else {
                    PolicyTypeStatus::Disabled
                },
            }],
            created_at: r.created_at,
        }
    }
}

pub(crate) const ROOT_COLS: &str = "id, organization_id, name, scp_enabled, created_at";

async fn fetch_org(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<Organization> {
    util::fetch_one(
        exec,
        sqlf!("SELECT {ORG_COLS} WHERE o.id = $1"),
        "organization",
        id,
    )
    .await
}

async fn fetch_root_row(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<RootRow> {
    util::fetch_one(
        exec,
        sqlf!("SELECT {ROOT_COLS} FROM org_roots WHERE id = $1"),
        "root",
        id,
    )
    .await
}

async fn root_of_org(exec: impl sqlx::AnyExecutor<'_>, org_id: &str) -> Result<RootRow> {
    let sql = sqlf!("SELECT {ROOT_COLS} FROM org_roots WHERE organization_id = $1");
    util::fetch_one(exec, sql, "root of organization", org_id).await
}

async fn fetch_ou(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<OrganizationalUnit> {
    let sql = sqlf!("SELECT {OU_COLS} FROM org_units WHERE id = $1");
    util::fetch_one(exec, sql, "organizational unit", id).await
}

async fn fetch_org_account(
    exec: impl sqlx::AnyExecutor<'_>,
    account_id: &str,
) -> Result<Option<OrgAccount>> {
    Ok(
        sqlx::query_as::<_, OrgAccount>(sqlf!(
            "SELECT {ORG_ACCOUNT_COLS} WHERE oa.account_id = $1"
        ))
        .bind(account_id)
        .fetch_optional(exec)
        .await?,
    )
}

async fn fetch_scp(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<ScpPolicy> {
    let sql = sqlf!("SELECT {SCP_COLS} FROM scp_policies s WHERE s.id = $1");
    util::fetch_one(exec, sql, "policy", id).await
}

/// Finds which organization an entity (root, OU or account id) belongs to and its kind.
async fn resolve_entity(tx: &mut Tx, id: &str) -> Result<(String, OrgEntityType)> {
    let r: Option<(String,)> =
        sqlx::query_as("SELECT organization_id FROM org_roots WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((org,)) = r {
        return Ok((org, OrgEntityType::Root));
    }
    let r: Option<(String,)> =
        sqlx::query_as("SELECT organization_id FROM org_units WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((org,)) = r {
        return Ok((org, OrgEntityType::OrganizationalUnit));
    }
    let r: Option<(String,)> =
        sqlx::query_as("SELECT organization_id FROM org_accounts WHERE account_id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((org,)) = r {
        return Ok((org, OrgEntityType::Account));
    }
    Err(StoreError::not_found("organization entity", id))
}

/// Resolves a parent (root or OU) id to its organization.
async fn resolve_parent(tx: &mut Tx, parent_id: &str) -> Result<String> {
    match resolve_entity(tx, parent_id).await {
        Ok((org, OrgEntityType::Root | OrgEntityType::OrganizationalUnit)) => Ok(org),
        Ok((_, OrgEntityType::Account)) => Err(StoreError::invalid(
            "parent_id",
            format!("`{parent_id}` is an account, not a root or organizational unit"),
        )),
        Err(_) => Err(StoreError::not_found("parent", parent_id)),
    }
}

async fn insert_scp_attachment(
    tx: &mut Tx,
    policy_id: &str,
    org_id: &str,
    target_id: &str,
    target_type: OrgEntityType,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO scp_attachments (policy_id, organization_id, target_id, target_type, \
         attached_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(policy_id)
    .bind(org_id)
    .bind(target_id)
    .bind(target_type)
    .bind(util::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// If SCPs are enabled in the organization, attaches FullAccess to a new OU or account.
async fn attach_full_access_if_enabled(
    tx: &mut Tx,
    org_id: &str,
    target_id: &str,
    target_type: OrgEntityType,
) -> Result<()> {
    let root = root_of_org(&mut **tx, org_id).await?;
    if root.scp_enabled {
        insert_scp_attachment(tx, FULL_ACCESS_SCP_ID, org_id, target_id, target_type).await?;
    }
    Ok(())
}

pub(crate) async fn scps_attached_to(
    exec: impl sqlx::AnyExecutor<'_>,
    target_id: &str,
) -> Result<Vec<ScpPolicy>> {
    Ok(sqlx::query_as::<_, ScpPolicy>(sqlf!(
        "SELECT {SCP_COLS} FROM scp_policies s JOIN scp_attachments t ON t.policy_id = s.id \
         WHERE t.target_id = $1 AND s.policy_type = 'service_control_policy' ORDER BY s.id"
    ))
    .bind(target_id)
    .fetch_all(exec)
    .await?)
}

impl Store {
    /// Gets an organization.
    pub async fn get_organization(&self, id: &str) -> Result<Organization> {
        fetch_org(self.reader(), id).await
    }

    /// The organization an account belongs to, if any.
    pub async fn organization_of_account(&self, account_id: &str) -> Result<Option<Organization>> {
        let Some(m) = fetch_org_account(self.reader(), account_id).await? else {
            return Ok(None);
        };
        fetch_org(self.reader(), &m.organization_id).await.map(Some)
    }

    /// Gets a root.
    pub async fn get_root(&self, root_id: &str) -> Result<Root> {
        fetch_root_row(self.reader(), root_id).await.map(Root::from)
    }

    /// The root of an organization.
    pub async fn root_of_organization(&self, organization_id: &str) -> Result<Root> {
        root_of_org(self.reader(), organization_id)
            .await
            .map(Root::from)
    }

    /// Gets an OU.
    pub async fn get_organizational_unit(&self, id: &str) -> Result<OrganizationalUnit> {
        fetch_ou(self.reader(), id).await
    }

    /// Lists the OUs directly under a root or OU.
    pub async fn list_organizational_units(
        &self,
        parent_id: &str,
        page: &PageRequest,
    ) -> Result<Page<OrganizationalUnit>> {
        let p = page_args(page, 2)?;
        let mut qb = util::QueryBuilder::new(format!(
            "SELECT {OU_COLS} FROM org_units WHERE parent_id = "
        ));
        qb.push_bind(parent_id.to_owned());
        push_after(&mut qb, "created_at", "id", p.after);
        qb.push(" ORDER BY created_at, id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<OrganizationalUnit>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |x| {
            vec![x.created_at.clone(), x.id.clone()]
        }))
    }

    /// Membership of an account, if any.
    pub async fn get_org_account(&self, account_id: &str) -> Result<Option<OrgAccount>> {
        fetch_org_account(self.reader(), account_id).await
    }

    /// Lists member accounts of an organization, optionally only those directly under a parent.
    pub async fn list_org_accounts(
        &self,
        organization_id: &str,
        parent_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<OrgAccount>> {
        let p = page_args(page, 2)?;
        let mut qb = util::QueryBuilder::new(format!(
            "SELECT {ORG_ACCOUNT_COLS} WHERE oa.organization_id = "
        ));
        qb.push_bind(organization_id.to_owned());
        if let Some(par) = parent_id {
            qb.push(" AND oa.parent_id = ").push_bind(par.to_owned());
        }
        push_after(&mut qb, "oa.joined_at", "oa.account_id", p.after);
        qb.push(" ORDER BY oa.joined_at, oa.account_id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<OrgAccount>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |x| {
            vec![x.joined_at.clone(), x.account_id.clone()]
        }))
    }

    /// Gets an SCP (including the builtin `p-FullAccess`).
    pub async fn get_scp(&self, id: &str) -> Result<ScpPolicy> {
        fetch_scp(self.reader(), id).await
    }

    /// Lists an organization's SCPs plus builtin ones, optionally only those attached to
    /// an entity (root, OU or account id).
    pub async fn list_scps(
        &self,
        organization_id: &str,
        attached_entity_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ScpPolicy>> {
        let p = page_args(page, 2)?;
        let mut qb = util::QueryBuilder::new(format!(
            "SELECT {SCP_COLS} FROM scp_policies s WHERE (s.organization_id IS NULL OR s.organization_id = "
        ));
        qb.push_bind(organization_id.to_owned()).push(")");
        if let Some(e) = attached_entity_id {
            qb.push(" AND s.id IN (SELECT policy_id FROM scp_attachments WHERE target_id = ")
                .push_bind(e.to_owned())
                .push(")");
        }
        push_after(&mut qb, "s.created_at", "s.id", p.after);
        qb.push(" ORDER BY s.created_at, s.id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<ScpPolicy>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |x| {
            vec![x.created_at.clone(), x.id.clone()]
        }))
    }

    /// Entities an SCP is attached to.
    pub async fn list_scp_targets(&self, policy_id: &str) -> Result<Vec<ScpAttachment>> {
        Ok(sqlx::query_as::<_, ScpAttachment>(sqlf!(
            "SELECT {SCP_ATT_COLS} FROM scp_attachments WHERE policy_id = $1 \
             ORDER BY attached_at, target_id"
        ))
        .bind(policy_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The SCPs that bound `account_id`, root → OUs → account, or why none apply.
    pub async fn scp_chain(&self, account_id: &str) -> Result<ScpChain> {
        let mut conn = self.reader().begin().await?;
        let Some(m) = fetch_org_account(&mut *conn, account_id).await? else {
            return Ok(ScpChain::NotInOrganization);
        };
        let org = fetch_org(&mut *conn, &m.organization_id).await?;
        if org.management_account_id == account_id {
            return Ok(ScpChain::ManagementAccount {
                organization_id: org.id,
            });
        }
        let root = root_of_org(&mut *conn, &org.id).await?;
        if !root.scp_enabled {
            return Ok(ScpChain::Disabled {
                organization_id: org.id,
            });
        }
        // walk up from the account's parent to the root
        let mut ids = vec![account_id.to_owned()];
        let mut cur = m.parent_id.clone();
        let mut guard = 0;
        while cur != root.id {
            ids.push(cur.clone());
            let ou = fetch_ou(&mut *conn, &cur).await?;
            cur = ou.parent_id;
            guard += 1;
            if guard > 64 {
                return Err(StoreError::conflict(
                    "organization",
                    "organizational unit cycle",
                ));
            }
        }
        ids.push(root.id.clone());
        ids.reverse();
        let mut levels = Vec::with_capacity(ids.len());
        for id in &ids {
            levels.push(scps_attached_to(&mut *conn, id).await?);
        }
        conn.commit().await?;
        Ok(ScpChain::Enforced {
            organization_id: org.id,
            level_ids: ids,
            levels,
        })
    }
}

// The bodies of the entity writes, run on the open transaction. `store_writes!` below documents
// them and makes them the `WriteTx` methods (each in a savepoint) and the `Store` methods (each
// in a transaction of its own).
impl Conn<'_> {
    async fn create_organization(
        &mut self,
        management_account_id: &str,
    ) -> Result<(Organization, Root)> {
        let tx = &mut *self.tx;
        crate::access::require_exists(tx, "account", "accounts", management_account_id).await?;
        if fetch_org_account(&mut **tx, management_account_id)
            .await?
            .is_some()
        {
            return Err(StoreError::conflict(
                "organization",
                format!("account `{management_account_id}` is already in an organization"),
            ));
        }
        let org_id = util::new_prefixed_id("o-")?;
        let root_id = util::new_prefixed_id("r-")?;
        let now = util::now();
        sqlx::query(
            "INSERT INTO organizations (id, management_account_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&org_id)
        .bind(management_account_id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO org_roots (id, organization_id, name, scp_enabled, created_at) \
             VALUES ($1, $2, 'Root', 0, $3)",
        )
        .bind(&root_id)
        .bind(&org_id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO org_accounts (account_id, organization_id, parent_id, join_method, \
             joined_at) VALUES ($1, $2, $3, 'created', $4)",
        )
        .bind(management_account_id)
        .bind(&org_id)
        .bind(&root_id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let org = fetch_org(&mut **tx, &org_id).await?;
        let root = fetch_root_row(&mut **tx, &root_id).await?;
        Ok((org, root.into()))
    }

    async fn create_organizational_unit(
        &mut self,
        parent_id: &str,
        name: &str,
    ) -> Result<OrganizationalUnit> {
        util::validate_org_name("name", name)?;
        let tx = &mut *self.tx;
        let org_id = resolve_parent(tx, parent_id).await?;
        let dup: Option<(String,)> =
            sqlx::query_as("SELECT id FROM org_units WHERE parent_id = $1 AND name = $2")
                .bind(parent_id)
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?;
        if dup.is_some() {
            return Err(StoreError::conflict(
                "organizational unit",
                format!("an organizational unit named `{name}` already exists under `{parent_id}`"),
            ));
        }
        let id = util::new_prefixed_id("ou-")?;
        sqlx::query(
            "INSERT INTO org_units (id, organization_id, name, parent_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(&org_id)
        .bind(name)
        .bind(parent_id)
        .bind(util::now())
        .execute(&mut **tx)
        .await?;
        attach_full_access_if_enabled(tx, &org_id, &id, OrgEntityType::OrganizationalUnit).await?;
        let ou = fetch_ou(&mut **tx, &id).await?;
        Ok(ou)
    }

    async fn rename_organizational_unit(
        &mut self,
        id: &str,
        name: &str,
    ) -> Result<OrganizationalUnit> {
        util::validate_org_name("name", name)?;
        let tx = &mut *self.tx;
        let ou = fetch_ou(&mut **tx, id).await?;
        let dup: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM org_units WHERE parent_id = $1 AND name = $2 AND id <> $3",
        )
        .bind(&ou.parent_id)
        .bind(name)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        if dup.is_some() {
            return Err(StoreError::conflict(
                "organizational unit",
                format!("an organizational unit named `{name}` already exists"),
            ));
        }
        sqlx::query("UPDATE org_units SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let ou = fetch_ou(&mut **tx, id).await?;
        Ok(ou)
    }

    async fn delete_organizational_unit(&mut self, id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        fetch_ou(&mut **tx, id).await?;
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM org_units WHERE parent_id = $1) + \
                    (SELECT COUNT(*) FROM org_accounts WHERE parent_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        if n > 0 {
            return Err(StoreError::conflict(
                "organizational unit",
                format!("`{id}` still contains organizational units or accounts"),
            ));
        }
        sqlx::query("DELETE FROM scp_attachments WHERE target_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM org_units WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn add_account_to_organization(
        &mut self,
        organization_id: &str,
        account_id: &str,
        parent_id: Option<&str>,
    ) -> Result<OrgAccount> {
        self.join_organization(organization_id, account_id, parent_id, "invited")
            .await
    }

    async fn add_created_account_to_organization(
        &mut self,
        organization_id: &str,
        account_id: &str,
        parent_id: Option<&str>,
    ) -> Result<OrgAccount> {
        self.join_organization(organization_id, account_id, parent_id, "created")
            .await
    }

    async fn join_organization(
        &mut self,
        organization_id: &str,
        account_id: &str,
        parent_id: Option<&str>,
        join_method: &'static str,
    ) -> Result<OrgAccount> {
        let tx = &mut *self.tx;
        fetch_org(&mut **tx, organization_id).await?;
        crate::access::require_exists(tx, "account", "accounts", account_id).await?;
        if fetch_org_account(&mut **tx, account_id).await?.is_some() {
            return Err(StoreError::conflict(
                "organization",
                format!("account `{account_id}` is already in an organization"),
            ));
        }
        let parent = match parent_id {
            Some(p) => {
                if resolve_parent(tx, p).await? != organization_id {
                    return Err(StoreError::invalid(
                        "parent_id",
                        format!("`{p}` is not in organization `{organization_id}`"),
                    ));
                }
                p.to_owned()
            }
            None => root_of_org(&mut **tx, organization_id).await?.id,
        };
        sqlx::query(
            "INSERT INTO org_accounts (account_id, organization_id, parent_id, join_method, \
             joined_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account_id)
        .bind(organization_id)
        .bind(&parent)
        .bind(join_method)
        .bind(util::now())
        .execute(&mut **tx)
        .await?;
        attach_full_access_if_enabled(tx, organization_id, account_id, OrgEntityType::Account)
            .await?;
        let m = fetch_org_account(&mut **tx, account_id)
            .await?
            .ok_or_else(|| StoreError::not_found("organization account", account_id))?;
        Ok(m)
    }

    async fn move_account(
        &mut self,
        account_id: &str,
        destination_parent_id: &str,
    ) -> Result<OrgAccount> {
        let tx = &mut *self.tx;
        let m = fetch_org_account(&mut **tx, account_id)
            .await?
            .ok_or_else(|| StoreError::not_found("organization account", account_id))?;
        if resolve_parent(tx, destination_parent_id).await? != m.organization_id {
            return Err(StoreError::invalid(
                "destination_parent_id",
                format!("`{destination_parent_id}` is not in the account's organization"),
            ));
        }
        sqlx::query("UPDATE org_accounts SET parent_id = $1 WHERE account_id = $2")
            .bind(destination_parent_id)
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
        let m = fetch_org_account(&mut **tx, account_id)
            .await?
            .ok_or_else(|| StoreError::not_found("organization account", account_id))?;
        Ok(m)
    }

    async fn remove_account_from_organization(&mut self, account_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let m = fetch_org_account(&mut **tx, account_id)
            .await?
            .ok_or_else(|| StoreError::not_found("organization account", account_id))?;
        let org = fetch_org(&mut **tx, &m.organization_id).await?;
        if org.management_account_id == account_id {
            return Err(StoreError::conflict(
                "organization",
                "the management account cannot leave its organization",
            ));
        }
        sqlx::query("DELETE FROM scp_attachments WHERE target_id = $1")
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM org_accounts WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn enable_policy_type(
        &mut self,
        root_id: &str,
        policy_type: OrgPolicyType,
    ) -> Result<Root> {
        if policy_type != OrgPolicyType::ServiceControlPolicy {
            return Err(StoreError::invalid(
                "policy_type",
                "only `service_control_policy` is supported",
            ));
        }
        let tx = &mut *self.tx;
        let root = fetch_root_row(&mut **tx, root_id).await?;
        if root.scp_enabled {
            return Err(StoreError::conflict(
                "root",
                "policy type `service_control_policy` is already enabled",
            ));
        }
        sqlx::query("UPDATE org_roots SET scp_enabled = 1 WHERE id = $1")
            .bind(root_id)
            .execute(&mut **tx)
            .await?;
        let org = root.organization_id.clone();
        let now = util::now();
        sqlx::query(
            "INSERT INTO scp_attachments (policy_id, organization_id, target_id, target_type, attached_at) \
             SELECT $1, $2, $3, 'root', $4 \
             UNION ALL SELECT $1, $2, id, 'organizational_unit', $4 FROM org_units WHERE organization_id = $2 \
             UNION ALL SELECT $1, $2, account_id, 'account', $4 FROM org_accounts WHERE organization_id = $2 \
             ON CONFLICT DO NOTHING",
        )
        .bind(FULL_ACCESS_SCP_ID)
        .bind(&org)
        .bind(root_id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let root = fetch_root_row(&mut **tx, root_id).await?;
        Ok(root.into())
    }

    async fn disable_policy_type(
        &mut self,
        root_id: &str,
        policy_type: OrgPolicyType,
    ) -> Result<Root> {
        if policy_type != OrgPolicyType::ServiceControlPolicy {
            return Err(StoreError::invalid(
                "policy_type",
                "only `service_control_policy` is supported",
            ));
        }
        let tx = &mut *self.tx;
        let root = fetch_root_row(&mut **tx, root_id).await?;
        if !root.scp_enabled {
            return Err(StoreError::conflict(
                "root",
                "policy type `service_control_policy` is not enabled",
            ));
        }
        sqlx::query(
            "DELETE FROM scp_attachments WHERE organization_id = $1 AND policy_id IN \
             (SELECT id FROM scp_policies WHERE policy_type = 'service_control_policy')",
        )
        .bind(&root.organization_id)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE org_roots SET scp_enabled = 0 WHERE id = $1")
            .bind(root_id)
            .execute(&mut **tx)
            .await?;
        let root = fetch_root_row(&mut **tx, root_id).await?;
        Ok(root.into())
    }

    async fn create_scp(&mut self, organization_id: &str, p: &NewScp) -> Result<ScpPolicy> {
        util::validate_org_name("name", &p.name)?;
        util::validate_description(&p.description)?;
        util::validate_document("content", &p.content, MAX_SCP_BYTES)?;
        let tx = &mut *self.tx;
        fetch_org(&mut **tx, organization_id).await?;
        let dup: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM scp_policies WHERE (organization_id = $1 OR organization_id IS NULL) \
             AND name = $2",
        )
        .bind(organization_id)
        .bind(&p.name)
        .fetch_optional(&mut **tx)
        .await?;
        if dup.is_some() {
            return Err(StoreError::conflict(
                "policy",
                format!("a policy named `{}` already exists", p.name),
            ));
        }
        let id = util::new_prefixed_id("p-")?;
        let now = util::now();
        sqlx::query(
            "INSERT INTO scp_policies (id, organization_id, name, policy_type, content, \
             description, is_builtin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
        )
        .bind(&id)
        .bind(organization_id)
        .bind(&p.name)
        .bind(p.policy_type)
        .bind(&p.content)
        .bind(&p.description)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let s = fetch_scp(&mut **tx, &id).await?;
        Ok(s)
    }

    async fn update_scp(&mut self, id: &str, upd: &ScpUpdate) -> Result<ScpPolicy> {
        if let Some(n) = &upd.name {
            util::validate_org_name("name", n)?;
        }
        if let Some(d) = &upd.description {
            util::validate_description(d)?;
        }
        if let Some(c) = &upd.content {
            util::validate_document("content", c, MAX_SCP_BYTES)?;
        }
        let tx = &mut *self.tx;
        let cur = fetch_scp(&mut **tx, id).await?;
        if cur.is_builtin {
            return Err(StoreError::conflict(
                "policy",
                "builtin policies cannot be edited",
            ));
        }
        if let Some(n) = &upd.name
            && n != &cur.name
        {
            let dup: Option<(String,)> = sqlx::query_as(
                "SELECT id FROM scp_policies WHERE (organization_id = $1 OR organization_id IS NULL) \
                 AND name = $2",
            )
            .bind(&cur.organization_id)
            .bind(n)
            .fetch_optional(&mut **tx)
            .await?;
            if dup.is_some() {
                return Err(StoreError::conflict(
                    "policy",
                    format!("a policy named `{n}` already exists"),
                ));
            }
        }
        sqlx::query(
            "UPDATE scp_policies SET name = $1, description = $2, content = $3, updated_at = $4 \
             WHERE id = $5",
        )
        .bind(upd.name.as_ref().unwrap_or(&cur.name))
        .bind(upd.description.as_ref().unwrap_or(&cur.description))
        .bind(upd.content.as_ref().unwrap_or(&cur.content))
        .bind(util::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
        let s = fetch_scp(&mut **tx, id).await?;
        Ok(s)
    }

    async fn delete_scp(&mut self, id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let cur = fetch_scp(&mut **tx, id).await?;
        if cur.is_builtin {
            return Err(StoreError::conflict(
                "policy",
                "builtin policies cannot be deleted",
            ));
        }
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM scp_attachments WHERE policy_id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        if n > 0 {
            return Err(StoreError::conflict(
                "policy",
                format!(
                    "policy `{}` is attached to {n} entities; detach it first",
                    cur.name
                ),
            ));
        }
        sqlx::query("DELETE FROM scp_policies WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn attach_scp(&mut self, policy_id: &str, entity_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let scp = fetch_scp(&mut **tx, policy_id).await?;
        let (org_id, kind) = resolve_entity(tx, entity_id).await?;
        if let Some(o) = &scp.organization_id
            && o != &org_id
        {
            return Err(StoreError::invalid(
                "policy_id",
                format!("policy `{policy_id}` belongs to another organization"),
            ));
        }
        let root = root_of_org(&mut **tx, &org_id).await?;
        if scp.policy_type == OrgPolicyType::ServiceControlPolicy && !root.scp_enabled {
            return Err(StoreError::conflict(
                "policy",
                "policy type `service_control_policy` is not enabled on the root",
            ));
        }
        insert_scp_attachment(tx, policy_id, &org_id, entity_id, kind).await?;
        Ok(())
    }

    async fn detach_scp(&mut self, policy_id: &str, entity_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let scp = fetch_scp(&mut **tx, policy_id).await?;
        let attached: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM scp_attachments WHERE policy_id = $1 AND target_id = $2")
                .bind(policy_id)
                .bind(entity_id)
                .fetch_optional(&mut **tx)
                .await?;
        if attached.is_none() {
            return Err(StoreError::not_found(
                "policy attachment",
                format!("{policy_id} on {entity_id}"),
            ));
        }
        if scp.policy_type == OrgPolicyType::ServiceControlPolicy {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM scp_attachments t JOIN scp_policies s ON s.id = t.policy_id \
                 WHERE t.target_id = $1 AND s.policy_type = 'service_control_policy'",
            )
            .bind(entity_id)
            .fetch_one(&mut **tx)
            .await?;
            if n <= 1 {
                return Err(StoreError::conflict(
                    "policy",
                    format!("you cannot detach the last SCP from `{entity_id}`"),
                ));
            }
        }
        sqlx::query("DELETE FROM scp_attachments WHERE policy_id = $1 AND target_id = $2")
            .bind(policy_id)
            .bind(entity_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

store_writes! {
    /// Creates an organization managed by `management_account_id`, with its root (SCPs
    /// disabled). The management account becomes a member under the root.
    fn create_organization(management_account_id: &str) -> (Organization, Root);
    /// Creates an OU under a root or OU (FullAccess is attached if SCPs are enabled).
    fn create_organizational_unit(parent_id: &str, name: &str) -> OrganizationalUnit;
    /// Renames an OU.
    fn rename_organizational_unit(id: &str, name: &str) -> OrganizationalUnit;
    /// Deletes an empty OU (no child OUs, no accounts) and its SCP attachments.
    fn delete_organizational_unit(id: &str) -> ();
    /// Adds an existing account to an organization under `parent_id` (root or OU of that
    /// organization; `None` = root), join method `invited`. FullAccess is attached if SCPs are
    /// enabled.
    fn add_account_to_organization(organization_id: &str, account_id: &str, parent_id: Option<&str>) -> OrgAccount;
    /// As [`Store::add_account_to_organization`] for an account the organization created
    /// (`POST /v1/organizations/accounts`): join method `created`.
    fn add_created_account_to_organization(organization_id: &str, account_id: &str, parent_id: Option<&str>) -> OrgAccount;
    /// Moves a member account to another root/OU of the same organization.
    fn move_account(account_id: &str, destination_parent_id: &str) -> OrgAccount;
    /// Removes a member account (not the management account) and its SCP attachments.
    fn remove_account_from_organization(account_id: &str) -> ();
    /// Enables a policy type on a root. For `service_control_policy` the builtin FullAccess
    /// SCP is attached to the root, every OU and every account.
    fn enable_policy_type(root_id: &str, policy_type: OrgPolicyType) -> Root;
    /// Disables a policy type on a root: every SCP attachment of the organization is removed
    /// (the policies themselves are kept).
    fn disable_policy_type(root_id: &str, policy_type: OrgPolicyType) -> Root;
    /// Creates a custom SCP in an organization.
    fn create_scp(organization_id: &str, p: &NewScp) -> ScpPolicy;
    /// Updates a custom SCP (builtin policies cannot be edited).
    fn update_scp(id: &str, upd: &ScpUpdate) -> ScpPolicy;
    /// Deletes a custom SCP that is attached nowhere.
    fn delete_scp(id: &str) -> ();
    /// Attaches an SCP to a root, OU or account. The SCP policy type must be enabled on the
    /// organization's root. Attaching twice is a no-op.
    fn attach_scp(policy_id: &str, entity_id: &str) -> ();
    /// Detaches an SCP. The last SCP of a root, OU or account cannot be detached while the
    /// policy type is enabled.
    fn detach_scp(policy_id: &str, entity_id: &str) -> ();
}
