//! `modelarts-iam scp|ou|account|organization …`: Organizations v1 (`/v1/organizations…`):
//! service control policies, organizational units, member accounts and the organization. These
//! calls are the management account's.
//!
//! Roots, OUs and accounts are named by id, by name, or (OUs) by path from the root
//! (`Root/research`); `root` names the organization's root. Names are found by walking the tree
//! from the root (`GET /v1/organizations/roots`, then the OUs of each parent, every page).

use std::collections::VecDeque;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use iam_analyzer::PolicyType;
use serde_json::{Value, json};

use super::{Ctx, Kind, Page, changes, document, hex_id, object, pick, text};

/// The Organizations policy type these commands manage.
const SCP_TYPE: &str = "service_control_policy";

/// Service control policies.
pub(crate) const SCP: Kind = Kind {
    noun: "scp",
    path: "/v1/organizations/policies",
    items: "policies",
    one: "policy",
    id: "id",
    name: "name",
    columns: &[
        ("name", "name"),
        ("id", "id"),
        ("built in", "is_builtin"),
        ("description", "description"),
    ],
    is_id: |s| s.starts_with("p-"),
};

/// Organizational units.
pub(crate) const OU: Kind = Kind {
    noun: "ou",
    path: "/v1/organizations/organizational-units",
    items: "organizational_units",
    one: "organizational_unit",
    id: "id",
    name: "name",
    columns: &[
        ("path", "path"),
        ("id", "id"),
        ("parent", "parent_id"),
        ("created", "created_at"),
    ],
    is_id: |s| s.starts_with("ou-"),
};

/// Member accounts.
pub(crate) const ACCOUNT: Kind = Kind {
    noun: "account",
    path: "/v1/organizations/accounts",
    items: "accounts",
    one: "account",
    id: "id",
    name: "name",
    columns: &[
        ("name", "name"),
        ("id", "id"),
        ("joined by", "join_method"),
        ("status", "status"),
        ("joined", "joined_at"),
    ],
    is_id: hex_id,
};

