//! Identity policies, versions and attachments.

use crate::accounts::push_after;
use crate::error::{Result, StoreError};
use crate::model::{
    AttachedPolicy, Page, PageRequest, Policy, PolicyAttachment, PolicyType, PolicyVersion,
    PrincipalType,
};
use crate::util::{self, finish_page, page_args};
use crate::{Conn, Store, Tx, WriteTx};

/// The columns of a [`Policy`] but `attachment_count` (a macro, so that both lists below are
/// constants).
macro_rules! policy_base_cols {
    () => {
        "p.id, p.account_id, p.name, \
         CASE WHEN p.account_id IS NULL THEN COALESCE(p.urn, 'iam::system:policy:' || p.name) \
              ELSE 'iam::' || p.account_id || ':policy:' || p.name END AS urn, \
         p.path, p.policy_type, 'v' || p.default_version AS default_version_id, \
         p.description, p.created_at, p.updated_at"
    };
}

/// The columns of a [`Policy`] but `attachment_count`, which the query adds for its viewer.
const POLICY_BASE_COLS: &str = policy_base_cols!();

/// The columns of a [`Policy`], `attachment_count` counting the attachments of every account
/// (what the store itself needs; an account is shown only its own, see [`viewer_count`]).
pub(crate) const POLICY_COLS: &str = concat!(
    policy_base_cols!(),
    ", (SELECT COUNT(*) FROM policy_attachments a WHERE a.policy_id = p.id) AS attachment_count"
);

/// `attachment_count` as `account` sees it, `account` bound as parameter `$n`: a custom
/// policy's attachments are all in its account; of a system policy, only the account's own.
fn viewer_count(n: u8) -> String {
    format!(
        "(SELECT COUNT(*) FROM policy_attachments a WHERE a.policy_id = p.id \
         AND (p.account_id IS NOT NULL OR a.account_id = ${n})) AS attachment_count"
    )
}

const VERSION_COLS: &str = "v.policy_id, 'v' || v.version AS version_id, v.document, \
     (v.version = p.default_version) AS is_default, v.created_at";

/// Input of [`Store::create_policy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPolicy {
    /// `[A-Za-z0-9_+=.@-]{1,128}`.
    pub name: String,
    /// Document (validated by the caller), at most 6,144 bytes, stored verbatim as `v1`.
    pub document: String,
    /// `""` or `a/b/`.
    pub path: String,
    /// At most 1000 characters.
    pub description: String,
}

/// Filter for [`Store::list_policies`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyFilter {
    /// Only custom or only system policies.
    pub policy_type: Option<PolicyType>,
    /// Only policies whose path starts with this.
    pub path_prefix: Option<String>,
    /// Only policies attached to at least one principal.
    pub only_attached: bool,
}

fn parse_version_id(v: &str) -> Result<i64> {
    v.strip_prefix('v')
        .filter(|d| !d.is_empty() && d.len() <= 9 && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<i64>().ok())
        .ok_or_else(|| {
            StoreError::invalid("version_id", format!("`{v}` is not of the form `v<n>`"))
        })
}

