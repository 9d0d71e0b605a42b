//! The configuration directory: its files read into one [`Account`], the kinds it manages, and
//! where each object and each reference was written (for errors naming `file:line:column`).
//!
//! Everything here is checked without the server: the shape of every file (unknown fields are
//! errors), names (the store's character rules, duplicates and look-alikes across files), policy
//! documents (`iam_analyzer`: error findings and size), and the names of system policies (which
//! may be attached, never defined). References are checked against the server by the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use iam_analyzer::{PathElement, PolicyType};
use iam_store::names::{NameKind, check_name, name_key};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{Account, Agency, Group, Kind, Policy, Scp, User};
use super::yaml::{self, Parsed, Pos};

/// Largest policy document the server accepts (compact JSON), in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 6144;

/// Where something was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// The position in it.
    pub pos: Pos,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.file.display(),
            self.pos.line,
            self.pos.column
        )
    }
}

/// One problem of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub origin: Origin,
    /// What.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// What a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// A user (group member, authorization).
    User,
    /// An identity policy, custom or system (attachment).
    Policy,
    /// An agency (authorization).
    Agency,
    /// `root`, `ou:<path>` or `account:<name>` (SCP attachment).
    OrgTarget,
}

/// A name the configuration refers to, and where.
#[derive(Debug, Clone)]
pub struct Reference {
    /// What it names.
    pub kind: RefKind,
    /// The name.
    pub name: String,
    /// Where.
    pub origin: Origin,
}

/// The configuration of a directory.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The objects, by kind and name (only the managed kinds are filled).
    pub account: Account,
    /// The kinds some file has a top-level key for: authoritative (see docs/cli.md).
    pub managed: BTreeSet<Kind>,
    /// Where each object was defined.
    pub origins: BTreeMap<(Kind, String), Origin>,
    /// Every name the configuration refers to.
    pub references: Vec<Reference>,
    /// Groups whose `description` was written (a built-in group's is otherwise kept).
    pub described_groups: BTreeSet<String>,
    /// Validation warnings (not errors), for people.
    pub warnings: Vec<Problem>,
}

// ---- the file format ----------------------------------------------------------------------

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One configuration file: any of the kinds, each a list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// IAM users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<UserEntry>>,
    /// User groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupEntry>>,
    /// Custom identity policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<PolicyEntry>>,
    /// Agencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agencies: Option<Vec<AgencyEntry>>,
    /// Organizations service control policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scps: Option<Vec<ScpEntry>>,
    /// ModelArts authorizations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizations: Option<Vec<AuthorizationEntry>>,
}

/// A user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// The name (its identity).
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether it may sign in and use its keys.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Identity policies attached to it (custom or system, by name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// A group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    /// The name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Member users, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Identity policies attached to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// A custom identity policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyEntry {
    /// The name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `""` or `a/b/`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The document, inline (a mapping, or JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Value>,
    /// The document's JSON file, relative to this file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_file: Option<String>,
}

fn default_session() -> i64 {
    3600
}

fn is_default_session(s: &i64) -> bool {
    *s == 3600
}

/// An agency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyEntry {
    /// The name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `""` or `a/b/`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Longest session, in seconds (3600-43200).
    #[serde(
        default = "default_session",
        skip_serializing_if = "is_default_session"
    )]
    pub max_session_duration: i64,
    /// The trust policy, inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<Value>,
    /// The trust policy's JSON file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy_file: Option<String>,
    /// Identity policies attached to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// A service control policy; a built-in one (`FullAccess`) has no document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpEntry {
    /// The name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The document, inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Value>,
    /// The document's JSON file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_file: Option<String>,
    /// Where it is attached: `root`, `ou:<name>/<name>...`, `account:<name>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached_to: Vec<String>,
}

/// A ModelArts authorization: the agency ModelArts acts with for a user (or `all`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationEntry {
    /// A user's name, or `all`.
    pub user: String,
    /// The agency's name.
    pub agency: String,
}

// ---- reading -------------------------------------------------------------------------------

/// Whether a file of the directory is a configuration file.
fn is_config_file(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    !hidden && path.is_file() && matches!(ext, "yaml" | "yml" | "json")
}

