//! Route resolution: `(method, concrete path)` -> route, path parameters, actions and resource
//! URNs.
//!
//! Each HTTP method has its own [`matchit`] prefix tree. Templates are inserted with positional
//! parameter names (`/v1/{p0}/notebooks/{p1}`), so templates that differ only in parameter names
//! at the same position (`{id}` vs `{instance_id}`) share tree nodes; each route maps the
//! positional names back to its own names. Rows with the same method and path (the published
//! duplicate `POST /v2/{project_id}/training-jobs`) share one tree entry that lists all of them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{Action, Route};

/// Region and account a request is about; used to render resource URNs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteTarget {
    /// Region (`cn-north-4`); ignored by templates of global services.
    pub region: String,
    /// Account (domain) ID.
    pub account_id: String,
}

impl RouteTarget {
    /// A target from region and account.
    pub fn new(region: impl Into<String>, account_id: impl Into<String>) -> Self {
        RouteTarget {
            region: region.into(),
            account_id: account_id.into(),
        }
    }
}

/// Maps project IDs to the region and account they belong to (a Huawei project is one region
/// of one account). Routes without a `{project_id}` use the default target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectMap {
    /// Project ID -> target.
    pub projects: HashMap<String, RouteTarget>,
    /// Target for routes without a project ID (global services), if any.
    pub default: Option<RouteTarget>,
}

impl ProjectMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a project.
    pub fn with_project(mut self, project_id: impl Into<String>, target: RouteTarget) -> Self {
        self.projects.insert(project_id.into(), target);
        self
    }

    /// Sets the default target.
    pub fn with_default(mut self, target: RouteTarget) -> Self {
        self.default = Some(target);
        self
    }

    /// The target for a project ID, or the default when `project_id` is `None`.
    pub fn target_for(&self, project_id: Option<&str>) -> Option<&RouteTarget> {
        match project_id {
            Some(p) => self.projects.get(p),
            None => self.default.as_ref(),
        }
    }
}

/// Why a request could not be resolved to a route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The method is not an HTTP method token.
    #[error("invalid HTTP method `{0}`")]
    InvalidMethod(String),
    /// The path does not start with `/`.
    #[error("invalid path `{0}`: a path starts with `/`")]
    InvalidPath(String),
    /// No route has this path.
    #[error("no route matches `{method} {path}`")]
    NotFound {
        /// Method as given.
        method: String,
        /// Path as given.
        path: String,
    },
    /// Routes have this path, but not with this method.
    #[error("`{method}` is not allowed on `{path}` (allowed: {})", allowed.join(", "))]
    MethodNotAllowed {
        /// Method as given.
        method: String,
        /// Path as given.
        path: String,
        /// Methods the path supports.
        allowed: Vec<String>,
    },
    /// The route has a project ID that the project map does not know.
    #[error("unknown project `{0}`")]
    UnknownProject(String),
    /// The route has no project ID and the project map has no default target.
    #[error(
        "no target for `{0}`: the route has no project ID and no default region/account is set"
    )]
    NoTarget(String),
}

/// A resolved request.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedRoute<'a> {
    /// The matched route (the first row when the table lists the method and path twice).
    pub route: &'a Route,
    /// Further rows with the same method and path (kept visible; their actions are included).
    pub duplicates: Vec<&'a Route>,
    /// Path parameters with the route's own names, in path order.
    pub params: Vec<(String, String)>,
    /// Actions of all matched rows, in order, without repeats.
    pub actions: Vec<&'a str>,
    /// The catalog entry of each action (`None` for an action the catalog does not hold).
    #[serde(skip)]
    pub catalog_actions: Vec<Option<&'a Action>>,
    /// Resource URN per action (same order as `actions`): rendered from the template of the
    /// action's primary resource type, with the id from the route's `resource_params` (or `*`);
    /// `"*"` when the action has no resource type.
    pub resources: Vec<String>,
}

impl<'a> ResolvedRoute<'a> {
    /// The value of a path parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The project ID in the path, if the route has one.
    pub fn project_id(&self) -> Option<&str> {
        self.param("project_id")
    }
}

