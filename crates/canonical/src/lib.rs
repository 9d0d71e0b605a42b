//! One canonical form of an HTTP request target.
//!
//! A permission system decides on one reading of a request and then acts on (or forwards) the
//! request; if two components read the same bytes differently, a request can reach what the
//! decision forbade. This crate is the single reading: [`canonicalize`] turns the raw path and
//! query of a request into a [`Canonical`] target, or rejects it when the bytes have no single
//! meaning. The server routes, authorizes and acts on the canonical form only; the gateway
//! authorizes it and forwards exactly [`Canonical::path_and_query`].
//!
//! Rules (docs/canonical.md):
//! - the path starts with `/`; it has no empty segment (`//`, a trailing `/`) except the root `/`;
//! - raw bytes are RFC 3986 `pchar`s (unreserved, sub-delimiters, `:`, `@`, `%XX`); `;` is
//!   refused (path parameters), and so is every other byte (space, `\`, controls, non-ASCII);
//! - every segment is percent-decoded **once**; the decoded text must be UTF-8 and must not hold
//!   `/`, `\` or `%` (an encoded separator, or double encoding), `?` or `#`, `;`, control characters or
//!   invisible format characters (bidi controls, zero-width characters, BOM); it must not be `.`
//!   or `..` or end with `.` (dot segments in any encoding, and the trailing dots some servers
//!   strip), nor start or end with white space (which some servers trim);
//! - the canonical path re-encodes every decoded segment with Huawei's signer encoding (all but
//!   `A-Z a-z 0-9 - _ . ~` as `%XX`, upper-case hex), so `%73ecret%2djob` and `secret-job` are one
//!   request;
//! - the query is `&`-separated `key[=value]` pairs decoded once (form encoding: `+` is a space)
//!   with the same character rules as segments, except that an encoded `/`, `\` or `;` is a
//!   plain character of a key or value there (a raw `;` is still refused);
//! - the length limits ([`MAX_PATH_BYTES`], [`MAX_QUERY_BYTES`]) hold for the raw and for the
//!   canonical spelling, so every canonical form canonicalizes to itself;
//!   a key may appear once; empty pairs are dropped; the canonical query re-encodes the pairs in
//!   their order.
//!
//! The crate is pure: no I/O, no allocation beyond the canonical form it returns.

use std::fmt;

/// Longest raw path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// Longest raw query accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 8192;
/// Most path segments accepted.
pub const MAX_SEGMENTS: usize = 64;

/// A request target in its one canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    path: String,
    segments: Vec<String>,
    query: Option<String>,
    pairs: Vec<(String, String)>,
}

impl Canonical {
    /// The canonical path, percent-encoded (`/v5/users/abc`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The decoded segments of the path, in order (`["v5", "users", "abc"]`).
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The decoded path: `/` and the decoded segments joined by `/`. Unambiguous, since no
    /// decoded segment holds a `/`. This is what route tables match and URNs are built from.
    pub fn decoded_path(&self) -> String {
        let mut out = String::with_capacity(self.path.len());
        if self.segments.is_empty() {
            out.push('/');
        }
        for s in &self.segments {
            out.push('/');
            out.push_str(s);
        }
        out
    }

    /// The canonical query without `?`, if the request has a non-empty one.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The decoded query pairs, in order; every key appears once.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The decoded value of query parameter `key`.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The canonical path and query (`/p?q`), as forwarded.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Which part of the request target a rejection is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The method.
    Method,
    /// The path.
    Path,
    /// The query string.
    Query,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Method => "method",
            Part::Path => "path",
            Part::Query => "query",
        })
    }
}

