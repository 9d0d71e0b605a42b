//! Passwords and the account's sign-in rules (IAM v5): login profiles
//! (`/v5/users/{user_id}/login-profile`), the caller's own password change
//! (`/v5/caller-password`), the last sign-in, and the password and login policies.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use iam_login::{LoginPolicy, PasswordPolicy};
use iam_store::LoginProfile;
use serde::{Deserialize, Serialize};

use super::*;
use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, SecretJsonBody};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/users/{user_id}/login-profile",
        operation_id: "CreateLoginProfileV5",
        tag: "iam",
        summary: "Give a user a password",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_profile),
        query: None,
        request: Some(Body::of::<CreateProfileBody>()),
        response: Reply::created::<ProfileResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users/{user_id}/login-profile",
        operation_id: "ShowLoginProfileV5",
        tag: "iam",
        summary: "Get a user's login profile",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_profile),
        query: None,
        request: None,
        response: Reply::ok::<ProfileResponse>(),
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/users/{user_id}/login-profile",
        operation_id: "UpdateLoginProfileV5",
        tag: "iam",
        summary: "Change a user's password or password-reset flag",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_profile),
        query: None,
        request: Some(Body::of::<UpdateProfileBody>()),
        response: Reply::ok::<ProfileResponse>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/users/{user_id}/login-profile",
        operation_id: "DeleteLoginProfileV5",
        tag: "iam",
        summary: "Remove a user's password",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_profile),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/caller-password",
        operation_id: "ChangeCallerPasswordV5",
        tag: "iam",
        summary: "Change the caller's own password",
        // any IAM user changes its own password (Huawei: no policy needed), unless the account's
        // password policy says `allow_user_to_change_password: false`; nothing else is touched
        authz: Authz::Authenticated,
        route: |m| on(m, change_own_password),
        query: None,
        request: Some(Body::of::<ChangePasswordBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users/{user_id}/last-login",
        operation_id: "ShowUserLastLoginV5",
        tag: "iam",
        summary: "When a user last signed in",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, last_login),
        query: None,
        request: None,
        response: Reply::ok::<LastLoginResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/password-policy",
        operation_id: "ShowPasswordPolicyV5",
        tag: "iam",
        summary: "The account's password policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_password_policy),
        query: None,
        request: None,
        response: Reply::ok::<PasswordPolicyResponse>(),
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/password-policy",
        operation_id: "UpdatePasswordPolicyV5",
        tag: "iam",
        summary: "Change the account's password policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, put_password_policy),
        query: None,
        request: Some(Body::of::<PasswordPolicy>()),
        response: Reply::ok::<PasswordPolicyResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/login-policy",
        operation_id: "ShowLoginPolicyV5",
        tag: "iam",
        summary: "The account's login policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_login_policy),
        query: None,
        request: None,
        response: Reply::ok::<LoginPolicyResponse>(),
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/login-policy",
        operation_id: "UpdateLoginPolicyV5",
        tag: "iam",
        summary: "Change the account's login policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, put_login_policy),
        query: None,
        request: Some(Body::of::<LoginPolicy>()),
        response: Reply::ok::<LoginPolicyResponse>(),
    },
];

/// `CreateLoginProfileV5`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProfileBody {
    /// The password, 8-32 characters, as the account's password policy requires.
    #[schema(min_length = 8, max_length = 32)]
    password: String,
    /// Whether the user must change it at the first sign-in.
    password_reset_required: bool,
}

/// `UpdateLoginProfileV5`'s body: the members given change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateProfileBody {
    /// A new password (ends the user's tokens and console sessions).
    #[schema(min_length = 8, max_length = 32)]
    password: Option<String>,
    /// Whether the user must change it at the next sign-in.
    password_reset_required: Option<bool>,
}

/// `ChangeCallerPasswordV5`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangePasswordBody {
    /// The current password.
    #[schema(max_length = 32)]
    old_password: String,
    /// The new one.
    #[schema(min_length = 8, max_length = 32)]
    new_password: String,
}

/// A login profile (never the password nor its hash).
#[derive(Serialize, utoipa::ToSchema)]
struct ProfileView {
    user_id: String,
    password_reset_required: bool,
    /// `null`: the password does not expire.
    password_expires_at: Option<String>,
    created_at: String,
}

impl From<&LoginProfile> for ProfileView {
    fn from(p: &LoginProfile) -> Self {
        ProfileView {
            user_id: p.user_id.clone(),
            password_reset_required: p.password_reset_required,
            password_expires_at: p.password_expires_at.clone(),
            created_at: p.created_at.clone(),
        }
    }
}

/// `{"login_profile": {...}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct ProfileResponse {
    login_profile: ProfileView,
}

/// `{"user_last_login": {"last_login_at": ...}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct LastLoginResponse {
    user_last_login: LastLogin,
}

/// When the user last signed in.
#[derive(Serialize, utoipa::ToSchema)]
struct LastLogin {
    /// `null`: never.
    last_login_at: Option<String>,
}

