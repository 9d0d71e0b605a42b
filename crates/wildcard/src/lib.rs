//! Wildcard patterns as IAM uses them: `*` matches any run of characters (including none, and
//! including `:` and `/`), `?` matches exactly one character, every other character matches itself.
//! There is no escape character, as in Huawei IAM and AWS IAM.
//!
//! A [`Pattern`] is compiled once and matched many times without allocating. Matching is either
//! case-sensitive or ASCII-case-insensitive ([`Case`]); IAM action names and URN resource types
//! are case-insensitive, condition values mostly are not.
//!
//! ```
//! use iam_wildcard::{Case, Pattern};
//! let p = Pattern::new("modelarts:*:*delete*", Case::Insensitive);
//! assert!(p.matches("modelarts:trainJob:Delete"));
//! assert!(!p.matches("modelarts:trainJob:get"));
//! ```
#![deny(missing_docs)]

/// Whether a pattern compares letters case-sensitively or ignoring ASCII case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// Letters must be equal.
    Sensitive,
    /// ASCII letters compare equal regardless of case; other characters must be equal.
    Insensitive,
}

/// How a compiled pattern is matched; chosen once when the pattern is compiled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shape {
    /// `*` alone: matches everything.
    Any,
    /// No wildcard at all.
    Exact,
    /// `literal*` with no other wildcard.
    Prefix,
    /// `*literal` with no other wildcard.
    Suffix,
    /// `*literal*` with no other wildcard.
    Contains,
    /// Anything else: general backtracking matcher.
    General,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    source: Box<str>,
    /// The literal part for the fast shapes (without the surrounding `*`).
    literal: Box<str>,
    shape: Shape,
    case: Case,
}

impl Pattern {
    /// Compiles `source`. Every string is a valid pattern.
    pub fn new(source: &str, case: Case) -> Self {
        let has_q = source.contains('?');
        let stars = source.matches('*').count();
        let (shape, literal) = if source.chars().all(|c| c == '*') && stars > 0 {
            (Shape::Any, "")
        } else if has_q {
            (Shape::General, source)
        } else if stars == 0 {
            (Shape::Exact, source)
        } else if stars == 1 && source.ends_with('*') {
            (Shape::Prefix, &source[..source.len() - 1])
        } else if stars == 1 && source.starts_with('*') {
            (Shape::Suffix, &source[1..])
        } else if stars == 2
            && source.len() >= 2
            && source.starts_with('*')
            && source.ends_with('*')
        {
            (Shape::Contains, &source[1..source.len() - 1])
        } else {
            (Shape::General, source)
        };
        Pattern {
            source: source.into(),
            literal: literal.into(),
            shape,
            case,
        }
    }

    /// The pattern text as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The case mode the pattern was compiled with.
    pub fn case(&self) -> Case {
        self.case
    }

    /// True when the pattern contains `*` or `?`.
    pub fn has_wildcard(&self) -> bool {
        self.shape != Shape::Exact
    }

    /// True when the pattern matches every string (`*`, `**`, ...).
    pub fn is_match_all(&self) -> bool {
        self.shape == Shape::Any
    }

    /// The literal text before the first wildcard (the whole pattern when there is none).
    pub fn literal_prefix(&self) -> &str {
        let end = self.source.find(['*', '?']).unwrap_or(self.source.len());
        self.source.get(..end).unwrap_or("")
    }

    /// Matches `text` against the whole pattern. Never allocates.
    pub fn matches(&self, text: &str) -> bool {
        let lit = &*self.literal;
        match self.shape {
            Shape::Any => true,
            Shape::Exact => eq(lit, text, self.case),
            Shape::Prefix => {
                text.len() >= lit.len()
                    && text.is_char_boundary(lit.len())
                    && eq(lit, &text[..lit.len()], self.case)
            }
            Shape::Suffix => {
                let start = text.len().wrapping_sub(lit.len());
                text.len() >= lit.len()
                    && text.is_char_boundary(start)
                    && eq(lit, &text[start..], self.case)
            }
            Shape::Contains => contains(text, lit, self.case),
            Shape::General => glob(self.source.as_bytes(), text.as_bytes(), self.case),
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

/// Matches `text` against `pattern` without compiling (convenience for one-off checks).
pub fn matches(pattern: &str, text: &str, case: Case) -> bool {
    glob(pattern.as_bytes(), text.as_bytes(), case)
}

fn eq(a: &str, b: &str, case: Case) -> bool {
    match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a.eq_ignore_ascii_case(b),
    }
}

fn byte_eq(a: u8, b: u8, case: Case) -> bool {
    match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a.eq_ignore_ascii_case(&b),
    }
}

fn contains(text: &str, needle: &str, case: Case) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (t, n) = (text.as_bytes(), needle.as_bytes());
    if n.len() > t.len() {
        return false;
    }
    t.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(&a, &b)| byte_eq(a, b, case)))
}

