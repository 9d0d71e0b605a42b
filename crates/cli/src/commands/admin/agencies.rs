//! `modelarts-iam agency …`: IAM v5 agencies (`/v5/agencies`), their trust policies and attached
//! policies, and `agency assume` (STS `POST /v5/agencies/assume`: temporary credentials).

use std::path::PathBuf;

use iam_analyzer::PolicyType;
use serde_json::{Value, json};

use super::policies::{attach_to, pretty};
use super::{Ctx, Kind, Page, changes, document, hex_id, object, print_secret, text};

/// Agencies.
pub(crate) const AGENCY: Kind = Kind {
    noun: "agency",
    path: "/v5/agencies",
    items: "agencies",
    one: "agency",
    id: "agency_id",
    name: "agency_name",
    columns: &[
        ("name", "agency_name"),
        ("id", "agency_id"),
        ("path", "path"),
        ("max session (s)", "max_session_duration"),
        ("created", "created_at"),
        ("description", "description"),
    ],
    is_id: hex_id,
};

/// `agency` subcommands. Agencies and policies are named by name or id.
#[derive(Debug, clap::Subcommand)]
pub enum AgencyCommand {
    /// List the account's agencies.
    List {
        #[arg(long, value_name = "PATH")]
        path_prefix: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Show an agency with its trust policy.
    Show { agency: String },
    /// Create an agency with a trust policy file (validated locally first).
    Create {
        name: String,
        /// The trust policy document (JSON; `-` for standard input).
        #[arg(long, value_name = "FILE")]
        trust_policy: PathBuf,
        /// Longest session, 3600-43200 seconds.
        #[arg(long, value_name = "SECONDS")]
        max_session_duration: Option<i64>,
        #[arg(long)]
        description: Option<String>,
        /// `segment/` repeated.
        #[arg(long)]
        path: Option<String>,
    },
    /// Change an agency's longest session or description.
    Update {
        agency: String,
        #[arg(long, value_name = "SECONDS")]
        max_session_duration: Option<i64>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete an agency.
    Delete { agency: String },
    /// An agency's trust policy.
    #[command(subcommand)]
    TrustPolicy(TrustPolicyCommand),
    /// Attach an identity policy to an agency (as `policy attach POLICY --agency AGENCY`).
    AttachPolicy { agency: String, policy: String },
    /// Detach an identity policy from an agency.
    DetachPolicy { agency: String, policy: String },
    /// The identity policies attached to an agency.
    Policies {
        agency: String,
        #[command(flatten)]
        page: Page,
    },
    /// Assume an agency: temporary credentials (access key, secret, security token) of a
    /// session, shown once or written to --out FILE (mode 0600).
    Assume {
        /// The agency: a name or id of the caller's account, or a URN `iam::<account>:agency:<name>`.
        agency: String,
        /// The session name (2-128 letters, digits and `_+=,.@-`).
        #[arg(long, default_value = "modelarts-iam-cli")]
        session_name: String,
        /// Session length, 900-43200 seconds [server default: 3600].
        #[arg(long, value_name = "SECONDS")]
        duration: Option<i64>,
        /// A session policy document narrowing the session (validated locally first).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Write the credentials to this new file (mode 0600) instead of printing the secret;
        /// usable as --key-file and by `configure --from-key-file`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `agency trust-policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TrustPolicyCommand {
    /// Print an agency's trust policy document (indented JSON; with --json as stored).
    Show { agency: String },
    /// Replace an agency's trust policy with a document file (validated locally first).
    Set { agency: String, file: PathBuf },
}

pub(crate) fn run(cx: &Ctx, command: AgencyCommand) -> anyhow::Result<()> {
    match command {
        AgencyCommand::List { path_prefix, page } => {
            let query: Vec<(&str, &str)> = path_prefix
                .iter()
                .map(|p| ("path_prefix", p.as_str()))
                .collect();
            cx.list_kind(&AGENCY, &query, page)
        }
        AgencyCommand::Show { agency } => cx.show_kind(&AGENCY, &agency),
        AgencyCommand::Create {
            name,
            trust_policy,
            max_session_duration,
            description,
            path,
        } => {
            let trust = document(&trust_policy, PolicyType::Trust)?;
            cx.write_kind(
                &AGENCY,
                "POST",
                AGENCY.path,
                &object(&[
                    ("agency_name", Some(json!(name))),
                    ("trust_policy", Some(json!(trust))),
                    ("path", path.map(Value::from)),
                    (
                        "max_session_duration",
                        max_session_duration.map(Value::from),
                    ),
                    ("description", description.map(Value::from)),
                ]),
            )
        }
        AgencyCommand::Update {
            agency,
            max_session_duration,
            description,
        } => {
            let body = changes(
                &[
                    (
                        "max_session_duration",
                        max_session_duration.map(Value::from),
                    ),
                    ("description", description.map(Value::from)),
                ],
                "--max-session-duration or --description",
            )?;
            let id = cx.resolve(&AGENCY, &agency)?;
            cx.write_kind(&AGENCY, "PUT", &AGENCY.at(&id), &body)
        }
        AgencyCommand::Delete { agency } => cx.delete_kind(&AGENCY, &agency),
        AgencyCommand::TrustPolicy(TrustPolicyCommand::Show { agency }) => {
            let id = cx.resolve(&AGENCY, &agency)?;
            let answer = cx.get(&AGENCY.at(&id))?;
            let trust = text(&answer["agency"], "trust_policy");
            if cx.json {
                outln!("{trust}")?;
            } else {
                outln!("{}", pretty(trust))?;
            }
            Ok(())
        }
        AgencyCommand::TrustPolicy(TrustPolicyCommand::Set { agency, file }) => {
            let trust = document(&file, PolicyType::Trust)?;
            let id = cx.resolve(&AGENCY, &agency)?;
            cx.send(
                "PUT",
                &format!("{}/trust-policy", AGENCY.at(&id)),
                &json!({ "trust_policy": trust }),
            )?;
            cx.done(format_args!(
                "replaced the trust policy of agency `{agency}`"
            ));
            Ok(())
        }
        AgencyCommand::AttachPolicy { agency, policy } => {
            attach_to(cx, &policy, &AGENCY, &agency, "attach")
        }
        AgencyCommand::DetachPolicy { agency, policy } => {
            attach_to(cx, &policy, &AGENCY, &agency, "detach")
        }
        AgencyCommand::Policies { agency, page } => cx.attached_policies(&AGENCY, &agency, page),
        AgencyCommand::Assume {
            agency,
            session_name,
            duration,
            policy,
            out,
        } => {
            let out = super::reserve_out(out.as_ref())?;
            let session_policy = policy
                .map(|p| document(&p, PolicyType::Session))
                .transpose()?;
            let urn = if agency.starts_with("iam::") {
                agency
            } else if hex_id(&agency) {
                let answer = cx.get(&AGENCY.at(&agency))?;
                text(&answer["agency"], "urn").to_owned()
            } else {
                text(&cx.find(&AGENCY, &agency)?, "urn").to_owned()
            };
            let answer = cx.send(
                "POST",
                "/v5/agencies/assume",
                &object(&[
                    ("agency_urn", Some(json!(urn))),
                    ("agency_session_name", Some(json!(session_name))),
                    ("duration_seconds", duration.map(Value::from)),
                    ("policy", session_policy.map(Value::from)),
                ]),
            )?;
            let c = &answer["credentials"];
            let file = json!({
                "access_key_id": c["access_key_id"],
                "secret_access_key": c["secret_access_key"],
                "security_token": c["security_token"],
                "expiration": c["expiration"],
                "session_urn": answer["assumed_agency"]["urn"],
            });
            print_secret(cx, &answer, None, out, &file)
        }
    }
}
