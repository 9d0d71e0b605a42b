//! Declarative configuration (`plan`, `apply`, `export`): a directory of YAML or JSON files
//! describes an account's users, groups, custom identity policies, attachments, agencies, SCPs
//! and ModelArts authorizations; `plan` compares it with the account on a running server,
//! `apply` makes the changes, `export` writes an account in the same format. The format and
//! the rules are documented in docs/cli.md, "Declarative configuration".
//!
//! - [`config`]: the files, read and checked without the server;
//! - [`remote`]: the account read through the server's APIs;
//! - [`plan`]: the account asked for, the changes (one API call each, in dependency order) and
//!   the access they add and remove per principal;
//! - [`apply`]: the changes made, stopping at the first refused one;
//! - [`export`]: an account written in the configuration format;
//! - [`yaml`]: YAML reading with positions, and writing.

pub mod apply;
pub mod config;
pub mod export;
pub mod model;
pub mod plan;
pub mod remote;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use self::config::Problem;
use self::model::{Account, Kind};
use self::plan::{Op, Plan};
use self::remote::{Remote, Want};
use crate::connection::Connection;

/// Exit status of `plan` when changes are pending.
pub const EXIT_CHANGES: u8 = 2;
/// Exit status for an invalid configuration.
pub const EXIT_INVALID: u8 = 3;

/// `text` in the colour of `op` (create green, update yellow, delete red) when standard output
/// is coloured (`commands::style`: terminals, `NO_COLOR`, `CLICOLOR`, `--color`).
pub fn paint(text: &str, op: Op) -> String {
    use crate::commands::style::{self, Tone};
    let tone = match op {
        Op::Create => Tone::Good,
        Op::Update => Tone::Warn,
        Op::Delete => Tone::Bad,
    };
    style::paint(text, tone)
}

/// A plan ready to print or apply.
#[derive(Debug)]
pub struct Ready {
    /// The server's account.
    pub remote: Remote,
    /// The account asked for.
    pub want: Account,
    /// The plan.
    pub plan: Plan,
}

/// The outcome of reading a configuration against a server.
#[derive(Debug)]
pub enum Prepared {
    /// The configuration is invalid (files, documents, or against this server).
    Invalid(Vec<Problem>),
    /// The plan.
    Ready(Box<Ready>),
}

