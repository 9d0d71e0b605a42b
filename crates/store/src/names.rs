//! Names of IAM entities: what a user, group, agency or policy may be called, and the key two
//! names share when they differ only in letter case or Unicode compatibility form.
//!
//! Pure: no I/O. The rules, each with its source, are the table in `docs/server.md` ("Names").
//!
//! - [`check_name`] accepts exactly Huawei's documented character set and length per kind
//!   (IAM v5 API and SDK models) and refuses, with a reason, what could impersonate another
//!   name: control characters, invisible format characters (bidi controls, zero-width
//!   characters, variation selectors, tag characters, fillers), compatibility forms (a name must
//!   be in NFKC: no full-width letters), leading or trailing spaces, `/`, `\`, `.` alone and
//!   `..`.
//! - [`name_key`] is the uniqueness key: NFKC, invisible characters dropped, lower case, NFKC
//!   again. Two names of the same kind in one account may not share a key (`Admin` vs `admin`,
//!   `ＡＤＭＩＮ` vs `admin`); the store enforces it with a unique index.

use std::fmt;
use unicode_normalization::UnicodeNormalization as _;

/// The kind of entity a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// IAM user: 1-64 ASCII letters, digits, `_ - .` and space, not starting with a digit.
    User,
    /// User group: 1-128 Chinese characters, ASCII letters, digits, space, `_ - { }`.
    Group,
    /// Agency / trust agency: 1-64 of `[A-Za-z0-9_+=,.@-]`.
    Agency,
    /// Identity policy: 1-128 of `[A-Za-z0-9_+=.@-]`.
    Policy,
    /// Enterprise project (EPS): 1-64 Chinese characters, ASCII letters, digits, `_` and `-`;
    /// never `default` in any letter case (checked by the store).
    EnterpriseProject,
    /// ModelArts workspace: 4-64 Chinese characters, ASCII letters, digits, `-` and `_`; never
    /// `default` in any letter case (checked by the store; the minimum by the store too).
    Workspace,
}

impl NameKind {
    /// The request field the store reports errors against.
    pub fn field(self) -> &'static str {
        match self {
            NameKind::User => "user_name",
            NameKind::Group => "group_name",
            NameKind::Agency => "agency_name",
            NameKind::Policy => "policy_name",
            NameKind::EnterpriseProject | NameKind::Workspace => "name",
        }
    }

    /// The entity, as error messages name it.
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::User => "user",
            NameKind::Group => "group",
            NameKind::Agency => "agency",
            NameKind::Policy => "policy",
            NameKind::EnterpriseProject => "enterprise project",
            NameKind::Workspace => "workspace",
        }
    }

    /// Maximum length in characters.
    pub fn max_len(self) -> usize {
        match self {
            NameKind::User
            | NameKind::Agency
            | NameKind::EnterpriseProject
            | NameKind::Workspace => 64,
            NameKind::Group | NameKind::Policy => 128,
        }
    }

    fn allowed(self, c: char) -> bool {
        match self {
            NameKind::User => c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '),
            NameKind::Group => {
                c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-' | '{' | '}') || is_han(c)
            }
            NameKind::Agency => c.is_ascii_alphanumeric() || "_+=,.@-".contains(c),
            NameKind::Policy => c.is_ascii_alphanumeric() || "_+=.@-".contains(c),
            NameKind::EnterpriseProject | NameKind::Workspace => {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-') || is_han(c)
            }
        }
    }

    fn allowed_text(self) -> &'static str {
        match self {
            NameKind::User => "letters, digits, `_`, `-`, `.` and space",
            NameKind::Group => "Chinese characters, letters, digits, space, `_`, `-`, `{` and `}`",
            NameKind::Agency => "letters, digits and `_+=,.@-`",
            NameKind::Policy => "letters, digits and `_+=.@-`",
            NameKind::EnterpriseProject | NameKind::Workspace => {
                "Chinese characters, letters, digits, `_` and `-`"
            }
        }
    }
}

/// Why a name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// The empty string.
    Empty,
    /// Longer than the kind allows.
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The length given.
        got: usize,
    },
    /// A control character (C0, DEL, C1, line or paragraph separator).
    Control(char),
    /// An invisible format character: bidi control, zero-width character, BOM, variation
    /// selector, tag character, filler.
    Invisible(char),
    /// A compatibility character (full-width letter, ligature, no-break space ...): the name is
    /// not in Unicode normalization form NFKC.
    Compatibility(char),
    /// Not in NFKC although no single character is a compatibility form (a decomposed accent).
    NotNormalized,
    /// Starts or ends with white space.
    EdgeSpace,
    /// `/` or `\`.
    Separator(char),
    /// `.` alone, or `..` anywhere.
    DotSegment,
    /// A user name starting with a digit.
    LeadingDigit,
    /// A character outside the kind's documented set.
    NotAllowed(char),
}

