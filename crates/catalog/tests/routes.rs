//! Every route resolves from a concrete path generated from its template to its listed actions
//! and well-formed URNs; unknown paths and methods give clear errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use iam_catalog::{Catalog, ProjectMap, RouteError, RouteTarget, Source};

fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!("v-{}", name.replace('_', "-")),
                None => seg.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// `service:region:account:type:id` with a non-empty service, account, type and id.
fn well_formed(urn: &str, region: &str) -> bool {
    if urn == "*" {
        return true;
    }
    let parts: Vec<&str> = urn.splitn(5, ':').collect();
    parts.len() == 5
        && !parts[0].is_empty()
        && (parts[1].is_empty() || parts[1] == region)
        && parts[2] == "acc-1"
        && !parts[3].is_empty()
        && !parts[4].is_empty()
        && !urn.contains('<')
}

#[test]
fn every_route_resolves_to_its_actions() {
    let c = Catalog::builtin();
    let target = RouteTarget::new("cn-north-4", "acc-1");
    let mut checked = 0;
    let mut seed_rows = 0;
    for route in c.routes() {
        let path = concrete(&route.path);
        let r = c
            .resolve_route(&route.method, &path, &target)
            .unwrap_or_else(|e| panic!("{} {}: {e}", route.method, route.path));
        // The matched row (or one of its duplicates) is this route.
        assert!(
            std::ptr::eq(r.route, route) || r.duplicates.iter().any(|d| std::ptr::eq(*d, route)),
            "{} {} resolved to {} {}",
            route.method,
            route.path,
            r.route.method,
            r.route.path
        );
        for a in &route.actions {
            assert!(
                r.actions.contains(&a.as_str()),
                "{} {} lacks {a}",
                route.method,
                route.path
            );
        }
        assert_eq!(r.actions.len(), r.resources.len());
        for (name, value) in &r.params {
            assert_eq!(value, &format!("v-{}", name.replace('_', "-")));
        }
        for (action, urn) in r.actions.iter().zip(&r.resources) {
            assert!(well_formed(urn, "cn-north-4"), "{action}: {urn}");
            // When the route names the path parameter of the action's resource type, the URN
            // carries its value.
            let Some(a) = c.action(action) else { continue };
            if let Some(res) = a.primary_resource()
                && let Some(p) = route.resource_params.get(&res.resource_type)
            {
                assert!(
                    urn.ends_with(&format!(":v-{}", p.replace('_', "-"))),
                    "{action}: {urn}"
                );
            }
        }
        if route.source == Source::Seed {
            seed_rows += 1;
        }
        checked += 1;
    }
    println!("resolved {checked} routes ({seed_rows} seed Table 2 rows)");
    assert_eq!(seed_rows, 147);
}

#[test]
fn published_examples() {
    let c = Catalog::builtin();
    let t = RouteTarget::new("cn-north-4", "acc-1");
    let r = c
        .resolve_route("GET", "/v2/p1/datasets/ds-9/export-tasks/t-1", &t)
        .unwrap();
    assert_eq!(r.param("resource_id"), Some("ds-9"));
    assert_eq!(r.resources, ["modelarts:cn-north-4:acc-1:dataset:ds-9"]);
    let r = c
        .resolve_route("PUT", "/v1/p1/services/s-1/nodes/n-1/status", &t)
        .unwrap();
    assert_eq!(r.actions, ["modelarts:nodeservice:action"]);
    assert_eq!(r.resources, ["*"]);
    let r = c
        .resolve_route("GET", "/v1/p1/services/tms/tags", &t)
        .unwrap();
    assert_eq!(r.actions, ["modelarts:service:get"]);
    let r = c.resolve_route("GET", "/v1/p1/services/s-1", &t).unwrap();
    assert_eq!(r.resources, ["modelarts:cn-north-4:acc-1:service:s-1"]);
    let r = c
        .resolve_route("POST", "/v5/policies/validate", &t)
        .unwrap();
    assert_eq!(r.actions, ["access-analyzer:policies:validate"]);
    let r = c.resolve_route("GET", "/v5/policies/validate", &t).unwrap();
    assert_eq!(r.actions, ["iam:policies:getV5"]);
    let r = c.resolve_route("POST", "/v1/authorize", &t).unwrap();
    assert_eq!(r.actions, ["iam:decisions:authorize"]);
    assert_eq!(r.route.source, Source::Extension);
    let r = c.resolve_route("POST", "/v5/agencies/assume", &t).unwrap();
    assert_eq!(r.resources, ["iam::acc-1:agency:*"]);
}

