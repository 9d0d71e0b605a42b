//! The invariants of `iam_canonical` (docs/canonical.md), checked the same way by its property
//! tests and by its fuzz target: what every accepted target satisfies (the canonical alphabet
//! with upper-case hex, the signer's encoding written here from the documentation, no empty,
//! dot, dot-ended or separator-holding segment, no forbidden character, `decoded_path` and
//! `segments` agree, unique query keys that re-parse to the same pairs, the fixed point), and
//! what every rejection satisfies (its offset points at the offending byte).

use iam_canonical::{
    Canonical, MAX_PATH_BYTES, MAX_QUERY_BYTES, MAX_SEGMENTS, Part, Reason, Rejection,
    canonical_method, canonicalize, canonicalize_target, forbidden_char,
};

/// `Err(message)` unless `cond`.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Huawei's signer encoding: all but `A-Z a-z 0-9 - _ . ~` as `%XX`, upper-case hex; in a query a
/// space is `+`.
pub fn reference_encode(decoded: &str, query: bool) -> String {
    let mut out = String::new();
    for &b in decoded.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else if query && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical path of decoded segments (`/` for none).
pub fn reference_path(segments: &[String]) -> String {
    if segments.is_empty() {
        return "/".to_owned();
    }
    segments
        .iter()
        .map(|s| format!("/{}", reference_encode(s, false)))
        .collect()
}

/// The canonical query of decoded pairs (`None` for none).
pub fn reference_query(pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let pieces: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                reference_encode(k, true),
                reference_encode(v, true)
            )
        })
        .collect();
    Some(pieces.join("&"))
}

/// The canonical alphabet: `A-Za-z0-9-_.~`, `%XX` with upper-case hex, and `extra`.
fn in_canonical_alphabet(s: &str, extra: &[u8]) -> Result<(), String> {
    let b = s.as_bytes();
    let upper_hex = |x: Option<&u8>| x.is_some_and(|x| matches!(x, b'0'..=b'9' | b'A'..=b'F'));
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            ensure!(
                upper_hex(b.get(i + 1)) && upper_hex(b.get(i + 2)),
                "{s:?}: '%' at {i} without two upper-case hex digits"
            );
            i += 3;
        } else {
            ensure!(
                c.is_ascii_alphanumeric() || b"-_.~".contains(&c) || extra.contains(&c),
                "{s:?}: byte 0x{c:02X} at {i} outside the canonical alphabet"
            );
            i += 1;
        }
    }
    Ok(())
}

/// Everything an accepted target must satisfy, the fixed point included.
pub fn check_canonical(c: &Canonical) -> Result<(), String> {
    let path = c.path();
    ensure!(path.starts_with('/'), "{path:?}");
    in_canonical_alphabet(path, b"/")?;
    let reference = reference_path(c.segments());
    ensure!(
        path == reference,
        "canonical path {path:?} is not the signer encoding {reference:?}"
    );
    ensure!(c.segments().len() <= MAX_SEGMENTS, "{c:?}");
    for s in c.segments() {
        ensure!(!s.is_empty(), "empty segment in {c:?}");
        ensure!(s != "." && s != "..", "dot segment in {c:?}");
        ensure!(!s.ends_with('.'), "segment ending in '.' in {c:?}");
        ensure!(
            !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace),
            "segment with white space at an end in {c:?}"
        );
        ensure!(
            !s.contains(['/', '\\', '%', ';']),
            "separator, '%' or ';' in segment {s:?} of {c:?}"
        );
        ensure!(
            !s.chars().any(forbidden_char),
            "forbidden character in segment {s:?} of {c:?}"
        );
    }
    let decoded = c.decoded_path();
    if c.segments().is_empty() {
        ensure!(decoded == "/", "decoded path {decoded:?} of no segment");
    } else {
        let split: Vec<&str> = decoded.split('/').collect();
        ensure!(
            split.first() == Some(&"")
                && split
                    .get(1..)
                    .is_some_and(|rest| rest.iter().eq(c.segments().iter())),
            "decoded path {decoded:?} does not split into the segments of {c:?}"
        );
    }

    let pairs = c.query_pairs();
    let reference = reference_query(pairs);
    ensure!(
        c.query().map(str::to_owned) == reference,
        "canonical query {:?} is not the signer encoding {reference:?}",
        c.query()
    );
    for (i, (k, v)) in pairs.iter().enumerate() {
        ensure!(
            pairs[..i].iter().all(|(seen, _)| seen != k),
            "key {k:?} twice in {c:?}"
        );
        ensure!(
            c.query_value(k) == Some(v.as_str()),
            "value of {k:?} in {c:?}"
        );
        for text in [k, v] {
            ensure!(!text.contains('%'), "'%' in query text {text:?} of {c:?}");
            ensure!(
                !text.chars().any(forbidden_char),
                "forbidden character in query text {text:?} of {c:?}"
            );
        }
    }
    if let Some(q) = c.query() {
        ensure!(!q.is_empty(), "empty query in {c:?}");
        in_canonical_alphabet(q, b"=&+")?;
        let again = canonicalize("/", Some(q)).map_err(|e| e.to_string())?;
        ensure!(
            again.query_pairs() == pairs,
            "canonical query {q:?} does not re-parse to its pairs"
        );
    }
    let pq = match c.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    ensure!(c.path_and_query() == pq, "path_and_query of {c:?}");

    // Fixed point: the canonical form is its own canonical form, both through `canonicalize`
    // and through `canonicalize_target` (what the gateway forwards is what the server reads).
    ensure!(
        canonicalize(c.path(), c.query()).as_ref() == Ok(c),
        "not a fixed point: {c:?}"
    );
    ensure!(
        canonicalize_target(&c.path_and_query()).as_ref() == Ok(c),
        "not a fixed point as a target: {c:?}"
    );
    Ok(())
}

