//! Evaluation of a request against a principal's policies (spec §5, §6).

use crate::condition::{ConditionEntry, Env, Outcome, condition_applies};
use crate::context::Context;
use crate::pattern::{byte_mask, service_of};
use crate::policy::{ActionElement, Effect, Policy, Statement};
use std::fmt;
use std::sync::Arc;

/// The principal making a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    /// The principal URN (`iam::<acct>:user:<name>`, `sts::<acct>:assumed-agency:<a>/<s>`).
    pub urn: String,
    /// The principal's account id.
    pub account_id: String,
    /// True for the account root user (spec §6 rule 5).
    #[serde(default)]
    pub is_root_user: bool,
    /// True when the principal's account is the organization's management account (SCPs do not
    /// apply, spec §6 rule 2).
    #[serde(default)]
    pub is_management_account: bool,
}

impl Default for Principal {
    /// The default principal of evaluation cases (spec §8).
    fn default() -> Self {
        Principal {
            urn: "iam::000000000000:user:test".into(),
            account_id: "000000000000".into(),
            is_root_user: false,
            is_management_account: false,
        }
    }
}

/// A request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The action (`modelarts:trainJob:get`).
    pub action: &'a str,
    /// The resource URN, or `*` for actions without a resource type.
    pub resource: &'a str,
    /// The request context.
    pub context: &'a Context,
}

/// The outcome of an authorization decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every required layer allows and nothing denies.
    Allow,
    /// A matching `Deny` statement exists.
    ExplicitDeny,
    /// Some required layer has no matching `Allow`.
    ImplicitDeny,
}

impl Decision {
    /// `allow`, `explicit_deny` or `implicit_deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit_deny",
            Decision::ImplicitDeny => "implicit_deny",
        }
    }

    /// Severity for combining several decisions: explicit deny > implicit deny > allow.
    pub fn severity(self) -> u8 {
        match self {
            Decision::Allow => 0,
            Decision::ImplicitDeny => 1,
            Decision::ExplicitDeny => 2,
        }
    }

    /// True for [`Decision::Allow`].
    pub fn is_allow(self) -> bool {
        self == Decision::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(Decision::Allow),
            "explicit_deny" => Ok(Decision::ExplicitDeny),
            "implicit_deny" => Ok(Decision::ImplicitDeny),
            other => Err(format!(
                "unknown decision `{other}`; use `allow`, `explicit_deny` or `implicit_deny`"
            )),
        }
    }
}

/// The id of a policy within a [`PolicySet`] (a store id, or a position in a case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(Arc<str>);

impl PolicyId {
    /// Makes an id.
    pub fn new(id: impl AsRef<str>) -> Self {
        PolicyId(Arc::from(id.as_ref()))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PolicyId {
    fn from(s: &str) -> Self {
        PolicyId::new(s)
    }
}

impl From<String> for PolicyId {
    fn from(s: String) -> Self {
        PolicyId::new(s)
    }
}

impl serde::Serialize for PolicyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PolicyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Ok(PolicyId::new(s))
    }
}

/// A policy layer of spec §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Identity policies of the principal.
    Identity,
    /// Service control policies (one level per node, root first).
    Scp,
    /// Session policies of an agency session.
    Session,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Identity => "identity",
            Layer::Scp => "scp",
            Layer::Session => "session",
        })
    }
}

/// A layer, with the SCP level (0 = root) for [`Layer::Scp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerRef {
    /// The layer.
    pub layer: Layer,
    /// The SCP level (0 = root), `None` for other layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
}

/// Identifies one statement of a [`PolicySet`] (spec §6.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementRef {
    /// The layer of the policy.
    pub layer: Layer,
    /// The SCP level (0 = root), `None` for other layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// The policy id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub policy_id: PolicyId,
    /// Index of the policy within its layer (or SCP level).
    pub policy_index: usize,
    /// Index of the statement in the policy (0-based).
    pub statement_index: usize,
    /// The statement's `Sid`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The statement's effect.
    pub effect: Effect,
}

/// A condition entry that did not hold (or could not be evaluated) for a statement whose action
/// and resource matched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedCondition {
    /// The statement.
    pub statement: StatementRef,
    /// The operator as written.
    pub operator: String,
    /// The condition key as written.
    pub key: String,
    /// The policy's values.
    pub policy_values: Vec<String>,
    /// The request's values of the key (empty when missing).
    pub request_values: Vec<String>,
    /// Why the condition could not be evaluated (a request value that does not parse).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The full explanation of a decision (spec §6.2). It deserializes from its own JSON (the
