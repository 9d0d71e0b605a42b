//! The admin commands: the IAM v5, Organizations, STS and ModelArts-authorization resources of a
//! running server, one command family per resource (`user`, `access-key`, `group`, `policy`,
//! `agency`, `scp`, `ou`, `account`, `organization`, `authorization`, `caller-identity`), every
//! call signed with the credentials `crate::connection` resolves (docs/cli.md, "Admin commands").
//!
//! The machinery is shared and table-driven: a [`Kind`] says where a resource lives, how its
//! answers name it and which columns its table shows; [`Ctx::list`] follows the paging markers,
//! [`Ctx::resolve`] turns a name into an id (with "did you mean"), [`Ctx::print_list`] and
//! [`Ctx::print_entity`] render tables, or the server's JSON with `--json`.
//!
//! Exit codes: 0 success; 1 a usage error, a connection failure or an API error (the server's
//! `error_code` and `error_msg`, with a hint; a 403 is an API error too, not a deny decision);
//! 3 an invalid policy document, found by `iam_analyzer` before anything is sent (findings with
//! line and column) or refused by the server (`IAM.0008`, its findings).

pub mod agencies;
pub mod groups;
pub mod modelarts;
pub mod org;
pub mod policies;
pub mod users;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use iam_analyzer::{Finding, PolicyType};
use serde_json::{Map, Value, json};

use crate::connection::{CallError, ConnArgs, Connection, PrivateFile};

/// Exit status of an invalid policy document (as `validate`).
const EXIT_INVALID: u8 = 3;

/// Largest page the server's list APIs give (`limit`).
const PAGE_MAX: usize = 200;

/// The admin command families.
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// IAM users of the account (a running server; docs/cli.md, "Admin commands").
    User(Family<users::UserCommand>),
    /// Permanent access keys of a user.
    AccessKey(Family<users::AccessKeyCommand>),
    /// IAM user groups and their members.
    Group(Family<groups::GroupCommand>),
    /// Identity policies, their versions and attachments.
    Policy(Family<policies::PolicyCommand>),
    /// Agencies, their trust policies and attached policies; assume one (STS).
    Agency(Family<agencies::AgencyCommand>),
    /// Service control policies of the organization.
    Scp(Family<org::ScpCommand>),
    /// Organizational units of the organization.
    Ou(Family<org::OuCommand>),
    /// Member accounts of the organization.
    Account(Family<org::AccountCommand>),
    /// The caller's organization.
    Organization(Family<org::OrganizationCommand>),
    /// ModelArts authorizations: the agency ModelArts uses for a user (project of the connection).
    Authorization(Family<modelarts::AuthorizationCommand>),
    /// Who the credentials are: account, principal URN and id (`GET /v5/caller-identity`).
    CallerIdentity(Common),
}

/// The flags of every admin command: the connection and the output form. They are global: they
/// may be given before or after the subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Endpoint and credentials.
    #[command(flatten)]
    pub connection: ConnArgs,
    /// Print the server's JSON answer instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// One command family: the common flags and its subcommand.
#[derive(Debug, clap::Args)]
pub struct Family<C: clap::Subcommand> {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: C,
}

/// `--limit` and `--page-size` of the list commands.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Page {
    /// Print at most N items [default: all: every page is fetched, following `next_marker`].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,
    /// Items asked for per request (the API's `limit`, 1-200) [default: 200].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=200))]
    pub page_size: Option<u32>,
}

