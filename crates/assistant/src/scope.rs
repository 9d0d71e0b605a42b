//! Resource scopes: which requests a required action stands for, and which resource patterns and
//! conditions a generated statement uses for it.

use iam_catalog::Catalog;
use iam_policy::Context;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// An OBS bucket, optionally with an object path prefix (`bucket` or `bucket/data/train/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObsPath {
    /// Bucket name.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9.-]{1,63}$"))]
    pub bucket: String,
    /// Object key prefix (may be empty).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^*?]*$"))]
    pub prefix: String,
}

impl ObsPath {
    /// Parses `bucket`, `bucket/prefix`, `obs://bucket/prefix` or `s3://bucket/prefix`.
    pub fn parse(s: &str) -> Option<ObsPath> {
        let s = s
            .strip_prefix("obs://")
            .or_else(|| s.strip_prefix("s3://"))
            .unwrap_or(s)
            .trim_start_matches('/');
        let (bucket, prefix) = s.split_once('/').unwrap_or((s, ""));
        let ok = !bucket.is_empty()
            && bucket.len() <= 63
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !prefix.contains('*')
            && !prefix.contains('?');
        ok.then(|| ObsPath {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl std::fmt::Display for ObsPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "obs://{}/{}", self.bucket, self.prefix)
    }
}

/// Optional resource scopes for coverage and generation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Region of ModelArts resources (`cn-north-4`); ModelArts resource patterns name it.
    #[serde(default)]
    pub region: Option<String>,
    /// OBS buckets / paths: OBS bucket actions are limited to the buckets, object actions to
    /// the paths.
    #[serde(default)]
    pub obs: Vec<ObsPath>,
    /// Dedicated resource pool ids: actions on ModelArts `pool` resources are limited to them.
    #[serde(default)]
    pub pools: Vec<String>,
    /// Workspace id: actions on ModelArts `workspace` resources are limited to it.
    #[serde(default)]
    pub workspace: Option<String>,
    /// Enterprise project id: actions that support `g:EnterpriseProjectId` get a
    /// `StringEquals` condition on it.
    #[serde(default)]
    pub enterprise_project: Option<String>,
    /// Resource tags (key -> value): actions on existing resources that support
    /// `g:ResourceTag/<key>` get a `StringEquals` condition on each.
    #[serde(default)]
    pub resource_tags: std::collections::BTreeMap<String, String>,
}

/// One request a required action stands for under a scope, and how a generated statement
/// grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The action.
    pub action: String,
    /// The request resource (a URN, or `*` for actions without a resource type; `*` in an id
    /// means "any resource there").
    pub resource: String,
    /// The resource pattern a generated statement uses; `None` = no `Resource` element.
    pub pattern: Option<String>,
    /// Enterprise project condition value, when the action supports it and the scope names one.
    pub enterprise_project: Option<String>,
    /// Resource tag conditions (key, value), when the action supports them and the scope names
    /// some.
    pub resource_tags: Vec<(String, String)>,
}

impl Target {
    /// The request context: `base` plus `g:EnterpriseProjectId` and `g:ResourceTag/<key>` when
    /// scoped.
    pub fn context(&self, base: &Context) -> Context {
        let mut ctx = base.clone();
        if let Some(ep) = &self.enterprise_project {
            ctx.insert(ep_key(), ep.clone());
        }
        for (k, v) in &self.resource_tags {
            ctx.insert(&format!("{TAG_PREFIX}{k}"), v.clone());
        }
        ctx
    }
}

#[derive(Debug, Deserialize)]
struct ScopingData {
    obs: ObsScoping,
    enterprise_project_key: String,
}

#[derive(Debug, Deserialize)]
struct ObsScoping {
    bucket_segment: String,
    object_segment: String,
    unscoped_actions: Vec<String>,
    bucket_urn: String,
    object_urn: String,
}

fn scoping() -> &'static ScopingData {
    static DATA: OnceLock<ScopingData> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../data/scoping.json")).unwrap_or(ScopingData {
            obs: ObsScoping {
                bucket_segment: "bucket".into(),
                object_segment: "object".into(),
                unscoped_actions: vec!["obs:bucket:ListAllMyBuckets".into()],
                bucket_urn: "obs:<region>:<account-id>:bucket:<bucket>".into(),
                object_urn: "obs:<region>:<account-id>:object:<bucket>/<path>*".into(),
            },
            enterprise_project_key: "g:EnterpriseProjectId".into(),
        })
    })
}

fn ep_key() -> &'static str {
    &scoping().enterprise_project_key
}

fn fill(template: &str, region: &str, account: &str, bucket: &str, path: &str) -> String {
    template
        .replace("<region>", region)
        .replace("<account-id>", account)
        .replace("<bucket>", bucket)
        .replace("<path>", path)
}

/// True when `action` (catalog spelling) supports the enterprise-project condition key and
/// the gateway can know it on every route of the action (the catalog's request-key table): an
/// action with a route where it cannot (`modelarts:pool:get` on `GET /v1/{project_id}/events`)
/// is not scoped by enterprise project, since the condition would never match there.
fn supports_ep(catalog: &Catalog, action: &str) -> bool {
    catalog.action(action).is_some_and(|a| {
        a.all_condition_keys()
            .iter()
            .any(|k| k.eq_ignore_ascii_case(ep_key()))
    }) && catalog.unknowable_routes(action, ep_key()).next().is_none()
}

/// The resource-tag key prefix.
pub const TAG_PREFIX: &str = "g:ResourceTag/";

