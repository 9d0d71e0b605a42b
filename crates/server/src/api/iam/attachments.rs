//! Attaching identity policies to users, groups and agencies, and listing attachments.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::on;
use iam_store::{PrincipalType, Store};
use serde::{Deserialize, Serialize};

use super::*;
use crate::auth::Caller;
use crate::endpoints::{
    Authz, Body, Endpoint, EntityKind, Key, Method, Params, Reply, Sources, Target,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::page::{PageInfo, PageQuery, store_items, store_page};
use crate::state::AppState;

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Post,
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
        route: |m| on(m, attach::<UserIdBody, true>),
        query: None,
        request: Some(Body::of::<UserIdBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
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
        route: |m| on(m, attach::<UserIdBody, false>),
        query: None,
        request: Some(Body::of::<UserIdBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
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
        route: |m| on(m, attach::<GroupIdBody, true>),
        query: None,
        request: Some(Body::of::<GroupIdBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
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
        route: |m| on(m, attach::<GroupIdBody, false>),
        query: None,
        request: Some(Body::of::<GroupIdBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
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
        route: |m| on(m, attach::<AgencyIdBody, true>),
        query: None,
        request: Some(Body::of::<AgencyIdBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Post,
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
        route: |m| on(m, attach::<AgencyIdBody, false>),
        query: None,
        request: Some(Body::of::<AgencyIdBody>()),
        response: Reply::NO_CONTENT,
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/policies/{policy_id}/attached-entities",
        operation_id: "ListEntitiesForPolicyV5",
        tag: "iam",
        summary: "Principals a policy is attached to",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, list_entities),
        query: Some(Params::of::<EntitiesQuery>()),
        request: None,
        response: Reply::ok::<ListEntitiesForPolicyResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/users/{user_id}/attached-policies",
        operation_id: "ListAttachedUserPoliciesV5",
        tag: "iam",
        summary: "Policies attached to a user",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attached_policies::<UserIdBody>),
        query: Some(Params::of::<PageQuery>()),
        request: None,
        response: Reply::ok::<ListAttachedPoliciesResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/groups/{group_id}/attached-policies",
        operation_id: "ListAttachedGroupPoliciesV5",
        tag: "iam",
        summary: "Policies attached to a group",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attached_policies::<GroupIdBody>),
        query: Some(Params::of::<PageQuery>()),
        request: None,
        response: Reply::ok::<ListAttachedPoliciesResponse>(),
    },
    Endpoint {
        method: Method::Get,
        path: "/v5/agencies/{agency_id}/attached-policies",
        operation_id: "ListAttachedAgencyPoliciesV5",
        tag: "iam",
        summary: "Policies attached to an agency",
        authz: Authz::Catalog(Sources::PATH),
        route: |m| on(m, attached_policies::<AgencyIdBody>),
        query: Some(Params::of::<PageQuery>()),
        request: None,
        response: Reply::ok::<ListAttachedPoliciesResponse>(),
    },
];

/// The body of an attach/detach call, naming one principal of `KIND`; the type also names the
/// kind in the `attached-policies` routes.
trait PrincipalBody: serde::de::DeserializeOwned + Send {
    const KIND: PrincipalType;
    fn into_id(self) -> String;
}

/// Names a user (`AttachUserPolicyV5`, `DetachUserPolicyV5`, and the group membership calls).
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct UserIdBody {
    /// The user's id.
    #[schema(min_length = 1)]
    pub(crate) user_id: String,
}
impl PrincipalBody for UserIdBody {
    const KIND: PrincipalType = PrincipalType::User;
    fn into_id(self) -> String {
        self.user_id
    }
}
/// Names a group (`AttachGroupPolicyV5`, `DetachGroupPolicyV5`).
#[derive(Deserialize, utoipa::ToSchema)]
struct GroupIdBody {
    /// The group's id.
    #[schema(min_length = 1)]
    group_id: String,
}
impl PrincipalBody for GroupIdBody {
    const KIND: PrincipalType = PrincipalType::Group;
    fn into_id(self) -> String {
        self.group_id
    }
}
/// Names an agency (`AttachAgencyPolicyV5`, `DetachAgencyPolicyV5`).
#[derive(Deserialize, utoipa::ToSchema)]
struct AgencyIdBody {
    /// The agency's id.
    #[schema(min_length = 1)]
    agency_id: String,
}
impl PrincipalBody for AgencyIdBody {
    const KIND: PrincipalType = PrincipalType::Agency;
    fn into_id(self) -> String {
        self.agency_id
    }
}

/// Checks that the principal `id` of `kind` belongs to the caller's account.
async fn own_principal(
    store: &Store,
    caller: &Caller,
    kind: PrincipalType,
    id: &str,
) -> ApiResult<()> {
    match kind {
        PrincipalType::User => drop(own_user(store, caller, id).await?),
        PrincipalType::Group => drop(own_group(store, caller, id).await?),
        PrincipalType::Agency => drop(own_agency(store, caller, id).await?),
    }
    Ok(())
}

/// `attach-<kind>` (`ATTACH`) and `detach-<kind>`.
async fn attach<B: PrincipalBody, const ATTACH: bool>(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    JsonBody(b): JsonBody<B>,
) -> ApiResult<Response> {
    let (kind, principal_id) = (B::KIND, b.into_id());
    own_policy(st.store(), &caller, &policy_id).await?;
    own_principal(st.store(), &caller, kind, &principal_id).await?;
    st.write(|s| async move {
        if ATTACH {
            s.attach_policy(&policy_id, kind, &principal_id).await
        } else {
            s.detach_policy(&policy_id, kind, &principal_id).await
        }
    })
    .await?;
    Ok(no_content())
}

/// `ListEntitiesForPolicyV5`'s query parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EntitiesQuery {
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next_marker`.
    #[param(pattern = "^[A-Za-z0-9+/=_-]{4,400}$")]
    marker: Option<String>,
    /// Only principals of one kind: `user`, `group` or `agency`.
    #[param(pattern = "^(user|group|agency)$")]
    entity_type: Option<String>,
}

/// `ListEntitiesForPolicyV5`'s answer: the principals of the caller's account the policy is
/// attached to, by kind.
#[derive(Serialize, utoipa::ToSchema)]
struct ListEntitiesForPolicyResponse {
    /// Users in this page.
    policy_users: Vec<PolicyUser>,
    /// Groups in this page.
    policy_groups: Vec<PolicyGroup>,
    /// Agencies in this page.
    policy_agencies: Vec<PolicyAgency>,
    /// Paging; `current_count` counts the three lists together.
    page_info: PageInfo,
}

/// A user a policy is attached to.
#[derive(Serialize, utoipa::ToSchema)]
struct PolicyUser {
    /// The user's id.
    user_id: String,
    /// Attachment time.
    attached_at: String,
}

/// A group a policy is attached to.
#[derive(Serialize, utoipa::ToSchema)]
struct PolicyGroup {
    /// The group's id.
    group_id: String,
    /// Attachment time.
    attached_at: String,
}

/// An agency a policy is attached to.
#[derive(Serialize, utoipa::ToSchema)]
struct PolicyAgency {
    /// The agency's id.
    agency_id: String,
    /// Attachment time.
    attached_at: String,
}

async fn list_entities(
    State(st): State<AppState>,
    caller: Caller,
    Path(policy_id): Path<String>,
    QueryParams(q): QueryParams<EntitiesQuery>,
) -> ApiResult<Json<ListEntitiesForPolicyResponse>> {
    own_policy(st.store(), &caller, &policy_id).await?;
    let kind = match q.entity_type.as_deref() {
        None => None,
        Some("user") => Some(PrincipalType::User),
        Some("group") => Some(PrincipalType::Group),
        Some("agency") => Some(PrincipalType::Agency),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid query parameter `entity_type`: `{other}` is not `user`, `group` or `agency`"
            )));
        }
    };
    let page = store_page(q.limit, q.marker)?;
    let p = st
        .store()
        .list_policy_attachments(&policy_id, kind, Some(&caller.account_id), &page)
        .await?;
    let snapshot = st.snapshot();
    let (mut users, mut groups, mut agencies) = (Vec::new(), Vec::new(), Vec::new());
    for a in &p.items {
        // attachments of other accounts (system policies) are not shown
        if !snapshot.principal_in_account(a.principal_type, &a.principal_id, &caller.account_id) {
            continue;
        }
        let attached_at = a.attached_at.clone();
        match a.principal_type {
            PrincipalType::User => users.push(PolicyUser {
                user_id: a.principal_id.clone(),
                attached_at,
            }),
            PrincipalType::Group => groups.push(PolicyGroup {
                group_id: a.principal_id.clone(),
                attached_at,
            }),
            PrincipalType::Agency => agencies.push(PolicyAgency {
                agency_id: a.principal_id.clone(),
                attached_at,
            }),
        }
    }
    let page_info = PageInfo {
        current_count: users.len() + groups.len() + agencies.len(),
        next_marker: p.next_marker,
    };
    Ok(Json(ListEntitiesForPolicyResponse {
        policy_users: users,
        policy_groups: groups,
        policy_agencies: agencies,
        page_info,
    }))
}

/// `ListAttached{User,Group,Agency}PoliciesV5`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
struct ListAttachedPoliciesResponse {
    /// This page of policies, in attachment order.
    attached_policies: Vec<AttachedPolicyView>,
    /// Paging.
    page_info: PageInfo,
}

/// A policy attached to a principal.
#[derive(Serialize, utoipa::ToSchema)]
struct AttachedPolicyView {
    /// The policy's name.
    policy_name: String,
    /// The policy's id.
    policy_id: String,
    /// The policy's URN.
    urn: String,
    /// Attachment time.
    attached_at: String,
}

impl AttachedPolicyView {
    fn of(a: &iam_store::AttachedPolicy) -> Self {
        AttachedPolicyView {
            policy_name: a.policy_name.clone(),
            policy_id: a.policy_id.clone(),
            urn: a.urn.clone(),
            attached_at: a.attached_at.clone(),
        }
    }
}

/// `/v5/{users,groups,agencies}/{id}/attached-policies`.
async fn attached_policies<B: PrincipalBody>(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<ListAttachedPoliciesResponse>> {
    own_principal(st.store(), &caller, B::KIND, &id).await?;
    let p = st
        .store()
        .list_attached_policies(B::KIND, &id, &q.to_store()?)
        .await?;
    let (attached_policies, page_info) = store_items(p, AttachedPolicyView::of);
    Ok(Json(ListAttachedPoliciesResponse {
        attached_policies,
        page_info,
    }))
}
