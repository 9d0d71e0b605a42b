//! An account written in the configuration format: one file per kind (or one document),
//! objects sorted by name, defaults left out, documents inline.

use serde_json::Value;

use super::config::{
    AgencyEntry, AuthorizationEntry, File, GroupEntry, PolicyEntry, ScpEntry, UserEntry,
};
use super::model::{ADMIN_GROUP, Account, Kind};
use super::remote::Remote;

/// The configuration of the account read from the server: every kind that was read.
pub fn files(remote: &Remote) -> Vec<(Kind, File)> {
    let a: &Account = &remote.account;
    let mut out = Vec::new();
    let users = a
        .users
        .iter()
        .filter(|(_, u)| !u.root)
        .map(|(n, u)| UserEntry {
            name: n.clone(),
            description: u.description.clone(),
            enabled: u.enabled,
            policies: u.policies.iter().cloned().collect(),
        })
        .collect();
    out.push((
        Kind::Users,
        File {
            users: Some(users),
            ..File::default()
        },
    ));
    let groups = a
        .groups
        .iter()
        .map(|(n, g)| GroupEntry {
            name: n.clone(),
            description: (n != ADMIN_GROUP && !g.description.is_empty())
                .then(|| g.description.clone()),
            members: g.members.iter().cloned().collect(),
            policies: g.policies.iter().cloned().collect(),
        })
        .collect();
    out.push((
        Kind::Groups,
        File {
            groups: Some(groups),
            ..File::default()
        },
    ));
    let policies = a
        .policies
        .iter()
        .map(|(n, p)| PolicyEntry {
            name: n.clone(),
            description: p.description.clone(),
            path: p.path.clone(),
            document: Some(p.document.clone()),
            document_file: None,
        })
        .collect();
    out.push((
        Kind::Policies,
        File {
            policies: Some(policies),
            ..File::default()
        },
    ));
    let agencies = a
        .agencies
        .iter()
        .map(|(n, x)| AgencyEntry {
            name: n.clone(),
            description: x.description.clone(),
            path: x.path.clone(),
            max_session_duration: x.max_session_duration,
            trust_policy: Some(x.trust_policy.clone()),
            trust_policy_file: None,
            policies: x.policies.iter().cloned().collect(),
        })
        .collect();
    out.push((
        Kind::Agencies,
        File {
            agencies: Some(agencies),
            ..File::default()
        },
    ));
    if remote.scps_read {
        let scps = a
            .scps
            .iter()
            .map(|(n, s)| ScpEntry {
                name: n.clone(),
                description: if s.document.is_some() {
                    s.description.clone()
                } else {
                    String::new()
                },
                document: s.document.clone(),
                document_file: None,
                attached_to: s.attached_to.iter().cloned().collect(),
            })
            .collect();
        out.push((
            Kind::Scps,
            File {
                scps: Some(scps),
                ..File::default()
            },
        ));
    }
    if remote.authorizations_read {
        let auths = a
            .authorizations
            .iter()
            .map(|(u, g)| AuthorizationEntry {
                user: u.clone(),
                agency: g.clone(),
            })
            .collect();
        out.push((
            Kind::Authorizations,
            File {
                authorizations: Some(auths),
                ..File::default()
            },
        ));
    }
    out
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// YAML (`.yaml`).
    Yaml,
    /// JSON (`.json`).
    Json,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

/// The text of a value in `format`, ending with a newline.
pub fn render(value: &Value, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Yaml => super::yaml::to_string(value)?,
        Format::Json => serde_json::to_string_pretty(value)? + "\n",
    })
}

/// One document holding every kind.
pub fn merged(files: &[(Kind, File)]) -> anyhow::Result<Value> {
    let mut all = serde_json::Map::new();
    for (_, f) in files {
        if let Value::Object(m) = serde_json::to_value(f)? {
            all.extend(m);
        }
    }
    Ok(Value::Object(all))
}
