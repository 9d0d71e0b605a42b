//! `modelarts-iam test [PATH...]`: run policy test suites, like `opa test`.
//!
//! A suite is a file of evaluation cases (the `eval` case format: one case, a JSON array of
//! cases, or JSON lines), every case with its `expect`. Directories are searched recursively for
//! files named `*_test.json` or `*.test.json` (hidden directories and `target` are skipped); a
//! file named on the command line is a suite whatever its name. Policies may be file references
//! (`"@policies/ds.json"`, relative to the suite's directory).
//!
//! Output: for every failing case a block with the expected and the actual decision and the
//! explanation, then `PASS: N/T` (and `FAIL: M/T`, `ERROR: K/T` when there are some); `-v` lists
//! every case; `--json` prints one JSON document. Exit codes: 0 every case passed; 2 some case
//! failed; 3 a suite is malformed (not JSON, not cases, a case without `expect`, a referenced
//! policy file missing or invalid) — this wins over 2; 1 usage errors (such as no suite found,
//! an unreadable file, a bad `--run` pattern).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use iam_catalog::Catalog;
use iam_policy::case::CaseResult;
use serde::Serialize;

use super::eval::{CatalogRoutes, Item, Line, item_result, load_items};
use super::explanation::{explanation_text, indent};

const AFTER_HELP: &str = "\
Suites: files named *_test.json or *.test.json, found recursively under each DIR (hidden
directories and `target` are skipped); a FILE named on the command line is always a suite.
A suite holds evaluation cases in the `eval` format (one case, a JSON array, or JSON lines),
each with `expect`; policies may be file references \"@PATH\" relative to the suite's directory.

Exit codes: 0 every case passed; 2 some case failed; 3 a suite is malformed (not JSON, a case
without `expect`, a referenced policy file missing or invalid); 1 usage errors.";

/// Arguments of `test`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct TestArgs {
    /// Suite files or directories to search for `*_test.json` / `*.test.json` (default `.`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// List every case with its result, not only the failing ones.
    #[arg(short, long)]
    pub verbose: bool,
    /// Run only the cases whose name matches this regular expression (a plain substring works
    /// too); a case without a name is named `case #N`.
    #[arg(long, value_name = "REGEX")]
    pub run: Option<String>,
    /// Print one JSON document: every case's result and the counts.
    #[arg(long)]
    pub json: bool,
}

/// True for a suite file name found in a directory.
pub(crate) fn is_suite_name(name: &str) -> bool {
    name.ends_with("_test.json") || name.ends_with(".test.json")
}

/// The suite files under `dir`, recursively, sorted.
fn find_suites(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    super::find_files(dir, &mut |name, _| is_suite_name(name), out)
}

/// One case's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pass,
    Fail,
    Error,
}

/// The JSON of one case: the `eval` line plus its status.
#[derive(Debug, Serialize)]
struct CaseJson<'a> {
    status: Status,
    #[serde(flatten)]
    line: Line<'a>,
}

/// The counts of a run.
#[derive(Debug, Serialize)]
struct Counts {
    passed: usize,
    failed: usize,
    errors: usize,
    total: usize,
}

/// A suite that could not be read as a whole.
#[derive(Debug, Serialize)]
struct SuiteError<'a> {
    file: &'a str,
    error: &'a str,
}

/// The `--json` document.
#[derive(Debug, Serialize)]
struct Report<'a> {
    summary: Counts,
    results: Vec<CaseJson<'a>>,
    suite_errors: Vec<SuiteError<'a>>,
}

