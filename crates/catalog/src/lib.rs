//! The ModelArts service catalog as checked data with a typed API: actions (access level,
//! resource types, condition keys), REST routes, resource types with URN templates, condition
//! keys (service-specific and global `g:`), the function-dependency and agency-scope tables, the
//! system policies the seeds name, and notes on the published tables' oddities.
//!
//! The data lives in `data/*.json` (one file per service plus tables) and is embedded at compile
//! time; [`Catalog::builtin`] parses it once. See the crate README for the file formats.
//!
//! ```
//! use iam_catalog::{AccessLevel, Catalog, RouteTarget};
//!
//! let catalog = Catalog::builtin();
//! let action = catalog.action("modelarts:Notebook:LIST").unwrap();
//! assert_eq!(action.name(), "modelarts:notebook:list");
//! assert_eq!(action.access_level, AccessLevel::List);
//!
//! let target = RouteTarget::new("cn-north-4", "acc1");
//! let resolved = catalog
//!     .resolve_route("GET", "/v1/p1/notebooks/nb-1", &target)
//!     .unwrap();
//! assert_eq!(resolved.actions, ["modelarts:notebook:get"]);
//! assert_eq!(resolved.resources, ["modelarts:cn-north-4:acc1:notebook:nb-1"]);
//! ```
#![deny(missing_docs)]

mod agency_use;
pub mod docs;
mod model;
mod request_keys;
mod route;
mod suggest;

use foldhash::HashMap;
use std::sync::OnceLock;

use iam_wildcard::{Case, Pattern};

pub use agency_use::AgencyUse;
pub use model::{
    AccessLevel, Action, ActionResource, AgencyScopeRow, CatalogNote, ConditionKey, DependencyRow,
    ParseAccessLevelError, PolicyRef, PolicyRefKind, ResourceType, Route, Service, Source,
    SystemPolicy, SystemPolicyKind, ValueType,
};
pub use request_keys::{KeySource, Location, RequestKey};
pub use route::{ProjectMap, ResolvedRoute, RouteError, RouteTarget};
pub use suggest::closest;

/// The embedded data files, by name.
const SERVICE_FILES: &[(&str, &str)] = &[
    ("modelarts", include_str!("../data/services/modelarts.json")),
    ("iam", include_str!("../data/services/iam.json")),
    ("sts", include_str!("../data/services/sts.json")),
    (
        "organizations",
        include_str!("../data/services/organizations.json"),
    ),
    (
        "access-analyzer",
        include_str!("../data/services/access-analyzer.json"),
    ),
    ("aom", include_str!("../data/services/aom.json")),
    ("bss", include_str!("../data/services/bss.json")),
    ("ces", include_str!("../data/services/ces.json")),
    ("dli", include_str!("../data/services/dli.json")),
    ("dws", include_str!("../data/services/dws.json")),
    ("ecs", include_str!("../data/services/ecs.json")),
    ("eps", include_str!("../data/services/eps.json")),
    ("ief", include_str!("../data/services/ief.json")),
    ("lts", include_str!("../data/services/lts.json")),
    ("mrs", include_str!("../data/services/mrs.json")),
    ("obs", include_str!("../data/services/obs.json")),
    ("sfsturbo", include_str!("../data/services/sfsturbo.json")),
    ("smn", include_str!("../data/services/smn.json")),
    ("swr", include_str!("../data/services/swr.json")),
    ("vpc", include_str!("../data/services/vpc.json")),
    ("vpcep", include_str!("../data/services/vpcep.json")),
];
const GLOBAL_KEYS: &str = include_str!("../data/global-condition-keys.json");
const DEPENDENCIES: &str = include_str!("../data/dependencies.json");
const AGENCY_SCOPES: &str = include_str!("../data/agency-scopes.json");
const SYSTEM_POLICIES: &str = include_str!("../data/system-policies.json");
const AGENCY_USE: &str = include_str!("../data/agency-use.json");
const REQUEST_KEYS: &str = include_str!("../data/request-keys.json");
const NOTES: &str = include_str!("../data/notes.json");