/// Runs an admin command; see the module documentation for the exit codes.
pub fn run(command: AdminCommand) -> anyhow::Result<ExitCode> {
    let common = match &command {
        AdminCommand::User(f) => &f.common,
        AdminCommand::AccessKey(f) => &f.common,
        AdminCommand::Group(f) => &f.common,
        AdminCommand::Policy(f) => &f.common,
        AdminCommand::Agency(f) => &f.common,
        AdminCommand::Scp(f) => &f.common,
        AdminCommand::Ou(f) => &f.common,
        AdminCommand::Account(f) => &f.common,
        AdminCommand::Organization(f) => &f.common,
        AdminCommand::Authorization(f) => &f.common,
        AdminCommand::CallerIdentity(c) => c,
    };
    let cx = Ctx::new(common)?;
    let result = match command {
        AdminCommand::User(f) => users::user(&cx, f.command),
        AdminCommand::AccessKey(f) => users::access_key(&cx, f.command),
        AdminCommand::Group(f) => groups::run(&cx, f.command),
        AdminCommand::Policy(f) => policies::run(&cx, f.command),
        AdminCommand::Agency(f) => agencies::run(&cx, f.command),
        AdminCommand::Scp(f) => org::scp(&cx, f.command),
        AdminCommand::Ou(f) => org::ou(&cx, f.command),
        AdminCommand::Account(f) => org::account(&cx, f.command),
        AdminCommand::Organization(f) => org::organization(&cx, f.command),
        AdminCommand::Authorization(f) => modelarts::run(&cx, f.command),
        AdminCommand::CallerIdentity(_) => {
            let who = cx.get("/v5/caller-identity")?;
            cx.print_entity(&who, None)
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => invalid_input(cx.json, e),
    }
}

/// An invalid document is exit code 3 with its findings; any other error is returned (exit 1).
fn invalid_input(json_out: bool, e: anyhow::Error) -> anyhow::Result<ExitCode> {
    if let Some(invalid) = e.downcast_ref::<InvalidDocument>() {
        eprint!("{}", invalid.rendered);
        if json_out {
            super::print_json(&json!({ "findings": invalid.findings }))?;
        }
        eprintln!("error: {e:#}");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    if let Some(CallError::Api { code, body, .. }) = e.downcast_ref::<CallError>()
        && code == "IAM.0008"
    {
        for f in body
            .get("findings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let paths: Vec<String> = f
                .get("locations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|l| cell(&l["path"]))
                .collect();
            eprintln!(
                "{} {}: {} {}",
                text(f, "finding_type"),
                text(f, "issue_code"),
                text(f, "finding_details"),
                paths.join(" ")
            );
        }
        if json_out {
            super::print_json(body)?;
        }
        eprintln!("error: {e:#}");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    Err(e)
}

/// Where a resource lives and how its answers name it.
#[derive(Debug)]
pub(crate) struct Kind {
    /// The command and the word of messages (`user`).
    pub noun: &'static str,
    /// The collection's path (`/v5/users`); an entity is `<path>/<id>`.
    pub path: &'static str,
    /// The member of the list answer holding the items (`users`).
    pub items: &'static str,
    /// The member of the other answers holding the entity (`user`).
    pub one: &'static str,
    /// The id field of an item (`user_id`).
    pub id: &'static str,
    /// The name field of an item (`user_name`).
    pub name: &'static str,
    /// The list table: header and field of each column.
    pub columns: &'static [(&'static str, &'static str)],
    /// Whether an argument is an id of this kind (used as is, without listing).
    pub is_id: fn(&str) -> bool,
}

/// 32 lower-case hex digits: the ids of users, groups, agencies, custom policies, accounts.
pub(crate) fn hex_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Kind {
    /// The path of one entity.
    pub fn at(&self, id: &str) -> String {
        format!("{}/{id}", self.path)
    }
}

/// A list gathered from one or more pages.
#[derive(Debug)]
pub(crate) struct Listed {
    /// The items of every page fetched, in order.
    pub items: Vec<Value>,
    /// The marker of the next page when `--limit` stopped before the last page.
    pub next_marker: Option<String>,
}

/// The connection, the runtime of its calls and the output form of one admin command.
#[derive(Debug)]
pub(crate) struct Ctx {
    conn: Connection,
    runtime: tokio::runtime::Runtime,
    /// `--json`.
    pub json: bool,
}

impl Ctx {
    fn new(common: &Common) -> anyhow::Result<Self> {
        let conn = common.connection.resolve()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        Ok(Ctx {
            conn,
            runtime,
            json: common.json,
        })
    }

    /// The resolved connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// One signed call; the body of a 2xx answer, else an error naming the server's
    /// `error_code` (a [`CallError`] inside) and, for a refused caller, the credentials used.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        self.runtime
            .block_on(self.conn.request(method, path, query, body))
            .map_err(|e| {
                let context = match &e {
                    CallError::Api {
                        status: 401 | 403, ..
                    } => format!("credentials from {}", self.conn.source),
                    CallError::Api { .. } => return anyhow::Error::new(e),
                    CallError::Client(_) => format!("calling {}", self.conn.endpoint),
                };
                anyhow::Error::new(e).context(context)
            })
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call("GET", path, &[], None)
    }

    /// `method path` with a JSON body.
    pub fn send(&self, method: &str, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(method, path, &[], Some(body))
    }

    /// Every item of a marker-paged list (`limit`, `marker`, `page_info.next_marker`), or the
    /// first `limit` of them.
    pub fn list(
        &self,
        path: &str,
        query: &[(&str, &str)],
        key: &str,
        page: Page,
    ) -> anyhow::Result<Listed> {
        let limit = page.limit.map(|l| l as usize);
        let size = page.page_size.map_or(PAGE_MAX, |s| s as usize);
        let mut items: Vec<Value> = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let want = limit
                .map_or(size, |l| l.saturating_sub(items.len()))
                .clamp(1, size)
                .to_string();
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("limit", &want));
            if let Some(m) = &marker {
                q.push(("marker", m));
            }
            let page = self.call("GET", path, &q, None)?;
            let got = page
                .get(key)
                .and_then(Value::as_array)
                .with_context(|| format!("GET {path}: the answer has no `{key}` list"))?;
            items.extend(got.iter().cloned());
            let next = page
                .pointer("/page_info/next_marker")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match next {
                None => {
                    return Ok(Listed {
                        items,
                        next_marker: None,
                    });
                }
                Some(next) if limit.is_some_and(|l| items.len() >= l) => {
                    items.truncate(limit.unwrap_or(items.len()));
                    return Ok(Listed {
                        items,
                        next_marker: Some(next),
                    });
                }
                Some(next) if marker.as_deref() == Some(next.as_str()) || got.is_empty() => {
                    bail!("GET {path}: the server repeated the paging marker `{next}`");
                }
                Some(next) => marker = Some(next),
            }
        }
    }

    /// The id of the entity of `kind` that `ident` names: `ident` itself when it is an id of the
    /// kind, else the one item of the full list whose name (or id) is `ident`.
    pub fn resolve(&self, kind: &Kind, ident: &str) -> anyhow::Result<String> {
        if (kind.is_id)(ident) {
            return Ok(ident.to_owned());
        }
        let item = self.find(kind, ident)?;
        Ok(text(&item, kind.id).to_owned())
    }

    /// The list item of the entity of `kind` named (or with the id) `ident`.
    pub fn find(&self, kind: &Kind, ident: &str) -> anyhow::Result<Value> {
        let all = self.list(kind.path, &[], kind.items, Page::default())?;
        pick(kind.noun, ident, &all.items, kind.id, kind.name)
    }

    /// Prints a list: its table, or with `--json` the answer's shape (`{<key>: [...],
    /// "page_info": {...}}`) holding every item fetched.
    pub fn print_list(
        &self,
        key: &str,
        listed: &Listed,
        columns: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        if self.json {
            let mut page_info = json!({ "current_count": listed.items.len() });
            if let Some(m) = &listed.next_marker {
                page_info["next_marker"] = json!(m);
            }
            return super::print_json(&json!({ key: listed.items, "page_info": page_info }));
        }
        print_rows(columns, &listed.items);
        if listed.next_marker.is_some() {
            eprintln!(
                "({} shown: more follow; raise --limit or leave it out to see them all)",
                listed.items.len()
            );
        }
        Ok(())
    }

    /// Prints an answer: with `--json` as it is, else the fields of its member `member` (or of
    /// the whole answer) as a two-column table.
    pub fn print_entity(&self, answer: &Value, member: Option<&str>) -> anyhow::Result<()> {
        if self.json {
            return super::print_json(answer);
        }
        let entity = member.map_or(answer, |m| answer.get(m).unwrap_or(answer));
        outln!("{}", fields_table(entity))?;
        Ok(())
    }

    /// Reports a change that answers nothing (204): a line for people, nothing with `--json`.
    pub fn done(&self, what: std::fmt::Arguments<'_>) {
        if !self.json {
            let _ = outln!("{what}");
        }
    }

    /// The kind's list, printed (the `list` subcommands).
    pub fn list_kind(&self, kind: &Kind, query: &[(&str, &str)], page: Page) -> anyhow::Result<()> {
        let listed = self.list(kind.path, query, kind.items, page)?;
        self.print_list(kind.items, &listed, kind.columns)
    }

    /// One entity, printed (the `show` subcommands).
    pub fn show_kind(&self, kind: &Kind, ident: &str) -> anyhow::Result<()> {
        let id = self.resolve(kind, ident)?;
        let answer = self.get(&kind.at(&id))?;
        self.print_entity(&answer, Some(kind.one))
    }

    /// Sends a write of one entity and prints the entity it answers.
    pub fn write_kind(
        &self,
        kind: &Kind,
        method: &str,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<()> {
        let answer = self.send(method, path, body)?;
        self.print_entity(&answer, Some(kind.one))
    }

    /// Deletes one entity (the `delete` subcommands).
    pub fn delete_kind(&self, kind: &Kind, ident: &str) -> anyhow::Result<()> {
        let id = self.resolve(kind, ident)?;
        self.call("DELETE", &kind.at(&id), &[], None)?;
        self.done(format_args!("deleted {} `{ident}` ({id})", kind.noun));
        Ok(())
    }

    /// The policies attached to a user, group or agency (`GET <entity>/attached-policies`).
    pub fn attached_policies(&self, kind: &Kind, ident: &str, page: Page) -> anyhow::Result<()> {
        let id = self.resolve(kind, ident)?;
        let listed = self.list(
            &format!("{}/attached-policies", kind.at(&id)),
            &[],
            "attached_policies",
            page,
        )?;
        self.print_list(
            "attached_policies",
            &listed,
            &[
                ("policy", "policy_name"),
                ("id", "policy_id"),
                ("urn", "urn"),
                ("attached", "attached_at"),
            ],
        )
    }

    /// The caller's user id (`GET /v5/caller-identity`), for the commands whose user defaults to
    /// the caller.
    pub fn caller_user_id(&self) -> anyhow::Result<String> {
        let who = self.get("/v5/caller-identity")?;
        let urn = text(&who, "principal_urn");
        if !urn.starts_with("iam::") || !urn.contains(":user:") {
            bail!("the caller `{urn}` is not an IAM user: name the user with --user");
        }
        Ok(text(&who, "principal_id").to_owned())
    }
}

/// The one item of `items` whose `id` or `name` field is `ident`, or an error naming the
/// closest name ("did you mean").
pub(crate) fn pick(
    noun: &str,
    ident: &str,
    items: &[Value],
    id: &str,
    name: &str,
) -> anyhow::Result<Value> {
    let found: Vec<&Value> = items
        .iter()
        .filter(|v| text(v, id) == ident || text(v, name) == ident)
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let names: Vec<&str> = items.iter().map(|v| text(v, name)).collect();
            match did_you_mean(ident, &names) {
                Some(near) => bail!("no {noun} named `{ident}`; did you mean `{near}`?"),
                None => bail!(
                    "no {noun} named `{ident}`, and no {noun} has that id ({} in all{})",
                    items.len(),
                    if noun.contains(' ') {
                        String::new()
                    } else {
                        format!("; `modelarts-iam {noun} list` shows them")
                    }
                ),
            }
        }
        many => {
            let ids: Vec<&str> = many.iter().map(|v| text(v, id)).collect();
            bail!(
                "{} {noun}s are named `{ident}` (ids {}): give the id",
                many.len(),
                ids.join(", ")
            )
        }
    }
}

