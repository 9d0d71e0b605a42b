//! `Store::begin` / `WriteTx`: several writes commit together or not at all, with one revision
//! bump per committed transaction.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::{pol, user};
use iam_store::*;
use std::future::Future as _;

async fn setup() -> (Store, Account) {
    let s = testing::store().await.unwrap();
    let (a, _root, _p) = s
        .bootstrap_account("acme", "cn-north-4", Some("proj1"))
        .await
        .unwrap();
    (s, a)
}

/// What a test can see of the account: user, group and policy names, and the revision.
async fn contents(s: &Store, account: &str) -> (Vec<String>, Vec<String>, Vec<String>, i64) {
    let all = PageRequest {
        marker: None,
        limit: Some(200),
    };
    let users = s.list_users(account, None, &all).await.unwrap().items;
    let groups = s.list_groups(account, None, &all).await.unwrap().items;
    let policies = s
        .list_policies(account, &PolicyFilter::default(), &all)
        .await
        .unwrap()
        .items;
    (
        users.into_iter().map(|u| u.name).collect(),
        groups.into_iter().map(|g| g.name).collect(),
        policies
            .into_iter()
            .filter(|p| p.account_id.is_some())
            .map(|p| p.name)
            .collect(),
        s.revision().await.unwrap(),
    )
}

#[tokio::test]
async fn a_write_failing_half_way_changes_nothing() {
    let (s, a) = setup().await;
    let before = contents(&s, &a.id).await;
    let failed: Result<()> = async {
        let mut tx = s.begin().await?;
        let alice = tx.create_user(&a.id, &user("alice")).await?;
        let team = tx.create_group(&a.id, "team", "").await?;
        tx.add_user_to_group(&team.id, &alice.id).await?;
        let p = tx.create_policy(&a.id, &pol("team-policy")).await?;
        tx.attach_policy(&p.id, PrincipalType::Group, &team.id)
            .await?;
        // The step that fails: the name is taken by the user created above.
        tx.create_user(&a.id, &user("ALICE")).await?;
        tx.commit().await
    }
    .await;
    assert!(
        matches!(failed, Err(StoreError::Conflict { .. })),
        "{failed:?}"
    );
    assert_eq!(contents(&s, &a.id).await, before);
    s.check_integrity().await.unwrap();
}

#[tokio::test]
async fn a_committed_transaction_keeps_every_write_and_bumps_the_revision_once() {
    let (s, a) = setup().await;
    let rev = s.revision().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let alice = tx.create_user(&a.id, &user("alice")).await.unwrap();
    let team = tx.create_group(&a.id, "team", "").await.unwrap();
    tx.add_user_to_group(&team.id, &alice.id).await.unwrap();
    let p = tx.create_policy(&a.id, &pol("team-policy")).await.unwrap();
    tx.attach_policy(&p.id, PrincipalType::Group, &team.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.revision().await.unwrap(), rev + 1);
    let (users, groups, policies, _) = contents(&s, &a.id).await;
    assert!(users.contains(&"alice".to_owned()), "{users:?}");
    assert!(groups.contains(&"team".to_owned()), "{groups:?}");
    assert_eq!(policies, vec!["team-policy".to_owned()]);
    let attached = s
        .list_attached_policies(PrincipalType::Group, &team.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(attached.items.len(), 1);
    // Each `Store` write method is a transaction of its own: one bump each.
    s.create_user(&a.id, &user("bob")).await.unwrap();
    assert_eq!(s.revision().await.unwrap(), rev + 2);
}

#[tokio::test]
async fn a_dropped_or_rolled_back_transaction_changes_nothing() {
    let (s, a) = setup().await;
    let before = contents(&s, &a.id).await;
    {
        let mut tx = s.begin().await.unwrap();
        tx.create_user(&a.id, &user("alice")).await.unwrap();
        tx.create_group(&a.id, "team", "").await.unwrap();
    }
    assert_eq!(contents(&s, &a.id).await, before);
    let mut tx = s.begin().await.unwrap();
    tx.create_policy(&a.id, &pol("p1")).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(contents(&s, &a.id).await, before);
}

#[tokio::test]
async fn a_transaction_reads_its_own_writes() {
    let (s, a) = setup().await;
    let mut tx = s.begin().await.unwrap();
    let p = tx.create_policy(&a.id, &pol("p1")).await.unwrap();
    // The second version of a policy created in the same, uncommitted transaction.
    let v = tx
        .create_policy_version(&p.id, &pol("p1").document, true)
        .await
        .unwrap();
    assert_eq!(v.version_id, "v2");
    tx.commit().await.unwrap();
    let got = s.get_policy(&p.id).await.unwrap();
    assert_eq!(got.default_version_id, "v2");
}

#[tokio::test]
async fn a_failed_write_inside_a_transaction_is_undone_and_the_transaction_goes_on() {
    let (s, a) = setup().await;
    let mut tx = s.begin().await.unwrap();
    // `bootstrap_account` writes the account, its root user and `admin` group, then fails on
    // the project id `proj1`, which belongs to `acme`.
    let failed = tx
        .bootstrap_account("beta", "cn-north-4", Some("proj1"))
        .await;
    assert!(
        matches!(failed, Err(StoreError::Conflict { .. })),
        "{failed:?}"
    );
    tx.create_user(&a.id, &user("alice")).await.unwrap();
    tx.commit().await.unwrap();
    let beta = s.get_account_by_name("beta").await;
    assert!(matches!(beta, Err(StoreError::NotFound { .. })), "{beta:?}");
    let (users, _, _, _) = contents(&s, &a.id).await;
    assert!(users.contains(&"alice".to_owned()), "{users:?}");
    s.check_integrity().await.unwrap();
}

#[tokio::test]
async fn a_write_dropped_half_way_leaves_the_transaction_unusable() {
    let (s, a) = setup().await;
    let before = contents(&s, &a.id).await;
    // A write polled once and dropped while it waits for the database. The database runs on its
    // own thread: on a busy machine a write can finish within its first poll, so try again with a
    // fresh transaction (rolled back) until one is caught half-way.
    let mut attempts = 0;
    let mut tx = loop {
        attempts += 1;
        assert!(
            attempts <= 200,
            "no write was ever pending after its first poll"
        );
        let mut tx = s.begin().await.unwrap();
        let alice = user("alice");
        let pending = {
            let mut write = Box::pin(tx.create_user(&a.id, &alice));
            std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx)))
                .await
                .is_pending()
        };
        if pending {
            break tx;
        }
        tx.rollback().await.unwrap();
    };
    let next = tx.create_group(&a.id, "team", "").await;
    assert!(matches!(next, Err(StoreError::Transaction(_))), "{next:?}");
    let commit = tx.commit().await;
    assert!(
        matches!(commit, Err(StoreError::Transaction(_))),
        "{commit:?}"
    );
    assert_eq!(contents(&s, &a.id).await, before);
}
