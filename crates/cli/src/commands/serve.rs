//! `modelarts-iam serve`: runs the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use iam_server::config::{Config, LogFormat, Overrides};

/// Arguments of `serve`. Every setting can also come from the `--config` TOML file or a
/// `MODELARTS_IAM_<SETTING>` environment variable (flags win, then variables, then the file).
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML file with settings (`listen`, `data_dir`, `log_format`, `demo`, `region`, `master_key`, `upstream`, `ops_listen`, `database`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Data directory (database, master key, root access key) [default: ./modelarts-iam-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log format: `text` or `json` [default: text].
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Load a small demo organization (once) and print three commands to try.
    #[arg(long)]
    pub demo: bool,
    /// Enforce ModelArts API calls and forward allowed ones to this upstream
    /// (`http://host:port`): the gateway's reverse-proxy mode.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Also serve `/healthz`, `/readyz`, `/metrics` and `/openapi.json` without a signature on
    /// this address (for probes and Prometheus; keep it off public networks).
    #[arg(long, value_name = "ADDR")]
    pub ops_listen: Option<SocketAddr>,
    /// Keep the store in this PostgreSQL database (`postgres://user:password@host:port/db`)
    /// instead of the data directory's SQLite file: any number of servers can share it
    /// (docs/deploy.md). Prefer `MODELARTS_IAM_DATABASE` or the config file: a flag's value is
    /// visible to other users of the machine.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Replace the ModelArts service credential (`service-modelarts-key.json` in the data
    /// directory) before serving; the old one stops working at once.
    #[arg(long)]
    pub rotate_service_key: bool,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
        log_format: args.log_format,
        demo: args.demo.then_some(true),
        upstream: args.upstream,
        ops_listen: args.ops_listen,
        database: args.database.map(iam_server::config::Secret),
    };
    let config =
        Config::load(args.config.as_deref(), &overrides).map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(iam_server::serve::run(config, args.rotate_service_key))?;
    Ok(ExitCode::SUCCESS)
}
