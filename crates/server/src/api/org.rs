//! Organizations v1 (`huaweicloudsdkorganizations.v1`): the organization, its root, OUs, member
//! accounts, service control policies and their attachments.
//!
//! One server hosts every account. The organization is the caller account's; everything except
//! `GET /v1/organizations` requires the caller to be in the organization's management account.
//! `POST /v1/organizations/accounts` creates a member account with its root user and a project.

use crate::endpoints::{Authz, Endpoint, Method, Reply, Sources};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::{
    OrgEntityType, OrgPolicyType, Organization, OrganizationalUnit, Root, ScpPolicy, StoreError,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::iam::{no_content, not_found};
use crate::auth::Caller;
use crate::documents::{DocumentKind, check_document};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageQuery, page_response, store_page};
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
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/roots",
        operation_id: "ListRoots",
        tag: "organizations",
        summary: "List roots",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_roots),
        query: None,
        request: None,
        response: Reply::UNTYPED,
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
        request: None,
        response: Reply::UNTYPED,
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
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies",
        operation_id: "CreatePolicy",
        tag: "organizations",
        summary: "Create an SCP",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_policy),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/policies",
        operation_id: "ListPolicies",
        tag: "organizations",
        summary: "List SCPs",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_policies),
        query: None,
        request: None,
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
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
        request: None,
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies/{policy_id}/attach",
        operation_id: "AttachPolicy",
        tag: "organizations",
        summary: "Attach an SCP to a root, OU or account",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attach_policy),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/policies/{policy_id}/detach",
        operation_id: "DetachPolicy",
        tag: "organizations",
        summary: "Detach an SCP",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, detach_policy),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/policies/{policy_id}/attached-entities",
        operation_id: "ListEntitiesForPolicy",
        tag: "organizations",
        summary: "Where an SCP is attached",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_policy_entities),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/organizational-units",
        operation_id: "CreateOrganizationalUnit",
        tag: "organizations",
        summary: "Create an OU",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_ou),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/organizational-units",
        operation_id: "ListOrganizationalUnits",
        tag: "organizations",
        summary: "List OUs under a parent",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_ous),
        query: None,
        request: None,
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
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
        request: None,
        response: Reply::UNTYPED,
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
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/accounts",
        operation_id: "CreateAccount",
        tag: "organizations",
        summary: "Create a member account (with its root user)",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_account),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/accounts",
        operation_id: "ListAccounts",
        tag: "organizations",
        summary: "List member accounts",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_accounts),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/accounts/{account_id}",
        operation_id: "ShowAccount",
        tag: "organizations",
        summary: "Get a member account",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, get_account),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/accounts/{account_id}/move",
        operation_id: "MoveAccount",
        tag: "organizations",
        summary: "Move an account to another parent",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, move_account),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/entities",
        operation_id: "ListEntities",
        tag: "organizations",
        summary: "Children of a root or OU",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_entities),
        query: None,
        request: None,
        response: Reply::UNTYPED,
    },
];

// ----------------------------------------------------------------------------------------------
// JSON shapes and URNs

fn org_json(o: &Organization) -> Value {
    json!({
        "id": o.id,
        "urn": o.urn,
        "management_account_id": o.management_account_id,
        "management_account_name": o.management_account_name,
        "created_at": o.created_at,
    })
}

fn root_json(org: &Organization, r: &Root) -> Value {
    let types: Vec<Value> = r
        .policy_types
        .iter()
        .map(|t| json!({"type": t.policy_type, "status": t.status}))
        .collect();
    json!({
        "id": r.id,
        "urn": format!("organizations::{}:root:{}/{}", org.management_account_id, org.id, r.id),
        "name": r.name,
        "policy_types": types,
        "created_at": r.created_at,
    })
}

