//! Copying a whole store into another (`modelarts-iam migrate`): an embedded SQLite store into
//! an empty PostgreSQL one, table by table in one transaction of the target, verified by row
//! counts and checksums computed the same way on both sides.
//!
//! Rows are copied as stored: secrets stay encrypted with the master key, so the target must
//! be opened with the source's key (the key check row is copied too, and a target opened with
//! another key would refuse to start).

use sha2::{Digest as _, Sha256};

use crate::error::{Result, StoreError};
use crate::{Backend, Store, util};

/// Every table of the schema, each after the tables it refers to (the order of the
/// migrations). A test checks that it names every table of the SQLite schema.
pub const TABLES: &[&str] = &[
    "store_meta",
    "key_check",
    "accounts",
    "projects",
    "users",
    "groups",
    "group_members",
    "access_keys",
    "policies",
    "policy_versions",
    "agencies",
    "policy_attachments",
    "organizations",
    "org_roots",
    "org_units",
    "org_accounts",
    "scp_policies",
    "scp_attachments",
    "session_credentials",
    "authorizations",
    "decision_log",
    "service_credentials",
    "enterprise_projects",
    "workspaces",
    "workspace_grants",
    "workspace_quotas",
    "login_profiles",
    "password_history",
    "security_policies",
    "mfa_devices",
    "login_states",
    "tokens",
];

/// The rows a freshly migrated store holds before any account exists (the revision counter,
/// the master key check, the built-in SCP, the system policies a server start adds): replaced
/// by the source's rows.
const SEED_TABLES: &[&str] = &[
    "policy_versions",
    "policies",
    "scp_policies",
    "key_check",
    "store_meta",
];

/// Rows per `INSERT` while copying.
const CHUNK_ROWS: usize = 200;

/// One table's rows on both sides after a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: &'static str,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target after the copy.
    pub target_rows: u64,
    /// SHA-256 (hex) of the source's rows (order-independent).
    pub source_checksum: String,
    /// SHA-256 (hex) of the target's rows.
    pub target_checksum: String,
}

impl TableCopy {
    /// Whether both sides hold the same rows.
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_checksum == self.target_checksum
    }
}

/// A stored value, as both backends hold it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Text,
    Blob,
}

/// The columns of `table` in the SQLite store, with their declared kinds.
async fn columns(source: &Store, table: &str) -> Result<Vec<(String, Kind)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(sqlf!(
        "SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
    ))
    .fetch_all(source.reader())
    .await?;
    if rows.is_empty() {
        return Err(StoreError::invalid(
            "table",
            format!("`{table}` does not exist"),
        ));
    }
    rows.into_iter()
        .map(|(name, ty)| {
            // names are quoted into the target's SQL: only the schema's own kind of name
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(StoreError::invalid(
                    "column",
                    format!("{table} has a column named {name:?}, which no migration creates"),
                ));
            }
            let kind = match ty.to_ascii_uppercase().as_str() {
                "INTEGER" => Kind::Int,
                "TEXT" => Kind::Text,
                "BLOB" => Kind::Blob,
                other => {
                    return Err(StoreError::invalid(
                        "column",
                        format!(
                            "{table}.{name} has the type `{other}`, which the copy does not know"
                        ),
                    ));
                }
            };
            Ok((name, kind))
        })
        .collect()
}

