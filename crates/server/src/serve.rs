//! `modelarts-iam serve`: open the data directory, bootstrap it on first start, listen, and shut
//! down gracefully on SIGINT/SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use iam_store::{Store, StoreError, StoreOptions};
use serde_json::json;

use crate::config::Config;
use crate::state::AppState;

/// Name of the root credential file written on first start (mode 0600).
pub const ROOT_KEY_FILE: &str = "root-access-key.json";

/// Name of the account created on first start.
pub const FIRST_ACCOUNT: &str = "admin";

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened or written.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Socket or file-system error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The API rejected a bootstrap step.
    #[error("bootstrap: {0}")]
    Bootstrap(String),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServeError {
    let context = context.into();
    move |source| ServeError::Io { context, source }
}

/// What the first start created.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    /// Path of the root credential file.
    pub key_file: PathBuf,
    /// The account id.
    pub account_id: String,
    /// The project id of the configured region.
    pub project_id: String,
}

/// Creates the first account, its root user and an access key, and writes the key file, unless
/// the data directory already has accounts. Returns `None` when nothing was done.
pub async fn bootstrap(
    store: &Store,
    data_dir: &Path,
    region: &str,
) -> Result<Option<Bootstrapped>, ServeError> {
    let page = iam_store::PageRequest {
        marker: None,
        limit: Some(1),
    };
    if !store.list_accounts(&page).await?.items.is_empty() {
        return Ok(None);
    }
    // One transaction: the account and its root user's key exist together or not at all. The
    // key file is written before the commit, so a committed key is always in the file (a failed
    // commit leaves a file naming a key that does not exist, rewritten at the next start).
    let mut tx = store.begin().await?;
    let (account, root, project) = tx.bootstrap_account(FIRST_ACCOUNT, region, None).await?;
    let key = tx.create_access_key(&root.id).await?;
    let key_file = data_dir.join(ROOT_KEY_FILE);
    let doc = {
        use secrecy::ExposeSecret as _;
        json!({
            "access_key_id": key.access_key.access_key_id,
            "secret_access_key": key.secret_access_key.expose_secret(),
            "account_id": account.id,
            "account_name": account.name,
            "user_id": root.id,
            "user_name": root.name,
            "user_urn": root.urn,
            "project_id": project.id,
            "region": region,
        })
    };
    write_private(
        &key_file,
        &serde_json::to_vec_pretty(&doc).unwrap_or_default(),
    )?;
    tx.commit().await?;
    Ok(Some(Bootstrapped {
        key_file,
        account_id: account.id,
        project_id: project.id,
    }))
}

/// Makes sure the ModelArts service principal has its credential: created on first start, or
/// replaced (the old one stops working at once) when `rotate`, and written to
/// [`crate::service::SERVICE_KEY_FILE`] (mode 0600). Returns the file's path when it wrote one.
/// As with the root key, the file is written before the commit.
pub async fn service_credential(
    store: &Store,
    data_dir: &Path,
    rotate: bool,
) -> Result<Option<PathBuf>, ServeError> {
    use crate::service::{MODELARTS_SERVICE, SERVICE_KEY_FILE};
    if !rotate && store.service_access_key(MODELARTS_SERVICE).await?.is_some() {
        return Ok(None);
    }
    let mut tx = store.begin().await?;
    let created = tx.put_service_credential(MODELARTS_SERVICE).await?;
    let path = data_dir.join(SERVICE_KEY_FILE);
    let doc = {
        use secrecy::ExposeSecret as _;
        json!({
            "service": created.service,
            "access_key_id": created.access_key_id,
            "secret_access_key": created.secret_access_key.expose_secret(),
        })
    };
    write_private(&path, &serde_json::to_vec_pretty(&doc).unwrap_or_default())?;
    tx.commit().await?;
    Ok(Some(path))
}

/// Writes a file readable only by its owner (0600 on Unix), replacing any existing one.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServeError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(io(format!("writing {}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io(format!("chmod {}", path.display())))?;
    }
    f.write_all(bytes)
        .map_err(io(format!("writing {}", path.display())))?;
    f.write_all(b"\n")
        .map_err(io(format!("writing {}", path.display())))?;
    Ok(())
}

