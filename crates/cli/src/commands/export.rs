//! `modelarts-iam export [--out DIR] [--format yaml|json]`: the account on the server in the
//! configuration format (docs/cli.md, "Declarative configuration"); `apply` of the result
//! changes nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::declarative::export::{self, Format};
use crate::declarative::remote::{self, Want};

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write one file per kind (`users.yaml`, `groups.yaml`, ...) into this directory
    /// (created if absent; those files are replaced) instead of one document on standard output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The format.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Endpoint and credentials.
    #[command(flatten)]
    pub connection: crate::connection::ConnArgs,
}

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let connection = args.connection.resolve()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let remote = runtime.block_on(remote::read(
        &connection,
        Want::IfPossible,
        Want::IfPossible,
    ))?;
    for note in &remote.notes {
        eprintln!("note: {note}");
    }
    let files = export::files(&remote);
    match &args.out {
        None => out!("{}", export::render(&export::merged(&files)?, args.format)?)?,
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for (kind, file) in &files {
                let path = dir.join(format!("{}.{}", kind.key(), args.format.extension()));
                let text = export::render(&serde_json::to_value(file)?, args.format)?;
                std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
