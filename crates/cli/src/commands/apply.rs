//! `modelarts-iam apply DIR`: makes the account on the server what the configuration says,
//! one API call per change in dependency order, stopping at the first refused change
//! (docs/cli.md, "Declarative configuration").

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::declarative::apply::Failure;
use crate::declarative::{self, EXIT_INVALID, Prepared, paint};

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The configuration directory (its `*.yaml`, `*.yml` and `*.json` files).
    pub dir: PathBuf,
    /// Endpoint and credentials.
    #[command(flatten)]
    pub connection: crate::connection::ConnArgs,
    /// Only plan: print what would change, change nothing (exit status as `plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON: `{"applied": [...], "error": null | {...}}` (with `--dry-run`, the plan).
    #[arg(long)]
    pub json: bool,
    /// Apply a plan that reduces the caller's own access (removes it from a group, detaches a
    /// policy from it or its groups, disables it, or removes any action of its access);
    /// without it such a plan is refused (exit 3) before any change.
    #[arg(long)]
    pub allow_self_change: bool,
}

/// Exit status: 0 done (or nothing to do), 1 a change was refused (earlier ones stay made) or
/// another error, 3 invalid configuration or a plan that reduces the caller's own access
/// without `--allow-self-change` (nothing changed).
pub fn run(args: ApplyArgs) -> anyhow::Result<ExitCode> {
    if args.dry_run {
        return super::plan::run(super::plan::PlanArgs {
            dir: args.dir,
            connection: args.connection,
            json: args.json,
            allow_self_change: args.allow_self_change,
        });
    }
    let connection = args.connection.resolve()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let ready = match runtime.block_on(declarative::prepare(&connection, &args.dir))? {
        Prepared::Invalid(problems) => {
            declarative::print_problems(&problems, args.json)?;
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        Prepared::Ready(ready) => ready,
    };
    if let Some(code) = declarative::refuse_self_change(&ready.plan, args.allow_self_change) {
        return Ok(code);
    }
    let changes = &ready.plan.changes;
    if !args.json {
        if changes.is_empty() {
            outln!("No changes: the account matches the configuration.")?;
        } else {
            outln!("Applying {} change(s):", changes.len())?;
        }
    }
    let mut applied = Vec::new();
    let result = runtime.block_on(declarative::apply::apply(
        &connection,
        &ready.remote,
        &ready.want,
        changes,
        |c| {
            if !args.json {
                let line = format!("{} {} {}", c.op.sign(), c.kind.replace('_', " "), c.name);
                // a failed write (not a closed pipe) must not stop the changes half-way
                let _ = outln!("  {}", paint(&line, c.op));
            }
            applied.push(c.clone());
        },
    ));
    match result {
        Ok(()) => {
            if args.json {
                super::print_json(&serde_json::json!({"applied": applied, "error": null}))?;
            } else if !changes.is_empty() {
                outln!("Done: {} change(s) applied.", changes.len())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err((i, failure)) => {
            let c = &changes[i.min(changes.len().saturating_sub(1))];
            let what = format!("{} {} {}", c.op.sign(), c.kind.replace('_', " "), c.name);
            let (code, message, reason) = match &failure {
                Failure::Refused(crate::connection::CallError::Api { code, message, .. }) => {
                    (code.clone(), message.clone(), failure_text(&failure))
                }
                _ => (String::new(), String::new(), failure_text(&failure)),
            };
            if args.json {
                super::print_json(&serde_json::json!({"applied": applied, "error": {
                    "change": c, "error_code": code, "error_msg": message, "detail": reason,
                    "not_attempted": changes.len() - i - 1}}))?;
            }
            eprintln!(
                "error: the change `{what}` was refused: {reason}\n{} earlier change(s) were applied and stay applied; {} later change(s) were not attempted. Fix the cause and run apply again (it continues from the server's state).",
                i,
                changes.len() - i - 1
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn failure_text(f: &Failure) -> String {
    match f {
        Failure::Refused(e) => e.to_string(),
        Failure::Other(e) => format!("{e:#}"),
    }
}
