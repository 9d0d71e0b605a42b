//! The explanation of a decision, for a person: which statements allowed, or the cause of a
//! deny (the deciding layer and why), the denial message, the conditions that decided and the
//! engine's notes.
//!
//! It renders the engine's type, [`iam_policy::Explanation`], which also deserializes from the
//! JSON the server answers with (`/v1/authorize`, `/v1/simulate`): a command that holds that
//! JSON calls [`explanation_text_json`] (or deserializes it and calls [`explanation_text`]) and
//! prints exactly what `eval` prints for a local decision.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iam_policy::{Decision, Explanation, FailedCondition, Layer, LayerRef, StatementRef};
use serde::Deserialize as _;

/// How the renderer names what an explanation refers to by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Labels {
    /// The number of SCP levels of the request, to label level 0 `root`, the last `account` and
    /// those in between `OU`; `None` labels levels by number only.
    pub(crate) scp_levels: Option<usize>,
    /// Display names of policy ids, such as the file a policy was read from
    /// (`identity_policies[0]` -> `policies/ds.json`); ids without one are shown as they are.
    pub(crate) policy_names: BTreeMap<String, String>,
}

impl Labels {
    /// The display name of a policy id.
    pub(crate) fn policy(&self, id: &str) -> String {
        match self.policy_names.get(id) {
            Some(name) => name.clone(),
            None => id.to_owned(),
        }
    }

    /// `SCP level 2 (account)`, `identity policies`, `session policies`.
    pub(crate) fn layer(&self, l: &LayerRef) -> String {
        match (l.layer, l.level) {
            (Layer::Scp, Some(level)) => format!("SCP level {level}{}", self.node(level)),
            (Layer::Scp, None) => "SCP".to_owned(),
            (Layer::Identity, _) => "identity policies".to_owned(),
            (Layer::Session, _) => "session policies".to_owned(),
        }
    }

    fn node(&self, level: usize) -> &'static str {
        match self.scp_levels {
            Some(_) if level == 0 => " (root)",
            Some(n) if level + 1 == n => " (account)",
            Some(_) => " (OU)",
            None => "",
        }
    }

    /// `identity policy P statement #1 (Sid Jobs)`, `SCP level 2 policy P statement #0`.
    pub(crate) fn statement(&self, s: &StatementRef) -> String {
        let layer = match (s.layer, s.level) {
            (Layer::Scp, Some(level)) => format!("SCP level {level}"),
            (Layer::Scp, None) => "SCP".to_owned(),
            (Layer::Identity, _) => "identity".to_owned(),
            (Layer::Session, _) => "session".to_owned(),
        };
        let sid = s
            .sid
            .as_deref()
            .map(|sid| format!(" (Sid {sid})"))
            .unwrap_or_default();
        format!(
            "{layer} policy {} statement #{}{sid}",
            self.policy(s.policy_id.as_str()),
            s.statement_index
        )
    }

    /// The cause of a deny in the engine's words ([`Explanation::cause_text`]), with policies
    /// named by their display names.
    pub(crate) fn cause(&self, e: &Explanation) -> Option<String> {
        e.cause_text(|s| iam_policy::statement_words_as(s, &self.policy(s.policy_id.as_str())))
    }

    /// `StringEquals g:K ["a"] vs request ["b"] in identity policy P statement #0`.
    pub(crate) fn condition(&self, c: &FailedCondition) -> String {
        let request = if c.request_values.is_empty() {
            "missing".to_owned()
        } else {
            format!("{:?}", c.request_values)
        };
        let error = c
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        format!(
            "{} {} {:?} vs request {request}{error} in {}",
            c.operator,
            c.key,
            c.policy_values,
            self.statement(&c.statement)
        )
    }
}

/// The explanation as lines for a person (each ends with a newline, none is indented):
///
/// ```text
/// allowed by: identity policy P statement #1 (Sid Jobs)
/// ```
/// or
/// ```text
/// cause: no Allow at SCP level 1 (every SCP level needs an Allow, such as FullAccess)
/// message: User: ... because no service control policy allows the ... action.
/// conditions that did not hold (Allow statements of the failing layers):
///   - StringEquals g:EnterpriseProjectId ["ep-1"] vs request ["ep-2"] in identity policy P statement #0
/// note: ...
/// ```
///
/// For an explicit deny the conditions listed are those that could not be evaluated (a request
/// value that does not parse makes a `Deny` apply); there are usually none.
pub(crate) fn explanation_text(e: &Explanation, labels: &Labels) -> String {
    let mut out = String::new();
    match e.decision {
        Decision::Allow => {
            if e.statements.is_empty() {
                out.push_str("allowed: no layer had to allow\n");
            } else {
                let by: Vec<String> = e.statements.iter().map(|s| labels.statement(s)).collect();
                let _ = writeln!(out, "allowed by: {}", by.join("; "));
            }
        }
        Decision::ExplicitDeny | Decision::ImplicitDeny => {
            if let Some(cause) = labels.cause(e) {
                let _ = writeln!(out, "cause: {cause}");
            }
            if let Some(m) = &e.message {
                let _ = writeln!(out, "message: {m}");
            }
            if !e.failed_conditions.is_empty() {
                let head = if e.decision == Decision::ExplicitDeny {
                    "conditions that could not be evaluated (they make a Deny apply)"
                } else {
                    "conditions that did not hold (Allow statements of the failing layers)"
                };
                let _ = writeln!(out, "{head}:");
                for c in &e.failed_conditions {
                    let _ = writeln!(out, "  - {}", labels.condition(c));
                }
            }
        }
    }
    for n in &e.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

/// [`explanation_text`] of an explanation given as the JSON the engine (and the server)
/// serializes; an error when the JSON is not an explanation.
pub(crate) fn explanation_text_json(
    v: &serde_json::Value,
    labels: &Labels,
) -> Result<String, serde_json::Error> {
    let e = Explanation::deserialize(v)?;
    Ok(explanation_text(&e, labels))
}

/// Every line of `text` prefixed with `indent` (empty lines stay empty).
pub(crate) fn indent(text: &str, indent: &str) -> String {
    text.lines().fold(String::new(), |mut out, l| {
        if l.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{l}");
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn renders_the_json_of_a_deny() {
        let v = serde_json::json!({
            "decision": "implicit_deny",
            "message": "User: u is not authorized to perform action a:b:c on resource * because no service control policy allows the a:b:c action.",
            "reason": "no Allow at SCP level 1 (every SCP level needs an Allow, such as FullAccess)",
            "statements": [],
            "failing_layers": [{"layer": "scp", "level": 1}],
            "failed_conditions": [],
            "notes": []});
        let labels = Labels {
            scp_levels: Some(3),
            ..Labels::default()
        };
        let text = explanation_text_json(&v, &labels).unwrap();
        assert_eq!(
            text,
            "cause: no Allow at SCP level 1 (every SCP level needs an Allow, such as FullAccess)\n\
             message: User: u is not authorized to perform action a:b:c on resource * because no service control policy allows the a:b:c action.\n"
        );
        assert_eq!(
            labels.layer(&LayerRef {
                layer: Layer::Scp,
                level: Some(1)
            }),
            "SCP level 1 (OU)"
        );
        assert!(explanation_text_json(&serde_json::json!({"decision": 1}), &labels).is_err());
    }
}
