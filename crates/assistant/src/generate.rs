//! Least-privilege policy generation: from scenarios (and scopes), or from observed use.
//!
//! Output policies are `"Version": "5.0"` identity policies, each at most 6,144 bytes of
//! minified JSON (split when needed), each parsed by the engine and validated by
//! `iam_analyzer::validate` (no error finding) before it is returned.

use crate::scenario::Scenario;
use crate::scope::Scope;
use iam_catalog::Catalog;
use iam_policy::limits;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// At most this many actions or resources per generated statement (Huawei's SDK limit).
pub const MAX_PER_STATEMENT: usize = 100;

/// One generated policy.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeneratedPolicy {
    /// Suggested name (`<prefix>-1`, `<prefix>-2` ...).
    pub name: String,
    /// The document.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub document: Value,
    /// Minified size in bytes (at most 6,144).
    pub bytes: usize,
}

/// The result of a generation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Generated {
    /// The policies (grant all of them together).
    pub policies: Vec<GeneratedPolicy>,
    /// Every action granted, in order.
    pub actions: Vec<String>,
    /// System-defined policies the tables name for these scenarios (attaching them instead of
    /// the generated actions of their service grants more than the catalog knows of).
    pub system_policies: Vec<String>,
    /// Scenario ids the policies are for (empty for observed use).
    pub scenarios: Vec<String>,
    /// Names the tables give that match no catalog action (1.1 names such as
    /// `modelarts:trainJobLog:*`): left out of the policies, since no request carries them and
    /// `validate` would report them as matching nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
}

/// A generation that cannot be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateError(pub String);

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenerateError {}

/// A statement being built: resources (`None` = no `Resource` element), optional enterprise
/// project condition, actions.
#[derive(Debug, Clone)]
struct Group {
    resources: Option<Vec<String>>,
    ep: Option<String>,
    tags: Vec<(String, String)>,
    actions: Vec<String>,
}

fn statement(g: &Group, actions: &[String], resources: Option<&[String]>) -> Value {
    let mut m = Map::new();
    m.insert("Effect".into(), json!("Allow"));
    m.insert("Action".into(), json!(actions));
    if let Some(r) = resources {
        m.insert("Resource".into(), json!(r));
    }
    let mut equals = Map::new();
    if let Some(ep) = &g.ep {
        equals.insert("g:EnterpriseProjectId".into(), json!([ep]));
    }
    for (k, v) in &g.tags {
        equals.insert(format!("{}{k}", crate::scope::TAG_PREFIX), json!([v]));
    }
    if !equals.is_empty() {
        m.insert("Condition".into(), json!({ "StringEquals": equals }));
    }
    Value::Object(m)
}

fn minified_len(v: &Value) -> usize {
    serde_json::to_string(v).map_or(usize::MAX, |s| s.len())
}

const EMPTY_DOC: usize = r#"{"Version":"5.0","Statement":[]}"#.len();

/// Splits the groups into statements that each fit a document, then packs statements into
/// documents of at most 6,144 bytes.
fn pack(groups: &[Group], name_prefix: &str) -> Result<Vec<GeneratedPolicy>, GenerateError> {
    let limit = limits::IDENTITY_BYTES;
    let mut statements: Vec<Value> = Vec::new();
    for g in groups {
        let resource_chunks: Vec<Option<&[String]>> = match &g.resources {
            None => vec![None],
            Some(r) => r.chunks(MAX_PER_STATEMENT).map(Some).collect(),
        };
        for res in resource_chunks {
            // Greedily fill statements with actions while they fit.
            let mut current: Vec<String> = Vec::new();
            for a in &g.actions {
                current.push(a.clone());
                let too_many = current.len() > MAX_PER_STATEMENT;
                if too_many || minified_len(&statement(g, &current, res)) + EMPTY_DOC > limit {
                    current.pop();
                    if current.is_empty() {
                        return Err(GenerateError(format!(
                            "a statement for action {a} alone does not fit in {limit} bytes"
                        )));
                    }
                    statements.push(statement(g, &current, res));
                    current = vec![a.clone()];
                }
            }
            if !current.is_empty() {
                statements.push(statement(g, &current, res));
            }
        }
    }
    let mut docs: Vec<Vec<Value>> = Vec::new();
    let mut size = EMPTY_DOC;
    for s in statements {
        let len = minified_len(&s);
        let fits = docs.last().is_some_and(|d| {
            size + len + usize::from(!d.is_empty()) <= limit && d.len() < limits::STATEMENTS
        });
        if fits {
            size += len + 1;
            if let Some(d) = docs.last_mut() {
                d.push(s);
            }
        } else {
            size = EMPTY_DOC + len;
            docs.push(vec![s]);
        }
    }
    let n = docs.len();
    docs.into_iter()
        .enumerate()
        .map(|(i, st)| {
            let document = json!({"Version": "5.0", "Statement": st});
            let text = serde_json::to_string(&document)
                .map_err(|e| GenerateError(format!("cannot serialize: {e}")))?;
            // Access Analyzer's validation: no error finding (it also runs `Policy::parse` and
            // reports POLICY_REJECTED if the engine would refuse the document).
            let findings = iam_analyzer::validate(&text, iam_analyzer::PolicyType::Identity);
            if let Some(f) = findings.iter().find(|f| f.is_error()) {
                return Err(GenerateError(format!(
                    "generated policy does not validate: {} {}",
                    f.issue_code, f.finding_details
                )));
            }
            Ok(GeneratedPolicy {
                name: if n == 1 {
                    name_prefix.to_owned()
                } else {
                    format!("{name_prefix}-{}", i + 1)
                },
                bytes: text.len(),
                document,
            })
        })
        .collect()
}

