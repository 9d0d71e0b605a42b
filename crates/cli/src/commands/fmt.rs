//! `modelarts-iam fmt PATH...|-`: the canonical formatting of policy documents.
//!
//! The canonical form: members in the order of Huawei's documentation (`Version`, `Statement`;
//! in a statement `Sid`, `Effect`, `Action`, `NotAction`, `Resource`, `NotResource`,
//! `Condition`, `Principal`, `NotPrincipal`; any other member after those, in the order
//! written), two-space indentation, one array element or member per line, a final newline.
//! Nothing else changes: values, numbers (as written), the members of `Condition` and
//! `Principal` (in the order written), and even duplicate or unknown members are kept, so
//! formatting never changes what a document means (the engine parses the same policy) and never
//! loses a byte of content. Strings are written with JSON's minimal escapes.
//!
//! `--upgrade` rewrites a version 1.1 identity policy as version 5.0 (docs/eval.md, "fmt
//! --upgrade") and proves with the assistant's containment analysis that the upgraded document
//! grants exactly the access of the original on every catalog action; it refuses, writing
//! nothing, when a construct has no faithful 5.0 form or when the proof fails.
//!
//! Files are written atomically (a temporary file in the same directory, flushed to disk, then
//! renamed over the original, keeping its permissions).
//!
//! Exit codes: 0 done (`--check`: nothing would change); 2 `--check`: some file would change, or
//! `--upgrade` refused a document; 3 invalid input (not JSON, reported with line and column; not
//! a policy document; `--upgrade`: an invalid policy, with the validator's findings); 1 other
//! errors (an unreadable or unwritable file, usage).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use iam_analyzer::PolicyType;
use iam_assistant::containment::{self, findings_text};
use iam_catalog::Catalog;

const AFTER_HELP: &str = "\
Formats policy documents (JSON objects with `Statement`) in place: Huawei's member order
(Version, Statement; Sid, Effect, Action/NotAction, Resource/NotResource, Condition,
Principal/NotPrincipal), two-space indentation, a final newline. Values are kept as written.
A DIR is searched recursively for *.json files holding a policy document (other JSON files,
such as evaluation cases, are skipped). `-` reads standard input and writes standard output.

--upgrade rewrites version 1.1 identity policies as 5.0 (1.1 operator spellings StringLike,
StringNotLike and Numeric* become StringMatch, StringNotMatch and Number*) and proves, over every
catalog action, that the upgraded document grants exactly the same access; a 1.1 agency
`{\"uri\": [...]}` resource has no 5.0 form and is refused, naming the statement.

Exit codes: 0 done (--check: nothing would change); 2 --check: some file would change, or
--upgrade refused a document; 3 invalid input (not JSON, with line and column; not a policy
document; --upgrade: an invalid policy, with the validator's findings); 1 other errors.";

/// Arguments of `fmt`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct FmtArgs {
    /// Policy files, or directories searched recursively for `*.json` policy documents; `-`
    /// formats standard input to standard output.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Write nothing; list the files that are not formatted and exit 2 if there is one.
    #[arg(long)]
    pub check: bool,
    /// Write nothing; print the changes as a unified diff (with `--check`: and exit 2 when there
    /// is one).
    #[arg(long)]
    pub diff: bool,
    /// Rewrite version 1.1 identity policies as version 5.0, proving that no access changes.
    #[arg(long)]
    pub upgrade: bool,
}

// ---- the JSON tree ------------------------------------------------------------------------

/// A JSON value that keeps numbers as written and every member of an object (duplicates too),
/// in the order written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Parses a JSON text strictly (what `serde_json`, the engine's parser, accepts). The error
/// names the line and column.
pub(crate) fn parse(text: &str) -> Result<Node, String> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(format!("not valid JSON: {e}"));
    }
    let options = iam_analyzer::strict_json();
    let parsed =
        jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options)
            .map_err(|e| format!("not valid JSON: {}", e.kind()))?;
    parsed
        .value
        .map(convert)
        .ok_or_else(|| "not valid JSON: the document is empty".to_owned())
}

