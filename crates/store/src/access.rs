//! Users, groups and membership, access keys, agencies.

use crate::accounts::push_after;
use crate::error::{Result, StoreError};
use crate::model::{
    AccessKey, AccessKeyStatus, Agency, CreatedAccessKey, Group, Page, PageRequest, PrincipalType,
    User,
};
use crate::names::{NameKind, name_key};
use crate::util::{self, finish_page, page_args};
use crate::{Conn, Store, Tx, WriteTx};
use secrecy::SecretString;

pub(crate) const USER_COLS: &str = "id, account_id, name, 'iam::' || account_id || ':user:' || name AS urn, \
     enabled, is_root_user, description, created_at";
pub(crate) const GROUP_COLS: &str = "id, account_id, name, 'iam::' || account_id || ':group:' || name AS urn, \
     description, created_at, is_system";
pub(crate) const AK_COLS: &str = "access_key_id, user_id, status, created_at";
pub(crate) const AGENCY_COLS: &str = "id, account_id, name, \
     'iam::' || account_id || ':agency:' || path || name AS urn, path, trust_policy, \
     max_session_duration, description, created_at";

/// Input of [`Store::create_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// 1-64 of letters, digits, `_ - .` and space, not starting with a digit.
    pub name: String,
    /// Enabled.
    pub enabled: bool,
    /// At most 1000 characters.
    pub description: String,
}

/// Changes for [`Store::update_user`]; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    /// New name.
    pub name: Option<String>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// New description.
    pub description: Option<String>,
}

/// Changes for [`Store::update_group`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

/// Input of [`Store::create_agency`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    /// `[A-Za-z0-9_+=,.@-]{1,64}`.
    pub name: String,
    /// `""` or `a/b/`.
    pub path: String,
    /// Trust policy document (validated by the caller), at most 6,144 bytes.
    pub trust_policy: String,
    /// 3600-43200 seconds; `None` means 3600.
    pub max_session_duration: Option<i64>,
    /// At most 1000 characters.
    pub description: String,
}

/// Changes for [`Store::update_agency`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyUpdate {
    /// 3600-43200 seconds.
    pub max_session_duration: Option<i64>,
    /// New description.
    pub description: Option<String>,
}

fn validate_session_duration(d: i64) -> Result<()> {
    if !(3600..=43200).contains(&d) {
        return Err(StoreError::invalid(
            "max_session_duration",
            format!("must be 3600-43200 seconds, got {d}"),
        ));
    }
    Ok(())
}

/// access_key_id, user_id, status, created_at, nonce, ciphertext
type KeyRow = (String, String, AccessKeyStatus, String, Vec<u8>, Vec<u8>);

pub(crate) async fn require_exists(
    tx: &mut Tx,
    kind: &'static str,
    table: &str,
    id: &str,
) -> Result<()> {
    let found: Option<(i64,)> = sqlx::query_as(sqlf!("SELECT 1 FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::not_found(kind, id))
}

/// Refuses `name` when another entity of `kind` in the namespace (`account_id`; `None` = the
/// system policies) has the same [`name_key`]: the same name, or one differing only in letter
/// case or Unicode compatibility form. `except` is the entity being renamed. The unique index on
/// `name_key` backs this check inside the same transaction.
pub(crate) async fn require_name_free(
    tx: &mut Tx,
    kind: NameKind,
    account_id: Option<&str>,
    name: &str,
    except: Option<&str>,
) -> Result<()> {
    // Each condition matches its table's unique index, so the look-up is an index probe.
    let (table, account) = match kind {
        NameKind::User => ("users", "account_id = $1"),
        NameKind::Group => ("groups", "account_id = $1"),
        NameKind::Agency => ("agencies", "account_id = $1"),
        NameKind::Policy => ("policies", "COALESCE(account_id, '') = COALESCE($1, '')"),
        NameKind::EnterpriseProject => ("enterprise_projects", "account_id = $1"),
        NameKind::Workspace => ("workspaces", "account_id = $1"),
    };
    let found: Option<(String, String)> = sqlx::query_as(sqlf!(
        "SELECT id, name FROM {table} WHERE {account} AND name_key = $2 AND id <> $3"
    ))
    .bind(account_id)
    .bind(name_key(name))
    .bind(except.unwrap_or(""))
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, existing)) = found else {
        return Ok(());
    };
    let noun = kind.noun();
    Err(StoreError::conflict(
        noun,
        if existing == name {
            format!("a {noun} named `{name}` already exists (id {id})")
        } else {
            format!(
                "the {noun} name `{name}` differs from the existing {noun} `{existing}` (id {id}) \
                 only in letter case or Unicode compatibility form; choose a distinct name"
            )
        },
    ))
}

