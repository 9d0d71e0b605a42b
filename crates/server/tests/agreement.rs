//! The tools agree with each other and with enforcement (issue 13): for every scenario of seed
//! 000 Tables 1-9 and every scope `generate` offers, the generated policies validate with no
//! finding that says a part of them cannot work; every ModelArts request of the scenario, sent
//! as a real signed HTTP request on its catalog route through the gateway with the scoped
//! resources (pool id in the path, the workspace in the request, enterprise project and tags from
//! the upstream's resource lookup), is allowed; the same request outside the scope gets the
//! verdict `coverage` gives for it (denied where the scope limited the action). Counts the
//! (scenario, scope, request) triples checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::collections::{BTreeMap, HashMap};

use common::TestApp;
use http::StatusCode;
use iam_assistant::coverage::decide_target;
use iam_assistant::generate;
use iam_assistant::{ObsPath, Scope, Subject, scenarios};
use iam_catalog::{Catalog, KeySource, Route};
use iam_policy::{Context, Principal};
use serde_json::{Value, json};

const REGION: &str = "cn-north-4";

/// Where the scoped values are, inside the scope and outside it.
struct Place {
    pool: &'static str,
    workspace: String,
    enterprise_project: String,
    tag: &'static str,
    /// The id of any other resource the path names (distinct inside and outside: the
    /// gateway keeps lookup answers for a few seconds).
    id: &'static str,
}

/// A built request: path, query, body, and the resource attributes (URN, answer) the upstream's
/// lookup gives.
type Built = (
    String,
    Vec<(String, String)>,
    Value,
    Option<(String, Value)>,
);