/// Every row of `table` in `store`, each value decoded by its column's kind.
async fn read_rows(store: &Store, table: &str, cols: &[(String, Kind)]) -> Result<Vec<Vec<Value>>> {
    let list = cols
        .iter()
        .map(|(n, _)| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(sqlf!("SELECT {list} FROM {table}"))
        .fetch_all(store.reader())
        .await?;
    rows.iter()
        .map(|row| {
            use sqlx::Row as _;
            cols.iter()
                .enumerate()
                .map(|(i, (_, kind))| {
                    Ok(match kind {
                        Kind::Int => row
                            .try_get::<Option<i64>, _>(i)?
                            .map_or(Value::Null, Value::Int),
                        Kind::Text => row
                            .try_get::<Option<String>, _>(i)?
                            .map_or(Value::Null, Value::Text),
                        Kind::Blob => row
                            .try_get::<Option<Vec<u8>>, _>(i)?
                            .map_or(Value::Null, Value::Blob),
                    })
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect()
}

/// Order-independent checksum of rows: the SHA-256 of the sorted SHA-256s of each row's
/// canonical encoding (a tag and a length before every value).
fn checksum(rows: &[Vec<Value>]) -> String {
    let mut hashes: Vec<[u8; 32]> = rows
        .iter()
        .map(|row| {
            let mut h = Sha256::new();
            for v in row {
                match v {
                    Value::Null => h.update([0u8]),
                    Value::Int(i) => {
                        h.update([1u8]);
                        h.update(i.to_be_bytes());
                    }
                    Value::Text(t) => {
                        h.update([2u8]);
                        h.update((t.len() as u64).to_be_bytes());
                        h.update(t.as_bytes());
                    }
                    Value::Blob(b) => {
                        h.update([3u8]);
                        h.update((b.len() as u64).to_be_bytes());
                        h.update(b);
                    }
                }
            }
            h.finalize().into()
        })
        .collect();
    hashes.sort_unstable();
    let mut all = Sha256::new();
    for h in &hashes {
        all.update(h);
    }
    hex::encode(all.finalize())
}

/// Copies every row of `source` (an embedded SQLite store) into `target` (a PostgreSQL store
/// that holds no account yet), in one transaction of the target, then compares both sides
/// table by table. Nothing is written when a step fails. The caller reports the returned
/// comparison; [`TableCopy::matches`] must hold for every table.
pub async fn copy_store(source: &Store, target: &Store) -> Result<Vec<TableCopy>> {
    if !matches!(source.backend(), Backend::Sqlite { .. }) {
        return Err(StoreError::invalid(
            "from",
            "the source must be an embedded (SQLite) store",
        ));
    }
    if !matches!(target.backend(), Backend::Postgres { .. }) {
        return Err(StoreError::invalid(
            "to",
            "the target must be a PostgreSQL store",
        ));
    }
    let mut tx = target.writer().begin().await?;
    // The revision row's lock first, as every entity write takes it: a server started on the
    // target meanwhile waits for the copy, and the emptiness checked below stays true.
    sqlx::query("UPDATE store_meta SET value = value WHERE key = 'revision'")
        .execute(&mut *tx)
        .await?;
    for table in TABLES {
        if SEED_TABLES.contains(table) {
            continue;
        }
        let (n,): (i64,) = sqlx::query_as(sqlf!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Err(StoreError::conflict(
                "target",
                format!(
                    "the PostgreSQL database already holds data ({n} rows in `{table}`); migrate \
                     into a new, empty database"
                ),
            ));
        }
    }
    for table in SEED_TABLES {
        sqlx::query(sqlf!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    let mut sources = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let cols = columns(source, table).await?;
        let rows = read_rows(source, table, &cols).await?;
        let list = cols
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in rows.chunks(CHUNK_ROWS) {
            let mut qb = util::QueryBuilder::new(format!("INSERT INTO {table} ({list}) VALUES "));
            for (r, row) in chunk.iter().enumerate() {
                qb.push(if r == 0 { "(" } else { ", (" });
                for (c, v) in row.iter().enumerate() {
                    if c > 0 {
                        qb.push(", ");
                    }
                    match v {
                        Value::Null => match cols.get(c).map(|(_, k)| *k) {
                            Some(Kind::Int) => qb.push_bind(None::<i64>),
                            Some(Kind::Blob) => qb.push_bind(None::<Vec<u8>>),
                            _ => qb.push_bind(None::<String>),
                        },
                        Value::Int(i) => qb.push_bind(*i),
                        Value::Text(t) => qb.push_bind(t.clone()),
                        Value::Blob(b) => qb.push_bind(b.clone()),
                    };
                }
                qb.push(")");
            }
            qb.build_query()?.execute(&mut *tx).await?;
        }
        sources.push((*table, rows.len() as u64, checksum(&rows), cols));
    }
    // the decision log's ids were copied: its identity goes on after the largest
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('decision_log', 'id'), \
         COALESCE((SELECT MAX(id) FROM decision_log), 0) + 1, false)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut report = Vec::with_capacity(sources.len());
    for (table, source_rows, source_checksum, cols) in sources {
        let rows = read_rows(target, table, &cols).await?;
        report.push(TableCopy {
            table,
            source_rows,
            target_rows: rows.len() as u64,
            source_checksum,
            target_checksum: checksum(&rows),
        });
    }
    Ok(report)
}
