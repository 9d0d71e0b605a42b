//! Policy documents (spec §1): parsing, checking and compiling into an immutable [`Policy`].

use crate::condition::ConditionEntry;
use crate::error::{ParseError, ParseErrorKind as K};
use crate::json::{self, Json};
use crate::operator::Operator;
use crate::pattern::{
    ActionPattern, ResourcePattern, compile_action_pattern, compile_resource_pattern_with,
    compile_uri_pattern, resource_id_case,
};
use std::collections::HashSet;

/// The kind of a policy document (spec §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// An identity policy attached to a user, group or agency (5.0 or 1.1).
    Identity,
    /// A session policy of an agency session (5.0, at most 4,096 bytes).
    Session,
    /// A trust policy of an agency (5.0, every statement has a principal).
    Trust,
    /// A service control policy (5.0, Organizations).
    Scp,
}

impl PolicyKind {
    /// The document size limit in bytes of minified JSON (spec §1.5), if the kind has one.
    pub fn max_bytes(self) -> Option<usize> {
        match self {
            PolicyKind::Identity | PolicyKind::Scp => Some(limits::IDENTITY_BYTES),
            PolicyKind::Session => Some(limits::SESSION_BYTES),
            PolicyKind::Trust => None,
        }
    }

    /// The kind's name in messages, e.g. `"identity policy"`.
    pub fn noun(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity policy",
            PolicyKind::Session => "session policy",
            PolicyKind::Trust => "trust policy",
            PolicyKind::Scp => "service control policy",
        }
    }
}

/// The limits of spec §1.5.
pub mod limits {
    /// Identity policy and SCP document size (minified JSON bytes).
    pub const IDENTITY_BYTES: usize = 6_144;
    /// Session policy document size (minified JSON bytes).
    pub const SESSION_BYTES: usize = 4_096;
    /// Statements per document.
    pub const STATEMENTS: usize = 1_000;
    /// Patterns per `Action`/`NotAction`/`Resource`/`NotResource`/principal element.
    pub const PATTERNS: usize = 1_000;
    /// Condition operators per statement.
    pub const OPERATORS: usize = 100;
    /// Values per condition key.
    pub const VALUES: usize = 1_000;
    /// Length in bytes of one action or resource pattern.
    pub const PATTERN_BYTES: usize = 2_048;
}

/// The policy-language version of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Version {
    /// `"5.0"`: identity, session, trust and SCP documents.
    #[serde(rename = "5.0")]
    V5_0,
    /// `"1.1"`: legacy fine-grained identity policies.
    #[serde(rename = "1.1")]
    V1_1,
}

impl Version {
    /// The version string as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V5_0 => "5.0",
            Version::V1_1 => "1.1",
        }
    }
}

/// The effect of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`.
    Deny,
}

/// The action element of a statement.
#[derive(Debug, Clone)]
pub enum ActionElement {
    /// `Action`: applies when the request action matches any pattern.
    Action(Vec<ActionPattern>),
    /// `NotAction`: applies when the request action matches none.
    NotAction(Vec<ActionPattern>),
}

impl ActionElement {
    /// True when the element applies to `action`.
    pub fn matches(&self, action: &str) -> bool {
        match self {
            ActionElement::Action(ps) => ps.iter().any(|p| p.matches(action)),
            ActionElement::NotAction(ps) => !ps.iter().any(|p| p.matches(action)),
        }
    }

    /// [`ActionElement::matches`] for an action already ASCII-lowercased by the caller.
    /// `mask` is the action's [`crate::pattern::byte_mask`].
    pub fn matches_lowercase(&self, action_lower: &str, mask: u64) -> bool {
        match self {
            ActionElement::Action(ps) => ps.iter().any(|p| p.matches_lowercase(action_lower, mask)),
            ActionElement::NotAction(ps) => {
                !ps.iter().any(|p| p.matches_lowercase(action_lower, mask))
            }
        }
    }

    /// The patterns of the element.
    pub fn patterns(&self) -> &[ActionPattern] {
        match self {
            ActionElement::Action(ps) | ActionElement::NotAction(ps) => ps,
        }
    }
}

