//! Shared by the tests that start `modelarts-iam serve --demo` on a free loopback port and call
//! it with the CLI: the server process, and running the CLI in an environment of the test's own
//! (none of the caller's `HUAWEICLOUD_SDK_*`/`MODELARTS_IAM_*` variables, no home profile file).

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: each test file uses a part; tests fail loudly"
)]

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_modelarts-iam");

/// The variables of the CLI's connection (crates/cli/src/connection.rs); never inherited.
const CONNECTION_VARS: &[&str] = &[
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "MODELARTS_IAM_ENDPOINT",
    "MODELARTS_IAM_PROFILE",
    "MODELARTS_IAM_PROFILES_FILE",
];

/// The server process, killed when dropped (also when a test fails).
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The data directory.
    pub data: PathBuf,
    /// The three `authorize` command lines the demo prints (allow, explicit deny, SCP deny).
    pub demo_commands: Vec<String>,
    /// Every line it printed until it listened.
    pub lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The root access key file the first start wrote.
    pub fn root_key(&self) -> PathBuf {
        self.data.join("root-access-key.json")
    }

    /// [`Server::root_key`] as text, for command lines.
    pub fn key(&self) -> String {
        self.root_key().to_str().unwrap().to_owned()
    }
}

/// Starts `serve --demo` on 127.0.0.1 with a port the system picks; waits until it listens.
pub fn serve(data_dir: &Path) -> Server {
    start(data_dir, &["--demo"])
}

/// Starts `serve ARGS` on 127.0.0.1 with a port the system picks; waits until it listens.
pub fn start(data_dir: &Path, args: &[&str]) -> Server {
    let mut command = Command::new(BIN);
    for var in CONNECTION_VARS {
        command.env_remove(var);
    }
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut server = Server {
        child,
        endpoint: String::new(),
        data: data_dir.to_owned(),
        demo_commands: Vec::new(),
        lines: Vec::new(),
    };
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!(
                    "the server did not print `listening on` in time; it printed {:#?}",
                    server.lines
                )
            });
        server.lines.push(line.clone());
        if line.trim_start().starts_with(BIN) {
            server.demo_commands.push(line.trim().to_owned());
        }
        if let Some(endpoint) = line.strip_prefix("modelarts-iam listening on ") {
            server.endpoint = endpoint.trim().to_owned();
            return server;
        }
    }
}

/// What a run printed, and its exit code.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

/// The CLI run in a directory with an environment of its own.
#[derive(Debug, Clone)]
pub struct Cli {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Cli {
    /// Runs in `dir`, with the profile file `dir/profiles.toml` and nothing else set.
    pub fn new(dir: &Path) -> Cli {
        Cli {
            dir: dir.to_owned(),
            env: vec![(
                "MODELARTS_IAM_PROFILES_FILE".to_owned(),
                dir.join("profiles.toml").display().to_string(),
            )],
        }
    }

    /// The same, with one more variable.
    pub fn with(&self, name: &str, value: &str) -> Cli {
        let mut cli = self.clone();
        cli.env.retain(|(n, _)| n != name);
        cli.env.push((name.to_owned(), value.to_owned()));
        cli
    }

    /// Runs the CLI.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_input(args, None)
    }

    /// Runs the CLI with `input` on standard input (`None`: none).
    pub fn run_input(&self, args: &[&str], input: Option<&str>) -> Out {
        let mut command = Command::new(BIN);
        for var in CONNECTION_VARS {
            command.env_remove(var);
        }
        command.envs(self.env.iter().map(|(n, v)| (n, v)));
        command.args(args).current_dir(&self.dir);
        let out = match input {
            None => command.stdin(Stdio::null()).output().unwrap(),
            Some(text) => {
                let mut child = command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let mut stdin = child.stdin.take().unwrap();
                let text = text.to_owned();
                // written beside the wait, so a large input cannot block on a full pipe
                let writer = std::thread::spawn(move || {
                    use std::io::Write as _;
                    let _ = stdin.write_all(text.as_bytes());
                });
                let out = child.wait_with_output().unwrap();
                writer.join().unwrap();
                out
            }
        };
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Runs the CLI and asserts exit code 0.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(out.code, 0, "{args:?}\n{}\n{}", out.stdout, out.stderr);
        out
    }

    /// Runs the CLI with `--json`, asserts exit code 0, and parses standard output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        self.ok(&args).json()
    }
}
