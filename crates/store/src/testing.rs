//! Stores for tests, on the backend the environment selects: an in-memory SQLite store by
//! default, or, when [`POSTGRES_ENV`] holds the URL of a PostgreSQL server (a role allowed to
//! create databases), a fresh database of its own on that server for each store. The store's
//! and the server's test suites open their stores here, so one suite runs on both backends
//! (`scripts/test` runs it a second time against a throw-away cluster).

use crate::error::{Result, StoreError};
use crate::{Limits, MasterKey, Store, StoreOptions};

/// The variable naming the PostgreSQL server tests run against (unset or empty: SQLite).
pub const POSTGRES_ENV: &str = "MODELARTS_IAM_TEST_POSTGRES";

/// Set (to anything) where the PostgreSQL tests must run: a test that needs PostgreSQL and
/// finds no [`POSTGRES_ENV`] then fails instead of skipping.
pub const REQUIRE_POSTGRES_ENV: &str = "MODELARTS_IAM_REQUIRE_POSTGRES";

/// The PostgreSQL server URL tests should use, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())
}

/// The PostgreSQL server a test that needs one runs against; `None` (the test skips itself,
/// saying so) when none is configured. Panics when [`REQUIRE_POSTGRES_ENV`] is set without
/// [`POSTGRES_ENV`]: where the PostgreSQL tests must run, they cannot skip.
pub fn postgres_server_or_skip() -> Option<String> {
    let url = postgres_url();
    if url.is_none() {
        assert!(
            std::env::var_os(REQUIRE_POSTGRES_ENV).is_none(),
            "{REQUIRE_POSTGRES_ENV} is set but {POSTGRES_ENV} is not: the PostgreSQL tests must run"
        );
        eprintln!("skipped: {POSTGRES_ENV} is not set");
    }
    url
}

/// A fresh, empty store with default limits.
pub async fn store() -> Result<Store> {
    store_with(Limits::default()).await
}

/// A fresh, empty store with the given limits.
pub async fn store_with(limits: Limits) -> Result<Store> {
    match postgres_url() {
        Some(url) => {
            let db = fresh_postgres_database(&url).await?;
            Store::open_postgres(
                &db,
                StoreOptions {
                    master_key: Some(MasterKey::generate()?),
                    limits,
                    ..StoreOptions::default()
                },
            )
            .await
        }
        None => Store::open_in_memory_with(limits).await,
    }
}

/// Creates an empty database with a random name on the server of `url` and returns the URL
/// of that database (same role and host).
pub async fn fresh_postgres_database(url: &str) -> Result<String> {
    use sqlx::Connection as _;
    let name = format!("iam_test_{}", crate::util::new_id()?);
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    with_database(url, &name)
}

/// `url` with its database (path) replaced by `name`, its query kept.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| StoreError::invalid("database", "not a URL"))?;
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    Ok(match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    })
}
