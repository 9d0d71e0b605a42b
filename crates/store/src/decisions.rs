//! Append-only decision log.

use crate::Store;
use crate::error::{Result, StoreError};
use crate::model::{DecisionLogEntry, Page, PageRequest};
use crate::util::{self, finish_page, page_args};
use time::OffsetDateTime;

/// A decision to append (the store assigns the sequence id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDecision {
    /// Decision time; `None` = now.
    pub at: Option<OffsetDateTime>,
    /// Principal URN.
    pub principal_urn: Option<String>,
    /// Access key used.
    pub access_key_id: Option<String>,
    /// Action.
    pub action: String,
    /// Resource URN.
    pub resource: Option<String>,
    /// `allow`, `explicit_deny`, `implicit_deny` ...
    pub decision: String,
    /// Determining policy.
    pub determining_policy: Option<String>,
    /// Determining statement.
    pub determining_statement: Option<String>,
    /// Layer.
    pub layer: Option<String>,
    /// Agency session.
    pub session: Option<String>,
    /// Agency id.
    pub agency_id: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Free-form JSON text.
    pub extra: Option<String>,
}

/// Filter for [`Store::list_decisions`]; all conditions are ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionFilter {
    /// Exact principal URN.
    pub principal_urn: Option<String>,
    /// Exact action.
    pub action: Option<String>,
    /// Exact decision; `deny` matches every deny (`explicit_deny`, `implicit_deny`, and
    /// `deny` itself, the AssumeAgency refusals).
    pub decision: Option<String>,
    /// At or after.
    pub since: Option<OffsetDateTime>,
    /// Strictly before.
    pub until: Option<OffsetDateTime>,
    /// Principals of this account (`iam::<account>:...` or `sts::<account>:...` URNs), and cloud
    /// services (`service.*`) acting on its resources.
    pub account_id: Option<String>,
    /// Exact agency id (agency sessions and AssumeAgency calls).
    pub agency_id: Option<String>,
}

const MAX_FIELD: usize = 4096;

/// Rows per multi-row `INSERT` of the decision log, largest first; every batch is written as a
/// sum of these (the last one is 1, so any length can be).
const CHUNK_SIZES: [usize; 5] = [256, 64, 16, 4, 1];

fn check(d: &NewDecision) -> Result<()> {
    if d.action.is_empty() || d.decision.is_empty() {
        return Err(StoreError::invalid(
            "decision",
            "`action` and `decision` are required",
        ));
    }
    for (name, v) in [
        ("action", Some(&d.action)),
        ("resource", d.resource.as_ref()),
        ("principal_urn", d.principal_urn.as_ref()),
    ] {
        if v.is_some_and(|s| s.len() > MAX_FIELD) {
            return Err(StoreError::invalid(
                name,
                format!("must be at most {MAX_FIELD} bytes"),
            ));
        }
    }
    if d.extra.as_ref().is_some_and(|s| s.len() > 65536) {
        return Err(StoreError::invalid("extra", "must be at most 65536 bytes"));
    }
    Ok(())
}

impl Store {
    /// Appends one decision; returns its sequence id. Durable on return.
    pub async fn append_decision(&self, d: &NewDecision) -> Result<i64> {
        let ids = self.append_decisions(std::slice::from_ref(d)).await?;
        ids.first()
            .copied()
            .ok_or_else(|| StoreError::invalid("decision", "nothing appended"))
    }

