//! `modelarts-iam eval FILE...|-`: run evaluation cases (spec §8, `tests/corpus/README.md`)
//! through the engine (`iam_policy::case::run_case`), resolving `method` + `path` requests
//! through the built-in catalog's routes.
//!
//! Input: one case object, a JSON array of cases, or JSON lines (one case per line). Output: one
//! JSON line per case (`--explain`: a line a person reads at a glance, plus indented details);
//! `--check` compares each decision with the case's `expect`.
//!
//! Exit codes (stable, see `main.rs`): 0 every case allowed (with `--check`: every case passed);
//! 2 some case was denied (with `--check`: some case failed); 3 invalid input (a file or case
//! that does not parse, a policy that does not parse, an unknown route) — this wins over 2;
//! 1 a runtime error such as an unreadable file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use iam_catalog::{Catalog, RouteTarget};
use iam_policy::case::{Case, CaseResult, RouteAction, RouteResolver, run_case};
use iam_policy::{Decision, FailedCondition, Layer, LayerRef, StatementRef};
use serde::Serialize;
use serde_json::Value;

const AFTER_HELP: &str = "\
Input: one case object, a JSON array of cases, or JSON lines (one case per line); see
tests/corpus/README.md for the format. A request gives `action` (+ `resource`, `context`) or
`method` + `path` (+ `region`, `account_id`), resolved through the built-in catalog's routes;
every action of the route must be allowed.

Output: one JSON line per case: {\"file\", \"case\" (1-based), \"name\", \"decision\",
\"explanation\": {\"decision\", \"message\", \"statements\", \"failing_layers\",
\"failed_conditions\", \"notes\"}, \"actions\" (route cases), \"expect\", \"passed\", \"error\"}.
--explain prints `ALLOW|DENY ...  NAME  reason` lines instead; --check prints only failing cases
and the summary line `N passed, M failed`.

Exit codes: 0 every case allowed (--check: every case matched `expect`); 2 some case denied
(--check: some case did not match `expect`); 3 invalid input (malformed JSON, an unknown member,
a policy or context that does not parse, an unknown route), reported with the file, the case
number or line number and the JSON path; 1 other errors (unreadable file).";

/// Arguments of `eval`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct EvalArgs {
    /// Files with one case, a JSON array of cases, or JSON lines; `-` for standard input.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<String>,
    /// Compare each decision with the case's `expect`: print each failing case and the line
    /// `N passed, M failed`; exit 2 on any failure.
    #[arg(long)]
    pub check: bool,
    /// Print a human-readable line per case (decision, determining statements, failing layer
    /// and conditions) instead of JSON.
    #[arg(long)]
    pub explain: bool,
}

/// The built-in catalog as the case runner's route resolver.
#[derive(Debug)]
struct CatalogRoutes<'a>(&'a Catalog);

impl RouteResolver for CatalogRoutes<'_> {
    fn resolve(
        &self,
        method: &str,
        path: &str,
        region: &str,
        account_id: &str,
    ) -> Result<Vec<RouteAction>, String> {
        let target = RouteTarget::new(region, account_id);
        let resolved = self
            .0
            .resolve_route(method, path, &target)
            .map_err(|e| format!("request: route `{method} {path}`: {e}"))?;
        Ok(resolved
            .actions
            .iter()
            .zip(&resolved.resources)
            .map(|(a, r)| RouteAction {
                action: (*a).to_string(),
                resource: r.clone(),
            })
            .collect())
    }
}

/// Where a case came from: `file`, 1-based case number and, for JSON lines, the line.
#[derive(Debug, Clone)]
struct Origin {
    file: String,
    case: usize,
    line: Option<usize>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}: line {line}", self.file),
            None => write!(f, "{}: case #{}", self.file, self.case),
        }
    }
}

/// One input item: a readable case or the reason it is not.
#[derive(Debug)]
struct Item {
    origin: Origin,
    /// The case name when the item has one (even if it does not parse as a case).
    name: Option<String>,
    case: Result<Case, String>,
}

