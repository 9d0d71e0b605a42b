//! `modelarts-iam group …`: IAM v5 user groups (`/v5/groups`) and their members.

use serde_json::{Value, json};

use super::users::USER;
use super::{Ctx, Kind, Page, changes, hex_id, object};

/// IAM user groups.
pub(crate) const GROUP: Kind = Kind {
    noun: "group",
    path: "/v5/groups",
    items: "groups",
    one: "group",
    id: "group_id",
    name: "group_name",
    columns: &[
        ("name", "group_name"),
        ("id", "group_id"),
        ("created", "created_at"),
        ("description", "description"),
    ],
    is_id: hex_id,
};

/// `group` subcommands. Groups and users are named by name or id.
#[derive(Debug, clap::Subcommand)]
pub enum GroupCommand {
    /// List the account's groups.
    List {
        /// Only the groups this user is in.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Show a group.
    Show { group: String },
    /// Create a group.
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Rename or describe a group (the built-in `admin` group refuses).
    Update {
        group: String,
        /// The new name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a group.
    Delete { group: String },
    /// Add users to a group.
    AddUser {
        group: String,
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Remove users from a group.
    RemoveUser {
        group: String,
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// The users of a group.
    Members {
        group: String,
        #[command(flatten)]
        page: Page,
    },
    /// The identity policies attached to a group.
    Policies {
        group: String,
        #[command(flatten)]
        page: Page,
    },
}

pub(crate) fn run(cx: &Ctx, command: GroupCommand) -> anyhow::Result<()> {
    match command {
        GroupCommand::List { user, page } => {
            let user = user.map(|u| cx.resolve(&USER, &u)).transpose()?;
            let query: Vec<(&str, &str)> = user.iter().map(|u| ("user_id", u.as_str())).collect();
            cx.list_kind(&GROUP, &query, page)
        }
        GroupCommand::Show { group } => cx.show_kind(&GROUP, &group),
        GroupCommand::Create { name, description } => cx.write_kind(
            &GROUP,
            "POST",
            GROUP.path,
            &object(&[
                ("group_name", Some(json!(name))),
                ("description", description.map(Value::from)),
            ]),
        ),
        GroupCommand::Update {
            group,
            name,
            description,
        } => {
            let body = changes(
                &[
                    ("new_group_name", name.map(Value::from)),
                    ("new_group_description", description.map(Value::from)),
                ],
                "--name or --description",
            )?;
            let id = cx.resolve(&GROUP, &group)?;
            cx.write_kind(&GROUP, "PUT", &GROUP.at(&id), &body)
        }
        GroupCommand::Delete { group } => cx.delete_kind(&GROUP, &group),
        GroupCommand::AddUser { group, users } => membership(cx, &group, &users, "add-user"),
        GroupCommand::RemoveUser { group, users } => membership(cx, &group, &users, "remove-user"),
        GroupCommand::Members { group, page } => {
            let id = cx.resolve(&GROUP, &group)?;
            cx.list_kind(&USER, &[("group_id", &id)], page)
        }
        GroupCommand::Policies { group, page } => cx.attached_policies(&GROUP, &group, page),
    }
}

/// `POST /v5/groups/{id}/add-user|remove-user` for each user, in order.
fn membership(cx: &Ctx, group: &str, users: &[String], action: &str) -> anyhow::Result<()> {
    let group_id = cx.resolve(&GROUP, group)?;
    for user in users {
        let user_id = cx.resolve(&USER, user)?;
        cx.send(
            "POST",
            &format!("{}/{action}", GROUP.at(&group_id)),
            &json!({ "user_id": user_id }),
        )?;
        let done = if action == "add-user" {
            "added to"
        } else {
            "removed from"
        };
        cx.done(format_args!("user `{user}` {done} group `{group}`"));
    }
    Ok(())
}