fn convert(v: jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::{ObjectPropName, Value};
    match v {
        Value::StringLit(s) => Node::String(s.value.into_owned()),
        Value::NumberLit(n) => Node::Number(n.value.to_owned()),
        Value::BooleanLit(b) => Node::Bool(b.value),
        Value::NullKeyword(_) => Node::Null,
        Value::Array(a) => Node::Array(a.elements.into_iter().map(convert).collect()),
        Value::Object(o) => Node::Object(
            o.properties
                .into_iter()
                .map(|p| {
                    let key = match p.name {
                        ObjectPropName::String(s) => s.value.into_owned(),
                        ObjectPropName::Word(w) => w.value.to_owned(),
                    };
                    (key, convert(p.value))
                })
                .collect(),
        ),
    }
}

/// Writes `node` with two-space indentation at `depth`.
fn write_node(out: &mut String, node: &Node, depth: usize) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(n) => out.push_str(n),
        Node::String(s) => write_string(out, s),
        Node::Array(items) if items.is_empty() => out.push_str("[]"),
        Node::Object(members) if members.is_empty() => out.push_str("{}"),
        Node::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, depth + 1);
                write_node(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push(']');
        }
        Node::Object(members) => {
            out.push_str("{\n");
            for (i, (k, v)) in members.iter().enumerate() {
                pad(out, depth + 1);
                write_string(out, k);
                out.push_str(": ");
                write_node(out, v, depth + 1);
                out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push('}');
        }
    }
}

fn pad(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_string(out: &mut String, s: &str) {
    // serde_json cannot fail on a string.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

// ---- the canonical form -------------------------------------------------------------------

/// Top-level members, in Huawei's order.
const DOCUMENT_ORDER: &[&str] = &["Version", "Statement"];
/// Statement members, in Huawei's order.
const STATEMENT_ORDER: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
];

/// The members in `order` first (in that order; duplicates kept together in their written
/// order), then the others in the order written.
fn ordered(members: Vec<(String, Node)>, order: &[&str]) -> Vec<(String, Node)> {
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
    let mut indexed: Vec<(usize, (String, Node))> = members.into_iter().enumerate().collect();
    // A stable sort by rank keeps the written order within one rank.
    indexed.sort_by_key(|(i, (k, _))| (rank(k), *i));
    indexed.into_iter().map(|(_, m)| m).collect()
}

/// True for a policy document: a JSON object with a `Statement` member.
pub(crate) fn is_policy_document(node: &Node) -> bool {
    node.get("Statement").is_some()
}

/// The document with its members and its statements' members in the canonical order.
pub(crate) fn canonical(node: Node) -> Node {
    let Node::Object(members) = node else {
        return node;
    };
    let members = ordered(members, DOCUMENT_ORDER)
        .into_iter()
        .map(|(k, v)| {
            if k != "Statement" {
                return (k, v);
            }
            let v = match v {
                Node::Array(items) => Node::Array(items.into_iter().map(statement).collect()),
                other => statement(other),
            };
            (k, v)
        })
        .collect();
    Node::Object(members)
}

fn statement(node: Node) -> Node {
    match node {
        Node::Object(members) => Node::Object(ordered(members, STATEMENT_ORDER)),
        other => other,
    }
}

/// The canonical text of a document.
pub(crate) fn to_text(node: &Node) -> String {
    let mut out = String::new();
    write_node(&mut out, node, 0);
    out.push('\n');
    out
}

/// Formats a policy document's text; the error says why it is not one.
pub(crate) fn format_text(text: &str) -> Result<String, String> {
    let node = parse(text)?;
    if !is_policy_document(&node) {
        return Err(not_a_policy(&node));
    }
    Ok(to_text(&canonical(node)))
}

fn not_a_policy(node: &Node) -> String {
    match node {
        Node::Object(_) => {
            "not a policy document: the object has no `Statement` member".to_owned()
        }
        Node::String(_) => "not a policy document: the file holds a JSON string; fmt formats documents written as JSON objects".to_owned(),
        _ => "not a policy document: a policy document is a JSON object with `Version` and `Statement`".to_owned(),
    }
}

// ---- --upgrade ----------------------------------------------------------------------------

/// Why a document cannot be upgraded.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The input is not a valid policy (the validator's findings, for a person).
    Invalid(String),
    /// The document has no faithful 5.0 form, or the proof failed.
    Refused(String),
}

