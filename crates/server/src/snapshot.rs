//! The immutable, compiled view of the store that every decision reads.
//!
//! Built from `Store::load_state` after every write: every stored document is parsed once, and
//! each user gets a ready [`PolicySet`] (its own and its groups' identity policies, plus the SCP
//! levels of its account). A decision is then a map lookup and `PolicySet::decide`.
//!
//! The snapshot is plain data: no lock, no cache, no store handle. What is derived from it per
//! caller (the compiled policy set of an agency session) is cached in `AppState` by revision
//! (`crate::cache`).
//!
//! **Fail closed:** a stored document the engine cannot parse (it was validated on write, so this
//! only happens if the grammar changed) is replaced by a deny-everything policy and logged.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use iam_policy::case::{Case, CaseResult, RouteAction, RouteResolver, run_case};
use iam_policy::{Context, Policy, PolicyId, PolicyKind, PolicySet, Request};
use iam_store::{OrgPolicyType, PrincipalType, Store, StoreError, StoreState};
use serde_json::Value;

use crate::auth::{Caller, CallerKind};
use crate::endpoints::EntityKind;
use crate::error::ApiError;

const DENY_ALL: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["*"]}]}"#;

type Compiled = Vec<(PolicyId, Arc<Policy>)>;

/// A principal known to the snapshot, with its compiled policies.
#[derive(Debug)]
pub struct Principal {
    /// URN.
    pub urn: String,
    /// The user id, for IAM users (agency sessions have none).
    pub user_id: Option<String>,
    /// Account.
    pub account_id: String,
    /// The engine's view of the principal.
    pub engine: iam_policy::Principal,
    /// Identity policies, SCP levels.
    pub policies: PolicySet,
    /// Whether any statement of `policies` has a condition (computed once: without one, the
    /// request context cannot change a decision).
    pub conditional: bool,
}

#[derive(Debug)]
struct AgencyEntry {
    account_id: String,
    identity: Compiled,
}

/// A compiled snapshot of the store at one revision.
#[derive(Debug)]
pub struct Snapshot {
    revision: i64,
    users: HashMap<String, Arc<Principal>>,
    by_urn: HashMap<String, Arc<Principal>>,
    by_access_key: HashMap<String, Arc<Principal>>,
    agencies: HashMap<String, AgencyEntry>,
    scp_levels: HashMap<String, Vec<Compiled>>,
    management: HashSet<String>,
    /// management account -> member accounts of its organization
    members: HashMap<String, HashSet<String>>,
    principal_accounts: HashMap<(PrincipalType, String), String>,
    /// (path parameter, id) -> URN of the entity, for resource URNs of API calls
    entity_urns: HashMap<(EntityKind, String), String>,
    /// account -> workspace id -> workspace (the default `0` of every account included)
    workspaces: HashMap<String, HashMap<String, WorkspaceView>>,
    /// Accounts with a `PRIVATE` or `INTERNAL` workspace (computed once per snapshot: the
    /// gateway asks on every request).
    restricted_workspace_accounts: HashSet<String>,
    /// account -> enterprise project id -> enterprise project (the default `0` included)
    enterprise_projects: HashMap<String, HashMap<String, EnterpriseProjectView>>,
    /// ids of the users who are their account's tenant administrator (root users and members
    /// of the account's system group `admin`)
    tenant_admins: HashSet<String>,
}

/// How a workspace is shared (ModelArts `auth_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceAccess {
    /// Everyone in the account.
    Public,
    /// The creator and the tenant administrator.
    Private,
    /// The creator, the tenant administrator and the granted users.
    Internal,
}

impl WorkspaceAccess {
    /// From the stored `auth_type` (`PUBLIC`, `PRIVATE`, `INTERNAL`); anything else reads as
    /// `PRIVATE`, the narrowest (fail closed).
    pub fn parse(s: &str) -> Self {
        match s {
            "PUBLIC" => WorkspaceAccess::Public,
            "INTERNAL" => WorkspaceAccess::Internal,
            _ => WorkspaceAccess::Private,
        }
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceAccess::Public => "PUBLIC",
            WorkspaceAccess::Private => "PRIVATE",
            WorkspaceAccess::Internal => "INTERNAL",
        }
    }
}

