//! `modelarts-iam completions SHELL` and `modelarts-iam man [--out DIR]`: shell completions and
//! man pages generated from the CLI definition itself, so they always match the binary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::out;

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, e.g.:
  bash: modelarts-iam completions bash > ~/.local/share/bash-completion/completions/modelarts-iam
  zsh:  modelarts-iam completions zsh > ~/.zfunc/_modelarts-iam   (with fpath+=~/.zfunc)
  fish: modelarts-iam completions fish > ~/.config/fish/completions/modelarts-iam.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write one page per command and subcommand (`modelarts-iam.1`, `modelarts-iam-catalog.1`,
    /// `modelarts-iam-catalog-actions.1`, ...) into this directory, and list them, instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Prints the completion script of a shell.
pub fn completions(args: &CompletionsArgs, mut cli: clap::Command) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "modelarts-iam", &mut script);
    out::write(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the main man page, or writes every page into a directory.
pub fn man(args: &ManArgs, cli: clap::Command) -> anyhow::Result<ExitCode> {
    let mut cli = cli.disable_help_subcommand(true);
    cli.build();
    match &args.out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cli)
                .render(&mut page)
                .context("rendering the man page")?;
            out::write(&page)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut written = Vec::new();
            write_pages(cli, dir, &mut written)?;
            for p in written {
                outln!("{}", p.display())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_pages(cmd: clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let page = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(page.get_filename());
    let mut text = Vec::new();
    page.render(&mut text)
        .with_context(|| format!("rendering {}", path.display()))?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    Ok(())
}
