//! Enterprise projects (EPS v1.0) and ModelArts workspaces through the HTTP API: shapes, rules,
//! the workspace access model, `g:EnterpriseProjectId`, the delete rule, cross-account isolation,
//! bad input (400, never 500, nothing changed) and proxy mode.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::{Key, TestApp, assert_huawei_error};
use serde_json::{Value, json};

const EPS: &str = "/v1.0/enterprise-projects";

async fn user_with(app: &TestApp, name: &str, statements: Value) -> (String, Key) {
    let (id, _, key) = app.user_with_key(name).await;
    app.grant(
        &id,
        &format!("{name}-policy"),
        json!({"Version": "5.0", "Statement": statements}),
    )
    .await;
    (id, key)
}

fn ws_path(app: &TestApp) -> String {
    format!("/v1/{}/workspaces", app.project_id)
}

async fn create_ep(app: &TestApp, name: &str) -> String {
    let a = app.root("POST", EPS, json!({"name": name})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["enterprise_project"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_ws(app: &TestApp, body: Value) -> String {
    let a = app.root("POST", &ws_path(app), body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["id"].as_str().unwrap().to_owned()
}

async fn revision(app: &TestApp) -> i64 {
    app.state.store().revision().await.unwrap()
}

#[tokio::test]
async fn enterprise_projects_have_huaweis_shapes_and_rules() {
    let app = TestApp::new().await;
    let a = app
        .root(
            "POST",
            EPS,
            json!({"name": "研发-ai_1", "description": "research", "type": "poc"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let ep = &a.body["enterprise_project"];
    let id = ep["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(ep["status"], 1);
    assert_eq!(ep["type"], "poc");
    assert_eq!(ep["delete_flag"], false);
    let created = ep["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    let prod = create_ep(&app, "prod-team").await;

    // list: the default project is there; filters, paging and sorting
    let l = app.root("GET", EPS, Value::Null).await;
    assert_eq!(l.status, 200, "{}", l.body);
    assert_eq!(l.body["total_count"], 3);
    let root = app.root.clone();
    let l = app
        .call(&root, "GET", EPS, &[("id", "0")], Value::Null)
        .await;
    assert_eq!(l.body["enterprise_projects"][0]["name"], "default");
    let l = app
        .call(
            &root,
            "GET",
            EPS,
            &[("name", "AI"), ("type", "poc")],
            Value::Null,
        )
        .await;
    assert_eq!(l.body["total_count"], 1, "{}", l.body);
    let l = app
        .call(
            &root,
            "GET",
            EPS,
            &[("sort_dir", "asc"), ("limit", "1"), ("offset", "1")],
            Value::Null,
        )
        .await;
    assert_eq!(l.body["total_count"], 3);
    assert_eq!(l.body["enterprise_projects"].as_array().unwrap().len(), 1);
    assert_eq!(l.body["enterprise_projects"][0]["id"], id.as_str());
    for bad in [
        ("limit", "0"),
        ("limit", "1001"),
        ("status", "3"),
        ("sort_key", "name"),
        ("type", "x"),
    ] {
        let a = app.call(&root, "GET", EPS, &[bad], Value::Null).await;
        assert_huawei_error(&a, 400, iam_server::error_code::BAD_REQUEST);
    }

    // show, update (poc -> prod), disable, a disabled project is not modified, delete
    let s = app.root("GET", &format!("{EPS}/{id}"), Value::Null).await;
    assert_eq!(s.body["enterprise_project"]["name"], "研发-ai_1");
    let u = app
        .root(
            "PUT",
            &format!("{EPS}/{id}"),
            json!({"name": "research", "type": "prod"}),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(u.body["enterprise_project"]["type"], "prod");
    let d = app
        .root(
            "POST",
            &format!("{EPS}/{prod}/action"),
            json!({"action": "disable"}),
        )
        .await;
    assert_eq!(d.status, 204, "{}", d.body);
    let s = app.root("GET", &format!("{EPS}/{prod}"), Value::Null).await;
    assert_eq!(s.body["enterprise_project"]["status"], 2);
    let u = app
        .root("PUT", &format!("{EPS}/{prod}"), json!({"name": "other"}))
        .await;
    assert_huawei_error(&u, 409, iam_server::error_code::CONFLICT);
    let del = app
        .root("DELETE", &format!("{EPS}/{id}"), Value::Null)
        .await;
    assert_huawei_error(&del, 409, iam_server::error_code::CONFLICT);
    let del = app
        .root("DELETE", &format!("{EPS}/{prod}"), Value::Null)
        .await;
    assert_eq!(del.status, 204, "{}", del.body);
    let s = app.root("GET", &format!("{EPS}/{prod}"), Value::Null).await;
    assert_huawei_error(&s, 404, iam_server::error_code::NOT_FOUND);

    // quotas need no permission (Huawei)
    let (_, _, nobody) = app.user_with_key("nobody").await;
    let q = app
        .call(&nobody, "GET", &format!("{EPS}/quotas"), &[], Value::Null)
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(
        q.body["quotas"]["resources"][0],
        json!({"type": "enterprise_project", "quota": 100, "used": 1})
    );
    let l = app.call(&nobody, "GET", EPS, &[], Value::Null).await;
    assert_huawei_error(&l, 403, iam_server::error_code::FORBIDDEN);
}

#[tokio::test]
async fn bad_enterprise_project_requests_are_precise_4xx_and_change_nothing() {
    let app = TestApp::new().await;
    let id = create_ep(&app, "taken").await;
    let before = revision(&app).await;
    for (method, path, body, status) in [
        ("POST", EPS.to_owned(), json!({"name": "a".repeat(65)}), 400),
        ("POST", EPS.to_owned(), json!({"name": "default"}), 400),
        ("POST", EPS.to_owned(), json!({"name": "DeFaUlT"}), 400),
        (
            "POST",
            EPS.to_owned(),
            json!({"name": "ｄｅｆａｕｌｔ"}),
            400,
        ),
        (
            "POST",
            EPS.to_owned(),
            json!({"name": "ta\u{200B}ken"}),
            400,
        ),
        ("POST", EPS.to_owned(), json!({"name": "TAKEN"}), 409),
        (
            "POST",
            EPS.to_owned(),
            json!({"name": "x", "type": "test"}),
            400,
        ),
        (
            "POST",
            EPS.to_owned(),
            json!({"name": "x", "description": "d".repeat(513)}),
            400,
        ),
        (
            "POST",
            EPS.to_owned(),
            json!({"name": "x", "extra": 1}),
            400,
        ),
        ("POST", EPS.to_owned(), json!({"name": 5}), 400),
        ("PUT", format!("{EPS}/0"), json!({"name": "x"}), 403),
        ("DELETE", format!("{EPS}/0"), Value::Null, 403),
        (
            "POST",
            format!("{EPS}/0/action"),
            json!({"action": "disable"}),
            403,
        ),
        (
            "POST",
            format!("{EPS}/{id}/action"),
            json!({"action": "pause"}),
            400,
        ),
        ("POST", format!("{EPS}/{id}/action"), json!({}), 400),
        (
            "PUT",
            format!("{EPS}/{id}"),
            json!({"name": "taken", "type": "poc"}),
            400,
        ),
        ("GET", format!("{EPS}/not-an-id"), Value::Null, 400),
        ("DELETE", format!("{EPS}/not-an-id"), Value::Null, 400),
        (
            "GET",
            format!("{EPS}/00000000-0000-4000-8000-000000000000"),
            Value::Null,
            404,
        ),
    ] {
        let a = app.root(method, &path, body.clone()).await;
        assert_eq!(a.status, status, "{method} {path} {body}: {}", a.body);
        assert!(a.body["error_code"].is_string() && a.body["error_msg"].is_string());
    }
    let root = app.root.clone();
    let a = app
        .call_raw(&root, "POST", EPS, &[], b"{\"name\": ".to_vec())
        .await;
    assert_huawei_error(&a, 400, iam_server::error_code::BAD_REQUEST);
    assert_eq!(
        revision(&app).await,
        before,
        "a refused request changed the store"
    );
}

#[tokio::test]
async fn workspaces_have_the_modelarts_shapes() {
    let app = TestApp::new().await;
    let (alice, _, _) = app.user_with_key("alice").await;
    let ep = create_ep(&app, "team-ep").await;
    let a = app
        .root(
            "POST",
            &ws_path(&app),
            json!({"name": "team-space", "description": "d", "enterprise_project_id": ep,
                   "auth_type": "internal", "grants": [{"user_name": "alice"}]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let w = &a.body;
    let id = w["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(w["auth_type"], "INTERNAL");
    assert_eq!(w["enterprise_project_id"], ep.as_str());
    assert_eq!(w["enterprise_project_name"], "team-ep");
    assert_eq!(w["owner"], "admin");
    assert_eq!(w["status"], "NORMAL");
    assert!(w["create_time"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(
        w["grants"],
        json!([{"user_id": alice, "user_name": "alice", "user_type": "IAM"}])
    );
    let s = app
        .root("GET", &format!("{}/{id}", ws_path(&app)), Value::Null)
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["grants"][0]["user_name"], "alice");

    // the default workspace is listed and shown
    let d = app
        .root("GET", &format!("{}/0", ws_path(&app)), Value::Null)
        .await;
    assert_eq!(
        (
            d.body["name"].as_str(),
            d.body["auth_type"].as_str(),
            d.body["enterprise_project_id"].as_str()
        ),
        (Some("default"), Some("PUBLIC"), Some("0"))
    );
    let l = app.root("GET", &ws_path(&app), Value::Null).await;
    assert_eq!(l.status, 200, "{}", l.body);
    assert_eq!(
        (l.body["total_count"].as_u64(), l.body["count"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(l.body["workspaces"][0].get("grants").is_none());
    let root = app.root.clone();
    let l = app
        .call(
            &root,
            "GET",
            &ws_path(&app),
            &[("enterprise_project_id", ep.as_str())],
            Value::Null,
        )
        .await;
    assert_eq!(l.body["total_count"], 1, "{}", l.body);
    let l = app
        .call(
            &root,
            "GET",
            &ws_path(&app),
            &[
                ("name", "TEAM"),
                ("order", "asc"),
                ("sort_by", "update_time"),
            ],
            Value::Null,
        )
        .await;
    assert_eq!(l.body["total_count"], 1, "{}", l.body);

    // update: rename, and a type other than INTERNAL clears the grants
    let u = app
        .root(
            "PUT",
            &format!("{}/{id}", ws_path(&app)),
            json!({"name": "renamed-space", "auth_type": "PUBLIC"}),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert_eq!(u.body, json!({"workspace_id": id}));
    let s = app
        .root("GET", &format!("{}/{id}", ws_path(&app)), Value::Null)
        .await;
    assert_eq!(s.body["name"], "renamed-space");
    assert_eq!(s.body["grants"], json!([]));

    // quotas: every resource, unlimited by default; set, shown, bounded
    let qpath = format!("{}/{id}/quotas", ws_path(&app));
    let q = app.root("GET", &qpath, Value::Null).await;
    assert_eq!(q.status, 200, "{}", q.body);
    let quotas = q.body["quotas"].as_array().unwrap();
    assert_eq!(quotas.len(), 7);
    assert!(
        quotas
            .iter()
            .all(|q| q["quota"] == -1 && q["used_quota"].is_null())
    );
    let set = app
        .root(
            "PUT",
            &qpath,
            json!({"quotas": [{"resource": "notebook", "quota": 3}]}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let nb = set.body["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["resource"] == "notebook")
        .unwrap()
        .clone();
    assert_eq!(nb["quota"], 3);
    let before = revision(&app).await;
    for bad in [
        json!({"quotas": [{"resource": "notebook", "quota": 0}]}),
        json!({"quotas": [{"resource": "notebook", "quota": 10001}]}),
        json!({"quotas": [{"resource": "gpu", "quota": 1}]}),
        json!({"quotas": []}),
        json!({"quotas": [{"resource": "notebook"}]}),
    ] {
        let a = app.root("PUT", &qpath, bad.clone()).await;
        assert_huawei_error(&a, 400, iam_server::error_code::BAD_REQUEST);
    }
    assert_eq!(revision(&app).await, before);

    // delete: the workspace and its quotas go; the default workspace stays
    let del = app
        .root("DELETE", &format!("{}/{id}", ws_path(&app)), Value::Null)
        .await;
    assert_eq!(del.status, 200, "{}", del.body);
    assert_eq!(del.body, json!({"workspace_id": id}));
    let s = app
        .root("GET", &format!("{}/{id}", ws_path(&app)), Value::Null)
        .await;
    assert_huawei_error(&s, 404, iam_server::error_code::NOT_FOUND);
    let del = app
        .root("DELETE", &format!("{}/0", ws_path(&app)), Value::Null)
        .await;
    assert_huawei_error(&del, 403, iam_server::error_code::FORBIDDEN);
    let upd = app
        .root(
            "PUT",
            &format!("{}/0", ws_path(&app)),
            json!({"description": "x"}),
        )
        .await;
    assert_huawei_error(&upd, 403, iam_server::error_code::FORBIDDEN);
}

#[tokio::test]
async fn bad_workspace_requests_are_precise_400s_and_change_nothing() {
    let app = TestApp::new().await;
    let ep = create_ep(&app, "live").await;
    let off = create_ep(&app, "off").await;
    let a = app
        .root(
            "POST",
            &format!("{EPS}/{off}/action"),
            json!({"action": "disable"}),
        )
        .await;
    assert_eq!(a.status, 204);
    create_ws(&app, json!({"name": "taken"})).await;
    // another account's enterprise project
    let (member, _, _) = app
        .state
        .store()
        .bootstrap_account("member-b", common::REGION, None)
        .await
        .unwrap();
    let foreign = app
        .state
        .store()
        .create_enterprise_project(
            &member.id,
            &iam_store::NewEnterpriseProject {
                name: "theirs".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.state.rebuild().await.unwrap();
    let too_many: Vec<Value> = (0..501).map(|_| json!({"user_name": "admin"})).collect();
    let before = revision(&app).await;
    for (body, status, needle) in [
        (json!({"name": "abc"}), 400, "length"),
        (json!({"name": "w".repeat(65)}), 400, "64"),
        (json!({"name": "default"}), 400, "reserved"),
        (json!({"name": "DEFAULT"}), 400, "reserved"),
        (json!({"name": "ｄｅｆａｕｌｔ"}), 400, "compatibility"),
        (json!({"name": "tak\u{200D}en"}), 400, "invisible"),
        (json!({"name": "TAKEN"}), 409, "letter case"),
        (json!({"name": "has space"}), 400, "not allowed"),
        (
            json!({"name": "fine-name", "auth_type": "secret"}),
            400,
            "auth_type",
        ),
        (
            json!({"name": "fine-name", "description": "d".repeat(257)}),
            400,
            "description",
        ),
        (
            json!({"name": "fine-name", "enterprise_project_id": "nope"}),
            400,
            "enterprise_project_id",
        ),
        (
            json!({"name": "fine-name", "enterprise_project_id": off}),
            400,
            "disabled",
        ),
        (
            json!({"name": "fine-name", "enterprise_project_id": foreign.id}),
            400,
            "no enterprise project",
        ),
        (
            json!({"name": "fine-name", "auth_type": "INTERNAL", "grants": [{"user_name": "ghost"}]}),
            400,
            "ghost",
        ),
        (
            json!({"name": "fine-name", "auth_type": "INTERNAL", "grants": [{"user_name": "admin", "user_type": "FEDERATE"}]}),
            400,
            "FEDERATE",
        ),
        (
            json!({"name": "fine-name", "auth_type": "INTERNAL", "grants": too_many}),
            400,
            "500",
        ),
        (
            json!({"name": "fine-name", "unknown": true}),
            400,
            "unknown",
        ),
        (
            json!({"name": "fine-name", "grants": "alice"}),
            400,
            "grants",
        ),
    ] {
        let a = app.root("POST", &ws_path(&app), body.clone()).await;
        assert_eq!(a.status, status, "{body}: {}", a.body);
        let msg = a.body["error_msg"].as_str().unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{body}: `{msg}` does not name `{needle}`"
        );
    }
    let root = app.root.clone();
    for raw in [&b"{\"name\": "[..], b"[]", b"null", b"\xff"] {
        let a = app
            .call_raw(&root, "POST", &ws_path(&app), &[], raw.to_vec())
            .await;
        assert_huawei_error(&a, 400, iam_server::error_code::BAD_REQUEST);
    }
    for (path, status) in [
        (
            format!("{}/ABCDEF0123456789abcdef0123456789", ws_path(&app)),
            400,
        ),
        (format!("{}/nope", ws_path(&app)), 400),
        (format!("{}/{}", ws_path(&app), "0".repeat(32)), 404),
        (format!("/v1/{}/workspaces/0", "f".repeat(32)), 404),
    ] {
        let a = app.root("GET", &path, Value::Null).await;
        assert_eq!(a.status, status, "{path}: {}", a.body);
    }
    let l = app
        .call(&root, "GET", &ws_path(&app), &[("limit", "0")], Value::Null)
        .await;
    assert_huawei_error(&l, 400, iam_server::error_code::BAD_REQUEST);
    assert_eq!(
        revision(&app).await,
        before,
        "a refused request changed the store"
    );
    // the live project takes workspaces; it cannot be deleted while it holds one
    let w = create_ws(
        &app,
        json!({"name": "in-live", "enterprise_project_id": ep}),
    )
    .await;
    app.root(
        "POST",
        &format!("{EPS}/{ep}/action"),
        json!({"action": "disable"}),
    )
    .await;
    let del = app
        .root("DELETE", &format!("{EPS}/{ep}"), Value::Null)
        .await;
    assert_huawei_error(&del, 409, iam_server::error_code::CONFLICT);
    assert!(
        del.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("still has resources")
    );
    let a = app
        .root("DELETE", &format!("{}/{w}", ws_path(&app)), Value::Null)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let del = app
        .root("DELETE", &format!("{EPS}/{ep}"), Value::Null)
        .await;
    assert_eq!(del.status, 204, "{}", del.body);
}

#[tokio::test]
async fn the_workspace_access_model_through_the_api() {
    let app = TestApp::new().await;
    let all = json!([{"Effect": "Allow", "Action": ["modelarts:workspace:*"]}]);
    let (alice_id, alice) = user_with(&app, "alice", all.clone()).await;
    let (bob_id, bob) = user_with(&app, "bob", all.clone()).await;
    let (carol_id, carol) = user_with(&app, "carol", all.clone()).await;
    let (dave_id, dave) = user_with(&app, "dave", all.clone()).await;
    // carol is a tenant administrator (member of the built-in admin group)
    let groups = app.root("GET", "/v5/groups", Value::Null).await;
    let admin_group = groups.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group_name"] == "admin")
        .unwrap()["group_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = app
        .root(
            "POST",
            &format!("/v5/groups/{admin_group}/add-user"),
            json!({"user_id": carol_id}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    let base = ws_path(&app);
    let private = app
        .call(
            &alice,
            "POST",
            &base,
            &[],
            json!({"name": "alice-private", "auth_type": "PRIVATE"}),
        )
        .await;
    assert_eq!(private.status, 200, "{}", private.body);
    let private = private.body["id"].as_str().unwrap().to_owned();
    let internal = app
        .call(
            &alice,
            "POST",
            &base,
            &[],
            json!({"name": "alice-internal", "auth_type": "INTERNAL", "grants": [{"user_id": bob_id}]}),
        )
        .await;
    assert_eq!(internal.status, 200, "{}", internal.body);
    let internal = internal.body["id"].as_str().unwrap().to_owned();
    let public = create_ws(&app, json!({"name": "everyone"})).await;

    let may = |key: &Key, id: &str| {
        let (app, key, path) = (&app, key.clone(), format!("{base}/{id}"));
        async move {
            app.call(&key, "GET", &path, &[], Value::Null)
                .await
                .status
                .as_u16()
        }
    };
    // (caller, workspace) -> status
    for (who, key, id, status) in [
        ("alice (creator)", &alice, &private, 200),
        ("bob", &bob, &private, 403),
        ("carol (tenant admin)", &carol, &private, 200),
        ("root (tenant admin)", &app.root, &private, 200),
        ("alice (creator)", &alice, &internal, 200),
        ("bob (granted)", &bob, &internal, 200),
        ("dave", &dave, &internal, 403),
        ("carol (tenant admin)", &carol, &internal, 200),
        ("dave", &dave, &public, 200),
        ("dave", &dave, &"0".to_owned(), 200),
    ] {
        assert_eq!(may(key, id).await, status, "{who} on {id}");
    }
    // the refusal names the access type; nothing of the workspace is shown
    let a = app
        .call(&bob, "GET", &format!("{base}/{private}"), &[], Value::Null)
        .await;
    assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
    assert!(a.body["error_msg"].as_str().unwrap().contains("PRIVATE"));
    assert!(a.body.get("name").is_none());
    // dave may neither change nor delete nor read the quotas of what he may not use
    for (method, path, body) in [
        (
            "PUT",
            format!("{base}/{internal}"),
            json!({"auth_type": "PUBLIC"}),
        ),
        ("DELETE", format!("{base}/{internal}"), Value::Null),
        ("GET", format!("{base}/{internal}/quotas"), Value::Null),
        (
            "PUT",
            format!("{base}/{internal}/quotas"),
            json!({"quotas": [{"resource": "notebook", "quota": 1}]}),
        ),
    ] {
        let a = app.call(&dave, method, &path, &[], body).await;
        assert_eq!(a.status, 403, "{method} {path}: {}", a.body);
    }
    // bob works in the internal workspace he is granted, but does not administer it: he may
    // neither open it to everyone, nor delete it, nor set its quotas; he reads its quotas
    let before = revision(&app).await;
    for (method, path, body) in [
        (
            "PUT",
            format!("{base}/{internal}"),
            json!({"auth_type": "PUBLIC"}),
        ),
        (
            "PUT",
            format!("{base}/{internal}"),
            json!({"grants": [{"user_id": dave_id}]}),
        ),
        ("DELETE", format!("{base}/{internal}"), Value::Null),
        (
            "PUT",
            format!("{base}/{internal}/quotas"),
            json!({"quotas": [{"resource": "notebook", "quota": 1}]}),
        ),
    ] {
        let a = app.call(&bob, method, &path, &[], body).await;
        assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
        assert!(
            a.body["error_msg"].as_str().unwrap().contains("creator"),
            "{}",
            a.body
        );
    }
    assert_eq!(revision(&app).await, before, "nothing changed");
    let q = app
        .call(
            &bob,
            "GET",
            &format!("{base}/{internal}/quotas"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    // its creator and the tenant administrator do
    for (who, key) in [("alice", &alice), ("carol", &carol)] {
        let a = app
            .call(
                key,
                "PUT",
                &format!("{base}/{internal}/quotas"),
                &[],
                json!({"quotas": [{"resource": "notebook", "quota": 5}]}),
            )
            .await;
        assert_eq!(a.status, 200, "{who}: {}", a.body);
    }
    // filter_accessible lists only what the caller may use
    let l = app
        .call(
            &dave,
            "GET",
            &base,
            &[("filter_accessible", "true")],
            Value::Null,
        )
        .await;
    let names: Vec<&str> = l.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["everyone", "default"], "{}", l.body);
    let l = app.call(&dave, "GET", &base, &[], Value::Null).await;
    assert_eq!(l.body["total_count"], 4);
    // deleting bob removes his grant in the same write: he loses access at once
    let d = app
        .root("DELETE", &format!("/v5/users/{bob_id}"), Value::Null)
        .await;
    assert!(d.status.is_success(), "{}", d.body);
    let s = app
        .call(
            &alice,
            "GET",
            &format!("{base}/{internal}"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(s.body["grants"], json!([]), "{}", s.body);
    let snapshot = app.state.snapshot();
    let view = snapshot.workspace(&app.account_id, &internal).unwrap();
    assert!(view.granted_user_ids.is_empty());
    assert!(!iam_server::may_use_workspace(view, Some(&bob_id), false));
    assert!(iam_server::may_use_workspace(view, Some(&alice_id), false));
    assert!(snapshot.is_tenant_admin(&app.account_id, &carol_id));
    assert!(!snapshot.is_tenant_admin(&app.account_id, &alice_id));
}

#[tokio::test]
async fn workspaces_of_another_account_do_not_exist_for_the_caller() {
    let app = TestApp::new().await;
    let w = create_ws(&app, json!({"name": "mine-only"})).await;
    let store = app.state.store();
    let (member, their_root, their_project) = store
        .bootstrap_account("member-b", common::REGION, None)
        .await
        .unwrap();
    let member_id = member.id;
    let their_project = their_project.id;
    let k = store.create_access_key(&their_root.id).await.unwrap();
    let theirs = {
        use secrecy::ExposeSecret as _;
        Key {
            ak: k.access_key.access_key_id.clone(),
            sk: k.secret_access_key.expose_secret().to_owned(),
        }
    };
    app.state.rebuild().await.unwrap();
    // through our project: 404; through theirs: the workspace id names nothing
    for path in [
        format!("{}/{w}", ws_path(&app)),
        format!("/v1/{their_project}/workspaces/{w}"),
    ] {
        for method in ["GET", "DELETE"] {
            let a = app.call(&theirs, method, &path, &[], Value::Null).await;
            assert_huawei_error(&a, 404, iam_server::error_code::NOT_FOUND);
        }
    }
    let l = app
        .call(
            &theirs,
            "GET",
            &format!("/v1/{their_project}/workspaces"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(
        l.body["total_count"], 1,
        "only their default workspace: {}",
        l.body
    );
    assert!(app.state.snapshot().workspace(&member_id, &w).is_none());
}

#[tokio::test]
async fn enterprise_project_conditions_apply_to_workspace_calls() {
    let app = TestApp::new().await;
    let mine = create_ep(&app, "mine").await;
    let other = create_ep(&app, "other").await;
    let (_, erin) = user_with(
        &app,
        "erin",
        json!([
            {"Effect": "Allow", "Action": ["modelarts:workspace:*"], "Condition": {"StringEquals": {"g:EnterpriseProjectId": [mine.clone()]}}},
            {"Effect": "Allow", "Action": ["modelarts:workspace:list"]},
        ]),
    )
    .await;
    let base = ws_path(&app);
    let ok = app
        .call(
            &erin,
            "POST",
            &base,
            &[],
            json!({"name": "in-mine", "enterprise_project_id": mine}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let in_mine = ok.body["id"].as_str().unwrap().to_owned();
    for body in [
        json!({"name": "in-other", "enterprise_project_id": other}),
        json!({"name": "in-default"}),
    ] {
        let a = app.call(&erin, "POST", &base, &[], body.clone()).await;
        assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
    }
    let in_other = create_ws(
        &app,
        json!({"name": "root-other", "enterprise_project_id": other}),
    )
    .await;
    let a = app
        .call(&erin, "GET", &format!("{base}/{in_mine}"), &[], Value::Null)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = app
        .call(
            &erin,
            "GET",
            &format!("{base}/{in_other}"),
            &[],
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
    // a Deny on the enterprise project refuses the EPS APIs on it too
    let (_, frank) = user_with(
        &app,
        "frank",
        json!([
            {"Effect": "Allow", "Action": ["eps:*:*"]},
            {"Effect": "Deny", "Action": ["eps:*:*"], "Condition": {"StringEquals": {"g:EnterpriseProjectId": [mine.clone()]}}},
        ]),
    )
    .await;
    for (method, path, body, status) in [
        ("GET", format!("{EPS}/{mine}"), Value::Null, 403),
        (
            "POST",
            format!("{EPS}/{mine}/action"),
            json!({"action": "disable"}),
            403,
        ),
        ("GET", format!("{EPS}/{other}"), Value::Null, 200),
        (
            "POST",
            format!("{EPS}/{other}/action"),
            json!({"action": "disable"}),
            204,
        ),
    ] {
        let a = app.call(&frank, method, &path, &[], body).await;
        assert_eq!(a.status, status, "{method} {path}: {}", a.body);
    }
}

#[tokio::test]
async fn deleting_a_workspace_needs_the_delete_actions_of_what_it_holds() {
    let app = TestApp::new().await;
    let base = ws_path(&app);
    let (_, only_ws) = user_with(
        &app,
        "only-ws",
        json!([{"Effect": "Allow", "Action": ["modelarts:workspace:*"]}]),
    )
    .await;
    let (_, cleaner) = user_with(
        &app,
        "cleaner",
        json!([{"Effect": "Allow", "Action": ["modelarts:workspace:*", "modelarts:*:*delete*"]}]),
    )
    .await;
    let (_, no_pools) = user_with(
        &app,
        "no-pools",
        json!([
            {"Effect": "Allow", "Action": ["modelarts:workspace:*", "modelarts:*:*delete*"]},
            {"Effect": "Deny", "Action": ["modelarts:pool:delete"]},
        ]),
    )
    .await;
    let w = create_ws(&app, json!({"name": "to-clear"})).await;
    let before = revision(&app).await;
    for key in [&only_ws, &no_pools] {
        let a = app
            .call(key, "DELETE", &format!("{base}/{w}"), &[], Value::Null)
            .await;
        assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
        assert!(
            a.body["error_msg"].as_str().unwrap().contains(":delete"),
            "{}",
            a.body
        );
    }
    assert_eq!(revision(&app).await, before);
    let a = app
        .call(&cleaner, "DELETE", &format!("{base}/{w}"), &[], Value::Null)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // enabling/disabling authorizes exactly the action the body names
    let ep = create_ep(&app, "switch").await;
    let (_, disabler) = user_with(
        &app,
        "disabler",
        json!([{"Effect": "Allow", "Action": ["eps:enterpriseProjects:disable"]}]),
    )
    .await;
    let path = format!("{EPS}/{ep}/action");
    let a = app
        .call(&disabler, "POST", &path, &[], json!({"action": "disable"}))
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = app
        .call(&disabler, "POST", &path, &[], json!({"action": "enable"}))
        .await;
    assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
    assert!(
        a.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("eps:enterpriseProjects:enable")
    );
}

#[tokio::test]
async fn workspace_routes_are_served_locally_in_proxy_mode() {
    let mut app = TestApp::new().await;
    // an upstream nobody listens on: anything forwarded would be a 502
    app.router = iam_server::gateway::proxy_app(app.state.clone(), "http://127.0.0.1:9").unwrap();
    let id = create_ws(&app, json!({"name": "via-proxy", "auth_type": "PRIVATE"})).await;
    let base = ws_path(&app);
    for (method, path, body) in [
        ("GET", base.clone(), Value::Null),
        ("GET", format!("{base}/{id}"), Value::Null),
        ("PUT", format!("{base}/{id}"), json!({"description": "d"})),
        ("GET", format!("{base}/{id}/quotas"), Value::Null),
        (
            "PUT",
            format!("{base}/{id}/quotas"),
            json!({"quotas": [{"resource": "pool", "quota": 2}]}),
        ),
        ("DELETE", format!("{base}/{id}"), Value::Null),
        ("GET", EPS.to_owned(), Value::Null),
    ] {
        let a = app.root(method, &path, body).await;
        assert_eq!(a.status, 200, "{method} {path}: {}", a.body);
    }
    // and they are decided here: a user without policies is refused, not forwarded
    let (_, _, nobody) = app.user_with_key("nobody").await;
    let a = app.call(&nobody, "GET", &base, &[], Value::Null).await;
    assert_huawei_error(&a, 403, iam_server::error_code::FORBIDDEN);
}
