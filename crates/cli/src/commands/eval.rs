//! `modelarts-iam eval FILE...|-`: run evaluation cases (spec §8, `tests/corpus/README.md`)
//! through the engine (`iam_policy::case::run_case`), resolving `method` + `path` requests
//! through the built-in catalog's routes. Policies of a case may be file references
//! (`"@policies/ds.json"`, relative to the case file's directory).
//!
//! `modelarts-iam eval --policy P.json ... --action A ...`: one request built from policy files
//! and flags, decided per action (a table and the explanations, or `--json`: the case runner's
//! lines). Exit 0 all allowed, 2 some denied, 3 an invalid policy file (the validator's errors)
//! or unknown route, 1 usage errors and unreadable files.
//!
//! Input: one case object, a JSON array of cases, or JSON lines (one case per line). Output: one
//! JSON line per case (`--explain`: a line a person reads at a glance, plus indented details);
//! `--check` compares each decision with the case's `expect`.
//!
//! Exit codes (stable, see `main.rs`): 0 every case allowed (with `--check`: every case passed);
//! 2 some case was denied (with `--check`: some case failed); 3 invalid input (a file or case
//! that does not parse, a policy that does not parse, an unknown route) — this wins over 2;
//! 1 a runtime error such as an unreadable file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use iam_analyzer::{Finding, PolicyType};
use iam_catalog::{Catalog, RouteTarget};
use iam_policy::Decision;
use iam_policy::case::{
    Case, CasePrincipal, CaseRequest, CaseResult, RouteAction, RouteResolver, run_case,
};
use serde::Serialize;
use serde_json::Value;

use super::explanation::{Labels, explanation_text, indent};

const AFTER_HELP: &str = "\
Input: one case object, a JSON array of cases, or JSON lines (one case per line), each case
{\"name\", \"identity_policies\", \"scps\" (one list per level, root first),
\"session_policies\", \"principal\", \"request\", \"expect\"}. A request gives `action`
(+ `resource`, `context`) or `method` + `path` (+ `region`, `account_id`), resolved through the
built-in catalog's routes; every action of the route must be allowed.

Output: one JSON line per case: {\"file\", \"case\" (1-based), \"name\", \"decision\",
\"explanation\": {\"decision\", \"message\", \"reason\", \"statements\", \"failing_layers\",
\"failed_conditions\", \"notes\"}, \"actions\" (route cases), \"expect\", \"passed\", \"error\"}.
--explain prints `ALLOW|DENY ...  NAME  reason` lines instead; --check prints only failing cases
and the summary line `N passed, M failed`.

A policy in a case may be a file reference \"@PATH\", relative to the case file's directory.

A request from policy files instead of case files:
  eval --policy P.json... [--scp-level ROOT.json --scp-level OU1.json,OU2.json ...]
       [--session-policy S.json...] --action A... [--resource URN] | --method M --path P
       [--region R]  [--context KEY=VALUE...] [--principal URN] [--json]
prints a table (decision, action, resource, decided by) and each action's explanation; --json
prints the case runner's JSON lines. Each --scp-level is one level, root first, its files
comma-separated; repeat --context KEY for a multi-valued key (values are strings).

Exit codes: 0 every case allowed (--check: every case matched `expect`); 2 some case denied
(--check: some case did not match `expect`); 3 invalid input (malformed JSON, an unknown member,
a policy or context that does not parse, a referenced policy file missing or invalid, an unknown
route), reported with the file, the case number or line number and the JSON path; 1 usage
errors and other errors (a file named on the command line that cannot be read).";

/// Arguments of `eval`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct EvalArgs {
    /// Files with one case, a JSON array of cases, or JSON lines; `-` for standard input.
    /// Not with the request options (`--policy ... --action ...`).
    #[arg(num_args = 0..)]
    pub files: Vec<String>,
    /// Compare each decision with the case's `expect`: print each failing case and the line
    /// `N passed, M failed`; exit 2 on any failure.
    #[arg(long)]
    pub check: bool,
    /// Print a human-readable line per case (decision, determining statements, failing layer
    /// and conditions) instead of JSON.
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub request: RequestArgs,
}

/// `eval --policy P.json ... --action A`: one request from policy files and flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RequestArgs {
    /// An identity policy file (5.0 or 1.1); repeat for several.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// One SCP level, repeated for each level, root first, account last: the SCP files attached
    /// at that node, separated by commas (`--scp-level root.json --scp-level ou1.json,ou2.json`).
    #[arg(long = "scp-level", value_name = "FILE[,FILE...]")]
    pub scp_levels: Vec<String>,
    /// A session policy file; repeat for several.
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policies: Vec<PathBuf>,
    /// The action to decide (`modelarts:trainJob:create`); repeat for several (one row each).
    #[arg(long = "action", value_name = "ACTION")]
    pub actions: Vec<String>,
    /// The resource URN of the actions (default `*`).
    #[arg(long, value_name = "URN")]
    pub resource: Option<String>,
    /// An HTTP method: with `--path`, the route is resolved through the catalog and each of its
    /// actions is decided on the resource the route names.
    #[arg(long, value_name = "METHOD", requires = "path")]
    pub method: Option<String>,
    /// The HTTP path of `--method` (`/v1/{project_id}/training-jobs`).
    #[arg(long, value_name = "PATH", requires = "method")]
    pub path: Option<String>,
    /// The region of the route's resource URNs (with `--method`/`--path`).
    #[arg(long, value_name = "REGION", requires = "method")]
    pub region: Option<String>,
    /// A request context value `key=value`; repeat a key for a multi-valued key. Values are
    /// strings (the engine compares numbers, dates, booleans and addresses from their text).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// The principal URN (default `iam::000000000000:user:test`).
    #[arg(long, value_name = "URN")]
    pub principal: Option<String>,
    /// Print one JSON line per action (the case runner's JSON) instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl RequestArgs {
    fn given(&self) -> bool {
        !self.policies.is_empty()
            || !self.scp_levels.is_empty()
            || !self.session_policies.is_empty()
            || !self.actions.is_empty()
            || self.resource.is_some()
            || self.method.is_some()
            || !self.context.is_empty()
            || self.principal.is_some()
            || self.json
    }
}

