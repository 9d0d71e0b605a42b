//! Where the commands that call a running server (`authorize`, `log --endpoint`, the admin
//! commands, `plan`/`apply`/`export`) get their endpoint, credentials and project, and the one
//! call they make: [`Connection::request`], which turns a non-2xx answer into an error naming
//! Huawei's `error_code` and `error_msg`.
//!
//! Each value is taken from the first source that has it (docs/cli.md, "Credentials"):
//!
//! | value | sources, in order |
//! |---|---|
//! | credentials | `--key-file`; `--profile`; `HUAWEICLOUD_SDK_AK`/`_SK`/`_SECURITY_TOKEN`; the profile named by `MODELARTS_IAM_PROFILE`, else `default`, when the profile file has it; `./modelarts-iam-data/root-access-key.json` |
//! | endpoint | `--endpoint`; `MODELARTS_IAM_ENDPOINT`; the profile's `endpoint`; `http://127.0.0.1:8080` |
//! | project | `--project`; `HUAWEICLOUD_SDK_PROJECT_ID`; the `project_id` of the key file or profile that gave the credentials; the profile's `project_id` |
//!
//! "The profile" is the one named by `--profile` or `MODELARTS_IAM_PROFILE` (it must exist:
//! naming a missing profile is an error listing those the file has), else the `default` profile
//! when it gives the credentials: the default profile's endpoint is not combined with a key file
//! or credentials from the environment. The profile file is read only when a profile can matter.
//! Only one of `HUAWEICLOUD_SDK_AK` and `_SK` set is an error.
//!
//! The profile file is TOML, one table per profile, written by `modelarts-iam configure` with
//! mode 0600: `$MODELARTS_IAM_PROFILES_FILE`, else `$XDG_CONFIG_HOME/modelarts-iam/profiles.toml`,
//! else `~/.config/modelarts-iam/profiles.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use iam_signing::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, ClientError, Credentials};

/// The endpoint when nothing names one.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8080";
/// The key file `serve` writes on first start in its default data directory.
pub const DEFAULT_KEY_FILE: &str = "modelarts-iam-data/root-access-key.json";
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// Environment variables (the Huawei SDKs' names for the credentials).
pub mod env {
    /// Access key id.
    pub const AK: &str = "HUAWEICLOUD_SDK_AK";
    /// Secret access key.
    pub const SK: &str = "HUAWEICLOUD_SDK_SK";
    /// Security token of temporary credentials.
    pub const SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
    /// Project id.
    pub const PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
    /// The server endpoint.
    pub const ENDPOINT: &str = "MODELARTS_IAM_ENDPOINT";
    /// The profile to use.
    pub const PROFILE: &str = "MODELARTS_IAM_PROFILE";
    /// The profile file.
    pub const PROFILES_FILE: &str = "MODELARTS_IAM_PROFILES_FILE";
}

/// The connection flags every server-calling command takes. They are global: on a command
/// family (`modelarts-iam user --profile p list`) they also apply to its subcommands, and may be
/// given after them (`modelarts-iam user list --profile p`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnArgs {
    /// Server endpoint, `http://host:port` [default: $MODELARTS_IAM_ENDPOINT, the profile's, else
    /// http://127.0.0.1:8080].
    #[arg(long, value_name = "URL", global = true)]
    pub endpoint: Option<String>,
    /// Profile of the profile file (written by `modelarts-iam configure`) [default:
    /// $MODELARTS_IAM_PROFILE, else `default`].
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,
    /// Credential file: `root-access-key.json` written by `serve` on first start, or any JSON
    /// file with `access_key_id`, `secret_access_key` and optionally `security_token`.
    #[arg(long, value_name = "FILE", global = true)]
    pub key_file: Option<PathBuf>,
    /// Project id, for the APIs whose path names one [default: $HUAWEICLOUD_SDK_PROJECT_ID, the
    /// profile's or the key file's].
    #[arg(long, value_name = "ID", global = true)]
    pub project: Option<String>,
}

/// One profile of the profile file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Server endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Security token of temporary credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_token: Option<String>,
    /// Project id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
}

/// The profile file: profiles by name.
pub type Profiles = BTreeMap<String, Profile>;

