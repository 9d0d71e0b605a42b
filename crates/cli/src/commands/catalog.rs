//! `modelarts-iam catalog ...` (owned by the catalog work; placeholder until it lands).

use std::process::ExitCode;

/// Catalog subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CatalogCommand {
    /// List catalog notes (oddities of the published tables).
    Notes,
}

pub fn run(_cmd: CatalogCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the catalog commands are not built yet")
}
