//! Sign-in for people, shared by IAM v3 tokens (`POST /v3/auth/tokens`) and the console
//! (`POST /console/api/sign-in`): the account's password and login policies, new passwords
//! checked against them, the password + MFA check with lockout, and the tokens both hand out.
//! docs/sign-in.md tells the rules.

use std::net::IpAddr;

use iam_login::{LoginPolicy, PasswordPolicy};
use iam_store::{Account, FailureOutcome, NewPassword, NewToken, Store, StoreError, User};
use secrecy::{ExposeSecret as _, SecretString};
use time::{Duration, OffsetDateTime};

use crate::error::ApiError;
use crate::state::AppState;

/// How long a v3 token is valid (Huawei: 24 hours).
pub const TOKEN_LIFETIME: Duration = Duration::hours(24);
/// The longest a console session lives, however active (then the user signs in again).
pub const CONSOLE_LIFETIME: Duration = Duration::hours(12);
/// A console session's last-use time is written at most this often.
pub const TOUCH_INTERVAL: Duration = Duration::seconds(30);

/// An account's policies, with the defaults where none was set.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// Password rules.
    pub password: PasswordPolicy,
    /// Lockout, session timeout, address allow-lists.
    pub login: LoginPolicy,
}

/// The account's password and login policies.
pub async fn policies(store: &Store, account_id: &str) -> Result<Policies, ApiError> {
    let stored = store.security_policies(account_id).await?;
    // stored JSON was validated before it was written; unreadable text is an internal error
    let password = match stored.password_policy {
        Some(text) => serde_json::from_str(&text).map_err(ApiError::internal)?,
        None => PasswordPolicy::default(),
    };
    let login = match stored.login_policy {
        Some(text) => serde_json::from_str(&text).map_err(ApiError::internal)?,
        None => LoginPolicy::default(),
    };
    Ok(Policies { password, login })
}

/// Argon2 runs at most this many at once (each takes 19 MiB and tens of milliseconds on purpose):
/// a flood of sign-ins waits here instead of exhausting memory and threads.
fn kdf_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cpus.clamp(1, 8))
    })
}

/// How long a sign-in waits for a turn before the server answers that it is busy.
const KDF_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs one Argon2 computation off the async workers, in turn.
async fn kdf<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let permit = tokio::time::timeout(KDF_WAIT, kdf_permits().acquire())
        .await
        .map_err(|_| {
            ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                crate::error::code::BUSY,
                "Too many sign-ins at once: try again in a few seconds.",
            )
        })?
        .map_err(ApiError::internal)?;
    let out = tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?;
    drop(permit);
    Ok(out)
}

/// Hashes a password (Argon2id), in turn.
pub async fn hash_password(password: &str) -> Result<String, ApiError> {
    let password = SecretString::from(password.to_owned());
    kdf(move || iam_login::password::hash(password.expose_secret()))
        .await?
        .map_err(ApiError::internal)
}

/// Verifies a password against a stored hash, in turn.
pub async fn verify_password(stored: &str, password: &str) -> Result<bool, ApiError> {
    let stored = stored.to_owned();
    let password = SecretString::from(password.to_owned());
    kdf(move || iam_login::password::verify(&stored, password.expose_secret())).await
}

/// A new password for `user`, checked against the account's password policy: the rules, and
/// for a change (`changing`) reuse of the last `password_reuse_prevention` passwords (the
/// current one included). 400 with what is wrong.
pub async fn new_password(
    store: &Store,
    user: &User,
    password: &str,
    reset_required: bool,
    changing: bool,
) -> Result<NewPassword, ApiError> {
    let policy = policies(store, &user.account_id).await?.password;
    policy
        .check(password, &user.name)
        .map_err(|e| ApiError::bad_request(format!("invalid password: {e}")))?;
    if changing && policy.password_reuse_prevention > 0 {
        let mut previous = Vec::new();
        if let Some(p) = store.login_profile(&user.id).await? {
            previous.push(p.password_hash);
        }
        previous.extend(
            store
                .password_history(&user.id, policy.password_reuse_prevention.saturating_sub(1))
                .await?,
        );
        for old in previous
            .iter()
            .take(policy.password_reuse_prevention as usize)
        {
            if verify_password(old, password).await? {
                return Err(ApiError::bad_request(format!(
                    "invalid password: it is one of the last {} passwords of the user (password_reuse_prevention)",
                    policy.password_reuse_prevention
                )));
            }
        }
    }
    let expires = (policy.password_validity_period > 0).then(|| {
        OffsetDateTime::now_utc() + Duration::days(i64::from(policy.password_validity_period))
    });
    Ok(NewPassword {
        password_hash: hash_password(password).await?,
        password_reset_required: reset_required,
        password_expires_at: expires,
    })
}

