//! Sign-in for people: login profiles (password hashes), the account's password and login
//! policies (JSON the server validated), virtual MFA devices (seeds encrypted with the master
//! key), sign-in counters and lockout, and IAM v3 tokens (console sessions among them).
//!
//! Profiles, policies and MFA devices are entity writes (one transaction, a revision bump).
//! Counters, tokens and the TOTP step in use change on every sign-in or request: they are
//! written on the writer connection without a revision bump, like the decision log.

use crate::error::{Result, StoreError};
use crate::util;
use crate::{Conn, Store, WriteTx};
use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

/// How many previous password hashes are kept (the policy's reuse prevention goes to 24).
pub const PASSWORD_HISTORY: i64 = 24;

/// A user's password: the hash and its dates.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginProfile {
    /// The user.
    pub user_id: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// The user must change the password at the next sign-in.
    #[sqlx(try_from = "util::Flag")]
    pub password_reset_required: bool,
    /// When the password was set.
    pub password_changed_at: String,
    /// When it expires (`None`: never).
    pub password_expires_at: Option<String>,
    /// When the profile was created.
    pub created_at: String,
}

impl std::fmt::Debug for LoginProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProfile")
            .field("user_id", &self.user_id)
            .field("password_hash", &"<redacted>")
            .field("password_reset_required", &self.password_reset_required)
            .field("password_changed_at", &self.password_changed_at)
            .field("password_expires_at", &self.password_expires_at)
            .finish()
    }
}

/// A new password for [`Store::create_login_profile`] / [`Store::set_password`].
#[derive(Clone)]
pub struct NewPassword {
    /// Argon2id PHC string (the server hashes; the store never sees the password).
    pub password_hash: String,
    /// Whether the user must change it at the next sign-in.
    pub password_reset_required: bool,
    /// Expiry, from the password policy's validity period.
    pub password_expires_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPassword")
            .field("password_hash", &"<redacted>")
            .field("password_reset_required", &self.password_reset_required)
            .field("password_expires_at", &self.password_expires_at)
            .finish()
    }
}

/// An account's password and login policies as stored JSON (`None`: the defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityPolicies {
    /// Password policy JSON.
    pub password_policy: Option<String>,
    /// Login policy JSON.
    pub login_policy: Option<String>,
}

/// A virtual MFA device (without its seed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MfaDevice {
    /// `iam:<account-id>:mfa/<name>`.
    pub serial_number: String,
    /// Account.
    pub account_id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// Device name.
    pub name: String,
    /// Bound (enabled): sign-in asks for its code.
    #[sqlx(try_from = "util::Flag")]
    pub enabled: bool,
    /// Creation time.
    pub created_at: String,
}

/// A user's sign-in counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginState {
    /// Failed sign-ins in the current window.
    pub failures: i64,
    /// Start of the current counting window.
    pub window_start: Option<String>,
    /// Locked until then.
    pub locked_until: Option<String>,
    /// Last successful sign-in.
    pub last_login_at: Option<String>,
}

/// An IAM v3 token or console session, as stored (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Token {
    /// SHA-256 (hex) of the token.
    pub token_hash: String,
    /// Account.
    pub account_id: String,
    /// User.
    pub user_id: String,
    /// Authentication methods, comma-separated (`password`, `totp`, `token`).
    pub methods: String,
    /// Project scope (`None`: the domain).
    pub project_id: Option<String>,
    /// Issue time.
    pub issued_at: String,
    /// Expiry.
    pub expires_at: String,
    /// When MFA was verified, if it was.
    pub mfa_authn_at: Option<String>,
    /// Issued while the user must change the password: only that is allowed.
    #[sqlx(try_from = "util::Flag")]
    pub password_reset_required: bool,
    /// A console session (a cookie, with a CSRF token).
    #[sqlx(try_from = "util::Flag")]
    pub console: bool,
    /// SHA-256 (hex) of the console session's CSRF token.
    pub csrf_hash: Option<String>,
    /// Last use (console sessions: the idle timeout counts from it).
    pub last_used_at: String,
}