impl NameProblem {
    /// The message, for a name of `kind` (the character set of the kind is named).
    pub fn describe(&self, kind: NameKind) -> String {
        match self {
            NameProblem::NotAllowed(c) => format!(
                "character `{c}` ({}) is not allowed (allowed: {})",
                code(*c),
                kind.allowed_text()
            ),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("must not be empty"),
            NameProblem::TooLong { max, got } => {
                write!(f, "must be at most {max} characters, got {got}")
            }
            NameProblem::Control(c) => write!(f, "control character {} is not allowed", code(*c)),
            NameProblem::Invisible(c) => write!(
                f,
                "invisible format character {} (bidi control, zero-width or similar) is not allowed",
                code(*c)
            ),
            NameProblem::Compatibility(c) => write!(
                f,
                "compatibility character `{c}` ({}) is not allowed: write it as `{}`",
                code(*c),
                c.to_string().nfkc().collect::<String>()
            ),
            NameProblem::NotNormalized => f.write_str(
                "must be in Unicode normalization form NFKC (use precomposed characters)",
            ),
            NameProblem::EdgeSpace => f.write_str("must not start or end with a space"),
            NameProblem::Separator(c) => write!(f, "`{c}` is not allowed"),
            NameProblem::DotSegment => f.write_str("must not be `.` or contain `..`"),
            NameProblem::LeadingDigit => f.write_str("must not start with a digit"),
            NameProblem::NotAllowed(c) => {
                write!(f, "character `{c}` ({}) is not allowed", code(*c))
            }
        }
    }
}

fn code(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// CJK unified ideographs: the basic block and extensions A to I (the "Chinese" of Huawei's
/// group-name rule). Compatibility ideographs are not included (NFKC maps them onto these).
fn is_han(c: char) -> bool {
    matches!(
        c,
        '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{20000}'..='\u{2A6DF}'
            | '\u{2A700}'..='\u{2EE5F}'
            | '\u{30000}'..='\u{323AF}'
    )
}

/// Control characters: C0, DEL, C1, and the line and paragraph separators.
pub fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Invisible characters that change how a name reads without showing: every format character
/// (`Cf`: soft hyphen, bidi marks, embeddings, overrides and isolates, zero-width space and
/// joiners, word joiner, invisible operators, BOM, interlinear annotation, tags ...) and the other
/// default-ignorable code points (combining grapheme joiner, Hangul fillers, Khmer inherent
/// vowels, Mongolian free variation selectors, variation selectors).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Checks `name` against the rules of `kind`. The first problem found is reported, in this
/// order: empty, too long, control, invisible, compatibility form, edge space, separator,
/// dot segment, leading digit, character set.
pub fn check_name(kind: NameKind, name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    let got = name.chars().count();
    if got > kind.max_len() {
        return Err(NameProblem::TooLong {
            max: kind.max_len(),
            got,
        });
    }
    if let Some(c) = name.chars().find(|c| is_control(*c)) {
        return Err(NameProblem::Control(c));
    }
    if let Some(c) = name.chars().find(|c| is_invisible(*c)) {
        return Err(NameProblem::Invisible(c));
    }
    if name.nfkc().ne(name.chars()) {
        return Err(
            match name
                .chars()
                .find(|c| c.to_string().nfkc().ne(std::iter::once(*c)))
            {
                Some(c) => NameProblem::Compatibility(c),
                None => NameProblem::NotNormalized,
            },
        );
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Err(NameProblem::EdgeSpace);
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return Err(NameProblem::Separator(c));
    }
    if name == "." || name.contains("..") {
        return Err(NameProblem::DotSegment);
    }
    if kind == NameKind::User && name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(NameProblem::LeadingDigit);
    }
    if let Some(c) = name.chars().find(|c| !kind.allowed(*c)) {
        return Err(NameProblem::NotAllowed(c));
    }
    Ok(())
}

