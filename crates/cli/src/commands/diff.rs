//! `modelarts-iam diff OLD NEW`: the access a policy change adds and removes.

use std::path::PathBuf;
use std::process::ExitCode;

use iam_assistant::containment::{self, findings_text};
use iam_catalog::Catalog;

use super::common::read_docs;
use super::print_json;

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old policy (one document or a JSON array of documents).
    pub old: PathBuf,
    /// The new policy (one document or a JSON array of documents).
    pub new: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = containment::parse_identity("old", &read_docs(std::slice::from_ref(&args.old))?)
        .map_err(|e| anyhow::anyhow!(e))?;
    let new = containment::parse_identity("new", &read_docs(std::slice::from_ref(&args.new))?)
        .map_err(|e| anyhow::anyhow!(e))?;
    let d = containment::diff(Catalog::builtin(), &old, &new);
    if args.json {
        print_json(&d)?;
    } else {
        if d.added.is_empty() && d.removed.is_empty() {
            println!("no access added or removed");
        }
        if !d.added.is_empty() {
            println!("added ({}):", d.added.len());
            print!("{}", findings_text(&d.added));
        }
        if !d.removed.is_empty() {
            println!("removed ({}):", d.removed.len());
            print!("{}", findings_text(&d.removed));
        }
    }
    Ok(ExitCode::SUCCESS)
}