/// A password policy as `GET` answers it: the fields (`PasswordPolicy`'s) and what they mean
/// together.
#[derive(Serialize, utoipa::ToSchema)]
struct PasswordPolicyView {
    minimum_password_length: u32,
    password_char_combination: u32,
    maximum_consecutive_identical_chars: u32,
    minimum_password_age: u32,
    password_reuse_prevention: u32,
    password_validity_period: u32,
    password_not_username_or_invert: bool,
    allow_user_to_change_password: bool,
    /// The longest password accepted (32).
    maximum_password_length: u32,
    /// The requirements in words.
    password_requirements: String,
}

/// `{"password_policy": {...}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct PasswordPolicyResponse {
    password_policy: PasswordPolicyView,
}

/// `{"login_policy": {...}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct LoginPolicyResponse {
    login_policy: LoginPolicy,
}

/// The root user's password is its own, like its access keys.
fn root_password_is_roots(caller: &Caller, user: &User) -> ApiResult<()> {
    if user.is_root_user && caller.user_id() != Some(user.id.as_str()) {
        return Err(ApiError::forbidden(
            format!(
                "User: {} is not authorized to manage the root user's password: only the root user manages its own.",
                caller.urn
            ),
            None,
        ));
    }
    Ok(())
}

async fn create_profile(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    SecretJsonBody(b): SecretJsonBody<CreateProfileBody>,
) -> ApiResult<Response> {
    let user = own_user(st.store(), &caller, &user_id).await?;
    root_password_is_roots(&caller, &user)?;
    if st.store().login_profile(&user.id).await?.is_some() {
        return Err(ApiError::conflict(
            "the user already has a login profile: change the password with PUT /v5/users/{user_id}/login-profile",
        ));
    }
    let new = crate::signin::new_password(
        st.store(),
        &user,
        &b.password,
        b.password_reset_required,
        false,
    )
    .await?;
    let p = st
        .write(|s| async move { s.create_login_profile(&user_id, &new).await })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProfileResponse {
            login_profile: (&p).into(),
        }),
    )
        .into_response())
}

