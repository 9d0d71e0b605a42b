//! Callers who signed in with a password: IAM v3 tokens (`X-Auth-Token`, on every API and at
//! the gateway) and console sessions (an `HttpOnly` cookie plus the session's CSRF token in
//! `X-CSRF-Token`). Both resolve to the user, decided exactly like the user's signed requests.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use iam_store::Token;
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use crate::auth::{Caller, CallerKind, TokenUse};
use crate::error::ApiError;
use crate::state::AppState;

/// The token header of Huawei Cloud APIs.
pub const X_AUTH_TOKEN: &str = "x-auth-token";
/// The console session cookie.
/// `__Host-`: browsers keep it only from a secure origin, for `Path=/`, with no `Domain`, so
/// no sibling subdomain can set or shadow it.
pub const SESSION_COOKIE: &str = "__Host-modelarts_iam_session";
/// The header that carries a console session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a user who must change the password may still call (operation ids).
pub const PASSWORD_CHANGE_APIS: &[&str] = &[
    "ChangeCallerPasswordV5",
    "ConsoleSession",
    "ConsoleSignOut",
    "KeystoneValidateToken",
    "KeystoneDeleteToken",
];

/// Console error codes (the console's sign-in page tells them apart).
pub mod code {
    /// Wrong account, user or password.
    pub const BAD_CREDENTIALS: &str = "CONSOLE.0001";
    /// The user has MFA: a code is needed.
    pub const MFA_REQUIRED: &str = "CONSOLE.0002";
    /// Wrong or reused MFA code.
    pub const BAD_MFA: &str = "CONSOLE.0003";
    /// Locked after too many failures.
    pub const LOCKED: &str = "CONSOLE.0004";
    /// Missing or wrong CSRF token, or a cross-site request.
    pub const CSRF: &str = "CONSOLE.0005";
    /// No session, or it ended (idle timeout, sign-out, password change).
    pub const NO_SESSION: &str = "CONSOLE.0006";
    /// The password must be changed first.
    pub const PASSWORD_CHANGE: &str = "CONSOLE.0007";
    /// The login policy does not allow this address.
    pub const ADDRESS: &str = "CONSOLE.0008";
}

/// 403: the password must be changed before anything else.
pub fn password_change_required() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        code::PASSWORD_CHANGE,
        "The password must be changed before anything else: POST /v5/caller-password with old_password and new_password.",
    )
}

fn expired_token() -> ApiError {
    ApiError::unauthenticated("The token must be updated: it is invalid, revoked or expired")
}

fn no_session() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        code::NO_SESSION,
        "You are not signed in, or your session ended (idle timeout, sign-out or password change): sign in again.",
    )
}

/// The user caller of a stored token, if the token is valid at `now`: not expired, its user
/// enabled and of the token's account. (A password change or a required reset deletes the
/// user's tokens; a sign-in racing one stores none: `iam_store::TokenRequirement`.)
pub(crate) async fn caller_of(
    state: &AppState,
    token: &Token,
    now: OffsetDateTime,
) -> Result<Option<Arc<Caller>>, ApiError> {
    if crate::auth::parse_rfc3339(&token.expires_at).is_none_or(|e| e <= now) {
        return Ok(None);
    }
    let user = match state.store().get_user(&token.user_id).await {
        Ok(u) => u,
        Err(iam_store::StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if !user.enabled || user.account_id != token.account_id {
        return Ok(None);
    }
    Ok(Some(Arc::new(Caller {
        account_id: user.account_id.clone(),
        urn: user.urn.clone(),
        // the per-thread caches key on it: one entry per token
        access_key_id: format!("token:{}", token.token_hash),
        kind: CallerKind::User {
            user_id: user.id.clone(),
            is_root: user.is_root_user,
        },
        token: Some(TokenUse {
            mfa_at: token
                .mfa_authn_at
                .as_deref()
                .and_then(crate::auth::parse_rfc3339),
            password_change_only: token.password_reset_required,
            console: token.console,
            token_hash: token.token_hash.clone(),
        }),
    })))
}

/// The caller of a request made with `X-Auth-Token`. Console sessions are not tokens: they
/// authenticate only as the cookie, with the CSRF token.
pub async fn token_caller(state: &AppState, header: &HeaderValue) -> Result<Arc<Caller>, ApiError> {
    let text = header.to_str().map_err(|_| expired_token())?.trim();
    if text.is_empty() || text.len() > 4096 {
        return Err(expired_token());
    }
    let hash = iam_store::token_hash(text);
    let Some(token) = state.store().token(&hash).await? else {
        return Err(expired_token());
    };
    if token.console {
        return Err(expired_token());
    }
    caller_of(state, &token, OffsetDateTime::now_utc())
        .await?
        .ok_or_else(expired_token)
}

/// The CSRF token of a console session: derived from the session token (64 random bytes the
/// page never sees), so the session API can hand it to a reloaded page, and no one without the
/// cookie can compute it.
pub fn csrf_of(session_token: &str) -> String {
    iam_store::token_hash(&format!("modelarts-iam console csrf v1\n{session_token}"))
}

/// The value of the session cookie, if the request has exactly one (two session cookies mean
/// someone set a second one: neither is trusted).
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let mut found = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim());
    let first = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(first).filter(|v| !v.is_empty())
}

