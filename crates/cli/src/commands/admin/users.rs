//! `modelarts-iam user …` and `modelarts-iam access-key …`: IAM v5 users (`/v5/users`) and their
//! permanent access keys (`/v5/users/{user_id}/access-keys`).

use std::path::PathBuf;

use anyhow::bail;
use serde_json::{Value, json};

use super::{Ctx, Kind, Page, changes, hex_id, object, print_secret, text};

/// IAM users.
pub(crate) const USER: Kind = Kind {
    noun: "user",
    path: "/v5/users",
    items: "users",
    one: "user",
    id: "user_id",
    name: "user_name",
    columns: &[
        ("name", "user_name"),
        ("id", "user_id"),
        ("enabled", "enabled"),
        ("root", "is_root_user"),
        ("created", "created_at"),
        ("description", "description"),
    ],
    is_id: hex_id,
};

/// `user` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// List the account's users.
    List {
        /// Only the members of this group (name or id).
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Show a user (name or id).
    Show { user: String },
    /// Create a user.
    Create {
        /// The name: letters, digits, `_`, `-`, `.` and spaces, not starting with a digit.
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Create it disabled (it cannot sign in or use its access keys).
        #[arg(long)]
        disabled: bool,
    },
    /// Rename, describe, enable or disable a user.
    Update {
        user: String,
        /// The new name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        #[arg(long)]
        disable: bool,
    },
    /// Delete a user (its access keys, memberships and attachments go with it).
    Delete { user: String },
    /// The groups a user is in.
    Groups {
        user: String,
        #[command(flatten)]
        page: Page,
    },
    /// The identity policies attached to a user (not those of its groups).
    Policies {
        user: String,
        #[command(flatten)]
        page: Page,
    },
}

pub(crate) fn user(cx: &Ctx, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::List { group, page } => {
            let group = group
                .map(|g| cx.resolve(&super::groups::GROUP, &g))
                .transpose()?;
            let query: Vec<(&str, &str)> = group.iter().map(|g| ("group_id", g.as_str())).collect();
            cx.list_kind(&USER, &query, page)
        }
        UserCommand::Show { user } => cx.show_kind(&USER, &user),
        UserCommand::Create {
            name,
            description,
            disabled,
        } => cx.write_kind(
            &USER,
            "POST",
            USER.path,
            &object(&[
                ("name", Some(json!(name))),
                ("enabled", Some(json!(!disabled))),
                ("description", description.map(Value::from)),
            ]),
        ),
        UserCommand::Update {
            user,
            name,
            description,
            enable,
            disable,
        } => {
            let enabled = (enable || disable).then_some(Value::from(enable));
            let body = changes(
                &[
                    ("new_user_name", name.map(Value::from)),
                    ("new_description", description.map(Value::from)),
                    ("enabled", enabled),
                ],
                "--name, --description, --enable or --disable",
            )?;
            let id = cx.resolve(&USER, &user)?;
            cx.write_kind(&USER, "PUT", &USER.at(&id), &body)
        }
        UserCommand::Delete { user } => cx.delete_kind(&USER, &user),
        UserCommand::Groups { user, page } => {
            let id = cx.resolve(&USER, &user)?;
            cx.list_kind(&super::groups::GROUP, &[("user_id", &id)], page)
        }
        UserCommand::Policies { user, page } => cx.attached_policies(&USER, &user, page),
    }
}

/// `--status` of `access-key update`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Refused by the server until activated again.
    Inactive,
}

/// `access-key` subcommands. `--user` (name or id) defaults to the caller for `list` and
/// `create`, and to the key's owner for `update` and `delete`.
#[derive(Debug, clap::Subcommand)]
pub enum AccessKeyCommand {
    /// List a user's access keys (without secrets).
    List {
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Create an access key (at most 2 per user). The secret is shown once: printed to standard
    /// output with a warning on standard error, or written to --out FILE (mode 0600).
    Create {
        #[arg(long)]
        user: Option<String>,
        /// Write the credentials to this new file (mode 0600) instead of printing the secret;
        /// usable as --key-file and by `configure --from-key-file`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Activate or deactivate an access key.
    Update {
        access_key_id: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long, value_enum)]
        status: KeyStatus,
    },
    /// Delete an access key.
    Delete {
        access_key_id: String,
        #[arg(long)]
        user: Option<String>,
    },
}

const KEY_COLUMNS: &[(&str, &str)] = &[
    ("access key id", "access_key_id"),
    ("status", "status"),
    ("user id", "user_id"),
    ("created", "created_at"),
];

pub(crate) fn access_key(cx: &Ctx, command: AccessKeyCommand) -> anyhow::Result<()> {
    let keys = |user_id: &str| format!("{}/access-keys", USER.at(user_id));
    let user_or_caller = |user: Option<String>| match user {
        Some(u) => cx.resolve(&USER, &u),
        None => cx.caller_user_id(),
    };
    match command {
        AccessKeyCommand::List { user, page } => {
            let id = user_or_caller(user)?;
            let listed = cx.list(&keys(&id), &[], "access_keys", page)?;
            cx.print_list("access_keys", &listed, KEY_COLUMNS)
        }
        AccessKeyCommand::Create { user, out } => {
            let out = super::reserve_out(out.as_ref())?;
            let id = user_or_caller(user)?;
            let answer = cx.call("POST", &keys(&id), &[], None)?;
            let key = &answer["access_key"];
            let mut file = json!({
                "access_key_id": key["access_key_id"],
                "secret_access_key": key["secret_access_key"],
                "user_id": key["user_id"],
            });
            if let Some(project) = &cx.connection().project_id {
                file["project_id"] = json!(project);
            }
            print_secret(cx, &answer, Some("access_key"), out, &file)
        }
        AccessKeyCommand::Update {
            access_key_id,
            user,
            status,
        } => {
            let owner = key_owner(cx, &access_key_id, user)?;
            let status = match status {
                KeyStatus::Active => "active",
                KeyStatus::Inactive => "inactive",
            };
            let answer = cx.send(
                "PUT",
                &format!("{}/{access_key_id}", keys(&owner)),
                &json!({ "status": status }),
            )?;
            cx.print_entity(&answer, Some("access_key"))
        }
        AccessKeyCommand::Delete {
            access_key_id,
            user,
        } => {
            let owner = key_owner(cx, &access_key_id, user)?;
            cx.call(
                "DELETE",
                &format!("{}/{access_key_id}", keys(&owner)),
                &[],
                None,
            )?;
            cx.done(format_args!("deleted access key {access_key_id}"));
            Ok(())
        }
    }
}

/// The id of the user named by `--user`, else of the account's user who owns the key
/// (`GET /v5/users?access_key_id=`).
fn key_owner(cx: &Ctx, access_key_id: &str, user: Option<String>) -> anyhow::Result<String> {
    if let Some(u) = user {
        return cx.resolve(&USER, &u);
    }
    let owners = cx.call("GET", USER.path, &[("access_key_id", access_key_id)], None)?;
    match owners["users"].as_array().map(Vec::as_slice) {
        Some([owner]) => Ok(text(owner, "user_id").to_owned()),
        _ => bail!(
            "no user of the caller's account has the access key `{access_key_id}` (access key ids are 20 upper-case letters and digits)"
        ),
    }
}
