//! One module per subcommand. Each exposes its clap arguments and `run(args) -> Result<ExitCode>`.

pub mod catalog;
pub mod eval;
pub mod log;
pub mod serve;
pub mod validate;
