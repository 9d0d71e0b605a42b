//! `modelarts-iam migrate --from DATA_DIR --to postgres://…`: copies an embedded (SQLite) store
//! into an empty PostgreSQL database for replicas (docs/deploy.md, "Moving to PostgreSQL"),
//! then verifies every table by row count and checksum.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::Problem;

/// Arguments of `migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The data directory of the embedded store to copy (stop its server first).
    #[arg(long, value_name = "DATA_DIR")]
    pub from: PathBuf,
    /// The PostgreSQL database to copy into: new and empty, created with byte-order collation
    /// (`postgres://user:password@host:port/database`; `MODELARTS_IAM_DATABASE` when absent).
    #[arg(
        long,
        value_name = "URL",
        env = "MODELARTS_IAM_DATABASE",
        hide_env_values = true
    )]
    pub to: String,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.from;
    if !dir.join(iam_store::DB_FILE).is_file() {
        return Err(Problem::usage(format!(
            "{} has no modelarts-iam database ({})",
            dir.display(),
            iam_store::DB_FILE
        ))
        .hint("give the data directory of a modelarts-iam server (`serve --data-dir DIR`)")
        .into());
    }
    // The rows are copied as stored, secrets encrypted: the target must use the source's key.
    let key = match iam_store::MasterKey::from_env()? {
        Some(k) => k,
        None if dir.join(iam_store::MASTER_KEY_FILE).is_file() => {
            iam_store::MasterKey::load_or_create(dir)?
        }
        None => {
            return Err(Problem::usage(format!(
                "no master key: {} has no {} and {} is not set",
                dir.display(),
                iam_store::MASTER_KEY_FILE,
                iam_store::MASTER_KEY_ENV
            ))
            .hint("set the key the server of this data directory was started with")
            .into());
        }
    };
    let shown = iam_store::redact_url(&args.to);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = runtime.block_on(async {
        let options = iam_store::StoreOptions {
            master_key: Some(key.clone()),
            ..iam_store::StoreOptions::default()
        };
        let source = iam_store::Store::open(dir, options.clone())
            .await
            .with_context(|| format!("opening {}", dir.display()))?;
        let target = iam_store::Store::open_postgres(&args.to, options)
            .await
            .map_err(|e| {
                anyhow::Error::new(
                    Problem::usage(format!("opening {shown}: {e}"))
                        .hint("create the database first (docs/deploy.md, \"Starting replicas\")"),
                )
            })?;
        let report = iam_store::copy::copy_store(&source, &target)
            .await
            .map_err(|e| anyhow::Error::new(Problem::usage(format!("copying into {shown}: {e}"))));
        source.close().await;
        target.close().await;
        report
    })?;
    let width = report.iter().map(|t| t.table.len()).max().unwrap_or(5);
    outln!(
        "{:width$}  {:>9}  {:>9}  checksum",
        "table",
        "source",
        "target"
    )?;
    let mut bad = 0;
    let mut rows = 0;
    for t in &report {
        let mark = if t.matches() { "ok" } else { "DIFFERS" };
        if !t.matches() {
            bad += 1;
        }
        rows += t.target_rows;
        outln!(
            "{:width$}  {:>9}  {:>9}  {} {mark}",
            t.table,
            t.source_rows,
            t.target_rows,
            &t.target_checksum[..16]
        )?;
    }
    if bad > 0 {
        return Err(Problem::usage(format!(
            "{bad} table(s) differ after the copy into {shown}"
        ))
        .hint("do not start servers on this database; drop it, create it again and run migrate again")
        .into());
    }
    outln!(
        "copied {rows} rows of {} tables from {} into {shown}; every table's rows and checksum match",
        report.len(),
        dir.display()
    )?;
    outln!(
        "start the replicas with --database (or MODELARTS_IAM_DATABASE) and this master key \
         (docs/deploy.md)"
    )?;
    Ok(ExitCode::SUCCESS)
}
