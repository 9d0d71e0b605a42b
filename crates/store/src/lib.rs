//! Persistent store for accounts, users, groups, keys, policies, agencies, organizations and
//! the decision log (SQLite).
//!
//! [`Store`] is a cheap-to-clone handle. Every entity write runs in a transaction ([`WriteTx`])
//! that also bumps a monotonically increasing revision ([`Store::revision`]); the server calls
//! [`Store::load_state`] after writes to rebuild its immutable policy snapshot.
//!
//! Transactions: the entity write methods live on [`WriteTx`]. [`Store::begin`] opens one;
//! a write that touches several entities calls its methods in turn and commits once, so a
//! failure at any step leaves the store as it was:
//!
//! ```no_run
//! # async fn demo(store: &iam_store::Store) -> iam_store::Result<()> {
//! let mut tx = store.begin().await?;
//! let user = tx.create_user("account-id", &iam_store::NewUser {
//!     name: "alice".into(), enabled: true, description: String::new() }).await?;
//! let group = tx.create_group("account-id", "team", "").await?;
//! tx.add_user_to_group(&group.id, &user.id).await?; // an error here drops `tx`: no user, no group
//! tx.commit().await?;
//! # Ok(()) }
//! ```
//!
//! Each `Store` write method of the same name (`Store::create_user`, ...) is that one method
//! in a transaction of its own. The revision is bumped once per committed transaction.
//! Decision-log appends ([`Store::append_decisions`]) and the sweep of expired session
//! credentials ([`Store::delete_expired_session_credentials`]) are not entity writes: they run
//! on the writer connection without a `WriteTx` and do not bump the revision.
//!
//! Durability: entity writes are durable when their transaction commits ([`WriteTx::commit`],
//! or the `Store` method returns; `synchronous=FULL`, WAL).
//! Decision-log entries are durable when [`Store::append_decisions`] returns; callers that
//! buffer entries in memory before calling it (recommended at high request rates) may lose
//! the buffer on a crash. See `README.md`.
//!
//! Backends: only SQLite exists today ([`Backend::Sqlite`]). The SQL is written in the
//! portable subset (`$n` placeholders, `||`, no `RETURNING`), and a PostgreSQL backend would
//! add a `Backend::Postgres` variant with its own migrations in `migrations/postgres`.
#![deny(missing_docs)]

/// `format!` for SQL built only from constant fragments (column lists, table names chosen by
/// the store itself, never user input), marked as audited for sqlx.
macro_rules! sqlf {
    ($($t:tt)*) => { sqlx::AssertSqlSafe(format!($($t)*)) };
}

/// The entity write methods: for each listed `fn name(args) -> T;` with its documentation,
/// `WriteTx::name(&mut self, args) -> Result<T>` runs the module's `Conn::name` inside a
/// savepoint (a failed call changes nothing, also inside a larger transaction), and
/// `Store::name(&self, args) -> Result<T>` runs `WriteTx::name` in a transaction of its own.
macro_rules! store_writes {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        impl WriteTx {
            $(
                $(#[$doc])*
                pub async fn $name(&mut self, $($arg: $ty),*) -> Result<$ret> {
                    let out = self.begin_step().await?.$name($($arg),*).await;
                    self.end_step(out).await
                }
            )*
        }

        impl Store {
            $(
                #[doc = concat!("[`WriteTx::", stringify!($name), "`] in a transaction of its own.")]
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    let mut tx = self.begin().await?;
                    let out = tx.$name($($arg),*).await?;
                    tx.commit().await?;
                    Ok(out)
                }
            )*
        }
    };
}

mod access;
mod accounts;
mod crypto;
mod decisions;
mod error;
mod model;
pub mod names;
mod orgs;
mod policies;
mod sessions;
mod signin;
mod state;
mod system_policies;
mod upgrade;
mod util;
mod workspaces;