/// The uniqueness key of a name: NFKC, invisible characters removed, lower case, NFKC again.
/// Names that differ only in letter case or compatibility form share it.
pub fn name_key(name: &str) -> String {
    let folded = name
        .nfkc()
        .filter(|c| !is_invisible(*c))
        .collect::<String>()
        .to_lowercase();
    folded.nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::NameKind::{Agency, Group, Policy, User};
    use super::NameProblem::*;
    use super::*;

    #[test]
    fn accepted_names() {
        let long64 = "a".repeat(64);
        let long128 = "g".repeat(128);
        let cases: &[(NameKind, &str)] = &[
            (User, "alice"),
            (User, "Alice Smith"),
            (User, "a.b-c_d"),
            (User, &long64),
            (Group, "admins"),
            (Group, "data scientists"),
            (Group, "team-{a}_1"),
            (Group, "数据科学家"),
            (Group, "ModelArts 用户组"),
            (Group, &long128),
            (Agency, "ma_agency_user01"),
            (Agency, "a+b=c,d.e@f-g"),
            (Agency, &long64),
            (Policy, "p1"),
            (Policy, "a+b=c.d@e-f_g"),
            (Policy, &long128),
        ];
        for (kind, name) in cases {
            assert_eq!(check_name(*kind, name), Ok(()), "{kind:?} {name:?}");
        }
    }

    #[test]
    fn refused_names_with_their_reasons() {
        let long65 = "a".repeat(65);
        let long129 = "g".repeat(129);
        let cases: &[(NameKind, &str, NameProblem)] = &[
            (User, "", Empty),
            (Group, "", Empty),
            (User, &long65, TooLong { max: 64, got: 65 }),
            (Agency, &long65, TooLong { max: 64, got: 65 }),
            (Group, &long129, TooLong { max: 128, got: 129 }),
            (Policy, &long129, TooLong { max: 128, got: 129 }),
            (User, "al\u{0}ice", Control('\u{0}')),
            (Group, "ad\nmin", Control('\n')),
            (Group, "ad\u{85}min", Control('\u{85}')),
            (Group, "ad\u{2028}min", Control('\u{2028}')),
            (Group, "ad\u{200B}min", Invisible('\u{200B}')),
            (Group, "\u{202E}nimda", Invisible('\u{202E}')),
            (User, "admin\u{2066}", Invisible('\u{2066}')),
            (Policy, "p\u{FEFF}", Invisible('\u{FEFF}')),
            (Group, "ad\u{00AD}min", Invisible('\u{00AD}')),
            (Group, "admin\u{FE0F}", Invisible('\u{FE0F}')),
            (Group, "admin\u{E0041}", Invisible('\u{E0041}')),
            (Group, "ad\u{3164}min", Invisible('\u{3164}')),
            (Group, "ＡＤＭＩＮ", Compatibility('Ａ')),
            (Group, "ａｄｍｉｎ", Compatibility('ａ')),
            (User, "admin\u{A0}x", Compatibility('\u{A0}')),
            (Group, "ad\u{3000}min", Compatibility('\u{3000}')),
            (Policy, "\u{FB01}le", Compatibility('\u{FB01}')),
            (Group, "e\u{301}", NotNormalized),
            (Group, "admin\u{2460}", Compatibility('\u{2460}')),
            (User, "admin ", EdgeSpace),
            (User, " admin", EdgeSpace),
            (Group, "admin ", EdgeSpace),
            (Group, "../x", Separator('/')),
            (Group, "a\\b", Separator('\\')),
            (User, "al/ice", Separator('/')),
            (User, "a..b", DotSegment),
            (Agency, "..", DotSegment),
            (Agency, ".", DotSegment),
            (Policy, "x..", DotSegment),
            (User, "1alice", LeadingDigit),
            (User, "alice@x", NotAllowed('@')),
            (User, "élodie", NotAllowed('é')),
            (User, "数据", NotAllowed('数')),
            (Group, "a.b", NotAllowed('.')),
            (Group, "a@b", NotAllowed('@')),
            (Group, "Админ", NotAllowed('А')),
            (Agency, "bad name", NotAllowed(' ')),
            (Agency, "a/b", Separator('/')),
            (Policy, "has space", NotAllowed(' ')),
            (Policy, "a,b", NotAllowed(',')),
        ];
        for (kind, name, problem) in cases {
            assert_eq!(
                check_name(*kind, name).as_ref(),
                Err(problem),
                "{kind:?} {name:?}"
            );
            assert!(!problem.describe(*kind).is_empty());
        }
    }

    #[test]
    fn keys_fold_case_and_compatibility_forms() {
        for (a, b) in [
            ("admin", "Admin"),
            ("admin", "ADMIN"),
            ("admin", "ＡＤＭＩＮ"),
            ("admin", "ａｄｍｉｎ"),
            ("admin", "ad\u{200B}min"),
            ("file", "\u{FB01}le"),
            ("data scientists", "Data Scientists"),
            ("数据", "数据"),
        ] {
            assert_eq!(name_key(a), name_key(b), "{a:?} vs {b:?}");
        }
        for (a, b) in [("admin", "admins"), ("admin", "nimda"), ("a-b", "a_b")] {
            assert_ne!(name_key(a), name_key(b), "{a:?} vs {b:?}");
        }
        assert_eq!(name_key("ＡＤＭＩＮ"), "admin");
    }

    #[test]
    fn messages_name_the_character() {
        let m = Compatibility('Ａ').describe(Group);
        assert!(m.contains("U+FF21") && m.contains("`A`"), "{m}");
        let m = NotAllowed('.').describe(Group);
        assert!(m.contains("Chinese characters"), "{m}");
        let m = Invisible('\u{202E}').describe(Group);
        assert!(m.contains("U+202E"), "{m}");
    }
}