/// Length in bytes of the UTF-8 character that starts with byte `b`.
fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Iterative glob with single-star backtracking: O(|p|·|t|) worst case, no allocation.
/// `?` consumes one whole UTF-8 character of `t`.
fn glob(p: &[u8], t: &[u8], case: Case) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position after the last `*` seen in p, and the text position it is currently matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
                continue;
            }
            Some(b'?') => {
                pi += 1;
                ti += t.get(ti).map_or(1, |&b| char_len(b));
                continue;
            }
            Some(&pc) if t.get(ti).is_some_and(|&tc| byte_eq(pc, tc, case)) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        // Mismatch: let the last star absorb one more character, or fail.
        match star {
            Some((sp, st)) => {
                let next = st + t.get(st).map_or(1, |&b| char_len(b));
                star = Some((sp, next));
                pi = sp;
                ti = next;
            }
            None => return false,
        }
    }
    if ti > t.len() {
        return false;
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&b| b == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, Case, bool)] = &[
            ("*", "", Case::Sensitive, true),
            ("*", "anything:at/all", Case::Sensitive, true),
            ("", "", Case::Sensitive, true),
            ("", "a", Case::Sensitive, false),
            ("a", "A", Case::Sensitive, false),
            ("a", "A", Case::Insensitive, true),
            (
                "modelarts:*",
                "modelarts:notebook:list",
                Case::Insensitive,
                true,
            ),
            ("modelarts:*", "obs:bucket:list", Case::Insensitive, false),
            ("*:list", "modelarts:notebook:list", Case::Insensitive, true),
            (
                "*delete*",
                "modelarts:trainJobVersion:delete",
                Case::Insensitive,
                true,
            ),
            (
                "modelarts:*:*delete*",
                "modelarts:image:Delete",
                Case::Insensitive,
                true,
            ),
            (
                "modelarts:*:*delete*",
                "modelarts:image:get",
                Case::Insensitive,
                false,
            ),
            (
                "obs:*:*:object:bucket/*",
                "obs:*:*:object:bucket/a/b",
                Case::Sensitive,
                true,
            ),
            ("a?c", "abc", Case::Sensitive, true),
            ("a?c", "ac", Case::Sensitive, false),
            ("a?c", "aéc", Case::Sensitive, true),
            ("??", "é", Case::Sensitive, false),
            ("*a*b*c", "xxaxxbxxc", Case::Sensitive, true),
            ("*a*b*c", "xxaxxbxxcx", Case::Sensitive, false),
            ("a*b*", "ab", Case::Sensitive, true),
            ("*?", "", Case::Sensitive, false),
            ("*?", "x", Case::Sensitive, true),
            ("ab*", "a", Case::Sensitive, false),
            ("*ab", "b", Case::Sensitive, false),
            ("*é", "aé", Case::Sensitive, true),
            ("é*", "éa", Case::Sensitive, true),
        ];
        for &(p, t, c, want) in cases {
            assert_eq!(
                Pattern::new(p, c).matches(t),
                want,
                "pattern {p:?} text {t:?} {c:?}"
            );
            assert_eq!(
                matches(p, t, c),
                want,
                "uncompiled pattern {p:?} text {t:?} {c:?}"
            );
        }
    }

    fn oracle(p: &str, t: &str, case: Case) -> bool {
        let mut re = String::from("(?s)^");
        for ch in p.chars() {
            match ch {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => {
                    if case == Case::Insensitive && c.is_ascii_alphabetic() {
                        re.push_str(&format!(
                            "[{}{}]",
                            c.to_ascii_lowercase(),
                            c.to_ascii_uppercase()
                        ));
                    } else {
                        re.push_str(&regex::escape(&c.to_string()));
                    }
                }
            }
        }
        re.push('$');
        regex::Regex::new(&re).unwrap().is_match(t)
    }

    proptest! {
        #[test]
        fn agrees_with_regex_oracle(p in "[abAB:*?é]{0,8}", t in "[abAB:é]{0,10}", insensitive: bool) {
            let case = if insensitive { Case::Insensitive } else { Case::Sensitive };
            prop_assert_eq!(Pattern::new(&p, case).matches(&t), oracle(&p, &t, case));
        }
    }
}
