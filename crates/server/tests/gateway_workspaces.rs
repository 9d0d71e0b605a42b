//! Workspaces at the gateway (issue 13, item 3): a request that acts in a private or internal
//! workspace — the one it names, or the one the upstream's lookup places its resource in — is
//! refused unless the caller may use the workspace, whatever their `modelarts:*` permissions;
//! a request in a workspace is in the workspace's enterprise project (`g:EnterpriseProjectId`),
//! so a Deny on that enterprise project applies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{Key, TestApp, assert_huawei_error};
use serde_json::{Value, json};

const REGION: &str = "cn-north-4";

struct World {
    app: TestApp,
    upstream: common::LookupUpstream,
    alice: Key,
    bob: Key,
    internal: String,
    private: String,
    public: String,
    ep: String,
}

async fn world() -> World {
    let mut app = TestApp::new().await;
    let (url, u) = common::LookupUpstream::spawn().await;
    app.router = iam_server::gateway::proxy_app(app.state.clone(), &url).unwrap();
    app.authorize_modelarts_for_all().await;
    let everything =
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:*"]}]});
    let (alice_id, _, alice) = app.user_with_key("alice").await;
    app.grant(&alice_id, "alice-all", everything.clone()).await;
    let (bob_id, _, bob) = app.user_with_key("bob").await;
    app.grant(&bob_id, "bob-all", everything).await;
    let ep = app
        .root(
            "POST",
            "/v1.0/enterprise-projects",
            json!({"name": "research"}),
        )
        .await;
    assert_eq!(ep.status, 200, "{}", ep.body);
    let ep = ep.body["enterprise_project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ws = |body: Value| {
        let app = &app;
        async move {
            let a = app
                .root("POST", &format!("/v1/{}/workspaces", app.project_id), body)
                .await;
            assert_eq!(a.status, 200, "{}", a.body);
            a.body["id"].as_str().unwrap().to_owned()
        }
    };
    let internal = ws(json!({"name": "ws-internal", "auth_type": "INTERNAL", "enterprise_project_id": ep, "grants": [{"user_id": alice_id}]})).await;
    let private =
        ws(json!({"name": "ws-private", "auth_type": "PRIVATE", "enterprise_project_id": ep}))
            .await;
    let public = ws(json!({"name": "ws-public", "enterprise_project_id": ep})).await;
    World {
        app,
        upstream: u,
        alice,
        bob,
        internal,
        private,
        public,
        ep,
    }
}

/// A request: method, path, query, body.
type Shape<'a> = (&'a str, &'a String, Vec<(&'a str, &'a str)>, Value);

/// (who, workspace, method, path, query, body) -> status, for requests that name the workspace
/// in every place Huawei's APIs do.
#[tokio::test]
async fn requests_naming_a_workspace_follow_its_access_model() {
    let w = world().await;
    let p = &w.app.project_id;
    let notebooks = format!("/v1/{p}/notebooks");
    let jobs = format!("/v2/{p}/training-jobs");
    let pools = format!("/v2/{p}/pools");
    let searches = format!("/v2/{p}/training-job-searches");
    for (ws, alice, bob) in [
        (&w.internal, 200, 403),
        (&w.private, 403, 403),
        (&w.public, 200, 200),
        (&"0".to_owned(), 200, 200),
    ] {
        let shapes: Vec<Shape<'_>> = vec![
            (
                "POST",
                &notebooks,
                vec![],
                json!({"name": "nb", "workspace_id": ws}),
            ),
            (
                "GET",
                &notebooks,
                vec![("workspace_id", ws.as_str())],
                Value::Null,
            ),
            (
                "POST",
                &jobs,
                vec![],
                json!({"metadata": {"name": "job", "workspace_id": ws}}),
            ),
            (
                "GET",
                &pools,
                vec![("workspaceId", ws.as_str())],
                Value::Null,
            ),
            (
                "POST",
                &searches,
                vec![],
                json!({"limit": 10, "filters": [{"key": "workspace_id", "value": [ws]}]}),
            ),
            (
                "POST",
                &pools,
                vec![],
                json!({"metadata": {"labels": {"os.modelarts/workspace.id": ws}}}),
            ),
        ];
        for (method, path, query, body) in shapes {
            for (who, key, want) in [("alice", &w.alice, alice), ("bob", &w.bob, bob)] {
                let before = w.upstream.forwarded.lock().unwrap().len();
                let a = w.app.call(key, method, path, &query, body.clone()).await;
                assert_eq!(
                    a.status.as_u16(),
                    want,
                    "{who} {method} {path} {query:?} {body} in {ws}: {}",
                    a.body
                );
                let after = w.upstream.forwarded.lock().unwrap().len();
                assert_eq!(
                    after - before,
                    usize::from(want == 200),
                    "forwarded only when allowed"
                );
            }
        }
    }
    // naming two workspaces, or one that does not exist, is refused
    let a = w
        .app
        .call(
            &w.alice,
            "POST",
            &notebooks,
            &[("workspace_id", w.public.as_str())],
            json!({"workspace_id": w.internal}),
        )
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
    let a = w
        .app
        .call(
            &w.alice,
            "POST",
            &notebooks,
            &[],
            json!({"workspace_id": "0123456789abcdef0123456789abcdef"}),
        )
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
}

