//! Containment analysis: which access one set of policies grants that another does not.
//!
//! It backs three answers: agency **overreach** (what a user's agency grants that the user's own
//! identity policies, bounded by the same SCPs, do not), Access Analyzer's
//! **check-no-new-access** (does a new policy grant anything the existing one does not), and
//! **diff** (access a policy change adds and removes).
//!
//! The analysis is per catalog action: every allow statement of the granting side is split into
//! pieces (action, resource patterns, conditions); a piece is *contained* when one allow
//! statement of the bounding side matches the action, its resources include the piece's
//! (wildcard inclusion, segment by segment, the id under each statement's case rule of spec
//! §3.1) and its conditions are implied by the piece's, and
//! no deny statement of the bounding side may overlap the piece (unless the granting side has
//! the same deny). It is **sound**: whenever a request exists that the granting side allows and
//! the bounding side does not, a finding names its action and a resource pattern that matches
//! it. It over-approximates (reports a finding although nothing is new) when a piece is covered
//! only by the union of several bounding statements, when a bounding deny is conditional, when
//! conditions are implied only semantically (not by the same key, operator and a value
//! subset), and for `NotResource` in granting statements (treated as `*`). Actions outside the
//! catalog are not enumerated.

use crate::subject::Compiled;
use iam_catalog::Catalog;
use iam_policy::pattern::{Case, split_urn};
use iam_policy::{
    ActionElement, BaseOperator, ConditionEntry, Effect, Policy, PolicyId, PolicyKind,
    ResourceElement, ResourcePattern, Statement,
};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Access the granting side has and the bounding side may not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ContainmentFinding))]
pub struct Finding {
    /// The action.
    pub action: String,
    /// Resource patterns of the granting statement (`*` when it has no `Resource`).
    pub resources: Vec<String>,
    /// True when the granting statement uses `NotResource` (the finding then covers `*`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_resource: bool,
    /// The granting statement's `Condition`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub condition: Option<Value>,
    /// The granting policy.
    pub policy_id: String,
    /// The granting statement (0-based).
    pub statement_index: usize,
    /// Its `Sid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Why it is not contained.
    pub reason: String,
}

impl Finding {
    /// True when the finding's resource patterns match `resource`.
    pub fn matches_resource(&self, resource: &str) -> bool {
        self.not_resource
            || self
                .resources
                .iter()
                .any(|r| iam_policy::compile_resource_pattern(r).matches(resource))
    }
}

// ---- wildcard inclusion and intersection ------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Star,
    Any1,
    Lit(char),
}

fn toks(s: &str, fold: bool) -> Vec<Tok> {
    s.chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::Any1,
            c if fold => Tok::Lit(c.to_ascii_lowercase()),
            c => Tok::Lit(c),
        })
        .collect()
}

/// True when every string `p` matches is matched by `q` (sufficient check: `q`'s wildcards
/// absorb `p`'s tokens).
pub fn glob_subset(p: &str, q: &str, fold: bool) -> bool {
    let (p, q) = (toks(p, fold), toks(q, fold));
    let (np, nq) = (p.len(), q.len());
    // reach[i][j]: p[i..] is included in q[j..]
    let mut memo = vec![None::<bool>; (np + 1) * (nq + 1)];
    fn go(
        i: usize,
        j: usize,
        p: &[Tok],
        q: &[Tok],
        memo: &mut Vec<Option<bool>>,
        w: usize,
    ) -> bool {
        if let Some(v) = memo.get(i * w + j).copied().flatten() {
            return v;
        }
        let v = match q.get(j) {
            None => i == p.len(),
            Some(Tok::Star) => {
                go(i, j + 1, p, q, memo, w) || (i < p.len() && go(i + 1, j, p, q, memo, w))
            }
            Some(Tok::Any1) => match p.get(i) {
                Some(Tok::Lit(_)) | Some(Tok::Any1) => go(i + 1, j + 1, p, q, memo, w),
                _ => false,
            },
            Some(Tok::Lit(c)) => match p.get(i) {
                Some(Tok::Lit(d)) if c == d => go(i + 1, j + 1, p, q, memo, w),
                _ => false,
            },
        };
        if let Some(slot) = memo.get_mut(i * w + j) {
            *slot = Some(v);
        }
        v
    }
    go(0, 0, &p, &q, &mut memo, nq + 1)
}

