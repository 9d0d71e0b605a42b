//! System policies through the IAM v5 API (docs/system-policies.md): every account lists and
//! reads them, attaches them to users, groups and agencies, and decisions apply them; modifying,
//! deleting or creating one by name is refused for every caller, the root user included.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

mod common;

use std::collections::BTreeSet;

use common::{Key, TestApp, assert_huawei_error};
use iam_server::error_code;
use serde_json::{Value, json};

const COMMON_OPS: &str = "system-ModelArts-CommonOperations";
const COMMON_OPS_URN: &str = "iam::system:policy:ModelArts-CommonOperations";

fn catalog_count() -> usize {
    iam_catalog::Catalog::builtin().system_policies().len()
}

async fn list(app: &TestApp, key: &Key, query: &[(&str, &str)]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut marker = None::<String>;
    loop {
        let mut q = query.to_vec();
        if let Some(m) = &marker {
            q.push(("marker", m));
        }
        let a = app.call(key, "GET", "/v5/policies", &q, Value::Null).await;
        assert_eq!(a.status, 200, "{}", a.body);
        out.extend(a.body["policies"].as_array().unwrap().iter().cloned());
        match a.body["page_info"]["next_marker"].as_str() {
            Some(m) => marker = Some(m.to_owned()),
            None => return out,
        }
    }
}

fn names(policies: &[Value]) -> BTreeSet<String> {
    policies
        .iter()
        .map(|p| p["policy_name"].as_str().unwrap().to_owned())
        .collect()
}

async fn user_allowed(app: &TestApp, name: &str, statements: Value) -> (String, String, Key) {
    let (id, urn, key) = app.user_with_key(name).await;
    app.grant(
        &id,
        &format!("{name}-policy"),
        json!({"Version": "5.0", "Statement": statements}),
    )
    .await;
    (id, urn, key)
}

