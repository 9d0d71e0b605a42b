//! Every request key the catalog declares is filled where the gateway decides: for every row of
//! the catalog's request-key table (`data/request-keys.json`) whose key can be known, a real
//! signed request on the row's route, giving the value the way the row says, is allowed by a
//! policy that requires that value, denied by one that requires another, and denied by a `Deny`
//! on that value (the Deny applies). Resource attributes come from the upstream's lookup
//! (`/iam/resource-attributes`), which is asked only when a policy reads such a key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Query;
use axum::response::IntoResponse;
use common::{TestApp, assert_huawei_error};
use http::StatusCode;
use iam_catalog::{Catalog, KeySource, Location, RequestKey};
use serde_json::{Value, json};

const REGION: &str = "cn-north-4";
const EP: &str = "5c2f3b1e-8d4a-4f1b-9c7e-0a1b2c3d4e5f";

/// One request built from a row: where to put the value, and the value the key then has.
struct Case {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Value,
    /// The condition key as a policy names it, and the value the gateway must fill.
    key: String,
    value: String,
    /// Resource attributes to register upstream for this URN.
    attributes: Option<(String, Value)>,
}

fn set_at(body: &mut Value, path: &str, v: Value) {
    let segs: Vec<&str> = path.split('.').collect();
    let mut cur = body;
    for (i, s) in segs.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let obj = cur.as_object_mut().unwrap();
        if i + 1 == segs.len() {
            obj.insert((*s).to_owned(), v.clone());
            return;
        }
        cur = obj.entry((*s).to_owned()).or_insert_with(|| json!({}));
    }
}

