//! The validator: walks the span tree of a document and reports findings.
//!
//! Every `error` check mirrors a rule of `iam_policy::Policy::parse` (spec §1), so a document has
//! an error finding exactly when the engine rejects it (a property test checks this). Everything
//! the engine accepts but that is probably wrong is a warning, security warning or suggestion.

use crate::codes::Code;
use crate::finding::{Finding, Location, PathElement, Substring};
use crate::json::{self, Kind, LineIndex, Member, Node};
use iam_catalog::{AccessLevel, Action, Catalog, ValueType};
use iam_policy::operator::{
    BaseOperator, Family, Operator, Qualifier, parse_bool, parse_date, parse_ip_network,
    parse_number,
};
use iam_policy::{
    ASSUME_ACTION, PRINCIPAL_KINDS, PolicyKind, STATEMENT_MEMBERS_1_1, STATEMENT_MEMBERS_5_0,
    compile_action_pattern, limits,
};
use iam_wildcard::{Case, Pattern};
use std::collections::HashSet;

const TRUST_ACTIONS: &[&str] = &[ASSUME_ACTION, "sts::tagSession", "sts::setSourceIdentity"];

type Path = Vec<PathElement>;

fn with(path: &[PathElement], e: PathElement) -> Path {
    let mut p = path.to_vec();
    p.push(e);
    p
}

fn member(path: &[PathElement], name: &str) -> Path {
    with(path, PathElement::value(name))
}

fn index(path: &[PathElement], i: usize) -> Path {
    with(path, PathElement::index(i))
}

fn key(path: &[PathElement], name: &str) -> Path {
    with(path, PathElement::key(name))
}

fn first<'n>(members: &'n [Member], name: &str) -> Option<&'n Member> {
    members.iter().find(|m| m.key == name)
}

/// A string entry of a list element, with where it is.
struct Entry<'n> {
    text: &'n str,
    node: &'n Node,
    path: Path,
}

