//! `modelarts-iam authorize`: the server's `POST /v1/authorize`, signed with the credentials
//! `crate::connection` resolves (the `--demo` walkthrough prints such calls).
//!
//! The principal decided for (docs/cli.md, "authorize"): `--principal URN` names a stored
//! principal; `--access-key-id AK` names a principal by one of its access keys, which for
//! temporary credentials is their agency session (decided with the session's permissions: the
//! agency's policies, the session policies, the SCPs); with neither, the caller itself, named by
//! the access key it signs with, so temporary credentials ask about their own session. The server
//! knows a session only by its credentials: `--principal sts::…:assumed-agency:…` is accepted
//! when it is the caller's own session, else refused with the way to name it.

use std::process::ExitCode;

use anyhow::Context as _;

/// Arguments of `authorize`: ask a running server for a decision.
#[derive(Debug, clap::Args)]
pub struct AuthorizeArgs {
    /// Endpoint and credentials.
    #[command(flatten)]
    pub connection: crate::connection::ConnArgs,
    /// Principal URN to decide for (`iam::<account>:user:<name>`, or the caller's own agency
    /// session `sts::<account>:assumed-agency:<agency>/<session>`) [default: the caller itself].
    #[arg(long, conflicts_with = "access_key_id")]
    pub principal: Option<String>,
    /// Decide for the principal of this access key id: a user's permanent key, or temporary
    /// credentials (their agency session).
    #[arg(long, value_name = "AK")]
    pub access_key_id: Option<String>,
    /// Action, e.g. `modelarts:notebook:create`.
    #[arg(long)]
    pub action: String,
    /// Resource URN [default: *].
    #[arg(long)]
    pub resource: Option<String>,
    /// Context entries `key=value` (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Print the server's JSON answer instead of the decision and its explanation.
    #[arg(long)]
    pub json: bool,
}

/// Prints the decision; exit code 0 for allow, 2 for a deny, 1 for an error.
pub fn run(args: AuthorizeArgs) -> anyhow::Result<ExitCode> {
    let mut context = serde_json::Map::new();
    for entry in &args.context {
        let (k, v) = entry
            .split_once('=')
            .with_context(|| format!("--context `{entry}` is not KEY=VALUE"))?;
        context.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let connection = args.connection.resolve()?;
    let (member, name) = match (args.principal, args.access_key_id) {
        (Some(urn), _) if urn.starts_with("sts::") => {
            // a session is known to the server by its credentials: the caller's own only
            let who = runtime
                .block_on(connection.request("GET", "/v5/caller-identity", &[], None))
                .context("finding out whether the session is the caller's own")?;
            if who.get("principal_urn").and_then(serde_json::Value::as_str) != Some(urn.as_str()) {
                anyhow::bail!(
                    "the server decides for an agency session named by its temporary credentials, and `{urn}` is not the caller's own session: pass --access-key-id with the access key id of the session's credentials"
                );
            }
            (
                "access_key_id",
                connection.credentials.access_key_id.clone(),
            )
        }
        (Some(urn), _) => ("principal", urn),
        (None, Some(ak)) => ("access_key_id", ak),
        (None, None) => (
            "access_key_id",
            connection.credentials.access_key_id.clone(),
        ),
    };
    let body = serde_json::json!({
        member: name,
        "action": args.action,
        "resource": args.resource.unwrap_or_else(|| "*".to_owned()),
        "context": context,
    });
    let (status, answer) = runtime.block_on(connection.send(crate::client::Call {
        method: "POST",
        path: "/v1/authorize",
        query: &[],
        body: Some(&body),
    }))?;
    if status != 200 {
        if args.json {
            super::print_json(&answer)?;
        }
        let text = |k: &str| answer.get(k).and_then(serde_json::Value::as_str);
        anyhow::bail!(
            "the server refused the question: HTTP {status} {}: {}",
            text("error_code").unwrap_or("-"),
            text("error_msg").unwrap_or("(no message)")
        );
    }
    let allowed = answer
        .get("allowed")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    if args.json {
        super::print_json(&answer)?;
    } else {
        super::out::write_str(&human(&answer)?)?;
    }
    Ok(ExitCode::from(if allowed { 0 } else { 2 }))
}

/// The answer for people: one line with the decision, then the explanation as `eval` prints it.
fn human(answer: &serde_json::Value) -> anyhow::Result<String> {
    use super::style::{Tone, decision_tone, paint};
    let text = |k: &str| {
        answer
            .get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("-")
    };
    let decision = text("decision");
    let word = match decision {
        "allow" => "ALLOW".to_owned(),
        "explicit_deny" => "DENY (explicit)".to_owned(),
        "implicit_deny" => "DENY (implicit)".to_owned(),
        other => other.to_uppercase(),
    };
    let explanation = answer
        .get("explanation")
        .context("the server's answer has no explanation")?;
    let body = super::explanation::explanation_text_json(
        explanation,
        &super::explanation::Labels::default(),
    )
    .context("the server's explanation is not in the expected form")?;
    Ok(format!(
        "{}  {} on {} for {}\n{}",
        paint(&word, decision_tone(decision)),
        paint(text("action"), Tone::Strong),
        text("resource"),
        text("principal"),
        super::explanation::indent(&body, "  ")
    ))
}
