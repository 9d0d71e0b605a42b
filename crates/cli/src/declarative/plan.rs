//! The plan: the account the configuration asks for (the server's account with the managed
//! kinds replaced), the changes that make the server so — one API call each, in dependency
//! order — and the access they add and remove per principal (the assistant's containment
//! analysis over each principal's effective identity policies, before and after).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use iam_assistant::containment;
use iam_policy::{PolicyId, PolicyKind};
use iam_store::names::name_key;
use serde::Serialize;
use serde_json::Value;

use super::config::{Config, Origin, Problem, RefKind};
use super::model::{ADMIN_GROUP, Account, Kind};
use super::remote::Remote;

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `+`
    Create,
    /// `~`
    Update,
    /// `-`
    Delete,
}

impl Op {
    /// `+`, `~`, `-`.
    pub fn sign(self) -> char {
        match self {
            Op::Create => '+',
            Op::Update => '~',
            Op::Delete => '-',
        }
    }
}

/// A principal an identity policy is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A user.
    User,
    /// A group.
    Group,
    /// An agency.
    Agency,
}

impl PrincipalKind {
    /// `user`, `group`, `agency`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::Agency => "agency",
        }
    }
}

/// One API call of the plan (a policy update may first delete the oldest version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `POST /v5/policies`.
    CreatePolicy(String),
    /// A new default version and/or `PUT` of the description.
    UpdatePolicy {
        /// The policy.
        name: String,
        /// The document changes.
        document: bool,
        /// The description changes.
        description: bool,
    },
    /// `POST /v5/users`.
    CreateUser(String),
    /// `PUT /v5/users/{id}`.
    UpdateUser(String),
    /// `POST /v5/groups`.
    CreateGroup(String),
    /// `PUT /v5/groups/{id}`.
    UpdateGroup(String),
    /// `POST /v5/agencies`.
    CreateAgency(String),
    /// `PUT /v5/agencies/{id}` and/or `PUT .../trust-policy`.
    UpdateAgency {
        /// The agency.
        name: String,
        /// Description or session duration change.
        attributes: bool,
        /// The trust policy changes.
        trust: bool,
    },
    /// `POST /v1/organizations/policies`.
    CreateScp(String),
    /// `PATCH /v1/organizations/policies/{id}`.
    UpdateScp(String),
    /// `POST /v5/groups/{id}/add-user`.
    AddMember {
        /// Group.
        group: String,
        /// User.
        user: String,
    },
    /// `POST /v5/policies/{id}/attach-<kind>`.
    Attach {
        /// Policy.
        policy: String,
        /// Principal kind.
        kind: PrincipalKind,
        /// Principal name.
        principal: String,
    },
    /// `POST /v1/organizations/policies/{id}/attach`.
    AttachScp {
        /// SCP.
        scp: String,
        /// `root`, `ou:<path>`, `account:<name>`.
        target: String,
    },
    /// `POST /v2/{project_id}/authorizations`.
    PutAuthorization {
        /// User name or `all`.
        user: String,
        /// Agency name.
        agency: String,
    },
    /// `DELETE /v2/{project_id}/authorizations?user_id=`.
    DeleteAuthorization {
        /// User name or `all`.
        user: String,
    },
    /// `POST /v1/organizations/policies/{id}/detach`.
    DetachScp {
        /// SCP.
        scp: String,
        /// Target.
        target: String,
    },
    /// `POST /v5/policies/{id}/detach-<kind>`.
    Detach {
        /// Policy.
        policy: String,
        /// Principal kind.
        kind: PrincipalKind,
        /// Principal name.
        principal: String,
    },
    /// `POST /v5/groups/{id}/remove-user`.
    RemoveMember {
        /// Group.
        group: String,
        /// User.
        user: String,
    },
    /// `DELETE /v1/organizations/policies/{id}`.
    DeleteScp(String),
    /// `DELETE /v5/agencies/{id}` (its attachments and authorizations go with it).
    DeleteAgency(String),
    /// `DELETE /v5/groups/{id}` (memberships and attachments go with it).
    DeleteGroup(String),
    /// `DELETE /v5/users/{id}` (memberships, attachments, keys and authorization go with it).
    DeleteUser(String),
    /// `DELETE /v5/policies/{id}` (detached first).
    DeletePolicy(String),
}

