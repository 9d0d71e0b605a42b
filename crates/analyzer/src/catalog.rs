//! What the validator needs from the service catalog.
//!
//! The validator works against the [`CatalogView`] trait so that it does not depend on the exact
//! representation of the catalog; `iam_catalog::Catalog` implements it (see `catalog_impl`), and
//! tests may supply their own.

/// The value type of a condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// String values.
    String,
    /// Numbers.
    Number,
    /// Dates.
    Date,
    /// Booleans.
    Bool,
    /// IP addresses.
    Ip,
    /// Anything else (the validator does not check operator compatibility).
    Other,
}

impl KeyType {
    /// Maps a catalog `value_type` name (`String`, `Number`, `Date`, `Bool`/`Boolean`, `Ip`) to a type.
    pub fn from_name(name: &str) -> KeyType {
        match name.to_ascii_lowercase().as_str() {
            "string" | "arrayofstring" => KeyType::String,
            "number" | "numeric" | "integer" | "long" => KeyType::Number,
            "date" | "time" => KeyType::Date,
            "bool" | "boolean" => KeyType::Bool,
            "ip" | "ipaddress" => KeyType::Ip,
            _ => KeyType::Other,
        }
    }
}

/// A condition key as the validator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// The value type.
    pub value_type: KeyType,
    /// Whether a request may carry several values for it.
    pub multi_valued: bool,
}

/// A resource type an action acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// The resource type name (`notebook`).
    pub resource_type: String,
    /// Whether the resource is required.
    pub required: bool,
    /// Condition keys that apply with this resource.
    pub condition_keys: Vec<String>,
}

/// An action as the validator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInfo {
    /// Full action name (`modelarts:notebook:create`).
    pub name: String,
    /// Access level (`List`, `Read`, `Write`, `Permission_management`, `Tagging`).
    pub access_level: String,
    /// The resource types the action acts on (empty: the action only matches `*`).
    pub resources: Vec<ResourceInfo>,
    /// Condition keys that apply to the action regardless of resource.
    pub condition_keys: Vec<String>,
}

impl ActionInfo {
    /// The service prefix.
    pub fn service(&self) -> &str {
        self.name.split(':').next().unwrap_or("")
    }

    /// Whether the action supports the condition key `key` (case-insensitive; catalog entries
    /// with a `<placeholder>` match any text in its place).
    pub fn supports_key(&self, key: &str) -> bool {
        self.condition_keys
            .iter()
            .chain(self.resources.iter().flat_map(|r| r.condition_keys.iter()))
            .any(|k| key_name_matches(k, key))
    }
}

/// Whether a catalog key name (possibly with a `<tag-key>` placeholder) names `key`.
pub fn key_name_matches(catalog_name: &str, key: &str) -> bool {
    match catalog_name.find('<') {
        Some(i) if catalog_name.ends_with('>') => {
            let prefix = catalog_name.get(..i).unwrap_or(catalog_name);
            key.len() > prefix.len()
                && key
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        }
        _ => catalog_name.eq_ignore_ascii_case(key),
    }
}

/// Catalog look-ups used by the catalog-aware checks.
pub trait CatalogView {
    /// Whether a service with this (exact, lower-case) prefix exists.
    fn has_service(&self, service: &str) -> bool;
    /// Whether the service is global (its URNs have an empty region).
    fn is_global_service(&self, service: &str) -> bool;
    /// The action with this name (ASCII-case-insensitive).
    fn action(&self, name: &str) -> Option<ActionInfo>;
    /// All actions an action pattern matches.
    fn expand(&self, pattern: &str) -> Vec<ActionInfo>;
    /// A condition key by name (ASCII-case-insensitive; `g:RequestTag/x` finds
    /// `g:RequestTag/<tag-key>`).
    fn condition_key(&self, name: &str) -> Option<KeyInfo>;
    /// The URN template of a resource type (`modelarts:<region>:<account-id>:notebook:<id>`).
    fn resource_type(&self, service: &str, name: &str) -> Option<String>;
}