/// The route trees.
#[derive(Debug, Default)]
pub(crate) struct Router {
    by_method: BTreeMap<String, matchit::Router<Vec<usize>>>,
}

/// `/v1/{project_id}/x/{id}` -> `/v1/{p0}/x/{p1}`.
pub(crate) fn normalize_template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut n = 0usize;
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if seg.starts_with('{') && seg.ends_with('}') {
            out.push_str(&format!("{{p{n}}}"));
            n += 1;
        } else {
            out.push_str(seg);
        }
    }
    out
}

impl Router {
    /// Builds the trees; rows with the same method and path share one entry.
    pub(crate) fn build(routes: &[Route]) -> Result<Router, String> {
        let mut groups: Vec<((String, String), Vec<usize>)> = Vec::new();
        let mut seen: foldhash::HashMap<(String, String), usize> = Default::default();
        for (index, route) in routes.iter().enumerate() {
            let key = (route.method.clone(), normalize_template(&route.path));
            match seen.get(&key) {
                Some(&g) => {
                    if let Some((_, v)) = groups.get_mut(g) {
                        v.push(index);
                    }
                }
                None => {
                    seen.insert(key.clone(), groups.len());
                    groups.push((key, vec![index]));
                }
            }
        }
        let mut router = Router::default();
        for ((method, template), indices) in groups {
            let tree = router.by_method.entry(method.clone()).or_default();
            tree.insert(template.clone(), indices)
                .map_err(|e| format!("{method} {template}: {e}"))?;
        }
        Ok(router)
    }

    /// Route indices and positional parameter values for a method and concrete path.
    pub(crate) fn find(
        &self,
        method: &str,
        path: &str,
    ) -> Result<(&[usize], Vec<String>), RouteError> {
        if let Some(tree) = self.by_method.get(method)
            && let Ok(m) = tree.at(path)
            && m.params.iter().all(|(_, v)| !v.is_empty())
        {
            let values = m.params.iter().map(|(_, v)| v.to_owned()).collect();
            return Ok((m.value.as_slice(), values));
        }
        let allowed: Vec<String> = self
            .by_method
            .iter()
            .filter(|(m, tree)| m.as_str() != method && tree.at(path).is_ok())
            .map(|(m, _)| m.clone())
            .collect();
        if allowed.is_empty() {
            Err(RouteError::NotFound {
                method: method.to_owned(),
                path: path.to_owned(),
            })
        } else {
            Err(RouteError::MethodNotAllowed {
                method: method.to_owned(),
                path: path.to_owned(),
                allowed,
            })
        }
    }
}

/// Uppercases a method token; rejects anything that is not an HTTP token.
pub(crate) fn normalize_method(method: &str) -> Result<std::borrow::Cow<'_, str>, RouteError> {
    if method.is_empty()
        || !method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(RouteError::InvalidMethod(method.to_owned()));
    }
    if method.bytes().any(|b| b.is_ascii_lowercase()) {
        Ok(std::borrow::Cow::Owned(method.to_ascii_uppercase()))
    } else {
        Ok(std::borrow::Cow::Borrowed(method))
    }
}

/// Drops the query string and one trailing `/`.
pub(crate) fn normalize_path(path: &str) -> Result<&str, RouteError> {
    let p = path.split(['?', '#']).next().unwrap_or("");
    if !p.starts_with('/') {
        return Err(RouteError::InvalidPath(path.to_owned()));
    }
    Ok(if p.len() > 1 {
        p.strip_suffix('/').unwrap_or(p)
    } else {
        p
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(
            normalize_template("/v1/{project_id}/notebooks/{id}/start"),
            "/v1/{p0}/notebooks/{p1}/start"
        );
        assert_eq!(normalize_method("get").as_deref(), Ok("GET"));
        assert!(normalize_method("G ET").is_err());
        assert_eq!(normalize_path("/a/b/?x=1"), Ok("/a/b"));
        assert!(normalize_path("a/b").is_err());
    }
}
