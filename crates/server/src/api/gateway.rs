//! The endpoints of the enforcement gateway that the IAM server serves itself: nginx's
//! `auth_request` subrequest (`crate::gateway`). It reads the original request from the
//! `X-Original-Method` and `X-Original-URI` headers and answers 204 when it is allowed.

use axum::routing::on;

use crate::endpoints::{Authz, Endpoint, Method, Reply};

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Get,
        path: "/v1/gateway/authorize",
        operation_id: "GatewayAuthorizeGet",
        tag: "gateway",
        summary: "nginx auth_request: authenticate and authorize the original request",
        authz: Authz::Open(
            "nginx calls it without credentials of its own; it verifies the signature of the original request and authorizes it like the proxy",
        ),
        route: |m| on(m, crate::gateway::auth_endpoint),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/gateway/authorize",
        operation_id: "GatewayAuthorizePost",
        tag: "gateway",
        summary: "nginx auth_request: authenticate and authorize the original request",
        authz: Authz::Open(
            "nginx calls it without credentials of its own; it verifies the signature of the original request and authorizes it like the proxy",
        ),
        route: |m| on(m, crate::gateway::auth_endpoint),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
];