/// Runs the server until SIGINT/SIGTERM. `ready` is called with the bound address once the
/// socket listens (and after the first-start messages were printed).
///
/// `rotate_service_key` replaces the ModelArts service credential before serving
/// ([`service_credential`]).
pub async fn run(config: Config, rotate_service_key: bool) -> Result<(), ServeError> {
    crate::telemetry::init_logging(config.log_format);
    // Bind before anything is created: a start that cannot listen (port in use) leaves the data
    // directory as it was.
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(io(format!("binding {}", config.listen)))?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(io("reading the bound address"))?;
    let ops_listener = match config.ops_listen {
        Some(ops) => Some(
            tokio::net::TcpListener::bind(ops)
                .await
                .map_err(io(format!("binding the ops listener {ops}")))?,
        ),
        None => None,
    };
    if !config.data_dir.exists() {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(io(format!("creating {}", config.data_dir.display())))?;
        // a directory we create holds the database and keys: owner only
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io(format!("chmod {}", config.data_dir.display())))?;
        }
    }
    let master_key = match &config.master_key {
        Some(k) => Some(iam_store::MasterKey::from_base64(k.0.trim())?),
        None => None,
    };
    let store = match &config.database {
        None => {
            let options = StoreOptions {
                master_key,
                ..StoreOptions::default()
            };
            Store::open(&config.data_dir, options).await?
        }
        Some(url) => {
            // Every replica must hold the same master key: the configured one, or the key
            // file of this data directory (copied to each replica; docs/deploy.md).
            let master_key = match master_key {
                Some(k) => k,
                None => iam_store::MasterKey::load_or_create(&config.data_dir)?,
            };
            let options = StoreOptions {
                master_key: Some(master_key),
                read_connections: 8,
                ..StoreOptions::default()
            };
            let store = Store::open_postgres(&url.0, options).await?;
            println!("store: PostgreSQL {}", iam_store::redact_url(&url.0));
            store
        }
    };
    // Names stored before the look-alike rule that collide with an older name keep working;
    // the operator decides which to rename (docs/server.md, "Names").
    for l in store.lookalike_names().await? {
        tracing::warn!(
            kind = l.kind.noun(),
            id = %l.id,
            account_id = l.account_id.as_deref().unwrap_or("system"),
            name = %l.name,
            "name differs from an older one of the same kind only in letter case or Unicode compatibility form; rename it"
        );
    }
    let first = match bootstrap(&store, &config.data_dir, &config.region).await {
        // another replica on the same database bootstrapped it meanwhile
        Err(ServeError::Store(StoreError::Conflict { .. })) if config.database.is_some() => None,
        other => other?,
    };
    let service_key = service_credential(&store, &config.data_dir, rotate_service_key).await?;
    let state = AppState::new(store.clone(), config.region.clone()).await?;
    let follower = tokio::spawn(state.clone().follow());
    let key_file = config.data_dir.join(ROOT_KEY_FILE);
    if let Some(b) = &first {
        println!(
            "First start: created account `{FIRST_ACCOUNT}` ({}) and its root user.",
            b.account_id
        );
        println!(
            "Root access key written to {} (readable only by you).",
            b.key_file.display()
        );
    } else if key_file.is_file() {
        println!("Root access key: {}", key_file.display());
    }
    if config.demo {
        // Loaded by the start that creates the account, and shown again by every later start
        // with --demo; never loaded into an account that started without it.
        let lines = match &first {
            Some(b) => Some(crate::demo::load(&state, &b.account_id, &key_file, addr).await?),
            None => match store.get_account_by_name(FIRST_ACCOUNT).await {
                Ok(account) => crate::demo::show(&state, &account.id, &key_file, addr).await?,
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            },
        };
        match lines {
            Some(lines) => {
                for line in lines {
                    println!("{line}");
                }
            }
            None => println!(
                "--demo ignored: this data directory was created without the demo (it is loaded only into a new data directory)."
            ),
        }
    }
    if let Some(path) = &service_key {
        println!(
            "ModelArts service credential ({}) written to {} (readable only by you).",
            crate::service::MODELARTS_SERVICE,
            path.display()
        );
    }
    let ops = match ops_listener {
        Some(l) => {
            let ops_addr = l.local_addr().map_err(io("reading the ops address"))?;
            println!("operations endpoints (no signature) on http://{ops_addr}");
            let router = crate::api::ops::ops_router(state.clone());
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(l, router)
                    .with_graceful_shutdown(shutdown_signal())
                    .await
                {
                    tracing::error!(error = %e, "the ops listener stopped");
                }
            }))
        }
        None => None,
    };
    println!("modelarts-iam listening on http://{addr}");
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "listening");
    let audit = state.audit().clone();
    let app = match &config.upstream {
        Some(url) => {
            let app = crate::gateway::proxy_app(state, url)
                .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
            println!("ModelArts API calls are enforced and forwarded to {url}");
            app
        }
        None => crate::app(state),
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(io("serving"))?;
    if let Some(ops) = ops {
        ops.abort();
    }
    follower.abort();
    audit.close().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, draining connections");
}
