//! `modelarts-iam log`: the decision log of enforced requests (gateway, STS), newest first.
//!
//! Reads the data directory directly (`--data-dir`, the default; works while the server runs:
//! SQLite WAL readers do not block it) or asks a running server (`GET /v1/decisions`, which shows
//! the caller's account only and needs `cts:trace:list`). The server is asked when `--endpoint`,
//! `--profile` or `--key-file` is given; its endpoint and credentials are then resolved as for
//! every server-calling command (`crate::connection`: profiles, `HUAWEICLOUD_SDK_*`,
//! `MODELARTS_IAM_ENDPOINT`). `--account` is refused in server mode (the server filters by the
//! caller's account and takes no account parameter); a server query that matches nothing with
//! an `--action` the catalog does not know is an error with the closest action.
//!
//! Every filter is checked: `--decision` takes the values below, and in data-directory mode a
//! query that matches nothing checks that the principal, account, agency and action it names
//! exist (in the store or the log), so a typo is an error with the closest name, not an empty
//! answer.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::Problem;
use super::common::parse_window;
use super::style;

/// The `--decision` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecisionArg {
    /// Allowed.
    Allow,
    /// Every deny: explicit, implicit, and the refusals of AssumeAgency.
    Deny,
    /// Denied by a Deny statement.
    #[value(name = "explicit_deny", alias = "explicit-deny")]
    ExplicitDeny,
    /// Denied because no statement allows it.
    #[value(name = "implicit_deny", alias = "implicit-deny")]
    ImplicitDeny,
    /// The signature did not verify.
    Unauthenticated,
    /// The request target has no one reading (refused before any decision).
    Rejected,
}

impl DecisionArg {
    /// The value the store and the server's `decision` query parameter take.
    fn as_str(self) -> &'static str {
        match self {
            DecisionArg::Allow => "allow",
            DecisionArg::Deny => "deny",
            DecisionArg::ExplicitDeny => "explicit_deny",
            DecisionArg::ImplicitDeny => "implicit_deny",
            DecisionArg::Unauthenticated => "unauthenticated",
            DecisionArg::Rejected => "rejected",
        }
    }
}

/// Arguments of `log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Data directory to read [default: ./modelarts-iam-data] (ignored with --endpoint).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Ask a running server instead of reading the data directory: given any of `--endpoint`,
    /// `--profile` and `--key-file`, the connection is resolved as for the admin commands.
    #[command(flatten)]
    pub connection: crate::connection::ConnArgs,
    /// Only this principal URN.
    #[arg(long, value_name = "URN")]
    pub principal: Option<String>,
    /// Only this action.
    #[arg(long)]
    pub action: Option<String>,
    /// Only this decision (`deny`: every deny).
    #[arg(long, value_enum)]
    pub decision: Option<DecisionArg>,
    /// Only this agency (its sessions and AssumeAgency calls).
    #[arg(long, value_name = "ID")]
    pub agency_id: Option<String>,
    /// Only principals of this account (data-directory mode; the server always filters by the
    /// caller's account).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// At or after this time: RFC 3339 (`2026-12-02T08:00:00Z`), a date (`2026-12-02`, from
    /// its start, UTC) or a duration before now (`30m`, `1h`, `2d`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Before this time (same forms as `--since`).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Most entries to show (1-200).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: u32,
    /// Print JSON (an array of entries) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `log`: exit 0 with the entries printed, 1 on errors.
