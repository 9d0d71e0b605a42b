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

/// Every endpoint: method, path, operation id, tag, summary.
pub const ENDPOINTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "GET",
        "/healthz",
        "Healthz",
        "operations",
        "Liveness and snapshot revision (no authentication)",
    ),
    (
        "GET",
        "/metrics",
        "Metrics",
        "operations",
        "Prometheus metrics",
    ),
    (
        "GET",
        "/openapi.json",
        "OpenApi",
        "operations",
        "This document",
    ),
    (
        "POST",
        "/v1/authorize",
        "Authorize",
        "decisions",
        "Decide one request or a batch for a stored principal",
    ),
    (
        "POST",
        "/v1/simulate",
        "Simulate",
        "decisions",
        "Evaluate an evaluation case without the store",
    ),
    (
        "POST",
        "/v5/policies",
        "CreatePolicyV5",
        "iam",
        "Create an identity policy",
    ),
    (
        "GET",
        "/v5/policies",
        "ListPoliciesV5",
        "iam",
        "List identity policies",
    ),
    (
        "GET",
        "/v5/policies/{policy_id}",
        "GetPolicyV5",
        "iam",
        "Get an identity policy",
    ),
    (
        "PUT",
        "/v5/policies/{policy_id}",
        "UpdatePolicyV5",
        "iam",
        "Update a policy's description",
    ),
    (
        "DELETE",
        "/v5/policies/{policy_id}",
        "DeletePolicyV5",
        "iam",
        "Delete an identity policy",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/versions",
        "CreatePolicyVersionV5",
        "iam",
        "Create a policy version",
    ),
    (
        "GET",
        "/v5/policies/{policy_id}/versions",
        "ListPolicyVersionsV5",
        "iam",
        "List policy versions",
    ),
    (
        "GET",
        "/v5/policies/{policy_id}/versions/{version_id}",
        "GetPolicyVersionV5",
        "iam",
        "Get a policy version",
    ),
    (
        "DELETE",
        "/v5/policies/{policy_id}/versions/{version_id}",
        "DeletePolicyVersionV5",
        "iam",
        "Delete a policy version",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/versions/{version_id}/set-default",
        "SetDefaultPolicyVersionV5",
        "iam",
        "Make a version the default",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/attach-user",
        "AttachUserPolicyV5",
        "iam",
        "Attach a policy to a user",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/detach-user",
        "DetachUserPolicyV5",
        "iam",
        "Detach a policy from a user",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/attach-group",
        "AttachGroupPolicyV5",
        "iam",
        "Attach a policy to a group",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/detach-group",
        "DetachGroupPolicyV5",
        "iam",
        "Detach a policy from a group",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/attach-agency",
        "AttachAgencyPolicyV5",
        "iam",
        "Attach a policy to an agency",
    ),
    (
        "POST",
        "/v5/policies/{policy_id}/detach-agency",
        "DetachAgencyPolicyV5",
        "iam",
        "Detach a policy from an agency",
    ),
    (
        "GET",
        "/v5/policies/{policy_id}/attached-entities",
        "ListEntitiesForPolicyV5",
        "iam",
        "Principals a policy is attached to",
    ),
    (
        "GET",
        "/v5/users/{user_id}/attached-policies",
        "ListAttachedUserPoliciesV5",
        "iam",
        "Policies attached to a user",
    ),
    (
        "GET",
        "/v5/groups/{group_id}/attached-policies",
        "ListAttachedGroupPoliciesV5",
        "iam",
        "Policies attached to a group",
    ),
    (
        "GET",
        "/v5/agencies/{agency_id}/attached-policies",
        "ListAttachedAgencyPoliciesV5",
        "iam",
        "Policies attached to an agency",
    ),
    ("POST", "/v5/users", "CreateUserV5", "iam", "Create a user"),
    ("GET", "/v5/users", "ListUsersV5", "iam", "List users"),
    (
        "GET",
        "/v5/users/{user_id}",
        "ShowUserV5",
        "iam",
        "Get a user",
    ),
    (
        "PUT",
        "/v5/users/{user_id}",
        "UpdateUserV5",
        "iam",
        "Update a user",
    ),
    (
        "DELETE",
        "/v5/users/{user_id}",
        "DeleteUserV5",
        "iam",
        "Delete a user",
    ),
    (
        "POST",
        "/v5/users/{user_id}/access-keys",
        "CreateAccessKeyV5",
        "iam",
        "Create an access key (at most 2 per user)",
    ),
    (
        "GET",
        "/v5/users/{user_id}/access-keys",
        "ListAccessKeysV5",
        "iam",
        "List a user's access keys",
    ),
    (
        "PUT",
        "/v5/users/{user_id}/access-keys/{access_key_id}",
        "UpdateAccessKeyV5",
        "iam",
        "Activate or deactivate an access key",
    ),
    (
        "DELETE",
        "/v5/users/{user_id}/access-keys/{access_key_id}",
        "DeleteAccessKeyV5",
        "iam",
        "Delete an access key",
    ),
    (
        "POST",
        "/v5/groups",
        "CreateGroupV5",
        "iam",
        "Create a group",
    ),
    ("GET", "/v5/groups", "ListGroupsV5", "iam", "List groups"),
    (
        "GET",
        "/v5/groups/{group_id}",
        "ShowGroupV5",
        "iam",
        "Get a group",
    ),
    (
        "PUT",
        "/v5/groups/{group_id}",
        "UpdateGroupV5",
        "iam",
        "Update a group",
    ),
    (
        "DELETE",
        "/v5/groups/{group_id}",
        "DeleteGroupV5",
        "iam",
        "Delete a group",
    ),
    (
        "POST",
        "/v5/groups/{group_id}/add-user",
        "AddUserToGroupV5",
        "iam",
        "Add a user to a group",
    ),
    (
        "POST",
        "/v5/groups/{group_id}/remove-user",
        "RemoveUserFromGroupV5",
        "iam",
        "Remove a user from a group",
    ),
    (
        "POST",
        "/v5/agencies",
        "CreateAgencyV5",
        "iam",
        "Create a trust agency",
    ),
    (
        "GET",
        "/v5/agencies",
        "ListAgenciesV5",
        "iam",
        "List agencies",
    ),
    (
        "GET",
        "/v5/agencies/{agency_id}",
        "GetAgencyV5",
        "iam",
        "Get an agency",
    ),
    (
        "PUT",
        "/v5/agencies/{agency_id}",
        "UpdateAgencyV5",
        "iam",
        "Update an agency",
    ),
    (
        "DELETE",
        "/v5/agencies/{agency_id}",
        "DeleteAgencyV5",
        "iam",
        "Delete an agency",
    ),
    (
        "PUT",
        "/v5/agencies/{agency_id}/trust-policy",
        "UpdateTrustPolicyV5",
        "iam",
        "Replace an agency's trust policy",
    ),
    (
        "POST",
        "/v5/agencies/assume",
        "AssumeAgencyV5",
        "sts",
        "Assume an agency: temporary credentials (STS v5)",
    ),
    (
        "GET",
        "/v5/caller-identity",
        "GetCallerIdentityV5",
        "sts",
        "The identity of the caller (STS v5)",
    ),
    (
        "POST",
        "/v5/decode-authorization-message",
        "DecodeAuthorizationMessageV5",
        "sts",
        "Decode an encoded authorization message of a 403 (STS v5)",
    ),
    (
        "POST",
        "/v3.0/OS-CREDENTIAL/securitytokens",
        "CreateTemporaryAccessKeyByAgency",
        "sts",
        "Temporary credentials of an agency (legacy IAM v3)",
    ),
    (
        "GET",
        "/v1/decisions",
        "ListDecisions",
        "decisions",
        "The decision log of enforced requests",
    ),
    (
        "GET",
        "/v1/gateway/authorize",
        "GatewayAuthorizeGet",
        "gateway",
        "nginx auth_request: authenticate and authorize the original request",
    ),
    (
        "POST",
        "/v1/gateway/authorize",
        "GatewayAuthorizePost",
        "gateway",
        "nginx auth_request: authenticate and authorize the original request",
    ),
    (
        "POST",
        "/v5/policies/check-no-new-access",
        "CheckNoNewAccess",
        "access-analyzer",
        "Whether a new policy grants no access the existing one does not",
    ),
    (
        "POST",
        "/v1/assistant/coverage",
        "AssistantCoverage",
        "assistant",
        "Which ModelArts scenarios a principal or policies cover, with the denying layer",
    ),
    (
        "POST",
        "/v1/assistant/generate",
        "AssistantGenerate",
        "assistant",
        "Least-privilege policy for scenarios or observed use",
    ),
    (
        "POST",
        "/v1/assistant/preflight",
        "AssistantPreflight",
        "assistant",
        "Preflight of a ModelArts operation with per-step fixes",
    ),
    (
        "GET",
        "/v1/assistant/agency-audit",
        "AssistantAgencyAudit",
        "assistant",
        "Audit of the ModelArts agencies of a project",
    ),
    (
        "POST",
        "/v1/assistant/diff",
        "AssistantDiff",
        "assistant",
        "Access added or removed between two sets of policies",
    ),
    (
        "POST",
        "/v2/{project_id}/agency",
        "CreateModelArtsAgency",
        "modelarts",
        "ModelArts one-click agency creation",
    ),
    (
        "POST",
        "/v2/{project_id}/authorizations",
        "CreateModelArtsAuthorization",
        "modelarts",
        "Configure the agency ModelArts uses for a user",
    ),
    (
        "GET",
        "/v2/{project_id}/authorizations",
        "ListModelArtsAuthorizations",
        "modelarts",
        "List ModelArts authorizations",
    ),
    (
        "DELETE",
        "/v2/{project_id}/authorizations",
        "DeleteModelArtsAuthorization",
        "modelarts",
        "Remove a ModelArts authorization",
    ),
    (
        "POST",
        "/v5/policies/validate",
        "ValidatePolicy",
        "access-analyzer",
        "Validate a policy document",
    ),
    (
        "POST",
        "/v1/organizations",
        "CreateOrganization",
        "organizations",
        "Create an organization",
    ),
    (
        "GET",
        "/v1/organizations",
        "ShowOrganization",
        "organizations",
        "Get the caller's organization",
    ),
    (
        "GET",
        "/v1/organizations/roots",
        "ListRoots",
        "organizations",
        "List roots",
    ),
    (
        "POST",
        "/v1/organizations/policies/enable",
        "EnablePolicyType",
        "organizations",
        "Enable a policy type on a root",
    ),
    (
        "POST",
        "/v1/organizations/policies/disable",
        "DisablePolicyType",
        "organizations",
        "Disable a policy type on a root",
    ),
    (
        "POST",
        "/v1/organizations/policies",
        "CreatePolicy",
        "organizations",
        "Create an SCP",
    ),
    (
        "GET",
        "/v1/organizations/policies",
        "ListPolicies",
        "organizations",
        "List SCPs",
    ),
    (
        "GET",
        "/v1/organizations/policies/{policy_id}",
        "ShowPolicy",
        "organizations",
        "Get an SCP",
    ),
    (
        "PATCH",
        "/v1/organizations/policies/{policy_id}",
        "UpdatePolicy",
        "organizations",
        "Update an SCP",
    ),
    (
        "DELETE",
        "/v1/organizations/policies/{policy_id}",
        "DeletePolicy",
        "organizations",
        "Delete an SCP",
    ),
    (
        "POST",
        "/v1/organizations/policies/{policy_id}/attach",
        "AttachPolicy",
        "organizations",
        "Attach an SCP to a root, OU or account",
    ),
    (
        "POST",
        "/v1/organizations/policies/{policy_id}/detach",
        "DetachPolicy",
        "organizations",
        "Detach an SCP",
    ),
    (
        "GET",
        "/v1/organizations/policies/{policy_id}/attached-entities",
        "ListEntitiesForPolicy",
        "organizations",
        "Where an SCP is attached",
    ),
    (
        "POST",
        "/v1/organizations/organizational-units",
        "CreateOrganizationalUnit",
        "organizations",
        "Create an OU",
    ),
    (
        "GET",
        "/v1/organizations/organizational-units",
        "ListOrganizationalUnits",
        "organizations",
        "List OUs under a parent",
    ),
    (
        "GET",
        "/v1/organizations/organizational-units/{organizational_unit_id}",
        "ShowOrganizationalUnit",
        "organizations",
        "Get an OU",
    ),
    (
        "PATCH",
        "/v1/organizations/organizational-units/{organizational_unit_id}",
        "UpdateOrganizationalUnit",
        "organizations",
        "Rename an OU",
    ),
    (
        "DELETE",
        "/v1/organizations/organizational-units/{organizational_unit_id}",
        "DeleteOrganizationalUnit",
        "organizations",
        "Delete an empty OU",
    ),
    (
        "POST",
        "/v1/organizations/accounts",
        "CreateAccount",
        "organizations",
        "Create a member account (with its root user)",
    ),
    (
        "GET",
        "/v1/organizations/accounts",
        "ListAccounts",
        "organizations",
        "List member accounts",
    ),
    (
        "GET",
        "/v1/organizations/accounts/{account_id}",
        "ShowAccount",
        "organizations",
        "Get a member account",
    ),
    (
        "POST",
        "/v1/organizations/accounts/{account_id}/move",
        "MoveAccount",
        "organizations",
        "Move an account to another parent",
    ),
    (
        "GET",
        "/v1/organizations/entities",
        "ListEntities",
        "organizations",
        "Children of a root or OU",
    ),
];

/// The OpenAPI 3.1 document describing every endpoint.
pub fn openapi_document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (method, path, op_id, tag, summary) in ENDPOINTS {
        let http_method = match *method {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            _ => HttpMethod::Delete,
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
        if *path != "/healthz" {
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