/// Whether the request has a session cookie.
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    session_cookie(headers).is_some()
}

/// The console session of a request: the cookie's session, alive (not idle longer than the
/// account's `session_timeout`, not past its lifetime), with the CSRF header equal to the
/// session's CSRF token and no cross-site fetch. Refreshes the session's last use.
pub async fn console_caller(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Arc<Caller>, ApiError> {
    let (token, caller) = console_session(state, headers).await?;
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let expected = token.csrf_hash.as_deref().unwrap_or("");
    let matches: bool = iam_store::token_hash(given)
        .as_bytes()
        .ct_eq(expected.as_bytes())
        .into();
    if given.is_empty() || !matches {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            code::CSRF,
            "The request has no valid X-CSRF-Token header: requests made with the console session must carry the session's CSRF token.",
        ));
    }
    Ok(caller)
}

/// The live console session of the cookie (no CSRF check: for reading the session itself).
pub async fn console_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Token, Arc<Caller>), ApiError> {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            code::CSRF,
            "Cross-site requests cannot use the console session.",
        ));
    }
    let Some(cookie) = session_cookie(headers) else {
        return Err(no_session());
    };
    let hash = iam_store::token_hash(cookie);
    let store = state.store();
    let Some(token) = store.token(&hash).await? else {
        return Err(no_session());
    };
    if !token.console {
        return Err(no_session());
    }
    let now = OffsetDateTime::now_utc();
    let policies = crate::signin::policies(store, &token.account_id).await?;
    let idle = time::Duration::minutes(i64::from(policies.login.session_timeout));
    let last = crate::auth::parse_rfc3339(&token.last_used_at);
    if last.is_none_or(|l| now - l > idle) {
        store.delete_token(&hash).await?;
        return Err(no_session());
    }
    let Some(caller) = caller_of(state, &token, now).await? else {
        store.delete_token(&hash).await?;
        return Err(no_session());
    };
    if last.is_some_and(|l| now - l > crate::signin::TOUCH_INTERVAL) {
        store.touch_token(&hash, now).await?;
    }
    Ok((token, caller))
}

/// `Set-Cookie` for a new session: `HttpOnly` (no script reads it), `Secure` (browsers keep it
/// on https and on `localhost`), `SameSite=Strict` (never sent by another site's pages),
/// `Path=/`, ending with the session's lifetime.
pub fn session_set_cookie(token: &str, max_age: time::Duration) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        max_age.whole_seconds()
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            HeaderValue::from_static("a=1; __Host-modelarts_iam_session=MIIabc; b=2"),
        );
        assert_eq!(session_cookie(&h), Some("MIIabc"));
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            HeaderValue::from_static(
                "x__Host-modelarts_iam_session=1; __Host-modelarts_iam_session=",
            ),
        );
        assert_eq!(session_cookie(&h), None);
        assert!(!has_session_cookie(&HeaderMap::new()));
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            HeaderValue::from_static(
                "__Host-modelarts_iam_session=MIIa; __Host-modelarts_iam_session=MIIb",
            ),
        );
        assert_eq!(session_cookie(&h), None, "two session cookies: neither");
    }

    #[test]
    fn cookies_are_locked_down() {
        let c = session_set_cookie("MIIx", time::Duration::hours(1));
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