/// The path of the profile file (see the module documentation).
pub fn profiles_path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os(env::PROFILES_FILE).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(dir).join("modelarts-iam/profiles.toml"));
    }
    match std::env::var_os("HOME").filter(|p| !p.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".config/modelarts-iam/profiles.toml")),
        None => bail!(
            "no place for the profile file: set {} or HOME",
            env::PROFILES_FILE
        ),
    }
}

/// A profile file that is not valid TOML or not the profiles' shape. Its message names the line,
/// the column and the kind of error, never the text of the file: the file holds secrets, and
/// the parser's own message quotes the offending line.
#[derive(Debug, thiserror::Error)]
#[error(
    "profile file {} is not valid: line {line}, column {column}: {kind} (fix it, or write a new one with `modelarts-iam configure`, which keeps the invalid file as a backup)",
    path.display()
)]
pub struct InvalidProfileFile {
    /// The profile file.
    pub path: PathBuf,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
    /// The kind of error, with anything it quotes from the file left out.
    pub kind: String,
}

/// The words a parse error may quote without revealing the file: the profiles' fields and the
/// TOML punctuation it expected.
const QUOTABLE: &[&str] = &[
    "endpoint",
    "access_key_id",
    "secret_access_key",
    "security_token",
    "project_id",
];

/// A TOML error's message without what it quotes from the file: its first lines, each
/// `` `quoted` `` text that is not a field name or punctuation replaced by `` `…` ``.
fn error_kind(message: &str) -> String {
    let joined = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = String::new();
    for (i, part) in joined.split('`').enumerate() {
        if i % 2 == 1 {
            let safe = QUOTABLE.contains(&part)
                || (part.chars().count() <= 2 && part.chars().all(|c| c.is_ascii_punctuation()));
            out.push('`');
            out.push_str(if safe { part } else { "…" });
            out.push('`');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Parses the text of the profile file (see [`InvalidProfileFile`] for its errors).
fn parse_profiles(path: &Path, text: &str) -> Result<Profiles, InvalidProfileFile> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let at = e.span().map_or(0, |s| s.start).min(text.len());
        let before = text.get(..at).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        InvalidProfileFile {
            path: path.to_owned(),
            line,
            column,
            kind: error_kind(e.message()),
        }
    })
}

/// Reads the profile file; an absent file has no profiles. An invalid file is an
/// [`InvalidProfileFile`] error (which quotes nothing of the file).
pub fn read_profiles(path: &Path) -> anyhow::Result<Profiles> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse_profiles(path, &text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profiles::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The file a profile-file path stands for: the target of a symbolic link (followed to the
/// end), else the path itself. Writing to the target keeps the link (a profile file kept in a
/// dotfiles repository and linked into place stays linked).
pub fn profile_target(path: &Path) -> anyhow::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).with_context(|| {
            format!(
                "{} is a symbolic link to a file that cannot be reached: fix the link, or remove it to have a new file written",
                path.display()
            )
        }),
        _ => Ok(path.to_owned()),
    }
}

/// Writes the profile file atomically (a temporary file beside it, renamed over it), readable
/// only by its owner. When the path is a symbolic link, its target is written and the link
/// kept.
pub fn write_profiles(path: &Path, profiles: &Profiles) -> anyhow::Result<()> {
    let text = toml::to_string_pretty(profiles).context("serializing the profiles")?;
    write_private(&profile_target(path)?, text.as_bytes())
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, renamed over it), readable
/// only by its owner (mode 0600): the profile file.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    PrivateFile::reserve(path)?.finish(bytes, true)
}

/// A private file being written: its temporary file (mode 0600, created with `create_new` in
/// the destination's directory) exists from [`PrivateFile::reserve`] on, so a destination that
/// cannot be written is found before anything else is done; [`PrivateFile::finish`] writes,
/// syncs and renames it into place. Dropped unfinished, the temporary file is removed.
#[derive(Debug)]
pub struct PrivateFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::fs::File>,
}

