//! The account as the configuration sees it: objects by name (their identity), with the
//! attributes the configuration manages. The server's account and the configuration are both
//! read into this shape, and the plan compares two of them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// The kinds of objects the configuration manages, in the order files list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// IAM users (with their attached policies).
    Users,
    /// User groups (with members and attached policies).
    Groups,
    /// Custom identity policies.
    Policies,
    /// Agencies (with trust policies and attached policies).
    Agencies,
    /// Service control policies (with where they are attached).
    Scps,
    /// ModelArts authorizations (user -> agency).
    Authorizations,
}

impl Kind {
    /// The top-level key of the files.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Groups => "groups",
            Kind::Policies => "policies",
            Kind::Agencies => "agencies",
            Kind::Scps => "scps",
            Kind::Authorizations => "authorizations",
        }
    }

    /// One object's kind, for messages.
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Users => "user",
            Kind::Groups => "group",
            Kind::Policies => "policy",
            Kind::Agencies => "agency",
            Kind::Scps => "SCP",
            Kind::Authorizations => "authorization",
        }
    }
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Description.
    pub description: String,
    /// Enabled.
    pub enabled: bool,
    /// Attached identity policies (custom or system names).
    pub policies: BTreeSet<String>,
    /// The account's root user: never part of the configuration.
    pub root: bool,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Description.
    pub description: String,
    /// Member users (for the built-in `admin` group, without the root user, always a member).
    pub members: BTreeSet<String>,
    /// Attached identity policies.
    pub policies: BTreeSet<String>,
}

/// A custom identity policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Description.
    pub description: String,
    /// Path (`""` or `a/b/`).
    pub path: String,
    /// The document (its default version).
    pub document: Value,
}

/// An agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Description.
    pub description: String,
    /// Path.
    pub path: String,
    /// Longest session, in seconds.
    pub max_session_duration: i64,
    /// The trust policy.
    pub trust_policy: Value,
    /// Attached identity policies.
    pub policies: BTreeSet<String>,
}

/// A service control policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scp {
    /// Description.
    pub description: String,
    /// The document; `None` for a built-in SCP (`FullAccess`).
    pub document: Option<Value>,
    /// `root`, `ou:<path>`, `account:<name>`.
    pub attached_to: BTreeSet<String>,
}

/// The objects of one account, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    /// Users (the root user included when read from the server).
    pub users: BTreeMap<String, User>,
    /// Groups.
    pub groups: BTreeMap<String, Group>,
    /// Custom identity policies.
    pub policies: BTreeMap<String, Policy>,
    /// Agencies.
    pub agencies: BTreeMap<String, Agency>,
    /// SCPs of the organization the account manages.
    pub scps: BTreeMap<String, Scp>,
    /// ModelArts authorizations: user name (or `all`) -> agency name.
    pub authorizations: BTreeMap<String, String>,
}

/// The name of the built-in system group.
pub const ADMIN_GROUP: &str = iam_store::ADMIN_GROUP;
