//! §8.1 test vectors, negative cases and properties of sign-then-verify.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

use iam_signing::{
    EMPTY_PAYLOAD_SHA256, IncomingRequest, MalformedAuthorization, OutgoingRequest, Payload,
    SecretInfo, SecretString, SignError, Signer, Verifier, VerifyError, sha256_hex, sign_string,
    string_to_sign,
};
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AK: &str = "AKEXAMPLE0000000000";
const SK: &str = "SKEXAMPLE0000000000000000000000000000000";
const PID: &str = "0123456789abcdef0123456789abcdef";
const DATE: OffsetDateTime = datetime!(2025-01-01 00:00:00 UTC);

fn sk() -> SecretString {
    SecretString::from(SK)
}

fn sdk_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("User-Agent", "huaweicloud-usdk-python/3.0"),
        ("X-Project-Id", PID),
        ("Content-Type", "application/json"),
        ("Host", "127.0.0.1:8080"),
    ]
}

fn sign(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: &[u8],
) -> iam_signing::SignedRequest {
    Signer::new(AK, sk())
        .sign(
            &OutgoingRequest {
                method,
                path,
                query,
                headers,
                body,
            },
            DATE,
        )
        .unwrap()
}

// ---------------------------------------------------------------- §8.1 vectors

#[test]
fn official_example() {
    let sk = SecretString::from("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
    let sts = "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a";
    let want = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";
    assert_eq!(sign_string(&sk, sts), want);

    // The request behind it (Huawei's API signing guide), signed and verified end to end.
    let headers = [
        ("Content-Type", "application/json"),
        ("Host", "service.region.example.com"),
    ];
    let signed = Signer::new("QTWAOYTTINDUT2QVKYUC", sk.clone())
        .sign(
            &OutgoingRequest {
                method: "GET",
                path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
                query: &[
                    ("marker", "13551d6b-755d-4757-b956-536f674975c0"),
                    ("limit", "2"),
                ],
                headers: &headers,
                body: b"",
            },
            datetime!(2019-11-15 03:36:55 UTC),
        )
        .unwrap();
    assert_eq!(sha256_hex(signed.canonical_request.as_bytes()), &sts[33..]);
    assert_eq!(signed.string_to_sign, sts);
    assert_eq!(
        signed.header("Authorization").unwrap(),
        format!(
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature={want}"
        )
    );
    let mut wire: Vec<(&str, &str)> = headers.to_vec();
    wire.extend(signed.headers.iter().map(|(n, v)| (*n, v.as_str())));
    let req = IncomingRequest::new(
        "GET",
        "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
        &signed.query_string,
        &wire,
    );
    let ok = Verifier::new()
        .verify(
            &req,
            Payload::Bytes(b""),
            datetime!(2019-11-15 03:40:00 UTC),
            |ak| (ak == "QTWAOYTTINDUT2QVKYUC").then(|| SecretInfo::new(sk.clone())),
        )
        .unwrap();
    assert_eq!(ok.access_key, "QTWAOYTTINDUT2QVKYUC");
}

#[test]
fn sdk_generated_get() {
    let signed = sign(
        "GET",
        &format!("/v1/{PID}/notebooks"),
        &[("offset", "0"), ("limit", "10")],
        &sdk_headers(),
        b"",
    );
    let canonical = format!(
        "GET\n/v1/{PID}/notebooks/\nlimit=10&offset=0\ncontent-type:application/json\nhost:127.0.0.1:8080\nuser-agent:huaweicloud-usdk-python/3.0\nx-project-id:{PID}\nx-sdk-date:20250101T000000Z\n\ncontent-type;host;user-agent;x-project-id;x-sdk-date\n{EMPTY_PAYLOAD_SHA256}"
    );
    assert_eq!(signed.canonical_request, canonical);
    assert_eq!(
        sha256_hex(canonical.as_bytes()),
        "dd8dfa41a032f6fc6d316304f25db08891bb03be4db48bb76b9c666a1199b774"
    );
    assert_eq!(
        signed.string_to_sign,
        string_to_sign(
            "20250101T000000Z",
            "dd8dfa41a032f6fc6d316304f25db08891bb03be4db48bb76b9c666a1199b774"
        )
    );
    assert_eq!(
        signed.signature,
        "a3f901568ddadf4bd0e6b06db39e37f43ac8f02ed0bfe3c2215498c3ca878cec"
    );
    assert_eq!(signed.query_string, "limit=10&offset=0");
    assert_eq!(signed.header("X-Sdk-Date"), Some("20250101T000000Z"));
}

#[test]
fn sdk_generated_post() {
    let signed = sign(
        "POST",
        &format!("/v2/{PID}/training-job-searches"),
        &[],
        &sdk_headers(),
        br#"{"limit":10}"#,
    );
    assert_eq!(
        signed.signature,
        "6590afb31f2a4ae13491a1e4df0028479ed4837c8cf9d3a39ceef7dc88d96a8b"
    );
    assert!(
        signed
            .canonical_request
            .ends_with(&sha256_hex(br#"{"limit":10}"#))
    );
}

// ---------------------------------------------------------------- negative cases

/// A signed request held as owned parts so tests can tamper with it.
#[derive(Clone, Debug)]
struct Wire {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn signed(
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Self {
        let mut headers = sdk_headers();
        headers.extend_from_slice(extra);
        let s = sign(method, path, query, &headers, body);
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        all.extend(s.headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
        Self {
            method: method.into(),
            path: path.into(),
            query: s.query_string,
            headers: all,
            body: body.to_vec(),
        }
    }

    fn default_post() -> Self {
        Self::signed(
            "POST",
            "/v1/p/jobs",
            &[("a", "1"), ("b", "x y")],
            &[],
            br#"{"k":"v"}"#,
        )
    }

    fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.headers.push((name.into(), value.into()));
    }

    fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    fn get(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap()
    }

    fn verify_at(
        &self,
        now: OffsetDateTime,
        secret: &str,
    ) -> Result<iam_signing::Verified, VerifyError> {
        let req = IncomingRequest::new(&self.method, &self.path, &self.query, &self.headers);
        Verifier::new().verify(&req, Payload::Bytes(&self.body), now, |ak| {
            (ak == AK).then(|| SecretInfo::new(SecretString::from(secret.to_owned())))
        })
    }

    fn verify(&self) -> Result<iam_signing::Verified, VerifyError> {
        self.verify_at(DATE + Duration::minutes(1), SK)
    }
}

#[test]
fn valid_request_verifies() {
    let ok = Wire::default_post().verify().unwrap();
    assert_eq!(ok.access_key, AK);
    assert_eq!(ok.security_token, None);
    assert!(ok.payload_verified);
    assert_eq!(ok.signed_at, DATE);
    assert_eq!(
        ok.signed_header_names().collect::<Vec<_>>(),
        [
            "content-type",
            "host",
            "user-agent",
            "x-project-id",
            "x-sdk-date"
        ]
    );
}

#[test]
fn negative_table() {
    type Tamper = fn(&mut Wire);
    let cases: Vec<(&str, Tamper, VerifyError)> = vec![
        (
            "method",
            |w| w.method = "PUT".into(),
            VerifyError::SignatureMismatch,
        ),
        (
            "method lower-case is fine",
            |w| w.method = "post".into(),
            VerifyError::SignatureMismatch,
        ),
        (
            "path",
            |w| w.path = "/v1/p/jobz".into(),
            VerifyError::SignatureMismatch,
        ),
        (
            "path extra segment",
            |w| w.path = "/v1/p/jobs/x".into(),
            VerifyError::SignatureMismatch,
        ),
        (
            "query value",
            |w| w.query = "a=2&b=x%20y".into(),
            VerifyError::SignatureMismatch,
        ),
        (
            "query extra",
            |w| w.query.push_str("&c=1"),
            VerifyError::SignatureMismatch,
        ),
        (
            "query removed",
            |w| w.query.clear(),
            VerifyError::SignatureMismatch,
        ),
        (
            "body",
            |w| w.body = br#"{"k":"w"}"#.to_vec(),
            VerifyError::SignatureMismatch,
        ),
        (
            "body empty",
            |w| w.body.clear(),
            VerifyError::SignatureMismatch,
        ),
        (
            "signed header value",
            |w| w.set("X-Project-Id", "other"),
            VerifyError::SignatureMismatch,
        ),
        (
            "host",
            |w| w.set("Host", "evil.example.com"),
            VerifyError::SignatureMismatch,
        ),
        (
            "date changed",
            |w| w.set("X-Sdk-Date", "20250101T000001Z"),
            VerifyError::SignatureMismatch,
        ),
        (
            "access key changed",
            |w| {
                let a = w.get("Authorization").replace(AK, "AKOTHER");
                w.set("Authorization", &a);
            },
            VerifyError::UnknownAccessKey,
        ),
        (
            "signature changed",
            |w| {
                let a = w.get("Authorization");
                let flipped = if a.ends_with('0') { "1" } else { "0" };
                let a = format!("{}{flipped}", &a[..a.len() - 1]);
                w.set("Authorization", &a);
            },
            VerifyError::SignatureMismatch,
        ),
        (
            "signed header dropped from list",
            |w| {
                let a = w.get("Authorization").replace("user-agent;", "");
                w.set("Authorization", &a);
            },
            VerifyError::SignatureMismatch,
        ),
        (
            "missing authorization",
            |w| w.remove("Authorization"),
            VerifyError::MissingAuthorization,
        ),
        (
            "two authorization headers",
            |w| {
                let a = w.get("Authorization");
                w.headers.push(("authorization".into(), a));
            },
            VerifyError::MalformedAuthorization(MalformedAuthorization::MultipleHeaders),
        ),
        (
            "missing date",
            |w| w.remove("X-Sdk-Date"),
            VerifyError::MissingDate,
        ),
        (
            "date not signed",
            |w| {
                let a = w.get("Authorization").replace(";x-sdk-date", "");
                w.set("Authorization", &a);
            },
            VerifyError::DateNotSigned,
        ),
        (
            "date malformed",
            |w| w.set("X-Sdk-Date", "2025-01-01T00:00:00Z"),
            VerifyError::MalformedDate,
        ),
        (
            "date repeated",
            |w| {
                w.headers
                    .push(("x-sdk-date".into(), "20250101T000000Z".into()))
            },
            VerifyError::DuplicateHeader("x-sdk-date".into()),
        ),
        (
            "host not signed",
            |w| {
                let a = w.get("Authorization").replace("host;", "");
                w.set("Authorization", &a);
            },
            VerifyError::HostNotSigned,
        ),
        (
            "signed header missing",
            |w| w.remove("User-Agent"),
            VerifyError::MissingSignedHeader("user-agent".into()),
        ),
        (
            "signed header repeated",
            |w| w.headers.push(("x-project-id".into(), "x".into())),
            VerifyError::DuplicateHeader("x-project-id".into()),
        ),
        (
            "security token unsigned",
            |w| w.set("X-Security-Token", "tok"),
            VerifyError::SecurityTokenNotSigned,
        ),
        (
            "content sha256 unsigned",
            |w| w.set("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"),
            VerifyError::ContentSha256NotSigned,
        ),
        (
            "unsupported algorithm",
            |w| {
                let a = w
                    .get("Authorization")
                    .replace("SDK-HMAC-SHA256", "SDK-HMAC-SM3");
                w.set("Authorization", &a);
            },
            VerifyError::UnsupportedAlgorithm("SDK-HMAC-SM3".into()),
        ),
        (
            "no signature part",
            |w| {
                let a = w.get("Authorization");
                let a = a.split(", Signature=").next().unwrap().to_owned();
                w.set("Authorization", &a);
            },
            VerifyError::MalformedAuthorization(MalformedAuthorization::MissingSignature),
        ),
        (
            "bearer",
            |w| w.set("Authorization", "Bearer abc"),
            VerifyError::UnsupportedAlgorithm("Bearer".into()),
        ),
    ];
    for (name, tamper, want) in cases {
        let mut w = Wire::default_post();
        tamper(&mut w);
        let got = w.verify();
        if name == "method lower-case is fine" {
            assert!(got.is_ok(), "{name}: {got:?}");
            continue;
        }
        assert_eq!(got, Err(want.clone()), "{name}");
        let reason = want.reason();
        assert!(!reason.contains(SK), "{name}");
    }
}

#[test]
fn wrong_secret() {
    let w = Wire::default_post();
    assert_eq!(
        w.verify_at(DATE, "SKEXAMPLE0000000000000000000000000000001"),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(w.verify_at(DATE, ""), Err(VerifyError::SignatureMismatch));
}

#[test]
fn clock_skew() {
    let w = Wire::default_post();
    for (offset, ok) in [
        (Duration::ZERO, true),
        (Duration::minutes(14), true),
        (Duration::minutes(-14), true),
        (Duration::minutes(15), true),
        (Duration::minutes(-15), true),
        (Duration::minutes(15) + Duration::seconds(1), false),
        (Duration::minutes(16), false),
        (Duration::minutes(-16), false),
        (Duration::days(365), false),
    ] {
        let got = w.verify_at(DATE + offset, SK);
        if ok {
            assert!(got.is_ok(), "{offset}: {got:?}");
        } else {
            assert_eq!(
                got,
                Err(VerifyError::DateOutOfRange {
                    max_skew_minutes: 15
                }),
                "{offset}"
            );
        }
    }
    // Configurable.
    let req = IncomingRequest::new(&w.method, &w.path, &w.query, &w.headers);
    let strict = Verifier::new().with_max_skew(Duration::minutes(5));
    let got = strict.verify(
        &req,
        Payload::Bytes(&w.body),
        DATE + Duration::minutes(6),
        |_| Some(SecretInfo::new(sk())),
    );
    assert_eq!(
        got,
        Err(VerifyError::DateOutOfRange {
            max_skew_minutes: 5
        })
    );
}

#[test]
fn security_token() {
    let w = Wire::signed(
        "GET",
        "/v1/p/x",
        &[],
        &[("X-Security-Token", "tok-123")],
        b"",
    );
    assert!(
        w.get("Authorization")
            .contains("x-sdk-date;x-security-token,")
    );
    let ok = w.verify().unwrap();
    assert_eq!(ok.security_token.as_deref(), Some("tok-123"));

    // Token swapped after signing.
    let mut t = w.clone();
    t.set("X-Security-Token", "tok-456");
    assert_eq!(t.verify(), Err(VerifyError::SignatureMismatch));

    // Temporary credential: requires a token and checks expiry, after the signature.
    let plain = Wire::default_post();
    let req = IncomingRequest::new(&plain.method, &plain.path, &plain.query, &plain.headers);
    let now = DATE + Duration::minutes(1);
    let temp = SecretInfo::temporary(sk(), DATE + Duration::hours(1));
    let got = Verifier::new().verify(&req, Payload::Bytes(&plain.body), now, |_| {
        Some(temp.clone())
    });
    assert_eq!(got, Err(VerifyError::MissingSecurityToken));

    let req = IncomingRequest::new(&w.method, &w.path, &w.query, &w.headers);
    let got = Verifier::new().verify(&req, Payload::Bytes(b""), now, |_| Some(temp.clone()));
    assert!(got.is_ok());
    let expired = SecretInfo::temporary(sk(), DATE);
    let got = Verifier::new().verify(&req, Payload::Bytes(b""), now, |_| Some(expired.clone()));
    assert_eq!(got, Err(VerifyError::CredentialExpired));
    let got = Verifier::new().verify(&req, Payload::Bytes(b""), now, |_| {
        Some(SecretInfo::temporary(SecretString::from("wrong"), DATE))
    });
    assert_eq!(got, Err(VerifyError::SignatureMismatch));
}

#[test]
fn unsigned_payload_and_unavailable_body() {
    // sdk_headers already had Content-Type: application/json; replace it before signing.
    let mut headers: Vec<(&str, &str)> = sdk_headers()
        .into_iter()
        .filter(|(n, _)| *n != "Content-Type")
        .collect();
    headers.push(("Content-Type", "text/plain"));
    let s = sign("POST", "/v1/p/logs", &[], &headers, b"hello");
    assert_eq!(s.header("X-Sdk-Content-Sha256"), Some("UNSIGNED-PAYLOAD"));
    assert!(s.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
    let mut wire: Vec<(&str, &str)> = headers.clone();
    wire.extend(s.headers.iter().map(|(n, v)| (*n, v.as_str())));
    let req = IncomingRequest::new("POST", "/v1/p/logs", "", &wire);
    let now = DATE;
    for payload in [
        Payload::Bytes(b"hello"),
        Payload::Bytes(b"other"),
        Payload::Unavailable,
    ] {
        let ok = Verifier::new()
            .verify(&req, payload, now, |_| Some(SecretInfo::new(sk())))
            .unwrap();
        assert!(!ok.payload_verified);
    }
    // JSON body with the body unavailable cannot be verified.
    let j = Wire::default_post();
    let req = IncomingRequest::new(&j.method, &j.path, &j.query, &j.headers);
    assert_eq!(
        Verifier::new()
            .prepare(&req, Payload::Unavailable, now)
            .err(),
        Some(VerifyError::PayloadUnavailable)
    );
}

#[test]
fn declared_body_hash_is_checked() {
    let body = b"{\"a\":1}";
    let hash = sha256_hex(body);
    let w = Wire::signed(
        "PUT",
        "/v1/x",
        &[],
        &[("X-Sdk-Content-Sha256", &hash)],
        body,
    );
    assert!(w.verify().unwrap().payload_verified);
    let mut t = w.clone();
    t.body = b"{\"a\":2}".to_vec();
    assert_eq!(t.verify(), Err(VerifyError::PayloadHashMismatch));
    let req = IncomingRequest::new(&w.method, &w.path, &w.query, &w.headers);
    let ok = Verifier::new()
        .verify(&req, Payload::Unavailable, DATE, |_| {
            Some(SecretInfo::new(sk()))
        })
        .unwrap();
    assert!(!ok.payload_verified);
    let mut bad = w.clone();
    bad.set("X-Sdk-Content-Sha256", "nope");
    assert_eq!(bad.verify(), Err(VerifyError::MalformedContentSha256));
}

#[test]
fn query_order_and_encoding_on_the_wire_do_not_matter() {
    let w = Wire::signed(
        "GET",
        "/v1/p/search",
        &[("q", "a b/é~"), ("limit", "10"), ("tag", "b"), ("tag", "a")],
        &[],
        b"",
    );
    assert_eq!(w.query, "limit=10&q=a%20b%2F%C3%A9~&tag=a&tag=b");
    for query in [
        "tag=b&q=a%20b%2f%c3%a9%7E&tag=a&limit=10",
        "limit=10&&q=a%20b/%C3%A9~&tag=a&tag=b&",
    ] {
        let mut t = w.clone();
        t.query = query.into();
        assert!(t.verify().is_ok(), "{query}");
    }
}

#[test]
fn path_encoding_on_the_wire_does_not_matter() {
    let w = Wire::signed("GET", "/v1/p/a%20b~/%E4%BD%A0", &[], &[], b"");
    for path in ["/v1/p/a%20b%7E/%e4%bd%a0", "/v1/%70/a%20b~/%E4%BD%A0"] {
        let mut t = w.clone();
        t.path = path.into();
        assert!(t.verify().is_ok(), "{path}");
    }
}

#[test]
fn http_types_and_authority_fallback() {
    let w = Wire::default_post();
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(format!("http://127.0.0.1:8080{}?{}", w.path, w.query));
    for (n, v) in &w.headers {
        if !n.eq_ignore_ascii_case("host") {
            builder = builder.header(n, v);
        }
    }
    let (parts, ()) = builder.body(()).unwrap().into_parts();
    let req = IncomingRequest::from_http(&parts);
    let ok = Verifier::new()
        .verify(&req, Payload::Bytes(&w.body), DATE, |_| {
            Some(SecretInfo::new(sk()))
        })
        .unwrap();
    assert_eq!(ok.access_key, AK);
    // Without Host and without authority the signed header is missing.
    let req = IncomingRequest::new("POST", &w.path, &w.query, &parts.headers);
    assert_eq!(
        Verifier::new()
            .verify(&req, Payload::Bytes(&w.body), DATE, |_| Some(
                SecretInfo::new(sk())
            ))
            .err(),
        Some(VerifyError::MissingSignedHeader("host".into()))
    );
}

#[test]
fn two_phase_verification() {
    let w = Wire::default_post();
    let req = IncomingRequest::new(&w.method, &w.path, &w.query, &w.headers);
    let pending = Verifier::new()
        .prepare(&req, Payload::Bytes(&w.body), DATE)
        .unwrap();
    assert_eq!(pending.access_key(), AK);
    assert_eq!(
        pending.clone().finish(None),
        Err(VerifyError::UnknownAccessKey)
    );
    assert!(pending.finish(Some(&SecretInfo::new(sk()))).is_ok());
}

#[test]
fn signer_errors() {
    let signer = Signer::new(AK, sk());
    let req = |headers: &'static [(&'static str, &'static str)]| OutgoingRequest {
        method: "GET",
        path: "/",
        query: &[],
        headers,
        body: b"",
    };
    assert_eq!(signer.sign(&req(&[]), DATE), Err(SignError::MissingHost));
    assert_eq!(
        signer.sign(&req(&[("Host", "h"), ("HOST", "h")]), DATE),
        Err(SignError::DuplicateHeader("host".into()))
    );
    assert_eq!(
        signer.sign(&req(&[("Host", "h"), ("X-Sdk-Date", "x")]), DATE),
        Err(SignError::ReservedHeader("x-sdk-date".into()))
    );
    assert_eq!(
        Signer::new("a b", sk()).sign(&req(&[("Host", "h")]), DATE),
        Err(SignError::InvalidAccessKey)
    );
}

#[test]
fn error_messages() {
    let e = VerifyError::DateOutOfRange {
        max_skew_minutes: 15,
    };
    assert_eq!(e.error_code(), "APIGW.0301");
    assert_eq!(e.http_status(), 401);
    assert_eq!(
        e.message(),
        "Incorrect IAM authentication information: X-Sdk-Date is more than 15 minutes away from the server time"
    );
    assert_eq!(
        VerifyError::SignatureMismatch.message(),
        "Incorrect IAM authentication information: verify aksk signature fail"
    );
}

// ---------------------------------------------------------------- properties

fn segment() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 _.~!*'();:@&=+$,%é你/-]{0,12}").unwrap()
}

fn pct(s: &str) -> String {
    // Encode like a client would put a path segment on the wire (keeping `/` as a separator).
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify(
        segs in proptest::collection::vec(segment(), 0..4),
        query in proptest::collection::vec((segment(), segment()), 0..5),
        extra in proptest::collection::vec(("[a-z][a-z0-9-]{0,8}", "[ -~]{0,16}"), 0..4),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")],
        flip_at in any::<prop::sample::Index>(),
    ) {
        let path = format!("/{}", segs.iter().map(|s| pct(s)).collect::<Vec<_>>().join("/"));
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), "127.0.0.1:8080".into()),
            ("Content-Type".into(), "application/json".into()),
        ];
        for (n, v) in &extra {
            let name = format!("x-p-{n}");
            if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(&name)) {
                headers.push((name, v.trim().to_owned()));
            }
        }
        let hs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let s = sign(method, &path, &q, &hs, &body);
        let mut wire = headers.clone();
        wire.extend(s.headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
        let verify = |path: &str, body: &[u8]| {
            let req = IncomingRequest::new(method, path, &s.query_string, &wire);
            Verifier::new().verify(&req, Payload::Bytes(body), DATE, |_| Some(SecretInfo::new(sk())))
        };
        prop_assert!(verify(&path, &body).is_ok());

        if !body.is_empty() {
            let mut b = body.clone();
            let i = flip_at.index(b.len());
            b[i] ^= 0x01;
            prop_assert_eq!(verify(&path, &b).err(), Some(VerifyError::SignatureMismatch));
        }
        // Change one byte of the path to a different unreserved character.
        let bytes = path.as_bytes();
        let i = flip_at.index(bytes.len());
        let mut p = bytes.to_vec();
        p[i] = if p[i] == b'z' { b'y' } else { b'z' };
        if let Ok(p) = String::from_utf8(p) {
            prop_assert_eq!(verify(&p, &body).err(), Some(VerifyError::SignatureMismatch));
        }
    }

    #[test]
    fn verifier_never_panics(
        auth in "[ -~]{0,120}",
        date in "[0-9TZ]{0,18}",
        path in "[ -~]{0,40}",
        query in "[ -~]{0,40}",
    ) {
        let headers = vec![
            ("Authorization".to_owned(), auth),
            ("X-Sdk-Date".to_owned(), date),
            ("Host".to_owned(), "h".to_owned()),
        ];
        let req = IncomingRequest::new("GET", &path, &query, &headers);
        let r = Verifier::new().verify(&req, Payload::Bytes(b""), DATE, |_| Some(SecretInfo::new(sk())));
        prop_assert!(r.is_err());
    }
}
