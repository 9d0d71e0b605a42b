//! The catalog's data types, as read from the JSON files in `data/`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Published in one of Huawei's two ModelArts permission pages ([`crate::docs::PAGES`]):
    /// `modelarts-docs` (the data files may also write `seed`).
    #[serde(rename = "modelarts-docs", alias = "seed")]
    Seed,
    /// A Huawei Cloud API (IAM v5, STS, Organizations, Access Analyzer, ModelArts agency API),
    /// taken from Huawei's API reference or SDKs, not from the seeds.
    HuaweiApi,
    /// Huawei Cloud documentation other than the seeds (global condition keys).
    HuaweiDocs,
    /// A modelarts-iam extension with no Huawei counterpart.
    Extension,
}

impl Source {
    /// The name serialized (`modelarts-docs`, `huawei-api`, `huawei-docs`, `extension`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Seed => "modelarts-docs",
            Source::HuaweiApi => "huawei-api",
            Source::HuaweiDocs => "huawei-docs",
            Source::Extension => "extension",
        }
    }
}

impl Source {
    /// Where the entry comes from, for people (`Huawei ModelArts docs`, `Huawei API
    /// reference`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Source::Seed => "Huawei ModelArts docs",
            Source::HuaweiApi => "Huawei API reference",
            Source::HuaweiDocs => "Huawei docs",
            Source::Extension => "modelarts-iam extension",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an action is classified (the Access Level column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads a resource.
    Read,
    /// Creates, changes or deletes a resource.
    Write,
    /// Changes permissions; written `Permission_management` as Huawei does.
    #[serde(rename = "Permission_management", alias = "PermissionManagement")]
    PermissionManagement,
    /// Changes tags.
    Tagging,
}

impl AccessLevel {
    /// All levels, in display order.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionManagement,
        AccessLevel::Tagging,
    ];

    /// Huawei's spelling (`List`, `Read`, `Write`, `Permission_management`, `Tagging`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionManagement => "Permission_management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an access level name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown access level `{0}` (expected List, Read, Write, Permission_management or Tagging)"
)]
pub struct ParseAccessLevelError(pub String);

impl FromStr for AccessLevel {
    type Err = ParseAccessLevelError;

    /// Case-insensitive; `_`, `-` and spaces are ignored (`permission-management` works).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "list" => Ok(AccessLevel::List),
            "read" => Ok(AccessLevel::Read),
            "write" => Ok(AccessLevel::Write),
            "permissionmanagement" => Ok(AccessLevel::PermissionManagement),
            "tagging" => Ok(AccessLevel::Tagging),
            _ => Err(ParseAccessLevelError(s.to_owned())),
        }
    }
}

/// The value type of a condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueType {
    /// Text.
    String,
    /// Integer or decimal number.
    Number,
    /// ISO 8601 date and time.
    Date,
    /// `true` / `false`.
    Bool,
    /// IPv4 / IPv6 address or CIDR.
    Ip,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::String => "string",
            ValueType::Number => "number",
            ValueType::Date => "date",
            ValueType::Bool => "boolean",
            ValueType::Ip => "ip",
        })
    }
}

/// A service: its resource types, condition keys and actions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Service code, lowercase (`modelarts`, `obs`, `access-analyzer`).
    pub name: String,
    /// Human-readable name.
    pub display_name: String,
    /// Global service: URNs have an empty region segment.
    pub global: bool,
    /// Where the service's entries come from overall (entries carry their own source).
    pub source: Source,
    /// Resource types (Table 3 for ModelArts).
    pub resource_types: Vec<ResourceType>,
    /// Service-specific condition keys (Table 4 for ModelArts).
    pub condition_keys: Vec<ConditionKey>,
    /// Actions (Table 1 for ModelArts, plus actions the seeds only name).
    pub actions: Vec<Action>,
    /// REST routes; moved into [`crate::Catalog::routes`] when the catalog is built.
    #[serde(default, skip_serializing)]
    pub(crate) routes: Vec<Route>,
}

/// A resource type and its URN template.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceType {
    /// Type name as used in actions (`notebook`, `trainJob`, `user`).
    pub name: String,
    /// URN template with `<region>`, `<account-id>` and a final id placeholder, e.g.
    /// `modelarts:<region>:<account-id>:notebook:<notebook-id>`.
    pub urn_template: String,
    /// Where the template comes from.
    pub source: Source,
    /// Seed table it is published in, when it is.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::docs::serialize_cited"
    )]
    pub published_in: Option<String>,
}