/// Input of [`Store::create_token`].
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token; only its hash is stored.
    pub token: SecretString,
    /// Account.
    pub account_id: String,
    /// User.
    pub user_id: String,
    /// Methods.
    pub methods: Vec<String>,
    /// Project scope.
    pub project_id: Option<String>,
    /// Issue time.
    pub issued_at: OffsetDateTime,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// MFA verification time.
    pub mfa_authn_at: Option<OffsetDateTime>,
    /// Password change pending.
    pub password_reset_required: bool,
    /// For a console session: its CSRF token (only its hash is stored).
    pub csrf_token: Option<SecretString>,
    /// What must still hold when the token is stored (checked in the same statement).
    pub requires: TokenRequirement,
}

/// What must still hold when a token is stored: a password change or a revocation that
/// happened while the sign-in was being checked means no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequirement {
    /// Nothing.
    Nothing,
    /// The user's password is still this hash (the one the sign-in verified).
    PasswordHash(String),
    /// This token (the hash of the one being re-scoped) still exists.
    Parent(String),
}

/// What reserving a sign-in attempt found ([`Store::reserve_login_attempt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Reserved; this many attempts remain in the window after this one.
    Counted(u32),
    /// Reserved, and it was the last of the window: unless it succeeds, the user is locked
    /// until then.
    Last(String),
    /// Refused: the user is locked until then.
    Locked(String),
}

const PROFILE_COLS: &str = "user_id, password_hash, password_reset_required, password_changed_at, \
     password_expires_at, created_at";
const MFA_COLS: &str = "serial_number, account_id, user_id, name, enabled, created_at";
const TOKEN_COLS: &str = "token_hash, account_id, user_id, methods, project_id, issued_at, \
     expires_at, mfa_authn_at, password_reset_required, console, csrf_hash, last_used_at";

/// SHA-256 (hex) of a token, the key tokens are stored and found under.
pub fn token_hash(token: &str) -> String {
    util::sha256_hex(token)
}

fn ts(t: OffsetDateTime) -> String {
    util::format_timestamp(t)
}

fn parse_ts(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

async fn user_account(tx: &mut crate::Tx, user_id: &str) -> Result<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT account_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.0)
        .ok_or_else(|| StoreError::not_found("user", user_id))
}

