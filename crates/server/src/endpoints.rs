//! Every endpoint of the server, declared once with how it is authorized.
//!
//! [`ENDPOINTS`] is the one table of the HTTP API: the OpenAPI document is built from it, and the
//! authentication middleware authorizes every request from its row. A request whose method and
//! canonical path match no row is refused before any handler runs, so an API cannot be reached
//! without a row saying how it is authorized (`Authz`); a test sends every row through the
//! router and checks that the router serves nothing else.
//!
//! For [`Authz::Catalog`] rows the actions come from the catalog's route table, and each
//! action's resource is the URN of the entity the request names, looked up by id in the current
//! snapshot: a path parameter (the route's `resource_params`), or a body member for the
//! attach/detach APIs, whose target is in the body. Request keys are filled from the request
//! (`crate::context`), and the row's [`Key`]s add the action-specific ones.

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// HTTP method, upper case.
    pub method: &'static str,
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
}

impl Key {
    /// The condition key's name.
    pub fn name(self) -> &'static str {
        match self {
            Key::PolicyUrn => "iam:PolicyURN",
        }
    }
}

/// Every endpoint.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "GET",
        path: "/healthz",
        operation_id: "Healthz",
        tag: "operations",
        summary: "Liveness and snapshot revision (no authentication)",
        authz: Authz::Open("liveness probes carry no credentials; the answer holds no data"),
    },
    Endpoint {
        method: "GET",
        path: "/metrics",
        operation_id: "Metrics",
        tag: "operations",
        summary: "Prometheus metrics",
        authz: Authz::Authenticated,
    },
    Endpoint {
        method: "GET",
        path: "/openapi.json",
        operation_id: "OpenApi",
        tag: "operations",
        summary: "This document",
        authz: Authz::Authenticated,
    },
    Endpoint {
        method: "POST",
        path: "/v1/authorize",
        operation_id: "Authorize",
        tag: "decisions",
        summary: "Decide one request or a batch for a stored principal",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/simulate",
        operation_id: "Simulate",
        tag: "decisions",
        summary: "Evaluate an evaluation case without the store",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies",
        operation_id: "CreatePolicyV5",
        tag: "iam",
        summary: "Create an identity policy",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/policies",
        operation_id: "ListPoliciesV5",
        tag: "iam",
        summary: "List identity policies",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/policies/{policy_id}",
        operation_id: "GetPolicyV5",
        tag: "iam",
        summary: "Get an identity policy",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PUT",
        path: "/v5/policies/{policy_id}",
        operation_id: "UpdatePolicyV5",
        tag: "iam",
        summary: "Update a policy's description",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v5/policies/{policy_id}",
        operation_id: "DeletePolicyV5",
        tag: "iam",
        summary: "Delete an identity policy",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/versions",
        operation_id: "CreatePolicyVersionV5",
        tag: "iam",
        summary: "Create a policy version",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/policies/{policy_id}/versions",
        operation_id: "ListPolicyVersionsV5",
        tag: "iam",
        summary: "List policy versions",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/policies/{policy_id}/versions/{version_id}",
        operation_id: "GetPolicyVersionV5",
        tag: "iam",
        summary: "Get a policy version",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v5/policies/{policy_id}/versions/{version_id}",
        operation_id: "DeletePolicyVersionV5",
        tag: "iam",
        summary: "Delete a policy version",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/versions/{version_id}/set-default",
        operation_id: "SetDefaultPolicyVersionV5",
        tag: "iam",
        summary: "Make a version the default",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/attach-user",
        operation_id: "AttachUserPolicyV5",
        tag: "iam",
        summary: "Attach a policy to a user",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "user_id",
                kind: EntityKind::User,
            },
            keys: &[Key::PolicyUrn],
        }),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/detach-user",
        operation_id: "DetachUserPolicyV5",
        tag: "iam",
        summary: "Detach a policy from a user",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "user_id",
                kind: EntityKind::User,
            },
            keys: &[Key::PolicyUrn],
        }),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/attach-group",
        operation_id: "AttachGroupPolicyV5",
        tag: "iam",
        summary: "Attach a policy to a group",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "group_id",
                kind: EntityKind::Group,
            },
            keys: &[Key::PolicyUrn],
        }),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/detach-group",
        operation_id: "DetachGroupPolicyV5",
        tag: "iam",
        summary: "Detach a policy from a group",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "group_id",
                kind: EntityKind::Group,
            },
            keys: &[Key::PolicyUrn],
        }),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/attach-agency",
        operation_id: "AttachAgencyPolicyV5",
        tag: "iam",
        summary: "Attach a policy to an agency",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "agency_id",
                kind: EntityKind::Agency,
            },
            keys: &[Key::PolicyUrn],
        }),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/{policy_id}/detach-agency",
        operation_id: "DetachAgencyPolicyV5",
        tag: "iam",
        summary: "Detach a policy from an agency",
        authz: Authz::Catalog(Sources {
            target: Target::Body {
                field: "agency_id",
                kind: EntityKind::Agency,
            },
            keys: &[Key::PolicyUrn],
        }),
    },
    Endpoint {
        method: "GET",
        path: "/v5/policies/{policy_id}/attached-entities",
        operation_id: "ListEntitiesForPolicyV5",
        tag: "iam",
        summary: "Principals a policy is attached to",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/users/{user_id}/attached-policies",
        operation_id: "ListAttachedUserPoliciesV5",
        tag: "iam",
        summary: "Policies attached to a user",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/groups/{group_id}/attached-policies",
        operation_id: "ListAttachedGroupPoliciesV5",
        tag: "iam",
        summary: "Policies attached to a group",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/agencies/{agency_id}/attached-policies",
        operation_id: "ListAttachedAgencyPoliciesV5",
        tag: "iam",
        summary: "Policies attached to an agency",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/users",
        operation_id: "CreateUserV5",
        tag: "iam",
        summary: "Create a user",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/users",
        operation_id: "ListUsersV5",
        tag: "iam",
        summary: "List users",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/users/{user_id}",
        operation_id: "ShowUserV5",
        tag: "iam",
        summary: "Get a user",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PUT",
        path: "/v5/users/{user_id}",
        operation_id: "UpdateUserV5",
        tag: "iam",
        summary: "Update a user",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v5/users/{user_id}",
        operation_id: "DeleteUserV5",
        tag: "iam",
        summary: "Delete a user",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/users/{user_id}/access-keys",
        operation_id: "CreateAccessKeyV5",
        tag: "iam",
        summary: "Create an access key (at most 2 per user)",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/users/{user_id}/access-keys",
        operation_id: "ListAccessKeysV5",
        tag: "iam",
        summary: "List a user's access keys",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PUT",
        path: "/v5/users/{user_id}/access-keys/{access_key_id}",
        operation_id: "UpdateAccessKeyV5",
        tag: "iam",
        summary: "Activate or deactivate an access key",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v5/users/{user_id}/access-keys/{access_key_id}",
        operation_id: "DeleteAccessKeyV5",
        tag: "iam",
        summary: "Delete an access key",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/groups",
        operation_id: "CreateGroupV5",
        tag: "iam",
        summary: "Create a group",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/groups",
        operation_id: "ListGroupsV5",
        tag: "iam",
        summary: "List groups",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/groups/{group_id}",
        operation_id: "ShowGroupV5",
        tag: "iam",
        summary: "Get a group",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PUT",
        path: "/v5/groups/{group_id}",
        operation_id: "UpdateGroupV5",
        tag: "iam",
        summary: "Update a group",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v5/groups/{group_id}",
        operation_id: "DeleteGroupV5",
        tag: "iam",
        summary: "Delete a group",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/groups/{group_id}/add-user",
        operation_id: "AddUserToGroupV5",
        tag: "iam",
        summary: "Add a user to a group",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/groups/{group_id}/remove-user",
        operation_id: "RemoveUserFromGroupV5",
        tag: "iam",
        summary: "Remove a user from a group",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/agencies",
        operation_id: "CreateAgencyV5",
        tag: "iam",
        summary: "Create a trust agency",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/agencies",
        operation_id: "ListAgenciesV5",
        tag: "iam",
        summary: "List agencies",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v5/agencies/{agency_id}",
        operation_id: "GetAgencyV5",
        tag: "iam",
        summary: "Get an agency",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PUT",
        path: "/v5/agencies/{agency_id}",
        operation_id: "UpdateAgencyV5",
        tag: "iam",
        summary: "Update an agency",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v5/agencies/{agency_id}",
        operation_id: "DeleteAgencyV5",
        tag: "iam",
        summary: "Delete an agency",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PUT",
        path: "/v5/agencies/{agency_id}/trust-policy",
        operation_id: "UpdateTrustPolicyV5",
        tag: "iam",
        summary: "Replace an agency's trust policy",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/agencies/assume",
        operation_id: "AssumeAgencyV5",
        tag: "sts",
        summary: "Assume an agency: temporary credentials (STS v5)",
        authz: Authz::Handler(
            "the agency in the body: `sts:agencies:assume` on its URN, and its trust policy",
        ),
    },
    Endpoint {
        method: "GET",
        path: "/v5/caller-identity",
        operation_id: "GetCallerIdentityV5",
        tag: "sts",
        summary: "The identity of the caller (STS v5)",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/decode-authorization-message",
        operation_id: "DecodeAuthorizationMessageV5",
        tag: "sts",
        summary: "Decode an encoded authorization message of a 403 (STS v5)",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v3.0/OS-CREDENTIAL/securitytokens",
        operation_id: "CreateTemporaryAccessKeyByAgency",
        tag: "sts",
        summary: "Temporary credentials of an agency (legacy IAM v3)",
        authz: Authz::Handler(
            "the agency in the body: `sts:agencies:assume` on its URN, and its trust policy",
        ),
    },
    Endpoint {
        method: "GET",
        path: "/v1/decisions",
        operation_id: "ListDecisions",
        tag: "decisions",
        summary: "The decision log of enforced requests",
        authz: Authz::Handler(
            "`cts:trace:list` (reading the decision log, like Cloud Trace Service records) on `*`",
        ),
    },
    Endpoint {
        method: "GET",
        path: "/v1/gateway/authorize",
        operation_id: "GatewayAuthorizeGet",
        tag: "gateway",
        summary: "nginx auth_request: authenticate and authorize the original request",
        authz: Authz::Open(
            "nginx calls it without credentials of its own; it verifies the signature of the original request and authorizes it like the proxy",
        ),
    },
    Endpoint {
        method: "POST",
        path: "/v1/gateway/authorize",
        operation_id: "GatewayAuthorizePost",
        tag: "gateway",
        summary: "nginx auth_request: authenticate and authorize the original request",
        authz: Authz::Open(
            "nginx calls it without credentials of its own; it verifies the signature of the original request and authorizes it like the proxy",
        ),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/check-no-new-access",
        operation_id: "CheckNoNewAccess",
        tag: "access-analyzer",
        summary: "Whether a new policy grants no access the existing one does not",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/assistant/coverage",
        operation_id: "AssistantCoverage",
        tag: "assistant",
        summary: "Which ModelArts scenarios a principal or policies cover, with the denying layer",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
    },
    Endpoint {
        method: "POST",
        path: "/v1/assistant/generate",
        operation_id: "AssistantGenerate",
        tag: "assistant",
        summary: "Least-privilege policy for scenarios or observed use",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
    },
    Endpoint {
        method: "POST",
        path: "/v1/assistant/preflight",
        operation_id: "AssistantPreflight",
        tag: "assistant",
        summary: "Preflight of a ModelArts operation with per-step fixes",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
    },
    Endpoint {
        method: "GET",
        path: "/v1/assistant/agency-audit",
        operation_id: "AssistantAgencyAudit",
        tag: "assistant",
        summary: "Audit of the ModelArts agencies of a project",
        authz: Authz::Handler("the account in the query"),
    },
    Endpoint {
        method: "POST",
        path: "/v1/assistant/diff",
        operation_id: "AssistantDiff",
        tag: "assistant",
        summary: "Access added or removed between two sets of policies",
        authz: Authz::Handler("the subject in the body, as for `/v1/authorize`"),
    },
    Endpoint {
        method: "POST",
        path: "/v2/{project_id}/agency",
        operation_id: "CreateModelArtsAgency",
        tag: "modelarts",
        summary: "ModelArts one-click agency creation",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v2/{project_id}/authorizations",
        operation_id: "CreateModelArtsAuthorization",
        tag: "modelarts",
        summary: "Configure the agency ModelArts uses for a user",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v2/{project_id}/authorizations",
        operation_id: "ListModelArtsAuthorizations",
        tag: "modelarts",
        summary: "List ModelArts authorizations",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v2/{project_id}/authorizations",
        operation_id: "DeleteModelArtsAuthorization",
        tag: "modelarts",
        summary: "Remove a ModelArts authorization",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v5/policies/validate",
        operation_id: "ValidatePolicy",
        tag: "access-analyzer",
        summary: "Validate a policy document",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations",
        operation_id: "CreateOrganization",
        tag: "organizations",
        summary: "Create an organization",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations",
        operation_id: "ShowOrganization",
        tag: "organizations",
        summary: "Get the caller's organization",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/roots",
        operation_id: "ListRoots",
        tag: "organizations",
        summary: "List roots",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/policies/enable",
        operation_id: "EnablePolicyType",
        tag: "organizations",
        summary: "Enable a policy type on a root",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/policies/disable",
        operation_id: "DisablePolicyType",
        tag: "organizations",
        summary: "Disable a policy type on a root",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/policies",
        operation_id: "CreatePolicy",
        tag: "organizations",
        summary: "Create an SCP",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/policies",
        operation_id: "ListPolicies",
        tag: "organizations",
        summary: "List SCPs",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/policies/{policy_id}",
        operation_id: "ShowPolicy",
        tag: "organizations",
        summary: "Get an SCP",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PATCH",
        path: "/v1/organizations/policies/{policy_id}",
        operation_id: "UpdatePolicy",
        tag: "organizations",
        summary: "Update an SCP",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v1/organizations/policies/{policy_id}",
        operation_id: "DeletePolicy",
        tag: "organizations",
        summary: "Delete an SCP",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/policies/{policy_id}/attach",
        operation_id: "AttachPolicy",
        tag: "organizations",
        summary: "Attach an SCP to a root, OU or account",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/policies/{policy_id}/detach",
        operation_id: "DetachPolicy",
        tag: "organizations",
        summary: "Detach an SCP",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/policies/{policy_id}/attached-entities",
        operation_id: "ListEntitiesForPolicy",
        tag: "organizations",
        summary: "Where an SCP is attached",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/organizational-units",
        operation_id: "CreateOrganizationalUnit",
        tag: "organizations",
        summary: "Create an OU",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/organizational-units",
        operation_id: "ListOrganizationalUnits",
        tag: "organizations",
        summary: "List OUs under a parent",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/organizational-units/{organizational_unit_id}",
        operation_id: "ShowOrganizationalUnit",
        tag: "organizations",
        summary: "Get an OU",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "PATCH",
        path: "/v1/organizations/organizational-units/{organizational_unit_id}",
        operation_id: "UpdateOrganizationalUnit",
        tag: "organizations",
        summary: "Rename an OU",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "DELETE",
        path: "/v1/organizations/organizational-units/{organizational_unit_id}",
        operation_id: "DeleteOrganizationalUnit",
        tag: "organizations",
        summary: "Delete an empty OU",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/accounts",
        operation_id: "CreateAccount",
        tag: "organizations",
        summary: "Create a member account (with its root user)",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/accounts",
        operation_id: "ListAccounts",
        tag: "organizations",
        summary: "List member accounts",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/accounts/{account_id}",
        operation_id: "ShowAccount",
        tag: "organizations",
        summary: "Get a member account",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "POST",
        path: "/v1/organizations/accounts/{account_id}/move",
        operation_id: "MoveAccount",
        tag: "organizations",
        summary: "Move an account to another parent",
        authz: Authz::Catalog(Sources::PATH),
    },
    Endpoint {
        method: "GET",
        path: "/v1/organizations/entities",
        operation_id: "ListEntities",
        tag: "organizations",
        summary: "Children of a root or OU",
        authz: Authz::Catalog(Sources::PATH),
    },
];