/// True when some string matches both patterns.
pub fn glob_intersect(p: &str, q: &str, fold: bool) -> bool {
    let (p, q) = (toks(p, fold), toks(q, fold));
    let (np, nq) = (p.len(), q.len());
    let mut memo = vec![None::<bool>; (np + 1) * (nq + 1)];
    fn go(
        i: usize,
        j: usize,
        p: &[Tok],
        q: &[Tok],
        memo: &mut Vec<Option<bool>>,
        w: usize,
    ) -> bool {
        if let Some(v) = memo.get(i * w + j).copied().flatten() {
            return v;
        }
        let v = match (p.get(i), q.get(j)) {
            (None, None) => true,
            (Some(Tok::Star), _) => {
                go(i + 1, j, p, q, memo, w) || (j < q.len() && go(i, j + 1, p, q, memo, w))
            }
            (_, Some(Tok::Star)) => {
                go(i, j + 1, p, q, memo, w) || (i < p.len() && go(i + 1, j, p, q, memo, w))
            }
            (None, _) | (_, None) => false,
            (Some(a), Some(b)) => {
                let ok = match (a, b) {
                    (Tok::Lit(x), Tok::Lit(y)) => x == y,
                    _ => true,
                };
                ok && go(i + 1, j + 1, p, q, memo, w)
            }
        };
        if let Some(slot) = memo.get_mut(i * w + j) {
            *slot = Some(v);
        }
        v
    }
    go(0, 0, &p, &q, &mut memo, nq + 1)
}

/// Case folding per URN segment: service and type are case-insensitive. The id's case depends
/// on the statement (spec §3.1): see [`ResourcePattern::id_case`].
const FOLD: [bool; 4] = [true, false, false, true];

/// True when `p` compares the id (or the whole 1.1 `uri`) ignoring ASCII case (spec §3.1: a
/// Deny's `Resource`, an Allow's `NotResource`).
fn folds(p: &ResourcePattern) -> bool {
    p.id_case() == Case::Insensitive
}

/// Inclusion of the id parts, each under its own case rule (spec §3.1): every id `p` matches, `q`
/// matches. A folding `q` matches every case variant of what it matches, so comparing both
/// folded suffices. A pattern without ASCII letters matches the same ids either way. What is
/// left, a folding `p` and an exact `q` that both have letters, is reported as not included
/// (the safe answer for every caller: inclusion only ever removes findings).
fn id_subset(p: &str, p_folds: bool, q: &str, q_folds: bool) -> bool {
    let letters = |s: &str| s.bytes().any(|b| b.is_ascii_alphabetic());
    if q_folds {
        glob_subset(p, q, true)
    } else if p_folds && letters(p) && letters(q) {
        false
    } else {
        glob_subset(p, q, false)
    }
}

/// True when every resource `p` matches, `q` matches.
pub fn pattern_subset(p: &ResourcePattern, q: &ResourcePattern) -> bool {
    match (p, q) {
        (_, ResourcePattern::Any(_)) => true,
        (ResourcePattern::Invalid(_), _) => true,
        (ResourcePattern::Urn { source: ps, .. }, ResourcePattern::Urn { source: qs, .. }) => {
            match (split_urn(ps), split_urn(qs)) {
                (Some((pseg, pid)), Some((qseg, qid))) => {
                    (0..4).all(|k| {
                        glob_subset(
                            pseg.get(k).copied().unwrap_or(""),
                            qseg.get(k).copied().unwrap_or(""),
                            FOLD.get(k).copied().unwrap_or(false),
                        )
                    }) && id_subset(pid, folds(p), qid, folds(q))
                }
                _ => false,
            }
        }
        (ResourcePattern::Uri(a), ResourcePattern::Uri(b)) => {
            id_subset(a.as_str(), folds(p), b.as_str(), folds(q))
        }
        _ => false,
    }
}

