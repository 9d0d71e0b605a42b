//! Making a plan's changes, one API call each (a policy update may first delete its oldest
//! non-default version, which changes nothing in effect), stopping at the first refused call.

use anyhow::{Context as _, anyhow};
use serde_json::{Value, json};

use super::model::Account;
use super::plan::{Change, PrincipalKind, Step};
use super::remote::{Remote, list_all};
use crate::connection::{CallError, Connection};

/// The most versions a policy keeps (docs/server.md, "Store rules").
const MAX_VERSIONS: usize = 5;

/// Ids known so far: the server's, and those of the objects created by this run.
struct Ids<'a> {
    remote: &'a Remote,
    created: std::collections::BTreeMap<(&'static str, String), String>,
}

impl Ids<'_> {
    fn get(&self, kind: &'static str, name: &str) -> anyhow::Result<String> {
        if let Some(id) = self.created.get(&(kind, name.to_owned())) {
            return Ok(id.clone());
        }
        let r = self.remote;
        let found = match kind {
            "user" => r.user_ids.get(name).cloned(),
            "group" => r.group_ids.get(name).cloned(),
            "agency" => r.agency_ids.get(name).cloned(),
            "policy" => r
                .policy_ids
                .get(name)
                .or_else(|| r.system_policies.get(name))
                .map(|(id, _)| id.clone()),
            "scp" => r.org.as_ref().and_then(|o| o.scp_ids.get(name).cloned()),
            "target" => r.org.as_ref().and_then(|o| o.targets.get(name).cloned()),
            _ => None,
        };
        found.ok_or_else(|| anyhow!("no id known for {kind} `{name}`"))
    }
}

