//! The gateway's metrics: requests by mode and outcome, enforcement latency.

use super::Mode;

/// The metric of enforced requests.
pub const REQUESTS: &str = "iam_gateway_requests_total";
/// Latency of enforcement (signature, routing, decision), without the upstream.
pub const ENFORCE_SECONDS: &str = "iam_gateway_enforce_seconds";

/// The outcomes counted in [`REQUESTS`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Outcome {
    Allowed,
    Denied,
    Unauthenticated,
    /// The request target has no single meaning (400).
    Rejected,
}

impl Outcome {
    const ALL: [Outcome; 4] = [
        Outcome::Allowed,
        Outcome::Denied,
        Outcome::Unauthenticated,
        Outcome::Rejected,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Unauthenticated => "unauthenticated",
            Outcome::Rejected => "rejected",
        }
    }
}

/// The gateway's metric handles, registered once (see `telemetry::record_decision`).
pub(super) struct GatewayMetrics {
    /// `[mode][outcome]`, modes in the order proxy, auth_request; outcomes in [`Outcome::ALL`]
    /// order.
    pub(super) requests: [[metrics::Counter; 4]; 2],
    /// By mode.
    pub(super) enforce_seconds: [metrics::Histogram; 2],
}

pub(super) fn gateway_metrics() -> &'static GatewayMetrics {
    static METRICS: std::sync::OnceLock<GatewayMetrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(|| {
        // the recorder first: handles taken before it is installed would record nowhere
        let _recorder = crate::telemetry::metrics_handle();
        let modes = [Mode::Proxy, Mode::AuthRequest];
        GatewayMetrics {
            requests: modes.map(|m| {
                Outcome::ALL.map(
                    |o| metrics::counter!(REQUESTS, "mode" => m.as_str(), "outcome" => o.as_str()),
                )
            }),
            enforce_seconds: modes
                .map(|m| metrics::histogram!(ENFORCE_SECONDS, "mode" => m.as_str())),
        }
    })
}

impl Mode {
    pub(super) fn index(self) -> usize {
        match self {
            Mode::Proxy => 0,
            Mode::AuthRequest => 1,
        }
    }
}

pub(super) fn count(mode: Mode, outcome: Outcome) {
    gateway_metrics().requests[mode.index()][outcome as usize].increment(1);
}
