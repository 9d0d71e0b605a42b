//! System policies: rows of `policies` that belong to no account (`account_id` NULL,
//! `policy_type` `system`), visible to and attachable by every account, never changed by the
//! entity writes. The store knows no policy language: the server hands it the catalog's system
//! policies at start ([`Store::sync_system_policies`]), and this module makes the stored ones
//! equal to them in one transaction (docs/system-policies.md).

use std::collections::{HashMap, HashSet};

use crate::error::{Result, StoreError};
use crate::util;
use crate::{Conn, Store};

/// Upper bound of a system policy document (they are not subject to the 6,144-byte limit of
/// custom documents; the longest is a few KiB).
const MAX_SYSTEM_DOCUMENT_BYTES: usize = 64 * 1024;

/// One system policy as the server defines it: what [`Store::sync_system_policies`] stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemPolicyRow {
    /// Fixed id, the same in every store: 1-64 of `[A-Za-z0-9-]`.
    pub id: String,
    /// Display name (`ModelArts CommonOperations`): 1-128 characters, no control characters.
    pub name: String,
    /// URN: 16-1500 of `[A-Za-z0-9/=_:-]`.
    pub urn: String,
    /// At most 1,000 characters.
    pub description: String,
    /// The document, as stored (validated by the caller).
    pub document: String,
}

/// What [`Store::sync_system_policies`] changed (ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemPolicySync {
    /// Stored for the first time (version `v1`).
    pub created: Vec<String>,
    /// Name, URN or description replaced, or a new default version holding the new document
    /// (older versions removed; attachments kept).
    pub updated: Vec<String>,
    /// No longer defined and attached to nothing: deleted.
    pub removed: Vec<String>,
    /// No longer defined but still attached: kept as they are until detached.
    pub kept: Vec<String>,
}

impl SystemPolicySync {
    /// True when nothing was changed.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

fn validate(rows: &[SystemPolicyRow]) -> Result<()> {
    let mut ids = HashSet::new();
    let mut keys = HashSet::new();
    for r in rows {
        if r.id.is_empty()
            || r.id.len() > 64
            || !r.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(StoreError::invalid(
                "policy_id",
                format!("`{}` is not 1-64 of [A-Za-z0-9-]", r.id),
            ));
        }
        let n = r.name.chars().count();
        if n == 0 || n > 128 || r.name.chars().any(char::is_control) {
            return Err(StoreError::invalid(
                "policy_name",
                format!("`{}` is not 1-128 characters without controls", r.name),
            ));
        }
        if !(16..=1500).contains(&r.urn.len())
            || !r
                .urn
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/=_:-".contains(&b))
        {
            return Err(StoreError::invalid(
                "urn",
                format!("`{}` is not 16-1500 of [A-Za-z0-9/=_:-]", r.urn),
            ));
        }
        util::validate_description(&r.description)?;
        util::validate_document("policy_document", &r.document, MAX_SYSTEM_DOCUMENT_BYTES)?;
        if !ids.insert(r.id.as_str()) {
            return Err(StoreError::invalid(
                "policy_id",
                format!("`{}` is given twice", r.id),
            ));
        }
        if !keys.insert(crate::names::name_key(&r.name)) {
            return Err(StoreError::invalid(
                "policy_name",
                format!("`{}` is given twice (or a look-alike of it)", r.name),
            ));
        }
    }
    Ok(())
}

/// A stored system policy: id, name, URN, description, default document, attachment count.
type StoredRow = (String, String, Option<String>, String, String, i64);

async fn stored(exec: impl sqlx::AnyExecutor<'_>) -> Result<Vec<StoredRow>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.name, p.urn, p.description, v.document, \
         (SELECT COUNT(*) FROM policy_attachments a WHERE a.policy_id = p.id) \
         FROM policies p JOIN policy_versions v \
         ON v.policy_id = p.id AND v.version = p.default_version \
         WHERE p.account_id IS NULL ORDER BY p.id",
    )
    .fetch_all(exec)
    .await?)
}

/// Whether the stored system policies already equal `rows` (nothing to write).
fn up_to_date(stored: &[StoredRow], rows: &[SystemPolicyRow]) -> bool {
    stored.len() == rows.len()
        && rows.iter().all(|r| {
            stored.iter().any(|(id, name, urn, description, doc, _)| {
                id == &r.id
                    && name == &r.name
                    && urn.as_deref() == Some(r.urn.as_str())
                    && description == &r.description
                    && doc == &r.document
            })
        })
}

