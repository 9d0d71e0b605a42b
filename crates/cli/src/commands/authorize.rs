//! `modelarts-iam authorize`: the server's `POST /v1/authorize`, signed with the credentials
//! `crate::connection` resolves (the `--demo` walkthrough prints such calls).

use std::process::ExitCode;

use anyhow::Context as _;

/// Arguments of `authorize`: ask a running server for a decision.
#[derive(Debug, clap::Args)]
pub struct AuthorizeArgs {
    /// Endpoint and credentials.
    #[command(flatten)]
    pub connection: crate::connection::ConnArgs,
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
pub fn run(args: AuthorizeArgs) -> anyhow::Result<ExitCode> {
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
    let connection = args.connection.resolve()?;
    let (status, answer) = runtime.block_on(connection.send(crate::client::Call {
        method: "POST",
        path: "/v1/authorize",
        query: &[],
        body: Some(&body),
    }))?;
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