/// Why a sign-in failed. Each has Huawei's message; none tells an unknown user from a wrong
/// password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown account or user, disabled user, no password, or a wrong password.
    BadCredentials,
    /// The user has an enabled MFA device and no code was given.
    MfaRequired,
    /// The code is wrong, or was used already.
    BadMfaCode,
    /// Too many failures: locked until then.
    Locked(String),
    /// The address is outside the account's login policy allow-lists.
    AddressRefused,
}

impl Refusal {
    /// The message for people.
    pub fn message(&self) -> String {
        match self {
            Refusal::BadCredentials => "The username or password is wrong.".to_owned(),
            Refusal::MfaRequired => {
                "The user has a virtual MFA device: a verification code is required.".to_owned()
            }
            Refusal::BadMfaCode => "The verification code is wrong or was already used.".to_owned(),
            Refusal::Locked(until) => format!(
                "The user is locked after too many failed sign-ins; try again after {until}."
            ),
            Refusal::AddressRefused => {
                "Sign-in from this address is not allowed by the account's login policy.".to_owned()
            }
        }
    }
}

/// Who signed in, and how.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub account: Account,
    /// The user.
    pub user: User,
    /// When MFA was verified, if the user has MFA.
    pub mfa_at: Option<OffsetDateTime>,
    /// The user must change the password before doing anything else (the profile says so,
    /// or the password expired).
    pub password_reset_required: bool,
    /// The sign-in before this one.
    pub previous_login: Option<String>,
    /// The password hash the sign-in verified: its token is stored only while it is still the
    /// user's (a password change meanwhile means no token).
    pub password_hash: SecretString,
}

