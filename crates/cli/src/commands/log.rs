//! `modelarts-iam log`: the decision log of enforced requests (gateway, STS), newest first.
//!
//! Reads the data directory directly (`--data-dir`, the default; works while the server runs:
//! SQLite WAL readers do not block it) or asks a running server (`--endpoint` with `--key-file`,
//! `GET /v1/decisions`, which shows the caller's account only and needs `cts:trace:list`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use comfy_table::ContentArrangement;
use serde_json::{Value, json};

/// Arguments of `log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Data directory to read [default: ./modelarts-iam-data] (ignored with --endpoint).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Ask this running server instead of reading the data directory.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Credential file for --endpoint (`root-access-key.json` or any file with `access_key_id`
    /// and `secret_access_key`).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Only this principal URN.
    #[arg(long, value_name = "URN")]
    pub principal: Option<String>,
    /// Only this action.
    #[arg(long)]
    pub action: Option<String>,
    /// Only this decision (`allow`, `explicit_deny`, `implicit_deny`, `deny`, `unauthenticated`).
    #[arg(long)]
    pub decision: Option<String>,
    /// Only this agency (its sessions and AssumeAgency calls).
    #[arg(long, value_name = "ID")]
    pub agency_id: Option<String>,
    /// Only principals of this account (data-directory mode; the server always filters by the
    /// caller's account).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// At or after this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Before this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Most entries to show (1-200).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print JSON (an array of entries) instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_time(name: &str, v: &str) -> anyhow::Result<time::OffsetDateTime> {
    time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("--{name} `{v}` is not an RFC 3339 time (2026-01-31T12:00:00Z)"))
}

/// Runs `log`: exit 0 with the entries printed, 1 on errors.
pub fn run(args: LogArgs) -> anyhow::Result<ExitCode> {
    if !(1..=200).contains(&args.limit) {
        bail!("--limit must be 1-200");
    }
    let since = args
        .since
        .as_deref()
        .map(|v| parse_time("since", v))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|v| parse_time("until", v))
        .transpose()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let entries = match &args.endpoint {
        Some(endpoint) => {
            let key_file = args
                .key_file
                .as_deref()
                .context("--endpoint needs --key-file")?;
            runtime.block_on(from_server(endpoint, key_file, &args))?
        }
        None => {
            let dir = args
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("modelarts-iam-data"));
            let filter = iam_store::DecisionFilter {
                principal_urn: args.principal.clone(),
                action: args.action.clone(),
                decision: args.decision.clone(),
                since,
                until,
                account_id: args.account.clone(),
                agency_id: args.agency_id.clone(),
            };
            runtime.block_on(from_data_dir(&dir, &filter, args.limit))?
        }
    };
    if args.json {
        super::print_json(&Value::Array(entries))?;
    } else {
        print_table(&entries);
    }
    Ok(ExitCode::SUCCESS)
}

async fn from_data_dir(
    dir: &Path,
    filter: &iam_store::DecisionFilter,
    limit: u32,
) -> anyhow::Result<Vec<Value>> {
    // The log needs no secret: `open_store` never writes a master key into the directory.
    let store = super::common::open_store(dir)
        .await
        .context("no decision log to read (give --data-dir DIR of a server, or --endpoint URL)")?;
    let page = iam_store::PageRequest {
        marker: None,
        limit: Some(limit),
    };
    let found = store.list_decisions(filter, &page).await?;
    store.close().await;
    Ok(found.items.iter().map(iam_server_entry).collect())
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

fn query_pairs(args: &LogArgs) -> Vec<(&'static str, String)> {
    let mut q = vec![("limit", args.limit.to_string())];
    let opt = [
        ("principal_urn", &args.principal),
        ("action", &args.action),
        ("decision", &args.decision),
        ("agency_id", &args.agency_id),
        ("since", &args.since),
        ("until", &args.until),
    ];
    for (k, v) in opt {
        if let Some(v) = v {
            q.push((k, v.clone()));
        }
    }
    q
}

async fn from_server(
    endpoint: &str,
    key_file: &Path,
    args: &LogArgs,
) -> anyhow::Result<Vec<Value>> {
    let pairs = query_pairs(args);
    let query: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, value) = crate::client::call_with_key_file(
        endpoint,
        key_file,
        crate::client::Call {
            method: "GET",
            path: "/v1/decisions",
            query: &query,
            body: None,
        },
    )
    .await?;
    if status != 200 {
        bail!(
            "the server answered {status}: {} {}",
            value["error_code"].as_str().unwrap_or(""),
            value["error_msg"].as_str().unwrap_or("")
        );
    }
    Ok(value["decisions"].as_array().cloned().unwrap_or_default())
}

fn cell(v: &Value) -> String {
    v.as_str().map(str::to_owned).unwrap_or_default()
}

fn print_table(entries: &[Value]) {
    if entries.is_empty() {
        println!("no decisions match");
        return;
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
    if !t.is_tty() {
        // pipes and files get whole lines (grep-able URNs)
        t.set_content_arrangement(ContentArrangement::Disabled);
    }
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
        t.add_row(vec![
            cell(&e["at"]),
            cell(&e["decision"]),
            cell(&e["principal_urn"]),
            cell(&e["action"]),
            cell(&e["resource"]),
            cell(&e["determining_statement"]),
            session,
            via,
        ]);
    }
    println!("{t}");
}