/// True when some resource matches both patterns (over-approximated for 1.1 `uri` patterns).
/// The ids are compared folded when either pattern folds (spec §3.1): an id one pattern matches
/// exactly and the other ignoring case exists exactly when the folded patterns intersect.
pub fn pattern_intersect(p: &ResourcePattern, q: &ResourcePattern) -> bool {
    match (p, q) {
        (ResourcePattern::Invalid(_), _) | (_, ResourcePattern::Invalid(_)) => false,
        (ResourcePattern::Any(_), _) | (_, ResourcePattern::Any(_)) => true,
        (ResourcePattern::Urn { source: ps, .. }, ResourcePattern::Urn { source: qs, .. }) => {
            match (split_urn(ps), split_urn(qs)) {
                (Some((pseg, pid)), Some((qseg, qid))) => {
                    (0..4).all(|k| {
                        glob_intersect(
                            pseg.get(k).copied().unwrap_or(""),
                            qseg.get(k).copied().unwrap_or(""),
                            FOLD.get(k).copied().unwrap_or(false),
                        )
                    }) && glob_intersect(pid, qid, folds(p) || folds(q))
                }
                _ => true,
            }
        }
        _ => true,
    }
}

// ---- statements -------------------------------------------------------------------------

/// The resources of a granting piece: patterns, or everything (`None`).
fn piece_resources(r: &ResourceElement) -> Option<&[ResourcePattern]> {
    match r {
        ResourceElement::Resource(ps) => Some(ps),
        ResourceElement::Omitted | ResourceElement::NotResource(_) => None,
    }
}

/// True when every resource of the piece matches the element `r`.
fn element_covers(r: &ResourceElement, piece: Option<&[ResourcePattern]>) -> bool {
    match (r, piece) {
        (ResourceElement::Omitted, _) => true,
        (ResourceElement::Resource(qs), None) => qs.iter().any(|q| q.is_any()),
        (ResourceElement::Resource(qs), Some(ps)) => {
            ps.iter().all(|p| qs.iter().any(|q| pattern_subset(p, q)))
        }
        (ResourceElement::NotResource(_), None) => false,
        (ResourceElement::NotResource(ns), Some(ps)) => ps
            .iter()
            .all(|p| !ns.iter().any(|n| pattern_intersect(p, n))),
    }
}

/// True when some resource of the piece may match the element `r`.
fn element_may_intersect(r: &ResourceElement, piece: Option<&[ResourcePattern]>) -> bool {
    match (r, piece) {
        (ResourceElement::Omitted, _) | (_, None) => true,
        (ResourceElement::Resource(qs), Some(ps)) => ps
            .iter()
            .any(|p| qs.iter().any(|q| pattern_intersect(p, q))),
        (ResourceElement::NotResource(ns), Some(ps)) => {
            !ps.iter().all(|p| ns.iter().any(|n| pattern_subset(p, n)))
        }
    }
}

fn values_subset(a: &[String], b: &[String]) -> bool {
    a.iter().all(|v| b.contains(v))
}

/// The base operator that evaluates the same (spec §4.2: `StringLike` is the 1.1-era name of
/// `StringMatch`, `StringNotLike` of `StringNotMatch`).
fn same_meaning(b: BaseOperator) -> BaseOperator {
    match b {
        BaseOperator::StringLike => BaseOperator::StringMatch,
        BaseOperator::StringNotLike => BaseOperator::StringNotMatch,
        other => other,
    }
}

/// True when `e` holds whenever `given` holds (same key, operator (or its other spelling) and a
/// value subset).
fn entry_implied(e: &ConditionEntry, given: &ConditionEntry) -> bool {
    let (a, b) = (&e.operator, &given.operator);
    let same_operator = same_meaning(a.base) == same_meaning(b.base)
        && a.qualifier == b.qualifier
        && a.if_exists == b.if_exists;
    if !e.key.eq_ignore_ascii_case(&given.key) || !same_operator {
        return false;
    }
    match e.operator.base {
        BaseOperator::Null | BaseOperator::Bool => {
            values_subset(&e.values, &given.values) && values_subset(&given.values, &e.values)
        }
        b if b.is_negated() => values_subset(&e.values, &given.values),
        _ => values_subset(&given.values, &e.values),
    }
}

