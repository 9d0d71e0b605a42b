//! Compiled action patterns (spec §2) and resource patterns (spec §3).

use crate::policy::Effect;
pub use iam_wildcard::Case;
use iam_wildcard::Pattern;

/// A compiled action pattern: `*`/`?` wildcards, ASCII-case-insensitive over the whole action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    pattern: Pattern,
    /// The lowercased service when the service segment is literal (`modelarts` for
    /// `modelarts:*`); `None` when a wildcard can reach into the service (`*`, `model*`).
    service: Option<Box<str>>,
    /// The pattern ASCII-lowercased and matched case-sensitively, for actions lowercased once
    /// per decision ([`ActionPattern::matches_lowercase`]): the same result as `pattern`
    /// without folding both sides at every byte.
    lower: Pattern,
    /// [`byte_mask`] of the pattern's literal bytes, lowercased: an action whose mask lacks one
    /// of these bits cannot match (checked before the wildcard matcher runs).
    need: u64,
}

/// A 64-bit summary of the bytes of `s` (bit `b & 63` for each byte `b`): if a byte of a pattern's
/// literal text is in an action, its bit is in the action's mask. Collisions only make the
/// summary less selective, never wrong.
pub fn byte_mask(s: &str) -> u64 {
    s.bytes().fold(0u64, |m, b| m | (1u64 << (b & 63)))
}

/// Compiles an action pattern (every string is a pattern).
pub fn compile_action_pattern(source: &str) -> ActionPattern {
    let pattern = Pattern::new(source, Case::Insensitive);
    let prefix = pattern.literal_prefix();
    let service = if pattern.has_wildcard() {
        prefix.split_once(':').map(|(s, _)| s)
    } else {
        Some(service_of(source))
    };
    let lower = source.to_ascii_lowercase();
    ActionPattern {
        service: service.map(|s| s.to_ascii_lowercase().into_boxed_str()),
        lower: Pattern::new(&lower, Case::Sensitive),
        need: byte_mask(&lower.replace(['*', '?'], "")),
        pattern,
    }
}

/// The service segment of an action (everything before the first `:`, or the whole string).
pub fn service_of(action: &str) -> &str {
    action.split_once(':').map_or(action, |(s, _)| s)
}

impl ActionPattern {
    /// True when the action matches the pattern.
    pub fn matches(&self, action: &str) -> bool {
        self.pattern.matches(action)
    }

    /// [`ActionPattern::matches`] for an action already ASCII-lowercased by the caller, with its
    /// [`byte_mask`].
    pub fn matches_lowercase(&self, action_lower: &str, mask: u64) -> bool {
        self.need & !mask == 0 && self.lower.matches(action_lower)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.pattern.as_str()
    }

    /// The lowercased literal service this pattern is limited to, if any.
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// The compiled wildcard pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }
}

/// A compiled resource pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourcePattern {
    /// All stars (`*`, `**`): matches every resource, including `*`.
    Any(Box<str>),
    /// A five-segment URN pattern matched segment by segment.
    Urn {
        /// The pattern as written.
        source: Box<str>,
        /// `service` (case-insensitive), `region`, `account-id` (case-sensitive), `type`
        /// (case-insensitive).
        segments: Box<[Pattern; 4]>,
        /// The id segment (may contain `:`): case-sensitive, or ASCII-case-insensitive where the
        /// statement's effect asks for it (spec §3.1, [`resource_id_case`]).
        id: Pattern,
    },
    /// A pattern with fewer than five segments: matches nothing (the validator reports it).
    Invalid(Box<str>),
    /// A 1.1 agency `uri` pattern, matched literally (with `*`/`?`) against the whole resource,
    /// with the case rule of the statement's effect (spec §3.1).
    Uri(Pattern),
}

/// How a statement compares the id segment of the request resource (spec §3.1): whichever
/// reading denies more. A `Deny` statement's `Resource` ignores ASCII case (a spelling in another
/// case is still denied), and so does an `Allow` statement's `NotResource` (a spelling in another
/// case is still excluded); a `Deny`'s `NotResource` and an `Allow`'s `Resource` compare exactly.
pub fn resource_id_case(effect: Effect, not_resource: bool) -> Case {
    match (effect, not_resource) {
        (Effect::Deny, false) | (Effect::Allow, true) => Case::Insensitive,
        (Effect::Deny, true) | (Effect::Allow, false) => Case::Sensitive,
    }
}

/// Splits a URN into its first four segments and the id (which may contain `:`).
pub fn split_urn(s: &str) -> Option<([&str; 4], &str)> {
    let (a, rest) = s.split_once(':')?;
    let (b, rest) = rest.split_once(':')?;
    let (c, rest) = rest.split_once(':')?;
    let (d, id) = rest.split_once(':')?;
    Some(([a, b, c, d], id))
}