/// True when `action` supports `g:ResourceTag/<key>` and the gateway can know it on every route
/// of the action (`modelarts:service:get` cannot be tag-scoped: `GET
/// /v1/{project_id}/services/tms/tags` names no service).
fn supports_tags(catalog: &Catalog, action: &str) -> bool {
    let probe = format!("{TAG_PREFIX}k");
    catalog.action(action).is_some_and(|a| {
        a.all_condition_keys()
            .iter()
            .any(|k| k.eq_ignore_ascii_case("g:ResourceTag/<tag-key>"))
    }) && catalog.unknowable_routes(action, &probe).next().is_none()
}

impl Scope {
    /// True when nothing is scoped.
    pub fn is_empty(&self) -> bool {
        self == &Scope::default()
    }

    /// The requests `action` stands for, for a principal of `account`.
    pub fn targets(&self, catalog: &Catalog, action: &str, account: &str) -> Vec<Target> {
        let region = self.region.as_deref().unwrap_or("*");
        let ep = self
            .enterprise_project
            .clone()
            .filter(|_| supports_ep(catalog, action));
        let tags: Vec<(String, String)> = if supports_tags(catalog, action) {
            self.resource_tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let mk = |resource: String, pattern: Option<String>| Target {
            action: action.to_owned(),
            resource,
            pattern,
            enterprise_project: ep.clone(),
            resource_tags: tags.clone(),
        };
        let service = action.split(':').next().unwrap_or("");
        let segment = action.split(':').nth(1).unwrap_or("");
        let data = scoping();
        if service.eq_ignore_ascii_case("obs") && !self.obs.is_empty() {
            if data
                .obs
                .unscoped_actions
                .iter()
                .any(|a| a.eq_ignore_ascii_case(action))
            {
                return vec![mk("*".into(), None)];
            }
            if segment.eq_ignore_ascii_case(&data.obs.bucket_segment) {
                let mut out: Vec<Target> = Vec::new();
                for p in &self.obs {
                    let t = mk(
                        fill(&data.obs.bucket_urn, region, account, &p.bucket, ""),
                        Some(fill(&data.obs.bucket_urn, "*", "*", &p.bucket, "")),
                    );
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
                return out;
            }
            if segment.eq_ignore_ascii_case(&data.obs.object_segment) {
                return self
                    .obs
                    .iter()
                    .map(|p| {
                        mk(
                            fill(&data.obs.object_urn, region, account, &p.bucket, &p.prefix),
                            Some(fill(&data.obs.object_urn, "*", "*", &p.bucket, &p.prefix)),
                        )
                    })
                    .collect();
            }
        }
        let Some(rt) = catalog
            .action(action)
            .and_then(|a| a.primary_resource())
            .and_then(|r| catalog.action_resource_type(service, &r.resource_type))
        else {
            return vec![mk("*".into(), None)];
        };
        // an action whose requests never name the resource (a list, a create: the route has no
        // id for it, so the request is on `<type>:*`) cannot be limited to ids
        let names_it = catalog
            .routes_for_action(action)
            .any(|r| r.resource_params.contains_key(&rt.name));
        let ids: Vec<String> = match rt.name.as_str() {
            "pool" if names_it && !self.pools.is_empty() => self.pools.clone(),
            "workspace" if names_it && self.workspace.is_some() => {
                self.workspace.iter().cloned().collect()
            }
            _ => vec!["*".into()],
        };
        let scoped = self.region.is_some() || ids.iter().any(|i| i != "*");
        ids.iter()
            .map(|id| {
                mk(
                    rt.render(region, account, id),
                    scoped.then(|| rt.render(region, "*", id)),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
    use super::*;

    #[test]
    fn obs_paths_parse() {
        assert_eq!(
            ObsPath::parse("obs://b1/data/x/").unwrap(),
            ObsPath {
                bucket: "b1".into(),
                prefix: "data/x/".into()
            }
        );
        assert_eq!(ObsPath::parse("b1").unwrap().prefix, "");
        assert!(ObsPath::parse("").is_none());
        assert!(ObsPath::parse("B!").is_none());
        assert!(ObsPath::parse("b/x*").is_none());
    }

    #[test]
    fn targets_follow_the_scope() {
        let c = Catalog::builtin();
        let s = Scope {
            region: Some("cn-north-4".into()),
            obs: vec![ObsPath::parse("b1/in/").unwrap()],
            pools: vec!["pool-a".into()],
            enterprise_project: Some("ep1".into()),
            ..Scope::default()
        };
        let t = s.targets(c, "obs:object:GetObject", "acc");
        assert_eq!(t[0].resource, "obs:cn-north-4:acc:object:b1/in/*");
        assert_eq!(t[0].pattern.as_deref(), Some("obs:*:*:object:b1/in/*"));
        let t = s.targets(c, "obs:bucket:ListBucket", "acc");
        assert_eq!(t[0].pattern.as_deref(), Some("obs:*:*:bucket:b1"));
        let t = s.targets(c, "obs:bucket:ListAllMyBuckets", "acc");
        assert_eq!(t[0].resource, "*");
        let t = s.targets(c, "modelarts:notebook:get", "acc");
        assert_eq!(t[0].resource, "modelarts:cn-north-4:acc:notebook:*");
        assert_eq!(t[0].enterprise_project, None);
        let t = s.targets(c, "modelarts:image:get", "acc");
        assert_eq!(t[0].enterprise_project.as_deref(), Some("ep1"));
        let t = s.targets(c, "modelarts:pool:get", "acc");
        assert_eq!(t[0].resource, "modelarts:cn-north-4:acc:pool:pool-a");
        let t = Scope::default().targets(c, "modelarts:notebook:get", "acc");
        assert_eq!(t[0].resource, "modelarts:*:acc:notebook:*");
        assert_eq!(t[0].pattern, None);
        assert_eq!(t[0].enterprise_project, None);
        let t = Scope::default().targets(c, "iam:tokens:assume", "acc");
        assert_eq!(t[0].resource, "*");
    }
}