/// The resource element of a statement. Its patterns were compiled with the id case rule of
/// the statement's effect (spec §3.1, [`crate::pattern::resource_id_case`]).
#[derive(Debug, Clone)]
pub enum ResourceElement {
    /// No `Resource`: the same as `["*"]`.
    Omitted,
    /// `Resource` (for 1.1 agency policies, the `uri` patterns): the id ignores ASCII case in a
    /// `Deny`, is exact in an `Allow`.
    Resource(Vec<ResourcePattern>),
    /// `NotResource`: the id is exact in a `Deny`, ignores ASCII case in an `Allow`.
    NotResource(Vec<ResourcePattern>),
}

impl ResourceElement {
    /// True when the element applies to `resource`.
    pub fn matches(&self, resource: &str) -> bool {
        match self {
            ResourceElement::Omitted => true,
            ResourceElement::Resource(ps) => ps.iter().any(|p| p.matches(resource)),
            ResourceElement::NotResource(ps) => !ps.iter().any(|p| p.matches(resource)),
        }
    }
}

/// The `Principal` / `NotPrincipal` element of a trust-policy statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalElement {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// `IAM` entries: account ids, `iam::<acct>:root`, principal URNs or `*`.
    pub iam: Vec<String>,
    /// `Service` entries (`service.ModelArts`).
    pub service: Vec<String>,
    /// `Identity_provider` entries.
    pub identity_provider: Vec<String>,
}

/// A compiled statement.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Statement {
    /// `Sid`, when present.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` / `NotAction`.
    pub action: ActionElement,
    /// `Resource` / `NotResource`.
    pub resource: ResourceElement,
    /// `Condition` entries (all must hold).
    pub condition: Vec<ConditionEntry>,
    /// `Principal` / `NotPrincipal` (trust policies only).
    pub principal: Option<PrincipalElement>,
    /// The statement as written (for explanations).
    pub json: serde_json::Value,
}

/// A parsed and compiled policy document. Immutable; share it with `Arc<Policy>`.
#[derive(Debug, Clone)]
pub struct Policy {
    kind: PolicyKind,
    version: Version,
    statements: Vec<Statement>,
    statement_was_object: bool,
}

impl Policy {
    /// Parses and compiles a document given as JSON text: an object, or a JSON string whose
    /// content is an object (spec §1.1). Enforces every rule of spec §1 for `kind`.
    pub fn parse(input: &str, kind: PolicyKind) -> Result<Policy, ParseError> {
        let doc = json::parse_text(input).map_err(|e| syntax_error(&e))?;
        Policy::from_json(doc, kind)
    }

    /// Parses and compiles a document given as a JSON value (an object or a string holding one).
    /// Duplicate member names cannot be detected here (`serde_json::Value` drops them); use
    /// [`Policy::parse`] on the original text for that.
    pub fn from_value(value: &serde_json::Value, kind: PolicyKind) -> Result<Policy, ParseError> {
        Policy::from_json(Json::from_value(value), kind)
    }

