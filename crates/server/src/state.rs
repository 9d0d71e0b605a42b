//! Shared server state: the store, the current compiled snapshot and the write path.
//!
//! **Architecture invariant:** decisions only `load()` the current [`Snapshot`]; they never wait
//! for a write. Writes are serialised by one async mutex; each write goes to the store, then the
//! snapshot is rebuilt from `Store::load_state` and swapped in *before* the write answers, so the
//! next request of any client sees it (read-your-writes).

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use arc_swap::ArcSwap;
use iam_store::{Store, StoreError};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::CachedCredential;
use crate::cache::{
    JOB_CREDENTIALS_MAX, PROJECTS_MAX, RESOURCE_ATTRIBUTES_MAX, RevisionCache, SESSIONS_MAX,
    SHARED_CREDENTIALS_MAX,
};
use crate::error::ApiError;
use crate::gateway::JobCredentials;
use crate::snapshot::{Principal, Snapshot};

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    /// Unique per `AppState` built in this process: per-thread caches are keyed by it, so two
    /// states in one process (tests, benches) never share entries.
    instance: u64,
    store: Store,
    snapshot: ArcSwap<Snapshot>,
    write_lock: tokio::sync::Mutex<()>,
    metrics: Option<PrometheusHandle>,
    region: String,
    /// Credentials: access key id -> secret and caller, by revision (docs/server.md "Caches").
    credentials: RwLock<RevisionCache<i64, String, Arc<CachedCredential>>>,
    /// Agency sessions: access key id -> compiled policy set, by revision.
    sessions: RwLock<RevisionCache<i64, String, Arc<Principal>>>,
    /// Projects: project id -> (account, region), by revision.
    projects: RwLock<RevisionCache<i64, String, Project>>,
    /// Agency credentials of jobs: (project id, user id) -> credentials, by revision.
    job_credentials: RwLock<RevisionCache<i64, (String, String), Arc<JobCredentials>>>,
    /// Attributes of upstream resources: URN -> what the upstream's lookup answered, by
    /// `LOOKUP_TTL_SECONDS` window of the clock (`gateway/lookup.rs`).
    resource_attributes: RwLock<RevisionCache<u64, String, Arc<crate::gateway::Attributes>>>,
    /// Decision-log writer of enforced requests (gateway, STS).
    audit: crate::audit::AuditLog,
    /// Whether the follower ([`AppState::follow`]) reaches the database now (PostgreSQL).
    store_reachable: std::sync::atomic::AtomicBool,
}

/// How often a replica compares its snapshot's revision with the store's even when no
/// notification came (a notification lost with a connection is caught up within this).
pub const CATCH_UP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// How long the follower's catch-up may take before the database counts as unreachable.
const CATCH_UP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long the follower waits before connecting again to an unreachable database.
const RECONNECT_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

