//! Organizations v1 (`huaweicloudsdkorganizations.v1`): the organization, its root, OUs, member
//! accounts, service control policies and their attachments, one module per entity, each with
//! its endpoint rows.
//!
//! One server hosts every account. The organization is the caller account's; everything except
//! `GET /v1/organizations` requires the caller to be in the organization's management account.
//! `POST /v1/organizations/accounts` creates a member account with its root user and a project.
//!
//! This module holds what the entities share: URNs, the type names on the wire, the scoping of
//! a call to the caller's organization, and the `{id, name, type}` shape of tree listings.

pub(crate) mod accounts;
pub(crate) mod organizations;
pub(crate) mod policies;
pub(crate) mod units;

use iam_store::{
    OrgEntityType, OrgPolicyType, Organization, OrganizationalUnit, PolicyTypeStatus, ScpPolicy,
    StoreError,
};
use serde::{Deserialize, Serialize};

use crate::api::iam::not_found;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

// ----------------------------------------------------------------------------------------------
// URNs

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

// ----------------------------------------------------------------------------------------------
// names on the wire

fn policy_type_str(t: OrgPolicyType) -> &'static str {
    match t {
        OrgPolicyType::ServiceControlPolicy => "service_control_policy",
        OrgPolicyType::TagPolicy => "tag_policy",
    }
}

fn policy_type_status_str(s: PolicyTypeStatus) -> &'static str {
    match s {
        PolicyTypeStatus::Enabled => "enabled",
        PolicyTypeStatus::Disabled => "disabled",
    }
}

fn entity_type_str(t: OrgEntityType) -> &'static str {
    match t {
        OrgEntityType::Root => "root",
        OrgEntityType::OrganizationalUnit => "organizational_unit",
        OrgEntityType::Account => "account",
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
// shared shapes

/// A node of the organization tree, as `ListEntities` and `ListEntitiesForPolicy` list it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct OrgEntityView {
    /// Root, OU or account id.
    id: String,
    /// Its name.
    name: String,
    /// `root`, `organizational_unit` or `account`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(root|organizational_unit|account)$")]
    entity_type: String,
}

impl OrgEntityView {
    fn new(id: String, name: String, t: OrgEntityType) -> Self {
        OrgEntityView {
            id,
            name,
            entity_type: entity_type_str(t).to_owned(),
        }
    }
}

/// Refuses request tags: Organizations entities carry no tags in this implementation, so a
/// create call with tags would drop them, and `g:RequestTag/<key>`/`g:TagKeys` conditions (which
/// the catalog declares for these actions) would be decided without them (docs/server.md,
/// "Request keys").
fn no_tags(tags: &[serde_json::Value]) -> ApiResult<()> {
    if tags.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid request body at `tags`: tags are not supported on Organizations entities; create the entity without `tags`",
        ))
    }
}

/// `limit`, `marker` and `parent_id` query parameters of the tree listings.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ParentQuery {
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_marker`.
    #[param(pattern = "^[A-Za-z0-9+/=_-]{4,400}$")]
    marker: Option<String>,
    /// The root or OU whose children are listed (default: the root).
    parent_id: Option<String>,
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

async fn own_ou(st: &AppState, org: &Organization, id: &str) -> ApiResult<OrganizationalUnit> {
    let ou = st.store().get_organizational_unit(id).await?;
    if ou.organization_id != org.id {
        return Err(not_found("organizational unit", id));
    }
    Ok(ou)
}
