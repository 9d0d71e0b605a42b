//! Test helpers shared by the workspace: the plain reference evaluator (an independent oracle for
//! the policy engine, written straight from `docs/policy-language.md`), the golden-corpus loader,
//! and the invariants of the canonical request form (`canonical`).
//!
//! The reference evaluator is deliberately naive: it works on [`serde_json::Value`] directly,
//! re-parses every document on every call, has no indexes and uses its own tiny recursive glob
//! matcher. Section numbers (§) refer to `docs/policy-language.md`.
#![deny(missing_docs)]

pub mod canonical;
pub mod mutate;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The decision strings of the case format.
pub const ALLOW: &str = "allow";
/// An explicit deny (a matching `Deny` statement).
pub const EXPLICIT_DENY: &str = "explicit_deny";
/// An implicit deny (some required layer has no matching `Allow`).
pub const IMPLICIT_DENY: &str = "implicit_deny";

/// One action of a REST route, as resolved by the catalog (§8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAction {
    /// The action, e.g. `modelarts:notebook:get`.
    pub action: String,
    /// The resource URN (or `*`).
    pub resource: String,
}

/// The route part of a case request (`method`, `path`, `region`, `account_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Request path, e.g. `/v1/p1/notebooks/nb-1`.
    pub path: String,
    /// Region, when given.
    pub region: Option<String>,
    /// Account id (the principal's when the case does not give one).
    pub account_id: Option<String>,
}

/// A function resolving a route to the actions it needs.
pub type RouteResolver<'a> = &'a dyn Fn(&RouteRequest) -> Result<Vec<ResolvedAction>, String>;

/// Whether a case's request is given as `method` + `path` (a route case).
pub fn is_route_case(case: &Value) -> bool {
    case.get("request").and_then(|r| r.get("method")).is_some()
}

/// Decides a case (the shared test format, §8) with the reference evaluator.
///
/// Route cases (`method` + `path`) need a resolver: use [`reference_decide_with_routes`]; this
/// function returns an error for them.
pub fn reference_decide(case: &Value) -> Result<&'static str, String> {
    reference_decide_with_routes(case, &|_| {
        Err("route cases need a route resolver (the catalog)".to_string())
    })
}

/// Decides a case, resolving route cases through `resolve`. For a route, every action must be
/// allowed; the decision is the most severe one (explicit_deny > implicit_deny > allow).
pub fn reference_decide_with_routes(
    case: &Value,
    resolve: RouteResolver<'_>,
) -> Result<&'static str, String> {
    let case = case.as_object().ok_or("a case is a JSON object")?;
    let request = case
        .get("request")
        .and_then(Value::as_object)
        .ok_or("the case has no request object")?;
    let context = match request.get("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("request.context must be an object".to_string()),
    };
    let principal = parse_principal(case.get("principal"))?;
    let inputs = Inputs {
        identity: policy_list(case.get("identity_policies"), "identity_policies")?,
        scps: match case.get("scps") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(levels)) => {
                let mut out = Vec::new();
                for level in levels {
                    out.push(policy_list(Some(level), "scps level")?);
                }
                out
            }
            Some(_) => return Err("scps must be an array of arrays".to_string()),
        },
        session: policy_list(case.get("session_policies"), "session_policies")?,
    };
    if let Some(method) = request.get("method") {
        let route = RouteRequest {
            method: method
                .as_str()
                .ok_or("method must be a string")?
                .to_string(),
            path: request
                .get("path")
                .and_then(Value::as_str)
                .ok_or("a route request needs a path")?
                .to_string(),
            region: request
                .get("region")
                .and_then(Value::as_str)
                .map(str::to_string),
            // §8: the account defaults to the principal's.
            account_id: Some(
                request
                    .get("account_id")
                    .and_then(Value::as_str)
                    .unwrap_or(&principal.account)
                    .to_string(),
            ),
        };
        let actions = resolve(&route)?;
        if actions.is_empty() {
            return Err("the route resolved to no action".to_string());
        }
        let mut worst = ALLOW;
        for a in &actions {
            let d = decide_one(&inputs, &principal, &a.action, &a.resource, &context)?;
            if severity(d) > severity(worst) {
                worst = d;
            }
        }
        return Ok(worst);
    }
    let action = request
        .get("action")
        .and_then(Value::as_str)
        .ok_or("request.action must be a string")?;
    let resource = match request.get("resource") {
        None | Some(Value::Null) => "*",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err("request.resource must be a string".to_string()),
    };
    decide_one(&inputs, &principal, action, resource, &context)
}