/// The candidate closest to `wanted` (edit distance, ignoring case), when it is close enough
/// to be a typo: at most 2 edits, or a third of the length.
pub(crate) fn did_you_mean<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let wanted: Vec<char> = wanted.to_lowercase().chars().collect();
    let bound = 2.max(wanted.len() / 3);
    candidates
        .iter()
        .map(|c| {
            (
                edit_distance(&wanted, &c.to_lowercase().chars().collect::<Vec<_>>()),
                *c,
            )
        })
        .filter(|(d, _)| *d <= bound)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A field of an item as text (`""` when absent or not a string); `field` may be a JSON pointer.
pub(crate) fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    field_of(v, field).and_then(Value::as_str).unwrap_or("")
}

fn field_of<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    if field.starts_with('/') {
        v.pointer(field)
    } else {
        v.get(field)
    }
}

/// A value as table text: strings as they are, `null` empty, the rest as JSON.
pub(crate) fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints `items` as a table of `columns` (header, field), or a line saying there are none.
pub(crate) fn print_rows(columns: &[(&str, &str)], items: &[Value]) {
    if items.is_empty() {
        let _ = outln!("(none)");
        return;
    }
    let headers: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let mut t = super::table(&headers);
    for item in items {
        t.add_row(
            columns
                .iter()
                .map(|(_, f)| field_of(item, f).map(cell).unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    }
    let _ = outln!("{t}");
}

/// An entity as a two-column table, one row per field; nested objects give `outer.inner` rows,
/// and a string holding a JSON document (a policy) is shown indented.
pub(crate) fn fields_table(entity: &Value) -> comfy_table::Table {
    fn rows(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    rows(&key, v, out);
                }
            }
            Value::String(s) if s.trim_start().starts_with('{') => {
                let shown = serde_json::from_str::<Value>(s)
                    .ok()
                    .and_then(|d| serde_json::to_string_pretty(&d).ok())
                    .unwrap_or_else(|| s.clone());
                out.push((prefix.to_owned(), shown));
            }
            other => out.push((prefix.to_owned(), cell(other))),
        }
    }
    let mut out = Vec::new();
    rows("", entity, &mut out);
    let mut t = super::table(&["field", "value"]);
    for (k, v) in out {
        t.add_row(vec![k, v]);
    }
    t
}

