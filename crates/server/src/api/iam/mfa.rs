//! Virtual MFA devices (IAM v5): create one for a user (its base32 seed is shown once), bind
//! it with two successive codes, unbind, delete, list. Once bound, signing in as the user takes
//! a code (`POST /v3/auth/tokens` with `totp`, the console's sign-in).
//!
//! A user manages its own device without any policy (Huawei: "no special permission"); another
//! user's takes the catalog action on that user.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use iam_store::MfaDevice;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::*;
use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::PageInfo;
use crate::state::AppState;

const WHO: &str = "the user named in the request: the caller's own device needs no policy (Huawei: a user manages its own virtual MFA device), another user's the catalog action on that user";

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/virtual-mfa-devices",
        operation_id: "CreateVirtualMfaDeviceV5",
        tag: "iam",
        summary: "Create a user's virtual MFA device",
        authz: Authz::Handler(WHO),
        route: |m| on(m, create_device),
        query: None,
        request: Some(Body::of::<CreateDeviceBody>()),
        response: Reply::created::<CreatedDeviceResponse>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/virtual-mfa-devices",
        operation_id: "DeleteVirtualMfaDeviceV5",
        tag: "iam",
        summary: "Delete a user's virtual MFA device (unbound)",
        authz: Authz::Handler(WHO),
        route: |m| on(m, delete_device),
        query: Some(Params::of::<DeviceQuery>()),
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/mfa-devices/enable",
        operation_id: "EnableMfaDeviceV5",
        tag: "iam",
        summary: "Bind a virtual MFA device with two successive codes",
        authz: Authz::Handler(WHO),
        route: |m| on(m, enable_device),
        query: None,
        request: Some(Body::of::<EnableBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v5/mfa-devices/disable",
        operation_id: "DisableMfaDeviceV5",
        tag: "iam",
        summary: "Unbind a virtual MFA device",
        authz: Authz::Handler(WHO),
        route: |m| on(m, disable_device),
        query: None,
        request: Some(Body::of::<DeviceBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/mfa-devices",
        operation_id: "ListMfaDevicesV5",
        tag: "iam",
        summary: "List MFA devices",
        authz: Authz::Handler(
            "the caller's own devices need no policy; the account's, or another user's, `iam:mfa:listMFADevicesV5` on `*`",
        ),
        route: |m| on(m, list_devices),
        query: Some(Params(paged_with::<ListFilter>)),
        request: None,
        response: Reply::ok::<ListResponse>(),
    },
];

/// `CreateVirtualMfaDeviceV5`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateDeviceBody {
    /// 1-64 letters, digits, `_` and `-`, unique in the account.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]{1,64}$")]
    virtual_mfa_device_name: String,
    /// The user the device is for.
    #[schema(min_length = 1, max_length = 64)]
    user_id: String,
}

/// The device created, with its seed (shown once).
#[derive(Serialize, utoipa::ToSchema)]
struct CreatedDevice {
    /// `iam:<account-id>:mfa/<name>`.
    serial_number: String,
    /// The TOTP seed (RFC 6238: SHA-1, 30 s, 6 digits) for an authenticator app.
    base32_string_seed: String,
}

/// `{"virtual_mfa_device": {...}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct CreatedDeviceResponse {
    virtual_mfa_device: CreatedDevice,
}

/// `EnableMfaDeviceV5`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EnableBody {
    #[schema(min_length = 1, max_length = 64)]
    user_id: String,
    #[schema(min_length = 1, max_length = 150)]
    serial_number: String,
    /// A code of the device.
    #[schema(pattern = "^[0-9]{6}$")]
    authentication_code_first: String,
    /// The code right after it.
    #[schema(pattern = "^[0-9]{6}$")]
    authentication_code_second: String,
}

/// `DisableMfaDeviceV5`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DeviceBody {
    #[schema(min_length = 1, max_length = 64)]
    user_id: String,
    #[schema(min_length = 1, max_length = 150)]
    serial_number: String,
}

/// `DeleteVirtualMfaDeviceV5`'s query.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeviceQuery {
    /// The user.
    user_id: String,
    /// The device.
    serial_number: String,
}

/// `ListMfaDevicesV5`'s filter.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListFilter {
    /// Only this user's devices.
    user_id: Option<String>,
}

/// A device as listed.
#[derive(Serialize, utoipa::ToSchema)]
struct DeviceView {
    serial_number: String,
    user_id: String,
    /// Bound: signing in takes its code.
    enabled: bool,
}

/// `ListMfaDevicesV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct ListResponse {
    mfa_devices: Vec<DeviceView>,
    page_info: PageInfo,
}

impl From<&MfaDevice> for DeviceView {
    fn from(d: &MfaDevice) -> Self {
        DeviceView {
            serial_number: d.serial_number.clone(),
            user_id: d.user_id.clone(),
            enabled: d.enabled,
        }
    }
}

/// The user of the account the request names, authorized: the caller itself, or `action` on
/// the user's URN.
async fn target_user(
    st: &AppState,
    caller: &Caller,
    user_id: &str,
    action: &str,
) -> ApiResult<User> {
    let user = own_user(st.store(), caller, user_id).await?;
    if caller.user_id() != Some(user.id.as_str()) {
        st.authorize_api_call(caller, action, &user.urn)?;
        if user.is_root_user {
            return Err(ApiError::forbidden(
                format!(
                    "User: {} is not authorized to manage the root user's MFA device: only the root user manages its own.",
                    caller.urn
                ),
                None,
            ));
        }
    }
    Ok(user)
}