pub(crate) async fn fetch_policy(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<Policy> {
    let sql = sqlf!("SELECT {POLICY_COLS} FROM policies p WHERE p.id = $1");
    util::fetch_one(exec, sql, "policy", id).await
}

async fn fetch_version(
    exec: impl sqlx::AnyExecutor<'_>,
    policy_id: &str,
    version: i64,
) -> Result<PolicyVersion> {
    sqlx::query_as::<_, PolicyVersion>(sqlf!(
        "SELECT {VERSION_COLS} FROM policy_versions v JOIN policies p ON p.id = v.policy_id \
         WHERE v.policy_id = $1 AND v.version = $2"
    ))
    .bind(policy_id)
    .bind(version)
    .fetch_optional(exec)
    .await?
    .ok_or_else(|| StoreError::not_found("policy version", format!("{policy_id}/v{version}")))
}

/// The policy if it is a custom one: a system policy cannot be modified, deleted or given
/// versions by anyone ([`StoreError::Unmodifiable`]).
fn custom_only(p: Policy, what: &str) -> Result<Policy> {
    if p.policy_type == PolicyType::System {
        return Err(StoreError::Unmodifiable {
            kind: "policy",
            detail: format!(
                "`{}` is a system policy: it cannot be {what}, whoever asks",
                p.name
            ),
        });
    }
    Ok(p)
}

/// Returns the account of the principal (and checks it exists).
async fn principal_account(tx: &mut Tx, kind: PrincipalType, id: &str) -> Result<String> {
    let table = match kind {
        PrincipalType::User => "users",
        PrincipalType::Group => "groups",
        PrincipalType::Agency => "agencies",
    };
    let row: Option<(String,)> =
        sqlx::query_as(sqlf!("SELECT account_id FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|r| r.0)
        .ok_or_else(|| StoreError::not_found(kind.stored_name(), id))
}

impl Store {
    /// Gets a policy.
    pub async fn get_policy(&self, id: &str) -> Result<Policy> {
        fetch_policy(self.reader(), id).await
    }

    /// Gets a policy as `account_id` sees it: its `attachment_count` counts only the account's
    /// own attachments (a system policy's attachments in other accounts are theirs).
    pub async fn get_policy_for(&self, account_id: &str, id: &str) -> Result<Policy> {
        let count = viewer_count(2);
        let sql = sqlf!("SELECT {POLICY_BASE_COLS}, {count} FROM policies p WHERE p.id = $1");
        sqlx::query_as::<_, Policy>(sql)
            .bind(id)
            .bind(account_id)
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::not_found("policy", id))
    }

    /// Gets a custom policy by account and name, or a system policy by name if
    /// `account_id` is `None`.
    pub async fn get_policy_by_name(&self, account_id: Option<&str>, name: &str) -> Result<Policy> {
        sqlx::query_as::<_, Policy>(sqlf!(
            "SELECT {POLICY_COLS} FROM policies p \
             WHERE COALESCE(p.account_id, '') = COALESCE($1, '') AND p.name = $2"
        ))
        .bind(account_id)
        .bind(name)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::not_found("policy", name))
    }

    /// Lists the policies visible to an account (its custom ones and all system ones).
    pub async fn list_policies(
        &self,
        account_id: &str,
        filter: &PolicyFilter,
        page: &PageRequest,
    ) -> Result<Page<Policy>> {
        let p = page_args(page, 2)?;
        // attachment counts and `only_attached` as the account sees them: its own attachments
        let mut qb = util::QueryBuilder::new(format!(
            "SELECT {POLICY_BASE_COLS}, (SELECT COUNT(*) FROM policy_attachments a \
             WHERE a.policy_id = p.id AND a.account_id = "
        ));
        qb.push_bind(account_id.to_owned())
            .push(") AS attachment_count FROM policies p WHERE (p.account_id IS NULL OR p.account_id = ")
            .push_bind(account_id.to_owned())
            .push(")");
        if let Some(t) = filter.policy_type {
            qb.push(" AND p.policy_type = ").push_bind(t);
        }
        if let Some(pp) = &filter.path_prefix {
            qb.push(" AND substr(p.path, 1, length(")
                .push_bind(pp.clone())
                .push(")) = ")
                .push_bind(pp.clone());
        }
        if filter.only_attached {
            qb.push(
                " AND EXISTS (SELECT 1 FROM policy_attachments a WHERE a.policy_id = p.id \
                 AND a.account_id = ",
            )
            .push_bind(account_id.to_owned())
            .push(")");
        }
        push_after(&mut qb, "p.created_at", "p.id", p.after);
        qb.push(" ORDER BY p.created_at, p.id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<Policy>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |x| {
            vec![x.created_at.clone(), x.id.clone()]
        }))
    }

    // ------------------------------------------------------------------------- versions

    /// Gets one version (`version_id` like `v2`).
    pub async fn get_policy_version(
        &self,
        policy_id: &str,
        version_id: &str,
    ) -> Result<PolicyVersion> {
        let n = parse_version_id(version_id)?;
        fetch_version(self.reader(), policy_id, n).await
    }

    /// Gets the default version of a policy.
    pub async fn get_default_policy_version(&self, policy_id: &str) -> Result<PolicyVersion> {
        util::fetch_one(
            self.reader(),
            sqlf!(
                "SELECT {VERSION_COLS} FROM policy_versions v JOIN policies p ON p.id = v.policy_id \
                 WHERE v.policy_id = $1 AND v.version = p.default_version"
            ),
            "policy",
            policy_id,
        )
        .await
    }

    /// Lists a policy's versions, newest first.
    pub async fn list_policy_versions(
        &self,
        policy_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PolicyVersion>> {
        let p = page_args(page, 1)?;
        fetch_policy(self.reader(), policy_id).await?;
        let mut qb = util::QueryBuilder::new(format!(
            "SELECT {VERSION_COLS} FROM policy_versions v JOIN policies p ON p.id = v.policy_id \
             WHERE v.policy_id = "
        ));
        qb.push_bind(policy_id.to_owned());
        if let Some(after) = p.after {
            let n = after
                .first()
                .map(|s| parse_version_id(s))
                .transpose()?
                .unwrap_or(0);
            qb.push(" AND v.version < ").push_bind(n);
        }
        qb.push(" ORDER BY v.version DESC LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<PolicyVersion>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |v| vec![v.version_id.clone()]))
    }

    // ---------------------------------------------------------------------- attachments

    /// Policies attached to a principal, in attachment order.
    pub async fn list_attached_policies(
        &self,
        kind: PrincipalType,
        principal_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AttachedPolicy>> {
        let p = page_args(page, 2)?;
        let mut qb = util::QueryBuilder::new(
            "SELECT a.policy_id, p.name AS policy_name, \
             CASE WHEN p.account_id IS NULL THEN COALESCE(p.urn, 'iam::system:policy:' || p.name) \
                  ELSE 'iam::' || p.account_id || ':policy:' || p.name END AS urn, a.attached_at \
             FROM policy_attachments a JOIN policies p ON p.id = a.policy_id \
             WHERE a.principal_type = ",
        );
        qb.push_bind(kind)
            .push(" AND a.principal_id = ")
            .push_bind(principal_id.to_owned());
        push_after(&mut qb, "a.attached_at", "a.policy_id", p.after);
        qb.push(" ORDER BY a.attached_at, a.policy_id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<AttachedPolicy>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |x| {
            vec![x.attached_at.clone(), x.policy_id.clone()]
        }))
    }

    /// Principals a policy is attached to, optionally of one kind, optionally only those of
    /// one account (what that account may see of a system policy).
    pub async fn list_policy_attachments(
        &self,
        policy_id: &str,
        kind: Option<PrincipalType>,
        account_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<PolicyAttachment>> {
        let p = page_args(page, 2)?;
        let mut qb = util::QueryBuilder::new(
            "SELECT policy_id, principal_type, principal_id, attached_at FROM policy_attachments \
             WHERE policy_id = ",
        );
        qb.push_bind(policy_id.to_owned());
        if let Some(a) = account_id {
            qb.push(" AND account_id = ").push_bind(a.to_owned());
        }
        if let Some(k) = kind {
            qb.push(" AND principal_type = ").push_bind(k);
        }
        push_after(&mut qb, "attached_at", "principal_id", p.after);
        qb.push(" ORDER BY attached_at, principal_id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<PolicyAttachment>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |x| {
            vec![x.attached_at.clone(), x.principal_id.clone()]
        }))
    }
}