/// The built-in catalog as the case runner's route resolver.
#[derive(Debug)]
pub(crate) struct CatalogRoutes<'a>(pub(crate) &'a Catalog);

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
pub(crate) struct Origin {
    pub(crate) file: String,
    pub(crate) case: usize,
    pub(crate) line: Option<usize>,
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
pub(crate) struct Item {
    pub(crate) origin: Origin,
    /// The case name when the item has one (even if it does not parse as a case).
    pub(crate) name: Option<String>,
    pub(crate) case: Result<Case, String>,
    /// Display names of the case's policies read from files (`identity_policies[0]` ->
    /// `policies/ds.json`).
    pub(crate) names: BTreeMap<String, String>,
}

impl Item {
    /// The labels of the item's explanations.
    pub(crate) fn labels(&self) -> Labels {
        Labels {
            scp_levels: self.case.as_ref().ok().map(|c| c.scps.len()),
            policy_names: self.names.clone(),
        }
    }
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
pub(crate) fn read_items(file: &str, text: &str) -> Result<Vec<Item>, String> {
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
                    names: BTreeMap::new(),
                })
                .collect())
        }
        Ok(v @ Value::Object(_)) => Ok(vec![Item {
            origin: origin(1, None),
            name: name_of(&v),
            case: to_case(v),
            names: BTreeMap::new(),
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
                        names: BTreeMap::new(),
                    },
                    Err(e) => Item {
                        origin: origin(i + 1, Some(n + 1)),
                        name: None,
                        case: Err(format!("not valid JSON: {e}")),
                        names: BTreeMap::new(),
                    },
                })
                .collect())
        }
    }
}

/// The bytes of a file (or standard input); `Ok(Err)` when they are not UTF-8 (invalid input).
pub(crate) fn read_text(file: &str) -> anyhow::Result<Result<String, String>> {
    let bytes = super::read_input(file)?;
    Ok(String::from_utf8(bytes).map_err(|e| format!("{file}: the input is not UTF-8: {e}")))
}

/// The JSON line of one case.
#[derive(Debug, Serialize)]
pub(crate) struct Line<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) file: &'a str,
    pub(crate) case: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<usize>,
    #[serde(flatten)]
    pub(crate) result: &'a CaseResult,
    /// The files policies were read from, by the id the explanation names them with
    /// (`identity_policies[0]` -> `policies/ds.json`); absent when none was.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) policy_files: &'a BTreeMap<String, String>,
}

