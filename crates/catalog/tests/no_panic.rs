//! Bad input never panics: arbitrary strings through every lookup.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use iam_catalog::{Catalog, ProjectMap, RouteTarget};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lookups_never_panic(method in "\\PC{0,8}", path in "(/[\\PC{}]{0,12}){0,6}", name in "\\PC{0,40}") {
        let c = Catalog::builtin();
        let t = RouteTarget::new("r", "a");
        let _ = c.resolve_route(&method, &path, &t);
        let _ = c.resolve_route("GET", &path, &t);
        let _ = c.resolve_route_in("GET", &path, &ProjectMap::new());
        let _ = c.action(&name);
        let _ = c.expand(&name);
        let _ = c.condition_key(&name);
        let _ = c.resource_type(&name, &name);
        let _ = c.service(&name);
    }

    #[test]
    fn template_paths_resolve(i in 0usize..400, value in "[A-Za-z0-9._~-]{1,20}") {
        let c = Catalog::builtin();
        let routes: Vec<_> = c.routes().collect();
        let route = routes[i % routes.len()];
        let path: String = route
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { value.clone() } else { s.to_owned() })
            .collect::<Vec<_>>()
            .join("/");
        let r = c.resolve_route(&route.method, &path, &RouteTarget::new("r", "a"));
        prop_assert!(r.is_ok(), "{} {} -> {:?}", route.method, path, r.err());
    }
}
