//! The resource lookup: the enterprise project, workspace and tags of an existing ModelArts
//! resource, which only the upstream knows (docs/gateway.md, "Resource lookup").
//!
//! For a route whose request keys come from the resource the path names (the catalog's
//! request-key rows with source `resource`: `g:ResourceTag/<key>`, `g:EnterpriseProjectId` of a
//! notebook, a pool, a training job, ...), the gateway asks the upstream
//! `GET {upstream}/iam/resource-attributes?resource=<URN>` and reads
//! `{"resource": <URN>, "enterprise_project_id"?, "workspace_id"?, "tags"?: [{"key", "value"}]}`.
//! 404 with `{"resource": <URN>}` means the upstream has no such resource: the request is decided
//! without those keys (and the upstream answers it 404 itself). The answer must name the URN it
//! is about, so an upstream that does not implement the lookup (a catch-all 404 or 200) is never
//! read as "no attributes". Any other answer, a body that is not that shape (strict JSON, no
//! other member, tag keys unique without letter case), or no answer within [`LOOKUP_TIMEOUT`]
//! fails closed: 502, never forwarded. Answers are kept for
//! [`LOOKUP_TTL_SECONDS`] (docs/server.md, "Caches"), so a tag changed upstream is seen within
//! that time.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;

use super::Gateway;
use super::proxy::UPSTREAM_ERROR;
use crate::error::ApiError;

/// Path of the upstream's lookup endpoint (after the upstream URL's prefix).
pub const LOOKUP_PATH: &str = "/iam/resource-attributes";
/// How long a lookup answer is used: the cache generation is the Unix time divided by this.
pub const LOOKUP_TTL_SECONDS: u64 = 5;
/// Time allowed for the lookup's answer.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// What the upstream says of a resource.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Attributes {
    /// The URN the answer is about (must be the one asked).
    pub(crate) resource: String,
    /// Its enterprise project (`0`: the default one).
    #[serde(default)]
    pub(crate) enterprise_project_id: Option<String>,
    /// Its workspace (`0`: the default one).
    #[serde(default)]
    pub(crate) workspace_id: Option<String>,
    /// Its tags.
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
}

/// One resource tag.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tag {
    pub(crate) key: String,
    pub(crate) value: String,
}

fn generation() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    now / LOOKUP_TTL_SECONDS
}

fn failed(urn: &str, why: &str) -> ApiError {
    tracing::warn!(resource = urn, reason = why, "resource lookup failed");
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        UPSTREAM_ERROR,
        format!(
            "the attributes of {urn} (its enterprise project and tags, which the policies may condition on) could not be read from the ModelArts upstream: {why}; the request is not forwarded"
        ),
    )
}

/// The attributes of the resource `urn`: `None` when the upstream has no such resource, or when
/// there is no upstream (the `auth_request` endpoint: docs/gateway.md).
pub(super) async fn attributes(
    gw: &Gateway,
    urn: &str,
) -> Result<Option<Arc<Attributes>>, ApiError> {
    let Some(upstream) = gw.upstream.as_ref() else {
        return Ok(None);
    };
    let generation = generation();
    let cache = gw.state.resource_attributes();
    if let Ok(c) = cache.read()
        && let Some(a) = c.get(generation, urn)
    {
        return Ok(Some(Arc::clone(a)));
    }
    let target = format!(
        "{LOOKUP_PATH}?resource={}",
        percent_encoding::utf8_percent_encode(urn, percent_encoding::NON_ALPHANUMERIC)
    );
    let (status, body) = upstream
        .get(&target, LOOKUP_TIMEOUT)
        .await
        .map_err(|e| failed(urn, &e))?;
    if status == StatusCode::NOT_FOUND {
        // only a 404 about this resource says it does not exist
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Absent {
            resource: String,
        }
        return match super::body::strict_json(Some(&body)) {
            Ok(Some(v)) => match serde_json::from_value::<Absent>(v) {
                Ok(a) if a.resource == urn => Ok(None),
                _ => Err(failed(
                    urn,
                    "the upstream answered 404 without {\"resource\": <the URN asked>}: it does not implement the lookup",
                )),
            },
            _ => Err(failed(
                urn,
                "the upstream answered 404 without {\"resource\": <the URN asked>}: it does not implement the lookup",
            )),
        };
    }
    if status != StatusCode::OK {
        return Err(failed(urn, &format!("the upstream answered {status}")));
    }
    let parsed = super::body::strict_json(Some(&body))
        .map_err(|e| failed(urn, &format!("the answer is not JSON: {e}")))?
        .ok_or_else(|| failed(urn, "the answer is empty"))?;
    let attributes: Attributes = serde_json::from_value(parsed).map_err(|e| {
        failed(
            urn,
            &format!(
                "the answer is not {{\"resource\", \"enterprise_project_id\", \"workspace_id\", \"tags\": [{{\"key\", \"value\"}}]}}: {e}"
            ),
        )
    })?;
    if attributes.resource != urn {
        return Err(failed(
            urn,
            &format!(
                "the answer is about {:?}, not the resource asked",
                attributes.resource
            ),
        ));
    }
    for (i, t) in attributes.tags.iter().enumerate() {
        if attributes.tags[..i]
            .iter()
            .any(|o| o.key.eq_ignore_ascii_case(&t.key))
        {
            return Err(failed(
                urn,
                &format!(
                    "the tag key {:?} is there twice (keys are compared without letter case)",
                    t.key
                ),
            ));
        }
    }
    let attributes = Arc::new(attributes);
    if let Ok(mut c) = cache.write() {
        c.insert(generation, urn.to_owned(), Arc::clone(&attributes));
    }
    Ok(Some(attributes))
}