/// The cases of one file (`-`: standard input), with their policy file references resolved
/// (relative to the file's directory; standard input: the current directory). `Ok(Err)` when
/// the input as a whole is invalid; `Err` when it cannot be read.
pub(crate) fn load_items(file: &str) -> anyhow::Result<Result<Vec<Item>, String>> {
    let items = match read_text(file)?.and_then(|text| read_items(file, &text)) {
        Ok(items) => items,
        Err(e) => return Ok(Err(e)),
    };
    let base = if file == "-" {
        PathBuf::from(".")
    } else {
        Path::new(file)
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    Ok(Ok(items
        .into_iter()
        .map(|mut item| {
            if let Ok(case) = &mut item.case
                && let Err(e) = resolve_references(case, &base, &mut item.names)
            {
                item.case = Err(e);
            }
            item
        })
        .collect()))
}

/// Replaces every policy file reference of a case (a string `"@PATH"` among
/// `identity_policies`, `scps` or `session_policies`) by the file's text, recording the file as
/// the policy's display name. A file that does not exist, cannot be read or holds an invalid
/// policy (the validator's errors, with line and column) is an error naming the policy.
fn resolve_references(
    case: &mut Case,
    base: &Path,
    names: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    let mut one = |v: &mut Value, id: String, kind: PolicyType| -> Result<(), String> {
        let Value::String(s) = v else {
            return Ok(());
        };
        let Some(rel) = s.strip_prefix('@') else {
            return Ok(());
        };
        let rel = rel.to_owned();
        if rel.trim().is_empty() {
            return Err(format!(
                "{id}: `@` must be followed by the path of a policy file (`\"@policies/ds.json\"`)"
            ));
        }
        let path = base.join(&rel);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let hint = if Path::new(&rel).extension().is_none()
                    && path.with_extension("json").is_file()
                {
                    format!("; did you mean `@{rel}.json`?")
                } else {
                    String::new()
                };
                return Err(format!(
                    "{id}: the policy file `{rel}` does not exist (looked for {}; `@PATH` is relative to the directory of the case file){hint}",
                    path.display()
                ));
            }
            Err(e) => {
                return Err(format!(
                    "{id}: cannot read the policy file `{rel}` ({}): {e}",
                    path.display()
                ));
            }
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{id}: the policy file `{rel}` is not UTF-8 text"))?;
        let findings = iam_analyzer::validate(&text, kind);
        if iam_analyzer::has_errors(&findings) {
            return Err(format!(
                "{id}: {}",
                invalid_policy_text(&rel, &text, &findings).trim_end()
            ));
        }
        names.insert(id, rel);
        *v = Value::String(text);
        Ok(())
    };
    for (i, v) in case.identity_policies.iter_mut().enumerate() {
        one(v, format!("identity_policies[{i}]"), PolicyType::Identity)?;
    }
    for (level, ps) in case.scps.iter_mut().enumerate() {
        for (i, v) in ps.iter_mut().enumerate() {
            one(v, format!("scps[{level}][{i}]"), PolicyType::Scp)?;
        }
    }
    for (i, v) in case.session_policies.iter_mut().enumerate() {
        one(v, format!("session_policies[{i}]"), PolicyType::Session)?;
    }
    Ok(())
}

/// The validator's errors of a policy file for a person: the file, then each error with its
/// line and column, the offending line and how to fix it.
pub(crate) fn invalid_policy_text(file: &str, text: &str, findings: &[Finding]) -> String {
    let errors: Vec<Finding> = findings.iter().filter(|f| f.is_error()).cloned().collect();
    format!(
        "the policy file `{file}` is invalid:\n{}",
        indent(
            &iam_analyzer::explain(&iam_analyzer::source_text(text), &errors),
            "  "
        )
    )
}

