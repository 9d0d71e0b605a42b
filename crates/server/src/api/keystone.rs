//! IAM v3 (Keystone) tokens and listings, in the shapes `huaweicloudsdkiam.v3` and
//! `huaweicloudsdkcore` use (`../shared/reference/huawei-more.md` §2):
//!
//! - `POST /v3/auth/tokens`: a token for an IAM user, by password (plus `totp` when the user
//!   has a bound virtual MFA device) or by another token (re-scoping), scoped to a project or
//!   the domain; answered `201` with the token in `X-Subject-Token`. The token then
//!   authenticates any API and the gateway as `X-Auth-Token`.
//! - `GET` / `DELETE /v3/auth/tokens`: validate or revoke the token in `X-Subject-Token`.
//! - `GET /v3/projects`, `GET /v3/auth/projects`, `GET /v3/auth/domains`: what the SDKs look up
//!   when a credential has no project or domain id.
//!
//! Errors here keep Keystone's shape: `{"error": {"code", "message", "title"}}`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use iam_store::{Project, Token};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply};
use crate::error::{ApiError, ApiResult};
use crate::extract::{BufferedBody, PeerIp, QueryParams};
use crate::signin::Refusal;
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v3/auth/tokens",
        operation_id: "KeystoneCreateUserTokenByPassword",
        tag: "keystone",
        summary: "Get a token by password (and MFA code) or by token",
        authz: Authz::Open(
            "the body carries the user's password (or a valid token) and is checked like a sign-in: lockout, MFA, login policy; the answer is that user's own token",
        ),
        route: |m| on(m, create_token),
        query: Some(Params::of::<CatalogQuery>()),
        request: Some(Body::of::<AuthBody>()),
        response: Reply::created::<TokenResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v3/auth/tokens",
        operation_id: "KeystoneValidateToken",
        tag: "keystone",
        summary: "Validate the token in X-Subject-Token",
        // any signed-in principal, about its own tokens only (the account's root user, the
        // security administrator, also its users' tokens); another's token answers 404
        authz: Authz::Authenticated,
        route: |m| on(m, validate_token),
        query: Some(Params::of::<CatalogQuery>()),
        request: None,
        response: Reply::ok::<TokenResponse>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v3/auth/tokens",
        operation_id: "KeystoneDeleteToken",
        tag: "keystone",
        summary: "Revoke the token in X-Subject-Token",
        // any signed-in principal, about its own tokens only (the account's root user, the
        // security administrator, also its users' tokens); another's token answers 404
        authz: Authz::Authenticated,
        route: |m| on(m, delete_token),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Get,
        path: "/v3/projects",
        operation_id: "KeystoneListProjects",
        tag: "keystone",
        summary: "The caller's account's projects",
        authz: Authz::Authenticated,
        route: |m| on(m, list_projects),
        query: Some(Params::of::<ProjectQuery>()),
        request: None,
        response: Reply::ok::<ProjectsResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v3/auth/projects",
        operation_id: "KeystoneListAuthProjects",
        tag: "keystone",
        summary: "The projects the caller may use",
        authz: Authz::Authenticated,
        route: |m| on(m, list_auth_projects),
        query: None,
        request: None,
        response: Reply::ok::<ProjectsResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v3/auth/domains",
        operation_id: "KeystoneListAuthDomains",
        tag: "keystone",
        summary: "The caller's account as a domain",
        authz: Authz::Authenticated,
        route: |m| on(m, list_auth_domains),
        query: None,
        request: None,
        response: Reply::ok::<DomainsResponse>(),
    },
];

/// A Keystone error: `{"error": {"code", "message", "title"}}`, with the `error_code` and
/// `error_msg` every other API answers beside it (the SDKs read either).
fn keystone_error(status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    let code = match status {
        StatusCode::BAD_REQUEST => crate::error::code::BAD_REQUEST,
        StatusCode::UNAUTHORIZED => crate::error::code::AUTH,
        StatusCode::NOT_FOUND => crate::error::code::NOT_FOUND,
        _ => crate::error::code::FORBIDDEN,
    };
    let body = serde_json::json!({
        "error": {
            "code": status.as_u16(),
            "message": message,
            "title": status.canonical_reason().unwrap_or("Error"),
        },
        "error_code": code,
        "error_msg": message,
    });
    (status, Json(body)).into_response()
}

