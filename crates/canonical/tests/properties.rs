//! Property tests of the canonicalizer (docs/canonical.md), with a fixed seed so that every run
//! checks the same cases:
//!
//! - **spellings**: a valid path, spelled with any subset of its characters percent-encoded
//!   (mixed-case hex), canonicalizes to exactly the canonical form of the original; the same
//!   spelling with dot segments (raw, `%2e`, `%2E`), `;x` suffixes (raw, `%3B`), a double-encoded
//!   character, an encoded separator (`%2F`, `%5c`, ...), a trailing `.`, a trailing `/` or a
//!   `//` added is rejected, for one of the reasons those changes stand for; never accepted as
//!   another path. The same for queries (`+`/`%20`, `k`/`k=`, empty pairs; duplicate keys, `;`,
//!   double encoding);
//! - **fixed point**: an accepted target's canonical form canonicalizes to itself, from
//!   arbitrary strings, lossy byte strings and path-like token soups;
//! - **invariants** of every accepted output (the canonical alphabet, upper-case hex, no empty,
//!   dot, dot-ended or separator-holding segment, no forbidden character, `decoded_path` and
//!   `segments` agree, query keys unique and re-parsing to the same pairs), and of every
//!   rejection (the offset points at the offending byte);
//! - **no panic** on any input.
//!
//! `generators_reach_accepted_inputs` checks that the arbitrary-input generators are not
//! vacuous (enough of what they generate is accepted for the fixed point and invariants to bite).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::borrow::Cow;

use iam_canonical::{
    Canonical, MAX_PATH_BYTES, MAX_QUERY_BYTES, MAX_SEGMENTS, Reason, Rejection, canonicalize,
    canonicalize_target,
};
use iam_testkit::canonical::{self, reference_path, reference_query};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed, TestRunner};

/// The seed of every property below: the same cases on every run and machine.
const SEED: u64 = 0x1A4D_CA70_2026_1124;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 4096,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// A reference of the canonical spelling, written from the documentation (not from the crate).

/// Bytes that RFC 3986 allows raw in a path segment (`pchar` less `%`, and less `;`, which the
/// rules refuse).
fn raw_in_path(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,=:@".contains(c)
}

/// `c` percent-encoded (its UTF-8 bytes), the case of each hex letter taken from `case` bits.
fn percent(c: char, case: u32) -> String {
    let mut buf = [0; 4];
    let mut out = String::new();
    let mut bit = 0;
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        out.push('%');
        for digit in [b >> 4, b & 0xF] {
            let h = format!("{digit:X}");
            if (case >> (bit % 32)) & 1 == 1 {
                out.push_str(&h.to_ascii_lowercase());
            } else {
                out.push_str(&h);
            }
            bit += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Invariants of accepted outputs and of rejections: `iam_testkit::canonical`, shared with the
// fuzz target, as property-test failures.

fn check_canonical(c: &Canonical) -> Result<(), TestCaseError> {
    canonical::check_canonical(c).map_err(TestCaseError::fail)
}

fn check_rejection(e: &Rejection, path: &str, query: Option<&str>) -> Result<(), TestCaseError> {
    canonical::check_rejection(e, path, query).map_err(TestCaseError::fail)
}

fn check_any(path: &str, query: Option<&str>) -> Result<(), TestCaseError> {
    canonical::check_any(path, query).map_err(TestCaseError::fail)
}

// ---------------------------------------------------------------------------------------------
// Generators.

/// Characters of realistic segments: unreserved, sub-delimiters (less `;`), `:`, `@`, space and
/// non-ASCII letters (the last two must be encoded).
fn segment_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => prop::char::ranges(Cow::Borrowed(&['a'..='z', 'A'..='Z', '0'..='9'])),
        3 => prop::sample::select(&['-', '.', '_', '~'][..]),
        3 => prop::sample::select(&['!', '$', '&', '\'', '(', ')', '*', '+', ',', '=', ':', '@'][..]),
        1 => Just(' '),
        2 => prop::sample::select(&['é', 'ß', 'ж', 'Ω', '中', '文', '😀', 'ﬁ', 'İ', '\u{212A}'][..]),
    ]
}