/// The JSON texts a catalog is built from (see [`Catalog::from_sources`]).
#[derive(Debug, Clone, Copy)]
pub struct CatalogSources<'a> {
    /// `(file name, JSON)` of each service file.
    pub services: &'a [(&'a str, &'a str)],
    /// Global condition keys (array of [`ConditionKey`]).
    pub global_condition_keys: &'a str,
    /// Dependency rows (array of [`DependencyRow`]).
    pub dependencies: &'a str,
    /// Agency scope rows (array of [`AgencyScopeRow`]).
    pub agency_scopes: &'a str,
    /// System policies (array of [`SystemPolicy`]).
    pub system_policies: &'a str,
    /// Operations that make ModelArts act with the user's agency (array of [`AgencyUse`]).
    pub agency_use: &'a str,
    /// Where request keys come from, per route (array of [`RequestKey`]).
    pub request_keys: &'a str,
    /// Notes (array of [`CatalogNote`]).
    pub notes: &'a str,
}

impl CatalogSources<'static> {
    /// The files embedded in this crate.
    pub fn builtin() -> Self {
        CatalogSources {
            services: SERVICE_FILES,
            global_condition_keys: GLOBAL_KEYS,
            dependencies: DEPENDENCIES,
            agency_scopes: AGENCY_SCOPES,
            system_policies: SYSTEM_POLICIES,
            agency_use: AGENCY_USE,
            request_keys: REQUEST_KEYS,
            notes: NOTES,
        }
    }
}

/// Why catalog data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A file is not valid JSON for its type.
    #[error("catalog file `{file}`: {message}")]
    Parse {
        /// File name.
        file: String,
        /// Parser message with the JSON path.
        message: String,
    },
    /// The data is inconsistent (duplicate action, unknown resource type, route conflict...).
    #[error("catalog data: {0}")]
    Invalid(String),
}

/// The catalog. Build it once ([`Catalog::builtin`]) and share it; lookups do not allocate
/// except where noted.
#[derive(Debug, Default)]
pub struct Catalog {
    services: Vec<Service>,
    service_index: HashMap<String, usize>,
    /// Lowercased full action name -> (service, action).
    action_index: HashMap<String, (usize, usize)>,
    routes: Vec<Route>,
    /// Per route, the catalog location of each of its actions.
    route_actions: Vec<Vec<Option<(usize, usize)>>>,
    router: route::Router,
    global_keys: Vec<ConditionKey>,
    /// Lowercased key name -> (service or usize::MAX for global, key).
    key_index: HashMap<String, (usize, usize)>,
    /// Lowercased template prefixes (`g:resourcetag/`) -> key location.
    key_templates: Vec<(String, (usize, usize))>,
    dependencies: Vec<DependencyRow>,
    agency_scopes: Vec<AgencyScopeRow>,
    system_policies: Vec<SystemPolicy>,
    agency_use: Vec<AgencyUse>,
    request_keys: Vec<RequestKey>,
    notes: Vec<CatalogNote>,
    load_error: Option<CatalogError>,
}

const GLOBAL: usize = usize::MAX;

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, CatalogError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| CatalogError::Parse {
        file: file.to_owned(),
        message: e.to_string(),
    })
}

