//! Agencies and their trust policies (`/v5/agencies...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use serde::Deserialize;
use serde_json::{Value, json};

use super::*;
use crate::auth::Caller;
use crate::documents::{DocumentKind, check_document};
use crate::endpoints::{Authz, Endpoint, Method, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::{page_response, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v5/agencies",
        operation_id: "CreateAgencyV5",
        tag: "iam",
        summary: "Create a trust agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/agencies",
        operation_id: "ListAgenciesV5",
        tag: "iam",
        summary: "List agencies",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_agencies),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/agencies/{agency_id}",
        operation_id: "GetAgencyV5",
        tag: "iam",
        summary: "Get an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/agencies/{agency_id}",
        operation_id: "UpdateAgencyV5",
        tag: "iam",
        summary: "Update an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Delete,
        path: "/v5/agencies/{agency_id}",
        operation_id: "DeleteAgencyV5",
        tag: "iam",
        summary: "Delete an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, delete_agency),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Put,
        path: "/v5/agencies/{agency_id}/trust-policy",
        operation_id: "UpdateTrustPolicyV5",
        tag: "iam",
        summary: "Replace an agency's trust policy",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, update_trust_policy),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
];

#[derive(Deserialize)]
struct CreateAgencyBody {
    agency_name: String,
    trust_policy: String,
    #[serde(default)]
    path: String,
    max_session_duration: Option<i64>,
    #[serde(default)]
    description: String,
}

async fn create_agency(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateAgencyBody>,
) -> ApiResult<Json<Value>> {
    check_document(&b.trust_policy, DocumentKind::Trust)?;
    let account = caller.account_id.clone();
    let new = iam_store::NewAgency {
        name: b.agency_name,
        path: b.path,
        trust_policy: b.trust_policy,
        max_session_duration: b.max_session_duration,
        description: b.description,
    };
    let a = st
        .write(|s| async move { s.create_agency(&account, &new).await })
        .await?;
    Ok(Json(json!({ "agency": agency_json(&a) })))
}

#[derive(Deserialize)]
struct ListAgenciesQuery {
    limit: Option<u32>,
    marker: Option<String>,
    path_prefix: Option<String>,
}

async fn list_agencies(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListAgenciesQuery>,
) -> ApiResult<Json<Value>> {
    let page = store_page(q.limit, q.marker)?;
    let p = st
        .store()
        .list_agencies(&caller.account_id, q.path_prefix.as_deref(), &page)
        .await?;
    Ok(page_response("agencies", p, agency_json))
}

async fn get_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let a = own_agency(st.store(), &caller, &agency_id).await?;
    let mut v = agency_json(&a);
    v["tags"] = json!([]);
    Ok(Json(json!({ "agency": v })))
}

#[derive(Deserialize)]
struct UpdateAgencyBody {
    max_session_duration: Option<i64>,
    description: Option<String>,
}

async fn update_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
    JsonBody(b): JsonBody<UpdateAgencyBody>,
) -> ApiResult<Json<Value>> {
    own_agency(st.store(), &caller, &agency_id).await?;
    let upd = iam_store::AgencyUpdate {
        max_session_duration: b.max_session_duration,
        description: b.description,
    };
    let a = st
        .write(|s| async move { s.update_agency(&agency_id, &upd).await })
        .await?;
    Ok(Json(json!({ "agency": agency_json(&a) })))
}

async fn delete_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
) -> ApiResult<Response> {
    own_agency(st.store(), &caller, &agency_id).await?;
    st.write(|s| async move { s.delete_agency(&agency_id).await })
        .await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct TrustPolicyBody {
    trust_policy: String,
}

async fn update_trust_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
    JsonBody(b): JsonBody<TrustPolicyBody>,
) -> ApiResult<Response> {
    own_agency(st.store(), &caller, &agency_id).await?;
    check_document(&b.trust_policy, DocumentKind::Trust)?;
    st.write(|s| async move { s.update_trust_policy(&agency_id, &b.trust_policy).await })
        .await?;
    Ok(no_content())
}