/// server's `/v1/authorize` and `/v1/simulate` answers), so a client renders it like a local one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// The decision (always equal to [`PolicySet::decide`]).
    pub decision: Decision,
    /// The denial text of spec §6.1; `None` for an allow.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub message: Option<String>,
    /// For a deny, the cause in words: the deciding layer and why it decided (spec §6.2), such
    /// as `no matching Allow in identity policies`, `no Allow at SCP level 1 (every SCP level
    /// needs an Allow, such as FullAccess)`, `no Allow in the session policy` or `explicit Deny
    /// statement #0 (Sid NoDelete) of policy P in SCP level 2`; several causes are joined with
    /// `; `, the primary one first. `None` for an allow. [`Explanation::cause_text`] builds it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
    /// For an allow, the first allowing statement of each required layer; for an explicit deny,
    /// every matching deny statement; empty for an implicit deny.
    pub statements: Vec<StatementRef>,
    /// For a deny, the layers that deny (explicit) or lack an allow (implicit); the first is the
    /// primary reason (order scp from the root level, session, identity).
    pub failing_layers: Vec<LayerRef>,
    /// Only the conditions that decided: for an implicit deny, the conditions that did not hold
    /// (or could not be evaluated) in the `Allow` statements of the failing layers whose action
    /// and resource matched; for an explicit deny, the conditions of the matching `Deny`
    /// statements that could not be evaluated (a request value that does not parse makes a
    /// `Deny` apply, spec §4.3); empty for an allow. Conditions of `Deny` statements that did not
    /// apply, and of `Allow` statements in layers that allowed, never appear: they did not
    /// change the decision.
    pub failed_conditions: Vec<FailedCondition>,
    /// Remarks such as "the root user is allowed by the identity layer".
    pub notes: Vec<String>,
}

impl Explanation {
    /// The cause of a deny in words ([`Explanation::reason`]), naming statements with `name`
    /// (for instance the policy id and the statement index); `None` for an allow.
    ///
    /// - explicit deny: `explicit Deny <statement> in <layer>` for every matching `Deny`;
    /// - implicit deny, for every failing layer: `no Allow at SCP level N (every SCP level needs
    ///   an Allow, such as FullAccess)`, `no Allow in the session policy`, `no matching Allow in
    ///   identity policies`.
    pub fn cause_text(&self, name: impl Fn(&StatementRef) -> String) -> Option<String> {
        let causes: Vec<String> = match self.decision {
            Decision::Allow => return None,
            Decision::ExplicitDeny => self
                .statements
                .iter()
                .map(|s| {
                    format!(
                        "explicit Deny {} in {}",
                        name(s),
                        layer_words(s.layer, s.level)
                    )
                })
                .collect(),
            Decision::ImplicitDeny => self
                .failing_layers
                .iter()
                .map(|l| match (l.layer, l.level) {
                    (Layer::Scp, level) => format!(
                        "no Allow at SCP level {} (every SCP level needs an Allow, such as FullAccess)",
                        level.map_or_else(|| "?".to_owned(), |n| n.to_string())
                    ),
                    (Layer::Session, _) => "no Allow in the session policy".to_owned(),
                    (Layer::Identity, _) => "no matching Allow in identity policies".to_owned(),
                })
                .collect(),
        };
        if causes.is_empty() {
            // An explicit deny always names its statements and an implicit deny its layers;
            // never leave a deny without a cause.
            return Some(match self.decision {
                Decision::ExplicitDeny => "explicit Deny".to_owned(),
                _ => "no matching Allow".to_owned(),
            });
        }
        Some(causes.join("; "))
    }
}

/// `identity policies`, `SCP level N`, `the session policy`.
fn layer_words(layer: Layer, level: Option<usize>) -> String {
    match (layer, level) {
        (Layer::Identity, _) => "identity policies".to_owned(),
        (Layer::Scp, Some(n)) => format!("SCP level {n}"),
        (Layer::Scp, None) => "an SCP".to_owned(),
        (Layer::Session, _) => "the session policy".to_owned(),
    }
}