/// `scp` subcommands. SCPs are named by name or id (`p-…`); targets are `root`, OUs and accounts.
#[derive(Debug, clap::Subcommand)]
pub enum ScpCommand {
    /// List the organization's service control policies.
    List {
        /// Only those attached to this root, OU or account.
        #[arg(long, value_name = "TARGET")]
        attached_to: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Show an SCP with its document.
    Show { scp: String },
    /// Create an SCP from a document file (validated locally first).
    Create {
        name: String,
        /// The SCP document (JSON; `-` for standard input).
        file: PathBuf,
        #[arg(long)]
        description: Option<String>,
    },
    /// Rename an SCP, change its description or replace its document.
    Update {
        scp: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// A new document file (validated locally first).
        #[arg(long, value_name = "FILE")]
        content: Option<PathBuf>,
    },
    /// Delete an SCP (detach it first).
    Delete { scp: String },
    /// Attach an SCP to roots, OUs or accounts.
    Attach {
        scp: String,
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Detach an SCP from roots, OUs or accounts.
    Detach {
        scp: String,
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// The roots, OUs and accounts an SCP is attached to.
    AttachedEntities {
        scp: String,
        #[command(flatten)]
        page: Page,
    },
    /// Enable service control policies on the root (attaches `FullAccess` everywhere).
    Enable,
    /// Disable service control policies on the root (removes every SCP attachment).
    Disable,
}

/// `ou` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum OuCommand {
    /// List the OUs: the whole tree with each OU's path, or the children of --parent.
    List {
        /// Only the OUs directly under this root or OU.
        #[arg(long)]
        parent: Option<String>,
    },
    /// Show an OU.
    Show { ou: String },
    /// Create an OU.
    Create {
        name: String,
        /// The root or OU to create it under [default: the root].
        #[arg(long)]
        parent: Option<String>,
    },
    /// Rename an OU.
    Rename { ou: String, new_name: String },
    /// Delete an empty OU.
    Delete { ou: String },
}

/// `account` subcommands. Accounts are named by name or id.
#[derive(Debug, clap::Subcommand)]
pub enum AccountCommand {
    /// List the organization's accounts.
    List {
        /// Only the accounts directly under this root or OU.
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Show an account.
    Show { account: String },
    /// Create a member account (with its root user and project).
    Create { name: String },
    /// Move an account to another root or OU.
    Move {
        account: String,
        /// The root or OU to move it to.
        #[arg(long)]
        to: String,
        /// Its current root or OU [default: found by walking the tree].
        #[arg(long)]
        from: Option<String>,
    },
}

/// `organization` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum OrganizationCommand {
    /// The caller's organization, and (for its management account) its root and policy types.
    Show,
    /// Create an organization managed by the caller's account.
    Create,
}

/// The root and every OU of the organization, each OU with `parent_id` and `path` added.
struct Tree {
    root: Value,
    ous: Vec<Value>,
}

impl Tree {
    fn walk(cx: &Ctx) -> anyhow::Result<Tree> {
        let root = root(cx)?;
        let mut ous = Vec::new();
        let mut queue =
            VecDeque::from([(text(&root, "id").to_owned(), text(&root, "name").to_owned())]);
        while let Some((parent, path)) = queue.pop_front() {
            for ou in children(cx, &parent, &path)? {
                queue.push_back((text(&ou, "id").to_owned(), text(&ou, "path").to_owned()));
                ous.push(ou);
            }
        }
        Ok(Tree { root, ous })
    }

    /// The ids of the root and of every OU: every possible parent.
    fn parents(&self) -> impl Iterator<Item = &str> {
        std::iter::once(text(&self.root, "id")).chain(self.ous.iter().map(|o| text(o, "id")))
    }
}

/// The organization's root (`GET /v1/organizations/roots`).
fn root(cx: &Ctx) -> anyhow::Result<Value> {
    cx.list("/v1/organizations/roots", &[], "roots", Page::default())?
        .items
        .into_iter()
        .next()
        .context("the organization has no root")
}

/// The OUs directly under `parent`, with `parent_id` and `path` (`<parent path>/<name>`).
fn children(cx: &Ctx, parent: &str, parent_path: &str) -> anyhow::Result<Vec<Value>> {
    let listed = cx.list(OU.path, &[("parent_id", parent)], OU.items, Page::default())?;
    Ok(listed
        .items
        .into_iter()
        .map(|mut ou| {
            ou["path"] = json!(format!("{parent_path}/{}", text(&ou, "name")));
            ou["parent_id"] = json!(parent);
            ou
        })
        .collect())
}

/// What an argument may name in the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Targets {
    /// An OU.
    Ous,
    /// The root or an OU: a parent.
    Parents,
    /// The root, an OU or an account: what an SCP attaches to.
    Any,
}

/// The id of what `ident` names: an id of an allowed kind as it is; `root`; an OU's path from the
/// root; else a name, matched against the root, the OUs and (for [`Targets::Any`]) the accounts.
fn target(cx: &Ctx, ident: &str, targets: Targets) -> anyhow::Result<String> {
    let is_id = match targets {
        Targets::Ous => ident.starts_with("ou-"),
        Targets::Parents => ident.starts_with("ou-") || ident.starts_with("r-"),
        Targets::Any => ident.starts_with("ou-") || ident.starts_with("r-") || hex_id(ident),
    };
    if is_id {
        return Ok(ident.to_owned());
    }
    let tree = Tree::walk(cx)?;
    if targets != Targets::Ous && ident.eq_ignore_ascii_case("root") {
        return Ok(text(&tree.root, "id").to_owned());
    }
    if let Some(ou) = tree.ous.iter().find(|o| text(o, "path") == ident) {
        return Ok(text(ou, "id").to_owned());
    }
    let mut candidates = Vec::new();
    if targets != Targets::Ous {
        candidates.push(tree.root);
    }
    candidates.extend(tree.ous);
    let noun = match targets {
        Targets::Ous => "ou",
        Targets::Parents => "root or OU",
        Targets::Any => {
            candidates.extend(
                cx.list(ACCOUNT.path, &[], ACCOUNT.items, Page::default())?
                    .items,
            );
            "root, OU or account"
        }
    };
    Ok(text(&pick(noun, ident, &candidates, "id", "name")?, "id").to_owned())
}

pub(crate) fn scp(cx: &Ctx, command: ScpCommand) -> anyhow::Result<()> {
    match command {
        ScpCommand::List { attached_to, page } => {
            let entity = attached_to
                .map(|t| target(cx, &t, Targets::Any))
                .transpose()?;
            let query: Vec<(&str, &str)> = entity
                .iter()
                .map(|e| ("attached_entity_id", e.as_str()))
                .collect();
            // every page, then the SCPs only, then --limit
            let all = Page {
                limit: None,
                ..page
            };
            let mut listed = cx.list(SCP.path, &query, SCP.items, all)?;
            listed.items.retain(|p| text(p, "type") == SCP_TYPE);
            if let Some(limit) = page.limit.map(|l| l as usize)
                && listed.items.len() > limit
            {
                listed.items.truncate(limit);
                // the server's marker: the id of the last item given
                listed.next_marker = listed.items.last().map(|p| text(p, "id").to_owned());
            }
            cx.print_list(SCP.items, &listed, SCP.columns)
        }
        ScpCommand::Show { scp } => cx.show_kind(&SCP, &scp),
        ScpCommand::Create {
            name,
            file,
            description,
        } => {
            let content = document(&file, PolicyType::Scp)?;
            cx.write_kind(
                &SCP,
                "POST",
                SCP.path,
                &object(&[
                    ("name", Some(json!(name))),
                    ("type", Some(json!(SCP_TYPE))),
                    ("content", Some(json!(content))),
                    ("description", description.map(Value::from)),
                ]),
            )
        }
        ScpCommand::Update {
            scp,
            name,
            description,
            content,
        } => {
            let content = content.map(|f| document(&f, PolicyType::Scp)).transpose()?;
            let body = changes(
                &[
                    ("name", name.map(Value::from)),
                    ("description", description.map(Value::from)),
                    ("content", content.map(Value::from)),
                ],
                "--name, --description or --content",
            )?;
            let id = cx.resolve(&SCP, &scp)?;
            cx.write_kind(&SCP, "PATCH", &SCP.at(&id), &body)
        }
        ScpCommand::Delete { scp } => cx.delete_kind(&SCP, &scp),
        ScpCommand::Attach { scp, targets } => attach(cx, &scp, &targets, "attach"),
        ScpCommand::Detach { scp, targets } => attach(cx, &scp, &targets, "detach"),
        ScpCommand::AttachedEntities { scp, page } => {
            let id = cx.resolve(&SCP, &scp)?;
            let listed = cx.list(
                &format!("{}/attached-entities", SCP.at(&id)),
                &[],
                "attached_entities",
                page,
            )?;
            cx.print_list(
                "attached_entities",
                &listed,
                &[("name", "name"), ("id", "id"), ("type", "type")],
            )
        }
        ScpCommand::Enable => policy_type(cx, "enable"),
        ScpCommand::Disable => policy_type(cx, "disable"),
    }
}

fn attach(cx: &Ctx, scp: &str, targets: &[String], action: &str) -> anyhow::Result<()> {
    let id = cx.resolve(&SCP, scp)?;
    for t in targets {
        let entity = target(cx, t, Targets::Any)?;
        cx.send(
            "POST",
            &format!("{}/{action}", SCP.at(&id)),
            &json!({ "entity_id": entity }),
        )?;
        let done = if action == "attach" {
            "attached to"
        } else {
            "detached from"
        };
        cx.done(format_args!("scp `{scp}` {done} `{t}` ({entity})"));
    }
    Ok(())
}

/// `POST /v1/organizations/policies/enable|disable` of the SCP type on the root.
fn policy_type(cx: &Ctx, action: &str) -> anyhow::Result<()> {
    let root = root(cx)?;
    let answer = cx.send(
        "POST",
        &format!("/v1/organizations/policies/{action}"),
        &json!({ "policy_type": SCP_TYPE, "root_id": root["id"] }),
    )?;
    cx.print_entity(&answer, Some("root"))
}

pub(crate) fn ou(cx: &Ctx, command: OuCommand) -> anyhow::Result<()> {
    match command {
        OuCommand::List { parent } => {
            let ous = match parent {
                Some(p) => {
                    let id = target(cx, &p, Targets::Parents)?;
                    children(cx, &id, &p)?
                }
                None => Tree::walk(cx)?.ous,
            };
            let listed = super::Listed {
                items: ous,
                next_marker: None,
            };
            cx.print_list(OU.items, &listed, OU.columns)
        }
        OuCommand::Show { ou } => {
            let id = target(cx, &ou, Targets::Ous)?;
            let answer = cx.get(&OU.at(&id))?;
            cx.print_entity(&answer, Some(OU.one))
        }
        OuCommand::Create { name, parent } => {
            let parent = match parent {
                Some(p) => target(cx, &p, Targets::Parents)?,
                None => text(&root(cx)?, "id").to_owned(),
            };
            cx.write_kind(
                &OU,
                "POST",
                OU.path,
                &json!({ "name": name, "parent_id": parent }),
            )
        }
        OuCommand::Rename { ou, new_name } => {
            let id = target(cx, &ou, Targets::Ous)?;
            cx.write_kind(&OU, "PATCH", &OU.at(&id), &json!({ "name": new_name }))
        }
        OuCommand::Delete { ou } => {
            let id = target(cx, &ou, Targets::Ous)?;
            cx.call("DELETE", &OU.at(&id), &[], None)?;
            cx.done(format_args!("deleted ou `{ou}` ({id})"));
            Ok(())
        }
    }
}

pub(crate) fn account(cx: &Ctx, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::List { parent, page } => {
            let parent = parent
                .map(|p| target(cx, &p, Targets::Parents))
                .transpose()?;
            let query: Vec<(&str, &str)> =
                parent.iter().map(|p| ("parent_id", p.as_str())).collect();
            cx.list_kind(&ACCOUNT, &query, page)
        }
        AccountCommand::Show { account } => cx.show_kind(&ACCOUNT, &account),
        AccountCommand::Create { name } => {
            let answer = cx.send("POST", ACCOUNT.path, &json!({ "name": name }))?;
            cx.print_entity(&answer, Some("create_account_status"))
        }
        AccountCommand::Move { account, to, from } => {
            let id = cx.resolve(&ACCOUNT, &account)?;
            let destination = target(cx, &to, Targets::Parents)?;
            let source = match from {
                Some(f) => target(cx, &f, Targets::Parents)?,
                None => parent_of(cx, &id)?,
            };
            cx.send(
                "POST",
                &format!("{}/move", ACCOUNT.at(&id)),
                &json!({ "source_parent_id": source, "destination_parent_id": destination }),
            )?;
            cx.done(format_args!(
                "moved account `{account}` from {source} to `{to}` ({destination})"
            ));
            Ok(())
        }
    }
}

