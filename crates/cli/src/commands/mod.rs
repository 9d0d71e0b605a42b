//! One module per subcommand. Each exposes its clap arguments and `run(args) -> Result<ExitCode>`.

pub mod admin;
pub mod audit;
pub mod authorize;
pub mod catalog;
pub mod common;
pub mod configure;
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
use comfy_table::{ContentArrangement, Table, presets};

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

/// Prints a value as pretty JSON.
pub(crate) fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).context("serializing JSON")?
    );
    Ok(())
}

/// A table with the CLI's look: condensed UTF-8 borders, wrapped to the terminal (160 columns
/// when not a terminal).
pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    if !t.is_tty() {
        t.set_width(160);
    }
    t
}