/// Why a request target has no single meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The method is not one of the upper-case methods the APIs use.
    Method(String),
    /// The path does not start with `/`.
    NotAbsolute,
    /// The path or query is longer than its limit.
    TooLong(usize),
    /// More than [`MAX_SEGMENTS`] segments.
    TooManySegments,
    /// An empty segment (`//` or a trailing `/`).
    EmptySegment,
    /// A byte that may not appear unencoded.
    RawByte(u8),
    /// `;` (path parameters mean different things to different servers).
    Semicolon,
    /// `%` not followed by two hexadecimal digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// An encoded `/` or `\`.
    EncodedSeparator,
    /// An encoded `?` or `#` in the path (route tables and servers cut a path there).
    EncodedDelimiter,
    /// `%` after decoding: double encoding.
    DoubleEncoding,
    /// A control character, or an invisible format character.
    Control(char),
    /// A `.` or `..` segment, in any encoding.
    DotSegment,
    /// A segment that ends with `.`.
    TrailingDot,
    /// A segment that starts or ends with white space (some servers trim it).
    EdgeWhitespace,
    /// A query key that appears more than once.
    DuplicateKey(String),
}

/// A request target rejected by [`canonicalize`]: what, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Rejection {
    /// The part of the target.
    pub part: Part,
    /// The byte offset in that part where the problem starts.
    pub offset: usize,
    /// What is wrong.
    pub reason: Reason,
}

impl Rejection {
    fn new(part: Part, offset: usize, reason: Reason) -> Self {
        Self {
            part,
            offset,
            reason,
        }
    }

    /// A sentence for the client: what is wrong, where, and how to send the request instead.
    pub fn message(&self) -> String {
        let at = format!("the request {} at byte {}", self.part, self.offset);
        match &self.reason {
            Reason::Method(m) => format!(
                "the request method {m:?} is not accepted: send one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS in upper case"
            ),
            Reason::NotAbsolute => "the request path must start with '/'".to_owned(),
            Reason::TooLong(max) => format!(
                "the request {} is longer than {max} bytes (as sent, or once each character outside A-Z a-z 0-9 - _ . ~ is percent-encoded)",
                self.part
            ),
            Reason::TooManySegments => {
                format!("the request path has more than {MAX_SEGMENTS} segments")
            }
            Reason::EmptySegment => {
                format!("{at} has an empty segment ('//' or a trailing '/'): remove the extra '/'")
            }
            Reason::RawByte(b) => format!(
                "{at} holds the byte 0x{b:02X}, which must be percent-encoded (or is not allowed at all)"
            ),
            Reason::Semicolon => format!(
                "{at} holds ';' (raw, or encoded in the path): parameters after ';' mean different things to different servers and are not accepted; in a query value encode it as %3B"
            ),
            Reason::BadEscape => {
                format!("{at} has '%' without two hexadecimal digits after it: encode '%' as %25")
            }
            Reason::NotUtf8 => format!("{at} decodes to bytes that are not UTF-8"),
            Reason::EncodedSeparator => format!(
                "{at} holds an encoded '/' or '\\' (%2F, %5C): a segment cannot contain a separator"
            ),
            Reason::EncodedDelimiter => format!(
                "{at} holds an encoded '?' or '#' (%3F, %23): a path segment cannot contain them"
            ),
            Reason::DoubleEncoding => format!(
                "{at} decodes to a '%' (double encoding such as %252F): encode each character once"
            ),
            Reason::Control(c) => format!(
                "{at} holds the control or invisible character U+{:04X}, which is not accepted",
                u32::from(*c)
            ),
            Reason::DotSegment => format!(
                "{at} has a '.' or '..' segment (in some encoding): send the path without dot segments"
            ),
            Reason::TrailingDot => {
                format!("{at} has a segment that ends with '.': remove the trailing '.'")
            }
            Reason::EdgeWhitespace => format!(
                "{at} has a segment that starts or ends with white space: remove it (ids never do)"
            ),
            Reason::DuplicateKey(k) => format!(
                "the query names the parameter {k:?} more than once: send each parameter once"
            ),
        }
    }
}

/// The methods a request may use, spelled exactly so.
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Checks that `method` is one of [`METHODS`], exactly (upper case).
pub fn canonical_method(method: &str) -> Result<&'static str, Rejection> {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .ok_or_else(|| Rejection::new(Part::Method, 0, Reason::Method(method.to_owned())))
}