const CASE_MEMBERS: &[&str] = &[
    "name",
    "identity_policies",
    "scps",
    "session_policies",
    "principal",
    "request",
    "expect",
];
const REQUEST_MEMBERS: &[&str] = &[
    "action",
    "resource",
    "context",
    "method",
    "path",
    "region",
    "account_id",
];
const PRINCIPAL_MEMBERS: &[&str] = &["urn", "account_id", "is_root_user", "is_management_account"];

/// Rejects members the case format does not have (a typo such as `identity_policy` would
/// otherwise be silently ignored and change the decision).
fn check_members(v: &Value) -> Result<(), String> {
    let Value::Object(map) = v else {
        return Err(format!("a case must be a JSON object, found {}", kind(v)));
    };
    let unknown = |obj: &serde_json::Map<String, Value>, allowed: &[&str], at: &str| {
        obj.keys()
            .find(|k| !allowed.contains(&k.as_str()))
            .map(|k| {
                format!(
                    "{at}unknown member `{k}` (expected one of: {})",
                    allowed.join(", ")
                )
            })
    };
    if let Some(e) = unknown(map, CASE_MEMBERS, "") {
        return Err(e);
    }
    if let Some(Value::Object(req)) = map.get("request")
        && let Some(e) = unknown(req, REQUEST_MEMBERS, "request: ")
    {
        return Err(e);
    }
    if let Some(Value::Object(p)) = map.get("principal")
        && let Some(e) = unknown(p, PRINCIPAL_MEMBERS, "principal: ")
    {
        return Err(e);
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Deserializes one case, naming the JSON path of the offending member.
fn to_case(v: Value) -> Result<Case, String> {
    check_members(&v)?;
    serde_path_to_error::deserialize::<_, Case>(v).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("at `{path}`: {}", e.into_inner())
        }
    })
}

fn name_of(v: &Value) -> Option<String> {
    v.get("name").and_then(Value::as_str).map(str::to_owned)
}

/// Splits one input text into items. `Err` when the text as a whole is unreadable.
fn read_items(file: &str, text: &str) -> Result<Vec<Item>, String> {
    if text.trim().is_empty() {
        return Err(format!("{file}: no case in the input (it is empty)"));
    }
    let origin = |case, line| Origin {
        file: file.to_owned(),
        case,
        line,
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => {
            if items.is_empty() {
                return Err(format!("{file}: the array holds no case"));
            }
            Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, v)| Item {
                    origin: origin(i + 1, None),
                    name: name_of(&v),
                    case: to_case(v),
                })
                .collect())
        }
        Ok(v @ Value::Object(_)) => Ok(vec![Item {
            origin: origin(1, None),
            name: name_of(&v),
            case: to_case(v),
        }]),
        Ok(other) => Err(format!(
            "{file}: the input must be a case object, an array of cases or JSON lines, found {}",
            kind(&other)
        )),
        Err(whole) => {
            // JSON lines when the first non-blank line is a complete JSON value by itself;
            // otherwise the whole document is malformed and its error (with line and column)
            // is the precise one.
            let mut lines = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .peekable();
            let first_is_value = lines
                .peek()
                .is_some_and(|(_, l)| serde_json::from_str::<Value>(l).is_ok());
            if !first_is_value {
                return Err(format!("{file}: the input is not valid JSON: {whole}"));
            }
            Ok(lines
                .enumerate()
                .map(|(i, (n, l))| match serde_json::from_str::<Value>(l) {
                    Ok(v) => Item {
                        origin: origin(i + 1, Some(n + 1)),
                        name: name_of(&v),
                        case: to_case(v),
                    },
                    Err(e) => Item {
                        origin: origin(i + 1, Some(n + 1)),
                        name: None,
                        case: Err(format!("not valid JSON: {e}")),
                    },
                })
                .collect())
        }
    }
}

/// The bytes of a file (or standard input); `Ok(Err)` when they are not UTF-8 (invalid input).
fn read_text(file: &str) -> anyhow::Result<Result<String, String>> {
    let bytes = super::read_input(file)?;
    Ok(String::from_utf8(bytes).map_err(|e| format!("{file}: the input is not UTF-8: {e}")))
}

