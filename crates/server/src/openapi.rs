//! The OpenAPI 3.1 document, built from the endpoint rows (`crate::endpoints`): paths and
//! methods, path and query parameters, the JSON schemas of request and response bodies (derived
//! with `utoipa::ToSchema` from the handlers' types), the error shape, and how each endpoint is
//! authorized.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, PathsBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Required,
};
use utoipa::{PartialSchema, ToSchema};

use crate::endpoints::{Authz, Body, Endpoint, Method, ReplyBody};
use crate::error::ErrorBody;

/// The security scheme of signed endpoints.
const SIGNED: &str = "sdk-hmac-sha256";

/// The OpenAPI 3.1 document describing every endpoint.
pub fn openapi_document() -> OpenApi {
    let mut schemas: BTreeMap<String, RefOr<Schema>> = BTreeMap::new();
    let mut paths = PathsBuilder::new();
    for e in crate::endpoints::all() {
        paths = paths.path(
            e.path,
            PathItem::new(http_method(e.method), operation(e, &mut schemas)),
        );
    }
    add(&mut schemas, Body::of::<ErrorBody>());
    let mut components = ComponentsBuilder::new().security_scheme(
        SIGNED,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<...>, Signature=<...> (Huawei Cloud SDK signing)",
        ))),
    );
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("modelarts-iam")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "IAM v5, STS, Organizations v1, Access Analyzer, ModelArts agency, decision and assistant APIs",
                )),
        )
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// An id in a path: what the server issues (hex ids, `v1`, `ou-...`, access key ids, ...). A
/// segment outside it is refused by the canonical form (`crates/canonical`: controls, separators,
/// `;`, dot segments, white space at the ends) or names no entity.
const ID_PATTERN: &str = "^[A-Za-z0-9_:@+=-][A-Za-z0-9_.:@+=-]{0,127}$";

fn id_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(ID_PATTERN))
        .build()
        .into()
}

fn http_method(m: Method) -> HttpMethod {
    match m {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Patch => HttpMethod::Patch,
        Method::Delete => HttpMethod::Delete,
    }
}

/// Registers a body type and the schemas it refers to; the reference to it.
fn add(schemas: &mut BTreeMap<String, RefOr<Schema>>, body: Body) -> Ref {
    let name = (body.name)().into_owned();
    let mut refs = Vec::new();
    (body.refs)(&mut refs);
    for (n, s) in refs {
        schemas.entry(n).or_insert(s);
    }
    schemas.entry(name.clone()).or_insert_with(body.schema);
    Ref::from_schema_name(name)
}

fn json(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::content::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn operation(
    e: &Endpoint,
    schemas: &mut BTreeMap<String, RefOr<Schema>>,
) -> utoipa::openapi::path::Operation {
    let mut op = OperationBuilder::new()
        .operation_id(Some(e.operation_id))
        .tag(e.tag)
        .summary(Some(e.summary))
        .description(Some(authorization_text(e)));
    for param in e
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    {
        op = op.parameter(
            ParameterBuilder::new()
                .name(param)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(id_schema())),
        );
    }
    if let Some(query) = e.query {
        for p in (query.0)() {
            op = op.parameter(p);
        }
    }
    if let Some(body) = e.request {
        let r = add(schemas, body);
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/json", json(r))
                .build(),
        ));
    }
    let ok = match e.response.body {
        ReplyBody::Json(body) => {
            let r = add(schemas, body);
            ResponseBuilder::new()
                .description("Success")
                .content("application/json", json(r))
        }
        ReplyBody::Text(media_type) => ResponseBuilder::new()
            .description("Success")
            .content(media_type, json(String::schema())),
        ReplyBody::Empty => ResponseBuilder::new().description("Success, no body"),
    };
    op = op.response(e.response.status.to_string(), ok);
    let error = ResponseBuilder::new()
        .description(
            "Refused: bad input (400), authentication failed (401 `APIGW.0301`), not authorized \
             (403), no such entity or API (404), conflict (409), too large (413), ...",
        )
        .content(
            "application/json",
            json(Ref::from_schema_name(ErrorBody::name())),
        );
    op = op.response("4XX", error);
    if !matches!(e.authz, Authz::Open(_)) {
        op = op.security(SecurityRequirement::new(SIGNED, Vec::<String>::new()));
    }
    op.build()
}

/// How a call of the endpoint is authorized, for people.
fn authorization_text(e: &Endpoint) -> String {
    match e.authz {
        Authz::Open(why) => format!("No signature: {why}."),
        Authz::Authenticated => "Any signed caller.".to_owned(),
        Authz::Catalog(_) => {
            let catalog = iam_catalog::Catalog::builtin();
            let concrete = e
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            match catalog.find_route(e.method.as_str(), &concrete) {
                Some(r) if r.actions.is_empty() => "Any signed caller (no action).".to_owned(),
                Some(r) => format!("Signed; the caller needs `{}`.", r.actions.join("`, `")),
                None => "Signed; decided through the catalog's route.".to_owned(),
            }
        }
        Authz::Handler(what) => format!("Signed; the handler decides {what}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` of the document names a schema of its components.
    #[test]
    fn every_reference_resolves() {
        let doc = serde_json::to_value(openapi_document()).unwrap();
        let names = doc["components"]["schemas"].as_object().unwrap().clone();
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").unwrap();
            assert!(names.contains_key(name), "{r} names no schema");
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
