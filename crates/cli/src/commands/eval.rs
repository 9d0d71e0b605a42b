//! `modelarts-iam eval FILE|-` (owned by the engine work; placeholder until it lands).

use std::process::ExitCode;

/// Arguments of `eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// A file with one case, a JSON array of cases, or JSON lines; `-` for standard input.
    pub file: String,
    /// Compare each decision with the case's `expect` and fail on any mismatch.
    #[arg(long)]
    pub check: bool,
}

pub fn run(_args: EvalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("eval is not built yet")
}
