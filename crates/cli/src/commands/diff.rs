//! `modelarts-iam diff OLD NEW`: the access a policy change adds and removes.
//!
//! Exit status, so that CI can gate policy changes: 0 when the change adds no access (it may
//! remove some), 2 when it adds access (0 with `--allow-added`), 3 when a policy is invalid (the
//! findings are printed), 1 on other errors.

use std::path::PathBuf;
use std::process::ExitCode;

use iam_analyzer::PolicyType;
use iam_assistant::containment::{self, findings_text};
use iam_catalog::Catalog;

use super::common::read_docs;
use super::style::{Tone, paint};
use super::{EXIT_DENY, Problem, print_json};

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old policy (one document or a JSON array of documents).
    pub old: PathBuf,
    /// The new policy (one document or a JSON array of documents).
    pub new: PathBuf,
    /// Exit 0 even when the new policy adds access (report only).
    #[arg(long)]
    pub allow_added: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = parse(&args.old, "old")?;
    let new = parse(&args.new, "new")?;
    let d = containment::diff(Catalog::builtin(), &old, &new);
    if args.json {
        print_json(&d)?;
    } else {
        if d.added.is_empty() && d.removed.is_empty() {
            outln!("no access added or removed")?;
        }
        if !d.added.is_empty() {
            outln!(
                "{}",
                paint(&format!("added ({}):", d.added.len()), Tone::Bad)
            )?;
            out!("{}", findings_text(&d.added))?;
        }
        if !d.removed.is_empty() {
            outln!(
                "{}",
                paint(&format!("removed ({}):", d.removed.len()), Tone::Good)
            )?;
            out!("{}", findings_text(&d.removed))?;
        }
    }
    Ok(if d.added.is_empty() || args.allow_added {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DENY)
    })
}

/// An identity policy file, validated (invalid: exit 3 with the findings).
fn parse(
    path: &std::path::Path,
    label: &str,
) -> anyhow::Result<Vec<(iam_policy::PolicyId, std::sync::Arc<iam_policy::Policy>)>> {
    let docs = read_docs(
        std::slice::from_ref(&path.to_path_buf()),
        PolicyType::Identity,
    )?;
    containment::parse_identity(label, &docs).map_err(|e| Problem::invalid(e).into())
}