fn severity(d: &str) -> u8 {
    match d {
        EXPLICIT_DENY => 2,
        IMPLICIT_DENY => 1,
        _ => 0,
    }
}

/// Reads every `*.json` file of a corpus directory, sorted by file name; each file is a JSON
/// array of cases. Returns `(file name, cases)` pairs.
pub fn load_corpus(dir: &Path) -> Result<Vec<(String, Vec<Value>)>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        let Value::Array(cases) = v else {
            return Err(format!("{}: not a JSON array", f.display()));
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, cases));
    }
    Ok(out)
}

/// The policy documents of a corpus case, as text: its identity policies, session policies and
/// SCPs (every level) in that order. A document written as a JSON string is its string; any other
/// value is pretty-printed.
pub fn policy_documents(case: &Value) -> Vec<String> {
    let mut policies: Vec<&Value> = Vec::new();
    for key in ["identity_policies", "session_policies"] {
        if let Some(Value::Array(ps)) = case.get(key) {
            policies.extend(ps);
        }
    }
    if let Some(Value::Array(levels)) = case.get("scps") {
        for level in levels {
            policies.extend(level.as_array().into_iter().flatten());
        }
    }
    policies
        .into_iter()
        .map(|p| match p {
            Value::String(s) => s.clone(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Inputs

struct Principal {
    urn: String,
    account: String,
    root: bool,
    management: bool,
}

struct Inputs {
    identity: Vec<Value>,
    scps: Vec<Vec<Value>>,
    session: Vec<Value>,
}

fn parse_principal(v: Option<&Value>) -> Result<Principal, String> {
    let mut p = Principal {
        urn: "iam::000000000000:user:test".to_string(),
        account: "000000000000".to_string(),
        root: false,
        management: false,
    };
    let Some(v) = v else { return Ok(p) };
    if v.is_null() {
        return Ok(p);
    }
    let o = v.as_object().ok_or("principal must be an object")?;
    if let Some(u) = o.get("urn") {
        p.urn = u
            .as_str()
            .ok_or("principal.urn must be a string")?
            .to_string();
    }
    if let Some(a) = o.get("account_id") {
        p.account = a
            .as_str()
            .ok_or("principal.account_id must be a string")?
            .to_string();
    } else {
        // Spec §8: an absent account id is the URN's account segment (the third of
        // `service:region:account:type:id`) when it has one.
        let parts: Vec<&str> = p.urn.splitn(5, ':').collect();
        if let [_, _, account, _, _] = parts.as_slice()
            && !account.is_empty()
        {
            p.account = (*account).to_string();
        }
    }
    if let Some(r) = o.get("is_root_user") {
        p.root = r.as_bool().ok_or("is_root_user must be a boolean")?;
    }
    if let Some(m) = o.get("is_management_account") {
        p.management = m
            .as_bool()
            .ok_or("is_management_account must be a boolean")?;
    }
    Ok(p)
}

/// A list of policies: each a JSON object or a JSON string holding one (§1.1).
fn policy_list(v: Option<&Value>, what: &str) -> Result<Vec<Value>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                out.push(parse_document(item)?);
            }
            Ok(out)
        }
        Some(_) => Err(format!("{what} must be an array")),
    }
}

/// §1.1: an object, or a string whose content is an object. Checks the top level only.
fn parse_document(v: &Value) -> Result<Value, String> {
    let doc = match v {
        Value::String(s) => serde_json::from_str::<Value>(s).map_err(|e| e.to_string())?,
        other => other.clone(),
    };
    let o = doc
        .as_object()
        .ok_or("a policy document is a JSON object")?;
    for k in o.keys() {
        if k != "Version" && k != "Statement" {
            return Err(format!("unknown top-level member {k}"));
        }
    }
    match o.get("Version").and_then(Value::as_str) {
        Some("5.0") | Some("1.1") => {}
        _ => return Err("Version must be \"5.0\" or \"1.1\"".to_string()),
    }
    match o.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => {}
        Some(Value::Object(_)) => {}
        _ => return Err("Statement must be a non-empty array".to_string()),
    }
    Ok(doc)
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// §6 evaluation