/// `statement #I (Sid S) of policy P`: a statement as the engine's reasons name it.
pub fn statement_words(s: &StatementRef) -> String {
    statement_words_as(s, s.policy_id.as_str())
}

/// [`statement_words`] with the policy shown as `policy` (a display name such as the file it
/// was read from).
pub fn statement_words_as(s: &StatementRef, policy: &str) -> String {
    let sid = s
        .sid
        .as_deref()
        .map(|sid| format!(" (Sid {sid})"))
        .unwrap_or_default();
    format!("statement #{}{sid} of policy {policy}", s.statement_index)
}

/// A reference to one statement in the index.
#[derive(Debug, Clone, Copy)]
struct SRef {
    policy: u32,
    statement: u32,
}

/// Statements of one effect, bucketed by the literal service of their action patterns.
#[derive(Debug, Default)]
struct Index {
    by_service: Vec<(Box<str>, Vec<SRef>)>,
    any: Vec<SRef>,
}

impl Index {
    fn add(&mut self, r: SRef, s: &Statement) {
        let ActionElement::Action(patterns) = &s.action else {
            self.any.push(r);
            return;
        };
        let mut services: Vec<&str> = Vec::new();
        for p in patterns {
            match p.service() {
                Some(svc) => {
                    if !services.contains(&svc) {
                        services.push(svc);
                    }
                }
                None => {
                    self.any.push(r);
                    return;
                }
            }
        }
        for svc in services {
            match self.by_service.iter_mut().find(|(k, _)| k.as_ref() == svc) {
                Some((_, v)) => v.push(r),
                None => self.by_service.push((svc.into(), vec![r])),
            }
        }
    }

    fn candidates(&self, service: &str) -> impl Iterator<Item = SRef> + '_ {
        let bucket: &[SRef] = self
            .by_service
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(service))
            .map_or(&[], |(_, v)| v.as_slice());
        bucket.iter().chain(self.any.iter()).copied()
    }
}

/// The policies of one layer (or one SCP level) and their index.
#[derive(Debug, Default)]
struct Unit {
    policies: Vec<(PolicyId, Arc<Policy>)>,
    allow: Index,
    deny: Index,
}

impl Unit {
    fn new(policies: Vec<(PolicyId, Arc<Policy>)>) -> Unit {
        let mut unit = Unit {
            policies,
            ..Unit::default()
        };
        for (pi, (_, policy)) in unit.policies.iter().enumerate() {
            for (si, s) in policy.statements().iter().enumerate() {
                let r = SRef {
                    policy: u32::try_from(pi).unwrap_or(u32::MAX),
                    statement: u32::try_from(si).unwrap_or(u32::MAX),
                };
                match s.effect {
                    Effect::Allow => unit.allow.add(r, s),
                    Effect::Deny => unit.deny.add(r, s),
                }
            }
        }
        unit
    }

    fn statement(&self, r: SRef) -> Option<&Statement> {
        self.policies
            .get(r.policy as usize)
            .and_then(|(_, p)| p.statements().get(r.statement as usize))
    }

    /// True when some statement of the given effect matches the request (`action` is the
    /// request's action, ASCII-lowercased when `lowered`).
    fn any_match(
        &self,
        deny: bool,
        req: &Request<'_>,
        action: (&str, bool, u64),
        env: &Env<'_>,
    ) -> bool {
        let index = if deny { &self.deny } else { &self.allow };
        index.candidates(service_of(action.0)).any(|r| {
            self.statement(r)
                .is_some_and(|s| statement_matches(s, req, action, env))
        })
    }
}

fn statement_matches(
    s: &Statement,
    req: &Request<'_>,
    (action, lowered, mask): (&str, bool, u64),
    env: &Env<'_>,
) -> bool {
    let action_matches = if lowered {
        s.action.matches_lowercase(action, mask)
    } else {
        s.action.matches(action)
    };
    action_matches
        && s.resource.matches(req.resource)
        && condition_applies(&s.condition, s.effect == Effect::Deny, env)
}

/// Longest action lowercased on the stack; longer ones are matched case-insensitively as is.
const LOWER_BUF: usize = 256;

