//! `modelarts-iam export [--out DIR] [--format yaml|json]`: the account on the server in the
//! configuration format (docs/cli.md, "Declarative configuration"); `apply` of the result
//! changes nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::declarative::config::config_files;
use crate::declarative::export::{self, Format};
use crate::declarative::remote::{self, Want};

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write one file per kind (`users.yaml`, `groups.yaml`, ...) into this directory
    /// (created if absent; those files are replaced) instead of one document on standard output.
    /// Refused (exit 1, nothing written) when DIR holds other configuration files (`*.yaml`,
    /// `*.yml`, `*.json`), such as those of the other format: they would define objects twice.
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
            // `users.yaml` beside `users.json` (or any other configuration file beside the
            // written ones) would define objects twice, and the next plan would refuse the
            // directory: refuse before writing anything
            let written: Vec<PathBuf> = files
                .iter()
                .map(|(kind, _)| dir.join(format!("{}.{}", kind.key(), args.format.extension())))
                .collect();
            let others: Vec<PathBuf> = if dir.is_dir() {
                config_files(dir)?
                    .into_iter()
                    .filter(|p| !written.contains(p))
                    .collect()
            } else {
                Vec::new()
            };
            if !others.is_empty() {
                eprintln!(
                    "error: {} holds configuration files that export would not replace, and whose objects its files would define a second time: {}. Nothing was written: remove them, or export into an empty directory{}.",
                    dir.display(),
                    others
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    match args.format {
                        Format::Yaml => " (or with --format json, if they are its JSON files)",
                        Format::Json => " (or with --format yaml, if they are its YAML files)",
                    }
                );
                return Ok(ExitCode::from(1));
            }
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