/// Everything a rejection of `path` / `query` must satisfy: it is about the path or the query,
/// and its offset points at the offending byte.
pub fn check_rejection(e: &Rejection, path: &str, query: Option<&str>) -> Result<(), String> {
    ensure!(!e.to_string().is_empty(), "{e:?} has no message");
    let raw = match e.part {
        Part::Path => path,
        Part::Query => {
            ensure!(
                query.is_some_and(|q| !q.is_empty()),
                "{e:?} without a query"
            );
            // The path is checked first: a query rejection means the path was fine.
            ensure!(
                canonicalize(path, None).is_ok(),
                "{e:?} but the path is bad"
            );
            query.unwrap_or_default()
        }
        Part::Method => return Err(format!("{e:?} from canonicalize")),
    };
    let at = raw.as_bytes().get(e.offset).copied();
    match &e.reason {
        Reason::TooLong(max) => {
            let limit = if e.part == Part::Path {
                MAX_PATH_BYTES
            } else {
                MAX_QUERY_BYTES
            };
            ensure!(*max == limit, "{e:?}: limit {limit}");
            // the raw form is over the limit, or its canonical spelling is (offset: the end)
            ensure!(raw.len() > limit || e.offset == raw.len(), "{e:?}");
        }
        Reason::NotAbsolute => ensure!(e.offset == 0 && !path.starts_with('/'), "{e:?}"),
        Reason::RawByte(b) => ensure!(at == Some(*b), "{e:?}"),
        Reason::BadEscape
        | Reason::EncodedSeparator
        | Reason::EncodedDelimiter
        | Reason::DoubleEncoding => ensure!(at == Some(b'%'), "{e:?}"),
        Reason::Semicolon => ensure!(matches!(at, Some(b';' | b'%')), "{e:?}"),
        Reason::EmptySegment => ensure!(
            matches!(at, None | Some(b'/'))
                && e.offset > 0
                && raw.as_bytes().get(e.offset - 1) == Some(&b'/'),
            "{e:?}"
        ),
        Reason::Method(_) => return Err(format!("{e:?} from canonicalize")),
        Reason::TooManySegments
        | Reason::NotUtf8
        | Reason::Control(_)
        | Reason::DotSegment
        | Reason::TrailingDot
        | Reason::EdgeWhitespace
        | Reason::DuplicateKey(_) => ensure!(e.offset <= raw.len(), "{e:?}"),
    }
    Ok(())
}

/// Canonicalizes `path` and `query` every way the crate offers and checks the outcome: the
/// invariants, and `canonicalize_target` agreeing with `canonicalize`.
pub fn check_any(path: &str, query: Option<&str>) -> Result<(), String> {
    let result = canonicalize(path, query);
    match &result {
        Ok(c) => check_canonical(c)?,
        Err(e) => check_rejection(e, path, query)?,
    }
    if !path.contains('?') {
        let target = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        ensure!(
            canonicalize_target(&target) == result,
            "canonicalize_target({target:?}) differs from canonicalize"
        );
    }
    let _ = canonicalize_target(path);
    let _ = canonical_method(path);
    Ok(())
}