/// True when all of `conds` hold whenever all of `given` hold.
fn conditions_implied(conds: &[ConditionEntry], given: &[ConditionEntry]) -> bool {
    conds
        .iter()
        .all(|e| given.iter().any(|g| entry_implied(e, g)))
}

fn statements(layer: &Compiled) -> impl Iterator<Item = (&PolicyId, usize, &Statement)> {
    layer.iter().flat_map(|(id, p)| {
        p.statements()
            .iter()
            .enumerate()
            .map(move |(i, s)| (id, i, s))
    })
}

/// The catalog actions an action element matches.
fn actions_of<'c>(catalog: &'c Catalog, a: &ActionElement) -> Vec<&'c str> {
    match a {
        ActionElement::Action(ps) => {
            let mut out: Vec<&str> = Vec::new();
            for p in ps {
                for act in catalog.expand(p.as_str()) {
                    if !out.contains(&act.name.as_str()) {
                        out.push(&act.name);
                    }
                }
            }
            out
        }
        ActionElement::NotAction(_) => catalog
            .actions()
            .filter(|x| a.matches(&x.name))
            .map(|x| x.name.as_str())
            .collect(),
    }
}

/// The granting side: identity policies and the SCP levels that bound them.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Identity (or agency) policies.
    pub identity: &'a Compiled,
    /// SCP levels (root first).
    pub scps: &'a [Compiled],
}

/// Access `granting` has that `bounding` does not (bounding SCPs are not applied: pass the
/// same SCPs on the granting side when both principals are in one account).
pub fn new_access(catalog: &Catalog, granting: Side<'_>, bounding: &Compiled) -> Vec<Finding> {
    let mut out = Vec::new();
    for (pid, si, s) in statements(granting.identity) {
        if s.effect != Effect::Allow {
            continue;
        }
        let piece_res = piece_resources(&s.resource);
        for action in actions_of(catalog, &s.action) {
            // a condition on the action's own service that excludes it: never granted
            let service = action.split(':').next().unwrap_or_default();
            if s.condition.iter().any(|e| e.excludes_service(service)) {
                continue;
            }
            if let Some(reason) = uncovered(catalog, granting, bounding, action, s, piece_res) {
                out.push(Finding {
                    action: action.to_owned(),
                    resources: match &s.resource {
                        ResourceElement::Resource(ps) => {
                            ps.iter().map(|p| p.as_str().to_owned()).collect()
                        }
                        _ => vec!["*".to_owned()],
                    },
                    not_resource: matches!(s.resource, ResourceElement::NotResource(_)),
                    condition: s.json.get("Condition").cloned(),
                    policy_id: pid.to_string(),
                    statement_index: si,
                    sid: s.sid.clone(),
                    reason,
                });
            }
        }
    }
    out
}