#[tokio::test]
async fn every_account_lists_and_reads_the_system_policies() {
    let app = TestApp::new().await;
    let n = catalog_count();
    // only system, paged 7 at a time: all of them, once each
    let system = list(
        &app,
        &app.root,
        &[("policy_type", "system"), ("limit", "7")],
    )
    .await;
    assert_eq!(system.len(), n);
    assert_eq!(names(&system).len(), n);
    for p in &system {
        assert_eq!(p["policy_type"], "system", "{p}");
        assert!(
            p["policy_id"].as_str().unwrap().starts_with("system-"),
            "{p}"
        );
        assert!(
            p["urn"]
                .as_str()
                .unwrap()
                .starts_with("iam::system:policy:"),
            "{p}"
        );
        assert_eq!(p["default_version_id"], "v1", "{p}");
    }
    let ops = system
        .iter()
        .find(|p| p["policy_name"] == "ModelArts CommonOperations")
        .unwrap();
    assert_eq!(ops["policy_id"], COMMON_OPS);
    assert_eq!(ops["urn"], COMMON_OPS_URN);

    // no filter: both kinds; `custom`: only the account's own; path_prefix and only_attached
    let (uid, _, _) = app.user_with_key("alice").await;
    let custom = app
        .root(
            "POST",
            "/v5/policies",
            json!({"policy_name": "mine", "path": "team/",
                   "policy_document": json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["obs:*:get*"]}]}).to_string()}),
        )
        .await;
    assert_eq!(custom.status, 200, "{}", custom.body);
    let all = list(&app, &app.root, &[]).await;
    assert_eq!(all.len(), n + 1);
    let only_custom = list(&app, &app.root, &[("policy_type", "custom")]).await;
    assert_eq!(names(&only_custom), BTreeSet::from(["mine".to_owned()]));
    let team = list(&app, &app.root, &[("path_prefix", "team/")]).await;
    assert_eq!(names(&team), BTreeSet::from(["mine".to_owned()]));
    assert!(
        list(&app, &app.root, &[("only_attached", "true")])
            .await
            .is_empty()
    );
    let a = app
        .root(
            "POST",
            &format!("/v5/policies/{COMMON_OPS}/attach-user"),
            json!({"user_id": uid}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    let attached = list(
        &app,
        &app.root,
        &[("policy_type", "system"), ("only_attached", "true")],
    )
    .await;
    assert_eq!(
        names(&attached),
        BTreeSet::from(["ModelArts CommonOperations".to_owned()])
    );
    assert_eq!(attached[0]["attachment_count"], 1);

    // GET policy, versions, version: the catalog's document
    let g = app
        .root("GET", &format!("/v5/policies/{COMMON_OPS}"), Value::Null)
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.body["policy"]["policy_type"], "system");
    let vs = app
        .root(
            "GET",
            &format!("/v5/policies/{COMMON_OPS}/versions"),
            Value::Null,
        )
        .await;
    assert_eq!(vs.status, 200, "{}", vs.body);
    assert_eq!(vs.body["versions"].as_array().unwrap().len(), 1);
    let v = app
        .root(
            "GET",
            &format!("/v5/policies/{COMMON_OPS}/versions/v1"),
            Value::Null,
        )
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    let doc: Value =
        serde_json::from_str(v.body["policy_version"]["document"].as_str().unwrap()).unwrap();
    let cat = iam_catalog::Catalog::builtin()
        .system_policy("ModelArts CommonOperations")
        .unwrap();
    assert_eq!(doc, cat.document);
    assert_eq!(v.body["policy_version"]["is_default"], true);

    // another account sees the same policies under the same ids
    let store = app.state.store();
    let (other, other_root, _) = store
        .bootstrap_account("other", common::REGION, None)
        .await
        .unwrap();
    let k = store.create_access_key(&other_root.id).await.unwrap();
    let other_key = Key {
        ak: k.access_key.access_key_id.clone(),
        sk: secrecy::ExposeSecret::expose_secret(&k.secret_access_key).to_owned(),
    };
    app.state.rebuild().await.unwrap();
    let theirs = list(&app, &other_key, &[]).await;
    assert_eq!(theirs.len(), n, "system policies only: {}", other.id);
    let g = app
        .call(
            &other_key,
            "GET",
            &format!("/v5/policies/{COMMON_OPS}"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.body["policy"]["urn"], COMMON_OPS_URN);
    // what the first account attached is not the other's to see: count, filter, entities
    assert_eq!(g.body["policy"]["attachment_count"], 0, "{}", g.body);
    assert!(
        list(&app, &other_key, &[("only_attached", "true")])
            .await
            .is_empty()
    );
    let e = app
        .call(
            &other_key,
            "GET",
            &format!("/v5/policies/{COMMON_OPS}/attached-entities"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(e.status, 200, "{}", e.body);
    assert_eq!(e.body["policy_users"], json!([]), "{}", e.body);
}

/// Every mutating operation on a system policy, and creating a custom policy with a system
/// policy's name, × every kind of powerful caller: refused, and nothing changes.
#[tokio::test]
async fn modifying_deleting_or_creating_a_system_policy_is_refused_for_every_caller() {
    let app = TestApp::new().await;
    // a member of the account's `admin` group, which has FullAccess (*:*:*) attached
    let (member_id, _, member) = app.user_with_key("admin-member").await;
    let admin_group = app
        .state
        .store()
        .admin_group(&app.account_id)
        .await
        .unwrap()
        .id;
    let a = app
        .root(
            "POST",
            &format!("/v5/groups/{admin_group}/add-user"),
            json!({"user_id": member_id}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    let a = app
        .root(
            "POST",
            "/v5/policies/system-FullAccess/attach-group",
            json!({"group_id": admin_group}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    // a user allowed iam:*:* by a custom policy
    let (_, _, iam_admin) = user_allowed(
        &app,
        "iam-admin",
        json!([{"Effect": "Allow", "Action": ["iam:*:*"]}]),
    )
    .await;
    let callers = [
        ("root", app.root.clone()),
        ("admin member", member),
        ("iam:*:*", iam_admin),
    ];
    let doc =
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["*"]}]}).to_string();
    let ops: Vec<(&str, String, Value)> = vec![
        (
            "PUT",
            format!("/v5/policies/{COMMON_OPS}"),
            json!({"description": "mine now"}),
        ),
        ("DELETE", format!("/v5/policies/{COMMON_OPS}"), Value::Null),
        (
            "POST",
            format!("/v5/policies/{COMMON_OPS}/versions"),
            json!({"policy_document": doc, "set_as_default": true}),
        ),
        (
            "DELETE",
            format!("/v5/policies/{COMMON_OPS}/versions/v1"),
            Value::Null,
        ),
        (
            "POST",
            format!("/v5/policies/{COMMON_OPS}/versions/v1/set-default"),
            Value::Null,
        ),
        // an unattached one too (deleting an attached policy would be a 409 anyway)
        (
            "DELETE",
            "/v5/policies/system-OBSReadOnlyPolicy".to_owned(),
            Value::Null,
        ),
        (
            "PUT",
            "/v5/policies/system-FullAccess".to_owned(),
            json!({"description": ""}),
        ),
    ];
    let creates = [
        "ModelArts CommonOperations",
        "FullAccess",
        "fullaccess",
        "ModelArtsFullAccessPolicy",
        "MODELARTSFULLACCESSPOLICY",
    ];
    let before = app.state.store().revision().await.unwrap();
    for (who, key) in &callers {
        for (method, path, body) in &ops {
            let a = app.call(key, method, path, &[], body.clone()).await;
            assert_huawei_error(&a, 403, error_code::FORBIDDEN);
            assert!(
                a.body["error_msg"]
                    .as_str()
                    .unwrap()
                    .contains("system policy"),
                "{who} {method} {path}: {}",
                a.body
            );
        }
        for name in creates {
            let a = app
                .call(
                    key,
                    "POST",
                    "/v5/policies",
                    &[],
                    json!({"policy_name": name, "policy_document": doc}),
                )
                .await;
            assert_huawei_error(&a, 409, error_code::CONFLICT);
            assert!(
                a.body["error_msg"]
                    .as_str()
                    .unwrap()
                    .contains("system policy"),
                "{who} create {name}: {}",
                a.body
            );
        }
    }
    assert_eq!(app.state.store().revision().await.unwrap(), before);
    let v = app
        .root("GET", &format!("/v5/policies/{COMMON_OPS}"), Value::Null)
        .await;
    assert_eq!(v.body["policy"]["default_version_id"], "v1");
    assert_ne!(v.body["policy"]["description"], "mine now");
}

#[tokio::test]
async fn attached_system_policies_decide_for_users_groups_and_agencies() {
    let app = TestApp::new().await;
    let (uid, urn, _) = app.user_with_key("bob").await;
    let decide = |action: &'static str| {
        let app = &app;
        let urn = urn.clone();
        async move { app.authorize(&urn, action, "*").await["decision"].clone() }
    };
    assert_eq!(decide("modelarts:notebook:create").await, "implicit_deny");
    let a = app
        .root(
            "POST",
            &format!("/v5/policies/{COMMON_OPS}/attach-user"),
            json!({"user_id": uid}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    assert_eq!(decide("modelarts:notebook:create").await, "allow");
    assert_eq!(decide("modelarts:trainJob:delete").await, "allow");
    assert_eq!(decide("modelarts:pool:list").await, "allow");
    assert_eq!(decide("modelarts:pool:create").await, "explicit_deny");
    assert_eq!(decide("iam:users:createUserV5").await, "implicit_deny");
    let listed = app
        .root(
            "GET",
            &format!("/v5/users/{uid}/attached-policies"),
            Value::Null,
        )
        .await;
    assert_eq!(listed.body["attached_policies"][0]["urn"], COMMON_OPS_URN);
    app.revoke(&uid, COMMON_OPS).await;
    assert_eq!(decide("modelarts:notebook:create").await, "implicit_deny");

    // through a group: Tenant Administrator (verbatim) allows every service but IAM
    let g = app
        .root("POST", "/v5/groups", json!({"group_name": "tenant-admins"}))
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    let gid = g.body["group"]["group_id"].as_str().unwrap().to_owned();
    let a = app
        .root(
            "POST",
            &format!("/v5/groups/{gid}/add-user"),
            json!({"user_id": uid}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    let a = app
        .root(
            "POST",
            "/v5/policies/system-Tenant-Administrator/attach-group",
            json!({"group_id": gid}),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    assert_eq!(decide("modelarts:pool:create").await, "allow");
    assert_eq!(decide("obs:object:PutObject").await, "allow");
    assert_eq!(decide("iam:users:createUserV5").await, "implicit_deny");
    assert_eq!(decide("iam:users:attachPolicyV5").await, "implicit_deny");

    // to an agency
    let trust = json!({"Version": "5.0", "Statement": [{"Effect": "Allow",
        "Action": ["sts:agencies:assume"], "Principal": {"Service": ["service.ModelArts"]}}]});
    let ag = app
        .root(
            "POST",
            "/v5/agencies",
            json!({"agency_name": "ma_agency", "trust_policy": trust.to_string()}),
        )
        .await;
    assert_eq!(ag.status, 200, "{}", ag.body);
    let agid = ag.body["agency"]["agency_id"].as_str().unwrap().to_owned();
    for name in ["OBS OperateAccess", "SWR Admin"] {
        let id = iam_server::system_policy_id(name).unwrap();
        let a = app
            .root(
                "POST",
                &format!("/v5/policies/{id}/attach-agency"),
                json!({"agency_id": agid}),
            )
            .await;
        assert!(a.status.is_success(), "{name}: {}", a.body);
    }
    let listed = app
        .root(
            "GET",
            &format!("/v5/agencies/{agid}/attached-policies"),
            Value::Null,
        )
        .await;
    assert_eq!(
        listed.body["attached_policies"].as_array().unwrap().len(),
        2
    );
    let entities = app
        .root(
            "GET",
            "/v5/policies/system-SWR-Admin/attached-entities",
            Value::Null,
        )
        .await;
    assert_eq!(
        entities.body["policy_agencies"][0]["agency_id"],
        agid.as_str()
    );
}

/// Attaching is authorized like any attachment: the action on the target principal, with the
/// system policy's URN as `iam:PolicyURN`; reading one is authorized on its URN.
#[tokio::test]
async fn attaching_and_reading_are_authorized_on_the_system_policy_urn() {
    let app = TestApp::new().await;
    let (target, _, _) = app.user_with_key("target").await;
    let (_, _, key) = user_allowed(
        &app,
        "delegate",
        json!([
            {"Effect": "Allow", "Action": ["iam:users:attachPolicyV5"],
             "Condition": {"StringEquals": {"iam:PolicyURN": [COMMON_OPS_URN]}}},
            {"Effect": "Allow", "Action": ["iam:policies:getV5"], "Resource": [COMMON_OPS_URN]},
        ]),
    )
    .await;
    let attach = |id: &'static str| {
        let (app, key, target) = (&app, key.clone(), target.clone());
        async move {
            app.call(
                &key,
                "POST",
                &format!("/v5/policies/{id}/attach-user"),
                &[],
                json!({"user_id": target}),
            )
            .await
        }
    };
    let a = attach(COMMON_OPS).await;
    assert!(a.status.is_success(), "{}", a.body);
    let a = attach("system-FullAccess").await;
    assert_huawei_error(&a, 403, error_code::FORBIDDEN);
    let g = app
        .call(
            &key,
            "GET",
            &format!("/v5/policies/{COMMON_OPS}"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    let g = app
        .call(
            &key,
            "GET",
            "/v5/policies/system-FullAccess",
            &[],
            Value::Null,
        )
        .await;
    assert_huawei_error(&g, 403, error_code::FORBIDDEN);
    // unknown system-looking ids are 404 for whoever may read policies
    let g = app
        .root("GET", "/v5/policies/system-No-Such-Policy", Value::Null)
        .await;
    assert_huawei_error(&g, 404, error_code::NOT_FOUND);
}
