//! `copy::copy_store` (what `modelarts-iam migrate` runs): an embedded store copied into an
//! empty PostgreSQL one keeps every row, byte for byte, and the copy works as a store.
//! The PostgreSQL tests (`postgres::*`) need `MODELARTS_IAM_TEST_POSTGRES` (see `testing`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::{pol, user};
use iam_store::copy::{TABLES, copy_store};
use iam_store::*;
use secrecy::ExposeSecret as _;

/// The copy's table list names every table of the schema, and only those.
#[tokio::test]
async fn the_copy_names_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(
        dir.path(),
        StoreOptions {
            master_key: Some(MasterKey::generate().unwrap()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let db = dir.path().join(DB_FILE);
    s.close().await;
    let conn = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             print('\\n'.join(sorted(r[0] for r in c.execute(\"SELECT name FROM sqlite_master \
             WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'\"))))",
        )
        .arg(&db)
        .output()
        .unwrap();
    assert!(conn.status.success(), "{conn:?}");
    let actual: Vec<String> = String::from_utf8(conn.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut listed: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    listed.sort();
    assert_eq!(listed, actual);
}

mod postgres {
    use super::*;

    async fn target(key: &MasterKey) -> Option<Store> {
        let server = testing::postgres_server_or_skip()?;
        let url = testing::fresh_postgres_database(&server).await.unwrap();
        Some(
            Store::open_postgres(
                &url,
                StoreOptions {
                    master_key: Some(key.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
        )
    }

    #[tokio::test]
    async fn an_embedded_store_copied_into_postgres_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::generate().unwrap();
        let src = Store::open(
            dir.path(),
            StoreOptions {
                master_key: Some(key.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let (a, root, _) = src
            .bootstrap_account("acme", "cn-north-4", Some("p1"))
            .await
            .unwrap();
        let alice = src.create_user(&a.id, &user("alice")).await.unwrap();
        let k = src.create_access_key(&alice.id).await.unwrap();
        let p = src.create_policy(&a.id, &pol("all")).await.unwrap();
        src.attach_policy(&p.id, PrincipalType::User, &alice.id)
            .await
            .unwrap();
        let entries: Vec<NewDecision> = (0..450)
            .map(|i| NewDecision {
                action: format!("modelarts:notebook:get{i}"),
                decision: "allow".into(),
                principal_urn: Some(alice.urn.clone()),
                extra: (i % 3 == 0).then(|| "{\"x\":1}".to_owned()),
                ..Default::default()
            })
            .collect();
        src.append_decisions(&entries).await.unwrap();
        let revision = src.revision().await.unwrap();

        let Some(dst) = target(&key).await else {
            return;
        };
        let report = copy_store(&src, &dst).await.unwrap();
        assert_eq!(report.len(), TABLES.len());
        for t in &report {
            assert!(t.matches(), "{t:?}");
        }
        let log = report.iter().find(|t| t.table == "decision_log").unwrap();
        assert_eq!(log.target_rows, 450);
        // the copy works as a store: same revision, same entities, secrets readable with the key
        assert_eq!(dst.revision().await.unwrap(), revision);
        assert_eq!(dst.get_user(&alice.id).await.unwrap(), alice);
        let (_, secret) = dst
            .secret_for_access_key(&k.access_key.access_key_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(secret.expose_secret(), k.secret_access_key.expose_secret());
        assert_eq!(dst.get_user(&root.id).await.unwrap().name, root.name);
        // new rows go on after the copied ones
        let next = dst
            .append_decision(&NewDecision {
                action: "modelarts:notebook:list".into(),
                decision: "allow".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(next > 450, "{next}");
        // a second copy into the same (now full) database is refused and changes nothing
        let again = copy_store(&src, &dst).await;
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
        assert_eq!(dst.revision().await.unwrap(), revision);
    }
}