    fn from_json(doc: Json, kind: PolicyKind) -> Result<Policy, ParseError> {
        let doc = match doc {
            Json::String(inner) => match json::parse_text(&inner) {
                Ok(j @ Json::Object(_)) => j,
                Ok(other) => return Err(not_an_object(&other)),
                Err(e) => return Err(syntax_error(&e)),
            },
            other => other,
        };
        let Json::Object(members) = &doc else {
            return Err(not_an_object(&doc));
        };
        check_duplicates(members, "")?;
        if let Some(max) = kind.max_bytes() {
            let len = doc.minified_len();
            if len > max {
                return Err(ParseError::new(
                    K::TooLarge,
                    "",
                    format!(
                        "the {} is {len} bytes long (minified), more than the limit of {max} bytes; split it into several policies",
                        kind.noun()
                    ),
                ));
            }
        }
        let mut version = None;
        let mut statement = None;
        for (name, value) in members {
            match name.as_str() {
                "Version" => version = Some(value),
                "Statement" => statement = Some(value),
                other => return Err(unknown_member(other, "", &["Version", "Statement"])),
            }
        }
        let Some(version) = version else {
            return Err(ParseError::new(
                K::MissingMember,
                "",
                "the policy has no `Version`; add `\"Version\": \"5.0\"`",
            ));
        };
        let version = parse_version(version, kind)?;
        let Some(statement) = statement else {
            return Err(ParseError::new(
                K::MissingMember,
                "",
                "the policy has no `Statement`; add `\"Statement\": [...]` with at least one statement",
            ));
        };
        let (items, was_object): (Vec<(String, &Json)>, bool) = match statement {
            Json::Array(items) => (
                items
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("Statement[{i}]"), s))
                    .collect(),
                false,
            ),
            obj @ Json::Object(_) => (vec![("Statement".to_owned(), obj)], true),
            other => {
                return Err(ParseError::new(
                    K::InvalidType,
                    "Statement",
                    format!(
                        "`Statement` must be an array of statement objects, not {}",
                        other.type_name()
                    ),
                ));
            }
        };
        if items.is_empty() {
            return Err(ParseError::new(
                K::Empty,
                "Statement",
                "`Statement` is empty; add at least one statement",
            ));
        }
        if items.len() > limits::STATEMENTS {
            return Err(ParseError::new(
                K::LimitExceeded,
                "Statement",
                format!(
                    "the policy has {} statements, more than the limit of {}; split it into several policies",
                    items.len(),
                    limits::STATEMENTS
                ),
            ));
        }
        let statements = items
            .iter()
            .map(|(path, s)| parse_statement(s, path, kind, version))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy {
            kind,
            version,
            statements,
            statement_was_object: was_object,
        })
    }

    /// The document kind it was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The language version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// True when `Statement` was a single object rather than an array (accepted, spec §1.1).
    pub fn statement_was_object(&self) -> bool {
        self.statement_was_object
    }

    /// The document as JSON (statements as written, `Statement` as an array).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "Version": self.version.as_str(),
            "Statement": self.statements.iter().map(|s| s.json.clone()).collect::<Vec<_>>(),
        })
    }
}

fn syntax_error(e: &serde_json::Error) -> ParseError {
    ParseError::new(
        K::Syntax,
        "",
        format!("the policy is not valid JSON ({e}); fix the JSON syntax"),
    )
}

fn not_an_object(j: &Json) -> ParseError {
    ParseError::new(
        K::InvalidType,
        "",
        format!(
            "a policy must be a JSON object (or a JSON string containing one), not {}; write `{{\"Version\": \"5.0\", \"Statement\": [...]}}`",
            j.type_name()
        ),
    )
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_owned()
    } else {
        format!("{path}.{member}")
    }
}

fn check_duplicates(members: &[(String, Json)], path: &str) -> Result<(), ParseError> {
    let mut seen = HashSet::with_capacity(members.len());
    for (name, _) in members {
        if !seen.insert(name.as_str()) {
            return Err(ParseError::new(
                K::DuplicateMember,
                &join(path, name),
                format!("member `{name}` appears more than once; keep only one"),
            ));
        }
    }
    Ok(())
}

fn unknown_member(name: &str, path: &str, known: &[&str]) -> ParseError {
    let hint = match known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(k) => format!("member names are case-sensitive: write `{k}`"),
        None => format!(
            "remove it; the allowed members here are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    ParseError::new(
        K::UnknownMember,
        &join(path, name),
        format!("unknown member `{name}`; {hint}"),
    )
}

fn parse_version(v: &Json, kind: PolicyKind) -> Result<Version, ParseError> {
    let Json::String(s) = v else {
        return Err(ParseError::new(
            K::InvalidType,
            "Version",
            format!(
                "`Version` must be a string such as `\"5.0\"`, not {}",
                v.type_name()
            ),
        ));
    };
    match (s.as_str(), kind) {
        ("5.0", _) => Ok(Version::V5_0),
        ("1.1", PolicyKind::Identity) => Ok(Version::V1_1),
        ("1.1", _) => Err(ParseError::new(
            K::UnsupportedVersion,
            "Version",
            format!(
                "version `1.1` is only for legacy identity policies; a {} must use `\"5.0\"`",
                kind.noun()
            ),
        )),
        ("1.0", _) => Err(ParseError::new(
            K::UnsupportedVersion,
            "Version",
            "version `1.0` (system roles) is not supported; write `\"5.0\"`",
        )),
        (other, _) => Err(ParseError::new(
            K::UnsupportedVersion,
            "Version",
            format!("unsupported version `{other}`; write `\"5.0\"`"),
        )),
    }
}