/// The password (and, when the user has an enabled virtual MFA device, TOTP) check of a
/// sign-in, with the account's login policy: address allow-lists, lockout after
/// `login_failed_times` failures within `period_with_login_failures`.
pub async fn sign_in(
    state: &AppState,
    account_name: &str,
    user_name: &str,
    password: &str,
    mfa_code: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Result<SignedIn, Refusal>, ApiError> {
    let store = state.store();
    let now = OffsetDateTime::now_utc();
    let account = match store.get_account_by_name(account_name).await {
        Ok(account) => Some(account),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let Some(account) = account else {
        // the same work as a wrong password: no timing difference tells who exists
        verify_password(iam_login::password::decoy(), password).await?;
        return Ok(Err(Refusal::BadCredentials));
    };
    // the account's address allow-lists apply before anything about the user is looked at,
    // so from outside them no answer tells a user name from another
    let policies = policies(store, &account.id).await?;
    if let Some(ip) = ip
        && !policies.login.allows_address(ip)
    {
        return Ok(Err(Refusal::AddressRefused));
    }
    let user = match store.get_user_by_name(&account.id, user_name).await {
        Ok(user) => user,
        Err(StoreError::NotFound { .. }) => {
            verify_password(iam_login::password::decoy(), password).await?;
            return Ok(Err(Refusal::BadCredentials));
        }
        Err(e) => return Err(e.into()),
    };
    let remaining = reserve(store, &user.id, &policies.login, now).await?;
    let failed = |refusal: Refusal| match &remaining {
        FailureOutcome::Last(until) => Refusal::Locked(until.clone()),
        _ => refusal,
    };
    if let FailureOutcome::Locked(until) = &remaining {
        return Ok(Err(Refusal::Locked(until.clone())));
    }
    let profile = store.login_profile(&user.id).await?;
    let stored = profile
        .as_ref()
        .map_or(iam_login::password::decoy(), |p| p.password_hash.as_str());
    let password_ok = verify_password(stored, password).await? && profile.is_some();
    let Some(profile) = profile.filter(|_| password_ok && user.enabled) else {
        return Ok(Err(failed(Refusal::BadCredentials)));
    };
    let mut mfa_at = None;
    let devices = store.mfa_devices(&account.id, Some(&user.id)).await?;
    if let Some(device) = devices.iter().find(|d| d.enabled) {
        let Some(code) = mfa_code.filter(|c| !c.is_empty()) else {
            // counted like a failure until a sign-in with the code succeeds
            return Ok(Err(failed(Refusal::MfaRequired)));
        };
        if !check_code(store, &device.serial_number, code, now).await? {
            return Ok(Err(failed(Refusal::BadMfaCode)));
        }
        mfa_at = Some(now);
    }
    let expired = profile
        .password_expires_at
        .as_deref()
        .and_then(crate::auth::parse_rfc3339)
        .is_some_and(|e| e <= now);
    let previous_login = store.record_login_success(&user.id, now).await?;
    Ok(Ok(SignedIn {
        password_reset_required: expired || profile.password_reset_required,
        password_hash: SecretString::from(profile.password_hash.clone()),
        account,
        user,
        mfa_at,
        previous_login,
    }))
}

/// Reserves a sign-in attempt of `user` (counted as a failure until a success clears it), with
/// the login policy's window, limit and lockout.
pub async fn reserve(
    store: &Store,
    user_id: &str,
    login: &LoginPolicy,
    now: OffsetDateTime,
) -> Result<FailureOutcome, ApiError> {
    Ok(store
        .reserve_login_attempt(
            user_id,
            now,
            Duration::minutes(i64::from(login.period_with_login_failures)),
            login.login_failed_times,
            Duration::minutes(i64::from(login.lockout_duration)),
        )
        .await?)
}

/// Whether `code` is the device's current code, not used before (each step is accepted once).
pub async fn check_code(
    store: &Store,
    serial_number: &str,
    code: &str,
    now: OffsetDateTime,
) -> Result<bool, ApiError> {
    let Some((_, seed, last_step)) = store.mfa_device_seed(serial_number).await? else {
        return Ok(false);
    };
    let unix = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let step =
        iam_login::totp::verify(seed.expose_secret(), code, unix).map_err(ApiError::internal)?;
    let Some(step) = step.and_then(|s| i64::try_from(s).ok()) else {
        return Ok(false);
    };
    if step <= last_step {
        return Ok(false);
    }
    Ok(store.use_mfa_step(serial_number, step).await?)
}

/// A new token: `MII` (as Huawei's tokens begin) and 64 random bytes in URL-safe base64.
pub fn new_token() -> Result<SecretString, ApiError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 64];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(SecretString::from(format!(
        "MII{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )))
}

/// Issues a token for a sign-in (or a console session when `csrf` is given): stored by hash.
pub async fn issue(
    store: &Store,
    who: &SignedIn,
    methods: Vec<String>,
    project_id: Option<String>,
    lifetime: Duration,
    csrf: Option<SecretString>,
) -> Result<(SecretString, NewToken), ApiError> {
    let token = new_token()?;
    let now = OffsetDateTime::now_utc();
    let t = NewToken {
        token: token.clone(),
        account_id: who.account.id.clone(),
        user_id: who.user.id.clone(),
        methods,
        project_id,
        issued_at: now,
        expires_at: now + lifetime,
        mfa_authn_at: who.mfa_at,
        password_reset_required: who.password_reset_required,
        csrf_token: csrf,
        requires: iam_store::TokenRequirement::PasswordHash(
            who.password_hash.expose_secret().to_owned(),
        ),
    };
    store.create_token(&t).await?;
    Ok((token, t))
}
