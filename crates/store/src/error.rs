//! Typed store errors. Messages are safe to show to API callers: they name the input in
//! backticks and never contain secrets or SQL.

/// Every failure the store reports. The store never panics on bad input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The entity does not exist.
    #[error("{kind} `{id}` not found")]
    NotFound {
        /// What kind of entity (`user`, `policy`, ...).
        kind: &'static str,
        /// The id or name looked up.
        id: String,
    },
    /// The write conflicts with existing state (duplicate name, entity still in use, ...).
    #[error("{kind} conflict: {detail}")]
    Conflict {
        /// What kind of entity.
        kind: &'static str,
        /// Why.
        detail: String,
    },
    /// The entity is built in and cannot be changed this way (the system `admin` group, the root
    /// user's membership of it), whoever asks.
    #[error("{kind} cannot be modified: {detail}")]
    Unmodifiable {
        /// What kind of entity.
        kind: &'static str,
        /// Why.
        detail: String,
    },
    /// A count limit (keys per user, versions per policy, attachments ...) would be exceeded.
    #[error("limit exceeded: at most {limit} {what}")]
    LimitExceeded {
        /// What is limited.
        what: &'static str,
        /// The limit.
        limit: u32,
    },
    /// An input is malformed (name pattern, length, range ...).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The master key is missing, malformed, or not the one the data directory was created with.
    #[error("master key: {0}")]
    MasterKey(String),
    /// A stored secret could not be decrypted (tampered row or wrong key).
    #[error("stored secret for `{0}` could not be decrypted")]
    Decrypt(String),
    /// File-system error on the data directory.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// Database error (details are kept as the source, not in the message).
    #[error("internal database error")]
    Database(#[source] sqlx::Error),
    /// A [`crate::WriteTx`] was used after one of its writes stopped half-way (its future was
    /// dropped): the transaction can only be dropped.
    #[error("transaction: {0}")]
    Transaction(&'static str),
    /// The database cannot be reached now (PostgreSQL down or unreachable, no connection free
    /// within the pool's timeout): nothing was written; try again later.
    #[error("the database is unavailable; nothing was changed, try again shortly")]
    Unavailable(#[source] sqlx::Error),
    /// Schema migration failed.
    #[error("schema migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Conflict {
                    kind: "entity",
                    detail: "an entity with the same key already exists".into(),
                };
            }
            if db.is_foreign_key_violation() {
                return StoreError::Conflict {
                    kind: "entity",
                    detail: "the entity is referenced by or refers to another entity".into(),
                };
            }
        }
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            e => StoreError::Database(e),
        }
    }
}

impl StoreError {
    pub(crate) fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            kind,
            id: id.into(),
        }
    }
    pub(crate) fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        StoreError::Conflict {
            kind,
            detail: detail.into(),
        }
    }
    pub(crate) fn unmodifiable(kind: &'static str, detail: impl Into<String>) -> Self {
        StoreError::Unmodifiable {
            kind,
            detail: detail.into(),
        }
    }
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            reason: reason.into(),
        }
    }
    pub(crate) fn limit(what: &'static str, limit: u32) -> Self {
        StoreError::LimitExceeded { what, limit }
    }
}

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
