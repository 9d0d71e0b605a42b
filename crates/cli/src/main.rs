//! `modelarts-iam`: the command-line entry point. It only parses arguments and calls the library
//! crates; each subcommand lives in its own module under `commands/`.
//!
//! Exit codes are stable: 0 success (or `allow`), 1 usage or runtime error, 2 a deny decision or a
//! failed check, 3 invalid input (e.g. a policy with validation errors). `--help` and
//! `--version` exit 0; a command line clap refuses exits 1 (clap's own default, 2, would read
//! as a deny).
//!
//! Output goes through `commands::out` (a closed pipe ends it quietly), never `println!`: the
//! lint below keeps it so.
#![deny(
    clippy::print_stdout,
    reason = "print through commands::out: println! panics when the reader closes the pipe"
)]

mod client;
mod commands;
mod connection;
mod declarative;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use commands::style::{self, ColorWhen, Tone};
use commands::{EXIT_ERROR, Problem};

/// mimalloc instead of the C library's allocator: the server's request paths allocate and free
/// small objects on every request, across the runtime's worker threads and the SQLite writer
/// thread, and glibc's malloc spent ~17 % of the gateway's CPU time on them (perf, the gateway
/// wrk bench; docs/benchmarks.md, "Gateway").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// ModelArts-style IAM: evaluate, validate, generate and serve Huawei Cloud IAM policies.
#[derive(Debug, Parser)]
#[command(name = "modelarts-iam", version)]
struct Cli {
    /// When to colour: `auto` (on terminals; NO_COLOR, CLICOLOR and CLICOLOR_FORCE apply),
    /// `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    color: ColorWhen,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Browse the ModelArts service catalog: actions, routes, scenarios, notes.
    #[command(subcommand)]
    Catalog(commands::catalog::CatalogCommand),
    /// Evaluate authorization cases (one case, a JSON array, or JSON lines).
    Eval(commands::eval::EvalArgs),
    /// Validate a policy document and print findings.
    Validate(commands::validate::ValidateArgs),
    /// Run the IAM server.
    Serve(commands::serve::ServeArgs),
    /// Copy an embedded store (a data directory) into an empty PostgreSQL database, verified
    Migrate(commands::migrate::MigrateArgs),
    /// Write a profile (endpoint, credentials, project) for the commands that call a server.
    Configure(commands::configure::ConfigureArgs),
    /// Ask a running server for a decision (signed `POST /v1/authorize`).
    Authorize(commands::authorize::AuthorizeArgs),
    /// Show the decision log of enforced requests (data directory or a running server).
    Log(commands::log::LogArgs),
    /// Which permissions of the ModelArts dependency scenarios a principal holds or misses.
    Coverage(commands::coverage::CoverageArgs),
    /// Least-privilege policies for ModelArts scenarios, or from observed use.
    Generate(commands::generate::GenerateArgs),
    /// Check a ModelArts operation for a user, step by step, with the fix.
    Preflight(Box<commands::preflight::PreflightArgs>),
    /// Audits: agency overreach.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// The access a policy change adds and removes (exit 2 when it adds access).
    Diff(commands::diff::DiffArgs),
    /// Run policy test suites (`*_test.json`, `*.test.json`), like `opa test`.
    Test(commands::test::TestArgs),
    /// Format policy documents canonically (in place, `--check`, `--diff`, `--upgrade` 1.1 to 5.0).
    Fmt(commands::fmt::FmtArgs),
    /// The admin commands of a running server (`user`, `access-key`, `group`, `policy`, `agency`,
    /// `scp`, `ou`, `account`, `organization`, `authorization`, `caller-identity`).
    #[command(flatten)]
    Admin(commands::admin::AdminCommand),
    /// Print the shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(commands::meta::CompletionsArgs),
    /// Print the man page, or write one page per command with `--out DIR`.
    Man(commands::meta::ManArgs),
    /// What `apply DIR` would change, and the access it adds and removes (exit 2: changes).
    Plan(commands::plan::PlanArgs),
    /// Make the account what the configuration directory says.
    Apply(commands::apply::ApplyArgs),
    /// Write the account in the configuration format.
    Export(commands::export::ExportArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use std::io::Write as _;
            // help and version go to standard output (exit 0); refusals, and the help shown
            // for a missing subcommand, to standard error (exit 1)
            if e.exit_code() == 0 {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.render();
            let text = if style::stderr_colored() {
                text.ansi().to_string()
            } else {
                text.to_string()
            };
            let _ = std::io::stderr().write_all(text.as_bytes());
            return ExitCode::from(EXIT_ERROR);
        }
    };
    style::init(cli.color);
    let result = match cli.command {
        Command::Catalog(cmd) => commands::catalog::run(cmd),
        Command::Eval(args) => commands::eval::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Migrate(args) => commands::migrate::run(args),
        Command::Configure(args) => commands::configure::run(args),
        Command::Authorize(args) => commands::authorize::run(args),
        Command::Log(args) => commands::log::run(args),
        Command::Coverage(args) => commands::coverage::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Preflight(args) => commands::preflight::run(*args),
        Command::Audit(cmd) => commands::audit::run(cmd),
        Command::Diff(args) => commands::diff::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Admin(cmd) => commands::admin::run(cmd),
        Command::Completions(args) => commands::meta::completions(&args, Cli::command()),
        Command::Man(args) => commands::meta::man(&args, Cli::command()),
        Command::Plan(args) => commands::plan::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Export(args) => commands::export::run(args),
    };
    match result {
        Ok(code) => code,
        // A command that wrote to a closed pipe without `commands::out` stops here, quietly.
        Err(err) if commands::out::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}

/// Prints an error (and its hint) to standard error; the exit status is the [`Problem`]'s, else 1.
fn report(err: &anyhow::Error) -> ExitCode {
    use std::io::Write as _;
    // a Problem is the error itself, a context added to another error, or a cause
    let problem = err
        .downcast_ref::<Problem>()
        .or_else(|| err.chain().find_map(|c| c.downcast_ref::<Problem>()));
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "{} {}",
        style::paint_err("error:", Tone::Bad),
        error_text(err)
    );
    if let Some(hint) = problem.and_then(|p| p.hint.as_deref()) {
        let _ = writeln!(stderr, "{} {hint}", style::paint_err("hint:", Tone::Strong));
    }
    ExitCode::from(problem.map_or(EXIT_ERROR, |p| p.code))
}

/// The error and its causes, `: `-separated, each said once: a cause whose text an outer
/// message already holds (a library error that repeats its source) is left out.
fn error_text(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || parts.iter().any(|p| p.contains(text)) {
            continue;
        }
        parts.push(text.to_owned());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_said_once() {
        let inner = anyhow::anyhow!("the 'separator' component could not be parsed");
        let err = inner
            .context("the 'separator' component could not be parsed")
            .context("--since `x` is not a time");
        assert_eq!(
            error_text(&err),
            "--since `x` is not a time: the 'separator' component could not be parsed"
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