/// A JSON object of the given members, leaving out those that are `None`.
pub(crate) fn object(members: &[(&str, Option<Value>)]) -> Value {
    let map: Map<String, Value> = members
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
        .collect();
    Value::Object(map)
}

/// An update body, or an error when no flag asked for a change.
pub(crate) fn changes(members: &[(&str, Option<Value>)], flags: &str) -> anyhow::Result<Value> {
    let body = object(members);
    if body.as_object().is_some_and(Map::is_empty) {
        bail!("nothing to change: give {flags}");
    }
    Ok(body)
}

/// A policy document that failed local validation: nothing was sent.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}: the {kind} document is not valid ({errors} error(s)): nothing was sent to the server"
)]
pub(crate) struct InvalidDocument {
    file: String,
    kind: &'static str,
    errors: usize,
    rendered: String,
    findings: Vec<Finding>,
}

/// Reads a policy document (a file, or `-` for standard input) and validates it locally as
/// `kind` (`iam_analyzer`, as `modelarts-iam validate`): errors stop the command before anything
/// is sent (exit code 3, each finding with its line and column); other findings are printed to
/// standard error and the document is used. Returns the text to send (for a file holding the
/// document as a JSON string, the inner text).
pub(crate) fn document(file: &Path, kind: PolicyType) -> anyhow::Result<String> {
    let raw = super::common::read(file)?;
    let findings = iam_analyzer::validate(&raw, kind);
    let source = iam_analyzer::source_text(&raw).into_owned();
    let name = match kind {
        PolicyType::Identity => "identity policy",
        PolicyType::Trust => "trust policy",
        PolicyType::Scp => "service control policy",
        PolicyType::Session => "session policy",
    };
    if iam_analyzer::has_errors(&findings) {
        return Err(InvalidDocument {
            file: file.display().to_string(),
            kind: name,
            errors: findings.iter().filter(|f| f.is_error()).count(),
            rendered: iam_analyzer::explain(&source, &findings),
            findings,
        }
        .into());
    }
    if !findings.is_empty() {
        eprint!("{}", iam_analyzer::explain(&source, &findings));
    }
    Ok(source)
}

