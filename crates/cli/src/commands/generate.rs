//! `modelarts-iam generate`: least-privilege identity policies for scenarios (and scopes), or
//! for what the decision log shows a principal did.
//!
//! Standard output holds JSON only, so `generate ... > policy.json` is a policy file: one policy
//! prints as its document, several (a scenario set larger than one policy's 6,144 characters)
//! as a JSON array of documents, which every `--policy FILE` option of the CLI reads. Notes
//! (each policy's name and size, names left out, system policies) go to standard error.
//! `--out DIR` writes each policy to `DIR/<policy name>.json` instead.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use iam_assistant::generate::{self, Generated};
use iam_assistant::scenarios;
use iam_catalog::Catalog;
use iam_server::World;

use super::common::{ScopeArgs, open_store, parse_window, select_scenarios, unknown_principal};
use super::{Problem, print_json};

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
    /// Start of the window, inclusive: RFC 3339, a date (UTC) or a duration before now (`2d`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// End of the window, exclusive: RFC 3339, a date (UTC) or a duration before now (`1h`).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Also grant the requests that were denied.
    #[arg(long)]
    pub include_denied: bool,
    /// Write each policy to `DIR/<policy name>.json` (the directory is created) and list the
    /// files, instead of printing the policies. A file that exists with other content is left
    /// alone and the command fails, unless `--force`.
    #[arg(long, short = 'o', value_name = "DIR", conflicts_with = "json")]
    pub out: Option<PathBuf>,
    /// With `--out`: replace files that exist with other content.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Print the whole result as JSON (policies with names and sizes, actions, notes).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::builtin();
    let generated = if args.observed {
        observed(&args)?
    } else {
        if args.scenarios.is_empty() {
            return Err(
                Problem::usage("name at least one --scenario, or use --observed")
                    .hint("list the scenarios with `modelarts-iam coverage --list`")
                    .into(),
            );
        }
        let all = scenarios(catalog);
        let selected = select_scenarios(&all, &args.scenarios)?;
        if args.agency {
            let scopes = iam_assistant::agency_scopes_for(catalog, &selected);
            if scopes.is_empty() {
                return Err(Problem::usage(
                    "these scenarios need no agency scope (\"Agencies and Dependencies\" Tables 10-14)",
                )
                .hint("generate the user's policy without --agency")
                .into());
            }
            let refs: Vec<_> = scopes.iter().collect();
            generate::from_scenarios(catalog, &refs, &args.scope.scope()?)?
        } else {
            generate::from_scenarios(catalog, &selected, &args.scope.scope()?)?
        }
    };
    if args.json {
        print_json(&generated)?;
        return Ok(ExitCode::SUCCESS);
    }
    match &args.out {
        Some(dir) => write_files(&generated, dir, args.force)?,
        None => {
            match generated.policies.as_slice() {
                [one] => print_json(&one.document)?,
                many => print_json(&many.iter().map(|p| &p.document).collect::<Vec<_>>())?,
            }
            notes(&generated, None);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn observed(args: &GenerateArgs) -> anyhow::Result<Generated> {
    if !args.scenarios.is_empty() || args.agency {
        return Err(Problem::usage("give either --scenario or --observed, not both").into());
    }
    let (Some(dir), Some(principal)) = (&args.data_dir, &args.principal) else {
        return Err(Problem::usage("--observed needs --data-dir DIR and --principal URN").into());
    };
    let (since, until) = parse_window(args.since.as_deref(), args.until.as_deref())?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let (seen, known) = runtime.block_on(async {
        let store = open_store(dir).await?;
        let seen = World::observed(&store, principal, since, until)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
        // a principal with no entry at all in the window may be a typo
        let known = !seen.is_empty()
            || World::observed(&store, principal, None, None)
                .await
                .is_ok_and(|all| !all.is_empty())
            || store
                .load_state()
                .await
                .is_ok_and(|s| s.users.iter().any(|u| &u.urn == principal));
        store.close().await;
        anyhow::Ok((seen, known))
    })?;
    if !known {
        return Err(unknown_principal(dir, principal, "principal").into());
    }
    Ok(generate::from_observed(
        &seen,
        args.include_denied,
        "observed-use",
    )?)
}

/// The notes of a generation, on standard error (standard output holds JSON only).
fn notes(g: &Generated, files: Option<&[PathBuf]>) {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    for (i, p) in g.policies.iter().enumerate() {
        let _ = match files.and_then(|f| f.get(i)) {
            Some(f) => writeln!(
                err,
                "# {} ({} bytes minified): {}",
                p.name,
                p.bytes,
                f.display()
            ),
            None => writeln!(err, "# {} ({} bytes minified)", p.name, p.bytes),
        };
    }
    if g.policies.len() > 1 && files.is_none() {
        let _ = writeln!(
            err,
            "# {} policies (grant all of them together), printed as a JSON array; --out DIR writes one file each",
            g.policies.len()
        );
    }
    if !g.omitted.is_empty() {
        let _ = writeln!(
            err,
            "# left out: {} (named by the tables, but no catalog action matches, so no request carries them)",
            g.omitted.join(", ")
        );
    }
    if !g.system_policies.is_empty() {
        let _ = writeln!(
            err,
            "# the tables name system-defined policies for these scenarios: {} (their actions known to the catalog are included)",
            g.system_policies.join(", ")
        );
    }
}

/// A file name from a policy name: letters, digits, `.`, `_` and `-` kept, anything else `-`.
fn file_name(policy_name: &str) -> String {
    let mut s: String = policy_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert_str(0, "policy");
    }
    s.push_str(".json");
    s
}

/// Writes each policy to `dir/<name>.json`: every file is checked before any is written, each
/// is written to a temporary file and renamed into place (a reader never sees half a policy),
/// a file with the same content is left as it is, and one with other content only with `force`.
fn write_files(g: &Generated, dir: &Path, force: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut planned: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for p in &g.policies {
        let path = dir.join(file_name(&p.name));
        let mut text = serde_json::to_vec_pretty(&p.document).context("serializing a policy")?;
        text.push(b'\n');
        if !force
            && let Ok(existing) = std::fs::read(&path)
            && existing != text
        {
            return Err(Problem::usage(format!(
                "{} exists with other content; nothing was written",
                path.display()
            ))
            .hint("give --force to replace it, or another --out directory")
            .into());
        }
        planned.push((path, text));
    }
    let mut written = Vec::new();
    for (path, text) in planned {
        if std::fs::read(&path).is_ok_and(|existing| existing == text) {
            written.push(path);
            continue;
        }
        write_atomically(&path, &text)?;
        written.push(path);
    }
    for path in &written {
        outln!("{}", path.display())?;
    }
    notes(g, Some(&written));
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            file_name("modelarts-t4-training-management-2"),
            "modelarts-t4-training-management-2.json"
        );
        assert_eq!(file_name("a/b c"), "a-b-c.json");
        assert_eq!(file_name("../x"), "policy..-x.json");
        assert_eq!(file_name(""), "policy.json");
    }
}