fn decide_one(
    inputs: &Inputs,
    principal: &Principal,
    action: &str,
    resource: &str,
    raw_context: &Map<String, Value>,
) -> Result<&'static str, String> {
    let ctx = build_context(raw_context, principal, action)?;
    let req = Req {
        action,
        resource,
        ctx: &ctx,
    };
    let scps_apply = !inputs.scps.is_empty() && !principal.management;

    // 1. explicit deny
    let mut explicit = false;
    if !principal.root {
        for p in &inputs.identity {
            explicit |= has_matching(p, "Deny", &req)?;
        }
    }
    if scps_apply {
        for level in &inputs.scps {
            for p in level {
                explicit |= has_matching(p, "Deny", &req)?;
            }
        }
    }
    for p in &inputs.session {
        explicit |= has_matching(p, "Deny", &req)?;
    }
    // Every document is evaluated fully (documents are parsed even when a deny was found), so
    // that a malformed later document is reported the same way whatever comes before it.
    let mut scp_ok = true;
    if scps_apply {
        for level in &inputs.scps {
            let mut level_ok = false;
            for p in level {
                level_ok |= has_matching(p, "Allow", &req)?;
            }
            scp_ok &= level_ok;
        }
    }
    let mut session_ok = inputs.session.is_empty();
    for p in &inputs.session {
        session_ok |= has_matching(p, "Allow", &req)?;
    }
    let mut identity_ok = principal.root;
    for p in &inputs.identity {
        let allows = has_matching(p, "Allow", &req)?;
        identity_ok |= allows;
    }
    if explicit {
        return Ok(EXPLICIT_DENY);
    }
    if scp_ok && session_ok && identity_ok {
        Ok(ALLOW)
    } else {
        Ok(IMPLICIT_DENY)
    }
}

struct Req<'a> {
    action: &'a str,
    resource: &'a str,
    /// Lower-cased key -> values.
    ctx: &'a [(String, Vec<String>)],
}

/// §4.1: keys are case-insensitive; the evaluator adds the principal keys when missing, and
/// `g:ServiceName` is always the action's service.
fn build_context(
    raw: &Map<String, Value>,
    principal: &Principal,
    action: &str,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut ctx: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in raw {
        let values = match v {
            Value::Array(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(scalar_text(i).ok_or("context values are strings")?);
                }
                out
            }
            other => vec![scalar_text(other).ok_or("context values are strings")?],
        };
        ctx.push((k.to_ascii_lowercase(), values));
    }
    let defaults = [
        ("g:principalurn", principal.urn.clone()),
        ("g:principalaccount", principal.account.clone()),
        ("g:domainid", principal.account.clone()),
        ("g:principalisrootuser", principal.root.to_string()),
    ];
    for (k, v) in defaults {
        if !ctx.iter().any(|(key, _)| key == k) {
            ctx.push((k.to_string(), vec![v]));
        }
    }
    ctx.retain(|(k, _)| k != "g:servicename");
    let service = action.split(':').next().unwrap_or(action);
    ctx.push(("g:servicename".to_owned(), vec![service.to_owned()]));
    Ok(ctx)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn has_matching(doc: &Value, effect: &str, req: &Req<'_>) -> Result<bool, String> {
    let legacy = doc.get("Version").and_then(Value::as_str) == Some("1.1");
    let mut found = false;
    for st in statements(doc) {
        let st = st.as_object().ok_or("a statement is an object")?;
        let eff = st.get("Effect").and_then(Value::as_str);
        if eff != Some("Allow") && eff != Some("Deny") {
            return Err("Effect must be \"Allow\" or \"Deny\"".to_string());
        }
        let applies = statement_matches(st, eff == Some("Deny"), legacy, req)?;
        if eff == Some(effect) && applies.applies_as(effect) {
            found = true;
        }
    }
    Ok(found)
}

/// The outcome of matching one statement: does it match, or is its condition in error.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tri {
    True,
    False,
    Error,
}

impl Tri {
    /// §4.3: an error never grants and never lifts a deny.
    fn applies_as(self, effect: &str) -> bool {
        match self {
            Tri::True => true,
            Tri::False => false,
            Tri::Error => effect == "Deny",
        }
    }
}

