//! One module per subcommand. Each exposes its clap arguments and `run(args) -> Result<ExitCode>`.

pub mod catalog;
pub mod eval;
pub mod log;
pub mod serve;
pub mod validate;
pub mod audit;
pub mod coverage;
pub mod diff;
pub mod generate;
pub mod preflight;
