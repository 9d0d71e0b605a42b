//! Pieces shared by the assistant commands (coverage, preflight, audit, generate, diff, log):
//! principal loading, scopes, policy files and stored data.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use iam_assistant::{ObsPath, Scenario, Scope, Subject, resolve_scenarios};
use iam_server::World;

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
    /// Resource tag `key=value` (`g:ResourceTag/<key>` condition on actions on existing
    /// resources), repeatable.
    #[arg(long = "resource-tag", value_name = "KEY=VALUE")]
    pub resource_tags: Vec<String>,
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
            resource_tags: resource_tags(&self.resource_tags)?,
        })
    }
}

/// `--resource-tag KEY=VALUE` arguments as a map.
pub fn resource_tags(
    args: &[String],
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    args.iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(['*', '?']) => {
                Ok((k.to_owned(), v.to_owned()))
            }
            _ => anyhow::bail!(
                "`{t}` is not a resource tag: write KEY=VALUE (a non-empty key without wildcards)"
            ),
        })
        .collect()
}

/// Reads a text file (`-` = standard input).
pub fn read(path: &Path) -> anyhow::Result<String> {
    String::from_utf8(super::read_input(path)?).map_err(|e| {
        let name = if path == Path::new("-") {
            "standard input".to_owned()
        } else {
            path.display().to_string()
        };
        anyhow::anyhow!(
            "{name} is not UTF-8 text (invalid byte at offset {})",
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
            Ok((subject_from_files(&args.policies, &args.scps)?, None))
        }
    }
}

/// The request context of offline checks: the current time.
pub fn now_context() -> iam_policy::Context {
    let mut ctx = iam_policy::Context::new();
    ctx.insert("g:CurrentTime", iam_server::current_time());
    ctx
}

/// A subject from identity policy files and SCP files (one level each, root first).
pub fn subject_from_files(policies: &[PathBuf], scps: &[PathBuf]) -> anyhow::Result<Subject> {
    let ident = read_docs(policies)?;
    let scps = read_docs(scps)?;
    Ok(Subject::from_documents(
        iam_policy::Principal::default(),
        &ident,
        &scps,
    )?)
}

/// The scenarios named on the command line (ids, names or `all`).
pub fn select_scenarios<'a>(
    all: &'a [Scenario],
    names: &[String],
) -> anyhow::Result<Vec<&'a Scenario>> {
    resolve_scenarios(all, names).map_err(|u| {
        anyhow::anyhow!(
            "unknown scenario(s): {} (see `modelarts-iam coverage --list`)",
            u.join(", ")
        )
    })
}