/// A change, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Create, update or delete.
    pub op: Op,
    /// `user`, `group`, `policy`, `agency`, `scp`, `member`, `attachment`, `scp_attachment`,
    /// `authorization`.
    pub kind: &'static str,
    /// What it is about, in words (`alice`, `alice in group devs`, `trainers to user alice`).
    pub name: String,
    /// The attributes that change (updates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// The call.
    #[serde(skip)]
    pub step: Step,
}

/// Access a principal gains or loses, one action on some resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The catalog action.
    pub action: String,
    /// Resource patterns (`*` for all).
    pub resources: Vec<String>,
    /// The statement's condition, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    /// The policy that grants it (on the side that has it).
    pub policy: String,
}

/// The access one principal gains and loses.
#[derive(Debug, Clone, Serialize)]
pub struct AccessChange {
    /// `user` or `agency`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Access it gains.
    pub added: Vec<Grant>,
    /// Access it loses.
    pub removed: Vec<Grant>,
}

/// A plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The kinds the configuration manages.
    pub managed: Vec<Kind>,
    /// The changes, in the order `apply` makes them.
    pub changes: Vec<Change>,
    /// Access added and removed, per principal.
    pub access: Vec<AccessChange>,
    /// The change of the SCP ceiling at each organization entity whose attached SCPs change.
    pub ceiling: Vec<CeilingChange>,
    /// How the plan reduces the caller's own access (refused without `--allow-self-change`).
    pub self_change: Vec<String>,
    /// Objects kept although the configuration does not list them (protected).
    pub kept: Vec<String>,
}

/// The actions an organization entity's SCP level allows, before and after (over the
/// catalog's actions on `*`).
#[derive(Debug, Clone, Serialize)]
pub struct CeilingChange {
    /// `root`, `ou:<path>`, `account:<name>`.
    pub target: String,
    /// Actions the level allows after, not before.
    pub added: Vec<String>,
    /// Actions the level allowed before, not after.
    pub removed: Vec<String>,
}

fn problem(origin: Option<&Origin>, message: String) -> Problem {
    Problem {
        origin: origin.cloned().unwrap_or(Origin {
            file: ".".into(),
            pos: Default::default(),
        }),
        message,
    }
}

