//! Logging and Prometheus metrics.
//!
//! Metrics (rendered at `GET /metrics`):
//! - `iam_decisions_total{decision="allow|explicit_deny|implicit_deny", source="api|authorize|simulate"}`
//! - `iam_decision_duration_seconds{source}` histogram of engine time per decision
//! - `iam_http_requests_total{status}`
//! - `iam_signature_failures_total`
//! - `iam_snapshot_revision` gauge, `iam_snapshot_rebuild_seconds` histogram

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use http::HeaderValue;
use iam_policy::Decision;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::config::LogFormat;

/// Decision counter name.
pub const DECISIONS: &str = "iam_decisions_total";
/// Decision latency histogram name.
pub const DECISION_SECONDS: &str = "iam_decision_duration_seconds";
/// HTTP responses by status.
pub const HTTP_REQUESTS: &str = "iam_http_requests_total";
/// Signature failures counter.
pub const SIGNATURE_FAILURES: &str = "iam_signature_failures_total";
/// Snapshot revision gauge.
pub const SNAPSHOT_REVISION: &str = "iam_snapshot_revision";
/// Snapshot rebuild histogram.
pub const SNAPSHOT_REBUILD_SECONDS: &str = "iam_snapshot_rebuild_seconds";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often the upkeep thread of [`metrics_handle`] drains pending histogram samples into their
/// buckets.
pub const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The process-wide Prometheus recorder, installed on first use with an upkeep thread draining
/// every [`UPKEEP_INTERVAL`]. `None` when another recorder was installed first (the `/metrics`
/// endpoint then answers an empty document).
pub fn metrics_handle() -> Option<PrometheusHandle> {
    install_metrics(UPKEEP_INTERVAL)
}

/// Installs the process-wide Prometheus recorder on the first call, with a `metrics-upkeep` thread
/// that drains pending histogram samples every `upkeep_interval`; every call answers the handle of
/// the recorder installed by the first one (a later call's interval is ignored). `None` when
/// another recorder was installed first.
pub fn install_metrics(upkeep_interval: std::time::Duration) -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.000_001, 0.000_002, 0.000_005, 0.000_01, 0.000_02, 0.000_05, 0.000_1, 0.000_5,
                0.001, 0.01, 0.1, 1.0,
            ];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DECISION_SECONDS.to_owned()), &buckets)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(SNAPSHOT_REBUILD_SECONDS.to_owned()),
                        &[0.000_1, 0.001, 0.01, 0.1, 1.0, 10.0],
                    )
                });
            let handle = builder.ok()?.install_recorder().ok()?;
            // `install_recorder` leaves upkeep to the caller: histogram samples wait in memory
            // until the next scrape or upkeep drains them, so a server nobody scrapes would
            // grow by every decision it times. The thread drains them on a fixed interval.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".to_owned())
                .spawn(move || {
                    loop {
                        std::thread::sleep(upkeep_interval);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread; histogram samples are drained only when /metrics is scraped");
            }
            Some(handle)
        })
        .clone()
}

/// Installs the global tracing subscriber (`RUST_LOG` filter, default `info`). Safe to call twice.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _already_set = match format {
        LogFormat::Text => builder.try_init().is_err(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
            .is_err(),
    };
}

/// Counts every response by status (`iam_http_requests_total{status}`).
pub fn count_response<B>(resp: http::Response<B>) -> http::Response<B> {
    let status = resp.status();
    match handles()
        .http
        .iter()
        .find(|(code, _)| *code == status.as_u16())
    {
        Some((_, counter)) => counter.increment(1),
        None => {
            metrics::counter!(HTTP_REQUESTS, "status" => status.as_u16().to_string()).increment(1);
        }
    }
    resp
}

/// Where a decision was made: the `source` label of the decision metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The authorization of an API call to this server.
    Api,
    /// `POST /v1/authorize`.
    Authorize,
    /// `POST /v1/simulate`.
    Simulate,
    /// The enforcement gateway (proxy and `auth_request`).
    Gateway,
}

impl Source {
    const ALL: [Source; 4] = [
        Source::Api,
        Source::Authorize,
        Source::Simulate,
        Source::Gateway,
    ];

    /// The position in [`Source::ALL`] (and in the handle tables built from it).
    fn index(self) -> usize {
        Source::ALL.iter().position(|x| *x == self).unwrap_or(0)
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Authorize => "authorize",
            Source::Simulate => "simulate",
            Source::Gateway => "gateway",
        }
    }
}

const DECISIONS_ALL: [Decision; 3] = [
    Decision::Allow,
    Decision::ExplicitDeny,
    Decision::ImplicitDeny,
];

/// Metric handles of the per-request metrics, registered once: recording through a handle is an
/// atomic add, where the `counter!` macros hash the name and labels into the registry each time.
struct Handles {
    /// `[source][decision]`, in the order of `Source::ALL` and `DECISIONS_ALL`.
    decisions: Vec<Vec<Counter>>,
    /// By source.
    decision_seconds: Vec<Histogram>,
    /// `iam_http_requests_total` of the statuses this API answers.
    http: Vec<(u16, Counter)>,
}

