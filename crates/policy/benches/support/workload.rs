//! The "modelarts-typical" workload of the engine benchmarks (docs/benchmarks.md), generated
//! deterministically from the catalog's action space: a principal with 10 identity policies of 10
//! statements each (exact and wildcard actions, URN patterns, 1-3 conditions), 3 SCP levels, and
//! requests on the allow path and the deny path.
//!
//! Shared by `benches/engine.rs`, `examples/latency.rs`, `tests/no_alloc.rs` and the Cedar
//! comparison crate (`benches/cedar-compare`, which translates the same [`Workload`] to Cedar),
//! each through `#[path = ...] mod workload;`. The model below is deliberately small and
//! explicit so that the Cedar translation can be checked statement by statement.

#![allow(
    dead_code,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "each user of the workload uses a different part of it; support code fails loudly"
)]

use std::sync::Arc;

use iam_policy::{Context, Decision, Policy, PolicyId, PolicyKind, PolicySet, Principal, Request};
use serde_json::{Value, json};

/// The account of the principal.
pub const ACCOUNT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// The region of every request.
pub const REGION: &str = "cn-north-4";

/// A condition operator used by the workload (each has a direct Cedar counterpart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    StringEquals,
    StringNotEquals,
    StringLike,
    StringStartWith,
    NumberLessThanEquals,
    Bool,
    IpAddress,
    DateLessThan,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::StringEquals => "StringEquals",
            Op::StringNotEquals => "StringNotEquals",
            Op::StringLike => "StringLike",
            Op::StringStartWith => "StringStartWith",
            Op::NumberLessThanEquals => "NumberLessThanEquals",
            Op::Bool => "Bool",
            Op::IpAddress => "IpAddress",
            Op::DateLessThan => "DateLessThan",
        }
    }
}

