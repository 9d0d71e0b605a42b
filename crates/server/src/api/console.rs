//! The web console's static assets: `GET /console` (the single-page app's HTML) and
//! `GET /console/assets/{file}` (its CSS and ES modules), embedded in the binary from
//! `crates/server/console/` with `include_bytes!`. Nothing is fetched from the network: the app
//! calls the same APIs as everyone else, authenticated by the console session cookie and its
//! CSRF header (docs/console.md).
//!
//! Every answer carries a strict Content-Security-Policy (no inline script or style, nothing
//! from another origin, no framing) and the usual hardening headers.

use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::on;

use crate::endpoints::{Authz, Endpoint, Method, Reply};
use crate::error::ApiError;

/// The Content-Security-Policy of every console answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The console's HTML page.
const INDEX: &[u8] = include_bytes!("../../console/index.html");

/// The embedded assets: file name, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "console.css",
        CSS,
        include_bytes!("../../console/console.css"),
    ),
    ("app.js", JS, include_bytes!("../../console/app.js")),
    ("api.js", JS, include_bytes!("../../console/api.js")),
    ("dom.js", JS, include_bytes!("../../console/dom.js")),
    ("signin.js", JS, include_bytes!("../../console/signin.js")),
    (
        "identity.js",
        JS,
        include_bytes!("../../console/identity.js"),
    ),
    (
        "policies.js",
        JS,
        include_bytes!("../../console/policies.js"),
    ),
    ("org.js", JS, include_bytes!("../../console/org.js")),
    ("editor.js", JS, include_bytes!("../../console/editor.js")),
    (
        "simulator.js",
        JS,
        include_bytes!("../../console/simulator.js"),
    ),
    (
        "modelarts.js",
        JS,
        include_bytes!("../../console/modelarts.js"),
    ),
    ("log.js", JS, include_bytes!("../../console/log.js")),
    (
        "password.js",
        JS,
        include_bytes!("../../console/password.js"),
    ),
];

/// The file names of the embedded assets (tests and docs).
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|(name, _, _)| *name)
}

/// The hardening headers of every console answer.
fn hardened(mut r: Response, cache: &'static str) -> Response {
    let h = r.headers_mut();
    let set: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, cache),
    ];
    for (name, value) in set {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}

/// `GET /console`: the single-page app.
async fn index() -> Response {
    hardened(
        ([(header::CONTENT_TYPE, HTML)], INDEX).into_response(),
        "no-store",
    )
}

/// `GET /console/assets/{file}`: one embedded asset, or 404.
async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, media_type, bytes)) => hardened(
            ([(header::CONTENT_TYPE, *media_type)], *bytes).into_response(),
            "no-cache",
        ),
        None => hardened(
            ApiError::not_found("The console has no such asset").into_response(),
            "no-store",
        ),
    }
}

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Get,
        path: "/console",
        operation_id: "Console",
        tag: "console",
        summary: "The web console (HTML of the single-page app)",
        authz: Authz::Open(
            "static public assets embedded in the binary: the page holds no data; the console \
             reads everything through the authorized APIs",
        ),
        route: |m| on(m, index),
        query: None,
        request: None,
        response: Reply::text("text/html"),
    },
    Endpoint {
        method: Method::Get,
        path: "/console/assets/{file}",
        operation_id: "ConsoleAsset",
        tag: "console",
        summary: "A static asset of the web console (ES module or stylesheet)",
        authz: Authz::Open(
            "static public assets embedded in the binary (scripts and styles): no data; the \
             console reads everything through the authorized APIs",
        ),
        route: |m| on(m, asset),
        query: None,
        request: None,
        response: Reply::text("text/javascript"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_named_once_and_not_empty() {
        let mut names: Vec<_> = asset_names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ASSETS.len());
        assert!(ASSETS.iter().all(|(_, _, b)| !b.is_empty()));
        assert!(!INDEX.is_empty());
    }

    /// Every module the HTML or a module imports is embedded (no asset is fetched that the
    /// table does not serve).
    #[test]
    fn every_referenced_asset_is_embedded() {
        let mut texts = vec![String::from_utf8_lossy(INDEX).into_owned()];
        texts.extend(
            ASSETS
                .iter()
                .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned()),
        );
        for text in &texts {
            for (i, _) in text.match_indices("/console/assets/") {
                let rest = &text[i + "/console/assets/".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                assert!(asset_names().any(|n| n == name), "{name} is not embedded");
            }
            for (i, _) in text.match_indices("from \"./") {
                let rest = &text[i + "from \"./".len()..];
                let name: String = rest.chars().take_while(|c| *c != '"').collect();
                assert!(asset_names().any(|n| n == name), "{name} is not embedded");
            }
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "external URL"
            );
        }
    }
}