impl Catalog {
    /// The embedded catalog, parsed on first use. Never reads the file system.
    ///
    /// If the embedded data failed to load (a build defect the crate's tests catch), this
    /// returns an empty catalog and [`Catalog::load_error`] says why.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            Catalog::from_sources(CatalogSources::builtin()).unwrap_or_else(|e| Catalog {
                load_error: Some(e),
                ..Catalog::default()
            })
        })
    }

    /// Why the builtin data failed to load, if it did.
    pub fn load_error(&self) -> Option<&CatalogError> {
        self.load_error.as_ref()
    }

    /// Builds a catalog from JSON texts, checking that every name it refers to exists.
    pub fn from_sources(src: CatalogSources<'_>) -> Result<Catalog, CatalogError> {
        let mut c = Catalog::default();
        for (file, text) in src.services {
            let mut svc: Service = parse(file, text)?;
            let si = c.services.len();
            if c.service_index.insert(svc.name.clone(), si).is_some() {
                return Err(CatalogError::Invalid(format!(
                    "service `{}` defined twice",
                    svc.name
                )));
            }
            for (ai, a) in svc.actions.iter().enumerate() {
                if a.service() != svc.name {
                    return Err(CatalogError::Invalid(format!(
                        "action `{}` is in the file of service `{}`",
                        a.name, svc.name
                    )));
                }
                if c.action_index
                    .insert(a.name.to_ascii_lowercase(), (si, ai))
                    .is_some()
                {
                    return Err(CatalogError::Invalid(format!(
                        "action `{}` defined twice",
                        a.name
                    )));
                }
            }
            for (ki, k) in svc.condition_keys.iter().enumerate() {
                c.index_key(k, (si, ki))?;
            }
            for mut r in std::mem::take(&mut svc.routes) {
                r.service = svc.name.clone();
                c.routes.push(r);
            }
            c.services.push(svc);
        }
        let global_keys: Vec<ConditionKey> =
            parse("global-condition-keys.json", src.global_condition_keys)?;
        for (ki, k) in global_keys.iter().enumerate() {
            c.index_key(k, (GLOBAL, ki))?;
        }
        c.global_keys = global_keys;
        c.dependencies = parse("dependencies.json", src.dependencies)?;
        c.agency_scopes = parse("agency-scopes.json", src.agency_scopes)?;
        c.system_policies = parse("system-policies.json", src.system_policies)?;
        c.agency_use = parse("agency-use.json", src.agency_use)?;
        c.request_keys = parse("request-keys.json", src.request_keys)?;
        c.notes = parse("notes.json", src.notes)?;
        c.router = route::Router::build(&c.routes).map_err(CatalogError::Invalid)?;
        c.route_actions = c
            .routes
            .iter()
            .map(|r| r.actions.iter().map(|a| c.action_location(a)).collect())
            .collect();
        c.attach_request_keys()?;
        c.check()?;
        Ok(c)
    }

    fn index_key(&mut self, k: &ConditionKey, at: (usize, usize)) -> Result<(), CatalogError> {
        if self
            .key_index
            .insert(k.name.to_ascii_lowercase(), at)
            .is_some()
        {
            return Err(CatalogError::Invalid(format!(
                "condition key `{}` defined twice",
                k.name
            )));
        }
        if k.is_template() {
            self.key_templates
                .push((k.template_prefix().to_ascii_lowercase(), at));
        }
        Ok(())
    }

    /// Gives each route its request-key rows, checking that each row names a route, a
    /// condition key the catalog knows, and locations that parse, once per (route, key).
    fn attach_request_keys(&mut self) -> Result<(), CatalogError> {
        for row in &self.request_keys {
            let Some(ri) = self
                .routes
                .iter()
                .position(|r| r.method == row.method && r.path == row.path)
            else {
                return Err(CatalogError::Invalid(format!(
                    "request-key row `{}` names no route `{} {}`",
                    row.key, row.method, row.path
                )));
            };
            if !self.key_index.contains_key(&row.key.to_ascii_lowercase()) {
                return Err(CatalogError::Invalid(format!(
                    "request-key row of `{} {}` names unknown condition key `{}`",
                    row.method, row.path, row.key
                )));
            }
            if row.from.is_empty() {
                return Err(CatalogError::Invalid(format!(
                    "request-key row `{}` of `{} {}` has no source",
                    row.key, row.method, row.path
                )));
            }
            for src in &row.from {
                let locs: &[String] = match src {
                    KeySource::Field(l) => std::slice::from_ref(l),
                    KeySource::Tags(ls) => ls,
                    _ => &[],
                };
                if let Some(bad) = locs.iter().find(|l| Location::parse(l).is_none()) {
                    return Err(CatalogError::Invalid(format!(
                        "request-key row `{}` of `{} {}`: `{bad}` is not a location (query:, path:, body:)",
                        row.key, row.method, row.path
                    )));
                }
            }
            let route = &mut self.routes[ri];
            if route.request_keys.iter().any(|k| k.key == row.key) {
                return Err(CatalogError::Invalid(format!(
                    "request-key row `{}` of `{} {}` is there twice",
                    row.key, row.method, row.path
                )));
            }
            route.request_keys.push(row.clone());
        }
        Ok(())
    }

    /// Cross-reference checks: resource types, condition keys and route actions exist.
    fn check(&self) -> Result<(), CatalogError> {
        for svc in &self.services {
            for a in &svc.actions {
                for r in &a.resources {
                    if self
                        .action_resource_type(&svc.name, &r.resource_type)
                        .is_none()
                    {
                        return Err(CatalogError::Invalid(format!(
                            "action `{}` uses unknown resource type `{}`",
                            a.name, r.resource_type
                        )));
                    }
                }
                for k in a.all_condition_keys() {
                    if self.condition_key(k).is_none() {
                        return Err(CatalogError::Invalid(format!(
                            "action `{}` uses unknown condition key `{k}`",
                            a.name
                        )));
                    }
                }
            }
        }
        for u in &self.agency_use {
            if self.action(&u.action).is_none() {
                return Err(CatalogError::Invalid(format!(
                    "agency-use row names unknown action `{}`",
                    u.action
                )));
            }
            if let Some(t) = u
                .tables
                .iter()
                .find(|t| !self.agency_scopes.iter().any(|r| r.table == **t))
            {
                return Err(CatalogError::Invalid(format!(
                    "agency-use row `{}` names table {t}, which has no agency scope rows",
                    u.action
                )));
            }
        }
        for r in &self.routes {
            for a in r.actions.iter().chain(r.dependent_actions.iter()) {
                if self.action(a).is_none() {
                    return Err(CatalogError::Invalid(format!(
                        "route `{} {}` uses unknown action `{a}`",
                        r.method, r.path
                    )));
                }
            }
            for (t, p) in &r.resource_params {
                if !r.param_names().any(|n| n == p) {
                    return Err(CatalogError::Invalid(format!(
                        "route `{} {}` names resource parameter `{p}` it does not have",
                        r.method, r.path
                    )));
                }
                if self.resource_type(&r.service, t).is_none() {
                    return Err(CatalogError::Invalid(format!(
                        "route `{} {}` names unknown resource type `{t}`",
                        r.method, r.path
                    )));
                }
            }
        }
        Ok(())
    }

    /// All services, in load order (ModelArts first).
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter()
    }

    /// A service by code (exact, lowercase).
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.service_index
            .get(name)
            .and_then(|&i| self.services.get(i))
    }

    /// A service by code or display name, case-insensitively (`ModelArts`, `OBS`,
    /// `access-analyzer`, `Access Analyzer`): for people typing names; [`Catalog::service`] is
    /// the exact lookup.
    pub fn find_service(&self, name: &str) -> Option<&Service> {
        self.service(name).or_else(|| {
            let dashed = name.trim().replace(' ', "-");
            self.services.iter().find(|s| {
                s.name.eq_ignore_ascii_case(&dashed) || s.display_name.eq_ignore_ascii_case(name)
            })
        })
    }

    /// The service code closest to a mistyped service name (see [`closest`]).
    pub fn suggest_service(&self, name: &str) -> Option<&str> {
        closest(
            name,
            self.services
                .iter()
                .flat_map(|s| [s.name.as_str(), s.display_name.as_str()]),
        )
        .and_then(|n| self.find_service(n))
        .map(|s| s.name.as_str())
    }

    /// The catalog action closest to a name that names none (`modelarts:trainjob:craete` ->
    /// `modelarts:trainJob:create`; see [`closest`]), as published. Case is ignored throughout,
    /// so a name whose only fault is the case of its service segment gets its action.
    pub fn suggest_action(&self, name: &str) -> Option<&str> {
        closest(name, self.actions().map(Action::name))
    }

    /// An action by name: the service segment must be lowercase as published, the rest is
    /// compared case-insensitively (`modelarts:NoteBook:LIST` finds `modelarts:notebook:list`).
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.action_location(name).and_then(|at| self.action_at(at))
    }

    fn action_location(&self, name: &str) -> Option<(usize, usize)> {
        let at = self.action_lookup(name)?;
        let action = self.action_at(at)?;
        (action.service() == name.split(':').next().unwrap_or("")).then_some(at)
    }

    fn action_at(&self, (si, ai): (usize, usize)) -> Option<&Action> {
        self.services.get(si)?.actions.get(ai)
    }

    fn action_lookup(&self, name: &str) -> Option<(usize, usize)> {
        if !name.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.action_index.get(name).copied();
        }
        // Lowercase into a stack buffer; action names are short.
        let mut buf = [0u8; 128];
        match buf.get_mut(..name.len()) {
            Some(dst) => {
                dst.copy_from_slice(name.as_bytes());
                dst.make_ascii_lowercase();
                let lower = std::str::from_utf8(dst).ok()?;
                self.action_index.get(lower).copied()
            }
            None => self.action_index.get(&name.to_ascii_lowercase()).copied(),
        }
    }

    /// All actions of all services.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.services.iter().flat_map(|s| s.actions.iter())
    }

    /// The catalog actions a pattern with `*` / `?` matches (case-insensitive, as IAM matches
    /// actions). A pattern without wildcards returns the one action it names, if any.
    pub fn expand(&self, pattern: &str) -> Vec<&Action> {
        let p = Pattern::new(pattern, Case::Insensitive);
        if !p.has_wildcard() {
            return self.action(pattern).into_iter().collect();
        }
        // Restrict to one service when the pattern names it literally.
        let prefix = p.literal_prefix();
        match prefix.split_once(':') {
            Some((svc, _)) => self
                .services
                .iter()
                .filter(|s| s.name.eq_ignore_ascii_case(svc))
                .flat_map(|s| s.actions.iter())
                .filter(|a| p.matches(&a.name))
                .collect(),
            None => self.actions().filter(|a| p.matches(&a.name)).collect(),
        }
    }

    /// A resource type of a service, by name (case-insensitive).
    pub fn resource_type(&self, service: &str, name: &str) -> Option<&ResourceType> {
        self.service(service)?
            .resource_types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The resource type an action's resource row names: `type` of the action's service, or
    /// `service:type` of another service (`iam:agency` for `sts:agencies:assume`).
    pub fn action_resource_type(&self, action_service: &str, name: &str) -> Option<&ResourceType> {
        match name.split_once(':') {
            Some((svc, ty)) => self.resource_type(svc, ty),
            None => self.resource_type(action_service, name),
        }
    }

    /// A condition key by name (case-insensitive). Concrete names of template keys resolve to
    /// the template: `g:ResourceTag/env` finds `g:ResourceTag/<tag-key>`.
    pub fn condition_key(&self, name: &str) -> Option<&ConditionKey> {
        let lower = name.to_ascii_lowercase();
        let at = self.key_index.get(&lower).copied().or_else(|| {
            self.key_templates
                .iter()
                .find(|(prefix, _)| {
                    lower.len() > prefix.len() && lower.starts_with(prefix.as_str())
                })
                .map(|(_, at)| *at)
        })?;
        self.key_at(at)
    }

    fn key_at(&self, (si, ki): (usize, usize)) -> Option<&ConditionKey> {
        if si == GLOBAL {
            self.global_keys.get(ki)
        } else {
            self.services.get(si)?.condition_keys.get(ki)
        }
    }

    /// Global (`g:`) condition keys.
    pub fn global_condition_keys(&self) -> &[ConditionKey] {
        &self.global_keys
    }

    /// All condition keys: every service's, then the global ones.
    pub fn condition_keys(&self) -> impl Iterator<Item = &ConditionKey> {
        self.services
            .iter()
            .flat_map(|s| s.condition_keys.iter())
            .chain(self.global_keys.iter())
    }

    /// All routes, in data order (ModelArts' Table 2 rows first, duplicates included).
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    /// Routes whose actions include `action` (compared case-insensitively).
    pub fn routes_for_action<'s>(
        &'s self,
        action: &'s str,
    ) -> impl Iterator<Item = &'s Route> + 's {
        self.routes
            .iter()
            .filter(move |r| r.actions.iter().any(|a| a.eq_ignore_ascii_case(action)))
    }

    /// The route a concrete request matches, without extracting parameters or rendering
    /// resources (for dispatching by service). `None` when no route matches.
    ///
    /// ```
    /// let c = iam_catalog::Catalog::builtin();
    /// let r = c.find_route("GET", "/v1/p1/notebooks").unwrap();
    /// assert_eq!(r.service, "modelarts");
    /// assert!(c.find_route("GET", "/no/such/api").is_none());
    /// ```
    pub fn find_route(&self, method: &str, path: &str) -> Option<&Route> {
        let method = route::normalize_method(method).ok()?;
        let path = route::normalize_path(path).ok()?;
        let (indices, _) = self.router.find(&method, path).ok()?;
        indices.first().and_then(|&i| self.routes.get(i))
    }

    /// Resolves a concrete request to its route, path parameters, actions and resource URNs.
    ///
    /// The method is case-insensitive; the query string and one trailing `/` are ignored.
    /// Parameter values are returned as they appear in the path (not percent-decoded).
    pub fn resolve_route(
        &self,
        method: &str,
        path: &str,
        target: &RouteTarget,
    ) -> Result<ResolvedRoute<'_>, RouteError> {
        let method = route::normalize_method(method)?;
        let path = route::normalize_path(path)?;
        let (indices, values) = self.router.find(&method, path)?;
        let mut rows = indices
            .iter()
            .filter_map(|&i| Some((self.routes.get(i)?, self.route_actions.get(i)?)));
        let Some((first, first_actions)) = rows.next() else {
            return Err(RouteError::NotFound {
                method: method.into_owned(),
                path: path.to_owned(),
            });
        };
        let rest: Vec<_> = rows.collect();
        let duplicates: Vec<&Route> = rest.iter().map(|(r, _)| *r).collect();
        let params: Vec<(String, String)> = first
            .param_names()
            .zip(values)
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let mut actions: Vec<&str> = Vec::new();
        let mut resources = Vec::new();
        let mut catalog_actions = Vec::new();
        for (row, locations) in std::iter::once((first, first_actions)).chain(rest) {
            for (name, at) in row.actions.iter().zip(locations) {
                if actions.contains(&name.as_str()) {
                    continue;
                }
                let action = at.and_then(|at| self.action_at(at));
                resources.push(self.render_resource(row, action, &params, target));
                actions.push(name);
                catalog_actions.push(action);
            }
        }
        Ok(ResolvedRoute {
            route: first,
            duplicates,
            params,
            actions,
            catalog_actions,
            resources,
        })
    }

    /// Like [`Catalog::resolve_route`], taking region and account from the path's project ID
    /// (or the map's default for routes without one).
    pub fn resolve_route_in(
        &self,
        method: &str,
        path: &str,
        projects: &ProjectMap,
    ) -> Result<ResolvedRoute<'_>, RouteError> {
        // Resolve once with a placeholder to learn the project ID, then render with the target.
        let probe = RouteTarget::new("", "");
        let resolved = self.resolve_route(method, path, &probe)?;
        let target = match resolved.project_id() {
            Some(p) => projects
                .target_for(Some(p))
                .ok_or_else(|| RouteError::UnknownProject(p.to_owned()))?,
            None => projects
                .target_for(None)
                .ok_or_else(|| RouteError::NoTarget(path.to_owned()))?,
        };
        self.resolve_route(method, path, target)
    }

    /// The resource URN of `action` for a request on `route`: the primary resource type's
    /// template, with the id taken from the route's `resource_params` for that type, or `*`.
    fn render_resource(
        &self,
        route: &Route,
        action: Option<&Action>,
        params: &[(String, String)],
        target: &RouteTarget,
    ) -> String {
        let Some(action) = action else {
            return "*".to_owned();
        };
        let Some(res) = action.primary_resource() else {
            return "*".to_owned();
        };
        let Some(rt) = self.action_resource_type(action.service(), &res.resource_type) else {
            return "*".to_owned();
        };
        let id = route
            .resource_params
            .get(&res.resource_type)
            .and_then(|p| params.iter().find(|(k, _)| k == p))
            .map_or("*", |(_, v)| v.as_str());
        rt.render(&target.region, &target.account_id, id)
    }

    /// Rows of seed 000 Tables 1-9 (function dependency policies).
    pub fn scenarios(&self) -> &[DependencyRow] {
        &self.dependencies
    }

    /// Rows of seed 000 Tables 10-14 (basic agency authorization scopes).
    pub fn agency_scopes(&self) -> &[AgencyScopeRow] {
        &self.agency_scopes
    }

    /// The operations after which ModelArts works on the user's resources in the background, with
    /// the agency a tenant administrator authorized for the user (seed 000, "Agency
    /// authorization"), and the Tables 10-14 whose scope that work needs.
    pub fn agency_use(&self) -> &[AgencyUse] {
        &self.agency_use
    }

    /// Where each request key comes from, per route (`data/request-keys.json`); a route's own
    /// rows are [`Route::request_keys`].
    pub fn request_keys(&self) -> &[RequestKey] {
        &self.request_keys
    }

    /// The rows where `key` cannot be known on a route of `action` (the validator's
    /// `CONDITION_KEY_UNKNOWABLE` findings).
    pub fn unknowable_routes<'s>(
        &'s self,
        action: &'s str,
        key: &'s str,
    ) -> impl Iterator<Item = &'s RequestKey> + 's {
        self.routes_for_action(action).flat_map(move |r| {
            r.request_keys
                .iter()
                .filter(move |row| row.is_unknowable() && row.matches_key(key))
        })
    }

    /// The [`AgencyUse`] row of an action (case-insensitive), if the action needs the agency.
    pub fn agency_use_of(&self, action: &str) -> Option<&AgencyUse> {
        self.agency_use
            .iter()
            .find(|u| u.action.eq_ignore_ascii_case(action))
    }

    /// System-defined policies and roles: every one the seeds' dependency and agency rows name,
    /// and the ModelArts-related ones of huawei-more §1.2 and §1.4 (docs/system-policies.md).
    pub fn system_policies(&self) -> &[SystemPolicy] {
        &self.system_policies
    }

    /// A system-defined policy by name (case-insensitive).
    pub fn system_policy(&self, name: &str) -> Option<&SystemPolicy> {
        self.system_policies
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Notes on the published tables' oddities and the catalog's decisions.
    pub fn notes(&self) -> &[CatalogNote] {
        &self.notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads() {
        let c = Catalog::builtin();
        assert_eq!(c.load_error(), None);
        assert!(c.actions().count() > 200);
    }

    #[test]
    fn lookups() {
        let c = Catalog::builtin();
        assert!(c.action("modelarts:TRAINJOB:create").is_some());
        assert!(c.action("MODELARTS:trainJob:create").is_none());
        assert!(c.action("modelarts:nope:create").is_none());
        assert!(c.action("").is_none());
        let a = c.action("obs:bucket:listallmybuckets").unwrap();
        assert_eq!(a.name, "obs:bucket:ListAllMyBuckets");
        assert!(a.inferred);
        assert_eq!(
            c.condition_key("g:ResourceTag/team")
                .map(|k| k.name.as_str()),
            Some("g:ResourceTag/<tag-key>")
        );
        assert!(c.condition_key("g:ResourceTag/").is_none());
        assert_eq!(
            c.condition_key("modelarts:pooltype").map(|k| k.value_type),
            Some(ValueType::String)
        );
        let deletes = c.expand("modelarts:*:*delete*");
        assert!(
            deletes
                .iter()
                .any(|a| a.name == "modelarts:notebook:delete")
        );
        assert!(
            deletes
                .iter()
                .all(|a| a.name.to_lowercase().contains("delete"))
        );
        assert_eq!(c.expand("modelarts:notebook:get").len(), 1);
        assert!(c.expand("*").len() == c.actions().count());
    }

    #[test]
    fn suggestions_and_service_names() {
        let c = Catalog::builtin();
        assert_eq!(
            c.suggest_action("modelarts:trainjob:craete"),
            Some("modelarts:trainJob:create")
        );
        assert_eq!(
            c.suggest_action("MODELARTS:trainJob:create"),
            Some("modelarts:trainJob:create")
        );
        assert_eq!(c.suggest_action("nothing:like:this"), None);
        assert_eq!(
            c.find_service("ModelArts").map(|s| s.name.as_str()),
            Some("modelarts")
        );
        assert_eq!(
            c.find_service("Access Analyzer").map(|s| s.name.as_str()),
            Some("access-analyzer")
        );
        assert!(c.find_service("nosuch").is_none());
        assert_eq!(c.suggest_service("modelart"), Some("modelarts"));
        assert_eq!(c.suggest_service("SFS Trbo"), Some("sfsturbo"));
    }

    #[test]
    fn resolves_duplicates_and_errors() {
        let c = Catalog::builtin();
        let t = RouteTarget::new("r1", "a1");
        let r = c.resolve_route("post", "/v2/p/training-jobs", &t).unwrap();
        assert_eq!(
            r.actions,
            ["modelarts:trainJob:create", "modelarts:trainJob:logExport"]
        );
        assert_eq!(r.duplicates.len(), 1);
        assert_eq!(
            r.resources,
            ["modelarts:r1:a1:trainJob:*", "modelarts:r1:a1:trainJob:*"]
        );
        assert!(matches!(
            c.resolve_route("PATCH", "/v1/p/notebooks", &t),
            Err(RouteError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            c.resolve_route("GET", "/nope", &t),
            Err(RouteError::NotFound { .. })
        ));
        assert!(matches!(
            c.resolve_route("GET", "nope", &t),
            Err(RouteError::InvalidPath(_))
        ));
        let r = c
            .resolve_route("GET", "/v1/p/notebooks/i-1/storage/s-1", &t)
            .unwrap();
        assert_eq!(r.param("instance_id"), Some("i-1"));
        assert_eq!(r.resources, ["modelarts:r1:a1:notebook:i-1"]);
        let r = c.resolve_route("GET", "/v5/users/u1", &t).unwrap();
        assert_eq!(r.resources, ["iam::a1:user:u1"]);
    }

    #[test]
    fn project_map() {
        let c = Catalog::builtin();
        let map = ProjectMap::new()
            .with_project("p1", RouteTarget::new("cn-north-4", "acc"))
            .with_default(RouteTarget::new("", "acc"));
        let r = c.resolve_route_in("GET", "/v1/p1/images/im", &map).unwrap();
        assert_eq!(r.resources, ["modelarts:cn-north-4:acc:image:im"]);
        assert!(matches!(
            c.resolve_route_in("GET", "/v1/p2/images/im", &map),
            Err(RouteError::UnknownProject(_))
        ));
        let r = c.resolve_route_in("GET", "/v5/agencies/ag", &map).unwrap();
        assert_eq!(r.resources, ["iam::acc:agency:ag"]);
    }
}
