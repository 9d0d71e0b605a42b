//! Pieces shared by the assistant commands (coverage, preflight, audit, generate, diff, log):
//! principal loading, scopes, policy files and stored data.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use iam_analyzer::{PolicyType, path_to_string, validate};
use iam_assistant::{ObsPath, Scenario, Scope, Subject, resolve_scenarios};
use iam_server::World;

use super::Problem;

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

/// Reads a text file (`-` = standard input); text that is not UTF-8 is invalid input.
pub fn read(path: &Path) -> anyhow::Result<String> {
    String::from_utf8(super::read_input(path)?).map_err(|e| {
        Problem::invalid(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            file_name(path),
            e.utf8_error().valid_up_to()
        ))
        .into()
    })
}

/// Reads policy files of one type: each holds one document or a JSON array of documents. A
/// document with validation errors (what the engine would refuse) is invalid input: the error
/// (exit 3) lists its findings and points at `validate --explain`.
pub fn read_docs(paths: &[PathBuf], policy_type: PolicyType) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for p in paths {
        let text = read(p)?;
        let docs = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Array(items)) => {
                items.iter().map(serde_json::Value::to_string).collect()
            }
            _ => vec![text],
        };
        let several = docs.len() > 1;
        for (i, doc) in docs.iter().enumerate() {
            check_document(p, several.then_some(i), doc, policy_type)?;
        }
        out.extend(docs);
    }
    Ok(out)
}

