//! Persistent store for accounts, users, groups, keys, policies, agencies, organizations and
//! the decision log (embedded SQLite, or PostgreSQL shared by replicas).
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
//! Backends ([`Backend`]): embedded SQLite ([`Store::open`], the default) and PostgreSQL
//! ([`Store::open_postgres`], for replicas sharing one database). Both run the same SQL through
//! sqlx's `Any` driver: the statements are written in the subset both accept (`$n`
//! placeholders, `||`, `CAST(.. AS INTEGER)`, `RETURNING`, booleans as integers 0/1, times as
//! fixed-width RFC 3339 text), and each backend has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`) producing the same tables. Entity writes are serialised on both: on
//! SQLite by the single writer connection, on PostgreSQL by the row lock every write
//! transaction takes first on the revision counter.
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
pub mod copy;
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
pub mod testing;
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

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The PostgreSQL notification channel on which every committed entity write announces its
/// revision.
pub const REVISION_CHANNEL: &str = "modelarts_iam_revision";

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
        writer: AnyPool,
        /// Reader connections (the writer pool itself for in-memory stores).
        reader: AnyPool,
    },
    /// PostgreSQL: one pool for reads and writes (writes serialise on the revision row).
    Postgres {
        /// The connection pool.
        pool: AnyPool,
        /// The database URL without its password (diagnostics).
        url: String,
    },
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }
}

#[derive(Debug)]
struct Inner {
    backend: Backend,
    /// The PostgreSQL URL with its password, for [`Store::listen`]'s own connection.
    postgres_url: Option<crypto::Hidden>,
    key: MasterKey,
    limits: Limits,
    path: Option<PathBuf>,
}

