//! Audit: the writer of the decision log of enforced requests (gateway, STS).
//!
//! Entries are queued without waiting and written in batches by a background task
//! (`iam_store::DecisionLogger`: one transaction per batch, at most [`FLUSH_EVERY`] after the
//! first queued entry), so enforcement never waits for an fsync. An entry appears in
//! `GET /v1/decisions` once its batch is written; entries still queued when the process is
//! killed are lost (a graceful shutdown drains the queue). Queue overflows are counted in
//! `iam_audit_dropped_total`.
//! Its query API is `crate::api::audit`.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use iam_store::{DecisionLogger, NewDecision, Store};

use crate::state::AppState;

/// Longest time an entry waits in the queue before its batch is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Queue capacity; beyond it entries are dropped and counted.
pub const QUEUE: usize = 65_536;
/// Entries per write transaction.
pub const BATCH: usize = 1024;

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

    /// Queues one entry, stamped with the time it is queued (the request's decision time) when
    /// it has none, rather than the time its batch is written.
    pub fn log(&self, mut d: NewDecision) {
        if d.at.is_none() {
            d.at = Some(time::OffsetDateTime::now_utc());
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use iam_store::DecisionFilter;

    #[tokio::test]
    async fn entries_carry_the_time_they_were_queued() {
        let store = Store::open_in_memory().await.unwrap();
        let log = AuditLog::new(store.clone());
        // Hold the store's one writer connection so the batch is written well after the entry
        // was queued.
        let held = store.begin().await.unwrap();
        let queued = time::OffsetDateTime::now_utc();
        log.log(NewDecision {
            action: "modelarts:notebook:list".into(),
            decision: "allow".into(),
            ..NewDecision::default()
        });
        tokio::time::sleep(Duration::from_millis(400)).await;
        drop(held);
        log.close().await;
        let page = iam_store::PageRequest {
            marker: None,
            limit: Some(10),
        };
        let entries = store
            .list_decisions(&DecisionFilter::default(), &page)
            .await
            .unwrap()
            .items;
        assert_eq!(entries.len(), 1);
        let at = time::OffsetDateTime::parse(
            &entries[0].at,
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let lag = at - queued;
        assert!(
            lag < time::Duration::milliseconds(200),
            "logged {lag} after the request: the batch's write time, not the request's"
        );
    }

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