/// The URN of an OU (`organizations::<management account>:ou:<org>/<ou>`): what the API shows
/// and what its calls are authorized on.
pub(crate) fn ou_urn(org: &Organization, ou_id: &str) -> String {
    format!(
        "organizations::{}:ou:{}/{ou_id}",
        org.management_account_id, org.id
    )
}

/// The URN of a member account of an organization.
pub(crate) fn account_urn(org: &Organization, account_id: &str) -> String {
    format!(
        "organizations::{}:account:{}/{account_id}",
        org.management_account_id, org.id
    )
}

/// The URN of an organization policy (built-in ones have no account and no organization).
pub(crate) fn scp_urn(org: &Organization, p: &ScpPolicy) -> String {
    if p.is_builtin {
        format!(
            "organizations:::policy:{}/{}",
            policy_type_str(p.policy_type),
            p.id
        )
    } else {
        format!(
            "organizations::{}:policy:{}/{}/{}",
            org.management_account_id,
            org.id,
            policy_type_str(p.policy_type),
            p.id
        )
    }
}

fn ou_json(org: &Organization, ou: &OrganizationalUnit) -> Value {
    json!({
        "id": ou.id,
        "urn": ou_urn(org, &ou.id),
        "name": ou.name,
        "created_at": ou.created_at,
    })
}

fn account_json(org: &Organization, a: &iam_store::OrgAccount) -> Value {
    json!({
        "id": a.account_id,
        "urn": account_urn(org, &a.account_id),
        "join_method": a.join_method,
        "status": "active",
        "joined_at": a.joined_at,
        "name": a.name,
        "description": "",
    })
}

fn scp_summary(org: &Organization, p: &ScpPolicy) -> Value {
    let urn = scp_urn(org, p);
    json!({
        "id": p.id,
        "urn": urn,
        "name": p.name,
        "type": p.policy_type,
        "description": p.description,
        "is_builtin": p.is_builtin,
    })
}

fn scp_json(org: &Organization, p: &ScpPolicy) -> Value {
    json!({ "content": p.content, "policy_summary": scp_summary(org, p) })
}

fn policy_type_str(t: OrgPolicyType) -> &'static str {
    match t {
        OrgPolicyType::ServiceControlPolicy => "service_control_policy",
        OrgPolicyType::TagPolicy => "tag_policy",
    }
}

fn parse_policy_type(s: &str) -> ApiResult<OrgPolicyType> {
    match s {
        "service_control_policy" => Ok(OrgPolicyType::ServiceControlPolicy),
        "tag_policy" => Ok(OrgPolicyType::TagPolicy),
        other => Err(ApiError::bad_request(format!(
            "invalid policy type `{other}` (expected `service_control_policy` or `tag_policy`)"
        ))),
    }
}

// ----------------------------------------------------------------------------------------------
// scoping

async fn caller_org(st: &AppState, caller: &Caller) -> ApiResult<Organization> {
    st.store()
        .organization_of_account(&caller.account_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "account `{}` is not in an organization",
                caller.account_id
            ))
        })
}

async fn managed_org(st: &AppState, caller: &Caller) -> ApiResult<Organization> {
    let org = caller_org(st, caller).await?;
    if org.management_account_id != caller.account_id {
        return Err(ApiError::forbidden(
            format!(
                "User: {} is not authorized to manage organization {}: only the management account can.",
                caller.urn, org.id
            ),
            None,
        ));
    }
    Ok(org)
}