pub use access::{AgencyUpdate, GroupUpdate, NewAgency, NewUser, UserUpdate};
pub use accounts::ADMIN_GROUP;
pub use crypto::{MASTER_KEY_ENV, MASTER_KEY_FILE, MasterKey};
pub use decisions::{DecisionFilter, DecisionLogger, DecisionLoggerStats, NewDecision};
pub use error::{Result, StoreError};
pub use model::*;
pub use orgs::{NewScp, ScpUpdate};
pub use policies::{NewPolicy, PolicyFilter};
pub use sessions::{CreatedServiceCredential, NewSessionCredential, ServiceGrant};
pub use signin::{
    FailureOutcome, LoginProfile, LoginState, MfaDevice, NewPassword, NewToken, PASSWORD_HISTORY,
    SecurityPolicies, Token, TokenRequirement, token_hash,
};
pub use state::{PolicyWithDocument, StoreState};
pub use system_policies::{SystemPolicyRow, SystemPolicySync};
pub use upgrade::LookalikeName;
pub use util::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, MAX_POLICY_DOCUMENT_BYTES, format_timestamp};
pub use workspaces::{
    DEFAULT_ID, DEFAULT_NAME, EnterpriseProject, EnterpriseProjectUpdate, GrantInput,
    MAX_ENTERPRISE_PROJECTS, MAX_WORKSPACE_GRANTS, NewEnterpriseProject, NewWorkspace, Workspace,
    WorkspaceGrant, WorkspaceQuota, WorkspaceUpdate, is_enterprise_project_id, is_workspace_id,
    parse_auth_type,
};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Name of the SQLite database file inside the data directory.
pub const DB_FILE: &str = "iam.db";

/// Count limits enforced by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Access keys per user (Huawei: 2).
    pub max_access_keys_per_user: u32,
    /// Versions per identity policy (Huawei: 5, not adjustable).
    pub max_policy_versions: u32,
    /// Identity policies attached to one user, group or agency (Huawei default 10, max 20).
    /// Values above 20 are clamped to 20.
    pub max_attached_policies: u32,
    /// Groups one user can belong to (Huawei: 10).
    pub max_groups_per_user: u32,
    /// Custom identity policies per account (Huawei default 1,500, max 5,000).
    pub max_policies_per_account: u32,
    /// Agencies per account (Huawei default 50, max 5,000).
    pub max_agencies_per_account: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_access_keys_per_user: 2,
            max_policy_versions: 5,
            max_attached_policies: 10,
            max_groups_per_user: 10,
            max_policies_per_account: 1500,
            max_agencies_per_account: 50,
        }
    }
}

/// Options for [`Store::open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Master key; `None` means [`MasterKey::load_or_create`] on the data directory.
    pub master_key: Option<MasterKey>,
    /// Limits.
    pub limits: Limits,
    /// Reader connections (the writer is always a single connection).
    pub read_connections: u32,
    /// SQLite busy timeout.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            master_key: None,
            limits: Limits::default(),
            read_connections: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// The database behind a [`Store`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Backend {
    /// Embedded SQLite: one writer connection, a pool of readers (WAL).
    Sqlite {
        /// The single writer connection.
        writer: SqlitePool,
        /// Reader connections (the writer pool itself for in-memory stores).
        reader: SqlitePool,
    },
    // A PostgreSQL backend goes here: `Postgres { pool: sqlx::PgPool }`, with migrations in
    // `migrations/postgres` and `Store::open_postgres(url, opts)`.
}

#[derive(Debug)]
struct Inner {
    backend: Backend,
    key: MasterKey,
    limits: Limits,
    path: Option<PathBuf>,
}

/// Handle to the store; cheap to clone and share across tasks.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