/// The account the configuration asks for, and the protected objects kept; or the problems
/// that make the configuration invalid against this server.
pub fn desired(remote: &Remote, config: &Config) -> Result<(Account, Vec<String>), Vec<Problem>> {
    let cur = &remote.account;
    let cfg = &config.account;
    let origin = |k: Kind, n: &str| config.origins.get(&(k, n.to_owned()));
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    let mut d = cur.clone();
    let managed = |k: Kind| config.managed.contains(&k);

    if managed(Kind::Users) {
        let mut users = cfg.users.clone();
        for (name, u) in &cur.users {
            if u.root {
                if users.contains_key(name) {
                    problems.push(problem(origin(Kind::Users, name), format!(
                        "`{name}` is the account's root user: it is not part of the configuration (it cannot be created, changed or deleted here)"
                    )));
                }
                users.insert(name.clone(), u.clone());
            } else if remote.caller_user.as_deref() == Some(name.as_str())
                && !users.contains_key(name)
            {
                kept.push(format!(
                    "user {name}: the caller's own user is never deleted"
                ));
                users.insert(name.clone(), u.clone());
            }
        }
        d.users = users;
    }
    if managed(Kind::Groups) {
        let mut groups = cfg.groups.clone();
        for name in cfg.groups.keys() {
            if name != ADMIN_GROUP && name_key(name) == ADMIN_GROUP {
                problems.push(problem(origin(Kind::Groups, name), format!(
                    "`{name}` is a look-alike of the account's built-in group `{ADMIN_GROUP}`: no other group may take that name"
                )));
            }
        }
        if let Some(admin) = cur.groups.get(ADMIN_GROUP) {
            match groups.get_mut(ADMIN_GROUP) {
                Some(g) => {
                    if !config.described_groups.contains(ADMIN_GROUP) {
                        g.description = admin.description.clone();
                    } else if g.description != admin.description {
                        problems.push(problem(origin(Kind::Groups, ADMIN_GROUP), format!(
                            "the built-in group `{ADMIN_GROUP}` cannot be modified: leave out its description (only its members and policies are managed)"
                        )));
                    }
                }
                None => {
                    kept.push(format!(
                        "group {ADMIN_GROUP}: the built-in group is never deleted (list it to manage its members and policies)"
                    ));
                    groups.insert(ADMIN_GROUP.to_owned(), admin.clone());
                }
            }
        }
        d.groups = groups;
    }
    if managed(Kind::Policies) {
        for (name, p) in &cfg.policies {
            if let Some(c) = cur.policies.get(name)
                && c.path != p.path
            {
                problems.push(problem(origin(Kind::Policies, name), format!(
                    "the path of policy `{name}` is `{}` on the server: a policy's path cannot be changed (remove the policy, apply, then add it with the new path)",
                    c.path
                )));
            }
        }
        d.policies = cfg.policies.clone();
    }
    if managed(Kind::Agencies) {
        for (name, a) in &cfg.agencies {
            if let Some(c) = cur.agencies.get(name)
                && c.path != a.path
            {
                problems.push(problem(origin(Kind::Agencies, name), format!(
                    "the path of agency `{name}` is `{}` on the server: an agency's path cannot be changed (remove the agency, apply, then add it with the new path)",
                    c.path
                )));
            }
        }
        d.agencies = cfg.agencies.clone();
    }
    if managed(Kind::Scps) {
        let builtin = remote
            .org
            .as_ref()
            .map(|o| o.builtin.clone())
            .unwrap_or_default();
        let mut scps = cfg.scps.clone();
        for (name, s) in &cfg.scps {
            match (builtin.contains(name), s.document.is_some()) {
                (true, true) => problems.push(problem(origin(Kind::Scps, name), format!(
                    "`{name}` is a built-in SCP: it cannot be defined, only attached (leave out its document)"
                ))),
                (false, false) => problems.push(problem(
                    origin(Kind::Scps, name),
                    format!("SCP `{name}` needs a `document` or `document_file` (only built-in SCPs have none)"),
                )),
                _ => {}
            }
            if let (true, Some(c)) = (builtin.contains(name), cur.scps.get(name)) {
                // a built-in SCP's description is not the configuration's
                if let Some(x) = scps.get_mut(name) {
                    x.description = c.description.clone();
                }
            }
        }
        for name in &builtin {
            if let (false, Some(c)) = (scps.contains_key(name), cur.scps.get(name)) {
                scps.insert(name.clone(), c.clone());
            }
        }
        d.scps = scps;
    }
    if managed(Kind::Authorizations) {
        d.authorizations = cfg.authorizations.clone();
    }

    // every reference names something that exists after the change
    let targets: BTreeSet<String> = remote
        .org
        .as_ref()
        .map(|o| o.targets.keys().cloned().collect())
        .unwrap_or_default();
    for r in &config.references {
        let (found, what, kind) = match r.kind {
            RefKind::User => (d.users.contains_key(&r.name), "user", Kind::Users),
            RefKind::Policy => (
                d.policies.contains_key(&r.name) || remote.system_policies.contains_key(&r.name),
                "policy",
                Kind::Policies,
            ),
            RefKind::Agency => (d.agencies.contains_key(&r.name), "agency", Kind::Agencies),
            RefKind::OrgTarget => (targets.contains(&r.name), "organization entity", Kind::Scps),
        };
        if !found {
            let hint = if r.kind == RefKind::OrgTarget {
                format!(
                    " (the organization has: {})",
                    targets.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            } else if managed(kind) {
                format!(
                    " (not defined in the configuration{})",
                    if r.kind == RefKind::Policy {
                        ", nor a system policy"
                    } else {
                        ""
                    }
                )
            } else {
                " (not on the server)".to_owned()
            };
            problems.push(Problem {
                origin: r.origin.clone(),
                message: format!("unknown {what} `{}`{hint}", r.name),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    // what goes with deleted objects (the server removes it, or it must be detached first)
    let policies: BTreeSet<String> = d
        .policies
        .keys()
        .chain(remote.system_policies.keys())
        .cloned()
        .collect();
    let users: BTreeSet<String> = d.users.keys().cloned().collect();
    for u in d.users.values_mut() {
        u.policies.retain(|p| policies.contains(p));
    }
    for g in d.groups.values_mut() {
        g.policies.retain(|p| policies.contains(p));
        g.members.retain(|m| users.contains(m));
    }
    for a in d.agencies.values_mut() {
        a.policies.retain(|p| policies.contains(p));
    }
    let agencies: BTreeSet<String> = d.agencies.keys().cloned().collect();
    d.authorizations
        .retain(|u, a| (u == "all" || users.contains(u)) && agencies.contains(a));
    Ok((d, kept))
}

fn diff_attrs(pairs: &[(&str, bool)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(_, changed)| *changed)
        .map(|(n, _)| (*n).to_owned())
        .collect()
}

/// The changes from `cur` to `want`, in the order they are made: creations and updates of
/// objects, then what is added between them (members, attachments, authorizations), then what
/// is removed between them, then deletions.
pub fn changes(cur: &Account, want: &Account) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |op: Op, kind: &'static str, name: String, details: Vec<String>, step: Step| {
        out.push(Change {
            op,
            kind,
            name,
            details,
            step,
        });
    };
    // objects: create / update
    for (n, p) in &want.policies {
        match cur.policies.get(n) {
            None => push(
                Op::Create,
                "policy",
                n.clone(),
                vec![],
                Step::CreatePolicy(n.clone()),
            ),
            Some(c) => {
                let document = c.document != p.document;
                let description = c.description != p.description;
                if document || description {
                    push(
                        Op::Update,
                        "policy",
                        n.clone(),
                        diff_attrs(&[("document", document), ("description", description)]),
                        Step::UpdatePolicy {
                            name: n.clone(),
                            document,
                            description,
                        },
                    );
                }
            }
        }
    }
    for (n, u) in &want.users {
        match cur.users.get(n) {
            None => push(
                Op::Create,
                "user",
                n.clone(),
                vec![],
                Step::CreateUser(n.clone()),
            ),
            Some(c) if !u.root => {
                let details = diff_attrs(&[
                    ("description", c.description != u.description),
                    ("enabled", c.enabled != u.enabled),
                ]);
                if !details.is_empty() {
                    push(
                        Op::Update,
                        "user",
                        n.clone(),
                        details,
                        Step::UpdateUser(n.clone()),
                    );
                }
            }
            Some(_) => {}
        }
    }
    for (n, g) in &want.groups {
        match cur.groups.get(n) {
            None => push(
                Op::Create,
                "group",
                n.clone(),
                vec![],
                Step::CreateGroup(n.clone()),
            ),
            Some(c) if c.description != g.description => push(
                Op::Update,
                "group",
                n.clone(),
                vec!["description".to_owned()],
                Step::UpdateGroup(n.clone()),
            ),
            Some(_) => {}
        }
    }
    for (n, a) in &want.agencies {
        match cur.agencies.get(n) {
            None => push(
                Op::Create,
                "agency",
                n.clone(),
                vec![],
                Step::CreateAgency(n.clone()),
            ),
            Some(c) => {
                let desc = c.description != a.description;
                let session = c.max_session_duration != a.max_session_duration;
                let trust = c.trust_policy != a.trust_policy;
                if desc || session || trust {
                    push(
                        Op::Update,
                        "agency",
                        n.clone(),
                        diff_attrs(&[
                            ("description", desc),
                            ("max_session_duration", session),
                            ("trust_policy", trust),
                        ]),
                        Step::UpdateAgency {
                            name: n.clone(),
                            attributes: desc || session,
                            trust,
                        },
                    );
                }
            }
        }
    }
    for (n, s) in &want.scps {
        match cur.scps.get(n) {
            None => push(
                Op::Create,
                "scp",
                n.clone(),
                vec![],
                Step::CreateScp(n.clone()),
            ),
            Some(c) if s.document.is_some() => {
                let details = diff_attrs(&[
                    ("document", c.document != s.document),
                    ("description", c.description != s.description),
                ]);
                if !details.is_empty() {
                    push(
                        Op::Update,
                        "scp",
                        n.clone(),
                        details,
                        Step::UpdateScp(n.clone()),
                    );
                }
            }
            Some(_) => {}
        }
    }
    // links: add
    for (g, grp) in &want.groups {
        let before = cur.groups.get(g).map(|x| &x.members);
        for u in &grp.members {
            if !before.is_some_and(|b| b.contains(u)) {
                push(
                    Op::Create,
                    "member",
                    format!("{u} in group {g}"),
                    vec![],
                    Step::AddMember {
                        group: g.clone(),
                        user: u.clone(),
                    },
                );
            }
        }
    }
    let principals = |a: &Account| -> BTreeSet<(PrincipalKind, String, String)> {
        let mut s = BTreeSet::new();
        for (n, u) in &a.users {
            s.extend(
                u.policies
                    .iter()
                    .map(|p| (PrincipalKind::User, n.clone(), p.clone())),
            );
        }
        for (n, g) in &a.groups {
            s.extend(
                g.policies
                    .iter()
                    .map(|p| (PrincipalKind::Group, n.clone(), p.clone())),
            );
        }
        for (n, g) in &a.agencies {
            s.extend(
                g.policies
                    .iter()
                    .map(|p| (PrincipalKind::Agency, n.clone(), p.clone())),
            );
        }
        s
    };
    let (att_cur, att_want) = (principals(cur), principals(want));
    for (k, n, p) in att_want.difference(&att_cur) {
        push(
            Op::Create,
            "attachment",
            format!("{p} to {} {n}", k.as_str()),
            vec![],
            Step::Attach {
                policy: p.clone(),
                kind: *k,
                principal: n.clone(),
            },
        );
    }
    let scp_links = |a: &Account| -> BTreeSet<(String, String)> {
        a.scps
            .iter()
            .flat_map(|(n, s)| s.attached_to.iter().map(|t| (n.clone(), t.clone())))
            .collect()
    };
    let (scp_cur, scp_want) = (scp_links(cur), scp_links(want));
    for (s, t) in scp_want.difference(&scp_cur) {
        push(
            Op::Create,
            "scp_attachment",
            format!("{s} to {t}"),
            vec![],
            Step::AttachScp {
                scp: s.clone(),
                target: t.clone(),
            },
        );
    }
    for (u, a) in &want.authorizations {
        match cur.authorizations.get(u) {
            Some(c) if c == a => {}
            before => push(
                if before.is_some() {
                    Op::Update
                } else {
                    Op::Create
                },
                "authorization",
                format!("{u} -> agency {a}"),
                before
                    .map(|b| vec![format!("agency (was {b})")])
                    .unwrap_or_default(),
                Step::PutAuthorization {
                    user: u.clone(),
                    agency: a.clone(),
                },
            ),
        }
    }
    // links: remove (what a deletion below takes with it is not listed)
    let user_gone = |u: &str| !want.users.contains_key(u);
    let group_gone = |g: &str| !want.groups.contains_key(g);
    let agency_gone = |a: &str| !want.agencies.contains_key(a);
    for (u, a) in &cur.authorizations {
        let implied = u != "all" && user_gone(u) || agency_gone(a);
        if !want.authorizations.contains_key(u) && !implied {
            push(
                Op::Delete,
                "authorization",
                format!("{u} -> agency {a}"),
                vec![],
                Step::DeleteAuthorization { user: u.clone() },
            );
        }
    }
    for (s, t) in scp_cur.difference(&scp_want) {
        push(
            Op::Delete,
            "scp_attachment",
            format!("{s} to {t}"),
            vec![],
            Step::DetachScp {
                scp: s.clone(),
                target: t.clone(),
            },
        );
    }
    for (k, n, p) in att_cur.difference(&att_want) {
        let gone = match k {
            PrincipalKind::User => user_gone(n),
            PrincipalKind::Group => group_gone(n),
            PrincipalKind::Agency => agency_gone(n),
        };
        if !gone {
            push(
                Op::Delete,
                "attachment",
                format!("{p} to {} {n}", k.as_str()),
                vec![],
                Step::Detach {
                    policy: p.clone(),
                    kind: *k,
                    principal: n.clone(),
                },
            );
        }
    }
    for (g, grp) in &cur.groups {
        if group_gone(g) {
            continue;
        }
        let after = want.groups.get(g).map(|x| &x.members);
        for u in &grp.members {
            if !after.is_some_and(|a| a.contains(u)) && !user_gone(u) {
                push(
                    Op::Delete,
                    "member",
                    format!("{u} in group {g}"),
                    vec![],
                    Step::RemoveMember {
                        group: g.clone(),
                        user: u.clone(),
                    },
                );
            }
        }
    }
    // objects: delete
    for n in cur.scps.keys().filter(|n| !want.scps.contains_key(*n)) {
        push(
            Op::Delete,
            "scp",
            n.clone(),
            vec![],
            Step::DeleteScp(n.clone()),
        );
    }
    for n in cur.agencies.keys().filter(|n| agency_gone(n)) {
        push(
            Op::Delete,
            "agency",
            n.clone(),
            vec![],
            Step::DeleteAgency(n.clone()),
        );
    }
    for n in cur.groups.keys().filter(|n| group_gone(n)) {
        push(
            Op::Delete,
            "group",
            n.clone(),
            vec![],
            Step::DeleteGroup(n.clone()),
        );
    }
    for n in cur.users.keys().filter(|n| user_gone(n)) {
        push(
            Op::Delete,
            "user",
            n.clone(),
            vec![],
            Step::DeleteUser(n.clone()),
        );
    }
    for n in cur
        .policies
        .keys()
        .filter(|n| !want.policies.contains_key(*n))
    {
        push(
            Op::Delete,
            "policy",
            n.clone(),
            vec![],
            Step::DeletePolicy(n.clone()),
        );
    }
    out
}

/// The identity documents in effect for a principal: (label, document).
fn effective(
    a: &Account,
    system: &BTreeMap<String, Value>,
    kind: PrincipalKind,
    name: &str,
) -> Vec<(String, Value)> {
    let mut names: Vec<(String, String)> = Vec::new(); // (label, policy)
    match kind {
        PrincipalKind::User => {
            if let Some(u) = a.users.get(name) {
                names.extend(u.policies.iter().map(|p| (p.clone(), p.clone())));
            }
            for (g, grp) in &a.groups {
                if grp.members.contains(name) {
                    names.extend(
                        grp.policies
                            .iter()
                            .map(|p| (format!("{p} (group {g})"), p.clone())),
                    );
                }
            }
        }
        PrincipalKind::Agency => {
            if let Some(x) = a.agencies.get(name) {
                names.extend(x.policies.iter().map(|p| (p.clone(), p.clone())));
            }
        }
        PrincipalKind::Group => {}
    }
    let mut out: Vec<(String, Value)> = names
        .into_iter()
        .filter_map(|(label, p)| {
            a.policies
                .get(&p)
                .map(|x| x.document.clone())
                .or_else(|| system.get(&p).cloned())
                .map(|d| (label, d))
        })
        .collect();
    out.sort_by(|x, y| x.0.cmp(&y.0));
    out
}

/// The assistant's compiled layer of identity policies.
type Compiled = Vec<(PolicyId, Arc<iam_policy::Policy>)>;

fn compile(docs: &[(String, Value)]) -> Compiled {
    docs.iter()
        .filter_map(|(label, d)| {
            let text = match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            iam_policy::Policy::parse(&text, PolicyKind::Identity)
                .ok()
                .map(|p| (PolicyId::new(label), Arc::new(p)))
        })
        .collect()
}

fn grants(findings: Vec<containment::Finding>) -> Vec<Grant> {
    let mut out: Vec<Grant> = Vec::new();
    for f in findings {
        let resources = if f.not_resource {
            vec!["*".to_owned()]
        } else {
            f.resources
        };
        if out
            .iter()
            .any(|g| g.action == f.action && g.resources == resources && g.condition == f.condition)
        {
            continue;
        }
        out.push(Grant {
            action: f.action,
            resources,
            condition: f.condition,
            policy: f.policy_id,
        });
    }
    out.sort_by(|a, b| (&a.action, &a.resources).cmp(&(&b.action, &b.resources)));
    out
}

/// The access each user (not the root user, who holds every permission) and agency gains and
/// loses from `cur` to `want`. `system` holds the documents of the system policies attached on
/// either side.
pub fn access(
    cur: &Account,
    want: &Account,
    system: &BTreeMap<String, Value>,
) -> Vec<AccessChange> {
    let catalog = iam_catalog::Catalog::builtin();
    let mut out = Vec::new();
    let users: BTreeSet<&String> = cur
        .users
        .iter()
        .chain(want.users.iter())
        .filter(|(_, u)| !u.root)
        .map(|(n, _)| n)
        .collect();
    let agencies: BTreeSet<&String> = cur.agencies.keys().chain(want.agencies.keys()).collect();
    let principals = users
        .into_iter()
        .map(|n| (PrincipalKind::User, n))
        .chain(agencies.into_iter().map(|n| (PrincipalKind::Agency, n)));
    // a disabled user has no access: the server refuses every call it signs
    let enabled = |a: &Account, kind: PrincipalKind, name: &str| {
        kind != PrincipalKind::User || a.users.get(name).is_none_or(|u| u.enabled)
    };
    for (kind, name) in principals {
        let mut before = effective(cur, system, kind, name);
        let mut after = effective(want, system, kind, name);
        if !enabled(cur, kind, name) {
            before.clear();
        }
        if !enabled(want, kind, name) {
            after.clear();
        }
        if before == after {
            continue;
        }
        let d = containment::diff(catalog, &compile(&before), &compile(&after));
        if d.added.is_empty() && d.removed.is_empty() {
            continue;
        }
        out.push(AccessChange {
            kind: kind.as_str(),
            name: name.clone(),
            added: grants(d.added),
            removed: grants(d.removed),
        });
    }
    out
}

/// The SCP documents attached at each organization entity of `a` (a built-in SCP, without a
/// document, allows everything).
fn scp_levels(a: &Account) -> BTreeMap<String, Vec<(String, Value)>> {
    let all = serde_json::json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]});
    let mut out: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (name, scp) in &a.scps {
        for t in &scp.attached_to {
            out.entry(t.clone()).or_default().push((
                name.clone(),
                scp.document.clone().unwrap_or_else(|| all.clone()),
            ));
        }
    }
    out
}