/// Reads `dir`, then the account, and plans. File problems are found before any request.
pub async fn prepare(conn: &Connection, dir: &Path) -> anyhow::Result<Prepared> {
    let config = match config::read_dir(dir)? {
        Ok(c) => c,
        Err(problems) => return Ok(Prepared::Invalid(problems)),
    };
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    let want_of = |k: Kind| {
        if config.managed.contains(&k) {
            Want::Yes
        } else {
            Want::No
        }
    };
    let remote = remote::read(conn, want_of(Kind::Scps), want_of(Kind::Authorizations)).await?;
    let (want, kept) = match plan::desired(&remote, &config) {
        Ok(x) => x,
        Err(problems) => return Ok(Prepared::Invalid(problems)),
    };
    let caller = plan::caller_of(&remote.account, remote.caller_user.as_deref());
    let mut changes = plan::changes(&remote.account, &want);
    if let Some(c) = caller {
        changes = plan::caller_last(changes, &remote.account, &want, c);
    }
    let mut system = BTreeMap::new();
    for name in plan::system_policies_used(&[&remote.account, &want], &remote) {
        if let Some((id, version)) = remote.system_policies.get(&name) {
            let v = conn
                .request(
                    "GET",
                    &format!("/v5/policies/{id}/versions/{version}"),
                    &[],
                    None,
                )
                .await
                .with_context(|| format!("reading the system policy {name}"))?;
            let text = v["policy_version"]["document"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            system.insert(name, remote::document_value(&text));
        }
    }
    let access = plan::access(&remote.account, &want, &system);
    let self_change = caller
        .map(|c| plan::self_reductions(&remote.account, &want, &changes, &access, c))
        .unwrap_or_default();
    let ceiling = plan::ceiling(&remote.account, &want);
    let plan = Plan {
        managed: config.managed.iter().copied().collect(),
        changes,
        access,
        ceiling,
        self_change,
        kept,
    };
    Ok(Prepared::Ready(Box::new(Ready { remote, want, plan })))
}

/// Refuses a plan that reduces the caller's own access (exit [`EXIT_INVALID`]); `None` when it
/// does not, or `--allow-self-change` was given.
pub fn refuse_self_change(plan: &Plan, allowed: bool) -> Option<std::process::ExitCode> {
    if plan.self_change.is_empty() || allowed {
        return None;
    }
    eprintln!(
        "error: the plan reduces your own access; nothing was changed:\n  {}\nApplying it could leave you without the access to finish or to run apply again. Pass --allow-self-change to apply it anyway (the changes that affect you are made last).",
        plan.self_change.join("\n  ")
    );
    Some(std::process::ExitCode::from(EXIT_INVALID))
}

/// Prints the problems of an invalid configuration (and, for `--json`, them as JSON).
pub fn print_problems(problems: &[Problem], json: bool) -> anyhow::Result<()> {
    if json {
        let list: Vec<Value> = problems
            .iter()
            .map(|p| {
                serde_json::json!({"file": p.origin.file, "line": p.origin.pos.line,
                    "column": p.origin.pos.column, "message": p.message})
            })
            .collect();
        crate::commands::print_json(&serde_json::json!({ "problems": list }))?;
    }
    eprintln!(
        "error: invalid configuration ({} problem(s)); nothing was changed:",
        problems.len()
    );
    for p in problems {
        eprintln!("  {p}");
    }
    Ok(())
}

/// Grants printed per principal and direction (`--json` has them all).
const MAX_LINES: usize = 25;

/// The plan as text.
pub fn plan_text(plan: &Plan) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let count = |op: Op| plan.changes.iter().filter(|c| c.op == op).count();
    let managed: Vec<&str> = plan.managed.iter().map(|k| k.key()).collect();
    if plan.changes.is_empty() {
        let _ = writeln!(
            s,
            "No changes: the account matches the configuration (managed: {}).",
            if managed.is_empty() {
                "nothing".to_owned()
            } else {
                managed.join(", ")
            }
        );
    } else {
        let _ = writeln!(
            s,
            "Plan: {} to create, {} to update, {} to delete (managed: {}).\n",
            count(Op::Create),
            count(Op::Update),
            count(Op::Delete),
            managed.join(", ")
        );
        for c in &plan.changes {
            let details = if c.details.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.details.join(", "))
            };
            let line = format!(
                "{} {} {}{details}",
                c.op.sign(),
                c.kind.replace('_', " "),
                c.name
            );
            let _ = writeln!(s, "  {}", paint(&line, c.op));
        }
    }
    if !plan.access.is_empty() {
        let _ = writeln!(s, "\nAccess added (+) and removed (-):");
        for a in &plan.access {
            for (op, sign, grants) in [(Op::Create, '+', &a.added), (Op::Delete, '-', &a.removed)] {
                if grants.len() > MAX_LINES {
                    let _ = writeln!(
                        s,
                        "  {}",
                        paint(
                            &format!(
                                "{sign} {} {}: {} actions (the first {MAX_LINES} below; --json lists all)",
                                a.kind,
                                a.name,
                                grants.len()
                            ),
                            op
                        )
                    );
                }
                for g in grants.iter().take(MAX_LINES) {
                    let line = format!(
                        "{sign} {} {}: {} on {}{}  ({})",
                        a.kind,
                        a.name,
                        g.action,
                        g.resources.join(", "),
                        g.condition
                            .as_ref()
                            .map(|c| format!(" when {c}"))
                            .unwrap_or_default(),
                        g.policy
                    );
                    let _ = writeln!(s, "  {}", paint(&line, op));
                }
            }
        }
    }
    if !plan.ceiling.is_empty() {
        let _ = writeln!(
            s,
            "\nSCP ceiling added (+) and removed (-) (what the entity's SCPs allow; a member account's principals also need their own policies and the other levels):"
        );
        for c in &plan.ceiling {
            for (op, sign, actions) in [(Op::Create, '+', &c.added), (Op::Delete, '-', &c.removed)]
            {
                if actions.len() > MAX_LINES {
                    let _ = writeln!(
                        s,
                        "  {}",
                        paint(
                            &format!(
                                "{sign} ceiling of {}: {} actions (the first {MAX_LINES} below; --json lists all)",
                                c.target,
                                actions.len()
                            ),
                            op
                        )
                    );
                }
                for a in actions.iter().take(MAX_LINES) {
                    let line = format!("{sign} ceiling of {}: {a}", c.target);
                    let _ = writeln!(s, "  {}", paint(&line, op));
                }
            }
        }
    }
    if !plan.self_change.is_empty() {
        let _ = writeln!(s, "\nReduces your own access:");
        for r in &plan.self_change {
            let _ = writeln!(s, "  {}", paint(r, Op::Delete));
        }
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(s, "\nKept although not listed:");
        for k in &plan.kept {
            let _ = writeln!(s, "  {k}");
        }
    }
    s
}
