//! `modelarts-iam validate FILE` (owned by the validation work; placeholder until it lands).

use std::process::ExitCode;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The policy document file; `-` for standard input.
    pub file: String,
}

pub fn run(_args: ValidateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("validate is not built yet")
}