/// The action ASCII-lowercased (into `buf` unless it already is), `true` and its byte mask; or
/// the action itself, `false` and 0 when it is too long for the buffer.
fn lowercase_action<'a>(action: &'a str, buf: &'a mut [u8; LOWER_BUF]) -> (&'a str, bool, u64) {
    if !action.bytes().any(|b| b.is_ascii_uppercase()) {
        return (action, true, byte_mask(action));
    }
    let Some(dst) = buf.get_mut(..action.len()) else {
        return (action, false, 0);
    };
    dst.copy_from_slice(action.as_bytes());
    dst.make_ascii_lowercase();
    // ASCII lowercasing keeps UTF-8 valid; fall back to the original on the impossible error.
    match std::str::from_utf8(dst) {
        Ok(lower) => (lower, true, byte_mask(lower)),
        Err(_) => (action, false, 0),
    }
}

/// The compiled policies that apply to one principal, indexed for fast decisions. Immutable and
/// `Send + Sync`; build it once per principal and share it.
#[derive(Debug, Default)]
pub struct PolicySet {
    identity: Unit,
    scps: Vec<Unit>,
    session: Unit,
}

impl PolicySet {
    /// Builds the set: identity policies, SCP levels (root first, account last; an empty outer
    /// list means no SCPs) and session policies (an empty list means no session policy).
    pub fn new(
        identity: Vec<(PolicyId, Arc<Policy>)>,
        scps: Vec<Vec<(PolicyId, Arc<Policy>)>>,
        session: Vec<(PolicyId, Arc<Policy>)>,
    ) -> PolicySet {
        PolicySet {
            identity: Unit::new(identity),
            scps: scps.into_iter().map(Unit::new).collect(),
            session: Unit::new(session),
        }
    }

    /// The identity policies.
    pub fn identity(&self) -> &[(PolicyId, Arc<Policy>)] {
        &self.identity.policies
    }

    /// The SCP levels.
    pub fn scp_levels(&self) -> impl Iterator<Item = &[(PolicyId, Arc<Policy>)]> {
        self.scps.iter().map(|u| u.policies.as_slice())
    }

    /// The session policies.
    pub fn session(&self) -> &[(PolicyId, Arc<Policy>)] {
        &self.session.policies
    }

    /// Whether any statement of the set has a `Condition`. Without one, a decision depends only
    /// on the principal, the action and the resource, never on the request context, so callers
    /// may cache it for as long as the set itself does not change.
    pub fn has_conditions(&self) -> bool {
        std::iter::once(&self.identity)
            .chain(&self.scps)
            .chain(std::iter::once(&self.session))
            .flat_map(|u| &u.policies)
            .any(|(_, p)| p.statements().iter().any(|s| !s.condition.is_empty()))
    }

    /// Whether a `Condition` of any statement of the set names a key for which `matches` holds
    /// (key names as written). An enforcement point that must ask another system for a key's
    /// value asks only when a policy can read it.
    pub fn mentions_key(&self, matches: impl Fn(&str) -> bool) -> bool {
        std::iter::once(&self.identity)
            .chain(&self.scps)
            .chain(std::iter::once(&self.session))
            .flat_map(|u| &u.policies)
            .flat_map(|(_, p)| p.statements())
            .flat_map(|s| s.condition.iter())
            .any(|c| matches(&c.key))
    }

    /// [`PolicySet::mentions_key`], counting only the statements whose `Action`/`NotAction`
    /// applies to one of `actions`: a condition of a statement about other actions cannot
    /// change their decision.
    pub fn mentions_key_for(&self, actions: &[&str], matches: impl Fn(&str) -> bool) -> bool {
        std::iter::once(&self.identity)
            .chain(&self.scps)
            .chain(std::iter::once(&self.session))
            .flat_map(|u| &u.policies)
            .flat_map(|(_, p)| p.statements())
            .filter(|s| actions.iter().any(|a| s.action.matches(a)))
            .flat_map(|s| s.condition.iter())
            .any(|c| matches(&c.key))
    }

    /// Looks up the statement a [`StatementRef`] names.
    pub fn statement(&self, r: &StatementRef) -> Option<&Statement> {
        let unit = match r.layer {
            Layer::Identity => &self.identity,
            Layer::Session => &self.session,
            Layer::Scp => self.scps.get(r.level?)?,
        };
        unit.policies
            .get(r.policy_index)
            .and_then(|(_, p)| p.statements().get(r.statement_index))
    }