    /// Appends a batch of decisions in one transaction (one fsync); returns their ids in
    /// order. Durable on return. Does not bump the revision. Servers logging at high rates
    /// should buffer entries and call this every few milliseconds; entries still in such a
    /// buffer are lost on a crash.
    pub async fn append_decisions(&self, batch: &[NewDecision]) -> Result<Vec<i64>> {
        for d in batch {
            check(d)?;
        }
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.writer().begin().await?;
        let mut ids = Vec::with_capacity(batch.len());
        let now = util::now();
        // One multi-row INSERT per chunk (13 parameters a row, well under both backends'
        // limits). Chunks have one of a few fixed sizes, so the statement of each size is
        // prepared once and then reused from the connection's statement cache instead of being
        // parsed per batch. A statement's rows take their ids in the order of its VALUES list,
        // so its returned ids, sorted, are the rows' ids in order (on PostgreSQL another
        // replica's rows may fall between them; they are increasing, not consecutive).
        let mut rest = batch;
        while let Some((chunk, tail)) = CHUNK_SIZES
            .iter()
            .find(|&&size| size <= rest.len())
            .and_then(|&size| rest.split_at_checked(size))
        {
            rest = tail;
            let mut qb = util::QueryBuilder::new(
                "INSERT INTO decision_log (at, principal_urn, access_key_id, action, resource, \
                 decision, determining_policy, determining_statement, layer, session, agency_id, \
                 request_id, extra) VALUES ",
            );
            for (i, d) in chunk.iter().enumerate() {
                qb.push(if i == 0 { "(" } else { ", (" })
                    .push_bind(
                        d.at.map(util::format_timestamp)
                            .unwrap_or_else(|| now.clone()),
                    )
                    .push(", ")
                    .push_bind(d.principal_urn.clone())
                    .push(", ")
                    .push_bind(d.access_key_id.clone())
                    .push(", ")
                    .push_bind(d.action.clone())
                    .push(", ")
                    .push_bind(d.resource.clone())
                    .push(", ")
                    .push_bind(d.decision.clone())
                    .push(", ")
                    .push_bind(d.determining_policy.clone())
                    .push(", ")
                    .push_bind(d.determining_statement.clone())
                    .push(", ")
                    .push_bind(d.layer.clone())
                    .push(", ")
                    .push_bind(d.session.clone())
                    .push(", ")
                    .push_bind(d.agency_id.clone())
                    .push(", ")
                    .push_bind(d.request_id.clone())
                    .push(", ")
                    .push_bind(d.extra.clone())
                    .push(")");
            }
            qb.push(" RETURNING id");
            let mut got: Vec<i64> = qb.build_query_scalar::<i64>()?.fetch_all(&mut *tx).await?;
            if got.len() != chunk.len() {
                return Err(StoreError::invalid(
                    "decision",
                    "the database did not return an id for every appended row",
                ));
            }
            got.sort_unstable();
            ids.extend(got);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Lists decisions, newest first.
    pub async fn list_decisions(
        &self,
        filter: &DecisionFilter,
        page: &PageRequest,
    ) -> Result<Page<DecisionLogEntry>> {
        let p = page_args(page, 1)?;
        let mut qb = util::QueryBuilder::new(
            "SELECT id, at, principal_urn, access_key_id, action, resource, decision, \
             determining_policy, determining_statement, layer, session, agency_id, request_id, \
             extra FROM decision_log WHERE 1 = 1",
        );
        if let Some(v) = &filter.principal_urn {
            qb.push(" AND principal_urn = ").push_bind(v.clone());
        }
        if let Some(v) = &filter.action {
            qb.push(" AND action = ").push_bind(v.clone());
        }
        match filter.decision.as_deref() {
            Some("deny") => {
                qb.push(" AND decision IN ('explicit_deny', 'implicit_deny', 'deny')");
            }
            Some(v) => {
                qb.push(" AND decision = ").push_bind(v.to_owned());
            }
            None => {}
        }
        if let Some(v) = &filter.account_id {
            qb.push(" AND ((substr(principal_urn, 1, CAST(")
                .push_bind(i64::try_from(v.len() + 6).unwrap_or(i64::MAX))
                .push(" AS INTEGER)) IN (")
                .push_bind(format!("iam::{v}:"))
                .push(", ")
                .push_bind(format!("sts::{v}:"))
                // a cloud service acting in the account: on the account's resources
                .push(
                    ") OR (substr(principal_urn, 1, 8) = 'service.' AND substr(resource, 1, CAST(",
                )
                .push_bind(i64::try_from(v.len() + 6).unwrap_or(i64::MAX))
                .push(" AS INTEGER)) = ")
                .push_bind(format!("iam::{v}:"))
                .push(")))");
        }
        if let Some(v) = &filter.agency_id {
            qb.push(" AND agency_id = ").push_bind(v.clone());
        }
        if let Some(v) = filter.since {
            qb.push(" AND at >= ").push_bind(util::format_timestamp(v));
        }
        if let Some(v) = filter.until {
            qb.push(" AND at < ").push_bind(util::format_timestamp(v));
        }
        if let Some(after) = p.after {
            let id: i64 = after
                .first()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StoreError::invalid("marker", "not a decision-log marker"))?;
            qb.push(" AND id < ").push_bind(id);
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(p.limit) + 1);
        let rows = qb
            .build_query_as::<DecisionLogEntry>()?
            .fetch_all(self.reader())
            .await?;
        Ok(finish_page(rows, p.limit, |x| vec![x.id.to_string()]))
    }
}

/// Buffers decisions in memory and appends them in batches from a background task, so the
/// request path never waits for an fsync. Entries still buffered are lost on a crash; drop
/// every clone of the logger and await the task's handle to flush on shutdown.
#[derive(Debug, Clone)]
pub struct DecisionLogger {
    tx: tokio::sync::mpsc::Sender<NewDecision>,
    stats: std::sync::Arc<DecisionLoggerStats>,
}

/// Counters of a [`DecisionLogger`].
#[derive(Debug, Default)]
pub struct DecisionLoggerStats {
    /// Entries written.
    pub written: std::sync::atomic::AtomicU64,
    /// Entries dropped because the buffer was full or a batch failed to write.
    pub dropped: std::sync::atomic::AtomicU64,
}

impl DecisionLogger {
    /// Starts the background writer (needs a tokio runtime). `capacity` bounds the buffer,
    /// `max_batch` the entries per transaction, `flush_every` how long the first entry of a
    /// batch may wait.
    pub fn spawn(
        store: Store,
        capacity: usize,
        max_batch: usize,
        flush_every: std::time::Duration,
    ) -> (DecisionLogger, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<NewDecision>(capacity.max(1));
        let stats = std::sync::Arc::new(DecisionLoggerStats::default());
        let task_stats = stats.clone();
        let max_batch = max_batch.max(1);
        let handle = tokio::spawn(async move {
            use std::sync::atomic::Ordering::Relaxed;
            let mut batch = Vec::with_capacity(max_batch);
            // Wait for a first entry, then sleep through the window and take everything queued:
            // one wake-up and one timer per batch, not one per entry.
            while rx.recv_many(&mut batch, max_batch).await > 0 {
                if batch.len() < max_batch {
                    tokio::time::sleep(flush_every).await;
                }
                loop {
                    while batch.len() < max_batch {
                        match rx.try_recv() {
                            Ok(d) => batch.push(d),
                            Err(_) => break,
                        }
                    }
                    let n = batch.len() as u64;
                    match store.append_decisions(&batch).await {
                        Ok(_) => task_stats.written.fetch_add(n, Relaxed),
                        Err(_) => task_stats.dropped.fetch_add(n, Relaxed),
                    };
                    batch.clear();
                    if rx.is_empty() {
                        break;
                    }
                }
            }
        });
        (DecisionLogger { tx, stats }, handle)
    }

