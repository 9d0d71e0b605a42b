//! Building the canonical request of §8.1, written into a [`Sink`] (a reusable byte buffer that
//! the verifier hashes in one call, or the text for tests and debugging).

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

/// SHA-256 of the empty string, the payload hash of a request without a body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The `X-Sdk-Content-Sha256` value the SDK sends for non-JSON bodies: the body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Where canonical-request bytes go.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A sink that hashes what it is given. Small pieces are staged in a block-sized buffer first:
/// SHA-256 fed many tiny pieces directly costs more than copying them. Allocates nothing.
pub(crate) struct HashSink {
    hasher: Sha256,
    staged: [u8; 256],
    len: usize,
}

impl HashSink {
    pub(crate) fn new() -> Self {
        Self {
            hasher: Sha256::new(),
            staged: [0; 256],
            len: 0,
        }
    }

    fn flush(&mut self) {
        if let Some(staged) = self.staged.get(..self.len) {
            self.hasher.update(staged);
        }
        self.len = 0;
    }

    /// The digest of everything put.
    pub(crate) fn finish(mut self) -> [u8; 32] {
        self.flush();
        self.hasher.finalize().into()
    }
}

impl Sink for HashSink {
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.staged.len() {
            self.flush();
        }
        match self.staged.get_mut(self.len..self.len + bytes.len()) {
            Some(slot) => {
                slot.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            // larger than the whole staging buffer (which was just flushed)
            None => self.hasher.update(bytes),
        }
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 3986 unreserved characters, the only ones Python's `quote(s, safe='~')` keeps.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes `bytes` like Python's `quote(s, safe='~')` (upper-case hex).
pub(crate) fn encode_into<S: Sink>(sink: &mut S, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !is_unreserved(b) {
            if let Some(run) = bytes.get(start..i) {
                sink.put(run);
            }
            let hi = HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX_UPPER
                .get(usize::from(b & 0x0f))
                .copied()
                .unwrap_or(b'0');
            sink.put(&[b'%', hi, lo]);
            start = i + 1;
        }
    }
    if let Some(run) = bytes.get(start..) {
        sink.put(run);
    }
}

/// Percent-decodes like Python's `unquote` (invalid UTF-8 becomes U+FFFD, malformed `%` escapes
/// are kept literally).
fn decode(s: &str) -> Cow<'_, str> {
    percent_decode_str(s).decode_utf8_lossy()
}

/// Writes the canonical URI of a raw (as sent) request path: decoded as a whole, split on `/`,
/// every segment re-encoded, `/` appended when missing.
pub(crate) fn write_canonical_uri<S: Sink>(sink: &mut S, raw_path: &str) {
    let decoded = decode(raw_path);
    let mut first = true;
    for segment in decoded.split('/') {
        if !first {
            sink.put(b"/");
        }
        first = false;
        encode_into(sink, segment.as_bytes());
    }
    if !decoded.ends_with('/') {
        sink.put(b"/");
    }
}

/// The canonical URI of a raw request path, as text.
///
/// ```
/// assert_eq!(iam_signing::canonical_uri("/v1/a%20b/c"), "/v1/a%20b/c/");
/// assert_eq!(iam_signing::canonical_uri("/v1/%E4%BD%A0+x/"), "/v1/%E4%BD%A0%2Bx/");
/// ```
pub fn canonical_uri(raw_path: &str) -> String {
    let mut out = Vec::with_capacity(raw_path.len() + 1);
    write_canonical_uri(&mut out, raw_path);
    String::from_utf8_lossy(&out).into_owned()
}

/// Decoded query parameters in the order they appeared.
pub(crate) type QueryPairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Parses a raw query string (without `?`) into decoded pairs, in wire order. Empty pieces
/// (`a=1&&b=2`) are skipped; a key without `=` has an empty value. `+` is a literal plus
/// (RFC 3986), as the SDK never sends `+` for a space.
pub(crate) fn parse_query(raw_query: &str) -> QueryPairs<'_> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(piece), Cow::Borrowed("")),
        })
        .collect()
}

/// Sorts pairs by key, then value (byte order, which is code-point order as in Python).
pub(crate) fn sort_pairs(pairs: &mut QueryPairs<'_>) {
    pairs.sort_unstable_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
}

/// Writes `k=v&k=v` with every key and value re-encoded, in the order given.
pub(crate) fn write_query<S: Sink, K: AsRef<str>, V: AsRef<str>>(sink: &mut S, pairs: &[(K, V)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            sink.put(b"&");
        }
        encode_into(sink, k.as_ref().as_bytes());
        sink.put(b"=");
        encode_into(sink, v.as_ref().as_bytes());
    }
}

