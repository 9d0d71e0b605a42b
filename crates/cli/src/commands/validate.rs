//! `modelarts-iam validate FILE|- [--type identity|trust|scp|session] [--json] [--explain]`:
//! Access-Analyzer-style findings for one policy document.
//!
//! Output: a table by default, `{"findings": [...]}` with `--json`, and with `--explain` each
//! finding with the offending line, a caret under the span and the fix. Exit status: 0 when no
//! finding is an error, 3 when some finding is an error (or the file is not UTF-8 text), 1 when
//! the file cannot be read.

use std::process::ExitCode;

use iam_analyzer::{Finding, PolicyType, has_errors, path_to_string, source_text, validate};

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The policy document file; `-` for standard input. The document may also be a JSON string
    /// holding the policy (as Huawei's APIs carry documents).
    pub file: String,
    /// The policy type.
    #[arg(long = "type", value_enum, default_value_t = TypeArg::Identity)]
    pub policy_type: TypeArg,
    /// Print `{"findings": [...]}` (Access Analyzer's ValidatePolicy shape).
    #[arg(long, conflicts_with = "explain")]
    pub json: bool,
    /// Print each finding with the offending line, a caret under it, and the fix.
    #[arg(long)]
    pub explain: bool,
}

/// The `--type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TypeArg {
    /// Identity policy (users, groups, agencies); version 5.0 or legacy 1.1.
    Identity,
    /// Trust policy of an agency.
    Trust,
    /// Service control policy.
    Scp,
    /// Session policy of an agency session.
    Session,
}

impl From<TypeArg> for PolicyType {
    fn from(t: TypeArg) -> Self {
        match t {
            TypeArg::Identity => PolicyType::Identity,
            TypeArg::Trust => PolicyType::Trust,
            TypeArg::Scp => PolicyType::Scp,
            TypeArg::Session => PolicyType::Session,
        }
    }
}

/// Exit status when some finding is an error.
const EXIT_ERRORS: u8 = 3;

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let document = super::common::read(std::path::Path::new(&args.file))?;
    let findings = validate(&document, args.policy_type.into());
    let out = if args.json {
        let mut s = serde_json::to_string_pretty(&serde_json::json!({ "findings": findings }))?;
        s.push('\n');
        s
    } else if args.explain {
        iam_analyzer::explain(&source_text(&document), &findings)
    } else {
        findings_table(&findings)
    };
    super::out::write_str(&out)?;
    Ok(if has_errors(&findings) {
        ExitCode::from(EXIT_ERRORS)
    } else {
        ExitCode::SUCCESS
    })
}

fn findings_table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No findings.\n".to_owned();
    }
    let mut t = super::table(&["type", "code", "line:col", "path", "details"]);
    for f in findings {
        let (at, path) = f.locations.first().map_or_else(
            || (String::new(), String::new()),
            |l| {
                (
                    format!("{}:{}", l.span.start.line, l.span.start.column),
                    path_to_string(&l.path),
                )
            },
        );
        let tone = if f.is_error() {
            super::style::Tone::Bad
        } else {
            super::style::Tone::Warn
        };
        t.add_row(vec![
            super::style::cell(f.finding_type.as_str(), tone),
            f.issue_code.clone().into(),
            at.into(),
            path.into(),
            f.finding_details.clone().into(),
        ]);
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    format!("{t}\n{} finding(s), {errors} error(s)\n", findings.len())
}