/// Compiles a resource URN pattern (spec §3) with a case-sensitive id segment: the rule of an
/// `Allow` statement's `Resource` and of a `Deny` statement's `NotResource` (spec §3.1). For the
/// other two, use [`compile_resource_pattern_with`] and [`resource_id_case`].
pub fn compile_resource_pattern(source: &str) -> ResourcePattern {
    compile_resource_pattern_with(source, Case::Sensitive)
}

/// Compiles a resource URN pattern (spec §3) whose id segment is compared with `id_case`
/// (spec §3.1); the other segments keep their own rules.
pub fn compile_resource_pattern_with(source: &str, id_case: Case) -> ResourcePattern {
    if !source.is_empty() && source.bytes().all(|b| b == b'*') {
        return ResourcePattern::Any(source.into());
    }
    match split_urn(source) {
        Some(([service, region, account, rtype], id)) => ResourcePattern::Urn {
            source: source.into(),
            segments: Box::new([
                Pattern::new(service, Case::Insensitive),
                Pattern::new(region, Case::Sensitive),
                Pattern::new(account, Case::Sensitive),
                Pattern::new(rtype, Case::Insensitive),
            ]),
            id: Pattern::new(id, id_case),
        },
        None => ResourcePattern::Invalid(source.into()),
    }
}

/// Compiles a 1.1 agency `uri` pattern (whole string) compared with `case`: case-sensitive in
/// an `Allow` statement, ASCII-case-insensitive in a `Deny` (spec §3.1, [`resource_id_case`]).
pub fn compile_uri_pattern(source: &str, case: Case) -> ResourcePattern {
    ResourcePattern::Uri(Pattern::new(source, case))
}