/// The request of `action` on `route` at `place`: method, path, query, body, and the resource
/// attributes the upstream's lookup answers for the resource the path names.
fn request(route: &Route, project: &str, account: &str, place: &Place) -> Built {
    let catalog = Catalog::builtin();
    let mut named: Option<String> = None;
    let path = route
        .path
        .split('/')
        .map(|s| {
            let Some(param) = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) else {
                return s.to_owned();
            };
            if param == "project_id" {
                return project.to_owned();
            }
            let ty = route
                .resource_params
                .iter()
                .find(|(_, p)| p.as_str() == param)
                .map(|(t, _)| t.as_str());
            let id = match ty {
                Some("pool") => place.pool.to_owned(),
                Some("workspace") => place.workspace.clone(),
                _ => place.id.to_owned(),
            };
            if let Some(ty) = ty
                && named.is_none()
            {
                let rt = catalog.resource_type(&route.service, ty).unwrap();
                named = Some(rt.render(REGION, account, &id));
            }
            id
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut query = Vec::new();
    let mut body = Value::Null;
    // every request says which workspace it is in where the route reads one
    let reads_workspace = route
        .request_keys
        .iter()
        .any(|k| k.from.contains(&KeySource::Workspace));
    if reads_workspace {
        if route.method == "GET" || route.method == "DELETE" {
            query.push(("workspace_id".to_owned(), place.workspace.clone()));
        } else {
            body = json!({"workspace_id": place.workspace});
        }
    }
    let reads_ep_field = route.request_keys.iter().any(|k| {
        k.from
            .contains(&KeySource::Field("body:enterprise_project_id".into()))
    });
    if reads_ep_field {
        body = json!({"enterprise_project_id": place.enterprise_project});
    }
    let attributes = named.map(|urn| {
        (
            urn,
            json!({"enterprise_project_id": place.enterprise_project, "tags": [{"key": "team", "value": place.tag}]}),
        )
    });
    (path, query, body, attributes)
}

#[tokio::test]
async fn generated_policies_coverage_and_the_gateway_agree() {
    let catalog = Catalog::builtin();
    let mut app = TestApp::new().await;
    let (url, upstream) = common::LookupUpstream::spawn().await;
    app.router = iam_server::gateway::proxy_app(app.state.clone(), &url).unwrap();
    app.authorize_modelarts_for_all().await;
    let project = app.project_id.clone();
    let account = app.account_id.clone();
    let mut eps = Vec::new();
    let mut wss = Vec::new();
    for name in ["inside", "outside"] {
        let ep = app
            .root("POST", "/v1.0/enterprise-projects", json!({"name": name}))
            .await;
        assert_eq!(ep.status, 200, "{}", ep.body);
        let ep = ep.body["enterprise_project"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ws = app
            .root(
                "POST",
                &format!("/v1/{project}/workspaces"),
                json!({"name": format!("ws-{name}"), "enterprise_project_id": ep}),
            )
            .await;
        assert_eq!(ws.status, 200, "{}", ws.body);
        wss.push(ws.body["id"].as_str().unwrap().to_owned());
        eps.push(ep);
    }
    let inside = Place {
        pool: "pool-in",
        workspace: wss[0].clone(),
        enterprise_project: eps[0].clone(),
        tag: "ml",
        id: "x1",
    };
    let outside = Place {
        pool: "pool-out",
        workspace: wss[1].clone(),
        enterprise_project: eps[1].clone(),
        tag: "ops",
        id: "x2",
    };
    let scope_of = |p: &Place, which: &str| -> Scope {
        match which {
            "unscoped" => Scope::default(),
            "region" => Scope {
                region: Some(REGION.into()),
                ..Scope::default()
            },
            "obs" => Scope {
                obs: vec![ObsPath::parse("obs://ml-data/train/").unwrap()],
                ..Scope::default()
            },
            "pool" => Scope {
                pools: vec![p.pool.into()],
                ..Scope::default()
            },
            "workspace" => Scope {
                workspace: Some(p.workspace.clone()),
                ..Scope::default()
            },
            "enterprise-project" => Scope {
                enterprise_project: Some(p.enterprise_project.clone()),
                ..Scope::default()
            },
            "resource-tags" => Scope {
                resource_tags: BTreeMap::from([("team".to_owned(), p.tag.to_owned())]),
                ..Scope::default()
            },
            other => panic!("{other}"),
        }
    };
    let scopes = [
        "unscoped",
        "region",
        "obs",
        "pool",
        "workspace",
        "enterprise-project",
        "resource-tags",
    ];
    let all = scenarios(catalog);
    let mut triples = 0usize;
    let mut denied_outside = 0usize;
    let mut denied_by_scope: HashMap<&str, usize> = HashMap::new();
    let mut user = 0usize;
    for which in scopes {
        let scope = scope_of(&inside, which);
        let out_scope = scope_of(&outside, which);
        for sc in &all {
            let gened = generate::from_scenarios(catalog, &[sc], &scope).unwrap();
            for p in &gened.policies {
                let findings = iam_analyzer::validate(
                    &p.document.to_string(),
                    iam_analyzer::PolicyType::Identity,
                );
                let bad: Vec<_> = findings
                    .iter()
                    .filter(|f| f.is_error() || f.says_part_never_applies())
                    .collect();
                assert!(bad.is_empty(), "{which} {}: {bad:?}", sc.id);
            }
            let subject =
                Subject::from_documents(Principal::default(), &gened.documents(), &[]).unwrap();
            // the requests: every route of every ModelArts action granted whose actions are all
            // granted (a route deciding an action the scenario does not need is not its request)
            let granted = |a: &str| gened.actions.iter().any(|g| g.eq_ignore_ascii_case(a));
            let mut routes: Vec<&Route> = Vec::new();
            for a in gened.actions.iter().filter(|a| a.starts_with("modelarts:")) {
                for r in catalog.routes_for_action(a) {
                    // the workspace API is modelarts-iam's own (docs/workspaces.md): its reads
                    // are sent, its writes would change the places this test uses
                    let own_write =
                        r.path.starts_with("/v1/{project_id}/workspaces") && r.method != "GET";
                    // every action the gateway decides for the route (rows listing the same
                    // method and path add theirs)
                    let decided: Vec<String> = catalog
                        .routes()
                        .filter(|o| o.method == r.method && o.path == r.path)
                        .flat_map(|o| o.actions.iter().cloned())
                        .collect();
                    if r.service == "modelarts"
                        && decided.iter().all(|x| granted(x))
                        && !own_write
                        && !routes.iter().any(|o| std::ptr::eq(*o, r))
                    {
                        routes.push(r);
                    }
                }
            }
            if routes.is_empty() {
                continue;
            }
            user += 1;
            let (uid, _, key) = app.user_with_key(&format!("agree-{user}")).await;
            for (i, p) in gened.policies.iter().enumerate() {
                app.grant(&uid, &format!("agree-{user}-{i}"), p.document.clone())
                    .await;
            }
            for r in routes {
                for (place, sc_scope, label) in [
                    (&inside, &scope, "inside"),
                    (&outside, &out_scope, "outside"),
                ] {
                    let (path, query, body, attributes) = request(r, &project, &account, place);
                    if let Some((urn, a)) = attributes {
                        upstream.attributes.lock().unwrap().insert(urn, a);
                    }
                    let q: Vec<(&str, &str)> = query
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    let a = app.call(&key, &r.method, &path, &q, body).await;
                    let gateway_allows = a.status != StatusCode::FORBIDDEN;
                    // forwarded: the upstream's 200; modelarts-iam's own workspace reads may
                    // also find no such workspace (404) once authorized
                    let own = r.path.starts_with("/v1/{project_id}/workspaces");
                    assert!(
                        a.status == StatusCode::OK
                            || a.status == StatusCode::FORBIDDEN
                            || (own && a.status == StatusCode::NOT_FOUND),
                        "{which} {} {label}: {} {path}: {} {}",
                        sc.id,
                        r.method,
                        a.status,
                        a.body
                    );
                    // coverage's verdict for the same requests: every action of the route, on
                    // the resource and with the keys the scope (or the outside of it) gives
                    let mut coverage_allows = true;
                    let decided: Vec<String> = catalog
                        .routes()
                        .filter(|o| o.method == r.method && o.path == r.path)
                        .flat_map(|o| o.actions.iter().cloned())
                        .collect();
                    for action in &decided {
                        for t in sc_scope.targets(catalog, action, &account) {
                            let mut t = t;
                            if let Some(res) = resolve_resource(r, &path, &account) {
                                t.resource = res;
                            }
                            if decide_target(subject.set(), &subject.principal, &t, &Context::new())
                                .is_some()
                            {
                                coverage_allows = false;
                            }
                        }
                    }
                    assert_eq!(
                        gateway_allows, coverage_allows,
                        "{which} {} {label}: {} {path} {q:?}: gateway {} {}",
                        sc.id, r.method, a.status, a.body
                    );
                    if label == "inside" {
                        assert!(
                            gateway_allows,
                            "{which} {}: {} {path}: {}",
                            sc.id, r.method, a.body
                        );
                    } else if !gateway_allows {
                        denied_outside += 1;
                        *denied_by_scope.entry(which).or_default() += 1;
                    }
                    triples += 1;
                }
            }
        }
    }
    // preflight: the ModelArts calls of each operation it knows, for every scenario's
    // policies — unscoped, and limited to resources tagged team=ml with the notebook and the AI
    // application tagged ml (inside) or ops (outside; other ids: lookups are kept 5 s)
    let mut preflight_checked = 0usize;
    let mut preflight_denied = 0usize;
    let variants: [(&str, Option<&str>, &str); 3] = [
        ("unscoped", None, "1"),
        ("resource-tags inside", Some("ml"), "2"),
        ("resource-tags outside", Some("ops"), "3"),
    ];
    for (variant, tag, n) in variants {
        let nb = format!("nb-{n}");
        let model = format!("m-{n}");
        let scope = match tag {
            None => Scope::default(),
            Some(_) => scope_of(&inside, "resource-tags"),
        };
        let tags: BTreeMap<String, String> = tag
            .map(|t| BTreeMap::from([("team".to_owned(), t.to_owned())]))
            .unwrap_or_default();
        if let Some(t) = tag {
            for (ty, id) in [("notebook", &nb), ("model", &model)] {
                upstream.attributes.lock().unwrap().insert(
                    format!("modelarts:{REGION}:{account}:{ty}:{id}"),
                    json!({"tags": [{"key": "team", "value": t}]}),
                );
            }
        }
        let ops: [(&str, Vec<(&str, String)>); 3] = [
            (
                "create-training-job",
                vec![("POST", format!("/v2/{project}/training-jobs"))],
            ),
            (
                "start-notebook",
                vec![
                    ("POST", format!("/v1/{project}/notebooks/{nb}/start")),
                    ("GET", format!("/v1/{project}/notebooks/{nb}")),
                ],
            ),
            (
                "deploy-service",
                vec![
                    ("POST", format!("/v1/{project}/services")),
                    ("GET", format!("/v1/{project}/models/{model}")),
                ],
            ),
        ];
        for sc in &all {
            let gened = generate::from_scenarios(catalog, &[sc], &scope).unwrap();
            let subject = Subject::from_documents(
                Principal {
                    account_id: account.clone(),
                    ..Principal::default()
                },
                &gened.documents(),
                &[],
            )
            .unwrap();
            user += 1;
            let (uid, _, key) = app.user_with_key(&format!("agree-{user}")).await;
            for (i, p) in gened.policies.iter().enumerate() {
                app.grant(&uid, &format!("agree-{user}-{i}"), p.document.clone())
                    .await;
            }
            for (op, calls) in &ops {
                let request = iam_assistant::preflight::OperationRequest {
                    operation: (*op).to_owned(),
                    region: Some(REGION.into()),
                    notebook_id: Some(nb.clone()),
                    model_id: Some(model.clone()),
                    resource_tags: tags.clone(),
                    ..Default::default()
                };
                let report = iam_assistant::preflight::run(
                    catalog,
                    &subject,
                    None,
                    &request,
                    &Context::new(),
                )
                .unwrap();
                for (method, path) in calls {
                    let target = iam_catalog::RouteTarget::new(REGION, &account);
                    let decided = catalog
                        .resolve_route(method, path, &target)
                        .unwrap()
                        .actions;
                    let preflight_allows = report
                        .steps
                        .iter()
                        .filter(|s| {
                            s.kind == iam_assistant::preflight::StepKind::User
                                && s.action.as_deref().is_some_and(|a| decided.contains(&a))
                        })
                        .all(|s| s.status == iam_assistant::preflight::Status::Pass);
                    let a = app.call(&key, method, path, &[], Value::Null).await;
                    let gateway_allows = a.status != StatusCode::FORBIDDEN;
                    assert_eq!(
                        gateway_allows, preflight_allows,
                        "preflight {op} ({variant}) for {}: {method} {path}: gateway {} {}",
                        sc.id, a.status, a.body
                    );
                    preflight_checked += 1;
                    if !gateway_allows {
                        preflight_denied += 1;
                        if variant == "resource-tags outside" {
                            *denied_by_scope
                                .entry("preflight resource-tags")
                                .or_default() += 1;
                        }
                    }
                    triples += 1;
                }
            }
        }
    }
    assert!(
        denied_by_scope
            .get("preflight resource-tags")
            .copied()
            .unwrap_or(0)
            > 0,
        "a notebook or AI application tagged otherwise is refused by both"
    );
    assert!(preflight_denied > 0 && preflight_denied < preflight_checked);
    assert!(denied_outside > 0, "outside the scope, something is denied");
    // every scope that limits requests the gateway sees denies some of them outside it
    for which in ["pool", "workspace", "enterprise-project", "resource-tags"] {
        assert!(
            denied_by_scope.get(which).copied().unwrap_or(0) > 0,
            "{which}: nothing denied outside the scope ({denied_by_scope:?})"
        );
    }
    eprintln!(
        "{triples} (scenario, scope, request) triples agree: gateway == coverage ({} of them), gateway == preflight ({preflight_checked}); {denied_outside} denied outside their scope, {preflight_denied} denied by both preflight and the gateway",
        triples - preflight_checked
    );
}

/// The resource URN the gateway decides for the route's first action at `path`.
fn resolve_resource(route: &Route, path: &str, account: &str) -> Option<String> {
    let target = iam_catalog::RouteTarget::new(REGION, account);
    let resolved = Catalog::builtin()
        .resolve_route(&route.method, path, &target)
        .ok()?;
    resolved.resources.first().cloned()
}
