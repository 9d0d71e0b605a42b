//! Enterprise projects and ModelArts workspaces: rules, atomicity, grants, quotas, the snapshot
//! state and durability across a reopen.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::user;
use iam_store::*;

async fn setup() -> (Store, Account, User) {
    let s = testing::store().await.unwrap();
    let (a, root, _p) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    (s, a, root)
}

fn ep(name: &str) -> NewEnterpriseProject {
    NewEnterpriseProject {
        name: name.into(),
        description: String::new(),
        project_type: None,
    }
}

fn ws(name: &str, owner: &User) -> NewWorkspace {
    NewWorkspace {
        name: name.into(),
        owner_user_id: owner.id.clone(),
        owner_name: owner.name.clone(),
        ..NewWorkspace::default()
    }
}

fn by_name(name: &str) -> GrantInput {
    GrantInput {
        user_name: Some(name.into()),
        ..GrantInput::default()
    }
}

#[tokio::test]
async fn the_defaults_exist_implicitly_and_cannot_change() {
    let (s, a, _) = setup().await;
    let d = s.get_enterprise_project(&a.id, "0").await.unwrap();
    assert_eq!(
        (d.name.as_str(), d.status, d.project_type.as_str()),
        ("default", 1, "prod")
    );
    let w = s.get_workspace(&a.id, "0").await.unwrap();
    assert_eq!(
        (w.name.as_str(), w.auth_type.as_str()),
        ("default", "PUBLIC")
    );
    assert_eq!(w.enterprise_project_id, "0");
    assert_eq!(s.list_enterprise_projects(&a.id).await.unwrap().len(), 1);
    assert_eq!(s.list_workspaces(&a.id).await.unwrap().len(), 1);
    let before = s.revision().await.unwrap();
    let upd = EnterpriseProjectUpdate {
        name: "renamed".into(),
        ..Default::default()
    };
    for e in [
        s.update_enterprise_project(&a.id, "0", &upd)
            .await
            .unwrap_err(),
        s.set_enterprise_project_enabled(&a.id, "0", false)
            .await
            .unwrap_err(),
        s.set_enterprise_project_enabled(&a.id, "0", true)
            .await
            .unwrap_err(),
        s.delete_enterprise_project(&a.id, "0").await.unwrap_err(),
        s.update_workspace(&a.id, "0", &WorkspaceUpdate::default())
            .await
            .unwrap_err(),
        s.delete_workspace(&a.id, "0")
            .await
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert!(matches!(e, StoreError::Unmodifiable { .. }), "{e}");
    }
    assert_eq!(s.revision().await.unwrap(), before, "nothing changed");
    // quotas of the default workspace may be set
    s.put_workspace_quotas(&a.id, "0", &[("notebook".into(), 5)])
        .await
        .unwrap();
    assert_eq!(s.workspace_quotas(&a.id, "0").await.unwrap()[0].quota, 5);
}

