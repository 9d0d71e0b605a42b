//! `modelarts-iam configure`: writes one profile of the profile file (`crate::connection`), from
//! flags or from a credential file, and optionally checks it against the server
//! (`GET /v5/caller-identity`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use crate::connection::{self, ConnArgs, DEFAULT_PROFILE, Profile};

/// Arguments of `configure`.
#[derive(Debug, clap::Args)]
pub struct ConfigureArgs {
    /// The profile to write [default: `default`].
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROFILE)]
    pub profile: String,
    /// Take the access key, secret key, security token and project id from this credential
    /// file (`root-access-key.json`, or a file with `access_key_id`/`secret_access_key`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["access_key_id", "secret_access_key"])]
    pub from_key_file: Option<PathBuf>,
    /// Access key id.
    #[arg(long, value_name = "AK", requires = "secret_access_key")]
    pub access_key_id: Option<String>,
    /// Secret access key. Prefer --from-key-file or `-` (read from standard input): a value on
    /// the command line is visible to other users of this machine.
    #[arg(long, value_name = "SK|-", requires = "access_key_id")]
    pub secret_access_key: Option<String>,
    /// Security token of temporary credentials.
    #[arg(long, value_name = "TOKEN")]
    pub security_token: Option<String>,
    /// Server endpoint, `http://host:port`.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Project id.
    #[arg(long, value_name = "ID")]
    pub project_id: Option<String>,
    /// After writing, ask the server who these credentials are (`GET /v5/caller-identity`).
    #[arg(long)]
    pub verify: bool,
    /// Print the profiles (secrets masked) instead of writing one.
    #[arg(long, conflicts_with_all = ["from_key_file", "access_key_id", "secret_access_key", "security_token", "endpoint", "project_id", "verify"])]
    pub list: bool,
    /// With --list: JSON.
    #[arg(long, requires = "list")]
    pub json: bool,
}

/// A secret for display: `****`, nothing of the secret itself.
fn mask(_secret: &str) -> String {
    "****".to_owned()
}

/// Moves an invalid profile file aside, as `<name>.invalid-<unix time>` beside it (mode
/// 0600), so that a new one can be written; says so on standard error.
fn back_up_invalid(target: &std::path::Path) -> anyhow::Result<()> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "profiles.toml".to_owned());
    let backup = target.with_file_name(format!("{name}.invalid-{seconds}"));
    if backup.exists() {
        bail!(
            "{} exists: not writing over it; move it away and run configure again",
            backup.display()
        );
    }
    std::fs::rename(target, &backup)
        .with_context(|| format!("moving the invalid {} aside", target.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private", backup.display()))?;
    }
    eprintln!(
        "warning: {} was not valid: kept as {} (mode 0600); writing a new profile file",
        target.display(),
        backup.display()
    );
    Ok(())
}

pub fn run(args: ConfigureArgs) -> anyhow::Result<ExitCode> {
    let path = connection::profiles_path()?;
    // An invalid file is an error for --list; writing a profile replaces it, keeping a backup.
    let (mut profiles, invalid) = match connection::read_profiles(&path) {
        Ok(p) => (p, false),
        Err(e) if !args.list && e.is::<connection::InvalidProfileFile>() => {
            (connection::Profiles::new(), true)
        }
        Err(e) => return Err(e),
    };
    if args.list {
        if args.json {
            let shown: serde_json::Map<String, serde_json::Value> = profiles
                .iter()
                .map(|(name, p)| {
                    (
                        name.clone(),
                        serde_json::json!({
                            "endpoint": p.endpoint,
                            "access_key_id": p.access_key_id,
                            "secret_access_key": mask(&p.secret_access_key),
                            "security_token": p.security_token.as_deref().map(mask),
                            "project_id": p.project_id,
                        }),
                    )
                })
                .collect();
            super::print_json(&shown)?;
        } else {
            let mut t =
                super::table(&["profile", "endpoint", "access key", "temporary", "project"]);
            for (name, p) in &profiles {
                t.add_row(vec![
                    name.clone(),
                    p.endpoint.clone().unwrap_or_default(),
                    p.access_key_id.clone(),
                    if p.security_token.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_owned(),
                    p.project_id.clone().unwrap_or_default(),
                ]);
            }
            outln!("{t}")?;
            outln!("profile file: {}", path.display())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.profile.is_empty() || args.profile.contains(['.', '[', ']', '"']) {
        bail!(
            "profile name `{}` is not usable: use letters, digits, `-` and `_`",
            args.profile
        );
    }
    let existing = profiles.get(&args.profile).cloned();
    let mut profile = if let Some(file) = &args.from_key_file {
        let key = crate::client::read_key_file(file)?;
        use secrecy::ExposeSecret as _;
        Profile {
            endpoint: None,
            access_key_id: key.credentials.access_key_id,
            secret_access_key: key.credentials.secret_access_key.expose_secret().to_owned(),
            security_token: key
                .credentials
                .security_token
                .map(|t| t.expose_secret().to_owned()),
            project_id: key.project_id,
        }
    } else if let (Some(ak), Some(sk)) = (&args.access_key_id, &args.secret_access_key) {
        let sk = if sk == "-" {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the secret access key from standard input")?;
            line.trim().to_owned()
        } else {
            sk.clone()
        };
        if sk.is_empty() {
            bail!("the secret access key is empty");
        }
        Profile {
            endpoint: None,
            access_key_id: ak.clone(),
            secret_access_key: sk,
            security_token: None,
            project_id: None,
        }
    } else if let Some(old) = existing.clone() {
        // Only settings change: keep the stored key.
        old
    } else {
        bail!(
            "profile `{}` does not exist yet: give --from-key-file FILE or --access-key-id AK --secret-access-key -",
            args.profile
        );
    };
    let keep = existing.unwrap_or_default();
    profile.endpoint = args.endpoint.clone().or(profile.endpoint).or(keep.endpoint);
    if let Some(endpoint) = &profile.endpoint
        && !endpoint.starts_with("http://")
    {
        bail!("endpoint `{endpoint}` must look like http://127.0.0.1:8080");
    }
    if args.security_token.is_some() {
        profile.security_token = args.security_token.clone();
    }
    profile.project_id = args
        .project_id
        .clone()
        .or(profile.project_id)
        .or(keep.project_id);
    profiles.insert(args.profile.clone(), profile);
    // the file itself (a symbolic link's target), found before a backup moves it
    let target = connection::profile_target(&path)?;
    if invalid {
        back_up_invalid(&target)?;
    }
    connection::write_profiles(&target, &profiles)?;
    eprintln!("wrote profile `{}` to {}", args.profile, path.display());
    if args.verify {
        let conn = ConnArgs {
            profile: Some(args.profile.clone()),
            ..ConnArgs::default()
        }
        .resolve()?;
        let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        let who = runtime
            .block_on(conn.request("GET", "/v5/caller-identity", &[], None))
            .with_context(|| format!("checking the profile against {}", conn.endpoint))?;
        super::print_json(&who)?;
    }
    Ok(ExitCode::SUCCESS)
}
