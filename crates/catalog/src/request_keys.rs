//! Where each request condition key comes from, per route (`data/request-keys.json`).
//!
//! Every `(route, key)` pair of an action key the catalog declares (seed 004 Table 1:
//! `g:EnterpriseProjectId`, `g:ResourceTag/<tag-key>`), plus the pool keys of the routes that run
//! on a pool and the request-tag keys of the routes that set tags, has one row saying where the
//! enforcement point reads the value: the ordered [`KeySource`]s, the first that yields a value
//! wins. A row whose only source is [`KeySource::Unknowable`] is a pair no enforcement point can
//! fill: `validate` reports every policy statement that conditions on the key for the action
//! (an `Allow` never matches there, a `Deny` never applies). docs/gateway.md lists the table.

use serde::{Deserialize, Serialize};

/// One request key of one route and where its value comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RequestKey {
    /// The key as the catalog declares it (`g:ResourceTag/<tag-key>` for templates).
    pub key: String,
    /// The route's method.
    pub method: String,
    /// The route's path template, exactly as in the service file.
    pub path: String,
    /// Where the value comes from, tried in order.
    pub from: Vec<KeySource>,
    /// Why, for people (Huawei's API reference field, a decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A place a request key's value is read from. Locations are written `query:<name>`,
/// `path:<param>` or `body:<member>[.<member>...]` (a member ending in `[]` is an array whose
/// items are searched).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySource {
    /// The string at a location of the request.
    Field(String),
    /// The enterprise project of the workspace the request names (`workspace_id` in the query
    /// or the body, `metadata.workspace_id`, the pool label `os.modelarts/workspace.id`, the
    /// pools query `workspaceId`; the default workspace `0` when none), from the server's
    /// workspace registry.
    Workspace,
    /// The attributes (enterprise project, tags) of the resource the route's path names, from
    /// the upstream's resource lookup (docs/gateway.md, "Resource lookup"), or from the server's
    /// own registries for the entities it owns.
    Resource,
    /// The pool the request names (`pool_id`, `pool_name`, `cluster_id`, `pool.id`, at any
    /// depth of the body, in the query or the path): `modelarts:poolId` is its id and
    /// `modelarts:poolType` is `dedicated`; a request naming no pool runs on the public pool.
    Pool,
    /// The tags the request sets: arrays of `{"key", "value"}` objects at these locations
    /// (`g:RequestTag/<key>` per tag, `g:TagKeys` the keys).
    Tags(Vec<String>),
    /// A constant: what Huawei assumes when the request says nothing (the default enterprise
    /// project `0`).
    Default(String),
    /// No enforcement point can know the value here; the reason.
    Unknowable(String),
}

impl RequestKey {
    /// Whether no source can ever yield a value on this route.
    pub fn is_unknowable(&self) -> bool {
        self.from
            .iter()
            .all(|s| matches!(s, KeySource::Unknowable(_)))
    }

    /// The reason the key is unknowable here, if it is.
    pub fn unknowable_reason(&self) -> Option<&str> {
        match self.from.as_slice() {
            [KeySource::Unknowable(r)] => Some(r),
            _ => None,
        }
    }

    /// The sources as docs/gateway.md lists them (Markdown, first source first).
    pub fn sources_text(&self) -> String {
        self.from
            .iter()
            .map(|s| match s {
                KeySource::Field(l) => format!("`{l}`"),
                KeySource::Workspace => "the workspace's enterprise project (registry)".to_owned(),
                KeySource::Resource => "resource lookup".to_owned(),
                KeySource::Pool => "the pool fields".to_owned(),
                KeySource::Tags(ls) => format!(
                    "tags at {}",
                    ls.iter()
                        .map(|l| format!("`{l}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                KeySource::Default(v) => format!("else `{v}`"),
                KeySource::Unknowable(r) => format!("**unknowable**: {r}"),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The docs/gateway.md table of `rows`: one line per row.
    pub fn table(rows: &[RequestKey]) -> String {
        let mut out = String::from("| route | key | from |\n|---|---|---|\n");
        for r in rows {
            out.push_str(&format!(
                "| `{} {}` | `{}` | {} |\n",
                r.method,
                r.path,
                r.key,
                r.sources_text()
            ));
        }
        out
    }

    /// Whether a policy's key name is this row's key (`g:ResourceTag/team` is
    /// `g:ResourceTag/<tag-key>`), ignoring ASCII case as the engine does.
    pub fn matches_key(&self, name: &str) -> bool {
        match self.key.find('<') {
            Some(i) => {
                name.len() > i
                    && name.is_char_boundary(i)
                    && name[..i].eq_ignore_ascii_case(&self.key[..i])
            }
            None => name.eq_ignore_ascii_case(&self.key),
        }
    }
}

/// A parsed location: where in the request a value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location<'a> {
    /// A query parameter.
    Query(&'a str),
    /// A path parameter of the route.
    Path(&'a str),
    /// A member path of the JSON body (`metadata.tags`, `config[].cluster_id`).
    Body(&'a str),
}

impl<'a> Location<'a> {
    /// Parses `query:x`, `path:x`, `body:a.b`.
    pub fn parse(text: &'a str) -> Option<Location<'a>> {
        let (kind, rest) = text.split_once(':')?;
        if rest.is_empty() {
            return None;
        }
        match kind {
            "query" => Some(Location::Query(rest)),
            "path" => Some(Location::Path(rest)),
            "body" => Some(Location::Body(rest)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_any_tag_key_and_plain_keys_match_ignoring_case() {
        let row = |key: &str| RequestKey {
            key: key.into(),
            method: "GET".into(),
            path: "/".into(),
            from: vec![KeySource::Resource],
            note: None,
        };
        let t = row("g:ResourceTag/<tag-key>");
        assert!(t.matches_key("g:ResourceTag/team"));
        assert!(t.matches_key("G:RESOURCETAG/team"));
        assert!(!t.matches_key("g:ResourceTag/"));
        assert!(!t.matches_key("g:RequestTag/team"));
        let p = row("g:EnterpriseProjectId");
        assert!(p.matches_key("g:enterpriseprojectid"));
        assert!(!p.matches_key("g:EnterpriseProjectIds"));
    }

    #[test]
    fn locations_parse() {
        assert_eq!(
            Location::parse("query:workspace_id"),
            Some(Location::Query("workspace_id"))
        );
        assert_eq!(
            Location::parse("body:metadata.tags"),
            Some(Location::Body("metadata.tags"))
        );
        assert_eq!(Location::parse("path:id"), Some(Location::Path("id")));
        assert_eq!(Location::parse("header:x"), None);
        assert_eq!(Location::parse("body:"), None);
    }
}