/// The members a version-`5.0` statement may have (spec §1), in the spec's order.
pub const STATEMENT_MEMBERS_5_0: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
];
/// The members a version-`1.1` statement may have (spec §1).
pub const STATEMENT_MEMBERS_1_1: &[&str] = &["Effect", "Action", "Resource", "Condition"];

/// The kinds of principal a `Principal` / `NotPrincipal` element may name (spec §1).
pub const PRINCIPAL_KINDS: &[&str] = &["IAM", "Service", "Identity_provider"];

fn not_allowed(path: &str, member: &str, why: &str) -> ParseError {
    ParseError::new(
        K::NotAllowed,
        &join(path, member),
        format!("`{member}` is not allowed {why}; remove it"),
    )
}

fn parse_statement(
    s: &Json,
    path: &str,
    kind: PolicyKind,
    version: Version,
) -> Result<Statement, ParseError> {
    let Json::Object(members) = s else {
        return Err(ParseError::new(
            K::InvalidType,
            path,
            format!("a statement must be an object, not {}", s.type_name()),
        ));
    };
    check_duplicates(members, path)?;
    let known = match version {
        Version::V5_0 => STATEMENT_MEMBERS_5_0,
        Version::V1_1 => STATEMENT_MEMBERS_1_1,
    };
    let get = |name: &str| members.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    for (name, _) in members {
        if !known.contains(&name.as_str()) {
            if version == Version::V1_1 && STATEMENT_MEMBERS_5_0.contains(&name.as_str()) {
                return Err(not_allowed(
                    path,
                    name,
                    "in a version 1.1 policy (it exists only in version 5.0)",
                ));
            }
            return Err(unknown_member(name, path, known));
        }
    }
    // Kind restrictions on principals and NotResource.
    let has = |name: &str| get(name).is_some();
    match kind {
        PolicyKind::Identity | PolicyKind::Session => {
            for m in ["Principal", "NotPrincipal"] {
                if has(m) {
                    return Err(not_allowed(
                        path,
                        m,
                        &format!(
                            "in an {}; principals belong only in trust policies",
                            kind.noun()
                        ),
                    ));
                }
            }
        }
        PolicyKind::Scp => {
            for m in ["Principal", "NotPrincipal", "NotResource"] {
                if has(m) {
                    return Err(not_allowed(path, m, "in a service control policy"));
                }
            }
        }
        PolicyKind::Trust => {
            if has("Principal") && has("NotPrincipal") {
                return Err(ParseError::new(
                    K::ConflictingMembers,
                    path,
                    "a statement has both `Principal` and `NotPrincipal`; keep only one",
                ));
            }
            if !has("Principal") && !has("NotPrincipal") {
                return Err(ParseError::new(
                    K::MissingMember,
                    path,
                    "a trust policy statement needs `Principal` (or `NotPrincipal`); add e.g. `\"Principal\": {\"IAM\": [\"<account-id>\"]}`",
                ));
            }
        }
    }

    let sid = match get("Sid") {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(ParseError::new(
                K::InvalidType,
                &join(path, "Sid"),
                format!("`Sid` must be a string, not {}", other.type_name()),
            ));
        }
    };

    let effect = match get("Effect") {
        None => {
            return Err(ParseError::new(
                K::MissingMember,
                path,
                "the statement has no `Effect`; add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`",
            ));
        }
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(Json::String(e)) => {
            let hint = if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") {
                "the effect is case-sensitive: write `Allow` or `Deny`"
            } else {
                "write `Allow` or `Deny`"
            };
            return Err(ParseError::new(
                K::InvalidValue,
                &join(path, "Effect"),
                format!("invalid effect `{e}`; {hint}"),
            ));
        }
        Some(other) => {
            return Err(ParseError::new(
                K::InvalidType,
                &join(path, "Effect"),
                format!(
                    "`Effect` must be the string `Allow` or `Deny`, not {}",
                    other.type_name()
                ),
            ));
        }
    };

    let action = match (get("Action"), get("NotAction")) {
        (Some(_), Some(_)) => {
            return Err(ParseError::new(
                K::ConflictingMembers,
                path,
                "a statement has both `Action` and `NotAction`; keep only one",
            ));
        }
        (None, None) => {
            return Err(ParseError::new(
                K::MissingMember,
                path,
                "the statement has no `Action`; add `\"Action\": [...]` (or `NotAction`)",
            ));
        }
        (Some(a), None) => {
            let p = join(path, "Action");
            ActionElement::Action(patterns(a, &p, "Action", compile_action_pattern)?)
        }
        (None, Some(a)) => {
            let p = join(path, "NotAction");
            ActionElement::NotAction(patterns(a, &p, "NotAction", compile_action_pattern)?)
        }
    };

    // §3.1: a Deny's `Resource` and an Allow's `NotResource` compare the resource id ignoring
    // ASCII case, so that no spelling of an id in another case escapes a deny.
    let resource_case = resource_id_case(effect, false);
    let not_resource_case = resource_id_case(effect, true);
    let resource = match (get("Resource"), get("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(ParseError::new(
                K::ConflictingMembers,
                path,
                "a statement has both `Resource` and `NotResource`; keep only one",
            ));
        }
        (None, None) => ResourceElement::Omitted,
        (Some(Json::Object(uri)), None) if version == Version::V1_1 => {
            let p = join(path, "Resource");
            check_duplicates(uri, &p)?;
            let mut out = None;
            for (name, v) in uri {
                if name == "uri" {
                    out = Some(patterns(v, &join(&p, "uri"), "uri", |s| {
                        compile_uri_pattern(s, resource_case)
                    })?);
                } else {
                    return Err(unknown_member(name, &p, &["uri"]));
                }
            }
            match out {
                Some(ps) => ResourceElement::Resource(ps),
                None => {
                    return Err(ParseError::new(
                        K::Empty,
                        &p,
                        "`Resource` object has no `uri`; write `{\"uri\": [\"/iam/agencies/<agency-id>\"]}`",
                    ));
                }
            }
        }
        (Some(r), None) => {
            let p = join(path, "Resource");
            ResourceElement::Resource(patterns(r, &p, "Resource", |s| {
                compile_resource_pattern_with(s, resource_case)
            })?)
        }
        (None, Some(r)) => {
            let p = join(path, "NotResource");
            ResourceElement::NotResource(patterns(r, &p, "NotResource", |s| {
                compile_resource_pattern_with(s, not_resource_case)
            })?)
        }
    };

    let condition = match get("Condition") {
        None => Vec::new(),
        Some(c) => parse_condition(c, &join(path, "Condition"))?,
    };

    let principal = match (get("Principal"), get("NotPrincipal")) {
        (Some(p), _) => Some(parse_principal(p, &join(path, "Principal"), false)?),
        (None, Some(p)) => Some(parse_principal(p, &join(path, "NotPrincipal"), true)?),
        (None, None) => None,
    };

    if kind == PolicyKind::Scp && effect == Effect::Allow {
        if matches!(action, ActionElement::NotAction(_)) {
            return Err(not_allowed(
                path,
                "NotAction",
                "in an `Allow` statement of a service control policy (use `Action`)",
            ));
        }
        if get("Condition").is_some() {
            return Err(not_allowed(
                path,
                "Condition",
                "in an `Allow` statement of a service control policy",
            ));
        }
        if let ResourceElement::Resource(ps) = &resource
            && !(ps.len() == 1 && ps.iter().all(|p| p.as_str() == "*"))
        {
            return Err(ParseError::new(
                K::NotAllowed,
                &join(path, "Resource"),
                "an `Allow` statement of a service control policy must have `Resource` omitted or `[\"*\"]`; write `[\"*\"]` or use a `Deny` statement to restrict resources",
            ));
        }
    }

    Ok(Statement {
        sid,
        effect,
        action,
        resource,
        condition,
        principal,
        json: s.to_value(),
    })
}