fn case(row: &RequestKey, project: &str, account: &str) -> Option<Case> {
    let route = Catalog::builtin()
        .routes()
        .find(|r| r.method == row.method && r.path == row.path)
        .unwrap();
    let path = row
        .path
        .split('/')
        .map(|s| match s {
            "{project_id}" => project.to_owned(),
            s if s.starts_with('{') => "x1".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    let key = row.key.replace("<tag-key>", "team");
    let mut c = Case {
        method: row.method.clone(),
        path,
        query: Vec::new(),
        body: Value::Null,
        key,
        value: String::new(),
        attributes: None,
    };
    let source = row
        .from
        .iter()
        .find(|s| !matches!(s, KeySource::Unknowable(_)))?;
    match source {
        KeySource::Field(loc) => {
            c.value = EP.to_owned();
            match Location::parse(loc).unwrap() {
                Location::Query(q) => c.query.push((q.to_owned(), EP.to_owned())),
                Location::Body(p) => {
                    c.body = json!({});
                    set_at(&mut c.body, p, json!(EP));
                }
                Location::Path(_) => c.value = "x1".to_owned(),
            }
        }
        // no workspace named: the default workspace, in the default enterprise project
        KeySource::Workspace => c.value = "0".to_owned(),
        KeySource::Resource => {
            let (ty, _) = route.resource_params.iter().next().unwrap();
            let urn = format!("modelarts:{REGION}:{account}:{ty}:x1");
            c.attributes = Some((
                urn,
                json!({"enterprise_project_id": EP, "tags": [{"key": "team", "value": "ml"}]}),
            ));
            c.value = if row.key == "g:EnterpriseProjectId" {
                EP.to_owned()
            } else {
                "ml".to_owned()
            };
        }
        KeySource::Pool => {
            c.body = json!({"pool_id": "pool-d"});
            c.value = if row.key == "modelarts:poolId" {
                "pool-d".to_owned()
            } else {
                "dedicated".to_owned()
            };
        }
        KeySource::Tags(locs) => {
            let Location::Body(p) = Location::parse(&locs[0]).unwrap() else {
                panic!("tags in the body");
            };
            c.body = json!({});
            set_at(&mut c.body, p, json!([{"key": "team", "value": "ml"}]));
            c.value = if row.key == "g:TagKeys" {
                "team".to_owned()
            } else {
                "ml".to_owned()
            };
        }
        KeySource::Default(v) => c.value = v.clone(),
        KeySource::Unknowable(_) => unreachable!(),
    }
    Some(c)
}

fn condition(key: &str, value: &str) -> Value {
    let op = if key == "g:TagKeys" {
        "ForAnyValue:StringEquals"
    } else {
        "StringEquals"
    };
    json!({op: {key: [value]}})
}

#[tokio::test]
async fn every_knowable_request_key_is_filled_on_its_route_and_a_deny_on_it_applies() {
    let mut app = TestApp::new().await;
    let (url, upstream) = common::LookupUpstream::spawn().await;
    app.router = iam_server::gateway::proxy_app(app.state.clone(), &url).unwrap();
    app.authorize_modelarts_for_all().await;
    let project = app.project_id.clone();
    let account = app.account_id.clone();
    let rows = Catalog::builtin().request_keys();
    let mut checked = 0;
    let mut unknowable = 0;
    for (i, row) in rows.iter().enumerate() {
        let Some(c) = case(row, &project, &account) else {
            unknowable += 1;
            continue;
        };
        if let Some((urn, a)) = &c.attributes {
            upstream
                .attributes
                .lock()
                .unwrap()
                .insert(urn.clone(), a.clone());
        }
        let what = format!("{} on {} {}", row.key, row.method, row.path);
        let query: Vec<(&str, &str)> = c
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (uid, _, key) = app.user_with_key(&format!("u{i}")).await;
        // 1. allowed only with the value the row gives
        let allow = app
            .grant(
                &uid,
                &format!("allow-{i}"),
                json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:*"], "Condition": condition(&c.key, &c.value)}]}),
            )
            .await;
        let a = app
            .call(&key, &c.method, &c.path, &query, c.body.clone())
            .await;
        assert_eq!(a.status, 200, "{what}: {}", a.body);
        app.revoke(&uid, &allow).await;
        let other = app
            .grant(
                &uid,
                &format!("other-{i}"),
                json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:*"], "Condition": condition(&c.key, "another-value")}]}),
            )
            .await;
        let a = app
            .call(&key, &c.method, &c.path, &query, c.body.clone())
            .await;
        assert_huawei_error(&a, 403, "IAM.0003");
        app.revoke(&uid, &other).await;
        // 2. a Deny on the value applies
        app.grant(
            &uid,
            &format!("deny-{i}"),
            json!({"Version": "5.0", "Statement": [
                {"Effect": "Allow", "Action": ["modelarts:*"]},
                {"Effect": "Deny", "Action": ["modelarts:*"], "Condition": condition(&c.key, &c.value)}
            ]}),
        )
        .await;
        let a = app
            .call(&key, &c.method, &c.path, &query, c.body.clone())
            .await;
        assert_huawei_error(&a, 403, "IAM.0003");
        checked += 1;
    }
    assert!(checked >= 80, "{checked} rows checked");
    eprintln!("{checked} (route, key) rows filled and enforced, {unknowable} unknowable");
}

/// The upstream is asked for a resource's attributes only when a policy reads a key that comes
/// from them; a lookup that fails closes the request (502, not forwarded); a 404 leaves the keys
/// out (an Allow that needs them does not match).
#[tokio::test]
async fn the_resource_lookup_is_asked_only_when_needed_and_fails_closed() {
    let mut app = TestApp::new().await;
    let (url, upstream) = common::LookupUpstream::spawn().await;
    app.router = iam_server::gateway::proxy_app(app.state.clone(), &url).unwrap();
    let path = format!("/v1/{}/notebooks/nb-1", app.project_id);
    let urn = format!("modelarts:{REGION}:{}:notebook:nb-1", app.account_id);
    let (uid, _, key) = app.user_with_key("plain").await;
    app.grant(
        &uid,
        "plain",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:get"]}]}),
    )
    .await;
    let a = app.call(&key, "GET", &path, &[], Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        upstream.lookups.lock().unwrap().is_empty(),
        "no policy reads a tag"
    );
    // a policy that reads a tag: the lookup is asked, by the notebook's URN
    let (uid, _, key) = app.user_with_key("tagged").await;
    app.grant(
        &uid,
        "tagged",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:get"], "Condition": {"StringEquals": {"g:ResourceTag/team": "ml"}}}]}),
    )
    .await;
    let a = app.call(&key, "GET", &path, &[], Value::Null).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert_eq!(*upstream.lookups.lock().unwrap(), vec![urn.clone()]);
    upstream.attributes.lock().unwrap().insert(
        urn.clone(),
        json!({"tags": [{"key": "team", "value": "ml"}]}),
    );
    let a = app.call(&key, "GET", &path, &[], Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // an answer that is not the documented shape fails closed, and nothing is forwarded
    let before = upstream.forwarded_count();
    upstream.attributes.lock().unwrap().insert(
        format!("modelarts:{REGION}:{}:notebook:nb-2", app.account_id),
        json!({"tags": "team=ml"}),
    );
    let a = app
        .call(
            &key,
            "GET",
            &format!("/v1/{}/notebooks/nb-2", app.project_id),
            &[],
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 502, "APIGW.0502");
    assert_eq!(upstream.forwarded_count(), before);
}

/// Bodies the keys are read from are strict JSON with one value per key: a member twice, a
/// byte-order mark, two different enterprise projects or workspaces, or tags that are not
/// `{"key", "value"}` objects are refused with 400 and never forwarded.
#[tokio::test]
async fn ambiguous_bodies_are_refused() {
    let mut app = TestApp::new().await;
    let (url, upstream) = common::LookupUpstream::spawn().await;
    app.router = iam_server::gateway::proxy_app(app.state.clone(), &url).unwrap();
    app.authorize_modelarts_for_all().await;
    let (uid, _, key) = app.user_with_key("dev").await;
    app.grant(
        &uid,
        "dev",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:*"]}]}),
    )
    .await;
    let p = &app.project_id;
    let cases: Vec<(String, Vec<u8>)> = vec![
        (
            format!("/v1/{p}/dev-servers"),
            br#"{"enterprise_project_id":"a","enterprise_project_id":"b"}"#.to_vec(),
        ),
        (
            format!("/v1/{p}/images"),
            br#"{"workspace_id":"0","metadata":{"workspace_id":"1f2e3d4c5b6a79880f1e2d3c4b5a6978"}}"#.to_vec(),
        ),
        (
            format!("/v1/{p}/images"),
            b"\xef\xbb\xbf{\"workspace_id\":\"0\"}".to_vec(),
        ),
        (
            format!("/v1/{p}/notebooks"),
            br#"{"tags":{"team":"ml"}}"#.to_vec(),
        ),
        (
            format!("/v1/{p}/notebooks"),
            br#"{"tags":[{"key":"team","value":"ml"},{"key":"team","value":"ops"}]}"#.to_vec(),
        ),
        (
            format!("/v1/{p}/dev-servers"),
            br#"{"enterprise_project_id":7}"#.to_vec(),
        ),
        (
            format!("/v1/{p}/notebooks"),
            br#"{"tags":[{"key":"env","value":"prod"},{"key":"ENV","value":"dev"}]}"#.to_vec(),
        ),
        // routes whose keys come from nowhere in the body: the workspace it names still must
        // be the one the upstream reads
        (
            format!("/v1/{p}/models"),
            br#"{"model_name":"m","workspace_id":"0","workspace_id":"0"}"#.to_vec(),
        ),
        (
            format!("/v2/{p}/workflows"),
            b"\xef\xbb\xbf{\"workspace_id\":\"0\"}".to_vec(),
        ),
        (format!("/v2/{p}/datasets"), b"workspace_id=0".to_vec()),
    ];
    for (path, body) in cases {
        let a = app.call_raw(&key, "POST", &path, &[], body.clone()).await;
        assert_eq!(
            a.status,
            400,
            "{path} {}: {}",
            String::from_utf8_lossy(&body),
            a.body
        );
        assert_huawei_error(&a, 400, "IAM.0001");
    }
    // a compressed body is not read as the upstream would read it
    let body = br#"{"model_name":"m"}"#.to_vec();
    let headers = [
        ("Host", common::HOST),
        ("Content-Type", "application/json"),
        ("Content-Encoding", "gzip"),
    ];
    let path = format!("/v1/{p}/models");
    let (signed, uri) = common::sign_now(&key, "POST", &path, &[], &headers, &body);
    let mut req = http::Request::builder().method("POST").uri(uri);
    for (n, v) in headers {
        req = req.header(n, v);
    }
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    let a = app
        .send(req.body(axum::body::Body::from(body)).unwrap())
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
    assert_eq!(upstream.forwarded_count(), 0);
}

/// The lookup's answer must be about the resource asked: an upstream that does not implement
/// the lookup (a catch-all 404 or 200), an answer about another URN, with other members, or
/// with a tag key twice (without letter case) fails closed, and nothing is forwarded.
#[tokio::test]
async fn lookup_answers_that_are_not_about_the_resource_fail_closed() {
    let app_router = |url: String| async move {
        let mut app = TestApp::new().await;
        app.router = iam_server::gateway::proxy_app(app.state.clone(), &url).unwrap();
        app
    };
    let cases: Vec<(StatusCode, Value)> = vec![
        (
            StatusCode::NOT_FOUND,
            json!({"error_code": "ModelArts.0404"}),
        ),
        (
            StatusCode::NOT_FOUND,
            json!({"resource": "modelarts:cn-north-4:x:notebook:other"}),
        ),
        (StatusCode::OK, json!({})),
        (
            StatusCode::OK,
            json!({"resource": "modelarts:cn-north-4:x:notebook:other", "tags": []}),
        ),
        (
            StatusCode::OK,
            json!({"resource": "SELF", "tags": [], "labels": {}}),
        ),
        (
            StatusCode::OK,
            json!({"resource": "SELF", "tags": [{"key": "team", "value": "ml"}, {"key": "TEAM", "value": "ops"}]}),
        ),
    ];
    for (status, answer) in cases {
        let forwarded = Arc::new(Mutex::new(0usize));
        let f = Arc::clone(&forwarded);
        let answer2 = answer.clone();
        let router = Router::new()
            .route(
                iam_server::gateway::LOOKUP_PATH,
                axum::routing::get(move |Query(q): Query<HashMap<String, String>>| {
                    let mut a = answer2.clone();
                    if a["resource"] == "SELF" {
                        a["resource"] = json!(q.get("resource").cloned().unwrap_or_default());
                    }
                    async move { (status, axum::Json(a)).into_response() }
                }),
            )
            .fallback(move || {
                *f.lock().unwrap() += 1;
                async { axum::Json(json!({})) }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let app = app_router(format!("http://{addr}")).await;
        let (uid, _, key) = app.user_with_key("tagged").await;
        app.grant(
            &uid,
            "tagged",
            json!({"Version": "5.0", "Statement": [
                {"Effect": "Allow", "Action": ["modelarts:notebook:get"]},
                {"Effect": "Deny", "Action": ["modelarts:notebook:get"], "Condition": {"StringEquals": {"g:ResourceTag/team": "secret"}}}
            ]}),
        )
        .await;
        let a = app
            .call(
                &key,
                "GET",
                &format!("/v1/{}/notebooks/nb-1", app.project_id),
                &[],
                Value::Null,
            )
            .await;
        assert_huawei_error(&a, 502, "APIGW.0502");
        assert_eq!(*forwarded.lock().unwrap(), 0, "{status} {answer}");
    }
}

/// The auth_request endpoint cannot ask the upstream: a policy that reads a key from the lookup
/// gets a refusal there (a Deny on it could not apply), one that does not is decided as usual.
#[tokio::test]
async fn auth_request_refuses_what_only_the_lookup_could_decide() {
    let app = TestApp::new().await;
    let path = format!("/v1/{}/notebooks/nb-1", app.project_id);
    let send = |key: common::Key| {
        let app = &app;
        let path = path.clone();
        async move {
            let headers = [("Host", common::HOST), ("Content-Type", "application/json")];
            let (signed, uri) = common::sign_now(&key, "GET", &path, &[], &headers, &[]);
            let mut req = http::Request::builder()
                .method("GET")
                .uri(iam_server::gateway::AUTH_PATH)
                .header("X-Original-Method", "GET")
                .header("X-Original-URI", uri);
            for (n, v) in headers {
                req = req.header(n, v);
            }
            for (n, v) in &signed.headers {
                req = req.header(*n, v);
            }
            app.send(req.body(axum::body::Body::empty()).unwrap()).await
        }
    };
    let (uid, _, plain) = app.user_with_key("plain").await;
    app.grant(
        &uid,
        "plain",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["modelarts:notebook:get"]}]}),
    )
    .await;
    let a = send(plain).await;
    assert!(a.status.is_success(), "{} {}", a.status, a.body);
    let (uid, _, denied) = app.user_with_key("denied").await;
    app.grant(
        &uid,
        "denied",
        json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["modelarts:notebook:get"]},
            {"Effect": "Deny", "Action": ["modelarts:notebook:get"], "Condition": {"StringEquals": {"g:ResourceTag/team": "secret"}}}
        ]}),
    )
    .await;
    let a = send(denied).await;
    assert_eq!(a.status, 403, "{}", a.body);
}

