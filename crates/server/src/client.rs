//! A tiny signed HTTP/1.1 client for the server's own API (the `authorize` CLI command and the
//! demo walkthrough). Plain HTTP on loopback only; requests are signed with `SDK-HMAC-SHA256`
//! exactly like the official SDKs.

use std::path::Path;

use iam_signing::{OutgoingRequest, SecretString, Signer};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Client failures.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint is not `http://host:port`.
    #[error("endpoint `{0}` must look like http://127.0.0.1:8080")]
    Endpoint(String),
    /// The key file is unreadable or lacks `access_key_id`/`secret_access_key`.
    #[error("key file {0}")]
    KeyFile(String),
    /// Connection or I/O failure.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(String),
    /// The answer is not HTTP with a JSON body.
    #[error("malformed response: {0}")]
    Response(String),
}

/// Reads `access_key_id` and `secret_access_key` from a JSON credential file.
pub fn read_key_file(path: &Path) -> Result<(String, SecretString), ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError::KeyFile(format!("{}: {e}", path.display())))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| ClientError::KeyFile(format!("{}: {e}", path.display())))?;
    let ak = v.get("access_key_id").and_then(Value::as_str);
    let sk = v.get("secret_access_key").and_then(Value::as_str);
    match (ak, sk) {
        (Some(ak), Some(sk)) => Ok((ak.to_owned(), SecretString::from(sk.to_owned()))),
        _ => Err(ClientError::KeyFile(format!(
            "{}: `access_key_id` and `secret_access_key` are required",
            path.display()
        ))),
    }
}

/// Sends one signed JSON request using the credentials of `key_file`; returns status and body.
pub async fn call_with_key_file(
    endpoint: &str,
    key_file: &Path,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), ClientError> {
    let (ak, sk) = read_key_file(key_file)?;
    call(endpoint, &ak, sk, method, path, body).await
}

/// Sends one signed JSON request; returns status and body.
pub async fn call(
    endpoint: &str,
    ak: &str,
    sk: SecretString,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), ClientError> {
    let host = endpoint
        .strip_prefix("http://")
        .map(|h| h.trim_end_matches('/'))
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| ClientError::Endpoint(endpoint.to_owned()))?;
    let payload = serde_json::to_vec(body).map_err(|e| ClientError::Sign(e.to_string()))?;
    let headers = [("Host", host), ("Content-Type", "application/json")];
    let signed = Signer::new(ak, sk)
        .sign(
            &OutgoingRequest {
                method,
                path,
                query: &[],
                headers: &headers,
                body: &payload,
            },
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| ClientError::Sign(e.to_string()))?;
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n");
    for (name, value) in &signed.headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    ));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    stream.write_all(req.as_bytes()).await?;
    stream.write_all(&payload).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<(u16, Value), ClientError> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| ClientError::Response("no header end".into()))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| ClientError::Response("no status".into()))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    if body.trim().is_empty() {
        return Ok((status, Value::Null));
    }
    let v = serde_json::from_str(&body).map_err(|e| ClientError::Response(e.to_string()))?;
    Ok((status, v))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(rest.get(..n).unwrap_or_default());
        s = rest.get(n..).unwrap_or_default().trim_start_matches("\r\n");
    }
    out
}
