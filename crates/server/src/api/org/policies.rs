//! Organization policies (SCPs and tag policies) and where they are attached: `CreatePolicy`,
//! `ListPolicies`, `ShowPolicy`, `UpdatePolicy`, `DeletePolicy`, `AttachPolicy`, `DetachPolicy`,
//! `ListEntitiesForPolicy`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::{OrgPolicyType, Organization, ScpPolicy};
use serde::{Deserialize, Serialize};

use super::{
    OrgEntityView, entity, managed_org, no_tags, own_scp, parse_policy_type, policy_type_str,
    scp_urn,
};
use crate::api::iam::no_content;
use crate::auth::Caller;
use crate::documents::{DocumentKind, check_document};
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery, store_items, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies",
        operation_id: "CreatePolicy",
        tag: "organizations",
        summary: "Create an SCP",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_policy),
        query: None,
        request: Some(Body::of::<CreateScpBody>()),
        response: Reply::ok::<ScpResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/policies",
        operation_id: "ListPolicies",
        tag: "organizations",
        summary: "List SCPs",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_policies),
        query: Some(Params::of::<ListScpQuery>()),
        request: None,
        response: Reply::ok::<ListScpsResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/policies/{policy_id}",
        operation_id: "ShowPolicy",
        tag: "organizations",
        summary: "Get an SCP",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_policy),
        query: None,
        request: None,
        response: Reply::ok::<ScpResponse>(),
    },
    Endpoint {
        method: Method::Patch,
        path: "/v1/organizations/policies/{policy_id}",
        operation_id: "UpdatePolicy",
        tag: "organizations",
        summary: "Update an SCP",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_policy),
        query: None,
        request: Some(Body::of::<UpdateScpBody>()),
        response: Reply::ok::<ScpResponse>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v1/organizations/policies/{policy_id}",
        operation_id: "DeletePolicy",
        tag: "organizations",
        summary: "Delete an SCP",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_policy),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies/{policy_id}/attach",
        operation_id: "AttachPolicy",
        tag: "organizations",
        summary: "Attach an SCP to a root, OU or account",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attach_policy::<true>),
        query: None,
        request: Some(Body::of::<ScpEntityBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies/{policy_id}/detach",
        operation_id: "DetachPolicy",
        tag: "organizations",
        summary: "Detach an SCP",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attach_policy::<false>),
        query: None,
        request: Some(Body::of::<ScpEntityBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/policies/{policy_id}/attached-entities",
        operation_id: "ListEntitiesForPolicy",
        tag: "organizations",
        summary: "Where an SCP is attached",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_policy_entities),
        query: Some(Params::of::<PageQuery>()),
        request: None,
        response: Reply::ok::<ListScpEntitiesResponse>(),
    },
];

/// An organization policy without its document, as lists show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ScpSummary {
    /// `p-` and 32 hex digits (`p-FullAccess` for the built-in policy).
    id: String,
    /// The policy's URN.
    urn: String,
    /// Name.
    name: String,
    /// `service_control_policy` or `tag_policy`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(service_control_policy|tag_policy)$")]
    policy_type: String,
    /// Description.
    description: String,
    /// Built-in policies can be attached but not edited or deleted.
    is_builtin: bool,
}

impl ScpSummary {
    fn new(org: &Organization, p: &ScpPolicy) -> Self {
        ScpSummary {
            id: p.id.clone(),
            urn: scp_urn(org, p),
            name: p.name.clone(),
            policy_type: policy_type_str(p.policy_type).to_owned(),
            description: p.description.clone(),
            is_builtin: p.is_builtin,
        }
    }
}

/// An organization policy with its document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ScpView {
    /// The policy document, verbatim as given.
    content: String,
    /// Everything else.
    policy_summary: ScpSummary,
}

/// `{"policy": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ScpResponse {
    policy: ScpView,
}

impl ScpResponse {
    fn new(org: &Organization, p: &ScpPolicy) -> Json<Self> {
        Json(ScpResponse {
            policy: ScpView {
                content: p.content.clone(),
                policy_summary: ScpSummary::new(org, p),
            },
        })
    }
}

/// `ListPolicies`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ListScpsResponse {
    policies: Vec<ScpSummary>,
    page_info: PageInfo,
}

/// `ListEntitiesForPolicy`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ListScpEntitiesResponse {
    attached_entities: Vec<OrgEntityView>,
    page_info: PageInfo,
}

/// `CreatePolicy`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateScpBody {
    /// 1-64 letters, digits, `_`, `-`, `.` and space; unique in the organization.
    #[schema(pattern = "^[A-Za-z0-9_. -]{1,64}$")]
    name: String,
    /// `service_control_policy` or `tag_policy`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(service_control_policy|tag_policy)$")]
    policy_type: String,
    /// The policy document, as JSON text (at most 6,144 bytes); an SCP must be a valid one.
    #[schema(min_length = 1, max_length = 6144)]
    content: String,
    /// At most 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    description: String,
    /// Refused unless empty: Organizations entities carry no tags here.
    #[serde(default)]
    #[schema(value_type = Vec<Object>, max_items = 0)]
    tags: Vec<serde_json::Value>,
}

