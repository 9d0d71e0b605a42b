//! The gateway's decision-log entries.

use std::net::IpAddr;

use http::header;
use iam_store::NewDecision;

use super::Site;
use crate::auth::{Caller, CallerKind};
use crate::state::AppState;

#[expect(
    clippy::too_many_arguments,
    reason = "one decision-log entry, field by field"
)]
pub(super) fn log(
    st: &AppState,
    o: &Site<'_>,
    caller: Option<&Caller>,
    action: &str,
    resource: Option<&str>,
    decision: &str,
    determined: Option<(Option<String>, Option<String>, &iam_policy::Explanation)>,
    reason: Option<String>,
) {
    let (session, agency_id) = match caller.map(|c| &c.kind) {
        Some(CallerKind::Session {
            agency_id,
            session_name,
            ..
        }) => (Some(session_name.clone()), Some(agency_id.clone())),
        _ => (None, None),
    };
    let (policy, statement, layer) = match determined {
        Some((p, s, e)) => (
            p,
            s,
            e.failing_layers
                .first()
                .map(|l| l.layer.to_string())
                .or_else(|| e.statements.first().map(|s| s.layer.to_string())),
        ),
        None => (None, None, None),
    };
    let access_key = caller.map(|c| c.access_key_id.clone()).or_else(|| {
        o.headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("Access=").nth(1))
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().chars().take(128).collect())
    });
    // A failed signature is attributed to the owner of the access key it claims, if any.
    let claimed = match (caller, &access_key) {
        (None, Some(ak)) => st
            .snapshot()
            .principal_by_access_key(ak)
            .map(|p| p.urn.clone()),
        _ => None,
    };
    let extra = LogExtra {
        claimed: claimed.is_some(),
        source: "gateway",
        mode: o.mode.as_str(),
        method: o.method,
        path: o.path,
        raw_target: o.raw_target.map(shown),
        source_ip: o.source_ip,
        reason: reason.as_deref(),
    };
    st.audit().log(NewDecision {
        at: None,
        principal_urn: caller.map(|c| c.urn.clone()).or(claimed),
        access_key_id: access_key,
        action: action.to_owned(),
        resource: resource.map(str::to_owned),
        decision: decision.to_owned(),
        determining_policy: policy,
        determining_statement: statement,
        layer,
        session,
        agency_id,
        request_id: o.request_id.clone(),
        extra: serde_json::to_string(&extra).ok(),
    });
}

/// The gateway's details of a decision-log entry (its `extra` JSON).
#[derive(serde::Serialize)]
pub(super) struct LogExtra<'a> {
    claimed: bool,
    source: &'static str,
    mode: &'static str,
    method: &'a str,
    path: &'a str,
    /// The target as received, when it differs from the canonical one or was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_target: Option<&'a str>,
    source_ip: Option<IpAddr>,
    reason: Option<&'a str>,
}

/// At most the first 1024 bytes of a raw target (cut at a character boundary).
pub(super) fn shown(raw: &str) -> &str {
    let mut end = raw.len().min(1024);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    raw.get(..end).unwrap_or_default()
}