pub fn run(args: LogArgs) -> anyhow::Result<ExitCode> {
    let (since, until) = parse_window(args.since.as_deref(), args.until.as_deref())?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let server_mode = args.connection.endpoint.is_some()
        || args.connection.profile.is_some()
        || args.connection.key_file.is_some();
    let entries = if server_mode {
        if args.account.is_some() {
            return Err(Problem::usage(
                "--account is for the data directory: a server shows the caller's account only",
            )
            .hint("leave --account out, or read the data directory with --data-dir DIR")
            .into());
        }
        let conn = args.connection.resolve()?;
        let rfc3339 = |t: Option<time::OffsetDateTime>| {
            t.map(|t| t.format(&time::format_description::well_known::Rfc3339))
                .transpose()
        };
        let window = (rfc3339(since)?, rfc3339(until)?);
        runtime.block_on(from_server(&conn, &args, window))?
    } else {
        let dir = args
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("modelarts-iam-data"));
        let filter = iam_store::DecisionFilter {
            principal_urn: args.principal.clone(),
            action: args.action.clone(),
            decision: args.decision.map(|d| d.as_str().to_owned()),
            since,
            until,
            account_id: args.account.clone(),
            agency_id: args.agency_id.clone(),
        };
        runtime.block_on(from_data_dir(&dir, &filter, args.limit))?
    };
    if args.json {
        super::print_json(&Value::Array(entries))?;
    } else {
        print_table(&entries)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn from_data_dir(
    dir: &Path,
    filter: &iam_store::DecisionFilter,
    limit: u32,
) -> anyhow::Result<Vec<Value>> {
    if !dir.join(iam_store::DB_FILE).exists() {
        return Err(Problem::usage(format!(
            "{} has no decision log (no modelarts-iam database)",
            dir.display()
        ))
        .hint("give the data directory of a server (--data-dir DIR), or ask a running one (--endpoint URL --key-file FILE)")
        .into());
    }
    // The log needs no secret: `open_store` never writes a master key into the directory.
    let store = super::common::open_store(dir).await?;
    let page = iam_store::PageRequest {
        marker: None,
        limit: Some(limit),
    };
    let found = store.list_decisions(filter, &page).await?;
    if found.items.is_empty() {
        let unknown = unknown_filter(&store, dir, filter).await;
        store.close().await;
        if let Some(problem) = unknown {
            return Err(problem.into());
        }
        return Ok(Vec::new());
    }
    store.close().await;
    Ok(found.items.iter().map(iam_server_entry).collect())
}

/// When a query matched nothing: the first filter naming something that exists neither in the
/// store nor in the log (a typo), as an error with the closest name.
async fn unknown_filter(
    store: &iam_store::Store,
    dir: &Path,
    filter: &iam_store::DecisionFilter,
) -> Option<Problem> {
    let in_log = |f: iam_store::DecisionFilter| async move {
        let page = iam_store::PageRequest {
            marker: None,
            limit: Some(1),
        };
        store
            .list_decisions(&f, &page)
            .await
            .map_or(true, |p| !p.items.is_empty())
    };
    let state = store.load_state().await.ok()?;
    let none = iam_store::DecisionFilter::default;
    if let Some(a) = &filter.account_id
        && !state.accounts.iter().any(|x| &x.id == a)
    {
        let ids: Vec<&str> = state.accounts.iter().map(|x| x.id.as_str()).collect();
        return Some(
            Problem::usage(format!("no account `{a}` in {}", dir.display())).suggest(
                iam_catalog::closest(a, ids.iter().copied()),
                format!("the accounts are {}", ids.join(", ")),
            ),
        );
    }
    if let Some(p) = &filter.principal_urn
        && !state.users.iter().any(|u| &u.urn == p)
        && !in_log(iam_store::DecisionFilter {
            principal_urn: Some(p.clone()),
            ..none()
        })
        .await
    {
        return Some(
            Problem::usage(format!(
                "no principal {p} in {} (no user, no entry in the log)",
                dir.display()
            ))
            .suggest(
                iam_catalog::closest(p, state.users.iter().map(|u| u.urn.as_str())),
                "principals are URNs like iam::<account-id>:user:<name>; `modelarts-iam log` without --principal shows who made requests",
            ),
        );
    }
    if let Some(a) = &filter.agency_id
        && !state.agencies.iter().any(|x| &x.id == a)
        && !in_log(iam_store::DecisionFilter {
            agency_id: Some(a.clone()),
            ..none()
        })
        .await
    {
        return Some(
            Problem::usage(format!("no agency `{a}` in {}", dir.display())).suggest(
                iam_catalog::closest(a, state.agencies.iter().map(|x| x.id.as_str())),
                "--agency-id takes an agency's id (the `id` of GET /v5/agencies)",
            ),
        );
    }
    if let Some(a) = &filter.action {
        let catalog = iam_catalog::Catalog::builtin();
        if catalog.action(a).is_none()
            && !in_log(iam_store::DecisionFilter {
                action: Some(a.clone()),
                ..none()
            })
            .await
        {
            return Some(
                Problem::usage(format!(
                    "unknown action `{a}` (not in the catalog or the log)"
                ))
                .suggest(
                    catalog.suggest_action(a),
                    "list the actions with `modelarts-iam catalog actions`",
                ),
            );
        }
    }
    None
}

/// The API's JSON shape of one entry.
fn iam_server_entry(e: &iam_store::DecisionLogEntry) -> Value {
    let extra: Value = e
        .extra
        .as_deref()
        .and_then(|x| serde_json::from_str(x).ok())
        .unwrap_or(Value::Null);
    json!({
        "id": e.id,
        "at": e.at,
        "principal_urn": e.principal_urn,
        "access_key_id": e.access_key_id,
        "action": e.action,
        "resource": e.resource,
        "decision": e.decision,
        "determining_policy": e.determining_policy,
        "determining_statement": e.determining_statement,
        "layer": e.layer,
        "session": e.session,
        "agency_id": e.agency_id,
        "request_id": e.request_id,
        "extra": extra,
    })
}

fn query_pairs(
    args: &LogArgs,
    (since, until): (Option<String>, Option<String>),
) -> Vec<(&'static str, String)> {
    let mut q = vec![("limit", args.limit.to_string())];
    let decision = args.decision.map(|d| d.as_str().to_owned());
    let opt = [
        ("principal_urn", &args.principal),
        ("action", &args.action),
        ("decision", &decision),
        ("agency_id", &args.agency_id),
        ("since", &since),
        ("until", &until),
    ];
    for (k, v) in opt {
        if let Some(v) = v {
            q.push((k, v.clone()));
        }
    }
    q
}

async fn from_server(
    conn: &crate::connection::Connection,
    args: &LogArgs,
    window: (Option<String>, Option<String>),
) -> anyhow::Result<Vec<Value>> {
    let pairs = query_pairs(args, window);
    let query: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let entries = decisions(conn, &query).await?;
    if entries.is_empty()
        && let Some(action) = &args.action
    {
        let catalog = iam_catalog::Catalog::builtin();
        if catalog.action(action).is_none()
            && decisions(conn, &[("action", action.as_str()), ("limit", "1")])
                .await?
                .is_empty()
        {
            return Err(Problem::usage(format!(
                "unknown action `{action}` (not in the catalog or the server's log)"
            ))
            .suggest(
                catalog.suggest_action(action),
                "list the actions with `modelarts-iam catalog actions`",
            )
            .into());
        }
    }
    Ok(entries)
}

/// One `GET /v1/decisions`: its `decisions`.
async fn decisions(
    conn: &crate::connection::Connection,
    query: &[(&str, &str)],
) -> anyhow::Result<Vec<Value>> {
    let (status, value) = conn
        .send(crate::client::Call {
            method: "GET",
            path: "/v1/decisions",
            query,
            body: None,
        })
        .await
        .with_context(|| format!("calling {}", conn.endpoint))?;
    if status != 200 {
        let text = |k: &str| value[k].as_str().unwrap_or("").to_owned();
        let (code, message) = (text("error_code"), text("error_msg"));
        bail!(
            "the server answered {status}: {code} {message} (credentials from {}){}",
            conn.source,
            crate::connection::hint(status, &code, &message)
        );
    }
    Ok(value["decisions"].as_array().cloned().unwrap_or_default())
}

fn cell(v: &Value) -> String {
    v.as_str().map(str::to_owned).unwrap_or_default()
}

fn print_table(entries: &[Value]) -> anyhow::Result<()> {
    if entries.is_empty() {
        return outln!("no decisions match");
    }
    let mut t = super::table(&[
        "time",
        "decision",
        "principal",
        "action",
        "resource",
        "determining statement",
        "session",
        "via",
    ]);
    for e in entries {
        let session = match (cell(&e["agency_id"]), cell(&e["session"])) {
            (a, s) if a.is_empty() && s.is_empty() => String::new(),
            (a, s) => format!("{a}/{s}"),
        };
        let via = [cell(&e["extra"]["source"]), cell(&e["extra"]["mode"])]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let decision = cell(&e["decision"]);
        let tone = style::decision_tone(&decision);
        t.add_row(vec![
            cell(&e["at"]).into(),
            style::cell(decision, tone),
            cell(&e["principal_urn"]).into(),
            cell(&e["action"]).into(),
            cell(&e["resource"]).into(),
            cell(&e["determining_statement"]).into(),
            session.into(),
            via.into(),
        ]);
    }
    outln!("{t}")
}