/// What kind of node an id names in `org`, and its name; `NotFound` otherwise.
async fn entity(st: &AppState, org: &Organization, id: &str) -> ApiResult<(OrgEntityType, String)> {
    let store = st.store();
    let root = store.root_of_organization(&org.id).await?;
    if root.id == id {
        return Ok((OrgEntityType::Root, root.name));
    }
    match store.get_organizational_unit(id).await {
        Ok(ou) if ou.organization_id == org.id => {
            return Ok((OrgEntityType::OrganizationalUnit, ou.name));
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    match store.get_org_account(id).await? {
        Some(a) if a.organization_id == org.id => Ok((OrgEntityType::Account, a.name)),
        _ => Err(ApiError::not_found(format!(
            "entity `{id}` not found in organization `{}`",
            org.id
        ))),
    }
}

async fn parent_in_org(st: &AppState, org: &Organization, id: &str) -> ApiResult<()> {
    match entity(st, org, id).await?.0 {
        OrgEntityType::Account => Err(ApiError::bad_request(format!(
            "`{id}` is an account, not a root or OU"
        ))),
        _ => Ok(()),
    }
}

async fn own_scp(st: &AppState, org: &Organization, id: &str) -> ApiResult<ScpPolicy> {
    let p = st.store().get_scp(id).await?;
    match &p.organization_id {
        Some(o) if o != &org.id => Err(not_found("policy", id)),
        _ => Ok(p),
    }
}

// ----------------------------------------------------------------------------------------------
// organization and root

async fn create_organization(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let account = caller.account_id.clone();
    let (org, _root) = st
        .write(|s| async move { s.create_organization(&account).await })
        .await?;
    Ok(Json(json!({ "organization": org_json(&org) })))
}

async fn get_organization(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let org = caller_org(&st, &caller).await?;
    Ok(Json(json!({ "organization": org_json(&org) })))
}

async fn list_roots(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let root = st.store().root_of_organization(&org.id).await?;
    // an organization has one root; `limit` and `marker` are still validated
    let (page, info) = q.paginate(vec![root], |r| r.id.clone())?;
    Ok(Json(json!({
        "roots": page.iter().map(|r| root_json(&org, r)).collect::<Vec<_>>(),
        "page_info": info,
    })))
}

#[derive(Deserialize)]
struct PolicyTypeBody {
    policy_type: String,
    root_id: String,
}

async fn set_policy_type(
    st: AppState,
    caller: Caller,
    b: PolicyTypeBody,
    enable: bool,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({ "root": root_json(&org, &root) })))
}

async fn enable_policy_type(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<PolicyTypeBody>,
) -> ApiResult<Json<Value>> {
    set_policy_type(st, caller, b, true).await
}

async fn disable_policy_type(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<PolicyTypeBody>,
) -> ApiResult<Json<Value>> {
    set_policy_type(st, caller, b, false).await
}

// ----------------------------------------------------------------------------------------------
// policies

#[derive(Deserialize)]
struct CreateScpBody {
    name: String,
    #[serde(rename = "type")]
    policy_type: String,
    content: String,
    #[serde(default)]
    description: String,
    /// Tags are not stored here; see [`no_tags`].
    #[serde(default)]
    tags: Vec<Value>,
}

/// Refuses request tags: Organizations entities carry no tags in this implementation, so a
/// create call with tags would drop them, and `g:RequestTag/<key>`/`g:TagKeys` conditions (which
/// the catalog declares for these actions) would be decided without them (docs/server.md,
/// "Request keys").
fn no_tags(tags: &[Value]) -> ApiResult<()> {
    if tags.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid request body at `tags`: tags are not supported on Organizations entities; create the entity without `tags`",
        ))
    }
}

async fn create_policy(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateScpBody>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({ "policy": scp_json(&org, &p) })))
}

#[derive(Deserialize)]
struct ListScpQuery {
    limit: Option<u32>,
    marker: Option<String>,
    attached_entity_id: Option<String>,
}

async fn list_policies(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListScpQuery>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let page = store_page(q.limit, q.marker)?;
    if let Some(e) = &q.attached_entity_id {
        entity(&st, &org, e).await?;
    }
    let p = st
        .store()
        .list_scps(&org.id, q.attached_entity_id.as_deref(), &page)
        .await?;
    Ok(page_response("policies", p, |x| scp_summary(&org, x)))
}

async fn get_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let p = own_scp(&st, &org, &policy_id).await?;
    Ok(Json(json!({ "policy": scp_json(&org, &p) })))
}

