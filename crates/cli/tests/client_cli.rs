//! The commands that call a running server with signed requests (`authorize`, `log --endpoint`),
//! against `modelarts-iam serve --demo` started by the test on a free loopback port.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{Out, serve};

fn run(args: &[&str]) -> Out {
    let dir = std::env::temp_dir();
    common::Cli::new(&dir)
        .with("MODELARTS_IAM_PROFILES_FILE", "/nonexistent/profiles.toml")
        .run(args)
}

fn json(out: &Out) -> serde_json::Value {
    out.json()
}

#[test]
fn authorize_and_log_call_a_running_server_with_signed_requests() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = serve(&data);
    let key = data.join("root-access-key.json");
    let key = key.to_str().unwrap();

    // The demo's three commands, as printed: allow (0), explicit deny (2), SCP deny (2).
    assert_eq!(server.demo_commands.len(), 3, "{:?}", server.demo_commands);
    let expected = [
        (0, "allow", "modelarts:notebook:create"),
        (2, "explicit_deny", "modelarts:notebook:delete"),
        (2, "explicit_deny", "modelarts:trainJob:create"),
    ];
    for (line, (code, decision, action)) in server.demo_commands.iter().zip(expected) {
        let mut args: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert!(args.contains(&server.endpoint.as_str()), "{line}");
        // as printed: the decision and its explanation, for people
        let out = run(&args);
        assert_eq!(out.code, code, "{line}\n{}\n{}", out.stdout, out.stderr);
        let head = out.stdout.lines().next().unwrap_or_default();
        let word = if code == 0 {
            "ALLOW"
        } else {
            "DENY (explicit)"
        };
        assert!(
            head.starts_with(word) && head.contains(action),
            "{line}\n{}",
            out.stdout
        );
        let why = if code == 0 {
            "allowed by: "
        } else {
            "cause: explicit Deny"
        };
        assert!(out.stdout.contains(why), "{line}\n{}", out.stdout);
        // --json: the server's answer
        args.push("--json");
        let out = run(&args);
        assert_eq!(out.code, code, "{line}\n{}\n{}", out.stdout, out.stderr);
        let answer = json(&out);
        assert_eq!(answer["decision"], decision, "{answer}");
        assert_eq!(answer["action"], action, "{answer}");
        assert_eq!(answer["allowed"], code == 0, "{answer}");
    }

    // A request with context entries: the signed JSON body reaches the server as sent.
    let alice = server.demo_commands[0]
        .split_whitespace()
        .skip_while(|a| *a != "--principal")
        .nth(1)
        .unwrap()
        .to_owned();
    let out = run(&[
        "authorize",
        "--endpoint",
        &server.endpoint,
        "--key-file",
        key,
        "--principal",
        &alice,
        "--action",
        "modelarts:notebook:create",
        "--resource",
        "modelarts:cn-north-4:123:notebook:nb-1",
        "--context",
        "g:SourceIp=10.0.0.1",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        json(&out)["resource"],
        "modelarts:cn-north-4:123:notebook:nb-1"
    );

    // `log --endpoint`: a signed GET whose filters travel in the query string. Two entries are
    // written into the server's store beside it (the log holds enforced requests: gateway, STS).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = iam_store::Store::open(&data, iam_store::StoreOptions::default())
            .await
            .unwrap();
        for (action, decision) in [
            ("modelarts:notebook:create", "allow"),
            ("modelarts:notebook:delete", "explicit_deny"),
        ] {
            store
                .append_decision(&iam_store::NewDecision {
                    principal_urn: Some(alice.clone()),
                    action: action.to_owned(),
                    decision: decision.to_owned(),
                    ..iam_store::NewDecision::default()
                })
                .await
                .unwrap();
        }
        store.close().await;
    });
    let log = |filters: &[&str]| {
        let mut args = vec!["log", "--endpoint", &server.endpoint, "--key-file", key];
        args.extend_from_slice(filters);
        args.push("--json");
        let out = run(&args);
        assert_eq!(out.code, 0, "{filters:?}: {}\n{}", out.stdout, out.stderr);
        let actions: Vec<String> = json(&out)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        actions
    };
    assert_eq!(
        log(&[]),
        ["modelarts:notebook:delete", "modelarts:notebook:create"]
    );
    assert_eq!(
        log(&["--decision", "allow", "--since", "2020-01-01T00:00:00Z"]),
        ["modelarts:notebook:create"]
    );
    assert_eq!(
        log(&[
            "--principal",
            &alice,
            "--action",
            "modelarts:notebook:delete"
        ]),
        ["modelarts:notebook:delete"]
    );
    assert_eq!(log(&["--limit", "1"]), ["modelarts:notebook:delete"]);
    assert!(log(&["--until", "2020-01-01T00:00:00Z"]).is_empty());
    // an unknown decision is refused before asking the server (the values are checked)
    let out = run(&[
        "log",
        "--endpoint",
        &server.endpoint,
        "--key-file",
        key,
        "--decision",
        "maybe",
    ]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("invalid value 'maybe'"),
        "{}",
        out.stderr
    );
    // `deny` is every deny, and relative times are sent as RFC 3339 times
    assert_eq!(
        log(&["--decision", "deny", "--since", "1h"]),
        ["modelarts:notebook:delete"]
    );

    // A key the server does not know: its 401 in Huawei's shape is printed, exit code 1.
    let unknown = dir.path().join("unknown-key.json");
    std::fs::write(
        &unknown,
        r#"{"access_key_id": "NOSUCHKEY0000000", "secret_access_key": "secret"}"#,
    )
    .unwrap();
    let unknown = unknown.to_str().unwrap();
    let out = run(&[
        "authorize",
        "--endpoint",
        &server.endpoint,
        "--key-file",
        unknown,
        "--principal",
        &alice,
        "--action",
        "modelarts:notebook:create",
    ]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("HTTP 401 APIGW.0301"), "{}", out.stderr);
    let out = run(&["log", "--endpoint", &server.endpoint, "--key-file", unknown]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("the server answered 401: APIGW.0301"),
        "{}",
        out.stderr
    );
}

#[test]
fn client_errors_exit_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    std::fs::write(
        &key,
        r#"{"access_key_id": "AK", "secret_access_key": "SK"}"#,
    )
    .unwrap();
    let key = key.to_str().unwrap();
    let authorize = |endpoint: &str, key: &str| {
        run(&[
            "authorize",
            "--endpoint",
            endpoint,
            "--key-file",
            key,
            "--principal",
            "iam::1:user:u",
            "--action",
            "modelarts:notebook:create",
        ])
    };

    let out = authorize("https://127.0.0.1:8080", key);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("must look like http://"),
        "{}",
        out.stderr
    );
    let out = authorize("http://127.0.0.1:8080/v1", key);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("must look like http://"),
        "{}",
        out.stderr
    );

    // nothing listens there: a port that was just free
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = authorize(&format!("http://127.0.0.1:{port}"), key);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("connection: "), "{}", out.stderr);

    let missing = dir.path().join("missing.json");
    let out = authorize("http://127.0.0.1:8080", missing.to_str().unwrap());
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("key file "), "{}", out.stderr);
    let incomplete = dir.path().join("incomplete.json");
    std::fs::write(&incomplete, r#"{"access_key_id": "AK"}"#).unwrap();
    let out = authorize("http://127.0.0.1:8080", incomplete.to_str().unwrap());
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("`access_key_id` and `secret_access_key` are required"),
        "{}",
        out.stderr
    );
}