async fn get_profile(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<ProfileResponse>> {
    let user = own_user(st.store(), &caller, &user_id).await?;
    let p = st
        .store()
        .login_profile(&user.id)
        .await?
        .ok_or_else(|| not_found("login profile", &user_id))?;
    Ok(Json(ProfileResponse {
        login_profile: (&p).into(),
    }))
}

async fn update_profile(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    SecretJsonBody(b): SecretJsonBody<UpdateProfileBody>,
) -> ApiResult<Json<ProfileResponse>> {
    let user = own_user(st.store(), &caller, &user_id).await?;
    root_password_is_roots(&caller, &user)?;
    let cur = st
        .store()
        .login_profile(&user.id)
        .await?
        .ok_or_else(|| not_found("login profile", &user_id))?;
    let reset = b
        .password_reset_required
        .unwrap_or(cur.password_reset_required);
    let p = match b.password {
        Some(pw) => {
            let new = crate::signin::new_password(st.store(), &user, &pw, reset, true).await?;
            st.write(|s| async move { s.set_password(&user_id, &new).await })
                .await?
        }
        None => {
            st.write(|s| async move { s.set_password_reset_required(&user_id, reset).await })
                .await?
        }
    };
    Ok(Json(ProfileResponse {
        login_profile: (&p).into(),
    }))
}

async fn delete_profile(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Response> {
    let user = own_user(st.store(), &caller, &user_id).await?;
    root_password_is_roots(&caller, &user)?;
    st.write(|s| async move { s.delete_login_profile(&user_id).await })
        .await?;
    Ok(no_content())
}

async fn change_own_password(
    State(st): State<AppState>,
    caller: Caller,
    SecretJsonBody(b): SecretJsonBody<ChangePasswordBody>,
) -> ApiResult<Response> {
    let Some(user_id) = caller.user_id().map(str::to_owned) else {
        return Err(ApiError::forbidden(
            "Only IAM users have passwords: an agency session cannot change one.",
            None,
        ));
    };
    let user = own_user(st.store(), &caller, &user_id).await?;
    let policies = crate::signin::policies(st.store(), &user.account_id).await?;
    if !user.is_root_user && !policies.password.allow_user_to_change_password {
        return Err(ApiError::forbidden(
            "The account's password policy does not allow IAM users to change their own password (allow_user_to_change_password); ask an administrator.",
            None,
        ));
    }
    let cur = st
        .store()
        .login_profile(&user.id)
        .await?
        .ok_or_else(|| not_found("login profile", &user_id))?;
    // a wrong old password counts like a failed sign-in: holding a key or a session is no way
    // to guess the password without the lockout
    let now = time::OffsetDateTime::now_utc();
    match crate::signin::reserve(st.store(), &user.id, &policies.login, now).await? {
        iam_store::FailureOutcome::Locked(until) => {
            return Err(ApiError::forbidden(
                format!(
                    "The user is locked after too many failed attempts; try again after {until}."
                ),
                None,
            ));
        }
        iam_store::FailureOutcome::Counted(_) | iam_store::FailureOutcome::Last(_) => {}
    }
    if !crate::signin::verify_password(&cur.password_hash, &b.old_password).await? {
        return Err(ApiError::bad_request(
            "old_password is not the user's current password",
        ));
    }
    st.store().clear_login_failures(&user.id).await?;
    // the minimum age does not hold back a change the user is required to make
    let age = i64::from(policies.password.minimum_password_age);
    if age > 0
        && !cur.password_reset_required
        && crate::auth::parse_rfc3339(&cur.password_changed_at)
            .is_some_and(|at| time::OffsetDateTime::now_utc() - at < time::Duration::minutes(age))
    {
        return Err(ApiError::bad_request(format!(
            "the password was changed less than {age} minutes ago (minimum_password_age); try again later"
        )));
    }
    let new = crate::signin::new_password(st.store(), &user, &b.new_password, false, true).await?;
    st.write(|s| async move { s.set_password(&user_id, &new).await })
        .await?;
    Ok(no_content())
}

async fn last_login(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<LastLoginResponse>> {
    let user = own_user(st.store(), &caller, &user_id).await?;
    let s = st.store().login_state(&user.id).await?;
    Ok(Json(LastLoginResponse {
        user_last_login: LastLogin {
            last_login_at: s.last_login_at,
        },
    }))
}

fn password_view(policy: PasswordPolicy) -> PasswordPolicyResponse {
    PasswordPolicyResponse {
        password_policy: PasswordPolicyView {
            password_requirements: policy.requirements(),
            maximum_password_length: iam_login::MAXIMUM_PASSWORD_LENGTH,
            minimum_password_length: policy.minimum_password_length,
            password_char_combination: policy.password_char_combination,
            maximum_consecutive_identical_chars: policy.maximum_consecutive_identical_chars,
            minimum_password_age: policy.minimum_password_age,
            password_reuse_prevention: policy.password_reuse_prevention,
            password_validity_period: policy.password_validity_period,
            password_not_username_or_invert: policy.password_not_username_or_invert,
            allow_user_to_change_password: policy.allow_user_to_change_password,
        },
    }
}

async fn get_password_policy(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PasswordPolicyResponse>> {
    let p = crate::signin::policies(st.store(), &caller.account_id).await?;
    Ok(Json(password_view(p.password)))
}

/// The policy a `PUT` body makes of `current`: the body alone must be a (partial) `T` (unknown
/// members and wrong types are refused), the members it gives replace the current ones, and the
/// result must pass `check` (400 naming `what` otherwise).
fn updated<T: Serialize + serde::de::DeserializeOwned>(
    current: &T,
    body: &serde_json::Value,
    check: impl Fn(&T) -> Result<(), iam_login::PolicyError>,
    what: &str,
) -> ApiResult<T> {
    let invalid = |e: serde_path_to_error::Error<serde_json::Error>| {
        ApiError::bad_request(format!(
            "invalid request body: `{}`: {}",
            e.path(),
            e.inner()
        ))
    };
    serde_path_to_error::deserialize::<_, T>(body.clone()).map_err(invalid)?;
    let mut value = serde_json::to_value(current).map_err(ApiError::internal)?;
    if let (Some(cur), Some(given)) = (value.as_object_mut(), body.as_object()) {
        for (k, v) in given {
            cur.insert(k.clone(), v.clone());
        }
    }
    let policy: T = serde_path_to_error::deserialize(value).map_err(invalid)?;
    check(&policy).map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))?;
    Ok(policy)
}

/// Stores both policies of the account (one write).
async fn store_policies(
    st: &AppState,
    account: &str,
    p: &crate::signin::Policies,
) -> ApiResult<()> {
    let stored = iam_store::SecurityPolicies {
        password_policy: Some(serde_json::to_string(&p.password).map_err(ApiError::internal)?),
        login_policy: Some(serde_json::to_string(&p.login).map_err(ApiError::internal)?),
    };
    let account = account.to_owned();
    st.write(|s| async move { s.put_security_policies(&account, &stored).await })
        .await
}

async fn put_password_policy(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<PasswordPolicyResponse>> {
    let mut p = crate::signin::policies(st.store(), &caller.account_id).await?;
    p.password = updated(
        &p.password,
        &body,
        PasswordPolicy::validate,
        "password policy",
    )?;
    store_policies(&st, &caller.account_id, &p).await?;
    Ok(Json(password_view(p.password)))
}

async fn get_login_policy(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<LoginPolicyResponse>> {
    let p = crate::signin::policies(st.store(), &caller.account_id).await?;
    Ok(Json(LoginPolicyResponse {
        login_policy: p.login,
    }))
}

async fn put_login_policy(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<LoginPolicyResponse>> {
    let mut p = crate::signin::policies(st.store(), &caller.account_id).await?;
    p.login = updated(&p.login, &body, LoginPolicy::validate, "login policy")?;
    store_policies(&st, &caller.account_id, &p).await?;
    Ok(Json(LoginPolicyResponse {
        login_policy: p.login,
    }))
}
