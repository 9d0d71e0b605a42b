//! `modelarts-iam policy …`: IAM v5 identity policies (`/v5/policies`), their versions and
//! their attachments to users, groups and agencies. Documents come from files and are validated
//! locally before they are sent (exit code 3 with the findings when they have errors).

use std::path::PathBuf;

use iam_analyzer::PolicyType;
use serde_json::{Value, json};

use super::agencies::AGENCY;
use super::groups::GROUP;
use super::users::USER;
use super::{Ctx, Kind, Page, document, hex_id, object, print_rows, text};

/// A custom policy's id (32 hex digits) or a system policy's (`system-<name>`).
fn policy_id(s: &str) -> bool {
    hex_id(s) || s.starts_with("system-")
}

/// Identity policies (the account's and the system policies).
pub(crate) const POLICY: Kind = Kind {
    noun: "policy",
    path: "/v5/policies",
    items: "policies",
    one: "policy",
    id: "policy_id",
    name: "policy_name",
    columns: &[
        ("name", "policy_name"),
        ("id", "policy_id"),
        ("type", "policy_type"),
        ("default version", "default_version_id"),
        ("attachments", "attachment_count"),
        ("description", "description"),
    ],
    is_id: policy_id,
};

/// The principal a policy is attached to or detached from: exactly one of the flags.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Principal {
    /// A user (name or id).
    #[arg(long)]
    user: Option<String>,
    /// A group (name or id).
    #[arg(long)]
    group: Option<String>,
    /// An agency (name or id).
    #[arg(long)]
    agency: Option<String>,
}

impl Principal {
    /// The kind and the name given.
    fn named(&self) -> Option<(&'static Kind, &str)> {
        [
            (&USER, &self.user),
            (&GROUP, &self.group),
            (&AGENCY, &self.agency),
        ]
        .into_iter()
        .find_map(|(kind, name)| name.as_deref().map(|n| (kind, n)))
    }
}

/// `--type` of `policy list`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PolicyTypeArg {
    /// The account's own policies.
    Custom,
    /// The built-in system policies.
    System,
}

/// `--type` of `policy attached-entities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EntityType {
    User,
    Group,
    Agency,
}

/// `policy` subcommands. Policies are named by name or id (system policies by their names, such
/// as `"ModelArts CommonOperations"`).
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// List the account's and the system policies.
    List {
        #[arg(long = "type", value_enum)]
        policy_type: Option<PolicyTypeArg>,
        /// Only policies attached to something.
        #[arg(long)]
        only_attached: bool,
        #[arg(long, value_name = "PATH")]
        path_prefix: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Show a policy and its default version's document.
    Show { policy: String },
    /// Create a policy from a document file (validated locally first).
    Create {
        name: String,
        /// The policy document (JSON; `-` for standard input).
        file: PathBuf,
        #[arg(long)]
        description: Option<String>,
        /// `segment/` repeated.
        #[arg(long)]
        path: Option<String>,
    },
    /// Change a policy's description (a new document is a new version: `policy version create`).
    Update {
        policy: String,
        #[arg(long)]
        description: String,
    },
    /// Delete a policy (detach it first).
    Delete { policy: String },
    /// List a policy's versions.
    Versions {
        policy: String,
        #[command(flatten)]
        page: Page,
    },
    /// One version of a policy.
    #[command(subcommand)]
    Version(VersionCommand),
    /// Make a version the default (effective) one.
    SetDefault { policy: String, version: String },
    /// Attach a policy to a user, group or agency.
    Attach {
        policy: String,
        #[command(flatten)]
        to: Principal,
    },
    /// Detach a policy from a user, group or agency.
    Detach {
        policy: String,
        #[command(flatten)]
        from: Principal,
    },
    /// The users, groups and agencies a policy is attached to (--limit applies to each type).
    AttachedEntities {
        policy: String,
        #[arg(long = "type", value_enum)]
        entity_type: Option<EntityType>,
        #[command(flatten)]
        page: Page,
    },
}