/// The catalog actions (on `*`) one SCP level allows: the engine's decision for a principal
/// of a member account whose identity policies allow everything, under this level alone.
fn ceiling_of(level: &[(String, Value)], actions: &[String]) -> BTreeSet<String> {
    let scps: Compiled = level
        .iter()
        .filter_map(|(label, d)| {
            let text = match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            iam_policy::Policy::parse(&text, PolicyKind::Scp)
                .ok()
                .map(|p| (PolicyId::new(label), Arc::new(p)))
        })
        .collect();
    let everything = compile(&[(
        "everything".to_owned(),
        serde_json::json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]}),
    )]);
    let set = iam_policy::PolicySet::new(everything, vec![scps], Vec::new());
    let (principal, ctx) = (iam_policy::Principal::default(), iam_policy::Context::new());
    actions
        .iter()
        .filter(|a| {
            set.decide(
                &principal,
                &iam_policy::Request {
                    action: a,
                    resource: "*",
                    context: &ctx,
                },
            )
            .is_allow()
        })
        .cloned()
        .collect()
}

/// The change of the ceiling at each organization entity whose attached SCPs (or their
/// documents) change from `cur` to `want`.
pub fn ceiling(cur: &Account, want: &Account) -> Vec<CeilingChange> {
    let (before, after) = (scp_levels(cur), scp_levels(want));
    let targets: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let actions: Vec<String> = iam_catalog::Catalog::builtin()
        .actions()
        .map(|a| a.name.clone())
        .collect();
    let none = Vec::new();
    let mut out = Vec::new();
    for t in targets {
        let (b, a) = (
            before.get(t).unwrap_or(&none),
            after.get(t).unwrap_or(&none),
        );
        if b == a {
            continue;
        }
        let (old, new) = (ceiling_of(b, &actions), ceiling_of(a, &actions));
        let added: Vec<String> = new.difference(&old).cloned().collect();
        let removed: Vec<String> = old.difference(&new).cloned().collect();
        if !added.is_empty() || !removed.is_empty() {
            out.push(CeilingChange {
                target: t.clone(),
                added,
                removed,
            });
        }
    }
    out
}