impl PrivateFile {
    /// Creates the temporary file beside `path` (and `path`'s directory when missing).
    pub fn reserve(path: &Path) -> anyhow::Result<PrivateFile> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        // a stale temporary file of an earlier run would keep its mode: start afresh
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&tmp).with_context(|| {
            format!(
                "cannot write {}: creating {}",
                path.display(),
                tmp.display()
            )
        })?;
        Ok(PrivateFile {
            path: path.to_owned(),
            tmp,
            file: Some(file),
        })
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes`, syncs them and renames the temporary file to the destination: over an
    /// existing file when `replace`, else only when the destination does not exist (checked
    /// again now).
    pub fn finish(mut self, bytes: &[u8], replace: bool) -> anyhow::Result<()> {
        use std::io::Write as _;
        let mut file = self
            .file
            .take()
            .with_context(|| format!("{} was already written", self.path.display()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", self.tmp.display()))?;
        drop(file);
        if !replace && std::fs::symlink_metadata(&self.path).is_ok() {
            bail!(
                "{} appeared while the credentials were made: it is not written over",
                self.path.display()
            );
        }
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("replacing {}", self.path.display()))?;
        Ok(())
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        // finished: renamed away, nothing to remove; else the unused temporary file goes
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// A resolved endpoint with credentials.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `http://host:port`.
    pub endpoint: String,
    /// The signing credentials.
    pub credentials: Credentials,
    /// The project id, when a source gave one.
    pub project_id: Option<String>,
    /// Where the credentials came from, for messages (`key file …`, `profile …`, `environment`).
    pub source: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl ConnArgs {
    /// Resolves the connection (see the module documentation for the order of sources).
    pub fn resolve(&self) -> anyhow::Result<Connection> {
        let from_env = match (var(env::AK), var(env::SK)) {
            (Some(ak), Some(sk)) => Some((
                Credentials {
                    access_key_id: ak,
                    secret_access_key: SecretString::from(sk),
                    security_token: var(env::SECURITY_TOKEN).map(SecretString::from),
                },
                None,
                format!("environment ({}, {})", env::AK, env::SK),
            )),
            (Some(_), None) | (None, Some(_)) => bail!(
                "only one of {} and {} is set: set both, or neither",
                env::AK,
                env::SK
            ),
            (None, None) => None,
        };
        let named_profile = self.profile.clone().or_else(|| var(env::PROFILE));
        // The profile file is read only when a profile can matter: one is named, or the default
        // profile may give the credentials (a broken or absent file never stands in the way of
        // --key-file or the environment).
        let profile = if named_profile.is_some() || (self.key_file.is_none() && from_env.is_none())
        {
            let profiles_file = profiles_path();
            let profiles = match &profiles_file {
                Ok(path) => read_profiles(path)?,
                Err(_) => Profiles::new(),
            };
            match &named_profile {
                Some(name) => match profiles.get(name) {
                    Some(p) => Some((name.clone(), p.clone())),
                    None => {
                        let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
                        bail!(
                            "profile `{name}` is not in {} ({}); create it with `modelarts-iam configure --profile {name}`",
                            profiles_file
                                .as_ref()
                                .map(|p| p.display().to_string())
                                .unwrap_or_else(|_| "the profile file".to_owned()),
                            if known.is_empty() {
                                "it has no profiles".to_owned()
                            } else {
                                format!("it has: {}", known.join(", "))
                            }
                        )
                    }
                },
                None => profiles
                    .get(DEFAULT_PROFILE)
                    .map(|p| (DEFAULT_PROFILE.to_owned(), p.clone())),
            }
        } else {
            None
        };
        let from_profile = |(name, p): &(String, Profile)| {
            (
                Credentials {
                    access_key_id: p.access_key_id.clone(),
                    secret_access_key: SecretString::from(p.secret_access_key.clone()),
                    security_token: p.security_token.clone().map(SecretString::from),
                },
                p.project_id.clone(),
                format!("profile `{name}`"),
            )
        };
        let from_file = |path: &Path| -> anyhow::Result<_> {
            let file = crate::client::read_key_file(path)?;
            Ok((
                file.credentials,
                file.project_id,
                format!("key file {}", path.display()),
            ))
        };
        let (credentials, project, source) = if let Some(path) = &self.key_file {
            from_file(path)?
        } else if let (Some(_), Some(p)) = (&self.profile, &profile) {
            from_profile(p)
        } else if let Some(found) = from_env {
            found
        } else if let Some(p) = &profile {
            from_profile(p)
        } else if Path::new(DEFAULT_KEY_FILE).is_file() {
            from_file(Path::new(DEFAULT_KEY_FILE))?
        } else {
            bail!(
                "no credentials: run `modelarts-iam configure`, set {} and {}, or pass --key-file (the root key file `serve` wrote on first start: {DEFAULT_KEY_FILE})",
                env::AK,
                env::SK
            );
        };
        // `profile` is a named profile, or the default profile that gave the credentials
        let endpoint = self
            .endpoint
            .clone()
            .or_else(|| var(env::ENDPOINT))
            .or_else(|| profile.as_ref().and_then(|(_, p)| p.endpoint.clone()))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let project_id = self
            .project
            .clone()
            .or_else(|| var(env::PROJECT_ID))
            .or(project)
            .or_else(|| profile.as_ref().and_then(|(_, p)| p.project_id.clone()));
        Ok(Connection {
            endpoint,
            credentials,
            project_id,
            source,
        })
    }
}

