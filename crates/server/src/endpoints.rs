//! Every endpoint of the server, declared once: method, path, handler, how it is authorized,
//! and its request and response types.
//!
//! Each API family declares its rows next to its handlers (`crate::api::<family>::ENDPOINTS`);
//! [`all`] is every row. From the rows alone come the router ([`router`]: a row's handler is
//! mounted on its method and path, behind the authentication middleware unless the row is
//! [`Authz::Open`]), the authorization of every call (the middleware finds the row of the
//! canonical request with [`find`]; a request with no row is refused before any handler runs),
//! and the OpenAPI document (`crate::openapi`), with the JSON schemas of the row's types.
//!
//! For [`Authz::Catalog`] rows the actions come from the catalog's route table, and each
//! action's resource is the URN of the entity the request names, looked up by id in the current
//! snapshot: a path parameter (the route's `resource_params`), or a body member for the
//! attach/detach APIs, whose target is in the body. Request keys are filled from the request
//! (`crate::context`), and the row's [`Key`]s add the action-specific ones.

use std::borrow::Cow;

use axum::Router;
use axum::routing::{MethodFilter, MethodRouter};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::state::AppState;

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path template, with `{param}` segments.
    pub path: &'static str,
    /// OpenAPI operation id (Huawei's SDK operation name where there is one).
    pub operation_id: &'static str,
    /// OpenAPI tag: the API family.
    pub tag: &'static str,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// How a call is authorized.
    pub authz: Authz,
    /// The handler, mounted on `method` (a non-capturing closure `|m| on(m, handler)`).
    pub route: Route,
    /// The query parameters, if the endpoint reads any.
    pub query: Option<Params>,
    /// The JSON request body, if the endpoint reads one.
    pub request: Option<Body>,
    /// The success answer.
    pub response: Reply,
}

/// Mounts a handler on a method: `|m| axum::routing::on(m, handler)`.
pub type Route = fn(MethodFilter) -> MethodRouter<AppState>;

/// The HTTP methods of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// Upper case, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// The method of a request, if the API has endpoints with it.
    pub fn parse(method: &str) -> Option<Self> {
        Some(match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    pub(crate) fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Method {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A JSON body type: its schema and the schemas it refers to.
#[derive(Clone, Copy)]
pub struct Body {
    /// The schema's name in `components.schemas`.
    pub name: fn() -> Cow<'static, str>,
    /// The schema.
    pub schema: fn() -> RefOr<Schema>,
    /// The schemas it refers to, recursively.
    pub refs: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl Body {
    /// The body type `T`.
    pub const fn of<T: ToSchema>() -> Self {
        Body {
            name: T::name,
            schema: <T as PartialSchema>::schema,
            refs: <T as ToSchema>::schemas,
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.name)())
    }
}

/// The query parameters of an endpoint, from a type deriving `IntoParams`.
#[derive(Clone, Copy)]
pub struct Params(pub fn() -> Vec<Parameter>);

impl Params {
    /// The query parameters of `T`.
    pub const fn of<T: IntoParams>() -> Self {
        Params(query_params::<T>)
    }
}

fn query_params<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Params")
    }
}

/// The success answer of an endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// What the body holds.
    pub body: ReplyBody,
}

/// What a success answer's body holds.
#[derive(Debug, Clone, Copy)]
pub enum ReplyBody {
    /// A JSON document of a type.
    Json(Body),
    /// Nothing.
    Empty,
    /// Text of a media type.
    Text(&'static str),
}

impl Reply {
    /// `200` with a `T`.
    pub const fn ok<T: ToSchema>() -> Self {
        Reply {
            status: 200,
            body: ReplyBody::Json(Body::of::<T>()),
        }
    }

    /// `201` with a `T`.
    pub const fn created<T: ToSchema>() -> Self {
        Reply {
            status: 201,
            body: ReplyBody::Json(Body::of::<T>()),
        }
    }

    /// `204`, no body.
    pub const NO_CONTENT: Reply = Reply {
        status: 204,
        body: ReplyBody::Empty,
    };