/// A resource the path names is in the workspace the upstream's lookup says: bob, not granted,
/// cannot read alice's notebook in the internal workspace; without the lookup's answer (404) the
/// resource is in the default workspace.
#[tokio::test]
async fn existing_resources_are_in_the_workspace_the_upstream_says() {
    let w = world().await;
    let p = &w.app.project_id;
    let urn = format!("modelarts:{REGION}:{}:notebook:nb-1", w.app.account_id);
    w.upstream
        .attributes
        .lock()
        .unwrap()
        .insert(urn, json!({"workspace_id": w.internal}));
    let path = format!("/v1/{p}/notebooks/nb-1");
    let a = w.app.call(&w.alice, "GET", &path, &[], Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = w.app.call(&w.bob, "DELETE", &path, &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert!(
        a.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("ws-internal"),
        "{}",
        a.body
    );
    // naming another workspace (the default one, a public one) does not move the resource
    for named in ["0", w.public.as_str()] {
        let a = w
            .app
            .call(
                &w.bob,
                "GET",
                &path,
                &[("workspace_id", named)],
                Value::Null,
            )
            .await;
        assert_huawei_error(&a, 400, "IAM.0001");
        let a = w
            .app
            .call(&w.bob, "PUT", &path, &[], json!({"workspace_id": named}))
            .await;
        assert_huawei_error(&a, 400, "IAM.0001");
    }
    // naming the resource's own workspace changes nothing either
    let a = w
        .app
        .call(
            &w.bob,
            "GET",
            &path,
            &[("workspace_id", w.internal.as_str())],
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    // a dataset route names the dataset (and its annotations) with one id: the dataset's URN
    // is looked up
    let ds = format!("modelarts:{REGION}:{}:dataset:ds-1", w.app.account_id);
    w.upstream
        .attributes
        .lock()
        .unwrap()
        .insert(ds, json!({"workspace_id": w.private}));
    let a = w
        .app
        .call(
            &w.bob,
            "GET",
            &format!("/v2/{p}/datasets/ds-1"),
            &[],
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    // and its annotation routes, whose actions act on `dataAnnotation`, are the dataset's too
    for (method, path) in [
        (
            "GET",
            format!("/v2/{p}/datasets/ds-1/data-annotations/samples"),
        ),
        (
            "POST",
            format!("/v2/{p}/datasets/ds-1/data-annotations/samples/delete"),
        ),
    ] {
        let a = w.app.call(&w.bob, method, &path, &[], Value::Null).await;
        assert_huawei_error(&a, 403, "IAM.0003");
    }
    // unknown to the upstream (its 404 names the resource): the default workspace
    let a = w
        .app
        .call(
            &w.bob,
            "GET",
            &format!("/v1/{p}/notebooks/nb-2"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        w.upstream
            .forwarded
            .lock()
            .unwrap()
            .iter()
            .all(|t| !t.contains("ds-1")),
        "refused requests are never forwarded"
    );
}

/// A request in a workspace is in its enterprise project: a Deny on the enterprise project
/// blocks the granted user there, and nowhere else.
#[tokio::test]
async fn a_deny_on_the_workspaces_enterprise_project_applies() {
    let w = world().await;
    let p = &w.app.project_id;
    let (carol_id, _, carol) = w.app.user_with_key("carol").await;
    w.app
        .grant(
            &carol_id,
            "carol",
            json!({"Version": "5.0", "Statement": [
                {"Effect": "Allow", "Action": ["modelarts:*"]},
                {"Effect": "Deny", "Action": ["modelarts:*"], "Condition": {"StringEquals": {"g:EnterpriseProjectId": [w.ep]}}}
            ]}),
        )
        .await;
    let notebooks = format!("/v1/{p}/notebooks");
    let images = format!("/v1/{p}/images");
    // the public workspace is in the denied enterprise project
    for (path, body) in [
        (&notebooks, json!({"name": "nb", "workspace_id": w.public})),
        (&images, json!({"workspace_id": w.public})),
    ] {
        let a = w.app.call(&carol, "POST", path, &[], body).await;
        assert_huawei_error(&a, 403, "IAM.0003");
    }
    // the default workspace is not
    for (path, body) in [
        (&notebooks, json!({"name": "nb"})),
        (&images, json!({"workspace_id": "0"})),
    ] {
        let a = w.app.call(&carol, "POST", path, &[], body).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
}