/// A ModelArts workspace as decisions see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceView {
    /// `0` or 32 lower-case hex digits.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// The name.
    pub name: String,
    /// `0` or the id of an enterprise project of the account.
    pub enterprise_project_id: String,
    /// Who may use it.
    pub auth_type: WorkspaceAccess,
    /// The creator's user id (empty for the default workspace, and when an agency session
    /// created it).
    pub owner_user_id: String,
    /// The users an `INTERNAL` workspace is shared with, sorted.
    pub granted_user_ids: Vec<String>,
}

/// An enterprise project as decisions see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseProjectView {
    /// `0` or a UUID.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// The name (`default` for `0`).
    pub name: String,
    /// Whether it is enabled (disabled ones receive no new resources).
    pub enabled: bool,
}

/// Whether a caller may use (see, work in) a workspace, by Huawei's access model: `PUBLIC`, everyone
/// in the account; `PRIVATE`, its creator and the tenant administrator; `INTERNAL`, its creator,
/// the tenant administrator and the granted users (docs/workspaces.md). `caller_user_id` is the
/// IAM user's id (`None` for an agency session, which is neither creator nor grantee);
/// `is_tenant_admin` from [`Snapshot::is_tenant_admin`]. The caller must be of the workspace's
/// account: this function does not look at accounts ([`Snapshot::workspace`] only finds the
/// caller's account's workspaces).
pub fn may_use_workspace(
    ws: &WorkspaceView,
    caller_user_id: Option<&str>,
    is_tenant_admin: bool,
) -> bool {
    if ws.auth_type == WorkspaceAccess::Public || is_tenant_admin {
        return true;
    }
    let Some(user) = caller_user_id.filter(|u| !u.is_empty()) else {
        return false;
    };
    if ws.owner_user_id == user {
        return true;
    }
    ws.auth_type == WorkspaceAccess::Internal
        && ws
            .granted_user_ids
            .binary_search_by(|g| g.as_str().cmp(user))
            .is_ok()
}

fn compile(id: &str, doc: &str, kind: PolicyKind) -> Option<(PolicyId, Arc<Policy>)> {
    match Policy::parse(doc, kind) {
        Ok(p) => Some((PolicyId::new(id), Arc::new(p))),
        Err(e) => {
            tracing::error!(policy_id = id, error = %e, "stored policy does not parse; replaced by deny-all");
            Policy::parse(DENY_ALL, kind)
                .ok()
                .map(|p| (PolicyId::new(id), Arc::new(p)))
        }
    }
}

impl Snapshot {
    /// Loads and compiles the store's current state.
    pub async fn load(store: &Store, _region: &str) -> Result<Self, StoreError> {
        let state = store.load_state().await?;
        Ok(Self::build(&state))
    }