/// Handle to the store; cheap to clone and share across tasks.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

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
        let url = sqlite_url(&path)?;
        let busy_ms = opts.busy_timeout.as_millis().min(i64::MAX as u128);
        let writer = sqlite_pool(1, Some(1))
            .after_connect(move |conn, _| {
                Box::pin(run_pragmas(
                    conn,
                    format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy_ms};"
                    ),
                ))
            })
            .connect(&format!("{url}?mode=rwc"))
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let mut tx = writer.begin().await?;
        upgrade::fill_name_keys(&mut tx).await?;
        tx.commit().await?;
        let reader = sqlite_pool(opts.read_connections.max(1), None)
            .after_connect(move |conn, _| {
                Box::pin(run_pragmas(
                    conn,
                    format!("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy_ms};"),
                ))
            })
            .connect(&format!("{url}?mode=ro"))
            .await?;
        let store = Store {
            inner: Arc::new(Inner {
                backend: Backend::Sqlite { writer, reader },
                postgres_url: None,
                key,
                limits: clamp_limits(opts.limits),
                path: Some(path),
            }),
        };
        store.check_master_key().await?;
        Ok(store)
    }

    /// Opens the store in the PostgreSQL database at `url` (`postgres://user:pass@host/db`),
    /// runs the embedded PostgreSQL migrations and checks the master key against the one the
    /// database was created with. `opts.master_key` is required: with no data directory there
    /// is no key file to read (see `docs/deploy.md`). `opts.read_connections` sizes the pool.
    pub async fn open_postgres(url: &str, opts: StoreOptions) -> Result<Store> {
        let key = opts.master_key.clone().ok_or_else(|| {
            StoreError::MasterKey(format!(
                "a PostgreSQL store needs its master key: set {MASTER_KEY_ENV} (base64 of 32 \
                 bytes) or give the key file"
            ))
        })?;
        install_drivers();
        let shown = redact_url(url);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::invalid(
                "database",
                format!(
                    "`{shown}` is not a PostgreSQL URL (postgres://user:password@host:port/database)"
                ),
            ));
        }
        let pool = AnyPoolOptions::new()
            .max_connections(opts.read_connections.max(2))
            .min_connections(1)
            // fail fast when the database is down: a write answers 503 within this
            .acquire_timeout(opts.busy_timeout.min(Duration::from_secs(2)))
            // No statement runs for ever, and a transaction left open by a client that
            // vanished does not hold the revision lock.
            .after_connect(|conn, _| {
                Box::pin(run_pragmas(
                    conn,
                    "SET statement_timeout = '30s'; \
                     SET idle_in_transaction_session_timeout = '30s';"
                        .to_owned(),
                ))
            })
            .connect(url)
            .await?;
        check_collation(&pool).await?;
        // A PostgreSQL database has had name keys from its first migration: nothing to fill.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let store = Store {
            inner: Arc::new(Inner {
                backend: Backend::Postgres { pool, url: shown },
                postgres_url: Some(crypto::Hidden(url.to_owned())),
                key,
                limits: clamp_limits(opts.limits),
                path: None,
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
        let pool = sqlite_pool(1, Some(1))
            .after_connect(|conn, _| {
                Box::pin(run_pragmas(
                    conn,
                    "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;".to_owned(),
                ))
            })
            .connect("sqlite::memory:")
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let store = Store {
            inner: Arc::new(Inner {
                backend: Backend::Sqlite {
                    writer: pool.clone(),
                    reader: pool,
                },
                postgres_url: None,
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
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    /// Closes all connections (checkpointing the WAL).
    pub async fn close(&self) {
        match &self.inner.backend {
            Backend::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres { pool, .. } => pool.close().await,
        }
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        match &self.inner.backend {
            Backend::Sqlite { writer, .. } => writer,
            Backend::Postgres { pool, .. } => pool,
        }
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        match &self.inner.backend {
            Backend::Sqlite { reader, .. } => reader,
            Backend::Postgres { pool, .. } => pool,
        }
    }

    pub(crate) fn key(&self) -> &MasterKey {
        &self.inner.key
    }

    /// Begins an entity write transaction ([`WriteTx`]): several writes that commit together
    /// or not at all, with one revision bump. Waits while another transaction is open.
    pub async fn begin(&self) -> Result<WriteTx> {
        let mut tx = self.writer().begin().await?;
        // On PostgreSQL this row lock serialises the write transactions of every replica, and
        // the notification (delivered at commit, dropped on rollback) tells the other replicas
        // to load the new revision ([`Store::listen`]).
        let (revision,): (i64,) = sqlx::query_as(
            "UPDATE store_meta SET value = value + 1 WHERE key = 'revision' RETURNING value",
        )
        .fetch_one(&mut *tx)
        .await?;
        if let Backend::Postgres { .. } = self.inner.backend {
            sqlx::query(sqlf!("SELECT pg_notify('{REVISION_CHANNEL}', $1)"))
                .bind(revision.to_string())
                .execute(&mut *tx)
                .await?;
        }
        Ok(WriteTx {
            tx,
            store: self.clone(),
            step_open: false,
        })
    }

    /// Follows the writes of other processes sharing this database: `None` on SQLite (one
    /// process owns the data directory), on PostgreSQL a listener on [`REVISION_CHANNEL`].
    pub async fn listen(&self) -> Result<Option<RevisionListener>> {
        let Some(url) = &self.inner.postgres_url else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(&url.0).await?;
        listener.listen(REVISION_CHANNEL).await?;
        Ok(Some(RevisionListener { listener }))
    }

    /// Current revision: bumped by every committed entity write (not by decision-log writes).
    pub async fn revision(&self) -> Result<i64> {
        let (v,): (i64,) = sqlx::query_as("SELECT value FROM store_meta WHERE key = 'revision'")
            .fetch_one(self.reader())
            .await?;
        Ok(v)
    }

    /// Runs SQLite's `PRAGMA integrity_check` and foreign-key check; `Ok(())` when consistent.
    /// On PostgreSQL, which enforces its constraints on every write and checksums its pages
    /// itself, this checks that the database answers.
    pub async fn check_integrity(&self) -> Result<()> {
        if let Backend::Postgres { .. } = self.inner.backend {
            return self.ping().await;
        }
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
                // Two replicas starting at once on a new database may both get here: the
                // second insert does nothing, and both then check the row that won.
                let (nonce, ct) = self.key().encrypt("key_check", KEY_CHECK_PLAINTEXT)?;
                let r = sqlx::query(
                    "INSERT INTO key_check (id, nonce, ciphertext) VALUES (1, $1, $2) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(nonce)
                .bind(ct)
                .execute(self.writer())
                .await?;
                if r.rows_affected() == 0 {
                    return Box::pin(self.check_master_key()).await;
                }
            }
        }
        Ok(())
    }
}

/// Refuses a PostgreSQL database whose text order is not byte order: pages (markers compare
/// names and times as text) and every listing must come out in the same order as on SQLite.
async fn check_collation(pool: &AnyPool) -> Result<()> {
    // What is checked is the order itself (whatever the locale provider: an ICU database may
    // name `C` as its collation and still sort by a language's rules): upper case before lower
    // case, and `Z` before `_`, as bytes compare.
    let (bytewise, collate): (i64, String) = sqlx::query_as(
        "SELECT CASE WHEN 'B' < 'a' AND 'a' < 'b' AND 'Z' < '_' AND 'a-b' < 'a_b' THEN 1 ELSE 0 END, \
         CAST(datcollate AS TEXT) FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(pool)
    .await?;
    if bytewise == 1 {
        return Ok(());
    }
    Err(StoreError::invalid(
        "database",
        format!(
            "the database sorts text by the `{collate}` collation; modelarts-iam needs byte order: \
             create it with `CREATE DATABASE <name> TEMPLATE template0 LC_COLLATE 'C' \
             LC_CTYPE 'C' ENCODING 'UTF8'` (see docs/deploy.md)"
        ),
    ))
}

/// Runs a new connection's session settings (constant SQL chosen by the store).
async fn run_pragmas(conn: &mut sqlx::AnyConnection, sql: String) -> sqlx::Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Registers sqlx's SQLite and PostgreSQL drivers with its `Any` driver (once per process).
fn install_drivers() {
    sqlx::any::install_default_drivers();
}

/// Pool options for SQLite (`max` connections, `min` kept open).
fn sqlite_pool(max: u32, min: Option<u32>) -> AnyPoolOptions {
    install_drivers();
    let opts = AnyPoolOptions::new().max_connections(max);
    match min {
        Some(n) => opts
            .min_connections(n)
            .idle_timeout(None)
            .max_lifetime(None),
        None => opts,
    }
}

/// `sqlite://<path>` with the path percent-encoded (so `?`, `#` or `%` in a directory name
/// stay part of the path).
fn sqlite_url(path: &Path) -> Result<String> {
    let text = path.to_str().ok_or_else(|| {
        StoreError::invalid(
            "data directory",
            format!(
                "`{}` is not valid UTF-8; choose a data directory whose path is",
                path.display()
            ),
        )
    })?;
    let mut url = String::from("sqlite://");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(url)
}

/// A database URL with its password replaced by `***` (for logs and errors): the one in the
/// user information and any `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = redact_userinfo(base);
    match query {
        None => base,
        Some(q) => {
            let pairs: Vec<String> = q
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", pairs.join("&"))
        }
    }
}

fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Notifications of the revisions other processes commit ([`Store::listen`]).
#[derive(Debug)]
pub struct RevisionListener {
    listener: sqlx::postgres::PgListener,
}

/// What a [`RevisionListener`] heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A write committed this revision.
    Revision(i64),
    /// The connection was lost and made again: notifications may have been missed meanwhile,
    /// so the caller must compare [`Store::revision`] with what it has.
    Reconnected,
}

impl RevisionListener {
    /// Waits for the next notification. Reconnects by itself after a lost connection
    /// ([`Heard::Reconnected`]); an error means the database cannot be reached now (call again
    /// later: the next call tries to connect again).
    pub async fn recv(&mut self) -> Result<Heard> {
        match self.listener.try_recv().await? {
            Some(n) => Ok(n
                .payload()
                .parse()
                .map_or(Heard::Reconnected, Heard::Revision)),
            None => Ok(Heard::Reconnected),
        }
    }
}

fn clamp_limits(mut l: Limits) -> Limits {
    l.max_attached_policies = l.max_attached_policies.clamp(1, 20);
    l.max_policy_versions = l.max_policy_versions.clamp(1, 5);
    l.max_access_keys_per_user = l.max_access_keys_per_user.max(1);
    l
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_urls_are_shown_without_their_passwords() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@db:5432/iam",
                "postgres://app:***@db:5432/iam",
            ),
            (
                "postgres://app@db/iam?password=s3cret&sslmode=require",
                "postgres://app@db/iam?password=***&sslmode=require",
            ),
            (
                "postgresql://db/iam?PASSWORD=x",
                "postgresql://db/iam?PASSWORD=***",
            ),
            ("postgres://db/iam", "postgres://db/iam"),
            ("postgres://a:b@c@host/db", "postgres://a:***@host/db"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("s3cret"));
        }
    }
}
