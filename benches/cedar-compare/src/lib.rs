//! The "modelarts-typical" workload (`crates/policy/benches/support/workload.rs`) expressed in
//! Cedar, so that `iam-policy` and `cedar-policy` can be benched on the same authorization.
//!
//! Translation (one Cedar policy per IAM statement; decisions checked equal by
//! `tests/equivalence.rs` and again before every bench run):
//!
//! - identity `Allow` -> `permit (principal == User::"alice", action in [...], resource) when {..}`,
//!   identity `Deny` -> `forbid (...)`; SCP `Deny` -> `forbid (principal, ...)`;
//! - an SCP level (an Allow is needed at every level) -> `forbid (principal, action, resource)
//!   unless { A1 || A2 || ... }` over the level's Allow statements (omitted when some Ai is
//!   `true`, e.g. FullAccess);
//! - action patterns are expanded against the catalog's action space (Cedar has no action
//!   wildcards): up to 3 actions are listed (`action in [A, B]`), more become an action group
//!   (`action in Action::"group:<sid>"`, each member action having the group as a parent in
//!   the entity data), as a Cedar author would write it; a pattern set that covers every action
//!   leaves `action` unconstrained;
//! - resource URN patterns -> `context.resource like "..."` (the URN travels in the context);
//! - conditions -> `context has k && ...` with the same missing-key results as IAM (positive
//!   operators are false, `StringNotEquals` is true); IPs are Cedar `ip` values, dates epoch
//!   seconds (`Long`), numbers `Long`, booleans `Bool`.

#[path = "../../../crates/policy/benches/support/workload.rs"]
pub mod workload;

use std::fmt::Write as _;

use workload::{CTX, Cond, Op, Stmt, Workload};

/// A context value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    Long(i64),
    Bool(bool),
    Ip(String),
    /// RFC 3339 date-time.
    Date(String),
}

impl Val {
    fn iam_text(&self) -> String {
        match self {
            Val::Str(s) | Val::Ip(s) | Val::Date(s) => s.clone(),
            Val::Long(n) => n.to_string(),
            Val::Bool(b) => b.to_string(),
        }
    }

    fn cedar_json(&self) -> serde_json::Value {
        match self {
            Val::Str(s) => serde_json::json!(s),
            Val::Long(n) => serde_json::json!(n),
            Val::Bool(b) => serde_json::json!(b),
            Val::Ip(s) => serde_json::json!({"__extn": {"fn": "ip", "arg": s}}),
            Val::Date(s) => serde_json::json!(epoch(s).unwrap_or(i64::MIN)),
        }
    }
}