impl Store {
    /// Makes the stored system policies exactly `rows`, in one transaction (nothing is written,
    /// and the revision is not bumped, when they already are): a new one is stored with version
    /// `v1` as default; a changed document becomes a new default version (the older versions
    /// are removed, attachments stay); a changed name, URN or description is replaced; one no
    /// longer in `rows` is deleted, or kept while it is attached. Invalid rows (ids, names,
    /// URNs, duplicates) change nothing.
    pub async fn sync_system_policies(&self, rows: &[SystemPolicyRow]) -> Result<SystemPolicySync> {
        validate(rows)?;
        if up_to_date(&stored(self.reader()).await?, rows) {
            return Ok(SystemPolicySync::default());
        }
        let mut tx = self.begin().await?;
        let out = tx.sync_system_policies(rows).await?;
        tx.commit().await?;
        Ok(out)
    }
}

impl crate::WriteTx {
    /// [`Store::sync_system_policies`] inside this transaction.
    pub async fn sync_system_policies(
        &mut self,
        rows: &[SystemPolicyRow],
    ) -> Result<SystemPolicySync> {
        validate(rows)?;
        let out = self.begin_step().await?.sync_system_policies(rows).await;
        self.end_step(out).await
    }
}

impl Conn<'_> {
    async fn sync_system_policies(&mut self, rows: &[SystemPolicyRow]) -> Result<SystemPolicySync> {
        let tx = &mut *self.tx;
        let mut out = SystemPolicySync::default();
        let now = util::now();
        let existing = stored(&mut **tx).await?;
        let wanted: HashMap<&str, &SystemPolicyRow> =
            rows.iter().map(|r| (r.id.as_str(), r)).collect();
        // Removed first, so that a name a removed policy held is free for a new one.
        for (id, .., attachments) in &existing {
            if wanted.contains_key(id.as_str()) {
                continue;
            }
            if *attachments > 0 {
                out.kept.push(id.clone());
                continue;
            }
            sqlx::query("DELETE FROM policies WHERE id = $1 AND account_id IS NULL")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            out.removed.push(id.clone());
        }
        let existing: HashMap<&str, &StoredRow> =
            existing.iter().map(|r| (r.0.as_str(), r)).collect();
        for r in rows {
            let Some(&(_, name, urn, description, doc, _)) = existing.get(r.id.as_str()) else {
                let custom: Option<(String,)> =
                    sqlx::query_as("SELECT account_id FROM policies WHERE id = $1")
                        .bind(&r.id)
                        .fetch_optional(&mut **tx)
                        .await?;
                if custom.is_some() {
                    return Err(StoreError::conflict(
                        "policy",
                        format!("id `{}` is held by a custom policy", r.id),
                    ));
                }
                sqlx::query(
                    "INSERT INTO policies (id, account_id, name, path, policy_type, \
                     default_version, next_version, description, created_at, updated_at, \
                     name_key, urn) \
                     VALUES ($1, NULL, $2, '', 'system', 1, 2, $3, $4, $4, $5, $6)",
                )
                .bind(&r.id)
                .bind(&r.name)
                .bind(&r.description)
                .bind(&now)
                .bind(crate::names::name_key(&r.name))
                .bind(&r.urn)
                .execute(&mut **tx)
                .await?;
                sqlx::query(
                    "INSERT INTO policy_versions (policy_id, version, document, created_at) \
                     VALUES ($1, 1, $2, $3)",
                )
                .bind(&r.id)
                .bind(&r.document)
                .bind(&now)
                .execute(&mut **tx)
                .await?;
                out.created.push(r.id.clone());
                continue;
            };
            let mut changed = false;
            if name != &r.name
                || urn.as_deref() != Some(r.urn.as_str())
                || description != &r.description
            {
                sqlx::query(
                    "UPDATE policies SET name = $1, name_key = $2, urn = $3, description = $4, \
                     updated_at = $5 WHERE id = $6",
                )
                .bind(&r.name)
                .bind(crate::names::name_key(&r.name))
                .bind(&r.urn)
                .bind(&r.description)
                .bind(&now)
                .bind(&r.id)
                .execute(&mut **tx)
                .await?;
                changed = true;
            }
            if doc != &r.document {
                let (next,): (i64,) =
                    sqlx::query_as("SELECT next_version FROM policies WHERE id = $1")
                        .bind(&r.id)
                        .fetch_one(&mut **tx)
                        .await?;
                sqlx::query(
                    "INSERT INTO policy_versions (policy_id, version, document, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&r.id)
                .bind(next)
                .bind(&r.document)
                .bind(&now)
                .execute(&mut **tx)
                .await?;
                sqlx::query(
                    "UPDATE policies SET default_version = $1, next_version = $1 + 1, \
                     updated_at = $2 WHERE id = $3",
                )
                .bind(next)
                .bind(&now)
                .bind(&r.id)
                .execute(&mut **tx)
                .await?;
                sqlx::query("DELETE FROM policy_versions WHERE policy_id = $1 AND version <> $2")
                    .bind(&r.id)
                    .bind(next)
                    .execute(&mut **tx)
                    .await?;
                changed = true;
            }
            if changed {
                out.updated.push(r.id.clone());
            }
        }
        Ok(out)
    }
}