// The bodies of the entity writes, run on the open transaction. `store_writes!` below documents
// them and makes them the `WriteTx` methods (each in a savepoint) and the `Store` methods (each
// in a transaction of its own).
impl Conn<'_> {
    async fn create_policy(&mut self, account_id: &str, p: &NewPolicy) -> Result<Policy> {
        // A custom policy may not take the name of a system policy (nor a look-alike of it):
        // every account sees both in one list and attaches by what the name says. Checked
        // first, so that a system policy's name is a conflict even where it is no valid custom
        // name (`ModelArts CommonOperations`).
        let system: Option<(String,)> =
            sqlx::query_as("SELECT name FROM policies WHERE account_id IS NULL AND name_key = $1")
                .bind(crate::names::name_key(&p.name))
                .fetch_optional(&mut **self.tx)
                .await?;
        if let Some((existing,)) = system {
            return Err(StoreError::conflict(
                "policy",
                format!("`{}` is the name of the system policy `{existing}`", p.name),
            ));
        }
        util::validate_policy_name(&p.name)?;
        util::validate_path(&p.path)?;
        util::validate_description(&p.description)?;
        util::validate_document(
            "policy_document",
            &p.document,
            util::MAX_POLICY_DOCUMENT_BYTES,
        )?;
        let tx = &mut *self.tx;
        crate::access::require_exists(tx, "account", "accounts", account_id).await?;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM policies WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&mut **tx)
            .await?;
        let max = self.store.limits().max_policies_per_account;
        if n >= i64::from(max) {
            return Err(StoreError::limit("custom policies per account", max));
        }
        crate::access::require_name_free(
            tx,
            crate::names::NameKind::Policy,
            Some(account_id),
            &p.name,
            None,
        )
        .await?;
        let id = util::new_id()?;
        let now = util::now();
        sqlx::query(
            "INSERT INTO policies (id, account_id, name, path, policy_type, default_version, \
             next_version, description, created_at, updated_at, name_key) \
             VALUES ($1, $2, $3, $4, $5, 1, 2, $6, $7, $7, $8)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(&p.name)
        .bind(&p.path)
        .bind(PolicyType::Custom)
        .bind(&p.description)
        .bind(&now)
        .bind(crate::names::name_key(&p.name))
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, version, document, created_at) \
             VALUES ($1, 1, $2, $3)",
        )
        .bind(&id)
        .bind(&p.document)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let policy = fetch_policy(&mut **tx, &id).await?;
        Ok(policy)
    }

    async fn update_policy_description(&mut self, id: &str, description: &str) -> Result<Policy> {
        util::validate_description(description)?;
        let tx = &mut *self.tx;
        custom_only(fetch_policy(&mut **tx, id).await?, "modified")?;
        sqlx::query("UPDATE policies SET description = $1, updated_at = $2 WHERE id = $3")
            .bind(description)
            .bind(util::now())
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let p = fetch_policy(&mut **tx, id).await?;
        Ok(p)
    }

    async fn delete_policy(&mut self, id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let p = custom_only(fetch_policy(&mut **tx, id).await?, "deleted")?;
        if p.attachment_count > 0 {
            return Err(StoreError::conflict(
                "policy",
                format!(
                    "policy `{}` is attached to {} principal(s); detach it first",
                    p.name, p.attachment_count
                ),
            ));
        }
        sqlx::query("DELETE FROM policies WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn create_policy_version(
        &mut self,
        policy_id: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<PolicyVersion> {
        util::validate_document("policy_document", document, util::MAX_POLICY_DOCUMENT_BYTES)?;
        let tx = &mut *self.tx;
        custom_only(
            fetch_policy(&mut **tx, policy_id).await?,
            "given a new version",
        )?;
        let row: Option<(i64,)> = sqlx::query_as("SELECT next_version FROM policies WHERE id = $1")
            .bind(policy_id)
            .fetch_optional(&mut **tx)
            .await?;
        let (next,) = row.ok_or_else(|| StoreError::not_found("policy", policy_id))?;
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM policy_versions WHERE policy_id = $1")
                .bind(policy_id)
                .fetch_one(&mut **tx)
                .await?;
        let max = self.store.limits().max_policy_versions;
        if n >= i64::from(max) {
            return Err(StoreError::limit("versions per policy", max));
        }
        let now = util::now();
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, version, document, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(policy_id)
        .bind(next)
        .bind(document)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE policies SET next_version = next_version + 1, updated_at = $1, \
             default_version = CASE WHEN $2 = 1 THEN $3 ELSE default_version END WHERE id = $4",
        )
        .bind(&now)
        .bind(util::flag(set_as_default))
        .bind(next)
        .bind(policy_id)
        .execute(&mut **tx)
        .await?;
        let v = fetch_version(&mut **tx, policy_id, next).await?;
        Ok(v)
    }

    async fn delete_policy_version(&mut self, policy_id: &str, version_id: &str) -> Result<()> {
        let n = parse_version_id(version_id)?;
        let tx = &mut *self.tx;
        custom_only(fetch_policy(&mut **tx, policy_id).await?, "changed")?;
        let v = fetch_version(&mut **tx, policy_id, n).await?;
        if v.is_default {
            return Err(StoreError::conflict(
                "policy version",
                format!("`{version_id}` is the default version and cannot be deleted"),
            ));
        }
        sqlx::query("DELETE FROM policy_versions WHERE policy_id = $1 AND version = $2")
            .bind(policy_id)
            .bind(n)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE policies SET updated_at = $1 WHERE id = $2")
            .bind(util::now())
            .bind(policy_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn set_default_policy_version(
        &mut self,
        policy_id: &str,
        version_id: &str,
    ) -> Result<Policy> {
        let n = parse_version_id(version_id)?;
        let tx = &mut *self.tx;
        custom_only(fetch_policy(&mut **tx, policy_id).await?, "changed")?;
        fetch_version(&mut **tx, policy_id, n).await?;
        sqlx::query("UPDATE policies SET default_version = $1, updated_at = $2 WHERE id = $3")
            .bind(n)
            .bind(util::now())
            .bind(policy_id)
            .execute(&mut **tx)
            .await?;
        let p = fetch_policy(&mut **tx, policy_id).await?;
        Ok(p)
    }

    async fn attach_policy(
        &mut self,
        policy_id: &str,
        kind: PrincipalType,
        principal_id: &str,
    ) -> Result<()> {
        let tx = &mut *self.tx;
        let policy = fetch_policy(&mut **tx, policy_id).await?;
        let acct = principal_account(tx, kind, principal_id).await?;
        if let Some(pa) = &policy.account_id
            && pa != &acct
        {
            return Err(StoreError::invalid(
                "policy_id",
                format!("policy `{policy_id}` belongs to another account"),
            ));
        }
        let exists: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM policy_attachments WHERE principal_type = $1 AND principal_id = $2 \
             AND policy_id = $3",
        )
        .bind(kind)
        .bind(principal_id)
        .bind(policy_id)
        .fetch_optional(&mut **tx)
        .await?;
        if exists.is_some() {
            return Ok(());
        }
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM policy_attachments WHERE principal_type = $1 AND principal_id = $2",
        )
        .bind(kind)
        .bind(principal_id)
        .fetch_one(&mut **tx)
        .await?;
        let max = self.store.limits().max_attached_policies;
        if n >= i64::from(max) {
            return Err(StoreError::limit("policies attached to one principal", max));
        }
        sqlx::query(
            "INSERT INTO policy_attachments (policy_id, principal_type, principal_id, attached_at, \
             account_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(policy_id)
        .bind(kind)
        .bind(principal_id)
        .bind(util::now())
        .bind(&acct)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn detach_policy(
        &mut self,
        policy_id: &str,
        kind: PrincipalType,
        principal_id: &str,
    ) -> Result<()> {
        let tx = &mut *self.tx;
        let r = sqlx::query(
            "DELETE FROM policy_attachments WHERE principal_type = $1 AND principal_id = $2 \
             AND policy_id = $3",
        )
        .bind(kind)
        .bind(principal_id)
        .bind(policy_id)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::not_found(
                "policy attachment",
                format!("{policy_id} on {} {principal_id}", kind.stored_name()),
            ));
        }
        Ok(())
    }
}

