//! `modelarts-iam authorization …`: ModelArts authorizations (`/v2/{project_id}/authorizations`),
//! which agency ModelArts uses for a user, in the project of the connection (`--project`,
//! `HUAWEICLOUD_SDK_PROJECT_ID`, the profile's or the key file's `project_id`). Only the tenant
//! administrator may list or change them.

use serde_json::{Value, json};

use super::agencies::AGENCY;
use super::users::USER;
use super::{Ctx, Page, text};

/// The largest page of the authorization list (it pages by `offset`, not by marker).
const AUTH_PAGE_MAX: usize = 1000;

/// `user_id` of the authorization that applies to every IAM user of the account.
const ALL_USERS: &str = "all";

/// `authorization` subcommands. `--user all` is the authorization of every IAM user.
#[derive(Debug, clap::Subcommand)]
pub enum AuthorizationCommand {
    /// List the project's authorizations.
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Make ModelArts act for a user (or `all` users) with an agency.
    Create {
        /// The user (name or id), or `all`.
        #[arg(long)]
        user: String,
        /// The agency (name or id).
        #[arg(long)]
        agency: String,
    },
    /// Remove the authorization of a user (or of `all`).
    Delete {
        /// The user (name or id), or `all`.
        #[arg(long)]
        user: String,
    },
}

pub(crate) fn run(cx: &Ctx, command: AuthorizationCommand) -> anyhow::Result<()> {
    let path = format!("/v2/{}/authorizations", cx.connection().project()?);
    let user_id = |user: &str| {
        if user == ALL_USERS {
            Ok(ALL_USERS.to_owned())
        } else {
            cx.resolve(&USER, user)
        }
    };
    match command {
        AuthorizationCommand::List { page } => {
            let limit = page.limit.map_or(usize::MAX, |l| l as usize);
            let size = page.page_size.map_or(AUTH_PAGE_MAX, |s| s as usize);
            let mut auth: Vec<Value> = Vec::new();
            let total = loop {
                let want = limit.saturating_sub(auth.len()).min(size).to_string();
                let offset = auth.len().to_string();
                let answer =
                    cx.call("GET", &path, &[("limit", &want), ("offset", &offset)], None)?;
                let got = answer["auth"].as_array().cloned().unwrap_or_default();
                let total = answer["total_count"].as_u64().unwrap_or(0);
                let done = got.is_empty();
                auth.extend(got);
                if done || auth.len() as u64 >= total || auth.len() >= limit {
                    break total;
                }
            };
            if cx.json {
                return crate::commands::print_json(&json!({ "total_count": total, "auth": auth }));
            }
            let rows: Vec<Value> = auth
                .iter()
                .map(|a| {
                    let mut row = a.clone();
                    row["created"] = json!(millis_to_rfc3339(a["create_time"].as_i64()));
                    row
                })
                .collect();
            super::print_rows(
                &[
                    ("user", "user_name"),
                    ("user id", "user_id"),
                    ("agency", "content"),
                    ("user type", "user_type"),
                    ("created", "created"),
                ],
                &rows,
            );
            Ok(())
        }
        AuthorizationCommand::Create { user, agency } => {
            let user_id = user_id(&user)?;
            // the API names the agency by name
            let agency_name = if (AGENCY.is_id)(&agency) {
                let answer = cx.get(&AGENCY.at(&agency))?;
                text(&answer["agency"], "agency_name").to_owned()
            } else {
                text(&cx.find(&AGENCY, &agency)?, "agency_name").to_owned()
            };
            let user_type = if user_id == ALL_USERS {
                "all-users"
            } else {
                "iam"
            };
            let answer = cx.send(
                "POST",
                &path,
                &json!({ "user_id": user_id, "type": "agency", "content": agency_name, "user_type": user_type }),
            )?;
            cx.print_entity(&answer, None)
        }
        AuthorizationCommand::Delete { user } => {
            let user_id = user_id(&user)?;
            let answer = cx.call("DELETE", &path, &[("user_id", &user_id)], None)?;
            if cx.json {
                return crate::commands::print_json(&answer);
            }
            cx.done(format_args!(
                "removed the ModelArts authorization of `{user}`"
            ));
            Ok(())
        }
    }
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC (empty when absent or out of range).
fn millis_to_rfc3339(ms: Option<i64>) -> String {
    ms.and_then(|ms| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
    })
    .and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_default()
}
