//! Adapters shared by the integration tests: the catalog as a route resolver (for the reference
//! and for the engine) and the engine's case runner behind the reference's signature.

use iam_catalog::{Catalog, RouteTarget};
use iam_policy::case::{Case, RouteAction, RouteResolver, run_case};
use iam_testkit::{ResolvedAction, RouteRequest};
use serde_json::Value;

/// Resolves a route through the built-in catalog: `(action, resource)` pairs.
pub fn catalog_resolve(
    method: &str,
    path: &str,
    region: &str,
    account_id: &str,
) -> Result<Vec<(String, String)>, String> {
    let catalog = Catalog::builtin();
    if let Some(e) = catalog.load_error() {
        return Err(format!("catalog failed to load: {e}"));
    }
    let target = RouteTarget::new(region, account_id);
    let resolved = catalog
        .resolve_route(method, path, &target)
        .map_err(|e| e.to_string())?;
    Ok(resolved
        .actions
        .iter()
        .zip(&resolved.resources)
        .map(|(a, r)| ((*a).to_string(), r.clone()))
        .collect())
}

/// The catalog as the reference evaluator's route resolver.
#[allow(dead_code, reason = "used by the corpus harness only")]
pub fn reference_routes(r: &RouteRequest) -> Result<Vec<ResolvedAction>, String> {
    let region = r.region.clone().unwrap_or_default();
    let account = r.account_id.clone().unwrap_or_default();
    Ok(catalog_resolve(&r.method, &r.path, &region, &account)?
        .into_iter()
        .map(|(action, resource)| ResolvedAction { action, resource })
        .collect())
}

/// The catalog as the engine's route resolver.
pub struct CatalogRoutes;

impl RouteResolver for CatalogRoutes {
    fn resolve(
        &self,
        method: &str,
        path: &str,
        region: &str,
        account_id: &str,
    ) -> Result<Vec<RouteAction>, String> {
        Ok(catalog_resolve(method, path, region, account_id)?
            .into_iter()
            .map(|(action, resource)| RouteAction { action, resource })
            .collect())
    }
}

/// Runs a case through the engine (`iam_policy::case::run_case`).
pub fn engine_decide(case: &Value) -> Result<&'static str, String> {
    let case: Case = serde_json::from_value(case.clone()).map_err(|e| e.to_string())?;
    let result = run_case(&case, Some(&CatalogRoutes));
    if let Some(e) = result.error {
        return Err(e);
    }
    result
        .decision
        .map(|d| d.as_str())
        .ok_or_else(|| "no decision".to_string())
}
