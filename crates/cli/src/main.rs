//! `modelarts-iam`: the command-line entry point. It only parses arguments and calls the library
//! crates; each subcommand lives in its own module under `commands/`.
//!
//! Exit codes are stable: 0 success (or `allow`), 1 usage or runtime error, 2 a deny decision or a
//! failed check, 3 invalid input (e.g. a policy with validation errors).

mod client;
mod commands;
mod connection;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the C library's allocator: the server's request paths allocate and free
/// small objects on every request, across the runtime's worker threads and the SQLite writer
/// thread, and glibc's malloc spent ~17 % of the gateway's CPU time on them (perf, the gateway
/// wrk bench; docs/benchmarks.md, "Gateway").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// ModelArts-style IAM: evaluate, validate, generate and serve Huawei Cloud IAM policies.
#[derive(Debug, Parser)]
#[command(name = "modelarts-iam", version, about, long_about = None)]
struct Cli {
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
    /// The access a policy change adds and removes.
    Diff(commands::diff::DiffArgs),
    /// The admin commands of a running server (`user`, `access-key`, `group`, `policy`, `agency`,
    /// `scp`, `ou`, `account`, `organization`, `authorization`, `caller-identity`).
    #[command(flatten)]
    Admin(commands::admin::AdminCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Catalog(cmd) => commands::catalog::run(cmd),
        Command::Eval(args) => commands::eval::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Configure(args) => commands::configure::run(args),
        Command::Authorize(args) => commands::authorize::run(args),
        Command::Log(args) => commands::log::run(args),
        Command::Coverage(args) => commands::coverage::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Preflight(args) => commands::preflight::run(*args),
        Command::Audit(cmd) => commands::audit::run(cmd),
        Command::Diff(args) => commands::diff::run(args),
        Command::Admin(cmd) => commands::admin::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
