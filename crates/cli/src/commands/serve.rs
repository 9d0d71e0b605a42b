//! `modelarts-iam serve` (run the server) and `modelarts-iam authorize` (the server's
//! `POST /v1/authorize`, signed by `crate::client`; the `--demo` walkthrough prints such calls).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use iam_server::config::{Config, LogFormat, Overrides};

/// Arguments of `serve`. Every setting can also come from the `--config` TOML file or a
/// `MODELARTS_IAM_<SETTING>` environment variable (flags win, then variables, then the file).
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML file with settings (`listen`, `data_dir`, `log_format`, `demo`, `region`, `master_key`, `upstream`).
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
    /// On first start, also load a small demo organization and print three commands to try.
    #[arg(long)]
    pub demo: bool,
    /// Enforce ModelArts API calls and forward allowed ones to this upstream
    /// (`http://host:port`): the gateway's reverse-proxy mode.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
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
    };
    let config =
        Config::load(args.config.as_deref(), &overrides).map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(iam_server::serve::run(config, args.rotate_service_key))?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `authorize`: ask a running server for a decision, signing with a key file.
#[derive(Debug, clap::Args)]
pub struct AuthorizeArgs {
    /// Server endpoint.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub endpoint: String,
    /// Credential file (`root-access-key.json` written on first start, or any file with
    /// `access_key_id` and `secret_access_key`).
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
    /// Principal URN to decide for (`iam::<account>:user:<name>`).
    #[arg(long)]
    pub principal: String,
    /// Action, e.g. `modelarts:notebook:create`.
    #[arg(long)]
    pub action: String,
    /// Resource URN [default: *].
    #[arg(long)]
    pub resource: Option<String>,
    /// Context entries `key=value` (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

/// Prints the decision; exit code 0 for allow, 2 for a deny, 1 for an error.
pub fn run_authorize(args: AuthorizeArgs) -> anyhow::Result<ExitCode> {
    let mut context = serde_json::Map::new();
    for entry in &args.context {
        let (k, v) = entry
            .split_once('=')
            .with_context(|| format!("--context `{entry}` is not KEY=VALUE"))?;
        context.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
    }
    let body = serde_json::json!({
        "principal": args.principal,
        "action": args.action,
        "resource": args.resource.unwrap_or_else(|| "*".to_owned()),
        "context": context,
    });
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let (status, answer) = runtime.block_on(crate::client::call_with_key_file(
        &args.endpoint,
        &args.key_file,
        crate::client::Call {
            method: "POST",
            path: "/v1/authorize",
            query: &[],
            body: Some(&body),
        },
    ))?;
    super::print_json(&answer)?;
    if status != 200 {
        return Ok(ExitCode::from(1));
    }
    let allowed = answer
        .get("allowed")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    Ok(ExitCode::from(if allowed { 0 } else { 2 }))
}