/// The row of a request, by method and canonical decoded path.
pub(crate) fn find(method: &str, path: &str) -> Option<&'static Endpoint> {
    static ROUTER: std::sync::OnceLock<matchit::Router<Vec<usize>>> = std::sync::OnceLock::new();
    let router = ROUTER.get_or_init(|| {
        let mut by_path: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, e) in ENDPOINTS.iter().enumerate() {
            by_path.entry(e.path).or_default().push(i);
        }
        let mut r = matchit::Router::new();
        for (path, rows) in by_path {
            // the table is a constant; a test checks every template is accepted
            let _ = r.insert(path, rows);
        }
        r
    });
    let found = router.at(path).ok()?;
    found
        .value
        .iter()
        .filter_map(|&i| ENDPOINTS.get(i))
        .find(|e| e.method == method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_found_by_its_own_template() {
        for e in ENDPOINTS {
            let concrete = e
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let found =
                find(e.method, &concrete).unwrap_or_else(|| panic!("{} {}", e.method, e.path));
            assert_eq!((found.method, found.path), (e.method, e.path));
        }
        assert!(find("GET", "/v5/nothing-here").is_none());
        assert!(find("PATCH", "/v5/users").is_none());
    }

    #[test]
    fn rows_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in ENDPOINTS {
            assert!(
                seen.insert((e.method, e.path)),
                "{} {} twice",
                e.method,
                e.path
            );
        }
    }
}