pub(crate) struct Validator<'a> {
    text: &'a str,
    lines: LineIndex<'a>,
    catalog: &'a Catalog,
    kind: PolicyKind,
    v11: bool,
    pub(crate) findings: Vec<Finding>,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(text: &'a str, catalog: &'a Catalog, kind: PolicyKind) -> Self {
        Validator {
            text,
            lines: LineIndex::new(text),
            catalog,
            kind,
            v11: false,
            findings: Vec::new(),
        }
    }

    fn push(&mut self, code: Code, details: String, path: Path, start: usize, end: usize) {
        self.findings.push(Finding {
            finding_type: code.finding_type(),
            issue_code: code.as_str().to_owned(),
            finding_details: details,
            learn_more_link: code.learn_more_link(),
            locations: vec![Location {
                path,
                span: self.lines.span(start, end),
            }],
        });
    }

    fn at_node(&mut self, code: Code, details: String, path: Path, n: &Node) {
        self.push(code, details, path, n.start, n.end);
    }

    fn at_key(&mut self, code: Code, details: String, path: &[PathElement], m: &Member) {
        self.push(code, details, key(path, &m.key), m.key_start, m.key_end);
    }

    /// A finding on a part of a string value (`substring` path element), when the string is
    /// written without escapes so that character positions in the value are positions in the text.
    fn at_substring(
        &mut self,
        code: Code,
        details: String,
        path: &[PathElement],
        n: &Node,
        start_char: usize,
        len_chars: usize,
    ) {
        let inner = self.text.get(n.start + 1..n.end.saturating_sub(1));
        let plain = matches!((inner, n.as_str()), (Some(raw), Some(v)) if raw == v);
        if !plain {
            self.at_node(code, details, path.to_vec(), n);
            return;
        }
        let value = n.as_str().unwrap_or("");
        let byte_of = |c: usize| value.char_indices().nth(c).map_or(value.len(), |(b, _)| b);
        let s = n.start + 1 + byte_of(start_char);
        let e = n.start + 1 + byte_of(start_char + len_chars);
        let p = with(
            path,
            PathElement {
                substring: Some(Substring {
                    start: u32::try_from(start_char).unwrap_or(u32::MAX),
                    length: u32::try_from(len_chars).unwrap_or(u32::MAX),
                }),
                ..PathElement::default()
            },
        );
        self.push(code, details, p, s, e);
    }

    pub(crate) fn syntax_error(&mut self, err: &json::SyntaxError) {
        let pos = self.lines.position(err.offset);
        let details = format!(
            "Fix the JSON syntax error at character {} in line {} with index {}: {}.",
            pos.column, pos.line, pos.offset, err.message
        );
        let end = next_char_boundary(self.text, err.offset);
        self.push(Code::JsonSyntaxError, details, Vec::new(), err.offset, end);
    }

    fn duplicates(&mut self, members: &[Member], path: &[PathElement]) {
        let mut seen: HashSet<&str> = HashSet::with_capacity(members.len());
        for m in members {
            if !seen.insert(m.key.as_str()) {
                self.at_key(
                    Code::DuplicateElement,
                    format!(
                        "The element \"{}\" appears more than once; keep only one.",
                        m.key
                    ),
                    path,
                    m,
                );
            }
        }
    }

    fn type_mismatch(&mut self, what: &str, expected: &str, path: Path, n: &Node) {
        self.at_node(
            Code::DataTypeMismatch,
            format!(
                "The text does not match the expected JSON data type {expected}: {what} is {}.",
                n.type_name()
            ),
            path,
            n,
        );
    }

    // ------------------------------------------------------------------ document

    pub(crate) fn document(&mut self, doc: &Node) {
        let Some(members) = doc.as_object() else {
            self.type_mismatch("the policy document", "object", Vec::new(), doc);
            return;
        };
        self.duplicates(members, &[]);
        if let Some(max) = self.kind.max_bytes() {
            let len = json::minified_len(doc);
            if len > max {
                self.push(
                    Code::PolicySizeExceeded,
                    format!(
                        "The policy is {len} bytes long (minified), more than the limit of {max} bytes."
                    ),
                    Vec::new(),
                    doc.start,
                    doc.end,
                );
            }
        }
        for m in members {
            if m.key != "Version" && m.key != "Statement" {
                let hint = case_hint(&m.key, &["Version", "Statement"]);
                self.at_key(
                    Code::InvalidPolicyElement,
                    format!("The element {} in the policy is invalid.{hint}", m.key),
                    &[],
                    m,
                );
            }
        }
        match first(members, "Version") {
            None => self.push(
                Code::MissingVersion,
                "Add the \"Version\" element to the policy.".to_owned(),
                Vec::new(),
                doc.start,
                doc.start + 1,
            ),
            Some(m) => self.version(&m.value),
        }
        match first(members, "Statement") {
            None => self.push(
                Code::MissingStatement,
                "Add the \"Statement\" element to the policy.".to_owned(),
                Vec::new(),
                doc.start,
                doc.start + 1,
            ),
            Some(m) => self.statements(&m.value),
        }
    }

    fn version(&mut self, n: &Node) {
        let path = vec![PathElement::value("Version")];
        let Some(v) = n.as_str() else {
            self.type_mismatch("\"Version\"", "string", path, n);
            return;
        };
        match v {
            "5.0" => {}
            "1.1" if self.kind == PolicyKind::Identity => {
                self.v11 = true;
                self.at_node(
                    Code::DeprecatedVersion,
                    "The policy uses the legacy version 1.1; consider rewriting it as version 5.0."
                        .to_owned(),
                    path,
                    n,
                );
            }
            other => self.at_node(
                Code::InvalidVersion,
                format!("The version {other} is not valid. Use the following version: \"5.0\"."),
                path,
                n,
            ),
        }
    }

    fn statements(&mut self, n: &Node) {
        let path = vec![PathElement::value("Statement")];
        let mut sids: Vec<(String, Path, usize, usize)> = Vec::new();
        match &n.kind {
            Kind::Array(items) => {
                if items.is_empty() {
                    self.at_node(
                        Code::EmptyStatement,
                        "\"Statement\" is empty; add at least one statement.".to_owned(),
                        path,
                        n,
                    );
                    return;
                }
                if items.len() > limits::STATEMENTS {
                    self.at_node(
                        Code::LimitExceeded,
                        format!(
                            "The policy has {} statements, more than the limit of {}.",
                            items.len(),
                            limits::STATEMENTS
                        ),
                        path.clone(),
                        n,
                    );
                }
                for (i, s) in items.iter().enumerate() {
                    self.statement(s, index(&path, i), &mut sids);
                }
            }
            Kind::Object(_) => {
                self.at_node(
                    Code::StatementNotArray,
                    "\"Statement\" is a single object; write it as an array of statements."
                        .to_owned(),
                    path.clone(),
                    n,
                );
                self.statement(n, path, &mut sids);
            }
            _ => self.type_mismatch("\"Statement\"", "array", path, n),
        }
        for (i, (sid, p, s, e)) in sids.iter().enumerate() {
            if sids.iter().take(i).any(|(other, ..)| other == sid) {
                self.push(
                    Code::DuplicateSid,
                    format!("The Sid \"{sid}\" is used by more than one statement."),
                    p.clone(),
                    *s,
                    *e,
                );
            }
        }
    }

    // ------------------------------------------------------------------ statement

    fn statement(&mut self, n: &Node, path: Path, sids: &mut Vec<(String, Path, usize, usize)>) {
        let Some(members) = n.as_object() else {
            self.type_mismatch("a statement", "object", path, n);
            return;
        };
        self.duplicates(members, &path);
        let known = if self.v11 {
            STATEMENT_MEMBERS_1_1
        } else {
            STATEMENT_MEMBERS_5_0
        };
        let mut reported: Vec<&str> = Vec::new();
        for m in members {
            if known.contains(&m.key.as_str()) {
                continue;
            }
            reported.push(m.key.as_str());
            if self.v11 && STATEMENT_MEMBERS_5_0.contains(&m.key.as_str()) {
                self.at_key(
                    Code::UnsupportedElementForVersion,
                    format!(
                        "The element {} exists only in version 5.0 policies; remove it from this version 1.1 policy.",
                        m.key
                    ),
                    &path,
                    m,
                );
            } else {
                let hint = case_hint(&m.key, known);
                self.at_key(
                    Code::InvalidPolicyElement,
                    format!("The element {} in the policy is invalid.{hint}", m.key),
                    &path,
                    m,
                );
            }
        }
        let get = |name: &str| first(members, name);
        match self.kind {
            PolicyKind::Identity | PolicyKind::Session | PolicyKind::Scp => {
                for name in ["Principal", "NotPrincipal"] {
                    if let Some(m) = get(name)
                        && !reported.contains(&name)
                    {
                        self.at_key(
                            Code::UnsupportedPrincipal,
                            format!(
                                "The \"{name}\" element is not supported for {}. Delete the \"{name}\" element.",
                                self.kind.noun()
                            ),
                            &path,
                            m,
                        );
                    }
                }
                if self.kind == PolicyKind::Scp
                    && let Some(m) = get("NotResource")
                {
                    self.at_key(
                        Code::ScpUnsupportedElement,
                        "Service control policies do not support \"NotResource\"; use \"Resource\" in a \"Deny\" statement."
                            .to_owned(),
                        &path,
                        m,
                    );
                }
            }
            PolicyKind::Trust => match (get("Principal"), get("NotPrincipal")) {
                (Some(_), Some(m)) => self.at_key(
                    Code::ConflictingElements,
                    "The statement has both \"Principal\" and \"NotPrincipal\"; keep only one."
                        .to_owned(),
                    &path,
                    m,
                ),
                (None, None) => self.push(
                    Code::MissingPrincipal,
                    "Add a \"Principal\" element to the trust policy statement, such as {\"IAM\": [\"<account-id>\"]}."
                        .to_owned(),
                    path.clone(),
                    n.start,
                    n.start + 1,
                ),
                _ => {}
            },
        }

        // Sid
        if let Some(m) = get("Sid")
            && !self.v11
        {
            let p = member(&path, "Sid");
            match m.value.as_str() {
                None => self.type_mismatch("\"Sid\"", "string", p, &m.value),
                Some("") => self.at_node(
                    Code::EmptySid,
                    "The Sid is empty; give the statement a descriptive Sid or remove it."
                        .to_owned(),
                    p,
                    &m.value,
                ),
                Some(s) => sids.push((s.to_owned(), p, m.value.start, m.value.end)),
            }
        }

        // Effect
        let mut allow = false;
        match get("Effect") {
            None => self.push(
                Code::MissingEffect,
                "Add the \"Effect\" element (\"Allow\" or \"Deny\") to the statement.".to_owned(),
                path.clone(),
                n.start,
                n.start + 1,
            ),
            Some(m) => {
                let p = member(&path, "Effect");
                match m.value.as_str() {
                    Some("Allow") => allow = true,
                    Some("Deny") => {}
                    Some(other) => {
                        let hint = if other.eq_ignore_ascii_case("allow")
                            || other.eq_ignore_ascii_case("deny")
                        {
                            " The value is case-sensitive."
                        } else {
                            ""
                        };
                        self.at_node(
                            Code::InvalidEffect,
                            format!(
                                "The effect {other} is not valid. Use \"Allow\" or \"Deny\".{hint}"
                            ),
                            p,
                            &m.value,
                        );
                    }
                    None => self.type_mismatch("\"Effect\"", "string", p, &m.value),
                }
            }
        }

        // Action / NotAction
        let mut actions: Vec<Entry<'_>> = Vec::new();
        let mut not_action = false;
        match (get("Action"), get("NotAction")) {
            (Some(_), Some(m)) => self.at_key(
                Code::ConflictingElements,
                "The statement has both \"Action\" and \"NotAction\"; keep only one.".to_owned(),
                &path,
                m,
            ),
            (None, None) => self.push(
                Code::MissingAction,
                "Add the \"Action\" element to the statement.".to_owned(),
                path.clone(),
                n.start,
                n.start + 1,
            ),
            (Some(m), None) => {
                if let Some(list) =
                    self.string_list(&m.value, member(&path, "Action"), "Action", true)
                {
                    actions = list;
                }
            }
            (None, Some(m)) => {
                not_action = true;
                if let Some(list) =
                    self.string_list(&m.value, member(&path, "NotAction"), "NotAction", true)
                {
                    actions = list;
                }
            }
        }
        let known_actions = self.check_actions(&actions, not_action);

        // Resource / NotResource
        let mut resources: Vec<Entry<'_>> = Vec::new();
        let mut resource_omitted = true;
        let mut not_resource = false;
        match (get("Resource"), get("NotResource")) {
            (Some(_), Some(m)) => {
                resource_omitted = false;
                self.at_key(
                    Code::ConflictingElements,
                    "The statement has both \"Resource\" and \"NotResource\"; keep only one."
                        .to_owned(),
                    &path,
                    m,
                );
            }
            (None, None) => {}
            (Some(m), None) if self.v11 && m.value.as_object().is_some() => {
                resource_omitted = false;
                self.uri_resource(&m.value, member(&path, "Resource"));
            }
            (Some(m), None) => {
                resource_omitted = false;
                if let Some(list) =
                    self.string_list(&m.value, member(&path, "Resource"), "Resource", true)
                {
                    resources = list;
                }
            }
            (None, Some(m)) => {
                resource_omitted = false;
                not_resource = true;
                if let Some(list) =
                    self.string_list(&m.value, member(&path, "NotResource"), "NotResource", true)
                {
                    resources = list;
                }
            }
        }
        self.check_resources(&resources, not_resource, not_action, &known_actions);

        // Condition
        let condition = get("Condition");
        if let Some(m) = condition {
            self.condition(
                &m.value,
                member(&path, "Condition"),
                allow,
                not_action,
                &known_actions,
            );
        }

        // Principal / NotPrincipal (trust policies)
        if self.kind == PolicyKind::Trust {
            if let Some(m) = get("Principal") {
                self.principal(
                    &m.value,
                    member(&path, "Principal"),
                    allow,
                    condition.is_none(),
                );
            } else if let Some(m) = get("NotPrincipal") {
                self.principal(
                    &m.value,
                    member(&path, "NotPrincipal"),
                    allow,
                    condition.is_none(),
                );
                if allow {
                    self.at_key(
                        Code::AllowWithNotPrincipal,
                        "An \"Allow\" statement with \"NotPrincipal\" lets every other principal assume the agency."
                            .to_owned(),
                        &path,
                        m,
                    );
                }
            }
        }

        // SCP restrictions on Allow statements
        if self.kind == PolicyKind::Scp && allow {
            if let Some(m) = get("NotAction") {
                self.at_key(
                    Code::ScpAllowNotAction,
                    "An \"Allow\" statement of a service control policy cannot use \"NotAction\"; use \"Action\"."
                        .to_owned(),
                    &path,
                    m,
                );
            }
            if let Some(m) = condition {
                self.at_key(
                    Code::ScpAllowCondition,
                    "An \"Allow\" statement of a service control policy cannot have a \"Condition\"."
                        .to_owned(),
                    &path,
                    m,
                );
            }
            if let Some(m) = get("Resource")
                && get("NotResource").is_none()
            {
                let list_ok = match &m.value.kind {
                    Kind::String(s) => s == "*",
                    Kind::Array(items) => {
                        items.len() == 1 && items.iter().all(|i| i.as_str() == Some("*"))
                    }
                    _ => true, // a type error is reported already
                };
                if !list_ok {
                    self.at_node(
                        Code::ScpAllowResource,
                        "An \"Allow\" statement of a service control policy must have \"Resource\" omitted or [\"*\"]."
                            .to_owned(),
                        member(&path, "Resource"),
                        &m.value,
                    );
                }
            }
        }

        // Security warnings on Allow statements of identity-like policies.
        if allow && matches!(self.kind, PolicyKind::Identity | PolicyKind::Session) {
            self.broad_grants(
                &path,
                members,
                &actions,
                not_action,
                &resources,
                resource_omitted,
                not_resource,
                condition.is_none(),
            );
        }
    }

    /// Reads a "string or array of strings" element; returns the strings (`None` when the element
    /// is not usable).
    fn string_list<'n>(
        &mut self,
        n: &'n Node,
        path: Path,
        what: &str,
        pattern: bool,
    ) -> Option<Vec<Entry<'n>>> {
        let mut out = Vec::new();
        match &n.kind {
            Kind::String(s) => out.push(Entry {
                text: s,
                node: n,
                path: path.clone(),
            }),
            Kind::Array(items) => {
                if items.is_empty() {
                    self.at_node(
                        Code::EmptyArray,
                        format!("\"{what}\" is an empty array; list at least one value."),
                        path,
                        n,
                    );
                    return None;
                }
                if items.len() > limits::PATTERNS {
                    self.at_node(
                        Code::LimitExceeded,
                        format!(
                            "\"{what}\" has {} entries, more than the limit of {}.",
                            items.len(),
                            limits::PATTERNS
                        ),
                        path.clone(),
                        n,
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(s) => out.push(Entry {
                            text: s,
                            node: item,
                            path: index(&path, i),
                        }),
                        None => self.type_mismatch(
                            &format!("an entry of \"{what}\""),
                            "string",
                            index(&path, i),
                            item,
                        ),
                    }
                }
            }
            _ => {
                self.type_mismatch(&format!("\"{what}\""), "array", path, n);
                return None;
            }
        }
        if pattern {
            for e in &out {
                if e.text.len() > limits::PATTERN_BYTES {
                    self.at_node(
                        Code::LimitExceeded,
                        format!(
                            "The pattern is {} bytes long, more than the limit of {} bytes.",
                            e.text.len(),
                            limits::PATTERN_BYTES
                        ),
                        e.path.clone(),
                        e.node,
                    );
                }
            }
        }
        // Repeated values (actions case-insensitively).
        let ci = what.ends_with("Action");
        for (i, e) in out.iter().enumerate() {
            let dup = out.iter().take(i).any(|o| {
                if ci {
                    o.text.eq_ignore_ascii_case(e.text)
                } else {
                    o.text == e.text
                }
            });
            if dup {
                self.at_node(
                    Code::DuplicateValue,
                    format!("The value \"{}\" is repeated in \"{what}\".", e.text),
                    e.path.clone(),
                    e.node,
                );
            }
        }
        Some(out)
    }

    fn uri_resource(&mut self, n: &Node, path: Path) {
        let Some(members) = n.as_object() else { return };
        self.duplicates(members, &path);
        let mut has_uri = false;
        for m in members {
            if m.key == "uri" {
                has_uri = true;
                let _ = self.string_list(&m.value, member(&path, "uri"), "uri", true);
            } else {
                self.at_key(
                    Code::InvalidPolicyElement,
                    format!("The element {} in the policy is invalid. A version 1.1 \"Resource\" object has only \"uri\".", m.key),
                    &path,
                    m,
                );
            }
        }
        if !has_uri && members.iter().all(|m| m.key == "uri") {
            self.at_node(
                Code::EmptyObject,
                "The \"Resource\" object has no \"uri\"; write {\"uri\": [\"/iam/agencies/<agency-id>\"]}."
                    .to_owned(),
                path,
                n,
            );
        }
    }

    // ------------------------------------------------------------------ actions

    /// Checks each action pattern; returns the catalog actions the patterns match when every
    /// pattern's service is known (otherwise the catalog cannot judge the statement: `None`).
    fn check_actions(
        &mut self,
        actions: &[Entry<'_>],
        not_action: bool,
    ) -> Option<Vec<&'a Action>> {
        let catalog = self.catalog;
        let mut all_known = !actions.is_empty() && !not_action;
        let mut matched: Vec<&'a Action> = Vec::new();
        for e in actions {
            let a = e.text;
            let has_wild = a.contains(['*', '?']);
            let service = a.split(':').next().unwrap_or("");
            let service_wild = service.contains(['*', '?']) || !a.contains(':');
            if !has_wild && a.split(':').count() != 3 {
                self.at_node(
                    Code::InvalidActionFormat,
                    format!(
                        "The action \"{a}\" is not of the form service:resourceType:operation and matches no request."
                    ),
                    e.path.clone(),
                    e.node,
                );
                all_known = false;
                continue;
            }
            if service.bytes().any(|b| b.is_ascii_uppercase()) {
                self.at_substring(
                    Code::UppercaseService,
                    format!(
                        "The service code \"{service}\" has upper-case letters; write \"{}\".",
                        service.to_ascii_lowercase()
                    ),
                    &e.path,
                    e.node,
                    0,
                    service.chars().count(),
                );
            }
            if self.kind == PolicyKind::Scp {
                self.scp_wildcards(e);
            }
            if self.kind == PolicyKind::Trust && !not_action {
                let p = compile_action_pattern(a);
                if !TRUST_ACTIONS.iter().any(|t| p.matches(t)) {
                    self.at_node(
                        Code::TrustUnsupportedAction,
                        format!(
                            "The action \"{a}\" has no effect in a trust policy; use \"sts:agencies:assume\"."
                        ),
                        e.path.clone(),
                        e.node,
                    );
                }
            }
            if service_wild {
                if a.bytes().all(|b| b == b'*') {
                    matched.extend(catalog.actions());
                } else {
                    all_known = false;
                }
                continue;
            }
            let lower = service.to_ascii_lowercase();
            if catalog.service(&lower).is_none() {
                self.at_substring(
                    Code::UnknownService,
                    format!(
                        "The service \"{service}\" is not in the catalog; the action \"{a}\" is not checked further."
                    ),
                    &e.path,
                    e.node,
                    0,
                    service.chars().count(),
                );
                all_known = false;
                continue;
            }
            let lowered;
            let lookup = if service == lower {
                a
            } else {
                lowered = format!("{lower}{}", a.get(service.len()..).unwrap_or(""));
                lowered.as_str()
            };
            let found = catalog.expand(lookup);
            if found.is_empty() {
                if has_wild {
                    self.at_node(
                        Code::ActionMatchesNothing,
                        format!(
                            "The pattern \"{a}\" matches no action of the service \"{lower}\"."
                        ),
                        e.path.clone(),
                        e.node,
                    );
                } else {
                    self.at_node(
                        Code::UnknownAction,
                        format!("The action \"{a}\" is not an action of the service \"{lower}\"."),
                        e.path.clone(),
                        e.node,
                    );
                }
                all_known = false;
            }
            matched.extend(found);
        }
        // Actions covered by a wildcard of the same element (a wildcard entry is never the
        // literal entry it covers, so every wildcard of the element is a candidate).
        let wildcards: Vec<_> = actions
            .iter()
            .filter(|o| o.text.contains(['*', '?']))
            .map(|o| compile_action_pattern(o.text))
            .collect();
        for e in actions {
            if e.text.contains(['*', '?']) {
                continue;
            }
            let covered = wildcards.iter().any(|w| w.matches(e.text));
            if covered {
                self.at_node(
                    Code::RedundantAction,
                    format!("The action \"{}\" is already matched by a wildcard pattern of the same element.", e.text),
                    e.path.clone(),
                    e.node,
                );
            }
        }
        all_known.then_some(matched)
    }

    fn scp_wildcards(&mut self, e: &Entry<'_>) {
        if e.text == "*" {
            return;
        }
        let bad = e
            .text
            .split(':')
            .any(|seg| seg.contains('?') || seg.find('*').is_some_and(|i| i + 1 != seg.len()));
        if bad {
            self.at_node(
                Code::ScpActionWildcardPosition,
                format!(
                    "In a service control policy, write wildcards only alone or at the end of a segment; \"{}\" does not.",
                    e.text
                ),
                e.path.clone(),
                e.node,
            );
        }
    }

    // ------------------------------------------------------------------ resources

    fn check_resources(
        &mut self,
        resources: &[Entry<'_>],
        not_resource: bool,
        not_action: bool,
        known_actions: &Option<Vec<&'a Action>>,
    ) {
        let has_star = resources.iter().any(|e| is_all_stars(e.text));
        for e in resources {
            let r = e.text;
            if is_all_stars(r) {
                continue;
            }
            if has_star && !not_resource {
                self.at_node(
                    Code::RedundantResource,
                    format!("\"{r}\" adds nothing: \"Resource\" also lists \"*\"."),
                    e.path.clone(),
                    e.node,
                );
            }
            let Some((segs, _id)) = iam_policy::pattern::split_urn(r) else {
                self.at_node(
                    Code::InvalidResourceFormat,
                    format!(
                        "The resource \"{r}\" is not a URN service:region:account-id:type:id and matches nothing."
                    ),
                    e.path.clone(),
                    e.node,
                );
                continue;
            };
            let service = segs[0];
            if !service.contains(['*', '?'])
                && self
                    .catalog
                    .service(&service.to_ascii_lowercase())
                    .is_none()
            {
                self.at_substring(
                    Code::UnknownService,
                    format!("The service \"{service}\" of the resource is not in the catalog."),
                    &e.path,
                    e.node,
                    0,
                    service.chars().count(),
                );
                continue;
            }
            if not_resource || not_action {
                continue;
            }
            let Some(actions) = known_actions else {
                continue;
            };
            if actions.is_empty() {
                continue;
            }
            let mut types: Vec<String> = Vec::new();
            let mut fits = false;
            for a in actions {
                for row in &a.resources {
                    if let Some(rt) = self
                        .catalog
                        .action_resource_type(a.service(), &row.resource_type)
                    {
                        if urn_fits_template(&segs, &rt.urn_template) {
                            fits = true;
                        }
                        if !types.contains(&rt.urn_template) {
                            types.push(rt.urn_template.clone());
                        }
                    }
                }
                if fits {
                    break;
                }
            }
            if fits {
                continue;
            }
            if types.is_empty() {
                self.at_node(
                    Code::ActionResourceNotSupported,
                    format!(
                        "The actions of this statement support no resource-level permission, so only \"*\" matches them, not \"{r}\"."
                    ),
                    e.path.clone(),
                    e.node,
                );
            } else {
                types.truncate(5);
                self.at_node(
                    Code::ResourceTypeMismatch,
                    format!(
                        "The resource \"{r}\" matches no resource type of the statement's actions; expected a URN like {}.",
                        types.join(", ")
                    ),
                    e.path.clone(),
                    e.node,
                );
            }
        }
    }

    // ------------------------------------------------------------------ conditions

    fn condition(
        &mut self,
        n: &Node,
        path: Path,
        allow: bool,
        not_action: bool,
        known_actions: &Option<Vec<&'a Action>>,
    ) {
        let Some(ops) = n.as_object() else {
            self.type_mismatch("\"Condition\"", "object", path, n);
            return;
        };
        if ops.is_empty() {
            self.at_node(
                Code::EmptyCondition,
                "The \"Condition\" object is empty; remove it or add a condition.".to_owned(),
                path,
                n,
            );
            return;
        }
        self.duplicates(ops, &path);
        if ops.len() > limits::OPERATORS {
            self.at_node(
                Code::LimitExceeded,
                format!(
                    "The condition has {} operators, more than the limit of {}.",
                    ops.len(),
                    limits::OPERATORS
                ),
                path.clone(),
                n,
            );
        }
        for op in ops {
            let op_path = member(&path, &op.key);
            let operator = match Operator::parse(&op.key) {
                Ok(o) => Some(o),
                Err(e) => {
                    self.at_key(
                        Code::InvalidConditionOperator,
                        format!(
                            "The condition operator {} is not valid: {}.",
                            op.key,
                            e.message()
                        ),
                        &path,
                        op,
                    );
                    None
                }
            };
            if let Some(o) = operator
                && !self.v11
            {
                let legacy = match o.base {
                    BaseOperator::StringLike => Some("StringMatch"),
                    BaseOperator::StringNotLike => Some("StringNotMatch"),
                    _ if op.key.contains("Numeric") => Some("the Number* operator"),
                    _ => None,
                };
                if let Some(repl) = legacy {
                    self.at_key(
                        Code::LegacyOperator,
                        format!(
                            "The operator {} is an AWS/1.1 spelling; write {repl}.",
                            op.key
                        ),
                        &path,
                        op,
                    );
                }
            }
            let Some(keys) = op.value.as_object() else {
                self.type_mismatch(
                    &format!("the value of operator {}", op.key),
                    "object",
                    op_path,
                    &op.value,
                );
                continue;
            };
            if keys.is_empty() {
                self.at_node(
                    Code::EmptyCondition,
                    format!(
                        "The operator {} has no condition keys; remove it or add a key.",
                        op.key
                    ),
                    op_path,
                    &op.value,
                );
                continue;
            }
            self.duplicates(keys, &op_path);
            for k in keys {
                self.condition_key(
                    k,
                    &op_path,
                    &op.key,
                    operator,
                    allow,
                    not_action,
                    known_actions,
                );
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site; the values are the statement's context"
    )]
    fn condition_key(
        &mut self,
        k: &Member,
        op_path: &[PathElement],
        op_name: &str,
        operator: Option<Operator>,
        allow: bool,
        not_action: bool,
        known_actions: &Option<Vec<&'a Action>>,
    ) {
        let key_path = member(op_path, &k.key);
        // Values: a scalar or an array of scalars.
        let mut vals: Vec<(String, Path, usize, usize)> = Vec::new();
        match &k.value.kind {
            Kind::Array(items) => {
                if items.is_empty() {
                    self.at_node(
                        Code::EmptyArray,
                        format!("The values of condition key {} are an empty array; list at least one value.", k.key),
                        key_path.clone(),
                        &k.value,
                    );
                }
                if items.len() > limits::VALUES {
                    self.at_node(
                        Code::LimitExceeded,
                        format!(
                            "The condition key {} has {} values, more than the limit of {}.",
                            k.key,
                            items.len(),
                            limits::VALUES
                        ),
                        key_path.clone(),
                        &k.value,
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    self.scalar_value(item, index(&key_path, i), &mut vals);
                }
            }
            _ => self.scalar_value(&k.value, key_path.clone(), &mut vals),
        }
        let Some(op) = operator else { return };
        let family = op.family();
        let exact = matches!(
            op.base,
            BaseOperator::StringEquals
                | BaseOperator::StringNotEquals
                | BaseOperator::StringEqualsIgnoreCase
                | BaseOperator::StringNotEqualsIgnoreCase
        );
        for (v, p, s, e) in &vals {
            let (bad, code) = match family {
                Family::Number => (parse_number(v).err(), Code::InvalidNumber),
                Family::Date => (parse_date(v).err(), Code::InvalidDate),
                Family::Bool | Family::Null => (parse_bool(v).err(), Code::InvalidBoolean),
                Family::Ip => (parse_ip_network(v).err(), Code::InvalidIpAddress),
                Family::String => (None, Code::InvalidNumber),
            };
            if let Some(err) = bad {
                self.push(
                    code,
                    format!(
                        "The value of operator {op_name} is not valid: {}.",
                        err.message()
                    ),
                    p.clone(),
                    *s,
                    *e,
                );
            }
            if exact && v.contains(['*', '?']) {
                self.push(
                    Code::WildcardInExactOperator,
                    format!(
                        "The value \"{v}\" of {op_name} contains a wildcard, which {op_name} compares literally; use StringMatch for wildcards."
                    ),
                    p.clone(),
                    *s,
                    *e,
                );
            }
        }
        if allow && op.qualifier == Some(Qualifier::ForAllValues) {
            self.at_key(
                Code::ForAllValuesWithAllow,
                format!(
                    "ForAllValues: holds when the request has no value for {}, so this Allow statement also applies to such requests.",
                    k.key
                ),
                op_path,
                k,
            );
        }
        // Catalog checks of the key.
        let catalog = self.catalog;
        let prefix = k.key.split(':').next().unwrap_or("");
        let Some(info) = catalog.condition_key(&k.key) else {
            let known_prefix = prefix.eq_ignore_ascii_case("g")
                || catalog.service(&prefix.to_ascii_lowercase()).is_some();
            if known_prefix && k.key.contains(':') {
                self.at_key(
                    Code::UnknownConditionKey,
                    format!(
                        "The condition key {} is not in the catalog; requests never carry it.",
                        k.key
                    ),
                    op_path,
                    k,
                );
            }
            return;
        };
        let key_family = match info.value_type {
            ValueType::String => Family::String,
            ValueType::Number => Family::Number,
            ValueType::Date => Family::Date,
            ValueType::Bool => Family::Bool,
            ValueType::Ip => Family::Ip,
        };
        if family != Family::Null && family != key_family {
            self.at_key(
                Code::ConditionTypeMismatch,
                format!(
                    "The key {} has values of type {}, but {op_name} compares {} values.",
                    k.key,
                    info.value_type,
                    family_noun(family)
                ),
                op_path,
                k,
            );
        }
        if family != Family::Null {
            match (op.qualifier, info.multi_valued) {
                (Some(_), false) => self.at_key(
                    Code::SetOperatorOnSingleValuedKey,
                    format!("The key {} has a single value; remove the ForAnyValue:/ForAllValues: qualifier.", k.key),
                    op_path,
                    k,
                ),
                (None, true) => self.at_key(
                    Code::MultiValuedKeyWithoutQualifier,
                    format!("The key {} can have several values; say which must match with ForAnyValue: or ForAllValues:.", k.key),
                    op_path,
                    k,
                ),
                _ => {}
            }
        }
        if !prefix.eq_ignore_ascii_case("g")
            && !not_action
            && let Some(actions) = known_actions
            && !actions.is_empty()
        {
            let supported = actions.iter().any(|a| {
                a.all_condition_keys()
                    .iter()
                    .any(|ck| key_name_matches(ck, &k.key))
            });
            if !supported {
                self.at_key(
                    Code::UnsupportedConditionKey,
                    format!(
                        "None of the statement's actions supports the condition key {}; the condition never sees a value.",
                        k.key
                    ),
                    op_path,
                    k,
                );
            }
        }
        // Keys no enforcement point can fill for an action on one of its routes
        // (`data/request-keys.json`): an Allow never matches there, a Deny never applies.
        if family != Family::Null
            && !not_action
            && let Some(actions) = known_actions
        {
            let mut gaps: Vec<String> = Vec::new();
            for a in actions {
                for row in catalog.unknowable_routes(&a.name, &k.key) {
                    gaps.push(format!(
                        "{} on {} {} ({})",
                        a.name,
                        row.method,
                        row.path,
                        row.unknowable_reason().unwrap_or("no source")
                    ));
                }
            }
            if !gaps.is_empty() {
                let more = gaps.len().saturating_sub(3);
                let shown = gaps.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
                let tail = if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                };
                if allow {
                    self.at_key(
                        Code::ConditionKeyUnknowable,
                        format!(
                            "No enforcement point can know {} for: {shown}{tail}. This Allow statement never matches those requests.",
                            k.key
                        ),
                        op_path,
                        k,
                    );
                } else {
                    self.at_key(
                        Code::DenyConditionKeyUnknowable,
                        format!(
                            "No enforcement point can know {} for: {shown}{tail}. This Deny statement never applies to those requests.",
                            k.key
                        ),
                        op_path,
                        k,
                    );
                }
            }
        }
    }

    fn scalar_value(&mut self, v: &Node, p: Path, out: &mut Vec<(String, Path, usize, usize)>) {
        match &v.kind {
            Kind::String(s) => out.push((s.clone(), p, v.start, v.end)),
            Kind::Number(text) => {
                self.at_node(
                    Code::ConditionValueNotString,
                    format!(
                        "The condition value {text} is a number; write it as the string \"{text}\"."
                    ),
                    p.clone(),
                    v,
                );
                out.push((json::number_text(text), p, v.start, v.end));
            }
            Kind::Bool(b) => {
                self.at_node(
                    Code::ConditionValueNotString,
                    format!(
                        "The condition value {b} is a boolean; write it as the string \"{b}\"."
                    ),
                    p.clone(),
                    v,
                );
                out.push((b.to_string(), p, v.start, v.end));
            }
            _ => self.type_mismatch("a condition value", "string", p, v),
        }
    }

    // ------------------------------------------------------------------ principals

    fn principal(&mut self, n: &Node, path: Path, allow: bool, no_condition: bool) {
        let Some(members) = n.as_object() else {
            self.type_mismatch("the principal", "object", path, n);
            return;
        };
        if members.is_empty() {
            self.at_node(
                Code::EmptyObject,
                "The principal is empty; add \"IAM\", \"Service\" or \"Identity_provider\"."
                    .to_owned(),
                path,
                n,
            );
            return;
        }
        self.duplicates(members, &path);
        for m in members {
            if !PRINCIPAL_KINDS.contains(&m.key.as_str()) {
                let hint = case_hint(&m.key, PRINCIPAL_KINDS);
                self.at_key(
                    Code::InvalidPolicyElement,
                    format!(
                        "The element {} in the policy is invalid. A principal has \"IAM\", \"Service\" or \"Identity_provider\".{hint}",
                        m.key
                    ),
                    &path,
                    m,
                );
                continue;
            }
            let Some(list) = self.string_list(&m.value, member(&path, &m.key), &m.key, false)
            else {
                continue;
            };
            for e in list {
                let ok = match m.key.as_str() {
                    "IAM" => {
                        if e.text == "*" {
                            if allow
                                && no_condition
                                && !path
                                    .iter()
                                    .any(|p| p.value.as_deref() == Some("NotPrincipal"))
                            {
                                self.at_node(
                                    Code::TrustPrincipalWildcard,
                                    "Any IAM principal of any account may assume this agency; name the trusted accounts or add a condition."
                                        .to_owned(),
                                    e.path.clone(),
                                    e.node,
                                );
                            }
                            true
                        } else {
                            valid_iam_principal(e.text)
                        }
                    }
                    "Service" => {
                        e.text
                            .get(..8)
                            .is_some_and(|p| p.eq_ignore_ascii_case("service."))
                            && e.text.len() > 8
                    }
                    _ => !e.text.is_empty(),
                };
                if !ok {
                    self.at_node(
                        Code::InvalidPrincipal,
                        format!(
                            "The {} principal \"{}\" is not of a recognised form.",
                            m.key, e.text
                        ),
                        e.path.clone(),
                        e.node,
                    );
                }
            }
        }
    }

    // ------------------------------------------------------------------ broad grants

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site; the values are the statement's parts"
    )]
    fn broad_grants(
        &mut self,
        path: &[PathElement],
        members: &[Member],
        actions: &[Entry<'_>],
        not_action: bool,
        resources: &[Entry<'_>],
        resource_omitted: bool,
        not_resource: bool,
        no_condition: bool,
    ) {
        if not_action && let Some(m) = first(members, "NotAction") {
            self.at_key(
                Code::AllowWithNotAction,
                "An \"Allow\" statement with \"NotAction\" grants every other action, including future ones."
                    .to_owned(),
                path,
                m,
            );
        }
        if not_resource && let Some(m) = first(members, "NotResource") {
            self.at_key(
                Code::AllowWithNotResource,
                "An \"Allow\" statement with \"NotResource\" grants access to every other resource."
                    .to_owned(),
                path,
                m,
            );
        }
        if not_action || not_resource {
            return;
        }
        let all_resources = resource_omitted || resources.iter().any(|e| is_all_stars(e.text));
        if !all_resources {
            return;
        }
        for e in actions {
            let p = Pattern::new(e.text, Case::Insensitive);
            if p.is_match_all()
                || e.text.bytes().all(|b| b == b'*' || b == b':') && e.text.contains('*')
            {
                if no_condition {
                    self.at_node(
                        Code::FullAccess,
                        "This statement allows every action on every resource.".to_owned(),
                        e.path.clone(),
                        e.node,
                    );
                }
                continue;
            }
            if compile_action_pattern(e.text).matches(ASSUME_ACTION) {
                self.at_node(
                    Code::AssumeAnyAgency,
                    "This statement allows assuming every agency (sts:agencies:assume on \"*\"); restrict \"Resource\" to agency URNs."
                        .to_owned(),
                    e.path.clone(),
                    e.node,
                );
            }
            if !p.has_wildcard() {
                continue;
            }
            let expanded = self.catalog.expand(e.text);
            let level = |l: AccessLevel| expanded.iter().filter(|a| a.access_level == l).count();
            let pm = level(AccessLevel::PermissionManagement);
            let write = level(AccessLevel::Write);
            if pm > 0 {
                self.at_node(
                    Code::PermissionsManagementWildcard,
                    format!(
                        "\"{}\" grants {pm} Permission_management action(s) on all resources.",
                        e.text
                    ),
                    e.path.clone(),
                    e.node,
                );
            } else if write > 0 {
                self.at_node(
                    Code::WriteAccessWildcard,
                    format!(
                        "\"{}\" grants {write} Write action(s) on all resources.",
                        e.text
                    ),
                    e.path.clone(),
                    e.node,
                );
            }
        }
    }
}

fn is_all_stars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'*')
}