/// `policy version` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum VersionCommand {
    /// Show a version and its document.
    Show { policy: String, version: String },
    /// Create a version from a document file (at most 5 versions; validated locally first).
    Create {
        policy: String,
        file: PathBuf,
        /// Make it the default (effective) version.
        #[arg(long)]
        set_default: bool,
    },
    /// Delete a version (not the default one).
    Delete { policy: String, version: String },
}

pub(crate) fn run(cx: &Ctx, command: PolicyCommand) -> anyhow::Result<()> {
    let versions = |id: &str| format!("{}/versions", POLICY.at(id));
    match command {
        PolicyCommand::List {
            policy_type,
            only_attached,
            path_prefix,
            page,
        } => {
            let mut query: Vec<(&str, &str)> = Vec::new();
            if let Some(t) = policy_type {
                query.push((
                    "policy_type",
                    match t {
                        PolicyTypeArg::Custom => "custom",
                        PolicyTypeArg::System => "system",
                    },
                ));
            }
            if only_attached {
                query.push(("only_attached", "true"));
            }
            if let Some(p) = &path_prefix {
                query.push(("path_prefix", p));
            }
            cx.list_kind(&POLICY, &query, page)
        }
        PolicyCommand::Show { policy } => {
            let id = cx.resolve(&POLICY, &policy)?;
            let answer = cx.get(&POLICY.at(&id))?;
            let default = text(&answer["policy"], "default_version_id").to_owned();
            let version = cx.get(&format!("{}/{default}", versions(&id)))?;
            if cx.json {
                return crate::commands::print_json(&json!({
                    "policy": answer["policy"],
                    "policy_version": version["policy_version"],
                }));
            }
            cx.print_entity(&answer, Some("policy"))?;
            outln!("document ({default}, the default version):")?;
            outln!("{}", pretty(text(&version["policy_version"], "document")))?;
            Ok(())
        }
        PolicyCommand::Create {
            name,
            file,
            description,
            path,
        } => {
            let doc = document(&file, PolicyType::Identity)?;
            cx.write_kind(
                &POLICY,
                "POST",
                POLICY.path,
                &object(&[
                    ("policy_name", Some(json!(name))),
                    ("policy_document", Some(json!(doc))),
                    ("path", path.map(Value::from)),
                    ("description", description.map(Value::from)),
                ]),
            )
        }
        PolicyCommand::Update {
            policy,
            description,
        } => {
            let id = cx.resolve(&POLICY, &policy)?;
            cx.write_kind(
                &POLICY,
                "PUT",
                &POLICY.at(&id),
                &json!({ "description": description }),
            )
        }
        PolicyCommand::Delete { policy } => cx.delete_kind(&POLICY, &policy),
        PolicyCommand::Versions { policy, page } => {
            let id = cx.resolve(&POLICY, &policy)?;
            let listed = cx.list(&versions(&id), &[], "versions", page)?;
            cx.print_list(
                "versions",
                &listed,
                &[
                    ("version", "version_id"),
                    ("default", "is_default"),
                    ("created", "created_at"),
                ],
            )
        }
        PolicyCommand::Version(VersionCommand::Show { policy, version }) => {
            let id = cx.resolve(&POLICY, &policy)?;
            let answer = cx.get(&format!("{}/{version}", versions(&id)))?;
            cx.print_entity(&answer, Some("policy_version"))
        }
        PolicyCommand::Version(VersionCommand::Create {
            policy,
            file,
            set_default,
        }) => {
            let doc = document(&file, PolicyType::Identity)?;
            let id = cx.resolve(&POLICY, &policy)?;
            let answer = cx.send(
                "POST",
                &versions(&id),
                &json!({ "policy_document": doc, "set_as_default": set_default }),
            )?;
            cx.print_entity(&answer, Some("policy_version"))
        }
        PolicyCommand::Version(VersionCommand::Delete { policy, version }) => {
            let id = cx.resolve(&POLICY, &policy)?;
            cx.call("DELETE", &format!("{}/{version}", versions(&id)), &[], None)?;
            cx.done(format_args!(
                "deleted version {version} of policy `{policy}`"
            ));
            Ok(())
        }
        PolicyCommand::SetDefault { policy, version } => {
            let id = cx.resolve(&POLICY, &policy)?;
            cx.call(
                "POST",
                &format!("{}/{version}/set-default", versions(&id)),
                &[],
                None,
            )?;
            cx.done(format_args!(
                "version {version} is the default version of policy `{policy}`"
            ));
            Ok(())
        }
        PolicyCommand::Attach { policy, to } => attach(cx, &policy, &to, "attach"),
        PolicyCommand::Detach { policy, from } => attach(cx, &policy, &from, "detach"),
        PolicyCommand::AttachedEntities {
            policy,
            entity_type,
            page,
        } => attached_entities(cx, &policy, entity_type, page),
    }
}