/// A refused or failed call, with what the server said.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The request never got an answer, or the answer was not JSON.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The server answered with an error status.
    #[error("{method} {path}: HTTP {status} {code}: {message}{}", hint(*status, code, message))]
    Api {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// Huawei's `error_code` (empty when the answer had none).
        code: String,
        /// Huawei's `error_msg`, or the body when it had none.
        message: String,
        /// The whole answer (an invalid policy document's `findings` are in it).
        body: Value,
    },
}

/// What to do about an API error, for people (docs/cli.md, "Errors and exit codes").
/// The hint depends on the message where one status has several causes (a 409 of a protected
/// entity is not a name conflict).
pub(crate) fn hint(status: u16, code: &str, message: &str) -> &'static str {
    match (status, code) {
        (401, _) => {
            "\n  hint: the server does not accept these credentials: check the access key id and secret key, and for temporary credentials the security token and that they have not expired (`modelarts-iam configure --list` shows the profiles)"
        }
        (403, "IAM.0003") => {
            "\n  hint: the caller is not allowed this call: ask an administrator to allow the action named above (an identity policy attached to your user or one of its groups), or call with other credentials (--profile, --key-file); `modelarts-iam caller-identity` shows who is calling"
        }
        (403, _) => {
            "\n  hint: the server refuses this caller; `modelarts-iam caller-identity` shows who is calling"
        }
        (404, "APIGW.0101") => {
            "\n  hint: the server does not serve this API: is the endpoint a modelarts-iam server of this version?"
        }
        (404, _) => {
            "\n  hint: no such entity in the caller's account (ids are case-sensitive; the `list` command of its kind shows them)"
        }
        (409, _) if message.contains("root user") => {
            "\n  hint: the account's root user is permanent: it cannot be deleted, renamed or disabled"
        }
        (409, _) if message.contains("cannot be") => {
            "\n  hint: the server protects this entity: this change is not possible"
        }
        (409, _) => {
            "\n  hint: the name is taken (also by a name differing only in letter case), or the entity is still in use: detach or remove what uses it first"
        }
        _ => "",
    }
}

impl Connection {
    /// The project id, or an error saying how to give one.
    pub fn project(&self) -> anyhow::Result<&str> {
        self.project_id.as_deref().with_context(|| {
            format!(
                "no project id: pass --project, set {}, or add project_id to the profile (credentials from {})",
                env::PROJECT_ID,
                self.source
            )
        })
    }

    /// Sends one signed call; returns the status and the JSON body (`null` when empty).
    pub async fn send(&self, call: Call<'_>) -> Result<(u16, Value), ClientError> {
        crate::client::send(&self.endpoint, &self.credentials, call).await
    }

    /// Sends one signed call and returns the body of a 2xx answer; any other status is a
    /// [`CallError::Api`] with the server's `error_code` and `error_msg`.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, CallError> {
        let (status, value) = self
            .send(Call {
                method,
                path,
                query,
                body,
            })
            .await?;
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        Err(CallError::Api {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            code: text("error_code").unwrap_or_default(),
            message: text("error_msg").unwrap_or_else(|| value.to_string()),
            body: value,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn profiles_round_trip_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/profiles.toml");
        let mut profiles = Profiles::new();
        profiles.insert(
            "default".to_owned(),
            Profile {
                endpoint: Some("http://127.0.0.1:9".to_owned()),
                access_key_id: "AK".to_owned(),
                secret_access_key: "SK".to_owned(),
                security_token: Some("T".to_owned()),
                project_id: None,
            },
        );
        write_profiles(&path, &profiles).unwrap();
        assert_eq!(read_profiles(&path).unwrap(), profiles);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            read_profiles(&dir.path().join("absent.toml"))
                .unwrap()
                .is_empty()
        );
        std::fs::write(&path, "[default]\naccess_key_id = 1\n").unwrap();
        assert!(read_profiles(&path).is_err());
    }
}