fn statement_matches(
    st: &Map<String, Value>,
    deny: bool,
    legacy: bool,
    req: &Req<'_>,
) -> Result<Tri, String> {
    // §2 actions
    let action_ok = match (st.get("Action"), st.get("NotAction")) {
        (Some(a), None) => string_list(a)?.iter().any(|p| glob(p, req.action, true)),
        (None, Some(na)) if !legacy => !string_list(na)?.iter().any(|p| glob(p, req.action, true)),
        _ => return Err("exactly one of Action / NotAction".to_string()),
    };
    // §3 resources (and §1.3 agency URIs). §3.1: the resource id is compared ignoring ASCII case
    // where that denies more: in a Deny's Resource (matching more denies more) and in an Allow's
    // NotResource (excluding more allows less); exactly in a Deny's NotResource and an Allow's
    // Resource.
    let resource_ok = match (st.get("Resource"), st.get("NotResource")) {
        (None, None) => true,
        (Some(Value::Object(o)), None) if legacy => {
            let uris = o.get("uri").ok_or("a 1.1 Resource object has uri")?;
            string_list(uris)?
                .iter()
                .any(|p| glob(p, req.resource, deny))
        }
        (Some(r), None) => {
            let id_ci = deny;
            string_list(r)?
                .iter()
                .any(|p| resource_matches(p, req.resource, id_ci))
        }
        (None, Some(nr)) if !legacy => {
            let id_ci = !deny;
            !string_list(nr)?
                .iter()
                .any(|p| resource_matches(p, req.resource, id_ci))
        }
        _ => return Err("at most one of Resource / NotResource".to_string()),
    };
    // Conditions are evaluated (and so checked) whatever the action and resource did.
    let cond = match st.get("Condition") {
        None => Tri::True,
        Some(Value::Object(c)) => conditions(c, req.ctx)?,
        Some(_) => return Err("Condition must be an object".to_string()),
    };
    if !action_ok || !resource_ok {
        return Ok(Tri::False);
    }
    Ok(cond)
}

/// A non-empty array of strings, or a single string.
fn string_list(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if !a.is_empty() => {
            let mut out = Vec::new();
            for x in a {
                out.push(x.as_str().ok_or("expected a string")?.to_string());
            }
            Ok(out)
        }
        _ => Err("expected a non-empty array of strings".to_string()),
    }
}

/// §3: all stars, or five segments matched one by one; `id_ci`: the id segment ignores ASCII
/// case (§3.1).
fn resource_matches(pattern: &str, resource: &str, id_ci: bool) -> bool {
    if !pattern.is_empty() && pattern.chars().all(|c| c == '*') {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(5, ':').collect();
    let r: Vec<&str> = resource.splitn(5, ':').collect();
    if p.len() < 5 || r.len() < 5 {
        return false;
    }
    glob(p[0], r[0], true)
        && glob(p[1], r[1], false)
        && glob(p[2], r[2], false)
        && glob(p[3], r[3], true)
        && glob(p[4], r[4], id_ci)
}

/// `*` = any run of characters, `?` = exactly one character. `ascii_ci`: ASCII case-insensitive.
pub fn glob(pattern: &str, text: &str, ascii_ci: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_rec(&p, &t, ascii_ci)
}

fn glob_rec(p: &[char], t: &[char], ci: bool) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => {
            // Collapse runs of stars, then try every split.
            if rest.first() == Some(&'*') {
                return glob_rec(rest, t, ci);
            }
            (0..=t.len()).any(|i| glob_rec(rest, &t[i..], ci))
        }
        Some(('?', rest)) => !t.is_empty() && glob_rec(rest, &t[1..], ci),
        Some((c, rest)) => match t.split_first() {
            Some((d, trest)) => {
                let same = if ci {
                    c.eq_ignore_ascii_case(d)
                } else {
                    c == d
                };
                same && glob_rec(rest, trest, ci)
            }
            None => false,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// §4 conditions

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Base {
    StrEq,
    StrEqIc,
    StrMatch,
    StrStart,
    StrEnd,
    StrStartIc,
    StrEndIc,
    NumEq,
    NumLt,
    NumLe,
    NumGt,
    NumGe,
    DateEq,
    DateLt,
    DateLe,
    DateGt,
    DateGe,
    Bool,
    Ip,
    Null,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Qualifier {
    None,
    Any,
    All,
}

struct Op {
    base: Base,
    negated: bool,
    qualifier: Qualifier,
    if_exists: bool,
}

fn base_op(name: &str) -> Option<(Base, bool)> {
    use Base::*;
    Some(match name {
        "StringEquals" => (StrEq, false),
        "StringNotEquals" => (StrEq, true),
        "StringEqualsIgnoreCase" => (StrEqIc, false),
        "StringNotEqualsIgnoreCase" => (StrEqIc, true),
        "StringMatch" | "StringLike" => (StrMatch, false),
        "StringNotMatch" | "StringNotLike" => (StrMatch, true),
        "StringStartWith" => (StrStart, false),
        "StringNotStartWith" => (StrStart, true),
        "StringEndWith" => (StrEnd, false),
        "StringNotEndWith" => (StrEnd, true),
        "StringStartWithIgnoreCase" => (StrStartIc, false),
        "StringEndWithIgnoreCase" => (StrEndIc, false),
        "NumberEquals" | "NumericEquals" => (NumEq, false),
        "NumberNotEquals" | "NumericNotEquals" => (NumEq, true),
        "NumberLessThan" | "NumericLessThan" => (NumLt, false),
        "NumberLessThanEquals" | "NumericLessThanEquals" => (NumLe, false),
        "NumberGreaterThan" | "NumericGreaterThan" => (NumGt, false),
        "NumberGreaterThanEquals" | "NumericGreaterThanEquals" => (NumGe, false),
        "DateEquals" => (DateEq, false),
        "DateNotEquals" => (DateEq, true),
        "DateLessThan" => (DateLt, false),
        "DateLessThanEquals" => (DateLe, false),
        "DateGreaterThan" => (DateGt, false),
        "DateGreaterThanEquals" => (DateGe, false),
        "Bool" => (Bool, false),
        "IpAddress" => (Ip, false),
        "NotIpAddress" => (Ip, true),
        "Null" => (Null, false),
        _ => return None,
    })
}

fn parse_op(name: &str) -> Result<Op, String> {
    let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Qualifier::Any, r)
    } else if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Qualifier::All, r)
    } else {
        (Qualifier::None, name)
    };
    let (if_exists, rest) = match rest.strip_suffix("IfExists") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (base, negated) = base_op(rest).ok_or_else(|| format!("unknown operator {name}"))?;
    if base == Base::Null && (if_exists || qualifier != Qualifier::None) {
        return Err(format!("unsupported operator {name}"));
    }
    Ok(Op {
        base,
        negated,
        qualifier,
        if_exists,
    })
}