fn bad_body(detail: impl std::fmt::Display) -> Response {
    keystone_error(
        StatusCode::BAD_REQUEST,
        format!("The request body is invalid: {detail}"),
    )
}

/// `?nocatalog`: any value leaves the catalog out (there is none to give anyway).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CatalogQuery {
    /// If set, no `catalog` in the answer.
    #[allow(
        dead_code,
        reason = "accepted and documented; the catalog is always empty"
    )]
    nocatalog: Option<String>,
}

/// `{"auth": {"identity": ..., "scope": ...}}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AuthBody {
    auth: Auth,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Auth {
    identity: Identity,
    scope: Option<Scope>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Identity {
    /// `["password"]`, `["password", "totp"]` or `["token"]`.
    methods: Vec<String>,
    password: Option<PasswordIdentity>,
    totp: Option<TotpIdentity>,
    token: Option<TokenIdentity>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordIdentity {
    user: PasswordUser,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordUser {
    /// The IAM user name.
    #[schema(max_length = 64)]
    name: String,
    #[schema(max_length = 128)]
    password: String,
    /// The account.
    domain: NamedRef,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NamedRef {
    #[schema(max_length = 64)]
    name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TotpIdentity {
    user: TotpUser,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TotpUser {
    /// The user's id.
    #[schema(max_length = 64)]
    id: String,
    /// The 6-digit code of the user's virtual MFA device.
    #[schema(pattern = "^[0-9]{6}$")]
    passcode: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenIdentity {
    /// A valid token of the user.
    #[schema(max_length = 4096)]
    id: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Scope {
    project: Option<IdOrName>,
    domain: Option<IdOrName>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct IdOrName {
    #[schema(max_length = 64)]
    id: Option<String>,
    #[schema(max_length = 64)]
    name: Option<String>,
}

/// `{"token": {...}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct TokenResponse {
    token: TokenView,
}

#[derive(Serialize, utoipa::ToSchema)]
struct TokenView {
    methods: Vec<String>,
    issued_at: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa_authn_at: Option<String>,
    user: TokenUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<DomainRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<ProjectRef>,
    roles: Vec<Role>,
    /// Always empty: modelarts-iam serves no service catalog.
    catalog: Vec<serde_json::Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct TokenUser {
    id: String,
    name: String,
    /// `""`: never.
    password_expires_at: String,
    domain: DomainRef,
}

#[derive(Serialize, utoipa::ToSchema)]
struct DomainRef {
    id: String,
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ProjectRef {
    id: String,
    /// The region.
    name: String,
    domain: DomainRef,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Role {
    id: String,
    name: String,
}

/// The token's time format: `2020-01-03T09:05:22.701000Z`.
fn token_time(t: &str) -> String {
    crate::auth::parse_rfc3339(t)
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| t.to_owned())
}

async fn view(st: &AppState, token: &Token) -> ApiResult<TokenView> {
    let store = st.store();
    let account = store.get_account(&token.account_id).await?;
    let user = store.get_user(&token.user_id).await?;
    let expires = store
        .login_profile(&user.id)
        .await?
        .and_then(|p| p.password_expires_at)
        .map(|t| token_time(&t))
        .unwrap_or_default();
    let domain = || DomainRef {
        id: account.id.clone(),
        name: account.name.clone(),
    };
    let project = match &token.project_id {
        Some(id) => {
            let p = store.get_project(id).await?;
            Some(ProjectRef {
                id: p.id,
                name: p.region,
                domain: domain(),
            })
        }
        None => None,
    };
    Ok(TokenView {
        methods: token.methods.split(',').map(str::to_owned).collect(),
        issued_at: token_time(&token.issued_at),
        expires_at: token_time(&token.expires_at),
        mfa_authn_at: token.mfa_authn_at.as_deref().map(token_time),
        domain: project.is_none().then(domain),
        user: TokenUser {
            id: user.id.clone(),
            name: user.name.clone(),
            password_expires_at: expires,
            domain: domain(),
        },
        project,
        roles: Vec::new(),
        catalog: Vec::new(),
    })
}

/// The project a scope names in `account` (its id or its region name), `Ok(None)` for the
/// domain; `Err` with the message when it names none of the account's projects.
async fn scope_project(
    st: &AppState,
    account_id: &str,
    scope: Option<&Scope>,
) -> Result<Option<Project>, String> {
    // a domain scope names the user's own account (project wins when both are given)
    if let Some(d) = scope.and_then(|s| s.domain.as_ref())
        && scope.is_some_and(|s| s.project.is_none())
    {
        let account = st
            .store()
            .get_account(account_id)
            .await
            .map_err(|e| e.to_string())?;
        let named = d.id.as_deref() == Some(account.id.as_str())
            || (d.id.is_none() && d.name.as_deref() == Some(account.name.as_str()));
        if !named {
            return Err("the scope's domain is not the user's account".to_owned());
        }
    }
    let Some(project) = scope.and_then(|s| s.project.as_ref()) else {
        return Ok(None);
    };
    let projects = st
        .store()
        .list_projects(account_id)
        .await
        .map_err(|e| e.to_string())?;
    projects
        .into_iter()
        .find(|p| {
            project.id.as_deref() == Some(p.id.as_str())
                || (project.id.is_none() && project.name.as_deref() == Some(p.region.as_str()))
        })
        .map(Some)
        .ok_or_else(|| {
            "the scope's project is not a project of the user's account (GET /v3/auth/projects lists them)".to_owned()
        })
}

fn refusal_response(r: &Refusal) -> Response {
    keystone_error(StatusCode::UNAUTHORIZED, r.message())
}

async fn create_token(
    State(st): State<AppState>,
    PeerIp(ip): PeerIp,
    BufferedBody(bytes): BufferedBody,
) -> Response {
    if let Err(e) = crate::extract::parse_json::<serde::de::IgnoredAny>(&bytes) {
        return bad_body(e.message());
    }
    let body: AuthBody = match crate::extract::parse_secret_json(&bytes) {
        Ok(b) => b,
        Err(e) => return bad_body(e.message()),
    };
    let identity = &body.auth.identity;
    let methods: Vec<&str> = identity.methods.iter().map(String::as_str).collect();
    let result = match methods.as_slice() {
        ["password"] | ["password", "totp"] | ["totp", "password"] => {
            let Some(pw) = &identity.password else {
                return bad_body("identity.password is required for the password method");
            };
            let code = match (&identity.totp, methods.contains(&"totp")) {
                (Some(t), true) => Some(t),
                (None, true) => return bad_body("identity.totp is required for the totp method"),
                (Some(_), false) => {
                    return bad_body("identity.totp is given but `totp` is not in methods");
                }
                (None, false) => None,
            };
            by_password(&st, pw, code, body.auth.scope.as_ref(), ip).await
        }
        ["token"] => {
            let Some(t) = &identity.token else {
                return bad_body("identity.token is required for the token method");
            };
            by_token(&st, &t.id, body.auth.scope.as_ref()).await
        }
        _ => {
            return bad_body(
                "identity.methods must be [\"password\"], [\"password\", \"totp\"] or [\"token\"]",
            );
        }
    };
    match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn by_password(
    st: &AppState,
    pw: &PasswordIdentity,
    totp: Option<&TotpIdentity>,
    scope: Option<&Scope>,
    ip: Option<std::net::IpAddr>,
) -> ApiResult<Response> {
    let u = &pw.user;
    let code = totp.map(|t| t.user.passcode.as_str());
    let who =
        match crate::signin::sign_in(st, &u.domain.name, &u.name, &u.password, code, ip).await? {
            Ok(who) => who,
            Err(r) => return Ok(refusal_response(&r)),
        };
    if let Some(t) = totp
        && t.user.id != who.user.id
    {
        return Ok(bad_body(
            "identity.totp.user.id is not the id of the user signing in",
        ));
    }
    let project = match scope_project(st, &who.account.id, scope).await {
        Ok(p) => p,
        Err(m) => return Ok(bad_body(m)),
    };
    let mut methods = vec!["password".to_owned()];
    if who.mfa_at.is_some() {
        methods.push("totp".to_owned());
    }
    let issued = crate::signin::issue(
        st.store(),
        &who,
        methods,
        project.map(|p| p.id),
        crate::signin::TOKEN_LIFETIME,
        None,
    )
    .await;
    let (token, _) = match issued {
        Ok(t) => t,
        // the password changed while this sign-in was checked
        Err(e) if e.status() == StatusCode::CONFLICT => {
            return Ok(refusal_response(&Refusal::BadCredentials));
        }
        Err(e) => return Err(e),
    };
    answer_token(st, token.expose_secret(), StatusCode::CREATED).await
}

async fn by_token(st: &AppState, given: &str, scope: Option<&Scope>) -> ApiResult<Response> {
    let now = OffsetDateTime::now_utc();
    let hash = iam_store::token_hash(given.trim());
    // the same checks as a request made with it (expiry, user enabled, not a console session)
    let old = match st.store().token(&hash).await? {
        Some(old) if !old.console && crate::tokens::caller_of(st, &old, now).await?.is_some() => {
            old
        }
        _ => {
            return Ok(keystone_error(
                StatusCode::UNAUTHORIZED,
                "The token must be updated.",
            ));
        }
    };
    let project = match scope_project(st, &old.account_id, scope).await {
        Ok(p) => p,
        Err(m) => return Ok(bad_body(m)),
    };
    let token = crate::signin::new_token()?;
    // a re-scoped token lives no longer than the one it came from
    let expires = crate::auth::parse_rfc3339(&old.expires_at).unwrap_or(now);
    let t = iam_store::NewToken {
        token: token.clone(),
        account_id: old.account_id.clone(),
        user_id: old.user_id.clone(),
        methods: vec!["token".to_owned()],
        project_id: project.map(|p| p.id),
        issued_at: now,
        expires_at: expires,
        mfa_authn_at: old
            .mfa_authn_at
            .as_deref()
            .and_then(crate::auth::parse_rfc3339),
        password_reset_required: old.password_reset_required,
        csrf_token: None,
        requires: iam_store::TokenRequirement::Parent(hash.clone()),
    };
    match st.store().create_token(&t).await {
        Ok(()) => {}
        // revoked while it was being re-scoped
        Err(iam_store::StoreError::Conflict { .. }) => {
            return Ok(keystone_error(
                StatusCode::UNAUTHORIZED,
                "The token must be updated.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    answer_token(st, token.expose_secret(), StatusCode::CREATED).await
}

async fn answer_token(st: &AppState, token: &str, status: StatusCode) -> ApiResult<Response> {
    let stored = st
        .store()
        .token(&iam_store::token_hash(token))
        .await?
        .ok_or_else(|| ApiError::internal("a token just stored is missing"))?;
    let view = view(st, &stored).await?;
    let mut resp = (status, Json(TokenResponse { token: view })).into_response();
    let value = HeaderValue::from_str(token).map_err(ApiError::internal)?;
    resp.headers_mut().insert("x-subject-token", value);
    Ok(resp)
}

/// The token of `X-Subject-Token`, if the caller may see it: its own, or (root user) one of
/// its account's users.
async fn subject_token(
    st: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
) -> Result<Token, Response> {
    let missing = || {
        keystone_error(
            StatusCode::NOT_FOUND,
            "The token in X-Subject-Token does not exist or has expired.",
        )
    };
    let Some(text) = headers.get("x-subject-token").and_then(|v| v.to_str().ok()) else {
        return Err(keystone_error(
            StatusCode::BAD_REQUEST,
            "The X-Subject-Token header is required.",
        ));
    };
    let Ok(Some(token)) = st.store().token(&iam_store::token_hash(text.trim())).await else {
        return Err(missing());
    };
    let alive = crate::auth::parse_rfc3339(&token.expires_at)
        .is_some_and(|e| e > OffsetDateTime::now_utc());
    let own = caller.user_id() == Some(token.user_id.as_str());
    let admin = caller.is_root() && caller.account_id == token.account_id;
    if !alive || token.console || !(own || admin) {
        return Err(missing());
    }
    Ok(token)
}

async fn validate_token(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let token = match subject_token(&st, &caller, &headers).await {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let text = headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_owned();
    let view = view(&st, &token).await?;
    let mut resp = Json(TokenResponse { token: view }).into_response();
    let value = HeaderValue::from_str(&text).map_err(ApiError::internal)?;
    resp.headers_mut().insert("x-subject-token", value);
    Ok(resp)
}

async fn delete_token(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let token = match subject_token(&st, &caller, &headers).await {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    st.store().delete_token(&token.token_hash).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v3/projects`' filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ProjectQuery {
    /// Only the projects of this account (another account's: none).
    domain_id: Option<String>,
    /// Only the project of this region (what the SDKs look up).
    name: Option<String>,
    /// Only the sub-projects of this parent (the account id for region projects).
    parent_id: Option<String>,
    /// `true`: enabled projects (all are); `false`: none.
    enabled: Option<bool>,
    /// `true`: domain projects (none are listed).
    is_domain: Option<bool>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Page size, 1-5000.
    #[param(minimum = 1, maximum = 5000)]
    per_page: Option<u32>,
}

/// `{"links": ..., "projects": [...]}`.
#[derive(Serialize, utoipa::ToSchema)]
struct ProjectsResponse {
    links: Links,
    projects: Vec<ProjectView>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Links {
    #[serde(rename = "self")]
    self_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ProjectView {
    id: String,
    /// The region.
    name: String,
    domain_id: String,
    /// The account id, for region projects.
    parent_id: String,
    description: String,
    enabled: bool,
    is_domain: bool,
    links: Links,
}

fn link(path: &str) -> Links {
    Links {
        self_: path.to_owned(),
        previous: None,
        next: None,
    }
}

fn project_view(p: &Project) -> ProjectView {
    ProjectView {
        id: p.id.clone(),
        name: p.region.clone(),
        domain_id: p.account_id.clone(),
        parent_id: p.account_id.clone(),
        description: String::new(),
        enabled: true,
        is_domain: false,
        links: link(&format!("/v3/projects/{}", p.id)),
    }
}

async fn list_projects(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ProjectQuery>,
) -> ApiResult<Json<ProjectsResponse>> {
    caller.refuse_service("GET /v3/projects")?;
    if q.per_page.is_some_and(|n| n == 0 || n > 5000) || q.page == Some(0) {
        return Err(ApiError::bad_request(
            "invalid query parameter: `page` starts at 1 and `per_page` is 1-5000",
        ));
    }
    let all = st.store().list_projects(&caller.account_id).await?;
    let matching: Vec<&Project> = all
        .iter()
        .filter(|p| q.domain_id.as_deref().is_none_or(|d| d == p.account_id))
        .filter(|p| q.parent_id.as_deref().is_none_or(|d| d == p.account_id))
        .filter(|p| q.name.as_deref().is_none_or(|n| n == p.region))
        .filter(|_| q.enabled != Some(false) && q.is_domain != Some(true))
        .collect();
    let per_page = q.per_page.unwrap_or(5000) as usize;
    let page = q.page.unwrap_or(1) as usize;
    let projects = matching
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|p| project_view(p))
        .collect();
    Ok(Json(ProjectsResponse {
        links: link("/v3/projects"),
        projects,
    }))
}

async fn list_auth_projects(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ProjectsResponse>> {
    caller.refuse_service("GET /v3/auth/projects")?;
    let all = st.store().list_projects(&caller.account_id).await?;
    Ok(Json(ProjectsResponse {
        links: link("/v3/auth/projects"),
        projects: all.iter().map(project_view).collect(),
    }))
}

/// `{"domains": [...], "links": ...}`.
#[derive(Serialize, utoipa::ToSchema)]
struct DomainsResponse {
    domains: Vec<DomainView>,
    links: Links,
}

#[derive(Serialize, utoipa::ToSchema)]
struct DomainView {
    id: String,
    name: String,
    enabled: bool,
    description: String,
    links: Links,
}

async fn list_auth_domains(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<DomainsResponse>> {
    caller.refuse_service("GET /v3/auth/domains")?;
    let a = st.store().get_account(&caller.account_id).await?;
    Ok(Json(DomainsResponse {
        domains: vec![DomainView {
            links: link(&format!("/v3/domains/{}", a.id)),
            id: a.id,
            name: a.name,
            enabled: true,
            description: String::new(),
        }],
        links: link("/v3/auth/domains"),
    }))
}