/// The name of a file argument in messages.
pub fn file_name(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Validates one policy document; its errors make an invalid-input [`Problem`] (exit 3).
fn check_document(
    path: &Path,
    index: Option<usize>,
    document: &str,
    policy_type: PolicyType,
) -> anyhow::Result<()> {
    let findings = validate(document, policy_type);
    let errors: Vec<_> = findings.iter().filter(|f| f.is_error()).collect();
    if errors.is_empty() {
        return Ok(());
    }
    let what = match index {
        Some(i) => format!("document {} of {}", i + 1, file_name(path)),
        None => file_name(path),
    };
    let mut message = format!(
        "{what} is not a valid {} policy ({} error{}):",
        policy_type.as_str(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for f in &errors {
        let at = f.locations.first().map_or_else(String::new, |l| {
            let path = path_to_string(&l.path);
            // positions are the file's only when the file holds this one document
            match index {
                None => format!("{}:{} {path} ", l.span.start.line, l.span.start.column),
                Some(_) => format!("{path} "),
            }
        });
        message.push_str(&format!("\n  {at}{}: {}", f.issue_code, f.finding_details));
    }
    let hint = match index {
        None => format!(
            "`modelarts-iam validate {} --type {} --explain` shows each error in place",
            path.display(),
            policy_type.as_str()
        ),
        Some(_) => "fix the listed errors; `modelarts-iam validate FILE --explain` shows them in place for a file of one document".to_owned(),
    };
    Err(Problem::invalid(message).hint(hint).into())
}

/// Opens a data directory's store without writing a master key into it.
pub async fn open_store(dir: &Path) -> anyhow::Result<iam_store::Store> {
    if !dir.join(iam_store::DB_FILE).exists() {
        return Err(Problem::usage(format!("{} has no modelarts-iam database", dir.display()))
            .hint("give the data directory of a modelarts-iam server (`modelarts-iam serve --data-dir DIR` creates one)")
            .into());
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
    iam_store::Store::open(dir, options).await.map_err(|e| {
        anyhow::Error::new(e).context(
            Problem::usage(format!("opening {}", dir.display()))
                .hint("give the data directory of a modelarts-iam server (`modelarts-iam serve --data-dir DIR` creates one)"),
        )
    })
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

/// The user URNs of a data directory (for "did you mean").
pub fn user_urns(dir: &Path) -> anyhow::Result<Vec<String>> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let store = open_store(dir).await?;
        let state = store.load_state().await?;
        store.close().await;
        Ok(state.users.iter().map(|u| u.urn.clone()).collect())
    })
}

/// The error for a principal URN a data directory does not hold: the closest stored user.
pub fn unknown_principal(dir: &Path, urn: &str, what: &str) -> Problem {
    let urns = user_urns(dir).unwrap_or_default();
    Problem::usage(format!("no {what} {urn} in {}", dir.display())).suggest(
        iam_catalog::closest(urn, urns.iter().map(String::as_str)),
        "principals are URNs like iam::<account-id>:user:<name>; `modelarts-iam log --data-dir DIR` shows the principals that made requests",
    )
}

/// The subject of a command, and the stored view when it is a stored user.
pub fn subject(args: &PrincipalArgs) -> anyhow::Result<(Subject, Option<World>)> {
    match (&args.data_dir, &args.principal) {
        (Some(dir), Some(urn)) => {
            if !args.policies.is_empty() || !args.scps.is_empty() {
                bail!("give either --data-dir/--principal or --policy/--scp, not both");
            }
            let world = load_world(dir)?;
            let Some(s) = world.user_subject(urn) else {
                return Err(unknown_principal(dir, urn, "enabled user").into());
            };
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
    let ident = read_docs(policies, PolicyType::Identity)?;
    let scps = read_docs(scps, PolicyType::Scp)?;
    Subject::from_documents(iam_policy::Principal::default(), &ident, &scps)
        .map_err(|e| Problem::invalid(e.to_string()).into())
}

/// The scenarios named on the command line (ids, names or `all`).
pub fn select_scenarios<'a>(
    all: &'a [Scenario],
    names: &[String],
) -> anyhow::Result<Vec<&'a Scenario>> {
    resolve_scenarios(all, names).map_err(|unknown| {
        let suggestion = unknown.first().and_then(|u| {
            iam_catalog::closest(
                u,
                all.iter()
                    .flat_map(|s| [s.id.as_str(), s.name.as_str()])
                    .chain(["all"]),
            )
        });
        Problem::usage(format!(
            "unknown scenario{} {}",
            if unknown.len() == 1 { "" } else { "s" },
            unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .suggest(
            suggestion,
            "list the scenarios with `modelarts-iam coverage --list`",
        )
        .into()
    })
}

/// A time argument (`--since`, `--until`): an RFC 3339 time (`2026-12-02T08:00:00Z`), a date
/// (`2026-12-02`: its start, UTC), or a duration before now: a number and `s`, `m`, `h`, `d` or
/// `w` (`30m`, `1h`, `2d`).
pub fn parse_when(flag: &str, value: &str) -> anyhow::Result<time::OffsetDateTime> {
    parse_when_at(value, time::OffsetDateTime::now_utc()).ok_or_else(|| {
        Problem::usage(format!("--{flag} `{value}` is not a time"))
            .hint("give an RFC 3339 time (2026-12-02T08:00:00Z), a date (2026-12-02, UTC) or a duration before now (30m, 1h, 2d)")
            .into()
    })
}

/// The `--since` and `--until` arguments of a command, each parsed by [`parse_when`].
pub fn parse_window(
    since: Option<&str>,
    until: Option<&str>,
) -> anyhow::Result<(Option<time::OffsetDateTime>, Option<time::OffsetDateTime>)> {
    Ok((
        since.map(|v| parse_when("since", v)).transpose()?,
        until.map(|v| parse_when("until", v)).transpose()?,
    ))
}

/// [`parse_when`] with "now" given.
pub fn parse_when_at(value: &str, now: time::OffsetDateTime) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let v = value.trim();
    if let Ok(t) = time::OffsetDateTime::parse(v, &Rfc3339) {
        return Some(t);
    }
    if let Ok(d) = time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")) {
        return Some(d.midnight().assume_utc());
    }
    let unit_at = v.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = v.split_at(unit_at);
    let n: i64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    now.checked_sub(time::Duration::seconds(n.checked_mul(seconds)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let now = time::macros::datetime!(2026-12-02 12:00 UTC);
        assert_eq!(
            parse_when_at("2026-12-02", now),
            Some(time::macros::datetime!(2026-12-02 0:00 UTC))
        );
        assert_eq!(
            parse_when_at("2026-12-01T08:00:00+01:00", now),
            Some(time::macros::datetime!(2026-12-01 7:00 UTC))
        );
        assert_eq!(
            parse_when_at("1h", now),
            Some(time::macros::datetime!(2026-12-02 11:00 UTC))
        );
        assert_eq!(
            parse_when_at("30m", now),
            Some(time::macros::datetime!(2026-12-02 11:30 UTC))
        );
        assert_eq!(
            parse_when_at("2d", now),
            Some(time::macros::datetime!(2026-11-30 12:00 UTC))
        );
        for bad in [
            "",
            "h",
            "1y",
            "-1h",
            "yesterday",
            "2026-13-01",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_when_at(bad, now), None, "{bad}");
        }
    }
}
