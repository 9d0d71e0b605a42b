//! Helpers of the declarative-configuration tests (the server comes from `tests/common`):
//! running the binary, and signed API calls (to set up what the configuration does not manage:
//! access keys).

use std::io::{Read as _, Write as _};
use std::process::Command;

use serde_json::Value;

pub use crate::common::{BIN, Server, serve};

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary with `args`, then `--endpoint` and `--key-file` of `server` and `key`.
pub fn run(server: &Server, key: &str, args: &[&str]) -> Out {
    let out = Command::new(BIN)
        .args(args)
        .args(["--endpoint", &server.endpoint, "--key-file", key])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// One signed call (plain HTTP/1.1, the body JSON); the status and the JSON answer.
pub fn call(
    server: &Server,
    (ak, sk): (&str, &str),
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let host = server.endpoint.strip_prefix("http://").unwrap();
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = [("Host", host), ("Content-Type", "application/json")];
    let signed = iam_signing::Signer::new(ak, iam_signing::SecretString::from(sk.to_owned()))
        .sign(
            &iam_signing::OutgoingRequest {
                method,
                path,
                query: &[],
                headers: &headers,
                body: payload.as_bytes(),
            },
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (n, v) in headers {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    for (n, v) in &signed.headers {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    ));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The root key's id and secret.
pub fn root_key(server: &Server) -> (String, String) {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(server.root_key()).unwrap()).unwrap();
    (
        v["access_key_id"].as_str().unwrap().to_owned(),
        v["secret_access_key"].as_str().unwrap().to_owned(),
    )
}