#[derive(Deserialize)]
struct UpdateScpBody {
    name: Option<String>,
    description: Option<String>,
    content: Option<String>,
}

async fn update_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<UpdateScpBody>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({ "policy": scp_json(&org, &p) })))
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

#[derive(Deserialize)]
struct EntityBody {
    entity_id: String,
}

async fn attach_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<EntityBody>,
) -> ApiResult<Response> {
    let org = managed_org(&st, &caller).await?;
    own_scp(&st, &org, &policy_id).await?;
    entity(&st, &org, &b.entity_id).await?;
    st.write(|s| async move { s.attach_scp(&policy_id, &b.entity_id).await })
        .await?;
    Ok(no_content())
}

async fn detach_policy(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<EntityBody>,
) -> ApiResult<Response> {
    let org = managed_org(&st, &caller).await?;
    own_scp(&st, &org, &policy_id).await?;
    entity(&st, &org, &b.entity_id).await?;
    st.write(|s| async move { s.detach_scp(&policy_id, &b.entity_id).await })
        .await?;
    Ok(no_content())
}

async fn list_policy_entities(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    own_scp(&st, &org, &policy_id).await?;
    let targets = st.store().list_scp_targets(&policy_id).await?;
    let mut items = Vec::new();
    for t in targets.iter().filter(|t| t.organization_id == org.id) {
        let name = entity(&st, &org, &t.target_id)
            .await
            .map(|e| e.1)
            .unwrap_or_default();
        items.push(json!({ "id": t.target_id, "name": name, "type": t.target_type }));
    }
    let (page, info) = q.paginate(items, |v| v["id"].as_str().unwrap_or_default().to_owned())?;
    Ok(Json(
        json!({ "attached_entities": page, "page_info": info }),
    ))
}

// ----------------------------------------------------------------------------------------------
// OUs

#[derive(Deserialize)]
struct CreateOuBody {
    name: String,
    parent_id: String,
    /// Tags are not stored here; see [`no_tags`].
    #[serde(default)]
    tags: Vec<Value>,
}

async fn create_ou(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateOuBody>,
) -> ApiResult<Json<Value>> {
    no_tags(&b.tags)?;
    let org = managed_org(&st, &caller).await?;
    parent_in_org(&st, &org, &b.parent_id).await?;
    let ou = st
        .write(|s| async move { s.create_organizational_unit(&b.parent_id, &b.name).await })
        .await?;
    Ok(Json(json!({ "organizational_unit": ou_json(&org, &ou) })))
}

#[derive(Deserialize)]
struct ParentQuery {
    limit: Option<u32>,
    marker: Option<String>,
    parent_id: Option<String>,
}

async fn list_ous(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ParentQuery>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let page = store_page(q.limit, q.marker)?;
    let parent = match q.parent_id {
        Some(p) => {
            parent_in_org(&st, &org, &p).await?;
            p
        }
        None => st.store().root_of_organization(&org.id).await?.id,
    };
    let p = st.store().list_organizational_units(&parent, &page).await?;
    Ok(page_response("organizational_units", p, |o| {
        ou_json(&org, o)
    }))
}

async fn own_ou(st: &AppState, org: &Organization, id: &str) -> ApiResult<OrganizationalUnit> {
    let ou = st.store().get_organizational_unit(id).await?;
    if ou.organization_id != org.id {
        return Err(not_found("organizational unit", id));
    }
    Ok(ou)
}

async fn get_ou(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let ou = own_ou(&st, &org, &id).await?;
    Ok(Json(json!({ "organizational_unit": ou_json(&org, &ou) })))
}

#[derive(Deserialize)]
struct RenameBody {
    name: String,
}