/// §4.4: AND over operators and keys. An error anywhere puts the whole condition in error.
fn conditions(c: &Map<String, Value>, ctx: &[(String, Vec<String>)]) -> Result<Tri, String> {
    let mut all_true = true;
    let mut error = false;
    for (op_name, keys) in c {
        let op = parse_op(op_name)?;
        let keys = keys.as_object().ok_or("an operator maps keys to values")?;
        for (key, vals) in keys {
            let policy_values = condition_values(vals)?;
            let request_values: Vec<String> = ctx
                .iter()
                .find(|(k, _)| *k == key.to_ascii_lowercase())
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            match eval_key(&op, &policy_values, &request_values)? {
                Tri::True => {}
                Tri::False => all_true = false,
                Tri::Error => error = true,
            }
        }
    }
    Ok(if error {
        Tri::Error
    } else if all_true {
        Tri::True
    } else {
        Tri::False
    })
}

/// §1.2: strings; numbers and booleans become their JSON text.
fn condition_values(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(a) if !a.is_empty() => {
            let mut out = Vec::new();
            for x in a {
                out.push(scalar_text(x).ok_or("condition values are strings")?);
            }
            Ok(out)
        }
        Value::Array(_) => Err("empty condition value list".to_string()),
        other => Ok(vec![
            scalar_text(other).ok_or("condition values are strings")?,
        ]),
    }
}

/// §4.3 for one key.
fn eval_key(op: &Op, policy: &[String], request: &[String]) -> Result<Tri, String> {
    if op.base == Base::Null {
        let mut any = false;
        for c in policy {
            let want_missing = parse_bool(c).ok_or("Null takes true or false")?;
            any |= want_missing == request.is_empty();
        }
        return Ok(tri(any));
    }
    // Policy values must parse (a document error otherwise).
    for c in policy {
        if !value_parses(op.base, c, true) {
            return Err(format!("condition value {c:?} does not parse"));
        }
    }
    if request.is_empty() {
        if op.if_exists {
            return Ok(Tri::True);
        }
        return Ok(tri(match op.qualifier {
            Qualifier::None => op.negated,
            Qualifier::Any => false,
            Qualifier::All => true,
        }));
    }
    if request.iter().any(|v| !value_parses(op.base, v, false)) {
        return Ok(Tri::Error);
    }
    let satisfies = |v: &String| {
        let hit = policy.iter().any(|c| positive(op.base, v, c));
        if op.negated { !hit } else { hit }
    };
    let result = match op.qualifier {
        Qualifier::None if op.negated => request.iter().all(satisfies),
        Qualifier::None => request.iter().any(satisfies),
        Qualifier::Any => request.iter().any(satisfies),
        Qualifier::All => request.iter().all(satisfies),
    };
    Ok(tri(result))
}