/// `POST /v1/authorize-request` decides a described ModelArts call as the gateway does: the
/// actions of its route, the keys the gateway fills from it (pool, request tags, the workspace's
/// enterprise project), the lookup's keys from `context`; a key the call determines cannot be
/// given, and a call outside the principal's account or not of ModelArts is refused.
#[tokio::test]
async fn the_decision_api_decides_a_described_call_like_the_gateway() {
    let app = TestApp::new().await;
    let p = app.project_id.clone();
    let (uid, urn, _) = app.user_with_key("described").await;
    app.grant(
        &uid,
        "described",
        json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["modelarts:*"]},
            {"Effect": "Deny", "Action": ["modelarts:notebook:create"], "Condition": {"StringEquals": {"modelarts:poolType": ["public"]}}},
            {"Effect": "Deny", "Action": ["modelarts:notebook:get"], "Condition": {"StringEquals": {"g:ResourceTag/team": ["secret"]}}},
            {"Effect": "Deny", "Action": ["modelarts:trainJob:create"], "Condition": {"StringEquals": {"g:RequestTag/env": ["prod"]}}}
        ]}),
    )
    .await;
    let ask = |body: Value| {
        let app = &app;
        async move { app.root("POST", "/v1/authorize-request", body).await }
    };
    let nb = format!("/v1/{p}/notebooks");
    // the pool decides: public is denied, a dedicated pool allowed
    let a =
        ask(json!({"principal": urn, "method": "POST", "path": nb, "body": {"name": "n"}})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["decision"], "explicit_deny", "{}", a.body);
    assert_eq!(
        a.body["context"]["modelarts:pooltype"],
        json!(["public"]),
        "{}",
        a.body
    );
    let a = ask(json!({"principal": urn, "method": "POST", "path": nb, "body": {"name": "n", "pool_id": "pool-d"}})).await;
    assert_eq!(a.body["decision"], "allow", "{}", a.body);
    assert_eq!(a.body["results"][0]["action"], "modelarts:notebook:create");
    // training jobs: both actions of the route, and the request tags
    let jobs = format!("/v2/{p}/training-jobs");
    let a = ask(json!({"principal": urn, "method": "POST", "path": jobs, "body": {"metadata": {"name": "j", "tags": [{"key": "env", "value": "prod"}]}}})).await;
    assert_eq!(a.body["decision"], "explicit_deny", "{}", a.body);
    assert_eq!(a.body["results"].as_array().unwrap().len(), 2, "{}", a.body);
    let a = ask(json!({"principal": urn, "method": "POST", "path": jobs, "body": {"metadata": {"name": "j"}}})).await;
    assert_eq!(a.body["decision"], "allow", "{}", a.body);
    // the lookup's keys come from `context`; without them a policy that reads them is refused
    let get = format!("/v1/{p}/notebooks/nb-1");
    let a = ask(json!({"principal": urn, "method": "GET", "path": get, "context": {"g:ResourceTag/team": "secret"}})).await;
    assert_eq!(a.body["decision"], "explicit_deny", "{}", a.body);
    let a = ask(json!({"principal": urn, "method": "GET", "path": get, "context": {"g:ResourceTag/team": "ml"}})).await;
    assert_eq!(a.body["decision"], "allow", "{}", a.body);
    let a = ask(json!({"principal": urn, "method": "GET", "path": get})).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    // only what the call leaves open may be given: a request tag the body does not set is not
    // (the gateway would see none), a request fact is
    let a = ask(json!({"principal": urn, "method": "POST", "path": jobs, "body": {"metadata": {"name": "j"}}, "context": {"g:RequestTag/env": "dev"}})).await;
    assert_huawei_error(&a, 400, "IAM.0001");
    let a = ask(json!({"principal": urn, "method": "POST", "path": jobs, "body": {"metadata": {"name": "j"}}, "context": {"g:SourceIp": "10.0.0.1"}})).await;
    assert_eq!(a.body["decision"], "allow", "{}", a.body);
    // a key the call determines cannot be given; bad calls are precise 400s
    let a = ask(json!({"principal": urn, "method": "POST", "path": nb, "body": {"pool_id": "pool-d"}, "context": {"modelarts:poolType": "public"}})).await;
    assert_huawei_error(&a, 400, "IAM.0001");
    for bad in [
        json!({"principal": urn, "method": "POST", "path": nb, "body": {"pool_id": 7}}),
        json!({"principal": urn, "method": "GET", "path": "/v5/users"}),
        json!({"principal": urn, "method": "GET", "path": format!("/v1/{p}/notebooks/a%2Fb")}),
        json!({"principal": urn, "method": "GET", "path": "/v1/0123456789abcdef0123456789abcdef/notebooks"}),
        json!({"principal": urn, "method": "get", "path": nb}),
        json!({"principal": urn, "method": "GET", "path": nb, "context": {"g:UserName": "root"}}),
    ] {
        let a = ask(bad.clone()).await;
        assert_huawei_error(&a, 400, "IAM.0001");
    }
    let a = ask(json!({"principal": "iam::000000000000:user:nobody", "method": "GET", "path": nb}))
        .await;
    assert_eq!(a.status, 404, "{}", a.body);
    // another account's principal does not exist for this caller, and this account's principal
    // cannot be decided on another account's project
    let store = app.state.store();
    let (_, other_root, other_project) = store
        .bootstrap_account("other", "cn-north-4", None)
        .await
        .unwrap();
    app.state.rebuild().await.unwrap();
    let other_path = format!("/v1/{}/notebooks", other_project.id);
    let a = ask(json!({"principal": other_root.urn, "method": "GET", "path": other_path})).await;
    assert_eq!(a.status, 404, "{}", a.body);
    let a = ask(json!({"principal": urn, "method": "GET", "path": other_path})).await;
    assert_huawei_error(&a, 400, "IAM.0001");
}

