//! Data upgrades that SQL migrations cannot do alone: the `name_key` of rows written before
//! migration 0002 (the key needs Unicode normalization, which SQLite lacks).

use crate::error::Result;
use crate::names::{NameKind, name_key};
use crate::{Store, Tx};

/// Marks the key of a legacy row whose name collides with an older one's key; never part of a
/// name (every character set refuses control characters), so such keys collide with nothing.
const LEGACY_MARK: char = '\u{1}';

const TABLES: [(NameKind, &str); 4] = [
    (NameKind::User, "users"),
    (NameKind::Group, "groups"),
    (NameKind::Agency, "agencies"),
    (NameKind::Policy, "policies"),
];

/// A name kept from before the look-alike rule that collides with an older name of the same kind
/// and account (`Alice` and `alice`). It keeps its name; renaming it is the operator's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookalikeName {
    /// The kind of entity.
    pub kind: NameKind,
    /// Its id.
    pub id: String,
    /// Its account (`None`: a system policy).
    pub account_id: Option<String>,
    /// Its name.
    pub name: String,
}

/// Fills `name_key` where it is NULL, oldest row first (system groups, created with their key,
/// always hold theirs). A row whose key an older row already holds gets `<key>\u{1}<id>`: it
/// keeps its name and collides with nothing, while the older row's key still refuses every new
/// look-alike. Idempotent; runs at every open.
pub(crate) async fn fill_name_keys(tx: &mut Tx) -> Result<u64> {
    let mut filled = 0;
    for (_, table) in TABLES {
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(sqlf!(
            "SELECT id, account_id, name FROM {table} WHERE name_key IS NULL \
             ORDER BY created_at, id"
        ))
        .fetch_all(&mut **tx)
        .await?;
        for (id, account_id, name) in rows {
            let key = name_key(&name);
            let taken: Option<(i64,)> = sqlx::query_as(sqlf!(
                "SELECT 1 FROM {table} WHERE COALESCE(account_id, '') = COALESCE($1, '') \
                 AND name_key = $2"
            ))
            .bind(account_id.as_deref())
            .bind(&key)
            .fetch_optional(&mut **tx)
            .await?;
            let key = if taken.is_some() {
                format!("{key}{LEGACY_MARK}{id}")
            } else {
                key
            };
            sqlx::query(sqlf!("UPDATE {table} SET name_key = $1 WHERE id = $2"))
                .bind(key)
                .bind(&id)
                .execute(&mut **tx)
                .await?;
            filled += 1;
        }
    }
    Ok(filled)
}

impl Store {
    /// Names kept from before the look-alike rule that collide with an older name (see
    /// [`LookalikeName`]); the server logs them at start.
    pub async fn lookalike_names(&self) -> Result<Vec<LookalikeName>> {
        let mut out = Vec::new();
        // Only SQLite data directories can predate the look-alike rule.
        if !matches!(self.backend(), crate::Backend::Sqlite { .. }) {
            return Ok(out);
        }
        for (kind, table) in TABLES {
            let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(sqlf!(
                "SELECT id, account_id, name FROM {table} WHERE instr(name_key, char(1)) > 0 \
                 ORDER BY account_id, created_at, id"
            ))
            .fetch_all(self.reader())
            .await?;
            out.extend(
                rows.into_iter()
                    .map(|(id, account_id, name)| LookalikeName {
                        kind,
                        id,
                        account_id,
                        name,
                    }),
            );
        }
        Ok(out)
    }
}