/// Whether `path` (with no query) is already canonical and equal to its decoded form: only
/// `A-Z a-z 0-9 - _ . ~` and `/`, no empty segment, no segment that is `.`/`..` or ends with `.`.
/// Such a path needs no rewriting and no allocation; [`canonicalize`] would return it as is.
pub fn is_plain(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    path.len() <= MAX_PATH_BYTES
        && rest.split('/').count() <= MAX_SEGMENTS
        && rest.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.ends_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        })
}

/// The canonical form of a raw path and query (`query` without `?`; `None` or empty when the
/// request has none).
pub fn canonicalize(path: &str, query: Option<&str>) -> Result<Canonical, Rejection> {
    let (path_canonical, segments) = canonical_path(path)?;
    let (query_canonical, pairs) = match query {
        Some(q) if !q.is_empty() => canonical_query(q)?,
        _ => (None, Vec::new()),
    };
    Ok(Canonical {
        path: path_canonical,
        segments,
        query: query_canonical,
        pairs,
    })
}

/// [`canonicalize`] of a whole request target `path[?query]` (an nginx `$request_uri`). A
/// fragment (`#`) is refused: clients never send one.
pub fn canonicalize_target(target: &str) -> Result<Canonical, Rejection> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    canonicalize(path, query)
}

fn canonical_path(raw: &str) -> Result<(String, Vec<String>), Rejection> {
    if raw.len() > MAX_PATH_BYTES {
        return Err(Rejection::new(
            Part::Path,
            MAX_PATH_BYTES,
            Reason::TooLong(MAX_PATH_BYTES),
        ));
    }
    let Some(rest) = raw.strip_prefix('/') else {
        return Err(Rejection::new(Part::Path, 0, Reason::NotAbsolute));
    };
    let mut segments = Vec::new();
    let mut canonical = String::with_capacity(raw.len());
    if rest.is_empty() {
        canonical.push('/');
        return Ok((canonical, segments));
    }
    let mut offset = 1;
    for raw_segment in rest.split('/') {
        if raw_segment.is_empty() {
            return Err(Rejection::new(Part::Path, offset, Reason::EmptySegment));
        }
        if segments.len() == MAX_SEGMENTS {
            return Err(Rejection::new(Part::Path, offset, Reason::TooManySegments));
        }
        let decoded = decode(raw_segment, Part::Path, offset, false)?;
        if decoded == "." || decoded == ".." {
            return Err(Rejection::new(Part::Path, offset, Reason::DotSegment));
        }
        if decoded.ends_with('.') {
            return Err(Rejection::new(Part::Path, offset, Reason::TrailingDot));
        }
        if decoded.starts_with(char::is_whitespace) || decoded.ends_with(char::is_whitespace) {
            return Err(Rejection::new(Part::Path, offset, Reason::EdgeWhitespace));
        }
        canonical.push('/');
        encode_into(&decoded, &mut canonical, false);
        offset += raw_segment.len() + 1;
        segments.push(decoded);
    }
    // The canonical spelling can be longer than the raw one (`!` is `%21`): the limit holds for
    // both, so that every canonical form is accepted again as itself.
    if canonical.len() > MAX_PATH_BYTES {
        return Err(Rejection::new(
            Part::Path,
            raw.len(),
            Reason::TooLong(MAX_PATH_BYTES),
        ));
    }
    Ok((canonical, segments))
}

