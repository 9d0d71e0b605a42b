//! The web console's session: sign-in as an IAM user of an account (password, plus the code
//! of the user's virtual MFA device when one is bound), the session of a reloaded page, and
//! sign-out. The session is a token in an `HttpOnly; Secure; SameSite=Strict` cookie; every
//! API call made with it carries the session's CSRF token in `X-CSRF-Token`
//! (`crate::tokens::console_caller`). docs/sign-in.md, "Console sessions".

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Reply};
use crate::error::{ApiError, ApiResult};
use crate::extract::{BufferedBody, PeerIp};
use crate::signin::Refusal;
use crate::state::AppState;
use crate::tokens::code;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/console/api/sign-in",
        operation_id: "ConsoleSignIn",
        tag: "console",
        summary: "Sign in to the console",
        authz: Authz::Open(
            "the body carries the user's password (and MFA code), checked like every sign-in (lockout, MFA, login policy); same-origin JSON only; the answer is that user's own new session",
        ),
        route: |m| on(m, sign_in),
        query: None,
        request: Some(Body::of::<SignInBody>()),
        response: Reply::ok::<SessionResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/console/api/session",
        operation_id: "ConsoleSession",
        tag: "console",
        summary: "The console session of the cookie",
        authz: Authz::Open(
            "the session cookie is the credential; the answer describes that session only (no cookie or an ended session: 401)",
        ),
        route: |m| on(m, session),
        query: None,
        request: None,
        response: Reply::ok::<SessionResponse>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/console/api/sign-out",
        operation_id: "ConsoleSignOut",
        tag: "console",
        summary: "End the console session",
        authz: Authz::Open(
            "the session cookie is the credential, checked with its CSRF token like every console call; it ends only that session",
        ),
        route: |m| on(m, sign_out),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
];

/// The sign-in form.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    /// The account (domain) name.
    #[schema(min_length = 1, max_length = 64)]
    account: String,
    /// The IAM user name (the root user signs in with the account name).
    #[schema(min_length = 1, max_length = 64)]
    user: String,
    #[schema(min_length = 1, max_length = 128)]
    password: String,
    /// The 6-digit code of the user's virtual MFA device, when one is bound.
    #[serde(default)]
    #[schema(max_length = 6)]
    mfa_code: Option<String>,
}

/// `{"session": {...}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct SessionResponse {
    session: SessionView,
}

/// A console session, as the page needs it.
#[derive(Serialize, utoipa::ToSchema)]
struct SessionView {
    user_id: String,
    user_name: String,
    urn: String,
    account_id: String,
    account_name: String,
    /// The account's project in the server's region (for `/v2/{project_id}/...` APIs).
    project_id: Option<String>,
    region: String,
    /// Send it as `X-CSRF-Token` with every API call made with the session.
    csrf_token: String,
    /// The account's login policy `session_timeout`, in seconds.
    idle_timeout_seconds: i64,
    expires_at: String,
    /// The user must change the password (`POST /v5/caller-password`) before anything else.
    password_reset_required: bool,
    /// Whether the sign-in verified an MFA code.
    mfa_authenticated: bool,
    /// The sign-in before this one, when the login policy shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_login_at: Option<String>,
    /// The login policy's message for people signing in.
    #[serde(skip_serializing_if = "String::is_empty")]
    custom_info: String,
}

fn refused(r: &Refusal) -> ApiError {
    let code = match r {
        Refusal::BadCredentials => code::BAD_CREDENTIALS,
        Refusal::MfaRequired => code::MFA_REQUIRED,
        Refusal::BadMfaCode => code::BAD_MFA,
        Refusal::Locked(_) => code::LOCKED,
        Refusal::AddressRefused => code::ADDRESS,
    };
    ApiError::new(StatusCode::UNAUTHORIZED, code, r.message())
}

/// Sign-in is same-origin JSON: a cross-site page can neither post it (`Sec-Fetch-Site`,
/// `Origin`) nor smuggle it in a form (`Content-Type` must be JSON).
fn same_origin_json(headers: &HeaderMap) -> ApiResult<()> {
    let refuse = |why: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            code::CSRF,
            format!("Sign-in refused: {why}."),
        )
    };
    let json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(refuse("the body must be application/json"));
    }
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none")
    {
        return Err(refuse("the request comes from another site"));
    }
    if let Some(origin) = headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let host = headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or("");
        if origin_host.is_empty() || origin_host != host {
            return Err(refuse("the request's Origin is not this server"));
        }
    }
    Ok(())
}