/// The 5.0 spelling of a 1.1/AWS operator name (`StringLike` -> `StringMatch`, `Numeric*` ->
/// `Number*`), keeping its qualifier and `IfExists`; `None` when the name is already a 5.0 one.
fn operator_5_0(name: &str) -> Option<String> {
    let (qualifier, rest) = match name.split_once(':') {
        Some((q, r)) => (format!("{q}:"), r),
        None => (String::new(), name),
    };
    let (base, suffix) = match rest.strip_suffix("IfExists") {
        Some(b) if !b.is_empty() => (b, "IfExists"),
        _ => (rest, ""),
    };
    let new_base = match base {
        "StringLike" => "StringMatch".to_owned(),
        "StringNotLike" => "StringNotMatch".to_owned(),
        b => format!("Number{}", b.strip_prefix("Numeric")?),
    };
    Some(format!("{qualifier}{new_base}{suffix}"))
}

/// Rewrites a version 1.1 document as 5.0 in the tree: `Version`, and the 1.1 operator
/// spellings. Returns what changed (empty for a document that is not 1.1), or why it cannot.
fn upgrade_tree(doc: &mut Node) -> Result<Vec<String>, String> {
    let Node::Object(members) = doc else {
        return Ok(Vec::new());
    };
    let is_1_1 = members
        .iter()
        .any(|(k, v)| k == "Version" && *v == Node::String("1.1".to_owned()));
    if !is_1_1 {
        return Ok(Vec::new());
    }
    let mut changes = vec!["`Version` \"1.1\" -> \"5.0\"".to_owned()];
    for (k, v) in members.iter_mut() {
        match k.as_str() {
            "Version" => *v = Node::String("5.0".to_owned()),
            "Statement" => match v {
                Node::Array(items) => {
                    for (i, s) in items.iter_mut().enumerate() {
                        upgrade_statement(s, &format!("statement #{i}"), &mut changes)?;
                    }
                }
                s => upgrade_statement(s, "statement #0", &mut changes)?,
            },
            _ => {}
        }
    }
    Ok(changes)
}

