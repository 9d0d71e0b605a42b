//! Organizations and SCP rules.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use iam_store::*;

const FULL: &str =
    r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}"#;

fn scp(name: &str) -> NewScp {
    NewScp {
        name: name.into(),
        policy_type: OrgPolicyType::ServiceControlPolicy,
        content:
            r#"{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["modelarts:*:delete*"]}]}"#
                .into(),
        description: String::new(),
    }
}

#[tokio::test]
async fn scp_lifecycle() {
    let s = testing::store().await.unwrap();
    let (mgmt, _) = s.create_account("mgmt").await.unwrap();
    let (member, _) = s.create_account("member").await.unwrap();
    let (outsider, _) = s.create_account("outsider").await.unwrap();
    let (org, root) = s.create_organization(&mgmt.id).await.unwrap();
    assert!(org.id.starts_with("o-") && root.id.starts_with("r-"));
    assert!(!root.scp_enabled());
    assert!(matches!(
        s.create_organization(&mgmt.id).await,
        Err(StoreError::Conflict { .. })
    ));
    let ou1 = s.create_organizational_unit(&root.id, "eng").await.unwrap();
    let ou2 = s.create_organizational_unit(&ou1.id, "ml").await.unwrap();
    s.add_account_to_organization(&org.id, &member.id, Some(&ou2.id))
        .await
        .unwrap();

    // attaching requires the type enabled
    let deny = s.create_scp(&org.id, &scp("no-delete")).await.unwrap();
    assert!(matches!(
        s.attach_scp(&deny.id, &ou1.id).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.scp_chain(&member.id).await.unwrap(),
        ScpChain::Disabled { .. }
    ));
    assert_eq!(
        s.scp_chain(&outsider.id).await.unwrap(),
        ScpChain::NotInOrganization
    );

    // enabling attaches FullAccess everywhere
    let root = s
        .enable_policy_type(&root.id, OrgPolicyType::ServiceControlPolicy)
        .await
        .unwrap();
    assert!(root.scp_enabled());
    let full = s.get_scp("p-FullAccess").await.unwrap();
    assert!(full.is_builtin);
    assert_eq!(full.content, FULL);
    let targets = s.list_scp_targets("p-FullAccess").await.unwrap();
    assert_eq!(targets.len(), 5, "root, 2 OUs, 2 accounts: {targets:?}");

    match s.scp_chain(&member.id).await.unwrap() {
        ScpChain::Enforced {
            level_ids, levels, ..
        } => {
            assert_eq!(
                level_ids,
                vec![
                    root.id.clone(),
                    ou1.id.clone(),
                    ou2.id.clone(),
                    member.id.clone()
                ]
            );
            assert!(
                levels
                    .iter()
                    .all(|l| l.len() == 1 && l[0].id == "p-FullAccess")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.scp_chain(&mgmt.id).await.unwrap(),
        ScpChain::ManagementAccount { .. }
    ));

    // cannot detach the last SCP
    assert!(matches!(
        s.detach_scp("p-FullAccess", &ou2.id).await,
        Err(StoreError::Conflict { .. })
    ));
    s.attach_scp(&deny.id, &ou2.id).await.unwrap();
    s.detach_scp("p-FullAccess", &ou2.id).await.unwrap();
    assert!(matches!(
        s.detach_scp(&deny.id, &ou2.id).await,
        Err(StoreError::Conflict { .. })
    ));
    let chain = s.scp_chain(&member.id).await.unwrap();
    assert_eq!(chain.levels()[2][0].id, deny.id);

    // builtin cannot be edited or deleted; attached custom cannot be deleted
    assert!(matches!(
        s.update_scp(
            "p-FullAccess",
            &ScpUpdate {
                name: Some("x".into()),
                ..Default::default()
            }
        )
        .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.delete_scp("p-FullAccess").await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.delete_scp(&deny.id).await,
        Err(StoreError::Conflict { .. })
    ));
    let listed = s
        .list_scps(&org.id, Some(&ou2.id), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);

    // new OUs and accounts get FullAccess while enabled
    let ou3 = s.create_organizational_unit(&root.id, "ops").await.unwrap();
    assert_eq!(
        s.list_scps(&org.id, Some(&ou3.id), &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    s.add_account_to_organization(&org.id, &outsider.id, Some(&ou3.id))
        .await
        .unwrap();
    assert_eq!(s.scp_chain(&outsider.id).await.unwrap().levels().len(), 3);

    // disable detaches everything; re-enable attaches only FullAccess
    s.disable_policy_type(&root.id, OrgPolicyType::ServiceControlPolicy)
        .await
        .unwrap();
    assert!(s.list_scp_targets("p-FullAccess").await.unwrap().is_empty());
    assert!(s.list_scp_targets(&deny.id).await.unwrap().is_empty());
    s.delete_scp(&deny.id).await.unwrap();
    s.enable_policy_type(&root.id, OrgPolicyType::ServiceControlPolicy)
        .await
        .unwrap();
    assert_eq!(s.list_scp_targets("p-FullAccess").await.unwrap().len(), 7);

    // move, remove, delete OU rules
    assert!(matches!(
        s.delete_organizational_unit(&ou3.id).await,
        Err(StoreError::Conflict { .. })
    ));
    s.move_account(&outsider.id, &root.id).await.unwrap();
    s.delete_organizational_unit(&ou3.id).await.unwrap();
    assert_eq!(s.scp_chain(&outsider.id).await.unwrap().levels().len(), 2);
    s.remove_account_from_organization(&outsider.id)
        .await
        .unwrap();
    assert_eq!(
        s.scp_chain(&outsider.id).await.unwrap(),
        ScpChain::NotInOrganization
    );
    assert!(matches!(
        s.remove_account_from_organization(&mgmt.id).await,
        Err(StoreError::Conflict { .. })
    ));

    let st = s.load_state().await.unwrap();
    assert_eq!(st.organizations.len(), 1);
    assert_eq!(st.organizational_units.len(), 2);
    assert_eq!(st.org_accounts.len(), 2);
    assert!(st.roots[0].scp_enabled());
}
