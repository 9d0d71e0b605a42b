//! `modelarts-iam coverage`: which permissions of the dependency-table scenarios a principal
//! holds, which it misses, and the layer that denies each. Exit 0 when everything is covered,
//! 2 when something is missing, 3 when a policy file is invalid, 1 on other errors.

use std::process::ExitCode;

use iam_assistant::coverage::{self, Options};
use iam_assistant::scenarios;
use iam_catalog::Catalog;

use super::common::{PrincipalArgs, ScopeArgs, now_context, select_scenarios, subject};
use super::{EXIT_DENY, Problem, print_json};

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
                outln!("{:<55} table {}  {}", s.id, s.table, s.name)?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.scenarios.is_empty() {
        return Err(Problem::usage("name at least one --scenario")
            .hint(
                "list the scenarios with `modelarts-iam coverage --list`, or give `--scenario all`",
            )
            .into());
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
        out!("{}", super::style::highlight(&report.to_text()))?;
    }
    Ok(if report.covered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DENY)
    })
}
