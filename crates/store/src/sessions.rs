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
    /// For a session a cloud service opens for a user: the authorization it acts under.
    pub grant: Option<ServiceGrant>,
}

/// The ModelArts authorization a service session is issued under, and the user it acts for.
/// Changing or removing that authorization, or deleting the user, revokes the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceGrant {
    /// Project of the authorization.
    pub project_id: String,
    /// Its user key: the user's id, or `all`.
    pub user_key: String,
    /// The user the service acts for.
    pub user_id: String,
}

/// A cloud service's access key, as issued: the only time the secret is handed out.
#[derive(Debug)]
pub struct CreatedServiceCredential {
    /// The service (`service.ModelArts`).
    pub service: String,
    /// Access key id.
    pub access_key_id: String,
    /// The 40-character secret (redacted in `Debug`).
    pub secret_access_key: SecretString,
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

    /// For the signature verifier: the service a service access key belongs to, and its
    /// decrypted secret (`None` if the key is unknown).
    pub async fn service_credential(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(String, SecretString)>> {
        let row: Option<(String, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT service, secret_nonce, secret_ciphertext FROM service_credentials \
             WHERE access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(self.reader())
        .await?;
        let Some((service, nonce, ct)) = row else {
            return Ok(None);
        };
        let pt = self.key().decrypt(access_key_id, &nonce, &ct)?;
        let secret =
            String::from_utf8(pt).map_err(|_| StoreError::Decrypt(access_key_id.into()))?;
        Ok(Some((service, SecretString::from(secret))))
    }

    /// The access key id of a service's credential, if it has one.
    pub async fn service_access_key(&self, service: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT access_key_id FROM service_credentials WHERE service = $1")
                .bind(service)
                .fetch_optional(self.reader())
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// The authorization under which ModelArts may act for `user_id` with `agency_id`: in some
    /// project of the agency's account, the user's own authorization names that agency, or the
    /// user has none there and the `all` one names it. `None` when no tenant administrator
    /// authorized it (or the user is not of the agency's account).
    pub async fn service_grant(
        &self,
        user_id: &str,
        agency_id: &str,
    ) -> Result<Option<Authorization>> {
        Ok(sqlx::query_as::<_, Authorization>(
            "SELECT a.project_id, a.user_key AS user_id, a.agency_id, a.created_at \
             FROM authorizations a \
             JOIN projects p ON p.id = a.project_id \
             JOIN agencies g ON g.id = a.agency_id AND g.account_id = p.account_id \
             JOIN users u ON u.id = $1 AND u.account_id = p.account_id \
             WHERE a.agency_id = $2 AND (a.user_key = $1 OR (a.user_key = 'all' AND NOT EXISTS \
                 (SELECT 1 FROM authorizations b WHERE b.project_id = a.project_id AND b.user_key = $1))) \
             ORDER BY CASE WHEN a.user_key = 'all' THEN 1 ELSE 0 END, a.project_id LIMIT 1",
        )
        .bind(user_id)
        .bind(agency_id)
        .fetch_optional(self.reader())
        .await?)
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
             source_identity, tags, caller_urn, created_at, expires_at, grant_project_id, \
             grant_user_key, acting_for_user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
        .bind(c.grant.as_ref().map(|g| &g.project_id))
        .bind(c.grant.as_ref().map(|g| &g.user_key))
        .bind(c.grant.as_ref().map(|g| &g.user_id))
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
        // Service sessions that would now be issued under another agency are revoked: those
        // under this row, and (for one user's row) those of that user under the `all` row.
        sqlx::query(
            "DELETE FROM session_credentials WHERE grant_project_id = $1 AND agency_id <> $3 \
             AND (grant_user_key = $2 OR ($2 <> 'all' AND acting_for_user_id = $2))",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(agency_id)
        .execute(&mut **tx)
        .await?;
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
        // the service sessions issued under it end with it
        sqlx::query(
            "DELETE FROM session_credentials WHERE grant_project_id = $1 AND grant_user_key = $2",
        )
        .bind(project_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn put_service_credential(&mut self, service: &str) -> Result<CreatedServiceCredential> {
        util::check_len("service", service, 1, 64)?;
        let secret = util::new_secret_key()?;
        let access_key_id = util::new_access_key_id()?;
        let (nonce, ct) = self
            .store
            .key()
            .encrypt(&access_key_id, secret.as_bytes())?;
        let tx = &mut *self.tx;
        sqlx::query("DELETE FROM service_credentials WHERE service = $1")
            .bind(service)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO service_credentials (access_key_id, service, secret_nonce, \
             secret_ciphertext, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&access_key_id)
        .bind(service)
        .bind(nonce)
        .bind(ct)
        .bind(util::now())
        .execute(&mut **tx)
        .await?;
        Ok(CreatedServiceCredential {
            service: service.to_owned(),
            access_key_id,
            secret_access_key: SecretString::from(secret),
        })
    }
}

impl Store {
    /// Issues temporary credentials for an agency session: a new access key id, an encrypted
    /// secret, and a security token of which only the SHA-256 is stored. Not an entity write:
    /// sessions are looked up in the store on first use, never compiled into the snapshot, so
    /// issuing one does not bump the revision (replicas do not rebuild for every session the
    /// gateway issues to a job).
    pub async fn create_session_credential(
        &self,
        c: &NewSessionCredential,
    ) -> Result<CreatedSessionCredential> {
        let mut tx = self.writer().begin().await?;
        let out = Conn {
            tx: &mut tx,
            store: self,
        }
        .create_session_credential(c)
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}

store_writes! {
    /// Sets which agency ModelArts uses for `user_id` (or `"all"` users) in a project,
    /// replacing any previous one; service sessions that would now be issued under another
    /// agency are revoked.
    fn put_authorization(project_id: &str, user_id: &str, agency_id: &str) -> Authorization;
    /// Removes an authorization (`user_id` or `all`), revoking the service sessions issued
    /// under it.
    fn delete_authorization(project_id: &str, user_id: &str) -> ();
    /// Issues a new access key for a cloud service, replacing (revoking) the one it had.
    fn put_service_credential(service: &str) -> CreatedServiceCredential;
}