/// A valid decoded segment: not empty, not ending with `.` (hence not `.` or `..`), not
/// starting or ending with a space.
fn segment() -> impl Strategy<Value = Vec<char>> {
    prop::collection::vec(segment_char(), 1..12).prop_map(|mut s| {
        if s.last().is_some_and(|c| *c == '.' || c.is_whitespace()) {
            s.push('x');
        }
        if s.first().is_some_and(|c| c.is_whitespace()) {
            s.insert(0, 'x');
        }
        s
    })
}

/// How the characters of a target are spelled: `Minimal` encodes only what must be encoded,
/// `All` every character, `Mixed` those whose flag is set; hex letter case from `case`.
#[derive(Debug, Clone)]
struct Spelling {
    mode: u8,
    flags: Vec<bool>,
    case: Vec<u32>,
}

impl Spelling {
    fn encode(&self, k: usize) -> bool {
        match self.mode {
            0 => false,
            1 => true,
            _ => self.flags[k % self.flags.len()],
        }
    }

    fn case(&self, k: usize) -> u32 {
        self.case[k % self.case.len()]
    }
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (
        0..3u8,
        prop::collection::vec(any::<bool>(), 1..64),
        prop::collection::vec(any::<u32>(), 1..16),
    )
        .prop_map(|(mode, flags, case)| Spelling { mode, flags, case })
}

#[derive(Debug, Clone, Copy)]
enum Dot {
    Raw,
    Lower,
    Upper,
}

impl Dot {
    fn spell(self) -> &'static str {
        match self {
            Dot::Raw => ".",
            Dot::Lower => "%2e",
            Dot::Upper => "%2E",
        }
    }
}

fn dot() -> impl Strategy<Value = Dot> {
    prop_oneof![Just(Dot::Raw), Just(Dot::Lower), Just(Dot::Upper)]
}

/// A change to a path's spelling that is not a re-encoding; every one must be rejected.
#[derive(Debug, Clone)]
enum Mutation {
    /// `%XX` of a character, with its `%` encoded again (`a` -> `%2561`).
    DoubleEncode { seg: usize, ch: usize, case: u32 },
    /// An encoded separator inserted in a segment, possibly after `..`.
    EncodedSeparator {
        seg: usize,
        pos: usize,
        spelling: &'static str,
    },
    /// A `.` (in some spelling) at the end of a segment.
    TrailingDot { seg: usize, dot: Dot },
    /// `;x` (in some spelling) at the end of a segment.
    Semicolon { seg: usize, spelling: &'static str },
    /// A `.` or `..` segment (each dot in some spelling) inserted.
    DotSegment { at: usize, dots: Vec<Dot> },
    /// One `/` doubled.
    DoubleSlash { at: usize },
    /// A `/` at the end.
    TrailingSlash,
}

impl Mutation {
    /// The order they are applied in, so that segment and character indices refer to the
    /// original spelling.
    fn phase(&self) -> u8 {
        match self {
            Mutation::DoubleEncode { .. } => 0,
            Mutation::EncodedSeparator { .. } => 1,
            Mutation::TrailingDot { .. } => 2,
            Mutation::Semicolon { .. } => 3,
            Mutation::DotSegment { .. } => 4,
            Mutation::DoubleSlash { .. } => 5,
            Mutation::TrailingSlash => 6,
        }
    }

