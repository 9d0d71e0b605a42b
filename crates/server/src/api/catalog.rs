//! `GET /v1/catalog`: the service catalog as the console's visual policy editor and simulator
//! read it: every service with its actions (access level, description, resource types, condition
//! keys), resource types with their URN templates, condition keys (service and global), the
//! policy language's condition operators (from `iam_policy`), and the ModelArts scenarios of
//! Tables 1-9 with their actions (from `iam_assistant`). The catalog is public data embedded in
//! the binary, so any signed-in principal may read it; the answer is built once per process.

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use iam_catalog::Catalog;
use iam_policy::{BaseOperator, Operator, Qualifier};
use serde::Serialize;
use utoipa::ToSchema;

use crate::endpoints::{Authz, Endpoint, Method, Reply};
use crate::error::ApiError;

/// The answer of `GET /v1/catalog`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogView {
    /// Every service of the catalog.
    pub services: Vec<ServiceView>,
    /// The global (`g:`) condition keys, valid in any statement.
    pub global_condition_keys: Vec<ConditionKeyView>,
    /// The condition operators of the policy language (base operators).
    pub operators: Vec<OperatorView>,
    /// The set qualifiers an operator may be prefixed with (`ForAnyValue:`, `ForAllValues:`).
    pub qualifiers: Vec<String>,
    /// The ModelArts scenarios of Tables 1-9, each with every action it requires.
    pub scenarios: Vec<ScenarioView>,
    /// The agency authorization scopes of Tables 10-14 (a custom ModelArts agency's scopes),
    /// each with the actions the agency needs.
    pub agency_scopes: Vec<ScenarioView>,
}

/// A service.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    /// Service code (`modelarts`).
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Its actions.
    pub actions: Vec<ActionView>,
    /// Its resource types.
    pub resource_types: Vec<ResourceTypeView>,
    /// Its condition keys.
    pub condition_keys: Vec<ConditionKeyView>,
}

/// An action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    /// Full name (`modelarts:notebook:create`).
    pub name: String,
    /// `List`, `Read`, `Write`, `Permission_management` or `Tagging`.
    pub access_level: String,
    /// Description.
    pub description: String,
    /// The resource types it acts on (none: the action takes `*` only).
    pub resource_types: Vec<ActionResourceView>,
    /// Condition keys that apply to the action.
    pub condition_keys: Vec<String>,
}

/// A resource type an action takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResourceView {
    /// Resource type name.
    pub resource_type: String,
    /// Whether the action requires it.
    pub required: bool,
    /// Its URN template, when the catalog knows the type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urn_template: Option<String>,
}

/// A resource type.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceTypeView {
    /// Name (`notebook`).
    pub name: String,
    /// URN template (`modelarts:<region>:<account-id>:notebook:<notebook-id>`).
    pub urn_template: String,
}

/// A condition key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionKeyView {
    /// Name (`g:SourceIp`).
    pub name: String,
    /// `string`, `number`, `date`, `boolean` or `ip`.
    pub value_type: String,
    /// Whether a request may carry several values.
    pub multi_valued: bool,
    /// Description.
    pub description: String,
}

/// A base condition operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    /// Name (`StringEquals`).
    pub name: String,
    /// `string`, `number`, `date`, `bool`, `ip` or `null`.
    pub family: String,
    /// Negated operator (`StringNotEquals`).
    pub negated: bool,
    /// Whether it takes the `ForAnyValue:`/`ForAllValues:` qualifiers and `IfExists`.
    pub qualifiable: bool,
}

/// A ModelArts scenario (Tables 1-9).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioView {
    /// Stable id (`t4-training-management`).
    pub id: String,
    /// Table number.
    pub table: u8,
    /// Table title.
    pub table_title: String,
    /// Scenario name as published.
    pub name: String,
    /// Every action it requires.
    pub actions: Vec<String>,
}

/// The catalog as the console reads it.
pub fn catalog_view(catalog: &Catalog) -> CatalogView {
    let key = |k: &iam_catalog::ConditionKey| ConditionKeyView {
        name: k.name.clone(),
        value_type: k.value_type.to_string(),
        multi_valued: k.multi_valued,
        description: k.description.clone(),
    };
    let services = catalog
        .services()
        .map(|s| ServiceView {
            name: s.name.clone(),
            display_name: s.display_name.clone(),
            actions: s
                .actions
                .iter()
                .map(|a| ActionView {
                    name: a.name.clone(),
                    access_level: a.access_level.as_str().to_owned(),
                    description: a.description.clone(),
                    resource_types: a
                        .resources
                        .iter()
                        .map(|r| ActionResourceView {
                            resource_type: r.resource_type.clone(),
                            required: r.required,
                            urn_template: catalog
                                .action_resource_type(&s.name, &r.resource_type)
                                .map(|t| t.urn_template.clone()),
                        })
                        .collect(),
                    condition_keys: a.condition_keys.clone(),
                })
                .collect(),
            resource_types: s
                .resource_types
                .iter()
                .map(|t| ResourceTypeView {
                    name: t.name.clone(),
                    urn_template: t.urn_template.clone(),
                })
                .collect(),
            condition_keys: s.condition_keys.iter().map(key).collect(),
        })
        .collect();
    let operators = BaseOperator::all()
        .map(|op| OperatorView {
            name: op.name().to_owned(),
            family: serde_json::to_value(op.family())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            negated: op.is_negated(),
            qualifiable: Operator::parse(&format!("ForAnyValue:{}IfExists", op.name())).is_ok(),
        })
        .collect();
    // the qualifiers as the policy crate writes them (`Operator`'s display), not retyped
    let qualifiers = [Qualifier::ForAnyValue, Qualifier::ForAllValues]
        .into_iter()
        .map(|q| {
            let op = Operator {
                base: BaseOperator::StringEquals,
                qualifier: Some(q),
                if_exists: false,
            };
            let text = op.to_string();
            text.strip_suffix(BaseOperator::StringEquals.name())
                .unwrap_or(&text)
                .to_owned()
        })
        .collect();
    let view = |s: iam_assistant::Scenario| ScenarioView {
        actions: s.actions(),
        id: s.id,
        table: s.table,
        table_title: s.table_title,
        name: s.name,
    };
    let scenarios = iam_assistant::scenarios(catalog)
        .into_iter()
        .map(view)
        .collect();
    let agency_scopes = iam_assistant::agency_scope_scenarios(catalog)
        .into_iter()
        .map(view)
        .collect();
    CatalogView {
        services,
        global_condition_keys: catalog.global_condition_keys().iter().map(key).collect(),
        operators,
        qualifiers,
        scenarios,
        agency_scopes,
    }
}

/// `GET /v1/catalog`: serialized once per process (the catalog is a constant of the binary).
async fn get_catalog() -> Response {
    static BODY: std::sync::OnceLock<Result<Bytes, String>> = std::sync::OnceLock::new();
    match BODY.get_or_init(|| {
        serde_json::to_vec(&catalog_view(Catalog::builtin()))
            .map(Bytes::from)
            .map_err(|e| e.to_string())
    }) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The endpoints of this module.
pub(crate) const ENDPOINTS: &[Endpoint] = &[Endpoint {
    method: Method::Get,
    path: "/v1/catalog",
    operation_id: "GetCatalog",
    tag: "catalog",
    summary: "The service catalog: actions, resource types, condition keys, operators, ModelArts scenarios",
    authz: Authz::Authenticated,
    route: |m| on(m, get_catalog),
    query: None,
    request: None,
    response: Reply::ok::<CatalogView>(),
}];
