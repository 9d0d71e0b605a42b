//! Operations endpoints (`/healthz`, `/metrics`, `/openapi.json`) and the fallbacks for unknown
//! paths and methods.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Required};

use crate::error::{ApiError, code};
use crate::state::AppState;

/// `GET /healthz`: liveness and the snapshot revision. The only unauthenticated endpoint.
pub(crate) async fn healthz(State(st): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "revision": st.snapshot().revision() }))
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(State(st): State<AppState>) -> Response {
    let body = st.metrics().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Json<OpenApi> {
    Json(openapi_document())
}

/// Unknown path: Huawei API Gateway's `APIGW.0101`.
pub(crate) async fn no_such_api() -> ApiError {
    no_such_api_error()
}

/// The answer to a request that no endpoint serves.
pub(crate) fn no_such_api_error() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code::NO_SUCH_API,
        "The API does not exist or has not been published in the environment",
    )
}

/// Known path, wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code::METHOD,
        "The method is not allowed for this API",
    )
}

pub use crate::endpoints::ENDPOINTS;

/// The OpenAPI 3.1 document describing every endpoint.
pub fn openapi_document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for e in ENDPOINTS {
        let (path, op_id, tag, summary) = (&e.path, &e.operation_id, &e.tag, &e.summary);
        let http_method = match e.method {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            "HEAD" => HttpMethod::Head,
            _ => HttpMethod::Options,
        };
        let mut op = OperationBuilder::new()
            .operation_id(Some(*op_id))
            .tag(*tag)
            .summary(Some(*summary))
            .response("200", ResponseBuilder::new().description("Success"))
            .response(
                "400",
                ResponseBuilder::new().description("Bad request: `{error_code, error_msg}`"),
            );
        for param in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        {
            op = op.parameter(
                utoipa::openapi::path::ParameterBuilder::new()
                    .name(param)
                    .parameter_in(utoipa::openapi::path::ParameterIn::Path)
                    .required(Required::True),
            );
        }
        if !matches!(e.authz, crate::endpoints::Authz::Open(_)) {
            op = op
                .security(SecurityRequirement::new(
                    "sdk-hmac-sha256",
                    Vec::<String>::new(),
                ))
                .response(
                    "401",
                    ResponseBuilder::new().description("APIGW.0301: authentication failed"),
                )
                .response(
                    "403",
                    ResponseBuilder::new().description("Not authorized (Huawei denial text)"),
                );
        }
        paths = paths.path(*path, PathItem::new(http_method, op));
    }
    let components = ComponentsBuilder::new()
        .security_scheme(
            "sdk-hmac-sha256",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<...>, Signature=<...> (Huawei Cloud SDK signing)",
            ))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("modelarts-iam")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "IAM v5, Organizations v1, Access Analyzer and decision APIs",
                )),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}