impl ResourcePattern {
    /// True when the request resource matches the pattern.
    pub fn matches(&self, resource: &str) -> bool {
        match self {
            ResourcePattern::Any(_) => true,
            ResourcePattern::Urn { segments, id, .. } => match split_urn(resource) {
                Some((parts, rid)) => {
                    segments.iter().zip(parts).all(|(p, s)| p.matches(s)) && id.matches(rid)
                }
                None => false,
            },
            ResourcePattern::Invalid(_) => false,
            ResourcePattern::Uri(p) => p.matches(resource),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        match self {
            ResourcePattern::Any(s) | ResourcePattern::Invalid(s) => s,
            ResourcePattern::Urn { source, .. } => source,
            ResourcePattern::Uri(p) => p.as_str(),
        }
    }

    /// True for an all-star pattern.
    pub fn is_any(&self) -> bool {
        matches!(self, ResourcePattern::Any(_))
    }

    /// How the id segment (of a URN pattern) or the whole resource (of a 1.1 `uri` pattern) is
    /// compared (spec §3.1); [`Case::Sensitive`] for all-star and invalid patterns, where case
    /// never matters.
    pub fn id_case(&self) -> Case {
        match self {
            ResourcePattern::Urn { id, .. } => id.case(),
            ResourcePattern::Uri(p) => p.case(),
            ResourcePattern::Any(_) | ResourcePattern::Invalid(_) => Case::Sensitive,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]
        /// Matching a lowercased action against the lowercased pattern is the same as the
        /// ASCII-case-insensitive match.
        #[test]
        fn lowercase_matching_agrees(p in "[aAbBzZ:*?é]{0,10}", t in "[aAbBzZ:é]{0,12}") {
            let ap = compile_action_pattern(&p);
            let lower = t.to_ascii_lowercase();
            prop_assert_eq!(ap.matches_lowercase(&lower, byte_mask(&lower)), ap.matches(&t));
        }
    }

    #[test]
    fn action_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "modelarts:trainJob:get", true),
            ("modelarts:*", "modelarts:trainJob:get", true),
            ("modelarts:*", "MODELARTS:trainJob:get", true),
            ("modelarts:*", "obs:bucket:get", false),
            (
                "modelarts:*:*delete*",
                "modelarts:trainJob:batchDelete",
                true,
            ),
            ("modelarts:*:*delete*", "modelarts:trainJob:get", false),
            ("modelarts:trainJob:get", "modelarts:TrainJob:Get", true),
            ("modelarts:trainJob:ge?", "modelarts:trainJob:get", true),
            ("sts::tagSession", "sts::tagSession", true),
            ("modelarts", "modelarts", true),
        ];
        for &(p, a, want) in cases {
            assert_eq!(compile_action_pattern(p).matches(a), want, "{p} {a}");
        }
        let services: &[(&str, Option<&str>)] = &[
            ("*", None),
            ("model*", None),
            ("Modelarts:*", Some("modelarts")),
            ("modelarts:trainJob:get", Some("modelarts")),
            ("modelarts", Some("modelarts")),
            ("?bs:*", None),
            ("sts::tagSession", Some("sts")),
        ];
        for &(p, want) in services {
            assert_eq!(compile_action_pattern(p).service(), want, "{p}");
        }
    }

    #[test]
    fn resource_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "*", true),
            ("*", "modelarts:cn-north-4:123:trainJob:a", true),
            ("**", "anything", true),
            ("modelarts:*:*:*:*", "*", false),
            (
                "modelarts:*:*:*:*",
                "modelarts:cn-north-4:123:trainJob:a",
                true,
            ),
            (
                "modelarts:*:*:*:*",
                "modelarts:cn-north-4:123:trainJob:a:b/c",
                true,
            ),
            (
                "MODELARTS:*:*:TRAINJOB:*",
                "modelarts:cn-north-4:123:trainJob:a",
                true,
            ),
            (
                "modelarts:CN-north-4:*:*:*",
                "modelarts:cn-north-4:123:trainJob:a",
                false,
            ),
            (
                "modelarts:*:*:*:A",
                "modelarts:cn-north-4:123:trainJob:a",
                false,
            ),
            (
                "modelarts:*:*",
                "modelarts:cn-north-4:123:trainJob:a",
                false,
            ),
            ("modelarts*", "modelarts:cn-north-4:123:trainJob:a", false),
            (
                "modelarts:*:*:trainJob",
                "modelarts:cn-north-4:123:trainJob:a",
                false,
            ),
            ("iam::123:user:*", "iam::123:user:alice", true),
            ("iam:*:123:user:*", "iam::123:user:alice", true),
            ("iam:?:123:user:*", "iam::123:user:alice", false),
            (
                "obs:*:*:object:bucket/*",
                "obs::123:object:bucket/a/b",
                true,
            ),
            // a wildcard never spans `:` in the first four segments
            (
                "modelarts:*:trainJob:*",
                "modelarts:cn-north-4:123:trainJob:a",
                false,
            ),
        ];
        for &(p, r, want) in cases {
            assert_eq!(compile_resource_pattern(p).matches(r), want, "{p} {r}");
        }
        assert!(
            compile_uri_pattern("/iam/agencies/*", Case::Sensitive).matches("/iam/agencies/abc")
        );
        assert!(!compile_uri_pattern("/iam/agencies/*", Case::Sensitive).matches("/iam/users/abc"));
    }

    #[test]
    fn id_case_follows_effect_and_element() {
        // §3.1: the reading that denies more.
        assert_eq!(resource_id_case(Effect::Deny, false), Case::Insensitive);
        assert_eq!(resource_id_case(Effect::Deny, true), Case::Sensitive);
        assert_eq!(resource_id_case(Effect::Allow, false), Case::Sensitive);
        assert_eq!(resource_id_case(Effect::Allow, true), Case::Insensitive);
    }

    #[test]
    fn resource_id_case_table() {
        let urn = "modelarts:cn-north-4:123:trainJob:";
        let cases: &[(&str, &str, Case, bool)] = &[
            ("secret-job", "SECRET-JOB", Case::Insensitive, true),
            ("secret-job", "Secret-Job", Case::Insensitive, true),
            ("secret-job", "SECRET-JOB", Case::Sensitive, false),
            ("secret-job", "secret-job", Case::Sensitive, true),
            ("secret-*", "SECRET-JOB", Case::Insensitive, true),
            ("*-JOB", "secret-job", Case::Insensitive, true),
            ("secret-?ob", "SECRET-JOB", Case::Insensitive, true),
            ("secret-*", "SECRET-JOB", Case::Sensitive, false),
            ("a:B/c", "A:b/C", Case::Insensitive, true),
            // Only ASCII letters fold.
            ("äbc", "ÄBC", Case::Insensitive, false),
            ("äbc", "äBC", Case::Insensitive, true),
            ("ÄBC", "äbc", Case::Sensitive, false),
            ("straße", "STRASSE", Case::Insensitive, false),
        ];
        for &(id, rid, case, want) in cases {
            let p = compile_resource_pattern_with(&format!("{urn}{id}"), case);
            assert_eq!(
                p.matches(&format!("{urn}{rid}")),
                want,
                "{id} {rid} {case:?}"
            );
            assert_eq!(p.id_case(), case);
        }
        // The other segments keep their own rules whatever the id's case.
        let deny = |p: &str| compile_resource_pattern_with(p, Case::Insensitive);
        let r = "modelarts:cn-north-4:acct:trainJob:secret-job";
        assert!(!deny("modelarts:CN-NORTH-4:acct:trainJob:secret-job").matches(r));
        assert!(!deny("modelarts:cn-north-4:ACCT:trainJob:secret-job").matches(r));
        assert!(deny("MODELARTS:cn-north-4:acct:TRAINJOB:SECRET-JOB").matches(r));
        assert!(deny("*").matches("anything"));
        assert_eq!(deny("*").id_case(), Case::Sensitive);
        assert!(!deny("modelarts:*").matches(r));
        // 1.1 uri patterns: the whole string.
        let uri = compile_uri_pattern("/iam/agencies/secret-*", Case::Insensitive);
        assert!(uri.matches("/IAM/Agencies/SECRET-AGENCY"));
        assert_eq!(uri.id_case(), Case::Insensitive);
        let uri = compile_uri_pattern("/iam/agencies/secret-*", Case::Sensitive);
        assert!(!uri.matches("/iam/agencies/SECRET-AGENCY"));
    }
}
