//! Organizational units and the tree below a parent: `CreateOrganizationalUnit`,
//! `ListOrganizationalUnits`, `ShowOrganizationalUnit`, `UpdateOrganizationalUnit`,
//! `DeleteOrganizationalUnit`, `ListEntities`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::{OrgEntityType, Organization, OrganizationalUnit};
use serde::{Deserialize, Serialize};

use super::{OrgEntityView, ParentQuery, managed_org, no_tags, ou_urn, own_ou, parent_in_org};
use crate::api::iam::no_content;
use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery, store_items, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/organizational-units",
        operation_id: "CreateOrganizationalUnit",
        tag: "organizations",
        summary: "Create an OU",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_ou),
        query: None,
        request: Some(Body::of::<CreateOuBody>()),
        response: Reply::ok::<OuResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/organizational-units",
        operation_id: "ListOrganizationalUnits",
        tag: "organizations",
        summary: "List OUs under a parent",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_ous),
        query: Some(Params::of::<ParentQuery>()),
        request: None,
        response: Reply::ok::<ListOusResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/organizational-units/{organizational_unit_id}",
        operation_id: "ShowOrganizationalUnit",
        tag: "organizations",
        summary: "Get an OU",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_ou),
        query: None,
        request: None,
        response: Reply::ok::<OuResponse>(),
    },
    Endpoint {
        method: Method::Patch,
        path: "/v1/organizations/organizational-units/{organizational_unit_id}",
        operation_id: "UpdateOrganizationalUnit",
        tag: "organizations",
        summary: "Rename an OU",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_ou),
        query: None,
        request: Some(Body::of::<RenameOuBody>()),
        response: Reply::ok::<OuResponse>(),
    },
    Endpoint {
        method: Method::Delete,
        path: "/v1/organizations/organizational-units/{organizational_unit_id}",
        operation_id: "DeleteOrganizationalUnit",
        tag: "organizations",
        summary: "Delete an empty OU",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_ou),
        query: None,
        request: None,
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/entities",
        operation_id: "ListEntities",
        tag: "organizations",
        summary: "Children of a root or OU",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_entities),
        query: Some(Params::of::<ParentQuery>()),
        request: None,
        response: Reply::ok::<ListOrgEntitiesResponse>(),
    },
];

/// An organizational unit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OuView {
    /// `ou-` and 32 hex digits.
    id: String,
    /// `organizations::<management account>:ou:<org>/<ou>`.
    urn: String,
    /// Name, unique under its parent.
    name: String,
    /// Creation time.
    created_at: String,
}

impl OuView {
    fn new(org: &Organization, ou: &OrganizationalUnit) -> Self {
        OuView {
            id: ou.id.clone(),
            urn: ou_urn(org, &ou.id),
            name: ou.name.clone(),
            created_at: ou.created_at.clone(),
        }
    }
}

/// `{"organizational_unit": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OuResponse {
    organizational_unit: OuView,
}

impl OuResponse {
    fn new(org: &Organization, ou: &OrganizationalUnit) -> Json<Self> {
        Json(OuResponse {
            organizational_unit: OuView::new(org, ou),
        })
    }
}

/// `ListOrganizationalUnits`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ListOusResponse {
    organizational_units: Vec<OuView>,
    page_info: PageInfo,
}

/// `ListEntities`' answer: the OUs, then the accounts, directly under the parent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ListOrgEntitiesResponse {
    entities: Vec<OrgEntityView>,
    page_info: PageInfo,
}

/// `CreateOrganizationalUnit`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateOuBody {
    /// 1-64 letters, digits, `_`, `-`, `.` and space; unique under the parent.
    #[schema(pattern = "^[A-Za-z0-9_. -]{1,64}$")]
    name: String,
    /// The root or OU the new OU goes under.
    parent_id: String,
    /// Refused unless empty: Organizations entities carry no tags here.
    #[serde(default)]
    #[schema(value_type = Vec<Object>, max_items = 0)]
    tags: Vec<serde_json::Value>,
}

async fn create_ou(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateOuBody>,
) -> ApiResult<Json<OuResponse>> {
    no_tags(&b.tags)?;
    let org = managed_org(&st, &caller).await?;
    parent_in_org(&st, &org, &b.parent_id).await?;
    let ou = st
        .write(|s| async move { s.create_organizational_unit(&b.parent_id, &b.name).await })
        .await?;
    Ok(OuResponse::new(&org, &ou))
}

/// The parent a listing names, checked to be a root or OU of `org`; the root when none.
async fn parent_of(
    st: &AppState,
    org: &Organization,
    parent_id: Option<String>,
) -> ApiResult<String> {
    match parent_id {
        Some(p) => {
            parent_in_org(st, org, &p).await?;
            Ok(p)
        }
        None => Ok(st.store().root_of_organization(&org.id).await?.id),
    }
}

async fn list_ous(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ParentQuery>,
) -> ApiResult<Json<ListOusResponse>> {
    let org = managed_org(&st, &caller).await?;
    let page = store_page(q.limit, q.marker)?;
    let parent = parent_of(&st, &org, q.parent_id).await?;
    let p = st.store().list_organizational_units(&parent, &page).await?;
    let (organizational_units, page_info) = store_items(p, |o| OuView::new(&org, o));
    Ok(Json(ListOusResponse {
        organizational_units,
        page_info,
    }))
}

async fn get_ou(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OuResponse>> {
    let org = managed_org(&st, &caller).await?;
    let ou = own_ou(&st, &org, &id).await?;
    Ok(OuResponse::new(&org, &ou))
}

/// `UpdateOrganizationalUnit`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct RenameOuBody {
    /// 1-64 letters, digits, `_`, `-`, `.` and space; unique under the parent.
    #[schema(pattern = "^[A-Za-z0-9_. -]{1,64}$")]
    name: String,
}

async fn update_ou(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RenameOuBody>,
) -> ApiResult<Json<OuResponse>> {
    let org = managed_org(&st, &caller).await?;
    own_ou(&st, &org, &id).await?;
    let ou = st
        .write(|s| async move { s.rename_organizational_unit(&id, &b.name).await })
        .await?;
    Ok(OuResponse::new(&org, &ou))
}

async fn delete_ou(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let org = managed_org(&st, &caller).await?;
    own_ou(&st, &org, &id).await?;
    st.write(|s| async move { s.delete_organizational_unit(&id).await })
        .await?;
    Ok(no_content())
}

async fn list_entities(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ParentQuery>,
) -> ApiResult<Json<ListOrgEntitiesResponse>> {
    let org = managed_org(&st, &caller).await?;
    let parent = parent_of(&st, &org, q.parent_id).await?;
    let all = iam_store::PageRequest {
        marker: None,
        limit: Some(iam_store::MAX_PAGE_LIMIT),
    };
    let mut items = Vec::new();
    for ou in st
        .store()
        .list_organizational_units(&parent, &all)
        .await?
        .items
    {
        items.push(OrgEntityView::new(
            ou.id,
            ou.name,
            OrgEntityType::OrganizationalUnit,
        ));
    }
    for a in st
        .store()
        .list_org_accounts(&org.id, Some(&parent), &all)
        .await?
        .items
    {
        items.push(OrgEntityView::new(
            a.account_id,
            a.name,
            OrgEntityType::Account,
        ));
    }
    let pq = PageQuery {
        limit: q.limit,
        marker: q.marker,
    };
    let (entities, page_info) = pq.paginate(items, |v| v.id.clone())?;
    Ok(Json(ListOrgEntitiesResponse {
        entities,
        page_info,
    }))
}