/// `None` when the piece is contained (or never granted); else why not.
fn uncovered(
    _catalog: &Catalog,
    granting: Side<'_>,
    bounding: &Compiled,
    action: &str,
    s: &Statement,
    piece: Option<&[ResourcePattern]>,
) -> Option<String> {
    let surely_denies = |d: &Statement| {
        d.effect == Effect::Deny
            && d.condition.is_empty()
            && d.action.matches(action)
            && element_covers(&d.resource, piece)
    };
    // The granting side never has it: denied by its own policies or by an SCP, or an SCP
    // level never allows it.
    if statements(granting.identity).any(|(_, _, d)| surely_denies(d)) {
        return None;
    }
    for level in granting.scps {
        if statements(level).any(|(_, _, d)| surely_denies(d)) {
            return None;
        }
        let may_allow = statements(level).any(|(_, _, a)| {
            a.effect == Effect::Allow
                && a.action.matches(action)
                && element_may_intersect(&a.resource, piece)
        });
        if !may_allow {
            return None;
        }
    }
    // A bounding allow that contains the piece.
    let covering = statements(bounding).find(|(_, _, u)| {
        u.effect == Effect::Allow
            && u.action.matches(action)
            && element_covers(&u.resource, piece)
            && conditions_implied(&u.condition, &s.condition)
    });
    let Some(_) = covering else {
        let partial = statements(bounding).any(|(_, _, u)| {
            u.effect == Effect::Allow
                && u.action.matches(action)
                && element_may_intersect(&u.resource, piece)
        });
        return Some(if partial {
            "no single allow statement of the bounding policies covers these resources under these conditions (it is allowed only in part, or under other conditions)".to_owned()
        } else {
            "no allow statement of the bounding policies grants this action on these resources"
                .to_owned()
        });
    };
    // A bounding deny that may take some of it away, unless the granting side denies the same.
    let granting_denies_too = |d: &Statement| {
        statements(granting.identity)
            .chain(granting.scps.iter().flat_map(statements))
            .any(|(_, _, g)| {
                g.effect == Effect::Deny
                    && g.action.matches(action)
                    && element_covers_element(&g.resource, &d.resource)
                    && conditions_implied(&g.condition, &d.condition)
            })
    };
    for (pid, di, d) in statements(bounding) {
        if d.effect == Effect::Deny
            && d.action.matches(action)
            && element_may_intersect(&d.resource, piece)
            && !granting_denies_too(d)
        {
            return Some(format!(
                "deny statement {di} of {pid} in the bounding policies may deny part of it"
            ));
        }
    }
    None
}

/// True when element `g` matches every resource element `d` matches.
fn element_covers_element(g: &ResourceElement, d: &ResourceElement) -> bool {
    match d {
        ResourceElement::Resource(ps) => element_covers(g, Some(ps)),
        _ => element_covers(g, None),
    }
}

// ---- answers ----------------------------------------------------------------------------

/// Overreach of an agency for one user.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overreach {
    /// The user URN.
    pub user: String,
    /// The agency name.
    pub agency: String,
    /// True when the agency grants nothing beyond the user's permissions.
    pub ok: bool,
    /// What the agency grants beyond them.
    pub findings: Vec<Finding>,
}

/// The agency's grants (bounded by the SCPs) that the user's identity policies (bounded by the
/// same SCPs) do not have. The account root user has every permission: never an overreach.
pub fn overreach(
    catalog: &Catalog,
    user: &crate::Subject,
    agency_name: &str,
    agency_identity: &Compiled,
) -> Overreach {
    let findings = if user.principal.is_root_user {
        Vec::new()
    } else {
        let scps: &[Compiled] = if user.principal.is_management_account {
            &[]
        } else {
            &user.scps
        };
        new_access(
            catalog,
            Side {
                identity: agency_identity,
                scps,
            },
            &user.identity,
        )
    };
    Overreach {
        user: user.principal.urn.clone(),
        agency: agency_name.to_owned(),
        ok: findings.is_empty(),
        findings,
    }
}

/// A reason of check-no-new-access (Huawei's `CheckNoNewAccessReason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckReason {
    /// What is new.
    pub description: String,
    /// The new statement's `Sid` (empty when none).
    pub statement_id: String,
    /// The new statement's index (0-based).
    pub statement_index: usize,
}

/// The answer of check-no-new-access (Huawei's `CheckNoNewAccessResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckResult {
    /// Summary.
    pub message: String,
    /// `pass` (no new access) or `fail`.
    pub check_result: String,
    /// One per new statement that adds access.
    pub reasons: Vec<CheckReason>,
}

fn compiled(id: &str, p: &Policy) -> Compiled {
    vec![(PolicyId::new(id), Arc::new(p.clone()))]
}

