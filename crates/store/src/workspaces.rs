//! Enterprise projects (EPS) and ModelArts workspaces: registries modelarts-iam owns
//! (docs/workspaces.md has the rules and their sources).
//!
//! Every account has, without a row, the default enterprise project `0` (`default`, enabled,
//! `prod`) and the default workspace `0` (`default`, `PUBLIC`, in the default enterprise
//! project); neither can be changed or deleted ([`StoreError::Unmodifiable`]).

use serde::Serialize;

use crate::access::require_name_free;
use crate::error::{Result, StoreError};
use crate::names::{NameKind, name_key};
use crate::util;
use crate::{Conn, Store, Tx, WriteTx};

/// The id of the default enterprise project and of the default workspace of every account.
pub const DEFAULT_ID: &str = "0";
/// The name of the default enterprise project and of the default workspace.
pub const DEFAULT_NAME: &str = "default";
/// Enterprise projects an account may have, disabled ones included (Huawei's documented quota
/// example: `{"type": "enterprise_project", "quota": 100}`).
pub const MAX_ENTERPRISE_PROJECTS: u32 = 100;
/// Users one workspace may be shared with (`grants`, ModelArts CreateWorkspace: at most 500).
pub const MAX_WORKSPACE_GRANTS: usize = 500;
/// The status of a workspace that exists (`CREATE_FAILED`, `DELETING` ... are states of
/// ModelArts' own asynchronous work, which modelarts-iam does not do).
pub const WORKSPACE_NORMAL: &str = "NORMAL";

/// An enterprise project (EPS `EP`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct EnterpriseProject {
    /// UUID (36 characters), or `0` for the default enterprise project.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Name, unique in the account ignoring letter case.
    pub name: String,
    /// Description (at most 512 characters).
    pub description: String,
    /// `1` enabled, `2` disabled.
    pub status: i64,
    /// `prod` or `poc`.
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub project_type: String,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl EnterpriseProject {
    /// The default enterprise project `0` of an account (`created_at` is the account's).
    pub fn default_of(account_id: &str, created_at: &str) -> Self {
        EnterpriseProject {
            id: DEFAULT_ID.to_owned(),
            account_id: account_id.to_owned(),
            name: DEFAULT_NAME.to_owned(),
            description: String::new(),
            status: 1,
            project_type: "prod".to_owned(),
            created_at: created_at.to_owned(),
            updated_at: created_at.to_owned(),
        }
    }

    /// Whether it is enabled.
    pub fn enabled(&self) -> bool {
        self.status == 1
    }
}

/// Input of [`WriteTx::create_enterprise_project`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEnterpriseProject {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `prod` (default) or `poc`.
    pub project_type: Option<String>,
}

/// Input of [`WriteTx::update_enterprise_project`] (Huawei's `PUT` body: the name is required).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnterpriseProjectUpdate {
    /// New name.
    pub name: String,
    /// New description (unchanged when `None`).
    pub description: Option<String>,
    /// New type (unchanged when `None`; `prod` cannot become `poc`).
    pub project_type: Option<String>,
}

/// A ModelArts workspace.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Workspace {
    /// 32 lower-case hex digits, or `0` for the default workspace.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Name, unique in the account ignoring letter case.
    pub name: String,
    /// Description (at most 256 characters).
    pub description: String,
    /// The creator's user id (empty when an agency session created it, and for `0`).
    pub owner_user_id: String,
    /// The creator's name.
    pub owner_name: String,
    /// `PUBLIC`, `PRIVATE` or `INTERNAL`.
    pub auth_type: String,
    /// `0` or the id of an enterprise project of the account.
    pub enterprise_project_id: String,
    /// `NORMAL`.
    pub status: String,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl Workspace {
    /// The default workspace `0` of an account: public, in the default enterprise project.
    pub fn default_of(account_id: &str, created_at: &str) -> Self {
        Workspace {
            id: DEFAULT_ID.to_owned(),
            account_id: account_id.to_owned(),
            name: DEFAULT_NAME.to_owned(),
            description: String::new(),
            owner_user_id: String::new(),
            owner_name: String::new(),
            auth_type: "PUBLIC".to_owned(),
            enterprise_project_id: DEFAULT_ID.to_owned(),
            status: WORKSPACE_NORMAL.to_owned(),
            created_at: created_at.to_owned(),
            updated_at: created_at.to_owned(),
        }
    }
}