/// The configuration files of `dir` (directly in it, sorted by name).
pub fn config_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context as _;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if is_config_file(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

struct Reader {
    config: Config,
    problems: Vec<Problem>,
    /// look-alike key -> (name, origin), per kind
    keys: BTreeMap<(Kind, String), (String, Origin)>,
    system_keys: BTreeMap<String, String>,
}

/// Reads and checks every configuration file of `dir`. `Err` holds every problem found.
pub fn read_dir(dir: &Path) -> anyhow::Result<Result<Config, Vec<Problem>>> {
    let files = config_files(dir)?;
    let catalog = iam_catalog::Catalog::builtin();
    let mut r = Reader {
        config: Config::default(),
        problems: Vec::new(),
        keys: BTreeMap::new(),
        system_keys: catalog
            .system_policies()
            .iter()
            .map(|p| (name_key(&p.name), p.name.clone()))
            .collect(),
    };
    for file in &files {
        r.file(file);
    }
    if r.problems.is_empty() {
        Ok(Ok(r.config))
    } else {
        Ok(Err(r.problems))
    }
}

/// Where a serde error points: the unknown field's key, else the deepest node of its path.
fn serde_error_pos(parsed: &Parsed, e: &serde_path_to_error::Error<serde_json::Error>) -> Pos {
    let mut path = String::new();
    for seg in e.path().iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => path = yaml::item(&path, *index),
            serde_path_to_error::Segment::Map { key } => path = yaml::member(&path, key),
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
        }
    }
    let message = e.inner().to_string();
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        let at = if path == field || path.ends_with(&format!(".{field}")) {
            path
        } else {
            yaml::member(&path, field)
        };
        return parsed.key_pos(&at);
    }
    parsed.pos(&path)
}

impl Reader {
    fn problem(&mut self, origin: Origin, message: impl Into<String>) {
        self.problems.push(Problem {
            origin,
            message: message.into(),
        });
    }