pub(crate) async fn insert_user(
    tx: &mut Tx,
    account_id: &str,
    u: &NewUser,
    is_root: bool,
) -> Result<User> {
    require_name_free(tx, NameKind::User, Some(account_id), &u.name, None).await?;
    let user = User {
        id: util::new_id()?,
        account_id: account_id.to_owned(),
        name: u.name.clone(),
        urn: format!("iam::{account_id}:user:{}", u.name),
        enabled: u.enabled,
        is_root_user: is_root,
        description: u.description.clone(),
        created_at: util::now(),
    };
    sqlx::query(
        "INSERT INTO users (id, account_id, name, enabled, is_root_user, description, created_at, \
         name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&user.id)
    .bind(&user.account_id)
    .bind(&user.name)
    .bind(util::flag(user.enabled))
    .bind(util::flag(user.is_root_user))
    .bind(&user.description)
    .bind(&user.created_at)
    .bind(name_key(&user.name))
    .execute(&mut **tx)
    .await?;
    Ok(user)
}

/// Inserts a group (`system`: the account's built-in `admin` group, see `create_account_tx`).
pub(crate) async fn insert_group(
    tx: &mut Tx,
    account_id: &str,
    name: &str,
    description: &str,
    system: bool,
) -> Result<Group> {
    require_name_free(tx, NameKind::Group, Some(account_id), name, None).await?;
    let id = util::new_id()?;
    sqlx::query(
        "INSERT INTO groups (id, account_id, name, description, created_at, is_system, name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(name)
    .bind(description)
    .bind(util::now())
    .bind(util::flag(system))
    .bind(name_key(name))
    .execute(&mut **tx)
    .await?;
    fetch_group(&mut **tx, &id).await
}

fn system_group_error(g: &Group, what: &str) -> StoreError {
    StoreError::unmodifiable(
        "group",
        format!(
            "`{}` is the account's built-in administrator group (a system group): it cannot be {what}",
            g.name
        ),
    )
}

async fn fetch_user(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<User> {
    util::fetch_one(
        exec,
        sqlf!("SELECT {USER_COLS} FROM users WHERE id = $1"),
        "user",
        id,
    )
    .await
}

async fn fetch_group(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<Group> {
    util::fetch_one(
        exec,
        sqlf!("SELECT {GROUP_COLS} FROM groups WHERE id = $1"),
        "group",
        id,
    )
    .await
}

async fn fetch_agency(exec: impl sqlx::AnyExecutor<'_>, id: &str) -> Result<Agency> {
    util::fetch_one(
        exec,
        sqlf!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1"),
        "agency",
        id,
    )
    .await
}

async fn fetch_access_key(exec: impl sqlx::AnyExecutor<'_>, ak: &str) -> Result<AccessKey> {
    let sql = sqlf!("SELECT {AK_COLS} FROM access_keys WHERE access_key_id = $1");
    util::fetch_one(exec, sql, "access key", ak).await
}

pub(crate) async fn delete_attachments_of(
    tx: &mut Tx,
    kind: PrincipalType,
    id: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM policy_attachments WHERE principal_type = $1 AND principal_id = $2")
        .bind(kind.stored_name())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    // ---------------------------------------------------------------------------- users

    /// Gets a user.
    pub async fn get_user(&self, id: &str) -> Result<User> {
        fetch_user(self.reader(), id).await
    }

    /// Gets a user by account and name.
    pub async fn get_user_by_name(&self, account_id: &str, name: &str) -> Result<User> {
        sqlx::query_as::<_, User>(sqlf!(
            "SELECT {USER_COLS} FROM users WHERE account_id = $1 AND name = $2"
        ))
        .bind(account_id)
        .bind(name)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::not_found("user", name))
    }

    /// Lists an account's users in creation order, optionally only members of `group_id`.
    pub async fn list_users(
        &self,
        account_id: &str,
        group_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        let p = page_args(page, 2)?;
        let mut qb =
            util::QueryBuilder::new(format!("SELECT {USER_COLS} FROM users WHERE account_id = "));
        qb.push_bind(account_id.to_owned());
        if let Some(g) = group_id {
            qb.push(" AND id IN (SELECT user_id FROM group_members WHERE group_id = ")
                .push_bind(g.to_owned())
                .push(")");
        }
        push_after(&mut qb, "created_at", "id", p.after);
        qb.push(" ORDER BY created_at, id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<User>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |u| {
            vec![u.created_at.clone(), u.id.clone()]
        }))
    }

    // --------------------------------------------------------------------------- groups

    /// Gets a group.
    pub async fn get_group(&self, id: &str) -> Result<Group> {
        fetch_group(self.reader(), id).await
    }

    /// Lists an account's groups in creation order, optionally only those `user_id` is in.
    pub async fn list_groups(
        &self,
        account_id: &str,
        user_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Group>> {
        let p = page_args(page, 2)?;
        let mut qb = util::QueryBuilder::new(format!(
            "SELECT {GROUP_COLS} FROM groups WHERE account_id = "
        ));
        qb.push_bind(account_id.to_owned());
        if let Some(u) = user_id {
            qb.push(" AND id IN (SELECT group_id FROM group_members WHERE user_id = ")
                .push_bind(u.to_owned())
                .push(")");
        }
        push_after(&mut qb, "created_at", "id", p.after);
        qb.push(" ORDER BY created_at, id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<Group>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |g| {
            vec![g.created_at.clone(), g.id.clone()]
        }))
    }

    /// The account's built-in administrator group (the system group [`crate::ADMIN_GROUP`]).
    pub async fn admin_group(&self, account_id: &str) -> Result<Group> {
        util::fetch_one(
            self.reader(),
            sqlf!("SELECT {GROUP_COLS} FROM groups WHERE account_id = $1 AND is_system = 1"),
            "admin group of account",
            account_id,
        )
        .await
    }

    /// True when `user_id` is a tenant administrator of `account_id`: the account's root user, or
    /// a member of its system `admin` group (by group id and flag, never by name).
    pub async fn is_tenant_admin(&self, account_id: &str, user_id: &str) -> Result<bool> {
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM users u WHERE u.id = $1 AND u.account_id = $2 AND (u.is_root_user = 1 \
             OR EXISTS (SELECT 1 FROM group_members m JOIN groups g ON g.id = m.group_id \
             WHERE m.user_id = u.id AND g.account_id = u.account_id AND g.is_system = 1))",
        )
        .bind(user_id)
        .bind(account_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(found.is_some())
    }

    // ---------------------------------------------------------------------- access keys

    /// Gets an access key record (no secret).
    pub async fn get_access_key(&self, access_key_id: &str) -> Result<AccessKey> {
        fetch_access_key(self.reader(), access_key_id).await
    }

    /// A user's access keys.
    pub async fn list_access_keys(&self, user_id: &str) -> Result<Vec<AccessKey>> {
        Ok(sqlx::query_as::<_, AccessKey>(sqlf!(
            "SELECT {AK_COLS} FROM access_keys WHERE user_id = $1 ORDER BY created_at, access_key_id"
        ))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// For the signature verifier: the key record and its decrypted secret, or `None` if the
    /// key does not exist. Callers must check `status` and the owner's `enabled` flag.
    pub async fn secret_for_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(AccessKey, SecretString)>> {
        let row: Option<KeyRow> = sqlx::query_as(
            "SELECT access_key_id, user_id, status, created_at, secret_nonce, \
                 secret_ciphertext FROM access_keys WHERE access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(self.reader())
        .await?;
        let Some((ak, user_id, status, created_at, nonce, ct)) = row else {
            return Ok(None);
        };
        let pt = self.key().decrypt(&ak, &nonce, &ct)?;
        let secret = String::from_utf8(pt).map_err(|_| StoreError::Decrypt(ak.clone()))?;
        Ok(Some((
            AccessKey {
                access_key_id: ak,
                user_id,
                status,
                created_at,
            },
            SecretString::from(secret),
        )))
    }

    // ------------------------------------------------------------------------- agencies

    /// Gets an agency.
    pub async fn get_agency(&self, id: &str) -> Result<Agency> {
        fetch_agency(self.reader(), id).await
    }

    /// Gets an agency by account and name.
    pub async fn get_agency_by_name(&self, account_id: &str, name: &str) -> Result<Agency> {
        sqlx::query_as::<_, Agency>(sqlf!(
            "SELECT {AGENCY_COLS} FROM agencies WHERE account_id = $1 AND name = $2"
        ))
        .bind(account_id)
        .bind(name)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::not_found("agency", name))
    }

    /// Lists an account's agencies in creation order, optionally under a path prefix.
    pub async fn list_agencies(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Agency>> {
        let p = page_args(page, 2)?;
        let mut qb = util::QueryBuilder::new(format!(
            "SELECT {AGENCY_COLS} FROM agencies WHERE account_id = "
        ));
        qb.push_bind(account_id.to_owned());
        if let Some(pp) = path_prefix {
            qb.push(" AND substr(path, 1, length(")
                .push_bind(pp.to_owned())
                .push(")) = ")
                .push_bind(pp.to_owned());
        }
        push_after(&mut qb, "created_at", "id", p.after);
        qb.push(" ORDER BY created_at, id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<Agency>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |a| {
            vec![a.created_at.clone(), a.id.clone()]
        }))
    }
}

// The bodies of the entity writes, run on the open transaction. `store_writes!` below documents
// them and makes them the `WriteTx` methods (each in a savepoint) and the `Store` methods (each
// in a transaction of its own).
impl Conn<'_> {
    async fn create_user(&mut self, account_id: &str, u: &NewUser) -> Result<User> {
        util::validate_user_name(&u.name)?;
        util::validate_description(&u.description)?;
        let tx = &mut *self.tx;
        require_exists(tx, "account", "accounts", account_id).await?;
        let user = insert_user(tx, account_id, u, false).await?;
        Ok(user)
    }

    async fn update_user(&mut self, id: &str, upd: &UserUpdate) -> Result<User> {
        if let Some(n) = &upd.name {
            util::validate_user_name(n)?;
        }
        if let Some(d) = &upd.description {
            util::validate_description(d)?;
        }
        let tx = &mut *self.tx;
        let cur = fetch_user(&mut **tx, id).await?;
        if cur.is_root_user && (upd.enabled == Some(false) || upd.name.is_some()) {
            return Err(StoreError::conflict(
                "user",
                "the root user cannot be renamed or disabled",
            ));
        }
        if let Some(n) = &upd.name
            && n != &cur.name
        {
            require_name_free(tx, NameKind::User, Some(&cur.account_id), n, Some(id)).await?;
            sqlx::query("UPDATE users SET name = $1, name_key = $2 WHERE id = $3")
                .bind(n)
                .bind(name_key(n))
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("UPDATE users SET enabled = $1, description = $2 WHERE id = $3")
            .bind(util::flag(upd.enabled.unwrap_or(cur.enabled)))
            .bind(upd.description.as_ref().unwrap_or(&cur.description))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let user = fetch_user(&mut **tx, id).await?;
        Ok(user)
    }

    async fn delete_user(&mut self, id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let cur = fetch_user(&mut **tx, id).await?;
        if cur.is_root_user {
            return Err(StoreError::conflict(
                "user",
                "the root user cannot be deleted",
            ));
        }
        delete_attachments_of(tx, PrincipalType::User, id).await?;
        sqlx::query("DELETE FROM authorizations WHERE user_key = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        // the sessions a service opened to act for the user end with the user
        sqlx::query("DELETE FROM session_credentials WHERE acting_for_user_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        // group_members and access_keys cascade
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn create_group(
        &mut self,
        account_id: &str,
        name: &str,
        description: &str,
    ) -> Result<Group> {
        util::validate_group_name(name)?;
        util::validate_description(description)?;
        let tx = &mut *self.tx;
        require_exists(tx, "account", "accounts", account_id).await?;
        let g = insert_group(tx, account_id, name, description, false).await?;
        Ok(g)
    }

    async fn update_group(&mut self, id: &str, upd: &GroupUpdate) -> Result<Group> {
        if let Some(n) = &upd.name {
            util::validate_group_name(n)?;
        }
        if let Some(d) = &upd.description {
            util::validate_description(d)?;
        }
        let tx = &mut *self.tx;
        let cur = fetch_group(&mut **tx, id).await?;
        if cur.is_system {
            return Err(system_group_error(&cur, "renamed or modified"));
        }
        if let Some(n) = &upd.name
            && n != &cur.name
        {
            require_name_free(tx, NameKind::Group, Some(&cur.account_id), n, Some(id)).await?;
            sqlx::query("UPDATE groups SET name = $1, name_key = $2 WHERE id = $3")
                .bind(n)
                .bind(name_key(n))
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("UPDATE groups SET description = $1 WHERE id = $2")
            .bind(upd.description.as_ref().unwrap_or(&cur.description))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let g = fetch_group(&mut **tx, id).await?;
        Ok(g)
    }

    async fn delete_group(&mut self, id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let cur = fetch_group(&mut **tx, id).await?;
        if cur.is_system {
            return Err(system_group_error(&cur, "deleted"));
        }
        delete_attachments_of(tx, PrincipalType::Group, id).await?;
        sqlx::query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn add_user_to_group(&mut self, group_id: &str, user_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let g = fetch_group(&mut **tx, group_id).await?;
        let u = fetch_user(&mut **tx, user_id).await?;
        if g.account_id != u.account_id {
            return Err(StoreError::invalid(
                "user_id",
                format!("user `{user_id}` belongs to another account than group `{group_id}`"),
            ));
        }
        let member: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2")
                .bind(group_id)
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        if member.is_some() {
            return Ok(());
        }
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM group_members WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
        let max = self.store.limits().max_groups_per_user;
        if n >= i64::from(max) {
            return Err(StoreError::limit("groups per user", max));
        }
        sqlx::query("INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3)")
            .bind(group_id)
            .bind(user_id)
            .bind(util::now())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn remove_user_from_group(&mut self, group_id: &str, user_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let root_in_system: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM groups g JOIN users u ON u.account_id = g.account_id \
             WHERE g.id = $1 AND g.is_system = 1 AND u.id = $2 AND u.is_root_user = 1",
        )
        .bind(group_id)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
        if root_in_system.is_some() {
            return Err(StoreError::unmodifiable(
                "group membership",
                "the root user always belongs to the account's `admin` group",
            ));
        }
        let r = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::not_found(
                "group membership",
                format!("{group_id}/{user_id}"),
            ));
        }
        Ok(())
    }

    async fn create_access_key(&mut self, user_id: &str) -> Result<CreatedAccessKey> {
        let secret = util::new_secret_key()?;
        let tx = &mut *self.tx;
        fetch_user(&mut **tx, user_id).await?;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_keys WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
        let max = self.store.limits().max_access_keys_per_user;
        if n >= i64::from(max) {
            return Err(StoreError::limit("access keys per user", max));
        }
        let key = AccessKey {
            access_key_id: util::new_access_key_id()?,
            user_id: user_id.to_owned(),
            status: AccessKeyStatus::Active,
            created_at: util::now(),
        };
        let (nonce, ct) = self
            .store
            .key()
            .encrypt(&key.access_key_id, secret.as_bytes())?;
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, user_id, status, secret_nonce, \
             secret_ciphertext, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.access_key_id)
        .bind(&key.user_id)
        .bind(key.status)
        .bind(nonce)
        .bind(ct)
        .bind(&key.created_at)
        .execute(&mut **tx)
        .await?;
        Ok(CreatedAccessKey {
            access_key: key,
            secret_access_key: SecretString::from(secret),
        })
    }

    async fn set_access_key_status(
        &mut self,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<AccessKey> {
        let tx = &mut *self.tx;
        let r = sqlx::query("UPDATE access_keys SET status = $1 WHERE access_key_id = $2")
            .bind(status)
            .bind(access_key_id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::not_found("access key", access_key_id));
        }
        let k = fetch_access_key(&mut **tx, access_key_id).await?;
        Ok(k)
    }

    async fn delete_access_key(&mut self, access_key_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let r = sqlx::query("DELETE FROM access_keys WHERE access_key_id = $1")
            .bind(access_key_id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::not_found("access key", access_key_id));
        }
        Ok(())
    }

    async fn create_agency(&mut self, account_id: &str, a: &NewAgency) -> Result<Agency> {
        util::validate_agency_name(&a.name)?;
        util::validate_path(&a.path)?;
        util::validate_document(
            "trust_policy",
            &a.trust_policy,
            util::MAX_POLICY_DOCUMENT_BYTES,
        )?;
        util::validate_description(&a.description)?;
        let dur = a.max_session_duration.unwrap_or(3600);
        validate_session_duration(dur)?;
        let tx = &mut *self.tx;
        require_exists(tx, "account", "accounts", account_id).await?;
        require_name_free(tx, NameKind::Agency, Some(account_id), &a.name, None).await?;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM agencies WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&mut **tx)
            .await?;
        let max = self.store.limits().max_agencies_per_account;
        if n >= i64::from(max) {
            return Err(StoreError::limit("agencies per account", max));
        }
        let id = util::new_id()?;
        sqlx::query(
            "INSERT INTO agencies (id, account_id, name, path, trust_policy, \
             max_session_duration, description, created_at, name_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(&a.name)
        .bind(&a.path)
        .bind(&a.trust_policy)
        .bind(dur)
        .bind(&a.description)
        .bind(util::now())
        .bind(name_key(&a.name))
        .execute(&mut **tx)
        .await?;
        let agency = fetch_agency(&mut **tx, &id).await?;
        Ok(agency)
    }

    async fn update_agency(&mut self, id: &str, upd: &AgencyUpdate) -> Result<Agency> {
        if let Some(d) = upd.max_session_duration {
            validate_session_duration(d)?;
        }
        if let Some(d) = &upd.description {
            util::validate_description(d)?;
        }
        let tx = &mut *self.tx;
        let cur = fetch_agency(&mut **tx, id).await?;
        sqlx::query(
            "UPDATE agencies SET max_session_duration = $1, description = $2 WHERE id = $3",
        )
        .bind(upd.max_session_duration.unwrap_or(cur.max_session_duration))
        .bind(upd.description.as_ref().unwrap_or(&cur.description))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        let a = fetch_agency(&mut **tx, id).await?;
        Ok(a)
    }

    async fn update_trust_policy(&mut self, id: &str, trust_policy: &str) -> Result<Agency> {
        util::validate_document(
            "trust_policy",
            trust_policy,
            util::MAX_POLICY_DOCUMENT_BYTES,
        )?;
        let tx = &mut *self.tx;
        fetch_agency(&mut **tx, id).await?;
        sqlx::query("UPDATE agencies SET trust_policy = $1 WHERE id = $2")
            .bind(trust_policy)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let a = fetch_agency(&mut **tx, id).await?;
        Ok(a)
    }

    async fn delete_agency(&mut self, id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        fetch_agency(&mut **tx, id).await?;
        delete_attachments_of(tx, PrincipalType::Agency, id).await?;
        sqlx::query("DELETE FROM agencies WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

store_writes! {
    /// Creates an IAM user (never a root user; see [`Store::create_account`]).
    fn create_user(account_id: &str, u: &NewUser) -> User;
    /// Updates a user's name, enabled flag or description. The root user cannot be disabled
    /// or renamed.
    fn update_user(id: &str, upd: &UserUpdate) -> User;
    /// Deletes a user with its group memberships, access keys and policy attachments.
    /// The root user cannot be deleted.
    fn delete_user(id: &str) -> ();
    /// Creates a group.
    fn create_group(account_id: &str, name: &str, description: &str) -> Group;
    /// Updates a group's name or description. The system `admin` group cannot be modified.
    fn update_group(id: &str, upd: &GroupUpdate) -> Group;
    /// Deletes a group with its memberships and policy attachments. The system `admin` group
    /// cannot be deleted.
    fn delete_group(id: &str) -> ();
    /// Adds a user to a group of the same account (a user is in at most 10 groups).
    /// Adding an existing member is a no-op.
    fn add_user_to_group(group_id: &str, user_id: &str) -> ();
    /// Removes a user from a group (`NotFound` if not a member). The root user stays in the
    /// system `admin` group.
    fn remove_user_from_group(group_id: &str, user_id: &str) -> ();
    /// Creates an access key for a user (at most 2 per user). The secret is returned only
    /// here; it is stored encrypted with the master key.
    fn create_access_key(user_id: &str) -> CreatedAccessKey;
    /// Activates or deactivates an access key.
    fn set_access_key_status(access_key_id: &str, status: AccessKeyStatus) -> AccessKey;
    /// Deletes an access key.
    fn delete_access_key(access_key_id: &str) -> ();
    /// Creates an agency / trust agency.
    fn create_agency(account_id: &str, a: &NewAgency) -> Agency;
    /// Updates an agency's maximum session duration or description.
    fn update_agency(id: &str, upd: &AgencyUpdate) -> Agency;
    /// Replaces an agency's trust policy (validated by the caller).
    fn update_trust_policy(id: &str, trust_policy: &str) -> Agency;
    /// Deletes an agency with its policy attachments, sessions and authorizations.
    fn delete_agency(id: &str) -> ();
}