/// The root or OU an account is directly under: the parent whose account list has it.
fn parent_of(cx: &Ctx, account_id: &str) -> anyhow::Result<String> {
    let tree = Tree::walk(cx)?;
    for parent in tree.parents() {
        let accounts = cx.list(
            ACCOUNT.path,
            &[("parent_id", parent)],
            ACCOUNT.items,
            Page::default(),
        )?;
        if accounts.items.iter().any(|a| text(a, "id") == account_id) {
            return Ok(parent.to_owned());
        }
    }
    bail!("account `{account_id}` is under no root or OU of the organization")
}

pub(crate) fn organization(cx: &Ctx, command: OrganizationCommand) -> anyhow::Result<()> {
    match command {
        OrganizationCommand::Show => {
            let mut answer = cx.get("/v1/organizations")?;
            // the roots are the management account's to see: a member account shows without
            if let Ok(roots) = cx.list("/v1/organizations/roots", &[], "roots", Page::default()) {
                answer["roots"] = Value::Array(roots.items);
            }
            if cx.json {
                return crate::commands::print_json(&answer);
            }
            cx.print_entity(&answer, Some("organization"))?;
            if let Some(roots) = answer["roots"].as_array() {
                for root in roots {
                    outln!("{}", super::fields_table(root))?;
                }
            }
            Ok(())
        }
        OrganizationCommand::Create => {
            let answer = cx.call("POST", "/v1/organizations", &[], None)?;
            cx.print_entity(&answer, Some("organization"))
        }
    }
}