/// Reads a "string or array of strings" element.
fn string_list(v: &Json, path: &str, what: &str, max: usize) -> Result<Vec<String>, ParseError> {
    let items: Vec<(String, &Json)> = match v {
        Json::String(_) => vec![(path.to_owned(), v)],
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, j)| (format!("{path}[{i}]"), j))
            .collect(),
        other => {
            return Err(ParseError::new(
                K::InvalidType,
                path,
                format!(
                    "`{what}` must be an array of strings, not {}",
                    other.type_name()
                ),
            ));
        }
    };
    if items.is_empty() {
        return Err(ParseError::new(
            K::Empty,
            path,
            format!("`{what}` is empty; list at least one value"),
        ));
    }
    if items.len() > max {
        return Err(ParseError::new(
            K::LimitExceeded,
            path,
            format!(
                "`{what}` has {} entries, more than the limit of {max}; use wildcards or split the statement",
                items.len()
            ),
        ));
    }
    items
        .into_iter()
        .map(|(p, j)| match j {
            Json::String(s) => Ok(s.clone()),
            other => Err(ParseError::new(
                K::InvalidType,
                &p,
                format!(
                    "`{what}` entries must be strings, not {}",
                    other.type_name()
                ),
            )),
        })
        .collect()
}

fn patterns<T>(
    v: &Json,
    path: &str,
    what: &str,
    compile: impl Fn(&str) -> T,
) -> Result<Vec<T>, ParseError> {
    let list = string_list(v, path, what, limits::PATTERNS)?;
    for (i, s) in list.iter().enumerate() {
        if s.len() > limits::PATTERN_BYTES {
            return Err(ParseError::new(
                K::LimitExceeded,
                &format!("{path}[{i}]"),
                format!(
                    "a pattern is {} bytes long, more than the limit of {}; shorten it with wildcards",
                    s.len(),
                    limits::PATTERN_BYTES
                ),
            ));
        }
    }
    Ok(list.iter().map(|s| compile(s)).collect())
}