/// Does `new` grant access `existing` does not?
pub fn check_no_new_access(catalog: &Catalog, existing: &Policy, new: &Policy) -> CheckResult {
    let findings = new_access(
        catalog,
        Side {
            identity: &compiled("new", new),
            scps: &[],
        },
        &compiled("existing", existing),
    );
    let mut reasons: Vec<CheckReason> = Vec::new();
    for f in &findings {
        match reasons
            .iter_mut()
            .find(|r| r.statement_index == f.statement_index)
        {
            Some(r) => {
                if r.description.matches(", ").count() < 9 {
                    r.description.push_str(", ");
                    r.description.push_str(&f.action);
                } else if !r.description.ends_with(" ...") {
                    r.description.push_str(" ...");
                }
            }
            None => reasons.push(CheckReason {
                description: format!(
                    "statement {} grants new access on {}: {}",
                    f.statement_index,
                    f.resources.join(", "),
                    f.action
                ),
                statement_id: f.sid.clone().unwrap_or_default(),
                statement_index: f.statement_index,
            }),
        }
    }
    let pass = reasons.is_empty();
    CheckResult {
        message: if pass {
            "The updated policy does not grant new access.".into()
        } else {
            format!(
                "The updated policy grants new access in {} statement(s).",
                reasons.len()
            )
        },
        check_result: if pass { "pass" } else { "fail" }.into(),
        reasons,
    }
}

/// Access a policy change adds and removes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PolicyDiff))]
pub struct Diff {
    /// Access the new policies grant that the old ones do not.
    pub added: Vec<Finding>,
    /// Access the old policies grant that the new ones do not.
    pub removed: Vec<Finding>,
}

/// Compares two sets of identity policies.
pub fn diff(catalog: &Catalog, old: &Compiled, new: &Compiled) -> Diff {
    Diff {
        added: new_access(
            catalog,
            Side {
                identity: new,
                scps: &[],
            },
            old,
        ),
        removed: new_access(
            catalog,
            Side {
                identity: old,
                scps: &[],
            },
            new,
        ),
    }
}

/// Parses identity documents into a compiled layer (ids `<prefix>[i]`).
pub fn parse_identity(prefix: &str, docs: &[String]) -> Result<Compiled, String> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            Policy::parse(d, PolicyKind::Identity)
                .map(|p| (PolicyId::new(format!("{prefix}[{i}]")), Arc::new(p)))
                .map_err(|e| format!("{prefix}[{i}]: {e}"))
        })
        .collect()
}