store_writes! {
    /// Creates a custom identity policy with version `v1` as default.
    fn create_policy(account_id: &str, p: &NewPolicy) -> Policy;
    /// Updates a policy's description.
    fn update_policy_description(id: &str, description: &str) -> Policy;
    /// Deletes a policy and its versions. Fails with `Conflict` while it is attached.
    fn delete_policy(id: &str) -> ();
    /// Adds a version (`v<n>`, n increasing, never reused). A policy has at most 5 versions:
    /// creating a 6th fails with `LimitExceeded` (delete a non-default version first).
    fn create_policy_version(policy_id: &str, document: &str, set_as_default: bool) -> PolicyVersion;
    /// Deletes a non-default version (deleting the default version fails with `Conflict`).
    fn delete_policy_version(policy_id: &str, version_id: &str) -> ();
    /// Makes `version_id` the default (exactly one version is default at any time).
    fn set_default_policy_version(policy_id: &str, version_id: &str) -> Policy;
    /// Attaches a policy to a user, group or agency of the policy's account (system policies
    /// attach to any account). At most 10 (configurable up to 20) per principal. Attaching
    /// an already attached policy is a no-op.
    fn attach_policy(policy_id: &str, kind: PrincipalType, principal_id: &str) -> ();
    /// Detaches a policy (`NotFound` if it was not attached).
    fn detach_policy(policy_id: &str, kind: PrincipalType, principal_id: &str) -> ();
}