fn parse_condition(c: &Json, path: &str) -> Result<Vec<ConditionEntry>, ParseError> {
    let Json::Object(ops) = c else {
        return Err(ParseError::new(
            K::InvalidType,
            path,
            format!(
                "`Condition` must be an object mapping operators to `{{key: values}}`, not {}",
                c.type_name()
            ),
        ));
    };
    check_duplicates(ops, path)?;
    if ops.len() > limits::OPERATORS {
        return Err(ParseError::new(
            K::LimitExceeded,
            path,
            format!(
                "the condition has {} operators, more than the limit of {}",
                ops.len(),
                limits::OPERATORS
            ),
        ));
    }
    let mut entries = Vec::new();
    for (op_name, keys) in ops {
        let op_path = join(path, op_name);
        let operator = Operator::parse(op_name)
            .map_err(|e| ParseError::new(K::UnknownOperator, &op_path, e.message))?;
        let Json::Object(keys) = keys else {
            return Err(ParseError::new(
                K::InvalidType,
                &op_path,
                format!(
                    "the value of operator `{op_name}` must be an object mapping condition keys to values, not {}",
                    keys.type_name()
                ),
            ));
        };
        check_duplicates(keys, &op_path)?;
        for (key, values) in keys {
            let key_path = join(&op_path, key);
            let values = condition_values(values, &key_path)?;
            let entry = ConditionEntry::new(operator, op_name, key, values).map_err(|(i, e)| {
                ParseError::new(
                    K::InvalidValue,
                    &key_path,
                    format!("value #{} for operator `{op_name}`: {}", i + 1, e.message()),
                )
            })?;
            entries.push(entry);
        }
    }
    Ok(entries)
}

