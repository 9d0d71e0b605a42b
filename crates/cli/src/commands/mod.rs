//! One module per subcommand. Each exposes its clap arguments and `run(args) -> Result<ExitCode>`.

pub mod audit;
pub mod catalog;
pub mod coverage;
pub mod diff;
pub mod eval;
pub mod generate;
pub mod log;
pub mod preflight;
pub mod serve;
pub mod validate;

use std::path::Path;

use anyhow::Context as _;

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