/// An entity write transaction on the store's single writer connection, from [`Store::begin`].
///
/// Every entity write method exists once, here; the `Store` method of the same name runs it in
/// a transaction of its own. Several calls on one `WriteTx` commit together or not at all:
/// [`WriteTx::commit`] makes them durable at once, and dropping the transaction (an early
/// return with `?`, a panic, a cancelled task) rolls all of them back. The store's revision is
/// bumped once per committed transaction, however many writes it holds.
///
/// Each method is atomic on its own too (a savepoint): one that fails has changed nothing, so
/// a caller may handle the error and go on with the transaction. A method whose future was
/// dropped before it finished leaves the transaction unusable: later calls and
/// [`WriteTx::commit`] fail with [`StoreError::Transaction`].
///
/// While a `WriteTx` is open it holds the writer connection: other writes wait for it, and
/// calling a `Store` write method from the task holding it waits for ever (up to the pool's
/// acquire timeout). Reads through `Store` use other connections and do not see the
/// transaction's uncommitted rows (an in-memory store has one connection for both: do not read
/// through `Store` while a `WriteTx` is open).
#[derive(Debug)]
pub struct WriteTx {
    tx: Tx,
    store: Store,
    /// A method's savepoint is open: set when it starts, cleared when it finishes, so a method
    /// whose future was dropped half-way is detected.
    step_open: bool,
}

/// What the write methods' bodies run on: the open transaction and the store (limits, key).
pub(crate) struct Conn<'a> {
    pub(crate) tx: &'a mut Tx,
    pub(crate) store: &'a Store,
}

const KEY_CHECK_PLAINTEXT: &[u8] = b"modelarts-iam master key check v1";

const STEP_CANCELLED: &str =
    "a write of this transaction stopped half-way (its future was dropped); drop the transaction";

