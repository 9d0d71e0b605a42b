//! One module per subcommand. Each exposes its clap arguments and `run(args) -> Result<ExitCode>`.
//!
//! Conventions every command follows: output goes through `out` (closed pipes end quietly), the
//! look (colour, tables) comes from `style`, and errors meant for the user are [`Problem`]s:
//! what is wrong, what to do next, and the exit status (1 usage or runtime, 3 invalid input).

#[macro_use]
pub mod out;
pub mod admin;
pub mod apply;
pub mod audit;
pub mod authorize;
pub mod catalog;
pub mod common;
pub mod configure;
pub mod coverage;
pub mod diff;
pub mod eval;
pub mod explanation;
pub mod export;
pub mod fmt;
pub mod generate;
pub mod log;
pub mod meta;
pub mod migrate;
pub mod plan;
pub mod preflight;
pub mod serve;
pub mod style;
pub mod test;
pub mod validate;

use std::path::Path;

use anyhow::Context as _;

/// The files under `dir` that `keep(name, path)` accepts, recursively, sorted by name within
/// each directory; hidden directories, `target` and `node_modules` are skipped (`fmt` and
/// `test` search trees with it).
pub(crate) fn find_files(
    dir: &Path,
    keep: &mut dyn FnMut(&str, &Path) -> bool,
    out: &mut Vec<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the directory {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading the directory {}", dir.display()))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let kind = e
            .file_type()
            .with_context(|| format!("reading {}", path.display()))?;
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                find_files(&path, keep, out)?;
            }
        } else if keep(&name, &path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The bytes of a file, or of standard input when the path is `-`.
pub(crate) fn read_input(file: impl AsRef<Path>) -> anyhow::Result<Vec<u8>> {
    let file = file.as_ref();
    if file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .context("reading standard input")?;
        return Ok(b);
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

/// Prints a value as pretty JSON (one document and a newline).
pub(crate) fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value).context("serializing JSON")?;
    text.push('\n');
    out::write_str(&text)
}

/// A table with the CLI's look (see [`style::table`]).
pub(crate) fn table(header: &[&str]) -> comfy_table::Table {
    style::table(header)
}

/// Exit status of usage and runtime errors.
pub(crate) const EXIT_ERROR: u8 = 1;
/// Exit status of a deny decision or a failed check.
pub(crate) const EXIT_DENY: u8 = 2;
/// Exit status of invalid input (a policy with validation errors, a case that does not parse).
pub(crate) const EXIT_INVALID: u8 = 3;

/// An error for the user: what is wrong, what to do next (the hint), and the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// What is wrong (one line, no trailing period).
    pub message: String,
    /// What to do next, when there is something to say.
    pub hint: Option<String>,
    /// The exit status: [`EXIT_ERROR`] or [`EXIT_INVALID`].
    pub code: u8,
}

impl Problem {
    /// A usage or runtime error (exit 1).
    pub(crate) fn usage(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            hint: None,
            code: EXIT_ERROR,
        }
    }

    /// Invalid input (exit 3).
    pub(crate) fn invalid(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            hint: None,
            code: EXIT_INVALID,
        }
    }

    /// With what to do next.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }

    /// With "did you mean `x`?" before the hint when there is a suggestion.
    pub(crate) fn suggest(self, suggestion: Option<&str>, hint: impl Into<String>) -> Problem {
        let hint = hint.into();
        match suggestion {
            Some(s) => self.hint(format!("did you mean `{s}`? {}", capitalize(&hint))),
            None => self.hint(capitalize(&hint)),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}