impl ResourceType {
    /// Renders the URN: `<region>` and `<account-id>` are substituted, and the last `<...>`
    /// placeholder (the resource id) becomes `id`. Other placeholders are left as `*`.
    pub fn render(&self, region: &str, account_id: &str, id: &str) -> String {
        render_template(&self.urn_template, region, account_id, id)
    }

    /// The name of the id placeholder (the last `<...>` in the template), without brackets.
    pub fn id_placeholder(&self) -> Option<&str> {
        let end = self.urn_template.rfind('>')?;
        let start = self.urn_template.get(..end)?.rfind('<')?;
        self.urn_template.get(start + 1..end)
    }
}

pub(crate) fn render_template(template: &str, region: &str, account_id: &str, id: &str) -> String {
    let last_open = template.rfind('<');
    let mut out = String::with_capacity(template.len() + id.len());
    let mut rest = template;
    let mut offset = 0usize;
    while let Some(open) = rest.find('<') {
        out.push_str(rest.get(..open).unwrap_or(""));
        let Some(close) = rest.get(open..).and_then(|r| r.find('>')) else {
            out.push_str(rest.get(open..).unwrap_or(""));
            return out;
        };
        let name = rest.get(open + 1..open + close).unwrap_or("");
        let absolute = offset + open;
        match name {
            "region" => out.push_str(region),
            "account-id" | "accountID" | "account_id" => out.push_str(account_id),
            _ if Some(absolute) == last_open => out.push_str(id),
            _ => out.push('*'),
        }
        offset += open + close + 1;
        rest = rest.get(open + close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// A condition key (service-specific or global `g:`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionKey {
    /// Key name; templates carry `<tag-key>` (`g:ResourceTag/<tag-key>`).
    pub name: String,
    /// Value type.
    pub value_type: ValueType,
    /// Whether a request may carry several values for the key.
    pub multi_valued: bool,
    /// True when the value type (or multi-valuedness) is inferred, not read in a source.
    pub inferred: bool,
    /// True when the key name itself could not be confirmed in an official text.
    #[serde(default)]
    pub unverified: bool,
    /// What the key filters on.
    pub description: String,
    /// Where the key comes from.
    pub source: Source,
    /// Seed table it is published in, when it is.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::docs::serialize_cited"
    )]
    pub published_in: Option<String>,
}

impl ConditionKey {
    /// True for keys with a `<...>` part, like `g:ResourceTag/<tag-key>`.
    pub fn is_template(&self) -> bool {
        self.name.contains('<')
    }

    /// The text before the `<...>` part (`g:ResourceTag/`), or the whole name.
    pub fn template_prefix(&self) -> &str {
        match self.name.find('<') {
            Some(i) => self.name.get(..i).unwrap_or(&self.name),
            None => &self.name,
        }
    }
}

/// A resource row of an action: the resource type, whether it is required, and the condition
/// keys that apply when the action is used on that resource type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionResource {
    /// Resource type name of the action's service, or `service:type` for another service's
    /// type (`iam:agency`).
    pub resource_type: String,
    /// Marked `*` in the table.
    pub required: bool,
    /// Condition keys of this resource row.
    pub condition_keys: Vec<String>,
}

/// An action (`service:resourceType:operation`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Full name as published (`modelarts:notebook:list`).
    pub name: String,
    /// Description (empty for actions the seeds only name).
    pub description: String,
    /// Access level (see [`Action::inferred`]).
    pub access_level: AccessLevel,
    /// Resource rows; empty when the action supports no resource-level permission (or, for
    /// inferred actions, when it is unknown).
    pub resources: Vec<ActionResource>,
    /// Condition keys that apply to the whole action.
    pub condition_keys: Vec<String>,
    /// Aliases (Alias column).
    pub aliases: Vec<String>,
    /// Actions that must also be allowed (Dependencies column).
    #[serde(default)]
    pub dependent_actions: Vec<String>,
    /// True when the access level and resource rows are inferred (not published).
    #[serde(default)]
    pub inferred: bool,
    /// True for ModelArts actions that a seed names (Table 2 or seed 000) but Table 1 does not
    /// define.
    #[serde(default)]
    pub referenced_only: bool,
    /// Where the action comes from.
    pub source: Source,
    /// Seed tables the action is published or named in.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::docs::serialize_cited"
    )]
    pub published_in: Option<String>,
}