/// Prints an answer holding a secret (a new access key, temporary credentials). With `out`
/// (reserved by [`reserve_out`] before the secret was made), the credentials (`file`) are
/// written there, mode 0600, and the answer is printed without its secrets; without, the answer
/// is printed whole to standard output, once, with a warning on standard error.
///
/// Should the file still fail to be written, the secret is not lost: the whole answer is
/// printed to standard output with a warning on standard error, and the command fails (exit 1).
pub(crate) fn print_secret(
    cx: &Ctx,
    answer: &Value,
    member: Option<&str>,
    out: Option<PrivateFile>,
    file: &Value,
) -> anyhow::Result<()> {
    let Some(out) = out else {
        cx.print_entity(answer, member)?;
        eprintln!(
            "warning: the secret is shown only now and cannot be read again: keep it safe (or pass --out FILE to write it to a file only you can read)"
        );
        return Ok(());
    };
    let path = out.path().to_owned();
    let written = serde_json::to_string_pretty(file)
        .context("serializing the credentials")
        .and_then(|mut text| {
            text.push('\n');
            out.finish(text.as_bytes(), false)
        });
    if let Err(e) = written {
        cx.print_entity(answer, member)?;
        eprintln!(
            "warning: the credentials could not be written to {} ({e:#}): they are printed above instead, shown only now: keep them safe",
            path.display()
        );
        bail!(
            "writing {}: the secret was created and printed to standard output",
            path.display()
        );
    }
    cx.print_entity(&without_secrets(answer), member)?;
    eprintln!(
        "wrote the credentials to {} (mode 0600); use it with --key-file or `modelarts-iam configure --from-key-file`",
        path.display()
    );
    Ok(())
}