/// A user an `INTERNAL` workspace is shared with.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkspaceGrant {
    /// The workspace.
    pub workspace_id: String,
    /// The user's id.
    pub user_id: String,
    /// The user's current name.
    pub user_name: String,
    /// `IAM`.
    pub user_type: String,
}

/// One grant as a request gives it: a user by id or by name (the id wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantInput {
    /// The user's id.
    pub user_id: Option<String>,
    /// The user's name.
    pub user_name: Option<String>,
    /// `IAM` (default); `FEDERATE` and `AGENCY` are refused (docs/workspaces.md).
    pub user_type: Option<String>,
}

/// Input of [`WriteTx::create_workspace`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewWorkspace {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `PUBLIC` (default), `PRIVATE` or `INTERNAL`, in any letter case.
    pub auth_type: Option<String>,
    /// `0` (default) or an enabled enterprise project of the account.
    pub enterprise_project_id: Option<String>,
    /// Users to share an `INTERNAL` workspace with (ignored for the other types).
    pub grants: Vec<GrantInput>,
    /// The creator's user id (empty for an agency session).
    pub owner_user_id: String,
    /// The creator's name.
    pub owner_name: String,
}

/// Input of [`WriteTx::update_workspace`]: what is `None` is unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New access type.
    pub auth_type: Option<String>,
    /// The new list of grants (replaces the old one).
    pub grants: Option<Vec<GrantInput>>,
}

/// A quota set on a workspace.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkspaceQuota {
    /// The resource (`notebook`, `trainJob` ...).
    pub resource: String,
    /// The quota, `-1` for unlimited.
    pub quota: i64,
    /// When it was set.
    pub updated_at: String,
}

const EP_COLS: &str = "id, account_id, name, description, status, type, created_at, updated_at";
const WS_COLS: &str = "id, account_id, name, description, owner_user_id, owner_name, auth_type, \
     enterprise_project_id, status, created_at, updated_at";

/// Whether `id` has the shape of an enterprise project id: `0` or a UUID (36 characters of hex
/// digits and hyphens in the 8-4-4-4-12 layout).
pub fn is_enterprise_project_id(id: &str) -> bool {
    id == DEFAULT_ID
        || (id.len() == 36
            && id.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            }))
}

/// Whether `id` has the shape of a workspace id: `0` or 32 lower-case hex digits.
pub fn is_workspace_id(id: &str) -> bool {
    id == DEFAULT_ID
        || (id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// `PUBLIC`, `PRIVATE` or `INTERNAL` from any letter case.
pub fn parse_auth_type(s: &str) -> Result<&'static str> {
    ["PUBLIC", "PRIVATE", "INTERNAL"]
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            StoreError::invalid(
                "auth_type",
                format!("`{s}` is not one of PUBLIC, PRIVATE, INTERNAL"),
            )
        })
}

fn new_uuid() -> Result<String> {
    let mut b = util::random_bytes::<16>()?;
    // version 4, variant 1
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

fn validate_ep_name(name: &str) -> Result<()> {
    util::validate_name(NameKind::EnterpriseProject, name)?;
    if name_key(name) == DEFAULT_NAME {
        return Err(StoreError::invalid(
            "name",
            format!(
                "`{name}` is reserved: an enterprise project cannot be called `default` in any letter case"
            ),
        ));
    }
    Ok(())
}

fn validate_ws_name(name: &str) -> Result<()> {
    util::validate_name(NameKind::Workspace, name)?;
    util::check_len("name", name, 4, 64)?;
    if name_key(name) == DEFAULT_NAME {
        return Err(StoreError::invalid(
            "name",
            format!("`{name}` is reserved: the default workspace is called `default`"),
        ));
    }
    Ok(())
}

fn validate_ep_type(t: &str) -> Result<&'static str> {
    match t {
        "prod" => Ok("prod"),
        "poc" => Ok("poc"),
        other => Err(StoreError::invalid(
            "type",
            format!("`{other}` is not one of prod, poc"),
        )),
    }
}