fn tri(b: bool) -> Tri {
    if b { Tri::True } else { Tri::False }
}

fn value_parses(base: Base, v: &str, is_policy_value: bool) -> bool {
    use Base::*;
    match base {
        NumEq | NumLt | NumLe | NumGt | NumGe => parse_number(v).is_some(),
        DateEq | DateLt | DateLe | DateGt | DateGe => parse_date(v).is_some(),
        Bool => parse_bool(v).is_some(),
        Ip => {
            if is_policy_value {
                parse_cidr(v).is_some()
            } else {
                v.parse::<IpAddr>().is_ok()
            }
        }
        _ => true,
    }
}

/// The positive predicate `P(v, c)`; both values are known to parse.
fn positive(base: Base, v: &str, c: &str) -> bool {
    use Base::*;
    match base {
        StrEq => v == c,
        StrEqIc => v.to_lowercase() == c.to_lowercase(),
        StrMatch => glob(c, v, false),
        StrStart => v.starts_with(c),
        StrEnd => v.ends_with(c),
        StrStartIc => v.to_lowercase().starts_with(&c.to_lowercase()),
        StrEndIc => v.to_lowercase().ends_with(&c.to_lowercase()),
        NumEq | NumLt | NumLe | NumGt | NumGe => {
            let (Some(a), Some(b)) = (parse_number(v), parse_number(c)) else {
                return false;
            };
            match base {
                NumEq => a == b,
                NumLt => a < b,
                NumLe => a <= b,
                NumGt => a > b,
                _ => a >= b,
            }
        }
        DateEq | DateLt | DateLe | DateGt | DateGe => {
            let (Some(a), Some(b)) = (parse_date(v), parse_date(c)) else {
                return false;
            };
            match base {
                DateEq => a == b,
                DateLt => a < b,
                DateLe => a <= b,
                DateGt => a > b,
                _ => a >= b,
            }
        }
        Bool => parse_bool(v) == parse_bool(c),
        Ip => match (v.parse::<IpAddr>(), parse_cidr(c)) {
            (Ok(addr), Some((net, prefix))) => in_cidr(addr, net, prefix),
            _ => false,
        },
        Null => false,
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A decimal number: digits, optional sign, fraction and exponent; finite.
fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        || !s.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    let n: f64 = s.parse().ok()?;
    n.is_finite().then_some(n)
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    match s.split_once('/') {
        None => {
            let a: IpAddr = s.parse().ok()?;
            let full = if a.is_ipv4() { 32 } else { 128 };
            Some((a, full))
        }
        Some((addr, prefix)) => {
            let a: IpAddr = addr.parse().ok()?;
            if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let p: u32 = prefix.parse().ok()?;
            let full = if a.is_ipv4() { 32 } else { 128 };
            (p <= full).then_some((a, p))
        }
    }
}

fn in_cidr(addr: IpAddr, net: IpAddr, prefix: u32) -> bool {
    let (a, n, bits) = match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(u32::from(a)), u128::from(u32::from(n)), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    if prefix == 0 {
        return true;
    }
    let shift = bits - prefix;
    (a >> shift) == (n >> shift)
}

/// §4.2 dates: RFC 3339 date-time (offset required, fraction allowed), a date (midnight UTC), or
/// integer epoch seconds. Returns nanoseconds since the epoch.
fn parse_date(s: &str) -> Option<i128> {
    const NS: i128 = 1_000_000_000;
    let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    if digits(s) || (s.starts_with('-') && digits(&s[1..])) {
        let secs: i128 = s.parse().ok()?;
        return Some(secs * NS);
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let dp: Vec<&str> = date.split('-').collect();
    if dp.len() != 3 || dp[0].len() != 4 || dp[1].len() != 2 || dp[2].len() != 2 {
        return None;
    }
    if !dp.iter().all(|x| digits(x)) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (
        dp[0].parse().ok()?,
        dp[1].parse().ok()?,
        dp[2].parse().ok()?,
    );
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let mut total = i128::from(days) * 86_400 * NS;
    let Some(t) = time else { return Some(total) };
    // hh:mm:ss[.frac](Z|+hh:mm|-hh:mm)
    let (clock, offset_secs) = if let Some(c) = t.strip_suffix('Z') {
        (c, 0i128)
    } else {
        let pos = t.rfind(['+', '-'])?;
        let (c, off) = t.split_at(pos);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let op: Vec<&str> = off[1..].split(':').collect();
        if op.len() != 2 || op[0].len() != 2 || op[1].len() != 2 || !op.iter().all(|x| digits(x)) {
            return None;
        }
        let (oh, om): (i128, i128) = (op[0].parse().ok()?, op[1].parse().ok()?);
        if oh > 23 || om > 59 {
            return None;
        }
        (c, sign * (oh * 3600 + om * 60))
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (clock, None),
    };
    let tp: Vec<&str> = hms.split(':').collect();
    if tp.len() != 3 || !tp.iter().all(|x| x.len() == 2 && digits(x)) {
        return None;
    }
    let (h, mi, se): (i128, i128, i128) = (
        tp[0].parse().ok()?,
        tp[1].parse().ok()?,
        tp[2].parse().ok()?,
    );
    if h > 23 || mi > 59 || se > 59 {
        return None;
    }
    total += (h * 3600 + mi * 60 + se - offset_secs) * NS;
    if let Some(f) = frac {
        if !digits(f) || f.len() > 9 {
            return None;
        }
        let mut ns: i128 = f.parse().ok()?;
        for _ in f.len()..9 {
            ns *= 10;
        }
        total += ns;
    }
    Some(total)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:01Z"), Some(1_000_000_000));
        assert_eq!(parse_date("86400"), Some(86_400_000_000_000));
        assert_eq!(parse_date("1970-01-02"), parse_date("86400"));
        assert_eq!(
            parse_date("2026-01-02T03:04:05+01:00"),
            parse_date("2026-01-02T02:04:05Z")
        );
        assert_eq!(
            parse_date("2026-01-02T03:04:05.5Z").map(|n| n % 1_000_000_000),
            Some(500_000_000)
        );
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2026-01-02T03:04:05"), None);
        // 2026-01-01 is 20454 days after the epoch.
        assert_eq!(
            parse_date("2026-01-01"),
            Some(20_454 * 86_400 * 1_000_000_000)
        );
    }

    #[test]
    fn globs_and_resources() {
        assert!(glob(
            "modelarts:*:*delete*",
            "modelarts:trainJob:batchDelete",
            true
        ));
        assert!(!glob("a?c", "ac", false));
        for id_ci in [false, true] {
            assert!(resource_matches("*", "*", id_ci));
            assert!(!resource_matches("modelarts:*", "modelarts:r:a:t:i", id_ci));
            assert!(resource_matches(
                "modelarts:*:*:notebook:*",
                "modelarts:r:a:notebook:x:y",
                id_ci
            ));
            assert!(!resource_matches(
                "modelarts:*:notebook:*:*",
                "modelarts:r:a:notebook:x",
                id_ci
            ));
            // §3.1: only the id segment changes; the region never folds.
            assert!(!resource_matches(
                "modelarts:R:a:notebook:x",
                "modelarts:r:a:notebook:x",
                id_ci
            ));
        }
        assert!(resource_matches("m:r:a:t:job-*", "m:r:a:t:JOB-1", true));
        assert!(!resource_matches("m:r:a:t:job-*", "m:r:a:t:JOB-1", false));
        assert!(!resource_matches("m:r:a:t:äbc", "m:r:a:t:ÄBC", true));
        assert!(resource_matches("m:r:a:t:äbc", "m:r:a:t:äBC", true));
    }

    #[test]
    fn ip() {
        let a: IpAddr = "10.1.2.3".parse().unwrap();
        let (n, p) = parse_cidr("10.0.0.0/8").unwrap();
        assert!(in_cidr(a, n, p));
        let (n, p) = parse_cidr("10.1.2.4").unwrap();
        assert!(!in_cidr(a, n, p));
    }
}
