//! Writes of several entities are one store transaction: a failure at any step leaves nothing
//! behind (no agency without its policies, no half-loaded demo) and the revision unchanged.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::{TempDir, TestApp, assert_huawei_error};
use iam_store::{NewPolicy, PageRequest, PolicyFilter, StoreError};
use serde_json::json;

const DOC: &str =
    r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:*:*"],"Resource":["*"]}]}"#;

/// Names of the account's custom policies.
async fn custom_policies(app: &TestApp) -> Vec<String> {
    let all = PageRequest {
        marker: None,
        limit: Some(200),
    };
    let mut names: Vec<String> = app
        .state
        .store()
        .list_policies(&app.account_id, &PolicyFilter::default(), &all)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| p.account_id.is_some())
        .map(|p| p.name)
        .collect();
    names.sort();
    names
}

/// Creates a custom policy named `name` straight in the store (and refreshes the snapshot).
async fn occupy_policy_name(app: &TestApp, name: &str) {
    app.state
        .store()
        .create_policy(
            &app.account_id,
            &NewPolicy {
                name: name.to_owned(),
                document: DOC.to_owned(),
                path: String::new(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    app.state.rebuild().await.unwrap();
}

#[tokio::test]
async fn modelarts_agency_with_a_failing_policy_step_leaves_no_agency() {
    let app = TestApp::new().await;
    let path = format!("/v2/{}/agency", app.project_id);
    // How many scope policies one custom agency gets: the failing step is the last of them.
    let scopes = json!(["t11-training-jobs", "t4-training-management"]);
    let ok = app
        .root(
            "POST",
            &path,
            json!({"agency_name_suffix": "t1", "agency_scopes": scopes}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let n = ok.body["policy_ids"].as_array().unwrap().len();
    assert!(n >= 1, "{}", ok.body);
    let last = if n == 1 {
        "ma_agency_t2_policy".to_owned()
    } else {
        format!("ma_agency_t2_policy_{n}")
    };
    occupy_policy_name(&app, &last).await;
    let policies_before = custom_policies(&app).await;
    let revision_before = app.state.store().revision().await.unwrap();

    let failed = app
        .root(
            "POST",
            &path,
            json!({"agency_name_suffix": "t2", "agency_scopes": scopes}),
        )
        .await;
    assert_eq!(failed.status, 409, "{}", failed.body);
    assert_huawei_error(&failed, 409, failed.body["error_code"].as_str().unwrap());
    common::assert_error_msg_contains(&failed, &last);

    // No agency row, none of the policies created before the failing step, no attachment,
    // and no revision bump.
    let agency = app
        .state
        .store()
        .get_agency_by_name(&app.account_id, "ma_agency_t2")
        .await;
    assert!(
        matches!(agency, Err(StoreError::NotFound { .. })),
        "{agency:?}"
    );
    assert_eq!(custom_policies(&app).await, policies_before);
    assert_eq!(app.state.store().revision().await.unwrap(), revision_before);
    app.state.store().check_integrity().await.unwrap();

    // Nothing is left to conflict with: the same call succeeds once the name is free.
    let blocker = app
        .state
        .store()
        .get_policy_by_name(Some(&app.account_id), &last)
        .await
        .unwrap();
    app.state.store().delete_policy(&blocker.id).await.unwrap();
    app.state.rebuild().await.unwrap();
    let retried = app
        .root("POST", &path, json!({"agency_name_suffix": "t2"}))
        .await;
    assert_eq!(retried.status, 200, "{}", retried.body);
}

#[tokio::test]
async fn the_demo_fails_whole_when_a_middle_step_fails() {
    let app = TestApp::new().await;
    // The demo's third policy; the users, group and first two policies come before it.
    occupy_policy_name(&app, "modelarts-read-only").await;
    let policies_before = custom_policies(&app).await;
    let revision_before = app.state.store().revision().await.unwrap();
    let r = iam_server::demo::create(&app.state, &app.account_id).await;
    assert!(r.is_err(), "the demo loaded over a taken policy name");
    let store = app.state.store();
    for name in ["alice", "bob", "auditor"] {
        let u = store.get_user_by_name(&app.account_id, name).await;
        assert!(
            matches!(u, Err(StoreError::NotFound { .. })),
            "{name}: {u:?}"
        );
    }
    assert_eq!(custom_policies(&app).await, policies_before);
    assert!(
        store
            .organization_of_account(&app.account_id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.revision().await.unwrap(), revision_before);
}

/// A fresh directory under the system's temporary directory, removed on drop.
#[tokio::test]
async fn a_first_start_that_cannot_write_the_key_file_creates_no_account() {
    let dir = TempDir::new("first-start");
    let store = iam_store::Store::open_in_memory().await.unwrap();
    // A directory where the key file goes: writing the key fails after the account, its root
    // user and its key were created in the transaction.
    let key_path = dir.path().join(iam_server::serve::ROOT_KEY_FILE);
    std::fs::create_dir(&key_path).unwrap();
    let revision = store.revision().await.unwrap();
    let failed = iam_server::serve::bootstrap(&store, dir.path(), common::REGION).await;
    assert!(failed.is_err(), "bootstrap wrote over a directory");
    let none = store.list_accounts(&PageRequest::default()).await.unwrap();
    assert!(none.items.is_empty(), "{:?}", none.items);
    assert_eq!(store.revision().await.unwrap(), revision);
    // So the next start bootstraps again and hands out a key that exists.
    std::fs::remove_dir(&key_path).unwrap();
    let done = iam_server::serve::bootstrap(&store, dir.path(), common::REGION)
        .await
        .unwrap()
        .unwrap();
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&done.key_file).unwrap()).unwrap();
    let ak = written["access_key_id"].as_str().unwrap();
    assert!(store.get_access_key(ak).await.is_ok());
}