/// Runs the command.
/// Warns (on standard error, once per action and run) about a request action of a catalog
/// service that the catalog does not have, with the closest known name: a typo decides as an
/// implicit deny, which a case expecting a deny would take for a pass.
pub(crate) fn warn_unknown_action(catalog: &Catalog, action: &str, warned: &mut BTreeSet<String>) {
    let service = action.split(':').next().unwrap_or("");
    if action.contains('*')
        || catalog.service(service).is_none()
        || catalog.action(action).is_some()
        || !warned.insert(action.to_owned())
    {
        return;
    }
    let hint = match catalog.suggest_action(action) {
        Some(s) => format!("; did you mean `{s}`?"),
        None => format!("; list them with `modelarts-iam catalog actions --service {service}`"),
    };
    eprintln!("warning: `{action}` is not an action of {service}{hint}");
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::builtin();
    if let Some(e) = catalog.load_error() {
        bail!("the built-in catalog failed to load: {e}");
    }
    let routes = CatalogRoutes(catalog);
    if args.request.given() {
        if !args.files.is_empty() {
            bail!(
                "give either case files or a request (--policy ... --action ...), not both: `{}` is a case file",
                args.files.join(" ")
            );
        }
        if args.check || args.explain {
            bail!(
                "--check and --explain apply to case files; a request prints a table (or --json)"
            );
        }
        return run_request(&args.request, &routes);
    }
    if args.files.is_empty() {
        bail!(
            "nothing to evaluate: give case files (or `-`), or a request such as `--policy P.json --action modelarts:trainJob:create`"
        );
    }
    if args.files.iter().filter(|f| f.as_str() == "-").count() > 1 {
        bail!("standard input (`-`) can be read only once");
    }
    let (mut passed, mut failed, mut denied, mut invalid) = (0usize, 0usize, 0usize, 0usize);
    let mut out = String::new();
    let mut warned = BTreeSet::new();
    for file in &args.files {
        let items = match load_items(file)? {
            Ok(items) => items,
            Err(e) => {
                eprintln!("invalid input: {e}");
                invalid += 1;
                continue;
            }
        };
        for item in items {
            if let Ok(case) = &item.case
                && let Some(action) = &case.request.action
            {
                warn_unknown_action(catalog, action, &mut warned);
            }
            let result = item_result(&item, &routes);
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
                        explain(&mut out, &item, &result);
                    }
                }
            } else if args.explain {
                explain(&mut out, &item, &result);
            } else {
                let line = Line {
                    file,
                    case: item.origin.case,
                    line: item.origin.line,
                    result: &result,
                    policy_files: &item.names,
                };
                out.push_str(&serde_json::to_string(&line).context("serializing a result")?);
                out.push('\n');
            }
            super::out::write_str(&out)?;
        }
    }
    if args.check {
        super::out::write_fmt(format_args!("{passed} passed, {failed} failed\n"))?;
    }
    let code = if invalid > 0 {
        3
    } else if (args.check && failed > 0) || (!args.check && denied > 0) {
        2
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// The result of one item: the case run, or the reason it could not be read.
pub(crate) fn item_result(item: &Item, routes: &CatalogRoutes<'_>) -> CaseResult {
    match &item.case {
        Ok(case) => run_case(case, Some(routes)),
        Err(e) => CaseResult {
            name: item.name.clone(),
            decision: None,
            explanation: None,
            actions: Vec::new(),
            expect: None,
            passed: None,
            error: Some(e.clone()),
        },
    }
}

/// The human-readable form: `ALLOW  NAME  by ...` or `DENY (...)  NAME  ...`, then the
/// explanation indented (cause, denial message, conditions that decided, route actions, notes).
pub(crate) fn explain(out: &mut String, item: &Item, r: &CaseResult) {
    let labels = item.labels();
    let name = r.name.clone().unwrap_or_else(|| item.origin.to_string());
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
            let by: Vec<String> = e.statements.iter().map(|s| labels.statement(s)).collect();
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
                .map(|l| format!(" in {}", labels.layer(l)))
                .unwrap_or_default();
            let by: Vec<String> = e.statements.iter().map(|s| labels.statement(s)).collect();
            format!("DENY (explicit{layer})  {name}  by {}", by.join("; "))
        }
        Decision::ImplicitDeny => {
            let layers: Vec<String> = e.failing_layers.iter().map(|l| labels.layer(l)).collect();
            format!("DENY (implicit: no allow in {})  {name}", layers.join(", "))
        }
    };
    out.push_str(&head);
    if let Some(x) = r.expect {
        let mark = if x == decision { "ok" } else { "MISMATCH" };
        let _ = write!(out, "  [expect {x}: {mark}]");
    }
    out.push('\n');
    if decision != Decision::Allow || !e.notes.is_empty() {
        // The head line already names the allowing statements.
        let mut body = explanation_text(e, &labels);
        if decision == Decision::Allow {
            body = body.lines().filter(|l| !l.starts_with("allowed")).fold(
                String::new(),
                |mut s, l| {
                    s.push_str(l);
                    s.push('\n');
                    s
                },
            );
        }
        out.push_str(&indent(&body, "    "));
    }
    for a in &r.actions {
        let _ = writeln!(
            out,
            "    action {} on {}: {}",
            a.action, a.resource, a.decision
        );
    }
}

