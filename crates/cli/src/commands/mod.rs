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
