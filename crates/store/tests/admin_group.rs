//! The account's built-in `admin` group (finding 6), look-alike names (finding 10) and the
//! migration of data directories written before both.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use iam_store::names::NameKind;
mod common;

use common::{pol, user};
use iam_store::*;

fn agency(name: &str) -> NewAgency {
    NewAgency {
        name: name.into(),
        path: String::new(),
        trust_policy: "{}".into(),
        max_session_duration: None,
        description: String::new(),
    }
}

fn conflict_detail(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(StoreError::Conflict { detail, .. }) => detail,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn every_account_has_a_system_admin_group_with_its_root_user() {
    let s = testing::store().await.unwrap();
    let (a, root, _) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    let admin = s.admin_group(&a.id).await.unwrap();
    assert_eq!((admin.name.as_str(), admin.is_system), (ADMIN_GROUP, true));
    let members = s
        .list_users(&a.id, Some(&admin.id), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(members.items.len(), 1);
    assert_eq!(members.items[0].id, root.id);
    assert!(s.is_tenant_admin(&a.id, &root.id).await.unwrap());

    let bob = s.create_user(&a.id, &user("bob")).await.unwrap();
    assert!(!s.is_tenant_admin(&a.id, &bob.id).await.unwrap());
    s.add_user_to_group(&admin.id, &bob.id).await.unwrap();
    assert!(s.is_tenant_admin(&a.id, &bob.id).await.unwrap());
    // Not an administrator of another account.
    let (other, _) = s.create_account("other").await.unwrap();
    assert!(!s.is_tenant_admin(&other.id, &bob.id).await.unwrap());
    assert_ne!(s.admin_group(&other.id).await.unwrap().id, admin.id);
    s.remove_user_from_group(&admin.id, &bob.id).await.unwrap();
    assert!(!s.is_tenant_admin(&a.id, &bob.id).await.unwrap());
    // The bootstrap of an existing account is idempotent: still one admin group.
    s.bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    let groups = s
        .list_groups(&a.id, None, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(groups.items.iter().filter(|g| g.is_system).count(), 1);
}

#[tokio::test]
async fn the_system_group_cannot_be_renamed_modified_or_deleted() {
    let s = testing::store().await.unwrap();
    let (a, root, _) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    let admin = s.admin_group(&a.id).await.unwrap();
    let before = s.revision().await.unwrap();
    for upd in [
        GroupUpdate {
            name: Some("admins".into()),
            description: None,
        },
        GroupUpdate {
            name: None,
            description: Some("mine now".into()),
        },
        GroupUpdate {
            name: Some(ADMIN_GROUP.into()),
            description: None,
        },
    ] {
        assert!(
            matches!(
                s.update_group(&admin.id, &upd).await,
                Err(StoreError::Unmodifiable { .. })
            ),
            "{upd:?}"
        );
    }
    assert!(matches!(
        s.delete_group(&admin.id).await,
        Err(StoreError::Unmodifiable { .. })
    ));
    assert!(matches!(
        s.remove_user_from_group(&admin.id, &root.id).await,
        Err(StoreError::Unmodifiable { .. })
    ));
    assert_eq!(
        s.revision().await.unwrap(),
        before,
        "refusals change nothing"
    );
    assert_eq!(s.get_group(&admin.id).await.unwrap(), admin);
}

#[tokio::test]
async fn no_other_group_can_take_the_admin_name_or_a_look_alike() {
    let s = testing::store().await.unwrap();
    let (a, _, _) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    let admin = s.admin_group(&a.id).await.unwrap();
    for name in ["admin", "Admin", "ADMIN"] {
        let d = conflict_detail(s.create_group(&a.id, name, "").await);
        assert!(d.contains("`admin`") && d.contains(&admin.id), "{d}");
    }
    for name in [
        "ＡＤＭＩＮ",
        "ad\u{200B}min",
        "\u{202E}nimda",
        "admin ",
        "../x",
    ] {
        assert!(
            matches!(
                s.create_group(&a.id, name, "").await,
                Err(StoreError::Invalid { .. })
            ),
            "{name:?}"
        );
    }
    let g = s.create_group(&a.id, "devs", "").await.unwrap();
    assert!(!g.is_system);
    let rename = |name: &str| GroupUpdate {
        name: Some(name.into()),
        description: None,
    };
    conflict_detail(s.update_group(&g.id, &rename("Admin")).await);
    assert!(!s.get_group(&g.id).await.unwrap().is_system);
    // Renaming to a different case of its own name is allowed.
    assert_eq!(
        s.update_group(&g.id, &rename("Devs")).await.unwrap().name,
        "Devs"
    );
}

#[tokio::test]
async fn look_alike_names_conflict_per_kind_and_account() {
    let s = testing::store().await.unwrap();
    let (a, _, _) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    let (b, _) = s.create_account("beta").await.unwrap();
    let alice = s.create_user(&a.id, &user("alice")).await.unwrap();
    let d = conflict_detail(s.create_user(&a.id, &user("Alice")).await);
    assert!(d.contains("`alice`") && d.contains(&alice.id), "{d}");
    conflict_detail(s.create_user(&a.id, &user("alice")).await);
    // Another account, or another kind, is another namespace.
    s.create_user(&b.id, &user("Alice")).await.unwrap();
    s.create_group(&a.id, "Alice", "").await.unwrap();
    // Renames are checked too, except against the entity itself.
    let bob = s.create_user(&a.id, &user("bob")).await.unwrap();
    let to = |n: &str| UserUpdate {
        name: Some(n.into()),
        ..UserUpdate::default()
    };
    conflict_detail(s.update_user(&bob.id, &to("ALICE")).await);
    assert_eq!(
        s.update_user(&bob.id, &to("Bob")).await.unwrap().name,
        "Bob"
    );
    // Policies and agencies.
    s.create_policy(&a.id, &pol("obs-read")).await.unwrap();
    conflict_detail(s.create_policy(&a.id, &pol("OBS-Read")).await);
    // System policies are a namespace of their own, and no custom policy may take a system
    // policy's name (or a look-alike of it) afterwards.
    s.sync_system_policies(&[SystemPolicyRow {
        id: "system-OBS-READ".into(),
        name: "OBS-READ".into(),
        urn: "iam::system:policy:OBS-READ".into(),
        description: String::new(),
        document: pol("x").document,
    }])
    .await
    .unwrap();
    conflict_detail(s.create_policy(&b.id, &pol("obs-read")).await);
    s.create_agency(&a.id, &agency("ma_agency")).await.unwrap();
    conflict_detail(s.create_agency(&a.id, &agency("MA_Agency")).await);
}

#[tokio::test]
async fn concurrent_look_alike_creates_cannot_both_pass() {
    let s = testing::store().await.unwrap();
    let (a, _, _) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    for _ in 0..5 {
        let tag = format!("g{}", s.revision().await.unwrap());
        let upper = tag.to_uppercase();
        let (x, y) = tokio::join!(
            s.create_group(&a.id, &tag, ""),
            s.create_group(&a.id, &upper, "")
        );
        assert_eq!(u8::from(x.is_ok()) + u8::from(y.is_ok()), 1, "{x:?} {y:?}");
    }
}

/// A data directory written by the first schema (migration 0001 only), then opened by this store.
#[tokio::test]
async fn old_data_directories_migrate() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let dir = tempfile::tempdir().unwrap();
    let key = MasterKey::generate().unwrap();
    {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(dir.path().join(DB_FILE))
                    .create_if_missing(true)
                    .foreign_keys(true),
            )
            .await
            .unwrap();
        sqlx::migrate!("./migrations/sqlite")
            .run_to(1, &pool)
            .await
            .unwrap();
        sqlx::raw_sql(
            "INSERT INTO accounts VALUES ('acct1', 'acme', '2025-01-01T00:00:00.000Z');
             INSERT INTO users (id, account_id, name, enabled, is_root_user, created_at) VALUES
               ('root1', 'acct1', 'acme', 1, 1, '2025-01-01T00:00:00.000Z'),
               ('bob1', 'acct1', 'bob', 1, 0, '2025-01-02T00:00:00.000Z'),
               ('bob2', 'acct1', 'Bob', 1, 0, '2025-01-03T00:00:00.000Z'),
               ('mal1', 'acct1', 'mallory', 1, 0, '2025-01-04T00:00:00.000Z');
             INSERT INTO groups (id, account_id, name, created_at) VALUES
               ('forged', 'acct1', 'admin', '2025-01-05T00:00:00.000Z'),
               ('wide', 'acct1', 'ＡＤＭＩＮ', '2025-01-06T00:00:00.000Z'),
               ('devs', 'acct1', 'devs', '2025-01-07T00:00:00.000Z');
             INSERT INTO group_members VALUES ('forged', 'mal1', '2025-01-05T00:00:00.000Z');
             INSERT INTO policies (id, account_id, name, policy_type, default_version, next_version,
               created_at, updated_at) VALUES
               ('p1', 'acct1', 'P', 'custom', 1, 2, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
               ('p2', 'acct1', 'p', 'custom', 1, 2, '2025-01-02T00:00:00.000Z', '2025-01-02T00:00:00.000Z');",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let opts = || StoreOptions {
        master_key: Some(key.clone()),
        ..StoreOptions::default()
    };
    let s = Store::open(dir.path(), opts()).await.unwrap();

    // The forged `admin` group keeps its members under another name; it is not the system group.
    let forged = s.get_group("forged").await.unwrap();
    assert_eq!(
        (forged.name.as_str(), forged.is_system),
        ("admin-legacy-forged", false)
    );
    assert!(!s.is_tenant_admin("acct1", "mal1").await.unwrap());
    let admin = s.admin_group("acct1").await.unwrap();
    assert_eq!(admin.name, ADMIN_GROUP);
    let members = s
        .list_users("acct1", Some(&admin.id), &PageRequest::first(10))
        .await
        .unwrap();
    let ids: Vec<&str> = members.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["root1"]);
    assert!(s.is_tenant_admin("acct1", "root1").await.unwrap());

    // Look-alikes already stored keep their names; the newer of each pair is reported, and no
    // new look-alike of either can be made.
    let mut found: Vec<(NameKind, String)> = s
        .lookalike_names()
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.kind, l.id))
        .collect();
    found.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        found,
        [
            (NameKind::User, "bob2".to_owned()),
            (NameKind::Policy, "p2".to_owned()),
            (NameKind::Group, "wide".to_owned()),
        ]
    );
    assert_eq!(s.get_user("bob2").await.unwrap().name, "Bob");
    conflict_detail(s.create_user("acct1", &user("BOB")).await);
    conflict_detail(s.create_group("acct1", "Admin", "").await);
    conflict_detail(s.create_policy("acct1", &pol("p")).await);
    // Renaming the newer one to a distinct name clears the report.
    s.update_user(
        "bob2",
        &UserUpdate {
            name: Some("robert".into()),
            ..UserUpdate::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.lookalike_names().await.unwrap().len(), 2);
    s.close().await;

    // Opening again changes nothing.
    let s = Store::open(dir.path(), opts()).await.unwrap();
    assert_eq!(s.admin_group("acct1").await.unwrap().id, admin.id);
    assert_eq!(s.lookalike_names().await.unwrap().len(), 2);
    s.check_integrity().await.unwrap();
    s.close().await;
}
