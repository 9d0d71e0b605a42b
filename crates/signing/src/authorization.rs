//! Parsing the `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header.

use crate::error::{MalformedAuthorization as M, VerifyError};

/// The only algorithm this crate implements.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Longest access key accepted (Huawei AKs are 20 characters; temporary ones are longer).
pub const MAX_ACCESS_KEY_LEN: usize = 128;

/// Most signed headers accepted.
pub const MAX_SIGNED_HEADERS: usize = 64;

/// A parsed `SDK-HMAC-SHA256` Authorization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The access key id (`Access=`).
    pub access_key: &'a str,
    /// The `;`-separated, lower-case signed header names, as sent.
    pub signed_headers: &'a str,
    /// The decoded 32-byte signature.
    pub signature: [u8; 32],
}

impl<'a> Authorization<'a> {
    /// Parses a header value. Tolerates extra spaces or tabs around the algorithm, the commas and
    /// the `=` signs, no space after commas, and any component order; rejects everything else
    /// with a precise reason.
    ///
    /// ```
    /// use iam_signing::Authorization;
    /// let a = Authorization::parse(
    ///     "SDK-HMAC-SHA256 Access=AK1,SignedHeaders=host;x-sdk-date,  Signature=00000000000000000000000000000000000000000000000000000000000000ff",
    /// ).unwrap();
    /// assert_eq!(a.access_key, "AK1");
    /// assert_eq!(a.signed_header_names().collect::<Vec<_>>(), ["host", "x-sdk-date"]);
    /// ```
    pub fn parse(value: &'a str) -> Result<Self, VerifyError> {
        let malformed = |m| VerifyError::MalformedAuthorization(m);
        if !value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return Err(malformed(M::NotAscii));
        }
        let value = trim_blank(value);
        let (algorithm, rest) = match value.bytes().position(is_blank) {
            Some(i) => (
                value.get(..i).unwrap_or_default(),
                trim_blank(value.get(i..).unwrap_or_default()),
            ),
            None => (value, ""),
        };
        if algorithm != ALGORITHM {
            let shown: String = algorithm
                .chars()
                .filter(|c| c.is_ascii_graphic() && *c != '\'')
                .take(32)
                .collect();
            return Err(VerifyError::UnsupportedAlgorithm(shown));
        }
        if rest.is_empty() {
            return Err(malformed(M::MissingCredentials));
        }
        let (mut access, mut signed, mut signature) = (None, None, None);
        for component in rest.split(',') {
            let component = trim_blank(component);
            if component.is_empty() {
                return Err(malformed(M::EmptyComponent));
            }
            let (name, val) = component
                .split_once('=')
                .ok_or(malformed(M::ComponentWithoutValue))?;
            let slot = match trim_blank(name) {
                "Access" => &mut access,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut signature,
                _ => return Err(malformed(M::UnknownComponent)),
            };
            if slot.replace(trim_blank(val)).is_some() {
                return Err(malformed(M::DuplicateComponent));
            }
        }
        let access_key = access.ok_or(malformed(M::MissingAccess))?;
        let signed_headers = signed.ok_or(malformed(M::MissingSignedHeaders))?;
        let signature_hex = signature.ok_or(malformed(M::MissingSignature))?;