fn next_char_boundary(text: &str, at: usize) -> usize {
    let mut e = (at + 1).min(text.len());
    while e < text.len() && !text.is_char_boundary(e) {
        e += 1;
    }
    e.max(at.min(text.len()))
}

fn case_hint(name: &str, known: &[&str]) -> String {
    match known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(k) => format!(" Member names are case-sensitive: write \"{k}\"."),
        None => String::new(),
    }
}

fn family_noun(f: Family) -> &'static str {
    match f {
        Family::String => "string",
        Family::Number => "number",
        Family::Date => "date",
        Family::Bool => "boolean",
        Family::Ip => "ip",
        Family::Null => "null",
    }
}

/// Whether a catalog key name (possibly a template such as `g:ResourceTag/<tag-key>`) names `key`.
fn key_name_matches(catalog_name: &str, key: &str) -> bool {
    match catalog_name.find('<') {
        Some(i) => {
            let prefix = catalog_name.get(..i).unwrap_or(catalog_name);
            key.len() > prefix.len()
                && key
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        }
        None => catalog_name.eq_ignore_ascii_case(key),
    }
}

/// Whether the first four segments of a URN pattern can match a URN of the template
/// `service:<region>:<account-id>:type:<id>` (`<...>` parts match anything).
fn urn_fits_template(segs: &[&str; 4], template: &str) -> bool {
    let Some((tsegs, _)) = iam_policy::pattern::split_urn(template) else {
        return false;
    };
    segs.iter().zip(tsegs).enumerate().all(|(i, (p, t))| {
        if t.starts_with('<') && t.ends_with('>') {
            return true;
        }
        let case = if i == 0 || i == 3 {
            Case::Insensitive
        } else {
            Case::Sensitive
        };
        Pattern::new(p, case).matches(t)
    })
}

/// `IAM` principal forms: an account ID, or a URN `iam::<account-id>:<type>[:<name>]`.
fn valid_iam_principal(s: &str) -> bool {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return true;
    }
    match s.strip_prefix("iam::") {
        Some(rest) => {
            let mut parts = rest.splitn(2, ':');
            let account = parts.next().unwrap_or("");
            let tail = parts.next().unwrap_or("");
            !account.is_empty()
                && account.bytes().all(|b| b.is_ascii_alphanumeric())
                && !tail.is_empty()
        }
        None => false,
    }
}
