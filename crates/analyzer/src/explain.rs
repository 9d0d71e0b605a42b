//! A human-readable rendering of findings: the offending line of the document with a caret
//! under the span, the message, and how to fix it.

use crate::codes::Code;
use crate::finding::{Finding, FindingType, path_to_string};
use std::fmt::Write as _;

/// Renders `findings` of `document` for a person to read at a glance.
///
/// `document` must be the text the findings were computed on (for a document given as a JSON
/// string, the inner text).
pub fn explain(document: &str, findings: &[Finding]) -> String {
    let lines: Vec<&str> = document.split('\n').collect();
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("No findings: the policy is valid and no check has anything to say.\n");
        return out;
    }
    for f in findings {
        let code = Code::ALL.iter().find(|c| c.as_str() == f.issue_code);
        let _ = writeln!(
            out,
            "{} {}: {}",
            label(f.finding_type),
            f.issue_code,
            f.finding_details
        );
        if let Some(loc) = f.locations.first() {
            let (s, e) = (loc.span.start, loc.span.end);
            let path = path_to_string(&loc.path);
            let _ = writeln!(
                out,
                "  --> line {}, column {}{}",
                s.line,
                s.column,
                if path.is_empty() {
                    String::new()
                } else {
                    format!(" ({path})")
                }
            );
            if let Some(text) = lines.get(s.line.saturating_sub(1)) {
                let text = text.trim_end_matches('\r');
                let number = s.line.to_string();
                let pad = " ".repeat(number.len());
                let width = text.chars().count();
                let end_col = if e.line == s.line { e.column } else { width };
                let len = end_col.saturating_sub(s.column).max(1);
                let _ = writeln!(out, "  {pad} |");
                let _ = writeln!(out, "  {number} | {text}");
                let _ = writeln!(out, "  {pad} | {}{}", " ".repeat(s.column), "^".repeat(len));
            }
        }
        if let Some(c) = code {
            let _ = writeln!(out, "  fix: {}", c.fix());
        }
        out.push('\n');
    }
    let count = |t: FindingType| findings.iter().filter(|f| f.finding_type == t).count();
    let _ = writeln!(
        out,
        "{} error(s), {} security warning(s), {} warning(s), {} suggestion(s){}",
        count(FindingType::Error),
        count(FindingType::SecurityWarning),
        count(FindingType::Warning),
        count(FindingType::Suggestion),
        if count(FindingType::Error) > 0 {
            ": the policy cannot be used until the errors are fixed."
        } else {
            ": the policy can be used."
        }
    );
    out
}

fn label(t: FindingType) -> &'static str {
    match t {
        FindingType::Error => "error",
        FindingType::SecurityWarning => "security warning",
        FindingType::Warning => "warning",
        FindingType::Suggestion => "suggestion",
    }
}