fn default_unmodifiable(kind: &'static str, what: &str) -> StoreError {
    StoreError::unmodifiable(
        kind,
        format!("`0` is the account's default {what}: it cannot be modified, disabled or deleted"),
    )
}

async fn account_created_at(tx: &mut Tx, account_id: &str) -> Result<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT created_at FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.0)
        .ok_or_else(|| StoreError::not_found("account", account_id))
}

async fn fetch_ep(tx: &mut Tx, account_id: &str, id: &str) -> Result<EnterpriseProject> {
    sqlx::query_as::<_, EnterpriseProject>(sqlf!(
        "SELECT {EP_COLS} FROM enterprise_projects WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("enterprise project", id))
}

async fn fetch_ws(tx: &mut Tx, account_id: &str, id: &str) -> Result<Workspace> {
    sqlx::query_as::<_, Workspace>(sqlf!(
        "SELECT {WS_COLS} FROM workspaces WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("workspace", id))
}

/// Resolves grants to users of the account: by `user_id` when given, else by `user_name`
/// (exact). Duplicates collapse. Returns the user ids.
async fn resolve_grants(
    tx: &mut Tx,
    account_id: &str,
    grants: &[GrantInput],
) -> Result<Vec<String>> {
    if grants.len() > MAX_WORKSPACE_GRANTS {
        return Err(StoreError::limit(
            "grants per workspace",
            MAX_WORKSPACE_GRANTS as u32,
        ));
    }
    let mut ids: Vec<String> = Vec::with_capacity(grants.len());
    for (i, g) in grants.iter().enumerate() {
        match g.user_type.as_deref() {
            None => {}
            Some(t) if t.eq_ignore_ascii_case("IAM") => {}
            Some(t) if t.eq_ignore_ascii_case("FEDERATE") || t.eq_ignore_ascii_case("AGENCY") => {
                return Err(StoreError::invalid(
                    "grants",
                    format!(
                        "grants[{i}]: user_type `{t}` is not supported: modelarts-iam shares workspaces with IAM users only (no federated users; agency sessions are not grantees)"
                    ),
                ));
            }
            Some(t) => {
                return Err(StoreError::invalid(
                    "grants",
                    format!("grants[{i}]: user_type `{t}` is not one of IAM, FEDERATE, AGENCY"),
                ));
            }
        }
        let found: Option<(String,)> = match (
            g.user_id.as_deref().filter(|s| !s.is_empty()),
            g.user_name.as_deref().filter(|s| !s.is_empty()),
        ) {
            (Some(id), _) => {
                sqlx::query_as("SELECT id FROM users WHERE id = $1 AND account_id = $2")
                    .bind(id)
                    .bind(account_id)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            (None, Some(name)) => {
                sqlx::query_as("SELECT id FROM users WHERE name = $1 AND account_id = $2")
                    .bind(name)
                    .bind(account_id)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            (None, None) => {
                return Err(StoreError::invalid(
                    "grants",
                    format!("grants[{i}]: user_id or user_name is required"),
                ));
            }
        };
        let Some((id,)) = found else {
            let named = g
                .user_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .or(g.user_name.as_deref())
                .unwrap_or_default();
            return Err(StoreError::invalid(
                "grants",
                format!("grants[{i}]: no user `{named}` in this account"),
            ));
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

async fn replace_grants(tx: &mut Tx, workspace_id: &str, user_ids: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM workspace_grants WHERE workspace_id = $1")
        .bind(workspace_id)
        .execute(&mut **tx)
        .await?;
    let now = util::now();
    for id in user_ids {
        sqlx::query(
            "INSERT INTO workspace_grants (workspace_id, user_id, user_type, granted_at) \
             VALUES ($1, $2, 'IAM', $3)",
        )
        .bind(workspace_id)
        .bind(id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// An enterprise project of the account (`0` is the default one).
    pub async fn get_enterprise_project(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<EnterpriseProject> {
        let mut tx = self.reader().begin().await?;
        let ep = if id == DEFAULT_ID {
            let created = account_created_at(&mut tx, account_id).await?;
            EnterpriseProject::default_of(account_id, &created)
        } else {
            fetch_ep(&mut tx, account_id, id).await?
        };
        tx.commit().await?;
        Ok(ep)
    }

    /// Every enterprise project of the account, the default one first, then by creation.
    pub async fn list_enterprise_projects(
        &self,
        account_id: &str,
    ) -> Result<Vec<EnterpriseProject>> {
        let mut tx = self.reader().begin().await?;
        let created = account_created_at(&mut tx, account_id).await?;
        let mut out = vec![EnterpriseProject::default_of(account_id, &created)];
        out.extend(
            sqlx::query_as::<_, EnterpriseProject>(sqlf!(
                "SELECT {EP_COLS} FROM enterprise_projects WHERE account_id = $1 \
                 ORDER BY created_at, id"
            ))
            .bind(account_id)
            .fetch_all(&mut *tx)
            .await?,
        );
        tx.commit().await?;
        Ok(out)
    }

    /// A workspace of the account (`0` is the default one).
    pub async fn get_workspace(&self, account_id: &str, id: &str) -> Result<Workspace> {
        let mut tx = self.reader().begin().await?;
        let ws = if id == DEFAULT_ID {
            let created = account_created_at(&mut tx, account_id).await?;
            Workspace::default_of(account_id, &created)
        } else {
            fetch_ws(&mut tx, account_id, id).await?
        };
        tx.commit().await?;
        Ok(ws)
    }

    /// Every workspace of the account, the default one first, then by creation.
    pub async fn list_workspaces(&self, account_id: &str) -> Result<Vec<Workspace>> {
        let mut tx = self.reader().begin().await?;
        let created = account_created_at(&mut tx, account_id).await?;
        let mut out = vec![Workspace::default_of(account_id, &created)];
        out.extend(
            sqlx::query_as::<_, Workspace>(sqlf!(
                "SELECT {WS_COLS} FROM workspaces WHERE account_id = $1 ORDER BY created_at, id"
            ))
            .bind(account_id)
            .fetch_all(&mut *tx)
            .await?,
        );
        tx.commit().await?;
        Ok(out)
    }

    /// The users a workspace is shared with, with their current names, by name.
    pub async fn workspace_grants(&self, workspace_id: &str) -> Result<Vec<WorkspaceGrant>> {
        Ok(sqlx::query_as::<_, WorkspaceGrant>(
            "SELECT g.workspace_id, g.user_id, u.name AS user_name, g.user_type \
             FROM workspace_grants g JOIN users u ON u.id = g.user_id \
             WHERE g.workspace_id = $1 ORDER BY u.name, g.user_id",
        )
        .bind(workspace_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The quotas set on a workspace (resources without a row have their default).
    pub async fn workspace_quotas(
        &self,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<Vec<WorkspaceQuota>> {
        Ok(sqlx::query_as::<_, WorkspaceQuota>(
            "SELECT resource, quota, updated_at FROM workspace_quotas \
             WHERE account_id = $1 AND workspace_id = $2 ORDER BY resource",
        )
        .bind(account_id)
        .bind(workspace_id)
        .fetch_all(self.reader())
        .await?)
    }
}

impl Conn<'_> {
    async fn create_enterprise_project(
        &mut self,
        account_id: &str,
        p: &NewEnterpriseProject,
    ) -> Result<EnterpriseProject> {
        validate_ep_name(&p.name)?;
        util::check_len("description", &p.description, 0, 512)?;
        let project_type = validate_ep_type(p.project_type.as_deref().unwrap_or("prod"))?;
        let tx = &mut *self.tx;
        account_created_at(tx, account_id).await?;
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM enterprise_projects WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(&mut **tx)
                .await?;
        if count >= i64::from(MAX_ENTERPRISE_PROJECTS) {
            return Err(StoreError::limit(
                "enterprise projects per account",
                MAX_ENTERPRISE_PROJECTS,
            ));
        }
        require_name_free(
            tx,
            NameKind::EnterpriseProject,
            Some(account_id),
            &p.name,
            None,
        )
        .await?;
        let now = util::now();
        let ep = EnterpriseProject {
            id: new_uuid()?,
            account_id: account_id.to_owned(),
            name: p.name.clone(),
            description: p.description.clone(),
            status: 1,
            project_type: project_type.to_owned(),
            created_at: now.clone(),
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO enterprise_projects (id, account_id, name, name_key, description, status, \
             type, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&ep.id)
        .bind(&ep.account_id)
        .bind(&ep.name)
        .bind(name_key(&ep.name))
        .bind(&ep.description)
        .bind(ep.status)
        .bind(&ep.project_type)
        .bind(&ep.created_at)
        .bind(&ep.updated_at)
        .execute(&mut **tx)
        .await?;
        Ok(ep)
    }

    async fn update_enterprise_project(
        &mut self,
        account_id: &str,
        id: &str,
        u: &EnterpriseProjectUpdate,
    ) -> Result<EnterpriseProject> {
        if id == DEFAULT_ID {
            return Err(default_unmodifiable(
                "enterprise project",
                "enterprise project",
            ));
        }
        let tx = &mut *self.tx;
        let mut ep = fetch_ep(tx, account_id, id).await?;
        validate_ep_name(&u.name)?;
        if let Some(d) = &u.description {
            util::check_len("description", d, 0, 512)?;
        }
        if !ep.enabled() {
            return Err(StoreError::conflict(
                "enterprise project",
                format!(
                    "enterprise project `{}` is disabled: a disabled enterprise project cannot be modified; enable it first",
                    ep.name
                ),
            ));
        }
        if let Some(t) = &u.project_type {
            let t = validate_ep_type(t)?;
            if ep.project_type == "prod" && t == "poc" {
                return Err(StoreError::invalid(
                    "type",
                    "a commercial (`prod`) enterprise project cannot be converted to a test (`poc`) one",
                ));
            }
            ep.project_type = t.to_owned();
        }
        require_name_free(
            tx,
            NameKind::EnterpriseProject,
            Some(account_id),
            &u.name,
            Some(id),
        )
        .await?;
        ep.name = u.name.clone();
        if let Some(d) = &u.description {
            ep.description = d.clone();
        }
        ep.updated_at = util::now();
        sqlx::query(
            "UPDATE enterprise_projects SET name = $1, name_key = $2, description = $3, type = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(&ep.name)
        .bind(name_key(&ep.name))
        .bind(&ep.description)
        .bind(&ep.project_type)
        .bind(&ep.updated_at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(ep)
    }

    async fn set_enterprise_project_enabled(
        &mut self,
        account_id: &str,
        id: &str,
        enabled: bool,
    ) -> Result<EnterpriseProject> {
        if id == DEFAULT_ID {
            return Err(default_unmodifiable(
                "enterprise project",
                "enterprise project",
            ));
        }
        let tx = &mut *self.tx;
        let mut ep = fetch_ep(tx, account_id, id).await?;
        if !enabled && ep.project_type == "poc" {
            return Err(StoreError::conflict(
                "enterprise project",
                format!(
                    "enterprise project `{}` is a test (`poc`) project: test projects cannot be disabled",
                    ep.name
                ),
            ));
        }
        let status = if enabled { 1 } else { 2 };
        if ep.status == status {
            return Ok(ep);
        }
        ep.status = status;
        ep.updated_at = util::now();
        sqlx::query("UPDATE enterprise_projects SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(ep.status)
            .bind(&ep.updated_at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(ep)
    }

    async fn delete_enterprise_project(&mut self, account_id: &str, id: &str) -> Result<()> {
        if id == DEFAULT_ID {
            return Err(default_unmodifiable(
                "enterprise project",
                "enterprise project",
            ));
        }
        let tx = &mut *self.tx;
        let ep = fetch_ep(tx, account_id, id).await?;
        let (workspaces,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM workspaces WHERE account_id = $1 AND enterprise_project_id = $2",
        )
        .bind(account_id)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        if workspaces > 0 {
            return Err(StoreError::conflict(
                "enterprise project",
                format!(
                    "The enterprise project `{}` still has resources ({workspaces} ModelArts workspace(s)): delete them or move them to another enterprise project first",
                    ep.name
                ),
            ));
        }
        if ep.enabled() {
            return Err(StoreError::conflict(
                "enterprise project",
                format!(
                    "enterprise project `{}` is enabled: disable it before deleting it",
                    ep.name
                ),
            ));
        }
        sqlx::query("DELETE FROM enterprise_projects WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn create_workspace(&mut self, account_id: &str, w: &NewWorkspace) -> Result<Workspace> {
        validate_ws_name(&w.name)?;
        util::check_len("description", &w.description, 0, 256)?;
        let auth_type = parse_auth_type(w.auth_type.as_deref().unwrap_or("PUBLIC"))?;
        let ep_id = w
            .enterprise_project_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_ID);
        if !is_enterprise_project_id(ep_id) {
            return Err(StoreError::invalid(
                "enterprise_project_id",
                "must be `0` or the 36-character id (UUID) of an enabled enterprise project",
            ));
        }
        let tx = &mut *self.tx;
        account_created_at(tx, account_id).await?;
        if ep_id != DEFAULT_ID {
            match fetch_ep(tx, account_id, ep_id).await {
                Ok(ep) if ep.enabled() => {}
                Ok(ep) => {
                    return Err(StoreError::invalid(
                        "enterprise_project_id",
                        format!(
                            "enterprise project `{}` ({ep_id}) is disabled: disabled enterprise projects cannot receive resources",
                            ep.name
                        ),
                    ));
                }
                Err(StoreError::NotFound { .. }) => {
                    return Err(StoreError::invalid(
                        "enterprise_project_id",
                        format!("no enterprise project `{ep_id}` in this account"),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        let grants = if auth_type == "INTERNAL" {
            resolve_grants(tx, account_id, &w.grants).await?
        } else if w.grants.len() > MAX_WORKSPACE_GRANTS {
            return Err(StoreError::limit(
                "grants per workspace",
                MAX_WORKSPACE_GRANTS as u32,
            ));
        } else {
            Vec::new()
        };
        require_name_free(tx, NameKind::Workspace, Some(account_id), &w.name, None).await?;
        let now = util::now();
        let ws = Workspace {
            id: util::new_id()?,
            account_id: account_id.to_owned(),
            name: w.name.clone(),
            description: w.description.clone(),
            owner_user_id: w.owner_user_id.clone(),
            owner_name: w.owner_name.clone(),
            auth_type: auth_type.to_owned(),
            enterprise_project_id: ep_id.to_owned(),
            status: WORKSPACE_NORMAL.to_owned(),
            created_at: now.clone(),
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO workspaces (id, account_id, name, name_key, description, owner_user_id, \
             owner_name, auth_type, enterprise_project_id, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&ws.id)
        .bind(&ws.account_id)
        .bind(&ws.name)
        .bind(name_key(&ws.name))
        .bind(&ws.description)
        .bind(&ws.owner_user_id)
        .bind(&ws.owner_name)
        .bind(&ws.auth_type)
        .bind(&ws.enterprise_project_id)
        .bind(&ws.status)
        .bind(&ws.created_at)
        .bind(&ws.updated_at)
        .execute(&mut **tx)
        .await?;
        replace_grants(tx, &ws.id, &grants).await?;
        Ok(ws)
    }

    async fn update_workspace(
        &mut self,
        account_id: &str,
        id: &str,
        u: &WorkspaceUpdate,
    ) -> Result<Workspace> {
        if id == DEFAULT_ID {
            return Err(default_unmodifiable("workspace", "workspace"));
        }
        let tx = &mut *self.tx;
        let mut ws = fetch_ws(tx, account_id, id).await?;
        if let Some(name) = &u.name {
            validate_ws_name(name)?;
        }
        if let Some(d) = &u.description {
            util::check_len("description", d, 0, 256)?;
        }
        if let Some(t) = &u.auth_type {
            ws.auth_type = parse_auth_type(t)?.to_owned();
        }
        // grants only mean something for INTERNAL workspaces: another type clears them
        if ws.auth_type == "INTERNAL" {
            if let Some(grants) = &u.grants {
                let ids = resolve_grants(tx, account_id, grants).await?;
                replace_grants(tx, id, &ids).await?;
            }
        } else {
            if u.grants
                .as_ref()
                .is_some_and(|g| g.len() > MAX_WORKSPACE_GRANTS)
            {
                return Err(StoreError::limit(
                    "grants per workspace",
                    MAX_WORKSPACE_GRANTS as u32,
                ));
            }
            replace_grants(tx, id, &[]).await?;
        }
        if let Some(name) = &u.name {
            require_name_free(tx, NameKind::Workspace, Some(account_id), name, Some(id)).await?;
            ws.name = name.clone();
        }
        if let Some(d) = &u.description {
            ws.description = d.clone();
        }
        ws.updated_at = util::now();
        sqlx::query(
            "UPDATE workspaces SET name = $1, name_key = $2, description = $3, auth_type = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(&ws.name)
        .bind(name_key(&ws.name))
        .bind(&ws.description)
        .bind(&ws.auth_type)
        .bind(&ws.updated_at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(ws)
    }

    async fn delete_workspace(&mut self, account_id: &str, id: &str) -> Result<Workspace> {
        if id == DEFAULT_ID {
            return Err(default_unmodifiable("workspace", "workspace"));
        }
        let tx = &mut *self.tx;
        let ws = fetch_ws(tx, account_id, id).await?;
        sqlx::query("DELETE FROM workspace_quotas WHERE account_id = $1 AND workspace_id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        // grants cascade
        sqlx::query("DELETE FROM workspaces WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(ws)
    }

    async fn put_workspace_quotas(
        &mut self,
        account_id: &str,
        workspace_id: &str,
        quotas: &[(String, i64)],
    ) -> Result<()> {
        let tx = &mut *self.tx;
        if workspace_id == DEFAULT_ID {
            account_created_at(tx, account_id).await?;
        } else {
            fetch_ws(tx, account_id, workspace_id).await?;
        }
        let now = util::now();
        for (resource, quota) in quotas {
            util::check_len("resource", resource, 1, 64)?;
            if *quota != -1 && *quota < 1 {
                return Err(StoreError::invalid(
                    "quota",
                    format!(
                        "`{resource}`: a quota is a positive number or -1 (unlimited), got {quota}"
                    ),
                ));
            }
            sqlx::query(
                "INSERT INTO workspace_quotas (account_id, workspace_id, resource, quota, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, workspace_id, resource) \
                 DO UPDATE SET quota = excluded.quota, updated_at = excluded.updated_at",
            )
            .bind(account_id)
            .bind(workspace_id)
            .bind(resource)
            .bind(quota)
            .bind(&now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

store_writes! {
    /// Creates an enterprise project (enabled) in an account: name rules and uniqueness ignoring
    /// letter case, never `default`; at most [`MAX_ENTERPRISE_PROJECTS`] per account.
    fn create_enterprise_project(account_id: &str, p: &NewEnterpriseProject) -> EnterpriseProject;
    /// Renames / describes / retypes an enterprise project (`prod` never becomes `poc`); the
    /// default one and disabled ones cannot be modified.
    fn update_enterprise_project(account_id: &str, id: &str, u: &EnterpriseProjectUpdate) -> EnterpriseProject;
    /// Enables or disables an enterprise project (not the default one; `poc` ones cannot be
    /// disabled). Setting the status it has is a no-op.
    fn set_enterprise_project_enabled(account_id: &str, id: &str, enabled: bool) -> EnterpriseProject;
    /// Deletes a disabled enterprise project that holds no workspace (the default one never).
    fn delete_enterprise_project(account_id: &str, id: &str) -> ();
    /// Creates a workspace in an enabled enterprise project of the account (default `0`),
    /// resolving `INTERNAL` grants to users of the account.
    fn create_workspace(account_id: &str, w: &NewWorkspace) -> Workspace;
    /// Changes a workspace (not the default one); `grants` replaces the list; a type other than
    /// `INTERNAL` clears it.
    fn update_workspace(account_id: &str, id: &str, u: &WorkspaceUpdate) -> Workspace;
    /// Deletes a workspace (not the default one) with its grants and quotas; returns it.
    fn delete_workspace(account_id: &str, id: &str) -> Workspace;
    /// Sets quotas of a workspace (`0` included): positive numbers or `-1` (unlimited).
    fn put_workspace_quotas(account_id: &str, workspace_id: &str, quotas: &[(String, i64)]) -> ();
}