fn upgrade_statement(s: &mut Node, at: &str, changes: &mut Vec<String>) -> Result<(), String> {
    let Node::Object(members) = s else {
        return Ok(());
    };
    for (k, v) in members.iter_mut() {
        match (k.as_str(), v) {
            ("Resource", Node::Object(_)) => {
                return Err(format!(
                    "{at}: `Resource` is a version 1.1 agency object `{{\"uri\": [...]}}`, which has no version 5.0 form: 5.0 names agencies by URN (`iam::<account-id>:agency:<agency-name>`), and the resource of a request is then that URN, so the same patterns would decide other requests. Rewrite this statement by hand with agency URNs (or keep the policy at version 1.1)."
                ));
            }
            ("Condition", Node::Object(operators)) => {
                let written: Vec<String> = operators.iter().map(|(o, _)| o.clone()).collect();
                for (op, _) in operators.iter_mut() {
                    if let Some(new) = operator_5_0(op) {
                        if written.contains(&new) {
                            return Err(format!(
                                "{at}: renaming the operator `{op}` to its version 5.0 spelling `{new}` would give the `Condition` two `{new}` members; merge their keys into one `{new}` by hand"
                            ));
                        }
                        changes.push(format!("{at}: operator `{op}` -> `{new}`"));
                        *op = new;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Upgrades a policy text to version 5.0 and proves that no access changes: the original must
/// be a valid identity policy, the upgraded one a valid 5.0 identity policy, and the
/// containment analysis must find no access that one grants and the other does not, on any
/// catalog action. Returns the canonical upgraded text and what changed (nothing for a
/// document already at 5.0: it is only formatted).
pub(crate) fn upgrade_text(text: &str, file: &str) -> Result<(String, Vec<String>), Refusal> {
    let mut node = parse(text).map_err(Refusal::Invalid)?;
    if !is_policy_document(&node) {
        return Err(Refusal::Invalid(not_a_policy(&node)));
    }
    if node.get("Version") != Some(&Node::String("1.1".to_owned())) {
        // Not a 1.1 document (5.0 of any kind: identity, SCP, trust, session): only formatted.
        return Ok((to_text(&canonical(node)), Vec::new()));
    }
    let findings = iam_analyzer::validate(text, PolicyType::Identity);
    if iam_analyzer::has_errors(&findings) {
        return Err(Refusal::Invalid(super::eval::invalid_policy_text(
            file, text, &findings,
        )));
    }
    let changes = upgrade_tree(&mut node).map_err(Refusal::Refused)?;
    let upgraded = to_text(&canonical(node));
    let findings = iam_analyzer::validate(&upgraded, PolicyType::Identity);
    if iam_analyzer::has_errors(&findings) {
        return Err(Refusal::Refused(format!(
            "the upgraded document would not be a valid policy:\n{}",
            super::eval::invalid_policy_text(file, &upgraded, &findings)
        )));
    }
    let old = containment::parse_identity("1.1", &[text.to_owned()]).map_err(Refusal::Invalid)?;
    let new = containment::parse_identity("5.0", std::slice::from_ref(&upgraded))
        .map_err(Refusal::Refused)?;
    let d = containment::diff(Catalog::builtin(), &old, &new);
    if !d.added.is_empty() || !d.removed.is_empty() {
        let mut why = "the upgraded document would not grant the same access:\n".to_owned();
        if !d.added.is_empty() {
            let _ = write!(why, "added:\n{}", findings_text(&d.added));
        }
        if !d.removed.is_empty() {
            let _ = write!(why, "removed:\n{}", findings_text(&d.removed));
        }
        return Err(Refusal::Refused(why));
    }
    Ok((upgraded, changes))
}

// ---- diff -----------------------------------------------------------------------------------

/// A unified diff of two texts (3 lines of context), `a` and `b` naming them.
pub(crate) fn unified_diff(old: &str, new: &str, a: &str, b: &str) -> String {
    let x: Vec<&str> = old.lines().collect();
    let y: Vec<&str> = new.lines().collect();
    let (n, m) = (x.len(), y.len());
    // lcs[i][j]: the longest common subsequence of x[i..] and y[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if x[i] == y[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (tag, old line number, new line number, text).
    let mut ops: Vec<(char, usize, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && x[i] == y[j] {
            ops.push((' ', i, j, x[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', i, j, x[i]));
            i += 1;
        } else {
            ops.push(('+', i, j, y[j]));
            j += 1;
        }
    }
    let mut out = String::new();
    if ops.iter().all(|o| o.0 == ' ') {
        return out;
    }
    let _ = writeln!(out, "--- {a}\n+++ {b}");
    const CONTEXT: usize = 3;
    let mut k = 0;
    while k < ops.len() {
        if ops[k].0 == ' ' {
            k += 1;
            continue;
        }
        // A hunk from CONTEXT lines before the change to CONTEXT lines after the last change
        // that is at most 2 * CONTEXT lines from the next.
        let start = k.saturating_sub(CONTEXT);
        let mut end = k;
        let mut last_change = k;
        while end < ops.len() {
            if ops[end].0 != ' ' {
                last_change = end;
            } else if end - last_change > 2 * CONTEXT {
                break;
            }
            end += 1;
        }
        let end = (last_change + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        let old_len = hunk.iter().filter(|o| o.0 != '+').count();
        let new_len = hunk.iter().filter(|o| o.0 != '-').count();
        let (old_start, new_start) = (hunk[0].1 + 1, hunk[0].2 + 1);
        let _ = writeln!(
            out,
            "@@ -{},{old_len} +{},{new_len} @@",
            if old_len == 0 {
                old_start - 1
            } else {
                old_start
            },
            if new_len == 0 {
                new_start - 1
            } else {
                new_start
            }
        );
        for (tag, _, _, text) in hunk {
            let _ = writeln!(out, "{tag}{text}");
        }
        k = end;
    }
    out
}

// ---- the command --------------------------------------------------------------------------

/// The `*.json` files under `dir` holding a policy document, recursively, sorted (the
/// directories [`super::find_files`] skips are skipped).
fn find_documents(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    super::find_files(
        dir,
        &mut |name, path| {
            name.ends_with(".json")
                && std::fs::read_to_string(path)
                    .ok()
                    .and_then(|t| parse(&t).ok())
                    .is_some_and(|n| is_policy_document(&n))
        },
        out,
    )
}

/// Replaces `path`'s content atomically: a temporary file in the same directory, written,
/// flushed to disk and given the original's permissions, then renamed over it. On any error
/// the original is untouched and the temporary file removed.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    // Through a symbolic link, the file it names is replaced (not the link).
    let path =
        &std::fs::canonicalize(path).with_context(|| format!("reading {}", path.display()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".fmt-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing a temporary file in {}", dir.display()))?;
    let perms = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .permissions();
    std::fs::set_permissions(tmp.path(), perms)
        .with_context(|| format!("setting the permissions of {}", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("replacing {}", path.display()))?;
    // Make the rename itself durable where the platform allows it.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// What happened to one input.
#[derive(Debug, Default)]
struct Tally {
    changed: usize,
    invalid: usize,
    refused: usize,
}

/// Formats (and with `--upgrade` upgrades) one text; `Ok(None)` when it is invalid or refused
/// (reported on standard error and counted).
fn process(
    args: &FmtArgs,
    file: &str,
    text: &str,
    tally: &mut Tally,
) -> Option<(String, Vec<String>)> {
    let result = if args.upgrade {
        upgrade_text(text, file)
    } else {
        format_text(text)
            .map(|t| (t, Vec::new()))
            .map_err(Refusal::Invalid)
    };
    match result {
        Ok(done) => Some(done),
        Err(Refusal::Invalid(e)) => {
            tally.invalid += 1;
            eprintln!("invalid input: {file}: {}", e.trim_end());
            None
        }
        Err(Refusal::Refused(e)) => {
            tally.refused += 1;
            eprintln!("{file}: not upgraded, nothing written: {}", e.trim_end());
            None
        }
    }
}

/// Runs the command.
pub fn run(args: FmtArgs) -> anyhow::Result<ExitCode> {
    if args.paths.iter().any(|p| p == "-") && args.paths.len() > 1 {
        bail!("`-` (standard input) formats one document to standard output: give it alone");
    }
    let mut tally = Tally::default();
    let mut out = String::new();
    if args.paths.first().is_some_and(|p| p == "-") {
        let bytes = super::read_input("-")?;
        let Ok(text) = String::from_utf8(bytes) else {
            eprintln!("invalid input: -: the input is not UTF-8");
            return Ok(ExitCode::from(3));
        };
        if let Some((formatted, changes)) = process(&args, "-", &text, &mut tally) {
            for c in &changes {
                eprintln!("-: upgraded: {c}");
            }
            if formatted != text {
                tally.changed += 1;
            }
            if args.diff {
                out.push_str(&unified_diff(&text, &formatted, "-", "- (formatted)"));
            } else if !args.check {
                out.push_str(&formatted);
            }
        }
    } else {
        let mut files = Vec::new();
        for p in &args.paths {
            let path = PathBuf::from(p);
            if path.is_dir() {
                find_documents(&path, &mut files)?;
            } else {
                files.push(path);
            }
        }
        // Every file is read before any is written: a path that cannot be read stops the run
        // before it changed anything.
        let mut inputs = Vec::with_capacity(files.len());
        for path in &files {
            inputs.push((path, super::read_input(path)?));
        }
        for (path, bytes) in inputs {
            let file = path.display().to_string();
            let Ok(text) = String::from_utf8(bytes) else {
                tally.invalid += 1;
                eprintln!("invalid input: {file}: the file is not UTF-8");
                continue;
            };
            let Some((formatted, changes)) = process(&args, &file, &text, &mut tally) else {
                continue;
            };
            if formatted == text {
                continue;
            }
            tally.changed += 1;
            if args.diff {
                out.push_str(&unified_diff(
                    &text,
                    &formatted,
                    &file,
                    &format!("{file} (formatted)"),
                ));
            } else if args.check {
                let _ = writeln!(out, "{file}");
            } else {
                write_atomically(path, &formatted)?;
                let what = if changes.is_empty() {
                    "formatted".to_owned()
                } else {
                    format!("upgraded to 5.0 ({})", changes.join("; "))
                };
                // said as soon as it is done: a later failure must not hide what was written
                super::out::write_fmt(format_args!("{out}{file}: {what}\n"))?;
                out.clear();
            }
        }
        if args.check && !args.diff && tally.changed > 0 {
            let _ = writeln!(
                out,
                "{} file(s) would be reformatted; run `modelarts-iam fmt{}` on them",
                tally.changed,
                if args.upgrade { " --upgrade" } else { "" }
            );
        }
    }
    super::out::write_str(&out)?;
    Ok(ExitCode::from(if tally.invalid > 0 {
        3
    } else if tally.refused > 0 || (args.check && tally.changed > 0) {
        2
    } else {
        0
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn members_are_ordered_and_values_kept() {
        let text = r#"{"Statement":[{"Condition":{"NumberLessThan":{"k":[1.50, 1e3]}},"Action":"a:b:c","Effect":"Allow","X":1,"Sid":"s"}],"Version":"5.0"}"#;
        let out = format_text(text).unwrap();
        assert_eq!(
            out,
            "{\n  \"Version\": \"5.0\",\n  \"Statement\": [\n    {\n      \"Sid\": \"s\",\n      \"Effect\": \"Allow\",\n      \"Action\": \"a:b:c\",\n      \"Condition\": {\n        \"NumberLessThan\": {\n          \"k\": [\n            1.50,\n            1e3\n          ]\n        }\n      },\n      \"X\": 1\n    }\n  ]\n}\n"
        );
        assert_eq!(format_text(&out).unwrap(), out);
    }

    #[test]
    fn duplicates_are_kept_not_lost() {
        let text =
            r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["a"],"Action":["b"]}]}"#;
        let out = format_text(text).unwrap();
        assert!(out.contains("\"a\"") && out.contains("\"b\""), "{out}");
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let e = format_text("{\n  \"Version\": \"5.0\",\n  oops\n}").unwrap_err();
        assert!(e.contains("line 3 column 3"), "{e}");
        assert!(
            format_text("[1]")
                .unwrap_err()
                .contains("not a policy document")
        );
    }

    #[test]
    fn operator_spellings() {
        assert_eq!(operator_5_0("StringLike").as_deref(), Some("StringMatch"));
        assert_eq!(
            operator_5_0("ForAllValues:StringNotLikeIfExists").as_deref(),
            Some("ForAllValues:StringNotMatchIfExists")
        );
        assert_eq!(
            operator_5_0("NumericLessThanEquals").as_deref(),
            Some("NumberLessThanEquals")
        );
        assert_eq!(operator_5_0("StringEquals"), None);
        assert_eq!(operator_5_0("NumberEquals"), None);
    }

    /// Every policy of a case, formatted (`f` gets the document's text).
    fn map_policies(case: &serde_json::Value, f: &dyn Fn(&str) -> String) -> serde_json::Value {
        use serde_json::Value;
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut out = case.clone();
        for key in ["identity_policies", "session_policies"] {
            if let Some(Value::Array(ps)) = out.get_mut(key) {
                for p in ps.iter_mut() {
                    *p = Value::String(f(&text(p)));
                }
            }
        }
        if let Some(Value::Array(levels)) = out.get_mut("scps") {
            for level in levels.iter_mut() {
                if let Value::Array(ps) = level {
                    for p in ps.iter_mut() {
                        *p = Value::String(f(&text(p)));
                    }
                }
            }
        }
        out
    }

    fn corpus() -> &'static [serde_json::Value] {
        static CORPUS: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
        CORPUS.get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
            iam_testkit::load_corpus(&dir)
                .unwrap()
                .into_iter()
                .flat_map(|(_, cases)| cases)
                .collect()
        })
    }

    fn decision(case: &serde_json::Value) -> Option<iam_policy::Decision> {
        let case: iam_policy::case::Case = serde_json::from_value(case.clone()).unwrap();
        let routes = super::super::eval::CatalogRoutes(Catalog::builtin());
        iam_policy::case::run_case(&case, Some(&routes)).decision
    }

    /// Over every policy of the golden corpus: formatting is idempotent and every case decides
    /// the same with its policies formatted.
    #[test]
    fn formatting_the_corpus_is_idempotent_and_keeps_every_decision() {
        let cases = corpus();
        assert!(cases.len() > 500);
        for case in cases {
            let formatted = map_policies(case, &|t| {
                let f = format_text(t).unwrap_or_else(|e| panic!("{t}: {e}"));
                assert_eq!(format_text(&f).unwrap(), f, "not idempotent: {t}");
                f
            });
            let d = decision(case);
            assert!(d.is_some(), "{case}");
            assert_eq!(decision(&formatted), d, "{case}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Over mutated corpus policies: whatever fmt accepts, it formats idempotently, and the
        /// engine accepts the formatted document exactly when it accepts the original, with the
        /// same decision for the case.
        #[test]
        fn formatting_mutated_policies_keeps_what_the_engine_reads(
            pick in 0usize..10_000,
            at in 0usize..4_096,
            n in 1usize..8,
            insert in proptest::sample::select(vec!["{", "}", "[", "]", ",", ":", "\"", "1e3", " ", "\"Sid\": \"x\","]),
            kind in 0u8..4,
        ) {
            let cases = corpus();
            let case = &cases[pick % cases.len()];
            let docs = iam_testkit::policy_documents(case);
            proptest::prop_assume!(!docs.is_empty());
            let text = &docs[0];
            let m = match kind {
                0 => iam_testkit::mutate::apply(text, &iam_testkit::mutate::Mutation::Delete(at, n)),
                1 => iam_testkit::mutate::apply(text, &iam_testkit::mutate::Mutation::Insert(at, insert.to_owned())),
                2 => iam_testkit::mutate::apply(text, &iam_testkit::mutate::Mutation::Duplicate(at, n)),
                _ => text.clone(),
            };
            if let Ok(f) = format_text(&m) {
                proptest::prop_assert_eq!(format_text(&f).unwrap(), f.clone());
                for pkind in [iam_policy::PolicyKind::Identity, iam_policy::PolicyKind::Scp, iam_policy::PolicyKind::Session] {
                    proptest::prop_assert_eq!(
                        iam_policy::Policy::parse(&m, pkind).is_ok(),
                        iam_policy::Policy::parse(&f, pkind).is_ok(),
                        "{} vs {}", m, f
                    );
                }
                // The same decision with the case's first identity policy as written and as
                // formatted (an error, no decision, in both or in neither).
                if case["identity_policies"].as_array().is_some_and(|a| !a.is_empty()) {
                    let with = |doc: &str| {
                        let mut c = case.clone();
                        c["identity_policies"][0] = serde_json::Value::String(doc.to_owned());
                        decision(&c)
                    };
                    proptest::prop_assert_eq!(with(&m), with(&f));
                }
            }
        }
    }

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let d = unified_diff("a\nb\nc\nd\n", "a\nB\nc\nd\n", "x", "y");
        assert_eq!(d, "--- x\n+++ y\n@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n d\n");
        assert_eq!(unified_diff("a\n", "a\n", "x", "y"), "");
    }
}