    /// `200` with text of a media type.
    pub const fn text(media_type: &'static str) -> Self {
        Reply {
            status: 200,
            body: ReplyBody::Text(media_type),
        }
    }
}

/// How a call of an endpoint is authorized.
#[derive(Debug, Clone, Copy)]
pub enum Authz {
    /// No signature and no decision; the reason why that is safe.
    Open(&'static str),
    /// A valid signature of any principal; no catalog action (operations endpoints).
    Authenticated,
    /// The catalog's actions for the route, each decided on the entity the request names.
    Catalog(Sources),
    /// The handler decides, on the entity it resolves from the request: what it decides.
    Handler(&'static str),
}

/// Where a [`Authz::Catalog`] endpoint's resource and action-specific keys come from.
#[derive(Debug, Clone, Copy)]
pub struct Sources {
    /// The entity the actions act on.
    pub target: Target,
    /// Action-specific request keys, beyond the global ones every decision gets.
    pub keys: &'static [Key],
}

impl Sources {
    /// The entity named by the route's path parameter (the catalog's `resource_params`), no
    /// action-specific key.
    pub const PATH: Sources = Sources {
        target: Target::Path,
        keys: &[],
    };
}

/// The entity an endpoint's actions act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The path parameter the catalog's route names for the action's resource type (or none:
    /// the action's resource renders with `*`, for list and create calls).
    Path,
    /// A string member of the JSON body holding the id of an entity of `kind`.
    Body {
        /// The member.
        field: &'static str,
        /// The kind of entity.
        kind: EntityKind,
    },
}

/// Kinds of IAM entities a request can name by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// An IAM user.
    User,
    /// A user group.
    Group,
    /// An agency.
    Agency,
    /// An identity policy.
    Policy,
    /// An organizational unit.
    Ou,
    /// A member account of an organization.
    OrgAccount,
    /// An organization policy (SCP).
    Scp,
}

impl EntityKind {
    /// The resource type in URNs (`iam::<account>:<type>:<name>`).
    pub fn resource_type(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Agency => "agency",
            EntityKind::Policy | EntityKind::Scp => "policy",
            EntityKind::Ou => "ou",
            EntityKind::OrgAccount => "account",
        }
    }

    /// The kind named by a catalog route parameter of a service's action (`iam` `user_id` ...).
    pub fn of_param(service: &str, param: &str) -> Option<Self> {
        match (service, param) {
            ("iam", "user_id") => Some(EntityKind::User),
            ("iam", "group_id") => Some(EntityKind::Group),
            ("iam", "agency_id") => Some(EntityKind::Agency),
            ("iam", "policy_id") => Some(EntityKind::Policy),
            ("organizations", "organizational_unit_id") => Some(EntityKind::Ou),
            ("organizations", "account_id") => Some(EntityKind::OrgAccount),
            ("organizations", "policy_id") => Some(EntityKind::Scp),
            _ => None,
        }
    }
}

/// Action-specific request keys an endpoint fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `iam:PolicyURN`: the URN of the policy named by the `policy_id` path parameter.
    PolicyUrn,
    /// `g:EnterpriseProjectId`: the enterprise project of the workspace named by the
    /// `workspace_id` path parameter, the enterprise project named by the
    /// `enterprise_project_id` path parameter, else the request's `enterprise_project_id` (body
    /// member of a `POST`, where absent means the default `0`; query parameter of a `GET`,
    /// where absent means no key).
    EnterpriseProjectId,
}

impl Key {
    /// The condition key's name.
    pub fn name(self) -> &'static str {
        match self {
            Key::PolicyUrn => "iam:PolicyURN",
            Key::EnterpriseProjectId => "g:EnterpriseProjectId",
        }
    }
}

/// Every endpoint, family by family.
pub fn all() -> impl Iterator<Item = &'static Endpoint> {
    crate::api::FAMILIES.iter().flat_map(|f| f.iter())
}

/// The row of a request, by method and canonical decoded path.
pub(crate) fn find(method: &str, path: &str) -> Option<&'static Endpoint> {
    static ROUTER: std::sync::OnceLock<matchit::Router<Vec<&'static Endpoint>>> =
        std::sync::OnceLock::new();
    let router = ROUTER.get_or_init(|| {
        let mut by_path: std::collections::BTreeMap<&str, Vec<&'static Endpoint>> =
            Default::default();
        for e in all() {
            by_path.entry(e.path).or_default().push(e);
        }
        let mut r = matchit::Router::new();
        for (path, rows) in by_path {
            // the table is a constant; a test checks every template is accepted
            let _ = r.insert(path, rows);
        }
        r
    });
    let method = Method::parse(method)?;
    let found = router.at(path).ok()?;
    found.value.iter().copied().find(|e| e.method == method)
}

/// The router of every endpoint: each row's handler on its method and path, the rows that are
/// not [`Authz::Open`] behind `authenticated` (the signature and authorization middleware).
pub(crate) fn router(
    authenticated: impl FnOnce(Router<AppState>) -> Router<AppState>,
) -> Router<AppState> {
    let (mut open, mut signed) = (Router::new(), Router::new());
    for e in all() {
        let r = if matches!(e.authz, Authz::Open(_)) {
            &mut open
        } else {
            &mut signed
        };
        *r = std::mem::take(r).route(e.path, (e.route)(e.method.filter()));
    }
    open.merge(authenticated(signed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_found_by_its_own_template() {
        for e in all() {
            let concrete = e
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let found = find(e.method.as_str(), &concrete)
                .unwrap_or_else(|| panic!("{} {}", e.method, e.path));
            assert_eq!((found.method, found.path), (e.method, e.path));
        }
        assert!(find("GET", "/v5/nothing-here").is_none());
        assert!(find("PATCH", "/v5/users").is_none());
    }

    #[test]
    fn rows_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in all() {
            assert!(
                seen.insert((e.method, e.path)),
                "{} {} twice",
                e.method,
                e.path
            );
        }
    }
}
