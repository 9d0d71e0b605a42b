//! The signed HTTP client of the commands that talk to a running server (`authorize`,
//! `log --endpoint`, the admin commands). Plain HTTP/1.1 (`http://host:port`) through hyper's
//! client; requests are signed with `SDK-HMAC-SHA256` by `iam-signing` exactly like the official
//! SDKs sign them (temporary credentials add a signed `X-Security-Token`). Where the endpoint and
//! credentials come from is `crate::connection`'s.

use std::path::Path;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use iam_signing::{OutgoingRequest, SecretString, Signer};
use secrecy::ExposeSecret as _;
use serde_json::Value;

/// Client failures.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint is not `http://host:port`.
    #[error("endpoint `{0}` must look like http://127.0.0.1:8080")]
    Endpoint(String),
    /// The key file is unreadable or lacks `access_key_id`/`secret_access_key`.
    #[error("key file {0}")]
    KeyFile(String),
    /// The request could not be sent or its answer not read (connection refused, reset ...).
    #[error("connection: {0}")]
    Connection(String),
    /// Signing failed, or the request could not be built from the signed parts.
    #[error("signing: {0}")]
    Sign(String),
    /// The answer's body is not JSON.
    #[error("malformed response: {0}")]
    Response(String),
}

/// The credentials a request is signed with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The security token of temporary credentials, sent as `X-Security-Token`.
    pub security_token: Option<SecretString>,
}

/// What a credential file holds: the key, and the ids the server wrote beside it.
#[derive(Debug, Clone)]
pub struct KeyFile {
    /// The credentials.
    pub credentials: Credentials,
    /// `project_id`, when the file has one (the root key file does).
    pub project_id: Option<String>,
}

/// Reads `access_key_id`, `secret_access_key` and, when present, `security_token` (or
/// `securitytoken`, as IAM's temporary-credential answers spell it) and `project_id` from a JSON
/// credential file.
pub fn read_key_file(path: &Path) -> Result<KeyFile, ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError::KeyFile(format!("{}: {e}", path.display())))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| ClientError::KeyFile(format!("{}: not JSON: {e}", path.display())))?;
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| v.get(*n).and_then(Value::as_str))
            .map(str::to_owned)
    };
    let ak = field(&["access_key_id", "access", "AccessKeyId"]);
    let sk = field(&["secret_access_key", "secret", "SecretAccessKey"]);
    match (ak, sk) {
        (Some(ak), Some(sk)) => Ok(KeyFile {
            credentials: Credentials {
                access_key_id: ak,
                secret_access_key: SecretString::from(sk),
                security_token: field(&["security_token", "securitytoken", "SecurityToken"])
                    .map(SecretString::from),
            },
            project_id: field(&["project_id"]),
        }),
        _ => Err(ClientError::KeyFile(format!(
            "{}: `access_key_id` and `secret_access_key` are required",
            path.display()
        ))),
    }
}

/// One request to the server's API.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The method, upper case.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// Query parameters, not encoded (signing encodes them).
    pub query: &'a [(&'a str, &'a str)],
    /// The JSON body, or `None` for none.
    pub body: Option<&'a Value>,
}

/// Sends one signed request; returns the status and the JSON body (`null` when the body is
/// empty).
pub async fn send(
    endpoint: &str,
    credentials: &Credentials,
    call: Call<'_>,
) -> Result<(u16, Value), ClientError> {
    let host = endpoint
        .strip_prefix("http://")
        .map(|h| h.trim_end_matches('/'))
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| ClientError::Endpoint(endpoint.to_owned()))?;
    let payload = match call.body {
        Some(body) => serde_json::to_vec(body).map_err(|e| ClientError::Sign(e.to_string()))?,
        None => Vec::new(),
    };
    // exactly the headers signed, with the values signed
    let mut headers = vec![("Host", host), ("Content-Type", "application/json")];
    if let Some(token) = &credentials.security_token {
        headers.push(("X-Security-Token", token.expose_secret()));
    }
    let signed = Signer::new(
        &credentials.access_key_id,
        credentials.secret_access_key.clone(),
    )
    .sign(
        &OutgoingRequest {
            method: call.method,
            path: call.path,
            query: call.query,
            headers: &headers,
            body: &payload,
        },
        time::OffsetDateTime::now_utc(),
    )
    .map_err(|e| ClientError::Sign(e.to_string()))?;
    let uri = if signed.query_string.is_empty() {
        format!("http://{host}{}", call.path)
    } else {
        format!("http://{host}{}?{}", call.path, signed.query_string)
    };
    let mut request = http::Request::builder().method(call.method).uri(uri);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    for (name, value) in &signed.headers {
        request = request.header(*name, value.as_str());
    }
    let request = request
        .body(Full::new(Bytes::from(payload)))
        .map_err(|e| ClientError::Sign(e.to_string()))?;

    // One request per command: no connection is kept for later.
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build(HttpConnector::new());
    let response = client
        .request(request)
        .await
        .map_err(|e| ClientError::Connection(chain(&e)))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| ClientError::Connection(chain(&e)))?
        .to_bytes();
    if body.trim_ascii().is_empty() {
        return Ok((status, Value::Null));
    }
    let value = serde_json::from_slice(&body).map_err(|e| ClientError::Response(e.to_string()))?;
    Ok((status, value))
}

/// An error and its sources, `: `-separated (hyper's own message names only the stage).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
