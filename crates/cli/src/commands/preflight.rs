//! `modelarts-iam preflight`: check a ModelArts operation for a user, step by step, with the
//! smallest policy change that makes every step pass.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use iam_analyzer::PolicyType;
use iam_assistant::preflight::{self, AgencyConfig, OperationRequest};
use iam_catalog::Catalog;

use super::common::{PrincipalArgs, now_context, read, read_docs, subject};
use super::{EXIT_DENY, Problem, print_json};

/// The operations `--operation` takes (the assistant's), for checking, help and completion.
fn operations() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        preflight::operations()
            .iter()
            .map(|o| clap::builder::PossibleValue::new(o.name.as_str()).help(o.title.as_str())),
    )
}

/// Arguments of `preflight`.
#[derive(Debug, clap::Args)]
pub struct PreflightArgs {
    /// The operation to check.
    #[arg(long, value_parser = operations())]
    pub operation: String,
    /// Region of the ModelArts resources.
    #[arg(long)]
    pub region: Option<String>,
    /// Training input OBS path, repeatable.
    #[arg(long = "input", value_name = "PATH")]
    pub inputs: Vec<String>,
    /// Training output OBS path, repeatable.
    #[arg(long = "output", value_name = "PATH")]
    pub outputs: Vec<String>,
    /// Custom SWR image.
    #[arg(long)]
    pub image: Option<String>,
    /// SFS Turbo share id.
    #[arg(long)]
    pub sfs_turbo: Option<String>,
    /// SMN topic for notifications.
    #[arg(long)]
    pub smn_topic: Option<String>,
    /// Notebook id (start-notebook).
    #[arg(long)]
    pub notebook_id: Option<String>,
    /// OBS path used from the notebook, repeatable.
    #[arg(long = "obs-path", value_name = "PATH")]
    pub obs_paths: Vec<String>,
    /// Show monitoring data (start-notebook).
    #[arg(long)]
    pub monitoring: bool,
    /// AI application id (deploy-service).
    #[arg(long)]
    pub model_id: Option<String>,
    /// OBS bucket mounted as an external volume, repeatable (deploy-service).
    #[arg(long = "volume", value_name = "PATH")]
    pub volumes: Vec<String>,
    /// Enterprise project of the resources (`g:EnterpriseProjectId` of the steps that accept it).
    #[arg(long)]
    pub enterprise_project: Option<String>,
    /// Tag `KEY=VALUE` of the notebook or AI application acted on (`g:ResourceTag/<key>` of the
    /// steps that accept it), repeatable.
    #[arg(long = "resource-tag", value_name = "KEY=VALUE")]
    pub resource_tags: Vec<String>,
    #[command(flatten)]
    pub principal: PrincipalArgs,
    /// Project of the stored authorization (with `--data-dir`).
    #[arg(long)]
    pub project_id: Option<String>,
    /// Name of the agency configured for the user (with `--agency-trust`).
    #[arg(long)]
    pub agency_name: Option<String>,
    /// Trust policy of the agency.
    #[arg(long, value_name = "FILE")]
    pub agency_trust: Option<PathBuf>,
    /// Identity policy of the agency, repeatable.
    #[arg(long = "agency-policy", value_name = "FILE")]
    pub agency_policies: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: PreflightArgs) -> anyhow::Result<ExitCode> {
    let (user, world) = subject(&args.principal)?;
    let agency = match (&args.agency_name, &args.agency_trust, &world) {
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            bail!("for a stored user the agency is the one configured for it; omit --agency-*")
        }
        (Some(name), Some(trust), None) => {
            let trust_doc = read(trust)?;
            read_docs(std::slice::from_ref(trust), PolicyType::Trust)?;
            Some(
                AgencyConfig::from_documents(
                    name,
                    &trust_doc,
                    &read_docs(&args.agency_policies, PolicyType::Identity)?,
                )
                .map_err(Problem::invalid)?,
            )
        }
        (Some(_), None, None) | (None, Some(_), None) => {
            bail!("--agency-name and --agency-trust go together")
        }
        (None, None, Some(w)) => {
            let user_id = w.user_id(&user.principal.urn).unwrap_or_default();
            w.agency_for(args.project_id.as_deref(), user_id)
                .map(|a| a.config.clone())
        }
        (None, None, None) => {
            if !args.agency_policies.is_empty() {
                bail!("--agency-policy needs --agency-name and --agency-trust");
            }
            None
        }
    };
    let op = OperationRequest {
        operation: args.operation.clone(),
        region: args.region.clone(),
        inputs: args.inputs.clone(),
        outputs: args.outputs.clone(),
        image: args.image.clone(),
        sfs_turbo: args.sfs_turbo.clone(),
        smn_topic: args.smn_topic.clone(),
        notebook_id: args.notebook_id.clone(),
        obs_paths: args.obs_paths.clone(),
        monitoring: args.monitoring,
        model_id: args.model_id.clone(),
        volumes: args.volumes.clone(),
        enterprise_project: args.enterprise_project.clone(),
        resource_tags: super::common::resource_tags(&args.resource_tags)?,
    };
    let report = preflight::run(
        Catalog::builtin(),
        &user,
        agency.as_ref(),
        &op,
        &now_context(),
    )?;
    if args.json {
        print_json(&report)?;
    } else {
        out!("{}", super::style::highlight(&report.to_text()))?;
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DENY)
    })
}
