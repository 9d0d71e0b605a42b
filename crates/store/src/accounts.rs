//! Accounts, projects and the first-start bootstrap.

use crate::access::NewUser;
use crate::error::{Result, StoreError};
use crate::model::{Account, Page, PageRequest, Project, User};
use crate::util::{self, finish_page, page_args};
use crate::{Conn, Store, Tx, WriteTx};

/// Name of the account's built-in administrator group (a system group).
pub const ADMIN_GROUP: &str = "admin";
const ADMIN_GROUP_DESCRIPTION: &str = "Administrators of the account (built-in system group)";

const ACCOUNT_COLS: &str = "id, name, created_at";
const PROJECT_COLS: &str = "id, account_id, region, created_at";

impl Store {
    /// Gets an account by id.
    pub async fn get_account(&self, id: &str) -> Result<Account> {
        util::fetch_one(
            self.reader(),
            sqlf!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
            "account",
            id,
        )
        .await
    }

    /// Gets an account by name.
    pub async fn get_account_by_name(&self, name: &str) -> Result<Account> {
        util::fetch_one(
            self.reader(),
            sqlf!("SELECT {ACCOUNT_COLS} FROM accounts WHERE name = $1"),
            "account",
            name,
        )
        .await
    }

    /// Lists accounts in creation order.
    pub async fn list_accounts(&self, page: &PageRequest) -> Result<Page<Account>> {
        let p = page_args(page, 2)?;
        let mut qb =
            util::QueryBuilder::new(format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE 1 = 1"));
        push_after(&mut qb, "created_at", "id", p.after);
        qb.push(" ORDER BY created_at, id LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<Account>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |a| {
            vec![a.created_at.clone(), a.id.clone()]
        }))
    }

    /// Gets a project.
    pub async fn get_project(&self, id: &str) -> Result<Project> {
        util::fetch_one(
            self.reader(),
            sqlf!("SELECT {PROJECT_COLS} FROM projects WHERE id = $1"),
            "project",
            id,
        )
        .await
    }

    /// All projects of an account.
    pub async fn list_projects(&self, account_id: &str) -> Result<Vec<Project>> {
        Ok(sqlx::query_as::<_, Project>(sqlf!(
            "SELECT {PROJECT_COLS} FROM projects WHERE account_id = $1 ORDER BY region"
        ))
        .bind(account_id)
        .fetch_all(self.reader())
        .await?)
    }
}

async fn create_account_tx(tx: &mut Tx, name: &str) -> Result<(Account, User)> {
    let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_some() {
        return Err(StoreError::conflict(
            "account",
            format!("an account named `{name}` already exists"),
        ));
    }
    let account = Account {
        id: util::new_id()?,
        name: name.to_owned(),
        created_at: util::now(),
    };
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&account.id)
        .bind(&account.name)
        .bind(&account.created_at)
        .execute(&mut **tx)
        .await?;
    let root_name = if util::validate_user_name(name).is_ok() {
        name
    } else {
        "root"
    };
    let root = crate::access::insert_user(
        tx,
        &account.id,
        &NewUser {
            name: root_name.to_owned(),
            enabled: true,
            description: String::new(),
        },
        true,
    )
    .await?;
    // Huawei: every account has the built-in group `admin`, and the root user belongs to it.
    let admin =
        crate::access::insert_group(tx, &account.id, ADMIN_GROUP, ADMIN_GROUP_DESCRIPTION, true)
            .await?;
    sqlx::query("INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3)")
        .bind(&admin.id)
        .bind(&root.id)
        .bind(&admin.created_at)
        .execute(&mut **tx)
        .await?;
    Ok((account, root))
}

