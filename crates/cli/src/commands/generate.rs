//! `modelarts-iam generate`: least-privilege identity policies for scenarios (and scopes), or
//! for what the decision log shows a principal did.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use iam_assistant::generate;
use iam_assistant::scenarios;
use iam_catalog::Catalog;
use iam_server::{World, parse_time};

use super::common::{ScopeArgs, open_store, select_scenarios};
use super::print_json;

/// Arguments of `generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Scenario id, name or `all`; repeatable.
    #[arg(long = "scenario", short = 's', value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Generate the custom agency policy for the scenarios instead: the basic agency scopes of
    /// Tables 10-14 they need, limited to the same scopes.
    #[arg(long)]
    pub agency: bool,
    /// Generate from the decision log of `--principal` in `--data-dir` instead.
    #[arg(long)]
    pub observed: bool,
    /// Data directory (with `--observed`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Principal URN (with `--observed`).
    #[arg(long, value_name = "URN")]
    pub principal: Option<String>,
    /// Start of the window (RFC 3339, inclusive).
    #[arg(long)]
    pub since: Option<String>,
    /// End of the window (RFC 3339, exclusive).
    #[arg(long)]
    pub until: Option<String>,
    /// Also grant the requests that were denied.
    #[arg(long)]
    pub include_denied: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::builtin();
    let generated = if args.observed {
        if !args.scenarios.is_empty() || args.agency {
            bail!("give either --scenario or --observed, not both");
        }
        let (Some(dir), Some(principal)) = (&args.data_dir, &args.principal) else {
            bail!("--observed needs --data-dir DIR and --principal URN");
        };
        let since = args
            .since
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--since {e}"))?;
        let until = args
            .until
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--until {e}"))?;
        let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        let seen = runtime.block_on(async {
            let store = open_store(dir).await?;
            World::observed(&store, principal, since, until)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))
        })?;
        generate::from_observed(&seen, args.include_denied, "observed-use")?
    } else {
        if args.scenarios.is_empty() {
            bail!(
                "name at least one --scenario (see `modelarts-iam coverage --list`), or use --observed"
            );
        }
        let all = scenarios(catalog);
        let selected = select_scenarios(&all, &args.scenarios)?;
        if args.agency {
            let scopes = iam_assistant::agency_scopes_for(catalog, &selected);
            if scopes.is_empty() {
                bail!("these scenarios need no agency scope (Tables 10-14)");
            }
            let refs: Vec<_> = scopes.iter().collect();
            generate::from_scenarios(catalog, &refs, &args.scope.scope()?)?
        } else {
            generate::from_scenarios(catalog, &selected, &args.scope.scope()?)?
        }
    };
    if args.json {
        print_json(&generated)?;
    } else {
        print!("{}", generated.to_text());
    }
    Ok(ExitCode::SUCCESS)
}
