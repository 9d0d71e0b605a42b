//! Temporary credentials of agency sessions, and ModelArts authorizations.

use crate::error::{Result, StoreError};
use crate::model::{Authorization, CreatedSessionCredential, SessionCredential};
use crate::util;
use crate::{Conn, Store, WriteTx};
use secrecy::SecretString;
use time::OffsetDateTime;

const SESSION_COLS: &str = "access_key_id, account_id, agency_id, session_name, \
     security_token_hash, session_policy, source_identity, tags, caller_urn, created_at, expires_at";

/// Input of [`Store::create_session_credential`] (validated by the STS layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionCredential {
    /// Assumed agency.
    pub agency_id: String,
    /// Session name.
    pub session_name: String,
    /// Session policy document, verbatim.
    pub session_policy: Option<String>,
    /// Source identity.
    pub source_identity: Option<String>,
    /// Session tags as JSON array text (`[]` if none).
    pub tags: String,
    /// Caller URN.
    pub caller_urn: String,
    /// Expiry.
    pub expires_at: OffsetDateTime,
}

impl Store {
    /// For the signature verifier: the session record and decrypted secret (`None` if
    /// unknown). Callers check expiry and compare the token with `security_token_hash`
    /// (see [`Store::security_token_matches`]).
    pub async fn session_credential(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(SessionCredential, SecretString)>> {
        let row: Option<(Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT secret_nonce, secret_ciphertext FROM session_credentials WHERE access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(self.reader())
        .await?;
        let Some((nonce, ct)) = row else {
            return Ok(None);
        };
        let cred: SessionCredential = util::fetch_one(
            self.reader(),
            sqlf!("SELECT {SESSION_COLS} FROM session_credentials WHERE access_key_id = $1"),
            "session credential",
            access_key_id,
        )
        .await?;
        let pt = self.key().decrypt(access_key_id, &nonce, &ct)?;
        let secret =
            String::from_utf8(pt).map_err(|_| StoreError::Decrypt(access_key_id.into()))?;
        Ok(Some((cred, SecretString::from(secret))))
    }

    /// Whether `token` hashes to the stored `security_token_hash` (constant-time compare).
    pub fn security_token_matches(cred: &SessionCredential, token: &str) -> bool {
        let h = util::sha256_hex(token);
        h.len() == cred.security_token_hash.len()
            && h.bytes()
                .zip(cred.security_token_hash.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// Encrypts and authenticates `plaintext` with the master key for `purpose` (bound as
    /// associated data, so a message sealed for one purpose never opens for another). Returns
    /// URL-safe base64 of nonce and ciphertext. Used for STS encoded authorization messages.
    pub fn seal_message(&self, purpose: &str, plaintext: &[u8]) -> Result<String> {
        use base64::Engine as _;
        let (nonce, ct) = self.key().encrypt(purpose, plaintext)?;
        let mut raw = nonce;
        raw.extend_from_slice(&ct);
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
    }

    /// Opens what [`Store::seal_message`] sealed for `purpose`; `StoreError::Decrypt` when the
    /// text is malformed, tampered with, or sealed by another key or for another purpose.
    pub fn open_message(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>> {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed.trim())
            .map_err(|_| StoreError::Decrypt(purpose.to_owned()))?;
        if raw.len() < 12 + 16 {
            return Err(StoreError::Decrypt(purpose.to_owned()));
        }
        let (nonce, ct) = raw.split_at(12);
        self.key().decrypt(purpose, nonce, ct)
    }

    /// Deletes session credentials that expired before `now`; returns how many.
    pub async fn delete_expired_session_credentials(&self, now: OffsetDateTime) -> Result<u64> {
        let mut tx = self.writer().begin().await?;
        let r = sqlx::query("DELETE FROM session_credentials WHERE expires_at < $1")
            .bind(util::format_timestamp(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected())
    }

    /// A project's authorizations.
    pub async fn list_authorizations(&self, project_id: &str) -> Result<Vec<Authorization>> {
        Ok(sqlx::query_as::<_, Authorization>(
            "SELECT project_id, user_key AS user_id, agency_id, created_at FROM authorizations \
             WHERE project_id = $1 ORDER BY created_at, user_key",
        )
        .bind(project_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The agency ModelArts uses for `user_id` in a project: the user's own authorization,
    /// else the `all` one.
    pub async fn authorization_for_user(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> Result<Option<Authorization>> {
        Ok(sqlx::query_as::<_, Authorization>(
            "SELECT project_id, user_key AS user_id, agency_id, created_at FROM authorizations \
             WHERE project_id = $1 AND user_key IN ($2, 'all') \
             ORDER BY CASE WHEN user_key = 'all' THEN 1 ELSE 0 END LIMIT 1",
        )
        .bind(project_id)
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?)
    }
}

// The bodies of the entity writes, run on the open transaction. `store_writes!` below documents
// them and makes them the `WriteTx` methods (each in a savepoint) and the `Store` methods (each
// in a transaction of its own).
impl Conn<'_> {
    async fn create_session_credential(
        &mut self,
        c: &NewSessionCredential,
    ) -> Result<CreatedSessionCredential> {
        util::check_len("agency_session_name", &c.session_name, 1, 128)?;
        util::validate_document(
            "session_policy",
            c.session_policy.as_deref().unwrap_or("x"),
            6144,
        )?;
        let secret = util::new_secret_key()?;
        let token = util::new_security_token()?;
        let tx = &mut *self.tx;
        let row: Option<(String,)> =
            sqlx::query_as("SELECT account_id FROM agencies WHERE id = $1")
                .bind(&c.agency_id)
                .fetch_optional(&mut **tx)
                .await?;
        let (account_id,) = row.ok_or_else(|| StoreError::not_found("agency", &c.agency_id))?;
        let cred = SessionCredential {
            access_key_id: util::new_access_key_id()?,
            account_id,
            agency_id: c.agency_id.clone(),
            session_name: c.session_name.clone(),
            security_token_hash: util::sha256_hex(&token),
            session_policy: c.session_policy.clone(),
            source_identity: c.source_identity.clone(),
            tags: c.tags.clone(),
            caller_urn: c.caller_urn.clone(),
            created_at: util::now(),
            expires_at: util::format_timestamp(c.expires_at),
        };
        let (nonce, ct) = self
            .store
            .key()
            .encrypt(&cred.access_key_id, secret.as_bytes())?;
        sqlx::query(
            "INSERT INTO session_credentials (access_key_id, account_id, agency_id, session_name, \
             secret_nonce, secret_ciphertext, security_token_hash, session_policy, \
             source_identity, tags, caller_urn, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&cred.access_key_id)
        .bind(&cred.account_id)
        .bind(&cred.agency_id)
        .bind(&cred.session_name)
        .bind(nonce)
        .bind(ct)
        .bind(&cred.security_token_hash)
        .bind(&cred.session_policy)
        .bind(&cred.source_identity)
        .bind(&cred.tags)
        .bind(&cred.caller_urn)
        .bind(&cred.created_at)
        .bind(&cred.expires_at)
        .execute(&mut **tx)
        .await?;
        Ok(CreatedSessionCredential {
            credential: cred,
            secret_access_key: SecretString::from(secret),
            security_token: SecretString::from(token),
        })
    }

    async fn put_authorization(
        &mut self,
        project_id: &str,
        user_id: &str,
        agency_id: &str,
    ) -> Result<Authorization> {
        let tx = &mut *self.tx;
        let proj: Option<(String,)> =
            sqlx::query_as("SELECT account_id FROM projects WHERE id = $1")
                .bind(project_id)
                .fetch_optional(&mut **tx)
                .await?;
        let (acct,) = proj.ok_or_else(|| StoreError::not_found("project", project_id))?;
        let ag: Option<(String,)> = sqlx::query_as("SELECT account_id FROM agencies WHERE id = $1")
            .bind(agency_id)
            .fetch_optional(&mut **tx)
            .await?;
        let (ag_acct,) = ag.ok_or_else(|| StoreError::not_found("agency", agency_id))?;
        if ag_acct != acct {
            return Err(StoreError::invalid(
                "agency_id",
                "the agency belongs to another account",
            ));
        }
        if user_id != "all" {
            let u: Option<(String,)> = sqlx::query_as("SELECT account_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
            let (u_acct,) = u.ok_or_else(|| StoreError::not_found("user", user_id))?;
            if u_acct != acct {
                return Err(StoreError::invalid(
                    "user_id",
                    "the user belongs to another account",
                ));
            }
        }
        let a = Authorization {
            project_id: project_id.to_owned(),
            user_id: user_id.to_owned(),
            agency_id: agency_id.to_owned(),
            created_at: util::now(),
        };
        sqlx::query(
            "INSERT INTO authorizations (project_id, user_key, agency_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, user_key) \
             DO UPDATE SET agency_id = excluded.agency_id, created_at = excluded.created_at",
        )
        .bind(&a.project_id)
        .bind(&a.user_id)
        .bind(&a.agency_id)
        .bind(&a.created_at)
        .execute(&mut **tx)
        .await?;
        Ok(a)
    }

    async fn delete_authorization(&mut self, project_id: &str, user_id: &str) -> Result<()> {
        let tx = &mut *self.tx;
        let r = sqlx::query("DELETE FROM authorizations WHERE project_id = $1 AND user_key = $2")
            .bind(project_id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::not_found(
                "authorization",
                format!("{project_id}/{user_id}"),
            ));
        }
        Ok(())
    }
}

store_writes! {
    /// Issues temporary credentials for an agency session: a new access key id, an encrypted
    /// secret, and a security token of which only the SHA-256 is stored.
    fn create_session_credential(c: &NewSessionCredential) -> CreatedSessionCredential;
    /// Sets which agency ModelArts uses for `user_id` (or `"all"` users) in a project,
    /// replacing any previous one.
    fn put_authorization(project_id: &str, user_id: &str, agency_id: &str) -> Authorization;
    /// Removes an authorization (`user_id` or `all`).
    fn delete_authorization(project_id: &str, user_id: &str) -> ();
}