async fn update_ou(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RenameBody>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    own_ou(&st, &org, &id).await?;
    let ou = st
        .write(|s| async move { s.rename_organizational_unit(&id, &b.name).await })
        .await?;
    Ok(Json(json!({ "organizational_unit": ou_json(&org, &ou) })))
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

// ----------------------------------------------------------------------------------------------
// accounts

#[derive(Deserialize)]
struct CreateAccountBody {
    name: String,
    #[serde(default)]
    description: String,
}

async fn create_account(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateAccountBody>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let _ = b.description;
    let region = st.region().to_owned();
    let org_id = org.id.clone();
    let name = b.name.clone();
    let member = st
        .write(|s| async move {
            // One transaction: the account (refused when the name is taken), its root user,
            // its project and its membership are all created, or none is.
            let mut tx = s.begin().await?;
            let (account, _root) = tx.create_account(&name).await?;
            tx.create_project(&account.id, &region, None).await?;
            let member = tx
                .add_created_account_to_organization(&org_id, &account.id, None)
                .await?;
            tx.commit().await?;
            Ok(member)
        })
        .await?;
    Ok(Json(json!({
        "create_account_status": {
            "id": format!("cas-{}", member.account_id),
            "account_id": member.account_id,
            "account_name": member.name,
            "state": "succeeded",
            "created_at": member.joined_at,
            "completed_at": member.joined_at,
        }
    })))
}

async fn list_accounts(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ParentQuery>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let page = store_page(q.limit, q.marker)?;
    if let Some(p) = &q.parent_id {
        parent_in_org(&st, &org, p).await?;
    }
    let p = st
        .store()
        .list_org_accounts(&org.id, q.parent_id.as_deref(), &page)
        .await?;
    Ok(page_response("accounts", p, |a| account_json(&org, a)))
}

async fn get_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(account_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    match st.store().get_org_account(&account_id).await? {
        Some(a) if a.organization_id == org.id => {
            Ok(Json(json!({ "account": account_json(&org, &a) })))
        }
        _ => Err(not_found("account", &account_id)),
    }
}

#[derive(Deserialize)]
struct MoveBody {
    source_parent_id: String,
    destination_parent_id: String,
}

async fn move_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(account_id): Path<String>,
    JsonBody(b): JsonBody<MoveBody>,
) -> ApiResult<Response> {
    let org = managed_org(&st, &caller).await?;
    let member = match st.store().get_org_account(&account_id).await? {
        Some(a) if a.organization_id == org.id => a,
        _ => {
            return Err(not_found("account", &account_id));
        }
    };
    if member.parent_id != b.source_parent_id {
        return Err(ApiError::bad_request(format!(
            "`source_parent_id` `{}` is not the current parent of account `{account_id}`",
            b.source_parent_id
        )));
    }
    parent_in_org(&st, &org, &b.destination_parent_id).await?;
    st.write(|s| async move { s.move_account(&account_id, &b.destination_parent_id).await })
        .await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct EntitiesQuery {
    limit: Option<u32>,
    marker: Option<String>,
    parent_id: Option<String>,
}

async fn list_entities(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<EntitiesQuery>,
) -> ApiResult<Json<Value>> {
    let org = managed_org(&st, &caller).await?;
    let parent = match q.parent_id {
        Some(p) => {
            parent_in_org(&st, &org, &p).await?;
            p
        }
        None => st.store().root_of_organization(&org.id).await?.id,
    };
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
        items.push(json!({"id": ou.id, "name": ou.name, "type": "organizational_unit"}));
    }
    for a in st
        .store()
        .list_org_accounts(&org.id, Some(&parent), &all)
        .await?
        .items
    {
        items.push(json!({"id": a.account_id, "name": a.name, "type": "account"}));
    }
    let pq = PageQuery {
        limit: q.limit,
        marker: q.marker,
    };
    let (page, info) = pq.paginate(items, |v| v["id"].as_str().unwrap_or_default().to_owned())?;
    Ok(Json(json!({ "entities": page, "page_info": info })))
}