/// Reserves the `--out` file before the secret is made: refuses a file that exists
/// (credentials are never written over a file) and creates the temporary file beside it (mode
/// 0600), so that a destination that cannot be written stops the command before anything is
/// created on the server.
pub(crate) fn reserve_out(out: Option<&PathBuf>) -> anyhow::Result<Option<PrivateFile>> {
    let Some(out) = out else {
        return Ok(None);
    };
    if std::fs::symlink_metadata(out).is_ok() {
        bail!(
            "{} exists: credentials are never written over a file; choose another --out or remove it",
            out.display()
        );
    }
    PrivateFile::reserve(out)
        .map(Some)
        .context("nothing was created on the server: choose another --out")
}

/// `value` without its `secret_access_key` and `security_token` members, at any depth.
fn without_secrets(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "secret_access_key" | "security_token"))
                .map(|(k, v)| (k.clone(), without_secrets(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn did_you_mean_finds_typos_only() {
        let names = ["alice", "bob", "auditor"];
        assert_eq!(did_you_mean("alic", &names), Some("alice"));
        assert_eq!(did_you_mean("ALICE", &names), Some("alice"));
        assert_eq!(did_you_mean("bbo", &names), Some("bob"));
        assert_eq!(did_you_mean("zzzzzz", &names), None);
    }

    #[test]
    fn pick_matches_names_and_ids_and_says_what_is_wrong() {
        let items = vec![
            json!({"user_id": "1", "user_name": "alice"}),
            json!({"user_id": "2", "user_name": "bob"}),
            json!({"user_id": "3", "user_name": "bob"}),
        ];
        let pick = |i: &str| pick("user", i, &items, "user_id", "user_name");
        assert_eq!(pick("alice").unwrap()["user_id"], "1");
        assert_eq!(pick("2").unwrap()["user_name"], "bob");
        let e = pick("alic").unwrap_err().to_string();
        assert_eq!(e, "no user named `alic`; did you mean `alice`?");
        let e = pick("bob").unwrap_err().to_string();
        assert!(e.contains("2 users are named `bob` (ids 2, 3)"), "{e}");
        let e = pick("nobody-at-all").unwrap_err().to_string();
        assert!(
            e.contains("(3 in all; `modelarts-iam user list` shows them)"),
            "{e}"
        );
    }

    #[test]
    fn a_document_the_server_refuses_is_exit_code_3_and_other_api_errors_are_errors() {
        let api = |status: u16, code: &str| CallError::Api {
            method: "POST".into(),
            path: "/v5/policies".into(),
            status,
            code: code.into(),
            message: "m".into(),
            body: json!({"error_code": code, "error_msg": "m", "findings": [
                {"finding_type": "error", "issue_code": "MISSING_ACTION", "finding_details": "d",
                 "locations": [{"path": [{"value": "Statement"}]}]}]}),
        };
        let code = invalid_input(false, anyhow::Error::new(api(400, "IAM.0008"))).unwrap();
        assert_eq!(code, ExitCode::from(EXIT_INVALID));
        let refused = invalid_input(false, anyhow::Error::new(api(403, "IAM.0003"))).unwrap_err();
        let text = format!("{refused:#}");
        assert!(text.contains("HTTP 403 IAM.0003: m"), "{text}");
        assert!(
            text.contains("hint: the caller is not allowed this call"),
            "{text}"
        );
    }

    #[test]
    fn secrets_are_removed_at_any_depth() {
        let v = json!({"credentials": {"access_key_id": "A", "secret_access_key": "S", "security_token": "T"}});
        assert_eq!(
            without_secrets(&v),
            json!({"credentials": {"access_key_id": "A"}})
        );
    }
}
