//! Audit: the decision log of enforced requests (gateway, STS) and its query API.
//!
//! Entries are queued without waiting and written in batches by a background task
//! (`iam_store::DecisionLogger`: one transaction per batch, at most [`FLUSH_EVERY`] after the
//! first queued entry), so enforcement never waits for an fsync. An entry appears in
//! `GET /v1/decisions` once its batch is written; entries still queued when the process is
//! killed are lost (a graceful shutdown drains the queue). Queue overflows are counted in
//! `iam_audit_dropped_total`.
//!
//! `GET /v1/decisions` (`marker`/`limit` pagination, filters `principal_urn`, `action`,
//! `decision`, `agency_id`, `since`, `until`) lists the decisions about principals of the
//! caller's account, newest first. It needs `cts:trace:list` (Cloud Trace Service's "list
//! traces" action: the closest Huawei action for reading an audit trail).

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Json, Router};
use iam_store::{DecisionFilter, DecisionLogEntry, DecisionLogger, NewDecision, Store};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;

/// Longest time an entry waits in the queue before its batch is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Queue capacity; beyond it entries are dropped and counted.
pub const QUEUE: usize = 65_536;
/// Entries per write transaction.
pub const BATCH: usize = 1024;

/// Action needed to read the decision log.
pub const READ_ACTION: &str = "cts:trace:list";

/// Counter of log entries dropped because the queue was full.
pub const DROPPED: &str = "iam_audit_dropped_total";

/// The writer of the decision log.
#[derive(Debug, Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    logger: RwLock<Option<DecisionLogger>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    store: Store,
}

impl AuditLog {
    /// Starts the background writer when called inside a tokio runtime; otherwise entries are
    /// written one by one on a spawned task when logged.
    pub fn new(store: Store) -> Self {
        let (logger, task) = match tokio::runtime::Handle::try_current() {
            Ok(_) => {
                let (l, t) = DecisionLogger::spawn(store.clone(), QUEUE, BATCH, FLUSH_EVERY);
                (Some(l), Some(t))
            }
            Err(_) => (None, None),
        };
        Self {
            inner: Arc::new(Inner {
                logger: RwLock::new(logger),
                task: Mutex::new(task),
                store,
            }),
        }
    }

    /// Queues one entry.
    pub fn log(&self, d: NewDecision) {
        if let Ok(guard) = self.inner.logger.read()
            && let Some(l) = guard.as_ref()
        {
            if !l.log(d) {
                metrics::counter!(DROPPED).increment(1);
            }
            return;
        }
        // no background writer (closed, or built outside a runtime): write directly
        if let Ok(h) = tokio::runtime::Handle::try_current() {
            let store = self.inner.store.clone();
            h.spawn(async move {
                if store.append_decision(&d).await.is_err() {
                    metrics::counter!(DROPPED).increment(1);
                }
            });
        } else {
            metrics::counter!(DROPPED).increment(1);
        }
    }

    /// Stops the background writer after it wrote everything queued (graceful shutdown).
    pub async fn close(&self) {
        if let Ok(mut l) = self.inner.logger.write() {
            l.take();
        }
        let task = self.inner.task.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

/// Queues a decision-log entry.
pub(crate) fn record(st: &AppState, d: NewDecision) {
    st.audit().log(d);
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/decisions", get(list))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    marker: Option<String>,
    #[serde(default)]
    principal_urn: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    agency_id: Option<String>,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
}

fn parse_time(name: &str, v: &str) -> ApiResult<OffsetDateTime> {
    crate::auth::parse_rfc3339(v).ok_or_else(|| {
        ApiError::bad_request(format!(
            "invalid query parameter `{name}`: `{v}` is not an RFC 3339 time (2026-01-31T12:00:00Z)"
        ))
    })
}

/// One entry as the API shows it.
pub fn entry_json(e: &DecisionLogEntry) -> Value {
    let extra: Value = e
        .extra
        .as_deref()
        .and_then(|x| serde_json::from_str(x).ok())
        .unwrap_or(Value::Null);
    json!({
        "id": e.id,
        "at": e.at,
        "principal_urn": e.principal_urn,
        "access_key_id": e.access_key_id,
        "action": e.action,
        "resource": e.resource,
        "decision": e.decision,
        "determining_policy": e.determining_policy,
        "determining_statement": e.determining_statement,
        "layer": e.layer,
        "session": e.session,
        "agency_id": e.agency_id,
        "request_id": e.request_id,
        "extra": extra,
    })
}

async fn list(
    State(st): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Value>> {
    st.authorize_api_call(&caller, READ_ACTION, "*")?;
    if let Some(d) = &q.decision
        && ![
            "allow",
            "explicit_deny",
            "implicit_deny",
            "deny",
            "unauthenticated",
            "rejected",
        ]
        .contains(&d.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "invalid query parameter `decision`: `{d}` is not `allow`, `explicit_deny`, `implicit_deny`, `unauthenticated` or `rejected`"
        )));
    }
    let filter = DecisionFilter {
        principal_urn: q.principal_urn,
        action: q.action,
        decision: q.decision,
        since: q
            .since
            .as_deref()
            .map(|v| parse_time("since", v))
            .transpose()?,
        until: q
            .until
            .as_deref()
            .map(|v| parse_time("until", v))
            .transpose()?,
        account_id: Some(caller.account_id.clone()),
        agency_id: q.agency_id,
    };
    let page = crate::page::store_page(q.limit, q.marker)?;
    let found = st.store().list_decisions(&filter, &page).await?;
    let items: Vec<Value> = found.items.iter().map(entry_json).collect();
    Ok(Json(json!({
        "decisions": items,
        "page_info": {"next_marker": found.next_marker, "current_count": found.items.len()},
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn close_writes_everything_queued() {
        let store = Store::open_in_memory().await.unwrap();
        let log = AuditLog::new(store.clone());
        for i in 0..300 {
            log.log(NewDecision {
                action: format!("modelarts:notebook:list{i}"),
                decision: "allow".into(),
                ..NewDecision::default()
            });
        }
        log.close().await;
        let page = iam_store::PageRequest {
            marker: None,
            limit: Some(200),
        };
        let first = store
            .list_decisions(&DecisionFilter::default(), &page)
            .await
            .unwrap();
        assert_eq!(first.items.len(), 200);
        let rest = store
            .list_decisions(
                &DecisionFilter::default(),
                &iam_store::PageRequest {
                    marker: first.next_marker,
                    limit: Some(200),
                },
            )
            .await
            .unwrap();
        assert_eq!(rest.items.len(), 100);
        // after close, entries are still written (directly)
        log.log(NewDecision {
            action: "late".into(),
            decision: "allow".into(),
            ..NewDecision::default()
        });
        let filter = DecisionFilter {
            action: Some("late".into()),
            ..DecisionFilter::default()
        };
        let mut found = 0;
        for _ in 0..100 {
            found = store
                .list_decisions(&filter, &page)
                .await
                .unwrap()
                .items
                .len();
            if found == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(found, 1);
    }
}