/// A document as the text sent: compact JSON (a document given as JSON text is sent as is).
fn document_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn id_of(answer: &Value, wrapper: &str, key: &str) -> anyhow::Result<String> {
    answer
        .get(wrapper)
        .and_then(|w| w.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the answer has no `{wrapper}.{key}`"))
}

/// Why a change could not be made.
#[derive(Debug)]
pub enum Failure {
    /// The server refused a call.
    Refused(CallError),
    /// Anything else (connection, an answer without the expected member).
    Other(anyhow::Error),
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        Failure::Refused(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

/// Makes `changes`; `done` is called after each one. On the first failure, returns its index
/// and why.
pub async fn apply(
    conn: &Connection,
    remote: &Remote,
    want: &Account,
    changes: &[Change],
    mut done: impl FnMut(&Change),
) -> Result<(), (usize, Failure)> {
    let mut ids = Ids {
        remote,
        created: Default::default(),
    };
    for (i, c) in changes.iter().enumerate() {
        step(conn, remote, want, &mut ids, &c.step)
            .await
            .map_err(|e| (i, e))?;
        done(c);
    }
    Ok(())
}

fn principal_path(kind: PrincipalKind) -> (&'static str, &'static str) {
    match kind {
        PrincipalKind::User => ("user", "user_id"),
        PrincipalKind::Group => ("group", "group_id"),
        PrincipalKind::Agency => ("agency", "agency_id"),
    }
}

async fn step(
    conn: &Connection,
    remote: &Remote,
    want: &Account,
    ids: &mut Ids<'_>,
    s: &Step,
) -> Result<(), Failure> {
    let missing = |kind: &str, name: &str| anyhow!("{kind} `{name}` is not in the plan's account");
    match s {
        Step::CreatePolicy(n) => {
            let p = want.policies.get(n).ok_or_else(|| missing("policy", n))?;
            let body = json!({"policy_name": n, "policy_document": document_text(&p.document),
                "path": p.path, "description": p.description});
            let a = conn
                .request("POST", "/v5/policies", &[], Some(&body))
                .await?;
            ids.created
                .insert(("policy", n.clone()), id_of(&a, "policy", "policy_id")?);
        }
        Step::UpdatePolicy {
            name,
            document,
            description,
        } => {
            let p = want
                .policies
                .get(name)
                .ok_or_else(|| missing("policy", name))?;
            let id = ids.get("policy", name)?;
            if *document {
                let versions = list_all(
                    conn,
                    &format!("/v5/policies/{id}/versions"),
                    "versions",
                    &[],
                )
                .await?;
                if versions.len() >= MAX_VERSIONS {
                    // the oldest version that is not the default: changes nothing in effect
                    let oldest = versions
                        .iter()
                        .filter(|v| v.get("is_default").and_then(Value::as_bool) != Some(true))
                        .filter_map(|v| v.get("version_id").and_then(Value::as_str))
                        .min_by_key(|v| v.trim_start_matches('v').parse::<u64>().unwrap_or(0))
                        .map(str::to_owned)
                        .context("the policy has no version that is not the default")?;
                    conn.request(
                        "DELETE",
                        &format!("/v5/policies/{id}/versions/{oldest}"),
                        &[],
                        None,
                    )
                    .await?;
                }
                let body =
                    json!({"policy_document": document_text(&p.document), "set_as_default": true});
                conn.request(
                    "POST",
                    &format!("/v5/policies/{id}/versions"),
                    &[],
                    Some(&body),
                )
                .await?;
            }
            if *description {
                let body = json!({"description": p.description});
                conn.request("PUT", &format!("/v5/policies/{id}"), &[], Some(&body))
                    .await?;
            }
        }
        Step::CreateUser(n) => {
            let u = want.users.get(n).ok_or_else(|| missing("user", n))?;
            let body = json!({"name": n, "enabled": u.enabled, "description": u.description});
            let a = conn.request("POST", "/v5/users", &[], Some(&body)).await?;
            ids.created
                .insert(("user", n.clone()), id_of(&a, "user", "user_id")?);
        }
        Step::UpdateUser(n) => {
            let u = want.users.get(n).ok_or_else(|| missing("user", n))?;
            let id = ids.get("user", n)?;
            let body = json!({"new_description": u.description, "enabled": u.enabled});
            conn.request("PUT", &format!("/v5/users/{id}"), &[], Some(&body))
                .await?;
        }
        Step::CreateGroup(n) => {
            let g = want.groups.get(n).ok_or_else(|| missing("group", n))?;
            let body = json!({"group_name": n, "description": g.description});
            let a = conn.request("POST", "/v5/groups", &[], Some(&body)).await?;
            ids.created
                .insert(("group", n.clone()), id_of(&a, "group", "group_id")?);
        }
        Step::UpdateGroup(n) => {
            let g = want.groups.get(n).ok_or_else(|| missing("group", n))?;
            let id = ids.get("group", n)?;
            let body = json!({"new_group_description": g.description});
            conn.request("PUT", &format!("/v5/groups/{id}"), &[], Some(&body))
                .await?;
        }
        Step::CreateAgency(n) => {
            let x = want.agencies.get(n).ok_or_else(|| missing("agency", n))?;
            let body = json!({"agency_name": n, "trust_policy": document_text(&x.trust_policy),
                "path": x.path, "max_session_duration": x.max_session_duration,
                "description": x.description});
            let a = conn
                .request("POST", "/v5/agencies", &[], Some(&body))
                .await?;
            ids.created
                .insert(("agency", n.clone()), id_of(&a, "agency", "agency_id")?);
        }
        Step::UpdateAgency {
            name,
            attributes,
            trust,
        } => {
            let x = want
                .agencies
                .get(name)
                .ok_or_else(|| missing("agency", name))?;
            let id = ids.get("agency", name)?;
            if *attributes {
                let body = json!({"description": x.description,
                    "max_session_duration": x.max_session_duration});
                conn.request("PUT", &format!("/v5/agencies/{id}"), &[], Some(&body))
                    .await?;
            }
            if *trust {
                let body = json!({"trust_policy": document_text(&x.trust_policy)});
                conn.request(
                    "PUT",
                    &format!("/v5/agencies/{id}/trust-policy"),
                    &[],
                    Some(&body),
                )
                .await?;
            }
        }
        Step::CreateScp(n) => {
            let x = want.scps.get(n).ok_or_else(|| missing("SCP", n))?;
            let document = x
                .document
                .as_ref()
                .ok_or_else(|| missing("SCP document", n))?;
            let body = json!({"name": n, "type": "service_control_policy",
                "content": document_text(document), "description": x.description});
            let a = conn
                .request("POST", "/v1/organizations/policies", &[], Some(&body))
                .await?;
            let id = a
                .get("policy")
                .and_then(|p| p.get("policy_summary"))
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("the answer has no `policy.policy_summary.id`"))?;
            ids.created.insert(("scp", n.clone()), id.to_owned());
        }
        Step::UpdateScp(n) => {
            let x = want.scps.get(n).ok_or_else(|| missing("SCP", n))?;
            let document = x
                .document
                .as_ref()
                .ok_or_else(|| missing("SCP document", n))?;
            let id = ids.get("scp", n)?;
            let body = json!({"content": document_text(document), "description": x.description});
            conn.request(
                "PATCH",
                &format!("/v1/organizations/policies/{id}"),
                &[],
                Some(&body),
            )
            .await?;
        }
        Step::AddMember { group, user } | Step::RemoveMember { group, user } => {
            let add = matches!(s, Step::AddMember { .. });
            let (g, u) = (ids.get("group", group)?, ids.get("user", user)?);
            let body = json!({"user_id": u});
            let verb = if add { "add-user" } else { "remove-user" };
            conn.request("POST", &format!("/v5/groups/{g}/{verb}"), &[], Some(&body))
                .await?;
        }
        Step::Attach {
            policy,
            kind,
            principal,
        }
        | Step::Detach {
            policy,
            kind,
            principal,
        } => {
            let attach = matches!(s, Step::Attach { .. });
            let (k, field) = principal_path(*kind);
            let p = ids.get("policy", policy)?;
            let who = ids.get(k, principal)?;
            let body = json!({ field: who });
            let verb = if attach { "attach" } else { "detach" };
            conn.request(
                "POST",
                &format!("/v5/policies/{p}/{verb}-{k}"),
                &[],
                Some(&body),
            )
            .await?;
        }
        Step::AttachScp { scp, target } | Step::DetachScp { scp, target } => {
            let attach = matches!(s, Step::AttachScp { .. });
            let (p, t) = (ids.get("scp", scp)?, ids.get("target", target)?);
            let body = json!({"entity_id": t});
            let verb = if attach { "attach" } else { "detach" };
            conn.request(
                "POST",
                &format!("/v1/organizations/policies/{p}/{verb}"),
                &[],
                Some(&body),
            )
            .await?;
        }
        Step::PutAuthorization { user, agency } => {
            let project = project(remote)?;
            let body = if user == "all" {
                json!({"user_id": "all", "user_type": "all-users", "type": "agency", "content": agency})
            } else {
                json!({"user_id": ids.get("user", user)?, "type": "agency", "content": agency})
            };
            conn.request(
                "POST",
                &format!("/v2/{project}/authorizations"),
                &[],
                Some(&body),
            )
            .await?;
        }
        Step::DeleteAuthorization { user } => {
            let project = project(remote)?;
            let id = if user == "all" {
                "all".to_owned()
            } else {
                ids.get("user", user)?
            };
            conn.request(
                "DELETE",
                &format!("/v2/{project}/authorizations"),
                &[("user_id", id.as_str())],
                None,
            )
            .await?;
        }
        Step::DeleteScp(n) => {
            let id = ids.get("scp", n)?;
            conn.request(
                "DELETE",
                &format!("/v1/organizations/policies/{id}"),
                &[],
                None,
            )
            .await?;
        }
        Step::DeleteAgency(n) => {
            let id = ids.get("agency", n)?;
            conn.request("DELETE", &format!("/v5/agencies/{id}"), &[], None)
                .await?;
        }
        Step::DeleteGroup(n) => {
            let id = ids.get("group", n)?;
            conn.request("DELETE", &format!("/v5/groups/{id}"), &[], None)
                .await?;
        }
        Step::DeleteUser(n) => {
            let id = ids.get("user", n)?;
            conn.request("DELETE", &format!("/v5/users/{id}"), &[], None)
                .await?;
        }
        Step::DeletePolicy(n) => {
            let id = ids.get("policy", n)?;
            conn.request("DELETE", &format!("/v5/policies/{id}"), &[], None)
                .await?;
        }
    }
    Ok(())
}

fn project(remote: &Remote) -> anyhow::Result<&str> {
    remote
        .project_id
        .as_deref()
        .context("no project id for the ModelArts authorizations: pass --project")
}