/// A JSON document indented, or the text as it is when it is not JSON.
pub(crate) fn pretty(doc: &str) -> String {
    serde_json::from_str::<Value>(doc)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| doc.to_owned())
}

/// `POST /v5/policies/{id}/attach-<kind>` (or `detach-`) with the principal's id.
pub(crate) fn attach_to(
    cx: &Ctx,
    policy: &str,
    kind: &Kind,
    principal: &str,
    action: &str,
) -> anyhow::Result<()> {
    let policy_id = cx.resolve(&POLICY, policy)?;
    let principal_id = cx.resolve(kind, principal)?;
    cx.send(
        "POST",
        &format!("{}/{action}-{}", POLICY.at(&policy_id), kind.noun),
        &json!({ kind.id: principal_id }),
    )?;
    let done = if action == "attach" {
        "attached to"
    } else {
        "detached from"
    };
    cx.done(format_args!(
        "policy `{policy}` {done} {} `{principal}`",
        kind.noun
    ));
    Ok(())
}

fn attach(cx: &Ctx, policy: &str, principal: &Principal, action: &str) -> anyhow::Result<()> {
    match principal.named() {
        Some((kind, name)) => attach_to(cx, policy, kind, name, action),
        None => anyhow::bail!("give --user, --group or --agency"),
    }
}

fn attached_entities(
    cx: &Ctx,
    policy: &str,
    only: Option<EntityType>,
    page: Page,
) -> anyhow::Result<()> {
    let id = cx.resolve(&POLICY, policy)?;
    let path = format!("{}/attached-entities", POLICY.at(&id));
    let types = [
        (EntityType::User, "user", "policy_users", &USER),
        (EntityType::Group, "group", "policy_groups", &GROUP),
        (EntityType::Agency, "agency", "policy_agencies", &AGENCY),
    ];
    let mut answer = serde_json::Map::new();
    let mut rows: Vec<Value> = Vec::new();
    for (t, name, key, kind) in types {
        if only.is_some_and(|o| o != t) {
            continue;
        }
        let listed = cx.list(&path, &[("entity_type", name)], key, page)?;
        if !cx.json && !listed.items.is_empty() {
            // names for people: one list of the kind
            let all = cx.list(kind.path, &[], kind.items, Page::default())?;
            for item in &listed.items {
                let entity_id = text(item, kind.id);
                let entity_name = all
                    .items
                    .iter()
                    .find(|e| text(e, kind.id) == entity_id)
                    .map_or("", |e| text(e, kind.name));
                rows.push(json!({
                    "type": name, "name": entity_name, "id": entity_id,
                    "attached": item["attached_at"],
                }));
            }
        }
        answer.insert(key.to_owned(), Value::Array(listed.items));
    }
    if cx.json {
        return crate::commands::print_json(&answer);
    }
    print_rows(
        &[
            ("type", "type"),
            ("name", "name"),
            ("id", "id"),
            ("attached", "attached"),
        ],
        &rows,
    );
    Ok(())
}