    /// Decides a request (spec §6). Visits only statements indexed under the request's service
    /// (plus those whose action patterns may match any service); allocates nothing.
    pub fn decide(&self, principal: &Principal, req: &Request<'_>) -> Decision {
        let env = env_for(principal, req);
        let mut buf = [0u8; LOWER_BUF];
        let action = lowercase_action(req.action, &mut buf);
        let scps_apply = !self.scps.is_empty() && !principal.is_management_account;
        let session_applies = !self.session.policies.is_empty();
        // 1. explicit deny
        if !principal.is_root_user && self.identity.any_match(true, req, action, &env) {
            return Decision::ExplicitDeny;
        }
        if scps_apply
            && self
                .scps
                .iter()
                .any(|u| u.any_match(true, req, action, &env))
        {
            return Decision::ExplicitDeny;
        }
        if session_applies && self.session.any_match(true, req, action, &env) {
            return Decision::ExplicitDeny;
        }
        // 2. SCP boundary, 3. session boundary, 4. identity (5. root user)
        if scps_apply
            && !self
                .scps
                .iter()
                .all(|u| u.any_match(false, req, action, &env))
        {
            return Decision::ImplicitDeny;
        }
        if session_applies && !self.session.any_match(false, req, action, &env) {
            return Decision::ImplicitDeny;
        }
        if !principal.is_root_user && !self.identity.any_match(false, req, action, &env) {
            return Decision::ImplicitDeny;
        }
        Decision::Allow
    }

    /// Decides a request and explains the decision (spec §6.2). Evaluates every statement;
    /// allocates freely.
    pub fn explain(&self, principal: &Principal, req: &Request<'_>) -> Explanation {
        let env = env_for(principal, req);
        let scps_apply = !self.scps.is_empty() && !principal.is_management_account;
        let session_applies = !self.session.policies.is_empty();
        let mut notes = Vec::new();
        if !self.scps.is_empty() && principal.is_management_account {
            notes
                .push("service control policies do not apply to the management account".to_owned());
        }
        if principal.is_root_user {
            notes.push(
                "the account root user is allowed by the identity layer; its identity policies are ignored"
                    .to_owned(),
            );
        }
        // Layers in the order of the primary reason: scp levels, session, identity.
        let mut layers: Vec<(LayerRef, &Unit)> = Vec::new();
        if scps_apply {
            for (level, unit) in self.scps.iter().enumerate() {
                layers.push((
                    LayerRef {
                        layer: Layer::Scp,
                        level: Some(level),
                    },
                    unit,
                ));
            }
        }
        if session_applies {
            layers.push((
                LayerRef {
                    layer: Layer::Session,
                    level: None,
                },
                &self.session,
            ));
        }
        if !principal.is_root_user {
            layers.push((
                LayerRef {
                    layer: Layer::Identity,
                    level: None,
                },
                &self.identity,
            ));
        }
        let mut denies = Vec::new();
        let mut deny_layers = Vec::new();
        let mut first_allows = Vec::new();
        let mut allow_missing = Vec::new();
        // Conditions that made a matching Deny apply by failing closed (errors), and conditions
        // that kept an Allow of a layer without any allow from applying: the only ones that can
        // have decided (spec §6.2).
        let mut deny_errors = Vec::new();
        let mut missing_failed = Vec::new();
        for (lr, unit) in &layers {
            let mut layer_denied = false;
            let mut first_allow = None;
            let mut allow_failed = Vec::new();
            for (pi, (id, policy)) in unit.policies.iter().enumerate() {
                for (si, s) in policy.statements().iter().enumerate() {
                    if !(s.action.matches(req.action) && s.resource.matches(req.resource)) {
                        continue;
                    }
                    let sref = StatementRef {
                        layer: lr.layer,
                        level: lr.level,
                        policy_id: id.clone(),
                        policy_index: pi,
                        statement_index: si,
                        sid: s.sid.clone(),
                        effect: s.effect,
                    };
                    let deny = s.effect == Effect::Deny;
                    let applies = condition_applies(&s.condition, deny, &env);
                    if deny {
                        if applies {
                            for entry in &s.condition {
                                let outcome = entry.eval(&env);
                                if outcome == Outcome::Error {
                                    deny_errors.push(failed_condition(entry, outcome, &sref, &env));
                                }
                            }
                            layer_denied = true;
                            denies.push(sref);
                        }
                    } else if applies {
                        if first_allow.is_none() {
                            first_allow = Some(sref);
                        }
                    } else {
                        for entry in &s.condition {
                            let outcome = entry.eval(&env);
                            if outcome != Outcome::True {
                                allow_failed.push(failed_condition(entry, outcome, &sref, &env));
                            }
                        }
                    }
                }
            }
            if layer_denied {
                deny_layers.push(*lr);
            }
            match first_allow {
                Some(s) => first_allows.push(s),
                None => {
                    allow_missing.push(*lr);
                    missing_failed.append(&mut allow_failed);
                }
            }
        }
        let (decision, statements, failing_layers, failed_conditions) = if !denies.is_empty() {
            (Decision::ExplicitDeny, denies, deny_layers, deny_errors)
        } else if !allow_missing.is_empty() {
            (
                Decision::ImplicitDeny,
                Vec::new(),
                allow_missing,
                missing_failed,
            )
        } else {
            (Decision::Allow, first_allows, Vec::new(), Vec::new())
        };
        let message = failing_layers
            .first()
            .map(|lr| denial_message(decision, lr.layer, &principal.urn, req));
        let mut explanation = Explanation {
            decision,
            message,
            reason: None,
            statements,
            failing_layers,
            failed_conditions,
            notes,
        };
        explanation.reason = explanation.cause_text(statement_words);
        explanation
    }
}

