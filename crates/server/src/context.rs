//! The request context of a decision: the global keys every decision gets from the request and
//! from the principal (docs/server.md, "Request keys").
//!
//! One place for these keys, used by the server's own APIs (the authentication middleware and
//! the handlers that decide themselves), the gateway and the decision API, so that a condition
//! on, say, `g:SourceIp` means the same wherever it is decided.

use std::future::Future;
use std::net::IpAddr;

use iam_policy::Context;

use crate::auth::{Caller, CallerKind};

tokio::task_local! {
    /// The facts of the request a task is serving (set by the authentication middleware
    /// around the handler), so that every decision a handler makes for its caller gets the
    /// request keys without passing them down by hand.
    static FACTS: RequestFacts;
}

/// Runs `f` (a handler) with `facts` as its request's facts.
pub async fn scope<F: Future>(facts: RequestFacts, f: F) -> F::Output {
    FACTS.scope(facts, f).await
}

/// The facts of the request this task serves (none outside a request: no source address, no
/// user agent, the region unknown).
pub fn current_facts() -> RequestFacts {
    FACTS.try_with(RequestFacts::clone).unwrap_or_default()
}

/// What a decision knows about the request itself.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// The region the server serves (`g:RequestedRegion`).
    pub region: String,
    /// The peer's address (the connection's, or the one a trusted proxy reports).
    pub source_ip: Option<IpAddr>,
    /// Whether the request came over TLS.
    pub secure: bool,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

impl RequestFacts {
    /// The facts of a request received directly (the server does not terminate TLS).
    pub fn of(region: &str, headers: &http::HeaderMap, peer: Option<IpAddr>) -> Self {
        Self {
            region: region.to_owned(),
            source_ip: peer,
            secure: false,
            user_agent: headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }
}

/// Keys that describe the principal: they come from the authenticated principal only, never
/// from a caller-supplied context (lower case; `g:PrincipalTag/` is a prefix).
pub const PRINCIPAL_KEYS: &[&str] = &[
    "g:principalurn",
    "g:principalaccount",
    "g:principalid",
    "g:principaltype",
    "g:principalisrootuser",
    "g:principalorgpath",
    "g:principalorgid",
    "g:principalorgmanagementaccountid",
    "g:principaltag/",
    "g:domainid",
    "g:userid",
    "g:username",
    "g:sourceidentity",
];

/// Whether `key` (any case) is one of [`PRINCIPAL_KEYS`].
pub fn is_principal_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    PRINCIPAL_KEYS.iter().any(|k| {
        if k.ends_with('/') {
            lower.starts_with(k)
        } else {
            lower == *k
        }
    })
}

/// Adds the request keys: `g:CurrentTime`, `g:SourceIp`, `g:SecureTransport`, `g:UserAgent`,
/// `g:RequestedRegion`.
pub fn add_request_keys(ctx: &mut Context, facts: &RequestFacts) {
    ctx.insert("g:CurrentTime", crate::snapshot::current_time());
    if let Some(ip) = facts.source_ip {
        ctx.insert("g:SourceIp", ip.to_string());
    }
    ctx.insert(
        "g:SecureTransport",
        if facts.secure { "true" } else { "false" },
    );
    if let Some(ua) = &facts.user_agent {
        ctx.insert("g:UserAgent", ua.clone());
    }
    if !facts.region.is_empty() {
        ctx.insert("g:RequestedRegion", facts.region.clone());
    }
}

/// The principal id of `g:PrincipalId`: the user id, or `<agency id>:<session name>`.
pub fn principal_id(caller: &Caller) -> String {
    match &caller.kind {
        CallerKind::User { user_id, .. } => user_id.clone(),
        CallerKind::Session {
            agency_id,
            session_name,
            ..
        } => format!("{agency_id}:{session_name}"),
        CallerKind::Service { service } => service.clone(),
    }
}

/// Adds the principal keys of an authenticated caller: `g:PrincipalUrn`, `g:PrincipalAccount`,
/// `g:PrincipalId`, `g:PrincipalType`, `g:PrincipalIsRootUser`, and `g:UserId`/`g:UserName`
/// for users or `g:SourceIdentity`/`g:PrincipalTag/<key>` for agency sessions.
/// Requests made with a token or a console session add `g:MFAPresent` and `g:MFAAge`.
pub fn add_principal_keys(ctx: &mut Context, caller: &Caller) {
    ctx.insert("g:PrincipalUrn", caller.urn.clone());
    ctx.insert("g:PrincipalAccount", caller.account_id.clone());
    ctx.insert("g:PrincipalId", principal_id(caller));
    // a person who signed in: whether with MFA, and how long ago (signed requests carry
    // neither key, as AWS leaves aws:MultiFactorAuthPresent out for long-term keys)
    if let Some(t) = &caller.token {
        match t.mfa_at {
            Some(at) => {
                ctx.insert("g:MFAPresent", "true");
                let age = (time::OffsetDateTime::now_utc() - at)
                    .whole_seconds()
                    .max(0);
                ctx.insert("g:MFAAge", age.to_string());
            }
            None => ctx.insert("g:MFAPresent", "false"),
        }
    }
    match &caller.kind {
        CallerKind::User { user_id, is_root } => {
            ctx.insert("g:UserId", user_id.clone());
            if let Some(name) = caller.urn.rsplit(':').next() {
                ctx.insert("g:UserName", name.to_owned());
            }
            ctx.insert("g:PrincipalType", if *is_root { "Root" } else { "User" });
            ctx.insert(
                "g:PrincipalIsRootUser",
                if *is_root { "true" } else { "false" },
            );
        }
        CallerKind::Session {
            source_identity,
            tags,
            ..
        } => {
            ctx.insert("g:PrincipalType", "AssumedAgency");
            ctx.insert("g:PrincipalIsRootUser", "false");
            if let Some(si) = source_identity {
                ctx.insert("g:SourceIdentity", si.clone());
            }
            for (k, v) in tags {
                ctx.insert(&format!("g:PrincipalTag/{k}"), v.clone());
            }
        }
        CallerKind::Service { .. } => {
            ctx.insert("g:PrincipalType", "Service");
            ctx.insert("g:PrincipalIsRootUser", "false");
        }
    }
}

/// The base context of a caller's request: request keys and principal keys.
pub fn base(caller: &Caller, facts: &RequestFacts) -> Context {
    let mut ctx = Context::new();
    add_request_keys(&mut ctx, facts);
    add_principal_keys(&mut ctx, caller);
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_keys_are_recognised_in_any_case() {
        for key in [
            "g:PrincipalUrn",
            "G:PRINCIPALURN",
            "g:PrincipalIsRootUser",
            "g:principaltag/team",
            "g:PrincipalTag/Team",
            "g:UserName",
            "g:DomainId",
        ] {
            assert!(is_principal_key(key), "{key}");
        }
        for key in [
            "g:SourceIp",
            "g:CurrentTime",
            "modelarts:poolType",
            "g:Principal",
        ] {
            assert!(!is_principal_key(key), "{key}");
        }
    }
}
