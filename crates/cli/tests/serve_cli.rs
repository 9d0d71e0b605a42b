//! `modelarts-iam serve` starts: it binds before it creates anything, `--demo` can be given on
//! any start (loaded once, its commands printed every time), and the ops listener.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::{BIN, start};

/// `GET path` over plain HTTP/1.1 without any signature: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn address_after<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line `{prefix}…` in {lines:#?}"))
        .trim_start_matches("http://")
}

#[test]
fn a_start_that_cannot_bind_creates_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = Command::new(BIN)
        .args(["serve", "--listen", &addr, "--demo", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("binding {addr}")), "{stderr}");
    assert!(!data.exists(), "a failed start created the data directory");
}

#[test]
fn demo_is_loaded_once_and_shown_on_every_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key_line = format!(
        "Root access key: {}",
        data.join("root-access-key.json").display()
    );
    let principals = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.contains(" authorize "))
            .map(|l| l.split("--principal").nth(1).unwrap().to_owned())
            .collect()
    };
    // the start that creates the account loads the demo
    let first = start(&data, &["--demo"]);
    assert!(first.lines.iter().any(|l| l.starts_with("First start")));
    let loaded = principals(&first.lines);
    assert_eq!(loaded.len(), 3, "{:#?}", first.lines);
    drop(first);
    // a later start with --demo shows the key and the same demo (nothing created twice)
    let again = start(&data, &["--demo"]);
    assert!(again.lines.contains(&key_line), "{:#?}", again.lines);
    assert_eq!(principals(&again.lines), loaded);
    // the printed commands work against this server
    let endpoint = address_after(&again.lines, "modelarts-iam listening on ");
    let line = again
        .lines
        .iter()
        .find(|l| l.contains(" authorize "))
        .unwrap();
    let mut words = line.split_whitespace();
    let _exe = words.next();
    let args: Vec<String> = words
        .map(|w| {
            if w.starts_with("http://") {
                format!("http://{endpoint}")
            } else {
                w.to_owned()
            }
        })
        .collect();
    let out = Command::new(BIN).args(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn demo_is_never_loaded_into_an_account_created_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(start(&data, &[]));
    let later = start(&data, &["--demo"]);
    assert!(
        later.lines.iter().any(|l| l.starts_with("--demo ignored")),
        "{:#?}",
        later.lines
    );
    assert!(!later.lines.iter().any(|l| l.contains(" authorize ")));
    // and no demo user exists
    let endpoint = address_after(&later.lines, "modelarts-iam listening on ");
    let out = Command::new(BIN)
        .args(["user", "show", "alice", "--endpoint"])
        .arg(format!("http://{endpoint}"))
        .arg("--key-file")
        .arg(data.join("root-access-key.json"))
        .env("MODELARTS_IAM_PROFILES_FILE", dir.path().join("none.toml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_ops_listener_serves_probes_and_metrics_without_a_signature() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("data"), &["--ops-listen", "127.0.0.1:0"]);
    let ops = address_after(&s.lines, "operations endpoints (no signature) on ").to_owned();
    let main = address_after(&s.lines, "modelarts-iam listening on ").to_owned();
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let (status, body) = get(&ops, path);
        assert_eq!(status, 200, "{path} on the ops listener: {body}");
    }
    let (status, body) = get(&ops, "/readyz");
    assert!(body.contains(r#""status":"ready""#), "{status} {body}");
    let (status, _) = get(&ops, "/v5/users");
    assert_eq!(
        status, 404,
        "the ops listener serves only the operations endpoints"
    );
    for path in ["/metrics", "/openapi.json", "/v5/users"] {
        let (status, body) = get(&main, path);
        assert_eq!(status, 401, "{path} unsigned on the main listener: {body}");
    }
    assert_eq!(get(&main, "/readyz").0, 200);
}