/// The canonical query string of a raw query string (without `?`): decoded, sorted by key then
/// value, re-encoded. This is also exactly what the SDK sends on the wire.
///
/// ```
/// assert_eq!(iam_signing::canonical_query("offset=0&limit=10"), "limit=10&offset=0");
/// assert_eq!(iam_signing::canonical_query("b=%7e&a=x%2fy&a"), "a=&a=x%2Fy&b=~");
/// ```
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs = parse_query(raw_query);
    sort_pairs(&mut pairs);
    let mut out = Vec::with_capacity(raw_query.len() + 8);
    write_query(&mut out, &pairs);
    String::from_utf8_lossy(&out).into_owned()
}

/// Trims the characters Python's `str.strip()` removes from an ASCII-range header value.
pub(crate) fn trim_header_value(v: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(*b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f);
    let start = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !is_ws(b)).map_or(start, |i| i + 1);
    v.get(start..end).unwrap_or_default()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&sha256_hex_bytes(bytes)).into_owned()
}

/// Lower-case hex SHA-256 of `bytes`, as ASCII bytes on the stack.
pub(crate) fn sha256_hex_bytes(bytes: &[u8]) -> [u8; 64] {
    let mut out = [b'0'; 64];
    // 32 bytes always fit 64 hex digits
    let _fits = hex::encode_to_slice(Sha256::digest(bytes), &mut out);
    out
}

/// Everything of the canonical request except the query, which callers write themselves.
pub(crate) struct CanonicalParts<'a, I> {
    pub method: &'a str,
    pub raw_path: &'a str,
    /// `(name, value)`, name lower-case, value untrimmed, in SignedHeaders order.
    pub headers: I,
    pub signed_headers: &'a str,
    pub payload_hash: &'a [u8],
}

/// Writes the whole canonical request; `write_query` writes the canonical query.
pub(crate) fn write_canonical_request<'h, S, I>(
    sink: &mut S,
    parts: CanonicalParts<'_, I>,
    write_query: impl FnOnce(&mut S),
) where
    S: Sink,
    I: Iterator<Item = (&'h str, &'h [u8])>,
{
    for b in parts.method.bytes() {
        sink.put(&[b.to_ascii_uppercase()]);
    }
    sink.put(b"\n");
    write_canonical_uri(sink, parts.raw_path);
    sink.put(b"\n");
    write_query(sink);
    sink.put(b"\n");
    for (name, value) in parts.headers {
        sink.put(name.as_bytes());
        sink.put(b":");
        sink.put(trim_header_value(value));
        sink.put(b"\n");
    }
    sink.put(b"\n");
    sink.put(parts.signed_headers.as_bytes());
    sink.put(b"\n");
    sink.put(parts.payload_hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_cases() {
        for (raw, want) in [
            ("/", "/"),
            ("", "/"),
            ("/v1/x", "/v1/x/"),
            ("/v1/x/", "/v1/x/"),
            ("/a%2Fb", "/a/b/"),
            ("/a%2fb/%7E~", "/a/b/~~/"),
            ("/a b", "/a%20b/"),
            ("/%zz", "/%25zz/"),
            ("/%FF", "/%EF%BF%BD/"),
            (
                "/a:b@c!$&'()*+,;=",
                "/a%3Ab%40c%21%24%26%27%28%29%2A%2B%2C%3B%3D/",
            ),
            ("//x//", "//x//"),
        ] {
            assert_eq!(canonical_uri(raw), want, "{raw}");
        }
    }

    #[test]
    fn query_cases() {
        for (raw, want) in [
            ("", ""),
            ("a", "a="),
            ("a=", "a="),
            ("&&a=1&&", "a=1"),
            ("b=2&a=2&a=1", "a=1&a=2&b=2"),
            ("k=a+b", "k=a%2Bb"),
            ("k=a%20b", "k=a%20b"),
            ("k=%E4%BD%A0&k=z", "k=z&k=%E4%BD%A0"),
            ("x=1=2", "x=1%3D2"),
            ("%61=%62", "a=b"),
        ] {
            assert_eq!(canonical_query(raw), want, "{raw}");
        }
    }

    #[test]
    fn the_hash_sink_hashes_the_concatenation() {
        let sizes = [0, 1, 2, 63, 64, 65, 200, 255, 256, 257, 511, 1000, 3];
        for start in 0..sizes.len() {
            // every rotation of the sizes, so each size follows each fill level of the buffer
            let order: Vec<usize> = sizes
                .iter()
                .cycle()
                .skip(start)
                .take(sizes.len())
                .copied()
                .collect();
            let mut sink = HashSink::new();
            let mut whole = Vec::new();
            for (i, n) in order.iter().enumerate() {
                let piece: Vec<u8> = (0..*n)
                    .map(|j| u8::try_from((i * 31 + j) % 251).unwrap_or(0))
                    .collect();
                sink.put(&piece);
                whole.extend_from_slice(&piece);
            }
            assert_eq!(
                sink.finish(),
                <[u8; 32]>::from(Sha256::digest(&whole)),
                "{order:?}"
            );
        }
    }

    #[test]
    fn trim() {
        assert_eq!(trim_header_value(b"  a b \t"), b"a b");
        assert_eq!(trim_header_value(b"   "), b"");
        assert_eq!(trim_header_value(b""), b"");
    }
}