impl WriteTx {
    /// Commits every write made in this transaction (durable when this returns).
    pub async fn commit(self) -> Result<()> {
        if self.step_open {
            return Err(StoreError::Transaction(STEP_CANCELLED));
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Discards every write made in this transaction (dropping it does the same).
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Opens the savepoint of one write method.
    async fn begin_step(&mut self) -> Result<Conn<'_>> {
        if self.step_open {
            return Err(StoreError::Transaction(STEP_CANCELLED));
        }
        // Set before the first await: a step dropped at any point afterwards is detected.
        self.step_open = true;
        sqlx::query("SAVEPOINT write_step")
            .execute(&mut *self.tx)
            .await?;
        Ok(Conn {
            tx: &mut self.tx,
            store: &self.store,
        })
    }

    /// Closes the savepoint of one write method, undoing what it did when it failed.
    async fn end_step<T>(&mut self, out: Result<T>) -> Result<T> {
        if out.is_err() {
            sqlx::query("ROLLBACK TO SAVEPOINT write_step")
                .execute(&mut *self.tx)
                .await?;
        }
        sqlx::query("RELEASE SAVEPOINT write_step")
            .execute(&mut *self.tx)
            .await?;
        self.step_open = false;
        out
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` (`<data_dir>/iam.db`), runs the
    /// embedded migrations and checks the master key against the one the data directory was
    /// created with.
    pub async fn open(data_dir: &Path, opts: StoreOptions) -> Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        let key = match opts.master_key.clone() {
            Some(k) => k,
            None => MasterKey::load_or_create(data_dir)?,
        };
        let path = data_dir.join(DB_FILE);
        let base = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(opts.busy_timeout);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(base.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let mut tx = writer.begin().await?;
        upgrade::fill_name_keys(&mut tx).await?;
        tx.commit().await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(opts.read_connections.max(1))
            .connect_with(base.read_only(true))
            .await?;
        let store = Store {
            inner: Arc::new(Inner {
                backend: Backend::Sqlite { writer, reader },
                key,
                limits: clamp_limits(opts.limits),
                path: Some(path),
            }),
        };
        store.check_master_key().await?;
        Ok(store)
    }

    /// A private in-memory store with a random master key (tests).
    pub async fn open_in_memory() -> Result<Store> {
        Self::open_in_memory_with(Limits::default()).await
    }

    /// A private in-memory store with the given limits (tests).
    pub async fn open_in_memory_with(limits: Limits) -> Result<Store> {
        let opts = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let store = Store {
            inner: Arc::new(Inner {
                backend: Backend::Sqlite {
                    writer: pool.clone(),
                    reader: pool,
                },
                key: MasterKey::generate()?,
                limits: clamp_limits(limits),
                path: None,
            }),
        };
        store.check_master_key().await?;
        Ok(store)
    }

    /// Path of the database file (`None` for in-memory stores).
    pub fn db_path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The backend (for diagnostics).
    pub fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    /// Limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Whether the database answers a query (`/readyz`): a read on a reader connection.
    pub async fn ping(&self) -> Result<()> {
        match &self.inner.backend {
            Backend::Sqlite { reader, .. } => {
                sqlx::query("SELECT 1").execute(reader).await?;
            }
        }
        Ok(())
    }

    /// Closes all connections (checkpointing the WAL).
    pub async fn close(&self) {
        match &self.inner.backend {
            Backend::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
        }
    }

    pub(crate) fn writer(&self) -> &SqlitePool {
        match &self.inner.backend {
            Backend::Sqlite { writer, .. } => writer,
        }
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        match &self.inner.backend {
            Backend::Sqlite { reader, .. } => reader,
        }
    }

    pub(crate) fn key(&self) -> &MasterKey {
        &self.inner.key
    }

    /// Begins an entity write transaction ([`WriteTx`]): several writes that commit together
    /// or not at all, with one revision bump. Waits while another transaction is open.
    pub async fn begin(&self) -> Result<WriteTx> {
        let mut tx = self.writer().begin().await?;
        sqlx::query("UPDATE store_meta SET value = value + 1 WHERE key = 'revision'")
            .execute(&mut *tx)
            .await?;
        Ok(WriteTx {
            tx,
            store: self.clone(),
            step_open: false,
        })
    }

    /// Current revision: bumped by every committed entity write (not by decision-log writes).
    pub async fn revision(&self) -> Result<i64> {
        let (v,): (i64,) = sqlx::query_as("SELECT value FROM store_meta WHERE key = 'revision'")
            .fetch_one(self.reader())
            .await?;
        Ok(v)
    }

    /// Runs SQLite's `PRAGMA integrity_check` and foreign-key check; `Ok(())` when consistent.
    pub async fn check_integrity(&self) -> Result<()> {
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(self.writer())
            .await?;
        if rows.len() != 1 || rows.first().map(|r| r.0.as_str()) != Some("ok") {
            return Err(StoreError::conflict(
                "database",
                format!("integrity check failed: {rows:?}"),
            ));
        }
        let fk: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
            .fetch_all(self.writer())
            .await?;
        if !fk.is_empty() {
            return Err(StoreError::conflict(
                "database",
                format!("foreign key check failed in {fk:?}"),
            ));
        }
        Ok(())
    }

    async fn check_master_key(&self) -> Result<()> {
        let row: Option<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as("SELECT nonce, ciphertext FROM key_check WHERE id = 1")
                .fetch_optional(self.writer())
                .await?;
        match row {
            Some((nonce, ct)) => {
                let pt = self.key().decrypt("key_check", &nonce, &ct).map_err(|_| {
                    StoreError::MasterKey(
                        "the master key does not match the key this data directory was created with"
                            .into(),
                    )
                })?;
                if pt != KEY_CHECK_PLAINTEXT {
                    return Err(StoreError::MasterKey("key check mismatch".into()));
                }
            }
            None => {
                let (nonce, ct) = self.key().encrypt("key_check", KEY_CHECK_PLAINTEXT)?;
                sqlx::query("INSERT INTO key_check (id, nonce, ciphertext) VALUES (1, $1, $2)")
                    .bind(nonce)
                    .bind(ct)
                    .execute(self.writer())
                    .await?;
            }
        }
        Ok(())
    }
}

fn clamp_limits(mut l: Limits) -> Limits {
    l.max_attached_policies = l.max_attached_policies.clamp(1, 20);
    l.max_policy_versions = l.max_policy_versions.clamp(1, 5);
    l.max_access_keys_per_user = l.max_access_keys_per_user.max(1);
    l
}