static NEXT_INSTANCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A project: the account it belongs to and its region.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub(crate) account_id: String,
    pub(crate) region: String,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("revision", &self.snapshot().revision())
            .field("region", &self.inner.region)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state over an opened store and compiles the first snapshot, after bringing
    /// the store's system policies up to date with this binary's catalog
    /// ([`crate::system_policies::sync`]): every state, the server's and the tests', has them.
    pub async fn new(store: Store, region: impl Into<String>) -> Result<Self, StoreError> {
        let region = region.into();
        crate::system_policies::sync(&store).await?;
        let snapshot = Snapshot::load(&store, &region).await?;
        let audit = crate::audit::AuditLog::new(store.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                instance: NEXT_INSTANCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                store,
                snapshot: ArcSwap::from_pointee(snapshot),
                write_lock: tokio::sync::Mutex::new(()),
                metrics: crate::telemetry::metrics_handle(),
                region,
                credentials: RwLock::new(RevisionCache::new(SHARED_CREDENTIALS_MAX)),
                sessions: RwLock::new(RevisionCache::new(SESSIONS_MAX)),
                projects: RwLock::new(RevisionCache::new(PROJECTS_MAX)),
                job_credentials: RwLock::new(RevisionCache::new(JOB_CREDENTIALS_MAX)),
                resource_attributes: RwLock::new(RevisionCache::new(RESOURCE_ATTRIBUTES_MAX)),
                audit,
                store_reachable: std::sync::atomic::AtomicBool::new(true),
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The region of this server (resource URNs, project ids).
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The current snapshot (lock-free).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.snapshot.load_full()
    }

    /// The current snapshot for the duration of a synchronous step: no reference count is
    /// touched (worker threads on different cores would otherwise bounce its cache line between
    /// them on every request). Do not keep it across an `.await`; use [`AppState::snapshot`] there.
    pub(crate) fn current(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.inner.snapshot.load()
    }

    /// This state's number, unique in the process.
    pub(crate) fn instance(&self) -> u64 {
        self.inner.instance
    }

    pub(crate) fn metrics(&self) -> Option<&PrometheusHandle> {
        self.inner.metrics.as_ref()
    }

    pub(crate) fn audit(&self) -> &crate::audit::AuditLog {
        &self.inner.audit
    }

    pub(crate) fn credentials(&self) -> &RwLock<RevisionCache<i64, String, Arc<CachedCredential>>> {
        &self.inner.credentials
    }

    pub(crate) fn job_credentials(
        &self,
    ) -> &RwLock<RevisionCache<i64, (String, String), Arc<JobCredentials>>> {
        &self.inner.job_credentials
    }

    pub(crate) fn resource_attributes(
        &self,
    ) -> &RwLock<RevisionCache<u64, String, Arc<crate::gateway::Attributes>>> {
        &self.inner.resource_attributes
    }

    pub(crate) fn sessions(&self) -> &RwLock<RevisionCache<i64, String, Arc<Principal>>> {
        &self.inner.sessions
    }

    /// The project `id` (`None` when there is none), through the projects cache.
    pub(crate) async fn project(&self, id: &str) -> Result<Option<Project>, ApiError> {
        let revision = self.current().revision();
        if let Ok(cache) = self.inner.projects.read()
            && let Some(p) = cache.get(revision, id)
        {
            return Ok(Some(p.clone()));
        }
        match self.inner.store.get_project(id).await {
            Ok(p) => {
                let project = Project {
                    account_id: p.account_id,
                    region: p.region,
                };
                if let Ok(mut cache) = self.inner.projects.write() {
                    cache.insert(revision, id.to_owned(), project.clone());
                }
                Ok(Some(project))
            }
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs one store write, then rebuilds and swaps the snapshot before returning. Writes are
    /// serialised. `f` makes one `Store` write call, or, for a write of several entities, opens
    /// one transaction (`Store::begin`), makes its calls on it and commits once: either way a
    /// failed write changes nothing and skips the rebuild.
    pub async fn write<T, F, Fut>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let _guard = self.inner.write_lock.lock().await;
        let out = f(self.inner.store.clone()).await.map_err(ApiError::from)?;
        self.rebuild_locked().await?;
        Ok(out)
    }

    /// Brings the snapshot up to the store's current revision when another process (a replica
    /// on the same PostgreSQL database) wrote since; returns the store's revision.
    pub async fn catch_up(&self) -> Result<i64, ApiError> {
        let revision = self.inner.store.revision().await?;
        if revision > self.current().revision() {
            let _guard = self.inner.write_lock.lock().await;
            // another task may have loaded it while this one waited for the lock
            if revision > self.current().revision() {
                self.rebuild_locked().await?;
            }
        }
        Ok(revision)
    }

    /// Makes the snapshot include revision `at_least` (a revision token), loading the store's
    /// state when this replica is behind, within `wait`: `503` when the store cannot be read in
    /// time, `400` when the store has no such revision (the token is not from this deployment).
    pub async fn reach(&self, at_least: i64, wait: std::time::Duration) -> Result<(), ApiError> {
        if self.current().revision() >= at_least {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.catch_up()).await {
                Ok(Ok(_)) if self.current().revision() >= at_least => return Ok(()),
                Ok(Ok(stored)) => {
                    return Err(ApiError::bad_request(format!(
                        "revision {at_least} does not exist (the store is at revision \
                         {stored}): use the {} header of an answer of this deployment",
                        crate::consistency::REVISION
                    )));
                }
                Ok(Err(_)) if tokio::time::Instant::now() + RECONNECT_DELAY < deadline => {
                    tokio::time::sleep(RECONNECT_DELAY).await;
                }
                Ok(Err(_)) | Err(_) => {
                    return Err(ApiError::unavailable(format!(
                        "this replica could not load revision {at_least} within {} s (it \
                         decides on revision {}); retry shortly",
                        wait.as_secs(),
                        self.current().revision()
                    )));
                }
            }
        }
    }

    /// Whether the follower reaches the database (always `true` on SQLite).
    pub fn store_reachable(&self) -> bool {
        self.inner
            .store_reachable
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn set_store_reachable(&self, reachable: bool) {
        let was = self
            .inner
            .store_reachable
            .swap(reachable, std::sync::atomic::Ordering::Relaxed);
        if was != reachable {
            if reachable {
                tracing::info!(
                    revision = self.current().revision(),
                    "the database is reachable again"
                );
            } else {
                tracing::warn!(
                    revision = self.current().revision(),
                    "the database is unreachable: deciding from the last snapshot, writes answer 503"
                );
            }
        }
    }

    /// Follows the writes of the other replicas sharing this PostgreSQL database until the
    /// process ends: on each notification of a newer revision, after a reconnection and at
    /// least every [`CATCH_UP_INTERVAL`], the snapshot catches up with the store. Returns at
    /// once on SQLite (no other process writes its data directory).
    pub async fn follow(self) {
        let store = self.inner.store.clone();
        if !matches!(store.backend(), iam_store::Backend::Postgres { .. }) {
            return;
        }
        loop {
            let mut listener = match store.listen().await {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    tracing::debug!(error = %e, "follower: cannot listen");
                    self.set_store_reachable(false);
                    tokio::time::sleep(RECONNECT_DELAY).await;
                    continue;
                }
            };
            // a new connection: whatever was committed while none was listening
            self.checked_catch_up().await;
            loop {
                match tokio::time::timeout(CATCH_UP_INTERVAL, listener.recv()).await {
                    Ok(Ok(iam_store::Heard::Revision(r))) => {
                        if r > self.current().revision() {
                            self.checked_catch_up().await;
                        }
                    }
                    Ok(Ok(iam_store::Heard::Reconnected)) | Err(_) => {
                        self.checked_catch_up().await;
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "follower: the notification connection failed");
                        self.set_store_reachable(false);
                        break;
                    }
                }
            }
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    }

    async fn checked_catch_up(&self) {
        // bounded: a database that stops answering without closing the connection (a network
        // partition) must not keep the replica reporting itself reachable
        match tokio::time::timeout(CATCH_UP_TIMEOUT, self.catch_up()).await {
            Ok(Ok(_)) => self.set_store_reachable(true),
            Ok(Err(_)) | Err(_) => self.set_store_reachable(false),
        }
    }

    /// Rebuilds the snapshot from the store (after writes made outside [`AppState::write`]).
    pub async fn rebuild(&self) -> Result<(), ApiError> {
        let _guard = self.inner.write_lock.lock().await;
        self.rebuild_locked().await
    }

    async fn rebuild_locked(&self) -> Result<(), ApiError> {
        let started = Instant::now();
        let snapshot = Snapshot::load(&self.inner.store, &self.inner.region)
            .await
            .map_err(ApiError::internal)?;
        metrics::gauge!(crate::telemetry::SNAPSHOT_REVISION).set(snapshot.revision() as f64);
        // every cache is keyed by revision: entries of the previous one are unreachable now
        self.inner.snapshot.store(Arc::new(snapshot));
        metrics::histogram!(crate::telemetry::SNAPSHOT_REBUILD_SECONDS)
            .record(started.elapsed().as_secs_f64());
        Ok(())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::not_found(e.to_string()),
            StoreError::Conflict { .. } => ApiError::conflict(e.to_string()),
            // Built-in entities refuse the change whoever asks (403, as Huawei answers an
            // operation the caller may not perform); there is no authorization message to decode.
            StoreError::Unmodifiable { .. } => ApiError::forbidden(e.to_string(), None),
            StoreError::LimitExceeded { .. } => ApiError::limit(e.to_string()),
            StoreError::Invalid { .. } => ApiError::bad_request(e.to_string()),
            StoreError::Unavailable(ref cause) => {
                tracing::warn!(error = %cause, "the database is unavailable");
                ApiError::unavailable(e.to_string())
            }
            other => ApiError::internal(other),
        }
    }
}