// ---- a request from policy files and flags ----------------------------------------------

/// A policy file read for `--policy`, `--scp-level` or `--session-policy`.
fn policy_file(path: &Path, kind: PolicyType, invalid: &mut Vec<String>) -> anyhow::Result<Value> {
    let file = path.display().to_string();
    let bytes = super::read_input(path)?;
    let Ok(text) = String::from_utf8(bytes) else {
        invalid.push(format!("the policy file `{file}` is not UTF-8 text\n"));
        return Ok(Value::Null);
    };
    let findings = iam_analyzer::validate(&text, kind);
    if iam_analyzer::has_errors(&findings) {
        invalid.push(invalid_policy_text(&file, &text, &findings));
    }
    Ok(Value::String(text))
}

/// The `--context key=value` arguments as a case context (a repeated key is multi-valued),
/// with `g:CurrentTime` when not given (spec §4.1: the CLI adds the current time).
fn context_of(args: &[String]) -> anyhow::Result<serde_json::Map<String, Value>> {
    let mut map = serde_json::Map::new();
    for a in args {
        let Some((k, v)) = a.split_once('=') else {
            bail!("--context `{a}`: write `key=value` (such as `g:SourceIp=10.1.2.3`)");
        };
        if k.trim().is_empty() {
            bail!("--context `{a}`: the key is empty");
        }
        let existing = map
            .keys()
            .find(|e| e.eq_ignore_ascii_case(k))
            .cloned()
            .unwrap_or_else(|| k.to_owned());
        match map.get_mut(&existing) {
            Some(Value::Array(values)) => values.push(Value::String(v.to_owned())),
            _ => {
                map.insert(existing, Value::Array(vec![Value::String(v.to_owned())]));
            }
        }
    }
    if !map.keys().any(|k| k.eq_ignore_ascii_case("g:CurrentTime")) {
        map.insert(
            "g:CurrentTime".to_owned(),
            Value::String(iam_server::current_time()),
        );
    }
    Ok(map)
}