/// A request context: condition keys (IAM spelling) to values.
pub type Kv = Vec<(&'static str, Val)>;

/// The workload's typical context.
pub fn base_context() -> Kv {
    vec![
        ("g:SourceIp", Val::Ip(CTX.source_ip.into())),
        (
            "g:EnterpriseProjectId",
            Val::Str(CTX.enterprise_project.into()),
        ),
        ("modelarts:poolId", Val::Str(CTX.pool_id.into())),
        ("modelarts:nodeCount", Val::Long(CTX.node_count)),
        ("g:MFAPresent", Val::Bool(CTX.mfa)),
        ("g:CurrentTime", Val::Date(CTX.current_time.0.into())),
        ("g:RequestedRegion", Val::Str(CTX.requested_region.into())),
        ("g:UserName", Val::Str(CTX.user_name.into())),
    ]
}

/// Variants of the typical context: each key missing, and each key with a value that flips the
/// conditions on it.
pub fn context_variants() -> Vec<Kv> {
    let base = base_context();
    let other = |k: &str| -> Val {
        match k {
            "g:SourceIp" => Val::Ip("192.168.7.7".into()),
            "g:EnterpriseProjectId" => Val::Str("ep-finance".into()),
            "modelarts:poolId" => Val::Str("pool-cpu-001".into()),
            "modelarts:nodeCount" => Val::Long(64),
            "g:MFAPresent" => Val::Bool(false),
            "g:CurrentTime" => Val::Date("2031-06-01T00:00:00Z".into()),
            "g:RequestedRegion" => Val::Str("ap-southeast-1".into()),
            _ => Val::Str("bob".into()),
        }
    };
    let mut out = vec![base.clone()];
    for i in 0..base.len() {
        let mut missing = base.clone();
        missing.remove(i);
        out.push(missing);
        let mut changed = base.clone();
        changed[i].1 = other(changed[i].0);
        out.push(changed);
    }
    out
}

/// The engine's context.
pub fn iam_context(kv: &Kv) -> iam_policy::Context {
    let mut ctx = iam_policy::Context::new();
    for (k, v) in kv {
        ctx.insert(k, v.iam_text());
    }
    ctx
}

/// Cedar's context (the resource URN included).
pub fn cedar_context(kv: &Kv, resource: &str) -> Result<cedar_policy::Context, String> {
    let mut m = serde_json::Map::new();
    m.insert("resource".into(), serde_json::json!(resource));
    for (k, v) in kv {
        m.insert(ident(k), v.cedar_json());
    }
    cedar_policy::Context::from_json_value(serde_json::Value::Object(m), None)
        .map_err(|e| e.to_string())
}

/// Epoch seconds of an RFC 3339 date-time.
pub fn epoch(s: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("{s}: {e}"))
}