        if !valid_access_key(access_key) {
            return Err(malformed(M::InvalidAccess));
        }
        if !valid_signed_headers(signed_headers) {
            return Err(malformed(M::InvalidSignedHeaders));
        }
        let mut sig = [0u8; 32];
        if signature_hex.len() != 64 || hex::decode_to_slice(signature_hex, &mut sig).is_err() {
            return Err(malformed(M::InvalidSignature));
        }
        Ok(Self {
            access_key,
            signed_headers,
            signature: sig,
        })
    }

    /// The signed header names, in the order the client listed them.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.signed_headers.split(';')
    }

    /// Whether `name` (lower-case) is a signed header.
    pub fn is_signed(&self, name: &str) -> bool {
        self.signed_header_names().any(|h| h == name)
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing spaces and tabs (byte-wise: the header is ASCII).
fn trim_blank(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| !is_blank(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_blank(c))
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

/// Whether `ak` can be an access key: 1–128 characters of `[A-Za-z0-9._~+/:@-]`.
pub(crate) fn valid_access_key(ak: &str) -> bool {
    !ak.is_empty()
        && ak.len() <= MAX_ACCESS_KEY_LEN
        && ak
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~+/:@-".contains(&b))
}

/// RFC 9110 token characters, lower-case letters only.
fn is_lower_tchar(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn valid_signed_headers(list: &str) -> bool {
    let mut count = 0usize;
    for (i, name) in list.split(';').enumerate() {
        count += 1;
        if count > MAX_SIGNED_HEADERS || name.is_empty() || !name.bytes().all(is_lower_tchar) {
            return false;
        }
        if list.split(';').take(i).any(|earlier| earlier == name) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";

    #[test]
    fn accepts_spacing_variants() {
        for v in [
            format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature={SIG}"),
            format!("SDK-HMAC-SHA256 Access=AK,SignedHeaders=host;x-sdk-date,Signature={SIG}"),
            format!(
                "  SDK-HMAC-SHA256 \t Access = AK ,  SignedHeaders= host;x-sdk-date ,Signature ={SIG}  "
            ),
            format!("SDK-HMAC-SHA256 Signature={SIG}, Access=AK, SignedHeaders=host;x-sdk-date"),
            format!(
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature={}",
                SIG.to_uppercase()
            ),
        ] {
            let a = Authorization::parse(&v).unwrap();
            assert_eq!(a.access_key, "AK", "{v}");
            assert_eq!(a.signed_headers, "host;x-sdk-date", "{v}");
            assert_eq!(hex::encode(a.signature), SIG, "{v}");
        }
    }

    #[test]
    fn rejects_variants_with_reason() {
        let ok_sh = "host;x-sdk-date";
        let cases: Vec<(String, VerifyError)> = vec![
            ("".into(), VerifyError::UnsupportedAlgorithm(String::new())),
            (
                "Bearer abc".into(),
                VerifyError::UnsupportedAlgorithm("Bearer".into()),
            ),
            (
                format!("SDK-HMAC-SM3 Access=AK, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::UnsupportedAlgorithm("SDK-HMAC-SM3".into()),
            ),
            (
                format!("sdk-hmac-sha256 Access=AK, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::UnsupportedAlgorithm("sdk-hmac-sha256".into()),
            ),
            (
                format!("SDK-HMAC-SHA256,Access=AK, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::UnsupportedAlgorithm("SDK-HMAC-SHA256,Access=AK,".into()),
            ),
            (
                "SDK-HMAC-SHA256".into(),
                VerifyError::MalformedAuthorization(M::MissingCredentials),
            ),
            (
                "SDK-HMAC-SHA256   ".into(),
                VerifyError::MalformedAuthorization(M::MissingCredentials),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK,, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::EmptyComponent),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders={ok_sh}, Signature={SIG},"),
                VerifyError::MalformedAuthorization(M::EmptyComponent),
            ),
            (
                format!("SDK-HMAC-SHA256 Access AK, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::ComponentWithoutValue),
            ),
            (
                format!("SDK-HMAC-SHA256 access=AK, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::UnknownComponent),
            ),
            (
                format!("SDK-HMAC-SHA256 Credential=AK/x, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::UnknownComponent),
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access=AK, Access=AK, SignedHeaders={ok_sh}, Signature={SIG}"
                ),
                VerifyError::MalformedAuthorization(M::DuplicateComponent),
            ),
            (
                format!("SDK-HMAC-SHA256 SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::MissingAccess),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::MissingSignedHeaders),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders={ok_sh}"),
                VerifyError::MalformedAuthorization(M::MissingSignature),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::InvalidAccess),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=A\"K, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::InvalidAccess),
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access={}, SignedHeaders={ok_sh}, Signature={SIG}",
                    "A".repeat(129)
                ),
                VerifyError::MalformedAuthorization(M::InvalidAccess),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::InvalidSignedHeaders),
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;x-sdk-date, Signature={SIG}"
                ),
                VerifyError::MalformedAuthorization(M::InvalidSignedHeaders),
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access=AK, SignedHeaders=Host;x-sdk-date, Signature={SIG}"
                ),
                VerifyError::MalformedAuthorization(M::InvalidSignedHeaders),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;host, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::InvalidSignedHeaders),
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host x-sdk-date, Signature={SIG}"
                ),
                VerifyError::MalformedAuthorization(M::InvalidSignedHeaders),
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access=AK, SignedHeaders={ok_sh}, Signature={}",
                    &SIG[..63]
                ),
                VerifyError::MalformedAuthorization(M::InvalidSignature),
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access=AK, SignedHeaders={ok_sh}, Signature={}g",
                    &SIG[..63]
                ),
                VerifyError::MalformedAuthorization(M::InvalidSignature),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders={ok_sh}, Signature={SIG}00"),
                VerifyError::MalformedAuthorization(M::InvalidSignature),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=ÄK, SignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::NotAscii),
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK,\nSignedHeaders={ok_sh}, Signature={SIG}"),
                VerifyError::MalformedAuthorization(M::NotAscii),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(Authorization::parse(&value), Err(want), "{value:?}");
        }
        let many = (0..65)
            .map(|i| format!("h{i}"))
            .collect::<Vec<_>>()
            .join(";");
        assert_eq!(
            Authorization::parse(&format!(
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders={many}, Signature={SIG}"
            )),
            Err(VerifyError::MalformedAuthorization(M::InvalidSignedHeaders))
        );
    }
}
