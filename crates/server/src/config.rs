//! Server settings, layered: built-in defaults, then a TOML file (`--config`), then environment
//! variables `MODELARTS_IAM_<SETTING>` (`MODELARTS_IAM_LISTEN=127.0.0.1:9000`), then command-line
//! flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Prefix of the environment variables read as settings.
pub const ENV_PREFIX: &str = "MODELARTS_IAM_";

/// Variables with the prefix that belong to the CLI's client commands (`MODELARTS_IAM_ENDPOINT`,
/// `_PROFILE`, `_PROFILES_FILE`), not to `serve`: ignored here so that a shell set up for the
/// client commands can still start the server.
const CLI_VARIABLES: &[&str] = &["endpoint", "profile", "profiles_file"];

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "unknown log format `{other}` (expected `text` or `json`)"
            )),
        }
    }
}

/// Every setting of `modelarts-iam serve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (loopback by default).
    pub listen: SocketAddr,
    /// Directory holding the database, the master key and the root access key file.
    pub data_dir: PathBuf,
    /// Log line format.
    pub log_format: LogFormat,
    /// Load the demo organization on first start.
    pub demo: bool,
    /// Region name used in resource URNs and project ids.
    pub region: String,
    /// Base64 of the 32-byte master key that encrypts secret access keys at rest
    /// (`MODELARTS_IAM_MASTER_KEY`); absent: `<data_dir>/master.key`, generated on first start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_key: Option<Secret>,
    /// ModelArts upstream (`http://host:port[/prefix]`): when set, ModelArts API calls are
    /// enforced and forwarded there (the gateway's proxy mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// A second listener serving only `/healthz`, `/readyz`, `/metrics` and `/openapi.json`,
    /// without a signature (for probes and Prometheus; keep it off public networks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_listen: Option<SocketAddr>,
    /// PostgreSQL URL (`postgres://user:password@host:port/database`) of a store shared by
    /// replicas; absent: the embedded SQLite store in `data_dir` (docs/deploy.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<Secret>,
}

/// A setting that is never printed (`Debug` shows `[redacted]`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("modelarts-iam-data"),
            log_format: LogFormat::Text,
            demo: false,
            region: "cn-north-4".to_owned(),
            master_key: None,
            upstream: None,
            ops_listen: None,
            database: None,
        }
    }
}

/// Settings given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--log-format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// `--demo` (only `Some(true)` when given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
    /// `--upstream`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// `--ops-listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops_listen: Option<SocketAddr>,
    /// `--database`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<Secret>,
}

impl Config {
    /// Layers defaults, the optional file, `MODELARTS_IAM_*` variables and the flags.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(Box::new(figment::Error::from(format!(
                    "config file `{}` does not exist",
                    file.display()
                ))));
            }
            fig = fig.merge(Toml::file(file));
        }
        fig = fig
            .merge(Env::prefixed(ENV_PREFIX).ignore(CLI_VARIABLES))
            .merge(Serialized::defaults(overrides));
        fig.extract().map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API returns its own error type"
    )]
    fn layers_file_env_and_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "iam.toml",
                "listen = \"127.0.0.1:9001\"\nlog_format = \"json\"\n",
            )?;
            jail.set_env("MODELARTS_IAM_DATA_DIR", "/tmp/from-env");
            let c = Config::load(Some(Path::new("iam.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9001);
            assert_eq!(c.log_format, LogFormat::Json);
            assert_eq!(c.data_dir, PathBuf::from("/tmp/from-env"));
            let o = Overrides {
                listen: Some(SocketAddr::from(([127, 0, 0, 1], 9002))),
                ..Default::default()
            };
            let c = Config::load(Some(Path::new("iam.toml")), &o).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9002);
            jail.create_file("bad.toml", "lissen = 1\n")?;
            assert!(Config::load(Some(Path::new("bad.toml")), &Overrides::default()).is_err());
            // the CLI client's variables share the prefix and are not server settings
            jail.set_env("MODELARTS_IAM_ENDPOINT", "http://127.0.0.1:1");
            jail.set_env("MODELARTS_IAM_PROFILE", "ci");
            jail.set_env("MODELARTS_IAM_MASTER_KEY", "c2VjcmV0");
            let c = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(c.master_key, Some(Secret("c2VjcmV0".to_owned())));
            assert!(
                !format!("{c:?}").contains("c2VjcmV0"),
                "the key is never printed"
            );
            Ok(())
        });
    }
}
