//! The web console's server side: `GET /v1/catalog` (the visual editor's and simulator's data,
//! compared with the catalog, policy and assistant crates) and the embedded assets with their
//! security headers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use common::TestApp;
use http::Request;
use serde_json::Value;

fn names<'a>(v: &'a Value, member: &str) -> BTreeSet<&'a str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[member].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn catalog_lists_every_action_operator_key_and_scenario() {
    let app = TestApp::new().await;
    let a = app.root("GET", "/v1/catalog", Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let catalog = iam_catalog::Catalog::builtin();

    let answered: BTreeSet<&str> = a.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["actions"].as_array().unwrap())
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = catalog.actions().map(|x| x.name.as_str()).collect();
    assert_eq!(answered, expected);
    assert!(!expected.is_empty());

    // access levels and resource types as the catalog has them
    let create = a.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["actions"].as_array().unwrap())
        .find(|x| x["name"] == "modelarts:notebook:create")
        .unwrap();
    let action = catalog.action("modelarts:notebook:create").unwrap();
    assert_eq!(create["access_level"], action.access_level.as_str());
    assert_eq!(
        create["resource_types"].as_array().unwrap().len(),
        action.resources.len()
    );

    let operators = names(&a.body["operators"], "name");
    let expected: BTreeSet<&str> = iam_policy::BaseOperator::all().map(|o| o.name()).collect();
    assert_eq!(operators, expected);
    for q in a.body["qualifiers"].as_array().unwrap() {
        let name = format!("{}StringEquals", q.as_str().unwrap());
        assert!(iam_policy::Operator::parse(&name).is_ok(), "{name}");
    }
    assert_eq!(a.body["qualifiers"].as_array().unwrap().len(), 2);

    let globals = names(&a.body["global_condition_keys"], "name");
    let expected: BTreeSet<&str> = catalog
        .global_condition_keys()
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(globals, expected);
    assert!(!globals.is_empty());

    let scenarios = a.body["scenarios"].as_array().unwrap();
    let expected = iam_assistant::scenarios(catalog);
    assert_eq!(scenarios.len(), expected.len());
    for (got, want) in scenarios.iter().zip(&expected) {
        assert_eq!(got["id"], want.id.as_str());
        let actions: Vec<&str> = got["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(actions, want.actions());
    }
}

#[tokio::test]
async fn catalog_needs_a_signature() {
    let app = TestApp::new().await;
    let a = app
        .send(
            Request::get("/v1/catalog")
                .header("Host", common::HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, 401, "{}", a.body);
}

async fn get(app: &TestApp, path: &str) -> common::Answer {
    app.send(
        Request::get(path)
            .header("Host", common::HOST)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn console_assets_are_served_with_a_strict_policy() {
    let app = TestApp::new().await;
    let page = get(&app, "/console").await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert_eq!(csp, iam_server::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    let html = page.body.as_str().unwrap();
    // no inline script or style: every script is a module from the assets
    assert!(!html.contains("<style"));
    assert!(!html.contains("style="));
    for (i, _) in html.match_indices("<script") {
        let tag: String = html[i..].chars().take_while(|c| *c != '>').collect();
        assert!(tag.contains("src=\"/console/assets/"), "{tag}");
    }

    for name in iam_server::asset_names() {
        let a = get(&app, &format!("/console/assets/{name}")).await;
        assert_eq!(a.status, 200, "{name}");
        let media = a.headers["content-type"].to_str().unwrap();
        if name.ends_with(".js") {
            assert!(media.starts_with("text/javascript"), "{name}: {media}");
        } else {
            assert!(media.starts_with("text/css"), "{name}: {media}");
        }
        assert_eq!(a.headers["content-security-policy"], csp);
        assert_eq!(a.headers["x-content-type-options"], "nosniff");
    }

    for missing in ["nothing.js", "..%2fCargo.toml", "index.html"] {
        let a = get(&app, &format!("/console/assets/{missing}")).await;
        assert!(
            a.status == 404 || a.status == 400,
            "{missing}: {}",
            a.status
        );
        assert!(a.body["error_code"].is_string(), "{missing}: {}", a.body);
    }
}
