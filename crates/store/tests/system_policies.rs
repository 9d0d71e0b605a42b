//! System policies (docs/system-policies.md): stored by `sync_system_policies`, visible to and
//! attachable by every account, never modified, deleted or given versions by the entity writes,
//! and brought up to date (documents, removals) by a later sync without breaking attachments.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::{pol, user};
use iam_store::{
    PageRequest, PolicyFilter, PolicyType, PrincipalType, Store, StoreError, SystemPolicyRow,
};

fn row(name: &str, doc: &str) -> SystemPolicyRow {
    let enc = name.replace(' ', "-");
    SystemPolicyRow {
        id: format!("system-{enc}"),
        name: name.into(),
        urn: format!("iam::system:policy:{enc}"),
        description: format!("{name} (test)"),
        document: doc.into(),
    }
}

const ALL: &str =
    r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["modelarts:*:*"]}]}"#;
const READ: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:*:get*"]}]}"#;

fn rows() -> Vec<SystemPolicyRow> {
    vec![
        row("ModelArts CommonOperations", ALL),
        row("OBSReadOnlyPolicy", READ),
    ]
}

async fn store_with_two_accounts() -> (Store, String, String) {
    let s = iam_store::testing::store().await.unwrap();
    let (a, _, _) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    let (b, _) = s.create_account("beta").await.unwrap();
    (s, a.id, b.id)
}

#[tokio::test]
async fn synced_system_policies_are_in_every_account_and_a_second_sync_writes_nothing() {
    let (s, a, b) = store_with_two_accounts().await;
    let before = s.revision().await.unwrap();
    let out = s.sync_system_policies(&rows()).await.unwrap();
    assert_eq!(
        out.created,
        [
            "system-ModelArts-CommonOperations",
            "system-OBSReadOnlyPolicy"
        ]
    );
    assert_eq!(s.revision().await.unwrap(), before + 1, "one transaction");
    let again = s.sync_system_policies(&rows()).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(s.revision().await.unwrap(), before + 1, "nothing written");

    let system = PolicyFilter {
        policy_type: Some(PolicyType::System),
        ..PolicyFilter::default()
    };
    for acct in [&a, &b] {
        let page = s
            .list_policies(acct, &system, &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
    }
    let p = s
        .get_policy("system-ModelArts-CommonOperations")
        .await
        .unwrap();
    assert_eq!(p.policy_type, PolicyType::System);
    assert_eq!(p.account_id, None);
    assert_eq!(p.name, "ModelArts CommonOperations");
    assert_eq!(p.urn, "iam::system:policy:ModelArts-CommonOperations");
    assert_eq!(p.default_version_id, "v1");
    let v = s.get_default_policy_version(&p.id).await.unwrap();
    assert_eq!(v.document, ALL);
    // by name, in the system namespace
    let by_name = s
        .get_policy_by_name(None, "ModelArts CommonOperations")
        .await
        .unwrap();
    assert_eq!(by_name.id, p.id);
    // the snapshot input holds them with their documents
    let st = s.load_state().await.unwrap();
    assert_eq!(
        st.policies
            .iter()
            .filter(|p| p.policy.policy_type == PolicyType::System)
            .count(),
        2
    );
}

fn unmodifiable<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    match r {
        Err(StoreError::Unmodifiable { kind: "policy", .. }) => {}
        other => panic!("expected Unmodifiable, got {other:?}"),
    }
}

#[tokio::test]
async fn the_entity_writes_refuse_every_change_of_a_system_policy() {
    let (s, _, _) = store_with_two_accounts().await;
    s.sync_system_policies(&rows()).await.unwrap();
    let id = "system-ModelArts-CommonOperations";
    let before = s.revision().await.unwrap();
    unmodifiable(s.update_policy_description(id, "mine").await);
    unmodifiable(s.delete_policy(id).await);
    unmodifiable(s.create_policy_version(id, READ, true).await);
    unmodifiable(s.delete_policy_version(id, "v1").await);
    unmodifiable(s.set_default_policy_version(id, "v1").await);
    assert_eq!(s.revision().await.unwrap(), before);
    assert_eq!(
        s.get_default_policy_version(id).await.unwrap().document,
        ALL
    );
}