#[expect(
    clippy::type_complexity,
    reason = "the canonical query and its pairs, built together"
)]
fn canonical_query(raw: &str) -> Result<(Option<String>, Vec<(String, String)>), Rejection> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Rejection::new(
            Part::Query,
            MAX_QUERY_BYTES,
            Reason::TooLong(MAX_QUERY_BYTES),
        ));
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut offset = 0;
    for piece in raw.split('&') {
        if !piece.is_empty() {
            let (k, v, v_offset) = match piece.split_once('=') {
                Some((k, v)) => (k, v, offset + k.len() + 1),
                None => (piece, "", offset + piece.len()),
            };
            let key = decode(k, Part::Query, offset, true)?;
            let value = decode(v, Part::Query, v_offset, true)?;
            if pairs.iter().any(|(seen, _)| *seen == key) {
                return Err(Rejection::new(
                    Part::Query,
                    offset,
                    Reason::DuplicateKey(key),
                ));
            }
            pairs.push((key, value));
        }
        offset += piece.len() + 1;
    }
    if pairs.is_empty() {
        return Ok((None, pairs));
    }
    let mut canonical = String::with_capacity(raw.len());
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            canonical.push('&');
        }
        encode_into(k, &mut canonical, true);
        canonical.push('=');
        encode_into(v, &mut canonical, true);
    }
    if canonical.len() > MAX_QUERY_BYTES {
        return Err(Rejection::new(
            Part::Query,
            raw.len(),
            Reason::TooLong(MAX_QUERY_BYTES),
        ));
    }
    Ok((Some(canonical), pairs))
}

/// Whether `b` may appear unencoded in a path segment or query piece (RFC 3986 `pchar` less
/// `;` and `%`, which are handled apart; in a query also `/` and `?`).
fn raw_allowed(b: u8, query: bool) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b'='
                | b':'
                | b'@'
        )
        || (query && matches!(b, b'/' | b'?'))
}

/// Percent-decodes `raw` once and checks the decoded text (see the crate documentation).
fn decode(raw: &str, part: Part, base: usize, query: bool) -> Result<String, Rejection> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(Rejection::new(part, base + i, Reason::BadEscape));
                };
                let d = hi << 4 | lo;
                match d {
                    b'/' | b'\\' if !query => {
                        return Err(Rejection::new(part, base + i, Reason::EncodedSeparator));
                    }
                    b'?' | b'#' if !query => {
                        return Err(Rejection::new(part, base + i, Reason::EncodedDelimiter));
                    }
                    b'%' => return Err(Rejection::new(part, base + i, Reason::DoubleEncoding)),
                    b';' if !query => {
                        return Err(Rejection::new(part, base + i, Reason::Semicolon));
                    }
                    _ => out.push(d),
                }
                i += 3;
            }
            b';' => return Err(Rejection::new(part, base + i, Reason::Semicolon)),
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            _ if raw_allowed(b, query) => {
                out.push(b);
                i += 1;
            }
            _ => return Err(Rejection::new(part, base + i, Reason::RawByte(b))),
        }
    }
    let text = String::from_utf8(out).map_err(|_| Rejection::new(part, base, Reason::NotUtf8))?;
    if let Some(c) = text.chars().find(|c| forbidden_char(*c)) {
        return Err(Rejection::new(part, base, Reason::Control(c)));
    }
    Ok(text)
}

