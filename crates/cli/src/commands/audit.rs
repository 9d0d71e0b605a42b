//! `modelarts-iam audit agencies`: what each user's configured agency grants beyond the user's
//! own permissions (identity policies bounded by SCPs).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use iam_analyzer::PolicyType;
use iam_assistant::containment::{self, findings_text};
use iam_catalog::Catalog;

use super::common::{load_world, read_docs, subject_from_files};
use super::style::{Tone, highlight, paint};
use super::{EXIT_DENY, Problem, print_json};

/// `audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Agency overreach of every user with a configured agency (stored), or of one user and
    /// one agency given as files.
    Agencies(AgenciesArgs),
}

/// Arguments of `audit agencies`.
#[derive(Debug, clap::Args)]
pub struct AgenciesArgs {
    /// Data directory of a server.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Account to audit (stored; default: every account).
    #[arg(long)]
    pub account: Option<String>,
    /// Project of the authorizations (stored; default: every project of the account).
    #[arg(long)]
    pub project_id: Option<String>,
    /// Identity policy of the user (file mode), repeatable.
    #[arg(long = "user-policy", value_name = "FILE")]
    pub user_policies: Vec<PathBuf>,
    /// SCP level of the account (file mode), root first, repeatable.
    #[arg(long = "scp", value_name = "FILE")]
    pub scps: Vec<PathBuf>,
    /// Identity policy of the agency (file mode), repeatable.
    #[arg(long = "agency-policy", value_name = "FILE")]
    pub agency_policies: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Agencies(args) = cmd;
    let catalog = Catalog::builtin();
    let results = match &args.data_dir {
        Some(dir) => {
            if !args.user_policies.is_empty() || !args.agency_policies.is_empty() {
                bail!("give either --data-dir or --user-policy/--agency-policy files, not both");
            }
            let world = load_world(dir)?;
            let accounts: Vec<&str> = match &args.account {
                Some(a) => {
                    if !world.account_ids().any(|id| id == a) {
                        let ids: Vec<&str> = world.account_ids().collect();
                        return Err(Problem::usage(format!(
                            "no account `{a}` in {}",
                            dir.display()
                        ))
                        .suggest(
                            iam_catalog::closest(a, ids.iter().copied()),
                            format!("the accounts are {}", ids.join(", ")),
                        )
                        .into());
                    }
                    vec![a.as_str()]
                }
                None => world.account_ids().collect(),
            };
            accounts
                .iter()
                .flat_map(|a| world.audit(catalog, a, args.project_id.as_deref()))
                .collect::<Vec<_>>()
        }
        None => {
            if args.agency_policies.is_empty() {
                bail!("give --data-dir DIR, or --user-policy FILE and --agency-policy FILE");
            }
            if args.user_policies.is_empty() {
                bail!("give the user's policies (--user-policy FILE) with --agency-policy FILE");
            }
            let user = subject_from_files(&args.user_policies, &args.scps)?;
            let agency = containment::parse_identity(
                "agency",
                &read_docs(&args.agency_policies, PolicyType::Identity)?,
            )
            .map_err(Problem::invalid)?;
            vec![containment::overreach(catalog, &user, "agency", &agency)]
        }
    };
    let overreaching = results.iter().filter(|r| !r.ok).count();
    if args.json {
        print_json(&serde_json::json!({
            "users_checked": results.len(),
            "users_with_overreach": overreaching,
            "results": results,
        }))?;
    } else {
        outln!(
            "{} user(s) with a configured agency, {overreaching} with overreach",
            results.len()
        )?;
        for r in &results {
            if r.ok {
                outln!(
                    "{}        {} (agency {})",
                    paint("[ok]", Tone::Good),
                    r.user,
                    r.agency
                )?;
            } else {
                outln!(
                    "{} {} (agency {}): {} grant(s) beyond the user's permissions",
                    highlight("[overreach]"),
                    r.user,
                    r.agency,
                    r.findings.len()
                )?;
                out!("{}", findings_text(&r.findings))?;
            }
        }
    }
    Ok(if overreaching == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DENY)
    })
}