/// The groups `user` is a member of in `a`.
fn groups_of<'a>(a: &'a Account, user: &str) -> BTreeSet<&'a String> {
    a.groups
        .iter()
        .filter(|(_, g)| g.members.contains(user))
        .map(|(n, _)| n)
        .collect()
}

/// The caller's user when it is a user of the account other than the root user (who holds
/// every permission and cannot be changed here).
pub fn caller_of<'a>(cur: &Account, caller: Option<&'a str>) -> Option<&'a str> {
    caller.filter(|c| cur.users.get(*c).is_some_and(|u| !u.root))
}

/// How the plan reduces the access of `caller` (its user name): removing it from a group,
/// detaching a policy from it or one of its groups, deleting one of its groups, disabling it,
/// or any action its access diff removes.
pub fn self_reductions(
    cur: &Account,
    want: &Account,
    changes: &[Change],
    access: &[AccessChange],
    caller: &str,
) -> Vec<String> {
    let groups = groups_of(cur, caller);
    let mut out = Vec::new();
    for c in changes {
        match &c.step {
            Step::RemoveMember { group, user } if user == caller => {
                out.push(format!("removes your user `{caller}` from group `{group}`"));
            }
            Step::Detach {
                policy,
                kind: PrincipalKind::User,
                principal,
            } if principal == caller => {
                out.push(format!("detaches `{policy}` from your user `{caller}`"));
            }
            Step::Detach {
                policy,
                kind: PrincipalKind::Group,
                principal,
            } if groups.contains(principal) => {
                out.push(format!(
                    "detaches `{policy}` from group `{principal}`, which your user `{caller}` is a member of"
                ));
            }
            Step::DeleteGroup(g) if groups.contains(g) => {
                out.push(format!(
                    "deletes group `{g}`, which your user `{caller}` is a member of"
                ));
            }
            Step::UpdateUser(u)
                if u == caller
                    && cur.users.get(u).is_some_and(|x| x.enabled)
                    && want.users.get(u).is_some_and(|x| !x.enabled) =>
            {
                out.push(format!("disables your user `{caller}`"));
            }
            _ => {}
        }
    }
    for a in access {
        if a.kind == "user" && a.name == caller && !a.removed.is_empty() {
            let first: Vec<&str> = a
                .removed
                .iter()
                .take(3)
                .map(|g| g.action.as_str())
                .collect();
            out.push(format!(
                "removes {} action(s) from the access of your user `{caller}` ({}{})",
                a.removed.len(),
                first.join(", "),
                if a.removed.len() > first.len() {
                    ", ..."
                } else {
                    ""
                }
            ));
        }
    }
    out
}

