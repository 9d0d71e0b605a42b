//! `modelarts-iam coverage`: which permissions of the dependency-table scenarios a principal
//! holds, which it misses, and the layer that denies each. Also the shared pieces of the
//! assistant commands (principal loading, scopes, stored data).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use iam_assistant::coverage::{self, Options};
use iam_assistant::{ObsPath, Scope, Subject, resolve_scenarios, scenarios};
use iam_catalog::Catalog;
use iam_server::assistant_api::World;

use super::print_json;

/// A principal given as policy files, or stored in a data directory.
#[derive(Debug, Clone, clap::Args)]
pub struct PrincipalArgs {
    /// Identity policy document of the principal (repeat for several).
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// Service control policy; each file is one level of the SCP chain, root first.
    #[arg(long = "scp", value_name = "FILE")]
    pub scps: Vec<PathBuf>,
    /// Data directory of a server: analyse a stored user (with `--principal`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// URN of the stored user (`iam::<account>:user:<name>`); with `--data-dir`.
    #[arg(long, value_name = "URN")]
    pub principal: Option<String>,
}

/// Resource scopes.
#[derive(Debug, Clone, clap::Args)]
pub struct ScopeArgs {
    /// Region of ModelArts resources (`cn-north-4`).
    #[arg(long)]
    pub region: Option<String>,
    /// OBS bucket or path (`obs://bucket/prefix/`), repeatable.
    #[arg(long = "obs", value_name = "PATH")]
    pub obs: Vec<String>,
    /// Dedicated resource pool id, repeatable.
    #[arg(long = "pool", value_name = "ID")]
    pub pools: Vec<String>,
    /// Workspace id.
    #[arg(long)]
    pub workspace: Option<String>,
    /// Enterprise project id (`g:EnterpriseProjectId` condition).
    #[arg(long)]
    pub enterprise_project: Option<String>,
}

impl ScopeArgs {
    /// The scope.
    pub fn scope(&self) -> anyhow::Result<Scope> {
        let obs = self
            .obs
            .iter()
            .map(|p| {
                ObsPath::parse(p).with_context(|| {
                    format!("`{p}` is not an OBS path (obs://bucket/prefix, no wildcards)")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Scope {
            region: self.region.clone(),
            obs,
            pools: self.pools.clone(),
            workspace: self.workspace.clone(),
            enterprise_project: self.enterprise_project.clone(),
        })
    }
}

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

/// Reads a text file (`-` = standard input).
pub fn read(path: &Path) -> anyhow::Result<String> {
    String::from_utf8(super::read_input(path)?).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads policy files: each holds one document or a JSON array of documents.
pub fn read_docs(paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for p in paths {
        let text = read(p)?;
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Array(items)) => {
                out.extend(items.iter().map(serde_json::Value::to_string));
            }
            _ => out.push(text),
        }
    }
    Ok(out)
}

/// Opens a data directory's store without writing a master key into it.
pub async fn open_store(dir: &Path) -> anyhow::Result<iam_store::Store> {
    if !dir.join(iam_store::DB_FILE).exists() {
        bail!("{} has no modelarts-iam database", dir.display());
    }
    let options = if dir.join(iam_store::MASTER_KEY_FILE).exists()
        || std::env::var_os(iam_store::MASTER_KEY_ENV).is_some()
    {
        iam_store::StoreOptions::default()
    } else {
        iam_store::StoreOptions {
            master_key: Some(iam_store::MasterKey::generate()?),
            ..iam_store::StoreOptions::default()
        }
    };
    iam_store::Store::open(dir, options)
        .await
        .with_context(|| format!("opening {}", dir.display()))
}

/// Loads the stored view of a data directory (the store is closed with its runtime).
pub fn load_world(dir: &Path) -> anyhow::Result<World> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let store = open_store(dir).await?;
        World::load(&store, None)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message()))
    })
}

/// The subject of a command, and the stored view when it is a stored user.
pub fn subject(args: &PrincipalArgs) -> anyhow::Result<(Subject, Option<World>)> {
    match (&args.data_dir, &args.principal) {
        (Some(dir), Some(urn)) => {
            if !args.policies.is_empty() || !args.scps.is_empty() {
                bail!("give either --data-dir/--principal or --policy/--scp, not both");
            }
            let world = load_world(dir)?;
            let s = world
                .user_subject(urn)
                .with_context(|| format!("no enabled user {urn} in {}", dir.display()))?;
            Ok((s, Some(world)))
        }
        (Some(_), None) | (None, Some(_)) => {
            bail!("--data-dir and --principal go together")
        }
        (None, None) => {
            if args.policies.is_empty() {
                bail!(
                    "give the principal's policies (--policy FILE) or a stored user (--data-dir DIR --principal URN)"
                );
            }
            let ident = read_docs(&args.policies)?;
            let scps = read_docs(&args.scps)?;
            let s = Subject::from_documents(iam_policy::Principal::default(), &ident, &scps)?;
            Ok((s, None))
        }
    }
}

/// The request context of offline checks: the current time.
pub fn now_context() -> iam_policy::Context {
    let mut ctx = iam_policy::Context::new();
    ctx.insert("g:CurrentTime", iam_server::current_time());
    ctx
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
    let selected = resolve_scenarios(&all, &args.scenarios).map_err(|u| {
        anyhow::anyhow!(
            "unknown scenario(s): {} (see `modelarts-iam coverage --list`)",
            u.join(", ")
        )
    })?;
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