#[tokio::test]
async fn enterprise_project_names_ids_types_and_lifecycle() {
    let (s, a, _) = setup().await;
    let p = s
        .create_enterprise_project(&a.id, &ep("研发-team_1"))
        .await
        .unwrap();
    assert!(is_enterprise_project_id(&p.id), "{}", p.id);
    assert_eq!((p.status, p.project_type.as_str()), (1, "prod"));
    for bad in [
        "default",
        "DEFAULT",
        "Default",
        "ｄｅｆａｕｌｔ",
        "",
        "has space",
        "a/b",
        "ad\u{200B}min",
        &"x".repeat(65),
    ] {
        let e = s
            .create_enterprise_project(&a.id, &ep(bad))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{bad}: {e}");
    }
    // unique ignoring case
    let e = s
        .create_enterprise_project(&a.id, &ep("研发-TEAM_1"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    let e = s
        .create_enterprise_project(
            &a.id,
            &NewEnterpriseProject {
                name: "x1".into(),
                description: "d".repeat(513),
                project_type: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let e = s
        .create_enterprise_project(
            &a.id,
            &NewEnterpriseProject {
                name: "x1".into(),
                description: String::new(),
                project_type: Some("test".into()),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    // prod never becomes poc; poc becomes prod
    let e = s
        .update_enterprise_project(
            &a.id,
            &p.id,
            &EnterpriseProjectUpdate {
                name: p.name.clone(),
                description: None,
                project_type: Some("poc".into()),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let poc = s
        .create_enterprise_project(
            &a.id,
            &NewEnterpriseProject {
                name: "trial".into(),
                description: String::new(),
                project_type: Some("poc".into()),
            },
        )
        .await
        .unwrap();
    let e = s
        .set_enterprise_project_enabled(&a.id, &poc.id, false)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict { .. }),
        "poc cannot be disabled: {e}"
    );
    let prod = s
        .update_enterprise_project(
            &a.id,
            &poc.id,
            &EnterpriseProjectUpdate {
                name: "Trial".into(),
                description: Some("now prod".into()),
                project_type: Some("prod".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (prod.name.as_str(), prod.project_type.as_str()),
        ("Trial", "prod")
    );
    // an enabled project is not deleted; a disabled one cannot be modified
    let e = s.delete_enterprise_project(&a.id, &p.id).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    let off = s
        .set_enterprise_project_enabled(&a.id, &p.id, false)
        .await
        .unwrap();
    assert_eq!(off.status, 2);
    let e = s
        .update_enterprise_project(
            &a.id,
            &p.id,
            &EnterpriseProjectUpdate {
                name: "other".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    s.delete_enterprise_project(&a.id, &p.id).await.unwrap();
    let e = s.get_enterprise_project(&a.id, &p.id).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
}

#[tokio::test]
async fn enterprise_projects_are_per_account_and_limited() {
    let (s, a, _) = setup().await;
    let (b, _, _) = s
        .bootstrap_account("other", "cn-north-4", None)
        .await
        .unwrap();
    let p = s
        .create_enterprise_project(&a.id, &ep("shared"))
        .await
        .unwrap();
    // the same name in another account is another project; ids of another account are unknown
    s.create_enterprise_project(&b.id, &ep("shared"))
        .await
        .unwrap();
    let e = s.get_enterprise_project(&b.id, &p.id).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    let e = s
        .set_enterprise_project_enabled(&b.id, &p.id, false)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    for i in 1..MAX_ENTERPRISE_PROJECTS {
        s.create_enterprise_project(&a.id, &ep(&format!("ep{i}")))
            .await
            .unwrap();
    }
    let e = s
        .create_enterprise_project(&a.id, &ep("one-more"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::LimitExceeded { .. }), "{e}");
}

#[tokio::test]
async fn workspaces_follow_the_rules_of_create_workspace() {
    let (s, a, root) = setup().await;
    let w = s
        .create_workspace(&a.id, &ws("team-空间_1", &root))
        .await
        .unwrap();
    assert!(is_workspace_id(&w.id) && w.id.len() == 32, "{}", w.id);
    assert_eq!(
        (
            w.auth_type.as_str(),
            w.enterprise_project_id.as_str(),
            w.status.as_str()
        ),
        ("PUBLIC", "0", "NORMAL")
    );
    assert_eq!(w.owner_user_id, root.id);
    let before = s.revision().await.unwrap();
    for bad in [
        "abc",
        "default",
        "DeFault",
        "a b c d",
        "team.one",
        &"w".repeat(65),
        "ｔｅａｍ",
    ] {
        let e = s
            .create_workspace(&a.id, &ws(bad, &root))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{bad}: {e}");
    }
    let e = s
        .create_workspace(&a.id, &ws("TEAM-空间_1", &root))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    let mut long = ws("described", &root);
    long.description = "d".repeat(257);
    assert!(s.create_workspace(&a.id, &long).await.is_err());
    let mut bad_type = ws("typed", &root);
    bad_type.auth_type = Some("SECRET".into());
    assert!(s.create_workspace(&a.id, &bad_type).await.is_err());
    for bad_ep in ["1", "not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let mut w = ws("in-ep", &root);
        w.enterprise_project_id = Some(bad_ep.into());
        let e = s.create_workspace(&a.id, &w).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{bad_ep}: {e}");
    }
    assert_eq!(s.revision().await.unwrap(), before, "nothing changed");
    // auth types in any case, stored upper
    let mut lower = ws("internal-ws", &root);
    lower.auth_type = Some("internal".into());
    assert_eq!(
        s.create_workspace(&a.id, &lower).await.unwrap().auth_type,
        "INTERNAL"
    );
}

#[tokio::test]
async fn workspaces_need_an_enabled_enterprise_project_of_their_account() {
    let (s, a, root) = setup().await;
    let (b, _, _) = s
        .bootstrap_account("other", "cn-north-4", None)
        .await
        .unwrap();
    let theirs = s
        .create_enterprise_project(&b.id, &ep("theirs"))
        .await
        .unwrap();
    let mine = s
        .create_enterprise_project(&a.id, &ep("mine"))
        .await
        .unwrap();
    let mut w = ws("foreign", &root);
    w.enterprise_project_id = Some(theirs.id.clone());
    let e = s.create_workspace(&a.id, &w).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let mut w = ws("in-mine", &root);
    w.enterprise_project_id = Some(mine.id.clone());
    let created = s.create_workspace(&a.id, &w).await.unwrap();
    assert_eq!(created.enterprise_project_id, mine.id);
    // disabled: no new workspace; deleting the project is refused while it holds one
    s.set_enterprise_project_enabled(&a.id, &mine.id, false)
        .await
        .unwrap();
    let mut w2 = ws("in-mine-2", &root);
    w2.enterprise_project_id = Some(mine.id.clone());
    let e = s.create_workspace(&a.id, &w2).await.unwrap_err();
    assert!(e.to_string().contains("disabled"), "{e}");
    let e = s
        .delete_enterprise_project(&a.id, &mine.id)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Conflict { detail, .. } if detail.contains("still has resources")),
        "{e}"
    );
    s.delete_workspace(&a.id, &created.id).await.unwrap();
    s.delete_enterprise_project(&a.id, &mine.id).await.unwrap();
    // another account cannot see or delete the workspace
    let w = s
        .create_workspace(&a.id, &ws("private-one", &root))
        .await
        .unwrap();
    assert!(matches!(
        s.get_workspace(&b.id, &w.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        s.delete_workspace(&b.id, &w.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

#[tokio::test]
async fn grants_resolve_to_users_of_the_account_and_end_with_them() {
    let (s, a, root) = setup().await;
    let (b, _, _) = s
        .bootstrap_account("other", "cn-north-4", None)
        .await
        .unwrap();
    let alice = s.create_user(&a.id, &user("alice")).await.unwrap();
    let bob = s.create_user(&a.id, &user("bob")).await.unwrap();
    let eve = s.create_user(&b.id, &user("eve")).await.unwrap();
    let mut w = ws("shared-ws", &root);
    w.auth_type = Some("INTERNAL".into());
    w.grants = vec![
        by_name("alice"),
        GrantInput {
            user_id: Some(bob.id.clone()),
            user_name: Some("ignored-when-the-id-is-given".into()),
            user_type: Some("iam".into()),
        },
        by_name("alice"),
    ];
    let created = s.create_workspace(&a.id, &w).await.unwrap();
    let grants = s.workspace_grants(&created.id).await.unwrap();
    let names: Vec<&str> = grants.iter().map(|g| g.user_name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    // users of another account, unknown users, other user types and too many are refused
    let before = s.revision().await.unwrap();
    for grants in [
        vec![GrantInput {
            user_id: Some(eve.id.clone()),
            ..Default::default()
        }],
        vec![by_name("eve")],
        vec![by_name("nobody")],
        vec![GrantInput::default()],
        vec![user_name_type_placeholder()],
        (0..=MAX_WORKSPACE_GRANTS)
            .map(|_| by_name("alice"))
            .collect(),
    ] {
        let e = s
            .update_workspace(
                &a.id,
                &created.id,
                &WorkspaceUpdate {
                    grants: Some(grants),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::Invalid { .. } | StoreError::LimitExceeded { .. }
            ),
            "{e}"
        );
    }
    assert_eq!(s.revision().await.unwrap(), before);
    assert_eq!(s.workspace_grants(&created.id).await.unwrap().len(), 2);
    // deleting a user removes its grants in the same transaction
    s.delete_user(&alice.id).await.unwrap();
    let left = s.workspace_grants(&created.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user_id, bob.id);
    // a type other than INTERNAL clears the grants
    s.update_workspace(
        &a.id,
        &created.id,
        &WorkspaceUpdate {
            auth_type: Some("private".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(s.workspace_grants(&created.id).await.unwrap().is_empty());
    // the state the snapshot is built from holds the registries
    let st = s.load_state().await.unwrap();
    assert_eq!(st.workspaces.len(), 1);
    assert_eq!(st.workspaces[0].auth_type, "PRIVATE");
    assert!(st.workspace_grants.is_empty());
}

/// `user_type` `AGENCY` (a grant that names no IAM user).
fn user_name_type_placeholder() -> GrantInput {
    GrantInput {
        user_name: Some("alice".into()),
        user_id: None,
        user_type: Some("AGENCY".into()),
    }
}

#[tokio::test]
async fn one_transaction_creates_a_project_and_its_workspace_or_neither() {
    let (s, a, root) = setup().await;
    let before = s.revision().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let p = tx
        .create_enterprise_project(&a.id, &ep("atomic"))
        .await
        .unwrap();
    let mut w = ws("atomic-ws", &root);
    w.enterprise_project_id = Some(p.id.clone());
    tx.create_workspace(&a.id, &w).await.unwrap();
    // a failing step changes nothing of the others
    assert!(
        tx.create_workspace(&a.id, &ws("ATOMIC-WS", &root))
            .await
            .is_err()
    );
    drop(tx);
    assert_eq!(s.revision().await.unwrap(), before);
    assert_eq!(s.list_enterprise_projects(&a.id).await.unwrap().len(), 1);
    assert_eq!(s.list_workspaces(&a.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn quotas_and_deletion() {
    let (s, a, root) = setup().await;
    let w = s
        .create_workspace(&a.id, &ws("quota-ws", &root))
        .await
        .unwrap();
    s.put_workspace_quotas(
        &a.id,
        &w.id,
        &[("notebook".into(), 3), ("trainJob".into(), -1)],
    )
    .await
    .unwrap();
    for bad in [0, -2] {
        assert!(
            s.put_workspace_quotas(&a.id, &w.id, &[("notebook".into(), bad)])
                .await
                .is_err()
        );
    }
    let q = s.workspace_quotas(&a.id, &w.id).await.unwrap();
    assert_eq!(
        q.iter()
            .map(|q| (q.resource.as_str(), q.quota))
            .collect::<Vec<_>>(),
        [("notebook", 3), ("trainJob", -1)]
    );
    let deleted = s.delete_workspace(&a.id, &w.id).await.unwrap();
    assert_eq!(deleted.id, w.id);
    assert!(s.workspace_quotas(&a.id, &w.id).await.unwrap().is_empty());
    assert!(
        s.put_workspace_quotas(&a.id, &w.id, &[("notebook".into(), 1)])
            .await
            .is_err()
    );
    s.check_integrity().await.unwrap();
}

#[tokio::test]
async fn registries_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let key = MasterKey::generate().unwrap();
    let opts = || StoreOptions {
        master_key: Some(key.clone()),
        ..StoreOptions::default()
    };
    let (account, wid, pid) = {
        let s = Store::open(dir.path(), opts()).await.unwrap();
        let (a, root, _) = s
            .bootstrap_account("acme", "cn-north-4", None)
            .await
            .unwrap();
        let p = s
            .create_enterprise_project(&a.id, &ep("durable"))
            .await
            .unwrap();
        let mut w = ws("durable-ws", &root);
        w.enterprise_project_id = Some(p.id.clone());
        let w = s.create_workspace(&a.id, &w).await.unwrap();
        s.close().await;
        (a.id, w.id, p.id)
    };
    let s = Store::open(dir.path(), opts()).await.unwrap();
    assert_eq!(
        s.get_workspace(&account, &wid)
            .await
            .unwrap()
            .enterprise_project_id,
        pid
    );
    assert_eq!(
        s.get_enterprise_project(&account, &pid).await.unwrap().name,
        "durable"
    );
}