    /// Compiles a loaded state.
    pub fn build(s: &StoreState) -> Self {
        let policies: HashMap<&str, (PolicyId, Arc<Policy>)> = s
            .policies
            .iter()
            .filter_map(|p| {
                Some((
                    p.policy.id.as_str(),
                    compile(&p.policy.id, &p.default_document, PolicyKind::Identity)?,
                ))
            })
            .collect();
        let mut attached: HashMap<(PrincipalType, &str), Vec<&str>> = HashMap::new();
        for a in &s.attachments {
            attached
                .entry((a.principal_type, a.principal_id.as_str()))
                .or_default()
                .push(a.policy_id.as_str());
        }
        let mut user_groups: HashMap<&str, Vec<&str>> = HashMap::new();
        for (g, u) in &s.group_members {
            user_groups.entry(u.as_str()).or_default().push(g.as_str());
        }

        // Organizations: SCP levels per member account.
        let mut management = HashSet::new();
        let mut members: HashMap<String, HashSet<String>> = HashMap::new();
        let mut scp_levels: HashMap<String, Vec<Compiled>> = HashMap::new();
        let scps: HashMap<&str, (PolicyId, Arc<Policy>)> = s
            .scps
            .iter()
            .filter(|p| p.policy_type == OrgPolicyType::ServiceControlPolicy)
            .filter_map(|p| Some((p.id.as_str(), compile(&p.id, &p.content, PolicyKind::Scp)?)))
            .collect();
        let mut attached_scps: HashMap<&str, Compiled> = HashMap::new();
        for a in &s.scp_attachments {
            if let Some(p) = scps.get(a.policy_id.as_str()) {
                attached_scps
                    .entry(a.target_id.as_str())
                    .or_default()
                    .push(p.clone());
            }
        }
        let ou_parent: HashMap<&str, &str> = s
            .organizational_units
            .iter()
            .map(|o| (o.id.as_str(), o.parent_id.as_str()))
            .collect();
        for org in &s.organizations {
            management.insert(org.management_account_id.clone());
            let Some(root) = s.roots.iter().find(|r| r.organization_id == org.id) else {
                continue;
            };
            for m in s
                .org_accounts
                .iter()
                .filter(|a| a.organization_id == org.id)
            {
                members
                    .entry(org.management_account_id.clone())
                    .or_default()
                    .insert(m.account_id.clone());
                if m.account_id == org.management_account_id || !root.scp_enabled() {
                    continue;
                }
                // account, then parents up to the root; reversed to root first
                let mut chain = vec![m.account_id.as_str()];
                let mut cur = m.parent_id.as_str();
                let mut guard = 0;
                while cur != root.id && guard < 64 {
                    chain.push(cur);
                    match ou_parent.get(cur) {
                        Some(p) => cur = p,
                        None => break,
                    }
                    guard += 1;
                }
                chain.push(root.id.as_str());
                chain.reverse();
                let levels = chain
                    .iter()
                    .map(|id| attached_scps.get(id).cloned().unwrap_or_default())
                    .collect();
                scp_levels.insert(m.account_id.clone(), levels);
            }
        }

        let identity_of = |kind: PrincipalType, id: &str, extra: &[&str]| -> Compiled {
            let mut ids: Vec<&str> = attached.get(&(kind, id)).cloned().unwrap_or_default();
            for g in extra {
                ids.extend(
                    attached
                        .get(&(PrincipalType::Group, *g))
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            let mut seen = HashSet::new();
            ids.into_iter()
                .filter(|p| seen.insert(*p))
                .filter_map(|p| policies.get(p).cloned())
                .collect()
        };

        let mut users = HashMap::new();
        let mut by_urn = HashMap::new();
        let mut principal_accounts = HashMap::new();
        let mut entity_urns = HashMap::new();
        for u in &s.users {
            principal_accounts.insert((PrincipalType::User, u.id.clone()), u.account_id.clone());
            entity_urns.insert((EntityKind::User, u.id.clone()), u.urn.clone());
            if !u.enabled {
                continue;
            }
            let groups = user_groups.get(u.id.as_str()).cloned().unwrap_or_default();
            let identity = identity_of(PrincipalType::User, &u.id, &groups);
            let levels = scp_levels.get(&u.account_id).cloned().unwrap_or_default();
            let policies = PolicySet::new(identity, levels, Vec::new());
            let p = Arc::new(Principal {
                urn: u.urn.clone(),
                user_id: Some(u.id.clone()),
                account_id: u.account_id.clone(),
                engine: iam_policy::Principal {
                    urn: u.urn.clone(),
                    account_id: u.account_id.clone(),
                    is_root_user: u.is_root_user,
                    is_management_account: management.contains(&u.account_id),
                },
                conditional: policies.has_conditions(),
                policies,
            });
            users.insert(u.id.clone(), p.clone());
            by_urn.insert(u.urn.clone(), p);
        }
        let by_access_key = s
            .access_keys
            .iter()
            .filter(|k| k.status == iam_store::AccessKeyStatus::Active)
            .filter_map(|k| {
                users
                    .get(&k.user_id)
                    .map(|p| (k.access_key_id.clone(), Arc::clone(p)))
            })
            .collect();
        for g in &s.groups {
            principal_accounts.insert((PrincipalType::Group, g.id.clone()), g.account_id.clone());
            entity_urns.insert((EntityKind::Group, g.id.clone()), g.urn.clone());
        }
        let mut agencies = HashMap::new();
        for a in &s.agencies {
            principal_accounts.insert((PrincipalType::Agency, a.id.clone()), a.account_id.clone());
            entity_urns.insert((EntityKind::Agency, a.id.clone()), a.urn.clone());
            agencies.insert(
                a.id.clone(),
                AgencyEntry {
                    account_id: a.account_id.clone(),
                    identity: identity_of(PrincipalType::Agency, &a.id, &[]),
                },
            );
        }
        for p in &s.policies {
            entity_urns.insert(
                (EntityKind::Policy, p.policy.id.clone()),
                p.policy.urn.clone(),
            );
        }
        let orgs: HashMap<&str, &iam_store::Organization> =
            s.organizations.iter().map(|o| (o.id.as_str(), o)).collect();
        for ou in &s.organizational_units {
            if let Some(org) = orgs.get(ou.organization_id.as_str()) {
                entity_urns.insert(
                    (EntityKind::Ou, ou.id.clone()),
                    crate::api::org::ou_urn(org, &ou.id),
                );
            }
        }
        for a in &s.org_accounts {
            if let Some(org) = orgs.get(a.organization_id.as_str()) {
                entity_urns.insert(
                    (EntityKind::OrgAccount, a.account_id.clone()),
                    crate::api::org::account_urn(org, &a.account_id),
                );
            }
        }
        for p in &s.scps {
            if let Some(org) = p.organization_id.as_deref().and_then(|id| orgs.get(id)) {
                entity_urns.insert(
                    (EntityKind::Scp, p.id.clone()),
                    crate::api::org::scp_urn(org, p),
                );
            }
        }
        let (workspaces, enterprise_projects) = registries(s);
        let restricted_workspace_accounts: HashSet<String> = workspaces
            .iter()
            .filter(|(_, m)| m.values().any(|w| w.auth_type != WorkspaceAccess::Public))
            .map(|(a, _)| a.clone())
            .collect();
        let system_groups: HashSet<&str> = s
            .groups
            .iter()
            .filter(|g| g.is_system)
            .map(|g| g.id.as_str())
            .collect();
        let mut tenant_admins: HashSet<String> = s
            .users
            .iter()
            .filter(|u| u.is_root_user)
            .map(|u| u.id.clone())
            .collect();
        for (g, u) in &s.group_members {
            if system_groups.contains(g.as_str()) {
                tenant_admins.insert(u.clone());
            }
        }
        Self {
            revision: s.revision,
            users,
            by_urn,
            by_access_key,
            agencies,
            scp_levels,
            management,
            members,
            principal_accounts,
            entity_urns,
            workspaces,
            restricted_workspace_accounts,
            enterprise_projects,
            tenant_admins,
        }
    }

    /// A workspace of `account_id` (`0`, the default workspace, exists in every account); `None`
    /// for an id of another account or of nothing.
    pub fn workspace(&self, account_id: &str, workspace_id: &str) -> Option<&WorkspaceView> {
        self.workspaces.get(account_id)?.get(workspace_id)
    }

    /// Whether `account_id` has a `PRIVATE` or `INTERNAL` workspace (then the gateway finds the
    /// workspace of every resource a request names).
    pub fn has_restricted_workspaces(&self, account_id: &str) -> bool {
        self.restricted_workspace_accounts.contains(account_id)
    }

    /// An enterprise project of `account_id` (`0`, the default one, exists in every account).
    pub fn enterprise_project(&self, account_id: &str, id: &str) -> Option<&EnterpriseProjectView> {
        self.enterprise_projects.get(account_id)?.get(id)
    }

    /// Whether `user_id` is the tenant administrator of `account_id`: its root user, or a member
    /// of its built-in system group `admin` (found by the store's mark, never by name). Agency
    /// sessions are never tenant administrators.
    pub fn is_tenant_admin(&self, account_id: &str, user_id: &str) -> bool {
        self.tenant_admins.contains(user_id)
            && self.principal_in_account(PrincipalType::User, user_id, account_id)
    }

    /// [`may_use_workspace`] for an API caller.
    pub fn caller_may_use_workspace(&self, caller: &Caller, ws: &WorkspaceView) -> bool {
        let user = caller.user_id();
        let admin = user.is_some_and(|u| self.is_tenant_admin(&caller.account_id, u));
        ws.account_id == caller.account_id && may_use_workspace(ws, user, admin)
    }

    /// The store revision this snapshot was built from.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// The URN of the entity of `kind` with id `id` in `account` (or of the system policy with
    /// that id: system policies are every account's), if there is one.
    pub fn entity_urn(&self, kind: EntityKind, id: &str, account: &str) -> Option<&str> {
        self.entity_urns
            .get(&(kind, id.to_owned()))
            .filter(|urn| {
                let owner = urn.split(':').nth(2);
                // system policies (`iam::system:policy:<name>`) are every account's
                owner == Some(account) || (kind == EntityKind::Policy && owner == Some("system"))
            })
            .map(String::as_str)
    }

    /// [`Snapshot::entity_urn`], or the URN an entity with that id would have
    /// (`iam::<account>:<type>:<id>`) when there is none: the handler then answers 404.
    pub fn entity_urn_or_render(&self, kind: EntityKind, id: &str, account: &str) -> String {
        self.entity_urn(kind, id, account).map_or_else(
            || format!("iam::{account}:{}:{id}", kind.resource_type()),
            str::to_owned,
        )
    }

    /// The stored (enabled) user an API caller signs as, with its policy set.
    pub(crate) fn user_principal(&self, user_id: &str) -> Result<Arc<Principal>, ApiError> {
        self.users
            .get(user_id)
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated("the user no longer exists or is disabled"))
    }

    /// The engine principal of an agency session with its policy set, compiled: the agency's
    /// policies, the session policies and the SCPs of its account (`AppState::caller_set`
    /// caches it for the revision).
    pub(crate) fn session_principal(&self, caller: &Caller) -> Result<Principal, ApiError> {
        let CallerKind::Session {
            agency_id,
            session_policy,
            ..
        } = &caller.kind
        else {
            return Err(ApiError::unauthenticated(
                "the caller is not an agency session",
            ));
        };
        let agency = self
            .agencies
            .get(agency_id)
            .ok_or_else(|| ApiError::unauthenticated("the assumed agency no longer exists"))?;
        let session = match session_policy {
            Some(stored) => crate::api::sts::decode_session_policies(stored)
                .iter()
                .enumerate()
                .filter_map(|(i, doc)| compile(&format!("session-{i}"), doc, PolicyKind::Session))
                .collect(),
            None => Vec::new(),
        };
        let levels = self
            .scp_levels
            .get(&agency.account_id)
            .cloned()
            .unwrap_or_default();
        let set = PolicySet::new(agency.identity.clone(), levels, session);
        Ok(Principal {
            urn: caller.urn.clone(),
            user_id: None,
            account_id: caller.account_id.clone(),
            engine: iam_policy::Principal {
                urn: caller.urn.clone(),
                account_id: caller.account_id.clone(),
                is_root_user: false,
                is_management_account: self.management.contains(&caller.account_id),
            },
            conditional: set.has_conditions(),
            policies: set,
        })
    }

    /// Whether a principal of `kind` and `id` belongs to `account`.
    pub fn principal_in_account(&self, kind: PrincipalType, id: &str, account: &str) -> bool {
        self.principal_accounts
            .get(&(kind, id.to_owned()))
            .is_some_and(|a| a == account)
    }

    /// A stored (enabled) user by URN.
    pub fn principal_by_urn(&self, urn: &str) -> Option<&Arc<Principal>> {
        self.by_urn.get(urn)
    }

    /// A stored user by one of its active access key ids.
    pub fn principal_by_access_key(&self, ak: &str) -> Option<&Arc<Principal>> {
        self.by_access_key.get(ak)
    }

    /// Whether `caller` may ask decisions about `p`: same account, or `p` is in a member
    /// account of the organization `caller`'s account manages.
    pub fn may_query(&self, caller: &Caller, p: &Principal) -> bool {
        caller.account_id == p.account_id
            || self
                .members
                .get(&caller.account_id)
                .is_some_and(|m| m.contains(&p.account_id))
    }

    /// Decides one request for a stored principal, with the explanation (one engine pass:
    /// the explanation carries the decision).
    pub fn decide(
        &self,
        p: &Principal,
        action: &str,
        resource: &str,
        context: impl IntoIterator<Item = (impl AsRef<str>, Vec<String>)>,
    ) -> iam_policy::Explanation {
        let mut ctx = Context::new();
        for (k, v) in context {
            ctx.set_values(k.as_ref(), v);
        }
        add_defaults(&mut ctx);
        // the stored principal's keys, as every other decision has them (callers may not set
        // them: the decision API refuses a context that does); only conditions read them
        if let Some(user_id) = p.user_id.as_ref().filter(|_| p.conditional) {
            let root = p.engine.is_root_user;
            ctx.insert("g:PrincipalId", user_id.clone());
            ctx.insert("g:UserId", user_id.clone());
            if let Some(name) = p.urn.rsplit(':').next() {
                ctx.insert("g:UserName", name.to_owned());
            }
            ctx.insert("g:PrincipalType", if root { "Root" } else { "User" });
        }
        let req = Request {
            action,
            resource,
            context: &ctx,
        };
        let explanation = p.policies.explain(&p.engine, &req);
        debug_assert_eq!(explanation.decision, p.policies.decide(&p.engine, &req));
        explanation
    }
}

type Registries = (
    HashMap<String, HashMap<String, WorkspaceView>>,
    HashMap<String, HashMap<String, EnterpriseProjectView>>,
);

/// The workspaces and enterprise projects of every account, with the implicit defaults `0`.
fn registries(s: &StoreState) -> Registries {
    let mut workspaces: HashMap<String, HashMap<String, WorkspaceView>> = HashMap::new();
    let mut projects: HashMap<String, HashMap<String, EnterpriseProjectView>> = HashMap::new();
    for a in &s.accounts {
        let d = iam_store::Workspace::default_of(&a.id, &a.created_at);
        workspaces
            .entry(a.id.clone())
            .or_default()
            .insert(d.id.clone(), workspace_view(&d, Vec::new()));
        projects.entry(a.id.clone()).or_default().insert(
            iam_store::DEFAULT_ID.to_owned(),
            EnterpriseProjectView {
                id: iam_store::DEFAULT_ID.to_owned(),
                account_id: a.id.clone(),
                name: iam_store::DEFAULT_NAME.to_owned(),
                enabled: true,
            },
        );
    }
    let mut grants: HashMap<&str, Vec<String>> = HashMap::new();
    for g in &s.workspace_grants {
        grants
            .entry(g.workspace_id.as_str())
            .or_default()
            .push(g.user_id.clone());
    }
    for w in &s.workspaces {
        let mut granted = grants.remove(w.id.as_str()).unwrap_or_default();
        granted.sort();
        granted.dedup();
        workspaces
            .entry(w.account_id.clone())
            .or_default()
            .insert(w.id.clone(), workspace_view(w, granted));
    }
    for p in &s.enterprise_projects {
        projects.entry(p.account_id.clone()).or_default().insert(
            p.id.clone(),
            EnterpriseProjectView {
                id: p.id.clone(),
                account_id: p.account_id.clone(),
                name: p.name.clone(),
                enabled: p.enabled(),
            },
        );
    }
    (workspaces, projects)
}

fn workspace_view(w: &iam_store::Workspace, granted_user_ids: Vec<String>) -> WorkspaceView {
    WorkspaceView {
        id: w.id.clone(),
        account_id: w.account_id.clone(),
        name: w.name.clone(),
        enterprise_project_id: w.enterprise_project_id.clone(),
        auth_type: WorkspaceAccess::parse(&w.auth_type),
        owner_user_id: w.owner_user_id.clone(),
        granted_user_ids,
    }
}

/// Adds `g:CurrentTime` when the request does not give one (the engine has no clock).
pub(crate) fn add_defaults(ctx: &mut Context) {
    if !ctx.contains("g:CurrentTime") {
        ctx.insert("g:CurrentTime", current_time());
    }
}

/// The time for `g:CurrentTime`: RFC 3339 UTC to the second (`2026-11-23T13:30:05Z`), the
/// precision of AWS's `aws:CurrentTime`. Formatted once a second per thread, not per decision:
/// a [`RevisionCache`](crate::cache::RevisionCache) whose generation is the second.
pub fn current_time() -> String {
    use crate::cache::{RevisionCache, TIME_STRINGS_MAX};
    thread_local! {
        static CACHE: std::cell::RefCell<RevisionCache<i64, (), String>> =
            std::cell::RefCell::new(RevisionCache::new(TIME_STRINGS_MAX));
    }
    let now = time::OffsetDateTime::now_utc();
    let second = now.unix_timestamp();
    let format = || {
        let (y, m, d) = (now.year(), u8::from(now.month()), now.day());
        let (h, min, s) = (now.hour(), now.minute(), now.second());
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
    };
    CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            if let Some(t) = cache.get(second, &()) {
                return Some(t.clone());
            }
            let t = format();
            cache.insert(second, (), t.clone());
            Some(t)
        })
        .ok()
        .flatten()
        .unwrap_or_else(format)
}