#[test]
fn static_segments_do_not_shadow_parameters() {
    let c = Catalog::builtin();
    let t = RouteTarget::new("r", "a");
    // `tms` and `overview` are static segments of sibling routes; as ids they still resolve.
    let r = c
        .resolve_route("GET", "/v1/p/services/tms/logs", &t)
        .unwrap();
    assert_eq!(r.param("service_id"), Some("tms"));
    let r = c
        .resolve_route("GET", "/v2/p/workflows/overview/executions", &t)
        .unwrap();
    assert_eq!(r.param("workflow_id"), Some("overview"));
}

#[test]
fn errors_are_clear() {
    let c = Catalog::builtin();
    let t = RouteTarget::new("r", "a");
    let e = c.resolve_route("GET", "/v9/nothing/here", &t).unwrap_err();
    assert_eq!(e.to_string(), "no route matches `GET /v9/nothing/here`");
    let e = c
        .resolve_route("PATCH", "/v1/p/notebooks/x", &t)
        .unwrap_err();
    assert!(
        matches!(&e, RouteError::MethodNotAllowed { allowed, .. } if allowed == &["DELETE", "GET", "PUT"])
    );
    assert_eq!(
        e.to_string(),
        "`PATCH` is not allowed on `/v1/p/notebooks/x` (allowed: DELETE, GET, PUT)"
    );
    assert!(matches!(
        c.resolve_route("G ET", "/v1/p/notebooks", &t),
        Err(RouteError::InvalidMethod(_))
    ));
    assert!(matches!(
        c.resolve_route("GET", "", &t),
        Err(RouteError::InvalidPath(_))
    ));
    assert!(c.resolve_route("GET", "/v1//notebooks", &t).is_err());
    assert!(c.resolve_route("GET", "/v1/p/notebooks/", &t).is_ok());
    assert!(
        c.resolve_route("GET", "/v1/p/notebooks?limit=1", &t)
            .is_ok()
    );
    let e = c
        .resolve_route_in("GET", "/v1/p/notebooks", &ProjectMap::new())
        .unwrap_err();
    assert_eq!(e.to_string(), "unknown project `p`");
    // Odd input never panics.
    for (m, p) in [
        ("GET", "/{"),
        ("GET", "/v1/{project_id}/notebooks"),
        ("\u{e9}", "/"),
        ("GET", "/\u{1F600}/x"),
    ] {
        let _ = c.resolve_route(m, p, &t);
    }
}

/// docs/gateway.md's table of where request keys come from is the catalog's data, row for row.
#[test]
fn the_request_key_table_in_the_docs_is_the_data() {
    let c = Catalog::builtin();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/gateway.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = "<!-- request-keys: generated from crates/catalog/data/request-keys.json -->\n";
    let end = "<!-- /request-keys -->";
    let from = doc.find(start).expect("the table's start marker") + start.len();
    let to = from + doc[from..].find(end).expect("the table's end marker");
    let expected = iam_catalog::RequestKey::table(c.request_keys());
    assert!(
        doc[from..to] == expected,
        "docs/gateway.md's request-key table differs from the data; replace it with:\n{expected}"
    );
}

#[test]
fn enterprise_project_routes_name_the_enterprise_project() {
    let c = Catalog::builtin();
    let t = RouteTarget::new("cn-north-4", "acc-1");
    let r = c
        .resolve_route("GET", "/v1.0/enterprise-projects/ep-1", &t)
        .unwrap();
    assert_eq!(r.actions, ["eps:enterpriseProjects:get"]);
    assert_eq!(r.resources, ["eps::acc-1:enterpriseProject:ep-1"]);
    // the static `quotas` segment is not an enterprise project id; it needs no action (Huawei)
    let q = c
        .resolve_route("GET", "/v1.0/enterprise-projects/quotas", &t)
        .unwrap();
    assert!(q.actions.is_empty(), "{:?}", q.actions);
    let l = c
        .resolve_route("GET", "/v1.0/enterprise-projects", &t)
        .unwrap();
    assert_eq!(l.actions, ["eps:enterpriseProjects:list"]);
    assert_eq!(l.resources, ["*"]);
    let a = c
        .resolve_route("POST", "/v1.0/enterprise-projects/ep-1/action", &t)
        .unwrap();
    assert_eq!(
        a.actions,
        [
            "eps:enterpriseProjects:enable",
            "eps:enterpriseProjects:disable"
        ]
    );
    let enable = c.action("eps:enterpriseProjects:enable").unwrap();
    assert!(!enable.inferred, "documented by Huawei");
    assert_eq!(
        c.action("eps:enterpriseProjects:delete")
            .map(|a| a.inferred),
        Some(true)
    );
    assert_eq!(c.service("eps").map(|s| s.source), Some(Source::HuaweiDocs));
}
