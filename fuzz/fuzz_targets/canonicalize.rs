//! Arbitrary bytes (lossy UTF-8) -> `iam_canonical::canonicalize` / `canonicalize_target`: must
//! never panic; every accepted target satisfies the invariants of docs/canonical.md (canonical
//! alphabet with upper-case hex, no empty / dot / dot-ended / separator-holding segment, no
//! forbidden character, `decoded_path` and `segments` agree, unique query keys that re-parse to
//! the same pairs) and is a fixed point; every rejection points at the offending byte.
//!
//! The input is split at its first `\n` into path and query (no `\n`: no query); the whole input
//! also goes through `canonicalize_target`, which splits at the first `?`.
#![no_main]

use iam_canonical::{
    Canonical, MAX_PATH_BYTES, MAX_QUERY_BYTES, MAX_SEGMENTS, Part, Reason, Rejection,
    canonical_method, canonicalize, canonicalize_target, forbidden_char,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, query) = match text.split_once('\n') {
        Some((p, q)) => (p, Some(q)),
        None => (&*text, None),
    };
    let result = canonicalize(path, query);
    match &result {
        Ok(c) => check_canonical(c),
        Err(e) => check_rejection(e, path, query),
    }
    if !path.contains('?') {
        let target = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        assert_eq!(canonicalize_target(&target), result, "{target:?}");
    }
    match canonicalize_target(&text) {
        Ok(c) => check_canonical(&c),
        Err(e) => {
            let (p, q) = match text.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (&*text, None),
            };
            check_rejection(&e, p, q);
        }
    }
    let _ = canonical_method(path);
});

/// Huawei's signer encoding, written from the documentation: all but `A-Z a-z 0-9 - _ . ~` as
/// `%XX` (upper-case hex); in a query a space is `+`.
fn reference_encode(decoded: &str, query: bool) -> String {
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

/// Only `A-Za-z0-9-_.~`, `%XX` with upper-case hex, and `extra`.
fn assert_canonical_alphabet(s: &str, extra: &[u8]) {
    let b = s.as_bytes();
    let upper_hex = |x: Option<&u8>| x.is_some_and(|x| matches!(x, b'0'..=b'9' | b'A'..=b'F'));
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            assert!(
                upper_hex(b.get(i + 1)) && upper_hex(b.get(i + 2)),
                "{s:?}: '%' at {i} without two upper-case hex digits"
            );
            i += 3;
        } else {
            assert!(
                b[i].is_ascii_alphanumeric() || b"-_.~".contains(&b[i]) || extra.contains(&b[i]),
                "{s:?}: byte 0x{:02X} at {i} outside the canonical alphabet",
                b[i]
            );
            i += 1;
        }
    }
}

fn check_canonical(c: &Canonical) {
    let path = c.path();
    assert!(path.starts_with('/'), "{c:?}");
    assert_canonical_alphabet(path, b"/");
    let reference: String = if c.segments().is_empty() {
        "/".to_owned()
    } else {
        c.segments()
            .iter()
            .map(|s| format!("/{}", reference_encode(s, false)))
            .collect()
    };
    assert_eq!(path, reference, "canonical path is not the signer encoding");
    assert!(c.segments().len() <= MAX_SEGMENTS, "{c:?}");
    for s in c.segments() {
        assert!(!s.is_empty(), "empty segment in {c:?}");
        assert!(s != "." && s != "..", "dot segment in {c:?}");
        assert!(!s.ends_with('.'), "segment ending in '.' in {c:?}");
        assert!(
            !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace),
            "segment with white space at an end in {c:?}"
        );
        assert!(
            !s.contains(['/', '\\', '%', ';']),
            "separator, '%' or ';' in segment {s:?} of {c:?}"
        );
        assert!(
            !s.chars().any(forbidden_char),
            "forbidden character in segment {s:?} of {c:?}"
        );
    }
    let decoded = c.decoded_path();
    if c.segments().is_empty() {
        assert_eq!(decoded, "/");
    } else {
        let split: Vec<&str> = decoded.split('/').collect();
        assert_eq!(split[0], "");
        assert_eq!(
            &split[1..],
            c.segments(),
            "decoded_path does not split into segments"
        );
    }

    let pairs = c.query_pairs();
    let reference = (!pairs.is_empty()).then(|| {
        pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    reference_encode(k, true),
                    reference_encode(v, true)
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    assert_eq!(c.query().map(str::to_owned), reference, "canonical query");
    for (i, (k, v)) in pairs.iter().enumerate() {
        assert!(
            pairs[..i].iter().all(|(seen, _)| seen != k),
            "key {k:?} twice in {c:?}"
        );
        assert_eq!(c.query_value(k), Some(v.as_str()));
        for t in [k, v] {
            assert!(!t.contains('%'), "'%' in query text {t:?} of {c:?}");
            assert!(
                !t.chars().any(forbidden_char),
                "forbidden character in {t:?} of {c:?}"
            );
        }
    }
    if let Some(q) = c.query() {
        assert_canonical_alphabet(q, b"=&+");
        let again = canonicalize("/", Some(q)).map(|a| a.query_pairs().to_vec());
        assert_eq!(
            again.as_deref(),
            Ok(pairs),
            "canonical query does not re-parse"
        );
    }

    // Fixed point: the canonical form is accepted again as itself.
    let again = canonicalize(c.path(), c.query());
    assert_eq!(again.as_ref(), Ok(c), "not a fixed point");
    assert_eq!(
        canonicalize_target(&c.path_and_query()).as_ref(),
        Ok(c),
        "not a fixed point"
    );
}

fn check_rejection(e: &Rejection, path: &str, query: Option<&str>) {
    assert!(!e.to_string().is_empty());
    let raw = match e.part {
        Part::Path => path,
        Part::Query => {
            assert!(
                query.is_some_and(|q| !q.is_empty()),
                "{e:?} without a query"
            );
            assert!(
                canonicalize(path, None).is_ok(),
                "{e:?} but the path is bad"
            );
            query.unwrap_or_default()
        }
        Part::Method => panic!("{e:?} from canonicalize"),
    };
    let at = raw.as_bytes().get(e.offset).copied();
    match &e.reason {
        Reason::TooLong(max) => {
            let limit = if e.part == Part::Path {
                MAX_PATH_BYTES
            } else {
                MAX_QUERY_BYTES
            };
            assert_eq!(*max, limit);
            // the raw form is over the limit, or its canonical spelling is (offset: the end)
            assert!(raw.len() > limit || e.offset == raw.len(), "{e:?}");
        }
        Reason::NotAbsolute => assert!(e.offset == 0 && !path.starts_with('/'), "{e:?}"),
        Reason::RawByte(b) => assert_eq!(at, Some(*b), "{e:?}"),
        Reason::BadEscape
        | Reason::EncodedSeparator
        | Reason::EncodedDelimiter
        | Reason::DoubleEncoding => {
            assert_eq!(at, Some(b'%'), "{e:?}");
        }
        Reason::Semicolon => assert!(matches!(at, Some(b';' | b'%')), "{e:?}"),
        Reason::EmptySegment => assert!(
            matches!(at, None | Some(b'/')) && e.offset > 0 && raw.as_bytes()[e.offset - 1] == b'/',
            "{e:?}"
        ),
        Reason::Method(_) => panic!("{e:?} from canonicalize"),
        Reason::TooManySegments
        | Reason::NotUtf8
        | Reason::Control(_)
        | Reason::DotSegment
        | Reason::TrailingDot
        | Reason::EdgeWhitespace
        | Reason::DuplicateKey(_) => assert!(e.offset <= raw.len(), "{e:?}"),
    }
}
