//! Reading an account from a running server through its APIs (IAM v5, Organizations v1,
//! ModelArts authorizations), into the configuration's [`Account`] shape plus the ids the
//! changes need.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::model::{ADMIN_GROUP, Account, Agency, Group, Policy, Scp, User};
use crate::connection::{CallError, Connection};

/// Whether an optional part of the account is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Not read.
    No,
    /// Read when the caller may (export): skipped, with a note, when the server refuses.
    IfPossible,
    /// Read; an error when the server refuses (the configuration manages it).
    Yes,
}

/// The organization the account manages, as far as SCPs need it.
#[derive(Debug, Clone, Default)]
pub struct Org {
    /// `root`, `ou:<path>`, `account:<name>` -> entity id.
    pub targets: BTreeMap<String, String>,
    /// SCP name -> id.
    pub scp_ids: BTreeMap<String, String>,
    /// Names of the built-in SCPs (attachable, not editable).
    pub builtin: BTreeSet<String>,
}

/// The account on the server.
#[derive(Debug, Clone, Default)]
pub struct Remote {
    /// The caller's account.
    pub account_id: String,
    /// The caller's user name, when the caller is a user of the account.
    pub caller_user: Option<String>,
    /// The root user's name.
    pub root_user: String,
    /// The objects.
    pub account: Account,
    /// User name -> id.
    pub user_ids: BTreeMap<String, String>,
    /// Group name -> id.
    pub group_ids: BTreeMap<String, String>,
    /// Agency name -> id.
    pub agency_ids: BTreeMap<String, String>,
    /// Custom policy name -> (id, default version id).
    pub policy_ids: BTreeMap<String, (String, String)>,
    /// System policy name -> (id, default version id).
    pub system_policies: BTreeMap<String, (String, String)>,
    /// The organization, when SCPs were read.
    pub org: Option<Org>,
    /// Whether SCPs were read (the account manages an organization and the caller may).
    pub scps_read: bool,
    /// Whether ModelArts authorizations were read.
    pub authorizations_read: bool,
    /// The project of the authorizations.
    pub project_id: Option<String>,
    /// Notes for people (what was not read and why).
    pub notes: Vec<String>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Every item of a paged list (`limit`/`marker`, `page_info.next_marker`).
pub async fn list_all(
    conn: &Connection,
    path: &str,
    key: &str,
    filters: &[(&str, &str)],
) -> Result<Vec<Value>, CallError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut query: Vec<(&str, &str)> = vec![("limit", "200")];
        query.extend_from_slice(filters);
        if let Some(m) = &marker {
            query.push(("marker", m.as_str()));
        }
        let page = conn.request("GET", path, &query, None).await?;
        if let Some(items) = page.get(key).and_then(Value::as_array) {
            out.extend(items.iter().cloned());
        }
        match page
            .get("page_info")
            .and_then(|p| p.get("next_marker"))
            .and_then(Value::as_str)
        {
            Some(m) if !m.is_empty() => marker = Some(m.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// A document stored as text, as a JSON value (text that is not JSON stays a string).
pub fn document_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

async fn attached(conn: &Connection, kind: &str, id: &str) -> Result<BTreeSet<String>, CallError> {
    Ok(list_all(
        conn,
        &format!("/v5/{kind}/{id}/attached-policies"),
        "attached_policies",
        &[],
    )
    .await?
    .iter()
    .map(|p| text(p, "policy_name"))
    .collect())
}

fn is_status(e: &CallError, statuses: &[u16]) -> bool {
    matches!(e, CallError::Api { status, .. } if statuses.contains(status))
}

/// Reads the account of the caller.
pub async fn read(conn: &Connection, scps: Want, authorizations: Want) -> anyhow::Result<Remote> {
    let me = conn
        .request("GET", "/v5/caller-identity", &[], None)
        .await
        .context("reading the caller's identity")?;
    let mut r = Remote {
        account_id: text(&me, "account_id"),
        ..Remote::default()
    };
    let caller_id = text(&me, "principal_id");

    // users
    let users = list_all(conn, "/v5/users", "users", &[])
        .await
        .context("listing users")?;
    for u in &users {
        let (id, name) = (text(u, "user_id"), text(u, "user_name"));
        let root = u.get("is_root_user").and_then(Value::as_bool) == Some(true);
        if root {
            r.root_user = name.clone();
        }
        if id == caller_id {
            r.caller_user = Some(name.clone());
        }
        let policies = attached(conn, "users", &id)
            .await
            .with_context(|| format!("reading the policies of user {name}"))?;
        r.account.users.insert(
            name.clone(),
            User {
                description: text(u, "description"),
                enabled: u.get("enabled").and_then(Value::as_bool) != Some(false),
                policies,
                root,
            },
        );
        r.user_ids.insert(name, id);
    }
    let user_names: BTreeMap<String, String> = r
        .user_ids
        .iter()
        .map(|(n, i)| (i.clone(), n.clone()))
        .collect();

    // groups
    for g in list_all(conn, "/v5/groups", "groups", &[])
        .await
        .context("listing groups")?
    {
        let (id, name) = (text(&g, "group_id"), text(&g, "group_name"));
        let members = list_all(conn, "/v5/users", "users", &[("group_id", id.as_str())])
            .await
            .with_context(|| format!("reading the members of group {name}"))?
            .iter()
            .filter_map(|u| user_names.get(&text(u, "user_id")).cloned())
            .filter(|m| !(name == ADMIN_GROUP && *m == r.root_user))
            .collect();
        let policies = attached(conn, "groups", &id)
            .await
            .with_context(|| format!("reading the policies of group {name}"))?;
        r.account.groups.insert(
            name.clone(),
            Group {
                description: text(&g, "description"),
                members,
                policies,
            },
        );
        r.group_ids.insert(name, id);
    }

    // policies (custom with their default documents; system ones by name)
    for p in list_all(conn, "/v5/policies", "policies", &[])
        .await
        .context("listing policies")?
    {
        let (id, name) = (text(&p, "policy_id"), text(&p, "policy_name"));
        let version = text(&p, "default_version_id");
        if text(&p, "policy_type") == "system" {
            r.system_policies.insert(name, (id, version));
            continue;
        }
        let v = conn
            .request(
                "GET",
                &format!("/v5/policies/{id}/versions/{version}"),
                &[],
                None,
            )
            .await
            .with_context(|| format!("reading the document of policy {name}"))?;
        let document = document_value(&text(&v["policy_version"], "document"));
        r.account.policies.insert(
            name.clone(),
            Policy {
                description: text(&p, "description"),
                path: text(&p, "path"),
                document,
            },
        );
        r.policy_ids.insert(name, (id, version));
    }

    // agencies
    for a in list_all(conn, "/v5/agencies", "agencies", &[])
        .await
        .context("listing agencies")?
    {
        let (id, name) = (text(&a, "agency_id"), text(&a, "agency_name"));
        let policies = attached(conn, "agencies", &id)
            .await
            .with_context(|| format!("reading the policies of agency {name}"))?;
        r.account.agencies.insert(
            name.clone(),
            Agency {
                description: text(&a, "description"),
                path: text(&a, "path"),
                max_session_duration: a
                    .get("max_session_duration")
                    .and_then(Value::as_i64)
                    .unwrap_or(3600),
                trust_policy: document_value(&text(&a, "trust_policy")),
                policies,
            },
        );
        r.agency_ids.insert(name, id);
    }

    if scps != Want::No {
        match read_org(conn, &r.account_id).await {
            Ok((org, list)) => {
                r.account.scps = list;
                r.org = Some(org);
                r.scps_read = true;
            }
            Err(Refused(why)) if scps == Want::IfPossible => {
                r.notes.push(format!("SCPs not exported: {why}"));
            }
            Err(Refused(why)) => bail!("the configuration manages SCPs, but {why}"),
        }
    }

    if authorizations != Want::No {
        r.project_id = conn.project().ok().map(str::to_owned);
        match read_authorizations(conn, r.project_id.as_deref(), &user_names).await {
            Ok(list) => {
                r.account.authorizations = list;
                r.authorizations_read = true;
            }
            Err(Refused(why)) if authorizations == Want::IfPossible => {
                r.notes
                    .push(format!("ModelArts authorizations not exported: {why}"));
            }
            Err(Refused(why)) => {
                bail!("the configuration manages ModelArts authorizations, but {why}")
            }
        }
    }
    Ok(r)
}

/// Why an optional part could not be read.
struct Refused(String);

impl From<CallError> for Refused {
    fn from(e: CallError) -> Self {
        Refused(e.to_string())
    }
}

async fn read_org(
    conn: &Connection,
    account_id: &str,
) -> Result<(Org, BTreeMap<String, Scp>), Refused> {
    let org = match conn.request("GET", "/v1/organizations", &[], None).await {
        Ok(o) => o,
        Err(e) if is_status(&e, &[404]) => {
            return Err(Refused("the account is not in an organization".to_owned()));
        }
        Err(e) => return Err(e.into()),
    };
    let management = text(&org["organization"], "management_account_id");
    if management != account_id {
        return Err(Refused(
            "the account is not the organization's management account (only it manages SCPs)"
                .to_owned(),
        ));
    }
    let mut o = Org::default();
    let roots = list_all(conn, "/v1/organizations/roots", "roots", &[]).await?;
    let mut queue: Vec<(String, String)> = Vec::new(); // (parent id, path prefix)
    for root in &roots {
        let id = text(root, "id");
        o.targets.insert("root".to_owned(), id.clone());
        queue.push((id, String::new()));
    }
    while let Some((parent, prefix)) = queue.pop() {
        let ous = list_all(
            conn,
            "/v1/organizations/organizational-units",
            "organizational_units",
            &[("parent_id", parent.as_str())],
        )
        .await?;
        for ou in ous {
            let path = format!("{prefix}{}", text(&ou, "name"));
            o.targets.insert(format!("ou:{path}"), text(&ou, "id"));
            queue.push((text(&ou, "id"), format!("{path}/")));
        }
    }
    for a in list_all(conn, "/v1/organizations/accounts", "accounts", &[]).await? {
        o.targets
            .insert(format!("account:{}", text(&a, "name")), text(&a, "id"));
    }
    let by_id: BTreeMap<String, String> = o
        .targets
        .iter()
        .map(|(t, id)| (id.clone(), t.clone()))
        .collect();
    let mut scps = BTreeMap::new();
    for p in list_all(conn, "/v1/organizations/policies", "policies", &[]).await? {
        if text(&p, "type") != "service_control_policy" {
            continue;
        }
        let (id, name) = (text(&p, "id"), text(&p, "name"));
        let builtin = p.get("is_builtin").and_then(Value::as_bool) == Some(true);
        let full = conn
            .request(
                "GET",
                &format!("/v1/organizations/policies/{id}"),
                &[],
                None,
            )
            .await?;
        let attached_to = list_all(
            conn,
            &format!("/v1/organizations/policies/{id}/attached-entities"),
            "attached_entities",
            &[],
        )
        .await?
        .iter()
        .filter_map(|e| by_id.get(&text(e, "id")).cloned())
        .collect();
        if builtin {
            o.builtin.insert(name.clone());
        }
        scps.insert(
            name.clone(),
            Scp {
                description: text(&p, "description"),
                document: (!builtin).then(|| document_value(&text(&full["policy"], "content"))),
                attached_to,
            },
        );
        o.scp_ids.insert(name, id);
    }
    Ok((o, scps))
}

async fn read_authorizations(
    conn: &Connection,
    project: Option<&str>,
    user_names: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Refused> {
    let Some(project) = project else {
        return Err(Refused(
            "no project id: pass --project, or use credentials that name one (the root key file does)"
                .to_owned(),
        ));
    };
    let path = format!("/v2/{project}/authorizations");
    let mut out = BTreeMap::new();
    let mut offset = 0usize;
    loop {
        let o = offset.to_string();
        let page = conn
            .request("GET", &path, &[("limit", "1000"), ("offset", &o)], None)
            .await?;
        let items = page
            .get("auth")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for a in &items {
            let user_id = text(a, "user_id");
            let user = if user_id == "all" {
                "all".to_owned()
            } else {
                match user_names.get(&user_id) {
                    Some(n) => n.clone(),
                    None => continue,
                }
            };
            out.insert(user, text(a, "content"));
        }
        offset += items.len();
        let total = page.get("total_count").and_then(Value::as_u64).unwrap_or(0);
        if items.is_empty() || offset as u64 >= total {
            return Ok(out);
        }
    }
}