async fn create_policy(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateScpBody>,
) -> ApiResult<Json<ScpResponse>> {
    no_tags(&b.tags)?;
    let org = managed_org(&st, &caller).await?;
    let t = parse_policy_type(&b.policy_type)?;
    if t == OrgPolicyType::ServiceControlPolicy {
        check_document(&b.content, DocumentKind::Scp)?;
    }
    let new = iam_store::NewScp {
        name: b.name,
        policy_type: t,
        content: b.content,
        description: b.description,
    };
    let org_id = org.id.clone();
    let p = st
        .write(|s| async move { s.create_scp(&org_id, &new).await })
        .await?;
    Ok(ScpResponse::new(&org, &p))
}

/// `ListPolicies`' query parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListScpQuery {
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_marker`.
    #[param(pattern = "^[A-Za-z0-9+/=_-]{4,400}$")]
    marker: Option<String>,
    /// Only the policies attached to this root, OU or account.
    attached_entity_id: Option<String>,
}

async fn list_policies(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListScpQuery>,
) -> ApiResult<Json<ListScpsResponse>> {
    let org = managed_org(&st, &caller).await?;
    let page = store_page(q.limit, q.marker)?;
    if let Some(e) = &q.attached_entity_id {
        entity(&st, &org, e).await?;
    }
    let p = st
        .store()
        .list_scps(&org.id, q.attached_entity_id.as_deref(), &page)
        .await?;
    let (policies, page_info) = store_items(p, |x| ScpSummary::new(&org, x));
    Ok(Json(ListScpsResponse {
        policies,
        page_info,
    }))
}

async fn get_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
) -> ApiResult<Json<ScpResponse>> {
    let org = managed_org(&st, &caller).await?;
    let p = own_scp(&st, &org, &policy_id).await?;
    Ok(ScpResponse::new(&org, &p))
}

/// `UpdatePolicy`'s request body: the members given are changed.
#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateScpBody {
    /// 1-64 letters, digits, `_`, `-`, `.` and space; unique in the organization.
    #[schema(pattern = "^[A-Za-z0-9_. -]{1,64}$")]
    name: Option<String>,
    /// At most 1,000 characters.
    #[schema(max_length = 1000)]
    description: Option<String>,
    /// The policy document, as JSON text (at most 6,144 bytes); an SCP must be a valid one.
    #[schema(min_length = 1, max_length = 6144)]
    content: Option<String>,
}

async fn update_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<UpdateScpBody>,
) -> ApiResult<Json<ScpResponse>> {
    let org = managed_org(&st, &caller).await?;
    let cur = own_scp(&st, &org, &policy_id).await?;
    if let Some(c) = &b.content
        && cur.policy_type == OrgPolicyType::ServiceControlPolicy
    {
        check_document(c, DocumentKind::Scp)?;
    }
    let upd = iam_store::ScpUpdate {
        name: b.name,
        description: b.description,
        content: b.content,
    };
    let p = st
        .write(|s| async move { s.update_scp(&policy_id, &upd).await })
        .await?;
    Ok(ScpResponse::new(&org, &p))
}

async fn delete_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
) -> ApiResult<Response> {
    let org = managed_org(&st, &caller).await?;
    own_scp(&st, &org, &policy_id).await?;
    st.write(|s| async move { s.delete_scp(&policy_id).await })
        .await?;
    Ok(no_content())
}

/// `AttachPolicy`'s and `DetachPolicy`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct ScpEntityBody {
    /// The root, OU or account.
    entity_id: String,
}

/// `attach` (`ATTACH`) and `detach`: the SCP and the entity must both be of the caller's
/// organization.
async fn attach_policy<const ATTACH: bool>(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<ScpEntityBody>,
) -> ApiResult<Response> {
    let org = managed_org(&st, &caller).await?;
    own_scp(&st, &org, &policy_id).await?;
    entity(&st, &org, &b.entity_id).await?;
    st.write(|s| async move {
        if ATTACH {
            s.attach_scp(&policy_id, &b.entity_id).await
        } else {
            s.detach_scp(&policy_id, &b.entity_id).await
        }
    })
    .await?;
    Ok(no_content())
}

async fn list_policy_entities(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<ListScpEntitiesResponse>> {
    let org = managed_org(&st, &caller).await?;
    own_scp(&st, &org, &policy_id).await?;
    let targets = st.store().list_scp_targets(&policy_id).await?;
    let mut items = Vec::new();
    for t in targets.iter().filter(|t| t.organization_id == org.id) {
        let name = entity(&st, &org, &t.target_id)
            .await
            .map(|e| e.1)
            .unwrap_or_default();
        items.push(OrgEntityView::new(t.target_id.clone(), name, t.target_type));
    }
    let (attached_entities, page_info) = q.paginate(items, |v| v.id.clone())?;
    Ok(Json(ListScpEntitiesResponse {
        attached_entities,
        page_info,
    }))
}
