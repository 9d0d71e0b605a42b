//! Member accounts: `CreateAccount` (a new account with its root user and a project),
//! `ListAccounts`, `ShowAccount`, `MoveAccount`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::{OrgAccount, Organization};
use serde::{Deserialize, Serialize};

use super::{ParentQuery, account_urn, managed_org, parent_in_org};
use crate::api::iam::{no_content, not_found};
use crate::auth::Caller;
use crate::endpoints::{Authz, Body, Endpoint, Method, Params, Reply, Sources};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, store_items, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
        path: "/v1/organizations/accounts",
        operation_id: "CreateAccount",
        tag: "organizations",
        summary: "Create a member account (with its root user)",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, create_account),
        query: None,
        request: Some(Body::of::<CreateOrgAccountBody>()),
        response: Reply::ok::<CreateOrgAccountResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v1/organizations/accounts",
        operation_id: "ListAccounts",
        tag: "organizations",
        summary: "List member accounts",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_accounts),
        query: Some(Params::of::<ParentQuery>()),
        request: None,
        response: Reply::ok::<ListOrgAccountsResponse>(),
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
        response: Reply::ok::<OrgAccountResponse>(),
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
        request: Some(Body::of::<MoveAccountBody>()),
        response: Reply::NO_CONTENT,
    },
];

/// A member account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OrgAccountView {
    /// Account id.
    id: String,
    /// `organizations::<management account>:account:<org>/<account>`.
    urn: String,
    /// `created` or `invited`.
    #[schema(pattern = "^(created|invited)$")]
    join_method: String,
    /// Always `active`.
    #[schema(pattern = "^active$")]
    status: &'static str,
    /// Join time.
    joined_at: String,
    /// Account name.
    name: String,
    /// Always empty: accounts carry no description here.
    description: &'static str,
}

impl OrgAccountView {
    fn new(org: &Organization, a: &OrgAccount) -> Self {
        OrgAccountView {
            id: a.account_id.clone(),
            urn: account_urn(org, &a.account_id),
            join_method: a.join_method.clone(),
            status: "active",
            joined_at: a.joined_at.clone(),
            name: a.name.clone(),
            description: "",
        }
    }
}

/// `{"account": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OrgAccountResponse {
    account: OrgAccountView,
}

/// `ListAccounts`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ListOrgAccountsResponse {
    accounts: Vec<OrgAccountView>,
    page_info: PageInfo,
}

/// The outcome of `CreateAccount`: the account is created before the call answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CreateAccountStatus {
    /// `cas-` and the account id.
    id: String,
    /// The new account.
    account_id: String,
    /// Its name.
    account_name: String,
    /// Always `succeeded`.
    #[schema(pattern = "^succeeded$")]
    state: &'static str,
    /// Creation time.
    created_at: String,
    /// Completion time (the creation time).
    completed_at: String,
}

/// `{"create_account_status": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CreateOrgAccountResponse {
    create_account_status: CreateAccountStatus,
}

/// `CreateAccount`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateOrgAccountBody {
    /// 1-64 letters, digits, `_`, `-` and `.`; unique on this server.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    name: String,
    /// Accepted and not stored.
    #[serde(default)]
    description: String,
}

async fn create_account(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<CreateOrgAccountBody>,
) -> ApiResult<Json<CreateOrgAccountResponse>> {
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
    Ok(Json(CreateOrgAccountResponse {
        create_account_status: CreateAccountStatus {
            id: format!("cas-{}", member.account_id),
            account_id: member.account_id,
            account_name: member.name,
            state: "succeeded",
            created_at: member.joined_at.clone(),
            completed_at: member.joined_at,
        },
    }))
}

async fn list_accounts(
    State(st): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ParentQuery>,
) -> ApiResult<Json<ListOrgAccountsResponse>> {
    let org = managed_org(&st, &caller).await?;
    let page = store_page(q.limit, q.marker)?;
    if let Some(p) = &q.parent_id {
        parent_in_org(&st, &org, p).await?;
    }
    let p = st
        .store()
        .list_org_accounts(&org.id, q.parent_id.as_deref(), &page)
        .await?;
    let (accounts, page_info) = store_items(p, |a| OrgAccountView::new(&org, a));
    Ok(Json(ListOrgAccountsResponse {
        accounts,
        page_info,
    }))
}

async fn get_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(account_id): Path<String>,
) -> ApiResult<Json<OrgAccountResponse>> {
    let org = managed_org(&st, &caller).await?;
    match st.store().get_org_account(&account_id).await? {
        Some(a) if a.organization_id == org.id => Ok(Json(OrgAccountResponse {
            account: OrgAccountView::new(&org, &a),
        })),
        _ => Err(not_found("account", &account_id)),
    }
}

/// `MoveAccount`'s request body.
#[derive(Deserialize, utoipa::ToSchema)]
struct MoveAccountBody {
    /// The account's current parent (root or OU).
    source_parent_id: String,
    /// The root or OU to move it under.
    destination_parent_id: String,
}

async fn move_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(account_id): Path<String>,
    JsonBody(b): JsonBody<MoveAccountBody>,
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