#[tokio::test]
async fn system_policies_attach_in_every_account_and_survive_an_upgrade() {
    let (s, a, b) = store_with_two_accounts().await;
    s.sync_system_policies(&rows()).await.unwrap();
    let ua = s.create_user(&a, &user("alice")).await.unwrap();
    let gb = s.create_group(&b, "team", "").await.unwrap();
    let id = "system-ModelArts-CommonOperations";
    s.attach_policy(id, PrincipalType::User, &ua.id)
        .await
        .unwrap();
    s.attach_policy(id, PrincipalType::Group, &gb.id)
        .await
        .unwrap();
    s.attach_policy("system-OBSReadOnlyPolicy", PrincipalType::User, &ua.id)
        .await
        .unwrap();
    let attached = s
        .list_attached_policies(PrincipalType::User, &ua.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        attached.items[0].urn,
        "iam::system:policy:ModelArts-CommonOperations"
    );
    assert_eq!(s.get_policy(id).await.unwrap().attachment_count, 2);
    // each account sees its own attachments only
    for acct in [&a, &b] {
        assert_eq!(
            s.get_policy_for(acct, id).await.unwrap().attachment_count,
            1
        );
        let mine = s
            .list_policy_attachments(id, None, Some(acct), &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(mine.items.len(), 1);
    }

    // A new binary: CommonOperations' document changed, OBSReadOnlyPolicy is gone (but attached),
    // a third one is new.
    let gone_unattached = row("Gone", READ);
    s.sync_system_policies(&[rows()[0].clone(), rows()[1].clone(), gone_unattached])
        .await
        .unwrap();
    let changed = vec![
        row("ModelArts CommonOperations", READ),
        row("ModelArts FullAccess", ALL),
    ];
    let out = s.sync_system_policies(&changed).await.unwrap();
    assert_eq!(out.created, ["system-ModelArts-FullAccess"]);
    assert_eq!(out.updated, [id]);
    assert_eq!(out.removed, ["system-Gone"]);
    assert_eq!(out.kept, ["system-OBSReadOnlyPolicy"]);
    let p = s.get_policy(id).await.unwrap();
    assert_eq!(p.default_version_id, "v2");
    assert_eq!(p.attachment_count, 2, "attachments kept");
    assert_eq!(
        s.get_default_policy_version(id).await.unwrap().document,
        READ
    );
    let versions = s
        .list_policy_versions(id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(versions.items.len(), 1, "only the current version");
    assert!(matches!(
        s.get_policy("system-Gone").await,
        Err(StoreError::NotFound { .. })
    ));
    // the kept one is still readable and detachable; the next sync removes it once detached
    s.detach_policy("system-OBSReadOnlyPolicy", PrincipalType::User, &ua.id)
        .await
        .unwrap();
    let out = s.sync_system_policies(&changed).await.unwrap();
    assert_eq!(out.removed, ["system-OBSReadOnlyPolicy"]);
}

#[tokio::test]
async fn custom_policies_cannot_take_a_system_policy_name() {
    let (s, a, _) = store_with_two_accounts().await;
    s.sync_system_policies(&rows()).await.unwrap();
    for name in [
        "OBSReadOnlyPolicy",
        "obsreadonlypolicy",
        "OBSREADONLYPOLICY",
    ] {
        match s.create_policy(&a, &pol(name)).await {
            Err(StoreError::Conflict { detail, .. }) => {
                assert!(
                    detail.contains("system policy `OBSReadOnlyPolicy`"),
                    "{detail}"
                )
            }
            other => panic!("{name}: expected a conflict, got {other:?}"),
        }
    }
    s.create_policy(&a, &pol("OBSReadOnlyPolicy2"))
        .await
        .unwrap();
}

#[tokio::test]
async fn invalid_rows_change_nothing() {
    let (s, _, _) = store_with_two_accounts().await;
    let before = s.revision().await.unwrap();
    let mut bad_id = row("A", ALL);
    bad_id.id = "system A".into();
    let mut bad_urn = row("B", ALL);
    bad_urn.urn = "iam::system:policy:B C".into();
    let mut control = row("C", ALL);
    control.name = "C\u{7}".into();
    let dup = vec![row("D", ALL), row("d", ALL)];
    for rows in [
        vec![row("ok", ALL), bad_id],
        vec![bad_urn],
        vec![control],
        dup,
        vec![row("E", "")],
    ] {
        match s.sync_system_policies(&rows).await {
            Err(StoreError::Invalid { .. }) => {}
            other => panic!("{rows:?}: expected Invalid, got {other:?}"),
        }
    }
    assert_eq!(s.revision().await.unwrap(), before);
    assert!(
        s.list_policies("nobody", &PolicyFilter::default(), &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
