//! The ModelArts agency APIs and the assistant endpoints, in process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{TestApp, assert_huawei_error};
use serde_json::{Value, json};

async fn project(app: &TestApp) -> String {
    app.state
        .store()
        .list_projects(&app.account_id)
        .await
        .unwrap()[0]
        .id
        .clone()
}

fn obs_objects_only() -> Value {
    json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:trainJob:*", "iam:tokens:assume", "iam:credentials:listCredentials", "iam:agencies:listAgencies"]},
        {"Effect": "Allow", "Action": ["obs:object:GetObject"], "Resource": ["obs:*:*:object:train-data/*"]},
        {"Effect": "Allow", "Action": ["obs:bucket:ListBucket"], "Resource": ["obs:*:*:bucket:train-data"]}
    ]})
}

#[tokio::test]
async fn one_click_agency_and_authorizations_are_for_the_tenant_administrator_only() {
    let app = TestApp::new().await;
    let pid = project(&app).await;
    let agency = format!("/v2/{pid}/agency");
    // A user whose policies allow every IAM action is still not the tenant administrator.
    let (uid, _urn, key) = app.user_with_key("alice").await;
    app.grant(
        &uid,
        "iam-all",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:*:*"]}]}),
    )
    .await;
    let a = app
        .call(
            &key,
            "POST",
            &agency,
            &[],
            json!({"agency_name_suffix": "alice"}),
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    let a = app
        .call(
            &key,
            "POST",
            &format!("/v2/{pid}/authorizations"),
            &[],
            json!({"user_id": uid, "type": "agency", "content": "modelarts_agency"}),
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");

    // The root user creates the one-click agency.
    let a = app
        .root("POST", &agency, json!({"agency_name_suffix": "alice"}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["agency_name"], "ma_agency_alice");
    let a2 = app
        .root("POST", &agency, json!({"agency_name_suffix": "alice"}))
        .await;
    assert_huawei_error(&a2, 409, "IAM.0005");
    let d = app.root("POST", &agency, json!({})).await;
    assert_eq!(d.body["agency_name"], "modelarts_agency", "{}", d.body);
    for bad in [
        json!({"agency_name_suffix": "no spaces"}),
        json!({"agency_name_suffix": "x", "agency_scopes": ["nope"]}),
    ] {
        let a = app.root("POST", &agency, bad).await;
        assert_huawei_error(&a, 400, "IAM.0001");
    }
    let custom = app
        .root(
            "POST",
            &agency,
            json!({"agency_name_suffix": "train", "agency_scopes": ["t11-training-jobs"]}),
        )
        .await;
    assert_eq!(custom.status, 200, "{}", custom.body);
    // A custom agency for a function scenario: the agency scopes it needs (Table 4 -> Table 11).
    let fromfn = app
        .root(
            "POST",
            &agency,
            json!({"agency_name_suffix": "trainer", "agency_scopes": ["t4-training-management"]}),
        )
        .await;
    assert_eq!(fromfn.status, 200, "{}", fromfn.body);
    let policy_id = fromfn.body["policy_ids"][0].as_str().unwrap();
    let doc = app
        .state
        .store()
        .get_default_policy_version(policy_id)
        .await
        .unwrap()
        .document;
    assert!(
        doc.contains("obs:object:PutObject") && !doc.contains("lts:"),
        "{doc}"
    );
    let bad = app
        .root("POST", "/v2/no-such-project/agency", json!({}))
        .await;
    assert_huawei_error(&bad, 404, "IAM.0004");

    // Authorizations.
    let path = format!("/v2/{pid}/authorizations");
    let r = app
        .root(
            "POST",
            &path,
            json!({"user_id": uid, "type": "agency", "content": "ma_agency_alice"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.root("POST", &path, json!({"user_id": "all", "type": "agency", "content": "modelarts_agency", "user_type": "all-users"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for (body, status) in [
        (
            json!({"user_id": uid, "type": "credential", "content": "AK"}),
            400,
        ),
        (
            json!({"user_id": uid, "type": "agency", "content": "no_such_agency"}),
            404,
        ),
        (
            json!({"user_id": "all", "type": "agency", "content": "modelarts_agency"}),
            400,
        ),
        (json!({"user_id": uid, "type": "agency"}), 400),
    ] {
        let r = app.root("POST", &path, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body} -> {}", r.body);
    }
    let key_root = app.root.clone();
    let l = app
        .call(
            &key_root,
            "GET",
            &path,
            &[("sort_by", "user_name")],
            Value::Null,
        )
        .await;
    assert_eq!(l.status, 200, "{}", l.body);
    assert_eq!(l.body["total_count"], 2);
    let names: Vec<&str> = l.body["auth"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["content"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ma_agency_alice") && names.contains(&"modelarts_agency"));
    // the member may not revoke; the root may, once
    for (k, refused) in [
        (&key, Some((403, "IAM.0003"))),
        (&key_root, None),
        (&key_root, Some((404, "IAM.0004"))),
    ] {
        let q = [("user_id", uid.as_str())];
        let x = app.call(k, "DELETE", &path, &q, Value::Null).await;
        match refused {
            Some((status, code)) => assert_huawei_error(&x, status, code),
            None => assert_eq!(x.status, 200, "{}", x.body),
        }
    }
    let l = app.call(&key_root, "GET", &path, &[], Value::Null).await;
    assert_eq!(l.body["total_count"], 1);
}

#[tokio::test]
async fn preflight_and_audit_use_the_configured_agency() {
    let app = TestApp::new().await;
    let pid = project(&app).await;
    let (uid, urn, _key) = app.user_with_key("bob").await;
    app.grant(&uid, "bob-train", obs_objects_only()).await;
    let (uid2, urn2, _) = app.user_with_key("carol").await;
    app.grant(
        &uid2,
        "carol-all",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]}),
    )
    .await;
    // Before any authorization: the agency-configured step fails.
    let op = json!({"operation": "create-training-job", "inputs": ["obs://train-data/in/"]});
    let p = app
        .root(
            "POST",
            "/v1/assistant/preflight",
            json!({"principal": urn, "operation": op}),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["ok"], false);
    let failing: Vec<&str> = p.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "fail")
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["agency-configured"]);
    // One-click agency for all users: the training steps of the agency pass.
    app.root("POST", &format!("/v2/{pid}/agency"), json!({}))
        .await;
    let r = app.root("POST", &format!("/v2/{pid}/authorizations"), json!({"user_id": "all", "type": "agency", "content": "modelarts_agency", "user_type": "all-users"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = app
        .root(
            "POST",
            "/v1/assistant/preflight",
            json!({"principal": urn, "operation": op}),
        )
        .await;
    assert_eq!(p.body["ok"], true, "{}", p.body);
    assert_eq!(p.body["agency"], "modelarts_agency");
    // Audit: bob's one-click agency grants far more than bob (OBS writes, ModelArts, LTS, VPC ...);
    // carol has `*`.
    let key_root = app.root.clone();
    let a = app
        .call(
            &key_root,
            "GET",
            "/v1/assistant/agency-audit",
            &[("project_id", pid.as_str())],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let results = a.body["results"].as_array().unwrap();
    let bob = results.iter().find(|r| r["user"] == urn.as_str()).unwrap();
    let carol = results.iter().find(|r| r["user"] == urn2.as_str()).unwrap();
    assert_eq!(carol["ok"], true, "{carol}");
    assert_eq!(bob["ok"], false);
    let actions: Vec<&str> = bob["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"obs:object:PutObject"));
    // the one-click agency's system policies (ModelArts CommonOperations, Tenant Administrator)
    // grant ModelArts itself and the other dependent services too, none of which bob has
    assert!(actions.iter().any(|a| a.starts_with("modelarts:trainJob")));
    assert!(actions.iter().any(|a| a.starts_with("lts:")), "{actions:?}");
    // and never IAM: Tenant Administrator excludes it
    assert!(
        !actions.iter().any(|a| a.starts_with("iam:")),
        "{actions:?}"
    );
    // Coverage of a stored user and of documents; unknown principal is 404.
    let c = app
        .root(
            "POST",
            "/v1/assistant/coverage",
            json!({"principal": urn, "scenarios": ["t4-training-management"]}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["covered"], false);
    let c = app
        .root(
            "POST",
            "/v1/assistant/coverage",
            json!({"principal": "iam::x:user:nobody", "scenarios": ["all"]}),
        )
        .await;
    assert_huawei_error(&c, 404, "IAM.0004");
    let c = app
        .root(
            "POST",
            "/v1/assistant/coverage",
            json!({"scenarios": ["nope"], "policies": [obs_objects_only()]}),
        )
        .await;
    assert_huawei_error(&c, 400, "IAM.0001");
}

#[tokio::test]
async fn generate_diff_and_check_no_new_access() {
    let app = TestApp::new().await;
    let g = app.root("POST", "/v1/assistant/generate", json!({"scenarios": ["t4-training-management"], "scope": {"obs": [{"bucket": "train-data", "prefix": "in/"}]}})).await;
    assert_eq!(g.status, 200, "{}", g.body);
    let doc = g.body["policies"][0]["document"].clone();
    let c = app.root("POST", "/v1/assistant/coverage", json!({"scenarios": ["t4-training-management"], "policies": [doc.clone()], "scope": {"obs": [{"bucket": "train-data", "prefix": "in/"}]}})).await;
    assert_eq!(c.body["covered"], true, "{}", c.body);
    // Observed use: the decision log of a principal.
    let (_uid, urn, _) = app.user_with_key("dave").await;
    let o = app
        .root(
            "POST",
            "/v1/assistant/generate",
            json!({"observed": {"principal": urn}}),
        )
        .await;
    assert_huawei_error(&o, 400, "IAM.0001");
    let store = app.state.store();
    for (action, resource, decision) in [
        (
            "modelarts:notebook:get",
            "modelarts:cn-north-4:x:notebook:nb-1",
            "allow",
        ),
        (
            "modelarts:notebook:start",
            "modelarts:cn-north-4:x:notebook:nb-1",
            "allow",
        ),
        (
            "modelarts:trainJob:delete",
            "modelarts:cn-north-4:x:trainJob:j",
            "implicit_deny",
        ),
    ] {
        store
            .append_decision(&iam_store::NewDecision {
                principal_urn: Some(urn.clone()),
                action: action.into(),
                resource: Some(resource.into()),
                decision: decision.into(),
                ..iam_store::NewDecision::default()
            })
            .await
            .unwrap();
    }
    let o = app
        .root(
            "POST",
            "/v1/assistant/generate",
            json!({"observed": {"principal": urn}}),
        )
        .await;
    assert_eq!(o.status, 200, "{}", o.body);
    let mut actions: Vec<&str> = o.body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        ["modelarts:notebook:get", "modelarts:notebook:start"]
    );
    assert_eq!(
        o.body["policies"][0]["document"]["Statement"][0]["Resource"],
        json!(["modelarts:cn-north-4:x:notebook:nb-1"])
    );
    let o = app
        .root(
            "POST",
            "/v1/assistant/generate",
            json!({"observed": {"principal": urn, "since": "2999-01-01T00:00:00Z"}}),
        )
        .await;
    assert_huawei_error(&o, 400, "IAM.0001");
    let o = app
        .root(
            "POST",
            "/v1/assistant/generate",
            json!({"observed": {"principal": urn, "since": "yesterday"}}),
        )
        .await;
    assert_huawei_error(&o, 400, "IAM.0001");
    let narrow = json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"],"Resource":["obs:*:*:object:b1/in/*"]}]});
    let wide = json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["obs:object:GetObject"],"Resource":["obs:*:*:object:b1/*"]}]});
    let d = app
        .root(
            "POST",
            "/v1/assistant/diff",
            json!({"old": [narrow], "new": [wide]}),
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(d.body["added"].as_array().unwrap().len(), 1);
    assert_eq!(d.body["removed"].as_array().unwrap().len(), 0);
    let k = app.root("POST", "/v5/policies/check-no-new-access", json!({"existing_policy_document": narrow.to_string(), "new_policy_document": wide.to_string(), "policy_type": "identity_policy"})).await;
    assert_eq!(k.status, 200, "{}", k.body);
    assert_eq!(k.body["check_result"], "fail");
    assert_eq!(k.body["reasons"][0]["statement_index"], 0);
    let k = app.root("POST", "/v5/policies/check-no-new-access", json!({"existing_policy_document": wide.to_string(), "new_policy_document": narrow.to_string(), "policy_type": "identity_policy"})).await;
    assert_eq!(k.body["check_result"], "pass", "{}", k.body);
    let k = app.root("POST", "/v5/policies/check-no-new-access", json!({"existing_policy_document": "{", "new_policy_document": narrow.to_string(), "policy_type": "identity_policy"})).await;
    assert_huawei_error(&k, 400, "IAM.0001");
    // A user without permissions is refused.
    let (_, _, key) = app.user_with_key("eve").await;
    let r = app
        .call(
            &key,
            "POST",
            "/v1/assistant/diff",
            &[],
            json!({"old": [], "new": []}),
        )
        .await;
    assert_huawei_error(&r, 403, "IAM.0003");
}