impl Action {
    /// The full name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service segment (before the first `:`).
    pub fn service(&self) -> &str {
        self.name.split(':').next().unwrap_or("")
    }

    /// The resource-type segment (between the first and last `:`; empty for `sts::tagSession`).
    pub fn resource_segment(&self) -> &str {
        match (self.name.find(':'), self.name.rfind(':')) {
            (Some(a), Some(b)) if b > a => self.name.get(a + 1..b).unwrap_or(""),
            _ => "",
        }
    }

    /// The operation segment (after the last `:`).
    pub fn operation(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or("")
    }

    /// The resource types of the action, in table order.
    pub fn resource_types(&self) -> impl Iterator<Item = &str> {
        self.resources.iter().map(|r| r.resource_type.as_str())
    }

    /// The resource row used to render a URN: the first required row, else the first row.
    pub fn primary_resource(&self) -> Option<&ActionResource> {
        self.resources
            .iter()
            .find(|r| r.required)
            .or_else(|| self.resources.first())
    }

    /// Every condition key the action accepts (action-wide and per resource row), deduplicated.
    pub fn all_condition_keys(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for k in self
            .resources
            .iter()
            .flat_map(|r| r.condition_keys.iter())
            .chain(self.condition_keys.iter())
        {
            if !out.contains(&k.as_str()) {
                out.push(k);
            }
        }
        out
    }
}

/// A REST route: method, path template and the actions that authorize it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// HTTP method, uppercase.
    pub method: String,
    /// Path template with `{param}` segments (`/v1/{project_id}/notebooks/{id}`).
    pub path: String,
    /// Actions (对应的授权项).
    pub actions: Vec<String>,
    /// Dependent actions (依赖的授权项).
    pub dependent_actions: Vec<String>,
    /// Resource type -> path parameter whose value is the resource id in its URN. A resource
    /// type without an entry renders with id `*`.
    #[serde(default)]
    pub resource_params: std::collections::BTreeMap<String, String>,
    /// Where the route comes from.
    pub source: Source,
    /// Seed table row, when published (`004 Table 2 row 24`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::docs::serialize_cited"
    )]
    pub published_in: Option<String>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// True for routes that are not signed (federation calls); they have no actions.
    #[serde(default)]
    pub unauthenticated: bool,
    /// Service the route belongs to (set when the catalog is built).
    #[serde(default)]
    pub service: String,
    /// Where the route's request keys come from (`data/request-keys.json`, attached when the
    /// catalog is built).
    #[serde(skip)]
    pub request_keys: Vec<crate::RequestKey>,
}

impl Route {
    /// Parameter names of the template, in order.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }

    /// True when the route is one of the seed's Table 2 rows.
    pub fn is_seed_row(&self) -> bool {
        self.source == Source::Seed
    }
}

/// What a dependency or agency row names: an action, a pattern or a system policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyRefKind {
    /// One action.
    Action,
    /// An action pattern with `*` / `?`.
    Pattern,
    /// A system-defined policy by name (`SWR Admin`).
    SystemPolicy,
}

/// One entry of a dependency or agency row, as published and normalized.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// The line as published (`obs:bucket:ListBucket (Listing objects in a bucket)`).
    pub published: String,
    /// What it names.
    pub kind: PolicyRefKind,
    /// Normalized name: the action or pattern without explanation or trailing colon, or the
    /// system policy name. Case is kept as published; look it up case-insensitively.
    pub name: String,
    /// The parenthesised explanation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// A row of seed 000 Tables 1-9 (function dependency policies).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyRow {
    /// Table number (1-9).
    pub table: u8,
    /// Table title (`Managing notebook instances`).
    pub table_title: String,
    /// Application scenario (carried over from merged cells).
    pub scenario: Option<String>,
    /// Dependent service as published (`OBS`, `SFS Turbo`).
    pub dependent_service: String,
    /// Dependent policies: actions, patterns or system policies.
    pub policies: Vec<PolicyRef>,
    /// Supported function lines.
    pub functions: Vec<String>,
    /// True when the function cell is merged with the row above (no text of its own).
    pub function_merged_with_previous: bool,
    /// Marked `(Mandatory)`.
    pub mandatory: bool,
    /// Always `seed`.
    pub source: Source,
}