/// One condition entry: `op key: values`.
#[derive(Debug, Clone)]
pub struct Cond {
    pub op: Op,
    pub key: &'static str,
    pub values: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Stmt {
    pub sid: String,
    pub deny: bool,
    /// Action patterns (`*` and `?` wildcards).
    pub actions: Vec<String>,
    /// Resource URN patterns; empty means `Resource` omitted (= `*`).
    pub resources: Vec<String>,
    pub conds: Vec<Cond>,
}

/// One policy document.
#[derive(Debug, Clone)]
pub struct Pol {
    pub name: String,
    pub stmts: Vec<Stmt>,
}

/// A request of the workload.
#[derive(Debug, Clone)]
pub struct Req {
    pub action: String,
    pub resource: String,
}

/// The typed context values of the workload's requests (one shared context).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub source_ip: &'static str,
    pub enterprise_project: &'static str,
    pub pool_id: &'static str,
    pub node_count: i64,
    pub mfa: bool,
    /// RFC 3339 and the same instant as epoch seconds.
    pub current_time: (&'static str, i64),
    pub requested_region: &'static str,
    pub user_name: &'static str,
}

pub const CTX: Ctx = Ctx {
    source_ip: "10.1.2.3",
    enterprise_project: "ep-research",
    pool_id: "pool-gpu-042",
    node_count: 8,
    mfa: true,
    current_time: ("2026-11-23T10:00:00Z", 1_795_428_000),
    requested_region: REGION,
    user_name: "alice",
};

impl Ctx {
    /// The engine's request context.
    pub fn to_context(&self) -> Context {
        Context::new()
            .with("g:SourceIp", self.source_ip)
            .with("g:EnterpriseProjectId", self.enterprise_project)
            .with("modelarts:poolId", self.pool_id)
            .with("modelarts:nodeCount", self.node_count.to_string())
            .with("g:MFAPresent", self.mfa.to_string())
            .with("g:CurrentTime", self.current_time.0)
            .with("g:RequestedRegion", self.requested_region)
            .with("g:UserName", self.user_name)
    }
}

/// The whole workload.
#[derive(Debug, Clone)]
pub struct Workload {
    pub principal_urn: String,
    pub identity: Vec<Pol>,
    /// Root, OU, account.
    pub scps: Vec<Vec<Pol>>,
    /// The catalog's action names (the action space).
    pub actions: Vec<String>,
    /// Requests the workload allows.
    pub allowed: Vec<Req>,
    /// Requests the workload denies (implicitly or explicitly).
    pub denied: Vec<Req>,
}

/// A small deterministic PRNG (SplitMix64), so the workload is the same on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % (n.max(1) as u64)).unwrap_or(0)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// An action of the catalog with what the workload needs to know about it.
#[derive(Debug, Clone)]
pub struct CatAction {
    pub name: String,
    /// The URN of a resource of the action's primary type, with `{id}` for the id; `None` for
    /// actions without a resource type (their requests use `*`).
    pub urn_template: Option<String>,
}

/// The catalog's actions (sorted by name) with their URN templates.
pub fn catalog_actions() -> Vec<CatAction> {
    let catalog = iam_catalog::Catalog::builtin();
    let mut out: Vec<CatAction> = catalog
        .actions()
        .map(|a| {
            let urn_template = a.primary_resource().and_then(|r| {
                catalog
                    .action_resource_type(a.service(), &r.resource_type)
                    .map(|t| t.render(REGION, ACCOUNT, "{id}"))
            });
            CatAction {
                name: a.name().to_owned(),
                urn_template,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn segments(name: &str) -> (&str, &str, &str) {
    let mut it = name.splitn(3, ':');
    let s = it.next().unwrap_or("");
    let t = it.next().unwrap_or("");
    let o = it.next().unwrap_or("");
    (s, t, o)
}

/// The resource pattern of a URN template: the id replaced by `prefix*`, or the region too.
fn urn_pattern(template: &str, rng: &mut Rng) -> String {
    let id = match rng.below(3) {
        0 => "*",
        1 => "team-a-*",
        _ => "*",
    };
    let s = template.replace("{id}", id);
    if rng.chance(50) {
        s.replacen(REGION, "*", 1)
    } else {
        s
    }
}

fn cond(rng: &mut Rng, satisfied: bool) -> Cond {
    let (op, key, yes, no): (Op, &'static str, &[&str], &[&str]) = match rng.below(8) {
        0 => (
            Op::StringEquals,
            "g:EnterpriseProjectId",
            &["ep-research", "ep-shared"],
            &["ep-finance"],
        ),
        1 => (
            Op::StringNotEquals,
            "g:RequestedRegion",
            &["ap-southeast-1"],
            &[REGION],
        ),
        2 => (
            Op::StringLike,
            "modelarts:poolId",
            &["pool-gpu-*"],
            &["pool-cpu-*"],
        ),
        3 => (Op::StringStartWith, "g:UserName", &["ali"], &["bob"]),
        4 => (
            Op::NumberLessThanEquals,
            "modelarts:nodeCount",
            &["16"],
            &["4"],
        ),
        5 => (Op::Bool, "g:MFAPresent", &["true"], &["false"]),
        6 => (
            Op::IpAddress,
            "g:SourceIp",
            &["10.0.0.0/8", "172.16.0.0/12"],
            &["192.168.0.0/16"],
        ),
        _ => (
            Op::DateLessThan,
            "g:CurrentTime",
            &["2030-01-01T00:00:00Z"],
            &["2020-01-01T00:00:00Z"],
        ),
    };
    let values = if satisfied { yes } else { no };
    Cond {
        op,
        key,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

/// 1-3 condition entries with distinct keys (entries with the same operator and key would merge
/// in a JSON `Condition` object).
fn conds(rng: &mut Rng, satisfied_percent: u64) -> Vec<Cond> {
    let n = 1 + rng.below(3);
    let mut out: Vec<Cond> = Vec::new();
    while out.len() < n {
        let c = cond(rng, rng.clone().chance(satisfied_percent));
        rng.next_u64();
        if !out.iter().any(|o| o.key == c.key) {
            out.push(c);
        }
    }
    out
}

/// One identity statement.
fn identity_stmt(rng: &mut Rng, actions: &[CatAction], p: usize, s: usize) -> Stmt {
    let a = rng.pick(actions).clone();
    let (svc, ty, op) = segments(&a.name);
    let (patterns, template): (Vec<String>, Option<String>) = match rng.below(10) {
        // exact: 1-3 actions of the same resource type when possible
        0..=3 => {
            let mut names = vec![a.name.clone()];
            let same: Vec<&CatAction> = actions
                .iter()
                .filter(|b| {
                    let (bs, bt, _) = segments(&b.name);
                    bs == svc && bt == ty && b.name != a.name
                })
                .collect();
            for _ in 0..rng.below(3) {
                if !same.is_empty() {
                    let b = same[rng.below(same.len())];
                    if !names.contains(&b.name) {
                        names.push(b.name.clone());
                    }
                }
            }
            (names, a.urn_template.clone())
        }
        // every operation on one resource type
        4 | 5 => (vec![format!("{svc}:{ty}:*")], a.urn_template.clone()),
        // an operation prefix across the service
        6 => {
            let prefix: String = op.chars().take(3).collect();
            (vec![format!("{svc}:*:{prefix}*")], None)
        }
        // `?` inside an operation
        7 => {
            let mut chars: Vec<char> = op.chars().collect();
            if let Some(c) = chars.get_mut(1) {
                *c = '?';
            }
            let op: String = chars.into_iter().collect();
            (vec![format!("{svc}:{ty}:{op}")], a.urn_template.clone())
        }
        // a whole service, or read-only across services
        8 => (vec![format!("{svc}:*:*")], None),
        _ => (vec!["*:*:get*".to_owned(), "*:*:list*".to_owned()], None),
    };
    let resources = match template {
        Some(t) if rng.chance(60) => vec![urn_pattern(&t, rng)],
        _ => Vec::new(),
    };
    // The last statement of every other policy is a guard-rail Deny that does not fire for the
    // typical request context.
    let deny = s == 9 && p.is_multiple_of(2);
    let conds = if deny {
        let mut c = cond(rng, false);
        while c.op == Op::StringNotEquals {
            c = cond(rng, false);
        }
        vec![c]
    } else {
        conds(rng, 85)
    };
    Stmt {
        sid: format!("P{p}S{s}"),
        deny,
        actions: patterns,
        resources,
        conds,
    }
}

fn stmt(sid: &str, deny: bool, actions: &[&str], conds: Vec<Cond>) -> Stmt {
    Stmt {
        sid: sid.to_owned(),
        deny,
        actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        resources: Vec::new(),
        conds,
    }
}

/// The three SCP levels: root FullAccess; an OU that allows the ModelArts stack and denies
/// other regions; an account level that allows everything but deleting IAM identities.
fn scps() -> Vec<Vec<Pol>> {
    let region = Cond {
        op: Op::StringNotEquals,
        key: "g:RequestedRegion",
        values: vec![REGION.to_owned(), "cn-east-3".to_owned()],
    };
    vec![
        vec![Pol {
            name: "scp-root-FullAccess".to_owned(),
            stmts: vec![stmt("FullAccess", false, &["*"], Vec::new())],
        }],
        vec![
            Pol {
                name: "scp-ou-ai-platform".to_owned(),
                stmts: vec![
                    stmt(
                        "AiStack",
                        false,
                        &[
                            "modelarts:*:*",
                            "obs:*:*",
                            "swr:*:*",
                            "iam:*:*",
                            "sts:*:*",
                            "ecs:*:*",
                            "vpc:*:*",
                        ],
                        Vec::new(),
                    ),
                    stmt("OnlyChinaRegions", true, &["*"], vec![region]),
                ],
            },
            Pol {
                name: "scp-ou-observability".to_owned(),
                stmts: vec![stmt(
                    "Observe",
                    false,
                    &["aom:*:*", "ces:*:*", "lts:*:*", "smn:*:*"],
                    Vec::new(),
                )],
            },
        ],
        vec![Pol {
            name: "scp-account-guardrails".to_owned(),
            stmts: vec![
                stmt("Everything", false, &["*"], Vec::new()),
                stmt(
                    "NoIdentityDeletion",
                    true,
                    &["iam:users:delete*", "iam:groups:delete*"],
                    Vec::new(),
                ),
            ],
        }],
    ]
}

impl Stmt {
    pub fn to_json(&self) -> Value {
        let mut s = serde_json::Map::new();
        s.insert("Sid".into(), json!(self.sid));
        s.insert(
            "Effect".into(),
            json!(if self.deny { "Deny" } else { "Allow" }),
        );
        s.insert("Action".into(), json!(self.actions));
        if !self.resources.is_empty() {
            s.insert("Resource".into(), json!(self.resources));
        }
        if !self.conds.is_empty() {
            let mut c = serde_json::Map::new();
            for e in &self.conds {
                let ops = c
                    .entry(e.op.name())
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Value::Object(m) = ops {
                    m.insert(e.key.to_owned(), json!(e.values));
                }
            }
            s.insert("Condition".into(), Value::Object(c));
        }
        Value::Object(s)
    }
}

impl Pol {
    pub fn to_json(&self) -> Value {
        let stmts: Vec<Value> = self.stmts.iter().map(Stmt::to_json).collect();
        json!({"Version": "5.0", "Statement": stmts})
    }

    pub fn compile(&self, kind: PolicyKind) -> (PolicyId, Arc<Policy>) {
        let policy = match Policy::from_value(&self.to_json(), kind) {
            Ok(p) => p,
            Err(e) => panic!("workload policy {} does not parse: {e}", self.name),
        };
        (PolicyId::new(&self.name), Arc::new(policy))
    }
}

impl Workload {
    /// The engine's policy set of the principal.
    pub fn policy_set(&self) -> PolicySet {
        PolicySet::new(
            self.identity
                .iter()
                .map(|p| p.compile(PolicyKind::Identity))
                .collect(),
            self.scps
                .iter()
                .map(|level| level.iter().map(|p| p.compile(PolicyKind::Scp)).collect())
                .collect(),
            Vec::new(),
        )
    }

    pub fn principal(&self) -> Principal {
        Principal {
            urn: self.principal_urn.clone(),
            account_id: ACCOUNT.to_owned(),
            is_root_user: false,
            is_management_account: false,
        }
    }

    /// Number of identity statements.
    pub fn identity_statements(&self) -> usize {
        self.identity.iter().map(|p| p.stmts.len()).sum()
    }
}

/// A principal with `policies` identity policies of `statements` statements each, the three SCP
/// levels, and up to 256 allowed and 256 denied requests.
pub fn generate(policies: usize, statements: usize, seed: u64) -> Workload {
    let actions = catalog_actions();
    let mut rng = Rng::new(seed);
    let identity: Vec<Pol> = (0..policies)
        .map(|p| Pol {
            name: format!("policy-{p:02}"),
            stmts: (0..statements)
                .map(|s| identity_stmt(&mut rng, &actions, p, s % 10))
                .collect(),
        })
        .collect();
    let mut w = Workload {
        principal_urn: format!("iam::{ACCOUNT}:user:alice"),
        identity,
        scps: scps(),
        actions: actions.iter().map(|a| a.name.clone()).collect(),
        allowed: Vec::new(),
        denied: Vec::new(),
    };
    let set = w.policy_set();
    let principal = w.principal();
    let ctx = CTX.to_context();
    // Every catalog action, on a resource whose id starts with `team-a-` (matched by some
    // statements' URN patterns) and on one that does not, in a shuffled order.
    let mut candidates: Vec<Req> = Vec::new();
    for a in &actions {
        match &a.urn_template {
            Some(t) => {
                candidates.push(Req {
                    action: a.name.clone(),
                    resource: t.replace("{id}", "team-a-7f3e"),
                });
                candidates.push(Req {
                    action: a.name.clone(),
                    resource: t.replace("{id}", "b-91c0"),
                });
            }
            None => candidates.push(Req {
                action: a.name.clone(),
                resource: "*".to_owned(),
            }),
        }
    }
    for i in (1..candidates.len()).rev() {
        let j = rng.below(i + 1);
        candidates.swap(i, j);
    }
    for r in candidates {
        let req = Request {
            action: &r.action,
            resource: &r.resource,
            context: &ctx,
        };
        match set.decide(&principal, &req) {
            Decision::Allow if w.allowed.len() < 256 => w.allowed.push(r),
            Decision::ExplicitDeny | Decision::ImplicitDeny if w.denied.len() < 256 => {
                w.denied.push(r)
            }
            _ => {}
        }
    }
    w
}

/// The "modelarts-typical" workload: 10 policies of 10 statements.
pub fn typical() -> Workload {
    generate(10, 10, 0x5EED_0001)
}

/// Unrelated policies for the scale benchmark: `n` policies of 2 statements each, different
/// ids, actions and conditions, compiled.
pub fn unrelated_policies(n: usize) -> Vec<(PolicyId, Arc<Policy>)> {
    let actions = catalog_actions();
    let mut rng = Rng::new(0x0DD5_EED5);
    (0..n)
        .map(|i| {
            let pol = Pol {
                name: format!("other-{i:06}"),
                stmts: (0..2)
                    .map(|s| identity_stmt(&mut rng, &actions, i, s))
                    .collect(),
            };
            pol.compile(PolicyKind::Identity)
        })
        .collect()
}
