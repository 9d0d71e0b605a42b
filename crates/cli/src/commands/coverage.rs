//! `modelarts-iam coverage`: which permissions of the dependency-table scenarios a principal
//! holds, which it misses, and the layer that denies each.

use std::process::ExitCode;

use anyhow::bail;
use iam_assistant::coverage::{self, Options};
use iam_assistant::scenarios;
use iam_catalog::Catalog;

use super::common::{PrincipalArgs, ScopeArgs, now_context, select_scenarios, subject};
use super::print_json;

/// Arguments of `coverage`.
#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Scenario id (`t4-training-management`), name (`Training management`) or `all`; repeatable.
    #[arg(long = "scenario", short = 's', value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// List the scenarios of Tables 1-9 and exit.
    #[arg(long)]
    pub list: bool,
    #[command(flatten)]
    pub principal: PrincipalArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::builtin();
    let all = scenarios(catalog);
    if args.list {
        if args.json {
            print_json(&all)?;
        } else {
            for s in &all {
                println!("{:<55} table {}  {}", s.id, s.table, s.name);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.scenarios.is_empty() {
        bail!("name at least one --scenario (see `modelarts-iam coverage --list`), or `all`");
    }
    let selected = select_scenarios(&all, &args.scenarios)?;
    let scope = args.scope.scope()?;
    let (subject, _) = subject(&args.principal)?;
    let report = coverage::check(
        catalog,
        &subject,
        &selected,
        &scope,
        &Options {
            context: now_context(),
        },
    );
    if args.json {
        print_json(&report)?;
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.covered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