/// The catalog's route table as the case runner's route resolver.
struct CatalogRoutes;

impl RouteResolver for CatalogRoutes {
    fn resolve(
        &self,
        method: &str,
        path: &str,
        region: &str,
        account_id: &str,
    ) -> Result<Vec<RouteAction>, String> {
        let catalog = iam_catalog::Catalog::builtin();
        if let Some(e) = catalog.load_error() {
            return Err(format!("the catalog failed to load: {e}"));
        }
        let target = iam_catalog::RouteTarget::new(region, account_id);
        let resolved = catalog
            .resolve_route(method, path, &target)
            .map_err(|e| e.to_string())?;
        Ok(resolved
            .actions
            .iter()
            .zip(&resolved.resources)
            .map(|(a, r)| RouteAction {
                action: (*a).to_owned(),
                resource: r.clone(),
            })
            .collect())
    }
}

/// Runs an evaluation case (the `eval` format of [`iam_policy::case`]) without the store:
/// policies, principal and request all come from the case; a `method`/`path` request is
/// resolved through the catalog's routes (region defaulting to the server's). A case that
/// cannot be evaluated (a policy that does not parse, an unknown route, a bad context) is a 400
/// naming the problem.
pub fn simulate(case: Value, region: &str) -> Result<CaseResult, ApiError> {
    let mut case: Case = serde_path_to_error::deserialize(case).map_err(|e| {
        let path = e.path().to_string();
        ApiError::bad_request(format!("invalid case at `{path}`: {}", e.inner()))
    })?;
    if case.request.path.is_some() && case.request.region.is_none() {
        case.request.region = Some(region.to_owned());
    }
    let result = run_case(&case, Some(&CatalogRoutes));
    if let Some(e) = &result.error {
        return Err(ApiError::bad_request(format!(
            "the case cannot be evaluated: {e}"
        )));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(auth: WorkspaceAccess) -> WorkspaceView {
        WorkspaceView {
            id: "w".repeat(32),
            account_id: "acct".into(),
            name: "team".into(),
            enterprise_project_id: "0".into(),
            auth_type: auth,
            owner_user_id: "owner".into(),
            granted_user_ids: vec!["granted".into(), "x-granted".into()],
        }
    }

    #[test]
    fn the_workspace_access_model() {
        use WorkspaceAccess::*;
        // (access, caller, tenant admin) -> may use
        let table: &[(WorkspaceAccess, Option<&str>, bool, bool)] = &[
            (Public, Some("anyone"), false, true),
            (Public, None, false, true),
            (Private, Some("owner"), false, true),
            (Private, Some("anyone"), true, true),
            (Private, Some("granted"), false, false),
            (Private, Some("anyone"), false, false),
            (Private, None, false, false),
            (Internal, Some("owner"), false, true),
            (Internal, Some("granted"), false, true),
            (Internal, Some("x-granted"), false, true),
            (Internal, Some("anyone"), true, true),
            (Internal, Some("anyone"), false, false),
            (Internal, Some(""), false, false),
            (Internal, None, false, false),
        ];
        for (access, caller, admin, expected) in table {
            assert_eq!(
                may_use_workspace(&ws(*access), *caller, *admin),
                *expected,
                "{access:?} {caller:?} admin={admin}"
            );
        }
        // an agency-created workspace (no owner) is not everyone's
        let mut orphan = ws(Private);
        orphan.owner_user_id.clear();
        assert!(!may_use_workspace(&orphan, Some(""), false));
        assert_eq!(WorkspaceAccess::parse("bogus"), Private);
    }

    #[test]
    fn the_fail_closed_replacement_parses_for_every_kind() {
        for kind in [PolicyKind::Identity, PolicyKind::Scp, PolicyKind::Session] {
            assert!(Policy::parse(DENY_ALL, kind).is_ok(), "{kind:?}");
        }
        let (_, p) = compile("broken", "{", PolicyKind::Identity).unwrap();
        assert_eq!(p.statements().len(), 1);
    }
}