static HANDLES: OnceLock<Handles> = OnceLock::new();

fn handles() -> &'static Handles {
    HANDLES.get_or_init(|| {
        // the recorder first: handles taken before it is installed would record nowhere
        let _recorder = metrics_handle();
        Handles {
            decisions: Source::ALL
                .iter()
                .map(|s| {
                    DECISIONS_ALL
                        .iter()
                        .map(|d| {
                            metrics::counter!(DECISIONS, "decision" => d.as_str(), "source" => s.as_str())
                        })
                        .collect()
                })
                .collect(),
            decision_seconds: Source::ALL
                .iter()
                .map(|s| metrics::histogram!(DECISION_SECONDS, "source" => s.as_str()))
                .collect(),
            http: STATIC_STATUSES
                .iter()
                .map(|&code| {
                    (code, metrics::counter!(HTTP_REQUESTS, "status" => code.to_string()))
                })
                .collect(),
        }
    })
}

/// Records one engine decision: `iam_decisions_total{decision,source}` and its latency in
/// `iam_decision_duration_seconds{source}`.
pub fn record_decision(source: Source, decision: Decision, seconds: f64) {
    count_decisions(source, decision, 1);
    if let Some(hist) = handles().decision_seconds.get(source.index()) {
        hist.record(seconds);
    }
}

/// Counts `n` decisions in `iam_decisions_total` (alone for decisions answered from a cache of
/// earlier identical ones: the duration histogram times the engine).
pub fn count_decisions(source: Source, decision: Decision, n: usize) {
    let d = DECISIONS_ALL
        .iter()
        .position(|x| *x == decision)
        .unwrap_or(0);
    let row = handles().decisions.get(source.index());
    if let Some(c) = row.and_then(|row| row.get(d)) {
        c.increment(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

/// Request ids for `X-Request-Id`: 32 lower-case hex digits like Huawei's, a random prefix drawn
/// once per process followed by a counter. Unique within the process and, with overwhelming
/// probability, across processes, without a system call per request (a v4 UUID reads the
/// kernel's random source every time).
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeRequestIds;

static REQUEST_ID_PREFIX: OnceLock<u64> = OnceLock::new();
static REQUEST_ID_COUNTER: AtomicU64 = AtomicU64::new(0);

impl MakeRequestIds {
    /// The next id: prefix and counter as one 128-bit value in lower-case hex.
    fn next_uuid() -> uuid::Uuid {
        let prefix = *REQUEST_ID_PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
        uuid::Uuid::from_u64_pair(prefix, Self::next_counter())
    }

    /// The next counter value. Each thread takes a block of values from the shared counter at a
    /// time, so that the worker threads do not write the same cache line on every request.
    fn next_counter() -> u64 {
        const BLOCK: u64 = 1024;
        thread_local! {
            /// The next value of this thread's block, and the block's end.
            static RANGE: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
        }
        RANGE
            .try_with(|range| {
                let (mut next, mut end) = range.get();
                if next == end {
                    next = REQUEST_ID_COUNTER.fetch_add(BLOCK, Ordering::Relaxed);
                    end = next.wrapping_add(BLOCK);
                }
                range.set((next.wrapping_add(1), end));
                next
            })
            .unwrap_or_else(|_| REQUEST_ID_COUNTER.fetch_add(1, Ordering::Relaxed))
    }

    /// The next id.
    pub fn next_id() -> String {
        Self::next_uuid().simple().to_string()
    }
}

impl MakeRequestId for MakeRequestIds {
    fn make_request_id<B>(&mut self, _request: &http::Request<B>) -> Option<RequestId> {
        let mut buf = [0u8; uuid::fmt::Simple::LENGTH];
        HeaderValue::from_str(Self::next_uuid().simple().encode_lower(&mut buf))
            .ok()
            .map(RequestId::new)
    }
}

/// The statuses this API answers, whose counters are registered up front.
const STATIC_STATUSES: [u16; 16] = [
    200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 429, 500, 502, 503, 504,
];

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_32_hex_digits_and_unique() {
        let ids: Vec<String> = (0..1000)
            .map(|_| super::MakeRequestIds::next_id())
            .collect();
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{id}"
            );
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // one prefix per process
        assert!(ids.iter().all(|id| id[..16] == ids[0][..16]));
    }

    #[test]
    fn request_ids_stay_unique_across_threads_and_counter_blocks() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    (0..2500)
                        .map(|_| super::MakeRequestIds::next_id())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = std::collections::HashSet::new();
        for t in threads {
            for id in t.join().unwrap() {
                assert!(all.insert(id.clone()), "{id} was given out twice");
            }
        }
        assert_eq!(all.len(), 10_000);
    }
}
