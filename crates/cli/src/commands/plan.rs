//! `modelarts-iam plan DIR`: what `apply DIR` would change on the server, and the access it
//! would add and remove (docs/cli.md, "Declarative configuration").

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::declarative::{self, EXIT_CHANGES, EXIT_INVALID, Prepared};

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The configuration directory (its `*.yaml`, `*.yml` and `*.json` files).
    pub dir: PathBuf,
    /// Endpoint and credentials.
    #[command(flatten)]
    pub connection: crate::connection::ConnArgs,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Accept a plan that reduces the caller's own access (otherwise exit 3).
    #[arg(long)]
    pub allow_self_change: bool,
}

/// Exit status: 0 no changes, 2 changes pending, 3 invalid configuration or a plan that reduces
/// the caller's own access (without `--allow-self-change`), 1 errors.
pub fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let connection = args.connection.resolve()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match runtime.block_on(declarative::prepare(&connection, &args.dir))? {
        Prepared::Invalid(problems) => {
            declarative::print_problems(&problems, args.json)?;
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Prepared::Ready(ready) => {
            if args.json {
                super::print_json(&ready.plan)?;
            } else {
                out!("{}", declarative::plan_text(&ready.plan))?;
            }
            if let Some(code) = declarative::refuse_self_change(&ready.plan, args.allow_self_change)
            {
                return Ok(code);
            }
            Ok(if ready.plan.changes.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_CHANGES)
            })
        }
    }
}