/// `changes` with those that affect `caller` (its memberships, the attachments to it and to
/// its groups, its groups' deletion, its own user, the updates of the policies it holds, and
/// the deletions of those policies, which follow their detachments) moved to the end, in
/// their order: everything else is made while the caller still has its access.
pub fn caller_last(
    changes: Vec<Change>,
    cur: &Account,
    want: &Account,
    caller: &str,
) -> Vec<Change> {
    let groups: BTreeSet<&String> = groups_of(cur, caller)
        .into_iter()
        .chain(groups_of(want, caller))
        .collect();
    let mut policies: BTreeSet<&String> = BTreeSet::new();
    for a in [cur, want] {
        if let Some(u) = a.users.get(caller) {
            policies.extend(u.policies.iter());
        }
        for g in &groups {
            if let Some(x) = a.groups.get(*g) {
                policies.extend(x.policies.iter());
            }
        }
    }
    let affects = |s: &Step| match s {
        Step::AddMember { user, .. } | Step::RemoveMember { user, .. } => user == caller,
        Step::Attach {
            kind, principal, ..
        }
        | Step::Detach {
            kind, principal, ..
        } => match kind {
            PrincipalKind::User => principal == caller,
            PrincipalKind::Group => groups.contains(principal),
            PrincipalKind::Agency => false,
        },
        Step::UpdateUser(u) => u == caller,
        Step::DeleteGroup(g) => groups.contains(g),
        Step::UpdatePolicy { name, .. } | Step::DeletePolicy(name) => policies.contains(name),
        _ => false,
    };
    let (tail, mut head): (Vec<Change>, Vec<Change>) =
        changes.into_iter().partition(|c| affects(&c.step));
    head.extend(tail);
    head
}

/// The system policies attached anywhere in the accounts.
pub fn system_policies_used(accounts: &[&Account], remote: &Remote) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in accounts {
        let names = a
            .users
            .values()
            .flat_map(|u| u.policies.iter())
            .chain(a.groups.values().flat_map(|g| g.policies.iter()))
            .chain(a.agencies.values().flat_map(|x| x.policies.iter()));
        for n in names {
            if remote.system_policies.contains_key(n) {
                out.insert(n.clone());
            }
        }
    }
    out
}
