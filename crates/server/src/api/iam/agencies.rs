//! Agencies and their trust policies (`/v5/agencies...`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use serde::{Deserialize, Serialize};

use super::*;
use crate::auth::Caller;
use crate::documents::{DocumentKind, check_document};
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::ApiResult;
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery, store_items};
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
        request: Some(Body::of::<CreateAgencyBody>()),
        response: Reply::ok::<AgencyResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/agencies",
        operation_id: "ListAgenciesV5",
        tag: "iam",
        summary: "List agencies",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_agencies),
        query: Some(Params(paged_with::<ListAgenciesFilter>)),
        request: None,
        response: Reply::ok::<ListAgenciesResponse>(),
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
        response: Reply::ok::<ShowAgencyResponse>(),
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
        request: Some(Body::of::<UpdateAgencyBody>()),
        response: Reply::ok::<AgencyResponse>(),
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
        response: Reply::NO_CONTENT,
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
        request: Some(Body::of::<TrustPolicyBody>()),
        response: Reply::NO_CONTENT,
    },
];

/// `CreateAgencyV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateAgencyBody {
    /// 1-64 letters, digits and `_+=,.@-`; no `..`, not `.` alone.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^\.?[A-Za-z0-9_+=,@-]+(?:\.[A-Za-z0-9_+=,@-]+)*\.?$"
    )]
    agency_name: String,
    /// The trust policy document, as JSON text (at most 6144 bytes); an invalid document
    /// answers 400 with the findings.
    #[schema(min_length = 1, max_length = 6144)]
    trust_policy: String,
    /// `""` (default) or `segment/` repeated, segments of letters, digits and `_+=,.@-`; at most
    /// 512 characters.
    #[serde(default)]
    #[schema(max_length = 512, pattern = r"^(?:[A-Za-z0-9_+=,.@-]+/)*$")]
    path: String,
    /// Longest session of an assumed agency, in seconds (default 3600).
    #[schema(minimum = 3600, maximum = 43200)]
    max_session_duration: Option<i64>,
    /// At most 1000 characters (default empty).
    #[serde(default)]
    #[schema(max_length = 1000)]
    description: String,
}

/// `{"agency": {...}}`: the agency created, updated.
#[derive(Serialize, utoipa::ToSchema)]
struct AgencyResponse {
    agency: AgencyView,
}

/// An agency with its tags.
#[derive(Serialize, utoipa::ToSchema)]
struct AgencyWithTags {
    #[serde(flatten)]
    agency: AgencyView,
    /// Always empty: tags are not stored.
    tags: Vec<IamTag>,
}

/// `GetAgencyV5`'s answer: the agency and its tags.
#[derive(Serialize, utoipa::ToSchema)]
struct ShowAgencyResponse {
    agency: AgencyWithTags,
}

/// `ListAgenciesV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct ListAgenciesResponse {
    agencies: Vec<AgencyView>,
    page_info: PageInfo,
}

async fn create_agency(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateAgencyBody>,
) -> ApiResult<Json<AgencyResponse>> {
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
    Ok(Json(AgencyResponse {
        agency: (&a).into(),
    }))
}

/// `ListAgenciesV5`'s filters, besides `limit` and `marker`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListAgenciesFilter {
    /// Only the agencies whose path starts with this.
    path_prefix: Option<String>,
}

async fn list_agencies(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(page): QueryParams<PageQuery>,
    QueryParams(q): QueryParams<ListAgenciesFilter>,
) -> ApiResult<Json<ListAgenciesResponse>> {
    let page = page.to_store()?;
    let p = st
        .store()
        .list_agencies(&caller.account_id, q.path_prefix.as_deref(), &page)
        .await?;
    let (agencies, page_info) = store_items(p, |x| x.into());
    Ok(Json(ListAgenciesResponse {
        agencies,
        page_info,
    }))
}

async fn get_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
) -> ApiResult<Json<ShowAgencyResponse>> {
    let a = own_agency(st.store(), &caller, &agency_id).await?;
    Ok(Json(ShowAgencyResponse {
        agency: AgencyWithTags {
            agency: (&a).into(),
            tags: Vec::new(),
        },
    }))
}

/// `UpdateAgencyV5`'s request body: the members given are changed.
#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateAgencyBody {
    /// Longest session of an assumed agency, in seconds.
    #[schema(minimum = 3600, maximum = 43200)]
    max_session_duration: Option<i64>,
    /// The new description, at most 1000 characters.
    #[schema(max_length = 1000)]
    description: Option<String>,
}

async fn update_agency(
    State(st): State<AppState>,
    caller: Caller,
    Path(agency_id): Path<String>,
    JsonBody(b): JsonBody<UpdateAgencyBody>,
) -> ApiResult<Json<AgencyResponse>> {
    own_agency(st.store(), &caller, &agency_id).await?;
    let upd = iam_store::AgencyUpdate {
        max_session_duration: b.max_session_duration,
        description: b.description,
    };
    let a = st
        .write(|s| async move { s.update_agency(&agency_id, &upd).await })
        .await?;
    Ok(Json(AgencyResponse {
        agency: (&a).into(),
    }))
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

/// `UpdateTrustPolicyV5`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct TrustPolicyBody {
    /// The new trust policy document, as JSON text (at most 6144 bytes); an invalid document
    /// answers 400 with the findings.
    #[schema(min_length = 1, max_length = 6144)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `GetAgencyV5` answers the agency's members and `tags` side by side.
    #[test]
    fn answers_keep_the_wire_shape() {
        let a = samples::agency();
        samples::assert_beside(
            ShowAgencyResponse {
                agency: AgencyWithTags {
                    agency: (&a).into(),
                    tags: Vec::new(),
                },
            },
            "agency",
            AgencyView::from(&a),
            "tags",
            serde_json::json!([]),
        );
    }
}
