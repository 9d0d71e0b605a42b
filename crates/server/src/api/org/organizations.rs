//! The organization and its root: `CreateOrganization`, `ShowOrganization`, `ListRoots`,
//! `EnablePolicyType`, `DisablePolicyType`.

use axum::Json;
use axum::extract::State;
use axum::routing::on;
use iam_store::{Organization, Root};
use serde::{Deserialize, Serialize};

use super::{caller_org, managed_org, parse_policy_type, policy_type_status_str, policy_type_str};
use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations",
        operation_id: "CreateOrganization",
        tag: "organizations",
        summary: "Create an organization",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_organization),
        query: None,
        request: None,
        response: Reply::ok::<OrganizationResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations",
        operation_id: "ShowOrganization",
        tag: "organizations",
        summary: "Get the caller's organization",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_organization),
        query: None,
        request: None,
        response: Reply::ok::<OrganizationResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/roots",
        operation_id: "ListRoots",
        tag: "organizations",
        summary: "List roots",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_roots),
        query: Some(Params::of::<PageQuery>()),
        request: None,
        response: Reply::ok::<ListRootsResponse>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies/enable",
        operation_id: "EnablePolicyType",
        tag: "organizations",
        summary: "Enable a policy type on a root",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, enable_policy_type),
        query: None,
        request: Some(Body::of::<PolicyTypeBody>()),
        response: Reply::ok::<RootResponse>(),
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies/disable",
        operation_id: "DisablePolicyType",
        tag: "organizations",
        summary: "Disable a policy type on a root",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, disable_policy_type),
        query: None,
        request: Some(Body::of::<PolicyTypeBody>()),
        response: Reply::ok::<RootResponse>(),
    },
];

/// An organization.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OrganizationView {
    /// `o-` and 32 hex digits.
    id: String,
    /// `organizations::<management account>:organization:<id>`.
    urn: String,
    /// The management account.
    management_account_id: String,
    /// The management account's name.
    management_account_name: String,
    /// Creation time.
    created_at: String,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        OrganizationView {
            id: o.id,
            urn: o.urn,
            management_account_id: o.management_account_id,
            management_account_name: o.management_account_name,
            created_at: o.created_at,
        }
    }
}

/// `{"organization": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OrganizationResponse {
    organization: OrganizationView,
}

/// A policy type's state on a root.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PolicyTypeSummary {
    /// `service_control_policy` or `tag_policy`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(service_control_policy|tag_policy)$")]
    policy_type: String,
    /// `enabled` or `disabled`.
    #[schema(pattern = "^(enabled|disabled)$")]
    status: String,
}

/// The root of an organization.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RootView {
    /// `r-` and 32 hex digits.
    id: String,
    /// `organizations::<management account>:root:<org>/<root>`.
    urn: String,
    /// `Root`.
    name: String,
    /// The policy types and whether each is enabled.
    policy_types: Vec<PolicyTypeSummary>,
    /// Creation time.
    created_at: String,
}

impl RootView {
    fn new(org: &Organization, r: &Root) -> Self {
        RootView {
            id: r.id.clone(),
            urn: format!(
                "organizations::{}:root:{}/{}",
                org.management_account_id, org.id, r.id
            ),
            name: r.name.clone(),
            policy_types: r
                .policy_types
                .iter()
                .map(|t| PolicyTypeSummary {
                    policy_type: policy_type_str(t.policy_type).to_owned(),
                    status: policy_type_status_str(t.status).to_owned(),
                })
                .collect(),
            created_at: r.created_at.clone(),
        }
    }
}

/// `{"root": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RootResponse {
    root: RootView,
}

/// `ListRoots`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ListRootsResponse {
    roots: Vec<RootView>,
    page_info: PageInfo,
}

async fn create_organization(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<OrganizationResponse>> {
    let account = caller.account_id.clone();
    let (org, _root) = st
        .write(|s| async move { s.create_organization(&account).await })
        .await?;
    Ok(Json(OrganizationResponse {
        organization: org.into(),
    }))
}

async fn get_organization(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<OrganizationResponse>> {
    let org = caller_org(&st, &caller).await?;
    Ok(Json(OrganizationResponse {
        organization: org.into(),
    }))
}

async fn list_roots(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<ListRootsResponse>> {
    let org = managed_org(&st, &caller).await?;
    let root = st.store().root_of_organization(&org.id).await?;
    // an organization has one root; `limit` and `marker` are still validated
    let (page, page_info) = q.paginate(vec![root], |r| r.id.clone())?;
    Ok(Json(ListRootsResponse {
        roots: page.iter().map(|r| RootView::new(&org, r)).collect(),
        page_info,
    }))
}

/// `EnablePolicyType`'s and `DisablePolicyType`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct PolicyTypeBody {
    /// `service_control_policy` or `tag_policy`.
    #[schema(pattern = "^(service_control_policy|tag_policy)$")]
    policy_type: String,
    /// The organization's root.
    root_id: String,
}

async fn set_policy_type(
    st: AppState,
    caller: Caller,
    b: PolicyTypeBody,
    enable: bool,
) -> ApiResult<Json<RootResponse>> {
    let org = managed_org(&st, &caller).await?;
    let t = parse_policy_type(&b.policy_type)?;
    let root = st.store().root_of_organization(&org.id).await?;
    if root.id != b.root_id {
        return Err(ApiError::not_found(format!(
            "root `{}` not found",
            b.root_id
        )));
    }
    let root = st
        .write(|s| async move {
            if enable {
                s.enable_policy_type(&b.root_id, t).await
            } else {
                s.disable_policy_type(&b.root_id, t).await
            }
        })
        .await?;
    Ok(Json(RootResponse {
        root: RootView::new(&org, &root),
    }))
}

async fn enable_policy_type(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<PolicyTypeBody>,
) -> ApiResult<Json<RootResponse>> {
    set_policy_type(st, caller, b, true).await
}

async fn disable_policy_type(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<PolicyTypeBody>,
) -> ApiResult<Json<RootResponse>> {
    set_policy_type(st, caller, b, false).await
}