    /// Queues an entry without waiting; returns `false` (and counts it as dropped) if the
    /// buffer is full or the writer stopped.
    pub fn log(&self, d: NewDecision) -> bool {
        match self.tx.try_send(d) {
            Ok(()) => true,
            Err(_) => {
                self.stats
                    .dropped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                false
            }
        }
    }

    /// Counters.
    pub fn stats(&self) -> &DecisionLoggerStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[tokio::test]
    async fn deny_matches_every_deny() {
        let s = crate::testing::store().await.unwrap();
        for d in [
            "allow",
            "explicit_deny",
            "implicit_deny",
            "deny",
            "rejected",
        ] {
            s.append_decision(&NewDecision {
                action: "a".into(),
                decision: d.into(),
                ..NewDecision::default()
            })
            .await
            .unwrap();
        }
        let decisions = |d: &str| {
            let filter = DecisionFilter {
                decision: Some(d.to_owned()),
                ..DecisionFilter::default()
            };
            let s = &s;
            async move {
                let mut v: Vec<String> = s
                    .list_decisions(&filter, &PageRequest::first(10))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|e| e.decision)
                    .collect();
                v.sort();
                v
            }
        };
        assert_eq!(
            decisions("deny").await,
            ["deny", "explicit_deny", "implicit_deny"]
        );
        assert_eq!(decisions("implicit_deny").await, ["implicit_deny"]);
        assert_eq!(decisions("allow").await, ["allow"]);
    }

    #[tokio::test]
    async fn batch_ids_name_their_rows_across_chunks() {
        let s = crate::testing::store().await.unwrap();
        let first = s
            .append_decision(&NewDecision {
                action: "before".into(),
                decision: "allow".into(),
                ..NewDecision::default()
            })
            .await
            .unwrap();
        let batch: Vec<NewDecision> = (0..1203)
            .map(|i| NewDecision {
                action: format!("a{i}"),
                decision: "allow".into(),
                principal_urn: (i % 2 == 0).then(|| format!("iam::1:user:u{i}")),
                ..NewDecision::default()
            })
            .collect();
        let ids = s.append_decisions(&batch).await.unwrap();
        assert_eq!(ids.len(), 1203);
        assert_eq!(ids[0], first + 1);
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
        let mut seen = Vec::new();
        let mut marker = None;
        loop {
            let page = s
                .list_decisions(
                    &DecisionFilter::default(),
                    &PageRequest {
                        marker: marker.take(),
                        limit: Some(200),
                    },
                )
                .await
                .unwrap();
            seen.extend(
                page.items
                    .into_iter()
                    .map(|e| (e.id, e.action, e.principal_urn)),
            );
            match page.next_marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        seen.reverse();
        assert_eq!(seen.len(), 1204);
        for (i, id) in ids.iter().enumerate() {
            let (got_id, action, urn) = &seen[i + 1];
            assert_eq!(got_id, id);
            assert_eq!(action, &format!("a{i}"));
            assert_eq!(urn.is_some(), i % 2 == 0);
        }
    }
}
