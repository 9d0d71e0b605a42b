//! Logging and Prometheus metrics.
//!
//! Metrics (rendered at `GET /metrics`):
//! - `iam_decisions_total{decision="allow|explicit_deny|implicit_deny", source="api|authorize|simulate"}`
//! - `iam_decision_duration_seconds{source}` histogram of engine time per decision
//! - `iam_http_requests_total{status}`
//! - `iam_signature_failures_total`
//! - `iam_snapshot_revision` gauge, `iam_snapshot_rebuild_seconds` histogram

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

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

/// The process-wide Prometheus recorder, installed on first use. `None` when another recorder
/// was installed first (the `/metrics` endpoint then answers an empty document).
pub fn metrics_handle() -> Option<PrometheusHandle> {
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
            match builder {
                Ok(b) => b.install_recorder().ok(),
                Err(_) => None,
            }
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
pub async fn count_response(resp: axum::response::Response) -> axum::response::Response {
    let status: metrics::SharedString = match static_status(resp.status()) {
        Some(s) => s.into(),
        None => resp.status().as_u16().to_string().into(),
    };
    metrics::counter!(HTTP_REQUESTS, "status" => status).increment(1);
    resp
}

/// The label of the statuses this API answers, without allocating per request.
fn static_status(status: http::StatusCode) -> Option<&'static str> {
    Some(match status.as_u16() {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        413 => "413",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn static_status_labels_match_the_numeric_status() {
        let mut seen = 0;
        for code in 100..=599u16 {
            let Ok(status) = http::StatusCode::from_u16(code) else {
                continue;
            };
            if let Some(label) = super::static_status(status) {
                assert_eq!(label, code.to_string());
                seen += 1;
            }
        }
        assert_eq!(seen, 16);
    }
}