/// Generates the identity policies that grant exactly the scenarios' required actions, limited
/// to the scope. Every action appears in exactly one statement.
pub fn from_scenarios(
    catalog: &Catalog,
    scenarios: &[&Scenario],
    scope: &Scope,
) -> Result<Generated, GenerateError> {
    let mut actions: Vec<String> = Vec::new();
    let mut system_policies: Vec<String> = Vec::new();
    let mut omitted: Vec<String> = Vec::new();
    for sc in scenarios {
        for r in &sc.requirements {
            if r.kind == crate::RequirementKind::SystemPolicy && !system_policies.contains(&r.name)
            {
                system_policies.push(r.name.clone());
            }
            if r.kind == crate::RequirementKind::Pattern
                && r.actions.is_empty()
                && !omitted.contains(&r.name)
            {
                omitted.push(r.name.clone());
            }
        }
        for a in sc.actions() {
            if !actions.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
                actions.push(a);
            }
        }
    }
    if actions.is_empty() {
        return Err(GenerateError("no scenario selected".into()));
    }
    let mut groups: Vec<Group> = Vec::new();
    for a in &actions {
        // The account segment of request URNs does not matter for patterns (rendered `*`).
        let targets = scope.targets(catalog, a, "*");
        let resources: Option<Vec<String>> = if targets.iter().any(|t| t.pattern.is_none()) {
            None
        } else {
            let mut r: Vec<String> = targets.iter().filter_map(|t| t.pattern.clone()).collect();
            r.dedup();
            Some(r)
        };
        let ep = targets.first().and_then(|t| t.enterprise_project.clone());
        let tags = targets
            .first()
            .map(|t| t.resource_tags.clone())
            .unwrap_or_default();
        match groups
            .iter_mut()
            .find(|g| g.resources == resources && g.ep == ep && g.tags == tags)
        {
            Some(g) => g.actions.push(a.clone()),
            None => groups.push(Group {
                resources,
                ep,
                tags,
                actions: vec![a.clone()],
            }),
        }
    }
    let prefix = match scenarios {
        [one] => format!("modelarts-{}", one.id),
        _ => "modelarts-least-privilege".to_owned(),
    };
    Ok(Generated {
        policies: pack(&groups, &prefix)?,
        actions,
        system_policies,
        scenarios: scenarios.iter().map(|s| s.id.clone()).collect(),
        omitted,
    })
}

/// One observed request (from the decision log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Observed {
    /// The action.
    pub action: String,
    /// The resource URN (`None` or `*` for actions without a resource).
    #[serde(default)]
    pub resource: Option<String>,
    /// The logged decision (`allow`, `explicit_deny`, `implicit_deny`).
    pub decision: String,
}

/// Generates the policies that allow exactly the observed requests: allowed ones, plus the
/// denied ones when `include_denied`. Each action gets the exact resources it was used on (no
/// `Resource` element when one of them is `*` or missing); actions with the same resources
/// share a statement.
pub fn from_observed(
    observed: &[Observed],
    include_denied: bool,
    name_prefix: &str,
) -> Result<Generated, GenerateError> {
    let mut per_action: Vec<(String, Option<Vec<String>>)> = Vec::new();
    for o in observed {
        if !(include_denied || o.decision == "allow") || o.action.is_empty() {
            continue;
        }
        let res = o.resource.clone().filter(|r| r != "*" && !r.is_empty());
        let idx = match per_action
            .iter()
            .position(|(a, _)| a.eq_ignore_ascii_case(&o.action))
        {
            Some(i) => i,
            None => {
                per_action.push((o.action.clone(), Some(Vec::new())));
                per_action.len() - 1
            }
        };
        if let Some((_, slot)) = per_action.get_mut(idx) {
            match (slot.as_mut(), res) {
                (Some(list), Some(r)) => {
                    if !list.contains(&r) {
                        list.push(r);
                    }
                }
                (_, None) => *slot = None,
                (None, Some(_)) => {}
            }
        }
    }
    if per_action.is_empty() {
        return Err(GenerateError(
            "the decision log shows no request in the window".into(),
        ));
    }
    let mut groups: Vec<Group> = Vec::new();
    for (a, mut res) in per_action.iter().cloned() {
        if let Some(r) = res.as_mut() {
            r.sort();
        }
        match groups.iter_mut().find(|g| g.resources == res) {
            Some(g) => g.actions.push(a),
            None => groups.push(Group {
                resources: res,
                ep: None,
                tags: Vec::new(),
                actions: vec![a],
            }),
        }
    }
    Ok(Generated {
        policies: pack(&groups, name_prefix)?,
        actions: per_action.into_iter().map(|(a, _)| a).collect(),
        system_policies: Vec::new(),
        scenarios: Vec::new(),
        omitted: Vec::new(),
    })
}

impl Generated {
    /// The documents as minified JSON text.
    pub fn documents(&self) -> Vec<String> {
        self.policies
            .iter()
            .map(|p| p.document.to_string())
            .collect()
    }

    /// Readable text: each policy, pretty-printed, with its size.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        for p in &self.policies {
            let _ = writeln!(s, "# {} ({} bytes minified)", p.name, p.bytes);
            let _ = writeln!(
                s,
                "{}",
                serde_json::to_string_pretty(&p.document).unwrap_or_default()
            );
        }
        if !self.omitted.is_empty() {
            let _ = writeln!(
                s,
                "# left out: {} (named by the tables, but no catalog action matches, so no request carries them)",
                self.omitted.join(", ")
            );
        }
        if !self.system_policies.is_empty() {
            let _ = writeln!(
                s,
                "# the tables name system-defined policies for these scenarios: {} (their actions known to the catalog are included above)",
                self.system_policies.join(", ")
            );
        }
        s
    }
}