fn condition_values(v: &Json, path: &str) -> Result<Vec<String>, ParseError> {
    let scalar = |j: &Json, p: &str| -> Result<String, ParseError> {
        match j {
            Json::String(s) => Ok(s.clone()),
            Json::Number(n) => Ok(n.to_string()),
            Json::Bool(b) => Ok(b.to_string()),
            other => Err(ParseError::new(
                K::InvalidType,
                p,
                format!(
                    "a condition value must be a string (or a number or boolean), not {}",
                    other.type_name()
                ),
            )),
        }
    };
    match v {
        Json::Array(items) => {
            if items.is_empty() {
                return Err(ParseError::new(
                    K::Empty,
                    path,
                    "the condition value list is empty; list at least one value",
                ));
            }
            if items.len() > limits::VALUES {
                return Err(ParseError::new(
                    K::LimitExceeded,
                    path,
                    format!(
                        "the condition key has {} values, more than the limit of {}",
                        items.len(),
                        limits::VALUES
                    ),
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, j)| scalar(j, &format!("{path}[{i}]")))
                .collect()
        }
        other => Ok(vec![scalar(other, path)?]),
    }
}

fn parse_principal(p: &Json, path: &str, negated: bool) -> Result<PrincipalElement, ParseError> {
    let name = if negated { "NotPrincipal" } else { "Principal" };
    let Json::Object(members) = p else {
        return Err(ParseError::new(
            K::InvalidType,
            path,
            format!(
                "`{name}` must be an object such as `{{\"IAM\": [\"<account-id>\"]}}`, not {}",
                p.type_name()
            ),
        ));
    };
    check_duplicates(members, path)?;
    if members.is_empty() {
        return Err(ParseError::new(
            K::Empty,
            path,
            format!("`{name}` is empty; add `IAM`, `Service` or `Identity_provider`"),
        ));
    }
    let mut out = PrincipalElement {
        negated,
        ..PrincipalElement::default()
    };
    for (kind, v) in members {
        let p = join(path, kind);
        let list = string_list(v, &p, kind, limits::PATTERNS)?;
        match kind.as_str() {
            "IAM" => out.iam = list,
            "Service" => out.service = list,
            "Identity_provider" => out.identity_provider = list,
            other => {
                return Err(unknown_member(other, path, PRINCIPAL_KINDS));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    const JOB: &str = "modelarts:cn-north-4:0123:trainJob:";

    /// Whether the first statement of a one-statement document applies to resource id `rid`.
    fn applies(kind: PolicyKind, effect: &str, element: &str, pattern: &str, rid: &str) -> bool {
        let doc = serde_json::json!({"Version": "5.0", "Statement": [{"Effect": effect,
            "Action": ["modelarts:trainJob:get"], element: [pattern]}]});
        let policy = Policy::from_value(&doc, kind).unwrap();
        policy.statements()[0]
            .resource
            .matches(&format!("{JOB}{rid}"))
    }

    #[test]
    fn resource_id_case_by_effect() {
        let p = |id: &str| format!("{JOB}{id}");
        // (effect, element, pattern id, request id, applies) - spec §3.1
        let cases: &[(&str, &str, &str, &str, bool)] = &[
            ("Deny", "Resource", "secret-job", "SECRET-JOB", true),
            ("Deny", "Resource", "secret-job", "Secret-Job", true),
            ("Deny", "Resource", "secret-*", "SECRET-JOB", true),
            ("Deny", "Resource", "secret-job", "other-job", false),
            ("Deny", "Resource", "äbc", "ÄBC", false),
            ("Deny", "NotResource", "secret-job", "SECRET-JOB", true),
            ("Deny", "NotResource", "secret-job", "secret-job", false),
            ("Allow", "Resource", "secret-job", "SECRET-JOB", false),
            ("Allow", "Resource", "secret-job", "secret-job", true),
            ("Allow", "NotResource", "secret-job", "SECRET-JOB", false),
            ("Allow", "NotResource", "secret-job", "other-job", true),
            ("Allow", "NotResource", "äbc", "ÄBC", true),
        ];
        for &(effect, element, id, rid, want) in cases {
            assert_eq!(
                applies(PolicyKind::Identity, effect, element, &p(id), rid),
                want,
                "{effect} {element} {id} on {rid}"
            );
            assert_eq!(
                applies(PolicyKind::Session, effect, element, &p(id), rid),
                want,
                "session: {effect} {element} {id} on {rid}"
            );
        }
        // SCPs: a Deny's `Resource` (the only place an SCP names resources) folds too.
        assert!(applies(
            PolicyKind::Scp,
            "Deny",
            "Resource",
            &p("secret-job"),
            "SECRET-JOB"
        ));
    }

    #[test]
    fn legacy_uri_case_by_effect() {
        let doc = |effect: &str| {
            serde_json::json!({"Version": "1.1", "Statement": [{"Effect": effect,
                "Action": ["iam:agencies:get"], "Resource": {"uri": ["/iam/agencies/secret-*"]}}]})
        };
        let deny = Policy::from_value(&doc("Deny"), PolicyKind::Identity).unwrap();
        let allow = Policy::from_value(&doc("Allow"), PolicyKind::Identity).unwrap();
        assert!(
            deny.statements()[0]
                .resource
                .matches("/iam/agencies/SECRET-AGENCY")
        );
        assert!(
            !allow.statements()[0]
                .resource
                .matches("/iam/agencies/SECRET-AGENCY")
        );
        assert!(
            allow.statements()[0]
                .resource
                .matches("/iam/agencies/secret-agency")
        );
    }
}