async fn create_device(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateDeviceBody>,
) -> ApiResult<Response> {
    let user = target_user(&st, &caller, &b.user_id, "iam:mfa:createVirtualMFADeviceV5").await?;
    let seed = SecretString::from(iam_login::totp::new_seed().map_err(ApiError::internal)?);
    let name = b.virtual_mfa_device_name;
    let dev_seed = seed.clone();
    let dev = st
        .write(|s| async move { s.create_mfa_device(&user.id, &name, &dev_seed).await })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedDeviceResponse {
            virtual_mfa_device: CreatedDevice {
                serial_number: dev.serial_number,
                base32_string_seed: seed.expose_secret().to_owned(),
            },
        }),
    )
        .into_response())
}

/// The device of `user` with `serial` (404 otherwise).
async fn users_device(st: &AppState, user: &User, serial: &str) -> ApiResult<MfaDevice> {
    st.store()
        .mfa_devices(&user.account_id, Some(&user.id))
        .await?
        .into_iter()
        .find(|d| d.serial_number == serial)
        .ok_or_else(|| not_found("virtual MFA device", serial))
}

async fn enable_device(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<EnableBody>,
) -> ApiResult<Response> {
    let user = target_user(&st, &caller, &b.user_id, "iam:mfa:enableV5").await?;
    let dev = users_device(&st, &user, &b.serial_number).await?;
    if dev.enabled {
        return Err(ApiError::conflict(
            "the virtual MFA device is already enabled",
        ));
    }
    let Some((_, seed, last_step)) = st.store().mfa_device_seed(&dev.serial_number).await? else {
        return Err(not_found("virtual MFA device", &b.serial_number));
    };
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let bad = || {
        ApiError::bad_request(
            "the authentication codes are wrong: give two successive codes of the device (the second the one after the first)",
        )
    };
    // the second code is current (within a step of skew), the first the one before it
    let second = iam_login::totp::verify(seed.expose_secret(), &b.authentication_code_second, now)
        .map_err(ApiError::internal)?
        .ok_or_else(bad)?;
    let first_at = second.checked_sub(1).ok_or_else(bad)? * iam_login::totp::STEP_SECONDS;
    let first =
        iam_login::totp::code_at(seed.expose_secret(), first_at).map_err(ApiError::internal)?;
    if first != b.authentication_code_first {
        return Err(bad());
    }
    let step = i64::try_from(second).map_err(ApiError::internal)?;
    if step <= last_step {
        return Err(bad());
    }
    let serial = dev.serial_number.clone();
    st.write(|s| async move {
        s.set_mfa_device_enabled(&user.id, &serial, true, step)
            .await
    })
    .await?;
    Ok(no_content())
}

async fn disable_device(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<DeviceBody>,
) -> ApiResult<Response> {
    let user = target_user(&st, &caller, &b.user_id, "iam:mfa:disableV5").await?;
    let dev = users_device(&st, &user, &b.serial_number).await?;
    // a user unbinds its own second factor only after proving it: signed in with the device's
    // code (Huawei asks for a code too); a key or a password alone cannot remove it
    let own = caller.user_id() == Some(user.id.as_str());
    if own && dev.enabled && caller.token.as_ref().and_then(|t| t.mfa_at).is_none() {
        return Err(ApiError::forbidden(
            "To unbind your own virtual MFA device, sign in with its code first (an IAM v3 token by password and totp, or the console); an administrator may unbind it for you.",
            None,
        ));
    }
    let serial = dev.serial_number.clone();
    st.write(|s| async move { s.set_mfa_device_enabled(&user.id, &serial, false, 0).await })
        .await?;
    Ok(no_content())
}

async fn delete_device(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<DeviceQuery>,
) -> ApiResult<Response> {
    let user = target_user(&st, &caller, &q.user_id, "iam:mfa:deleteVirtualMFADeviceV5").await?;
    let dev = users_device(&st, &user, &q.serial_number).await?;
    let serial = dev.serial_number.clone();
    st.write(|s| async move { s.delete_mfa_device(&user.id, &serial).await })
        .await?;
    Ok(no_content())
}

async fn list_devices(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(page): QueryParams<crate::page::PageQuery>,
    QueryParams(q): QueryParams<ListFilter>,
) -> ApiResult<Json<ListResponse>> {
    let own = q.user_id.is_some() && q.user_id.as_deref() == caller.user_id();
    if !own {
        st.authorize_api_call(&caller, "iam:mfa:listMFADevicesV5", "*")?;
    }
    if let Some(u) = &q.user_id {
        own_user(st.store(), &caller, u).await?;
    }
    let mut all = st
        .store()
        .mfa_devices(&caller.account_id, q.user_id.as_deref())
        .await?;
    // device names are unique in the account and fit the marker's characters
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let (devices, page_info) = page.paginate(all, |d| d.name.clone())?;
    let items: Vec<DeviceView> = devices.iter().map(DeviceView::from).collect();
    Ok(Json(ListResponse {
        mfa_devices: items,
        page_info,
    }))
}
