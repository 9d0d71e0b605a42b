//! kill -9 durability: a child process (this test binary, re-executed) writes and prints
//! `ACK <id>` after each acknowledged write; the parent SIGKILLs it and checks every ACKed
//! write survived. A plain `main` (`harness = false`): the same binary is the parent, or the
//! child when `IAM_STORE_DURABILITY_CHILD_DIR` names the data directory.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use iam_store::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const CHILD_ENV: &str = "IAM_STORE_DURABILITY_CHILD_DIR";

fn opts(dir: &std::path::Path) -> Result<StoreOptions> {
    let key = MasterKey::load_or_create(dir)?;
    Ok(StoreOptions {
        master_key: Some(key),
        ..Default::default()
    })
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match std::env::var(CHILD_ENV) {
        Ok(dir) => rt.block_on(durability_child(std::path::PathBuf::from(dir))),
        Err(_) => rt.block_on(kill_9_keeps_acked_writes()),
    }
}

/// The child half: writes until killed, printing `ACK` after each acknowledged write.
async fn durability_child(dir: std::path::PathBuf) {
    let s = Store::open(&dir, opts(&dir).unwrap()).await.unwrap();
    let acct = s.get_account_by_name("acme").await.unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0..100_000 {
        let u = s
            .create_user(
                &acct.id,
                &NewUser {
                    name: format!("user{i}"),
                    enabled: true,
                    description: String::new(),
                },
            )
            .await
            .unwrap();
        writeln!(out, "ACK user {}", u.id).unwrap();
        let k = s.create_access_key(&u.id).await.unwrap();
        writeln!(out, "ACK key {}", k.access_key.access_key_id).unwrap();
        let d = s
            .append_decision(&NewDecision {
                action: "a:b:c".into(),
                decision: "allow".into(),
                request_id: Some(u.id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        writeln!(out, "ACK decision {d}").unwrap();
        out.flush().unwrap();
    }
}

async fn kill_9_keeps_acked_writes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path(), opts(dir.path()).unwrap())
            .await
            .unwrap();
        s.bootstrap_account("acme", "cn-north-4", None)
            .await
            .unwrap();
        s.close().await;
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acks = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ACK ") {
            let mut it = rest.splitn(2, ' ');
            acks.push((it.next().unwrap().to_owned(), it.next().unwrap().to_owned()));
            if acks.len() >= 150 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(
        acks.len() >= 150,
        "child acknowledged only {} writes",
        acks.len()
    );

    let s = Store::open(dir.path(), opts(dir.path()).unwrap())
        .await
        .unwrap();
    s.check_integrity().await.unwrap();
    let acct = s.get_account_by_name("acme").await.unwrap();
    let users = s
        .list_users(&acct.id, None, &PageRequest::first(200))
        .await
        .unwrap();
    let decisions = s
        .list_decisions(&DecisionFilter::default(), &PageRequest::first(200))
        .await
        .unwrap();
    for (kind, id) in &acks {
        match kind.as_str() {
            "user" => {
                s.get_user(id)
                    .await
                    .unwrap_or_else(|e| panic!("acked user {id} lost: {e}"));
            }
            "key" => {
                let (k, _secret) = s
                    .secret_for_access_key(id)
                    .await
                    .unwrap()
                    .expect("acked key lost");
                assert_eq!(&k.access_key_id, id);
            }
            "decision" => {
                let n: i64 = id.parse().unwrap();
                assert!(
                    decisions.items.iter().any(|d| d.id == n),
                    "acked decision {n} lost"
                );
            }
            other => panic!("unexpected ack kind {other}"),
        }
    }
    let acked_users = acks.iter().filter(|(k, _)| k == "user").count();
    assert!(
        users.items.len() > acked_users,
        "root + every acked user present"
    );
    // every key belongs to an existing user and the state loads
    let st = s.load_state().await.unwrap();
    assert!(
        st.access_keys
            .iter()
            .all(|k| st.users.iter().any(|u| u.id == k.user_id))
    );
    eprintln!(
        "durability: {} acked writes ({} users) all present after SIGKILL; revision {}",
        acks.len(),
        acked_users,
        st.revision
    );
}