async fn create_project_tx(
    tx: &mut Tx,
    account_id: &str,
    region: &str,
    project_id: Option<&str>,
) -> Result<Project> {
    crate::access::require_exists(tx, "account", "accounts", account_id).await?;
    let dup: Option<(String,)> =
        sqlx::query_as("SELECT id FROM projects WHERE account_id = $1 AND region = $2")
            .bind(account_id)
            .bind(region)
            .fetch_optional(&mut **tx)
            .await?;
    if dup.is_some() {
        return Err(StoreError::conflict(
            "project",
            format!("account `{account_id}` already has a project in `{region}`"),
        ));
    }
    let p = Project {
        id: match project_id {
            Some(id) => id.to_owned(),
            None => util::new_id()?,
        },
        account_id: account_id.to_owned(),
        region: region.to_owned(),
        created_at: util::now(),
    };
    sqlx::query(
        "INSERT INTO projects (id, account_id, region, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&p.id)
    .bind(&p.account_id)
    .bind(&p.region)
    .bind(&p.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(p)
}

/// Appends a keyset condition `(a > x OR (a = x AND b > y))` for a two-part marker.
pub(crate) fn push_after(
    qb: &mut util::QueryBuilder,
    col_a: &str,
    col_b: &str,
    after: Option<Vec<String>>,
) {
    if let Some(mut parts) = after {
        let b = parts.pop().unwrap_or_default();
        let a = parts.pop().unwrap_or_default();
        qb.push(format!(" AND ({col_a} > "))
            .push_bind(a.clone())
            .push(format!(" OR ({col_a} = "))
            .push_bind(a)
            .push(format!(" AND {col_b} > "))
            .push_bind(b)
            .push("))");
    }
}

// The bodies of the entity writes, run on the open transaction. `store_writes!` below documents
// them and makes them the `WriteTx` methods (each in a savepoint) and the `Store` methods (each
// in a transaction of its own).
impl Conn<'_> {
    async fn create_account(&mut self, name: &str) -> Result<(Account, User)> {
        util::validate_account_name(name)?;
        let tx = &mut *self.tx;
        let (account, root) = create_account_tx(tx, name).await?;
        Ok((account, root))
    }

    async fn create_project(
        &mut self,
        account_id: &str,
        region: &str,
        project_id: Option<&str>,
    ) -> Result<Project> {
        util::validate_region(region)?;
        if let Some(id) = project_id {
            util::validate_external_id("project_id", id)?;
        }
        let tx = &mut *self.tx;
        let p = create_project_tx(tx, account_id, region, project_id).await?;
        Ok(p)
    }

    async fn bootstrap_account(
        &mut self,
        name: &str,
        region: &str,
        project_id: Option<&str>,
    ) -> Result<(Account, User, Project)> {
        util::validate_account_name(name)?;
        util::validate_region(region)?;
        if let Some(id) = project_id {
            util::validate_external_id("project_id", id)?;
        }
        let tx = &mut *self.tx;
        let existing = sqlx::query_as::<_, Account>(sqlf!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
        let (account, root) = match existing {
            Some(a) => {
                let root = sqlx::query_as::<_, User>(sqlf!(
                    "SELECT {} FROM users WHERE account_id = $1 AND is_root_user = 1",
                    crate::access::USER_COLS
                ))
                .bind(&a.id)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::not_found("root user of account", a.id.clone()))?;
                (a, root)
            }
            None => create_account_tx(tx, name).await?,
        };
        let project = sqlx::query_as::<_, Project>(sqlf!(
            "SELECT {PROJECT_COLS} FROM projects WHERE account_id = $1 AND region = $2"
        ))
        .bind(&account.id)
        .bind(region)
        .fetch_optional(&mut **tx)
        .await?;
        let project = match project {
            Some(p) => p,
            None => create_project_tx(tx, &account.id, region, project_id).await?,
        };
        Ok((account, root, project))
    }
}

store_writes! {
    /// Creates an account, its root user (named after the account) and its built-in system group
    /// [`ADMIN_GROUP`] with the root user as member.
    fn create_account(name: &str) -> (Account, User);
    /// Creates a project (account presence in a region). `project_id` defaults to a new
    /// 32-hex id. One project per account and region.
    fn create_project(account_id: &str, region: &str, project_id: Option<&str>) -> Project;
    /// First-start helper: the account, its root user and one project, created atomically.
    /// Returns the existing ones if an account with this name already exists (idempotent;
    /// the project for `region` is created if missing).
    fn bootstrap_account(name: &str, region: &str, project_id: Option<&str>) -> (Account, User, Project);
}