    fn reason(&self) -> Reason {
        match self {
            Mutation::DoubleEncode { .. } => Reason::DoubleEncoding,
            Mutation::EncodedSeparator { .. } => Reason::EncodedSeparator,
            Mutation::TrailingDot { .. } => Reason::TrailingDot,
            Mutation::Semicolon { .. } => Reason::Semicolon,
            Mutation::DotSegment { .. } => Reason::DotSegment,
            Mutation::DoubleSlash { .. } | Mutation::TrailingSlash => Reason::EmptySegment,
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = || 0..1000usize;
    prop_oneof![
        (idx(), idx(), any::<u32>()).prop_map(|(seg, ch, case)| Mutation::DoubleEncode {
            seg,
            ch,
            case
        }),
        (
            idx(),
            idx(),
            prop::sample::select(&["%2F", "%2f", "%5C", "%5c", "..%2F", "..%5c", "%2e%2e%2f"][..])
        )
            .prop_map(|(seg, pos, spelling)| Mutation::EncodedSeparator {
                seg,
                pos,
                spelling
            }),
        (idx(), dot()).prop_map(|(seg, dot)| Mutation::TrailingDot { seg, dot }),
        (
            idx(),
            prop::sample::select(&[";x", "%3Bx", "%3bx", ";", ";jsessionid=1"][..])
        )
            .prop_map(|(seg, spelling)| Mutation::Semicolon { seg, spelling }),
        (idx(), prop::collection::vec(dot(), 1..=2))
            .prop_map(|(at, dots)| Mutation::DotSegment { at, dots }),
        idx().prop_map(|at| Mutation::DoubleSlash { at }),
        Just(Mutation::TrailingSlash),
    ]
}

/// A spelling of `segments` (one string per character) and the whole path.
fn spell_path(segments: &[Vec<char>], spelling: &Spelling) -> Vec<Vec<String>> {
    let mut k = 0;
    segments
        .iter()
        .map(|seg| {
            seg.iter()
                .map(|&c| {
                    k += 1;
                    if !raw_in_path(c) || spelling.encode(k) {
                        percent(c, spelling.case(k))
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

fn join_path(pieces: &[Vec<String>]) -> String {
    if pieces.is_empty() {
        return "/".to_owned();
    }
    pieces
        .iter()
        .map(|seg| format!("/{}", seg.concat()))
        .collect()
}

/// Applies `mutations` to a spelled path; returns the path and the reasons the applied ones
/// stand for (a segment mutation of the root path `/` does not apply).
fn mutate(
    segments: &[Vec<char>],
    mut pieces: Vec<Vec<String>>,
    mutations: &[Mutation],
) -> (String, Vec<Reason>) {
    let mut ordered = mutations.to_vec();
    ordered.sort_by_key(Mutation::phase);
    let mut reasons = Vec::new();
    let n = segments.len();
    let mut path = None;
    for m in &ordered {
        let applied = match m {
            _ if n == 0 && m.phase() < 4 => false,
            Mutation::DoubleEncode { seg, ch, case } => {
                let (s, c) = (seg % n, ch % segments[seg % n].len());
                pieces[s][c] = percent(segments[s][c], *case).replace('%', "%25");
                true
            }
            Mutation::EncodedSeparator { seg, pos, spelling } => {
                let s = seg % n;
                let at = pos % (pieces[s].len() + 1);
                pieces[s].insert(at, (*spelling).to_owned());
                true
            }
            Mutation::TrailingDot { seg, dot } => {
                pieces[seg % n].push(dot.spell().to_owned());
                true
            }
            Mutation::Semicolon { seg, spelling } => {
                pieces[seg % n].push((*spelling).to_owned());
                true
            }
            Mutation::DotSegment { at, dots } => {
                let seg = dots.iter().map(|d| d.spell().to_owned()).collect();
                let at = at % (pieces.len() + 1);
                pieces.insert(at, seg);
                true
            }
            Mutation::DoubleSlash { at } => {
                let p = path.get_or_insert_with(|| join_path(&pieces));
                let slashes: Vec<usize> = p.match_indices('/').map(|(i, _)| i).collect();
                p.insert(slashes[at % slashes.len()], '/');
                true
            }
            Mutation::TrailingSlash => {
                path.get_or_insert_with(|| join_path(&pieces)).push('/');
                true
            }
        };
        if applied {
            reasons.push(m.reason());
        }
    }
    (path.unwrap_or_else(|| join_path(&pieces)), reasons)
}

/// The heart of the spellings property.
fn check_path_variant(
    segments: &[Vec<char>],
    spelling: &Spelling,
    mutations: &[Mutation],
) -> Result<(), TestCaseError> {
    let decoded: Vec<String> = segments.iter().map(|s| s.iter().collect()).collect();
    let minimal = Spelling {
        mode: 0,
        flags: vec![false],
        case: vec![0],
    };
    let original = join_path(&spell_path(segments, &minimal));
    let want = canonicalize(&original, None)
        .map_err(|e| TestCaseError::fail(format!("valid {original:?} rejected: {e}")))?;
    prop_assert_eq!(want.segments(), &decoded[..]);
    prop_assert_eq!(want.path(), reference_path(&decoded));

    let (variant, reasons) = mutate(segments, spell_path(segments, spelling), mutations);
    match canonicalize(&variant, None) {
        Ok(got) => {
            prop_assert!(
                reasons.is_empty(),
                "{variant:?} (changed: {reasons:?}) accepted as {got:?}; original {original:?}"
            );
            prop_assert_eq!(
                &got,
                &want,
                "{:?} is a re-encoding of {:?}",
                variant,
                original
            );
        }
        Err(e) => {
            prop_assert!(
                !reasons.is_empty(),
                "{variant:?}, a re-encoding of {original:?}, rejected: {e}"
            );
            prop_assert!(
                reasons.contains(&e.reason),
                "{variant:?} rejected for {:?}, not for any of {reasons:?}",
                e.reason
            );
            check_rejection(&e, &variant, None)?;
        }
    }
    Ok(())
}

// Queries.

/// Characters of query keys and values: the segment characters and those that are plain text
/// in a query (`/ ? ; \ # & = +`, the last five only encoded).
fn query_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => segment_char(),
        2 => prop::sample::select(&['/', '?', ';', '\\', '#', '&', '=', '+', '"', '<'][..]),
    ]
}

fn query_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let text = |min| prop::collection::vec(query_char(), min..8).prop_map(String::from_iter);
    prop::collection::btree_map(text(1), text(0), 0..6)
        .prop_map(|m| m.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

/// Spells a query key or value: `&`, `+`, `;`, `#`, `%` and non-query bytes always encoded, `=`
/// always in a key; a space as `+` or `%20`; the rest as `spelling` says.
fn spell_query_text(text: &str, key: bool, spelling: &Spelling, k: &mut usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        *k += 1;
        let must =
            !(raw_in_path(c) || c == '/' || c == '?') || "&+;#%".contains(c) || (key && c == '=');
        if c == ' ' && !spelling.encode(*k) {
            out.push('+');
        } else if must || spelling.encode(*k) {
            out.push_str(&percent(c, spelling.case(*k)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A change to a query's spelling that is not a re-encoding.
#[derive(Debug, Clone)]
enum QueryMutation {
    /// An existing key again (spelled differently) with some value.
    DuplicateKey { pair: usize, encode: bool },
    /// A raw `;` in a value.
    Semicolon { pair: usize },
    /// A character of a value double-encoded.
    DoubleEncode { pair: usize, case: u32 },
}

fn query_mutation() -> impl Strategy<Value = QueryMutation> {
    let idx = || 0..1000usize;
    prop_oneof![
        (idx(), any::<bool>())
            .prop_map(|(pair, encode)| QueryMutation::DuplicateKey { pair, encode }),
        idx().prop_map(|pair| QueryMutation::Semicolon { pair }),
        (idx(), any::<u32>()).prop_map(|(pair, case)| QueryMutation::DoubleEncode { pair, case }),
    ]
}

fn check_query_variant(
    pairs: &[(String, String)],
    spelling: &Spelling,
    noise: &[u8],
    mutation: Option<&QueryMutation>,
) -> Result<(), TestCaseError> {
    let want = canonicalize("/x", Some(&reference_query(pairs).unwrap_or_default()))
        .map_err(|e| TestCaseError::fail(format!("valid {pairs:?} rejected: {e}")))?;
    prop_assert_eq!(want.query_pairs(), pairs);

    // Re-encodings: the spelling, `k` for `k=`, and empty pairs (`&&`) anywhere.
    let mut k = 0;
    let mut pieces: Vec<String> = Vec::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        let key = spell_query_text(key, true, spelling, &mut k);
        let value = spell_query_text(value, false, spelling, &mut k);
        let piece = if value.is_empty() && noise.get(i).is_some_and(|n| n & 1 == 1) {
            key
        } else {
            format!("{key}={value}")
        };
        pieces.push(piece);
    }
    let mut expected = None;
    if let (Some(m), false) = (mutation, pairs.is_empty()) {
        match m {
            QueryMutation::DuplicateKey { pair, encode } => {
                let (key, _) = &pairs[pair % pairs.len()];
                let respelled = Spelling {
                    mode: if *encode { 1 } else { 0 },
                    flags: vec![true],
                    case: vec![u32::MAX],
                };
                let key = spell_query_text(key, true, &respelled, &mut 0);
                pieces.push(format!("{key}=dup"));
                expected = Some(Reason::DuplicateKey(pairs[pair % pairs.len()].0.clone()));
            }
            QueryMutation::Semicolon { pair } => {
                pieces[pair % pairs.len()].push(';');
                expected = Some(Reason::Semicolon);
            }
            QueryMutation::DoubleEncode { pair, case } => {
                let piece = &mut pieces[pair % pairs.len()];
                if !piece.contains('=') {
                    piece.push('=');
                }
                piece.push_str(&percent('a', *case).replace('%', "%25"));
                expected = Some(Reason::DoubleEncoding);
            }
        }
    }
    let mut query = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        let empties = noise.get(i + 8).map_or(0, |n| n % 3);
        for _ in 0..empties {
            query.push('&');
        }
        if i > 0 {
            query.push('&');
        }
        query.push_str(piece);
    }
    if noise.first().is_some_and(|n| n & 2 == 2) {
        query.push('&');
    }

    match (canonicalize("/x", Some(&query)), expected) {
        (Ok(got), None) => prop_assert_eq!(&got, &want, "{:?}", query),
        (Ok(got), Some(reason)) => {
            return Err(TestCaseError::fail(format!(
                "{query:?} (should be {reason:?}) accepted as {got:?}"
            )));
        }
        (Err(e), None) => {
            return Err(TestCaseError::fail(format!(
                "{query:?}, a re-encoding of {pairs:?}, rejected: {e}"
            )));
        }
        (Err(e), Some(reason)) => {
            prop_assert_eq!(&e.reason, &reason, "{:?}", query);
            check_rejection(&e, "/x", Some(&query))?;
        }
    }
    Ok(())
}

// Arbitrary input.

/// Pieces of targets that canonicalizers have disagreed on.
const TOKENS: &[&str] = &[
    "/",
    "/",
    "/",
    "//",
    ".",
    "..",
    "%2e",
    "%2E",
    "%2F",
    "%2f",
    "%5C",
    "%5c",
    "%25",
    "%252F",
    "%3B",
    "%3b",
    ";",
    "%",
    "%4",
    "%zz",
    "%E4%B8%AD",
    "%C0%AF",
    "%FF",
    "%C2%85",
    "%E2%80%8B",
    "%E2%80%AE",
    "%EF%BB%BF",
    "%00",
    "%0A",
    "%7F",
    "%20",
    "%41",
    "%7e",
    "%2B",
    "a",
    "a",
    "b",
    "Z",
    "9",
    "-",
    "_",
    "~",
    "!",
    "$",
    "'",
    "(",
    "*",
    "+",
    ",",
    ":",
    "@",
    "=",
    "&",
    "é",
    " ",
    "\\",
    "?",
    "#",
    "\u{200B}",
    "\t",
    "v5",
    "users",
    "training-jobs",
];

fn token_soup(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..max).prop_map(|t| t.concat())
}

/// A path-looking string: `/` and segments of pchars and `%XX` (mostly printable ASCII, some
/// UTF-8, now and then a dot, an encoded separator, `%25`, `%3B` or any byte).
fn pathy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        30 => "[A-Za-z0-9._~!$&'()*+,=:@-]",
        6 => "%[2-7][0-9A-Fa-f]",
        2 => prop::sample::select(&["%C3%A9", "%e4%b8%ad", "%F0%9F%98%80", "%c3"][..]).prop_map(str::to_owned),
        2 => "%2[eE]",
        1 => prop::sample::select(&["%2F", "%5c", "%25", "%3B", ";", "/", "\\"][..]).prop_map(str::to_owned),
        1 => "%[0-9A-Fa-f]{2}",
    ];
    let segment = prop::collection::vec(piece, 1..8).prop_map(|p| format!("/{}", p.concat()));
    prop::collection::vec(segment, 0..6).prop_map(|s| {
        if s.is_empty() {
            "/".to_owned()
        } else {
            s.concat()
        }
    })
}

/// A query-looking string, the same way.
fn queryish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        30 => "[A-Za-z0-9._~!$'()*,:@/?+-]",
        6 => "[=&]",
        6 => "%[2-7][0-9A-Fa-f]",
        2 => prop::sample::select(&["%20", "%2B", "%C3%A9", "%2F", "%3b", "%c3"][..]).prop_map(str::to_owned),
        1 => prop::sample::select(&["%25", ";", "%0A", "#"][..]).prop_map(str::to_owned),
        1 => "%[0-9A-Fa-f]{2}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

fn lossy() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 0..96).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

// ---------------------------------------------------------------------------------------------
// The properties.

proptest! {
    #![proptest_config(config())]

    /// 1a: a re-encoding is the same request; anything else from the list is rejected.
    #[test]
    fn path_spellings_canonicalize_to_the_original_or_are_rejected(
        segments in prop::collection::vec(segment(), 0..8),
        spelling in spelling(),
        mutations in prop::collection::vec(mutation(), 0..3),
    ) {
        check_path_variant(&segments, &spelling, &mutations)?;
    }

    /// 1a, re-encodings only: always accepted, always equal.
    #[test]
    fn path_re_encodings_are_accepted_and_equal(
        segments in prop::collection::vec(segment(), 0..8),
        spelling in spelling(),
    ) {
        check_path_variant(&segments, &spelling, &[])?;
    }

    /// 1a, one change from the list: always rejected, for the reason it stands for.
    #[test]
    fn path_changes_are_rejected(
        segments in prop::collection::vec(segment(), 1..8),
        spelling in spelling(),
        mutation in mutation(),
    ) {
        check_path_variant(&segments, &spelling, &[mutation])?;
    }

    /// 1a for queries: `+`/`%20`, `k`/`k=`, empty pairs and any encoding are one query;
    /// a duplicate key, a raw `;` or double encoding is rejected.
    #[test]
    fn query_spellings_canonicalize_to_the_original_or_are_rejected(
        pairs in query_pairs(),
        spelling in spelling(),
        noise in prop::collection::vec(any::<u8>(), 0..16),
        mutation in prop::option::of(query_mutation()),
    ) {
        check_query_variant(&pairs, &spelling, &noise, mutation.as_ref())?;
    }

    /// 1b-1d from arbitrary strings.
    #[test]
    fn arbitrary_strings(path in ".*", query in prop::option::of(".*")) {
        check_any(&path, query.as_deref())?;
        check_any(&format!("/{path}"), query.as_deref())?;
        check_any("/", Some(path.as_str()))?;
    }

    /// 1b-1d from arbitrary bytes, read as lossy UTF-8.
    #[test]
    fn arbitrary_bytes(path in lossy(), query in prop::option::of(lossy())) {
        check_any(&path, query.as_deref())?;
        check_any(&format!("/{path}"), query.as_deref())?;
        let _ = canonicalize_target(&path);
    }

    /// 1b-1c from path- and query-looking strings, many of them accepted.
    #[test]
    fn pathy_strings(path in pathy(), query in prop::option::of(queryish())) {
        check_any(&path, query.as_deref())?;
    }

    /// 1b-1d from soups of the tokens canonicalizers disagree on.
    #[test]
    fn token_soups(path in token_soup(24), query in prop::option::of(token_soup(16))) {
        check_any(&format!("/{path}"), query.as_deref())?;
        check_any(&path, query.as_deref())?;
        let _ = canonicalize_target(&format!("/{path}"));
    }
}

/// The arbitrary-input generators reach accepted targets often enough for the fixed point and
/// the invariants to be checked on many outputs, not only on rejections.
#[test]
fn generators_reach_accepted_inputs() {
    fn rate<S: Strategy>(strategy: S, accepted: impl Fn(&S::Value) -> bool) -> f64 {
        use proptest::strategy::ValueTree;
        let mut runner = TestRunner::new(config());
        let n: u32 = 2000;
        let hits = (0..n)
            .filter(|_| accepted(&strategy.new_tree(&mut runner).unwrap().current()))
            .count();
        hits as f64 / f64::from(n)
    }
    let pathy = rate((pathy(), prop::option::of(queryish())), |(p, q)| {
        canonicalize(p, q.as_deref()).is_ok()
    });
    let soup = rate(
        (token_soup(24), prop::option::of(token_soup(16))),
        |(p, q)| canonicalize(&format!("/{p}"), q.as_deref()).is_ok(),
    );
    let soup_query = rate(token_soup(16), |q| canonicalize("/", Some(q)).is_ok());
    println!("accepted: pathy {pathy}, token soup {soup}, token-soup query {soup_query}");
    assert!(pathy > 0.2, "path-looking strings accepted: {pathy}");
    assert!(soup > 0.02, "token soups accepted: {soup}");
    assert!(
        soup_query > 0.02,
        "token-soup queries accepted: {soup_query}"
    );
}

/// Fixed points that need long inputs, which the generators above do not make.
#[test]
fn long_targets_within_the_limits_are_fixed_points() {
    for (path, query) in [
        (format!("/{}", "a".repeat(MAX_PATH_BYTES - 1)), None),
        ("/a".repeat(MAX_SEGMENTS), None),
        (format!("/{}", "%41".repeat(1365)), None),
        (
            format!("/{}", "!".repeat(1364)),
            Some("k=".to_owned() + &"!".repeat(2729)),
        ),
    ] {
        let c = canonicalize(&path, query.as_deref()).unwrap();
        assert!(c.path().len() <= MAX_PATH_BYTES);
        check_canonical(&c).unwrap();
    }
}

/// A target within the raw limits whose canonical form is over them is refused, so every
/// accepted target's canonical form is accepted again as itself.
#[test]
fn canonical_forms_over_the_limits_are_refused() {
    let path = format!("/{}", "!".repeat(2000));
    let e = canonicalize(&path, None).unwrap_err();
    assert_eq!(e.reason, Reason::TooLong(MAX_PATH_BYTES));
    let query = format!("k={}", "!".repeat(3000));
    let e = canonicalize("/", Some(&query)).unwrap_err();
    assert_eq!(e.reason, Reason::TooLong(MAX_QUERY_BYTES));
    let path = format!("/{}", "!".repeat(1365));
    let c = canonicalize(&path, None).unwrap();
    assert_eq!(canonicalize(c.path(), c.query()), Ok(c.clone()));
}