fn env_for<'a>(principal: &'a Principal, req: &Request<'a>) -> Env<'a> {
    Env {
        ctx: req.context,
        service: req.action.split(':').next(),
        urn: Some(&principal.urn),
        account: Some(&principal.account_id),
        root: Some(principal.is_root_user),
    }
}

fn failed_condition(
    entry: &ConditionEntry,
    outcome: Outcome,
    sref: &StatementRef,
    env: &Env<'_>,
) -> FailedCondition {
    let request_values = env.values(entry.key_lower()).to_vec();
    let error = if outcome == Outcome::Error {
        request_values
            .iter()
            .find_map(|v| entry.value_error(v))
            .map(|e| e.message().to_owned())
    } else {
        None
    };
    FailedCondition {
        statement: sref.clone(),
        operator: entry.operator_name.clone(),
        key: entry.key.clone(),
        policy_values: entry.values.clone(),
        request_values,
        error,
    }
}

/// The denial text of spec §6.1 for a deny decision and the primary failing layer.
pub fn denial_message(
    decision: Decision,
    layer: Layer,
    principal: &str,
    req: &Request<'_>,
) -> String {
    let (action, resource) = (req.action, req.resource);
    let head = format!(
        "User: {principal} is not authorized to perform action {action} on resource {resource}"
    );
    let noun = match layer {
        Layer::Identity => "identity-based policy",
        Layer::Scp => "service control policy",
        Layer::Session => "session policy",
    };
    match decision {
        Decision::ExplicitDeny => {
            let article = if layer == Layer::Identity { "an" } else { "a" };
            format!("{head} with an explicit deny in {article} {noun}.")
        }
        _ => format!("{head} because no {noun} allows the {action} action."),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;
    use crate::PolicyKind;

    fn policy(kind: PolicyKind, condition: bool) -> Vec<(PolicyId, Arc<Policy>)> {
        let condition = if condition {
            r#","Condition":{"StringEquals":{"g:UserName":["alice"]}}"#
        } else {
            ""
        };
        let doc = format!(
            r#"{{"Version":"5.0","Statement":[{{"Effect":"Allow","Action":["obs:*:*"]}},{{"Effect":"Deny","Action":["ecs:*:*"]{condition}}}]}}"#
        );
        vec![(
            PolicyId::new("p"),
            Arc::new(Policy::parse(&doc, kind).unwrap()),
        )]
    }

    #[test]
    fn has_conditions_looks_at_every_layer() {
        // (identity, scp, session) has a condition, expected
        let cases = [
            ((false, false, false), false),
            ((true, false, false), true),
            ((false, true, false), true),
            ((false, false, true), true),
            ((true, true, true), true),
        ];
        for ((identity, scp, session), expected) in cases {
            let set = PolicySet::new(
                policy(PolicyKind::Identity, identity),
                vec![policy(PolicyKind::Scp, false), policy(PolicyKind::Scp, scp)],
                policy(PolicyKind::Session, session),
            );
            assert_eq!(set.has_conditions(), expected, "{identity} {scp} {session}");
        }
        assert!(!PolicySet::default().has_conditions());
    }
}