/// The Cedar attribute name of a condition key (`g:SourceIp` -> `g_sourceip`).
pub fn ident(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// Action groups: Cedar has no action wildcards, so a statement's expanded action set becomes a
/// group entity (`Action::"group:<sid>"`) that every member action has as a parent, the
/// idiomatic Cedar form (membership is then a lookup in the action's precomputed ancestors).
#[derive(Debug, Default)]
pub struct Groups {
    /// Group name -> member actions.
    pub groups: Vec<(String, Vec<String>)>,
}

impl Groups {
    /// The action constraint of `patterns`: `None` when they cover every action of the space;
    /// `action == A` / `action in [A, B, C]` for up to 3 actions; else `action in <group>`.
    fn constraint(&mut self, sid: &str, patterns: &[String], space: &[String]) -> Option<String> {
        let compiled: Vec<_> = patterns
            .iter()
            .map(|p| iam_policy::compile_action_pattern(p))
            .collect();
        let matched: Vec<String> = space
            .iter()
            .filter(|a| compiled.iter().any(|p| p.matches(a)))
            .cloned()
            .collect();
        if matched.len() == space.len() {
            return None;
        }
        Some(match matched.len() {
            0 => "action in []".to_owned(),
            1 => format!("action == Action::{}", quote(&matched[0])),
            2 | 3 => {
                let list: Vec<String> = matched
                    .iter()
                    .map(|a| format!("Action::{}", quote(a)))
                    .collect();
                format!("action in [{}]", list.join(", "))
            }
            _ => {
                let name = format!("group:{sid}");
                let c = format!("action in Action::{}", quote(&name));
                self.groups.push((name, matched));
                c
            }
        })
    }

    /// The entities: every action of the space with its groups as parents.
    pub fn entities_json(&self, space: &[String]) -> serde_json::Value {
        let mut out = Vec::new();
        for a in space {
            let parents: Vec<serde_json::Value> = self
                .groups
                .iter()
                .filter(|(_, members)| members.contains(a))
                .map(|(g, _)| serde_json::json!({"type": "Action", "id": g}))
                .collect();
            out.push(serde_json::json!({"uid": {"type": "Action", "id": a}, "attrs": {}, "parents": parents}));
        }
        for (g, _) in &self.groups {
            out.push(
                serde_json::json!({"uid": {"type": "Action", "id": g}, "attrs": {}, "parents": []}),
            );
        }
        serde_json::Value::Array(out)
    }
}

fn resource_constraint(resources: &[String]) -> Option<String> {
    if resources.is_empty() || resources.iter().any(|r| r.bytes().all(|b| b == b'*')) {
        return None;
    }
    let alts: Vec<String> = resources
        .iter()
        .map(|r| format!("context.resource like {}", quote(r)))
        .collect();
    Some(format!("({})", alts.join(" || ")))
}

fn cond_expr(c: &Cond) -> Result<String, String> {
    let k = format!("context.{}", ident(c.key));
    let has = format!("context has {}", ident(c.key));
    let any = |f: &dyn Fn(&str) -> Result<String, String>| -> Result<String, String> {
        let parts = c
            .values
            .iter()
            .map(|v| f(v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", parts.join(" || ")))
    };
    Ok(match c.op {
        Op::StringEquals => format!(
            "({has} && {})",
            any(&|v| Ok(format!("{k} == {}", quote(v))))?
        ),
        Op::StringNotEquals => {
            let all: Vec<String> = c
                .values
                .iter()
                .map(|v| format!("{k} != {}", quote(v)))
                .collect();
            format!("(!({has}) || ({}))", all.join(" && "))
        }
        Op::StringLike => format!(
            "({has} && {})",
            any(&|v| Ok(format!("{k} like {}", quote(v))))?
        ),
        Op::StringStartWith => format!(
            "({has} && {})",
            any(&|v| Ok(format!("{k} like {}", quote(&format!("{v}*")))))?
        ),
        Op::NumberLessThanEquals => format!(
            "({has} && {})",
            any(&|v| v
                .parse::<i64>()
                .map(|n| format!("{k} <= {n}"))
                .map_err(|e| format!("{v}: {e}")))?
        ),
        Op::Bool => format!("({has} && {})", any(&|v| Ok(format!("{k} == {v}")))?),
        Op::IpAddress => format!(
            "({has} && {})",
            any(&|v| Ok(format!("{k}.isInRange(ip({}))", quote(v))))?
        ),
        Op::DateLessThan => format!(
            "({has} && {})",
            any(&|v| epoch(v).map(|n| format!("{k} < {n}")))?
        ),
    })
}

/// The condition of a statement (resource and conditions), `None` when it is always true.
fn when(s: &Stmt) -> Result<Option<String>, String> {
    let mut parts = Vec::new();
    if let Some(r) = resource_constraint(&s.resources) {
        parts.push(r);
    }
    for c in &s.conds {
        parts.push(cond_expr(c)?);
    }
    Ok((!parts.is_empty()).then(|| parts.join(" && ")))
}

fn statement_policy(
    s: &Stmt,
    principal: &str,
    space: &[String],
    groups: &mut Groups,
) -> Result<String, String> {
    let effect = if s.deny { "forbid" } else { "permit" };
    let action = groups
        .constraint(&s.sid, &s.actions, space)
        .unwrap_or_else(|| "action".into());
    let mut out = format!(
        "// {}\n{effect} (\n  {principal},\n  {action},\n  resource\n)",
        s.sid
    );
    if let Some(w) = when(s)? {
        let _ = write!(out, "\nwhen {{ {w} }}");
    }
    out.push_str(";\n");
    Ok(out)
}

/// The workload as Cedar policy text and the action groups it uses.
pub fn to_cedar(w: &Workload) -> Result<(String, Groups), String> {
    let user = "principal == User::\"alice\"";
    let mut groups = Groups::default();
    let mut out = String::new();
    for p in &w.identity {
        let _ = writeln!(out, "// identity policy {}", p.name);
        for s in &p.stmts {
            out.push_str(&statement_policy(s, user, &w.actions, &mut groups)?);
        }
    }
    for (level, pols) in w.scps.iter().enumerate() {
        let _ = writeln!(out, "// SCP level {level}");
        let mut allows = Vec::new();
        let mut trivially_allowed = false;
        for p in pols {
            for s in &p.stmts {
                if s.deny {
                    out.push_str(&statement_policy(s, "principal", &w.actions, &mut groups)?);
                    continue;
                }
                let mut parts = Vec::new();
                if let Some(a) = groups.constraint(&s.sid, &s.actions, &w.actions) {
                    parts.push(a);
                }
                if let Some(c) = when(s)? {
                    parts.push(c);
                }
                if parts.is_empty() {
                    trivially_allowed = true;
                } else {
                    allows.push(format!("({})", parts.join(" && ")));
                }
            }
        }
        if !trivially_allowed {
            let unless = if allows.is_empty() {
                "false".to_owned()
            } else {
                allows.join("\n  || ")
            };
            let _ = writeln!(
                out,
                "// an Allow is needed at SCP level {level}\nforbid (principal, action, resource)\nunless {{ {unless} }};"
            );
        }
    }
    Ok((out, groups))
}

/// The workload ready for Cedar's authorizer.
#[derive(Debug)]
pub struct CedarSide {
    pub policies: cedar_policy::PolicySet,
    pub entities: cedar_policy::Entities,
    pub authorizer: cedar_policy::Authorizer,
}

impl CedarSide {
    pub fn new(w: &Workload) -> Result<CedarSide, String> {
        let (text, groups) = to_cedar(w)?;
        let policies: cedar_policy::PolicySet = text
            .parse()
            .map_err(|e: cedar_policy::ParseErrors| format!("{e:?}"))?;
        let entities =
            cedar_policy::Entities::from_json_value(groups.entities_json(&w.actions), None)
                .map_err(|e| e.to_string())?;
        Ok(CedarSide {
            policies,
            entities,
            authorizer: cedar_policy::Authorizer::new(),
        })
    }

    /// The Cedar request for an action on a resource in a context.
    pub fn request(
        &self,
        action: &str,
        resource: &str,
        kv: &Kv,
    ) -> Result<cedar_policy::Request, String> {
        let principal: cedar_policy::EntityUid =
            "User::\"alice\"".parse().map_err(|e| format!("{e}"))?;
        let action: cedar_policy::EntityUid = format!("Action::{}", quote(action))
            .parse()
            .map_err(|e| format!("{e}"))?;
        let resource_uid: cedar_policy::EntityUid = format!("Resource::{}", quote(resource))
            .parse()
            .map_err(|e| format!("{e}"))?;
        cedar_policy::Request::new(
            principal,
            action,
            resource_uid,
            cedar_context(kv, resource)?,
            None,
        )
        .map_err(|e| e.to_string())
    }

    /// True when Cedar allows.
    pub fn allows(&self, req: &cedar_policy::Request) -> bool {
        self.authorizer
            .is_authorized(req, &self.policies, &self.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

/// Every request of the workload (allowed and denied) under each of `contexts` (e.g.
/// [`context_variants`]): the number of decisions compared and the disagreements between the
/// two engines (empty when the translation is faithful).
pub fn disagreements(
    w: &Workload,
    cedar: &CedarSide,
    contexts: &[Kv],
) -> Result<(usize, Vec<String>), String> {
    let set = w.policy_set();
    let principal = w.principal();
    let mut checked = 0;
    let mut out = Vec::new();
    for (vi, kv) in contexts.iter().enumerate() {
        let ctx = iam_context(kv);
        for r in w.allowed.iter().chain(&w.denied) {
            let req = iam_policy::Request {
                action: &r.action,
                resource: &r.resource,
                context: &ctx,
            };
            let iam = set.decide(&principal, &req).is_allow();
            let ced = cedar.allows(&cedar.request(&r.action, &r.resource, kv)?);
            checked += 1;
            if iam != ced {
                out.push(format!(
                    "context variant {vi}: {} on {}: iam-policy allow={iam}, cedar allow={ced}",
                    r.action, r.resource
                ));
            }
        }
    }
    Ok((checked, out))
}