async fn view(
    st: &AppState,
    caller: &Caller,
    token: &iam_store::Token,
    session_token: &str,
    previous_login_at: Option<String>,
) -> ApiResult<SessionView> {
    let store = st.store();
    let account = store.get_account(&caller.account_id).await?;
    let user = store.get_user(&token.user_id).await?;
    let policies = crate::signin::policies(store, &account.id).await?;
    let project_id = store
        .list_projects(&account.id)
        .await?
        .into_iter()
        .find(|p| p.region == st.region())
        .map(|p| p.id);
    Ok(SessionView {
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        urn: user.urn.clone(),
        account_id: account.id,
        account_name: account.name,
        project_id,
        region: st.region().to_owned(),
        csrf_token: crate::tokens::csrf_of(session_token),
        idle_timeout_seconds: i64::from(policies.login.session_timeout) * 60,
        expires_at: token.expires_at.clone(),
        password_reset_required: token.password_reset_required,
        mfa_authenticated: token.mfa_authn_at.is_some(),
        previous_login_at: previous_login_at.filter(|_| policies.login.show_recent_login_info),
        custom_info: policies.login.custom_info_for_login,
    })
}

async fn sign_in(
    State(st): State<AppState>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    BufferedBody(bytes): BufferedBody,
) -> ApiResult<Response> {
    same_origin_json(&headers)?;
    crate::extract::parse_json::<serde::de::IgnoredAny>(&bytes)?;
    let b: SignInBody = crate::extract::parse_secret_json(&bytes)?;
    let who = match crate::signin::sign_in(
        &st,
        &b.account,
        &b.user,
        &b.password,
        b.mfa_code.as_deref(),
        ip,
    )
    .await?
    {
        Ok(who) => who,
        Err(r) => return Err(refused(&r)),
    };
    // a session is never carried over from before the sign-in (no fixation): the old one ends
    if let Some(old) = crate::tokens::session_cookie(&headers) {
        st.store().delete_token(&iam_store::token_hash(old)).await?;
    }
    let session = crate::signin::new_token()?;
    let csrf = SecretString::from(crate::tokens::csrf_of(session.expose_secret()));
    let now = time::OffsetDateTime::now_utc();
    let mut methods = vec!["password".to_owned()];
    if who.mfa_at.is_some() {
        methods.push("totp".to_owned());
    }
    let new = iam_store::NewToken {
        token: session.clone(),
        account_id: who.account.id.clone(),
        user_id: who.user.id.clone(),
        methods,
        project_id: None,
        issued_at: now,
        expires_at: now + crate::signin::CONSOLE_LIFETIME,
        mfa_authn_at: who.mfa_at,
        password_reset_required: who.password_reset_required,
        csrf_token: Some(csrf),
        requires: iam_store::TokenRequirement::PasswordHash(
            who.password_hash.expose_secret().to_owned(),
        ),
    };
    if let Err(e) = st.store().create_token(&new).await {
        return Err(match e {
            // the password changed while this sign-in was checked
            iam_store::StoreError::Conflict { .. } => refused(&Refusal::BadCredentials),
            e => e.into(),
        });
    }
    let stored = st
        .store()
        .token(&iam_store::token_hash(session.expose_secret()))
        .await?
        .ok_or_else(|| ApiError::internal("a session just stored is missing"))?;
    let caller = Caller {
        account_id: who.account.id.clone(),
        urn: who.user.urn.clone(),
        access_key_id: String::new(),
        kind: crate::auth::CallerKind::User {
            user_id: who.user.id.clone(),
            is_root: who.user.is_root_user,
        },
        token: None,
    };
    let view = view(
        &st,
        &caller,
        &stored,
        session.expose_secret(),
        who.previous_login.clone(),
    )
    .await?;
    let mut resp = Json(SessionResponse { session: view }).into_response();
    let cookie =
        crate::tokens::session_set_cookie(session.expose_secret(), crate::signin::CONSOLE_LIFETIME);
    resp.headers_mut().insert(
        http::header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

async fn session(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let (token, caller) = crate::tokens::console_session(&st, &headers).await?;
    let cookie = crate::tokens::session_cookie(&headers).unwrap_or_default();
    let view = view(&st, &caller, &token, cookie, None).await?;
    let mut resp = Json(SessionResponse { session: view }).into_response();
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

async fn sign_out(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let caller = crate::tokens::console_caller(&st, &headers).await?;
    let Some(t) = caller.token.as_ref().filter(|t| t.console) else {
        return Err(ApiError::internal("a console caller without its session"));
    };
    st.store().delete_token(&t.token_hash).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        http::header::SET_COOKIE,
        HeaderValue::from_str(&crate::tokens::clear_cookie()).map_err(ApiError::internal)?,
    );
    Ok(resp)
}