async fn fetch_profile(tx: &mut crate::Tx, user_id: &str) -> Result<LoginProfile> {
    sqlx::query_as::<_, LoginProfile>(sqlf!(
        "SELECT {PROFILE_COLS} FROM login_profiles WHERE user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("login profile", user_id))
}

impl Conn<'_> {
    async fn create_login_profile(
        &mut self,
        user_id: &str,
        p: &NewPassword,
    ) -> Result<LoginProfile> {
        let tx = &mut *self.tx;
        user_account(tx, user_id).await?;
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT user_id FROM login_profiles WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::conflict(
                "login profile",
                "the user already has a login profile (change the password with PUT)",
            ));
        }
        let now = util::now();
        sqlx::query(
            "INSERT INTO login_profiles (user_id, password_hash, password_reset_required, \
             password_changed_at, password_expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $4)",
        )
        .bind(user_id)
        .bind(&p.password_hash)
        .bind(util::flag(p.password_reset_required))
        .bind(&now)
        .bind(p.password_expires_at.map(ts))
        .execute(&mut **tx)
        .await?;
        fetch_profile(tx, user_id).await
    }

    async fn set_password(&mut self, user_id: &str, p: &NewPassword) -> Result<LoginProfile> {
        let tx = &mut *self.tx;
        let cur = fetch_profile(tx, user_id).await?;
        // a sign-in checking the old password waits, then finds the new one (create_token)
        lock_login_state(tx, user_id).await?;
        let next: (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM password_history WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO password_history (user_id, password_hash, changed_at, seq) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(&cur.password_hash)
        .bind(&cur.password_changed_at)
        .bind(next.0)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM password_history WHERE user_id = $1 AND seq <= $2")
            .bind(user_id)
            .bind(next.0 - PASSWORD_HISTORY)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE login_profiles SET password_hash = $2, password_reset_required = $3, \
             password_changed_at = $4, password_expires_at = $5 WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(&p.password_hash)
        .bind(util::flag(p.password_reset_required))
        .bind(util::now())
        .bind(p.password_expires_at.map(ts))
        .execute(&mut **tx)
        .await?;
        // Huawei: changing the password invalidates the user's tokens
        sqlx::query("DELETE FROM tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        fetch_profile(tx, user_id).await
    }

    async fn set_password_reset_required(
        &mut self,
        user_id: &str,
        required: bool,
    ) -> Result<LoginProfile> {
        let tx = &mut *self.tx;
        fetch_profile(tx, user_id).await?;
        lock_login_state(tx, user_id).await?;
        sqlx::query("UPDATE login_profiles SET password_reset_required = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(util::flag(required))
            .execute(&mut **tx)
            .await?;
        if required {
            // the next sign-in gets a token that may only change the password
            sqlx::query("DELETE FROM tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut **tx)
                .await?;
        }
        fetch_profile(tx, user_id).await
    }

    async fn delete_login_profile(&mut self, user_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        fetch_profile(tx, user_id).await?;
        lock_login_state(tx, user_id).await?;
        for sql in [
            "DELETE FROM login_profiles WHERE user_id = $1",
            "DELETE FROM password_history WHERE user_id = $1",
            // without a password the user cannot sign in, nor go on with a session
            "DELETE FROM tokens WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn put_security_policies(
        &mut self,
        account_id: &str,
        p: &SecurityPolicies,
    ) -> Result<()> {
        let tx = &mut *self.tx;
        sqlx::query(
            "INSERT INTO security_policies (account_id, password_policy, login_policy, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET \
             password_policy = excluded.password_policy, login_policy = excluded.login_policy, \
             updated_at = excluded.updated_at",
        )
        .bind(account_id)
        .bind(&p.password_policy)
        .bind(&p.login_policy)
        .bind(util::now())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn create_mfa_device(
        &mut self,
        user_id: &str,
        name: &str,
        seed: &SecretString,
    ) -> Result<MfaDevice> {
        use secrecy::ExposeSecret as _;
        util::check_len("virtual_mfa_device_name", name, 1, 64)?;
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(StoreError::invalid(
                "virtual_mfa_device_name",
                format!("character `{c}` is not allowed (allowed: letters, digits, `_`, `-`)"),
            ));
        }
        let tx = &mut *self.tx;
        let account_id = user_account(tx, user_id).await?;
        let has: Option<(String,)> =
            sqlx::query_as("SELECT serial_number FROM mfa_devices WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((serial,)) = has {
            return Err(StoreError::conflict(
                "virtual MFA device",
                format!(
                    "the user already has the virtual MFA device `{serial}` (a user has at most one; delete it first)"
                ),
            ));
        }
        let serial = format!("iam:{account_id}:mfa/{name}");
        let taken: Option<(String,)> =
            sqlx::query_as("SELECT serial_number FROM mfa_devices WHERE serial_number = $1")
                .bind(&serial)
                .fetch_optional(&mut **tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::conflict(
                "virtual MFA device",
                format!("the name `{name}` is taken in this account"),
            ));
        }
        let (nonce, ct) = self
            .store
            .key()
            .encrypt(&serial, seed.expose_secret().as_bytes())?;
        sqlx::query(
            "INSERT INTO mfa_devices (serial_number, account_id, user_id, name, seed_nonce, \
             seed_ciphertext, enabled, last_step, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7)",
        )
        .bind(&serial)
        .bind(&account_id)
        .bind(user_id)
        .bind(name)
        .bind(nonce)
        .bind(ct)
        .bind(util::now())
        .execute(&mut **tx)
        .await?;
        fetch_mfa(tx, &serial).await
    }

    async fn set_mfa_device_enabled(
        &mut self,
        user_id: &str,
        serial_number: &str,
        enabled: bool,
        step: i64,
    ) -> Result<MfaDevice> {
        let tx = &mut *self.tx;
        let dev = fetch_mfa(tx, serial_number).await?;
        if dev.user_id != user_id {
            return Err(StoreError::not_found("virtual MFA device", serial_number));
        }
        sqlx::query(
            "UPDATE mfa_devices SET enabled = $2, last_step = CASE WHEN last_step > $3 THEN last_step ELSE $3 END \
             WHERE serial_number = $1",
        )
        .bind(serial_number)
        .bind(util::flag(enabled))
        .bind(step)
        .execute(&mut **tx)
        .await?;
        fetch_mfa(tx, serial_number).await
    }

    async fn delete_mfa_device(&mut self, user_id: &str, serial_number: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let dev = fetch_mfa(tx, serial_number).await?;
        if dev.user_id != user_id {
            return Err(StoreError::not_found("virtual MFA device", serial_number));
        }
        if dev.enabled {
            return Err(StoreError::conflict(
                "virtual MFA device",
                "the device is enabled; disable it (POST /v5/mfa-devices/disable) before deleting it",
            ));
        }
        sqlx::query("DELETE FROM mfa_devices WHERE serial_number = $1")
            .bind(serial_number)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Makes sure the user's `login_states` row exists and holds its lock until `tx` ends, so the
/// read-modify-write of the sign-in counters that follows is not interleaved with another one:
/// on PostgreSQL, where transactions of several connections (and replicas) run at once, the
/// `UPDATE` takes the row lock; on SQLite the single writer already serialises them.
async fn lock_login_state(tx: &mut crate::Tx, user_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_states (user_id, failures) VALUES ($1, 0) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE login_states SET failures = failures WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn fetch_mfa(tx: &mut crate::Tx, serial: &str) -> Result<MfaDevice> {
    sqlx::query_as::<_, MfaDevice>(sqlf!(
        "SELECT {MFA_COLS} FROM mfa_devices WHERE serial_number = $1"
    ))
    .bind(serial)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("virtual MFA device", serial))
}

store_writes! {
    /// Gives a user a password (a login profile). Conflict if the user has one.
    fn create_login_profile(user_id: &str, p: &NewPassword) -> LoginProfile;
    /// Changes a user's password: the old hash goes to the history (the newest
    /// [`PASSWORD_HISTORY`] kept) and the user's tokens and console sessions end.
    fn set_password(user_id: &str, p: &NewPassword) -> LoginProfile;
    /// Sets whether the user must change the password at the next sign-in (requiring it ends
    /// the user's tokens and sessions).
    fn set_password_reset_required(user_id: &str, required: bool) -> LoginProfile;
    /// Removes a user's password (and history); the user's tokens and sessions end.
    fn delete_login_profile(user_id: &str) -> ();
    /// Replaces an account's password and login policies.
    fn put_security_policies(account_id: &str, p: &SecurityPolicies) -> ();
    /// Creates a user's virtual MFA device (not yet enabled) with its seed, encrypted at rest.
    /// A user has at most one; names are unique in the account.
    fn create_mfa_device(user_id: &str, name: &str, seed: &SecretString) -> MfaDevice;
    /// Enables or disables the user's device; `step` is the last TOTP step used to do it
    /// (never accepted again).
    fn set_mfa_device_enabled(user_id: &str, serial_number: &str, enabled: bool, step: i64) -> MfaDevice;
    /// Deletes the user's device; refused while it is enabled.
    fn delete_mfa_device(user_id: &str, serial_number: &str) -> ();
}

impl Store {
    /// A user's login profile, if the user has one.
    pub async fn login_profile(&self, user_id: &str) -> Result<Option<LoginProfile>> {
        Ok(sqlx::query_as::<_, LoginProfile>(sqlf!(
            "SELECT {PROFILE_COLS} FROM login_profiles WHERE user_id = $1"
        ))
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// The user's previous password hashes, newest first, at most `n`.
    pub async fn password_history(&self, user_id: &str, n: u32) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT password_hash FROM password_history WHERE user_id = $1 \
             ORDER BY seq DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(n))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// An account's password and login policies (`None` members: the defaults).
    pub async fn security_policies(&self, account_id: &str) -> Result<SecurityPolicies> {
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT password_policy, login_policy FROM security_policies WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(row
            .map(|(password_policy, login_policy)| SecurityPolicies {
                password_policy,
                login_policy,
            })
            .unwrap_or_default())
    }

    /// An account's MFA devices, of one user if given, by serial number.
    pub async fn mfa_devices(
        &self,
        account_id: &str,
        user_id: Option<&str>,
    ) -> Result<Vec<MfaDevice>> {
        Ok(sqlx::query_as::<_, MfaDevice>(sqlf!(
            "SELECT {MFA_COLS} FROM mfa_devices WHERE account_id = $1 \
             AND ($2 IS NULL OR user_id = $2) ORDER BY serial_number"
        ))
        .bind(account_id)
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// A device, its decrypted seed and the last step it accepted.
    pub async fn mfa_device_seed(
        &self,
        serial_number: &str,
    ) -> Result<Option<(MfaDevice, SecretString, i64)>> {
        let row: Option<(Vec<u8>, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT seed_nonce, seed_ciphertext, last_step FROM mfa_devices WHERE serial_number = $1",
        )
        .bind(serial_number)
        .fetch_optional(self.reader())
        .await?;
        let Some((nonce, ct, last_step)) = row else {
            return Ok(None);
        };
        let dev = sqlx::query_as::<_, MfaDevice>(sqlf!(
            "SELECT {MFA_COLS} FROM mfa_devices WHERE serial_number = $1"
        ))
        .bind(serial_number)
        .fetch_one(self.reader())
        .await?;
        let pt = self.key().decrypt(serial_number, &nonce, &ct)?;
        let seed = String::from_utf8(pt).map_err(|_| StoreError::Decrypt(serial_number.into()))?;
        Ok(Some((dev, SecretString::from(seed), last_step)))
    }

    /// Records that a TOTP `step` of a device was used; `false` when that step (or a later
    /// one) was used already, so a code is accepted once.
    pub async fn use_mfa_step(&self, serial_number: &str, step: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE mfa_devices SET last_step = $2 WHERE serial_number = $1 AND last_step < $2",
        )
        .bind(serial_number)
        .bind(step)
        .execute(self.writer())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A user's sign-in counters.
    pub async fn login_state(&self, user_id: &str) -> Result<LoginState> {
        Ok(sqlx::query_as::<_, LoginState>(
            "SELECT failures, window_start, locked_until, last_login_at FROM login_states \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?
        .unwrap_or_default())
    }

    /// Reserves one sign-in attempt of a user at `now`, before its password is checked: refused
    /// (`Locked`) while the user is locked; otherwise counted as a failure until
    /// [`Store::record_login_success`] clears the count. Attempts are counted in windows of
    /// `window`; the `max`-th of a window locks the user for `lockout` (that attempt itself goes
    /// on). Counting before checking, in one transaction on the writer, makes a burst of
    /// concurrent attempts get no more than `max` checks per lockout.
    pub async fn reserve_login_attempt(
        &self,
        user_id: &str,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
        lockout: Duration,
    ) -> Result<FailureOutcome> {
        let mut tx = self.writer().begin().await?;
        lock_login_state(&mut tx, user_id).await?;
        let cur: Option<LoginState> = sqlx::query_as(
            "SELECT failures, window_start, locked_until, last_login_at FROM login_states \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let cur = cur.unwrap_or_default();
        if let Some(until) = cur.locked_until.as_deref()
            && parse_ts(until).is_some_and(|u| u > now)
        {
            return Ok(FailureOutcome::Locked(until.to_owned()));
        }
        let in_window = cur
            .window_start
            .as_deref()
            .and_then(parse_ts)
            .is_some_and(|start| now - start < window);
        let (failures, start) = if in_window {
            (
                cur.failures + 1,
                cur.window_start.clone().unwrap_or_default(),
            )
        } else {
            (1, ts(now))
        };
        let outcome = if failures >= i64::from(max) {
            FailureOutcome::Locked(ts(now + lockout))
        } else {
            FailureOutcome::Counted(u32::try_from(i64::from(max) - failures).unwrap_or(0))
        };
        let (failures, start, locked) = match &outcome {
            FailureOutcome::Locked(until) | FailureOutcome::Last(until) => {
                (0, None, Some(until.clone()))
            }
            FailureOutcome::Counted(_) => (failures, Some(start), None),
        };
        sqlx::query(
            "INSERT INTO login_states (user_id, failures, window_start, locked_until) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
             failures = excluded.failures, window_start = excluded.window_start, \
             locked_until = excluded.locked_until",
        )
        .bind(user_id)
        .bind(failures)
        .bind(start)
        .bind(locked)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(match outcome {
            // this attempt took the last one of the window: it is checked, the next ones wait
            FailureOutcome::Locked(until) => FailureOutcome::Last(until),
            other => other,
        })
    }

    /// Records a successful sign-in at `now`: the failure count and lockout are cleared.
    /// Returns the previous sign-in time.
    pub async fn record_login_success(
        &self,
        user_id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let mut tx = self.writer().begin().await?;
        lock_login_state(&mut tx, user_id).await?;
        let prev: Option<(Option<String>,)> =
            sqlx::query_as("SELECT last_login_at FROM login_states WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO login_states (user_id, failures, window_start, locked_until, last_login_at) \
             VALUES ($1, 0, NULL, NULL, $2) ON CONFLICT (user_id) DO UPDATE SET failures = 0, \
             window_start = NULL, locked_until = NULL, last_login_at = excluded.last_login_at",
        )
        .bind(user_id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(prev.and_then(|p| p.0))
    }

    /// Clears a user's failure count (a correct password outside a sign-in: the last sign-in
    /// stays what it was).
    pub async fn clear_login_failures(&self, user_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE login_states SET failures = 0, window_start = NULL, locked_until = NULL \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Stores a new token (its hash), when its [`TokenRequirement`] still holds; `Conflict`
    /// otherwise (the password changed, or the parent token was revoked, meanwhile).
    pub async fn create_token(&self, t: &NewToken) -> Result<()> {
        use secrecy::ExposeSecret as _;
        let (condition, arg) = match &t.requires {
            TokenRequirement::Nothing => ("$12 IS NULL", None),
            TokenRequirement::PasswordHash(h) => (
                "EXISTS (SELECT 1 FROM login_profiles WHERE user_id = $3 AND password_hash = $12)",
                Some(h.clone()),
            ),
            TokenRequirement::Parent(h) => (
                "EXISTS (SELECT 1 FROM tokens WHERE token_hash = $12)",
                Some(h.clone()),
            ),
        };
        // The user's sign-in row lock orders this insert after a password change, a required
        // reset or a deleted profile that committed first (they take the same lock): the
        // condition below then reads what they wrote.
        let mut tx = self.writer().begin().await?;
        lock_login_state(&mut tx, &t.user_id).await?;
        let r = sqlx::query(sqlf!(
            "INSERT INTO tokens ({TOKEN_COLS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $6 \
             WHERE {condition}"
        ))
        .bind(token_hash(t.token.expose_secret()))
        .bind(&t.account_id)
        .bind(&t.user_id)
        .bind(t.methods.join(","))
        .bind(&t.project_id)
        .bind(ts(t.issued_at))
        .bind(ts(t.expires_at))
        .bind(t.mfa_authn_at.map(ts))
        .bind(util::flag(t.password_reset_required))
        .bind(util::flag(t.csrf_token.is_some()))
        .bind(t.csrf_token.as_ref().map(|c| token_hash(c.expose_secret())))
        .bind(arg)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if r.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::conflict(
                "token",
                "the password changed or the token was revoked while signing in; sign in again",
            ))
        }
    }

    /// The stored token whose hash is `hash`.
    pub async fn token(&self, hash: &str) -> Result<Option<Token>> {
        Ok(sqlx::query_as::<_, Token>(sqlf!(
            "SELECT {TOKEN_COLS} FROM tokens WHERE token_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Marks a token used at `now`.
    pub async fn touch_token(&self, hash: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE tokens SET last_used_at = $2 WHERE token_hash = $1")
            .bind(hash)
            .bind(ts(now))
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Revokes a token; `false` if there was none.
    pub async fn delete_token(&self, hash: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM tokens WHERE token_hash = $1")
            .bind(hash)
            .execute(self.writer())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes tokens that expired before `now`; returns how many.
    pub async fn delete_expired_tokens(&self, now: OffsetDateTime) -> Result<u64> {
        let r = sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
            .bind(ts(now))
            .execute(self.writer())
            .await?;
        Ok(r.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewUser;

    async fn user(store: &Store) -> String {
        let (acct, _) = store.create_account("acme").await.unwrap();
        let u = store
            .create_user(
                &acct.id,
                &NewUser {
                    name: "alice".into(),
                    enabled: true,
                    description: String::new(),
                },
            )
            .await
            .unwrap();
        u.id
    }

    fn pw(h: &str) -> NewPassword {
        NewPassword {
            password_hash: h.into(),
            password_reset_required: false,
            password_expires_at: None,
        }
    }

    /// A day's password token `token` for `user_id`, with no requirement.
    fn password_token(token: &str, account_id: &str, user_id: &str) -> NewToken {
        let now = OffsetDateTime::now_utc();
        NewToken {
            token: SecretString::from(token),
            account_id: account_id.to_owned(),
            user_id: user_id.to_owned(),
            methods: vec!["password".into()],
            project_id: None,
            issued_at: now,
            expires_at: now + Duration::hours(24),
            mfa_authn_at: None,
            password_reset_required: false,
            csrf_token: None,
            requires: TokenRequirement::Nothing,
        }
    }

    /// A sign-in that checked the old password and stores its token while the password is
    /// being changed waits for the change and is then refused: the token never outlives the
    /// password it was issued for (on PostgreSQL the two run on different connections).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_of_the_old_password_does_not_survive_a_change_in_flight() {
        let store = crate::testing::store().await.unwrap();
        let id = user(&store).await;
        store.create_login_profile(&id, &pw("h-old")).await.unwrap();
        let acct = store.get_user(&id).await.unwrap().account_id;
        let tok = NewToken {
            requires: TokenRequirement::PasswordHash("h-old".into()),
            ..password_token("racing", &acct, &id)
        };
        let mut change = store.begin().await.unwrap();
        change.set_password(&id, &pw("h-new")).await.unwrap();
        let racer = {
            let store = store.clone();
            tokio::spawn(async move { store.create_token(&tok).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !racer.is_finished(),
            "the token was stored while the password change was in flight"
        );
        change.commit().await.unwrap();
        let stored = racer.await.unwrap();
        assert!(
            matches!(stored, Err(StoreError::Conflict { .. })),
            "{stored:?}"
        );
        assert!(store.token(&token_hash("racing")).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn profiles_keep_history_and_end_tokens() {
        let store = crate::testing::store().await.unwrap();
        let id = user(&store).await;
        store.create_login_profile(&id, &pw("h0")).await.unwrap();
        assert!(matches!(
            store.create_login_profile(&id, &pw("hx")).await,
            Err(StoreError::Conflict { .. })
        ));
        let acct = store.get_user(&id).await.unwrap().account_id;
        let tok = password_token("tok", &acct, &id);
        store.create_token(&tok).await.unwrap();
        // a token whose sign-in checked a password that is no longer the user's is not stored
        let stale = NewToken {
            token: SecretString::from("tok2"),
            requires: TokenRequirement::PasswordHash("h-old".into()),
            ..tok.clone()
        };
        assert!(matches!(
            store.create_token(&stale).await,
            Err(StoreError::Conflict { .. })
        ));
        let child = NewToken {
            token: SecretString::from("tok3"),
            requires: TokenRequirement::Parent(token_hash("gone")),
            ..tok.clone()
        };
        assert!(store.create_token(&child).await.is_err());
        assert!(store.token(&token_hash("tok")).await.unwrap().is_some());
        for i in 1..=30 {
            store
                .set_password(&id, &pw(&format!("h{i}")))
                .await
                .unwrap();
        }
        assert!(store.token(&token_hash("tok")).await.unwrap().is_none());
        let hist = store.password_history(&id, 100).await.unwrap();
        assert_eq!(hist.len(), PASSWORD_HISTORY as usize);
        assert_eq!(hist[0], "h29");
        assert_eq!(
            store
                .login_profile(&id)
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "h30"
        );
        store.delete_login_profile(&id).await.unwrap();
        assert!(store.login_profile(&id).await.unwrap().is_none());
        assert!(store.password_history(&id, 100).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn attempts_are_reserved_lock_and_success_clears() {
        let store = crate::testing::store().await.unwrap();
        let id = user(&store).await;
        let t0 = OffsetDateTime::now_utc();
        let (w, l) = (Duration::minutes(15), Duration::minutes(15));
        for left in [2, 1] {
            assert_eq!(
                store.reserve_login_attempt(&id, t0, w, 3, l).await.unwrap(),
                FailureOutcome::Counted(left)
            );
        }
        // the third attempt is checked; the ones after it wait out the lockout
        assert!(matches!(
            store.reserve_login_attempt(&id, t0, w, 3, l).await.unwrap(),
            FailureOutcome::Last(_)
        ));
        for _ in 0..10 {
            assert!(matches!(
                store.reserve_login_attempt(&id, t0, w, 3, l).await.unwrap(),
                FailureOutcome::Locked(_)
            ));
        }
        // after the lockout a new window starts
        let later = t0 + Duration::minutes(40);
        assert_eq!(
            store
                .reserve_login_attempt(&id, later, w, 3, l)
                .await
                .unwrap(),
            FailureOutcome::Counted(2)
        );
        assert_eq!(store.record_login_success(&id, later).await.unwrap(), None);
        let s = store.login_state(&id).await.unwrap();
        assert_eq!((s.failures, s.locked_until), (0, None));
        assert!(s.last_login_at.is_some());
    }

    #[tokio::test]
    async fn mfa_devices_one_per_user_steps_once() {
        let store = crate::testing::store().await.unwrap();
        let id = user(&store).await;
        let seed = SecretString::from("JBSWY3DPEHPK3PXP");
        let dev = store.create_mfa_device(&id, "phone", &seed).await.unwrap();
        assert!(dev.serial_number.ends_with(":mfa/phone"));
        assert!(store.create_mfa_device(&id, "other", &seed).await.is_err());
        assert!(
            store
                .create_mfa_device(&id, "bad name", &seed)
                .await
                .is_err()
        );
        let (_, got, last) = store
            .mfa_device_seed(&dev.serial_number)
            .await
            .unwrap()
            .unwrap();
        use secrecy::ExposeSecret as _;
        assert_eq!((got.expose_secret(), last), ("JBSWY3DPEHPK3PXP", 0));
        store
            .set_mfa_device_enabled(&id, &dev.serial_number, true, 100)
            .await
            .unwrap();
        assert!(!store.use_mfa_step(&dev.serial_number, 100).await.unwrap());
        assert!(store.use_mfa_step(&dev.serial_number, 101).await.unwrap());
        assert!(!store.use_mfa_step(&dev.serial_number, 101).await.unwrap());
        assert!(matches!(
            store.delete_mfa_device(&id, &dev.serial_number).await,
            Err(StoreError::Conflict { .. })
        ));
        store
            .set_mfa_device_enabled(&id, &dev.serial_number, false, 0)
            .await
            .unwrap();
        store
            .delete_mfa_device(&id, &dev.serial_number)
            .await
            .unwrap();
        assert!(
            store
                .mfa_devices(&dev.account_id, None)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