/// Control characters and the invisible format characters that make two names look alike:
/// bidi controls, zero-width characters, the BOM and the other `Cf` characters in common use.
pub fn forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends `decoded` encoded the way Huawei's SDK signer encodes: every byte but
/// `A-Z a-z 0-9 - _ . ~` as `%XX` (upper-case hex). In a query a space is `+`, as in forms.
fn encode_into(decoded: &str, out: &mut String, query: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in decoded.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else if query && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(path: &str, query: Option<&str>) -> Canonical {
        match canonicalize(path, query) {
            Ok(c) => c,
            Err(e) => panic!("{path:?} {query:?} rejected: {e}"),
        }
    }

    fn reason(path: &str, query: Option<&str>) -> Reason {
        match canonicalize(path, query) {
            Ok(c) => panic!("{path:?} {query:?} accepted as {c:?}"),
            Err(e) => e.reason,
        }
    }

    #[test]
    fn spellings_of_one_request_have_one_canonical_form() {
        let plain = ok("/v2/p/training-jobs/secret-job", None);
        for spelling in [
            "/v2/p/training-jobs/secret%2Djob",
            "/v2/p/training-jobs/secret%2djob",
            "/v2/p/training-jobs/%73ecret-job",
            "/v2/p/training-jobs/%73%65%63%72%65%74%2D%6A%6F%62",
            "/v2/%70/training-jobs/secret-job",
        ] {
            assert_eq!(ok(spelling, None), plain, "{spelling}");
        }
        assert_eq!(plain.path(), "/v2/p/training-jobs/secret-job");
        assert_eq!(plain.decoded_path(), "/v2/p/training-jobs/secret-job");
        assert_eq!(plain.segments().len(), 4);
    }

    #[test]
    fn reserved_characters_are_encoded_in_the_canonical_path() {
        let c = ok("/v5/policies/a:b@c", None);
        assert_eq!(c.path(), "/v5/policies/a%3Ab%40c");
        assert_eq!(c.segments()[2], "a:b@c");
        let c = ok("/x/%E4%B8%AD%20y", None);
        assert_eq!(c.segments()[1], "中 y");
        assert_eq!(c.segments()[1], "中 y");
        assert_eq!(c.path(), "/x/%E4%B8%AD%20y");
        assert_eq!(ok("/", None).path(), "/");
        assert_eq!(ok("/", None).decoded_path(), "/");
    }

    #[test]
    fn ambiguous_paths_are_rejected() {
        let cases: &[(&str, Reason)] = &[
            ("v5/users", Reason::NotAbsolute),
            ("", Reason::NotAbsolute),
            ("/v5//users", Reason::EmptySegment),
            ("/v5/users/", Reason::EmptySegment),
            (
                "/v2/p/training-jobs/..%2Fworkflows",
                Reason::EncodedSeparator,
            ),
            (
                "/v2/p/training-jobs/..%2fworkflows",
                Reason::EncodedSeparator,
            ),
            (
                "/v2/p/training-jobs/..%5Cworkflows",
                Reason::EncodedSeparator,
            ),
            ("/v2/p/training-jobs/..%252F", Reason::DoubleEncoding),
            ("/v2/p/training-jobs/%2573ecret", Reason::DoubleEncoding),
            ("/v2/p/training-jobs/secret-job;x", Reason::Semicolon),
            ("/v2/p/training-jobs/secret-job%3Bx", Reason::Semicolon),
            ("/v2/p/training-jobs/secret-job.", Reason::TrailingDot),
            ("/v2/p/training-jobs/secret-job%2E", Reason::TrailingDot),
            ("/v2/p/training-jobs/secret-job%20", Reason::EdgeWhitespace),
            ("/v2/p/training-jobs/%20secret-job", Reason::EdgeWhitespace),
            ("/v2/p/training-jobs/secret-job%09", Reason::Control('\t')),
            (
                "/v2/p/training-jobs/secret-job%E3%80%80",
                Reason::EdgeWhitespace,
            ),
            ("/v2/p/../workflows", Reason::DotSegment),
            ("/v2/p/./workflows", Reason::DotSegment),
            ("/v2/p/%2E%2E/workflows", Reason::DotSegment),
            ("/v2/p/.%2e/workflows", Reason::DotSegment),
            ("/v2/p/%2e/workflows", Reason::DotSegment),
            ("/a b", Reason::RawByte(b' ')),
            ("/a\\b", Reason::RawByte(b'\\')),
            ("/a\u{7f}", Reason::RawByte(0x7f)),
            ("/a%", Reason::BadEscape),
            ("/a%4", Reason::BadEscape),
            ("/a%zz", Reason::BadEscape),
            ("/a%FF", Reason::NotUtf8),
            ("/a%C0%AF", Reason::NotUtf8),
            ("/a%00", Reason::Control('\0')),
            ("/a%0A", Reason::Control('\n')),
            ("/a%E2%80%8Bb", Reason::Control('\u{200B}')),
            ("/a%E2%80%AEb", Reason::Control('\u{202E}')),
            ("/a%C2%85", Reason::Control('\u{85}')),
        ];
        for (path, want) in cases {
            assert_eq!(&reason(path, None), want, "{path:?}");
        }
        assert_eq!(
            reason("/é", None),
            Reason::RawByte("é".as_bytes()[0]),
            "raw non-ASCII"
        );
        let long = format!("/{}", "a".repeat(MAX_PATH_BYTES));
        assert_eq!(reason(&long, None), Reason::TooLong(MAX_PATH_BYTES));
        let deep = "/a".repeat(MAX_SEGMENTS + 1);
        assert_eq!(reason(&deep, None), Reason::TooManySegments);
    }

    #[test]
    fn queries_are_decoded_once_and_re_encoded() {
        let c = ok("/v5/users", Some("limit=10&marker=a%2Bb&name=x+y&flag"));
        assert_eq!(
            c.query_pairs(),
            &[
                ("limit".to_owned(), "10".to_owned()),
                ("marker".to_owned(), "a+b".to_owned()),
                ("name".to_owned(), "x y".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
        assert_eq!(c.query(), Some("limit=10&marker=a%2Bb&name=x+y&flag="));
        assert_eq!(c.query_value("name"), Some("x y"));
        assert_eq!(
            c.path_and_query(),
            "/v5/users?limit=10&marker=a%2Bb&name=x+y&flag="
        );
        assert_eq!(ok("/v5/users", Some("")).query(), None);
        assert_eq!(ok("/v5/users", Some("&&")).query(), None);
        assert_eq!(ok("/v5/users", Some("a=%2F")).query_value("a"), Some("/"));
        assert_eq!(ok("/v5/users", Some("a=/x?y")).query(), Some("a=%2Fx%3Fy"));
    }

    #[test]
    fn ambiguous_queries_are_rejected() {
        let cases: &[(&str, Reason)] = &[
            ("a=1&a=2", Reason::DuplicateKey("a".to_owned())),
            ("a=1&%61=2", Reason::DuplicateKey("a".to_owned())),
            ("a=1;b=2", Reason::Semicolon),
            ("a=%25", Reason::DoubleEncoding),
            ("a=%0d%0aX:1", Reason::Control('\r')),
            ("a=%", Reason::BadEscape),
            ("a=b c", Reason::RawByte(b' ')),
            ("a=%FF", Reason::NotUtf8),
        ];
        for (query, want) in cases {
            assert_eq!(&reason("/x", Some(query)), want, "{query:?}");
        }
    }

    #[test]
    fn the_canonical_form_is_a_fixed_point() {
        for (path, query) in [
            ("/v2/p/training-jobs/%73ecret", Some("a=b+c&d=%2F")),
            ("/x/%E4%B8%AD%20y", None),
            ("/a:b@c/!$&'()*+,=", Some("k=%40")),
        ] {
            let once = ok(path, query);
            let twice = ok(once.path(), once.query());
            assert_eq!(once, twice, "{path}");
        }
    }

    #[test]
    fn plain_paths_are_their_own_canonical_and_decoded_form() {
        for path in ["/", "/v1/authorize", "/v5/users/abc-1_2.x~", "/a/b.c"] {
            assert!(is_plain(path), "{path}");
            let c = ok(path, None);
            assert_eq!((c.path(), c.decoded_path().as_str()), (path, path));
        }
        for path in [
            "", "v1", "/v1/", "//", "/a/./b", "/a/../b", "/a.", "/a%41", "/a:b", "/a b", "/a;b",
        ] {
            assert!(!is_plain(path), "{path}");
        }
    }

    #[test]
    fn methods_are_exact() {
        assert_eq!(canonical_method("GET"), Ok("GET"));
        for bad in ["get", "Get", "GET ", "", "TRACE", "CONNECT", "G\u{0}T"] {
            assert!(canonical_method(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn messages_say_what_where_and_how() {
        let e = canonicalize("/v2/p/training-jobs/..%2Fworkflows", None).unwrap_err();
        assert_eq!(e.part, Part::Path);
        assert_eq!(e.offset, 22);
        let m = e.to_string();
        assert!(m.contains("byte 22") && m.contains("%2F"), "{m}");
    }
}