/// The JSON line of one case.
#[derive(Debug, Serialize)]
struct Line<'a> {
    file: &'a str,
    case: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(flatten)]
    result: &'a CaseResult,
}

/// Runs the command.
pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::builtin();
    if let Some(e) = catalog.load_error() {
        bail!("the built-in catalog failed to load: {e}");
    }
    let routes = CatalogRoutes(catalog);
    if args.files.iter().filter(|f| f.as_str() == "-").count() > 1 {
        bail!("standard input (`-`) can be read only once");
    }
    let (mut passed, mut failed, mut denied, mut invalid) = (0usize, 0usize, 0usize, 0usize);
    let mut out = String::new();
    let mut stdout = std::io::stdout().lock();
    for file in &args.files {
        let items = match read_text(file)?.and_then(|text| read_items(file, &text)) {
            Ok(items) => items,
            Err(e) => {
                eprintln!("invalid input: {e}");
                invalid += 1;
                continue;
            }
        };
        for item in items {
            let levels = item.case.as_ref().map_or(0, |c| c.scps.len());
            let result = match &item.case {
                Ok(case) => run_case(case, Some(&routes)),
                Err(e) => CaseResult {
                    name: item.name.clone(),
                    decision: None,
                    explanation: None,
                    actions: Vec::new(),
                    expect: None,
                    passed: None,
                    error: Some(e.clone()),
                },
            };
            if let Some(e) = &result.error {
                invalid += 1;
                eprintln!(
                    "invalid input: {}{}: {e}",
                    item.origin,
                    item.name
                        .as_deref()
                        .map(|n| format!(" ({n:?})"))
                        .unwrap_or_default()
                );
            }
            let ok = match (result.decision, result.expect) {
                (Some(d), Some(x)) => d == x,
                _ => false,
            };
            if result.decision.is_some_and(|d| !d.is_allow()) {
                denied += 1;
            }
            if ok {
                passed += 1;
            } else {
                failed += 1;
            }
            out.clear();
            if args.check {
                if !ok {
                    let label = item.name.clone().unwrap_or_else(|| item.origin.to_string());
                    let why = match (&result.error, result.decision, result.expect) {
                        (Some(e), _, _) => format!("error: {e}"),
                        (None, Some(d), Some(x)) => format!("expected {x}, got {d}"),
                        (None, Some(d), None) => format!("no `expect` (got {d})"),
                        (None, None, _) => "no decision".to_owned(),
                    };
                    let _ = writeln!(out, "FAIL {label} [{}]: {why}", item.origin);
                    if args.explain && result.error.is_none() {
                        explain(&mut out, &item.origin, &result, levels);
                    }
                }
            } else if args.explain {
                explain(&mut out, &item.origin, &result, levels);
            } else {
                let line = Line {
                    file,
                    case: item.origin.case,
                    line: item.origin.line,
                    result: &result,
                };
                out.push_str(&serde_json::to_string(&line).context("serializing a result")?);
                out.push('\n');
            }
            stdout
                .write_all(out.as_bytes())
                .context("writing to standard output")?;
        }
    }
    if args.check {
        writeln!(stdout, "{passed} passed, {failed} failed")
            .context("writing to standard output")?;
    }
    stdout.flush().context("writing to standard output")?;
    let code = if invalid > 0 {
        3
    } else if (args.check && failed > 0) || (!args.check && denied > 0) {
        2
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

fn layer_label(l: &LayerRef, levels: usize) -> String {
    match (l.layer, l.level) {
        (Layer::Scp, Some(level)) => {
            let node = if level == 0 {
                "root"
            } else if level + 1 == levels {
                "account"
            } else {
                "OU"
            };
            format!("SCP level {level} ({node})")
        }
        (Layer::Scp, None) => "SCP".to_owned(),
        (Layer::Identity, _) => "identity policies".to_owned(),
        (Layer::Session, _) => "session policies".to_owned(),
    }
}

fn statement_label(s: &StatementRef) -> String {
    let layer = match (s.layer, s.level) {
        (Layer::Scp, Some(level)) => format!("SCP level {level}"),
        (Layer::Scp, None) => "SCP".to_owned(),
        (Layer::Identity, _) => "identity".to_owned(),
        (Layer::Session, _) => "session".to_owned(),
    };
    let sid = s
        .sid
        .as_deref()
        .map(|sid| format!(" (Sid {sid})"))
        .unwrap_or_default();
    format!(
        "{layer} policy {} statement #{}{sid}",
        s.policy_id, s.statement_index
    )
}

fn condition_label(c: &FailedCondition) -> String {
    let request = if c.request_values.is_empty() {
        "missing".to_owned()
    } else {
        format!("{:?}", c.request_values)
    };
    let error = c
        .error
        .as_deref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    format!(
        "{} {} {:?} vs request {request}{error} in {}",
        c.operator,
        c.key,
        c.policy_values,
        statement_label(&c.statement)
    )
}

/// The human-readable form: `ALLOW  NAME  by ...` or `DENY (...)  NAME  ...`, then indented
/// details (denial message, failed conditions, notes, route actions).
fn explain(out: &mut String, origin: &Origin, r: &CaseResult, levels: usize) {
    let name = r.name.clone().unwrap_or_else(|| origin.to_string());
    let (Some(decision), Some(e)) = (r.decision, &r.explanation) else {
        let _ = writeln!(
            out,
            "ERROR  {name}  {}",
            r.error.as_deref().unwrap_or("no decision")
        );
        return;
    };
    let head = match decision {
        Decision::Allow => {
            let by: Vec<String> = e.statements.iter().map(statement_label).collect();
            if by.is_empty() {
                format!("ALLOW  {name}")
            } else {
                format!("ALLOW  {name}  by {}", by.join("; "))
            }
        }
        Decision::ExplicitDeny => {
            let layer = e
                .failing_layers
                .first()
                .map(|l| format!(" in {}", layer_label(l, levels)))
                .unwrap_or_default();
            let by: Vec<String> = e.statements.iter().map(statement_label).collect();
            format!("DENY (explicit{layer})  {name}  by {}", by.join("; "))
        }
        Decision::ImplicitDeny => {
            let layers: Vec<String> = e
                .failing_layers
                .iter()
                .map(|l| layer_label(l, levels))
                .collect();
            format!("DENY (implicit: no allow in {})  {name}", layers.join(", "))
        }
    };
    out.push_str(&head);
    if let Some(x) = r.expect {
        let mark = if x == decision { "ok" } else { "MISMATCH" };
        let _ = write!(out, "  [expect {x}: {mark}]");
    }
    out.push('\n');
    if let Some(m) = &e.message {
        let _ = writeln!(out, "    message: {m}");
    }
    if !e.failed_conditions.is_empty() {
        let _ = writeln!(out, "    conditions that did not hold:");
        for c in &e.failed_conditions {
            let _ = writeln!(out, "      - {}", condition_label(c));
        }
    }
    for a in &r.actions {
        let _ = writeln!(
            out,
            "    action {} on {}: {}",
            a.action, a.resource, a.decision
        );
    }
    for n in &e.notes {
        let _ = writeln!(out, "    note: {n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_report_real_line_numbers() {
        let text = "{\"request\": {\"action\": \"a:b:c\"}}\n\n{\"request\": 5}\n";
        let items = read_items("f", text).unwrap_or_default();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].origin.line, Some(3));
        assert!(items[1].case.is_err());
        assert!(items[0].case.is_ok());
    }

    #[test]
    fn malformed_document_is_one_error_with_position() {
        let text = "{\n  \"request\": {\"action\": \"a:b:c\"},\n  oops\n}";
        let e = read_items("f", text).err().unwrap_or_default();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn unknown_members_are_rejected() {
        let v = serde_json::json!({"identity_policy": [], "request": {"action": "a"}});
        assert!(to_case(v).is_err_and(|e| e.contains("identity_policy")));
        let v = serde_json::json!({"request": {"actoin": "a"}});
        assert!(to_case(v).is_err_and(|e| e.contains("request: unknown member `actoin`")));
    }
}