/// The auth_request endpoint cannot read bodies: a request with one is refused when the body
/// could change the decision — a policy statement about the route's actions reads a key a body
/// gives (the pool, here), or the account has a private or internal workspace the body could
/// name — and decided as usual otherwise.
#[tokio::test]
async fn auth_request_refuses_bodies_that_could_change_the_decision() {
    let app = TestApp::new().await;
    let p = app.project_id.clone();
    let (uid, _, key) = app.user_with_key("nginx-user").await;
    app.grant(
        &uid,
        "nginx-user",
        json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": ["modelarts:*"]},
            {"Effect": "Deny", "Action": ["modelarts:notebook:create"], "Condition": {"StringEquals": {"modelarts:poolType": ["public"]}}}
        ]}),
    )
    .await;
    let send = |path: String| {
        let app = &app;
        let key = key.clone();
        async move {
            let body = br#"{"pool_id":"pool-d"}"#;
            let headers = [
                ("Host", common::HOST),
                ("Content-Type", "application/octet-stream"),
            ];
            let (signed, _) = common::sign_now(&key, "POST", &path, &[], &headers, body);
            let mut req = http::Request::builder()
                .method("GET")
                .uri(iam_server::gateway::AUTH_PATH)
                .header("X-Original-Method", "POST")
                .header("X-Original-URI", &path)
                .header("X-Original-Content-Length", body.len().to_string());
            for (n, v) in headers {
                req = req.header(n, v);
            }
            for (n, v) in &signed.headers {
                req = req.header(*n, v);
            }
            app.send(req.body(axum::body::Body::empty()).unwrap()).await
        }
    };
    // the Deny reads the pool of notebook creations: the body could name one (without the
    // rule the request would be decided on the public pool)
    let a = send(format!("/v1/{p}/notebooks")).await;
    assert_eq!(a.status, 403, "{}", a.body);
    let msg = a.headers["x-iam-error-body"].to_str().unwrap().to_owned();
    assert!(msg.contains("cannot read the request body"), "{msg}");
    // no statement about training-job searches reads a body key: decided as usual
    let a = send(format!("/v2/{p}/training-job-searches")).await;
    assert_eq!(a.status, 204, "{}", a.body);
    // with a private workspace in the account, any body could name it
    let ws = app
        .root(
            "POST",
            &format!("/v1/{p}/workspaces"),
            json!({"name": "locked", "auth_type": "PRIVATE"}),
        )
        .await;
    assert_eq!(ws.status, 200, "{}", ws.body);
    let a = send(format!("/v2/{p}/training-job-searches")).await;
    assert_eq!(a.status, 403, "{}", a.body);
    let msg = a.headers["x-iam-error-body"].to_str().unwrap().to_owned();
    assert!(msg.contains("private or internal workspaces"), "{msg}");
}