/// Readable lines for findings.
pub fn findings_text(findings: &[Finding]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for f in findings {
        let _ = write!(
            s,
            "  {} on {}{}",
            f.action,
            if f.not_resource {
                "NotResource ".to_owned() + &f.resources.join(", ")
            } else {
                f.resources.join(", ")
            },
            f.condition
                .as_ref()
                .map_or(String::new(), |c| format!(" when {c}"))
        );
        let _ = writeln!(
            s,
            "  ({} statement {}): {}",
            f.policy_id, f.statement_index, f.reason
        );
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
    use super::*;

    /// `StringLike`/`StringNotLike` are other spellings of `StringMatch`/`StringNotMatch` (spec
    /// §4.2): a policy and its respelling grant the same access.
    #[test]
    fn operator_spellings_of_one_meaning_contain_each_other() {
        let doc = |op: &str, version: &str| {
            format!(
                r#"{{"Version": "{version}", "Statement": [{{"Effect": "Allow", "Action": ["obs:object:get*"],
                    "Condition": {{"{op}": {{"g:UserName": ["team-*"]}}}}}}]}}"#
            )
        };
        let catalog = Catalog::builtin();
        for (a, b) in [
            ("StringLike", "StringMatch"),
            (
                "ForAnyValue:StringNotLikeIfExists",
                "ForAnyValue:StringNotMatchIfExists",
            ),
        ] {
            let old = parse_identity("old", &[doc(a, "1.1")]).unwrap();
            let new = parse_identity("new", &[doc(b, "5.0")]).unwrap();
            let d = diff(catalog, &old, &new);
            assert!(
                d.added.is_empty() && d.removed.is_empty(),
                "{a} vs {b}: {d:?}"
            );
        }
        // A different operator is still a difference.
        let old = parse_identity("old", &[doc("StringLike", "1.1")]).unwrap();
        let new = parse_identity("new", &[doc("StringEquals", "5.0")]).unwrap();
        assert!(!diff(catalog, &old, &new).removed.is_empty());
    }

    #[test]
    fn glob_inclusion_and_intersection() {
        assert!(glob_subset("b1/in/*", "b1/*", false));
        assert!(!glob_subset("b1/*", "b1/in/*", false));
        assert!(glob_subset("abc", "a?c", false));
        assert!(!glob_subset("a*c", "a?c", false));
        assert!(glob_subset("a?c", "a*", false));
        assert!(glob_subset("TrainJob", "trainjob", true));
        assert!(!glob_subset("TrainJob", "trainjob", false));
        assert!(glob_intersect("b1/*", "*/in/x", false));
        assert!(!glob_intersect("b1/*", "b2/*", false));
        assert!(glob_intersect("a?", "*b", false));
        assert!(!glob_intersect("a", "b*", false));
    }

    #[test]
    fn urn_patterns() {
        let p = |s: &str| iam_policy::compile_resource_pattern(s);
        assert!(pattern_subset(
            &p("obs:*:*:object:b1/in/*"),
            &p("obs:*:*:object:b1/*")
        ));
        assert!(pattern_subset(
            &p("OBS:*:*:Object:b1/x"),
            &p("obs:*:*:object:b1/*")
        ));
        assert!(!pattern_subset(
            &p("obs:*:*:object:b1/*"),
            &p("obs:*:*:bucket:*")
        ));
        assert!(pattern_subset(&p("obs:*:*:object:b1/*"), &p("*")));
        assert!(!pattern_subset(&p("*"), &p("obs:*:*:object:*")));
        assert!(pattern_intersect(
            &p("obs:cn-north-4:*:object:*"),
            &p("obs:*:acc:object:b1/*")
        ));
        assert!(!pattern_intersect(
            &p("obs:cn-north-4:*:object:*"),
            &p("obs:cn-north-5:*:object:*")
        ));
    }

    /// Spec §3.1: each pattern's id is compared under its own statement's case rule.
    #[test]
    fn id_case_of_each_side() {
        let exact = |s: &str| iam_policy::compile_resource_pattern_with(s, Case::Sensitive);
        let fold = |s: &str| iam_policy::compile_resource_pattern_with(s, Case::Insensitive);
        // A folding `q` includes every spelling of what it names.
        assert!(pattern_subset(
            &exact("m:*:*:t:NB-1"),
            &fold("m:*:*:t:nb-*")
        ));
        assert!(pattern_subset(&fold("m:*:*:t:NB-1"), &fold("m:*:*:t:nb-*")));
        assert!(!pattern_subset(
            &exact("m:*:*:t:NB-1"),
            &exact("m:*:*:t:nb-*")
        ));
        // An exact `q` does not include every spelling a folding `p` names...
        assert!(!pattern_subset(
            &fold("m:*:*:t:nb-1"),
            &exact("m:*:*:t:nb-1")
        ));
        // ... unless case cannot matter on one side.
        assert!(pattern_subset(&fold("m:*:*:t:1-*"), &exact("m:*:*:t:1-*")));
        assert!(pattern_subset(&fold("m:*:*:t:nb-1"), &exact("m:*:*:t:*")));
        // Intersection folds when either side does; only ASCII letters fold.
        assert!(pattern_intersect(
            &exact("m:*:*:t:NB-1"),
            &fold("m:*:*:t:nb-1")
        ));
        assert!(pattern_intersect(
            &fold("m:*:*:t:NB-1"),
            &exact("m:*:*:t:nb-?")
        ));
        assert!(!pattern_intersect(
            &exact("m:*:*:t:NB-1"),
            &exact("m:*:*:t:nb-1")
        ));
        assert!(!pattern_intersect(
            &fold("m:*:*:t:äbc"),
            &exact("m:*:*:t:ÄBC")
        ));
        // 1.1 `uri` patterns: the whole string.
        let uri = |s: &str, c| iam_policy::pattern::compile_uri_pattern(s, c);
        assert!(pattern_subset(
            &uri("/iam/agencies/A", Case::Sensitive),
            &uri("/iam/agencies/a", Case::Insensitive)
        ));
        assert!(!pattern_subset(
            &uri("/iam/agencies/a", Case::Insensitive),
            &uri("/iam/agencies/a", Case::Sensitive)
        ));
    }
}