    fn file(&mut self, file: &Path) {
        let at = |pos: Pos| Origin {
            file: file.to_owned(),
            pos,
        };
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                self.problem(at(Pos::default()), format!("cannot read: {e}"));
                return;
            }
        };
        if file.extension().is_some_and(|e| e == "json")
            && let Err(e) = serde_json::from_str::<Value>(&text)
        {
            self.problem(
                at(Pos {
                    line: e.line(),
                    column: e.column(),
                }),
                format!("not valid JSON: {e}"),
            );
            return;
        }
        let parsed = match yaml::parse(&text) {
            Ok(p) => p,
            Err((pos, message)) => {
                self.problem(at(pos), message);
                return;
            }
        };
        if parsed.value.is_null() {
            return; // an empty file
        }
        let content: File = match serde_path_to_error::deserialize(parsed.value.clone()) {
            Ok(f) => f,
            Err(e) => {
                let pos = serde_error_pos(&parsed, &e);
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                self.problem(
                    at(pos),
                    if path == "." {
                        message
                    } else {
                        format!("{path}: {message}")
                    },
                );
                return;
            }
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        let ctx = FileCtx {
            file,
            dir,
            parsed: &parsed,
        };
        if let Some(users) = content.users {
            self.config.managed.insert(Kind::Users);
            for (i, u) in users.into_iter().enumerate() {
                self.user(&ctx, &yaml::item("users", i), u);
            }
        }
        if let Some(groups) = content.groups {
            self.config.managed.insert(Kind::Groups);
            for (i, g) in groups.into_iter().enumerate() {
                self.group(&ctx, &yaml::item("groups", i), g);
            }
        }
        if let Some(policies) = content.policies {
            self.config.managed.insert(Kind::Policies);
            for (i, p) in policies.into_iter().enumerate() {
                self.policy(&ctx, &yaml::item("policies", i), p);
            }
        }
        if let Some(agencies) = content.agencies {
            self.config.managed.insert(Kind::Agencies);
            for (i, a) in agencies.into_iter().enumerate() {
                self.agency(&ctx, &yaml::item("agencies", i), a);
            }
        }
        if let Some(scps) = content.scps {
            self.config.managed.insert(Kind::Scps);
            for (i, s) in scps.into_iter().enumerate() {
                self.scp(&ctx, &yaml::item("scps", i), s);
            }
        }
        if let Some(auths) = content.authorizations {
            self.config.managed.insert(Kind::Authorizations);
            for (i, a) in auths.into_iter().enumerate() {
                self.authorization(&ctx, &yaml::item("authorizations", i), a);
            }
        }
    }

    /// Registers a name of `kind` defined at `path`; false (with a problem) when it is invalid
    /// or taken.
    fn name(&mut self, ctx: &FileCtx<'_>, kind: Kind, path: &str, name: &str) -> bool {
        let origin = ctx.at(ctx.parsed.pos(&yaml::member(path, "name")));
        let rule = match kind {
            Kind::Users => Some(NameKind::User),
            Kind::Groups => Some(NameKind::Group),
            Kind::Policies => Some(NameKind::Policy),
            Kind::Agencies => Some(NameKind::Agency),
            Kind::Scps | Kind::Authorizations => None,
        };
        if let Some(rule) = rule
            && let Err(e) = check_name(rule, name)
        {
            self.problem(
                origin,
                format!("invalid {} name `{name}`: {e}", kind.singular()),
            );
            return false;
        }
        if kind == Kind::Scps
            && (name.is_empty()
                || name.chars().count() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_. -".contains(c)))
        {
            self.problem(
                origin,
                format!(
                    "invalid SCP name `{name}`: 1-64 letters, digits, `_`, `-`, `.` and spaces"
                ),
            );
            return false;
        }
        if kind == Kind::Policies
            && let Some(system) = self.system_keys.get(&name_key(name))
        {
            let message = format!(
                "`{name}` is the name of the system policy `{system}`: system policies are built in; attach them by name, do not define them"
            );
            self.problem(origin, message);
            return false;
        }
        let key = if kind == Kind::Scps {
            name.to_owned()
        } else {
            name_key(name)
        };
        if let Some((other, first)) = self.keys.get(&(kind, key.clone())) {
            let message = if other == name {
                format!(
                    "{} `{name}` is defined twice (first at {first})",
                    kind.singular()
                )
            } else {
                format!(
                    "{} `{name}` differs from `{other}` (at {first}) only in letter case or Unicode compatibility form",
                    kind.singular()
                )
            };
            self.problem(origin, message);
            return false;
        }
        self.keys
            .insert((kind, key), (name.to_owned(), origin.clone()));
        self.config.origins.insert((kind, name.to_owned()), origin);
        true
    }

    /// Records the references of the list member `field` of the object at `path`, as a set
    /// (a name listed twice is a problem).
    fn refs(
        &mut self,
        ctx: &FileCtx<'_>,
        path: &str,
        field: &str,
        kind: RefKind,
        names: Vec<String>,
    ) -> BTreeSet<String> {
        let mut set = BTreeSet::new();
        for (i, name) in names.into_iter().enumerate() {
            let origin = ctx.at(ctx.parsed.pos(&yaml::item(&yaml::member(path, field), i)));
            if set.contains(&name) {
                self.problem(origin, format!("`{name}` is listed twice in `{field}`"));
                continue;
            }
            self.config.references.push(Reference {
                kind,
                name: name.clone(),
                origin,
            });
            set.insert(name);
        }
        set
    }

    fn user(&mut self, ctx: &FileCtx<'_>, path: &str, u: UserEntry) {
        if !self.name(ctx, Kind::Users, path, &u.name) {
            return;
        }
        let policies = self.refs(ctx, path, "policies", RefKind::Policy, u.policies);
        self.config.account.users.insert(
            u.name,
            User {
                description: u.description,
                enabled: u.enabled,
                policies,
                root: false,
            },
        );
    }

    fn group(&mut self, ctx: &FileCtx<'_>, path: &str, g: GroupEntry) {
        if !self.name(ctx, Kind::Groups, path, &g.name) {
            return;
        }
        let members = self.refs(ctx, path, "members", RefKind::User, g.members);
        let policies = self.refs(ctx, path, "policies", RefKind::Policy, g.policies);
        if g.description.is_some() {
            self.config.described_groups.insert(g.name.clone());
        }
        self.config.account.groups.insert(
            g.name,
            Group {
                description: g.description.unwrap_or_default(),
                members,
                policies,
            },
        );
    }

    /// Reads an inline or file document and checks it; `None` after a problem.
    fn document(
        &mut self,
        ctx: &FileCtx<'_>,
        path: &str,
        (inline_field, file_field): (&str, &str),
        (inline, file): (Option<Value>, Option<String>),
        policy_type: PolicyType,
    ) -> Option<Value> {
        let (text, origin_of): (String, OriginOf) = match (inline, file) {
            (Some(_), Some(_)) => {
                self.problem(
                    ctx.at(ctx.parsed.key_pos(&yaml::member(path, file_field))),
                    format!("give `{inline_field}` or `{file_field}`, not both"),
                );
                return None;
            }
            (None, None) => {
                self.problem(
                    ctx.at(ctx.parsed.pos(path)),
                    format!("`{inline_field}` or `{file_field}` is required"),
                );
                return None;
            }
            (Some(v), None) => {
                let base = yaml::member(path, inline_field);
                let (text, is_text) = match v {
                    Value::String(s) => (s, true),
                    other => (other.to_string(), false),
                };
                let file = ctx.file.to_owned();
                let parsed = ctx.parsed.clone();
                (
                    text,
                    Box::new(move |p: &[PathElement], _span: Option<Pos>| {
                        let mut at = base.clone();
                        if !is_text {
                            for e in p {
                                if let Some(i) = e.index {
                                    at = yaml::item(&at, i as usize);
                                } else if let Some(k) = e.value.as_ref().or(e.key.as_ref()) {
                                    at = yaml::member(&at, k);
                                }
                            }
                        }
                        let key_step = p.last().is_some_and(|e| e.key.is_some());
                        Origin {
                            file: file.clone(),
                            pos: if key_step {
                                parsed.key_pos(&at)
                            } else {
                                parsed.pos(&at)
                            },
                        }
                    }),
                )
            }
            (None, Some(rel)) => {
                let doc_path = ctx.dir.join(&rel);
                match std::fs::read_to_string(&doc_path) {
                    Ok(text) => (
                        text,
                        Box::new(move |_p: &[PathElement], span: Option<Pos>| Origin {
                            file: doc_path.clone(),
                            pos: span.unwrap_or(Pos { line: 1, column: 1 }),
                        }),
                    ),
                    Err(e) => {
                        self.problem(
                            ctx.at(ctx.parsed.pos(&yaml::member(path, file_field))),
                            format!("cannot read {}: {e}", doc_path.display()),
                        );
                        return None;
                    }
                }
            }
        };
        let findings = iam_analyzer::validate(&text, policy_type);
        let mut failed = false;
        for f in &findings {
            let (origin, where_) = match f.locations.first() {
                Some(l) => (
                    origin_of(
                        &l.path,
                        Some(Pos {
                            line: l.span.start.line,
                            column: l.span.start.column + 1,
                        }),
                    ),
                    iam_analyzer::path_to_string(&l.path),
                ),
                None => (origin_of(&[], None), String::new()),
            };
            let message = format!(
                "{} {} {}{}: {}",
                policy_type.as_str(),
                if f.is_error() { "error" } else { "warning" },
                f.issue_code,
                if where_.is_empty() {
                    String::new()
                } else {
                    format!(" at {where_}")
                },
                f.finding_details
            );
            if f.is_error() {
                failed = true;
                self.problem(origin, message);
            } else {
                self.config.warnings.push(Problem { origin, message });
            }
        }
        if failed {
            return None;
        }
        let value: Value = match serde_json::from_str(iam_analyzer::source_text(&text).as_ref()) {
            Ok(v) => v,
            Err(e) => {
                self.problem(origin_of(&[], None), format!("not JSON: {e}"));
                return None;
            }
        };
        let size = value.to_string().len();
        if size > MAX_DOCUMENT_BYTES {
            self.problem(
                origin_of(&[], None),
                format!(
                    "the document is {size} bytes as compact JSON; the server takes at most {MAX_DOCUMENT_BYTES}"
                ),
            );
            return None;
        }
        Some(value)
    }

    fn policy(&mut self, ctx: &FileCtx<'_>, path: &str, p: PolicyEntry) {
        if !self.name(ctx, Kind::Policies, path, &p.name) {
            return;
        }
        let Some(document) = self.document(
            ctx,
            path,
            ("document", "document_file"),
            (p.document, p.document_file),
            PolicyType::Identity,
        ) else {
            return;
        };
        self.config.account.policies.insert(
            p.name,
            Policy {
                description: p.description,
                path: p.path,
                document,
            },
        );
    }

    fn agency(&mut self, ctx: &FileCtx<'_>, path: &str, a: AgencyEntry) {
        if !self.name(ctx, Kind::Agencies, path, &a.name) {
            return;
        }
        if !(3600..=43200).contains(&a.max_session_duration) {
            self.problem(
                ctx.at(ctx.parsed.pos(&yaml::member(path, "max_session_duration"))),
                "max_session_duration must be 3600-43200 seconds",
            );
        }
        let policies = self.refs(ctx, path, "policies", RefKind::Policy, a.policies);
        let Some(trust_policy) = self.document(
            ctx,
            path,
            ("trust_policy", "trust_policy_file"),
            (a.trust_policy, a.trust_policy_file),
            PolicyType::Trust,
        ) else {
            return;
        };
        self.config.account.agencies.insert(
            a.name,
            Agency {
                description: a.description,
                path: a.path,
                max_session_duration: a.max_session_duration,
                trust_policy,
                policies,
            },
        );
    }

    fn scp(&mut self, ctx: &FileCtx<'_>, path: &str, s: ScpEntry) {
        if !self.name(ctx, Kind::Scps, path, &s.name) {
            return;
        }
        let attached_to = self.refs(ctx, path, "attached_to", RefKind::OrgTarget, s.attached_to);
        for t in &attached_to {
            if t != "root" && !t.starts_with("ou:") && !t.starts_with("account:") {
                let origin = ctx.at(ctx.parsed.pos(&yaml::member(path, "attached_to")));
                self.problem(
                    origin,
                    format!("`{t}`: an SCP is attached to `root`, `ou:<name>[/<name>...]` or `account:<name>`"),
                );
            }
        }
        let document = if s.document.is_none() && s.document_file.is_none() {
            None // a built-in SCP: only its attachments (checked against the server)
        } else {
            match self.document(
                ctx,
                path,
                ("document", "document_file"),
                (s.document, s.document_file),
                PolicyType::Scp,
            ) {
                Some(d) => Some(d),
                None => return,
            }
        };
        self.config.account.scps.insert(
            s.name,
            Scp {
                description: s.description,
                document,
                attached_to,
            },
        );
    }

    fn authorization(&mut self, ctx: &FileCtx<'_>, path: &str, a: AuthorizationEntry) {
        let origin = ctx.at(ctx.parsed.pos(&yaml::member(path, "user")));
        if let Some(first) = self
            .config
            .origins
            .get(&(Kind::Authorizations, a.user.clone()))
        {
            let message = format!(
                "user `{}` has two authorizations (first at {first}); ModelArts uses one agency per user",
                a.user
            );
            self.problem(origin, message);
            return;
        }
        self.config
            .origins
            .insert((Kind::Authorizations, a.user.clone()), origin.clone());
        if a.user != "all" {
            self.config.references.push(Reference {
                kind: RefKind::User,
                name: a.user.clone(),
                origin,
            });
        }
        self.config.references.push(Reference {
            kind: RefKind::Agency,
            name: a.agency.clone(),
            origin: ctx.at(ctx.parsed.pos(&yaml::member(path, "agency"))),
        });
        self.config.account.authorizations.insert(a.user, a.agency);
    }
}

/// Where a finding of a document is: from its JSON path (inline documents) or its span (files).
type OriginOf = Box<dyn Fn(&[PathElement], Option<Pos>) -> Origin>;

struct FileCtx<'a> {
    file: &'a Path,
    dir: &'a Path,
    parsed: &'a Parsed,
}

impl FileCtx<'_> {
    fn at(&self, pos: Pos) -> Origin {
        Origin {
            file: self.file.to_owned(),
            pos,
        }
    }
}