/// A row of seed 000 Tables 10-14 (basic agency authorization scope).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyScopeRow {
    /// Table number (10-14).
    pub table: u8,
    /// Table title.
    pub table_title: String,
    /// Application scenario.
    pub scenario: Option<String>,
    /// Dependent service as published.
    pub dependent_service: String,
    /// Agency authorization entries.
    pub actions: Vec<PolicyRef>,
    /// Description lines.
    pub descriptions: Vec<String>,
    /// True when the description cell is merged with the row above.
    pub description_merged_with_previous: bool,
    /// Configuration suggestion (Table 10 only).
    #[serde(default)]
    pub suggestion: Option<String>,
    /// Always `seed`.
    pub source: Source,
}

/// Which of Huawei's catalogues a system-defined permission comes from (reference: huawei-more
/// §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemPolicyKind {
    /// An IAM 3.0 system role (published as `Version "1.0"`, kept here as its `1.1` equivalent).
    Role,
    /// An IAM 3.0 fine-grained system policy (`Version "1.1"`).
    Policy,
    /// An IAM 5.0 system identity policy (`Version "5.0"`).
    IdentityPolicy,
}

impl SystemPolicyKind {
    /// `role`, `policy` or `identity_policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemPolicyKind::Role => "role",
            SystemPolicyKind::Policy => "policy",
            SystemPolicyKind::IdentityPolicy => "identity_policy",
        }
    }
}

/// A system-defined policy or role: present in every account (docs/system-policies.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemPolicy {
    /// Policy name as Huawei displays it (`SWR Admin`, `ModelArtsFullAccessPolicy`): letters and
    /// digits, words separated by single spaces.
    pub name: String,
    /// The catalogue it comes from.
    pub kind: SystemPolicyKind,
    /// Service it belongs to (`all` for cross-service ones).
    pub service: String,
    /// Description.
    pub description: String,
    /// Policy document (`Version "1.1"` for 3.0 roles and policies, `"5.0"` for identity
    /// policies).
    pub document: serde_json::Value,
    /// True when the document is reconstructed (Huawei does not publish it); `notes` says from
    /// what.
    pub inferred: bool,
    /// Where the name is published (`000 Table 3`, `huawei-more §1.2`).
    pub published_in: String,
    /// Remarks: how the document was made.
    pub notes: String,
}

impl SystemPolicy {
    /// The name with each space replaced by `-` (`ModelArts-CommonOperations`): the form the id
    /// and the URN carry (both exclude spaces).
    fn encoded_name(&self) -> String {
        self.name.replace(' ', "-")
    }

    /// The policy id every account sees: `system-` + the name with spaces as `-`
    /// (`system-ModelArts-CommonOperations`; 1-64 of `[A-Za-z0-9-]`).
    pub fn policy_id(&self) -> String {
        format!("system-{}", self.encoded_name())
    }

    /// The URN: `iam::system:policy:` + the name with spaces as `-`
    /// (`iam::system:policy:ModelArts-CommonOperations`).
    pub fn urn(&self) -> String {
        format!("iam::system:policy:{}", self.encoded_name())
    }

    /// The document as compact JSON text (what the store keeps as the policy's version).
    pub fn document_text(&self) -> String {
        self.document.to_string()
    }
}

/// A note about the catalog: an oddity of the published tables or a decision made.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogNote {
    /// Stable identifier.
    pub id: String,
    /// One-line summary.
    pub title: String,
    /// What is odd and what the catalog does about it.
    pub detail: String,
    /// Pages and tables concerned (data references; serialized as [`crate::docs::cite_all`]
    /// names them, one entry per page).
    #[serde(serialize_with = "crate::docs::serialize_cited_list")]
    pub refs: Vec<String>,
    /// `known-oddity` when it is one of the known oddities of the published tables, `catalog` when found while cataloguing.
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_templates() {
        assert_eq!(
            render_template(
                "modelarts:<region>:<account-id>:notebook:<notebook-id>",
                "cn-north-4",
                "acc",
                "nb1"
            ),
            "modelarts:cn-north-4:acc:notebook:nb1"
        );
        assert_eq!(
            render_template("iam::<account-id>:user:<user-name>", "r", "acc", "alice"),
            "iam::acc:user:alice"
        );
        assert_eq!(render_template("x:<oops", "r", "a", "i"), "x:<oops");
    }

    #[test]
    fn access_levels_parse() {
        assert_eq!(
            "permission_management".parse::<AccessLevel>(),
            Ok(AccessLevel::PermissionManagement)
        );
        assert_eq!("LIST".parse::<AccessLevel>(), Ok(AccessLevel::List));
        assert!("admin".parse::<AccessLevel>().is_err());
    }
}