/// `eval --policy ... --action ...`: one row per action (or per action of the route).
fn run_request(args: &RequestArgs, routes: &CatalogRoutes<'_>) -> anyhow::Result<ExitCode> {
    if args.actions.is_empty() && args.method.is_none() {
        bail!("give the action to decide: --action ACTION (repeatable), or --method and --path");
    }
    if !args.actions.is_empty() && args.method.is_some() {
        bail!("give either --action or --method/--path, not both");
    }
    if args.method.is_some() && args.resource.is_some() {
        bail!("--resource does not go with --method/--path: the route names its resources");
    }
    let mut invalid = Vec::new();
    let mut names = BTreeMap::new();
    let mut identity = Vec::new();
    for (i, p) in args.policies.iter().enumerate() {
        identity.push(policy_file(p, PolicyType::Identity, &mut invalid)?);
        names.insert(format!("identity_policies[{i}]"), p.display().to_string());
    }
    let mut scps = Vec::new();
    for (level, files) in args.scp_levels.iter().enumerate() {
        let mut docs = Vec::new();
        for (i, p) in files.split(',').map(Path::new).enumerate() {
            if p.as_os_str().is_empty() {
                bail!(
                    "--scp-level `{files}`: an empty file name (files are separated by single commas)"
                );
            }
            docs.push(policy_file(p, PolicyType::Scp, &mut invalid)?);
            names.insert(format!("scps[{level}][{i}]"), p.display().to_string());
        }
        scps.push(docs);
    }
    let mut session = Vec::new();
    for (i, p) in args.session_policies.iter().enumerate() {
        session.push(policy_file(p, PolicyType::Session, &mut invalid)?);
        names.insert(format!("session_policies[{i}]"), p.display().to_string());
    }
    if !invalid.is_empty() {
        for e in &invalid {
            eprint!("invalid input: {e}");
        }
        return Ok(ExitCode::from(3));
    }
    let context = context_of(&args.context)?;
    let principal = args.principal.as_ref().map(|urn| CasePrincipal {
        urn: Some(urn.clone()),
        ..CasePrincipal::default()
    });
    let targets: Vec<(String, RouteAction)> = match (&args.method, &args.path) {
        (Some(method), Some(path)) => {
            let account = principal
                .clone()
                .unwrap_or_default()
                .to_principal()
                .account_id;
            let region = args.region.as_deref().unwrap_or("");
            match routes.resolve(method, path, region, &account) {
                Ok(actions) if !actions.is_empty() => actions
                    .into_iter()
                    .map(|a| (format!("{method} {path}: {}", a.action), a))
                    .collect(),
                Ok(_) => {
                    eprintln!("invalid input: route `{method} {path}` requires no action");
                    return Ok(ExitCode::from(3));
                }
                Err(e) => {
                    eprintln!("invalid input: {e}");
                    return Ok(ExitCode::from(3));
                }
            }
        }
        _ => args
            .actions
            .iter()
            .map(|a| {
                (
                    a.clone(),
                    RouteAction {
                        action: a.clone(),
                        resource: args.resource.clone().unwrap_or_else(|| "*".to_owned()),
                    },
                )
            })
            .collect(),
    };
    let mut warned = BTreeSet::new();
    for (_, t) in &targets {
        warn_unknown_action(routes.0, &t.action, &mut warned);
    }
    let labels = Labels {
        scp_levels: Some(scps.len()),
        policy_names: names,
    };
    let mut results = Vec::new();
    for (name, t) in &targets {
        let case = Case {
            name: Some(name.clone()),
            identity_policies: identity.clone(),
            scps: scps.clone(),
            session_policies: session.clone(),
            principal: principal.clone(),
            request: CaseRequest {
                action: Some(t.action.clone()),
                resource: Some(t.resource.clone()),
                context: context.clone(),
                ..CaseRequest::default()
            },
            expect: None,
        };
        results.push((t, run_case(&case, Some(routes))));
    }
    let mut out = String::new();
    if args.json {
        for (i, (_, r)) in results.iter().enumerate() {
            let line = Line {
                file: "",
                case: i + 1,
                line: None,
                result: r,
                policy_files: &labels.policy_names,
            };
            out.push_str(&serde_json::to_string(&line).context("serializing a result")?);
            out.push('\n');
        }
    } else {
        let mut t = super::table(&["decision", "action", "resource", "decided by"]);
        for (target, r) in &results {
            let decided = match (&r.explanation, &r.error) {
                (_, Some(e)) => format!("error: {e}"),
                (Some(e), None) if e.decision.is_allow() => e
                    .statements
                    .iter()
                    .map(|s| labels.statement(s))
                    .collect::<Vec<_>>()
                    .join("; "),
                (Some(e), None) => labels.cause(e).unwrap_or_default(),
                (None, None) => String::new(),
            };
            t.add_row(vec![
                r.decision
                    .map_or_else(|| "error".to_owned(), |d| d.to_string()),
                target.action.clone(),
                target.resource.clone(),
                decided,
            ]);
        }
        let _ = writeln!(out, "{t}");
        for (target, r) in &results {
            if let (Some(d), Some(e)) = (r.decision, &r.explanation) {
                let _ = writeln!(out, "\n{} on {}: {d}", target.action, target.resource);
                out.push_str(&indent(&explanation_text(e, &labels), "  "));
            }
        }
    }
    super::out::write_str(&out)?;
    let errors: Vec<&String> = results
        .iter()
        .filter_map(|(_, r)| r.error.as_ref())
        .collect();
    for e in &errors {
        eprintln!("invalid input: {e}");
    }
    Ok(ExitCode::from(if !errors.is_empty() {
        3
    } else if results
        .iter()
        .any(|(_, r)| r.decision.is_some_and(|d| !d.is_allow()))
    {
        2
    } else {
        0
    }))
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