/// Runs the command.
pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let filter = match &args.run {
        Some(p) => Some(
            regex::Regex::new(p)
                .with_context(|| format!("--run `{p}` is not a regular expression"))?,
        ),
        None => None,
    };
    let catalog = Catalog::builtin();
    if let Some(e) = catalog.load_error() {
        bail!("the built-in catalog failed to load: {e}");
    }
    let routes = CatalogRoutes(catalog);
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut suites = Vec::new();
    for p in &paths {
        if p.is_dir() {
            find_suites(p, &mut suites)?;
        } else if p.exists() {
            suites.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    if suites.is_empty() {
        bail!(
            "no test suite found under {} (suites are files named *_test.json or *.test.json)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // (file, item, result) of every selected case; whole-file errors separately.
    let mut runs: Vec<(String, Item, CaseResult)> = Vec::new();
    let mut warned = std::collections::BTreeSet::new();
    let mut file_errors: Vec<(String, String)> = Vec::new();
    for suite in &suites {
        let file = suite
            .strip_prefix(".")
            .unwrap_or(suite)
            .display()
            .to_string();
        let items = match load_items(&file)? {
            Ok(items) => items,
            Err(e) => {
                file_errors.push((file.clone(), e));
                continue;
            }
        };
        for item in items {
            let name = item
                .name
                .clone()
                .unwrap_or_else(|| format!("case #{}", item.origin.case));
            if filter.as_ref().is_some_and(|f| !f.is_match(&name)) {
                continue;
            }
            if let Ok(case) = &item.case
                && let Some(action) = &case.request.action
            {
                super::eval::warn_unknown_action(routes.0, action, &mut warned);
            }
            let mut result = item_result(&item, &routes);
            if result.error.is_none() && result.expect.is_none() {
                result.error = Some(
                    "the case has no `expect` (`allow`, `explicit_deny` or `implicit_deny`): a test case states the decision it expects".to_owned(),
                );
            }
            runs.push((file.clone(), item, result));
        }
    }
    let status = |r: &CaseResult| {
        if r.error.is_some() {
            Status::Error
        } else if r.passed == Some(true) {
            Status::Pass
        } else {
            Status::Fail
        }
    };
    let count = |s: Status| runs.iter().filter(|(_, _, r)| status(r) == s).count();
    let (passed, failed, errors) = (
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Error) + file_errors.len(),
    );
    let total = runs.len() + file_errors.len();
    let mut out = String::new();
    if args.json {
        let report = Report {
            summary: Counts {
                passed,
                failed,
                errors,
                total,
            },
            results: runs
                .iter()
                .map(|(file, item, r)| CaseJson {
                    status: status(r),
                    line: Line {
                        file,
                        case: item.origin.case,
                        line: item.origin.line,
                        result: r,
                        policy_files: &item.names,
                    },
                })
                .collect(),
            suite_errors: file_errors
                .iter()
                .map(|(file, error)| SuiteError { file, error })
                .collect(),
        };
        out = serde_json::to_string_pretty(&report).context("serializing the results")?;
        out.push('\n');
    } else {
        for (file, e) in &file_errors {
            let _ = write!(out, "ERROR  {file}\n{}", indent(e, "  "));
        }
        for (file, item, r) in &runs {
            let name = item
                .name
                .clone()
                .unwrap_or_else(|| format!("case #{}", item.origin.case));
            let at = match item.origin.line {
                Some(l) => format!("{file}: line {l}"),
                None => format!("{file}: case #{}", item.origin.case),
            };
            match status(r) {
                Status::Pass => {
                    if args.verbose {
                        let _ = writeln!(out, "PASS   {name}  [{at}]");
                    }
                }
                Status::Error => {
                    let _ = write!(
                        out,
                        "ERROR  {name}  [{at}]\n{}",
                        indent(r.error.as_deref().unwrap_or_default(), "  ")
                    );
                }
                Status::Fail => {
                    let _ = writeln!(out, "FAIL   {name}  [{at}]");
                    let expected = r.expect.map(|d| d.to_string()).unwrap_or_default();
                    let got = r.decision.map(|d| d.to_string()).unwrap_or_default();
                    let _ = writeln!(out, "  - expected: {expected}");
                    let _ = writeln!(out, "  + got:      {got}");
                    if let Some(e) = &r.explanation {
                        out.push_str(&indent(&explanation_text(e, &item.labels()), "    "));
                    }
                    for a in &r.actions {
                        let _ = writeln!(
                            out,
                            "    action {} on {}: {}",
                            a.action, a.resource, a.decision
                        );
                    }
                }
            }
        }
        if !out.is_empty() {
            out.push_str(&"-".repeat(80));
            out.push('\n');
        }
        let _ = writeln!(out, "PASS: {passed}/{total}");
        if failed > 0 {
            let _ = writeln!(out, "FAIL: {failed}/{total}");
        }
        if errors > 0 {
            let _ = writeln!(out, "ERROR: {errors}/{total}");
        }
    }
    super::out::write_str(&out)?;
    Ok(ExitCode::from(if errors > 0 {
        3
    } else if failed > 0 {
        2
    } else {
        0
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_names() {
        assert!(is_suite_name("ds_test.json"));
        assert!(is_suite_name("ds.test.json"));
        assert!(!is_suite_name("ds.json"));
        assert!(!is_suite_name("test.json"));
        assert!(!is_suite_name("ds_test.jsonl"));
    }
}
